/* app-test-util.c — what the window tests share */
#include <glib/gstdio.h>
#include <gdk/x11/gdkx.h>

#include "app-test-util.h"
#include "cnv-window-private.h"

const char *expected_warning;
guint n_expected_warnings;

void
app_test_init (int    *argc,
               char ***argv)
{
  /* No accessibility bus under Xvfb; GTK would warn about it.  The tests
   * draw with Cairo, so OpenGL is not even probed. */
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  /* What the app writes to the user's data folder (the best weights of
   * a model without a file) goes to the build folder, not the home. */
  if (g_getenv ("CNV_BUILD_ROOT") != NULL)
    {
      g_autofree char *data_home = g_build_filename (g_getenv ("CNV_BUILD_ROOT"),
                                                     "tests", "data-home",
                                                     NULL);

      g_setenv ("XDG_DATA_HOME", data_home, TRUE);
    }

  g_test_init (argc, argv, NULL);
  g_log_set_writer_func (test_log_writer, NULL, NULL);
}

GLogWriterOutput
test_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (expected_warning != NULL && (level & G_LOG_LEVEL_WARNING) != 0)
    for (gsize i = 0; i < n_fields; i++)
      if (g_str_equal (fields[i].key, "MESSAGE")
          && fields[i].length < 0
          && g_pattern_match_simple (expected_warning, fields[i].value))
        {
          n_expected_warnings++;
          return G_LOG_WRITER_HANDLED;
        }

  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
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

gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

void
settle (double seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  iterate_until (time_passed, &until, seconds + 1);
}

gboolean
window_idle (gpointer data)
{
  return !cnv_window_is_busy (CNV_WINDOW (data));
}

gboolean
not_training (gpointer data)
{
  return !cnv_window_is_training (CNV_WINDOW (data));
}

gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
}

char *
screenshot_path (const char *name)
{
  g_autofree char *folder =
    g_build_filename (g_getenv ("CNV_BUILD_ROOT"), "screenshots", NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);

  return g_build_filename (folder, name, NULL);
}

/* Right after a frame, so that everything is laid out.  The widget's own
 * snapshot is asked for directly: the last frame's render node is not
 * always kept. */
void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = screenshot_path (name);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  gboolean painted = FALSE;
  gulong handler;
  int width, height;

  g_assert_true (gtk_widget_get_mapped (widget));
  handler = g_signal_connect (clock, "after-paint",
                              G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (widget);
  g_assert_true (iterate_until (flag_set, &painted, 10));
  g_signal_handler_disconnect (clock, handler);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  /* The class's snapshot draws the children, not the widget's own CSS
   * background, which a window has under everything. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_snapshot_render_background (snapshot, gtk_widget_get_style_context (widget),
                                  0, 0, width, height);
  G_GNUC_END_IGNORE_DEPRECATIONS
  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0,
                                                              width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

void
save_docs_screenshot (CnvWindow  *window,
                      const char *name)
{
  cnv_window_dismiss_toast (window);
  settle (0.5);
  save_screenshot (GTK_WIDGET (window), name);
}

void
reset_settings (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_assert_nonnull (settings);
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
}

CnvApplication *
new_test_application (void)
{
  g_autoptr(GError) error = NULL;
  CnvApplication *app;

  app = cnv_application_new ("io.github.convolve.Convolve.Test",
                             G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  reset_settings (cnv_application_get_settings (app));

  return app;
}

void
destroy_and_check_finalized (CnvWindow *window)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (iterate_until (pointer_cleared, &weak, 10));
}

char *
sample_folder (void)
{
  return g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", "sample",
                           NULL);
}

gboolean
have_xdotool (void)
{
  g_autofree char *path = g_find_program_in_path ("xdotool");

  if (path == NULL)
    {
      g_test_skip ("xdotool is not installed (Debian package xdotool)");
      return FALSE;
    }

  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_test_skip ("not on an X11 display");
      return FALSE;
    }

  return TRUE;
}

/* After the X server answers a round trip, the events xdotool caused
 * are in our queue; a moment of the main loop takes them in. */
void
xdotool (GtkWindow  *window,
         const char *arguments)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_autofree char *xid = g_strdup_printf ("%lu", gdk_x11_surface_get_xid (surface));
  g_auto(GStrv) words = g_strsplit (arguments, " ", -1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_ptr_array_add (argv, (char *) "xdotool");
  for (guint i = 0; words[i] != NULL; i++)
    g_ptr_array_add (argv, g_str_equal (words[i], "WINDOW") ? xid : words[i]);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  gdk_display_sync (gtk_widget_get_display (GTK_WIDGET (window)));
  settle (0.1);
}

void
press_keys (GtkWindow  *window,
            const char *keys)
{
  g_autofree char *arguments =
    g_strdup_printf ("windowfocus --sync WINDOW key --clearmodifiers %s", keys);

  xdotool (window, arguments);
}

void
type_text (GtkWindow  *window,
           const char *text)
{
  g_autofree char *arguments = NULL;

  /* xdotool's words are split on spaces: the text must have none. */
  g_assert_null (strchr (text, ' '));
  arguments = g_strdup_printf ("windowfocus --sync WINDOW type --delay 5 %s",
                               text);
  xdotool (window, arguments);
}

/* Stall probe */

struct _StallProbe
{
  guint  source;
  gint64 start;    /* when the probe was started, µs */
  gint64 last;     /* when it last ran, µs */
  gint64 largest;  /* the largest gap so far, µs */
  guint  turns;
};

static gboolean
stall_probe_cb (gpointer data)
{
  StallProbe *probe = data;
  gint64 now = g_get_monotonic_time ();

  if (probe->last > 0)
    probe->largest = MAX (probe->largest, now - probe->last);
  /* When each frame-long stall happened tells the start and the end of
   * a run from its batches. */
  if (probe->last > 0 && now - probe->last > 16000)
    g_test_message ("main-loop gap of %.1f ms, %.3f s after the probe began",
                    (now - probe->last) / 1000.0,
                    (now - probe->start) / (double) G_USEC_PER_SEC);
  probe->last = now;
  probe->turns++;

  return G_SOURCE_CONTINUE;
}

StallProbe *
stall_probe_start (void)
{
  StallProbe *probe = g_new0 (StallProbe, 1);

  probe->start = g_get_monotonic_time ();
  probe->source = g_timeout_add (1, stall_probe_cb, probe);

  return probe;
}

double
stall_probe_get_largest (const StallProbe *probe)
{
  return probe->largest / 1000.0;
}

double
stall_probe_stop (StallProbe *probe,
                  guint      *turns)
{
  double largest = probe->largest / 1000.0;

  g_source_remove (probe->source);
  if (turns != NULL)
    *turns = probe->turns;
  g_free (probe);

  return largest;
}
