/* cnv-window-private.h — what tests/test-app.c reaches into
 *
 * The tests drive the same code paths as the actions; these entry points
 * only replace the file choosers with a given path and expose what is on
 * screen for assertions.
 */
#pragma once

#include "cnv.h"
#include "cnv-window.h"

G_BEGIN_DECLS

/* TRUE while a folder load, a save, an open, a prediction or a training
 * run is in flight. */
gboolean             cnv_window_is_busy             (CnvWindow  *self);
gboolean             cnv_window_is_training         (CnvWindow  *self);
gboolean             cnv_window_get_modified        (CnvWindow  *self);
const char          *cnv_window_get_checkpoint_path (CnvWindow  *self);
const CnvDataset    *cnv_window_get_dataset         (CnvWindow  *self);
const CnvClassifier *cnv_window_get_classifier      (CnvWindow  *self);
GtkSpinButton       *cnv_window_get_epochs_spin     (CnvWindow  *self);
GtkWidget           *cnv_window_get_stop_button     (CnvWindow  *self);
/* The rows shown for the classes of the loaded folder, in index order. */
AdwActionRow        *cnv_window_get_class_row       (CnvWindow  *self,
                                                     guint       index);
/* The expander listing skipped files; NULL when none was skipped. */
AdwExpanderRow      *cnv_window_get_skipped_row     (CnvWindow  *self);
guint                cnv_window_get_n_layer_rows    (CnvWindow  *self);
guint                cnv_window_get_n_chart_points  (CnvWindow  *self);
/* What win.save-as does after its file chooser. */
void                 cnv_window_save_to_path        (CnvWindow  *self,
                                                     const char *path);
/* What win.classify-file and a drop do after they have a file. */
void                 cnv_window_classify_path       (CnvWindow  *self,
                                                     const char *path);
/* The class name and probability on the Classify page; NULL and -1
 * before the first prediction. */
const char          *cnv_window_get_predicted_class (CnvWindow  *self);
double               cnv_window_get_probability     (CnvWindow  *self);
/* Selects the page "data", "train" or "classify". */
void                 cnv_window_show_page           (CnvWindow  *self,
                                                     const char *name);

G_END_DECLS
