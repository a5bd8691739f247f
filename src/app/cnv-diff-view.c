/* cnv-diff-view.c — a CnvDiff drawn as two aligned columns
 *
 * The engine has done the thinking: the rows come aligned, each with its
 * status and the fields that differ.  This view only lays them out, one
 * grid row per layer with the first side on the left and the second on
 * the right, and says every status in words beside its icon and colour,
 * so that nothing depends on seeing colour.  "What the network sees" is
 * computed off the main thread and dropped if the diff changed meanwhile.
 */
#define G_LOG_DOMAIN "cnv-diff-view"

#include <math.h>

#include <glib/gi18n.h>

#include "cnv-application.h"
#include "cnv-diff-view.h"
#include "cnv-format.h"
#include "cnv-history-chart.h"
#include "cnv-texture.h"

#define SEES_SIZE 140

struct _CnvDiffView
{
  AdwBin           parent_instance;

  /* template children */
  GtkLabel        *summary_label;
  GtkListBox      *notices_list;
  GtkLabel        *classes_label;
  GtkGrid         *layers_grid;
  GtkLabel        *tensors_label;
  GtkListBox      *tensors_list;
  GtkWidget       *mappings_box;
  GtkListBox      *mappings_list;
  GtkWidget       *preprocessing_box;
  GtkListBox      *preprocessing_list;
  GtkWidget       *sees_box;
  GtkPicture      *a_picture;
  GtkPicture      *b_picture;
  GtkLabel        *a_caption;
  GtkLabel        *b_caption;
  GtkWidget       *classes_box;
  GtkListBox      *classes_list;
  GtkWidget       *training_box;
  GtkListBox      *training_list;
  GtkWidget       *curves_box;
  CnvHistoryChart *history_chart;

  /* owned */
  CnvModelRecord  *a;
  CnvModelRecord  *b;
  CnvDiff         *diff;
  GPtrArray       *mapping_checks;   /* GtkCheckButton*, one per mapping */
  GPtrArray       *row_statuses;     /* char*, one per layer row */
  GCancellable    *sees_cancellable;
  char            *classes_override; /* replaces the diff's explanation */

  /* state */
  gboolean         sees_ready;
  gboolean         compare;         /* the form set_diff () was given */
};

G_DEFINE_FINAL_TYPE (CnvDiffView, cnv_diff_view, ADW_TYPE_BIN)

/* Emptying */

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

/* Rows */

static GtkWidget *
new_label (const char *text,
           const char *style)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);

  return label;
}

/* A row with a title and the two values "a → b" at its end, marked as a
 * difference when highlight. */
static void
add_field_row (GtkListBox         *list,
               const CnvDiffField *field,
               gboolean            highlight)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *values = g_strcmp0 (field->a_value, field->b_value) == 0
                            ? g_strdup (field->a_value)
                            : cnv_diff_field_format_change (field);
  GtkWidget *suffix = new_label (values, highlight ? "warning" : NULL);

  gtk_label_set_wrap (GTK_LABEL (suffix), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), field->title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_label_set_selectable (GTK_LABEL (suffix), TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
  gtk_list_box_append (list, row);
}

static void
add_text_row (GtkListBox *list,
              const char *icon_name,
              const char *title,
              const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (icon_name != NULL)
    adw_action_row_set_icon_name (ADW_ACTION_ROW (row), icon_name);
  gtk_list_box_append (list, row);
}

/* Fills a section's list; the section shows only when it has rows. */
static void
fill_fields (GtkWidget  *box,
             GtkListBox *list,
             GPtrArray  *fields)
{
  clear_list (list);
  for (guint i = 0; i < fields->len; i++)
    add_field_row (list, g_ptr_array_index (fields, i), TRUE);
  gtk_widget_set_visible (box, fields->len > 0);
}

/* Layers */

typedef struct
{
  const char *icon;
  const char *text;     /* translated when shown */
  const char *style;
} StatusLook;

static const StatusLook status_looks[] = {
  [CNV_DIFF_SAME]    = { NULL, N_("same"), "dim-label" },
  [CNV_DIFF_CHANGED] = { "document-edit-symbolic", N_("changed"), "warning" },
  [CNV_DIFF_ADDED]   = { "list-add-symbolic", N_("added"), "success" },
  [CNV_DIFF_REMOVED] = { "list-remove-symbolic", N_("removed"), "error" },
  [CNV_DIFF_MOVED]   = { "go-jump-symbolic", N_("moved"), "accent" },
};

/* A SAME row whose shape follows an earlier change (see
 * cnv_diff_layer_row_is_reshaped ()). */
static const StatusLook reshaped_look = {
  "zoom-fit-best-symbolic", N_("reshaped"), "warning"
};

/* "conv1 · Convolution" over "8 × 28 × 28 · 208 parameters", the latter
 * highlighted when the shape or the count differs from the other side. */
static GtkWidget *
new_layer_cell (const CnvRecordLayer *layer,
                gboolean              shape_differs)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *title = NULL;
  g_autofree char *shape = NULL;
  g_autofree char *count = NULL;
  g_autofree char *detail = NULL;
  const char *kind;
  CnvLayerKind known_kind;
  GtkWidget *detail_label;

  gtk_widget_set_hexpand (box, TRUE);
  if (layer == NULL)
    {
      gtk_box_append (GTK_BOX (box), new_label ("—", "dim-label"));
      return box;
    }

  kind = layer->known && cnv_layer_kind_from_string (layer->type, &known_kind)
         ? cnv_layer_kind_get_title (known_kind) : layer->type;
  title = g_strdup_printf ("%s · %s", layer->id, kind);
  shape = cnv_format_shape (&layer->output);
  count = cnv_format_count (layer->n_params);
  detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%s · %s parameter",
                                         "%s · %s parameters",
                                         layer->n_params),
                            shape, count);
  gtk_box_append (GTK_BOX (box), new_label (title, NULL));
  detail_label = new_label (detail, shape_differs ? "warning" : "dim-label");
  gtk_widget_add_css_class (detail_label, "caption");
  gtk_box_append (GTK_BOX (box), detail_label);

  return box;
}

static GtkWidget *
new_status_cell (const CnvDiffLayerRow *row)
{
  const StatusLook *look = cnv_diff_layer_row_is_reshaped (row)
                           ? &reshaped_look : &status_looks[row->status];
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = new_label (_(look->text), look->style);

  if (look->icon != NULL)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name (look->icon);

      gtk_widget_add_css_class (icon, look->style);
      gtk_accessible_update_state (GTK_ACCESSIBLE (icon),
                                   GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
      gtk_box_append (GTK_BOX (box), icon);
    }
  gtk_box_append (GTK_BOX (box), label);
  if (look == &reshaped_look)
    gtk_widget_set_tooltip_text (box, _("The same settings, but what it "
                                        "receives changed above it, so its "
                                        "shape or its weights differ"));
  gtk_widget_set_size_request (box, 96, -1);
  gtk_widget_set_valign (box, GTK_ALIGN_START);

  return box;
}

/* The size of the weight change of a layer present on both sides, or why
 * it has none. */
static char *
weight_change (const CnvDiff         *diff,
               const CnvDiffLayerRow *row)
{
  g_autofree char *name = NULL;

  if (row->a == NULL || row->b == NULL)
    return NULL;

  name = g_strdup_printf ("%s.weight", row->a->id);
  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *t = g_ptr_array_index (diff->tensors, i);

      if (!g_str_equal (t->name, name))
        continue;
      if (t->status == CNV_TENSOR_SHAPE_MISMATCH)
        return g_strdup (_("other shape"));

      return cnv_diff_tensor_change_text (t);
    }

  return NULL;
}

static void
fill_layers (CnvDiffView *self,
             gboolean     compare)
{
  const CnvDiff *diff = self->diff;
  GtkGrid *grid = self->layers_grid;
  int y = 0;

  clear_grid (grid);
  g_ptr_array_set_size (self->row_statuses, 0);

  gtk_grid_attach (grid, new_label (self->a->label, "heading"), 1, y, 1, 1);
  gtk_grid_attach (grid, new_label (self->b->label, "heading"), 2, y, 1, 1);
  if (compare)
    gtk_grid_attach (grid, new_label (_("Weights"), "heading"), 3, y, 1, 1);
  y++;

  for (guint i = 0; i < diff->layers->len; i++)
    {
      const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, i);
      g_autofree char *moved_weights = compare ? weight_change (diff, row)
                                               : NULL;
      gboolean reshaped = row->output_differs || row->params_differ;

      gtk_grid_attach (grid, new_status_cell (row), 0, y, 1, 1);
      gtk_grid_attach (grid, new_layer_cell (row->a, reshaped), 1, y, 1, 1);
      gtk_grid_attach (grid, new_layer_cell (row->b, reshaped), 2, y, 1, 1);
      if (moved_weights != NULL)
        gtk_grid_attach (grid, new_label (moved_weights, "caption"), 3, y, 1,
                         1);
      g_ptr_array_add (self->row_statuses,
                       g_strdup (cnv_diff_layer_row_is_reshaped (row)
                                 ? "reshaped"
                                 : cnv_diff_status_to_string (row->status)));
      y++;

      if (row->status == CNV_DIFF_MOVED)
        {
          g_autofree char *moved = g_strdup_printf (
            _("Moved from position %d to %d"), row->a_index + 1,
            row->b_index + 1);

          gtk_grid_attach (grid, new_label (moved, "accent"), 1, y++, 2, 1);
        }
      for (guint f = 0; f < row->fields->len; f++)
        {
          const CnvDiffField *field = g_ptr_array_index (row->fields, f);
          g_autofree char *change = cnv_diff_field_format_change (field);
          g_autofree char *text = g_strdup_printf ("%s: %s", field->title,
                                                   change);

          gtk_grid_attach (grid, new_label (text, "warning"), 1, y++, 2, 1);
        }
    }
}

/* Tensors */

static void
fill_tensors (CnvDiffView *self)
{
  const CnvDiff *diff = self->diff;
  g_autofree char *heading = NULL;
  guint n_listed = 0;

  clear_list (self->tensors_list);
  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);
      g_autofree char *a = row->a != NULL ? cnv_record_tensor_shape_string (row->a) : NULL;
      g_autofree char *b = row->b != NULL ? cnv_record_tensor_shape_string (row->b) : NULL;
      g_autofree char *subtitle = NULL;
      const char *icon;

      switch (row->status)
        {
        case CNV_TENSOR_SHAPE_MISMATCH:
          icon = "document-edit-symbolic";
          /* Translators: "[8, 1, 3, 3] (On screen) against [8, 1, 5, 5]
           * (model.convolve)". */
          subtitle = g_strdup_printf (_("Shape mismatch: %s (%s) against %s "
                                        "(%s)"), a, self->a->label, b,
                                      self->b->label);
          break;
        case CNV_TENSOR_MISSING:
          icon = "list-remove-symbolic";
          subtitle = g_strdup_printf (_("Missing: needed as %s (%s), absent "
                                        "from %s"), a, self->a->label,
                                      self->b->label);
          break;
        case CNV_TENSOR_UNEXPECTED:
          icon = "list-add-symbolic";
          subtitle = g_strdup_printf (_("Unexpected: %s in %s, owned by no "
                                        "layer of %s"), b, self->b->label,
                                      self->a->label);
          break;
        case CNV_TENSOR_LOADABLE:
        default:
          if (row->b == NULL || g_str_equal (row->b->dtype, "F32"))
            continue;
          icon = "emblem-ok-symbolic";
          subtitle = g_strdup_printf (_("Loadable, stored as %s and "
                                        "converted to 32-bit floats"),
                                      row->b->dtype);
          break;
        }

      add_text_row (self->tensors_list, icon, row->name, subtitle);
      n_listed++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->tensors_list), n_listed > 0);

  if (diff->n_tensors_loadable == diff->n_tensors)
    heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Tensors: the %u tensor loads",
                                            "Tensors: all %u load",
                                            diff->n_tensors),
                               diff->n_tensors);
  else
    heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Tensors: %u of %u loadable",
                                            "Tensors: %u of %u loadable",
                                            diff->n_tensors),
                               diff->n_tensors_loadable, diff->n_tensors);
  gtk_label_set_label (self->tensors_label, heading);
}

static void
fill_mappings (CnvDiffView *self)
{
  const CnvDiff *diff = self->diff;

  clear_list (self->mappings_list);
  g_ptr_array_set_size (self->mapping_checks, 0);
  for (guint i = 0; i < diff->mappings->len; i++)
    {
      const CnvDiffIdMapping *mapping = g_ptr_array_index (diff->mappings, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      g_autofree char *title = g_strdup_printf (_("Load “%s” from “%s”"),
                                                mapping->a_id, mapping->b_id);

      /* Proposed, never applied without the user's consent. */
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), FALSE);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                      -1);
      gtk_list_box_append (self->mappings_list, row);
      g_ptr_array_add (self->mapping_checks, check);
    }
  gtk_widget_set_visible (self->mappings_box, diff->mappings->len > 0);
}

static void
fill_notices (CnvDiffView *self)
{
  const CnvModelRecord *sides[] = { self->a, self->b };
  guint n = 0;

  clear_list (self->notices_list);
  for (guint s = 0; s < 2; s++)
    {
      const CnvModelRecord *record = sides[s];

      /* The engine's reason when the file cannot run, unless the
       * record's own notices already say why in kinder words. */
      if (!record->runnable && record->notices->len == 0)
        {
          add_text_row (self->notices_list, "dialog-warning-symbolic",
                        record->label, record->run_problem);
          n++;
        }
      for (guint i = 0; i < record->notices->len; i++, n++)
        add_text_row (self->notices_list, "dialog-information-symbolic",
                      record->label, g_ptr_array_index (record->notices, i));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->notices_list), n > 0);
}

/* Every training setting side by side, the equal ones too: a comparison
 * of two runs wants both. */
static void
fill_all_training (CnvDiffView *self)
{
  const CnvModelRecord *sides[] = { self->a, self->b };
  g_autoptr(GPtrArray) fields = g_ptr_array_new ();
  char *values[2][6] = { { NULL } };
  const char *titles[] = { N_("Optimizer"), N_("Learning rate"),
                           N_("Batch size"), N_("Epochs trained"),
                           N_("Optimizer steps"), N_("Seed") };

  clear_list (self->training_list);
  for (guint s = 0; s < 2; s++)
    {
      const CnvModelRecord *r = sides[s];
      char lr[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (lr, sizeof lr, "%g", r->optimizer.learning_rate);
      values[s][0] = g_strdup (r->has_optimizer
                               ? cnv_optimizer_kind_to_string (r->optimizer.kind)
                               : _("none"));
      values[s][1] = g_strdup (r->has_optimizer ? lr : "—");
      values[s][2] = g_strdup_printf ("%u", r->batch_size);
      values[s][3] = g_strdup_printf ("%u", r->history->len);
      values[s][4] = g_strdup_printf ("%" G_GINT64_FORMAT, r->step);
      values[s][5] = g_strdup_printf ("%" G_GUINT64_FORMAT, r->seed);
    }

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      CnvDiffField field = { (char *) titles[i], (char *) _(titles[i]),
                             values[0][i], values[1][i] };

      add_field_row (self->training_list, &field,
                     !g_str_equal (values[0][i], values[1][i]));
    }
  for (guint s = 0; s < 2; s++)
    for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
      g_free (values[s][i]);
  gtk_widget_set_visible (self->training_box, TRUE);
}

/* What the network sees */

typedef struct
{
  char             *path;
  CnvPreprocessing  pp[2];
  CnvImage         *images[2];
  float             low[2];
  float             high[2];
  GError           *error;
} SeesJob;

static void
sees_job_free (SeesJob *job)
{
  g_free (job->path);
  for (guint s = 0; s < 2; s++)
    g_clear_pointer (&job->images[s], cnv_image_free);
  g_clear_error (&job->error);
  g_free (job);
}

static void
sees_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SeesJob *job = task_data;

  for (guint s = 0; s < 2; s++)
    {
      const CnvPreprocessing *pp = &job->pp[s];
      gsize n = (gsize) pp->width * pp->height
                * cnv_preprocessing_get_channels (pp);
      g_autofree float *input = NULL;

      job->images[s] = cnv_image_load (job->path, pp, &job->error);
      if (job->images[s] == NULL)
        break;

      /* The range of the values the network receives, after scaling and
       * normalisation: where "scale 1/255" and "scale 1" part ways. */
      input = g_new (float, n);
      cnv_image_to_input (job->images[s]->pixels, pp, input);
      job->low[s] = job->high[s] = input[0];
      for (gsize i = 1; i < n; i++)
        {
          job->low[s] = MIN (job->low[s], input[i]);
          job->high[s] = MAX (job->high[s], input[i]);
        }
    }

  g_task_return_boolean (task, TRUE);
}

static char *
sees_caption (const char             *label,
              const CnvPreprocessing *pp,
              float                   low,
              float                   high)
{
  char lo[G_ASCII_DTOSTR_BUF_SIZE];
  char hi[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (lo, sizeof lo, "%.3g", low);
  g_ascii_formatd (hi, sizeof hi, "%.3g", high);

  /* Translators: "model.convolve: 28 × 28 grey, values 0 to 1". */
  return g_strdup_printf (_("%s: %d × %d %s, values %s to %s"), label,
                          pp->width, pp->height,
                          pp->color_mode == CNV_COLOR_RGB ? _("colour")
                                                          : _("grey"),
                          lo, hi);
}

static void
sees_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CnvDiffView *self = CNV_DIFF_VIEW (source);
  SeesJob *job = g_task_get_task_data (G_TASK (result));
  GtkPicture *pictures[2] = { self->a_picture, self->b_picture };
  GtkLabel *captions[2] = { self->a_caption, self->b_caption };
  const char *labels[2] = { self->a->label, self->b->label };

  /* A newer diff replaced this one. */
  if (g_task_get_cancellable (G_TASK (result)) != self->sees_cancellable)
    return;

  /* The sample itself is unreadable: say so where the images go. */
  if (job->error != NULL)
    {
      g_autofree char *text = g_strdup_printf (
        _("What the network sees cannot be shown: %s"), job->error->message);

      gtk_picture_set_paintable (self->a_picture, NULL);
      gtk_picture_set_paintable (self->b_picture, NULL);
      gtk_label_set_label (self->a_caption, text);
      gtk_label_set_label (self->b_caption, "");
      gtk_widget_set_visible (self->sees_box, TRUE);
      return;
    }

  for (guint s = 0; s < 2; s++)
    {
      g_autoptr(GdkTexture) texture = cnv_texture_new_for_image (
        job->images[s], SEES_SIZE);
      g_autofree char *caption = sees_caption (labels[s], &job->pp[s],
                                               job->low[s], job->high[s]);

      gtk_picture_set_paintable (pictures[s], GDK_PAINTABLE (texture));
      gtk_label_set_label (captions[s], caption);
    }
  gtk_widget_set_visible (self->sees_box, TRUE);
  self->sees_ready = TRUE;
}

void
cnv_diff_view_set_sample_image (CnvDiffView *self,
                                const char  *path)
{
  g_autoptr(GTask) task = NULL;
  SeesJob *job;

  g_return_if_fail (CNV_IS_DIFF_VIEW (self));
  g_return_if_fail (self->diff != NULL);

  if (path == NULL || self->diff->preprocessing->len == 0
      || !self->a->has_preprocessing || !self->b->has_preprocessing)
    return;

  job = g_new0 (SeesJob, 1);
  job->path = g_strdup (path);
  job->pp[0] = self->a->preprocessing;
  job->pp[1] = self->b->preprocessing;

  task = g_task_new (self, self->sees_cancellable, sees_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) sees_job_free);
  cnv_application_run_in_thread (task, sees_thread);
}

/* The whole view */

void
cnv_diff_view_swap (CnvDiffView *self)
{
  CnvModelRecord *a, *b;

  g_return_if_fail (CNV_IS_DIFF_VIEW (self));
  g_return_if_fail (self->a != NULL && self->b != NULL);

  g_clear_pointer (&self->diff, cnv_diff_free);
  a = g_steal_pointer (&self->a);
  b = g_steal_pointer (&self->b);
  cnv_diff_view_set_diff (self, b, a, cnv_diff_new (b, a), self->compare);
}

const CnvModelRecord *
cnv_diff_view_get_record (CnvDiffView *self,
                          gboolean     second)
{
  g_return_val_if_fail (CNV_IS_DIFF_VIEW (self), NULL);

  return second ? self->b : self->a;
}

void
cnv_diff_view_set_diff (CnvDiffView    *self,
                        CnvModelRecord *a,
                        CnvModelRecord *b,
                        CnvDiff        *diff,
                        gboolean        compare)
{
  g_autofree char *summary = NULL;

  g_return_if_fail (CNV_IS_DIFF_VIEW (self));
  g_return_if_fail (a != NULL && b != NULL && diff != NULL);

  /* The diff borrows from the records: free it first. */
  g_clear_pointer (&self->diff, cnv_diff_free);
  g_clear_pointer (&self->a, cnv_model_record_free);
  g_clear_pointer (&self->b, cnv_model_record_free);
  self->a = a;
  self->b = b;
  self->diff = diff;
  self->compare = compare;

  g_cancellable_cancel (self->sees_cancellable);
  g_clear_object (&self->sees_cancellable);
  self->sees_cancellable = g_cancellable_new ();
  self->sees_ready = FALSE;
  gtk_widget_set_visible (self->sees_box, FALSE);

  summary = cnv_diff_get_summary (diff);
  gtk_label_set_label (self->summary_label, summary);
  fill_notices (self);

  cnv_diff_view_refresh_classes (self);

  fill_layers (self, compare);
  fill_tensors (self);
  fill_mappings (self);

  /* The input size is preprocessing too, as far as the user can tell. */
  clear_list (self->preprocessing_list);
  for (guint i = 0; i < diff->input->len; i++)
    add_field_row (self->preprocessing_list,
                   g_ptr_array_index (diff->input, i), TRUE);
  for (guint i = 0; i < diff->preprocessing->len; i++)
    add_field_row (self->preprocessing_list,
                   g_ptr_array_index (diff->preprocessing, i), TRUE);
  gtk_widget_set_visible (self->preprocessing_box,
                          diff->input->len + diff->preprocessing->len > 0);

  fill_fields (self->classes_box, self->classes_list, diff->classes);
  if (compare && a->has_weights && b->has_weights)
    fill_all_training (self);
  else
    fill_fields (self->training_box, self->training_list, diff->training);

  gtk_widget_set_visible (self->curves_box,
                          compare && (a->history->len > 0
                                      || b->history->len > 0));

  /* Comparing two runs is first about how they trained; opening is first
   * about what the network will be given and how it is built. */
  if (compare)
    {
      GtkBox *box = GTK_BOX (gtk_widget_get_parent (self->curves_box));

      gtk_box_reorder_child_after (box, self->training_box,
                                   GTK_WIDGET (self->classes_label));
      gtk_box_reorder_child_after (box, self->curves_box,
                                   GTK_WIDGET (self->classes_label));
    }
  if (compare)
    cnv_history_chart_set_histories (self->history_chart, a->history,
                                     a->label, b->history, b->label);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  summary, -1);
}

void
cnv_diff_view_set_classes_explanation (CnvDiffView *self,
                                       const char  *text)
{
  g_return_if_fail (CNV_IS_DIFF_VIEW (self));

  g_free (self->classes_override);
  self->classes_override = g_strdup (text);
  cnv_diff_view_refresh_classes (self);
}

void
cnv_diff_view_refresh_classes (CnvDiffView *self)
{
  const char *text;

  g_return_if_fail (CNV_IS_DIFF_VIEW (self));
  g_return_if_fail (self->diff != NULL);

  text = self->classes_override != NULL ? self->classes_override
                                        : self->diff->classes_explanation;

  gtk_label_set_label (self->classes_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->classes_label), text != NULL);
}

const CnvDiff *
cnv_diff_view_get_diff (CnvDiffView *self)
{
  g_return_val_if_fail (CNV_IS_DIFF_VIEW (self), NULL);

  return self->diff;
}

char **
cnv_diff_view_get_accepted_mapping (CnvDiffView *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CNV_IS_DIFF_VIEW (self), NULL);

  for (guint i = 0; self->diff != NULL && i < self->mapping_checks->len; i++)
    {
      const CnvDiffIdMapping *mapping = g_ptr_array_index (self->diff->mappings,
                                                           i);

      if (!gtk_check_button_get_active (g_ptr_array_index (self->mapping_checks,
                                                           i)))
        continue;
      g_strv_builder_add (builder, mapping->a_id);
      g_strv_builder_add (builder, mapping->b_id);
    }

  return g_strv_builder_end (builder);
}

const char *
cnv_diff_view_get_summary (CnvDiffView *self)
{
  return gtk_label_get_label (self->summary_label);
}

char *
cnv_diff_view_get_row_statuses (CnvDiffView *self)
{
  GString *joined = g_string_new (NULL);

  for (guint i = 0; i < self->row_statuses->len; i++)
    g_string_append_printf (joined, "%s%s", i > 0 ? " " : "",
                            (const char *) g_ptr_array_index (
                              self->row_statuses, i));

  return g_string_free (joined, FALSE);
}

gboolean
cnv_diff_view_get_sees_ready (CnvDiffView *self)
{
  return self->sees_ready;
}

void
cnv_diff_view_set_mapping_accepted (CnvDiffView *self,
                                    guint        index,
                                    gboolean     accepted)
{
  g_return_if_fail (index < self->mapping_checks->len);

  gtk_check_button_set_active (g_ptr_array_index (self->mapping_checks, index),
                               accepted);
}

/* Life cycle */

static void
cnv_diff_view_dispose (GObject *object)
{
  CnvDiffView *self = CNV_DIFF_VIEW (object);

  g_cancellable_cancel (self->sees_cancellable);
  g_clear_object (&self->sees_cancellable);

  G_OBJECT_CLASS (cnv_diff_view_parent_class)->dispose (object);
}

static void
cnv_diff_view_finalize (GObject *object)
{
  CnvDiffView *self = CNV_DIFF_VIEW (object);

  g_clear_pointer (&self->diff, cnv_diff_free);
  g_clear_pointer (&self->a, cnv_model_record_free);
  g_clear_pointer (&self->b, cnv_model_record_free);
  g_clear_pointer (&self->mapping_checks, g_ptr_array_unref);
  g_clear_pointer (&self->row_statuses, g_ptr_array_unref);
  g_free (self->classes_override);

  G_OBJECT_CLASS (cnv_diff_view_parent_class)->finalize (object);
}

static void
cnv_diff_view_class_init (CnvDiffViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_diff_view_dispose;
  object_class->finalize = cnv_diff_view_finalize;

  g_type_ensure (CNV_TYPE_HISTORY_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-diff-view.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvDiffView, name)
  BIND (summary_label);
  BIND (notices_list);
  BIND (classes_label);
  BIND (layers_grid);
  BIND (tensors_label);
  BIND (tensors_list);
  BIND (mappings_box);
  BIND (mappings_list);
  BIND (preprocessing_box);
  BIND (preprocessing_list);
  BIND (sees_box);
  BIND (a_picture);
  BIND (b_picture);
  BIND (a_caption);
  BIND (b_caption);
  BIND (classes_box);
  BIND (classes_list);
  BIND (training_box);
  BIND (training_list);
  BIND (curves_box);
  BIND (history_chart);
#undef BIND
}

static void
cnv_diff_view_init (CnvDiffView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->mapping_checks = g_ptr_array_new ();
  self->row_statuses = g_ptr_array_new_with_free_func (g_free);
  self->sees_cancellable = g_cancellable_new ();
}

GtkWidget *
cnv_diff_view_new (void)
{
  return g_object_new (CNV_TYPE_DIFF_VIEW, NULL);
}
