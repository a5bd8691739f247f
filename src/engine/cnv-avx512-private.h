/* cnv-avx512-private.h — kernels written for AVX-512
 *
 * Stride-1 convolutions without a patch matrix, and the 2×2 max-pool,
 * and the switch that says where they may run.  Compiled for AVX-512:
 * call them only where cnv_layers_avx512_allowed () says so.  The convolutions
 * run one image at a time; the caller gives every thread its own
 * buffers, sized by the functions below.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* For tests: where the kernels of this file run, on a CPU with AVX-512
 * (cnv-layers.c keeps the setting, and the layers, the optimizer and
 * the tensors' finite check follow it).  Not thread-safe: set it while
 * no model runs. */
typedef enum
{
  CNV_AVX512_AUTO,    /* the 2×2 max-pool, and the stride-1 convolutions
                       * they run faster than im2col and sgemm */
  CNV_AVX512_NEVER,   /* nowhere: the portable loops everywhere */
  CNV_AVX512_ALWAYS,  /* also every stride-1 convolution they can run */
} CnvAvx512Mode;

void     cnv_layers_set_avx512       (CnvAvx512Mode mode);
gboolean cnv_layers_avx512_supported (void);
/* The kernels of cnv-avx512.c may run: the CPU has them, and the tests
 * have not said CNV_AVX512_NEVER. */
gboolean cnv_layers_avx512_allowed   (void);

/* One stride-1 convolution: input [channels, height, width] padded by
 * pad_top rows and pad_left columns (and whatever the output size needs
 * at the bottom and right), kernel [filters, channels, kh, kw], output
 * [filters, out_h, out_w]. */
typedef struct
{
  int channels, height, width;
  int kh, kw;
  int pad_top, pad_left;
  int out_h, out_w;
  int filters;
} CnvDirectGeometry;

/* The convolution whose output is the input gradient of g: the output
 * gradient convolved with g's kernel turned round. */
void  cnv_direct_transposed      (const CnvDirectGeometry *g,
                                  CnvDirectGeometry       *t);

/* Floats of the buffers one image needs. */
gsize cnv_direct_packed_size     (const CnvDirectGeometry *g);
gsize cnv_direct_padded_size     (const CnvDirectGeometry *g);

/* packed <- weight [filters, channels*kh*kw] in the order the kernel
 * reads it; flipped: packed for cnv_direct_transposed (g) from g's
 * weight. */
void  cnv_direct_pack            (const CnvDirectGeometry *g,
                                  const float             *weight,
                                  float                   *packed);
void  cnv_direct_pack_flipped    (const CnvDirectGeometry *g,
                                  const float             *weight,
                                  float                   *packed);

/* padded <- image with its zero border. */
void  cnv_direct_pad             (const CnvDirectGeometry *g,
                                  const float             *image,
                                  float                   *padded);

/* out [filters, out_h, out_w] = bias (zero when NULL) + weight ∗ image,
 * from cnv_direct_pad ()'s padded; relu, when not NULL, gets max (out, 0)
 * too. */
void  cnv_direct_forward         (const CnvDirectGeometry *g,
                                  const float             *packed,
                                  const float             *bias,
                                  const float             *padded,
                                  float                   *out,
                                  float                   *relu);

/* weight_grad [filters, channels*kh*kw] += the weight gradient of one
 * image: padded from cnv_direct_pad (), out_grad [filters, out_h,
 * out_w]; buffer, of cnv_direct_grad_buffer_size () floats (aligned as
 * floats are: the kernel puts its parts on cache lines), holds the
 * partial sums and a copy of one tile of the output gradient, or on a
 * small plane the whole output gradient turned to [output][filter]. */
gsize cnv_direct_grad_buffer_size (const CnvDirectGeometry *g);
void  cnv_direct_weight_grad     (const CnvDirectGeometry *g,
                                  const float             *padded,
                                  const float             *out_grad,
                                  float                   *buffer,
                                  float                   *weight_grad);

/* out [planes, height / 2, width / 2] = the maximum of each 2×2 window
 * of in [planes, height, width], argmax its index in the plane; the
 * first maximum wins ties, as in cnv-layers.c's loops, to the bit. */
void  cnv_avx512_max_pool_2x2    (gsize            planes,
                                  int              height,
                                  int              width,
                                  const float     *in,
                                  float           *out,
                                  int             *argmax);

/* in_grad [planes, height, width] = out_grad [planes, height / 2,
 * width / 2] put back where argmax says, zero elsewhere: the backward of
 * cnv_avx512_max_pool_2x2 (), to the bit of cnv-layers.c's scatter. */
void  cnv_avx512_max_unpool_2x2  (gsize            planes,
                                  int              height,
                                  int              width,
                                  const float     *out_grad,
                                  const int       *argmax,
                                  float           *in_grad);

G_END_DECLS
