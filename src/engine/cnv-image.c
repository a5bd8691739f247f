/* cnv-image.c — from an image file to what the network sees
 *
 * A file is read whole (it is refused first if it is over 256 MB), then fed
 * to a GdkPixbufLoader in small chunks.  The loader's size-prepared signal
 * tells us the image's dimensions before a single pixel is decoded; an image
 * over the caps is refused there, by asking the loader for a zero size, so
 * a 48 KB "PNG bomb" never becomes a gigabyte of pixels.  gdk-pixbuf
 * accepts a PNG, JPEG or BMP that was cut short and fills the missing
 * rows, so the end of the file is checked here, on the bytes.
 *
 * After decoding, every image takes the same road: EXIF orientation, alpha
 * flattened on the recorded background into 8-bit RGB, resize to the
 * network's size (skipped, and so exact, when the size already matches),
 * then RGB to the model's channel count.  cnv_image_to_input () is the one
 * place where bytes become floats.
 */
#define G_LOG_DOMAIN "cnv-image"

#include "cnv-config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n-lib.h>

#include "cnv-image.h"
#include "cnv-image-private.h"

/* Files are small; anything bigger than this is not a training image. */
#define MAX_FILE_SIZE ((goffset) 256 * 1024 * 1024)

/* The loader sees the file in pieces of this size, so a refusal in
 * size-prepared stops it before the rest is even handed over. */
#define CHUNK_SIZE 65536

G_DEFINE_QUARK (cnv-image-error-quark, cnv_image_error)

/* Sets error to "Cannot use the image “name”: reason." and, when asked,
 * *reason_out to the reason alone (for a dataset's skipped list). */
G_GNUC_PRINTF (5, 6)
static void
fail (GError    **error,
      char      **reason_out,
      int         code,
      const char *name,
      const char *format,
      ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, CNV_IMAGE_ERROR, code,
               _("Cannot use the image “%s”: %s."), name, reason);
  if (reason_out != NULL)
    *reason_out = g_steal_pointer (&reason);
}

/* Preprocessing record */

void
cnv_preprocessing_init_default (CnvPreprocessing *pp,
                                int               width,
                                int               height,
                                int               channels)
{
  g_return_if_fail (pp != NULL);
  g_return_if_fail (channels == 1 || channels == 3);

  memset (pp, 0, sizeof *pp);
  pp->width = width;
  pp->height = height;
  pp->color_mode = channels == 1 ? CNV_COLOR_GRAYSCALE : CNV_COLOR_RGB;
  pp->apply_exif = TRUE;
  memset (pp->background, 255, sizeof pp->background);
  pp->resize_mode = CNV_RESIZE_STRETCH;
  pp->interpolation = CNV_INTERP_BILINEAR;
  memset (pp->pad_color, 0, sizeof pp->pad_color);
  pp->scale = 1.0f / 255.0f;
  for (int c = 0; c < 3; c++)
    {
      pp->mean[c] = 0.0f;
      pp->std[c] = 1.0f;
    }
}

int
cnv_preprocessing_get_channels (const CnvPreprocessing *pp)
{
  g_return_val_if_fail (pp != NULL, 0);

  return pp->color_mode == CNV_COLOR_GRAYSCALE ? 1 : 3;
}

gboolean
cnv_preprocessing_equal (const CnvPreprocessing *a,
                         const CnvPreprocessing *b)
{
  int channels;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->width != b->width
      || a->height != b->height
      || a->color_mode != b->color_mode
      || !a->apply_exif != !b->apply_exif
      || memcmp (a->background, b->background, sizeof a->background) != 0
      || a->resize_mode != b->resize_mode
      || a->interpolation != b->interpolation
      || memcmp (a->pad_color, b->pad_color, sizeof a->pad_color) != 0
      || a->scale != b->scale)
    return FALSE;

  /* Only the channels the model has are part of the record. */
  channels = cnv_preprocessing_get_channels (a);
  for (int c = 0; c < channels; c++)
    if (a->mean[c] != b->mean[c] || a->std[c] != b->std[c])
      return FALSE;

  return TRUE;
}

static const char * const color_mode_names[] = { "grayscale", "rgb", NULL };
static const char * const resize_mode_names[] =
  { "stretch", "center-crop", "letterbox", NULL };
static const char * const interpolation_names[] = { "nearest", "bilinear", NULL };

static void
add_color (JsonBuilder  *builder,
           const char   *name,
           const guint8  color[3])
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (int c = 0; c < 3; c++)
    json_builder_add_int_value (builder, color[c]);
  json_builder_end_array (builder);
}

static void
add_floats (JsonBuilder *builder,
            const char  *name,
            const float *values,
            int          n_values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (int c = 0; c < n_values; c++)
    json_builder_add_double_value (builder, values[c]);
  json_builder_end_array (builder);
}

JsonNode *
cnv_preprocessing_to_json_node (const CnvPreprocessing *pp)
{
  g_autoptr(JsonBuilder) builder = NULL;
  int channels;

  g_return_val_if_fail (pp != NULL, NULL);

  channels = cnv_preprocessing_get_channels (pp);
  builder = json_builder_new ();
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, pp->width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, pp->height);
  json_builder_set_member_name (builder, "color_mode");
  json_builder_add_string_value (builder, color_mode_names[pp->color_mode]);
  json_builder_set_member_name (builder, "apply_exif");
  json_builder_add_boolean_value (builder, pp->apply_exif);
  add_color (builder, "background", pp->background);
  json_builder_set_member_name (builder, "resize_mode");
  json_builder_add_string_value (builder, resize_mode_names[pp->resize_mode]);
  json_builder_set_member_name (builder, "interpolation");
  json_builder_add_string_value (builder,
                                 interpolation_names[pp->interpolation]);
  add_color (builder, "pad_color", pp->pad_color);
  json_builder_set_member_name (builder, "scale");
  json_builder_add_double_value (builder, pp->scale);
  add_floats (builder, "mean", pp->mean, channels);
  add_floats (builder, "std", pp->std, channels);

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
bad_field (GError     **error,
           const char  *field,
           const char  *expected)
{
  g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
               _("The preprocessing field “%s” must be %s."), field, expected);
  return FALSE;
}

static JsonNode *
get_member (JsonObject  *object,
            const char  *field,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node == NULL)
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                 _("The preprocessing has no “%s” field; every field must be "
                   "given."), field);
  return node;
}

static gboolean
read_int (JsonObject  *object,
          const char  *field,
          int          min,
          int          max,
          int         *out,
          GError     **error)
{
  JsonNode *node = get_member (object, field, error);
  gint64 value;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return bad_field (error, field, _("a whole number"));

  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   _("The preprocessing field “%s” is %" PRId64
                     ", outside %d to %d."), field, value, min, max);
      return FALSE;
    }

  *out = (int) value;
  return TRUE;
}

static gboolean
read_number (JsonNode *node,
             double   *out)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *out = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return FALSE;

  return isfinite (*out);
}

static gboolean
read_enum (JsonObject         *object,
           const char         *field,
           const char * const *names,
           const char         *expected,
           int                *out,
           GError            **error)
{
  JsonNode *node = get_member (object, field, error);
  const char *value;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return bad_field (error, field, expected);

  value = json_node_get_string (node);
  for (int i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (value, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }

  return bad_field (error, field, expected);
}

static gboolean
read_color (JsonObject  *object,
            const char  *field,
            guint8       color[3],
            GError     **error)
{
  JsonNode *node = get_member (object, field, error);
  JsonArray *array;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (array = json_node_get_array (node)) != 3)
    return bad_field (error, field, _("three numbers [red, green, blue]"));

  for (guint c = 0; c < 3; c++)
    {
      JsonNode *element = json_array_get_element (array, c);
      gint64 value;

      if (!JSON_NODE_HOLDS_VALUE (element)
          || json_node_get_value_type (element) != G_TYPE_INT64
          || (value = json_node_get_int (element)) < 0 || value > 255)
        return bad_field (error, field,
                          _("three whole numbers from 0 to 255"));
      color[c] = (guint8) value;
    }

  return TRUE;
}

static gboolean
read_floats (JsonObject  *object,
             const char  *field,
             int          n_values,
             gboolean     nonzero,
             float       *values,
             GError     **error)
{
  JsonNode *node = get_member (object, field, error);
  g_autofree char *expected = NULL;
  JsonArray *array;

  if (node == NULL)
    return FALSE;

  expected = g_strdup_printf (nonzero
                              ? g_dngettext (GETTEXT_PACKAGE,
                                             "%d non-zero number, one per "
                                             "channel",
                                             "%d non-zero numbers, one per "
                                             "channel", n_values)
                              : g_dngettext (GETTEXT_PACKAGE,
                                             "%d number, one per channel",
                                             "%d numbers, one per channel",
                                             n_values),
                              n_values);
  if (!JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (array = json_node_get_array (node))
         != (guint) n_values)
    return bad_field (error, field, expected);

  for (int c = 0; c < n_values; c++)
    {
      double value;

      if (!read_number (json_array_get_element (array, c), &value)
          || (nonzero && value == 0.0))
        return bad_field (error, field, expected);
      values[c] = (float) value;
    }

  return TRUE;
}

static const char * const known_fields[] = {
  "width", "height", "color_mode", "apply_exif", "background", "resize_mode",
  "interpolation", "pad_color", "scale", "mean", "std", NULL
};

gboolean
cnv_preprocessing_from_json_node (JsonNode          *node,
                                  CnvPreprocessing  *pp,
                                  GError           **error)
{
  g_autoptr(GList) members = NULL;
  CnvPreprocessing result;
  JsonObject *object;
  JsonNode *member;
  int value;
  double scale;

  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (pp != NULL, FALSE);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   _("The preprocessing must be a JSON object."));
      return FALSE;
    }
  object = json_node_get_object (node);

  /* Refuse what we do not understand rather than ignore it: a field we
   * skip could change what the network sees. */
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known_fields, l->data))
      {
        g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                     _("The preprocessing has an unknown field “%s”."),
                     (const char *) l->data);
        return FALSE;
      }

  cnv_preprocessing_init_default (&result, 1, 1, 1);

  if (!read_int (object, "width", 1, CNV_IMAGE_MAX_SIDE, &result.width, error)
      || !read_int (object, "height", 1, CNV_IMAGE_MAX_SIDE, &result.height,
                    error))
    return FALSE;

  if (!read_enum (object, "color_mode", color_mode_names,
                  _("“grayscale” or “rgb”"), &value, error))
    return FALSE;
  result.color_mode = value;

  if ((member = get_member (object, "apply_exif", error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_BOOLEAN)
    return bad_field (error, "apply_exif", _("true or false"));
  result.apply_exif = json_node_get_boolean (member);

  if (!read_color (object, "background", result.background, error))
    return FALSE;

  if (!read_enum (object, "resize_mode", resize_mode_names,
                  _("“stretch”, “center-crop” or “letterbox”"), &value, error))
    return FALSE;
  result.resize_mode = value;

  if (!read_enum (object, "interpolation", interpolation_names,
                  _("“nearest” or “bilinear”"), &value, error))
    return FALSE;
  result.interpolation = value;

  if (!read_color (object, "pad_color", result.pad_color, error))
    return FALSE;

  if ((member = get_member (object, "scale", error)) == NULL)
    return FALSE;
  if (!read_number (member, &scale) || scale == 0.0)
    return bad_field (error, "scale", _("a non-zero number"));
  result.scale = (float) scale;

  if (!read_floats (object, "mean", cnv_preprocessing_get_channels (&result),
                    FALSE, result.mean, error)
      || !read_floats (object, "std", cnv_preprocessing_get_channels (&result),
                       TRUE, result.std, error))
    return FALSE;

  *pp = result;
  return TRUE;
}

/* Images */

CnvImage *
cnv_image_new (int width,
               int height,
               int channels)
{
  CnvImage *image;

  g_return_val_if_fail (width > 0 && width <= CNV_IMAGE_MAX_SIDE, NULL);
  g_return_val_if_fail (height > 0 && height <= CNV_IMAGE_MAX_SIDE, NULL);
  g_return_val_if_fail (channels == 1 || channels == 3, NULL);

  image = g_new0 (CnvImage, 1);
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->pixels = g_malloc0 ((gsize) width * height * channels);
  image->original_width = width;
  image->original_height = height;

  return image;
}

void
cnv_image_free (CnvImage *image)
{
  if (image == NULL)
    return;

  g_free (image->pixels);
  g_free (image);
}

typedef struct
{
  gboolean too_large;
  int      width;
  int      height;
} SizeCheck;

static void
size_prepared_cb (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  SizeCheck *check = user_data;

  check->width = width;
  check->height = height;

  if (width > CNV_IMAGE_MAX_SIDE
      || height > CNV_IMAGE_MAX_SIDE
      || (gint64) width * height > CNV_IMAGE_MAX_PIXELS)
    {
      /* A zero size makes every decoder stop before it allocates. */
      check->too_large = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
    }
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
         | ((guint32) p[2] << 8) | (guint32) p[3];
}

static gboolean
is_png (const guint8 *data,
        gsize         size)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                       '\n' };

  return size >= 8 && memcmp (data, signature, 8) == 0;
}

static gboolean
is_jpeg (const guint8 *data,
         gsize         size)
{
  return size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
}

/* Walks the chunks: the file is whole when an IEND chunk lies entirely
 * inside it.  Bytes after IEND are tolerated. */
static gboolean
png_is_complete (const guint8 *data,
                 gsize         size)
{
  guint64 offset = 8;

  while (offset + 12 <= size)
    {
      guint64 length = read_be32 (data + offset);

      if (offset + 12 + length > size)
        return FALSE;
      if (memcmp (data + offset + 4, "IEND", 4) == 0)
        return TRUE;
      offset += 12 + length;
    }

  return FALSE;
}

/* The last two bytes must be the EOI marker, after any zero padding that
 * some cameras and tools append. */
static gboolean
jpeg_is_complete (const guint8 *data,
                  gsize         size)
{
  while (size > 0 && data[size - 1] == 0)
    size--;

  return size >= 4 && data[size - 2] == 0xff && data[size - 1] == 0xd9;
}

static guint32
read_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16)
         | ((guint32) p[3] << 24);
}

static gboolean
is_bmp (const guint8 *data,
        gsize         size)
{
  return size >= 30 && data[0] == 'B' && data[1] == 'M';
}

/* gdk-pixbuf also accepts a BMP that stops early.  For uncompressed ones
 * the header gives the exact size of the pixel rows: offset + stride × H,
 * each row padded to 4 bytes.  Compressed (RLE) ones are left to the
 * decoder. */
static gboolean
bmp_is_complete (const guint8 *data,
                 gsize         size)
{
  guint32 header_size = read_le32 (data + 14);
  guint64 width;
  guint64 height;
  guint64 bits;
  guint64 stride;
  guint64 rows;
  guint64 end;
  guint32 compression = 0;

  if (header_size == 12)
    {
      width = data[18] | (data[19] << 8);
      height = data[20] | (data[21] << 8);
      bits = data[24] | (data[25] << 8);
    }
  else if (header_size >= 40 && size >= 34)
    {
      /* Height is negative for top-down rows. */
      width = (guint64) ABS ((gint64) (gint32) read_le32 (data + 18));
      height = (guint64) ABS ((gint64) (gint32) read_le32 (data + 22));
      bits = data[28] | (data[29] << 8);
      compression = read_le32 (data + 30);
    }
  else
    {
      return TRUE;
    }

  /* 0 = BI_RGB, 3 = BI_BITFIELDS: rows stored as they are. */
  if (compression != 0 && compression != 3)
    return TRUE;

  /* end = offset + stride × height, where stride × height can exceed 64
   * bits for a forged header: an end that cannot be counted is not in the
   * file. */
  stride = (bits * width + 31) / 32 * 4;
  if (!g_uint64_checked_mul (&rows, stride, height)
      || !g_uint64_checked_add (&end, read_le32 (data + 10), rows))
    return FALSE;

  return end <= size;
}

/* Feeds data to a size-capped loader in chunks and closes it.  Returns
 * FALSE with local_error set when the decoder failed; check->too_large
 * says whether the size cap stopped it. */
static gboolean
run_loader (GdkPixbufLoader  *loader,
            const guint8     *data,
            gsize             size,
            SizeCheck        *check,
            GError          **local_error)
{
  g_autoptr(GError) close_error = NULL;
  gboolean ok = TRUE;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared_cb),
                    check);

  for (gsize offset = 0; ok && offset < size && !check->too_large;
       offset += CHUNK_SIZE)
    ok = gdk_pixbuf_loader_write (loader, data + offset,
                                  MIN (CHUNK_SIZE, size - offset),
                                  local_error);

  /* close () must always be called, even after a failure. */
  if (!gdk_pixbuf_loader_close (loader, ok ? &close_error : NULL) && ok)
    {
      g_propagate_error (local_error, g_steal_pointer (&close_error));
      return FALSE;
    }

  return ok;
}

/* gdk-pixbuf decodes what it can of a cut PNG, JPEG or BMP without an
 * error, so the end of each is checked here. */
static gboolean
check_complete (const guint8  *data,
                gsize          size,
                const char    *name,
                char         **reason,
                GError       **error)
{
  if (is_png (data, size) && !png_is_complete (data, size))
    {
      fail (error, reason, CNV_IMAGE_ERROR_TRUNCATED, name,
            _("the file is truncated: it ends before the PNG end chunk"));
      return FALSE;
    }
  if (is_jpeg (data, size) && !jpeg_is_complete (data, size))
    {
      fail (error, reason, CNV_IMAGE_ERROR_TRUNCATED, name,
            _("the file is truncated: it ends before the JPEG end marker"));
      return FALSE;
    }
  if (is_bmp (data, size) && !bmp_is_complete (data, size))
    {
      fail (error, reason, CNV_IMAGE_ERROR_TRUNCATED, name,
            _("the file is truncated: it ends before the last row of "
              "pixels"));
      return FALSE;
    }

  return TRUE;
}

static void
fail_decoding (const GError  *local_error,
               const char    *name,
               char         **reason,
               GError       **error)
{
  if (g_error_matches (local_error, GDK_PIXBUF_ERROR,
                       GDK_PIXBUF_ERROR_UNKNOWN_TYPE))
    fail (error, reason, CNV_IMAGE_ERROR_NOT_AN_IMAGE, name,
          _("the file is not an image in a format Convolve can read"));
  else
    fail (error, reason, CNV_IMAGE_ERROR_CORRUPT, name,
          _("the image data is damaged (%s)"), local_error->message);
}

/* Decodes data with a size-capped loader.  Returns the pixbuf with a
 * reference, or NULL with error and reason set. */
static GdkPixbuf *
decode (const guint8 *data,
        gsize         size,
        const char   *name,
        char        **reason,
        GError      **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  SizeCheck check = { FALSE, 0, 0 };
  gboolean ok;
  GdkPixbuf *pixbuf;

  /* The two common formats skip gdk-pixbuf's content sniffing, which costs
   * more than decoding a small image. */
  if (is_png (data, size))
    loader = gdk_pixbuf_loader_new_with_type ("png", NULL);
  else if (is_jpeg (data, size))
    loader = gdk_pixbuf_loader_new_with_type ("jpeg", NULL);
  if (loader == NULL)
    loader = gdk_pixbuf_loader_new ();

  ok = run_loader (loader, data, size, &check, &local_error);

  if (check.too_large)
    {
      fail (error, reason, CNV_IMAGE_ERROR_TOO_LARGE, name,
            _("the image is %d × %d pixels, above the limit of %d pixels a "
              "side and %d megapixels"),
            check.width, check.height, CNV_IMAGE_MAX_SIDE,
            CNV_IMAGE_MAX_PIXELS / (1024 * 1024));
      return NULL;
    }
  if (!check_complete (data, size, name, reason, error))
    return NULL;
  if (!ok)
    {
      fail_decoding (local_error, name, reason, error);
      return NULL;
    }

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      fail (error, reason, CNV_IMAGE_ERROR_CORRUPT, name,
            _("the decoder returned no pixels"));
      return NULL;
    }

  return g_object_ref (pixbuf);
}

/* rgb [H, W, 3] <- pixbuf [H, W, 3 or 4], alpha composited over the
 * background: out = (a·c + (255 − a)·bg) / 255, rounded. */
static GdkPixbuf *
flatten (GdkPixbuf    *pixbuf,
         const guint8  background[3])
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  int in_stride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *in = gdk_pixbuf_read_pixels (pixbuf);
  GdkPixbuf *rgb;
  guint8 *out;
  int out_stride;

  rgb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  if (rgb == NULL)
    return NULL;
  out = gdk_pixbuf_get_pixels (rgb);
  out_stride = gdk_pixbuf_get_rowstride (rgb);

  for (int y = 0; y < height; y++)
    {
      const guint8 *src = in + (gsize) y * in_stride;
      guint8 *dst = out + (gsize) y * out_stride;

      for (int x = 0; x < width; x++, src += n_channels, dst += 3)
        {
          guint alpha = n_channels == 4 ? src[3] : 255;

          for (int c = 0; c < 3; c++)
            dst[c] = (guint8) ((alpha * src[c] + (255 - alpha) * background[c]
                                + 127) / 255);
        }
    }

  return rgb;
}

static void
fill (GdkPixbuf    *pixbuf,
      const guint8  color[3])
{
  gdk_pixbuf_fill (pixbuf, ((guint32) color[0] << 24)
                           | ((guint32) color[1] << 16)
                           | ((guint32) color[2] << 8) | 0xff);
}

/* out [H, W, 3] <- rgb [h, w, 3], by the record's resize mode. */
static GdkPixbuf *
resize (GdkPixbuf              *rgb,
        const CnvPreprocessing *pp)
{
  int w = gdk_pixbuf_get_width (rgb);
  int h = gdk_pixbuf_get_height (rgb);
  int W = pp->width;
  int H = pp->height;
  GdkInterpType interp = pp->interpolation == CNV_INTERP_NEAREST
                         ? GDK_INTERP_NEAREST : GDK_INTERP_BILINEAR;
  GdkPixbuf *out;

  /* The network's size already: keep every pixel exactly as decoded. */
  if (w == W && h == H)
    return g_object_ref (rgb);

  out = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, W, H);
  if (out == NULL)
    return NULL;

  switch (pp->resize_mode)
    {
    case CNV_RESIZE_STRETCH:
      gdk_pixbuf_scale (rgb, out, 0, 0, W, H, 0.0, 0.0,
                        (double) W / w, (double) H / h, interp);
      break;

    case CNV_RESIZE_CENTER_CROP:
      {
        /* Scale so the short side fits, then take the middle. */
        double s = MAX ((double) W / w, (double) H / h);

        gdk_pixbuf_scale (rgb, out, 0, 0, W, H,
                          (W - w * s) / 2.0, (H - h * s) / 2.0, s, s, interp);
      }
      break;

    case CNV_RESIZE_LETTERBOX:
      {
        /* Scale so the long side fits, into a whole-pixel box centred on
         * the pad colour. */
        double s = MIN ((double) W / w, (double) H / h);
        int iw = CLAMP ((int) lround (w * s), 1, W);
        int ih = CLAMP ((int) lround (h * s), 1, H);
        int x0 = (W - iw) / 2;
        int y0 = (H - ih) / 2;

        fill (out, pp->pad_color);
        gdk_pixbuf_scale (rgb, out, x0, y0, iw, ih, x0, y0,
                          (double) iw / w, (double) ih / h, interp);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return out;
}

/* image [H, W, C] <- rgb [H, W, 3]; grey is ITU-R BT.601 luma,
 * (299 R + 587 G + 114 B) / 1000 rounded, so grey stays grey exactly. */
static void
to_channels (GdkPixbuf *rgb,
             CnvImage  *image)
{
  int stride = gdk_pixbuf_get_rowstride (rgb);
  const guint8 *in = gdk_pixbuf_read_pixels (rgb);
  guint8 *out = image->pixels;

  for (int y = 0; y < image->height; y++)
    {
      const guint8 *src = in + (gsize) y * stride;

      for (int x = 0; x < image->width; x++, src += 3)
        {
          if (image->channels == 3)
            {
              memcpy (out, src, 3);
              out += 3;
            }
          else
            {
              *out++ = (guint8) ((299u * src[0] + 587u * src[1]
                                  + 114u * src[2] + 500u) / 1000u);
            }
        }
    }
}

static gboolean
has_color (GdkPixbuf *pixbuf)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *in = gdk_pixbuf_read_pixels (pixbuf);

  for (int y = 0; y < height; y++)
    {
      const guint8 *p = in + (gsize) y * stride;

      for (int x = 0; x < width; x++, p += n_channels)
        if (p[0] != p[1] || p[1] != p[2])
          return TRUE;
    }

  return FALSE;
}

CnvImage *
cnv_image_load_data (const guint8           *data,
                     gsize                   size,
                     const char             *name,
                     const CnvPreprocessing *pp,
                     char                  **reason,
                     GError                **error)
{
  g_autoptr(GdkPixbuf) decoded = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  g_autoptr(GdkPixbuf) rgb = NULL;
  g_autoptr(GdkPixbuf) sized = NULL;
  g_autoptr(CnvImage) image = NULL;
  const char *orientation;

  g_return_val_if_fail (pp != NULL, NULL);
  g_return_val_if_fail (pp->width > 0 && pp->height > 0, NULL);

  if (size == 0)
    {
      fail (error, reason, CNV_IMAGE_ERROR_EMPTY, name,
            _("the file is empty (0 bytes)"));
      return NULL;
    }

  decoded = decode (data, size, name, reason, error);
  if (decoded == NULL)
    return NULL;

  image = cnv_image_new (pp->width, pp->height,
                         cnv_preprocessing_get_channels (pp));
  image->had_alpha = gdk_pixbuf_get_has_alpha (decoded);

  /* The loader attaches the EXIF orientation as the "orientation" option;
   * 1 (or none) means the pixels are stored upright. */
  orientation = gdk_pixbuf_get_option (decoded, "orientation");
  if (pp->apply_exif && orientation != NULL && g_strcmp0 (orientation, "1"))
    {
      oriented = gdk_pixbuf_apply_embedded_orientation (decoded);
      image->was_rotated = TRUE;
    }
  else
    {
      oriented = g_object_ref (decoded);
    }
  if (oriented == NULL)
    {
      fail (error, reason, CNV_IMAGE_ERROR_CORRUPT, name,
            _("there is not enough memory to rotate it"));
      return NULL;
    }
  image->original_width = gdk_pixbuf_get_width (oriented);
  image->original_height = gdk_pixbuf_get_height (oriented);

  rgb = flatten (oriented, pp->background);
  sized = rgb != NULL ? resize (rgb, pp) : NULL;
  if (sized == NULL)
    {
      fail (error, reason, CNV_IMAGE_ERROR_CORRUPT, name,
            _("there is not enough memory to convert it"));
      return NULL;
    }

  if (image->channels == 1)
    image->was_color = has_color (rgb);
  else
    image->was_grey = !has_color (oriented);
  to_channels (sized, image);

  return g_steal_pointer (&image);
}

CnvImage *
cnv_image_load_bytes (GBytes                 *bytes,
                      const char             *name,
                      const CnvPreprocessing *pp,
                      GError                **error)
{
  gsize size;
  const guint8 *data;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (pp != NULL, NULL);

  data = g_bytes_get_data (bytes, &size);

  return cnv_image_load_data (data, size, name != NULL ? name : "", pp, NULL,
                              error);
}

/* Reads at most MAX_FILE_SIZE + 1 bytes from the open stream: the size
 * checked before opening may have grown since, and a file that did is
 * refused by its length here rather than read whole. */
static GBytes *
read_capped (GInputStream  *stream,
             gsize          expected,
             GError       **error)
{
  g_autoptr(GByteArray) contents = NULL;
  gsize limit = (gsize) MAX_FILE_SIZE + 1;
  gsize filled = 0;

  contents = g_byte_array_sized_new ((guint) MIN (expected + 1, limit));
  while (filled < limit)
    {
      gsize chunk = MIN (limit - filled, MAX (CHUNK_SIZE, expected + 1));
      gssize n;

      g_byte_array_set_size (contents, (guint) (filled + chunk));
      n = g_input_stream_read (stream, contents->data + filled, chunk, NULL,
                               error);
      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      filled += (gsize) n;
    }
  g_byte_array_set_size (contents, (guint) filled);

  return g_byte_array_free_to_bytes (g_steal_pointer (&contents));
}

static void
fail_too_large (goffset      size,
                const char  *name,
                char       **reason,
                GError     **error)
{
  g_autofree char *size_text = g_format_size ((guint64) size);

  fail (error, reason, CNV_IMAGE_ERROR_TOO_LARGE, name,
        _("the file is %s, above the limit of 256 MB"), size_text);
}

/* The type and size first, so that a FIFO is never opened and a huge
 * file never read; the size is then enforced again while reading. */
static GBytes *
read_image_file (const char  *path,
                 const char  *name,
                 char       **reason,
                 GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;
  GBytes *contents;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, NULL, &local_error);
  if (info != NULL && g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      fail (error, reason, CNV_IMAGE_ERROR_UNREADABLE, name,
            _("it is not a regular file"));
      return NULL;
    }
  if (info != NULL && g_file_info_get_size (info) > MAX_FILE_SIZE)
    {
      fail_too_large (g_file_info_get_size (info), name, reason, error);
      return NULL;
    }

  if (info != NULL)
    stream = g_file_read (file, NULL, &local_error);
  contents = stream != NULL
             ? read_capped (G_INPUT_STREAM (stream),
                            (gsize) g_file_info_get_size (info), &local_error)
             : NULL;
  if (contents == NULL)
    {
      fail (error, reason, CNV_IMAGE_ERROR_UNREADABLE, name,
            _("the file cannot be read (%s)"), local_error->message);
      return NULL;
    }
  if (g_bytes_get_size (contents) > (gsize) MAX_FILE_SIZE)
    {
      fail_too_large ((goffset) g_bytes_get_size (contents), name, reason,
                      error);
      g_bytes_unref (contents);
      return NULL;
    }

  return contents;
}

CnvImage *
cnv_image_load_path (const char             *path,
                     const CnvPreprocessing *pp,
                     char                  **reason,
                     GError                **error)
{
  g_autofree char *name = NULL;
  g_autoptr(GBytes) contents = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (pp != NULL, NULL);

  name = g_filename_display_name (path);
  contents = read_image_file (path, name, reason, error);
  if (contents == NULL)
    return NULL;

  return cnv_image_load_data (g_bytes_get_data (contents, NULL),
                              g_bytes_get_size (contents), name, pp, reason,
                              error);
}

CnvImage *
cnv_image_load (const char             *path,
                const CnvPreprocessing *pp,
                GError                **error)
{
  return cnv_image_load_path (path, pp, NULL, error);
}

/* plane [H * W] <- channel c of pixels [H, W, channels], scaled.
 * Inlined for each channel count it is called with, so that the loop has
 * a constant stride and is vectorised: the arithmetic, and so every bit,
 * is the same for any count. */
static inline void
channel_to_plane (const guint8           *pixels,
                  int                     channels,
                  int                     c,
                  const CnvPreprocessing *pp,
                  float                  *plane)
{
  /* in locals: plane could alias pp, as far as the compiler knows */
  const float scale = pp->scale;
  const float mean = pp->mean[c];
  const float std = pp->std[c];
  gsize n = (gsize) pp->width * pp->height;

  for (gsize i = 0; i < n; i++)
    plane[i] = (pixels[i * (gsize) channels + (gsize) c] * scale - mean)
               / std;
}

void
cnv_image_to_input (const guint8           *pixels,
                    const CnvPreprocessing *pp,
                    float                  *input)
{
  int channels;
  gsize plane;

  g_return_if_fail (pixels != NULL);
  g_return_if_fail (pp != NULL);
  g_return_if_fail (input != NULL);

  channels = cnv_preprocessing_get_channels (pp);
  plane = (gsize) pp->width * pp->height;

  /* input [C, H, W] <- pixels [H, W, C] */
  for (int c = 0; c < channels; c++)
    {
      float *out = input + c * plane;

      if (channels == 1)
        channel_to_plane (pixels, 1, c, pp, out);
      else if (channels == 3)
        channel_to_plane (pixels, 3, c, pp, out);
      else
        channel_to_plane (pixels, channels, c, pp, out);
    }
}
