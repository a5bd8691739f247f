/* cnv-dataset-private.h — the split on labels alone, for the dataset
 * report, which keeps a copy of the labels and not the pixels. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What cnv_dataset_split () does, on n_images labels (0 or 1). */
void cnv_split_labels (const guint8  *labels,
                       guint          n_images,
                       double         val_fraction,
                       guint64        seed,
                       GArray       **train,
                       GArray       **validation);

G_END_DECLS
