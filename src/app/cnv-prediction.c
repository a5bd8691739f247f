/* cnv-prediction.c — rows of the Classify page and their background work
 *
 * The one idea: a worker never shares a model.  The snapshot it reads is
 * never written after the page received it, and each worker runs its own
 * cnv_model_copy () of it, so any number of predictions and inspections
 * can run beside each other, and beside training, without a lock.
 */
#define G_LOG_DOMAIN "cnv-prediction"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cnv-classify-page.h"
#include "cnv-prediction.h"

/* List thumbnails are decoded to fit in this many pixels; smaller images
 * are scaled up by a whole factor toward it, so their pixels stay sharp. */
#define THUMBNAIL_SIZE 64
/* The Original picture of a pasted image, as cnv-classify-page.c draws a
 * file's. */
#define ORIGINAL_SIZE  192

/* Snapshots */

static void
snapshot_clear (gpointer data)
{
  CnvSnapshot *snapshot = data;

  g_clear_pointer (&snapshot->classifier, cnv_classifier_free);
}

CnvSnapshot *
cnv_snapshot_new (CnvClassifier *classifier,
                  guint          id,
                  gboolean       training)
{
  CnvSnapshot *snapshot = g_atomic_rc_box_new0 (CnvSnapshot);

  snapshot->classifier = classifier;
  snapshot->id = id;
  snapshot->training = training;
  if (classifier->optimizer != NULL)
    snapshot->step = cnv_optimizer_get_step (classifier->optimizer);

  return snapshot;
}

CnvSnapshot *
cnv_snapshot_ref (CnvSnapshot *snapshot)
{
  return g_atomic_rc_box_acquire (snapshot);
}

void
cnv_snapshot_unref (CnvSnapshot *snapshot)
{
  g_atomic_rc_box_release_full (snapshot, snapshot_clear);
}

/* Thumbnails: decoded small, never larger than the engine would accept. */

typedef struct
{
  int      max_side;
  gboolean refused;
} ThumbnailSize;

static void
thumbnail_size_prepared_cb (GdkPixbufLoader *loader,
                            int              width,
                            int              height,
                            gpointer         user_data)
{
  ThumbnailSize *size = user_data;
  double scale;

  if (width > CNV_IMAGE_MAX_SIDE || height > CNV_IMAGE_MAX_SIDE
      || (gint64) width * height > CNV_IMAGE_MAX_PIXELS)
    {
      size->refused = TRUE;
      gdk_pixbuf_loader_set_size (loader, 1, 1);
      return;
    }

  scale = (double) size->max_side / MAX (width, height);
  if (scale < 1.0)
    gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale)),
                                MAX (1, (int) (height * scale)));
}

/* Decodes path, or bytes when not NULL, to fit in max_side pixels, and
 * scales a smaller image up by a whole factor toward upscale_to. */
static GdkTexture *
load_thumbnail (const char *path,
                GBytes     *bytes,
                int         max_side,
                int         upscale_to)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GdkPixbuf) rotated = NULL;
  g_autoptr(GdkPixbuf) scaled = NULL;
  g_autoptr(GBytes) contents = NULL;
  ThumbnailSize size = { max_side, FALSE };
  GdkPixbuf *pixbuf;
  int factor;

  if (bytes == NULL)
    {
      g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, NULL);

      if (mapped == NULL)
        return NULL;
      contents = g_mapped_file_get_bytes (mapped);
      bytes = contents;
    }

  g_signal_connect (loader, "size-prepared",
                    G_CALLBACK (thumbnail_size_prepared_cb), &size);
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, NULL)
      || size.refused)
    {
      gdk_pixbuf_loader_close (loader, NULL);
      return NULL;
    }
  if (!gdk_pixbuf_loader_close (loader, NULL))
    return NULL;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    return NULL;
  rotated = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (rotated != NULL)
    pixbuf = rotated;

  factor = MAX (1, upscale_to / MAX (gdk_pixbuf_get_width (pixbuf),
                                     gdk_pixbuf_get_height (pixbuf)));
  if (factor > 1)
    {
      scaled = gdk_pixbuf_scale_simple (pixbuf,
                                        gdk_pixbuf_get_width (pixbuf) * factor,
                                        gdk_pixbuf_get_height (pixbuf) * factor,
                                        GDK_INTERP_NEAREST);
      if (scaled != NULL)
        pixbuf = scaled;
    }

  return gdk_texture_new_for_pixbuf (pixbuf);
}

/* Predictions, worker side */

void
cnv_prediction_outcome_clear (CnvPredictionOutcome *outcome)
{
  g_clear_pointer (&outcome->image, cnv_image_free);
  g_clear_object (&outcome->thumbnail);
  g_clear_error (&outcome->error);
}

void
cnv_prediction_outcome_compute (CnvPredictionOutcome *outcome,
                                const CnvSnapshot    *snapshot,
                                CnvModel             *model,
                                const char           *path,
                                GBytes               *bytes,
                                const char           *name)
{
  const CnvClassifier *c = snapshot->classifier;
  g_autoptr(CnvTensor) input = NULL;
  const CnvTensor *logits;

  memset (outcome, 0, sizeof *outcome);

  /* The one preprocessing path, as training and cnv_classifier_predict_file
   * () take it. */
  if (bytes != NULL)
    outcome->image = cnv_image_load_bytes (bytes, name, &c->preprocessing,
                                           &outcome->error);
  else
    outcome->image = cnv_image_load (path, &c->preprocessing,
                                     &outcome->error);
  if (outcome->image == NULL)
    return;

  input = cnv_inspect_input_new (c, outcome->image, &outcome->error);
  if (input == NULL)
    return;

  /* logit [1] <- model (input [1, C, H, W]), inference */
  logits = cnv_model_forward (model, input, FALSE, NULL);
  if (logits == NULL)
    {
      g_set_error (&outcome->error, CNV_INSPECT_ERROR,
                   CNV_INSPECT_ERROR_NO_MEMORY,
                   _("Not enough memory to run the model on “%s”."), name);
      return;
    }

  outcome->probability = cnv_sigmoid (logits->data[0]);
  outcome->thumbnail = load_thumbnail (path, bytes, THUMBNAIL_SIZE,
                                       THUMBNAIL_SIZE);
}

/* Rows */

struct _CnvPrediction
{
  GObject parent_instance;

  /* owned, set at construction */
  char        *path;
  GBytes      *bytes;
  char        *name;
  guint        order;
  int          truth;           /* set again when found in a class folder */

  /* owned, the last answer */
  CnvSnapshot *snapshot;
  CnvImage    *image;
  GdkTexture  *thumbnail;
  char        *error;
  double       probability;
};

G_DEFINE_FINAL_TYPE (CnvPrediction, cnv_prediction, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cnv_prediction_finalize (GObject *object)
{
  CnvPrediction *self = CNV_PREDICTION (object);

  g_free (self->path);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->name);
  g_clear_pointer (&self->snapshot, cnv_snapshot_unref);
  g_clear_pointer (&self->image, cnv_image_free);
  g_clear_object (&self->thumbnail);
  g_free (self->error);

  G_OBJECT_CLASS (cnv_prediction_parent_class)->finalize (object);
}

static void
cnv_prediction_class_init (CnvPredictionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cnv_prediction_finalize;

  /* The answer changed: a new snapshot predicted the image again. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
cnv_prediction_init (CnvPrediction *self)
{
  self->truth = -1;
  self->probability = NAN;
}

CnvPrediction *
cnv_prediction_new (const char *path,
                    GBytes     *bytes,
                    const char *name,
                    guint       order,
                    int         truth)
{
  CnvPrediction *self = g_object_new (CNV_TYPE_PREDICTION, NULL);

  self->path = g_strdup (path);
  self->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  self->name = g_strdup (name);
  self->order = order;
  self->truth = truth;

  return self;
}

const char *
cnv_prediction_get_path (CnvPrediction *self)
{
  return self->path;
}

GBytes *
cnv_prediction_get_bytes (CnvPrediction *self)
{
  return self->bytes;
}

const char *
cnv_prediction_get_name (CnvPrediction *self)
{
  return self->name;
}

guint
cnv_prediction_get_order (CnvPrediction *self)
{
  return self->order;
}

int
cnv_prediction_get_truth (CnvPrediction *self)
{
  return self->truth;
}

void
cnv_prediction_set_truth (CnvPrediction *self,
                          int            truth)
{
  g_return_if_fail (CNV_IS_PREDICTION (self));

  self->truth = truth;
}

void
cnv_prediction_set_outcome (CnvPrediction        *self,
                            CnvSnapshot          *snapshot,
                            CnvPredictionOutcome *outcome)
{
  g_return_if_fail (CNV_IS_PREDICTION (self));

  g_clear_pointer (&self->snapshot, cnv_snapshot_unref);
  self->snapshot = cnv_snapshot_ref (snapshot);
  g_clear_pointer (&self->error, g_free);
  if (outcome->error != NULL)
    {
      self->error = g_strdup (outcome->error->message);
      self->probability = NAN;
    }
  else
    self->probability = outcome->probability;

  g_clear_pointer (&self->image, cnv_image_free);
  self->image = g_steal_pointer (&outcome->image);
  if (outcome->thumbnail != NULL || self->thumbnail == NULL)
    g_set_object (&self->thumbnail, outcome->thumbnail);
  cnv_prediction_outcome_clear (outcome);

  g_signal_emit (self, signals[CHANGED], 0);
}

CnvSnapshot *
cnv_prediction_get_snapshot (CnvPrediction *self)
{
  return self->snapshot;
}

const char *
cnv_prediction_get_error (CnvPrediction *self)
{
  return self->error;
}

double
cnv_prediction_get_probability (CnvPrediction *self)
{
  return self->probability;
}

int
cnv_prediction_get_class (CnvPrediction *self)
{
  if (self->snapshot == NULL || self->error != NULL)
    return -1;

  return self->probability >= self->snapshot->classifier->threshold ? 1 : 0;
}

const char *
cnv_prediction_get_class_name (CnvPrediction *self)
{
  int predicted = cnv_prediction_get_class (self);

  if (predicted < 0)
    return NULL;

  return self->snapshot->classifier->class_names[predicted];
}

double
cnv_prediction_get_confidence (CnvPrediction *self)
{
  int predicted = cnv_prediction_get_class (self);

  if (predicted < 0)
    return NAN;

  return predicted == 1 ? self->probability : 1.0 - self->probability;
}

gboolean
cnv_prediction_is_near_threshold (CnvPrediction *self)
{
  if (cnv_prediction_get_class (self) < 0)
    return FALSE;

  return fabs (self->probability - self->snapshot->classifier->threshold)
         < CNV_NEAR_THRESHOLD;
}

gboolean
cnv_prediction_is_wrong (CnvPrediction *self)
{
  int predicted = cnv_prediction_get_class (self);

  return predicted >= 0 && self->truth >= 0 && predicted != self->truth;
}

const CnvImage *
cnv_prediction_get_image (CnvPrediction *self)
{
  return self->image;
}

GdkTexture *
cnv_prediction_get_thumbnail (CnvPrediction *self)
{
  return self->thumbnail;
}

/* Inspections */

static void
inspection_clear (gpointer data)
{
  CnvInspection *inspection = data;

  g_clear_pointer (&inspection->snapshot, cnv_snapshot_unref);
  g_clear_pointer (&inspection->image, cnv_image_free);
  g_clear_object (&inspection->original);
  g_clear_pointer (&inspection->maps, cnv_feature_maps_free);
  for (guint i = 0; inspection->cams != NULL && i < 2 * inspection->n_layers;
       i++)
    cnv_gradcam_free (inspection->cams[i]);
  g_free (inspection->cams);
  g_clear_pointer (&inspection->filters, g_ptr_array_unref);
  g_free (inspection->filters_note);
  for (guint i = 0; inspection->histograms != NULL && i < inspection->n_layers;
       i++)
    cnv_histogram_free (inspection->histograms[i]);
  g_free (inspection->histograms);
}

CnvInspection *
cnv_inspection_ref (CnvInspection *inspection)
{
  return g_atomic_rc_box_acquire (inspection);
}

void
cnv_inspection_unref (CnvInspection *inspection)
{
  g_atomic_rc_box_release_full (inspection, inspection_clear);
}

const CnvGradCam *
cnv_inspection_get_cam (const CnvInspection *inspection,
                        guint                layer,
                        int                  target_class)
{
  g_return_val_if_fail (layer < inspection->n_layers, NULL);
  g_return_val_if_fail (target_class == 0 || target_class == 1, NULL);

  return inspection->cams[layer * 2 + target_class];
}

static CnvImage *
copy_image (const CnvImage *image)
{
  CnvImage *copy = cnv_image_new (image->width, image->height,
                                  image->channels);
  guint8 *pixels = copy->pixels;

  *copy = *image;
  copy->pixels = pixels;
  memcpy (pixels, image->pixels,
          (gsize) image->width * image->height * image->channels);

  return copy;
}

CnvInspection *
cnv_inspection_compute (CnvSnapshot     *snapshot,
                        const CnvImage  *image,
                        const char      *path,
                        GBytes          *bytes,
                        GError         **error)
{
  g_autoptr(CnvInspection) inspection = g_atomic_rc_box_new0 (CnvInspection);
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(GError) filters_error = NULL;
  const CnvModelSpec *spec;

  model = cnv_model_copy (snapshot->classifier->model);
  spec = cnv_model_get_spec (model);
  inspection->snapshot = cnv_snapshot_ref (snapshot);
  inspection->image = copy_image (image);
  inspection->n_layers = spec->n_layers;

  input = cnv_inspect_input_new (snapshot->classifier, image, error);
  if (input == NULL)
    return NULL;
  inspection->maps = cnv_feature_maps_compute (model, input, error);
  if (inspection->maps == NULL)
    return NULL;

  /* Grad-CAM for both classes over every convolution: a forward and a
   * backward pass each, so that any choice on screen is already there. */
  inspection->cams = g_new0 (CnvGradCam *, 2 * MAX (spec->n_layers, 1));
  for (guint i = 0; i < spec->n_layers; i++)
    {
      if (spec->layers[i].kind != CNV_LAYER_CONV2D)
        continue;
      for (int target = 0; target < 2; target++)
        {
          inspection->cams[2 * i + target] =
            cnv_gradcam_compute (model, input, i, target, error);
          if (inspection->cams[2 * i + target] == NULL)
            return NULL;
        }
    }

  inspection->filter_layer = -1;
  for (guint i = 0; i < spec->n_layers && inspection->filter_layer < 0; i++)
    if (spec->layers[i].kind == CNV_LAYER_CONV2D)
      inspection->filter_layer = (int) i;
  if (inspection->filter_layer >= 0)
    {
      inspection->filters = cnv_inspect_filters (model,
                                                 inspection->filter_layer,
                                                 &filters_error);
      if (inspection->filters == NULL)
        inspection->filters_note = g_strdup (filters_error->message);
    }
  else
    inspection->filters_note = g_strdup (_("The model has no convolution, "
                                           "so it has no filters to show."));

  inspection->histograms = g_new0 (CnvHistogram *, MAX (spec->n_layers, 1));
  for (guint i = 0; i < spec->n_layers; i++)
    inspection->histograms[i] = cnv_inspect_weight_histogram (
      model, i, CNV_HISTOGRAM_BINS);

  if (path != NULL)
    inspection->original = cnv_classify_page_load_thumbnail (path);
  else if (bytes != NULL)
    inspection->original = load_thumbnail (NULL, bytes, 2 * ORIGINAL_SIZE,
                                           ORIGINAL_SIZE);

  return g_steal_pointer (&inspection);
}
