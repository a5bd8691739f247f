/* test-training.c — what steers a run: schedules, early stopping and
 * keep-best, pause, class weights and augmentation; and the evaluation
 * curves against scikit-learn */
#define G_LOG_DOMAIN "cnv-test-training"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "cnv.h"
#include "test-util.h"

/* ---- helpers ------------------------------------------------------------ */

/* folder/a and folder/b, n images of 8 × 8 each.  With noise, pixels and
 * labels are random: nothing to learn, so a model can only overfit. */
static void
make_dataset (const char *folder,
              guint       n_a,
              guint       n_b,
              gboolean    noise)
{
  const char *names[2] = { "a", "b" };
  guint counts[2] = { n_a, n_b };
  CnvRng rng;

  cnv_rng_init (&rng, 77);
  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = g_build_filename (folder, names[c], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      for (guint i = 0; i < counts[c]; i++)
        {
          g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB,
                                                        FALSE, 8, 8, 8);
          g_autofree char *name = g_strdup_printf ("%03u.png", i);
          g_autofree char *path = g_build_filename (dir, name, NULL);
          guint8 *p = gdk_pixbuf_get_pixels (pixbuf);
          int stride = gdk_pixbuf_get_rowstride (pixbuf);

          for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
              {
                guint8 v = noise ? (guint8) cnv_rng_below (&rng, 256)
                                 : (guint8) (c == 0 ? 40 + 3 * x
                                                    : 200 - 3 * y
                                                      + (int) (i % 7));

                p[y * stride + 3 * x] = p[y * stride + 3 * x + 1] =
                  p[y * stride + 3 * x + 2] = v;
              }
          g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL));
        }
    }
}

static CnvDataset *
load_dataset (const char *folder)
{
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  CnvDataset *dataset;

  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  dataset = cnv_dataset_load (folder, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  return dataset;
}

static CnvClassifier *
small_classifier (guint64 seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_from_json (
    "{\"input\": {\"width\": 8, \"height\": 8, \"channels\": 1}, "
    "\"layers\": [{\"id\": \"f\", \"type\": \"flatten\"}, "
    "{\"id\": \"h\", \"type\": \"dense\", \"units\": 32}, "
    "{\"id\": \"r\", \"type\": \"relu\"}, "
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}", -1, &error);
  CnvPreprocessing pp;
  CnvClassifier *c;

  g_assert_no_error (error);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  c = cnv_classifier_new (spec, &pp, NULL, seed, &error);
  g_assert_no_error (error);

  return c;
}

static void
assert_same_weights (const CnvClassifier *a,
                     const CnvClassifier *b)
{
  for (guint i = 0; i < cnv_model_get_n_params (a->model); i++)
    {
      CnvParam *pa = cnv_model_get_param (a->model, i);
      CnvParam *pb = cnv_model_find_param (b->model, pa->name);

      g_assert_cmpmem (pa->value->data, pa->value->size * 4, pb->value->data,
                       pb->value->size * 4);
    }
}

/* ---- schedules ---------------------------------------------------------- */

static void
test_schedule_values (void)
{
  CnvSchedule s;

  cnv_schedule_init_default (&s);
  g_assert_cmpfloat (cnv_schedule_learning_rate (&s, 0.1, 7, 3, 10), ==, 0.1);

  /* Step: halve every 2 epochs. */
  s.kind = CNV_SCHEDULE_STEP;
  s.step_epochs = 2;
  s.gamma = 0.5;
  {
    const double expected[] = { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025 };

    for (guint e = 1; e <= 6; e++)
      g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 0.1, e,
                                                                  1, 5),
                                      expected[e - 1], 1e-12);
  }

  /* Cosine over 4 epochs to 10 % of the base, as PyTorch's
   * CosineAnnealingLR with T_max = 4: epoch 3 is halfway, epoch 5 (index
   * 4 = T_max) at the floor, where it stays. */
  s.kind = CNV_SCHEDULE_COSINE;
  s.total_epochs = 4;
  s.min_factor = 0.1;
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 1.0, 1, 1, 4),
                                  1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 1.0, 3, 1, 4),
                                  0.55, 1e-12);
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 1.0, 2, 1, 4),
                                  0.1 + 0.9 * 0.5 * (1 + cos (G_PI / 4)),
                                  1e-12);
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 1.0, 5, 1, 4),
                                  0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 1.0, 9, 1, 4),
                                  0.1, 1e-12);

  /* A warm-up of 2 epochs in front of a constant rate: linear by batch. */
  cnv_schedule_init_default (&s);
  s.warmup_epochs = 2;
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 0.2, 1, 5,
                                                              10),
                                  0.05, 1e-12);
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 0.2, 2, 10,
                                                              10),
                                  0.2, 1e-12);
  g_assert_cmpfloat (cnv_schedule_learning_rate (&s, 0.2, 3, 1, 10), ==, 0.2);

  /* After a warm-up, a step schedule counts from its end. */
  s.kind = CNV_SCHEDULE_STEP;
  s.step_epochs = 1;
  s.gamma = 0.5;
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 0.2, 3, 1,
                                                              10),
                                  0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (cnv_schedule_learning_rate (&s, 0.2, 4, 1,
                                                              10),
                                  0.1, 1e-12);
}

/* 3 epochs of a 6-epoch cosine schedule, saved and opened, then 3 more,
 * against 6 in one go: the same rate in every epoch record, the same
 * weights. */
static void
test_schedule_resume (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-training-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *path = test_tmp_path (tmp, "half.convolve");
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) straight = small_classifier (3);
  g_autoptr(CnvClassifier) first = small_classifier (3);
  g_autoptr(CnvClassifier) resumed = NULL;
  g_autoptr(GError) error = NULL;
  CnvTrainConfig config;

  cnv_set_threads (1);
  make_dataset (folder, 12, 12, FALSE);
  dataset = load_dataset (folder);
  cnv_train_config_init_default (&config);
  config.batch_size = 8;
  config.val_split = 0.25;
  config.optimizer.learning_rate = 0.01;
  config.schedule.kind = CNV_SCHEDULE_COSINE;
  config.schedule.warmup_epochs = 1;
  config.schedule.min_factor = 0.05;

  config.epochs = 6;
  g_assert_true (cnv_classifier_train (straight, dataset, &config, NULL, NULL,
                                       NULL, &error));
  g_assert_cmpuint (straight->schedule.total_epochs, ==, 6);

  config.epochs = 3;
  config.schedule.total_epochs = 6;
  g_assert_true (cnv_classifier_train (first, dataset, &config, NULL, NULL,
                                       NULL, &error));
  g_assert_true (cnv_checkpoint_save (first, path, &error));
  resumed = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resumed->schedule.kind, ==, CNV_SCHEDULE_COSINE);
  g_assert_cmpuint (resumed->schedule.total_epochs, ==, 6);
  /* The optimizer's rate is the base one, not the last step's. */
  g_assert_cmpfloat (cnv_optimizer_get_config (resumed->optimizer)
                       ->learning_rate, ==, 0.01);

  config.schedule = resumed->schedule;
  g_assert_true (cnv_classifier_train (resumed, dataset, &config, NULL, NULL,
                                       NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (resumed->history->len, ==, 6);
  for (guint e = 0; e < 6; e++)
    g_assert_cmpfloat (g_array_index (resumed->history, CnvEpochRecord,
                                      e).learning_rate, ==,
                       g_array_index (straight->history, CnvEpochRecord,
                                      e).learning_rate);
  /* Epoch 4's rate is neither the base nor the warm-up's. */
  g_assert_cmpfloat (g_array_index (resumed->history, CnvEpochRecord,
                                    3).learning_rate, <, 0.01);
  assert_same_weights (straight, resumed);
  cnv_set_threads (g_get_num_processors ());
}

/* ---- early stopping and keep-best ------------------------------------- */

static void
test_best_tracker_scripted (void)
{
  const double losses[] = { 0.9, 0.7, 0.72, 0.69, 0.71, 0.70, 0.75, 0.5 };
  const CnvBestVerdict patience2[] = {
    CNV_BEST_IMPROVED, CNV_BEST_IMPROVED, CNV_BEST_WAITING, CNV_BEST_IMPROVED,
    CNV_BEST_WAITING, CNV_BEST_EXHAUSTED,
  };
  CnvBestTracker t;

  cnv_best_tracker_init (&t, 2, 0.0);
  for (guint e = 0; e < G_N_ELEMENTS (patience2); e++)
    g_assert_cmpint (cnv_best_tracker_update (&t, e + 1, losses[e]), ==,
                     patience2[e]);
  g_assert_cmpuint (t.best_epoch, ==, 4);
  g_assert_cmpfloat (t.best_loss, ==, 0.69);

  /* With min_delta 0.05, 0.69 is no improvement on 0.7. */
  cnv_best_tracker_init (&t, 3, 0.05);
  for (guint e = 0; e < 4; e++)
    cnv_best_tracker_update (&t, e + 1, losses[e]);
  g_assert_cmpuint (t.best_epoch, ==, 2);
  g_assert_cmpint (cnv_best_tracker_update (&t, 5, losses[4]), ==,
                   CNV_BEST_EXHAUSTED);

  /* Without patience it never gives up; NaN never improves. */
  cnv_best_tracker_init (&t, 0, 0.0);
  for (guint e = 0; e < G_N_ELEMENTS (losses); e++)
    g_assert_cmpint (cnv_best_tracker_update (&t, e + 1, losses[e]), !=,
                     CNV_BEST_EXHAUSTED);
  g_assert_cmpint (cnv_best_tracker_update (&t, 9, NAN), ==,
                   CNV_BEST_WAITING);
  g_assert_cmpuint (t.best_epoch, ==, 8);
}

/* On noise the validation loss soon only rises: the run stops after its
 * patience, and keep-best goes back to the weights the same run had at
 * its best epoch (trained again for just that many epochs). */
static void
test_early_stopping_and_keep_best (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-training-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "noise");
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) kept = small_classifier (5);
  g_autoptr(CnvClassifier) reference = small_classifier (5);
  g_autoptr(GError) error = NULL;
  CnvTrainControl control = { 0 };
  CnvTrainConfig config;
  guint best;

  cnv_set_threads (1);
  make_dataset (folder, 20, 20, TRUE);
  dataset = load_dataset (folder);
  cnv_train_config_init_default (&config);
  config.epochs = 60;
  config.batch_size = 8;
  config.val_split = 0.3;
  config.optimizer.learning_rate = 0.01;
  config.patience = 3;
  config.keep_best = TRUE;

  g_assert_true (cnv_classifier_train (kept, dataset, &config, &control, NULL,
                                       NULL, &error));
  g_assert_no_error (error);
  best = control.best_epoch;
  g_test_message ("best epoch %u of %u", best, kept->history->len);
  g_assert_true (control.stopped_early);
  g_assert_cmpuint (kept->history->len, ==, best + 3);
  g_assert_true (control.restored_best);
  g_assert_cmpuint (kept->best_epoch, ==, best);
  for (guint e = 0; e < kept->history->len; e++)
    g_assert_cmpfloat (g_array_index (kept->history, CnvEpochRecord,
                                      e).validation.loss, >=,
                       g_array_index (kept->history, CnvEpochRecord,
                                      best - 1).validation.loss);

  config.epochs = best;
  config.patience = 0;
  config.keep_best = FALSE;
  g_assert_true (cnv_classifier_train (reference, dataset, &config, NULL,
                                       NULL, NULL, &error));
  assert_same_weights (reference, kept);
  g_assert_cmpint (cnv_optimizer_get_step (kept->optimizer), ==,
                   cnv_optimizer_get_step (reference->optimizer));
  cnv_set_threads (g_get_num_processors ());
}

/* ---- pause -------------------------------------------------------------- */

typedef struct
{
  CnvClassifier    *classifier;
  const CnvDataset *dataset;
  CnvTrainConfig    config;
  CnvTrainControl   control;
  gint              batches;
  gboolean          ok;
} PauseRun;

static void
count_batches_cb (const CnvTrainProgress *progress,
                  gpointer                user_data)
{
  PauseRun *run = user_data;

  if (progress->kind == CNV_TRAIN_PROGRESS_BATCH)
    g_atomic_int_inc (&run->batches);
}

static gpointer
pause_thread (gpointer data)
{
  PauseRun *run = data;

  run->ok = cnv_classifier_train (run->classifier, run->dataset, &run->config,
                                  &run->control, count_batches_cb, run, NULL);

  return NULL;
}

static void
test_pause_and_resume (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-training-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) classifier = small_classifier (6);
  PauseRun run = { 0 };
  GThread *thread;

  make_dataset (folder, 8, 8, FALSE);
  dataset = load_dataset (folder);
  run.classifier = classifier;
  run.dataset = dataset;
  cnv_train_config_init_default (&run.config);
  run.config.epochs = 2;
  run.config.batch_size = 4;
  run.control.pause = 1;

  /* Paused before the first batch: nothing happens until resumed. */
  thread = g_thread_new ("pause", pause_thread, &run);
  g_usleep (200 * 1000);
  g_assert_cmpint (g_atomic_int_get (&run.batches), ==, 0);
  g_assert_cmpuint (classifier->history->len, ==, 0);
  g_atomic_int_set (&run.control.pause, 0);
  g_thread_join (thread);

  g_assert_true (run.ok);
  g_assert_cmpuint (classifier->history->len, ==, 2);
  /* 12 training images (2 of each class go to validation) in batches of
   * 4: 3 a epoch. */
  g_assert_cmpint (run.batches, ==, 6);

  /* Stop wins over pause. */
  run.batches = 0;
  run.control.pause = 1;
  run.control.stop = 1;
  thread = g_thread_new ("pause", pause_thread, &run);
  g_thread_join (thread);
  g_assert_cmpint (run.batches, ==, 0);
  g_assert_cmpuint (classifier->history->len, ==, 2);
}

/* ---- class weights ----------------------------------------------------- */

typedef struct
{
  double first_loss;
  gboolean seen;
} FirstLoss;

static void
first_loss_cb (const CnvTrainProgress *progress,
               gpointer                user_data)
{
  FirstLoss *first = user_data;

  if (progress->kind == CNV_TRAIN_PROGRESS_BATCH && !first->seen)
    {
      first->first_loss = progress->batch_loss;
      first->seen = TRUE;
    }
}

/* 6 images against 2: balanced weights of 8 / 12 and 8 / 4.  One batch of
 * all 8, so its loss is Σ w_y · BCE / 8 whatever the order, computed here
 * from the untrained model's logits. */
static void
test_class_weights (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-training-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) c = small_classifier (9);
  g_autoptr(CnvClassifier) untrained = NULL;
  g_autoptr(GError) error = NULL;
  const guint counts[2] = { 6, 2 };
  float weights[2];
  float logits[8];
  float sample_weights[8];
  const guint8 *pixels[8];
  FirstLoss first = { 0 };
  CnvTrainConfig config;

  cnv_class_weights_compute (CNV_CLASS_WEIGHTS_BALANCED, counts, weights);
  g_assert_cmpfloat (weights[0], ==, 8.0f / 12.0f);
  g_assert_cmpfloat (weights[1], ==, 2.0f);
  cnv_class_weights_compute (CNV_CLASS_WEIGHTS_NONE, counts, weights);
  g_assert_cmpfloat (weights[1], ==, 1.0f);

  make_dataset (folder, 6, 2, FALSE);
  dataset = load_dataset (folder);
  untrained = cnv_classifier_copy (c);
  for (guint i = 0; i < 8; i++)
    {
      pixels[i] = cnv_dataset_get_pixels (dataset, i);
      sample_weights[i] = dataset->labels[i] ? 2.0f : 8.0f / 12.0f;
    }
  cnv_classifier_predict_pixels (untrained, pixels, 8, logits);

  cnv_train_config_init_default (&config);
  config.epochs = 1;
  config.batch_size = 8;
  config.val_split = 0.0;
  config.class_weights = CNV_CLASS_WEIGHTS_BALANCED;
  g_assert_true (cnv_classifier_train (c, dataset, &config, NULL,
                                       first_loss_cb, &first, &error));
  g_assert_true (first.seen);
  g_assert_cmpfloat_with_epsilon (first.first_loss,
                                  cnv_bce_with_logits (logits,
                                                       dataset->labels,
                                                       sample_weights, 8,
                                                       NULL), 1e-6);
  g_assert_cmpint (c->class_weights, ==, CNV_CLASS_WEIGHTS_BALANCED);
}

/* ---- augmentation ------------------------------------------------------ */

static void
test_augment (void)
{
  guint8 in[4 * 3];
  guint8 out[4 * 3];
  const guint8 fill[1] = { 7 };
  CnvAugmentation a;
  gboolean mirrored = FALSE;
  gboolean unchanged = FALSE;
  CnvRng rng;

  for (guint i = 0; i < 12; i++)
    in[i] = (guint8) (10 * i);

  /* A flip either mirrors exactly or leaves exactly as it is. */
  cnv_augmentation_init_default (&a);
  g_assert_false (cnv_augmentation_is_active (&a));
  a.horizontal_flip = TRUE;
  cnv_rng_init (&rng, 1);
  for (guint k = 0; k < 40; k++)
    {
      gboolean is_mirror = TRUE;

      cnv_augment (&a, in, out, 4, 3, 1, fill, &rng);
      for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++)
          is_mirror = is_mirror && out[y * 4 + x] == in[y * 4 + 3 - x];
      if (is_mirror)
        mirrored = TRUE;
      else
        {
          g_assert_cmpmem (out, 12, in, 12);
          unchanged = TRUE;
        }
    }
  g_assert_true (mirrored && unchanged);

  /* A shift moves whole pixels and fills in from outside. */
  cnv_augmentation_init_default (&a);
  a.max_shift = 1;
  cnv_rng_init (&rng, 2);
  for (guint k = 0; k < 40; k++)
    {
      gboolean found = FALSE;

      cnv_augment (&a, in, out, 4, 3, 1, fill, &rng);
      for (int dy = -1; dy <= 1 && !found; dy++)
        for (int dx = -1; dx <= 1 && !found; dx++)
          {
            gboolean match = TRUE;

            for (int y = 0; y < 3; y++)
              for (int x = 0; x < 4; x++)
                {
                  int sx = x - dx, sy = y - dy;
                  guint8 want = sx < 0 || sy < 0 || sx >= 4 || sy >= 3
                                ? 7 : in[sy * 4 + sx];

                  match = match && out[y * 4 + x] == want;
                }
            found = match;
          }
      g_assert_true (found);
    }

  /* Without a fill, what comes in from outside is the mean of the
   * image's outermost pixels: a dark frame around a bright middle fills
   * in dark, never in the white a fixed background would give. */
  {
    guint8 framed[16];
    guint8 moved[16];
    gboolean shifted = FALSE;

    memset (framed, 20, sizeof framed);
    framed[5] = framed[6] = framed[9] = framed[10] = 240;
    cnv_augmentation_init_default (&a);
    a.max_shift = 2;
    cnv_rng_init (&rng, 5);
    for (guint k = 0; k < 20; k++)
      {
        guint n_bright = 0;

        cnv_augment (&a, framed, moved, 4, 4, 1, NULL, &rng);
        for (guint i = 0; i < 16; i++)
          {
            g_assert_true (moved[i] == 20 || moved[i] == 240);
            n_bright += moved[i] == 240;
          }
        shifted = shifted || memcmp (moved, framed, 16) != 0;
        g_assert_cmpuint (n_bright, <=, 4);
      }
    g_assert_true (shifted);
  }

  /* Brightness only: a uniform image stays uniform, within 0.1 × 255. */
  {
    guint8 grey[16];
    guint8 bright[16];

    memset (grey, 100, sizeof grey);
    cnv_augmentation_init_default (&a);
    a.brightness = 0.1;
    cnv_rng_init (&rng, 3);
    for (guint k = 0; k < 20; k++)
      {
        cnv_augment (&a, grey, bright, 4, 4, 1, fill, &rng);
        for (guint i = 1; i < 16; i++)
          g_assert_cmpuint (bright[i], ==, bright[0]);
        g_assert_cmpint (abs ((int) bright[0] - 100), <=, 26);
      }
  }

  /* The same seed flips the same images whatever else is switched on. */
  {
    CnvAugmentation both;
    CnvRng r1, r2;
    guint8 out2[12];

    cnv_augmentation_init_default (&a);
    a.horizontal_flip = TRUE;
    both = a;
    both.contrast = 0.0;
    both.max_rotation = 0.0;
    both.brightness = 0.0001;   /* < half a level: no value changes */
    cnv_rng_init (&r1, 4);
    cnv_rng_init (&r2, 4);
    for (guint k = 0; k < 20; k++)
      {
        cnv_augment (&a, in, out, 4, 3, 1, fill, &r1);
        cnv_augment (&both, in, out2, 4, 3, 1, fill, &r2);
        g_assert_cmpmem (out, 12, out2, 12);
      }
  }
}

/* Augmented training differs from plain training, is repeatable with the
 * same seed, and is saved with the model. */
static void
test_augmented_run (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-training-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "data");
  g_autofree char *path = test_tmp_path (tmp, "aug.convolve");
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) plain = small_classifier (4);
  g_autoptr(CnvClassifier) once = small_classifier (4);
  g_autoptr(CnvClassifier) again = small_classifier (4);
  g_autoptr(CnvClassifier) opened = NULL;
  g_autoptr(GError) error = NULL;
  CnvTrainConfig config;

  cnv_set_threads (1);
  make_dataset (folder, 8, 8, FALSE);
  dataset = load_dataset (folder);
  cnv_train_config_init_default (&config);
  config.epochs = 2;
  config.batch_size = 4;
  g_assert_true (cnv_classifier_train (plain, dataset, &config, NULL, NULL,
                                       NULL, &error));
  config.augmentation.horizontal_flip = TRUE;
  config.augmentation.max_rotation = 10.0;
  g_assert_true (cnv_classifier_train (once, dataset, &config, NULL, NULL,
                                       NULL, &error));
  g_assert_true (cnv_classifier_train (again, dataset, &config, NULL, NULL,
                                       NULL, &error));
  assert_same_weights (once, again);
  g_assert_true (memcmp (cnv_model_find_param (plain->model,
                                               "h.weight")->value->data,
                         cnv_model_find_param (once->model,
                                               "h.weight")->value->data,
                         64 * 32 * 4) != 0);

  g_assert_true (cnv_checkpoint_save (once, path, &error));
  opened = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (opened->augmentation.horizontal_flip);
  g_assert_cmpfloat (opened->augmentation.max_rotation, ==, 10.0);
  cnv_set_threads (g_get_num_processors ());
}

/* ---- curves against scikit-learn --------------------------------------- */

static void
check_curves_case (JsonObject *c)
{
  const char *name = json_object_get_string_member (c, "name");
  JsonArray *scores = json_object_get_array_member (c, "scores");
  JsonArray *labels = json_object_get_array_member (c, "labels");
  JsonObject *roc = json_object_get_object_member (c, "roc");
  JsonObject *pr = json_object_get_object_member (c, "pr");
  JsonObject *confusion = json_object_get_object_member (c, "confusion");
  guint n = json_array_get_length (scores);
  g_autofree double *s = g_new (double, n);
  g_autofree guint8 *y = g_new (guint8, n);
  g_autofree float *logits = g_new (float, n);
  g_autoptr(CnvCurves) curves = NULL;
  JsonArray *fpr = json_object_get_array_member (roc, "fpr");
  JsonArray *tpr = json_object_get_array_member (roc, "tpr");
  JsonArray *thresholds = json_object_get_array_member (roc, "thresholds");
  JsonArray *precision = json_object_get_array_member (pr, "precision");
  JsonArray *recall = json_object_get_array_member (pr, "recall");
  JsonArray *pr_thresholds = json_object_get_array_member (pr, "thresholds");
  g_autoptr(GList) cuts = json_object_get_members (confusion);

  for (guint i = 0; i < n; i++)
    {
      s[i] = json_array_get_double_element (scores, i);
      y[i] = (guint8) json_array_get_int_element (labels, i);
    }
  curves = cnv_curves_new (s, y, n);
  g_test_message ("%s: AUC %g, AP %g", name, curves->auc,
                  curves->average_precision);

  g_assert_cmpfloat_with_epsilon (curves->auc,
                                  json_object_get_double_member (c, "auc"),
                                  1e-12);
  g_assert_cmpfloat_with_epsilon (curves->average_precision,
                                  json_object_get_double_member (
                                    c, "average_precision"), 1e-12);

  /* The ROC points, the +∞ one first. */
  g_assert_cmpuint (curves->n_points, ==, json_array_get_length (fpr));
  for (guint p = 0; p < curves->n_points; p++)
    {
      g_assert_cmpfloat_with_epsilon (curves->fpr[p],
                                      json_array_get_double_element (fpr, p),
                                      1e-12);
      g_assert_cmpfloat_with_epsilon (curves->tpr[p],
                                      json_array_get_double_element (tpr, p),
                                      1e-12);
      if (p > 0)
        g_assert_cmpfloat (curves->thresholds[p], ==,
                           json_array_get_double_element (thresholds, p - 1));
    }

  /* Each precision-recall point scikit-learn keeps is one of ours. */
  for (guint k = 0; k < json_array_get_length (pr_thresholds); k++)
    {
      double t = json_array_get_double_element (pr_thresholds, k);
      guint p = cnv_curves_find (curves, t);

      g_assert_cmpfloat (curves->thresholds[p], ==, t);
      g_assert_cmpfloat_with_epsilon (curves->precision[p],
                                      json_array_get_double_element (
                                        precision, k), 1e-12);
      g_assert_cmpfloat_with_epsilon (curves->tpr[p],
                                      json_array_get_double_element (recall,
                                                                     k),
                                      1e-12);
    }

  /* The confusion matrix at a threshold, from the metrics the evaluation
   * shows (logits whose sigmoid is the score). */
  for (guint i = 0; i < n; i++)
    logits[i] = (float) log (s[i] / (1.0 - s[i]));
  for (GList *l = cuts; l != NULL; l = l->next)
    {
      JsonObject *m = json_object_get_object_member (confusion, l->data);
      double t = g_ascii_strtod (l->data, NULL);
      CnvMetrics metrics;
      guint expected_tp = (guint) json_object_get_int_member (m, "tp");
      guint expected_fp = (guint) json_object_get_int_member (m, "fp");
      gboolean near_cut = FALSE;

      /* A float logit may round a score that is exactly the threshold. */
      for (guint i = 0; i < n; i++)
        near_cut = near_cut || fabs (s[i] - t) < 1e-6;
      if (near_cut)
        continue;
      cnv_metrics_compute (logits, y, n, t, &metrics);
      g_assert_cmpuint (metrics.tp, ==, expected_tp);
      g_assert_cmpuint (metrics.fp, ==, expected_fp);
      g_assert_cmpuint (metrics.tn, ==,
                        (guint) json_object_get_int_member (m, "tn"));
      g_assert_cmpuint (metrics.fn, ==,
                        (guint) json_object_get_int_member (m, "fn"));
    }
}

static void
test_curves_against_sklearn (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "reference",
                                                 "metrics.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *cases;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  root = test_parse_json (text);
  cases = json_object_get_array_member (json_node_get_object (root), "cases");
  g_assert_cmpuint (json_array_get_length (cases), ==, 5);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    check_curves_case (json_array_get_object_element (cases, i));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/training/schedule/values", test_schedule_values);
  g_test_add_func ("/training/schedule/resume-mid-schedule",
                   test_schedule_resume);
  g_test_add_func ("/training/early-stopping/scripted-losses",
                   test_best_tracker_scripted);
  g_test_add_func ("/training/early-stopping/keep-best-restores-best-epoch",
                   test_early_stopping_and_keep_best);
  g_test_add_func ("/training/pause-and-resume", test_pause_and_resume);
  g_test_add_func ("/training/class-weights/balanced", test_class_weights);
  g_test_add_func ("/training/augment/transforms", test_augment);
  g_test_add_func ("/training/augment/run", test_augmented_run);
  g_test_add_func ("/metrics/curves/against-scikit-learn",
                   test_curves_against_sklearn);

  return g_test_run ();
}
