/* test-app-keyboard.c — the main flow with the keyboard alone, as key
 * presses through the X server: open the sample from the start view,
 * add a layer, train, save, open and classify, each file typed into the
 * file chooser */
#define G_LOG_DOMAIN "cnv-test-app-keyboard"

#include <glib/gstdio.h>

#include "app-test-util.h"
#include "cnv-layer-editor.h"
#include "cnv-open-dialog.h"
#include "cnv-window-private.h"

static GtkWidget *
focus_widget (CnvWindow *window)
{
  return gtk_root_get_focus (GTK_ROOT (window));
}

/* The widget with the focus or its nearest ancestor that is a button or
 * a menu button (the focus may be on the menu button's inner toggle). */
static GtkWidget *
focused_button (CnvWindow *window)
{
  for (GtkWidget *w = focus_widget (window); w != NULL;
       w = gtk_widget_get_parent (w))
    if (GTK_IS_BUTTON (w) || GTK_IS_MENU_BUTTON (w))
      return w;

  return NULL;
}

static gboolean
button_has_action (GtkWidget  *button,
                   const char *action)
{
  return button != NULL && GTK_IS_ACTIONABLE (button)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)),
                       action) == 0;
}

/* Presses Tab until the focus is on a button for action (at most
 * max_presses times); returns how many presses it took, or 0. */
static guint
tab_to_action (CnvWindow  *window,
               const char *action,
               guint       max_presses)
{
  for (guint n = 1; n <= max_presses; n++)
    {
      press_keys (GTK_WINDOW (window), "Tab");
      if (button_has_action (focused_button (window), action))
        return n;
    }

  return 0;
}

static guint
tab_to_menu_button (CnvWindow *window,
                    GtkWidget *menu_button,
                    guint      max_presses)
{
  for (guint n = 1; n <= max_presses; n++)
    {
      press_keys (GTK_WINDOW (window), "Tab");
      if (focus_widget (window) != NULL
          && gtk_widget_is_ancestor (focus_widget (window), menu_button))
        return n;
    }

  return 0;
}

static GtkWindow *
file_chooser_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (GTK_IS_FILE_CHOOSER_DIALOG (l->data) && gtk_widget_get_mapped (l->data))
      return l->data;

  return NULL;
}

static gboolean
chooser_shown (gpointer data)
{
  return file_chooser_dialog () != NULL;
}

static gboolean
chooser_gone (gpointer data)
{
  return file_chooser_dialog () == NULL;
}

/* Types path into the file chooser the keys opened and presses Return. */
static void
choose_by_keyboard (CnvWindow  *window,
                    const char *keys,
                    const char *path)
{
  GtkWindow *dialog;

  press_keys (GTK_WINDOW (window), keys);
  g_assert_true (iterate_until (chooser_shown, NULL, 10));
  dialog = file_chooser_dialog ();
  settle (0.3);

  /* In an open chooser the first "/" opens the location entry; a save
   * chooser proposes a name with its stem selected, so all of it is
   * selected first. */
  if (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog))
      == GTK_FILE_CHOOSER_ACTION_SAVE)
    press_keys (dialog, "ctrl+a");
  type_text (dialog, path);
  settle (0.3);
  press_keys (dialog, "Return");
  g_assert_true (iterate_until (chooser_gone, NULL, 10));
}

typedef struct
{
  CnvStackEditor *editor;
  guint           n_before;
} LayerCount;

static gboolean
layer_added (gpointer data)
{
  LayerCount *count = data;

  return cnv_stack_editor_get_n_layers (count->editor) > count->n_before;
}

static gboolean
detail_shown (gpointer data)
{
  return cnv_classify_page_get_detail_shown (data);
}

/* Ctrl+T took: a run is on, or (on a fast machine) already over. */
static gboolean
training_started (gpointer data)
{
  return cnv_window_is_training (CNV_WINDOW (data))
         || cnv_window_get_classifier (CNV_WINDOW (data)) != NULL;
}

static gboolean
has_checkpoint_path (gpointer data)
{
  return cnv_window_get_checkpoint_path (CNV_WINDOW (data)) != NULL
         && !cnv_window_is_busy (CNV_WINDOW (data));
}

static gboolean
open_dialog_shown (gpointer data)
{
  return cnv_window_get_open_dialog (CNV_WINDOW (data)) != NULL;
}

static gboolean
has_classified (gpointer data)
{
  return cnv_window_get_classified_path (CNV_WINDOW (data)) != NULL
         && !cnv_window_is_busy (CNV_WINDOW (data));
}

static void
test_main_flow (void)
{
  g_autoptr(CnvApplication) app = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *checkpoint = NULL;
  g_autofree char *image = NULL;
  g_autofree char *sample = sample_folder ();
  GtkWidget *add_button;
  CnvClassifyPage *page;
  CnvStackEditor *editor;
  CnvWindow *window;
  guint n_layers;
  guint presses;

  if (!have_xdotool ())
    return;

  app = new_test_application ();
  dir = g_dir_make_tmp ("cnv-keyboard-XXXXXX", NULL);
  checkpoint = g_build_filename (dir, "keyboard.convolve", NULL);
  image = g_build_filename (sample, "sneaker", "train-00006.png", NULL);

  /* The start view: Tab reaches "Open the Sample", Return opens it. */
  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  settle (0.3);
  presses = tab_to_action (window, "win.open-sample", 30);
  g_assert_cmpuint (presses, >, 0);
  g_test_message ("Tab pressed %u times to reach Open the Sample", presses);
  press_keys (GTK_WINDOW (window), "Return");
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_nonnull (cnv_window_get_dataset (window));

  /* Build: Tab to Add Layer, open its menu, go down past the kinds to
   * "Insert at the Top", into it and down to Dropout (the kinds come in
   * the engine's order): dropout on the input is a valid first layer. */
  editor = cnv_window_get_stack_editor (window);
  n_layers = cnv_stack_editor_get_n_layers (editor);
  add_button = cnv_layer_editor_get_add_button (cnv_window_get_layer_editor (window));
  presses = tab_to_menu_button (window, add_button, 200);
  g_assert_cmpuint (presses, >, 0);
  g_test_message ("Tab pressed %u times to reach Add Layer", presses);
  press_keys (GTK_WINDOW (window), "Return");
  settle (0.3);
  for (int i = 0; i < CNV_N_LAYER_KINDS; i++)
    press_keys (GTK_WINDOW (window), "Down");
  press_keys (GTK_WINDOW (window), "Return");
  settle (0.3);
  /* The submenu opens on its back button, above the kinds. */
  for (int i = 0; i <= CNV_LAYER_DROPOUT; i++)
    press_keys (GTK_WINDOW (window), "Down");
  press_keys (GTK_WINDOW (window), "Return");
  g_assert_true (iterate_until (layer_added,
                                &(LayerCount) { editor, n_layers }, 10));
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, n_layers + 1);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].kind, ==,
                   CNV_LAYER_DROPOUT);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));

  /* Train with Ctrl+T, on the settings the page proposes. */
  g_assert_null (cnv_window_get_classifier (window));
  press_keys (GTK_WINDOW (window), "ctrl+t");
  /* Under the sanitizers on a busy machine, the key can take longer to
   * arrive than the settling after it. */
  g_assert_true (iterate_until (training_started, window, 10));
  g_assert_true (iterate_until (window_idle, window, 180));
  g_assert_nonnull (cnv_window_get_classifier (window));
  g_assert_cmpuint (cnv_window_get_classifier (window)->history->len, >, 0);

  /* Save with Ctrl+S: the chooser takes a typed path. */
  choose_by_keyboard (window, "ctrl+s", checkpoint);
  g_assert_true (iterate_until (has_checkpoint_path, window, 30));
  g_assert_cmpstr (cnv_window_get_checkpoint_path (window), ==, checkpoint);
  g_assert_false (cnv_window_get_modified (window));
  destroy_and_check_finalized (window);

  /* Open it with Ctrl+O in a window on the start view. */
  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  settle (0.3);
  choose_by_keyboard (window, "ctrl+o", checkpoint);

  /* The file's stack is not the one on screen: the window shows what
   * opening would change, with the focus on Open, which Return takes. */
  g_assert_true (iterate_until (open_dialog_shown, window, 30));
  settle (0.3);
  save_screenshot (GTK_WIDGET (cnv_window_get_open_dialog (window)),
                   "keyboard-open-dialog.png");
  press_keys (GTK_WINDOW (cnv_window_get_open_dialog (window)), "Return");
  g_assert_true (iterate_until (has_checkpoint_path, window, 30));
  g_assert_cmpstr (cnv_window_get_checkpoint_path (window), ==, checkpoint);
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (cnv_window_get_stack_editor (window)),
                    ==, n_layers + 1);

  /* Classify an image with Ctrl+I. */
  choose_by_keyboard (window, "ctrl+i", image);
  g_assert_true (iterate_until (has_classified, window, 30));
  g_assert_cmpstr (cnv_window_get_classified_path (window), ==, image);
  g_assert_nonnull (cnv_window_get_predicted_class (window));
  save_screenshot (GTK_WIDGET (window), "keyboard-classified.png");

  /* At the window's default size the page folds its list and detail into
   * one; back on the list, one click on the row shows its detail. */
  page = cnv_window_get_classify_page (window);
  g_test_message ("the Classify page is %s at the default size",
                  cnv_classify_page_get_folded (page) ? "folded" : "unfolded");
  if (cnv_classify_page_get_folded (page))
    {
      g_autofree char *move = NULL;
      GtkWidget *list = cnv_classify_page_get_list_view (page);
      graphene_point_t point;

      /* One image chosen is shown at once, not left in the list. */
      g_assert_true (cnv_classify_page_get_detail_shown (page));
      cnv_classify_page_show_list (page);
      settle (0.5);
      g_assert_false (cnv_classify_page_get_detail_shown (page));
      g_assert_true (gtk_widget_compute_point (list, GTK_WIDGET (window),
                                               &GRAPHENE_POINT_INIT (60, 20),
                                               &point));
      move = g_strdup_printf ("mousemove --window WINDOW %d %d",
                              (int) point.x, (int) point.y);
      xdotool (GTK_WINDOW (window), move);
      xdotool (GTK_WINDOW (window), "click 1");
      g_assert_true (iterate_until (detail_shown, page, 10));
    }

  destroy_and_check_finalized (window);
  g_unlink (checkpoint);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  app_test_init (&argc, &argv);
  gtk_init ();

  g_test_add_func ("/app/keyboard/main-flow", test_main_flow);

  return g_test_run ();
}
