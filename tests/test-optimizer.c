/* test-optimizer.c — SGD and Adam against PyTorch 1.13, step by step
 *
 * tests/reference/optimizer-<case>.json holds, for a small fixed set of
 * parameters, the gradient fed at each of six steps and the parameters and
 * optimizer state PyTorch had after it (make-optimizer-reference.py).  The
 * tests feed the same gradients to cnv_optimizer_step () on a tiny model
 * with the same trainable tensors and compare everything.
 */
#include <math.h>

#include "cnv.h"
#include "test-util.h"

/* Trainable: conv1.weight [2,1,2,2], conv1.bias [2], bn1.weight [2],
 * bn1.bias [2], out.weight [1,8], out.bias [1]; bn1's running statistics
 * are buffers the optimizer must leave alone. */
static const char tiny_model_json[] =
  "{ \"input\": { \"width\": 3, \"height\": 3, \"channels\": 1 },"
  "  \"layers\": ["
  "    { \"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 2,"
  "      \"kernel\": [2, 2], \"stride\": [1, 1], \"padding\": \"valid\" },"
  "    { \"id\": \"bn1\", \"type\": \"batch-norm\", \"momentum\": 0.1,"
  "      \"epsilon\": 1e-5 },"
  "    { \"id\": \"flat\", \"type\": \"flatten\" },"
  "    { \"id\": \"out\", \"type\": \"dense\", \"units\": 1 }"
  "  ] }";

static const char * const cases[] = {
  "sgd", "sgd-weight-decay", "sgd-momentum", "sgd-nesterov", "adam",
  "adam-weight-decay",
};

static CnvModel *
new_tiny_model (void)
{
  return test_model_new_from_json (tiny_model_json);
}

static JsonObject *
load_reference (const char *name,
                JsonParser *parser)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_strdup_printf ("optimizer-%s.json", name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "reference",
                                                 file, NULL);

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);

  return json_node_get_object (json_parser_get_root (parser));
}

static void
fill_from_json (CnvTensor *tensor,
                JsonArray *values)
{
  g_assert_cmpuint (json_array_get_length (values), ==, tensor->size);
  for (guint i = 0; i < tensor->size; i++)
    tensor->data[i] = (float) json_array_get_double_element (values, i);
}

/* PyTorch's values are reached to within a few float ulps: the same
 * operations in the same order, but its vectorised kernels may round a
 * multiply-add differently. */
static void
assert_close_to_json (const CnvTensor *tensor,
                      JsonArray       *values,
                      const char      *what,
                      guint            step)
{
  g_assert_cmpuint (json_array_get_length (values), ==, tensor->size);
  for (guint i = 0; i < tensor->size; i++)
    {
      double want = json_array_get_double_element (values, i);
      double got = tensor->data[i];

      if (fabs (got - want) > 2e-6 * MAX (1.0, fabs (want)))
        g_error ("%s[%u] after step %u: got %.9g, PyTorch has %.9g",
                 what, i, step, got, want);
    }
}

/* Sets the model's trainable tensors to the reference's initial values,
 * and checks that they are exactly the reference's tensors. */
static void
set_initial_params (CnvModel   *model,
                    JsonObject *reference)
{
  JsonObject *initial = json_object_get_object_member (reference, "initial");
  guint n_trainable = 0;

  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      if (!param->trainable)
        continue;

      n_trainable++;
      g_assert_true (json_object_has_member (initial, param->name));
      fill_from_json (param->value,
                      json_object_get_array_member (initial, param->name));
    }

  g_assert_cmpuint (n_trainable, ==, json_object_get_size (initial));
}

static void
set_grads (CnvModel   *model,
           JsonObject *step)
{
  JsonObject *grads = json_object_get_object_member (step, "grads");
  g_autoptr(GList) names = json_object_get_members (grads);

  for (GList *l = names; l != NULL; l = l->next)
    {
      CnvParam *param = cnv_model_find_param (model, l->data);

      g_assert_nonnull (param);
      fill_from_json (param->grad,
                      json_object_get_array_member (grads, l->data));
    }
}

static void
assert_step_matches (CnvModel     *model,
                     CnvOptimizer *optimizer,
                     JsonObject   *step,
                     guint         index)
{
  JsonObject *params = json_object_get_object_member (step, "params");
  JsonObject *state = json_object_get_object_member (step, "state");
  g_autoptr(GList) names = json_object_get_members (params);
  g_autoptr(GList) slots = json_object_get_members (state);

  for (GList *l = names; l != NULL; l = l->next)
    assert_close_to_json (cnv_model_find_param (model, l->data)->value,
                          json_object_get_array_member (params, l->data),
                          l->data, index);

  /* Every slot PyTorch has, and no other. */
  g_assert_cmpuint (cnv_optimizer_get_n_slots (optimizer), ==,
                    json_object_get_size (state));
  for (GList *l = slots; l != NULL; l = l->next)
    {
      CnvOptimizerSlot *slot = cnv_optimizer_find_slot (optimizer, l->data);

      g_assert_nonnull (slot);
      assert_close_to_json (slot->value,
                            json_object_get_array_member (state, l->data),
                            l->data, index);
    }
}

static CnvOptimizer *
new_optimizer_for (JsonObject *reference,
                   CnvModel   *model)
{
  g_autoptr(GError) error = NULL;
  CnvOptimizerConfig config;

  cnv_optimizer_config_from_json_node (
    json_object_get_member (reference, "config"), &config, &error);
  g_assert_no_error (error);

  return cnv_optimizer_new (&config, model);
}

static void
test_matches_pytorch (gconstpointer data)
{
  const char *name = data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(CnvModel) model = new_tiny_model ();
  g_autoptr(CnvOptimizer) optimizer = NULL;
  g_autofree float *running_mean = NULL;
  CnvParam *mean_param;
  JsonObject *reference;
  JsonArray *steps;

  reference = load_reference (name, parser);
  set_initial_params (model, reference);
  optimizer = new_optimizer_for (reference, model);
  steps = json_object_get_array_member (reference, "steps");

  /* Buffers have no gradient and are not the optimizer's business. */
  mean_param = cnv_model_find_param (model, "bn1.running_mean");
  g_assert_nonnull (mean_param);
  g_assert_false (mean_param->trainable);
  mean_param->value->data[0] = 0.25f;

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      set_grads (model, step);
      cnv_optimizer_step (optimizer, model);
      g_assert_cmpint (cnv_optimizer_get_step (optimizer), ==, i + 1);
      assert_step_matches (model, optimizer, step, i + 1);
    }

  g_assert_cmpfloat (mean_param->value->data[0], ==, 0.25f);
  g_assert_null (cnv_optimizer_find_slot (optimizer,
                                          "optimizer.bn1.running_mean."
                                          "exp_avg"));
}

/* What a checkpoint does: a fresh optimizer whose slots and step are set
 * from saved values must continue exactly like the original.  This is
 * where the momentum first-step rule matters: step > 0 means the buffer
 * exists. */
static void
test_restored_state_continues (gconstpointer data)
{
  const char *name = data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(CnvModel) model = new_tiny_model ();
  g_autoptr(CnvModel) restored_model = NULL;
  g_autoptr(CnvOptimizer) optimizer = NULL;
  g_autoptr(CnvOptimizer) restored = NULL;
  JsonObject *reference;
  JsonArray *steps;

  reference = load_reference (name, parser);
  set_initial_params (model, reference);
  optimizer = new_optimizer_for (reference, model);
  steps = json_object_get_array_member (reference, "steps");

  for (guint i = 0; i < 3; i++)
    {
      set_grads (model, json_array_get_object_element (steps, i));
      cnv_optimizer_step (optimizer, model);
    }

  /* Save and open, by hand. */
  restored_model = cnv_model_copy (model);
  restored = new_optimizer_for (reference, restored_model);
  g_assert_cmpuint (cnv_optimizer_get_n_slots (restored), ==,
                    cnv_optimizer_get_n_slots (optimizer));
  for (guint i = 0; i < cnv_optimizer_get_n_slots (optimizer); i++)
    {
      CnvOptimizerSlot *saved = cnv_optimizer_get_slot (optimizer, i);
      CnvOptimizerSlot *slot = cnv_optimizer_find_slot (restored,
                                                        saved->name);

      g_assert_nonnull (slot);
      memcpy (slot->value->data, saved->value->data,
              saved->value->size * sizeof (float));
    }
  cnv_optimizer_set_step (restored, cnv_optimizer_get_step (optimizer));
  g_clear_pointer (&optimizer, cnv_optimizer_free);
  g_clear_pointer (&model, cnv_model_free);

  for (guint i = 3; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      set_grads (restored_model, step);
      cnv_optimizer_step (restored, restored_model);
      assert_step_matches (restored_model, restored, step, i + 1);
    }
  g_assert_cmpint (cnv_optimizer_get_step (restored), ==,
                   json_array_get_length (steps));
}

static void
test_copy_is_deep (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(CnvModel) model = new_tiny_model ();
  g_autoptr(CnvModel) twin = NULL;
  g_autoptr(CnvOptimizer) optimizer = NULL;
  g_autoptr(CnvOptimizer) copy = NULL;
  JsonObject *reference;
  JsonArray *steps;

  reference = load_reference ("adam", parser);
  set_initial_params (model, reference);
  optimizer = new_optimizer_for (reference, model);
  steps = json_object_get_array_member (reference, "steps");

  set_grads (model, json_array_get_object_element (steps, 0));
  cnv_optimizer_step (optimizer, model);

  twin = cnv_model_copy (model);
  copy = cnv_optimizer_copy (optimizer);
  g_assert_cmpint (cnv_optimizer_get_step (copy), ==, 1);

  /* Stepping the original does not move the copy's state. */
  for (guint i = 1; i < 4; i++)
    {
      set_grads (model, json_array_get_object_element (steps, i));
      cnv_optimizer_step (optimizer, model);
    }
  g_assert_cmpint (cnv_optimizer_get_step (copy), ==, 1);
  assert_step_matches (twin, copy, json_array_get_object_element (steps, 0),
                       1);

  /* And the copy continues on its own model like the original did. */
  for (guint i = 1; i < 4; i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      set_grads (twin, step);
      cnv_optimizer_step (copy, twin);
      assert_step_matches (twin, copy, step, i + 1);
    }
}

static void
test_set_config_keeps_state (void)
{
  g_autoptr(CnvModel) model = new_tiny_model ();
  g_autoptr(CnvOptimizer) optimizer = NULL;
  CnvOptimizerConfig config;
  CnvOptimizerSlot *slot;
  CnvParam *param;

  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_ADAM);
  optimizer = cnv_optimizer_new (&config, model);
  param = cnv_model_find_param (model, "out.bias");
  param->grad->data[0] = 1.0f;
  cnv_optimizer_step (optimizer, model);

  config.learning_rate = 0.5;
  cnv_optimizer_set_config (optimizer, &config);
  g_assert_cmpfloat (cnv_optimizer_get_config (optimizer)->learning_rate,
                     ==, 0.5);
  g_assert_cmpint (cnv_optimizer_get_step (optimizer), ==, 1);
  slot = cnv_optimizer_find_slot (optimizer, "optimizer.out.bias.exp_avg");
  g_assert_nonnull (slot);
  /* (1 − 0.9) · 1 */
  g_assert_cmpfloat_with_epsilon (slot->value->data[0], 0.1, 1e-7);

  /* Adam's first step moves every parameter with a gradient by lr. */
  param->value->data[0] = 0.0f;
  cnv_optimizer_set_step (optimizer, 0);
  memset (slot->value->data, 0, sizeof (float));
  memset (cnv_optimizer_find_slot (optimizer,
                                   "optimizer.out.bias.exp_avg_sq")
            ->value->data, 0, sizeof (float));
  cnv_optimizer_step (optimizer, model);
  g_assert_cmpfloat_with_epsilon (param->value->data[0], -0.5, 1e-6);
}

static void
test_slot_names (void)
{
  g_autoptr(CnvModel) model = new_tiny_model ();
  g_autoptr(CnvOptimizer) sgd = NULL;
  g_autoptr(CnvOptimizer) plain = NULL;
  g_autoptr(CnvOptimizer) adam = NULL;
  CnvOptimizerConfig config;

  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_SGD);
  sgd = cnv_optimizer_new (&config, model);
  config.momentum = 0.0;
  plain = cnv_optimizer_new (&config, model);
  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_ADAM);
  adam = cnv_optimizer_new (&config, model);

  /* Six trainable tensors. */
  g_assert_cmpuint (cnv_optimizer_get_n_slots (sgd), ==, 6);
  g_assert_cmpuint (cnv_optimizer_get_n_slots (plain), ==, 0);
  g_assert_cmpuint (cnv_optimizer_get_n_slots (adam), ==, 12);
  g_assert_cmpstr (cnv_optimizer_get_slot (sgd, 0)->name, ==,
                   "optimizer.conv1.weight.momentum_buffer");
  g_assert_cmpstr (cnv_optimizer_get_slot (adam, 0)->name, ==,
                   "optimizer.conv1.weight.exp_avg");
  g_assert_cmpstr (cnv_optimizer_get_slot (adam, 1)->name, ==,
                   "optimizer.conv1.weight.exp_avg_sq");
  g_assert_nonnull (cnv_optimizer_find_slot (adam,
                                             "optimizer.out.bias.exp_avg_sq"));
  g_assert_null (cnv_optimizer_find_slot (adam,
                                          "optimizer.bn1.running_var.exp_avg"));
  g_assert_cmpint (cnv_optimizer_get_slot (adam, 0)->value->ndim, ==, 4);
  g_assert_cmpint (cnv_optimizer_get_slot (adam, 0)->value->shape[0], ==, 2);
}

static void
test_config_json_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  CnvOptimizerConfig config;
  CnvOptimizerConfig parsed;

  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_SGD);
  config.learning_rate = 0.0125;
  config.weight_decay = 1e-4;
  config.momentum = 0.85;
  config.nesterov = TRUE;
  config.beta1 = 0.7;
  config.beta2 = 0.95;
  config.epsilon = 1e-7;

  node = cnv_optimizer_config_to_json_node (&config);

  /* Every field is written explicitly. */
  g_assert_cmpuint (json_object_get_size (json_node_get_object (node)), ==,
                    8);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_assert_nonnull (strstr (text, "\"kind\":\"sgd\""));

  g_assert_true (cnv_optimizer_config_from_json_node (node, &parsed,
                                                      &error));
  g_assert_no_error (error);
  g_assert_true (parsed.kind == CNV_OPTIMIZER_SGD);
  g_assert_cmpfloat (parsed.learning_rate, ==, 0.0125);
  g_assert_cmpfloat (parsed.weight_decay, ==, 1e-4);
  g_assert_cmpfloat (parsed.momentum, ==, 0.85);
  g_assert_true (parsed.nesterov);
  g_assert_cmpfloat (parsed.beta1, ==, 0.7);
  g_assert_cmpfloat (parsed.beta2, ==, 0.95);
  g_assert_cmpfloat (parsed.epsilon, ==, 1e-7);
}

static void
assert_config_error (const char *json,
                     const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  CnvOptimizerConfig config;

  g_assert_nonnull (node);
  g_assert_false (cnv_optimizer_config_from_json_node (node, &config,
                                                       &error));
  g_assert_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
test_config_errors (void)
{
  assert_config_error ("{\"kind\": \"adam\", \"learning_rte\": 0.1}",
                       "learning_rte");
  assert_config_error ("{\"kind\": \"rmsprop\"}", "rmsprop");
  assert_config_error ("{\"learning_rate\": 0.1}", "kind");
  assert_config_error ("[1, 2]", "object");
  assert_config_error ("{\"kind\": \"sgd\", \"learning_rate\": \"fast\"}",
                       "learning_rate");
  assert_config_error ("{\"kind\": \"sgd\", \"learning_rate\": -0.1}",
                       "learning_rate");
  assert_config_error ("{\"kind\": \"sgd\", \"learning_rate\": 0}",
                       "learning_rate");
  assert_config_error ("{\"kind\": \"sgd\", \"momentum\": 1.0}",
                       "momentum");
  assert_config_error ("{\"kind\": \"sgd\", \"momentum\": 0,"
                       " \"nesterov\": true}", "Nesterov");
  assert_config_error ("{\"kind\": \"sgd\", \"nesterov\": 1}", "nesterov");
  assert_config_error ("{\"kind\": \"adam\", \"beta2\": 1.5}", "beta2");
  assert_config_error ("{\"kind\": \"adam\", \"epsilon\": 0}", "epsilon");
  assert_config_error ("{\"kind\": \"adam\", \"weight_decay\": -1}",
                       "weight_decay");
}

static void
test_config_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string ("{\"kind\": \"adam\","
                                               " \"learning_rate\": 3}",
                                               NULL);
  CnvOptimizerConfig config;
  CnvOptimizerKind kind;

  g_assert_true (cnv_optimizer_config_from_json_node (node, &config,
                                                      &error));
  g_assert_no_error (error);
  g_assert_true (config.kind == CNV_OPTIMIZER_ADAM);
  g_assert_cmpfloat (config.learning_rate, ==, 3.0);
  g_assert_cmpfloat (config.beta1, ==, 0.9);
  g_assert_cmpfloat (config.beta2, ==, 0.999);
  g_assert_cmpfloat (config.epsilon, ==, 1e-8);
  g_assert_cmpfloat (config.weight_decay, ==, 0.0);

  g_assert_cmpstr (cnv_optimizer_kind_to_string (CNV_OPTIMIZER_ADAM), ==,
                   "adam");
  g_assert_true (cnv_optimizer_kind_from_string ("sgd", &kind));
  g_assert_true (kind == CNV_OPTIMIZER_SGD);
  g_assert_false (cnv_optimizer_kind_from_string ("Adam", &kind));
}

/* Which new settings an optimizer can take and keep its state: the kind
 * and the slots decide, the hyperparameters do not. */
static void
test_config_same_state (void)
{
  CnvOptimizerConfig adam, adam2, sgd, sgd_plain, sgd_nesterov;

  cnv_optimizer_config_init_default (&adam, CNV_OPTIMIZER_ADAM);
  adam2 = adam;
  adam2.learning_rate = 0.5;
  adam2.beta1 = 0.5;
  cnv_optimizer_config_init_default (&sgd, CNV_OPTIMIZER_SGD);
  sgd_plain = sgd;
  sgd_plain.momentum = 0.0;
  sgd_nesterov = sgd;
  sgd_nesterov.momentum = 0.5;
  sgd_nesterov.nesterov = TRUE;

  g_assert_true (cnv_optimizer_config_same_state (&adam, &adam2));
  g_assert_true (cnv_optimizer_config_same_state (&sgd, &sgd_nesterov));
  g_assert_false (cnv_optimizer_config_same_state (&adam, &sgd));
  g_assert_false (cnv_optimizer_config_same_state (&sgd, &adam));
  /* SGD with momentum has a momentum_buffer slot, without it has none. */
  g_assert_false (cnv_optimizer_config_same_state (&sgd, &sgd_plain));
  g_assert_false (cnv_optimizer_config_same_state (&sgd_plain, &sgd));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = NULL;

      path = g_strdup_printf ("/engine/optimizer/%s-matches-pytorch",
                              cases[i]);
      g_test_add_data_func (path, cases[i], test_matches_pytorch);
      g_free (path);
      path = g_strdup_printf ("/engine/optimizer/%s-restored-state-continues",
                              cases[i]);
      g_test_add_data_func (path, cases[i], test_restored_state_continues);
    }
  g_test_add_func ("/engine/optimizer/copy-is-deep", test_copy_is_deep);
  g_test_add_func ("/engine/optimizer/set-config-keeps-state",
                   test_set_config_keeps_state);
  g_test_add_func ("/engine/optimizer/slot-names", test_slot_names);
  g_test_add_func ("/engine/optimizer/config-json-round-trip",
                   test_config_json_round_trip);
  g_test_add_func ("/engine/optimizer/config-errors", test_config_errors);
  g_test_add_func ("/engine/optimizer/config-defaults", test_config_defaults);
  g_test_add_func ("/engine/optimizer/config-same-state",
                   test_config_same_state);

  return g_test_run ();
}
