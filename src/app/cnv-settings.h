/* cnv-settings.h — the app's GSettings: finding the schema, recent lists */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How many paths each recent list keeps. */
#define CNV_RECENT_MAX 10

/* The settings of io.github.convolve.Convolve: from the installed schemas
 * first, else from the schema compiled in the build folder, so that
 * ./build/src/app/convolve runs uninstalled.  NULL (with a warning) when
 * neither has it.  (transfer full) (nullable) */
GSettings *cnv_settings_new           (void);
/* Puts path first in the string-array key, dropping an older copy and
 * anything past CNV_RECENT_MAX. */
void       cnv_settings_add_recent    (GSettings  *settings,
                                       const char *key,
                                       const char *path);
/* Hands default-threads to cnv_set_threads (), 0 meaning every core. */
void       cnv_settings_apply_threads (GSettings  *settings);

G_END_DECLS
