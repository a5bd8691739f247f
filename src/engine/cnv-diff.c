/* cnv-diff.c — what differs between two model records
 *
 * A record is what decides a model's answers, read leniently: a
 * checkpoint with an unknown layer type or a missing tensor still gives
 * a record, marked as not runnable with the reason, so that it can be
 * shown and compared.  The diff lines the layers of two records up the
 * way a person would: first by id, keeping the longest run of ids that
 * appear in the same order on both sides (the others have moved), then,
 * between two such anchors, by type with a longest common subsequence,
 * so that one inserted batch-norm does not misalign everything after it.
 * A pair matched by type alone is a renamed layer; when its tensors also
 * match by shape the renaming is proposed as a mapping for a partial
 * load, never applied on its own.
 */
#define G_LOG_DOMAIN "cnv-diff"

#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include <glib/gi18n-lib.h>

#include "cnv-checkpoint-private.h"
#include "cnv-diff.h"
#include "cnv-json.h"

#define OPTIMIZER_PREFIX "optimizer."
/* As many layers as the engine accepts (cnv-model-spec.c), and a model
 * description no larger than a checkpoint's header may be: the aligner's
 * table grows with the product of both layer counts. */
#define MAX_LAYERS           1024
#define MAX_DESCRIPTION_SIZE (100 * 1024 * 1024)

/* ---- records ------------------------------------------------------------ */

static void
record_layer_free (CnvRecordLayer *layer)
{
  g_free (layer->id);
  g_free (layer->type);
  g_clear_pointer (&layer->params, json_object_unref);
  g_free (layer);
}

static void
record_tensor_free (CnvRecordTensor *tensor)
{
  g_free (tensor->name);
  g_free (tensor->dtype);
  g_clear_pointer (&tensor->value, cnv_tensor_free);
  g_free (tensor);
}

static CnvModelRecord *
record_new (const char *label)
{
  CnvModelRecord *record = g_new0 (CnvModelRecord, 1);

  record->label = g_strdup (label);
  record->layers = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                   record_layer_free);
  record->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                    record_tensor_free);
  record->history = g_array_new (FALSE, TRUE, sizeof (CnvEpochRecord));
  record->notices = g_ptr_array_new_with_free_func (g_free);
  record->threshold = 0.5;
  record->runnable = TRUE;

  return record;
}

CnvModelSpec *
cnv_model_record_to_spec (const CnvModelRecord *record,
                          const char           *path,
                          GError              **error)
{
  g_autofree CnvLayerSpec *layers = NULL;
  CnvModelSpec spec = { 0 };

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  layers = g_new0 (CnvLayerSpec, MAX (record->layers->len, 1));
  spec.width = record->width;
  spec.height = record->height;
  spec.channels = record->channels;
  spec.n_layers = record->layers->len;
  spec.layers = layers;

  for (guint i = 0; i < record->layers->len; i++)
    {
      const CnvRecordLayer *layer = g_ptr_array_index (record->layers, i);

      if (!layer->known)
        {
          g_autofree char *name = g_filename_display_basename (path);

          g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_UNKNOWN_TYPE,
                       _("Layer “%s” of “%s” has the type “%s”, which Convolve "
                         "does not implement, so it cannot build this "
                         "stack."), layer->id, name, layer->type);
          return NULL;
        }

      layers[i] = layer->spec;
      layers[i].id = layer->id;
    }

  return cnv_model_spec_copy (&spec);
}

void
cnv_model_record_free (CnvModelRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->label);
  g_clear_pointer (&record->layers, g_ptr_array_unref);
  g_free (record->class_names[0]);
  g_free (record->class_names[1]);
  g_clear_pointer (&record->tensors, g_ptr_array_unref);
  g_clear_pointer (&record->history, g_array_unref);
  g_clear_pointer (&record->notices, g_ptr_array_unref);
  g_free (record->run_problem);
  g_free (record);
}

static void
set_not_runnable (CnvModelRecord *record,
                  const char     *problem)
{
  if (!record->runnable)
    return;

  record->runnable = FALSE;
  record->run_problem = g_strdup (problem);
}

static int
compare_tensor_names (gconstpointer a,
                      gconstpointer b)
{
  const CnvRecordTensor *ta = *(CnvRecordTensor * const *) a;
  const CnvRecordTensor *tb = *(CnvRecordTensor * const *) b;

  return g_strcmp0 (ta->name, tb->name);
}

static CnvRecordTensor *
add_tensor (CnvModelRecord *record,
            const char     *name,
            int             n_dims,
            const int      *shape,
            const char     *dtype,
            CnvTensor      *value)
{
  CnvRecordTensor *tensor = g_new0 (CnvRecordTensor, 1);

  tensor->name = g_strdup (name);
  tensor->n_dims = n_dims;
  memcpy (tensor->shape, shape, sizeof (int) * MIN (n_dims,
                                                     CNV_TENSOR_MAX_DIMS));
  tensor->dtype = g_strdup (dtype);
  tensor->value = value;
  g_ptr_array_add (record->tensors, tensor);

  return tensor;
}

static const CnvRecordTensor *
find_tensor (const CnvModelRecord *record,
             const char           *name)
{
  for (guint i = 0; i < record->tensors->len; i++)
    {
      const CnvRecordTensor *tensor = g_ptr_array_index (record->tensors, i);

      if (g_str_equal (tensor->name, name))
        return tensor;
    }

  return NULL;
}

static gboolean
same_tensor_shape (const CnvRecordTensor *a,
                   const CnvRecordTensor *b)
{
  return a->n_dims == b->n_dims
         && memcmp (a->shape, b->shape, sizeof (int) * a->n_dims) == 0;
}

/* The parameters and buffers a layer of a known kind owns, by name and
 * shape, given its input: PyTorch's names and layouts. */
static void
add_layer_tensors (CnvModelRecord     *record,
                   const CnvLayerSpec *spec,
                   const char         *id,
                   const CnvShape     *in)
{
  static const char *bn_names[] = { "weight", "bias", "running_mean",
                                    "running_var" };
  int shape[4];

  if (in->channels == 0)
    return;

  switch (spec->kind)
    {
    case CNV_LAYER_CONV2D:
      {
        g_autofree char *weight = g_strdup_printf ("%s.weight", id);
        g_autofree char *bias = g_strdup_printf ("%s.bias", id);

        shape[0] = spec->filters;
        shape[1] = in->channels;
        shape[2] = spec->kernel[0];
        shape[3] = spec->kernel[1];
        add_tensor (record, weight, 4, shape, "F32", NULL);
        add_tensor (record, bias, 1, shape, "F32", NULL);
      }
      break;

    case CNV_LAYER_DENSE:
      {
        g_autofree char *weight = g_strdup_printf ("%s.weight", id);
        g_autofree char *bias = g_strdup_printf ("%s.bias", id);

        shape[0] = spec->units;
        shape[1] = in->channels * in->height * in->width;
        add_tensor (record, weight, 2, shape, "F32", NULL);
        add_tensor (record, bias, 1, shape, "F32", NULL);
      }
      break;

    case CNV_LAYER_BATCH_NORM:
      shape[0] = in->channels;
      for (guint i = 0; i < G_N_ELEMENTS (bn_names); i++)
        {
          g_autofree char *name = g_strdup_printf ("%s.%s", id, bn_names[i]);

          add_tensor (record, name, 1, shape, "F32", NULL);
        }
      break;

    default:
      break;
    }
}

/* One layer of a spec as a record layer, its stored fields as JSON. */
static CnvRecordLayer *
layer_from_spec (const CnvLayerSpec *spec)
{
  CnvModelSpec one = { 1, 1, 1, 1, (CnvLayerSpec *) spec };
  g_autoptr(JsonNode) node = cnv_model_spec_to_json_node (&one);
  JsonArray *layers = json_object_get_array_member (json_node_get_object (node),
                                                    "layers");
  JsonObject *object = json_array_get_object_element (layers, 0);
  CnvRecordLayer *layer = g_new0 (CnvRecordLayer, 1);

  layer->id = g_strdup (spec->id);
  layer->type = g_strdup (cnv_layer_kind_to_string (spec->kind));
  layer->known = TRUE;
  layer->spec = *spec;
  layer->spec.id = NULL;
  layer->params = json_object_ref (object);
  json_object_remove_member (layer->params, "id");
  json_object_remove_member (layer->params, "type");

  return layer;
}

/* Shapes and parameter counts of the record's layers.  Shapes come from
 * the engine's inference over the known layers before the first unknown
 * one; after it nothing can be inferred. */
static void
infer_layers (CnvModelRecord *record)
{
  g_autofree CnvLayerSpec *specs = g_new0 (CnvLayerSpec,
                                           MAX (record->layers->len, 1));
  g_autofree CnvShape *shapes = NULL;
  CnvModelSpec prefix = { record->width, record->height, record->channels,
                          0, specs };
  CnvShape in = { record->channels, record->height, record->width, FALSE };

  for (guint i = 0; i < record->layers->len; i++)
    {
      CnvRecordLayer *layer = g_ptr_array_index (record->layers, i);

      if (!layer->known)
        break;
      specs[i] = layer->spec;
      specs[i].id = layer->id;
      prefix.n_layers = i + 1;
    }

  shapes = g_new0 (CnvShape, MAX (prefix.n_layers, 1));
  cnv_model_spec_check (&prefix, shapes, NULL);

  for (guint i = 0; i < record->layers->len; i++)
    {
      CnvRecordLayer *layer = g_ptr_array_index (record->layers, i);

      if (i < prefix.n_layers)
        {
          layer->output = shapes[i];
          if (in.channels > 0)
            layer->n_params = cnv_layer_spec_count_parameters (&layer->spec,
                                                               &in);
          in = shapes[i];
        }
      else
        layer->output.channels = 0;
    }
}

/* For layers whose count cannot be inferred, the stored trainable
 * tensors of the layer (running statistics are not trained). */
static void
count_stored_parameters (CnvModelRecord *record)
{
  for (guint i = 0; i < record->layers->len; i++)
    {
      CnvRecordLayer *layer = g_ptr_array_index (record->layers, i);
      g_autofree char *prefix = g_strdup_printf ("%s.", layer->id);

      if (layer->n_params > 0 || (layer->known && layer->output.channels > 0))
        continue;

      for (guint k = 0; k < record->tensors->len; k++)
        {
          const CnvRecordTensor *t = g_ptr_array_index (record->tensors, k);
          gsize n = 1;

          if (!g_str_has_prefix (t->name, prefix)
              || g_str_has_suffix (t->name, ".running_mean")
              || g_str_has_suffix (t->name, ".running_var"))
            continue;
          for (int d = 0; d < t->n_dims; d++)
            n *= (gsize) t->shape[d];
          layer->n_params += n;
        }
    }
}

static void
add_spec_layers (CnvModelRecord     *record,
                 const CnvModelSpec *spec)
{
  record->width = spec->width;
  record->height = spec->height;
  record->channels = spec->channels;
  for (guint i = 0; i < spec->n_layers; i++)
    g_ptr_array_add (record->layers, layer_from_spec (&spec->layers[i]));
  infer_layers (record);
}

/* The tensors a stack needs, without values. */
static void
add_spec_tensors (CnvModelRecord     *record,
                  const CnvModelSpec *spec)
{
  CnvShape in = { spec->channels, spec->height, spec->width, FALSE };

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const CnvRecordLayer *layer = g_ptr_array_index (record->layers, i);

      add_layer_tensors (record, &spec->layers[i], spec->layers[i].id, &in);
      in = layer->output;
    }
  g_ptr_array_sort (record->tensors, compare_tensor_names);
}

static void
check_runnable_spec (CnvModelRecord     *record,
                     const CnvModelSpec *spec)
{
  g_autoptr(GError) error = NULL;

  if (!cnv_model_spec_validate (spec, NULL, &error))
    set_not_runnable (record, error->message);
}

CnvModelRecord *
cnv_model_record_new_from_spec (const CnvModelSpec     *spec,
                                const CnvPreprocessing *pp,
                                const char * const     *class_names,
                                const char             *label)
{
  CnvModelRecord *record;

  g_return_val_if_fail (spec != NULL, NULL);

  record = record_new (label != NULL ? label : _("On screen"));
  add_spec_layers (record, spec);
  add_spec_tensors (record, spec);
  check_runnable_spec (record, spec);

  if (pp != NULL)
    {
      record->has_preprocessing = TRUE;
      record->preprocessing = *pp;
    }
  if (class_names != NULL && class_names[0] != NULL && class_names[1] != NULL)
    {
      record->has_classes = TRUE;
      record->class_names[0] = g_strdup (class_names[0]);
      record->class_names[1] = g_strdup (class_names[1]);
    }

  return record;
}

/* Which optimizer slots each trainable tensor has under config. */
static const char * const *
slot_names (const CnvOptimizerConfig *config)
{
  static const char *adam[] = { "exp_avg", "exp_avg_sq", NULL };
  static const char *momentum[] = { "momentum_buffer", NULL };
  static const char *none[] = { NULL };

  if (config->kind == CNV_OPTIMIZER_ADAM)
    return adam;
  if (config->momentum != 0.0)
    return momentum;

  return none;
}

static gboolean
is_trainable (const char *name)
{
  return !g_str_has_prefix (name, OPTIMIZER_PREFIX)
         && !g_str_has_suffix (name, ".running_mean")
         && !g_str_has_suffix (name, ".running_var");
}

/* Every trainable tensor of record has its slots, with its shape. */
static gboolean
optimizer_state_complete (const CnvModelRecord *record)
{
  const char * const *slots = slot_names (&record->optimizer);

  for (guint i = 0; i < record->tensors->len; i++)
    {
      const CnvRecordTensor *t = g_ptr_array_index (record->tensors, i);

      if (!is_trainable (t->name))
        continue;
      for (guint k = 0; slots[k] != NULL; k++)
        {
          g_autofree char *name = g_strdup_printf (OPTIMIZER_PREFIX "%s.%s",
                                                   t->name, slots[k]);
          const CnvRecordTensor *slot = find_tensor (record, name);

          if (slot == NULL || !same_tensor_shape (slot, t))
            return FALSE;
        }
    }

  return TRUE;
}

static void
copy_info (CnvModelRecord      *record,
           const CnvClassifier *c)
{
  record->has_preprocessing = TRUE;
  record->preprocessing = c->preprocessing;
  record->has_classes = TRUE;
  record->class_names[0] = g_strdup (c->class_names[0]);
  record->class_names[1] = g_strdup (c->class_names[1]);
  record->threshold = c->threshold;
  record->batch_size = c->batch_size;
  record->seed = c->seed;
  if (c->history != NULL)
    g_array_append_vals (record->history, c->history->data,
                         c->history->len);
  if (c->notices != NULL)
    for (guint i = 0; i < c->notices->len; i++)
      g_ptr_array_add (record->notices,
                       g_strdup (g_ptr_array_index (c->notices, i)));
}

CnvModelRecord *
cnv_model_record_new_from_classifier (const CnvClassifier *classifier,
                                      const char          *label)
{
  const CnvModel *model;
  CnvModelRecord *record;

  g_return_val_if_fail (classifier != NULL, NULL);
  g_return_val_if_fail (classifier->model != NULL, NULL);

  model = classifier->model;
  record = record_new (label != NULL ? label : _("On screen"));
  record->has_weights = TRUE;
  add_spec_layers (record, cnv_model_get_spec (model));
  copy_info (record, classifier);

  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      const CnvParam *param = cnv_model_get_param (model, i);

      add_tensor (record, param->name, param->value->ndim,
                  param->value->shape, "F32",
                  cnv_tensor_copy (param->value));
    }

  if (classifier->optimizer != NULL)
    {
      const CnvOptimizer *optimizer = classifier->optimizer;

      record->has_optimizer = TRUE;
      record->optimizer = *cnv_optimizer_get_config (optimizer);
      record->step = cnv_optimizer_get_step (optimizer);
      for (guint i = 0; i < cnv_optimizer_get_n_slots (optimizer); i++)
        {
          const CnvOptimizerSlot *slot = cnv_optimizer_get_slot (optimizer, i);

          add_tensor (record, slot->name, slot->value->ndim,
                      slot->value->shape, "F32",
                      cnv_tensor_copy (slot->value));
        }
    }
  else if (record->history->len > 0)
    record->step = g_array_index (record->history, CnvEpochRecord,
                                  record->history->len - 1).step;

  g_ptr_array_sort (record->tensors, compare_tensor_names);
  record->optimizer_state_complete = record->has_optimizer
                                     && optimizer_state_complete (record);

  return record;
}

/* ---- reading a file leniently ---------------------------------------- */

static gboolean
read_input_leniently (JsonObject     *object,
                      CnvModelRecord *record)
{
  JsonObject *input;
  const char *fields[] = { "width", "height", "channels" };
  int *values[] = { &record->width, &record->height, &record->channels };

  if (!json_object_has_member (object, "input")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "input")))
    return FALSE;

  input = json_object_get_object_member (object, "input");
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      JsonNode *node = json_object_get_member (input, fields[i]);

      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
          || json_node_get_value_type (node) != G_TYPE_INT64
          || json_node_get_int (node) < 1
          || json_node_get_int (node) > G_MAXINT)
        return FALSE;
      *values[i] = (int) json_node_get_int (node);
    }

  return TRUE;
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* One stored layer.  A known type is read by the engine's own parser so
 * that its defaults are the ones training would use; when that parser
 * refuses the layer, or the type is unknown, the layer keeps its stored
 * fields and the reason becomes a notice. */
static CnvRecordLayer *
read_layer_leniently (CnvModelRecord *record,
                      JsonNode       *node,
                      guint           index)
{
  CnvRecordLayer *layer = g_new0 (CnvRecordLayer, 1);
  JsonObject *object;
  const char *id;
  const char *type;
  CnvLayerKind kind;

  layer->params = json_object_new ();
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      layer->id = g_strdup_printf ("layer%u", index + 1);
      layer->type = g_strdup ("?");
      g_ptr_array_add (record->notices,
                       g_strdup_printf (_("Layer %u of the model is not a "
                                          "JSON object."), index + 1));
      return layer;
    }

  object = json_node_get_object (node);
  id = string_member (object, "id");
  type = string_member (object, "type");
  layer->id = id != NULL ? g_strdup (id) : g_strdup_printf ("layer%u",
                                                            index + 1);
  layer->type = g_strdup (type != NULL ? type : "?");

  {
    g_autoptr(GList) members = json_object_get_members (object);

    for (GList *l = members; l != NULL; l = l->next)
      {
        const char *member = l->data;

        if (!g_str_equal (member, "id") && !g_str_equal (member, "type"))
          json_object_set_member (layer->params, member,
                                  json_node_copy (json_object_get_member (
                                    object, member)));
      }
  }

  if (type != NULL && cnv_layer_kind_from_string (type, &kind))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) one = NULL;
      g_autoptr(CnvModelSpec) spec = NULL;
      g_autoptr(GError) error = NULL;

      /* { "input": …, "layers": [ this layer ] } through the strict
       * reader, which applies the defaults and checks every field. */
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "input");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "width");
      json_builder_add_int_value (builder, 1);
      json_builder_set_member_name (builder, "height");
      json_builder_add_int_value (builder, 1);
      json_builder_set_member_name (builder, "channels");
      json_builder_add_int_value (builder, 1);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "layers");
      json_builder_begin_array (builder);
      json_builder_add_value (builder, json_node_copy (node));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      one = json_builder_get_root (builder);

      spec = cnv_model_spec_new_from_json_node (one, &error);
      if (spec != NULL)
        {
          layer->known = TRUE;
          layer->spec = spec->layers[0];
          layer->spec.id = NULL;
        }
      else
        g_ptr_array_add (record->notices, g_strdup (error->message));
    }
  else
    g_ptr_array_add (record->notices,
                     g_strdup_printf (_("Layer “%s” has the type “%s”, which "
                                        "Convolve does not implement: it "
                                        "can be viewed, not run."),
                                      layer->id, layer->type));

  return layer;
}

static gboolean
read_model_leniently (CnvModelRecord  *record,
                      JsonNode        *root,
                      const char      *display,
                      GError         **error)
{
  JsonObject *object;
  JsonArray *layers;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || !read_input_leniently (json_node_get_object (root), record))
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("The model in “%s” has no “input” with a whole width, "
                     "height and number of channels."), display);
      return FALSE;
    }

  object = json_node_get_object (root);
  if (!json_object_has_member (object, "layers")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "layers")))
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("The model in “%s” has no “layers” list."), display);
      return FALSE;
    }

  layers = json_object_get_array_member (object, "layers");
  if (json_array_get_length (layers) > MAX_LAYERS)
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("The model in “%s” has %u layers; at most %d are "
                     "supported."), display, json_array_get_length (layers),
                   MAX_LAYERS);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (layers); i++)
    g_ptr_array_add (record->layers,
                     read_layer_leniently (record,
                                           json_array_get_element (layers, i),
                                           i));
  infer_layers (record);

  return TRUE;
}

/* The strict reading of the same model, for whether it can run. */
static void
check_runnable_json (CnvModelRecord *record,
                     JsonNode       *root)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GError) error = NULL;

  spec = cnv_model_spec_new_from_json_node (root, &error);
  if (spec == NULL)
    set_not_runnable (record, error->message);
  else
    check_runnable_spec (record, spec);
}

/* label names the record in the views (the file's name); where names
 * the file in messages (its path, as the checkpoint reader's do). */
static CnvModelRecord *
load_description (const char  *label,
                  const char  *where,
                  const char  *text,
                  gsize        length,
                  GError     **error)
{
  g_autoptr(CnvModelRecord) record = record_new (label);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GError) local_error = NULL;

  root = cnv_json_parse (text, (gssize) length, where, &local_error);
  if (root == NULL)
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID, "%s.",
                   local_error->message);
      return NULL;
    }
  if (!read_model_leniently (record, root, where, error))
    return NULL;

  check_runnable_json (record, root);

  /* The tensors it would need, when every layer is known. */
  spec = cnv_model_spec_new_from_json_node (root, NULL);
  if (spec != NULL)
    add_spec_tensors (record, spec);

  return g_steal_pointer (&record);
}

static CnvModelRecord *
load_checkpoint (const char  *path,
                 GError     **error)
{
  g_autoptr(CnvCheckpointContents) contents = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) run_error = NULL;
  g_autoptr(CnvModelRecord) record = NULL;
  g_autofree char *display = NULL;
  GPtrArray *stored;

  contents = cnv_checkpoint_read_contents (path, error);
  if (contents == NULL)
    return NULL;

  display = g_filename_display_basename (path);
  record = record_new (display);
  record->has_weights = TRUE;
  if (!read_model_leniently (record, contents->model, contents->display,
                             error))
    return NULL;
  copy_info (record, contents->info);

  /* The tensors as stored, converted to F32. */
  stored = contents->st->tensors;
  for (guint i = 0; i < stored->len; i++)
    {
      CnvNamedTensor *named = g_ptr_array_index (stored, i);

      add_tensor (record, named->name, named->tensor->ndim,
                  named->tensor->shape, named->stored_dtype,
                  cnv_tensor_copy (named->tensor));
    }
  g_ptr_array_sort (record->tensors, compare_tensor_names);
  count_stored_parameters (record);

  record->has_optimizer = contents->has_optimizer;
  record->optimizer = contents->optimizer;
  record->step = contents->step;
  record->optimizer_state_complete = record->has_optimizer
                                     && optimizer_state_complete (record);
  if (record->history->len > 0 && !record->optimizer_state_complete)
    g_ptr_array_add (record->notices,
                     g_strdup (_("The checkpoint has no complete optimizer "
                                 "state; resuming training will restart "
                                 "the optimizer.")));

  /* Whatever keeps the engine from building the classifier makes the
   * record one to look at, not to run. */
  classifier = cnv_checkpoint_contents_to_classifier (contents, &run_error);
  if (classifier == NULL)
    set_not_runnable (record, run_error->message);

  return g_steal_pointer (&record);
}

/* The first bytes of a file are printable UTF-8 text, blanks included:
 * a safetensors file starts with a little-endian length, whose high
 * bytes are zero. */
static gboolean
head_is_text (const char *head,
              gsize       n)
{
  const char *end = NULL;

  for (gsize i = 0; i < n; i++)
    if ((guchar) head[i] < 0x20 && !g_ascii_isspace (head[i]))
      return FALSE;

  /* A multi-byte character may be cut at the end of the head. */
  return g_utf8_validate (head, n, &end) || n - (gsize) (end - head) < 4;
}

/* A model description is JSON text: it starts with "{" after blanks.
 * A safetensors file starts with its header's length in 8 bytes. */
static gboolean
starts_like_description (const char *head,
                         gsize       n_read)
{
  gsize i = 0;

  while (i < n_read && g_ascii_isspace (head[i]))
    i++;

  return i < n_read && head[i] == '{';
}

gboolean
cnv_model_record_is_description (const char *path)
{
  char head[16];
  gsize n_read;
  FILE *file;

  g_return_val_if_fail (path != NULL, FALSE);

  file = g_fopen (path, "rb");
  if (file == NULL)
    return FALSE;
  n_read = fread (head, 1, sizeof head, file);
  fclose (file);

  return starts_like_description (head, n_read);
}

CnvModelRecord *
cnv_model_record_load (const char  *path,
                       GError     **error)
{
  g_autofree char *display = NULL;
  g_autofree char *where = NULL;   /* the path, for messages */
  char head[16] = { 0 };
  gsize n_read = 0;
  FILE *file;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_basename (path);
  where = g_filename_display_name (path);
  file = g_fopen (path, "rb");
  if (file == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO,
                   _("Could not open “%s”: %s."), where,
                   g_strerror (saved_errno));
      return NULL;
    }
  n_read = fread (head, 1, sizeof head, file);
  fclose (file);

  if (starts_like_description (head, n_read))
    {
      g_autofree char *text = NULL;
      gsize length = 0;
      GError *read_error = NULL;
      GStatBuf st;

      if (g_stat (path, &st) == 0 && st.st_size > MAX_DESCRIPTION_SIZE)
        {
          g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                       _("“%s” is %" PRId64 " bytes long, too long for a "
                         "model description."), where,
                       (int64_t) st.st_size);
          return NULL;
        }
      if (!g_file_get_contents (path, &text, &length, &read_error))
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO,
                       _("Could not read “%s”: %s."), where,
                       read_error->message);
          g_error_free (read_error);
          return NULL;
        }
      return load_description (display, where, text, length, error);
    }

  /* Text that does not start with "{" is neither. */
  if (n_read > 0 && head_is_text (head, n_read))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_FORMAT,
                   _("“%s” is a text file, neither a Convolve checkpoint nor "
                     "a JSON model description (which starts with “{”)."),
                   where);
      return NULL;
    }

  return load_checkpoint (path, error);
}

/* ---- display strings ------------------------------------------------- */

char *
cnv_record_tensor_shape_string (const CnvRecordTensor *tensor)
{
  GString *text = g_string_new ("[");

  g_return_val_if_fail (tensor != NULL, NULL);

  for (int d = 0; d < tensor->n_dims; d++)
    g_string_append_printf (text, "%s%d", d > 0 ? ", " : "",
                            tensor->shape[d]);
  g_string_append_c (text, ']');

  return g_string_free (text, FALSE);
}

char *
cnv_diff_tensor_change_text (const CnvDiffTensorRow *row)
{
  char percent[G_ASCII_DTOSTR_BUF_SIZE];
  char cosine[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (row != NULL, NULL);

  if (!isfinite (row->relative_l2))
    return NULL;

  g_ascii_formatd (percent, sizeof percent, "%.3g",
                   100.0 * row->relative_l2);
  if (!isfinite (row->cosine))
    /* Translators: how far a weight tensor moved, relative to its size. */
    return g_strdup_printf (_("changed by %s %%"), percent);

  g_ascii_formatd (cosine, sizeof cosine, "%.3f", row->cosine);
  /* Translators: "changed by 41 %, cosine 0.912": the relative L2
   * distance of two weight tensors and their cosine similarity. */
  return g_strdup_printf (_("changed by %s %%, cosine %s"), percent, cosine);
}

char *
cnv_diff_field_format_change (const CnvDiffField *field)
{
  g_return_val_if_fail (field != NULL, NULL);

  return g_strdup_printf ("%s → %s",
                          field->a_value != NULL ? field->a_value : "—",
                          field->b_value != NULL ? field->b_value : "—");
}

static char *
format_pair (const int pair[2])
{
  return g_strdup_printf ("%d×%d", pair[0], pair[1]);
}

static char *
format_number (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%g", value));
}

static char *
format_color (const guint8 color[3])
{
  return g_strdup_printf ("#%02x%02x%02x", color[0], color[1], color[2]);
}

static char *
format_scale (float scale)
{
  if (fabs ((double) scale * 255.0 - 1.0) < 1e-6)
    return g_strdup ("1/255");

  return format_number (scale);
}

/* "0.5" when every channel has that value (so that one grey channel and
 * three colour ones compare equal when they agree), "0.48, 0.46, 0.41"
 * otherwise. */
static char *
format_channels (const float *values,
                 int          channels)
{
  GString *text = g_string_new (NULL);
  gboolean uniform = TRUE;

  for (int c = 1; c < channels; c++)
    uniform = uniform && values[c] == values[0];
  if (uniform)
    channels = 1;

  for (int c = 0; c < channels; c++)
    {
      g_autofree char *value = format_number (values[c]);

      if (c > 0)
        g_string_append (text, ", ");
      g_string_append (text, value);
    }

  return g_string_free (text, FALSE);
}

/* printf's "%'" groups thousands only when the locale says how, so
 * under the C locale (a test run, a minimal system) "1204769" comes out
 * bare; grouping by hand with a fallback reads the same everywhere. */
static const char *
thousands_separator (void)
{
  const char *separator = nl_langinfo (THOUSEP);
  const char *radix = nl_langinfo (RADIXCHAR);

  if (separator != NULL && *separator != '\0')
    return separator;

  /* U+202F NARROW NO-BREAK SPACE: unambiguous where "," is decimal. */
  if (g_strcmp0 (radix, ",") == 0)
    return "\u202f";

  return ",";
}

char *
cnv_count_to_display_string (guint64 count)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, count);
  const char *separator = thousands_separator ();
  GString *out = g_string_new (NULL);
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append (out, separator);
      g_string_append_c (out, digits[i]);
    }

  return g_string_free (out, FALSE);
}

char *
cnv_shape_to_display_string (const CnvShape *shape)
{
  if (shape->channels == 0)
    return g_strdup ("?");
  if (shape->flat)
    return g_strdup_printf ("%d", shape->channels);

  return g_strdup_printf ("%d × %d × %d", shape->channels, shape->height,
                          shape->width);
}

static void
field_free (CnvDiffField *field)
{
  g_free (field->field);
  g_free (field->title);
  g_free (field->a_value);
  g_free (field->b_value);
  g_free (field);
}

static GPtrArray *
new_field_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
}

/* Adds a field when the values differ; takes the values. */
static gboolean
add_field (GPtrArray  *fields,
           const char *field,
           const char *title,
           char       *a_value,
           char       *b_value)
{
  CnvDiffField *f;

  if (g_strcmp0 (a_value, b_value) == 0)
    {
      g_free (a_value);
      g_free (b_value);
      return FALSE;
    }

  f = g_new0 (CnvDiffField, 1);
  f->field = g_strdup (field);
  f->title = g_strdup (title);
  f->a_value = a_value;
  f->b_value = b_value;
  g_ptr_array_add (fields, f);

  return TRUE;
}

/* ---- layers ----------------------------------------------------------- */

typedef struct
{
  const char *field;
  const char *title;    /* translated when shown */
} FieldInfo;

/* The display value of one field of a known layer, NULL when its kind
 * does not have it. */
static char *
layer_field_value (const CnvLayerSpec *spec,
                   const char         *field)
{
  gboolean window = spec->kind == CNV_LAYER_CONV2D
                    || spec->kind == CNV_LAYER_MAX_POOL
                    || spec->kind == CNV_LAYER_AVG_POOL;

  if (g_str_equal (field, "filters") && spec->kind == CNV_LAYER_CONV2D)
    return g_strdup_printf ("%d", spec->filters);
  if (g_str_equal (field, "kernel") && window)
    return format_pair (spec->kernel);
  if (g_str_equal (field, "stride") && window)
    return format_pair (spec->stride);
  if (g_str_equal (field, "padding") && window)
    return g_strdup (spec->padding == CNV_PADDING_SAME ? "same" : "valid");
  if (g_str_equal (field, "units") && spec->kind == CNV_LAYER_DENSE)
    return g_strdup_printf ("%d", spec->units);
  if (g_str_equal (field, "momentum") && spec->kind == CNV_LAYER_BATCH_NORM)
    return format_number (spec->momentum);
  if (g_str_equal (field, "epsilon") && spec->kind == CNV_LAYER_BATCH_NORM)
    return format_number (spec->epsilon);
  if (g_str_equal (field, "rate") && spec->kind == CNV_LAYER_DROPOUT)
    return format_number (spec->rate);
  if (g_str_equal (field, "slope") && spec->kind == CNV_LAYER_LEAKY_RELU)
    return format_number (spec->slope);

  return NULL;
}

static const FieldInfo layer_fields[] = {
  { "filters",  N_("Filters") },
  { "kernel",   N_("Kernel") },
  { "stride",   N_("Stride") },
  { "padding",  N_("Padding") },
  { "units",    N_("Units") },
  { "momentum", N_("Momentum") },
  { "epsilon",  N_("Epsilon") },
  { "rate",     N_("Rate") },
  { "slope",    N_("Slope") },
};

static char *
json_member_text (JsonObject *object,
                  const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member)
                                  : NULL;

  return node != NULL ? cnv_json_to_string (node, FALSE) : NULL;
}

/* Every field of a that differs in b, the id included. */
static GPtrArray *
compare_layers (const CnvRecordLayer *a,
                const CnvRecordLayer *b)
{
  GPtrArray *fields = new_field_list ();

  add_field (fields, "id", _("Id"), g_strdup (a->id), g_strdup (b->id));

  if (!g_str_equal (a->type, b->type))
    {
      add_field (fields, "type", _("Type"), g_strdup (a->type),
                 g_strdup (b->type));
      return fields;
    }

  if (a->known && b->known)
    {
      for (guint i = 0; i < G_N_ELEMENTS (layer_fields); i++)
        add_field (fields, layer_fields[i].field,
                   /* A pool's kernel is its window. */
                   g_str_equal (layer_fields[i].field, "kernel")
                   && a->spec.kind != CNV_LAYER_CONV2D
                   ? _("Window") : _(layer_fields[i].title),
                   layer_field_value (&a->spec, layer_fields[i].field),
                   layer_field_value (&b->spec, layer_fields[i].field));
      return fields;
    }

  /* A type Convolve does not know: the stored fields as JSON. */
  {
    g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
    const CnvRecordLayer *sides[] = { a, b };

    for (guint s = 0; s < 2; s++)
      {
        g_autoptr(GList) members = json_object_get_members (sides[s]->params);

        for (GList *l = members; l != NULL; l = l->next)
          {
            const char *member = l->data;

            if (!g_hash_table_add (seen, (gpointer) member))
              continue;
            add_field (fields, member, member,
                       json_member_text (a->params, member),
                       json_member_text (b->params, member));
          }
      }
  }

  return fields;
}

static void
layer_row_free (CnvDiffLayerRow *row)
{
  g_clear_pointer (&row->fields, g_ptr_array_unref);
  g_free (row);
}

static gboolean
shapes_differ (const CnvRecordLayer *a,
               const CnvRecordLayer *b)
{
  return a->output.channels > 0 && b->output.channels > 0
         && (a->output.channels != b->output.channels
             || a->output.height != b->output.height
             || a->output.width != b->output.width
             || a->output.flat != b->output.flat);
}

gboolean
cnv_diff_layer_row_is_reshaped (const CnvDiffLayerRow *row)
{
  g_return_val_if_fail (row != NULL, FALSE);

  return row->status == CNV_DIFF_SAME
         && (row->output_differs || row->params_differ);
}

static void
add_layer_row (CnvDiff       *diff,
               CnvDiffStatus  status,
               int            a_index,
               int            b_index)
{
  CnvDiffLayerRow *row = g_new0 (CnvDiffLayerRow, 1);

  row->a_index = a_index;
  row->b_index = b_index;
  row->a = a_index >= 0 ? g_ptr_array_index (diff->a->layers, a_index) : NULL;
  row->b = b_index >= 0 ? g_ptr_array_index (diff->b->layers, b_index) : NULL;

  if (row->a != NULL && row->b != NULL)
    {
      row->fields = compare_layers (row->a, row->b);
      row->output_differs = shapes_differ (row->a, row->b);
      row->params_differ = row->a->n_params != row->b->n_params;
      if (status == CNV_DIFF_SAME && row->fields->len > 0)
        status = CNV_DIFF_CHANGED;
    }
  else
    row->fields = new_field_list ();

  row->status = status;
  if (status != CNV_DIFF_SAME)
    diff->n_layers_differ++;
  g_ptr_array_add (diff->layers, row);
}

typedef struct
{
  int a;
  int b;
} Pair;

/* Longest common subsequence of two lists of keys: fills pairs with
 * (i, j) index pairs, in order. */
static void
lcs (const char * const *a,
     guint               n_a,
     const char * const *b,
     guint               n_b,
     GArray             *pairs)
{
  g_autofree guint *table = g_new0 (guint, (gsize) (n_a + 1) * (n_b + 1));
  guint i = 0;
  guint j = 0;

#define T(x, y) table[(gsize) (x) * (n_b + 1) + (y)]
  for (guint x = n_a; x-- > 0;)
    for (guint y = n_b; y-- > 0;)
      T (x, y) = g_str_equal (a[x], b[y]) ? T (x + 1, y + 1) + 1
                                          : MAX (T (x + 1, y), T (x, y + 1));

  while (i < n_a && j < n_b)
    {
      if (g_str_equal (a[i], b[j]))
        {
          Pair pair = { (int) i, (int) j };

          g_array_append_val (pairs, pair);
          i++;
          j++;
        }
      else if (T (i + 1, j) >= T (i, j + 1))
        i++;
      else
        j++;
    }
#undef T
}

/* The layers between two anchors: a[a_lo, a_hi) and b[b_lo, b_hi),
 * skipping the ones matched by id elsewhere (b_moved are emitted where b
 * has them, as MOVED rows; a's side of them is skipped). */
static void
align_gap (CnvDiff     *diff,
           const int   *a_to_b,
           const int   *b_to_a,
           const gboolean *b_moved,
           int          a_lo,
           int          a_hi,
           int          b_lo,
           int          b_hi)
{
  g_autoptr(GPtrArray) a_types = g_ptr_array_new ();
  g_autoptr(GPtrArray) b_types = g_ptr_array_new ();
  g_autoptr(GArray) a_idx = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) b_idx = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) pairs = g_array_new (FALSE, FALSE, sizeof (Pair));
  guint ai = 0;
  guint bi = 0;
  int bj = b_lo;

  for (int i = a_lo; i < a_hi; i++)
    if (a_to_b[i] < 0)
      {
        const CnvRecordLayer *layer = g_ptr_array_index (diff->a->layers, i);

        g_ptr_array_add (a_types, layer->type);
        g_array_append_val (a_idx, i);
      }
  for (int j = b_lo; j < b_hi; j++)
    if (b_to_a[j] < 0)
      {
        const CnvRecordLayer *layer = g_ptr_array_index (diff->b->layers, j);

        g_ptr_array_add (b_types, layer->type);
        g_array_append_val (b_idx, j);
      }

  lcs ((const char * const *) a_types->pdata, a_types->len,
       (const char * const *) b_types->pdata, b_types->len, pairs);

  /* Walks b in order, emitting a's unpaired layers before the pair that
   * follows them; moved rows sit where b has them. */
  for (guint p = 0; p <= pairs->len; p++)
    {
      guint a_stop = p < pairs->len ? (guint) g_array_index (pairs, Pair, p).a
                                    : a_idx->len;
      guint b_stop = p < pairs->len ? (guint) g_array_index (pairs, Pair, p).b
                                    : b_idx->len;
      int b_until = b_stop < b_idx->len ? g_array_index (b_idx, int, b_stop)
                                        : b_hi;

      for (; ai < a_stop; ai++)
        add_layer_row (diff, CNV_DIFF_REMOVED, g_array_index (a_idx, int, ai),
                       -1);
      for (; bj < b_until; bj++)
        {
          if (b_moved[bj])
            add_layer_row (diff, CNV_DIFF_MOVED, b_to_a[bj], bj);
          else if (b_to_a[bj] < 0)
            {
              add_layer_row (diff, CNV_DIFF_ADDED, -1, bj);
              bi++;
            }
        }
      if (p < pairs->len)
        {
          /* The same type in the same place under another id. */
          add_layer_row (diff, CNV_DIFF_SAME, g_array_index (a_idx, int, ai),
                         g_array_index (b_idx, int, bi));
          ai++;
          bi++;
          bj++;
        }
    }
}

static void
align_layers (CnvDiff *diff)
{
  guint n_a = diff->a->layers->len;
  guint n_b = diff->b->layers->len;
  g_autofree int *a_to_b = g_new (int, MAX (n_a, 1));
  g_autofree int *b_to_a = g_new (int, MAX (n_b, 1));
  g_autofree gboolean *b_moved = g_new0 (gboolean, MAX (n_b, 1));
  g_autoptr(GHashTable) b_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) a_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) b_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) b_matched = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) anchors = g_array_new (FALSE, FALSE, sizeof (Pair));
  int a_lo = 0;
  int b_lo = 0;

  for (guint i = 0; i < n_a; i++)
    a_to_b[i] = -1;
  for (guint j = 0; j < n_b; j++)
    {
      const CnvRecordLayer *layer = g_ptr_array_index (diff->b->layers, j);

      b_to_a[j] = -1;
      if (!g_hash_table_contains (b_ids, layer->id))
        g_hash_table_insert (b_ids, layer->id, GINT_TO_POINTER (j + 1));
    }

  /* Pairs by id (the first of a repeated id). */
  for (guint i = 0; i < n_a; i++)
    {
      const CnvRecordLayer *layer = g_ptr_array_index (diff->a->layers, i);
      int j = GPOINTER_TO_INT (g_hash_table_lookup (b_ids, layer->id)) - 1;

      if (j >= 0 && b_to_a[j] < 0)
        {
          a_to_b[i] = j;
          b_to_a[j] = (int) i;
        }
    }

  /* The longest run of id pairs in the same order on both sides are the
   * anchors; the other pairs moved. */
  for (guint i = 0; i < n_a; i++)
    if (a_to_b[i] >= 0)
      g_ptr_array_add (a_keys, g_strdup_printf ("%d", a_to_b[i]));
  for (guint j = 0; j < n_b; j++)
    if (b_to_a[j] >= 0)
      {
        int index = (int) j;

        g_ptr_array_add (b_keys, g_strdup_printf ("%d", index));
        g_array_append_val (b_matched, index);
      }
  lcs ((const char * const *) a_keys->pdata, a_keys->len,
       (const char * const *) b_keys->pdata, b_keys->len, anchors);

  for (guint j = 0; j < n_b; j++)
    b_moved[j] = b_to_a[j] >= 0;
  for (guint k = 0; k < anchors->len; k++)
    {
      int j = g_array_index (b_matched, int,
                             g_array_index (anchors, Pair, k).b);

      b_moved[j] = FALSE;
    }

  for (guint k = 0; k <= anchors->len; k++)
    {
      int b_anchor = k < anchors->len
                     ? g_array_index (b_matched, int,
                                      g_array_index (anchors, Pair, k).b)
                     : (int) n_b;
      int a_anchor = k < anchors->len ? b_to_a[b_anchor] : (int) n_a;

      align_gap (diff, a_to_b, b_to_a, b_moved, a_lo, a_anchor, b_lo,
                 b_anchor);
      if (k < anchors->len)
        add_layer_row (diff, CNV_DIFF_SAME, a_anchor, b_anchor);
      a_lo = a_anchor + 1;
      b_lo = b_anchor + 1;
    }
}

/* ---- tensors ---------------------------------------------------------- */

static void
tensor_row_free (CnvDiffTensorRow *row)
{
  g_free (row->name);
  g_free (row);
}

static void
measure_change (CnvDiffTensorRow *row)
{
  const CnvTensor *a = row->a->value;
  const CnvTensor *b = row->b->value;
  double dot = 0.0;
  double aa = 0.0;
  double bb = 0.0;
  double dd = 0.0;

  row->relative_l2 = NAN;
  row->cosine = NAN;
  row->values_differ = FALSE;
  if (a == NULL || b == NULL || a->size != b->size)
    return;

  row->values_differ = memcmp (a->data, b->data,
                               a->size * sizeof (float)) != 0;

  for (gsize i = 0; i < a->size; i++)
    {
      double x = a->data[i];
      double y = b->data[i];

      dot += x * y;
      aa += x * x;
      bb += y * y;
      dd += (y - x) * (y - x);
    }

  if (aa > 0.0)
    row->relative_l2 = sqrt (dd / aa);
  if (aa > 0.0 && bb > 0.0)
    row->cosine = dot / sqrt (aa * bb);
}

static void
compare_tensors (CnvDiff *diff)
{
  const CnvModelRecord *a = diff->a;
  const CnvModelRecord *b = diff->b;
  guint i = 0;
  guint j = 0;

  /* Both lists are sorted by name: a merge. */
  while (i < a->tensors->len || j < b->tensors->len)
    {
      const CnvRecordTensor *ta = i < a->tensors->len
                                  ? g_ptr_array_index (a->tensors, i) : NULL;
      const CnvRecordTensor *tb = j < b->tensors->len
                                  ? g_ptr_array_index (b->tensors, j) : NULL;
      CnvDiffTensorRow *row;
      int order;

      if (ta != NULL && g_str_has_prefix (ta->name, OPTIMIZER_PREFIX))
        {
          i++;
          continue;
        }
      if (tb != NULL && g_str_has_prefix (tb->name, OPTIMIZER_PREFIX))
        {
          j++;
          continue;
        }

      order = ta == NULL ? 1 : tb == NULL ? -1 : strcmp (ta->name, tb->name);
      row = g_new0 (CnvDiffTensorRow, 1);
      row->relative_l2 = NAN;
      row->cosine = NAN;
      if (order < 0)
        {
          row->name = g_strdup (ta->name);
          row->status = CNV_TENSOR_MISSING;
          row->a = ta;
          i++;
        }
      else if (order > 0)
        {
          row->name = g_strdup (tb->name);
          row->status = CNV_TENSOR_UNEXPECTED;
          row->b = tb;
          j++;
        }
      else
        {
          row->name = g_strdup (ta->name);
          row->a = ta;
          row->b = tb;
          row->status = same_tensor_shape (ta, tb)
                        ? CNV_TENSOR_LOADABLE : CNV_TENSOR_SHAPE_MISMATCH;
          if (row->status == CNV_TENSOR_LOADABLE)
            measure_change (row);
          i++;
          j++;
        }

      if (row->a != NULL)
        diff->n_tensors++;
      if (row->status == CNV_TENSOR_LOADABLE)
        diff->n_tensors_loadable++;
      g_ptr_array_add (diff->tensors, row);
    }
}

/* ---- everything else ------------------------------------------------- */

static const char *
color_mode_name (CnvColorMode mode)
{
  return mode == CNV_COLOR_RGB ? _("RGB") : _("greyscale");
}

static const char *
resize_mode_name (CnvResizeMode mode)
{
  switch (mode)
    {
    case CNV_RESIZE_CENTER_CROP:
      return _("centre crop");
    case CNV_RESIZE_LETTERBOX:
      return _("letterbox");
    case CNV_RESIZE_STRETCH:
    default:
      return _("stretch");
    }
}

static void
compare_preprocessing (CnvDiff *diff)
{
  const CnvPreprocessing *a = &diff->a->preprocessing;
  const CnvPreprocessing *b = &diff->b->preprocessing;
  GPtrArray *f = diff->preprocessing;

  if (!diff->a->has_preprocessing || !diff->b->has_preprocessing)
    return;

  /* The size the images are brought to is the model input's, which the
   * input rows say already when they differ. */
  if (diff->input->len == 0)
    {
      add_field (f, "width", _("Width"), g_strdup_printf ("%d", a->width),
                 g_strdup_printf ("%d", b->width));
      add_field (f, "height", _("Height"), g_strdup_printf ("%d", a->height),
                 g_strdup_printf ("%d", b->height));
    }
  add_field (f, "color_mode", _("Colour mode"),
             g_strdup (color_mode_name (a->color_mode)),
             g_strdup (color_mode_name (b->color_mode)));
  add_field (f, "apply_exif", _("EXIF orientation"),
             g_strdup (a->apply_exif ? _("applied") : _("ignored")),
             g_strdup (b->apply_exif ? _("applied") : _("ignored")));
  add_field (f, "background", _("Background for transparency"),
             format_color (a->background), format_color (b->background));
  add_field (f, "resize_mode", _("Resize"),
             g_strdup (resize_mode_name (a->resize_mode)),
             g_strdup (resize_mode_name (b->resize_mode)));
  add_field (f, "interpolation", _("Interpolation"),
             g_strdup (a->interpolation == CNV_INTERP_NEAREST ? _("nearest")
                                                             : _("bilinear")),
             g_strdup (b->interpolation == CNV_INTERP_NEAREST ? _("nearest")
                                                             : _("bilinear")));
  add_field (f, "pad_color", _("Letterbox padding"),
             format_color (a->pad_color), format_color (b->pad_color));
  add_field (f, "scale", _("Scale"), format_scale (a->scale),
             format_scale (b->scale));
  add_field (f, "mean", _("Mean"),
             format_channels (a->mean, cnv_preprocessing_get_channels (a)),
             format_channels (b->mean, cnv_preprocessing_get_channels (b)));
  add_field (f, "std", _("Standard deviation"),
             format_channels (a->std, cnv_preprocessing_get_channels (a)),
             format_channels (b->std, cnv_preprocessing_get_channels (b)));
}

static void
compare_classes (CnvDiff *diff)
{
  const CnvModelRecord *a = diff->a;
  const CnvModelRecord *b = diff->b;

  if (!a->has_classes || !b->has_classes)
    return;

  add_field (diff->classes, "names", _("Classes, in index order"),
             g_strdup_printf ("%s, %s", a->class_names[0], a->class_names[1]),
             g_strdup_printf ("%s, %s", b->class_names[0], b->class_names[1]));
  add_field (diff->classes, "positive", _("Positive class"),
             g_strdup (a->class_names[1]), g_strdup (b->class_names[1]));
  if (a->has_weights && b->has_weights)
    add_field (diff->classes, "threshold", _("Decision threshold"),
               format_number (a->threshold), format_number (b->threshold));

  if (g_str_equal (a->class_names[0], b->class_names[1])
      && g_str_equal (a->class_names[1], b->class_names[0]))
    diff->classes_explanation =
      /* Translators: “%s” are a class name, then the two sides' labels
       * ("On screen", "model.convolve"). */
      g_strdup_printf (_("“%s” is the positive class in %s and the "
                         "negative class in %s: every probability would be "
                         "read the other way round, so every prediction "
                         "would be inverted."),
                       a->class_names[1], a->label, b->label);
  else if (!g_str_equal (a->class_names[0], b->class_names[0])
           || !g_str_equal (a->class_names[1], b->class_names[1]))
    diff->classes_explanation =
      g_strdup_printf (_("%s knows the classes “%s” and “%s” (positive), %s "
                         "knows “%s” and “%s” (positive): the classes are "
                         "matched by position, so “%s” would be read as "
                         "“%s”."),
                       a->label, a->class_names[0], a->class_names[1],
                       b->label, b->class_names[0], b->class_names[1],
                       b->class_names[1], a->class_names[1]);
}

static char *
optimizer_state_text (const CnvModelRecord *record)
{
  if (!record->has_optimizer)
    return g_strdup (_("none"));

  return g_strdup (record->optimizer_state_complete ? _("complete")
                                                    : _("incomplete"));
}

static void
compare_training (CnvDiff *diff)
{
  const CnvModelRecord *a = diff->a;
  const CnvModelRecord *b = diff->b;
  GPtrArray *f = diff->training;

  if (!a->has_weights || !b->has_weights)
    return;

  add_field (f, "optimizer", _("Optimizer"),
             g_strdup (a->has_optimizer
                       ? cnv_optimizer_kind_to_string (a->optimizer.kind)
                       : _("none")),
             g_strdup (b->has_optimizer
                       ? cnv_optimizer_kind_to_string (b->optimizer.kind)
                       : _("none")));
  add_field (f, "optimizer_state", _("Optimizer state"),
             optimizer_state_text (a), optimizer_state_text (b));
  if (a->has_optimizer && b->has_optimizer)
    {
      add_field (f, "learning_rate", _("Learning rate"),
                 format_number (a->optimizer.learning_rate),
                 format_number (b->optimizer.learning_rate));
      add_field (f, "weight_decay", _("Weight decay"),
                 format_number (a->optimizer.weight_decay),
                 format_number (b->optimizer.weight_decay));
    }
  add_field (f, "step", _("Optimizer steps"),
             g_strdup_printf ("%" G_GINT64_FORMAT, a->step),
             g_strdup_printf ("%" G_GINT64_FORMAT, b->step));
  add_field (f, "epochs", _("Epochs trained"),
             g_strdup_printf ("%u", a->history->len),
             g_strdup_printf ("%u", b->history->len));
  add_field (f, "batch_size", _("Batch size"),
             g_strdup_printf ("%u", a->batch_size),
             g_strdup_printf ("%u", b->batch_size));
  add_field (f, "seed", _("Seed"), g_strdup_printf ("%" G_GUINT64_FORMAT,
                                                    a->seed),
             g_strdup_printf ("%" G_GUINT64_FORMAT, b->seed));
}

static void
mapping_free (CnvDiffIdMapping *mapping)
{
  g_free (mapping->a_id);
  g_free (mapping->b_id);
  g_free (mapping);
}

/* A renamed layer whose tensors all match by shape under the new name. */
static gboolean
tensors_match_renamed (const CnvDiff        *diff,
                       const CnvRecordLayer *a,
                       const CnvRecordLayer *b)
{
  g_autofree char *a_prefix = g_strdup_printf ("%s.", a->id);
  guint n_matched = 0;

  for (guint i = 0; i < diff->a->tensors->len; i++)
    {
      const CnvRecordTensor *ta = g_ptr_array_index (diff->a->tensors, i);
      g_autofree char *b_name = NULL;
      const CnvRecordTensor *tb;

      if (!g_str_has_prefix (ta->name, a_prefix))
        continue;
      b_name = g_strdup_printf ("%s.%s", b->id, ta->name + strlen (a_prefix));
      tb = find_tensor (diff->b, b_name);
      if (tb == NULL || !same_tensor_shape (ta, tb))
        return FALSE;
      n_matched++;
    }

  return n_matched > 0;
}

static void
propose_mappings (CnvDiff *diff)
{
  for (guint i = 0; i < diff->layers->len; i++)
    {
      const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, i);
      CnvDiffIdMapping *mapping;

      if (row->a == NULL || row->b == NULL
          || g_str_equal (row->a->id, row->b->id)
          || row->fields->len != 1
          || !tensors_match_renamed (diff, row->a, row->b))
        continue;

      mapping = g_new0 (CnvDiffIdMapping, 1);
      mapping->a_id = g_strdup (row->a->id);
      mapping->b_id = g_strdup (row->b->id);
      g_ptr_array_add (diff->mappings, mapping);
    }
}

CnvDiff *
cnv_diff_new (const CnvModelRecord *a,
              const CnvModelRecord *b)
{
  CnvDiff *diff;

  g_return_val_if_fail (a != NULL, NULL);
  g_return_val_if_fail (b != NULL, NULL);

  diff = g_new0 (CnvDiff, 1);
  diff->a = a;
  diff->b = b;
  diff->input = new_field_list ();
  diff->layers = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                 layer_row_free);
  diff->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                  tensor_row_free);
  diff->preprocessing = new_field_list ();
  diff->classes = new_field_list ();
  diff->training = new_field_list ();
  diff->mappings = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                   mapping_free);

  add_field (diff->input, "width", _("Width"), g_strdup_printf ("%d", a->width),
             g_strdup_printf ("%d", b->width));
  add_field (diff->input, "height", _("Height"),
             g_strdup_printf ("%d", a->height),
             g_strdup_printf ("%d", b->height));
  add_field (diff->input, "channels", _("Channels"),
             g_strdup_printf ("%d", a->channels),
             g_strdup_printf ("%d", b->channels));

  align_layers (diff);
  compare_tensors (diff);
  compare_preprocessing (diff);
  compare_classes (diff);
  compare_training (diff);
  propose_mappings (diff);

  diff->optimizer_state_fits = b->optimizer_state_complete
                               && diff->n_tensors > 0;
  for (guint i = 0; i < diff->tensors->len && diff->optimizer_state_fits; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);

      if (row->a != NULL && is_trainable (row->name)
          && row->status != CNV_TENSOR_LOADABLE)
        diff->optimizer_state_fits = FALSE;
    }

  return diff;
}

void
cnv_diff_free (CnvDiff *diff)
{
  if (diff == NULL)
    return;

  g_clear_pointer (&diff->input, g_ptr_array_unref);
  g_clear_pointer (&diff->layers, g_ptr_array_unref);
  g_clear_pointer (&diff->tensors, g_ptr_array_unref);
  g_clear_pointer (&diff->preprocessing, g_ptr_array_unref);
  g_clear_pointer (&diff->classes, g_ptr_array_unref);
  g_clear_pointer (&diff->training, g_ptr_array_unref);
  g_clear_pointer (&diff->mappings, g_ptr_array_unref);
  g_free (diff->classes_explanation);
  g_free (diff);
}

gboolean
cnv_diff_is_empty (const CnvDiff *diff)
{
  g_return_val_if_fail (diff != NULL, TRUE);

  if (diff->n_layers_differ > 0 || diff->input->len > 0
      || diff->preprocessing->len > 0 || diff->classes->len > 0
      || diff->training->len > 0)
    return FALSE;

  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);

      if (row->status != CNV_TENSOR_LOADABLE)
        return FALSE;
    }

  return TRUE;
}

char *
cnv_diff_get_summary (const CnvDiff *diff)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  gboolean classes_differ = FALSE;
  gboolean threshold_differs = FALSE;
  guint n_input, n_pp;
  guint n_reshaped = 0;
  guint n_moved = 0;

  g_return_val_if_fail (diff != NULL, NULL);

  n_input = diff->input->len;
  n_pp = diff->preprocessing->len;

  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);

      n_moved += row->values_differ;
    }
  /* Weights that moved are not a difference to open over (that is what
   * opening another checkpoint is for), but a comparison names them. */
  if (cnv_diff_is_empty (diff) && n_moved == 0)
    return g_strdup (_("No differences"));

  if (n_input > 0)
    g_ptr_array_add (parts, g_strdup (_("the input size differs")));
  if (diff->n_layers_differ > 0)
    g_ptr_array_add (parts, g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%u layer differs", "%u layers differ",
                   diff->n_layers_differ), diff->n_layers_differ));
  for (guint i = 0; i < diff->layers->len; i++)
    n_reshaped +=
      cnv_diff_layer_row_is_reshaped (g_ptr_array_index (diff->layers, i));
  if (n_reshaped > 0)
    /* Translators: after "3 layers differ": the layers whose settings are
     * the same but whose shape follows from a change before them (the
     * rows marked reshaped). */
    g_ptr_array_add (parts, g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%u layer reshaped",
                   "%u layers reshaped", n_reshaped), n_reshaped));
  if (n_pp > 0)
    g_ptr_array_add (parts, g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "preprocessing differs in %u field",
                   "preprocessing differs in %u fields", n_pp), n_pp));
  /* The threshold is kept with the classes, but a moved threshold is
   * not a change of classes. */
  for (guint i = 0; i < diff->classes->len; i++)
    {
      const CnvDiffField *field = g_ptr_array_index (diff->classes, i);

      if (g_str_equal (field->field, "threshold"))
        threshold_differs = TRUE;
      else
        classes_differ = TRUE;
    }
  if (classes_differ)
    g_ptr_array_add (parts, g_strdup (_("the classes differ")));
  if (threshold_differs)
    g_ptr_array_add (parts, g_strdup (_("the decision threshold differs")));
  if (diff->training->len > 0)
    g_ptr_array_add (parts, g_strdup (_("the training settings differ")));
  if (n_moved > 0)
    g_ptr_array_add (parts, g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "the weights differ in %u tensor",
                   "the weights differ in %u tensors", n_moved), n_moved));
  if (diff->a->has_weights || diff->b->has_weights)
    g_ptr_array_add (parts, g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%u of %u tensor loadable",
                   "%u of %u tensors loadable", diff->n_tensors),
      diff->n_tensors_loadable, diff->n_tensors));
  else if (diff->n_tensors_loadable < diff->n_tensors)
    g_ptr_array_add (parts, g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%u of %u tensor keeps its shape",
                   "%u of %u tensors keep their shape", diff->n_tensors),
      diff->n_tensors_loadable, diff->n_tensors));

  g_ptr_array_add (parts, NULL);
  {
    g_autofree char *joined = g_strjoinv (", ", (char **) parts->pdata);

    /* The first letter up: "3 layers differ, …", "The input size …". */
    if (joined[0] != '\0' && g_ascii_islower (joined[0]))
      joined[0] = g_ascii_toupper (joined[0]);

    return g_steal_pointer (&joined);
  }
}

const char *
cnv_diff_status_to_string (CnvDiffStatus status)
{
  switch (status)
    {
    case CNV_DIFF_SAME:
      return "same";
    case CNV_DIFF_CHANGED:
      return "changed";
    case CNV_DIFF_ADDED:
      return "added";
    case CNV_DIFF_REMOVED:
      return "removed";
    case CNV_DIFF_MOVED:
    default:
      return "moved";
    }
}

const char *
cnv_tensor_status_to_string (CnvTensorStatus status)
{
  switch (status)
    {
    case CNV_TENSOR_LOADABLE:
      return "loadable";
    case CNV_TENSOR_SHAPE_MISMATCH:
      return "shape-mismatch";
    case CNV_TENSOR_MISSING:
      return "missing";
    case CNV_TENSOR_UNEXPECTED:
    default:
      return "unexpected";
    }
}

/* ---- JSON ------------------------------------------------------------- */

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_fields_json (JsonBuilder *builder,
                 const char  *name,
                 GPtrArray   *fields)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < fields->len; i++)
    {
      const CnvDiffField *field = g_ptr_array_index (fields, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "field", field->field);
      add_string_or_null (builder, "a", field->a_value);
      add_string_or_null (builder, "b", field->b_value);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_layer_side_json (JsonBuilder          *builder,
                     const char           *name,
                     const CnvRecordLayer *layer,
                     int                   index)
{
  json_builder_set_member_name (builder, name);
  if (layer == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, index);
  add_string_or_null (builder, "id", layer->id);
  add_string_or_null (builder, "type", layer->type);
  json_builder_set_member_name (builder, "known");
  json_builder_add_boolean_value (builder, layer->known);
  json_builder_set_member_name (builder, "output");
  if (layer->output.channels > 0)
    {
      json_builder_begin_array (builder);
      json_builder_add_int_value (builder, layer->output.channels);
      if (!layer->output.flat)
        {
          json_builder_add_int_value (builder, layer->output.height);
          json_builder_add_int_value (builder, layer->output.width);
        }
      json_builder_end_array (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "parameters");
  json_builder_add_int_value (builder, (gint64) layer->n_params);
  json_builder_end_object (builder);
}

static void
add_tensor_side_json (JsonBuilder           *builder,
                      const char            *name,
                      const CnvRecordTensor *tensor)
{
  json_builder_set_member_name (builder, name);
  if (tensor == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "shape");
  json_builder_begin_array (builder);
  for (int d = 0; d < tensor->n_dims; d++)
    json_builder_add_int_value (builder, tensor->shape[d]);
  json_builder_end_array (builder);
  add_string_or_null (builder, "dtype", tensor->dtype);
  json_builder_end_object (builder);
}

static void
add_double_or_null (JsonBuilder *builder,
                    const char  *name,
                    double       value)
{
  json_builder_set_member_name (builder, name);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

JsonNode *
cnv_diff_to_json_node (const CnvDiff *diff)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *summary = cnv_diff_get_summary (diff);

  json_builder_begin_object (builder);
  add_string_or_null (builder, "a", diff->a->label);
  add_string_or_null (builder, "b", diff->b->label);
  json_builder_set_member_name (builder, "equal");
  json_builder_add_boolean_value (builder, cnv_diff_is_empty (diff));
  add_string_or_null (builder, "summary", summary);
  add_fields_json (builder, "input", diff->input);

  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < diff->layers->len; i++)
    {
      const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "status",
                          cnv_diff_status_to_string (row->status));
      add_layer_side_json (builder, "a_layer", row->a, row->a_index);
      add_layer_side_json (builder, "b_layer", row->b, row->b_index);
      json_builder_set_member_name (builder, "output_differs");
      json_builder_add_boolean_value (builder, row->output_differs);
      json_builder_set_member_name (builder, "params_differ");
      json_builder_add_boolean_value (builder, row->params_differ);
      add_fields_json (builder, "fields", row->fields);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "tensors");
  json_builder_begin_array (builder);
  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "name", row->name);
      add_string_or_null (builder, "status",
                          cnv_tensor_status_to_string (row->status));
      add_tensor_side_json (builder, "a_tensor", row->a);
      add_tensor_side_json (builder, "b_tensor", row->b);
      add_double_or_null (builder, "relative_l2", row->relative_l2);
      add_double_or_null (builder, "cosine", row->cosine);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_fields_json (builder, "preprocessing", diff->preprocessing);
  add_fields_json (builder, "classes", diff->classes);
  add_string_or_null (builder, "classes_explanation",
                      diff->classes_explanation);
  add_fields_json (builder, "training", diff->training);
  json_builder_set_member_name (builder, "optimizer_state_fits");
  json_builder_add_boolean_value (builder, diff->optimizer_state_fits);

  json_builder_set_member_name (builder, "mappings");
  json_builder_begin_array (builder);
  for (guint i = 0; i < diff->mappings->len; i++)
    {
      const CnvDiffIdMapping *mapping = g_ptr_array_index (diff->mappings, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "a", mapping->a_id);
      add_string_or_null (builder, "b", mapping->b_id);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "notices");
  json_builder_begin_object (builder);
  {
    const CnvModelRecord *sides[] = { diff->a, diff->b };
    const char *names[] = { "a", "b" };

    for (guint s = 0; s < 2; s++)
      {
        json_builder_set_member_name (builder, names[s]);
        json_builder_begin_array (builder);
        for (guint i = 0; i < sides[s]->notices->len; i++)
          json_builder_add_string_value (builder,
                                         g_ptr_array_index (sides[s]->notices,
                                                            i));
        if (!sides[s]->runnable)
          json_builder_add_string_value (builder, sides[s]->run_problem);
        json_builder_end_array (builder);
      }
  }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* ---- classes of a folder --------------------------------------------- */

char *
cnv_diff_explain_class_mapping (const CnvModelRecord *record,
                                const char * const   *folder_classes)
{
  guint n;
  gboolean has[2] = { FALSE, FALSE };

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (folder_classes != NULL, NULL);

  if (!record->has_classes)
    return NULL;

  n = g_strv_length ((char **) folder_classes);
  for (guint i = 0; i < n; i++)
    for (guint c = 0; c < 2; c++)
      if (g_str_equal (folder_classes[i], record->class_names[c]))
        has[c] = TRUE;

  if (!has[0] && !has[1])
    return g_strdup_printf (_("The folder has neither “%s” nor “%s” (the "
                              "positive class), the class folders the model "
                              "was trained with: its answers would be read "
                              "with the folder’s classes by position, and it "
                              "cannot be evaluated or trained on as it is."),
                            record->class_names[0], record->class_names[1]);
  if (!has[0] || !has[1])
    {
      const char *absent = !has[1] ? record->class_names[1]
                                   : record->class_names[0];

      return g_strdup_printf (_("The folder has no class folder “%s”, which "
                                "the model was trained with; it cannot be "
                                "evaluated or trained on as it is."),
                              absent);
    }

  /* Both names exist: Convolve reads the folder with the stored mapping,
   * whatever the folders sort to. */
  if (n == 2 && g_str_equal (folder_classes[0], record->class_names[0]))
    return NULL;

  if (n == 2)
    return g_strdup_printf (_("Sorted by name the folders would make “%s” "
                              "the positive class, but the model was trained "
                              "with “%s” as the positive class. Convolve "
                              "keeps the model’s mapping: “%s” stays "
                              "positive."),
                            folder_classes[1], record->class_names[1],
                            record->class_names[1]);

  return g_strdup_printf (_("The folder has %u class folders; the model "
                            "knows “%s” and “%s” (positive) and uses only "
                            "those two, with its own mapping."),
                          n, record->class_names[0], record->class_names[1]);
}

/* ---- partial load ----------------------------------------------------- */

/* The name in source of target's tensor name under the accepted
 * mapping: "conv1.weight" → "features_0.weight". */
static char *
mapped_name (const char         *name,
             const char * const *mapping)
{
  const char *dot = strchr (name, '.');
  gsize id_length = dot != NULL ? (gsize) (dot - name) : strlen (name);

  for (guint i = 0; mapping != NULL && mapping[i] != NULL
       && mapping[i + 1] != NULL; i += 2)
    if (strlen (mapping[i]) == id_length
        && strncmp (mapping[i], name, id_length) == 0)
      return g_strconcat (mapping[i + 1], dot != NULL ? dot : "", NULL);

  return g_strdup (name);
}

gboolean
cnv_classifier_load_matching (CnvClassifier        *target,
                              const CnvModelRecord *source,
                              const char * const   *mapping,
                              guint64               seed,
                              GPtrArray           **loaded,
                              GPtrArray           **skipped,
                              GError              **error)
{
  g_autoptr(GPtrArray) loaded_list = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) skipped_list = g_ptr_array_new_with_free_func (g_free);
  CnvRng rng;

  g_return_val_if_fail (target != NULL && target->model != NULL, FALSE);
  g_return_val_if_fail (source != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!source->has_weights)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_MISSING,
                   _("“%s” is a model description without weights; there is "
                     "nothing to load from it."), source->label);
      return FALSE;
    }

  /* Everything starts fresh; what matches is then copied over. */
  cnv_rng_init (&rng, seed);
  cnv_model_init_parameters (target->model, &rng);
  g_clear_pointer (&target->optimizer, cnv_optimizer_free);
  g_array_set_size (target->history, 0);

  for (guint i = 0; i < cnv_model_get_n_params (target->model); i++)
    {
      CnvParam *param = cnv_model_get_param (target->model, i);
      g_autofree char *name = mapped_name (param->name, mapping);
      const CnvRecordTensor *stored = find_tensor (source, name);
      g_autofree char *wanted = cnv_tensor_shape_string (param->value);

      if (stored == NULL || stored->value == NULL)
        {
          g_ptr_array_add (skipped_list, g_strdup_printf (
            _("%s: the file has no “%s”."), param->name, name));
          continue;
        }
      if (stored->value->size != param->value->size
          || stored->n_dims != param->value->ndim
          || memcmp (stored->shape, param->value->shape,
                     sizeof (int) * stored->n_dims) != 0)
        {
          g_autofree char *found = cnv_tensor_shape_string (stored->value);

          g_ptr_array_add (skipped_list, g_strdup_printf (
            _("%s: the stack needs %s, the file’s “%s” is %s."),
            param->name, wanted, name, found));
          continue;
        }

      memcpy (param->value->data, stored->value->data,
              param->value->size * sizeof (float));
      if (g_str_equal (name, param->name))
        g_ptr_array_add (loaded_list, g_strdup_printf ("%s %s", param->name,
                                                       wanted));
      else
        g_ptr_array_add (loaded_list, g_strdup_printf (
          /* Translators: "conv1.weight [8, 1, 5, 5] from features_0.weight" */
          _("%s %s from %s"), param->name, wanted, name));
    }

  if (loaded != NULL)
    *loaded = g_steal_pointer (&loaded_list);
  if (skipped != NULL)
    *skipped = g_steal_pointer (&skipped_list);

  return TRUE;
}
