/* cnv-metrics.c — binary cross-entropy on logits and the metrics of a
 * binary classifier
 *
 * The loss is computed on the logit, never on a probability, in the form
 * max(z, 0) − z·y + log(1 + exp(−|z|)): the exponent is never positive,
 * so no logit however large overflows, and its gradient is simply
 * sigmoid(z) − y.  The ROC AUC is the Mann–Whitney U statistic computed
 * from ranks, with tied scores sharing their average rank, which is the
 * same as counting a tied positive/negative pair as half a success.
 *
 * Conventions: a sample is predicted positive (class index 1) when its
 * probability sigmoid(z) is at least the threshold.  Precision, recall and
 * F1 are those of the positive class and are 0 when their denominator is
 * 0 (no positive predictions, no positive labels, or both precision and
 * recall 0).  The AUC is NaN when only one class is present.
 */
#define G_LOG_DOMAIN "cnv-metrics"

#include <math.h>
#include <string.h>

#include "cnv-metrics.h"

double
cnv_sigmoid (double logit)
{
  double e;

  if (logit >= 0.0)
    return 1.0 / (1.0 + exp (-logit));

  e = exp (logit);
  return e / (1.0 + e);
}

/* Stable log(1 + exp(−|z|)) + max(z, 0) − z·y. */
static double
bce_term (double z,
          double y)
{
  return MAX (z, 0.0) - z * y + log1p (exp (-fabs (z)));
}

double
cnv_bce_with_logits (const float  *logits,
                     const guint8 *labels,
                     const float  *weights,
                     guint         n,
                     float        *grad)
{
  double sum = 0.0;

  g_return_val_if_fail (n == 0 || logits != NULL, NAN);
  g_return_val_if_fail (n == 0 || labels != NULL, NAN);

  if (n == 0)
    return 0.0;

  /* Like PyTorch's BCEWithLogitsLoss (weight=w, reduction="mean"): each
   * term is scaled by its weight and the sum is divided by n, not by the
   * sum of the weights. */
  for (guint i = 0; i < n; i++)
    {
      double z = logits[i];
      double y = labels[i] ? 1.0 : 0.0;
      double w = weights != NULL ? weights[i] : 1.0;

      sum += w * bce_term (z, y);

      if (grad != NULL)
        grad[i] = (float) (w * (cnv_sigmoid (z) - y) / n);
    }

  return sum / n;
}

static int
compare_by_score (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  const float *scores = user_data;
  float sa = scores[*(const guint *) a];
  float sb = scores[*(const guint *) b];

  /* NaN scores sort first, so they rank lowest and never crash the sort. */
  if (isnan (sa) || isnan (sb))
    return (int) !isnan (sa) - (int) !isnan (sb);

  return (sa > sb) - (sa < sb);
}

double
cnv_roc_auc (const float  *scores,
             const guint8 *labels,
             guint         n)
{
  g_autofree guint *order = NULL;
  double n_pos = 0.0;
  double n_neg = 0.0;
  double rank_sum = 0.0;
  guint i = 0;

  g_return_val_if_fail (n == 0 || scores != NULL, NAN);
  g_return_val_if_fail (n == 0 || labels != NULL, NAN);

  for (guint k = 0; k < n; k++)
    {
      if (labels[k])
        n_pos += 1.0;
      else
        n_neg += 1.0;
    }

  if (n_pos == 0.0 || n_neg == 0.0)
    return NAN;

  /* order [n] <- sample indices sorted by increasing score */
  order = g_new (guint, n);
  for (guint k = 0; k < n; k++)
    order[k] = k;
  g_qsort_with_data (order, n, sizeof (guint), compare_by_score,
                     (gpointer) scores);

  /* Ranks are 1-based; a run of equal scores shares its mean rank. */
  while (i < n)
    {
      guint j = i + 1;
      double mean_rank;

      while (j < n && compare_by_score (&order[i], &order[j],
                                        (gpointer) scores) == 0)
        j++;

      mean_rank = 0.5 * ((double) (i + 1) + (double) j);
      for (guint k = i; k < j; k++)
        if (labels[order[k]])
          rank_sum += mean_rank;

      i = j;
    }

  /* U = R+ − n+ (n+ + 1) / 2; AUC = U / (n+ · n−) */
  return (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg);
}

void
cnv_metrics_compute (const float  *logits,
                     const guint8 *labels,
                     guint         n,
                     double        threshold,
                     CnvMetrics   *metrics)
{
  double tp, fp, fn;

  g_return_if_fail (metrics != NULL);
  g_return_if_fail (n == 0 || (logits != NULL && labels != NULL));

  memset (metrics, 0, sizeof *metrics);
  metrics->n = n;
  metrics->threshold = threshold;
  metrics->auc = NAN;

  if (n == 0)
    return;

  for (guint i = 0; i < n; i++)
    {
      gboolean predicted = cnv_sigmoid (logits[i]) >= threshold;
      gboolean actual = labels[i] != 0;

      if (predicted && actual)
        metrics->tp++;
      else if (predicted)
        metrics->fp++;
      else if (actual)
        metrics->fn++;
      else
        metrics->tn++;
    }

  tp = metrics->tp;
  fp = metrics->fp;
  fn = metrics->fn;

  metrics->loss = cnv_bce_with_logits (logits, labels, NULL, n, NULL);
  metrics->accuracy = (double) (metrics->tp + metrics->tn) / n;
  metrics->precision = tp + fp > 0 ? tp / (tp + fp) : 0.0;
  metrics->recall = tp + fn > 0 ? tp / (tp + fn) : 0.0;
  if (metrics->precision + metrics->recall > 0.0)
    metrics->f1 = 2.0 * metrics->precision * metrics->recall
                  / (metrics->precision + metrics->recall);
  metrics->auc = cnv_roc_auc (logits, labels, n);
}

static int
compare_descending (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  const double *scores = user_data;
  double sa = scores[*(const guint *) a];
  double sb = scores[*(const guint *) b];

  return (sa < sb) - (sa > sb);
}

CnvCurves *
cnv_curves_new (const double *scores,
                const guint8 *labels,
                guint         n)
{
  g_autofree guint *order = g_new (guint, MAX (n, 1));
  CnvCurves *curves = g_new0 (CnvCurves, 1);
  double tp = 0.0;
  double fp = 0.0;
  double previous_recall = 0.0;
  guint k = 0;

  g_return_val_if_fail (n == 0 || (scores != NULL && labels != NULL), NULL);

  for (guint i = 0; i < n; i++)
    {
      order[i] = i;
      if (labels[i])
        curves->n_positive++;
      else
        curves->n_negative++;
    }
  g_qsort_with_data (order, n, sizeof (guint), compare_descending,
                     (gpointer) scores);

  /* At most one point per image, and the empty prediction. */
  curves->thresholds = g_new (double, n + 1);
  curves->fpr = g_new (double, n + 1);
  curves->tpr = g_new (double, n + 1);
  curves->precision = g_new (double, n + 1);
  curves->thresholds[0] = INFINITY;
  curves->fpr[0] = curves->tpr[0] = 0.0;
  curves->precision[0] = 1.0;
  curves->n_points = 1;
  curves->average_precision = curves->n_positive > 0 ? 0.0 : NAN;

  /* One point after each run of equal scores. */
  while (k < n)
    {
      double score = scores[order[k]];
      guint p = curves->n_points;
      double recall;

      for (; k < n && scores[order[k]] == score; k++)
        {
          if (labels[order[k]])
            tp += 1.0;
          else
            fp += 1.0;
        }

      recall = curves->n_positive > 0 ? tp / curves->n_positive : 0.0;
      curves->thresholds[p] = score;
      curves->fpr[p] = curves->n_negative > 0 ? fp / curves->n_negative
                                              : 0.0;
      curves->tpr[p] = recall;
      curves->precision[p] = tp / (tp + fp);
      if (curves->n_positive > 0)
        curves->average_precision += (recall - previous_recall)
                                     * curves->precision[p];
      previous_recall = recall;
      curves->n_points++;
    }

  /* The trapezoids under the ROC points: the rank AUC, ties half. */
  if (curves->n_positive > 0 && curves->n_negative > 0)
    {
      curves->auc = 0.0;
      for (guint p = 1; p < curves->n_points; p++)
        curves->auc += (curves->fpr[p] - curves->fpr[p - 1])
                       * (curves->tpr[p] + curves->tpr[p - 1]) / 2.0;
    }
  else
    curves->auc = NAN;

  return curves;
}

void
cnv_curves_free (CnvCurves *curves)
{
  if (curves == NULL)
    return;

  g_free (curves->thresholds);
  g_free (curves->fpr);
  g_free (curves->tpr);
  g_free (curves->precision);
  g_free (curves);
}

guint
cnv_curves_find (const CnvCurves *curves,
                 double           threshold)
{
  guint found = 0;

  g_return_val_if_fail (curves != NULL, 0);

  for (guint p = 1; p < curves->n_points; p++)
    if (curves->thresholds[p] >= threshold)
      found = p;

  return found;
}
