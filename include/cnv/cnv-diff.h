/* cnv-diff.h — what differs between two checkpoints or model descriptions
 *
 * A CnvModelRecord is everything that decides a model's answers, read
 * leniently so that a checkpoint Convolve cannot run (an unknown layer
 * type, a broken head) can still be shown: the architecture as stored,
 * the preprocessing, the classes, every tensor's name, shape and stored
 * dtype, the optimizer and the history.  A CnvDiff compares two records:
 * layers aligned by id first and by type and order second (a longest
 * common subsequence, so one inserted layer does not misalign the rest),
 * tensors by name, preprocessing and classes field by field.
 *
 * "a" is the side the user has (the stack on screen, the first file),
 * "b" the side that would replace it (the checkpoint being opened).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cnv-classifier.h"

G_BEGIN_DECLS

/* One layer as stored.  known is FALSE for a type Convolve does not
 * implement, or a known type with fields the engine refuses; its stored
 * fields are still in params. */
typedef struct
{
  char         *id;
  char         *type;       /* as stored: "conv2d", or an unknown name */
  gboolean      known;
  CnvLayerSpec  spec;       /* valid when known (spec.id is NULL) */
  JsonObject   *params;     /* every stored field but "id" and "type" */
  CnvShape      output;     /* channels == 0 when it cannot be inferred */
  gsize         n_params;   /* trainable scalars; 0 when unknown */
} CnvRecordLayer;

typedef struct
{
  char      *name;          /* "conv1.weight" */
  int        n_dims;
  int        shape[CNV_TENSOR_MAX_DIMS];
  char      *dtype;         /* as stored: "F32", "F64", …; "F32" for a
                             * record built from a live model */
  CnvTensor *value;         /* converted to F32; NULL for a model
                             * description, which has no weights */
} CnvRecordTensor;

typedef struct
{
  char            *label;          /* the file's display name, or "On
                                    * screen" */
  gboolean         has_weights;    /* a checkpoint or a live model */
  int              width;          /* the input */
  int              height;
  int              channels;
  GPtrArray       *layers;         /* CnvRecordLayer*, in stack order */
  gboolean         has_preprocessing;
  CnvPreprocessing preprocessing;
  gboolean         has_classes;
  char            *class_names[2]; /* index 1 is the positive class */
  double           threshold;
  GPtrArray       *tensors;        /* CnvRecordTensor*, sorted by name */
  gboolean         has_optimizer;
  CnvOptimizerConfig optimizer;    /* kind and hyperparameters */
  gboolean         optimizer_state_complete; /* every slot is stored */
  gint64           step;
  guint            batch_size;
  guint64          seed;
  GArray          *history;        /* CnvEpochRecord, empty when none */
  /* Sentences for the user: conversions made, things that cannot be
   * done with this record ("conv3 has the type \"deformable-conv\",
   * which Convolve does not implement: it can be viewed, not run"). */
  GPtrArray       *notices;
  /* FALSE when the record cannot be turned into a runnable classifier;
   * run_problem then says why in one sentence. */
  gboolean         runnable;
  char            *run_problem;
} CnvModelRecord;

/* A record of a live classifier: copies everything, tensors included. */
CnvModelRecord *cnv_model_record_new_from_classifier (const CnvClassifier *classifier,
                                                      const char          *label);
/* A record of a stack without weights (the editor's stack).  pp and
 * class_names may be NULL. */
CnvModelRecord *cnv_model_record_new_from_spec (const CnvModelSpec     *spec,
                                                const CnvPreprocessing *pp,
                                                const char * const     *class_names,
                                                const char             *label);
/* Reads a .convolve checkpoint or a JSON model description (told apart by
 * content, not by name).  Unknown layer types, a head that cannot work
 * and missing tensors are not errors here: they set runnable to FALSE and
 * add a notice.  A file that is not readable, not a checkpoint or not
 * valid is an error naming the file (the checkpoint reader's messages). */
CnvModelRecord *cnv_model_record_load (const char     *path,
                                       GError        **error);
void            cnv_model_record_free (CnvModelRecord *record);
/* Whether the file at path reads as a JSON model description rather
 * than a checkpoint, by its first bytes, as cnv_model_record_load ()
 * tells them apart; FALSE when it cannot be read. */
gboolean        cnv_model_record_is_description (const char *path);
/* The stack of a record, to edit or to train from new weights; NULL
 * when a layer has a type Convolve does not implement, with an error
 * naming the layer and the file at path (which the record was read
 * from; neither may be NULL). */
CnvModelSpec   *cnv_model_record_to_spec (const CnvModelRecord *record,
                                          const char           *path,
                                          GError              **error);

typedef enum
{
  CNV_DIFF_SAME,
  CNV_DIFF_CHANGED,    /* fields differ (the id may be one of them) */
  CNV_DIFF_ADDED,      /* only in b */
  CNV_DIFF_REMOVED,    /* only in a */
  CNV_DIFF_MOVED,      /* same id, another place in the order; fields may
                        * differ too */
} CnvDiffStatus;

/* One field that differs.  Values are display strings ("3×3", "same",
 * "1/255"); NULL when the field is absent on that side. */
typedef struct
{
  char *field;      /* stable name: "kernel", "filters", "scale", "id" */
  char *title;      /* translated: "Kernel" */
  char *a_value;
  char *b_value;
} CnvDiffField;

typedef struct
{
  CnvDiffStatus         status;
  int                   a_index;   /* -1 when absent in a */
  int                   b_index;   /* -1 when absent in b */
  const CnvRecordLayer *a;         /* borrowed from the records */
  const CnvRecordLayer *b;
  GPtrArray            *fields;    /* CnvDiffField*, empty when SAME */
  /* The output shapes differ (both known): a consequence of an earlier
   * row or of the input, not a field of this layer, so a row can be SAME
   * with it set. */
  gboolean              output_differs;
  /* The parameter counts differ (both sides present), for the same
   * reason: a dense layer after a changed flatten keeps its units. */
  gboolean              params_differ;
} CnvDiffLayerRow;

/* A SAME row whose shape or parameter count still differs: its settings
 * are the same, what it receives is not, so its weights do not fit. */
gboolean cnv_diff_layer_row_is_reshaped (const CnvDiffLayerRow *row);

typedef enum
{
  CNV_TENSOR_LOADABLE,        /* same name, same shape */
  CNV_TENSOR_SHAPE_MISMATCH,
  CNV_TENSOR_MISSING,         /* a needs it, b does not have it */
  CNV_TENSOR_UNEXPECTED,      /* b has it, no layer of a owns it */
} CnvTensorStatus;

typedef struct
{
  char            *name;
  CnvTensorStatus  status;
  const CnvRecordTensor *a;   /* borrowed; NULL when absent */
  const CnvRecordTensor *b;
  /* When both sides have values of the same shape: ‖b − a‖ / ‖a‖ and
   * the cosine similarity; NAN otherwise. */
  double           relative_l2;
  double           cosine;
  /* Both sides have values of the same shape, and some differ (also
   * where a was all zeros, as a bias starts). */
  gboolean         values_differ;
} CnvDiffTensorRow;

/* A proposed renaming: layer a_id in a matches b_id in b by type,
 * position and shape.  Never applied without the user's consent. */
typedef struct
{
  char *a_id;
  char *b_id;
} CnvDiffIdMapping;

typedef struct
{
  const CnvModelRecord *a;         /* borrowed: keep the records alive */
  const CnvModelRecord *b;
  GPtrArray *input;           /* CnvDiffField*: width, height, channels */
  GPtrArray *layers;          /* CnvDiffLayerRow*, aligned order */
  GPtrArray *tensors;         /* CnvDiffTensorRow*, sorted by name */
  GPtrArray *preprocessing;   /* CnvDiffField*, differing fields only */
  GPtrArray *classes;         /* CnvDiffField*: names, order, positive
                               * class, threshold */
  /* One or two sentences on what a class difference means for the user
   * ("The folder \"cats\" was the positive class in a and is the
   * negative class in b: every prediction would be inverted."), NULL
   * when the classes agree. */
  char      *classes_explanation;
  GPtrArray *training;        /* CnvDiffField*: optimizer kind, state,
                               * step, learning rate, batch size, seed */
  GPtrArray *mappings;        /* CnvDiffIdMapping*, proposed */
  guint      n_layers_differ; /* rows not SAME */
  guint      n_tensors_loadable;
  guint      n_tensors;       /* tensors a needs */
  /* b has a complete optimizer state and every trainable tensor of a is
   * loadable from b, so training a could resume b's optimizer. */
  gboolean   optimizer_state_fits;
} CnvDiff;

CnvDiff  *cnv_diff_new          (const CnvModelRecord *a,
                                 const CnvModelRecord *b);
void      cnv_diff_free         (CnvDiff              *diff);
/* TRUE when nothing differs: no layer row, field or tensor status
 * (tensor values are not compared; weights differ after any training). */
gboolean  cnv_diff_is_empty     (const CnvDiff        *diff);
/* "3 layers differ, preprocessing differs in 2 fields, 12 of 14 tensors
 * loadable" (translated, with plural forms); "No differences" when
 * empty. */
char     *cnv_diff_get_summary  (const CnvDiff        *diff);
/* The whole diff as JSON for `convolve-cli diff --json`. */
JsonNode *cnv_diff_to_json_node (const CnvDiff        *diff);

/* "[8, 1, 5, 5]" */
char       *cnv_record_tensor_shape_string   (const CnvRecordTensor *tensor);
/* "changed by 41 %, cosine 0.912" for a loadable tensor with values on
 * both sides (translated), NULL otherwise. */
char       *cnv_diff_tensor_change_text      (const CnvDiffTensorRow *row);
/* "3×3 → 5×5", with "—" for a side without the field. */
char       *cnv_diff_field_format_change     (const CnvDiffField *field);
/* "8 × 28 × 28", "64" for a flat output, "?" when unknown. */
char       *cnv_shape_to_display_string      (const CnvShape *shape);
/* "53,729": digits grouped by three with the locale's thousands
 * separator; in a locale that has none (the C locale) a comma, or a
 * narrow no-break space where the comma is the decimal point. */
char       *cnv_count_to_display_string      (guint64         count);
const char *cnv_diff_status_to_string        (CnvDiffStatus   status);
const char *cnv_tensor_status_to_string      (CnvTensorStatus status);

/* What the class folders of a dataset on screen mean for a record's
 * classes: NULL when they map the same way, otherwise one sentence
 * ("The current folders map \"Dogs\" to the negative class; the
 * checkpoint was trained with \"Dogs\" as the positive class."). */
char     *cnv_diff_explain_class_mapping (const CnvModelRecord *record,
                                          const char * const   *folder_classes);

/* Partial load: copies into target every tensor of source whose name
 * (after mapping, which may be NULL: a NULL-terminated list of
 * a_id, b_id pairs the user accepted) and shape match; every other
 * parameter of target is re-initialised from seed.  loaded and skipped
 * (may be NULL) receive new arrays of sentences naming each tensor and,
 * for skipped ones, why.  The optimizer state is dropped. */
gboolean  cnv_classifier_load_matching (CnvClassifier        *target,
                                        const CnvModelRecord *source,
                                        const char * const   *mapping,
                                        guint64               seed,
                                        GPtrArray           **loaded,
                                        GPtrArray           **skipped,
                                        GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvModelRecord, cnv_model_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvDiff, cnv_diff_free)

G_END_DECLS
