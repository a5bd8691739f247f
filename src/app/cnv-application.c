/* cnv-application.c — the Convolve application
 *
 * Parses the command line (an image folder with --data, checkpoints to
 * open as arguments), opens one window per checkpoint, or one window when
 * none is named, and owns the application-wide actions: About, Quit and
 * the keyboard accelerators of the window actions, so the shortcuts window
 * and the menus agree.  Files handed over by the file manager or another
 * process through GApplication's open arrive the same way: one window each.
 *
 * It also owns the settings: the thread count is applied whenever it
 * changes, and a window opened without a folder opens the folder used
 * last, or the start view when there is none.
 */
#define G_LOG_DOMAIN "cnv-application"

#include <glib/gi18n.h>

#include "cnv-config.h"
#include "cnv-application.h"
#include "cnv-preferences-window.h"
#include "cnv-settings.h"
#include "cnv-window.h"

struct _CnvApplication
{
  AdwApplication parent_instance;

  /* owned */
  GSettings     *settings;    /* NULL when the schema is missing */
};

G_DEFINE_FINAL_TYPE (CnvApplication, cnv_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "data", 'd', G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, NULL,
    N_("Open the image folder DIR (one subfolder per class)"), N_("DIR") },
  { G_OPTION_REMAINING, 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME_ARRAY,
    NULL, N_("Checkpoints to open, each in its own window"), NULL },
  { NULL }
};

char *
cnv_application_find_sample_folder (void)
{
  g_autofree char *installed = NULL;
  g_autofree char *source = NULL;

  installed = g_build_filename (CNV_PKGDATADIR, "sample", NULL);
  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);

  source = g_build_filename (CNV_SOURCE_DATADIR, "sample", NULL);
  if (g_file_test (source, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&source);

  return NULL;
}

GSettings *
cnv_application_get_settings (CnvApplication *self)
{
  g_return_val_if_fail (CNV_IS_APPLICATION (self), NULL);

  return self->settings;
}

/* The most recent folder that still exists; NULL when none does. */
static char *
find_recent_folder (CnvApplication *self)
{
  g_auto(GStrv) folders = NULL;

  if (self->settings == NULL)
    return NULL;

  folders = g_settings_get_strv (self->settings, "recent-folders");
  for (guint i = 0; folders[i] != NULL; i++)
    if (g_file_test (folders[i], G_FILE_TEST_IS_DIR))
      return g_strdup (folders[i]);

  return NULL;
}

static void
open_window (CnvApplication *self,
             const char     *folder,
             const char     *checkpoint)
{
  g_autofree char *recent = NULL;
  CnvWindow *window;

  /* Without a folder the window shows the start view. */
  if (folder == NULL)
    folder = recent = find_recent_folder (self);

  window = cnv_window_new (self, folder);

  if (checkpoint != NULL)
    cnv_window_open_checkpoint (window, checkpoint);

  gtk_window_present (GTK_WINDOW (window));
}

static void
cnv_application_activate (GApplication *app)
{
  open_window (CNV_APPLICATION (app), NULL, NULL);
}

/* Opens each file in its own window on the folder used last.  Only local
 * files can be read; another kind is named in a warning and skipped. */
static void
cnv_application_open (GApplication  *app,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  guint n_opened = 0;

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);

      if (path == NULL)
        {
          g_autofree char *uri = g_file_get_uri (files[i]);

          g_warning ("Cannot open %s: Convolve opens local files only", uri);
          continue;
        }

      open_window (CNV_APPLICATION (app), NULL, path);
      n_opened++;
    }

  if (n_opened == 0)
    g_application_activate (app);
}

static int
cnv_application_command_line (GApplication            *app,
                              GApplicationCommandLine *cmdline)
{
  GVariantDict *options = g_application_command_line_get_options_dict (cmdline);
  g_autofree char *folder = NULL;
  g_autofree const char **remaining = NULL;
  const char *data = NULL;

  if (g_variant_dict_lookup (options, "data", "^&ay", &data))
    {
      g_autoptr(GFile) file = NULL;

      file = g_application_command_line_create_file_for_arg (cmdline, data);
      folder = g_file_get_path (file);
    }

  if (!g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&ay",
                              &remaining)
      || remaining[0] == NULL)
    {
      open_window (CNV_APPLICATION (app), folder, NULL);
      return 0;
    }

  /* Each checkpoint in its own window, all on the folder given. */
  for (guint i = 0; remaining[i] != NULL; i++)
    {
      g_autoptr(GFile) file = NULL;
      g_autofree char *checkpoint = NULL;

      file = g_application_command_line_create_file_for_arg (cmdline,
                                                             remaining[i]);
      checkpoint = g_file_get_path (file);
      open_window (CNV_APPLICATION (app), folder, checkpoint);
    }

  return 0;
}

static void
about_action_cb (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  const char *developers[] = { _("The Convolve authors"), NULL };
  const char *artists[] = { _("The Convolve authors (app icon)"), NULL };
  static const char *libraries[] = {
    "GTK https://gtk.org",
    "libadwaita https://gitlab.gnome.org/GNOME/libadwaita",
    "GLib, GIO and gdk-pixbuf https://gitlab.gnome.org/GNOME",
    "json-glib https://gitlab.gnome.org/GNOME/json-glib",
    "OpenBLAS https://www.openblas.net",
    NULL
  };
  AdwAboutWindow *about;

  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  gtk_window_set_transient_for (GTK_WINDOW (about),
                                gtk_application_get_active_window (app));
  adw_about_window_set_application_name (about, _("Convolve"));
  adw_about_window_set_application_icon (about, CNV_APP_ID);
  adw_about_window_set_version (about, CNV_VERSION);
  adw_about_window_set_developer_name (about, _("The Convolve authors"));
  adw_about_window_set_developers (about, developers);
  adw_about_window_set_designers (about, developers);
  adw_about_window_set_artists (about, artists);
  adw_about_window_set_website (about, "https://github.com/convolve/convolve");
  adw_about_window_set_issue_url (about,
                                  "https://github.com/convolve/convolve/issues");
  adw_about_window_set_comments (about,
                                 _("Build, train, save and reopen binary "
                                   "image classifiers without writing code."));
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_copyright (about, _("© The Convolve authors"));
  /* The sample's licence is named in the credits rather than in a legal
   * section: libadwaita 1.2 leaks the strings of a legal section. */
  adw_about_window_add_credit_section (about, _("Sample images"),
                                       (const char *[]) {
                                         _("Fashion-MNIST sample images "
                                           "© Zalando SE, MIT licence"),
                                         _("Han Xiao, Kashif Rasul and "
                                           "Roland Vollgraf, Fashion-MNIST "
                                           "(2017) https://github.com/"
                                           "zalandoresearch/fashion-mnist"),
                                         NULL });
  adw_about_window_add_acknowledgement_section (about, _("Built with"),
                                                libraries);
  adw_about_window_set_translator_credits (about, _("translator-credits"));

  gtk_window_present (GTK_WINDOW (about));
}

/* Asks every window to close, as its close button would, so a window
 * with an unsaved model or a run in progress can ask first.  The
 * application ends when the last window is gone. */
static void
quit_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GList *windows;

  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));
  g_list_foreach (windows, (GFunc) (void (*) (void)) g_object_ref, NULL);

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);

  g_list_free_full (windows, g_object_unref);
}

static void
preferences_action_cb (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  CnvApplication *self = CNV_APPLICATION (user_data);
  GtkWindow *parent;
  GtkWindow *preferences;

  if (self->settings == NULL)
    return;

  parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  preferences = GTK_WINDOW (cnv_preferences_window_new (self->settings));
  gtk_window_set_transient_for (preferences, parent);
  gtk_window_present (preferences);
}

static const GActionEntry app_actions[] = {
  { "about", about_action_cb },
  { "preferences", preferences_action_cb },
  { "quit", quit_action_cb },
};

/* An installed Convolve finds its icon in the hicolor theme.  Run from
 * the build folder, it has none there: the source tree's icons stand in. */
static void
add_source_icons (void)
{
  g_autofree char *folder = NULL;
  GdkDisplay *display = gdk_display_get_default ();
  GtkIconTheme *theme;

  if (display == NULL)
    return;

  theme = gtk_icon_theme_get_for_display (display);
  if (gtk_icon_theme_has_icon (theme, CNV_APP_ID))
    return;

  folder = g_build_filename (CNV_SOURCE_DATADIR, "icons", NULL);
  if (g_file_test (folder, G_FILE_TEST_IS_DIR))
    gtk_icon_theme_add_search_path (theme, folder);
}

static void
cnv_application_startup (GApplication *app)
{
  CnvApplication *self = CNV_APPLICATION (app);
  static const struct
  {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.save", { "<Control>s", NULL } },
    { "win.save-as", { "<Control><Shift>s", NULL } },
    { "win.choose-folder", { "<Control><Shift>o", NULL } },
    { "win.classify-file", { "<Control>i", NULL } },
    { "win.train", { "<Control>t", NULL } },
    { "win.pause", { "<Control>p", NULL } },
    { "win.stop", { "<Control>period", NULL } },
  };

  G_APPLICATION_CLASS (cnv_application_parent_class)->startup (app);

  add_source_icons ();
  gtk_window_set_default_icon_name (CNV_APP_ID);

  self->settings = cnv_settings_new ();
  if (self->settings != NULL)
    {
      cnv_settings_apply_threads (self->settings);
      g_signal_connect (self->settings, "changed::default-threads",
                        G_CALLBACK (cnv_settings_apply_threads), NULL);
    }

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app),
                                           accels[i].action,
                                           accels[i].accels);
}

static void
cnv_application_finalize (GObject *object)
{
  CnvApplication *self = CNV_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cnv_application_parent_class)->finalize (object);
}

static void
cnv_application_class_init (CnvApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = cnv_application_finalize;

  app_class->activate = cnv_application_activate;
  app_class->command_line = cnv_application_command_line;
  app_class->open = cnv_application_open;
  app_class->startup = cnv_application_startup;
}

static void
cnv_application_init (CnvApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self),
                                         option_entries);
  g_application_set_option_context_parameter_string (
    G_APPLICATION (self), _("[FILE.convolve…]"));
}

CnvApplication *
cnv_application_new (const char        *application_id,
                     GApplicationFlags  flags)
{
  return g_object_new (CNV_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", "/io/github/convolve/Convolve",
                       NULL);
}

static gboolean
release_application_idle (gpointer data)
{
  GApplication *app = data;

  g_application_release (app);
  g_object_unref (app);

  return G_SOURCE_REMOVE;
}

/* The last reference to a task may go in its worker thread: the release
 * waits for the main loop, where the application lives. */
static void
release_application_cb (gpointer  data,
                        GObject  *where_the_task_was)
{
  g_idle_add (release_application_idle, data);
}

void
cnv_application_run_in_thread (GTask           *task,
                               GTaskThreadFunc  func)
{
  GApplication *app = g_application_get_default ();

  g_return_if_fail (G_IS_TASK (task));

  if (app != NULL)
    {
      g_application_hold (app);
      g_object_weak_ref (G_OBJECT (task), release_application_cb,
                         g_object_ref (app));
    }

  g_task_run_in_thread (task, func);
}
