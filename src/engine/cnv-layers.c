/* cnv-layers.c — forward and backward passes of every layer kind
 *
 * All activations are NCHW float32 (flat ones [N, F]).  The one idea that
 * makes the convolution fast: unfold the input patches of one image, a
 * tile of output rows at a time, into a matrix (im2col) that stays in the
 * L2 cache, so that the forward pass, the weight gradient and the input
 * gradient are each one sgemm per tile straight on NCHW memory, with no
 * transposes; the input gradient folds the patch matrix back with col2im.
 * With stride 1 and "same" padding a patch row is a single contiguous
 * copy.  With more than one thread (cnv_set_threads ()), the images of a
 * batch are split among worker threads, each with its own patch matrix;
 * weight gradients are summed in blocks of images fixed by the batch size
 * alone and added up in order, so any thread count gives the same bits.
 * The model runs stretches of per-image layers image by image
 * (cnv_layer_forward_images ()), so pools and activations run on the
 * workers too.  A large dense layer cuts its sgemms into column chunks
 * fixed by its shape, which the workers share.  Element-wise loops run
 * four lanes at a time (cnv-simd-private.h).  On a CPU with AVX-512,
 * most stride-1 convolutions skip the patch matrix and OpenBLAS
 * altogether for the direct kernels of cnv-avx512.c, which also runs
 * the 2×2 max-pool.
 *
 * Padding "same" follows TensorFlow and PyTorch: the output is
 * ceil (in / stride) and the total padding is split with the extra row or
 * column at the bottom or right.  Max pooling ignores padded cells and
 * keeps the first maximum on ties; average pooling counts padded cells as
 * zeros and always divides by the window area, like PyTorch's
 * count_include_pad=True.  Batch-norm normalises per channel over N, H, W
 * (per feature over N after flatten), with the biased batch variance, and
 * moves its running variance with the unbiased one, as PyTorch does.
 */
#define G_LOG_DOMAIN "cnv-layers"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "cnv-avx512-private.h"
#include "cnv-layers-private.h"
#include "cnv-simd-private.h"

static inline gsize
shape_size (const CnvShape *shape)
{
  return (gsize) shape->channels * (gsize) shape->height
         * (gsize) shape->width;
}

static int
same_padding_before (int in,
                     int out,
                     int kernel,
                     int stride)
{
  int total = MAX ((out - 1) * stride + kernel - in, 0);

  return total / 2;
}

void
cnv_layer_init (CnvLayer           *layer,
                const CnvLayerSpec *spec,
                const CnvShape     *in,
                const CnvShape     *out)
{
  memset (layer, 0, sizeof *layer);
  layer->spec = spec;
  layer->in = *in;
  layer->out = *out;

  if (spec->padding == CNV_PADDING_SAME
      && (spec->kind == CNV_LAYER_CONV2D || spec->kind == CNV_LAYER_MAX_POOL
          || spec->kind == CNV_LAYER_AVG_POOL))
    {
      layer->pad_top = same_padding_before (in->height, out->height,
                                            spec->kernel[0], spec->stride[0]);
      layer->pad_left = same_padding_before (in->width, out->width,
                                             spec->kernel[1], spec->stride[1]);
    }
}

static void
free_caches (CnvLayer *layer)
{
  g_clear_pointer (&layer->cols, g_free);
  g_clear_pointer (&layer->packed, g_free);
  g_clear_pointer (&layer->grad_blocks, g_free);
  layer->n_workers = 0;
  layer->n_grad_blocks = 0;
  g_clear_pointer (&layer->argmax, g_free);
  g_clear_pointer (&layer->mask, g_free);
  g_clear_pointer (&layer->mean, g_free);
  g_clear_pointer (&layer->invstd, g_free);
  layer->batch = 0;
}

void
cnv_layer_clear (CnvLayer *layer)
{
  free_caches (layer);
}

gboolean
cnv_layer_prepare (CnvLayer *layer,
                   int       n)
{
  const CnvLayerSpec *spec = layer->spec;
  gsize out_size = shape_size (&layer->out);

  if (n <= layer->batch)
    return TRUE;

  free_caches (layer);
  layer->batch = n;

  switch (spec->kind)
    {
    case CNV_LAYER_CONV2D:
      /* Sized by the number of workers instead: see ensure_workers (). */
      break;

    case CNV_LAYER_MAX_POOL:
      layer->argmax = g_try_new (int, out_size * (gsize) n);
      if (layer->argmax == NULL)
        return FALSE;
      break;

    case CNV_LAYER_DROPOUT:
      layer->mask = g_try_new (float, out_size * (gsize) n);
      if (layer->mask == NULL)
        return FALSE;
      break;

    case CNV_LAYER_BATCH_NORM:
      layer->mean = g_new0 (float, layer->in.channels);
      layer->invstd = g_new0 (float, layer->in.channels);
      break;

    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_DENSE:
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      break;
    }

  return TRUE;
}

/* Convolution */

typedef struct
{
  int channels, height, width;     /* input plane */
  int kh, kw, sh, sw;
  int pad_top, pad_left;
  int out_h, out_w;
} Geometry;

static Geometry
layer_geometry (const CnvLayer *layer)
{
  Geometry g;

  g.channels = layer->in.channels;
  g.height = layer->in.height;
  g.width = layer->in.width;
  g.kh = layer->spec->kernel[0];
  g.kw = layer->spec->kernel[1];
  g.sh = layer->spec->stride[0];
  g.sw = layer->spec->stride[1];
  g.pad_top = layer->pad_top;
  g.pad_left = layer->pad_left;
  g.out_h = layer->out.height;
  g.out_w = layer->out.width;

  return g;
}

/* The output columns [lo, hi) whose input column ow * sw - pad + kj lies
 * inside [0, width). */
static inline void
valid_columns (const Geometry *g,
               int             kj,
               int            *lo,
               int            *hi)
{
  int first = g->pad_left - kj;
  int end = g->width + g->pad_left - kj;

  *lo = first <= 0 ? 0 : (first + g->sw - 1) / g->sw;
  *hi = end <= 0 ? 0 : (end + g->sw - 1) / g->sw;
  *hi = MIN (*hi, g->out_w);
  *lo = MIN (*lo, *hi);
}

static inline void
add_row (float *restrict       dst,
         const float *restrict src,
         gsize                 n)
{
  cnv_add_row (dst, src, n);
}

static inline void
copy_row (float *restrict       dst,
          const float *restrict src,
          gsize                 n)
{
  memcpy (dst, src, n * sizeof (float));
}

static inline void
fill_row (float *restrict dst,
          gsize           n,
          float           value)
{
  cnv_fill_row (dst, n, value);
}

static inline void
zero_row (float *restrict dst,
          gsize           n)
{
  cnv_fill_row (dst, n, 0.0f);
}

/* The same expressions as the relu layer's, so a relu fused into a
 * convolution gives the same bits as one run on its own. */
static inline void
relu_row (const float *restrict x,
          float *restrict       y,
          gsize                 n)
{
  cnv_relu_row (x, y, n);
}

static inline void
relu_grad_row (const float *restrict x,
               const float *restrict dy,
               float *restrict       dx,
               gsize                 n)
{
  cnv_relu_grad_row (x, dy, dx, n, 0.0f);
}

/* A sum with eight independent accumulators, so that it is not one long
 * chain of dependent additions. */
static inline float
sum_row (const float *restrict src,
         gsize                 n)
{
  return cnv_sum8 (src, n);
}

/* Zeroes columns [0, lo) and [hi, w) of rows [oh_lo, oh_hi), column by
 * column: a handful of strided stores instead of two tiny memset () calls
 * per row, which is what gcc makes of a row-wise loop. */
static inline void
zero_wrapped_cells (float *d,
                    int    w,
                    int    oh_lo,
                    int    oh_hi,
                    int    lo,
                    int    hi)
{
  for (int x = 0; x < w; x++)
    {
      if (x == lo)
        x = hi;
      if (x >= w)
        break;
      for (int oh = oh_lo; oh < oh_hi; oh++)
        d[(gsize) oh * w + x] = 0.0f;
    }
}

/* With stride 1 and "same" width, output row oh of a patch row reads input
 * row oh − pad + ki shifted by kj − pad, so the part of a patch row that
 * one tile of output rows [oh0, oh1) needs is one contiguous copy of the
 * image plane.  The few cells that the shift wraps into a neighbouring row
 * are the padding: zeroed afterwards in im2col, zeroed beforehand in
 * col2im so that they add nothing. */
static void
unfold_contiguous (const Geometry *g,
                   float          *image,
                   float          *cols,
                   int             oh0,
                   int             oh1,
                   gboolean        fold)
{
  gsize plane = (gsize) g->height * (gsize) g->width;
  int w = g->width;
  gsize tile = (gsize) (oh1 - oh0) * w;

  for (int c = 0; c < g->channels; c++)
    for (int ki = 0; ki < g->kh; ki++)
      for (int kj = 0; kj < g->kw; kj++)
        {
          gsize row = ((gsize) c * g->kh + ki) * g->kw + kj;
          float *d = cols + row * tile;
          /* src[p] is the input under output position p of the tile */
          float *src = image + (gsize) c * plane + (gsize) oh0 * w
                       + (ptrdiff_t) (ki - g->pad_top) * w
                       + (kj - g->pad_left);
          int oh_lo = MAX (g->pad_top - ki, oh0) - oh0;
          int oh_hi = MIN (MIN (g->out_h, g->height + g->pad_top - ki), oh1)
                      - oh0;
          gsize start, end;
          int lo, hi;

          valid_columns (g, kj, &lo, &hi);
          if (oh_lo >= oh_hi || lo >= hi)
            {
              if (!fold)
                zero_row (d, tile);
              continue;
            }

          /* [start, end) spans the valid cells, first to last. */
          start = (gsize) oh_lo * w + lo;
          end = (gsize) (oh_hi - 1) * w + hi;

          if (fold)
            {
              zero_wrapped_cells (d, w, oh_lo, oh_hi, lo, hi);
              add_row (src + start, d + start, end - start);
              continue;
            }

          zero_row (d, start);
          copy_row (d + start, src + start, end - start);
          zero_row (d + end, tile - end);
          zero_wrapped_cells (d, w, oh_lo, oh_hi, lo, hi);
        }
}

/* Either copies the patches of output rows [oh0, oh1) of one image into
 * cols (im2col) or, with fold TRUE, adds cols back into the image
 * (col2im).  cols is [C*KH*KW, (oh1 − oh0)*OW]. */
static void
unfold_patches (const Geometry *g,
                float          *image,
                float          *cols,
                int             oh0,
                int             oh1,
                gboolean        fold)
{
  gsize plane = (gsize) g->height * (gsize) g->width;
  gsize out_w = (gsize) g->out_w;
  gsize tile = (gsize) (oh1 - oh0) * out_w;

  if (g->sh == 1 && g->sw == 1 && g->out_w == g->width
      && g->out_h == g->height)
    {
      unfold_contiguous (g, image, cols, oh0, oh1, fold);
      return;
    }

  for (int c = 0; c < g->channels; c++)
    for (int ki = 0; ki < g->kh; ki++)
      for (int kj = 0; kj < g->kw; kj++)
        {
          gsize row = ((gsize) c * g->kh + ki) * g->kw + kj;
          float *src = image + (gsize) c * plane;
          int lo, hi;

          valid_columns (g, kj, &lo, &hi);

          for (int oh = oh0; oh < oh1; oh++)
            {
              int ih = oh * g->sh - g->pad_top + ki;
              float *d = cols + row * tile + (gsize) (oh - oh0) * out_w;
              float *s;

              if (ih < 0 || ih >= g->height)
                {
                  if (!fold)
                    zero_row (d, out_w);
                  continue;
                }

              /* s[ow * sw] is the input under output column ow. */
              s = src + (gsize) ih * g->width - g->pad_left + kj;

              if (fold && g->sw == 1)
                add_row (s + lo, d + lo, (gsize) (hi - lo));
              else if (fold)
                for (int ow = lo; ow < hi; ow++)
                  s[ow * g->sw] += d[ow];
              else
                {
                  zero_row (d, (gsize) lo);
                  if (g->sw == 1)
                    copy_row (d + lo, s + lo, (gsize) (hi - lo));
                  else
                    for (int ow = lo; ow < hi; ow++)
                      d[ow] = s[ow * g->sw];
                  zero_row (d + hi, out_w - (gsize) hi);
                }
            }
        }
}

/* A 1×1 kernel with stride 1 and no padding: the image is its own patch
 * matrix. */
static gboolean
is_pointwise (const Geometry *g)
{
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1
         && g->pad_top == 0 && g->pad_left == 0;
}

/* Patch matrices are built for a tile of output rows at a time, as many
 * rows as keep the tile within this many floats (256 KB, a quarter of this
 * machine's L2): the im2col writes, the sgemm that reads them back and the
 * col2im stay in the cache instead of streaming a 4.7 MB matrix per image
 * of small-vgg's second layer through memory.  The tiles depend only on
 * the layer's geometry, so every thread count gives the same bits. */
#define DEFAULT_TILE_BUDGET ((gsize) 64 * 1024)

static gsize tile_budget = DEFAULT_TILE_BUDGET;

void
cnv_layers_set_tile_budget (gsize floats)
{
  tile_budget = floats > 0 ? floats : DEFAULT_TILE_BUDGET;
}

/* Output rows per tile: at least one, at most all. */
static int
tile_rows (const Geometry *g)
{
  gsize per_row = (gsize) g->channels * g->kh * g->kw * (gsize) g->out_w;

  if (is_pointwise (g))
    return g->out_h;

  return (int) CLAMP (tile_budget / MAX (per_row, 1), 1, (gsize) g->out_h);
}

/* The kernels written for AVX-512 (cnv-avx512.c) */

static CnvAvx512Mode avx512_mode = CNV_AVX512_AUTO;

void
cnv_layers_set_avx512 (CnvAvx512Mode mode)
{
  avx512_mode = mode;
}

gboolean
cnv_layers_avx512_supported (void)
{
  static gsize supported = 0;

  if (g_once_init_enter (&supported))
    {
#ifdef CNV_HAVE_AVX512
      __builtin_cpu_init ();
      g_once_init_leave (&supported,
                         __builtin_cpu_supports ("avx512f") ? 2 : 1);
#else
      g_once_init_leave (&supported, 1);
#endif
    }

  return supported == 2;
}

gboolean
cnv_layers_avx512_allowed (void)
{
  return avx512_mode != CNV_AVX512_NEVER && cnv_layers_avx512_supported ();
}

/* Rows of width fill at least three quarters of their vectors of
 * sixteen (rows of 12 to 16, 24 to 32, …). */
static gboolean
fills_vectors (int width)
{
  return 4 * width >= 3 * ((width + 15) / 16 * 16);
}

/* At most this many floats in the padded planes that the direct kernels
 * read again for every block of filters, so that they stay in the L2
 * cache (1 MB here). */
#define DIRECT_PLANES_BUDGET ((gsize) 256 * 1024)

/* Stride 1 with at most kernel − 1 cells of padding on every side, which
 * "same" and "valid" both are, on a CPU with AVX-512.  Left to itself it
 * takes the layers with at least eight filters whose rows, forward and
 * for the input gradient, fill their vectors, and whose padded input and
 * output gradient fit the cache: there the direct kernels run at 70–90 %
 * of the FMA peak, against about 60 % for im2col and sgemm on
 * small-vgg's layers and much less on LeNet's.  The kernels have no
 * cache blocking, so much larger images stay on im2col's tiles. */
static gboolean
runs_direct (const CnvLayer *layer)
{
  Geometry g = layer_geometry (layer);
  int filters = layer->spec->filters;
  int bottom = g.out_h + g.kh - 1 - g.pad_top - g.height;
  int right = g.out_w + g.kw - 1 - g.pad_left - g.width;
  gsize padded_in = (gsize) g.channels * (g.out_h + g.kh - 1)
                    * (gsize) (g.out_w + g.kw - 1);
  gsize padded_grad = (gsize) filters * (g.height + g.kh - 1)
                      * (gsize) (g.width + g.kw - 1);

  if (!cnv_layers_avx512_allowed () || g.sh != 1 || g.sw != 1 || is_pointwise (&g)
      || g.pad_top >= g.kh || g.pad_left >= g.kw
      || bottom < 0 || bottom >= g.kh || right < 0 || right >= g.kw)
    return FALSE;

  if (avx512_mode == CNV_AVX512_ALWAYS)
    return TRUE;

  return filters >= 8 && fills_vectors (g.out_w) && fills_vectors (g.width)
         && padded_in <= DIRECT_PLANES_BUDGET
         && padded_grad <= DIRECT_PLANES_BUDGET;
}

#ifdef CNV_HAVE_AVX512

static void
direct_geometry (const Geometry    *g,
                 int                filters,
                 CnvDirectGeometry *d)
{
  d->channels = g->channels;
  d->height = g->height;
  d->width = g->width;
  d->kh = g->kh;
  d->kw = g->kw;
  d->pad_top = g->pad_top;
  d->pad_left = g->pad_left;
  d->out_h = g->out_h;
  d->out_w = g->out_w;
  d->filters = filters;
}

/* The buffers of worker for the direct kernels, as direct_worker_size ()
 * lays them out. */
typedef struct
{
  CnvDirectGeometry  d, t;         /* the layer, and its input gradient */
  float             *padded;       /* the image on padded rows */
  float             *padded_grad;  /* the output gradient on t's padded
                                    * rows */
  float             *grad_buffer;  /* the weight gradient's partial sums
                                    * and a tile of the output gradient */
} DirectBuffers;

static DirectBuffers
direct_buffers (const CnvLayer *layer,
                int             worker)
{
  Geometry g = layer_geometry (layer);
  DirectBuffers b;

  direct_geometry (&g, layer->spec->filters, &b.d);
  cnv_direct_transposed (&b.d, &b.t);
  b.padded = layer->cols + layer->cols_size * (gsize) worker;
  b.padded_grad = b.padded + cnv_direct_padded_size (&b.d);
  b.grad_buffer = b.padded_grad + cnv_direct_padded_size (&b.t);

  return b;
}

#endif

/* One worker's floats: the padded image, the output gradient padded for
 * the input gradient, and the weight gradient's buffer. */
static gsize
direct_worker_size (const CnvLayer *layer)
{
#ifdef CNV_HAVE_AVX512
  Geometry g = layer_geometry (layer);
  CnvDirectGeometry d, t;

  direct_geometry (&g, layer->spec->filters, &d);
  cnv_direct_transposed (&d, &t);

  return cnv_direct_padded_size (&d) + cnv_direct_padded_size (&t)
         + cnv_direct_grad_buffer_size (&d);
#else
  return 0;
#endif
}

/* The weights as the direct kernels read them: forward for a forward
 * pass, turned round for a backward one (the input gradient); packed
 * again before every pass, as the weights move. */
static void
pack_direct (CnvLayer *layer,
             gboolean  backward)
{
#ifdef CNV_HAVE_AVX512
  Geometry g = layer_geometry (layer);
  CnvDirectGeometry d, t;

  if (!layer->direct)
    return;

  direct_geometry (&g, layer->spec->filters, &d);
  cnv_direct_transposed (&d, &t);
  if (layer->packed == NULL)
    layer->packed = g_new (float, cnv_direct_packed_size (&d)
                                  + cnv_direct_packed_size (&t));
  if (!backward)
    cnv_direct_pack (&d, layer->weight->value->data, layer->packed);
  else
    cnv_direct_pack_flipped (&d, layer->weight->value->data,
                             layer->packed + cnv_direct_packed_size (&d));
#endif
}

static void
direct_forward_images (CnvLayer        *layer,
                       const CnvTensor *in,
                       CnvTensor       *out,
                       CnvTensor       *relu_out,
                       int              worker,
                       int              start,
                       int              end)
{
#ifdef CNV_HAVE_AVX512
  DirectBuffers b = direct_buffers (layer, worker);
  gsize in_size = shape_size (&layer->in);
  gsize out_size = shape_size (&layer->out);

  for (int img = start; img < end; img++)
    {
      float *relu = relu_out != NULL
                    ? relu_out->data + (gsize) img * out_size : NULL;

      cnv_direct_pad (&b.d, in->data + (gsize) img * in_size, b.padded);
      cnv_direct_forward (&b.d, layer->packed, layer->bias->value->data,
                          b.padded, out->data + (gsize) img * out_size,
                          relu);
    }
#else
  g_assert_not_reached ();
#endif
}

/* conv_backward_image () from the point where dy is the output
 * gradient. */
static void
direct_backward_image (CnvLayer    *layer,
                       const float *image,
                       const float *dy,
                       float       *dx,
                       int          worker,
                       float       *weight_grad)
{
#ifdef CNV_HAVE_AVX512
  DirectBuffers b = direct_buffers (layer, worker);

  cnv_direct_pad (&b.d, image, b.padded);
  cnv_direct_weight_grad (&b.d, b.padded, dy, b.grad_buffer, weight_grad);

  if (dx == NULL)
    return;

  /* dx = dy ∗ the kernel turned round */
  cnv_direct_pad (&b.t, dy, b.padded_grad);
  cnv_direct_forward (&b.t, layer->packed + cnv_direct_packed_size (&b.d),
                      NULL, b.padded_grad, dx, NULL);
#else
  g_assert_not_reached ();
#endif
}

/* Parallel loops over the images of a batch */

#define MAX_WORKERS 64

/* Weight gradients are summed in at most this many blocks of images, using
 * at most this many floats for all blocks of one layer. */
#define MAX_GRAD_BLOCKS 16
#define GRAD_BLOCK_BUDGET ((gsize) 4 * 1024 * 1024)

typedef CnvRangeFunc RangeFunc;

typedef struct
{
  GMutex mutex;
  GCond  cond;
  int    pending;
} Join;

typedef struct
{
  RangeFunc func;
  gpointer  data;
  int       worker;
  int       start;
  int       end;
  int       nice;   /* of the thread that gave the work */
  Join     *join;
} Range;

/* The calling thread's nice value (Linux keeps one per thread); 0 when
 * it cannot be read. */
static int
get_thread_nice (void)
{
  int nice;

  errno = 0;
  nice = getpriority (PRIO_PROCESS, 0);

  return errno == 0 ? nice : 0;
}

/* Workers take the priority of the thread that gives them work: a
 * training thread that the app lowered, so that drawing the window goes
 * first, stays lowered on every core.  An unprivileged thread cannot
 * raise its priority again, so lowered work has workers of its own (see
 * worker_pools). */
static void
match_thread_nice (int nice)
{
  if (get_thread_nice () < nice)
    setpriority (PRIO_PROCESS, 0, nice);
}

/* Two pools for every model in the process, created on first use: one
 * for work given at normal priority, one for lowered work, whose workers
 * stay lowered.  Both are exclusive: a shared pool would hand a lowered
 * thread on to GLib's other pools, GTask's among them. */
static GThreadPool *worker_pools[2];
G_LOCK_DEFINE_STATIC (worker_pools);

/* Loops given to each pool so far. */
static gint pool_loops[2];

/* A worker that has done its part waits this long for the next loop,
 * yielding to any other thread on its core, before it goes back to sleep
 * in the pool: waking a sleeping core takes 50–70 µs on a virtual
 * machine, and a LeNet step at batch 32 runs two loops of about 0.5 ms
 * with 0.13–0.2 ms of the dense layers, the loss and Adam between them.
 * Not when there are more workers than cores, where a lingering one
 * would take a core from a busy one. */
#define WORKER_LINGER_USEC 300

static void
linger (int pool,
        int seen)
{
  gint64 until = g_get_monotonic_time () + WORKER_LINGER_USEC;

  if (cnv_get_threads () > (int) g_get_num_processors ())
    return;

  while (g_atomic_int_get (&pool_loops[pool]) == seen
         && g_get_monotonic_time () < until)
    g_thread_yield ();
}

/* The calling thread of a loop, done with its own range, watches the
 * workers' count this long before it sleeps until they signal: on this
 * virtual machine LeNet's loops at batch 32 waited 32 µs on average, and
 * a sleeping thread took longer than that to wake.  Not when there are
 * more workers than cores. */
#define JOIN_WATCH_USEC 200

static void
wait_briefly (int *pending)
{
  gint64 until = g_get_monotonic_time () + JOIN_WATCH_USEC;

  if (cnv_get_threads () > (int) g_get_num_processors ())
    return;

  while (g_atomic_int_get (pending) > 0
         && g_get_monotonic_time () < until)
    g_thread_yield ();
}

static void
run_range_cb (gpointer job,
              gpointer user_data)
{
  Range *range = job;
  int pool = range->nice > 0;
  int seen;

  match_thread_nice (range->nice);
  range->func (range->data, range->worker, range->start, range->end);

  /* range belongs to parallel_for (), which may return once pending is
   * zero. */
  seen = g_atomic_int_get (&pool_loops[pool]);
  g_mutex_lock (&range->join->mutex);
  if (g_atomic_int_dec_and_test (&range->join->pending))
    g_cond_signal (&range->join->cond);
  g_mutex_unlock (&range->join->mutex);

  linger (pool, seen);
}

/* How many workers a loop over n_items images (or chunks) uses. */
static int
count_workers (int n_items)
{
  return CLAMP (MIN (cnv_get_threads (), n_items), 1, MAX_WORKERS);
}

/* Runs func over [0, n_items) split into n_workers contiguous ranges, the
 * first in the calling thread.  Ranges depend only on n_items and
 * n_workers, so a given thread count always gives the same results. */
static void
parallel_for (int       n_items,
              int       n_workers,
              RangeFunc func,
              gpointer  data)
{
  Range ranges[MAX_WORKERS];
  GThreadPool *pool;
  Join join;
  int nice;

  if (n_workers <= 1)
    {
      func (data, 0, 0, n_items);
      return;
    }

  nice = get_thread_nice ();

  G_LOCK (worker_pools);
  pool = worker_pools[nice > 0];
  if (pool == NULL)
    pool = worker_pools[nice > 0] = g_thread_pool_new (run_range_cb, NULL,
                                                       n_workers - 1, TRUE,
                                                       NULL);
  else if (g_thread_pool_get_max_threads (pool) < n_workers - 1)
    g_thread_pool_set_max_threads (pool, n_workers - 1, NULL);
  G_UNLOCK (worker_pools);

  /* No thread could be started: every item in this one. */
  if (pool == NULL)
    {
      func (data, 0, 0, n_items);
      return;
    }

  g_mutex_init (&join.mutex);
  g_cond_init (&join.cond);
  join.pending = n_workers - 1;
  /* before the push: a lingering worker that sees it goes for the job */
  g_atomic_int_inc (&pool_loops[nice > 0]);

  for (int w = 0; w < n_workers; w++)
    {
      ranges[w].nice = nice;
      ranges[w].func = func;
      ranges[w].data = data;
      ranges[w].worker = w;
      ranges[w].start = (int) ((gint64) n_items * w / n_workers);
      ranges[w].end = (int) ((gint64) n_items * (w + 1) / n_workers);
      ranges[w].join = &join;
      if (w > 0)
        g_thread_pool_push (pool, &ranges[w], NULL);
    }

  func (data, 0, ranges[0].start, ranges[0].end);

  /* The workers' ends, watched for a while before sleeping on them: the
   * wake-up would cost more than most waits.  Taking the mutex even when
   * they are all done waits for the last to let go of join. */
  wait_briefly (&join.pending);
  g_mutex_lock (&join.mutex);
  while (g_atomic_int_get (&join.pending) > 0)
    g_cond_wait (&join.cond, &join.mutex);
  g_mutex_unlock (&join.mutex);

  g_mutex_clear (&join.mutex);
  g_cond_clear (&join.cond);
}

/* Convolution */

static int
patch_size (const Geometry *g)
{
  return g->channels * g->kh * g->kw;
}

int
cnv_count_workers (int n_items)
{
  return count_workers (n_items);
}

void
cnv_parallel_for (int          n_items,
                  int          n_workers,
                  CnvRangeFunc func,
                  gpointer     data)
{
  parallel_for (n_items, n_workers, func, data);
}

/* Decides for the pass whether the layer runs on the direct kernels, and
 * gives every worker its own patch matrix of one tile or the direct
 * kernels' buffers; reallocated only when they grow. */
static void
ensure_workers (CnvLayer *layer,
                int       n_workers)
{
  Geometry g = layer_geometry (layer);
  gsize size = (gsize) patch_size (&g) * tile_rows (&g) * (gsize) g.out_w;
  gboolean direct = runs_direct (layer);

  if (direct != layer->direct)
    g_debug ("conv2d %s: %s", layer->spec->id,
             direct ? "direct AVX-512 kernels" : "im2col and sgemm");
  layer->direct = direct;
  if (direct)
    size = MAX (size, direct_worker_size (layer));

  if (n_workers <= layer->n_workers && size <= layer->cols_size)
    return;

  g_free (layer->cols);
  layer->n_workers = MAX (n_workers, layer->n_workers);
  layer->cols_size = size;
  layer->cols = g_new (float, size * (gsize) layer->n_workers);
}

/* The weight gradient of a batch is summed in blocks of images, each into
 * its own buffer, and the blocks are then added in order.  The blocks
 * depend on the batch size and the layer only, never on the number of
 * threads, so every thread count gives the same bits. */
static int
count_grad_blocks (const CnvLayer *layer,
                   int             n_images)
{
  gsize per_block = layer->weight->grad->size + layer->bias->grad->size;
  gsize affordable = MAX (GRAD_BLOCK_BUDGET / per_block, 1);

  return (int) MIN ((gsize) MIN (n_images, MAX_GRAD_BLOCKS), affordable);
}

static void
ensure_grad_blocks (CnvLayer *layer,
                    int       n_blocks)
{
  gsize per_block = layer->weight->grad->size + layer->bias->grad->size;

  if (n_blocks <= layer->n_grad_blocks)
    return;

  g_free (layer->grad_blocks);
  layer->n_grad_blocks = n_blocks;
  layer->grad_blocks = g_new (float, per_block * (gsize) n_blocks);
}

static float *
grad_block (const CnvLayer *layer,
            int             block)
{
  gsize per_block = layer->weight->grad->size + layer->bias->grad->size;

  return layer->grad_blocks + per_block * (gsize) block;
}

/* The images of block b of n_blocks in a batch of n: [first, last). */
static void
block_images (int  n,
              int  n_blocks,
              int  block,
              int *first,
              int *last)
{
  *first = (int) ((gint64) n * block / n_blocks);
  *last = (int) ((gint64) n * (block + 1) / n_blocks);
}

/* Forward of images [start, end) with worker's patch matrix: conv_out
 * [F, OH*OW] = bias + weight · im2col (image), and relu_out = max
 * (conv_out, 0) when not NULL, a tile at a time while it is in the
 * cache. */
static void
conv_forward_images (CnvLayer        *layer,
                     const CnvTensor *in,
                     CnvTensor       *out,
                     CnvTensor       *relu_out,
                     int              worker,
                     int              start,
                     int              end)
{
  Geometry g = layer_geometry (layer);
  int filters = layer->spec->filters;
  int k = patch_size (&g);
  int p = g.out_h * g.out_w;
  int rows = tile_rows (&g);
  gsize in_size = shape_size (&layer->in);
  gsize out_size = shape_size (&layer->out);
  const float *weight = layer->weight->value->data;
  const float *bias = layer->bias->value->data;
  gboolean pointwise = is_pointwise (&g);
  float *patches = layer->cols + layer->cols_size * (gsize) worker;

  if (layer->direct)
    {
      direct_forward_images (layer, in, out, relu_out, worker, start, end);
      return;
    }

  for (int img = start; img < end; img++)
    {
      float *image = in->data + (gsize) img * in_size;
      float *result = out->data + (gsize) img * out_size;
      float *relu = relu_out != NULL
                    ? relu_out->data + (gsize) img * out_size : NULL;

      for (int oh0 = 0; oh0 < g.out_h; oh0 += rows)
        {
          int oh1 = MIN (oh0 + rows, g.out_h);
          int t = (oh1 - oh0) * g.out_w;
          gsize offset = (gsize) oh0 * g.out_w;
          const float *cols = pointwise ? image : patches;

          /* cols [C*KH*KW, t] <- the tile's patches of image [C, H, W] */
          if (!pointwise)
            unfold_patches (&g, image, patches, oh0, oh1, FALSE);

          /* result [F, tile] <- bias [F] */
          for (int f = 0; f < filters; f++)
            fill_row (result + (gsize) f * p + offset, (gsize) t, bias[f]);

          /* result [F, tile] += weight [F, C*KH*KW] · cols [C*KH*KW, t] */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                       filters, t, k,
                       1.0f, weight, k, cols, pointwise ? p : t,
                       1.0f, result + offset, p);

          /* relu [F, tile] = max (result, 0), while result is in the
           * cache */
          if (relu != NULL)
            for (int f = 0; f < filters; f++)
              relu_row (result + (gsize) f * p + offset,
                        relu + (gsize) f * p + offset, (gsize) t);
        }
    }
}

/* Backward of image img: adds its weight and bias gradients into
 * weight_grad [F, C*KH*KW] and bias_grad [F] (its block's), and overwrites
 * its in_grad when that is not NULL.  With relu_out_grad, out_grad is first
 * overwritten with relu_out_grad where the output was positive. */
static void
conv_backward_image (CnvLayer        *layer,
                     const CnvTensor *in,
                     const CnvTensor *out,
                     CnvTensor       *out_grad,
                     const CnvTensor *relu_out_grad,
                     CnvTensor       *in_grad,
                     int              worker,
                     int              img,
                     float           *weight_grad,
                     float           *bias_grad)
{
  Geometry g = layer_geometry (layer);
  int filters = layer->spec->filters;
  int k = patch_size (&g);
  int p = g.out_h * g.out_w;
  int rows = tile_rows (&g);
  gsize in_size = shape_size (&layer->in);
  gsize out_size = shape_size (&layer->out);
  const float *weight = layer->weight->value->data;
  gboolean pointwise = is_pointwise (&g);
  float *patches = layer->cols + layer->cols_size * (gsize) worker;
  float *image = in->data + (gsize) img * in_size;
  float *dy = out_grad->data + (gsize) img * out_size;
  float *dx = in_grad != NULL ? in_grad->data + (gsize) img * in_size : NULL;

  /* dy [F, OH*OW] = relu_out_grad masked where the output was > 0 */
  if (relu_out_grad != NULL)
    relu_grad_row (out->data + (gsize) img * out_size,
                   relu_out_grad->data + (gsize) img * out_size, dy,
                   out_size);

  /* bias_grad [F] += Σ over positions of dy [F, OH*OW] */
  for (int f = 0; f < filters; f++)
    bias_grad[f] += sum_row (dy + (gsize) f * p, (gsize) p);

  if (layer->direct)
    {
      direct_backward_image (layer, image, dy, dx, worker, weight_grad);
      return;
    }

  if (pointwise)
    {
      /* weight_grad [F, C] += dy [F, H*W] · image^T [H*W, C] */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                   filters, k, p,
                   1.0f, dy, p, image, p,
                   1.0f, weight_grad, k);

      /* dx [C, H*W] = weight^T [C, F] · dy [F, H*W] */
      if (dx != NULL)
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                     k, p, filters,
                     1.0f, weight, k, dy, p,
                     0.0f, dx, p);
      return;
    }

  if (dx != NULL)
    zero_row (dx, in_size);

  for (int oh0 = 0; oh0 < g.out_h; oh0 += rows)
    {
      int oh1 = MIN (oh0 + rows, g.out_h);
      int t = (oh1 - oh0) * g.out_w;
      const float *dy_tile = dy + (gsize) oh0 * g.out_w;

      /* cols [C*KH*KW, t] <- the tile's patches, unfolded again rather
       * than kept from the forward pass: cheaper than streaming them back
       * from memory. */
      unfold_patches (&g, image, patches, oh0, oh1, FALSE);

      /* weight_grad [F, C*KH*KW] += dy [F, tile] · cols^T [t, C*KH*KW] */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                   filters, k, t,
                   1.0f, dy_tile, p, patches, t,
                   1.0f, weight_grad, k);

      if (dx == NULL)
        continue;

      /* cols [C*KH*KW, t] = weight^T [C*KH*KW, F] · dy [F, tile] */
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                   k, t, filters,
                   1.0f, weight, k, dy_tile, p,
                   0.0f, patches, t);

      /* dx [C, H, W] += col2im (cols) */
      unfold_patches (&g, dx, patches, oh0, oh1, TRUE);
    }
}

/* weight_grad, bias_grad += Σ_b block b's gradients, in block order */
static void
sum_grad_blocks (CnvLayer *layer,
                 int       n_blocks)
{
  gsize weight_size = layer->weight->grad->size;

  for (int b = 0; b < n_blocks; b++)
    {
      const float *block = grad_block (layer, b);

      add_row (layer->weight->grad->data, block, weight_size);
      add_row (layer->bias->grad->data, block + weight_size,
               layer->bias->grad->size);
    }
}

typedef struct
{
  CnvLayer        *layer;
  const CnvTensor *in;
  CnvTensor       *out;
  CnvTensor       *out_grad;
  CnvTensor       *in_grad;
  int              n_blocks;
  CnvTensor       *relu_out;       /* fused relu: its output, forward */
  const CnvTensor *relu_out_grad;  /* fused relu: its output gradient */
} ConvJob;

static void
conv_forward_range (gpointer data,
                    int      worker,
                    int      start,
                    int      end)
{
  ConvJob *job = data;

  conv_forward_images (job->layer, job->in, job->out, job->relu_out, worker,
                       start, end);
}

static void
conv_forward (CnvLayer        *layer,
              const CnvTensor *in,
              CnvTensor       *out,
              CnvTensor       *relu_out)
{
  ConvJob job = { layer, in, out, NULL, NULL, 0, relu_out, NULL };
  int n_workers = count_workers (in->shape[0]);

  ensure_workers (layer, n_workers);
  pack_direct (layer, FALSE);
  parallel_for (in->shape[0], n_workers, conv_forward_range, &job);
}

static void
conv_backward_range (gpointer data,
                     int      worker,
                     int      start,
                     int      end)
{
  ConvJob *job = data;
  CnvLayer *layer = job->layer;
  gsize per_block = layer->weight->grad->size + layer->bias->grad->size;

  for (int block = start; block < end; block++)
    {
      float *weight_grad = grad_block (layer, block);
      int first, last;

      block_images (job->in->shape[0], job->n_blocks, block, &first, &last);
      zero_row (weight_grad, per_block);
      for (int img = first; img < last; img++)
        conv_backward_image (layer, job->in, job->out, job->out_grad,
                             job->relu_out_grad, job->in_grad, worker, img,
                             weight_grad,
                             weight_grad + layer->weight->grad->size);
    }
}

static void
conv_backward (CnvLayer        *layer,
               const CnvTensor *in,
               const CnvTensor *out,
               const CnvTensor *out_grad,
               const CnvTensor *relu_out_grad,
               CnvTensor       *in_grad)
{
  int n_blocks = count_grad_blocks (layer, in->shape[0]);
  int n_workers = count_workers (n_blocks);
  ConvJob job = { layer, in, (CnvTensor *) out, (CnvTensor *) out_grad,
                  in_grad, n_blocks, NULL, relu_out_grad };

  ensure_workers (layer, n_workers);
  ensure_grad_blocks (layer, n_blocks);
  pack_direct (layer, TRUE);
  parallel_for (n_blocks, n_workers, conv_backward_range, &job);
  sum_grad_blocks (layer, n_blocks);
}

/* Pooling */

/* The common 2×2, stride 2, unpadded case without any bounds checks;
 * the comparisons keep the first maximum in row-major order. */
static void
max_pool_2x2 (const Geometry *g,
              gsize           planes,
              const float    *in,
              float          *out,
              int            *argmax)
{
  gsize in_plane = (gsize) g->height * g->width;
  gsize out_plane = (gsize) g->out_h * g->out_w;

  for (gsize pl = 0; pl < planes; pl++)
    {
      const float *src = in + pl * in_plane;
      float *dst = out + pl * out_plane;
      int *arg = argmax + pl * out_plane;

      for (int oh = 0; oh < g->out_h; oh++)
        {
          const float *top = src + (gsize) (2 * oh) * g->width;
          const float *bottom = top + g->width;
          int base = 2 * oh * g->width;

          int ow = 0;

          /* Four outputs at a time: the even and odd columns of eight
           * inputs, compared lane by lane in the order of the scalar
           * loop below, so ties and NaNs come out the same. */
          for (; ow + CNV_LANES <= g->out_w; ow += CNV_LANES)
            {
              const CnvMask even = { 0, 2, 4, 6 };
              const CnvMask odd = { 1, 3, 5, 7 };
              const CnvMask lane = { 0, 2, 4, 6 };
              CnvVec t0 = cnv_loadv (top + 2 * ow);
              CnvVec t1 = cnv_loadv (top + 2 * ow + CNV_LANES);
              CnvVec b0 = cnv_loadv (bottom + 2 * ow);
              CnvVec b1 = cnv_loadv (bottom + 2 * ow + CNV_LANES);
              CnvVec best = __builtin_shuffle (t0, t1, even);
              CnvVec v;
              CnvMask index = lane + (base + 2 * ow);
              CnvMask first = index;
              CnvMask greater;

              v = __builtin_shuffle (t0, t1, odd);
              greater = v > best;
              best = cnv_selectv (greater, v, best);
              index = (greater & (first + 1)) | (~greater & index);

              v = __builtin_shuffle (b0, b1, even);
              greater = v > best;
              best = cnv_selectv (greater, v, best);
              index = (greater & (first + g->width)) | (~greater & index);

              v = __builtin_shuffle (b0, b1, odd);
              greater = v > best;
              best = cnv_selectv (greater, v, best);
              index = (greater & (first + g->width + 1))
                      | (~greater & index);

              cnv_storev (dst + oh * g->out_w + ow, best);
              memcpy (arg + oh * g->out_w + ow, &index, sizeof index);
            }

          for (; ow < g->out_w; ow++)
            {
              float best = top[2 * ow];
              int index = base + 2 * ow;

              if (top[2 * ow + 1] > best)
                {
                  best = top[2 * ow + 1];
                  index = base + 2 * ow + 1;
                }
              if (bottom[2 * ow] > best)
                {
                  best = bottom[2 * ow];
                  index = base + g->width + 2 * ow;
                }
              if (bottom[2 * ow + 1] > best)
                {
                  best = bottom[2 * ow + 1];
                  index = base + g->width + 2 * ow + 1;
                }

              dst[oh * g->out_w + ow] = best;
              arg[oh * g->out_w + ow] = index;
            }
        }
    }
}

/* 2×2 windows with stride 2, all inside the image ("same" on an odd
 * size pads the last). */
static gboolean
is_pool_2x2 (const Geometry *g)
{
  return g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2
         && g->pad_top == 0 && g->pad_left == 0
         && 2 * g->out_h <= g->height && 2 * g->out_w <= g->width;
}

/* argmax holds the input index of each output of in's first image. */
static void
max_pool_forward (CnvLayer        *layer,
                  const CnvTensor *in,
                  CnvTensor       *out,
                  int             *argmax)
{
  Geometry g = layer_geometry (layer);
  gsize planes = (gsize) in->shape[0] * (gsize) g.channels;
  gsize in_plane = (gsize) g.height * g.width;
  gsize out_plane = (gsize) g.out_h * g.out_w;

  if (is_pool_2x2 (&g))
    {
#ifdef CNV_HAVE_AVX512
      if (cnv_layers_avx512_allowed ())
        {
          cnv_avx512_max_pool_2x2 (planes, g.height, g.width, in->data,
                                   out->data, argmax);
          return;
        }
#endif
      max_pool_2x2 (&g, planes, in->data, out->data, argmax);
      return;
    }

  for (gsize pl = 0; pl < planes; pl++)
    {
      const float *src = in->data + pl * in_plane;
      float *dst = out->data + pl * out_plane;
      int *arg = argmax + pl * out_plane;

      for (int oh = 0; oh < g.out_h; oh++)
        {
          int h0 = oh * g.sh - g.pad_top;
          int h_lo = MAX (h0, 0);
          int h_hi = MIN (h0 + g.kh, g.height);

          for (int ow = 0; ow < g.out_w; ow++)
            {
              int w0 = ow * g.sw - g.pad_left;
              int w_lo = MAX (w0, 0);
              int w_hi = MIN (w0 + g.kw, g.width);
              float best = -INFINITY;
              int best_index = -1;

              /* Strictly greater: the first maximum wins ties. */
              for (int h = h_lo; h < h_hi; h++)
                for (int w = w_lo; w < w_hi; w++)
                  {
                    float v = src[h * g.width + w];

                    if (v > best || best_index < 0)
                      {
                        best = v;
                        best_index = h * g.width + w;
                      }
                  }

              dst[oh * g.out_w + ow] = best_index < 0 ? 0.0f : best;
              arg[oh * g.out_w + ow] = best_index;
            }
        }
    }
}

static void
max_pool_backward (CnvLayer        *layer,
                   const CnvTensor *out_grad,
                   CnvTensor       *in_grad,
                   const int       *argmax)
{
  Geometry g = layer_geometry (layer);
  gsize planes = (gsize) out_grad->shape[0] * (gsize) layer->in.channels;
  gsize in_plane = (gsize) layer->in.height * layer->in.width;
  gsize out_plane = (gsize) layer->out.height * layer->out.width;

#ifdef CNV_HAVE_AVX512
  /* The windows of max_pool_2x2 (): each input cell in at most one. */
  if (is_pool_2x2 (&g) && cnv_layers_avx512_allowed ())
    {
      cnv_avx512_max_unpool_2x2 (planes, g.height, g.width, out_grad->data,
                                 argmax, in_grad->data);
      return;
    }
#endif

  cnv_tensor_zero (in_grad);

  for (gsize pl = 0; pl < planes; pl++)
    {
      const float *dy = out_grad->data + pl * out_plane;
      const int *arg = argmax + pl * out_plane;
      float *dx = in_grad->data + pl * in_plane;

      for (gsize i = 0; i < out_plane; i++)
        if (arg[i] >= 0)
          dx[arg[i]] += dy[i];
    }
}

/* With fold FALSE: out = window sums / area.  With fold TRUE: spreads
 * out_grad / area back over each window into in_grad. */
static void
avg_pool_run (CnvLayer *layer,
              float    *in,
              float    *out,
              int       n,
              gboolean  fold)
{
  Geometry g = layer_geometry (layer);
  gsize planes = (gsize) n * (gsize) g.channels;
  gsize in_plane = (gsize) g.height * g.width;
  gsize out_plane = (gsize) g.out_h * g.out_w;
  float scale = 1.0f / (float) (g.kh * g.kw);

  for (gsize pl = 0; pl < planes; pl++)
    {
      float *x = in + pl * in_plane;
      float *y = out + pl * out_plane;

      for (int oh = 0; oh < g.out_h; oh++)
        {
          int h0 = oh * g.sh - g.pad_top;
          int h_lo = MAX (h0, 0);
          int h_hi = MIN (h0 + g.kh, g.height);

          for (int ow = 0; ow < g.out_w; ow++)
            {
              int w0 = ow * g.sw - g.pad_left;
              int w_lo = MAX (w0, 0);
              int w_hi = MIN (w0 + g.kw, g.width);
              float sum = 0.0f;
              float share;

              if (!fold)
                {
                  for (int h = h_lo; h < h_hi; h++)
                    for (int w = w_lo; w < w_hi; w++)
                      sum += x[h * g.width + w];
                  y[oh * g.out_w + ow] = sum * scale;
                  continue;
                }

              share = y[oh * g.out_w + ow] * scale;
              for (int h = h_lo; h < h_hi; h++)
                for (int w = w_lo; w < w_hi; w++)
                  x[h * g.width + w] += share;
            }
        }
    }
}

static void
global_avg_pool_forward (CnvLayer        *layer,
                         const CnvTensor *in,
                         CnvTensor       *out)
{
  gsize planes = (gsize) in->shape[0] * (gsize) layer->in.channels;
  gsize plane = (gsize) layer->in.height * layer->in.width;

  for (gsize pl = 0; pl < planes; pl++)
    {
      const float *x = in->data + pl * plane;
      float sum = 0.0f;

      for (gsize i = 0; i < plane; i++)
        sum += x[i];
      out->data[pl] = sum / (float) plane;
    }
}

static void
global_avg_pool_backward (CnvLayer        *layer,
                          const CnvTensor *out_grad,
                          CnvTensor       *in_grad)
{
  gsize planes = (gsize) out_grad->shape[0] * (gsize) layer->in.channels;
  gsize plane = (gsize) layer->in.height * layer->in.width;

  for (gsize pl = 0; pl < planes; pl++)
    {
      float share = out_grad->data[pl] / (float) plane;
      float *dx = in_grad->data + pl * plane;

      for (gsize i = 0; i < plane; i++)
        dx[i] = share;
    }
}

/* Batch normalisation */

static void
scale_shift (const float *restrict x,
             float *restrict       y,
             gsize                 n,
             float                 scale,
             float                 shift)
{
  cnv_scale_shift_row (x, y, n, scale, shift);
}

/* dx = a·dy + b·x + c */
static void
batch_norm_input_grad (const float *restrict x,
                       const float *restrict dy,
                       float *restrict       dx,
                       gsize                 n,
                       float                 a,
                       float                 b,
                       float                 c)
{
  cnv_affine2_row (x, dy, dx, n, a, b, c);
}

static void
batch_norm_forward (CnvLayer        *layer,
                    const CnvTensor *in,
                    CnvTensor       *out,
                    gboolean         training)
{
  int n = in->shape[0];
  int channels = layer->in.channels;
  gsize plane = (gsize) layer->in.height * layer->in.width;
  gsize count = (gsize) n * plane;
  const float *gamma = layer->weight->value->data;
  const float *beta = layer->bias->value->data;
  float *running_mean = layer->running_mean->value->data;
  float *running_var = layer->running_var->value->data;
  float momentum = layer->spec->momentum;
  float epsilon = layer->spec->epsilon;

  layer->trained = training;

  for (int c = 0; c < channels; c++)
    {
      float mean, invstd, scale, shift;

      if (training)
        {
          double sum = 0.0;
          double squares = 0.0;
          double var;

          for (int i = 0; i < n; i++)
            {
              const float *x = in->data + ((gsize) i * channels + c) * plane;

              for (gsize j = 0; j < plane; j++)
                sum += x[j];
            }
          mean = (float) (sum / (double) count);

          for (int i = 0; i < n; i++)
            {
              const float *x = in->data + ((gsize) i * channels + c) * plane;

              for (gsize j = 0; j < plane; j++)
                {
                  double d = (double) x[j] - mean;

                  squares += d * d;
                }
            }
          var = squares / (double) count;
          invstd = (float) (1.0 / sqrt (var + epsilon));

          /* running ← (1 − momentum) · running + momentum · batch, with
           * the unbiased variance, as PyTorch does. */
          running_mean[c] = (1.0f - momentum) * running_mean[c]
                            + momentum * mean;
          running_var[c] = (1.0f - momentum) * running_var[c]
                           + momentum * (float) (count > 1
                                                 ? squares / (double) (count - 1)
                                                 : var);
        }
      else
        {
          mean = running_mean[c];
          invstd = 1.0f / sqrtf (running_var[c] + epsilon);
        }

      layer->mean[c] = mean;
      layer->invstd[c] = invstd;

      /* y = gamma · (x − mean) · invstd + beta = scale · x + shift */
      scale = gamma[c] * invstd;
      shift = beta[c] - mean * scale;
      for (int i = 0; i < n; i++)
        {
          gsize offset = ((gsize) i * channels + c) * plane;
          scale_shift (in->data + offset, out->data + offset, plane, scale,
                       shift);
        }
    }
}

static void
batch_norm_backward (CnvLayer        *layer,
                     const CnvTensor *in,
                     const CnvTensor *out_grad,
                     CnvTensor       *in_grad)
{
  int n = in->shape[0];
  int channels = layer->in.channels;
  gsize plane = (gsize) layer->in.height * layer->in.width;
  float count = (float) ((gsize) n * plane);
  const float *gamma = layer->weight->value->data;
  float *gamma_grad = layer->weight->grad->data;
  float *beta_grad = layer->bias->grad->data;

  for (int c = 0; c < channels; c++)
    {
      float mean = layer->mean[c];
      float invstd = layer->invstd[c];
      double sum_dy = 0.0;
      double sum_dy_xhat = 0.0;
      float a, b, k;

      for (int i = 0; i < n; i++)
        {
          gsize offset = ((gsize) i * channels + c) * plane;
          const float *x = in->data + offset;
          const float *dy = out_grad->data + offset;

          for (gsize j = 0; j < plane; j++)
            {
              sum_dy += dy[j];
              sum_dy_xhat += dy[j] * (x[j] - mean) * invstd;
            }
        }

      gamma_grad[c] += (float) sum_dy_xhat;
      beta_grad[c] += (float) sum_dy;

      if (in_grad == NULL)
        continue;

      /* Training: dx = gamma·invstd/M · (M·dy − Σdy − xhat·Σ(dy·xhat)).
       * Inference: the statistics are constants, dx = gamma·invstd·dy.
       * Both are dx = a·dy + b·(x − mean) + k. */
      a = gamma[c] * invstd;
      if (layer->trained)
        {
          b = -a * invstd * (float) sum_dy_xhat / count;
          k = -a * (float) sum_dy / count;
        }
      else
        {
          b = 0.0f;
          k = 0.0f;
        }

      for (int i = 0; i < n; i++)
        {
          gsize offset = ((gsize) i * channels + c) * plane;
          batch_norm_input_grad (in->data + offset, out_grad->data + offset,
                                 in_grad->data + offset, plane, a, b,
                                 k - b * mean);
        }
    }
}

/* Dense */

/* A dense layer whose sgemms have at least this many multiply-adds in a
 * pass is split into column chunks that the workers share.  LeNet's
 * 784 → 64 layer takes 30 µs for each of its three sgemms at batch 32,
 * an eighth of a training step, which the other core would otherwise
 * spend waiting; below about 5 µs of work (this many multiply-adds) the
 * hand-off to a worker and the smaller sgemms would cost more than they
 * save. */
#define DENSE_SPLIT_MACS (256 * 1024)

/* At most this many chunks: enough for a few cores, and chunks of fewer
 * columns make sgemms that spend more of their time packing (LeNet's
 * three sgemms cost 8 % more cut in four, 23 % more in eight). */
#define DENSE_MAX_CHUNKS 4

/* Chunk edges fall on multiples of this many columns, a cache line of
 * floats, so that no two workers write the same line of a row. */
#define DENSE_CHUNK_ALIGN 16

/* How many chunks of columns a dense sgemm of n × columns × depth is cut
 * into.  It depends on the shape only, never on the thread count, so
 * every thread count gives the same bits. */
static int
count_dense_chunks (int n,
                    int columns,
                    int depth)
{
  gint64 macs = (gint64) n * columns * depth;

  if (macs < DENSE_SPLIT_MACS)
    return 1;

  return CLAMP (columns / DENSE_CHUNK_ALIGN, 1, DENSE_MAX_CHUNKS);
}

/* Columns [*first, *last) of chunk c of n_chunks over columns, edges on
 * multiples of DENSE_CHUNK_ALIGN; none is empty, as count_dense_chunks ()
 * gives at most one chunk per DENSE_CHUNK_ALIGN columns. */
static void
dense_chunk (int  columns,
             int  n_chunks,
             int  c,
             int *first,
             int *last)
{
  int lines = columns / DENSE_CHUNK_ALIGN;

  *first = (int) ((gint64) lines * c / n_chunks) * DENSE_CHUNK_ALIGN;
  *last = c + 1 < n_chunks
          ? (int) ((gint64) lines * (c + 1) / n_chunks) * DENSE_CHUNK_ALIGN
          : columns;
}

typedef struct
{
  CnvLayer        *layer;
  const CnvTensor *in;
  CnvTensor       *out;
  const CnvTensor *out_grad;
  CnvTensor       *in_grad;
  int              n_chunks;
} DenseJob;

/* Chunks [start, end) of the units of out [N, units] =
 * bias + in [N, in] · weight^T [in, units]. */
static void
dense_forward_range (gpointer data,
                     int      worker,
                     int      start,
                     int      end)
{
  DenseJob *job = data;
  int n = job->in->shape[0];
  int in_features = (int) shape_size (&job->layer->in);
  int units = job->layer->spec->units;
  const float *bias = job->layer->bias->value->data;
  const float *weight = job->layer->weight->value->data;

  for (int c = start; c < end; c++)
    {
      int u0, u1;

      dense_chunk (units, job->n_chunks, c, &u0, &u1);

      /* out [N, u0:u1] <- bias [u0:u1] */
      for (int i = 0; i < n; i++)
        memcpy (job->out->data + (gsize) i * units + u0, bias + u0,
                sizeof (float) * (gsize) (u1 - u0));

      /* out [N, u0:u1] += in [N, in] · weight [u0:u1, in]^T */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                   n, u1 - u0, in_features,
                   1.0f, job->in->data, in_features,
                   weight + (gsize) u0 * in_features, in_features,
                   1.0f, job->out->data + u0, units);
    }
}

static void
dense_forward (CnvLayer        *layer,
               const CnvTensor *in,
               CnvTensor       *out)
{
  int n = in->shape[0];
  int units = layer->spec->units;
  DenseJob job = { layer, in, out, NULL, NULL, 0 };

  job.n_chunks = count_dense_chunks (n, units, (int) shape_size (&layer->in));
  parallel_for (job.n_chunks, count_workers (job.n_chunks),
                dense_forward_range, &job);
}

/* Chunks [start, end) of the input features: the weight gradient and the
 * input gradient of columns [c0, c1). */
static void
dense_backward_range (gpointer data,
                      int      worker,
                      int      start,
                      int      end)
{
  DenseJob *job = data;
  int n = job->in->shape[0];
  int in_features = (int) shape_size (&job->layer->in);
  int units = job->layer->spec->units;
  const float *weight = job->layer->weight->value->data;
  float *weight_grad = job->layer->weight->grad->data;

  for (int c = start; c < end; c++)
    {
      int c0, c1;

      dense_chunk (in_features, job->n_chunks, c, &c0, &c1);

      /* weight_grad [units, c0:c1] += out_grad^T [units, N]
       *                               · in [N, c0:c1] */
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                   units, c1 - c0, n,
                   1.0f, job->out_grad->data, units,
                   job->in->data + c0, in_features,
                   1.0f, weight_grad + c0, in_features);

      if (job->in_grad == NULL)
        continue;

      /* in_grad [N, c0:c1] = out_grad [N, units] · weight [units, c0:c1] */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   n, c1 - c0, units,
                   1.0f, job->out_grad->data, units,
                   weight + c0, in_features,
                   0.0f, job->in_grad->data + c0, in_features);
    }
}

static void
dense_backward (CnvLayer        *layer,
                const CnvTensor *in,
                const CnvTensor *out_grad,
                CnvTensor       *in_grad)
{
  int n = in->shape[0];
  int in_features = (int) shape_size (&layer->in);
  int units = layer->spec->units;
  float *bias_grad = layer->bias->grad->data;
  DenseJob job = { layer, in, NULL, out_grad, in_grad, 0 };

  /* bias_grad [units] += Σ_n out_grad [N, units] */
  for (int i = 0; i < n; i++)
    {
      const float *dy = out_grad->data + (gsize) i * units;

      for (int u = 0; u < units; u++)
        bias_grad[u] += dy[u];
    }

  job.n_chunks = count_dense_chunks (n, in_features, units);
  parallel_for (job.n_chunks, count_workers (job.n_chunks),
                dense_backward_range, &job);
}

/* Dropout and element-wise activations */

static void
dropout_forward (CnvLayer        *layer,
                 const CnvTensor *in,
                 CnvTensor       *out,
                 gboolean         training,
                 CnvRng          *rng)
{
  float rate = layer->spec->rate;
  float keep_scale;

  layer->trained = training && rate > 0.0f;
  if (!layer->trained)
    {
      memcpy (out->data, in->data, sizeof (float) * in->size);
      return;
    }

  /* Inverted dropout: kept values are scaled at training time so that
   * inference is the identity. */
  keep_scale = 1.0f / (1.0f - rate);
  cnv_rng_fill_uniform (rng, layer->mask, in->size);
  for (gsize i = 0; i < in->size; i++)
    {
      layer->mask[i] = layer->mask[i] >= rate ? keep_scale : 0.0f;
      out->data[i] = in->data[i] * layer->mask[i];
    }
}

/* Element-wise kernels.  Each is a function of its own so that restrict
 * on the parameters lets gcc vectorise it without alias checks. */

static void
relu_forward (const float *restrict x,
              float *restrict       y,
              gsize                 n)
{
  cnv_relu_row (x, y, n);
}

static void
leaky_relu_forward (const float *restrict x,
                    float *restrict       y,
                    gsize                 n,
                    float                 slope)
{
  cnv_leaky_relu_row (x, y, n, slope);
}

static void
relu_backward (const float *restrict x,
               const float *restrict dy,
               float *restrict       dx,
               gsize                 n,
               float                 slope)
{
  cnv_relu_grad_row (x, dy, dx, n, slope);
}

static void
sigmoid_backward (const float *restrict y,
                  const float *restrict dy,
                  float *restrict       dx,
                  gsize                 n)
{
  cnv_sigmoid_grad_row (y, dy, dx, n);
}

static void
tanh_backward (const float *restrict y,
               const float *restrict dy,
               float *restrict       dx,
               gsize                 n)
{
  cnv_tanh_grad_row (y, dy, dx, n);
}

static void
activation_forward (CnvLayerKind     kind,
                    float            slope,
                    const CnvTensor *in,
                    CnvTensor       *out)
{
  const float *x = in->data;
  float *y = out->data;
  gsize size = in->size;

  switch (kind)
    {
    case CNV_LAYER_RELU:
      relu_forward (x, y, size);
      break;
    case CNV_LAYER_LEAKY_RELU:
      leaky_relu_forward (x, y, size, slope);
      break;
    case CNV_LAYER_SIGMOID:
      for (gsize i = 0; i < size; i++)
        y[i] = 1.0f / (1.0f + expf (-x[i]));
      break;
    case CNV_LAYER_TANH:
      for (gsize i = 0; i < size; i++)
        y[i] = tanhf (x[i]);
      break;
    case CNV_LAYER_CONV2D:
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_DROPOUT:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_DENSE:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static void
activation_backward (CnvLayerKind     kind,
                     float            slope,
                     const CnvTensor *in,
                     const CnvTensor *out,
                     const CnvTensor *out_grad,
                     CnvTensor       *in_grad)
{
  gsize size = in->size;

  switch (kind)
    {
    case CNV_LAYER_RELU:
      relu_backward (in->data, out_grad->data, in_grad->data, size, 0.0f);
      break;
    case CNV_LAYER_LEAKY_RELU:
      relu_backward (in->data, out_grad->data, in_grad->data, size, slope);
      break;
    case CNV_LAYER_SIGMOID:
      sigmoid_backward (out->data, out_grad->data, in_grad->data, size);
      break;
    case CNV_LAYER_TANH:
      tanh_backward (out->data, out_grad->data, in_grad->data, size);
      break;
    case CNV_LAYER_CONV2D:
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_DROPOUT:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_DENSE:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* Softmax over the channels of every sample and position: out[n, :, p] =
 * exp (in[n, :, p] − max) / Σ exp (in[n, :, p] − max).  A flat sample is
 * one position of `channels` features. */
static void
softmax_forward (const CnvLayer  *layer,
                 const CnvTensor *in,
                 CnvTensor       *out)
{
  int channels = layer->in.channels;
  gsize plane = (gsize) layer->in.height * (gsize) layer->in.width;

  for (int n = 0; n < in->shape[0]; n++)
    for (gsize p = 0; p < plane; p++)
      {
        const float *x = in->data + (gsize) n * channels * plane + p;
        float *y = out->data + (gsize) n * channels * plane + p;
        float max = x[0];
        float sum = 0.0f;

        for (int c = 1; c < channels; c++)
          max = MAX (max, x[c * plane]);
        for (int c = 0; c < channels; c++)
          {
            y[c * plane] = expf (x[c * plane] - max);
            sum += y[c * plane];
          }
        for (int c = 0; c < channels; c++)
          y[c * plane] /= sum;
      }
}

/* d in[c] = out[c] · (d out[c] − Σ_k d out[k] · out[k]) at each position. */
static void
softmax_backward (const CnvLayer  *layer,
                  const CnvTensor *out,
                  const CnvTensor *out_grad,
                  CnvTensor       *in_grad)
{
  int channels = layer->in.channels;
  gsize plane = (gsize) layer->in.height * (gsize) layer->in.width;

  for (int n = 0; n < out->shape[0]; n++)
    for (gsize p = 0; p < plane; p++)
      {
        gsize base = (gsize) n * channels * plane + p;
        const float *y = out->data + base;
        const float *dy = out_grad->data + base;
        float *dx = in_grad->data + base;
        float dot = 0.0f;

        for (int c = 0; c < channels; c++)
          dot += dy[c * plane] * y[c * plane];
        for (int c = 0; c < channels; c++)
          dx[c * plane] = y[c * plane] * (dy[c * plane] - dot);
      }
}

/* Dispatch */

/* argmax: the max-pool indices of in's first image. */
static void
forward_kind (CnvLayer        *layer,
              const CnvTensor *in,
              CnvTensor       *out,
              gboolean         training,
              CnvRng          *rng,
              int             *argmax)
{
  CnvLayerKind kind = layer->spec->kind;

  switch (kind)
    {
    case CNV_LAYER_CONV2D:
      conv_forward (layer, in, out, NULL);
      break;
    case CNV_LAYER_MAX_POOL:
      max_pool_forward (layer, in, out, argmax);
      break;
    case CNV_LAYER_AVG_POOL:
      avg_pool_run (layer, in->data, out->data, in->shape[0], FALSE);
      break;
    case CNV_LAYER_GLOBAL_AVG_POOL:
      global_avg_pool_forward (layer, in, out);
      break;
    case CNV_LAYER_BATCH_NORM:
      batch_norm_forward (layer, in, out, training);
      break;
    case CNV_LAYER_DROPOUT:
      dropout_forward (layer, in, out, training, rng);
      break;
    case CNV_LAYER_FLATTEN:
      /* NCHW is already C-H-W order within a sample. */
      memcpy (out->data, in->data, sizeof (float) * in->size);
      break;
    case CNV_LAYER_DENSE:
      dense_forward (layer, in, out);
      break;
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
      activation_forward (kind, layer->spec->slope, in, out);
      break;
    case CNV_LAYER_SOFTMAX:
      softmax_forward (layer, in, out);
      break;
    case CNV_N_LAYER_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static void
backward_kind (CnvLayer        *layer,
               const CnvTensor *in,
               const CnvTensor *out,
               const CnvTensor *out_grad,
               CnvTensor       *in_grad,
               const int       *argmax)
{
  CnvLayerKind kind = layer->spec->kind;

  switch (kind)
    {
    case CNV_LAYER_CONV2D:
      conv_backward (layer, in, out, out_grad, NULL, in_grad);
      return;
    case CNV_LAYER_BATCH_NORM:
      batch_norm_backward (layer, in, out_grad, in_grad);
      return;
    case CNV_LAYER_DENSE:
      dense_backward (layer, in, out_grad, in_grad);
      return;
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_DROPOUT:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      break;
    }

  /* The kinds below have no parameters: nothing to do without in_grad. */
  if (in_grad == NULL)
    return;

  switch (kind)
    {
    case CNV_LAYER_MAX_POOL:
      max_pool_backward (layer, out_grad, in_grad, argmax);
      break;
    case CNV_LAYER_AVG_POOL:
      cnv_tensor_zero (in_grad);
      avg_pool_run (layer, in_grad->data, out_grad->data, in->shape[0], TRUE);
      break;
    case CNV_LAYER_GLOBAL_AVG_POOL:
      global_avg_pool_backward (layer, out_grad, in_grad);
      break;
    case CNV_LAYER_DROPOUT:
      if (layer->trained)
        for (gsize i = 0; i < in->size; i++)
          in_grad->data[i] = out_grad->data[i] * layer->mask[i];
      else
        memcpy (in_grad->data, out_grad->data, sizeof (float) * in->size);
      break;
    case CNV_LAYER_FLATTEN:
      memcpy (in_grad->data, out_grad->data, sizeof (float) * in->size);
      break;
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
      activation_backward (kind, layer->spec->slope, in, out, out_grad,
                           in_grad);
      break;
    case CNV_LAYER_SOFTMAX:
      softmax_backward (layer, out, out_grad, in_grad);
      break;
    case CNV_LAYER_CONV2D:
    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_DENSE:
    case CNV_N_LAYER_KINDS:
    default:
      g_assert_not_reached ();
    }
}

void
cnv_layer_forward (CnvLayer        *layer,
                   const CnvTensor *in,
                   CnvTensor       *out,
                   gboolean         training,
                   CnvRng          *rng)
{
  g_assert (in->shape[0] <= layer->batch && out->shape[0] == in->shape[0]);

  forward_kind (layer, in, out, training, rng, layer->argmax);
}

void
cnv_layer_backward (CnvLayer        *layer,
                    const CnvTensor *in,
                    const CnvTensor *out,
                    const CnvTensor *out_grad,
                    CnvTensor       *in_grad)
{
  backward_kind (layer, in, out, out_grad, in_grad, layer->argmax);
}

/* Running a stretch of layers one image at a time */

gboolean
cnv_layer_runs_per_image (const CnvLayer *layer)
{
  switch (layer->spec->kind)
    {
    case CNV_LAYER_CONV2D:
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
      return TRUE;
    /* Batch statistics, a mask drawn over the whole batch, and sgemms
     * over the whole batch (shared by the workers in column chunks). */
    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_DROPOUT:
    case CNV_LAYER_DENSE:
    case CNV_N_LAYER_KINDS:
    default:
      return FALSE;
    }
}

int
cnv_layer_count_grad_blocks (const CnvLayer *layer,
                             int             n)
{
  if (layer->spec->kind != CNV_LAYER_CONV2D)
    return MIN (n, MAX_GRAD_BLOCKS);

  return count_grad_blocks (layer, n);
}

void
cnv_layer_prepare_images (CnvLayer *layer,
                          int       n_workers,
                          int       n_blocks)
{
  if (layer->spec->kind != CNV_LAYER_CONV2D)
    return;

  ensure_workers (layer, n_workers);
  if (n_blocks > 0)
    ensure_grad_blocks (layer, n_blocks);
  pack_direct (layer, n_blocks > 0);
}

void
cnv_layer_begin_grad_block (CnvLayer *layer,
                            int       block)
{
  if (layer->spec->kind == CNV_LAYER_CONV2D)
    zero_row (grad_block (layer, block),
              layer->weight->grad->size + layer->bias->grad->size);
}

void
cnv_layer_sum_grad_blocks (CnvLayer *layer,
                           int       n_blocks)
{
  if (layer->spec->kind == CNV_LAYER_CONV2D)
    sum_grad_blocks (layer, n_blocks);
}

/* images [start, end) of t, as a batch of their own */
static CnvTensor
images_view (const CnvTensor *t,
             int              start,
             int              end)
{
  CnvTensor view = *t;
  gsize per_image = t->size / (gsize) t->shape[0];

  view.data = t->data + per_image * (gsize) start;
  view.shape[0] = end - start;
  view.size = per_image * (gsize) (end - start);

  return view;
}

static int *
argmax_of (const CnvLayer *layer,
           int             img)
{
  if (layer->argmax == NULL)
    return NULL;

  return layer->argmax + shape_size (&layer->out) * (gsize) img;
}

void
cnv_layer_forward_images (CnvLayer        *layer,
                          const CnvTensor *in,
                          CnvTensor       *out,
                          CnvTensor       *relu_out,
                          int              worker,
                          int              start,
                          int              end)
{
  CnvTensor in_view, out_view;

  g_assert (end <= layer->batch);

  if (layer->spec->kind == CNV_LAYER_CONV2D)
    {
      conv_forward_images (layer, in, out, relu_out, worker, start, end);
      return;
    }

  in_view = images_view (in, start, end);
  out_view = images_view (out, start, end);
  forward_kind (layer, &in_view, &out_view, FALSE, NULL,
                argmax_of (layer, start));
}

void
cnv_layer_backward_image (CnvLayer        *layer,
                          const CnvTensor *in,
                          const CnvTensor *out,
                          CnvTensor       *out_grad,
                          const CnvTensor *relu_out_grad,
                          CnvTensor       *in_grad,
                          int              worker,
                          int              block,
                          int              img)
{
  CnvTensor in_view, out_view, out_grad_view, in_grad_view;

  if (layer->spec->kind == CNV_LAYER_CONV2D)
    {
      float *weight_grad = grad_block (layer, block);

      conv_backward_image (layer, in, out, out_grad, relu_out_grad, in_grad,
                           worker, img, weight_grad,
                           weight_grad + layer->weight->grad->size);
      return;
    }

  in_view = images_view (in, img, img + 1);
  out_view = images_view (out, img, img + 1);
  out_grad_view = images_view (out_grad, img, img + 1);
  if (in_grad != NULL)
    in_grad_view = images_view (in_grad, img, img + 1);
  backward_kind (layer, &in_view, &out_view, &out_grad_view,
                 in_grad != NULL ? &in_grad_view : NULL,
                 argmax_of (layer, img));
}

void
cnv_layer_forward_conv_relu (CnvLayer        *conv,
                             const CnvTensor *in,
                             CnvTensor       *conv_out,
                             CnvTensor       *relu_out)
{
  g_return_if_fail (conv->spec->kind == CNV_LAYER_CONV2D);

  conv_forward (conv, in, conv_out, relu_out);
}

void
cnv_layer_backward_conv_relu (CnvLayer        *conv,
                              const CnvTensor *in,
                              const CnvTensor *conv_out,
                              CnvTensor       *conv_out_grad,
                              const CnvTensor *relu_out_grad,
                              CnvTensor       *in_grad)
{
  g_return_if_fail (conv->spec->kind == CNV_LAYER_CONV2D);

  conv_backward (conv, in, conv_out, conv_out_grad, relu_out_grad, in_grad);
}
