/* test-app-speed.c — the main loop while the window trains small-vgg
 *
 * A probe (a 1 ms timeout) notes when the main loop gets to it; the
 * largest gap between two of its runs is the longest the window did not
 * answer.  The test prints it (and the run's images per second) for the
 * benchmark notes and asserts only that the probe ran all along and the
 * epoch finished: a timed assertion would fail on a busy machine, not on
 * slow code.
 */
#define G_LOG_DOMAIN "cnv-test-app-speed"

#include "cnv.h"
#include "cnv-application.h"
#include "cnv-layer-editor.h"
#include "cnv-train-page.h"
#include "cnv-window.h"
#include "cnv-window-private.h"
#include "app-test-util.h"


static gboolean
history_grew (gpointer data)
{
  CnvWindow *window = data;
  const CnvClassifier *classifier = cnv_window_get_classifier (window);

  return !cnv_window_is_training (window) && classifier != NULL
         && classifier->history->len > 0;
}

static void
test_main_loop_while_training_small_vgg (void)
{
  g_autoptr(CnvApplication) app = NULL;
  g_autofree char *folder = NULL;
  CnvWindow *window;
  StallProbe *probe;
  double largest;
  double seconds;
  gint64 start;
  guint turns;

  app = new_test_application ();

  folder = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", "sample",
                             NULL);
  window = cnv_window_new (app, folder);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  /* small-vgg from the editor's template menu, one epoch on the sample's
   * 400 images (enlarged to 64×64, grey in all three channels) */
  g_assert_true (gtk_widget_activate_action (
    GTK_WIDGET (cnv_window_get_layer_editor (window)),
    "editor.new-from-template", "s", "small-vgg"));
  g_assert_true (iterate_until (window_idle, window, 60));
  gtk_spin_button_set_value (
    cnv_train_page_get_epochs_spin (cnv_window_get_train_page (window)), 1);

  /* Train is pressed on the Train page, which is on screen and laid out
   * by then: drawing a page for the first time is not training's cost. */
  cnv_window_show_page (window, "train");
  settle (0.5);

  probe = stall_probe_start ();
  start = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (history_grew, window, 600));
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  largest = stall_probe_stop (probe, &turns);

  g_assert_cmpuint (cnv_window_get_classifier (window)->history->len, ==, 1);
  g_assert_cmpuint (cnv_model_count_parameters (
                      cnv_window_get_classifier (window)->model), ==,
                    1335841);
  /* The probe ran all through the run, not just at its ends. */
  g_assert_cmpuint (turns, >, 10);
  g_test_message ("small-vgg, 1 epoch in the window: %.1f s; largest "
                  "main-loop gap %.1f ms over %u probe turns",
                  seconds, largest, turns);

  /* The evaluation that follows a run works in a thread of its own;
   * the window is idle once it is done. */
  g_assert_true (iterate_until (window_idle, window, 60));
  destroy_and_check_finalized (window);
}

int
main (int   argc,
      char *argv[])
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/speed/main-loop-while-training-small-vgg",
                   test_main_loop_while_training_small_vgg);

  return g_test_run ();
}
