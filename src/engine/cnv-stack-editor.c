/* cnv-stack-editor.c — the layer stack editor's state, without widgets
 *
 * The editor owns one CnvModelSpec and replaces it on every edit with an
 * edited copy.  The one idea: history is a list of whole snapshots (the
 * spec and the selection before each edit), so undo and redo are a swap
 * and cannot drift from the edits, whatever state the stack was in; a
 * stack is a few hundred bytes, so 200 snapshots cost nothing.  After
 * each change the shapes, costs and problems are recomputed from scratch
 * with cnv_model_spec_check (), the same function the CLI uses.
 */
#define G_LOG_DOMAIN "cnv-stack-editor"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cnv-stack-editor.h"

typedef struct
{
  CnvModelSpec *spec;
  int           selection;
} Snapshot;

struct _CnvStackEditor
{
  GObject parent_instance;

  /* owned */
  CnvModelSpec  *spec;
  CnvShape      *shapes;         /* n_layers, at least 1 */
  GPtrArray     *problems;       /* CnvModelProblem */
  CnvModelCosts  costs;
  GQueue         undo;           /* Snapshot, newest at the head */
  GQueue         redo;           /* Snapshot, newest at the head */

  int            selection;
  int            batch_size;
  guint64        memory_limit;
  guint          history_limit;
  gboolean       is_valid;
};

G_DEFINE_FINAL_TYPE (CnvStackEditor, cnv_stack_editor, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  PROP_IS_VALID,
  PROP_INVALID_REASON,
  PROP_SELECTION,
  PROP_BATCH_SIZE,
  PROP_N_LAYERS,
  N_PROPS
};

enum
{
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
snapshot_free (gpointer data)
{
  Snapshot *snapshot = data;

  cnv_model_spec_free (snapshot->spec);
  g_free (snapshot);
}

static Snapshot *
snapshot_new (CnvModelSpec *spec,
              int           selection)
{
  Snapshot *snapshot = g_new0 (Snapshot, 1);

  snapshot->spec = spec;
  snapshot->selection = selection;

  return snapshot;
}

/* Shapes, costs and problems of the current stack, and the properties
 * that follow from them. */
static void
recompute (CnvStackEditor *self)
{
  gboolean was_valid = self->is_valid;
  g_autofree char *old_reason = NULL;
  const char *reason;

  old_reason = g_strdup (cnv_stack_editor_get_invalid_reason (self));

  g_free (self->shapes);
  self->shapes = g_new0 (CnvShape, MAX (self->spec->n_layers, 1));
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  cnv_model_spec_check (self->spec, self->shapes, &self->problems);
  cnv_model_spec_check_memory (self->spec, self->batch_size,
                               self->memory_limit, self->problems);
  cnv_model_costs_clear (&self->costs);
  cnv_model_spec_get_costs (self->spec, self->batch_size, &self->costs);
  self->is_valid = self->problems->len == 0;

  reason = cnv_stack_editor_get_invalid_reason (self);
  if (was_valid != self->is_valid)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_VALID]);
  if (g_strcmp0 (old_reason, reason) != 0)
    g_object_notify_by_pspec (G_OBJECT (self),
                              properties[PROP_INVALID_REASON]);
}

static void
clamp_selection (CnvStackEditor *self)
{
  if (self->selection >= (int) self->spec->n_layers)
    self->selection = (int) self->spec->n_layers - 1;
  if (self->selection < -1)
    self->selection = -1;
}

/* Makes `spec` the current stack after it changed, undo and redo
 * included, and tells the observers.  The previous spec has already gone
 * into the history. */
static void
install (CnvStackEditor *self,
         CnvModelSpec   *spec,
         int             selection,
         guint           old_n_layers,
         gboolean        could_undo,
         gboolean        could_redo)
{
  int old_selection = self->selection;

  g_assert (self->spec == NULL);
  self->spec = spec;
  self->selection = selection;
  clamp_selection (self);

  g_object_freeze_notify (G_OBJECT (self));
  recompute (self);
  if (old_n_layers != self->spec->n_layers)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LAYERS]);
  if (old_selection != self->selection)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTION]);
  if (could_undo != cnv_stack_editor_get_can_undo (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
  if (could_redo != cnv_stack_editor_get_can_redo (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[CHANGED], 0);
}

static void
trim_history (CnvStackEditor *self)
{
  while (self->undo.length > self->history_limit)
    snapshot_free (g_queue_pop_tail (&self->undo));
}

/* Records the current state as one undo step and installs the edited
 * copy; an edit that changes nothing records nothing. */
static void
commit (CnvStackEditor *self,
        CnvModelSpec   *edited,
        int             selection)
{
  gboolean could_undo = cnv_stack_editor_get_can_undo (self);
  gboolean could_redo = cnv_stack_editor_get_can_redo (self);
  guint old_n_layers = self->spec->n_layers;

  if (cnv_model_spec_equal (edited, self->spec))
    {
      cnv_model_spec_free (edited);
      cnv_stack_editor_set_selection (self, selection);
      return;
    }

  g_queue_push_head (&self->undo,
                     snapshot_new (g_steal_pointer (&self->spec),
                                   self->selection));
  trim_history (self);
  g_queue_clear_full (&self->redo, snapshot_free);

  install (self, edited, selection, old_n_layers, could_undo, could_redo);
}

static void
cnv_stack_editor_finalize (GObject *object)
{
  CnvStackEditor *self = CNV_STACK_EDITOR (object);

  cnv_model_spec_free (self->spec);
  g_free (self->shapes);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  cnv_model_costs_clear (&self->costs);
  g_queue_clear_full (&self->undo, snapshot_free);
  g_queue_clear_full (&self->redo, snapshot_free);

  G_OBJECT_CLASS (cnv_stack_editor_parent_class)->finalize (object);
}

static void
cnv_stack_editor_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CnvStackEditor *self = CNV_STACK_EDITOR (object);

  switch (prop_id)
    {
    case PROP_CAN_UNDO:
      g_value_set_boolean (value, cnv_stack_editor_get_can_undo (self));
      break;
    case PROP_CAN_REDO:
      g_value_set_boolean (value, cnv_stack_editor_get_can_redo (self));
      break;
    case PROP_IS_VALID:
      g_value_set_boolean (value, self->is_valid);
      break;
    case PROP_INVALID_REASON:
      g_value_set_string (value, cnv_stack_editor_get_invalid_reason (self));
      break;
    case PROP_SELECTION:
      g_value_set_int (value, self->selection);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_int (value, self->batch_size);
      break;
    case PROP_N_LAYERS:
      g_value_set_uint (value, self->spec->n_layers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_stack_editor_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CnvStackEditor *self = CNV_STACK_EDITOR (object);

  switch (prop_id)
    {
    case PROP_SELECTION:
      cnv_stack_editor_set_selection (self, g_value_get_int (value));
      break;
    case PROP_BATCH_SIZE:
      cnv_stack_editor_set_batch_size (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_stack_editor_class_init (CnvStackEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                   | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                   | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = cnv_stack_editor_finalize;
  object_class->get_property = cnv_stack_editor_get_property;
  object_class->set_property = cnv_stack_editor_set_property;

  properties[PROP_CAN_UNDO] =
    g_param_spec_boolean ("can-undo", NULL, NULL, FALSE, ro);
  properties[PROP_CAN_REDO] =
    g_param_spec_boolean ("can-redo", NULL, NULL, FALSE, ro);
  properties[PROP_IS_VALID] =
    g_param_spec_boolean ("is-valid", NULL, NULL, FALSE, ro);
  properties[PROP_INVALID_REASON] =
    g_param_spec_string ("invalid-reason", NULL, NULL, NULL, ro);
  properties[PROP_SELECTION] =
    g_param_spec_int ("selection", NULL, NULL, -1, G_MAXINT, -1, rw);
  properties[PROP_BATCH_SIZE] =
    g_param_spec_int ("batch-size", NULL, NULL, 1, 65536, 32, rw);
  properties[PROP_N_LAYERS] =
    g_param_spec_uint ("n-layers", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* After every edit, undo, redo and batch-size change: the stack, its
   * shapes, costs or problems may differ. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
cnv_stack_editor_init (CnvStackEditor *self)
{
  self->selection = -1;
  self->batch_size = 32;
  self->history_limit = CNV_STACK_EDITOR_HISTORY_LIMIT;
  g_queue_init (&self->undo);
  g_queue_init (&self->redo);
}

CnvStackEditor *
cnv_stack_editor_new (const CnvModelSpec *spec)
{
  CnvStackEditor *self = g_object_new (CNV_TYPE_STACK_EDITOR, NULL);

  self->spec = spec != NULL ? cnv_model_spec_copy (spec)
                            : cnv_model_spec_new_default ();
  recompute (self);

  return self;
}

/* Getters */

const CnvModelSpec *
cnv_stack_editor_get_spec (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), NULL);

  return self->spec;
}

guint
cnv_stack_editor_get_n_layers (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), 0);

  return self->spec->n_layers;
}

const CnvShape *
cnv_stack_editor_get_shape (CnvStackEditor *self,
                            guint           layer)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), NULL);
  g_return_val_if_fail (layer < self->spec->n_layers, NULL);

  return &self->shapes[layer];
}

GPtrArray *
cnv_stack_editor_get_problems (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), NULL);

  return self->problems;
}

const char *
cnv_stack_editor_get_layer_problem (CnvStackEditor *self,
                                    guint           layer)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), NULL);

  for (guint i = 0; i < self->problems->len; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (self->problems, i);

      if (problem->layer == (int) layer)
        return problem->message;
    }

  return NULL;
}

gboolean
cnv_stack_editor_get_is_valid (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);

  return self->is_valid;
}

const char *
cnv_stack_editor_get_invalid_reason (CnvStackEditor *self)
{
  const CnvModelProblem *first;

  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), NULL);

  if (self->problems == NULL || self->problems->len == 0)
    return NULL;

  first = g_ptr_array_index (self->problems, 0);
  return first->message;
}

const CnvModelCosts *
cnv_stack_editor_get_costs (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), NULL);

  return &self->costs;
}

int
cnv_stack_editor_get_batch_size (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), 0);

  return self->batch_size;
}

void
cnv_stack_editor_set_batch_size (CnvStackEditor *self,
                                 int             batch_size)
{
  g_return_if_fail (CNV_IS_STACK_EDITOR (self));
  g_return_if_fail (batch_size >= 1);

  if (self->batch_size == batch_size)
    return;

  self->batch_size = batch_size;
  recompute (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BATCH_SIZE]);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
cnv_stack_editor_set_memory_limit (CnvStackEditor *self,
                                   guint64         bytes)
{
  g_return_if_fail (CNV_IS_STACK_EDITOR (self));

  if (self->memory_limit == bytes)
    return;

  self->memory_limit = bytes;
  recompute (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

int
cnv_stack_editor_get_selection (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), -1);

  return self->selection;
}

void
cnv_stack_editor_set_selection (CnvStackEditor *self,
                                int             selection)
{
  g_return_if_fail (CNV_IS_STACK_EDITOR (self));
  g_return_if_fail (selection >= -1
                    && selection < (int) self->spec->n_layers);

  if (self->selection == selection)
    return;

  self->selection = selection;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTION]);
}

/* Ids */

static gboolean
has_id (const CnvModelSpec *spec,
        const char         *id,
        int                 except)
{
  for (guint i = 0; i < spec->n_layers; i++)
    if ((int) i != except && g_strcmp0 (spec->layers[i].id, id) == 0)
      return TRUE;

  return FALSE;
}

static const char *
kind_prefix (CnvLayerKind kind)
{
  static const char *prefixes[CNV_N_LAYER_KINDS] = {
    [CNV_LAYER_CONV2D]          = "conv",
    [CNV_LAYER_MAX_POOL]        = "pool",
    [CNV_LAYER_AVG_POOL]        = "avgpool",
    [CNV_LAYER_GLOBAL_AVG_POOL] = "gap",
    [CNV_LAYER_BATCH_NORM]      = "bn",
    [CNV_LAYER_DROPOUT]         = "drop",
    [CNV_LAYER_FLATTEN]         = "flatten",
    [CNV_LAYER_DENSE]           = "fc",
    [CNV_LAYER_RELU]            = "relu",
    [CNV_LAYER_LEAKY_RELU]      = "lrelu",
    [CNV_LAYER_SIGMOID]         = "sigmoid",
    [CNV_LAYER_TANH]            = "tanh",
    [CNV_LAYER_SOFTMAX]         = "softmax",
  };

  return prefixes[kind];
}

/* prefix1, prefix2, … : the first one no layer has. */
static char *
fresh_id (const CnvModelSpec *spec,
          const char         *prefix)
{
  for (guint n = 1;; n++)
    {
      g_autofree char *id = g_strdup_printf ("%s%u", prefix, n);

      if (!has_id (spec, id, -1))
        return g_steal_pointer (&id);
    }
}

static gboolean
check_id (const CnvModelSpec  *spec,
          guint                layer,
          const char          *id,
          GError             **error)
{
  if (!cnv_layer_id_is_valid (id))
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("“%s” cannot name a layer; use letters, digits, “_” "
                     "and “-” only."), id);
      return FALSE;
    }

  if (has_id (spec, id, (int) layer))
    {
      g_set_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID,
                   _("Another layer is already called “%s”; choose a "
                     "different name."), id);
      return FALSE;
    }

  return TRUE;
}

/* Editing copies of the spec */

static void
spec_insert (CnvModelSpec       *spec,
             guint               position,
             const CnvLayerSpec *layer)
{
  spec->layers = g_renew (CnvLayerSpec, spec->layers, spec->n_layers + 1);
  memmove (&spec->layers[position + 1], &spec->layers[position],
           (spec->n_layers - position) * sizeof *spec->layers);
  spec->layers[position] = *layer;
  spec->n_layers++;
}

static void
spec_remove (CnvModelSpec *spec,
             guint         position)
{
  g_free (spec->layers[position].id);
  memmove (&spec->layers[position], &spec->layers[position + 1],
           (spec->n_layers - position - 1) * sizeof *spec->layers);
  spec->n_layers--;
}

/* Edits */

guint
cnv_stack_editor_insert_layer (CnvStackEditor *self,
                               guint           position,
                               CnvLayerKind    kind)
{
  CnvModelSpec *edited;
  CnvLayerSpec layer;

  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), 0);
  g_return_val_if_fail (position <= self->spec->n_layers, 0);
  g_return_val_if_fail (kind < CNV_N_LAYER_KINDS, 0);

  edited = cnv_model_spec_copy (self->spec);
  cnv_layer_spec_init_defaults (&layer, kind);
  layer.id = fresh_id (edited, kind_prefix (kind));
  spec_insert (edited, position, &layer);
  commit (self, edited, (int) position);

  return position;
}

void
cnv_stack_editor_remove_layer (CnvStackEditor *self,
                               guint           layer)
{
  CnvModelSpec *edited;
  int selection;

  g_return_if_fail (CNV_IS_STACK_EDITOR (self));
  g_return_if_fail (layer < self->spec->n_layers);

  edited = cnv_model_spec_copy (self->spec);
  spec_remove (edited, layer);

  /* The row that takes its place, or the one above at the bottom. */
  selection = MIN ((int) layer, (int) edited->n_layers - 1);
  commit (self, edited, selection);
}

guint
cnv_stack_editor_duplicate_layer (CnvStackEditor *self,
                                  guint           layer)
{
  g_autofree char *base = NULL;
  CnvModelSpec *edited;
  CnvLayerSpec copy;
  gsize length;

  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), 0);
  g_return_val_if_fail (layer < self->spec->n_layers, 0);

  edited = cnv_model_spec_copy (self->spec);
  copy = edited->layers[layer];

  /* "conv1" → "conv3" when conv2 exists: the id without its number. */
  base = g_strdup (copy.id != NULL ? copy.id : "");
  length = strlen (base);
  while (length > 0 && g_ascii_isdigit (base[length - 1]))
    base[--length] = '\0';
  if (!cnv_layer_id_is_valid (base))
    {
      g_free (base);
      base = g_strdup (kind_prefix (copy.kind));
    }
  copy.id = fresh_id (edited, base);

  spec_insert (edited, layer + 1, &copy);
  commit (self, edited, (int) layer + 1);

  return layer + 1;
}

void
cnv_stack_editor_move_layer (CnvStackEditor *self,
                             guint           from,
                             guint           to)
{
  CnvModelSpec *edited;
  CnvLayerSpec moved;

  g_return_if_fail (CNV_IS_STACK_EDITOR (self));
  g_return_if_fail (from < self->spec->n_layers);
  g_return_if_fail (to < self->spec->n_layers);

  if (from == to)
    {
      cnv_stack_editor_set_selection (self, (int) to);
      return;
    }

  edited = cnv_model_spec_copy (self->spec);
  moved = edited->layers[from];
  memmove (&edited->layers[from], &edited->layers[from + 1],
           (edited->n_layers - from - 1) * sizeof *edited->layers);
  memmove (&edited->layers[to + 1], &edited->layers[to],
           (edited->n_layers - to - 1) * sizeof *edited->layers);
  edited->layers[to] = moved;
  commit (self, edited, (int) to);
}

gboolean
cnv_stack_editor_move_up (CnvStackEditor *self,
                          guint           layer)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);
  g_return_val_if_fail (layer < self->spec->n_layers, FALSE);

  if (layer == 0)
    return FALSE;

  cnv_stack_editor_move_layer (self, layer, layer - 1);
  return TRUE;
}

gboolean
cnv_stack_editor_move_down (CnvStackEditor *self,
                            guint           layer)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);
  g_return_val_if_fail (layer < self->spec->n_layers, FALSE);

  if (layer + 1 >= self->spec->n_layers)
    return FALSE;

  cnv_stack_editor_move_layer (self, layer, layer + 1);
  return TRUE;
}

gboolean
cnv_stack_editor_rename_layer (CnvStackEditor  *self,
                               guint            layer,
                               const char      *id,
                               GError         **error)
{
  CnvModelSpec *edited;

  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);
  g_return_val_if_fail (layer < self->spec->n_layers, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_id (self->spec, layer, id, error))
    return FALSE;

  edited = cnv_model_spec_copy (self->spec);
  g_free (edited->layers[layer].id);
  edited->layers[layer].id = g_strdup (id);
  commit (self, edited, (int) layer);

  return TRUE;
}

gboolean
cnv_stack_editor_set_layer (CnvStackEditor      *self,
                            guint                layer,
                            const CnvLayerSpec  *spec,
                            GError             **error)
{
  CnvModelSpec *edited;
  const char *id;

  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);
  g_return_val_if_fail (layer < self->spec->n_layers, FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (spec->kind < CNV_N_LAYER_KINDS, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  id = spec->id != NULL ? spec->id : self->spec->layers[layer].id;
  if (g_strcmp0 (id, self->spec->layers[layer].id) != 0
      && !check_id (self->spec, layer, id, error))
    return FALSE;

  edited = cnv_model_spec_copy (self->spec);
  g_free (edited->layers[layer].id);
  edited->layers[layer] = *spec;
  edited->layers[layer].id = g_strdup (id);
  commit (self, edited, (int) layer);

  return TRUE;
}

void
cnv_stack_editor_set_input (CnvStackEditor *self,
                            int             width,
                            int             height,
                            int             channels)
{
  CnvModelSpec *edited;

  g_return_if_fail (CNV_IS_STACK_EDITOR (self));

  edited = cnv_model_spec_copy (self->spec);
  edited->width = width;
  edited->height = height;
  edited->channels = channels;
  commit (self, edited, self->selection);
}

void
cnv_stack_editor_replace (CnvStackEditor     *self,
                          const CnvModelSpec *spec)
{
  g_return_if_fail (CNV_IS_STACK_EDITOR (self));
  g_return_if_fail (spec != NULL);

  /* A replacement starts a new line of edits even when it leaves the
   * stack as it was: redoing a step of the old line on top of another
   * model's stack would surprise. */
  if (cnv_model_spec_equal (spec, self->spec)
      && cnv_stack_editor_get_can_redo (self))
    {
      g_queue_clear_full (&self->redo, snapshot_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
    }

  commit (self, cnv_model_spec_copy (spec), spec->n_layers > 0 ? 0 : -1);
}

void
cnv_stack_editor_load_template (CnvStackEditor   *self,
                                CnvModelTemplate  template_)
{
  g_autoptr(CnvModelSpec) spec = NULL;

  g_return_if_fail (CNV_IS_STACK_EDITOR (self));
  g_return_if_fail (template_ < CNV_N_MODEL_TEMPLATES);

  spec = cnv_model_spec_new_template (template_);
  cnv_stack_editor_replace (self, spec);
}

gboolean
cnv_stack_editor_import_json (CnvStackEditor  *self,
                              const char      *json,
                              gssize           length,
                              GError         **error)
{
  g_autoptr(CnvModelSpec) spec = NULL;

  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  spec = cnv_model_spec_new_from_json (json, length, error);
  if (spec == NULL)
    return FALSE;

  cnv_stack_editor_replace (self, spec);
  return TRUE;
}

char *
cnv_stack_editor_export_json (CnvStackEditor *self)
{
  g_autofree char *json = NULL;

  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), NULL);

  /* The text of a file: it ends with a newline. */
  json = cnv_model_spec_to_json (self->spec, TRUE);

  return g_strconcat (json, "\n", NULL);
}

/* History */

gboolean
cnv_stack_editor_get_can_undo (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);

  return self->undo.length > 0;
}

gboolean
cnv_stack_editor_get_can_redo (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);

  return self->redo.length > 0;
}

/* Moves the current state onto `to` and installs the newest of `from`. */
static gboolean
swap_history (CnvStackEditor *self,
              GQueue         *from,
              GQueue         *to)
{
  gboolean could_undo = cnv_stack_editor_get_can_undo (self);
  gboolean could_redo = cnv_stack_editor_get_can_redo (self);
  guint old_n_layers = self->spec->n_layers;
  Snapshot *snapshot;
  CnvModelSpec *spec;
  int selection;

  if (from->length == 0)
    return FALSE;

  snapshot = g_queue_pop_head (from);
  spec = g_steal_pointer (&snapshot->spec);
  selection = snapshot->selection;
  snapshot_free (snapshot);

  g_queue_push_head (to, snapshot_new (g_steal_pointer (&self->spec),
                                       self->selection));
  install (self, spec, selection, old_n_layers, could_undo, could_redo);

  return TRUE;
}

gboolean
cnv_stack_editor_undo (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);

  return swap_history (self, &self->undo, &self->redo);
}

gboolean
cnv_stack_editor_redo (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), FALSE);

  return swap_history (self, &self->redo, &self->undo);
}

guint
cnv_stack_editor_get_history_limit (CnvStackEditor *self)
{
  g_return_val_if_fail (CNV_IS_STACK_EDITOR (self), 0);

  return self->history_limit;
}

void
cnv_stack_editor_set_history_limit (CnvStackEditor *self,
                                    guint           limit)
{
  gboolean could_undo;

  g_return_if_fail (CNV_IS_STACK_EDITOR (self));

  could_undo = cnv_stack_editor_get_can_undo (self);
  self->history_limit = limit;
  trim_history (self);
  if (could_undo != cnv_stack_editor_get_can_undo (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
}
