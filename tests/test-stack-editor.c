/* test-stack-editor.c — the layer stack editor's state, headless: every
 * edit, undo and redo through valid and invalid stacks, the history
 * limit, fresh ids, the selection, JSON export and import. */
#include <string.h>

#include "cnv.h"

typedef struct
{
  guint changed;
  guint can_undo;
  guint can_redo;
  guint is_valid;
  guint selection;
} Counts;

static void
changed_cb (CnvStackEditor *editor,
            Counts         *counts)
{
  counts->changed++;
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           Counts     *counts)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "can-undo"))
    counts->can_undo++;
  else if (g_str_equal (name, "can-redo"))
    counts->can_redo++;
  else if (g_str_equal (name, "is-valid"))
    counts->is_valid++;
  else if (g_str_equal (name, "selection"))
    counts->selection++;
}

static CnvStackEditor *
new_editor (Counts *counts)
{
  CnvStackEditor *editor = cnv_stack_editor_new (NULL);

  memset (counts, 0, sizeof *counts);
  g_signal_connect (editor, "changed", G_CALLBACK (changed_cb), counts);
  g_signal_connect (editor, "notify", G_CALLBACK (notify_cb), counts);

  return editor;
}

static const char *
id_at (CnvStackEditor *editor,
       guint           layer)
{
  return cnv_stack_editor_get_spec (editor)->layers[layer].id;
}

/* "conv1 relu1 pool1 …" */
static char *
ids (CnvStackEditor *editor)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (editor);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < spec->n_layers; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", spec->layers[i].id);

  return g_string_free (s, FALSE);
}

#define LENET_IDS "conv1 relu1 pool1 conv2 relu2 pool2 flatten fc1 relu3 out"

static void
assert_ids (CnvStackEditor *editor,
            const char     *expected)
{
  g_autofree char *actual = ids (editor);

  g_assert_cmpstr (actual, ==, expected);
}

static void
test_new (void)
{
  g_autoptr(CnvModelSpec) lenet = cnv_model_spec_new_default ();
  g_autoptr(CnvStackEditor) editor = cnv_stack_editor_new (NULL);
  g_autoptr(CnvModelSpec) vgg = cnv_model_spec_new_template (
    CNV_TEMPLATE_SMALL_VGG);
  g_autoptr(CnvStackEditor) other = cnv_stack_editor_new (vgg);
  g_autofree char *reason = NULL;
  gboolean valid = FALSE;

  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                       lenet));
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_null (cnv_stack_editor_get_invalid_reason (editor));
  g_assert_false (cnv_stack_editor_get_can_undo (editor));
  g_assert_false (cnv_stack_editor_get_can_redo (editor));
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, -1);
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->parameters, ==,
                    53729);
  g_assert_cmpint (cnv_stack_editor_get_shape (editor, 2)->channels, ==, 8);
  g_assert_cmpint (cnv_stack_editor_get_shape (editor, 2)->height, ==, 14);
  g_object_get (editor, "is-valid", &valid, "invalid-reason", &reason, NULL);
  g_assert_true (valid);
  g_assert_null (reason);

  g_assert_cmpuint (cnv_stack_editor_get_n_layers (other), ==, 20);
  g_assert_cmpuint (cnv_stack_editor_get_costs (other)->multiply_adds, ==,
                    155582592);
}

static void
test_insert (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);
  const CnvLayerSpec *layer;
  guint index;

  index = cnv_stack_editor_insert_layer (editor, 6, CNV_LAYER_CONV2D);
  g_assert_cmpuint (index, ==, 6);
  assert_ids (editor, "conv1 relu1 pool1 conv2 relu2 pool2 conv3 flatten "
              "fc1 relu3 out");
  layer = &cnv_stack_editor_get_spec (editor)->layers[6];
  g_assert_cmpint (layer->kind, ==, CNV_LAYER_CONV2D);
  g_assert_cmpint (layer->filters, ==, 16);
  g_assert_cmpint (layer->kernel[0], ==, 3);
  g_assert_cmpint (layer->kernel[1], ==, 3);
  g_assert_cmpint (layer->stride[0], ==, 1);
  g_assert_cmpint (layer->padding, ==, CNV_PADDING_SAME);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 6);
  g_assert_cmpuint (counts.changed, ==, 1);
  g_assert_cmpuint (counts.can_undo, ==, 1);
  g_assert_cmpuint (counts.selection, ==, 1);
  /* 16 filters of 3×3 on [16, 7, 7], then 784 → 64 as before. */
  g_assert_cmpint (cnv_stack_editor_get_shape (editor, 6)->channels, ==, 16);
  g_assert_cmpint (cnv_stack_editor_get_shape (editor, 6)->height, ==, 7);
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->parameters, ==,
                    53729 + 16 * 16 * 9 + 16);

  /* Every kind, at the top, the bottom and in between: fresh ids. */
  cnv_stack_editor_insert_layer (editor, 0, CNV_LAYER_MAX_POOL);
  cnv_stack_editor_insert_layer (editor, 12, CNV_LAYER_DENSE);
  cnv_stack_editor_insert_layer (editor, 1, CNV_LAYER_DROPOUT);
  cnv_stack_editor_insert_layer (editor, 1, CNV_LAYER_BATCH_NORM);
  cnv_stack_editor_insert_layer (editor, 1, CNV_LAYER_LEAKY_RELU);
  cnv_stack_editor_insert_layer (editor, 1, CNV_LAYER_FLATTEN);
  assert_ids (editor, "pool3 flatten1 lrelu1 bn1 drop1 conv1 relu1 pool1 "
              "conv2 relu2 pool2 conv3 flatten fc1 relu3 out fc2");
  layer = &cnv_stack_editor_get_spec (editor)->layers[0];
  g_assert_cmpint (layer->kernel[0], ==, 2);
  g_assert_cmpint (layer->stride[1], ==, 2);
  layer = &cnv_stack_editor_get_spec (editor)->layers[16];
  g_assert_cmpint (layer->units, ==, 64);
  layer = &cnv_stack_editor_get_spec (editor)->layers[2];
  g_assert_cmpfloat (layer->slope, ==, 0.01f);
  layer = &cnv_stack_editor_get_spec (editor)->layers[3];
  g_assert_cmpfloat (layer->momentum, ==, 0.1f);
  g_assert_cmpfloat (layer->epsilon, ==, 1e-5f);
  layer = &cnv_stack_editor_get_spec (editor)->layers[4];
  g_assert_cmpfloat (layer->rate, ==, 0.5f);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 1);
  g_assert_cmpuint (counts.changed, ==, 7);

  /* A flatten that early puts the convolutions after it, and dense 64
   * as the last layer is not a binary head. */
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpuint (counts.is_valid, ==, 1);
}

static void
test_remove_and_selection (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);

  cnv_stack_editor_remove_layer (editor, 2);
  assert_ids (editor, "conv1 relu1 conv2 relu2 pool2 flatten fc1 relu3 out");
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 2);
  /* Without pool1 the flatten gives 16·14·14 = 3136 features. */
  g_assert_cmpint (cnv_stack_editor_get_shape (editor, 5)->channels, ==,
                   3136);

  /* Removing the last row selects the one above. */
  cnv_stack_editor_remove_layer (editor, 8);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 7);
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_nonnull (strstr (cnv_stack_editor_get_invalid_reason (editor),
                            "“relu3”"));
  g_assert_nonnull (cnv_stack_editor_get_layer_problem (editor, 7));
  g_assert_null (cnv_stack_editor_get_layer_problem (editor, 0));

  while (cnv_stack_editor_get_n_layers (editor) > 0)
    cnv_stack_editor_remove_layer (editor, 0);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, -1);
  g_assert_nonnull (strstr (cnv_stack_editor_get_invalid_reason (editor),
                            "no layers"));
  g_assert_cmpuint (counts.changed, ==, 2 + 8);

  /* All the way back. */
  while (cnv_stack_editor_undo (editor))
    ;
  assert_ids (editor, LENET_IDS);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, -1);
  g_assert_true (cnv_stack_editor_get_can_redo (editor));
}

static void
test_duplicate (void)
{
  g_autoptr(CnvStackEditor) editor = cnv_stack_editor_new (NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const CnvModelSpec *spec;
  guint index;

  index = cnv_stack_editor_duplicate_layer (editor, 0);
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpstr (id_at (editor, 1), ==, "conv3");
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[1].filters,
                   ==, 8);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 1);

  cnv_stack_editor_duplicate_layer (editor, 10);
  g_assert_cmpstr (id_at (editor, 11), ==, "out1");
  cnv_stack_editor_duplicate_layer (editor, 7);
  g_assert_cmpstr (id_at (editor, 8), ==, "flatten1");

  /* Duplicating and inserting many times never repeats an id. */
  for (int i = 0; i < 30; i++)
    {
      cnv_stack_editor_duplicate_layer (editor, (guint) (i % 5));
      cnv_stack_editor_insert_layer (editor, 3, (CnvLayerKind) (i % 12));
    }
  spec = cnv_stack_editor_get_spec (editor);
  g_assert_cmpuint (spec->n_layers, ==, 13 + 60);
  for (guint i = 0; i < spec->n_layers; i++)
    {
      g_assert_true (cnv_layer_id_is_valid (spec->layers[i].id));
      g_assert_true (g_hash_table_add (seen, spec->layers[i].id));
    }
}

static void
test_move (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);

  g_assert_false (cnv_stack_editor_move_up (editor, 0));
  g_assert_false (cnv_stack_editor_move_down (editor, 9));
  g_assert_cmpuint (counts.changed, ==, 0);

  g_assert_true (cnv_stack_editor_move_down (editor, 0));
  assert_ids (editor, "relu1 conv1 pool1 conv2 relu2 pool2 flatten fc1 "
              "relu3 out");
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 1);
  g_assert_true (cnv_stack_editor_move_up (editor, 1));
  assert_ids (editor, LENET_IDS);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 0);

  cnv_stack_editor_move_layer (editor, 1, 8);
  assert_ids (editor, "conv1 pool1 conv2 relu2 pool2 flatten fc1 relu3 "
              "relu1 out");
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 8);
  cnv_stack_editor_move_layer (editor, 9, 0);
  assert_ids (editor, "out conv1 pool1 conv2 relu2 pool2 flatten fc1 relu3 "
              "relu1");
  g_assert_false (cnv_stack_editor_get_is_valid (editor));

  /* Moving a layer onto itself is no step. */
  cnv_stack_editor_move_layer (editor, 4, 4);
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 4);
  g_assert_cmpuint (counts.changed, ==, 4);

  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_true (cnv_stack_editor_undo (editor));
  assert_ids (editor, LENET_IDS);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 0);
}

static void
test_rename (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);
  g_autoptr(GError) error = NULL;

  g_assert_true (cnv_stack_editor_rename_layer (editor, 0, "stem", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (id_at (editor, 0), ==, "stem");
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 0);

  g_assert_false (cnv_stack_editor_rename_layer (editor, 0, "conv2",
                                                 &error));
  g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "“conv2”"));
  g_clear_error (&error);
  g_assert_false (cnv_stack_editor_rename_layer (editor, 0, "my conv",
                                                 &error));
  g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "letters, digits"));
  g_clear_error (&error);
  g_assert_false (cnv_stack_editor_rename_layer (editor, 0, "", &error));
  g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID);
  g_clear_error (&error);

  /* Refusals change nothing; renaming to its own id is no step. */
  g_assert_cmpstr (id_at (editor, 0), ==, "stem");
  g_assert_true (cnv_stack_editor_rename_layer (editor, 0, "stem", NULL));
  g_assert_cmpuint (counts.changed, ==, 1);

  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_cmpstr (id_at (editor, 0), ==, "conv1");
  g_assert_true (cnv_stack_editor_redo (editor));
  g_assert_cmpstr (id_at (editor, 0), ==, "stem");
}

static void
test_set_layer (void)
{
  g_autoptr(CnvStackEditor) editor = cnv_stack_editor_new (NULL);
  g_autoptr(GError) error = NULL;
  CnvLayerSpec layer = cnv_stack_editor_get_spec (editor)->layers[0];

  /* 8 → 12 filters of 3×3: conv1 1·9·12 + 12 = 120, conv2 16·12·25 + 16. */
  layer.id = NULL;
  layer.filters = 12;
  layer.kernel[0] = layer.kernel[1] = 3;
  g_assert_true (cnv_stack_editor_set_layer (editor, 0, &layer, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (id_at (editor, 0), ==, "conv1");
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->layers[0].parameters,
                    ==, 120);
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->layers[3].parameters,
                    ==, 16 * 12 * 25 + 16);

  /* A 29×29 valid kernel breaks the stack, named on its row; later rows
   * keep a shape. */
  layer.kernel[0] = layer.kernel[1] = 29;
  layer.padding = CNV_PADDING_VALID;
  g_assert_true (cnv_stack_editor_set_layer (editor, 0, &layer, NULL));
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_nonnull (strstr (cnv_stack_editor_get_layer_problem (editor, 0),
                            "29×29"));
  g_assert_cmpint (cnv_stack_editor_get_shape (editor, 7)->channels, ==, 64);

  /* Changing kind and id at once; a taken id is refused. */
  layer.id = (char *) "fc1";
  g_assert_false (cnv_stack_editor_set_layer (editor, 0, &layer, &error));
  g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_INVALID);
  layer.id = (char *) "norm";
  layer.kind = CNV_LAYER_BATCH_NORM;
  g_assert_true (cnv_stack_editor_set_layer (editor, 0, &layer, NULL));
  g_assert_cmpstr (id_at (editor, 0), ==, "norm");
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].kind, ==,
                   CNV_LAYER_BATCH_NORM);
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->layers[0].parameters,
                    ==, 2);

  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->layers[0].filters,
                   ==, 12);
}

static void
test_set_input (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);

  cnv_stack_editor_set_input (editor, 32, 32, 3);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->channels, ==, 3);
  /* conv1 3·25·8 + 8 = 608; flatten 16·8·8 = 1024 → 64. */
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->layers[0].parameters,
                    ==, 608);
  g_assert_cmpint (cnv_stack_editor_get_shape (editor, 6)->channels, ==,
                   1024);

  /* 3×3 collapses after two pools of 2: pool2 gets 1×1. */
  cnv_stack_editor_set_input (editor, 3, 3, 1);
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  cnv_stack_editor_set_input (editor, 0, 28, 1);
  g_assert_nonnull (strstr (cnv_stack_editor_get_invalid_reason (editor),
                            "out of range"));
  cnv_stack_editor_set_input (editor, 0, 28, 1);
  g_assert_cmpuint (counts.changed, ==, 3);

  cnv_stack_editor_undo (editor);
  cnv_stack_editor_undo (editor);
  g_assert_cmpint (cnv_stack_editor_get_spec (editor)->width, ==, 32);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
}

/* Undo and redo through invalid states, redo dropped by a new edit, and
 * the notifications on the way. */
static void
test_undo_redo (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);
  g_autoptr(CnvModelSpec) start = cnv_model_spec_new_default ();
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func (
    (GDestroyNotify) cnv_model_spec_free);

  g_assert_false (cnv_stack_editor_undo (editor));
  g_assert_false (cnv_stack_editor_redo (editor));

  g_ptr_array_add (states, cnv_model_spec_copy (
    cnv_stack_editor_get_spec (editor)));
  cnv_stack_editor_remove_layer (editor, 6);          /* no flatten */
  g_ptr_array_add (states, cnv_model_spec_copy (
    cnv_stack_editor_get_spec (editor)));
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  cnv_stack_editor_insert_layer (editor, 9, CNV_LAYER_SIGMOID);
  g_ptr_array_add (states, cnv_model_spec_copy (
    cnv_stack_editor_get_spec (editor)));
  cnv_stack_editor_insert_layer (editor, 6, CNV_LAYER_FLATTEN);
  g_ptr_array_add (states, cnv_model_spec_copy (
    cnv_stack_editor_get_spec (editor)));
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  cnv_stack_editor_remove_layer (editor, 10);
  g_ptr_array_add (states, cnv_model_spec_copy (
    cnv_stack_editor_get_spec (editor)));
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpuint (counts.can_undo, ==, 1);
  g_assert_cmpuint (counts.can_redo, ==, 0);

  for (int i = 3; i >= 0; i--)
    {
      g_assert_true (cnv_stack_editor_undo (editor));
      g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                           states->pdata[i]));
    }
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                       start));
  g_assert_false (cnv_stack_editor_get_can_undo (editor));
  g_assert_cmpuint (counts.can_undo, ==, 2);
  g_assert_cmpuint (counts.can_redo, ==, 1);

  for (int i = 1; i <= 4; i++)
    {
      g_assert_true (cnv_stack_editor_redo (editor));
      g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                           states->pdata[i]));
    }
  g_assert_false (cnv_stack_editor_redo (editor));
  g_assert_cmpuint (counts.can_redo, ==, 2);

  /* A new edit after undo forgets what could be redone. */
  cnv_stack_editor_undo (editor);
  cnv_stack_editor_undo (editor);
  g_assert_true (cnv_stack_editor_get_can_redo (editor));
  cnv_stack_editor_insert_layer (editor, 0, CNV_LAYER_BATCH_NORM);
  g_assert_false (cnv_stack_editor_get_can_redo (editor));
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                       states->pdata[2]));
  /* 4 edits, 4 undos, 4 redos, 2 undos, 1 edit, 1 undo. */
  g_assert_cmpuint (counts.changed, ==, 16);
}

static void
test_history_limit (void)
{
  g_autoptr(CnvStackEditor) editor = cnv_stack_editor_new (NULL);
  guint undone = 0;

  g_assert_cmpuint (cnv_stack_editor_get_history_limit (editor), ==, 200);
  for (int i = 0; i < 250; i++)
    cnv_stack_editor_insert_layer (editor, 0, CNV_LAYER_RELU);
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, 260);

  while (cnv_stack_editor_undo (editor))
    undone++;
  g_assert_cmpuint (undone, ==, 200);
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, 60);

  /* Redo goes all the way forward again. */
  while (cnv_stack_editor_redo (editor))
    undone--;
  g_assert_cmpuint (undone, ==, 0);
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, 260);

  cnv_stack_editor_set_history_limit (editor, 3);
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_true (cnv_stack_editor_undo (editor));
  g_assert_false (cnv_stack_editor_undo (editor));
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, 257);
}

static void
test_replace_export_import (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);
  g_autoptr(CnvStackEditor) again = cnv_stack_editor_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *before = NULL;

  cnv_stack_editor_load_template (editor, CNV_TEMPLATE_EMPTY);
  g_assert_cmpuint (cnv_stack_editor_get_n_layers (editor), ==, 0);
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, -1);

  /* Build a stack from nothing. */
  cnv_stack_editor_insert_layer (editor, 0, CNV_LAYER_CONV2D);
  cnv_stack_editor_insert_layer (editor, 1, CNV_LAYER_RELU);
  cnv_stack_editor_insert_layer (editor, 2, CNV_LAYER_MAX_POOL);
  cnv_stack_editor_insert_layer (editor, 3, CNV_LAYER_FLATTEN);
  cnv_stack_editor_insert_layer (editor, 4, CNV_LAYER_DENSE);
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  {
    CnvLayerSpec head = cnv_stack_editor_get_spec (editor)->layers[4];

    head.id = (char *) "out";
    head.units = 1;
    g_assert_true (cnv_stack_editor_set_layer (editor, 4, &head, NULL));
  }
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  assert_ids (editor, "conv1 relu1 pool1 flatten1 out");

  json = cnv_stack_editor_export_json (editor);
  g_assert_true (cnv_stack_editor_import_json (again, json, -1, &error));
  g_assert_no_error (error);
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (again),
                                       cnv_stack_editor_get_spec (editor)));
  g_assert_cmpint (cnv_stack_editor_get_selection (again), ==, 0);
  g_assert_true (cnv_stack_editor_undo (again));
  assert_ids (again, LENET_IDS);

  /* A bad description leaves the stack alone. */
  before = cnv_stack_editor_export_json (editor);
  g_assert_false (cnv_stack_editor_import_json (
    editor, "{\"input\": {\"width\": 28, \"height\": 28, \"channels\": 1},"
    " \"layers\": [{\"id\": \"s\", \"type\": \"swish\"}]}", -1, &error));
  g_assert_error (error, CNV_MODEL_ERROR, CNV_MODEL_ERROR_UNKNOWN_TYPE);
  {
    g_autofree char *after = cnv_stack_editor_export_json (editor);

    g_assert_cmpstr (after, ==, before);
  }

  /* Replacing with the same stack is no step. */
  {
    guint changed = counts.changed;
    g_autoptr(CnvModelSpec) same = cnv_model_spec_copy (
      cnv_stack_editor_get_spec (editor));

    cnv_stack_editor_replace (editor, same);
    g_assert_cmpuint (counts.changed, ==, changed);
  }

  /* ... but it ends the line of edits that Redo would follow: after an
   * undo, opening a checkpoint whose stack is the one on screen leaves
   * nothing to redo. */
  {
    g_autoptr(CnvModelSpec) undone = NULL;

    cnv_stack_editor_insert_layer (editor, 5, CNV_LAYER_SIGMOID);
    g_assert_true (cnv_stack_editor_undo (editor));
    g_assert_true (cnv_stack_editor_get_can_redo (editor));
    undone = cnv_model_spec_copy (cnv_stack_editor_get_spec (editor));
    cnv_stack_editor_replace (editor, undone);
    g_assert_false (cnv_stack_editor_get_can_redo (editor));
    g_assert_false (cnv_stack_editor_redo (editor));
    g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                         undone));
  }
}

static void
test_memory_and_batch (void)
{
  Counts counts;
  g_autoptr(CnvStackEditor) editor = new_editor (&counts);

  /* LeNet at batch 32 trains in 6,713,104 bytes. */
  cnv_stack_editor_set_memory_limit (editor, 6713104);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  cnv_stack_editor_set_batch_size (editor, 33);
  g_assert_false (cnv_stack_editor_get_is_valid (editor));
  g_assert_nonnull (strstr (cnv_stack_editor_get_invalid_reason (editor),
                            "batches of 33"));
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->activation_bytes,
                    ==, 22865 * 4 * 33);
  g_object_set (editor, "batch-size", 32, NULL);
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_false (cnv_stack_editor_get_can_undo (editor));
  g_assert_cmpuint (counts.is_valid, ==, 2);
}

/* The architecture of a checkpoint replaces the stack in one step. */
static void
test_replace_from_checkpoint (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "checkpoints",
                                                 "v1-small.convolve", NULL);
  g_autoptr(CnvStackEditor) editor = cnv_stack_editor_new (NULL);
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  const CnvModelSpec *stored;

  classifier = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  stored = cnv_model_get_spec (classifier->model);

  cnv_stack_editor_replace (editor, stored);
  g_assert_true (cnv_model_spec_equal (cnv_stack_editor_get_spec (editor),
                                       stored));
  g_assert_true (cnv_stack_editor_get_is_valid (editor));
  g_assert_cmpuint (cnv_stack_editor_get_costs (editor)->parameters, ==,
                    cnv_model_count_parameters (classifier->model));
  g_assert_cmpint (cnv_stack_editor_get_selection (editor), ==, 0);
  g_assert_true (cnv_stack_editor_undo (editor));
  assert_ids (editor, LENET_IDS);
  g_assert_false (cnv_stack_editor_get_can_undo (editor));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/stack-editor/new", test_new);
  g_test_add_func ("/engine/stack-editor/insert", test_insert);
  g_test_add_func ("/engine/stack-editor/remove-and-selection",
                   test_remove_and_selection);
  g_test_add_func ("/engine/stack-editor/duplicate-gives-fresh-ids",
                   test_duplicate);
  g_test_add_func ("/engine/stack-editor/move", test_move);
  g_test_add_func ("/engine/stack-editor/rename", test_rename);
  g_test_add_func ("/engine/stack-editor/set-layer", test_set_layer);
  g_test_add_func ("/engine/stack-editor/set-input", test_set_input);
  g_test_add_func ("/engine/stack-editor/undo-redo-through-invalid-states",
                   test_undo_redo);
  g_test_add_func ("/engine/stack-editor/history-limit", test_history_limit);
  g_test_add_func ("/engine/stack-editor/replace-export-import",
                   test_replace_export_import);
  g_test_add_func ("/engine/stack-editor/replace-from-checkpoint",
                   test_replace_from_checkpoint);
  g_test_add_func ("/engine/stack-editor/memory-and-batch-size",
                   test_memory_and_batch);

  return g_test_run ();
}
