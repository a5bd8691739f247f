/* cnv-model.h — the model description and the runnable model
 *
 * A CnvModelSpec is the JSON model description of DESIGN.md as plain data:
 * an input shape and a list of layer specs.  A CnvModel is a spec brought
 * to life: shapes inferred, parameters allocated, and forward and backward
 * passes over NCHW batches.  Tensors are named "<layer id>.<name>" with
 * PyTorch's layouts (conv weight [out, in, kh, kw], dense weight [out, in]).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cnv-rng.h"
#include "cnv-tensor.h"

G_BEGIN_DECLS

#define CNV_MODEL_ERROR (cnv_model_error_quark ())

typedef enum
{
  CNV_MODEL_ERROR_INVALID,      /* malformed JSON or field */
  CNV_MODEL_ERROR_UNKNOWN_TYPE, /* a layer type Convolve does not implement */
  CNV_MODEL_ERROR_SHAPE,        /* an impossible shape */
  CNV_MODEL_ERROR_HEAD,         /* not a single-logit binary head */
} CnvModelError;

GQuark cnv_model_error_quark (void);

typedef enum
{
  CNV_LAYER_CONV2D,
  CNV_LAYER_MAX_POOL,
  CNV_LAYER_AVG_POOL,
  CNV_LAYER_GLOBAL_AVG_POOL,
  CNV_LAYER_BATCH_NORM,
  CNV_LAYER_DROPOUT,
  CNV_LAYER_FLATTEN,
  CNV_LAYER_DENSE,
  CNV_LAYER_RELU,
  CNV_LAYER_LEAKY_RELU,
  CNV_LAYER_SIGMOID,
  CNV_LAYER_TANH,
  CNV_LAYER_SOFTMAX,        /* over the channels (dim 1), like PyTorch's
                             * nn.Softmax (dim=1) */
  CNV_N_LAYER_KINDS
} CnvLayerKind;

/* "valid" pads nothing: out = floor ((in − kernel) / stride) + 1.
 * "same" pads so that out = ceil (in / stride), like TensorFlow and
 * PyTorch's padding="same"; an odd total padding puts the extra row or
 * column at the bottom or right.  Max pooling ignores padded cells; average
 * pooling counts them as zeros and divides by the whole window
 * (PyTorch's count_include_pad=True). */
typedef enum
{
  CNV_PADDING_VALID,
  CNV_PADDING_SAME,
} CnvPadding;

/* One layer of the description.  Only the fields of its kind are used;
 * the others keep their defaults. */
typedef struct
{
  char        *id;
  CnvLayerKind kind;
  int          filters;      /* conv2d */
  int          units;        /* dense */
  int          kernel[2];    /* conv2d kernel, pool size: [height, width] */
  int          stride[2];    /* [height, width] */
  CnvPadding   padding;      /* conv2d, pools */
  float        slope;        /* leaky-relu, default 0.01 */
  float        rate;         /* dropout, default 0.5 */
  float        momentum;     /* batch-norm, default 0.1 (PyTorch's meaning) */
  float        epsilon;      /* batch-norm, default 1e-5 */
} CnvLayerSpec;

typedef struct
{
  int           width;
  int           height;
  int           channels;   /* 1 (grey) or 3 (RGB) */
  guint         n_layers;
  CnvLayerSpec *layers;
} CnvModelSpec;

/* The shape of one sample as it leaves a layer.  After flatten and dense,
 * flat is TRUE, channels holds the feature count and height = width = 1. */
typedef struct
{
  int      channels;
  int      height;
  int      width;
  gboolean flat;
} CnvShape;

const char   *cnv_layer_kind_to_string   (CnvLayerKind kind);   /* "conv2d" */
gboolean      cnv_layer_kind_from_string (const char   *name,
                                          CnvLayerKind *kind);
/* Human name for lists: "Convolution", "Max pooling", … (translated). */
const char   *cnv_layer_kind_get_title   (CnvLayerKind kind);

/* The LeNet-style default stack of the issue (53,729 parameters). */
CnvModelSpec *cnv_model_spec_new_default (void);
CnvModelSpec *cnv_model_spec_copy        (const CnvModelSpec *spec);
void          cnv_model_spec_free        (CnvModelSpec       *spec);
/* Parses the JSON description.  Unknown types and fields are errors that
 * name the layer and the field.  Does not check shapes. */
CnvModelSpec *cnv_model_spec_new_from_json_node (JsonNode    *node,
                                                 GError     **error);
CnvModelSpec *cnv_model_spec_new_from_json      (const char  *json,
                                                 gssize       length,
                                                 GError     **error);
/* Writes every field explicitly. */
JsonNode     *cnv_model_spec_to_json_node (const CnvModelSpec *spec);
char         *cnv_model_spec_to_json      (const CnvModelSpec *spec,
                                           gboolean            pretty);
gboolean      cnv_model_spec_equal        (const CnvModelSpec *a,
                                           const CnvModelSpec *b);
/* Infers every layer's output shape into shapes[n_layers] (may be NULL)
 * and checks the whole stack: unique ids, kernels that fit, sizes that do
 * not collapse, flatten before dense, a single-logit dense head.  The
 * message names the layer and says what to change. */
gboolean      cnv_model_spec_validate     (const CnvModelSpec *spec,
                                           CnvShape           *shapes,
                                           GError            **error);
/* Trainable parameters of one layer given its input shape. */
gsize         cnv_layer_spec_count_parameters (const CnvLayerSpec *layer,
                                               const CnvShape     *input);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvModelSpec, cnv_model_spec_free)

/* Validation as a list: every problem of a stack at once, for the editor
 * and the CLI.  Each message is one sentence that names the layer and says
 * what to change; cnv_model_spec_validate () reports the first one. */
typedef enum
{
  CNV_MODEL_PROBLEM_INPUT,            /* input size or channels out of range */
  CNV_MODEL_PROBLEM_TOO_MANY_LAYERS,
  CNV_MODEL_PROBLEM_EMPTY,            /* no layers at all */
  CNV_MODEL_PROBLEM_INVALID_ID,       /* empty, or not letters, digits, _ - */
  CNV_MODEL_PROBLEM_DUPLICATE_ID,
  CNV_MODEL_PROBLEM_PARAMETER,        /* filters, units, kernel out of range */
  CNV_MODEL_PROBLEM_WINDOW_TOO_LARGE, /* kernel or pool larger than input */
  CNV_MODEL_PROBLEM_COLLAPSE,         /* earlier layers shrank it to nothing */
  CNV_MODEL_PROBLEM_NEEDS_FLATTEN,    /* dense on feature maps */
  CNV_MODEL_PROBLEM_AFTER_FLATTEN,    /* conv or pool on a flat input */
  CNV_MODEL_PROBLEM_LAYER_TOO_LARGE,  /* one layer beyond Convolve's caps */
  CNV_MODEL_PROBLEM_HEAD,             /* not a dense layer of 1 unit last */
  CNV_MODEL_PROBLEM_SIGMOID_HEAD,     /* sigmoid after the logit */
  CNV_MODEL_PROBLEM_SOFTMAX_ONE,      /* softmax over one value: always 1 */
  CNV_MODEL_PROBLEM_MEMORY,           /* training needs more memory */
} CnvModelProblemKind;

typedef struct
{
  int                 layer;    /* index into the stack; -1: the whole stack */
  CnvModelProblemKind kind;
  char               *message;  /* translated, one sentence */
} CnvModelProblem;

void          cnv_model_problem_free      (CnvModelProblem    *problem);
/* The CNV_MODEL_ERROR code cnv_model_spec_validate () uses for a kind. */
CnvModelError cnv_model_problem_kind_to_error (CnvModelProblemKind kind);

/* Infers every layer's output shape into shapes[n_layers] (may be NULL)
 * and collects every problem into *problems (may be NULL; a new array of
 * CnvModelProblem that frees its elements, empty when the stack is valid).
 * A layer after a broken one still gets a best-effort shape where one can
 * be inferred; a shape that cannot has channels = height = width = 0.
 * Does not check memory: see cnv_model_spec_check_memory (). */
gboolean      cnv_model_spec_check        (const CnvModelSpec *spec,
                                           CnvShape           *shapes,
                                           GPtrArray         **problems);

/* What a stack costs.  Multiply-adds count the convolutions and dense
 * layers (conv: out_h·out_w·filters·in_c·kh·kw, dense: in·out); doubled
 * they are the usual FLOP figure.  Bytes are float32. */
typedef struct
{
  gsize   parameters;
  guint64 multiply_adds;     /* per image, forward */
  guint64 weight_bytes;      /* the layer's trainable parameters */
  guint64 activation_bytes;  /* the layer's output for the whole batch */
} CnvLayerCosts;

typedef struct
{
  int            batch_size;
  guint          n_layers;
  CnvLayerCosts *layers;               /* n_layers, owned */
  gsize          parameters;
  guint64        multiply_adds;        /* per image, forward */
  guint64        weight_bytes;
  /* The input and every layer's output for one batch: what inference
   * keeps when it captures every feature map. */
  guint64        activation_bytes;
  /* Training keeps the activations and their gradients: twice the above. */
  guint64        training_activation_bytes;
  /* An estimate of training's whole need: weights, their gradients and
   * two optimizer slots (Adam), plus the training activations. */
  guint64        training_bytes;
} CnvModelCosts;

/* Fills costs for a stack at batch_size (≥ 1).  Layers whose shape cannot
 * be inferred count zero.  Free with cnv_model_costs_clear (). */
void          cnv_model_spec_get_costs    (const CnvModelSpec *spec,
                                           int                 batch_size,
                                           CnvModelCosts      *costs);
void          cnv_model_costs_clear       (CnvModelCosts      *costs);

/* Physical memory of this machine in bytes (0 when unknown). */
guint64       cnv_get_physical_memory     (void);
/* Appends a CNV_MODEL_PROBLEM_MEMORY problem to problems when training
 * spec at batch_size would need more than available_bytes (0: this
 * machine's physical memory).  Returns TRUE when it fits. */
gboolean      cnv_model_spec_check_memory (const CnvModelSpec *spec,
                                           int                 batch_size,
                                           guint64             available_bytes,
                                           GPtrArray          *problems);

/* Starting points for the layer stack editor. */
typedef enum
{
  CNV_TEMPLATE_EMPTY,      /* 28×28×1, no layers: invalid until built */
  CNV_TEMPLATE_TINY,       /* 28×28×1, one small convolution */
  CNV_TEMPLATE_LENET,      /* the default stack */
  CNV_TEMPLATE_SMALL_VGG,  /* 64×64×3, three VGG blocks, 1,335,841 params */
  CNV_N_MODEL_TEMPLATES
} CnvModelTemplate;

CnvModelSpec *cnv_model_spec_new_template (CnvModelTemplate    template_);
/* Translated title ("LeNet") and one-line description. */
const char   *cnv_model_template_get_title       (CnvModelTemplate template_);
const char   *cnv_model_template_get_description (CnvModelTemplate template_);
/* "empty", "tiny", "lenet", "small-vgg" */
const char   *cnv_model_template_to_string       (CnvModelTemplate template_);

/* Whether id may name a layer: letters, digits, "_" and "-". */
gboolean      cnv_layer_id_is_valid       (const char         *id);
/* A layer spec of kind with the defaults the editor offers. */
void          cnv_layer_spec_init_defaults (CnvLayerSpec      *layer,
                                            CnvLayerKind       kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvModelProblem, cnv_model_problem_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CnvModelCosts, cnv_model_costs_clear)

/* A named tensor owned by a model.  grad is NULL for buffers that are not
 * trained (batch-norm running statistics). */
typedef struct
{
  char      *name;       /* "conv1.weight" */
  CnvTensor *value;
  CnvTensor *grad;
  gboolean   trainable;
} CnvParam;

typedef struct _CnvModel CnvModel;

/* Validates the spec and allocates zeroed parameters (batch-norm running
 * variance and scale start at 1). */
CnvModel           *cnv_model_new             (const CnvModelSpec *spec,
                                               GError            **error);
/* Deep copy of spec, parameters and buffers (not gradients or caches). */
CnvModel           *cnv_model_copy            (const CnvModel     *model);
void                cnv_model_free            (CnvModel           *model);
const CnvModelSpec *cnv_model_get_spec        (const CnvModel     *model);
const CnvShape     *cnv_model_get_output_shape (const CnvModel    *model,
                                               guint               layer);
/* He-normal for weights feeding a relu or leaky-relu, Glorot-uniform
 * otherwise; biases zero; batch-norm scale 1, shift 0. */
void                cnv_model_init_parameters (CnvModel           *model,
                                               CnvRng             *rng);
/* Every named tensor in layer order: weights, biases, then buffers. */
guint               cnv_model_get_n_params    (const CnvModel     *model);
CnvParam           *cnv_model_get_param       (const CnvModel     *model,
                                               guint               index);
CnvParam           *cnv_model_find_param      (const CnvModel     *model,
                                               const char         *name);
/* Number of trainable scalars. */
gsize               cnv_model_count_parameters (const CnvModel    *model);

/* input is [N, C, H, W] matching the spec.  Returns the logits [N]
 * (borrowed, valid until the next forward).  With training TRUE, batch-norm
 * uses batch statistics and updates its running ones, dropout draws its
 * mask from rng, and what backward needs is kept.  With training FALSE
 * every sample is computed independently of the others in the batch.
 * Buffers grow to the largest batch seen and are reused for smaller ones;
 * NULL (with a warning) when memory for the batch cannot be allocated. */
const CnvTensor    *cnv_model_forward         (CnvModel           *model,
                                               const CnvTensor    *input,
                                               gboolean            training,
                                               CnvRng             *rng);
/* The output of layer `layer` from the last forward, [N, C, H, W] or
 * [N, F] (borrowed).  This is what the feature-map views show. */
const CnvTensor    *cnv_model_get_activation  (const CnvModel     *model,
                                               guint               layer);
/* d loss / d output of layer `layer` from the last backward, shaped like
 * its activation (borrowed).  Grad-CAM weighs feature maps with it. */
const CnvTensor    *cnv_model_get_activation_grad (const CnvModel *model,
                                                   guint           layer);
/* Sets every gradient to zero. */
void                cnv_model_zero_grad       (CnvModel           *model);
/* Accumulates parameter gradients for d loss / d logits [N] after a
 * training forward.  When input_grad is not NULL it receives
 * d loss / d input, shaped like the input (used by the tests).  After an
 * inference forward it differentiates the inference computation
 * (batch-norm with its running statistics, no dropout): what Grad-CAM
 * needs, read back with cnv_model_get_activation_grad (). */
void                cnv_model_backward        (CnvModel           *model,
                                               const CnvTensor    *logits_grad,
                                               CnvTensor          *input_grad);

/* Sets the number of threads the math may use (OpenBLAS and our own).
 * Convolutions split each batch among that many worker threads and keep
 * OpenBLAS itself on one thread, so that the two never compete for cores.
 * The default is g_get_num_processors ().  Logits and gradients are the
 * same to the bit for any thread count. */
void                cnv_set_threads           (int                 n_threads);
int                 cnv_get_threads           (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvModel, cnv_model_free)

G_END_DECLS
