/* cnv-evaluation.h — a trained classifier measured on a set of images,
 * ready to be looked at from every threshold
 *
 * An evaluation runs the network once over its images and keeps, for
 * each, the probability of the positive class with its label and path.
 * Everything else is computed from those numbers: the ROC and
 * precision–recall curves, the metrics and confusion matrix at any
 * threshold (a binary search, so a slider can ask at every move), and the
 * images of one cell of the matrix ordered for review.
 *
 * An evaluation is immutable once made and reference counted, so a page,
 * a report export and a gallery can share it across threads.  Making one
 * only touches its arguments: run it in a worker thread on a snapshot of
 * the classifier (cnv_classifier_copy), because a forward pass writes the
 * model's activation caches.
 */
#pragma once

#include <gio/gio.h>

#include "cnv-classifier.h"
#include "cnv-dataset.h"
#include "cnv-metrics.h"

G_BEGIN_DECLS

#define CNV_EVALUATION_ERROR (cnv_evaluation_error_quark ())

typedef enum
{
  CNV_EVALUATION_ERROR_MISFIT,      /* the images do not fit the model */
  CNV_EVALUATION_ERROR_NO_IMAGES,   /* nothing to evaluate */
  CNV_EVALUATION_ERROR_NO_ANSWER,   /* the model's output is not a number */
} CnvEvaluationError;

GQuark cnv_evaluation_error_quark (void);

typedef enum
{
  CNV_EVALUATION_SCORES,            /* given probabilities (tests) */
  CNV_EVALUATION_VALIDATION_SPLIT,  /* the split training held out */
  CNV_EVALUATION_FOLDER,            /* every image of a labelled folder */
  CNV_EVALUATION_IMAGES,            /* chosen images of a dataset */
} CnvEvaluationSource;

typedef struct
{
  char   *path;         /* as the dataset found it; NULL for scores */
  guint8  label;        /* class index; 1 is the positive class */
  double  probability;  /* of the positive class, sigmoid of the logit */
} CnvEvaluationItem;

typedef struct
{
  /* What was evaluated. */
  CnvEvaluationSource source;
  char               *folder;             /* NULL for scores */
  char               *class_names[2];
  double              val_split;          /* VALIDATION_SPLIT */
  guint64             seed;               /* VALIDATION_SPLIT */
  guint               folder_counts[2];   /* images per class in the folder */
  guint               folder_skipped;     /* files the folder load skipped */
  /* TRUE when the folder's file list is the one the classifier was
   * trained on (their fingerprints agree), so a validation split holds
   * exactly the images training held out. */
  gboolean            training_folder;

  /* The results, threshold aside. */
  guint               n_items;
  CnvEvaluationItem  *items;              /* in the dataset's order */
  guint               class_counts[2];    /* among the items */
  double              loss;               /* mean binary cross-entropy */
  CnvCurves          *curves;

  /*< private >*/
  gatomicrefcount     ref_count;
  guint              *order;              /* items by falling probability */
  guint              *positives_before;   /* [n + 1]: positives among the
                                           * first k of order */
} CnvEvaluation;

/* From probabilities (each in [0, 1], none NaN) and labels; paths and
 * class_names may be NULL.  The loss is computed from the probabilities
 * (infinite for a certain wrong answer). */
CnvEvaluation *cnv_evaluation_new_from_scores (const double       *probabilities,
                                               const guint8       *labels,
                                               const char * const *paths,
                                               guint               n,
                                               const char * const *class_names);
/* The images of dataset at indices (NULL: every image), through
 * classifier.  The dataset must have the model's input size and the
 * classifier's class names in its order.  Fails when there is no image,
 * when the model answers NaN for one (naming it), or when cancelled. */
CnvEvaluation *cnv_evaluation_new             (CnvClassifier      *classifier,
                                               const CnvDataset   *dataset,
                                               const GArray       *indices,
                                               GCancellable       *cancellable,
                                               GError            **error);
/* The validation split the classifier's last run used:
 * cnv_dataset_split (dataset, classifier->val_split, classifier->seed).
 * Fails with NO_IMAGES when the run had no validation images. */
CnvEvaluation *cnv_evaluation_new_for_split   (CnvClassifier      *classifier,
                                               const CnvDataset   *dataset,
                                               GCancellable       *cancellable,
                                               GError            **error);
/* Every image of a labelled folder, read with the classifier's
 * preprocessing and its class names (which must be subfolders; others are
 * skipped).  Errors name the folder and what is wrong with its layout. */
CnvEvaluation *cnv_evaluation_new_for_folder  (CnvClassifier      *classifier,
                                               const char         *folder,
                                               GCancellable       *cancellable,
                                               GError            **error);
CnvEvaluation *cnv_evaluation_ref             (CnvEvaluation      *evaluation);
void           cnv_evaluation_unref           (CnvEvaluation      *evaluation);

/* The metrics and confusion counts at threshold (positive when the
 * probability is at least the threshold, as cnv_metrics_compute), in
 * O(log n).  The AUC is the curves' one. */
void           cnv_evaluation_metrics_at      (const CnvEvaluation *evaluation,
                                               double               threshold,
                                               CnvMetrics          *metrics);
/* The items (guint indices into items) whose label is true_class and
 * whose prediction at threshold is predicted_class, ordered by the
 * probability they give their true class, lowest first: in a cell of
 * mistakes the most confidently wrong come first, in a cell of right
 * answers the most doubtful.  Ties keep the items' order. */
GArray        *cnv_evaluation_get_cell        (const CnvEvaluation *evaluation,
                                               int                  true_class,
                                               int                  predicted_class,
                                               double               threshold);
/* The threshold among the curves' points with the highest F1 (the
 * highest threshold of equal ones); 0.5 without positives. */
double         cnv_evaluation_best_f1_threshold (const CnvEvaluation *evaluation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvEvaluation, cnv_evaluation_unref)

G_END_DECLS
