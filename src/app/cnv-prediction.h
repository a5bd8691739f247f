/* cnv-prediction.h — one image on the Classify page, the weights it was
 * predicted with, and what the page computes for it off the main thread
 *
 * A CnvSnapshot is a classifier copy that nothing writes once it is
 * shared: the window hands one to the page (a copy of the trained model,
 * or one taken at a batch boundary of a run in progress), every worker
 * thread reads it and runs its own copy of the model.  A CnvPrediction is
 * a row of the list: the file (or pasted image), its class folder when it
 * has one, and the answer of the last snapshot that predicted it.  A
 * CnvInspection is everything the views inside the network draw for one
 * image and one snapshot, computed at once so that switching layers,
 * classes or scales is instant.
 */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

/* Probabilities this close to the threshold get a mark. */
#define CNV_NEAR_THRESHOLD 0.1

typedef struct
{
  CnvClassifier *classifier;  /* read-only once shared */
  guint          id;          /* counts the snapshots of a page */
  gboolean       training;    /* taken while a run went on */
  gint64         step;        /* optimizer steps the weights have seen */
} CnvSnapshot;

/* Takes classifier. */
CnvSnapshot *cnv_snapshot_new   (CnvClassifier *classifier,
                                 guint          id,
                                 gboolean       training);
CnvSnapshot *cnv_snapshot_ref   (CnvSnapshot   *snapshot);
void         cnv_snapshot_unref (CnvSnapshot   *snapshot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvSnapshot, cnv_snapshot_unref)

/* The answer for one image, as a worker thread computes it. */
typedef struct
{
  double      probability;   /* of the positive class */
  CnvImage   *image;         /* what the network saw */
  GdkTexture *thumbnail;     /* small, for the list; may be NULL */
  GError     *error;         /* or why there is no answer */
} CnvPredictionOutcome;

void cnv_prediction_outcome_clear (CnvPredictionOutcome *outcome);

/* Worker thread: decodes path (or bytes, when not NULL) with the
 * snapshot's preprocessing and runs model (the thread's own copy of the
 * snapshot's). */
void cnv_prediction_outcome_compute (CnvPredictionOutcome *outcome,
                                     const CnvSnapshot    *snapshot,
                                     CnvModel             *model,
                                     const char           *path,
                                     GBytes               *bytes,
                                     const char           *name);

#define CNV_TYPE_PREDICTION (cnv_prediction_get_type ())

G_DECLARE_FINAL_TYPE (CnvPrediction, cnv_prediction, CNV, PREDICTION, GObject)

/* path or bytes (a pasted image) says where the image comes from; name
 * is what the list shows; truth is the class its folder names, or -1. */
CnvPrediction *cnv_prediction_new (const char *path,
                                   GBytes     *bytes,
                                   const char *name,
                                   guint       order,
                                   int         truth);

const char    *cnv_prediction_get_path        (CnvPrediction *self);
GBytes        *cnv_prediction_get_bytes       (CnvPrediction *self);
const char    *cnv_prediction_get_name        (CnvPrediction *self);
guint          cnv_prediction_get_order       (CnvPrediction *self);
int            cnv_prediction_get_truth       (CnvPrediction *self);
/* The class folder it was found in again (-1: none); no signal, the
 * outcome that follows emits "changed". */
void           cnv_prediction_set_truth       (CnvPrediction *self,
                                               int            truth);

/* Takes the outcome's contents; emits "changed". */
void           cnv_prediction_set_outcome     (CnvPrediction        *self,
                                               CnvSnapshot          *snapshot,
                                               CnvPredictionOutcome *outcome);
CnvSnapshot   *cnv_prediction_get_snapshot    (CnvPrediction *self);
/* NULL when it has an answer. */
const char    *cnv_prediction_get_error       (CnvPrediction *self);
double         cnv_prediction_get_probability (CnvPrediction *self);
/* 0 or 1 at the snapshot's threshold; -1 without an answer. */
int            cnv_prediction_get_class       (CnvPrediction *self);
const char    *cnv_prediction_get_class_name  (CnvPrediction *self);
/* The probability of the predicted class. */
double         cnv_prediction_get_confidence  (CnvPrediction *self);
gboolean       cnv_prediction_is_near_threshold (CnvPrediction *self);
/* TRUE when the folder names a class and the prediction is the other. */
gboolean       cnv_prediction_is_wrong        (CnvPrediction *self);
const CnvImage *cnv_prediction_get_image      (CnvPrediction *self);
GdkTexture    *cnv_prediction_get_thumbnail   (CnvPrediction *self);

/* Everything the views inside the network show for one image. */
typedef struct
{
  CnvSnapshot     *snapshot;
  CnvImage        *image;        /* what the network saw */
  GdkTexture      *original;     /* the file as a viewer shows it, or NULL */
  CnvFeatureMaps  *maps;
  guint            n_layers;
  CnvGradCam     **cams;         /* [n_layers × 2]: layer · 2 + class, NULL
                                  * where the layer is not a convolution */
  int              filter_layer; /* the first convolution, or -1 */
  GPtrArray       *filters;      /* CnvImage tiles of it, or NULL */
  char            *filters_note; /* why there are no tiles, or NULL */
  CnvHistogram   **histograms;   /* [n_layers], NULL where no weight */
} CnvInspection;

#define CNV_HISTOGRAM_BINS 40

/* Worker thread: runs a copy of the snapshot's model on image.  path
 * (may be NULL) is read for the Original picture.  Reference counted:
 * the page's cache and the views share it. */
CnvInspection *cnv_inspection_compute (CnvSnapshot     *snapshot,
                                       const CnvImage  *image,
                                       const char      *path,
                                       GBytes          *bytes,
                                       GError         **error);
CnvInspection *cnv_inspection_ref     (CnvInspection   *inspection);
void           cnv_inspection_unref   (CnvInspection   *inspection);
/* NULL when layer is not a convolution. */
const CnvGradCam *cnv_inspection_get_cam (const CnvInspection *inspection,
                                          guint                layer,
                                          int                  target_class);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvInspection, cnv_inspection_unref)

G_END_DECLS
