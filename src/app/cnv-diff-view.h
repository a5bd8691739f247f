/* cnv-diff-view.h — a CnvDiff drawn as two aligned columns
 *
 * The view the window shows before a checkpoint replaces what is on
 * screen, and the body of the Compare Checkpoints window: the summary,
 * what cannot be done with either file, the layers side by side with
 * their shapes and parameter counts, the tensors that will not load, the
 * renamings it proposes (each to be ticked by the user), and the
 * preprocessing, classes and training settings that differ.
 */
#pragma once

#include <adwaita.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_DIFF_VIEW (cnv_diff_view_get_type ())

G_DECLARE_FINAL_TYPE (CnvDiffView, cnv_diff_view, CNV, DIFF_VIEW, AdwBin)

GtkWidget  *cnv_diff_view_new               (void);
/* Shows the diff of a and b, taking all three.  compare adds what only a
 * comparison of two checkpoints needs: every training setting side by
 * side, the curves overlaid and the size of each layer's weight change. */
void        cnv_diff_view_set_diff          (CnvDiffView    *self,
                                             CnvModelRecord *a,
                                             CnvModelRecord *b,
                                             CnvDiff        *diff,
                                             gboolean        compare);
const CnvDiff *cnv_diff_view_get_diff       (CnvDiffView    *self);
/* Shows b against a instead, in the same form. */
void        cnv_diff_view_swap              (CnvDiffView    *self);
/* The first record shown, or the second. */
const CnvModelRecord *cnv_diff_view_get_record (CnvDiffView *self,
                                                gboolean     second);
/* Says text about the classes instead of the diff's explanation (the
 * folder's view of them is the clearer one when a folder is loaded). */
void        cnv_diff_view_set_classes_explanation (CnvDiffView *self,
                                                   const char  *text);
void        cnv_diff_view_refresh_classes   (CnvDiffView    *self);
/* Runs the image at path through both preprocessing records, in a
 * thread, and shows the two results side by side ("what the network
 * sees").  Only when the preprocessing differs. */
void        cnv_diff_view_set_sample_image  (CnvDiffView    *self,
                                             const char     *path);
/* The renamings the user ticked, as the NULL-terminated list of a_id,
 * b_id pairs cnv_classifier_load_matching () takes. */
char      **cnv_diff_view_get_accepted_mapping (CnvDiffView *self);

/* For tests/test-app.c */
const char *cnv_diff_view_get_summary       (CnvDiffView    *self);
/* The status text shown on each layer row ("changed", "added", …),
 * joined by spaces. */
char       *cnv_diff_view_get_row_statuses  (CnvDiffView    *self);
/* TRUE once both sides of "what the network sees" are shown. */
gboolean    cnv_diff_view_get_sees_ready    (CnvDiffView    *self);
/* Ticks or unticks the renaming of index. */
void        cnv_diff_view_set_mapping_accepted (CnvDiffView *self,
                                                guint        index,
                                                gboolean     accepted);

G_END_DECLS
