/* cnv-layer-editor.h — the layer stack editor's widgets
 *
 * Draws a CnvStackEditor and edits it: the layer rows with their shapes,
 * parameter counts and problems, a panel for the selected layer, the
 * input size and the totals.  The editor.* actions and their shortcuts
 * live on this widget.
 */
#pragma once

#include <adwaita.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_LAYER_EDITOR (cnv_layer_editor_get_type ())

G_DECLARE_FINAL_TYPE (CnvLayerEditor, cnv_layer_editor, CNV, LAYER_EDITOR,
                      GtkBox)

void            cnv_layer_editor_set_editor   (CnvLayerEditor *self,
                                               CnvStackEditor *editor);
CnvStackEditor *cnv_layer_editor_get_editor   (CnvLayerEditor *self);

/* What editor.import-json and editor.export-json do after their file
 * choosers. */
gboolean        cnv_layer_editor_import_path  (CnvLayerEditor *self,
                                               const char     *path,
                                               GError        **error);
gboolean        cnv_layer_editor_export_path  (CnvLayerEditor *self,
                                               const char     *path,
                                               GError        **error);

/* For tests/test-app.c */
GtkListBox     *cnv_layer_editor_get_list     (CnvLayerEditor *self);
guint           cnv_layer_editor_get_n_rows   (CnvLayerEditor *self);
/* The problem shown on a row, NULL when it shows none. */
const char     *cnv_layer_editor_get_row_problem (CnvLayerEditor *self,
                                                  guint           row);
/* The panel's widget for a parameter of the selected layer: "filters",
 * "units", "kernel-h", … ("padding" is an AdwComboRow, "id" an
 * AdwEntryRow, the others GtkSpinButtons); NULL when it has none. */
GtkWidget      *cnv_layer_editor_get_parameter_widget (CnvLayerEditor *self,
                                                       const char     *name);
/* The text of a totals row: "parameters", "multiply-adds", "weights",
 * "activations". */
const char     *cnv_layer_editor_get_total_text (CnvLayerEditor *self,
                                                 const char     *name);

G_END_DECLS
