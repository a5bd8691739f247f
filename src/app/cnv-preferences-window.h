/* cnv-preferences-window.h — threads and the default training options */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CNV_TYPE_PREFERENCES_WINDOW (cnv_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (CnvPreferencesWindow, cnv_preferences_window,
                      CNV, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* Shows and edits settings, which it keeps a reference to. */
CnvPreferencesWindow *cnv_preferences_window_new (GSettings *settings);

/* For tests/test-app.c */
GtkSpinButton *cnv_preferences_window_get_threads_spin (CnvPreferencesWindow *self);
GtkSpinButton *cnv_preferences_window_get_epochs_spin  (CnvPreferencesWindow *self);
AdwComboRow   *cnv_preferences_window_get_optimizer_row (CnvPreferencesWindow *self);

G_END_DECLS
