/* cnv-window.h — the main window: model, data, training, classification */
#pragma once

#include <adwaita.h>

#include "cnv-application.h"

G_BEGIN_DECLS

#define CNV_TYPE_WINDOW (cnv_window_get_type ())

G_DECLARE_FINAL_TYPE (CnvWindow, cnv_window, CNV, WINDOW,
                      AdwApplicationWindow)

/* data_folder (may be NULL) is loaded right away. */
CnvWindow *cnv_window_new             (CnvApplication *application,
                                       const char     *data_folder);
/* Loads an image folder in the background, cancelling a load in flight. */
void       cnv_window_load_folder     (CnvWindow      *self,
                                       const char     *folder);
/* Opens a checkpoint in the background; errors are shown in a dialog. */
void       cnv_window_open_checkpoint (CnvWindow      *self,
                                       const char     *path);

G_END_DECLS
