/* cnv-open-dialog.h — what opening a checkpoint would change, shown
 * before anything is replaced */
#pragma once

#include <adwaita.h>

#include "cnv.h"
#include "cnv-diff-view.h"

G_BEGIN_DECLS

#define CNV_TYPE_OPEN_DIALOG (cnv_open_dialog_get_type ())

G_DECLARE_FINAL_TYPE (CnvOpenDialog, cnv_open_dialog, CNV, OPEN_DIALOG,
                      AdwWindow)

/* A modal dialog over parent with the diff of screen (what the window
 * shows) and file (the checkpoint being opened), taking both.  It emits
 * "response" once, with "open" (replace everything with the file's),
 * "load-matching" (keep the stack, load the tensors that fit) or
 * "cancel", then closes.  sample_image (may be NULL) is run through both
 * preprocessing records when they differ. */
CnvOpenDialog *cnv_open_dialog_new      (GtkWindow      *parent,
                                         CnvModelRecord *screen,
                                         CnvModelRecord *file,
                                         const char     *sample_image);
/* Replaces the diff's explanation of the classes (the folder's view of
 * them is the clearer one when a folder is loaded). */
void           cnv_open_dialog_set_classes_explanation (CnvOpenDialog *self,
                                                        const char    *text);
CnvDiffView   *cnv_open_dialog_get_diff_view (CnvOpenDialog *self);
gboolean       cnv_open_dialog_can_open  (CnvOpenDialog *self);
gboolean       cnv_open_dialog_can_load_matching (CnvOpenDialog *self);
/* What a button does; for tests and the keyboard alike. */
void           cnv_open_dialog_respond   (CnvOpenDialog *self,
                                          const char    *response);

G_END_DECLS
