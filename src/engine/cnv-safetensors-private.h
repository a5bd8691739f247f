/* cnv-safetensors-private.h — a safetensors file read while its checksum
 * is still being taken
 *
 * Even XXH3 takes 1.5 ms over small-vgg's 16 MB with Adam's state, about
 * as long as converting them.  cnv_safetensors_read_begin () returns once
 * the tensors are loaded, with the checksum still being computed in a
 * thread, so that the caller can build from them meanwhile;
 * cnv_safetensors_read_finish () waits for it and says whether the file
 * is damaged.  Nothing read may be used or shown before it says not.
 */
#pragma once

#include "cnv-checkpoint.h"

G_BEGIN_DECLS

typedef struct _CnvPendingChecksum CnvPendingChecksum;

/* cnv_safetensors_read () but for the checksum, which *pending holds,
 * taken or still being taken, when the file has one; NULL when it has
 * none, and on failure. */
CnvSafetensors *cnv_safetensors_read_begin  (const char          *path,
                                             CnvPendingChecksum **pending,
                                             GError             **error);
/* Waits for the checksum and frees pending; FALSE with the damage in error
 * when it does not match.  TRUE for a NULL pending. */
gboolean        cnv_safetensors_read_finish (CnvPendingChecksum  *pending,
                                             GError             **error);

/* Whether the reader saw that no value of named is an infinity or a NaN
 * as it converted them; FALSE when it did not read named. */
gboolean        cnv_safetensors_known_finite (const CnvNamedTensor *named);

G_END_DECLS
