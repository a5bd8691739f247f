/* cnv-training-chart.c — the live training curves: loss or accuracy
 *
 * Draws one metric of every batch as a faint trace with its exponential
 * moving average over it, and the per-epoch training and validation
 * values as joined points, on axes whose ticks land on round numbers.
 * Under the pointer, a guide line and a box read out the values nearest
 * to it.  The one idea: the x axis is measured in epochs, so batch and
 * epoch points share it, and the range only ever grows, so the curve
 * never jumps back while a run goes on.  The chart keeps both metrics of
 * every point, so switching between them needs no history.
 */
#define G_LOG_DOMAIN "cnv-training-chart"

#include <math.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "cnv-chart.h"
#include "cnv-format.h"
#include "cnv-training-chart.h"

/* Weight of the newest batch in the smoothed curve.  The average starts
 * at 0 and is divided by 1 - (1 - SMOOTHING)^n, as Adam does with its
 * moments, so the first batches are not dragged toward zero or lag. */
#define SMOOTHING 0.1

#define N_METRICS 2

typedef struct
{
  double x;
  double value[N_METRICS];
  double average[N_METRICS];    /* the moving average, biased toward 0 */
  double smoothed[N_METRICS];   /* the same with that bias divided out */
} BatchPoint;

typedef struct
{
  guint  epoch;
  double train[N_METRICS];
  double validation[N_METRICS];
} EpochPoint;

typedef struct
{
  double left, top, width, height;   /* the plot area in widget pixels */
  double y_min;
  double y_max;
  double y_step;
  double x_max;
} Frame;

struct _CnvTrainingChart
{
  GtkWidget parent_instance;

  /* owned */
  GArray *batches;   /* BatchPoint */
  GArray *epochs;    /* EpochPoint */

  /* state */
  CnvTrainingChartMetric metric;
  guint   n_epochs;
  double  hover;     /* in epochs; NaN: no read-out */
};

G_DEFINE_FINAL_TYPE (CnvTrainingChart, cnv_training_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_METRIC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];


/* The value as the axis and the read-out write it. */
static char *
format_value (CnvTrainingChart *self,
              double            value,
              int               decimals)
{
  if (self->metric == CNV_TRAINING_CHART_ACCURACY)
    return cnv_format_percent (value, MAX (0, decimals - 2));

  return g_strdup_printf ("%.*f", decimals, value);
}

/* Enough decimals to write step exactly: 0.25 needs two. */
static int
decimals_for_step (double step)
{
  int decimals = 0;

  while (decimals < 6
         && fabs (step * pow (10, decimals) - round (step * pow (10, decimals)))
            > 1e-6)
    decimals++;

  return decimals;
}

/* The smallest and largest value drawn of the chart's metric. */
static gboolean
data_range (CnvTrainingChart *self,
            double           *lo,
            double           *hi)
{
  int m = self->metric;

  *lo = INFINITY;
  *hi = -INFINITY;

  for (guint i = 0; i < self->batches->len; i++)
    {
      double v = g_array_index (self->batches, BatchPoint, i).smoothed[m];

      *lo = MIN (*lo, v);
      *hi = MAX (*hi, v);
    }

  for (guint i = 0; i < self->epochs->len; i++)
    {
      EpochPoint *p = &g_array_index (self->epochs, EpochPoint, i);

      *lo = MIN (*lo, p->train[m]);
      *hi = MAX (*hi, p->train[m]);
      if (isfinite (p->validation[m]))
        {
          *lo = MIN (*lo, p->validation[m]);
          *hi = MAX (*hi, p->validation[m]);
        }
    }

  return isfinite (*lo) && isfinite (*hi);
}

/* The y range: a loss from 0 up to a whole tick above its largest value;
 * an accuracy from a whole tick below its smallest value up to 100 %. */
static void
compute_y_range (CnvTrainingChart *self,
                 Frame            *f)
{
  double lo, hi;
  gboolean any = data_range (self, &lo, &hi);

  if (self->metric == CNV_TRAINING_CHART_ACCURACY)
    {
      f->y_max = 1.0;
      lo = any ? MIN (lo, 0.9) : 0.0;
      f->y_step = cnv_chart_nice_step ((1.0 - MAX (lo, 0.0)) / 4.0 + 1e-9);
      f->y_min = MAX (0.0, f->y_step * floor (lo / f->y_step));
      return;
    }

  hi = any && hi > 0.0 ? hi * 1.1 : 1.0;
  f->y_step = cnv_chart_nice_step (hi / 4.0);
  f->y_min = 0.0;
  f->y_max = f->y_step * ceil (hi / f->y_step);
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
  double range = f->y_max - f->y_min;

  return f->top + f->height * (1.0 - (CLAMP (y, f->y_min, f->y_max) - f->y_min)
                                     / range);
}

/* Draws text with its anchor point at (x, y); xalign and yalign 0 … 1
 * say which point of the text's box that is. */
static void
show_text (CnvTrainingChart *self,
           cairo_t          *cr,
           const char       *text,
           double            x,
           double            y,
           double            xalign,
           double            yalign)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self),
                                                                  NULL);

  cnv_chart_show_text (cr, layout, text, x, y, xalign, yalign);
}

static void
draw_axes (CnvTrainingChart *self,
           cairo_t          *cr,
           const Frame      *f,
           const GdkRGBA    *fg)
{
  double x_step = f->x_max <= 10.0 ? 1.0 : cnv_chart_nice_step (f->x_max / 10.0);
  int decimals = decimals_for_step (f->y_step);

  cairo_set_line_width (cr, 1.0);

  /* Horizontal grid lines and value labels. */
  for (double y = f->y_min; y <= f->y_max + 1e-9; y += f->y_step)
    {
      g_autofree char *label = format_value (self, y, decimals);
      double py = round (to_y (f, y)) + 0.5;

      cnv_chart_set_color (cr, fg, 0.1);
      cairo_move_to (cr, f->left, py);
      cairo_line_to (cr, f->left + f->width, py);
      cairo_stroke (cr);

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
  show_text (self, cr,
             self->metric == CNV_TRAINING_CHART_ACCURACY ? _("Accuracy")
                                                         : _("Loss"),
             f->left - 6, f->top - 10, 0.0, 1.0);
}

/* How many batches share a pixel of the plot's width (at least 1). */
static guint
batch_stride (CnvTrainingChart *self,
              const Frame      *f)
{
  double per_pixel = self->batches->len / MAX (1.0, f->width);

  return MAX (1, (guint) floor (per_pixel));
}

/* The raw batch values, thin and faint: they show the spread, not the
 * trend, and must not hide the markers drawn over them. */
static void
draw_batch_trace (CnvTrainingChart *self,
                  cairo_t          *cr,
                  const Frame      *f)
{
  if (self->batches->len == 0)
    return;

  cairo_save (cr);
  cairo_rectangle (cr, f->left, f->top, f->width, f->height);
  cairo_clip (cr);

  cairo_set_line_width (cr, 0.75);
  cnv_chart_set_color (cr, &cnv_chart_blue, 0.3);
  /* A long run has far more batches than the plot has pixels: each
   * stretch of a pixel's width is drawn as the span of its values. */
  for (guint i = 0, stride = batch_stride (self, f); i < self->batches->len;
       i += stride)
    {
      guint end = MIN (i + stride, self->batches->len);
      double lo = INFINITY, hi = -INFINITY;
      double x = to_x (f, g_array_index (self->batches, BatchPoint, i).x);

      for (guint k = i; k < end; k++)
        {
          double v = g_array_index (self->batches, BatchPoint, k).value[self->metric];

          lo = MIN (lo, v);
          hi = MAX (hi, v);
        }
      cairo_line_to (cr, x, to_y (f, lo));
      if (hi > lo)
        cairo_line_to (cr, x, to_y (f, hi));
    }
  cairo_stroke (cr);

  cairo_restore (cr);
}

/* The moving average, drawn last so no epoch marker covers it: a 2 px
 * line on a wider halo of the background, which keeps it readable where
 * it crosses the markers. */
static void
draw_batch_trend (CnvTrainingChart *self,
                  cairo_t          *cr,
                  const Frame      *f,
                  const GdkRGBA    *bg)
{
  const BatchPoint *last;
  guint stride;

  if (self->batches->len == 0)
    return;

  cairo_save (cr);
  cairo_rectangle (cr, f->left, f->top, f->width, f->height);
  cairo_clip (cr);

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  /* The average changes little from batch to batch: a point a pixel
   * draws it, and the last one ends it where the data ends. */
  stride = batch_stride (self, f);
  for (guint i = 0; i < self->batches->len; i += stride)
    {
      BatchPoint *p = &g_array_index (self->batches, BatchPoint, i);

      cairo_line_to (cr, to_x (f, p->x), to_y (f, p->smoothed[self->metric]));
    }
  last = &g_array_index (self->batches, BatchPoint, self->batches->len - 1);
  cairo_line_to (cr, to_x (f, last->x), to_y (f, last->smoothed[self->metric]));

  cairo_set_line_width (cr, 4.0);
  cnv_chart_set_color (cr, bg, 0.8);
  cairo_stroke_preserve (cr);

  cairo_set_line_width (cr, 2.0);
  cnv_chart_set_color (cr, &cnv_chart_blue, 1.0);
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

static double
epoch_value (CnvTrainingChart *self,
             const EpochPoint *p,
             gboolean          validation)
{
  return validation ? p->validation[self->metric] : p->train[self->metric];
}

static void
draw_epoch_series (CnvTrainingChart *self,
                   cairo_t          *cr,
                   const Frame      *f,
                   gboolean          validation,
                   const GdkRGBA    *color)
{
  double radius = marker_radius (f);

  cairo_set_line_width (cr, 1.5);
  cnv_chart_set_color (cr, color, 0.8);
  cairo_new_path (cr);
  for (guint i = 0; i < self->epochs->len; i++)
    {
      EpochPoint *p = &g_array_index (self->epochs, EpochPoint, i);
      double value = epoch_value (self, p, validation);

      if (isfinite (value))
        cairo_line_to (cr, to_x (f, p->epoch), to_y (f, value));
    }
  cairo_stroke (cr);

  cnv_chart_set_color (cr, color, 1.0);
  for (guint i = 0; i < self->epochs->len; i++)
    {
      EpochPoint *p = &g_array_index (self->epochs, EpochPoint, i);
      double value = epoch_value (self, p, validation);

      if (!isfinite (value))
        continue;

      cairo_new_sub_path (cr);
      cairo_arc (cr, to_x (f, p->epoch), to_y (f, value), radius, 0,
                 2 * G_PI);
    }
  cairo_fill (cr);
}

/* The axis title already names the metric, so the entries only say
 * which values a line is. */
static void
draw_legend (CnvTrainingChart *self,
             cairo_t          *cr,
             const Frame      *f,
             const GdkRGBA    *fg)
{
  const struct
  {
    const char    *label;
    const GdkRGBA *color;
    gboolean       dot;
  } entries[] = {
    { _("Batches (smoothed)"), &cnv_chart_blue, FALSE },
    { _("Training"), &cnv_chart_orange, TRUE },
    { _("Validation"), &cnv_chart_green, TRUE },
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

/* The x range: the whole run when it is short; a long run's curves
 * would be squeezed into its first pixels, so the range there is a
 * quarter more than the data, rounded up to a whole tick, and grows in
 * steps as the run goes on, never beyond the run and never back. */
static double
x_range (CnvTrainingChart *self)
{
  double data = 0.0;
  double step;

  for (guint i = 0; i < self->batches->len; i++)
    data = MAX (data, g_array_index (self->batches, BatchPoint, i).x);
  for (guint i = 0; i < self->epochs->len; i++)
    data = MAX (data, g_array_index (self->epochs, EpochPoint, i).epoch);

  if (self->n_epochs <= 20)
    return MAX (1.0, MAX (self->n_epochs, ceil (data)));

  step = cnv_chart_nice_step (MAX (10.0, data * 1.25) / 5.0);

  return MIN (MAX (self->n_epochs, ceil (data)),
              step * ceil (MAX (10.0, data * 1.25) / step));
}

/* The plot area and axis ranges for a widget of width × height. */
static void
compute_frame (CnvTrainingChart *self,
               int               width,
               int               height,
               Frame            *f)
{
  f->left = 56;
  f->top = 36;
  f->width = width - f->left - 16;
  f->height = height - f->top - 44;
  f->x_max = x_range (self);

  compute_y_range (self, f);
}

/* Read-out */

typedef struct
{
  const EpochPoint *epoch;   /* nearest to the hover position, or NULL */
  const BatchPoint *batch;
} Nearest;

static gboolean
find_nearest (CnvTrainingChart *self,
              Nearest          *n)
{
  double best_epoch = INFINITY;
  double best_batch = INFINITY;

  n->epoch = NULL;
  n->batch = NULL;

  if (!isfinite (self->hover))
    return FALSE;

  for (guint i = 0; i < self->epochs->len; i++)
    {
      const EpochPoint *p = &g_array_index (self->epochs, EpochPoint, i);
      double d = fabs (p->epoch - self->hover);

      if (d < best_epoch)
        {
          best_epoch = d;
          n->epoch = p;
        }
    }

  for (guint i = 0; i < self->batches->len; i++)
    {
      const BatchPoint *p = &g_array_index (self->batches, BatchPoint, i);
      double d = fabs (p->x - self->hover);

      if (d < best_batch)
        {
          best_batch = d;
          n->batch = p;
        }
    }

  /* An epoch further than a whole epoch away is not what the pointer is
   * at; neither is a batch of another epoch. */
  if (best_epoch > 1.0)
    n->epoch = NULL;
  if (best_batch > 0.5)
    n->batch = NULL;

  return n->epoch != NULL || n->batch != NULL;
}

typedef struct
{
  char          *text;
  const GdkRGBA *color;   /* NULL: the heading */
} ReadoutLine;

/* Fills lines[4]; returns how many. */
static guint
readout_lines (CnvTrainingChart *self,
               const Nearest    *n,
               ReadoutLine      *lines)
{
  gboolean accuracy = self->metric == CNV_TRAINING_CHART_ACCURACY;
  int decimals = accuracy ? 3 : 4;
  guint count = 0;

  if (n->epoch != NULL)
    {
      g_autofree char *train = format_value (self, n->epoch->train[self->metric],
                                             decimals);
      double validation = n->epoch->validation[self->metric];

      lines[count++] = (ReadoutLine) {
        g_strdup_printf (_("Epoch %u"), n->epoch->epoch), NULL };
      lines[count++] = (ReadoutLine) {
        /* Translators: "Training: 0.2412" in the chart's read-out. */
        g_strdup_printf (_("Training: %s"), train), &cnv_chart_orange };
      if (isfinite (validation))
        {
          g_autofree char *text = format_value (self, validation, decimals);

          lines[count++] = (ReadoutLine) {
            g_strdup_printf (_("Validation: %s"), text), &cnv_chart_green };
        }
    }

  if (n->batch != NULL)
    {
      g_autofree char *text = format_value (self,
                                            n->batch->smoothed[self->metric],
                                            decimals);

      lines[count++] = (ReadoutLine) {
        /* Translators: the smoothed batch value at a position counted in
         * epochs, "Batches at 2.45: 0.2471". */
        g_strdup_printf (_("Batches at %.2f: %s"), n->batch->x, text),
        &cnv_chart_blue };
    }

  return count;
}

static void
draw_readout (CnvTrainingChart *self,
              cairo_t          *cr,
              const Frame      *f,
              const GdkRGBA    *fg,
              const GdkRGBA    *bg)
{
  ReadoutLine lines[4];
  PangoLayout *layouts[4];
  Nearest n;
  guint count;
  double guide, box_width = 0, box_height = 0, x, y;
  const double pad = 8, line_gap = 2;

  if (!find_nearest (self, &n))
    return;

  /* The guide at what the read-out reads: the epoch when there is one. */
  guide = n.epoch != NULL ? n.epoch->epoch : n.batch->x;
  cairo_save (cr);
  cairo_set_line_width (cr, 1.0);
  cnv_chart_set_color (cr, fg, 0.35);
  cairo_move_to (cr, round (to_x (f, guide)) + 0.5, f->top);
  cairo_line_to (cr, round (to_x (f, guide)) + 0.5, f->top + f->height);
  cairo_stroke (cr);
  cairo_restore (cr);

  count = readout_lines (self, &n, lines);
  for (guint i = 0; i < count; i++)
    {
      int width, height;

      layouts[i] = gtk_widget_create_pango_layout (GTK_WIDGET (self),
                                                   lines[i].text);
      pango_layout_get_pixel_size (layouts[i], &width, &height);
      box_width = MAX (box_width, width + (lines[i].color != NULL ? 14 : 0));
      box_height += height + (i > 0 ? line_gap : 0);
    }
  box_width += 2 * pad;
  box_height += 2 * pad;

  /* Beside the guide, on the side with room, at the top of the plot. */
  x = to_x (f, guide) + 10;
  if (x + box_width > f->left + f->width)
    x = to_x (f, guide) - 10 - box_width;
  x = MAX (x, f->left);
  y = f->top + 6;

  cairo_rectangle (cr, x, y, box_width, box_height);
  cnv_chart_set_color (cr, bg, 0.94);
  cairo_fill_preserve (cr);
  cnv_chart_set_color (cr, fg, 0.25);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);

  y += pad;
  for (guint i = 0; i < count; i++)
    {
      int width, height;
      double text_x = x + pad;

      pango_layout_get_pixel_size (layouts[i], &width, &height);
      if (lines[i].color != NULL)
        {
          cnv_chart_set_color (cr, lines[i].color, 1.0);
          cairo_arc (cr, text_x + 4, y + height / 2.0, 4.0, 0, 2 * G_PI);
          cairo_fill (cr);
          text_x += 14;
        }
      cnv_chart_set_color (cr, fg, 0.9);
      cairo_move_to (cr, round (text_x), round (y));
      pango_cairo_show_layout (cr, layouts[i]);
      y += height + line_gap;

      g_object_unref (layouts[i]);
      g_free (lines[i].text);
    }
}

static void
cnv_training_chart_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  CnvTrainingChart *self = CNV_TRAINING_CHART (widget);
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

  /* Back to front: the raw trace, the epoch series, the smoothed batch
   * values over them, and the read-out on top of everything. */
  draw_axes (self, cr, &f, &fg);
  draw_batch_trace (self, cr, &f);
  draw_epoch_series (self, cr, &f, FALSE, &cnv_chart_orange);
  draw_epoch_series (self, cr, &f, TRUE, &cnv_chart_green);
  draw_batch_trend (self, cr, &f, &bg);
  draw_legend (self, cr, &f, &fg);
  draw_readout (self, cr, &f, &fg, &bg);

  if (self->batches->len == 0 && self->epochs->len == 0)
    {
      cnv_chart_set_color (cr, &fg, 0.5);
      show_text (self, cr,
                 self->metric == CNV_TRAINING_CHART_ACCURACY
                 ? _("The accuracy appears here while the model trains")
                 : _("The loss appears here while the model trains"),
                 f.left + f.width / 2, f.top + f.height / 2, 0.5, 0.5);
    }

  cairo_destroy (cr);
}

static void
motion_cb (CnvTrainingChart *self,
           double            x,
           double            y)
{
  Frame f;

  compute_frame (self, gtk_widget_get_width (GTK_WIDGET (self)),
                 gtk_widget_get_height (GTK_WIDGET (self)), &f);

  if (x < f.left || x > f.left + f.width || f.width <= 0)
    cnv_training_chart_set_hover (self, NAN);
  else
    cnv_training_chart_set_hover (self, (x - f.left) / f.width * f.x_max);
}

static void
leave_cb (CnvTrainingChart *self)
{
  cnv_training_chart_set_hover (self, NAN);
}

double
cnv_training_chart_get_marker_radius (CnvTrainingChart *self)
{
  Frame f;

  g_return_val_if_fail (CNV_IS_TRAINING_CHART (self), 0.0);

  compute_frame (self, gtk_widget_get_width (GTK_WIDGET (self)),
                 gtk_widget_get_height (GTK_WIDGET (self)), &f);

  return marker_radius (&f);
}

static void
cnv_training_chart_measure (GtkWidget      *widget,
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
      *natural = 240;
    }
}

static void
cnv_training_chart_finalize (GObject *object)
{
  CnvTrainingChart *self = CNV_TRAINING_CHART (object);

  g_clear_pointer (&self->batches, g_array_unref);
  g_clear_pointer (&self->epochs, g_array_unref);

  G_OBJECT_CLASS (cnv_training_chart_parent_class)->finalize (object);
}

static void
cnv_training_chart_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CnvTrainingChart *self = CNV_TRAINING_CHART (object);

  switch (prop_id)
    {
    case PROP_METRIC:
      g_value_set_uint (value, self->metric);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_training_chart_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  CnvTrainingChart *self = CNV_TRAINING_CHART (object);

  switch (prop_id)
    {
    case PROP_METRIC:
      cnv_training_chart_set_metric (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_training_chart_class_init (CnvTrainingChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cnv_training_chart_finalize;
  object_class->get_property = cnv_training_chart_get_property;
  object_class->set_property = cnv_training_chart_set_property;

  /* A CnvTrainingChartMetric: 0 loss, 1 accuracy. */
  properties[PROP_METRIC] =
    g_param_spec_uint ("metric", NULL, NULL, 0, N_METRICS - 1, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                       | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  widget_class->snapshot = cnv_training_chart_snapshot;
  widget_class->measure = cnv_training_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "trainingchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

/* What the chart shows, for a screen reader: the last epoch's values,
 * or that there is nothing yet. */
static void
update_accessible_description (CnvTrainingChart *self)
{
  gboolean accuracy = self->metric == CNV_TRAINING_CHART_ACCURACY;
  g_autofree char *text = NULL;

  if (self->epochs->len > 0)
    {
      const EpochPoint *p = &g_array_index (self->epochs, EpochPoint,
                                            self->epochs->len - 1);
      g_autofree char *train = format_value (self, p->train[self->metric], 4);
      g_autofree char *validation = NULL;

      if (isfinite (p->validation[self->metric]))
        validation = format_value (self, p->validation[self->metric], 4);

      if (validation != NULL)
        /* Translators: "Epoch 3: training 0.2475, validation 0.2663". */
        text = g_strdup_printf (_("Epoch %u: training %s, validation %s"),
                                p->epoch, train, validation);
      else
        text = g_strdup_printf (_("Epoch %u: training %s"), p->epoch, train);
    }
  else if (self->batches->len > 0)
    text = g_strdup (_("The first epoch is under way"));
  else
    text = g_strdup (accuracy ? _("No accuracy yet: the model has not trained")
                              : _("No loss yet: the model has not trained"));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

static void
update_accessible_label (CnvTrainingChart *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->metric == CNV_TRAINING_CHART_ACCURACY
                                  ? _("Training accuracy curve")
                                  : _("Training loss curve"),
                                  -1);
  update_accessible_description (self);
}

static void
cnv_training_chart_init (CnvTrainingChart *self)
{
  GtkEventController *motion;

  self->batches = g_array_new (FALSE, FALSE, sizeof (BatchPoint));
  self->epochs = g_array_new (FALSE, FALSE, sizeof (EpochPoint));
  self->n_epochs = 1;
  self->hover = NAN;

  motion = gtk_event_controller_motion_new ();
  g_signal_connect_swapped (motion, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  update_accessible_label (self);
}

GtkWidget *
cnv_training_chart_new (CnvTrainingChartMetric metric)
{
  return g_object_new (CNV_TYPE_TRAINING_CHART, "metric", metric, NULL);
}

void
cnv_training_chart_set_metric (CnvTrainingChart      *self,
                               CnvTrainingChartMetric metric)
{
  g_return_if_fail (CNV_IS_TRAINING_CHART (self));
  g_return_if_fail (metric < N_METRICS);

  if (self->metric == metric)
    return;

  self->metric = metric;
  update_accessible_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METRIC]);
}

CnvTrainingChartMetric
cnv_training_chart_get_metric (CnvTrainingChart *self)
{
  g_return_val_if_fail (CNV_IS_TRAINING_CHART (self), 0);

  return self->metric;
}

void
cnv_training_chart_clear (CnvTrainingChart *self)
{
  g_return_if_fail (CNV_IS_TRAINING_CHART (self));

  g_array_set_size (self->batches, 0);
  g_array_set_size (self->epochs, 0);
  update_accessible_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cnv_training_chart_set_n_epochs (CnvTrainingChart *self,
                                 guint             n_epochs)
{
  g_return_if_fail (CNV_IS_TRAINING_CHART (self));

  if (self->n_epochs == n_epochs)
    return;

  self->n_epochs = n_epochs;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
cnv_training_chart_get_n_epochs (CnvTrainingChart *self)
{
  g_return_val_if_fail (CNV_IS_TRAINING_CHART (self), 0);

  return self->n_epochs;
}

void
cnv_training_chart_add_batch (CnvTrainingChart *self,
                              double            position,
                              double            loss,
                              double            accuracy)
{
  BatchPoint point = { position, { loss, accuracy } };
  const BatchPoint *previous = NULL;
  double debias;

  g_return_if_fail (CNV_IS_TRAINING_CHART (self));

  if (!isfinite (loss) || !isfinite (accuracy))
    return;

  if (self->batches->len > 0)
    previous = &g_array_index (self->batches, BatchPoint,
                               self->batches->len - 1);

  debias = 1.0 - pow (1.0 - SMOOTHING, self->batches->len + 1);
  for (int m = 0; m < N_METRICS; m++)
    {
      point.average[m] = SMOOTHING * point.value[m]
                         + (1.0 - SMOOTHING)
                           * (previous != NULL ? previous->average[m] : 0.0);
      point.smoothed[m] = point.average[m] / debias;
    }

  g_array_append_val (self->batches, point);
  if (self->batches->len == 1)
    update_accessible_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cnv_training_chart_add_epoch (CnvTrainingChart *self,
                              guint             epoch,
                              double            train_loss,
                              double            train_accuracy,
                              double            validation_loss,
                              double            validation_accuracy)
{
  EpochPoint point = {
    epoch, { train_loss, train_accuracy },
    { validation_loss, validation_accuracy },
  };

  g_return_if_fail (CNV_IS_TRAINING_CHART (self));

  g_array_append_val (self->epochs, point);
  update_accessible_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
cnv_training_chart_get_n_points (CnvTrainingChart *self)
{
  g_return_val_if_fail (CNV_IS_TRAINING_CHART (self), 0);

  return self->batches->len + self->epochs->len;
}

void
cnv_training_chart_set_hover (CnvTrainingChart *self,
                              double            position)
{
  g_return_if_fail (CNV_IS_TRAINING_CHART (self));

  if (self->hover == position || (isnan (self->hover) && isnan (position)))
    return;

  self->hover = position;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

char *
cnv_training_chart_get_readout (CnvTrainingChart *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  ReadoutLine lines[4];
  Nearest n;
  guint count;

  g_return_val_if_fail (CNV_IS_TRAINING_CHART (self), NULL);

  if (!find_nearest (self, &n))
    return NULL;

  count = readout_lines (self, &n, lines);
  for (guint i = 0; i < count; i++)
    {
      if (i > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, lines[i].text);
      g_free (lines[i].text);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}
