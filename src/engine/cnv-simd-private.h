/* cnv-simd-private.h — element-wise float loops four lanes at a time
 *
 * gcc turns a plain loop like `y[i] = x[i] > 0 ? x[i] : 0` into scalar
 * compares and branches once it is inlined into a larger function, and
 * those loops were a fifth of a training step.  These kernels spell the
 * lanes out with gcc's vector extensions instead, which every
 * x86-64 compiles to packed SSE instructions.
 * Each lane computes exactly the scalar expression, in the same order, so
 * the results are the same bits as the plain loops on any machine; only
 * sums of many values depend on the order, and cnv_sum8 () fixes that
 * order to eight interleaved partial sums whatever the vector width.
 */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/* Every function here is static inline: passing a vector by value never
 * crosses an ABI boundary.  gcc reports the ABI note at the end of the
 * file that includes this one, so it stays off for that whole file. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* Four lanes: the width every x86-64 has (SSE2).  gcc splits wider
 * generic vectors into halves for arithmetic, but it turns their
 * comparisons into one scalar compare and branch per lane. */
typedef float  CnvVec  __attribute__ ((vector_size (16)));
typedef gint32 CnvMask __attribute__ ((vector_size (16)));

#define CNV_LANES 4

static inline CnvVec
cnv_loadv (const float *p)
{
  CnvVec v;

  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
cnv_storev (float   *p,
            CnvVec  v)
{
  memcpy (p, &v, sizeof v);
}

static inline CnvVec
cnv_splatv (float value)
{
  CnvVec v = { value, value, value, value };

  return v;
}

/* mask ? a : b, lane by lane; mask lanes are all ones or all zeros. */
static inline CnvVec
cnv_selectv (CnvMask mask,
             CnvVec  a,
             CnvVec  b)
{
  return (CnvVec) ((mask & (CnvMask) a) | (~mask & (CnvMask) b));
}

/* dst[i] += src[i] */
static inline void
cnv_add_row (float *restrict       dst,
             const float *restrict src,
             gsize                 n)
{
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    cnv_storev (dst + i, cnv_loadv (dst + i) + cnv_loadv (src + i));
  for (; i < n; i++)
    dst[i] += src[i];
}

/* dst[i] = value */
static inline void
cnv_fill_row (float *restrict dst,
              gsize           n,
              float           value)
{
  CnvVec v = cnv_splatv (value);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    cnv_storev (dst + i, v);
  for (; i < n; i++)
    dst[i] = value;
}

/* y[i] = x[i] > 0 ? x[i] : 0 (NaN gives 0, −0 gives +0) */
static inline void
cnv_relu_row (const float *restrict x,
              float *restrict       y,
              gsize                 n)
{
  CnvVec zero = cnv_splatv (0.0f);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    {
      CnvVec v = cnv_loadv (x + i);

      cnv_storev (y + i, cnv_selectv (v > zero, v, zero));
    }
  for (; i < n; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* y[i] = x[i] > 0 ? x[i] : slope · x[i] */
static inline void
cnv_leaky_relu_row (const float *restrict x,
                    float *restrict       y,
                    gsize                 n,
                    float                 slope)
{
  CnvVec zero = cnv_splatv (0.0f);
  CnvVec s = cnv_splatv (slope);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    {
      CnvVec v = cnv_loadv (x + i);

      cnv_storev (y + i, cnv_selectv (v > zero, v, s * v));
    }
  for (; i < n; i++)
    y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

/* dx[i] = x[i] > 0 ? dy[i] : slope · dy[i].  With slope 0 the product
 * keeps a NaN or infinite dy visible, as PyTorch's relu backward does. */
static inline void
cnv_relu_grad_row (const float *restrict x,
                   const float *restrict dy,
                   float *restrict       dx,
                   gsize                 n,
                   float                 slope)
{
  CnvVec zero = cnv_splatv (0.0f);
  CnvVec s = cnv_splatv (slope);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    {
      CnvVec g = cnv_loadv (dy + i);

      cnv_storev (dx + i, cnv_selectv (cnv_loadv (x + i) > zero, g, s * g));
    }
  for (; i < n; i++)
    dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i];
}

/* y[i] = x[i] · scale + shift */
static inline void
cnv_scale_shift_row (const float *restrict x,
                     float *restrict       y,
                     gsize                 n,
                     float                 scale,
                     float                 shift)
{
  CnvVec a = cnv_splatv (scale);
  CnvVec b = cnv_splatv (shift);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    cnv_storev (y + i, cnv_loadv (x + i) * a + b);
  for (; i < n; i++)
    y[i] = x[i] * scale + shift;
}

/* dx[i] = a · dy[i] + b · x[i] + c */
static inline void
cnv_affine2_row (const float *restrict x,
                 const float *restrict dy,
                 float *restrict       dx,
                 gsize                 n,
                 float                 a,
                 float                 b,
                 float                 c)
{
  CnvVec va = cnv_splatv (a);
  CnvVec vb = cnv_splatv (b);
  CnvVec vc = cnv_splatv (c);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    cnv_storev (dx + i,
                va * cnv_loadv (dy + i) + vb * cnv_loadv (x + i) + vc);
  for (; i < n; i++)
    dx[i] = a * dy[i] + b * x[i] + c;
}

/* dx[i] = dy[i] · y[i] · (1 − y[i]): sigmoid's backward from its output */
static inline void
cnv_sigmoid_grad_row (const float *restrict y,
                      const float *restrict dy,
                      float *restrict       dx,
                      gsize                 n)
{
  CnvVec one = cnv_splatv (1.0f);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    {
      CnvVec v = cnv_loadv (y + i);

      cnv_storev (dx + i, cnv_loadv (dy + i) * v * (one - v));
    }
  for (; i < n; i++)
    dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

/* dx[i] = dy[i] · (1 − y[i]²): tanh's backward from its output */
static inline void
cnv_tanh_grad_row (const float *restrict y,
                   const float *restrict dy,
                   float *restrict       dx,
                   gsize                 n)
{
  CnvVec one = cnv_splatv (1.0f);
  gsize i = 0;

  for (; i + CNV_LANES <= n; i += CNV_LANES)
    {
      CnvVec v = cnv_loadv (y + i);

      cnv_storev (dx + i, cnv_loadv (dy + i) * (one - v * v));
    }
  for (; i < n; i++)
    dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

/* Σ src[i] in eight interleaved partial sums (partial j adds src[8k + j]),
 * then the tail, then the partials in order: one fixed order for every
 * vector width. */
static inline float
cnv_sum8 (const float *restrict src,
          gsize                 n)
{
  CnvVec low = cnv_splatv (0.0f);
  CnvVec high = cnv_splatv (0.0f);
  float total = 0.0f;
  gsize i = 0;

  for (; i + 8 <= n; i += 8)
    {
      low += cnv_loadv (src + i);
      high += cnv_loadv (src + i + CNV_LANES);
    }
  for (; i < n; i++)
    total += src[i];
  for (int j = 0; j < CNV_LANES; j++)
    total += low[j];
  for (int j = 0; j < CNV_LANES; j++)
    total += high[j];

  return total;
}

G_END_DECLS
