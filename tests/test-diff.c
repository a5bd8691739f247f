/* test-diff.c — the diff of two model records on hand-built pairs, the
 * lenient reading of files Convolve cannot run, and partial loads */
#define G_LOG_DOMAIN "cnv-test-diff"

#include <math.h>
#include <string.h>

#include "cnv.h"
#include "test-util.h"

#define INPUT "\"input\": {\"width\": 28, \"height\": 28, \"channels\": 1}"

/* The default LeNet stack, written out, so that each test can change one
 * thing in it. */
#define CONV1 "{\"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 8, " \
              "\"kernel\": 5, \"padding\": \"same\"}"
#define RELU1 "{\"id\": \"relu1\", \"type\": \"relu\"}"
#define POOL1 "{\"id\": \"pool1\", \"type\": \"max-pool\", \"size\": 2}"
#define CONV2 "{\"id\": \"conv2\", \"type\": \"conv2d\", \"filters\": 16, " \
              "\"kernel\": 5, \"padding\": \"same\"}"
#define RELU2 "{\"id\": \"relu2\", \"type\": \"relu\"}"
#define POOL2 "{\"id\": \"pool2\", \"type\": \"max-pool\", \"size\": 2}"
#define TAIL "{\"id\": \"flatten\", \"type\": \"flatten\"}, " \
             "{\"id\": \"fc1\", \"type\": \"dense\", \"units\": 64}, " \
             "{\"id\": \"relu3\", \"type\": \"relu\"}, " \
             "{\"id\": \"out\", \"type\": \"dense\", \"units\": 1}"
#define LENET CONV1 ", " RELU1 ", " POOL1 ", " CONV2 ", " RELU2 ", " POOL2 \
              ", " TAIL

static CnvModelSpec *
spec_new (const char *layers)
{
  g_autofree char *json = g_strdup_printf ("{" INPUT ", \"layers\": [%s]}",
                                           layers);
  g_autoptr(GError) error = NULL;
  CnvModelSpec *spec = cnv_model_spec_new_from_json (json, -1, &error);

  g_assert_no_error (error);
  return spec;
}

static CnvModelRecord *
record_new (const char *layers,
            const char *label)
{
  g_autoptr(CnvModelSpec) spec = spec_new (layers);
  CnvPreprocessing pp;
  const char *names[] = { "ankle-boot", "sneaker", NULL };

  cnv_preprocessing_init_default (&pp, spec->width, spec->height,
                                  spec->channels);

  return cnv_model_record_new_from_spec (spec, &pp, names, label);
}

/* A trained-looking classifier: parameters from the seed. */
static CnvClassifier *
classifier_new (const char *layers,
                guint64     seed)
{
  g_autoptr(CnvModelSpec) spec = spec_new (layers);
  g_autoptr(GError) error = NULL;
  const char *names[] = { "ankle-boot", "sneaker", NULL };
  CnvPreprocessing pp;
  CnvClassifier *c;

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  c = cnv_classifier_new (spec, &pp, names, seed, &error);
  g_assert_no_error (error);

  return c;
}

/* "status:a_id:b_id" for every row, joined by spaces. */
static char *
rows_text (const CnvDiff *diff)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < diff->layers->len; i++)
    {
      const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, i);

      g_string_append_printf (text, "%s%s:%s:%s", i > 0 ? " " : "",
                              cnv_diff_status_to_string (row->status),
                              row->a != NULL ? row->a->id : "-",
                              row->b != NULL ? row->b->id : "-");
    }

  return g_string_free (text, FALSE);
}

static const CnvDiffField *
find_field (GPtrArray  *fields,
            const char *name)
{
  for (guint i = 0; i < fields->len; i++)
    {
      const CnvDiffField *field = g_ptr_array_index (fields, i);

      if (g_str_equal (field->field, name))
        return field;
    }

  return NULL;
}

static void
assert_field (GPtrArray  *fields,
              const char *name,
              const char *a_value,
              const char *b_value)
{
  const CnvDiffField *field = find_field (fields, name);

  if (field == NULL)
    g_error ("no field “%s”", name);
  g_assert_cmpstr (field->a_value, ==, a_value);
  g_assert_cmpstr (field->b_value, ==, b_value);
}

static const CnvDiffTensorRow *
find_tensor_row (const CnvDiff *diff,
                 const char    *name)
{
  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);

      if (g_str_equal (row->name, name))
        return row;
    }

  return NULL;
}

static void
assert_rows (const char *a_layers,
             const char *b_layers,
             const char *expected)
{
  g_autoptr(CnvModelRecord) a = record_new (a_layers, "a");
  g_autoptr(CnvModelRecord) b = record_new (b_layers, "b");
  g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
  g_autofree char *rows = rows_text (diff);

  g_assert_cmpstr (rows, ==, expected);
}

static void
test_identical (void)
{
  g_autoptr(CnvModelRecord) a = record_new (LENET, "a");
  g_autoptr(CnvModelRecord) b = record_new (LENET, "b");
  g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
  g_autofree char *summary = cnv_diff_get_summary (diff);

  g_assert_true (cnv_diff_is_empty (diff));
  g_assert_cmpstr (summary, ==, "No differences");
  g_assert_cmpuint (diff->layers->len, ==, 10);
  g_assert_cmpuint (diff->n_layers_differ, ==, 0);
  /* conv1, conv2, fc1, out: a weight and a bias each. */
  g_assert_cmpuint (diff->n_tensors, ==, 8);
  g_assert_cmpuint (diff->n_tensors_loadable, ==, 8);
  g_assert_cmpuint (diff->mappings->len, ==, 0);
  g_assert_null (diff->classes_explanation);

  /* Shapes and counts on both sides: conv2 is 16 × 14 × 14 with 3,216. */
  {
    const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, 3);
    g_autofree char *shape = cnv_shape_to_display_string (&row->b->output);

    g_assert_cmpstr (shape, ==, "16 × 14 × 14");
    g_assert_cmpuint (row->a->n_params, ==, 3216);
    g_assert_cmpuint (row->b->n_params, ==, 3216);
  }
}

/* A moved threshold is named as such, not as a change of classes. */
static void
test_threshold_only (void)
{
  g_autoptr(CnvClassifier) c = classifier_new (LENET, 3);
  g_autoptr(CnvModelRecord) a = cnv_model_record_new_from_classifier (c, "a");
  g_autoptr(CnvModelRecord) b = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  g_autofree char *summary = NULL;

  c->threshold = 0.25;
  b = cnv_model_record_new_from_classifier (c, "b");
  diff = cnv_diff_new (a, b);
  summary = cnv_diff_get_summary (diff);

  g_assert_cmpuint (diff->classes->len, ==, 1);
  assert_field (diff->classes, "threshold", "0.5", "0.25");
  g_assert_cmpstr (summary, ==, "The decision threshold differs, 8 of 8 "
                   "tensors loadable");
}

/* C01: the kernel differs; the shape of the weights follows. */
static void
test_one_parameter_changed (void)
{
  g_autoptr(CnvModelRecord) a = record_new (
    "{\"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 8, \"kernel\": 3,"
    " \"padding\": \"same\"}, " RELU1 ", " POOL1 ", " CONV2 ", " RELU2 ", "
    POOL2 ", " TAIL, "On screen");
  g_autoptr(CnvModelRecord) b = record_new (LENET, "model.convolve");
  g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
  g_autofree char *rows = rows_text (diff);
  g_autofree char *summary = cnv_diff_get_summary (diff);
  const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, 0);
  const CnvDiffTensorRow *weight = find_tensor_row (diff, "conv1.weight");

  g_assert_cmpstr (rows, ==, "changed:conv1:conv1 same:relu1:relu1 "
                   "same:pool1:pool1 same:conv2:conv2 same:relu2:relu2 "
                   "same:pool2:pool2 same:flatten:flatten same:fc1:fc1 "
                   "same:relu3:relu3 same:out:out");
  g_assert_cmpuint (row->fields->len, ==, 1);
  assert_field (row->fields, "kernel", "3×3", "5×5");
  g_assert_false (row->output_differs);
  g_assert_cmpuint (weight->status, ==, CNV_TENSOR_SHAPE_MISMATCH);
  g_assert_cmpint (weight->a->shape[2], ==, 3);
  g_assert_cmpint (weight->b->shape[2], ==, 5);
  g_assert_cmpuint (find_tensor_row (diff, "conv1.bias")->status, ==,
                    CNV_TENSOR_LOADABLE);
  g_assert_cmpstr (summary, ==, "1 layer differs, 7 of 8 tensors keep their "
                                "shape");
}

/* One batch-norm inserted in the middle lines up everything after it. */
static void
test_layer_inserted (void)
{
  g_autoptr(CnvModelRecord) a = record_new (LENET, "a");
  g_autoptr(CnvModelRecord) b = record_new (
    CONV1 ", {\"id\": \"bn1\", \"type\": \"batch-norm\"}, " RELU1 ", " POOL1
    ", " CONV2 ", " RELU2 ", " POOL2 ", " TAIL, "b");
  g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
  g_autofree char *rows = rows_text (diff);

  g_assert_cmpstr (rows, ==, "same:conv1:conv1 added:-:bn1 same:relu1:relu1 "
                   "same:pool1:pool1 same:conv2:conv2 same:relu2:relu2 "
                   "same:pool2:pool2 same:flatten:flatten same:fc1:fc1 "
                   "same:relu3:relu3 same:out:out");
  g_assert_cmpuint (diff->n_layers_differ, ==, 1);
  /* bn1's four tensors are unexpected for a; a's eight all load. */
  g_assert_cmpuint (find_tensor_row (diff, "bn1.running_var")->status, ==,
                    CNV_TENSOR_UNEXPECTED);
  g_assert_cmpuint (diff->n_tensors_loadable, ==, 8);
}

static void
test_layer_removed (void)
{
  assert_rows (LENET,
               CONV1 ", " RELU1 ", " POOL1 ", " CONV2 ", " RELU2 ", " TAIL,
               "same:conv1:conv1 same:relu1:relu1 same:pool1:pool1 "
               "same:conv2:conv2 same:relu2:relu2 removed:pool2:- "
               "same:flatten:flatten same:fc1:fc1 same:relu3:relu3 "
               "same:out:out");

  /* Without pool2, fc1 sees 16·14·14 features: its weight cannot load
   * and its output row says the input changed, not its own fields. */
  {
    g_autoptr(CnvModelRecord) a = record_new (LENET, "a");
    g_autoptr(CnvModelRecord) b = record_new (
      CONV1 ", " RELU1 ", " POOL1 ", " CONV2 ", " RELU2 ", " TAIL, "b");
    g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
    const CnvDiffLayerRow *flatten = g_ptr_array_index (diff->layers, 6);
    const CnvDiffTensorRow *fc1 = find_tensor_row (diff, "fc1.weight");

    const CnvDiffLayerRow *fc1_row = g_ptr_array_index (diff->layers, 7);
    const CnvDiffLayerRow *relu3 = g_ptr_array_index (diff->layers, 8);

    g_assert_cmpuint (flatten->status, ==, CNV_DIFF_SAME);
    g_assert_true (flatten->output_differs);
    g_assert_false (flatten->params_differ);
    g_assert_true (cnv_diff_layer_row_is_reshaped (flatten));
    /* fc1 keeps its 64 units, so its output is the same; its weights
     * are not: 784·64 + 64 against 3136·64 + 64. */
    g_assert_cmpstr (fc1_row->a->id, ==, "fc1");
    g_assert_false (fc1_row->output_differs);
    g_assert_true (fc1_row->params_differ);
    g_assert_cmpuint (fc1_row->a->n_params, ==, 50240);
    g_assert_cmpuint (fc1_row->b->n_params, ==, 200768);
    g_assert_true (cnv_diff_layer_row_is_reshaped (fc1_row));
    /* relu3 after it is the same in every way. */
    g_assert_false (cnv_diff_layer_row_is_reshaped (relu3));
    g_assert_cmpuint (fc1->status, ==, CNV_TENSOR_SHAPE_MISMATCH);
    g_assert_cmpint (fc1->a->shape[1], ==, 784);
    g_assert_cmpint (fc1->b->shape[1], ==, 3136);
  }
}

/* Two layers swapped: one of them stays an anchor, the other has moved
 * and sits where the second side has it. */
static void
test_layers_swapped (void)
{
  assert_rows (LENET,
               CONV1 ", " POOL1 ", " RELU1 ", " CONV2 ", " RELU2 ", " POOL2
               ", " TAIL,
               "same:conv1:conv1 same:pool1:pool1 moved:relu1:relu1 "
               "same:conv2:conv2 same:relu2:relu2 same:pool2:pool2 "
               "same:flatten:flatten same:fc1:fc1 same:relu3:relu3 "
               "same:out:out");
}

/* Ids renamed (a framework's "features.0" style): paired by type and
 * order, changed in their id only, and proposed as a mapping when their
 * tensors fit; a renamed layer whose kernel also changed is not. */
static void
test_ids_renamed (void)
{
  g_autoptr(CnvModelRecord) a = record_new (LENET, "a");
  g_autoptr(CnvModelRecord) b = record_new (
    "{\"id\": \"features_0\", \"type\": \"conv2d\", \"filters\": 8, "
    "\"kernel\": 5, \"padding\": \"same\"}, " RELU1 ", " POOL1 ", "
    "{\"id\": \"features_3\", \"type\": \"conv2d\", \"filters\": 16, "
    "\"kernel\": 3, \"padding\": \"same\"}, " RELU2 ", " POOL2 ", " TAIL, "b");
  g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
  g_autofree char *rows = rows_text (diff);
  const CnvDiffLayerRow *first = g_ptr_array_index (diff->layers, 0);
  const CnvDiffIdMapping *mapping;

  g_assert_cmpstr (rows, ==, "changed:conv1:features_0 same:relu1:relu1 "
                   "same:pool1:pool1 changed:conv2:features_3 "
                   "same:relu2:relu2 same:pool2:pool2 same:flatten:flatten "
                   "same:fc1:fc1 same:relu3:relu3 same:out:out");
  assert_field (first->fields, "id", "conv1", "features_0");
  g_assert_cmpuint (first->fields->len, ==, 1);
  g_assert_cmpuint (find_tensor_row (diff, "conv1.weight")->status, ==,
                    CNV_TENSOR_MISSING);
  g_assert_cmpuint (find_tensor_row (diff, "features_0.weight")->status, ==,
                    CNV_TENSOR_UNEXPECTED);

  g_assert_cmpuint (diff->mappings->len, ==, 1);
  mapping = g_ptr_array_index (diff->mappings, 0);
  g_assert_cmpstr (mapping->a_id, ==, "conv1");
  g_assert_cmpstr (mapping->b_id, ==, "features_0");
}

static void
test_preprocessing_changed (void)
{
  g_autoptr(CnvModelRecord) a = record_new (LENET, "a");
  g_autoptr(CnvModelRecord) b = record_new (LENET, "b");
  g_autoptr(CnvDiff) diff = NULL;
  g_autofree char *summary = NULL;

  b->preprocessing.scale = 1.0f;
  b->preprocessing.resize_mode = CNV_RESIZE_LETTERBOX;
  b->preprocessing.mean[0] = 0.5f;
  diff = cnv_diff_new (a, b);
  summary = cnv_diff_get_summary (diff);

  g_assert_cmpuint (diff->preprocessing->len, ==, 3);
  assert_field (diff->preprocessing, "scale", "1/255", "1");
  assert_field (diff->preprocessing, "resize_mode", "stretch", "letterbox");
  assert_field (diff->preprocessing, "mean", "0", "0.5");
  g_assert_cmpstr (summary, ==, "Preprocessing differs in 3 fields");
  g_assert_false (cnv_diff_is_empty (diff));
}

static void
test_classes_swapped (void)
{
  g_autoptr(CnvModelRecord) a = record_new (LENET, "On screen");
  g_autoptr(CnvModelRecord) b = record_new (LENET, "model.convolve");
  g_autoptr(CnvDiff) diff = NULL;

  g_free (b->class_names[0]);
  g_free (b->class_names[1]);
  b->class_names[0] = g_strdup ("sneaker");
  b->class_names[1] = g_strdup ("ankle-boot");
  diff = cnv_diff_new (a, b);

  assert_field (diff->classes, "names", "ankle-boot, sneaker",
                "sneaker, ankle-boot");
  assert_field (diff->classes, "positive", "sneaker", "ankle-boot");
  g_assert_cmpstr (diff->classes_explanation, ==,
                   "“sneaker” is the positive class in On screen and the "
                   "negative class in model.convolve: every probability "
                   "would be read the other way round, so every prediction "
                   "would be inverted.");
}

/* What a checkpoint's classes mean for the folders on screen (C18). */
static void
test_class_mapping_of_folders (void)
{
  g_autoptr(CnvModelRecord) record = record_new (LENET, "m");
  const char *same[] = { "ankle-boot", "sneaker", NULL };
  const char *third[] = { "ankle-boot", "sandal", "sneaker", NULL };
  const char *missing[] = { "ankle-boot", "shirt", NULL };
  g_autofree char *explained = NULL;
  g_autofree char *more = NULL;
  g_autofree char *absent = NULL;

  g_assert_null (cnv_diff_explain_class_mapping (record, same));

  g_free (record->class_names[0]);
  g_free (record->class_names[1]);
  record->class_names[0] = g_strdup ("sneaker");
  record->class_names[1] = g_strdup ("ankle-boot");
  explained = cnv_diff_explain_class_mapping (record, same);
  g_assert_cmpstr (explained, ==,
                   "Sorted by name the folders would make “sneaker” the "
                   "positive class, but the model was trained with "
                   "“ankle-boot” as the positive class. Convolve keeps the "
                   "model’s mapping: “ankle-boot” stays positive.");

  more = cnv_diff_explain_class_mapping (record, third);
  g_assert_nonnull (strstr (more, "3 class folders"));
  absent = cnv_diff_explain_class_mapping (record, missing);
  g_assert_nonnull (strstr (absent, "no class folder “sneaker”"));
}

/* Two checkpoints-in-memory: weights measured, optimizer compared. */
static void
test_weights_and_training (void)
{
  g_autoptr(CnvClassifier) ca = classifier_new (LENET, 1);
  g_autoptr(CnvClassifier) cb = classifier_new (LENET, 1);
  g_autoptr(CnvModelRecord) a = NULL;
  g_autoptr(CnvModelRecord) b = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  g_autoptr(CnvDiff) same = NULL;
  g_autofree char *summary = NULL;
  CnvOptimizerConfig adam;
  const CnvDiffTensorRow *w;
  CnvParam *param;

  /* fc1.weight of b is a's times 2: relative L2 of 1, cosine of 1. */
  param = cnv_model_find_param (cb->model, "fc1.weight");
  for (gsize i = 0; i < param->value->size; i++)
    param->value->data[i] *= 2.0f;
  /* fc1.bias starts at zeros, which have no relative change. */
  param = cnv_model_find_param (cb->model, "fc1.bias");
  param->value->data[0] = 0.5f;
  cnv_optimizer_config_init_default (&adam, CNV_OPTIMIZER_ADAM);
  cb->optimizer = cnv_optimizer_new (&adam, cb->model);
  cnv_optimizer_set_step (cb->optimizer, 40);

  a = cnv_model_record_new_from_classifier (ca, "a");
  b = cnv_model_record_new_from_classifier (cb, "b");
  diff = cnv_diff_new (a, b);

  w = find_tensor_row (diff, "fc1.weight");
  g_assert_cmpfloat_with_epsilon (w->relative_l2, 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (w->cosine, 1.0, 1e-6);
  w = find_tensor_row (diff, "conv1.weight");
  g_assert_cmpfloat (w->relative_l2, ==, 0.0);

  w = find_tensor_row (diff, "fc1.bias");
  g_assert_true (isnan (w->relative_l2));
  g_assert_true (w->values_differ);
  g_assert_false (find_tensor_row (diff, "conv1.weight")->values_differ);

  /* The summary counts the tensors whose values moved: fc1's two. */
  summary = cnv_diff_get_summary (diff);
  g_assert_cmpstr (summary, ==, "The training settings differ, the weights "
                                "differ in 2 tensors, 8 of 8 tensors loadable");

  /* Optimizer slots are not tensor rows; they are the training rows. */
  g_assert_null (find_tensor_row (diff, "optimizer.fc1.weight.exp_avg"));
  assert_field (diff->training, "optimizer", "none", "adam");
  assert_field (diff->training, "optimizer_state", "none", "complete");
  assert_field (diff->training, "step", "0", "40");
  g_assert_true (b->optimizer_state_complete);
  g_assert_true (diff->optimizer_state_fits);

  same = cnv_diff_new (a, a);
  g_assert_true (cnv_diff_is_empty (same));
  g_assert_false (same->optimizer_state_fits);

  /* Weights alone moved: nothing to open over, something to compare. */
  {
    g_autoptr(CnvClassifier) cc = classifier_new (LENET, 1);
    g_autoptr(CnvModelRecord) c = NULL;
    g_autoptr(CnvDiff) moved = NULL;
    g_autofree char *text = NULL;

    cnv_model_find_param (cc->model, "conv1.weight")->value->data[3] += 1.0f;
    c = cnv_model_record_new_from_classifier (cc, "c");
    moved = cnv_diff_new (a, c);
    text = cnv_diff_get_summary (moved);
    g_assert_true (cnv_diff_is_empty (moved));
    g_assert_cmpstr (text, ==, "The weights differ in 1 tensor, 8 of 8 "
                               "tensors loadable");
  }
}

/* A checkpoint on disk with one tensor stored as F64 (C11) and another
 * with a layer type Convolve does not know (C03). */
static char *
write_checkpoint (const TestTmpDir *tmp,
                  const char       *name,
                  CnvClassifier    *c)
{
  char *path = test_tmp_path (tmp, name);
  g_autoptr(GError) error = NULL;

  g_assert_true (cnv_checkpoint_save (c, path, &error));
  g_assert_no_error (error);

  return path;
}

/* Rewrites the "model" metadata of a checkpoint, keeping every tensor:
 * what another writer could produce. */
static void
replace_model (const char *path,
               const char *model_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvSafetensors) st = cnv_safetensors_read (path, &error);

  g_assert_no_error (error);
  g_hash_table_insert (st->metadata, g_strdup ("model"),
                       g_strdup (model_json));
  g_assert_true (cnv_safetensors_write (st, path, &error));
  g_assert_no_error (error);
}

static void
test_unknown_layer (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-diff-XXXXXX");
  g_autoptr(CnvClassifier) c = classifier_new (LENET, 3);
  g_autofree char *path = write_checkpoint (tmp, "odd.convolve", c);
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(CnvModelRecord) screen = record_new (LENET, "On screen");
  g_autoptr(CnvDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvClassifier) refused = NULL;
  const CnvRecordLayer *odd;
  const CnvDiffLayerRow *row;

  replace_model (path, "{" INPUT ", \"layers\": [" CONV1 ", {\"id\": "
                 "\"relu1\", \"type\": \"mish\", \"beta\": 1.5}, " POOL1 ", "
                 CONV2 ", " RELU2 ", " POOL2 ", " TAIL "]}");

  /* The engine refuses it, naming the type... */
  refused = cnv_checkpoint_load (path, &error);
  g_assert_null (refused);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_MODEL);
  g_assert_nonnull (strstr (error->message, "“mish”"));
  g_clear_error (&error);

  /* ...the record shows it, every layer with it. */
  record = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (record->label, ==, "odd.convolve");
  g_assert_cmpuint (record->layers->len, ==, 10);
  odd = g_ptr_array_index (record->layers, 1);
  g_assert_false (odd->known);
  g_assert_cmpstr (odd->type, ==, "mish");
  g_assert_cmpfloat (json_object_get_double_member (odd->params, "beta"), ==,
                     1.5);
  g_assert_cmpint (odd->output.channels, ==, 0);
  /* ...and no stack can be built from it, which the error says. */
  {
    g_autoptr(GError) spec_error = NULL;
    g_autoptr(CnvModelSpec) spec = cnv_model_record_to_spec (record, path,
                                                             &spec_error);

    g_assert_null (spec);
    g_assert_error (spec_error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_UNKNOWN_TYPE);
    g_assert_nonnull (strstr (spec_error->message, "Layer “relu1” of "
                              "“odd.convolve” has the type “mish”"));
  }
  /* conv1 before it still has its shape and count. */
  g_assert_cmpint (((CnvRecordLayer *) g_ptr_array_index (record->layers,
                                                          0))->output.width,
                   ==, 28);
  /* conv2 after it counts its stored tensors: 16·8·25 + 16. */
  g_assert_cmpuint (((CnvRecordLayer *) g_ptr_array_index (record->layers,
                                                           3))->n_params,
                    ==, 3216);
  g_assert_false (record->runnable);
  g_assert_nonnull (strstr (record->run_problem, "“mish”"));
  g_assert_nonnull (strstr (g_ptr_array_index (record->notices, 0),
                            "can be viewed, not run"));

  diff = cnv_diff_new (screen, record);
  row = g_ptr_array_index (diff->layers, 1);
  g_assert_cmpuint (row->status, ==, CNV_DIFF_CHANGED);
  assert_field (row->fields, "type", "relu", "mish");
  /* Every tensor loads: relu has none and neither does mish. */
  g_assert_cmpuint (diff->n_tensors_loadable, ==, 8);
}

static void
test_dtype_converted (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-diff-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "f64.convolve");
  g_autoptr(CnvClassifier) c = classifier_new (LENET, 5);
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(CnvModelRecord) live = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) header = NULL;
  g_autoptr(GByteArray) file = NULL;
  g_autoptr(CnvSafetensors) st = NULL;

  /* Write the checkpoint, then store out.weight again as F64 by hand. */
  g_assert_true (cnv_checkpoint_save (c, path, &error));
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
    g_autofree char *text = NULL;
    GHashTableIter iter;
    gpointer key, value;
    guint64 offset = 0;
    guint64 length;

    file = g_byte_array_new ();
    json_builder_begin_object (b);
    for (guint i = 0; i < st->tensors->len; i++)
      {
        CnvNamedTensor *t = g_ptr_array_index (st->tensors, i);
        gboolean wide = g_str_equal (t->name, "out.weight");
        guint64 size = t->tensor->size * (wide ? 8 : 4);

        json_builder_set_member_name (b, t->name);
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "dtype");
        json_builder_add_string_value (b, wide ? "F64" : "F32");
        json_builder_set_member_name (b, "shape");
        json_builder_begin_array (b);
        for (int d = 0; d < t->tensor->ndim; d++)
          json_builder_add_int_value (b, t->tensor->shape[d]);
        json_builder_end_array (b);
        json_builder_set_member_name (b, "data_offsets");
        json_builder_begin_array (b);
        json_builder_add_int_value (b, (gint64) offset);
        json_builder_add_int_value (b, (gint64) (offset + size));
        json_builder_end_array (b);
        json_builder_end_object (b);
        offset += size;
        for (gsize k = 0; k < t->tensor->size; k++)
          {
            if (wide)
              {
                double v = t->tensor->data[k];
                guint64 bits;

                memcpy (&bits, &v, 8);
                bits = GUINT64_TO_LE (bits);
                g_byte_array_append (file, (guint8 *) &bits, 8);
              }
            else
              {
                guint32 bits;

                memcpy (&bits, &t->tensor->data[k], 4);
                bits = GUINT32_TO_LE (bits);
                g_byte_array_append (file, (guint8 *) &bits, 4);
              }
          }
      }
    g_checksum_update (sum, file->data, file->len);
    json_builder_set_member_name (b, "__metadata__");
    json_builder_begin_object (b);
    g_hash_table_iter_init (&iter, st->metadata);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        json_builder_set_member_name (b, key);
        if (g_str_equal (key, "checksum"))
          {
            g_autofree char *digest = g_strdup_printf (
              "sha256:%s", g_checksum_get_string (sum));

            json_builder_add_string_value (b, digest);
          }
        else
          json_builder_add_string_value (b, value);
      }
    json_builder_end_object (b);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    text = cnv_json_to_string (root, FALSE);

    header = g_string_new (NULL);
    length = GUINT64_TO_LE ((guint64) strlen (text));
    g_string_append_len (header, (char *) &length, 8);
    g_string_append (header, text);
    g_byte_array_prepend (file, (guint8 *) header->str, header->len);
    g_assert_true (g_file_set_contents (path, (char *) file->data,
                                        file->len, &error));
  }

  record = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (record->runnable);
  g_assert_nonnull (strstr (g_ptr_array_index (record->notices, 0),
                            "“out.weight” was stored as F64"));

  live = cnv_model_record_new_from_classifier (c, "On screen");
  diff = cnv_diff_new (live, record);
  g_assert_cmpstr (find_tensor_row (diff, "out.weight")->b->dtype, ==, "F64");
  g_assert_cmpuint (find_tensor_row (diff, "out.weight")->status, ==,
                    CNV_TENSOR_LOADABLE);
  g_assert_cmpfloat (find_tensor_row (diff, "out.weight")->relative_l2, ==,
                     0.0);
}

/* A model description is read by content, not by its name. */
static void
test_description_file (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-diff-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "stack.convolve");
  g_autofree char *bad = test_tmp_path (tmp, "bad.json");
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "  {" INPUT ", \"layers\": ["
                                      LENET "]}", -1, NULL));
  record = cnv_model_record_load (path, &error);
  g_assert_no_error (error);
  g_assert_false (record->has_weights);
  g_assert_false (record->has_preprocessing);
  g_assert_true (record->runnable);
  g_assert_cmpuint (record->layers->len, ==, 10);
  /* The tensors it would need, by shape. */
  g_assert_cmpuint (record->tensors->len, ==, 8);

  g_assert_true (g_file_set_contents (bad, "{\"layers\": []}", -1, NULL));
  g_assert_null (cnv_model_record_load (bad, &error));
  g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "bad.json"));
}

/* Load only what matches: conv1 differs, everything else is copied, and
 * a proposed mapping is used only when passed. */
static void
test_load_matching (void)
{
  g_autoptr(CnvClassifier) source = classifier_new (LENET, 7);
  g_autoptr(CnvClassifier) target = classifier_new (
    "{\"id\": \"c1\", \"type\": \"conv2d\", \"filters\": 8, \"kernel\": 5,"
    " \"padding\": \"same\"}, " RELU1 ", " POOL1 ", "
    "{\"id\": \"conv2\", \"type\": \"conv2d\", \"filters\": 16, "
    "\"kernel\": 3, \"padding\": \"same\"}, " RELU2 ", " POOL2 ", " TAIL, 9);
  g_autoptr(CnvModelRecord) record = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GPtrArray) skipped = NULL;
  g_autoptr(GPtrArray) loaded2 = NULL;
  g_autoptr(GPtrArray) skipped2 = NULL;
  g_autoptr(GError) error = NULL;
  const char *mapping[] = { "c1", "conv1", NULL };
  const CnvParam *fc1;
  const CnvParam *c1;

  record = cnv_model_record_new_from_classifier (source, "source");
  g_assert_true (cnv_classifier_load_matching (target, record, NULL, 11,
                                               &loaded, &skipped, &error));
  g_assert_no_error (error);
  /* fc1 and out (4 tensors) load; c1 (2, no such name) and conv2's
   * weight (3×3 against 5×5) do not; conv2.bias loads. */
  g_assert_cmpuint (loaded->len, ==, 5);
  g_assert_cmpuint (skipped->len, ==, 3);
  fc1 = cnv_model_find_param (target->model, "fc1.weight");
  g_assert_cmpmem (fc1->value->data, fc1->value->size * 4,
                   cnv_model_find_param (source->model,
                                         "fc1.weight")->value->data,
                   fc1->value->size * 4);
  g_assert_nonnull (strstr (g_ptr_array_index (skipped, 2),
                            "conv2.weight: the stack needs [16, 8, 3, 3], "
                            "the file’s “conv2.weight” is [16, 8, 5, 5]."));
  c1 = cnv_model_find_param (target->model, "c1.weight");
  g_assert_true (memcmp (c1->value->data,
                         cnv_model_find_param (source->model,
                                               "conv1.weight")->value->data,
                         c1->value->size * 4) != 0);
  g_assert_null (target->optimizer);

  /* With the mapping the user accepted, c1 takes conv1's weights. */
  g_assert_true (cnv_classifier_load_matching (target, record, mapping, 11,
                                               &loaded2, &skipped2, NULL));
  g_assert_cmpuint (loaded2->len, ==, 7);
  g_assert_cmpstr (g_ptr_array_index (loaded2, 0), ==,
                   "c1.weight [8, 1, 5, 5] from conv1.weight");
  g_assert_cmpmem (c1->value->data, c1->value->size * 4,
                   cnv_model_find_param (source->model,
                                         "conv1.weight")->value->data,
                   c1->value->size * 4);
}

static void
test_json (void)
{
  g_autoptr(CnvModelRecord) a = record_new (LENET, "a");
  g_autoptr(CnvModelRecord) b = record_new (
    CONV1 ", " RELU1 ", " POOL1 ", " CONV2 ", " RELU2 ", " TAIL, "b");
  g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
  g_autoptr(JsonNode) node = cnv_diff_to_json_node (diff);
  g_autofree char *text = cnv_json_to_string (node, FALSE);
  g_autoptr(JsonNode) again = test_parse_json (text);
  JsonObject *root = json_node_get_object (again);
  JsonArray *layers = json_object_get_array_member (root, "layers");
  JsonObject *removed = json_array_get_object_element (layers, 5);

  g_assert_false (json_object_get_boolean_member (root, "equal"));
  g_assert_cmpstr (json_object_get_string_member (root, "summary"), ==,
                   "1 layer differs, 2 layers reshaped, 7 of 8 tensors "
                   "keep their shape");
  g_assert_cmpstr (json_object_get_string_member (removed, "status"), ==,
                   "removed");
  g_assert_true (json_object_get_null_member (removed, "b_layer"));
  g_assert_cmpstr (json_object_get_string_member (
    json_object_get_object_member (removed, "a_layer"), "id"), ==, "pool2");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/diff/identical", test_identical);
  g_test_add_func ("/diff/one-parameter-changed", test_one_parameter_changed);
  g_test_add_func ("/diff/layer-inserted-in-the-middle", test_layer_inserted);
  g_test_add_func ("/diff/layer-removed", test_layer_removed);
  g_test_add_func ("/diff/two-layers-swapped", test_layers_swapped);
  g_test_add_func ("/diff/ids-renamed-proposes-mapping", test_ids_renamed);
  g_test_add_func ("/diff/preprocessing-fields", test_preprocessing_changed);
  g_test_add_func ("/diff/classes-swapped", test_classes_swapped);
  g_test_add_func ("/diff/class-mapping-of-folders",
                   test_class_mapping_of_folders);
  g_test_add_func ("/diff/weights-and-training", test_weights_and_training);
  g_test_add_func ("/diff/unknown-layer-type", test_unknown_layer);
  g_test_add_func ("/diff/threshold-only", test_threshold_only);
  g_test_add_func ("/diff/dtype-converted", test_dtype_converted);
  g_test_add_func ("/diff/description-file", test_description_file);
  g_test_add_func ("/diff/load-matching", test_load_matching);
  g_test_add_func ("/diff/json", test_json);

  return g_test_run ();
}
