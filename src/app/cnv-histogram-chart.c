/* cnv-histogram-chart.c — bars of a weight histogram with its range
 *
 * One bar per bin, as tall as its count over the largest count, on an
 * axis labelled with the lowest value, zero (when it is in the range) and
 * the highest value.  Zero gets a line of its own: whether the weights
 * sit around it, or drifted away, is what one looks for.
 */
#define G_LOG_DOMAIN "cnv-histogram-chart"

#include <math.h>

#include <glib/gi18n.h>

#include "cnv-chart.h"
#include "cnv-histogram-chart.h"

#define AXIS_HEIGHT 18

struct _CnvHistogramChart
{
  GtkWidget parent_instance;

  /* owned */
  guint *counts;

  /* state */
  guint  n_bins;
  float  lo;
  float  hi;
};

G_DEFINE_FINAL_TYPE (CnvHistogramChart, cnv_histogram_chart, GTK_TYPE_WIDGET)

static void
draw_label (GtkWidget  *widget,
            cairo_t    *cr,
            const char *text,
            double      x,
            double      y,
            double      align)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget,
                                                                  NULL);

  cnv_chart_show_text (cr, layout, text, x, y, align, 0.0);
}

static char *
format_value (float value)
{
  return g_strdup_printf ("%.3g", value);
}

static void
cnv_histogram_chart_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  CnvHistogramChart *self = CNV_HISTOGRAM_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double plot = height - AXIS_HEIGHT;
  double bar = (double) width / MAX (self->n_bins, 1);
  g_autofree char *lo = format_value (self->lo);
  g_autofree char *hi = format_value (self->hi);
  GdkRGBA fg, accent;
  guint largest = 1;
  cairo_t *cr;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget),
                                       "accent_color", &accent))
    accent = fg;

  for (guint i = 0; i < self->n_bins; i++)
    largest = MAX (largest, self->counts[i]);

  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* bars [n_bins], the largest count at the top */
  cnv_chart_set_color (cr, &accent, 0.8);
  for (guint i = 0; i < self->n_bins; i++)
    {
      double h = plot * self->counts[i] / largest;

      if (self->counts[i] > 0)
        h = MAX (h, 1.0);
      cairo_rectangle (cr, i * bar + 0.5, plot - h, MAX (bar - 1.0, 1.0), h);
    }
  cairo_fill (cr);

  cnv_chart_set_color (cr, &fg, 0.4);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, 0, plot + 0.5);
  cairo_line_to (cr, width, plot + 0.5);
  cairo_stroke (cr);

  cnv_chart_set_color (cr, &fg, 0.7);
  draw_label (widget, cr, lo, 0, plot + 2, 0.0);
  draw_label (widget, cr, hi, width, plot + 2, 1.0);
  if (self->lo < 0.0f && self->hi > 0.0f)
    {
      double x = width * (0.0 - self->lo) / (self->hi - self->lo);

      cnv_chart_set_color (cr, &fg, 0.5);
      cairo_set_dash (cr, (double[]) { 3, 3 }, 2, 0);
      cairo_move_to (cr, floor (x) + 0.5, 0);
      cairo_line_to (cr, floor (x) + 0.5, plot);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      /* Only when it does not run into the ends' labels. */
      if (x > 48 && x < width - 48)
        {
          cnv_chart_set_color (cr, &fg, 0.7);
          draw_label (widget, cr, "0", x, plot + 2, 0.5);
        }
    }

  cairo_destroy (cr);
}

static void
cnv_histogram_chart_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 160;
      *natural = 360;
    }
  else
    *minimum = *natural = 64 + AXIS_HEIGHT;
}

static void
cnv_histogram_chart_finalize (GObject *object)
{
  CnvHistogramChart *self = CNV_HISTOGRAM_CHART (object);

  g_free (self->counts);

  G_OBJECT_CLASS (cnv_histogram_chart_parent_class)->finalize (object);
}

static void
cnv_histogram_chart_class_init (CnvHistogramChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cnv_histogram_chart_finalize;
  widget_class->snapshot = cnv_histogram_chart_snapshot;
  widget_class->measure = cnv_histogram_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "histogramchart");
  gtk_widget_class_set_accessible_role (widget_class,
                                        GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cnv_histogram_chart_init (CnvHistogramChart *self)
{
}

GtkWidget *
cnv_histogram_chart_new (const CnvHistogram *histogram)
{
  CnvHistogramChart *self = g_object_new (CNV_TYPE_HISTOGRAM_CHART, NULL);
  g_autofree char *description = NULL;

  g_return_val_if_fail (histogram != NULL, NULL);

  self->n_bins = histogram->n_bins;
  self->counts = g_memdup2 (histogram->counts,
                            sizeof (guint) * histogram->n_bins);
  self->lo = histogram->lo;
  self->hi = histogram->hi;

  /* Translators: what a screen reader says for a weight histogram. */
  description = g_strdup_printf (_("Histogram of %zu weights from %.3g to "
                                   "%.3g, mean %.3g"), histogram->n_values,
                                 histogram->lo, histogram->hi,
                                 histogram->mean);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);

  return GTK_WIDGET (self);
}
