/* test-inspect.c — feature maps, Grad-CAM, filters, histograms and the
 * colour map
 *
 * Feature maps are checked against the model's own forward pass and,
 * with Grad-CAM, against PyTorch (tests/reference/make-inspect-reference.py);
 * Grad-CAM must find the one place a hand-built network looks at; the
 * colour map is checked against viridis as published
 * (tests/reference/make-viridis.py).
 */
#include "cnv-config.h"

#include <math.h>
#include <string.h>

#include "cnv.h"
#include "test-util.h"

/* A LeNet with He-initialised weights and a non-trivial image. */
static CnvModel *
new_lenet (CnvTensor **input)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GError) error = NULL;
  CnvModel *model;
  CnvRng rng;

  model = cnv_model_new (spec, &error);
  g_assert_no_error (error);
  cnv_rng_init (&rng, 7);
  cnv_model_init_parameters (model, &rng);

  *input = cnv_tensor_new_4d (1, spec->channels, spec->height, spec->width);
  for (gsize i = 0; i < (*input)->size; i++)
    (*input)->data[i] = (float) cnv_rng_uniform (&rng);

  return model;
}

static void
test_feature_maps_equal_forward (void)
{
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvModel) model = new_lenet (&input);
  g_autoptr(CnvModel) twin = cnv_model_copy (model);
  g_autoptr(CnvFeatureMaps) maps = NULL;
  g_autoptr(GError) error = NULL;
  const CnvModelSpec *spec = cnv_model_get_spec (model);
  const CnvTensor *logits;

  maps = cnv_feature_maps_compute (model, input, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (maps->n_layers, ==, spec->n_layers);

  /* The twin runs a plain inference forward pass: every captured map is
   * its intermediate value to the bit. */
  logits = cnv_model_forward (twin, input, FALSE, NULL);
  g_assert_cmpfloat (maps->logit, ==, logits->data[0]);
  g_assert_cmpmem (maps->input.values, input->size * sizeof (float),
                   input->data, input->size * sizeof (float));

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const CnvTensor *expected = cnv_model_get_activation (twin, i);
      const CnvLayerMaps *layer = &maps->layers[i];
      const CnvShape *shape = cnv_model_get_output_shape (twin, i);
      gsize plane = (gsize) layer->height * layer->width;

      g_assert_cmpint (layer->flat, ==, shape->flat);
      g_assert_cmpuint (plane * layer->channels, ==, expected->size);
      g_assert_cmpmem (layer->values, expected->size * sizeof (float),
                       expected->data, expected->size * sizeof (float));
      if (!shape->flat)
        {
          g_assert_cmpint (layer->channels, ==, shape->channels);
          g_assert_cmpint (layer->height, ==, shape->height);
          g_assert_cmpint (layer->width, ==, shape->width);
        }
      else
        {
          g_assert_cmpint (layer->channels, ==, 1);
          g_assert_cmpint (layer->width, ==, shape->channels);
        }

      /* Statistics by a naive loop. */
      for (int c = 0; c < layer->channels; c++)
        {
          const float *v = expected->data + plane * c;
          double sum = 0.0;
          float lo = INFINITY, hi = -INFINITY;

          for (gsize k = 0; k < plane; k++)
            {
              lo = MIN (lo, v[k]);
              hi = MAX (hi, v[k]);
              sum += v[k];
            }
          g_assert_cmpfloat (layer->stats[c].min, ==, lo);
          g_assert_cmpfloat (layer->stats[c].max, ==, hi);
          g_assert_cmpfloat_with_epsilon (layer->stats[c].mean, sum / plane,
                                          1e-6);
          g_assert_cmpfloat (layer->min, <=, lo);
          g_assert_cmpfloat (layer->max, >=, hi);
        }
    }

  /* The relu after conv1 really is the relu of conv1's maps. */
  for (gsize k = 0; k < (gsize) maps->layers[0].channels * 28 * 28; k++)
    g_assert_cmpfloat (maps->layers[1].values[k], ==,
                       MAX (maps->layers[0].values[k], 0.0f));
}

static void
test_feature_maps_from_image (void)
{
  const char *names[] = { "a", "b", NULL };
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvFeatureMaps) maps = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  CnvPreprocessing pp;
  double probability;
  const guint8 *pixels;
  float logit;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  classifier = cnv_classifier_new (spec, &pp, names, 3, &error);
  g_assert_no_error (error);
  path = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", "sample",
                           "sneaker", "train-00006.png", NULL);
  image = cnv_image_load (path, &classifier->preprocessing, &error);
  g_assert_no_error (error);

  input = cnv_inspect_input_new (classifier, image, &error);
  g_assert_no_error (error);
  maps = cnv_feature_maps_compute (classifier->model, input, &error);
  g_assert_no_error (error);

  /* The logit is the prediction's, from the same preprocessing. */
  pixels = image->pixels;
  cnv_classifier_predict_pixels (classifier, &pixels, 1, &logit);
  g_assert_cmpfloat (maps->logit, ==, logit);
  g_assert_true (cnv_classifier_predict_file (classifier, path, &probability,
                                              NULL, &error));
  g_assert_cmpfloat (cnv_sigmoid (maps->logit), ==, probability);

  /* An image of another size is refused with both sizes named. */
  image->width = 14;
  g_clear_pointer (&input, cnv_tensor_free);
  input = cnv_inspect_input_new (classifier, image, &error);
  g_assert_null (input);
  g_assert_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "14 × 28 × 1"));
  g_assert_nonnull (strstr (error->message, "28 × 28 × 1"));
  image->width = 28;
}

/* The Grad-CAM network: on a grey image, channel 0 of conv1 answers to
 * bright pixels and channel 1 to dark ones; the head adds up channel 0
 * only, so the answer depends on where the image is bright and nowhere
 * else.  A dark blob elsewhere is a distractor channel 1 sees. */
#define CAM_SIDE 16

static CnvModel *
new_bright_spot_model (void)
{
  const char *json =
    "{\"input\": {\"width\": 16, \"height\": 16, \"channels\": 1},"
    " \"layers\": ["
    "  {\"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 2,"
    "   \"kernel\": 1, \"padding\": \"valid\"},"
    "  {\"id\": \"relu1\", \"type\": \"relu\"},"
    "  {\"id\": \"pool1\", \"type\": \"max-pool\", \"size\": 2},"
    "  {\"id\": \"flat\", \"type\": \"flatten\"},"
    "  {\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}";
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  CnvModel *model;
  CnvParam *param;

  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  model = cnv_model_new (spec, &error);
  g_assert_no_error (error);

  param = cnv_model_find_param (model, "conv1.weight");
  param->value->data[0] = 1.0f;
  param->value->data[1] = -1.0f;
  param = cnv_model_find_param (model, "conv1.bias");
  param->value->data[0] = -0.5f;
  param->value->data[1] = 0.5f;

  /* out.weight [1, 2 · 8 · 8]: channel 0 first */
  param = cnv_model_find_param (model, "out.weight");
  for (int i = 0; i < 64; i++)
    param->value->data[i] = 1.0f / 64;
  param = cnv_model_find_param (model, "out.bias");
  param->value->data[0] = -0.1f;

  return model;
}

static void
fill_square (CnvTensor *input,
             int        top,
             int        left,
             float      value)
{
  for (int y = top; y < top + 4; y++)
    for (int x = left; x < left + 4; x++)
      input->data[y * CAM_SIDE + x] = value;
}

static void
argmax (const float *values,
        int          width,
        gsize        n,
        int         *row,
        int         *column)
{
  gsize best = 0;

  for (gsize i = 1; i < n; i++)
    if (values[i] > values[best])
      best = i;

  *row = (int) (best / width);
  *column = (int) (best % width);
}

static void
check_bright_spot (int top,
                   int left,
                   int dark_top,
                   int dark_left)
{
  g_autoptr(CnvModel) model = new_bright_spot_model ();
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (1, 1, CAM_SIDE, CAM_SIDE);
  g_autoptr(CnvGradCam) cam = NULL;
  g_autoptr(CnvGradCam) other = NULL;
  g_autoptr(GError) error = NULL;
  int row, column;

  for (gsize i = 0; i < input->size; i++)
    input->data[i] = 0.5f;
  fill_square (input, top, left, 1.0f);
  fill_square (input, dark_top, dark_left, 0.0f);

  g_assert_cmpint (cnv_gradcam_default_layer (model), ==, 0);
  cam = cnv_gradcam_compute (model, input, 2, 1, &error);
  g_assert_no_error (error);

  /* logit = 4 pooled cells · 0.5 / 64 − 0.1 */
  g_assert_cmpfloat_with_epsilon (cam->logit, 2.0 / 64 - 0.1, 1e-6);
  g_assert_cmpint (cam->map_height, ==, 8);
  g_assert_cmpint (cam->map_width, ==, 8);
  g_assert_cmpint (cam->height, ==, CAM_SIDE);
  g_assert_cmpfloat (cam->weights[0], >, 0.0f);
  g_assert_cmpfloat (cam->weights[1], ==, 0.0f);
  g_assert_cmpfloat (cam->max, >, 0.0f);

  /* The hottest place is the bright square, on the layer's grid and on
   * the input's, and nothing is warm at the dark one. */
  argmax (cam->map, cam->map_width, 64, &row, &column);
  g_assert_cmpint (row, >=, top / 2);
  g_assert_cmpint (row, <, (top + 4) / 2);
  g_assert_cmpint (column, >=, left / 2);
  g_assert_cmpint (column, <, (left + 4) / 2);
  argmax (cam->heat, CAM_SIDE, CAM_SIDE * CAM_SIDE, &row, &column);
  g_assert_cmpint (row, >=, top);
  g_assert_cmpint (row, <, top + 4);
  g_assert_cmpint (column, >=, left);
  g_assert_cmpint (column, <, left + 4);
  g_assert_cmpfloat (cam->heat[(dark_top + 1) * CAM_SIDE + dark_left + 1],
                     ==, 0.0f);

  /* Nothing in the image speaks for the other class. */
  other = cnv_gradcam_compute (model, input, 2, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (other->weights[0], <, 0.0f);
  g_assert_cmpfloat (other->max, ==, 0.0f);
}

static void
test_gradcam_finds_the_region (void)
{
  check_bright_spot (2, 2, 10, 10);
  check_bright_spot (10, 4, 2, 10);
  check_bright_spot (6, 12, 10, 0);
}

static void
test_gradcam_refuses_flat_layers (void)
{
  g_autoptr(CnvModel) model = new_bright_spot_model ();
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (1, 1, CAM_SIDE, CAM_SIDE);
  g_autoptr(CnvTensor) wrong = cnv_tensor_new_4d (1, 1, 8, CAM_SIDE);
  g_autoptr(GError) error = NULL;

  g_assert_true (cnv_gradcam_layer_is_valid (model, 0));
  g_assert_true (cnv_gradcam_layer_is_valid (model, 2));
  g_assert_false (cnv_gradcam_layer_is_valid (model, 3));
  g_assert_false (cnv_gradcam_layer_is_valid (model, 9));

  g_assert_null (cnv_gradcam_compute (model, input, 3, 1, &error));
  g_assert_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER);
  g_assert_nonnull (strstr (error->message, "“flat”"));
  g_clear_error (&error);

  g_assert_null (cnv_gradcam_compute (model, input, 5, 1, &error));
  g_assert_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER);
  g_clear_error (&error);

  g_assert_null (cnv_gradcam_compute (model, wrong, 0, 1, &error));
  g_assert_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "[1, 1, 8, 16]"));
}

static void
test_gradcam_overlay (void)
{
  g_autoptr(CnvModel) model = new_bright_spot_model ();
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (1, 1, CAM_SIDE, CAM_SIDE);
  g_autoptr(CnvGradCam) cam = NULL;
  g_autoptr(CnvImage) image = cnv_image_new (CAM_SIDE, CAM_SIDE, 1);
  g_autoptr(GError) error = NULL;
  guint8 rgb[CAM_SIDE * CAM_SIDE * 3];
  guint8 hot[3], warm[3];

  for (gsize i = 0; i < input->size; i++)
    input->data[i] = 0.5f;
  fill_square (input, 4, 4, 1.0f);
  for (gsize i = 0; i < input->size; i++)
    image->pixels[i] = (guint8) (input->data[i] * 255);

  cam = cnv_gradcam_compute (model, input, 2, 1, &error);
  g_assert_no_error (error);

  /* Opacity 0: the image alone, in grey. */
  cnv_gradcam_render_overlay (cam, image, 0.0, rgb);
  for (int i = 0; i < CAM_SIDE * CAM_SIDE; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpuint (rgb[3 * i + c], ==, image->pixels[i]);

  /* Opacity 1: the hottest pixel is viridis (1); a cold one shows the
   * image, and one at 9/16 of the heat 9/16 of its colour. */
  cnv_gradcam_render_overlay (cam, image, 1.0, rgb);
  cnv_viridis (1.0, hot);
  g_assert_cmpmem (rgb + 3 * (5 * CAM_SIDE + 5), 3, hot, 3);
  for (int c = 0; c < 3; c++)
    g_assert_cmpuint (rgb[3 * (14 * CAM_SIDE + 14) + c], ==, 127);
  /* (4, 4): three quarters of the hot block at each side */
  g_assert_cmpfloat_with_epsilon (cam->heat[4 * CAM_SIDE + 4],
                                  cam->max * 0.5625, 1e-6);
  cnv_viridis (0.5625, warm);
  for (int c = 0; c < 3; c++)
    g_assert_cmpint (abs ((int) rgb[3 * (4 * CAM_SIDE + 4) + c]
                          - (int) lround (0.4375 * 255 + 0.5625 * warm[c])),
                     <=, 1);

  /* Half: half of the heat's colour at the hottest pixel. */
  cnv_gradcam_render_overlay (cam, image, 0.5, rgb);
  for (int c = 0; c < 3; c++)
    g_assert_cmpint (abs ((int) rgb[3 * (5 * CAM_SIDE + 5) + c]
                          - (255 + hot[c]) / 2), <=, 1);
}

/* PyTorch reference */

static void
fill_formula (CnvTensor  *tensor,
              JsonObject *recipe)
{
  guint64 seed = (guint64) json_object_get_int_member (recipe, "seed");
  double scale = json_object_get_double_member (recipe, "scale");
  double offset = json_object_get_double_member (recipe, "offset");

  for (gsize i = 0; i < tensor->size; i++)
    {
      guint32 bits = (guint32) ((guint64) i * G_GUINT64_CONSTANT (2654435761)
                                + seed * 40503 + 12345);
      double u = (double) bits / 4294967296.0;

      tensor->data[i] = (float) (offset + scale * (2.0 * u - 1.0));
    }
}

/* Within tolerance times the largest expected magnitude. */
static void
assert_matches (const float *actual,
                gsize        n,
                JsonArray   *values,
                double       tolerance,
                const char  *what)
{
  double largest = 1e-6;

  g_assert_cmpuint (json_array_get_length (values), ==, n);
  for (guint k = 0; k < n; k++)
    largest = MAX (largest, fabs (json_array_get_double_element (values, k)));
  for (guint k = 0; k < n; k++)
    {
      double expected = json_array_get_double_element (values, k);

      if (fabs (actual[k] - expected) > tolerance * largest)
        g_error ("%s[%u]: Convolve %.7g, PyTorch %.7g", what, k, actual[k],
                 expected);
    }
}

static void
test_torch_reference (void)
{
  const char *path = g_test_get_filename (G_TEST_DIST, "reference",
                                          "inspect.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvFeatureMaps) maps = NULL;
  JsonObject *root, *params, *outputs;
  JsonArray *cams;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  spec = cnv_model_spec_new_from_json_node (
    json_object_get_member (root, "model"), &error);
  g_assert_no_error (error);
  model = cnv_model_new (spec, &error);
  g_assert_no_error (error);

  params = json_object_get_object_member (root, "params");
  g_assert_cmpuint (json_object_get_size (params), ==,
                    cnv_model_get_n_params (model));
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      fill_formula (param->value,
                    json_object_get_object_member (params, param->name));
    }

  input = cnv_tensor_new_4d (1, spec->channels, spec->height, spec->width);
  fill_formula (input, json_object_get_object_member (root, "input"));

  maps = cnv_feature_maps_compute (model, input, &error);
  g_assert_no_error (error);
  outputs = json_object_get_object_member (root, "outputs");
  for (guint i = 0; i < spec->n_layers; i++)
    {
      const CnvLayerMaps *layer = &maps->layers[i];
      const char *id = spec->layers[i].id;

      assert_matches (layer->values,
                      (gsize) layer->channels * layer->height * layer->width,
                      json_object_get_array_member (outputs, id), 1e-5, id);
    }

  cams = json_object_get_array_member (root, "gradcam");
  g_assert_cmpuint (json_array_get_length (cams), ==, 6);
  for (guint k = 0; k < json_array_get_length (cams); k++)
    {
      JsonObject *expected = json_array_get_object_element (cams, k);
      const char *id = json_object_get_string_member (expected, "layer");
      int target = (int) json_object_get_int_member (expected,
                                                     "target_class");
      g_autoptr(CnvGradCam) cam = NULL;
      g_autofree char *what = NULL;
      guint layer = 0;

      while (g_strcmp0 (spec->layers[layer].id, id) != 0)
        layer++;
      what = g_strdup_printf ("%s, class %d", id, target);

      cam = cnv_gradcam_compute (model, input, layer, target, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat_with_epsilon (cam->logit,
        json_object_get_double_member (expected, "logit"), 1e-6);
      assert_matches (cam->weights, cam->channels,
                      json_object_get_array_member (expected, "weights"),
                      1e-4, what);
      assert_matches (cam->map, (gsize) cam->map_height * cam->map_width,
                      json_object_get_array_member (expected, "map"),
                      1e-4, what);
      assert_matches (cam->heat, (gsize) cam->height * cam->width,
                      json_object_get_array_member (expected, "heat"),
                      1e-4, what);
    }
}

/* Colour map */

static void
test_viridis_matches_published (void)
{
  const char *path = g_test_get_filename (G_TEST_DIST, "reference",
                                          "viridis.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *samples;
  guint8 rgb[3], again[3];

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  samples = json_object_get_array_member (
    json_node_get_object (json_parser_get_root (parser)), "samples");
  g_assert_cmpuint (json_array_get_length (samples), ==, 101);

  for (guint k = 0; k < json_array_get_length (samples); k++)
    {
      JsonObject *sample = json_array_get_object_element (samples, k);
      JsonArray *expected = json_object_get_array_member (sample, "rgb");

      cnv_viridis (json_object_get_double_member (sample, "t"), rgb);
      for (guint c = 0; c < 3; c++)
        g_assert_cmpfloat (fabs (rgb[c] - json_array_get_double_element (
                                   expected, c)), <=, 1.0);
    }

  /* The ends: dark purple and yellow; out of range and NaN clamp. */
  cnv_viridis (0.0, rgb);
  g_assert_cmpuint (rgb[0], ==, 68);
  g_assert_cmpuint (rgb[1], ==, 1);
  g_assert_cmpuint (rgb[2], ==, 84);
  cnv_viridis (1.0, rgb);
  g_assert_cmpuint (rgb[0], ==, 253);
  g_assert_cmpuint (rgb[1], ==, 231);
  g_assert_cmpuint (rgb[2], ==, 37);
  cnv_viridis (7.0, again);
  g_assert_cmpmem (rgb, 3, again, 3);
  cnv_viridis (-3.0, rgb);
  cnv_viridis (NAN, again);
  g_assert_cmpmem (rgb, 3, again, 3);
  cnv_viridis (0.0, again);
  g_assert_cmpmem (rgb, 3, again, 3);

  /* Perceptually ordered: lightness (here the green channel, which
   * dominates it) rises all the way. */
  for (int i = 1; i <= 100; i++)
    {
      cnv_viridis ((i - 1) / 100.0, rgb);
      cnv_viridis (i / 100.0, again);
      g_assert_cmpuint (again[1], >=, rgb[1]);
    }
}

static void
test_viridis_scaling (void)
{
  /* Two 2 × 2 channels: 0..1 and 10..20. */
  float values[] = { 0.0f, 0.25f, 0.5f, 1.0f, 10.0f, 15.0f, 15.0f, 20.0f };
  CnvChannelStats stats[] = { { 0.0f, 1.0f, 0.4375f },
                              { 10.0f, 20.0f, 15.0f } };
  CnvLayerMaps maps = { 2, 2, 2, FALSE, values, stats, 0.0f, 20.0f };
  float constant[] = { 3.0f, 3.0f };
  guint8 rgb[12], expected[3];
  float lo, hi;

  cnv_layer_maps_get_range (&maps, 1, CNV_MAP_SCALE_PER_CHANNEL, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 10.0f);
  g_assert_cmpfloat (hi, ==, 20.0f);
  cnv_layer_maps_get_range (&maps, 1, CNV_MAP_SCALE_SHARED, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0f);
  g_assert_cmpfloat (hi, ==, 20.0f);

  /* Per channel, 15 is halfway up channel 1's range ... */
  cnv_layer_maps_render (&maps, 1, CNV_MAP_SCALE_PER_CHANNEL, rgb);
  cnv_viridis (0.5, expected);
  g_assert_cmpmem (rgb + 3, 3, expected, 3);
  cnv_viridis (0.0, expected);
  g_assert_cmpmem (rgb, 3, expected, 3);
  cnv_viridis (1.0, expected);
  g_assert_cmpmem (rgb + 9, 3, expected, 3);

  /* ... and three quarters up the layer's. */
  cnv_layer_maps_render (&maps, 1, CNV_MAP_SCALE_SHARED, rgb);
  cnv_viridis (0.75, expected);
  g_assert_cmpmem (rgb + 3, 3, expected, 3);
  cnv_viridis (0.5, expected);
  g_assert_cmpmem (rgb, 3, expected, 3);

  /* Channel 0 in the shared range stays at the dark end. */
  cnv_layer_maps_render (&maps, 0, CNV_MAP_SCALE_SHARED, rgb);
  cnv_viridis (0.05, expected);
  g_assert_cmpmem (rgb + 9, 3, expected, 3);
  cnv_layer_maps_render (&maps, 0, CNV_MAP_SCALE_PER_CHANNEL, rgb);
  cnv_viridis (0.25, expected);
  g_assert_cmpmem (rgb + 3, 3, expected, 3);

  /* A constant map is drawn at the dark end, not as noise. */
  cnv_viridis_render (constant, 2, 3.0f, 3.0f, rgb);
  cnv_viridis (0.0, expected);
  g_assert_cmpmem (rgb, 3, expected, 3);
  g_assert_cmpmem (rgb + 3, 3, expected, 3);
}

/* Filters and histograms */

static void
test_filters (void)
{
  const char *json =
    "{\"input\": {\"width\": 8, \"height\": 8, \"channels\": 3},"
    " \"layers\": ["
    "  {\"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 2,"
    "   \"kernel\": [1, 2], \"padding\": \"valid\"},"
    "  {\"id\": \"conv2\", \"type\": \"conv2d\", \"filters\": 1,"
    "   \"kernel\": 1, \"padding\": \"valid\"},"
    "  {\"id\": \"flat\", \"type\": \"flatten\"},"
    "  {\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}";
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(GPtrArray) tiles = NULL;
  g_autoptr(GError) error = NULL;
  CnvParam *weight;
  CnvImage *tile;

  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  model = cnv_model_new (spec, &error);
  g_assert_no_error (error);

  /* conv1.weight [2, 3, 1, 2]; the largest magnitude is 2. */
  weight = cnv_model_find_param (model, "conv1.weight");
  for (gsize i = 0; i < weight->value->size; i++)
    weight->value->data[i] = 0.0f;
  weight->value->data[0] = 2.0f;     /* filter 0, red, left */
  weight->value->data[3] = -2.0f;    /* filter 0, green, right */
  weight->value->data[6 + 5] = 1.0f; /* filter 1, blue, right */

  tiles = cnv_inspect_filters (model, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tiles->len, ==, 2);
  tile = g_ptr_array_index (tiles, 0);
  g_assert_cmpint (tile->width, ==, 2);
  g_assert_cmpint (tile->height, ==, 1);
  g_assert_cmpint (tile->channels, ==, 3);
  /* pixels [H, W, C]: left (255, 128, 128), right (128, 0, 128) */
  g_assert_cmpuint (tile->pixels[0], ==, 255);
  g_assert_cmpuint (tile->pixels[1], ==, 128);
  g_assert_cmpuint (tile->pixels[3], ==, 128);
  g_assert_cmpuint (tile->pixels[4], ==, 0);
  tile = g_ptr_array_index (tiles, 1);
  g_assert_cmpuint (tile->pixels[5], ==, 191);
  g_assert_cmpuint (tile->pixels[2], ==, 128);

  /* conv2 reads conv1's 2 channels: no image to draw them as. */
  g_clear_pointer (&tiles, g_ptr_array_unref);
  tiles = cnv_inspect_filters (model, 1, &error);
  g_assert_null (tiles);
  g_assert_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER);
  g_assert_nonnull (strstr (error->message, "“conv2”"));
  g_clear_error (&error);

  tiles = cnv_inspect_filters (model, 2, &error);
  g_assert_null (tiles);
  g_assert_error (error, CNV_INSPECT_ERROR, CNV_INSPECT_ERROR_LAYER);
}

static void
test_histogram (void)
{
  float values[] = { 0.0f, 1.0f, 1.0f, 2.0f, 3.0f, 4.0f, NAN };
  float same[] = { 2.0f, 2.0f, 2.0f };
  g_autoptr(CnvHistogram) h = NULL;
  g_autoptr(CnvHistogram) flat = NULL;
  g_autoptr(CnvHistogram) weights = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvModel) model = new_lenet (&input);
  guint total = 0;

  /* numpy.histogram ([0, 1, 1, 2, 3, 4], 4) → [1, 2, 1, 2] over 0..4 */
  h = cnv_histogram_compute (values, G_N_ELEMENTS (values), 4);
  g_assert_cmpfloat (h->lo, ==, 0.0f);
  g_assert_cmpfloat (h->hi, ==, 4.0f);
  g_assert_cmpuint (h->n_values, ==, 6);
  g_assert_cmpuint (h->counts[0], ==, 1);
  g_assert_cmpuint (h->counts[1], ==, 2);
  g_assert_cmpuint (h->counts[2], ==, 1);
  g_assert_cmpuint (h->counts[3], ==, 2);
  g_assert_cmpfloat_with_epsilon (h->mean, 11.0 / 6, 1e-12);
  g_assert_cmpfloat_with_epsilon (h->std, sqrt (65.0 / 36), 1e-12);

  flat = cnv_histogram_compute (same, 3, 2);
  g_assert_cmpfloat (flat->lo, ==, 1.5f);
  g_assert_cmpfloat (flat->hi, ==, 2.5f);
  g_assert_cmpuint (flat->counts[0], ==, 0);
  g_assert_cmpuint (flat->counts[1], ==, 3);

  /* Every weight of fc1 [64, 784] counted once; relu1 has none. */
  weights = cnv_inspect_weight_histogram (model, 7, 30);
  g_assert_nonnull (weights);
  for (guint i = 0; i < weights->n_bins; i++)
    total += weights->counts[i];
  g_assert_cmpuint (total, ==, 64 * 784);
  g_assert_null (cnv_inspect_weight_histogram (model, 1, 30));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cnv_set_threads (1);

  g_test_add_func ("/engine/inspect/feature-maps-equal-forward",
                   test_feature_maps_equal_forward);
  g_test_add_func ("/engine/inspect/feature-maps-from-image",
                   test_feature_maps_from_image);
  g_test_add_func ("/engine/inspect/gradcam-finds-the-region",
                   test_gradcam_finds_the_region);
  g_test_add_func ("/engine/inspect/gradcam-refuses-flat-layers",
                   test_gradcam_refuses_flat_layers);
  g_test_add_func ("/engine/inspect/gradcam-overlay", test_gradcam_overlay);
  g_test_add_func ("/engine/inspect/torch-reference", test_torch_reference);
  g_test_add_func ("/engine/inspect/viridis-matches-published",
                   test_viridis_matches_published);
  g_test_add_func ("/engine/inspect/viridis-scaling", test_viridis_scaling);
  g_test_add_func ("/engine/inspect/filters", test_filters);
  g_test_add_func ("/engine/inspect/histogram", test_histogram);

  return g_test_run ();
}
