/* cnv-evaluate-page.c — the Evaluate page
 *
 * The trained model measured on the validation split of the folder on
 * screen, or on any labelled folder: the figures, the confusion matrix
 * and the ROC and precision–recall curves at a threshold the user moves,
 * a gallery of each cell's images, and a report to export.
 *
 * The one idea: the network runs once, in a GTask thread on a snapshot of
 * the classifier, and leaves a CnvEvaluation of one probability per
 * image.  Everything the slider changes is then a binary search in it
 * (cnv_evaluation_metrics_at), so the matrix, the figures and the markers
 * follow the slider within the frame.  A task carries a counter and its
 * own references (the classifier copy, the dataset through its owner's
 * reference count), so a window that replaces its model or its folder
 * while a task runs only makes the task's answer be dropped.
 */
#define G_LOG_DOMAIN "cnv-evaluate-page"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cnv-application.h"
#include "cnv-confusion-matrix.h"
#include "cnv-evaluate-page.h"
#include "cnv-evaluation-report.h"
#include "cnv-format.h"
#include "cnv-texture.h"

/* Gallery thumbnails are this many pixels wide; cards are added this many
 * per main-loop iteration, so a large cell never holds up a frame. */
#define THUMBNAIL_SIZE 96
#define CARDS_PER_IDLE 16

struct _CnvEvaluatePage
{
  AdwBin parent_instance;

  /* template children */
  GtkStack            *stack;
  AdwStatusPage       *status;
  GtkWidget           *status_button;
  GtkWidget           *training_folder_button;
  GtkSpinner          *spinner;
  GtkLabel            *loading_label;
  AdwActionRow        *source_row;
  GtkWidget           *validation_button;
  GtkWidget           *folder_button;
  GtkWidget           *export_button;
  AdwPreferencesGroup *threshold_group;
  GtkRange            *threshold_scale;
  GtkLabel            *threshold_label;
  GtkLabel            *accuracy_value;
  GtkLabel            *precision_value;
  GtkLabel            *recall_value;
  GtkLabel            *f1_value;
  GtkLabel            *auc_value;
  GtkLabel            *ap_value;
  CnvConfusionMatrix  *matrix;
  GtkFlowBox          *charts_box;
  CnvCurveChart       *roc_chart;
  CnvCurveChart       *pr_chart;
  GtkLabel            *gallery_title;
  GtkLabel            *gallery_subtitle;
  GtkLabel            *gallery_more;
  GtkFlowBox          *gallery_box;

  /* owned */
  CnvClassifier       *classifier;      /* a snapshot of the window's */
  const CnvDataset    *dataset;         /* alive through dataset_owner */
  gpointer             dataset_owner;
  GBoxedCopyFunc       acquire;
  GDestroyNotify       release;
  char                *folder;          /* evaluated on; NULL: the split */
  gboolean             offer_training_folder; /* when there is no split */
  char                *model_name;
  CnvEvaluation       *evaluation;
  GCancellable        *cancellable;     /* of the evaluation in flight */
  GCancellable        *gallery_cancellable;
  GArray              *gallery;         /* guint item indices, shown */
  GPtrArray           *thumbnails;      /* GdkTexture* or NULL, per card */
  char                *last_error;

  /* state */
  double               threshold;
  guint                task_counter;
  guint                gallery_counter;
  guint                gallery_fill_id; /* adds the cards still missing */
  guint                n_cards;         /* in the gallery box so far */
  guint                n_busy;
  gboolean             setting_threshold;
  gboolean             disposed;
};

G_DEFINE_FINAL_TYPE (CnvEvaluatePage, cnv_evaluate_page, ADW_TYPE_BIN)

enum {
  THRESHOLD_CHANGED,
  OPEN_IMAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_last_error (CnvEvaluatePage *self,
                const char      *message)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
}

static void
show_error_dialog (CnvEvaluatePage *self,
                   const char      *heading,
                   const GError    *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  g_warning ("%s: %s", heading, error->message);
  set_last_error (self, error->message);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                        : NULL,
                                   heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close",
                                   _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_toast (CnvEvaluatePage *self,
            const char      *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self),
                                                ADW_TYPE_TOAST_OVERLAY);

  g_autofree char *escaped = g_markup_escape_text (title, -1);

  /* The title is markup in libadwaita 1.2; a file name may hold "&". */
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay),
                                 adw_toast_new (escaped));
}

static void
busy_begin (CnvEvaluatePage *self)
{
  self->n_busy++;
}

static void
busy_end (CnvEvaluatePage *self)
{
  g_assert (self->n_busy > 0);
  self->n_busy--;
}

/* The empty state */

/* The training folder, found again, is offered above the folder chooser
 * and is then the suggested action. */
static void
update_training_folder_button (CnvEvaluatePage *self)
{
  gboolean offer = gtk_widget_get_visible (self->status_button)
                   && self->offer_training_folder;

  gtk_widget_set_visible (self->training_folder_button, offer);
  if (offer)
    gtk_widget_remove_css_class (self->status_button, "suggested-action");
  else
    gtk_widget_add_css_class (self->status_button, "suggested-action");
}

static void
show_empty (CnvEvaluatePage *self,
            const char      *icon_name,
            const char      *title,
            const char      *description,
            gboolean         offer_folder)
{
  adw_status_page_set_icon_name (self->status, icon_name);
  adw_status_page_set_title (self->status, title);
  adw_status_page_set_description (self->status, description);
  gtk_widget_set_visible (self->status_button, offer_folder);
  update_training_folder_button (self);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
show_nothing_to_evaluate (CnvEvaluatePage *self)
{
  if (self->classifier == NULL)
    show_empty (self, "object-select-symbolic", _("No Trained Model"),
                _("Train a model on the Train page, or open a checkpoint, to "
                  "see how well it tells the classes apart."), FALSE);
  else
    show_empty (self, "folder-pictures-symbolic",
                _("No Images to Evaluate On"),
                _("Choose the folder the model was trained on, on the Data "
                  "page, to evaluate it on the images training held out; or "
                  "evaluate it on any folder with one subfolder per class."),
                TRUE);
}

/* Figures, matrix and markers at the threshold */

static void
set_figure (GtkLabel *label,
            double    value,
            gboolean  percent)
{
  g_autofree char *text = NULL;

  if (isnan (value))
    text = g_strdup ("–");
  else if (percent)
    text = cnv_format_percent (value, 1);
  else
    text = g_strdup_printf ("%.3f", value);

  gtk_label_set_label (label, text);
}

static void
update_threshold_views (CnvEvaluatePage *self)
{
  g_autofree char *value = g_strdup_printf ("%.3f", self->threshold);
  g_autofree char *description = NULL;
  const char *names[2];
  CnvMetrics m;

  gtk_label_set_label (self->threshold_label, value);
  if (self->evaluation == NULL)
    return;

  names[0] = self->evaluation->class_names[0];
  names[1] = self->evaluation->class_names[1];
  description = g_strdup_printf (_("An image counts as “%s” when the model "
                                   "gives it a probability of at least "
                                   "%.3f. The threshold is saved with the "
                                   "model, and Classify and convolve-cli "
                                   "use it."), names[1], self->threshold);
  adw_preferences_group_set_description (self->threshold_group, description);

  cnv_evaluation_metrics_at (self->evaluation, self->threshold, &m);
  cnv_confusion_matrix_set_counts (self->matrix, names, &m);
  set_figure (self->accuracy_value, m.accuracy, TRUE);
  set_figure (self->precision_value, m.precision, TRUE);
  set_figure (self->recall_value, m.recall, TRUE);
  set_figure (self->f1_value, m.f1, FALSE);
  set_figure (self->auc_value, self->evaluation->curves->auc, FALSE);
  set_figure (self->ap_value, self->evaluation->curves->average_precision,
              FALSE);
  cnv_curve_chart_set_threshold (self->roc_chart, self->threshold);
  cnv_curve_chart_set_threshold (self->pr_chart, self->threshold);
}

/* Moves the slider without it counting as the user's move. */
static void
set_scale_quietly (CnvEvaluatePage *self,
                   double           threshold)
{
  self->setting_threshold = TRUE;
  gtk_range_set_value (self->threshold_scale, threshold);
  self->setting_threshold = FALSE;
}

static void
threshold_changed_cb (CnvEvaluatePage *self)
{
  double value = gtk_range_get_value (self->threshold_scale);

  if (self->setting_threshold || value == self->threshold)
    return;

  self->threshold = value;
  if (self->classifier != NULL)
    self->classifier->threshold = value;
  update_threshold_views (self);
  g_signal_emit (self, signals[THRESHOLD_CHANGED], 0, value);
}

static void
best_clicked_cb (CnvEvaluatePage *self)
{
  if (self->evaluation == NULL)
    return;

  gtk_range_set_value (self->threshold_scale,
                       cnv_evaluation_best_f1_threshold (self->evaluation));
}

static void
show_results (CnvEvaluatePage *self)
{
  g_autofree char *source = cnv_evaluation_describe_source (self->evaluation);
  g_autofree char *detail = cnv_evaluation_describe_detail (self->evaluation);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->source_row),
                                 source);
  adw_action_row_set_subtitle (self->source_row, detail);
  gtk_widget_set_visible (self->validation_button,
                          self->folder != NULL && self->dataset != NULL);

  cnv_curve_chart_set_evaluation (self->roc_chart, self->evaluation);
  cnv_curve_chart_set_evaluation (self->pr_chart, self->evaluation);
  set_scale_quietly (self, self->threshold);
  update_threshold_views (self);

  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "results");
}

/* Evaluating in the background */

typedef struct
{
  guint             id;
  CnvClassifier    *classifier;
  const CnvDataset *dataset;       /* NULL when folder is set */
  gpointer          dataset_owner;
  GDestroyNotify    release;
  char             *folder;        /* NULL: the validation split */
} EvaluateJob;

static void
evaluate_job_free (gpointer data)
{
  EvaluateJob *job = data;

  g_clear_pointer (&job->classifier, cnv_classifier_free);
  if (job->dataset_owner != NULL)
    job->release (job->dataset_owner);
  g_free (job->folder);
  g_free (job);
}

static void
evaluate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  EvaluateJob *job = task_data;
  GError *error = NULL;
  CnvEvaluation *evaluation;

  if (job->folder != NULL)
    evaluation = cnv_evaluation_new_for_folder (job->classifier, job->folder,
                                                cancellable, &error);
  else
    evaluation = cnv_evaluation_new_for_split (job->classifier, job->dataset,
                                               cancellable, &error);

  if (evaluation == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, evaluation,
                           (GDestroyNotify) cnv_evaluation_unref);
}

static void
evaluate_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (source);
  EvaluateJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvEvaluation) evaluation = NULL;

  evaluation = g_task_propagate_pointer (G_TASK (result), &error);
  busy_end (self);

  /* A newer model, folder or request replaced this one. */
  if (self->disposed || job->id != self->task_counter)
    return;

  g_clear_object (&self->cancellable);

  if (evaluation == NULL)
    {
      /* A folder the user picked: say what is wrong with it and keep what
       * was on screen. */
      if (job->folder != NULL && self->evaluation != NULL)
        {
          show_error_dialog (self, _("Could Not Evaluate on This Folder"),
                             error);
          show_results (self);
          return;
        }

      g_warning ("Could not evaluate: %s", error->message);
      set_last_error (self, error->message);
      g_clear_pointer (&self->evaluation, cnv_evaluation_unref);
      show_empty (self, "dialog-warning-symbolic", _("Could Not Evaluate"),
                  error->message, TRUE);
      return;
    }

  set_last_error (self, NULL);
  g_free (self->folder);
  self->folder = g_strdup (job->folder);
  g_clear_pointer (&self->evaluation, cnv_evaluation_unref);
  self->evaluation = g_steal_pointer (&evaluation);
  show_results (self);
}

static void
start_evaluation (CnvEvaluatePage *self,
                  const char      *folder)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  EvaluateJob *job;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->task_counter++;

  if (self->classifier == NULL || (folder == NULL && self->dataset == NULL))
    {
      g_clear_pointer (&self->evaluation, cnv_evaluation_unref);
      cnv_curve_chart_set_evaluation (self->roc_chart, NULL);
      cnv_curve_chart_set_evaluation (self->pr_chart, NULL);
      show_nothing_to_evaluate (self);
      return;
    }

  job = g_new0 (EvaluateJob, 1);
  job->id = self->task_counter;
  job->classifier = cnv_classifier_copy (self->classifier);
  job->folder = g_strdup (folder);
  if (folder == NULL)
    {
      job->dataset = self->dataset;
      job->dataset_owner = self->acquire (self->dataset_owner);
      job->release = self->release;
    }

  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, evaluate_done_cb, NULL);
  g_task_set_source_tag (task, start_evaluation);
  g_task_set_task_data (task, job, evaluate_job_free);
  cnv_application_run_in_thread (task, evaluate_thread);
  busy_begin (self);

  name = g_filename_display_basename (folder != NULL ? folder
                                                     : self->dataset->folder);
  text = folder != NULL
         ? g_strdup_printf (_("Evaluating on every image of “%s”…"), name)
         : g_strdup_printf (_("Evaluating on the validation split of "
                              "“%s”…"), name);
  gtk_label_set_label (self->loading_label, text);

  /* A folder asked for over results stays over them until it answers;
   * the slider keeps working on what is there. */
  if (folder == NULL || self->evaluation == NULL)
    {
      gtk_spinner_start (self->spinner);
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }
}

static void
release_dataset (CnvEvaluatePage *self)
{
  if (self->dataset_owner != NULL)
    self->release (self->dataset_owner);
  self->dataset_owner = NULL;
  self->dataset = NULL;
}

void
cnv_evaluate_page_set_model (CnvEvaluatePage     *self,
                             const CnvClassifier *classifier,
                             const CnvDataset    *dataset,
                             gpointer             dataset_owner,
                             GBoxedCopyFunc       acquire,
                             GDestroyNotify       release)
{
  g_return_if_fail (CNV_IS_EVALUATE_PAGE (self));
  g_return_if_fail (dataset == NULL
                    || (dataset_owner != NULL && acquire != NULL
                        && release != NULL));

  g_clear_pointer (&self->classifier, cnv_classifier_free);
  if (classifier != NULL)
    {
      self->classifier = cnv_classifier_copy (classifier);
      self->threshold = classifier->threshold;
    }

  release_dataset (self);
  if (dataset != NULL)
    {
      self->dataset = dataset;
      self->acquire = acquire;
      self->release = release;
      self->dataset_owner = acquire (dataset_owner);
    }

  /* A new model is first shown on the images training held out. */
  g_clear_pointer (&self->folder, g_free);
  g_clear_pointer (&self->evaluation, cnv_evaluation_unref);
  start_evaluation (self, NULL);
}

void
cnv_evaluate_page_set_model_name (CnvEvaluatePage *self,
                                  const char      *name)
{
  g_return_if_fail (CNV_IS_EVALUATE_PAGE (self));

  g_free (self->model_name);
  self->model_name = g_strdup (name);
}

void
cnv_evaluate_page_set_training_folder (CnvEvaluatePage *self,
                                       const char      *folder)
{
  g_autofree char *name = NULL;
  g_autofree char *label = NULL;
  g_autofree char *tooltip = NULL;

  g_return_if_fail (CNV_IS_EVALUATE_PAGE (self));

  self->offer_training_folder = folder != NULL;
  if (folder != NULL)
    {
      name = cnv_format_mnemonic_name (folder);
      /* Translators: %s is the name of the folder a model was trained on */
      label = g_strdup_printf (_("Use the _Training Folder “%s”"), name);
      gtk_button_set_label (GTK_BUTTON (self->training_folder_button), label);
      tooltip = g_filename_display_name (folder);
      gtk_widget_set_tooltip_text (self->training_folder_button, tooltip);
    }
  update_training_folder_button (self);
}

void
cnv_evaluate_page_evaluate_folder (CnvEvaluatePage *self,
                                   const char      *folder)
{
  g_return_if_fail (CNV_IS_EVALUATE_PAGE (self));
  g_return_if_fail (folder != NULL);

  if (self->classifier == NULL)
    return;

  start_evaluation (self, folder);
}

static void
validation_clicked_cb (CnvEvaluatePage *self)
{
  start_evaluation (self, NULL);
}

static void
folder_chosen_cb (GtkNativeDialog *native,
                  int              response,
                  gpointer         user_data)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (user_data);

  if (response == GTK_RESPONSE_ACCEPT && !self->disposed)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        cnv_evaluate_page_evaluate_folder (self, path);
      else
        show_toast (self, _("Only folders on this computer can be "
                            "evaluated on"));
    }

  g_object_unref (native);
  g_object_unref (self);
}

static void
choose_folder_cb (CnvEvaluatePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Evaluate on a Folder"),
                                        GTK_IS_WINDOW (root)
                                        ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Evaluate"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (folder_chosen_cb),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* The gallery of one cell */

typedef struct
{
  guint             id;
  CnvPreprocessing  pp;
  GPtrArray        *paths;      /* char* */
  GPtrArray        *textures;   /* GdkTexture* or NULL, as paths */
} ThumbnailJob;

static void
thumbnail_job_free (gpointer data)
{
  ThumbnailJob *job = data;

  g_ptr_array_unref (job->paths);
  g_clear_pointer (&job->textures, g_ptr_array_unref);
  g_free (job);
}

/* What the network sees of each image, scaled up sharp. */
static void
thumbnail_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  ThumbnailJob *job = task_data;

  job->textures = cnv_texture_array_new ();
  for (guint i = 0; i < job->paths->len; i++)
    {
      g_autoptr(CnvImage) image = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        break;

      image = cnv_image_load (g_ptr_array_index (job->paths, i), &job->pp,
                              NULL);
      g_ptr_array_add (job->textures,
                       image != NULL
                       ? cnv_texture_new_for_image (image, THUMBNAIL_SIZE)
                       : NULL);
    }

  g_task_return_boolean (task, TRUE);
}

static void
show_thumbnail (CnvEvaluatePage *self,
                guint            index)
{
  GtkFlowBoxChild *child = gtk_flow_box_get_child_at_index (self->gallery_box,
                                                            (int) index);
  GdkTexture *texture = g_ptr_array_index (self->thumbnails, index);

  if (child != NULL && texture != NULL)
    gtk_picture_set_paintable (g_object_get_data (G_OBJECT (child), "picture"),
                               GDK_PAINTABLE (texture));
}

static void
thumbnails_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (source);
  ThumbnailJob *job = g_task_get_task_data (G_TASK (result));

  busy_end (self);
  if (self->disposed || job->id != self->gallery_counter)
    return;

  /* Cards made from now on take their thumbnail as they come. */
  for (guint i = 0; i < job->textures->len && i < self->thumbnails->len; i++)
    {
      GdkTexture *texture = g_ptr_array_index (job->textures, i);

      g_ptr_array_index (self->thumbnails, i) = texture != NULL
                                                ? g_object_ref (texture)
                                                : NULL;
      if (i < self->n_cards)
        show_thumbnail (self, i);
    }
}

static GtkWidget *
new_gallery_card (const CnvEvaluationItem *item,
                  const char              *positive)
{
  g_autofree char *name = g_filename_display_basename (item->path);
  g_autofree char *display = g_filename_display_name (item->path);
  g_autofree char *probability = g_strdup_printf (_("%s %.1f %%"), positive,
                                                  100.0 * item->probability);
  g_autofree char *accessible = g_strdup_printf ("%s, %s", name, probability);
  g_autofree char *tooltip = g_strdup_printf (_("%s\nOpen on the Classify "
                                                "page"), display);
  GtkWidget *child = gtk_flow_box_child_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *name_label = gtk_label_new (name);
  GtkWidget *probability_label = gtk_label_new (probability);

  gtk_widget_set_size_request (picture, THUMBNAIL_SIZE, THUMBNAIL_SIZE);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (name_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (name_label), 16);
  gtk_widget_add_css_class (name_label, "caption");
  gtk_widget_add_css_class (probability_label, "caption");
  gtk_widget_add_css_class (probability_label, "numeric");
  gtk_widget_add_css_class (probability_label, "dim-label");
  gtk_widget_add_css_class (box, "gallery-card");

  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), name_label);
  gtk_box_append (GTK_BOX (box), probability_label);
  gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (child), box);
  gtk_widget_set_tooltip_text (child, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  g_object_set_data (G_OBJECT (child), "picture", picture);
  g_object_set_data_full (G_OBJECT (child), "path", g_strdup (item->path),
                          g_free);

  return child;
}

static gboolean
fill_gallery_cb (gpointer data)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (data);
  const CnvEvaluation *e = self->evaluation;
  guint shown = self->thumbnails->len;
  guint end = MIN (shown, self->n_cards + CARDS_PER_IDLE);
  gboolean first = self->n_cards == 0;

  for (; self->n_cards < end; self->n_cards++)
    {
      const CnvEvaluationItem *item =
        &e->items[g_array_index (self->gallery, guint, self->n_cards)];

      gtk_flow_box_append (self->gallery_box,
                           new_gallery_card (item, e->class_names[1]));
      show_thumbnail (self, self->n_cards);
    }

  if (first && shown > 0)
    gtk_widget_grab_focus (GTK_WIDGET (gtk_flow_box_get_child_at_index (
      self->gallery_box, 0)));

  if (self->n_cards < shown)
    return G_SOURCE_CONTINUE;

  self->gallery_fill_id = 0;
  return G_SOURCE_REMOVE;
}

static void
clear_gallery (CnvEvaluatePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->gallery_box)))
         != NULL)
    gtk_flow_box_remove (self->gallery_box, child);
}

static void
open_gallery (CnvEvaluatePage *self,
              int              true_class,
              int              predicted_class)
{
  const CnvEvaluation *e = self->evaluation;
  g_autoptr(GTask) task = NULL;
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  ThumbnailJob *job;
  gint64 start = g_get_monotonic_time ();
  guint shown;

  if (e == NULL)
    return;

  if (self->gallery_cancellable != NULL)
    g_cancellable_cancel (self->gallery_cancellable);
  g_clear_object (&self->gallery_cancellable);
  self->gallery_counter++;

  g_clear_pointer (&self->gallery, g_array_unref);
  self->gallery = cnv_evaluation_get_cell (e, true_class, predicted_class,
                                           self->threshold);
  shown = MIN (self->gallery->len, CNV_EVALUATE_PAGE_GALLERY_MAX);

  /* Translators: "True ankle-boot, predicted sneaker". */
  title = g_strdup_printf (_("True %s, predicted %s"),
                           e->class_names[true_class],
                           e->class_names[predicted_class]);
  subtitle = g_strdup_printf (true_class == predicted_class
                              ? _("%u %s at threshold %.3f, the most doubtful "
                                  "first. Choose an image to open it on the "
                                  "Classify page.")
                              : _("%u %s at threshold %.3f, the most "
                                  "confidently wrong first. Choose an image "
                                  "to open it on the Classify page."),
                              self->gallery->len,
                              cnv_confusion_matrix_cell_kind (true_class,
                                                              predicted_class,
                                                              self->gallery->len),
                              self->threshold);
  gtk_label_set_label (self->gallery_title, title);
  gtk_label_set_label (self->gallery_subtitle, subtitle);

  clear_gallery (self);
  g_clear_pointer (&self->thumbnails, g_ptr_array_unref);
  self->thumbnails = g_ptr_array_new_full (shown, g_object_unref);
  g_ptr_array_set_size (self->thumbnails, (int) shown);
  self->n_cards = 0;

  job = g_new0 (ThumbnailJob, 1);
  job->id = self->gallery_counter;
  job->pp = self->classifier->preprocessing;
  job->paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < shown; i++)
    g_ptr_array_add (job->paths,
                     g_strdup (e->items[g_array_index (self->gallery, guint,
                                                       i)].path));

  gtk_widget_set_visible (GTK_WIDGET (self->gallery_more),
                          shown < self->gallery->len);
  if (shown < self->gallery->len)
    {
      g_autofree char *more =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The first %u of %u "
                                      "image is shown.", "The first %u of %u "
                                      "images are shown.", self->gallery->len),
                         shown, self->gallery->len);

      gtk_label_set_label (self->gallery_more, more);
    }

  self->gallery_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->gallery_cancellable, thumbnails_done_cb,
                     NULL);
  g_task_set_source_tag (task, open_gallery);
  g_task_set_task_data (task, job, thumbnail_job_free);
  cnv_application_run_in_thread (task, thumbnail_thread);
  busy_begin (self);

  gtk_stack_set_visible_child_name (self->stack, "gallery");

  /* The first cards now, the rest over the next iterations. */
  g_clear_handle_id (&self->gallery_fill_id, g_source_remove);
  fill_gallery_cb (self);
  if (self->n_cards < shown)
    self->gallery_fill_id = g_idle_add (fill_gallery_cb, self);
  g_debug ("Gallery of %u images opened in %.1f ms", shown,
           (g_get_monotonic_time () - start) / 1000.0);
}

static void
cell_activated_cb (CnvEvaluatePage *self,
                   int              true_class,
                   int              predicted_class)
{
  open_gallery (self, true_class, predicted_class);
}

static void
gallery_activated_cb (CnvEvaluatePage *self,
                      GtkFlowBoxChild *child)
{
  const char *path = g_object_get_data (G_OBJECT (child), "path");

  if (path != NULL)
    g_signal_emit (self, signals[OPEN_IMAGE], 0, path);
}

static void
back_clicked_cb (CnvEvaluatePage *self)
{
  gtk_stack_set_visible_child_name (self->stack, "results");
}

/* Exporting the report */

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  const char *path = g_object_get_data (G_OBJECT (task), "path");
  GError *error = NULL;

  if (cnv_evaluation_report_write (task_data, path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (source);
  const char *path = g_object_get_data (G_OBJECT (result), "path");
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  busy_end (self);
  if (self->disposed)
    return;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      show_error_dialog (self, _("Could Not Export the Report"), error);
      return;
    }

  set_last_error (self, NULL);
  name = g_filename_display_basename (path);
  message = g_strdup_printf (_("Report saved as “%s”"), name);
  show_toast (self, message);
}

void
cnv_evaluate_page_export_to_path (CnvEvaluatePage *self,
                                  const char      *path)
{
  g_autoptr(GTask) task = NULL;
  CnvEvaluationReport *report;

  g_return_if_fail (CNV_IS_EVALUATE_PAGE (self));
  g_return_if_fail (path != NULL);

  if (self->evaluation == NULL || self->classifier == NULL)
    return;

  report = cnv_evaluation_report_new (self->evaluation, self->classifier,
                                      self->threshold, self->model_name);
  task = g_task_new (self, NULL, export_done_cb, NULL);
  g_task_set_source_tag (task, cnv_evaluate_page_export_to_path);
  g_task_set_task_data (task, report,
                        (GDestroyNotify) cnv_evaluation_report_free);
  g_object_set_data_full (G_OBJECT (task), "path", g_strdup (path), g_free);
  cnv_application_run_in_thread (task, export_thread);
  busy_begin (self);
}

static void
export_chosen_cb (GtkNativeDialog *native,
                  int              response,
                  gpointer         user_data)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (user_data);

  if (response == GTK_RESPONSE_ACCEPT && !self->disposed)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        cnv_evaluate_page_export_to_path (self, path);
      else
        show_toast (self, _("Reports can only be saved on this computer"));
    }

  g_object_unref (native);
  g_object_unref (self);
}

static void
add_filter (GtkFileChooser *chooser,
            const char     *name,
            const char     *mime_type)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_mime_type (filter, mime_type);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
export_clicked_cb (CnvEvaluatePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *stem = NULL;
  g_autofree char *suggested = NULL;
  GtkFileChooserNative *native;
  const char *dot;

  native = gtk_file_chooser_native_new (_("Export Evaluation Report"),
                                        GTK_IS_WINDOW (root)
                                        ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  add_filter (GTK_FILE_CHOOSER (native), _("PDF document"),
              "application/pdf");
  add_filter (GTK_FILE_CHOOSER (native), _("SVG image"), "image/svg+xml");
  add_filter (GTK_FILE_CHOOSER (native), _("PNG image"), "image/png");

  /* "model.convolve" → "model-evaluation.pdf" */
  stem = g_strdup (self->model_name != NULL ? self->model_name : "model");
  dot = strrchr (stem, '.');
  if (dot != NULL && dot != stem)
    stem[dot - stem] = '\0';
  suggested = g_strdup_printf ("%s-evaluation.pdf", stem);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), suggested);

  g_signal_connect (native, "response", G_CALLBACK (export_chosen_cb),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* GObject */

static void
cnv_evaluate_page_dispose (GObject *object)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->gallery_cancellable != NULL)
    g_cancellable_cancel (self->gallery_cancellable);
  g_clear_object (&self->gallery_cancellable);
  g_clear_handle_id (&self->gallery_fill_id, g_source_remove);

  /* AdwBin unparents its child, the template's root, when disposed;
   * gtk_widget_dispose_template () would unparent it a second time. */

  G_OBJECT_CLASS (cnv_evaluate_page_parent_class)->dispose (object);
}

static void
cnv_evaluate_page_finalize (GObject *object)
{
  CnvEvaluatePage *self = CNV_EVALUATE_PAGE (object);

  g_clear_pointer (&self->classifier, cnv_classifier_free);
  release_dataset (self);
  g_clear_pointer (&self->evaluation, cnv_evaluation_unref);
  g_clear_pointer (&self->gallery, g_array_unref);
  g_clear_pointer (&self->thumbnails, g_ptr_array_unref);
  g_free (self->folder);
  g_free (self->model_name);
  g_free (self->last_error);

  G_OBJECT_CLASS (cnv_evaluate_page_parent_class)->finalize (object);
}

static void
cnv_evaluate_page_class_init (CnvEvaluatePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_evaluate_page_dispose;
  object_class->finalize = cnv_evaluate_page_finalize;

  signals[THRESHOLD_CHANGED] =
    g_signal_new ("threshold-changed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_DOUBLE);
  signals[OPEN_IMAGE] =
    g_signal_new ("open-image", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (CNV_TYPE_CONFUSION_MATRIX);
  g_type_ensure (CNV_TYPE_CURVE_CHART);

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-evaluate-page.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvEvaluatePage, name)
  BIND (stack);
  BIND (status);
  BIND (status_button);
  BIND (training_folder_button);
  BIND (spinner);
  BIND (loading_label);
  BIND (source_row);
  BIND (validation_button);
  BIND (folder_button);
  BIND (export_button);
  BIND (threshold_group);
  BIND (threshold_scale);
  BIND (threshold_label);
  BIND (accuracy_value);
  BIND (precision_value);
  BIND (recall_value);
  BIND (f1_value);
  BIND (auc_value);
  BIND (ap_value);
  BIND (matrix);
  BIND (charts_box);
  BIND (roc_chart);
  BIND (pr_chart);
  BIND (gallery_title);
  BIND (gallery_subtitle);
  BIND (gallery_more);
  BIND (gallery_box);
#undef BIND

  gtk_widget_class_bind_template_callback (widget_class, choose_folder_cb);
  gtk_widget_class_bind_template_callback (widget_class,
                                           validation_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class,
                                           threshold_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, best_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cell_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class,
                                           gallery_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
}

static void
cnv_evaluate_page_init (CnvEvaluatePage *self)
{
  GtkWidget *child;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->threshold = 0.5;
  cnv_curve_chart_set_kind (self->roc_chart, CNV_CURVE_ROC);
  cnv_curve_chart_set_kind (self->pr_chart, CNV_CURVE_PRECISION_RECALL);

  /* The charts answer the pointer, not the keyboard (their figures are in
   * their accessible descriptions): no focus stop for their cells. */
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->charts_box));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_focusable (child, FALSE);

  update_threshold_views (self);
  show_nothing_to_evaluate (self);
}

/* For tests */

gboolean
cnv_evaluate_page_is_busy (CnvEvaluatePage *self)
{
  return self->n_busy > 0 || self->gallery_fill_id != 0;
}

const char *
cnv_evaluate_page_get_state (CnvEvaluatePage *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

AdwStatusPage *
cnv_evaluate_page_get_status (CnvEvaluatePage *self)
{
  return self->status;
}

GtkButton *
cnv_evaluate_page_get_training_folder_button (CnvEvaluatePage *self)
{
  return GTK_BUTTON (self->training_folder_button);
}

CnvEvaluation *
cnv_evaluate_page_get_evaluation (CnvEvaluatePage *self)
{
  return self->evaluation;
}

double
cnv_evaluate_page_get_threshold (CnvEvaluatePage *self)
{
  return self->threshold;
}

GtkRange *
cnv_evaluate_page_get_scale (CnvEvaluatePage *self)
{
  return self->threshold_scale;
}

CnvConfusionMatrix *
cnv_evaluate_page_get_matrix (CnvEvaluatePage *self)
{
  return self->matrix;
}

CnvCurveChart *
cnv_evaluate_page_get_chart (CnvEvaluatePage *self,
                             CnvCurveKind     kind)
{
  return kind == CNV_CURVE_ROC ? self->roc_chart : self->pr_chart;
}

const char *
cnv_evaluate_page_get_figure (CnvEvaluatePage *self,
                              const char      *name)
{
  const struct { const char *name; GtkLabel *label; } figures[] = {
    { "accuracy", self->accuracy_value },
    { "precision", self->precision_value },
    { "recall", self->recall_value },
    { "f1", self->f1_value },
    { "auc", self->auc_value },
    { "ap", self->ap_value },
  };

  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    if (g_str_equal (name, figures[i].name))
      return gtk_label_get_label (figures[i].label);

  return NULL;
}

const char *
cnv_evaluate_page_get_source_text (CnvEvaluatePage *self)
{
  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->source_row));
}

const GArray *
cnv_evaluate_page_get_gallery (CnvEvaluatePage *self)
{
  return self->gallery;
}

GtkFlowBox *
cnv_evaluate_page_get_gallery_box (CnvEvaluatePage *self)
{
  return self->gallery_box;
}

const char *
cnv_evaluate_page_get_gallery_title (CnvEvaluatePage *self)
{
  return gtk_label_get_label (self->gallery_title);
}

const char *
cnv_evaluate_page_get_last_error (CnvEvaluatePage *self)
{
  return self->last_error;
}
