/* cnv-dataset-report.h — what a loaded folder holds, before anything trains
 *
 * Images per class and how unbalanced they are; for every image its size,
 * colour kind and format as stored in the file; exact duplicates by the
 * SHA-256 of the file's bytes, inside one class, across the two classes (a
 * labelling error) and across the training/validation split (leakage).
 * Building a report reads every file once and may run in a worker thread;
 * the split groups are recomputed from the kept hashes when the validation
 * share or the seed changes, without reading anything again.
 */
#pragma once

#include <gio/gio.h>

#include "cnv-dataset.h"

G_BEGIN_DECLS

/* Classes whose counts differ by this factor or more are unbalanced
 * enough for the app to suggest class weighting. */
#define CNV_DATASET_IMBALANCE_WARNING 1.5

/* How the pixels are stored in the file, before any conversion. */
typedef enum
{
  CNV_COLOR_KIND_UNKNOWN,
  CNV_COLOR_KIND_GREY,
  CNV_COLOR_KIND_GREY_ALPHA,
  CNV_COLOR_KIND_RGB,
  CNV_COLOR_KIND_RGBA,
  CNV_COLOR_KIND_PALETTE,    /* indexed colour: PNG type 3, GIF, BMP ≤ 8 bit */
  CNV_COLOR_KIND_CMYK,       /* four-component JPEG */
  CNV_N_COLOR_KINDS
} CnvColorKind;

/* "Greyscale", "RGB with alpha", …, translated. */
const char *cnv_color_kind_to_string (CnvColorKind kind);

typedef struct
{
  int          width;       /* as stored, before EXIF orientation; 0 when */
  int          height;      /* the header could not be read */
  CnvColorKind color_kind;
  const char  *format;      /* "PNG", "JPEG", "GIF", …; a static string */
  char         sha256[65];  /* of the file's bytes, lower-case hex; empty
                             * when the file could not be read again */
} CnvImageFileInfo;

typedef struct
{
  int   width;
  int   height;
  guint count;
} CnvSizeCount;

typedef struct
{
  const char *format;
  guint       count;
} CnvFormatCount;

/* The longer stored side of count images lies in [low, high). */
typedef struct
{
  int   low;
  int   high;
  guint count;
} CnvSizeBin;

/* Images with identical bytes: dataset indices, in increasing order. */
typedef struct
{
  const char *sha256;       /* borrowed from the report's images */
  guint       n_members;
  guint      *members;
} CnvDuplicateGroup;

typedef struct
{
  guint              n_images;
  CnvImageFileInfo  *images;        /* n_images, in the dataset's order */
  guint8            *labels;        /* n_images class indices (a copy) */
  char             **paths;         /* n_images, NULL-terminated (a copy) */
  char              *class_names[2];
  guint              class_counts[2];
  double             imbalance_ratio; /* larger class over smaller, ≥ 1 */
  guint              n_unreadable;  /* images that could not be read again */

  GArray            *sizes;         /* CnvSizeCount, most common first */
  guint              color_kinds[CNV_N_COLOR_KINDS];
  GArray            *formats;       /* CnvFormatCount, most common first */
  GPtrArray         *skipped;       /* CnvSkippedFile* (a copy) */

  /* Every set of two or more images with the same bytes is in exactly one
   * of the first two lists. */
  GPtrArray         *within_class;  /* CnvDuplicateGroup*: one class */
  GPtrArray         *across_classes; /* CnvDuplicateGroup*: both classes */

  /* From cnv_dataset_report_set_split (): the sets with members on both
   * sides of the split (either class list may hold them too). */
  double             val_fraction;
  guint64            seed;
  guint8            *in_validation; /* n_images flags */
  guint              n_train;
  guint              n_validation;
  GPtrArray         *across_split;  /* CnvDuplicateGroup* */
} CnvDatasetReport;

/* Reads every image of dataset once (hash and header), in the calling
 * thread, then computes the split groups for val_fraction and seed.
 * progress (may be NULL) is called in the calling thread.  Returns NULL
 * with CNV_DATASET_ERROR_CANCELLED when cancelled; a file that cannot be
 * read again is counted in n_unreadable, not an error. */
CnvDatasetReport *cnv_dataset_report_new       (const CnvDataset       *dataset,
                                                double                  val_fraction,
                                                guint64                 seed,
                                                GCancellable           *cancellable,
                                                CnvDatasetProgressFunc  progress,
                                                gpointer                user_data,
                                                GError                **error);
void              cnv_dataset_report_free      (CnvDatasetReport       *report);
/* The split cnv_dataset_split () makes for these, and its duplicate
 * groups; no file is read.  Cheap: a shuffle and a pass over the sets. */
void              cnv_dataset_report_set_split (CnvDatasetReport       *report,
                                                double                  val_fraction,
                                                guint64                 seed);
/* The images that have a twin somewhere in the folder. */
guint             cnv_dataset_report_count_duplicated (const CnvDatasetReport *report);
/* A histogram of the longer stored side in at most max_bins bins of equal
 * whole-pixel width starting at the smallest side; one bin when every
 * image has the same.  Images of unknown size are left out. */
GArray           *cnv_dataset_report_bin_sizes (const CnvDatasetReport *report,
                                                guint                   max_bins);

/* Reads the header of an image file in memory: size, colour kind and
 * format.  Returns FALSE when the format is not recognised. */
gboolean          cnv_image_file_info_read     (const guint8           *data,
                                                gsize                   size,
                                                CnvImageFileInfo       *info);

/* Per-channel mean and standard deviation (population) of
 * pixel × scale over the images at indices (NULL: all), on the values
 * the preprocessing scales, i.e. mean and std for CnvPreprocessing.  A
 * channel with no spread gets std 1, so that normalising never divides
 * by zero.  Channels beyond dataset->channels are set to 0 and 1. */
void              cnv_dataset_compute_mean_std (const CnvDataset       *dataset,
                                                const GArray           *indices,
                                                float                   scale,
                                                float                   mean[3],
                                                float                   std[3]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvDatasetReport, cnv_dataset_report_free)

G_END_DECLS
