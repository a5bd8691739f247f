/* cnv-gradcam-view.c — where the image speaks for a class
 *
 * The Grad-CAM heat map of the chosen convolution and class, over the
 * network's input in grey, with an opacity slider.  The inspection holds
 * Grad-CAM for both classes over every convolution already, so every
 * choice here only blends and redraws (cnv_gradcam_render_overlay ()).
 */
#define G_LOG_DOMAIN "cnv-gradcam-view"

#include <glib/gi18n.h>

#include "cnv-export.h"
#include "cnv-gradcam-view.h"

struct _CnvGradcamView
{
  AdwBin parent_instance;

  /* template children */
  GtkWidget       *content;
  GtkDropDown     *layer_dropdown;
  GtkStringList   *layer_names;
  GtkToggleButton *predicted_toggle;
  GtkToggleButton *other_toggle;
  GtkScale        *opacity_scale;
  CnvPixelView    *heat_view;
  GtkLabel        *caption;

  /* owned */
  CnvInspection   *inspection;
  GArray          *layers;   /* guint: the layer of each dropdown entry */

  /* state */
  gboolean         updating;
};

G_DEFINE_FINAL_TYPE (CnvGradcamView, cnv_gradcam_view, ADW_TYPE_BIN)

static int
predicted_class (CnvGradcamView *self)
{
  const CnvClassifier *c = self->inspection->snapshot->classifier;

  return cnv_sigmoid (self->inspection->maps->logit) >= c->threshold ? 1 : 0;
}

int
cnv_gradcam_view_get_layer (CnvGradcamView *self)
{
  guint index = gtk_drop_down_get_selected (self->layer_dropdown);

  g_return_val_if_fail (CNV_IS_GRADCAM_VIEW (self), -1);

  if (self->inspection == NULL || index >= self->layers->len)
    return -1;

  return (int) g_array_index (self->layers, guint, index);
}

int
cnv_gradcam_view_get_class (CnvGradcamView *self)
{
  g_return_val_if_fail (CNV_IS_GRADCAM_VIEW (self), -1);

  if (self->inspection == NULL)
    return -1;

  return gtk_toggle_button_get_active (self->other_toggle)
         ? 1 - predicted_class (self) : predicted_class (self);
}

static void
show_heat (CnvGradcamView *self)
{
  g_autofree guint8 *rgb = NULL;
  g_autofree char *text = NULL;
  const CnvClassifier *c;
  const CnvModelSpec *spec;
  const CnvGradCam *cam;
  int layer = cnv_gradcam_view_get_layer (self);
  int target;

  if (self->updating)
    return;

  if (layer < 0)
    {
      cnv_pixel_view_set_rgb (self->heat_view, 0, 0, NULL);
      gtk_label_set_label (self->caption,
                           self->inspection != NULL
                           ? _("The model has no convolution for Grad-CAM to "
                               "look at.")
                           : "");
      return;
    }

  c = self->inspection->snapshot->classifier;
  spec = cnv_model_get_spec (c->model);
  target = cnv_gradcam_view_get_class (self);
  cam = cnv_inspection_get_cam (self->inspection, (guint) layer, target);

  rgb = g_malloc ((gsize) cam->width * cam->height * 3);
  cnv_gradcam_render_overlay (cam, self->inspection->image,
                              gtk_range_get_value (GTK_RANGE (self->opacity_scale)),
                              rgb);
  cnv_pixel_view_set_rgb (self->heat_view, cam->width, cam->height, rgb);

  if (cam->max > 0.0f)
    /* Translators: under the heat map; "Where the image speaks for
     * “sneaker”, seen from conv2 (yellow: most)". */
    text = g_strdup_printf (_("Where the image speaks for “%s”, seen from "
                              "%s (yellow: most)"), c->class_names[target],
                            spec->layers[layer].id);
  else
    text = g_strdup_printf (_("Nothing in the image speaks for “%s” at %s."),
                            c->class_names[target], spec->layers[layer].id);
  gtk_label_set_label (self->caption, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->heat_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Grad-CAM heat map"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

static void
update_class_labels (CnvGradcamView *self)
{
  g_autofree char *predicted = NULL;
  g_autofree char *other = NULL;
  const CnvClassifier *c;
  int p;

  if (self->inspection == NULL)
    return;

  c = self->inspection->snapshot->classifier;
  p = predicted_class (self);
  /* Translators: the two Grad-CAM choices; "Predicted: sneaker". */
  predicted = g_strdup_printf (_("Predicted: %s"), c->class_names[p]);
  other = g_strdup_printf (_("Other: %s"), c->class_names[1 - p]);
  gtk_button_set_label (GTK_BUTTON (self->predicted_toggle), predicted);
  gtk_button_set_label (GTK_BUTTON (self->other_toggle), other);
}

void
cnv_gradcam_view_set_inspection (CnvGradcamView *self,
                                 CnvInspection  *inspection)
{
  int previous;
  guint n, selected = G_MAXUINT;

  g_return_if_fail (CNV_IS_GRADCAM_VIEW (self));

  if (self->inspection == inspection)
    return;

  previous = cnv_gradcam_view_get_layer (self);
  g_clear_pointer (&self->inspection, cnv_inspection_unref);
  if (inspection != NULL)
    self->inspection = cnv_inspection_ref (inspection);

  self->updating = TRUE;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->layer_names));
  gtk_string_list_splice (self->layer_names, 0, n, NULL);
  g_array_set_size (self->layers, 0);
  if (inspection != NULL)
    {
      const CnvModelSpec *spec;

      spec = cnv_model_get_spec (inspection->snapshot->classifier->model);
      for (guint i = 0; i < spec->n_layers; i++)
        if (cnv_inspection_get_cam (inspection, i, 0) != NULL)
          {
            if ((int) i == previous)
              selected = self->layers->len;
            g_array_append_val (self->layers, i);
            gtk_string_list_append (self->layer_names, spec->layers[i].id);
          }
      /* The last convolution by default: its maps are the most about the
       * classes and still have places. */
      if (selected == G_MAXUINT && self->layers->len > 0)
        selected = self->layers->len - 1;
      if (selected != G_MAXUINT)
        gtk_drop_down_set_selected (self->layer_dropdown, selected);
    }
  gtk_toggle_button_set_active (self->predicted_toggle, TRUE);
  update_class_labels (self);
  self->updating = FALSE;

  show_heat (self);
}

void
cnv_gradcam_view_set_layer (CnvGradcamView *self,
                            guint           layer)
{
  g_return_if_fail (CNV_IS_GRADCAM_VIEW (self));

  for (guint i = 0; i < self->layers->len; i++)
    if (g_array_index (self->layers, guint, i) == layer)
      gtk_drop_down_set_selected (self->layer_dropdown, i);
}

void
cnv_gradcam_view_show_other (CnvGradcamView *self,
                             gboolean        other)
{
  gtk_toggle_button_set_active (other ? self->other_toggle
                                      : self->predicted_toggle, TRUE);
}

void
cnv_gradcam_view_set_opacity (CnvGradcamView *self,
                              double          opacity)
{
  gtk_range_set_value (GTK_RANGE (self->opacity_scale), opacity);
}

static void
changed_cb (CnvGradcamView *self)
{
  show_heat (self);
}

static void
class_toggled_cb (GtkToggleButton *button,
                  CnvGradcamView  *self)
{
  if (gtk_toggle_button_get_active (button))
    show_heat (self);
}

static void
save_clicked_cb (CnvGradcamView *self)
{
  const CnvClassifier *c;
  g_autofree char *name = NULL;
  int layer = cnv_gradcam_view_get_layer (self);

  if (layer < 0)
    return;

  c = self->inspection->snapshot->classifier;
  name = g_strdup_printf ("gradcam-%s-%s.png",
                          cnv_model_get_spec (c->model)->layers[layer].id,
                          c->class_names[cnv_gradcam_view_get_class (self)]);
  cnv_export_save_png (self->content, _("Save Grad-CAM"), name);
}

static void
cnv_gradcam_view_dispose (GObject *object)
{
  CnvGradcamView *self = CNV_GRADCAM_VIEW (object);

  g_clear_pointer (&self->inspection, cnv_inspection_unref);
  g_clear_pointer (&self->layers, g_array_unref);

  G_OBJECT_CLASS (cnv_gradcam_view_parent_class)->dispose (object);
}

static void
cnv_gradcam_view_class_init (CnvGradcamViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_gradcam_view_dispose;

  g_type_ensure (CNV_TYPE_PIXEL_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-gradcam-view.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvGradcamView, name)
  BIND (content);
  BIND (layer_dropdown);
  BIND (layer_names);
  BIND (predicted_toggle);
  BIND (other_toggle);
  BIND (opacity_scale);
  BIND (heat_view);
  BIND (caption);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, class_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
}

static void
cnv_gradcam_view_init (CnvGradcamView *self)
{
  self->layers = g_array_new (FALSE, FALSE, sizeof (guint));
  gtk_widget_init_template (GTK_WIDGET (self));
}

CnvPixelView *
cnv_gradcam_view_get_heat_view (CnvGradcamView *self)
{
  return self->heat_view;
}

const char *
cnv_gradcam_view_get_caption (CnvGradcamView *self)
{
  return gtk_label_get_label (self->caption);
}

GtkWidget *
cnv_gradcam_view_get_content (CnvGradcamView *self)
{
  return self->content;
}
