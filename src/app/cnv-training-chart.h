/* cnv-training-chart.h — the live training curves: loss or accuracy */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CNV_TYPE_TRAINING_CHART (cnv_training_chart_get_type ())

G_DECLARE_FINAL_TYPE (CnvTrainingChart, cnv_training_chart, CNV, TRAINING_CHART,
                      GtkWidget)

typedef enum
{
  CNV_TRAINING_CHART_LOSS,
  CNV_TRAINING_CHART_ACCURACY,
} CnvTrainingChartMetric;

GtkWidget *cnv_training_chart_new          (CnvTrainingChartMetric metric);
void       cnv_training_chart_set_metric   (CnvTrainingChart      *self,
                                            CnvTrainingChartMetric metric);
CnvTrainingChartMetric
           cnv_training_chart_get_metric   (CnvTrainingChart      *self);
void       cnv_training_chart_clear        (CnvTrainingChart      *self);
/* The x axis runs from 0 to at least n_epochs. */
void       cnv_training_chart_set_n_epochs (CnvTrainingChart      *self,
                                            guint                  n_epochs);
guint      cnv_training_chart_get_n_epochs (CnvTrainingChart      *self);
/* position is in epochs: batch b of n in epoch e (1-based) is at
 * e - 1 + b / n.  Points that are not finite are left out. */
void       cnv_training_chart_add_batch    (CnvTrainingChart      *self,
                                            double                 position,
                                            double                 loss,
                                            double                 accuracy);
/* The validation figures are NaN when there was no validation split. */
void       cnv_training_chart_add_epoch    (CnvTrainingChart      *self,
                                            guint                  epoch,
                                            double                 train_loss,
                                            double                 train_accuracy,
                                            double                 validation_loss,
                                            double                 validation_accuracy);
guint      cnv_training_chart_get_n_points (CnvTrainingChart      *self);
/* Radius in pixels of the per-epoch markers at the current size; it
 * shrinks as more epochs share the width. */
double     cnv_training_chart_get_marker_radius (CnvTrainingChart *self);

/* The read-out under the pointer: the values nearest to position (in
 * epochs; NaN hides it), one per line, as the chart draws them.  The
 * pointer sets it; tests set it directly. */
void       cnv_training_chart_set_hover    (CnvTrainingChart      *self,
                                            double                 position);
char      *cnv_training_chart_get_readout  (CnvTrainingChart      *self);

G_END_DECLS
