/* cnv-confusion-matrix.h — the 2 × 2 confusion matrix, each cell a
 * button that shows its images */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_CONFUSION_MATRIX (cnv_confusion_matrix_get_type ())

G_DECLARE_FINAL_TYPE (CnvConfusionMatrix, cnv_confusion_matrix,
                      CNV, CONFUSION_MATRIX, GtkWidget)

/* Signals:
 * ::cell-activated (int true_class, int predicted_class): a cell was
 *   clicked, or activated with Enter or Space. */

GtkWidget *cnv_confusion_matrix_new        (void);
/* class_names (two, in index order; 1 is positive) and the counts of
 * metrics are copied. */
void       cnv_confusion_matrix_set_counts (CnvConfusionMatrix  *self,
                                            const char * const  *class_names,
                                            const CnvMetrics    *metrics);
/* The count shown in a cell, and its button (for tests and focus). */
guint      cnv_confusion_matrix_get_count  (CnvConfusionMatrix  *self,
                                            int                  true_class,
                                            int                  predicted_class);
GtkWidget *cnv_confusion_matrix_get_cell   (CnvConfusionMatrix  *self,
                                            int                  true_class,
                                            int                  predicted_class);
/* The matrix drawn on any Cairo surface, in (0, 0, width, height) of cr's
 * user space, in fg: the report draws with it too. */
void       cnv_confusion_matrix_draw       (cairo_t             *cr,
                                            PangoLayout         *layout,
                                            const char * const  *class_names,
                                            const guint          counts[2][2],
                                            const GdkRGBA       *fg,
                                            double               width,
                                            double               height);

/* "true positives", "false negative": what the cell at (true_class,
 * predicted_class) holds, for count images (translated). */
const char *cnv_confusion_matrix_cell_kind (int   true_class,
                                            int   predicted_class,
                                            guint count);

G_END_DECLS
