/* test-classifier.c — training, resuming, stopping, failing and predicting
 *
 * Everything runs on a synthetic dataset built in memory: 16×16 grey
 * images of a light background with a dark blob, on the left half for
 * class 0 ("left") and on the right half for class 1 ("right"), with some
 * pixel noise.  A tiny network with batch-norm and dropout learns it in a
 * few epochs, which is enough to check every promise of the training
 * loop: it learns, it repeats, it resumes bit for bit, it stops cleanly,
 * it fails cleanly, and prediction does not depend on the batch.
 */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "cnv.h"

#define SIDE      16
#define N_IMAGES  64

static const char tiny_model_json[] =
  "{ \"input\": { \"width\": 16, \"height\": 16, \"channels\": 1 },"
  "  \"layers\": ["
  "    { \"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 4,"
  "      \"kernel\": [3, 3], \"stride\": [1, 1], \"padding\": \"same\" },"
  "    { \"id\": \"relu1\", \"type\": \"relu\" },"
  "    { \"id\": \"pool1\", \"type\": \"max-pool\", \"size\": [2, 2],"
  "      \"stride\": [2, 2], \"padding\": \"valid\" },"
  "    { \"id\": \"bn1\", \"type\": \"batch-norm\", \"momentum\": 0.1,"
  "      \"epsilon\": 1e-5 },"
  "    { \"id\": \"drop1\", \"type\": \"dropout\", \"rate\": 0.25 },"
  "    { \"id\": \"flat\", \"type\": \"flatten\" },"
  "    { \"id\": \"out\", \"type\": \"dense\", \"units\": 1 }"
  "  ] }";

/* No batch-norm: a huge learning rate then blows the weights up instead of
 * being normalised away. */
static const char plain_model_json[] =
  "{ \"input\": { \"width\": 16, \"height\": 16, \"channels\": 1 },"
  "  \"layers\": ["
  "    { \"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 2,"
  "      \"kernel\": [3, 3], \"stride\": [1, 1], \"padding\": \"valid\" },"
  "    { \"id\": \"relu1\", \"type\": \"relu\" },"
  "    { \"id\": \"flat\", \"type\": \"flatten\" },"
  "    { \"id\": \"out\", \"type\": \"dense\", \"units\": 1 }"
  "  ] }";

/* LeNet-sized, with batch-norm: big enough that the matrix products take
 * the paths whose rounding depends on the batch size. */
static const char lenet_bn_model_json[] =
  "{ \"input\": { \"width\": 16, \"height\": 16, \"channels\": 1 },"
  "  \"layers\": ["
  "    { \"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 8,"
  "      \"kernel\": [5, 5], \"stride\": [1, 1], \"padding\": \"same\" },"
  "    { \"id\": \"bn1\", \"type\": \"batch-norm\", \"momentum\": 0.1,"
  "      \"epsilon\": 1e-5 },"
  "    { \"id\": \"relu1\", \"type\": \"relu\" },"
  "    { \"id\": \"pool1\", \"type\": \"max-pool\", \"size\": [2, 2],"
  "      \"stride\": [2, 2], \"padding\": \"valid\" },"
  "    { \"id\": \"conv2\", \"type\": \"conv2d\", \"filters\": 16,"
  "      \"kernel\": [5, 5], \"stride\": [1, 1], \"padding\": \"same\" },"
  "    { \"id\": \"relu2\", \"type\": \"relu\" },"
  "    { \"id\": \"flat\", \"type\": \"flatten\" },"
  "    { \"id\": \"fc1\", \"type\": \"dense\", \"units\": 64 },"
  "    { \"id\": \"relu3\", \"type\": \"relu\" },"
  "    { \"id\": \"out\", \"type\": \"dense\", \"units\": 1 }"
  "  ] }";

static CnvDataset *
new_blob_dataset (guint   n_images,
                  guint32 seed)
{
  CnvDataset *dataset = g_new0 (CnvDataset, 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  dataset->folder = g_strdup ("synthetic-blobs");
  dataset->class_names[0] = g_strdup ("left");
  dataset->class_names[1] = g_strdup ("right");
  dataset->width = SIDE;
  dataset->height = SIDE;
  dataset->channels = 1;
  dataset->n_images = n_images;
  dataset->pixels = g_new (guint8, (gsize) n_images * SIDE * SIDE);
  dataset->labels = g_new (guint8, n_images);
  dataset->paths = g_new0 (char *, n_images + 1);
  dataset->skipped = g_ptr_array_new ();
  dataset->fingerprint = g_strdup ("0123456789abcdef");

  for (guint i = 0; i < n_images; i++)
    {
      guint8 label = i % 2;
      guint8 *pixels = dataset->pixels + (gsize) i * SIDE * SIDE;
      int cx = label ? g_rand_int_range (rand, 10, 13)
                     : g_rand_int_range (rand, 3, 6);
      int cy = g_rand_int_range (rand, 3, 13);

      for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
          {
            int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            int value = d2 <= 6 ? 40 : 210;

            value += g_rand_int_range (rand, -30, 31);
            pixels[y * SIDE + x] = (guint8) CLAMP (value, 0, 255);
          }

      dataset->labels[i] = label;
      dataset->class_counts[label]++;
      dataset->paths[i] = g_strdup_printf ("%s/%04u.png",
                                           label ? "right" : "left", i);
    }

  return dataset;
}

static CnvClassifier *
new_classifier (const char *json,
                guint64     seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  const char *names[] = { "left", "right", NULL };
  CnvPreprocessing pp;
  CnvClassifier *classifier;

  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  cnv_preprocessing_init_default (&pp, SIDE, SIDE, 1);

  classifier = cnv_classifier_new (spec, &pp, names, seed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (classifier);

  return classifier;
}

static void
init_config (CnvTrainConfig   *config,
             guint             epochs,
             CnvOptimizerKind  kind)
{
  cnv_train_config_init_default (config);
  config->epochs = epochs;
  config->batch_size = 10;   /* 48 training images: 4 × 10 + one of 8 */
  config->val_split = 0.25;
  config->threads = 1;
  cnv_optimizer_config_init_default (&config->optimizer, kind);
  config->optimizer.learning_rate = kind == CNV_OPTIMIZER_ADAM ? 0.01 : 0.05;
}

static void
train_ok (CnvClassifier        *classifier,
          const CnvDataset     *dataset,
          const CnvTrainConfig *config)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cnv_classifier_train (classifier, dataset, config, NULL,
                                       NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Bit-for-bit comparison of every tensor, buffers included. */
static void
assert_same_weights (const CnvClassifier *a,
                     const CnvClassifier *b)
{
  guint n = cnv_model_get_n_params (a->model);

  g_assert_cmpuint (n, ==, cnv_model_get_n_params (b->model));
  for (guint i = 0; i < n; i++)
    {
      const CnvParam *pa = cnv_model_get_param (a->model, i);
      const CnvParam *pb = cnv_model_get_param (b->model, i);

      g_assert_cmpstr (pa->name, ==, pb->name);
      g_assert_cmpuint (pa->value->size, ==, pb->value->size);
      if (memcmp (pa->value->data, pb->value->data,
                  pa->value->size * sizeof (float)) != 0)
        g_error ("%s differs", pa->name);
    }
}

static gboolean
weights_equal (const CnvClassifier *a,
               const CnvClassifier *b)
{
  for (guint i = 0; i < cnv_model_get_n_params (a->model); i++)
    {
      const CnvParam *pa = cnv_model_get_param (a->model, i);
      const CnvParam *pb = cnv_model_get_param (b->model, i);

      if (memcmp (pa->value->data, pb->value->data,
                  pa->value->size * sizeof (float)) != 0)
        return FALSE;
    }

  return TRUE;
}

static void
assert_all_finite (const CnvClassifier *classifier)
{
  for (guint i = 0; i < cnv_model_get_n_params (classifier->model); i++)
    {
      const CnvParam *param = cnv_model_get_param (classifier->model, i);

      for (gsize k = 0; k < param->value->size; k++)
        if (!isfinite (param->value->data[k]))
          g_error ("%s[%" G_GSIZE_FORMAT "] is not finite", param->name, k);
    }
}

static void
test_learns_blobs (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 3);
  const CnvEpochRecord *first, *last;
  CnvTrainConfig config;

  init_config (&config, 12, CNV_OPTIMIZER_ADAM);
  train_ok (classifier, dataset, &config);

  g_assert_cmpuint (classifier->history->len, ==, 12);
  first = &g_array_index (classifier->history, CnvEpochRecord, 0);
  last = &g_array_index (classifier->history, CnvEpochRecord, 11);

  g_assert_cmpuint (first->epoch, ==, 1);
  g_assert_cmpuint (last->epoch, ==, 12);
  /* Five batches per epoch: the last, smaller one is not dropped. */
  g_assert_cmpint (first->step, ==, 5);
  g_assert_cmpint (last->step, ==, 60);
  g_assert_cmpfloat (last->learning_rate, ==, 0.01);

  g_test_message ("epoch 1: loss %.4f; epoch 12: loss %.4f, validation "
                  "accuracy %.4f, AUC %.4f", first->train_loss,
                  last->train_loss, last->validation.accuracy,
                  last->validation.auc);
  g_assert_cmpfloat (last->train_loss, <, 0.5 * first->train_loss);
  g_assert_cmpfloat (last->train_accuracy, >=, 0.9);
  g_assert_cmpuint (last->validation.n, ==, 16);
  g_assert_cmpfloat (last->validation.accuracy, >=, 0.9);
  g_assert_cmpfloat (last->validation.auc, >=, 0.95);

  /* The dataset's summary and classes are the classifier's now. */
  g_assert_cmpstr (classifier->dataset_folder, ==, "synthetic-blobs");
  g_assert_cmpuint (classifier->dataset_counts[0], ==, 32);
  g_assert_cmpuint (classifier->dataset_counts[1], ==, 32);
  g_assert_cmpstr (classifier->dataset_fingerprint, ==, "0123456789abcdef");
  g_assert_cmpstr (classifier->class_names[1], ==, "right");
  g_assert_cmpuint (classifier->batch_size, ==, 10);
  g_assert_cmpfloat (classifier->val_split, ==, 0.25);
}

static void
test_same_seed_same_weights (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) a = new_classifier (tiny_model_json, 7);
  g_autoptr(CnvClassifier) b = new_classifier (tiny_model_json, 7);
  g_autoptr(CnvClassifier) c = new_classifier (tiny_model_json, 8);
  CnvTrainConfig config;

  init_config (&config, 2, CNV_OPTIMIZER_ADAM);
  train_ok (a, dataset, &config);
  train_ok (b, dataset, &config);
  train_ok (c, dataset, &config);

  assert_same_weights (a, b);
  g_assert_cmpfloat (g_array_index (a->history, CnvEpochRecord, 1)
                       .train_loss, ==,
                     g_array_index (b->history, CnvEpochRecord, 1)
                       .train_loss);
  /* The comparison can fail: another seed gives other weights. */
  g_assert_false (weights_equal (a, c));
}

/* C12: 2 epochs, a save and an open, 1 more epoch equals 3 epochs in one
 * go, bit for bit, with the step counter continuing. */
static void
check_resume (CnvOptimizerKind kind,
              gboolean         through_file)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 2);
  g_autoptr(CnvClassifier) straight = new_classifier (tiny_model_json, 11);
  g_autoptr(CnvClassifier) first = new_classifier (tiny_model_json, 11);
  g_autoptr(CnvClassifier) resumed = NULL;
  CnvTrainConfig config;

  init_config (&config, 3, kind);
  train_ok (straight, dataset, &config);

  config.epochs = 2;
  train_ok (first, dataset, &config);
  g_assert_false (weights_equal (first, straight));

  if (through_file)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("cnv-resume-XXXXXX", &error);
      g_autofree char *path = NULL;

      g_assert_no_error (error);
      path = g_build_filename (dir, "resume.convolve", NULL);
      g_assert_true (cnv_checkpoint_save (first, path, &error));
      g_assert_no_error (error);
      resumed = cnv_checkpoint_load (path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (resumed);
      g_assert_cmpint (g_unlink (path), ==, 0);
      g_assert_cmpint (g_rmdir (dir), ==, 0);
    }
  else
    {
      resumed = cnv_classifier_copy (first);
    }
  g_clear_pointer (&first, cnv_classifier_free);

  g_assert_nonnull (resumed->optimizer);
  g_assert_cmpint (cnv_optimizer_get_step (resumed->optimizer), ==, 10);
  g_assert_cmpuint (resumed->history->len, ==, 2);

  config.epochs = 1;
  train_ok (resumed, dataset, &config);

  g_assert_cmpint (cnv_optimizer_get_step (resumed->optimizer), ==, 15);
  g_assert_cmpint (cnv_optimizer_get_step (straight->optimizer), ==, 15);
  g_assert_cmpuint (resumed->history->len, ==, 3);
  g_assert_cmpuint (g_array_index (resumed->history, CnvEpochRecord, 2)
                      .epoch, ==, 3);
  /* No jump in the loss curve: epoch 3's loss is the same number. */
  g_assert_cmpfloat (g_array_index (resumed->history, CnvEpochRecord, 2)
                       .train_loss, ==,
                     g_array_index (straight->history, CnvEpochRecord, 2)
                       .train_loss);
  assert_same_weights (resumed, straight);
  for (guint i = 0; i < cnv_optimizer_get_n_slots (straight->optimizer); i++)
    {
      CnvOptimizerSlot *want = cnv_optimizer_get_slot (straight->optimizer,
                                                       i);
      CnvOptimizerSlot *got = cnv_optimizer_find_slot (resumed->optimizer,
                                                       want->name);

      g_assert_nonnull (got);
      g_assert_true (memcmp (got->value->data, want->value->data,
                             want->value->size * sizeof (float)) == 0);
    }
}

static void
test_resume_adam_copy (void)
{
  check_resume (CNV_OPTIMIZER_ADAM, FALSE);
}

static void
test_resume_sgd_copy (void)
{
  check_resume (CNV_OPTIMIZER_SGD, FALSE);
}

static void
test_resume_adam_checkpoint (void)
{
  check_resume (CNV_OPTIMIZER_ADAM, TRUE);
}

static void
test_resume_sgd_checkpoint (void)
{
  check_resume (CNV_OPTIMIZER_SGD, TRUE);
}

typedef struct
{
  CnvTrainControl control;
  guint           stop_after;   /* batches into the run */
  guint           n_batch;
  guint           n_epoch;
  gint64          last_step;
  CnvClassifier  *classifier;
  CnvClassifier  *snapshot;     /* taken when the stop is requested */
} StopData;

static void
stop_progress_cb (const CnvTrainProgress *progress,
                  gpointer                user_data)
{
  StopData *data = user_data;

  if (progress->kind == CNV_TRAIN_PROGRESS_EPOCH)
    {
      data->n_epoch++;
      g_assert_nonnull (progress->record);
      g_assert_cmpuint (progress->record->epoch, ==, progress->epoch);
      return;
    }

  data->n_batch++;
  data->last_step = progress->step;
  g_assert_null (progress->record);
  g_assert_cmpuint (progress->n_batches, ==, 5);
  g_assert_true (isfinite (progress->batch_loss));

  if (data->n_batch == data->stop_after)
    {
      /* What the app does: snapshot at a batch boundary, then stop. */
      data->snapshot = cnv_classifier_copy (data->classifier);
      g_atomic_int_set (&data->control.stop, 1);
    }
}

static void
run_until_stop (CnvClassifier    *classifier,
                const CnvDataset *dataset,
                guint             stop_after,
                StopData         *data)
{
  g_autoptr(GError) error = NULL;
  CnvTrainConfig config;

  memset (data, 0, sizeof *data);
  data->stop_after = stop_after;
  data->classifier = classifier;

  init_config (&config, 4, CNV_OPTIMIZER_ADAM);
  g_assert_true (cnv_classifier_train (classifier, dataset, &config,
                                       &data->control, stop_progress_cb,
                                       data, &error));
  g_assert_no_error (error);
  g_assert_nonnull (data->snapshot);

  /* No step after the stop request: the weights are the snapshot's. */
  assert_same_weights (classifier, data->snapshot);
  g_assert_cmpint (cnv_optimizer_get_step (data->snapshot->optimizer), ==,
                   stop_after);
  g_clear_pointer (&data->snapshot, cnv_classifier_free);
  assert_all_finite (classifier);
}

static void
test_stop_keeps_last_step (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 5);
  g_autoptr(CnvClassifier) initial = cnv_classifier_copy (classifier);
  StopData data;

  run_until_stop (classifier, dataset, 3, &data);
  g_assert_cmpuint (data.n_batch, ==, 3);
  g_assert_cmpuint (data.n_epoch, ==, 0);
  g_assert_cmpint (data.last_step, ==, 3);
  g_assert_cmpint (cnv_optimizer_get_step (classifier->optimizer), ==, 3);
  /* The interrupted epoch leaves no record. */
  g_assert_cmpuint (classifier->history->len, ==, 0);
  g_assert_false (weights_equal (classifier, initial));

  /* Stop in the second epoch: the first one is recorded. */
  g_clear_pointer (&classifier, cnv_classifier_free);
  classifier = new_classifier (tiny_model_json, 5);
  run_until_stop (classifier, dataset, 7, &data);
  g_assert_cmpuint (data.n_epoch, ==, 1);
  g_assert_cmpint (cnv_optimizer_get_step (classifier->optimizer), ==, 7);
  g_assert_cmpuint (classifier->history->len, ==, 1);
}

static void
test_not_finite_loss (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (plain_model_json, 5);
  g_autoptr(CnvClassifier) before = NULL;
  CnvTrainConfig config;

  /* Input scaling gone wrong: the inputs overflow to infinity, so the
   * very first batch loss is not finite. */
  classifier->preprocessing.scale = 1e38f;
  before = cnv_classifier_copy (classifier);

  init_config (&config, 2, CNV_OPTIMIZER_ADAM);
  g_assert_false (cnv_classifier_train (classifier, dataset, &config, NULL,
                                        NULL, NULL, &error));
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "epoch 1"));
  g_assert_nonnull (strstr (error->message, "batch 1"));
  g_assert_nonnull (strstr (error->message, "learning rate"));

  /* Nothing was stepped; the weights are the ones from before. */
  assert_all_finite (classifier);
  assert_same_weights (classifier, before);
  g_assert_cmpint (cnv_optimizer_get_step (classifier->optimizer), ==, 0);
  g_assert_cmpuint (classifier->history->len, ==, 0);
}

static void
test_not_finite_learning_rate (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (plain_model_json, 5);
  CnvTrainConfig config;
  gint64 step;

  init_config (&config, 3, CNV_OPTIMIZER_SGD);
  config.optimizer.learning_rate = 1e30;
  config.optimizer.momentum = 0.9;

  g_assert_false (cnv_classifier_train (classifier, dataset, &config, NULL,
                                        NULL, NULL, &error));
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "epoch 1"));
  g_assert_nonnull (strstr (error->message, "batch "));
  g_test_message ("%s", error->message);

  assert_all_finite (classifier);
  step = cnv_optimizer_get_step (classifier->optimizer);
  g_assert_cmpint (step, <, 5);
  g_assert_cmpuint (classifier->history->len, ==, 0);
}

static void
test_not_finite_weights (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (plain_model_json, 5);
  g_autoptr(CnvClassifier) before = cnv_classifier_copy (classifier);
  CnvTrainConfig config;

  /* A learning rate beyond float range: the first step itself makes the
   * weights infinite, and that step is undone. */
  init_config (&config, 1, CNV_OPTIMIZER_SGD);
  config.optimizer.learning_rate = 1e300;

  g_assert_false (cnv_classifier_train (classifier, dataset, &config, NULL,
                                        NULL, NULL, &error));
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "weights"));
  g_assert_nonnull (strstr (error->message, "epoch 1, batch 1"));

  assert_same_weights (classifier, before);
  g_assert_cmpint (cnv_optimizer_get_step (classifier->optimizer), ==, 0);
  for (guint i = 0; i < cnv_optimizer_get_n_slots (classifier->optimizer);
       i++)
    {
      CnvTensor *slot = cnv_optimizer_get_slot (classifier->optimizer,
                                                i)->value;

      for (gsize k = 0; k < slot->size; k++)
        g_assert_true (isfinite (slot->data[k]));
    }
}

/* C04: in inference mode a sample's probability does not depend on what
 * else is in the batch, nor on how often it was asked for. */
static void
test_predict_batch_equals_single (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (lenet_bn_model_json,
                                                        9);
  g_autoptr(CnvClassifier) copy = NULL;
  const guint8 *pixels[8];
  const guint8 *all_pixels[N_IMAGES];
  float batch[8];
  float all[N_IMAGES];
  CnvTrainConfig config;

  init_config (&config, 2, CNV_OPTIMIZER_ADAM);
  train_ok (classifier, dataset, &config);

  for (guint i = 0; i < 8; i++)
    pixels[i] = cnv_dataset_get_pixels (dataset, 3 * i + 1);
  cnv_classifier_predict_pixels (classifier, pixels, 8, batch);

  for (guint i = 0; i < 8; i++)
    {
      float alone, again;

      cnv_classifier_predict_pixels (classifier, &pixels[i], 1, &alone);
      cnv_classifier_predict_pixels (classifier, &pixels[i], 1, &again);
      g_assert_true (isfinite (alone));
      g_assert_cmpfloat (alone, ==, batch[i]);
      g_assert_cmpfloat (again, ==, alone);
    }

  /* Different images give different logits (the test could fail). */
  g_assert_cmpfloat (batch[0], !=, batch[1]);

  /* The whole dataset in one call, more than one internal batch. */
  for (guint i = 0; i < N_IMAGES; i++)
    all_pixels[i] = cnv_dataset_get_pixels (dataset, i);
  cnv_classifier_predict_pixels (classifier, all_pixels, N_IMAGES, all);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpfloat (all[3 * i + 1], ==, batch[i]);

  /* Prediction changes no statistic: a copy taken now agrees. */
  copy = cnv_classifier_copy (classifier);
  cnv_classifier_predict_pixels (classifier, pixels, 8, batch);
  assert_same_weights (classifier, copy);
}

static void
test_evaluate_matches_predict (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 4);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 9);
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree float *logits = g_new (float, N_IMAGES);
  const guint8 *pixels[N_IMAGES];
  guint8 labels[N_IMAGES];
  CnvMetrics want, got;
  CnvTrainConfig config;
  guint n = 0;

  init_config (&config, 1, CNV_OPTIMIZER_ADAM);
  train_ok (classifier, dataset, &config);
  classifier->threshold = 0.4;

  for (guint i = 0; i < N_IMAGES; i += 3)
    {
      g_array_append_val (indices, i);
      pixels[n] = cnv_dataset_get_pixels (dataset, i);
      labels[n] = dataset->labels[i];
      n++;
    }

  cnv_classifier_predict_pixels (classifier, pixels, n, logits);
  cnv_metrics_compute (logits, labels, n, 0.4, &want);
  cnv_classifier_evaluate (classifier, dataset, indices, &got);

  g_assert_cmpuint (got.n, ==, n);
  g_assert_cmpuint (got.tp, ==, want.tp);
  g_assert_cmpuint (got.fp, ==, want.fp);
  g_assert_cmpuint (got.tn, ==, want.tn);
  g_assert_cmpuint (got.fn, ==, want.fn);
  g_assert_cmpfloat (got.loss, ==, want.loss);
  g_assert_cmpfloat (got.accuracy, ==, want.accuracy);
  g_assert_cmpfloat (got.auc, ==, want.auc);
  g_assert_cmpfloat (got.threshold, ==, 0.4);

  /* NULL indices: every image. */
  cnv_classifier_evaluate (classifier, dataset, NULL, &got);
  g_assert_cmpuint (got.n, ==, N_IMAGES);
  g_assert_cmpuint (got.tp + got.fp + got.tn + got.fn, ==, N_IMAGES);
}

static void
test_predict_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 9);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  const guint8 *source = cnv_dataset_get_pixels (dataset, 5);
  const guint8 *seen;
  double probability = -1.0;
  float logit;
  guint8 *row;
  int stride;

  dir = g_dir_make_tmp ("cnv-predict-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "right blob.png", NULL);

  /* A grey image written as an RGB PNG, as a user's file would be. */
  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  row = gdk_pixbuf_get_pixels (pixbuf);
  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++)
      memset (row + y * stride + 3 * x, source[y * SIDE + x], 3);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);

  g_assert_true (cnv_classifier_predict_file (classifier, path, &probability,
                                              &image, &error));
  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpint (image->width, ==, SIDE);
  g_assert_cmpint (image->channels, ==, 1);
  for (int i = 0; i < SIDE * SIDE; i++)
    g_assert_cmpint (ABS ((int) image->pixels[i] - (int) source[i]), <=, 1);

  /* The probability is that of exactly what the network saw. */
  seen = image->pixels;
  cnv_classifier_predict_pixels (classifier, &seen, 1, &logit);
  g_assert_cmpfloat (probability, ==, cnv_sigmoid (logit));

  g_assert_cmpint (g_unlink (path), ==, 0);

  /* A missing file is an error naming it, not a crash. */
  g_assert_false (cnv_classifier_predict_file (classifier, path,
                                               &probability, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_check_names_both_sizes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  CnvPreprocessing pp;

  spec = cnv_model_spec_new_from_json (tiny_model_json, -1, &error);
  g_assert_no_error (error);
  cnv_preprocessing_init_default (&pp, 28, 28, 1);

  classifier = cnv_classifier_new (spec, &pp, NULL, 1, &error);
  g_assert_null (classifier);
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "28×28"));
  g_assert_nonnull (strstr (error->message, "16×16"));
  g_clear_error (&error);

  /* Colour preprocessing for a grey model. */
  cnv_preprocessing_init_default (&pp, SIDE, SIDE, 3);
  classifier = cnv_classifier_new (spec, &pp, NULL, 1, &error);
  g_assert_null (classifier);
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "3 channel"));
}

static void
test_new_is_seeded (void)
{
  g_autoptr(CnvClassifier) a = new_classifier (tiny_model_json, 21);
  g_autoptr(CnvClassifier) b = new_classifier (tiny_model_json, 21);
  g_autoptr(CnvClassifier) c = new_classifier (tiny_model_json, 22);

  assert_same_weights (a, b);
  g_assert_false (weights_equal (a, c));
  g_assert_null (a->optimizer);
  g_assert_cmpuint (a->history->len, ==, 0);
  g_assert_cmpint (a->positive_class, ==, 1);
  g_assert_cmpfloat (a->threshold, ==, 0.5);
  g_assert_cmpstr (a->class_names[0], ==, "left");
}

static void
test_copy_is_deep (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 9);
  g_autoptr(CnvClassifier) snapshot = NULL;
  g_autoptr(CnvClassifier) twin = NULL;
  CnvTrainConfig config;

  init_config (&config, 1, CNV_OPTIMIZER_ADAM);
  train_ok (classifier, dataset, &config);
  snapshot = cnv_classifier_copy (classifier);
  twin = cnv_classifier_copy (classifier);

  train_ok (classifier, dataset, &config);
  g_assert_cmpint (cnv_optimizer_get_step (snapshot->optimizer), ==, 5);
  g_assert_cmpuint (snapshot->history->len, ==, 1);
  assert_same_weights (snapshot, twin);
  g_assert_false (weights_equal (snapshot, classifier));
  g_assert_cmpstr (snapshot->dataset_folder, ==, "synthetic-blobs");
}

static void
test_changing_optimizer_starts_fresh (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 9);
  CnvTrainConfig config;

  init_config (&config, 1, CNV_OPTIMIZER_ADAM);
  train_ok (classifier, dataset, &config);
  g_assert_cmpint (cnv_optimizer_get_step (classifier->optimizer), ==, 5);

  /* Same kind, new hyperparameters: state and counter are kept. */
  config.optimizer.learning_rate = 0.002;
  train_ok (classifier, dataset, &config);
  g_assert_cmpint (cnv_optimizer_get_step (classifier->optimizer), ==, 10);
  g_assert_cmpfloat (cnv_optimizer_get_config (classifier->optimizer)
                       ->learning_rate, ==, 0.002);
  g_assert_cmpfloat (g_array_index (classifier->history, CnvEpochRecord, 1)
                       .learning_rate, ==, 0.002);

  /* Another kind: a new optimizer whose counter starts again. */
  init_config (&config, 1, CNV_OPTIMIZER_SGD);
  train_ok (classifier, dataset, &config);
  g_assert_true (cnv_optimizer_get_config (classifier->optimizer)->kind
                 == CNV_OPTIMIZER_SGD);
  g_assert_cmpint (cnv_optimizer_get_step (classifier->optimizer), ==, 5);
  g_assert_cmpuint (classifier->history->len, ==, 3);
}

static void
test_invalid_settings (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvDataset) wrong = new_blob_dataset (4, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 9);
  CnvTrainConfig config;

  init_config (&config, 1, CNV_OPTIMIZER_ADAM);
  config.batch_size = 0;
  g_assert_false (cnv_classifier_train (classifier, dataset, &config, NULL,
                                        NULL, NULL, &error));
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID);
  g_clear_error (&error);

  init_config (&config, 1, CNV_OPTIMIZER_ADAM);
  config.val_split = 1.0;
  g_assert_false (cnv_classifier_train (classifier, dataset, &config, NULL,
                                        NULL, NULL, &error));
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID);
  g_clear_error (&error);

  init_config (&config, 1, CNV_OPTIMIZER_ADAM);
  config.optimizer.learning_rate = -1.0;
  g_assert_false (cnv_classifier_train (classifier, dataset, &config, NULL,
                                        NULL, NULL, &error));
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "learning_rate"));
  g_clear_error (&error);

  /* Images prepared at another size. */
  init_config (&config, 1, CNV_OPTIMIZER_ADAM);
  wrong->width = 8;
  wrong->height = 32;
  g_assert_false (cnv_classifier_train (classifier, wrong, &config, NULL,
                                        NULL, NULL, &error));
  g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "8×32"));
  g_assert_nonnull (strstr (error->message, "synthetic-blobs"));

  /* Nothing was trained by any of these. */
  g_assert_null (classifier->optimizer);
  g_assert_cmpuint (classifier->history->len, ==, 0);
}

/* A batch size from a user or a file is capped; before the cap, G_MAXUINT
 * reached cnv_tensor_new_4d () as a negative int and crashed. */
static void
test_batch_size_capped (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 9);
  const guint too_large[] = { G_MAXUINT, CNV_MAX_BATCH_SIZE + 1 };
  CnvTrainConfig config;

  for (guint i = 0; i < G_N_ELEMENTS (too_large); i++)
    {
      g_autofree char *value = g_strdup_printf ("%u", too_large[i]);

      init_config (&config, 1, CNV_OPTIMIZER_ADAM);
      config.batch_size = too_large[i];
      g_assert_false (cnv_classifier_train (classifier, dataset, &config,
                                            NULL, NULL, NULL, &error));
      g_assert_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, value));
      g_assert_nonnull (strstr (error->message, "65536"));
      g_clear_error (&error);
    }

  g_assert_null (classifier->optimizer);
  g_assert_cmpuint (classifier->history->len, ==, 0);
}

/* A batch larger than the training set is the training set: 48 training
 * images with a batch of 65536 train exactly like a batch of 48, one step
 * per epoch, and the setting the user chose is what is stored. */
static void
test_batch_clamped_to_training_images (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 1);
  g_autoptr(CnvClassifier) huge = new_classifier (tiny_model_json, 9);
  g_autoptr(CnvClassifier) exact = new_classifier (tiny_model_json, 9);
  CnvTrainConfig config;

  init_config (&config, 2, CNV_OPTIMIZER_ADAM);
  config.batch_size = CNV_MAX_BATCH_SIZE;
  train_ok (huge, dataset, &config);
  config.batch_size = 48;
  train_ok (exact, dataset, &config);

  g_assert_cmpint (cnv_optimizer_get_step (huge->optimizer), ==, 2);
  g_assert_cmpuint (huge->batch_size, ==, CNV_MAX_BATCH_SIZE);
  assert_same_weights (huge, exact);
}

/* metrics are zeroed before the guards, so a caller that ignores the
 * critical reads zeros rather than what was on its stack. */
static void
test_evaluate_zeroes_metrics_on_misuse (void)
{
  g_autoptr(CnvDataset) wrong = new_blob_dataset (4, 1);
  g_autoptr(CnvClassifier) classifier = new_classifier (tiny_model_json, 9);
  CnvMetrics metrics;

  memset (&metrics, 0xab, sizeof metrics);
  wrong->width = 8;
  g_test_expect_message ("cnv-classifier", G_LOG_LEVEL_CRITICAL,
                         "*dataset_fits*");
  cnv_classifier_evaluate (classifier, wrong, NULL, &metrics);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (metrics.n, ==, 0);
  g_assert_cmpuint (metrics.tp, ==, 0);
  g_assert_cmpfloat (metrics.loss, ==, 0.0);
  g_assert_cmpfloat (metrics.accuracy, ==, 0.0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/training/classifier/learns-blobs", test_learns_blobs);
  g_test_add_func ("/training/classifier/same-seed-same-weights",
                   test_same_seed_same_weights);
  g_test_add_func ("/training/classifier/resume-adam-copy",
                   test_resume_adam_copy);
  g_test_add_func ("/training/classifier/resume-sgd-copy",
                   test_resume_sgd_copy);
  g_test_add_func ("/training/classifier/resume-adam-checkpoint",
                   test_resume_adam_checkpoint);
  g_test_add_func ("/training/classifier/resume-sgd-checkpoint",
                   test_resume_sgd_checkpoint);
  g_test_add_func ("/training/classifier/stop-keeps-last-step",
                   test_stop_keeps_last_step);
  g_test_add_func ("/training/classifier/not-finite-loss",
                   test_not_finite_loss);
  g_test_add_func ("/training/classifier/not-finite-learning-rate",
                   test_not_finite_learning_rate);
  g_test_add_func ("/training/classifier/not-finite-weights",
                   test_not_finite_weights);
  g_test_add_func ("/training/classifier/predict-batch-equals-single",
                   test_predict_batch_equals_single);
  g_test_add_func ("/training/classifier/evaluate-matches-predict",
                   test_evaluate_matches_predict);
  g_test_add_func ("/training/classifier/predict-file", test_predict_file);
  g_test_add_func ("/training/classifier/check-names-both-sizes",
                   test_check_names_both_sizes);
  g_test_add_func ("/training/classifier/new-is-seeded", test_new_is_seeded);
  g_test_add_func ("/training/classifier/copy-is-deep", test_copy_is_deep);
  g_test_add_func ("/training/classifier/changing-optimizer-starts-fresh",
                   test_changing_optimizer_starts_fresh);
  g_test_add_func ("/training/classifier/batch-size-capped",
                   test_batch_size_capped);
  g_test_add_func ("/training/classifier/batch-clamped-to-training-images",
                   test_batch_clamped_to_training_images);
  g_test_add_func ("/training/classifier/evaluate-zeroes-metrics-on-misuse",
                   test_evaluate_zeroes_metrics_on_misuse);
  g_test_add_func ("/training/classifier/invalid-settings",
                   test_invalid_settings);

  return g_test_run ();
}
