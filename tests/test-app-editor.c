/* test-app-editor.c — the layer stack editor in the real window under
 * Xvfb, driven by real key presses and wheel turns (xdotool, through the
 * X server's XTEST extension) where the path an event takes through GTK
 * is what is being tested: focus, shortcut scope, capture phase. */
#define G_LOG_DOMAIN "cnv-test-app-editor"

#include <locale.h>
#include <glib/gstdio.h>
#include <gdk/x11/gdkx.h>

#include "cnv.h"
#include "cnv-application.h"
#include "cnv-format.h"
#include "cnv-layer-editor.h"
#include "cnv-layer-row.h"
#include "cnv-stack-diagram.h"
#include "cnv-window.h"
#include "app-test-util.h"
#include "cnv-window-private.h"

/* The window */

typedef struct
{
  CnvApplication *app;
  CnvWindow      *window;
  CnvLayerEditor *layer_editor;
  CnvStackEditor *editor;
} Fixture;

/* A window on the sample folder with the default stack. */
static void
fixture_open (Fixture *fixture)
{
  g_autofree char *folder = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                              "data", "sample", NULL);
  g_autoptr(GError) error = NULL;

  fixture->app = cnv_application_new ("io.github.convolve.Convolve.Test",
                                      G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (fixture->app), NULL,
                                         &error));
  g_assert_no_error (error);
  reset_settings (cnv_application_get_settings (fixture->app));

  fixture->window = cnv_window_new (fixture->app, folder);
  gtk_window_present (GTK_WINDOW (fixture->window));
  g_assert_true (iterate_until (window_idle, fixture->window, 60));

  fixture->layer_editor = cnv_window_get_layer_editor (fixture->window);
  fixture->editor = cnv_window_get_stack_editor (fixture->window);
  settle (0.2);
}

static void
fixture_close (Fixture *fixture)
{
  gpointer weak = fixture->window;

  g_object_add_weak_pointer (G_OBJECT (fixture->window), &weak);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_assert_true (iterate_until (pointer_cleared, &weak, 10));
  g_clear_object (&fixture->app);
}

static GtkWidget *
focus_widget (Fixture *fixture)
{
  return gtk_root_get_focus (GTK_ROOT (fixture->window));
}

static GtkWidget *
row_widget (Fixture *fixture,
            guint    row)
{
  return GTK_WIDGET (cnv_layer_editor_get_row (fixture->layer_editor, row));
}

static const CnvLayerSpec *
layer_spec (Fixture *fixture,
            guint    layer)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (fixture->editor);

  g_assert_cmpuint (layer, <, spec->n_layers);

  return &spec->layers[layer];
}

/* The first layer of kind, or fails. */
static guint
find_layer (Fixture      *fixture,
            CnvLayerKind  kind)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (fixture->editor);

  for (guint i = 0; i < spec->n_layers; i++)
    if (spec->layers[i].kind == kind)
      return i;

  g_assert_not_reached ();
}

static GtkWidget *
find_action_button (GtkWidget  *widget,
                    const char *action)
{
  if (GTK_IS_BUTTON (widget)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)),
                    action) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_action_button (child, action);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The first menu button, depth first: the editor's Add Layer. */
static GtkWidget *
find_menu_button (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_menu_button (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The close button of the toast on screen, or NULL: libadwaita 1.2 has
 * no call that lists the toasts of an overlay. */
static GtkWidget *
find_toast_close (GtkWidget *widget)
{
  GType toast_type = g_type_from_name ("AdwToastWidget");

  if (GTK_IS_BUTTON (widget)
      && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)),
                    "window-close-symbolic") == 0
      && toast_type != 0
      && gtk_widget_get_ancestor (widget, toast_type) != NULL)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_toast_close (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
no_toast (gpointer data)
{
  return find_toast_close (GTK_WIDGET (data)) == NULL;
}

/* Dismisses the toast on screen, if any, so that it covers nothing in a
 * screenshot. */
static void
dismiss_toasts (CnvWindow *window)
{
  GtkWidget *close = find_toast_close (GTK_WIDGET (window));

  if (close != NULL)
    gtk_widget_activate (close);
  g_assert_true (iterate_until (no_toast, window, 5));
}

/* Real input through the X server, into the fixture's window */

#define xdotool(fixture, arguments) \
  xdotool (GTK_WINDOW ((fixture)->window), (arguments))
#define press(fixture, keys) press_keys (GTK_WINDOW ((fixture)->window), (keys))

/* "mousemove" arguments that put the pointer at (x, y) of widget. */
static char *
pointer_at (Fixture   *fixture,
            GtkWidget *widget,
            double     x,
            double     y)
{
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (fixture->window),
                                           &GRAPHENE_POINT_INIT (x, y), &point));

  return g_strdup_printf ("mousemove --window WINDOW %d %d", (int) point.x,
                          (int) point.y);
}

/* Tests */

static void
test_format_count (void)
{
  g_autofree char *zero = cnv_format_count (0);
  g_autofree char *hundreds = cnv_format_count (999);
  g_autofree char *thousand = cnv_format_count (1000);
  g_autofree char *params = cnv_format_count (53729);
  g_autofree char *millions = cnv_format_count (1204769);

  /* The C locale has no thousands separator: the comma stands in. */
  g_assert_cmpstr (setlocale (LC_NUMERIC, NULL), ==, "C");
  g_assert_cmpstr (zero, ==, "0");
  g_assert_cmpstr (hundreds, ==, "999");
  g_assert_cmpstr (thousand, ==, "1,000");
  g_assert_cmpstr (params, ==, "53,729");
  g_assert_cmpstr (millions, ==, "1,204,769");
}

/* Focus a row, then arrows, Alt+Up/Down, Ctrl+D, Delete, Tab, and the
 * undo keys from the Train page and from inside a spin button: all as
 * key presses through the X server. */
static void
test_keyboard_only (void)
{
  Fixture fixture = { 0 };
  g_autoptr(CnvModelSpec) start = NULL;
  g_autofree char *move = NULL;
  GtkWidget *list;
  GtkWidget *widget;
  GtkSpinButton *spin;
  guint n;
  int filters;
  char *kind1;

  if (!have_xdotool ())
    return;

  fixture_open (&fixture);
  list = GTK_WIDGET (cnv_layer_editor_get_list (fixture.layer_editor));
  start = cnv_model_spec_copy (cnv_stack_editor_get_spec (fixture.editor));
  n = start->n_layers;
  g_assert_cmpuint (n, >=, 4);

  /* A click selects the row and gives it the focus: the row is updated
   * in place, not rebuilt, so it keeps the focus.  Down moves both on. */
  cnv_stack_editor_set_selection (fixture.editor, -1);
  widget = row_widget (&fixture, 0);
  move = pointer_at (&fixture, widget, 120, 20);
  xdotool (&fixture, move);
  xdotool (&fixture, "click 1");
  g_assert_cmpint (cnv_stack_editor_get_selection (fixture.editor), ==, 0);
  g_assert_true (row_widget (&fixture, 0) == widget);
  g_assert_true (focus_widget (&fixture) == widget);
  press (&fixture, "Down");
  g_assert_cmpint (cnv_stack_editor_get_selection (fixture.editor), ==, 1);
  g_assert_true (focus_widget (&fixture) == row_widget (&fixture, 1));

  /* Alt+Down moves the layer, and the focus goes with it. */
  kind1 = g_strdup (layer_spec (&fixture, 1)->id);
  press (&fixture, "alt+Down");
  g_assert_cmpstr (layer_spec (&fixture, 2)->id, ==, kind1);
  g_assert_cmpint (cnv_stack_editor_get_selection (fixture.editor), ==, 2);
  g_assert_true (focus_widget (&fixture) == row_widget (&fixture, 2));
  press (&fixture, "alt+Up");
  g_assert_cmpstr (layer_spec (&fixture, 1)->id, ==, kind1);
  g_assert_true (focus_widget (&fixture) == row_widget (&fixture, 1));
  g_free (kind1);

  /* Ctrl+D puts a copy after it and focuses the copy. */
  press (&fixture, "ctrl+d");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n + 1);
  g_assert_cmpint (cnv_stack_editor_get_selection (fixture.editor), ==, 2);
  g_assert_cmpint (layer_spec (&fixture, 2)->kind, ==, start->layers[1].kind);
  g_assert_cmpstr (layer_spec (&fixture, 2)->id, !=, start->layers[1].id);
  g_assert_true (focus_widget (&fixture) == row_widget (&fixture, 2));

  /* Delete takes it out again; the focus stays on the selected row. */
  press (&fixture, "Delete");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n);
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       start));
  widget = focus_widget (&fixture);
  g_assert_true (CNV_IS_LAYER_ROW (widget));
  g_assert_true (widget == row_widget (&fixture,
                                       cnv_stack_editor_get_selection (fixture.editor)));

  /* Tab leaves the list in one press, Shift+Tab comes back before it. */
  press (&fixture, "Tab");
  widget = focus_widget (&fixture);
  g_assert_nonnull (widget);
  g_assert_false (gtk_widget_is_ancestor (widget, list));
  g_assert_true (gtk_widget_is_ancestor (widget, GTK_WIDGET (fixture.layer_editor)));
  gtk_widget_grab_focus (row_widget (&fixture, 1));
  press (&fixture, "shift+Tab");
  widget = focus_widget (&fixture);
  g_assert_false (gtk_widget_is_ancestor (widget, list));
  g_assert_true (GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (gtk_widget_get_parent (widget)));

  /* Delete outside the list removes nothing, even on a button of the
   * editor's own toolbar. */
  widget = find_menu_button (GTK_WIDGET (fixture.layer_editor));
  gtk_widget_grab_focus (widget);
  g_assert_true (gtk_widget_is_ancestor (focus_widget (&fixture), widget));
  press (&fixture, "Delete");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n);

  /* Ctrl+Z with the focus on the Train page: the window hears it. */
  gtk_widget_grab_focus (row_widget (&fixture, 1));
  press (&fixture, "Delete");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n - 1);
  cnv_window_show_page (fixture.window, "train");
  settle (0.2);
  widget = find_action_button (GTK_WIDGET (cnv_window_get_train_page (fixture.window)),
                               "win.train");
  g_assert_nonnull (widget);
  gtk_widget_grab_focus (widget);
  g_assert_true (focus_widget (&fixture) == widget);
  press (&fixture, "ctrl+z");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n);
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       start));
  press (&fixture, "ctrl+shift+z");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n - 1);
  press (&fixture, "ctrl+z");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n);
  press (&fixture, "ctrl+y");
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n - 1);
  press (&fixture, "ctrl+z");
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       start));

  /* Inside a spin button: Up raises the filters, Ctrl+Z takes the edit
   * back instead of blanking the field, and the spin keeps the focus. */
  cnv_window_show_page (fixture.window, "data");
  cnv_stack_editor_set_selection (fixture.editor,
                                  find_layer (&fixture, CNV_LAYER_CONV2D));
  spin = GTK_SPIN_BUTTON (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                                 "filters"));
  g_assert_nonnull (spin);
  filters = gtk_spin_button_get_value_as_int (spin);
  gtk_widget_grab_focus (GTK_WIDGET (spin));
  press (&fixture, "Up");
  g_assert_cmpint (layer_spec (&fixture, find_layer (&fixture, CNV_LAYER_CONV2D))->filters,
                   ==, filters + 1);
  press (&fixture, "ctrl+z");
  g_assert_cmpint (layer_spec (&fixture, find_layer (&fixture, CNV_LAYER_CONV2D))->filters,
                   ==, filters);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, filters);
  {
    g_autofree char *text = g_strdup_printf ("%d", filters);

    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, text);
  }
  widget = focus_widget (&fixture);
  g_assert_true (widget == GTK_WIDGET (spin)
                 || gtk_widget_is_ancestor (widget, GTK_WIDGET (spin)));

  /* Alt+Down from inside the panel moves the layer and leaves the focus
   * in the same spin button. */
  {
    guint conv = find_layer (&fixture, CNV_LAYER_CONV2D);
    g_autofree char *id = g_strdup (layer_spec (&fixture, conv)->id);

    press (&fixture, "alt+Down");
    g_assert_cmpstr (layer_spec (&fixture, conv + 1)->id, ==, id);
    g_assert_true (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                          "filters")
                   == GTK_WIDGET (spin));
    widget = focus_widget (&fixture);
    g_assert_true (widget == GTK_WIDGET (spin)
                   || gtk_widget_is_ancestor (widget, GTK_WIDGET (spin)));
  }

  /* The shortcut leaves the window with the editor. */
  fixture_close (&fixture);
}

/* The heading of the Add Layer menu's first section. */
static char *
menu_heading (GtkWidget *add_button)
{
  GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (add_button));
  char *label = NULL;

  g_assert_true (g_menu_model_get_item_attribute (menu, 0, G_MENU_ATTRIBUTE_LABEL,
                                                  "s", &label));

  return label;
}

/* After Add Layer the new row has the focus; an "Insert at the Top"
 * entry puts a layer above the first. */
static void
test_add_focuses_and_inserts_at_top (void)
{
  Fixture fixture = { 0 };
  GtkWidget *add_button;
  g_autofree char *after = NULL;
  char *heading;
  guint n;

  fixture_open (&fixture);
  n = cnv_stack_editor_get_n_layers (fixture.editor);

  /* The tooltip says where the layer will go. */
  add_button = find_menu_button (GTK_WIDGET (fixture.layer_editor));
  g_assert_nonnull (add_button);
  cnv_stack_editor_set_selection (fixture.editor, 1);
  after = g_strdup_printf ("Add a layer after “%s”", layer_spec (&fixture, 1)->id);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (add_button), ==, after);
  g_free (after);
  after = g_strdup_printf ("After “%s”", layer_spec (&fixture, 1)->id);
  heading = menu_heading (add_button);
  g_assert_cmpstr (heading, ==, after);
  g_free (heading);
  cnv_stack_editor_set_selection (fixture.editor, -1);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (add_button), ==,
                   "Add a layer at the end of the stack (nothing is selected)");
  heading = menu_heading (add_button);
  g_assert_cmpstr (heading, ==, "At the End");
  g_free (heading);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.layer_editor),
                                             "editor.add-layer", "s", "dropout"));
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (fixture.editor), ==, n + 1);
  g_assert_cmpint (layer_spec (&fixture, n)->kind, ==, CNV_LAYER_DROPOUT);
  g_assert_true (focus_widget (&fixture) == row_widget (&fixture, n));

  cnv_stack_editor_set_selection (fixture.editor, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.layer_editor),
                                             "editor.add-layer-at-top", "s",
                                             "batch-norm"));
  g_assert_cmpint (layer_spec (&fixture, 0)->kind, ==, CNV_LAYER_BATCH_NORM);
  g_assert_cmpint (cnv_stack_editor_get_selection (fixture.editor), ==, 0);
  g_assert_true (focus_widget (&fixture) == row_widget (&fixture, 0));
  g_assert_cmpuint (cnv_layer_editor_get_n_rows (fixture.layer_editor), ==, n + 2);

  fixture_close (&fixture);
}

/* The activation drop-down turns relu into tanh in one undo step, keeping
 * the id; the pooling one keeps the window. */
static void
test_kind_drop_down (void)
{
  Fixture fixture = { 0 };
  g_autoptr(CnvModelSpec) before = NULL;
  g_autofree char *id = NULL;
  AdwComboRow *row;
  GListModel *model;
  guint relu, pool, tanh_index = G_MAXUINT;
  int kernel;

  fixture_open (&fixture);
  relu = find_layer (&fixture, CNV_LAYER_RELU);
  id = g_strdup (layer_spec (&fixture, relu)->id);
  before = cnv_model_spec_copy (cnv_stack_editor_get_spec (fixture.editor));

  cnv_stack_editor_set_selection (fixture.editor, relu);
  row = ADW_COMBO_ROW (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                              "kind"));
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "Activation");
  model = adw_combo_row_get_model (row);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i),
                     cnv_layer_kind_get_title (CNV_LAYER_TANH)))
      tanh_index = i;
  g_assert_cmpuint (tanh_index, <, g_list_model_get_n_items (model));
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model),
                                               adw_combo_row_get_selected (row)),
                   ==, cnv_layer_kind_get_title (CNV_LAYER_RELU));

  adw_combo_row_set_selected (row, tanh_index);
  g_assert_cmpint (layer_spec (&fixture, relu)->kind, ==, CNV_LAYER_TANH);
  g_assert_cmpstr (layer_spec (&fixture, relu)->id, ==, id);
  /* The drop-down in use is the same one, not a rebuilt copy. */
  g_assert_true (GTK_WIDGET (row)
                 == cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                           "kind"));
  g_assert_cmpstr (cnv_layer_row_get_title (cnv_layer_editor_get_row (fixture.layer_editor,
                                                                      relu)),
                   ==, cnv_layer_kind_get_title (CNV_LAYER_TANH));

  /* One undo step: one undo gives the stack from before, exactly. */
  g_assert_true (cnv_stack_editor_undo (fixture.editor));
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       before));
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model),
                                               adw_combo_row_get_selected (row)),
                   ==, cnv_layer_kind_get_title (CNV_LAYER_RELU));

  /* Max to average pooling keeps the pool's size. */
  pool = find_layer (&fixture, CNV_LAYER_MAX_POOL);
  cnv_stack_editor_set_selection (fixture.editor, pool);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (
    cnv_layer_editor_get_parameter_widget (fixture.layer_editor, "kernel-h")), 3);
  kernel = layer_spec (&fixture, pool)->kernel[0];
  g_assert_cmpint (kernel, ==, 3);
  row = ADW_COMBO_ROW (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                              "kind"));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "Pooling");
  model = adw_combo_row_get_model (row);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i),
                     cnv_layer_kind_get_title (CNV_LAYER_AVG_POOL)))
      adw_combo_row_set_selected (row, i);
  g_assert_cmpint (layer_spec (&fixture, pool)->kind, ==, CNV_LAYER_AVG_POOL);
  g_assert_cmpint (layer_spec (&fixture, pool)->kernel[0], ==, kernel);

  /* A convolution has no kind drop-down. */
  cnv_stack_editor_set_selection (fixture.editor,
                                  find_layer (&fixture, CNV_LAYER_CONV2D));
  g_assert_null (cnv_layer_editor_get_parameter_widget (fixture.layer_editor, "kind"));

  fixture_close (&fixture);
}

/* The spin buttons go as far as the engine does. */
static void
test_spin_ranges (void)
{
  Fixture fixture = { 0 };
  g_autoptr(CnvModelSpec) spec = NULL;
  GtkSpinButton *spin;
  guint conv;

  fixture_open (&fixture);
  conv = find_layer (&fixture, CNV_LAYER_CONV2D);
  cnv_stack_editor_set_selection (fixture.editor, conv);

  spin = GTK_SPIN_BUTTON (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                                 "kernel-h"));
  gtk_spin_button_set_value (spin, 1024);
  g_assert_cmpint (layer_spec (&fixture, conv)->kernel[0], ==, 1024);
  gtk_spin_button_set_value (spin, 1025);
  g_assert_cmpint (layer_spec (&fixture, conv)->kernel[0], ==, 1024);

  spin = GTK_SPIN_BUTTON (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                                 "filters"));
  gtk_spin_button_set_value (spin, 65536);
  g_assert_cmpint (layer_spec (&fixture, conv)->filters, ==, 65536);

  /* A description at the limits shows them unclamped. */
  spec = cnv_model_spec_copy (cnv_stack_editor_get_spec (fixture.editor));
  spec->width = 4096;
  spec->layers[conv].stride[1] = 1024;
  spec->layers[conv].filters = 65536;
  cnv_stack_editor_replace (fixture.editor, spec);
  cnv_stack_editor_set_selection (fixture.editor, conv);
  spin = GTK_SPIN_BUTTON (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                                 "stride-w"));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 1024);
  spin = GTK_SPIN_BUTTON (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                                 "filters"));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 65536);
  spin = GTK_SPIN_BUTTON (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                                 "width"));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 4096);

  /* A batch-norm epsilon of 1e-7 is shown as such, not as 0.000000. */
  cnv_stack_editor_insert_layer (fixture.editor, 1, CNV_LAYER_BATCH_NORM);
  spin = GTK_SPIN_BUTTON (cnv_layer_editor_get_parameter_widget (fixture.layer_editor,
                                                                 "epsilon"));
  g_assert_nonnull (spin);
  gtk_spin_button_set_value (spin, 1e-7);
  g_assert_cmpfloat (layer_spec (&fixture, 1)->epsilon, ==, 1e-7f);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, "1e-07");

  fixture_close (&fixture);
}

/* Four channels, which a JSON description may ask for: a third colour
 * entry names them instead of the combo showing "Greyscale", and
 * changing the size keeps them.  (An editor of its own: the window
 * would reload its folder for the new stack.) */
static void
test_other_channel_count (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvStackEditor) editor = NULL;
  GtkWidget *window = gtk_window_new ();
  CnvLayerEditor *layer_editor = g_object_new (CNV_TYPE_LAYER_EDITOR, NULL);
  AdwComboRow *colour = NULL;
  GtkStringList *modes;

  spec->channels = 4;
  editor = cnv_stack_editor_new (spec);
  cnv_layer_editor_set_editor (layer_editor, editor);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (layer_editor));

  colour = ADW_COMBO_ROW (cnv_layer_editor_get_parameter_widget (layer_editor,
                                                                 "colour"));
  g_assert_nonnull (colour);
  modes = GTK_STRING_LIST (adw_combo_row_get_model (colour));
  g_assert_cmpuint (adw_combo_row_get_selected (colour), ==, 2);
  g_assert_cmpstr (gtk_string_list_get_string (modes, 2), ==, "4 Channels");

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (
    cnv_layer_editor_get_parameter_widget (layer_editor, "width")), 32);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->width, ==, 32);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->channels, ==, 4);

  /* Greyscale chosen: one channel, and the third entry is gone. */
  adw_combo_row_set_selected (colour, 0);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->channels, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (modes)), ==, 2);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A layer broken in itself shows no shape or count; the layers after
 * it keep the engine's best effort. */
static void
test_problem_row_has_no_shape (void)
{
  Fixture fixture = { 0 };
  g_autofree char *count = NULL;
  g_autofree char *next_shape = NULL;
  g_autofree char *next_subtitle = NULL;
  g_autofree char *subtitle = NULL;
  CnvLayerRow *row;
  guint conv;

  fixture_open (&fixture);
  conv = find_layer (&fixture, CNV_LAYER_CONV2D);
  row = cnv_layer_editor_get_row (fixture.layer_editor, conv);
  count = cnv_format_count (cnv_stack_editor_get_costs (fixture.editor)->layers[conv].parameters);
  g_assert_cmpstr (cnv_layer_row_get_count_text (row), ==, count);
  g_assert_null (strstr (cnv_layer_row_get_subtitle (row), "—"));

  cnv_stack_editor_set_selection (fixture.editor, conv);
  adw_combo_row_set_selected (ADW_COMBO_ROW (
    cnv_layer_editor_get_parameter_widget (fixture.layer_editor, "padding")), 0);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (
    cnv_layer_editor_get_parameter_widget (fixture.layer_editor, "kernel-h")), 40);
  g_assert_nonnull (cnv_stack_editor_get_layer_problem (fixture.editor, conv));

  /* The same row object, now without numbers. */
  g_assert_true (cnv_layer_editor_get_row (fixture.layer_editor, conv) == row);
  g_assert_cmpstr (cnv_layer_row_get_problem (row), ==,
                   cnv_stack_editor_get_layer_problem (fixture.editor, conv));
  g_assert_cmpstr (cnv_layer_row_get_count_text (row), ==, "—");
  subtitle = g_strconcat (layer_spec (&fixture, conv)->id, " · —", NULL);
  g_assert_cmpstr (cnv_layer_row_get_subtitle (row), ==, subtitle);

  /* The next row's shape is the engine's, as before. */
  g_assert_null (cnv_stack_editor_get_layer_problem (fixture.editor, conv + 1));
  next_shape = cnv_format_shape (cnv_stack_editor_get_shape (fixture.editor, conv + 1));
  next_subtitle = g_strdup_printf ("%s · %s", layer_spec (&fixture, conv + 1)->id,
                                   next_shape);
  g_assert_cmpstr (cnv_layer_row_get_subtitle (cnv_layer_editor_get_row (fixture.layer_editor,
                                                                         conv + 1)),
                   ==, next_subtitle);

  fixture_close (&fixture);
}

/* Memory at the batch size and the empty stack are shown in the editor,
 * in the engine's words. */
static const char *
stack_problem (CnvStackEditor     *editor,
               CnvModelProblemKind kind)
{
  GPtrArray *problems = cnv_stack_editor_get_problems (editor);

  for (guint i = 0; i < problems->len; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);

      if (problem->layer == -1 && problem->kind == kind)
        return problem->message;
    }

  return NULL;
}

static void
test_stack_problems_in_editor (void)
{
  Fixture fixture = { 0 };
  const char *memory;

  fixture_open (&fixture);
  g_assert_null (cnv_layer_editor_get_stack_problem_text (fixture.layer_editor));

  /* A megabyte is too little for the default stack at batch size 64. */
  cnv_stack_editor_set_memory_limit (fixture.editor, 1024 * 1024);
  memory = stack_problem (fixture.editor, CNV_MODEL_PROBLEM_MEMORY);
  g_assert_nonnull (memory);
  g_assert_cmpstr (cnv_layer_editor_get_stack_problem_text (fixture.layer_editor),
                   ==, memory);

  cnv_stack_editor_set_memory_limit (fixture.editor, 0);
  g_assert_null (cnv_layer_editor_get_stack_problem_text (fixture.layer_editor));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.layer_editor),
                                             "editor.new-from-template",
                                             "s", "empty"));
  g_assert_nonnull (stack_problem (fixture.editor, CNV_MODEL_PROBLEM_EMPTY));
  g_assert_cmpstr (cnv_layer_editor_get_stack_problem_text (fixture.layer_editor),
                   ==, stack_problem (fixture.editor, CNV_MODEL_PROBLEM_EMPTY));
  g_assert_cmpuint (cnv_layer_editor_get_n_rows (fixture.layer_editor), ==, 0);

  fixture_close (&fixture);
}

static void
import_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return GTK_WINDOW (window);
    }

  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

/* The architecture of a checkpoint replaces the stack in one undoable
 * step; the window does not take its weights; a bad file says so. */
static void
test_import_architecture (void)
{
  Fixture fixture = { 0 };
  g_autofree char *tmp = g_dir_make_tmp ("cnv-editor-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmp, "vgg.convolve", NULL);
  g_autofree char *bad = g_build_filename (tmp, "broken.convolve", NULL);
  g_autofree char *other = g_build_filename (tmp, "other.json", NULL);
  g_autoptr(CnvModelSpec) vgg = cnv_model_spec_new_template (CNV_TEMPLATE_SMALL_VGG);
  g_autoptr(CnvModelSpec) before = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *const names[] = { "cat", "dog", NULL };
  CnvPreprocessing pp;
  AdwMessageDialog *dialog;

  fixture_open (&fixture);
  before = cnv_model_spec_copy (cnv_stack_editor_get_spec (fixture.editor));

  cnv_preprocessing_init_default (&pp, vgg->width, vgg->height, vgg->channels);
  classifier = cnv_classifier_new (vgg, &pp, names, 7, &error);
  g_assert_no_error (error);
  g_assert_true (cnv_checkpoint_save (classifier, path, &error));
  g_assert_no_error (error);

  cnv_layer_editor_import_architecture_async (fixture.layer_editor, path, NULL,
                                              import_done_cb, &result);
  g_assert_true (iterate_until (result_ready, &result, 30));
  g_assert_true (cnv_layer_editor_import_architecture_finish (fixture.layer_editor,
                                                              result, &error));
  g_assert_no_error (error);
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       vgg));
  g_assert_cmpuint (cnv_layer_editor_get_n_rows (fixture.layer_editor), ==,
                    vgg->n_layers);
  /* Only the architecture: no trained model in the window. */
  g_assert_null (cnv_window_get_classifier (fixture.window));

  g_assert_true (cnv_stack_editor_undo (fixture.editor));
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       before));

  /* A file that is no checkpoint: a dialog with the engine's message,
   * which names the file, and the stack as it was. */
  g_assert_true (g_file_set_contents (bad, "not a checkpoint", -1, NULL));
  expected_warning = "Could Not Import the Architecture: *";
  n_expected_warnings = 0;
  cnv_layer_editor_import_architecture_path (fixture.layer_editor, bad);
  g_assert_true (iterate_until (dialog_shown, NULL, 30));
  expected_warning = NULL;
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                   "Could Not Import the Architecture");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog),
                            "broken.convolve"));
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       before));
  save_screenshot (GTK_WIDGET (dialog), "editor-import-error.png");
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* A layer type Convolve does not implement has no spec to edit: the
   * error names the layer, the file and the type. */
  {
    g_autofree char *json = NULL;
    g_autofree char *unknown = NULL;
    g_autoptr(GRegex) flatten = g_regex_new ("\"type\"\\s*:\\s*\"flatten\"",
                                             0, 0, NULL);

    g_assert_true (cnv_layer_editor_export_path (fixture.layer_editor, other,
                                                 &error));
    g_assert_true (g_file_get_contents (other, &json, NULL, &error));
    unknown = g_regex_replace_literal (flatten, json, -1, 0,
                                       "\"type\": \"deformable-conv\"", 0, NULL);
    g_assert_cmpstr (unknown, !=, json);
    g_assert_true (g_file_set_contents (other, unknown, -1, &error));

    g_clear_object (&result);
    cnv_layer_editor_import_architecture_async (fixture.layer_editor, other,
                                                NULL, import_done_cb, &result);
    g_assert_true (iterate_until (result_ready, &result, 30));
    g_assert_false (cnv_layer_editor_import_architecture_finish (fixture.layer_editor,
                                                                 result, &error));
    g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_UNKNOWN_TYPE);
    g_assert_nonnull (strstr (error->message, "“flatten”"));
    g_assert_nonnull (strstr (error->message, "“other.json”"));
    g_assert_nonnull (strstr (error->message, "“deformable-conv”"));
    g_clear_error (&error);
    g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                         before));
  }

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_unlink (bad), ==, 0);
  g_assert_cmpint (g_unlink (other), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
  fixture_close (&fixture);
}

static void
stack_exported_cb (CnvLayerEditor *layer_editor,
                   const char     *path,
                   char          **exported)
{
  g_free (*exported);
  *exported = g_strdup (path);
}

/* Export, change, import: the stack comes back as it was exported, and
 * the export said where it went. */
static void
test_json_round_trip (void)
{
  Fixture fixture = { 0 };
  g_autofree char *tmp = g_dir_make_tmp ("cnv-editor-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmp, "model.json", NULL);
  g_autofree char *exported = NULL;
  g_autoptr(CnvModelSpec) built = NULL;
  g_autoptr(GError) error = NULL;

  fixture_open (&fixture);
  cnv_stack_editor_insert_layer (fixture.editor, 2, CNV_LAYER_BATCH_NORM);
  built = cnv_model_spec_copy (cnv_stack_editor_get_spec (fixture.editor));

  g_signal_connect (fixture.layer_editor, "stack-exported",
                    G_CALLBACK (stack_exported_cb), &exported);
  g_assert_true (cnv_layer_editor_export_path (fixture.layer_editor, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (exported, ==, path);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.layer_editor),
                                             "editor.new-from-template",
                                             "s", "tiny"));
  g_assert_false (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                        built));
  g_assert_true (cnv_layer_editor_import_path (fixture.layer_editor, path, &error));
  g_assert_no_error (error);
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (fixture.editor),
                                       built));
  g_assert_cmpuint (cnv_layer_editor_get_n_rows (fixture.layer_editor), ==,
                    built->n_layers);

  /* A failed export says nothing was exported. */
  g_clear_pointer (&exported, g_free);
  g_assert_false (cnv_layer_editor_export_path (fixture.layer_editor,
                                                "/nonexistent/dir/model.json",
                                                &error));
  g_assert_nonnull (error);
  g_assert_null (exported);

  g_signal_handlers_disconnect_by_func (fixture.layer_editor, stack_exported_cb,
                                        &exported);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
  fixture_close (&fixture);
}

/* A wheel over a spin button that does not have the focus scrolls the
 * pane and leaves the value alone; once focused, the wheel is the
 * spin's. */
static void
test_wheel_over_spin_scrolls (void)
{
  Fixture fixture = { 0 };
  g_autofree char *move = NULL;
  GtkWidget *spin;
  GtkWidget *scrolled;
  GtkAdjustment *adjustment;
  graphene_point_t point;
  double before;
  double middle;
  int filters;

  if (!have_xdotool ())
    return;

  fixture_open (&fixture);
  cnv_stack_editor_set_selection (fixture.editor,
                                  find_layer (&fixture, CNV_LAYER_CONV2D));
  settle (0.3);
  spin = cnv_layer_editor_get_parameter_widget (fixture.layer_editor, "filters");
  scrolled = gtk_widget_get_ancestor (spin, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (scrolled);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), >,
                     gtk_adjustment_get_page_size (adjustment));

  /* Bring the spin into view, its centre under the pointer. */
  gtk_widget_grab_focus (row_widget (&fixture, 0));
  g_assert_true (gtk_widget_compute_point (spin, scrolled,
                                           &GRAPHENE_POINT_INIT (0, 0), &point));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment)
                                        + point.y - 100);
  settle (0.3);
  middle = gtk_widget_get_height (spin) / 2.0;
  g_assert_true (gtk_widget_compute_point (spin, GTK_WIDGET (fixture.window),
                                           &GRAPHENE_POINT_INIT (10, middle),
                                           &point));
  filters = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin));
  before = gtk_adjustment_get_value (adjustment);

  move = g_strdup_printf ("mousemove --window WINDOW %d %d", (int) point.x,
                          (int) point.y);
  xdotool (&fixture, move);
  xdotool (&fixture, "click 5");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)), ==,
                   filters);
  g_assert_cmpint (layer_spec (&fixture, find_layer (&fixture, CNV_LAYER_CONV2D))->filters,
                   ==, filters);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), >, before);

  /* Focused, the same wheel turns the value down (the pointer is put
   * back over the spin, which the scroll moved). */
  gtk_widget_grab_focus (spin);
  g_assert_true (gtk_widget_compute_point (spin, GTK_WIDGET (fixture.window),
                                           &GRAPHENE_POINT_INIT (10, middle),
                                           &point));
  g_free (move);
  move = g_strdup_printf ("mousemove --window WINDOW %d %d", (int) point.x,
                          (int) point.y);
  xdotool (&fixture, move);
  xdotool (&fixture, "click 5");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)), ==,
                   filters - 1);

  fixture_close (&fixture);
}

static GtkDragSource *
row_drag_source (GtkWidget *row)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (row);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DRAG_SOURCE (controller))
        return GTK_DRAG_SOURCE (controller);
    }

  return NULL;
}

/* A real drag with the mouse: the icon under the pointer is a picture
 * of the row (not an empty square), and dropping the row on another
 * moves the layer there. */
static void
test_drag_row (void)
{
  Fixture fixture = { 0 };
  g_autofree char *id = NULL;
  g_autofree char *move = NULL;
  GtkWidget *from;
  GtkWidget *to;
  GtkDragSource *source;
  GdkDrag *drag;
  GtkWidget *icon;

  if (!have_xdotool ())
    return;

  fixture_open (&fixture);
  from = row_widget (&fixture, 3);
  to = row_widget (&fixture, 0);
  id = g_strdup (layer_spec (&fixture, 3)->id);
  source = row_drag_source (from);
  g_assert_nonnull (source);

  move = pointer_at (&fixture, from, 120, 20);
  xdotool (&fixture, move);
  xdotool (&fixture, "mousedown 1");
  g_free (move);
  move = pointer_at (&fixture, from, 130, 5);
  xdotool (&fixture, move);
  g_free (move);
  move = pointer_at (&fixture, to, 120, 20);
  xdotool (&fixture, move);
  g_free (move);
  move = pointer_at (&fixture, to, 125, 22);
  xdotool (&fixture, move);
  settle (0.3);

  drag = gtk_drag_source_get_drag (source);
  g_assert_nonnull (drag);
  icon = gtk_drag_icon_get_for_drag (drag);
  g_assert_nonnull (icon);
  g_assert_cmpint (gtk_widget_get_width (icon), ==, gtk_widget_get_width (from));
  save_screenshot (icon, "editor-drag-icon-live.png");

  xdotool (&fixture, "mouseup 1");
  settle (0.3);
  g_assert_cmpstr (layer_spec (&fixture, 0)->id, ==, id);
  g_assert_true (cnv_stack_editor_undo (fixture.editor));
  g_assert_cmpstr (layer_spec (&fixture, 3)->id, ==, id);

  fixture_close (&fixture);
}

/* The screenshots a person looks at: the whole editor pane (rows, panel,
 * input, totals, diagram) with an invalid stack and a valid one, the
 * window with the Train page saying why it cannot train, the diagram as
 * exported, and the drag icon.  The window is no taller than the
 * screen, so the pane is drawn on its own at its full height. */
static void
test_screenshots (void)
{
  Fixture fixture = { 0 };
  g_autofree char *diagram = screenshot_path ("editor-diagram.png");
  g_autofree char *icon_path = screenshot_path ("editor-drag-icon.png");
  g_autoptr(GdkPaintable) icon = NULL;
  g_autoptr(GError) error = NULL;
  CnvLayerRow *row;
  guint conv;

  fixture_open (&fixture);
  conv = find_layer (&fixture, CNV_LAYER_CONV2D);

  cnv_stack_editor_set_selection (fixture.editor, conv);
  adw_combo_row_set_selected (ADW_COMBO_ROW (
    cnv_layer_editor_get_parameter_widget (fixture.layer_editor, "padding")), 0);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (
    cnv_layer_editor_get_parameter_widget (fixture.layer_editor, "kernel-h")), 40);
  g_assert_false (cnv_stack_editor_get_is_valid (fixture.editor));
  /* Memory too: the problem of the whole stack under the totals. */
  cnv_stack_editor_set_memory_limit (fixture.editor, 1024 * 1024);
  g_assert_nonnull (cnv_layer_editor_get_stack_problem_text (fixture.layer_editor));
  cnv_window_show_page (fixture.window, "train");
  dismiss_toasts (fixture.window);
  settle (0.3);
  save_screenshot (GTK_WIDGET (fixture.layer_editor), "editor-invalid.png");
  save_screenshot (GTK_WIDGET (fixture.window), "window-editor-invalid.png");

  cnv_stack_editor_set_memory_limit (fixture.editor, 0);
  g_assert_true (cnv_stack_editor_undo (fixture.editor));
  g_assert_true (cnv_stack_editor_undo (fixture.editor));
  g_assert_true (cnv_stack_editor_get_is_valid (fixture.editor));
  dismiss_toasts (fixture.window);
  settle (0.3);
  save_screenshot (GTK_WIDGET (fixture.layer_editor), "editor-valid.png");

  /* The Add Layer menu: every kind, and the same at the top. */
  {
    GtkWidget *add_button = find_menu_button (GTK_WIDGET (fixture.layer_editor));
    GtkPopover *popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (add_button));

    gtk_menu_button_popup (GTK_MENU_BUTTON (add_button));
    settle (0.5);
    g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (popover)));
    save_screenshot (GTK_WIDGET (popover), "editor-add-menu.png");
    gtk_menu_button_popdown (GTK_MENU_BUTTON (add_button));
    settle (0.2);
  }

  g_assert_true (cnv_stack_diagram_export (fixture.editor, diagram, &error));
  g_assert_no_error (error);
  g_test_message ("screenshot: %s", diagram);

  /* The drag icon is a picture of the row, the row's size. */
  row = cnv_layer_editor_get_row (fixture.layer_editor, conv);
  icon = cnv_layer_row_snapshot_paintable (row);
  g_assert_true (GDK_IS_TEXTURE (icon));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (icon), ==,
                   gtk_widget_get_width (GTK_WIDGET (row)));
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (icon), ==,
                   gtk_widget_get_height (GTK_WIDGET (row)));
  {
    GdkTexture *texture = GDK_TEXTURE (icon);
    int width = gdk_texture_get_width (texture);
    int height = gdk_texture_get_height (texture);
    g_autofree guint32 *pixels = g_new (guint32, (gsize) width * height);
    guint n_differing = 0;

    /* Not one flat colour: the row's text is in it. */
    gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
    for (int i = 1; i < width * height; i++)
      if (pixels[i] != pixels[0])
        n_differing++;
    g_assert_cmpuint (n_differing, >, (guint) (width * height / 100));
    g_assert_true (gdk_texture_save_to_png (texture, icon_path));
    g_test_message ("screenshot: %s", icon_path);
  }

  fixture_close (&fixture);
}

const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

int
main (int   argc,
      char *argv[])
{
  /* The count format is checked under the C locale. */
  g_unsetenv ("LC_ALL");
  g_setenv ("LC_NUMERIC", "C", TRUE);

  app_test_init (&argc, &argv);
  gtk_init ();

  g_test_add_func ("/app/editor/format-count", test_format_count);
  g_test_add_func ("/app/editor/keyboard-only", test_keyboard_only);
  g_test_add_func ("/app/editor/add-focuses-and-inserts-at-top",
                   test_add_focuses_and_inserts_at_top);
  g_test_add_func ("/app/editor/kind-drop-down", test_kind_drop_down);
  g_test_add_func ("/app/editor/spin-ranges", test_spin_ranges);
  g_test_add_func ("/app/editor/other-channel-count",
                   test_other_channel_count);
  g_test_add_func ("/app/editor/problem-row-has-no-shape",
                   test_problem_row_has_no_shape);
  g_test_add_func ("/app/editor/stack-problems-in-editor",
                   test_stack_problems_in_editor);
  g_test_add_func ("/app/editor/import-architecture", test_import_architecture);
  g_test_add_func ("/app/editor/json-round-trip", test_json_round_trip);
  g_test_add_func ("/app/editor/wheel-over-spin-scrolls",
                   test_wheel_over_spin_scrolls);
  g_test_add_func ("/app/editor/drag-row", test_drag_row);
  g_test_add_func ("/app/editor/screenshots", test_screenshots);

  return g_test_run ();
}
