/* fashion-mnist-folders.c — writes two Fashion-MNIST classes as class
 * folders of 8-bit grey PNG files, for the end-to-end test
 *
 * Reads Debian's dataset-fashion-mnist IDX files (gzip-compressed) through
 * GIO's zlib decompressor and writes OUTDIR/<class>/<split>-<index>.png
 * with gdk-pixbuf, so the test needs nothing outside this repository.
 *
 * Usage: fashion-mnist-folders DATADIR train|test OUTDIR
 * Writes classes 7 (sneaker) and 9 (ankle-boot).
 */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <string.h>

#define SIDE 28

static const struct
{
  guint8      label;
  const char *name;
} classes[] = {
  { 7, "sneaker" },
  { 9, "ankle-boot" },
};

static GBytes *
read_gzip (const char  *path,
           GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GConverter) gunzip = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GOutputStream) memory = NULL;

  raw = G_INPUT_STREAM (g_file_read (file, NULL, error));
  if (raw == NULL)
    return NULL;

  gunzip = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  stream = g_converter_input_stream_new (raw, gunzip);
  memory = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (memory, stream,
                              G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                              NULL, error) < 0)
    return NULL;

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
         | ((guint32) p[2] << 8) | p[3];
}

static gboolean
write_png (const guint8  *pixels,
           const char    *path,
           GError       **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  guint8 *row;
  int stride;

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  row = gdk_pixbuf_get_pixels (pixbuf);
  for (int y = 0; y < SIDE; y++, row += stride)
    for (int x = 0; x < SIDE; x++)
      memset (row + 3 * x, pixels[y * SIDE + x], 3);

  return gdk_pixbuf_save (pixbuf, path, "png", error, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) images = NULL;
  g_autoptr(GBytes) labels = NULL;
  g_autofree char *images_path = NULL;
  g_autofree char *labels_path = NULL;
  const char *prefix;
  const guint8 *image_data;
  const guint8 *label_data;
  gsize image_size, label_size;
  guint32 n;

  if (argc != 4 || (strcmp (argv[2], "train") != 0
                    && strcmp (argv[2], "test") != 0))
    {
      g_printerr ("usage: %s DATADIR train|test OUTDIR\n", argv[0]);
      return 2;
    }

  prefix = strcmp (argv[2], "train") == 0 ? "train" : "t10k";
  images_path = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", argv[1], prefix);
  labels_path = g_strdup_printf ("%s/%s-labels-idx1-ubyte.gz", argv[1], prefix);

  images = read_gzip (images_path, &error);
  if (images != NULL)
    labels = read_gzip (labels_path, &error);
  if (labels == NULL)
    {
      g_printerr ("fashion-mnist-folders: %s\n", error->message);
      return 1;
    }

  image_data = g_bytes_get_data (images, &image_size);
  label_data = g_bytes_get_data (labels, &label_size);
  if (image_size < 16 || label_size < 8
      || read_be32 (image_data) != 2051 || read_be32 (label_data) != 2049)
    {
      g_printerr ("fashion-mnist-folders: %s or %s is not an IDX file\n",
                  images_path, labels_path);
      return 1;
    }

  n = read_be32 (label_data + 4);
  if (read_be32 (image_data + 4) != n
      || image_size != 16 + (gsize) n * SIDE * SIDE || label_size != 8 + n)
    {
      g_printerr ("fashion-mnist-folders: %s and %s do not agree in size\n",
                  images_path, labels_path);
      return 1;
    }

  for (guint c = 0; c < G_N_ELEMENTS (classes); c++)
    {
      g_autofree char *folder = g_build_filename (argv[3], classes[c].name, NULL);

      if (g_mkdir_with_parents (folder, 0755) != 0)
        {
          g_printerr ("fashion-mnist-folders: cannot create %s\n", folder);
          return 1;
        }
    }

  for (guint32 i = 0; i < n; i++)
    for (guint c = 0; c < G_N_ELEMENTS (classes); c++)
      {
        g_autofree char *name = NULL;
        g_autofree char *path = NULL;

        if (label_data[8 + i] != classes[c].label)
          continue;

        name = g_strdup_printf ("%s-%05u.png", argv[2], i);
        path = g_build_filename (argv[3], classes[c].name, name, NULL);
        if (!write_png (image_data + 16 + (gsize) i * SIDE * SIDE, path, &error))
          {
            g_printerr ("fashion-mnist-folders: %s: %s\n", path, error->message);
            return 1;
          }
      }

  return 0;
}
