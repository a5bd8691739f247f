/* cnv-filters-view.h — the first convolution's filters and every layer's
 * weight histogram */
#pragma once

#include <adwaita.h>

#include "cnv-map-grid.h"
#include "cnv-prediction.h"

G_BEGIN_DECLS

#define CNV_TYPE_FILTERS_VIEW (cnv_filters_view_get_type ())

G_DECLARE_FINAL_TYPE (CnvFiltersView, cnv_filters_view, CNV, FILTERS_VIEW,
                      AdwBin)

/* NULL clears. */
void        cnv_filters_view_set_inspection (CnvFiltersView *self,
                                             CnvInspection  *inspection);

/* For tests/test-app-inspect.c */
CnvMapGrid *cnv_filters_view_get_grid          (CnvFiltersView *self);
guint       cnv_filters_view_get_n_histograms  (CnvFiltersView *self);
GtkWidget  *cnv_filters_view_get_content       (CnvFiltersView *self);

G_END_DECLS
