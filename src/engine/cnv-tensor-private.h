/* cnv-tensor-private.h — tensors allocated together, moved, and checked
 * for infinities and NaNs, for the engine
 *
 * Opening small-vgg's checkpoint fills 16 MB of new tensors.  Allocated one
 * by one, each tensor under 2 MiB is faulted in 4 KiB at a time, and a
 * fault costs about 1.5 µs on a virtual machine: 1,000 of them for its
 * 4 MB of such tensors.  Laid out in one mapping, the whole group takes
 * 2 MiB pages where the kernel allows them.  And the loop that looks
 * for infinities and NaNs, which cnv-avx512.c builds for AVX-512.
 */
#pragma once

#include <string.h>

#include "cnv-tensor.h"

G_BEGIN_DECLS

/* tensors[i] <- a tensor of ndims[i] dimensions shapes[i], for i below n,
 * its data left as it is for the caller to overwrite; each is freed on
 * its own with cnv_tensor_free ().  FALSE, with every tensors[i] NULL,
 * when a shape is too large or memory is short. */
gboolean cnv_tensor_new_group (guint       n,
                               const int  *ndims,
                               const int (*shapes)[CNV_TENSOR_MAX_DIMS],
                               CnvTensor **tensors);

/* A tensor of ndim dimensions shape whose elements are left as they
 * are, for a caller that writes every one (or swaps data in) before any
 * is read; NULL when the shape is too large or memory is short.  Opening
 * small-vgg's checkpoint made 2.4 MB of Adam's state zero, faulting in
 * every page, only to swap it for the state in the file. */
CnvTensor *cnv_tensor_new_unfilled (int        ndim,
                                    const int *shape);

/* Exchanges the data of a and b, which hold as many elements, without
 * copying them; each buffer is freed the way it was allocated, whichever
 * tensor holds it then.  Neither may be a view. */
void     cnv_tensor_swap_data (CnvTensor *a,
                               CnvTensor *b);

/* Whether none of the n floats of data is an infinity or a NaN: by the
 * exponent bits rather than isfinite (), and without an early exit, so
 * that gcc runs the loop many lanes at a time.  Inline, so that
 * cnv-avx512.c builds it for AVX-512 (cnv_avx512_floats_finite ()), where
 * it takes sixteen floats a step instead of four: opening small-vgg's
 * checkpoint looks at 4 million. */
static inline gboolean
cnv_floats_finite_loop (const float *data,
                        gsize        n)
{
  guint32 not_finite = 0;

  for (gsize i = 0; i < n; i++)
    {
      guint32 bits;

      memcpy (&bits, &data[i], sizeof bits);
      not_finite |= (bits & 0x7f800000u) == 0x7f800000u;
    }

  return not_finite == 0;
}

/* cnv_floats_finite_loop () compiled for AVX-512: call it only where
 * cnv_layers_avx512_allowed () says so. */
gboolean cnv_avx512_floats_finite (const float *data,
                                   gsize        n);

G_END_DECLS
