/* test-model.c — the model description (JSON, defaults, validation) and
 * the runnable model (parameters, shapes, initialisation, copies,
 * gradient accumulation). */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cnv.h"

#define INPUT_28 "\"input\": {\"width\": 28, \"height\": 28, \"channels\": 1}"

static CnvModelSpec *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  CnvModelSpec *spec = cnv_model_spec_new_from_json (json, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (spec);

  return spec;
}

/* Asserts that json fails to parse with `code` and a message containing
 * every string in the NULL-terminated list. */
static void
assert_parse_error (const char *json,
                    int         code,
                    ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  va_list args;

  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_null (spec);
  g_assert_error (error, CNV_MODEL_ERROR, code);

  va_start (args, code);
  for (const char *s = va_arg (args, const char *); s != NULL;
       s = va_arg (args, const char *))
    if (strstr (error->message, s) == NULL)
      g_error ("“%s” not in “%s”", s, error->message);
  va_end (args);
}

/* Same for validation of a description that parses. */
static void
assert_invalid (const char *layers,
                int         code,
                ...)
{
  g_autofree char *json = g_strdup_printf ("{" INPUT_28 ", \"layers\": [%s]}",
                                           layers);
  g_autoptr(CnvModelSpec) spec = parse (json);
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModel) model = NULL;
  va_list args;

  g_assert_false (cnv_model_spec_validate (spec, NULL, &error));
  g_assert_error (error, CNV_MODEL_ERROR, code);

  va_start (args, code);
  for (const char *s = va_arg (args, const char *); s != NULL;
       s = va_arg (args, const char *))
    if (strstr (error->message, s) == NULL)
      g_error ("“%s” not in “%s”", s, error->message);
  va_end (args);

  g_clear_error (&error);
  model = cnv_model_new (spec, &error);
  g_assert_null (model);
  g_assert_error (error, CNV_MODEL_ERROR, code);
}

#define HEAD "{\"id\": \"flat\", \"type\": \"flatten\"}, " \
             "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}"

static const CnvModelProblem *
problem_at (GPtrArray *problems,
            guint      index)
{
  g_assert_cmpuint (index, <, problems->len);

  return g_ptr_array_index (problems, index);
}

static void
assert_problem (GPtrArray           *problems,
                guint                index,
                int                  layer,
                CnvModelProblemKind  kind,
                const char          *fragment)
{
  const CnvModelProblem *problem = problem_at (problems, index);

  g_assert_cmpint (problem->layer, ==, layer);
  g_assert_cmpint (problem->kind, ==, kind);
  if (strstr (problem->message, fragment) == NULL)
    g_error ("“%s” not in “%s”", fragment, problem->message);
}

static void
assert_shape (const CnvShape *shape,
              int             channels,
              int             height,
              int             width,
              gboolean        flat)
{
  g_assert_cmpint (shape->channels, ==, channels);
  g_assert_cmpint (shape->height, ==, height);
  g_assert_cmpint (shape->width, ==, width);
  g_assert_cmpint (shape->flat, ==, flat);
}

/* Default model */

static void
test_default_shapes (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GError) error = NULL;
  CnvShape shapes[10];
  static const int expected[10][4] = {
    /* channels, height, width, flat */
    { 8, 28, 28, 0 }, { 8, 28, 28, 0 }, { 8, 14, 14, 0 },
    { 16, 14, 14, 0 }, { 16, 14, 14, 0 }, { 16, 7, 7, 0 },
    { 784, 1, 1, 1 }, { 64, 1, 1, 1 }, { 64, 1, 1, 1 }, { 1, 1, 1, 1 },
  };
  static const char *ids[10] = {
    "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1",
    "relu3", "out",
  };

  g_assert_cmpuint (spec->n_layers, ==, 10);
  g_assert_cmpint (spec->width, ==, 28);
  g_assert_cmpint (spec->height, ==, 28);
  g_assert_cmpint (spec->channels, ==, 1);
  g_assert_true (cnv_model_spec_validate (spec, shapes, &error));
  g_assert_no_error (error);

  for (int i = 0; i < 10; i++)
    {
      g_assert_cmpstr (spec->layers[i].id, ==, ids[i]);
      g_assert_cmpint (shapes[i].channels, ==, expected[i][0]);
      g_assert_cmpint (shapes[i].height, ==, expected[i][1]);
      g_assert_cmpint (shapes[i].width, ==, expected[i][2]);
      g_assert_cmpint (shapes[i].flat, ==, expected[i][3]);
    }
}

static void
test_default_parameters (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModel) model = cnv_model_new (spec, &error);
  static const struct { const char *name; int ndim; int shape[4]; } params[] = {
    { "conv1.weight", 4, { 8, 1, 5, 5 } }, { "conv1.bias", 1, { 8 } },
    { "conv2.weight", 4, { 16, 8, 5, 5 } }, { "conv2.bias", 1, { 16 } },
    { "fc1.weight", 2, { 64, 784 } }, { "fc1.bias", 1, { 64 } },
    { "out.weight", 2, { 1, 64 } }, { "out.bias", 1, { 1 } },
  };
  gsize per_layer = 0;
  CnvShape shapes[10];
  CnvShape in = { 1, 28, 28, FALSE };

  g_assert_no_error (error);
  g_assert_cmpuint (cnv_model_count_parameters (model), ==, 53729);
  g_assert_cmpuint (cnv_model_get_n_params (model), ==, G_N_ELEMENTS (params));

  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      g_assert_cmpstr (param->name, ==, params[i].name);
      g_assert_true (param->trainable);
      g_assert_nonnull (param->grad);
      g_assert_cmpint (param->value->ndim, ==, params[i].ndim);
      for (int d = 0; d < params[i].ndim; d++)
        g_assert_cmpint (param->value->shape[d], ==, params[i].shape[d]);
      g_assert_true (cnv_model_find_param (model, params[i].name) == param);
    }
  g_assert_null (cnv_model_find_param (model, "conv3.weight"));

  /* The per-layer count agrees with the model's. */
  g_assert_true (cnv_model_spec_validate (spec, shapes, NULL));
  for (guint i = 0; i < spec->n_layers; i++)
    {
      per_layer += cnv_layer_spec_count_parameters (&spec->layers[i], &in);
      in = shapes[i];
    }
  g_assert_cmpuint (per_layer, ==, 53729);
}

/* JSON */

static const char *every_kind =
  "{\"input\": {\"width\": 32, \"height\": 24, \"channels\": 3}, \"layers\": ["
  "{\"id\": \"c1\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": [3, 5],"
  " \"stride\": [2, 1], \"padding\": \"same\"},"
  "{\"id\": \"bn1\", \"type\": \"batch-norm\", \"momentum\": 0.2,"
  " \"epsilon\": 0.001},"
  "{\"id\": \"lr1\", \"type\": \"leaky-relu\", \"slope\": 0.1},"
  "{\"id\": \"mp\", \"type\": \"max-pool\", \"size\": [2, 3], \"stride\": 1,"
  " \"padding\": \"valid\"},"
  "{\"id\": \"ap\", \"type\": \"avg-pool\", \"size\": 2, \"padding\": \"same\"},"
  "{\"id\": \"t\", \"type\": \"tanh\"},"
  "{\"id\": \"s\", \"type\": \"sigmoid\"},"
  "{\"id\": \"r\", \"type\": \"relu\"},"
  "{\"id\": \"gap\", \"type\": \"global-avg-pool\"},"
  "{\"id\": \"flat\", \"type\": \"flatten\"},"
  "{\"id\": \"drop\", \"type\": \"dropout\", \"rate\": 0.3},"
  "{\"id\": \"fc_1\", \"type\": \"dense\", \"units\": 10},"
  "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}";

static void
test_json_round_trip (void)
{
  g_autoptr(CnvModelSpec) spec = parse (every_kind);
  g_autoptr(CnvModelSpec) again = NULL;
  g_autoptr(CnvModelSpec) copy = cnv_model_spec_copy (spec);
  g_autoptr(CnvModelSpec) defaults = cnv_model_spec_new_default ();
  g_autofree char *json = cnv_model_spec_to_json (spec, TRUE);

  again = parse (json);
  g_assert_true (cnv_model_spec_equal (spec, again));
  g_assert_true (cnv_model_spec_equal (spec, copy));
  g_assert_false (cnv_model_spec_equal (spec, defaults));
  g_assert_true (cnv_model_spec_validate (spec, NULL, NULL));

  g_assert_cmpint (spec->layers[0].kernel[0], ==, 3);
  g_assert_cmpint (spec->layers[0].kernel[1], ==, 5);
  g_assert_cmpint (spec->layers[0].stride[0], ==, 2);
  g_assert_cmpint (spec->layers[0].stride[1], ==, 1);
  g_assert_cmpint (spec->layers[0].padding, ==, CNV_PADDING_SAME);
  g_assert_cmpfloat (spec->layers[1].momentum, ==, 0.2f);
  g_assert_cmpfloat (spec->layers[1].epsilon, ==, 0.001f);
  g_assert_cmpfloat (spec->layers[2].slope, ==, 0.1f);
  g_assert_cmpint (spec->layers[3].stride[1], ==, 1);
  g_assert_cmpfloat (spec->layers[10].rate, ==, 0.3f);
  g_assert_cmpint (spec->layers[11].units, ==, 10);

  /* A change in any one field makes the specs differ. */
  copy->layers[1].epsilon = 0.002f;
  g_assert_false (cnv_model_spec_equal (spec, copy));
}

static void
test_json_writes_every_field (void)
{
  g_autoptr(CnvModelSpec) spec = parse (
    "{" INPUT_28 ", \"layers\": ["
    "{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3},"
    "{\"id\": \"p\", \"type\": \"avg-pool\", \"size\": 2},"
    "{\"id\": \"b\", \"type\": \"batch-norm\"},"
    "{\"id\": \"l\", \"type\": \"leaky-relu\"},"
    "{\"id\": \"f\", \"type\": \"flatten\"},"
    "{\"id\": \"d\", \"type\": \"dropout\"},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}");
  static const char *expected[] = {
    "id type filters kernel stride padding",
    "id type size stride padding",
    "id type momentum epsilon",
    "id type slope",
    "id type",
    "id type rate",
    "id type units",
  };
  g_autoptr(JsonNode) root = cnv_model_spec_to_json_node (spec);
  JsonObject *object = json_node_get_object (root);
  JsonArray *layers = json_object_get_array_member (object, "layers");
  JsonObject *input = json_object_get_object_member (object, "input");

  g_assert_cmpint (json_object_get_int_member (input, "width"), ==, 28);
  g_assert_cmpint (json_object_get_int_member (input, "height"), ==, 28);
  g_assert_cmpint (json_object_get_int_member (input, "channels"), ==, 1);
  g_assert_cmpuint (json_array_get_length (layers), ==, 7);

  for (guint i = 0; i < 7; i++)
    {
      JsonObject *layer = json_array_get_object_element (layers, i);
      g_autoptr(GList) members = json_object_get_members (layer);
      g_autoptr(GString) names = g_string_new (NULL);

      for (GList *l = members; l != NULL; l = l->next)
        g_string_append_printf (names, "%s%s", names->len ? " " : "",
                                (const char *) l->data);
      g_assert_cmpstr (names->str, ==, expected[i]);
    }

  /* Defaults are written out: conv stride 1, pool stride = size,
   * padding valid, batch-norm 0.1 / 1e-5, slope 0.01, rate 0.5. */
  {
    JsonObject *conv = json_array_get_object_element (layers, 0);
    JsonObject *pool = json_array_get_object_element (layers, 1);
    JsonObject *bn = json_array_get_object_element (layers, 2);
    JsonArray *stride = json_object_get_array_member (conv, "stride");
    JsonArray *pool_stride = json_object_get_array_member (pool, "stride");
    JsonArray *kernel = json_object_get_array_member (conv, "kernel");

    g_assert_cmpint (json_array_get_int_element (stride, 0), ==, 1);
    g_assert_cmpint (json_array_get_int_element (stride, 1), ==, 1);
    g_assert_cmpint (json_array_get_int_element (kernel, 1), ==, 3);
    g_assert_cmpint (json_array_get_int_element (pool_stride, 0), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (conv, "padding"), ==,
                     "valid");
    g_assert_cmpfloat ((float) json_object_get_double_member (bn, "momentum"),
                       ==, 0.1f);
    g_assert_cmpfloat ((float) json_object_get_double_member (bn, "epsilon"),
                       ==, 1e-5f);
    g_assert_cmpfloat ((float) json_object_get_double_member (
                         json_array_get_object_element (layers, 3), "slope"),
                       ==, 0.01f);
    g_assert_cmpfloat ((float) json_object_get_double_member (
                         json_array_get_object_element (layers, 5), "rate"),
                       ==, 0.5f);
  }
}

/* Floats are written in their shortest exact form and always read back,
 * even those json-glib 1.6 alone would write as "1e-08.0". */
static void
test_json_floats (void)
{
  g_autoptr(CnvModelSpec) spec = parse (
    "{" INPUT_28 ", \"layers\": ["
    "{\"id\": \"bn\", \"type\": \"batch-norm\", \"momentum\": 0.1,"
    " \"epsilon\": 1e-8}," HEAD "]}");
  g_autoptr(CnvModelSpec) again = NULL;
  g_autofree char *json = cnv_model_spec_to_json (spec, FALSE);

  g_assert_nonnull (strstr (json, "\"momentum\":0.1,"));
  g_assert_null (strstr (json, "e-08.0"));
  again = parse (json);
  g_assert_cmpfloat (again->layers[0].epsilon, ==, 1e-8f);
  g_assert_true (cnv_model_spec_equal (spec, again));
}

static void
test_json_parse_errors (void)
{
  const char *deep_prefix = "{" INPUT_28 ", \"layers\": [";
  g_autoptr(GString) deep = g_string_new (deep_prefix);

  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"attn\", "
                      "\"type\": \"attention\"}]}",
                      CNV_MODEL_ERROR_UNKNOWN_TYPE, "attn", "attention",
                      "the types it knows are conv2d, max-pool, avg-pool, "
                      "global-avg-pool, batch-norm, dropout, flatten, dense, "
                      "relu, leaky-relu, sigmoid, tanh, softmax.", NULL);
  /* Another tool's name of a layer, or ours spelt another way, is met
   * with ours. */
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"p\", "
                      "\"type\": \"MaxPool2d\"}]}",
                      CNV_MODEL_ERROR_UNKNOWN_TYPE,
                      "did you mean “max-pool”?", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"fc\", "
                      "\"type\": \"Linear\"}]}",
                      CNV_MODEL_ERROR_UNKNOWN_TYPE, "did you mean “dense”?",
                      NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"bn\", "
                      "\"type\": \"batch_norm\"}]}",
                      CNV_MODEL_ERROR_UNKNOWN_TYPE,
                      "did you mean “batch-norm”?", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"c1\", "
                      "\"type\": \"conv2d\", \"filter\": 3}]}",
                      CNV_MODEL_ERROR_INVALID, "c1", "filter", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"r\", "
                      "\"type\": \"relu\", \"slope\": 0.1}]}",
                      CNV_MODEL_ERROR_INVALID, "“r”", "slope", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"c1\", "
                      "\"type\": \"conv2d\", \"kernel\": 0}]}",
                      CNV_MODEL_ERROR_INVALID, "c1", "kernel", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"c1\", "
                      "\"type\": \"conv2d\", \"kernel\": 2.5}]}",
                      CNV_MODEL_ERROR_INVALID, "c1", "kernel", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"c1\", "
                      "\"type\": \"conv2d\", \"kernel\": [3]}]}",
                      CNV_MODEL_ERROR_INVALID, "c1", "kernel", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"c1\", "
                      "\"type\": \"conv2d\", \"filters\": 4294967304}]}",
                      CNV_MODEL_ERROR_INVALID, "c1", "filters", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"fc\", "
                      "\"type\": \"dense\", \"units\": -1}]}",
                      CNV_MODEL_ERROR_INVALID, "fc", "units", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"c1\", "
                      "\"type\": \"conv2d\", \"padding\": \"full\"}]}",
                      CNV_MODEL_ERROR_INVALID, "c1", "padding", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"d\", "
                      "\"type\": \"dropout\", \"rate\": 1.5}]}",
                      CNV_MODEL_ERROR_INVALID, "“d”", "rate", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"id\": \"a b\", "
                      "\"type\": \"relu\"}]}",
                      CNV_MODEL_ERROR_INVALID, "Layer 1", "id", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [{\"type\": \"relu\"}]}",
                      CNV_MODEL_ERROR_INVALID, "Layer 1", "id", NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [], \"optimizer\": 1}",
                      CNV_MODEL_ERROR_INVALID, "optimizer", NULL);
  assert_parse_error ("{\"input\": {\"width\": 28, \"height\": 28, "
                      "\"channels\": 1, \"depth\": 2}, \"layers\": []}",
                      CNV_MODEL_ERROR_INVALID, "depth", NULL);
  assert_parse_error ("{\"input\": {\"width\": 28, \"height\": 28}, "
                      "\"layers\": []}",
                      CNV_MODEL_ERROR_INVALID, "channels", NULL);
  assert_parse_error ("{\"layers\": []}", CNV_MODEL_ERROR_INVALID, "input",
                      NULL);
  assert_parse_error ("{" INPUT_28 "}", CNV_MODEL_ERROR_INVALID, "layers",
                      NULL);
  assert_parse_error ("{" INPUT_28 ", \"layers\": [", CNV_MODEL_ERROR_INVALID,
                      "JSON", NULL);
  assert_parse_error ("[1, 2]", CNV_MODEL_ERROR_INVALID, "object", NULL);

  /* Deep nesting is refused before json-glib recurses into it. */
  for (int i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  assert_parse_error (deep->str, CNV_MODEL_ERROR_INVALID, "deep", NULL);
}

static void
test_json_defaults (void)
{
  g_autoptr(CnvModelSpec) spec = parse (
    "{" INPUT_28 ", \"layers\": ["
    "{\"type\": \"conv2d\", \"id\": \"c\", \"filters\": 2, \"kernel\": 3},"
    "{\"stride\": 1, \"id\": \"p\", \"type\": \"max-pool\", \"size\": [3, 2]},"
    "{\"id\": \"q\", \"type\": \"avg-pool\", \"size\": [3, 2]},"
    "{\"id\": \"d\", \"type\": \"dropout\"}," HEAD "]}");

  g_assert_cmpint (spec->layers[0].stride[0], ==, 1);
  g_assert_cmpint (spec->layers[0].stride[1], ==, 1);
  g_assert_cmpint (spec->layers[0].padding, ==, CNV_PADDING_VALID);
  /* An explicit stride wins whatever the field order. */
  g_assert_cmpint (spec->layers[1].stride[0], ==, 1);
  g_assert_cmpint (spec->layers[1].stride[1], ==, 1);
  g_assert_cmpint (spec->layers[2].kernel[0], ==, 3);
  g_assert_cmpint (spec->layers[2].stride[0], ==, 3);
  g_assert_cmpint (spec->layers[2].stride[1], ==, 2);
  g_assert_cmpfloat (spec->layers[3].rate, ==, 0.5f);
}

/* Validation */

static void
test_validation_errors (void)
{
  /* A kernel larger than the input. */
  assert_invalid ("{\"id\": \"big\", \"type\": \"conv2d\", \"filters\": 2, "
                  "\"kernel\": [29, 3]}, " HEAD,
                  CNV_MODEL_ERROR_SHAPE, "“big”", "29×3", "28×28",
                  "smaller kernel", NULL);
  /* Pooling until the size would collapse. */
  assert_invalid ("{\"id\": \"p1\", \"type\": \"max-pool\", \"size\": 4}, "
                  "{\"id\": \"p2\", \"type\": \"max-pool\", \"size\": 4}, "
                  "{\"id\": \"p3\", \"type\": \"avg-pool\", \"size\": 4}, "
                  HEAD, CNV_MODEL_ERROR_SHAPE, "“p3”", "1×1", "collapse",
                  NULL);
  /* Dense on feature maps. */
  assert_invalid ("{\"id\": \"fc\", \"type\": \"dense\", \"units\": 3}, " HEAD,
                  CNV_MODEL_ERROR_SHAPE, "“fc”", "flatten layer before",
                  NULL);
  /* Global average pooling keeps [C, 1, 1]: still needs a flatten. */
  assert_invalid ("{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 2}, "
                  "{\"id\": \"gap\", \"type\": \"global-avg-pool\"}, "
                  "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}",
                  CNV_MODEL_ERROR_SHAPE, "“out”", "2×1×1", "flatten", NULL);
  /* Convolution and pooling after flatten. */
  assert_invalid ("{\"id\": \"f\", \"type\": \"flatten\"}, "
                  "{\"id\": \"late\", \"type\": \"conv2d\", \"filters\": 2}, "
                  HEAD, CNV_MODEL_ERROR_SHAPE, "“late”", "before the flatten",
                  NULL);
  assert_invalid ("{\"id\": \"f\", \"type\": \"flatten\"}, "
                  "{\"id\": \"latepool\", \"type\": \"max-pool\"}, " HEAD,
                  CNV_MODEL_ERROR_SHAPE, "“latepool”", "before the flatten",
                  NULL);
  assert_invalid ("{\"id\": \"f\", \"type\": \"flatten\"}, "
                  "{\"id\": \"lategap\", \"type\": \"global-avg-pool\"}, "
                  HEAD, CNV_MODEL_ERROR_SHAPE, "“lategap”", "flatten", NULL);
  /* The head. */
  assert_invalid (HEAD ", {\"id\": \"prob\", \"type\": \"sigmoid\"}",
                  CNV_MODEL_ERROR_HEAD, "“prob”", "remove it", "logit", NULL);
  assert_invalid ("{\"id\": \"f\", \"type\": \"flatten\"}, "
                  "{\"id\": \"logits\", \"type\": \"dense\", \"units\": 2}",
                  CNV_MODEL_ERROR_HEAD, "“logits”", "2 units", "1 unit", NULL);
  assert_invalid (HEAD ", {\"id\": \"act\", \"type\": \"relu\"}",
                  CNV_MODEL_ERROR_HEAD, "“act”", "dense layer of 1 unit",
                  NULL);
  assert_invalid ("", CNV_MODEL_ERROR_HEAD, "no layers", NULL);
  /* Duplicate ids. */
  assert_invalid ("{\"id\": \"twin\", \"type\": \"relu\"}, "
                  "{\"id\": \"twin\", \"type\": \"tanh\"}, " HEAD,
                  CNV_MODEL_ERROR_INVALID, "“twin”", "rename", NULL);
  /* A layer whose output or weights pass Convolve's caps: 2^26 values
   * per image, the patch matrix of a convolution included (1024·10·10
   * rows of 28·28 = 80,281,600), and 2^28 weights (a dense of 1024 units
   * on 512·28·28 features). */
  assert_invalid ("{\"id\": \"c\", \"type\": \"conv2d\", "
                  "\"filters\": 1024, \"kernel\": 1}, "
                  "{\"id\": \"wide\", \"type\": \"conv2d\", "
                  "\"filters\": 2, \"kernel\": 10, \"padding\": "
                  "\"same\"}, " HEAD,
                  CNV_MODEL_ERROR_SHAPE, "“wide”", "too large for Convolve",
                  NULL);
  assert_invalid ("{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 512,"
                  " \"kernel\": 1}, {\"id\": \"f\", \"type\": \"flatten\"}, "
                  "{\"id\": \"huge\", \"type\": \"dense\", \"units\": 1024}, "
                  "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}",
                  CNV_MODEL_ERROR_SHAPE, "“huge”", "too large for Convolve",
                  NULL);
}

/* Problems that only a stack built in memory can have (a file is
 * refused while it is read): sizes out of range and too many layers. */
static void
test_validation_ranges (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModelSpec) long_stack = g_new0 (CnvModelSpec, 1);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) too_many = NULL;

  spec->layers[0].kernel[1] = 1025;   /* conv1 */
  spec->layers[2].stride[0] = 0;      /* pool1 */
  spec->layers[7].units = 65537;      /* fc1 */
  g_assert_false (cnv_model_spec_check (spec, NULL, &problems));
  g_assert_cmpuint (problems->len, ==, 3);
  assert_problem (problems, 0, 0, CNV_MODEL_PROBLEM_PARAMETER,
                  "Layer “conv1” has a kernel or stride outside 1 to 1024.");
  assert_problem (problems, 1, 2, CNV_MODEL_PROBLEM_PARAMETER,
                  "Layer “pool1” has a window or stride outside 1 to 1024.");
  assert_problem (problems, 2, 7, CNV_MODEL_PROBLEM_PARAMETER,
                  "Layer “fc1” must have 1 to 65536 units.");

  long_stack->width = long_stack->height = 28;
  long_stack->channels = 1;
  long_stack->n_layers = 1025;
  long_stack->layers = g_new0 (CnvLayerSpec, 1025);
  for (guint i = 0; i < long_stack->n_layers; i++)
    {
      cnv_layer_spec_init_defaults (&long_stack->layers[i], CNV_LAYER_RELU);
      long_stack->layers[i].id = g_strdup_printf ("r%u", i);
    }
  g_assert_false (cnv_model_spec_check (long_stack, NULL, &too_many));
  g_assert_cmpuint (too_many->len, ==, 1);
  assert_problem (too_many, 0, -1, CNV_MODEL_PROBLEM_TOO_MANY_LAYERS,
                  "The model has 1025 layers; at most 1024 are supported.");
}

/* Every kind's output shape, computed by hand for a 10×12×3 input (height
 * 10, width 12). */
static void
test_shapes_every_kind (void)
{
  g_autoptr(CnvModelSpec) spec = parse (
    "{\"input\": {\"width\": 12, \"height\": 10, \"channels\": 3},"
    " \"layers\": ["
    /* valid 3×5 stride [2, 3]: (10−3)/2+1 = 4, (12−5)/3+1 = 3 */
    "{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 7,"
    " \"kernel\": [3, 5], \"stride\": [2, 3]},"
    "{\"id\": \"lr\", \"type\": \"leaky-relu\", \"slope\": 0.1},"
    "{\"id\": \"sg\", \"type\": \"sigmoid\"},"
    "{\"id\": \"th\", \"type\": \"tanh\"},"
    "{\"id\": \"sm\", \"type\": \"softmax\"},"
    "{\"id\": \"dr\", \"type\": \"dropout\", \"rate\": 0.3},"
    /* avg-pool 2 same: ceil (4/2) = 2, ceil (3/2) = 2 */
    "{\"id\": \"ap\", \"type\": \"avg-pool\", \"size\": 2,"
    " \"padding\": \"same\"},"
    /* a 5×5 kernel on 2×2 with same padding stays 2×2 */
    "{\"id\": \"big\", \"type\": \"conv2d\", \"filters\": 4,"
    " \"kernel\": 5, \"padding\": \"same\"},"
    "{\"id\": \"bn\", \"type\": \"batch-norm\"},"
    "{\"id\": \"r\", \"type\": \"relu\"},"
    /* max-pool [2, 1] valid: 1×2 */
    "{\"id\": \"mp\", \"type\": \"max-pool\", \"size\": [2, 1]},"
    "{\"id\": \"gap\", \"type\": \"global-avg-pool\"},"
    "{\"id\": \"f\", \"type\": \"flatten\"},"
    "{\"id\": \"d\", \"type\": \"dense\", \"units\": 6},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}");
  static const int expected[15][4] = {
    { 7, 4, 3, 0 }, { 7, 4, 3, 0 }, { 7, 4, 3, 0 }, { 7, 4, 3, 0 },
    { 7, 4, 3, 0 }, { 7, 4, 3, 0 }, { 7, 2, 2, 0 }, { 4, 2, 2, 0 },
    { 4, 2, 2, 0 }, { 4, 2, 2, 0 }, { 4, 1, 2, 0 }, { 4, 1, 1, 0 },
    { 4, 1, 1, 1 }, { 6, 1, 1, 1 }, { 1, 1, 1, 1 },
  };
  /* Parameters: c 7·3·3·5 + 7 = 322; big 4·7·25 + 4 = 704; bn 2·4 = 8;
   * d 6·4 + 6 = 30; out 6 + 1 = 7. */
  static const gsize parameters[15] = { 322, 0, 0, 0, 0, 0, 0, 704, 8, 0,
                                        0, 0, 0, 30, 7 };
  CnvShape shapes[15];
  CnvShape in = { 3, 10, 12, FALSE };

  g_assert_true (cnv_model_spec_validate (spec, shapes, NULL));
  for (guint i = 0; i < 15; i++)
    {
      assert_shape (&shapes[i], expected[i][0], expected[i][1],
                    expected[i][2], expected[i][3]);
      g_assert_cmpuint (cnv_layer_spec_count_parameters (&spec->layers[i],
                                                         &in), ==,
                        parameters[i]);
      in = shapes[i];
    }
}

static void
test_validation_shapes (void)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  CnvShape shapes[8];

  /* "same" gives ceil (in / stride); "valid" floor ((in − k) / s) + 1;
   * flatten of a flat input is allowed. */
  spec = parse ("{\"input\": {\"width\": 7, \"height\": 9, \"channels\": 3},"
                " \"layers\": ["
                "{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 5,"
                " \"kernel\": 3, \"stride\": 2, \"padding\": \"same\"},"
                "{\"id\": \"v\", \"type\": \"conv2d\", \"filters\": 6,"
                " \"kernel\": [2, 3], \"stride\": [1, 2]},"
                "{\"id\": \"p\", \"type\": \"max-pool\", \"size\": [3, 1],"
                " \"stride\": 2, \"padding\": \"same\"},"
                "{\"id\": \"g\", \"type\": \"global-avg-pool\"},"
                "{\"id\": \"f1\", \"type\": \"flatten\"},"
                "{\"id\": \"f2\", \"type\": \"flatten\"},"
                "{\"id\": \"bn\", \"type\": \"batch-norm\"},"
                "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}");
  g_assert_true (cnv_model_spec_validate (spec, shapes, &error));
  g_assert_no_error (error);

  g_assert_cmpint (shapes[0].height, ==, 5);
  g_assert_cmpint (shapes[0].width, ==, 4);
  g_assert_cmpint (shapes[1].channels, ==, 6);
  g_assert_cmpint (shapes[1].height, ==, 4);
  g_assert_cmpint (shapes[1].width, ==, 1);
  g_assert_cmpint (shapes[2].height, ==, 2);
  g_assert_cmpint (shapes[2].width, ==, 1);
  g_assert_cmpint (shapes[3].channels, ==, 6);
  g_assert_cmpint (shapes[3].height, ==, 1);
  g_assert_false (shapes[3].flat);
  g_assert_true (shapes[4].flat);
  g_assert_cmpint (shapes[5].channels, ==, 6);
  g_assert_true (shapes[6].flat);
  g_assert_cmpuint (cnv_layer_spec_count_parameters (&spec->layers[6],
                                                     &shapes[5]), ==, 12);
}

static void
test_kind_names (void)
{
  for (int k = 0; k < CNV_N_LAYER_KINDS; k++)
    {
      CnvLayerKind kind;
      const char *title = cnv_layer_kind_get_title ((CnvLayerKind) k);

      g_assert_true (cnv_layer_kind_from_string (
                       cnv_layer_kind_to_string ((CnvLayerKind) k), &kind));
      g_assert_cmpint (kind, ==, k);
      g_assert_nonnull (title);
      g_assert_cmpuint (strlen (title), >, 2);
    }

  g_assert_cmpstr (cnv_layer_kind_to_string (CNV_LAYER_AVG_POOL), ==,
                   "avg-pool");
  g_assert_cmpstr (cnv_layer_kind_get_title (CNV_LAYER_CONV2D), ==,
                   "Convolution");
  {
    CnvLayerKind kind;

    g_assert_true (cnv_layer_kind_from_string ("softmax", &kind));
    g_assert_cmpint (kind, ==, CNV_LAYER_SOFTMAX);
    g_assert_false (cnv_layer_kind_from_string ("swish", &kind));
    g_assert_false (cnv_layer_kind_from_string ("Conv2d", &kind));
  }
}

/* The runnable model */

static void
test_init_parameters (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModel) a = cnv_model_new (spec, NULL);
  g_autoptr(CnvModel) b = cnv_model_new (spec, NULL);
  CnvParam *w1, *w_out, *fc1;
  double squares = 0.0;
  double limit = sqrt (6.0 / (64 + 1));
  gboolean outside_he_spread = FALSE;
  CnvRng rng;

  cnv_rng_init (&rng, 11);
  cnv_model_init_parameters (a, &rng);
  cnv_rng_init (&rng, 11);
  cnv_model_init_parameters (b, &rng);

  for (guint i = 0; i < cnv_model_get_n_params (a); i++)
    {
      CnvParam *pa = cnv_model_get_param (a, i);
      CnvParam *pb = cnv_model_get_param (b, i);

      g_assert_cmpmem (pa->value->data, pa->value->size * 4,
                       pb->value->data, pb->value->size * 4);
      if (g_str_has_suffix (pa->name, ".bias"))
        for (gsize j = 0; j < pa->value->size; j++)
          g_assert_cmpfloat (pa->value->data[j], ==, 0.0f);
    }

  /* fc1 feeds relu3: He-normal, std sqrt (2 / 784). */
  fc1 = cnv_model_find_param (a, "fc1.weight");
  for (gsize j = 0; j < fc1->value->size; j++)
    squares += fc1->value->data[j] * fc1->value->data[j];
  g_assert_cmpfloat_with_epsilon (sqrt (squares / fc1->value->size),
                                  sqrt (2.0 / 784), 0.002);

  /* conv1 feeds relu1 too: std sqrt (2 / 25) ≈ 0.28, so some weights lie
   * beyond what Glorot-uniform would allow (sqrt (6 / 225) ≈ 0.16). */
  w1 = cnv_model_find_param (a, "conv1.weight");
  for (gsize j = 0; j < w1->value->size; j++)
    outside_he_spread |= fabsf (w1->value->data[j]) > 0.2f;
  g_assert_true (outside_he_spread);

  /* out feeds nothing: Glorot-uniform, |w| ≤ sqrt (6 / (64 + 1)). */
  w_out = cnv_model_find_param (a, "out.weight");
  for (gsize j = 0; j < w_out->value->size; j++)
    g_assert_cmpfloat (fabsf (w_out->value->data[j]), <=, limit);
}

static void
test_batch_norm_params (void)
{
  g_autoptr(CnvModelSpec) spec = parse (
    "{" INPUT_28 ", \"layers\": ["
    "{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3},"
    "{\"id\": \"bn\", \"type\": \"batch-norm\"}," HEAD "]}");
  g_autoptr(CnvModel) model = cnv_model_new (spec, NULL);
  static const char *names[] = {
    "c.weight", "c.bias", "bn.weight", "bn.bias", "bn.running_mean",
    "bn.running_var", "out.weight", "out.bias",
  };

  g_assert_cmpuint (cnv_model_get_n_params (model), ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);
      gboolean buffer = g_str_has_prefix (param->name, "bn.running");

      g_assert_cmpstr (param->name, ==, names[i]);
      g_assert_cmpint (param->trainable, ==, !buffer);
      g_assert_true ((param->grad == NULL) == buffer);
    }

  /* Scale and running variance start at 1, the rest at 0. */
  g_assert_cmpfloat (cnv_model_find_param (model, "bn.weight")->value->data[2],
                     ==, 1.0f);
  g_assert_cmpfloat (
    cnv_model_find_param (model, "bn.running_var")->value->data[0], ==, 1.0f);
  g_assert_cmpfloat (
    cnv_model_find_param (model, "bn.running_mean")->value->data[0], ==, 0.0f);
  /* A copy carries the running statistics too. */
  {
    g_autoptr(CnvModel) copy = NULL;

    cnv_model_find_param (model, "bn.running_var")->value->data[1] = 2.5f;
    cnv_model_find_param (model, "bn.running_mean")->value->data[2] = -0.5f;
    copy = cnv_model_copy (model);
    g_assert_cmpfloat (
      cnv_model_find_param (copy, "bn.running_var")->value->data[1], ==, 2.5f);
    g_assert_cmpfloat (
      cnv_model_find_param (copy, "bn.running_mean")->value->data[2], ==,
      -0.5f);
    g_assert_null (cnv_model_find_param (copy, "bn.running_var")->grad);
  }

  /* conv 9·3 + 3, batch-norm 2·3, dense 3·26·26 + 1 */
  g_assert_cmpuint (cnv_model_count_parameters (model), ==,
                    30 + 6 + 3 * 26 * 26 + 1);
}

static void
test_forward_shapes_and_reuse (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModel) model = cnv_model_new (spec, NULL);
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (5, 1, 28, 28);
  g_autoptr(CnvTensor) small = cnv_tensor_new_4d (2, 1, 28, 28);
  const CnvTensor *logits;
  const CnvTensor *first;
  CnvRng rng;

  cnv_rng_init (&rng, 2);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng);

  logits = cnv_model_forward (model, input, FALSE, NULL);
  g_assert_cmpint (logits->ndim, ==, 1);
  g_assert_cmpint (logits->shape[0], ==, 5);
  first = cnv_model_get_activation (model, 0);
  g_assert_cmpint (first->shape[0], ==, 5);
  g_assert_cmpint (first->shape[1], ==, 8);
  g_assert_cmpint (first->shape[2], ==, 28);
  g_assert_cmpint (cnv_model_get_activation (model, 6)->ndim, ==, 2);
  g_assert_cmpint (cnv_model_get_activation (model, 6)->shape[1], ==, 784);
  g_assert_cmpfloat (logits->data[4], ==,
                     cnv_model_get_activation (model, 9)->data[4]);

  /* Same batch size: the same buffers. */
  g_assert_true (cnv_model_forward (model, input, TRUE, NULL) == logits);
  g_assert_true (cnv_model_get_activation (model, 0) == first);

  /* Each sample is computed on its own in inference. */
  memcpy (small->data, input->data + 3 * 784, sizeof (float) * 784 * 2);
  {
    float l3 = logits->data[3], l4 = logits->data[4];

    cnv_model_forward (model, input, FALSE, NULL);
    l3 = logits->data[3];
    l4 = logits->data[4];
    logits = cnv_model_forward (model, small, FALSE, NULL);
    g_assert_cmpint (logits->shape[0], ==, 2);
    g_assert_cmpuint (logits->size, ==, 2);
    g_assert_cmpfloat_with_epsilon (logits->data[0], l3, 1e-5);
    g_assert_cmpfloat_with_epsilon (logits->data[1], l4, 1e-5);

    /* A smaller batch reuses the buffers, shrunk in place... */
    g_assert_true (cnv_model_get_activation (model, 0) == first);
    g_assert_cmpint (first->shape[0], ==, 2);
    g_assert_cmpuint (first->size, ==, 2 * 8 * 28 * 28);

    /* ...and the full batch afterwards still gives the same answers. */
    logits = cnv_model_forward (model, input, FALSE, NULL);
    g_assert_true (cnv_model_get_activation (model, 0) == first);
    g_assert_cmpint (first->shape[0], ==, 5);
    g_assert_cmpfloat (logits->data[3], ==, l3);
    g_assert_cmpfloat (logits->data[4], ==, l4);
  }
}

static void
test_gradients_accumulate (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModel) model = cnv_model_new (spec, NULL);
  g_autoptr(CnvModel) copy = NULL;
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (3, 1, 28, 28);
  g_autoptr(CnvTensor) grad = cnv_tensor_new_1d (3);
  g_autoptr(CnvTensor) once = NULL;
  CnvParam *w;
  CnvRng rng;

  cnv_rng_init (&rng, 3);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng);
  grad->data[0] = 1.0f;
  grad->data[1] = -0.5f;
  grad->data[2] = 0.25f;

  cnv_model_forward (model, input, TRUE, &rng);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, grad, NULL);
  w = cnv_model_find_param (model, "conv1.weight");
  once = cnv_tensor_copy (w->grad);
  g_assert_cmpfloat (fabsf (once->data[0]), >, 0.0f);

  cnv_model_forward (model, input, TRUE, &rng);
  cnv_model_backward (model, grad, NULL);
  for (gsize i = 0; i < once->size; i++)
    g_assert_cmpfloat_with_epsilon (w->grad->data[i], 2 * once->data[i],
                                    1e-5 * (1 + fabsf (once->data[i])));

  cnv_model_zero_grad (model);
  g_assert_cmpfloat (w->grad->data[0], ==, 0.0f);

  /* A copy has the same values in its own storage, and no batch state. */
  copy = cnv_model_copy (model);
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *p = cnv_model_get_param (model, i);
      CnvParam *q = cnv_model_get_param (copy, i);

      g_assert_cmpstr (p->name, ==, q->name);
      g_assert_true (p->value->data != q->value->data);
      g_assert_cmpmem (p->value->data, p->value->size * 4,
                       q->value->data, q->value->size * 4);
    }
  g_assert_true (cnv_model_spec_equal (cnv_model_get_spec (model),
                                       cnv_model_get_spec (copy)));
  g_assert_cmpfloat (cnv_model_forward (copy, input, FALSE, NULL)->data[1], ==,
                     cnv_model_forward (model, input, FALSE, NULL)->data[1]);
}

/* Grad-CAM's use: one image, inference forward, backward of the logit,
 * then the gradient at a layer's output. */
static void
test_activation_grad_after_inference (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModel) model = cnv_model_new (spec, NULL);
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (1, 1, 28, 28);
  g_autoptr(CnvTensor) one = cnv_tensor_new_1d (1);
  const float *out_weight;
  const CnvTensor *fc1, *fc1_grad, *relu3_grad;
  int positive = 0;
  CnvRng rng;

  cnv_rng_init (&rng, 6);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng);
  one->data[0] = 1.0f;

  cnv_model_forward (model, input, FALSE, NULL);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, one, NULL);

  /* d logit / d relu3 = out.weight; d logit / d fc1 = that where fc1 > 0. */
  out_weight = cnv_model_find_param (model, "out.weight")->value->data;
  fc1 = cnv_model_get_activation (model, 7);
  fc1_grad = cnv_model_get_activation_grad (model, 7);
  relu3_grad = cnv_model_get_activation_grad (model, 8);
  g_assert_cmpfloat (cnv_model_get_activation_grad (model, 9)->data[0], ==,
                     1.0f);
  g_assert_cmpint (fc1_grad->shape[1], ==, 64);
  for (int i = 0; i < 64; i++)
    {
      g_assert_cmpfloat (relu3_grad->data[i], ==, out_weight[i]);
      g_assert_cmpfloat (fc1_grad->data[i], ==,
                         fc1->data[i] > 0.0f ? out_weight[i] : 0.0f);
      positive += fc1->data[i] > 0.0f;
    }
  g_assert_cmpint (positive, >, 0);
  g_assert_cmpint (positive, <, 64);

  /* The feature maps Grad-CAM weighs: conv2's output gradient. */
  g_assert_cmpint (cnv_model_get_activation_grad (model, 3)->shape[1], ==,
                   16);
  g_assert_cmpint (cnv_model_get_activation_grad (model, 3)->shape[2], ==,
                   14);
}

/* Convolutions split the batch across worker threads, and the 784 → 64
 * dense layer its columns (batch 7 is above its split): the forward pass
 * and every gradient are the same to the bit whatever the thread count. */
static void
test_threads_agree (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModel) model = cnv_model_new (spec, NULL);
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (7, 1, 28, 28);
  g_autoptr(CnvTensor) input_grad_1 = cnv_tensor_new_4d (7, 1, 28, 28);
  g_autoptr(CnvTensor) input_grad_3 = cnv_tensor_new_4d (7, 1, 28, 28);
  g_autoptr(CnvTensor) grad = cnv_tensor_new_1d (7);
  g_autoptr(CnvTensor) logits_1 = NULL;
  g_autoptr(GPtrArray) grads_1 = g_ptr_array_new_with_free_func (
    (GDestroyNotify) cnv_tensor_free);
  const CnvTensor *logits_3;
  CnvRng rng;

  cnv_rng_init (&rng, 4);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng);
  for (int i = 0; i < 7; i++)
    grad->data[i] = (float) cnv_rng_uniform (&rng) - 0.5f;

  cnv_set_threads (1);
  logits_1 = cnv_tensor_copy (cnv_model_forward (model, input, TRUE, NULL));
  cnv_model_zero_grad (model);
  cnv_model_backward (model, grad, input_grad_1);
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    g_ptr_array_add (grads_1,
                     cnv_tensor_copy (cnv_model_get_param (model, i)->grad));

  cnv_set_threads (3);
  logits_3 = cnv_model_forward (model, input, TRUE, NULL);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, grad, input_grad_3);
  cnv_set_threads (1);

  g_assert_cmpmem (logits_1->data, logits_1->size * 4,
                   logits_3->data, logits_3->size * 4);
  g_assert_cmpmem (input_grad_1->data, input_grad_1->size * 4,
                   input_grad_3->data, input_grad_3->size * 4);
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      const CnvTensor *one = g_ptr_array_index (grads_1, i);
      const CnvTensor *three = cnv_model_get_param (model, i)->grad;
      double largest = 0.0;

      for (gsize j = 0; j < one->size; j++)
        largest = MAX (largest, fabs (one->data[j]));
      g_assert_cmpfloat (largest, >, 0.0);
      g_assert_cmpmem (one->data, one->size * 4, three->data,
                       three->size * 4);
    }
}

/* A conv2d followed by a relu runs as one pass per image: the relu's
 * output must still be exactly max (conv output, 0) and the conv's output
 * gradient exactly the relu's where the conv output is positive, for both
 * pairs of the default model (conv1 feeds no input gradient, conv2 does). */
static void
test_conv_relu_pairs (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvModel) model = cnv_model_new (spec, NULL);
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (5, 1, 28, 28);
  g_autoptr(CnvTensor) grad = cnv_tensor_new_1d (5);
  static const guint convs[] = { 0, 3 };
  CnvRng rng;

  cnv_rng_init (&rng, 8);
  cnv_model_init_parameters (model, &rng);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng) - 0.3f;
  for (int i = 0; i < 5; i++)
    grad->data[i] = (float) cnv_rng_uniform (&rng) - 0.5f;

  cnv_model_forward (model, input, TRUE, NULL);
  cnv_model_zero_grad (model);
  cnv_model_backward (model, grad, NULL);

  for (guint c = 0; c < G_N_ELEMENTS (convs); c++)
    {
      const CnvTensor *x = cnv_model_get_activation (model, convs[c]);
      const CnvTensor *y = cnv_model_get_activation (model, convs[c] + 1);
      const CnvTensor *dx = cnv_model_get_activation_grad (model, convs[c]);
      const CnvTensor *dy = cnv_model_get_activation_grad (model,
                                                           convs[c] + 1);
      gsize positive = 0, nonzero_grad = 0;

      g_assert_cmpuint (x->size, ==, y->size);
      for (gsize i = 0; i < x->size; i++)
        {
          g_assert_cmpfloat (y->data[i], ==, x->data[i] > 0.0f
                                             ? x->data[i] : 0.0f);
          g_assert_cmpfloat (dx->data[i], ==, x->data[i] > 0.0f
                                              ? dy->data[i] : 0.0f);
          positive += x->data[i] > 0.0f;
          nonzero_grad += dx->data[i] != 0.0f;
        }
      g_assert_cmpuint (positive, >, 0);
      g_assert_cmpuint (positive, <, x->size);
      g_assert_cmpuint (nonzero_grad, >, 0);
    }
}

static void
test_threads (void)
{
  cnv_set_threads (1);
  g_assert_cmpint (cnv_get_threads (), ==, 1);
  cnv_set_threads (2);
  g_assert_cmpint (cnv_get_threads (), ==, 2);
  cnv_set_threads (1);
}

/* Validation as a list */

/* Four problems in one stack are all reported, in stack order, and the
 * layers between them still get shapes. */
static void
test_check_lists_every_problem (void)
{
  g_autoptr(CnvModelSpec) spec = parse (
    "{" INPUT_28 ", \"layers\": ["
    "{\"id\": \"c1\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3,"
    " \"padding\": \"same\"},"
    "{\"id\": \"c1\", \"type\": \"relu\"},"
    "{\"id\": \"fc\", \"type\": \"dense\", \"units\": 8},"
    "{\"id\": \"late\", \"type\": \"max-pool\", \"size\": 2},"
    "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1},"
    "{\"id\": \"prob\", \"type\": \"sigmoid\"}]}");
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  CnvShape shapes[6];

  g_assert_false (cnv_model_spec_check (spec, shapes, &problems));
  g_assert_cmpuint (problems->len, ==, 4);
  assert_problem (problems, 0, 1, CNV_MODEL_PROBLEM_DUPLICATE_ID, "“c1”");
  assert_problem (problems, 1, 2, CNV_MODEL_PROBLEM_NEEDS_FLATTEN,
                  "add a flatten layer before it");
  assert_problem (problems, 2, 3, CNV_MODEL_PROBLEM_AFTER_FLATTEN, "“late”");
  assert_problem (problems, 3, 5, CNV_MODEL_PROBLEM_SIGMOID_HEAD,
                  "“prob”");

  assert_shape (&shapes[0], 4, 28, 28, FALSE);
  assert_shape (&shapes[1], 4, 28, 28, FALSE);
  /* The dense layer still gives [8]; the pool after it has no shape; the
   * head gives its logit whatever came before. */
  assert_shape (&shapes[2], 8, 1, 1, TRUE);
  assert_shape (&shapes[3], 0, 0, 0, FALSE);
  assert_shape (&shapes[4], 1, 1, 1, TRUE);
  assert_shape (&shapes[5], 1, 1, 1, TRUE);

  /* validate () reports the first one as its error. */
  g_assert_false (cnv_model_spec_validate (spec, NULL, &error));
  g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, problem_at (problems, 0)->message);
}

static void
test_check_windows_and_stack (void)
{
  g_autoptr(CnvModelSpec) spec = parse (
    "{" INPUT_28 ", \"layers\": ["
    "{\"id\": \"big\", \"type\": \"conv2d\", \"filters\": 2, \"kernel\": 29},"
    "{\"id\": \"p1\", \"type\": \"max-pool\", \"size\": 4},"
    "{\"id\": \"p2\", \"type\": \"max-pool\", \"size\": 4},"
    "{\"id\": \"p3\", \"type\": \"max-pool\", \"size\": 4}," HEAD "]}");
  g_autoptr(CnvModelSpec) bad = cnv_model_spec_new_default ();
  g_autoptr(CnvModelSpec) empty = cnv_model_spec_new_template (
    CNV_TEMPLATE_EMPTY);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) more = NULL;
  g_autoptr(GPtrArray) none = NULL;
  CnvShape shapes[6];
  CnvShape bad_shapes[10];

  /* A kernel larger than the input goes on with the input's size, so the
   * pools after it are not blamed for it; the third pool of 4 collapses
   * 28 → 7 → 1 and goes on with 1×1. */
  g_assert_false (cnv_model_spec_check (spec, shapes, &problems));
  g_assert_cmpuint (problems->len, ==, 2);
  assert_problem (problems, 0, 0, CNV_MODEL_PROBLEM_WINDOW_TOO_LARGE,
                  "29×29 kernel but its input is only 28×28");
  assert_problem (problems, 1, 3, CNV_MODEL_PROBLEM_COLLAPSE,
                  "remove a pooling layer before it");
  assert_shape (&shapes[0], 2, 28, 28, FALSE);
  assert_shape (&shapes[1], 2, 7, 7, FALSE);
  assert_shape (&shapes[2], 2, 1, 1, FALSE);
  assert_shape (&shapes[3], 2, 1, 1, FALSE);
  assert_shape (&shapes[4], 2, 1, 1, TRUE);

  /* Input, ids and parameters that only an editor could produce. */
  bad->width = 0;
  g_free (bad->layers[1].id);
  bad->layers[1].id = g_strdup ("");
  g_free (bad->layers[2].id);
  bad->layers[2].id = g_strdup ("pool 1");
  bad->layers[3].filters = 0;
  bad->layers[9].units = 2;
  g_assert_false (cnv_model_spec_check (bad, bad_shapes, &more));
  g_assert_cmpuint (more->len, ==, 5);
  assert_problem (more, 0, -1, CNV_MODEL_PROBLEM_INPUT, "0×28×1");
  assert_problem (more, 1, 1, CNV_MODEL_PROBLEM_INVALID_ID, "Layer 2 has no id");
  assert_problem (more, 2, 2, CNV_MODEL_PROBLEM_INVALID_ID, "“pool 1”");
  assert_problem (more, 3, 3, CNV_MODEL_PROBLEM_PARAMETER, "1 to 65536 filters");
  assert_problem (more, 4, 9, CNV_MODEL_PROBLEM_HEAD, "set it to 1 unit");
  assert_shape (&bad_shapes[0], 0, 0, 0, FALSE);
  assert_shape (&bad_shapes[7], 64, 1, 1, TRUE);

  g_assert_false (cnv_model_spec_check (empty, NULL, &none));
  g_assert_cmpuint (none->len, ==, 1);
  assert_problem (none, 0, -1, CNV_MODEL_PROBLEM_EMPTY, "no layers");
}

static void
test_check_valid_and_softmax (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GPtrArray) problems = NULL;

  g_assert_true (cnv_model_spec_check (spec, NULL, &problems));
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_true (cnv_model_spec_check (spec, NULL, NULL));

  /* Softmax over the single logit, once, on its own row, with the reason
   * it cannot work; the head check does not blame the row a second
   * time. */
  {
    g_autoptr(CnvModelSpec) after_head = parse (
      "{" INPUT_28 ", \"layers\": [" HEAD ", {\"id\": \"sm\","
      " \"type\": \"softmax\"}]}");
    g_autoptr(GPtrArray) found = NULL;

    g_assert_false (cnv_model_spec_check (after_head, NULL, &found));
    g_assert_cmpuint (found->len, ==, 1);
    assert_problem (found, 0, 2, CNV_MODEL_PROBLEM_SOFTMAX_ONE,
                    "always gives 1");
    g_assert_nonnull (strstr (problem_at (found, 0)->message, "sigmoid"));
  }
  assert_invalid (HEAD ", {\"id\": \"sm\", \"type\": \"softmax\"}",
                  CNV_MODEL_ERROR_HEAD, "“sm”", "single value", NULL);
  /* Over one channel of feature maps, inside the stack. */
  assert_invalid ("{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 1},"
                  "{\"id\": \"sm\", \"type\": \"softmax\"}, " HEAD,
                  CNV_MODEL_ERROR_HEAD, "“sm”", "single channel", NULL);
  /* Over several channels it is a layer like any other; over the 2
   * logits of a two-unit head, the head is what is wrong. */
  {
    g_autoptr(CnvModelSpec) fine = parse (
      "{" INPUT_28 ", \"layers\": [{\"id\": \"c\", \"type\": \"conv2d\","
      " \"filters\": 3}, {\"id\": \"sm\", \"type\": \"softmax\"}, "
      HEAD "]}");
    CnvShape shapes[4];

    g_assert_true (cnv_model_spec_check (fine, shapes, NULL));
    assert_shape (&shapes[1], 3, 26, 26, FALSE);
    g_assert_cmpuint (cnv_layer_spec_count_parameters (&fine->layers[1],
                                                       &shapes[0]), ==, 0);
  }
  assert_invalid ("{\"id\": \"f\", \"type\": \"flatten\"}, "
                  "{\"id\": \"two\", \"type\": \"dense\", \"units\": 2}, "
                  "{\"id\": \"sm\", \"type\": \"softmax\"}",
                  CNV_MODEL_ERROR_HEAD, "“sm”", "dense layer of 1 unit", NULL);
}

/* Costs */

static void
test_costs_lenet (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_auto(CnvModelCosts) costs = { 0, };

  cnv_model_spec_get_costs (spec, 32, &costs);
  g_assert_cmpuint (costs.n_layers, ==, 10);
  g_assert_cmpuint (costs.parameters, ==, 53729);
  /* conv1 28·28·8·1·25 = 156,800; conv2 14·14·16·8·25 = 627,200;
   * fc1 784·64 = 50,176; out 64: 834,240 multiply-adds, 1.67 MFLOP as
   * issue 7 says. */
  g_assert_cmpuint (costs.layers[0].multiply_adds, ==, 156800);
  g_assert_cmpuint (costs.layers[3].multiply_adds, ==, 627200);
  g_assert_cmpuint (costs.layers[7].multiply_adds, ==, 50176);
  g_assert_cmpuint (costs.layers[9].multiply_adds, ==, 64);
  g_assert_cmpuint (costs.layers[1].multiply_adds, ==, 0);
  g_assert_cmpuint (costs.multiply_adds, ==, 834240);
  g_assert_cmpuint (costs.layers[0].parameters, ==, 208);
  g_assert_cmpuint (costs.layers[3].parameters, ==, 3216);
  g_assert_cmpuint (costs.layers[7].parameters, ==, 50240);
  g_assert_cmpuint (costs.layers[9].parameters, ==, 65);
  g_assert_cmpuint (costs.layers[3].weight_bytes, ==, 3216 * 4);
  g_assert_cmpuint (costs.weight_bytes, ==, 53729 * 4);
  /* conv1's output [8, 28, 28] for 32 images. */
  g_assert_cmpuint (costs.layers[0].activation_bytes, ==, 8 * 28 * 28 * 4 * 32);
  /* 784 + 6272 + 6272 + 1568 + 3136 + 3136 + 784 + 784 + 64 + 64 + 1
   * = 22,865 floats per image. */
  g_assert_cmpuint (costs.activation_bytes, ==, 22865 * 4 * 32);
  g_assert_cmpuint (costs.training_activation_bytes, ==, 22865 * 4 * 32 * 2);
  g_assert_cmpuint (costs.training_bytes, ==,
                    53729 * 4 * 4 + 22865 * 4 * 32 * 2);
}

static void
test_costs_small_vgg (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_template (
    CNV_TEMPLATE_SMALL_VGG);
  g_autoptr(CnvModelSpec) broken = NULL;
  g_auto(CnvModelCosts) costs = { 0, };
  g_auto(CnvModelCosts) broken_costs = { 0, };

  cnv_model_spec_get_costs (spec, 1, &costs);
  g_assert_cmpuint (costs.parameters, ==, 1335841);
  /* conv1 64·64·32·3·9 = 3,538,944; conv2 64·64·32·32·9 = 37,748,736 */
  g_assert_cmpuint (costs.layers[0].multiply_adds, ==, 3538944);
  g_assert_cmpuint (costs.layers[2].multiply_adds, ==, 37748736);
  /* conv3 32·32·64·32·9 = 18,874,368 */
  g_assert_cmpuint (costs.layers[5].multiply_adds, ==, 18874368);
  /* + conv4 37,748,736 + conv5 18,874,368 + conv6 37,748,736
   * + fc1 8192·128 = 1,048,576 + out 128 = 155,582,592: 311 MFLOP. */
  g_assert_cmpuint (costs.multiply_adds, ==, 155582592);
  g_assert_cmpuint (costs.layers[16].parameters, ==, 8192 * 128 + 128);

  /* A broken layer costs nothing but does not stop the count. */
  broken = cnv_model_spec_copy (spec);
  broken->layers[3].kind = CNV_LAYER_FLATTEN;
  cnv_model_spec_get_costs (broken, 1, &broken_costs);
  g_assert_cmpuint (broken_costs.layers[5].multiply_adds, ==, 0);
  g_assert_cmpuint (broken_costs.layers[19].parameters, ==, 129);
}

static void
test_check_memory (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (
    (GDestroyNotify) cnv_model_problem_free);

  /* Training at batch 32 needs 6,713,104 bytes. */
  g_assert_true (cnv_model_spec_check_memory (spec, 32, 6713104, problems));
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_false (cnv_model_spec_check_memory (spec, 32, 6713103, problems));
  g_assert_cmpuint (problems->len, ==, 1);
  assert_problem (problems, 0, -1, CNV_MODEL_PROBLEM_MEMORY,
                  "smaller batch size");
  g_assert_cmpuint (cnv_get_physical_memory (), >, 0);
  g_assert_true (cnv_model_spec_check_memory (spec, 32, 0, NULL));
}

/* Templates */

static void
test_templates (void)
{
  g_autoptr(GHashTable) titles = g_hash_table_new (g_str_hash, g_str_equal);
  static const gsize parameters[] = { 0, 825, 53729, 1335841 };

  for (int t = 0; t < CNV_N_MODEL_TEMPLATES; t++)
    {
      g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_template (t);
      g_auto(CnvModelCosts) costs = { 0, };
      const char *title = cnv_model_template_get_title (t);

      g_assert_true (g_hash_table_add (titles, (gpointer) title));
      g_assert_cmpuint (strlen (cnv_model_template_get_description (t)), >,
                        20);
      cnv_model_spec_get_costs (spec, 1, &costs);
      g_assert_cmpuint (costs.parameters, ==, parameters[t]);
      g_assert_cmpint (cnv_model_spec_check (spec, NULL, NULL), ==,
                       t != CNV_TEMPLATE_EMPTY);
    }

  {
    g_autoptr(CnvModelSpec) lenet = cnv_model_spec_new_template (
      CNV_TEMPLATE_LENET);
    g_autoptr(CnvModelSpec) def = cnv_model_spec_new_default ();
    g_autoptr(CnvModelSpec) vgg = cnv_model_spec_new_template (
      CNV_TEMPLATE_SMALL_VGG);
    CnvShape shapes[22];

    g_assert_true (cnv_model_spec_equal (lenet, def));
    g_assert_cmpuint (vgg->n_layers, ==, 20);
    g_assert_true (cnv_model_spec_validate (vgg, shapes, NULL));
    assert_shape (&shapes[14], 128, 8, 8, FALSE);
    assert_shape (&shapes[15], 8192, 1, 1, TRUE);
    g_assert_cmpfloat (vgg->layers[18].rate, ==, 0.5f);
    g_assert_cmpstr (cnv_model_template_to_string (CNV_TEMPLATE_SMALL_VGG),
                     ==, "small-vgg");
  }
}

/* bench/lenet.json and bench/small-vgg.json are the templates. */
static void
test_bench_files (void)
{
  static const struct { const char *file; CnvModelTemplate t; } files[] = {
    { "lenet.json", CNV_TEMPLATE_LENET },
    { "small-vgg.json", CNV_TEMPLATE_SMALL_VGG },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                                "bench", files[i].file, NULL);
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(CnvModelSpec) spec = NULL;
      g_autoptr(CnvModelSpec) expected = cnv_model_spec_new_template (
        files[i].t);

      g_assert_nonnull (g_getenv ("CNV_SOURCE_ROOT"));
      g_assert_true (g_file_get_contents (path, &text, NULL, &error));
      g_assert_no_error (error);
      spec = parse (text);
      g_assert_true (cnv_model_spec_equal (spec, expected));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/model/default-shapes", test_default_shapes);
  g_test_add_func ("/engine/model/conv-relu-pair-same-as-two-layers",
                   test_conv_relu_pairs);
  g_test_add_func ("/engine/model/default-has-53729-parameters",
                   test_default_parameters);
  g_test_add_func ("/engine/model-spec/json-round-trip", test_json_round_trip);
  g_test_add_func ("/engine/model-spec/json-writes-every-field",
                   test_json_writes_every_field);
  g_test_add_func ("/engine/model-spec/json-floats-read-back", test_json_floats);
  g_test_add_func ("/engine/model-spec/json-parse-errors-name-the-layer",
                   test_json_parse_errors);
  g_test_add_func ("/engine/model-spec/json-defaults", test_json_defaults);
  g_test_add_func ("/engine/model-spec/validation-errors-name-the-layer",
                   test_validation_errors);
  g_test_add_func ("/engine/model-spec/shape-inference",
                   test_validation_shapes);
  g_test_add_func ("/engine/model-spec/kind-names", test_kind_names);
  g_test_add_func ("/engine/model-spec/check-lists-every-problem",
                   test_check_lists_every_problem);
  g_test_add_func ("/engine/model-spec/check-windows-ids-input-head",
                   test_check_windows_and_stack);
  g_test_add_func ("/engine/model-spec/validation-ranges",
                   test_validation_ranges);
  g_test_add_func ("/engine/model-spec/shapes-of-every-kind",
                   test_shapes_every_kind);
  g_test_add_func ("/engine/model-spec/check-valid-and-softmax",
                   test_check_valid_and_softmax);
  g_test_add_func ("/engine/model-spec/costs-lenet", test_costs_lenet);
  g_test_add_func ("/engine/model-spec/costs-small-vgg",
                   test_costs_small_vgg);
  g_test_add_func ("/engine/model-spec/check-memory", test_check_memory);
  g_test_add_func ("/engine/model-spec/templates", test_templates);
  g_test_add_func ("/engine/model-spec/bench-files-are-the-templates",
                   test_bench_files);
  g_test_add_func ("/engine/model/init-parameters", test_init_parameters);
  g_test_add_func ("/engine/model/batch-norm-parameters",
                   test_batch_norm_params);
  g_test_add_func ("/engine/model/forward-shapes-and-buffer-reuse",
                   test_forward_shapes_and_reuse);
  g_test_add_func ("/engine/model/gradients-accumulate-and-copy",
                   test_gradients_accumulate);
  g_test_add_func ("/engine/model/activation-grad-after-inference",
                   test_activation_grad_after_inference);
  g_test_add_func ("/engine/model/threads", test_threads);
  g_test_add_func ("/engine/model/threads-agree-with-one-thread",
                   test_threads_agree);

  return g_test_run ();
}
