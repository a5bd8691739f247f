/* cnv-layers-private.h — one runnable layer, shared by cnv-model.c and
 * cnv-layers.c
 *
 * A CnvLayer is a layer spec with its inferred shapes, borrowed pointers to
 * its parameters, and the per-batch caches its backward pass needs.  The
 * model owns the activations; a layer only reads its input and writes its
 * output.
 */
#pragma once

#include "cnv-avx512-private.h"
#include "cnv-model.h"

G_BEGIN_DECLS

typedef struct
{
  const CnvLayerSpec *spec;     /* borrowed from the model's spec */
  CnvShape            in;       /* one sample's input shape */
  CnvShape            out;      /* one sample's output shape */
  int                 pad_top;  /* windowed kinds: padding before the */
  int                 pad_left; /* first row / column ("same" only) */

  /* Borrowed from the model's parameter list; NULL when the kind has none. */
  CnvParam           *weight;
  CnvParam           *bias;
  CnvParam           *running_mean;
  CnvParam           *running_var;

  /* Per-batch caches, sized by cnv_layer_prepare (). */
  int                 batch;        /* samples the caches can hold */
  int                 n_workers;    /* conv2d: threads the buffers serve */
  gsize               cols_size;    /* conv2d: floats of one worker's */
  float              *cols;         /* conv2d: [C*KH*KW, tile] per worker,
                                     * or the direct kernels' buffers */
  gboolean            direct;       /* conv2d: this pass runs on the
                                     * kernels of cnv-avx512.c */
  float              *packed;       /* conv2d, direct: the kernel packed
                                     * forward, then turned round */
  int                 n_grad_blocks;
  float              *grad_blocks;  /* conv2d: weight and bias gradients of
                                     * each block of images */
  int                *argmax;       /* max-pool: input index per output */
  float              *mask;         /* dropout: 0 or 1/(1-rate) */
  float              *mean;         /* batch-norm: per channel */
  float              *invstd;       /* batch-norm: per channel */
  gboolean            trained;      /* last forward ran in training mode */
} CnvLayer;

/* Fills the geometry of layer from its spec and input shape. */
void cnv_layer_init     (CnvLayer           *layer,
                         const CnvLayerSpec *spec,
                         const CnvShape     *in,
                         const CnvShape     *out);
/* Makes the caches hold a batch of n samples; they only ever grow.
 * FALSE when memory is short. */
gboolean cnv_layer_prepare (CnvLayer           *layer,
                            int                 n);
void cnv_layer_clear    (CnvLayer           *layer);
/* in [N, ...in] → out [N, ...out]. */
void cnv_layer_forward  (CnvLayer           *layer,
                         const CnvTensor    *in,
                         CnvTensor          *out,
                         gboolean            training,
                         CnvRng             *rng);
/* Accumulates parameter gradients and, when in_grad is not NULL,
 * overwrites it with d loss / d in. */
void cnv_layer_backward (CnvLayer           *layer,
                         const CnvTensor    *in,
                         const CnvTensor    *out,
                         const CnvTensor    *out_grad,
                         CnvTensor          *in_grad);

/* A conv2d followed by a relu, run as one pass per image while its output
 * is still in the cache.  Forward fills both conv_out and relu_out;
 * backward overwrites conv_out_grad with d loss / d conv_out from
 * relu_out_grad, then runs the conv2d's backward.  Same bits as running
 * the two layers one after the other. */
void cnv_layer_forward_conv_relu  (CnvLayer           *conv,
                                   const CnvTensor    *in,
                                   CnvTensor          *conv_out,
                                   CnvTensor          *relu_out);
void cnv_layer_backward_conv_relu (CnvLayer           *conv,
                                   const CnvTensor    *in,
                                   const CnvTensor    *conv_out,
                                   CnvTensor          *conv_out_grad,
                                   const CnvTensor    *relu_out_grad,
                                   CnvTensor          *in_grad);

/* Running a stretch of layers one image at a time.
 *
 * A model runs each stretch of consecutive per-image layers (convolutions,
 * pools, activations, flatten) image by image, all layers of the stretch
 * for one image before the next image, so that the image's feature maps
 * stay in the cache from one layer to the next, and the images are
 * shared among the worker threads.  The layers whose forward pass needs
 * the whole batch (batch-norm, dropout, dense) run between the stretches.
 *
 * Backward runs image by image too, the images grouped in the blocks of
 * cnv_layer_count_grad_blocks (): each conv2d adds an image's weight
 * gradient into its block's buffer, and cnv_layer_sum_grad_blocks () adds
 * the blocks up in order, so the bits never depend on the threads. */
gboolean cnv_layer_runs_per_image   (const CnvLayer     *layer);
/* Blocks a batch of n is cut into for this layer; a stretch uses the
 * smallest count of its layers. */
int      cnv_layer_count_grad_blocks (const CnvLayer    *layer,
                                      int                n);
/* Buffers for n_workers threads and n_blocks gradient blocks (0 for a
 * forward pass, more for a backward one, whose weights it packs for).
 * Layers only grow them. */
void     cnv_layer_prepare_images   (CnvLayer           *layer,
                                     int                 n_workers,
                                     int                 n_blocks);
/* Zeroes the gradient buffer of block before its first image. */
void     cnv_layer_begin_grad_block (CnvLayer           *layer,
                                     int                 block);
/* param grads += the n_blocks block buffers, in order. */
void     cnv_layer_sum_grad_blocks  (CnvLayer           *layer,
                                     int                 n_blocks);
/* Forward of images [start, end) of the batch tensors in and out, using
 * worker's buffers; relu_out as in cnv_layer_forward_conv_relu (), conv2d
 * only, may be NULL. */
void     cnv_layer_forward_images   (CnvLayer           *layer,
                                     const CnvTensor    *in,
                                     CnvTensor          *out,
                                     CnvTensor          *relu_out,
                                     int                 worker,
                                     int                 start,
                                     int                 end);
/* Backward of image img, which is in block; relu_out_grad as in
 * cnv_layer_backward_conv_relu (), conv2d only, may be NULL; in_grad may
 * be NULL. */
void     cnv_layer_backward_image   (CnvLayer           *layer,
                                     const CnvTensor    *in,
                                     const CnvTensor    *out,
                                     CnvTensor          *out_grad,
                                     const CnvTensor    *relu_out_grad,
                                     CnvTensor          *in_grad,
                                     int                 worker,
                                     int                 block,
                                     int                 img);

/* Runs func (data, worker, start, end) over [0, n_items) cut into
 * n_workers contiguous ranges, the first in the calling thread, on the
 * engine's thread pool.  The ranges depend only on n_items and
 * n_workers. */
typedef void (*CnvRangeFunc) (gpointer data,
                              int      worker,
                              int      start,
                              int      end);

int      cnv_count_workers          (int                 n_items);
void     cnv_parallel_for           (int                 n_items,
                                     int                 n_workers,
                                     CnvRangeFunc        func,
                                     gpointer            data);

/* For tests: the floats one conv2d patch-matrix tile may hold (0: the
 * default).  Not thread-safe; set it while no model runs. */
void     cnv_layers_set_tile_budget (gsize               floats);

G_END_DECLS
