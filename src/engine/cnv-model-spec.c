/* cnv-model-spec.c — the JSON model description and its shape check
 *
 * A CnvModelSpec is the model description of DESIGN.md as plain data.  This
 * file reads it from JSON (strictly: an unknown type or field is an error
 * naming it, and raw text is checked for absurd nesting before json-glib
 * sees it), writes it back with every field explicit, and infers every
 * layer's output shape.  The one idea: all the rules about which layer may
 * follow which live in one walk over the stack, cnv_model_spec_check (),
 * which lists every problem with a message that names the layer and says
 * what to change, and still gives each layer after a broken one the shape
 * it would have.  It also counts what a stack costs and builds the
 * editor's templates.  JSON text goes in and out through cnv-json.c, which
 * works around json-glib 1.6's faults.
 */
#define G_LOG_DOMAIN "cnv-model-spec"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cnv-json.h"
#include "cnv-model.h"

/* Caps that keep a description from a file from asking for absurd memory. */
#define MAX_INPUT_SIDE        4096
#define MAX_INPUT_CHANNELS    64
#define MAX_WIDTH             65536    /* filters, units */
#define MAX_KERNEL            1024
#define MAX_LAYERS            1024
#define MAX_SAMPLE_ELEMENTS   ((gsize) 1 << 26)
#define MAX_TENSOR_ELEMENTS   ((gsize) 1 << 28)

G_DEFINE_QUARK (cnv-model-error-quark, cnv_model_error)

typedef struct
{
  const char *name;
  const char *title;       /* translated when shown */
} KindInfo;

static const KindInfo kind_info[CNV_N_LAYER_KINDS] = {
  [CNV_LAYER_CONV2D]          = { "conv2d",          N_("Convolution") },
  [CNV_LAYER_MAX_POOL]        = { "max-pool",        N_("Max pooling") },
  [CNV_LAYER_AVG_POOL]        = { "avg-pool",        N_("Average pooling") },
  [CNV_LAYER_GLOBAL_AVG_POOL] = { "global-avg-pool", N_("Global average pooling") },
  [CNV_LAYER_BATCH_NORM]      = { "batch-norm",      N_("Batch normalization") },
  [CNV_LAYER_DROPOUT]         = { "dropout",         N_("Dropout") },
  [CNV_LAYER_FLATTEN]         = { "flatten",         N_("Flatten") },
  [CNV_LAYER_DENSE]           = { "dense",           N_("Dense") },
  [CNV_LAYER_RELU]            = { "relu",            N_("ReLU") },
  [CNV_LAYER_LEAKY_RELU]      = { "leaky-relu",      N_("Leaky ReLU") },
  [CNV_LAYER_SIGMOID]         = { "sigmoid",         N_("Sigmoid") },
  [CNV_LAYER_TANH]            = { "tanh",            N_("Tanh") },
  [CNV_LAYER_SOFTMAX]         = { "softmax",         N_("Softmax") },
};

/* name in lower case without "-", "_", spaces and a final "2d": how
 * PyTorch's, Keras's and our names of one layer come to agree. */
static char *
fold_kind_name (const char *name)
{
  GString *folded = g_string_new (NULL);

  for (const char *c = name; *c != '\0'; c++)
    if (*c != '-' && *c != '_' && *c != ' ')
      g_string_append_c (folded, g_ascii_tolower (*c));
  if (g_str_has_suffix (folded->str, "2d"))
    g_string_truncate (folded, folded->len - 2);

  return g_string_free (folded, FALSE);
}

/* The type meant by an unknown one, when it is another tool's name of
 * it ("MaxPool2d", "Linear", "BatchNormalization") or ours spelt another
 * way; NULL when nothing is close. */
static const char *
suggest_kind (const char *type)
{
  static const struct
  {
    const char  *alias;   /* folded */
    CnvLayerKind kind;
  } aliases[] = {
    { "linear", CNV_LAYER_DENSE },
    { "fc", CNV_LAYER_DENSE },
    { "fullyconnected", CNV_LAYER_DENSE },
    { "batchnormalization", CNV_LAYER_BATCH_NORM },
    { "maxpooling", CNV_LAYER_MAX_POOL },
    { "averagepooling", CNV_LAYER_AVG_POOL },
    { "averagepool", CNV_LAYER_AVG_POOL },
    { "adaptiveavgpool", CNV_LAYER_GLOBAL_AVG_POOL },
    { "globalaveragepooling", CNV_LAYER_GLOBAL_AVG_POOL },
    { "convolution", CNV_LAYER_CONV2D },
  };
  g_autofree char *folded = fold_kind_name (type);

  for (int i = 0; i < CNV_N_LAYER_KINDS; i++)
    {
      g_autofree char *known = fold_kind_name (kind_info[i].name);

      if (strcmp (folded, known) == 0)
        return kind_info[i].name;
    }
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (strcmp (folded, aliases[i].alias) == 0)
      return kind_info[aliases[i].kind].name;

  return NULL;
}

/* "conv2d, max-pool, …, softmax" */
static char *
list_kinds (void)
{
  GString *list = g_string_new (NULL);

  for (int i = 0; i < CNV_N_LAYER_KINDS; i++)
    {
      if (i > 0)
        g_string_append (list, ", ");
      g_string_append (list, kind_info[i].name);
    }

  return g_string_free (list, FALSE);
}

const char *
cnv_layer_kind_to_string (CnvLayerKind kind)
{
  g_return_val_if_fail (kind < CNV_N_LAYER_KINDS, NULL);

  return kind_info[kind].name;
}

gboolean
cnv_layer_kind_from_string (const char   *name,
                            CnvLayerKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  if (name == NULL)
    return FALSE;

  for (int i = 0; i < CNV_N_LAYER_KINDS; i++)
    if (strcmp (name, kind_info[i].name) == 0)
      {
        *kind = (CnvLayerKind) i;
        return TRUE;
      }

  return FALSE;
}

const char *
cnv_layer_kind_get_title (CnvLayerKind kind)
{
  g_return_val_if_fail (kind < CNV_N_LAYER_KINDS, NULL);

  return _(kind_info[kind].title);
}

/* Fields that each kind accepts, besides "id" and "type". */
static gboolean
kind_has_field (CnvLayerKind  kind,
                const char   *field)
{
  switch (kind)
    {
    case CNV_LAYER_CONV2D:
      return g_str_equal (field, "filters") || g_str_equal (field, "kernel")
             || g_str_equal (field, "stride") || g_str_equal (field, "padding");
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
      return g_str_equal (field, "size") || g_str_equal (field, "stride")
             || g_str_equal (field, "padding");
    case CNV_LAYER_BATCH_NORM:
      return g_str_equal (field, "momentum") || g_str_equal (field, "epsilon");
    case CNV_LAYER_DROPOUT:
      return g_str_equal (field, "rate");
    case CNV_LAYER_DENSE:
      return g_str_equal (field, "units");
    case CNV_LAYER_LEAKY_RELU:
      return g_str_equal (field, "slope");
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      return FALSE;
    }
}

static void
layer_spec_init (CnvLayerSpec *layer,
                 CnvLayerKind  kind)
{
  memset (layer, 0, sizeof *layer);
  layer->kind = kind;
  layer->filters = 8;
  layer->units = 1;
  layer->kernel[0] = layer->kernel[1] = kind == CNV_LAYER_CONV2D ? 3 : 2;
  layer->stride[0] = layer->stride[1] = kind == CNV_LAYER_CONV2D ? 1 : 2;
  layer->padding = CNV_PADDING_VALID;
  layer->slope = 0.01f;
  layer->rate = 0.5f;
  layer->momentum = 0.1f;
  layer->epsilon = 1e-5f;
}

static void
add_layer (GArray       *layers,
           const char   *id,
           CnvLayerKind  kind,
           int           size,
           int           extra)
{
  CnvLayerSpec layer;

  layer_spec_init (&layer, kind);
  layer.id = g_strdup (id);

  if (kind == CNV_LAYER_CONV2D)
    {
      layer.filters = size;
      layer.kernel[0] = layer.kernel[1] = extra;
      layer.padding = CNV_PADDING_SAME;
    }
  else if (kind == CNV_LAYER_MAX_POOL)
    {
      layer.kernel[0] = layer.kernel[1] = size;
      layer.stride[0] = layer.stride[1] = size;
    }
  else if (kind == CNV_LAYER_DENSE)
    {
      layer.units = size;
    }

  g_array_append_val (layers, layer);
}

static CnvModelSpec *
spec_from_array (int     width,
                 int     height,
                 int     channels,
                 GArray *layers)
{
  CnvModelSpec *spec = g_new0 (CnvModelSpec, 1);

  spec->width = width;
  spec->height = height;
  spec->channels = channels;
  spec->n_layers = layers->len;
  spec->layers = (CnvLayerSpec *) (void *) g_array_free (layers, FALSE);

  return spec;
}

CnvModelSpec *
cnv_model_spec_new_default (void)
{
  GArray *layers = g_array_new (FALSE, TRUE, sizeof (CnvLayerSpec));

  /* 28×28×1 → [8,28,28] → [8,14,14] → [16,14,14] → [16,7,7] → 784 → 64 → 1:
   * 208 + 3,216 + 50,240 + 65 = 53,729 parameters. */
  add_layer (layers, "conv1", CNV_LAYER_CONV2D, 8, 5);
  add_layer (layers, "relu1", CNV_LAYER_RELU, 0, 0);
  add_layer (layers, "pool1", CNV_LAYER_MAX_POOL, 2, 0);
  add_layer (layers, "conv2", CNV_LAYER_CONV2D, 16, 5);
  add_layer (layers, "relu2", CNV_LAYER_RELU, 0, 0);
  add_layer (layers, "pool2", CNV_LAYER_MAX_POOL, 2, 0);
  add_layer (layers, "flatten", CNV_LAYER_FLATTEN, 0, 0);
  add_layer (layers, "fc1", CNV_LAYER_DENSE, 64, 0);
  add_layer (layers, "relu3", CNV_LAYER_RELU, 0, 0);
  add_layer (layers, "out", CNV_LAYER_DENSE, 1, 0);

  return spec_from_array (28, 28, 1, layers);
}

CnvModelSpec *
cnv_model_spec_copy (const CnvModelSpec *spec)
{
  CnvModelSpec *copy;

  g_return_val_if_fail (spec != NULL, NULL);

  copy = g_new0 (CnvModelSpec, 1);
  *copy = *spec;
  copy->layers = g_new0 (CnvLayerSpec, MAX (spec->n_layers, 1));
  for (guint i = 0; i < spec->n_layers; i++)
    {
      copy->layers[i] = spec->layers[i];
      copy->layers[i].id = g_strdup (spec->layers[i].id);
    }

  return copy;
}

void
cnv_model_spec_free (CnvModelSpec *spec)
{
  if (spec == NULL)
    return;

  for (guint i = 0; i < spec->n_layers; i++)
    g_free (spec->layers[i].id);
  g_free (spec->layers);
  g_free (spec);
}

/* Parsing */

gboolean
cnv_layer_id_is_valid (const char *id)
{
  if (id == NULL || *id == '\0')
    return FALSE;

  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;

  return TRUE;
}

/* Reads an integer in [min, max] from a JSON value node. */
static gboolean
read_int (JsonNode    *node,
          int          min,
          int          max,
          int         *out)
{
  gint64 value;

  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  value = json_node_get_int (node);
  if (value < min || value > max)
    return FALSE;

  *out = (int) value;
  return TRUE;
}

/* A number for a square or [height, width]. */
static gboolean
read_pair (JsonNode *node,
           int       max,
           int       out[2])
{
  JsonArray *array;

  if (read_int (node, 1, max, &out[0]))
    {
      out[1] = out[0];
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;

  array = json_node_get_array (node);
  if (json_array_get_length (array) != 2)
    return FALSE;

  return read_int (json_array_get_element (array, 0), 1, max, &out[0])
         && read_int (json_array_get_element (array, 1), 1, max, &out[1]);
}

static gboolean
read_float (JsonNode *node,
            double    min,
            double    max,
            gboolean  min_exclusive,
            float    *out)
{
  GType type;
  double value;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE)
    value = json_node_get_double (node);
  else if (type == G_TYPE_INT64)
    value = (double) json_node_get_int (node);
  else
    return FALSE;

  if (!isfinite (value) || value < min || value > max
      || (min_exclusive && value == min))
    return FALSE;

  *out = (float) value;
  return TRUE;
}

static gboolean
bad_field (GError     **error,
           const char  *id,
           const char  *field,
           const char  *expected)
{
  g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
               /* Translators: the first %s is a layer id, the second a
                * JSON field name, the third says what is allowed. */
               _("Layer “%s” has an invalid “%s”: it must be %s."),
               id, field, expected);
  return FALSE;
}

static gboolean
read_layer_field (CnvLayerSpec  *layer,
                  const char    *field,
                  JsonNode      *node,
                  GError       **error)
{
  const char *id = layer->id;

  if (g_str_equal (field, "filters"))
    {
      if (!read_int (node, 1, MAX_WIDTH, &layer->filters))
        return bad_field (error, id, field,
                          _("a whole number from 1 to 65536"));
    }
  else if (g_str_equal (field, "units"))
    {
      if (!read_int (node, 1, MAX_WIDTH, &layer->units))
        return bad_field (error, id, field,
                          _("a whole number from 1 to 65536"));
    }
  else if (g_str_equal (field, "kernel") || g_str_equal (field, "size"))
    {
      if (!read_pair (node, MAX_KERNEL, layer->kernel))
        return bad_field (error, id, field,
                          _("a whole number from 1 to 1024 or "
                            "[height, width]"));
    }
  else if (g_str_equal (field, "stride"))
    {
      if (!read_pair (node, MAX_KERNEL, layer->stride))
        return bad_field (error, id, field,
                          _("a whole number from 1 to 1024 or "
                            "[height, width]"));
    }
  else if (g_str_equal (field, "padding"))
    {
      const char *padding = JSON_NODE_HOLDS_VALUE (node)
                            ? json_node_get_string (node) : NULL;

      if (g_strcmp0 (padding, "same") == 0)
        layer->padding = CNV_PADDING_SAME;
      else if (g_strcmp0 (padding, "valid") == 0)
        layer->padding = CNV_PADDING_VALID;
      else
        return bad_field (error, id, field, _("“same” or “valid”"));
    }
  else if (g_str_equal (field, "momentum"))
    {
      if (!read_float (node, 0.0, 1.0, FALSE, &layer->momentum))
        return bad_field (error, id, field, _("a number from 0 to 1"));
    }
  else if (g_str_equal (field, "epsilon"))
    {
      if (!read_float (node, 0.0, 1.0, TRUE, &layer->epsilon))
        return bad_field (error, id, field,
                          _("a number above 0 and at most 1"));
    }
  else if (g_str_equal (field, "rate"))
    {
      if (!read_float (node, 0.0, 0.99, FALSE, &layer->rate))
        return bad_field (error, id, field, _("a number from 0 to 0.99"));
    }
  else if (g_str_equal (field, "slope"))
    {
      if (!read_float (node, 0.0, 1.0, FALSE, &layer->slope))
        return bad_field (error, id, field, _("a number from 0 to 1"));
    }
  else
    {
      g_assert_not_reached ();
    }

  return TRUE;
}

static gboolean
read_layer (JsonNode      *node,
            guint          index,
            CnvLayerSpec  *layer,
            GError       **error)
{
  JsonObject *object;
  JsonNode *id_node;
  JsonNode *type_node;
  const char *id;
  const char *type;
  CnvLayerKind kind;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("Layer %u of the model description is not a JSON "
                     "object."), index + 1);
      return FALSE;
    }

  object = json_node_get_object (node);
  id_node = json_object_get_member (object, "id");
  id = id_node != NULL && JSON_NODE_HOLDS_VALUE (id_node)
       ? json_node_get_string (id_node) : NULL;
  if (!cnv_layer_id_is_valid (id))
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("Layer %u has no valid “id”: give it a name made of "
                     "letters, digits, “_” and “-”."), index + 1);
      return FALSE;
    }

  type_node = json_object_get_member (object, "type");
  type = type_node != NULL && JSON_NODE_HOLDS_VALUE (type_node)
         ? json_node_get_string (type_node) : NULL;
  if (type == NULL)
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("Layer “%s” has no “type”."), id);
      return FALSE;
    }
  if (!cnv_layer_kind_from_string (type, &kind))
    {
      const char *meant = suggest_kind (type);
      g_autofree char *known = NULL;

      if (meant != NULL)
        g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_UNKNOWN_TYPE,
                     _("Layer “%s” has type “%s”, which Convolve does not "
                       "implement; did you mean “%s”?"), id, type, meant);
      else
        {
          known = list_kinds ();
          g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_UNKNOWN_TYPE,
                       _("Layer “%s” has type “%s”, which Convolve does not "
                         "implement; the types it knows are %s."), id, type,
                       known);
        }
      return FALSE;
    }

  layer_spec_init (layer, kind);
  layer->id = g_strdup (id);

  /* Pools default to a stride equal to their size, whichever order the
   * fields come in. */
  if (kind == CNV_LAYER_MAX_POOL || kind == CNV_LAYER_AVG_POOL)
    {
      JsonNode *size = json_object_get_member (object, "size");

      if (size != NULL && !read_layer_field (layer, "size", size, error))
        return FALSE;
      layer->stride[0] = layer->kernel[0];
      layer->stride[1] = layer->kernel[1];
    }

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *field = l->data;

      if (g_str_equal (field, "id") || g_str_equal (field, "type"))
        continue;

      if (!kind_has_field (kind, field))
        {
          g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                       _("Layer “%s” (%s) has an unknown field “%s”; "
                         "remove it."), id, type, field);
          return FALSE;
        }

      if (!read_layer_field (layer, field,
                             json_object_get_member (object, field), error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
read_input (JsonNode      *node,
            CnvModelSpec  *spec,
            GError       **error)
{
  JsonObject *object;
  g_autoptr(GList) members = NULL;
  gboolean seen[3] = { FALSE, FALSE, FALSE };

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                           _("The model description has no “input” object "
                             "with width, height and channels."));
      return FALSE;
    }

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *field = l->data;
      JsonNode *value = json_object_get_member (object, field);
      gboolean ok;

      if (g_str_equal (field, "width"))
        ok = seen[0] = read_int (value, 1, MAX_INPUT_SIDE, &spec->width);
      else if (g_str_equal (field, "height"))
        ok = seen[1] = read_int (value, 1, MAX_INPUT_SIDE, &spec->height);
      else if (g_str_equal (field, "channels"))
        ok = seen[2] = read_int (value, 1, MAX_INPUT_CHANNELS,
                                 &spec->channels);
      else
        {
          g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                       _("The model input has an unknown field “%s”; "
                         "remove it."), field);
          return FALSE;
        }

      if (!ok)
        {
          g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                       _("The model input has an invalid “%s”: it must be "
                         "a whole number from 1 to %d."), field,
                       g_str_equal (field, "channels") ? MAX_INPUT_CHANNELS
                                                       : MAX_INPUT_SIDE);
          return FALSE;
        }
    }

  if (!seen[0] || !seen[1] || !seen[2])
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("The model input lacks “%s”."),
                   !seen[0] ? "width" : !seen[1] ? "height" : "channels");
      return FALSE;
    }

  return TRUE;
}

CnvModelSpec *
cnv_model_spec_new_from_json_node (JsonNode  *node,
                                   GError   **error)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  JsonNode *layers_node;
  JsonArray *layers;
  guint n_layers;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                           _("The model description is not a JSON object."));
      return NULL;
    }

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "input") && !g_str_equal (l->data, "layers"))
      {
        g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                     _("The model description has an unknown field “%s”; "
                       "only “input” and “layers” are allowed."),
                     (const char *) l->data);
        return NULL;
      }

  layers_node = json_object_get_member (object, "layers");
  if (layers_node == NULL || !JSON_NODE_HOLDS_ARRAY (layers_node))
    {
      g_set_error_literal (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                           _("The model description has no “layers” list."));
      return NULL;
    }

  layers = json_node_get_array (layers_node);
  n_layers = json_array_get_length (layers);
  if (n_layers > MAX_LAYERS)
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("The model description has %u layers; at most %d are "
                     "supported."), n_layers, MAX_LAYERS);
      return NULL;
    }

  spec = g_new0 (CnvModelSpec, 1);
  if (!read_input (json_object_get_member (object, "input"), spec, error))
    return NULL;

  spec->layers = g_new0 (CnvLayerSpec, MAX (n_layers, 1));
  for (guint i = 0; i < n_layers; i++)
    {
      /* Count the layer first so that free () sees its id on failure. */
      spec->n_layers = i + 1;
      if (!read_layer (json_array_get_element (layers, i), i,
                       &spec->layers[i], error))
        return NULL;
    }

  return g_steal_pointer (&spec);
}

CnvModelSpec *
cnv_model_spec_new_from_json (const char  *json,
                              gssize       length,
                              GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* cnv_json_parse () refuses deep nesting before json-glib recurses. */
  root = cnv_json_parse (json, length, _("The model description"),
                         &local_error);
  if (root == NULL)
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID, "%s.",
                   local_error->message);
      return NULL;
    }

  return cnv_model_spec_new_from_json_node (root, error);
}

/* Writing */

static void
add_pair (JsonBuilder *builder,
          const char  *name,
          const int    pair[2])
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  json_builder_add_int_value (builder, pair[0]);
  json_builder_add_int_value (builder, pair[1]);
  json_builder_end_array (builder);
}

/* Written so that 0.1f reads "0.1", not "0.10000000149011612". */
static void
add_float (JsonBuilder *builder,
           const char  *name,
           float        value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, cnv_json_float (value));
}

static void
add_layer_json (JsonBuilder        *builder,
                const CnvLayerSpec *layer)
{
  const char *padding = layer->padding == CNV_PADDING_SAME ? "same" : "valid";

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, layer->id);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, cnv_layer_kind_to_string (layer->kind));

  switch (layer->kind)
    {
    case CNV_LAYER_CONV2D:
      json_builder_set_member_name (builder, "filters");
      json_builder_add_int_value (builder, layer->filters);
      add_pair (builder, "kernel", layer->kernel);
      add_pair (builder, "stride", layer->stride);
      json_builder_set_member_name (builder, "padding");
      json_builder_add_string_value (builder, padding);
      break;
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
      add_pair (builder, "size", layer->kernel);
      add_pair (builder, "stride", layer->stride);
      json_builder_set_member_name (builder, "padding");
      json_builder_add_string_value (builder, padding);
      break;
    case CNV_LAYER_BATCH_NORM:
      add_float (builder, "momentum", layer->momentum);
      add_float (builder, "epsilon", layer->epsilon);
      break;
    case CNV_LAYER_DROPOUT:
      add_float (builder, "rate", layer->rate);
      break;
    case CNV_LAYER_DENSE:
      json_builder_set_member_name (builder, "units");
      json_builder_add_int_value (builder, layer->units);
      break;
    case CNV_LAYER_LEAKY_RELU:
      add_float (builder, "slope", layer->slope);
      break;
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      break;
    }

  json_builder_end_object (builder);
}

JsonNode *
cnv_model_spec_to_json_node (const CnvModelSpec *spec)
{
  g_autoptr(JsonBuilder) builder = NULL;

  g_return_val_if_fail (spec != NULL, NULL);

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "input");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, spec->width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, spec->height);
  json_builder_set_member_name (builder, "channels");
  json_builder_add_int_value (builder, spec->channels);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < spec->n_layers; i++)
    add_layer_json (builder, &spec->layers[i]);
  json_builder_end_array (builder);

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

char *
cnv_model_spec_to_json (const CnvModelSpec *spec,
                        gboolean            pretty)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (spec != NULL, NULL);

  root = cnv_model_spec_to_json_node (spec);

  return cnv_json_to_string (root, pretty);
}

static gboolean
layer_spec_equal (const CnvLayerSpec *a,
                  const CnvLayerSpec *b)
{
  gboolean windowed;

  if (g_strcmp0 (a->id, b->id) != 0 || a->kind != b->kind)
    return FALSE;

  windowed = a->kind == CNV_LAYER_CONV2D || a->kind == CNV_LAYER_MAX_POOL
             || a->kind == CNV_LAYER_AVG_POOL;
  if (windowed
      && (a->kernel[0] != b->kernel[0] || a->kernel[1] != b->kernel[1]
          || a->stride[0] != b->stride[0] || a->stride[1] != b->stride[1]
          || a->padding != b->padding))
    return FALSE;

  switch (a->kind)
    {
    case CNV_LAYER_CONV2D:
      return a->filters == b->filters;
    case CNV_LAYER_DENSE:
      return a->units == b->units;
    case CNV_LAYER_BATCH_NORM:
      return a->momentum == b->momentum && a->epsilon == b->epsilon;
    case CNV_LAYER_DROPOUT:
      return a->rate == b->rate;
    case CNV_LAYER_LEAKY_RELU:
      return a->slope == b->slope;
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      return TRUE;
    }
}

gboolean
cnv_model_spec_equal (const CnvModelSpec *a,
                      const CnvModelSpec *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (a->width != b->width || a->height != b->height
      || a->channels != b->channels || a->n_layers != b->n_layers)
    return FALSE;

  for (guint i = 0; i < a->n_layers; i++)
    if (!layer_spec_equal (&a->layers[i], &b->layers[i]))
      return FALSE;

  return TRUE;
}

/* Shape inference and validation */

void
cnv_model_problem_free (CnvModelProblem *problem)
{
  if (problem == NULL)
    return;

  g_free (problem->message);
  g_free (problem);
}

CnvModelError
cnv_model_problem_kind_to_error (CnvModelProblemKind kind)
{
  switch (kind)
    {
    case CNV_MODEL_PROBLEM_INVALID_ID:
    case CNV_MODEL_PROBLEM_DUPLICATE_ID:
      return CNV_MODEL_ERROR_INVALID;
    case CNV_MODEL_PROBLEM_EMPTY:
    case CNV_MODEL_PROBLEM_HEAD:
    case CNV_MODEL_PROBLEM_SIGMOID_HEAD:
    case CNV_MODEL_PROBLEM_SOFTMAX_ONE:
      return CNV_MODEL_ERROR_HEAD;
    case CNV_MODEL_PROBLEM_INPUT:
    case CNV_MODEL_PROBLEM_TOO_MANY_LAYERS:
    case CNV_MODEL_PROBLEM_PARAMETER:
    case CNV_MODEL_PROBLEM_WINDOW_TOO_LARGE:
    case CNV_MODEL_PROBLEM_COLLAPSE:
    case CNV_MODEL_PROBLEM_NEEDS_FLATTEN:
    case CNV_MODEL_PROBLEM_AFTER_FLATTEN:
    case CNV_MODEL_PROBLEM_LAYER_TOO_LARGE:
    case CNV_MODEL_PROBLEM_MEMORY:
    default:
      return CNV_MODEL_ERROR_SHAPE;
    }
}

static void add_problem (GPtrArray           *problems,
                         int                  layer,
                         CnvModelProblemKind  kind,
                         const char          *format,
                         ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (GPtrArray           *problems,
             int                  layer,
             CnvModelProblemKind  kind,
             const char          *format,
             ...)
{
  CnvModelProblem *problem = g_new0 (CnvModelProblem, 1);
  va_list args;

  va_start (args, format);
  problem->message = g_strdup_vprintf (format, args);
  va_end (args);
  problem->layer = layer;
  problem->kind = kind;
  g_ptr_array_add (problems, problem);
}

static gboolean
shape_known (const CnvShape *shape)
{
  return shape->channels > 0 && shape->height > 0 && shape->width > 0;
}

static void
set_unknown (CnvShape *shape)
{
  memset (shape, 0, sizeof *shape);
}

/* One side of a sliding window.  "same" pads so that the output is
 * ceil (in / stride), like TensorFlow and PyTorch's padding="same"; when
 * the padding is odd the extra row or column goes to the bottom or right.
 * "valid" pads nothing: floor ((in - k) / stride) + 1.  A "valid" window
 * larger than its input gets the "same" size here: the best-effort size
 * of a broken layer, which its problem reports, chosen so that the layers
 * after it do not report the same fault again. */
static int
window_output (int        in,
               int        kernel,
               int        stride,
               CnvPadding padding)
{
  if (padding == CNV_PADDING_SAME || kernel > in)
    return (in + stride - 1) / stride;

  return (in - kernel) / stride + 1;
}

/* Convolution and pooling: a sliding window over feature maps. */
static void
infer_window (const CnvModelSpec *spec,
              guint               index,
              const CnvShape     *in,
              CnvShape           *out,
              GPtrArray          *problems)
{
  const CnvLayerSpec *layer = &spec->layers[index];
  const char *what = layer->kind == CNV_LAYER_CONV2D ? _("kernel")
                                                      : _("window");

  set_unknown (out);

  if (in->flat)
    {
      add_problem (problems, (int) index, CNV_MODEL_PROBLEM_AFTER_FLATTEN,
                   _("Layer “%s” (%s) needs feature maps but comes after a "
                     "flatten or dense layer; move it before the flatten "
                     "layer."), layer->id,
                   cnv_layer_kind_get_title (layer->kind));
      return;
    }

  if (layer->kind == CNV_LAYER_CONV2D
      && (layer->filters < 1 || layer->filters > MAX_WIDTH))
    {
      add_problem (problems, (int) index, CNV_MODEL_PROBLEM_PARAMETER,
                   _("Layer “%s” must have 1 to %d filters."),
                   layer->id, MAX_WIDTH);
      return;
    }

  if (layer->kernel[0] < 1 || layer->kernel[1] < 1
      || layer->stride[0] < 1 || layer->stride[1] < 1
      || layer->kernel[0] > MAX_KERNEL || layer->kernel[1] > MAX_KERNEL
      || layer->stride[0] > MAX_KERNEL || layer->stride[1] > MAX_KERNEL)
    {
      add_problem (problems, (int) index, CNV_MODEL_PROBLEM_PARAMETER,
                   _("Layer “%s” has a %s or stride outside 1 to %d."),
                   layer->id, what, MAX_KERNEL);
      return;
    }

  if (!shape_known (in))
    return;

  /* "same" pads every window to a real cell, whatever its size. */
  if (layer->padding == CNV_PADDING_VALID
      && (layer->kernel[0] > in->height || layer->kernel[1] > in->width))
    {
      if (in->height < spec->height || in->width < spec->width)
        add_problem (problems, (int) index, CNV_MODEL_PROBLEM_COLLAPSE,
                     _("Layer “%s” has a %d×%d %s but the layers before it "
                       "shrink the image to only %d×%d, so its output would "
                       "collapse to nothing; remove a pooling layer before "
                       "it or use a smaller %s."),
                     layer->id, layer->kernel[0], layer->kernel[1], what,
                     in->height, in->width, what);
      else
        add_problem (problems, (int) index,
                     CNV_MODEL_PROBLEM_WINDOW_TOO_LARGE,
                     _("Layer “%s” has a %d×%d %s but its input is only "
                       "%d×%d, so its output would collapse to nothing; use "
                       "a smaller %s or a larger input."),
                     layer->id, layer->kernel[0], layer->kernel[1], what,
                     in->height, in->width, what);
    }

  out->height = window_output (in->height, layer->kernel[0],
                               layer->stride[0], layer->padding);
  out->width = window_output (in->width, layer->kernel[1],
                              layer->stride[1], layer->padding);
  out->channels = layer->kind == CNV_LAYER_CONV2D ? layer->filters
                                                  : in->channels;
}

static void
infer_dense (const CnvModelSpec *spec,
             guint               index,
             const CnvShape     *in,
             CnvShape           *out,
             GPtrArray          *problems)
{
  const CnvLayerSpec *layer = &spec->layers[index];

  set_unknown (out);

  if (layer->units < 1 || layer->units > MAX_WIDTH)
    {
      add_problem (problems, (int) index, CNV_MODEL_PROBLEM_PARAMETER,
                   _("Layer “%s” must have 1 to %d units."),
                   layer->id, MAX_WIDTH);
      return;
    }

  /* Without a flatten the output is still [units]: the layers after it
   * get a shape, and only this one is reported. */
  if (shape_known (in) && !in->flat)
    add_problem (problems, (int) index, CNV_MODEL_PROBLEM_NEEDS_FLATTEN,
                 _("Layer “%s” (dense) needs a flat input but receives "
                   "feature maps of %d×%d×%d; add a flatten layer "
                   "before it."), layer->id, in->channels,
                 in->height, in->width);

  out->channels = layer->units;
  out->height = out->width = 1;
  out->flat = TRUE;
}

static void
infer_shape (const CnvModelSpec *spec,
             guint               index,
             const CnvShape     *in,
             CnvShape           *out,
             GPtrArray          *problems)
{
  const CnvLayerSpec *layer = &spec->layers[index];

  *out = *in;

  switch (layer->kind)
    {
    case CNV_LAYER_CONV2D:
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
      infer_window (spec, index, in, out, problems);
      break;

    case CNV_LAYER_GLOBAL_AVG_POOL:
      if (in->flat)
        {
          add_problem (problems, (int) index,
                       CNV_MODEL_PROBLEM_AFTER_FLATTEN,
                       _("Layer “%s” (global average pooling) needs "
                         "feature maps but comes after a flatten or dense "
                         "layer; move it before the flatten layer."),
                       layer->id);
          set_unknown (out);
        }
      else if (shape_known (in))
        out->height = out->width = 1;
      break;

    case CNV_LAYER_FLATTEN:
      if (shape_known (in))
        {
          gsize features = (gsize) in->channels * (gsize) in->height
                           * (gsize) in->width;

          out->channels = (int) MIN (features, (gsize) G_MAXINT);
          out->height = out->width = 1;
          out->flat = TRUE;
        }
      break;

    case CNV_LAYER_DENSE:
      infer_dense (spec, index, in, out, problems);
      break;

    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_DROPOUT:
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
      break;

    case CNV_LAYER_SOFTMAX:
      if (shape_known (in) && in->channels == 1)
        add_problem (problems, (int) index, CNV_MODEL_PROBLEM_SOFTMAX_ONE,
                     in->flat
                     ? _("Layer “%s” (softmax) normalises a single value, "
                         "which always gives 1, so every image would get "
                         "the same answer; remove it: the loss and the "
                         "prediction apply a sigmoid to the logit "
                         "themselves.")
                     : _("Layer “%s” (softmax) normalises over a single "
                         "channel, which always gives 1; remove it or put "
                         "it after a layer with more channels."),
                     layer->id);
      break;

    case CNV_N_LAYER_KINDS:
    default:
      add_problem (problems, (int) index, CNV_MODEL_PROBLEM_PARAMETER,
                   _("Layer “%s” has a type Convolve does not implement."),
                   layer->id);
      set_unknown (out);
      break;
    }
}

static void
check_sizes (const CnvModelSpec *spec,
             guint               index,
             const CnvShape     *in,
             const CnvShape     *out,
             GPtrArray          *problems)
{
  const CnvLayerSpec *layer = &spec->layers[index];
  gsize elements = (gsize) out->channels * (gsize) out->height
                   * (gsize) out->width;
  gsize weights = 0;

  if (!shape_known (in) || !shape_known (out))
    return;

  if (layer->kind == CNV_LAYER_CONV2D)
    {
      gsize patch = (gsize) in->channels * (gsize) layer->kernel[0]
                    * (gsize) layer->kernel[1];

      weights = (gsize) layer->filters * patch;
      /* The im2col matrix of one image: [C*KH*KW, OH*OW]. */
      elements = MAX (elements,
                      patch * (gsize) out->height * (gsize) out->width);
    }
  else if (layer->kind == CNV_LAYER_DENSE)
    weights = (gsize) layer->units * (gsize) in->channels;

  if (elements > MAX_SAMPLE_ELEMENTS || weights > MAX_TENSOR_ELEMENTS)
    add_problem (problems, (int) index, CNV_MODEL_PROBLEM_LAYER_TOO_LARGE,
                 _("Layer “%s” is too large for Convolve; use fewer "
                   "filters or units, or a smaller input."), layer->id);
}

static void
check_head (const CnvModelSpec *spec,
            GPtrArray          *problems)
{
  const CnvLayerSpec *last;
  int index;

  if (spec->n_layers == 0)
    {
      add_problem (problems, -1, CNV_MODEL_PROBLEM_EMPTY, "%s",
                   _("The model has no layers; it must end with a "
                     "dense layer of 1 unit."));
      return;
    }

  index = (int) spec->n_layers - 1;
  last = &spec->layers[index];

  /* A softmax over the logit has said why already. */
  for (guint i = 0; i < problems->len; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);

      if (problem->layer == index
          && problem->kind == CNV_MODEL_PROBLEM_SOFTMAX_ONE)
        return;
    }

  if (last->kind == CNV_LAYER_SIGMOID)
    add_problem (problems, index, CNV_MODEL_PROBLEM_SIGMOID_HEAD,
                 _("Layer “%s” (sigmoid) comes after the output; remove "
                   "it: the loss and the prediction apply the sigmoid to "
                   "the logit of the last dense layer themselves."),
                 last->id);
  else if (last->kind != CNV_LAYER_DENSE)
    add_problem (problems, index, CNV_MODEL_PROBLEM_HEAD,
                 _("The last layer “%s” is %s; a binary classifier must "
                   "end with a dense layer of 1 unit."), last->id,
                 cnv_layer_kind_get_title (last->kind));
  else if (last->units != 1)
    add_problem (problems, index, CNV_MODEL_PROBLEM_HEAD,
                 _("The last layer “%s” has %d units; a binary classifier "
                   "gives one logit, so set it to 1 unit."), last->id,
                 last->units);
}

static void
check_ids (const CnvModelSpec *spec,
           GPtrArray          *problems)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const char *id = spec->layers[i].id;

      if (id == NULL || *id == '\0')
        add_problem (problems, (int) i, CNV_MODEL_PROBLEM_INVALID_ID,
                     _("Layer %u has no id; give it a name made of "
                       "letters, digits, “_” and “-”."), i + 1);
      else if (!cnv_layer_id_is_valid (id))
        add_problem (problems, (int) i, CNV_MODEL_PROBLEM_INVALID_ID,
                     _("Layer %u has the id “%s”; use a name made of "
                       "letters, digits, “_” and “-”."), i + 1, id);
      else if (!g_hash_table_add (ids, (gpointer) id))
        add_problem (problems, (int) i, CNV_MODEL_PROBLEM_DUPLICATE_ID,
                     _("Two layers have the id “%s” (the second is layer "
                       "%u); rename one of them."), id, i + 1);
    }
}

/* The order of the problems is the order of the old first-error checks:
 * input, ids, then layer by layer, then the head. */
gboolean
cnv_model_spec_check (const CnvModelSpec  *spec,
                      CnvShape            *shapes,
                      GPtrArray          **problems)
{
  g_autoptr(GPtrArray) found = NULL;
  CnvShape in;
  gboolean valid;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (spec->n_layers == 0 || spec->layers != NULL, FALSE);

  found = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                          cnv_model_problem_free);

  set_unknown (&in);
  if (spec->width < 1 || spec->width > MAX_INPUT_SIDE
      || spec->height < 1 || spec->height > MAX_INPUT_SIDE
      || spec->channels < 1 || spec->channels > MAX_INPUT_CHANNELS)
    add_problem (found, -1, CNV_MODEL_PROBLEM_INPUT,
                 _("The model input %d×%d×%d is out of range; width and "
                   "height must be 1 to %d and channels 1 to %d."),
                 spec->width, spec->height, spec->channels,
                 MAX_INPUT_SIDE, MAX_INPUT_CHANNELS);

  if (spec->width >= 1 && spec->height >= 1 && spec->channels >= 1)
    {
      in.channels = spec->channels;
      in.height = spec->height;
      in.width = spec->width;
    }

  if (spec->n_layers > MAX_LAYERS)
    {
      add_problem (found, -1, CNV_MODEL_PROBLEM_TOO_MANY_LAYERS,
                   _("The model has %u layers; at most %d are supported."),
                   spec->n_layers, MAX_LAYERS);
      if (shapes != NULL)
        memset (shapes, 0, spec->n_layers * sizeof *shapes);
    }
  else
    {
      check_ids (spec, found);

      for (guint i = 0; i < spec->n_layers; i++)
        {
          CnvShape out;

          infer_shape (spec, i, &in, &out, found);
          check_sizes (spec, i, &in, &out, found);

          if (shapes != NULL)
            shapes[i] = out;
          in = out;
        }

      check_head (spec, found);
    }

  valid = found->len == 0;
  if (problems != NULL)
    *problems = g_steal_pointer (&found);

  return valid;
}

gboolean
cnv_model_spec_validate (const CnvModelSpec  *spec,
                         CnvShape            *shapes,
                         GError             **error)
{
  g_autoptr(GPtrArray) problems = NULL;
  const CnvModelProblem *first;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (cnv_model_spec_check (spec, shapes, &problems))
    return TRUE;

  first = g_ptr_array_index (problems, 0);
  g_set_error_literal (error, CNV_MODEL_ERROR,
                       cnv_model_problem_kind_to_error (first->kind),
                       first->message);
  return FALSE;
}

gsize
cnv_layer_spec_count_parameters (const CnvLayerSpec *layer,
                                 const CnvShape     *input)
{
  g_return_val_if_fail (layer != NULL, 0);
  g_return_val_if_fail (input != NULL, 0);

  switch (layer->kind)
    {
    case CNV_LAYER_CONV2D:
      return (gsize) layer->filters * (gsize) input->channels
             * (gsize) layer->kernel[0] * (gsize) layer->kernel[1]
             + (gsize) layer->filters;
    case CNV_LAYER_DENSE:
      /* A flat input keeps its feature count in channels. */
      return (gsize) layer->units * (gsize) input->channels
             * (gsize) input->height * (gsize) input->width
             + (gsize) layer->units;
    case CNV_LAYER_BATCH_NORM:
      return 2 * (gsize) input->channels;
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_DROPOUT:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX:
    case CNV_N_LAYER_KINDS:
    default:
      return 0;
    }
}

/* Costs */

static guint64
mul_sat (guint64 a,
         guint64 b)
{
  guint64 product;

  return g_uint64_checked_mul (&product, a, b) ? product : G_MAXUINT64;
}

static guint64
add_sat (guint64 a,
         guint64 b)
{
  guint64 sum;

  return g_uint64_checked_add (&sum, a, b) ? sum : G_MAXUINT64;
}

static guint64
shape_elements (const CnvShape *shape)
{
  if (!shape_known (shape))
    return 0;

  return mul_sat (mul_sat ((guint64) shape->channels,
                           (guint64) shape->height), (guint64) shape->width);
}

static guint64
layer_multiply_adds (const CnvLayerSpec *layer,
                     const CnvShape     *in,
                     const CnvShape     *out)
{
  if (!shape_known (in) || !shape_known (out))
    return 0;

  /* conv: every output cell of every filter is a dot product over a
   * C·KH·KW patch; dense: in·out. */
  if (layer->kind == CNV_LAYER_CONV2D)
    return mul_sat (mul_sat (shape_elements (out), (guint64) in->channels),
                    mul_sat ((guint64) layer->kernel[0],
                             (guint64) layer->kernel[1]));
  if (layer->kind == CNV_LAYER_DENSE)
    return mul_sat (shape_elements (in), (guint64) layer->units);

  return 0;
}

void
cnv_model_spec_get_costs (const CnvModelSpec *spec,
                          int                 batch_size,
                          CnvModelCosts      *costs)
{
  g_autofree CnvShape *shapes = NULL;
  CnvShape in = { 0, 0, 0, FALSE };
  guint64 elements;

  g_return_if_fail (spec != NULL);
  g_return_if_fail (batch_size >= 1);
  g_return_if_fail (costs != NULL);

  memset (costs, 0, sizeof *costs);
  costs->batch_size = batch_size;
  costs->n_layers = spec->n_layers;
  costs->layers = g_new0 (CnvLayerCosts, MAX (spec->n_layers, 1));
  shapes = g_new0 (CnvShape, MAX (spec->n_layers, 1));
  cnv_model_spec_check (spec, shapes, NULL);

  if (spec->width >= 1 && spec->height >= 1 && spec->channels >= 1)
    {
      in.channels = spec->channels;
      in.height = spec->height;
      in.width = spec->width;
    }
  elements = shape_elements (&in);

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const CnvLayerSpec *layer = &spec->layers[i];
      CnvLayerCosts *layer_costs = &costs->layers[i];

      if (shape_known (&in)
          && (layer->kind != CNV_LAYER_CONV2D || shape_known (&shapes[i])))
        layer_costs->parameters = cnv_layer_spec_count_parameters (layer,
                                                                   &in);
      layer_costs->multiply_adds = layer_multiply_adds (layer, &in,
                                                        &shapes[i]);
      layer_costs->weight_bytes = mul_sat (layer_costs->parameters, 4);
      layer_costs->activation_bytes =
        mul_sat (mul_sat (shape_elements (&shapes[i]), 4),
                 (guint64) batch_size);

      costs->parameters += layer_costs->parameters;
      costs->multiply_adds = add_sat (costs->multiply_adds,
                                      layer_costs->multiply_adds);
      elements = add_sat (elements, shape_elements (&shapes[i]));
      in = shapes[i];
    }

  /* Bytes: 4 per float32; the input counts as an activation too. */
  costs->weight_bytes = mul_sat (costs->parameters, 4);
  costs->activation_bytes = mul_sat (mul_sat (elements, 4),
                                     (guint64) batch_size);
  costs->training_activation_bytes = mul_sat (costs->activation_bytes, 2);
  /* weights + gradients + Adam's two moments = 4 copies of the weights. */
  costs->training_bytes = add_sat (mul_sat (costs->weight_bytes, 4),
                                   costs->training_activation_bytes);
}

void
cnv_model_costs_clear (CnvModelCosts *costs)
{
  if (costs == NULL)
    return;

  g_clear_pointer (&costs->layers, g_free);
  memset (costs, 0, sizeof *costs);
}

guint64
cnv_get_physical_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES);
  long page_size = sysconf (_SC_PAGESIZE);

  if (pages <= 0 || page_size <= 0)
    return 0;

  return mul_sat ((guint64) pages, (guint64) page_size);
}

gboolean
cnv_model_spec_check_memory (const CnvModelSpec *spec,
                             int                 batch_size,
                             guint64             available_bytes,
                             GPtrArray          *problems)
{
  g_auto(CnvModelCosts) costs = { 0, };
  g_autofree char *needed = NULL;
  g_autofree char *available = NULL;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (batch_size >= 1, FALSE);

  if (available_bytes == 0)
    available_bytes = cnv_get_physical_memory ();
  if (available_bytes == 0)
    return TRUE;

  cnv_model_spec_get_costs (spec, batch_size, &costs);
  if (costs.training_bytes <= available_bytes)
    return TRUE;

  if (problems != NULL)
    {
      needed = g_format_size (costs.training_bytes);
      available = g_format_size (available_bytes);
      add_problem (problems, -1, CNV_MODEL_PROBLEM_MEMORY,
                   _("Training this stack with batches of %d needs about "
                     "%s of memory but only %s is available; use a smaller "
                     "batch size, fewer filters or units, or a smaller "
                     "input."), batch_size, needed, available);
    }

  return FALSE;
}

/* Templates */

typedef struct
{
  const char *name;
  const char *title;
  const char *description;
} TemplateInfo;

static const TemplateInfo template_info[CNV_N_MODEL_TEMPLATES] = {
  [CNV_TEMPLATE_EMPTY] = {
    "empty", N_("Empty"),
    N_("No layers yet: add them one by one, ending with a dense layer of "
       "1 unit."),
  },
  [CNV_TEMPLATE_TINY] = {
    "tiny", N_("Tiny"),
    N_("One small convolution and a single output for a quick first try "
       "on 28×28 grey images."),
  },
  [CNV_TEMPLATE_LENET] = {
    "lenet", N_("LeNet"),
    N_("Two convolutions with pooling and two dense layers: a sound start "
       "for small grey images."),
  },
  [CNV_TEMPLATE_SMALL_VGG] = {
    "small-vgg", N_("Small VGG"),
    N_("Three blocks of paired 3×3 convolutions for 64×64 colour images; "
       "slower to train, sees more."),
  },
};

const char *
cnv_model_template_get_title (CnvModelTemplate template_)
{
  g_return_val_if_fail (template_ < CNV_N_MODEL_TEMPLATES, NULL);

  return _(template_info[template_].title);
}

const char *
cnv_model_template_get_description (CnvModelTemplate template_)
{
  g_return_val_if_fail (template_ < CNV_N_MODEL_TEMPLATES, NULL);

  return _(template_info[template_].description);
}

const char *
cnv_model_template_to_string (CnvModelTemplate template_)
{
  g_return_val_if_fail (template_ < CNV_N_MODEL_TEMPLATES, NULL);

  return template_info[template_].name;
}

static CnvModelSpec *
new_small_vgg (void)
{
  GArray *layers = g_array_new (FALSE, TRUE, sizeof (CnvLayerSpec));
  static const int widths[3] = { 32, 64, 128 };
  int n = 0;

  /* 64×64×3 → [32,64,64] → [32,32,32] → [64,32,32] → [64,16,16]
   * → [128,16,16] → [128,8,8] → 8192 → 128 → 1: 1,335,841 parameters. */
  for (int block = 0; block < 3; block++)
    {
      g_autofree char *pool = g_strdup_printf ("pool%d", block + 1);

      for (int k = 0; k < 2; k++)
        {
          g_autofree char *conv = NULL;
          g_autofree char *relu = NULL;

          n++;
          conv = g_strdup_printf ("conv%d", n);
          relu = g_strdup_printf ("relu%d", n);
          add_layer (layers, conv, CNV_LAYER_CONV2D, widths[block], 3);
          add_layer (layers, relu, CNV_LAYER_RELU, 0, 0);
        }
      add_layer (layers, pool, CNV_LAYER_MAX_POOL, 2, 0);
    }
  add_layer (layers, "flatten", CNV_LAYER_FLATTEN, 0, 0);
  add_layer (layers, "fc1", CNV_LAYER_DENSE, 128, 0);
  add_layer (layers, "relu7", CNV_LAYER_RELU, 0, 0);
  add_layer (layers, "drop1", CNV_LAYER_DROPOUT, 0, 0);
  add_layer (layers, "out", CNV_LAYER_DENSE, 1, 0);

  return spec_from_array (64, 64, 3, layers);
}

CnvModelSpec *
cnv_model_spec_new_template (CnvModelTemplate template_)
{
  GArray *layers;

  g_return_val_if_fail (template_ < CNV_N_MODEL_TEMPLATES, NULL);

  switch (template_)
    {
    case CNV_TEMPLATE_EMPTY:
      layers = g_array_new (FALSE, TRUE, sizeof (CnvLayerSpec));
      return spec_from_array (28, 28, 1, layers);

    case CNV_TEMPLATE_TINY:
      /* 28×28×1 → [4,28,28] → [4,14,14] → 784 → 1: 40 + 785 = 825. */
      layers = g_array_new (FALSE, TRUE, sizeof (CnvLayerSpec));
      add_layer (layers, "conv1", CNV_LAYER_CONV2D, 4, 3);
      add_layer (layers, "relu1", CNV_LAYER_RELU, 0, 0);
      add_layer (layers, "pool1", CNV_LAYER_MAX_POOL, 2, 0);
      add_layer (layers, "flatten", CNV_LAYER_FLATTEN, 0, 0);
      add_layer (layers, "out", CNV_LAYER_DENSE, 1, 0);
      return spec_from_array (28, 28, 1, layers);

    case CNV_TEMPLATE_LENET:
      return cnv_model_spec_new_default ();

    case CNV_TEMPLATE_SMALL_VGG:
      return new_small_vgg ();

    case CNV_N_MODEL_TEMPLATES:
    default:
      g_assert_not_reached ();
    }
}

void
cnv_layer_spec_init_defaults (CnvLayerSpec *layer,
                              CnvLayerKind  kind)
{
  g_return_if_fail (layer != NULL);
  g_return_if_fail (kind < CNV_N_LAYER_KINDS);

  /* What a practitioner would pick first: 16 filters of 3×3 keeping the
   * size, 2×2 pools halving it, 64 hidden units. */
  layer_spec_init (layer, kind);
  if (kind == CNV_LAYER_CONV2D)
    {
      layer->filters = 16;
      layer->padding = CNV_PADDING_SAME;
    }
  else if (kind == CNV_LAYER_DENSE)
    layer->units = 64;
}
