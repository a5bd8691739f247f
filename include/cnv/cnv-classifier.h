/* cnv-classifier.h — a binary image classifier: everything a checkpoint
 * holds, and training, evaluation and prediction over it
 *
 * A CnvClassifier is the unit the CLI and the app work with: the model,
 * its preprocessing, the class names (index 1 is positive) and decision
 * threshold, the optimizer with its state, and the training history.
 * Training runs in the caller's thread; the app calls it from a GThread
 * and receives progress through the callback.
 *
 * Repeatability: the split, the shuffling of epoch e and the dropout masks
 * of epoch e come from streams that depend only on (seed, e), so N epochs,
 * a save and an open, then M more epochs give the same weights as N + M
 * epochs in one go.
 */
#pragma once

#include <gio/gio.h>

#include "cnv-augment.h"
#include "cnv-dataset.h"
#include "cnv-image.h"
#include "cnv-metrics.h"
#include "cnv-model.h"
#include "cnv-optimizer.h"
#include "cnv-schedule.h"

G_BEGIN_DECLS

#define CNV_TRAIN_ERROR (cnv_train_error_quark ())

/* The largest batch size a run or a checkpoint may ask for.  A run uses
 * at most as many images per batch as it has training images. */
#define CNV_MAX_BATCH_SIZE 65536

typedef enum
{
  CNV_TRAIN_ERROR_NOT_FINITE,   /* the loss became NaN or infinite */
  CNV_TRAIN_ERROR_INVALID,      /* a setting or the data does not fit */
  CNV_TRAIN_ERROR_NO_MEMORY,    /* the batch buffers cannot be allocated */
} CnvTrainError;

GQuark cnv_train_error_quark (void);

/* How the two classes weigh in the loss. */
typedef enum
{
  CNV_CLASS_WEIGHTS_NONE,       /* every image counts the same */
  CNV_CLASS_WEIGHTS_BALANCED,   /* class c weighs n / (2 n_c) over the
                                 * training images: both classes count as
                                 * much in all, as scikit-learn's
                                 * class_weight="balanced" */
} CnvClassWeights;

const char *cnv_class_weights_to_string   (CnvClassWeights  weights);
gboolean    cnv_class_weights_from_string (const char      *name,
                                           CnvClassWeights *weights);

typedef struct
{
  guint              epoch;        /* 1-based, counted over all runs */
  gint64             step;         /* optimizer steps at the epoch's end */
  double             learning_rate;
  double             train_loss;
  double             train_accuracy;
  CnvMetrics         validation;   /* n == 0 without a validation split */
  double             seconds;
} CnvEpochRecord;

typedef struct
{
  CnvModel          *model;
  CnvPreprocessing   preprocessing;
  char              *class_names[2];
  int                positive_class;  /* always 1 */
  double             threshold;       /* 0.5 unless the user moved it */
  CnvOptimizer      *optimizer;       /* NULL before the first training */
  guint64            seed;
  guint              batch_size;      /* of the last run */
  double             val_split;       /* of the last run */
  GArray            *history;         /* CnvEpochRecord */
  /* The settings of the last run, for resuming it as it was. */
  CnvSchedule        schedule;        /* total_epochs resolved */
  CnvAugmentation    augmentation;
  CnvClassWeights    class_weights;
  guint              patience;        /* 0: no early stopping */
  gboolean           keep_best;
  /* The epoch whose weights the model holds when keep_best restored
   * them, 0 otherwise. */
  guint              best_epoch;
  /* Summary of the dataset of the last run. */
  char              *dataset_folder;
  guint              dataset_counts[2];
  guint              dataset_skipped;
  char              *dataset_fingerprint;
  /* Things the checkpoint reader converted or could not restore, as
   * sentences for the user ("conv1.weight was stored as F64 …"). */
  GPtrArray         *notices;
} CnvClassifier;

typedef struct
{
  guint              epochs;       /* to run now, on top of history */
  guint              batch_size;   /* default 64, 1 to CNV_MAX_BATCH_SIZE */
  CnvOptimizerConfig optimizer;    /* default Adam, 0.001 */
  guint64            seed;         /* used when the classifier has none */
  double             val_split;    /* default 0.2 */
  int                threads;      /* 0: leave cnv_get_threads () as is */
  CnvSchedule        schedule;     /* default constant */
  CnvAugmentation    augmentation; /* default none */
  CnvClassWeights    class_weights;
  /* Early stopping: the run ends when the validation loss has not fallen
   * below its best by more than min_delta for patience epochs; 0: off. */
  guint              patience;
  double             min_delta;
  /* At the end of the run, go back to the weights (and optimizer state)
   * of the epoch with the lowest validation loss. */
  gboolean           keep_best;
} CnvTrainConfig;

typedef enum
{
  CNV_TRAIN_PROGRESS_BATCH,
  CNV_TRAIN_PROGRESS_EPOCH,
} CnvTrainProgressKind;

typedef struct
{
  CnvTrainProgressKind kind;
  guint                epoch;        /* 1-based, over all runs */
  guint                last_epoch;   /* the epoch this run ends on */
  guint                batch;        /* 1-based within the epoch */
  guint                n_batches;
  gint64               step;
  double               batch_loss;
  double               batch_accuracy;   /* of the last batch */
  double               running_loss;     /* mean over the epoch so far */
  double               running_accuracy;
  double               learning_rate;    /* of the last step */
  double               elapsed;          /* seconds since the run began,
                                          * not counting pauses */
  double               images_per_second; /* per second of training */
  const CnvEpochRecord *record;          /* EPOCH only */
} CnvTrainProgress;

/* Called from the training thread after every batch and every epoch. */
typedef void (*CnvTrainProgressFunc) (const CnvTrainProgress *progress,
                                      gpointer                user_data);

/* Set stop to 1 (g_atomic_int_set) from any thread: the run ends at the
 * next batch boundary keeping the weights of the last complete step.  Set
 * pause to 1 and the run waits at the next batch boundary until it is 0
 * again (or stop is set).  The run fills in the outputs. */
typedef struct
{
  gint     stop;
  gint     pause;
  /* outputs */
  gboolean stopped_early;   /* patience ran out */
  guint    best_epoch;      /* the lowest validation loss of this run; 0
                             * without validation */
  gboolean restored_best;   /* keep_best went back to best_epoch */
} CnvTrainControl;

void           cnv_train_config_init_default (CnvTrainConfig *config);

/* The best validation loss of a run and when patience runs out: early
 * stopping and keep-best, on their own so that they can be checked on
 * scripted losses. */
typedef struct
{
  guint  patience;     /* 0: never exhausted */
  double min_delta;    /* an improvement must beat the best by more */
  guint  best_epoch;   /* 0 before the first loss */
  double best_loss;
} CnvBestTracker;

typedef enum
{
  CNV_BEST_IMPROVED,   /* a new best: keep these weights */
  CNV_BEST_WAITING,    /* no better, patience left */
  CNV_BEST_EXHAUSTED,  /* no better for patience epochs: stop */
} CnvBestVerdict;

void           cnv_best_tracker_init   (CnvBestTracker *tracker,
                                        guint           patience,
                                        double          min_delta);
/* A loss that is not finite never improves. */
CnvBestVerdict cnv_best_tracker_update (CnvBestTracker *tracker,
                                        guint           epoch,
                                        double          loss);
/* The weight of each class in the loss for training counts[2] images. */
void           cnv_class_weights_compute (CnvClassWeights weights,
                                          const guint     counts[2],
                                          float           out[2]);

/* Takes ownership of nothing: the spec and preprocessing are copied.
 * Parameters are initialised from seed. */
CnvClassifier *cnv_classifier_new   (const CnvModelSpec     *spec,
                                     const CnvPreprocessing *pp,
                                     const char * const     *class_names,
                                     guint64                 seed,
                                     GError                **error);
void           cnv_classifier_free  (CnvClassifier *classifier);
/* A deep copy (a snapshot for prediction while training goes on). */
CnvClassifier *cnv_classifier_copy  (const CnvClassifier *classifier);
/* Checks that the model is runnable with this preprocessing (input size
 * and channels agree). */
gboolean       cnv_classifier_check (const CnvClassifier *classifier,
                                     GError             **error);

/* Details of a run, for callers that show or resume it:
 * - The split is cnv_dataset_split (dataset, val_split, seed); epoch e
 *   shuffles with cnv_rng_init_stream (seed, e) and draws dropout masks
 *   from stream 1000003 + e.  The classifier's seed wins; 0 means none and
 *   then config->seed is taken and stored.
 * - The last mini-batch of an epoch is smaller when the images do not
 *   divide evenly; it is used, not dropped.
 * - An optimizer of the same kind (and, for SGD, with momentum on or off
 *   as before) is kept with its state and step counter and only gets the
 *   new hyperparameters; otherwise a new one starts at step 0.
 * - A stop request leaves the interrupted epoch without a history record;
 *   the next run starts that epoch again from its first batch.
 * - On a non-finite loss or weights, the weights, batch-norm statistics
 *   and optimizer state from before the last step are restored and the
 *   error (CNV_TRAIN_ERROR_NOT_FINITE) names the epoch and the batch.
 * - images_per_second in the progress is the run's training images over
 *   the time spent in training steps (loading the batch, forward, backward,
 *   optimizer step), excluding validation and the progress callbacks.
 *   A snapshot (cnv_classifier_copy) is safe from the progress callback,
 *   which runs in the training thread at a batch boundary. */
/* Trains config->epochs more epochs on dataset.  The dataset's classes
 * become the classifier's.  Returns FALSE with an error when the loss
 * stops being finite (the last finite weights are kept) or the settings
 * do not fit; a stop request is not an error. */
gboolean       cnv_classifier_train (CnvClassifier        *classifier,
                                     const CnvDataset     *dataset,
                                     const CnvTrainConfig *config,
                                     CnvTrainControl      *control,
                                     CnvTrainProgressFunc  progress,
                                     gpointer              user_data,
                                     GError              **error);
/* Logits for n preprocessed images (the dataset's pixel layout), in
 * inference mode, batched internally. */
void           cnv_classifier_predict_pixels (CnvClassifier  *classifier,
                                              const guint8  **pixels,
                                              guint           n,
                                              float          *logits);
/* Decodes and preprocesses path, and returns the probability of the
 * positive class.  image (may be NULL) receives what the network saw. */
gboolean       cnv_classifier_predict_file (CnvClassifier  *classifier,
                                            const char     *path,
                                            double         *probability,
                                            CnvImage      **image,
                                            GError        **error);
/* indices (may be NULL: every image) select the images to evaluate. */
void           cnv_classifier_evaluate (CnvClassifier    *classifier,
                                        const CnvDataset *dataset,
                                        const GArray     *indices,
                                        CnvMetrics       *metrics);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvClassifier, cnv_classifier_free)

G_END_DECLS
