/* cnv-history-chart.h — the per-epoch losses of two training histories,
 * overlaid, for comparing two checkpoints */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CNV_TYPE_HISTORY_CHART (cnv_history_chart_get_type ())

G_DECLARE_FINAL_TYPE (CnvHistoryChart, cnv_history_chart, CNV, HISTORY_CHART,
                      GtkWidget)

GtkWidget  *cnv_history_chart_new           (void);
/* histories are GArrays of CnvEpochRecord (copied); either may be empty
 * or NULL.  The labels name the two files in the legend. */
void        cnv_history_chart_set_histories (CnvHistoryChart *self,
                                             const GArray    *a,
                                             const char      *a_label,
                                             const GArray    *b,
                                             const char      *b_label);
/* The text screen readers get: the last losses of both sides. */
const char *cnv_history_chart_get_description (CnvHistoryChart *self);

G_END_DECLS
