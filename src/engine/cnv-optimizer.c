/* cnv-optimizer.c — SGD (momentum, Nesterov, weight decay) and Adam
 *
 * The updates follow torch.optim.SGD and torch.optim.Adam of PyTorch 1.13
 * operation by operation, in the same order and with the scalars computed
 * in double and applied in float, so a run can be compared with PyTorch
 * step by step (tests/reference/optimizer-*.json).  The one idea to keep
 * in mind is PyTorch's first-step rule for momentum: the buffer does not
 * exist before the first step and is then set to the gradient itself, not
 * to momentum · 0 + gradient.  Every parameter is updated at every step,
 * so "the buffer exists" is the same as "step > 0", which is what a
 * checkpoint stores.
 *
 * State lives in named slots "optimizer.<param>.<slot>" that share nothing
 * with the model, and parameters are found by name at each step, so the
 * optimizer works with any model of the same description (a copy, or one
 * rebuilt from a checkpoint).
 */
#define G_LOG_DOMAIN "cnv-optimizer"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cnv-optimizer.h"
#include "cnv-optimizer-private.h"
#include "cnv-tensor-private.h"
#include "cnv-avx512-private.h"

/* The slots of one trainable parameter, in the model's order. */
typedef struct
{
  char             *param_name;
  CnvOptimizerSlot *first;    /* momentum_buffer, or exp_avg */
  CnvOptimizerSlot *second;   /* exp_avg_sq, or NULL */
} ParamState;

struct _CnvOptimizer
{
  CnvOptimizerConfig config;
  gint64             step;
  GPtrArray         *slots;   /* CnvOptimizerSlot*, owned */
  GArray            *params;  /* ParamState */
};

G_DEFINE_QUARK (cnv-optimizer-error-quark, cnv_optimizer_error)

void
cnv_optimizer_config_init_default (CnvOptimizerConfig *config,
                                   CnvOptimizerKind    kind)
{
  g_return_if_fail (config != NULL);

  config->kind = kind;
  config->learning_rate = 0.001;
  config->weight_decay = 0.0;
  config->momentum = 0.9;
  config->nesterov = FALSE;
  config->beta1 = 0.9;
  config->beta2 = 0.999;
  config->epsilon = 1e-8;
}

const char *
cnv_optimizer_kind_to_string (CnvOptimizerKind kind)
{
  switch (kind)
    {
    case CNV_OPTIMIZER_SGD:
      return "sgd";
    case CNV_OPTIMIZER_ADAM:
      return "adam";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
cnv_optimizer_kind_from_string (const char       *name,
                                CnvOptimizerKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  if (g_strcmp0 (name, "sgd") == 0)
    *kind = CNV_OPTIMIZER_SGD;
  else if (g_strcmp0 (name, "adam") == 0)
    *kind = CNV_OPTIMIZER_ADAM;
  else
    return FALSE;

  return TRUE;
}

JsonNode *
cnv_optimizer_config_to_json_node (const CnvOptimizerConfig *config)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (config != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder,
                                 cnv_optimizer_kind_to_string (config->kind));
  json_builder_set_member_name (builder, "learning_rate");
  json_builder_add_double_value (builder, config->learning_rate);
  json_builder_set_member_name (builder, "weight_decay");
  json_builder_add_double_value (builder, config->weight_decay);
  json_builder_set_member_name (builder, "momentum");
  json_builder_add_double_value (builder, config->momentum);
  json_builder_set_member_name (builder, "nesterov");
  json_builder_add_boolean_value (builder, config->nesterov);
  json_builder_set_member_name (builder, "beta1");
  json_builder_add_double_value (builder, config->beta1);
  json_builder_set_member_name (builder, "beta2");
  json_builder_add_double_value (builder, config->beta2);
  json_builder_set_member_name (builder, "epsilon");
  json_builder_add_double_value (builder, config->epsilon);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
read_number (JsonNode    *node,
             const char  *field,
             double      *value,
             GError     **error)
{
  GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                            : G_TYPE_INVALID;

  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The optimizer setting “%s” must be a number."), field);
      return FALSE;
    }

  *value = json_node_get_double (node);
  return TRUE;
}

/* Unknown fields are errors, so a misspelt setting is never ignored. */
static gboolean
check_known_fields (JsonObject  *object,
                    GError     **error)
{
  static const char * const known[] = {
    "kind", "learning_rate", "weight_decay", "momentum", "nesterov",
    "beta1", "beta2", "epsilon", NULL,
  };
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                     _("The optimizer setting “%s” is unknown; the known "
                       "ones are kind, learning_rate, weight_decay, "
                       "momentum, nesterov, beta1, beta2 and epsilon."),
                     (const char *) l->data);
        return FALSE;
      }

  return TRUE;
}

static gboolean
read_kind (JsonObject        *object,
           CnvOptimizerKind  *kind,
           GError           **error)
{
  JsonNode *node = json_object_get_member (object, "kind");
  const char *name = NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    name = json_node_get_string (node);

  if (!cnv_optimizer_kind_from_string (name, kind))
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The optimizer kind “%s” is unknown; use “adam” or "
                     "“sgd”."), name != NULL ? name : "");
      return FALSE;
    }

  return TRUE;
}

/* The numbers and nesterov present in object, over config's defaults. */
static gboolean
read_settings (JsonObject          *object,
               CnvOptimizerConfig  *config,
               GError             **error)
{
  struct { const char *name; double *value; } numbers[] = {
    { "learning_rate", &config->learning_rate },
    { "weight_decay", &config->weight_decay },
    { "momentum", &config->momentum },
    { "beta1", &config->beta1 },
    { "beta2", &config->beta2 },
    { "epsilon", &config->epsilon },
  };
  JsonNode *nesterov = json_object_get_member (object, "nesterov");

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      JsonNode *member = json_object_get_member (object, numbers[i].name);

      if (member != NULL
          && !read_number (member, numbers[i].name, numbers[i].value, error))
        return FALSE;
    }

  if (nesterov == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (nesterov)
      || json_node_get_value_type (nesterov) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The optimizer setting “nesterov” must be true or "
                     "false."));
      return FALSE;
    }
  config->nesterov = json_node_get_boolean (nesterov);

  return TRUE;
}

gboolean
cnv_optimizer_config_from_json_node (JsonNode            *node,
                                     CnvOptimizerConfig  *config,
                                     GError             **error)
{
  JsonObject *object;
  CnvOptimizerKind kind;

  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The optimizer settings must be a JSON object."));
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!check_known_fields (object, error) || !read_kind (object, &kind, error))
    return FALSE;

  /* Writers emit every field; a reader fills a missing one with the
   * default of its kind. */
  cnv_optimizer_config_init_default (config, kind);
  if (!read_settings (object, config, error))
    return FALSE;

  return cnv_optimizer_config_validate (config, error);
}

static gboolean
check_range (gboolean     ok,
             const char  *field,
             double       value,
             const char  *range,
             GError     **error)
{
  if (ok)
    return TRUE;

  g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
               _("The optimizer setting “%s” is %g; it must be %s."),
               field, value, range);
  return FALSE;
}

gboolean
cnv_optimizer_config_validate (const CnvOptimizerConfig  *config,
                               GError                   **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  /* isfinite () first: NaN fails every comparison below anyway. */
  if (!check_range (isfinite (config->learning_rate)
                    && config->learning_rate > 0.0,
                    "learning_rate", config->learning_rate,
                    _("a finite number above 0"), error)
      || !check_range (isfinite (config->weight_decay)
                       && config->weight_decay >= 0.0,
                       "weight_decay", config->weight_decay,
                       _("a finite number of at least 0"), error))
    return FALSE;

  if (config->kind == CNV_OPTIMIZER_SGD)
    {
      if (!check_range (config->momentum >= 0.0 && config->momentum < 1.0,
                        "momentum", config->momentum,
                        _("at least 0 and below 1"), error))
        return FALSE;

      if (config->nesterov && config->momentum == 0.0)
        {
          g_set_error (error, CNV_OPTIMIZER_ERROR,
                       CNV_OPTIMIZER_ERROR_INVALID,
                       _("Nesterov momentum needs a momentum above 0; set "
                         "“momentum” or turn “nesterov” off."));
          return FALSE;
        }
    }
  else
    {
      if (!check_range (config->beta1 >= 0.0 && config->beta1 < 1.0,
                        "beta1", config->beta1,
                        _("at least 0 and below 1"), error)
          || !check_range (config->beta2 >= 0.0 && config->beta2 < 1.0,
                           "beta2", config->beta2,
                           _("at least 0 and below 1"), error)
          || !check_range (isfinite (config->epsilon)
                           && config->epsilon > 0.0,
                           "epsilon", config->epsilon,
                           _("a finite number above 0"), error))
        return FALSE;
    }

  return TRUE;
}

static void
slot_free (gpointer data)
{
  CnvOptimizerSlot *slot = data;

  g_free (slot->name);
  cnv_tensor_free (slot->value);
  g_free (slot);
}

static CnvOptimizerSlot *
slot_new (const char      *param_name,
          const char      *slot_name,
          const CnvTensor *like,
          gboolean         zero)
{
  CnvOptimizerSlot *slot = g_new0 (CnvOptimizerSlot, 1);

  slot->name = g_strdup_printf ("optimizer.%s.%s", param_name, slot_name);
  slot->value = zero ? cnv_tensor_new (like->ndim, like->shape)
                     : cnv_tensor_new_unfilled (like->ndim, like->shape);

  return slot;
}

static void
param_state_clear (gpointer data)
{
  ParamState *state = data;

  g_free (state->param_name);
}

static CnvOptimizer *
optimizer_alloc (const CnvOptimizerConfig *config)
{
  CnvOptimizer *optimizer = g_new0 (CnvOptimizer, 1);

  optimizer->config = *config;
  optimizer->slots = g_ptr_array_new_with_free_func (slot_free);
  optimizer->params = g_array_new (FALSE, TRUE, sizeof (ParamState));
  g_array_set_clear_func (optimizer->params, param_state_clear);

  return optimizer;
}

static gboolean
has_momentum_buffer (const CnvOptimizerConfig *config)
{
  return config->kind == CNV_OPTIMIZER_SGD && config->momentum != 0.0;
}

gboolean
cnv_optimizer_config_same_state (const CnvOptimizerConfig *a,
                                 const CnvOptimizerConfig *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return a->kind == b->kind
         && has_momentum_buffer (a) == has_momentum_buffer (b);
}

/* An optimizer for model's parameters, its slots zero or, for
 * cnv_optimizer_new_unfilled (), left as they are. */
static CnvOptimizer *
optimizer_new (const CnvOptimizerConfig *config,
               const CnvModel           *model,
               gboolean                  zero)
{
  CnvOptimizer *optimizer;
  guint n_params;

  optimizer = optimizer_alloc (config);
  n_params = cnv_model_get_n_params (model);

  for (guint i = 0; i < n_params; i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);
      ParamState state = { 0 };

      if (!param->trainable)
        continue;

      state.param_name = g_strdup (param->name);

      if (config->kind == CNV_OPTIMIZER_ADAM)
        {
          state.first = slot_new (param->name, "exp_avg", param->value,
                                  zero);
          state.second = slot_new (param->name, "exp_avg_sq", param->value,
                                   zero);
          g_ptr_array_add (optimizer->slots, state.first);
          g_ptr_array_add (optimizer->slots, state.second);
        }
      else if (has_momentum_buffer (config))
        {
          state.first = slot_new (param->name, "momentum_buffer",
                                  param->value, zero);
          g_ptr_array_add (optimizer->slots, state.first);
        }

      g_array_append_val (optimizer->params, state);
    }

  return optimizer;
}

CnvOptimizer *
cnv_optimizer_new (const CnvOptimizerConfig *config,
                   const CnvModel           *model)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  return optimizer_new (config, model, TRUE);
}

CnvOptimizer *
cnv_optimizer_new_unfilled (const CnvOptimizerConfig *config,
                            const CnvModel           *model)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  return optimizer_new (config, model, FALSE);
}

void
cnv_optimizer_free (CnvOptimizer *optimizer)
{
  if (optimizer == NULL)
    return;

  g_array_unref (optimizer->params);
  g_ptr_array_unref (optimizer->slots);
  g_free (optimizer);
}

CnvOptimizer *
cnv_optimizer_copy (const CnvOptimizer *optimizer)
{
  CnvOptimizer *copy;

  g_return_val_if_fail (optimizer != NULL, NULL);

  copy = optimizer_alloc (&optimizer->config);
  copy->step = optimizer->step;

  /* Slots are in the same order as the parameters' states, so copying
   * them in order and re-pointing each state by position is enough. */
  for (guint i = 0; i < optimizer->slots->len; i++)
    {
      const CnvOptimizerSlot *slot = g_ptr_array_index (optimizer->slots, i);
      CnvOptimizerSlot *dup = g_new0 (CnvOptimizerSlot, 1);

      dup->name = g_strdup (slot->name);
      dup->value = cnv_tensor_copy (slot->value);
      g_ptr_array_add (copy->slots, dup);
    }

  for (guint i = 0; i < optimizer->params->len; i++)
    {
      const ParamState *state = &g_array_index (optimizer->params,
                                                ParamState, i);
      ParamState dup = { 0 };
      guint index;

      dup.param_name = g_strdup (state->param_name);
      if (state->first != NULL
          && g_ptr_array_find (optimizer->slots, state->first, &index))
        dup.first = g_ptr_array_index (copy->slots, index);
      if (state->second != NULL
          && g_ptr_array_find (optimizer->slots, state->second, &index))
        dup.second = g_ptr_array_index (copy->slots, index);
      g_array_append_val (copy->params, dup);
    }

  return copy;
}

const CnvOptimizerConfig *
cnv_optimizer_get_config (const CnvOptimizer *optimizer)
{
  g_return_val_if_fail (optimizer != NULL, NULL);

  return &optimizer->config;
}

void
cnv_optimizer_set_config (CnvOptimizer             *optimizer,
                          const CnvOptimizerConfig *config)
{
  g_return_if_fail (optimizer != NULL);
  g_return_if_fail (config != NULL);
  g_return_if_fail (cnv_optimizer_config_same_state (&optimizer->config,
                                                    config));

  optimizer->config = *config;
}

void
cnv_optimizer_set_learning_rate (CnvOptimizer *optimizer,
                                 double        learning_rate)
{
  g_return_if_fail (optimizer != NULL);

  optimizer->config.learning_rate = learning_rate;
}

gint64
cnv_optimizer_get_step (const CnvOptimizer *optimizer)
{
  g_return_val_if_fail (optimizer != NULL, 0);

  return optimizer->step;
}

void
cnv_optimizer_set_step (CnvOptimizer *optimizer,
                        gint64        step)
{
  g_return_if_fail (optimizer != NULL);
  g_return_if_fail (step >= 0);

  optimizer->step = step;
}

guint
cnv_optimizer_get_n_slots (const CnvOptimizer *optimizer)
{
  g_return_val_if_fail (optimizer != NULL, 0);

  return optimizer->slots->len;
}

CnvOptimizerSlot *
cnv_optimizer_get_slot (const CnvOptimizer *optimizer,
                        guint               index)
{
  g_return_val_if_fail (optimizer != NULL, NULL);
  g_return_val_if_fail (index < optimizer->slots->len, NULL);

  return g_ptr_array_index (optimizer->slots, index);
}

CnvOptimizerSlot *
cnv_optimizer_find_slot (const CnvOptimizer *optimizer,
                         const char         *name)
{
  g_return_val_if_fail (optimizer != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < optimizer->slots->len; i++)
    {
      CnvOptimizerSlot *slot = g_ptr_array_index (optimizer->slots, i);

      if (strcmp (slot->name, name) == 0)
        return slot;
    }

  return NULL;
}

/* torch.optim.SGD, one tensor:
 *   g = grad + wd · p
 *   buf = g (first step) | buf = m · buf + g
 *   g = g + m · buf (Nesterov) | g = buf
 *   p = p − lr · g */
static void
sgd_update (const CnvOptimizerConfig *config,
            gboolean                  first_step,
            const CnvParam           *param,
            CnvTensor                *buffer)
{
  const float wd = (float) config->weight_decay;
  const float m = (float) config->momentum;
  const float lr = (float) config->learning_rate;
  float *p = param->value->data;
  const float *grad = param->grad->data;
  float *buf = buffer != NULL ? buffer->data : NULL;

  for (gsize i = 0; i < param->value->size; i++)
    {
      float g = grad[i];

      if (config->weight_decay != 0.0)
        g = g + wd * p[i];

      if (buf != NULL)
        {
          buf[i] = first_step ? g : buf[i] * m + g;
          g = config->nesterov ? g + m * buf[i] : buf[i];
        }

      p[i] = p[i] + -lr * g;
    }
}

/* torch.optim.Adam (single-tensor path), one tensor at step t: the loop
 * of cnv-optimizer-private.h, sixteen floats at a time where the CPU has
 * AVX-512, to the same bits. */
static void
adam_update (const CnvOptimizerConfig *config,
             gint64                    step,
             const CnvParam           *param,
             CnvTensor                *exp_avg,
             CnvTensor                *exp_avg_sq)
{
  const double bias_correction1 = 1.0 - pow (config->beta1, (double) step);
  const double bias_correction2 = 1.0 - pow (config->beta2, (double) step);
  CnvAdamStep k = {
    .decay = config->weight_decay != 0.0,
    .weight_decay = (float) config->weight_decay,
    .beta1 = (float) config->beta1,
    .one_minus_beta1 = (float) (1.0 - config->beta1),
    .beta2 = (float) config->beta2,
    .one_minus_beta2 = (float) (1.0 - config->beta2),
    .epsilon = (float) config->epsilon,
    .step_size = (float) (config->learning_rate / bias_correction1),
    .bc2_sqrt = (float) sqrt (bias_correction2),
  };

#ifdef CNV_HAVE_AVX512
  if (cnv_layers_avx512_allowed ())
    {
      cnv_avx512_adam (&k, param->value->size, param->value->data,
                       param->grad->data, exp_avg->data, exp_avg_sq->data);
      return;
    }
#endif
  cnv_adam_loop (&k, param->value->size, param->value->data,
                 param->grad->data, exp_avg->data, exp_avg_sq->data);
}

void
cnv_optimizer_step (CnvOptimizer *optimizer,
                    CnvModel     *model)
{
  gboolean first_step;

  g_return_if_fail (optimizer != NULL);
  g_return_if_fail (model != NULL);

  first_step = optimizer->step == 0;
  optimizer->step++;

  for (guint i = 0; i < optimizer->params->len; i++)
    {
      ParamState *state = &g_array_index (optimizer->params, ParamState, i);
      CnvParam *param = cnv_model_find_param (model, state->param_name);

      /* The optimizer was made for a model of another description. */
      g_return_if_fail (param != NULL && param->grad != NULL);
      g_return_if_fail (param->value->size == param->grad->size);
      g_return_if_fail (state->first == NULL
                        || state->first->value->size == param->value->size);

      if (optimizer->config.kind == CNV_OPTIMIZER_ADAM)
        adam_update (&optimizer->config, optimizer->step, param,
                     state->first->value, state->second->value);
      else
        sgd_update (&optimizer->config, first_step, param,
                    state->first != NULL ? state->first->value : NULL);
    }
}
