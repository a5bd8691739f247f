/* cnv-avx512.c — kernels written for AVX-512
 *
 * Stride-1 convolutions without a patch matrix.  The one idea: copy the
 * image once into a zero border as wide as the kernel needs, rows PW =
 * out_w + kw − 1 floats apart.  The input under kernel tap (c, ki, kj) of
 * output (oh, ow) is then padded [c][(oh + ki) × PW + ow + kj]: for
 * sixteen outputs of a row, every tap is one unaligned load of the same
 * padded row shifted, and one FMA per filter, with no im2col copy and no
 * packing of a matrix.  A row takes whole vectors of sixteen outputs;
 * the lanes past its end are computed and not stored.  Filters go eight
 * at a time by three vectors, each weight broadcast from a table packed
 * in the order the loop reads it.
 *
 * The weight gradient reads the same shifted rows against the output
 * gradient, sixteen outputs at a time, eight filters by three taps of a
 * kernel row: a tile of a few output rows at a time, over which the
 * eight filters' output gradient, copied side by side onto cache lines,
 * stays in L1 for every tap, each product summed into sixteen lanes per
 * filter and tap kept in a buffer between tiles.  Streaming the whole
 * planes again for every block of four filters by four taps instead,
 * the kernel waited on L2: 64-71 GFLOP/s on small-vgg's layers of 32 ×
 * 32 and 64 × 64 outputs on one core of an AVX-512 Xeon, against 94-100
 * with tiles.  With the tiles on cache lines, one core of an AMD EPYC
 * (Zen 5) reaches 207 GFLOP/s on small-vgg's 64 × 64 layer, 168 on its
 * 16 × 16 one and 129 on LeNet's second convolution; one of a Zen 4,
 * which runs a 512-bit FMA in two halves, 98, 77 and 66, where the
 * forward pass takes 97 % of the FMA rate.  On small planes a lane
 * vector gets too few FMAs (14 an image on LeNet) for its store and its
 * sum, and sixteen filters go in the lanes instead (see
 * filters_in_lanes ()): 96-100 GFLOP/s for those two layers on the Zen
 * 4.  The input gradient is a forward pass of the output gradient
 * through the kernel turned round (cnv_direct_transposed ()).
 *
 * Each output is summed in a fixed order (taps in order into sixteen
 * lanes, then the lanes by a fixed tree), so the result does not depend
 * on the thread count.  Compiled with -mavx512f alone; the caller
 * checks the CPU first.  The 2×2 max-pool is at the end, then Adam's
 * loop and the check for infinities and NaNs, built here from the
 * portable loops for sixteen lanes.
 */
#define G_LOG_DOMAIN "cnv-avx512"

#include <immintrin.h>
#include <string.h>

#include "cnv-avx512-private.h"
#include "cnv-optimizer-private.h"
#include "cnv-tensor-private.h"

#define LANES 16
#define BLOCK_FILTERS 8
#define BLOCK_VECTORS 3
#define GRAD_FILTERS 8
#define GRAD_TAPS 3
#define GRAD_TILE_VECTORS 64

static inline int
padded_width (const CnvDirectGeometry *g)
{
  return g->out_w + g->kw - 1;
}

static inline gsize
padded_plane (const CnvDirectGeometry *g)
{
  return (gsize) (g->out_h + g->kh - 1) * (gsize) padded_width (g);
}

/* Vectors of sixteen outputs in one output row. */
static inline int
row_vectors (const CnvDirectGeometry *g)
{
  return (g->out_w + LANES - 1) / LANES;
}

/* Lanes [0, n) of sixteen. */
static inline __mmask16
first_lanes (gsize n)
{
  return (__mmask16) (n >= LANES ? 0xffffu : (1u << n) - 1);
}

/* dst[i] = src[i]: rows of a few dozen floats, too short for memcpy ()
 * to pay for its call. */
static inline void
copy_row_masked (float *restrict       dst,
                 const float *restrict src,
                 gsize                 n)
{
  for (gsize i = 0; i < n; i += LANES)
    {
      __mmask16 m = first_lanes (n - i);

      _mm512_mask_storeu_ps (dst + i, m, _mm512_maskz_loadu_ps (m, src + i));
    }
}

static inline int
taps (const CnvDirectGeometry *g)
{
  return g->channels * g->kh * g->kw;
}

void
cnv_direct_transposed (const CnvDirectGeometry *g,
                       CnvDirectGeometry       *t)
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
cnv_direct_packed_size (const CnvDirectGeometry *g)
{
  int blocks = (g->filters + BLOCK_FILTERS - 1) / BLOCK_FILTERS;

  return (gsize) blocks * BLOCK_FILTERS * (gsize) taps (g);
}

/* The last vector of the last row reads up to LANES − 1 floats past the
 * last plane: zeros, for lanes that the forward pass does not store and
 * the weight gradient masks. */
gsize
cnv_direct_padded_size (const CnvDirectGeometry *g)
{
  return (gsize) g->channels * padded_plane (g) + LANES;
}

/* packed [filters / 8][taps][8], the missing filters of the last block
 * zero. */
void
cnv_direct_pack (const CnvDirectGeometry *g,
                 const float             *weight,
                 float                   *packed)
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
cnv_direct_pack_flipped (const CnvDirectGeometry *g,
                         const float             *weight,
                         float                   *packed)
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
cnv_direct_pad (const CnvDirectGeometry *g,
                const float             *image,
                float                   *padded)
{
  int pw = padded_width (g);
  gsize plane = padded_plane (g);

  /* The image fits inside the border (runs_direct () in cnv-layers.c
   * sees to it). */
  g_assert (g->pad_top >= 0
            && g->pad_top + g->height <= g->out_h + g->kh - 1);
  g_assert (g->pad_left >= 0 && g->pad_left + g->width <= pw);

  /* Only the border is zeroed: the image overwrites the rest, and
   * zeroing all of it took as long as the copy. */
  for (int c = 0; c < g->channels; c++)
    {
      float *p = padded + (gsize) c * plane;
      int rows = g->out_h + g->kh - 1;
      int right = g->pad_left + g->width;

      memset (p, 0, (gsize) g->pad_top * pw * sizeof (float));
      for (int ih = 0; ih < g->height; ih++)
        {
          float *row = p + (gsize) (g->pad_top + ih) * pw;

          memset (row, 0, (gsize) g->pad_left * sizeof (float));
          copy_row_masked (row + g->pad_left,
                           image + ((gsize) c * g->height + ih)
                                   * (gsize) g->width,
                           (gsize) g->width);
          memset (row + right, 0, (gsize) (pw - right) * sizeof (float));
        }
      memset (p + (gsize) (g->pad_top + g->height) * pw, 0,
              (gsize) (rows - g->pad_top - g->height) * pw * sizeof (float));
    }
  memset (padded + (gsize) g->channels * plane, 0, LANES * sizeof (float));
}

/* x > 0 ? x : 0 lane by lane, so NaN gives 0 and −0 gives +0, as
 * cnv_relu_row () does. */
static inline __m512
relu_of (__m512 x)
{
  return _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (x, _mm512_setzero_ps (),
                                                  _CMP_GT_OQ), x);
}

/* Vector v of the outputs: where its first output's input row starts in
 * the padded plane, where the output goes, and which lanes are in the
 * row. */
typedef struct
{
  gsize     in;
  gsize     out;
  __mmask16 mask;
} Vector;

static inline Vector
vector_at (const CnvDirectGeometry *g,
           int                      v)
{
  int oh = v / row_vectors (g);
  int ow = v % row_vectors (g) * LANES;
  Vector vec;

  vec.in = (gsize) oh * padded_width (g) + (gsize) ow;
  vec.out = (gsize) oh * g->out_w + (gsize) ow;
  vec.mask = first_lanes ((gsize) (g->out_w - ow));

  return vec;
}

/* Filters [0, nf) of the block of eight in w over the n vectors vec:
 * bias plus every tap, stored into out and relu (filter i at i × the
 * output plane). */
static inline __attribute__ ((always_inline)) void
run_vectors (const CnvDirectGeometry *g,
             const float             *w,
             const float             *bias,
             const float             *padded,
             const Vector            *vec,
             float                   *out,
             float                   *relu,
             int                      nf,
             const int                n)
{
  int pw = padded_width (g);
  gsize plane = padded_plane (g);
  gsize p = (gsize) g->out_h * (gsize) g->out_w;
  const float *x[BLOCK_VECTORS];
  __m512 acc[BLOCK_FILTERS][BLOCK_VECTORS];

#pragma GCC unroll 3
  for (int j = 0; j < n; j++)
    x[j] = padded + vec[j].in;
#pragma GCC unroll 8
  for (int i = 0; i < BLOCK_FILTERS; i++)
#pragma GCC unroll 3
    for (int j = 0; j < n; j++)
      acc[i][j] = _mm512_set1_ps (bias[i]);

  for (int c = 0; c < g->channels; c++)
    for (int ki = 0; ki < g->kh; ki++)
      {
        gsize row = (gsize) c * plane + (gsize) ki * pw;

        for (int kj = 0; kj < g->kw; kj++, w += BLOCK_FILTERS)
          {
            __m512 in[BLOCK_VECTORS];

#pragma GCC unroll 3
            for (int j = 0; j < n; j++)
              in[j] = _mm512_loadu_ps (x[j] + row + kj);
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
      if (i < nf)
        {
          gsize at = (gsize) i * p + vec[j].out;

          _mm512_mask_storeu_ps (out + at, vec[j].mask, acc[i][j]);
          if (relu != NULL)
            _mm512_mask_storeu_ps (relu + at, vec[j].mask,
                                   relu_of (acc[i][j]));
        }
}

void
cnv_direct_forward (const CnvDirectGeometry *g,
                    const float             *packed,
                    const float             *bias,
                    const float             *padded,
                    float                   *out,
                    float                   *relu)
{
  int k = taps (g);
  int n_vectors = g->out_h * row_vectors (g);
  gsize p = (gsize) g->out_h * (gsize) g->out_w;

  for (int f0 = 0; f0 < g->filters; f0 += BLOCK_FILTERS)
    {
      int nf = MIN (BLOCK_FILTERS, g->filters - f0);
      const float *w = packed + (gsize) f0 * k;
      float *o = out + (gsize) f0 * p;
      float *r = relu != NULL ? relu + (gsize) f0 * p : NULL;
      float b[BLOCK_FILTERS] = { 0 };

      for (int i = 0; bias != NULL && i < nf; i++)
        b[i] = bias[f0 + i];

      for (int v = 0; v < n_vectors; v += BLOCK_VECTORS)
        {
          Vector vec[BLOCK_VECTORS];
          int n = MIN (BLOCK_VECTORS, n_vectors - v);

          for (int j = 0; j < n; j++)
            vec[j] = vector_at (g, v + j);

          if (n == 3)
            run_vectors (g, w, b, padded, vec, o, r, nf, 3);
          else if (n == 2)
            run_vectors (g, w, b, padded, vec, o, r, nf, 2);
          else
            run_vectors (g, w, b, padded, vec, o, r, nf, 1);
        }
    }
}

/* The sums of the sixteen lanes of each of a [16], as one vector, in a
 * fixed order: halves, quarters, pairs, then lanes; 15 additions for all
 * sixteen rather than 15 each.  The shuffles leave sum i in lane
 * lane_of[i], put back in order at the end. */
static inline __m512
sum_lanes16 (const __m512 *a)
{
  const __m512i lane_of = _mm512_setr_epi32 (0, 2, 1, 3, 8, 10, 9, 11, 4, 6,
                                             5, 7, 12, 14, 13, 15);
  __m512 b[8], c[4], d[2], e;

  /* b[i]: the halves of a[i] added, then those of a[i + 8] */
  for (int i = 0; i < 8; i++)
    b[i] = _mm512_add_ps (_mm512_shuffle_f32x4 (a[i], a[i + 8], 0x44),
                          _mm512_shuffle_f32x4 (a[i], a[i + 8], 0xee));
  /* c[i]: four lanes each of a[i], a[i + 8], a[i + 4], a[i + 12] */
  for (int i = 0; i < 4; i++)
    c[i] = _mm512_add_ps (_mm512_shuffle_f32x4 (b[i], b[i + 4], 0x88),
                          _mm512_shuffle_f32x4 (b[i], b[i + 4], 0xdd));
  /* d[i]: in each quarter, two lanes of c[i]'s sum and two of c[i + 2]'s */
  for (int i = 0; i < 2; i++)
    d[i] = _mm512_add_ps (_mm512_unpacklo_ps (c[i], c[i + 2]),
                          _mm512_unpackhi_ps (c[i], c[i + 2]));
  /* e: in each quarter, the sums of c[0], c[2], c[1], c[3]'s */
  e = _mm512_add_ps (_mm512_shuffle_ps (d[0], d[1],
                                        _MM_SHUFFLE (1, 0, 1, 0)),
                     _mm512_shuffle_ps (d[0], d[1],
                                        _MM_SHUFFLE (3, 2, 3, 2)));

  return _mm512_permutexvar_ps (lane_of, e);
}

/* p rounded up to a cache line of 64 bytes. */
static inline float *
align_up (float *p)
{
  return (float *) (((guintptr) p + 63) & ~(guintptr) 63);
}

/* The weight gradient of a small plane, the filters in the lanes.
 *
 * With sixteen outputs in the lanes, each lane vector of a filter and a
 * tap takes one FMA per vector of a row, over the plane: 14 an image for
 * LeNet's second convolution (14 × 14 outputs), which then pays for its
 * store and its share of the lane sums as much as for its FMAs (on a Zen
 * 4, FMAs issued in 64 % of its cycles).  With sixteen filters in the
 * lanes instead, and the output gradient turned to [output][filter], a
 * tap's vector takes one FMA per output (196 there), of the input under
 * the tap broadcast from memory, and is the weight gradient of sixteen
 * filters with nothing left to sum: 19 µs an image became 13 µs there,
 * small-vgg's 16 × 16 layers went from 77 to 96-100 GFLOP/s.  Planes of
 * 32 vectors or more stay with the tiles: at 32 × 32 outputs the tiles
 * were faster.  FL_TAPS / kw kernel rows of kw taps at a time: 24 or 25
 * vectors in registers.  Each sum runs over the outputs in order, so the
 * result does not depend on the thread count either. */
#define FL_TAPS 25
#define FL_MAX_VECTORS 32
#define FL_MAX_PLANE_FLOATS (64 * 1024)

/* Whether g's weight gradient puts the filters in the lanes: whole
 * vectors of filters, kernel rows of 3 or 5 taps (the cases built
 * below), a plane of fewer than FL_MAX_VECTORS vectors of outputs (the
 * crossover measured between 16 × 16 and 32 × 32 outputs), and the
 * output gradient turned round (outputs × filters floats, in the buffer)
 * no larger than 256 KB, a quarter of the L2 cnv-layers.c plans for, to
 * leave room for the padded input. */
static gboolean
filters_in_lanes (const CnvDirectGeometry *g)
{
  return g->filters % LANES == 0 && (g->kw == 3 || g->kw == 5)
         && g->out_h * row_vectors (g) < FL_MAX_VECTORS
         && (gsize) g->out_h * (gsize) g->out_w * (gsize) g->filters
            <= FL_MAX_PLANE_FLOATS;
}

/* out [r × kw + j] (sixteen floats, filter l of the sixteen in lane l)
 * = Σ over the outputs, in order, of dyt [output] (the sixteen filters'
 * gradient, a stride of floats apart) · row r's input under tap j. */
static inline __attribute__ ((always_inline)) void
fl_rows (const CnvDirectGeometry *g,
         const float             *dyt,
         gsize                    stride,
         const float *const      *rows,
         float                   *out,
         const int                nr,
         const int                kw)
{
  int pw = padded_width (g);
  __m512 acc[FL_TAPS];

#pragma GCC unroll 25
  for (int t = 0; t < nr * kw; t++)
    acc[t] = _mm512_setzero_ps ();

  for (int oh = 0; oh < g->out_h; oh++)
    {
      gsize at = (gsize) oh * (gsize) pw;

      for (int ow = 0; ow < g->out_w; ow++, at++, dyt += stride)
        {
          __m512 d = _mm512_load_ps (dyt);

          /* Opaque to gcc, which would otherwise carry each input over
           * to the next output's tap in a register (tap j + 1 here is
           * tap j there) and spill most of them. */
          __asm__ ("" : "+r" (at));
#pragma GCC unroll 8
          for (int r = 0; r < nr; r++)
#pragma GCC unroll 5
            for (int j = 0; j < kw; j++)
              acc[r * kw + j] = _mm512_fmadd_ps (
                _mm512_set1_ps (rows[r][at + (gsize) j]), d,
                acc[r * kw + j]);
        }
    }

#pragma GCC unroll 25
  for (int t = 0; t < nr * kw; t++)
    _mm512_store_ps (out + (gsize) t * LANES, acc[t]);
}

/* fl_rows () with nr and kw known to the compiler. */
static void
fl_rows_any (const CnvDirectGeometry *g,
             const float             *dyt,
             gsize                    stride,
             const float *const      *rows,
             float                   *out,
             int                      nr)
{
  if (g->kw == 3)
    switch (nr)
      {
      case 1: fl_rows (g, dyt, stride, rows, out, 1, 3); break;
      case 2: fl_rows (g, dyt, stride, rows, out, 2, 3); break;
      case 3: fl_rows (g, dyt, stride, rows, out, 3, 3); break;
      case 4: fl_rows (g, dyt, stride, rows, out, 4, 3); break;
      case 5: fl_rows (g, dyt, stride, rows, out, 5, 3); break;
      case 6: fl_rows (g, dyt, stride, rows, out, 6, 3); break;
      case 7: fl_rows (g, dyt, stride, rows, out, 7, 3); break;
      case 8: fl_rows (g, dyt, stride, rows, out, 8, 3); break;
      default: g_assert_not_reached ();
      }
  else
    switch (nr)
      {
      case 1: fl_rows (g, dyt, stride, rows, out, 1, 5); break;
      case 2: fl_rows (g, dyt, stride, rows, out, 2, 5); break;
      case 3: fl_rows (g, dyt, stride, rows, out, 3, 5); break;
      case 4: fl_rows (g, dyt, stride, rows, out, 4, 5); break;
      case 5: fl_rows (g, dyt, stride, rows, out, 5, 5); break;
      default: g_assert_not_reached ();
      }
}

/* weight_grad [F, C × KH × KW] += out_grad [F, OH × OW] · the input
 * under each tap, sixteen filters and 24 or 25 taps at a time; buffer as
 * for cnv_direct_weight_grad (). */
static void
weight_grad_filters_in_lanes (const CnvDirectGeometry *g,
                              const float             *padded,
                              const float             *out_grad,
                              float                   *buffer,
                              float                   *weight_grad)
{
  int k = taps (g);
  int pw = padded_width (g);
  int max_rows = FL_TAPS / g->kw;
  int n_rows = g->channels * g->kh;
  gsize plane = padded_plane (g);
  gsize p = (gsize) g->out_h * (gsize) g->out_w;
  gsize f = (gsize) g->filters;
  float *dyt = align_up (buffer);
  float *out = dyt + p * f;

  /* dyt [output][filter] <- out_grad [filter][output] */
  for (gsize i = 0; i < p; i++)
    for (gsize j = 0; j < f; j++)
      dyt[i * f + j] = out_grad[j * p + i];

  for (gsize f0 = 0; f0 < f; f0 += LANES)
    for (int r0 = 0; r0 < n_rows; r0 += max_rows)
      {
        int nr = MIN (max_rows, n_rows - r0);
        const float *rows[FL_TAPS];

        /* rows [r] <- kernel row r0 + r: channel (r0 + r) / kh, row
         * (r0 + r) % kh */
        for (int r = 0; r < nr; r++)
          rows[r] = padded + (gsize) ((r0 + r) / g->kh) * plane
                    + (gsize) ((r0 + r) % g->kh) * (gsize) pw;

        fl_rows_any (g, dyt + f0, f, rows, out, nr);

        /* weight_grad [f0 + l][r0 × kw + t] += out [t][l] */
        for (int t = 0; t < nr * g->kw; t++)
          for (int l = 0; l < LANES; l++)
            weight_grad[(f0 + (gsize) l) * (gsize) k + (gsize) r0 * g->kw
                        + (gsize) t] += out[(gsize) t * LANES + (gsize) l];
      }
}

/* The lanes of eight filters, a tile of the interleaved output
 * gradient, and a vector to put both on cache lines; or, with the
 * filters in the lanes (filters_in_lanes ()), the output gradient turned
 * to [output][filter], the 25 vectors of fl_rows () and a vector for the
 * alignment. */
gsize
cnv_direct_grad_buffer_size (const CnvDirectGeometry *g)
{
  int tile = MAX (GRAD_TILE_VECTORS, row_vectors (g));
  gsize size = ((gsize) GRAD_FILTERS * (gsize) taps (g)
                + (gsize) tile * GRAD_FILTERS + 1) * LANES;

  if (filters_in_lanes (g))
    size = MAX (size, (gsize) g->out_h * (gsize) g->out_w
                      * (gsize) g->filters
                      + (gsize) (FL_TAPS + 1) * LANES);

  return size;
}

/* dyi [v][i] (sixteen floats each) <- the output gradient of filter i
 * of the block at the tile's vector v, over output rows [oh0, oh1):
 * zero past the end of a row and for filters past nf, so that the tiles
 * read it with plain loads on whole cache lines, from one pointer.  Read
 * from eight planes at offsets that split every load over two lines, it
 * held the weight gradient of LeNet's second convolution to 86 GFLOP/s
 * and small-vgg's 16 × 16 one to 102, against 129 and 168 now. */
static void
interleave_grad (const CnvDirectGeometry *g,
                 const float *const      *dy,
                 int                      nf,
                 int                      oh0,
                 int                      oh1,
                 float                   *dyi)
{
  int n_row = row_vectors (g);

  for (int oh = oh0; oh < oh1; oh++)
    for (int r = 0; r < n_row; r++)
      {
        int ow = r * LANES;
        __mmask16 mask = first_lanes ((gsize) (g->out_w - ow));
        gsize out = (gsize) oh * g->out_w + (gsize) ow;

        for (int i = 0; i < GRAD_FILTERS; i++, dyi += LANES)
          _mm512_storeu_ps (dyi, i < nf
                                 ? _mm512_maskz_loadu_ps (mask, dy[i] + out)
                                 : _mm512_setzero_ps ());
      }
}

/* lanes [i][j] (sixteen floats each, filter i's apart by stride) +=
 * dyi's filter i · the input under tap j, lane by lane, over output rows
 * [oh0, oh1), for the eight filters and nk taps of one kernel row, x
 * being the padded input under the first of them at output position 0;
 * = instead of += for the first rows. */
static inline __attribute__ ((always_inline)) void
grad_tile (const CnvDirectGeometry *g,
           const float             *dyi,
           const float             *x,
           float                   *lanes,
           gsize                    stride,
           int                      oh0,
           int                      oh1,
           const int                nk)
{
  int pw = padded_width (g);
  int n_row = row_vectors (g);
  __m512 acc[GRAD_FILTERS][GRAD_TAPS];

#pragma GCC unroll 8
  for (int i = 0; i < GRAD_FILTERS; i++)
#pragma GCC unroll 3
    for (int j = 0; j < nk; j++)
      acc[i][j] = oh0 == 0 ? _mm512_setzero_ps ()
                           : _mm512_loadu_ps (lanes + (gsize) i * stride
                                              + j * LANES);

  for (int oh = oh0; oh < oh1; oh++)
    {
      const float *row = x + (gsize) oh * pw;

      for (int r = 0; r < n_row; r++, dyi += GRAD_FILTERS * LANES)
        {
          __mmask16 mask = first_lanes ((gsize) (g->out_w - r * LANES));
          __m512 xv[GRAD_TAPS];

          /* The lanes past the row are zero on both sides, so they add
           * nothing, not even 0 · ∞ from a neighbouring row.  gcc makes
           * the load and the zeroing move one masked load, taken for
           * every row: on an AMD EPYC (Zen 5) 5–15 % faster than a test
           * for full rows, which took a plain load there (masked loads
           * had cost 13 % on a Xeon; not measured there since). */
#pragma GCC unroll 3
          for (int j = 0; j < nk; j++)
            xv[j] = _mm512_maskz_mov_ps (mask,
                                         _mm512_loadu_ps (row + r * LANES
                                                          + j));
#pragma GCC unroll 8
          for (int i = 0; i < GRAD_FILTERS; i++)
            {
              __m512 d = _mm512_loadu_ps (dyi + i * LANES);

              /* In a register: gcc would fold the load into each of the
               * FMAs below, and load it nk times. */
              __asm__ ("" : "+v" (d));

#pragma GCC unroll 3
              for (int j = 0; j < nk; j++)
                acc[i][j] = _mm512_fmadd_ps (d, xv[j], acc[i][j]);
            }
        }
    }

#pragma GCC unroll 8
  for (int i = 0; i < GRAD_FILTERS; i++)
#pragma GCC unroll 3
    for (int j = 0; j < nk; j++)
      _mm512_storeu_ps (lanes + (gsize) i * stride + j * LANES, acc[i][j]);
}

/* grad_tile () with nk known to the compiler. */
static void
grad_tile_any (const CnvDirectGeometry *g,
               const float             *dyi,
               const float             *x,
               float                   *lanes,
               gsize                    stride,
               int                      oh0,
               int                      oh1,
               int                      nk)
{
  if (nk == GRAD_TAPS)
    grad_tile (g, dyi, x, lanes, stride, oh0, oh1, GRAD_TAPS);
  else if (nk == 2)
    grad_tile (g, dyi, x, lanes, stride, oh0, oh1, 2);
  else
    grad_tile (g, dyi, x, lanes, stride, oh0, oh1, 1);
}

/* weight_grad [i][t] += the sum of the sixteen lanes [i][t], for nf
 * filters of k taps, sixteen taps at a time by sum_lanes16 (), the last
 * few too, with zeros for the taps past k. */
static void
add_lane_sums (const float *lanes,
               float       *weight_grad,
               int          k,
               int          nf)
{
  for (int i = 0; i < nf; i++)
    {
      const float *l = lanes + (gsize) i * k * LANES;
      float *wg = weight_grad + (gsize) i * k;

      for (int t = 0; t < k; t += LANES)
        {
          int n = MIN (LANES, k - t);
          __mmask16 mask = first_lanes ((gsize) n);
          __m512 a[LANES];
          __m512 sums, old;

          for (int j = 0; j < LANES; j++)
            a[j] = j < n ? _mm512_loadu_ps (l + (gsize) (t + j) * LANES)
                         : _mm512_setzero_ps ();
          sums = sum_lanes16 (a);
          old = _mm512_maskz_loadu_ps (mask, wg + t);
          _mm512_mask_storeu_ps (wg + t, mask, _mm512_add_ps (old, sums));
        }
    }
}

/* weight_grad [F, C × KH × KW] += the weight gradient of one image, in
 * tiles of output rows with sixteen outputs in the lanes. */
static void
weight_grad_tiles (const CnvDirectGeometry *g,
                   const float             *padded,
                   const float             *out_grad,
                   float                   *buffer,
                   float                   *weight_grad)
{
  int k = taps (g);
  int pw = padded_width (g);
  gsize plane = padded_plane (g);
  gsize p = (gsize) g->out_h * (gsize) g->out_w;
  gsize stride = (gsize) k * LANES;
  int tile_rows = MAX (GRAD_TILE_VECTORS / row_vectors (g), 1);
  /* The lanes and the tile on cache lines: the tiles' loads and stores
   * would otherwise each touch two. */
  float *lanes = align_up (buffer);
  float *dyi = lanes + (gsize) GRAD_FILTERS * stride;

  for (int f0 = 0; f0 < g->filters; f0 += GRAD_FILTERS)
    {
      int nf = MIN (GRAD_FILTERS, g->filters - f0);
      const float *dy[GRAD_FILTERS];

      for (int i = 0; i < nf; i++)
        dy[i] = out_grad + (gsize) (f0 + i) * p;
      /* lanes [i][tap] = Σ over the tiles, in order, of each tile's
       * products */
      for (int oh0 = 0; oh0 < g->out_h; oh0 += tile_rows)
        {
          int oh1 = MIN (oh0 + tile_rows, g->out_h);

          /* dyi [(oh1 − oh0) · row vectors][8][16] <- dy [nf] over rows
           * [oh0, oh1) */
          interleave_grad (g, dy, nf, oh0, oh1, dyi);
          for (int c = 0; c < g->channels; c++)
            for (int ki = 0; ki < g->kh; ki++)
              for (int kj = 0; kj < g->kw; kj += GRAD_TAPS)
                {
                  int tap = (c * g->kh + ki) * g->kw + kj;

                  grad_tile_any (g, dyi, padded + (gsize) c * plane
                                         + (gsize) ki * pw + (gsize) kj,
                                 lanes + (gsize) tap * LANES, stride, oh0,
                                 oh1, MIN (GRAD_TAPS, g->kw - kj));
                }
        }

      add_lane_sums (lanes, weight_grad + (gsize) f0 * k, k, nf);
    }
}

void
cnv_direct_weight_grad (const CnvDirectGeometry *g,
                        const float             *padded,
                        const float             *out_grad,
                        float                   *buffer,
                        float                   *weight_grad)
{
  if (filters_in_lanes (g))
    weight_grad_filters_in_lanes (g, padded, out_grad, buffer, weight_grad);
  else
    weight_grad_tiles (g, padded, out_grad, buffer, weight_grad);
}

/* Max pooling, 2×2 with stride 2 */

/* best, index <- v and the cell first + offset in the lanes where v is
 * greater, strictly and ordered, so that ties keep the first maximum and
 * a NaN in front stays. */
static inline void
keep_greater (__m512   v,
              __m512i  first,
              int      offset,
              __m512  *best,
              __m512i *index)
{
  __mmask16 greater = _mm512_cmp_ps_mask (v, *best, _CMP_GT_OQ);
  __m512i at = _mm512_add_epi32 (first, _mm512_set1_epi32 (offset));

  *best = _mm512_mask_mov_ps (*best, greater, v);
  *index = _mm512_mask_mov_epi32 (*index, greater, at);
}

/* One output row of up to sixteen columns from the input rows top and
 * bottom: the even and odd columns of each row compared in the order of
 * the scalar loop in cnv-layers.c. */
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
  __mmask16 lo = first_lanes (2 * (gsize) n);
  __mmask16 hi = n > 8 ? first_lanes (2 * (gsize) n - LANES) : 0;
  __mmask16 out = first_lanes ((gsize) n);
  __m512 t0 = _mm512_maskz_loadu_ps (lo, top);
  __m512 b0 = _mm512_maskz_loadu_ps (lo, bottom);
  /* top + 16 may lie past the tensor when the row is short. */
  __m512 t1 = hi != 0 ? _mm512_maskz_loadu_ps (hi, top + 16)
                      : _mm512_setzero_ps ();
  __m512 b1 = hi != 0 ? _mm512_maskz_loadu_ps (hi, bottom + 16)
                      : _mm512_setzero_ps ();
  __m512i first = _mm512_add_epi32 (_mm512_set1_epi32 (base), even);
  __m512 best = _mm512_permutex2var_ps (t0, even, t1);
  __m512i index = first;

  keep_greater (_mm512_permutex2var_ps (t0, odd, t1), first, 1, &best,
                &index);
  keep_greater (_mm512_permutex2var_ps (b0, even, b1), first, width, &best,
                &index);
  keep_greater (_mm512_permutex2var_ps (b0, odd, b1), first, width + 1,
                &best, &index);

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

/* Sixteen gradients of one output row spread over their windows' two
 * input rows: each goes to the cell its argmax names and the other three
 * get zero.  + 0 turns a −0 into the +0 that 0 + −0 gives in
 * cnv-layers.c's scatter. */
static inline void
unpool_row (const float *dy,
            const int   *arg,
            int          width,
            int          base,
            int          n,
            float       *top,
            float       *bottom)
{
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16,
                                          18, 20, 22, 24, 26, 28, 30);
  const __m512i low = _mm512_setr_epi32 (0, 16, 1, 17, 2, 18, 3, 19, 4, 20,
                                         5, 21, 6, 22, 7, 23);
  const __m512i high = _mm512_add_epi32 (low, _mm512_set1_epi32 (8));
  __mmask16 in = first_lanes ((gsize) n);
  __mmask16 lo = first_lanes (2 * (gsize) n);
  __mmask16 hi = n > 8 ? first_lanes (2 * (gsize) n - LANES) : 0;
  __m512 zero = _mm512_setzero_ps ();
  __m512 g = _mm512_add_ps (_mm512_maskz_loadu_ps (in, dy), zero);
  __m512i a = _mm512_maskz_loadu_epi32 (in, arg);
  __m512i first = _mm512_add_epi32 (_mm512_set1_epi32 (base), even);
  __m512i offsets[4];
  float *rows[2] = { top, bottom };

  offsets[0] = first;
  offsets[1] = _mm512_add_epi32 (first, _mm512_set1_epi32 (1));
  offsets[2] = _mm512_add_epi32 (first, _mm512_set1_epi32 (width));
  offsets[3] = _mm512_add_epi32 (first, _mm512_set1_epi32 (width + 1));

  for (int r = 0; r < 2; r++)
    {
      __m512 left = _mm512_maskz_mov_ps (
        _mm512_cmpeq_epi32_mask (a, offsets[2 * r]), g);
      __m512 right = _mm512_maskz_mov_ps (
        _mm512_cmpeq_epi32_mask (a, offsets[2 * r + 1]), g);

      /* cells 2 ow and 2 ow + 1 of the row, in order */
      _mm512_mask_storeu_ps (rows[r], lo,
                             _mm512_permutex2var_ps (left, low, right));
      if (hi != 0)
        _mm512_mask_storeu_ps (rows[r] + 16, hi,
                               _mm512_permutex2var_ps (left, high, right));
    }
}

void
cnv_avx512_max_unpool_2x2 (gsize        planes,
                           int          height,
                           int          width,
                           const float *out_grad,
                           const int   *argmax,
                           float       *in_grad)
{
  int out_h = height / 2;
  int out_w = width / 2;
  gsize in_plane = (gsize) height * (gsize) width;
  gsize out_plane = (gsize) out_h * (gsize) out_w;

  for (gsize pl = 0; pl < planes; pl++)
    {
      float *dx = in_grad + pl * in_plane;

      for (int oh = 0; oh < out_h; oh++)
        {
          float *top = dx + (gsize) (2 * oh) * width;
          gsize at = pl * out_plane + (gsize) oh * out_w;

          for (int ow = 0; ow < out_w; ow += 16)
            unpool_row (out_grad + at + ow, argmax + at + ow, width,
                        2 * oh * width + 2 * ow, MIN (16, out_w - ow),
                        top + 2 * ow, top + width + 2 * ow);

          /* the column no window covers, on an odd width */
          if (width % 2 != 0)
            top[width - 1] = top[2 * width - 1] = 0.0f;
        }

      /* the row no window covers, on an odd height */
      if (height % 2 != 0)
        memset (dx + (gsize) (height - 1) * width, 0,
                (gsize) width * sizeof (float));
    }
}

/* Adam, and the finite check */

void
cnv_avx512_adam (const CnvAdamStep *k,
                 gsize              n,
                 float             *p,
                 const float       *grad,
                 float             *m,
                 float             *v)
{
  cnv_adam_loop (k, n, p, grad, m, v);
}

gboolean
cnv_avx512_floats_finite (const float *data,
                          gsize        n)
{
  return cnv_floats_finite_loop (data, n);
}
