/* test-app-a11y.c — accessibility of the real window under Xvfb: every
 * control a user can reach has a name, every drawn picture says what it
 * shows, and the main views are drawn in the dark and high-contrast
 * styles for a look at them */
#define G_LOG_DOMAIN "cnv-test-app-a11y"

#include <glib/gstdio.h>

#include "app-test-util.h"
#include "cnv-preferences-window.h"
#include "cnv-train-page.h"
#include "cnv-window-private.h"

static gboolean
has_text (const char *text)
{
  return text != NULL && *text != '\0';
}

/* A label somewhere inside widget gives it its name, as for a button
 * whose child is a box with an icon and a label. */
static gboolean
has_label_inside (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && has_text (gtk_label_get_label (GTK_LABEL (widget))))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_label_inside (child))
      return TRUE;

  return FALSE;
}

/* A row's title names the controls in it. */
static gboolean
in_titled_row (GtkWidget *widget)
{
  for (GtkWidget *w = widget; w != NULL; w = gtk_widget_get_parent (w))
    if (ADW_IS_PREFERENCES_ROW (w)
        && has_text (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (w))))
      return TRUE;

  return FALSE;
}

static gboolean
is_named (GtkWidget *widget)
{
  GtkAccessible *accessible = GTK_ACCESSIBLE (widget);

  if (gtk_test_accessible_has_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL)
      || gtk_test_accessible_has_relation (accessible,
                                           GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    return TRUE;

  if (GTK_IS_CHECK_BUTTON (widget))
    return has_text (gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)))
           || in_titled_row (widget);

  /* A button or a menu button with text says what it does; one with only
   * an icon needs a name of its own, wherever it is. */
  if (GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget))
    return has_label_inside (widget);

  return in_titled_row (widget) || has_label_inside (widget);
}

/* What a keyboard user lands on: focusable controls, leaving out the
 * text inside a spin button or an entry, which its parent names. */
static gboolean
is_control (GtkWidget *widget)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);

  if (!gtk_widget_get_focusable (widget))
    return FALSE;

  if (GTK_IS_TEXT (widget) && parent != NULL
      && (GTK_IS_SPIN_BUTTON (parent) || GTK_IS_ENTRY (parent)
          || GTK_IS_SEARCH_ENTRY (parent) || GTK_IS_PASSWORD_ENTRY (parent)))
    return FALSE;

  /* Rows of a list that only holds them, and the scrolled windows,
   * viewports and lists around everything, are not controls. */
  if (GTK_IS_LIST_BOX (widget) || GTK_IS_FLOW_BOX (widget)
      || GTK_IS_SCROLLED_WINDOW (widget) || GTK_IS_VIEWPORT (widget)
      || GTK_IS_LIST_VIEW (widget) || GTK_IS_GRID_VIEW (widget)
      || GTK_IS_WINDOW (widget))
    return FALSE;

  return TRUE;
}

/* Our drawn widgets: a picture of data, which must say what it shows. */
static gboolean
is_drawing (GtkWidget *widget)
{
  return g_str_has_prefix (G_OBJECT_TYPE_NAME (widget), "Cnv")
         && gtk_test_accessible_has_role (GTK_ACCESSIBLE (widget),
                                          GTK_ACCESSIBLE_ROLE_IMG);
}

static void
describe (GtkWidget *widget,
          GString   *path)
{
  const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget));
  const char *tooltip = gtk_widget_get_tooltip_text (widget);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (GtkWidget *w = widget; w != NULL && !GTK_IS_NATIVE (w);
       w = gtk_widget_get_parent (w))
    g_ptr_array_insert (names, 0, (gpointer) G_OBJECT_TYPE_NAME (w));

  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (path, "%s%s", i > 0 ? " > " : "",
                            (const char *) names->pdata[i]);
  if (id != NULL && !g_str_has_prefix (id, "___object_"))
    g_string_append_printf (path, " #%s", id);
  if (tooltip != NULL)
    g_string_append_printf (path, " (tooltip “%s”)", tooltip);
}

/* Walks widget's tree and appends one line per problem to problems. */
static void
check_tree (GtkWidget *widget,
            gboolean   reachable,
            GString   *problems,
            guint     *n_controls,
            guint     *n_drawings)
{
  /* What is hidden cannot be reached, nor what is inside a widget that
   * cannot take the focus. */
  if (!gtk_widget_get_visible (widget))
    return;
  reachable = reachable && gtk_widget_get_can_focus (widget);

  if (reachable && is_control (widget))
    {
      (*n_controls)++;
      if (!is_named (widget))
        {
          g_autoptr(GString) path = g_string_new (NULL);

          describe (widget, path);
          g_string_append_printf (problems, "no accessible name: %s\n", path->str);
        }
    }

  if (is_drawing (widget))
    {
      (*n_drawings)++;
      if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget),
                                             GTK_ACCESSIBLE_PROPERTY_LABEL)
          || !gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget),
                                                GTK_ACCESSIBLE_PROPERTY_DESCRIPTION))
        {
          g_autoptr(GString) path = g_string_new (NULL);

          describe (widget, path);
          g_string_append_printf (problems,
                                  "a drawing without a label and a "
                                  "description of what it shows: %s\n",
                                  path->str);
        }
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    check_tree (child, reachable, problems, n_controls, n_drawings);
}

static void
assert_accessible (GtkWidget  *root,
                   const char *view,
                   guint       min_controls)
{
  g_autoptr(GString) problems = g_string_new (NULL);
  guint n_controls = 0;
  guint n_drawings = 0;

  check_tree (root, TRUE, problems, &n_controls, &n_drawings);
  g_test_message ("%s: %u controls, %u drawings", view, n_controls, n_drawings);

  if (problems->len > 0)
    g_error ("%s:\n%s", view, problems->str);
  g_assert_cmpuint (n_controls, >=, min_controls);
}

static CnvWindow *
new_trained_window (CnvApplication *app)
{
  g_autofree char *folder = sample_folder ();
  CnvWindow *window = cnv_window_new (app, folder);
  CnvTrainConfig config;

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  cnv_train_page_get_config (cnv_window_get_train_page (window), &config);
  config.epochs = 2;
  cnv_train_page_set_config (cnv_window_get_train_page (window), &config);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));

  return window;
}

/* At the window's default size no page is so wide that the layer
 * editor beside it folds away, in any language. */
static void
assert_not_folded (CnvWindow *window)
{
  GtkWidget *leaflet = gtk_widget_get_ancestor (GTK_WIDGET (cnv_window_get_data_page (window)),
                                                ADW_TYPE_LEAFLET);

  g_assert_nonnull (leaflet);
  g_assert_false (adw_leaflet_get_folded (ADW_LEAFLET (leaflet)));
}

static const char * const pages[] = { "data", "train", "evaluate", "classify" };

/* Every view of a window with a trained model, and the preferences. */
static void
test_every_control_is_named (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *image = NULL;
  CnvPreferencesWindow *preferences;
  CnvWindow *window;

  window = new_trained_window (app);
  image = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", "sample",
                            "sneaker", "train-00006.png", NULL);
  cnv_window_classify_path (window, image);
  g_assert_true (iterate_until (window_idle, window, 30));

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      cnv_window_show_page (window, pages[i]);
      settle (0.2);
      assert_accessible (GTK_WIDGET (window), pages[i], 10);
    }

  assert_not_folded (window);

  preferences = cnv_preferences_window_new (cnv_application_get_settings (app));
  gtk_window_set_transient_for (GTK_WINDOW (preferences), GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (preferences));
  settle (0.2);
  assert_accessible (GTK_WIDGET (preferences), "preferences", 4);
  gtk_window_destroy (GTK_WINDOW (preferences));

  destroy_and_check_finalized (window);
}

/* The main views in the dark and the high-contrast styles, for a look:
 * nothing may be drawn in a colour fixed for a light background. */
static void
test_styles_screenshots (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  AdwStyleManager *style = adw_style_manager_get_default ();
  CnvWindow *window;

  window = new_trained_window (app);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  settle (2);
  g_assert_true (adw_style_manager_get_dark (style));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *name = g_strdup_printf ("dark-%s.png", pages[i]);

      cnv_window_show_page (window, pages[i]);
      settle (0.3);
      save_screenshot (GTK_WIDGET (window), name);
    }

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  g_object_set (gtk_settings_get_default (), "gtk-theme-name",
                "Adwaita-hc", NULL);
  settle (0.5);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *name = g_strdup_printf ("high-contrast-%s.png", pages[i]);

      cnv_window_show_page (window, pages[i]);
      settle (0.3);
      save_screenshot (GTK_WIDGET (window), name);
    }
  g_object_set (gtk_settings_get_default (), "gtk-theme-name", "Adwaita", NULL);

  destroy_and_check_finalized (window);
}

/* Run with LANGUAGE=de (and a UTF-8 locale such as C.UTF-8): the main
 * views in that language, for a look, and the proof that the catalogue
 * the build compiled is the one read. */
static void
test_translated_screenshots (void)
{
  const char *language = g_getenv ("LANGUAGE");
  g_autoptr(CnvApplication) app = NULL;
  CnvWindow *window;

  if (language == NULL || *language == '\0' || g_str_equal (language, "en"))
    {
      g_test_skip ("LANGUAGE is not set to a translation");
      return;
    }

  /* As the app's main () does; then a string every catalogue
   * translates. */
  cnv_i18n_init ();
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Untitled Model"), !=,
                   "Untitled Model");

  app = new_test_application ();
  window = new_trained_window (app);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%s.png", language, pages[i]);

      cnv_window_show_page (window, pages[i]);
      settle (0.3);
      save_screenshot (GTK_WIDGET (window), name);
    }
  assert_not_folded (window);

  destroy_and_check_finalized (window);
}

int
main (int   argc,
      char *argv[])
{
  app_test_init (&argc, &argv);
  /* The test backend keeps the accessible properties for the checks;
   * without it (GTK_A11Y=none) there is nothing to read. */
  g_setenv ("GTK_A11Y", "test", TRUE);

  g_test_add_func ("/app/a11y/every-control-is-named",
                   test_every_control_is_named);
  g_test_add_func ("/app/a11y/styles-screenshots", test_styles_screenshots);
  g_test_add_func ("/app/a11y/translated-screenshots",
                   test_translated_screenshots);

  return g_test_run ();
}
