/* cnv-classifier.c — a binary image classifier: training, evaluation and
 * prediction over a model, its preprocessing and its optimizer
 *
 * Training is mini-batch gradient descent on the binary cross-entropy of
 * the single logit.  The idea that makes runs repeatable and resumable is
 * that nothing random depends on how the run got where it is: the split
 * depends only on the seed, and the shuffle and the dropout masks of epoch
 * e come from generators seeded with (seed, e).  So epochs 1–2, a save,
 * an open and epoch 3 draw exactly what epochs 1–3 in one go draw, and
 * with the optimizer state carried along the weights agree bit for bit.
 *
 * Conventions a caller should know:
 * - The last mini-batch of an epoch is smaller when the training images
 *   do not divide evenly; it is used, not dropped.
 * - A stop request ends the run at the next batch boundary with the
 *   weights of the last complete step.  The interrupted epoch gets no
 *   history record; the next run starts that epoch again from its first
 *   batch (so a stopped-and-resumed run is not bit-identical to an
 *   uninterrupted one, but a run resumed after a complete epoch is).
 * - When a batch loss or the weights stop being finite, the weights,
 *   batch-norm statistics and optimizer state are put back to what they
 *   were before the last step, and the run fails with
 *   CNV_TRAIN_ERROR_NOT_FINITE.
 * - A classifier's seed of 0 means "none": CnvTrainConfig.seed is then
 *   taken and stored.
 */
#define G_LOG_DOMAIN "cnv-classifier"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cnv-classifier.h"
#include "cnv-classifier-private.h"

/* Streams of the run's seed; an epoch e uses SHUFFLE_STREAM + e and
 * DROPOUT_STREAM + e, far apart so the two never meet. */
#define SHUFFLE_STREAM      0
#define DROPOUT_STREAM      1000003
#define AUGMENT_STREAM      2000003
/* Inference runs one image per forward pass.  Matrix products over a
 * batch round differently from the same products over one row (OpenBLAS
 * picks other kernels and blockings for other shapes), so batching would
 * make an image's probability depend on its companions in the last
 * digits (C04).  One image at a time is a little slower and exact. */
#define PREDICT_BATCH_SIZE  1

G_DEFINE_QUARK (cnv-train-error-quark, cnv_train_error)

void
cnv_train_config_init_default (CnvTrainConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->epochs = 10;
  config->batch_size = 64;
  cnv_optimizer_config_init_default (&config->optimizer, CNV_OPTIMIZER_ADAM);
  config->seed = 42;
  config->val_split = 0.2;
  config->threads = 0;
  cnv_schedule_init_default (&config->schedule);
  cnv_augmentation_init_default (&config->augmentation);
  config->class_weights = CNV_CLASS_WEIGHTS_NONE;
  config->patience = 0;
  config->min_delta = 0.0;
  config->keep_best = FALSE;
}

const char *
cnv_class_weights_to_string (CnvClassWeights weights)
{
  return weights == CNV_CLASS_WEIGHTS_BALANCED ? "balanced" : "none";
}

gboolean
cnv_class_weights_from_string (const char      *name,
                               CnvClassWeights *weights)
{
  if (g_strcmp0 (name, "none") == 0)
    *weights = CNV_CLASS_WEIGHTS_NONE;
  else if (g_strcmp0 (name, "balanced") == 0)
    *weights = CNV_CLASS_WEIGHTS_BALANCED;
  else
    return FALSE;

  return TRUE;
}

static CnvClassifier *
classifier_alloc (void)
{
  CnvClassifier *classifier = g_new0 (CnvClassifier, 1);

  classifier->positive_class = 1;
  classifier->threshold = 0.5;
  classifier->batch_size = 64;
  classifier->val_split = 0.2;
  classifier->history = g_array_new (FALSE, TRUE, sizeof (CnvEpochRecord));
  classifier->notices = g_ptr_array_new_with_free_func (g_free);
  cnv_schedule_init_default (&classifier->schedule);
  cnv_augmentation_init_default (&classifier->augmentation);

  return classifier;
}

static CnvClassifier *
classifier_new (const CnvModelSpec     *spec,
                const CnvPreprocessing *pp,
                const char * const     *class_names,
                guint64                 seed,
                gboolean                init,
                GError                **error)
{
  g_autoptr(CnvClassifier) classifier = NULL;
  CnvRng rng;

  classifier = classifier_alloc ();
  classifier->model = cnv_model_new (spec, error);
  if (classifier->model == NULL)
    return NULL;

  classifier->preprocessing = *pp;
  classifier->seed = seed;
  for (guint i = 0; i < 2; i++)
    classifier->class_names[i] =
      g_strdup (class_names != NULL && class_names[i] != NULL
                ? class_names[i] : (i == 0 ? "0" : "1"));

  if (!cnv_classifier_check (classifier, error))
    return NULL;

  if (init)
    {
      cnv_rng_init (&rng, seed);
      cnv_model_init_parameters (classifier->model, &rng);
    }

  return g_steal_pointer (&classifier);
}

CnvClassifier *
cnv_classifier_new (const CnvModelSpec     *spec,
                    const CnvPreprocessing *pp,
                    const char * const     *class_names,
                    guint64                 seed,
                    GError                **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (pp != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return classifier_new (spec, pp, class_names, seed, TRUE, error);
}

CnvClassifier *
cnv_classifier_new_unset (const CnvModelSpec     *spec,
                          const CnvPreprocessing *pp,
                          const char * const     *class_names,
                          guint64                 seed,
                          GError                **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (pp != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return classifier_new (spec, pp, class_names, seed, FALSE, error);
}

void
cnv_classifier_free (CnvClassifier *classifier)
{
  if (classifier == NULL)
    return;

  g_clear_pointer (&classifier->model, cnv_model_free);
  g_clear_pointer (&classifier->optimizer, cnv_optimizer_free);
  g_free (classifier->class_names[0]);
  g_free (classifier->class_names[1]);
  g_clear_pointer (&classifier->history, g_array_unref);
  g_free (classifier->dataset_folder);
  g_free (classifier->dataset_fingerprint);
  g_clear_pointer (&classifier->notices, g_ptr_array_unref);
  g_free (classifier);
}

CnvClassifier *
cnv_classifier_copy (const CnvClassifier *classifier)
{
  CnvClassifier *copy;

  g_return_val_if_fail (classifier != NULL, NULL);

  copy = classifier_alloc ();
  copy->model = cnv_model_copy (classifier->model);
  copy->preprocessing = classifier->preprocessing;
  copy->class_names[0] = g_strdup (classifier->class_names[0]);
  copy->class_names[1] = g_strdup (classifier->class_names[1]);
  copy->positive_class = classifier->positive_class;
  copy->threshold = classifier->threshold;
  if (classifier->optimizer != NULL)
    copy->optimizer = cnv_optimizer_copy (classifier->optimizer);
  copy->seed = classifier->seed;
  copy->batch_size = classifier->batch_size;
  copy->val_split = classifier->val_split;
  copy->schedule = classifier->schedule;
  copy->augmentation = classifier->augmentation;
  copy->class_weights = classifier->class_weights;
  copy->patience = classifier->patience;
  copy->keep_best = classifier->keep_best;
  copy->best_epoch = classifier->best_epoch;
  if (classifier->history != NULL)
    g_array_append_vals (copy->history, classifier->history->data,
                         classifier->history->len);
  copy->dataset_folder = g_strdup (classifier->dataset_folder);
  copy->dataset_counts[0] = classifier->dataset_counts[0];
  copy->dataset_counts[1] = classifier->dataset_counts[1];
  copy->dataset_skipped = classifier->dataset_skipped;
  copy->dataset_fingerprint = g_strdup (classifier->dataset_fingerprint);
  if (classifier->notices != NULL)
    for (guint i = 0; i < classifier->notices->len; i++)
      g_ptr_array_add (copy->notices,
                       g_strdup (g_ptr_array_index (classifier->notices, i)));

  return copy;
}

gboolean
cnv_classifier_check (const CnvClassifier  *classifier,
                      GError              **error)
{
  const CnvModelSpec *spec;
  const CnvPreprocessing *pp;
  int channels;

  g_return_val_if_fail (classifier != NULL, FALSE);
  g_return_val_if_fail (classifier->model != NULL, FALSE);

  spec = cnv_model_get_spec (classifier->model);
  pp = &classifier->preprocessing;
  channels = cnv_preprocessing_get_channels (pp);

  if (pp->width != spec->width || pp->height != spec->height
      || channels != spec->channels)
    {
      g_autofree char *made = NULL;
      g_autofree char *needed = NULL;

      made = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The preprocessing makes %d×%d "
                                           "images with %d channel.",
                                           "The preprocessing makes %d×%d "
                                           "images with %d channels.",
                                           (gulong) channels),
                              pp->width, pp->height, channels);
      needed = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The model’s input is %d×%d "
                                             "with %d channel; make the "
                                             "preprocessing size and colour "
                                             "mode match the model input.",
                                             "The model’s input is %d×%d "
                                             "with %d channels; make the "
                                             "preprocessing size and colour "
                                             "mode match the model input.",
                                             (gulong) spec->channels),
                                spec->width, spec->height, spec->channels);
      /* Two whole sentences, each with its own plural. */
      g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID,
                   "%s %s", made, needed);
      return FALSE;
    }

  return TRUE;
}

/* A [n, …] view of the first n samples of a preallocated batch tensor, so
 * the short last batch needs no second buffer. */
static CnvTensor
batch_view (const CnvTensor *tensor,
            int              n)
{
  CnvTensor view = *tensor;

  view.shape[0] = n;
  view.size = tensor->size / (gsize) tensor->shape[0] * (gsize) n;

  return view;
}

/* input [n, C, H, W] <- the preprocessed pixels of n images */
static void
fill_input (const CnvPreprocessing *pp,
            const guint8          **pixels,
            guint                   n,
            CnvTensor              *input)
{
  gsize per_image = input->size / (gsize) input->shape[0];

  for (guint i = 0; i < n; i++)
    cnv_image_to_input (pixels[i], pp, input->data + i * per_image);
}

void
cnv_classifier_predict_pixels (CnvClassifier  *classifier,
                               const guint8  **pixels,
                               guint           n,
                               float          *logits)
{
  const CnvModelSpec *spec;
  g_autoptr(CnvTensor) input = NULL;
  CnvRng rng;

  g_return_if_fail (classifier != NULL);
  g_return_if_fail (n == 0 || (pixels != NULL && logits != NULL));

  if (n == 0)
    return;

  spec = cnv_model_get_spec (classifier->model);
  input = cnv_tensor_new_4d ((int) MIN (n, PREDICT_BATCH_SIZE),
                             spec->channels, spec->height, spec->width);
  /* Inference draws nothing, but the model may want a generator. */
  cnv_rng_init (&rng, classifier->seed);

  for (guint start = 0; start < n; start += PREDICT_BATCH_SIZE)
    {
      guint count = MIN (n - start, PREDICT_BATCH_SIZE);
      CnvTensor view = batch_view (input, (int) count);
      const CnvTensor *out;

      fill_input (&classifier->preprocessing, pixels + start, count, &view);

      /* logits [count] <- model (input [count, C, H, W]), inference */
      out = cnv_model_forward (classifier->model, &view, FALSE, &rng);
      if (out == NULL)
        {
          /* cnv_model_forward () warned; NaN says "no answer". */
          for (guint i = 0; i < count; i++)
            logits[start + i] = NAN;
          continue;
        }
      memcpy (logits + start, out->data, count * sizeof (float));
    }
}

gboolean
cnv_classifier_predict_file (CnvClassifier  *classifier,
                             const char     *path,
                             double         *probability,
                             CnvImage      **image,
                             GError        **error)
{
  g_autoptr(CnvImage) loaded = NULL;
  const guint8 *pixels;
  float logit;

  g_return_val_if_fail (classifier != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cnv_classifier_check (classifier, error))
    return FALSE;

  /* The one preprocessing path: the same two calls as training. */
  loaded = cnv_image_load (path, &classifier->preprocessing, error);
  if (loaded == NULL)
    return FALSE;

  pixels = loaded->pixels;
  cnv_classifier_predict_pixels (classifier, &pixels, 1, &logit);

  if (probability != NULL)
    *probability = cnv_sigmoid (logit);
  if (image != NULL)
    *image = g_steal_pointer (&loaded);

  return TRUE;
}

static gboolean
dataset_fits (const CnvClassifier *classifier,
              const CnvDataset    *dataset)
{
  const CnvModelSpec *spec = cnv_model_get_spec (classifier->model);

  return dataset->width == spec->width && dataset->height == spec->height
         && dataset->channels == spec->channels;
}

void
cnv_classifier_evaluate (CnvClassifier    *classifier,
                         const CnvDataset *dataset,
                         const GArray     *indices,
                         CnvMetrics       *metrics)
{
  g_autofree const guint8 **pixels = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree float *logits = NULL;
  guint n;

  g_return_if_fail (metrics != NULL);
  /* A caller that ignores a failed guard reads zeros, not garbage. */
  memset (metrics, 0, sizeof *metrics);
  g_return_if_fail (classifier != NULL);
  g_return_if_fail (dataset != NULL);
  g_return_if_fail (dataset_fits (classifier, dataset));

  n = indices != NULL ? indices->len : dataset->n_images;
  pixels = g_new (const guint8 *, MAX (n, 1));
  labels = g_new (guint8, MAX (n, 1));
  logits = g_new (float, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      guint index = indices != NULL ? g_array_index (indices, guint, i) : i;

      g_return_if_fail (index < dataset->n_images);
      pixels[i] = cnv_dataset_get_pixels (dataset, index);
      labels[i] = dataset->labels[index];
    }

  cnv_classifier_predict_pixels (classifier, pixels, n, logits);
  cnv_metrics_compute (logits, labels, n, classifier->threshold, metrics);
}

/* A copy of every tensor a step changes (weights, batch-norm statistics
 * and optimizer state) to fall back on when a step goes non-finite.  It
 * is a few hundred kilobytes for the models Convolve trains. */
typedef struct
{
  GPtrArray *tensors;  /* CnvTensor*, borrowed: model params, then slots */
  GPtrArray *saved;    /* float*, one per tensor */
  gint64     step;
} Backup;

static void
backup_init (Backup             *backup,
             CnvModel           *model,
             const CnvOptimizer *optimizer)
{
  backup->tensors = g_ptr_array_new ();
  backup->saved = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    g_ptr_array_add (backup->tensors, cnv_model_get_param (model, i)->value);
  for (guint i = 0; i < cnv_optimizer_get_n_slots (optimizer); i++)
    g_ptr_array_add (backup->tensors,
                     cnv_optimizer_get_slot (optimizer, i)->value);

  for (guint i = 0; i < backup->tensors->len; i++)
    {
      const CnvTensor *value = g_ptr_array_index (backup->tensors, i);

      g_ptr_array_add (backup->saved, g_new (float, value->size));
    }
}

static void
backup_clear (Backup *backup)
{
  g_clear_pointer (&backup->tensors, g_ptr_array_unref);
  g_clear_pointer (&backup->saved, g_ptr_array_unref);
}

/* restore FALSE: backup <- tensors and step; TRUE: the other way. */
static void
backup_copy (Backup       *backup,
             CnvOptimizer *optimizer,
             gboolean      restore)
{
  for (guint i = 0; i < backup->tensors->len; i++)
    {
      CnvTensor *value = g_ptr_array_index (backup->tensors, i);
      float *saved = g_ptr_array_index (backup->saved, i);
      gsize n_bytes = value->size * sizeof (float);

      if (restore)
        memcpy (value->data, saved, n_bytes);
      else
        memcpy (saved, value->data, n_bytes);
    }

  if (restore)
    cnv_optimizer_set_step (optimizer, backup->step);
  else
    backup->step = cnv_optimizer_get_step (optimizer);
}

/* Every weight is finite; it runs after every step. */
static gboolean
params_finite (const CnvModel *model)
{
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      const CnvTensor *value = cnv_model_get_param (model, i)->value;

      if (!cnv_floats_finite (value->data, value->size))
        return FALSE;
    }

  return TRUE;
}

static void
set_dataset_mismatch_error (GError             **error,
                            const CnvDataset    *dataset,
                            const CnvModelSpec  *spec)
{
  g_autofree char *folder = NULL;
  g_autofree char *prepared = NULL;
  g_autofree char *needed = NULL;

  folder = g_filename_display_name (dataset->folder != NULL
                                    ? dataset->folder : "");
  prepared = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The images of “%s” were "
                                           "prepared at %d×%d with %d "
                                           "channel.",
                                           "The images of “%s” were "
                                           "prepared at %d×%d with %d "
                                           "channels.",
                                           (gulong) dataset->channels),
                              folder, dataset->width, dataset->height,
                              dataset->channels);
  needed = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The model’s input is %d×%d with "
                                         "%d channel; load the folder with "
                                         "the model’s preprocessing.",
                                         "The model’s input is %d×%d with "
                                         "%d channels; load the folder with "
                                         "the model’s preprocessing.",
                                         (gulong) spec->channels),
                            spec->width, spec->height, spec->channels);

  /* Two whole sentences, each with its own plural. */
  g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID, "%s %s",
               prepared, needed);
}

static gboolean
check_train_config (const CnvClassifier  *classifier,
                    const CnvDataset     *dataset,
                    const CnvTrainConfig *config,
                    GError              **error)
{
  const CnvModelSpec *spec = cnv_model_get_spec (classifier->model);
  g_autoptr(GError) local_error = NULL;

  if (!cnv_classifier_check (classifier, error))
    return FALSE;

  if (!dataset_fits (classifier, dataset))
    {
      set_dataset_mismatch_error (error, dataset, spec);
      return FALSE;
    }

  if (config->batch_size == 0 || config->batch_size > CNV_MAX_BATCH_SIZE)
    {
      g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID,
                   _("The batch size is %u; use a batch size from 1 to %d."),
                   config->batch_size, CNV_MAX_BATCH_SIZE);
      return FALSE;
    }

  if (!(config->val_split >= 0.0 && config->val_split < 1.0))
    {
      g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID,
                   _("The validation split is %g; use a fraction of at "
                     "least 0 and below 1."), config->val_split);
      return FALSE;
    }

  if (!cnv_optimizer_config_validate (&config->optimizer, &local_error)
      || !cnv_schedule_validate (&config->schedule, &local_error)
      || !cnv_augmentation_validate (&config->augmentation, &local_error))
    {
      g_set_error_literal (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID,
                           local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Keeps a resumable optimizer (same kind and the same slots) with new
 * hyperparameters, or starts a fresh one. */
static void
prepare_optimizer (CnvClassifier            *classifier,
                   const CnvOptimizerConfig *config)
{
  const CnvOptimizerConfig *old;

  if (classifier->optimizer != NULL)
    {
      old = cnv_optimizer_get_config (classifier->optimizer);
      if (cnv_optimizer_config_same_state (old, config))
        {
          cnv_optimizer_set_config (classifier->optimizer, config);
          return;
        }

      g_debug ("Replacing the %s optimizer by a new %s one",
               cnv_optimizer_kind_to_string (old->kind),
               cnv_optimizer_kind_to_string (config->kind));
      g_clear_pointer (&classifier->optimizer, cnv_optimizer_free);
    }

  classifier->optimizer = cnv_optimizer_new (config, classifier->model);
}

static void
store_dataset_summary (CnvClassifier    *classifier,
                       const CnvDataset *dataset)
{
  for (guint i = 0; i < 2; i++)
    {
      g_free (classifier->class_names[i]);
      classifier->class_names[i] = g_strdup (dataset->class_names[i]);
      classifier->dataset_counts[i] = dataset->class_counts[i];
    }

  g_free (classifier->dataset_folder);
  classifier->dataset_folder = g_strdup (dataset->folder);
  g_free (classifier->dataset_fingerprint);
  classifier->dataset_fingerprint = g_strdup (dataset->fingerprint);
  classifier->dataset_skipped = dataset->skipped != NULL
                                ? dataset->skipped->len
                                : dataset->skipped_counts[0]
                                  + dataset->skipped_counts[1];
}

/* Everything one run keeps across its batches. */
typedef struct
{
  CnvClassifier        *classifier;
  const CnvDataset     *dataset;
  const CnvTrainConfig *config;
  CnvTrainControl      *control;
  CnvTrainProgressFunc  progress;
  gpointer              user_data;

  GArray               *train;       /* guint dataset indices */
  GArray               *validation;
  guint                 batch_size;  /* B: the config's, at most |train| */
  CnvTensor            *input;       /* [B, C, H, W] */
  CnvTensor            *logits_grad; /* [B] */
  guint8               *labels;      /* [B] */
  const guint8        **pixels;      /* [B] */
  guint                *order;       /* the epoch's shuffled train indices */
  float                *weights;     /* [B] class weights, NULL: none */
  guint8               *augmented;   /* [B, H, W, C] when augmenting */
  float                 class_weight[2];
  CnvSchedule           schedule;    /* total_epochs resolved */
  Backup                backup;
  Backup                best;        /* keep_best: the best epoch so far */
  CnvBestTracker        tracker;

  guint                 last_epoch;
  gint64                run_start;
  gint64                paused_usec;    /* time spent paused, left out of
                                         * the elapsed time */
  guint64               images_seen;
  gint64                train_usec;  /* time spent in train_batch () */
} Run;

/* What one epoch adds up over its batches. */
typedef struct
{
  guint   epoch;
  guint   n_batches;
  gint64  start;
  CnvRng  dropout_rng;
  CnvRng  augment_rng;
  double  loss_sum;
  guint   correct;
  guint   seen;
  guint   batch_correct;   /* of the last batch */
  guint   batch_seen;
} Epoch;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->train, g_array_unref);
  g_clear_pointer (&run->validation, g_array_unref);
  g_clear_pointer (&run->input, cnv_tensor_free);
  g_clear_pointer (&run->logits_grad, cnv_tensor_free);
  g_clear_pointer (&run->labels, g_free);
  g_clear_pointer (&run->pixels, g_free);
  g_clear_pointer (&run->order, g_free);
  g_clear_pointer (&run->weights, g_free);
  g_clear_pointer (&run->augmented, g_free);
  backup_clear (&run->backup);
  backup_clear (&run->best);
}

static double
seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static void
set_no_memory_error (GError             **error,
                     guint                batch_size,
                     const CnvModelSpec  *spec)
{
  g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_NO_MEMORY,
               g_dngettext (GETTEXT_PACKAGE,
                            "There is not enough memory for a batch of %u "
                            "image of %d×%d; lower the batch size.",
                            "There is not enough memory for a batch of %u "
                            "images of %d×%d; lower the batch size.",
                            batch_size),
               batch_size, spec->width, spec->height);
}

static void
set_not_finite_error (GError **error,
                      guint    epoch,
                      guint    batch,
                      gboolean in_loss)
{
  if (in_loss)
    g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_NOT_FINITE,
                 _("The training loss stopped being a finite number in "
                   "epoch %u, batch %u; try a lower learning rate or "
                   "check that the images are scaled to small values."),
                 epoch, batch);
  else
    g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_NOT_FINITE,
                 _("The weights stopped being finite numbers in epoch %u, "
                   "batch %u; try a lower learning rate or check that the "
                   "images are scaled to small values."),
                 epoch, batch);
}

static void
epoch_begin (Run   *run,
             guint  epoch,
             Epoch *state)
{
  guint64 seed = run->classifier->seed;
  guint n_train = run->train->len;
  CnvRng shuffle_rng;

  memset (state, 0, sizeof *state);
  state->epoch = epoch;
  state->n_batches = (n_train + run->batch_size - 1) / run->batch_size;
  state->start = g_get_monotonic_time ();

  /* order [n_train] <- train indices in the order of epoch e */
  memcpy (run->order, run->train->data, n_train * sizeof (guint));
  cnv_rng_init_stream (&shuffle_rng, seed, SHUFFLE_STREAM + epoch);
  cnv_rng_shuffle (&shuffle_rng, run->order, n_train);
  cnv_rng_init_stream (&state->dropout_rng, seed, DROPOUT_STREAM + epoch);
  cnv_rng_init_stream (&state->augment_rng, seed, AUGMENT_STREAM + epoch);
}

/* input [count, C, H, W] and labels [count] <- images first … first +
 * count − 1 of the epoch's order */
static void
load_batch (Run       *run,
            Epoch     *state,
            guint      first,
            guint      count,
            CnvTensor *input)
{
  const CnvDataset *dataset = run->dataset;
  const CnvPreprocessing *pp = &run->classifier->preprocessing;
  gsize image_size = (gsize) dataset->width * dataset->height
                     * dataset->channels;

  for (guint i = 0; i < count; i++)
    {
      guint index = run->order[first + i];

      run->pixels[i] = cnv_dataset_get_pixels (dataset, index);
      run->labels[i] = dataset->labels[index];
      if (run->weights != NULL)
        run->weights[i] = run->class_weight[run->labels[i]];

      /* augmented [i] <- a fresh random change of the image */
      if (run->augmented != NULL)
        {
          guint8 *out = run->augmented + i * image_size;

          cnv_augment (&run->config->augmentation, run->pixels[i], out,
                       dataset->width, dataset->height, dataset->channels,
                       NULL, &state->augment_rng);
          run->pixels[i] = out;
        }
    }
  fill_input (pp, run->pixels, count, input);
}

/* One optimizer step on `count` images.  On a non-finite loss or weights
 * the state from before the step is put back and FALSE returned. */
static gboolean
train_batch (Run     *run,
             Epoch   *state,
             guint    batch,
             guint    count,
             double  *loss,
             GError **error)
{
  CnvClassifier *classifier = run->classifier;
  CnvModel *model = classifier->model;
  CnvOptimizer *optimizer = classifier->optimizer;
  CnvTensor input = batch_view (run->input, (int) count);
  CnvTensor grad = batch_view (run->logits_grad, (int) count);
  const CnvTensor *logits;

  load_batch (run, state, (batch - 1) * run->batch_size, count, &input);
  cnv_optimizer_set_learning_rate (optimizer,
    cnv_schedule_learning_rate (&run->schedule,
                                run->config->optimizer.learning_rate,
                                state->epoch, batch, state->n_batches));

  /* logits [count] <- model (input [count, C, H, W]), training */
  logits = cnv_model_forward (model, &input, TRUE, &state->dropout_rng);
  if (logits == NULL)
    {
      set_no_memory_error (error, count, cnv_model_get_spec (model));
      return FALSE;
    }

  /* grad [count] = d mean-BCE / d logits */
  *loss = cnv_bce_with_logits (logits->data, run->labels, run->weights,
                               count, grad.data);
  if (!isfinite (*loss))
    {
      /* The backup holds the state from before the last step (or from the
       * start of the run, before its first step). */
      backup_copy (&run->backup, optimizer, TRUE);
      set_not_finite_error (error, state->epoch, batch, TRUE);
      return FALSE;
    }

  state->batch_correct = 0;
  for (guint i = 0; i < count; i++)
    if ((cnv_sigmoid (logits->data[i]) >= classifier->threshold)
        == (run->labels[i] != 0))
      state->batch_correct++;

  cnv_model_zero_grad (model);
  cnv_model_backward (model, &grad, NULL);

  backup_copy (&run->backup, optimizer, FALSE);
  cnv_optimizer_step (optimizer, model);
  if (!params_finite (model))
    {
      backup_copy (&run->backup, optimizer, TRUE);
      set_not_finite_error (error, state->epoch, batch, FALSE);
      return FALSE;
    }

  state->loss_sum += *loss * count;
  state->correct += state->batch_correct;
  state->seen += count;
  state->batch_seen = count;
  run->images_seen += count;

  return TRUE;
}

static void
report (Run                  *run,
        const Epoch          *state,
        CnvTrainProgressKind  kind,
        guint                 batch,
        double                batch_loss,
        const CnvEpochRecord *record)
{
  double elapsed = seconds_since (run->run_start + run->paused_usec);
  CnvTrainProgress progress = { 0 };

  if (run->progress == NULL)
    return;

  progress.kind = kind;
  progress.epoch = state->epoch;
  progress.last_epoch = run->last_epoch;
  progress.batch = batch;
  progress.n_batches = state->n_batches;
  progress.step = cnv_optimizer_get_step (run->classifier->optimizer);
  progress.batch_loss = batch_loss;
  progress.batch_accuracy = state->batch_seen > 0
                            ? (double) state->batch_correct / state->batch_seen
                            : 0.0;
  progress.learning_rate =
    cnv_optimizer_get_config (run->classifier->optimizer)->learning_rate;
  progress.running_loss = state->seen > 0
                          ? state->loss_sum / state->seen : 0.0;
  progress.running_accuracy = state->seen > 0
                              ? (double) state->correct / state->seen : 0.0;
  progress.elapsed = elapsed;
  progress.images_per_second = run->train_usec > 0
                               ? run->images_seen * (double) G_USEC_PER_SEC
                                 / run->train_usec
                               : 0.0;
  progress.record = record;
  run->progress (&progress, run->user_data);
}

/* Appends the epoch's record to the history, validation included. */
static const CnvEpochRecord *
epoch_finish (Run         *run,
              const Epoch *state)
{
  CnvClassifier *classifier = run->classifier;
  CnvOptimizer *optimizer = classifier->optimizer;
  CnvEpochRecord record = { 0 };

  record.epoch = state->epoch;
  record.step = cnv_optimizer_get_step (optimizer);
  record.learning_rate = cnv_optimizer_get_config (optimizer)->learning_rate;
  record.train_loss = state->seen > 0 ? state->loss_sum / state->seen : 0.0;
  record.train_accuracy = state->seen > 0
                          ? (double) state->correct / state->seen : 0.0;
  if (run->validation->len > 0)
    cnv_classifier_evaluate (classifier, run->dataset, run->validation,
                             &record.validation);
  else
    cnv_metrics_compute (NULL, NULL, 0, classifier->threshold,
                         &record.validation);
  record.seconds = seconds_since (state->start);
  g_array_append_val (classifier->history, record);

  return &g_array_index (classifier->history, CnvEpochRecord,
                         classifier->history->len - 1);
}

/* After an epoch with validation: the best epoch so far (its weights kept
 * when keep_best), and the end of the run when patience ran out. */
static void
track_best (Run                  *run,
            const CnvEpochRecord *record,
            gboolean             *stopped)
{
  if (record->validation.n == 0)
    return;

  switch (cnv_best_tracker_update (&run->tracker, record->epoch,
                                   record->validation.loss))
    {
    case CNV_BEST_IMPROVED:
      if (run->config->keep_best)
        backup_copy (&run->best, run->classifier->optimizer, FALSE);
      break;

    case CNV_BEST_EXHAUSTED:
      g_debug ("No better validation loss than %g (epoch %u) for %u epochs",
               run->tracker.best_loss, run->tracker.best_epoch,
               run->tracker.patience);
      if (run->control != NULL)
        run->control->stopped_early = TRUE;
      *stopped = TRUE;
      break;

    case CNV_BEST_WAITING:
    default:
      break;
    }
}

/* One epoch.  Returns FALSE with error on a non-finite loss; sets
 * *stopped when a stop request or early stopping ended the run. */
static gboolean
run_epoch (Run       *run,
           guint      epoch,
           gboolean  *stopped,
           GError   **error)
{
  guint n_train = run->train->len;
  const CnvEpochRecord *record;
  Epoch state;

  epoch_begin (run, epoch, &state);

  for (guint batch = 1; batch <= state.n_batches; batch++)
    {
      guint count = MIN (run->batch_size,
                         n_train - (batch - 1) * run->batch_size);
      double loss = 0.0;
      gint64 batch_start;
      gboolean ok;

      /* Paused: wait here, at a batch boundary, for resume or stop. */
      if (run->control != NULL && g_atomic_int_get (&run->control->pause))
        {
          gint64 pause_start = g_get_monotonic_time ();

          while (g_atomic_int_get (&run->control->pause)
                 && !g_atomic_int_get (&run->control->stop))
            g_usleep (5000);

          run->paused_usec += g_get_monotonic_time () - pause_start;
          state.start += g_get_monotonic_time () - pause_start;
        }

      if (run->control != NULL && g_atomic_int_get (&run->control->stop))
        {
          *stopped = TRUE;
          return TRUE;
        }

      /* Only the step itself is timed, like PyTorch's loop in
       * bench/torch_lenet.py: not the reports nor the validation. */
      batch_start = g_get_monotonic_time ();
      ok = train_batch (run, &state, batch, count, &loss, error);
      run->train_usec += g_get_monotonic_time () - batch_start;
      if (!ok)
        return FALSE;
      report (run, &state, CNV_TRAIN_PROGRESS_BATCH, batch, loss, NULL);
    }

  record = epoch_finish (run, &state);
  track_best (run, record, stopped);
  report (run, &state, CNV_TRAIN_PROGRESS_EPOCH, state.n_batches, 0.0,
          record);

  return TRUE;
}

/* The batch buffers, for at most as many images as there are to train
 * on: a batch size above that would only allocate memory never used. */
static gboolean
run_alloc (Run     *run,
           GError **error)
{
  const CnvModelSpec *spec = cnv_model_get_spec (run->classifier->model);
  guint batch_size = MIN (run->config->batch_size, run->train->len);

  run->batch_size = batch_size;
  run->input = cnv_tensor_new_4d ((int) batch_size, spec->channels,
                                  spec->height, spec->width);
  run->logits_grad = cnv_tensor_new_1d ((int) batch_size);
  if (run->input == NULL || run->logits_grad == NULL)
    {
      set_no_memory_error (error, batch_size, spec);
      return FALSE;
    }

  run->labels = g_new0 (guint8, batch_size);
  run->pixels = g_new0 (const guint8 *, batch_size);
  run->order = g_new (guint, run->train->len);
  if (run->config->class_weights == CNV_CLASS_WEIGHTS_BALANCED)
    run->weights = g_new (float, batch_size);
  if (cnv_augmentation_is_active (&run->config->augmentation))
    {
      gsize bytes = (gsize) batch_size * spec->width * spec->height
                    * spec->channels;

      run->augmented = g_try_malloc (bytes);
      if (run->augmented == NULL)
        {
          set_no_memory_error (error, batch_size, spec);
          return FALSE;
        }
    }

  return TRUE;
}

/* Balanced class weights from the training images: n / (2 n_c), so that
 * both classes weigh the same in the loss (a class without training
 * images weighs nothing). */
static void
run_class_weights (Run *run)
{
  guint counts[2] = { 0, 0 };

  for (guint i = 0; i < run->train->len; i++)
    counts[run->dataset->labels[g_array_index (run->train, guint, i)]]++;
  cnv_class_weights_compute (run->config->class_weights, counts,
                             run->class_weight);
}

void
cnv_class_weights_compute (CnvClassWeights weights,
                           const guint     counts[2],
                           float           out[2])
{
  guint n = counts[0] + counts[1];

  for (guint c = 0; c < 2; c++)
    out[c] = weights != CNV_CLASS_WEIGHTS_BALANCED ? 1.0f
             : counts[c] > 0 ? (float) n / (2.0f * counts[c]) : 0.0f;
}

void
cnv_best_tracker_init (CnvBestTracker *tracker,
                       guint           patience,
                       double          min_delta)
{
  g_return_if_fail (tracker != NULL);

  tracker->patience = patience;
  tracker->min_delta = min_delta;
  tracker->best_epoch = 0;
  tracker->best_loss = INFINITY;
}

CnvBestVerdict
cnv_best_tracker_update (CnvBestTracker *tracker,
                         guint           epoch,
                         double          loss)
{
  g_return_val_if_fail (tracker != NULL, CNV_BEST_WAITING);

  if (isfinite (loss)
      && (tracker->best_epoch == 0
          || loss < tracker->best_loss - tracker->min_delta))
    {
      tracker->best_loss = loss;
      tracker->best_epoch = epoch;
      return CNV_BEST_IMPROVED;
    }

  if (tracker->patience > 0 && tracker->best_epoch > 0
      && epoch - tracker->best_epoch >= tracker->patience)
    return CNV_BEST_EXHAUSTED;

  return CNV_BEST_WAITING;
}

/* What a checkpoint keeps of the run's settings, so that it can be
 * resumed as it was. */
static void
store_run_settings (CnvClassifier *classifier,
                    const Run     *run)
{
  const CnvTrainConfig *config = run->config;

  classifier->schedule = run->schedule;
  classifier->augmentation = config->augmentation;
  classifier->class_weights = config->class_weights;
  classifier->patience = config->patience;
  classifier->keep_best = config->keep_best;
  classifier->best_epoch = 0;
}

/* The optimizer keeps its base rate (the schedule's is per step), and a
 * run that kept its best epoch goes back to it. */
static void
finish_run (Run      *run,
            gboolean  ok)
{
  CnvClassifier *classifier = run->classifier;
  guint last = classifier->history->len > 0
               ? g_array_index (classifier->history, CnvEpochRecord,
                                classifier->history->len - 1).epoch
               : 0;

  cnv_optimizer_set_learning_rate (classifier->optimizer,
                                   run->config->optimizer.learning_rate);
  guint best = run->tracker.best_epoch;

  if (run->control != NULL)
    run->control->best_epoch = best;

  if (!ok || !run->config->keep_best || best == 0 || best == last)
    return;

  backup_copy (&run->best, classifier->optimizer, TRUE);
  classifier->best_epoch = best;
  if (run->control != NULL)
    run->control->restored_best = TRUE;
  g_debug ("Restored the weights of epoch %u", best);
}

/* The same seed gives the same split on every run. */
static gboolean
run_split (Run     *run,
           GError **error)
{
  const CnvDataset *dataset = run->dataset;
  g_autofree char *folder = NULL;

  cnv_dataset_split (dataset, run->config->val_split, run->classifier->seed,
                     &run->train, &run->validation);
  if (run->train->len > 0)
    return TRUE;

  folder = g_filename_display_name (dataset->folder != NULL
                                    ? dataset->folder : "");
  g_set_error (error, CNV_TRAIN_ERROR, CNV_TRAIN_ERROR_INVALID,
               _("No images of “%s” are left for training after the "
                 "validation split of %g; add images or lower the split."),
               folder, run->config->val_split);
  return FALSE;
}

gboolean
cnv_classifier_train (CnvClassifier        *classifier,
                      const CnvDataset     *dataset,
                      const CnvTrainConfig *config,
                      CnvTrainControl      *control,
                      CnvTrainProgressFunc  progress,
                      gpointer              user_data,
                      GError              **error)
{
  Run run = { 0 };
  guint first_epoch;
  gboolean ok = TRUE;
  gboolean stopped = FALSE;

  g_return_val_if_fail (classifier != NULL, FALSE);
  g_return_val_if_fail (dataset != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_train_config (classifier, dataset, config, error))
    return FALSE;

  if (config->threads > 0)
    cnv_set_threads (config->threads);
  if (classifier->seed == 0)
    classifier->seed = config->seed;

  run.classifier = classifier;
  run.dataset = dataset;
  run.config = config;
  run.control = control;
  run.progress = progress;
  run.user_data = user_data;

  if (!run_split (&run, error) || !run_alloc (&run, error))
    {
      run_clear (&run);
      return FALSE;
    }

  prepare_optimizer (classifier, &config->optimizer);
  store_dataset_summary (classifier, dataset);
  classifier->batch_size = config->batch_size;
  classifier->val_split = config->val_split;

  backup_init (&run.backup, classifier->model, classifier->optimizer);
  backup_copy (&run.backup, classifier->optimizer, FALSE);
  if (config->keep_best)
    backup_init (&run.best, classifier->model, classifier->optimizer);
  run_class_weights (&run);
  cnv_best_tracker_init (&run.tracker, config->patience, config->min_delta);

  first_epoch = classifier->history->len + 1;
  run.last_epoch = classifier->history->len + config->epochs;
  run.run_start = g_get_monotonic_time ();
  run.schedule = config->schedule;
  if (run.schedule.total_epochs == 0)
    run.schedule.total_epochs = run.last_epoch;
  store_run_settings (classifier, &run);
  if (control != NULL)
    {
      control->stopped_early = FALSE;
      control->best_epoch = 0;
      control->restored_best = FALSE;
    }

  for (guint epoch = first_epoch; ok && !stopped && epoch <= run.last_epoch;
       epoch++)
    ok = run_epoch (&run, epoch, &stopped, error);

  if (stopped)
    g_debug ("Training stopped at step %" G_GINT64_FORMAT,
             cnv_optimizer_get_step (classifier->optimizer));

  finish_run (&run, ok);
  run_clear (&run);
  return ok;
}
