/* cnv-checkpoint-private.h — a checkpoint read in two halves, shared by
 * cnv-checkpoint.c and cnv-diff.c
 *
 * cnv_checkpoint_load () is cnv_checkpoint_read_contents () then
 * cnv_checkpoint_contents_to_classifier ().  The first half validates the
 * container, the format marker and version, and every metadata document
 * but the model, which it only parses as JSON; the second builds the
 * model and requires exactly its tensors.  The diff reads the first half
 * alone, so that a checkpoint Convolve cannot run (an unknown layer type,
 * a missing tensor) can still be shown.
 */
#pragma once

#include "cnv-checkpoint.h"

G_BEGIN_DECLS

typedef struct
{
  char               *display;       /* the file's name, for messages */
  CnvSafetensors     *st;            /* every tensor, converted to F32 */
  JsonNode           *model;         /* the "model" document */
  /* A classifier without a model: preprocessing, classes, threshold,
   * seed, batch size, history, dataset summary, dtype notices.  NULL
   * once cnv_checkpoint_contents_to_classifier () took it. */
  CnvClassifier      *info;
  gboolean            has_optimizer; /* "training" names an optimizer */
  CnvOptimizerConfig  optimizer;
  gint64              step;
} CnvCheckpointContents;

CnvCheckpointContents *cnv_checkpoint_read_contents (const char  *path,
                                                     GError     **error);
void                   cnv_checkpoint_contents_free (CnvCheckpointContents *contents);
/* Builds the classifier the contents describe, taking contents->info
 * and the values of the tensors of contents->st it uses, which hold no
 * meaningful values afterwards. */
CnvClassifier         *cnv_checkpoint_contents_to_classifier (CnvCheckpointContents  *contents,
                                                              GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvCheckpointContents,
                               cnv_checkpoint_contents_free)

G_END_DECLS
