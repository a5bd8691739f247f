/* cnv-loss-chart.c — the live training loss curve
 *
 * Draws the loss of every batch as a faint trace with its exponential
 * moving average over it, and the per-epoch training and validation loss
 * as joined points, on axes whose ticks land on round numbers.  The one
 * idea: the x axis is measured in epochs, so batch and epoch points share
 * it, and the range only ever grows, so the curve never jumps back while
 * a run goes on.
 */
#define G_LOG_DOMAIN "cnv-loss-chart"

#include <math.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "cnv-chart.h"
#include "cnv-loss-chart.h"

/* Weight of the newest batch in the smoothed curve.  The average starts
 * at 0 and is divided by 1 - (1 - SMOOTHING)^n, as Adam does with its
 * moments, so the first batches are not dragged toward zero or lag. */
#define SMOOTHING 0.1

typedef struct
{
  double x;
  double loss;
  double average;    /* the moving average, biased toward 0 early on */
  double smoothed;   /* the same with that bias divided out */
} BatchPoint;

typedef struct
{
  guint  epoch;
  double train_loss;
  double validation_loss;
} EpochPoint;

typedef struct
{
  double left, top, width, height;   /* the plot area in widget pixels */
  double y_max;
  double x_max;
} Frame;

struct _CnvLossChart
{
  GtkWidget parent_instance;

  /* owned */
  GArray *batches;   /* BatchPoint */
  GArray *epochs;    /* EpochPoint */
  guint   n_epochs;
};

G_DEFINE_FINAL_TYPE (CnvLossChart, cnv_loss_chart, GTK_TYPE_WIDGET)

static const GdkRGBA batch_color = { 0.208, 0.518, 0.894, 1.0 };   /* blue */
static const GdkRGBA train_color = { 0.902, 0.380, 0.000, 1.0 };   /* orange */
static const GdkRGBA valid_color = { 0.149, 0.635, 0.412, 1.0 };   /* green */

static double
data_y_max (CnvLossChart *self)
{
  double y_max = 0.0;

  for (guint i = 0; i < self->batches->len; i++)
    y_max = MAX (y_max, g_array_index (self->batches, BatchPoint, i).smoothed);

  for (guint i = 0; i < self->epochs->len; i++)
    {
      EpochPoint *p = &g_array_index (self->epochs, EpochPoint, i);

      y_max = MAX (y_max, p->train_loss);
      if (isfinite (p->validation_loss))
        y_max = MAX (y_max, p->validation_loss);
    }

  return y_max > 0.0 && isfinite (y_max) ? y_max * 1.1 : 1.0;
}

static double
to_x (const Frame *f,
      double       x)
{
  return f->left + f->width * x / f->x_max;
}

static double
to_y (const Frame *f,
      double       y)
{
  return f->top + f->height * (1.0 - CLAMP (y, 0.0, f->y_max) / f->y_max);
}

/* Draws text with its anchor point at (x, y); xalign and yalign 0 … 1
 * say which point of the text's box that is. */
static void
show_text (CnvLossChart *self,
           cairo_t      *cr,
           const char   *text,
           double        x,
           double        y,
           double        xalign,
           double        yalign)
{
  g_autoptr(PangoLayout) layout = NULL;
  int width, height;

  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  pango_layout_get_pixel_size (layout, &width, &height);
  cairo_move_to (cr, round (x - width * xalign), round (y - height * yalign));
  pango_cairo_show_layout (cr, layout);
}

static void
draw_axes (CnvLossChart  *self,
           cairo_t       *cr,
           const Frame   *f,
           const GdkRGBA *fg)
{
  double y_step = cnv_chart_nice_step (f->y_max / 4.0);
  double x_step = f->x_max <= 10.0 ? 1.0 : cnv_chart_nice_step (f->x_max / 10.0);
  int decimals = 0;

  /* Enough decimals to write the step exactly: 0.25 needs two. */
  while (decimals < 6
         && fabs (y_step * pow (10, decimals)
                  - round (y_step * pow (10, decimals))) > 1e-6)
    decimals++;

  cairo_set_line_width (cr, 1.0);

  /* Horizontal grid lines and loss labels. */
  for (double y = 0.0; y <= f->y_max + 1e-9; y += y_step)
    {
      char label[32];
      double py = round (to_y (f, y)) + 0.5;

      cnv_chart_set_color (cr, fg, 0.1);
      cairo_move_to (cr, f->left, py);
      cairo_line_to (cr, f->left + f->width, py);
      cairo_stroke (cr);

      g_snprintf (label, sizeof label, "%.*f", decimals, y);
      cnv_chart_set_color (cr, fg, 0.7);
      show_text (self, cr, label, f->left - 6, py, 1.0, 0.5);
    }

  /* Epoch ticks and labels. */
  for (double x = 0.0; x <= f->x_max + 1e-9; x += x_step)
    {
      char label[32];
      double px = round (to_x (f, x)) + 0.5;
      double bottom = f->top + f->height;

      cnv_chart_set_color (cr, fg, 0.5);
      cairo_move_to (cr, px, bottom);
      cairo_line_to (cr, px, bottom + 4);
      cairo_stroke (cr);

      g_snprintf (label, sizeof label, "%.0f", x);
      cnv_chart_set_color (cr, fg, 0.7);
      show_text (self, cr, label, px, bottom + 5, 0.5, 0.0);
    }

  /* The axes themselves. */
  cnv_chart_set_color (cr, fg, 0.5);
  cairo_move_to (cr, f->left + 0.5, f->top);
  cairo_line_to (cr, f->left + 0.5, f->top + f->height + 0.5);
  cairo_line_to (cr, f->left + f->width, f->top + f->height + 0.5);
  cairo_stroke (cr);

  cnv_chart_set_color (cr, fg, 0.7);
  show_text (self, cr, _("Epoch"), f->left + f->width,
             f->top + f->height + 22, 1.0, 0.0);
  show_text (self, cr, _("Loss"), f->left - 6, f->top - 10, 1.0, 1.0);
}

/* The raw batch losses, thin and faint: they show the spread, not the
 * trend, and must not hide the markers drawn over them. */
static void
draw_batch_trace (CnvLossChart *self,
                  cairo_t      *cr,
                  const Frame  *f)
{
  if (self->batches->len == 0)
    return;

  cairo_save (cr);
  cairo_rectangle (cr, f->left, f->top, f->width, f->height);
  cairo_clip (cr);

  cairo_set_line_width (cr, 0.75);
  cnv_chart_set_color (cr, &batch_color, 0.3);
  for (guint i = 0; i < self->batches->len; i++)
    {
      BatchPoint *p = &g_array_index (self->batches, BatchPoint, i);

      cairo_line_to (cr, to_x (f, p->x), to_y (f, p->loss));
    }
  cairo_stroke (cr);

  cairo_restore (cr);
}

/* The moving average, drawn last so no epoch marker covers it: a 2 px
 * line on a wider halo of the background, which keeps it readable where
 * it crosses the markers. */
static void
draw_batch_trend (CnvLossChart  *self,
                  cairo_t       *cr,
                  const Frame   *f,
                  const GdkRGBA *bg)
{
  if (self->batches->len == 0)
    return;

  cairo_save (cr);
  cairo_rectangle (cr, f->left, f->top, f->width, f->height);
  cairo_clip (cr);

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (guint i = 0; i < self->batches->len; i++)
    {
      BatchPoint *p = &g_array_index (self->batches, BatchPoint, i);

      cairo_line_to (cr, to_x (f, p->x), to_y (f, p->smoothed));
    }

  cairo_set_line_width (cr, 4.0);
  cnv_chart_set_color (cr, bg, 0.8);
  cairo_stroke_preserve (cr);

  cairo_set_line_width (cr, 2.0);
  cnv_chart_set_color (cr, &batch_color, 1.0);
  cairo_stroke (cr);

  cairo_restore (cr);
}

/* Markers shrink as epochs crowd together: at most 4 px, a third of the
 * space between two epochs, at least 1.5 px. */
static double
marker_radius (const Frame *f)
{
  return CLAMP (f->width / f->x_max / 3.0, 1.5, 4.0);
}

static void
draw_epoch_series (CnvLossChart  *self,
                   cairo_t       *cr,
                   const Frame   *f,
                   gboolean       validation,
                   const GdkRGBA *color)
{
  double radius = marker_radius (f);

  cairo_set_line_width (cr, 1.5);
  cnv_chart_set_color (cr, color, 0.8);
  cairo_new_path (cr);
  for (guint i = 0; i < self->epochs->len; i++)
    {
      EpochPoint *p = &g_array_index (self->epochs, EpochPoint, i);
      double loss = validation ? p->validation_loss : p->train_loss;

      if (isfinite (loss))
        cairo_line_to (cr, to_x (f, p->epoch), to_y (f, loss));
    }
  cairo_stroke (cr);

  cnv_chart_set_color (cr, color, 1.0);
  for (guint i = 0; i < self->epochs->len; i++)
    {
      EpochPoint *p = &g_array_index (self->epochs, EpochPoint, i);
      double loss = validation ? p->validation_loss : p->train_loss;

      if (!isfinite (loss))
        continue;

      cairo_new_sub_path (cr);
      cairo_arc (cr, to_x (f, p->epoch), to_y (f, loss), radius, 0,
                 2 * G_PI);
    }
  cairo_fill (cr);
}

static void
draw_legend (CnvLossChart  *self,
             cairo_t       *cr,
             const Frame   *f,
             const GdkRGBA *fg)
{
  const struct
  {
    const char    *label;
    const GdkRGBA *color;
    gboolean       dot;
  } entries[] = {
    { _("Batch loss (smoothed)"), &batch_color, FALSE },
    { _("Training loss"), &train_color, TRUE },
    { _("Validation loss"), &valid_color, TRUE },
  };
  double x = f->left + f->width;
  double y = f->top - 12;

  /* Laid out right to left so the legend ends where the plot ends. */
  for (int i = G_N_ELEMENTS (entries) - 1; i >= 0; i--)
    {
      g_autoptr(PangoLayout) layout = NULL;
      int width, height;

      layout = gtk_widget_create_pango_layout (GTK_WIDGET (self),
                                               entries[i].label);
      pango_layout_get_pixel_size (layout, &width, &height);

      x -= width;
      cnv_chart_set_color (cr, fg, 0.8);
      cairo_move_to (cr, x, round (y - height / 2.0));
      pango_cairo_show_layout (cr, layout);

      x -= 22;
      cnv_chart_set_color (cr, entries[i].color, 1.0);
      if (entries[i].dot)
        {
          cairo_arc (cr, x + 8, y, 4.0, 0, 2 * G_PI);
          cairo_fill (cr);
        }
      else
        {
          cairo_set_line_width (cr, 2.0);
          cairo_move_to (cr, x, y);
          cairo_line_to (cr, x + 16, y);
          cairo_stroke (cr);
        }

      x -= 18;
    }
}

/* The plot area and axis ranges for a widget of width × height. */
static void
compute_frame (CnvLossChart *self,
               int           width,
               int           height,
               Frame        *f)
{
  double step;

  f->left = 48;
  f->top = 36;
  f->width = width - f->left - 16;
  f->height = height - f->top - 44;
  f->x_max = MAX (1, self->n_epochs);

  /* Round the top of the loss axis up to a whole tick. */
  step = cnv_chart_nice_step (data_y_max (self) / 4.0);
  f->y_max = step * ceil (data_y_max (self) / step);

  for (guint i = 0; i < self->batches->len; i++)
    {
      BatchPoint *p = &g_array_index (self->batches, BatchPoint, i);

      f->x_max = MAX (f->x_max, ceil (p->x));
    }
  for (guint i = 0; i < self->epochs->len; i++)
    f->x_max = MAX (f->x_max,
                    g_array_index (self->epochs, EpochPoint, i).epoch);
}

static void
cnv_loss_chart_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  CnvLossChart *self = CNV_LOSS_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;
  GdkRGBA fg;
  GdkRGBA bg;
  Frame f;

  if (width < 120 || height < 100)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget),
                                       "card_bg_color", &bg))
    bg = (GdkRGBA) { 1.0, 1.0, 1.0, 1.0 };
  G_GNUC_END_IGNORE_DEPRECATIONS

  compute_frame (self, width, height, &f);

  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Back to front: the raw trace, the epoch series, then the smoothed
   * batch loss on top of everything. */
  draw_axes (self, cr, &f, &fg);
  draw_batch_trace (self, cr, &f);
  draw_epoch_series (self, cr, &f, FALSE, &train_color);
  draw_epoch_series (self, cr, &f, TRUE, &valid_color);
  draw_batch_trend (self, cr, &f, &bg);
  draw_legend (self, cr, &f, &fg);

  if (self->batches->len == 0 && self->epochs->len == 0)
    {
      cnv_chart_set_color (cr, &fg, 0.5);
      show_text (self, cr, _("The loss appears here while the model trains"),
                 f.left + f.width / 2, f.top + f.height / 2, 0.5, 0.5);
    }

  cairo_destroy (cr);
}

double
cnv_loss_chart_get_marker_radius (CnvLossChart *self)
{
  Frame f;

  g_return_val_if_fail (CNV_IS_LOSS_CHART (self), 0.0);

  compute_frame (self, gtk_widget_get_width (GTK_WIDGET (self)),
                 gtk_widget_get_height (GTK_WIDGET (self)), &f);

  return marker_radius (&f);
}

static void
cnv_loss_chart_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 480;
    }
  else
    {
      *minimum = 200;
      *natural = 260;
    }
}

static void
cnv_loss_chart_finalize (GObject *object)
{
  CnvLossChart *self = CNV_LOSS_CHART (object);

  g_clear_pointer (&self->batches, g_array_unref);
  g_clear_pointer (&self->epochs, g_array_unref);

  G_OBJECT_CLASS (cnv_loss_chart_parent_class)->finalize (object);
}

static void
cnv_loss_chart_class_init (CnvLossChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cnv_loss_chart_finalize;
  widget_class->snapshot = cnv_loss_chart_snapshot;
  widget_class->measure = cnv_loss_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "losschart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cnv_loss_chart_init (CnvLossChart *self)
{
  self->batches = g_array_new (FALSE, FALSE, sizeof (BatchPoint));
  self->epochs = g_array_new (FALSE, FALSE, sizeof (EpochPoint));
  self->n_epochs = 1;

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Training loss curve"),
                                  -1);
}

GtkWidget *
cnv_loss_chart_new (void)
{
  return g_object_new (CNV_TYPE_LOSS_CHART, NULL);
}

void
cnv_loss_chart_clear (CnvLossChart *self)
{
  g_return_if_fail (CNV_IS_LOSS_CHART (self));

  g_array_set_size (self->batches, 0);
  g_array_set_size (self->epochs, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cnv_loss_chart_set_n_epochs (CnvLossChart *self,
                             guint         n_epochs)
{
  g_return_if_fail (CNV_IS_LOSS_CHART (self));

  if (self->n_epochs == n_epochs)
    return;

  self->n_epochs = n_epochs;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
cnv_loss_chart_get_n_epochs (CnvLossChart *self)
{
  g_return_val_if_fail (CNV_IS_LOSS_CHART (self), 0);

  return self->n_epochs;
}

void
cnv_loss_chart_add_batch_loss (CnvLossChart *self,
                               double        position,
                               double        loss)
{
  BatchPoint point = { position, loss, 0.0, 0.0 };
  double previous = 0.0;

  g_return_if_fail (CNV_IS_LOSS_CHART (self));

  if (!isfinite (loss))
    return;

  if (self->batches->len > 0)
    previous = g_array_index (self->batches, BatchPoint,
                              self->batches->len - 1).average;

  point.average = SMOOTHING * loss + (1.0 - SMOOTHING) * previous;
  point.smoothed = point.average
                   / (1.0 - pow (1.0 - SMOOTHING, self->batches->len + 1));

  g_array_append_val (self->batches, point);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cnv_loss_chart_add_epoch (CnvLossChart *self,
                          guint         epoch,
                          double        train_loss,
                          double        validation_loss)
{
  EpochPoint point = { epoch, train_loss, validation_loss };

  g_return_if_fail (CNV_IS_LOSS_CHART (self));

  g_array_append_val (self->epochs, point);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
cnv_loss_chart_get_n_points (CnvLossChart *self)
{
  g_return_val_if_fail (CNV_IS_LOSS_CHART (self), 0);

  return self->batches->len + self->epochs->len;
}
