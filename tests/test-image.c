/* test-image.c — decoding, flattening, resizing and the preprocessing record */

#include <math.h>

#include <glib/gstdio.h>

#include "cnv.h"
#include "test-images-common.h"
#include "test-util.h"

static CnvImage *
load_bytes (GBytes                 *bytes,
            const CnvPreprocessing *pp,
            GError                **error)
{
  return cnv_image_load_bytes (bytes, "test image", pp, error);
}

static guint8
flatten_value (guint alpha,
               guint color,
               guint background)
{
  return (guint8) lround ((alpha * color + (255.0 - alpha) * background)
                          / 255.0);
}

static void
test_grey_png_exact (void)
{
  guint8 rows[28 * 28];
  g_autoptr(GBytes) png = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  for (int i = 0; i < 28 * 28; i++)
    rows[i] = (guint8) ((i * 37 + 11) % 256);
  png = make_png (28, 28, 8, PNG_GREY, rows, NULL, 0);

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 28);
  g_assert_cmpint (image->height, ==, 28);
  g_assert_cmpint (image->channels, ==, 1);
  g_assert_false (image->had_alpha);
  g_assert_false (image->was_color);
  g_assert_false (image->was_grey);
  g_assert_false (image->was_rotated);
  for (int i = 0; i < 28 * 28; i++)
    g_assert_cmpuint (image->pixels[i], ==, rows[i]);
}

static void
test_rgb_png_exact (void)
{
  guint8 rows[6 * 8 * 3];
  g_autoptr(GBytes) png = NULL;
  g_autoptr(CnvImage) rgb = NULL;
  g_autoptr(CnvImage) grey = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  for (int i = 0; i < 6 * 8 * 3; i++)
    rows[i] = (guint8) ((i * 53 + 7) % 256);
  png = make_png (8, 6, 8, PNG_RGB, rows, NULL, 0);

  cnv_preprocessing_init_default (&pp, 8, 6, 3);
  rgb = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rgb->channels, ==, 3);
  g_assert_false (rgb->was_grey);
  g_assert_cmpmem (rgb->pixels, 6 * 8 * 3, rows, sizeof rows);

  /* The same file on a grey model: BT.601 luma, rounded. */
  cnv_preprocessing_init_default (&pp, 8, 6, 1);
  grey = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  g_assert_true (grey->was_color);
  for (int i = 0; i < 6 * 8; i++)
    {
      double luma = 0.299 * rows[3 * i] + 0.587 * rows[3 * i + 1]
                    + 0.114 * rows[3 * i + 2];

      g_assert_cmpuint (grey->pixels[i], ==, (guint) lround (luma));
    }
}

static void
check_rgba_on (guint8 background)
{
  /* Four pixels: opaque, half, quarter and fully transparent. */
  static const guint8 rows[] = {
    200, 100, 0, 255,   200, 100, 0, 128,
    10, 250, 60, 64,    90, 90, 90, 0,
  };
  g_autoptr(GBytes) png = make_png (2, 2, 8, PNG_RGBA, rows, NULL, 0);
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 2, 2, 3);
  memset (pp.background, background, 3);
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  g_assert_true (image->had_alpha);

  for (int i = 0; i < 4; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpuint (image->pixels[3 * i + c], ==,
                        flatten_value (rows[4 * i + 3], rows[4 * i + c],
                                       background));

  /* Spot-check the arithmetic itself: 128·200 + 127·255 over 255 = 227.4. */
  if (background == 255)
    g_assert_cmpuint (image->pixels[3], ==, 227);
  else
    g_assert_cmpuint (image->pixels[3], ==, 100);
}

static void
test_rgba_flattened (void)
{
  check_rgba_on (255);
  check_rgba_on (0);
}

static void
test_grey_alpha (void)
{
  static const guint8 rows[] = { 40, 255, 40, 128, 200, 0, 0, 64 };
  g_autoptr(GBytes) png = make_png (2, 2, 8, PNG_GREY_ALPHA, rows, NULL, 0);
  g_autoptr(CnvImage) grey = NULL;
  g_autoptr(CnvImage) rgb = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 2, 2, 1);
  grey = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  g_assert_true (grey->had_alpha);
  g_assert_false (grey->was_color);
  for (int i = 0; i < 4; i++)
    g_assert_cmpuint (grey->pixels[i], ==,
                      flatten_value (rows[2 * i + 1], rows[2 * i], 255));

  cnv_preprocessing_init_default (&pp, 2, 2, 3);
  pp.background[0] = 0;
  pp.background[1] = 100;
  pp.background[2] = 255;
  rgb = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  /* A grey image on a colour model says so, whatever the background. */
  g_assert_true (rgb->was_grey);
  g_assert_no_error (error);
  for (int i = 0; i < 4; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpuint (rgb->pixels[3 * i + c], ==,
                        flatten_value (rows[2 * i + 1], rows[2 * i],
                                       pp.background[c]));
}

static void
test_palette_png (void)
{
  static const guint8 palette[] = { 255, 0, 0, 0, 0, 255, 30, 60, 90 };
  static const guint8 rows[] = { 0, 1, 2, 2, 1, 0 };
  g_autoptr(GBytes) png = make_png (3, 2, 8, PNG_PALETTE, rows, palette, 3);
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 3, 2, 3);
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 6; i++)
    g_assert_cmpmem (image->pixels + 3 * i, 3, palette + 3 * rows[i], 3);
}

static void
test_gif (void)
{
  /* palette-4x2.gif, made with ImageMagick from a plain PPM. */
  static const guint8 expected[] = {
    255, 0, 0,   0, 255, 0,   0, 0, 255,       255, 255, 255,
    0, 0, 0,     128, 128, 128,   255, 255, 0,  0, 255, 255,
  };
  const char *path = g_test_get_filename (G_TEST_DIST, "images",
                                          "palette-4x2.gif", NULL);
  g_autoptr(CnvImage) rgb = NULL;
  g_autoptr(CnvImage) grey = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 4, 2, 3);
  rgb = cnv_image_load (path, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (rgb->pixels, 4 * 2 * 3, expected, sizeof expected);

  cnv_preprocessing_init_default (&pp, 4, 2, 1);
  grey = cnv_image_load (path, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (grey->pixels[0], ==, 76);   /* 0.299 × 255 */
  g_assert_cmpuint (grey->pixels[1], ==, 150);  /* 0.587 × 255 */
  g_assert_cmpuint (grey->pixels[2], ==, 29);   /* 0.114 × 255 */
  g_assert_cmpuint (grey->pixels[3], ==, 255);
  g_assert_cmpuint (grey->pixels[5], ==, 128);
}

static void
test_16bit_matches_8bit (void)
{
  guint8 rows16[2 * 64 * 2];
  guint8 rows8[2 * 64];
  g_autoptr(GBytes) png16 = NULL;
  g_autoptr(GBytes) png8 = NULL;
  g_autoptr(CnvImage) image16 = NULL;
  g_autoptr(CnvImage) image8 = NULL;
  g_autoptr(GError) error = NULL;
  float input16[64 * 2];
  float input8[64 * 2];
  CnvPreprocessing pp;

  /* A gradient over the whole 16-bit range, and its 8-bit rounding. */
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 64; x++)
      {
        guint value = (guint) (x * 65535 / 63 + y * 77) % 65536;
        int i = y * 64 + x;

        rows16[2 * i] = value >> 8;
        rows16[2 * i + 1] = value & 0xff;
        rows8[i] = (guint8) lround (value / 257.0);
      }
  png16 = make_png (64, 2, 16, PNG_GREY, rows16, NULL, 0);
  png8 = make_png (64, 2, 8, PNG_GREY, rows8, NULL, 0);

  cnv_preprocessing_init_default (&pp, 64, 2, 1);
  image16 = load_bytes (png16, &pp, &error);
  g_assert_no_error (error);
  image8 = load_bytes (png8, &pp, &error);
  g_assert_no_error (error);

  cnv_image_to_input (image16->pixels, &pp, input16);
  cnv_image_to_input (image8->pixels, &pp, input8);
  for (int i = 0; i < 128; i++)
    {
      g_assert_cmpint (abs ((int) image16->pixels[i] - image8->pixels[i]), <=,
                       1);
      g_assert_cmpfloat (input16[i], >=, 0.0f);
      g_assert_cmpfloat (input16[i], <=, 1.0f);
      g_assert_cmpfloat_with_epsilon (input16[i], input8[i], 1.0 / 255 + 1e-6);
    }
  g_assert_cmpuint (image16->pixels[0], ==, 0);
  g_assert_cmpuint (image16->pixels[63], ==, 255);
}

static void
test_cmyk_jpeg (void)
{
  const char *path = g_test_get_filename (G_TEST_DIST, "images",
                                          "cmyk-red-8x8.jpg", NULL);
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 8, 8, 3);
  image = cnv_image_load (path, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->channels, ==, 3);
  g_assert_cmpint (image->original_width, ==, 8);
  g_assert_cmpint (image->original_height, ==, 8);
  /* Red stays clearly red, whatever the CMYK conversion's details. */
  g_assert_cmpuint (image->pixels[0], >, 200);
  g_assert_cmpuint (image->pixels[1], <, 80);
  g_assert_cmpuint (image->pixels[2], <, 80);
}

static void
test_exif_orientation (void)
{
  /* Stored 40 wide × 20 high, white with a red 8 × 8 square top-left.
   * Orientation 6 means "rotate 90° clockwise to view", so a viewer shows
   * 20 × 40 with the square at the top-right. */
  g_autoptr(GdkPixbuf) stored = make_marked_pixbuf (40, 20, 0xffffffff,
                                                    0xff0000ff, 8);
  g_autoptr(GBytes) jpeg = make_jpeg (stored, 6);
  g_autoptr(CnvImage) upright = NULL;
  g_autoptr(CnvImage) raw = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  const guint8 *p;

  cnv_preprocessing_init_default (&pp, 20, 40, 3);
  upright = load_bytes (jpeg, &pp, &error);
  g_assert_no_error (error);
  g_assert_true (upright->was_rotated);
  g_assert_cmpint (upright->original_width, ==, 20);
  g_assert_cmpint (upright->original_height, ==, 40);

  /* Top-right (x 16, y 3) red; top-left and bottom-right white. */
  p = upright->pixels + (3 * 20 + 16) * 3;
  g_assert_cmpuint (p[0], >, 200);
  g_assert_cmpuint (p[1], <, 60);
  p = upright->pixels + (3 * 20 + 3) * 3;
  g_assert_cmpuint (p[1], >, 200);
  p = upright->pixels + (36 * 20 + 16) * 3;
  g_assert_cmpuint (p[1], >, 200);

  /* With the rule off, the stored layout comes through. */
  cnv_preprocessing_init_default (&pp, 40, 20, 3);
  pp.apply_exif = FALSE;
  raw = load_bytes (jpeg, &pp, &error);
  g_assert_no_error (error);
  g_assert_false (raw->was_rotated);
  g_assert_cmpint (raw->original_width, ==, 40);
  p = raw->pixels + (3 * 40 + 3) * 3;
  g_assert_cmpuint (p[0], >, 200);
  g_assert_cmpuint (p[1], <, 60);
}

static void
check_truncated (GBytes *whole,
                 gsize   keep)
{
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes (whole, 0, keep);
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  image = load_bytes (cut, &pp, &error);
  g_assert_null (image);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "test image"));
}

/* A BMP header whose rows, stride × height = 2^33 × 2^31 bytes, wrap a
 * 64-bit count to 0: it must count as cut short, not as complete. */
static void
test_bmp_row_size_overflow (void)
{
  guint8 bmp[54 + 16] = { 'B', 'M' };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  /* file size, pixel data offset 54, BITMAPINFOHEADER of 40 bytes */
  bmp[2] = sizeof bmp;
  bmp[10] = 54;
  bmp[14] = 40;
  /* width = height = −2^31 (|·| = 2^31), 1 plane, 32 bits, BI_RGB */
  bmp[21] = 0x80;
  bmp[25] = 0x80;
  bmp[26] = 1;
  bmp[28] = 32;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  bytes = g_bytes_new (bmp, sizeof bmp);
  image = load_bytes (bytes, &pp, &error);
  g_assert_null (image);
  g_test_message ("%s", error->message);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "last row of pixels"));
}

static void
test_truncated (void)
{
  guint8 rows[28 * 28];
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GBytes) jpeg = NULL;
  g_autoptr(GBytes) padded = NULL;
  g_autoptr(GdkPixbuf) pixbuf = make_marked_pixbuf (64, 64, 0x336699ff,
                                                    0xffffffff, 16);
  g_autoptr(GBytes) bmp = NULL;
  g_autofree char *bmp_data = NULL;
  gsize bmp_size;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  GByteArray *array;
  CnvPreprocessing pp;

  for (int i = 0; i < 28 * 28; i++)
    rows[i] = (guint8) (i * 7919 % 251);
  png = make_png (28, 28, 8, PNG_GREY, rows, NULL, 0);
  jpeg = make_jpeg (pixbuf, 0);

  check_truncated (png, g_bytes_get_size (png) / 2);
  check_truncated (png, g_bytes_get_size (png) - 4);  /* IEND's CRC cut */
  check_truncated (jpeg, g_bytes_get_size (jpeg) * 6 / 10);
  check_truncated (jpeg, g_bytes_get_size (jpeg) - 2);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &bmp_data, &bmp_size,
                                            "bmp", NULL, NULL));
  bmp = g_bytes_new_take (g_steal_pointer (&bmp_data), bmp_size);
  check_truncated (bmp, bmp_size / 2);
  check_truncated (bmp, bmp_size - 1);

  /* The whole BMP loads, with its marker square where it was. */
  cnv_preprocessing_init_default (&pp, 64, 64, 3);
  image = load_bytes (bmp, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (image->pixels[0], ==, 255);
  g_assert_cmpuint (image->pixels[(20 * 64 + 20) * 3 + 2], ==, 0x99);
  g_clear_pointer (&image, cnv_image_free);

  /* Zero padding after the JPEG end marker is not truncation. */
  array = g_byte_array_new ();
  g_byte_array_append (array, g_bytes_get_data (jpeg, NULL),
                       (guint) g_bytes_get_size (jpeg));
  g_byte_array_append (array, (const guint8 *) "\0\0\0\0", 4);
  padded = g_byte_array_free_to_bytes (array);
  cnv_preprocessing_init_default (&pp, 64, 64, 3);
  image = load_bytes (padded, &pp, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);
}

static void
test_empty_and_not_an_image (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cnv-image-XXXXXX", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.png", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.jpg", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  write_text (empty, "");
  write_text (text, "These are my holiday notes, not a photograph.\n");

  image = cnv_image_load (empty, &pp, &error);
  g_assert_null (image);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "empty.png"));
  g_clear_error (&error);

  image = cnv_image_load (text, &pp, &error);
  g_assert_null (image);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_NOT_AN_IMAGE);
  g_assert_nonnull (strstr (error->message, "notes.jpg"));
  g_clear_error (&error);

  image = cnv_image_load (missing, &pp, &error);
  g_assert_null (image);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_UNREADABLE);
  g_assert_nonnull (strstr (error->message, "missing.png"));

  g_assert_cmpint (g_remove (empty), ==, 0);
  g_assert_cmpint (g_remove (text), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_huge_dimensions (void)
{
  g_autoptr(GBytes) huge = make_huge_png (100000, 100000);
  g_autoptr(GBytes) wide = make_huge_png (CNV_IMAGE_MAX_SIDE + 1, 1);
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  g_assert_cmpuint (g_bytes_get_size (huge), <, 200);

  image = load_bytes (huge, &pp, &error);
  g_assert_null (image);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "100000"));
  g_clear_error (&error);

  image = load_bytes (wide, &pp, &error);
  g_assert_null (image);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_TOO_LARGE);
}

/* 4 × 2, both rows: red, green, blue, white. */
static GBytes *
make_stripes (void)
{
  static const guint8 row[] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255 };
  guint8 rows[24];

  memcpy (rows, row, 12);
  memcpy (rows + 12, row, 12);
  return make_png (4, 2, 8, PNG_RGB, rows, NULL, 0);
}

static void
assert_pixel (const CnvImage *image,
              int             x,
              int             y,
              guint8          r,
              guint8          g,
              guint8          b)
{
  const guint8 *p = image->pixels + (y * image->width + x) * 3;

  if (p[0] != r || p[1] != g || p[2] != b)
    g_error ("pixel (%d, %d) is (%u, %u, %u), expected (%u, %u, %u)",
             x, y, p[0], p[1], p[2], r, g, b);
}

static void
test_center_crop (void)
{
  g_autoptr(GBytes) png = make_stripes ();
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  /* 4 × 2 into 2 × 2: the short side already fits, the middle two
   * columns (green, blue) remain. */
  cnv_preprocessing_init_default (&pp, 2, 2, 3);
  pp.resize_mode = CNV_RESIZE_CENTER_CROP;
  pp.interpolation = CNV_INTERP_NEAREST;
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->original_width, ==, 4);
  for (int y = 0; y < 2; y++)
    {
      assert_pixel (image, 0, y, 0, 255, 0);
      assert_pixel (image, 1, y, 0, 0, 255);
    }
  g_clear_pointer (&image, cnv_image_free);

  /* 4 × 2 into 4 × 4: scale 2, crop two columns on each side. */
  cnv_preprocessing_init_default (&pp, 4, 4, 3);
  pp.resize_mode = CNV_RESIZE_CENTER_CROP;
  pp.interpolation = CNV_INTERP_NEAREST;
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  for (int y = 0; y < 4; y++)
    {
      assert_pixel (image, 0, y, 0, 255, 0);
      assert_pixel (image, 1, y, 0, 255, 0);
      assert_pixel (image, 2, y, 0, 0, 255);
      assert_pixel (image, 3, y, 0, 0, 255);
    }
}

static void
test_letterbox (void)
{
  g_autoptr(GBytes) png = make_stripes ();
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  static const guint8 colors[4][3] = {
    { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 255, 255, 255 },
  };

  /* 4 × 2 into 8 × 8: scale 2 gives 8 × 4, centred with two rows of pad
   * above and below. */
  cnv_preprocessing_init_default (&pp, 8, 8, 3);
  pp.resize_mode = CNV_RESIZE_LETTERBOX;
  pp.interpolation = CNV_INTERP_NEAREST;
  pp.pad_color[0] = 10;
  pp.pad_color[1] = 20;
  pp.pad_color[2] = 30;
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);

  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++)
      {
        if (y < 2 || y >= 6)
          assert_pixel (image, x, y, 10, 20, 30);
        else
          assert_pixel (image, x, y, colors[x / 2][0], colors[x / 2][1],
                        colors[x / 2][2]);
      }
  g_clear_pointer (&image, cnv_image_free);

  /* A stretch to the same 8 × 8 has no padding: row 0 is the image. */
  pp.resize_mode = CNV_RESIZE_STRETCH;
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  assert_pixel (image, 0, 0, 255, 0, 0);
  assert_pixel (image, 7, 7, 255, 255, 255);
}

static void
test_bilinear_keeps_flat_color (void)
{
  guint8 rows[10 * 7 * 3];
  g_autoptr(GBytes) png = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  for (int i = 0; i < 10 * 7; i++)
    {
      rows[3 * i] = 12;
      rows[3 * i + 1] = 140;
      rows[3 * i + 2] = 250;
    }
  png = make_png (10, 7, 8, PNG_RGB, rows, NULL, 0);

  cnv_preprocessing_init_default (&pp, 5, 13, 3);
  image = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 5 * 13; i++)
    assert_pixel (image, i % 5, i / 5, 12, 140, 250);
}

static void
test_interpolation (void)
{
  static const guint8 rows[] = { 0, 255 };
  g_autoptr(GBytes) png = make_png (2, 1, 8, PNG_GREY, rows, NULL, 0);
  g_autoptr(CnvImage) nearest = NULL;
  g_autoptr(CnvImage) bilinear = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_between = FALSE;
  CnvPreprocessing pp;

  /* 2 × 1 black, white, stretched to 8 × 1. */
  cnv_preprocessing_init_default (&pp, 8, 1, 1);
  pp.interpolation = CNV_INTERP_NEAREST;
  nearest = load_bytes (png, &pp, &error);
  g_assert_no_error (error);
  pp.interpolation = CNV_INTERP_BILINEAR;
  bilinear = load_bytes (png, &pp, &error);
  g_assert_no_error (error);

  /* Nearest copies source values: four black then four white. */
  for (int x = 0; x < 8; x++)
    g_assert_cmpuint (nearest->pixels[x], ==, x < 4 ? 0 : 255);

  /* Bilinear blends across the edge and keeps the order. */
  for (int x = 0; x < 8; x++)
    {
      if (bilinear->pixels[x] > 0 && bilinear->pixels[x] < 255)
        has_between = TRUE;
      if (x > 0)
        g_assert_cmpuint (bilinear->pixels[x], >=, bilinear->pixels[x - 1]);
    }
  g_assert_true (has_between);
  g_assert_cmpuint (bilinear->pixels[0], <, 64);
  g_assert_cmpuint (bilinear->pixels[7], >, 191);
}

static void
test_file_too_big (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cnv-image-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "big.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  /* A sparse 300 MB file: refused by its size, never read. */
  stream = g_file_create (file, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_seekable_truncate (G_SEEKABLE (stream), (goffset) 300 * 1024 * 1024,
                       NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &error);
  g_assert_no_error (error);

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  image = cnv_image_load (path, &pp, &error);
  g_assert_null (image);
  g_assert_error (error, CNV_IMAGE_ERROR, CNV_IMAGE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "big.png"));

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_to_input (void)
{
  /* 2 × 1 RGB, HWC: (0, 51, 255) (255, 102, 10). */
  static const guint8 pixels[] = { 0, 51, 255, 255, 102, 10 };
  float input[6];
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 2, 1, 3);
  cnv_image_to_input (pixels, &pp, input);
  /* CHW: R plane, then G, then B. */
  g_assert_cmpfloat_with_epsilon (input[0], 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (input[1], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (input[2], 0.2, 1e-7);
  g_assert_cmpfloat_with_epsilon (input[3], 0.4, 1e-7);
  g_assert_cmpfloat_with_epsilon (input[4], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (input[5], 10.0 / 255, 1e-7);

  pp.mean[0] = 0.5f;
  pp.mean[1] = 0.25f;
  pp.mean[2] = -1.0f;
  pp.std[0] = 0.5f;
  pp.std[1] = 2.0f;
  pp.std[2] = 4.0f;
  cnv_image_to_input (pixels, &pp, input);
  g_assert_cmpfloat_with_epsilon (input[0], (0.0 - 0.5) / 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (input[1], (1.0 - 0.5) / 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (input[2], (0.2 - 0.25) / 2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (input[3], (0.4 - 0.25) / 2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (input[4], (1.0 + 1.0) / 4.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (input[5], (10.0 / 255 + 1.0) / 4.0, 1e-6);
}

/* Images long enough for the vectorised loops and their tails, in one
 * and three channels: every value has exactly the bits of the formula. */
static void
test_to_input_long (void)
{
  enum { W = 37, H = 5, PLANE = W * H };
  const int counts[] = { 1, 3 };

  for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
    {
      int channels = counts[k];
      g_autofree guint8 *pixels = g_new (guint8, PLANE * channels);
      g_autofree float *input = g_new (float, PLANE * channels);
      CnvPreprocessing pp;

      for (int i = 0; i < PLANE * channels; i++)
        pixels[i] = (guint8) ((i * 97 + 13) % 256);
      cnv_preprocessing_init_default (&pp, W, H, channels);
      for (int c = 0; c < channels; c++)
        {
          pp.mean[c] = 0.1f + 0.2f * (float) c;
          pp.std[c] = 0.3f + 0.25f * (float) c;
        }
      cnv_image_to_input (pixels, &pp, input);

      for (int c = 0; c < channels; c++)
        for (int i = 0; i < PLANE; i++)
          {
            float expected = ((float) pixels[i * channels + c] * pp.scale
                              - pp.mean[c]) / pp.std[c];

            g_assert_cmpfloat (input[c * PLANE + i], ==, expected);
          }
    }
}

static void
test_json_round_trip (void)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  CnvPreprocessing back;
  JsonObject *object;

  cnv_preprocessing_init_default (&pp, 32, 24, 3);
  pp.apply_exif = FALSE;
  pp.background[1] = 7;
  pp.resize_mode = CNV_RESIZE_LETTERBOX;
  pp.interpolation = CNV_INTERP_NEAREST;
  pp.pad_color[2] = 200;
  pp.mean[0] = 0.485f;
  pp.mean[1] = 0.456f;
  pp.mean[2] = 0.406f;
  pp.std[0] = 0.229f;
  pp.std[1] = 0.224f;
  pp.std[2] = 0.225f;

  node = cnv_preprocessing_to_json_node (&pp);
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (object), ==, 11);
  g_assert_cmpstr (json_object_get_string_member (object, "color_mode"), ==,
                   "rgb");
  g_assert_cmpstr (json_object_get_string_member (object, "resize_mode"), ==,
                   "letterbox");
  g_assert_cmpstr (json_object_get_string_member (object, "interpolation"),
                   ==, "nearest");
  g_assert_cmpuint (json_array_get_length (
                      json_object_get_array_member (object, "mean")), ==, 3);

  /* Through text, as in a checkpoint. */
  text = json_to_string (node, FALSE);
  again = test_parse_json (text);
  g_assert_true (cnv_preprocessing_from_json_node (again, &back, &error));
  g_assert_no_error (error);
  g_assert_true (cnv_preprocessing_equal (&pp, &back));
  g_assert_true (back.scale == 1.0f / 255.0f);

  /* Every field takes part in the comparison. */
  back.pad_color[0] = 1;
  g_assert_false (cnv_preprocessing_equal (&pp, &back));
  back.pad_color[0] = pp.pad_color[0];
  back.std[2] = 0.3f;
  g_assert_false (cnv_preprocessing_equal (&pp, &back));
  back.std[2] = pp.std[2];
  back.apply_exif = TRUE;
  g_assert_false (cnv_preprocessing_equal (&pp, &back));
}

static void
check_json_error (const char *text,
                  const char *field)
{
  g_autoptr(JsonNode) node = test_parse_json (text);
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  g_assert_false (cnv_preprocessing_from_json_node (node, &pp, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, field) == NULL)
    g_error ("“%s” does not name %s", error->message, field);
}

#define GOOD_FIELDS \
  "\"width\": 28, \"height\": 28, \"color_mode\": \"grayscale\", " \
  "\"apply_exif\": true, \"background\": [255, 255, 255], " \
  "\"resize_mode\": \"stretch\", \"interpolation\": \"bilinear\", " \
  "\"pad_color\": [0, 0, 0], \"scale\": 0.00392156862745098"

static void
test_json_errors (void)
{
  g_autoptr(JsonNode) node = test_parse_json ("{" GOOD_FIELDS ", \"mean\": [0.5], "
                                    "\"std\": [0.25]}");
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  g_assert_true (cnv_preprocessing_from_json_node (node, &pp, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cnv_preprocessing_get_channels (&pp), ==, 1);
  g_assert_cmpfloat (pp.mean[0], ==, 0.5f);
  g_assert_cmpfloat (pp.std[0], ==, 0.25f);

  check_json_error ("{" GOOD_FIELDS ", \"mean\": [0], \"std\": [1], "
                    "\"gamma\": 2.2}", "gamma");
  check_json_error ("{" GOOD_FIELDS ", \"mean\": [0]}", "std");
  check_json_error ("{" GOOD_FIELDS ", \"mean\": [0, 0, 0], \"std\": [1]}",
                    "mean");
  check_json_error ("{" GOOD_FIELDS ", \"mean\": [0], \"std\": [0]}", "std");
  check_json_error ("{\"width\": 28, \"height\": 28, \"color_mode\": \"cmyk\"}",
                    "color_mode");
  check_json_error ("{\"width\": -3}", "width");
  check_json_error ("{\"width\": 28, \"height\": 28, \"color_mode\": \"rgb\", "
                    "\"apply_exif\": true, \"background\": [255, 255, 300]}",
                    "background");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/image/grey-png-exact", test_grey_png_exact);
  g_test_add_func ("/engine/image/rgb-png-exact-and-luma", test_rgb_png_exact);
  g_test_add_func ("/engine/image/rgba-flattened-on-background",
                   test_rgba_flattened);
  g_test_add_func ("/engine/image/grey-alpha", test_grey_alpha);
  g_test_add_func ("/engine/image/palette-png", test_palette_png);
  g_test_add_func ("/engine/image/gif", test_gif);
  g_test_add_func ("/engine/image/16-bit-png-matches-8-bit-twin",
                   test_16bit_matches_8bit);
  g_test_add_func ("/engine/image/cmyk-jpeg", test_cmyk_jpeg);
  g_test_add_func ("/engine/image/exif-orientation-6-upright",
                   test_exif_orientation);
  g_test_add_func ("/engine/image/truncated-png-and-jpeg", test_truncated);
  g_test_add_func ("/engine/image/bmp-row-size-overflow-is-truncated",
                   test_bmp_row_size_overflow);
  g_test_add_func ("/engine/image/empty-text-and-missing",
                   test_empty_and_not_an_image);
  g_test_add_func ("/engine/image/huge-dimensions-refused-before-decoding",
                   test_huge_dimensions);
  g_test_add_func ("/engine/image/center-crop-geometry", test_center_crop);
  g_test_add_func ("/engine/image/letterbox-geometry", test_letterbox);
  g_test_add_func ("/engine/image/bilinear-keeps-flat-color",
                   test_bilinear_keeps_flat_color);
  g_test_add_func ("/engine/image/nearest-and-bilinear", test_interpolation);
  g_test_add_func ("/engine/image/file-over-256-mb-refused",
                   test_file_too_big);
  g_test_add_func ("/engine/image/to-input", test_to_input);
  g_test_add_func ("/engine/image/to-input-long", test_to_input_long);
  g_test_add_func ("/engine/image/json-round-trip", test_json_round_trip);
  g_test_add_func ("/engine/image/json-errors-name-the-field",
                   test_json_errors);

  return g_test_run ();
}
