/* test-app.c — the real window under Xvfb: load the sample folder, train
 * one epoch, save, open, classify, and check what the window shows */
#define G_LOG_DOMAIN "cnv-test-app"

#include <glib/gstdio.h>

#include "cnv.h"
#include "cnv-application.h"
#include "cnv-data-page.h"
#include "cnv-preferences-window.h"
#include "cnv-settings.h"
#include "cnv-window.h"
#include "cnv-window-private.h"
#include "app-test-util.h"
#include "test-util.h"
#include "cnv-stack-diagram.h"

static GtkSpinButton *
epochs_spin (CnvWindow *window)
{
  return cnv_train_page_get_epochs_spin (cnv_window_get_train_page (window));
}

static const char *
epochs_row_subtitle (CnvWindow *window)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (epochs_spin (window)),
                                            ADW_TYPE_ACTION_ROW);

  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

static guint
n_chart_points (CnvWindow *window)
{
  return cnv_train_page_get_n_chart_points (cnv_window_get_train_page (window));
}

static guint
count_files (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

static gboolean
open_dialog_shown (gpointer data)
{
  return cnv_window_get_open_dialog (CNV_WINDOW (data)) != NULL;
}

static gboolean
question_asked (gpointer data)
{
  return cnv_window_get_question (CNV_WINDOW (data)) != NULL;
}

/* A window on the sample folder with a model trained for n_epochs. */
static CnvWindow *
new_trained_window (CnvApplication *app,
                    guint           n_epochs)
{
  g_autofree char *folder = sample_folder ();
  CnvWindow *window;

  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  gtk_spin_button_set_value (epochs_spin (window), n_epochs);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_nonnull (cnv_window_get_classifier (window));

  return window;
}

static guint
history_length (CnvWindow *window)
{
  return cnv_window_get_classifier (window)->history->len;
}

/* Where the Train page's settings column is in the window, as
 * x * 10000 + width: one number that changes when either does. */
static int
settings_place (CnvWindow *window)
{
  CnvTrainPage *page = cnv_window_get_train_page (window);
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds
                   (cnv_train_page_get_settings_list (page),
                    GTK_WIDGET (window), &bounds));

  return (int) bounds.origin.x * 10000 + (int) bounds.size.width;
}

static void
assert_question_body (CnvWindow  *window,
                      const char *body)
{
  AdwMessageDialog *question = cnv_window_get_question (window);

  g_assert_nonnull (question);
  g_assert_cmpstr (adw_message_dialog_get_body (question), ==, body);
}

/* Answers the question on screen, checking its heading first. */
static void
respond (CnvWindow  *window,
         const char *heading,
         const char *response)
{
  AdwMessageDialog *question = cnv_window_get_question (window);

  g_assert_nonnull (question);
  g_assert_cmpstr (adw_message_dialog_get_heading (question), ==, heading);
  g_assert_true (adw_message_dialog_has_response (question, response));
  adw_message_dialog_response (question, response);
}

static void
answer_question (CnvWindow  *window,
                 const char *heading,
                 const char *response)
{
  respond (window, heading, response);
  g_assert_true (iterate_until (window_idle, window, 30));
}

static void
close_and_check_finalized (CnvWindow  *window,
                           const char *heading,
                           const char *response)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  respond (window, heading, response);
  g_assert_true (iterate_until (pointer_cleared, &weak, 30));
}

/* Closes a window that has nothing unsaved and waits until it is gone. */
static void
close_and_check_finalized_now (CnvWindow *window)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_close (GTK_WINDOW (window));
  /* Closing may finalize the window at once. */
  if (weak != NULL && cnv_window_get_question (window) != NULL)
    g_error ("unexpected question: %s", adw_message_dialog_get_heading (
      cnv_window_get_question (window)));
  g_assert_true (iterate_until (pointer_cleared, &weak, 30));
}

static void
assert_class_rows (CnvWindow  *window,
                   const char *folder)
{
  const CnvDataset *dataset = cnv_window_get_dataset (window);
  const char *expected[2] = { "ankle-boot", "sneaker" };

  g_assert_nonnull (dataset);

  for (guint i = 0; i < 2; i++)
    {
      AdwActionRow *row = cnv_data_page_get_class_row (cnv_window_get_data_page (window), i);
      g_autofree char *subfolder = g_build_filename (folder, expected[i], NULL);
      g_autofree char *count = NULL;
      guint n_files = count_files (subfolder);

      g_assert_nonnull (row);
      g_assert_cmpstr (dataset->class_names[i], ==, expected[i]);
      g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                       ==, expected[i]);

      /* Every file is either counted or listed as skipped. */
      g_assert_cmpuint (dataset->class_counts[i], >, 0);
      g_assert_cmpuint (dataset->class_counts[i] + dataset->skipped_counts[i],
                        ==, n_files);
      count = g_strdup_printf ("%u images", dataset->class_counts[i]);
      g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, count);
    }
}

static gboolean
has_row_titled (GtkWidget  *widget,
                const char *title)
{
  if (ADW_IS_ACTION_ROW (widget)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)),
                    title) == 0)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_row_titled (child, title))
      return TRUE;

  return FALSE;
}

/* Emits the window's GtkDropTarget "drop" as a drag from a file manager
 * would, with either of the two types it accepts. */
static void
drop_file (CnvWindow  *window,
           const char *path,
           GType       type)
{
  g_autoptr(GListModel) controllers = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_auto(GValue) value = G_VALUE_INIT;
  GtkDropTarget *target = NULL;
  gboolean handled = FALSE;

  controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);

  g_value_init (&value, type);
  if (type == GDK_TYPE_FILE_LIST)
    {
      GSList list = { file, NULL };

      g_value_take_boxed (&value, gdk_file_list_new_from_list (&list));
    }
  else
    g_value_set_object (&value, file);

  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &handled);
  g_assert_true (handled);
}

/* 40 × 30 RGBA: a red-to-blue gradient, half of it half transparent. */
static void
write_colour_png (const char *path)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8,
                                                40, 30);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < 30; y++)
    for (int x = 0; x < 40; x++)
      {
        guint8 *p = pixels + y * stride + x * 4;

        p[0] = (guint8) (255 - x * 6);
        p[1] = 40;
        p[2] = (guint8) (x * 6);
        p[3] = y < 15 ? 255 : 128;
      }

  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);
}

static void
test_window_train_save_open_classify (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) reference = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *checkpoint = NULL;
  g_autofree char *image = NULL;
  g_autofree char *colour = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *folder_name = NULL;
  g_autofree char *verdict = NULL;
  const CnvClassifier *classifier;
  CnvTrainingChart *chart;
  int width;
  CnvModelSpec *default_spec = cnv_model_spec_new_default ();
  CnvWindow *window;
  double probability = -1.0;
  const char *predicted;

  folder = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", "sample",
                             NULL);
  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));

  /* The folder loads in the background and its classes are listed. */
  g_assert_true (iterate_until (window_idle, window, 60));
  assert_class_rows (window, folder);
  g_assert_cmpuint (cnv_window_get_n_layer_rows (window), ==,
                    default_spec->n_layers);
  g_clear_pointer (&default_spec, cnv_model_spec_free);

  /* Nothing to save or classify before training. */
  g_assert_null (cnv_window_get_classifier (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save", NULL);
  g_assert_false (cnv_window_is_busy (window));
  g_assert_null (cnv_window_get_checkpoint_path (window));

  /* Five epochs through the real action: enough for a curve in the
   * screenshot the README shows. */
  gtk_spin_button_set_value (epochs_spin (window), 5);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (cnv_window_is_training (window));
  g_assert_true (iterate_until (window_idle, window, 120));

  classifier = cnv_window_get_classifier (window);
  g_assert_nonnull (classifier);
  g_assert_cmpuint (classifier->history->len, ==, 5);
  g_assert_true (cnv_window_get_modified (window));
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (window)), "•"));
  g_assert_cmpuint (n_chart_points (window), >, 1);
  settle (0.3);
  save_docs_screenshot (window, "window-trained.png");
  width = settings_place (window);

  /* Five epochs leave room for full-size markers; at 210 they shrink so
   * the smoothed batch loss stays visible between them. */
  chart = cnv_train_page_get_loss_chart (cnv_window_get_train_page (window));
  g_assert_cmpfloat (cnv_training_chart_get_marker_radius (chart), ==, 4.0);
  cnv_training_chart_set_n_epochs (chart, 210);
  for (guint e = 6; e <= 210; e++)
    cnv_training_chart_add_epoch (chart, e, 0.2, 0.9, 0.25, 0.88);
  g_assert_cmpfloat (cnv_training_chart_get_marker_radius (chart), <, 2.0);
  g_assert_cmpfloat (cnv_training_chart_get_marker_radius (chart), >=, 1.5);
  cnv_train_page_show_model (cnv_window_get_train_page (window),
                             cnv_window_get_classifier (window));
  g_assert_cmpfloat (cnv_training_chart_get_marker_radius (chart), ==, 4.0);

  /* Save to a path, then once more through win.save, which reuses it. */
  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  checkpoint = g_build_filename (tmp, "model.convolve", NULL);
  cnv_window_save_to_path (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (cnv_window_get_checkpoint_path (window), ==, checkpoint);
  g_assert_false (cnv_window_get_modified (window));
  g_assert_null (strstr (gtk_window_get_title (GTK_WINDOW (window)), "•"));

  /* A shorter title and no subtitle do not move the divider. */
  settle (0.3);
  g_assert_cmpint (settings_place (window), ==, width);

  g_assert_cmpint (g_unlink (checkpoint), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.save",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));

  /* Open it back: the window now holds what the file holds. */
  cnv_window_open_checkpoint (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  classifier = cnv_window_get_classifier (window);
  g_assert_nonnull (classifier);
  g_assert_cmpuint (classifier->history->len, ==, 5);
  g_assert_false (cnv_window_get_modified (window));

  /* Classify a sample and compare with the checkpoint opened apart. */
  image = g_strdup (cnv_window_get_dataset (window)->paths[0]);
  drop_file (window, image, GDK_TYPE_FILE_LIST);
  g_assert_true (iterate_until (window_idle, window, 30));
  predicted = cnv_window_get_predicted_class (window);
  g_assert_nonnull (predicted);
  g_assert_true (g_str_equal (predicted, "ankle-boot")
                 || g_str_equal (predicted, "sneaker"));

  reference = cnv_checkpoint_load (checkpoint, &error);
  g_assert_no_error (error);
  g_assert_true (cnv_classifier_predict_file (reference, image, &probability,
                                              NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (cnv_window_get_probability (window), ==, probability);
  g_assert_cmpstr (predicted, ==,
                   reference->class_names[probability >= reference->threshold]);

  /* The sample sits in a folder named after its class, which the page
   * holds the prediction against. */
  folder_name = g_path_get_basename (parent = g_path_get_dirname (image));
  verdict = g_strdup_printf ("Folder says: %s — %s", folder_name,
                             g_str_equal (folder_name, predicted)
                             ? "correct" : "wrong");
  g_assert_cmpstr (cnv_classify_page_get_verdict
                     (cnv_window_get_classify_page (window)), ==, verdict);

  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-classified.png");

  /* A colour image with transparency, at another size: the notes say
   * what was converted on the way to the network. */
  colour = g_build_filename (tmp, "colour.png", NULL);
  write_colour_png (colour);
  drop_file (window, colour, G_TYPE_FILE);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (has_row_titled (GTK_WIDGET (window),
                                 "Converted from colour to greyscale"));
  g_assert_true (has_row_titled (GTK_WIDGET (window),
                                 "Stretched from 40 × 30 to 28 × 28: the aspect ratio changed"));
  g_assert_true (has_row_titled (GTK_WIDGET (window),
                                 "Transparency flattened on #ffffff"));
  g_assert_null (cnv_classify_page_get_verdict
                   (cnv_window_get_classify_page (window)));
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-classified-colour.png");

  destroy_and_check_finalized (window);

  g_assert_cmpint (g_unlink (checkpoint), ==, 0);
  g_assert_cmpint (g_unlink (colour), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (from, &contents, &length, &error));
  g_assert_true (g_file_set_contents (to, contents, length, &error));
  g_assert_no_error (error);
}

/* A folder with three good images per class and one file that is not an
 * image: the window lists the bad one with its reason. */
static void
test_window_lists_skipped_files (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *title = NULL;
  const char *classes[2] = { "ankle-boot", "sneaker" };
  const char *samples[2][3] = {
    { "train-00000.png", "train-00011.png", "train-00015.png" },
    { "train-00006.png", "train-00014.png", "train-00041.png" },
  };
  const CnvDataset *dataset;
  AdwExpanderRow *skipped;
  CnvWindow *window;

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);

  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = g_build_filename (tmp, classes[c], NULL);

      g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
      for (guint i = 0; i < 3; i++)
        {
          g_autofree char *from = NULL;
          g_autofree char *to = NULL;

          from = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data",
                                   "sample", classes[c], samples[c][i], NULL);
          to = g_build_filename (dir, samples[c][i], NULL);
          copy_file (from, to);
        }
    }

  bad = g_build_filename (tmp, "sneaker", "broken.png", NULL);
  g_assert_true (g_file_set_contents (bad, "this is not a PNG file", -1,
                                      &error));
  g_assert_no_error (error);

  window = cnv_window_new (app, tmp);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  dataset = cnv_window_get_dataset (window);
  g_assert_nonnull (dataset);
  g_assert_cmpuint (dataset->class_counts[0], ==, 3);
  g_assert_cmpuint (dataset->class_counts[1], ==, 3);
  g_assert_cmpuint (dataset->skipped->len, ==, 1);

  skipped = cnv_data_page_get_skipped_row (cnv_window_get_data_page (window));
  g_assert_nonnull (skipped);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (skipped)),
                   ==, "1 file skipped");
  g_assert_true (has_row_titled (GTK_WIDGET (skipped), "sneaker/broken.png"));

  adw_expander_row_set_expanded (skipped, TRUE);
  settle (0.5);
  save_screenshot (GTK_WIDGET (window), "window-data.png");

  destroy_and_check_finalized (window);

  for (guint c = 0; c < 2; c++)
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *path = g_build_filename (tmp, classes[c],
                                                  samples[c][i], NULL);

        g_assert_cmpint (g_unlink (path), ==, 0);
      }
  g_assert_cmpint (g_unlink (bad), ==, 0);
  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = g_build_filename (tmp, classes[c], NULL);

      g_assert_cmpint (g_rmdir (dir), ==, 0);
    }
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static GtkWindow *
find_toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type)
        && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

/* A file that is not a checkpoint: the window says so in a dialog that
 * names the file, and keeps what it had. */
static void
test_window_open_error_names_file (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  CnvWindow *window;
  GtkWindow *dialog;

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (tmp, "broken.convolve", NULL);
  g_assert_true (g_file_set_contents (path, "not a checkpoint at all", -1,
                                      &error));
  g_assert_no_error (error);

  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));

  expected_warning = "Could Not Open Checkpoint*broken.convolve*";
  n_expected_warnings = 0;
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  expected_warning = NULL;

  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)),
                   ==, "Could Not Open Checkpoint");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "broken.convolve"));
  settle (0.3);
  save_screenshot (GTK_WIDGET (dialog), "open-error-dialog.png");
  gtk_window_destroy (dialog);

  g_assert_null (cnv_window_get_classifier (window));
  g_assert_null (cnv_window_get_checkpoint_path (window));

  destroy_and_check_finalized (window);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* A folder of datasets, and a class folder, chosen for the data: the
 * dialog says why it cannot be used and offers the dataset meant, which
 * its button loads. */
static void
test_window_folder_error_offers_dataset (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *data = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                            "data", NULL);
  g_autofree char *sample = g_build_filename (data, "sample", NULL);
  g_autofree char *sneaker = g_build_filename (sample, "sneaker", NULL);
  const char *chosen[] = { data, sneaker };
  CnvWindow *window;

  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 30));

  for (guint i = 0; i < G_N_ELEMENTS (chosen); i++)
    {
      AdwMessageDialog *dialog;

      expected_warning = "Could Not Load Image Folder*";
      n_expected_warnings = 0;
      cnv_window_load_folder (window, chosen[i]);
      g_assert_true (iterate_until (window_idle, window, 30));
      g_assert_cmpuint (n_expected_warnings, ==, 1);
      expected_warning = NULL;
      g_assert_null (cnv_window_get_dataset (window));

      dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
      g_assert_nonnull (dialog);
      g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "use"),
                       ==, "_Use “sample”");
      g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==,
                       "use");
      if (i == 0)
        {
          settle (0.3);
          save_screenshot (GTK_WIDGET (dialog), "folder-error-dialog.png");
        }
      adw_message_dialog_response (dialog, "use");
      g_assert_true (iterate_until (window_idle, window, 60));
      g_assert_nonnull (cnv_window_get_dataset (window));
      g_assert_cmpstr (cnv_window_get_dataset (window)->folder, ==, sample);
      g_assert_cmpuint (cnv_window_get_dataset (window)->n_images, ==, 400);

      /* Back to no folder for the next one. */
      destroy_and_check_finalized (window);
      window = cnv_window_new (app, NULL);
      gtk_window_present (GTK_WINDOW (window));
      g_assert_true (iterate_until (window_idle, window, 30));
    }

  destroy_and_check_finalized (window);
}

/* Loads folder, which must fail with the folder error dialog, and
 * closes the dialog. */
static void
load_folder_failing (CnvWindow  *window,
                     const char *folder)
{
  GtkWindow *dialog;

  expected_warning = "Could Not Load Image Folder*";
  n_expected_warnings = 0;
  cnv_window_load_folder (window, folder);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  expected_warning = NULL;
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  gtk_window_destroy (dialog);
}

/* A folder that fails to load takes nothing from the one loaded before:
 * the window's folder, its dataset and the page's report stay, so that
 * the next checkpoint opened is checked against the folder on screen. */
static void
test_window_failed_folder_keeps_previous (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *data = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                            "data", NULL);
  g_autofree char *sample = g_build_filename (data, "sample", NULL);
  g_autofree char *folder = NULL;
  const CnvDataset *before;
  CnvDataPage *page;
  CnvWindow *window;

  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  page = cnv_window_get_data_page (window);
  cnv_window_load_folder (window, sample);
  g_assert_true (iterate_until (window_idle, window, 60));
  before = cnv_window_get_dataset (window);
  g_assert_nonnull (before);
  g_assert_nonnull (cnv_data_page_get_report (page));
  g_assert_true (gtk_widget_get_visible (cnv_data_page_get_widget (page,
                                                                   "report")));

  load_folder_failing (window, data);

  g_object_get (window, "data-folder", &folder, NULL);
  g_assert_cmpstr (folder, ==, sample);
  g_assert_true (cnv_window_get_dataset (window) == before);
  g_assert_nonnull (cnv_data_page_get_report (page));
  g_assert_cmpuint (cnv_data_page_get_report (page)->n_images, ==, 400);
  g_assert_true (gtk_widget_get_visible (cnv_data_page_get_widget (page,
                                                                   "report")));
  destroy_and_check_finalized (window);
}

/* The folder held failing to be read again (here: a class folder gone)
 * is let go, so that nothing trains on pixels read the old way. */
static void
test_window_failed_reload_lets_go (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-app-XXXXXX");
  g_autofree char *gone = test_tmp_path (tmp, "sneaker");
  const char *classes[] = { "ankle-boot", "sneaker" };
  g_autofree char *folder = NULL;
  CnvWindow *window;

  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = test_tmp_path (tmp, classes[c]);
      g_autofree char *source = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                                  "data", "sample",
                                                  classes[c], NULL);
      g_autoptr(GDir) listing = g_dir_open (source, 0, NULL);

      g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
      for (guint i = 0; i < 2; i++)
        {
          const char *name = g_dir_read_name (listing);
          g_autofree char *from = g_build_filename (source, name, NULL);
          g_autofree char *to = g_build_filename (dir, name, NULL);

          copy_file (from, to);
        }
    }

  window = cnv_window_new (app, tmp->dir);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_nonnull (cnv_window_get_dataset (window));

  g_assert_true (test_remove_tree (gone));
  load_folder_failing (window, tmp->dir);

  g_assert_null (cnv_window_get_dataset (window));
  g_object_get (window, "data-folder", &folder, NULL);
  g_assert_null (folder);
  g_assert_null (cnv_data_page_get_report (cnv_window_get_data_page (window)));

  destroy_and_check_finalized (window);
}

/* The About window carries the version and the licences; the shortcuts
 * window comes from the resources. */
/* Adds the action-name of every GtkShortcutsShortcut under widget. */
static void
collect_shortcut_actions (GtkWidget *widget,
                          GHashTable *actions)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      char *name = NULL;

      g_object_get (widget, "action-name", &name, NULL);
      if (name != NULL)
        g_hash_table_add (actions, name);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_shortcut_actions (child, actions);
}

static void
test_application_about_and_shortcuts (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  CnvWindow *window;
  GtkWindow *about;
  GtkShortcutsWindow *help;

  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));

  help = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_assert_nonnull (help);

  /* Every accelerator the application sets is listed there. */
  {
    g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash,
                                                         g_str_equal,
                                                         g_free, NULL);
    g_auto(GStrv) actions = NULL;
    g_auto(GStrv) accels = NULL;

    collect_shortcut_actions (GTK_WIDGET (help), listed);
    actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
    g_assert_cmpuint (g_strv_length (actions), >=, 10);
    for (guint i = 0; actions[i] != NULL; i++)
      {
        if (!g_hash_table_contains (listed, actions[i]))
          g_test_message ("not in the shortcuts window: %s", actions[i]);
        g_assert_true (g_hash_table_contains (listed, actions[i]));
      }

    accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                    "app.preferences");
    g_assert_cmpstr (accels[0], ==, "<Control>comma");
  }
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)),
                   ==, CNV_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (ADW_ABOUT_WINDOW (about)),
                   ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (adw_about_window_get_website (ADW_ABOUT_WINDOW (about)),
                   ==, "https://github.com/convolve/convolve");
  g_assert_cmpstr (adw_about_window_get_issue_url (ADW_ABOUT_WINDOW (about)),
                   ==, "https://github.com/convolve/convolve/issues");
  g_assert_nonnull (adw_about_window_get_artists (ADW_ABOUT_WINDOW (about)));
  gtk_window_destroy (about);

  destroy_and_check_finalized (window);
}

static void
test_window_refuses_to_classify_without_model (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *image = NULL;
  CnvClassifyPage *page;
  CnvWindow *window;

  image = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", "sample",
                            "sneaker", "train-00006.png", NULL);
  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  settle (0.2);
  save_screenshot (GTK_WIDGET (window), "window-empty.png");
  destroy_and_check_finalized (window);

  /* Narrow, the two panes fold into one: the classify page shows. */
  window = cnv_window_new (app, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 720);
  gtk_window_present (GTK_WINDOW (window));
  settle (0.2);

  cnv_window_show_page (window, "data");
  cnv_window_classify_path (window, image);
  g_assert_false (cnv_window_is_busy (window));
  g_assert_null (cnv_window_get_predicted_class (window));
  g_assert_cmpfloat (cnv_window_get_probability (window), ==, -1.0);

  /* The Classify page comes forward and says why. */
  page = cnv_window_get_classify_page (window);
  g_assert_cmpstr (cnv_window_get_visible_page (window), ==, "classify");
  g_assert_cmpstr (cnv_classify_page_get_state (page), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (cnv_classify_page_get_status (page)),
                   ==, "No Trained Model Yet");
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-narrow-refused.png");

  destroy_and_check_finalized (window);
}

/* Stop by a click on the real button; a second run started the moment
 * the first one ends shows only its own data; closing in the middle of
 * a run stops the thread and drops the reports still queued for it. */
/* After Stop, the bar, the figures, the line under them and the toast
 * tell one story, and it is what the weights hold: the optimizer took
 * exactly the steps of the complete epochs plus the batches said. */
static void
assert_stop_story (CnvWindow *window)
{
  CnvTrainPage *page = cnv_window_get_train_page (window);
  const CnvClassifier *classifier = cnv_window_get_classifier (window);
  const char *bar = cnv_train_page_get_progress_text (page);
  g_autofree char *expected = NULL;
  g_autofree char *history = NULL;
  gint64 steps, history_steps;
  guint epoch, batch, n_batches;
  guint kept;

  g_assert_nonnull (classifier);
  kept = classifier->history->len;
  steps = cnv_optimizer_get_step (classifier->optimizer);
  history_steps = kept > 0 ? g_array_index (classifier->history,
                                            CnvEpochRecord, kept - 1).step
                           : 0;
  history = g_strdup_printf ("%u complete epoch%s %s in the history.", kept,
                             kept == 1 ? "" : "s", kept == 1 ? "is" : "are");
  g_assert_nonnull (strstr (cnv_train_page_get_status_text (page), history));

  if (sscanf (bar, "Stopped during epoch %u after batch %u of %u", &epoch,
              &batch, &n_batches) == 3)
    {
      g_test_message ("stopped in epoch %u after batch %u of %u", epoch,
                      batch, n_batches);
      g_assert_cmpuint (epoch, ==, kept + 1);
      g_assert_cmpuint (batch, >=, 1);
      g_assert_cmpuint (batch, <, n_batches);
      g_assert_cmpint (steps, ==, history_steps + batch);

      expected = g_strdup_printf ("%u of 500", epoch);
      g_assert_cmpstr (cnv_train_page_get_epoch_text (page), ==, expected);
      g_assert_cmpstr (cnv_train_page_get_epoch_caption (page), ==,
                       "Epoch, stopped");
      g_clear_pointer (&expected, g_free);
      expected = g_strdup_printf ("%u of %u", batch, n_batches);
      g_assert_cmpstr (cnv_train_page_get_batch_text (page), ==, expected);
      g_clear_pointer (&expected, g_free);
      expected = g_strdup_printf ("The weights include its %u finished "
                                  "batch%s", batch, batch == 1 ? "" : "es");
      g_assert_true (g_str_has_prefix (cnv_train_page_get_status_text (page),
                                       expected));
      g_clear_pointer (&expected, g_free);
      expected = g_strdup_printf ("Stopped during epoch %u after batch %u; "
                                  "%u complete epoch%s in the history",
                                  epoch, batch, kept, kept == 1 ? "" : "s");
    }
  else
    {
      g_test_message ("stopped at the end of epoch %u", kept);
      expected = g_strdup_printf ("Stopped after epoch %u", kept);
      g_assert_cmpstr (bar, ==, expected);
      g_assert_cmpint (steps, ==, history_steps);
      g_clear_pointer (&expected, g_free);
      expected = g_strdup_printf ("Stopped at the end of epoch %u; every "
                                  "epoch so far is in the history", kept);
    }

  g_assert_cmpstr (cnv_window_get_toast_title (window), ==, expected);
}

static void
test_window_stop_and_close_while_training (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = sample_folder ();
  g_autofree char *expected = NULL;
  const char *text;
  CnvTrainPage *page;
  CnvWindow *window;
  GtkWidget *stop;
  guint run_epoch, n_epochs, n_batches;
  guint kept;
  int width;

  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  page = cnv_window_get_train_page (window);
  cnv_window_show_page (window, "train");
  settle (0.3);
  width = settings_place (window);

  gtk_spin_button_set_value (epochs_spin (window), 500);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  settle (0.5);
  g_assert_true (cnv_window_is_training (window));

  /* Nothing moves sideways when a run starts. */
  g_assert_cmpint (settings_place (window), ==, width);

  /* The bar counts this run and its fraction is what its text says. */
  text = cnv_train_page_get_progress_text (page);
  g_assert_true (sscanf (text, "Epoch %u of %u in this run", &run_epoch,
                         &n_epochs) == 2);
  g_assert_cmpuint (n_epochs, ==, 500);
  g_assert_cmpfloat (cnv_train_page_get_progress_fraction (page), >,
                     (run_epoch - 1) / 500.0);
  g_assert_cmpfloat (cnv_train_page_get_progress_fraction (page), <=,
                     run_epoch / 500.0);

  /* The Stop button takes a click while the settings are frozen. */
  stop = cnv_train_page_get_stop_button (page);
  g_assert_true (gtk_widget_is_sensitive (stop));
  g_assert_true (gtk_widget_activate (stop));
  g_assert_true (iterate_until (not_training, window, 30));
  assert_stop_story (window);
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-stopped.png");
  g_assert_cmpint (settings_place (window), ==, width);

  /* Run 2 starts in the same main-loop turn that ended run 1. */
  kept = cnv_window_get_classifier (window) != NULL
         ? history_length (window) : 0;
  gtk_spin_button_set_value (epochs_spin (window), 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (cnv_window_is_training (window));
  g_assert_cmpstr (cnv_train_page_get_progress_text (page), ==, "Starting…");
  g_assert_cmpuint (n_chart_points (window), ==, kept);
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_false (gtk_widget_is_sensitive (stop));

  /* The chart holds the epochs run 2 continued from, then run 2's batches
   * and its one epoch; the card, run 2's last figures. */
  g_assert_cmpuint (history_length (window), ==, kept + 1);
  expected = g_strdup_printf ("%u of %u", kept + 1, kept + 1);
  g_assert_cmpstr (cnv_train_page_get_epoch_text (page), ==, expected);
  g_assert_cmpstr (cnv_train_page_get_progress_text (page), ==, "Finished");
  n_batches = cnv_train_page_get_n_batches (page);
  g_assert_cmpuint (n_batches, >, 0);
  g_assert_cmpuint (n_chart_points (window), ==, kept + n_batches + 1);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (cnv_window_is_training (window));
  destroy_and_check_finalized (window);
}

/* Closing the window or quitting with a trained model no file holds
 * asks first: Cancel keeps the window, Discard closes it, Save saves
 * and then closes. */
static void
test_window_close_asks_to_save (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  CnvWindow *window;

  /* Cancel, then Discard through app.quit (Ctrl+Q). */
  window = new_trained_window (app, 1);
  g_assert_true (cnv_window_get_modified (window));

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  settle (0.3);
  save_screenshot (GTK_WIDGET (cnv_window_get_question (window)),
                   "close-question.png");
  assert_question_body (window,
                        "The model trained for 1 epoch has never been saved.");
  answer_question (window, "Save Changes to “Untitled Model”?", "cancel");
  g_assert_null (cnv_window_get_question (window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_nonnull (cnv_window_get_classifier (window));

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_true (iterate_until (question_asked, window, 5));
  close_and_check_finalized (window, "Save Changes to “Untitled Model”?",
                             "discard");

  /* Save: a model saved once, then trained one epoch more, is saved
   * again to its file before the window closes. */
  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (tmp, "close.convolve", NULL);

  window = new_trained_window (app, 1);
  cnv_window_save_to_path (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_false (cnv_window_get_modified (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_cmpuint (history_length (window), ==, 2);
  g_assert_true (cnv_window_get_modified (window));

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  assert_question_body (window, "1 epoch trained since it was saved to "
                                "“close.convolve” will be lost.");
  close_and_check_finalized (window, "Save Changes to “close.convolve”?",
                             "save");

  saved = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->history->len, ==, 2);

  /* Closing in the middle of a run asks to stop it. */
  window = new_trained_window (app, 1);
  gtk_spin_button_set_value (epochs_spin (window), 500);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (cnv_window_is_training (window));
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  g_assert_true (cnv_window_is_training (window));
  close_and_check_finalized (window, "Stop Training and Close?", "discard");

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* Opening a checkpoint over a trained, unsaved model asks first; it is
 * refused while training runs, and Train waits while a checkpoint opens.
 * Once open, the Train page shows the opened model, not the last run. */
static void
test_window_open_over_unsaved_model (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  CnvTrainPage *page;
  CnvWindow *window;

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (tmp, "one-epoch.convolve", NULL);

  window = new_trained_window (app, 1);
  page = cnv_window_get_train_page (window);
  cnv_window_save_to_path (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));

  /* Two more epochs: the spin row says what they add to. */
  g_assert_cmpstr (epochs_row_subtitle (window),
                   ==, "Added to the 1 already trained");
  gtk_spin_button_set_value (epochs_spin (window), 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));

  /* Opening is refused while the run goes on. */
  cnv_window_open_checkpoint (window, path);
  g_assert_null (cnv_window_get_question (window));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_cmpuint (history_length (window), ==, 3);
  g_assert_cmpstr (cnv_train_page_get_epoch_text (page), ==, "3 of 3");
  g_assert_cmpstr (cnv_train_page_get_progress_text (page), ==, "Finished");
  g_assert_cmpfloat (cnv_train_page_get_progress_fraction (page), ==, 1.0);
  g_assert_true (cnv_window_get_modified (window));

  /* Cancel keeps the three epochs on screen. */
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (question_asked, window, 5));
  assert_question_body (window, "Opening a checkpoint replaces the model on "
                                "screen. 2 epochs trained since it was saved "
                                "to “one-epoch.convolve” will be lost.");
  answer_question (window, "The Model on Screen Has Unsaved Changes",
                   "cancel");
  g_assert_cmpuint (history_length (window), ==, 3);
  g_assert_true (cnv_window_get_modified (window));

  /* Discard and Open: while it opens, Train does nothing. */
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (question_asked, window, 5));
  adw_message_dialog_response (cnv_window_get_question (window), "discard");
  g_assert_true (cnv_window_is_busy (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL);
  g_assert_false (cnv_window_is_training (window));
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_false (cnv_window_is_training (window));
  g_assert_cmpuint (history_length (window), ==, 1);
  g_assert_false (cnv_window_get_modified (window));

  /* The card and the chart describe the opened model: one epoch, no run,
   * one point per epoch of its history. */
  g_assert_cmpstr (cnv_train_page_get_epoch_text (page), ==, "1");
  g_assert_cmpstr (cnv_train_page_get_epoch_caption (page), ==,
                   "Epochs trained");
  g_assert_cmpstr (cnv_train_page_get_progress_text (page), ==,
                   "No run yet; the model has 1 epoch");
  g_assert_cmpfloat (cnv_train_page_get_progress_fraction (page), ==, 0.0);
  g_assert_cmpuint (n_chart_points (window), ==, 1);
  g_assert_cmpstr (epochs_row_subtitle (window),
                   ==, "Added to the 1 already trained");
  cnv_window_show_page (window, "train");
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-opened-train-page.png");

  /* Nothing unsaved now: closing asks nothing. */
  destroy_and_check_finalized (window);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* Every notice of an opened checkpoint is listed, not only the first. */
static void
test_window_lists_every_notice (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) stripped = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  const CnvClassifier *opened;
  GtkWindow *dialog;
  CnvWindow *window;

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (tmp, "notices.convolve", NULL);

  /* A trained model saved without its optimizer state: the reader says
   * training will restart the optimizer. */
  window = new_trained_window (app, 1);
  stripped = cnv_classifier_copy (cnv_window_get_classifier (window));
  g_clear_pointer (&stripped->optimizer, cnv_optimizer_free);
  cnv_window_save_to_path (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (cnv_checkpoint_save (stripped, path, &error));
  g_assert_no_error (error);

  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  opened = cnv_window_get_classifier (window);
  g_assert_nonnull (opened->notices);
  g_assert_cmpuint (opened->notices->len, >=, 1);
  for (guint i = 0; i < opened->notices->len; i++)
    g_string_append_printf (expected, "%s%s", i > 0 ? "\n\n" : "",
                            (char *) g_ptr_array_index (opened->notices, i));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window),
                                             "win.show-notices", NULL));
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)),
                   ==, "Opening “notices.convolve”");
  g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                   ==, expected->str);
  g_assert_nonnull (strstr (expected->str, "no optimizer state"));
  gtk_window_destroy (dialog);

  destroy_and_check_finalized (window);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* A large image asked for first and a small one right after: the large
 * one's answer arrives last and is dropped. */
static void
test_window_drops_stale_prediction (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GdkPixbuf) big = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *big_path = NULL;
  g_autofree char *small_path = NULL;
  GtkPicture *original;
  GdkPaintable *paintable;
  GtkLabel *label;
  CnvWindow *window;

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  big_path = g_build_filename (tmp, "big.png", NULL);
  big = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 4000, 4000);
  gdk_pixbuf_fill (big, 0x808080ff);
  g_assert_true (gdk_pixbuf_save (big, big_path, "png", &error, NULL));
  g_assert_no_error (error);

  window = new_trained_window (app, 1);
  small_path = g_strdup (cnv_window_get_dataset (window)->paths[0]);

  cnv_window_classify_path (window, big_path);
  cnv_window_classify_path (window, small_path);
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_cmpstr (cnv_window_get_classified_path (window), ==, small_path);

  /* The 28 × 28 original is scaled up by a whole factor with nearest
   * neighbour rather than left for the picture to blur. */
  original = cnv_classify_page_get_original (cnv_window_get_classify_page (window));
  paintable = gtk_picture_get_paintable (original);
  g_assert_nonnull (paintable);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 28 * 6);
  label = cnv_classify_page_get_class_label (cnv_window_get_classify_page (window));
  g_assert_false (gtk_label_get_selectable (label));

  destroy_and_check_finalized (window);
  g_assert_cmpint (g_unlink (big_path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* Writes an untrained default classifier to path. */
static void
write_checkpoint (const char *path,
                  guint64     seed)
{
  const char *names[] = { "ankle-boot", "sneaker", NULL };
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  CnvClassifier *classifier;

  cnv_preprocessing_init_default (&pp, spec->width, spec->height,
                                  spec->channels);
  classifier = cnv_classifier_new (spec, &pp, names, seed, &error);
  g_assert_no_error (error);
  g_assert_true (cnv_checkpoint_save (classifier, path, &error));
  g_assert_no_error (error);
  cnv_classifier_free (classifier);
}

static gboolean
windows_idle (gpointer data)
{
  for (GList *l = gtk_application_get_windows (data); l != NULL; l = l->next)
    if (cnv_window_is_busy (l->data))
      return FALSE;

  return TRUE;
}

/* What the file manager does with two selected checkpoints: one
 * GApplication open call, which gives each file its own window. */
static void
test_application_opens_each_file_in_a_window (void)
{
  g_autoptr(CnvApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("cnv-open-XXXXXX", NULL);
  g_autofree char *first = g_build_filename (tmp, "first.convolve", NULL);
  g_autofree char *second = g_build_filename (tmp, "second.convolve", NULL);
  GFile *files[2];
  GList *windows;
  gboolean seen[2] = { FALSE, FALSE };

  g_assert_nonnull (tmp);
  write_checkpoint (first, 1);
  write_checkpoint (second, 2);

  app = cnv_application_new ("io.github.convolve.Convolve.Test",
                             G_APPLICATION_NON_UNIQUE
                             | G_APPLICATION_HANDLES_OPEN);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  files[0] = g_file_new_for_path (first);
  files[1] = g_file_new_for_path (second);
  g_application_open (G_APPLICATION (app), files, 2, "");
  g_object_unref (files[0]);
  g_object_unref (files[1]);

  g_assert_true (iterate_until (windows_idle, app, 60));
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  g_assert_cmpuint (g_list_length (windows), ==, 2);

  for (GList *l = windows; l != NULL; l = l->next)
    {
      CnvWindow *window = CNV_WINDOW (l->data);
      const char *path = cnv_window_get_checkpoint_path (window);
      const char *title = gtk_window_get_title (GTK_WINDOW (window));
      guint which;

      g_assert_nonnull (path);
      which = g_str_equal (path, first) ? 0 : 1;
      g_assert_cmpstr (path, ==, which == 0 ? first : second);
      g_assert_false (seen[which]);
      seen[which] = TRUE;
      g_assert_cmpstr (title, ==, which == 0 ? "first.convolve — Convolve"
                                             : "second.convolve — Convolve");
      g_assert_nonnull (cnv_window_get_classifier (window));
    }

  g_assert_true (seen[0] && seen[1]);
  /* Installed or not, the icon the windows name can be found. */
  g_assert_cmpstr (gtk_window_get_default_icon_name (), ==,
                   "io.github.convolve.Convolve");
  g_assert_true (gtk_icon_theme_has_icon (
    gtk_icon_theme_get_for_display (gdk_display_get_default ()),
    "io.github.convolve.Convolve"));

  for (GList *l = windows; l != NULL; l = l->next)
    destroy_and_check_finalized (l->data);
  g_list_free (windows);

  g_assert_cmpint (g_unlink (first), ==, 0);
  g_assert_cmpint (g_unlink (second), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

typedef struct
{
  GtkApplication *app;
  GPtrArray      *titles;
  GPtrArray      *folders;
} CommandLineRun;

/* Once every window has opened its checkpoint, notes what each shows and
 * closes it, which ends g_application_run (). */
static gboolean
close_when_idle_cb (gpointer user_data)
{
  CommandLineRun *run = user_data;
  GList *windows = gtk_application_get_windows (run->app);

  if (windows == NULL || !windows_idle (run->app))
    return G_SOURCE_CONTINUE;

  windows = g_list_copy (windows);
  for (GList *l = windows; l != NULL; l = l->next)
    {
      const CnvDataset *dataset = cnv_window_get_dataset (l->data);
      const char *folder = dataset != NULL ? dataset->folder : NULL;

      g_ptr_array_add (run->titles,
                       g_strdup (gtk_window_get_title (l->data)));
      g_ptr_array_add (run->folders, g_strdup (folder));
      gtk_window_destroy (l->data);
    }
  g_list_free (windows);

  return G_SOURCE_REMOVE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* `convolve --data DIR a.convolve b.convolve`: a window per checkpoint,
 * each on the folder given (not the sample that opens by default). */
static void
test_application_command_line_opens_each_file (void)
{
  g_autoptr(CnvApplication) app = NULL;
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *tmp = g_dir_make_tmp ("cnv-cmdline-XXXXXX", NULL);
  g_autofree char *first = g_build_filename (tmp, "a.convolve", NULL);
  g_autofree char *second = g_build_filename (tmp, "b.convolve", NULL);
  g_autofree char *folder = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                              "data", "sample-test", NULL);
  char *argv[] = { "convolve", "--data", folder, first, second, NULL };
  CommandLineRun run = { NULL, titles, folders };

  g_assert_nonnull (tmp);
  write_checkpoint (first, 3);
  write_checkpoint (second, 4);

  app = cnv_application_new ("io.github.convolve.Convolve.Test",
                             G_APPLICATION_NON_UNIQUE
                             | G_APPLICATION_HANDLES_COMMAND_LINE
                             | G_APPLICATION_HANDLES_OPEN);
  run.app = GTK_APPLICATION (app);
  g_timeout_add (50, close_when_idle_cb, &run);

  g_assert_cmpint (g_application_run (G_APPLICATION (app),
                                      G_N_ELEMENTS (argv) - 1, argv), ==, 0);

  g_assert_cmpuint (titles->len, ==, 2);
  g_ptr_array_sort (titles, compare_strings);
  g_assert_cmpstr (titles->pdata[0], ==, "a.convolve — Convolve");
  g_assert_cmpstr (titles->pdata[1], ==, "b.convolve — Convolve");
  for (guint i = 0; i < folders->len; i++)
    g_assert_cmpstr (folders->pdata[i], ==, folder);

  g_assert_cmpint (g_unlink (first), ==, 0);
  g_assert_cmpint (g_unlink (second), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* Presses keys on widget the way GTK's bubble phase would: the first
 * shortcut bound to them on the widget or one of its ancestors (the
 * window holds the editor's undo keys) runs on the widget that has it.
 * Returns FALSE when no shortcut answers those keys.  The real key
 * events are in tests/test-app-editor.c. */
static gboolean
trigger_shortcut (GtkWidget  *widget,
                  const char *keys)
{
  g_autoptr(GtkShortcutTrigger) wanted = gtk_shortcut_trigger_parse_string (keys);

  g_assert_nonnull (wanted);

  for (GtkWidget *w = widget; w != NULL; w = gtk_widget_get_parent (w))
    {
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (w);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
          GListModel *shortcuts;

          if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
            continue;

          shortcuts = G_LIST_MODEL (controller);

          for (guint j = 0; j < g_list_model_get_n_items (shortcuts); j++)
            {
              g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (shortcuts, j);

              if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut),
                                              wanted))
                return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                     0, w,
                                                     gtk_shortcut_get_arguments (shortcut));
            }
        }
    }

  return FALSE;
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

/* Whether the Train page's Train button can be pressed. */
static gboolean
train_button_sensitive (CnvWindow *window)
{
  GtkWidget *button =
    find_action_button (GTK_WIDGET (cnv_window_get_train_page (window)),
                        "win.train");

  g_assert_nonnull (button);

  return gtk_widget_is_sensitive (button);
}

/* Drops layer `from` on row `to` through the row's own drop target. */
static gboolean
drop_row (CnvLayerEditor *layer_editor,
          int             from,
          int             to)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (cnv_layer_editor_get_list (layer_editor), to);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (row));
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, from);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      gboolean dropped = FALSE;

      if (!GTK_IS_DROP_TARGET (controller))
        continue;

      g_signal_emit_by_name (controller, "drop", &value, 1.0, 1.0, &dropped);
      return dropped;
    }

  return FALSE;
}

static CnvLayerKind
layer_kind (CnvStackEditor *editor,
            guint           layer)
{
  return cnv_stack_editor_get_spec (editor)->layers[layer].kind;
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
toast_gone (gpointer data)
{
  return find_toast_close (GTK_WIDGET (data)) == NULL;
}

/* From the Empty template to a trained model through the editor's own
 * actions, panel and shortcuts, with an invalid stack on the way.  The
 * editor's own tests, with real key presses, are in test-app-editor.c. */
static void
test_editor_builds_and_trains_a_stack (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = NULL;
  const char *kinds[] = { "conv2d", "relu", "max-pool", "flatten", "dense" };
  CnvWindow *window;
  CnvLayerEditor *layer_editor;
  CnvStackEditor *editor;
  CnvTrainPage *train_page;
  GtkWidget *widget;
  const CnvModelSpec *spec;
  int kernel;

  folder = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", "sample",
                             NULL);
  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  layer_editor = cnv_window_get_layer_editor (window);
  editor = cnv_window_get_stack_editor (window);
  train_page = cnv_window_get_train_page (window);

  /* The default stack is on screen, one row per layer, and trainable. */
  g_assert_cmpuint (cnv_window_get_n_layer_rows (window), ==,
                    cnv_stack_editor_get_n_layers (editor));
  g_assert_null (cnv_train_page_get_invalid_reason (train_page));

  /* Empty: no rows, Train disabled and the page says why. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (layer_editor),
                                             "editor.new-from-template",
                                             "s", "empty"));
  g_assert_cmpuint (cnv_window_get_n_layer_rows (window), ==, 0);
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpstr (cnv_train_page_get_invalid_reason (train_page), ==,
                   cnv_stack_editor_get_invalid_reason (editor));
  g_assert_false (train_button_sensitive (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL);
  g_assert_false (cnv_window_is_training (window));

  /* Each new layer goes after the selected one, which it becomes. */
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (layer_editor),
                                               "editor.add-layer", "s",
                                               kinds[i]));
  spec = cnv_stack_editor_get_spec (editor);
  g_assert_cmpuint (spec->n_layers, ==, 5);
  g_assert_cmpuint (cnv_window_get_n_layer_rows (window), ==, 5);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_assert_cmpstr (cnv_layer_kind_to_string (layer_kind (editor, i)), ==,
                     kinds[i]);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 4);

  /* The dense layer's default is no binary head: the panel fixes it. */
  widget = cnv_layer_editor_get_parameter_widget (layer_editor, "units");
  g_assert_true (GTK_IS_SPIN_BUTTON (widget));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), 1);
  spec = cnv_stack_editor_get_spec (editor);
  g_assert_cmpint (spec->layers[4].units, ==, 1);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_null (cnv_train_page_get_invalid_reason (train_page));
  g_assert_true (train_button_sensitive (window));
  g_assert_null (cnv_layer_editor_get_row_problem (layer_editor, 0));
  g_assert_cmpstr (cnv_layer_editor_get_total_text (layer_editor, "parameters"),
                   !=, "0");

  /* A kernel taller than the 28-pixel input: the row says so, Train is
   * off and the Train page gives the same sentence. */
  cnv_stack_editor_set_selection (editor, 0);
  widget = cnv_layer_editor_get_parameter_widget (layer_editor, "padding");
  g_assert_true (ADW_IS_COMBO_ROW (widget));
  adw_combo_row_set_selected (ADW_COMBO_ROW (widget), 0);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].padding, ==,
                   CNV_PADDING_VALID);
  kernel = cnv_stack_editor_get_spec (editor)->layers[0].kernel[0];
  widget = cnv_layer_editor_get_parameter_widget (layer_editor, "kernel-h");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), 40);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].kernel[0],
                   ==, 40);
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_nonnull (cnv_layer_editor_get_row_problem (layer_editor, 0));
  g_assert_cmpstr (cnv_layer_editor_get_row_problem (layer_editor, 0), ==,
                   cnv_stack_editor_get_layer_problem (editor, 0));
  g_assert_cmpstr (cnv_train_page_get_invalid_reason (train_page), ==,
                   cnv_stack_editor_get_invalid_reason (editor));
  g_assert_false (train_button_sensitive (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL);
  g_assert_false (cnv_window_is_training (window));
  cnv_window_show_page (window, "train");
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-editor-invalid.png");

  /* Ctrl+Z takes the kernel back. */
  g_assert_true (trigger_shortcut (GTK_WIDGET (layer_editor), "<Control>z"));
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].kernel[0],
                   ==, kernel);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_null (cnv_train_page_get_invalid_reason (train_page));
  g_assert_null (cnv_layer_editor_get_row_problem (layer_editor, 0));

  /* Alt+Down moves the selected row; Ctrl+Z moves it back. */
  cnv_stack_editor_set_selection (editor, 1);
  g_assert_true (trigger_shortcut (GTK_WIDGET (layer_editor), "<Alt>Down"));
  g_assert_cmpint (layer_kind (editor, 1), ==, CNV_LAYER_MAX_POOL);
  g_assert_cmpint (layer_kind (editor, 2), ==, CNV_LAYER_RELU);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 2);
  g_assert_true (trigger_shortcut (GTK_WIDGET (layer_editor), "<Control>z"));
  g_assert_cmpint (layer_kind (editor, 1), ==, CNV_LAYER_RELU);
  g_assert_cmpint (layer_kind (editor, 2), ==, CNV_LAYER_MAX_POOL);

  /* Dragging the pooling row onto the first one moves it there. */
  g_assert_true (drop_row (layer_editor, 2, 0));
  g_assert_cmpint (layer_kind (editor, 0), ==, CNV_LAYER_MAX_POOL);
  g_assert_cmpint (layer_kind (editor, 1), ==, CNV_LAYER_CONV2D);
  g_assert_true (trigger_shortcut (GTK_WIDGET (layer_editor), "<Control>z"));
  g_assert_cmpint (layer_kind (editor, 0), ==, CNV_LAYER_CONV2D);

  /* One epoch on the sample with the stack built here. */
  gtk_spin_button_set_value (epochs_spin (window), 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_nonnull (cnv_window_get_classifier (window));
  g_assert_cmpuint (cnv_window_get_classifier (window)->history->len, ==, 1);
  g_assert_true (cnv_model_spec_equal (
    cnv_model_get_spec (cnv_window_get_classifier (window)->model),
    cnv_stack_editor_get_spec (editor)));
  g_assert_null (cnv_window_get_stale_text (window));
  /* The history of edits outlives the run. */
  g_assert_true (cnv_stack_editor_get_can_undo (editor));
  cnv_stack_editor_set_selection (editor, 0);
  /* The "Training finished" toast would cover the layer panel. */
  widget = find_toast_close (GTK_WIDGET (window));
  g_assert_nonnull (widget);
  gtk_widget_activate (widget);
  g_assert_true (iterate_until (toast_gone, window, 5));
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-editor-valid.png");

  /* Editing the trained stack: the changed layer is named and the next
   * run starts over. */
  widget = cnv_layer_editor_get_parameter_widget (layer_editor, "filters");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), 4);
  g_assert_nonnull (cnv_window_get_stale_text (window));
  g_assert_cmpstr (cnv_window_get_stale_text (window), ==,
                   "Edited since training: conv1 (Filters 16 → 4), fc1 (its "
                   "input changed). The next training starts from new "
                   "weights in every layer.");
  g_assert_cmpuint (cnv_train_page_get_epochs_trained (train_page), ==, 0);

  /* Training the edited stack would replace the unsaved model: asked
   * first, and Cancel keeps it. */
  g_assert_true (cnv_window_get_modified (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL);
  g_assert_false (cnv_window_is_training (window));
  g_assert_nonnull (cnv_window_get_question (window));
  adw_message_dialog_response (cnv_window_get_question (window), "cancel");
  settle (0.2);
  g_assert_null (cnv_window_get_question (window));
  g_assert_false (cnv_window_is_training (window));
  g_assert_cmpuint (cnv_window_get_classifier (window)->history->len, ==, 1);

  g_assert_true (trigger_shortcut (GTK_WIDGET (layer_editor), "<Control>z"));
  g_assert_null (cnv_window_get_stale_text (window));
  g_assert_cmpuint (cnv_train_page_get_epochs_trained (train_page), ==, 1);

  /* The whole editor, panel and diagram included. */
  save_screenshot (GTK_WIDGET (layer_editor), "editor-pane.png");

  /* The diagram as PNG (one block per layer and the input) and SVG. */
  {
    g_autofree char *tmp = g_dir_make_tmp ("cnv-diagram-XXXXXX", NULL);
    g_autofree char *png = g_build_filename (tmp, "model.png", NULL);
    g_autofree char *svg = g_build_filename (tmp, "model.svg", NULL);
    g_autofree char *contents = NULL;
    g_autoptr(GdkPixbuf) pixbuf = NULL;
    g_autoptr(GError) error = NULL;
    int height;

    g_assert_true (cnv_stack_diagram_export (editor, png, &error));
    g_assert_no_error (error);
    pixbuf = gdk_pixbuf_new_from_file (png, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==,
                     cnv_stack_diagram_get_height (editor));
    /* One more layer, one more block. */
    height = cnv_stack_diagram_get_height (editor);
    gtk_widget_activate_action (GTK_WIDGET (layer_editor), "editor.add-layer",
                                "s", "relu");
    g_assert_cmpint (cnv_stack_diagram_get_height (editor), >, height);
    g_assert_true (trigger_shortcut (GTK_WIDGET (layer_editor), "<Control>z"));
    g_assert_cmpint (cnv_stack_diagram_get_height (editor), ==, height);

    g_assert_true (cnv_stack_diagram_export (editor, svg, &error));
    g_assert_true (g_file_get_contents (svg, &contents, NULL, &error));
    g_assert_nonnull (strstr (contents, "<svg"));

    g_assert_cmpint (g_unlink (png), ==, 0);
    g_assert_cmpint (g_unlink (svg), ==, 0);
    g_assert_cmpint (g_rmdir (tmp), ==, 0);
  }

  /* Opening a checkpoint puts its architecture in the editor in one step
   * that Undo takes back, leaving the opened weights stale. */
  {
    g_autofree char *tmp = g_dir_make_tmp ("cnv-editor-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (tmp, "built.convolve", NULL);
    g_autoptr(CnvModelSpec) built = cnv_model_spec_copy (cnv_stack_editor_get_spec (editor));

    cnv_window_save_to_path (window, path);
    g_assert_true (iterate_until (window_idle, window, 30));
    g_assert_false (cnv_window_get_modified (window));

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (layer_editor),
                                               "editor.new-from-template",
                                               "s", "lenet"));
    g_assert_false (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                          built));
    g_assert_nonnull (cnv_window_get_stale_text (window));

    /* The LeNet on screen differs from the file's stack: the diff comes
     * first, and only "Open As It Is" replaces the stack. */
    cnv_window_open_checkpoint (window, path);
    g_assert_true (iterate_until (open_dialog_shown, window, 30));
    g_assert_false (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                          built));
    cnv_open_dialog_respond (cnv_window_get_open_dialog (window), "open");
    g_assert_true (iterate_until (window_idle, window, 30));
    g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                         built));
    g_assert_cmpuint (cnv_window_get_n_layer_rows (window), ==, built->n_layers);
    g_assert_null (cnv_window_get_stale_text (window));

    g_assert_true (trigger_shortcut (GTK_WIDGET (layer_editor), "<Control>z"));
    g_assert_false (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                          built));
    g_assert_nonnull (cnv_window_get_stale_text (window));

    g_assert_cmpint (g_unlink (path), ==, 0);
    g_assert_cmpint (g_rmdir (tmp), ==, 0);
  }

  destroy_and_check_finalized (window);
}

/* Under -Db_sanitize=address, leaks inside the system's fontconfig caches
 * are not ours to fix. */
const char *__lsan_default_suppressions (void);

/* Preferences and state */

static void
test_settings_window_size_restored (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  GSettings *settings = cnv_application_get_settings (app);
  gpointer weak;
  CnvWindow *window;
  int width = 0;
  int height = 0;

  /* A new window takes the stored size. */
  g_settings_set_int (settings, "window-width", 800);
  g_settings_set_int (settings, "window-height", 600);
  window = cnv_window_new (app, NULL);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 800);
  g_assert_cmpint (height, ==, 600);
  destroy_and_check_finalized (window);

  /* Closing stores the size the window had. */
  window = cnv_window_new (app, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 930, 650);
  gtk_window_present (GTK_WINDOW (window));
  settle (0.3);
  weak = window;
  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (pointer_cleared, &weak, 10));
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 930);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 650);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));

  window = cnv_window_new (app, NULL);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 930);
  g_assert_cmpint (height, ==, 650);
  g_assert_false (gtk_window_is_maximized (GTK_WINDOW (window)));
  destroy_and_check_finalized (window);
}

static gboolean
has_dataset (gpointer data)
{
  return cnv_window_get_dataset (CNV_WINDOW (data)) != NULL
         && !cnv_window_is_busy (CNV_WINDOW (data));
}

static void
test_settings_recent_lists (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *checkpoint = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *folder = sample_folder ();
  g_auto(GStrv) recent = NULL;
  GSettings *settings = cnv_application_get_settings (app);
  CnvWindow *window;

  /* Most recent first, no duplicates, at most ten. */
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *path = g_strdup_printf ("/nowhere/%u.convolve", i);

      cnv_settings_add_recent (settings, "recent-checkpoints", path);
    }
  cnv_settings_add_recent (settings, "recent-checkpoints",
                           "/nowhere/5.convolve");
  recent = g_settings_get_strv (settings, "recent-checkpoints");
  g_assert_cmpuint (g_strv_length (recent), ==, CNV_RECENT_MAX);
  g_assert_cmpstr (recent[0], ==, "/nowhere/5.convolve");
  g_assert_cmpstr (recent[1], ==, "/nowhere/11.convolve");
  g_assert_cmpstr (recent[6], ==, "/nowhere/6.convolve");
  g_assert_cmpstr (recent[7], ==, "/nowhere/4.convolve");
  g_assert_cmpstr (recent[9], ==, "/nowhere/2.convolve");
  g_clear_pointer (&recent, g_strfreev);
  g_settings_reset (settings, "recent-checkpoints");

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  checkpoint = g_build_filename (tmp, "recent.convolve", NULL);
  copy = g_build_filename (tmp, "copy.convolve", NULL);
  write_checkpoint (checkpoint, 5);

  /* The start view lists only files that exist. */
  window = cnv_window_new (app, NULL);
  g_assert_true (cnv_data_page_is_start_view (cnv_window_get_data_page (window)));
  g_assert_cmpuint (cnv_data_page_get_n_recent_checkpoints (
                      cnv_window_get_data_page (window)), ==, 0);
  cnv_settings_add_recent (settings, "recent-checkpoints", "/nowhere/gone");
  g_assert_cmpuint (cnv_data_page_get_n_recent_checkpoints (
                      cnv_window_get_data_page (window)), ==, 0);

  /* Opening adds the file; loading a folder adds the folder. */
  cnv_window_open_checkpoint (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  recent = g_settings_get_strv (settings, "recent-checkpoints");
  g_assert_cmpstr (recent[0], ==, checkpoint);
  g_clear_pointer (&recent, g_strfreev);
  g_assert_cmpuint (cnv_data_page_get_n_recent_checkpoints (
                      cnv_window_get_data_page (window)), ==, 1);
  cnv_window_show_page (window, "data");
  gtk_window_present (GTK_WINDOW (window));
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "window-start-view.png");

  /* Saving adds the new file in front. */
  cnv_window_save_to_path (window, copy);
  g_assert_true (iterate_until (window_idle, window, 30));
  recent = g_settings_get_strv (settings, "recent-checkpoints");
  g_assert_cmpstr (recent[0], ==, copy);
  g_assert_cmpstr (recent[1], ==, checkpoint);
  g_clear_pointer (&recent, g_strfreev);
  g_assert_cmpuint (cnv_data_page_get_n_recent_checkpoints (
                      cnv_window_get_data_page (window)), ==, 2);
  g_assert_cmpint (g_menu_model_get_n_items (
                     cnv_window_get_recent_menu (window, FALSE)), ==, 2);
  g_assert_cmpint (g_menu_model_get_n_items (
                     cnv_window_get_recent_menu (window, TRUE)), ==, 0);

  /* The Recent menu opens a folder it lists. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window),
                                             "win.open-recent-folder", "s",
                                             folder));
  g_assert_true (iterate_until (has_dataset, window, 30));
  recent = g_settings_get_strv (settings, "recent-folders");
  g_assert_cmpstr (recent[0], ==, folder);
  g_assert_cmpint (g_menu_model_get_n_items (
                     cnv_window_get_recent_menu (window, TRUE)), ==, 1);
  g_assert_false (cnv_data_page_is_start_view (cnv_window_get_data_page (window)));

  destroy_and_check_finalized (window);
  g_assert_cmpint (g_unlink (checkpoint), ==, 0);
  g_assert_cmpint (g_unlink (copy), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static CnvPreferencesWindow *
find_preferences_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (CNV_IS_PREFERENCES_WINDOW (window))
        return CNV_PREFERENCES_WINDOW (window);
    }

  return NULL;
}

static void
test_settings_preferences (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  GSettings *settings = cnv_application_get_settings (app);
  g_autofree char *optimizer = NULL;
  CnvPreferencesWindow *preferences;
  CnvTrainConfig config;
  CnvWindow *window;
  gpointer weak;

  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  preferences = find_preferences_window ();
  g_assert_nonnull (preferences);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (preferences))
                 == GTK_WINDOW (window));

  /* The thread count applies at once; 0 means every core. */
  gtk_spin_button_set_value (cnv_preferences_window_get_threads_spin (preferences), 3);
  g_assert_cmpint (g_settings_get_int (settings, "default-threads"), ==, 3);
  g_assert_cmpint (cnv_get_threads (), ==, 3);
  gtk_spin_button_set_value (cnv_preferences_window_get_threads_spin (preferences), 0);
  g_assert_cmpint (cnv_get_threads (), ==, (int) g_get_num_processors ());

  /* Training defaults go to the next window's Train page. */
  gtk_spin_button_set_value (cnv_preferences_window_get_epochs_spin (preferences), 7);
  adw_combo_row_set_selected (cnv_preferences_window_get_optimizer_row (preferences), 1);
  optimizer = g_settings_get_string (settings, "optimizer");
  g_assert_cmpstr (optimizer, ==, "sgd");
  settle (0.3);
  save_screenshot (GTK_WIDGET (preferences), "preferences.png");

  weak = preferences;
  g_object_add_weak_pointer (G_OBJECT (preferences), &weak);
  gtk_window_destroy (GTK_WINDOW (preferences));
  g_assert_true (iterate_until (pointer_cleared, &weak, 10));
  destroy_and_check_finalized (window);

  window = cnv_window_new (app, NULL);
  cnv_train_page_get_config (cnv_window_get_train_page (window), &config);
  g_assert_cmpuint (config.epochs, ==, 7);
  g_assert_true (config.optimizer.kind == CNV_OPTIMIZER_SGD);
  destroy_and_check_finalized (window);
}

/* Training stores the options it ran with for the next window. */
static void
test_settings_train_saves_defaults (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  GSettings *settings = cnv_application_get_settings (app);
  CnvTrainConfig config;
  CnvWindow *window;

  window = new_trained_window (app, 1);
  g_assert_cmpint (g_settings_get_int (settings, "epochs"), ==, 1);
  cnv_train_page_get_config (cnv_window_get_train_page (window), &config);
  g_assert_cmpint (g_settings_get_int (settings, "batch-size"), ==,
                   (int) config.batch_size);
  g_assert_false (g_settings_get_boolean (settings, "save-best"));

  /* Saving the best weights is remembered as well. */
  cnv_train_page_set_save_best (cnv_window_get_train_page (window), TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_true (g_settings_get_boolean (settings, "save-best"));
  destroy_and_check_finalized (window);

  window = cnv_window_new (app, NULL);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (epochs_spin (window)),
                   ==, 1);
  g_assert_true (cnv_train_page_get_save_best (cnv_window_get_train_page (window)));
  destroy_and_check_finalized (window);
}

typedef struct
{
  GtkApplication *app;
  guint           step;
  gboolean        start_view;
  gboolean        sample_button;
  char           *folder;
} StartRun;

/* Notes whether the window opened on the start view, presses "Open the
 * Sample", notes the folder it loads and closes the window. */
static gboolean
start_view_cb (gpointer user_data)
{
  StartRun *run = user_data;
  GList *windows = gtk_application_get_windows (run->app);
  CnvWindow *window;
  CnvDataPage *page;

  if (windows == NULL || !CNV_IS_WINDOW (windows->data))
    return G_SOURCE_CONTINUE;

  window = windows->data;
  page = cnv_window_get_data_page (window);
  if (run->step == 0)
    {
      if (cnv_window_is_busy (window))
        return G_SOURCE_CONTINUE;

      run->start_view = cnv_data_page_is_start_view (page);
      if (run->start_view)
        {
          save_screenshot (GTK_WIDGET (window), "window-first-run.png");
          run->sample_button = gtk_widget_activate_action (GTK_WIDGET (window),
                                                           "win.open-sample",
                                                           NULL);
        }
      run->step = 1;
      return G_SOURCE_CONTINUE;
    }

  if (!has_dataset (window))
    return G_SOURCE_CONTINUE;

  run->folder = g_strdup (cnv_window_get_dataset (window)->folder);
  gtk_window_destroy (GTK_WINDOW (window));

  return G_SOURCE_REMOVE;
}

static void
run_without_arguments (StartRun *run)
{
  g_autoptr(CnvApplication) app = NULL;
  char *argv[] = { "convolve", NULL };

  app = cnv_application_new ("io.github.convolve.Convolve.Test",
                             G_APPLICATION_NON_UNIQUE
                             | G_APPLICATION_HANDLES_COMMAND_LINE);
  run->app = GTK_APPLICATION (app);
  g_timeout_add (50, start_view_cb, run);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 1, argv), ==, 0);
}

static void
test_application_start_view (void)
{
  g_autoptr(GSettings) settings = cnv_settings_new ();
  g_autofree char *sample = cnv_application_find_sample_folder ();
  StartRun first = { 0 };
  StartRun second = { 0 };

  /* No folder and nothing recent: the start view, whose sample button
   * loads the sample. */
  reset_settings (settings);
  run_without_arguments (&first);
  g_assert_true (first.start_view);
  g_assert_true (first.sample_button);
  g_assert_cmpstr (first.folder, ==, sample);
  /* The next run opens the sample again, as the folder used last. */
  run_without_arguments (&second);
  g_assert_false (second.start_view);
  g_assert_cmpstr (second.folder, ==, sample);

  g_free (first.folder);
  g_free (second.folder);
}

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

/* A new input size or colour mode while a folder is loaded reads the
 * folder again the way the new stack sees it: no error, and the images in
 * memory have the new size and channel count. */
static gboolean
dataset_is_size (gpointer data)
{
  CnvWindow *window = data;
  const CnvDataset *dataset = cnv_window_get_dataset (window);

  return !cnv_window_is_busy (window) && dataset != NULL
         && dataset->width == 32 && dataset->channels == 3;
}

static void
test_window_input_change_reloads_folder (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = sample_folder ();
  CnvStackEditor *editor;
  CnvWindow *window;

  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_cmpint (cnv_window_get_dataset (window)->width, ==, 28);

  editor = cnv_window_get_stack_editor (window);
  cnv_stack_editor_set_input (editor, 32, 32, 3);
  g_assert_true (iterate_until (dataset_is_size, window, 60));
  g_assert_null (cnv_window_get_question (window));
  g_assert_cmpstr (cnv_window_get_dataset (window)->folder, ==, folder);
  g_assert_cmpint (cnv_window_get_dataset (window)->height, ==, 32);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_nonnull (cnv_window_get_classifier (window));
  g_assert_cmpint (cnv_model_get_spec (
    cnv_window_get_classifier (window)->model)->channels, ==, 3);

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  close_and_check_finalized (window, "Save Changes to “Untitled Model”?",
                             "discard");
}

/* Without a folder, Train is disabled and the Train page says what it
 * waits for; once the stack is broken, the stack's problem comes first. */
static void
test_window_train_needs_a_folder (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  CnvTrainPage *page;
  CnvWindow *window;

  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 30));
  page = cnv_window_get_train_page (window);

  g_assert_false (train_button_sensitive (window));
  g_assert_cmpstr (cnv_train_page_get_invalid_reason (page), ==,
                   "Choose an image folder with one subfolder per class on "
                   "the Data page to train.");

  cnv_stack_editor_insert_layer (cnv_window_get_stack_editor (window), 10,
                                 CNV_LAYER_RELU);
  g_assert_nonnull (strstr (cnv_train_page_get_invalid_reason (page),
                            "must end with a dense layer of 1 unit"));
  g_assert_true (cnv_stack_editor_undo (cnv_window_get_stack_editor (window)));

  /* A description may ask for 4 channels; images have 1 or 3.  No
   * critical (the tests make criticals fatal), and Train says why. */
  cnv_stack_editor_set_input (cnv_window_get_stack_editor (window), 28, 28, 4);
  g_assert_cmpstr (cnv_train_page_get_invalid_reason (page), ==,
                   "Images have 1 channel (greyscale) or 3 (colour); set the "
                   "input’s colour mode to one of them to train on images.");
  g_assert_true (cnv_stack_editor_undo (cnv_window_get_stack_editor (window)));

  close_and_check_finalized_now (window);
}

/* Edits of a stack that no file holds show in the title and are not lost
 * without a question; opening, saving or undoing back to the stack a file
 * holds clears the mark. */
static void
test_window_close_asks_about_edited_stack (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  CnvStackEditor *editor;
  CnvWindow *window;

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (tmp, "kept.convolve", NULL);

  /* A trained model saved, then its stack edited: the checkpoint holds
   * the trained stack, not the edited one. */
  window = new_trained_window (app, 1);
  cnv_window_save_to_path (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_false (cnv_window_get_modified (window));
  g_assert_cmpstr (cnv_window_get_model_title (window), ==, "kept.convolve");

  editor = cnv_window_get_stack_editor (window);
  cnv_stack_editor_insert_layer (editor, 1, CNV_LAYER_BATCH_NORM);
  g_assert_cmpstr (cnv_window_get_model_title (window), ==, "kept.convolve •");
  /* Not "Unsaved changes": Save would not keep the edit. */
  g_assert_cmpstr (cnv_window_get_model_subtitle (window), ==,
                   "Layer stack edited, not trained yet");
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_cmpstr (cnv_window_get_model_title (window), ==, "kept.convolve");
  g_assert_cmpstr (cnv_window_get_model_subtitle (window), ==, "");
  g_assert_true (cnv_stack_editor_redo (editor));

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  g_assert_false (adw_message_dialog_has_response (
    cnv_window_get_question (window), "save"));
  answer_question (window, "Close Without Keeping the Edited Layer Stack?",
                   "cancel");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, 11);

  /* Exported as a model description, the edited stack is in a file. */
  {
    g_autofree char *json = g_build_filename (tmp, "edited.json", NULL);
    g_autoptr(GError) export_error = NULL;

    g_assert_true (cnv_layer_editor_export_path (
      cnv_window_get_layer_editor (window), json, &export_error));
    g_assert_no_error (export_error);
    g_assert_cmpstr (cnv_window_get_model_title (window), ==,
                     "kept.convolve");
    cnv_stack_editor_insert_layer (editor, 2, CNV_LAYER_DROPOUT);
    g_assert_cmpstr (cnv_window_get_model_title (window), ==,
                     "kept.convolve •");
    g_assert_true (cnv_stack_editor_undo (editor));
    g_assert_cmpstr (cnv_window_get_model_title (window), ==,
                     "kept.convolve");
    g_assert_cmpint (g_unlink (json), ==, 0);
  }

  /* The same stack opened again from its file is held by it; the edited
   * stack differs from the file's, so the window shows the diff first. */
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (open_dialog_shown, window, 30));
  g_assert_cmpstr (cnv_diff_view_get_summary (cnv_open_dialog_get_diff_view (
    cnv_window_get_open_dialog (window))), ==,
    "1 layer differs, 8 of 12 tensors loadable");
  cnv_open_dialog_respond (cnv_window_get_open_dialog (window), "open");
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, 10);
  g_assert_cmpstr (cnv_window_get_model_title (window), ==, "kept.convolve");
  cnv_stack_editor_remove_layer (editor, 1);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  close_and_check_finalized (window,
                             "Close Without Keeping the Edited Layer Stack?",
                             "discard");

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* win.save (Ctrl+S) on a model with a file writes that file again, with
 * no chooser; the reopened checkpoint has the new epoch. */
static void
test_window_save_action_rewrites_file (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  CnvWindow *window;

  tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (tmp, "again.convolve", NULL);

  window = new_trained_window (app, 1);
  cnv_window_save_to_path (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_true (cnv_window_get_modified (window));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.save",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_false (cnv_window_get_modified (window));
  saved = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->history->len, ==, 2);

  close_and_check_finalized_now (window);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* Save As with the name typed over the chooser's selected "model" of
 * "model.convolve": "ana.convolve.convolve" saves "ana.convolve", and
 * "bo" and "run-0.5" get the extension; when the name meant is already a
 * file, the window asks first and Cancel leaves that file as it was, and
 * closing the window with the question open saves nothing. */
static void
test_window_save_as_name_meant (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_autofree char *ana = g_build_filename (tmp, "ana.convolve", NULL);
  g_autofree char *ana_twice = g_strconcat (ana, ".convolve", NULL);
  g_autofree char *bo = g_build_filename (tmp, "bo", NULL);
  g_autofree char *bo_meant = g_strconcat (bo, ".convolve", NULL);
  g_autofree char *other = g_build_filename (tmp, "run-0.5", NULL);
  g_autofree char *other_meant = g_strconcat (other, ".convolve", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  CnvWindow *window;

  g_assert_no_error (error);
  window = new_trained_window (app, 1);

  cnv_window_save_chosen (window, ana_twice);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_null (cnv_window_get_replace_question (window));
  g_assert_true (g_file_test (ana, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (ana_twice, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (cnv_window_get_checkpoint_path (window), ==, ana);

  cnv_window_save_chosen (window, bo);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (g_file_test (bo_meant, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (bo, G_FILE_TEST_EXISTS));

  /* A name with a dot in it is still a checkpoint's. */
  cnv_window_save_chosen (window, other);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (g_file_test (other_meant, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));

  /* "ana.convolve.convolve" again: ana.convolve exists, and Cancel
   * keeps it. */
  g_assert_true (g_file_set_contents (ana, "keep me", -1, &error));
  g_assert_no_error (error);
  cnv_window_save_chosen (window, ana_twice);
  g_assert_nonnull (cnv_window_get_replace_question (window));
  g_assert_cmpstr (adw_message_dialog_get_heading (
                     cnv_window_get_replace_question (window)),
                   ==, "Replace “ana.convolve”?");
  adw_message_dialog_response (cnv_window_get_replace_question (window),
                               "cancel");
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (g_file_get_contents (ana, &contents, &length, &error));
  g_assert_cmpstr (contents, ==, "keep me");
  g_assert_false (g_file_test (ana_twice, G_FILE_TEST_EXISTS));

  /* And Replace writes the checkpoint over it. */
  cnv_window_save_chosen (window, ana_twice);
  adw_message_dialog_response (cnv_window_get_replace_question (window),
                               "replace");
  g_assert_true (iterate_until (window_idle, window, 30));
  {
    g_autoptr(CnvClassifier) saved = cnv_checkpoint_load (ana, &error);

    g_assert_no_error (error);
    g_assert_nonnull (saved);
  }

  /* The window goes away with its question, and nothing is written. */
  g_assert_true (g_file_set_contents (ana, "keep me too", -1, &error));
  g_assert_no_error (error);
  cnv_window_save_chosen (window, ana_twice);
  g_assert_nonnull (cnv_window_get_replace_question (window));
  {
    gpointer question = cnv_window_get_replace_question (window);

    g_object_add_weak_pointer (G_OBJECT (question), &question);
    close_and_check_finalized_now (window);
    g_assert_true (iterate_until (pointer_cleared, &question, 10));
  }
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (ana, &contents, &length, &error));
  g_assert_cmpstr (contents, ==, "keep me too");

  g_assert_cmpint (g_unlink (ana), ==, 0);
  g_assert_cmpint (g_unlink (bo_meant), ==, 0);
  g_assert_cmpint (g_unlink (other_meant), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* C16 in the window: saving while training writes a snapshot and the run
 * goes on; a save that fails names the file, offers to save elsewhere,
 * and the run goes on too. */
static gboolean
saved_file_exists (gpointer data)
{
  CnvWindow *window = CNV_WINDOW (data);
  const char *path = g_object_get_data (G_OBJECT (window), "test-path");

  return g_file_test (path, G_FILE_TEST_EXISTS)
         && cnv_window_get_checkpoint_path (window) != NULL;
}

static gboolean
save_failed (gpointer data)
{
  return cnv_window_get_save_error (CNV_WINDOW (data)) != NULL;
}

static void
test_window_save_while_training (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "during.convolve", NULL);
  g_autofree char *folder = sample_folder ();
  g_autofree char *nowhere = g_build_filename (tmp, "no-such-folder",
                                               "x.convolve", NULL);
  g_autoptr(CnvClassifier) snapshot = NULL;
  AdwMessageDialog *failure;
  CnvWindow *window;

  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  gtk_spin_button_set_value (epochs_spin (window), 500);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (cnv_window_is_training (window));

  g_object_set_data_full (G_OBJECT (window), "test-path", g_strdup (path),
                          g_free);
  cnv_window_save_to_path (window, path);
  g_assert_true (iterate_until (saved_file_exists, window, 60));
  g_assert_true (cnv_window_is_training (window));
  g_assert_cmpstr (cnv_window_get_checkpoint_path (window), ==, path);
  snapshot = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (snapshot->optimizer);
  g_assert_cmpint (cnv_optimizer_get_step (snapshot->optimizer), >, 0);

  expected_warning = "Could Not Save Checkpoint*x.convolve*";
  n_expected_warnings = 0;
  cnv_window_save_to_path (window, nowhere);
  g_assert_true (iterate_until (save_failed, window, 60));
  expected_warning = NULL;
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  failure = cnv_window_get_save_error (window);
  g_assert_cmpstr (adw_message_dialog_get_heading (failure), ==,
                   "Could Not Save Checkpoint");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (failure),
                            "x.convolve”; any earlier file of that name is "
                            "unchanged: the folder does not exist."));
  g_assert_true (adw_message_dialog_has_response (failure, "save-as"));
  settle (0.2);
  save_screenshot (GTK_WIDGET (failure), "save-failed.png");
  g_assert_true (cnv_window_is_training (window));
  g_assert_false (g_file_test (nowhere, G_FILE_TEST_EXISTS));
  adw_message_dialog_response (failure, "close");
  /* The good file is still the snapshot. */
  g_assert_cmpstr (cnv_window_get_checkpoint_path (window), ==, path);

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  close_and_check_finalized (window, "Stop Training and Close?", "discard");
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* A run that fails (weights so large that the loss overflows at the
 * first batch) leaves the editor's undo history as it was, and the
 * window says what happened. */
static gboolean
error_dialog_shown (gpointer data)
{
  return n_expected_warnings > 0;
}

static void
test_window_history_survives_failed_run (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvClassifier) wild = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "wild.convolve", NULL);
  g_autofree char *folder = sample_folder ();
  const char *names[] = { "ankle-boot", "sneaker", NULL };
  const char *huge[] = { "fc1.weight", "out.weight" };
  CnvStackEditor *editor;
  CnvLayerSpec conv;
  CnvPreprocessing pp;
  CnvWindow *window;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  wild = cnv_classifier_new (spec, &pp, names, 8, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < G_N_ELEMENTS (huge); k++)
    {
      CnvParam *param = cnv_model_find_param (wild->model, huge[k]);

      for (gsize i = 0; i < param->value->size; i++)
        param->value->data[i] = 1e19f;
    }
  g_assert_true (cnv_checkpoint_save (wild, path, &error));

  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_nonnull (cnv_window_get_classifier (window));

  /* Two edits that cancel out: the stack is the trained one again, with
   * two steps to undo. */
  editor = cnv_window_get_stack_editor (window);
  conv = cnv_stack_editor_get_spec (editor)->layers[0];
  conv.id = NULL;
  conv.filters = 4;
  g_assert_true (cnv_stack_editor_set_layer (editor, 0, &conv, NULL));
  conv.filters = 8;
  g_assert_true (cnv_stack_editor_set_layer (editor, 0, &conv, NULL));

  expected_warning = "Training Failed*stopped being*finite*";
  n_expected_warnings = 0;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (not_training, window, 60));
  g_assert_true (iterate_until (error_dialog_shown, window, 10));
  expected_warning = NULL;
  g_assert_cmpuint (n_expected_warnings, ==, 1);

  g_assert_true (cnv_stack_editor_get_can_undo (editor));
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].filters, ==,
                   4);
  g_assert_true (cnv_stack_editor_redo (editor));
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].filters, ==,
                   8);

  destroy_and_check_finalized (window);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* Issue 4: opening over a different stack, comparing two checkpoints */

/* A checkpoint of the default stack with conv1 at 3×3 (C01), weights
 * from seed, saved to path; when train is TRUE it is first trained for
 * epochs on the sample so that it has an optimizer and a history. */
static CnvClassifier *
write_kernel3_checkpoint (const char *path,
                          guint64     seed,
                          guint       epochs)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GError) error = NULL;
  const char *names[] = { "ankle-boot", "sneaker", NULL };
  CnvPreprocessing pp;
  CnvClassifier *c;

  spec->layers[0].kernel[0] = spec->layers[0].kernel[1] = 3;
  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  c = cnv_classifier_new (spec, &pp, names, seed, &error);
  g_assert_no_error (error);

  if (epochs > 0)
    {
      g_autofree char *folder = sample_folder ();
      g_autoptr(CnvDataset) dataset = NULL;
      CnvTrainConfig config;

      dataset = cnv_dataset_load (folder, &pp, NULL, NULL, NULL, NULL,
                                  &error);
      g_assert_no_error (error);
      cnv_train_config_init_default (&config);
      config.epochs = epochs;
      config.seed = seed;
      g_assert_true (cnv_classifier_train (c, dataset, &config, NULL, NULL,
                                           NULL, &error));
    }

  g_assert_true (cnv_checkpoint_save (c, path, &error));
  g_assert_no_error (error);

  return c;
}

static void
assert_same_values (const CnvClassifier *a,
                    const CnvClassifier *b,
                    const char          *name,
                    gboolean             same)
{
  const CnvParam *pa = cnv_model_find_param (a->model, name);
  const CnvParam *pb = cnv_model_find_param (b->model, name);

  g_assert_nonnull (pa);
  g_assert_nonnull (pb);
  g_assert_cmpuint (pa->value->size, ==, pb->value->size);
  if (same)
    g_assert_cmpmem (pa->value->data, pa->value->size * 4, pb->value->data,
                     pb->value->size * 4);
  else
    g_assert_true (memcmp (pa->value->data, pb->value->data,
                           pa->value->size * 4) != 0);
}

static CnvOpenDialog *
open_and_wait_for_diff (CnvWindow  *window,
                        const char *path)
{
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (open_dialog_shown, window, 30));
  g_assert_true (iterate_until (window_idle, window, 30));

  return cnv_window_get_open_dialog (window);
}

/* The three answers in turn, over the default stack with conv1 at 5×5
 * and a file whose conv1 is 3×3. */
static void
test_window_open_shows_diff (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "kernel3.convolve", NULL);
  g_autofree char *folder = sample_folder ();
  g_autofree char *statuses = NULL;
  g_autoptr(GBytes) before = NULL;
  CnvStackEditor *editor;
  CnvOpenDialog *dialog;
  CnvWindow *window;

  g_assert_no_error (error);
  stored = write_kernel3_checkpoint (path, 21, 0);
  {
    g_autofree char *bytes = NULL;
    gsize length = 0;

    g_assert_true (g_file_get_contents (path, &bytes, &length, NULL));
    before = g_bytes_new (bytes, length);
  }

  window = cnv_window_new (app, folder);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  editor = cnv_window_get_stack_editor (window);

  /* Cancel: nothing on screen changes. */
  dialog = open_and_wait_for_diff (window, path);
  g_assert_cmpstr (cnv_diff_view_get_summary (cnv_open_dialog_get_diff_view (
    dialog)), ==, "1 layer differs, 7 of 8 tensors loadable");
  statuses = cnv_diff_view_get_row_statuses (cnv_open_dialog_get_diff_view (
    dialog));
  g_assert_cmpstr (statuses, ==, "changed same same same same same same "
                                 "same same same");
  g_assert_true (cnv_open_dialog_can_open (dialog));
  g_assert_true (cnv_open_dialog_can_load_matching (dialog));
  settle (0.3);
  save_screenshot (GTK_WIDGET (dialog), "diff-open.png");
  cnv_open_dialog_respond (dialog, "cancel");
  g_assert_null (cnv_window_get_open_dialog (window));
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].kernel[0],
                   ==, 5);
  g_assert_null (cnv_window_get_classifier (window));
  g_assert_cmpstr (cnv_window_get_toast_title (window), ==,
                   "Nothing was opened; the stack on screen is as it was");

  /* Load only the matching weights: the stack stays, fc1 comes from the
   * file, conv1 starts fresh, and the report says so. */
  dialog = open_and_wait_for_diff (window, path);
  cnv_open_dialog_respond (dialog, "load-matching");
  g_assert_nonnull (cnv_window_get_load_report (window));
  g_assert_cmpstr (adw_message_dialog_get_heading (
    cnv_window_get_load_report (window)), ==, "Loaded 7 of 8 Tensors");
  settle (0.3);
  save_screenshot (GTK_WIDGET (cnv_window_get_load_report (window)),
                   "diff-load-report.png");
  adw_message_dialog_response (cnv_window_get_load_report (window), "close");
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].kernel[0],
                   ==, 5);
  assert_same_values (cnv_window_get_classifier (window), stored,
                      "fc1.weight", TRUE);
  assert_same_values (cnv_window_get_classifier (window), stored,
                      "conv2.weight", TRUE);
  g_assert_cmpuint (cnv_model_find_param (
    cnv_window_get_classifier (window)->model, "conv1.weight")->value->size,
    ==, 8 * 25);
  g_assert_true (cnv_window_get_modified (window));
  g_assert_null (cnv_window_get_checkpoint_path (window));

  /* Open as it is, after saying what happens to the loaded model. */
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (question_asked, window, 5));
  answer_question (window, "The Model on Screen Has Unsaved Changes",
                   "discard");
  g_assert_true (iterate_until (open_dialog_shown, window, 30));
  cnv_open_dialog_respond (cnv_window_get_open_dialog (window), "open");
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].kernel[0],
                   ==, 3);
  assert_same_values (cnv_window_get_classifier (window), stored,
                      "conv1.weight", TRUE);
  g_assert_cmpstr (cnv_window_get_checkpoint_path (window), ==, path);
  g_assert_false (cnv_window_get_modified (window));

  /* The file on disk was only read. */
  {
    g_autofree char *bytes = NULL;
    gsize length = 0;
    g_autoptr(GBytes) after = NULL;

    g_assert_true (g_file_get_contents (path, &bytes, &length, NULL));
    after = g_bytes_new (bytes, length);
    g_assert_true (g_bytes_equal (before, after));
  }

  close_and_check_finalized_now (window);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static gboolean
sees_ready (gpointer data)
{
  CnvOpenDialog *dialog = cnv_window_get_open_dialog (CNV_WINDOW (data));

  return dialog != NULL
         && cnv_diff_view_get_sees_ready (cnv_open_dialog_get_diff_view (dialog));
}

/* A stack on screen at 32 × 32 colour against a file at 28 × 28 grey:
 * the preprocessing rows and one sample image run through both. */
static void
test_window_open_shows_what_the_network_sees (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "grey28.convolve", NULL);
  g_autofree char *folder = sample_folder ();
  CnvOpenDialog *dialog;
  CnvWindow *window;

  stored = write_kernel3_checkpoint (path, 22, 0);
  window = cnv_window_new (app, folder);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  cnv_stack_editor_set_input (cnv_window_get_stack_editor (window), 32, 32, 3);
  g_assert_true (iterate_until (dataset_is_size, window, 60));

  dialog = open_and_wait_for_diff (window, path);
  g_assert_true (iterate_until (sees_ready, window, 30));
  g_assert_cmpstr (cnv_diff_view_get_summary (cnv_open_dialog_get_diff_view (
    dialog)), ==, "The input size differs, 1 layer differs, 7 layers "
                  "reshaped, preprocessing differs in 1 field, 6 of 8 "
                  "tensors loadable");
  settle (0.3);
  save_screenshot (GTK_WIDGET (dialog), "diff-what-the-network-sees.png");
  cnv_open_dialog_respond (dialog, "cancel");
  g_assert_cmpint (cnv_stack_editor_get_spec (
    cnv_window_get_stack_editor (window))->channels, ==, 3);

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  close_and_check_finalized (window,
                             "Close Without Keeping the Edited Layer Stack?",
                             "discard");
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* C03: a checkpoint with a layer type Convolve does not implement opens
 * for viewing only: the diff shows it and why; the matching weights can
 * still be loaded. */
static void
test_window_open_unknown_layer (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) stored = NULL;
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "mish.convolve", NULL);
  g_autofree char *folder = sample_folder ();
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autofree char *model = NULL;
  g_autofree char *statuses = NULL;
  CnvOpenDialog *dialog;
  CnvWindow *window;

  stored = write_kernel3_checkpoint (path, 23, 0);
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  spec->layers[0].kernel[0] = spec->layers[0].kernel[1] = 3;
  model = cnv_model_spec_to_json (spec, FALSE);
  {
    g_autoptr(GString) odd = g_string_new (model);

    g_string_replace (odd, "{\"id\":\"relu2\",\"type\":\"relu\"}",
                      "{\"id\":\"relu2\",\"type\":\"mish\",\"beta\":1}", 1);
    g_hash_table_insert (st->metadata, g_strdup ("model"),
                         g_string_free (g_steal_pointer (&odd), FALSE));
  }
  g_assert_true (cnv_safetensors_write (st, path, &error));

  window = cnv_window_new (app, folder);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  dialog = open_and_wait_for_diff (window, path);
  g_assert_false (cnv_open_dialog_can_open (dialog));
  g_assert_true (cnv_open_dialog_can_load_matching (dialog));
  statuses = cnv_diff_view_get_row_statuses (cnv_open_dialog_get_diff_view (
    dialog));
  g_assert_cmpstr (statuses, ==, "changed same same same changed same same "
                                 "same same same");
  settle (0.3);
  save_screenshot (GTK_WIDGET (dialog), "diff-unknown-layer.png");
  cnv_open_dialog_respond (dialog, "load-matching");
  g_assert_nonnull (cnv_window_get_load_report (window));
  adw_message_dialog_response (cnv_window_get_load_report (window), "close");
  assert_same_values (cnv_window_get_classifier (window), stored,
                      "conv2.weight", TRUE);

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (iterate_until (question_asked, window, 5));
  close_and_check_finalized (window, "Save Changes to “Untitled Model”?",
                             "discard");
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static gboolean
compare_shown (gpointer data)
{
  return cnv_window_get_compare_window (CNV_WINDOW (data)) != NULL;
}

/* Two trained checkpoints side by side: the summary, the weight change
 * of each layer and both histories on one chart. */
static void
test_window_compare_checkpoints (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) first = NULL;
  g_autoptr(CnvClassifier) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-XXXXXX", &error);
  g_autofree char *a = g_build_filename (tmp, "two-epochs.convolve", NULL);
  g_autofree char *b = g_build_filename (tmp, "three-epochs.convolve", NULL);
  CnvCompareWindow *compare;
  CnvWindow *window;
  gpointer weak;

  first = write_kernel3_checkpoint (a, 5, 2);
  second = write_kernel3_checkpoint (b, 5, 3);

  window = cnv_window_new (app, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 30));
  cnv_window_compare_checkpoints (window, a, b);
  g_assert_true (iterate_until (compare_shown, window, 30));
  compare = cnv_window_get_compare_window (window);
  weak = compare;
  g_object_add_weak_pointer (G_OBJECT (compare), &weak);
  gtk_window_set_default_size (GTK_WINDOW (compare), 1100, 900);
  gtk_window_present (GTK_WINDOW (compare));
  settle (0.5);

  g_assert_cmpstr (cnv_diff_view_get_summary (
    cnv_compare_window_get_diff_view (compare)), ==,
    "The training settings differ, the weights differ in 8 tensors, 8 of 8 "
    "tensors loadable");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (compare)), ==,
                   "Compare two-epochs.convolve ↔ three-epochs.convolve");
  save_screenshot (GTK_WIDGET (compare), "compare.png");

  /* Swap Sides puts the second file first, titles and diff alike. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (compare),
                                             "compare.swap", NULL));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (compare)), ==,
                   "Compare three-epochs.convolve ↔ two-epochs.convolve");
  g_assert_cmpstr (cnv_diff_view_get_diff (cnv_compare_window_get_diff_view (
    compare))->a->label, ==, "three-epochs.convolve");
  g_assert_cmpstr (cnv_diff_view_get_summary (
    cnv_compare_window_get_diff_view (compare)), ==,
    "The training settings differ, the weights differ in 8 tensors, 8 of 8 "
    "tensors loadable");

  gtk_window_destroy (GTK_WINDOW (compare));
  g_assert_true (iterate_until (pointer_cleared, &weak, 10));
  g_assert_null (cnv_window_get_compare_window (window));

  /* A file that is not a checkpoint names itself. */
  {
    g_autofree char *text = g_build_filename (tmp, "notes.txt", NULL);

    g_assert_true (g_file_set_contents (text, "not a model", -1, NULL));
    expected_warning = "*notes.txt*";
    cnv_window_compare_checkpoints (window, a, text);
    g_assert_true (iterate_until (window_idle, window, 30));
    expected_warning = NULL;
    g_assert_null (cnv_window_get_compare_window (window));
    g_assert_cmpint (g_unlink (text), ==, 0);
  }

  destroy_and_check_finalized (window);
  g_assert_cmpint (g_unlink (a), ==, 0);
  g_assert_cmpint (g_unlink (b), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/window/train-save-open-classify",
                   test_window_train_save_open_classify);
  g_test_add_func ("/app/window/save-as-name-meant",
                   test_window_save_as_name_meant);
  g_test_add_func ("/app/window/folder-error-offers-dataset",
                   test_window_folder_error_offers_dataset);
  g_test_add_func ("/app/window/failed-folder-keeps-previous",
                   test_window_failed_folder_keeps_previous);
  g_test_add_func ("/app/window/failed-reload-lets-go",
                   test_window_failed_reload_lets_go);
  g_test_add_func ("/app/window/lists-skipped-files",
                   test_window_lists_skipped_files);
  g_test_add_func ("/app/window/open-error-names-file",
                   test_window_open_error_names_file);
  g_test_add_func ("/app/application/about-and-shortcuts",
                   test_application_about_and_shortcuts);
  g_test_add_func ("/app/application/opens-each-file-in-a-window",
                   test_application_opens_each_file_in_a_window);
  g_test_add_func ("/app/application/command-line-opens-each-file",
                   test_application_command_line_opens_each_file);
  g_test_add_func ("/app/window/refuses-to-classify-without-model",
                   test_window_refuses_to_classify_without_model);
  g_test_add_func ("/app/window/stop-and-close-while-training",
                   test_window_stop_and_close_while_training);
  g_test_add_func ("/app/window/close-asks-to-save",
                   test_window_close_asks_to_save);
  g_test_add_func ("/app/window/open-over-unsaved-model",
                   test_window_open_over_unsaved_model);
  g_test_add_func ("/app/window/lists-every-notice",
                   test_window_lists_every_notice);
  g_test_add_func ("/app/window/drops-stale-prediction",
                   test_window_drops_stale_prediction);
  g_test_add_func ("/app/editor/builds-and-trains-a-stack",
                   test_editor_builds_and_trains_a_stack);

  g_test_add_func ("/app/settings/window-size-restored",
                   test_settings_window_size_restored);
  g_test_add_func ("/app/settings/recent-lists",
                   test_settings_recent_lists);
  g_test_add_func ("/app/settings/preferences",
                   test_settings_preferences);
  g_test_add_func ("/app/settings/train-saves-defaults",
                   test_settings_train_saves_defaults);
  g_test_add_func ("/app/window/input-change-reloads-folder",
                   test_window_input_change_reloads_folder);
  g_test_add_func ("/app/window/train-needs-a-folder",
                   test_window_train_needs_a_folder);
  g_test_add_func ("/app/window/close-asks-about-edited-stack",
                   test_window_close_asks_about_edited_stack);
  g_test_add_func ("/app/window/save-action-rewrites-file",
                   test_window_save_action_rewrites_file);
  g_test_add_func ("/app/window/save-while-training-and-save-elsewhere",
                   test_window_save_while_training);
  g_test_add_func ("/app/editor/history-survives-a-failed-run",
                   test_window_history_survives_failed_run);
  g_test_add_func ("/app/open/diff-then-cancel-load-or-open",
                   test_window_open_shows_diff);
  g_test_add_func ("/app/open/what-the-network-sees",
                   test_window_open_shows_what_the_network_sees);
  g_test_add_func ("/app/open/unknown-layer-views-and-loads-matching",
                   test_window_open_unknown_layer);
  g_test_add_func ("/app/compare/two-checkpoints",
                   test_window_compare_checkpoints);
  g_test_add_func ("/app/application/start-view-and-sample",
                   test_application_start_view);

  return g_test_run ();
}
