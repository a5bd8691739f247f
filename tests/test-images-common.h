/* test-images-common.h — image files written byte by byte for the image
 * and dataset tests
 *
 * PNGs are assembled here chunk by chunk (zlib through GZlibCompressor, the
 * CRC computed below), so a test can make exactly the file it needs: a
 * 16-bit gradient, a palette, a header that claims 100000 × 100000 pixels.
 * JPEGs come from gdk-pixbuf's writer, with an EXIF segment spliced in when
 * a test needs an orientation.
 */
#pragma once

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>

enum
{
  PNG_GREY = 0,
  PNG_RGB = 2,
  PNG_PALETTE = 3,
  PNG_GREY_ALPHA = 4,
  PNG_RGBA = 6,
};

static G_GNUC_UNUSED guint32
test_crc32 (const guint8 *data,
            gsize         size,
            guint32       crc)
{
  crc = ~crc;
  for (gsize i = 0; i < size; i++)
    {
      crc ^= data[i];
      for (int bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }

  return ~crc;
}

static G_GNUC_UNUSED void
append_be32 (GByteArray *array,
             guint32     value)
{
  guint8 bytes[4] = { value >> 24, value >> 16, value >> 8, value };

  g_byte_array_append (array, bytes, 4);
}

static G_GNUC_UNUSED void
append_chunk (GByteArray   *png,
              const char   *type,
              const guint8 *data,
              gsize         size)
{
  guint32 crc;

  append_be32 (png, (guint32) size);
  g_byte_array_append (png, (const guint8 *) type, 4);
  if (size > 0)
    g_byte_array_append (png, data, (guint) size);
  crc = test_crc32 ((const guint8 *) type, 4, 0);
  crc = test_crc32 (data, size, crc);
  append_be32 (png, crc);
}

static G_GNUC_UNUSED GBytes *
zlib_compress (const guint8 *data,
               gsize         size)
{
  g_autoptr(GZlibCompressor) compressor = NULL;
  g_autoptr(GOutputStream) memory = NULL;
  g_autoptr(GOutputStream) stream = NULL;
  gsize written;

  compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 6);
  memory = g_memory_output_stream_new_resizable ();
  stream = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  g_assert_true (g_output_stream_write_all (stream, data, size, &written,
                                            NULL, NULL));
  g_assert_true (g_output_stream_close (stream, NULL, NULL));

  return g_memory_output_stream_steal_as_bytes (
           G_MEMORY_OUTPUT_STREAM (memory));
}

/* rows: height rows of width × samples × (bit_depth / 8) bytes, without
 * the filter byte.  palette: n_palette RGB triples for PNG_PALETTE. */
static G_GNUC_UNUSED GBytes *
make_png (int           width,
          int           height,
          int           bit_depth,
          int           color_type,
          const guint8 *rows,
          const guint8 *palette,
          int           n_palette)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                       '\n' };
  int samples = color_type == PNG_GREY ? 1 : color_type == PNG_RGB ? 3
                : color_type == PNG_PALETTE ? 1
                : color_type == PNG_GREY_ALPHA ? 2 : 4;
  gsize row_bytes = (gsize) width * samples * (bit_depth / 8);
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) compressed = NULL;
  GByteArray *png = g_byte_array_new ();
  guint8 ihdr[13];

  g_byte_array_append (png, signature, 8);

  ihdr[0] = width >> 24;
  ihdr[1] = width >> 16;
  ihdr[2] = width >> 8;
  ihdr[3] = width;
  ihdr[4] = height >> 24;
  ihdr[5] = height >> 16;
  ihdr[6] = height >> 8;
  ihdr[7] = height;
  ihdr[8] = bit_depth;
  ihdr[9] = color_type;
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  append_chunk (png, "IHDR", ihdr, 13);

  if (palette != NULL)
    append_chunk (png, "PLTE", palette, 3 * n_palette);

  for (int y = 0; y < height; y++)
    {
      guint8 filter = 0;

      g_byte_array_append (raw, &filter, 1);
      g_byte_array_append (raw, rows + y * row_bytes, (guint) row_bytes);
    }
  compressed = zlib_compress (raw->data, raw->len);
  append_chunk (png, "IDAT", g_bytes_get_data (compressed, NULL),
                g_bytes_get_size (compressed));
  append_chunk (png, "IEND", NULL, 0);

  return g_byte_array_free_to_bytes (png);
}

/* A PNG whose header claims width × height grey pixels, with a few bytes of
 * image data: a decompression bomb as far as the header goes. */
static G_GNUC_UNUSED GBytes *
make_huge_png (int width,
               int height)
{
  guint8 rows[64] = { 0 };

  /* make_png writes one filter byte per row; give it one short row and
   * patch nothing else — the decoder must stop at the header. */
  GBytes *small = make_png (16, 4, 8, PNG_GREY, rows, NULL, 0);
  gsize size;
  guint8 *data = g_bytes_unref_to_data (small, &size);
  guint32 crc;

  data[16] = width >> 24;
  data[17] = width >> 16;
  data[18] = width >> 8;
  data[19] = width;
  data[20] = height >> 24;
  data[21] = height >> 16;
  data[22] = height >> 8;
  data[23] = height;
  crc = test_crc32 (data + 12, 17, 0);
  data[29] = crc >> 24;
  data[30] = crc >> 16;
  data[31] = crc >> 8;
  data[32] = crc;

  return g_bytes_new_take (data, size);
}

/* A JPEG of pixbuf, with an EXIF APP1 segment carrying orientation when
 * orientation > 0. */
static G_GNUC_UNUSED GBytes *
make_jpeg (GdkPixbuf *pixbuf,
           int        orientation)
{
  /* "Exif\0\0", then a big-endian TIFF header and one IFD with one entry:
   * tag 0x0112 (Orientation), type SHORT, count 1, the value. */
  guint8 app1[] = {
    0xff, 0xe1, 0x00, 0x22,
    'E', 'x', 'i', 'f', 0, 0,
    'M', 'M', 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x01,
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
    0x00, (guint8) orientation, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
  };
  g_autofree char *buffer = NULL;
  gsize size;
  GByteArray *jpeg;

  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "jpeg",
                                            NULL, "quality", "100", NULL));
  g_assert_cmpuint (sizeof app1, ==, 2 + 0x22);

  jpeg = g_byte_array_new ();
  g_byte_array_append (jpeg, (const guint8 *) buffer, 2);
  if (orientation > 0)
    g_byte_array_append (jpeg, app1, sizeof app1);
  g_byte_array_append (jpeg, (const guint8 *) buffer + 2, (guint) size - 2);

  return g_byte_array_free_to_bytes (jpeg);
}

/* A solid-colour RGB pixbuf with a marker square of another colour in its
 * top-left corner. */
static G_GNUC_UNUSED GdkPixbuf *
make_marked_pixbuf (int     width,
                    int     height,
                    guint32 background,
                    guint32 marker,
                    int     marker_size)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width,
                                      height);
  g_autoptr(GdkPixbuf) square = NULL;

  gdk_pixbuf_fill (pixbuf, background);
  square = gdk_pixbuf_new_subpixbuf (pixbuf, 0, 0, marker_size, marker_size);
  gdk_pixbuf_fill (square, marker);

  return pixbuf;
}

static G_GNUC_UNUSED void
write_bytes (const char *path,
             GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
}

static G_GNUC_UNUSED void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}
