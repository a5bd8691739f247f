/* cnv-classifier-private.h — what cnv-checkpoint.c needs of
 * cnv-classifier.c beyond the public API
 */
#pragma once

#include "cnv-classifier.h"

G_BEGIN_DECLS

/* cnv_classifier_new () with every parameter left at zero instead of a
 * random start, for a reader that fills them all from a file: drawing
 * 1.3 million normal numbers took a quarter of the time to open a
 * small-vgg checkpoint. */
CnvClassifier *cnv_classifier_new_unset (const CnvModelSpec     *spec,
                                         const CnvPreprocessing *pp,
                                         const char * const     *class_names,
                                         guint64                 seed,
                                         GError                **error);

G_END_DECLS
