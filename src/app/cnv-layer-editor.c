/* cnv-layer-editor.c — the layer stack editor's widgets
 *
 * The left pane of the window: a row per layer with a sign of its kind,
 * its key parameters, output shape, parameter count and first problem;
 * a panel to edit the selected layer; the input size; the totals and the
 * problems of the whole stack.  All of it is drawn from a CnvStackEditor,
 * which holds the stack, the selection and the undo history.
 *
 * The one idea: the widgets never keep their own copy of the stack.
 * Every control turns into one editor call, the editor says "changed",
 * and refresh () redraws from the editor's state; while it does,
 * `updating` keeps the controls' own signals from editing again.  Rows
 * and panel controls are updated in place rather than rebuilt, so that
 * the one with the keyboard focus keeps it.
 */
#define G_LOG_DOMAIN "cnv-layer-editor"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "cnv-application.h"
#include "cnv-format.h"
#include "cnv-layer-editor.h"
#include "cnv-layer-row.h"
#include "cnv-param-row.h"
#include "cnv-stack-diagram.h"

/* The engine's limits (src/engine/cnv-model-spec.c), so that an imported
 * value is shown as it is and never clamped by a spin button. */
#define MAX_WIDTH  65536   /* filters, units */
#define MAX_KERNEL 1024    /* kernel, pool size, stride */

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

/* Titles are translated where they are shown.  The float ranges are the
 * ones the JSON reader accepts. */
static const ParamInfo filters_info =
  { PARAM_FILTERS, "filters", N_("Filters"), 1, MAX_WIDTH, 1, 0 };
static const ParamInfo units_info =
  { PARAM_UNITS, "units", N_("Units"), 1, MAX_WIDTH, 1, 0 };
static const ParamInfo kernel_h_info =
  { PARAM_KERNEL_H, "kernel-h", N_("Kernel Height"), 1, MAX_KERNEL, 1, 0 };
static const ParamInfo kernel_w_info =
  { PARAM_KERNEL_W, "kernel-w", N_("Kernel Width"), 1, MAX_KERNEL, 1, 0 };
static const ParamInfo size_h_info =
  { PARAM_KERNEL_H, "kernel-h", N_("Pool Height"), 1, MAX_KERNEL, 1, 0 };
static const ParamInfo size_w_info =
  { PARAM_KERNEL_W, "kernel-w", N_("Pool Width"), 1, MAX_KERNEL, 1, 0 };
static const ParamInfo stride_h_info =
  { PARAM_STRIDE_H, "stride-h", N_("Vertical Stride"), 1, MAX_KERNEL, 1, 0 };
static const ParamInfo stride_w_info =
  { PARAM_STRIDE_W, "stride-w", N_("Horizontal Stride"), 1, MAX_KERNEL, 1, 0 };
static const ParamInfo padding_info =
  { PARAM_PADDING, "padding", N_("Padding"), 0, 1, 1, 0 };
static const ParamInfo rate_info =
  { PARAM_RATE, "rate", N_("Dropout Rate"), 0, 0.99, 0.05, 2 };
static const ParamInfo slope_info =
  { PARAM_SLOPE, "slope", N_("Negative Slope"), 0, 1, 0.01, 3 };
static const ParamInfo momentum_info =
  { PARAM_MOMENTUM, "momentum", N_("Momentum"), 0, 1, 0.01, 3 };
static const ParamInfo epsilon_info =
  { PARAM_EPSILON, "epsilon", N_("Epsilon"), 1e-30, 1, 1e-5, 6 };

/* Kinds that can replace one another in place, keeping the layer's id
 * and position: the panel offers them in a drop-down. */
typedef enum
{
  FAMILY_NONE,
  FAMILY_ACTIVATION,
  FAMILY_POOL,
} Family;

struct _CnvLayerEditor
{
  GtkBox               parent_instance;

  /* template children */
  GtkMenuButton       *add_button;
  GtkSpinButton       *width_spin;
  GtkSpinButton       *height_spin;
  AdwComboRow         *colour_row;
  GtkStringList       *colour_model;
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
  GtkWidget           *stack_problem_box;
  GtkLabel            *stack_problem_label;
  GtkDrawingArea      *diagram_area;

  /* owned */
  CnvStackEditor      *editor;
  GMenu               *add_menu;        /* the Add Layer menu */
  GMenu               *add_after;       /* its first section */
  char                *add_label;       /* that section's heading */
  /* name → panel widget (borrowed from panel_list) */
  GHashTable          *panel_widgets;

  /* borrowed */
  GtkWidget           *empty_row;       /* in layer_list while no layers */
  GtkWidget           *kind_row;        /* in panel_list, or NULL */
  GtkWidget           *root;            /* where undo_shortcuts is */
  GtkEventController  *undo_shortcuts;  /* owned by root */

  /* state */
  int                  panel_layer;   /* the layer the panel shows, or -1 */
  char                *panel_id;      /* its id then */
  CnvLayerKind         panel_kind;
  gboolean             updating;
  gboolean             focus_selection; /* after Add and Duplicate */
  guint                import_serial;
};

G_DEFINE_FINAL_TYPE (CnvLayerEditor, cnv_layer_editor, GTK_TYPE_BOX)

enum
{
  STACK_EXPORTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void refresh         (CnvLayerEditor *self);
static void update_add_menu (CnvLayerEditor *self,
                             const char     *heading);
static void show_file_error (CnvLayerEditor *self,
                             const char     *heading,
                             const GError   *error);

/* Formatting */

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

static Family
kind_family (CnvLayerKind kind)
{
  switch (kind)
    {
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
      return FAMILY_ACTIVATION;
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
      return FAMILY_POOL;
    default:
      return FAMILY_NONE;
    }
}

/* The kinds of family in enum order into kinds[CNV_N_LAYER_KINDS];
 * returns how many. */
static guint
family_kinds (Family        family,
              CnvLayerKind *kinds)
{
  guint n = 0;

  for (int kind = 0; kind < CNV_N_LAYER_KINDS; kind++)
    if (kind_family (kind) == family)
      kinds[n++] = kind;

  return n;
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

/* The panel rows of a kind, in order; returns how many.  A kind without
 * parameters (a new one included) has none. */
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
    default:
      break;
    }

  return n;
}

static void
show_panel_error (CnvLayerEditor *self,
                  const char     *message)
{
  gtk_label_set_label (self->panel_error, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->panel_error), message != NULL);
}

/* Editing the selected layer */

static const CnvLayerSpec *
panel_layer_spec (CnvLayerEditor *self)
{
  const CnvModelSpec *spec;

  if (self->updating || self->editor == NULL || self->panel_layer < 0)
    return NULL;

  spec = cnv_stack_editor_get_spec (self->editor);
  if ((guint) self->panel_layer >= spec->n_layers)
    return NULL;

  return &spec->layers[self->panel_layer];
}

static void
set_panel_layer (CnvLayerEditor     *self,
                 const CnvLayerSpec *layer)
{
  g_autoptr(GError) error = NULL;

  if (!cnv_stack_editor_set_layer (self->editor, (guint) self->panel_layer,
                                   layer, &error))
    show_panel_error (self, error->message);
}

static void
apply_param (CnvLayerEditor  *self,
             const ParamInfo *info,
             double           value)
{
  const CnvLayerSpec *current = panel_layer_spec (self);
  CnvLayerSpec layer;

  if (current == NULL)
    return;

  /* A shallow copy: id NULL keeps the layer's id. */
  layer = *current;
  layer.id = NULL;
  set_param (&layer, info->param, value);
  set_panel_layer (self, &layer);
}

/* Relu to tanh, max to average pooling: one undoable step that keeps the
 * id, and for pools the window, stride and padding. */
static void
apply_kind (CnvLayerEditor *self,
            CnvLayerKind    kind)
{
  const CnvLayerSpec *current = panel_layer_spec (self);
  CnvLayerSpec layer;

  if (current == NULL || current->kind == kind)
    return;

  cnv_layer_spec_init_defaults (&layer, kind);
  if (kind_family (kind) == FAMILY_POOL)
    {
      memcpy (layer.kernel, current->kernel, sizeof layer.kernel);
      memcpy (layer.stride, current->stride, sizeof layer.stride);
      layer.padding = current->padding;
    }
  layer.id = NULL;
  set_panel_layer (self, &layer);
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
kind_selected_cb (AdwComboRow    *row,
                  GParamSpec     *pspec,
                  CnvLayerEditor *self)
{
  CnvLayerKind kinds[CNV_N_LAYER_KINDS];
  guint n = family_kinds (kind_family (self->panel_kind), kinds);
  guint selected = adw_combo_row_get_selected (row);

  if (selected < n)
    apply_kind (self, kinds[selected]);
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
      show_panel_error (self, NULL);
      return;
    }

  gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  show_panel_error (self, error->message);
}

/* The panel */

static GtkWidget *
new_padding_row (CnvLayerEditor     *self,
                 const CnvLayerSpec *layer)
{
  const char *const choices[] = { _("Valid (none)"), _("Same"), NULL };
  g_autoptr(GtkStringList) model = gtk_string_list_new (choices);
  GtkWidget *row = adw_combo_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 _(padding_info.title));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row),
                              (guint) get_param (layer, PARAM_PADDING));
  g_signal_connect (row, "notify::selected",
                    G_CALLBACK (padding_selected_cb), self);

  return row;
}

static GtkWidget *
new_param_row (CnvLayerEditor     *self,
               const ParamInfo    *info,
               const CnvLayerSpec *layer)
{
  GtkWidget *row;
  GtkSpinButton *spin;

  if (info->param == PARAM_PADDING)
    {
      row = new_padding_row (self, layer);
      g_hash_table_insert (self->panel_widgets, (gpointer) info->name, row);
      return row;
    }

  row = cnv_param_row_new (_(info->title), info->lower, info->upper,
                           info->step, info->digits);
  spin = cnv_param_row_get_spin (CNV_PARAM_ROW (row));
  gtk_spin_button_set_value (spin, get_param (layer, info->param));
  g_object_set_data (G_OBJECT (spin), "param", (gpointer) info);
  g_signal_connect (spin, "value-changed",
                    G_CALLBACK (param_spin_changed_cb), self);
  g_hash_table_insert (self->panel_widgets, (gpointer) info->name, spin);

  return row;
}

/* "Activation" or "Pooling": the kinds the layer can turn into. */
static GtkWidget *
new_kind_row (CnvLayerEditor *self,
              CnvLayerKind    kind)
{
  Family family = kind_family (kind);
  CnvLayerKind kinds[CNV_N_LAYER_KINDS];
  guint n = family_kinds (family, kinds);
  g_autoptr(GtkStringList) model = gtk_string_list_new (NULL);
  GtkWidget *row = adw_combo_row_new ();

  for (guint i = 0; i < n; i++)
    gtk_string_list_append (model, cnv_layer_kind_get_title (kinds[i]));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 family == FAMILY_POOL ? _("Pooling")
                                 : _("Activation"));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  for (guint i = 0; i < n; i++)
    if (kinds[i] == kind)
      adw_combo_row_set_selected (ADW_COMBO_ROW (row), i);
  g_signal_connect (row, "notify::selected", G_CALLBACK (kind_selected_cb),
                    self);

  return row;
}

/* Removes the panel rows after `after` (all of them when NULL). */
static void
clear_panel_after (CnvLayerEditor *self,
                   GtkWidget      *after)
{
  GtkWidget *child;

  while ((child = after != NULL ? gtk_widget_get_next_sibling (after)
                                : gtk_widget_get_first_child (GTK_WIDGET (self->panel_list)))
         != NULL)
    gtk_list_box_remove (self->panel_list, child);
}

static void
append_param_rows (CnvLayerEditor     *self,
                   const CnvLayerSpec *layer)
{
  const ParamInfo *infos[8];
  guint n = kind_params (layer->kind, infos);

  for (guint i = 0; i < n; i++)
    gtk_list_box_append (self->panel_list,
                         new_param_row (self, infos[i], layer));
}

static void
rebuild_panel (CnvLayerEditor     *self,
               const CnvLayerSpec *layer)
{
  GtkWidget *id_row;

  g_hash_table_remove_all (self->panel_widgets);
  self->kind_row = NULL;
  clear_panel_after (self, NULL);
  show_panel_error (self, NULL);

  id_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (id_row), _("Id"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (id_row), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (id_row), layer->id);
  g_signal_connect (id_row, "apply", G_CALLBACK (id_apply_cb), self);
  g_hash_table_insert (self->panel_widgets, (gpointer) "id", id_row);
  gtk_list_box_append (self->panel_list, id_row);

  if (kind_family (layer->kind) != FAMILY_NONE)
    {
      self->kind_row = new_kind_row (self, layer->kind);
      g_hash_table_insert (self->panel_widgets, (gpointer) "kind",
                           self->kind_row);
      gtk_list_box_append (self->panel_list, self->kind_row);
    }

  append_param_rows (self, layer);
}

/* The kind changed within its family (from the drop-down, or undone):
 * the id and kind rows stay, so that the drop-down being used is not
 * destroyed under the pointer; only the parameter rows are replaced. */
static void
replace_param_rows (CnvLayerEditor     *self,
                    const CnvLayerSpec *layer)
{
  CnvLayerKind kinds[CNV_N_LAYER_KINDS];
  guint n = family_kinds (kind_family (layer->kind), kinds);
  GtkWidget *id_row = g_hash_table_lookup (self->panel_widgets, "id");

  g_hash_table_remove_all (self->panel_widgets);
  g_hash_table_insert (self->panel_widgets, (gpointer) "id", id_row);
  g_hash_table_insert (self->panel_widgets, (gpointer) "kind", self->kind_row);
  clear_panel_after (self, self->kind_row);

  for (guint i = 0; i < n; i++)
    if (kinds[i] == layer->kind)
      adw_combo_row_set_selected (ADW_COMBO_ROW (self->kind_row), i);

  append_param_rows (self, layer);
}

static void
update_panel_values (CnvLayerEditor     *self,
                     const CnvLayerSpec *layer)
{
  const ParamInfo *infos[8];
  guint n = kind_params (layer->kind, infos);
  GtkWidget *id_row = g_hash_table_lookup (self->panel_widgets, "id");

  for (guint i = 0; i < n; i++)
    {
      GtkWidget *w = g_hash_table_lookup (self->panel_widgets, infos[i]->name);
      double value = get_param (layer, infos[i]->param);

      if (ADW_IS_COMBO_ROW (w))
        adw_combo_row_set_selected (ADW_COMBO_ROW (w), (guint) value);
      else
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), value);
    }

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (id_row)), layer->id) != 0
      && !gtk_widget_has_css_class (id_row, "error"))
    gtk_editable_set_text (GTK_EDITABLE (id_row), layer->id);
}

/* Rebuilds the panel when another layer is selected; otherwise (an edit,
 * a rename, the same layer moved by Alt+Up/Down from inside the panel)
 * brings its values up to date, so that a control being used is not
 * replaced under the pointer or the keyboard focus. */
static void
update_panel (CnvLayerEditor *self)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (self->editor);
  int selection = cnv_stack_editor_get_selection (self->editor);
  const CnvLayerSpec *layer;

  gtk_widget_set_visible (GTK_WIDGET (self->panel_group),
                          selection >= 0 && (guint) selection < spec->n_layers);
  if (selection < 0 || (guint) selection >= spec->n_layers)
    {
      self->panel_layer = -1;
      return;
    }

  layer = &spec->layers[selection];
  adw_preferences_group_set_title (self->panel_group,
                                   cnv_layer_kind_get_title (layer->kind));

  if (self->panel_layer < 0
      || (self->panel_layer != selection
          && g_strcmp0 (self->panel_id, layer->id) != 0))
    rebuild_panel (self, layer);
  else if (self->panel_kind != layer->kind)
    {
      if (self->kind_row != NULL
          && kind_family (layer->kind) == kind_family (self->panel_kind))
        replace_param_rows (self, layer);
      else
        rebuild_panel (self, layer);
    }
  else
    update_panel_values (self, layer);

  self->panel_layer = selection;
  self->panel_kind = layer->kind;
  g_free (self->panel_id);
  self->panel_id = g_strdup (layer->id);
}

/* The layer rows */

/* Drag and drop: a row carries its index; dropping it on another row
 * moves the layer there, one undoable step like Alt+Up/Down. */
static GdkContentProvider *
row_drag_prepare_cb (GtkDragSource *source,
                     double         x,
                     double         y,
                     GtkWidget     *row)
{
  g_object_set_data (G_OBJECT (source), "hot-x", GINT_TO_POINTER ((int) x));
  g_object_set_data (G_OBJECT (source), "hot-y", GINT_TO_POINTER ((int) y));

  return gdk_content_provider_new_typed (G_TYPE_INT,
                                         gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row)));
}

/* The icon is a picture of the row taken now, held where it was
 * grabbed; a GtkWidgetPaintable of the row itself drew as an empty grey
 * square once the row turned into the drag's source. */
static void
row_drag_begin_cb (GtkDragSource *source,
                   GdkDrag       *drag,
                   GtkWidget     *row)
{
  g_autoptr(GdkPaintable) icon =
    cnv_layer_row_snapshot_paintable (CNV_LAYER_ROW (row));

  if (icon != NULL)
    gtk_drag_source_set_icon (source, icon,
                              GPOINTER_TO_INT (g_object_get_data (G_OBJECT (source),
                                                                  "hot-x")),
                              GPOINTER_TO_INT (g_object_get_data (G_OBJECT (source),
                                                                  "hot-y")));
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

static GtkWidget *
new_layer_row (void)
{
  GtkWidget *row = cnv_layer_row_new ();
  GtkDragSource *source = gtk_drag_source_new ();
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INT, GDK_ACTION_MOVE);

  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_signal_connect (source, "prepare", G_CALLBACK (row_drag_prepare_cb), row);
  g_signal_connect (source, "drag-begin", G_CALLBACK (row_drag_begin_cb), row);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (source));

  g_signal_connect (target, "drop", G_CALLBACK (row_drop_cb), row);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (target));

  return row;
}

static GtkWidget *
new_empty_row (void)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No layers yet"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Add a layer, or start from a template"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "dim-label");

  return row;
}

static gboolean
list_has_focus (CnvLayerEditor *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL
         && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->layer_list));
}

static CnvLayerRow *
layer_row_at (CnvLayerEditor *self,
              int             index)
{
  GtkListBoxRow *row = index >= 0
                       ? gtk_list_box_get_row_at_index (self->layer_list, index)
                       : NULL;

  return row != NULL && CNV_IS_LAYER_ROW (row) ? CNV_LAYER_ROW (row) : NULL;
}

/* Selects the editor's selection in the list; with focus_row, or when
 * the focus was on a row, the keyboard focus follows it. */
static void
update_selection (CnvLayerEditor *self,
                  gboolean        focus_row)
{
  int selection = cnv_stack_editor_get_selection (self->editor);
  CnvLayerRow *selected = layer_row_at (self, selection);

  gtk_list_box_select_row (self->layer_list, GTK_LIST_BOX_ROW (selected));
  if (selected != NULL && focus_row)
    gtk_widget_grab_focus (GTK_WIDGET (selected));
}

/* Rows are kept and updated in place; only the rows past the end of a
 * shorter stack are removed and new ones appended for a longer one. */
static void
update_rows (CnvLayerEditor *self)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (self->editor);
  const CnvModelCosts *costs = cnv_stack_editor_get_costs (self->editor);
  gboolean had_focus = list_has_focus (self);
  guint n_rows = cnv_layer_editor_get_n_rows (self);

  if (spec->n_layers > 0 && self->empty_row != NULL)
    {
      gtk_list_box_remove (self->layer_list, self->empty_row);
      self->empty_row = NULL;
    }

  for (; n_rows < spec->n_layers; n_rows++)
    gtk_list_box_append (self->layer_list, new_layer_row ());
  for (; n_rows > spec->n_layers; n_rows--)
    gtk_list_box_remove (self->layer_list,
                         GTK_WIDGET (layer_row_at (self, (int) n_rows - 1)));

  for (guint i = 0; i < spec->n_layers; i++)
    cnv_layer_row_update (layer_row_at (self, (int) i), &spec->layers[i],
                          cnv_stack_editor_get_shape (self->editor, i),
                          i < costs->n_layers ? costs->layers[i].parameters : 0,
                          cnv_stack_editor_get_layer_problem (self->editor, i));

  if (spec->n_layers == 0 && self->empty_row == NULL)
    {
      self->empty_row = new_empty_row ();
      gtk_list_box_append (self->layer_list, self->empty_row);
    }

  update_selection (self, had_focus || self->focus_selection);
}

static void
update_input (CnvLayerEditor *self)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (self->editor);
  guint n_modes = g_list_model_get_n_items (G_LIST_MODEL (self->colour_model));

  gtk_spin_button_set_value (self->width_spin, spec->width);
  gtk_spin_button_set_value (self->height_spin, spec->height);

  /* Greyscale and RGB are what preprocessing makes; a description with
   * another channel count gets a third entry naming it. */
  if (n_modes > 2)
    gtk_string_list_remove (self->colour_model, 2);
  if (spec->channels == 1 || spec->channels == 3)
    {
      adw_combo_row_set_selected (self->colour_row, spec->channels == 3 ? 1 : 0);
      return;
    }

  {
    g_autofree char *other =
      g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d Channel",
                                    "%d Channels", spec->channels),
                       spec->channels);

    gtk_string_list_append (self->colour_model, other);
    adw_combo_row_set_selected (self->colour_row, 2);
  }
}

static void
update_totals (CnvLayerEditor *self)
{
  const CnvModelCosts *costs = cnv_stack_editor_get_costs (self->editor);
  GPtrArray *problems = cnv_stack_editor_get_problems (self->editor);
  g_autofree char *parameters = cnv_format_count (costs->parameters);
  g_autofree char *madds = format_large (costs->multiply_adds);
  g_autofree char *madds_exact = cnv_format_count (costs->multiply_adds);
  g_autofree char *weights = g_format_size (costs->weight_bytes);
  g_autofree char *activations =
    g_format_size (costs->training_activation_bytes);
  g_autofree char *subtitle = NULL;
  g_autoptr(GString) stack_problems = g_string_new (NULL);

  gtk_label_set_label (self->parameters_label, parameters);
  gtk_label_set_label (self->madds_label, madds);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->madds_label), madds_exact);
  gtk_label_set_label (self->weights_label, weights);
  gtk_label_set_label (self->activations_label, activations);

  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Training, batch of %d image",
                                           "Training, batch of %d images",
                                           costs->batch_size),
                              costs->batch_size);
  adw_action_row_set_subtitle (self->activations_row, subtitle);

  /* The problems of no one layer (memory, an empty stack) in the
   * engine's words, as the Train page gives them. */
  for (guint i = 0; i < problems->len; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);

      if (problem->layer >= 0)
        continue;
      if (stack_problems->len > 0)
        g_string_append_c (stack_problems, '\n');
      g_string_append (stack_problems, problem->message);
    }

  gtk_label_set_label (self->stack_problem_label, stack_problems->str);
  gtk_widget_set_visible (self->stack_problem_box, stack_problems->len > 0);
}

static void
update_actions (CnvLayerEditor *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean has = self->editor != NULL;
  int n = has ? (int) cnv_stack_editor_get_n_layers (self->editor) : 0;
  int selection = has ? cnv_stack_editor_get_selection (self->editor) : -1;
  gboolean selected = selection >= 0 && selection < n;
  g_autofree char *tooltip = NULL;
  g_autofree char *heading = NULL;

  gtk_widget_action_set_enabled (widget, "editor.add-layer", has);
  gtk_widget_action_set_enabled (widget, "editor.add-layer-at-top", has);
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
  gtk_widget_action_set_enabled (widget, "editor.import-checkpoint", has);
  gtk_widget_action_set_enabled (widget, "editor.export-json", has);
  gtk_widget_action_set_enabled (widget, "editor.export-diagram", has);

  if (selected)
    {
      const char *id = cnv_stack_editor_get_spec (self->editor)->layers[selection].id;

      tooltip = g_strdup_printf (_("Add a layer after “%s”"), id);
      /* Translators: the heading of the Add Layer menu's kinds. */
      heading = g_strdup_printf (_("After “%s”"), id);
    }
  else
    {
      tooltip = g_strdup (_("Add a layer at the end of the stack (nothing is "
                            "selected)"));
      heading = g_strdup (_("At the End"));
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->add_button), tooltip);
  update_add_menu (self, heading);
}

static void
update_diagram (CnvLayerEditor *self)
{
  gtk_drawing_area_set_content_height (self->diagram_area,
                                       cnv_stack_diagram_get_height (self->editor));
  gtk_widget_queue_draw (GTK_WIDGET (self->diagram_area));
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
  update_diagram (self);
  self->updating = FALSE;
}

static void
editor_changed_cb (CnvLayerEditor *self)
{
  refresh (self);
}

/* A click or an arrow key moved the selection: nothing but the selected
 * row, the panel and the actions change, and no row is replaced. */
static void
selection_changed_cb (CnvLayerEditor *self)
{
  self->updating = TRUE;
  update_selection (self, list_has_focus (self) || self->focus_selection);
  update_panel (self);
  update_actions (self);
  self->updating = FALSE;
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
  guint mode = adw_combo_row_get_selected (self->colour_row);
  int channels;

  if (self->updating || self->editor == NULL)
    return;

  /* The third entry, when there is one, is the stack's own count. */
  channels = mode == 0 ? 1 : mode == 1 ? 3
             : cnv_stack_editor_get_spec (self->editor)->channels;

  cnv_stack_editor_set_input (self->editor,
                              gtk_spin_button_get_value_as_int (self->width_spin),
                              gtk_spin_button_get_value_as_int (self->height_spin),
                              channels);
}

/* Tab and Shift+Tab leave the layer list instead of walking its rows
 * (the arrow keys do that): to the panel below, or the toolbar above. */
static gboolean
leave_list_cb (GtkWidget *list,
               GVariant  *args,
               gpointer   user_data)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (user_data);
  GtkDirectionType direction = g_variant_get_int32 (args);
  GtkWidget *group = GTK_WIDGET (self->layers_group);
  GtkWidget *w;

  if (direction == GTK_DIR_TAB_FORWARD)
    {
      for (w = gtk_widget_get_next_sibling (group); w != NULL;
           w = gtk_widget_get_next_sibling (w))
        if (gtk_widget_child_focus (w, direction))
          return TRUE;
    }
  else
    {
      for (w = gtk_widget_get_prev_sibling (group); w != NULL;
           w = gtk_widget_get_prev_sibling (w))
        if (gtk_widget_child_focus (w, direction))
          return TRUE;
    }

  return FALSE;
}

/* A wheel over a spin button that does not have the focus scrolls the
 * pane: one turned while scrolling past would otherwise change a layer,
 * an undo step per notch.  Once focused, the wheel is the spin's. */
static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           CnvLayerEditor           *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GdkEvent *event =
    gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  GtkNative *native = gtk_widget_get_native (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget *picked;
  GtkWidget *spin;
  GtkWidget *scrolled;
  GtkAdjustment *adjustment;
  GdkSeat *seat;
  double x, y, nx, ny, wx, wy;
  double step;

  if (event == NULL || native == NULL)
    return FALSE;

  /* Scroll events carry no position: ask the seat where its pointer is
   * (the event's own device may be a physical one X cannot query). */
  seat = gdk_display_get_default_seat (gtk_widget_get_display (widget));
  if (!gdk_event_get_position (event, &x, &y)
      && (seat == NULL
          || !gdk_surface_get_device_position (gdk_event_get_surface (event),
                                               gdk_seat_get_pointer (seat),
                                               &x, &y, NULL)))
    return FALSE;

  /* surface → native → editor coordinates */
  gtk_native_get_surface_transform (native, &nx, &ny);
  if (!gtk_widget_translate_coordinates (GTK_WIDGET (native), widget,
                                         x - nx, y - ny, &wx, &wy))
    return FALSE;

  picked = gtk_widget_pick (widget, wx, wy, GTK_PICK_DEFAULT);
  spin = picked != NULL ? gtk_widget_get_ancestor (picked, GTK_TYPE_SPIN_BUTTON)
                        : NULL;
  if (spin == NULL
      || (focus != NULL && (focus == spin || gtk_widget_is_ancestor (focus, spin))))
    return FALSE;

  scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  if (scrolled == NULL)
    return TRUE;

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  /* The step GtkScrolledWindow itself takes for one notch. */
  step = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL
         ? pow (gtk_adjustment_get_page_size (adjustment), 2.0 / 3.0) : 1.0;
  gtk_adjustment_set_value (adjustment,
                            gtk_adjustment_get_value (adjustment) + dy * step);

  return TRUE;
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
  const char *name = g_variant_get_string (parameter, NULL);
  CnvLayerKind kind;

  if (!cnv_layer_kind_from_string (name, &kind))
    {
      g_warning ("No layer kind “%s”", name);
      return;
    }

  self->focus_selection = TRUE;
  cnv_stack_editor_insert_layer (self->editor,
                                 g_str_equal (action_name,
                                              "editor.add-layer-at-top")
                                 ? 0 : insert_position (self),
                                 kind);
  self->focus_selection = FALSE;
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

  if (selection < 0)
    return;

  self->focus_selection = TRUE;
  cnv_stack_editor_duplicate_layer (self->editor, (guint) selection);
  self->focus_selection = FALSE;
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

/* Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y anywhere in the window.  The
 * controller sits on the window in the bubble phase, so a text entry
 * with an undo of its own (the layer id) answers first; the editor's
 * spin buttons pass the keys on (cnv_param_row_pass_undo_keys ()).
 * FALSE, when there is nothing to undo, lets the key go on. */
static gboolean
undo_shortcut_cb (GtkWidget *root,
                  GVariant  *args,
                  gpointer   user_data)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (user_data);
  const char *action = g_variant_get_boolean (args) ? "editor.redo"
                                                    : "editor.undo";

  if (self->editor == NULL || !gtk_widget_is_sensitive (GTK_WIDGET (self)))
    return FALSE;

  if (g_str_equal (action, "editor.undo")
      ? !cnv_stack_editor_get_can_undo (self->editor)
      : !cnv_stack_editor_get_can_redo (self->editor))
    return FALSE;

  return gtk_widget_activate_action (GTK_WIDGET (self), action, NULL);
}

static GtkEventController *
new_undo_shortcuts (CnvLayerEditor *self)
{
  static const struct { guint key; GdkModifierType mods; gboolean redo; } keys[] = {
    { GDK_KEY_z, GDK_CONTROL_MASK, FALSE },
    { GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, TRUE },
    { GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, TRUE },
    { GDK_KEY_y, GDK_CONTROL_MASK, TRUE },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_static_name (controller, "cnv-layer-editor-undo");
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkShortcut *shortcut =
        gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, keys[i].mods),
                          gtk_callback_action_new (undo_shortcut_cb, self,
                                                   NULL));

      gtk_shortcut_set_arguments (shortcut, g_variant_new_boolean (keys[i].redo));
      gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                            shortcut);
    }

  return controller;
}

/* Shortcuts of the layer list alone: Delete removes the selected layer
 * only while a row has the focus, and Tab leaves the list. */
static void
add_list_shortcuts (CnvLayerEditor *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  GtkShortcutController *shortcuts = GTK_SHORTCUT_CONTROLLER (controller);
  GtkShortcut *shortcut;

  gtk_shortcut_controller_add_shortcut (shortcuts,
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Delete, 0),
                      gtk_named_action_new ("editor.remove")));
  gtk_shortcut_controller_add_shortcut (shortcuts,
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_KP_Delete, 0),
                      gtk_named_action_new ("editor.remove")));

  shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Tab, 0),
                               gtk_callback_action_new (leave_list_cb, self,
                                                        NULL));
  gtk_shortcut_set_arguments (shortcut, g_variant_new_int32 (GTK_DIR_TAB_FORWARD));
  gtk_shortcut_controller_add_shortcut (shortcuts, shortcut);

  shortcut = gtk_shortcut_new (
    gtk_alternative_trigger_new (gtk_keyval_trigger_new (GDK_KEY_Tab,
                                                         GDK_SHIFT_MASK),
                                 gtk_keyval_trigger_new (GDK_KEY_ISO_Left_Tab,
                                                         GDK_SHIFT_MASK)),
    gtk_callback_action_new (leave_list_cb, self, NULL));
  gtk_shortcut_set_arguments (shortcut,
                              g_variant_new_int32 (GTK_DIR_TAB_BACKWARD));
  gtk_shortcut_controller_add_shortcut (shortcuts, shortcut);

  gtk_widget_add_controller (GTK_WIDGET (self->layer_list), controller);
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

static char *
chosen_path (GtkNativeDialog *native,
             int              response)
{
  g_autoptr(GFile) file = NULL;

  if (response != GTK_RESPONSE_ACCEPT)
    return NULL;

  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));

  return file != NULL ? g_file_get_path (file) : NULL;
}

static void
json_chosen_cb (GtkNativeDialog *native,
                int              response,
                CnvLayerEditor  *self)
{
  g_autofree char *path = chosen_path (native, response);
  g_autoptr(GError) error = NULL;
  gboolean import = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (native))
                    == GTK_FILE_CHOOSER_ACTION_OPEN;

  gtk_native_dialog_destroy (native);
  g_object_unref (native);

  if (path == NULL)
    return;

  if (import && !cnv_layer_editor_import_path (self, path, &error))
    show_file_error (self, _("Could Not Import Model Description"), error);
  else if (!import && !cnv_layer_editor_export_path (self, path, &error))
    show_file_error (self, _("Could Not Export Model Description"), error);
}

static GtkFileChooserNative *
new_file_chooser (CnvLayerEditor       *self,
                  const char           *title,
                  GtkFileChooserAction  action,
                  const char           *accept)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (title,
                                        GTK_IS_WINDOW (root)
                                        ? GTK_WINDOW (root) : NULL,
                                        action, accept, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);

  return native;
}

static void
json_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  gboolean import = g_str_equal (action_name, "editor.import-json");
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  native = new_file_chooser (self,
                             import ? _("Import Model Description")
                                    : _("Export Model Description"),
                             import ? GTK_FILE_CHOOSER_ACTION_OPEN
                                    : GTK_FILE_CHOOSER_ACTION_SAVE,
                             import ? _("_Import") : _("_Export"));
  gtk_file_filter_set_name (filter, _("Model descriptions (JSON)"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_suffix (filter, "json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  if (!import)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native),
                                       "model.json");
  g_signal_connect (native, "response", G_CALLBACK (json_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* Importing the architecture of a checkpoint */

/* A lenient read: a checkpoint whose head cannot train or whose tensors
 * are missing still has an architecture to start from. */
static void
load_architecture_thread (GTask        *task,
                          gpointer      source,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  const char *path = task_data;
  CnvModelRecord *record;
  CnvModelSpec *spec;
  GError *error = NULL;

  record = cnv_model_record_load (path, &error);
  if (record == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  spec = cnv_model_record_to_spec (record, path, &error);
  cnv_model_record_free (record);
  if (spec == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, spec, (GDestroyNotify) cnv_model_spec_free);
}

static void
architecture_loaded_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (source);
  g_autoptr(GError) error = NULL;

  if (!cnv_layer_editor_import_architecture_finish (self, result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    show_file_error (self, _("Could Not Import the Architecture"), error);
}

static void
checkpoint_chosen_cb (GtkNativeDialog *native,
                      int              response,
                      CnvLayerEditor  *self)
{
  g_autofree char *path = chosen_path (native, response);

  gtk_native_dialog_destroy (native);
  g_object_unref (native);

  if (path != NULL)
    cnv_layer_editor_import_architecture_path (self, path);
}

static void
import_checkpoint_action_cb (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  native = new_file_chooser (self, _("Import Architecture from Checkpoint"),
                             GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"));
  gtk_file_filter_set_name (filter, _("Convolve checkpoints"));
  gtk_file_filter_add_mime_type (filter, "application/x-convolve-checkpoint");
  gtk_file_filter_add_suffix (filter, "convolve");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_signal_connect (native, "response", G_CALLBACK (checkpoint_chosen_cb),
                    self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* The diagram */

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
  g_autofree char *path = chosen_path (native, response);
  g_autoptr(GError) error = NULL;

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
  GtkFileChooserNative *native;

  native = new_file_chooser (self, _("Export the Diagram"),
                             GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native),
                                     svg ? "model.svg" : "model.png");
  g_signal_connect (native, "response", G_CALLBACK (diagram_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* GObject */

/* Every layer kind the engine has, after the selected layer (the
 * section's heading says which: update_add_menu ()); and the same again
 * at the very top of the stack. */
static void
init_add_menu (CnvLayerEditor *self)
{
  GMenu *menu = g_menu_new ();
  GMenu *after = g_menu_new ();
  g_autoptr(GMenu) top = g_menu_new ();
  g_autoptr(GMenu) top_section = g_menu_new ();

  for (int kind = 0; kind < CNV_N_LAYER_KINDS; kind++)
    {
      g_autoptr(GMenuItem) item =
        g_menu_item_new (cnv_layer_kind_get_title (kind), NULL);

      g_menu_item_set_action_and_target (item, "editor.add-layer", "s",
                                         cnv_layer_kind_to_string (kind));
      g_menu_append_item (after, item);

      g_menu_item_set_action_and_target (item, "editor.add-layer-at-top", "s",
                                         cnv_layer_kind_to_string (kind));
      g_menu_append_item (top, item);
    }

  g_menu_append_section (menu, NULL, G_MENU_MODEL (after));
  g_menu_append_submenu (top_section, _("Insert at the _Top"),
                         G_MENU_MODEL (top));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (top_section));

  self->add_menu = menu;
  self->add_after = after;
  gtk_menu_button_set_menu_model (self->add_button, G_MENU_MODEL (menu));
}

static void
update_add_menu (CnvLayerEditor *self,
                 const char     *heading)
{
  if (g_strcmp0 (self->add_label, heading) == 0)
    return;

  g_free (self->add_label);
  self->add_label = g_strdup (heading);
  g_menu_remove (self->add_menu, 0);
  g_menu_prepend_section (self->add_menu, heading,
                          G_MENU_MODEL (self->add_after));
}

static void
cnv_layer_editor_root (GtkWidget *widget)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);

  GTK_WIDGET_CLASS (cnv_layer_editor_parent_class)->root (widget);

  self->root = GTK_WIDGET (gtk_widget_get_root (widget));
  self->undo_shortcuts = new_undo_shortcuts (self);
  gtk_widget_add_controller (self->root, self->undo_shortcuts);
}

static void
cnv_layer_editor_unroot (GtkWidget *widget)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (widget);

  if (self->root != NULL && self->undo_shortcuts != NULL)
    gtk_widget_remove_controller (self->root, self->undo_shortcuts);
  self->root = NULL;
  self->undo_shortcuts = NULL;

  GTK_WIDGET_CLASS (cnv_layer_editor_parent_class)->unroot (widget);
}

static void
cnv_layer_editor_dispose (GObject *object)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (object);

  /* A checkpoint still loading reports to nobody. */
  self->import_serial++;

  if (self->editor != NULL)
    g_signal_handlers_disconnect_by_data (self->editor, self);
  g_clear_object (&self->editor);

  gtk_widget_dispose_template (GTK_WIDGET (self), CNV_TYPE_LAYER_EDITOR);
  self->empty_row = NULL;
  self->kind_row = NULL;

  G_OBJECT_CLASS (cnv_layer_editor_parent_class)->dispose (object);
}

static void
cnv_layer_editor_finalize (GObject *object)
{
  CnvLayerEditor *self = CNV_LAYER_EDITOR (object);

  g_clear_pointer (&self->panel_widgets, g_hash_table_unref);
  g_clear_pointer (&self->panel_id, g_free);
  g_clear_pointer (&self->add_label, g_free);
  g_clear_object (&self->add_after);
  g_clear_object (&self->add_menu);

  G_OBJECT_CLASS (cnv_layer_editor_parent_class)->finalize (object);
}

static void
cnv_layer_editor_class_init (CnvLayerEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_layer_editor_dispose;
  object_class->finalize = cnv_layer_editor_finalize;
  widget_class->root = cnv_layer_editor_root;
  widget_class->unroot = cnv_layer_editor_unroot;

  /**
   * CnvLayerEditor::stack-exported:
   * @path: the file the description was written to
   *
   * After the stack was written as a JSON model description: the window
   * can tell that a file now holds it.
   */
  signals[STACK_EXPORTED] =
    g_signal_new ("stack-exported", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-layer-editor.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvLayerEditor, name)
  BIND (add_button);
  BIND (width_spin);
  BIND (height_spin);
  BIND (colour_row);
  BIND (colour_model);
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
  BIND (stack_problem_box);
  BIND (stack_problem_label);
  BIND (diagram_area);
#undef BIND

  gtk_widget_class_install_action (widget_class, "editor.add-layer", "s",
                                   add_layer_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.add-layer-at-top",
                                   "s", add_layer_action_cb);
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
  gtk_widget_class_install_action (widget_class, "editor.import-checkpoint",
                                   NULL, import_checkpoint_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.export-json", NULL,
                                   json_action_cb);
  gtk_widget_class_install_action (widget_class, "editor.export-diagram", "s",
                                   export_diagram_action_cb);

  /* Anywhere in the editor; Delete is the list's alone and the undo keys
   * the window's (see new_undo_shortcuts ()). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d,
                                       GDK_CONTROL_MASK,
                                       "editor.duplicate", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up,
                                       GDK_ALT_MASK, "editor.move-up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down,
                                       GDK_ALT_MASK, "editor.move-down", NULL);
}

static void
cnv_layer_editor_init (CnvLayerEditor *self)
{
  GtkEventController *scroll;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->panel_widgets = g_hash_table_new (g_str_hash, g_str_equal);
  self->panel_layer = -1;

  init_add_menu (self);
  gtk_drawing_area_set_draw_func (self->diagram_area, draw_diagram_cb, self,
                                  NULL);

  /* Before the spin buttons see it: see scroll_cb (). */
  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (scroll, GTK_PHASE_CAPTURE);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  add_list_shortcuts (self);
  cnv_param_row_pass_undo_keys (self->width_spin);
  cnv_param_row_pass_undo_keys (self->height_spin);

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
                                G_CALLBACK (selection_changed_cb), self);
    }

  self->panel_layer = -1;
  refresh (self);
}

CnvStackEditor *
cnv_layer_editor_get_editor (CnvLayerEditor *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), NULL);

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

  if (!g_file_set_contents_full (path, json, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;

  g_signal_emit (self, signals[STACK_EXPORTED], 0, path);

  return TRUE;
}

void
cnv_layer_editor_import_architecture_async (CnvLayerEditor      *self,
                                            const char          *path,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CNV_IS_LAYER_EDITOR (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cnv_layer_editor_import_architecture_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  /* A later import, or the editor going away, makes this one moot. */
  g_object_set_data (G_OBJECT (task), "serial",
                     GUINT_TO_POINTER (++self->import_serial));
  cnv_application_run_in_thread (task, load_architecture_thread);
}

gboolean
cnv_layer_editor_import_architecture_finish (CnvLayerEditor  *self,
                                             GAsyncResult    *result,
                                             GError         **error)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  guint serial;

  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  serial = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "serial"));
  spec = g_task_propagate_pointer (G_TASK (result), error);
  if (spec == NULL)
    return FALSE;

  if (serial != self->import_serial || self->editor == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("Another import replaced this one."));
      return FALSE;
    }

  cnv_stack_editor_replace (self->editor, spec);

  return TRUE;
}

void
cnv_layer_editor_import_architecture_path (CnvLayerEditor *self,
                                           const char     *path)
{
  g_return_if_fail (CNV_IS_LAYER_EDITOR (self));

  cnv_layer_editor_import_architecture_async (self, path, NULL,
                                              architecture_loaded_cb, NULL);
}

GtkWidget *
cnv_layer_editor_get_add_button (CnvLayerEditor *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), NULL);

  return GTK_WIDGET (self->add_button);
}

GtkListBox *
cnv_layer_editor_get_list (CnvLayerEditor *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), NULL);

  return self->layer_list;
}

guint
cnv_layer_editor_get_n_rows (CnvLayerEditor *self)
{
  guint n = 0;

  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), 0);

  /* The rows on screen; the "No layers yet" placeholder is not one. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->layer_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (CNV_IS_LAYER_ROW (child))
      n++;

  return n;
}

CnvLayerRow *
cnv_layer_editor_get_row (CnvLayerEditor *self,
                          guint           row)
{
  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), NULL);

  return layer_row_at (self, (int) row);
}

const char *
cnv_layer_editor_get_row_problem (CnvLayerEditor *self,
                                  guint           row)
{
  CnvLayerRow *layer_row = cnv_layer_editor_get_row (self, row);

  return layer_row != NULL ? cnv_layer_row_get_problem (layer_row) : NULL;
}

GtkWidget *
cnv_layer_editor_get_parameter_widget (CnvLayerEditor *self,
                                       const char     *name)
{
  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), NULL);

  if (g_str_equal (name, "width"))
    return GTK_WIDGET (self->width_spin);
  if (g_str_equal (name, "height"))
    return GTK_WIDGET (self->height_spin);
  if (g_str_equal (name, "colour"))
    return GTK_WIDGET (self->colour_row);

  return g_hash_table_lookup (self->panel_widgets, name);
}

const char *
cnv_layer_editor_get_total_text (CnvLayerEditor *self,
                                 const char     *name)
{
  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), NULL);

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

const char *
cnv_layer_editor_get_stack_problem_text (CnvLayerEditor *self)
{
  g_return_val_if_fail (CNV_IS_LAYER_EDITOR (self), NULL);

  if (!gtk_widget_get_visible (self->stack_problem_box))
    return NULL;

  return gtk_label_get_label (self->stack_problem_label);
}
