/* cnv-layer-editor.h — the layer stack editor's widgets
 *
 * Draws a CnvStackEditor and edits it: the layer rows with their shapes,
 * parameter counts and problems, a panel for the selected layer, the
 * input size and the totals.  The editor.* actions live on this widget;
 * Delete and Tab are the layer list's, and Ctrl+Z, Ctrl+Shift+Z and
 * Ctrl+Y work anywhere in the window the editor is in.
 */
#pragma once

#include <adwaita.h>

#include "cnv.h"
#include "cnv-layer-row.h"

G_BEGIN_DECLS

#define CNV_TYPE_LAYER_EDITOR (cnv_layer_editor_get_type ())

G_DECLARE_FINAL_TYPE (CnvLayerEditor, cnv_layer_editor, CNV, LAYER_EDITOR,
                      GtkBox)

void            cnv_layer_editor_set_editor   (CnvLayerEditor *self,
                                               CnvStackEditor *editor);
CnvStackEditor *cnv_layer_editor_get_editor   (CnvLayerEditor *self);

/* What editor.import-json and editor.export-json do after their file
 * choosers.  A successful export emits "stack-exported" with path. */
gboolean        cnv_layer_editor_import_path  (CnvLayerEditor *self,
                                               const char     *path,
                                               GError        **error);
gboolean        cnv_layer_editor_export_path  (CnvLayerEditor *self,
                                               const char     *path,
                                               GError        **error);

/* Reads the checkpoint at path in a thread, leniently (a head that
 * cannot train or missing tensors are no obstacle), and replaces the
 * stack with its architecture, one undoable step; the weights are not
 * loaded into the window.  A later import makes an earlier one finish with
 * G_IO_ERROR_CANCELLED and change nothing. */
void            cnv_layer_editor_import_architecture_async  (CnvLayerEditor      *self,
                                                             const char          *path,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean        cnv_layer_editor_import_architecture_finish (CnvLayerEditor  *self,
                                                             GAsyncResult    *result,
                                                             GError         **error);
/* What editor.import-checkpoint does after its file chooser: the
 * import above, and a dialog that names the file when it fails. */
void            cnv_layer_editor_import_architecture_path   (CnvLayerEditor *self,
                                                             const char     *path);

/* For tests/test-app.c */
GtkListBox     *cnv_layer_editor_get_list     (CnvLayerEditor *self);
GtkWidget      *cnv_layer_editor_get_add_button (CnvLayerEditor *self);
guint           cnv_layer_editor_get_n_rows   (CnvLayerEditor *self);
/* The row of a layer, NULL past the end. */
CnvLayerRow    *cnv_layer_editor_get_row      (CnvLayerEditor *self,
                                               guint           row);
/* The problem shown on a row, NULL when it shows none. */
const char     *cnv_layer_editor_get_row_problem (CnvLayerEditor *self,
                                                  guint           row);
/* The panel's widget for a parameter of the selected layer: "filters",
 * "units", "kernel-h", … ("padding" and "kind", the activation or pooling
 * drop-down, are AdwComboRows, "id" an AdwEntryRow, the others
 * GtkSpinButtons); NULL when it has none.  "width", "height" (spin
 * buttons) and "colour" (a combo row) are the input's. */
GtkWidget      *cnv_layer_editor_get_parameter_widget (CnvLayerEditor *self,
                                                       const char     *name);
/* The text of a totals row: "parameters", "multiply-adds", "weights",
 * "activations". */
const char     *cnv_layer_editor_get_total_text (CnvLayerEditor *self,
                                                 const char     *name);
/* The problems of the whole stack shown under the totals, one a line;
 * NULL when there are none. */
const char     *cnv_layer_editor_get_stack_problem_text (CnvLayerEditor *self);

G_END_DECLS
