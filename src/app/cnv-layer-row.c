/* cnv-layer-row.c — one row of the layer list
 *
 * The rows outlive edits: the editor updates a row in place when its
 * layer changes and only adds or removes rows at the end when the stack
 * grows or shrinks, so that the row with the keyboard focus keeps it.
 */
#define G_LOG_DOMAIN "cnv-layer-row"

#include <glib/gi18n.h>

#include "cnv-format.h"
#include "cnv-layer-row.h"

struct _CnvLayerRow
{
  GtkListBoxRow  parent_instance;

  /* template children */
  GtkLabel      *sign_label;
  GtkLabel      *title_label;
  GtkLabel      *subtitle_label;
  GtkLabel      *count_label;
  GtkWidget     *problem_box;
  GtkLabel      *problem_label;

  /* state */
  const char    *family;      /* the CSS class on sign_label (static) */
  gboolean       has_problem;
};

G_DEFINE_FINAL_TYPE (CnvLayerRow, cnv_layer_row, GTK_TYPE_LIST_BOX_ROW)

static char *
describe_layer (const CnvLayerSpec *layer)
{
  const char *title = cnv_layer_kind_get_title (layer->kind);

  switch (layer->kind)
    {
    case CNV_LAYER_CONV2D:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s %d × %d, %d filter",
                                           "%s %d × %d, %d filters",
                                           layer->filters),
                              title, layer->kernel[0], layer->kernel[1],
                              layer->filters);
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
      return g_strdup_printf ("%s %d × %d", title,
                              layer->kernel[0], layer->kernel[1]);
    case CNV_LAYER_DENSE:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s, %d unit", "%s, %d units",
                                           layer->units),
                              title, layer->units);
    case CNV_LAYER_DROPOUT:
      return g_strdup_printf (_("%s, rate %g"), title, layer->rate);
    case CNV_LAYER_LEAKY_RELU:
      return g_strdup_printf (_("%s, slope %g"), title, layer->slope);
    default:
      return g_strdup (title);
    }
}

/* The short sign on a row and the CSS class that colours it by family.
 * A kind the table does not know yet gets the start of its name. */
static void
kind_sign (CnvLayerKind  kind,
           char        **sign,
           const char  **family)
{
  static const struct { const char *sign; const char *family; } signs[] = {
    [CNV_LAYER_CONV2D] = { "Conv", "conv" },
    [CNV_LAYER_MAX_POOL] = { "Max", "pool" },
    [CNV_LAYER_AVG_POOL] = { "Avg", "pool" },
    [CNV_LAYER_GLOBAL_AVG_POOL] = { "GAP", "pool" },
    [CNV_LAYER_BATCH_NORM] = { "BN", "norm" },
    [CNV_LAYER_DROPOUT] = { "Drop", "norm" },
    [CNV_LAYER_FLATTEN] = { "Flat", "shape" },
    [CNV_LAYER_DENSE] = { "FC", "dense" },
    [CNV_LAYER_RELU] = { "ReLU", "activation" },
    [CNV_LAYER_LEAKY_RELU] = { "LReLU", "activation" },
    [CNV_LAYER_SIGMOID] = { "σ", "activation" },
    [CNV_LAYER_TANH] = { "tanh", "activation" },
    [CNV_LAYER_SOFTMAX] = { "Soft", "activation" },
  };

  if ((guint) kind < G_N_ELEMENTS (signs) && signs[kind].sign != NULL)
    {
      *sign = g_strdup (signs[kind].sign);
      *family = signs[kind].family;
      return;
    }

  *sign = g_utf8_substring (cnv_layer_kind_to_string (kind), 0, 4);
  *family = "shape";
}

void
cnv_layer_row_update (CnvLayerRow        *self,
                      const CnvLayerSpec *layer,
                      const CnvShape     *output,
                      gsize               n_params,
                      const char         *problem)
{
  g_autofree char *title = describe_layer (layer);
  g_autofree char *sign = NULL;
  g_autofree char *shape = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *count = NULL;
  g_autofree char *accessible = NULL;
  const char *family;

  g_return_if_fail (CNV_IS_LAYER_ROW (self));

  kind_sign (layer->kind, &sign, &family);
  gtk_label_set_label (self->sign_label, sign);
  if (self->family != family)
    {
      if (self->family != NULL)
        gtk_widget_remove_css_class (GTK_WIDGET (self->sign_label),
                                     self->family);
      gtk_widget_add_css_class (GTK_WIDGET (self->sign_label), family);
      self->family = family;
    }

  gtk_label_set_label (self->title_label, title);

  /* A layer that is itself broken has no shape: the engine's best effort
   * would be a number the stack cannot produce. */
  if (problem == NULL && output->channels > 0)
    shape = cnv_format_shape (output);
  if (problem == NULL && n_params > 0)
    count = cnv_format_count (n_params);

  /* Translators: a layer's id and its output shape, "conv1 · 8 × 28 × 28". */
  subtitle = g_strdup_printf (_("%s · %s"), layer->id,
                              shape != NULL ? shape : "—");
  gtk_label_set_label (self->subtitle_label, subtitle);
  gtk_label_set_label (self->count_label, count != NULL ? count : "—");

  self->has_problem = problem != NULL;
  gtk_label_set_label (self->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (self->problem_box, problem != NULL);

  if (shape == NULL)
    /* Translators: what a screen reader says for a row whose shape is
     * unknown: "Convolution 40 × 3, 8 filters, conv1, shape unknown". */
    accessible = g_strdup_printf (_("%s, %s, shape unknown"), title,
                                  layer->id);
  else
    /* Translators: what a screen reader says for a row: "Convolution
     * 5 × 5, 8 filters, conv1 · 8 × 28 × 28, 208 parameters". */
    accessible = g_strdup_printf (_("%s, %s, %s parameters"), title, subtitle,
                                  count != NULL ? count : "0");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  problem != NULL ? problem : "",
                                  -1);
}

const char *
cnv_layer_row_get_title (CnvLayerRow *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_ROW (self), NULL);

  return gtk_label_get_label (self->title_label);
}

const char *
cnv_layer_row_get_subtitle (CnvLayerRow *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_ROW (self), NULL);

  return gtk_label_get_label (self->subtitle_label);
}

const char *
cnv_layer_row_get_count_text (CnvLayerRow *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_ROW (self), NULL);

  return gtk_label_get_label (self->count_label);
}

const char *
cnv_layer_row_get_problem (CnvLayerRow *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_ROW (self), NULL);

  return self->has_problem ? gtk_label_get_label (self->problem_label) : NULL;
}

GdkPaintable *
cnv_layer_row_snapshot_paintable (CnvLayerRow *self)
{
  g_autoptr(GdkPaintable) live = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  g_return_val_if_fail (CNV_IS_LAYER_ROW (self), NULL);

  if (native == NULL || width <= 0 || height <= 0)
    return NULL;

  /* A texture of the row now, not a GtkWidgetPaintable: that one follows
   * the row as it is redrawn, and the row under the pointer is drawn as
   * a drop target while the drag goes on. */
  live = gtk_widget_paintable_new (GTK_WIDGET (self));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (live, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return NULL;

  return GDK_PAINTABLE (gsk_renderer_render_texture (
    gtk_native_get_renderer (native), node,
    &GRAPHENE_RECT_INIT (0, 0, width, height)));
}

static void
cnv_layer_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CNV_TYPE_LAYER_ROW);

  G_OBJECT_CLASS (cnv_layer_row_parent_class)->dispose (object);
}

static void
cnv_layer_row_class_init (CnvLayerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_layer_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-layer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CnvLayerRow, sign_label);
  gtk_widget_class_bind_template_child (widget_class, CnvLayerRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, CnvLayerRow,
                                        subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, CnvLayerRow, count_label);
  gtk_widget_class_bind_template_child (widget_class, CnvLayerRow, problem_box);
  gtk_widget_class_bind_template_child (widget_class, CnvLayerRow,
                                        problem_label);
}

static void
cnv_layer_row_init (CnvLayerRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cnv_layer_row_new (void)
{
  return g_object_new (CNV_TYPE_LAYER_ROW, NULL);
}
