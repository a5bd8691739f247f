/* cnv-prediction-row.c — thumbnail, name, class, probability bar, marks
 *
 * The bar is the probability of the positive class, whatever was
 * predicted, with the threshold as its middle mark, so a column of rows
 * reads as one scale.  A question mark flags a probability within
 * CNV_NEAR_THRESHOLD of the threshold; a red mark a prediction that
 * disagrees with the class folder the image was found in.
 */
#define G_LOG_DOMAIN "cnv-prediction-row"

#include <glib/gi18n.h>

#include "cnv-prediction-row.h"

struct _CnvPredictionRow
{
  GtkWidget parent_instance;

  /* template children */
  GtkPicture    *thumbnail;
  GtkLabel      *name_label;
  GtkLabel      *class_label;
  GtkImage      *near_icon;
  GtkImage      *wrong_icon;
  GtkLevelBar   *probability_bar;
  GtkLabel      *probability_label;

  /* owned */
  CnvPrediction *prediction;
  gulong         changed_id;
};

G_DEFINE_FINAL_TYPE (CnvPredictionRow, cnv_prediction_row, GTK_TYPE_WIDGET)

/* The error of p with the file named as the row names it: the messages
 * carry the whole path, which pushed the reason out of the row.  A pasted
 * image has no path, and its message none to shorten. */
static char *
short_error (CnvPrediction *p)
{
  const char *error = cnv_prediction_get_error (p);
  const char *path = cnv_prediction_get_path (p);
  g_autofree char *display = NULL;
  g_auto(GStrv) parts = NULL;

  if (error == NULL)
    return g_strdup ("");
  if (path == NULL)
    return g_strdup (error);

  display = g_filename_display_name (path);
  parts = g_strsplit (error, display, -1);

  return g_strjoinv (cnv_prediction_get_name (p), parts);
}

static void
update (CnvPredictionRow *self)
{
  CnvPrediction *p = self->prediction;
  g_autofree char *probability = NULL;
  g_autofree char *near = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *accessible = NULL;
  const CnvClassifier *c;
  const char *class_name;

  if (p == NULL)
    return;

  gtk_label_set_label (self->name_label, cnv_prediction_get_name (p));
  gtk_picture_set_paintable (self->thumbnail,
                             GDK_PAINTABLE (cnv_prediction_get_thumbnail (p)));

  class_name = cnv_prediction_get_class_name (p);
  if (class_name == NULL)
    {
      g_autofree char *reason = short_error (p);

      gtk_label_set_label (self->class_label, reason);
      gtk_widget_add_css_class (GTK_WIDGET (self->class_label), "error");
      /* The reason comes at the end of the message: four lines of it,
       * at most, rather than the first forty characters, and the list no
       * wider for it. */
      gtk_label_set_wrap (self->class_label, TRUE);
      gtk_label_set_wrap_mode (self->class_label, PANGO_WRAP_WORD_CHAR);
      gtk_label_set_lines (self->class_label, 4);
      gtk_label_set_max_width_chars (self->class_label, 30);
      gtk_widget_set_visible (GTK_WIDGET (self->probability_bar), FALSE);
      gtk_label_set_label (self->probability_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->near_icon), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->wrong_icon), FALSE);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                                   cnv_prediction_get_error (p));
      return;
    }

  c = cnv_prediction_get_snapshot (p)->classifier;
  gtk_widget_remove_css_class (GTK_WIDGET (self->class_label), "error");
  gtk_label_set_wrap (self->class_label, FALSE);
  gtk_label_set_lines (self->class_label, -1);
  gtk_label_set_max_width_chars (self->class_label, -1);
  gtk_label_set_label (self->class_label, class_name);
  gtk_widget_set_visible (GTK_WIDGET (self->probability_bar), TRUE);
  gtk_level_bar_set_value (self->probability_bar,
                           cnv_prediction_get_probability (p));
  probability = g_strdup_printf ("%.3f", cnv_prediction_get_probability (p));
  gtk_label_set_label (self->probability_label, probability);

  gtk_widget_set_visible (GTK_WIDGET (self->near_icon),
                          cnv_prediction_is_near_threshold (p));
  /* Translators: the near-threshold mark's tooltip. */
  near = g_strdup_printf (_("Close to the threshold %.2f: the model is "
                            "unsure"), c->threshold);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->near_icon), near);

  gtk_widget_set_visible (GTK_WIDGET (self->wrong_icon),
                          cnv_prediction_is_wrong (p));
  if (cnv_prediction_get_truth (p) >= 0)
    {
      /* Translators: the wrong-prediction mark's tooltip. */
      wrong = g_strdup_printf (_("Wrong: its folder says “%s”"),
                               c->class_names[cnv_prediction_get_truth (p)]);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->wrong_icon), wrong);
    }

  /* Translators: what a screen reader says for a row; "shoe.png:
   * sneaker, probability of sneaker 0.873". */
  accessible = g_strdup_printf (_("%s: %s, probability of %s %s%s%s"),
                                cnv_prediction_get_name (p), class_name,
                                c->class_names[1], probability,
                                cnv_prediction_is_near_threshold (p)
                                ? _(", near the threshold") : "",
                                cnv_prediction_is_wrong (p)
                                ? _(", wrong") : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

void
cnv_prediction_row_set_prediction (CnvPredictionRow *self,
                                   CnvPrediction    *prediction)
{
  g_return_if_fail (CNV_IS_PREDICTION_ROW (self));

  if (self->prediction == prediction)
    return;

  if (self->prediction != NULL)
    g_clear_signal_handler (&self->changed_id, self->prediction);
  g_set_object (&self->prediction, prediction);
  if (prediction != NULL)
    self->changed_id = g_signal_connect_swapped (prediction, "changed",
                                                 G_CALLBACK (update), self);
  update (self);
}

CnvPrediction *
cnv_prediction_row_get_prediction (CnvPredictionRow *self)
{
  return self->prediction;
}

static void
cnv_prediction_row_dispose (GObject *object)
{
  CnvPredictionRow *self = CNV_PREDICTION_ROW (object);
  GtkWidget *child;

  cnv_prediction_row_set_prediction (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CNV_TYPE_PREDICTION_ROW);
  /* The boxes the template does not name are children too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cnv_prediction_row_parent_class)->dispose (object);
}

static void
cnv_prediction_row_class_init (CnvPredictionRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_prediction_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-prediction-row.ui");
  gtk_widget_class_set_layout_manager_type (widget_class,
                                            GTK_TYPE_BOX_LAYOUT);

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvPredictionRow, name)
  BIND (thumbnail);
  BIND (name_label);
  BIND (class_label);
  BIND (near_icon);
  BIND (wrong_icon);
  BIND (probability_bar);
  BIND (probability_label);
#undef BIND
}

static void
cnv_prediction_row_init (CnvPredictionRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (
                                GTK_WIDGET (self))), 12);
}

GtkWidget *
cnv_prediction_row_new (void)
{
  return g_object_new (CNV_TYPE_PREDICTION_ROW, NULL);
}
