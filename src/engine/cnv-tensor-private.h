/* cnv-tensor-private.h — tensors allocated together, and moved, for the
 * engine
 *
 * Opening small-vgg's checkpoint fills 16 MB of new tensors.  Allocated one
 * by one, each tensor under 2 MiB is faulted in 4 KiB at a time, and a
 * fault costs about 1.5 µs on a virtual machine: 1,000 of them for its
 * 4 MB of such tensors.  Laid out in one mapping, the whole group takes
 * 2 MiB pages where the kernel allows them.
 */
#pragma once

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

/* Exchanges the data of a and b, which hold as many elements, without
 * copying them; each buffer is freed the way it was allocated, whichever
 * tensor holds it then.  Neither may be a view. */
void     cnv_tensor_swap_data (CnvTensor *a,
                               CnvTensor *b);

G_END_DECLS
