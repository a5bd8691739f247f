/* cnv-pixel-view.c — one small image drawn as large as it fits
 *
 * The image keeps its aspect ratio and every value is drawn as one square
 * (nearest neighbour), so a 7 × 7 map reads as 49 values and not as a
 * blur.  The widget asks for a square of its size request and draws
 * centred in whatever it is given.
 */
#define G_LOG_DOMAIN "cnv-pixel-view"

#include <string.h>

#include "cnv-pixel-view.h"

struct _CnvPixelView
{
  GtkWidget parent_instance;

  /* owned */
  guint8          *rgb;
  cairo_surface_t *surface;

  /* state */
  int              width;
  int              height;
};

G_DEFINE_FINAL_TYPE (CnvPixelView, cnv_pixel_view, GTK_TYPE_WIDGET)

static void
cnv_pixel_view_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  CnvPixelView *self = CNV_PIXEL_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double scale;
  cairo_t *cr;

  if (self->surface == NULL || width <= 0 || height <= 0)
    return;

  scale = MIN ((double) width / self->width, (double) height / self->height);
  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_translate (cr, (width - scale * self->width) / 2,
                   (height - scale * self->height) / 2);
  cairo_scale (cr, scale, scale);
  cairo_set_source_surface (cr, self->surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_destroy (cr);
}

static void
cnv_pixel_view_finalize (GObject *object)
{
  CnvPixelView *self = CNV_PIXEL_VIEW (object);

  g_clear_pointer (&self->surface, cairo_surface_destroy);
  g_free (self->rgb);

  G_OBJECT_CLASS (cnv_pixel_view_parent_class)->finalize (object);
}

static void
cnv_pixel_view_class_init (CnvPixelViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cnv_pixel_view_finalize;
  widget_class->snapshot = cnv_pixel_view_snapshot;

  gtk_widget_class_set_css_name (widget_class, "pixelview");
  gtk_widget_class_set_accessible_role (widget_class,
                                        GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cnv_pixel_view_init (CnvPixelView *self)
{
}

GtkWidget *
cnv_pixel_view_new (void)
{
  return g_object_new (CNV_TYPE_PIXEL_VIEW, NULL);
}

void
cnv_pixel_view_set_rgb (CnvPixelView *self,
                        int           width,
                        int           height,
                        const guint8 *rgb)
{
  guint8 *data;
  int stride;

  g_return_if_fail (CNV_IS_PIXEL_VIEW (self));

  g_clear_pointer (&self->surface, cairo_surface_destroy);
  g_clear_pointer (&self->rgb, g_free);
  self->width = self->height = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (rgb == NULL || width <= 0 || height <= 0)
    return;

  self->width = width;
  self->height = height;
  self->rgb = g_memdup2 (rgb, (gsize) width * height * 3);

  /* Cairo's RGB24: one 32-bit word per pixel, x R G B. */
  self->surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width,
                                              height);
  cairo_surface_flush (self->surface);
  data = cairo_image_surface_get_data (self->surface);
  stride = cairo_image_surface_get_stride (self->surface);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *p = rgb + 3 * ((gsize) y * width + x);

        ((guint32 *) (data + (gsize) y * stride))[x] =
          (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
      }
  cairo_surface_mark_dirty (self->surface);
}

void
cnv_pixel_view_set_image (CnvPixelView   *self,
                          const CnvImage *image)
{
  g_autofree guint8 *rgb = NULL;
  gsize n;

  g_return_if_fail (CNV_IS_PIXEL_VIEW (self));

  if (image == NULL)
    {
      cnv_pixel_view_set_rgb (self, 0, 0, NULL);
      return;
    }

  n = (gsize) image->width * image->height;
  rgb = g_malloc (n * 3);
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      rgb[3 * i + c] = image->pixels[i * image->channels
                                     + (image->channels == 3 ? c : 0)];

  cnv_pixel_view_set_rgb (self, image->width, image->height, rgb);
}

const guint8 *
cnv_pixel_view_get_rgb (CnvPixelView *self,
                        int          *width,
                        int          *height)
{
  g_return_val_if_fail (CNV_IS_PIXEL_VIEW (self), NULL);

  *width = self->width;
  *height = self->height;

  return self->rgb;
}
