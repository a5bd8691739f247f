/* cnv-chart.h — what the Cairo charts share: round tick steps, colours */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The charts' colours, GNOME's palette: blue for what a batch or a
 * curve shows, orange for training and the threshold, green for
 * validation and right answers, red for wrong ones.  They read on the
 * light and the dark style alike. */
extern const GdkRGBA cnv_chart_blue;
extern const GdkRGBA cnv_chart_orange;
extern const GdkRGBA cnv_chart_green;
extern const GdkRGBA cnv_chart_red;

/* The smallest of 1, 2, 2.5, 5 × 10^k that is at least raw (> 0). */
double cnv_chart_nice_step (double         raw);
void   cnv_chart_set_color (cairo_t       *cr,
                            const GdkRGBA *color,
                            double         alpha);
/* Draws text with layout so that the point (xalign, yalign) of its box,
 * each 0 … 1, is at (x, y). */
void   cnv_chart_show_text (cairo_t       *cr,
                            PangoLayout   *layout,
                            const char    *text,
                            double         x,
                            double         y,
                            double         xalign,
                            double         yalign);

G_END_DECLS
