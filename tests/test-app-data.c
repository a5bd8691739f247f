/* test-app-data.c — the Data page in the real window under Xvfb: the
 * report of the sample folder and of a copy with planted duplicates, the
 * leakage group following the validation share and seed, the
 * augmentation preview, normalisation computed on request, and the
 * settings reaching the training run and coming back from a checkpoint. */
#define G_LOG_DOMAIN "cnv-test-app-data"

#include <locale.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cnv.h"
#include "cnv-application.h"
#include "cnv-data-page.h"
#include "cnv-train-page.h"
#include "cnv-window.h"
#include "cnv-window-private.h"
#include "test-util.h"
#include "app-test-util.h"

/* The window */

static gboolean
page_ready (gpointer data)
{
  CnvWindow *window = data;
  CnvDataPage *page = cnv_window_get_data_page (window);

  return !cnv_window_is_busy (window)
         && cnv_data_page_get_report (page) != NULL
         && cnv_data_page_get_n_pending_thumbnails (page) == 0
         && cnv_data_page_get_preview_generation (page) > 0;
}

static CnvWindow *
open_window (CnvApplication *app,
             const char     *folder)
{
  CnvWindow *window = cnv_window_new (app, folder);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 900);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (page_ready, window, 60));
  cnv_window_show_page (window, "data");
  /* Past the stack's crossfade. */
  settle (0.6);

  return window;
}

static GtkWidget *
page_widget (CnvWindow  *window,
             const char *name)
{
  return cnv_data_page_get_widget (cnv_window_get_data_page (window), name);
}

/* Scrolls the Data page so that the widget is at the top. */
static void
scroll_to (CnvWindow  *window,
           const char *name)
{
  GtkScrolledWindow *scrolled = GTK_SCROLLED_WINDOW (page_widget (window,
                                                                  "scrolled"));
  GtkWidget *content = gtk_scrolled_window_get_child (scrolled);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scrolled);
  double x, y;

  settle (0.2);
  g_assert_true (gtk_widget_translate_coordinates (page_widget (window, name),
                                                   content, 0, 0, &x, &y));
  gtk_adjustment_set_value (adjustment, y - 12);
  settle (0.3);
}

static const char *
expander_subtitle (AdwExpanderRow *row)
{
  g_assert_nonnull (row);

  return adw_expander_row_get_subtitle (row);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;

  g_assert_true (g_file_get_contents (from, &contents, &size, &error));
  g_assert_true (g_file_set_contents (to, contents, (gssize) size, &error));
  g_assert_no_error (error);
}

/* The report of the bundled sample, straight after choosing it. */
static void
test_sample_report (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = sample_folder ();
  CnvWindow *window = open_window (app, folder);
  CnvDataPage *page = cnv_window_get_data_page (window);
  const CnvDatasetReport *report = cnv_data_page_get_report (page);
  guint count = 0;

  g_assert_nonnull (report);
  g_assert_cmpuint (report->class_counts[0], ==, 200);
  g_assert_cmpuint (report->class_counts[1], ==, 200);
  g_assert_cmpstr (adw_preferences_row_get_title (
                     ADW_PREFERENCES_ROW (cnv_data_page_get_balance_row (page))),
                   ==, "The classes are balanced");

  /* Every sample image is a 28 × 28 greyscale PNG: one bar. */
  g_assert_cmpuint (cnv_data_page_get_n_size_bars (page), ==, 1);
  g_assert_cmpstr (cnv_data_page_get_size_bar (page, 0, &count), ==,
                   "28 × 28");
  g_assert_cmpuint (count, ==, 400);
  g_assert_cmpuint (report->color_kinds[CNV_COLOR_KIND_GREY], ==, 400);

  for (int k = 0; k < 2; k++)
    g_assert_cmpstr (expander_subtitle (cnv_data_page_get_duplicates_row (
                                          page, k)), ==, "None found");
  g_assert_cmpstr (expander_subtitle (cnv_data_page_get_duplicates_row (
                                        page, CNV_DUPLICATES_ACROSS_SPLIT)),
                   ==, "None: no image is in both training and validation");
  g_assert_cmpuint (report->n_validation, ==, 80);

  save_docs_screenshot (window, "data-report.png");
  scroll_to (window, "report");
  save_screenshot (GTK_WIDGET (window), "data-report-sizes.png");

  destroy_and_check_finalized (window);
}

/* Whether the set straddles the split the training would use. */
static gboolean
leaks (const CnvDuplicateGroup *group,
       const GArray            *validation)
{
  guint n = 0;

  for (guint m = 0; m < group->n_members; m++)
    for (guint v = 0; v < validation->len; v++)
      n += g_array_index (validation, guint, v) == group->members[m];

  return n > 0 && n < group->n_members;
}

static guint
expected_leaks (const CnvDataset       *dataset,
                const CnvDatasetReport *report,
                double                  val_split,
                guint64                 seed)
{
  g_autoptr(GArray) train = NULL;
  g_autoptr(GArray) validation = NULL;
  guint n = 0;

  cnv_dataset_split (dataset, val_split, seed, &train, &validation);
  for (guint i = 0; i < report->within_class->len; i++)
    n += leaks (report->within_class->pdata[i], validation);
  for (guint i = 0; i < report->across_classes->len; i++)
    n += leaks (report->across_classes->pdata[i], validation);

  return n;
}

static gboolean
has_member (const CnvDatasetReport  *report,
            const CnvDuplicateGroup *group,
            const char              *suffix)
{
  for (guint m = 0; m < group->n_members; m++)
    if (g_str_has_suffix (report->paths[group->members[m]], suffix))
      return TRUE;

  return FALSE;
}

/* A copy of the sample with planted twins: two inside “sneaker”, one
 * ankle boot also filed as a sneaker, and a cut PNG. */
static void
test_planted_duplicates (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-app-data-XXXXXX");
  g_autofree char *from = sample_folder ();
  const char *classes[2] = { "ankle-boot", "sneaker" };
  g_autofree char *cut = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *contents = NULL;
  CnvWindow *window;
  CnvDataPage *page;
  const CnvDatasetReport *report;
  const CnvDataset *dataset;
  const CnvDuplicateGroup *group;
  gsize size;
  guint n_changes = 0;
  guint previous;

  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = g_build_filename (tmp->dir, classes[c], NULL);
      g_autofree char *source = g_build_filename (from, classes[c], NULL);
      g_autoptr(GDir) listing = g_dir_open (source, 0, NULL);
      const char *name;
      guint n = 0;

      g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
      /* 60 of each class keep the test quick. */
      while ((name = g_dir_read_name (listing)) != NULL && n < 60)
        {
          g_autofree char *a = g_build_filename (source, name, NULL);
          g_autofree char *b = g_build_filename (dir, name, NULL);

          if (name[0] == '.')
            continue;
          copy_file (a, b);
          n++;
        }
    }
  {
    g_autofree char *sneaker = g_build_filename (from, "sneaker",
                                                 "train-00006.png", NULL);
    g_autofree char *boot = g_build_filename (from, "ankle-boot",
                                              "train-00000.png", NULL);
    const char *copies[][3] = {
      { sneaker, "sneaker", "train-00006.png" },
      { sneaker, "sneaker", "twin-of-00006.png" },
      { boot, "ankle-boot", "train-00000.png" },
      { boot, "sneaker", "boot-filed-as-sneaker.png" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (copies); i++)
      {
        g_autofree char *to = g_build_filename (tmp->dir, copies[i][1],
                                                copies[i][2], NULL);

        copy_file (copies[i][0], to);
      }
    whole = g_strdup (sneaker);
  }
  g_assert_true (g_file_get_contents (whole, &contents, &size, NULL));
  cut = g_build_filename (tmp->dir, "ankle-boot", "cut.png", NULL);
  g_assert_true (g_file_set_contents (cut, contents, (gssize) size / 2,
                                      NULL));

  window = open_window (app, tmp->dir);
  page = cnv_window_get_data_page (window);
  report = cnv_data_page_get_report (page);
  dataset = cnv_window_get_dataset (window);

  /* The groups hold the planted files. */
  g_assert_cmpuint (report->within_class->len, ==, 1);
  group = report->within_class->pdata[0];
  g_assert_true (has_member (report, group, "sneaker/train-00006.png"));
  g_assert_true (has_member (report, group, "sneaker/twin-of-00006.png"));
  g_assert_cmpuint (report->across_classes->len, ==, 1);
  group = report->across_classes->pdata[0];
  g_assert_true (has_member (report, group, "ankle-boot/train-00000.png"));
  g_assert_true (has_member (report, group,
                             "sneaker/boot-filed-as-sneaker.png"));
  g_assert_cmpstr (expander_subtitle (cnv_data_page_get_duplicates_row (
                                        page, CNV_DUPLICATES_WITHIN_CLASS)),
                   ==, "1 set of identical files (2 files); they weigh more "
                       "in training");
  g_assert_cmpstr (expander_subtitle (cnv_data_page_get_duplicates_row (
                                        page, CNV_DUPLICATES_ACROSS_CLASSES)),
                   ==, "1 image is labelled as both classes; remove the "
                       "wrong copy");

  /* The cut file is skipped with its reason. */
  g_assert_nonnull (cnv_data_page_get_skipped_row (page));
  g_assert_cmpuint (report->skipped->len, ==, 1);
  g_assert_nonnull (strstr (((CnvSkippedFile *) report->skipped->pdata[0])->reason,
                            "truncated"));

  /* Leakage follows the share and the seed, and agrees with the split
   * the training uses. */
  previous = report->across_split->len;
  for (guint64 seed = 1; seed <= 12; seed++)
    {
      double share = seed % 2 == 0 ? 0.5 : 0.3;
      guint expected;

      gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window, "val")),
                                 share * 100);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window,
                                                               "seed")),
                                 (double) seed);
      settle (0.05);
      report = cnv_data_page_get_report (page);
      expected = expected_leaks (dataset, report, share, seed);
      g_assert_cmpuint (report->seed, ==, seed);
      g_assert_cmpuint (report->across_split->len, ==, expected);
      if (expected == 0)
        g_assert_cmpstr (expander_subtitle (cnv_data_page_get_duplicates_row (
                                              page,
                                              CNV_DUPLICATES_ACROSS_SPLIT)),
                         ==,
                         "None: no image is in both training and validation");
      else
        g_assert_nonnull (strstr (expander_subtitle (
                                    cnv_data_page_get_duplicates_row (
                                      page, CNV_DUPLICATES_ACROSS_SPLIT)),
                                  "in training and"));
      n_changes += expected != previous;
      previous = expected;
    }
  g_assert_cmpuint (n_changes, >, 0);

  /* A leaking split to look at. */
  for (guint64 seed = 1; seed < 100; seed++)
    if (expected_leaks (dataset, report, 0.5, seed) == 2)
      {
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window,
                                                                 "val")), 50);
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window,
                                                                 "seed")),
                                   (double) seed);
        break;
      }
  g_assert_cmpuint (cnv_data_page_get_report (page)->across_split->len, ==, 2);
  for (int k = 0; k < 3; k++)
    adw_expander_row_set_expanded (cnv_data_page_get_duplicates_row (page, k),
                                   TRUE);
  g_assert_true (iterate_until (page_ready, window, 30));
  scroll_to (window, "duplicates");
  save_screenshot (GTK_WIDGET (window), "data-duplicates.png");

  destroy_and_check_finalized (window);
}

static GBytes *
preview_bytes (CnvDataPage *page,
               guint        index)
{
  GdkTexture *texture = cnv_data_page_get_preview_texture (page, index);
  int width, height;
  guint8 *data;

  g_assert_nonnull (texture);
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  data = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, data, (gsize) width * 4);

  return g_bytes_new_take (data, (gsize) width * height * 4);
}

static gboolean
generation_passed (gpointer data)
{
  gpointer *args = data;

  return cnv_data_page_get_preview_generation (args[0])
         > GPOINTER_TO_UINT (args[1]);
}

static void
wait_for_preview (CnvDataPage *page,
                  guint        after)
{
  gpointer args[2] = { page, GUINT_TO_POINTER (after) };

  g_assert_true (iterate_until (generation_passed, args, 20));
}

/* Turning augmentation on changes the preview; New Samples draws others;
 * the first column stays the image as it is. */
static void
test_augmentation_preview (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = sample_folder ();
  CnvWindow *window = open_window (app, folder);
  CnvDataPage *page = cnv_window_get_data_page (window);
  g_autoptr(GBytes) original = NULL;
  g_autoptr(GBytes) off = NULL;
  g_autoptr(GBytes) on = NULL;
  g_autoptr(GBytes) redrawn = NULL;
  g_autoptr(GBytes) original_after = NULL;
  guint generation;

  g_assert_cmpuint (cnv_data_page_get_n_preview (page), ==, 4 * 6);
  original = preview_bytes (page, 0);
  off = preview_bytes (page, 1);
  /* Off: the changes are no changes. */
  g_assert_true (g_bytes_equal (original, off));

  generation = cnv_data_page_get_preview_generation (page);
  gtk_switch_set_active (GTK_SWITCH (page_widget (window, "hflip")), TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window, "rotation")),
                             25);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window, "shift")),
                             3);
  /* Only the drawing of the last change reaches the screen. */
  wait_for_preview (page, generation);
  on = preview_bytes (page, 1);
  g_assert_false (g_bytes_equal (on, off));

  generation = cnv_data_page_get_preview_generation (page);
  gtk_widget_activate (page_widget (window, "new-samples"));
  wait_for_preview (page, generation);
  redrawn = preview_bytes (page, 1);
  g_assert_false (g_bytes_equal (redrawn, on));
  original_after = preview_bytes (page, 0);
  g_assert_true (g_bytes_equal (original_after, original));

  scroll_to (window, "augmentation");
  save_screenshot (GTK_WIDGET (window), "data-augmentation.png");

  destroy_and_check_finalized (window);
}

static gboolean
compute_done (gpointer data)
{
  return gtk_widget_get_sensitive (GTK_WIDGET (data));
}

/* Mean and std of the training images, computed here directly. */
static void
expected_mean_std (const CnvDataset *dataset,
                   double            val_split,
                   guint64           seed,
                   double           *mean,
                   double           *std)
{
  g_autoptr(GArray) train = NULL;
  g_autoptr(GArray) validation = NULL;
  gsize plane = (gsize) dataset->width * dataset->height;
  double sum = 0, squares = 0, n;

  cnv_dataset_split (dataset, val_split, seed, &train, &validation);
  for (guint i = 0; i < train->len; i++)
    {
      const guint8 *pixels = cnv_dataset_get_pixels (dataset,
                                                     g_array_index (train,
                                                                    guint, i));

      for (gsize p = 0; p < plane; p++)
        {
          double v = pixels[p] / 255.0;

          sum += v;
          squares += v * v;
        }
    }
  n = (double) plane * train->len;
  *mean = sum / n;
  *std = sqrt (squares / n - *mean * *mean);
}

static void
test_normalisation (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = sample_folder ();
  CnvWindow *window = open_window (app, folder);
  CnvDataPage *page = cnv_window_get_data_page (window);
  GtkWidget *compute = page_widget (window, "compute");
  const CnvDataset *dataset = cnv_window_get_dataset (window);
  CnvPreprocessing pp;
  double mean, std;

  adw_combo_row_set_selected (ADW_COMBO_ROW (page_widget (window,
                                                          "normalisation")),
                              1);
  g_assert_true (gtk_widget_get_visible (page_widget (window, "compute-row")));
  /* Scaling and normalisation do not read the folder again. */
  g_assert_false (cnv_window_is_busy (window));

  g_signal_emit_by_name (compute, "clicked");
  g_assert_false (gtk_widget_get_sensitive (compute));
  g_assert_true (iterate_until (compute_done, compute, 20));

  expected_mean_std (dataset, 0.2, 42, &mean, &std);
  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  cnv_data_page_apply_preprocessing (page, &pp);
  g_assert_cmpfloat_with_epsilon (pp.mean[0], mean, 1e-4);
  g_assert_cmpfloat_with_epsilon (pp.std[0], std, 1e-4);
  g_assert_cmpfloat (mean, >, 0.05);
  g_assert_cmpstr (adw_action_row_get_subtitle (
                     ADW_ACTION_ROW (page_widget (window, "compute-row"))),
                   ==, "Computed over the 320 training images of this split");

  /* Another split: the values stay, and the page says they are old. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window, "seed")),
                             5);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (
                              ADW_ACTION_ROW (page_widget (window,
                                                           "compute-row"))),
                            "another split"));
  g_signal_emit_by_name (compute, "clicked");
  g_assert_false (gtk_widget_get_sensitive (compute));
  g_assert_true (iterate_until (compute_done, compute, 20));
  expected_mean_std (dataset, 0.2, 5, &mean, &std);
  cnv_data_page_apply_preprocessing (page, &pp);
  g_assert_cmpfloat_with_epsilon (pp.mean[0], mean, 1e-4);

  scroll_to (window, "preprocessing");
  save_screenshot (GTK_WIDGET (window), "data-settings.png");

  destroy_and_check_finalized (window);
}

static gboolean
dataset_changed (gpointer data)
{
  gpointer *args = data;

  return !cnv_window_is_busy (args[0])
         && cnv_window_get_dataset (args[0]) != args[1];
}

/* Colour RGB sets the input to 3 channels and reads the folder again;
 * a resize mode reads it again; scaling does not. */
static void
test_preprocessing_rows (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = sample_folder ();
  CnvWindow *window = open_window (app, folder);
  CnvStackEditor *editor = cnv_window_get_stack_editor (window);
  const CnvDataset *before = cnv_window_get_dataset (window);
  gpointer args[2] = { window, (gpointer) before };

  adw_combo_row_set_selected (ADW_COMBO_ROW (page_widget (window, "scaling")),
                              1);
  settle (0.2);
  g_assert_true (cnv_window_get_dataset (window) == before);

  adw_combo_row_set_selected (ADW_COMBO_ROW (page_widget (window, "colour")),
                              1);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->channels, ==, 3);
  g_assert_true (iterate_until (dataset_changed, args, 30));
  g_assert_cmpint (cnv_window_get_dataset (window)->channels, ==, 3);

  /* Undo in the stack brings the colour row back. */
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_cmpuint (adw_combo_row_get_selected (
                      ADW_COMBO_ROW (page_widget (window, "colour"))), ==, 0);
  args[1] = (gpointer) cnv_window_get_dataset (window);
  g_assert_true (iterate_until (dataset_changed, args, 30));
  g_assert_cmpint (cnv_window_get_dataset (window)->channels, ==, 1);

  args[1] = (gpointer) cnv_window_get_dataset (window);
  adw_combo_row_set_selected (ADW_COMBO_ROW (page_widget (window, "resize")),
                              CNV_RESIZE_LETTERBOX);
  g_assert_true (iterate_until (dataset_changed, args, 30));
  /* The report stayed on screen while the folder was read again. */
  g_assert_false (cnv_data_page_is_start_view (cnv_window_get_data_page (window)));

  destroy_and_check_finalized (window);
}

/* The page's split, seed, augmentation and weights reach the run, are
 * saved, and come back on the page when the checkpoint is opened. */
static void
test_settings_reach_training (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-app-data-XXXXXX");
  g_autofree char *folder = sample_folder ();
  g_autofree char *checkpoint = test_tmp_path (tmp, "settings.convolve");
  CnvWindow *window = open_window (app, folder);
  CnvDataPage *page = cnv_window_get_data_page (window);
  const CnvClassifier *c;
  CnvTrainConfig config;

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window, "val")), 30);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window, "seed")), 7);
  gtk_switch_set_active (GTK_SWITCH (page_widget (window, "hflip")), TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (page_widget (window,
                                                           "brightness")), 10);
  adw_combo_row_set_selected (ADW_COMBO_ROW (page_widget (window, "weights")),
                              CNV_CLASS_WEIGHTS_BALANCED);

  gtk_spin_button_set_value (cnv_train_page_get_epochs_spin (
                               cnv_window_get_train_page (window)), 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (not_training, window, 120));
  g_assert_true (iterate_until (window_idle, window, 30));

  c = cnv_window_get_classifier (window);
  g_assert_nonnull (c);
  g_assert_cmpfloat_with_epsilon (c->val_split, 0.3, 1e-9);
  g_assert_cmpuint (c->seed, ==, 7);
  g_assert_true (c->augmentation.horizontal_flip);
  g_assert_cmpfloat_with_epsilon (c->augmentation.brightness, 0.1, 1e-9);
  g_assert_cmpint (c->class_weights, ==, CNV_CLASS_WEIGHTS_BALANCED);
  g_assert_cmpuint (g_array_index (c->history, CnvEpochRecord, 0)
                      .validation.n, ==, 120);

  /* The trained model's split cannot change under it. */
  g_assert_true (cnv_data_page_get_locked (page));
  g_assert_false (gtk_widget_get_sensitive (page_widget (window, "val")));
  g_assert_true (gtk_widget_get_sensitive (page_widget (window, "hflip")));

  cnv_window_save_to_path (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  destroy_and_check_finalized (window);

  /* A fresh window with other settings opens the checkpoint. */
  window = open_window (app, folder);
  page = cnv_window_get_data_page (window);
  g_assert_cmpfloat (cnv_data_page_get_val_split (page), ==, 0.2);
  cnv_window_open_checkpoint (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (iterate_until (page_ready, window, 30));

  cnv_train_config_init_default (&config);
  cnv_data_page_apply_train_settings (page, &config);
  g_assert_cmpfloat_with_epsilon (config.val_split, 0.3, 1e-9);
  g_assert_cmpuint (config.seed, ==, 7);
  g_assert_true (config.augmentation.horizontal_flip);
  g_assert_cmpint (config.class_weights, ==, CNV_CLASS_WEIGHTS_BALANCED);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (page_widget (window,
                                                                 "hflip"))));
  g_assert_true (cnv_data_page_get_locked (page));
  g_assert_cmpuint (cnv_data_page_get_report (page)->n_validation, ==, 120);

  scroll_to (window, "split");
  save_screenshot (GTK_WIDGET (window), "data-opened-checkpoint.png");

  destroy_and_check_finalized (window);
}

/* 30 sneakers and 10 ankle boots: the page warns and offers class
 * weighting, which its button turns on. */
static void
test_imbalance (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-app-data-XXXXXX");
  g_autofree char *from = sample_folder ();
  const char *classes[2] = { "ankle-boot", "sneaker" };
  const guint counts[2] = { 10, 30 };
  CnvWindow *window;
  CnvDataPage *page;
  AdwActionRow *row;
  GtkWidget *button = NULL;

  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *dir = g_build_filename (tmp->dir, classes[c], NULL);
      g_autofree char *source = g_build_filename (from, classes[c], NULL);
      g_autoptr(GDir) listing = g_dir_open (source, 0, NULL);
      const char *name;
      guint n = 0;

      g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
      while ((name = g_dir_read_name (listing)) != NULL && n < counts[c])
        {
          g_autofree char *a = g_build_filename (source, name, NULL);
          g_autofree char *b = g_build_filename (dir, name, NULL);

          copy_file (a, b);
          n++;
        }
    }

  window = open_window (app, tmp->dir);
  page = cnv_window_get_data_page (window);
  row = cnv_data_page_get_balance_row (page);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                   ==, "The classes are imbalanced");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row),
                            "3.00 times as many “sneaker” as “ankle-boot”"));
  g_assert_cmpfloat (cnv_data_page_get_report (page)->imbalance_ratio, ==,
                     3.0);

  for (GtkWidget *w = GTK_WIDGET (row); w != NULL && button == NULL;
       w = gtk_widget_get_first_child (w) != NULL
           ? gtk_widget_get_first_child (w)
           : gtk_widget_get_next_sibling (w) != NULL
             ? gtk_widget_get_next_sibling (w)
             : gtk_widget_get_next_sibling (gtk_widget_get_parent (w)))
    if (GTK_IS_BUTTON (w))
      button = w;
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (adw_combo_row_get_selected (
                      ADW_COMBO_ROW (page_widget (window, "weights"))), ==,
                    CNV_CLASS_WEIGHTS_BALANCED);
  /* 8 of 10 boots and 24 of 30 sneakers train: 32 / (2 × 8) = 2 and
   * 32 / (2 × 24) = 0.67. */
  g_assert_cmpstr (adw_action_row_get_subtitle (
                     ADW_ACTION_ROW (page_widget (window, "weights"))), ==,
                   "Both classes count as much in the loss: ankle-boot × "
                   "2.00, sneaker × 0.67");
  /* The button has gone with the old row. */
  g_assert_true (cnv_data_page_get_balance_row (page) != row);

  save_screenshot (GTK_WIDGET (window), "data-imbalanced.png");
  destroy_and_check_finalized (window);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("LC_ALL");
  g_setenv ("LC_NUMERIC", "C", TRUE);

  app_test_init (&argc, &argv);
  gtk_init ();

  g_test_add_func ("/app/data/sample-report", test_sample_report);
  g_test_add_func ("/app/data/planted-duplicates", test_planted_duplicates);
  g_test_add_func ("/app/data/imbalance", test_imbalance);
  g_test_add_func ("/app/data/augmentation-preview",
                   test_augmentation_preview);
  g_test_add_func ("/app/data/normalisation", test_normalisation);
  g_test_add_func ("/app/data/preprocessing-rows", test_preprocessing_rows);
  g_test_add_func ("/app/data/settings-reach-training",
                   test_settings_reach_training);

  return g_test_run ();
}
