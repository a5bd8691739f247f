/* cnv-histogram-chart.h — the distribution of one layer's weights */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_HISTOGRAM_CHART (cnv_histogram_chart_get_type ())

G_DECLARE_FINAL_TYPE (CnvHistogramChart, cnv_histogram_chart,
                      CNV, HISTOGRAM_CHART, GtkWidget)

/* Copies histogram. */
GtkWidget *cnv_histogram_chart_new (const CnvHistogram *histogram);

G_END_DECLS
