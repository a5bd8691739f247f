/* cnv-model.c — a model description brought to life
 *
 * A CnvModel validates its spec, allocates the named parameters in layer
 * order, and runs forward and backward passes over NCHW batches, keeping
 * every layer's output (for the feature-map views) and, after backward,
 * every layer's output gradient (for Grad-CAM).  The one idea: all memory
 * that depends on the batch size is allocated for the largest batch seen
 * so far and reused for smaller ones (the tensors' first dimension is
 * shrunk in place), so a training loop allocates nothing per batch, not
 * even when the last batch of an epoch is short.
 */
#define G_LOG_DOMAIN "cnv-model"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "cnv-layers-private.h"
#include "cnv-model.h"

struct _CnvModel
{
  CnvModelSpec *spec;
  CnvShape     *shapes;       /* [n_layers] output shape of each layer */
  CnvLayer     *layers;       /* [n_layers] */
  CnvParam     *params;       /* [n_params], in layer order */
  guint         n_params;

  /* Per-batch state, allocated for `capacity` samples, used for `batch`. */
  int           capacity;
  int           batch;
  CnvTensor    *input;        /* a copy of the last input */
  CnvTensor   **activations;  /* [n_layers] */
  CnvTensor   **gradients;    /* [n_layers] d loss / d activation */
  CnvTensor    *logits;       /* [N] */
  CnvRng        fallback_rng; /* dropout when the caller passes no rng */
};

static int n_threads_set = 0;

/* Convolutions run one image per worker thread (cnv-layers.c), each
 * calling sgemm on its own small matrices; OpenBLAS's own threads would
 * only fight over the same cores, so it is kept to one thread. */
static void
keep_openblas_single_threaded (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      openblas_set_num_threads (1);
      g_once_init_leave (&done, 1);
    }
}

void
cnv_set_threads (int n_threads)
{
  g_return_if_fail (n_threads >= 1);

  keep_openblas_single_threaded ();
  g_atomic_int_set (&n_threads_set, n_threads);
}

int
cnv_get_threads (void)
{
  int n_threads = g_atomic_int_get (&n_threads_set);

  keep_openblas_single_threaded ();
  if (n_threads < 1)
    return (int) g_get_num_processors ();

  return n_threads;
}

static CnvParam *
add_param (CnvModel   *model,
           const char *layer_id,
           const char *name,
           int         ndim,
           const int  *shape,
           gboolean    trainable,
           float       fill)
{
  CnvParam *param = &model->params[model->n_params++];

  param->name = g_strdup_printf ("%s.%s", layer_id, name);
  param->value = cnv_tensor_new (ndim, shape);
  param->trainable = trainable;
  param->grad = trainable ? cnv_tensor_new (ndim, shape) : NULL;

  /* validate () capped every size, so allocation cannot overflow. */
  g_assert (param->value != NULL);

  if (fill != 0.0f)
    for (gsize i = 0; i < param->value->size; i++)
      param->value->data[i] = fill;

  return param;
}

static guint
count_tensors (const CnvModelSpec *spec)
{
  guint n = 0;

  for (guint i = 0; i < spec->n_layers; i++)
    switch (spec->layers[i].kind)
      {
      case CNV_LAYER_CONV2D:
      case CNV_LAYER_DENSE:
        n += 2;
        break;
      case CNV_LAYER_BATCH_NORM:
        n += 4;
        break;
      case CNV_LAYER_MAX_POOL:
      case CNV_LAYER_AVG_POOL:
      case CNV_LAYER_GLOBAL_AVG_POOL:
      case CNV_LAYER_DROPOUT:
      case CNV_LAYER_FLATTEN:
      case CNV_LAYER_RELU:
      case CNV_LAYER_LEAKY_RELU:
      case CNV_LAYER_SIGMOID:
      case CNV_LAYER_TANH:
      case CNV_LAYER_SOFTMAX:
      case CNV_N_LAYER_KINDS:
      default:
        break;
      }

  return n;
}

static void
create_params (CnvModel *model,
               guint     index)
{
  CnvLayer *layer = &model->layers[index];
  const CnvLayerSpec *spec = layer->spec;
  int in_features = layer->in.channels * layer->in.height * layer->in.width;
  int shape[4];

  switch (spec->kind)
    {
    case CNV_LAYER_CONV2D:
      shape[0] = spec->filters;
      shape[1] = layer->in.channels;
      shape[2] = spec->kernel[0];
      shape[3] = spec->kernel[1];
      layer->weight = add_param (model, spec->id, "weight", 4, shape,
                                 TRUE, 0.0f);
      layer->bias = add_param (model, spec->id, "bias", 1, shape, TRUE, 0.0f);
      break;

    case CNV_LAYER_DENSE:
      shape[0] = spec->units;
      shape[1] = in_features;
      layer->weight = add_param (model, spec->id, "weight", 2, shape,
                                 TRUE, 0.0f);
      layer->bias = add_param (model, spec->id, "bias", 1, shape, TRUE, 0.0f);
      break;

    case CNV_LAYER_BATCH_NORM:
      shape[0] = layer->in.channels;
      layer->weight = add_param (model, spec->id, "weight", 1, shape,
                                 TRUE, 1.0f);
      layer->bias = add_param (model, spec->id, "bias", 1, shape, TRUE, 0.0f);
      layer->running_mean = add_param (model, spec->id, "running_mean", 1,
                                       shape, FALSE, 0.0f);
      layer->running_var = add_param (model, spec->id, "running_var", 1,
                                      shape, FALSE, 1.0f);
      break;

    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_DROPOUT:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      break;
    }
}

CnvModel *
cnv_model_new (const CnvModelSpec  *spec,
               GError             **error)
{
  g_autofree CnvShape *shapes = NULL;
  CnvModel *model;
  CnvShape in;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  shapes = g_new0 (CnvShape, MAX (spec->n_layers, 1));
  if (!cnv_model_spec_validate (spec, shapes, error))
    return NULL;

  model = g_new0 (CnvModel, 1);
  model->spec = cnv_model_spec_copy (spec);
  model->shapes = g_steal_pointer (&shapes);
  model->layers = g_new0 (CnvLayer, model->spec->n_layers);
  model->params = g_new0 (CnvParam, MAX (count_tensors (spec), 1));
  cnv_rng_init (&model->fallback_rng, 0);

  in.channels = spec->channels;
  in.height = spec->height;
  in.width = spec->width;
  in.flat = FALSE;

  for (guint i = 0; i < model->spec->n_layers; i++)
    {
      cnv_layer_init (&model->layers[i], &model->spec->layers[i], &in,
                      &model->shapes[i]);
      create_params (model, i);
      in = model->shapes[i];
    }

  return model;
}

CnvModel *
cnv_model_copy (const CnvModel *model)
{
  CnvModel *copy;

  g_return_val_if_fail (model != NULL, NULL);

  copy = cnv_model_new (model->spec, NULL);
  g_assert (copy != NULL && copy->n_params == model->n_params);

  for (guint i = 0; i < model->n_params; i++)
    memcpy (copy->params[i].value->data, model->params[i].value->data,
            sizeof (float) * model->params[i].value->size);

  return copy;
}

static void
free_batch_state (CnvModel *model)
{
  for (guint i = 0; i < model->spec->n_layers; i++)
    {
      g_clear_pointer (&model->activations[i], cnv_tensor_free);
      g_clear_pointer (&model->gradients[i], cnv_tensor_free);
      cnv_layer_clear (&model->layers[i]);
    }

  g_clear_pointer (&model->input, cnv_tensor_free);
  g_clear_pointer (&model->logits, cnv_tensor_free);
  model->batch = 0;
  model->capacity = 0;
}

void
cnv_model_free (CnvModel *model)
{
  if (model == NULL)
    return;

  if (model->activations != NULL)
    free_batch_state (model);
  g_free (model->activations);
  g_free (model->gradients);

  for (guint i = 0; i < model->n_params; i++)
    {
      g_free (model->params[i].name);
      cnv_tensor_free (model->params[i].value);
      cnv_tensor_free (model->params[i].grad);
    }
  g_free (model->params);
  g_free (model->layers);
  g_free (model->shapes);
  cnv_model_spec_free (model->spec);
  g_free (model);
}

const CnvModelSpec *
cnv_model_get_spec (const CnvModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);

  return model->spec;
}

const CnvShape *
cnv_model_get_output_shape (const CnvModel *model,
                            guint           layer)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (layer < model->spec->n_layers, NULL);

  return &model->shapes[layer];
}

/* He-normal when the next layer that changes values (skipping batch-norm
 * and dropout) is a relu or leaky-relu; Glorot-uniform otherwise. */
static gboolean
feeds_relu (const CnvModelSpec *spec,
            guint               index)
{
  for (guint i = index + 1; i < spec->n_layers; i++)
    {
      CnvLayerKind kind = spec->layers[i].kind;

      if (kind == CNV_LAYER_BATCH_NORM || kind == CNV_LAYER_DROPOUT)
        continue;

      return kind == CNV_LAYER_RELU || kind == CNV_LAYER_LEAKY_RELU;
    }

  return FALSE;
}

void
cnv_model_init_parameters (CnvModel *model,
                           CnvRng   *rng)
{
  g_return_if_fail (model != NULL);
  g_return_if_fail (rng != NULL);

  for (guint i = 0; i < model->spec->n_layers; i++)
    {
      CnvLayer *layer = &model->layers[i];
      const CnvLayerSpec *spec = layer->spec;
      CnvTensor *weight;
      double fan_in, fan_out;

      if (spec->kind == CNV_LAYER_BATCH_NORM)
        {
          for (gsize j = 0; j < layer->weight->value->size; j++)
            {
              layer->weight->value->data[j] = 1.0f;
              layer->bias->value->data[j] = 0.0f;
              layer->running_mean->value->data[j] = 0.0f;
              layer->running_var->value->data[j] = 1.0f;
            }
          continue;
        }

      if (spec->kind != CNV_LAYER_CONV2D && spec->kind != CNV_LAYER_DENSE)
        continue;

      /* fan_in = in · kh · kw, fan_out = out · kh · kw */
      weight = layer->weight->value;
      fan_in = (double) weight->size / weight->shape[0];
      fan_out = (double) weight->size / weight->shape[1];

      if (feeds_relu (model->spec, i))
        {
          double std = sqrt (2.0 / fan_in);

          for (gsize j = 0; j < weight->size; j++)
            weight->data[j] = (float) (std * cnv_rng_normal (rng));
        }
      else
        {
          double limit = sqrt (6.0 / (fan_in + fan_out));

          for (gsize j = 0; j < weight->size; j++)
            weight->data[j] = (float) (limit
                                       * (2.0 * cnv_rng_uniform (rng) - 1.0));
        }

      cnv_tensor_zero (layer->bias->value);
    }
}

guint
cnv_model_get_n_params (const CnvModel *model)
{
  g_return_val_if_fail (model != NULL, 0);

  return model->n_params;
}

CnvParam *
cnv_model_get_param (const CnvModel *model,
                     guint           index)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (index < model->n_params, NULL);

  return &model->params[index];
}

CnvParam *
cnv_model_find_param (const CnvModel *model,
                      const char     *name)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < model->n_params; i++)
    if (strcmp (model->params[i].name, name) == 0)
      return &model->params[i];

  return NULL;
}

gsize
cnv_model_count_parameters (const CnvModel *model)
{
  gsize total = 0;

  g_return_val_if_fail (model != NULL, 0);

  for (guint i = 0; i < model->n_params; i++)
    if (model->params[i].trainable)
      total += model->params[i].value->size;

  return total;
}

static CnvTensor *
new_activation (const CnvShape *shape,
                int             n)
{
  if (shape->flat)
    return cnv_tensor_new_2d (n, shape->channels);

  return cnv_tensor_new_4d (n, shape->channels, shape->height, shape->width);
}

/* Makes tensor hold n samples of its per-sample shape; its storage was
 * allocated for at least that many. */
static void
set_samples (CnvTensor *tensor,
             int        n)
{
  gsize per_sample = 1;

  for (int d = 1; d < tensor->ndim; d++)
    per_sample *= (gsize) tensor->shape[d];

  tensor->shape[0] = n;
  tensor->size = per_sample * (gsize) n;
}

static gboolean
allocate_batch (CnvModel *model,
                int       n)
{
  const CnvModelSpec *spec = model->spec;

  if (model->activations == NULL)
    {
      model->activations = g_new0 (CnvTensor *, MAX (spec->n_layers, 1));
      model->gradients = g_new0 (CnvTensor *, MAX (spec->n_layers, 1));
    }
  else
    free_batch_state (model);

  model->input = cnv_tensor_new_4d (n, spec->channels, spec->height,
                                    spec->width);
  model->logits = cnv_tensor_new_1d (n);
  if (model->input == NULL || model->logits == NULL)
    return FALSE;

  for (guint i = 0; i < spec->n_layers; i++)
    {
      model->activations[i] = new_activation (&model->shapes[i], n);
      model->gradients[i] = new_activation (&model->shapes[i], n);
      if (model->activations[i] == NULL || model->gradients[i] == NULL
          || !cnv_layer_prepare (&model->layers[i], n))
        return FALSE;
    }

  model->capacity = n;
  return TRUE;
}

static gboolean
ensure_batch (CnvModel *model,
              int       n)
{
  const CnvModelSpec *spec = model->spec;

  if (model->batch == n)
    return TRUE;

  if (n > model->capacity && !allocate_batch (model, n))
    {
      free_batch_state (model);
      return FALSE;
    }

  model->batch = n;
  set_samples (model->input, n);
  set_samples (model->logits, n);
  for (guint i = 0; i < spec->n_layers; i++)
    {
      set_samples (model->activations[i], n);
      set_samples (model->gradients[i], n);
    }

  return TRUE;
}

/* Whether layer i is a conv2d whose output goes straight into a relu: the
 * two then run as one pass per image (cnv_layer_forward_conv_relu ()),
 * which saves streaming the whole batch's feature maps through memory
 * once more in each direction. */
static gboolean
fuses_relu (const CnvModel *model,
            guint           i)
{
  const CnvModelSpec *spec = model->spec;

  return i + 1 < spec->n_layers
         && model->layers[i].spec->kind == CNV_LAYER_CONV2D
         && model->layers[i + 1].spec->kind == CNV_LAYER_RELU;
}

/* Stretches of per-image layers */

/* The end of the stretch of per-image layers that starts at first. */
static guint
stretch_end (const CnvModel *model,
             guint           first)
{
  guint end = first;

  while (end < model->spec->n_layers
         && cnv_layer_runs_per_image (&model->layers[end]))
    end++;

  return end;
}

typedef struct
{
  CnvModel        *model;
  guint            first;       /* layers [first, end) */
  guint            end;
  const CnvTensor *input;       /* the input of layer first */
  CnvTensor       *input_grad;  /* backward: d loss / d input, or NULL */
  int              n_blocks;    /* backward: gradient blocks */
} Stretch;

static const CnvTensor *
stretch_layer_input (const Stretch *stretch,
                     guint          i)
{
  return i == stretch->first ? stretch->input
                             : stretch->model->activations[i - 1];
}

static CnvTensor *
stretch_layer_input_grad (const Stretch *stretch,
                          guint          i)
{
  return i == stretch->first ? stretch->input_grad
                             : stretch->model->gradients[i - 1];
}

/* Images [start, end) through every layer of the stretch, one image at a
 * time. */
static void
stretch_forward_cb (gpointer data,
                    int      worker,
                    int      start,
                    int      end)
{
  Stretch *stretch = data;
  CnvModel *model = stretch->model;

  for (int img = start; img < end; img++)
    for (guint i = stretch->first; i < stretch->end; i++)
      {
        const CnvTensor *in = stretch_layer_input (stretch, i);
        CnvTensor *relu_out = NULL;

        /* a conv2d and its relu in one pass */
        if (fuses_relu (model, i))
          relu_out = model->activations[i + 1];

        cnv_layer_forward_images (&model->layers[i], in,
                                  model->activations[i], relu_out, worker,
                                  img, img + 1);
        if (relu_out != NULL)
          i++;
      }
}

static void
stretch_forward (CnvModel        *model,
                 guint            first,
                 guint            end,
                 const CnvTensor *input)
{
  Stretch stretch = { model, first, end, input, NULL, 0 };
  int n = input->shape[0];
  int n_workers = cnv_count_workers (n);

  for (guint i = first; i < end; i++)
    cnv_layer_prepare_images (&model->layers[i], n_workers, 0);

  cnv_parallel_for (n, n_workers, stretch_forward_cb, &stretch);
}

/* Blocks [start, end) of images back through the stretch, last layer
 * first, one image at a time. */
static void
stretch_backward_cb (gpointer data,
                     int      worker,
                     int      start,
                     int      end)
{
  Stretch *stretch = data;
  CnvModel *model = stretch->model;
  int n = model->batch;

  for (int block = start; block < end; block++)
    {
      int first_image = (int) ((gint64) n * block / stretch->n_blocks);
      int last_image = (int) ((gint64) n * (block + 1) / stretch->n_blocks);

      for (guint i = stretch->first; i < stretch->end; i++)
        cnv_layer_begin_grad_block (&model->layers[i], block);

      for (int img = first_image; img < last_image; img++)
        for (int i = (int) stretch->end - 1; i >= (int) stretch->first; i--)
          {
            const CnvTensor *relu_out_grad = NULL;

            /* layers i − 1 (conv2d) and i (relu) in one pass */
            if (i > (int) stretch->first && fuses_relu (model, i - 1))
              relu_out_grad = model->gradients[i--];

            cnv_layer_backward_image (&model->layers[i],
                                      stretch_layer_input (stretch, i),
                                      model->activations[i],
                                      model->gradients[i], relu_out_grad,
                                      stretch_layer_input_grad (stretch, i),
                                      worker, block, img);
          }
    }
}

static void
stretch_backward (CnvModel  *model,
                  guint      first,
                  guint      end,
                  CnvTensor *input_grad)
{
  const CnvTensor *input = first > 0 ? model->activations[first - 1]
                                     : model->input;
  Stretch stretch = { model, first, end, input, input_grad, 0 };
  int n_blocks = G_MAXINT;
  int n_workers;

  /* The blocks depend on the batch and the layers, never the threads. */
  for (guint i = first; i < end; i++)
    n_blocks = MIN (n_blocks,
                    cnv_layer_count_grad_blocks (&model->layers[i],
                                                 model->batch));
  n_workers = cnv_count_workers (n_blocks);
  stretch.n_blocks = n_blocks;

  for (guint i = first; i < end; i++)
    cnv_layer_prepare_images (&model->layers[i], n_workers, n_blocks);

  cnv_parallel_for (n_blocks, n_workers, stretch_backward_cb, &stretch);

  for (guint i = first; i < end; i++)
    cnv_layer_sum_grad_blocks (&model->layers[i], n_blocks);
}

const CnvTensor *
cnv_model_forward (CnvModel        *model,
                   const CnvTensor *input,
                   gboolean         training,
                   CnvRng          *rng)
{
  const CnvModelSpec *spec;
  const CnvTensor *in;
  int n;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);

  spec = model->spec;
  g_return_val_if_fail (input->ndim == 4, NULL);
  g_return_val_if_fail (input->shape[0] >= 1, NULL);
  g_return_val_if_fail (input->shape[1] == spec->channels
                        && input->shape[2] == spec->height
                        && input->shape[3] == spec->width, NULL);

  n = input->shape[0];
  if (!ensure_batch (model, n))
    {
      g_warning ("Not enough memory to run a batch of %d samples", n);
      return NULL;
    }

  memcpy (model->input->data, input->data, sizeof (float) * input->size);

  in = model->input;
  for (guint i = 0; i < spec->n_layers;)
    {
      guint end = stretch_end (model, i);

      if (end > i)
        {
          stretch_forward (model, i, end, in);
          in = model->activations[end - 1];
          i = end;
          continue;
        }

      cnv_layer_forward (&model->layers[i], in, model->activations[i],
                         training, rng != NULL ? rng : &model->fallback_rng);
      in = model->activations[i++];
    }

  /* logits [N] <- the head's output [N, 1] */
  memcpy (model->logits->data, in->data, sizeof (float) * (gsize) n);

  return model->logits;
}

const CnvTensor *
cnv_model_get_activation (const CnvModel *model,
                          guint           layer)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (layer < model->spec->n_layers, NULL);
  g_return_val_if_fail (model->batch > 0, NULL);

  return model->activations[layer];
}

const CnvTensor *
cnv_model_get_activation_grad (const CnvModel *model,
                               guint           layer)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (layer < model->spec->n_layers, NULL);
  g_return_val_if_fail (model->batch > 0, NULL);

  return model->gradients[layer];
}

void
cnv_model_zero_grad (CnvModel *model)
{
  g_return_if_fail (model != NULL);

  for (guint i = 0; i < model->n_params; i++)
    if (model->params[i].grad != NULL)
      cnv_tensor_zero (model->params[i].grad);
}

void
cnv_model_backward (CnvModel        *model,
                    const CnvTensor *logits_grad,
                    CnvTensor       *input_grad)
{
  guint n_layers;

  g_return_if_fail (model != NULL);
  g_return_if_fail (model->batch > 0);
  g_return_if_fail (logits_grad != NULL
                    && logits_grad->size == (gsize) model->batch);
  g_return_if_fail (input_grad == NULL
                    || cnv_tensor_same_shape (input_grad, model->input));

  n_layers = model->spec->n_layers;

  /* d loss / d head output [N, 1] <- logits_grad [N] */
  memcpy (model->gradients[n_layers - 1]->data, logits_grad->data,
          sizeof (float) * logits_grad->size);

  for (guint end = n_layers; end > 0;)
    {
      guint i = end - 1;
      const CnvTensor *in = i > 0 ? model->activations[i - 1] : model->input;
      CnvTensor *in_grad = i > 0 ? model->gradients[i - 1] : input_grad;
      guint first = end;

      /* layers [first, end) run one image at a time */
      while (first > 0 && cnv_layer_runs_per_image (&model->layers[first - 1]))
        first--;
      if (first < end)
        {
          stretch_backward (model, first, end,
                            first > 0 ? model->gradients[first - 1]
                                      : input_grad);
          end = first;
          continue;
        }

      cnv_layer_backward (&model->layers[i], in, model->activations[i],
                          model->gradients[i], in_grad);
      end = i;
    }
}
