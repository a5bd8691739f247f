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

typedef gboolean (*Predicate) (gpointer data);

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until done (data) holds or seconds pass. */
static gboolean
iterate_until (Predicate done,
               gpointer  data,
               double    seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  guint tick = g_timeout_add (20, tick_cb, NULL);
  gboolean ok;

  while (!(ok = done (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick);

  return ok;
}

static gboolean
window_idle (gpointer data)
{
  return !cnv_window_is_busy (CNV_WINDOW (data));
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

typedef struct
{
  gint64 start;    /* when the probe was added, µs */
  gint64 last;     /* when the probe last ran, µs */
  gint64 largest;  /* the largest gap so far, µs */
  guint  runs;
} Probe;

static gboolean
probe_cb (gpointer data)
{
  Probe *probe = data;
  gint64 now = g_get_monotonic_time ();

  if (probe->last > 0)
    probe->largest = MAX (probe->largest, now - probe->last);
  /* Say when each frame-long stall happened, to tell the start and the
   * end of a run from its batches. */
  if (probe->last > 0 && now - probe->last > 16000)
    g_test_message ("gap of %.1f ms, %.3f s after the run started",
                    (now - probe->last) / 1000.0,
                    (now - probe->start) / (double) G_USEC_PER_SEC);
  probe->last = now;
  probe->runs++;

  return G_SOURCE_CONTINUE;
}

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
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvApplication) app = NULL;
  g_autofree char *folder = NULL;
  CnvWindow *window;
  gpointer weak;
  Probe probe = { 0 };
  guint probe_id;
  double seconds;
  gint64 start;

  app = cnv_application_new ("io.github.convolve.Convolve.TestSpeed",
                             G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

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

  probe.start = g_get_monotonic_time ();
  probe_id = g_timeout_add (1, probe_cb, &probe);
  start = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (history_grew, window, 600));
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_source_remove (probe_id);

  g_assert_cmpuint (cnv_window_get_classifier (window)->history->len, ==, 1);
  g_assert_cmpuint (cnv_model_count_parameters (
                      cnv_window_get_classifier (window)->model), ==,
                    1335841);
  /* The probe ran all through the run, not just at its ends. */
  g_assert_cmpuint (probe.runs, >, 10);
  g_test_message ("small-vgg, 1 epoch in the window: %.1f s; largest "
                  "main-loop gap %.1f ms over %u probe runs",
                  seconds, probe.largest / 1000.0, probe.runs);
  g_print ("# largest main-loop gap while training small-vgg: %.1f ms\n",
           probe.largest / 1000.0);

  weak = window;
  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (iterate_until (pointer_cleared, &weak, 10));
}

int
main (int   argc,
      char *argv[])
{
  /* As in test-app.c: no accessibility bus and no OpenGL under Xvfb. */
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/speed/main-loop-while-training-small-vgg",
                   test_main_loop_while_training_small_vgg);

  return g_test_run ();
}
