/* cnv-optimizer.h — SGD (momentum, Nesterov, weight decay) and Adam
 *
 * Both follow PyTorch's update rules exactly (torch.optim.SGD and
 * torch.optim.Adam with L2 weight decay added to the gradient), so a run
 * can be checked against PyTorch step by step.  The state of each slot is
 * a named tensor "optimizer.<param>.<slot>" that a checkpoint stores.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cnv-model.h"

G_BEGIN_DECLS

#define CNV_OPTIMIZER_ERROR (cnv_optimizer_error_quark ())

typedef enum
{
  CNV_OPTIMIZER_ERROR_INVALID,  /* an unknown field or a value out of range */
} CnvOptimizerError;

GQuark cnv_optimizer_error_quark (void);

typedef enum
{
  CNV_OPTIMIZER_SGD,
  CNV_OPTIMIZER_ADAM,
} CnvOptimizerKind;

typedef struct
{
  CnvOptimizerKind kind;
  double           learning_rate;  /* default 0.001 */
  double           weight_decay;   /* default 0 */
  double           momentum;       /* SGD, default 0.9 */
  gboolean         nesterov;       /* SGD, default FALSE */
  double           beta1;          /* Adam, default 0.9 */
  double           beta2;          /* Adam, default 0.999 */
  double           epsilon;        /* Adam, default 1e-8 */
} CnvOptimizerConfig;

/* A named slot of optimizer state.  Shares nothing with the model. */
typedef struct
{
  char      *name;    /* "optimizer.conv1.weight.exp_avg" */
  CnvTensor *value;
} CnvOptimizerSlot;

typedef struct _CnvOptimizer CnvOptimizer;

void          cnv_optimizer_config_init_default (CnvOptimizerConfig *config,
                                                 CnvOptimizerKind    kind);
const char   *cnv_optimizer_kind_to_string      (CnvOptimizerKind    kind);
gboolean      cnv_optimizer_kind_from_string    (const char         *name,
                                                 CnvOptimizerKind   *kind);
JsonNode     *cnv_optimizer_config_to_json_node (const CnvOptimizerConfig *config);
gboolean      cnv_optimizer_config_from_json_node (JsonNode         *node,
                                                   CnvOptimizerConfig *config,
                                                   GError          **error);

/* Allocates zeroed state for every trainable parameter of model.  SGD with
 * momentum has slot "momentum_buffer"; Adam has "exp_avg" and
 * "exp_avg_sq". */
CnvOptimizer *cnv_optimizer_new        (const CnvOptimizerConfig *config,
                                        const CnvModel           *model);
void          cnv_optimizer_free       (CnvOptimizer       *optimizer);
const CnvOptimizerConfig *
              cnv_optimizer_get_config (const CnvOptimizer *optimizer);
/* Replaces the hyperparameters of a resumed optimizer, keeping its state
 * and step counter.  The kind must not change: a different kind needs a
 * new optimizer. */
void          cnv_optimizer_set_config (CnvOptimizer             *optimizer,
                                        const CnvOptimizerConfig *config);
/* TRUE when an optimizer made with a keeps its state under b: the same
 * kind and the same slots (SGD with and without momentum differ).  Only
 * then may cnv_optimizer_set_config () change a into b. */
gboolean      cnv_optimizer_config_same_state (const CnvOptimizerConfig *a,
                                               const CnvOptimizerConfig *b);
/* Checks the ranges (learning rate > 0, 0 ≤ momentum < 1, …); the message
 * names the field and the value. */
gboolean      cnv_optimizer_config_validate (const CnvOptimizerConfig *config,
                                             GError                  **error);
/* The learning rate can change between steps (schedules). */
void          cnv_optimizer_set_learning_rate (CnvOptimizer *optimizer,
                                               double        learning_rate);
/* Applies one update from the gradients held in model's params. */
void          cnv_optimizer_step       (CnvOptimizer       *optimizer,
                                        CnvModel           *model);
/* Number of steps taken so far (Adam's bias correction uses it). */
gint64        cnv_optimizer_get_step   (const CnvOptimizer *optimizer);
void          cnv_optimizer_set_step   (CnvOptimizer       *optimizer,
                                        gint64              step);
guint         cnv_optimizer_get_n_slots (const CnvOptimizer *optimizer);
CnvOptimizerSlot *
              cnv_optimizer_get_slot   (const CnvOptimizer *optimizer,
                                        guint               index);
CnvOptimizerSlot *
              cnv_optimizer_find_slot  (const CnvOptimizer *optimizer,
                                        const char         *name);
CnvOptimizer *cnv_optimizer_copy       (const CnvOptimizer *optimizer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvOptimizer, cnv_optimizer_free)

G_END_DECLS
