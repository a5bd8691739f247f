/* cnv-history-chart.c — the per-epoch losses of two training histories,
 * overlaid
 *
 * One x axis in epochs and one y axis in loss for both files, so that a
 * run continued from a checkpoint shows whether its curve picks up where
 * the other ends.  Each file has one colour; the training loss is a solid
 * line, the validation loss a dashed one, and the legend says which is
 * which in words, so colour is never the only cue.
 */
#define G_LOG_DOMAIN "cnv-history-chart"

#include <math.h>

#include <glib/gi18n.h>

#include "cnv.h"
#include "cnv-chart.h"
#include "cnv-history-chart.h"

#define MARGIN_LEFT   52.0
#define MARGIN_RIGHT  16.0
#define MARGIN_TOP    40.0
#define MARGIN_BOTTOM 36.0

struct _CnvHistoryChart
{
  GtkWidget parent_instance;

  /* owned */
  GArray   *histories[2];   /* CnvEpochRecord */
  char     *labels[2];
  char     *description;
};

G_DEFINE_FINAL_TYPE (CnvHistoryChart, cnv_history_chart, GTK_TYPE_WIDGET)

static const GdkRGBA side_colors[2] = {
  { 0.208, 0.518, 0.894, 1.0 },   /* blue: the first file */
  { 0.902, 0.380, 0.000, 1.0 },   /* orange: the second */
};

static double
record_value (const CnvEpochRecord *r,
              gboolean              validation)
{
  if (validation)
    return r->validation.n > 0 ? r->validation.loss : NAN;

  return r->train_loss;
}

/* The largest epoch and loss in either history. */
static void
extent (CnvHistoryChart *self,
        guint           *max_epoch,
        double          *max_loss)
{
  *max_epoch = 1;
  *max_loss = 0.0;

  for (guint s = 0; s < 2; s++)
    {
      GArray *h = self->histories[s];

      for (guint i = 0; h != NULL && i < h->len; i++)
        {
          const CnvEpochRecord *r = &g_array_index (h, CnvEpochRecord, i);

          *max_epoch = MAX (*max_epoch, r->epoch);
          for (int v = 0; v < 2; v++)
            if (isfinite (record_value (r, v)))
              *max_loss = MAX (*max_loss, record_value (r, v));
        }
    }

  /* Four round ticks from 0 up to just above the highest loss. */
  if (*max_loss <= 0.0 || !isfinite (*max_loss))
    *max_loss = 1.0;
  *max_loss = 4.0 * cnv_chart_nice_step (*max_loss / 4.0);
}

/* The first file's lines are drawn wider and first, so that where the
 * second run retraces the first (a run continued from it) both show. */
static void
draw_line (cairo_t        *cr,
           const GArray   *h,
           gboolean        validation,
           double          width_of_line,
           const GdkRGBA  *color,
           double          x0,
           double          y0,
           double          width,
           double          height,
           guint           max_epoch,
           double          max_loss)
{
  static const double dash[] = { 6.0, 4.0 };
  gboolean drawing = FALSE;

  cairo_save (cr);
  cairo_set_line_width (cr, width_of_line);
  if (validation)
    cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0.0);
  cnv_chart_set_color (cr, color, 1.0);

  for (guint i = 0; i < h->len; i++)
    {
      const CnvEpochRecord *r = &g_array_index (h, CnvEpochRecord, i);
      double value = record_value (r, validation);
      double x = x0 + width * r->epoch / max_epoch;
      double y = y0 + height * (1.0 - MIN (value, max_loss) / max_loss);

      if (!isfinite (value))
        {
          drawing = FALSE;
          continue;
        }
      if (drawing)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      drawing = TRUE;
    }
  cairo_stroke (cr);

  /* A dot per epoch, so that a one-epoch history still shows. */
  cairo_set_dash (cr, NULL, 0, 0.0);
  for (guint i = 0; i < h->len; i++)
    {
      const CnvEpochRecord *r = &g_array_index (h, CnvEpochRecord, i);
      double value = record_value (r, validation);

      if (!isfinite (value))
        continue;
      cairo_arc (cr, x0 + width * r->epoch / max_epoch,
                 y0 + height * (1.0 - MIN (value, max_loss) / max_loss),
                 width_of_line / 2 + (validation ? 0.5 : 1.0), 0, 2 * G_PI);
      cairo_fill (cr);
    }
  cairo_restore (cr);
}

static void
draw_axes (CnvHistoryChart *self,
           cairo_t         *cr,
           PangoLayout     *layout,
           const GdkRGBA   *fg,
           double           x0,
           double           y0,
           double           width,
           double           height,
           guint            max_epoch,
           double           max_loss)
{
  guint step = MAX (1, max_epoch / 8);

  cairo_set_line_width (cr, 1.0);
  for (int i = 0; i <= 4; i++)
    {
      double y = y0 + height * i / 4.0;
      char text[G_ASCII_DTOSTR_BUF_SIZE];

      cnv_chart_set_color (cr, fg, 0.12);
      cairo_move_to (cr, x0, y);
      cairo_line_to (cr, x0 + width, y);
      cairo_stroke (cr);
      cnv_chart_set_color (cr, fg, 0.7);
      g_ascii_formatd (text, sizeof text, "%g", max_loss * (4 - i) / 4.0);
      cnv_chart_show_text (cr, layout, text, x0 - 6, y, 1.0, 0.5);
    }

  for (guint e = step; e <= max_epoch; e += step)
    {
      g_autofree char *text = g_strdup_printf ("%u", e);

      cnv_chart_set_color (cr, fg, 0.7);
      cnv_chart_show_text (cr, layout, text, x0 + width * e / max_epoch,
                 y0 + height + 12, 0.5, 0.5);
    }
  cnv_chart_set_color (cr, fg, 0.7);
  cnv_chart_show_text (cr, layout, _("Epoch"), x0 + width, y0 + height + 28, 1.0, 0.5);
  cnv_chart_show_text (cr, layout, _("Loss"), x0 - 6, y0 - 14, 1.0, 0.5);
}

static void
draw_legend (CnvHistoryChart *self,
             cairo_t         *cr,
             PangoLayout     *layout,
             const GdkRGBA   *fg,
             double           x,
             double           y)
{
  for (guint s = 0; s < 2; s++)
    {
      g_autofree char *text = NULL;
      int w, h;

      if (self->histories[s] == NULL || self->histories[s]->len == 0)
        continue;

      if (s == 0)
        /* Translators: a legend entry, "model.convolve (wide lines):
         * training solid, validation dashed". */
        text = g_strdup_printf (_("%s (wide lines): training solid, "
                                  "validation dashed"), self->labels[s]);
      else
        /* Translators: a legend entry, "model.convolve (thin lines):
         * training solid, validation dashed". */
        text = g_strdup_printf (_("%s (thin lines): training solid, "
                                  "validation dashed"), self->labels[s]);
      cnv_chart_set_color (cr, &side_colors[s], 1.0);
      cairo_rectangle (cr, x, y - 5 + s * 18, 14, 10);
      cairo_fill (cr);
      cnv_chart_set_color (cr, fg, 0.85);
      pango_layout_set_text (layout, text, -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      cairo_move_to (cr, x + 20, y + s * 18 - h / 2.0);
      pango_cairo_show_layout (cr, layout);
    }
}

static void
cnv_history_chart_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  CnvHistoryChart *self = CNV_HISTORY_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = height - MARGIN_TOP - MARGIN_BOTTOM - 18;
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget,
                                                                  NULL);
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (0, 0, width, height);
  guint max_epoch;
  double max_loss;
  GdkRGBA fg;
  cairo_t *cr;

  if (plot_w < 40 || plot_h < 40)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  extent (self, &max_epoch, &max_loss);
  cr = gtk_snapshot_append_cairo (snapshot, &bounds);

  draw_legend (self, cr, layout, &fg, MARGIN_LEFT, 10);
  draw_axes (self, cr, layout, &fg, MARGIN_LEFT, MARGIN_TOP + 18, plot_w,
             plot_h, max_epoch, max_loss);
  for (guint s = 0; s < 2; s++)
    if (self->histories[s] != NULL)
      for (int v = 0; v < 2; v++)
        draw_line (cr, self->histories[s], v, s == 0 ? 5.0 : 2.0,
                   &side_colors[s], MARGIN_LEFT,
                   MARGIN_TOP + 18, plot_w, plot_h, max_epoch, max_loss);

  cairo_destroy (cr);
}

static void
cnv_history_chart_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 240 : 200;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 260;
}

static void
cnv_history_chart_finalize (GObject *object)
{
  CnvHistoryChart *self = CNV_HISTORY_CHART (object);

  for (guint s = 0; s < 2; s++)
    {
      g_clear_pointer (&self->histories[s], g_array_unref);
      g_free (self->labels[s]);
    }
  g_free (self->description);

  G_OBJECT_CLASS (cnv_history_chart_parent_class)->finalize (object);
}

static void
cnv_history_chart_class_init (CnvHistoryChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cnv_history_chart_finalize;
  widget_class->snapshot = cnv_history_chart_snapshot;
  widget_class->measure = cnv_history_chart_measure;
  gtk_widget_class_set_accessible_role (widget_class,
                                        GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cnv_history_chart_init (CnvHistoryChart *self)
{
}

GtkWidget *
cnv_history_chart_new (void)
{
  return g_object_new (CNV_TYPE_HISTORY_CHART, NULL);
}

/* "model.convolve: 12 epochs, last training loss 0.193, validation loss
 * 0.201" for each side. */
static char *
describe_side (const GArray *h,
               const char   *label)
{
  const CnvEpochRecord *last;
  char train[G_ASCII_DTOSTR_BUF_SIZE];
  char valid[G_ASCII_DTOSTR_BUF_SIZE];

  if (h == NULL || h->len == 0)
    return g_strdup_printf (_("%s: not trained."), label);

  last = &g_array_index (h, CnvEpochRecord, h->len - 1);
  g_ascii_formatd (train, sizeof train, "%.3f", last->train_loss);
  if (last->validation.n == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%s: %u epoch, last training "
                                         "loss %s.",
                                         "%s: %u epochs, last training "
                                         "loss %s.", h->len),
                            label, h->len, train);

  g_ascii_formatd (valid, sizeof valid, "%.3f", last->validation.loss);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%s: %u epoch, last training loss "
                                       "%s, validation loss %s.",
                                       "%s: %u epochs, last training loss "
                                       "%s, validation loss %s.", h->len),
                          label, h->len, train, valid);
}

void
cnv_history_chart_set_histories (CnvHistoryChart *self,
                                 const GArray    *a,
                                 const char      *a_label,
                                 const GArray    *b,
                                 const char      *b_label)
{
  const GArray *in[2] = { a, b };
  const char *labels[2] = { a_label, b_label };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  g_return_if_fail (CNV_IS_HISTORY_CHART (self));

  for (guint s = 0; s < 2; s++)
    {
      g_clear_pointer (&self->histories[s], g_array_unref);
      self->histories[s] = g_array_new (FALSE, TRUE, sizeof (CnvEpochRecord));
      if (in[s] != NULL)
        g_array_append_vals (self->histories[s], in[s]->data, in[s]->len);
      g_free (self->labels[s]);
      self->labels[s] = g_strdup (labels[s] != NULL ? labels[s] : "");
    }

  first = describe_side (self->histories[0], self->labels[0]);
  second = describe_side (self->histories[1], self->labels[1]);
  g_free (self->description);
  self->description = g_strdup_printf ("%s %s", first, second);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Training curves of both checkpoints"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  self->description, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
cnv_history_chart_get_description (CnvHistoryChart *self)
{
  g_return_val_if_fail (CNV_IS_HISTORY_CHART (self), NULL);

  return self->description;
}
