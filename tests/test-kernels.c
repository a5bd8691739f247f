/* test-kernels.c — the fast paths of cnv-layers.c against the plain ones
 *
 * A convolution builds its patch matrix a tile of output rows at a time
 * (cnv_layers_set_tile_budget () picks the tile); with a budget large
 * enough for the whole image there is one tile, which is the path the
 * layer tests compare with naive loops, finite differences and PyTorch.
 * Here every tiling of random shapes (stride 2, valid padding, rectangular
 * and even kernels, 1×1) must give the same outputs and gradients within
 * a relative 1e-5, the sums being grouped differently.  On a CPU with
 * AVX-512 the direct convolutions of cnv-avx512.c must give the same
 * within the same bound on every case they can run.  On both paths a
 * NaN or an infinity in the input must reach only the weight-gradient
 * taps that read it.  The 2×2 max-pool runs four or sixteen outputs per
 * step; on inputs full of ties it must pick the first maximum like the
 * naive loop, and with "same" padding on odd sizes it must not read past
 * the edge.  Training stays bit for bit reproducible on one thread.  And
 * a worker lowered for lowered work (the app's training) never runs work
 * given at normal priority.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "cnv.h"
#include "cnv-layers-private.h"
#include "test-images-common.h"
#include "test-util.h"

typedef struct
{
  int         channels, height, width;
  int         filters, kh, kw, sh, sw;
  const char *padding;
} ConvCase;

static const ConvCase conv_cases[] = {
  { 3, 11, 9, 4, 3, 3, 1, 1, "same" },
  { 2, 12, 10, 5, 3, 5, 2, 2, "same" },   /* stride 2, rectangular */
  { 3, 9, 13, 4, 4, 2, 1, 1, "valid" },   /* rectangular, valid */
  { 1, 8, 8, 3, 2, 2, 1, 1, "same" },     /* even kernel, same */
  { 4, 10, 7, 6, 3, 3, 2, 1, "valid" },   /* strides differ */
  { 2, 13, 11, 3, 5, 3, 2, 2, "valid" },  /* stride 2, valid */
  { 3, 7, 7, 5, 1, 1, 1, 1, "valid" },    /* pointwise: never tiled */
  { 1, 28, 28, 8, 5, 5, 1, 1, "same" },   /* LeNet's layers */
  { 8, 14, 14, 16, 5, 5, 1, 1, "same" },
  { 5, 9, 6, 12, 3, 2, 1, 1, "valid" },   /* filters past a block of 8 */
  { 20, 6, 32, 24, 3, 3, 1, 1, "same" },  /* small-vgg's, two vectors a row */
  { 3, 5, 17, 8, 3, 3, 1, 1, "same" },    /* one lane in a row's 2nd vector */
  { 2, 4, 40, 9, 3, 3, 1, 1, "valid" },   /* three vectors a row, and a
                                           * wider input gradient */
  { 3, 40, 48, 10, 3, 3, 1, 1, "same" },  /* weight gradient in two tiles */
  { 2, 26, 40, 9, 5, 5, 1, 1, "same" },   /* and a row of 3 + 2 taps (at
                                           * 30 rows a relu input rounds
                                           * to 0 on one side only) */
  { 1, 3, 1040, 2, 3, 3, 1, 1, "same" },  /* 65 vectors a row: a weight
                                           * gradient tile of one row */
  { 3, 6, 7, 32, 3, 3, 1, 1, "same" },    /* small planes of 16 filters or
                                           * more: the weight gradient with
                                           * the filters in the lanes, two
                                           * vectors of them, 9 kernel rows
                                           * as 8 + 1 */
  { 3, 5, 9, 16, 3, 5, 1, 1, "valid" },   /* and rows of 5 taps, 5 + 4 */
};

/* conv → relu → conv → flatten → dense 1, so that the first convolution
 * also gets an input gradient and the relu is fused into it. */
static CnvModel *
conv_model (const ConvCase *c)
{
  g_autofree char *json = NULL;

  json = g_strdup_printf (
    "{\"input\": {\"width\": %d, \"height\": %d, \"channels\": %d},"
    " \"layers\": ["
    "{\"id\": \"a\", \"type\": \"conv2d\", \"filters\": %d,"
    " \"kernel\": [%d, %d], \"stride\": [%d, %d], \"padding\": \"%s\"},"
    "{\"id\": \"r\", \"type\": \"relu\"},"
    "{\"id\": \"b\", \"type\": \"conv2d\", \"filters\": 2,"
    " \"kernel\": [%d, %d], \"stride\": [1, 1], \"padding\": \"same\"},"
    "{\"id\": \"f\", \"type\": \"flatten\"},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}",
    c->width, c->height, c->channels, c->filters, c->kh, c->kw, c->sh,
    c->sw, c->padding, c->kw, c->kh);

  return test_model_new_from_json (json);
}

typedef struct
{
  GPtrArray *tensors;  /* CnvTensor*: activations, input grad, param grads */
} Run;

static void
run_clear (Run *run)
{
  g_ptr_array_unref (run->tensors);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Forward and backward of a batch of 3 random images with random weights
 * (the same for a given seed), keeping everything that comes out. */
static Run
run_conv_model (const ConvCase *c,
                gsize           tile_budget,
                CnvAvx512Mode   mode)
{
  g_autoptr(CnvModel) model = conv_model (c);
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvTensor) input_grad = NULL;
  g_autoptr(CnvTensor) grad = cnv_tensor_new_1d (3);
  Run run = { g_ptr_array_new_with_free_func ((GDestroyNotify) cnv_tensor_free) };
  CnvRng rng;

  cnv_layers_set_tile_budget (tile_budget);
  cnv_layers_set_avx512 (mode);
  cnv_rng_init (&rng, 7);
  cnv_model_init_parameters (model, &rng);
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvTensor *value = cnv_model_get_param (model, i)->value;

      /* non-zero biases, so that their gradient path counts too */
      if (value->ndim == 1)
        for (gsize j = 0; j < value->size; j++)
          value->data[j] = (float) cnv_rng_uniform (&rng) - 0.5f;
    }
  input = cnv_tensor_new_4d (3, c->channels, c->height, c->width);
  input_grad = cnv_tensor_new_4d (3, c->channels, c->height, c->width);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng) * 2.0f - 1.0f;
  for (int i = 0; i < 3; i++)
    grad->data[i] = (float) cnv_rng_uniform (&rng) - 0.5f;

  cnv_model_forward (model, input, TRUE, NULL);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, grad, input_grad);

  for (guint l = 0; l < cnv_model_get_spec (model)->n_layers; l++)
    g_ptr_array_add (run.tensors,
                     cnv_tensor_copy (cnv_model_get_activation (model, l)));
  g_ptr_array_add (run.tensors, g_steal_pointer (&input_grad));
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    g_ptr_array_add (run.tensors,
                     cnv_tensor_copy (cnv_model_get_param (model, i)->grad));

  cnv_layers_set_tile_budget (0);
  cnv_layers_set_avx512 (CNV_AVX512_AUTO);
  return run;
}

static void
assert_runs_close (const Run  *a,
                   const Run  *b,
                   const char *what)
{
  g_assert_cmpuint (a->tensors->len, ==, b->tensors->len);

  for (guint t = 0; t < a->tensors->len; t++)
    {
      const CnvTensor *x = g_ptr_array_index (a->tensors, t);
      const CnvTensor *y = g_ptr_array_index (b->tensors, t);
      double largest = 0.0;

      g_assert_true (cnv_tensor_same_shape (x, y));
      for (gsize i = 0; i < x->size; i++)
        largest = MAX (largest, fabs (x->data[i]));
      g_assert_cmpfloat (largest, >, 0.0);

      for (gsize i = 0; i < x->size; i++)
        if (fabs (x->data[i] - y->data[i]) > 1e-5 * largest)
          g_error ("%s: tensor %u element %zu: %.9g against %.9g", what, t, i,
                   x->data[i], y->data[i]);
    }
}

static void
test_tiles_match_one_tile (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      const ConvCase *c = &conv_cases[i];
      gsize patch_row = (gsize) c->channels * c->kh * c->kw;
      /* one tile; one output row per tile; three rows per tile, which
       * leaves a shorter last tile */
      gsize budgets[3] = { G_MAXSIZE / 4, 1, 3 * patch_row * c->width };
      g_auto (Run) whole = run_conv_model (c, budgets[0], CNV_AVX512_NEVER);

      for (guint b = 1; b < G_N_ELEMENTS (budgets); b++)
        {
          g_auto (Run) tiled = run_conv_model (c, budgets[b],
                                               CNV_AVX512_NEVER);
          g_autofree char *what = g_strdup_printf ("case %u, budget %zu", i,
                                                   budgets[b]);

          assert_runs_close (&whole, &tiled, what);
        }
    }
}

/* Some element of the two runs differs in its bits. */
static gboolean
runs_differ (const Run *a,
             const Run *b)
{
  for (guint t = 0; t < a->tensors->len; t++)
    {
      const CnvTensor *x = g_ptr_array_index (a->tensors, t);
      const CnvTensor *y = g_ptr_array_index (b->tensors, t);

      if (memcmp (x->data, y->data, x->size * sizeof (float)) != 0)
        return TRUE;
    }

  return FALSE;
}

/* Every case, both convolutions of its model on the direct kernels
 * (the strided and 1×1 ones stay on im2col), on two threads, against
 * im2col in one tile on one.  The sums are grouped differently, so
 * where a direct kernel ran some bits differ, which shows that it did. */
static void
test_direct_matches_im2col (void)
{
  if (!cnv_layers_avx512_supported ())
    {
      g_test_skip ("this CPU has no AVX-512");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      const ConvCase *c = &conv_cases[i];
      g_auto (Run) im2col = run_conv_model (c, G_MAXSIZE / 4,
                                            CNV_AVX512_NEVER);
      g_autofree char *what = g_strdup_printf ("case %u, direct", i);
      g_auto (Run) direct = { NULL };

      cnv_set_threads (2);
      direct = run_conv_model (c, 0, CNV_AVX512_ALWAYS);
      cnv_set_threads (1);

      assert_runs_close (&im2col, &direct, what);
      /* the second convolution is stride 1 and kh × kw turned round */
      if (c->kh * c->kw > 1)
        g_assert_true (runs_differ (&im2col, &direct));
    }
}

/* A NaN in the top-left corner of the first channel and an infinity in
 * the bottom-right corner of the second, in the first of two images:
 * the weight gradient of a "same" convolution with an odd kernel must be
 * non-finite at exactly the taps whose sum reads that pixel, and
 * everywhere else equal a naive loop over the pixels inside the image.
 * A kernel whose lanes past a row's end read on into the next row (or
 * onto the infinity at the end of this one) and multiplied it by their
 * zero output gradient would make 0 · NaN or 0 · ∞ at taps that never
 * read the pixel.  Widths of 37, 21 and 1037 leave lanes past a row's
 * end; 1037, 65 vectors a row, makes weight-gradient tiles of one row
 * and 40 rows make two tiles.  With 16 filters the small planes take
 * the weight gradient with the filters in the lanes. */
typedef struct
{
  int height, width, k, filters;
} NonfiniteCase;

static const NonfiniteCase nonfinite_cases[] = {
  { 6, 37, 3, 3 }, { 40, 48, 3, 3 }, { 9, 21, 5, 3 }, { 3, 1037, 3, 3 },
  { 6, 21, 3, 16 }, { 14, 14, 5, 16 },
};

static void
check_nonfinite_weight_grad (const NonfiniteCase *c,
                             CnvAvx512Mode        mode,
                             guint                threads)
{
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (2, 2, c->height,
                                                  c->width);
  g_autoptr(CnvTensor) grad = cnv_tensor_new_1d (2);
  g_autofree char *json = NULL;
  const char *path = mode == CNV_AVX512_NEVER ? "im2col" : "direct";
  const int channels = 2, filters = c->filters, pad = (c->k - 1) / 2;
  const gsize plane = (gsize) c->height * c->width;
  const CnvTensor *dy, *dw;
  guint nonfinite = 0;
  CnvRng rng;

  g_assert_true (c->k % 2 == 1);
  json = g_strdup_printf (
    "{\"input\": {\"width\": %d, \"height\": %d, \"channels\": %d},"
    " \"layers\": ["
    "{\"id\": \"a\", \"type\": \"conv2d\", \"filters\": %d,"
    " \"kernel\": [%d, %d], \"stride\": [1, 1], \"padding\": \"same\"},"
    "{\"id\": \"f\", \"type\": \"flatten\"},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}",
    c->width, c->height, channels, filters, c->k, c->k);
  model = test_model_new_from_json (json);

  cnv_rng_init (&rng, 13);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng) * 2.0f - 1.0f;
  input->data[0] = NAN;
  input->data[2 * plane - 1] = INFINITY;
  grad->data[0] = 0.75f;
  grad->data[1] = -0.5f;

  cnv_layers_set_avx512 (mode);
  cnv_set_threads (threads);
  cnv_model_forward (model, input, TRUE, NULL);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, grad, NULL);
  cnv_set_threads (1);
  cnv_layers_set_avx512 (CNV_AVX512_AUTO);

  /* the dense layer's input gradient, finite everywhere */
  dy = cnv_model_get_activation_grad (model, 0);
  dw = cnv_model_get_param (model, 0)->grad;
  g_assert_cmpuint (dw->size, ==, (gsize) filters * channels * c->k * c->k);

  /* dw [f, ch, ky, kx] = Σ dy [n, f, y, x] · input [n, ch, y + ky − pad,
   * x + kx − pad] over the pixels inside the image; its float sum may be
   * off by a relative 1e-5 of the sum of the terms' sizes */
  for (int f = 0; f < filters; f++)
    for (int ch = 0; ch < channels; ch++)
      for (int ky = 0; ky < c->k; ky++)
        for (int kx = 0; kx < c->k; kx++)
          {
            gsize at = (((gsize) f * channels + ch) * c->k + ky) * c->k + kx;
            double expected = 0.0, size = 0.0;
            gboolean ok;

            for (int n = 0; n < 2; n++)
              for (int y = 0; y < c->height; y++)
                for (int x = 0; x < c->width; x++)
                  {
                    int iy = y + ky - pad, ix = x + kx - pad;
                    double term;

                    if (iy < 0 || iy >= c->height || ix < 0 || ix >= c->width)
                      continue;
                    term = (double) dy->data[((gsize) n * filters + f)
                                             * plane
                                             + (gsize) y * c->width + x]
                           * input->data[((gsize) n * channels + ch) * plane
                                         + (gsize) iy * c->width + ix];
                    expected += term;
                    size += fabs (term);
                  }

            if (!isfinite (expected))
              {
                nonfinite++;
                ok = !isfinite (dw->data[at]);
              }
            else
              ok = isfinite (dw->data[at])
                   && fabs (dw->data[at] - expected) <= 1e-5 * size;
            if (!ok)
              g_error ("%s on %u threads, %dx%d, kernel %d: tap %zu is %.9g,"
                       " expected %.9g", path, threads, c->height, c->width,
                       c->k, at, dw->data[at], expected);
          }

  /* each corner pixel is read by the taps on its side of the centre,
   * (pad + 1)² of them a filter */
  g_assert_cmpuint (nonfinite, ==, 2 * filters * (pad + 1) * (pad + 1));
}

static void
test_nonfinite_weight_grad (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (nonfinite_cases); i++)
    {
      const NonfiniteCase *c = &nonfinite_cases[i];

      check_nonfinite_weight_grad (c, CNV_AVX512_NEVER, 1);
      if (cnv_layers_avx512_supported ())
        check_nonfinite_weight_grad (c, CNV_AVX512_ALWAYS, 2);
    }
}

/* The 2×2 pool on 3 channels of 11×37 values that are mostly ties (five
 * levels), NaN second in one window and first in another: outputs and
 * where the gradient goes must be those of the naive loop, which keeps
 * the first maximum in row-major order.  18 outputs a row: a full step
 * of sixteen lanes and a short one, four lanes and a scalar tail; the
 * odd height and width leave a last row and column that no window
 * covers, whose gradient is zero. */
#define POOL_H 11
#define POOL_W 37
#define POOL_PLANE (POOL_H * POOL_W)
#define POOL_OUT_H (POOL_H / 2)
#define POOL_OUT_W (POOL_W / 2)

static void
check_max_pool_lanes (CnvAvx512Mode mode)
{
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (2, 3, POOL_H, POOL_W);
  g_autoptr(CnvTensor) input_grad = cnv_tensor_new_4d (2, 3, POOL_H,
                                                       POOL_W);
  g_autoptr(CnvTensor) grad = cnv_tensor_new_1d (2);
  g_autofree char *json = NULL;
  const CnvTensor *pooled;
  const CnvTensor *pooled_grad;
  CnvRng rng;

  json = g_strdup_printf (
    "{\"input\": {\"width\": %d, \"height\": %d, \"channels\": 3},"
    " \"layers\": [{\"id\": \"p\", \"type\": \"max-pool\", \"size\": 2},"
    "{\"id\": \"f\", \"type\": \"flatten\"},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}",
    POOL_W, POOL_H);
  model = test_model_new_from_json (json);

  cnv_rng_init (&rng, 3);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) (int) (cnv_rng_uniform (&rng) * 5.0);
  input->data[2 * POOL_W + 5] = NAN;
  input->data[POOL_PLANE + 4 * POOL_W + 30] = NAN;
  grad->data[0] = 1.0f;
  grad->data[1] = -0.5f;
  /* what a previous batch left: every cell must be overwritten, the ones
   * no window covers (the last row and column) with zero */
  for (gsize i = 0; i < input_grad->size; i++)
    input_grad->data[i] = 7.0f;

  cnv_layers_set_avx512 (mode);
  pooled = cnv_model_forward (model, input, TRUE, NULL) != NULL
           ? cnv_model_get_activation (model, 0) : NULL;
  g_assert_nonnull (pooled);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, grad, input_grad);
  pooled_grad = cnv_model_get_activation_grad (model, 0);
  cnv_layers_set_avx512 (CNV_AVX512_AUTO);

  for (int plane = 0; plane < 2 * 3; plane++)
    {
      const float *x = input->data + plane * POOL_PLANE;
      const float *dx = input_grad->data + plane * POOL_PLANE;
      g_autofree float *expected_dx = g_new0 (float, POOL_PLANE);

      for (int oh = 0; oh < POOL_OUT_H; oh++)
        for (int ow = 0; ow < POOL_OUT_W; ow++)
          {
            int o = (plane * POOL_OUT_H + oh) * POOL_OUT_W + ow;
            int best = (2 * oh) * POOL_W + 2 * ow;

            for (int dh = 0; dh < 2; dh++)
              for (int dw = 0; dw < 2; dw++)
                {
                  int at = (2 * oh + dh) * POOL_W + 2 * ow + dw;

                  if (x[at] > x[best])
                    best = at;
                }

            if (isnan (x[best]))
              g_assert_true (isnan (pooled->data[o]));
            else
              g_assert_cmpfloat (pooled->data[o], ==, x[best]);
            expected_dx[best] += pooled_grad->data[o];
          }

      for (int i = 0; i < POOL_PLANE; i++)
        g_assert_cmpfloat (dx[i], ==, expected_dx[i]);
    }
}

static void
test_max_pool_lanes (void)
{
  check_max_pool_lanes (CNV_AVX512_NEVER);
}

static void
test_max_pool_avx512 (void)
{
  if (!cnv_layers_avx512_supported ())
    {
      g_test_skip ("this CPU has no AVX-512");
      return;
    }

  check_max_pool_lanes (CNV_AVX512_AUTO);
}

/* A 2×2 pool with "same" padding on 5 × 7 planes: the last row and
 * column of windows hang over the edge, where the fast paths must not
 * read, and take the maximum of the cells inside. */
static void
test_max_pool_same_odd (void)
{
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (1, 2, 5, 7);
  const CnvTensor *pooled;
  CnvRng rng;

  model = test_model_new_from_json (
    "{\"input\": {\"width\": 7, \"height\": 5, \"channels\": 2},"
    " \"layers\": [{\"id\": \"p\", \"type\": \"max-pool\", \"size\": 2,"
    " \"padding\": \"same\"},"
    "{\"id\": \"f\", \"type\": \"flatten\"},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}");

  cnv_rng_init (&rng, 5);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng) - 0.5f;

  pooled = cnv_model_forward (model, input, FALSE, NULL) != NULL
           ? cnv_model_get_activation (model, 0) : NULL;
  g_assert_nonnull (pooled);
  g_assert_cmpint (pooled->shape[2], ==, 3);
  g_assert_cmpint (pooled->shape[3], ==, 4);

  for (int plane = 0; plane < 2; plane++)
    for (int oh = 0; oh < 3; oh++)
      for (int ow = 0; ow < 4; ow++)
        {
          const float *x = input->data + plane * 35;
          float best = -INFINITY;

          for (int h = 2 * oh; h < MIN (2 * oh + 2, 5); h++)
            for (int w = 2 * ow; w < MIN (2 * ow + 2, 7); w++)
              best = MAX (best, x[h * 7 + w]);

          g_assert_cmpfloat (pooled->data[(plane * 3 + oh) * 4 + ow], ==,
                             best);
        }
}

/* Two class folders of n grey size × size images with noise, so that
 * training has something to learn and the weights move. */
static void
make_noisy_dataset (const char *folder,
                    guint       n,
                    int         size)
{
  const char *names[2] = { "dark", "light" };
  CnvRng rng;

  cnv_rng_init (&rng, 11);
  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = g_build_filename (folder, names[c], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *name = g_strdup_printf ("img-%03u.png", i);
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree guint8 *rows = g_new (guint8, size * size);
          g_autoptr(GBytes) png = NULL;

          for (int p = 0; p < size * size; p++)
            rows[p] = (guint8) (60 * c + 60 + 80 * cnv_rng_uniform (&rng));
          png = make_png (size, size, 8, PNG_GREY, rows, NULL, 0);
          write_bytes (path, png);
        }
    }
}

static CnvClassifier *
train_once (const CnvDataset       *dataset,
            const CnvPreprocessing *pp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  CnvClassifier *classifier;
  CnvTrainConfig config;

  /* Every kind that runs per image and the ones that need the batch:
   * convolutions with their relus, both pools, dropout, dense. */
  spec = cnv_model_spec_new_from_json (
    "{\"input\": {\"width\": 12, \"height\": 12, \"channels\": 1},"
    " \"layers\": ["
    "{\"id\": \"c1\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3,"
    " \"padding\": \"same\"}, {\"id\": \"r1\", \"type\": \"relu\"},"
    "{\"id\": \"p1\", \"type\": \"max-pool\", \"size\": 2},"
    "{\"id\": \"c2\", \"type\": \"conv2d\", \"filters\": 6, \"kernel\": 3,"
    " \"stride\": 2, \"padding\": \"same\"}, {\"id\": \"r2\", \"type\": \"relu\"},"
    "{\"id\": \"p2\", \"type\": \"avg-pool\", \"size\": 3},"
    "{\"id\": \"f\", \"type\": \"flatten\"},"
    "{\"id\": \"d\", \"type\": \"dropout\", \"rate\": 0.3},"
    "{\"id\": \"fc\", \"type\": \"dense\", \"units\": 8},"
    "{\"id\": \"r3\", \"type\": \"relu\"},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}", -1, &error);
  g_assert_no_error (error);
  classifier = cnv_classifier_new (spec, pp, NULL, 21, &error);
  g_assert_no_error (error);

  cnv_train_config_init_default (&config);
  config.epochs = 3;
  config.batch_size = 5;
  config.val_split = 0.25;
  config.threads = 1;
  g_assert_true (cnv_classifier_train (classifier, dataset, &config, NULL,
                                       NULL, NULL, &error));
  g_assert_no_error (error);

  return classifier;
}

static void
test_one_thread_is_reproducible (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-kernels-XXXXXX");
  g_autofree char *folder = g_build_filename (tmp->dir, "data", NULL);
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) first = NULL;
  g_autoptr(CnvClassifier) second = NULL;
  g_autoptr(GError) error = NULL;
  int saved = cnv_get_threads ();
  CnvPreprocessing pp;
  gboolean moved = FALSE;

  make_noisy_dataset (folder, 14, 12);
  cnv_preprocessing_init_default (&pp, 12, 12, 1);
  dataset = cnv_dataset_load (folder, &pp, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  first = train_once (dataset, &pp);
  second = train_once (dataset, &pp);
  cnv_set_threads (saved);

  for (guint i = 0; i < cnv_model_get_n_params (first->model); i++)
    {
      const CnvParam *a = cnv_model_get_param (first->model, i);
      const CnvParam *b = cnv_model_get_param (second->model, i);

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpmem (a->value->data, a->value->size * sizeof (float),
                       b->value->data, b->value->size * sizeof (float));
      /* the runs trained: a bias away from its zero start */
      if (a->trainable && a->value->ndim == 1)
        for (gsize j = 0; j < a->value->size; j++)
          moved = moved || a->value->data[j] != 0.0f;
    }
  g_assert_true (moved);
  for (guint e = 0; e < 3; e++)
    g_assert_cmpfloat (g_array_index (first->history, CnvEpochRecord,
                                      e).validation.loss, ==,
                       g_array_index (second->history, CnvEpochRecord,
                                      e).validation.loss);
}

/* Item i records the nice value of the thread that ran it. */
static void
record_nice_cb (gpointer data,
                int      worker,
                int      start,
                int      end)
{
  int *nice = data;

  for (int i = start; i < end; i++)
    nice[i] = getpriority (PRIO_PROCESS, 0);
}

static gpointer
lowered_loop_thread (gpointer data)
{
  int *nice = data;

  g_assert_cmpint (setpriority (PRIO_PROCESS, 0, 7), ==, 0);
  cnv_parallel_for (2, 2, record_nice_cb, nice);

  return NULL;
}

static void
test_lowered_workers_stay_apart (void)
{
  int lowered[2] = { -100, -100 };
  int normal[2] = { -100, -100 };

  if (getpriority (PRIO_PROCESS, 0) != 0)
    {
      g_test_skip ("the test runs at a nice value other than 0");
      return;
    }

  /* Linux keeps a nice value per thread: the lowered caller's worker
   * takes its value. */
  g_thread_join (g_thread_new ("lowered", lowered_loop_thread, lowered));
  g_assert_cmpint (lowered[0], ==, 7);
  g_assert_cmpint (lowered[1], ==, 7);

  /* The next loop given at normal priority runs at normal priority on
   * both threads, though the lowered worker is idle. */
  cnv_parallel_for (2, 2, record_nice_cb, normal);
  g_assert_cmpint (normal[0], ==, 0);
  g_assert_cmpint (normal[1], ==, 0);
}

/* Three Adam steps on LeNet's parameters, with and without weight decay,
 * give the same bits with the AVX-512 build of the loop as with the
 * portable one: the weights and both moments. */
static GPtrArray *
adam_steps (gboolean      decay,
            CnvAvx512Mode mode)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModel) model = cnv_model_new (spec, NULL);
  g_autoptr(CnvOptimizer) optimizer = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (
                     (GDestroyNotify) cnv_tensor_free);
  CnvOptimizerConfig config;
  CnvRng rng;

  cnv_rng_init (&rng, 11);
  cnv_model_init_parameters (model, &rng);
  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_ADAM);
  config.weight_decay = decay ? 0.01 : 0.0;
  optimizer = cnv_optimizer_new (&config, model);

  cnv_layers_set_avx512 (mode);
  for (int step = 0; step < 3; step++)
    {
      for (guint i = 0; i < cnv_model_get_n_params (model); i++)
        {
          CnvTensor *grad = cnv_model_get_param (model, i)->grad;

          for (gsize j = 0; grad != NULL && j < grad->size; j++)
            grad->data[j] = (float) cnv_rng_uniform (&rng) - 0.5f;
        }
      cnv_optimizer_step (optimizer, model);
    }
  cnv_layers_set_avx512 (CNV_AVX512_AUTO);

  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    g_ptr_array_add (out,
                     cnv_tensor_copy (cnv_model_get_param (model, i)->value));
  for (guint i = 0; i < cnv_optimizer_get_n_slots (optimizer); i++)
    g_ptr_array_add (out, cnv_tensor_copy (
                       cnv_optimizer_get_slot (optimizer, i)->value));

  return out;
}

static void
test_adam_lanes (void)
{
  if (!cnv_layers_avx512_supported ())
    {
      g_test_skip ("this CPU has no AVX-512");
      return;
    }

  for (int decay = 0; decay < 2; decay++)
    {
      g_autoptr(GPtrArray) portable = adam_steps (decay, CNV_AVX512_NEVER);
      g_autoptr(GPtrArray) lanes = adam_steps (decay, CNV_AVX512_AUTO);

      g_assert_cmpuint (portable->len, ==, lanes->len);
      for (guint i = 0; i < portable->len; i++)
        {
          const CnvTensor *a = portable->pdata[i];
          const CnvTensor *b = lanes->pdata[i];

          g_assert_cmpmem (a->data, a->size * 4, b->data, b->size * 4);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  cnv_set_threads (1);
  g_test_add_func ("/engine/optimizer/adam-lanes-match-portable-loop",
                   test_adam_lanes);
  g_test_add_func ("/engine/conv2d/tiles-match-one-tile",
                   test_tiles_match_one_tile);
  g_test_add_func ("/engine/conv2d/direct-matches-im2col",
                   test_direct_matches_im2col);
  g_test_add_func ("/engine/conv2d/nonfinite-input-reaches-only-its-taps",
                   test_nonfinite_weight_grad);
  g_test_add_func ("/engine/max-pool/lanes-match-naive-loop-with-ties",
                   test_max_pool_lanes);
  g_test_add_func ("/engine/max-pool/avx512-matches-naive-loop-with-ties",
                   test_max_pool_avx512);
  g_test_add_func ("/engine/max-pool/same-padding-on-odd-sizes",
                   test_max_pool_same_odd);
  g_test_add_func ("/engine/parallel/lowered-workers-stay-apart",
                   test_lowered_workers_stay_apart);
  g_test_add_func ("/training/one-thread-runs-are-bit-identical",
                   test_one_thread_is_reproducible);

  return g_test_run ();
}
