/* test-metrics.c — the loss, its gradient and the classification metrics
 *
 * Hand-computed cases, and a 13-sample set whose reference numbers were
 * computed in Python with plain code (pair counting for the AUC, the
 * textbook log-loss), not with the formulas under test.
 */
#include <math.h>

#include "cnv.h"

/* The 13-sample reference set: ties (three logits of 0.3, two of them
 * positive), a zero logit, and two logits far beyond float exp range. */
static const float ref_logits[] = {
  2.5f, -1.0f, 0.3f, 0.3f, -3.2f, 4.0f, -0.7f, 0.0f, 1.1f, -2.2f, 0.3f,
  50.0f, -60.0f,
};
static const guint8 ref_labels[] = { 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1 };
static const float ref_weights[] = {
  1.0f, 0.5f, 2.0f, 1.0f, 1.0f, 0.25f, 1.0f, 3.0f, 1.0f, 1.0f, 0.5f, 1.0f,
  1.0f,
};
#define REF_N G_N_ELEMENTS (ref_logits)

static const double ref_grad[REF_N] = {
  -0.005835244617018727, 0.020687801643845777, -0.03273519101448777,
  0.04418788590858916, 0.003012747907443412, -0.0013835546124685806,
  -0.05139905939755123, 0.038461538461538464, -0.01921076110806787,
  0.007673114547668087, -0.03273519101448777, 0.07692307692307693,
  -0.07692307692307693,
};
static const double ref_weighted_grad[REF_N] = {
  -0.005835244617018727, 0.010343900821922889, -0.06547038202897554,
  0.04418788590858916, 0.003012747907443412, -0.00034588865311714514,
  -0.05139905939755123, 0.11538461538461539, -0.01921076110806787,
  0.007673114547668087, -0.016367595507243884, 0.07692307692307693,
  -0.07692307692307693,
};

static void
test_sigmoid_values (void)
{
  g_assert_cmpfloat_with_epsilon (cnv_sigmoid (0.0), 0.5, 1e-15);
  g_assert_cmpfloat_with_epsilon (cnv_sigmoid (2.0), 0.8807970779778823,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (cnv_sigmoid (-2.0), 0.11920292202211755,
                                  1e-15);

  /* No overflow to NaN at the extremes. */
  g_assert_cmpfloat (cnv_sigmoid (1000.0), ==, 1.0);
  g_assert_cmpfloat (cnv_sigmoid (-1000.0), ==, 0.0);
}

static void
test_bce_hand_computed (void)
{
  float logits[] = { 0.0f, 0.0f, 2.0f };
  guint8 labels[] = { 1, 0, 0 };
  float grad[3];
  double loss;

  /* ln 2, ln 2, ln(1 + e²) = 2.1269280110429727 */
  loss = cnv_bce_with_logits (logits, labels, NULL, 3, grad);
  g_assert_cmpfloat_with_epsilon (loss,
                                  (2 * G_LN2 + 2.1269280110429727) / 3,
                                  1e-12);

  /* (sigmoid(z) − y) / n */
  g_assert_cmpfloat_with_epsilon (grad[0], -0.5 / 3, 1e-7);
  g_assert_cmpfloat_with_epsilon (grad[1], 0.5 / 3, 1e-7);
  g_assert_cmpfloat_with_epsilon (grad[2], 0.8807970779778823 / 3, 1e-7);
}

static void
test_bce_extreme_logits_stay_finite (void)
{
  float logits[] = { 200.0f, -200.0f, 200.0f, -200.0f };
  guint8 labels[] = { 1, 0, 0, 1 };
  float grad[4];
  double loss;

  /* The two right answers cost 0, the two wrong ones 200 each. */
  loss = cnv_bce_with_logits (logits, labels, NULL, 4, grad);
  g_assert_true (isfinite (loss));
  g_assert_cmpfloat_with_epsilon (loss, 400.0 / 4, 1e-9);
  g_assert_cmpfloat (grad[0], ==, 0.0f);
  g_assert_cmpfloat (grad[1], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (grad[2], 0.25, 1e-9);
  g_assert_cmpfloat_with_epsilon (grad[3], -0.25, 1e-9);
}

static void
test_bce_matches_reference (void)
{
  float grad[REF_N];
  double loss;

  loss = cnv_bce_with_logits (ref_logits, ref_labels, NULL, REF_N, grad);
  g_assert_cmpfloat_with_epsilon (loss, 8.815544022355855, 1e-6);
  for (guint i = 0; i < REF_N; i++)
    g_assert_cmpfloat_with_epsilon (grad[i], ref_grad[i], 1e-7);
}

static void
test_bce_weighted_matches_reference (void)
{
  float grad[REF_N];
  double loss;

  loss = cnv_bce_with_logits (ref_logits, ref_labels, ref_weights, REF_N,
                              grad);
  g_assert_cmpfloat_with_epsilon (loss, 8.930407768021754, 1e-6);
  for (guint i = 0; i < REF_N; i++)
    g_assert_cmpfloat_with_epsilon (grad[i], ref_weighted_grad[i], 1e-7);
}

static void
test_bce_gradient_matches_finite_differences (void)
{
  float logits[] = { -1.3f, 0.2f, 2.7f, -0.4f };
  guint8 labels[] = { 1, 0, 0, 1 };
  float weights[] = { 0.5f, 1.5f, 1.0f, 2.0f };
  float grad[4];

  cnv_bce_with_logits (logits, labels, weights, 4, grad);

  for (guint i = 0; i < 4; i++)
    {
      float saved = logits[i];
      double h = 1e-2, up, down;

      logits[i] = saved + h;
      up = cnv_bce_with_logits (logits, labels, weights, 4, NULL);
      logits[i] = saved - h;
      down = cnv_bce_with_logits (logits, labels, weights, 4, NULL);
      logits[i] = saved;

      g_assert_cmpfloat_with_epsilon (grad[i], (up - down) / (2 * h), 1e-4);
    }
}

static void
test_metrics_match_reference (void)
{
  CnvMetrics m;

  cnv_metrics_compute (ref_logits, ref_labels, REF_N, 0.5, &m);

  g_assert_cmpuint (m.n, ==, REF_N);
  g_assert_cmpuint (m.tp, ==, 5);
  g_assert_cmpuint (m.fp, ==, 3);
  g_assert_cmpuint (m.tn, ==, 3);
  g_assert_cmpuint (m.fn, ==, 2);
  g_assert_cmpfloat_with_epsilon (m.loss, 8.815544022355855, 1e-6);
  g_assert_cmpfloat_with_epsilon (m.accuracy, 0.6153846153846154, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.precision, 0.625, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.recall, 0.7142857142857143, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.f1, 0.6666666666666666, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.auc, 0.6428571428571429, 1e-12);
  g_assert_cmpfloat (m.threshold, ==, 0.5);
}

static void
test_metrics_threshold_moves_decisions (void)
{
  float logits[] = { -2.0f, -0.5f, 0.5f, 2.0f };
  guint8 labels[] = { 0, 1, 0, 1 };
  CnvMetrics m;

  /* sigmoid: 0.119, 0.378, 0.622, 0.881 */
  cnv_metrics_compute (logits, labels, 4, 0.3, &m);
  g_assert_cmpuint (m.tp, ==, 2);
  g_assert_cmpuint (m.fp, ==, 1);
  g_assert_cmpuint (m.tn, ==, 1);
  g_assert_cmpuint (m.fn, ==, 0);

  cnv_metrics_compute (logits, labels, 4, 0.7, &m);
  g_assert_cmpuint (m.tp, ==, 1);
  g_assert_cmpuint (m.fp, ==, 0);
  g_assert_cmpuint (m.tn, ==, 2);
  g_assert_cmpuint (m.fn, ==, 1);

  /* The AUC does not depend on the threshold: 3 of 4 pairs ordered. */
  g_assert_cmpfloat (m.auc, ==, 0.75);
  cnv_metrics_compute (logits, labels, 4, 0.3, &m);
  g_assert_cmpfloat (m.auc, ==, 0.75);

  /* A probability equal to the threshold counts as positive. */
  cnv_metrics_compute (logits, labels, 1, cnv_sigmoid (-2.0), &m);
  g_assert_cmpuint (m.fp, ==, 1);
}

static void
test_metrics_undefined_are_zero (void)
{
  float logits[] = { -3.0f, -2.0f, -1.0f, 1.0f };
  guint8 labels[] = { 0, 0, 0, 0 };
  CnvMetrics m;

  /* Never predicted positive and no positives: precision, recall and F1
   * have a zero denominator and are 0. */
  cnv_metrics_compute (logits, labels, 3, 0.5, &m);
  g_assert_cmpuint (m.tn, ==, 3);
  g_assert_cmpfloat (m.accuracy, ==, 1.0);
  g_assert_cmpfloat (m.precision, ==, 0.0);
  g_assert_cmpfloat (m.recall, ==, 0.0);
  g_assert_cmpfloat (m.f1, ==, 0.0);
  g_assert_true (isnan (m.auc));

  /* One false positive: precision 0 (defined), recall undefined → 0. */
  cnv_metrics_compute (logits, labels, 4, 0.5, &m);
  g_assert_cmpuint (m.fp, ==, 1);
  g_assert_cmpfloat (m.precision, ==, 0.0);
  g_assert_cmpfloat (m.recall, ==, 0.0);
  g_assert_cmpfloat (m.f1, ==, 0.0);

  cnv_metrics_compute (NULL, NULL, 0, 0.5, &m);
  g_assert_cmpuint (m.n, ==, 0);
  g_assert_cmpfloat (m.accuracy, ==, 0.0);
  g_assert_true (isnan (m.auc));
}

static void
test_auc_hand_computed (void)
{
  float perfect[] = { 0.1f, 0.2f, 0.8f, 0.9f };
  float reversed[] = { 0.9f, 0.8f, 0.2f, 0.1f };
  float ties[] = { 0.5f, 0.5f, 0.5f, 0.5f };
  float partial[] = { 0.1f, 0.4f, 0.35f, 0.8f };
  float one_tie[] = { 0.3f, 0.5f, 0.5f, 0.9f };
  guint8 labels[] = { 0, 0, 1, 1 };
  guint8 only_pos[] = { 1, 1, 1, 1 };

  g_assert_cmpfloat (cnv_roc_auc (perfect, labels, 4), ==, 1.0);
  g_assert_cmpfloat (cnv_roc_auc (reversed, labels, 4), ==, 0.0);
  g_assert_cmpfloat (cnv_roc_auc (ties, labels, 4), ==, 0.5);
  /* Pairs (neg, pos): (0.1,0.35) (0.1,0.8) (0.4,0.35)✗ (0.4,0.8) → 3/4 */
  g_assert_cmpfloat (cnv_roc_auc (partial, labels, 4), ==, 0.75);
  /* (0.3,0.5) (0.3,0.9) (0.5,0.5)=½ (0.5,0.9) → 3.5/4 */
  g_assert_cmpfloat (cnv_roc_auc (one_tie, labels, 4), ==, 0.875);
  g_assert_true (isnan (cnv_roc_auc (perfect, only_pos, 4)));
}

static void
test_auc_ignores_order_of_samples (void)
{
  float scores[] = { 0.3f, 0.3f, 0.9f, 0.1f, 0.6f, 0.3f };
  guint8 labels[] = { 1, 0, 1, 0, 0, 1 };
  float shuffled[] = { 0.6f, 0.3f, 0.1f, 0.3f, 0.9f, 0.3f };
  guint8 shuffled_labels[] = { 0, 1, 0, 1, 1, 0 };
  double auc;

  /* Pairs: pos {0.3, 0.9, 0.3}, neg {0.3, 0.1, 0.6}:
   * 0.3: ½ + 1 + 0 ; 0.9: 1 + 1 + 1 ; 0.3: ½ + 1 + 0 → 6/9 */
  auc = cnv_roc_auc (scores, labels, 6);
  g_assert_cmpfloat_with_epsilon (auc, 6.0 / 9.0, 1e-15);
  g_assert_cmpfloat (cnv_roc_auc (shuffled, shuffled_labels, 6), ==, auc);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/metrics/sigmoid-values", test_sigmoid_values);
  g_test_add_func ("/engine/metrics/bce-hand-computed",
                   test_bce_hand_computed);
  g_test_add_func ("/engine/metrics/bce-extreme-logits-stay-finite",
                   test_bce_extreme_logits_stay_finite);
  g_test_add_func ("/engine/metrics/bce-matches-reference",
                   test_bce_matches_reference);
  g_test_add_func ("/engine/metrics/bce-weighted-matches-reference",
                   test_bce_weighted_matches_reference);
  g_test_add_func ("/engine/metrics/bce-gradient-matches-finite-differences",
                   test_bce_gradient_matches_finite_differences);
  g_test_add_func ("/engine/metrics/metrics-match-reference",
                   test_metrics_match_reference);
  g_test_add_func ("/engine/metrics/threshold-moves-decisions",
                   test_metrics_threshold_moves_decisions);
  g_test_add_func ("/engine/metrics/undefined-are-zero",
                   test_metrics_undefined_are_zero);
  g_test_add_func ("/engine/metrics/auc-hand-computed",
                   test_auc_hand_computed);
  g_test_add_func ("/engine/metrics/auc-ignores-order-of-samples",
                   test_auc_ignores_order_of_samples);

  return g_test_run ();
}
