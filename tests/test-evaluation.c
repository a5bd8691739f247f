/* test-evaluation.c — an evaluation's metrics at any threshold, its
 * confusion-matrix cells and where its numbers come from
 *
 * Hand-computed cases on a few scores, the scikit-learn references of
 * tests/reference/metrics.json (made by make-metrics-reference.py), and a
 * classifier trained on synthetic blobs whose evaluation must agree with
 * what training reported through cnv_classifier_evaluate ().
 */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cnv.h"
#include "test-util.h"

#define SIDE      16
#define N_IMAGES  64

/* Six images, by hand:
 *   index  0    1    2    3    4    5
 *   p      0.9  0.8  0.7  0.4  0.4  0.2
 *   label  1    0    1    1    0    0 */
static const double six_scores[] = { 0.9, 0.8, 0.7, 0.4, 0.4, 0.2 };
static const guint8 six_labels[] = { 1, 0, 1, 1, 0, 0 };
static const char * const six_paths[] = {
  "a.png", "b.png", "c.png", "d.png", "e.png", "f.png",
};
static const char * const six_classes[] = { "cat", "dog" };

static CnvEvaluation *
new_six (void)
{
  return cnv_evaluation_new_from_scores (six_scores, six_labels, six_paths, 6,
                                         six_classes);
}

static void
test_metrics_hand_computed (void)
{
  g_autoptr(CnvEvaluation) evaluation = new_six ();
  CnvMetrics m;

  g_assert_cmpuint (evaluation->n_items, ==, 6);
  g_assert_cmpuint (evaluation->class_counts[0], ==, 3);
  g_assert_cmpuint (evaluation->class_counts[1], ==, 3);
  g_assert_cmpstr (evaluation->class_names[1], ==, "dog");
  g_assert_cmpstr (evaluation->items[3].path, ==, "d.png");

  /* t = 0.5: positive {0.9, 0.8, 0.7} → tp 2 (0, 2), fp 1 (1);
   * negative {0.4, 0.4, 0.2} → fn 1 (3), tn 2 (4, 5). */
  cnv_evaluation_metrics_at (evaluation, 0.5, &m);
  g_assert_cmpuint (m.n, ==, 6);
  g_assert_cmpuint (m.tp, ==, 2);
  g_assert_cmpuint (m.fp, ==, 1);
  g_assert_cmpuint (m.fn, ==, 1);
  g_assert_cmpuint (m.tn, ==, 2);
  g_assert_cmpfloat (m.threshold, ==, 0.5);
  g_assert_cmpfloat_with_epsilon (m.accuracy, 4.0 / 6.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (m.precision, 2.0 / 3.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (m.recall, 2.0 / 3.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (m.f1, 2.0 / 3.0, 1e-15);

  /* A probability equal to the threshold is positive: at 0.4 both tied
   * images join, tp 3, fp 2. */
  cnv_evaluation_metrics_at (evaluation, 0.4, &m);
  g_assert_cmpuint (m.tp, ==, 3);
  g_assert_cmpuint (m.fp, ==, 2);
  g_assert_cmpuint (m.tn, ==, 1);
  g_assert_cmpuint (m.fn, ==, 0);
  g_assert_cmpfloat_with_epsilon (m.precision, 0.6, 1e-15);
  g_assert_cmpfloat (m.recall, ==, 1.0);
  g_assert_cmpfloat_with_epsilon (m.f1, 0.75, 1e-15);

  /* Above every score nothing is positive; precision is then 0. */
  cnv_evaluation_metrics_at (evaluation, 0.95, &m);
  g_assert_cmpuint (m.tp + m.fp, ==, 0);
  g_assert_cmpuint (m.tn, ==, 3);
  g_assert_cmpfloat (m.precision, ==, 0.0);
  g_assert_cmpfloat (m.f1, ==, 0.0);

  /* 0 makes everything positive. */
  cnv_evaluation_metrics_at (evaluation, 0.0, &m);
  g_assert_cmpuint (m.tp, ==, 3);
  g_assert_cmpuint (m.fp, ==, 3);

  /* Pairs (pos, neg): 0.9 beats all 3; 0.7 beats 0.4, 0.2; 0.4 ties 0.4
   * (½) and beats 0.2 → (3 + 2 + 1.5) / 9. */
  g_assert_cmpfloat_with_epsilon (m.auc, 6.5 / 9.0, 1e-12);

  /* −(ln 0.9 + ln 0.2 + ln 0.7 + ln 0.4 + ln 0.6 + ln 0.8) / 6 */
  g_assert_cmpfloat_with_epsilon (m.loss,
                                  -(log (0.9) + log (0.2) + log (0.7)
                                    + log (0.4) + log (0.6) + log (0.8)) / 6,
                                  1e-12);
}

static guint
cell_at (const GArray *cell,
         guint         i)
{
  return g_array_index (cell, guint, i);
}

static void
test_cells_most_confidently_wrong_first (void)
{
  const double scores[] = { 0.55, 0.95, 0.1, 0.7, 0.3, 0.02, 0.7, 0.45 };
  const guint8 labels[] = { 0, 0, 1, 0, 1, 1, 1, 0 };
  g_autoptr(CnvEvaluation) evaluation = NULL;
  g_autoptr(GArray) fp = NULL;
  g_autoptr(GArray) fn = NULL;
  g_autoptr(GArray) tp = NULL;
  g_autoptr(GArray) tn = NULL;
  g_autoptr(GArray) moved = NULL;

  evaluation = cnv_evaluation_new_from_scores (scores, labels, NULL, 8, NULL);

  /* True negatives called positive at 0.5: 0.95 (1) is the most
   * confidently wrong, then 0.7 (3), then 0.55 (0). */
  fp = cnv_evaluation_get_cell (evaluation, 0, 1, 0.5);
  g_assert_cmpuint (fp->len, ==, 3);
  g_assert_cmpuint (cell_at (fp, 0), ==, 1);
  g_assert_cmpuint (cell_at (fp, 1), ==, 3);
  g_assert_cmpuint (cell_at (fp, 2), ==, 0);

  /* Positives called negative: the lowest probability first. */
  fn = cnv_evaluation_get_cell (evaluation, 1, 0, 0.5);
  g_assert_cmpuint (fn->len, ==, 3);
  g_assert_cmpuint (cell_at (fn, 0), ==, 5);
  g_assert_cmpuint (cell_at (fn, 1), ==, 2);
  g_assert_cmpuint (cell_at (fn, 2), ==, 4);

  /* Right answers: the most doubtful first. */
  tp = cnv_evaluation_get_cell (evaluation, 1, 1, 0.5);
  g_assert_cmpuint (tp->len, ==, 1);
  g_assert_cmpuint (cell_at (tp, 0), ==, 6);
  tn = cnv_evaluation_get_cell (evaluation, 0, 0, 0.5);
  g_assert_cmpuint (tn->len, ==, 1);
  g_assert_cmpuint (cell_at (tn, 0), ==, 7);

  /* At 0.7 the tied 0.7s stay positive (equal counts as positive) and
   * 0.55 moves to the true negatives, above 0.45 in doubt. */
  moved = cnv_evaluation_get_cell (evaluation, 0, 0, 0.7);
  g_assert_cmpuint (moved->len, ==, 2);
  g_assert_cmpuint (cell_at (moved, 0), ==, 0);
  g_assert_cmpuint (cell_at (moved, 1), ==, 7);
}

static void
test_cell_ties_keep_item_order (void)
{
  const double scores[] = { 0.8, 0.6, 0.8, 0.8 };
  const guint8 labels[] = { 0, 0, 0, 0 };
  g_autoptr(CnvEvaluation) evaluation = NULL;
  g_autoptr(GArray) fp = NULL;

  evaluation = cnv_evaluation_new_from_scores (scores, labels, NULL, 4, NULL);
  fp = cnv_evaluation_get_cell (evaluation, 0, 1, 0.5);
  g_assert_cmpuint (fp->len, ==, 4);
  g_assert_cmpuint (cell_at (fp, 0), ==, 0);
  g_assert_cmpuint (cell_at (fp, 1), ==, 2);
  g_assert_cmpuint (cell_at (fp, 2), ==, 3);
  g_assert_cmpuint (cell_at (fp, 3), ==, 1);
}

static void
test_best_f1_threshold (void)
{
  g_autoptr(CnvEvaluation) evaluation = new_six ();
  g_autoptr(CnvEvaluation) negatives = NULL;
  const double scores[] = { 0.3, 0.6 };
  const guint8 labels[] = { 0, 0 };

  /* F1 at each distinct score: 0.9 → 2·1·⅓/(1⅓) = 0.5; 0.8 → 0.4;
   * 0.7 → ⅔; 0.4 → 0.75; 0.2 → 2·½·1/1.5 = ⅔.  Best: 0.4. */
  g_assert_cmpfloat (cnv_evaluation_best_f1_threshold (evaluation), ==, 0.4);

  negatives = cnv_evaluation_new_from_scores (scores, labels, NULL, 2, NULL);
  g_assert_cmpfloat (cnv_evaluation_best_f1_threshold (negatives), ==, 0.5);
}

/* The same counts and figures as cnv_metrics_compute () on the logits,
 * at every probability the images take and between them. */
static void
test_metrics_agree_with_metrics_compute (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(CnvEvaluation) evaluation = NULL;
  float logits[200];
  double probabilities[200];
  guint8 labels[200];
  guint n = G_N_ELEMENTS (logits);

  for (guint i = 0; i < n; i++)
    {
      /* Some logits repeat, so some probabilities tie. */
      logits[i] = (float) (g_rand_int_range (rand, -40, 41) / 8.0);
      labels[i] = g_rand_double (rand) < 0.5 + logits[i] / 12.0;
      probabilities[i] = cnv_sigmoid (logits[i]);
    }
  evaluation = cnv_evaluation_new_from_scores (probabilities, labels, NULL,
                                               n, NULL);

  for (guint i = 0; i <= n + 2; i++)
    {
      double threshold = i < n ? probabilities[i]
                               : (double) (i - n) / 2.0;
      CnvMetrics fast, slow;

      for (int nudge = -1; nudge <= 1; nudge++)
        {
          double t = CLAMP (threshold + nudge * 1e-9, 0.0, 1.0);

          cnv_evaluation_metrics_at (evaluation, t, &fast);
          cnv_metrics_compute (logits, labels, n, t, &slow);
          g_assert_cmpuint (fast.tp, ==, slow.tp);
          g_assert_cmpuint (fast.fp, ==, slow.fp);
          g_assert_cmpuint (fast.tn, ==, slow.tn);
          g_assert_cmpuint (fast.fn, ==, slow.fn);
          g_assert_cmpfloat (fast.accuracy, ==, slow.accuracy);
          g_assert_cmpfloat (fast.precision, ==, slow.precision);
          g_assert_cmpfloat (fast.recall, ==, slow.recall);
          g_assert_cmpfloat (fast.f1, ==, slow.f1);
          g_assert_cmpfloat_with_epsilon (fast.auc, slow.auc, 1e-12);
          g_assert_cmpfloat_with_epsilon (fast.loss, slow.loss, 1e-9);
        }
    }
}

/* scikit-learn's confusion_matrix at 0.3, 0.5 and 0.7, roc_auc_score and
 * average_precision_score on the cases of metrics.json. */
static void
test_matches_sklearn_reference (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "reference",
                                                 "metrics.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *cases;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  cases = json_object_get_array_member (
    json_node_get_object (json_parser_get_root (parser)), "cases");
  g_assert_cmpuint (json_array_get_length (cases), >=, 5);

  for (guint c = 0; c < json_array_get_length (cases); c++)
    {
      JsonObject *ref = json_array_get_object_element (cases, c);
      JsonArray *scores = json_object_get_array_member (ref, "scores");
      JsonArray *labels = json_object_get_array_member (ref, "labels");
      JsonObject *confusion = json_object_get_object_member (ref,
                                                             "confusion");
      guint n = json_array_get_length (scores);
      g_autofree double *p = g_new (double, n);
      g_autofree guint8 *y = g_new (guint8, n);
      g_autoptr(CnvEvaluation) evaluation = NULL;
      const char *thresholds[] = { "0.3", "0.5", "0.7" };

      for (guint i = 0; i < n; i++)
        {
          p[i] = json_array_get_double_element (scores, i);
          y[i] = (guint8) json_array_get_int_element (labels, i);
        }
      evaluation = cnv_evaluation_new_from_scores (p, y, NULL, n, NULL);

      g_test_message ("case %s", json_object_get_string_member (ref, "name"));
      g_assert_cmpfloat_with_epsilon (evaluation->curves->auc,
                                      json_object_get_double_member (ref,
                                                                     "auc"),
                                      1e-12);
      g_assert_cmpfloat_with_epsilon (evaluation->curves->average_precision,
                                      json_object_get_double_member (ref,
                                        "average_precision"), 1e-12);

      for (guint t = 0; t < G_N_ELEMENTS (thresholds); t++)
        {
          JsonObject *counts = json_object_get_object_member (confusion,
                                                              thresholds[t]);
          g_autoptr(GArray) fp = NULL;
          g_autoptr(GArray) fn = NULL;
          CnvMetrics m;

          cnv_evaluation_metrics_at (evaluation,
                                     g_ascii_strtod (thresholds[t], NULL),
                                     &m);
          g_assert_cmpint (m.tp, ==, json_object_get_int_member (counts,
                                                                 "tp"));
          g_assert_cmpint (m.fp, ==, json_object_get_int_member (counts,
                                                                 "fp"));
          g_assert_cmpint (m.tn, ==, json_object_get_int_member (counts,
                                                                 "tn"));
          g_assert_cmpint (m.fn, ==, json_object_get_int_member (counts,
                                                                 "fn"));

          /* The cells hold exactly as many images as the matrix says. */
          fp = cnv_evaluation_get_cell (evaluation, 0, 1, m.threshold);
          fn = cnv_evaluation_get_cell (evaluation, 1, 0, m.threshold);
          g_assert_cmpuint (fp->len, ==, m.fp);
          g_assert_cmpuint (fn->len, ==, m.fn);
        }
    }
}

/* A classifier on synthetic blobs */

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
  dataset->fingerprint = g_strdup ("blobs-fingerprint");

  /* A blob on the left half for "left", on the right for "right"; noise
   * and a few blobs near the middle keep the answers imperfect. */
  for (guint i = 0; i < n_images; i++)
    {
      guint8 label = i % 2;
      guint8 *pixels = dataset->pixels + (gsize) i * SIDE * SIDE;
      int cx = label ? g_rand_int_range (rand, 7, 13)
                     : g_rand_int_range (rand, 3, 9);
      int cy = g_rand_int_range (rand, 3, 13);

      for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
          {
            int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            int value = d2 <= 6 ? 40 : 210;

            value += g_rand_int_range (rand, -60, 61);
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
new_trained_classifier (const CnvDataset *dataset,
                        double            val_split)
{
  static const char json[] =
    "{ \"input\": { \"width\": 16, \"height\": 16, \"channels\": 1 },"
    "  \"layers\": ["
    "    { \"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 2,"
    "      \"kernel\": [3, 3], \"stride\": [1, 1], \"padding\": \"valid\" },"
    "    { \"id\": \"relu1\", \"type\": \"relu\" },"
    "    { \"id\": \"flat\", \"type\": \"flatten\" },"
    "    { \"id\": \"out\", \"type\": \"dense\", \"units\": 1 }"
    "  ] }";
  const char *names[] = { "left", "right", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  CnvClassifier *classifier;
  CnvTrainConfig config;
  CnvPreprocessing pp;

  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  cnv_preprocessing_init_default (&pp, SIDE, SIDE, 1);
  classifier = cnv_classifier_new (spec, &pp, names, 5, &error);
  g_assert_no_error (error);

  cnv_train_config_init_default (&config);
  config.epochs = 2;
  config.batch_size = 8;
  config.val_split = val_split;
  config.threads = 1;
  config.optimizer.learning_rate = 0.003;
  g_assert_true (cnv_classifier_train (classifier, dataset, &config, NULL,
                                       NULL, NULL, &error));
  g_assert_no_error (error);

  return classifier;
}

/* The validation split of the last run gives what training reported for
 * the last epoch, at every threshold what cnv_classifier_evaluate () gives,
 * and each item carries its image's path and label. */
static void
test_split_matches_training (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 3);
  g_autoptr(CnvClassifier) classifier = new_trained_classifier (dataset,
                                                                0.25);
  g_autoptr(CnvEvaluation) evaluation = NULL;
  g_autoptr(GArray) train = NULL;
  g_autoptr(GArray) validation = NULL;
  g_autoptr(GError) error = NULL;
  const CnvEpochRecord *last;
  CnvMetrics m;

  evaluation = cnv_evaluation_new_for_split (classifier, dataset, NULL,
                                             &error);
  g_assert_no_error (error);
  g_assert_nonnull (evaluation);
  g_assert_cmpint (evaluation->source, ==, CNV_EVALUATION_VALIDATION_SPLIT);
  g_assert_cmpfloat (evaluation->val_split, ==, 0.25);
  g_assert_cmpuint (evaluation->seed, ==, classifier->seed);
  g_assert_true (evaluation->training_folder);
  g_assert_cmpstr (evaluation->folder, ==, "synthetic-blobs");
  g_assert_cmpuint (evaluation->folder_counts[0], ==, N_IMAGES / 2);

  /* 25 % of each class of 32: 8 + 8. */
  g_assert_cmpuint (evaluation->n_items, ==, 16);
  g_assert_cmpuint (evaluation->class_counts[0], ==, 8);
  g_assert_cmpuint (evaluation->class_counts[1], ==, 8);

  cnv_dataset_split (dataset, 0.25, classifier->seed, &train, &validation);
  for (guint i = 0; i < validation->len; i++)
    {
      guint index = g_array_index (validation, guint, i);

      g_assert_cmpstr (evaluation->items[i].path, ==, dataset->paths[index]);
      g_assert_cmpuint (evaluation->items[i].label, ==,
                        dataset->labels[index]);
    }

  last = &g_array_index (classifier->history, CnvEpochRecord,
                         classifier->history->len - 1);
  cnv_evaluation_metrics_at (evaluation, classifier->threshold, &m);
  g_assert_cmpuint (m.n, ==, last->validation.n);
  g_assert_cmpuint (m.tp, ==, last->validation.tp);
  g_assert_cmpuint (m.fp, ==, last->validation.fp);
  g_assert_cmpuint (m.tn, ==, last->validation.tn);
  g_assert_cmpuint (m.fn, ==, last->validation.fn);
  g_assert_cmpfloat (m.loss, ==, last->validation.loss);
  g_assert_cmpfloat_with_epsilon (m.auc, last->validation.auc, 1e-12);

  for (double t = 0.05; t < 1.0; t += 0.05)
    {
      CnvMetrics reference;
      CnvMetrics fast;

      classifier->threshold = t;
      cnv_classifier_evaluate (classifier, dataset, validation, &reference);
      cnv_evaluation_metrics_at (evaluation, t, &fast);
      g_assert_cmpuint (fast.tp, ==, reference.tp);
      g_assert_cmpuint (fast.fp, ==, reference.fp);
      g_assert_cmpuint (fast.tn, ==, reference.tn);
      g_assert_cmpuint (fast.fn, ==, reference.fn);
    }
}

static void
test_refusals_name_the_problem (void)
{
  g_autoptr(CnvDataset) dataset = new_blob_dataset (N_IMAGES, 4);
  g_autoptr(CnvClassifier) classifier = new_trained_classifier (dataset,
                                                                0.25);
  g_autoptr(CnvClassifier) no_validation = new_trained_classifier (dataset,
                                                                   0.0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) none = g_array_new (FALSE, FALSE, sizeof (guint));
  CnvEvaluation *evaluation;
  char *swap;

  /* Trained without a validation split: nothing was held out. */
  evaluation = cnv_evaluation_new_for_split (no_validation, dataset, NULL,
                                             &error);
  g_assert_null (evaluation);
  g_assert_error (error, CNV_EVALUATION_ERROR,
                  CNV_EVALUATION_ERROR_NO_IMAGES);
  g_assert_nonnull (strstr (error->message, "without validation images"));
  g_clear_error (&error);

  evaluation = cnv_evaluation_new (classifier, dataset, none, NULL, &error);
  g_assert_null (evaluation);
  g_assert_error (error, CNV_EVALUATION_ERROR,
                  CNV_EVALUATION_ERROR_NO_IMAGES);
  g_clear_error (&error);

  g_cancellable_cancel (cancellable);
  evaluation = cnv_evaluation_new (classifier, dataset, NULL, cancellable,
                                   &error);
  g_assert_null (evaluation);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Classes in another order would turn every answer around. */
  swap = dataset->class_names[0];
  dataset->class_names[0] = dataset->class_names[1];
  dataset->class_names[1] = swap;
  evaluation = cnv_evaluation_new (classifier, dataset, NULL, NULL, &error);
  g_assert_null (evaluation);
  g_assert_error (error, CNV_EVALUATION_ERROR, CNV_EVALUATION_ERROR_MISFIT);
  g_assert_cmpstr (error->message, ==,
                   "The classes of “synthetic-blobs” are “right” and “left”, "
                   "but the model’s are “left” and “right”, in that order.");
  g_clear_error (&error);
  dataset->class_names[1] = dataset->class_names[0];
  dataset->class_names[0] = swap;

  dataset->width = 8;
  evaluation = cnv_evaluation_new (classifier, dataset, NULL, NULL, &error);
  g_assert_null (evaluation);
  g_assert_error (error, CNV_EVALUATION_ERROR, CNV_EVALUATION_ERROR_MISFIT);
  g_assert_nonnull (strstr (error->message, "8 × 16 × 1"));
  dataset->width = SIDE;
}

/* A folder on disk: read with the model's preprocessing and class order,
 * every image evaluated; a wrong layout names the folder. */
static void
test_folder_on_disk (void)
{
  g_autofree char *sample = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                              "data", "sample", NULL);
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  const char *names[] = { "sneaker", "ankle-boot", NULL };
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(CnvEvaluation) evaluation = NULL;
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-evaluation-XXXXXX");
  g_autofree char *third = g_build_filename (tmp->dir, "third", NULL);
  CnvPreprocessing pp;
  CnvMetrics reference;
  CnvMetrics fast;

  cnv_preprocessing_init_default (&pp, spec->width, spec->height,
                                  spec->channels);
  /* Positive first in the sorted order: the model's order must win. */
  classifier = cnv_classifier_new (spec, &pp, names, 9, &error);
  g_assert_no_error (error);

  evaluation = cnv_evaluation_new_for_folder (classifier, sample, NULL,
                                              &error);
  g_assert_no_error (error);
  g_assert_cmpint (evaluation->source, ==, CNV_EVALUATION_FOLDER);
  g_assert_cmpstr (evaluation->class_names[1], ==, "ankle-boot");
  g_assert_cmpuint (evaluation->n_items, ==, 400);
  g_assert_false (evaluation->training_folder);

  dataset = cnv_dataset_load (sample, &pp, names, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < dataset->n_images; i++)
    g_assert_cmpuint (evaluation->items[i].label, ==, dataset->labels[i]);
  cnv_classifier_evaluate (classifier, dataset, NULL, &reference);
  cnv_evaluation_metrics_at (evaluation, classifier->threshold, &fast);
  g_assert_cmpuint (fast.tp, ==, reference.tp);
  g_assert_cmpuint (fast.fp, ==, reference.fp);
  g_assert_cmpuint (fast.tn, ==, reference.tn);
  g_assert_cmpfloat (fast.loss, ==, reference.loss);

  /* A folder without the model's classes. */
  g_assert_cmpint (g_mkdir (third, 0755), ==, 0);
  g_clear_pointer (&evaluation, cnv_evaluation_unref);
  evaluation = cnv_evaluation_new_for_folder (classifier, tmp->dir, NULL,
                                              &error);
  g_assert_null (evaluation);
  g_assert_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT);
  g_assert_nonnull (strstr (error->message, tmp->dir));
}

static void
test_shared_between_threads_by_reference (void)
{
  CnvEvaluation *evaluation = new_six ();
  CnvEvaluation *other = cnv_evaluation_ref (evaluation);

  g_assert_true (other == evaluation);
  cnv_evaluation_unref (evaluation);
  /* Still alive through the second reference. */
  g_assert_cmpuint (other->n_items, ==, 6);
  g_assert_cmpstr (other->items[5].path, ==, "f.png");
  cnv_evaluation_unref (other);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/evaluation/metrics-hand-computed",
                   test_metrics_hand_computed);
  g_test_add_func ("/engine/evaluation/cells-most-confidently-wrong-first",
                   test_cells_most_confidently_wrong_first);
  g_test_add_func ("/engine/evaluation/cell-ties-keep-item-order",
                   test_cell_ties_keep_item_order);
  g_test_add_func ("/engine/evaluation/best-f1-threshold",
                   test_best_f1_threshold);
  g_test_add_func ("/engine/evaluation/metrics-agree-with-metrics-compute",
                   test_metrics_agree_with_metrics_compute);
  g_test_add_func ("/engine/evaluation/matches-sklearn-reference",
                   test_matches_sklearn_reference);
  g_test_add_func ("/engine/evaluation/split-matches-training",
                   test_split_matches_training);
  g_test_add_func ("/engine/evaluation/refusals-name-the-problem",
                   test_refusals_name_the_problem);
  g_test_add_func ("/engine/evaluation/folder-on-disk",
                   test_folder_on_disk);
  g_test_add_func ("/engine/evaluation/shared-by-reference",
                   test_shared_between_threads_by_reference);

  return g_test_run ();
}
