/* cnv-curve-chart.c — the ROC or precision–recall curve of an evaluation
 *
 * Both curves live on the unit square, drawn square, with ticks every 0.2
 * and a dashed line for what guessing would give: the diagonal for ROC,
 * the share of positives for precision–recall.  The ROC curve joins its
 * points with straight lines, whose area is the AUC; the precision–recall
 * curve is drawn as steps, precision P_k held from recall R_{k−1} to R_k,
 * whose area is exactly the average precision the legend quotes.
 *
 * The marker sits on the point the threshold selects (cnv_curves_find),
 * so moving the slider walks it along the curve.  Hovering snaps to the
 * nearest point and reads out its threshold and rates.  The drawing is
 * one function over any cairo_t, so the exported report shows the same
 * chart as the page.
 */
#define G_LOG_DOMAIN "cnv-curve-chart"

#include <math.h>

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "cnv-chart.h"
#include "cnv-curve-chart.h"

#define MARGIN_LEFT   50.0
#define MARGIN_RIGHT  14.0
#define MARGIN_BOTTOM 40.0
#define LEGEND_LINE   18.0
#define LEGEND_HEIGHT (3 * LEGEND_LINE + 14.0)

struct _CnvCurveChart
{
  GtkWidget parent_instance;

  /* owned */
  CnvEvaluation *evaluation;
  char          *readout;

  /* state */
  CnvCurveKind   kind;
  double         threshold;
  int            hover;
};

G_DEFINE_FINAL_TYPE (CnvCurveChart, cnv_curve_chart, GTK_TYPE_WIDGET)


typedef struct
{
  double left, top, side;   /* the plot square */
} Frame;

static void
frame_for (double  width,
           double  height,
           Frame  *frame)
{
  double available_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  double available_h = height - LEGEND_HEIGHT - MARGIN_BOTTOM;

  frame->side = MAX (0.0, MIN (available_w, available_h));
  frame->left = MARGIN_LEFT + (available_w - frame->side) / 2.0;
  frame->top = LEGEND_HEIGHT;
}

/* The point k of the curve in unit coordinates. */
static void
point_xy (CnvCurveKind     kind,
          const CnvCurves *curves,
          guint            k,
          double          *x,
          double          *y)
{
  if (kind == CNV_CURVE_ROC)
    {
      *x = curves->fpr[k];
      *y = curves->tpr[k];
    }
  else
    {
      *x = curves->tpr[k];
      *y = curves->precision[k];
    }
}

static double
to_x (const Frame *frame,
      double       u)
{
  return frame->left + frame->side * u;
}

static double
to_y (const Frame *frame,
      double       v)
{
  return frame->top + frame->side * (1.0 - v);
}

/* A legend line, cut with an ellipsis where the chart ends. */
static void
show_legend_text (cairo_t     *cr,
                  PangoLayout *layout,
                  const char  *text,
                  double       x,
                  double       y,
                  double       max_width)
{
  pango_layout_set_width (layout, (int) (MAX (max_width, 1) * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  cnv_chart_show_text (cr, layout, text, x, y, 0.0, 0.5);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_NONE);
  pango_layout_set_width (layout, -1);
}

/* "Threshold 0.62: false positive rate 0.05, true positive rate 0.91"
 * for point k.  threshold is the one printed: the slider's for the
 * marker, since point k's rates hold for any threshold in
 * (p[k+1], p[k]]; the point's own for the hover read-out. */
static char *
describe_point (CnvCurveKind     kind,
                const CnvCurves *curves,
                guint            k,
                double           threshold)
{
  double x, y;

  point_xy (kind, curves, k, &x, &y);

  if (k == 0)
    return g_strdup (_("Above every probability: nothing is called "
                       "positive"));

  if (kind == CNV_CURVE_ROC)
    return g_strdup_printf (_("Threshold %.3f: false positive rate %.2f, "
                              "true positive rate %.2f"),
                            threshold, x, y);

  return g_strdup_printf (_("Threshold %.3f: recall %.2f, precision %.2f"),
                          threshold, x, y);
}

static void
draw_axes (cairo_t       *cr,
           PangoLayout   *layout,
           CnvCurveKind   kind,
           const Frame   *frame,
           const GdkRGBA *fg)
{
  double step = cnv_chart_nice_step (1.0 / 5.0);

  cairo_set_line_width (cr, 1.0);
  for (int i = 0; i * step <= 1.0 + 1e-9; i++)
    {
      double v = i * step;
      char text[G_ASCII_DTOSTR_BUF_SIZE];

      g_snprintf (text, sizeof text, "%.1f", v);

      cnv_chart_set_color (cr, fg, 0.12);
      cairo_move_to (cr, frame->left, to_y (frame, v));
      cairo_line_to (cr, frame->left + frame->side, to_y (frame, v));
      cairo_move_to (cr, to_x (frame, v), frame->top);
      cairo_line_to (cr, to_x (frame, v), frame->top + frame->side);
      cairo_stroke (cr);

      cnv_chart_set_color (cr, fg, 0.7);
      cnv_chart_show_text (cr, layout, text, frame->left - 6, to_y (frame, v), 1.0,
                 0.5);
      cnv_chart_show_text (cr, layout, text, to_x (frame, v),
                 frame->top + frame->side + 4, 0.5, 0.0);
    }

  cnv_chart_set_color (cr, fg, 0.35);
  cairo_rectangle (cr, frame->left, frame->top, frame->side, frame->side);
  cairo_stroke (cr);

  cnv_chart_set_color (cr, fg, 0.85);
  cnv_chart_show_text (cr, layout,
             kind == CNV_CURVE_ROC ? _("False positive rate") : _("Recall"),
             frame->left + frame->side / 2, frame->top + frame->side + 22,
             0.5, 0.0);

  cairo_save (cr);
  cairo_translate (cr, frame->left - 40, frame->top + frame->side / 2);
  cairo_rotate (cr, -G_PI / 2);
  cnv_chart_show_text (cr, layout,
             kind == CNV_CURVE_ROC ? _("True positive rate (recall)")
                                   : _("Precision"),
             0, 0, 0.5, 0.0);
  cairo_restore (cr);
}

static void
draw_chance (cairo_t         *cr,
             CnvCurveKind     kind,
             const CnvCurves *curves,
             const Frame     *frame,
             const GdkRGBA   *fg)
{
  static const double dash[] = { 5.0, 4.0 };
  double n = curves->n_positive + curves->n_negative;
  double share = n > 0 ? curves->n_positive / n : 0.0;

  cairo_save (cr);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0.0);
  cairo_set_line_width (cr, 1.5);
  cnv_chart_set_color (cr, fg, 0.45);
  if (kind == CNV_CURVE_ROC)
    {
      cairo_move_to (cr, to_x (frame, 0), to_y (frame, 0));
      cairo_line_to (cr, to_x (frame, 1), to_y (frame, 1));
    }
  else
    {
      cairo_move_to (cr, to_x (frame, 0), to_y (frame, share));
      cairo_line_to (cr, to_x (frame, 1), to_y (frame, share));
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_curve (cairo_t         *cr,
            CnvCurveKind     kind,
            const CnvCurves *curves,
            const Frame     *frame)
{
  double x, y;

  cairo_save (cr);
  cairo_set_line_width (cr, 2.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cnv_chart_set_color (cr, &cnv_chart_blue, 1.0);

  point_xy (kind, curves, 0, &x, &y);
  cairo_move_to (cr, to_x (frame, x), to_y (frame, y));
  for (guint k = 1; k < curves->n_points; k++)
    {
      double previous_x = x;

      point_xy (kind, curves, k, &x, &y);
      /* Precision P_k holds over (R_{k−1}, R_k]: a step. */
      if (kind == CNV_CURVE_PRECISION_RECALL)
        cairo_line_to (cr, to_x (frame, previous_x), to_y (frame, y));
      cairo_line_to (cr, to_x (frame, x), to_y (frame, y));
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_dot (cairo_t       *cr,
          double         x,
          double         y,
          double         radius,
          const GdkRGBA *color,
          const GdkRGBA *ring)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
  cnv_chart_set_color (cr, color, 1.0);
  cairo_fill_preserve (cr);
  cairo_set_line_width (cr, 1.5);
  cnv_chart_set_color (cr, ring, 1.0);
  cairo_stroke (cr);
}

/* Three lines: the curve with its area, chance, the threshold's point. */
static void
draw_legend (cairo_t         *cr,
             PangoLayout     *layout,
             CnvCurveKind     kind,
             const CnvCurves *curves,
             double           threshold,
             guint            marker,
             const GdkRGBA   *fg,
             double           width)
{
  static const double dash[] = { 5.0, 4.0 };
  double n = curves->n_positive + curves->n_negative;
  g_autofree char *curve_text = NULL;
  g_autofree char *chance_text = NULL;
  g_autofree char *marker_text = describe_point (kind, curves, marker,
                                                 threshold);
  double y = LEGEND_LINE / 2 + 2;
  double x = 4;

  if (kind == CNV_CURVE_ROC)
    {
      curve_text = isnan (curves->auc)
                   ? g_strdup (_("ROC curve; its area needs both classes"))
                   : g_strdup_printf (_("ROC curve, area (AUC) %.3f"),
                                      curves->auc);
      chance_text = g_strdup (_("Guessing"));
    }
  else
    {
      curve_text = isnan (curves->average_precision)
                   ? g_strdup (_("Precision–recall; no positive images"))
                   : g_strdup_printf (_("Precision–recall, average "
                                        "precision %.3f"),
                                      curves->average_precision);
      chance_text = g_strdup_printf (_("Guessing: precision %.2f, the share "
                                       "of positives"),
                                     n > 0 ? curves->n_positive / n : 0.0);
    }

  cairo_set_line_width (cr, 2.5);
  cnv_chart_set_color (cr, &cnv_chart_blue, 1.0);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + 18, y);
  cairo_stroke (cr);
  cnv_chart_set_color (cr, fg, 0.85);
  show_legend_text (cr, layout, curve_text, x + 24, y, width - x - 24);

  y += LEGEND_LINE;
  cairo_save (cr);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0.0);
  cairo_set_line_width (cr, 1.5);
  cnv_chart_set_color (cr, fg, 0.45);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + 18, y);
  cairo_stroke (cr);
  cairo_restore (cr);
  cnv_chart_set_color (cr, fg, 0.85);
  show_legend_text (cr, layout, chance_text, x + 24, y, width - x - 24);

  y += LEGEND_LINE;
  draw_dot (cr, x + 9, y, 5.0, &cnv_chart_orange, fg);
  cnv_chart_set_color (cr, fg, 0.85);
  show_legend_text (cr, layout, marker_text, x + 24, y, width - x - 24);
}

/* The read-out: the point's threshold on one line, its rates on the
 * next, in a box beside the point that stays inside the chart. */
static char *
readout_text (CnvCurveKind     kind,
              const CnvCurves *curves,
              guint            k)
{
  double x, y;

  point_xy (kind, curves, k, &x, &y);

  if (k == 0)
    return g_strdup (_("Above every probability:\nnothing is called "
                       "positive"));

  if (kind == CNV_CURVE_ROC)
    return g_strdup_printf (_("Threshold %.3f\nfalse positive rate %.2f\n"
                              "true positive rate %.2f"),
                            curves->thresholds[k], x, y);

  return g_strdup_printf (_("Threshold %.3f\nrecall %.2f\nprecision %.2f"),
                          curves->thresholds[k], x, y);
}

static void
draw_readout (cairo_t         *cr,
              PangoLayout     *layout,
              CnvCurveKind     kind,
              const CnvCurves *curves,
              guint            k,
              const Frame     *frame,
              const GdkRGBA   *fg,
              double           width)
{
  g_autofree char *text = readout_text (kind, curves, k);
  double x, y, px, py, bx, by;
  int w, h;

  point_xy (kind, curves, k, &x, &y);
  px = to_x (frame, x);
  py = to_y (frame, y);

  draw_dot (cr, px, py, 4.0, fg, fg);

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);

  /* On the side of the point with more room, inside the chart. */
  bx = px + 10 + w + 12 <= width ? px + 10 : px - 10 - w - 12;
  bx = CLAMP (bx, 2, MAX (2, width - w - 14));
  by = py + 10 + h + 8 <= frame->top + frame->side ? py + 10
                                                   : py - 10 - h - 8;
  by = MAX (by, 2);

  cairo_rectangle (cr, bx, by, w + 12, h + 8);
  cairo_set_source_rgba (cr, 1.0 - fg->red, 1.0 - fg->green, 1.0 - fg->blue,
                         0.92);
  cairo_fill_preserve (cr);
  cairo_set_line_width (cr, 1.0);
  cnv_chart_set_color (cr, fg, 0.4);
  cairo_stroke (cr);
  cnv_chart_set_color (cr, fg, 1.0);
  cairo_move_to (cr, bx + 6, by + 4);
  pango_cairo_show_layout (cr, layout);
}

void
cnv_curve_chart_draw (cairo_t         *cr,
                      PangoLayout     *layout,
                      CnvCurveKind     kind,
                      const CnvCurves *curves,
                      double           threshold,
                      int              hover,
                      const GdkRGBA   *fg,
                      double           width,
                      double           height)
{
  Frame frame;
  guint marker;
  double x, y;

  frame_for (width, height, &frame);
  if (frame.side < 40)
    return;

  draw_axes (cr, layout, kind, &frame, fg);
  if (curves == NULL || curves->n_points == 0)
    return;

  marker = cnv_curves_find (curves, threshold);
  draw_legend (cr, layout, kind, curves, threshold, marker, fg, width);
  draw_chance (cr, kind, curves, &frame, fg);
  draw_curve (cr, kind, curves, &frame);

  point_xy (kind, curves, marker, &x, &y);
  draw_dot (cr, to_x (&frame, x), to_y (&frame, y), 6.0, &cnv_chart_orange, fg);

  if (hover >= 0 && (guint) hover < curves->n_points)
    draw_readout (cr, layout, kind, curves, (guint) hover, &frame, fg,
                  width);
}

/* The widget */

static const CnvCurves *
get_curves (CnvCurveChart *self)
{
  return self->evaluation != NULL ? self->evaluation->curves : NULL;
}

static void
update_accessible (CnvCurveChart *self)
{
  const CnvCurves *curves = get_curves (self);
  g_autofree char *description = NULL;
  g_autofree char *point = NULL;

  if (curves == NULL)
    description = g_strdup (_("No evaluation yet."));
  else
    {
      double area = self->kind == CNV_CURVE_ROC ? curves->auc
                                                : curves->average_precision;

      point = cnv_curve_chart_dup_marker_text (self);
      description = g_strdup_printf (self->kind == CNV_CURVE_ROC
                                     ? _("Area under the curve %.3f. %s.")
                                     : _("Average precision %.3f. %s."),
                                     area, point);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->kind == CNV_CURVE_ROC
                                  ? _("ROC curve")
                                  : _("Precision–recall curve"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
}

static void
cnv_curve_chart_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  CnvCurveChart *self = CNV_CURVE_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget,
                                                                  NULL);
  GdkRGBA fg;
  cairo_t *cr;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (0, 0, width, height));
  cnv_curve_chart_draw (cr, layout, self->kind, get_curves (self),
                        self->threshold, self->hover, &fg, width, height);
  cairo_destroy (cr);
}

static void
cnv_curve_chart_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 280 : 320;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 360 : 400;
}

static void
set_hover (CnvCurveChart *self,
           int            hover)
{
  const CnvCurves *curves = get_curves (self);

  if (self->hover == hover)
    return;

  self->hover = hover;
  g_clear_pointer (&self->readout, g_free);
  if (hover >= 0 && curves != NULL)
    self->readout = describe_point (self->kind, curves, (guint) hover,
                                    curves->thresholds[hover]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cnv_curve_chart_hover_at (CnvCurveChart *self,
                          double         px,
                          double         py)
{
  const CnvCurves *curves;
  double best = G_MAXDOUBLE;
  int nearest = -1;
  Frame frame;

  g_return_if_fail (CNV_IS_CURVE_CHART (self));

  curves = get_curves (self);
  frame_for (gtk_widget_get_width (GTK_WIDGET (self)),
             gtk_widget_get_height (GTK_WIDGET (self)), &frame);

  /* Only over the square, with a little slack at its edges. */
  if (curves == NULL || px < frame.left - 8 || py < frame.top - 8
      || px > frame.left + frame.side + 8 || py > frame.top + frame.side + 8)
    {
      set_hover (self, -1);
      return;
    }

  for (guint k = 0; k < curves->n_points; k++)
    {
      double x, y, dx, dy;

      point_xy (self->kind, curves, k, &x, &y);
      dx = to_x (&frame, x) - px;
      dy = to_y (&frame, y) - py;
      if (dx * dx + dy * dy < best)
        {
          best = dx * dx + dy * dy;
          nearest = (int) k;
        }
    }

  set_hover (self, nearest);
}

static void
motion_cb (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           CnvCurveChart            *self)
{
  cnv_curve_chart_hover_at (self, x, y);
}

static void
leave_cb (GtkEventControllerMotion *controller,
          CnvCurveChart            *self)
{
  set_hover (self, -1);
}

static void
cnv_curve_chart_dispose (GObject *object)
{
  CnvCurveChart *self = CNV_CURVE_CHART (object);

  g_clear_pointer (&self->evaluation, cnv_evaluation_unref);
  g_clear_pointer (&self->readout, g_free);

  G_OBJECT_CLASS (cnv_curve_chart_parent_class)->dispose (object);
}

static void
cnv_curve_chart_class_init (CnvCurveChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_curve_chart_dispose;
  widget_class->snapshot = cnv_curve_chart_snapshot;
  widget_class->measure = cnv_curve_chart_measure;
  gtk_widget_class_set_css_name (widget_class, "curvechart");
  gtk_widget_class_set_accessible_role (widget_class,
                                        GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cnv_curve_chart_init (CnvCurveChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->hover = -1;
  self->threshold = 0.5;
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  update_accessible (self);
}

GtkWidget *
cnv_curve_chart_new (CnvCurveKind kind)
{
  CnvCurveChart *self = g_object_new (CNV_TYPE_CURVE_CHART, NULL);

  cnv_curve_chart_set_kind (self, kind);

  return GTK_WIDGET (self);
}

void
cnv_curve_chart_set_kind (CnvCurveChart *self,
                          CnvCurveKind   kind)
{
  g_return_if_fail (CNV_IS_CURVE_CHART (self));

  self->kind = kind;
  set_hover (self, -1);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cnv_curve_chart_set_evaluation (CnvCurveChart *self,
                                CnvEvaluation *evaluation)
{
  g_return_if_fail (CNV_IS_CURVE_CHART (self));

  if (evaluation == self->evaluation)
    return;

  g_clear_pointer (&self->evaluation, cnv_evaluation_unref);
  if (evaluation != NULL)
    self->evaluation = cnv_evaluation_ref (evaluation);
  self->hover = -1;
  g_clear_pointer (&self->readout, g_free);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cnv_curve_chart_set_threshold (CnvCurveChart *self,
                               double         threshold)
{
  g_return_if_fail (CNV_IS_CURVE_CHART (self));

  if (threshold == self->threshold)
    return;

  self->threshold = threshold;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
cnv_curve_chart_get_marker (CnvCurveChart *self)
{
  g_return_val_if_fail (CNV_IS_CURVE_CHART (self), 0);

  if (get_curves (self) == NULL)
    return 0;

  return cnv_curves_find (get_curves (self), self->threshold);
}

char *
cnv_curve_chart_dup_marker_text (CnvCurveChart *self)
{
  const CnvCurves *curves;

  g_return_val_if_fail (CNV_IS_CURVE_CHART (self), NULL);

  curves = get_curves (self);
  if (curves == NULL)
    return NULL;

  return describe_point (self->kind, curves,
                         cnv_curves_find (curves, self->threshold),
                         self->threshold);
}

int
cnv_curve_chart_get_hover (CnvCurveChart *self)
{
  g_return_val_if_fail (CNV_IS_CURVE_CHART (self), -1);

  return self->hover;
}

const char *
cnv_curve_chart_get_readout (CnvCurveChart *self)
{
  g_return_val_if_fail (CNV_IS_CURVE_CHART (self), NULL);

  return self->readout;
}
