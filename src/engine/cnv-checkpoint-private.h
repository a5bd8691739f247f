/* cnv-checkpoint-private.h — what cnv-safetensors.c shares with
 * cnv-checkpoint.c
 */
#pragma once

#include "cnv-checkpoint.h"

G_BEGIN_DECLS

/* The prefix of the "checksum" metadata: "sha256:<64 hex digits>". */
#define CNV_CHECKPOINT_CHECKSUM_PREFIX "sha256:"

G_END_DECLS
