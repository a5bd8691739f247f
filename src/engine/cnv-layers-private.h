/* cnv-layers-private.h — one runnable layer, shared by cnv-model.c and
 * cnv-layers.c
 *
 * A CnvLayer is a layer spec with its inferred shapes, borrowed pointers to
 * its parameters, and the per-batch caches its backward pass needs.  The
 * model owns the activations; a layer only reads its input and writes its
 * output.
 */
#pragma once

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
  float              *cols;         /* conv2d: [C*KH*KW, OH*OW] per worker */
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

G_END_DECLS
