/* cnv-avx512.c — stride-1 convolutions without a patch matrix
 *
 * The one idea: copy the image once into a zero border as wide as the
 * kernel needs, then read that padded plane as one long row.  Output
 * position (oh, ow) sits at q = oh * PW + ow of a row PW = out_w + kw − 1
 * wide, and its input under kernel tap (c, ki, kj) is padded [c][q + ki *
 * PW + kj]: every tap is the same shifted row, so sixteen outputs are one
 * unaligned load and one FMA per tap and filter, with no im2col copy and
 * no packing of a matrix.  The kw − 1 positions at the end of each row
 * are computed too and thrown away.  Filters go eight at a time, each
 * weight broadcast from a table packed in the order the loop reads it.
 *
 * The weight gradient is the same row read against the output gradient
 * laid out on the same padded rows, with zeros in the thrown-away
 * positions: one dot product per filter and tap, sixteen lanes at a
 * time, four filters by four taps.  The input gradient is a forward pass
 * of the output gradient through the kernel turned round
 * (cnv_direct_transposed ()).
 *
 * Each output is summed in a fixed order (taps in order into sixteen
 * lanes, the lanes by _mm512_reduce_add_ps ()), so the result does not
 * depend on the thread count.  Compiled with -mavx512f alone; the caller
 * checks the CPU first.
 */
#define G_LOG_DOMAIN "cnv-layers"

#include <immintrin.h>
#include <string.h>

#include "cnv-avx512-private.h"

#define LANES 16
#define BLOCK_FILTERS 8
#define GRAD_FILTERS 4
#define GRAD_TAPS 4

static inline int
padded_width (const CnvDirect *g)
{
  return g->out_w + g->kw - 1;
}

static inline gsize
padded_plane (const CnvDirect *g)
{
  return (gsize) (g->out_h + g->kh - 1) * (gsize) padded_width (g);
}

/* Output positions of one filter on the padded rows, in whole vectors. */
static inline int
flat_length (const CnvDirect *g)
{
  int q = g->out_h * padded_width (g);

  return (q + LANES - 1) / LANES * LANES;
}

/* Lanes [0, n) of sixteen. */
static inline __mmask16
first_lanes (gsize n)
{
  return (__mmask16) (n >= LANES ? 0xffffu : (1u << n) - 1);
}

/* dst[i] = src[i], and relu[i] = src[i] > 0 ? src[i] : 0 (NaN gives 0,
 * −0 gives +0, like cnv_relu_row ()) when relu is not NULL: rows of a
 * few dozen floats, too short for memcpy () to pay for its call. */
static inline void
copy_row (float *restrict       dst,
          float *restrict       relu,
          const float *restrict src,
          gsize                 n)
{
  for (gsize i = 0; i < n; i += LANES)
    {
      __mmask16 m = first_lanes (n - i);
      __m512 v = _mm512_maskz_loadu_ps (m, src + i);

      _mm512_mask_storeu_ps (dst + i, m, v);
      if (relu != NULL)
        _mm512_mask_storeu_ps (relu + i, m,
                               _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (
                                 v, _mm512_setzero_ps (), _CMP_GT_OQ), v));
    }
}

static inline int
taps (const CnvDirect *g)
{
  return g->channels * g->kh * g->kw;
}

void
cnv_direct_transposed (const CnvDirect *g,
                       CnvDirect       *t)
{
  t->channels = g->filters;
  t->height = g->out_h;
  t->width = g->out_w;
  t->kh = g->kh;
  t->kw = g->kw;
  t->pad_top = g->kh - 1 - g->pad_top;
  t->pad_left = g->kw - 1 - g->pad_left;
  t->out_h = g->height;
  t->out_w = g->width;
  t->filters = g->channels;
}

gsize
cnv_direct_packed_size (const CnvDirect *g)
{
  int blocks = (g->filters + BLOCK_FILTERS - 1) / BLOCK_FILTERS;

  return (gsize) blocks * BLOCK_FILTERS * (gsize) taps (g);
}

/* The last vector of the last plane reads up to kw + LANES − 2 floats
 * past it; they are zeros and land only in thrown-away positions. */
gsize
cnv_direct_padded_size (const CnvDirect *g)
{
  return (gsize) g->channels * padded_plane (g) + (gsize) g->kw + LANES;
}

gsize
cnv_direct_flat_size (const CnvDirect *g)
{
  return (gsize) g->filters * (gsize) flat_length (g);
}

gsize
cnv_direct_lanes_size (const CnvDirect *g)
{
  return 2 * (gsize) (flat_length (g) / LANES);
}

/* packed [filters / 8][taps][8], the missing filters of the last block
 * zero. */
void
cnv_direct_pack (const CnvDirect *g,
                 const float     *weight,
                 float           *packed)
{
  int k = taps (g);

  for (int f0 = 0; f0 < g->filters; f0 += BLOCK_FILTERS)
    for (int tap = 0; tap < k; tap++)
      for (int i = 0; i < BLOCK_FILTERS; i++)
        *packed++ = f0 + i < g->filters
                    ? weight[(gsize) (f0 + i) * k + tap] : 0.0f;
}

/* The kernel of cnv_direct_transposed (g): filter c, tap (f, a, b) is
 * g's weight [f][c][kh − 1 − a][kw − 1 − b]. */
void
cnv_direct_pack_flipped (const CnvDirect *g,
                         const float     *weight,
                         float           *packed)
{
  int k = taps (g);
  int area = g->kh * g->kw;

  for (int c0 = 0; c0 < g->channels; c0 += BLOCK_FILTERS)
    for (int f = 0; f < g->filters; f++)
      for (int a = 0; a < g->kh; a++)
        for (int b = 0; b < g->kw; b++)
          for (int i = 0; i < BLOCK_FILTERS; i++)
            {
              int c = c0 + i;
              gsize tap = (gsize) c * area + (gsize) (g->kh - 1 - a) * g->kw
                          + (gsize) (g->kw - 1 - b);

              *packed++ = c < g->channels
                          ? weight[(gsize) f * k + tap] : 0.0f;
            }
}

void
cnv_direct_pad (const CnvDirect *g,
                const float     *image,
                float           *padded)
{
  int pw = padded_width (g);
  gsize plane = padded_plane (g);

  memset (padded, 0, cnv_direct_padded_size (g) * sizeof (float));
  for (int c = 0; c < g->channels; c++)
    for (int ih = 0; ih < g->height; ih++)
      copy_row (padded + (gsize) c * plane + (gsize) (g->pad_top + ih) * pw
                + g->pad_left, NULL,
                image + ((gsize) c * g->height + ih) * (gsize) g->width,
                (gsize) g->width);
}

void
cnv_direct_flatten (const CnvDirect *g,
                    const float     *out_grad,
                    float           *flat)
{
  int pw = padded_width (g);
  gsize length = (gsize) flat_length (g);

  memset (flat, 0, cnv_direct_flat_size (g) * sizeof (float));
  for (int f = 0; f < g->filters; f++)
    for (int oh = 0; oh < g->out_h; oh++)
      copy_row (flat + (gsize) f * length + (gsize) oh * pw, NULL,
                out_grad + ((gsize) f * g->out_h + oh) * (gsize) g->out_w,
                (gsize) g->out_w);
}

void
cnv_direct_lanes (const CnvDirect *g,
                  guint32         *lanes)
{
  int pw = padded_width (g);
  int n = flat_length (g) / LANES;
  guint32 kept = 0;

  for (int v = 0; v < n; v++)
    {
      guint32 mask = 0;

      for (int l = 0; l < LANES; l++)
        {
          int q = v * LANES + l;

          if (q / pw < g->out_h && q % pw < g->out_w)
            mask |= 1u << l;
        }
      lanes[2 * v] = mask;
      lanes[2 * v + 1] = kept;
      kept += (guint32) __builtin_popcount (mask);
    }
}

/* dst [n] = the lanes of v that mask keeps, packed to the front; relu
 * as in copy_row (). */
static inline void
store_kept (float   *dst,
            float   *relu,
            __m512   v,
            guint32  mask)
{
  __mmask16 stored = first_lanes ((gsize) __builtin_popcount (mask));
  __m512 kept = _mm512_maskz_compress_ps ((__mmask16) mask, v);

  _mm512_mask_storeu_ps (dst, stored, kept);
  if (relu != NULL)
    _mm512_mask_storeu_ps (relu, stored,
                           _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (
                             kept, _mm512_setzero_ps (), _CMP_GT_OQ),
                             kept));
}

/* Filters [0, nf) of the block of eight in w, over the n vectors of
 * output positions starting at x (padded, already offset): bias plus
 * every tap, the kept positions stored straight into out and relu
 * (filter i at i × plane), where lanes says. */
static inline __attribute__ ((always_inline)) void
run_vectors (const CnvDirect *g,
             const float     *w,
             const float     *bias,
             const float     *x,
             const guint32   *lanes,
             float           *out,
             float           *relu,
             int              nf,
             const int        n)
{
  int pw = padded_width (g);
  gsize plane = padded_plane (g);
  gsize p = (gsize) g->out_h * (gsize) g->out_w;
  __m512 acc[BLOCK_FILTERS][3];

#pragma GCC unroll 8
  for (int i = 0; i < BLOCK_FILTERS; i++)
#pragma GCC unroll 3
    for (int j = 0; j < n; j++)
      acc[i][j] = _mm512_set1_ps (bias[i]);

  for (int c = 0; c < g->channels; c++)
    for (int ki = 0; ki < g->kh; ki++)
      {
        const float *row = x + (gsize) c * plane + (gsize) ki * pw;

        for (int kj = 0; kj < g->kw; kj++, w += BLOCK_FILTERS)
          {
            __m512 in[3];

#pragma GCC unroll 3
            for (int j = 0; j < n; j++)
              in[j] = _mm512_loadu_ps (row + kj + j * LANES);
#pragma GCC unroll 8
            for (int i = 0; i < BLOCK_FILTERS; i++)
              {
                __m512 wi = _mm512_set1_ps (w[i]);

#pragma GCC unroll 3
                for (int j = 0; j < n; j++)
                  acc[i][j] = _mm512_fmadd_ps (wi, in[j], acc[i][j]);
              }
          }
      }

#pragma GCC unroll 8
  for (int i = 0; i < BLOCK_FILTERS; i++)
#pragma GCC unroll 3
    for (int j = 0; j < n; j++)
      if (i < nf && lanes[2 * j] != 0)
        {
          gsize at = (gsize) i * p + lanes[2 * j + 1];

          store_kept (out + at, relu != NULL ? relu + at : NULL, acc[i][j],
                      lanes[2 * j]);
        }
}

void
cnv_direct_forward (const CnvDirect *g,
                    const float     *packed,
                    const guint32   *lanes,
                    const float     *bias,
                    const float     *padded,
                    float           *out,
                    float           *relu)
{
  int k = taps (g);
  int n_vectors = flat_length (g) / LANES;
  gsize p = (gsize) g->out_h * (gsize) g->out_w;

  for (int f0 = 0; f0 < g->filters; f0 += BLOCK_FILTERS)
    {
      int nf = MIN (BLOCK_FILTERS, g->filters - f0);
      const float *w = packed + (gsize) f0 * k;
      float *o = out + (gsize) f0 * p;
      float *r = relu != NULL ? relu + (gsize) f0 * p : NULL;
      float b[BLOCK_FILTERS] = { 0 };
      int v = 0;

      for (int i = 0; bias != NULL && i < nf; i++)
        b[i] = bias[f0 + i];

      for (; v + 3 <= n_vectors; v += 3)
        run_vectors (g, w, b, padded + (gsize) v * LANES, lanes + 2 * v, o,
                     r, nf, 3);
      if (v + 2 <= n_vectors)
        run_vectors (g, w, b, padded + (gsize) v * LANES, lanes + 2 * v, o,
                     r, nf, 2);
      else if (v < n_vectors)
        run_vectors (g, w, b, padded + (gsize) v * LANES, lanes + 2 * v, o,
                     r, nf, 1);
    }
}

/* Offset in padded of the input under tap k at output position 0. */
static inline gsize
tap_offset (const CnvDirect *g,
            int              k)
{
  int area = g->kh * g->kw;
  int c = k / area;
  int r = k % area;

  return (gsize) c * padded_plane (g) + (gsize) (r / g->kw)
         * (gsize) padded_width (g) + (gsize) (r % g->kw);
}

/* weight_grad [f][k] += Σ_q d[f][q] · x[k][q] for nf filters and nk taps,
 * the sums sixteen lanes wide. */
static inline __attribute__ ((always_inline)) void
grad_block (const float *const *d,
            const float *const *x,
            gsize               length,
            float              *weight_grad,
            int                 k,
            const int           nf,
            const int           nk)
{
  __m512 acc[GRAD_FILTERS][GRAD_TAPS];

#pragma GCC unroll 4
  for (int i = 0; i < nf; i++)
#pragma GCC unroll 4
    for (int j = 0; j < nk; j++)
      acc[i][j] = _mm512_setzero_ps ();

  for (gsize v = 0; v < length; v += LANES)
    {
      __m512 dv[GRAD_FILTERS], xv[GRAD_TAPS];

#pragma GCC unroll 4
      for (int i = 0; i < nf; i++)
        dv[i] = _mm512_loadu_ps (d[i] + v);
#pragma GCC unroll 4
      for (int j = 0; j < nk; j++)
        xv[j] = _mm512_loadu_ps (x[j] + v);
#pragma GCC unroll 4
      for (int i = 0; i < nf; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nk; j++)
          acc[i][j] = _mm512_fmadd_ps (dv[i], xv[j], acc[i][j]);
    }

#pragma GCC unroll 4
  for (int i = 0; i < nf; i++)
#pragma GCC unroll 4
    for (int j = 0; j < nk; j++)
      weight_grad[(gsize) i * k + j] += _mm512_reduce_add_ps (acc[i][j]);
}

void
cnv_direct_weight_grad (const CnvDirect *g,
                        const float     *padded,
                        const float     *flat,
                        float           *weight_grad)
{
  int k = taps (g);
  gsize length = (gsize) flat_length (g);

  for (int f0 = 0; f0 < g->filters; f0 += GRAD_FILTERS)
    for (int k0 = 0; k0 < k; k0 += GRAD_TAPS)
      {
        int nf = MIN (GRAD_FILTERS, g->filters - f0);
        int nk = MIN (GRAD_TAPS, k - k0);
        const float *d[GRAD_FILTERS], *x[GRAD_TAPS];
        float *wg = weight_grad + (gsize) f0 * k + k0;

        for (int i = 0; i < nf; i++)
          d[i] = flat + (gsize) (f0 + i) * length;
        for (int j = 0; j < nk; j++)
          x[j] = padded + tap_offset (g, k0 + j);

        if (nf == GRAD_FILTERS && nk == GRAD_TAPS)
          grad_block (d, x, length, wg, k, GRAD_FILTERS, GRAD_TAPS);
        else
          for (int i = 0; i < nf; i++)
            for (int j = 0; j < nk; j++)
              grad_block (d + i, x + j, length, wg + (gsize) i * k + j, k,
                          1, 1);
      }
}

/* Max pooling, 2×2 with stride 2 */

/* One output row of up to sixteen columns from the input rows top and
 * bottom: the even and odd columns of each row compared in the order of
 * the scalar loop in cnv-layers.c, strictly greater and ordered, so ties
 * keep the first maximum and a NaN in front stays. */
static inline void
pool_row (const float *top,
          const float *bottom,
          int          width,
          int          base,
          int          n,
          float       *dst,
          int         *arg)
{
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16,
                                          18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32 (even, _mm512_set1_epi32 (1));
  guint32 inputs = 2 * (guint32) n;
  __mmask16 lo = (__mmask16) (inputs >= 16 ? 0xffffu
                                           : (1u << inputs) - 1);
  __mmask16 hi = (__mmask16) (inputs <= 16 ? 0u
                                           : (1u << (inputs - 16)) - 1);
  __mmask16 out = (__mmask16) (n >= 16 ? 0xffffu : (1u << n) - 1);
  __m512 t0 = _mm512_maskz_loadu_ps (lo, top);
  __m512 t1 = _mm512_maskz_loadu_ps (hi, top + 16);
  __m512 b0 = _mm512_maskz_loadu_ps (lo, bottom);
  __m512 b1 = _mm512_maskz_loadu_ps (hi, bottom + 16);
  __m512i first = _mm512_add_epi32 (_mm512_set1_epi32 (base), even);
  __m512 best = _mm512_permutex2var_ps (t0, even, t1);
  __m512i index = first;
  __m512 v;
  __mmask16 greater;

  v = _mm512_permutex2var_ps (t0, odd, t1);
  greater = _mm512_cmp_ps_mask (v, best, _CMP_GT_OQ);
  best = _mm512_mask_mov_ps (best, greater, v);
  index = _mm512_mask_mov_epi32 (index, greater,
                                 _mm512_add_epi32 (first,
                                                   _mm512_set1_epi32 (1)));

  v = _mm512_permutex2var_ps (b0, even, b1);
  greater = _mm512_cmp_ps_mask (v, best, _CMP_GT_OQ);
  best = _mm512_mask_mov_ps (best, greater, v);
  index = _mm512_mask_mov_epi32 (index, greater,
                                 _mm512_add_epi32 (first,
                                                   _mm512_set1_epi32 (width)));

  v = _mm512_permutex2var_ps (b0, odd, b1);
  greater = _mm512_cmp_ps_mask (v, best, _CMP_GT_OQ);
  best = _mm512_mask_mov_ps (best, greater, v);
  index = _mm512_mask_mov_epi32 (index, greater,
                                 _mm512_add_epi32 (first,
                                                   _mm512_set1_epi32 (width
                                                                      + 1)));

  _mm512_mask_storeu_ps (dst, out, best);
  _mm512_mask_storeu_epi32 (arg, out, index);
}

void
cnv_avx512_max_pool_2x2 (gsize        planes,
                         int          height,
                         int          width,
                         const float *in,
                         float       *out,
                         int         *argmax)
{
  int out_h = height / 2;
  int out_w = width / 2;
  gsize in_plane = (gsize) height * (gsize) width;
  gsize out_plane = (gsize) out_h * (gsize) out_w;

  for (gsize pl = 0; pl < planes; pl++)
    for (int oh = 0; oh < out_h; oh++)
      {
        const float *top = in + pl * in_plane + (gsize) (2 * oh) * width;
        gsize at = pl * out_plane + (gsize) oh * out_w;

        for (int ow = 0; ow < out_w; ow += 16)
          pool_row (top + 2 * ow, top + width + 2 * ow, width,
                    2 * oh * width + 2 * ow, MIN (16, out_w - ow),
                    out + at + ow, argmax + at + ow);
      }
}
