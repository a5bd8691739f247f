/* cnv-application.h — the Convolve application: command line, app
 * actions, the About window */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CNV_TYPE_APPLICATION (cnv_application_get_type ())

G_DECLARE_FINAL_TYPE (CnvApplication, cnv_application,
                      CNV, APPLICATION, AdwApplication)

CnvApplication *cnv_application_new (const char        *application_id,
                                     GApplicationFlags  flags);

/* The sample folder the start view offers: the installed one, else the
 * one in the source tree; NULL when none exists.  (transfer full) */
char           *cnv_application_find_sample_folder (void);
/* The app's settings, made at startup; NULL before it, or when the
 * schema cannot be found.  (transfer none) */
GSettings      *cnv_application_get_settings       (CnvApplication *self);

/* g_task_run_in_thread () with the application held until the task is
 * gone, so that quitting waits for a save, an evaluation or a decode
 * going on instead of ending the process under it. */
void            cnv_application_run_in_thread (GTask           *task,
                                               GTaskThreadFunc  func);

G_END_DECLS
