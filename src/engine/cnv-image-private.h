/* cnv-image-private.h — image loading with the reason on its own, for the
 * dataset's list of skipped files. */
#pragma once

#include "cnv-image.h"

G_BEGIN_DECLS

/* Like cnv_image_load (); on failure *reason (when not NULL) receives the
 * reason alone, without the file name: "the file is empty (0 bytes)". */
CnvImage *cnv_image_load_path (const char             *path,
                               const CnvPreprocessing *pp,
                               char                  **reason,
                               GError                **error);
CnvImage *cnv_image_load_data (const guint8           *data,
                               gsize                   size,
                               const char             *name,
                               const CnvPreprocessing *pp,
                               char                  **reason,
                               GError                **error);

G_END_DECLS
