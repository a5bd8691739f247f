/* cnv-prediction-row.h — one image in the Classify page's list */
#pragma once

#include <gtk/gtk.h>

#include "cnv-prediction.h"

G_BEGIN_DECLS

#define CNV_TYPE_PREDICTION_ROW (cnv_prediction_row_get_type ())

G_DECLARE_FINAL_TYPE (CnvPredictionRow, cnv_prediction_row,
                      CNV, PREDICTION_ROW, GtkWidget)

GtkWidget     *cnv_prediction_row_new            (void);
/* NULL unbinds. */
void           cnv_prediction_row_set_prediction (CnvPredictionRow *self,
                                                  CnvPrediction    *prediction);
CnvPrediction *cnv_prediction_row_get_prediction (CnvPredictionRow *self);

G_END_DECLS
