/* test-cases.c — the save and load failures of ../shared/cases/
 * save-load-failures.md, one test each (C01 … C20)
 *
 * Each case is a failure practitioners hit with other tools; each test
 * sets it up for real (a trained model, a file on disk, images in class
 * folders) and asserts the behaviour the case says is right.  The window
 * side of C01, C03 and C16 is in tests/test-app.c.
 */
#define G_LOG_DOMAIN "cnv-test-cases"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "cnv.h"
#include "test-images-common.h"
#include "test-util.h"

/* ---- helpers ------------------------------------------------------------ */

static GBytes *
read_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, length);
}

static CnvModelSpec *
spec_new (const char *json)
{
  g_autoptr(GError) error = NULL;
  CnvModelSpec *spec = cnv_model_spec_new_from_json (json, -1, &error);

  g_assert_no_error (error);

  return spec;
}

/* A solid image of w × h in colour rgb, with a lighter square whose place
 * depends on k, so that no two images of a class are byte-equal. */
static void
write_image (const char *path,
             int         w,
             int         h,
             guint32     rgb,
             guint       k)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                                w, h);
  g_autoptr(GdkPixbuf) spot = NULL;
  g_autoptr(GError) error = NULL;
  int x = (int) (k % (guint) (w - 1));
  int y = (int) ((k / (guint) (w - 1)) % (guint) (h - 1));

  gdk_pixbuf_fill (pixbuf, rgb << 8 | 0xff);
  spot = gdk_pixbuf_new_subpixbuf (pixbuf, x, y, 1, 1);
  gdk_pixbuf_fill (spot, (rgb | 0x404040) << 8 | 0xff);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, g_str_has_suffix (path, ".jpg")
                                                ? "jpeg" : "png",
                                  &error, NULL));
  g_assert_no_error (error);
}

/* folder/<names[0]> and folder/<names[1]>, n images each: class 0 dark,
 * class 1 light (or the two colours given). */
static void
make_dataset (const char *folder,
              const char *name_a,
              const char *name_b,
              guint       n,
              guint32     color_a,
              guint32     color_b,
              int         size)
{
  const char *names[2] = { name_a, name_b };
  guint32 colors[2] = { color_a, color_b };

  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = g_build_filename (folder, names[c], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *name = g_strdup_printf ("img-%03u.png", i);
          g_autofree char *path = g_build_filename (dir, name, NULL);

          write_image (path, size, size, colors[c], i);
        }
    }
}

static CnvDataset *
load_dataset (const char             *folder,
              const CnvPreprocessing *pp,
              const char * const     *class_names)
{
  g_autoptr(GError) error = NULL;
  CnvDataset *dataset = cnv_dataset_load (folder, pp, class_names, NULL, NULL,
                                          NULL, &error);

  g_assert_no_error (error);

  return dataset;
}

static void
train (CnvClassifier    *c,
       const CnvDataset *dataset,
       guint             epochs,
       double            learning_rate,
       double            val_split)
{
  g_autoptr(GError) error = NULL;
  CnvTrainConfig config;

  cnv_train_config_init_default (&config);
  config.epochs = epochs;
  config.batch_size = 8;
  config.optimizer.learning_rate = learning_rate;
  config.val_split = val_split;
  config.seed = 3;
  g_assert_true (cnv_classifier_train (c, dataset, &config, NULL, NULL, NULL,
                                       &error));
  g_assert_no_error (error);
}

static CnvClassifier *
classifier_new (const char             *spec_json,
                const CnvPreprocessing *pp,
                const char * const     *names,
                guint64                 seed)
{
  g_autoptr(CnvModelSpec) spec = spec_new (spec_json);
  g_autoptr(GError) error = NULL;
  CnvClassifier *c = cnv_classifier_new (spec, pp, names, seed, &error);

  g_assert_no_error (error);

  return c;
}

static void
save (const CnvClassifier *c,
      const char          *path)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cnv_checkpoint_save (c, path, &error));
  g_assert_no_error (error);
}

static CnvClassifier *
load (const char *path)
{
  g_autoptr(GError) error = NULL;
  CnvClassifier *c = cnv_checkpoint_load (path, &error);

  g_assert_no_error (error);

  return c;
}

/* Rewrites one metadata document of a checkpoint, keeping its tensors;
 * drop (may be NULL) names a tensor to leave out. */
static void
rewrite (const char *path,
         const char *key,
         const char *value,
         const char *drop)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvSafetensors) st = cnv_safetensors_read (path, &error);

  g_assert_no_error (error);
  if (key != NULL)
    g_hash_table_insert (st->metadata, g_strdup (key), g_strdup (value));
  for (guint i = 0; drop != NULL && i < st->tensors->len; i++)
    {
      CnvNamedTensor *named = g_ptr_array_index (st->tensors, i);

      if (g_str_has_prefix (named->name, drop))
        g_ptr_array_remove_index (st->tensors, i--);
    }
  g_assert_true (cnv_safetensors_write (st, path, &error));
  g_assert_no_error (error);
}

static const CnvModelProblem *
first_problem (const CnvModelSpec *spec)
{
  static GPtrArray *kept;
  GPtrArray *problems = NULL;

  g_clear_pointer (&kept, g_ptr_array_unref);
  g_assert_false (cnv_model_spec_check (spec, NULL, &problems));
  kept = problems;

  return g_ptr_array_index (problems, 0);
}

static double
probability_of (CnvClassifier *c,
                const char    *path)
{
  g_autoptr(GError) error = NULL;
  double p = -1.0;

  g_assert_true (cnv_classifier_predict_file (c, path, &p, NULL, &error));
  g_assert_no_error (error);

  return p;
}

#define LENET_JSON \
  "{\"input\": {\"width\": 28, \"height\": 28, \"channels\": 1}, \"layers\": [" \
  "{\"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": %d, \"kernel\": %d," \
  " \"padding\": \"same\"}, {\"id\": \"relu1\", \"type\": \"relu\"}," \
  " {\"id\": \"pool1\", \"type\": \"max-pool\", \"size\": 2}," \
  " {\"id\": \"flatten\", \"type\": \"flatten\"}," \
  " {\"id\": \"fc1\", \"type\": \"dense\", \"units\": 16}," \
  " {\"id\": \"relu2\", \"type\": \"relu\"}," \
  " {\"id\": \"out\", \"type\": \"dense\", \"units\": %d}%s]}"

/* A small model on 8 × 8 images of channels channels; with batch_norm a
 * batch-norm after the convolution. */
static char *
small_json (int      channels,
            gboolean batch_norm)
{
  return g_strdup_printf (
    "{\"input\": {\"width\": 8, \"height\": 8, \"channels\": %d}, "
    "\"layers\": [{\"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 4, "
    "\"kernel\": 3, \"padding\": \"same\"}, %s"
    "{\"id\": \"relu1\", \"type\": \"relu\"}, "
    "{\"id\": \"flatten\", \"type\": \"flatten\"}, "
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}", channels,
    batch_norm ? "{\"id\": \"bn1\", \"type\": \"batch-norm\"}, " : "");
}

/* ---- architecture ----------------------------------------------------- */

/* C01: the file's conv1 is 5×5 with 16 filters, the stack on screen has a
 * 3×3 conv1 with 8.  The diff says so, no weight goes into the 3×3 layer,
 * the checkpoint's stack is there to replace the screen's, and the file
 * is untouched. */
static void
test_c01_kernel_size_differs (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "c01.convolve");
  g_autofree char *file_json = g_strdup_printf (LENET_JSON, 16, 5, 1, "");
  g_autofree char *screen_json = g_strdup_printf (LENET_JSON, 8, 3, 1, "");
  g_autoptr(CnvClassifier) stored = NULL;
  g_autoptr(CnvClassifier) screen = NULL;
  g_autoptr(CnvClassifier) fresh = NULL;
  g_autoptr(CnvModelRecord) file = NULL;
  g_autoptr(CnvModelRecord) on_screen = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GPtrArray) skipped = NULL;
  g_autoptr(GError) error = NULL;
  const CnvDiffLayerRow *row;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  stored = classifier_new (file_json, &pp, NULL, 1);
  save (stored, path);
  before = read_bytes (path);

  screen = classifier_new (screen_json, &pp, NULL, 2);
  fresh = classifier_new (screen_json, &pp, NULL, 2);
  on_screen = cnv_model_record_new_from_classifier (screen, "On screen");
  file = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  diff = cnv_diff_new (on_screen, file);

  row = g_ptr_array_index (diff->layers, 0);
  g_assert_cmpint (row->status, ==, CNV_DIFF_CHANGED);
  g_assert_cmpuint (row->fields->len, ==, 2);
  g_assert_cmpstr (((CnvDiffField *) g_ptr_array_index (row->fields, 0))->field,
                   ==, "filters");
  g_assert_cmpstr (((CnvDiffField *) g_ptr_array_index (row->fields, 1))->a_value,
                   ==, "3×3");
  g_assert_cmpstr (((CnvDiffField *) g_ptr_array_index (row->fields, 1))->b_value,
                   ==, "5×5");

  /* Loading what matches leaves conv1 as a fresh start: not one number
   * of the 5×5 kernels in it. */
  g_assert_true (cnv_classifier_load_matching (screen, file, NULL, 2, &loaded,
                                               &skipped, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (cnv_model_find_param (screen->model,
                                         "conv1.weight")->value->data,
                   8 * 9 * 4,
                   cnv_model_find_param (fresh->model,
                                         "conv1.weight")->value->data,
                   8 * 9 * 4);
  /* conv1's weight and bias, and fc1's weight, which sees 8 channels of
   * 14 × 14 instead of 16. */
  g_assert_cmpuint (skipped->len, ==, 3);
  g_assert_cmpuint (loaded->len, ==, 3);
  g_assert_nonnull (strstr (g_ptr_array_index (skipped, 1),
                            "conv1.bias: the stack needs [8]"));

  /* Replacing the stack with the file's is what "open as it is" does. */
  {
    g_autoptr(CnvClassifier) opened = load (path);

    g_assert_cmpint (cnv_model_get_spec (opened->model)->layers[0].kernel[0],
                     ==, 5);
  }

  after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
}

/* C02: a dense layer of 1 unit followed by softmax, and a 10-unit head for
 * two classes.  Both are flagged with why the output cannot work, and
 * Convolve refuses to classify with them. */
static void
test_c02_binary_head_wrong (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "c02.convolve");
  g_autofree char *good = g_strdup_printf (LENET_JSON, 8, 5, 1, "");
  g_autofree char *softmax = g_strdup_printf (
    LENET_JSON, 8, 5, 1, ", {\"id\": \"prob\", \"type\": \"softmax\"}");
  g_autofree char *ten = g_strdup_printf (LENET_JSON, 8, 5, 10, "");
  g_autoptr(CnvModelSpec) softmax_spec = spec_new (softmax);
  g_autoptr(CnvModelSpec) ten_spec = spec_new (ten);
  g_autoptr(CnvClassifier) c = NULL;
  const CnvModelProblem *problem;
  CnvPreprocessing pp;

  problem = first_problem (softmax_spec);
  g_assert_cmpint (problem->kind, ==, CNV_MODEL_PROBLEM_SOFTMAX_ONE);
  g_assert_nonnull (strstr (problem->message, "always gives 1"));
  problem = first_problem (ten_spec);
  g_assert_cmpint (problem->kind, ==, CNV_MODEL_PROBLEM_HEAD);
  g_assert_nonnull (strstr (problem->message, "has 10 units"));

  /* The same two as checkpoints: opened for viewing, never run. */
  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  c = classifier_new (good, &pp, NULL, 1);
  save (c, path);
  for (guint k = 0; k < 2; k++)
    {
      g_autoptr(CnvClassifier) refused = NULL;
      g_autoptr(CnvModelRecord) record = NULL;
      g_autoptr(GError) error = NULL;
      const char *reason = k == 0 ? "always gives 1" : "has 10 units";

      rewrite (path, "model", k == 0 ? softmax : ten, NULL);
      refused = cnv_checkpoint_load (path, &error);
      g_assert_null (refused);
      g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_MODEL);
      g_assert_nonnull (strstr (error->message, reason));
      g_clear_error (&error);

      record = cnv_model_record_load (path, &error);
      g_assert_no_error (error);
      g_assert_false (record->runnable);
      g_assert_nonnull (strstr (record->run_problem, reason));
    }
}

/* C03: a layer type Convolve does not implement.  The file opens for
 * viewing with the layer as its own row, stored fields and all; running
 * it is refused with a message naming the type; nothing is executed. */
static void
test_c03_unknown_layer_type (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "c03.convolve");
  g_autofree char *good = g_strdup_printf (LENET_JSON, 8, 5, 1, "");
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) odd = g_string_new (good);
  const CnvRecordLayer *layer;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  c = classifier_new (good, &pp, NULL, 1);
  save (c, path);
  g_string_replace (odd, "{\"id\": \"relu1\", \"type\": \"relu\"}",
                    "{\"id\": \"dc1\", \"type\": \"deformable-conv\", "
                    "\"offsets\": 18, \"code\": \"import os\"}", 1);
  rewrite (path, "model", odd->str, NULL);

  g_assert_null (cnv_checkpoint_load (path, &error));
  g_assert_nonnull (strstr (error->message, "“deformable-conv”"));
  g_clear_error (&error);

  record = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (record->layers->len, ==, 7);
  layer = g_ptr_array_index (record->layers, 1);
  g_assert_cmpstr (layer->id, ==, "dc1");
  g_assert_false (layer->known);
  g_assert_cmpint (json_object_get_int_member (layer->params, "offsets"), ==,
                   18);
  /* Stored text is data: shown, never run. */
  g_assert_cmpstr (json_object_get_string_member (layer->params, "code"), ==,
                   "import os");
  g_assert_false (record->runnable);
  g_assert_nonnull (strstr (record->run_problem, "deformable-conv"));
  /* Every other layer is shown with what can be known of it. */
  g_assert_cmpstr (((CnvRecordLayer *) g_ptr_array_index (record->layers,
                                                          6))->id, ==, "out");
}

/* ---- predictions that change after loading ---------------------------- */

/* C04: batch-norm uses its running statistics after loading: one image
 * alone, again, and inside a batch of 8 give the logit it gave before
 * saving.  Without its running variance the file is refused, never
 * completed with 1. */
static void
test_c04_batch_norm_mode (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *path = test_tmp_path (tmp, "c04.convolve");
  g_autofree char *json = small_json (1, TRUE);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvClassifier) opened = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *batch[8];
  float before, alone, again, logits[8];
  CnvPreprocessing pp;

  make_dataset (folder, "a", "b", 12, 0x202020, 0xc0c0c0, 8);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  dataset = load_dataset (folder, &pp, NULL);
  c = classifier_new (json, &pp, NULL, 4);
  train (c, dataset, 3, 0.01, 0.0);

  for (guint i = 0; i < 8; i++)
    batch[i] = cnv_dataset_get_pixels (dataset, (i * 3) % dataset->n_images);
  cnv_classifier_predict_pixels (c, &batch[3], 1, &before);
  save (c, path);
  opened = load (path);

  cnv_classifier_predict_pixels (opened, &batch[3], 1, &alone);
  cnv_classifier_predict_pixels (opened, &batch[3], 1, &again);
  cnv_classifier_predict_pixels (opened, batch, 8, logits);
  g_assert_cmpmem (&alone, 4, &before, 4);
  g_assert_cmpmem (&again, 4, &before, 4);
  g_assert_cmpmem (&logits[3], 4, &before, 4);

  rewrite (path, NULL, NULL, "bn1.running_var");
  g_assert_null (cnv_checkpoint_load (path, &error));
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "bn1.running_var"));
}

/* C05: trained with scaling 1/255, saved, opened: a training image gets
 * the probability it got at training time, and its input holds values up
 * to 1, scaled once.  A file that does not scale, over a stack that does,
 * is a diff row. */
static void
test_c05_scaling (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *path = test_tmp_path (tmp, "c05.convolve");
  g_autofree char *image = g_build_filename (folder, "b", "img-000.png", NULL);
  g_autofree char *json = small_json (1, FALSE);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvClassifier) opened = NULL;
  g_autoptr(CnvModelRecord) screen = NULL;
  g_autoptr(CnvModelRecord) file = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvImage) seen = NULL;
  float input[64];
  float highest = 0.0f;
  double before;
  CnvPreprocessing pp;

  make_dataset (folder, "a", "b", 8, 0x101010, 0xf0f0f0, 8);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  dataset = load_dataset (folder, &pp, NULL);
  c = classifier_new (json, &pp, NULL, 5);
  train (c, dataset, 2, 0.01, 0.0);
  before = probability_of (c, image);
  save (c, path);
  opened = load (path);

  g_assert_cmpfloat (probability_of (opened, image), ==, before);
  g_assert_cmpfloat (opened->preprocessing.scale, ==, 1.0f / 255.0f);
  g_assert_true (cnv_classifier_predict_file (opened, image, &before, &seen,
                                              &error));
  cnv_image_to_input (seen->pixels, &opened->preprocessing, input);
  for (guint i = 0; i < 64; i++)
    highest = MAX (highest, input[i]);
  g_assert_cmpfloat (highest, >, 0.9f);
  g_assert_cmpfloat (highest, <=, 1.0f);

  screen = cnv_model_record_new_from_classifier (c, "On screen");
  opened->preprocessing.scale = 1.0f;
  save (opened, path);
  file = cnv_model_record_load (path, &error);
  diff = cnv_diff_new (screen, file);
  g_assert_cmpuint (diff->preprocessing->len, ==, 1);
  g_assert_cmpstr (((CnvDiffField *) g_ptr_array_index (diff->preprocessing,
                                                        0))->a_value, ==,
                   "1/255");
}

/* C06: class A pure red, class B pure blue.  Trained, saved, opened, a red
 * image is class A with the same probability; the channel order (R, G, B)
 * is part of the stored preprocessing. */
static void
test_c06_channel_order (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *path = test_tmp_path (tmp, "c06.convolve");
  g_autofree char *red = g_build_filename (folder, "A", "img-005.png", NULL);
  g_autofree char *json = small_json (3, FALSE);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvClassifier) opened = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  double before;
  double after;
  CnvPreprocessing pp;

  make_dataset (folder, "A", "B", 10, 0xff0000, 0x0000ff, 8);
  cnv_preprocessing_init_default (&pp, 8, 8, 3);
  dataset = load_dataset (folder, &pp, NULL);
  c = classifier_new (json, &pp, NULL, 6);
  train (c, dataset, 10, 0.01, 0.0);
  before = probability_of (c, red);
  g_assert_cmpfloat (before, <, c->threshold);   /* A is class 0 */
  save (c, path);
  opened = load (path);

  g_assert_cmpint (opened->preprocessing.color_mode, ==, CNV_COLOR_RGB);
  g_assert_true (cnv_classifier_predict_file (opened, red, &after, &image,
                                              &error));
  g_assert_cmpfloat (after, ==, before);
  g_assert_cmpstr (opened->class_names[after >= opened->threshold ? 1 : 0],
                   ==, "A");
  /* What the network saw: red first, blue last. */
  g_assert_cmpuint (image->pixels[0], ==, 0xff);
  g_assert_cmpuint (image->pixels[2], ==, 0x00);
}

/* C07: a JPEG stored landscape with orientation 6 is seen upright, in
 * training and in prediction alike; the rule is stored and diffed. */
static void
test_c07_exif_orientation (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *rotated = g_build_filename (folder, "b", "rot.jpg", NULL);
  g_autoptr(GdkPixbuf) stored = NULL;
  g_autoptr(GBytes) jpeg = NULL;
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvImage) predicted = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvModelRecord) a = NULL;
  g_autoptr(CnvModelRecord) b = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *trained = NULL;
  double p;
  CnvPreprocessing pp;

  make_dataset (folder, "a", "b", 3, 0x000000, 0xffffff, 8);
  /* 16 × 8 landscape with a red marker in its top-left corner; rotated
   * 90° clockwise, the marker is at the top right of an 8 × 16 image. */
  stored = make_marked_pixbuf (16, 8, 0x000000ff, 0xff0000ff, 4);
  jpeg = make_jpeg (stored, 6);
  write_bytes (rotated, jpeg);

  cnv_preprocessing_init_default (&pp, 8, 16, 3);
  dataset = load_dataset (folder, &pp, NULL);
  for (guint i = 0; i < dataset->n_images; i++)
    if (g_str_has_suffix (dataset->paths[i], "rot.jpg"))
      trained = cnv_dataset_get_pixels (dataset, i);
  g_assert_nonnull (trained);

  c = classifier_new ("{\"input\": {\"width\": 8, \"height\": 16, "
                      "\"channels\": 3}, \"layers\": [{\"id\": \"f\", "
                      "\"type\": \"flatten\"}, {\"id\": \"out\", \"type\": "
                      "\"dense\", \"units\": 1}]}", &pp, NULL, 7);
  g_assert_true (cnv_classifier_predict_file (c, rotated, &p, &predicted,
                                              &error));
  g_assert_no_error (error);
  g_assert_true (predicted->was_rotated);
  /* Upright: red top right, dark top left, in both paths. */
  g_assert_cmpuint (predicted->pixels[(0 * 8 + 7) * 3], >, 200);
  g_assert_cmpuint (predicted->pixels[0], <, 60);
  g_assert_cmpmem (trained, 8 * 16 * 3, predicted->pixels, 8 * 16 * 3);

  a = cnv_model_record_new_from_classifier (c, "a");
  c->preprocessing.apply_exif = FALSE;
  b = cnv_model_record_new_from_classifier (c, "b");
  diff = cnv_diff_new (a, b);
  g_assert_cmpstr (((CnvDiffField *) g_ptr_array_index (diff->preprocessing,
                                                        0))->field, ==,
                   "apply_exif");
}

/* ---- image files ------------------------------------------------------ */

/* C08: RGBA with half-transparent pixels, a paletted PNG, a grey PNG and a
 * GIF, on an RGB model and on a grey one: each comes out with the model's
 * channels, alpha flattened on the recorded background, no crash. */
static void
test_c08_alpha_and_palettes (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  static const guint8 rgba[] = { 255, 0, 0, 128, 0, 255, 0, 255,
                                 0, 0, 255, 0, 255, 255, 255, 128 };
  static const guint8 palette[] = { 10, 20, 30, 200, 100, 50 };
  static const guint8 indices[] = { 0, 1, 1, 0 };
  static const guint8 grey[] = { 0, 85, 170, 255 };
  g_autofree char *gif = g_test_build_filename (G_TEST_DIST, "images",
                                                "palette-4x2.gif", NULL);
  GBytes *files[3];
  const char *names[3] = { "rgba.png", "palette.png", "grey.png" };

  files[0] = make_png (2, 2, 8, PNG_RGBA, rgba, NULL, 0);
  files[1] = make_png (2, 2, 8, PNG_PALETTE, indices, palette, 2);
  files[2] = make_png (2, 2, 8, PNG_GREY, grey, NULL, 0);

  for (int channels = 1; channels <= 3; channels += 2)
    for (guint f = 0; f < 4; f++)
      {
        g_autofree char *path = f < 3 ? test_tmp_path (tmp, names[f])
                                      : g_strdup (gif);
        g_autoptr(CnvImage) image = NULL;
        g_autoptr(GError) error = NULL;
        CnvPreprocessing pp;

        if (f < 3)
          write_bytes (path, files[f]);
        cnv_preprocessing_init_default (&pp, 2, 2, channels);
        pp.background[0] = 0;
        pp.background[1] = 0;
        pp.background[2] = 255;
        image = cnv_image_load (path, &pp, &error);
        g_assert_no_error (error);
        g_assert_cmpint (image->channels, ==, channels);

        if (f == 0 && channels == 3)
          {
            /* Half-transparent red on blue: 128/255 red, the rest blue. */
            g_assert_true (image->had_alpha);
            g_assert_cmpint (abs ((int) image->pixels[0] - 128), <=, 1);
            g_assert_cmpint (abs ((int) image->pixels[2] - 127), <=, 1);
            /* Fully transparent blue pixel: the background exactly. */
            g_assert_cmpuint (image->pixels[6], ==, 0);
            g_assert_cmpuint (image->pixels[8], ==, 255);
          }
        if (f == 1 && channels == 3)
          g_assert_cmpuint (image->pixels[3], ==, 200);
      }

  for (guint f = 0; f < 3; f++)
    g_bytes_unref (files[f]);
}

/* C09: a 16-bit grey gradient and its 8-bit twin give inputs in the same
 * range, within 1/255 of each other. */
static void
test_c09_16_bit_png (void)
{
  guint8 rows16[2 * 16];
  guint8 rows8[16];
  g_autoptr(GBytes) png16 = NULL;
  g_autoptr(GBytes) png8 = NULL;
  g_autoptr(CnvImage) a = NULL;
  g_autoptr(CnvImage) b = NULL;
  g_autoptr(GError) error = NULL;
  float in16[16], in8[16];
  CnvPreprocessing pp;

  for (int i = 0; i < 16; i++)
    {
      guint16 v = (guint16) (i * 4369);   /* 0 … 65535 */

      rows16[2 * i] = v >> 8;
      rows16[2 * i + 1] = v & 0xff;
      rows8[i] = (guint8) (i * 17);       /* 0 … 255 */
    }
  png16 = make_png (16, 1, 16, PNG_GREY, rows16, NULL, 0);
  png8 = make_png (16, 1, 8, PNG_GREY, rows8, NULL, 0);

  cnv_preprocessing_init_default (&pp, 16, 1, 1);
  a = cnv_image_load_bytes (png16, "16.png", &pp, &error);
  g_assert_no_error (error);
  b = cnv_image_load_bytes (png8, "8.png", &pp, &error);
  g_assert_no_error (error);
  cnv_image_to_input (a->pixels, &pp, in16);
  cnv_image_to_input (b->pixels, &pp, in8);
  for (int i = 0; i < 16; i++)
    g_assert_cmpfloat (fabsf (in16[i] - in8[i]), <=, 1.0f / 255.0f + 1e-6f);
  g_assert_cmpfloat (in16[15], ==, 1.0f);
}

/* C10: a class of 100 good JPEGs, one cut in half, one of zero bytes and a
 * text file named .jpg: the 100 are used and the three are listed by
 * name, each with its reason. */
static void
test_c10_one_bad_file (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *good = g_build_filename (folder, "good", NULL);
  g_autofree char *bad = g_build_filename (folder, "bad", NULL);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GHashTable) reasons = g_hash_table_new (g_str_hash, g_str_equal);
  CnvPreprocessing pp;

  g_assert_cmpint (g_mkdir_with_parents (good, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (bad, 0755), ==, 0);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("%03u.jpg", i);
      g_autofree char *path = g_build_filename (bad, name, NULL);
      g_autofree char *other = g_build_filename (good, name, NULL);

      write_image (path, 8, 8, 0x808080, i);
      write_image (other, 8, 8, 0x202020, i);
    }
  {
    g_autofree char *whole = g_build_filename (bad, "000.jpg", NULL);
    g_autofree char *half = g_build_filename (bad, "cut.jpg", NULL);
    g_autofree char *empty = g_build_filename (bad, "empty.jpg", NULL);
    g_autofree char *text = g_build_filename (bad, "notes.jpg", NULL);
    g_autoptr(GBytes) bytes = read_bytes (whole);
    g_autoptr(GBytes) first_half = g_bytes_new_from_bytes (
      bytes, 0, g_bytes_get_size (bytes) / 2);

    write_bytes (half, first_half);
    write_text (empty, "");
    write_text (text, "these are not pixels\n");
  }

  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  dataset = load_dataset (folder, &pp, NULL);
  g_assert_cmpstr (dataset->class_names[0], ==, "bad");
  g_assert_cmpuint (dataset->class_counts[0], ==, 100);
  g_assert_cmpuint (dataset->class_counts[1], ==, 100);
  g_assert_cmpuint (dataset->skipped_counts[0], ==, 3);
  g_assert_cmpuint (dataset->skipped->len, ==, 3);
  for (guint i = 0; i < dataset->skipped->len; i++)
    {
      const CnvSkippedFile *s = g_ptr_array_index (dataset->skipped, i);

      g_hash_table_insert (reasons, g_path_get_basename (s->path),
                           s->reason);
    }
  g_assert_nonnull (strstr (g_hash_table_lookup (reasons, "cut.jpg"),
                            "truncated"));
  g_assert_nonnull (strstr (g_hash_table_lookup (reasons, "empty.jpg"),
                            "empty"));
  g_test_message ("notes.jpg: %s",
                  (char *) g_hash_table_lookup (reasons, "notes.jpg"));
  g_assert_nonnull (strstr (g_hash_table_lookup (reasons, "notes.jpg"),
                            "not an image"));
  g_hash_table_foreach (reasons, (GHFunc) (void (*) (void)) g_free, NULL);
}

/* ---- numbers ----------------------------------------------------------- */

/* C11: one tensor stored as F64 opens converted to F32, with a notice; its
 * byte span is checked as elements × 8. */
static void
test_c11_f64_weights (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "c11.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GByteArray) file = g_byte_array_new ();
  double values[3] = { 0.25, -1.5, 1e-3 };
  float single = 2.0f;
  const char *header = "{\"w\":{\"dtype\":\"F64\",\"shape\":[3],"
                       "\"data_offsets\":[0,24]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],"
                       "\"data_offsets\":[24,28]}}";
  const char *short_header = "{\"w\":{\"dtype\":\"F64\",\"shape\":[3],"
                             "\"data_offsets\":[0,12]}}";
  guint64 n = GUINT64_TO_LE (strlen (header));

  g_byte_array_append (file, (guint8 *) &n, 8);
  g_byte_array_append (file, (guint8 *) header, strlen (header));
  for (guint i = 0; i < 3; i++)
    {
      guint64 bits;

      memcpy (&bits, &values[i], 8);
      bits = GUINT64_TO_LE (bits);
      g_byte_array_append (file, (guint8 *) &bits, 8);
    }
  g_byte_array_append (file, (guint8 *) &single, 4);
  g_assert_true (g_file_set_contents (path, (char *) file->data, file->len,
                                      NULL));

  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cnv_safetensors_find (st, "w")->stored_dtype, ==, "F64");
  g_assert_cmpfloat (cnv_safetensors_find (st, "w")->tensor->data[1], ==,
                     -1.5f);
  g_assert_cmpfloat (cnv_safetensors_find (st, "w")->tensor->data[2], ==,
                     (float) 1e-3);

  /* Three F64 values in 12 bytes: the span is elements × 8. */
  g_byte_array_set_size (file, 0);
  n = GUINT64_TO_LE (strlen (short_header));
  g_byte_array_append (file, (guint8 *) &n, 8);
  g_byte_array_append (file, (guint8 *) short_header, strlen (short_header));
  g_byte_array_append (file, (guint8 *) values, 12);
  g_assert_true (g_file_set_contents (path, (char *) file->data, file->len,
                                      NULL));
  g_clear_pointer (&st, cnv_safetensors_free);
  st = cnv_safetensors_read (path, &error);
  g_assert_null (st);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "24"));
}

/* C12: 5 epochs of Adam, saved, opened, 1 more, against 6 in one go (same
 * seed, one thread): the step counter continues, the losses line up and
 * the weights are the same bits.  Without its optimizer state the file
 * says that resuming restarts the optimizer. */
static void
test_c12_resume (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *path = test_tmp_path (tmp, "c12.convolve");
  g_autofree char *json = small_json (1, TRUE);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) straight = NULL;
  g_autoptr(CnvClassifier) first = NULL;
  g_autoptr(CnvClassifier) resumed = NULL;
  g_autoptr(CnvClassifier) stateless = NULL;
  CnvPreprocessing pp;

  cnv_set_threads (1);
  make_dataset (folder, "a", "b", 10, 0x303030, 0xa0a0a0, 8);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  dataset = load_dataset (folder, &pp, NULL);

  straight = classifier_new (json, &pp, NULL, 12);
  train (straight, dataset, 6, 0.003, 0.25);
  first = classifier_new (json, &pp, NULL, 12);
  train (first, dataset, 5, 0.003, 0.25);
  save (first, path);
  resumed = load (path);
  g_assert_cmpint (cnv_optimizer_get_step (resumed->optimizer), ==,
                   cnv_optimizer_get_step (first->optimizer));
  train (resumed, dataset, 1, 0.003, 0.25);

  g_assert_cmpuint (resumed->history->len, ==, 6);
  g_assert_cmpint (cnv_optimizer_get_step (resumed->optimizer), ==,
                   cnv_optimizer_get_step (straight->optimizer));
  for (guint e = 0; e < 6; e++)
    g_assert_cmpfloat (g_array_index (resumed->history, CnvEpochRecord,
                                      e).train_loss, ==,
                       g_array_index (straight->history, CnvEpochRecord,
                                      e).train_loss);
  for (guint i = 0; i < cnv_model_get_n_params (straight->model); i++)
    {
      CnvParam *a = cnv_model_get_param (straight->model, i);
      CnvParam *b = cnv_model_find_param (resumed->model, a->name);

      g_assert_cmpmem (a->value->data, a->value->size * 4, b->value->data,
                       b->value->size * 4);
    }

  rewrite (path, NULL, NULL, "optimizer.");
  stateless = load (path);
  g_assert_null (stateless->optimizer);
  g_assert_nonnull (strstr (g_ptr_array_index (stateless->notices, 0),
                            "resuming training will restart the optimizer"));
  cnv_set_threads (0 < g_get_num_processors () ? g_get_num_processors () : 1);
}

/* ---- files ------------------------------------------------------------- */

/* C13: the disk fills 40 % into saving over an existing checkpoint: the
 * old file is there byte for byte, opens, and nothing else is left. */
static void
test_c13_disk_full_while_saving (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "c13.convolve");
  g_autofree char *probe = test_tmp_path (tmp, "probe.convolve");
  g_autofree char *big_json = g_strdup_printf (LENET_JSON, 32, 5, 1, "");
  g_autofree char *small = small_json (1, FALSE);
  g_autoptr(CnvClassifier) old_model = NULL;
  g_autoptr(CnvClassifier) new_model = NULL;
  g_autoptr(CnvClassifier) reopened = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  struct rlimit saved, limited;
  void (*saved_handler) (int);
  CnvPreprocessing pp;
  GStatBuf st;
  guint n_entries = 0;
  gboolean ok;

  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  old_model = classifier_new (small, &pp, NULL, 13);
  save (old_model, path);
  before = read_bytes (path);

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  new_model = classifier_new (big_json, &pp, NULL, 14);
  save (new_model, probe);
  g_assert_cmpint (g_stat (probe, &st), ==, 0);
  g_assert_cmpint (g_unlink (probe), ==, 0);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limited = saved;
  limited.rlim_cur = (rlim_t) (st.st_size * 4 / 10);
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limited), ==, 0);
  ok = cnv_checkpoint_save (new_model, path, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  g_assert_nonnull (strstr (error->message, "c13.convolve"));
  g_assert_nonnull (strstr (error->message, "any earlier file of that name "
                                            "is unchanged: the file grew "
                                            "beyond"));
  after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  reopened = load (path);
  g_assert_cmpint (cnv_model_get_spec (reopened->model)->width, ==, 8);
  dir = g_dir_open (tmp->dir, 0, NULL);
  while (g_dir_read_name (dir) != NULL)
    n_entries++;
  g_assert_cmpuint (n_entries, ==, 1);
}

/* C14: lengths and offsets are not taken on trust: each of these is
 * refused before anything is allocated for it, with its own message. */
static void
test_c14_lengths_and_offsets (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "c14.safetensors");
  struct
  {
    guint64     header_length;   /* 0: the header's own length */
    const char *header;
    gsize       data_bytes;
    int         code;
    const char *fragment;
  } cases[] = {
    { G_MAXUINT64, "{}", 0, CNV_CHECKPOINT_ERROR_HEADER, "header" },
    { 0, "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
      8, CNV_CHECKPOINT_ERROR_TRUNCATED, "bytes missing" },
    { 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
      12, CNV_CHECKPOINT_ERROR_OFFSETS, "overlap" },
    { 0, "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
         "\"data_offsets\":[0,16]}}",
      16, CNV_CHECKPOINT_ERROR_SHAPE, "of tensor “t” in" },
  };

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr(GByteArray) file = g_byte_array_new ();
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *zeros = g_malloc0 (MAX (cases[k].data_bytes, 1));
      guint64 n = cases[k].header_length != 0 ? cases[k].header_length
                                              : strlen (cases[k].header);

      n = GUINT64_TO_LE (n);
      g_byte_array_append (file, (guint8 *) &n, 8);
      g_byte_array_append (file, (guint8 *) cases[k].header,
                           strlen (cases[k].header));
      g_byte_array_append (file, zeros, cases[k].data_bytes);
      g_assert_true (g_file_set_contents (path, (char *) file->data,
                                          file->len, NULL));

      g_assert_null (cnv_safetensors_read (path, &error));
      g_test_message ("C14 case %u: %s", k, error->message);
      g_assert_error (error, CNV_CHECKPOINT_ERROR, cases[k].code);
      g_assert_nonnull (strstr (error->message, cases[k].fragment));
    }
}

/* C15: names in any script, on disk and inside: a checkpoint saved to and
 * opened from "модели/ü 😀 model.convolve", trained on class folders "猫"
 * and "chien". */
static void
test_c15_names_in_any_script (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "données");
  g_autofree char *models = test_tmp_path (tmp, "модели");
  g_autofree char *path = g_build_filename (models, "ü 😀 model.convolve",
                                            NULL);
  g_autofree char *json = small_json (1, FALSE);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvClassifier) opened = NULL;
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  make_dataset (folder, "猫", "chien", 4, 0x202020, 0xe0e0e0, 8);
  g_assert_cmpint (g_mkdir_with_parents (models, 0755), ==, 0);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  dataset = load_dataset (folder, &pp, NULL);
  /* Byte order of UTF-8: "chien" before "猫". */
  g_assert_cmpstr (dataset->class_names[0], ==, "chien");
  g_assert_cmpstr (dataset->class_names[1], ==, "猫");
  c = classifier_new (json, &pp, NULL, 15);
  train (c, dataset, 1, 0.01, 0.0);
  save (c, path);

  opened = load (path);
  g_assert_cmpstr (opened->class_names[1], ==, "猫");
  g_assert_cmpstr (opened->dataset_folder, ==, folder);
  record = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (record->label, ==, "ü 😀 model.convolve");
}

/* C16: the folder is read-only, or a second instance saves over the file
 * the first has open.  A clear message naming the file, no partial file;
 * the first instance keeps its model.  (The window's offer to save
 * elsewhere while training goes on: tests/test-app.c.) */
static void
test_c16_file_busy (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *locked = test_tmp_path (tmp, "locked");
  g_autofree char *path = test_tmp_path (tmp, "c16.convolve");
  g_autofree char *json = small_json (1, FALSE);
  g_autofree char *target = NULL;
  g_autoptr(CnvClassifier) first = NULL;
  g_autoptr(CnvClassifier) second = NULL;
  g_autoptr(CnvClassifier) reopened = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  first = classifier_new (json, &pp, NULL, 16);
  second = classifier_new (json, &pp, NULL, 17);

  /* root writes into a folder of mode 0555; /proc refuses everyone. */
  g_assert_cmpint (g_mkdir (locked, 0555), ==, 0);
  target = getuid () == 0 ? g_strdup ("/proc/c16.convolve")
                          : g_build_filename (locked, "c16.convolve", NULL);
  g_assert_false (cnv_checkpoint_save (first, target, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "c16.convolve"));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));

  /* A second instance saves over the file the first has opened: the
   * rename replaces it whole, and the file then opens as the second's. */
  save (first, path);
  reopened = load (path);
  save (second, path);
  g_clear_pointer (&reopened, cnv_classifier_free);
  reopened = load (path);
  g_assert_cmpmem (cnv_model_find_param (reopened->model,
                                         "out.weight")->value->data, 4 * 256,
                   cnv_model_find_param (second->model,
                                         "out.weight")->value->data, 4 * 256);
}

/* C17: a file is exactly its header plus its tensors; bytes missing or
 * extra are counted in the message. */
static void
test_c17_fixed_width (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "c17.convolve");
  g_autofree char *json = small_json (1, FALSE);
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  gsize size;

  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  c = classifier_new (json, &pp, NULL, 17);
  save (c, path);
  bytes = read_bytes (path);
  size = g_bytes_get_size (bytes);

  {
    g_autoptr(GByteArray) longer = g_byte_array_new ();

    g_byte_array_append (longer, g_bytes_get_data (bytes, NULL), size);
    g_byte_array_append (longer, (guint8 *) "xyz", 3);
    g_assert_true (g_file_set_contents (path, (char *) longer->data,
                                        longer->len, NULL));
    g_assert_null (cnv_checkpoint_load (path, &error));
    g_assert_error (error, CNV_CHECKPOINT_ERROR,
                    CNV_CHECKPOINT_ERROR_TRAILING);
    g_assert_nonnull (strstr (error->message, "has 3 extra bytes"));
    g_clear_error (&error);
  }

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      size - 5, NULL));
  g_assert_null (cnv_checkpoint_load (path, &error));
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "5 bytes missing"));
}

/* C18: folders "Dogs" and "cats" (and "9" and "10") sort by bytes, the
 * same everywhere.  Trained, saved, opened where a third folder was
 * added: the stored mapping is used, so a dog is still "Dogs", and the
 * explanation says what the folders would have made of it. */
static void
test_c18_class_order (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "pets");
  g_autofree char *numbers = test_tmp_path (tmp, "numbers");
  g_autofree char *third = g_build_filename (folder, "birds", NULL);
  g_autofree char *path = test_tmp_path (tmp, "c18.convolve");
  g_autofree char *json = small_json (1, FALSE);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvDataset) digits = NULL;
  g_autoptr(CnvDataset) again = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvClassifier) opened = NULL;
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  const char *folders[] = { "Dogs", "birds", "cats", NULL };
  g_autofree char *explained = NULL;
  CnvPreprocessing pp;

  make_dataset (folder, "Dogs", "cats", 4, 0x202020, 0xe0e0e0, 8);
  make_dataset (numbers, "9", "10", 2, 0x202020, 0xe0e0e0, 8);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  dataset = load_dataset (folder, &pp, NULL);
  g_assert_cmpstr (dataset->class_names[0], ==, "Dogs");
  g_assert_cmpstr (dataset->class_names[1], ==, "cats");
  digits = load_dataset (numbers, &pp, NULL);
  g_assert_cmpstr (digits->class_names[0], ==, "10");
  g_assert_cmpstr (digits->class_names[1], ==, "9");

  c = classifier_new (json, &pp, NULL, 18);
  train (c, dataset, 1, 0.01, 0.0);
  save (c, path);

  make_dataset (third, "x", "y", 1, 0, 0, 8);
  opened = load (path);
  again = load_dataset (folder, &pp,
                        (const char * const *) opened->class_names);
  g_assert_cmpstr (again->class_names[0], ==, "Dogs");
  for (guint i = 0; i < again->n_images; i++)
    if (strstr (again->paths[i], "Dogs") != NULL)
      g_assert_cmpuint (again->labels[i], ==, 0);
  /* The extra folder is not a class; it is listed as left out. */
  g_assert_cmpuint (again->class_counts[0] + again->class_counts[1], ==, 8);

  record = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  explained = cnv_diff_explain_class_mapping (record, folders);
  g_assert_nonnull (strstr (explained, "3 class folders"));
  g_assert_nonnull (strstr (explained, "“cats” (positive)"));
}

/* C19: every earlier format version is kept here and opens in this
 * build.  Version 1 is the only one so far; it opens with nothing to
 * migrate and nothing to say. */
static void
test_c19_old_files (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "checkpoints",
                                                 "v1-small.convolve", NULL);
  g_autoptr(CnvClassifier) c = load (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelRecord) record = cnv_model_record_load (path, &error);

  g_assert_cmpint (CNV_CHECKPOINT_FORMAT_VERSION, ==, 1);
  g_assert_no_error (error);
  g_assert_true (record->runnable);
  g_assert_cmpuint (c->notices->len, ==, 0);
}

/* C20: nothing in a checkpoint is run or used as a path.  The dataset
 * folder it names is a FIFO here: opening it would block the test, so
 * reading the file, showing it and predicting with it never touch it. */
static void
test_c20_nothing_executed (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-cases-XXXXXX");
  g_autofree char *fifo = test_tmp_path (tmp, "trap");
  g_autofree char *path = test_tmp_path (tmp, "c20.convolve");
  g_autofree char *image = test_tmp_path (tmp, "x.png");
  g_autofree char *json = small_json (1, FALSE);
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvClassifier) opened = NULL;
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dataset_json = NULL;
  CnvPreprocessing pp;
  double p;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  c = classifier_new (json, &pp, NULL, 20);
  save (c, path);
  dataset_json = g_strdup_printf ("{\"folder\": \"%s\", \"counts\": [1, 1], "
                                  "\"skipped\": 0, \"fingerprint\": "
                                  "\"$(rm -rf /)\"}", fifo);
  rewrite (path, "dataset", dataset_json, NULL);

  opened = load (path);
  g_assert_cmpstr (opened->dataset_folder, ==, fifo);
  g_assert_cmpstr (opened->dataset_fingerprint, ==, "$(rm -rf /)");
  record = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  write_image (image, 8, 8, 0x808080, 0);
  g_assert_true (cnv_classifier_predict_file (opened, image, &p, NULL,
                                              &error));

  /* A layer id that looks like a path is no id at all. */
  rewrite (path, "model",
           "{\"input\": {\"width\": 8, \"height\": 8, \"channels\": 1}, "
           "\"layers\": [{\"id\": \"../../etc/passwd\", \"type\": "
           "\"flatten\"}, {\"id\": \"out\", \"type\": \"dense\", "
           "\"units\": 1}]}", NULL);
  g_clear_pointer (&opened, cnv_classifier_free);
  opened = cnv_checkpoint_load (path, &error);
  g_assert_null (opened);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_METADATA);
  g_assert_nonnull (strstr (error->message, "no valid “id”"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cases/C01-kernel-size-differs",
                   test_c01_kernel_size_differs);
  g_test_add_func ("/cases/C02-binary-head-wrong", test_c02_binary_head_wrong);
  g_test_add_func ("/cases/C03-unknown-layer-type",
                   test_c03_unknown_layer_type);
  g_test_add_func ("/cases/C04-batch-norm-mode", test_c04_batch_norm_mode);
  g_test_add_func ("/cases/C05-scaling-once", test_c05_scaling);
  g_test_add_func ("/cases/C06-channel-order", test_c06_channel_order);
  g_test_add_func ("/cases/C07-exif-orientation", test_c07_exif_orientation);
  g_test_add_func ("/cases/C08-alpha-and-palettes",
                   test_c08_alpha_and_palettes);
  g_test_add_func ("/cases/C09-16-bit-png", test_c09_16_bit_png);
  g_test_add_func ("/cases/C10-one-bad-file-in-a-hundred",
                   test_c10_one_bad_file);
  g_test_add_func ("/cases/C11-64-bit-weights", test_c11_f64_weights);
  g_test_add_func ("/cases/C12-resume-with-and-without-state",
                   test_c12_resume);
  g_test_add_func ("/cases/C13-disk-full-while-saving",
                   test_c13_disk_full_while_saving);
  g_test_add_func ("/cases/C14-lengths-and-offsets",
                   test_c14_lengths_and_offsets);
  g_test_add_func ("/cases/C15-names-in-any-script",
                   test_c15_names_in_any_script);
  g_test_add_func ("/cases/C16-file-busy-or-read-only", test_c16_file_busy);
  g_test_add_func ("/cases/C17-fixed-width-fields", test_c17_fixed_width);
  g_test_add_func ("/cases/C18-class-order-from-folders",
                   test_c18_class_order);
  g_test_add_func ("/cases/C19-old-files-open", test_c19_old_files);
  g_test_add_func ("/cases/C20-nothing-executed", test_c20_nothing_executed);

  return g_test_run ();
}
