/* cnv-gradcam-view.h — Grad-CAM as a heat map over the network's input */
#pragma once

#include <adwaita.h>

#include "cnv-pixel-view.h"
#include "cnv-prediction.h"

G_BEGIN_DECLS

#define CNV_TYPE_GRADCAM_VIEW (cnv_gradcam_view_get_type ())

G_DECLARE_FINAL_TYPE (CnvGradcamView, cnv_gradcam_view, CNV, GRADCAM_VIEW,
                      AdwBin)

/* NULL clears.  Shows the predicted class over the same layer as before
 * when it has one, else the last convolution. */
void          cnv_gradcam_view_set_inspection (CnvGradcamView *self,
                                               CnvInspection  *inspection);
/* The layer index shown, or -1. */
int           cnv_gradcam_view_get_layer      (CnvGradcamView *self);
void          cnv_gradcam_view_set_layer      (CnvGradcamView *self,
                                               guint           layer);
/* 0 or 1: the class whose evidence is shown, -1 without an image. */
int           cnv_gradcam_view_get_class      (CnvGradcamView *self);
/* FALSE: the predicted class, TRUE: the other one. */
void          cnv_gradcam_view_show_other     (CnvGradcamView *self,
                                               gboolean        other);
void          cnv_gradcam_view_set_opacity    (CnvGradcamView *self,
                                               double          opacity);

/* For tests/test-app-inspect.c */
CnvPixelView *cnv_gradcam_view_get_heat_view  (CnvGradcamView *self);
const char   *cnv_gradcam_view_get_caption    (CnvGradcamView *self);
GtkWidget    *cnv_gradcam_view_get_content    (CnvGradcamView *self);

G_END_DECLS
