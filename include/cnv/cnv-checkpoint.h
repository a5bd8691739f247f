/* cnv-checkpoint.h — the .convolve file: a safetensors file with
 * Convolve's metadata (see docs/checkpoint-format.md)
 *
 * Two levels: cnv_safetensors_* read and write any safetensors file with
 * full validation before allocation; cnv_checkpoint_* map a CnvClassifier
 * to and from one.
 */
#pragma once

#include <gio/gio.h>

#include "cnv-classifier.h"

G_BEGIN_DECLS

#define CNV_CHECKPOINT_ERROR (cnv_checkpoint_error_quark ())

#define CNV_CHECKPOINT_FORMAT          "convolve-checkpoint"
#define CNV_CHECKPOINT_FORMAT_VERSION  1
/* Headers larger than this are refused before they are read. */
#define CNV_CHECKPOINT_MAX_HEADER      (100 * 1024 * 1024)

typedef enum
{
  CNV_CHECKPOINT_ERROR_IO,            /* cannot read or write the file */
  CNV_CHECKPOINT_ERROR_TRUNCATED,     /* fewer bytes than the header says */
  CNV_CHECKPOINT_ERROR_TRAILING,      /* more bytes than the header says */
  CNV_CHECKPOINT_ERROR_HEADER,        /* header length or JSON invalid */
  CNV_CHECKPOINT_ERROR_DTYPE,         /* unknown dtype */
  CNV_CHECKPOINT_ERROR_OFFSETS,       /* out of range, overlapping, gaps */
  CNV_CHECKPOINT_ERROR_SHAPE,         /* shape × dtype ≠ byte span */
  CNV_CHECKPOINT_ERROR_DUPLICATE,     /* a name appears twice */
  CNV_CHECKPOINT_ERROR_CHECKSUM,      /* tensor bytes do not match */
  CNV_CHECKPOINT_ERROR_FORMAT,        /* not a Convolve checkpoint */
  CNV_CHECKPOINT_ERROR_VERSION,       /* written by a newer format version */
  CNV_CHECKPOINT_ERROR_METADATA,      /* a metadata document is invalid */
  CNV_CHECKPOINT_ERROR_MISSING,       /* a tensor the model needs is absent */
  CNV_CHECKPOINT_ERROR_UNEXPECTED,    /* a tensor no layer owns */
  CNV_CHECKPOINT_ERROR_MODEL,         /* unknown layer type, bad shapes */
  CNV_CHECKPOINT_ERROR_VALUE,         /* a NaN, an infinity, a negative
                                       * variance in a tensor */
} CnvCheckpointError;

GQuark cnv_checkpoint_error_quark (void);

typedef struct
{
  char      *name;
  CnvTensor *tensor;        /* converted to F32 */
  char      *stored_dtype;  /* "F32", "F16", "BF16", "F64" */
} CnvNamedTensor;

typedef struct
{
  GHashTable *metadata;     /* char* → char*, the __metadata__ strings */
  GPtrArray  *tensors;      /* CnvNamedTensor*, in file order; entries
                             * come from cnv_safetensors_add* () or
                             * the reader only, never made by hand */
} CnvSafetensors;

CnvSafetensors *cnv_safetensors_new   (void);
void            cnv_safetensors_free  (CnvSafetensors *st);
/* Adds a copy of tensor under name. */
void            cnv_safetensors_add   (CnvSafetensors  *st,
                                       const char      *name,
                                       const CnvTensor *tensor);
/* Adds tensor itself under name, for writing: st only reads it, and
 * tensor must outlive st. */
void            cnv_safetensors_add_borrowed (CnvSafetensors  *st,
                                              const char      *name,
                                              const CnvTensor *tensor);
CnvNamedTensor *cnv_safetensors_find  (const CnvSafetensors *st,
                                       const char           *name);
/* Validates everything before allocating; messages name the file, the
 * tensor and the byte offset.  Checks the checksums the metadata holds
 * (docs/checkpoint-format.md, §6). */
CnvSafetensors *cnv_safetensors_read  (const char     *path,
                                       GError        **error);
/* Tensors sorted by name, F32 little-endian; adds both checksums.
 * Atomic: the old file survives any failure. */
gboolean        cnv_safetensors_write (const CnvSafetensors *st,
                                       const char           *path,
                                       GError              **error);

/* Writes the classifier's own tensors, not copies: nothing may change
 * them until it returns, or the file's checksums would not match. */
gboolean        cnv_checkpoint_save   (const CnvClassifier  *classifier,
                                       const char           *path,
                                       GError              **error);
CnvClassifier  *cnv_checkpoint_load   (const char           *path,
                                       GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvSafetensors, cnv_safetensors_free)

G_END_DECLS
