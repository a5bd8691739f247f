/* cnv-stack-editor.h — the layer stack editor's state, without widgets
 *
 * A CnvStackEditor holds the stack being designed, the selected row, the
 * shape, costs and problems of the current stack (recomputed after every
 * edit), and an undo history.  Every edit is one undoable step; the
 * window observes the editor through its properties and "changed".
 */
#pragma once

#include <glib-object.h>

#include "cnv-model.h"

G_BEGIN_DECLS

#define CNV_TYPE_STACK_EDITOR (cnv_stack_editor_get_type ())

G_DECLARE_FINAL_TYPE (CnvStackEditor, cnv_stack_editor, CNV, STACK_EDITOR,
                      GObject)

/* Steps kept for undo unless cnv_stack_editor_set_history_limit () says
 * otherwise; the oldest are forgotten first. */
#define CNV_STACK_EDITOR_HISTORY_LIMIT 200

/* Starts from a copy of spec, or from the default stack when NULL, with
 * an empty history. */
CnvStackEditor     *cnv_stack_editor_new            (const CnvModelSpec *spec);

/* The current stack (borrowed, valid until the next edit). */
const CnvModelSpec *cnv_stack_editor_get_spec       (CnvStackEditor *self);
guint               cnv_stack_editor_get_n_layers   (CnvStackEditor *self);
/* The output shape of a layer; channels = 0 when it cannot be inferred
 * because of a problem before it. */
const CnvShape     *cnv_stack_editor_get_shape      (CnvStackEditor *self,
                                                     guint           layer);
/* Every CnvModelProblem of the stack (borrowed), in the order of
 * cnv_model_spec_check (), then memory at the batch size. */
GPtrArray          *cnv_stack_editor_get_problems   (CnvStackEditor *self);
/* The first problem of one layer, or NULL when it has none. */
const char         *cnv_stack_editor_get_layer_problem (CnvStackEditor *self,
                                                        guint           layer);
gboolean            cnv_stack_editor_get_is_valid   (CnvStackEditor *self);
/* The first problem's message; NULL while the stack is valid. */
const char         *cnv_stack_editor_get_invalid_reason (CnvStackEditor *self);
/* Costs at the batch size (borrowed). */
const CnvModelCosts *cnv_stack_editor_get_costs     (CnvStackEditor *self);

int                 cnv_stack_editor_get_batch_size (CnvStackEditor *self);
void                cnv_stack_editor_set_batch_size (CnvStackEditor *self,
                                                     int             batch_size);
/* The memory a training run may use; 0 (the default) means this
 * machine's physical memory. */
void                cnv_stack_editor_set_memory_limit (CnvStackEditor *self,
                                                       guint64         bytes);

/* The selected layer, or -1 for none.  Edits move it to the layer they
 * touched; undo and redo restore it. */
int                 cnv_stack_editor_get_selection  (CnvStackEditor *self);
void                cnv_stack_editor_set_selection  (CnvStackEditor *self,
                                                     int             selection);

/* Edits.  Each is one undoable step and emits "changed"; an edit that
 * changes nothing records no step. */

/* Inserts a layer of kind with the editor's defaults and a fresh id
 * ("conv3") at position (0 … n_layers).  Returns its index. */
guint               cnv_stack_editor_insert_layer   (CnvStackEditor *self,
                                                     guint           position,
                                                     CnvLayerKind    kind);
void                cnv_stack_editor_remove_layer   (CnvStackEditor *self,
                                                     guint           layer);
/* Inserts a copy after layer with a fresh id.  Returns its index. */
guint               cnv_stack_editor_duplicate_layer (CnvStackEditor *self,
                                                      guint           layer);
/* Moves layer to index `to` (0 … n_layers − 1), the others closing up. */
void                cnv_stack_editor_move_layer     (CnvStackEditor *self,
                                                     guint           from,
                                                     guint           to);
/* FALSE, and nothing happens, at the top or bottom. */
gboolean            cnv_stack_editor_move_up        (CnvStackEditor *self,
                                                     guint           layer);
gboolean            cnv_stack_editor_move_down      (CnvStackEditor *self,
                                                     guint           layer);
/* Refuses an invalid id or one another layer has, with a
 * CNV_MODEL_ERROR_INVALID that says why. */
gboolean            cnv_stack_editor_rename_layer   (CnvStackEditor *self,
                                                     guint           layer,
                                                     const char     *id,
                                                     GError        **error);
/* Replaces a layer's spec (kind and parameters).  spec->id NULL keeps the
 * current id; another id is checked like a rename. */
gboolean            cnv_stack_editor_set_layer      (CnvStackEditor     *self,
                                                     guint               layer,
                                                     const CnvLayerSpec *spec,
                                                     GError            **error);
void                cnv_stack_editor_set_input      (CnvStackEditor *self,
                                                     int             width,
                                                     int             height,
                                                     int             channels);
/* Replaces the whole stack: a template, an imported description, the
 * architecture of a checkpoint. */
void                cnv_stack_editor_replace        (CnvStackEditor     *self,
                                                     const CnvModelSpec *spec);
void                cnv_stack_editor_load_template  (CnvStackEditor  *self,
                                                     CnvModelTemplate template_);
/* Parses a JSON model description and replaces the stack with it; on a
 * parse error the stack is left as it was. */
gboolean            cnv_stack_editor_import_json    (CnvStackEditor *self,
                                                     const char     *json,
                                                     gssize          length,
                                                     GError        **error);
/* The description that `convolve-cli train --model` takes. */
char               *cnv_stack_editor_export_json    (CnvStackEditor *self);

gboolean            cnv_stack_editor_get_can_undo   (CnvStackEditor *self);
gboolean            cnv_stack_editor_get_can_redo   (CnvStackEditor *self);
gboolean            cnv_stack_editor_undo           (CnvStackEditor *self);
gboolean            cnv_stack_editor_redo           (CnvStackEditor *self);
guint               cnv_stack_editor_get_history_limit (CnvStackEditor *self);
void                cnv_stack_editor_set_history_limit (CnvStackEditor *self,
                                                        guint           limit);

G_END_DECLS
