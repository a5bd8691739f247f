/* cnv-inspect.h — looking inside a classifier for one image
 *
 * Everything the feature-map, filter and Grad-CAM views and
 * `convolve-cli activations` show, computed headless: every layer's
 * output for one preprocessed image with per-channel statistics, Grad-CAM
 * over a chosen layer, the first convolution's filters as small images,
 * each layer's weight histogram, and the viridis colour map that turns
 * values into pixels.
 *
 * All of it runs the model in inference mode (batch-norm with its running
 * statistics, no dropout), exactly as prediction does, so the last layer's
 * output is the logit the prediction used.  The functions that run the
 * model write its caches: give each thread its own model (cnv_model_copy ()
 * of a snapshot).
 */
#pragma once

#include <glib.h>

#include "cnv-classifier.h"
#include "cnv-image.h"
#include "cnv-model.h"
#include "cnv-tensor.h"

G_BEGIN_DECLS

#define CNV_INSPECT_ERROR (cnv_inspect_error_quark ())

typedef enum
{
  CNV_INSPECT_ERROR_LAYER,      /* no such layer, or the wrong kind */
  CNV_INSPECT_ERROR_INPUT,      /* the image does not fit the model */
  CNV_INSPECT_ERROR_NO_MEMORY,
} CnvInspectError;

GQuark cnv_inspect_error_quark (void);

typedef struct
{
  float min;
  float max;
  float mean;
} CnvChannelStats;

/* One layer's output for one image, seen as maps.  A flat output (after
 * flatten or dense) is one map of 1 × features. */
typedef struct
{
  int              channels;
  int              height;
  int              width;
  gboolean         flat;
  float           *values;   /* channels × height × width, CHW order */
  CnvChannelStats *stats;    /* [channels] */
  float            min;      /* over every channel */
  float            max;
} CnvLayerMaps;

typedef struct
{
  CnvLayerMaps  input;       /* what the network read, after scaling */
  guint         n_layers;
  CnvLayerMaps *layers;      /* [n_layers], the model's layer order */
  float         logit;       /* the last layer's output */
} CnvFeatureMaps;

/* Runs model on input [1, C, H, W] in inference mode and keeps a copy of
 * every layer's output with its statistics.  NULL with an error when
 * memory is short. */
CnvFeatureMaps *cnv_feature_maps_compute (CnvModel        *model,
                                          const CnvTensor *input,
                                          GError         **error);
void            cnv_feature_maps_free    (CnvFeatureMaps  *maps);

/* The input tensor [1, C, H, W] the classifier's preprocessing makes of
 * image (as cnv_image_load () returned it with the same preprocessing).
 * NULL with an error when the image's size or channels are not the
 * model's. */
CnvTensor      *cnv_inspect_input_new    (const CnvClassifier *classifier,
                                          const CnvImage      *image,
                                          GError             **error);

typedef enum
{
  CNV_MAP_SCALE_SHARED,       /* one range over all channels of a layer */
  CNV_MAP_SCALE_PER_CHANNEL,  /* each channel from its own min to max */
} CnvMapScale;

/* The value range channel of maps is drawn with: lo maps to the darkest
 * colour, hi to the brightest. */
void            cnv_layer_maps_get_range (const CnvLayerMaps *maps,
                                          int                 channel,
                                          CnvMapScale         scale,
                                          float              *lo,
                                          float              *hi);
/* Writes channel of maps as height × width packed RGB bytes through
 * viridis with the range of scale. */
void            cnv_layer_maps_render    (const CnvLayerMaps *maps,
                                          int                 channel,
                                          CnvMapScale         scale,
                                          guint8             *rgb);

/* Viridis at t in [0, 1] (clamped; NaN gives t = 0) as sRGB bytes. */
void            cnv_viridis              (double              t,
                                          guint8              rgb[3]);
/* n values as packed RGB bytes: lo → viridis (0), hi → viridis (1).  When
 * hi ≤ lo every value is drawn as viridis (0): a constant map shows no
 * structure rather than a made-up one. */
void            cnv_viridis_render       (const float        *values,
                                          gsize               n,
                                          float               lo,
                                          float               hi,
                                          guint8             *rgb);

/* Grad-CAM (Selvaraju et al., 2017) for one image over one layer. */
typedef struct
{
  guint  layer;
  int    target_class;   /* 1: the positive class, d logit / d A;
                          * 0: the other one, d (−logit) / d A */
  float  logit;
  int    channels;       /* the layer's output */
  int    map_height;
  int    map_width;
  float *weights;        /* [channels]: the gradient's spatial mean */
  float *map;            /* [map_height × map_width]: relu (Σ w_c A_c) */
  int    height;         /* the input's */
  int    width;
  float *heat;           /* [height × width]: map upsampled bilinearly,
                          * half-pixel centres (PyTorch's
                          * align_corners=False) */
  float  max;            /* the largest value of map; 0 when no place
                          * speaks for the class */
} CnvGradCam;

/* Whether Grad-CAM can look at layer: its output has feature maps. */
gboolean        cnv_gradcam_layer_is_valid (const CnvModel *model,
                                            guint           layer);
/* The last convolution of the model, or -1 when it has none. */
int             cnv_gradcam_default_layer  (const CnvModel *model);
/* Runs the model forward and back in inference mode on input
 * [1, C, H, W].  Leaves the model's parameter gradients changed. */
CnvGradCam     *cnv_gradcam_compute        (CnvModel        *model,
                                            const CnvTensor *input,
                                            guint            layer,
                                            int              target_class,
                                            GError         **error);
void            cnv_gradcam_free           (CnvGradCam     *cam);
/* Writes the heat map over image (grey or RGB, the network's size) as
 * height × width packed RGB bytes: the image in grey, and over it viridis
 * of t = heat / max with alpha opacity · t (opacity in [0, 1]), so that
 * the image shows unchanged where nothing speaks for the class. */
void            cnv_gradcam_render_overlay (const CnvGradCam *cam,
                                            const CnvImage   *image,
                                            double            opacity,
                                            guint8           *rgb);

/* The filters of a conv2d layer that reads 1 or 3 channels, as images of
 * kernel height × width with that many channels (CnvImage*, grey or RGB).
 * All filters share one scale, symmetric around zero: −m → 0, 0 → 128,
 * +m → 255, m the largest magnitude of the layer's weights, so the tiles
 * can be compared with each other. */
GPtrArray      *cnv_inspect_filters        (const CnvModel *model,
                                            guint           layer,
                                            GError        **error);

typedef struct
{
  guint  n_bins;
  guint *counts;         /* [n_bins] */
  float  lo;             /* the bins split [lo, hi] evenly; the last bin */
  float  hi;             /* holds hi too (numpy.histogram's rule) */
  gsize  n_values;
  double mean;
  double std;            /* population standard deviation */
} CnvHistogram;

/* When every value is the same v, the bins split [v − 0.5, v + 0.5], as
 * numpy does.  Non-finite values are not counted. */
CnvHistogram   *cnv_histogram_compute      (const float  *values,
                                            gsize         n,
                                            guint         n_bins);
void            cnv_histogram_free         (CnvHistogram *histogram);
/* The histogram of "<id>.weight" of layer, or NULL when the layer has no
 * weight. */
CnvHistogram   *cnv_inspect_weight_histogram (const CnvModel *model,
                                              guint           layer,
                                              guint           n_bins);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvFeatureMaps, cnv_feature_maps_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvGradCam, cnv_gradcam_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvHistogram, cnv_histogram_free)

G_END_DECLS
