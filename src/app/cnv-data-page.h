/* cnv-data-page.h — the Data page: the image folder and its classes */
#pragma once

#include <adwaita.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_DATA_PAGE (cnv_data_page_get_type ())

G_DECLARE_FINAL_TYPE (CnvDataPage, cnv_data_page, CNV, DATA_PAGE, AdwBin)

/* A spinner naming the folder being read. */
void            cnv_data_page_show_loading    (CnvDataPage      *self,
                                               const char       *folder);
/* The folder, its classes and the files skipped; an invitation to choose
 * a folder when dataset is NULL.  Nothing of dataset is kept. */
void            cnv_data_page_show_dataset    (CnvDataPage      *self,
                                               const CnvDataset *dataset);
/* The start view lists the paths that still exist, each a row that
 * runs win.open-recent. */
void            cnv_data_page_set_recent_checkpoints   (CnvDataPage        *self,
                                                        const char * const *paths);
guint           cnv_data_page_get_n_recent_checkpoints (CnvDataPage        *self);
/* TRUE while the start view (no folder) is on screen. */
gboolean        cnv_data_page_is_start_view            (CnvDataPage        *self);
/* The rows shown for the classes, in index order; NULL before a folder. */
AdwActionRow   *cnv_data_page_get_class_row   (CnvDataPage      *self,
                                               guint             index);
/* The expander listing skipped files; NULL when none was skipped. */
AdwExpanderRow *cnv_data_page_get_skipped_row (CnvDataPage      *self);

G_END_DECLS
