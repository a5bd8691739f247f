/* cnv-metrics.h — loss and the binary classification metrics
 *
 * The loss is binary cross-entropy on the logit in its stable form,
 * max(z, 0) − z·y + log(1 + exp(−|z|)); probabilities are sigmoid(z) and
 * are only used for reporting and thresholds.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint  n;
  double loss;        /* mean binary cross-entropy */
  double accuracy;
  double precision;   /* of the positive class (index 1); 0 when undefined */
  double recall;
  double f1;
  double auc;         /* ROC AUC with ties counted half; NaN with one class */
  double threshold;
  guint  tp, fp, tn, fn;
} CnvMetrics;

double cnv_sigmoid (double logit);
/* Mean loss over n logits.  When grad is not NULL it receives
 * d mean-loss / d logit (sigmoid(z) − y) / n.  weights (may be NULL) scale
 * each sample's term. */
double cnv_bce_with_logits (const float  *logits,
                            const guint8 *labels,
                            const float  *weights,
                            guint         n,
                            float        *grad);
void   cnv_metrics_compute (const float  *logits,
                            const guint8 *labels,
                            guint         n,
                            double        threshold,
                            CnvMetrics   *metrics);
/* ROC AUC by rank statistics (Mann–Whitney U). */
double cnv_roc_auc         (const float  *scores,
                            const guint8 *labels,
                            guint         n);

G_END_DECLS
