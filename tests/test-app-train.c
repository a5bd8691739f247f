/* test-app-train.c — the Train page in the real window under Xvfb: early
 * stopping with the best epoch kept and saved, pause, resume and stop,
 * the curves and their read-out, continuing a schedule from a file, and
 * the largest stall of the main loop while a model trains */
#define G_LOG_DOMAIN "cnv-test-app-train"

#include <math.h>
#include <glib/gstdio.h>

#include "app-test-util.h"
#include "cnv-train-page.h"
#include "cnv-window-private.h"

static CnvWindow *
new_sample_window (CnvApplication *app)
{
  g_autofree char *folder = sample_folder ();
  CnvWindow *window = cnv_window_new (app, folder);

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_nonnull (cnv_window_get_dataset (window));

  return window;
}

static guint
n_chart_points (CnvWindow *window)
{
  return cnv_train_page_get_n_chart_points (cnv_window_get_train_page (window));
}

typedef struct
{
  CnvWindow *window;
  guint      n;
} PointsWanted;

static gboolean
enough_points (gpointer data)
{
  PointsWanted *wanted = data;

  return n_chart_points (wanted->window) >= wanted->n;
}

static void
train (CnvWindow *window)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (cnv_window_is_training (window));
}

/* Early stopping with a minimum improvement no epoch can reach: the best
 * is epoch 1, patience 2 ends the run after epoch 3, keep-best goes back
 * to epoch 1's weights and the best weights were saved as they came. */
static void
test_early_stopping_keeps_and_saves_best (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) best = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *best_path = NULL;
  g_autofree char *readout = NULL;
  g_autofree char *expected = NULL;
  const CnvClassifier *c;
  const CnvEpochRecord *second;
  CnvTrainingChart *loss_chart;
  CnvTrainingChart *accuracy_chart;
  CnvTrainConfig config;
  CnvTrainPage *page;
  CnvWindow *window;

  window = new_sample_window (app);
  page = cnv_window_get_train_page (window);

  cnv_train_page_get_config (page, &config);
  config.epochs = 30;
  config.patience = 2;
  config.min_delta = 10.0;
  config.keep_best = TRUE;
  cnv_train_page_set_config (page, &config);
  cnv_train_page_set_save_best (page, TRUE);

  /* What the page reads back is what it was given. */
  cnv_train_page_get_config (page, &config);
  g_assert_cmpuint (config.patience, ==, 2);
  g_assert_cmpfloat (config.min_delta, ==, 10.0);
  g_assert_true (config.keep_best);

  best_path = g_build_filename (g_get_user_data_dir (), "convolve", "best",
                                "sample-best.convolve", NULL);
  g_remove (best_path);
  train (window);
  g_assert_true (iterate_until (window_idle, window, 120));

  c = cnv_window_get_classifier (window);
  g_assert_nonnull (c);
  g_assert_cmpuint (c->history->len, ==, 3);
  g_assert_cmpuint (c->best_epoch, ==, 1);
  g_assert_cmpstr (cnv_train_page_get_progress_text (page), ==,
                   "Stopped early after epoch 3");
  g_assert_nonnull (strstr (cnv_train_page_get_status_text (page),
                            "those of epoch 1"));
  g_assert_nonnull (strstr (cnv_window_get_toast_title (window),
                            "Stopped early after epoch 3"));

  /* The best weights went next to nothing yet saved: the user's data
   * folder, under the image folder's name, and they are epoch 1's. */
  best = cnv_checkpoint_load (best_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (best->history->len, ==, 1);
  g_assert_cmpfloat (g_array_index (best->history, CnvEpochRecord, 0)
                       .validation.loss, ==,
                     g_array_index (c->history, CnvEpochRecord, 0)
                       .validation.loss);

  /* Both charts hold the same points: 3 epochs and every batch. */
  loss_chart = cnv_train_page_get_loss_chart (page);
  accuracy_chart = cnv_train_page_get_accuracy_chart (page);
  g_assert_cmpuint (cnv_training_chart_get_n_points (loss_chart), >, 3);
  g_assert_cmpuint (cnv_training_chart_get_n_points (loss_chart), ==,
                    cnv_training_chart_get_n_points (accuracy_chart));

  /* The read-out at epoch 2 gives that epoch's figures as recorded. */
  second = &g_array_index (c->history, CnvEpochRecord, 1);
  cnv_training_chart_set_hover (loss_chart, 2.1);
  readout = cnv_training_chart_get_readout (loss_chart);
  expected = g_strdup_printf ("Epoch 2\nTraining: %.4f\nValidation: %.4f\n",
                              second->train_loss, second->validation.loss);
  g_assert_true (g_str_has_prefix (readout, expected));
  g_clear_pointer (&readout, g_free);
  g_clear_pointer (&expected, g_free);

  cnv_training_chart_set_hover (accuracy_chart, 2.0);
  readout = cnv_training_chart_get_readout (accuracy_chart);
  expected = g_strdup_printf ("Epoch 2\nTraining: %.1f %%",
                              100.0 * second->train_accuracy);
  g_assert_true (g_str_has_prefix (readout, expected));

  g_assert_true (g_regex_match_simple ("^Took ([0-9]\\.[0-9] s|[0-9]+:[0-9]{2})"
                                       " · [0-9]+ images/s$",
                                       cnv_train_page_get_timing_text (page),
                                       0, 0));
  /* Seconds with a decimal under ten seconds, a clock from there on. */
  {
    const struct { double seconds; const char *text; } took[] = {
      { 0.04, "0.0 s" }, { 2.44, "2.4 s" }, { 9.94, "9.9 s" },
      { 9.96, "0:10" }, { 75.0, "1:15" }, { 3725.0, "1:02:05" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (took); i++)
      {
        g_autofree char *text = cnv_train_page_format_took (took[i].seconds);

        g_assert_cmpstr (text, ==, took[i].text);
      }
  }

  /* Past the buttons' transitions to their new state. */
  cnv_window_show_page (window, "train");
  settle (0.5);
  save_screenshot (GTK_WIDGET (window), "train-early-stopped.png");

  cnv_training_chart_set_hover (loss_chart, NAN);
  g_assert_null (cnv_training_chart_get_readout (loss_chart));

  destroy_and_check_finalized (window);
}

/* Pause holds the run at a batch boundary, resume goes on, stop keeps
 * the weights; meanwhile a probe measures the main loop's largest stall. */
static void
test_pause_resume_stop (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  StallProbe *probe;
  PointsWanted wanted;
  CnvTrainConfig config;
  CnvTrainPage *page;
  CnvWindow *window;
  guint paused_points;
  guint turns;
  double training_largest;
  double largest;

  window = new_sample_window (app);
  page = cnv_window_get_train_page (window);
  cnv_window_show_page (window, "train");

  cnv_train_page_get_config (page, &config);
  config.epochs = 500;
  cnv_train_page_set_config (page, &config);

  train (window);

  wanted = (PointsWanted) { window, 40 };
  g_assert_true (iterate_until (enough_points, &wanted, 60));
  g_assert_true (g_str_has_prefix (cnv_train_page_get_timing_text (page),
                                   "Elapsed 0:"));
  g_assert_nonnull (strstr (cnv_train_page_get_timing_text (page), " left · "));
  save_screenshot (GTK_WIDGET (window), "train-live-curves.png");

  /* From here on the test draws nothing itself: what the probe sees is
   * the window's own work, the reports, the figures and the curves. */
  probe = stall_probe_start ();
  wanted = (PointsWanted) { window, 200 };
  g_assert_true (iterate_until (enough_points, &wanted, 60));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.pause",
                                             NULL));
  g_assert_true (cnv_train_page_get_paused (page));
  g_assert_true (g_str_has_prefix (cnv_train_page_get_progress_text (page),
                                   "Paused · "));
  g_assert_cmpstr (gtk_button_get_label
                     (GTK_BUTTON (cnv_train_page_get_pause_button (page))),
                   ==, "_Resume");

  /* The batch going on when Pause came may still report; after that,
   * nothing moves. */
  settle (0.3);
  paused_points = n_chart_points (window);
  settle (0.5);
  g_assert_cmpuint (n_chart_points (window), ==, paused_points);
  g_assert_true (cnv_window_is_training (window));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.pause",
                                             NULL));
  g_assert_false (cnv_train_page_get_paused (page));
  wanted = (PointsWanted) { window, paused_points + 20 };
  g_assert_true (iterate_until (enough_points, &wanted, 60));
  g_assert_false (g_str_has_prefix (cnv_train_page_get_progress_text (page),
                                    "Paused"));

  /* Until Stop the probe sees training, the pause and the resume; after
   * it, the window taking the weights back, the evaluation starting and
   * the toast. */
  training_largest = stall_probe_get_largest (probe);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 60));
  largest = stall_probe_stop (probe, &turns);

  /* The weights of the last complete step are the window's now. */
  g_assert_nonnull (cnv_window_get_classifier (window));
  g_assert_cmpint (cnv_optimizer_get_step
                     (cnv_window_get_classifier (window)->optimizer), >, 0);
  g_assert_true (cnv_window_get_modified (window));
  g_assert_false (cnv_train_page_get_paused (page));

  g_test_message ("largest main-loop stall while training the sample: "
                  "%.1f ms, and %.1f ms with the stop, over %u turns of a "
                  "1 ms timeout", training_largest, largest, turns);
  g_assert_cmpuint (turns, >, 10);

  destroy_and_check_finalized (window);
}

/* A model saved after a cosine run with SGD opens with those settings on
 * the page, and training on goes along the same schedule: the rate of
 * the first resumed epoch is the uninterrupted schedule's. */
static void
test_continue_keeps_schedule (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *dir = g_dir_make_tmp ("cnv-train-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cosine.convolve", NULL);
  const CnvClassifier *c;
  CnvTrainConfig config;
  CnvTrainPage *page;
  CnvWindow *window;
  double expected;

  window = new_sample_window (app);
  page = cnv_window_get_train_page (window);

  cnv_train_page_get_config (page, &config);
  config.epochs = 3;
  cnv_optimizer_config_init_default (&config.optimizer, CNV_OPTIMIZER_SGD);
  config.optimizer.learning_rate = 0.02;
  config.optimizer.momentum = 0.8;
  config.optimizer.nesterov = TRUE;
  config.optimizer.weight_decay = 0.001;
  config.schedule.kind = CNV_SCHEDULE_COSINE;
  config.schedule.warmup_epochs = 1;
  config.schedule.min_factor = 0.1;
  cnv_train_page_set_config (page, &config);

  train (window);
  g_assert_true (iterate_until (window_idle, window, 120));
  cnv_window_save_to_path (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_false (cnv_window_get_modified (window));
  destroy_and_check_finalized (window);

  /* A new window on the folder opens the file. */
  window = new_sample_window (app);
  page = cnv_window_get_train_page (window);
  cnv_window_open_checkpoint (window, path);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpuint (cnv_window_get_classifier (window)->history->len, ==, 3);

  cnv_train_page_get_config (page, &config);
  g_assert_cmpint (config.optimizer.kind, ==, CNV_OPTIMIZER_SGD);
  g_assert_cmpfloat_with_epsilon (config.optimizer.momentum, 0.8, 1e-9);
  g_assert_true (config.optimizer.nesterov);
  g_assert_cmpfloat_with_epsilon (config.optimizer.weight_decay, 0.001, 1e-9);
  g_assert_cmpint (config.schedule.kind, ==, CNV_SCHEDULE_COSINE);
  g_assert_cmpuint (config.schedule.warmup_epochs, ==, 1);
  g_assert_cmpfloat_with_epsilon (config.schedule.min_factor, 0.1, 1e-9);

  config.epochs = 2;
  cnv_train_page_set_config (page, &config);
  train (window);
  g_assert_true (iterate_until (window_idle, window, 120));

  /* Epoch 4 ran at the rate the 3-epoch cosine has past its end, not at
   * a new 5-epoch cosine's. */
  c = cnv_window_get_classifier (window);
  g_assert_cmpuint (c->history->len, ==, 5);
  g_assert_cmpuint (c->schedule.total_epochs, ==, 3);
  expected = cnv_schedule_learning_rate (&c->schedule, 0.02, 4, 1, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (c->history, CnvEpochRecord,
                                                 3).learning_rate,
                                  expected, 1e-9);

  destroy_and_check_finalized (window);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/train/early-stopping-keeps-and-saves-best",
                   test_early_stopping_keeps_and_saves_best);
  g_test_add_func ("/app/train/pause-resume-stop",
                   test_pause_resume_stop);
  g_test_add_func ("/app/train/continue-keeps-schedule",
                   test_continue_keeps_schedule);

  return g_test_run ();
}
