/* test-layers.c — every layer kind against a naive loop, against central
 * finite differences and against PyTorch.
 *
 * Each layer is tested inside a tiny model: the layer under test reads the
 * input directly, then flatten and a dense layer of one unit make the
 * logit.  With loss = Σ r_n · logit_n for fixed random r, backward must
 * match (loss(θ + ε) − loss(θ − ε)) / 2ε for every parameter and every
 * input value.  Inputs are kept away from ReLU kinks and pooling ties.
 */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cnv.h"
#include "test-util.h"

#define FD_EPSILON 1e-3
#define FD_MAX_CHECKS 48
#define FD_PRIME_STRIDE 7919

/* Helpers */

/* A model whose first layer is `layer` (a JSON object) on an input of
 * w×h×c, followed by `tail` (JSON objects, may be empty), flatten and a
 * dense layer of one unit. */
static CnvModel *
layer_model_new (int         width,
                 int         height,
                 int         channels,
                 const char *layer,
                 const char *tail)
{
  g_autofree char *json = NULL;

  json = g_strdup_printf ("{\"input\": {\"width\": %d, \"height\": %d, "
                          "\"channels\": %d}, \"layers\": [%s, %s"
                          "{\"id\": \"flat\", \"type\": \"flatten\"}, "
                          "{\"id\": \"out\", \"type\": \"dense\", "
                          "\"units\": 1}]}", width, height, channels,
                          layer, tail);

  return test_model_new_from_json (json);
}

static void
fill_uniform (CnvTensor *tensor,
              CnvRng    *rng,
              float      low,
              float      high)
{
  for (gsize i = 0; i < tensor->size; i++)
    tensor->data[i] = low + (high - low) * (float) cnv_rng_uniform (rng);
}

/* Values of magnitude 0.1 to 1 with a random sign: never near a kink. */
static void
fill_away_from_zero (CnvTensor *tensor,
                     CnvRng    *rng)
{
  for (gsize i = 0; i < tensor->size; i++)
    {
      float v = 0.1f + 0.9f * (float) cnv_rng_uniform (rng);

      tensor->data[i] = cnv_rng_uniform (rng) < 0.5 ? -v : v;
    }
}

/* Distinct values at least 0.01 apart: no ties inside a pooling window. */
static void
fill_distinct (CnvTensor *tensor,
               CnvRng    *rng)
{
  g_autofree guint *order = g_new (guint, tensor->size);

  for (gsize i = 0; i < tensor->size; i++)
    order[i] = (guint) i;
  cnv_rng_shuffle (rng, order, (guint) tensor->size);
  for (gsize i = 0; i < tensor->size; i++)
    tensor->data[i] = -1.0f + 0.02f * (float) order[i];
}

static void
fill_params (CnvModel *model,
             CnvRng   *rng)
{
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      if (g_str_has_suffix (param->name, ".running_var"))
        fill_uniform (param->value, rng, 0.5f, 1.5f);
      else if (g_str_has_suffix (param->name, ".running_mean"))
        fill_uniform (param->value, rng, -0.3f, 0.3f);
      else if (strstr (param->name, "bn") != NULL
               && g_str_has_suffix (param->name, ".weight"))
        fill_uniform (param->value, rng, 0.5f, 1.5f);
      else
        fill_uniform (param->value, rng, -0.5f, 0.5f);
    }
}

static CnvTensor *
input_new (const CnvModel *model,
           int             n)
{
  const CnvModelSpec *spec = cnv_model_get_spec (model);

  return cnv_tensor_new_4d (n, spec->channels, spec->height, spec->width);
}

/* Σ r_n · logit_n in double, with dropout drawing the same mask each time. */
static double
weighted_loss (CnvModel        *model,
               const CnvTensor *input,
               const CnvTensor *weights,
               gboolean         training)
{
  const CnvTensor *logits;
  CnvRng rng;
  double loss = 0.0;

  cnv_rng_init (&rng, 99);
  logits = cnv_model_forward (model, input, training, &rng);
  for (gsize i = 0; i < logits->size; i++)
    loss += (double) weights->data[i] * logits->data[i];

  return loss;
}

static void
assert_close (double      analytic,
              double      numeric,
              double      tolerance,
              const char *what,
              gsize       index)
{
  double scale = MAX (1.0, MAX (fabs (analytic), fabs (numeric)));

  if (fabs (analytic - numeric) > tolerance * scale)
    g_error ("%s[%zu]: analytic %.6g, finite differences %.6g",
             what, index, analytic, numeric);
}

/* Checks every trainable parameter and the input gradient of one
 * backward pass against central differences. */
static void
check_gradients (CnvModel        *model,
                 CnvTensor       *input,
                 gboolean         training,
                 double           tolerance)
{
  g_autoptr(CnvTensor) weights = cnv_tensor_new_1d (input->shape[0]);
  g_autoptr(CnvTensor) input_grad = cnv_tensor_copy (input);
  g_autoptr(GPtrArray) grads = g_ptr_array_new_with_free_func (
    (GDestroyNotify) cnv_tensor_free);
  CnvRng rng;
  guint n_params = cnv_model_get_n_params (model);

  cnv_rng_init (&rng, 5);
  fill_uniform (weights, &rng, -1.0f, 1.0f);

  weighted_loss (model, input, weights, training);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, weights, input_grad);

  for (guint p = 0; p < n_params; p++)
    {
      CnvParam *param = cnv_model_get_param (model, p);

      g_ptr_array_add (grads, param->grad != NULL
                              ? cnv_tensor_copy (param->grad) : NULL);
    }

  for (guint p = 0; p <= n_params; p++)
    {
      CnvTensor *value;
      CnvTensor *grad;
      const char *name;
      gsize n_checks;

      if (p < n_params)
        {
          CnvParam *param = cnv_model_get_param (model, p);

          if (!param->trainable)
            continue;
          value = param->value;
          grad = g_ptr_array_index (grads, p);
          name = param->name;
        }
      else
        {
          value = input;
          grad = input_grad;
          name = "input";
        }

      n_checks = MIN (value->size, FD_MAX_CHECKS);
      for (gsize k = 0; k < n_checks; k++)
        {
          /* A prime stride reaches every kernel tap and channel; a fixed
           * stride such as 12 over a 3 × 3 kernel would only ever check
           * taps 0, 3 and 6. */
          gsize i = value->size <= FD_MAX_CHECKS
                    ? k : (k * FD_PRIME_STRIDE) % value->size;
          float saved = value->data[i];
          double plus, minus;

          value->data[i] = saved + (float) FD_EPSILON;
          plus = weighted_loss (model, input, weights, training);
          value->data[i] = saved - (float) FD_EPSILON;
          minus = weighted_loss (model, input, weights, training);
          value->data[i] = saved;

          assert_close (grad->data[i], (plus - minus) / (2 * FD_EPSILON),
                        tolerance, name, i);
        }
    }
}

static void
assert_tensor_close (const float *expected,
                     const float *actual,
                     gsize        n,
                     double       tolerance,
                     const char  *what)
{
  for (gsize i = 0; i < n; i++)
    assert_close (actual[i], expected[i], tolerance, what, i);
}

/* Naive references */

typedef struct
{
  int n, c, h, w;
  int kh, kw, sh, sw;
  gboolean same;
  int oh, ow, pad_top, pad_left;
} Window;

/* The documented geometry: "same" gives ceil (in / stride) with the
 * extra padding at the bottom and right. */
static Window
window_new (const CnvTensor *input,
            int              kh,
            int              kw,
            int              sh,
            int              sw,
            gboolean         same)
{
  Window g = { input->shape[0], input->shape[1], input->shape[2],
               input->shape[3], kh, kw, sh, sw, same, 0, 0, 0, 0 };

  if (same)
    {
      g.oh = (g.h + sh - 1) / sh;
      g.ow = (g.w + sw - 1) / sw;
      g.pad_top = MAX ((g.oh - 1) * sh + kh - g.h, 0) / 2;
      g.pad_left = MAX ((g.ow - 1) * sw + kw - g.w, 0) / 2;
    }
  else
    {
      g.oh = (g.h - kh) / sh + 1;
      g.ow = (g.w - kw) / sw + 1;
    }

  return g;
}

static float
at (const CnvTensor *t,
    const Window    *g,
    int              n,
    int              c,
    int              y,
    int              x,
    gboolean        *inside)
{
  *inside = y >= 0 && y < g->h && x >= 0 && x < g->w;

  return *inside ? t->data[((n * g->c + c) * g->h + y) * g->w + x] : 0.0f;
}

static void
naive_conv (const CnvTensor *input,
            const CnvTensor *weight,
            const CnvTensor *bias,
            const Window    *g,
            float           *out)
{
  int filters = weight->shape[0];

  for (int n = 0; n < g->n; n++)
    for (int f = 0; f < filters; f++)
      for (int oy = 0; oy < g->oh; oy++)
        for (int ox = 0; ox < g->ow; ox++)
          {
            double sum = bias->data[f];

            for (int c = 0; c < g->c; c++)
              for (int ky = 0; ky < g->kh; ky++)
                for (int kx = 0; kx < g->kw; kx++)
                  {
                    gboolean inside;
                    float v = at (input, g, n, c,
                                  oy * g->sh - g->pad_top + ky,
                                  ox * g->sw - g->pad_left + kx, &inside);

                    sum += v * weight->data[((f * g->c + c) * g->kh + ky)
                                            * g->kw + kx];
                  }
            *out++ = (float) sum;
          }
}

static void
naive_pool (const CnvTensor *input,
            const Window    *g,
            gboolean         max,
            float           *out)
{
  for (int n = 0; n < g->n; n++)
    for (int c = 0; c < g->c; c++)
      for (int oy = 0; oy < g->oh; oy++)
        for (int ox = 0; ox < g->ow; ox++)
          {
            double best = -INFINITY;
            double sum = 0.0;

            for (int ky = 0; ky < g->kh; ky++)
              for (int kx = 0; kx < g->kw; kx++)
                {
                  gboolean inside;
                  float v = at (input, g, n, c, oy * g->sh - g->pad_top + ky,
                                ox * g->sw - g->pad_left + kx, &inside);

                  if (inside)
                    best = MAX (best, v);
                  sum += v;
                }
            *out++ = (float) (max ? best : sum / (g->kh * g->kw));
          }
}

/* Convolution */

typedef struct
{
  int         width, height, channels;
  int         kh, kw, sh, sw;
  gboolean    same;
  const char *layer;
} ConvCase;

static const ConvCase conv_cases[] = {
  { 6, 7, 2, 3, 2, 2, 2, TRUE,
    "{\"id\": \"conv\", \"type\": \"conv2d\", \"filters\": 3, "
    "\"kernel\": [3, 2], \"stride\": 2, \"padding\": \"same\"}" },
  { 7, 5, 3, 2, 3, 1, 2, FALSE,
    "{\"id\": \"conv\", \"type\": \"conv2d\", \"filters\": 2, "
    "\"kernel\": [2, 3], \"stride\": [1, 2], \"padding\": \"valid\"}" },
  { 5, 5, 1, 4, 4, 1, 1, TRUE,
    "{\"id\": \"conv\", \"type\": \"conv2d\", \"filters\": 2, "
    "\"kernel\": 4, \"padding\": \"same\"}" },
  /* 1×1: the image is its own patch matrix. */
  { 4, 3, 3, 1, 1, 1, 1, FALSE,
    "{\"id\": \"conv\", \"type\": \"conv2d\", \"filters\": 5, "
    "\"kernel\": 1}" },
  /* "same" pads a kernel larger than its input. */
  { 3, 3, 2, 5, 5, 1, 1, TRUE,
    "{\"id\": \"conv\", \"type\": \"conv2d\", \"filters\": 2, "
    "\"kernel\": 5, \"padding\": \"same\"}" },
  /* 1×1 with stride 2 goes through im2col again. */
  { 5, 4, 2, 1, 1, 2, 2, TRUE,
    "{\"id\": \"conv\", \"type\": \"conv2d\", \"filters\": 2, "
    "\"kernel\": 1, \"stride\": 2, \"padding\": \"same\"}" },
};

static void
test_conv_forward (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (conv_cases); k++)
    {
      const ConvCase *cc = &conv_cases[k];
      g_autoptr(CnvModel) model = layer_model_new (cc->width, cc->height,
                                                   cc->channels, cc->layer, "");
      g_autoptr(CnvTensor) input = input_new (model, 3);
      g_autofree float *expected = NULL;
      const CnvTensor *out;
      Window g;
      CnvRng rng;

      cnv_rng_init (&rng, 1 + k);
      fill_params (model, &rng);
      fill_uniform (input, &rng, -1.0f, 1.0f);
      g = window_new (input, cc->kh, cc->kw, cc->sh, cc->sw, cc->same);

      cnv_model_forward (model, input, FALSE, NULL);
      out = cnv_model_get_activation (model, 0);
      g_assert_cmpint (out->shape[2], ==, g.oh);
      g_assert_cmpint (out->shape[3], ==, g.ow);

      expected = g_new (float, out->size);
      naive_conv (input, cnv_model_find_param (model, "conv.weight")->value,
                  cnv_model_find_param (model, "conv.bias")->value, &g,
                  expected);
      assert_tensor_close (expected, out->data, out->size, 1e-5, "conv");
    }
}

static void
test_conv_backward (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (conv_cases); k++)
    {
      const ConvCase *cc = &conv_cases[k];
      g_autoptr(CnvModel) model = layer_model_new (cc->width, cc->height,
                                                   cc->channels, cc->layer, "");
      g_autoptr(CnvTensor) input = input_new (model, 3);
      CnvRng rng;

      cnv_rng_init (&rng, 10 + k);
      fill_params (model, &rng);
      fill_uniform (input, &rng, -1.0f, 1.0f);
      check_gradients (model, input, TRUE, 1e-2);

      /* The batch split over two worker threads. */
      cnv_set_threads (2);
      check_gradients (model, input, TRUE, 1e-2);
      cnv_set_threads (1);
    }
}

/* Pooling */

typedef struct
{
  gboolean    max;
  int         kh, kw, sh, sw;
  gboolean    same;
  const char *layer;
} PoolCase;

static const PoolCase pool_cases[] = {
  { TRUE, 2, 2, 2, 2, FALSE,
    "{\"id\": \"pool\", \"type\": \"max-pool\", \"size\": 2}" },
  { TRUE, 3, 3, 2, 2, TRUE,
    "{\"id\": \"pool\", \"type\": \"max-pool\", \"size\": 3, \"stride\": 2, "
    "\"padding\": \"same\"}" },
  { TRUE, 2, 3, 1, 2, FALSE,
    "{\"id\": \"pool\", \"type\": \"max-pool\", \"size\": [2, 3], "
    "\"stride\": [1, 2]}" },
  { FALSE, 2, 2, 2, 2, FALSE,
    "{\"id\": \"pool\", \"type\": \"avg-pool\", \"size\": 2}" },
  { FALSE, 3, 3, 2, 2, TRUE,
    "{\"id\": \"pool\", \"type\": \"avg-pool\", \"size\": 3, \"stride\": 2, "
    "\"padding\": \"same\"}" },
  { FALSE, 2, 2, 1, 1, TRUE,
    "{\"id\": \"pool\", \"type\": \"avg-pool\", \"size\": 2, \"stride\": 1, "
    "\"padding\": \"same\"}" },
  /* Windows taller than the 6-row input, padded by "same". */
  { TRUE, 8, 3, 1, 1, TRUE,
    "{\"id\": \"pool\", \"type\": \"max-pool\", \"size\": [8, 3], "
    "\"stride\": 1, \"padding\": \"same\"}" },
  { FALSE, 8, 3, 3, 2, TRUE,
    "{\"id\": \"pool\", \"type\": \"avg-pool\", \"size\": [8, 3], "
    "\"stride\": [3, 2], \"padding\": \"same\"}" },
};

static void
test_pool_forward (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (pool_cases); k++)
    {
      const PoolCase *pc = &pool_cases[k];
      g_autoptr(CnvModel) model = layer_model_new (7, 6, 2, pc->layer, "");
      g_autoptr(CnvTensor) input = input_new (model, 2);
      g_autofree float *expected = NULL;
      const CnvTensor *out;
      Window g;
      CnvRng rng;

      cnv_rng_init (&rng, 20 + k);
      fill_params (model, &rng);
      fill_distinct (input, &rng);
      g = window_new (input, pc->kh, pc->kw, pc->sh, pc->sw, pc->same);

      cnv_model_forward (model, input, FALSE, NULL);
      out = cnv_model_get_activation (model, 0);
      g_assert_cmpint (out->shape[1], ==, 2);
      g_assert_cmpint (out->shape[2], ==, g.oh);
      g_assert_cmpint (out->shape[3], ==, g.ow);

      expected = g_new (float, out->size);
      naive_pool (input, &g, pc->max, expected);
      assert_tensor_close (expected, out->data, out->size, 1e-6, "pool");
    }
}

static void
test_pool_backward (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (pool_cases); k++)
    {
      const PoolCase *pc = &pool_cases[k];
      g_autoptr(CnvModel) model = layer_model_new (7, 6, 2, pc->layer, "");
      g_autoptr(CnvTensor) input = input_new (model, 2);
      CnvRng rng;

      cnv_rng_init (&rng, 30 + k);
      fill_params (model, &rng);
      fill_distinct (input, &rng);
      check_gradients (model, input, TRUE, 1e-2);
    }
}

static void
test_max_pool_ties (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    2, 2, 1, "{\"id\": \"pool\", \"type\": \"max-pool\", \"size\": 2}", "");
  g_autoptr(CnvTensor) input = input_new (model, 1);
  g_autoptr(CnvTensor) input_grad = input_new (model, 1);
  g_autoptr(CnvTensor) logit_grad = cnv_tensor_new_1d (1);

  /* Two equal maxima: the gradient goes to the first in row-major order. */
  input->data[0] = 0.5f;
  input->data[1] = 2.0f;
  input->data[2] = 2.0f;
  input->data[3] = 1.0f;
  cnv_model_find_param (model, "out.weight")->value->data[0] = 1.0f;
  logit_grad->data[0] = 1.0f;

  cnv_model_forward (model, input, TRUE, NULL);
  g_assert_cmpfloat (cnv_model_get_activation (model, 0)->data[0], ==, 2.0f);
  cnv_model_backward (model, logit_grad, input_grad);
  g_assert_cmpfloat (input_grad->data[1], ==, 1.0f);
  g_assert_cmpfloat (input_grad->data[2], ==, 0.0f);
}

static void
test_global_avg_pool (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    5, 3, 3, "{\"id\": \"gap\", \"type\": \"global-avg-pool\"}", "");
  g_autoptr(CnvTensor) input = input_new (model, 2);
  const CnvTensor *out;
  CnvRng rng;

  cnv_rng_init (&rng, 40);
  fill_params (model, &rng);
  fill_uniform (input, &rng, -1.0f, 1.0f);

  cnv_model_forward (model, input, FALSE, NULL);
  out = cnv_model_get_activation (model, 0);
  g_assert_cmpint (out->ndim, ==, 4);
  g_assert_cmpint (out->shape[1], ==, 3);
  g_assert_cmpint (out->shape[2], ==, 1);
  g_assert_cmpint (out->shape[3], ==, 1);
  for (int p = 0; p < 6; p++)
    {
      double sum = 0.0;

      for (int i = 0; i < 15; i++)
        sum += input->data[p * 15 + i];
      g_assert_cmpfloat_with_epsilon (out->data[p], sum / 15, 1e-6);
    }

  check_gradients (model, input, TRUE, 1e-2);
}

/* Batch normalisation */

static void
naive_batch_norm (const CnvTensor *input,
                  int              channels,
                  int              plane,
                  const float     *gamma,
                  const float     *beta,
                  float           *out,
                  float           *batch_var_unbiased)
{
  int n = input->shape[0];

  for (int c = 0; c < channels; c++)
    {
      double mean = 0.0, var = 0.0;
      int count = n * plane;

      for (int i = 0; i < n; i++)
        for (int j = 0; j < plane; j++)
          mean += input->data[(i * channels + c) * plane + j];
      mean /= count;
      for (int i = 0; i < n; i++)
        for (int j = 0; j < plane; j++)
          {
            double d = input->data[(i * channels + c) * plane + j] - mean;

            var += d * d;
          }
      batch_var_unbiased[c] = (float) (var / (count - 1));
      var /= count;
      for (int i = 0; i < n; i++)
        for (int j = 0; j < plane; j++)
          {
            int k = (i * channels + c) * plane + j;

            out[k] = (float) ((input->data[k] - mean) / sqrt (var + 1e-5)
                              * gamma[c] + beta[c]);
          }
    }
}

static void
test_batch_norm_2d (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    4, 3, 3, "{\"id\": \"bn\", \"type\": \"batch-norm\", \"momentum\": 0.25, "
    "\"epsilon\": 1e-5}", "");
  g_autoptr(CnvTensor) input = input_new (model, 4);
  g_autofree float *expected = NULL;
  float var[3];
  float old_mean[3], old_var[3];
  CnvParam *running_mean, *running_var;
  const CnvTensor *out;
  CnvRng rng;

  cnv_rng_init (&rng, 50);
  fill_params (model, &rng);
  fill_uniform (input, &rng, -1.0f, 2.0f);
  running_mean = cnv_model_find_param (model, "bn.running_mean");
  running_var = cnv_model_find_param (model, "bn.running_var");
  g_assert_false (running_mean->trainable);
  g_assert_null (running_mean->grad);
  memcpy (old_mean, running_mean->value->data, sizeof old_mean);
  memcpy (old_var, running_var->value->data, sizeof old_var);

  cnv_model_forward (model, input, TRUE, NULL);
  out = cnv_model_get_activation (model, 0);
  expected = g_new (float, out->size);
  naive_batch_norm (input, 3, 12,
                    cnv_model_find_param (model, "bn.weight")->value->data,
                    cnv_model_find_param (model, "bn.bias")->value->data,
                    expected, var);
  assert_tensor_close (expected, out->data, out->size, 1e-5, "bn");

  /* running = 0.75 · running + 0.25 · batch, unbiased variance. */
  for (int c = 0; c < 3; c++)
    {
      double mean = 0.0;

      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 12; j++)
          mean += input->data[(i * 3 + c) * 12 + j];
      mean /= 48;
      g_assert_cmpfloat_with_epsilon (running_mean->value->data[c],
                                      0.75 * old_mean[c] + 0.25 * mean, 1e-5);
      g_assert_cmpfloat_with_epsilon (running_var->value->data[c],
                                      0.75 * old_var[c] + 0.25 * var[c], 1e-5);
    }

  check_gradients (model, input, TRUE, 1e-2);
  check_gradients (model, input, FALSE, 1e-2);

  /* After a batch of 4, a batch of 3 normalises over its own 3 samples
   * only (the buffers are reused, not the old samples). */
  {
    g_autoptr(CnvTensor) short_batch = input_new (model, 3);

    memcpy (short_batch->data, input->data, sizeof (float) * short_batch->size);
    cnv_model_forward (model, short_batch, TRUE, NULL);
    out = cnv_model_get_activation (model, 0);
    g_assert_cmpint (out->shape[0], ==, 3);
    naive_batch_norm (short_batch, 3, 12,
                      cnv_model_find_param (model, "bn.weight")->value->data,
                      cnv_model_find_param (model, "bn.bias")->value->data,
                      expected, var);
    assert_tensor_close (expected, out->data, out->size, 1e-5, "bn");
    check_gradients (model, short_batch, TRUE, 1e-2);
  }
}

static void
test_batch_norm_flat (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    3, 2, 2, "{\"id\": \"f0\", \"type\": \"flatten\"}",
    "{\"id\": \"fc\", \"type\": \"dense\", \"units\": 5}, "
    "{\"id\": \"bn\", \"type\": \"batch-norm\"},");
  g_autoptr(CnvTensor) input = input_new (model, 6);
  g_autofree float *expected = NULL;
  float var[5];
  const CnvTensor *out;
  CnvRng rng;

  cnv_rng_init (&rng, 51);
  fill_params (model, &rng);
  fill_uniform (input, &rng, -1.0f, 1.0f);

  /* Per feature over the batch, like BatchNorm1d. */
  cnv_model_forward (model, input, TRUE, NULL);
  out = cnv_model_get_activation (model, 2);
  g_assert_cmpint (out->ndim, ==, 2);
  expected = g_new (float, out->size);
  naive_batch_norm (cnv_model_get_activation (model, 1), 5, 1,
                    cnv_model_find_param (model, "bn.weight")->value->data,
                    cnv_model_find_param (model, "bn.bias")->value->data,
                    expected, var);
  assert_tensor_close (expected, out->data, out->size, 1e-5, "bn");

  check_gradients (model, input, TRUE, 1e-2);
}

static void
test_batch_norm_inference_independent (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    4, 4, 2, "{\"id\": \"conv\", \"type\": \"conv2d\", \"filters\": 3, "
    "\"kernel\": 3, \"padding\": \"same\"}",
    "{\"id\": \"bn\", \"type\": \"batch-norm\"}, "
    "{\"id\": \"relu\", \"type\": \"relu\"},");
  g_autoptr(CnvTensor) batch = input_new (model, 8);
  g_autoptr(CnvTensor) single = input_new (model, 1);
  float alone;
  CnvRng rng;

  cnv_rng_init (&rng, 52);
  fill_params (model, &rng);
  fill_uniform (batch, &rng, -1.0f, 1.0f);

  /* Train a few steps so the running statistics are not the defaults. */
  for (int i = 0; i < 3; i++)
    cnv_model_forward (model, batch, TRUE, NULL);

  memcpy (single->data, batch->data + 3 * single->size,
          sizeof (float) * single->size);
  alone = cnv_model_forward (model, single, FALSE, NULL)->data[0];
  g_assert_cmpfloat (cnv_model_forward (model, single, FALSE, NULL)->data[0],
                     ==, alone);
  g_assert_cmpfloat (cnv_model_forward (model, batch, FALSE, NULL)->data[3],
                     ==, alone);
  /* While a training forward on the batch would give something else. */
  g_assert_cmpfloat (fabsf (cnv_model_forward (model, batch, TRUE,
                                               NULL)->data[3] - alone),
                     >, 1e-4);
}

/* Dropout */

static void
test_dropout (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    8, 8, 4, "{\"id\": \"drop\", \"type\": \"dropout\", \"rate\": 0.25}", "");
  g_autoptr(CnvTensor) input = input_new (model, 4);
  const CnvTensor *out;
  gsize zeros = 0;
  CnvRng rng;

  cnv_rng_init (&rng, 60);
  fill_params (model, &rng);
  fill_away_from_zero (input, &rng);

  /* Inference: the identity. */
  cnv_model_forward (model, input, FALSE, &rng);
  out = cnv_model_get_activation (model, 0);
  g_assert_cmpmem (out->data, out->size * sizeof (float),
                   input->data, input->size * sizeof (float));

  /* Training: each value is dropped or scaled by 1 / (1 − rate). */
  cnv_model_forward (model, input, TRUE, &rng);
  out = cnv_model_get_activation (model, 0);
  for (gsize i = 0; i < out->size; i++)
    {
      if (out->data[i] == 0.0f)
        zeros++;
      else
        g_assert_cmpfloat_with_epsilon (out->data[i],
                                        input->data[i] / 0.75f, 1e-6);
    }
  /* 1024 values, p = 0.25: 256 expected, σ ≈ 14. */
  g_assert_cmpuint (zeros, >, 190);
  g_assert_cmpuint (zeros, <, 320);

  check_gradients (model, input, TRUE, 1e-2);
}

/* Flatten and dense */

static void
test_flatten_and_dense_forward (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    3, 2, 2, "{\"id\": \"f0\", \"type\": \"flatten\"}",
    "{\"id\": \"fc\", \"type\": \"dense\", \"units\": 4},");
  g_autoptr(CnvTensor) input = input_new (model, 3);
  const CnvTensor *flat, *dense;
  const CnvTensor *weight, *bias;
  CnvRng rng;

  cnv_rng_init (&rng, 70);
  fill_params (model, &rng);
  fill_uniform (input, &rng, -1.0f, 1.0f);

  cnv_model_forward (model, input, FALSE, NULL);
  flat = cnv_model_get_activation (model, 0);
  dense = cnv_model_get_activation (model, 1);
  weight = cnv_model_find_param (model, "fc.weight")->value;
  bias = cnv_model_find_param (model, "fc.bias")->value;

  /* Flatten keeps C-H-W order within each sample. */
  g_assert_cmpint (flat->ndim, ==, 2);
  g_assert_cmpint (flat->shape[1], ==, 12);
  for (int n = 0; n < 3; n++)
    for (int c = 0; c < 2; c++)
      for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
          g_assert_cmpfloat (flat->data[n * 12 + c * 6 + y * 3 + x], ==,
                             input->data[((n * 2 + c) * 2 + y) * 3 + x]);

  g_assert_cmpint (weight->shape[0], ==, 4);
  g_assert_cmpint (weight->shape[1], ==, 12);
  for (int n = 0; n < 3; n++)
    for (int u = 0; u < 4; u++)
      {
        double sum = bias->data[u];

        for (int i = 0; i < 12; i++)
          sum += weight->data[u * 12 + i] * flat->data[n * 12 + i];
        g_assert_cmpfloat_with_epsilon (dense->data[n * 4 + u], sum, 1e-5);
      }

  check_gradients (model, input, TRUE, 1e-2);
}

/* A dense layer large enough to be cut into column chunks shared by the
 * workers (8 × 1000 × 40 multiply-adds; chunk edges inside the rows, and
 * 1000 not a multiple of 16): every output, every weight gradient and
 * every input gradient against a naive loop, on 1 and 2 threads. */
static void
test_dense_chunks (void)
{
  g_autoptr(CnvModel) model = layer_model_new (
    10, 10, 10, "{\"id\": \"f0\", \"type\": \"flatten\"}",
    "{\"id\": \"fc\", \"type\": \"dense\", \"units\": 40},");
  g_autoptr(CnvTensor) input = input_new (model, 8);
  g_autoptr(CnvTensor) logits_grad = cnv_tensor_new_1d (8);
  int saved = cnv_get_threads ();
  CnvRng rng;

  cnv_rng_init (&rng, 71);
  fill_params (model, &rng);
  fill_uniform (input, &rng, -1.0f, 1.0f);
  fill_uniform (logits_grad, &rng, -1.0f, 1.0f);

  for (int threads = 1; threads <= 2; threads++)
    {
      const CnvTensor *x, *y, *dy, *dx, *weight, *bias, *weight_grad;

      cnv_set_threads (threads);
      cnv_model_forward (model, input, TRUE, NULL);
      cnv_model_zero_grad (model);
      cnv_model_backward (model, logits_grad, NULL);

      x = cnv_model_get_activation (model, 0);
      y = cnv_model_get_activation (model, 1);
      dx = cnv_model_get_activation_grad (model, 0);
      dy = cnv_model_get_activation_grad (model, 1);
      weight = cnv_model_find_param (model, "fc.weight")->value;
      bias = cnv_model_find_param (model, "fc.bias")->value;
      weight_grad = cnv_model_find_param (model, "fc.weight")->grad;
      g_assert_cmpint (x->shape[1], ==, 1000);
      g_assert_cmpint (y->shape[1], ==, 40);

      /* y [n, u] = bias [u] + Σ_i weight [u, i] · x [n, i] */
      for (int n = 0; n < 8; n++)
        for (int u = 0; u < 40; u++)
          {
            double sum = bias->data[u];

            for (int i = 0; i < 1000; i++)
              sum += (double) weight->data[u * 1000 + i]
                     * x->data[n * 1000 + i];
            g_assert_cmpfloat_with_epsilon (y->data[n * 40 + u], sum, 1e-4);
          }

      /* weight_grad [u, i] = Σ_n dy [n, u] · x [n, i] */
      for (int u = 0; u < 40; u++)
        for (int i = 0; i < 1000; i++)
          {
            double sum = 0.0;

            for (int n = 0; n < 8; n++)
              sum += (double) dy->data[n * 40 + u] * x->data[n * 1000 + i];
            g_assert_cmpfloat_with_epsilon (weight_grad->data[u * 1000 + i],
                                            sum, 1e-5);
          }

      /* dx [n, i] = Σ_u dy [n, u] · weight [u, i] */
      for (int n = 0; n < 8; n++)
        for (int i = 0; i < 1000; i++)
          {
            double sum = 0.0;

            for (int u = 0; u < 40; u++)
              sum += (double) dy->data[n * 40 + u]
                     * weight->data[u * 1000 + i];
            g_assert_cmpfloat_with_epsilon (dx->data[n * 1000 + i], sum,
                                            1e-5);
          }
    }

  cnv_set_threads (saved);
}

/* Activations */

typedef struct
{
  const char *layer;
  double    (*reference) (double x);
} ActivationCase;

static double
relu_ref (double x)
{
  return x > 0 ? x : 0;
}

static double
leaky_ref (double x)
{
  return x > 0 ? x : 0.2 * x;
}

static double
sigmoid_ref (double x)
{
  return 1 / (1 + exp (-x));
}

static const ActivationCase activation_cases[] = {
  { "{\"id\": \"act\", \"type\": \"relu\"}", relu_ref },
  { "{\"id\": \"act\", \"type\": \"leaky-relu\", \"slope\": 0.2}", leaky_ref },
  { "{\"id\": \"act\", \"type\": \"sigmoid\"}", sigmoid_ref },
  { "{\"id\": \"act\", \"type\": \"tanh\"}", tanh },
};

static void
test_activations (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (activation_cases); k++)
    {
      const ActivationCase *ac = &activation_cases[k];
      /* 5×3 with 3 channels: 45 values per sample, not a multiple of 8,
       * so the vector loops' tails run too. */
      g_autoptr(CnvModel) model = layer_model_new (5, 3, 3, ac->layer, "");
      g_autoptr(CnvTensor) input = input_new (model, 3);
      const CnvTensor *out;
      CnvRng rng;

      cnv_rng_init (&rng, 80 + k);
      fill_params (model, &rng);
      fill_away_from_zero (input, &rng);

      cnv_model_forward (model, input, FALSE, NULL);
      out = cnv_model_get_activation (model, 0);
      for (gsize i = 0; i < out->size; i++)
        g_assert_cmpfloat_with_epsilon (out->data[i],
                                        ac->reference (input->data[i]), 1e-6);

      check_gradients (model, input, TRUE, 1e-2);
    }
}

/* Softmax over the channels at every position of feature maps, and over
 * the features of a flat input (after flatten and a dense layer). */
static void
test_softmax (void)
{
  const char *tails[] = { "", "{\"id\": \"f0\", \"type\": \"flatten\"}, "
                              "{\"id\": \"fc\", \"type\": \"dense\", "
                              "\"units\": 5}, " };

  for (gsize k = 0; k < G_N_ELEMENTS (tails); k++)
    {
      gboolean flat = k == 1;
      g_autofree char *layers = g_strdup_printf (
        "%s{\"id\": \"sm\", \"type\": \"softmax\"}", tails[k]);
      /* 5×3 with 3 channels: 15 positions of 3 values each. */
      g_autoptr(CnvModel) model = layer_model_new (5, 3, 3, layers, "");
      g_autoptr(CnvTensor) input = input_new (model, 2);
      guint sm = flat ? 2 : 0;
      const CnvTensor *in;
      const CnvTensor *out;
      int channels, plane;
      CnvRng rng;

      cnv_rng_init (&rng, 90 + k);
      fill_params (model, &rng);
      fill_uniform (input, &rng, -3.0f, 3.0f);

      cnv_model_forward (model, input, FALSE, NULL);
      in = flat ? cnv_model_get_activation (model, 1) : input;
      out = cnv_model_get_activation (model, sm);
      channels = flat ? 5 : 3;
      plane = flat ? 1 : 15;
      g_assert_cmpuint (out->size, ==, (gsize) 2 * channels * plane);

      for (int n = 0; n < 2; n++)
        for (int p = 0; p < plane; p++)
          {
            double sum = 0.0;
            double total = 0.0;

            for (int c = 0; c < channels; c++)
              sum += exp (in->data[(n * channels + c) * plane + p]);
            for (int c = 0; c < channels; c++)
              {
                gsize i = (gsize) (n * channels + c) * plane + p;

                g_assert_cmpfloat_with_epsilon (out->data[i],
                                                exp (in->data[i]) / sum, 1e-6);
                total += out->data[i];
              }
            g_assert_cmpfloat_with_epsilon (total, 1.0, 1e-6);
          }

      check_gradients (model, input, TRUE, 1e-2);
    }
}

/* Every kind chained in one model, so that each backward pass also sees
 * the shapes and modes the others hand it. */
static void
test_every_kind_chained (void)
{
  g_autoptr(CnvModel) model = test_model_new_from_json (
    "{\"input\": {\"width\": 9, \"height\": 8, \"channels\": 2}, \"layers\": ["
    "{\"id\": \"c1\", \"type\": \"conv2d\", \"filters\": 3, \"kernel\": [3, 2],"
    " \"stride\": [1, 2], \"padding\": \"same\"},"
    "{\"id\": \"bn1\", \"type\": \"batch-norm\"},"
    "{\"id\": \"lr\", \"type\": \"leaky-relu\", \"slope\": 0.1},"
    "{\"id\": \"mp\", \"type\": \"max-pool\", \"size\": 2, \"stride\": 1,"
    " \"padding\": \"same\"},"
    "{\"id\": \"c2\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": 2},"
    "{\"id\": \"t\", \"type\": \"tanh\"},"
    "{\"id\": \"ap\", \"type\": \"avg-pool\", \"size\": [2, 1]},"
    "{\"id\": \"gap\", \"type\": \"global-avg-pool\"},"
    "{\"id\": \"flat\", \"type\": \"flatten\"},"
    "{\"id\": \"drop\", \"type\": \"dropout\", \"rate\": 0.2},"
    "{\"id\": \"fc\", \"type\": \"dense\", \"units\": 5},"
    "{\"id\": \"bn2\", \"type\": \"batch-norm\"},"
    "{\"id\": \"s\", \"type\": \"sigmoid\"},"
    "{\"id\": \"r\", \"type\": \"relu\"},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}");
  g_autoptr(CnvTensor) input = input_new (model, 4);
  CnvRng rng;

  cnv_rng_init (&rng, 90);
  fill_params (model, &rng);
  fill_uniform (input, &rng, -1.0f, 1.0f);

  check_gradients (model, input, TRUE, 2e-2);
  check_gradients (model, input, FALSE, 2e-2);
}

/* PyTorch references (tests/reference/make-torch-reference.py) */

/* The formula both sides compute exactly: see the script. */
static void
fill_formula (CnvTensor  *tensor,
              JsonObject *recipe)
{
  guint64 seed = (guint64) json_object_get_int_member (recipe, "seed");
  double scale = json_object_get_double_member (recipe, "scale");
  double offset = json_object_get_double_member (recipe, "offset");

  for (gsize i = 0; i < tensor->size; i++)
    {
      guint32 bits = (guint32) ((guint64) i * G_GUINT64_CONSTANT (2654435761)
                                + seed * 40503 + 12345);
      double u = (double) bits / 4294967296.0;

      tensor->data[i] = (float) (offset + scale * (2.0 * u - 1.0));
    }
}

/* Compares every `stride`-th value of actual with the stored ones, within
 * tolerance times the largest stored magnitude. */
static void
assert_matches_sampled (const CnvTensor *actual,
                        JsonObject      *sampled,
                        double           tolerance,
                        const char      *what)
{
  gsize stride = (gsize) json_object_get_int_member (sampled, "stride");
  JsonArray *values = json_object_get_array_member (sampled, "values");
  guint n = json_array_get_length (values);
  double largest = 1e-2;
  double sum_abs = 0.0;
  double expected_sum_abs = json_object_get_double_member (sampled,
                                                           "sum_abs");

  g_assert_cmpuint ((gsize) json_object_get_int_member (sampled, "size"), ==,
                    actual->size);

  /* Every value counts in the sum of magnitudes, sampled or not. */
  for (gsize i = 0; i < actual->size; i++)
    sum_abs += fabs (actual->data[i]);
  if (fabs (sum_abs - expected_sum_abs) > tolerance * MAX (expected_sum_abs,
                                                          1e-2))
    g_error ("%s: Σ|value| is %.7g in Convolve, %.7g in PyTorch", what,
             sum_abs, expected_sum_abs);

  for (guint k = 0; k < n; k++)
    largest = MAX (largest, fabs (json_array_get_double_element (values, k)));

  for (guint k = 0; k < n; k++)
    {
      double expected = json_array_get_double_element (values, k);
      float got = actual->data[k * stride];

      if (fabs (got - expected) > tolerance * largest)
        g_error ("%s[%zu]: Convolve %.7g, PyTorch %.7g", what, k * stride,
                 got, expected);
    }
}

static void
assert_matches_list (const float *actual,
                     gsize        n,
                     JsonArray   *values,
                     double       tolerance,
                     const char  *what)
{
  double largest = 1e-2;

  g_assert_cmpuint (json_array_get_length (values), ==, n);
  for (guint k = 0; k < n; k++)
    largest = MAX (largest, fabs (json_array_get_double_element (values, k)));
  for (guint k = 0; k < n; k++)
    {
      double expected = json_array_get_double_element (values, k);

      if (fabs (actual[k] - expected) > tolerance * largest)
        g_error ("%s[%u]: Convolve %.7g, PyTorch %.7g", what, k, actual[k],
                 expected);
    }
}

static void
test_torch_reference (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strdup_printf ("%s.json", name);
  const char *path = g_test_get_filename (G_TEST_DIST, "reference", file,
                                          NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvTensor) input_grad = NULL;
  g_autoptr(CnvTensor) logits_grad = NULL;
  JsonObject *root, *params, *expected, *grads, *buffers;
  JsonArray *logits_grad_values;
  const CnvTensor *logits;
  gboolean training;
  int batch;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  spec = cnv_model_spec_new_from_json_node (
    json_object_get_member (root, "model"), &error);
  g_assert_no_error (error);
  model = cnv_model_new (spec, &error);
  g_assert_no_error (error);

  /* Every tensor of the model is in the file, and nothing else. */
  params = json_object_get_object_member (root, "params");
  g_assert_cmpuint (json_object_get_size (params), ==,
                    cnv_model_get_n_params (model));
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      g_assert_true (json_object_has_member (params, param->name));
      fill_formula (param->value,
                    json_object_get_object_member (params, param->name));
    }

  batch = (int) json_object_get_int_member (root, "batch");
  training = json_object_get_boolean_member (root, "training");
  input = cnv_tensor_new_4d (batch, spec->channels, spec->height, spec->width);
  input_grad = cnv_tensor_copy (input);
  fill_formula (input, json_object_get_object_member (root, "input"));

  expected = json_object_get_object_member (root, "expected");
  logits = cnv_model_forward (model, input, training, NULL);
  assert_matches_list (logits->data, logits->size,
                       json_object_get_array_member (expected, "logits"),
                       1e-5, "logits");

  buffers = json_object_get_object_member (expected, "buffers");
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      if (param->trainable)
        continue;
      assert_matches_list (param->value->data, param->value->size,
                           json_object_get_array_member (buffers, param->name),
                           1e-5, param->name);
    }

  logits_grad_values = json_object_get_array_member (root, "logits_grad");
  logits_grad = cnv_tensor_new_1d (batch);
  for (int i = 0; i < batch; i++)
    logits_grad->data[i] = (float) json_array_get_double_element (
      logits_grad_values, (guint) i);

  cnv_model_zero_grad (model);
  cnv_model_backward (model, logits_grad, input_grad);

  grads = json_object_get_object_member (expected, "grads");
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      if (!param->trainable)
        continue;
      assert_matches_sampled (param->grad,
                              json_object_get_object_member (grads,
                                                             param->name),
                              1e-4, param->name);
    }
  assert_matches_sampled (input_grad,
                          json_object_get_object_member (expected,
                                                         "input_grad"),
                          1e-4, "input");
}

static const char *torch_cases[] = {
  "conv-same-stride2", "conv-valid-rect", "conv-same-even-kernel", "max-pool",
  "avg-pool", "global-avg-pool", "batch-norm-train", "batch-norm-eval",
  "activations", "softmax", "lenet",
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cnv_set_threads (1);

  g_test_add_func ("/engine/conv2d/forward-matches-naive-loop",
                   test_conv_forward);
  g_test_add_func ("/engine/conv2d/backward-matches-finite-differences",
                   test_conv_backward);
  g_test_add_func ("/engine/pool/forward-matches-naive-loop",
                   test_pool_forward);
  g_test_add_func ("/engine/pool/backward-matches-finite-differences",
                   test_pool_backward);
  g_test_add_func ("/engine/max-pool/ties-go-to-the-first-maximum",
                   test_max_pool_ties);
  g_test_add_func ("/engine/global-avg-pool/forward-and-backward",
                   test_global_avg_pool);
  g_test_add_func ("/engine/batch-norm/2d-matches-naive-and-differences",
                   test_batch_norm_2d);
  g_test_add_func ("/engine/batch-norm/flat-matches-naive-and-differences",
                   test_batch_norm_flat);
  g_test_add_func ("/engine/batch-norm/inference-is-per-sample",
                   test_batch_norm_inference_independent);
  g_test_add_func ("/engine/dropout/masks-scales-and-differentiates",
                   test_dropout);
  g_test_add_func ("/engine/dense/flatten-and-dense-match-naive-loop",
                   test_flatten_and_dense_forward);
  g_test_add_func ("/engine/dense/column-chunks-match-naive-loop",
                   test_dense_chunks);
  g_test_add_func ("/engine/activations/forward-and-backward",
                   test_activations);
  g_test_add_func ("/engine/softmax/matches-naive-loop-and-differences",
                   test_softmax);
  g_test_add_func ("/engine/model/every-kind-chained-matches-differences",
                   test_every_kind_chained);

  for (gsize i = 0; i < G_N_ELEMENTS (torch_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/torch-reference/%s",
                                               torch_cases[i]);

      g_test_add_data_func (path, torch_cases[i], test_torch_reference);
    }

  return g_test_run ();
}
