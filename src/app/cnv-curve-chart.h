/* cnv-curve-chart.h — the ROC or precision–recall curve of an evaluation,
 * with a marker at the decision threshold */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

typedef enum
{
  CNV_CURVE_ROC,
  CNV_CURVE_PRECISION_RECALL,
} CnvCurveKind;

#define CNV_TYPE_CURVE_CHART (cnv_curve_chart_get_type ())

G_DECLARE_FINAL_TYPE (CnvCurveChart, cnv_curve_chart, CNV, CURVE_CHART,
                      GtkWidget)

GtkWidget   *cnv_curve_chart_new             (CnvCurveKind         kind);
void         cnv_curve_chart_set_kind        (CnvCurveChart       *self,
                                              CnvCurveKind         kind);
/* Keeps a reference; NULL draws empty axes. */
void         cnv_curve_chart_set_evaluation  (CnvCurveChart       *self,
                                              CnvEvaluation       *evaluation);
void         cnv_curve_chart_set_threshold   (CnvCurveChart       *self,
                                              double               threshold);
/* The point the marker sits on (cnv_curves_find), and the one the
 * pointer is over (-1: none), for tests. */
guint        cnv_curve_chart_get_marker      (CnvCurveChart       *self);
int          cnv_curve_chart_get_hover       (CnvCurveChart       *self);
/* What the legend and the accessible label say of the marker's point,
 * named by the slider's threshold; NULL without an evaluation. */
char        *cnv_curve_chart_dup_marker_text (CnvCurveChart       *self);
/* What the read-out says about the point under the pointer; NULL when
 * the pointer is not over the plot.  Moving the pointer to (x, y) is
 * what a motion event does. */
const char  *cnv_curve_chart_get_readout     (CnvCurveChart       *self);
void         cnv_curve_chart_hover_at        (CnvCurveChart       *self,
                                              double               x,
                                              double               y);
/* The chart drawn on any Cairo surface (the report draws with it too),
 * in the rectangle (0, 0, width, height) of cr's user space, in fg on a
 * transparent background.  hover is a point index or -1. */
void         cnv_curve_chart_draw            (cairo_t             *cr,
                                              PangoLayout         *layout,
                                              CnvCurveKind         kind,
                                              const CnvCurves     *curves,
                                              double               threshold,
                                              int                  hover,
                                              const GdkRGBA       *fg,
                                              double               width,
                                              double               height);

G_END_DECLS
