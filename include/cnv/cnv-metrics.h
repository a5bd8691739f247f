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

/* The ROC and precision–recall curves of scores (probabilities of the
 * positive class) against labels, one point per distinct score, from the
 * highest threshold down, like scikit-learn's roc_curve
 * (drop_intermediate=False) and precision_recall_curve: point k predicts
 * positive every score ≥ thresholds[k].  Point 0 is the empty prediction
 * (threshold +∞: false and true positive rates 0, precision 1). */
typedef struct
{
  guint   n_points;
  double *thresholds;
  double *fpr;
  double *tpr;         /* = recall */
  double *precision;
  guint   n_positive;
  guint   n_negative;
  double  auc;                /* NaN with one class */
  /* Σ (R_k − R_{k−1}) P_k over the points, as scikit-learn's
   * average_precision_score; NaN without positives. */
  double  average_precision;
} CnvCurves;

CnvCurves *cnv_curves_new  (const double *scores,
                            const guint8 *labels,
                            guint         n);
void       cnv_curves_free (CnvCurves    *curves);
/* The index of the point whose threshold the given one falls on: the last
 * point with thresholds[k] ≥ threshold (0 above every score). */
guint      cnv_curves_find (const CnvCurves *curves,
                            double           threshold);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvCurves, cnv_curves_free)

G_END_DECLS
