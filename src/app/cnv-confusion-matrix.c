/* cnv-confusion-matrix.c — the confusion matrix, drawn with Cairo, with a
 * real button over each cell
 *
 * Rows are the true classes and columns the predicted ones, in class
 * index order, so the positive class comes second in both.  Each cell
 * shows its count, its share of its row (of the images of that true
 * class) and what it is called; right answers are tinted green, mistakes
 * red, deeper the larger their share.
 *
 * The one idea: the drawing is one function over any cairo_t (the report
 * uses it), and the interaction is four flat GtkButtons laid over the
 * cells.  They bring hover, focus rings, Tab and arrow-key navigation,
 * activation by Enter and Space, and an accessible name per cell, the
 * way every other button in the window does.
 */
#define G_LOG_DOMAIN "cnv-confusion-matrix"

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "cnv-chart.h"
#include "cnv-confusion-matrix.h"

#define HEADER_HEIGHT 46.0
#define CELL_GAP       4.0

struct _CnvConfusionMatrix
{
  GtkWidget parent_instance;

  /* owned */
  GtkWidget *cells[2][2];   /* buttons, children of the widget */
  char      *class_names[2];

  /* state */
  guint      counts[2][2];
};

G_DEFINE_FINAL_TYPE (CnvConfusionMatrix, cnv_confusion_matrix,
                     GTK_TYPE_WIDGET)

enum {
  CELL_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];


typedef struct
{
  double row_header;      /* width of the class names on the left */
  double cell_w, cell_h;
} Frame;

static void
frame_for (double  width,
           double  height,
           Frame  *frame)
{
  frame->row_header = CLAMP (width * 0.28, 80.0, 160.0);
  frame->cell_w = MAX (0.0, (width - frame->row_header) / 2.0);
  frame->cell_h = MAX (0.0, (height - HEADER_HEIGHT) / 2.0);
}

static void
cell_rect (const Frame      *frame,
           int               t,
           int               p,
           graphene_rect_t  *rect)
{
  graphene_rect_init (rect,
                      frame->row_header + p * frame->cell_w + CELL_GAP / 2,
                      HEADER_HEIGHT + t * frame->cell_h + CELL_GAP / 2,
                      frame->cell_w - CELL_GAP, frame->cell_h - CELL_GAP);
}

/* "false positives": what a cell is called, with class 1 positive. */
const char *
cnv_confusion_matrix_cell_kind (int   true_class,
                                int   predicted_class,
                                guint count)
{
  if (true_class == predicted_class)
    return true_class == 1
           ? g_dngettext (GETTEXT_PACKAGE, "true positive", "true positives",
                          count)
           : g_dngettext (GETTEXT_PACKAGE, "true negative", "true negatives",
                          count);

  return predicted_class == 1
         ? g_dngettext (GETTEXT_PACKAGE, "false positive", "false positives",
                        count)
         : g_dngettext (GETTEXT_PACKAGE, "false negative", "false negatives",
                        count);
}

static void
show_text (cairo_t     *cr,
           PangoLayout *layout,
           const char  *text,
           double       x,
           double       y,
           double       max_width,
           double       x_align)
{
  pango_layout_set_width (layout, max_width > 0
                                  ? (int) (max_width * PANGO_SCALE) : -1);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  cnv_chart_show_text (cr, layout, text, x, y, x_align, 0.5);
  pango_layout_set_width (layout, -1);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_NONE);
}

static void
rounded_rect (cairo_t               *cr,
              const graphene_rect_t *r,
              double                 radius)
{
  double x = r->origin.x, y = r->origin.y;
  double w = r->size.width, h = r->size.height;

  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + w - radius, y + h - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + h - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
draw_cell (cairo_t         *cr,
           PangoLayout     *layout,
           const Frame     *frame,
           int              t,
           int              p,
           const guint      counts[2][2],
           const GdkRGBA   *fg)
{
  PangoFontDescription *base = NULL;
  PangoFontDescription *big = NULL;
  guint row = counts[t][0] + counts[t][1];
  double share = row > 0 ? (double) counts[t][p] / row : 0.0;
  g_autofree char *count = g_strdup_printf ("%u", counts[t][p]);
  g_autofree char *percent = g_strdup_printf (_("%.1f %% of the row"),
                                              100.0 * share);
  graphene_rect_t r;
  double cx, cy;

  cell_rect (frame, t, p, &r);
  cx = r.origin.x + r.size.width / 2;
  cy = r.origin.y + r.size.height / 2;

  rounded_rect (cr, &r, 8.0);
  cnv_chart_set_color (cr, t == p ? &cnv_chart_green : &cnv_chart_red,
                       0.10 + 0.55 * share);
  cairo_fill (cr);

  /* The count, large; then its share and its name. */
  base = pango_font_description_copy (pango_layout_get_font_description (layout)
                                      ? pango_layout_get_font_description (layout)
                                      : pango_context_get_font_description (
                                          pango_layout_get_context (layout)));
  big = pango_font_description_copy (base);
  pango_font_description_set_weight (big, PANGO_WEIGHT_BOLD);
  pango_font_description_set_size (big,
                                   pango_font_description_get_size (base) * 2);
  pango_layout_set_font_description (layout, big);
  cnv_chart_set_color (cr, fg, 1.0);
  show_text (cr, layout, count, cx, cy - 16, r.size.width - 8, 0.5);
  pango_layout_set_font_description (layout, base);

  cnv_chart_set_color (cr, fg, 0.85);
  show_text (cr, layout, percent, cx, cy + 10, r.size.width - 8, 0.5);
  cnv_chart_set_color (cr, fg, 0.65);
  show_text (cr, layout, cnv_confusion_matrix_cell_kind (t, p, counts[t][p]),
             cx, cy + 28, r.size.width - 8, 0.5);

  pango_font_description_free (big);
  pango_font_description_free (base);
}

void
cnv_confusion_matrix_draw (cairo_t            *cr,
                           PangoLayout        *layout,
                           const char * const *class_names,
                           const guint         counts[2][2],
                           const GdkRGBA      *fg,
                           double              width,
                           double              height)
{
  Frame frame;

  frame_for (width, height, &frame);
  if (frame.cell_w < 40 || frame.cell_h < 40)
    return;

  /* Headers: "Predicted" over the columns, "True" over the row names. */
  cnv_chart_set_color (cr, fg, 0.65);
  show_text (cr, layout, _("Predicted class"),
             frame.row_header + frame.cell_w, 10, 2 * frame.cell_w, 0.5);
  show_text (cr, layout, _("True class"), 4, HEADER_HEIGHT - 14,
             frame.row_header - 8, 0.0);

  for (int c = 0; c < 2; c++)
    {
      g_autofree char *name = g_strdup_printf (c == 1 ? _("%s (positive)")
                                                      : "%s",
                                               class_names[c]);

      cnv_chart_set_color (cr, fg, 0.9);
      show_text (cr, layout, name,
                 frame.row_header + (c + 0.5) * frame.cell_w,
                 HEADER_HEIGHT - 14, frame.cell_w - 8, 0.5);
      show_text (cr, layout, name, 4,
                 HEADER_HEIGHT + (c + 0.5) * frame.cell_h,
                 frame.row_header - 10, 0.0);
    }

  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      draw_cell (cr, layout, &frame, t, p, counts, fg);
}

/* The widget */

static void
update_cell_labels (CnvConfusionMatrix *self)
{
  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      {
        guint row = self->counts[t][0] + self->counts[t][1];
        double share = row > 0 ? 100.0 * self->counts[t][p] / row : 0.0;
        g_autofree char *label = NULL;
        g_autofree char *tooltip = NULL;

        /* Translators: "True ankle-boot, predicted sneaker: 3 false
         * negatives, 7.5 % of the true ankle-boot images". */
        label = g_strdup_printf (_("True %s, predicted %s: %u %s, %.1f %% of "
                                   "the true %s images"),
                                 self->class_names[t] ? self->class_names[t]
                                                      : "",
                                 self->class_names[p] ? self->class_names[p]
                                                      : "",
                                 self->counts[t][p],
                                 cnv_confusion_matrix_cell_kind (t, p,
                                                                 self->counts[t][p]),
                                 share,
                                 self->class_names[t] ? self->class_names[t]
                                                      : "");
        tooltip = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "Show this %u image",
                                                "Show these %u images",
                                                self->counts[t][p]),
                                   self->counts[t][p]);
        gtk_accessible_update_property (GTK_ACCESSIBLE (self->cells[t][p]),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                        GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                        tooltip, -1);
        gtk_widget_set_tooltip_text (self->cells[t][p], tooltip);
      }
}

static void
cell_clicked_cb (GtkButton          *button,
                 CnvConfusionMatrix *self)
{
  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      if (self->cells[t][p] == GTK_WIDGET (button))
        g_signal_emit (self, signals[CELL_ACTIVATED], 0, t, p);
}

static void
cnv_confusion_matrix_snapshot (GtkWidget   *widget,
                               GtkSnapshot *snapshot)
{
  CnvConfusionMatrix *self = CNV_CONFUSION_MATRIX (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget,
                                                                  NULL);
  const char *names[2] = { self->class_names[0] ? self->class_names[0] : "",
                           self->class_names[1] ? self->class_names[1] : "" };
  GdkRGBA fg;
  cairo_t *cr;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (0, 0, width, height));
  cnv_confusion_matrix_draw (cr, layout, names,
                             (const guint (*)[2]) self->counts, &fg, width,
                             height);
  cairo_destroy (cr);

  /* The buttons draw only their hover and focus, over the cells. */
  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      gtk_widget_snapshot_child (widget, self->cells[t][p], snapshot);
}

static void
cnv_confusion_matrix_size_allocate (GtkWidget *widget,
                                    int        width,
                                    int        height,
                                    int        baseline)
{
  CnvConfusionMatrix *self = CNV_CONFUSION_MATRIX (widget);
  Frame frame;

  frame_for (width, height, &frame);
  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      {
        graphene_rect_t r;
        GtkAllocation allocation;
        int min_w, min_h;

        cell_rect (&frame, t, p, &r);
        gtk_widget_measure (self->cells[t][p], GTK_ORIENTATION_HORIZONTAL, -1,
                            &min_w, NULL, NULL, NULL);
        gtk_widget_measure (self->cells[t][p], GTK_ORIENTATION_VERTICAL, -1,
                            &min_h, NULL, NULL, NULL);
        allocation.x = (int) r.origin.x;
        allocation.y = (int) r.origin.y;
        allocation.width = MAX (min_w, (int) r.size.width);
        allocation.height = MAX (min_h, (int) r.size.height);
        gtk_widget_size_allocate (self->cells[t][p], &allocation, -1);
      }
}

static void
cnv_confusion_matrix_measure (GtkWidget      *widget,
                              GtkOrientation  orientation,
                              int             for_size,
                              int            *minimum,
                              int            *natural,
                              int            *minimum_baseline,
                              int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 300 : 230;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 420 : 260;
}

static void
cnv_confusion_matrix_dispose (GObject *object)
{
  CnvConfusionMatrix *self = CNV_CONFUSION_MATRIX (object);

  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      g_clear_pointer (&self->cells[t][p], gtk_widget_unparent);
  g_clear_pointer (&self->class_names[0], g_free);
  g_clear_pointer (&self->class_names[1], g_free);

  G_OBJECT_CLASS (cnv_confusion_matrix_parent_class)->dispose (object);
}

static void
cnv_confusion_matrix_class_init (CnvConfusionMatrixClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_confusion_matrix_dispose;
  widget_class->snapshot = cnv_confusion_matrix_snapshot;
  widget_class->measure = cnv_confusion_matrix_measure;
  widget_class->size_allocate = cnv_confusion_matrix_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "confusionmatrix");
  gtk_widget_class_set_accessible_role (widget_class,
                                        GTK_ACCESSIBLE_ROLE_GROUP);

  signals[CELL_ACTIVATED] =
    g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_INT, G_TYPE_INT);
}

static void
cnv_confusion_matrix_init (CnvConfusionMatrix *self)
{
  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      {
        GtkWidget *button = gtk_button_new ();

        gtk_widget_add_css_class (button, "flat");
        gtk_widget_add_css_class (button, "matrix-cell");
        g_signal_connect (button, "clicked", G_CALLBACK (cell_clicked_cb),
                          self);
        gtk_widget_set_parent (button, GTK_WIDGET (self));
        self->cells[t][p] = button;
      }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Confusion matrix"), -1);
  update_cell_labels (self);
}

GtkWidget *
cnv_confusion_matrix_new (void)
{
  return g_object_new (CNV_TYPE_CONFUSION_MATRIX, NULL);
}

void
cnv_confusion_matrix_set_counts (CnvConfusionMatrix *self,
                                 const char * const *class_names,
                                 const CnvMetrics   *metrics)
{
  g_return_if_fail (CNV_IS_CONFUSION_MATRIX (self));
  g_return_if_fail (metrics != NULL);

  for (int c = 0; c < 2; c++)
    {
      g_free (self->class_names[c]);
      self->class_names[c] = g_strdup (class_names != NULL ? class_names[c]
                                                           : NULL);
    }

  self->counts[0][0] = metrics->tn;
  self->counts[0][1] = metrics->fp;
  self->counts[1][0] = metrics->fn;
  self->counts[1][1] = metrics->tp;

  update_cell_labels (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
cnv_confusion_matrix_get_count (CnvConfusionMatrix *self,
                                int                 true_class,
                                int                 predicted_class)
{
  g_return_val_if_fail (CNV_IS_CONFUSION_MATRIX (self), 0);
  g_return_val_if_fail (true_class == 0 || true_class == 1, 0);
  g_return_val_if_fail (predicted_class == 0 || predicted_class == 1, 0);

  return self->counts[true_class][predicted_class];
}

GtkWidget *
cnv_confusion_matrix_get_cell (CnvConfusionMatrix *self,
                               int                 true_class,
                               int                 predicted_class)
{
  g_return_val_if_fail (CNV_IS_CONFUSION_MATRIX (self), NULL);
  g_return_val_if_fail (true_class == 0 || true_class == 1, NULL);
  g_return_val_if_fail (predicted_class == 0 || predicted_class == 1, NULL);

  return self->cells[true_class][predicted_class];
}
