/* cnv-evaluation.c — a classifier measured on a set of images, from
 * every threshold
 *
 * The network runs once; after that, everything is arithmetic on one
 * probability per image.  The idea that makes a threshold slider instant:
 * the images are sorted once by falling probability, with a running count
 * of the positives, so the images predicted positive at a threshold t are
 * a prefix of that order.  A binary search finds its length k; then
 * tp = positives among the first k, fp = k − tp, and the rest of the
 * confusion matrix follows from the class totals.
 *
 * The decision rule is cnv_metrics_compute ()'s: positive when
 * probability ≥ threshold, the probability being cnv_sigmoid () of the
 * logit, so the counts here are the counts training reported.
 */
#define G_LOG_DOMAIN "cnv-evaluation"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cnv-evaluation.h"

/* Images per call of the network between two looks at the cancellable. */
#define CHUNK_SIZE 64

G_DEFINE_QUARK (cnv-evaluation-error-quark, cnv_evaluation_error)

static int
compare_falling (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const CnvEvaluationItem *items = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;
  double pa = items[ia].probability;
  double pb = items[ib].probability;

  if (pa != pb)
    return pa > pb ? -1 : 1;

  /* Equal probabilities keep the items' order: a stable result. */
  return (ia > ib) - (ia < ib);
}

static CnvEvaluation *
evaluation_alloc (guint n)
{
  CnvEvaluation *evaluation = g_new0 (CnvEvaluation, 1);

  g_atomic_ref_count_init (&evaluation->ref_count);
  evaluation->n_items = n;
  evaluation->items = g_new0 (CnvEvaluationItem, MAX (n, 1));
  evaluation->loss = NAN;

  return evaluation;
}

/* The order, the running positive counts and the curves, once the items
 * are in. */
static void
evaluation_finish (CnvEvaluation *evaluation)
{
  guint n = evaluation->n_items;
  g_autofree double *scores = g_new (double, MAX (n, 1));
  g_autofree guint8 *labels = g_new (guint8, MAX (n, 1));

  evaluation->order = g_new (guint, MAX (n, 1));
  evaluation->positives_before = g_new0 (guint, n + 1);
  evaluation->class_counts[0] = evaluation->class_counts[1] = 0;

  for (guint i = 0; i < n; i++)
    {
      evaluation->order[i] = i;
      scores[i] = evaluation->items[i].probability;
      labels[i] = evaluation->items[i].label;
      evaluation->class_counts[labels[i] != 0]++;
    }

  /* order [n] <- item indices by falling probability */
  g_qsort_with_data (evaluation->order, n, sizeof (guint), compare_falling,
                     evaluation->items);

  /* positives_before [k] = positives among order [0 .. k − 1] */
  for (guint k = 0; k < n; k++)
    evaluation->positives_before[k + 1] =
      evaluation->positives_before[k]
      + (evaluation->items[evaluation->order[k]].label != 0);

  evaluation->curves = cnv_curves_new (scores, labels, n);
}

/* Mean binary cross-entropy of probabilities; a probability of exactly
 * 0 or 1 on the wrong side gives an infinite loss, as it should. */
static double
loss_of_probabilities (const CnvEvaluation *evaluation)
{
  double sum = 0.0;

  if (evaluation->n_items == 0)
    return 0.0;

  for (guint i = 0; i < evaluation->n_items; i++)
    {
      const CnvEvaluationItem *item = &evaluation->items[i];
      double p = item->label ? item->probability : 1.0 - item->probability;

      sum -= log (p);
    }

  return sum / evaluation->n_items;
}

CnvEvaluation *
cnv_evaluation_new_from_scores (const double       *probabilities,
                                const guint8       *labels,
                                const char * const *paths,
                                guint               n,
                                const char * const *class_names)
{
  CnvEvaluation *evaluation;

  g_return_val_if_fail (n == 0 || (probabilities != NULL && labels != NULL),
                        NULL);

  for (guint i = 0; i < n; i++)
    g_return_val_if_fail (probabilities[i] >= 0.0 && probabilities[i] <= 1.0,
                          NULL);

  evaluation = evaluation_alloc (n);
  evaluation->source = CNV_EVALUATION_SCORES;
  for (int c = 0; c < 2; c++)
    evaluation->class_names[c] = g_strdup (class_names != NULL
                                           ? class_names[c] : NULL);

  for (guint i = 0; i < n; i++)
    {
      evaluation->items[i].probability = probabilities[i];
      evaluation->items[i].label = labels[i] != 0;
      evaluation->items[i].path = g_strdup (paths != NULL ? paths[i] : NULL);
    }

  evaluation_finish (evaluation);
  evaluation->loss = loss_of_probabilities (evaluation);

  return evaluation;
}

static gboolean
check_fit (const CnvClassifier *classifier,
           const CnvDataset    *dataset,
           GError             **error)
{
  const CnvModelSpec *spec = cnv_model_get_spec (classifier->model);
  g_autofree char *display = g_filename_display_name (dataset->folder);

  if (dataset->width != spec->width || dataset->height != spec->height
      || dataset->channels != spec->channels)
    {
      g_set_error (error, CNV_EVALUATION_ERROR, CNV_EVALUATION_ERROR_MISFIT,
                   _("The images of “%s” were read at %d × %d × %d, but the "
                     "model takes %d × %d × %d."), display,
                   dataset->width, dataset->height, dataset->channels,
                   spec->width, spec->height, spec->channels);
      return FALSE;
    }

  for (int c = 0; c < 2; c++)
    if (g_strcmp0 (dataset->class_names[c], classifier->class_names[c]) != 0)
      {
        g_set_error (error, CNV_EVALUATION_ERROR, CNV_EVALUATION_ERROR_MISFIT,
                     _("The classes of “%s” are “%s” and “%s”, but the "
                       "model’s are “%s” and “%s”, in that order."),
                     display, dataset->class_names[0],
                     dataset->class_names[1], classifier->class_names[0],
                     classifier->class_names[1]);
        return FALSE;
      }

  return TRUE;
}

CnvEvaluation *
cnv_evaluation_new (CnvClassifier    *classifier,
                    const CnvDataset *dataset,
                    const GArray     *indices,
                    GCancellable     *cancellable,
                    GError          **error)
{
  g_autoptr(CnvEvaluation) evaluation = NULL;
  g_autofree const guint8 **pixels = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree float *logits = NULL;
  guint n;

  g_return_val_if_fail (classifier != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_fit (classifier, dataset, error))
    return NULL;

  n = indices != NULL ? indices->len : dataset->n_images;
  if (n == 0)
    {
      g_autofree char *display = g_filename_display_name (dataset->folder);

      g_set_error (error, CNV_EVALUATION_ERROR, CNV_EVALUATION_ERROR_NO_IMAGES,
                   _("There is no image of “%s” to evaluate."), display);
      return NULL;
    }

  evaluation = evaluation_alloc (n);
  evaluation->source = indices != NULL ? CNV_EVALUATION_IMAGES
                                       : CNV_EVALUATION_FOLDER;
  evaluation->folder = g_strdup (dataset->folder);
  for (int c = 0; c < 2; c++)
    {
      evaluation->class_names[c] = g_strdup (dataset->class_names[c]);
      evaluation->folder_counts[c] = dataset->class_counts[c];
    }
  evaluation->folder_skipped = dataset->skipped != NULL ? dataset->skipped->len
                                                        : 0;
  evaluation->training_folder =
    classifier->dataset_fingerprint != NULL
    && g_strcmp0 (classifier->dataset_fingerprint, dataset->fingerprint) == 0;

  pixels = g_new (const guint8 *, n);
  labels = g_new (guint8, n);
  logits = g_new (float, n);
  for (guint i = 0; i < n; i++)
    {
      guint index = indices != NULL ? g_array_index (indices, guint, i) : i;

      g_return_val_if_fail (index < dataset->n_images, NULL);
      pixels[i] = cnv_dataset_get_pixels (dataset, index);
      labels[i] = dataset->labels[index];
      evaluation->items[i].path = g_strdup (dataset->paths[index]);
      evaluation->items[i].label = labels[i] != 0;
    }

  /* logits [n] <- model (images), a chunk at a time so that a cancelled
   * evaluation ends soon */
  for (guint start = 0; start < n; start += CHUNK_SIZE)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      cnv_classifier_predict_pixels (classifier, pixels + start,
                                     MIN (CHUNK_SIZE, n - start),
                                     logits + start);
    }

  for (guint i = 0; i < n; i++)
    {
      if (isnan (logits[i]))
        {
          g_autofree char *display =
            g_filename_display_name (evaluation->items[i].path);

          g_set_error (error, CNV_EVALUATION_ERROR,
                       CNV_EVALUATION_ERROR_NO_ANSWER,
                       _("The model gave no answer for “%s”: its output is "
                         "not a number."), display);
          return NULL;
        }
      evaluation->items[i].probability = cnv_sigmoid (logits[i]);
    }

  evaluation_finish (evaluation);
  /* On the logits, in the stable form training reports. */
  evaluation->loss = cnv_bce_with_logits (logits, labels, NULL, n, NULL);

  return g_steal_pointer (&evaluation);
}

CnvEvaluation *
cnv_evaluation_new_for_split (CnvClassifier    *classifier,
                              const CnvDataset *dataset,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autoptr(GArray) train = NULL;
  g_autoptr(GArray) validation = NULL;
  CnvEvaluation *evaluation;

  g_return_val_if_fail (classifier != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);

  cnv_dataset_split (dataset, classifier->val_split, classifier->seed,
                     &train, &validation);
  if (validation->len == 0)
    {
      g_autofree char *display = g_filename_display_name (dataset->folder);

      g_set_error (error, CNV_EVALUATION_ERROR, CNV_EVALUATION_ERROR_NO_IMAGES,
                   _("The model was trained without validation images, so "
                     "no image of “%s” was held out to evaluate it on."),
                   display);
      return NULL;
    }

  evaluation = cnv_evaluation_new (classifier, dataset, validation,
                                   cancellable, error);
  if (evaluation == NULL)
    return NULL;

  evaluation->source = CNV_EVALUATION_VALIDATION_SPLIT;
  evaluation->val_split = classifier->val_split;
  evaluation->seed = classifier->seed;

  return evaluation;
}

CnvEvaluation *
cnv_evaluation_new_for_folder (CnvClassifier *classifier,
                               const char    *folder,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(CnvDataset) dataset = NULL;

  g_return_val_if_fail (classifier != NULL, NULL);
  g_return_val_if_fail (folder != NULL, NULL);

  dataset = cnv_dataset_load (folder, &classifier->preprocessing,
                              (const char * const *) classifier->class_names,
                              cancellable, NULL, NULL, error);
  if (dataset == NULL)
    return NULL;

  return cnv_evaluation_new (classifier, dataset, NULL, cancellable, error);
}

CnvEvaluation *
cnv_evaluation_ref (CnvEvaluation *evaluation)
{
  g_return_val_if_fail (evaluation != NULL, NULL);

  g_atomic_ref_count_inc (&evaluation->ref_count);

  return evaluation;
}

void
cnv_evaluation_unref (CnvEvaluation *evaluation)
{
  if (evaluation == NULL
      || !g_atomic_ref_count_dec (&evaluation->ref_count))
    return;

  for (guint i = 0; i < evaluation->n_items; i++)
    g_free (evaluation->items[i].path);
  g_free (evaluation->items);
  g_free (evaluation->folder);
  g_free (evaluation->class_names[0]);
  g_free (evaluation->class_names[1]);
  g_free (evaluation->order);
  g_free (evaluation->positives_before);
  cnv_curves_free (evaluation->curves);
  g_free (evaluation);
}

/* How many items have a probability of at least threshold: the length of
 * the prefix of order that is predicted positive. */
static guint
n_predicted_positive (const CnvEvaluation *evaluation,
                      double               threshold)
{
  guint low = 0;
  guint high = evaluation->n_items;

  /* Invariant: order [< low] ≥ threshold, order [≥ high] < threshold. */
  while (low < high)
    {
      guint middle = low + (high - low) / 2;

      if (evaluation->items[evaluation->order[middle]].probability
          >= threshold)
        low = middle + 1;
      else
        high = middle;
    }

  return low;
}

void
cnv_evaluation_metrics_at (const CnvEvaluation *evaluation,
                           double               threshold,
                           CnvMetrics          *metrics)
{
  guint k;
  double tp, fp, fn;

  g_return_if_fail (metrics != NULL);
  memset (metrics, 0, sizeof *metrics);
  metrics->threshold = threshold;
  metrics->auc = NAN;
  g_return_if_fail (evaluation != NULL);

  metrics->n = evaluation->n_items;
  metrics->loss = evaluation->loss;
  metrics->auc = evaluation->curves->auc;
  if (evaluation->n_items == 0)
    return;

  k = n_predicted_positive (evaluation, threshold);
  metrics->tp = evaluation->positives_before[k];
  metrics->fp = k - metrics->tp;
  metrics->fn = evaluation->class_counts[1] - metrics->tp;
  metrics->tn = evaluation->class_counts[0] - metrics->fp;

  /* The same formulas, and the same zeros, as cnv_metrics_compute (). */
  tp = metrics->tp;
  fp = metrics->fp;
  fn = metrics->fn;
  metrics->accuracy = (double) (metrics->tp + metrics->tn) / metrics->n;
  metrics->precision = tp + fp > 0 ? tp / (tp + fp) : 0.0;
  metrics->recall = tp + fn > 0 ? tp / (tp + fn) : 0.0;
  if (metrics->precision + metrics->recall > 0.0)
    metrics->f1 = 2.0 * metrics->precision * metrics->recall
                  / (metrics->precision + metrics->recall);
}

static int
compare_doubt (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const CnvEvaluationItem *items = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;
  const CnvEvaluationItem *x = &items[ia];
  const CnvEvaluationItem *y = &items[ib];

  /* Within a cell every item has the same label, so comparing the
   * probabilities directly avoids the rounding of 1 − p: a true negative
   * at 0.3 is more doubtful than one at 0.2. */
  if (x->probability != y->probability)
    {
      if (x->label)
        return x->probability < y->probability ? -1 : 1;
      return x->probability > y->probability ? -1 : 1;
    }

  return (ia > ib) - (ia < ib);
}

GArray *
cnv_evaluation_get_cell (const CnvEvaluation *evaluation,
                         int                  true_class,
                         int                  predicted_class,
                         double               threshold)
{
  GArray *cell;

  g_return_val_if_fail (evaluation != NULL, NULL);
  g_return_val_if_fail (true_class == 0 || true_class == 1, NULL);
  g_return_val_if_fail (predicted_class == 0 || predicted_class == 1, NULL);

  cell = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < evaluation->n_items; i++)
    {
      const CnvEvaluationItem *item = &evaluation->items[i];
      int predicted = item->probability >= threshold;

      if (item->label == true_class && predicted == predicted_class)
        g_array_append_val (cell, i);
    }

  /* cell [m] <- item indices by rising probability of the true class */
  g_qsort_with_data (cell->data, cell->len, sizeof (guint), compare_doubt,
                     evaluation->items);

  return cell;
}

double
cnv_evaluation_best_f1_threshold (const CnvEvaluation *evaluation)
{
  const CnvCurves *curves;
  double best_f1 = -1.0;
  double best = 0.5;

  g_return_val_if_fail (evaluation != NULL, 0.5);

  curves = evaluation->curves;
  if (curves->n_positive == 0)
    return 0.5;

  /* Thresholds fall along the points, so a strict > keeps the highest of
   * equal F1s. */
  for (guint p = 1; p < curves->n_points; p++)
    {
      double precision = curves->precision[p];
      double recall = curves->tpr[p];
      double f1 = precision + recall > 0.0
                  ? 2.0 * precision * recall / (precision + recall) : 0.0;

      if (f1 > best_f1)
        {
          best_f1 = f1;
          best = curves->thresholds[p];
        }
    }

  return best;
}
