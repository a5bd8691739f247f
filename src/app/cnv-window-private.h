/* cnv-window-private.h — what tests/test-app.c reaches into
 *
 * The tests drive the same code paths as the actions; these entry points
 * only replace the file choosers with a given path and expose what is on
 * screen for assertions.
 */
#pragma once

#include "cnv.h"
#include "cnv-classify-page.h"
#include "cnv-compare-window.h"
#include "cnv-data-page.h"
#include "cnv-evaluate-page.h"
#include "cnv-layer-editor.h"
#include "cnv-open-dialog.h"
#include "cnv-train-page.h"
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
CnvDataPage         *cnv_window_get_data_page       (CnvWindow  *self);
CnvTrainPage        *cnv_window_get_train_page      (CnvWindow  *self);
CnvEvaluatePage     *cnv_window_get_evaluate_page   (CnvWindow  *self);
CnvClassifyPage     *cnv_window_get_classify_page   (CnvWindow  *self);
GtkWidget           *cnv_window_get_save_button     (CnvWindow  *self);
/* The question asked before something unsaved is lost (closing,
 * quitting, opening over a trained model); NULL when none is open.
 * Answer it with adw_message_dialog_response (): "cancel", "discard" or
 * "save". */
AdwMessageDialog    *cnv_window_get_question        (CnvWindow  *self);
/* Save As was given a name that means another, existing file: asks
 * whether to replace it ("cancel" or "replace"); NULL when it does not. */
AdwMessageDialog    *cnv_window_get_replace_question (CnvWindow *self);
/* What the Save As chooser does with the path it returns (NULL: the user
 * cancelled). */
void                 cnv_window_save_chosen         (CnvWindow  *self,
                                                     const char *path);
/* What opening a checkpoint would change, while the window asks; NULL
 * when it does not.  Answer with cnv_open_dialog_respond (). */
CnvOpenDialog       *cnv_window_get_open_dialog     (CnvWindow  *self);
/* The dialog after a failed save, with its offer to save elsewhere;
 * NULL when none is open. */
AdwMessageDialog    *cnv_window_get_save_error      (CnvWindow  *self);
/* The report after "Load Matching Weights"; NULL when none is open. */
AdwMessageDialog    *cnv_window_get_load_report     (CnvWindow  *self);
/* What win.compare does after its file chooser, and the window it opened
 * last (NULL once closed). */
void                 cnv_window_compare_checkpoints (CnvWindow  *self,
                                                     const char *a,
                                                     const char *b);
CnvCompareWindow    *cnv_window_get_compare_window  (CnvWindow  *self);
/* The title above the layer stack: the file's name, with " •" while
 * something on screen is not in any file. */
const char          *cnv_window_get_model_title     (CnvWindow  *self);
const char          *cnv_window_get_model_subtitle  (CnvWindow  *self);
/* The title of the toast on screen; NULL when none is. */
const char          *cnv_window_get_toast_title     (CnvWindow  *self);
/* Takes the toast on screen away, for a screenshot without it. */
void                 cnv_window_dismiss_toast       (CnvWindow  *self);
guint                cnv_window_get_n_layer_rows    (CnvWindow  *self);
CnvLayerEditor      *cnv_window_get_layer_editor    (CnvWindow  *self);
CnvStackEditor      *cnv_window_get_stack_editor    (CnvWindow  *self);
/* Which layers the next run re-initialises after an edit of a trained
 * stack; NULL while the weights belong to the stack on screen. */
const char          *cnv_window_get_stale_text      (CnvWindow  *self);
/* What win.save-as does after its file chooser. */
void                 cnv_window_save_to_path        (CnvWindow  *self,
                                                     const char *path);
/* What win.classify-file and a drop do after they have files. */
void                 cnv_window_classify_path       (CnvWindow  *self,
                                                     const char *path);
void                 cnv_window_classify_files      (CnvWindow  *self,
                                                     GFile     **files,
                                                     guint       n_files);
/* The class name, probability and file of the image selected on the
 * Classify page; NULL and -1 when none is. */
const char          *cnv_window_get_predicted_class (CnvWindow  *self);
double               cnv_window_get_probability     (CnvWindow  *self);
const char          *cnv_window_get_classified_path (CnvWindow  *self);
/* The sections of the primary menu's Recent submenu. */
GMenuModel          *cnv_window_get_recent_menu     (CnvWindow  *self,
                                                     gboolean    folders);
/* The page "data", "train", "evaluate" or "classify" on screen, and
 * selecting one. */
const char          *cnv_window_get_visible_page    (CnvWindow  *self);
void                 cnv_window_show_page           (CnvWindow  *self,
                                                     const char *name);

G_END_DECLS
