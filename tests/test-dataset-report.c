/* test-dataset-report.c — the report on a hand-made folder: duplicates
 * inside a class, across the classes and across the split, skipped files,
 * stored sizes, colour kinds and formats, and normalisation statistics
 * against values worked out by hand. */

#include <string.h>
#include <glib/gstdio.h>

#include "cnv.h"
#include "test-images-common.h"
#include "test-util.h"

static char *
make_dir (const char *parent,
          const char *name)
{
  char *path = g_build_filename (parent, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

/* A grey width × height PNG whose bytes depend on seed. */
static GBytes *
grey_png (int    width,
          int    height,
          guint8 seed)
{
  g_autofree guint8 *rows = g_malloc ((gsize) width * height);

  for (int i = 0; i < width * height; i++)
    rows[i] = (guint8) (i * 13 + seed * 41);

  return make_png (width, height, 8, PNG_GREY, rows, NULL, 0);
}

static void
write_png (const char *folder,
           const char *name,
           guint8      seed)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GBytes) png = grey_png (8, 8, seed);

  write_bytes (path, png);
}

static CnvDataset *
load (const char *folder,
      int         size,
      int         channels)
{
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  CnvDataset *dataset;

  cnv_preprocessing_init_default (&pp, size, size, channels);
  dataset = cnv_dataset_load (folder, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (dataset);

  return dataset;
}

static guint
index_of (const CnvDataset *dataset,
          const char       *relative)
{
  for (guint i = 0; i < dataset->n_images; i++)
    {
      g_autofree char *path = g_build_filename (dataset->folder, relative,
                                                NULL);

      if (g_str_equal (dataset->paths[i], path))
        return i;
    }
  g_error ("%s is not in the dataset", relative);
  return G_MAXUINT;
}

static void
assert_group (const CnvDuplicateGroup *group,
              guint                    n,
              const guint             *members)
{
  g_assert_cmpuint (group->n_members, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (group->members[i], ==, members[i]);
  g_assert_cmpuint (strlen (group->sha256), ==, 64);
}

/* cats: a = b (a twin inside the class), c, d, e, f;
 * dogs: g = c (the same bytes labelled twice), h, i, j, k, and a PNG cut
 * in half. */
static char *
make_duplicates_folder (void)
{
  char *root = g_dir_make_tmp ("cnv-report-XXXXXX", NULL);
  g_autofree char *cats = make_dir (root, "cats");
  g_autofree char *dogs = make_dir (root, "dogs");
  g_autofree char *cut = g_build_filename (dogs, "z-cut.png", NULL);
  g_autoptr(GBytes) whole = grey_png (8, 8, 99);
  g_autoptr(GBytes) half = g_bytes_new_from_bytes (whole, 0,
                                                   g_bytes_get_size (whole)
                                                   / 2);

  write_png (cats, "a.png", 1);
  write_png (cats, "b.png", 1);
  write_png (cats, "c.png", 2);
  write_png (cats, "d.png", 3);
  write_png (cats, "e.png", 4);
  write_png (cats, "f.png", 5);
  write_png (dogs, "g.png", 2);
  write_png (dogs, "h.png", 6);
  write_png (dogs, "i.png", 7);
  write_png (dogs, "j.png", 8);
  write_png (dogs, "k.png", 9);
  write_bytes (cut, half);

  return root;
}

static void
test_duplicates_by_class (void)
{
  g_autofree char *root = make_duplicates_folder ();
  g_autoptr(CnvDataset) dataset = load (root, 8, 1);
  g_autoptr(CnvDatasetReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const CnvSkippedFile *skipped;
  guint within[2], across[2];

  report = cnv_dataset_report_new (dataset, 0.2, 7, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);

  g_assert_cmpuint (report->n_images, ==, 11);
  g_assert_cmpuint (report->class_counts[0], ==, 6);
  g_assert_cmpuint (report->class_counts[1], ==, 5);
  g_assert_cmpfloat_with_epsilon (report->imbalance_ratio, 6.0 / 5.0, 1e-12);
  g_assert_cmpuint (report->n_unreadable, ==, 0);

  within[0] = index_of (dataset, "cats/a.png");
  within[1] = index_of (dataset, "cats/b.png");
  across[0] = index_of (dataset, "cats/c.png");
  across[1] = index_of (dataset, "dogs/g.png");

  g_assert_cmpuint (report->within_class->len, ==, 1);
  assert_group (g_ptr_array_index (report->within_class, 0), 2, within);
  g_assert_cmpuint (report->across_classes->len, ==, 1);
  assert_group (g_ptr_array_index (report->across_classes, 0), 2, across);
  g_assert_cmpuint (cnv_dataset_report_count_duplicated (report), ==, 4);
  g_assert_cmpstr (report->images[within[0]].sha256, ==,
                   report->images[within[1]].sha256);
  g_assert_cmpstr (report->images[within[0]].sha256, !=,
                   report->images[across[0]].sha256);

  /* The truncated file is listed with its reason, not in the report's
   * images. */
  g_assert_cmpuint (report->skipped->len, ==, 1);
  skipped = g_ptr_array_index (report->skipped, 0);
  g_assert_true (g_str_has_suffix (skipped->path, "z-cut.png"));
  g_assert_nonnull (strstr (skipped->reason, "truncated"));

  g_assert_true (test_remove_tree (root));
}

/* Whether some member of group is in validation and some in training,
 * by the split the training itself uses. */
static gboolean
straddles (const CnvDuplicateGroup *group,
           const GArray            *validation)
{
  guint in_validation = 0;

  for (guint m = 0; m < group->n_members; m++)
    for (guint v = 0; v < validation->len; v++)
      if (g_array_index (validation, guint, v) == group->members[m])
        in_validation++;

  return in_validation > 0 && in_validation < group->n_members;
}

static void
test_duplicates_across_split (void)
{
  g_autofree char *root = make_duplicates_folder ();
  g_autoptr(CnvDataset) dataset = load (root, 8, 1);
  g_autoptr(CnvDatasetReport) report = NULL;
  g_autoptr(GError) error = NULL;
  guint n_leaking = 0;
  guint n_clean = 0;

  report = cnv_dataset_report_new (dataset, 0.5, 1, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  /* A new split reads nothing: the files are gone and the groups still
   * follow. */
  g_assert_true (test_remove_tree (root));

  for (guint64 seed = 1; seed <= 40; seed++)
    {
      g_autoptr(GArray) train = NULL;
      g_autoptr(GArray) validation = NULL;
      g_autoptr(GPtrArray) expected = g_ptr_array_new ();
      const GPtrArray *lists[2] = { report->within_class,
                                    report->across_classes };

      cnv_dataset_report_set_split (report, 0.5, seed);
      cnv_dataset_split (dataset, 0.5, seed, &train, &validation);
      g_assert_cmpuint (report->n_train, ==, train->len);
      g_assert_cmpuint (report->n_validation, ==, validation->len);
      g_assert_cmpuint (report->seed, ==, seed);
      for (guint v = 0; v < validation->len; v++)
        g_assert_true (report->in_validation[g_array_index (validation,
                                                            guint, v)]);
      for (guint t = 0; t < train->len; t++)
        g_assert_false (report->in_validation[g_array_index (train, guint,
                                                             t)]);

      for (guint l = 0; l < 2; l++)
        for (guint i = 0; i < lists[l]->len; i++)
          if (straddles (g_ptr_array_index (lists[l], i), validation))
            g_ptr_array_add (expected, g_ptr_array_index (lists[l], i));

      g_assert_cmpuint (report->across_split->len, ==, expected->len);
      for (guint i = 0; i < expected->len; i++)
        g_assert_true (g_ptr_array_find (report->across_split,
                                         expected->pdata[i], NULL));
      n_leaking += expected->len > 0;
      n_clean += expected->len == 0;
    }

  /* Both cases happened among the seeds tried. */
  g_assert_cmpuint (n_leaking, >, 0);
  g_assert_cmpuint (n_clean, >, 0);

  /* With no validation there is nothing to leak into. */
  cnv_dataset_report_set_split (report, 0.0, 3);
  g_assert_cmpuint (report->across_split->len, ==, 0);
  g_assert_cmpuint (report->n_validation, ==, 0);
}

/* Known seeds, read once from cnv_dataset_split () with half the images
 * in validation: seed 7 puts b and c in validation and a and g in
 * training, so both twins straddle the split; seed 3 puts all four in
 * validation, so nothing leaks. */
static void
test_known_seed (void)
{
  g_autofree char *root = make_duplicates_folder ();
  g_autoptr(CnvDataset) dataset = load (root, 8, 1);
  g_autoptr(CnvDatasetReport) report = NULL;
  guint a = index_of (dataset, "cats/a.png");
  guint b = index_of (dataset, "cats/b.png");
  guint c = index_of (dataset, "cats/c.png");
  guint g = index_of (dataset, "dogs/g.png");

  report = cnv_dataset_report_new (dataset, 0.5, 7, NULL, NULL, NULL, NULL);
  g_assert_false (report->in_validation[a]);
  g_assert_true (report->in_validation[b]);
  g_assert_true (report->in_validation[c]);
  g_assert_false (report->in_validation[g]);
  g_assert_cmpuint (report->across_split->len, ==, 2);
  /* In the order of their first members: a's set, then c's. */
  g_assert_true (report->across_split->pdata[0]
                 == report->within_class->pdata[0]);
  g_assert_true (report->across_split->pdata[1]
                 == report->across_classes->pdata[0]);

  cnv_dataset_report_set_split (report, 0.5, 3);
  g_assert_true (report->in_validation[a] && report->in_validation[b]
                 && report->in_validation[c] && report->in_validation[g]);
  g_assert_cmpuint (report->across_split->len, ==, 0);
  /* The class groups do not depend on the split. */
  g_assert_cmpuint (report->within_class->len, ==, 1);
  g_assert_cmpuint (report->across_classes->len, ==, 1);

  g_assert_true (test_remove_tree (root));
}

static void
test_cancelled (void)
{
  g_autofree char *root = make_duplicates_folder ();
  g_autoptr(CnvDataset) dataset = load (root, 8, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  CnvDatasetReport *report;

  g_cancellable_cancel (cancellable);
  report = cnv_dataset_report_new (dataset, 0.2, 1, cancellable, NULL, NULL,
                                   &error);
  g_assert_null (report);
  g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_CANCELLED);

  g_assert_true (test_remove_tree (root));
}

/* A file removed after loading is counted, not hashed or grouped. */
static void
test_unreadable (void)
{
  g_autofree char *root = make_duplicates_folder ();
  g_autoptr(CnvDataset) dataset = load (root, 8, 1);
  g_autoptr(CnvDatasetReport) report = NULL;
  g_autofree char *b = g_build_filename (root, "cats", "b.png", NULL);

  g_assert_cmpint (g_unlink (b), ==, 0);
  report = cnv_dataset_report_new (dataset, 0.2, 1, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (report->n_unreadable, ==, 1);
  g_assert_cmpuint (report->within_class->len, ==, 0);
  g_assert_cmpstr (report->images[index_of (dataset, "cats/b.png")].sha256,
                   ==, "");

  g_assert_true (test_remove_tree (root));
}

static void
write_color_png (const char *folder,
                 const char *name,
                 int         width,
                 int         height,
                 int         color_type)
{
  int samples = color_type == PNG_GREY || color_type == PNG_PALETTE ? 1
                : color_type == PNG_RGB ? 3
                : color_type == PNG_GREY_ALPHA ? 2 : 4;
  g_autofree guint8 *rows = g_malloc0 ((gsize) width * height * samples);
  static const guint8 palette[6] = { 0, 0, 0, 255, 0, 0 };
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GBytes) png = NULL;

  for (int i = 0; i < width * height * samples; i++)
    rows[i] = color_type == PNG_PALETTE ? (guint8) (i % 2) : (guint8) (i * 7);
  png = make_png (width, height, 8, color_type, rows,
                  color_type == PNG_PALETTE ? palette : NULL, 2);
  write_bytes (path, png);
}

static void
write_jpeg (const char *folder,
            const char *name,
            int         width,
            int         height,
            int         orientation)
{
  g_autoptr(GdkPixbuf) pixbuf = make_marked_pixbuf (width, height, 0x204080ff,
                                                    0xffffffff, 2);
  g_autoptr(GBytes) jpeg = make_jpeg (pixbuf, orientation);
  g_autofree char *path = g_build_filename (folder, name, NULL);

  write_bytes (path, jpeg);
}

/* An uncompressed 24-bit BMP of width × height. */
static void
write_bmp (const char *folder,
           const char *name,
           int         width,
           int         height)
{
  guint stride = ((guint) width * 3 + 3) / 4 * 4;
  guint size = 54 + stride * (guint) height;
  g_autofree guint8 *bmp = g_malloc0 (size);
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GBytes) bytes = NULL;
  guint32 fields[][2] = {
    { 2, size }, { 10, 54 }, { 14, 40 }, { 18, (guint32) width },
    { 22, (guint32) height }, { 34, stride * (guint) height },
  };

  bmp[0] = 'B';
  bmp[1] = 'M';
  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    for (guint b = 0; b < 4; b++)
      bmp[fields[f][0] + b] = (guint8) (fields[f][1] >> (8 * b));
  bmp[26] = 1;    /* planes */
  bmp[28] = 24;   /* bits per pixel */
  for (guint i = 54; i < size; i++)
    bmp[i] = (guint8) i;

  bytes = g_bytes_new (bmp, size);
  write_bytes (path, bytes);
}

static const CnvImageFileInfo *
info_of (const CnvDatasetReport *report,
         const CnvDataset       *dataset,
         const char             *relative)
{
  return &report->images[index_of (dataset, relative)];
}

static void
assert_info (const CnvImageFileInfo *info,
             int                     width,
             int                     height,
             CnvColorKind            kind,
             const char             *format)
{
  g_assert_cmpint (info->width, ==, width);
  g_assert_cmpint (info->height, ==, height);
  g_assert_cmpint (info->color_kind, ==, kind);
  g_assert_cmpstr (info->format, ==, format);
}

static guint
count_of_size (const CnvDatasetReport *report,
               int                     width,
               int                     height)
{
  for (guint i = 0; i < report->sizes->len; i++)
    {
      const CnvSizeCount *size = &g_array_index (report->sizes, CnvSizeCount,
                                                 i);

      if (size->width == width && size->height == height)
        return size->count;
    }

  return 0;
}

static void
test_sizes_and_kinds (void)
{
  g_autofree char *root = g_dir_make_tmp ("cnv-report-XXXXXX", NULL);
  g_autofree char *one = make_dir (root, "one");
  g_autofree char *two = make_dir (root, "two");
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvDatasetReport) report = NULL;
  g_autoptr(GArray) bins = NULL;
  const CnvSizeBin *bin;
  const CnvFormatCount *format;

  write_color_png (one, "grey.png", 5, 3, PNG_GREY);
  write_color_png (one, "grey-alpha.png", 5, 3, PNG_GREY_ALPHA);
  write_color_png (one, "rgb.png", 7, 4, PNG_RGB);
  write_color_png (one, "rgba.png", 40, 30, PNG_RGBA);
  write_color_png (two, "palette.png", 6, 6, PNG_PALETTE);
  write_jpeg (two, "plain.jpg", 16, 8, 0);
  /* Stored 16 × 8; the EXIF tag turns it upright to 8 × 16 only when
   * decoding, and the report gives the size in the file. */
  write_jpeg (two, "rotated.jpg", 16, 8, 6);
  write_bmp (two, "picture.bmp", 9, 5);

  dataset = load (root, 4, 3);
  report = cnv_dataset_report_new (dataset, 0.2, 1, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (report->n_images, ==, 8);
  g_assert_cmpuint (report->skipped->len, ==, 0);

  assert_info (info_of (report, dataset, "one/grey.png"), 5, 3,
               CNV_COLOR_KIND_GREY, "PNG");
  assert_info (info_of (report, dataset, "one/grey-alpha.png"), 5, 3,
               CNV_COLOR_KIND_GREY_ALPHA, "PNG");
  assert_info (info_of (report, dataset, "one/rgb.png"), 7, 4,
               CNV_COLOR_KIND_RGB, "PNG");
  assert_info (info_of (report, dataset, "one/rgba.png"), 40, 30,
               CNV_COLOR_KIND_RGBA, "PNG");
  assert_info (info_of (report, dataset, "two/palette.png"), 6, 6,
               CNV_COLOR_KIND_PALETTE, "PNG");
  assert_info (info_of (report, dataset, "two/plain.jpg"), 16, 8,
               CNV_COLOR_KIND_RGB, "JPEG");
  assert_info (info_of (report, dataset, "two/rotated.jpg"), 16, 8,
               CNV_COLOR_KIND_RGB, "JPEG");
  assert_info (info_of (report, dataset, "two/picture.bmp"), 9, 5,
               CNV_COLOR_KIND_RGB, "BMP");

  /* Counts by kind, format and size. */
  g_assert_cmpuint (report->color_kinds[CNV_COLOR_KIND_GREY], ==, 1);
  g_assert_cmpuint (report->color_kinds[CNV_COLOR_KIND_GREY_ALPHA], ==, 1);
  g_assert_cmpuint (report->color_kinds[CNV_COLOR_KIND_RGB], ==, 4);
  g_assert_cmpuint (report->color_kinds[CNV_COLOR_KIND_RGBA], ==, 1);
  g_assert_cmpuint (report->color_kinds[CNV_COLOR_KIND_PALETTE], ==, 1);

  g_assert_cmpuint (report->formats->len, ==, 3);
  format = &g_array_index (report->formats, CnvFormatCount, 0);
  g_assert_cmpstr (format->format, ==, "PNG");
  g_assert_cmpuint (format->count, ==, 5);
  format = &g_array_index (report->formats, CnvFormatCount, 1);
  g_assert_cmpstr (format->format, ==, "JPEG");
  g_assert_cmpuint (format->count, ==, 2);
  format = &g_array_index (report->formats, CnvFormatCount, 2);
  g_assert_cmpstr (format->format, ==, "BMP");
  g_assert_cmpuint (format->count, ==, 1);

  g_assert_cmpuint (report->sizes->len, ==, 6);
  g_assert_cmpuint (count_of_size (report, 5, 3), ==, 2);
  g_assert_cmpuint (count_of_size (report, 16, 8), ==, 2);
  g_assert_cmpuint (count_of_size (report, 40, 30), ==, 1);
  /* Most common first, ties by width. */
  g_assert_cmpint (g_array_index (report->sizes, CnvSizeCount, 0).width,
                   ==, 5);
  g_assert_cmpint (g_array_index (report->sizes, CnvSizeCount, 1).width,
                   ==, 16);

  /* Longer sides 5 5 7 40 6 16 16 9: from 5 to 40 in 4 bins of 9. */
  bins = cnv_dataset_report_bin_sizes (report, 4);
  g_assert_cmpuint (bins->len, ==, 4);
  bin = &g_array_index (bins, CnvSizeBin, 0);
  g_assert_cmpint (bin->low, ==, 5);
  g_assert_cmpint (bin->high, ==, 14);
  g_assert_cmpuint (bin->count, ==, 5);
  g_assert_cmpuint (g_array_index (bins, CnvSizeBin, 1).count, ==, 2);
  g_assert_cmpuint (g_array_index (bins, CnvSizeBin, 2).count, ==, 0);
  g_assert_cmpuint (g_array_index (bins, CnvSizeBin, 3).count, ==, 1);
  g_assert_cmpint (g_array_index (bins, CnvSizeBin, 3).low, ==, 32);

  g_assert_true (test_remove_tree (root));
}

/* Headers the folder test cannot make: a one-component (grey) and a
 * four-component (CMYK) JPEG frame, an 8-bit BMP, a GIF, a PNM, and
 * something that is no image. */
static void
test_headers (void)
{
  /* SOI, an APP0 of 4 bytes, then SOF0: length 11, precision 8,
   * height 0x0102, width 0x0304, 1 component. */
  guint8 grey_jpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00,
    0xff, 0xc0, 0x00, 0x0b, 0x08, 0x01, 0x02, 0x03, 0x04, 0x01,
    0x01, 0x11, 0x00,
  };
  guint8 bmp[70] = { 'B', 'M' };
  static const guint8 gif[] = { 'G', 'I', 'F', '8', '9', 'a', 12, 0, 34, 0 };
  static const char pnm[] = "P5\n# a comment\n17 23\n255\n";
  CnvImageFileInfo info;

  g_assert_true (cnv_image_file_info_read (grey_jpeg, sizeof grey_jpeg,
                                           &info));
  assert_info (&info, 0x0304, 0x0102, CNV_COLOR_KIND_GREY, "JPEG");

  grey_jpeg[17] = 4;
  g_assert_true (cnv_image_file_info_read (grey_jpeg, sizeof grey_jpeg,
                                           &info));
  g_assert_cmpint (info.color_kind, ==, CNV_COLOR_KIND_CMYK);

  bmp[14] = 40;
  bmp[18] = 3;
  bmp[22] = 0xfe;   /* −2 as 32 bits: two rows, top down */
  bmp[23] = bmp[24] = bmp[25] = 0xff;
  bmp[28] = 8;
  g_assert_true (cnv_image_file_info_read (bmp, sizeof bmp, &info));
  assert_info (&info, 3, 2, CNV_COLOR_KIND_PALETTE, "BMP");

  g_assert_true (cnv_image_file_info_read (gif, sizeof gif, &info));
  assert_info (&info, 12, 34, CNV_COLOR_KIND_PALETTE, "GIF");

  g_assert_true (cnv_image_file_info_read ((const guint8 *) pnm,
                                           strlen (pnm), &info));
  assert_info (&info, 17, 23, CNV_COLOR_KIND_GREY, "PNM");

  g_assert_false (cnv_image_file_info_read ((const guint8 *) "hello", 5,
                                            &info));
  g_assert_null (info.format);
}

/* 2 × 2 images, so no resizing touches the values. */
static void
write_values (const char   *folder,
              const char   *name,
              int           color_type,
              const guint8 *values)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GBytes) png = make_png (2, 2, 8, color_type, values, NULL, 0);

  write_bytes (path, png);
}

static void
test_mean_std_grey (void)
{
  g_autofree char *root = g_dir_make_tmp ("cnv-report-XXXXXX", NULL);
  g_autofree char *a = make_dir (root, "a");
  g_autofree char *b = make_dir (root, "b");
  static const guint8 first[4] = { 0, 51, 102, 153 };
  static const guint8 second[4] = { 255, 255, 0, 0 };
  static const guint8 third[4] = { 10, 10, 10, 10 };
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  float mean[3], std[3];
  guint index;

  write_values (a, "1.png", PNG_GREY, first);
  write_values (a, "2.png", PNG_GREY, second);
  write_values (b, "3.png", PNG_GREY, third);
  dataset = load (root, 2, 1);

  /* By hand, on a/1 and a/2 only, scale 1/255: the values are
   * 0 .2 .4 .6 1 1 0 0; their mean is 3.2 / 8 = 0.4 and the mean of
   * their squares (0 .04 .16 .36 1 1 0 0) / 8 = 0.32, so the variance
   * is 0.32 − 0.16 = 0.16 and the std 0.4. */
  index = 0;
  g_array_append_val (indices, index);
  index = 1;
  g_array_append_val (indices, index);
  cnv_dataset_compute_mean_std (dataset, indices, 1.0f / 255.0f, mean, std);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.4, 1e-6);
  g_assert_cmpfloat_with_epsilon (std[0], 0.4, 1e-6);
  /* Channels the images do not have. */
  g_assert_cmpfloat (mean[1], ==, 0.0f);
  g_assert_cmpfloat (std[2], ==, 1.0f);

  /* All three, on the 0 … 255 scale: the values add 10 four times;
   * mean (816 + 40) / 12 = 71.333…, mean of squares
   * (0 + 2601 + 10404 + 23409 + 2 × 65025 + 4 × 100) / 12 = 13905.333…,
   * variance 13905.333 − 5088.444 = 8816.888…, std 93.898… */
  cnv_dataset_compute_mean_std (dataset, NULL, 1.0f, mean, std);
  g_assert_cmpfloat_with_epsilon (mean[0], 856.0 / 12.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (std[0], 93.8982, 1e-3);

  /* One flat image: no spread, std 1 rather than a division by zero. */
  index = 2;
  g_array_set_size (indices, 0);
  g_array_append_val (indices, index);
  cnv_dataset_compute_mean_std (dataset, indices, 1.0f / 255.0f, mean, std);
  g_assert_cmpfloat_with_epsilon (mean[0], 10.0 / 255.0, 1e-7);
  g_assert_cmpfloat (std[0], ==, 1.0f);

  g_assert_true (test_remove_tree (root));
}

static void
test_mean_std_rgb (void)
{
  g_autofree char *root = g_dir_make_tmp ("cnv-report-XXXXXX", NULL);
  g_autofree char *a = make_dir (root, "a");
  g_autofree char *b = make_dir (root, "b");
  /* Red 0 and 100, green all 200, blue 30 and 90, two pixels each. */
  static const guint8 first[12] = { 0, 200, 30, 100, 200, 90,
                                    0, 200, 30, 100, 200, 90 };
  g_autoptr(CnvDataset) dataset = NULL;
  float mean[3], std[3];

  write_values (a, "1.png", PNG_RGB, first);
  write_values (b, "2.png", PNG_RGB, first);
  dataset = load (root, 2, 3);

  cnv_dataset_compute_mean_std (dataset, NULL, 1.0f, mean, std);
  g_assert_cmpfloat_with_epsilon (mean[0], 50.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (std[0], 50.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (mean[1], 200.0, 1e-4);
  g_assert_cmpfloat (std[1], ==, 1.0f);
  g_assert_cmpfloat_with_epsilon (mean[2], 60.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (std[2], 30.0, 1e-4);

  g_assert_true (test_remove_tree (root));
}

/* The report of the bundled sample: 200 + 200 grey 28 × 28 PNGs. */
static void
test_sample (void)
{
  g_autofree char *folder = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                              "data", "sample", NULL);
  g_autoptr(CnvDataset) dataset = load (folder, 28, 1);
  g_autoptr(CnvDatasetReport) report = NULL;
  g_autoptr(GArray) bins = NULL;

  report = cnv_dataset_report_new (dataset, 0.2, 42, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (report->class_counts[0], ==, 200);
  g_assert_cmpuint (report->class_counts[1], ==, 200);
  g_assert_cmpfloat (report->imbalance_ratio, ==, 1.0);
  g_assert_cmpuint (report->sizes->len, ==, 1);
  g_assert_cmpuint (g_array_index (report->sizes, CnvSizeCount, 0).count,
                    ==, 400);
  g_assert_cmpuint (report->color_kinds[CNV_COLOR_KIND_GREY], ==, 400);
  g_assert_cmpuint (report->n_validation, ==, 80);
  g_assert_cmpuint (cnv_dataset_report_count_duplicated (report), ==, 0);

  bins = cnv_dataset_report_bin_sizes (report, 10);
  g_assert_cmpuint (bins->len, ==, 1);
  g_assert_cmpint (g_array_index (bins, CnvSizeBin, 0).low, ==, 28);
  g_assert_cmpuint (g_array_index (bins, CnvSizeBin, 0).count, ==, 400);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/dataset-report/duplicates-by-class",
                   test_duplicates_by_class);
  g_test_add_func ("/engine/dataset-report/duplicates-across-split",
                   test_duplicates_across_split);
  g_test_add_func ("/engine/dataset-report/known-seed", test_known_seed);
  g_test_add_func ("/engine/dataset-report/cancelled", test_cancelled);
  g_test_add_func ("/engine/dataset-report/unreadable", test_unreadable);
  g_test_add_func ("/engine/dataset-report/sizes-and-kinds",
                   test_sizes_and_kinds);
  g_test_add_func ("/engine/dataset-report/headers", test_headers);
  g_test_add_func ("/engine/dataset-report/mean-std-grey",
                   test_mean_std_grey);
  g_test_add_func ("/engine/dataset-report/mean-std-rgb", test_mean_std_rgb);
  g_test_add_func ("/engine/dataset-report/sample", test_sample);

  return g_test_run ();
}
