/* cnv-evaluate-page.h — the Evaluate page: how well the trained model
 * sorts a set of labelled images, from any threshold */
#pragma once

#include <adwaita.h>

#include "cnv.h"
#include "cnv-confusion-matrix.h"
#include "cnv-curve-chart.h"

G_BEGIN_DECLS

#define CNV_TYPE_EVALUATE_PAGE (cnv_evaluate_page_get_type ())

/* A cell's gallery shows its first this many images, in review order. */
#define CNV_EVALUATE_PAGE_GALLERY_MAX 120

G_DECLARE_FINAL_TYPE (CnvEvaluatePage, cnv_evaluate_page,
                      CNV, EVALUATE_PAGE, AdwBin)

/* Signals:
 * ::threshold-changed (double threshold): the user moved the threshold;
 *   the owner stores it in its classifier (and so in the next save).
 * ::open-image (const char *path): the user opened an image of the
 *   gallery, to be classified on the Classify page. */

/* The model to evaluate and the dataset whose validation split to
 * evaluate it on; either may be NULL.  The classifier is copied.  The
 * dataset is kept alive by dataset_owner, of which the page takes
 * references with acquire and gives them back with release, so a task
 * still running when the owner replaces its dataset reads a live one.
 * Starts evaluating the validation split in the background. */
void           cnv_evaluate_page_set_model      (CnvEvaluatePage     *self,
                                                 const CnvClassifier *classifier,
                                                 const CnvDataset    *dataset,
                                                 gpointer             dataset_owner,
                                                 GBoxedCopyFunc       acquire,
                                                 GDestroyNotify       release);
/* The checkpoint's file name, for the report's title; NULL: untitled. */
void           cnv_evaluate_page_set_model_name (CnvEvaluatePage     *self,
                                                 const char          *name);
/* The folder the model was trained on, found again (NULL: none): the
 * empty state offers it by name, through the action
 * "win.load-training-folder" of the window that knows it. */
void           cnv_evaluate_page_set_training_folder (CnvEvaluatePage *self,
                                                      const char      *folder);
/* What the folder chooser does: every image of folder, read with the
 * model's preprocessing and class order.  A folder that cannot be used
 * is named in a dialog and the evaluation on screen stays. */
void           cnv_evaluate_page_evaluate_folder (CnvEvaluatePage    *self,
                                                  const char         *folder);
/* What the export chooser does: writes the report (PDF, or SVG or PNG by
 * the extension) in the background; a toast or a dialog says how it
 * went. */
void           cnv_evaluate_page_export_to_path (CnvEvaluatePage     *self,
                                                 const char          *path);

/* For tests/test-app-evaluate.c */
gboolean             cnv_evaluate_page_is_busy          (CnvEvaluatePage *self);
/* "empty", "loading", "results" or "gallery". */
const char          *cnv_evaluate_page_get_state        (CnvEvaluatePage *self);
AdwStatusPage       *cnv_evaluate_page_get_status       (CnvEvaluatePage *self);
/* The empty state's offer of the training folder. */
GtkButton           *cnv_evaluate_page_get_training_folder_button
                                                        (CnvEvaluatePage *self);
CnvEvaluation       *cnv_evaluate_page_get_evaluation   (CnvEvaluatePage *self);
double               cnv_evaluate_page_get_threshold    (CnvEvaluatePage *self);
GtkRange            *cnv_evaluate_page_get_scale        (CnvEvaluatePage *self);
CnvConfusionMatrix  *cnv_evaluate_page_get_matrix       (CnvEvaluatePage *self);
CnvCurveChart       *cnv_evaluate_page_get_chart        (CnvEvaluatePage *self,
                                                         CnvCurveKind     kind);
/* The value shown for "accuracy", "precision", "recall", "f1", "auc" or
 * "ap". */
const char          *cnv_evaluate_page_get_figure       (CnvEvaluatePage *self,
                                                         const char      *name);
const char          *cnv_evaluate_page_get_source_text  (CnvEvaluatePage *self);
/* The gallery's items (indices into the evaluation's items) in the order
 * shown, and its cards. */
const GArray        *cnv_evaluate_page_get_gallery      (CnvEvaluatePage *self);
GtkFlowBox          *cnv_evaluate_page_get_gallery_box  (CnvEvaluatePage *self);
const char          *cnv_evaluate_page_get_gallery_title (CnvEvaluatePage *self);
/* The message of the last failed export or folder, NULL after success. */
const char          *cnv_evaluate_page_get_last_error   (CnvEvaluatePage *self);

G_END_DECLS
