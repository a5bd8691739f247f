/* cnv-dataset.h — a folder of two class subfolders, decoded into memory
 *
 * Class indices follow the sorted folder names (byte order of the UTF-8
 * names as they are on disk, g_strcmp0: `Dogs` before `cats`, `10` before
 * `9`, the same on every machine and locale), unless the caller passes the
 * class names a checkpoint stored, in which case that mapping wins.  Images
 * are kept in the byte order of their "class/file" paths.  Every image goes
 * through cnv_image_load () and is kept at the network's resolution, one
 * byte per value.  Files that cannot be used are listed with the reason.
 */
#pragma once

#include <gio/gio.h>

#include "cnv-image.h"

G_BEGIN_DECLS

#define CNV_DATASET_ERROR (cnv_dataset_error_quark ())

typedef enum
{
  CNV_DATASET_ERROR_FOLDER,       /* missing or unreadable folder */
  CNV_DATASET_ERROR_LAYOUT,       /* not exactly two class subfolders */
  CNV_DATASET_ERROR_EMPTY_CLASS,  /* a class without one usable image */
  CNV_DATASET_ERROR_CANCELLED,
} CnvDatasetError;

GQuark cnv_dataset_error_quark (void);

typedef struct
{
  char *path;     /* as found on disk */
  char *reason;   /* one sentence: "the file is truncated" */
} CnvSkippedFile;

typedef struct
{
  char      *folder;
  char      *class_names[2];  /* index order; index 1 is the positive class */
  int        width;
  int        height;
  int        channels;
  guint      n_images;
  guint8    *pixels;          /* n_images × height × width × channels, HWC */
  guint8    *labels;          /* n_images class indices */
  char     **paths;           /* n_images paths, NULL-terminated */
  guint      class_counts[2];
  guint      skipped_counts[2];
  GPtrArray *skipped;         /* CnvSkippedFile*, with files at top level */
  char      *fingerprint;     /* SHA-256 over the sorted relative paths */
} CnvDataset;

typedef void (*CnvDatasetProgressFunc) (guint    done,
                                        guint    total,
                                        gpointer user_data);

/* class_names may be NULL (sorted folder names) or the two names stored
 * with a model, which then must both exist as subfolders; other subfolders
 * are ignored and listed as skipped.  Files are decoded in parallel with up
 * to cnv_get_threads () threads; progress is called in the calling thread.
 * Hidden entries (names starting with '.') are ignored; subfolders inside a
 * class folder are listed as skipped, not walked. */
CnvDataset *cnv_dataset_load   (const char             *folder,
                                const CnvPreprocessing *pp,
                                const char * const     *class_names,
                                GCancellable           *cancellable,
                                CnvDatasetProgressFunc  progress,
                                gpointer                user_data,
                                GError                **error);
void        cnv_dataset_free   (CnvDataset             *dataset);
/* The first subfolder of folder, in name order, that looks like a
 * dataset (exactly two subfolders holding images, no image beside them):
 * the folder probably meant when folder, a folder of datasets ("data"
 * holding "sample" and "sample-test"), could not be loaded.  NULL when
 * there is none. */
char       *cnv_dataset_find_nested (const char        *folder);
/* The folder probably meant when folder could not be loaded: a dataset
 * inside it (cnv_dataset_find_nested ()), or its parent when folder is
 * one of two class folders there.  NULL when there is none. */
char       *cnv_dataset_suggest_folder (const char     *folder);
const guint8 *cnv_dataset_get_pixels (const CnvDataset *dataset,
                                      guint             index);
/* A stratified split: in each class, a seeded shuffle puts
 * round (count × val_fraction) images in validation.  Both arrays hold
 * guint indices in increasing order. */
void        cnv_dataset_split  (const CnvDataset       *dataset,
                                double                  val_fraction,
                                guint64                 seed,
                                GArray                **train,
                                GArray                **validation);
/* The names of the subfolders of folder (not hidden ones), in the byte
 * order the loader sorts classes by: what a folder's classes would be.
 * NULL-terminated; an empty list when the folder cannot be read. */
char      **cnv_dataset_list_class_folders (const char *folder);
/* The image files of a folder for prediction, walked recursively and
 * sorted (byte order, each folder's entries before going deeper); files
 * are kept by extension, in any case: png jpg jpeg gif bmp tif tiff webp
 * ico ppm pgm.  Hidden entries and symbolic links to folders are skipped.
 * A path that is a file is returned as it is, whatever its extension. */
GPtrArray  *cnv_list_image_files (const char           *path,
                                  GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvDataset, cnv_dataset_free)

G_END_DECLS
