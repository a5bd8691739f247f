/* cnv-param-row.h — a row of the layer panel: one numeric parameter
 * of the selected layer and its spin button */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CNV_TYPE_PARAM_ROW (cnv_param_row_get_type ())

G_DECLARE_FINAL_TYPE (CnvParamRow, cnv_param_row, CNV, PARAM_ROW,
                      AdwActionRow)

/* title is shown as given (already translated).  With digits > 0 the
 * value is shown in %g notation, so that 1e-05 is not "0.00". */
GtkWidget     *cnv_param_row_new      (const char *title,
                                       double      lower,
                                       double      upper,
                                       double      step,
                                       guint       digits);
GtkSpinButton *cnv_param_row_get_spin (CnvParamRow *self);

/* Turns off spin's own undo and makes Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y
 * inside it run editor.undo and editor.redo of the layer editor around
 * it (when they are enabled; otherwise the key goes on). */
void           cnv_param_row_pass_undo_keys (GtkSpinButton *spin);

G_END_DECLS
