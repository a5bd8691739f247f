/* cnv-layer-row.h — one row of the layer list: a sign of the layer's
 * kind, its key parameters, id, output shape, parameter count and first
 * problem */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_LAYER_ROW (cnv_layer_row_get_type ())

G_DECLARE_FINAL_TYPE (CnvLayerRow, cnv_layer_row, CNV, LAYER_ROW,
                      GtkListBoxRow)

GtkWidget  *cnv_layer_row_new            (void);
/* Shows layer.  A layer with a problem of its own has no shape or count
 * worth showing: both read "—" and the problem is shown instead;
 * n_params and output are only used when problem is NULL. */
void        cnv_layer_row_update         (CnvLayerRow        *self,
                                          const CnvLayerSpec *layer,
                                          const CnvShape     *output,
                                          gsize               n_params,
                                          const char         *problem);

/* What the row shows, for the tests. */
const char *cnv_layer_row_get_title      (CnvLayerRow *self);
const char *cnv_layer_row_get_subtitle   (CnvLayerRow *self);
const char *cnv_layer_row_get_count_text (CnvLayerRow *self);
/* NULL when the row shows no problem. */
const char *cnv_layer_row_get_problem    (CnvLayerRow *self);

/* A picture of the row as it looks now, for a drag icon.
 * (transfer full) (nullable): NULL before the row is drawn. */
GdkPaintable *cnv_layer_row_snapshot_paintable (CnvLayerRow *self);

G_END_DECLS
