/* cnv-compare-window.h — any two checkpoints side by side */
#pragma once

#include <adwaita.h>

#include "cnv.h"
#include "cnv-diff-view.h"

G_BEGIN_DECLS

#define CNV_TYPE_COMPARE_WINDOW (cnv_compare_window_get_type ())

G_DECLARE_FINAL_TYPE (CnvCompareWindow, cnv_compare_window, CNV,
                      COMPARE_WINDOW, AdwWindow)

/* Takes both records. */
CnvCompareWindow *cnv_compare_window_new   (GtkApplication *application,
                                            CnvModelRecord *a,
                                            CnvModelRecord *b);
CnvDiffView      *cnv_compare_window_get_diff_view (CnvCompareWindow *self);

G_END_DECLS
