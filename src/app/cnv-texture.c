/* cnv-texture.c — images as textures for GtkPicture, sharp at any size
 *
 * A 28 × 28 input drawn at 200 pixels with linear filtering is a blur;
 * scaled up beforehand by a whole factor with nearest neighbour, every
 * value the network sees stays a square of its own.
 */
#define G_LOG_DOMAIN "cnv-texture"

#include "cnv-texture.h"

int
cnv_texture_upscale_factor (int width,
                            int height,
                            int size)
{
  return MAX (1, size / MAX (1, MAX (width, height)));
}

GdkTexture *
cnv_texture_new_for_image (const CnvImage *image,
                           int             size)
{
  g_autoptr(GBytes) bytes = NULL;
  int factor, width, height;
  gsize stride;
  guint8 *rgb;

  g_return_val_if_fail (image != NULL, NULL);

  factor = cnv_texture_upscale_factor (image->width, image->height, size);
  width = image->width * factor;
  height = image->height * factor;
  stride = (gsize) width * 3;

  rgb = g_malloc ((gsize) height * stride);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *src = image->pixels
                            + ((gsize) (y / factor) * image->width + x / factor)
                              * image->channels;
        guint8 *dst = rgb + (gsize) y * stride + (gsize) x * 3;

        for (int c = 0; c < 3; c++)
          dst[c] = src[image->channels == 3 ? c : 0];
      }

  bytes = g_bytes_new_take (rgb, (gsize) height * stride);

  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes,
                                 stride);
}

static void
texture_unref (gpointer texture)
{
  if (texture != NULL)
    g_object_unref (texture);
}

GPtrArray *
cnv_texture_array_new (void)
{
  return g_ptr_array_new_with_free_func (texture_unref);
}
