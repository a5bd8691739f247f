/* cnv-loss-chart.h — the live training loss curve */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CNV_TYPE_LOSS_CHART (cnv_loss_chart_get_type ())

G_DECLARE_FINAL_TYPE (CnvLossChart, cnv_loss_chart, CNV, LOSS_CHART, GtkWidget)

GtkWidget *cnv_loss_chart_new            (void);
void       cnv_loss_chart_clear          (CnvLossChart *self);
/* The x axis runs from 0 to at least n_epochs. */
void       cnv_loss_chart_set_n_epochs   (CnvLossChart *self,
                                          guint         n_epochs);
guint      cnv_loss_chart_get_n_epochs   (CnvLossChart *self);
/* position is in epochs: batch b of n in epoch e (1-based) is at
 * e - 1 + b / n. */
void       cnv_loss_chart_add_batch_loss (CnvLossChart *self,
                                          double        position,
                                          double        loss);
/* validation_loss is NaN when there was no validation split. */
void       cnv_loss_chart_add_epoch      (CnvLossChart *self,
                                          guint         epoch,
                                          double        train_loss,
                                          double        validation_loss);
guint      cnv_loss_chart_get_n_points   (CnvLossChart *self);
/* Radius in pixels of the per-epoch markers at the current size; it
 * shrinks as more epochs share the width. */
double     cnv_loss_chart_get_marker_radius (CnvLossChart *self);

G_END_DECLS
