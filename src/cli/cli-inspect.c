/* cli-inspect.c — `convolve-cli inspect`: what a checkpoint holds
 *
 * A layer table in the manner of Keras' model.summary (), then everything
 * else the checkpoint records: preprocessing, classes and threshold,
 * optimizer and step, per-epoch history, the dataset it was trained on and
 * the notices the reader left.  --json prints the same as one document
 * for scripts.  Given a model description instead (JSON, told apart from
 * a checkpoint by its first bytes), the layer table with costs and every
 * problem that cnv_model_spec_check () finds, in the engine's words.
 */
#define G_LOG_DOMAIN "cnv-cli-inspect"

#include "cnv-config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cli.h"

typedef struct
{
  gboolean json;
} InspectOptions;

typedef struct
{
  CnvShape input;
  gsize    trainable;
  gsize    buffers;     /* non-trainable values: batch-norm statistics */
} LayerInfo;

/* "(None, 8, 28, 28)" for feature maps, "(None, 64)" for flat features:
 * the batch dimension first, as PyTorch's NCHW order has it. */
static char *
format_shape (const CnvShape *shape)
{
  if (shape->flat)
    return g_strdup_printf ("(None, %d)", shape->channels);

  return g_strdup_printf ("(None, %d, %d, %d)", shape->channels,
                          shape->height, shape->width);
}

static gsize
count_buffers (const CnvModel *model,
               const char     *layer_id)
{
  g_autofree char *prefix = g_strconcat (layer_id, ".", NULL);
  gsize count = 0;

  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      const CnvParam *param = cnv_model_get_param (model, i);

      if (!param->trainable && g_str_has_prefix (param->name, prefix))
        count += param->value->size;
    }

  return count;
}

static LayerInfo *
collect_layers (const CnvModel *model)
{
  const CnvModelSpec *spec = cnv_model_get_spec (model);
  LayerInfo *info = g_new0 (LayerInfo, MAX (spec->n_layers, 1));
  CnvShape input = { spec->channels, spec->height, spec->width, FALSE };

  for (guint i = 0; i < spec->n_layers; i++)
    {
      info[i].input = input;
      info[i].trainable = cnv_layer_spec_count_parameters (&spec->layers[i],
                                                           &input);
      info[i].buffers = count_buffers (model, spec->layers[i].id);
      input = *cnv_model_get_output_shape (model, i);
    }

  return info;
}

/* One JSON value as short text: numbers with %g, arrays joined. */
static char *
format_json_value (JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (type == G_TYPE_DOUBLE)
        return cnv_cli_format_double (json_node_get_double (node), "%g");
      if (type == G_TYPE_BOOLEAN)
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      GString *out = g_string_new ("[");

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *item =
            format_json_value (json_array_get_element (array, i));

          g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", item);
        }
      g_string_append_c (out, ']');

      return g_string_free (out, FALSE);
    }

  if (JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("null");

  return json_to_string (node, FALSE);
}

static void
print_members (JsonNode *node)
{
  JsonObject *object;
  g_autoptr(GList) members = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;

  object = json_node_get_object (node);
  members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *value =
        format_json_value (json_object_get_member (object, l->data));

      printf ("  %-16s %s\n", (const char *) l->data, value);
    }
}

static void
print_setting (const char *name,
               double      value)
{
  g_autofree char *number = cnv_cli_format_double (value, "%g");

  printf ("  %-16s %s\n", name, number);
}

/* Only the settings the optimizer's kind uses: Adam has no momentum, SGD
 * no betas.  The names are those of the checkpoint's JSON. */
static void
print_optimizer (const CnvOptimizerConfig *config)
{
  print_setting ("learning_rate", config->learning_rate);
  print_setting ("weight_decay", config->weight_decay);

  switch (config->kind)
    {
    case CNV_OPTIMIZER_SGD:
      print_setting ("momentum", config->momentum);
      printf ("  %-16s %s\n", "nesterov", config->nesterov ? "true" : "false");
      break;

    case CNV_OPTIMIZER_ADAM:
      print_setting ("beta1", config->beta1);
      print_setting ("beta2", config->beta2);
      print_setting ("epsilon", config->epsilon);
      break;

    default:
      g_assert_not_reached ();
    }
}


/* One row of the layer table.  printf pads by bytes, and a shape's "×"
 * or an accented heading takes more than one, so the columns are padded
 * by characters. */
static void
print_row (const char *name,
           const char *shape,
           const char *params)
{
  int name_pad = MAX (0, 30 - (int) g_utf8_strlen (name, -1));
  int shape_pad = MAX (0, 22 - (int) g_utf8_strlen (shape, -1));
  int params_pad = MAX (0, 14 - (int) g_utf8_strlen (params, -1));

  printf ("%s%*s %s%*s %*s%s\n", name, name_pad, "", shape, shape_pad, "",
          params_pad, "", params);
}
static void
print_layers (const CnvModel *model)
{
  const CnvModelSpec *spec = cnv_model_get_spec (model);
  g_autofree LayerInfo *info = collect_layers (model);
  g_autofree char *input_shape = NULL;
  g_autofree char *total = NULL;
  g_autofree char *trainable = NULL;
  g_autofree char *buffers = NULL;
  CnvShape input = { spec->channels, spec->height, spec->width, FALSE };
  gsize n_trainable = 0;
  gsize n_buffers = 0;
  const char *rule = "================================================"
                     "====================";

  input_shape = format_shape (&input);
  print_row (_("Layer (type)"), _("Output shape"), _("Param #"));
  printf ("%s\n", rule);
  print_row (_("input"), input_shape, "0");

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const CnvLayerSpec *layer = &spec->layers[i];
      const char *kind = cnv_layer_kind_to_string (layer->kind);
      const CnvShape *output = cnv_model_get_output_shape (model, i);
      g_autofree char *name = g_strdup_printf ("%s (%s)", layer->id, kind);
      g_autofree char *shape = format_shape (output);
      g_autofree char *params = cnv_cli_format_count (info[i].trainable
                                                      + info[i].buffers);

      print_row (name, shape, params);
      n_trainable += info[i].trainable;
      n_buffers += info[i].buffers;
    }

  total = cnv_cli_format_count (n_trainable + n_buffers);
  trainable = cnv_cli_format_count (n_trainable);
  buffers = cnv_cli_format_count (n_buffers);

  printf ("%s\n", rule);
  printf (_("Total params: %s\n"), total);
  printf (_("Trainable params: %s\n"), trainable);
  if (n_buffers > 0)
    printf (_("Non-trainable params: %s (batch-norm running statistics)\n"),
            buffers);
  else
    printf (_("Non-trainable params: %s\n"), buffers);
}

static void
print_history (const CnvClassifier *classifier)
{
  if (classifier->history == NULL || classifier->history->len == 0)
    {
      printf ("\n%s\n", _("Training history: not trained yet"));
      return;
    }

  printf ("\n%s\n", _("Training history:"));
  printf ("  %5s %8s %10s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "epoch",
          "step", "lr", "loss", "acc", "val_loss", "val_acc", "val_prec",
          "val_rec", "val_f1", "val_auc", "seconds");

  for (guint i = 0; i < classifier->history->len; i++)
    {
      const CnvEpochRecord *r = &g_array_index (classifier->history,
                                                CnvEpochRecord, i);
      const CnvMetrics *v = &r->validation;
      g_autofree char *lr = cnv_cli_format_double (r->learning_rate, "%g");

      if (v->n > 0)
        printf ("  %5u %8" G_GINT64_FORMAT " %10s %8.4f %8.4f %8.4f %8.4f "
                "%8.4f %8.4f %8.4f %8.4f %8.1f\n", r->epoch, r->step, lr,
                r->train_loss, r->train_accuracy, v->loss, v->accuracy,
                v->precision, v->recall, v->f1, v->auc, r->seconds);
      else
        printf ("  %5u %8" G_GINT64_FORMAT " %10s %8.4f %8.4f %8s %8s %8s "
                "%8s %8s %8s %8.1f\n", r->epoch, r->step, lr, r->train_loss,
                r->train_accuracy, "-", "-", "-", "-", "-", "-", r->seconds);
    }
}

static void
print_text (const char          *path,
            const CnvClassifier *classifier)
{
  const CnvModelSpec *spec = cnv_model_get_spec (classifier->model);
  g_autoptr(JsonNode) pp =
    cnv_preprocessing_to_json_node (&classifier->preprocessing);
  g_autofree char *threshold = cnv_cli_format_double (classifier->threshold,
                                                      "%g");
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                           classifier->seed);

  printf (_("Checkpoint: %s\n"), path);
  printf (g_dngettext (GETTEXT_PACKAGE, "Input: %d × %d, %d channel\n\n",
                       "Input: %d × %d, %d channels\n\n", spec->channels),
          spec->width, spec->height, spec->channels);

  print_layers (classifier->model);

  printf ("\n%s\n", _("Preprocessing:"));
  print_members (pp);

  printf ("\n%s\n", _("Classes:"));
  for (int c = 0; c < 2; c++)
    printf ("  %d  %s%s\n", c, classifier->class_names[c],
            c == classifier->positive_class ? _("  (positive)") : "");
  printf (_("  decision threshold %s on the positive class' probability\n"),
          threshold);

  if (classifier->optimizer != NULL)
    {
      const CnvOptimizerConfig *config =
        cnv_optimizer_get_config (classifier->optimizer);
      g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT,
        cnv_optimizer_get_step (classifier->optimizer));

      printf ("\n");
      printf (_("Optimizer: %s, step %s\n"),
              cnv_optimizer_kind_to_string (config->kind), step);
      print_optimizer (config);
    }
  else
    {
      printf ("\n%s\n", _("Optimizer: none stored (training would start "
                          "a fresh optimizer)"));
    }

  printf ("\n");
  printf (_("Training: seed %s, batch size %u, validation split %g\n"), seed,
          classifier->batch_size, classifier->val_split);
  print_history (classifier);

  if (classifier->dataset_folder != NULL)
    {
      printf ("\n");
      printf (_("Dataset: %s\n"), classifier->dataset_folder);
      for (int c = 0; c < 2; c++)
        printf (g_dngettext (GETTEXT_PACKAGE, "  %s: %u image\n",
                             "  %s: %u images\n",
                             classifier->dataset_counts[c]),
                classifier->class_names[c], classifier->dataset_counts[c]);
      printf (g_dngettext (GETTEXT_PACKAGE, "  skipped: %u file\n",
                           "  skipped: %u files\n",
                           classifier->dataset_skipped),
              classifier->dataset_skipped);
      if (classifier->dataset_fingerprint != NULL)
        printf (_("  fingerprint: %s\n"), classifier->dataset_fingerprint);
    }

  if (classifier->notices != NULL && classifier->notices->len > 0)
    {
      printf ("\n%s\n", _("Notices from loading:"));
      for (guint i = 0; i < classifier->notices->len; i++)
        printf ("  %s\n",
                (const char *) g_ptr_array_index (classifier->notices, i));
    }
}

static void
add_shape (JsonBuilder    *builder,
           const CnvShape *shape)
{
  json_builder_begin_array (builder);
  json_builder_add_int_value (builder, shape->channels);
  if (!shape->flat)
    {
      json_builder_add_int_value (builder, shape->height);
      json_builder_add_int_value (builder, shape->width);
    }
  json_builder_end_array (builder);
}

static void
add_layers (JsonBuilder    *builder,
            const CnvModel *model)
{
  const CnvModelSpec *spec = cnv_model_get_spec (model);
  g_autofree LayerInfo *info = collect_layers (model);
  gsize n_trainable = 0;
  gsize n_buffers = 0;

  /* Shapes are per sample: [channels, height, width] or [features]. */
  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < spec->n_layers; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, spec->layers[i].id);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder,
        cnv_layer_kind_to_string (spec->layers[i].kind));
      json_builder_set_member_name (builder, "output_shape");
      add_shape (builder, cnv_model_get_output_shape (model, i));
      json_builder_set_member_name (builder, "trainable_parameters");
      json_builder_add_int_value (builder, info[i].trainable);
      json_builder_set_member_name (builder, "non_trainable_parameters");
      json_builder_add_int_value (builder, info[i].buffers);
      json_builder_end_object (builder);

      n_trainable += info[i].trainable;
      n_buffers += info[i].buffers;
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "total_parameters");
  json_builder_add_int_value (builder, n_trainable + n_buffers);
  json_builder_set_member_name (builder, "trainable_parameters");
  json_builder_add_int_value (builder, n_trainable);
  json_builder_set_member_name (builder, "non_trainable_parameters");
  json_builder_add_int_value (builder, n_buffers);
}

static void
add_history (JsonBuilder         *builder,
             const CnvClassifier *classifier)
{
  guint n = classifier->history != NULL ? classifier->history->len : 0;

  json_builder_set_member_name (builder, "history");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      const CnvEpochRecord *r = &g_array_index (classifier->history,
                                                CnvEpochRecord, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "epoch");
      json_builder_add_int_value (builder, r->epoch);
      json_builder_set_member_name (builder, "step");
      json_builder_add_int_value (builder, r->step);
      cnv_cli_builder_add_double (builder, "learning_rate", r->learning_rate);
      cnv_cli_builder_add_double (builder, "train_loss", r->train_loss);
      cnv_cli_builder_add_double (builder, "train_accuracy",
                                  r->train_accuracy);
      json_builder_set_member_name (builder, "validation_images");
      json_builder_add_int_value (builder, r->validation.n);
      if (r->validation.n > 0)
        {
          cnv_cli_builder_add_double (builder, "validation_loss",
                                      r->validation.loss);
          cnv_cli_builder_add_double (builder, "validation_accuracy",
                                      r->validation.accuracy);
          cnv_cli_builder_add_double (builder, "validation_precision",
                                      r->validation.precision);
          cnv_cli_builder_add_double (builder, "validation_recall",
                                      r->validation.recall);
          cnv_cli_builder_add_double (builder, "validation_f1",
                                      r->validation.f1);
          cnv_cli_builder_add_double (builder, "validation_auc",
                                      r->validation.auc);
        }
      cnv_cli_builder_add_double (builder, "seconds", r->seconds);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_classes (JsonBuilder         *builder,
             const CnvClassifier *classifier)
{
  json_builder_set_member_name (builder, "classes");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "names");
  json_builder_begin_array (builder);
  for (int c = 0; c < 2; c++)
    json_builder_add_string_value (builder, classifier->class_names[c]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "positive");
  json_builder_add_string_value (builder,
    classifier->class_names[classifier->positive_class]);
  json_builder_set_member_name (builder, "positive_index");
  json_builder_add_int_value (builder, classifier->positive_class);
  cnv_cli_builder_add_double (builder, "threshold", classifier->threshold);
  json_builder_end_object (builder);
}

static void
add_training (JsonBuilder         *builder,
              const CnvClassifier *classifier)
{
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                           classifier->seed);

  json_builder_set_member_name (builder, "optimizer");
  if (classifier->optimizer != NULL)
    {
      const CnvOptimizerConfig *config =
        cnv_optimizer_get_config (classifier->optimizer);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "config");
      json_builder_add_value (builder,
                              cnv_optimizer_config_to_json_node (config));
      json_builder_set_member_name (builder, "step");
      json_builder_add_int_value (builder,
        cnv_optimizer_get_step (classifier->optimizer));
      json_builder_end_object (builder);
    }
  else
    {
      json_builder_add_null_value (builder);
    }

  json_builder_set_member_name (builder, "training");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "seed");
  /* JSON readers lose integers above 2^53; the seed is kept exact. */
  json_builder_add_string_value (builder, seed);
  json_builder_set_member_name (builder, "batch_size");
  json_builder_add_int_value (builder, classifier->batch_size);
  cnv_cli_builder_add_double (builder, "val_split", classifier->val_split);
  add_history (builder, classifier);
  json_builder_end_object (builder);
}

static void
add_dataset (JsonBuilder         *builder,
             const CnvClassifier *classifier)
{
  json_builder_set_member_name (builder, "dataset");
  if (classifier->dataset_folder == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "folder");
  json_builder_add_string_value (builder, classifier->dataset_folder);
  json_builder_set_member_name (builder, "counts");
  json_builder_begin_array (builder);
  for (int c = 0; c < 2; c++)
    json_builder_add_int_value (builder, classifier->dataset_counts[c]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "skipped");
  json_builder_add_int_value (builder, classifier->dataset_skipped);
  json_builder_set_member_name (builder, "fingerprint");
  if (classifier->dataset_fingerprint != NULL)
    json_builder_add_string_value (builder, classifier->dataset_fingerprint);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

static void
print_json (const char          *path,
            const CnvClassifier *classifier)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const CnvModelSpec *spec = cnv_model_get_spec (classifier->model);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "checkpoint");
  json_builder_add_string_value (builder, path);

  add_layers (builder, classifier->model);
  json_builder_set_member_name (builder, "model");
  json_builder_add_value (builder, cnv_model_spec_to_json_node (spec));
  json_builder_set_member_name (builder, "preprocessing");
  json_builder_add_value (builder,
    cnv_preprocessing_to_json_node (&classifier->preprocessing));
  add_classes (builder, classifier);
  add_training (builder, classifier);
  add_dataset (builder, classifier);

  json_builder_set_member_name (builder, "notices");
  json_builder_begin_array (builder);
  for (guint i = 0; classifier->notices != NULL && i < classifier->notices->len;
       i++)
    json_builder_add_string_value (builder,
      g_ptr_array_index (classifier->notices, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  cnv_cli_print_json (root);
}

/* Model descriptions */

/* A checkpoint starts with its 8-byte little-endian header length, whose
 * high bytes are zero; a model description is JSON text starting with
 * "{" (after any blank), with no NUL in its first bytes. */
static gboolean
looks_like_description (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  guint8 head[64];
  gsize n = 0;
  gsize i = 0;

  stream = g_file_read (file, NULL, NULL);
  if (stream == NULL
      || !g_input_stream_read_all (G_INPUT_STREAM (stream), head,
                                   sizeof head, &n, NULL, NULL))
    return FALSE;

  for (gsize k = 0; k < MIN (n, 8); k++)
    if (head[k] == 0)
      return FALSE;

  while (i < n && g_ascii_isspace (head[i]))
    i++;

  return i < n && head[i] == '{';
}

static void
print_spec_layers (const CnvModelSpec  *spec,
                   const CnvShape      *shapes,
                   const CnvModelCosts *costs)
{
  g_autofree char *input_shape = NULL;
  g_autofree char *total = cnv_cli_format_count (costs->parameters);
  g_autofree char *macs = cnv_cli_format_count (costs->multiply_adds);
  g_autofree char *weights = g_format_size (costs->weight_bytes);
  g_autofree char *forward = g_format_size (costs->activation_bytes);
  g_autofree char *training = g_format_size (costs->training_bytes);
  CnvShape input = { spec->channels, spec->height, spec->width, FALSE };
  const char *rule = "================================================"
                     "====================";

  input_shape = format_shape (&input);
  print_row (_("Layer (type)"), _("Output shape"), _("Param #"));
  printf ("%s\n", rule);
  print_row (_("input"), input_shape, "0");

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const CnvLayerSpec *layer = &spec->layers[i];
      g_autofree char *name = g_strdup_printf (
        "%s (%s)", layer->id, cnv_layer_kind_to_string (layer->kind));
      g_autofree char *shape = shapes[i].channels > 0
                               ? format_shape (&shapes[i]) : g_strdup ("?");
      g_autofree char *params = cnv_cli_format_count (
        costs->layers[i].parameters);

      print_row (name, shape, params);
    }

  printf ("%s\n", rule);
  printf (_("Total params: %s\n"), total);
  printf (_("Multiply-adds per image: %s\n"), macs);
  printf (_("Weights: %s\n"), weights);
  printf (_("Activations at batch size %d: %s; training with Adam needs "
            "about %s\n"), costs->batch_size, forward, training);
}

static void
print_description_json (const char         *path,
                        const CnvModelSpec *spec,
                        const CnvShape     *shapes,
                        const CnvModelCosts *costs,
                        GPtrArray          *problems)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, path);
  json_builder_set_member_name (builder, "model");
  json_builder_add_value (builder, cnv_model_spec_to_json_node (spec));

  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < spec->n_layers; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, spec->layers[i].id);
      json_builder_set_member_name (builder, "output_shape");
      if (shapes[i].channels > 0)
        add_shape (builder, &shapes[i]);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "parameters");
      json_builder_add_int_value (builder,
                                  (gint64) costs->layers[i].parameters);
      json_builder_set_member_name (builder, "multiply_adds");
      json_builder_add_int_value (builder,
                                  (gint64) costs->layers[i].multiply_adds);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "parameters");
  json_builder_add_int_value (builder, (gint64) costs->parameters);
  json_builder_set_member_name (builder, "multiply_adds");
  json_builder_add_int_value (builder, (gint64) costs->multiply_adds);

  json_builder_set_member_name (builder, "problems");
  json_builder_begin_array (builder);
  for (guint i = 0; i < problems->len; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "layer");
      if (problem->layer >= 0)
        json_builder_add_string_value (builder,
                                       spec->layers[problem->layer].id);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, problem->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  cnv_cli_print_json (root);
}

/* The layer table of a model description and every problem that would
 * stop `train --model` from using it.  Exit status 1 when there is one. */
static int
inspect_description (const char *path,
                     gboolean    json)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree CnvShape *shapes = NULL;
  g_autofree char *text = NULL;
  g_auto(CnvModelCosts) costs = { 0, };
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, &error)
      || (spec = cnv_model_spec_new_from_json (text, (gssize) length,
                                               &error)) == NULL)
    {
      cnv_cli_print_error (path, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  /* The problems the editor shows, memory at the default batch size of
   * a training run included. */
  shapes = g_new0 (CnvShape, MAX (spec->n_layers, 1));
  if (cnv_model_spec_check (spec, shapes, &problems))
    cnv_model_spec_check_memory (spec, CNV_CLI_DEFAULT_BATCH_SIZE, 0,
                                 problems);
  cnv_model_spec_get_costs (spec, CNV_CLI_DEFAULT_BATCH_SIZE, &costs);

  if (json)
    {
      print_description_json (path, spec, shapes, &costs, problems);
      return problems->len == 0 ? CNV_CLI_EXIT_OK : CNV_CLI_EXIT_FAILURE;
    }

  printf (_("Model description: %s\n"), path);
  printf (g_dngettext (GETTEXT_PACKAGE, "Input: %d × %d, %d channel\n\n",
                       "Input: %d × %d, %d channels\n\n", spec->channels),
          spec->width, spec->height, spec->channels);
  print_spec_layers (spec, shapes, &costs);

  printf ("\n");
  if (problems->len == 0)
    printf ("%s\n", _("Problems: none; the stack can be trained."));
  else
    printf (g_dngettext (GETTEXT_PACKAGE, "Problems: %u\n", "Problems: %u\n",
                         problems->len), problems->len);
  for (guint i = 0; i < problems->len; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);

      printf ("  %s\n", problem->message);
    }

  return problems->len == 0 ? CNV_CLI_EXIT_OK : CNV_CLI_EXIT_FAILURE;
}

int
cnv_cli_inspect (int    argc,
                 char **argv)
{
  InspectOptions opts = { FALSE };
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts.json,
      N_("Print a JSON document instead of text"), NULL },
    { NULL }
  };
  const char * const required[] = { N_("CHECKPOINT"), NULL };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  context = g_option_context_new (_("CHECKPOINT — describe a checkpoint "
                                     "or a model description"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("Prints the layers with their output shapes and parameter counts, "
      "the preprocessing, the classes and threshold, the optimizer and its "
      "step, the training history, the dataset it was trained on, and the "
      "notices from reading the file.  Shapes are NCHW as in PyTorch; "
      "“None” is the batch dimension.  Given a model description (the "
      "JSON that train --model takes), prints its layers, parameter and "
      "multiply-add counts, and every problem that would stop training; "
      "the exit status is 1 when there is one."));

  if (!cnv_cli_parse_options (context, "inspect", &argc, &argv))
    return CNV_CLI_EXIT_USAGE;

  status = cnv_cli_check_arguments ("inspect", argc, argv, required, FALSE,
                                    0);
  if (status != CNV_CLI_EXIT_OK)
    return status;

  if (looks_like_description (argv[1]))
    return inspect_description (argv[1], opts.json);

  classifier = cnv_checkpoint_load (argv[1], &error);
  if (classifier == NULL)
    {
      cnv_cli_print_checkpoint_error (argv[1], error, NULL);
      return CNV_CLI_EXIT_FAILURE;
    }

  if (opts.json)
    print_json (argv[1], classifier);
  else
    print_text (argv[1], classifier);

  return CNV_CLI_EXIT_OK;
}
