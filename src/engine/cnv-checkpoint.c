/* cnv-checkpoint.c — a CnvClassifier to and from a .convolve file
 *
 * A checkpoint is a safetensors file (cnv-safetensors.c) whose tensors
 * are the model's parameters and buffers under their own names plus the
 * optimizer state as "optimizer.<param>.<slot>", and whose metadata holds
 * JSON documents for everything else: model, preprocessing, classes,
 * training and dataset (docs/checkpoint-format.md lists every field).
 *
 * The one idea: the model description in the file decides what tensors
 * must be there.  The loader builds the model from the "model" document
 * first, then requires exactly its tensors with exactly its shapes; a
 * tensor missing, extra or misshapen is an error that names it, never a
 * default value.
 */

#define G_LOG_DOMAIN "cnv-checkpoint"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cnv-checkpoint.h"
#include "cnv-checkpoint-private.h"
#include "cnv-classifier-private.h"
#include "cnv-json.h"
#include "cnv-optimizer-private.h"
#include "cnv-safetensors-private.h"
#include "cnv-tensor-private.h"
#include "cnv-version.h"

#define OPTIMIZER_PREFIX "optimizer."

static char *
node_to_string (JsonNode *node)
{
  return cnv_json_to_string (node, FALSE);
}

/* ---- saving ------------------------------------------------------------ */

static void
add_metrics (JsonBuilder      *b,
             const CnvMetrics *m)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, m->n);
  json_builder_set_member_name (b, "loss");
  json_builder_add_double_value (b, m->loss);
  json_builder_set_member_name (b, "accuracy");
  json_builder_add_double_value (b, m->accuracy);
  json_builder_set_member_name (b, "precision");
  json_builder_add_double_value (b, m->precision);
  json_builder_set_member_name (b, "recall");
  json_builder_add_double_value (b, m->recall);
  json_builder_set_member_name (b, "f1");
  json_builder_add_double_value (b, m->f1);
  json_builder_set_member_name (b, "auc");
  json_builder_add_double_value (b, m->auc);
  json_builder_set_member_name (b, "threshold");
  json_builder_add_double_value (b, m->threshold);
  json_builder_set_member_name (b, "tp");
  json_builder_add_int_value (b, m->tp);
  json_builder_set_member_name (b, "fp");
  json_builder_add_int_value (b, m->fp);
  json_builder_set_member_name (b, "tn");
  json_builder_add_int_value (b, m->tn);
  json_builder_set_member_name (b, "fn");
  json_builder_add_int_value (b, m->fn);
  json_builder_end_object (b);
}

static void
add_epoch_record (JsonBuilder          *b,
                  const CnvEpochRecord *r)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "epoch");
  json_builder_add_int_value (b, r->epoch);
  json_builder_set_member_name (b, "step");
  json_builder_add_int_value (b, r->step);
  json_builder_set_member_name (b, "learning_rate");
  json_builder_add_double_value (b, r->learning_rate);
  json_builder_set_member_name (b, "train_loss");
  json_builder_add_double_value (b, r->train_loss);
  json_builder_set_member_name (b, "train_accuracy");
  json_builder_add_double_value (b, r->train_accuracy);
  json_builder_set_member_name (b, "validation");
  add_metrics (b, &r->validation);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->seconds);
  json_builder_end_object (b);
}

static char *
classes_to_string (const CnvClassifier *c)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "names");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, c->class_names[0]);
  json_builder_add_string_value (b, c->class_names[1]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "positive");
  json_builder_add_int_value (b, c->positive_class);
  json_builder_set_member_name (b, "threshold");
  json_builder_add_double_value (b, c->threshold);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return node_to_string (root);
}

static char *
training_to_string (const CnvClassifier *c)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *seed = g_strdup_printf ("%" PRIu64, c->seed);
  guint n_records = c->history != NULL ? c->history->len : 0;
  const CnvEpochRecord *last = NULL;
  gint64 step = 0;

  if (n_records > 0)
    last = &g_array_index (c->history, CnvEpochRecord, n_records - 1);
  if (c->optimizer != NULL)
    step = cnv_optimizer_get_step (c->optimizer);
  else if (last != NULL)
    step = last->step;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "optimizer");
  if (c->optimizer != NULL)
    json_builder_add_value (b, cnv_optimizer_config_to_json_node (
                                 cnv_optimizer_get_config (c->optimizer)));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "step");
  json_builder_add_int_value (b, step);
  json_builder_set_member_name (b, "epoch");
  json_builder_add_int_value (b, last != NULL ? last->epoch : 0);
  json_builder_set_member_name (b, "seed");
  json_builder_add_string_value (b, seed);
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, c->batch_size);
  json_builder_set_member_name (b, "val_split");
  json_builder_add_double_value (b, c->val_split);
  json_builder_set_member_name (b, "schedule");
  json_builder_add_value (b, cnv_schedule_to_json_node (&c->schedule));
  json_builder_set_member_name (b, "augmentation");
  json_builder_add_value (b, cnv_augmentation_to_json_node (&c->augmentation));
  json_builder_set_member_name (b, "class_weights");
  json_builder_add_string_value (b,
                                 cnv_class_weights_to_string (c->class_weights));
  json_builder_set_member_name (b, "patience");
  json_builder_add_int_value (b, c->patience);
  json_builder_set_member_name (b, "keep_best");
  json_builder_add_boolean_value (b, c->keep_best);
  json_builder_set_member_name (b, "best_epoch");
  json_builder_add_int_value (b, c->best_epoch);
  json_builder_set_member_name (b, "history");
  json_builder_begin_array (b);
  for (guint i = 0; i < n_records; i++)
    add_epoch_record (b, &g_array_index (c->history, CnvEpochRecord, i));
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return node_to_string (root);
}

static char *
dataset_to_string (const CnvClassifier *c)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "folder");
  if (c->dataset_folder != NULL)
    json_builder_add_string_value (b, c->dataset_folder);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "counts");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, c->dataset_counts[0]);
  json_builder_add_int_value (b, c->dataset_counts[1]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "skipped");
  json_builder_add_int_value (b, c->dataset_skipped);
  json_builder_set_member_name (b, "fingerprint");
  if (c->dataset_fingerprint != NULL)
    json_builder_add_string_value (b, c->dataset_fingerprint);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return node_to_string (root);
}

static void
set_metadata (CnvSafetensors *st,
              const char     *key,
              char           *value)
{
  g_hash_table_insert (st->metadata, g_strdup (key), value);
}

gboolean
cnv_checkpoint_save (const CnvClassifier  *classifier,
                     const char           *path,
                     GError              **error)
{
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(JsonNode) model = NULL;
  g_autoptr(JsonNode) preprocessing = NULL;
  const CnvModel *m;

  g_return_val_if_fail (classifier != NULL, FALSE);
  g_return_val_if_fail (classifier->model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  m = classifier->model;
  st = cnv_safetensors_new ();

  /* Tensors: parameters and buffers, then optimizer slots, the
   * classifier's own rather than copies, which st only reads. */
  for (guint i = 0; i < cnv_model_get_n_params (m); i++)
    {
      const CnvParam *param = cnv_model_get_param (m, i);

      cnv_safetensors_add_borrowed (st, param->name, param->value);
    }
  if (classifier->optimizer != NULL)
    for (guint i = 0; i < cnv_optimizer_get_n_slots (classifier->optimizer);
         i++)
      {
        const CnvOptimizerSlot *slot =
          cnv_optimizer_get_slot (classifier->optimizer, i);

        cnv_safetensors_add_borrowed (st, slot->name, slot->value);
      }

  /* Metadata: one JSON document (or plain string) per key. */
  model = cnv_model_spec_to_json_node (cnv_model_get_spec (m));
  preprocessing = cnv_preprocessing_to_json_node (&classifier->preprocessing);
  set_metadata (st, "format", g_strdup (CNV_CHECKPOINT_FORMAT));
  set_metadata (st, "format_version",
                g_strdup_printf ("%d", CNV_CHECKPOINT_FORMAT_VERSION));
  set_metadata (st, "writer", g_strdup ("Convolve " CNV_VERSION));
  set_metadata (st, "model", node_to_string (model));
  set_metadata (st, "preprocessing", node_to_string (preprocessing));
  set_metadata (st, "classes", classes_to_string (classifier));
  set_metadata (st, "training", training_to_string (classifier));
  set_metadata (st, "dataset", dataset_to_string (classifier));

  return cnv_safetensors_write (st, path, error);
}

/* ---- loading: metadata --------------------------------------------------- */

/* Where a metadata document is being read, for messages. */
typedef struct
{
  const char *display;
  const char *key;
  GError    **error;
} Doc;

static gboolean
doc_invalid (const Doc  *doc,
             const char *field,
             const char *expectation)
{
  g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
               CNV_CHECKPOINT_ERROR_METADATA,
               _("The “%s” metadata of “%s” is invalid: “%s” must be %s."),
               doc->key, doc->display, field, expectation);
  return FALSE;
}

static JsonNode *
doc_parse (const Doc  *doc,
           GHashTable *metadata)
{
  g_auto(CnvJsonProblem) problem = { 0 };
  const char *text = g_hash_table_lookup (metadata, doc->key);
  JsonNode *node;

  if (text == NULL)
    {
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   _("“%s” has no “%s” metadata; the checkpoint is "
                     "incomplete."), doc->display, doc->key);
      return NULL;
    }

  node = cnv_json_parse_strict (text, strlen (text), &problem);
  if (node != NULL)
    return node;

  switch (problem.code)
    {
    case CNV_JSON_ERROR_DUPLICATE:
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “%s” metadata of “%s” repeats the key “%s”; the "
                     "document is ambiguous and cannot be read."),
                   doc->key, doc->display, problem.key);
      break;
    case CNV_JSON_ERROR_ENCODING:
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “%s” metadata of “%s” is not valid UTF-8 at byte "
                     "offset %zu."),
                   doc->key, doc->display, problem.offset);
      break;
    case CNV_JSON_ERROR_SYNTAX:
    default:
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   /* Translators: the last %s is a clause such as “a
                    * string was expected”. */
                   _("The “%s” metadata of “%s” is not valid JSON at byte "
                     "offset %zu: %s."),
                   doc->key, doc->display, problem.offset, problem.detail);
      break;
    }

  return NULL;
}

static gboolean
get_int (JsonObject *object,
         const char *field,
         gint64      min,
         gint64      max,
         gint64     *value)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  *value = json_node_get_int (node);
  return *value >= min && *value <= max;
}

/* A number, or null for a value that was not finite (read back as NaN). */
static gboolean
get_double (JsonObject *object,
            const char *field,
            double     *value)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NAN;
      return TRUE;
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) != G_TYPE_INT64
      && json_node_get_value_type (node) != G_TYPE_DOUBLE)
    return FALSE;

  *value = json_node_get_double (node);
  return TRUE;
}

/* A string, or NULL in *value for null when nullable. */
static gboolean
get_string (JsonObject  *object,
            const char  *field,
            gboolean     nullable,
            const char **value)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node != NULL && nullable && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NULL;
      return TRUE;
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;

  *value = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_classes (const Doc     *doc,
              JsonNode      *root,
              CnvClassifier *c)
{
  JsonObject *object = json_node_get_object (root);
  JsonNode *names_node = json_object_get_member (object, "names");
  JsonArray *names;
  gint64 positive;
  double threshold;

  if (names_node == NULL || !JSON_NODE_HOLDS_ARRAY (names_node)
      || json_array_get_length (json_node_get_array (names_node)) != 2)
    return doc_invalid (doc, "names", _("an array of two class names"));
  names = json_node_get_array (names_node);
  for (guint i = 0; i < 2; i++)
    {
      JsonNode *name = json_array_get_element (names, i);

      if (!JSON_NODE_HOLDS_VALUE (name)
          || json_node_get_value_type (name) != G_TYPE_STRING
          || *json_node_get_string (name) == '\0')
        return doc_invalid (doc, "names", _("an array of two class names"));
      g_free (c->class_names[i]);
      c->class_names[i] = g_strdup (json_node_get_string (name));
    }

  if (!get_int (object, "positive", 1, 1, &positive))
    return doc_invalid (doc, "positive", _("1, the index of the positive "
                                            "class"));
  if (!get_double (object, "threshold", &threshold)
      || !(threshold >= 0.0 && threshold <= 1.0))
    return doc_invalid (doc, "threshold", _("a number from 0 to 1"));

  c->positive_class = (int) positive;
  c->threshold = threshold;

  return TRUE;
}

static gboolean
read_metrics (const Doc  *doc,
              const char *where,
              JsonNode   *node,
              CnvMetrics *m)
{
  static const char *doubles[] = { "loss", "accuracy", "precision", "recall",
                                   "f1", "auc", "threshold" };
  static const char *counts[] = { "n", "tp", "fp", "tn", "fn" };
  double *double_fields[] = { &m->loss, &m->accuracy, &m->precision,
                              &m->recall, &m->f1, &m->auc, &m->threshold };
  guint *count_fields[] = { &m->n, &m->tp, &m->fp, &m->tn, &m->fn };
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return doc_invalid (doc, where, _("an object of validation metrics"));
  object = json_node_get_object (node);

  for (guint i = 0; i < G_N_ELEMENTS (doubles); i++)
    if (!get_double (object, doubles[i], double_fields[i]))
      {
        g_autofree char *field = g_strdup_printf ("%s.%s", where, doubles[i]);

        return doc_invalid (doc, field, _("a number or null"));
      }
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      gint64 value;

      if (!get_int (object, counts[i], 0, G_MAXUINT, &value))
        {
          g_autofree char *field = g_strdup_printf ("%s.%s", where,
                                                    counts[i]);

          return doc_invalid (doc, field, _("a non-negative integer"));
        }
      *count_fields[i] = (guint) value;
    }

  return TRUE;
}

static gboolean
read_epoch_record (const Doc      *doc,
                   guint           index,
                   JsonNode       *node,
                   CnvEpochRecord *r)
{
  static const char *doubles[] = { "learning_rate", "train_loss",
                                   "train_accuracy", "seconds" };
  double *double_fields[] = { &r->learning_rate, &r->train_loss,
                              &r->train_accuracy, &r->seconds };
  g_autofree char *where = g_strdup_printf ("history[%u]", index);
  g_autofree char *validation = g_strdup_printf ("%s.validation", where);
  JsonObject *object;
  gint64 epoch;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return doc_invalid (doc, where, _("an object"));
  object = json_node_get_object (node);

  if (!get_int (object, "epoch", 1, G_MAXUINT, &epoch))
    {
      g_autofree char *field = g_strdup_printf ("%s.epoch", where);

      return doc_invalid (doc, field, _("a positive integer"));
    }
  if (!get_int (object, "step", 0, G_MAXINT64, &r->step))
    {
      g_autofree char *field = g_strdup_printf ("%s.step", where);

      return doc_invalid (doc, field, _("a non-negative integer"));
    }
  r->epoch = (guint) epoch;

  for (guint i = 0; i < G_N_ELEMENTS (doubles); i++)
    if (!get_double (object, doubles[i], double_fields[i]))
      {
        g_autofree char *field = g_strdup_printf ("%s.%s", where, doubles[i]);

        return doc_invalid (doc, field, _("a number or null"));
      }

  return read_metrics (doc, validation,
                       json_object_get_member (object, "validation"),
                       &r->validation);
}

/* A batch size is checked like the one a user types: a file asking for
 * billions of images per batch is refused here, not when training
 * allocates the batch. */
static gboolean
read_batch_size (const Doc  *doc,
                 JsonObject *object,
                 guint      *batch_size)
{
  JsonNode *node = json_object_get_member (object, "batch_size");
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return doc_invalid (doc, "batch_size", _("an integer"));

  value = json_node_get_int (node);
  if (value < 1 || value > CNV_MAX_BATCH_SIZE)
    {
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “training” metadata of “%s” has a batch_size of %"
                     PRId64 "; it must be from 1 to %d."),
                   doc->display, value, CNV_MAX_BATCH_SIZE);
      return FALSE;
    }

  *batch_size = (guint) value;
  return TRUE;
}

/* What "training" holds besides the history, kept until the optimizer
 * can be built. */
typedef struct
{
  gboolean           has_optimizer;
  CnvOptimizerConfig optimizer;
  gint64             step;
} TrainingState;

/* The run settings came after format version 1's first files: each is
 * read when it is there and left at its default when it is not, so that
 * those files open as they did. */
static gboolean
read_run_settings (const Doc     *doc,
                   JsonObject    *object,
                   CnvClassifier *c)
{
  g_autoptr(GError) local_error = NULL;
  JsonNode *node;
  gint64 value;

  if ((node = json_object_get_member (object, "schedule")) != NULL
      && !cnv_schedule_from_json_node (node, &c->schedule, &local_error))
    {
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “training” metadata of “%s” has an invalid "
                     "schedule: %s"), doc->display, local_error->message);
      return FALSE;
    }
  if ((node = json_object_get_member (object, "augmentation")) != NULL
      && !cnv_augmentation_from_json_node (node, &c->augmentation,
                                           &local_error))
    {
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “training” metadata of “%s” has an invalid "
                     "augmentation: %s"), doc->display, local_error->message);
      return FALSE;
    }
  if ((node = json_object_get_member (object, "class_weights")) != NULL)
    {
      const char *name = JSON_NODE_HOLDS_VALUE (node)
                         && json_node_get_value_type (node) == G_TYPE_STRING
                         ? json_node_get_string (node) : NULL;

      if (!cnv_class_weights_from_string (name, &c->class_weights))
        return doc_invalid (doc, "class_weights", _("“none” or “balanced”"));
    }
  if (json_object_has_member (object, "patience"))
    {
      if (!get_int (object, "patience", 0, 1000000, &value))
        return doc_invalid (doc, "patience", _("a non-negative integer"));
      c->patience = (guint) value;
    }
  if ((node = json_object_get_member (object, "keep_best")) != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node)
          || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return doc_invalid (doc, "keep_best", _("true or false"));
      c->keep_best = json_node_get_boolean (node);
    }
  if (json_object_has_member (object, "best_epoch"))
    {
      if (!get_int (object, "best_epoch", 0, G_MAXUINT, &value))
        return doc_invalid (doc, "best_epoch", _("a non-negative integer"));
      c->best_epoch = (guint) value;
    }

  return TRUE;
}

static gboolean
read_training (const Doc     *doc,
               JsonNode      *root,
               CnvClassifier *c,
               TrainingState *state)
{
  JsonObject *object = json_node_get_object (root);
  JsonNode *optimizer = json_object_get_member (object, "optimizer");
  JsonNode *history_node = json_object_get_member (object, "history");
  g_autoptr(GError) local_error = NULL;
  JsonArray *history;
  const char *seed;
  gint64 value;
  double val_split;

  if (optimizer == NULL)
    return doc_invalid (doc, "optimizer", _("an object or null"));
  state->has_optimizer = !JSON_NODE_HOLDS_NULL (optimizer);
  if (state->has_optimizer
      && !cnv_optimizer_config_from_json_node (optimizer, &state->optimizer,
                                               &local_error))
    {
      g_set_error (doc->error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “training” metadata of “%s” has an invalid "
                     "optimizer: %s"), doc->display, local_error->message);
      return FALSE;
    }

  if (!get_int (object, "step", 0, G_MAXINT64, &state->step))
    return doc_invalid (doc, "step", _("a non-negative integer"));
  if (!get_int (object, "epoch", 0, G_MAXUINT, &value))
    return doc_invalid (doc, "epoch", _("a non-negative integer"));

  /* The seed is a decimal string: a u64 does not fit a JSON number. */
  if (!get_string (object, "seed", FALSE, &seed)
      || !g_ascii_string_to_unsigned (seed, 10, 0, G_MAXUINT64, &c->seed,
                                      NULL))
    return doc_invalid (doc, "seed", _("a decimal string from 0 to "
                                        "18446744073709551615"));

  if (!read_batch_size (doc, object, &c->batch_size))
    return FALSE;
  if (!get_double (object, "val_split", &val_split)
      || !(val_split >= 0.0 && val_split < 1.0))
    return doc_invalid (doc, "val_split", _("a number from 0 to below 1"));
  c->val_split = val_split;

  if (!read_run_settings (doc, object, c))
    return FALSE;

  if (history_node == NULL || !JSON_NODE_HOLDS_ARRAY (history_node))
    return doc_invalid (doc, "history", _("an array of epoch records"));
  history = json_node_get_array (history_node);

  if (c->history == NULL)
    c->history = g_array_new (FALSE, TRUE, sizeof (CnvEpochRecord));
  g_array_set_size (c->history, 0);
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      CnvEpochRecord record = { 0 };

      if (!read_epoch_record (doc, i, json_array_get_element (history, i),
                              &record))
        return FALSE;
      g_array_append_val (c->history, record);
    }

  return TRUE;
}

static gboolean
read_dataset (const Doc     *doc,
              JsonNode      *root,
              CnvClassifier *c)
{
  JsonObject *object = json_node_get_object (root);
  JsonNode *counts_node = json_object_get_member (object, "counts");
  const char *folder;
  const char *fingerprint;
  gint64 skipped;

  if (!get_string (object, "folder", TRUE, &folder))
    return doc_invalid (doc, "folder", _("a string or null"));
  if (!get_string (object, "fingerprint", TRUE, &fingerprint))
    return doc_invalid (doc, "fingerprint", _("a string or null"));
  if (!get_int (object, "skipped", 0, G_MAXUINT, &skipped))
    return doc_invalid (doc, "skipped", _("a non-negative integer"));
  if (counts_node == NULL || !JSON_NODE_HOLDS_ARRAY (counts_node)
      || json_array_get_length (json_node_get_array (counts_node)) != 2)
    return doc_invalid (doc, "counts", _("an array of two image counts"));

  for (guint i = 0; i < 2; i++)
    {
      JsonNode *count = json_array_get_element (
        json_node_get_array (counts_node), i);

      if (!JSON_NODE_HOLDS_VALUE (count)
          || json_node_get_value_type (count) != G_TYPE_INT64
          || json_node_get_int (count) < 0
          || json_node_get_int (count) > G_MAXUINT)
        return doc_invalid (doc, "counts", _("an array of two image counts"));
      c->dataset_counts[i] = (guint) json_node_get_int (count);
    }

  /* The folder is a record of where the data was, shown to the user; it
   * is never opened from here. */
  g_free (c->dataset_folder);
  c->dataset_folder = g_strdup (folder);
  g_free (c->dataset_fingerprint);
  c->dataset_fingerprint = g_strdup (fingerprint);
  c->dataset_skipped = (guint) skipped;

  return TRUE;
}

static gboolean
check_format (const char *display,
              GHashTable *metadata,
              GError    **error)
{
  const char *format = g_hash_table_lookup (metadata, "format");
  const char *version = g_hash_table_lookup (metadata, "format_version");
  guint64 number;

  if (format == NULL)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_FORMAT,
                   _("“%s” is a safetensors file but not a Convolve "
                     "checkpoint: it has no “format” metadata, so the model, "
                     "preprocessing and classes are unknown."), display);
      return FALSE;
    }
  if (!g_str_equal (format, CNV_CHECKPOINT_FORMAT))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_FORMAT,
                   _("“%s” is a safetensors file but not a Convolve "
                     "checkpoint: its format is “%s”."), display, format);
      return FALSE;
    }

  if (version == NULL
      || !g_ascii_string_to_unsigned (version, 10, 1, G_MAXUINT64, &number,
                                      NULL))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “format_version” metadata of “%s” is “%s”; it "
                     "must be a positive whole number."),
                   display, version != NULL ? version : "");
      return FALSE;
    }
  if (number > CNV_CHECKPOINT_FORMAT_VERSION)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_VERSION,
                   _("“%s” uses checkpoint format version %s, written by a "
                     "newer Convolve; this version reads format version %d. "
                     "Update Convolve to open it."),
                   display, version, CNV_CHECKPOINT_FORMAT_VERSION);
      return FALSE;
    }

  /* cnv_safetensors_read () verified the checksum when there is one; every
   * Convolve checkpoint has one, since format version 1. */
  if (!g_hash_table_contains (metadata, "checksum"))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_CHECKSUM,
                   _("“%s” has no checksum; every Convolve checkpoint "
                     "carries the SHA-256 of its tensor bytes, so this file "
                     "was altered or written by another program and cannot "
                     "be trusted."), display);
      return FALSE;
    }

  return TRUE;
}

/* ---- loading: tensors ---------------------------------------------------- */

static gboolean
check_shape (const char      *display,
             const char      *name,
             const CnvTensor *stored,
             const CnvTensor *expected,
             GError         **error)
{
  g_autofree char *found = NULL;
  g_autofree char *needed = NULL;

  if (cnv_tensor_same_shape (stored, expected))
    return TRUE;

  found = cnv_tensor_shape_string (stored);
  needed = cnv_tensor_shape_string (expected);
  g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_SHAPE,
               _("Tensor “%s” in “%s” has shape %s, but the model described "
                 "in the file needs %s."),
               name, display, found, needed);
  return FALSE;
}

/* Every number a model or optimizer tensor holds must be finite, and a
 * batch-norm running variance must not be negative: either would turn
 * every prediction into NaN without saying why. */
static gboolean
check_values (const char           *display,
              const CnvNamedTensor *named,
              GError              **error)
{
  const char *name = named->name;
  const CnvTensor *tensor = named->tensor;
  gboolean variance = g_str_has_suffix (name, ".running_var");

  /* The reader saw whether every value is finite as it converted them;
   * only a variance, or a tensor that is not, needs another look. */
  if (!variance && cnv_safetensors_known_finite (named))
    return TRUE;

  for (gsize i = 0; i < tensor->size; i++)
    {
      float value = tensor->data[i];

      if (!isfinite (value))
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_VALUE,
                       _("Tensor “%s” in “%s” holds %g at element %"
                         "zu; a checkpoint holds finite "
                         "numbers only, so the file is damaged."),
                       name, display, (double) value, i);
          return FALSE;
        }
      if (variance && value < 0.0f)
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_VALUE,
                       _("Tensor “%s” in “%s” holds the variance %g at "
                         "element %zu; a variance cannot be "
                         "negative, so the file is damaged."),
                       name, display, (double) value, i);
          return FALSE;
        }
    }

  return TRUE;
}

/* Moves the values of named into the model or optimizer tensor target,
 * without copying them, after checking its shape and values. */
static gboolean
move_tensor (const char     *display,
             CnvNamedTensor *named,
             CnvTensor      *target,
             GError        **error)
{
  if (!check_shape (display, named->name, named->tensor, target, error))
    return FALSE;
  if (!check_values (display, named, error))
    return FALSE;

  cnv_tensor_swap_data (target, named->tensor);
  return TRUE;
}

/* Appends ", name" or "name" for lists in messages. */
static void
list_name (GString    *list,
           const char *name)
{
  if (list->len > 0)
    g_string_append (list, ", ");
  g_string_append (list, name);
}

static void
add_notice (CnvClassifier *c,
            char          *sentence)
{
  if (c->notices == NULL)
    c->notices = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (c->notices, sentence);
}

/* Moves every parameter and buffer of the model out of st, listing the
 * absent ones in missing. */
static gboolean
load_model_tensors (const char     *display,
                    CnvSafetensors *st,
                    CnvModel       *model,
                    GHashTable     *used,
                    GString        *missing,
                    GError        **error)
{
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);
      CnvNamedTensor *named = cnv_safetensors_find (st, param->name);

      if (named == NULL)
        {
          list_name (missing, param->name);
          continue;
        }
      if (!move_tensor (display, named, param->value, error))
        return FALSE;
      g_hash_table_add (used, named->name);
    }

  return TRUE;
}

static gboolean
has_optimizer_tensors (const CnvSafetensors *st)
{
  for (guint i = 0; i < st->tensors->len; i++)
    {
      CnvNamedTensor *named = g_ptr_array_index (st->tensors, i);

      if (g_str_has_prefix (named->name, OPTIMIZER_PREFIX))
        return TRUE;
    }

  return FALSE;
}

/* The optimizer the "training" metadata describes, with every slot moved
 * out of st (absent ones listed in missing), or NULL without state. */
static gboolean
load_optimizer_tensors (const char          *display,
                        CnvSafetensors      *st,
                        CnvModel            *model,
                        const TrainingState *training,
                        GHashTable          *used,
                        GString             *missing,
                        CnvOptimizer       **out,
                        GError             **error)
{
  g_autoptr(CnvOptimizer) optimizer = NULL;

  /* The optimizer state is all there or not at all: part of it would
   * resume with moments that do not belong together. */
  *out = NULL;
  if (!training->has_optimizer || !has_optimizer_tensors (st))
    return TRUE;

  /* Every slot is filled from st below, or the open fails. */
  optimizer = cnv_optimizer_new_unfilled (&training->optimizer, model);
  cnv_optimizer_set_step (optimizer, training->step);

  for (guint i = 0; i < cnv_optimizer_get_n_slots (optimizer); i++)
    {
      CnvOptimizerSlot *slot = cnv_optimizer_get_slot (optimizer, i);
      CnvNamedTensor *named = cnv_safetensors_find (st, slot->name);

      if (named == NULL)
        {
          list_name (missing, slot->name);
          continue;
        }
      if (!move_tensor (display, named, slot->value, error))
        return FALSE;
      g_hash_table_add (used, named->name);
    }

  *out = g_steal_pointer (&optimizer);
  return TRUE;
}

/* Moves every model tensor, and the optimizer state when present, out of
 * st, marking what was used in used. */
static gboolean
load_tensors (const char          *display,
              CnvSafetensors      *st,
              CnvClassifier       *c,
              const TrainingState *training,
              GHashTable          *used,
              GError             **error)
{
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(CnvOptimizer) optimizer = NULL;

  if (!load_model_tensors (display, st, c->model, used, missing, error)
      || !load_optimizer_tensors (display, st, c->model, training, used,
                                  missing, &optimizer, error))
    return FALSE;

  if (missing->len > 0)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_MISSING,
                   _("“%s” lacks tensors the model needs: %s.  Nothing is "
                     "filled in for them; the checkpoint cannot be used."),
                   display, missing->str);
      return FALSE;
    }

  c->optimizer = g_steal_pointer (&optimizer);
  if (c->optimizer == NULL && (training->has_optimizer
                               || (c->history != NULL && c->history->len > 0)))
    add_notice (c, g_strdup (_("The checkpoint has no optimizer state; "
                               "resuming training will restart the "
                               "optimizer.")));

  return TRUE;
}

static gboolean
check_unexpected (const char           *display,
                  const CnvSafetensors *st,
                  GHashTable           *used,
                  GError              **error)
{
  g_autoptr(GString) unexpected = g_string_new (NULL);

  for (guint i = 0; i < st->tensors->len; i++)
    {
      CnvNamedTensor *named = g_ptr_array_index (st->tensors, i);

      if (!g_hash_table_contains (used, named->name))
        list_name (unexpected, named->name);
    }

  if (unexpected->len > 0)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR,
                   CNV_CHECKPOINT_ERROR_UNEXPECTED,
                   _("“%s” holds tensors that no layer of its model owns: "
                     "%s.  The model description and the weights disagree."),
                   display, unexpected->str);
      return FALSE;
    }

  return TRUE;
}

/* ---- loading ------------------------------------------------------------- */

/* The five metadata documents, parsed. */
typedef struct
{
  JsonNode *model;
  JsonNode *preprocessing;
  JsonNode *classes;
  JsonNode *training;
  JsonNode *dataset;
} Documents;

static void
documents_clear (Documents *docs)
{
  g_clear_pointer (&docs->model, json_node_unref);
  g_clear_pointer (&docs->preprocessing, json_node_unref);
  g_clear_pointer (&docs->classes, json_node_unref);
  g_clear_pointer (&docs->training, json_node_unref);
  g_clear_pointer (&docs->dataset, json_node_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Documents, documents_clear)

/* Every document is parsed and checked as JSON before anything is built. */
static gboolean
parse_documents (const char  *display,
                 GHashTable  *metadata,
                 Documents   *docs,
                 GError     **error)
{
  const char *keys[] = { "model", "preprocessing", "classes", "training",
                         "dataset" };
  JsonNode **nodes[] = { &docs->model, &docs->preprocessing, &docs->classes,
                         &docs->training, &docs->dataset };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      Doc doc = { display, keys[i], error };

      *nodes[i] = doc_parse (&doc, metadata);
      if (*nodes[i] == NULL)
        return FALSE;
    }

  return TRUE;
}

/* What every reader of a checkpoint needs before the model is built: the
 * preprocessing, classes, training record and dataset summary, in a
 * classifier without a model. */
static CnvClassifier *
read_info (const char      *display,
           const Documents *docs,
           TrainingState   *training,
           GError         **error)
{
  g_autoptr(CnvClassifier) info = g_new0 (CnvClassifier, 1);
  g_autoptr(GError) local_error = NULL;
  Doc doc = { display, "classes", error };

  info->positive_class = 1;
  info->threshold = 0.5;
  cnv_schedule_init_default (&info->schedule);
  cnv_augmentation_init_default (&info->augmentation);
  info->history = g_array_new (FALSE, TRUE, sizeof (CnvEpochRecord));
  info->notices = g_ptr_array_new_with_free_func (g_free);

  if (!cnv_preprocessing_from_json_node (docs->preprocessing,
                                         &info->preprocessing, &local_error))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_METADATA,
                   _("The “preprocessing” metadata of “%s” is invalid: %s"),
                   display, local_error->message);
      return NULL;
    }

  if (!read_classes (&doc, docs->classes, info))
    return NULL;
  doc.key = "training";
  if (!read_training (&doc, docs->training, info, training))
    return NULL;
  doc.key = "dataset";
  if (!read_dataset (&doc, docs->dataset, info))
    return NULL;

  return g_steal_pointer (&info);
}

static void
add_dtype_notices (const CnvSafetensors *st,
                   CnvClassifier        *classifier)
{
  for (guint i = 0; i < st->tensors->len; i++)
    {
      CnvNamedTensor *named = g_ptr_array_index (st->tensors, i);

      if (!g_str_equal (named->stored_dtype, "F32"))
        add_notice (classifier,
                    g_strdup_printf (_("Tensor “%s” was stored as %s and "
                                       "has been converted to 32-bit "
                                       "floats."),
                                     named->name, named->stored_dtype));
    }
}

/* The first half, with the checksum still being taken when *pending is
 * not NULL: nothing of it may be used before it is finished. */
static CnvCheckpointContents *
read_contents (const char          *path,
               CnvPendingChecksum **pending,
               GError             **error)
{
  g_autoptr(CnvCheckpointContents) contents = NULL;
  g_auto(Documents) docs = { NULL };
  TrainingState training = { FALSE };

  contents = g_new0 (CnvCheckpointContents, 1);
  contents->display = g_filename_display_name (path);
  contents->st = cnv_safetensors_read_begin (path, pending, error);
  if (contents->st == NULL)
    return NULL;
  if (!check_format (contents->display, contents->st->metadata, error)
      || !parse_documents (contents->display, contents->st->metadata, &docs,
                           error))
    return NULL;

  contents->info = read_info (contents->display, &docs, &training, error);
  if (contents->info == NULL)
    return NULL;

  contents->model = g_steal_pointer (&docs.model);
  contents->has_optimizer = training.has_optimizer;
  contents->optimizer = training.optimizer;
  contents->step = training.step;
  add_dtype_notices (contents->st, contents->info);

  return g_steal_pointer (&contents);
}

/* Waits for pending; a damaged file is reported as damaged whatever else
 * went wrong, otherwise first_error, if any, is passed on. */
static gboolean
finish_reading (CnvPendingChecksum  *pending,
                GError             **first_error,
                GError             **error)
{
  if (!cnv_safetensors_read_finish (pending, error))
    return FALSE;
  if (*first_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (first_error));
      return FALSE;
    }

  return TRUE;
}

CnvCheckpointContents *
cnv_checkpoint_read_contents (const char  *path,
                              GError     **error)
{
  g_autoptr(CnvCheckpointContents) contents = NULL;
  g_autoptr(GError) local_error = NULL;
  CnvPendingChecksum *pending = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  contents = read_contents (path, &pending, &local_error);
  if (!finish_reading (pending, &local_error, error))
    return NULL;

  return g_steal_pointer (&contents);
}

void
cnv_checkpoint_contents_free (CnvCheckpointContents *contents)
{
  if (contents == NULL)
    return;

  g_clear_pointer (&contents->st, cnv_safetensors_free);
  g_clear_pointer (&contents->model, json_node_unref);
  g_clear_pointer (&contents->info, cnv_classifier_free);
  g_free (contents->display);
  g_free (contents);
}

/* Moves what info read into the classifier built from the model. */
static void
take_info (CnvClassifier *classifier,
           CnvClassifier *info)
{
  for (guint i = 0; i < 2; i++)
    {
      g_free (classifier->class_names[i]);
      classifier->class_names[i] = g_steal_pointer (&info->class_names[i]);
    }
  classifier->positive_class = info->positive_class;
  classifier->threshold = info->threshold;
  classifier->seed = info->seed;
  classifier->batch_size = info->batch_size;
  classifier->val_split = info->val_split;
  classifier->schedule = info->schedule;
  classifier->augmentation = info->augmentation;
  classifier->class_weights = info->class_weights;
  classifier->patience = info->patience;
  classifier->keep_best = info->keep_best;
  classifier->best_epoch = info->best_epoch;
  g_clear_pointer (&classifier->history, g_array_unref);
  classifier->history = g_steal_pointer (&info->history);
  classifier->dataset_folder = g_steal_pointer (&info->dataset_folder);
  classifier->dataset_counts[0] = info->dataset_counts[0];
  classifier->dataset_counts[1] = info->dataset_counts[1];
  classifier->dataset_skipped = info->dataset_skipped;
  classifier->dataset_fingerprint =
    g_steal_pointer (&info->dataset_fingerprint);
  g_clear_pointer (&classifier->notices, g_ptr_array_unref);
  classifier->notices = g_steal_pointer (&info->notices);
}

CnvClassifier *
cnv_checkpoint_contents_to_classifier (CnvCheckpointContents  *contents,
                                       GError                **error)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GHashTable) used = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *display;
  TrainingState training;

  g_return_val_if_fail (contents != NULL && contents->info != NULL, NULL);

  display = contents->display;
  training.has_optimizer = contents->has_optimizer;
  training.optimizer = contents->optimizer;
  training.step = contents->step;

  spec = cnv_model_spec_new_from_json_node (contents->model, &local_error);
  if (spec == NULL)
    {
      int code = g_error_matches (local_error, CNV_MODEL_ERROR,
                                  CNV_MODEL_ERROR_UNKNOWN_TYPE)
                 ? CNV_CHECKPOINT_ERROR_MODEL
                 : CNV_CHECKPOINT_ERROR_METADATA;

      g_set_error (error, CNV_CHECKPOINT_ERROR, code,
                   _("The model described in “%s” cannot be used: %s"),
                   display, local_error->message);
      return NULL;
    }

  /* Every parameter is filled from the file (a missing one is an error),
   * so none needs a random start. */
  classifier = cnv_classifier_new_unset (spec, &contents->info->preprocessing,
                                   (const char * const *)
                                   contents->info->class_names, 0,
                                   &local_error);
  if (classifier == NULL)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_MODEL,
                   _("The model described in “%s” cannot be built: %s"),
                   display, local_error->message);
      return NULL;
    }
  take_info (classifier, contents->info);
  g_clear_pointer (&contents->info, cnv_classifier_free);

  used = g_hash_table_new (g_str_hash, g_str_equal);
  if (!load_tensors (display, contents->st, classifier, &training, used,
                     error)
      || !check_unexpected (display, contents->st, used, error))
    return NULL;

  return g_steal_pointer (&classifier);
}

CnvClassifier *
cnv_checkpoint_load (const char  *path,
                     GError     **error)
{
  g_autoptr(CnvCheckpointContents) contents = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) local_error = NULL;
  CnvPendingChecksum *pending = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The classifier is built while the checksum is taken, and returned
   * only once it matches. */
  contents = read_contents (path, &pending, &local_error);
  if (contents != NULL)
    classifier = cnv_checkpoint_contents_to_classifier (contents,
                                                        &local_error);
  if (!finish_reading (pending, &local_error, error))
    return NULL;

  return g_steal_pointer (&classifier);
}
