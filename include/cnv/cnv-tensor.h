/* cnv-tensor.h — dense float32 tensors in NCHW order
 *
 * A tensor is a flat, 64-byte aligned float array with up to four
 * dimensions.  It owns its data.  Everything numeric in Convolve, from
 * weights to activations to optimizer state, is one of these.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CNV_TENSOR_MAX_DIMS 4

typedef struct
{
  int    ndim;
  int    shape[CNV_TENSOR_MAX_DIMS];
  gsize  size;   /* number of elements: product of shape */
  float *data;   /* owned, zero-initialised, 64-byte aligned */
} CnvTensor;

/* Returns NULL only when the element count overflows or memory is short. */
CnvTensor *cnv_tensor_new        (int           ndim,
                                  const int    *shape);
CnvTensor *cnv_tensor_new_1d     (int           n);
CnvTensor *cnv_tensor_new_2d     (int           rows,
                                  int           cols);
CnvTensor *cnv_tensor_new_4d     (int           n,
                                  int           c,
                                  int           h,
                                  int           w);
CnvTensor *cnv_tensor_copy       (const CnvTensor *tensor);
void       cnv_tensor_free       (CnvTensor    *tensor);
void       cnv_tensor_zero       (CnvTensor    *tensor);
gboolean   cnv_tensor_same_shape (const CnvTensor *a,
                                  const CnvTensor *b);
/* "[8, 1, 5, 5]" — for messages. */
char      *cnv_tensor_shape_string (const CnvTensor *tensor);

/* Whether none of the n floats at data is an infinity or a NaN. */
gboolean   cnv_floats_finite     (const float  *data,
                                  gsize         n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvTensor, cnv_tensor_free)

G_END_DECLS
