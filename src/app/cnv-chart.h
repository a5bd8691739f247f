/* cnv-chart.h — what the Cairo charts share: round tick steps, colours */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The smallest of 1, 2, 2.5, 5 × 10^k that is at least raw (> 0). */
double cnv_chart_nice_step (double         raw);
void   cnv_chart_set_color (cairo_t       *cr,
                            const GdkRGBA *color,
                            double         alpha);

G_END_DECLS
