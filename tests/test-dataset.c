/* test-dataset.c — folders of class subfolders, what loads and what is
 * skipped, class order, the split, file listing for prediction */

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

static void
write_png_file (const char *folder,
                const char *name,
                int         width,
                int         height,
                int         bit_depth,
                int         color_type,
                guint8      seed)
{
  int samples = color_type == PNG_GREY ? 1 : color_type == PNG_RGB ? 3
                : color_type == PNG_GREY_ALPHA ? 2 : 4;
  gsize size = (gsize) width * height * samples * (bit_depth / 8);
  g_autofree guint8 *rows = g_malloc (size);
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GBytes) png = NULL;

  for (gsize i = 0; i < size; i++)
    rows[i] = (guint8) (i * 31 + seed * 17);
  png = make_png (width, height, bit_depth, color_type, rows, NULL, 0);
  write_bytes (path, png);
}

static void
write_jpeg_file (const char *folder,
                 const char *name,
                 int         orientation,
                 gsize       keep)
{
  g_autoptr(GdkPixbuf) pixbuf = make_marked_pixbuf (16, 8, 0x204080ff,
                                                    0xffffffff, 4);
  g_autoptr(GBytes) jpeg = make_jpeg (pixbuf, orientation);
  g_autoptr(GBytes) part = NULL;
  g_autofree char *path = g_build_filename (folder, name, NULL);

  part = g_bytes_new_from_bytes (jpeg, 0,
                                 keep > 0 ? keep : g_bytes_get_size (jpeg));
  write_bytes (path, part);
}

static void
copy_fixture (const char *folder,
              const char *fixture,
              const char *name)
{
  g_autofree char *contents = NULL;
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize size;

  g_file_get_contents (g_test_get_filename (G_TEST_DIST, "images", fixture,
                                            NULL),
                       &contents, &size, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, contents, size, &error);
  g_assert_no_error (error);
}

/* Dogs/: 4 good images and 4 bad files; cats/: 5 good, 2 bad, a subfolder
 * and a hidden file; README.txt at the top. */
static char *
make_mixed_dataset (void)
{
  char *root = g_dir_make_tmp ("cnv-dataset-XXXXXX", NULL);
  g_autofree char *dogs = make_dir (root, "Dogs");
  g_autofree char *cats = make_dir (root, "cats");
  g_autofree char *nested = make_dir (cats, "nested");
  g_autofree char *readme = g_build_filename (root, "README.txt", NULL);
  g_autofree char *notes = g_build_filename (dogs, "g-notes.jpg", NULL);
  g_autofree char *empty = g_build_filename (cats, "g-empty.jpg", NULL);
  g_autofree char *huge = g_build_filename (dogs, "e-huge.png", NULL);
  g_autofree char *corrupt = g_build_filename (dogs, "f-corrupt.png", NULL);
  g_autofree char *truncated = g_build_filename (cats, "f-truncated.png",
                                                 NULL);
  g_autoptr(GBytes) huge_png = make_huge_png (100000, 100000);
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) half = NULL;
  guint8 rows[64 * 3];
  gsize size;
  guint8 *bytes;

  write_png_file (dogs, "a-rgb.png", 8, 8, 8, PNG_RGB, 1);
  copy_fixture (dogs, "palette-4x2.gif", "b-palette.gif");
  copy_fixture (dogs, "cmyk-red-8x8.jpg", "c-cmyk.jpg");
  write_jpeg_file (dogs, "d-plain.jpg", 0, 0);
  write_bytes (huge, huge_png);
  write_jpeg_file (dogs, "h-truncated.jpg", 0, 300);
  write_text (notes, "not a picture\n");

  /* A PNG whose image data is damaged but whose end chunk is intact. */
  for (int i = 0; i < 64 * 3; i++)
    rows[i] = (guint8) i;
  good = make_png (8, 8, 8, PNG_RGB, rows, NULL, 0);
  bytes = g_bytes_unref_to_data (g_bytes_ref (good), &size);
  for (gsize i = 45; i < 60; i++)
    bytes[i] ^= 0x5a;
  g_file_set_contents (corrupt, (char *) bytes, size, NULL);
  g_free (bytes);

  write_png_file (cats, "a-grey.png", 8, 8, 8, PNG_GREY, 2);
  write_png_file (cats, "b-rgba.png", 6, 9, 8, PNG_RGBA, 3);
  write_png_file (cats, "c-16bit.png", 8, 8, 16, PNG_GREY, 4);
  write_png_file (cats, "d-grey-alpha.png", 5, 5, 8, PNG_GREY_ALPHA, 5);
  write_jpeg_file (cats, "e-exif.jpg", 6, 0);
  half = g_bytes_new_from_bytes (good, 0, g_bytes_get_size (good) / 2);
  write_bytes (truncated, half);
  write_text (empty, "");
  write_png_file (cats, ".hidden.png", 8, 8, 8, PNG_GREY, 6);
  write_png_file (nested, "deep.png", 8, 8, 8, PNG_GREY, 7);

  write_text (readme, "Photos of pets.\n");

  return root;
}

static const char *
find_reason (const CnvDataset *dataset,
             const char       *basename)
{
  for (guint i = 0; i < dataset->skipped->len; i++)
    {
      CnvSkippedFile *file = dataset->skipped->pdata[i];
      g_autofree char *name = g_path_get_basename (file->path);

      if (g_str_equal (name, basename))
        return file->reason;
    }

  return NULL;
}

static void
assert_reason (const CnvDataset *dataset,
               const char       *basename,
               const char       *words)
{
  const char *reason = find_reason (dataset, basename);

  if (reason == NULL)
    g_error ("%s is not in the skipped list", basename);
  if (strstr (reason, words) == NULL)
    g_error ("the reason for %s, “%s”, does not say “%s”", basename, reason,
             words);
}

typedef struct
{
  guint calls;
  guint last_done;
  guint total;
  GCancellable *cancel_after_first;
} Progress;

static void
progress_cb (guint    done,
             guint    total,
             gpointer user_data)
{
  Progress *progress = user_data;

  g_assert_cmpuint (done, >, progress->last_done);
  progress->calls++;
  progress->last_done = done;
  progress->total = total;
  if (progress->cancel_after_first != NULL)
    g_cancellable_cancel (progress->cancel_after_first);
}

static void
test_mixed_folder (void)
{
  g_autofree char *root = make_mixed_dataset ();
  g_autofree char *rgb_path = g_build_filename (root, "Dogs", "a-rgb.png",
                                                NULL);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { 0 };
  CnvPreprocessing pp;
  guint8 expected[8 * 8 * 3];

  cnv_preprocessing_init_default (&pp, 8, 8, 3);
  dataset = cnv_dataset_load (root, &pp, NULL, NULL, progress_cb, &progress,
                              &error);
  g_assert_no_error (error);

  /* Byte order: "Dogs" (D = 0x44) before "cats" (c = 0x63). */
  g_assert_cmpstr (dataset->class_names[0], ==, "Dogs");
  g_assert_cmpstr (dataset->class_names[1], ==, "cats");
  g_assert_cmpuint (dataset->n_images, ==, 9);
  g_assert_cmpuint (dataset->class_counts[0], ==, 4);
  g_assert_cmpuint (dataset->class_counts[1], ==, 5);
  g_assert_cmpuint (dataset->skipped_counts[0], ==, 4);
  g_assert_cmpuint (dataset->skipped_counts[1], ==, 2);
  g_assert_cmpint (dataset->width, ==, 8);
  g_assert_cmpint (dataset->channels, ==, 3);

  /* Every file of the class folders was decoded once. */
  g_assert_cmpuint (progress.total, ==, 15);
  g_assert_cmpuint (progress.last_done, ==, 15);
  g_assert_cmpuint (progress.calls, >=, 1);

  /* In sorted path order, labels following. */
  g_assert_cmpstr (dataset->paths[0], ==, rgb_path);
  g_assert_nonnull (strstr (dataset->paths[3], "d-plain.jpg"));
  g_assert_nonnull (strstr (dataset->paths[4], "a-grey.png"));
  g_assert_nonnull (strstr (dataset->paths[8], "e-exif.jpg"));
  g_assert_null (dataset->paths[9]);
  for (guint i = 0; i < 9; i++)
    g_assert_cmpuint (dataset->labels[i], ==, i < 4 ? 0 : 1);

  /* The first image's pixels are the file's, one byte per value. */
  for (gsize i = 0; i < sizeof expected; i++)
    expected[i] = (guint8) (i * 31 + 1 * 17);
  g_assert_cmpmem (cnv_dataset_get_pixels (dataset, 0), sizeof expected,
                   expected, sizeof expected);

  /* Each skipped file by name, with its reason. */
  for (guint i = 0; i < dataset->skipped->len; i++)
    {
      CnvSkippedFile *file = dataset->skipped->pdata[i];

      g_test_message ("skipped %s: %s", file->path, file->reason);
    }
  g_assert_cmpuint (dataset->skipped->len, ==, 8);
  assert_reason (dataset, "README.txt", "not a class folder");
  assert_reason (dataset, "nested", "folder inside");
  assert_reason (dataset, "e-huge.png", "100000 × 100000");
  assert_reason (dataset, "f-corrupt.png", "damaged");
  assert_reason (dataset, "g-notes.jpg", "not an image");
  assert_reason (dataset, "h-truncated.jpg", "truncated");
  assert_reason (dataset, "f-truncated.png", "truncated");
  assert_reason (dataset, "g-empty.jpg", "empty");
  g_assert_null (find_reason (dataset, ".hidden.png"));
  g_assert_null (find_reason (dataset, "deep.png"));

  g_assert_cmpuint (strlen (dataset->fingerprint), ==, 64);

  g_assert_true (test_remove_tree (root));
}

static void
test_threads_give_identical_results (void)
{
  g_autofree char *root = make_mixed_dataset ();
  g_autoptr(CnvDataset) one = NULL;
  g_autoptr(CnvDataset) two = NULL;
  g_autoptr(GError) error = NULL;
  int saved = cnv_get_threads ();
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 12, 10, 1);
  pp.resize_mode = CNV_RESIZE_LETTERBOX;

  cnv_set_threads (1);
  one = cnv_dataset_load (root, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  cnv_set_threads (2);
  two = cnv_dataset_load (root, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  cnv_set_threads (saved);

  g_assert_cmpuint (one->n_images, ==, 9);
  g_assert_cmpuint (two->n_images, ==, one->n_images);
  g_assert_cmpmem (one->pixels, one->n_images * 12 * 10,
                   two->pixels, two->n_images * 12 * 10);
  g_assert_cmpmem (one->labels, one->n_images, two->labels, two->n_images);
  for (guint i = 0; i < one->n_images; i++)
    g_assert_cmpstr (one->paths[i], ==, two->paths[i]);
  g_assert_cmpuint (one->skipped->len, ==, two->skipped->len);
  for (guint i = 0; i < one->skipped->len; i++)
    {
      CnvSkippedFile *a = one->skipped->pdata[i];
      CnvSkippedFile *b = two->skipped->pdata[i];

      g_assert_cmpstr (a->path, ==, b->path);
      g_assert_cmpstr (a->reason, ==, b->reason);
    }
  g_assert_cmpstr (one->fingerprint, ==, two->fingerprint);

  g_assert_true (test_remove_tree (root));
}

/* A dataset folder with the given class folders, each holding n tiny grey
 * PNGs. */
static char *
make_simple_dataset (const char * const *classes,
                     const guint        *counts)
{
  char *root = g_dir_make_tmp ("cnv-dataset-XXXXXX", NULL);

  for (guint c = 0; classes[c] != NULL; c++)
    {
      g_autofree char *folder = make_dir (root, classes[c]);

      for (guint i = 0; i < counts[c]; i++)
        {
          g_autofree char *name = g_strdup_printf ("img-%03u.png", i);

          write_png_file (folder, name, 4, 4, 8, PNG_GREY,
                          (guint8) (c * 50 + i));
        }
    }

  return root;
}

static void
assert_layout_error (const char * const *classes,
                     const guint        *counts,
                     int                 code,
                     const char         *words)
{
  g_autofree char *root = make_simple_dataset (classes, counts);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 4, 4, 1);
  dataset = cnv_dataset_load (root, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_null (dataset);
  g_assert_error (error, CNV_DATASET_ERROR, code);
  if (strstr (error->message, words) == NULL)
    g_error ("“%s” does not say “%s”", error->message, words);

  g_assert_true (test_remove_tree (root));
}

static void
test_layout_errors (void)
{
  const char *one[] = { "only", NULL };
  const char *three[] = { "a", "b", "c", NULL };
  const char *none[] = { NULL };
  const char *two[] = { "full", "hollow", NULL };
  const guint counts[] = { 2, 2, 2 };
  const guint empty_second[] = { 2, 0 };
  g_autofree char *root = make_simple_dataset (two, counts);
  g_autofree char *hollow = g_build_filename (root, "hollow", "x.png", NULL);
  g_autofree char *missing = g_build_filename (root, "no-such", NULL);
  g_autofree char *first = g_build_filename (root, "hollow", "img-000.png",
                                             NULL);
  g_autofree char *second = g_build_filename (root, "hollow", "img-001.png",
                                              NULL);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  assert_layout_error (one, counts, CNV_DATASET_ERROR_LAYOUT,
                       "1 subfolder: only; a dataset needs exactly two");
  assert_layout_error (three, counts, CNV_DATASET_ERROR_LAYOUT,
                       "3 subfolders: a, b, c; a dataset needs exactly two");
  assert_layout_error (none, counts, CNV_DATASET_ERROR_LAYOUT,
                       "no subfolders");
  assert_layout_error (two, empty_second, CNV_DATASET_ERROR_EMPTY_CLASS,
                       "hollow");

  cnv_preprocessing_init_default (&pp, 4, 4, 1);

  /* One class folder chosen instead of the dataset, with or without a
   * trailing separator, with or without a model's classes to find in
   * it: the message names the folder to choose. */
  for (guint i = 0; i < 4; i++)
    {
      const char *names[] = { "full", "hollow", NULL };
      g_autofree char *full = g_strconcat (root, G_DIR_SEPARATOR_S, "full",
                                           i % 2 == 0 ? "" : G_DIR_SEPARATOR_S,
                                           NULL);
      g_autofree char *expected = g_strdup_printf ("one of the two class "
                                                   "folders of “%s”. Choose "
                                                   "“%s” instead.", root,
                                                   root);

      dataset = cnv_dataset_load (full, &pp, i < 2 ? NULL : names, NULL,
                                  NULL, NULL, &error);
      g_assert_null (dataset);
      g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT);
      if (strstr (error->message, expected) == NULL)
        g_error ("“%s” does not say “%s”", error->message, expected);
      g_clear_error (&error);
    }

  /* Not when its one neighbour holds no files: no class folder pair. */
  {
    g_autofree char *other = make_simple_dataset (two, empty_second);
    g_autofree char *full = g_build_filename (other, "full", NULL);

    dataset = cnv_dataset_load (full, &pp, NULL, NULL, NULL, NULL, &error);
    g_assert_null (dataset);
    g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT);
    g_assert_nonnull (strstr (error->message, "has no subfolders; a dataset "
                              "needs exactly two"));
    g_clear_error (&error);
    g_assert_true (test_remove_tree (other));
  }

  /* A class whose only file is not an image is empty too. */
  g_assert_true (test_remove_tree (first));
  g_assert_true (test_remove_tree (second));
  write_text (hollow, "text");
  dataset = cnv_dataset_load (root, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_null (dataset);
  g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_EMPTY_CLASS);
  g_assert_nonnull (strstr (error->message, "hollow"));
  g_clear_error (&error);

  dataset = cnv_dataset_load (missing, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_null (dataset);
  g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_FOLDER);
  g_assert_nonnull (strstr (error->message, "no-such"));

  g_assert_true (test_remove_tree (root));
}

static void
assert_class_order (const char *first,
                    const char *second)
{
  /* Created in the opposite order, to show the listing does not matter. */
  const char *classes[] = { second, first, NULL };
  const guint counts[] = { 1, 2 };
  g_autofree char *root = make_simple_dataset (classes, counts);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 4, 4, 1);
  dataset = cnv_dataset_load (root, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dataset->class_names[0], ==, first);
  g_assert_cmpstr (dataset->class_names[1], ==, second);
  g_assert_cmpuint (dataset->class_counts[0], ==, 2);
  g_assert_cmpuint (dataset->class_counts[1], ==, 1);

  g_assert_true (test_remove_tree (root));
}

static void
test_class_order (void)
{
  /* Byte order: upper case before lower case, "10" before "9". */
  assert_class_order ("Dogs", "cats");
  assert_class_order ("10", "9");
  assert_class_order ("chien", "猫");
}

static void
test_explicit_class_names (void)
{
  const char *classes[] = { "birds", "cats", "Dogs", NULL };
  const guint counts[] = { 1, 3, 2 };
  const char *stored[] = { "cats", "Dogs", NULL };
  const char *missing[] = { "cats", "wolves", NULL };
  g_autofree char *root = make_simple_dataset (classes, counts);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 4, 4, 1);
  dataset = cnv_dataset_load (root, &pp, stored, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dataset->class_names[0], ==, "cats");
  g_assert_cmpstr (dataset->class_names[1], ==, "Dogs");
  g_assert_cmpuint (dataset->n_images, ==, 5);
  g_assert_cmpuint (dataset->class_counts[0], ==, 3);
  g_assert_cmpuint (dataset->class_counts[1], ==, 2);
  for (guint i = 0; i < dataset->n_images; i++)
    {
      gboolean is_cat = strstr (dataset->paths[i], "/cats/") != NULL;

      g_assert_cmpuint (dataset->labels[i], ==, is_cat ? 0 : 1);
    }
  g_assert_cmpuint (dataset->skipped->len, ==, 1);
  assert_reason (dataset, "birds", "not one of the model’s classes");
  g_clear_pointer (&dataset, cnv_dataset_free);

  dataset = cnv_dataset_load (root, &pp, missing, NULL, NULL, NULL, &error);
  g_assert_null (dataset);
  g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT);
  g_assert_nonnull (strstr (error->message, "wolves"));

  g_assert_true (test_remove_tree (root));
}

static void
assert_split_valid (const CnvDataset *dataset,
                    GArray           *train,
                    GArray           *validation,
                    guint             expected_val[2])
{
  g_autofree guint *seen = g_new0 (guint, dataset->n_images);
  guint val_counts[2] = { 0, 0 };

  g_assert_cmpuint (train->len + validation->len, ==, dataset->n_images);
  for (guint i = 0; i < train->len; i++)
    {
      guint index = g_array_index (train, guint, i);

      g_assert_cmpuint (index, <, dataset->n_images);
      if (i > 0)
        g_assert_cmpuint (g_array_index (train, guint, i - 1), <, index);
      seen[index]++;
    }
  for (guint i = 0; i < validation->len; i++)
    {
      guint index = g_array_index (validation, guint, i);

      g_assert_cmpuint (index, <, dataset->n_images);
      if (i > 0)
        g_assert_cmpuint (g_array_index (validation, guint, i - 1), <, index);
      seen[index]++;
      val_counts[dataset->labels[index]]++;
    }
  for (guint i = 0; i < dataset->n_images; i++)
    g_assert_cmpuint (seen[i], ==, 1);
  g_assert_cmpuint (val_counts[0], ==, expected_val[0]);
  g_assert_cmpuint (val_counts[1], ==, expected_val[1]);
}

static gboolean
arrays_equal (GArray *a,
              GArray *b)
{
  return a->len == b->len
         && memcmp (a->data, b->data, a->len * sizeof (guint)) == 0;
}

static void
test_split (void)
{
  const char *classes[] = { "a", "b", NULL };
  const guint counts[] = { 10, 7 };
  g_autofree char *root = make_simple_dataset (classes, counts);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) train1 = NULL;
  g_autoptr(GArray) val1 = NULL;
  g_autoptr(GArray) train2 = NULL;
  g_autoptr(GArray) val2 = NULL;
  g_autoptr(GArray) train3 = NULL;
  g_autoptr(GArray) val3 = NULL;
  g_autoptr(GArray) train4 = NULL;
  g_autoptr(GArray) val4 = NULL;
  /* round (10 × 0.3) = 3, round (7 × 0.3) = round (2.1) = 2 */
  guint expected[2] = { 3, 2 };
  guint expected_none[2] = { 0, 0 };
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 4, 4, 1);
  dataset = cnv_dataset_load (root, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dataset->n_images, ==, 17);

  cnv_dataset_split (dataset, 0.3, 42, &train1, &val1);
  assert_split_valid (dataset, train1, val1, expected);

  cnv_dataset_split (dataset, 0.3, 42, &train2, &val2);
  g_assert_true (arrays_equal (train1, train2));
  g_assert_true (arrays_equal (val1, val2));

  cnv_dataset_split (dataset, 0.3, 43, &train3, &val3);
  assert_split_valid (dataset, train3, val3, expected);
  g_assert_false (arrays_equal (val1, val3));

  cnv_dataset_split (dataset, 0.0, 42, &train4, &val4);
  assert_split_valid (dataset, train4, val4, expected_none);

  g_assert_true (test_remove_tree (root));
}

static void
test_names_in_any_script (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("cnv-dataset-XXXXXX", NULL);
  g_autofree char *root = make_dir (tmp, "модели");
  g_autofree char *cat = make_dir (root, "猫");
  g_autofree char *dog = make_dir (root, "chien");
  g_autofree char *expected_path = g_build_filename (cat, "ü 😀.png", NULL);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  write_png_file (cat, "ü 😀.png", 4, 4, 8, PNG_GREY, 1);
  write_png_file (dog, "été.png", 4, 4, 8, PNG_GREY, 2);

  cnv_preprocessing_init_default (&pp, 4, 4, 1);
  dataset = cnv_dataset_load (root, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dataset->folder, ==, root);
  g_assert_cmpstr (dataset->class_names[0], ==, "chien");
  g_assert_cmpstr (dataset->class_names[1], ==, "猫");
  g_assert_cmpuint (dataset->n_images, ==, 2);
  g_assert_cmpstr (dataset->paths[1], ==, expected_path);
  g_assert_cmpuint (dataset->labels[1], ==, 1);

  files = cnv_list_image_files (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 2);
  g_assert_cmpstr (files->pdata[1], ==, expected_path);

  g_assert_true (test_remove_tree (tmp));
}

static void
test_fingerprint (void)
{
  const char *classes[] = { "a", "b", NULL };
  const guint counts[] = { 3, 2 };
  g_autofree char *root1 = make_simple_dataset (classes, counts);
  g_autofree char *root2 = make_simple_dataset (classes, counts);
  g_autofree char *folder_b = g_build_filename (root2, "b", NULL);
  g_autoptr(CnvDataset) first = NULL;
  g_autoptr(CnvDataset) second = NULL;
  g_autoptr(CnvDataset) changed = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 4, 4, 1);
  first = cnv_dataset_load (root1, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  second = cnv_dataset_load (root2, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  /* The same relative paths and sizes in another place: the same print. */
  g_assert_cmpstr (first->fingerprint, ==, second->fingerprint);

  /* One file a different size: a different print. */
  write_png_file (folder_b, "img-001.png", 5, 4, 8, PNG_GREY, 9);
  changed = cnv_dataset_load (root2, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (changed->fingerprint, !=, first->fingerprint);

  g_assert_true (test_remove_tree (root1));
  g_assert_true (test_remove_tree (root2));
}

static void
test_cancel (void)
{
  const char *classes[] = { "a", "b", NULL };
  const guint counts[] = { 20, 20 };
  g_autofree char *root = make_simple_dataset (classes, counts);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { 0 };
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 4, 4, 1);
  progress.cancel_after_first = cancellable;
  dataset = cnv_dataset_load (root, &pp, NULL, cancellable, progress_cb,
                              &progress, &error);
  g_assert_null (dataset);
  g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_CANCELLED);
  g_assert_cmpuint (progress.calls, >=, 1);
  g_assert_cmpuint (progress.total, ==, 40);

  g_assert_true (test_remove_tree (root));
}

static void
test_list_image_files (void)
{
  g_autofree char *root = g_dir_make_tmp ("cnv-list-XXXXXX", NULL);
  g_autofree char *sub = make_dir (root, "b-sub");
  g_autofree char *hidden = make_dir (root, ".cache");
  g_autofree char *text = g_build_filename (root, "notes.txt", NULL);
  g_autofree char *single = g_build_filename (root, "notes.txt", NULL);
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) one = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "a.PNG", "b-sub/x.jpeg", "b-sub/y.webp",
                             "c.tif", NULL };

  write_text (text, "hello");
  write_png_file (root, "a.PNG", 2, 2, 8, PNG_GREY, 1);
  write_png_file (root, "c.tif", 2, 2, 8, PNG_GREY, 1);
  write_png_file (sub, "y.webp", 2, 2, 8, PNG_GREY, 1);
  write_png_file (sub, "x.jpeg", 2, 2, 8, PNG_GREY, 1);
  write_png_file (sub, "z.pdf", 2, 2, 8, PNG_GREY, 1);
  write_png_file (hidden, "h.png", 2, 2, 8, PNG_GREY, 1);

  files = cnv_list_image_files (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 4);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *path = g_build_filename (root, expected[i], NULL);

      g_assert_cmpstr (files->pdata[i], ==, path);
    }

  /* A file named on its own is taken as it is. */
  one = cnv_list_image_files (single, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_cmpstr (one->pdata[0], ==, single);

  g_assert_true (test_remove_tree (root));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/dataset/mixed-folder-loads-the-right-images",
                   test_mixed_folder);
  g_test_add_func ("/engine/dataset/one-and-two-threads-identical",
                   test_threads_give_identical_results);
  g_test_add_func ("/engine/dataset/layout-errors", test_layout_errors);
  g_test_add_func ("/engine/dataset/class-order-is-byte-order",
                   test_class_order);
  g_test_add_func ("/engine/dataset/explicit-class-names",
                   test_explicit_class_names);
  g_test_add_func ("/engine/dataset/split-stratified-and-seeded", test_split);
  g_test_add_func ("/engine/dataset/names-in-any-script",
                   test_names_in_any_script);
  g_test_add_func ("/engine/dataset/fingerprint", test_fingerprint);
  g_test_add_func ("/engine/dataset/cancel", test_cancel);
  g_test_add_func ("/engine/dataset/list-image-files", test_list_image_files);

  return g_test_run ();
}
