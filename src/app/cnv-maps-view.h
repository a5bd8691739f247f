/* cnv-maps-view.h — every layer's feature maps for one image */
#pragma once

#include <adwaita.h>

#include "cnv-map-grid.h"
#include "cnv-pixel-view.h"
#include "cnv-prediction.h"

G_BEGIN_DECLS

#define CNV_TYPE_MAPS_VIEW (cnv_maps_view_get_type ())

G_DECLARE_FINAL_TYPE (CnvMapsView, cnv_maps_view, CNV, MAPS_VIEW, AdwBin)

/* NULL clears.  Keeps the layer and the channel when they still exist. */
void          cnv_maps_view_set_inspection (CnvMapsView   *self,
                                            CnvInspection *inspection);
guint         cnv_maps_view_get_layer      (CnvMapsView   *self);
void          cnv_maps_view_set_layer      (CnvMapsView   *self,
                                            guint          layer);
CnvMapScale   cnv_maps_view_get_scale      (CnvMapsView   *self);
void          cnv_maps_view_set_scale      (CnvMapsView   *self,
                                            CnvMapScale    scale);

/* For tests/test-app-inspect.c */
CnvMapGrid   *cnv_maps_view_get_grid         (CnvMapsView *self);
CnvPixelView *cnv_maps_view_get_channel_view (CnvMapsView *self);
const char   *cnv_maps_view_get_stats_text   (CnvMapsView *self);
GtkWidget    *cnv_maps_view_get_content      (CnvMapsView *self);

G_END_DECLS
