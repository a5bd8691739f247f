/* cnv-layer-editor.c — the layer stack editor's widgets
 *
 * The left pane of the window: a row per layer with a sign of its kind,
 * its key parameters, output shape, parameter count and first problem;
 * a panel to edit the selected layer; the input size; the totals.  All
 * of it is drawn from a CnvStackEditor, which holds the stack, the
 * selection and the undo history.
 *
 * The one idea: the widgets never keep their own copy of the stack.
 * Every control turns into one editor call, the editor says "changed",
 * and refresh () redraws from the editor's state; while it does,
 * `updating` keeps the controls' own signals from editing again.
 */
#define G_LOG_DOMAIN "cnv-layer-editor"

#include <glib/gi18n.h>

#include "cnv-layer-editor.h"
#include "cnv-stack-diagram.h"

typedef enum
{
  PARAM_FILTERS,
  PARAM_UNITS,
  PARAM_KERNEL_H,
  PARAM_KERNEL_W,
  PARAM_STRIDE_H,
  PARAM_STRIDE_W,
  PARAM_PADDING,
  PARAM_RATE,
  PARAM_SLOPE,
  PARAM_MOMENTUM,
  PARAM_EPSILON,
} Param;

typedef struct
{
  Param       param;
  const char *name;
  const char *title;
  double      lower;
  double      upper;
  double      step;
  guint       digits;
} ParamInfo;

/* Titles are translated where they are shown. */
static const ParamInfo filters_info =
  { PARAM_FILTERS, "filters", N_("Filters"), 1, 4096, 1, 0 };
static const ParamInfo units_info =
  { PARAM_UNITS, "units", N_("Units"), 1, 4096, 1, 0 };
static const ParamInfo kernel_h_info =
  { PARAM_KERNEL_H, "kernel-h", N_("Kernel Height"), 1, 64, 1, 0 };
static const ParamInfo kernel_w_info =
  { PARAM_KERNEL_W, "kernel-w", N_("Kernel Width"), 1, 64, 1, 0 };
static const ParamInfo size_h_info =
  { PARAM_KERNEL_H, "kernel-h", N_("Pool Height"), 1, 64, 1, 0 };
static const ParamInfo size_w_info =
  { PARAM_KERNEL_W, "kernel-w", N_("Pool Width"), 1, 64, 1, 0 };
static const ParamInfo stride_h_info =
  { PARAM_STRIDE_H, "stride-h", N_("Vertical Stride"), 1, 64, 1, 0 };
static const ParamInfo stride_w_info =
  { PARAM_STRIDE_W, "stride-w", N_("Horizontal Stride"), 1, 64, 1, 0 };
static const ParamInfo padding_info =
  { PARAM_PADDING, "padding", N_("Padding"), 0, 1, 1, 0 };
static const ParamInfo rate_info =
  { PARAM_RATE, "rate", N_("Dropout Rate"), 0, 0.95, 0.05, 2 };
static const ParamInfo slope_info =
  { PARAM_SLOPE, "slope", N_("Negative Slope"), 0, 1, 0.01, 3 };
static const ParamInfo momentum_info =
  { PARAM_MOMENTUM, "momentum", N_("Momentum"), 0.001, 1, 0.01, 3 };
static const ParamInfo epsilon_info =
  { PARAM_EPSILON, "epsilon", N_("Epsilon"), 1e-8, 0.1, 1e-5, 6 };

struct _CnvLayerEditor
{
  GtkBox               parent_instance;

  /* template children */
  GtkMenuButton       *add_button;
  GtkSpinButton       *width_spin;
  GtkSpinButton       *height_spin;
  AdwComboRow         *colour_row;
  AdwPreferencesGroup *layers_group;
  GtkListBox          *layer_list;
  AdwPreferencesGroup *panel_group;
  GtkListBox          *panel_list;
  GtkLabel            *panel_error;
  GtkLabel            *parameters_label;
  GtkLabel            *madds_label;
  GtkLabel            *weights_label;
  AdwActionRow        *activations_row;
  GtkLabel            *activations_label;
  GtkDrawingArea      *diagram_area;

  /* owned */
  CnvStackEditor      *editor;
  GPtrArray           *problems;      /* per row: char * or NULL */
  /* name → panel widget (borrowed from panel_list) */
  GHashTable          *panel_widgets;

  /* state */
  int                  panel_layer;   /* the layer the panel shows, or -1 */
  CnvLayerKind         panel_kind;
  gboolean             updating;
};

G_DEFINE_FINAL_TYPE (CnvLayerEditor, cnv_layer_editor, GTK_TYPE_BOX)

static void refresh (CnvLayerEditor *self);

/* Formatting */

static char *
format_shape (const CnvShape *shape)
{
  if (shape->channels == 0)
    return g_strdup ("?");

  if (shape->flat)
    return g_strdup_printf ("%d", shape->channels);

  return g_strdup_printf ("%d × %d × %d",
                          shape->channels, shape->height, shape->width);
}

static char *
format_count (guint64 n)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, n);
}

/* 1.3 M, 412 K: the size of a multiply-add count at a glance. */
static char *
format_large (guint64 n)
{
  if (n >= 1000000000)
    return g_strdup_printf (_("%.1f G"), n / 1e9);
  if (n >= 1000000)
    return g_strdup_printf (_("%.1f M"), n / 1e6);
  if (n >= 1000)
    return g_strdup_printf (_("%.1f K"), n / 1e3);

  return g_strdup_printf ("%" G_GUINT64_FORMAT, n);
}

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
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_N_LAYER_KINDS:
    default:
      return g_strdup (title);
    }
}

/* The short sign on a row and the CSS class that colours it by family. */
static void
kind_sign (CnvLayerKind  kind,
           const char  **sign,
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
  };

  g_assert (kind < CNV_N_LAYER_KINDS);
  *sign = signs[kind].sign;
  *family = signs[kind].family;
}

/* Parameters of one layer spec */

static double
get_param (const CnvLayerSpec *layer,
           Param               param)
{
  switch (param)
    {
    case PARAM_FILTERS: return layer->filters;
    case PARAM_UNITS: return layer->units;
    case PARAM_KERNEL_H: return layer->kernel[0];
    case PARAM_KERNEL_W: return layer->kernel[1];
    case PARAM_STRIDE_H: return layer->stride[0];
    case PARAM_STRIDE_W: return layer->stride[1];
    case PARAM_PADDING: return layer->padding == CNV_PADDING_SAME ? 1 : 0;
    case PARAM_RATE: return layer->rate;
    case PARAM_SLOPE: return layer->slope;
    case PARAM_MOMENTUM: return layer->momentum;
    case PARAM_EPSILON: return layer->epsilon;
    default: g_assert_not_reached ();
    }
}

static void
set_param (CnvLayerSpec *layer,
           Param         param,
           double        value)
{
  switch (param)
    {
    case PARAM_FILTERS: layer->filters = (int) value; break;
    case PARAM_UNITS: layer->units = (int) value; break;
    case PARAM_KERNEL_H: layer->kernel[0] = (int) value; break;
    case PARAM_KERNEL_W: layer->kernel[1] = (int) value; break;
    case PARAM_STRIDE_H: layer->stride[0] = (int) value; break;
    case PARAM_STRIDE_W: layer->stride[1] = (int) value; break;
    case PARAM_PADDING:
      layer->padding = value > 0.5 ? CNV_PADDING_SAME : CNV_PADDING_VALID;
      break;
    case PARAM_RATE: layer->rate = (float) value; break;
    case PARAM_SLOPE: layer->slope = (float) value; break;
    case PARAM_MOMENTUM: layer->momentum = (float) value; break;
    case PARAM_EPSILON: layer->epsilon = (float) value; break;
    default: g_assert_not_reached ();
    }
}

/* The panel rows of a kind, in order; returns how many. */
static guint
kind_params (CnvLayerKind      kind,
             const ParamInfo **out)
{
  guint n = 0;

  switch (kind)
    {
    case CNV_LAYER_CONV2D:
      out[n++] = &filters_info;
      out[n++] = &kernel_h_info;
      out[n++] = &kernel_w_info;
      out[n++] = &stride_h_info;
      out[n++] = &stride_w_info;
      out[n++] = &padding_info;
      break;
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
      out[n++] = &size_h_info;
      out[n++] = &size_w_info;
      out[n++] = &stride_h_info;
      out[n++] = &stride_w_info;
      out[n++] = &padding_info;
      break;
    case CNV_LAYER_DENSE:
      out[n++] = &units_info;
      break;
    case CNV_LAYER_DROPOUT:
      out[n++] = &rate_info;
      break;
    case CNV_LAYER_LEAKY_RELU:
      out[n++] = &slope_info;
      break;
    case CNV_LAYER_BATCH_NORM:
      out[n++] = &momentum_info;
      out[n++] = &epsilon_info;
      break;
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_N_LAYER_KINDS:
    default:
      break;
    }

  return n;
}

/* Editing one parameter of the selected layer */

static void
apply_param (CnvLayerEditor  *self,
             const ParamInfo *info,
             double           value)
{
  const CnvModelSpec *spec;
  CnvLayerSpec layer;
  g_autoptr(GError) error = NULL;

  if (self->updating || self->editor == NULL || self->panel_layer < 0)
    return;

  spec = cnv_stack_editor_get_spec (self->editor);
  if ((guint) self->panel_layer >= spec->n_layers)
    return;

  /* A shallow copy: id NULL keeps the layer's id. */
  layer = spec->layers[self->panel_layer];
  layer.id = NULL;
  set_param (&layer, info->param, value);

  if (!cnv_stack_editor_set_layer (self->editor, (guint) self->panel_layer,
                                   &layer, &error))
    {
      gtk_label_set_label (self->panel_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->panel_error), TRUE);
    }
}

static void
param_spin_changed_cb (GtkSpinButton  *spin,
                       CnvLayerEditor *self)
{
  const ParamInfo *info = g_object_get_data (G_OBJECT (spin), "param");

  apply_param (self, info, gtk_spin_button_get_value (spin));
}

static void
padding_selected_cb (AdwComboRow    *row,
                     GParamSpec     *pspec,
                     CnvLayerEditor *self)
{
  apply_param (self, &padding_info, adw_combo_row_get_selected (row));
}

static void
id_apply_cb (AdwEntryRow    *row,
             CnvLayerEditor *self)
{
  const char *id = gtk_editable_get_text (GTK_EDITABLE (row));
  g_autoptr(GError) error = NULL;

  if (self->editor == NULL || self->panel_layer < 0)
    return;

  if (cnv_stack_editor_rename_layer (self->editor, (guint) self->panel_layer,
                                     id, &error))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      gtk_widget_set_visible (GTK_WIDGET (self->panel_error), FALSE);
      return;
    }

  gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  gtk_label_set_label (self->panel_error, error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->panel_error), TRUE);
}

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkWidget *
new_param_row (CnvLayerEditor     *self,
               const ParamInfo    *info,
               const CnvLayerSpec *layer)
{
  GtkWidget *row;
  GtkWidget *spin;

  if (info->param == PARAM_PADDING)
    {
      const char *const choices[] = { _("Valid (none)"), _("Same"), NULL };
      g_autoptr(GtkStringList) model = gtk_string_list_new (choices);

      row = adw_combo_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(info->title));
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
      adw_combo_row_set_selected (ADW_COMBO_ROW (row),
                                  (guint) get_param (layer, info->param));
      g_signal_connect (row, "notify::selected",
                        G_CALLBACK (padding_selected_cb), self);
      g_hash_table_insert (self->panel_widgets, (gpointer) info->name, row);

      return row;
    }

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(info->title));

  spin = gtk_spin_button_new_with_range (info->lower, info->upper, info->step);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), info->digits);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin),
                             get_param (layer, info->param));
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _(info->title), -1);
  g_object_set_data (G_OBJECT (spin), "param", (gpointer) info);
  g_signal_connect (spin, "value-changed",
                    G_CALLBACK (param_spin_changed_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  g_hash_table_insert (self->panel_widgets, (gpointer) info->name, spin);

  return row;
}

/* Rebuilds the panel when another layer or kind is selected; otherwise
 * only brings its values up to date, so that a spin button being edited
 * is not replaced under the pointer. */
static void
update_panel (CnvLayerEditor *self)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (self->editor);
  int selection = cnv_stack_editor_get_selection (self->editor);
  const ParamInfo *infos[8];
  const CnvLayerSpec *layer;
  guint n;
  GtkWidget *id_row;

  gtk_widget_set_visible (GTK_WIDGET (self->panel_group),
                          selection >= 0 && (guint) selection < spec->n_layers);
  if (selection < 0 || (guint) selection >= spec->n_layers)
    {
      self->panel_layer = -1;
      return;
    }

  layer = &spec->layers[selection];
  n = kind_params (layer->kind, infos);

  if (self->panel_layer == selection && self->panel_kind == layer->kind)
    {
      for (guint i = 0; i < n; i++)
        {
          GtkWidget *w = g_hash_table_lookup (self->panel_widgets,
                                              infos[i]->name);

          if (ADW_IS_COMBO_ROW (w))
            adw_combo_row_set_selected (ADW_COMBO_ROW (w),
                                        (guint) get_param (layer, infos[i]->param));
          else
            gtk_spin_button_set_value (GTK_SPIN_BUTTON (w),
                                       get_param (layer, infos[i]->param));
        }

      id_row = g_hash_table_lookup (self->panel_widgets, "id");
      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (id_row)), layer->id) != 0
          && !gtk_widget_has_css_class (id_row, "error"))
        gtk_editable_set_text (GTK_EDITABLE (id_row), layer->id);
      return;
    }

  self->panel_layer = selection;
  self->panel_kind = layer->kind;
  g_hash_table_remove_all (self->panel_widgets);
  clear_list_box (self->panel_list);
  gtk_widget_set_visible (GTK_WIDGET (self->panel_error), FALSE);

  adw_preferences_group_set_title (self->panel_group,
                                   cnv_layer_kind_get_title (layer->kind));

  id_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (id_row), _("Id"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (id_row), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (id_row), layer->id);
  g_signal_connect (id_row, "apply", G_CALLBACK (id_apply_cb), self);
  g_hash_table_insert (self->panel_widgets, (gpointer) "id", id_row);
  gtk_list_box_append (self->panel_list, id_row);

  for (guint i = 0; i < n; i++)
    gtk_list_box_append (self->panel_list,
                         new_param_row (self, infos[i], layer));
}

/* The layer rows */

static GtkWidget *
new_layer_row (const CnvLayerSpec *layer,
               const CnvShape     *output,
               gsize               n_params,
               const char         *problem)
{
  g_autofree char *title = describe_layer (layer);
  g_autofree char *shape = format_shape (output);
  g_autofree char *subtitle = NULL;
  g_autofree char *count = format_count (n_params);
  g_autofree char *accessible = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *sign;
  GtkWidget *label;
  const char *sign_text;
  const char *family;

  gtk_widget_add_css_class (box, "layer-row");

  kind_sign (layer->kind, &sign_text, &family);
  sign = gtk_label_new (sign_text);
  gtk_widget_add_css_class (sign, "layer-sign");
  gtk_widget_add_css_class (sign, family);
  gtk_widget_set_valign (sign, GTK_ALIGN_CENTER);
  gtk_accessible_update_state (GTK_ACCESSIBLE (sign),
                               GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  gtk_box_append (GTK_BOX (line), sign);

  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (texts), label);

  /* Translators: a layer's id and its output shape, "conv1 · 8 × 28 × 28". */
  subtitle = g_strdup_printf (_("%s · %s"), layer->id, shape);
  label = gtk_label_new (subtitle);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (texts), label);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (line), texts);

  label = gtk_label_new (n_params > 0 ? count : "—");
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_tooltip_text (label, _("Trainable parameters"));
  gtk_box_append (GTK_BOX (line), label);
  gtk_box_append (GTK_BOX (box), line);

  if (problem != NULL)
    {
      GtkWidget *problem_line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-error-symbolic");

      gtk_widget_add_css_class (icon, "error");
      gtk_widget_set_valign (icon, GTK_ALIGN_START);
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Error"), -1);
      gtk_box_append (GTK_BOX (problem_line), icon);

      label = gtk_label_new (problem);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_widget_add_css_class (label, "error");
      gtk_widget_add_css_class (label, "layer-problem");
      gtk_box_append (GTK_BOX (problem_line), label);
      gtk_widget_set_margin_start (problem_line, 46);
      gtk_box_append (GTK_BOX (box), problem_line);
    }

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  /* Translators: what a screen reader says for a row: "Convolution 5 × 5,
   * 8 filters, conv1 · 8 × 28 × 28, 208 parameters". */
  accessible = g_strdup_printf (_("%s, %s, %s parameters"), title, subtitle,
                                count);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  problem != NULL ? problem : "",
                                  -1);

  return row;
}

/* Drag and drop: a row carries its index; dropping it on another row
 * moves the layer there, one undoable step like Alt+Up/Down. */
static GdkContentProvider *
row_drag_prepare_cb (GtkDragSource *source,
                     double         x,
                     double         y,
                     GtkWidget     *row)
{
  return gdk_content_provider_new_typed (G_TYPE_INT,
                                         gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row)));
}

static void
row_drag_begin_cb (GtkDragSource *source,
                   GdkDrag       *drag,
                   GtkWidget     *row)
{
  g_autoptr(GdkPaintable) icon = gtk_widget_paintable_new (row);

  gtk_drag_source_set_icon (source, icon, 0, 0);
}

static gboolean
row_drop_cb (GtkDropTarget  *target,
             const GValue   *value,
             double          x,
             double          y,
             GtkWidget      *row)
{
  CnvLayerEditor *self =
    CNV_LAYER_EDITOR (gtk_widget_get_ancestor (row, CNV_TYPE_LAYER_EDITOR));
  int from = g_value_get_int (value);
  int to = gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row));
  guint n;

  if (self == NULL || self->editor == NULL)
    return FALSE;

  n = cnv_stack_editor_get_n_layers (self->editor);
  if (from < 0 || to < 0 || (guint) from >= n || (guint) to >= n || from == to)
    return FALSE;

  cnv_stack_editor_move_layer (self->editor, (guint) from, (guint) to);

  return TRUE;
}

static void
add_drag_and_drop (GtkWidget *row)
{
  GtkDragSource *source = gtk_drag_source_new ();
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INT, GDK_ACTION_MOVE);

  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_signal_connect (source, "prepare", G_CALLBACK (row_drag_prepare_cb), row);
  g_signal_connect (source, "drag-begin", G_CALLBACK (row_drag_begin_cb), row);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (source));

  g_signal_connect (target, "drop", G_CALLBACK (row_drop_cb), row);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (target));
}

static void
update_rows (CnvLayerEditor *self)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (self->editor);
  const CnvModelCosts *costs = cnv_stack_editor_get_costs (self->editor);
  int selection = cnv_stack_editor_get_selection (self->editor);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  gboolean had_focus = focus != NULL
                       && gtk_widget_is_ancestor (focus,
                                                  GTK_WIDGET (self->layer_list));
  GtkListBoxRow *selected;

  clear_list_box (self->layer_list);
  g_ptr_array_set_size (self->problems, 0);

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const char *problem = cnv_stack_editor_get_layer_problem (self->editor, i);
      gsize n = i < costs->n_layers ? costs->layers[i].parameters : 0;

      GtkWidget *row = new_layer_row (&spec->layers[i],
                                      cnv_stack_editor_get_shape (self->editor, i),
                                      n, problem);

      g_ptr_array_add (self->problems, g_strdup (problem));
      add_drag_and_drop (row);
      gtk_list_box_append (self->layer_list, row);
    }

  if (spec->n_layers == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("No layers yet"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("Add a layer, or start from a template"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (self->layer_list, row);
    }

  selected = selection >= 0
             ? gtk_list_box_get_row_at_index (self->layer_list, selection)
             : NULL;
  gtk_list_box_select_row (self->layer_list, selected);
  if (selected != NULL && had_focus)
    gtk_widget_grab_focus (GTK_WIDGET (selected));
}

static void
update_input (CnvLayerEditor *self)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (self->editor);

  gtk_spin_button_set_value (self->width_spin, spec->width);
  gtk_spin_button_set_value (self->height_spin, spec->height);
  adw_combo_row_set_selected (self->colour_row, spec->channels == 3 ? 1 : 0);
}

static void
update_totals (CnvLayerEditor *self)
{
  const CnvModelCosts *costs = cnv_stack_editor_get_costs (self->editor);
  g_autofree char *parameters = format_count (costs->parameters);
  g_autofree char *madds = format_large (costs->multiply_adds);
  g_autofree char *weights = g_format_size (costs->weight_bytes);
  g_autofree char *activations =
    g_format_size (costs->training_activation_bytes);
  g_autofree char *subtitle = NULL;

  gtk_label_set_label (self->parameters_label, parameters);
  gtk_label_set_label (self->madds_label, madds);
  gtk_label_set_label (self->weights_label, weights);
  gtk_label_set_label (self->activations_label, activations);

  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Training, batch of %d image",
                                           "Training, batch of %d images",
                                           costs->batch_size),
                              costs->batch_size);
  adw_action_row_set_subtitle (self->activations_row, subtitle);
}

static void
update_actions (CnvLayerEditor *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean has = self->editor != NULL;
  int n = has ? (int) cnv_stack_editor_get_n_layers (self->editor) : 0;
  int selection = has ? cnv_stack_editor_get_selection (self->editor) : -1;
  gboolean selected = selection >= 0 && selection < n;

  gtk_widget_action_set_enabled (widget, "editor.add-layer", has);
  gtk_widget_action_set_enabled (widget, "editor.remove", selected);
  gtk_widget_action_set_enabled (widget, "editor.duplicate", selected);
  gtk_widget_action_set_enabled (widget, "editor.move-up",
                                 selected && selection > 0);
  gtk_widget_action_set_enabled (widget, "editor.move-down",
                                 selected && selection < n - 1);
  gtk_widget_action_set_enabled (widget, "editor.undo",
                                 has && cnv_stack_editor_get_can_undo (self->editor));
  gtk_widget_action_set_enabled (widget, "editor.redo",
                                 has && cnv_stack_editor_get_can_redo (self->editor));
  gtk_widget_action_set_enabled (widget, "editor.new-from-template", has);
  gtk_widget_action_set_enabled (widget, "editor.import-json", has);
  gtk_widget_action_set_enabled (widget, "editor.export-json", has);
  gtk_widget_action_set_enabled (widget, "editor.export-diagram", has);
}

static void
refresh (CnvLayerEditor *self)
{
  if (self->editor == NULL)
    {
      update_actions (self);
      return;
    }

  self->updating = TRUE;
  update_rows (self);
  update_input (self);
  update_panel (self);
  update_totals (self);
  update_actions (self);
  gtk_drawing_area_set_content_height (self->diagram_area,
                                       cnv_stack_diagram_get_height (self->editor));
  gtk_widget_queue_draw (GTK_WIDGET (self->diagram_area));
  self->updating = FALSE;
}

static void
editor_changed_cb (CnvLayerEditor *self)
{
  refresh (self);
}

/* Controls */

static void
row_selected_cb (GtkListBox     *list,
                 GtkListBoxRow  *row,
                 CnvLayerEditor *self)
{
  if (self->updating || self->editor == NULL)
    return;

  cnv_stack_editor_set_selection (self->editor,
                                  row != NULL
                                  ? gtk_list_box_row_get_index (row) : -1);
}

static void
input_changed_cb (CnvLayerEditor *self)
{
  if (self->updating || self->editor == NULL)
    return;

  cnv_stack_editor_set_input (self->editor,
                              gtk_spin_button_get_value_as_int (self->width_spin),
                              gtk_spin_button_get_value_as_int (self->height_spin),
                              adw_combo_row_get_selected (self->colour_row) == 1
                              ? 3 : 1);
}

/* Actions */

static guint
insert_position (CnvLayerEditor *self)
{
  int selection = cnv_stack_editor_get_selection (self->editor);
  guint n = cnv_stack_editor_get_n_layers (self->editor);

  return selection >= 0 && (guint) selection < n ? (guint) selection + 1 : n;
}

static void
add_layer_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  CnvLayerKind kind;

  if (!cnv_layer_kind_from_string (g_variant_get_string (parameter, NULL),
                                   &kind))
    {
      g_warning ("No layer kind “%s”", g_variant_get_string (parameter, NULL));
      return;
    }

  cnv_stack_editor_insert_layer (self->editor, insert_position (self), kind);
}

static void
remove_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  int selection = cnv_stack_editor_get_selection (self->editor);

  if (selection >= 0)
    cnv_stack_editor_remove_layer (self->editor, (guint) selection);
}

static void
duplicate_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  int selection = cnv_stack_editor_get_selection (self->editor);

  if (selection >= 0)
    cnv_stack_editor_duplicate_layer (self->editor, (guint) selection);
}

static void
move_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  int selection = cnv_stack_editor_get_selection (self->editor);

  if (selection < 0)
    return;

  if (g_str_equal (action_name, "editor.move-up"))
    cnv_stack_editor_move_up (self->editor, (guint) selection);
  else
    cnv_stack_editor_move_down (self->editor, (guint) selection);
}

static void
undo_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);

  if (g_str_equal (action_name, "editor.undo"))
    cnv_stack_editor_undo (self->editor);
  else
    cnv_stack_editor_redo (self->editor);
}

static void
template_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  for (int t = 0; t < CNV_N_MODEL_TEMPLATES; t++)
    if (g_str_equal (cnv_model_template_to_string (t), name))
      {
        cnv_stack_editor_load_template (self->editor, t);
        return;
      }

  g_warning ("No template “%s”", name);
}

static void
show_file_error (CnvLayerEditor *self,
                 const char     *heading,
                 const GError   *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  g_warning ("%s: %s", heading, error->message);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close",
                                   _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
json_chosen_cb (GtkNativeDialog *native,
                int              response,
                CnvLayerEditor  *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  gboolean import = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (native))
                    == GTK_FILE_CHOOSER_ACTION_OPEN;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
    }

  gtk_native_dialog_destroy (native);
  g_object_unref (native);

  if (path == NULL)
    return;

  if (import && !cnv_layer_editor_import_path (self, path, &error))
    show_file_error (self, _("Could Not Import Model Description"), error);
  else if (!import && !cnv_layer_editor_export_path (self, path, &error))
    show_file_error (self, _("Could Not Export Model Description"), error);
}

static void
json_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  gboolean import = g_str_equal (action_name, "editor.import-json");
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (import
                                        ? _("Import Model Description")
                                        : _("Export Model Description"),
                                        GTK_IS_WINDOW (root)
                                        ? GTK_WINDOW (root) : NULL,
                                        import ? GTK_FILE_CHOOSER_ACTION_OPEN
                                        : GTK_FILE_CHOOSER_ACTION_SAVE,
                                        import ? _("_Import") : _("_Export"),
                                        _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Model descriptions (JSON)"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_suffix (filter, "json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  if (!import)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native),
                                       "model.json");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (json_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
draw_diagram_cb (GtkDrawingArea *area,
                 cairo_t        *cr,
                 int             width,
                 int             height,
                 gpointer        user_data)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (user_data);

  if (self->editor != NULL)
    cnv_stack_diagram_draw (cr, self->editor, width,
                            adw_style_manager_get_dark (adw_style_manager_get_default ()));
}

static void
diagram_chosen_cb (GtkNativeDialog *native,
                   int              response,
                   CnvLayerEditor  *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
    }

  gtk_native_dialog_destroy (native);
  g_object_unref (native);

  if (path != NULL && !cnv_stack_diagram_export (self->editor, path, &error))
    show_file_error (self, _("Could Not Export the Diagram"), error);
}

static void
export_diagram_action_cb (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  gboolean svg = g_str_equal (g_variant_get_string (parameter, NULL), "svg");
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Export the Diagram"),
                                        GTK_IS_WINDOW (root)
                                        ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native),
                                     svg ? "model.svg" : "model.png");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (diagram_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* GObject */

static GMenuModel *
new_add_menu (void)
{
  GMenu *menu = g_menu_new ();

  for (int kind = 0; kind < CNV_N_LAYER_KINDS; kind++)
    {
      g_autoptr(GMenuItem) item =
        g_menu_item_new (cnv_layer_kind_get_title (kind), NULL);

      g_menu_item_set_action_and_target (item, "editor.add-layer", "s",
                                         cnv_layer_kind_to_string (kind));
      g_menu_append_item (menu, item);
    }

  return G_MENU_MODEL (menu);
}

static void
cnv_layer_editor_dispose (GObject *object)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (object);

  if (self->editor != NULL)
    g_signal_handlers_disconnect_by_data (self->editor, self);
  g_clear_object (&self->editor);

  gtk_widget_dispose_template (GTK_WIDGET (self), CNV_TYPE_LAYER_EDITOR);

  G_OBJECT_CLASS (cnv_layer_editor_parent_class)->dispose (object);
}

static void
cnv_layer_editor_finalize (GObject *object)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (object);

  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->panel_widgets, g_hash_table_unref);

  G_OBJECT_CLASS (cnv_layer_editor_parent_class)->finalize (object);
}

static void
cnv_layer_editor_class_init (CnvLayerEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_layer_editor_dispose;
  object_class->finalize = cnv_layer_editor_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-layer-editor.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvLayerEditor, name)
  BIND (add_button);
  BIND (width_spin);
  BIND (height_spin);
  BIND (colour_row);
  BIND (layers_group);
  BIND (layer_list);
  BIND (panel_group);
  BIND (panel_list);
  BIND (panel_error);
  BIND (parameters_label);
  BIND (madds_label);
  BIND (weights_label);
  BIND (activations_row);
  BIND (activations_label);
  BIND (diagram_area);
#undef BIND

  gtk_widget_class_install_action (widget_class, "editor.add-layer", "s",
                                   add_layer_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.remove", NULL,
                                   remove_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.duplicate", NULL,
                                   duplicate_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.move-up", NULL,
                                   move_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.move-down", NULL,
                                   move_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.undo", NULL,
                                   undo_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.redo", NULL,
                                   undo_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.new-from-template",
                                   "s", template_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.import-json", NULL,
                                   json_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.export-json", NULL,
                                   json_action_cb);

  gtk_widget_class_install_action (widget_class, "editor.export-diagram", "s",
                                   export_diagram_action_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0,
                                       "editor.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d,
                                       GDK_CONTROL_MASK,
                                       "editor.duplicate", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up,
                                       GDK_ALT_MASK, "editor.move-up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down,
                                       GDK_ALT_MASK, "editor.move-down", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z,
                                       GDK_CONTROL_MASK, "editor.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "editor.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Z,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "editor.redo", NULL);
}

static void
cnv_layer_editor_init (CnvLayerEditor *self)
{
  g_autoptr(GMenuModel) add_menu = new_add_menu ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->problems = g_ptr_array_new_with_free_func (g_free);
  self->panel_widgets = g_hash_table_new (g_str_hash, g_str_equal);
  self->panel_layer = -1;

  gtk_menu_button_set_menu_model (self->add_button, add_menu);
  gtk_drawing_area_set_draw_func (self->diagram_area, draw_diagram_cb, self,
                                  NULL);

  g_signal_connect (self->layer_list, "row-selected",
                    G_CALLBACK (row_selected_cb), self);
  g_signal_connect_swapped (self->width_spin, "value-changed",
                            G_CALLBACK (input_changed_cb), self);
  g_signal_connect_swapped (self->height_spin, "value-changed",
                            G_CALLBACK (input_changed_cb), self);
  g_signal_connect_swapped (self->colour_row, "notify::selected",
                            G_CALLBACK (input_changed_cb), self);

  refresh (self);
}

void
cnv_layer_editor_set_editor (CnvLayerEditor *self,
                             CnvStackEditor *editor)
{
  g_return_if_fail (CNV_IS_LAYER_EDITOR (self));
  g_return_if_fail (editor == NULL || CNV_IS_STACK_EDITOR (editor));

  if (self->editor == editor)
    return;

  if (self->editor != NULL)
    g_signal_handlers_disconnect_by_data (self->editor, self);
  g_set_object (&self->editor, editor);

  if (editor != NULL)
    {
      g_signal_connect_swapped (editor, "changed",
                                G_CALLBACK (editor_changed_cb), self);
      g_signal_connect_swapped (editor, "notify::selection",
                                G_CALLBACK (editor_changed_cb), self);
    }

  self->panel_layer = -1;
  refresh (self);
}

CnvStackEditor *
cnv_layer_editor_get_editor (CnvLayerEditor *self)
{
  return self->editor;
}

gboolean
cnv_layer_editor_import_path (CnvLayerEditor *self,
                              const char     *path,
                              GError        **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), FALSE);

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;

  return cnv_stack_editor_import_json (self->editor, contents,
                                       (gssize) length, error);
}

gboolean
cnv_layer_editor_export_path (CnvLayerEditor *self,
                              const char     *path,
                              GError        **error)
{
  g_autofree char *json = NULL;

  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), FALSE);

  json = cnv_stack_editor_export_json (self->editor);

  return g_file_set_contents_full (path, json, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                   error);
}

GtkListBox *
cnv_layer_editor_get_list (CnvLayerEditor *self)
{
  return self->layer_list;
}

guint
cnv_layer_editor_get_n_rows (CnvLayerEditor *self)
{
  guint n = 0;

  /* The rows on screen; the "No layers yet" placeholder is not one. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->layer_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (!ADW_IS_ACTION_ROW (child))
      n++;

  return n;
}

const char *
cnv_layer_editor_get_row_problem (CnvLayerEditor *self,
                                  guint           row)
{
  if (row >= self->problems->len)
    return NULL;

  return g_ptr_array_index (self->problems, row);
}

GtkWidget *
cnv_layer_editor_get_parameter_widget (CnvLayerEditor *self,
                                       const char     *name)
{
  return g_hash_table_lookup (self->panel_widgets, name);
}

const char *
cnv_layer_editor_get_total_text (CnvLayerEditor *self,
                                 const char     *name)
{
  if (g_str_equal (name, "parameters"))
    return gtk_label_get_label (self->parameters_label);
  if (g_str_equal (name, "multiply-adds"))
    return gtk_label_get_label (self->madds_label);
  if (g_str_equal (name, "weights"))
    return gtk_label_get_label (self->weights_label);
  if (g_str_equal (name, "activations"))
    return gtk_label_get_label (self->activations_label);

  return NULL;
}
