/* cnv-data-page.h — the Data page: the image folder, its report, and how
 * the next training run reads and changes the images */
#pragma once

#include <adwaita.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_DATA_PAGE (cnv_data_page_get_type ())

G_DECLARE_FINAL_TYPE (CnvDataPage, cnv_data_page, CNV, DATA_PAGE, AdwBin)

typedef enum
{
  CNV_DUPLICATES_WITHIN_CLASS,
  CNV_DUPLICATES_ACROSS_CLASSES,
  CNV_DUPLICATES_ACROSS_SPLIT,
} CnvDuplicatesKind;

/* Signals:
 * - "preprocessing-changed" (): a setting of the Preprocessing group
 *   changed; cnv_data_page_apply_preprocessing () gives the new record.
 * - "colour-mode-changed" (int channels): the user chose greyscale (1) or
 *   colour (3); the page's colour row follows cnv_data_page_set_input (),
 *   so the window changes the stack's input to match.
 * - "compute-normalisation" (): the user asked for the mean and standard
 *   deviation of the training images of the split on the page; answer
 *   with cnv_data_page_set_computed_normalisation (). */

/* A spinner naming the folder being read.  While the page already shows
 * that folder, it stays on screen with a spinner in the folder row. */
void            cnv_data_page_show_loading    (CnvDataPage      *self,
                                               const char       *folder);
/* The folder, its classes, the files skipped and a few samples; an
 * invitation to choose a folder when dataset is NULL.  The page copies
 * what it draws (the pixels of a few images for the augmentation
 * preview); nothing of dataset is kept. */
void            cnv_data_page_show_dataset    (CnvDataPage      *self,
                                               const CnvDataset *dataset);
/* After a folder failed to load: dataset, the one held before (or NULL),
 * again, with the report it had. */
void            cnv_data_page_show_previous   (CnvDataPage      *self,
                                               const CnvDataset *dataset);
/* The report of the dataset last shown (transfer full; NULL clears it).
 * The page sets its split from the page's validation share and seed and
 * keeps it following them. */
void            cnv_data_page_show_report     (CnvDataPage      *self,
                                               CnvDatasetReport *report);
const CnvDatasetReport *cnv_data_page_get_report (CnvDataPage   *self);

/* The stack's input: the size the Input row shows and the colour mode
 * (1 channel greyscale, 3 colour, anything else asks for a choice). */
void            cnv_data_page_set_input       (CnvDataPage      *self,
                                               int               width,
                                               int               height,
                                               int               channels);
/* Writes the page's resize mode, interpolation, scaling, mean and std
 * into pp; its size and colour mode stay as they are (the stack's). */
void            cnv_data_page_apply_preprocessing (CnvDataPage           *self,
                                                   CnvPreprocessing      *pp);
/* Shows pp's settings (an opened checkpoint's). */
void            cnv_data_page_set_preprocessing (CnvDataPage            *self,
                                                 const CnvPreprocessing *pp);
/* While TRUE the preprocessing, validation share and seed belong to the
 * trained model on screen and cannot change; the page says so. */
void            cnv_data_page_set_locked      (CnvDataPage      *self,
                                               gboolean          locked);
gboolean        cnv_data_page_get_locked      (CnvDataPage      *self);

/* Validation share, seed, augmentation and class weights into config. */
void            cnv_data_page_apply_train_settings (CnvDataPage         *self,
                                                    CnvTrainConfig      *config);
/* Shows a checkpoint's: its last run's split, seed, augmentation and
 * class weights. */
void            cnv_data_page_set_train_settings (CnvDataPage           *self,
                                                  double                 val_split,
                                                  guint64                seed,
                                                  const CnvAugmentation *augmentation,
                                                  CnvClassWeights        weights);
/* The validation share and seed alone. */
void            cnv_data_page_set_split       (CnvDataPage      *self,
                                               double            val_split,
                                               guint64           seed);
double          cnv_data_page_get_val_split   (CnvDataPage      *self);
guint64         cnv_data_page_get_seed        (CnvDataPage      *self);
/* The preprocessing's scale, for computing the normalisation. */
float           cnv_data_page_get_scale       (CnvDataPage      *self);
/* The answer to "compute-normalisation": the statistics over n_images
 * training images of the split of val_split and seed, with the pixel
 * scale and channels they were computed for. */
void            cnv_data_page_set_computed_normalisation (CnvDataPage  *self,
                                                          const float   mean[3],
                                                          const float   std[3],
                                                          guint         n_images,
                                                          double        val_split,
                                                          guint64       seed,
                                                          float         scale,
                                                          int           channels);

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

/* For tests */
/* The row saying whether the classes are balanced; NULL before a folder. */
AdwActionRow   *cnv_data_page_get_balance_row (CnvDataPage      *self);
/* The bars of the size histogram: a label ("28 × 28" or "64–127 px")
 * and the number of images. */
guint           cnv_data_page_get_n_size_bars (CnvDataPage      *self);
const char     *cnv_data_page_get_size_bar    (CnvDataPage      *self,
                                               guint             index,
                                               guint            *count);
AdwExpanderRow *cnv_data_page_get_duplicates_row (CnvDataPage     *self,
                                                  CnvDuplicatesKind kind);
/* Thumbnails waiting for their texture. */
guint           cnv_data_page_get_n_pending_thumbnails (CnvDataPage *self);
/* The augmentation preview: n samples × columns pictures, the first
 * column unchanged; a texture is NULL until drawn. */
guint           cnv_data_page_get_n_preview   (CnvDataPage      *self);
GdkTexture     *cnv_data_page_get_preview_texture (CnvDataPage  *self,
                                                   guint         index);
/* Counts the preview drawings that reached the screen. */
guint           cnv_data_page_get_preview_generation (CnvDataPage *self);
/* A setting's widget by name: "val", "seed", "new-seed", "colour",
 * "resize", "interpolation", "scaling", "normalisation", "compute",
 * "mean0" … "std2", "hflip", "vflip", "shift", "rotation", "brightness",
 * "contrast", "new-samples", "weights", "scrolled", and the groups
 * "report", "duplicates", "split", "preprocessing", "augmentation",
 * "weights-group", "compute-row". */
GtkWidget      *cnv_data_page_get_widget      (CnvDataPage      *self,
                                               const char       *name);

G_END_DECLS
