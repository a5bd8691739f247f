/* cnv-inspect.c — feature maps, Grad-CAM, filters, weight histograms and
 * the viridis colour map for one image
 *
 * The model already keeps every layer's output of its last forward pass
 * and, after a backward pass, the gradient with respect to each of them
 * (cnv_model_get_activation (), cnv_model_get_activation_grad ()).  The
 * one idea here is to use exactly those: feature maps are a copy of what
 * the inference forward pass wrote, and Grad-CAM is one inference forward
 * pass and one backward pass from d logit = ±1, read back at the chosen
 * layer.  Nothing is computed a second way, so what the views show is
 * what the prediction computed.
 */
#define G_LOG_DOMAIN "cnv-inspect"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cnv-inspect.h"

G_DEFINE_QUARK (cnv-inspect-error-quark, cnv_inspect_error)

/* Viridis sampled at t = k / 64 from the published 256 colours taken as a
 * continuous map; tests/reference/make-viridis.py computes the table. */
static const float viridis_knots[65][3] = {
  { 0.26700f, 0.00487f, 0.32942f },
  { 0.27257f, 0.02548f, 0.35300f },
  { 0.27699f, 0.05015f, 0.37554f },
  { 0.28023f, 0.07316f, 0.39692f },
  { 0.28230f, 0.09462f, 0.41702f },
  { 0.28319f, 0.11528f, 0.43576f },
  { 0.28290f, 0.13545f, 0.45303f },
  { 0.28146f, 0.15529f, 0.46879f },
  { 0.27892f, 0.17488f, 0.48297f },
  { 0.27533f, 0.19423f, 0.49558f },
  { 0.27079f, 0.21332f, 0.50664f },
  { 0.26539f, 0.23215f, 0.51621f },
  { 0.25927f, 0.25067f, 0.52438f },
  { 0.25255f, 0.26886f, 0.53125f },
  { 0.24537f, 0.28670f, 0.53697f },
  { 0.23789f, 0.30418f, 0.54167f },
  { 0.23022f, 0.32130f, 0.54549f },
  { 0.22250f, 0.33805f, 0.54857f },
  { 0.21484f, 0.35447f, 0.55103f },
  { 0.20731f, 0.37057f, 0.55299f },
  { 0.20000f, 0.38638f, 0.55453f },
  { 0.19293f, 0.40193f, 0.55575f },
  { 0.18613f, 0.41726f, 0.55668f },
  { 0.17960f, 0.43240f, 0.55738f },
  { 0.17330f, 0.44739f, 0.55785f },
  { 0.16721f, 0.46225f, 0.55810f },
  { 0.16127f, 0.47704f, 0.55813f },
  { 0.15543f, 0.49176f, 0.55788f },
  { 0.14967f, 0.50644f, 0.55733f },
  { 0.14398f, 0.52111f, 0.55642f },
  { 0.13842f, 0.53577f, 0.55509f },
  { 0.13307f, 0.55043f, 0.55327f },
  { 0.12815f, 0.56511f, 0.55089f },
  { 0.12394f, 0.57979f, 0.54788f },
  { 0.12087f, 0.59447f, 0.54416f },
  { 0.11947f, 0.60913f, 0.53966f },
  { 0.12032f, 0.62377f, 0.53431f },
  { 0.12401f, 0.63835f, 0.52805f },
  { 0.13096f, 0.65286f, 0.52082f },
  { 0.14142f, 0.66727f, 0.51256f },
  { 0.15538f, 0.68154f, 0.50324f },
  { 0.17266f, 0.69565f, 0.49281f },
  { 0.19297f, 0.70956f, 0.48123f },
  { 0.21601f, 0.72323f, 0.46848f },
  { 0.24147f, 0.73663f, 0.45454f },
  { 0.26908f, 0.74971f, 0.43939f },
  { 0.29864f, 0.76244f, 0.42302f },
  { 0.32994f, 0.77479f, 0.40542f },
  { 0.36286f, 0.78670f, 0.38659f },
  { 0.39724f, 0.79813f, 0.36654f },
  { 0.43299f, 0.80906f, 0.34527f },
  { 0.46997f, 0.81943f, 0.32282f },
  { 0.50809f, 0.82923f, 0.29922f },
  { 0.54724f, 0.83842f, 0.27454f },
  { 0.58727f, 0.84698f, 0.24887f },
  { 0.62803f, 0.85491f, 0.22241f },
  { 0.66936f, 0.86222f, 0.19544f },
  { 0.71105f, 0.86893f, 0.16853f },
  { 0.75287f, 0.87509f, 0.14265f },
  { 0.79457f, 0.88078f, 0.11961f },
  { 0.83591f, 0.88611f, 0.10246f },
  { 0.87664f, 0.89118f, 0.09526f },
  { 0.91655f, 0.89613f, 0.10082f },
  { 0.95545f, 0.90108f, 0.11822f },
  { 0.99325f, 0.90616f, 0.14394f },
};
#define N_KNOTS G_N_ELEMENTS (viridis_knots)

void
cnv_viridis (double t,
             guint8 rgb[3])
{
  double x;
  int k;

  if (!(t > 0.0))
    t = 0.0;
  if (t > 1.0)
    t = 1.0;

  x = t * (N_KNOTS - 1);
  k = MIN ((int) x, (int) N_KNOTS - 2);
  x -= k;

  for (int c = 0; c < 3; c++)
    {
      double v = viridis_knots[k][c] * (1.0 - x) + viridis_knots[k + 1][c] * x;

      rgb[c] = (guint8) CLAMP (lround (v * 255.0), 0, 255);
    }
}

void
cnv_viridis_render (const float *values,
                    gsize        n,
                    float        lo,
                    float        hi,
                    guint8      *rgb)
{
  double span = (double) hi - lo;

  g_return_if_fail (n == 0 || (values != NULL && rgb != NULL));

  for (gsize i = 0; i < n; i++)
    {
      double t = span > 0.0 ? (values[i] - (double) lo) / span : 0.0;

      cnv_viridis (t, rgb + 3 * i);
    }
}

/* Feature maps */

static gboolean
layer_maps_init (CnvLayerMaps    *maps,
                 const CnvTensor *output)
{
  gsize plane;

  if (output->ndim == 2)
    {
      maps->flat = TRUE;
      maps->channels = 1;
      maps->height = 1;
      maps->width = output->shape[1];
    }
  else
    {
      maps->flat = FALSE;
      maps->channels = output->shape[1];
      maps->height = output->shape[2];
      maps->width = output->shape[3];
    }

  /* One sample: the first of the batch. */
  plane = (gsize) maps->height * maps->width;
  maps->values = g_try_new (float, MAX (plane * maps->channels, 1));
  maps->stats = g_try_new0 (CnvChannelStats, MAX (maps->channels, 1));
  if (maps->values == NULL || maps->stats == NULL)
    return FALSE;
  memcpy (maps->values, output->data,
          sizeof (float) * plane * (gsize) maps->channels);

  maps->min = INFINITY;
  maps->max = -INFINITY;
  for (int c = 0; c < maps->channels; c++)
    {
      const float *v = maps->values + plane * c;
      CnvChannelStats *stats = &maps->stats[c];
      double sum = 0.0;

      stats->min = INFINITY;
      stats->max = -INFINITY;
      for (gsize i = 0; i < plane; i++)
        {
          stats->min = MIN (stats->min, v[i]);
          stats->max = MAX (stats->max, v[i]);
          sum += v[i];
        }
      stats->mean = (float) (sum / (double) MAX (plane, 1));
      maps->min = MIN (maps->min, stats->min);
      maps->max = MAX (maps->max, stats->max);
    }

  return TRUE;
}

static void
layer_maps_clear (CnvLayerMaps *maps)
{
  g_clear_pointer (&maps->values, g_free);
  g_clear_pointer (&maps->stats, g_free);
}

void
cnv_feature_maps_free (CnvFeatureMaps *maps)
{
  if (maps == NULL)
    return;

  layer_maps_clear (&maps->input);
  for (guint i = 0; i < maps->n_layers; i++)
    layer_maps_clear (&maps->layers[i]);
  g_free (maps->layers);
  g_free (maps);
}

static gboolean
check_input (const CnvModel  *model,
             const CnvTensor *input,
             GError         **error)
{
  const CnvModelSpec *spec = cnv_model_get_spec (model);

  if (input->ndim != 4 || input->shape[0] != 1
      || input->shape[1] != spec->channels || input->shape[2] != spec->height
      || input->shape[3] != spec->width)
    {
      g_autofree char *shape = cnv_tensor_shape_string (input);

      g_set_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_INPUT,
                   _("The input %s is not one image of the model’s "
                     "%d × %d × %d."), shape, spec->width, spec->height,
                   spec->channels);
      return FALSE;
    }

  return TRUE;
}

static void
set_no_memory (GError **error)
{
  g_set_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_NO_MEMORY,
               _("Not enough memory to run the model on the image."));
}

CnvFeatureMaps *
cnv_feature_maps_compute (CnvModel        *model,
                          const CnvTensor *input,
                          GError         **error)
{
  g_autoptr(CnvFeatureMaps) maps = NULL;
  const CnvModelSpec *spec;
  const CnvTensor *logits;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_input (model, input, error))
    return NULL;

  /* logits [1] <- model (input [1, C, H, W]), inference */
  logits = cnv_model_forward (model, input, FALSE, NULL);
  if (logits == NULL)
    {
      set_no_memory (error);
      return NULL;
    }

  spec = cnv_model_get_spec (model);
  maps = g_new0 (CnvFeatureMaps, 1);
  maps->logit = logits->data[0];
  maps->layers = g_new0 (CnvLayerMaps, MAX (spec->n_layers, 1));
  maps->n_layers = spec->n_layers;

  if (!layer_maps_init (&maps->input, input))
    {
      set_no_memory (error);
      return NULL;
    }
  for (guint i = 0; i < spec->n_layers; i++)
    if (!layer_maps_init (&maps->layers[i],
                          cnv_model_get_activation (model, i)))
      {
        set_no_memory (error);
        return NULL;
      }

  return g_steal_pointer (&maps);
}

CnvTensor *
cnv_inspect_input_new (const CnvClassifier *classifier,
                       const CnvImage      *image,
                       GError             **error)
{
  const CnvModelSpec *spec;
  CnvTensor *input;

  g_return_val_if_fail (classifier != NULL, NULL);
  g_return_val_if_fail (image != NULL, NULL);

  spec = cnv_model_get_spec (classifier->model);
  if (image->width != spec->width || image->height != spec->height
      || image->channels != spec->channels)
    {
      g_set_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_INPUT,
                   _("The image is %d × %d × %d but the model reads "
                     "%d × %d × %d."), image->width, image->height,
                   image->channels, spec->width, spec->height,
                   spec->channels);
      return NULL;
    }

  input = cnv_tensor_new_4d (1, spec->channels, spec->height, spec->width);
  if (input == NULL)
    {
      set_no_memory (error);
      return NULL;
    }

  /* input [1, C, H, W] <- pixels [H, W, C], the training path's scaling */
  cnv_image_to_input (image->pixels, &classifier->preprocessing, input->data);

  return input;
}

void
cnv_layer_maps_get_range (const CnvLayerMaps *maps,
                          int                 channel,
                          CnvMapScale         scale,
                          float              *lo,
                          float              *hi)
{
  g_return_if_fail (maps != NULL);
  g_return_if_fail (channel >= 0 && channel < maps->channels);
  g_return_if_fail (lo != NULL && hi != NULL);

  if (scale == CNV_MAP_SCALE_PER_CHANNEL)
    {
      *lo = maps->stats[channel].min;
      *hi = maps->stats[channel].max;
    }
  else
    {
      *lo = maps->min;
      *hi = maps->max;
    }
}

void
cnv_layer_maps_render (const CnvLayerMaps *maps,
                       int                 channel,
                       CnvMapScale         scale,
                       guint8             *rgb)
{
  gsize plane;
  float lo, hi;

  g_return_if_fail (maps != NULL);
  g_return_if_fail (channel >= 0 && channel < maps->channels);

  plane = (gsize) maps->height * maps->width;
  cnv_layer_maps_get_range (maps, channel, scale, &lo, &hi);
  cnv_viridis_render (maps->values + plane * channel, plane, lo, hi, rgb);
}

/* Grad-CAM */

gboolean
cnv_gradcam_layer_is_valid (const CnvModel *model,
                            guint           layer)
{
  g_return_val_if_fail (model != NULL, FALSE);

  return layer < cnv_model_get_spec (model)->n_layers
         && !cnv_model_get_output_shape (model, layer)->flat;
}

int
cnv_gradcam_default_layer (const CnvModel *model)
{
  const CnvModelSpec *spec;

  g_return_val_if_fail (model != NULL, -1);

  spec = cnv_model_get_spec (model);
  for (guint i = spec->n_layers; i-- > 0;)
    if (spec->layers[i].kind == CNV_LAYER_CONV2D)
      return (int) i;

  return -1;
}

void
cnv_gradcam_free (CnvGradCam *cam)
{
  if (cam == NULL)
    return;

  g_free (cam->weights);
  g_free (cam->map);
  g_free (cam->heat);
  g_free (cam);
}

/* Bilinear with half-pixel centres: output pixel o of n_out reads the
 * input at (o + 0.5) · n_in / n_out − 0.5, clamped at the edges. */
static void
source_index (int    o,
              int    n_in,
              int    n_out,
              int   *i0,
              int   *i1,
              float *frac)
{
  double x = (o + 0.5) * ((double) n_in / n_out) - 0.5;

  if (x < 0.0)
    x = 0.0;
  *i0 = MIN ((int) x, n_in - 1);
  *i1 = MIN (*i0 + 1, n_in - 1);
  *frac = (float) (x - *i0);
}

static void
upsample_bilinear (const float *in,
                   int          in_h,
                   int          in_w,
                   float       *out,
                   int          out_h,
                   int          out_w)
{
  for (int y = 0; y < out_h; y++)
    {
      int y0, y1;
      float fy;

      source_index (y, in_h, out_h, &y0, &y1, &fy);
      for (int x = 0; x < out_w; x++)
        {
          int x0, x1;
          float fx;
          float top, bottom;

          source_index (x, in_w, out_w, &x0, &x1, &fx);
          top = in[y0 * in_w + x0] * (1.0f - fx) + in[y0 * in_w + x1] * fx;
          bottom = in[y1 * in_w + x0] * (1.0f - fx) + in[y1 * in_w + x1] * fx;
          out[y * out_w + x] = top * (1.0f - fy) + bottom * fy;
        }
    }
}

CnvGradCam *
cnv_gradcam_compute (CnvModel        *model,
                     const CnvTensor *input,
                     guint            layer,
                     int              target_class,
                     GError         **error)
{
  g_autoptr(CnvGradCam) cam = NULL;
  g_autoptr(CnvTensor) seed = NULL;
  const CnvModelSpec *spec;
  const CnvTensor *logits;
  const CnvTensor *activation;
  const CnvTensor *gradient;
  gsize plane;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (target_class == 0 || target_class == 1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  spec = cnv_model_get_spec (model);
  if (layer >= spec->n_layers)
    {
      g_set_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER,
                   _("The model has no layer %u."), layer + 1);
      return NULL;
    }
  if (!cnv_gradcam_layer_is_valid (model, layer))
    {
      g_set_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER,
                   _("Layer “%s” has no feature maps for Grad-CAM to "
                     "weigh: choose a convolution or pooling layer before "
                     "the flatten."), spec->layers[layer].id);
      return NULL;
    }
  if (!check_input (model, input, error))
    return NULL;

  seed = cnv_tensor_new_1d (1);
  logits = cnv_model_forward (model, input, FALSE, NULL);
  if (seed == NULL || logits == NULL)
    {
      set_no_memory (error);
      return NULL;
    }

  cam = g_new0 (CnvGradCam, 1);
  cam->layer = layer;
  cam->target_class = target_class;
  cam->logit = logits->data[0];

  /* d score / d logit: the logit speaks for the positive class, its
   * negation for the other one. */
  seed->data[0] = target_class == 1 ? 1.0f : -1.0f;
  cnv_model_backward (model, seed, NULL);

  activation = cnv_model_get_activation (model, layer);
  gradient = cnv_model_get_activation_grad (model, layer);
  cam->channels = activation->shape[1];
  cam->map_height = activation->shape[2];
  cam->map_width = activation->shape[3];
  cam->height = spec->height;
  cam->width = spec->width;
  plane = (gsize) cam->map_height * cam->map_width;

  cam->weights = g_new0 (float, cam->channels);
  cam->map = g_new0 (float, plane);
  cam->heat = g_new0 (float, (gsize) cam->height * cam->width);

  /* weights [C] = mean over [H, W] of d score / d A [C, H, W] */
  for (int c = 0; c < cam->channels; c++)
    {
      const float *g = gradient->data + plane * c;
      double sum = 0.0;

      for (gsize i = 0; i < plane; i++)
        sum += g[i];
      cam->weights[c] = (float) (sum / (double) plane);
    }

  /* map [H, W] = relu (Σ_c weights[c] · A [c, H, W]) */
  for (int c = 0; c < cam->channels; c++)
    {
      const float *a = activation->data + plane * c;

      for (gsize i = 0; i < plane; i++)
        cam->map[i] += cam->weights[c] * a[i];
    }
  cam->max = 0.0f;
  for (gsize i = 0; i < plane; i++)
    {
      cam->map[i] = MAX (cam->map[i], 0.0f);
      cam->max = MAX (cam->max, cam->map[i]);
    }

  /* heat [height, width] <- map [map_height, map_width], bilinear */
  upsample_bilinear (cam->map, cam->map_height, cam->map_width, cam->heat,
                     cam->height, cam->width);

  return g_steal_pointer (&cam);
}

void
cnv_gradcam_render_overlay (const CnvGradCam *cam,
                            const CnvImage   *image,
                            double            opacity,
                            guint8           *rgb)
{
  gsize n;

  g_return_if_fail (cam != NULL);
  g_return_if_fail (image != NULL && rgb != NULL);
  g_return_if_fail (image->width == cam->width
                    && image->height == cam->height);

  opacity = CLAMP (opacity, 0.0, 1.0);
  n = (gsize) cam->width * cam->height;

  for (gsize i = 0; i < n; i++)
    {
      const guint8 *p = image->pixels + i * image->channels;
      double t = cam->max > 0.0f ? cam->heat[i] / cam->max : 0.0;
      double alpha = opacity * CLAMP (t, 0.0, 1.0);
      guint8 heat[3];
      double grey;

      /* Grey underneath, so that the colours belong to the heat alone;
       * where nothing speaks for the class the image shows as it is. */
      grey = image->channels == 3
             ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : p[0];
      cnv_viridis (t, heat);
      for (int c = 0; c < 3; c++)
        rgb[3 * i + c] = (guint8) lround ((1.0 - alpha) * grey
                                          + alpha * heat[c]);
    }
}

/* Filters */

GPtrArray *
cnv_inspect_filters (const CnvModel *model,
                     guint           layer,
                     GError        **error)
{
  g_autoptr(GPtrArray) tiles = NULL;
  g_autofree char *name = NULL;
  const CnvModelSpec *spec;
  const CnvLayerSpec *conv;
  const CnvTensor *weight;
  CnvParam *param;
  float largest = 0.0f;
  int filters, channels, kh, kw;

  g_return_val_if_fail (model != NULL, NULL);

  spec = cnv_model_get_spec (model);
  if (layer >= spec->n_layers || spec->layers[layer].kind != CNV_LAYER_CONV2D)
    {
      g_set_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER,
                   _("Layer %u is not a convolution: it has no filters to "
                     "show."), layer + 1);
      return NULL;
    }

  conv = &spec->layers[layer];
  name = g_strdup_printf ("%s.weight", conv->id);
  param = cnv_model_find_param (model, name);
  g_assert (param != NULL);
  weight = param->value;

  /* weight [F, C, KH, KW] */
  filters = weight->shape[0];
  channels = weight->shape[1];
  kh = weight->shape[2];
  kw = weight->shape[3];
  if (channels != 1 && channels != 3)
    {
      g_set_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER,
                   _("The filters of “%s” read %d channels: only filters "
                     "reading 1 (grey) or 3 (colour) channels can be drawn "
                     "as images."), conv->id, channels);
      return NULL;
    }

  for (gsize i = 0; i < weight->size; i++)
    if (isfinite (weight->data[i]))
      largest = MAX (largest, fabsf (weight->data[i]));

  tiles = g_ptr_array_new_with_free_func ((GDestroyNotify) cnv_image_free);
  for (int f = 0; f < filters; f++)
    {
      CnvImage *tile = cnv_image_new (kw, kh, channels);
      const float *w = weight->data + (gsize) f * channels * kh * kw;

      /* tile [KH, KW, C] <- filter [C, KH, KW], −m..m → 0..255 */
      for (int c = 0; c < channels; c++)
        for (int i = 0; i < kh * kw; i++)
          {
            double v = largest > 0.0f ? w[c * kh * kw + i] / largest : 0.0;

            if (!isfinite (v))
              v = 0.0;
            tile->pixels[i * channels + c] =
              (guint8) CLAMP (lround (127.5 + 127.5 * v), 0, 255);
          }
      g_ptr_array_add (tiles, tile);
    }

  return g_steal_pointer (&tiles);
}

/* Histograms */

void
cnv_histogram_free (CnvHistogram *histogram)
{
  if (histogram == NULL)
    return;

  g_free (histogram->counts);
  g_free (histogram);
}

CnvHistogram *
cnv_histogram_compute (const float *values,
                       gsize        n,
                       guint        n_bins)
{
  CnvHistogram *histogram;
  double lo = INFINITY, hi = -INFINITY;
  double sum = 0.0, sum_sq = 0.0;
  double width;
  gsize count = 0;

  g_return_val_if_fail (n == 0 || values != NULL, NULL);
  g_return_val_if_fail (n_bins >= 1, NULL);

  histogram = g_new0 (CnvHistogram, 1);
  histogram->n_bins = n_bins;
  histogram->counts = g_new0 (guint, n_bins);

  for (gsize i = 0; i < n; i++)
    if (isfinite (values[i]))
      {
        lo = MIN (lo, values[i]);
        hi = MAX (hi, values[i]);
        sum += values[i];
        count++;
      }

  if (count == 0)
    lo = hi = 0.0;
  if (lo == hi)
    {
      lo -= 0.5;
      hi += 0.5;
    }
  histogram->lo = (float) lo;
  histogram->hi = (float) hi;
  histogram->n_values = count;
  histogram->mean = count > 0 ? sum / (double) count : 0.0;

  width = (hi - lo) / n_bins;
  for (gsize i = 0; i < n; i++)
    {
      double d;
      guint bin;

      if (!isfinite (values[i]))
        continue;

      d = values[i] - histogram->mean;
      sum_sq += d * d;
      bin = (guint) MIN ((values[i] - lo) / width, (double) (n_bins - 1));
      histogram->counts[bin]++;
    }
  histogram->std = count > 0 ? sqrt (sum_sq / (double) count) : 0.0;

  return histogram;
}

CnvHistogram *
cnv_inspect_weight_histogram (const CnvModel *model,
                              guint           layer,
                              guint           n_bins)
{
  g_autofree char *name = NULL;
  const CnvModelSpec *spec;
  CnvParam *param;

  g_return_val_if_fail (model != NULL, NULL);

  spec = cnv_model_get_spec (model);
  g_return_val_if_fail (layer < spec->n_layers, NULL);

  name = g_strdup_printf ("%s.weight", spec->layers[layer].id);
  param = cnv_model_find_param (model, name);
  if (param == NULL)
    return NULL;

  return cnv_histogram_compute (param->value->data, param->value->size,
                                n_bins);
}
