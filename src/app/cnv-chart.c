/* cnv-chart.c — what the Cairo charts share: round tick steps, colours
 *
 * An axis reads best with ticks at round values: the step is the round
 * number just above the range divided by the ticks wanted.
 */
#define G_LOG_DOMAIN "cnv-chart"

#include <math.h>
#include <pango/pangocairo.h>

#include "cnv-chart.h"

const GdkRGBA cnv_chart_blue = { 0.208, 0.518, 0.894, 1.0 };
const GdkRGBA cnv_chart_orange = { 0.902, 0.380, 0.000, 1.0 };
const GdkRGBA cnv_chart_green = { 0.149, 0.635, 0.412, 1.0 };
const GdkRGBA cnv_chart_red = { 0.878, 0.106, 0.141, 1.0 };

double
cnv_chart_nice_step (double raw)
{
  double magnitude;
  double fraction;

  g_return_val_if_fail (raw > 0.0 && isfinite (raw), 1.0);

  magnitude = pow (10.0, floor (log10 (raw)));
  fraction = raw / magnitude;

  if (fraction <= 1.0)
    return magnitude;
  if (fraction <= 2.0)
    return 2.0 * magnitude;
  if (fraction <= 2.5)
    return 2.5 * magnitude;
  if (fraction <= 5.0)
    return 5.0 * magnitude;

  return 10.0 * magnitude;
}

void
cnv_chart_set_color (cairo_t       *cr,
                     const GdkRGBA *color,
                     double         alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue,
                         color->alpha * alpha);
}

void
cnv_chart_show_text (cairo_t     *cr,
                     PangoLayout *layout,
                     const char  *text,
                     double       x,
                     double       y,
                     double       xalign,
                     double       yalign)
{
  int width, height;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &width, &height);
  cairo_move_to (cr, round (x - xalign * width), round (y - yalign * height));
  pango_cairo_show_layout (cr, layout);
}
