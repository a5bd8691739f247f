/* cnv-settings.c — the app's GSettings
 *
 * An installed Convolve finds its schema where glib-compile-schemas put
 * it.  Run from the build folder, the installed schemas have none, so the
 * schema compiled next to the build's data/ stands in; the settings then
 * still go to the user's backend (dconf, or memory in the tests).
 */
#define G_LOG_DOMAIN "cnv-settings"

#include "cnv.h"
#include "cnv-config.h"
#include "cnv-settings.h"

GSettings *
cnv_settings_new (void)
{
  g_autoptr(GSettingsSchemaSource) build_source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, CNV_APP_ID, TRUE);

  if (schema == NULL
      && g_file_test (CNV_BUILD_SCHEMADIR "/gschemas.compiled",
                      G_FILE_TEST_IS_REGULAR))
    {
      build_source = g_settings_schema_source_new_from_directory (
        CNV_BUILD_SCHEMADIR, source, FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, CNV_APP_ID,
                                                  FALSE);
    }

  if (schema == NULL)
    {
      g_warning ("The settings schema %s is not installed; preferences, "
                 "window size and recent files will not be kept",
                 CNV_APP_ID);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

void
cnv_settings_add_recent (GSettings  *settings,
                         const char *key,
                         const char *path)
{
  g_auto(GStrv) old = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) paths = NULL;
  guint n = 1;

  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (path != NULL);

  old = g_settings_get_strv (settings, key);

  g_strv_builder_add (builder, path);
  for (guint i = 0; old[i] != NULL && n < CNV_RECENT_MAX; i++)
    if (!g_str_equal (old[i], path))
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }

  paths = g_strv_builder_end (builder);
  g_settings_set_strv (settings, key, (const char * const *) paths);
}

void
cnv_settings_apply_threads (GSettings *settings)
{
  int n;

  g_return_if_fail (G_IS_SETTINGS (settings));

  n = g_settings_get_int (settings, "default-threads");
  cnv_set_threads (n > 0 ? n : (int) g_get_num_processors ());
}
