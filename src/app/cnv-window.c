/* cnv-window.c — the main window
 *
 * The left pane shows the layer stack with shapes and parameter counts;
 * the right pane has three pages: the image folder, training with a live
 * loss curve, and classification of a dropped or chosen image.  Folder
 * loads, saves, opens and predictions run in GTask threads on copies;
 * training runs in one GThread that owns its own classifier.
 *
 * The one idea: nothing that runs off the main thread touches the window.
 * The training thread posts small immutable reports through g_idle_add;
 * each carries the run it belongs to, and the main loop drops it when the
 * window is gone (a weak reference) or the run was replaced (a counter).
 * Batch reports are coalesced so the main loop sees at most ~30 a second,
 * each with every batch loss since the last one.
 */
#define G_LOG_DOMAIN "cnv-app"

#include <math.h>
#include <glib/gi18n.h>

#include "cnv-config.h"
#include "cnv-loss-chart.h"
#include "cnv-window.h"
#include "cnv-window-private.h"

/* Batch reports closer together than this are merged. */
#define REPORT_INTERVAL_US (G_USEC_PER_SEC / 30)
/* The network's input is drawn at least this many pixels wide. */
#define PREVIEW_SIZE 192

/* A loaded dataset shared by the window and a training thread. */
typedef struct
{
  CnvDataset *dataset;
} DatasetRef;

/* One training run: what the thread needs, shared with its reports. */
typedef struct
{
  GWeakRef         window;
  guint            id;
  CnvTrainControl  control;
  CnvTrainConfig   config;
  CnvClassifier   *classifier;   /* the thread's until it reports DONE */
  DatasetRef      *dataset;
  /* Used by the training thread only. */
  gint64           last_report_us;
  GArray          *pending;      /* double pairs: epoch position, loss */
  CnvTrainProgress latest;
} TrainRun;

typedef enum
{
  REPORT_BATCHES,
  REPORT_EPOCH,
  REPORT_DONE,
} ReportKind;

/* Immutable once posted. */
typedef struct
{
  TrainRun        *run;
  ReportKind       kind;
  CnvTrainProgress progress;     /* record is NULL; see below */
  CnvEpochRecord   record;       /* REPORT_EPOCH */
  GArray          *losses;       /* REPORT_BATCHES: position, loss pairs */
  CnvClassifier   *classifier;   /* REPORT_DONE */
  GError          *error;        /* REPORT_DONE */
  gboolean         stopped;      /* REPORT_DONE */
} TrainReport;

struct _CnvWindow
{
  AdwApplicationWindow parent_instance;

  /* template children */
  AdwToastOverlay     *toast_overlay;
  AdwLeaflet          *leaflet;
  GtkWidget           *model_pane;
  GtkWidget           *content_pane;
  AdwWindowTitle      *model_title;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack        *view_stack;
  AdwPreferencesGroup *layers_group;
  GtkListBox          *layer_list;
  GtkLabel            *total_label;
  GtkWidget           *trained_group;
  AdwActionRow        *classes_row;
  AdwActionRow        *epochs_row;
  AdwActionRow        *accuracy_row;
  GtkStack            *data_stack;
  AdwStatusPage       *loading_page;
  GtkSpinner          *loading_spinner;
  AdwActionRow        *folder_row;
  GtkListBox          *class_list;
  GtkWidget           *settings_list;
  GtkWidget           *stop_button;
  GtkSpinButton       *epochs_spin;
  GtkSpinButton       *batch_spin;
  GtkSpinButton       *rate_spin;
  AdwComboRow         *optimizer_row;
  GtkLabel            *epoch_value;
  GtkLabel            *batch_value;
  GtkLabel            *loss_value;
  GtkLabel            *accuracy_value;
  GtkProgressBar      *progress_bar;
  CnvLossChart        *loss_chart;
  GtkStack            *classify_stack;
  AdwStatusPage       *classify_status;
  GtkPicture          *original_picture;
  GtkPicture          *input_picture;
  GtkLabel            *original_caption;
  GtkLabel            *input_caption;
  GtkLabel            *class_label;
  GtkLabel            *probability_label;
  GtkLevelBar         *probability_bar;
  GtkLabel            *detail_label;
  GtkListBox          *notes_list;

  /* owned */
  CnvModelSpec        *spec;
  CnvClassifier       *classifier;     /* NULL until trained or opened */
  DatasetRef          *dataset;
  char                *data_folder;
  char                *checkpoint_path;
  GCancellable        *load_cancellable;
  GThread             *train_thread;
  TrainRun            *run;
  char                *predicted_class;
  AdwActionRow        *class_rows[2];  /* borrowed from class_list */
  AdwExpanderRow      *skipped_row;    /* borrowed from class_list */
  AdwToast            *toast;          /* borrowed, weak */

  /* state */
  double               probability;
  guint                run_counter;
  guint                run_first_epoch;
  guint                run_last_epoch;
  guint                n_saving;
  guint                n_opening;
  guint                n_classifying;
  gboolean             loading;
  gboolean             modified;
  gboolean             disposed;
};

G_DEFINE_FINAL_TYPE (CnvWindow, cnv_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_DATA_FOLDER,
  PROP_MODIFIED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Shared dataset */

static DatasetRef *
dataset_ref_new (CnvDataset *dataset)
{
  DatasetRef *ref = g_atomic_rc_box_new0 (DatasetRef);

  ref->dataset = dataset;

  return ref;
}

static void
dataset_ref_clear (gpointer data)
{
  DatasetRef *ref = data;

  g_clear_pointer (&ref->dataset, cnv_dataset_free);
}

static void
dataset_ref_release (DatasetRef *ref)
{
  g_atomic_rc_box_release_full (ref, dataset_ref_clear);
}

/* Training runs and their reports */

static void
train_run_clear (gpointer data)
{
  TrainRun *run = data;

  g_weak_ref_clear (&run->window);
  g_clear_pointer (&run->classifier, cnv_classifier_free);
  g_clear_pointer (&run->dataset, dataset_ref_release);
  g_clear_pointer (&run->pending, g_array_unref);
}

static void
train_run_release (TrainRun *run)
{
  g_atomic_rc_box_release_full (run, train_run_clear);
}

static TrainReport *
train_report_new (TrainRun   *run,
                  ReportKind  kind)
{
  TrainReport *report = g_new0 (TrainReport, 1);

  report->run = g_atomic_rc_box_acquire (run);
  report->kind = kind;
  report->progress = run->latest;
  report->progress.record = NULL;

  return report;
}

static void
train_report_free (gpointer data)
{
  TrainReport *report = data;

  g_clear_pointer (&report->run, train_run_release);
  g_clear_pointer (&report->losses, g_array_unref);
  g_clear_pointer (&report->classifier, cnv_classifier_free);
  g_clear_error (&report->error);
  g_free (report);
}

static gboolean report_dispatch_cb (gpointer data);

static void
post_report (TrainReport *report)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, report_dispatch_cb, report,
                   train_report_free);
}

/* Training thread: posts the batch losses gathered since the last post. */
static void
flush_batches (TrainRun *run,
               gint64    now)
{
  TrainReport *report;

  if (run->pending->len == 0)
    return;

  report = train_report_new (run, REPORT_BATCHES);
  report->losses = g_steal_pointer (&run->pending);
  run->pending = g_array_new (FALSE, FALSE, sizeof (double));
  run->last_report_us = now;

  post_report (report);
}

/* Training thread. */
static void
train_progress_cb (const CnvTrainProgress *progress,
                   gpointer                user_data)
{
  TrainRun *run = user_data;
  gint64 now = g_get_monotonic_time ();
  TrainReport *report;

  if (progress->kind == CNV_TRAIN_PROGRESS_BATCH)
    {
      double point[2];

      point[0] = progress->epoch - 1
                 + (double) progress->batch / MAX (1, progress->n_batches);
      point[1] = progress->batch_loss;
      g_array_append_vals (run->pending, point, 2);
      run->latest = *progress;

      if (now - run->last_report_us >= REPORT_INTERVAL_US
          || progress->batch == progress->n_batches)
        flush_batches (run, now);

      return;
    }

  flush_batches (run, now);

  run->latest = *progress;
  report = train_report_new (run, REPORT_EPOCH);
  if (progress->record != NULL)
    report->record = *progress->record;

  post_report (report);
}

static gpointer
train_thread_func (gpointer data)
{
  TrainRun *run = data;
  g_autoptr(GError) error = NULL;
  TrainReport *report;

  cnv_classifier_train (run->classifier, run->dataset->dataset, &run->config,
                        &run->control, train_progress_cb, run, &error);

  flush_batches (run, g_get_monotonic_time ());

  report = train_report_new (run, REPORT_DONE);
  report->classifier = g_steal_pointer (&run->classifier);
  report->error = g_steal_pointer (&error);
  report->stopped = g_atomic_int_get (&run->control.stop) != 0;
  post_report (report);

  train_run_release (run);

  return NULL;
}

/* Small helpers */

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static char *
format_shape (const CnvShape *shape)
{
  if (shape->flat)
    return g_strdup_printf ("%d", shape->channels);

  return g_strdup_printf ("%d × %d × %d",
                          shape->channels, shape->height, shape->width);
}

static char *
format_count (guint64 n)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, n);
}

static char *
format_duration (double seconds)
{
  if (seconds < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "About %d second left",
                                         "About %d seconds left",
                                         (int) ceil (seconds)),
                            (int) ceil (seconds));

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "About %d minute left",
                                       "About %d minutes left",
                                       (int) ceil (seconds / 60)),
                          (int) ceil (seconds / 60));
}

/* A newer message replaces the text of the toast on screen instead of
 * queueing behind it.  (Dismissing it and adding another at once raised
 * a critical inside libadwaita 1.2's toast animation.) */
static void
show_toast (CnvWindow  *self,
            const char *message)
{
  AdwToast *toast;

  if (self->toast != NULL)
    {
      adw_toast_set_title (self->toast, message);
      return;
    }

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 4);
  self->toast = toast;
  g_object_add_weak_pointer (G_OBJECT (toast), (gpointer *) &self->toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Logs the failure once and shows it once: heading plus the engine's
 * sentence. */
static void
show_error (CnvWindow    *self,
            const char   *heading,
            const GError *error)
{
  GtkWidget *dialog;

  g_warning ("%s %s", heading, error->message);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close",
                                   _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
current_preprocessing (CnvWindow        *self,
                       CnvPreprocessing *pp)
{
  if (self->classifier != NULL)
    *pp = self->classifier->preprocessing;
  else
    cnv_preprocessing_init_default (pp, self->spec->width, self->spec->height,
                                    self->spec->channels);
}

/* What the window shows */

static void
update_actions (CnvWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean training = self->train_thread != NULL;
  gboolean can_save = self->classifier != NULL && !training
                      && self->n_saving == 0;

  gtk_widget_action_set_enabled (widget, "win.train",
                                 !training && !self->loading
                                 && self->dataset != NULL);
  gtk_widget_action_set_enabled (widget, "win.stop", training);
  gtk_widget_action_set_enabled (widget, "win.save", can_save);
  gtk_widget_action_set_enabled (widget, "win.save-as", can_save);
  gtk_widget_action_set_enabled (widget, "win.open",
                                 !training && self->n_opening == 0);

  /* Only the settings freeze: the Train and Stop buttons sit in the
   * group's header and follow their actions. */
  gtk_widget_set_sensitive (self->settings_list, !training);
}

static void
update_title (CnvWindow *self)
{
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  g_autofree char *window_title = NULL;

  if (self->checkpoint_path != NULL)
    name = g_filename_display_basename (self->checkpoint_path);
  else
    name = g_strdup (_("Untitled Model"));

  /* The marker says there are changes that no file holds yet. */
  if (self->modified)
    title = g_strdup_printf ("%s •", name);
  else
    title = g_strdup (name);

  adw_window_title_set_title (self->model_title, title);
  adw_window_title_set_subtitle (self->model_title,
                                 self->modified ? _("Unsaved changes") : NULL);

  /* Shown in place of the view switcher when the window is narrow. */
  adw_view_switcher_title_set_title (self->switcher_title, title);

  window_title = g_strdup_printf (_("%s — Convolve"), title);
  gtk_window_set_title (GTK_WINDOW (self), window_title);
}

static void
set_modified (CnvWindow *self,
              gboolean   modified)
{
  modified = !!modified;

  if (self->modified == modified)
    return;

  self->modified = modified;
  update_title (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

static char *
describe_layer (const CnvLayerSpec *layer)
{
  const char *title = cnv_layer_kind_get_title (layer->kind);

  switch (layer->kind)
    {
    case CNV_LAYER_CONV2D:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s %d × %d, %d filter",
                                           "%s %d × %d, %d filters",
                                           layer->filters),
                              title, layer->kernel[0], layer->kernel[1],
                              layer->filters);
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
      return g_strdup_printf ("%s %d × %d", title,
                              layer->kernel[0], layer->kernel[1]);
    case CNV_LAYER_DENSE:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s, %d unit", "%s, %d units",
                                           layer->units),
                              title, layer->units);
    case CNV_LAYER_DROPOUT:
      return g_strdup_printf (_("%s, rate %g"), title, layer->rate);
    case CNV_LAYER_GLOBAL_AVG_POOL:
    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_FLATTEN:
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_N_LAYER_KINDS:
    default:
      return g_strdup (title);
    }
}

static GtkWidget *
new_layer_row (const CnvLayerSpec *layer,
               const CnvShape     *output,
               gsize               n_params)
{
  g_autofree char *title = describe_layer (layer);
  g_autofree char *shape = format_shape (output);
  g_autofree char *subtitle = NULL;
  g_autofree char *count = format_count (n_params);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label;

  /* Translators: a layer's id and its output shape, "conv1 · 8 × 28 × 28". */
  subtitle = g_strdup_printf (_("%s · %s"), layer->id, shape);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  label = gtk_label_new (n_params > 0 ? count : "—");
  gtk_widget_add_css_class (label, "numeric");
  if (n_params == 0)
    gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_tooltip_text (label, _("Trainable parameters"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);

  return row;
}

static void
update_layer_list (CnvWindow *self)
{
  const CnvModelSpec *spec = self->spec;
  g_autofree CnvShape *shapes = g_new0 (CnvShape, MAX (1, spec->n_layers));
  g_autofree char *input_shape = NULL;
  g_autofree char *description = NULL;
  g_autofree char *total_text = NULL;
  g_autoptr(GError) error = NULL;
  CnvShape input = { spec->channels, spec->height, spec->width, FALSE };
  guint64 total = 0;

  clear_list_box (self->layer_list);

  input_shape = format_shape (&input);
  description = g_strdup_printf (spec->channels == 1
                                 ? _("Input %s, greyscale")
                                 : _("Input %s, colour"), input_shape);
  adw_preferences_group_set_description (self->layers_group, description);

  if (!cnv_model_spec_validate (spec, shapes, &error))
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("This stack cannot run"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), error->message);
      gtk_list_box_append (self->layer_list, row);
      gtk_label_set_label (self->total_label, "—");
      return;
    }

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const CnvShape *in = i == 0 ? &input : &shapes[i - 1];
      gsize n = cnv_layer_spec_count_parameters (&spec->layers[i], in);

      total += n;
      gtk_list_box_append (self->layer_list,
                           new_layer_row (&spec->layers[i], &shapes[i], n));
    }

  total_text = format_count (total);
  gtk_label_set_label (self->total_label, total_text);
}

static void
update_trained_info (CnvWindow *self)
{
  const CnvClassifier *c = self->classifier;
  g_autofree char *classes = NULL;
  g_autofree char *epochs = NULL;
  g_autofree char *accuracy = NULL;
  const CnvEpochRecord *last = NULL;

  gtk_widget_set_visible (self->trained_group, c != NULL);
  if (c == NULL)
    return;

  /* Translators: negative class, positive class. */
  classes = g_strdup_printf (_("%s / %s (positive)"),
                             c->class_names[0], c->class_names[1]);
  adw_action_row_set_subtitle (self->classes_row, classes);

  epochs = g_strdup_printf ("%u", c->history->len);
  adw_action_row_set_subtitle (self->epochs_row, epochs);

  if (c->history->len > 0)
    last = &g_array_index (c->history, CnvEpochRecord, c->history->len - 1);

  if (last != NULL && last->validation.n > 0)
    accuracy = g_strdup_printf (_("%.1f %% on %u images"),
                                100.0 * last->validation.accuracy,
                                last->validation.n);
  else
    accuracy = g_strdup (_("Not measured"));
  adw_action_row_set_subtitle (self->accuracy_row, accuracy);
}

/* Redraws the chart's epoch points from the classifier's history. */
static void
show_history (CnvWindow *self)
{
  const CnvClassifier *c = self->classifier;

  cnv_loss_chart_clear (self->loss_chart);
  if (c == NULL)
    return;

  cnv_loss_chart_set_n_epochs (self->loss_chart, MAX (1, c->history->len));
  for (guint i = 0; i < c->history->len; i++)
    {
      CnvEpochRecord *r = &g_array_index (c->history, CnvEpochRecord, i);

      cnv_loss_chart_add_epoch (self->loss_chart, r->epoch, r->train_loss,
                                r->validation.n > 0 ? r->validation.loss
                                                    : NAN);
    }
}

/* Data page */

static GtkWidget *
new_class_row (const CnvDataset *dataset,
               guint             index)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u image", "%u images",
                                           dataset->class_counts[index]),
                              dataset->class_counts[index]);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 dataset->class_names[index]);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), "folder-symbolic");

  if (index == 1)
    {
      GtkWidget *tag = gtk_label_new (_("Positive"));

      gtk_widget_add_css_class (tag, "accent");
      gtk_widget_add_css_class (tag, "caption-heading");
      gtk_widget_set_tooltip_text (tag, _("The model gives the probability "
                                          "of this class"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), tag);
    }

  return row;
}

static GtkWidget *
new_skipped_row (const CnvDataset *dataset)
{
  GtkWidget *expander = adw_expander_row_new ();
  g_autofree char *title = NULL;

  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "%u file skipped",
                                        "%u files skipped",
                                        dataset->skipped->len),
                           dataset->skipped->len);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander),
                                 _("These files are not used for training"));
  adw_expander_row_set_icon_name (ADW_EXPANDER_ROW (expander),
                                  "dialog-warning-symbolic");

  for (guint i = 0; i < dataset->skipped->len; i++)
    {
      CnvSkippedFile *file = g_ptr_array_index (dataset->skipped, i);
      g_autofree char *name = g_filename_display_basename (file->path);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), file->reason);
      gtk_widget_set_tooltip_text (row, file->path);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
    }

  return expander;
}

static void
update_data_page (CnvWindow *self)
{
  const CnvDataset *dataset = self->dataset ? self->dataset->dataset : NULL;
  g_autofree char *name = NULL;

  clear_list_box (self->class_list);
  self->class_rows[0] = self->class_rows[1] = NULL;
  self->skipped_row = NULL;

  if (self->loading)
    {
      gtk_spinner_start (self->loading_spinner);
      gtk_stack_set_visible_child_name (self->data_stack, "loading");
      return;
    }

  gtk_spinner_stop (self->loading_spinner);

  if (dataset == NULL)
    {
      gtk_stack_set_visible_child_name (self->data_stack, "empty");
      return;
    }

  name = g_filename_display_basename (dataset->folder);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->folder_row), name);
  adw_action_row_set_subtitle (self->folder_row, dataset->folder);

  for (guint i = 0; i < 2; i++)
    {
      GtkWidget *row = new_class_row (dataset, i);

      self->class_rows[i] = ADW_ACTION_ROW (row);
      gtk_list_box_append (self->class_list, row);
    }

  if (dataset->skipped != NULL && dataset->skipped->len > 0)
    {
      GtkWidget *row = new_skipped_row (dataset);

      self->skipped_row = ADW_EXPANDER_ROW (row);
      gtk_list_box_append (self->class_list, row);
    }

  gtk_stack_set_visible_child_name (self->data_stack, "loaded");
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *folder = g_object_get_data (G_OBJECT (task), "folder");
  CnvPreprocessing *pp = task_data;
  GError *error = NULL;
  CnvDataset *dataset;

  dataset = cnv_dataset_load (folder, pp, NULL, cancellable, NULL, NULL,
                              &error);
  if (dataset == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, dataset, (GDestroyNotify) cnv_dataset_free);
}

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  g_autoptr(GError) error = NULL;
  CnvDataset *dataset;

  dataset = g_task_propagate_pointer (G_TASK (result), &error);

  /* A newer load replaced this one, or the window is closing. */
  if (self->disposed || cancellable != self->load_cancellable)
    {
      g_clear_pointer (&dataset, cnv_dataset_free);
      return;
    }

  self->loading = FALSE;
  g_clear_object (&self->load_cancellable);

  if (dataset == NULL)
    {
      g_autofree char *name = g_filename_display_basename (self->data_folder);
      g_autofree char *heading = NULL;

      heading = g_strdup_printf (_("Could Not Load “%s”"), name);
      show_error (self, heading, error);
    }
  else
    {
      g_clear_pointer (&self->dataset, dataset_ref_release);
      self->dataset = dataset_ref_new (dataset);
    }

  update_data_page (self);
  update_actions (self);
}

void
cnv_window_load_folder (CnvWindow  *self,
                        const char *folder)
{
  g_autoptr(GTask) task = NULL;
  CnvPreprocessing *pp;

  g_return_if_fail (CNV_IS_WINDOW (self));
  g_return_if_fail (folder != NULL);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  g_free (self->data_folder);
  self->data_folder = g_strdup (folder);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA_FOLDER]);

  pp = g_new0 (CnvPreprocessing, 1);
  current_preprocessing (self, pp);

  task = g_task_new (self, self->load_cancellable, load_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_load_folder);
  g_task_set_task_data (task, pp, g_free);
  g_object_set_data_full (G_OBJECT (task), "folder", g_strdup (folder),
                          g_free);
  g_task_run_in_thread (task, load_thread);

  adw_status_page_set_description (self->loading_page, folder);
  self->loading = TRUE;
  update_data_page (self);
  update_actions (self);
}

/* Training */

static void
show_progress (CnvWindow              *self,
               const CnvTrainProgress *p)
{
  g_autofree char *epoch = NULL;
  g_autofree char *batch = NULL;
  g_autofree char *loss = NULL;
  g_autofree char *accuracy = NULL;
  guint n_epochs = self->run_last_epoch - self->run_first_epoch + 1;
  double done, total;

  if (p->n_batches == 0)
    return;

  epoch = g_strdup_printf (_("%u of %u"), p->epoch, p->last_epoch);
  batch = g_strdup_printf (_("%u of %u"), p->batch, p->n_batches);
  loss = g_strdup_printf ("%.4f", p->running_loss);
  accuracy = g_strdup_printf ("%.1f %%", 100.0 * p->running_accuracy);
  gtk_label_set_label (self->epoch_value, epoch);
  gtk_label_set_label (self->batch_value, batch);
  gtk_label_set_label (self->loss_value, loss);
  gtk_label_set_label (self->accuracy_value, accuracy);

  done = (double) (p->epoch - self->run_first_epoch) * p->n_batches + p->batch;
  total = (double) n_epochs * p->n_batches;
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 CLAMP (done / total, 0.0, 1.0));

  if (done > 0 && p->elapsed > 0)
    {
      g_autofree char *left = NULL;

      left = format_duration (p->elapsed * (total - done) / done);
      gtk_progress_bar_set_text (self->progress_bar, left);
    }
}

static void
training_finished (CnvWindow   *self,
                   TrainReport *report)
{
  guint epochs_run;

  g_thread_join (g_steal_pointer (&self->train_thread));
  g_clear_pointer (&self->run, train_run_release);

  epochs_run = report->classifier->history->len + 1 - self->run_first_epoch;

  /* Even a failed or stopped run keeps the weights of its last complete
   * step, so the window adopts them when at least one step was taken. */
  if (report->classifier->optimizer != NULL
      && cnv_optimizer_get_step (report->classifier->optimizer) > 0)
    {
      g_clear_pointer (&self->classifier, cnv_classifier_free);
      self->classifier = g_steal_pointer (&report->classifier);
      set_modified (self, TRUE);
      update_trained_info (self);
    }

  gtk_progress_bar_set_fraction (self->progress_bar,
                                 report->stopped || report->error ? 0.0 : 1.0);

  if (report->error != NULL)
    {
      gtk_progress_bar_set_text (self->progress_bar, _("Failed"));
      show_error (self, _("Training Failed"), report->error);
    }
  else if (report->stopped)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "Stopped after %u complete epoch",
                                              "Stopped after %u complete epochs",
                                              epochs_run),
                                 epochs_run);
      gtk_progress_bar_set_text (self->progress_bar, message);
      show_toast (self, message);
    }
  else
    {
      gtk_progress_bar_set_text (self->progress_bar, _("Finished"));
      show_toast (self, _("Training finished"));
    }

  update_actions (self);
}

static gboolean
report_dispatch_cb (gpointer data)
{
  TrainReport *report = data;
  g_autoptr(CnvWindow) self = g_weak_ref_get (&report->run->window);

  /* The window is gone, or this run was stopped and replaced. */
  if (self == NULL || self->disposed || report->run->id != self->run_counter)
    return G_SOURCE_REMOVE;

  switch (report->kind)
    {
    case REPORT_BATCHES:
      for (guint i = 0; i + 1 < report->losses->len; i += 2)
        cnv_loss_chart_add_batch_loss (self->loss_chart,
                                       g_array_index (report->losses,
                                                      double, i),
                                       g_array_index (report->losses,
                                                      double, i + 1));
      show_progress (self, &report->progress);
      break;

    case REPORT_EPOCH:
      cnv_loss_chart_add_epoch (self->loss_chart, report->record.epoch,
                                report->record.train_loss,
                                report->record.validation.n > 0
                                ? report->record.validation.loss : NAN);
      break;

    case REPORT_DONE:
      training_finished (self, report);
      break;

    default:
      g_assert_not_reached ();
    }

  return G_SOURCE_REMOVE;
}

static CnvClassifier *
classifier_for_training (CnvWindow  *self,
                         GError    **error)
{
  const CnvDataset *dataset = self->dataset->dataset;
  CnvPreprocessing pp;

  /* Continue from the trained weights when they belong to this stack. */
  if (self->classifier != NULL
      && cnv_model_spec_equal (cnv_model_get_spec (self->classifier->model),
                               self->spec))
    return cnv_classifier_copy (self->classifier);

  cnv_preprocessing_init_default (&pp, self->spec->width, self->spec->height,
                                  self->spec->channels);

  return cnv_classifier_new (self->spec, &pp,
                             (const char * const *) dataset->class_names,
                             g_get_real_time (), error);
}

static void
train_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  TrainRun *run;
  CnvOptimizerKind kind;

  if (self->train_thread != NULL || self->dataset == NULL)
    return;

  classifier = classifier_for_training (self, &error);
  if (classifier == NULL)
    {
      show_error (self, _("Cannot Train This Model"), error);
      return;
    }

  run = g_atomic_rc_box_new0 (TrainRun);
  g_weak_ref_init (&run->window, self);
  run->id = ++self->run_counter;
  run->dataset = g_atomic_rc_box_acquire (self->dataset);
  run->pending = g_array_new (FALSE, FALSE, sizeof (double));

  cnv_train_config_init_default (&run->config);
  kind = adw_combo_row_get_selected (self->optimizer_row) == 1
         ? CNV_OPTIMIZER_SGD : CNV_OPTIMIZER_ADAM;
  cnv_optimizer_config_init_default (&run->config.optimizer, kind);
  run->config.epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  run->config.batch_size = gtk_spin_button_get_value_as_int (self->batch_spin);
  run->config.optimizer.learning_rate = gtk_spin_button_get_value (self->rate_spin);

  self->run_first_epoch = classifier->history->len + 1;
  self->run_last_epoch = classifier->history->len + run->config.epochs;
  run->classifier = g_steal_pointer (&classifier);

  if (self->run_first_epoch == 1)
    cnv_loss_chart_clear (self->loss_chart);
  cnv_loss_chart_set_n_epochs (self->loss_chart, self->run_last_epoch);

  self->run = run;
  self->train_thread = g_thread_try_new ("cnv-train", train_thread_func,
                                         g_atomic_rc_box_acquire (run),
                                         &error);
  if (self->train_thread == NULL)
    {
      train_run_release (run);
      g_clear_pointer (&self->run, train_run_release);
      show_error (self, _("Cannot Start Training"), error);
      return;
    }

  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, _("Starting…"));
  adw_view_stack_set_visible_child_name (self->view_stack, "train");
  update_actions (self);
}

static void
stop_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);

  if (self->run == NULL)
    return;

  g_atomic_int_set (&self->run->control.stop, 1);
  gtk_progress_bar_set_text (self->progress_bar, _("Stopping…"));
  gtk_widget_action_set_enabled (widget, "win.stop", FALSE);
}

/* Saving */

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const CnvClassifier *classifier = task_data;
  const char *path = g_object_get_data (G_OBJECT (task), "path");
  GError *error = NULL;

  if (cnv_checkpoint_save (classifier, path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
save_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  const char *path = g_object_get_data (G_OBJECT (result), "path");
  g_autofree char *name = g_filename_display_basename (path);
  g_autoptr(GError) error = NULL;

  self->n_saving--;
  if (self->disposed)
    return;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *heading = NULL;

      heading = g_strdup_printf (_("Could Not Save “%s”"), name);
      show_error (self, heading, error);
    }
  else
    {
      g_autofree char *message = NULL;

      g_free (self->checkpoint_path);
      self->checkpoint_path = g_strdup (path);
      set_modified (self, FALSE);
      update_title (self);

      message = g_strdup_printf (_("Saved “%s”"), name);
      show_toast (self, message);
    }

  update_actions (self);
}

void
cnv_window_save_to_path (CnvWindow  *self,
                         const char *path)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CNV_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  if (self->classifier == NULL)
    return;

  /* The thread writes a copy, so the window may keep changing. */
  task = g_task_new (self, NULL, save_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_save_to_path);
  g_task_set_task_data (task, cnv_classifier_copy (self->classifier),
                        (GDestroyNotify) cnv_classifier_free);
  g_object_set_data_full (G_OBJECT (task), "path", g_strdup (path), g_free);
  g_task_run_in_thread (task, save_thread);

  self->n_saving++;
  update_actions (self);
}

static void
save_response_cb (GtkNativeDialog *native,
                  int              response,
                  gpointer         user_data)
{
  CnvWindow *self = CNV_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = NULL;
      g_autofree char *path = NULL;

      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
      if (path != NULL)
        cnv_window_save_to_path (self, path);
    }

  g_object_unref (native);
}

static GtkFileFilter *
new_checkpoint_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Convolve checkpoints"));
  gtk_file_filter_add_pattern (filter, "*.convolve");

  return filter;
}

static void
save_as_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = new_checkpoint_filter ();
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Save Checkpoint"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);

  if (self->checkpoint_path != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (self->checkpoint_path);

      gtk_file_chooser_set_file (GTK_FILE_CHOOSER (native), file, NULL);
    }
  else
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native),
                                       "model.convolve");

  g_signal_connect (native, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
save_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);

  if (self->checkpoint_path != NULL)
    cnv_window_save_to_path (self, self->checkpoint_path);
  else
    save_as_action_cb (widget, "win.save-as", NULL);
}

/* Opening */

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  GError *error = NULL;
  CnvClassifier *classifier;

  classifier = cnv_checkpoint_load (path, &error);
  if (classifier == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, classifier,
                           (GDestroyNotify) cnv_classifier_free);
}

/* Puts the settings of the checkpoint's last run in the Train page, so
 * training on continues the way it went. */
static void
show_training_settings (CnvWindow *self)
{
  const CnvClassifier *c = self->classifier;
  const CnvOptimizerConfig *config;

  if (c->batch_size > 0)
    gtk_spin_button_set_value (self->batch_spin, c->batch_size);

  if (c->optimizer == NULL)
    return;

  config = cnv_optimizer_get_config (c->optimizer);
  gtk_spin_button_set_value (self->rate_spin, config->learning_rate);
  adw_combo_row_set_selected (self->optimizer_row,
                              config->kind == CNV_OPTIMIZER_SGD ? 1 : 0);
}

static void
open_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  const char *path = g_task_get_task_data (G_TASK (result));
  g_autofree char *name = g_filename_display_basename (path);
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing before;

  classifier = g_task_propagate_pointer (G_TASK (result), &error);
  self->n_opening--;
  if (self->disposed)
    return;

  if (classifier == NULL)
    {
      g_autofree char *heading = NULL;

      heading = g_strdup_printf (_("Could Not Open “%s”"), name);
      show_error (self, heading, error);
      update_actions (self);
      return;
    }

  current_preprocessing (self, &before);

  g_clear_pointer (&self->classifier, cnv_classifier_free);
  self->classifier = g_steal_pointer (&classifier);
  cnv_model_spec_free (self->spec);
  self->spec = cnv_model_spec_copy (cnv_model_get_spec (self->classifier->model));
  g_free (self->checkpoint_path);
  self->checkpoint_path = g_strdup (path);

  self->modified = TRUE;
  set_modified (self, FALSE);
  show_training_settings (self);
  update_layer_list (self);
  update_trained_info (self);
  show_history (self);

  /* The folder must be seen the way this model sees images. */
  if (self->data_folder != NULL
      && !cnv_preprocessing_equal (&before, &self->classifier->preprocessing))
    cnv_window_load_folder (self, self->data_folder);

  if (self->classifier->notices != NULL
      && self->classifier->notices->len > 0)
    show_toast (self, g_ptr_array_index (self->classifier->notices, 0));
  else
    {
      g_autofree char *message = g_strdup_printf (_("Opened “%s”"), name);

      show_toast (self, message);
    }

  update_actions (self);
}

void
cnv_window_open_checkpoint (CnvWindow  *self,
                            const char *path)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CNV_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, NULL, open_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_open_checkpoint);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, open_thread);

  self->n_opening++;
  update_actions (self);
}

static void
open_response_cb (GtkNativeDialog *native,
                  int              response,
                  gpointer         user_data)
{
  CnvWindow *self = CNV_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = NULL;
      g_autofree char *path = NULL;

      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
      if (path != NULL)
        cnv_window_open_checkpoint (self, path);
    }

  g_object_unref (native);
}

static void
open_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = new_checkpoint_filter ();
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Open Checkpoint"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_signal_connect (native, "response", G_CALLBACK (open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* Choosing a folder */

static void
folder_response_cb (GtkNativeDialog *native,
                    int              response,
                    gpointer         user_data)
{
  CnvWindow *self = CNV_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = NULL;
      g_autofree char *path = NULL;

      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
      if (path != NULL)
        {
          cnv_window_load_folder (self, path);
          adw_view_stack_set_visible_child_name (self->view_stack, "data");
        }
    }

  g_object_unref (native);
}

static void
choose_folder_action_cb (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Choose Image Folder"),
                                        GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (folder_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* Classifying */

typedef struct
{
  CnvClassifier *classifier;
  char          *path;
  double         probability;
  CnvImage      *image;
  GdkTexture    *thumbnail;
} ClassifyJob;

static void
classify_job_free (gpointer data)
{
  ClassifyJob *job = data;

  g_clear_pointer (&job->classifier, cnv_classifier_free);
  g_clear_pointer (&job->image, cnv_image_free);
  g_clear_object (&job->thumbnail);
  g_free (job->path);
  g_free (job);
}

/* The file as an image viewer shows it, small; NULL when gdk-pixbuf
 * cannot read it (the prediction then says why). */
static GdkTexture *
load_thumbnail (const char *path)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) rotated = NULL;

  pixbuf = gdk_pixbuf_new_from_file_at_scale (path, 2 * PREVIEW_SIZE,
                                              2 * PREVIEW_SIZE, TRUE, NULL);
  if (pixbuf == NULL)
    return NULL;

  rotated = gdk_pixbuf_apply_embedded_orientation (pixbuf);

  return gdk_texture_new_for_pixbuf (rotated != NULL ? rotated : pixbuf);
}

static void
classify_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  ClassifyJob *job = task_data;
  GError *error = NULL;

  if (!cnv_classifier_predict_file (job->classifier, job->path,
                                    &job->probability, &job->image, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  job->thumbnail = load_thumbnail (job->path);
  g_task_return_boolean (task, TRUE);
}

/* The network's input scaled up by a whole factor with nearest neighbour,
 * so each input value is a visible square. */
static GdkTexture *
texture_from_image (const CnvImage *image)
{
  int factor = MAX (1, PREVIEW_SIZE / MAX (image->width, image->height));
  int width = image->width * factor;
  int height = image->height * factor;
  gsize stride = (gsize) width * 3;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *rgb = g_malloc ((gsize) height * stride);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *src = image->pixels
                            + ((gsize) (y / factor) * image->width + x / factor)
                              * image->channels;
        guint8 *dst = rgb + (gsize) y * stride + (gsize) x * 3;

        for (int c = 0; c < 3; c++)
          dst[c] = src[image->channels == 3 ? c : 0];
      }

  bytes = g_bytes_new_take (rgb, (gsize) height * stride);

  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes,
                                 stride);
}

static void
add_note (CnvWindow  *self,
          const char *icon_name,
          const char *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), icon_name);
  gtk_list_box_append (self->notes_list, row);
}

static void
show_notes (CnvWindow              *self,
            const CnvImage         *image,
            const CnvPreprocessing *pp)
{
  clear_list_box (self->notes_list);

  if (image->was_rotated)
    add_note (self, "object-rotate-right-symbolic",
              _("Rotated upright as its EXIF orientation says"));
  if (image->was_color)
    add_note (self, "applications-graphics-symbolic",
              _("Converted from colour to greyscale"));
  if (image->had_alpha)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("Transparency flattened on #%02x%02x%02x"),
                              pp->background[0], pp->background[1],
                              pp->background[2]);
      add_note (self, "edit-select-all-symbolic", text);
    }
  if (image->original_width != image->width
      || image->original_height != image->height)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("Resized from %d × %d to %d × %d"),
                              image->original_width, image->original_height,
                              image->width, image->height);
      add_note (self, "view-fullscreen-symbolic", text);
    }

  if (gtk_widget_get_first_child (GTK_WIDGET (self->notes_list)) == NULL)
    add_note (self, "emblem-ok-symbolic",
              _("Used as it is: already the network's size and colour mode"));
}

static void
show_prediction (CnvWindow   *self,
                 ClassifyJob *job)
{
  const CnvClassifier *c = job->classifier;
  gboolean positive = job->probability >= c->threshold;
  double shown = positive ? job->probability : 1.0 - job->probability;
  g_autofree char *name = g_filename_display_basename (job->path);
  g_autofree char *percent = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *caption = NULL;
  g_autoptr(GdkTexture) input = texture_from_image (job->image);

  g_free (self->predicted_class);
  self->predicted_class = g_strdup (c->class_names[positive ? 1 : 0]);
  self->probability = job->probability;

  percent = g_strdup_printf ("%.1f %%", 100.0 * shown);
  /* Translators: file name, positive class, its probability. */
  detail = g_strdup_printf (_("%s — probability of “%s”: %.4f"),
                            name, c->class_names[1], job->probability);
  gtk_label_set_label (self->class_label, self->predicted_class);
  gtk_label_set_label (self->probability_label, percent);
  gtk_level_bar_set_value (self->probability_bar, shown);
  gtk_label_set_label (self->detail_label, detail);

  gtk_picture_set_paintable (self->original_picture,
                             GDK_PAINTABLE (job->thumbnail));
  gtk_picture_set_paintable (self->input_picture, GDK_PAINTABLE (input));
  caption = g_strdup_printf (_("What the network saw, %d × %d"),
                             job->image->width, job->image->height);
  gtk_label_set_label (self->input_caption, caption);

  show_notes (self, job->image, &c->preprocessing);
  gtk_stack_set_visible_child_name (self->classify_stack, "result");
}

static void
classify_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  ClassifyJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->n_classifying--;
  if (self->disposed)
    return;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *name = g_filename_display_basename (job->path);
      g_autofree char *heading = NULL;

      heading = g_strdup_printf (_("Could Not Classify “%s”"), name);
      show_error (self, heading, error);
      return;
    }

  show_prediction (self, job);
}

void
cnv_window_classify_path (CnvWindow  *self,
                          const char *path)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ClassifyJob *job;

  g_return_if_fail (CNV_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  adw_view_stack_set_visible_child_name (self->view_stack, "classify");

  if (self->classifier == NULL)
    {
      adw_status_page_set_title (self->classify_status,
                                 _("No Trained Model Yet"));
      adw_status_page_set_description (self->classify_status,
                                       _("Train a model on the Train page or "
                                         "open a checkpoint, then drop the "
                                         "image again."));
      show_toast (self, _("Cannot classify without a trained model"));
      return;
    }

  if (!cnv_classifier_check (self->classifier, &error))
    {
      show_error (self, _("This Model Cannot Classify"), error);
      return;
    }

  /* The thread predicts with its own copy: a forward pass writes the
   * model's activation caches. */
  job = g_new0 (ClassifyJob, 1);
  job->classifier = cnv_classifier_copy (self->classifier);
  job->path = g_strdup (path);

  task = g_task_new (self, NULL, classify_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_classify_path);
  g_task_set_task_data (task, job, classify_job_free);
  g_task_run_in_thread (task, classify_thread);

  self->n_classifying++;
}

static void
classify_response_cb (GtkNativeDialog *native,
                      int              response,
                      gpointer         user_data)
{
  CnvWindow *self = CNV_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = NULL;
      g_autofree char *path = NULL;

      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      path = g_file_get_path (file);
      if (path != NULL)
        cnv_window_classify_path (self, path);
    }

  g_object_unref (native);
}

static void
classify_file_action_cb (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);

  native = gtk_file_chooser_native_new (_("Classify Image"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Classify"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_signal_connect (native, "response", G_CALLBACK (classify_response_cb),
                    self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         gpointer       user_data)
{
  CnvWindow *self = CNV_WINDOW (user_data);
  GFile *file = NULL;
  g_autofree char *path = NULL;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = g_value_get_boxed (value);

      if (files != NULL)
        file = files->data;
    }
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    file = g_value_get_object (value);

  if (file == NULL)
    return FALSE;

  path = g_file_get_path (file);
  if (path == NULL)
    {
      show_toast (self, _("Only files on this computer can be classified"));
      return FALSE;
    }

  cnv_window_classify_path (self, path);

  return TRUE;
}

/* Leaflet navigation when the window is narrow */

static void
back_clicked_cb (CnvWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
forward_clicked_cb (CnvWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

/* GObject */

static void
cnv_window_constructed (GObject *object)
{
  CnvWindow *self = CNV_WINDOW (object);

  G_OBJECT_CLASS (cnv_window_parent_class)->constructed (object);

  if (self->data_folder != NULL)
    {
      g_autofree char *folder = g_strdup (self->data_folder);

      cnv_window_load_folder (self, folder);
    }
}

static void
cnv_window_dispose (GObject *object)
{
  CnvWindow *self = CNV_WINDOW (object);

  self->disposed = TRUE;

  /* Reports of this run are dropped from now on. */
  self->run_counter++;

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);

  /* The thread stops at its next batch boundary, within a batch's time. */
  if (self->train_thread != NULL)
    {
      g_atomic_int_set (&self->run->control.stop, 1);
      g_thread_join (g_steal_pointer (&self->train_thread));
    }
  g_clear_pointer (&self->run, train_run_release);

  if (self->toast != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->toast),
                                  (gpointer *) &self->toast);
  self->toast = NULL;

  gtk_widget_dispose_template (GTK_WIDGET (self), CNV_TYPE_WINDOW);

  G_OBJECT_CLASS (cnv_window_parent_class)->dispose (object);
}

static void
cnv_window_finalize (GObject *object)
{
  CnvWindow *self = CNV_WINDOW (object);

  g_clear_pointer (&self->spec, cnv_model_spec_free);
  g_clear_pointer (&self->classifier, cnv_classifier_free);
  g_clear_pointer (&self->dataset, dataset_ref_release);
  g_clear_pointer (&self->data_folder, g_free);
  g_clear_pointer (&self->checkpoint_path, g_free);
  g_clear_pointer (&self->predicted_class, g_free);

  G_OBJECT_CLASS (cnv_window_parent_class)->finalize (object);
}

static void
cnv_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CnvWindow *self = CNV_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DATA_FOLDER:
      g_value_set_string (value, self->data_folder);
      break;

    case PROP_MODIFIED:
      g_value_set_boolean (value, self->modified);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_window_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CnvWindow *self = CNV_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DATA_FOLDER:
      /* Construct-only; constructed () starts the load. */
      g_free (self->data_folder);
      self->data_folder = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_window_class_init (CnvWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cnv_window_constructed;
  object_class->dispose = cnv_window_dispose;
  object_class->finalize = cnv_window_finalize;
  object_class->get_property = cnv_window_get_property;
  object_class->set_property = cnv_window_set_property;

  properties[PROP_DATA_FOLDER] =
    g_param_spec_string ("data-folder", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                         | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                          | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CNV_TYPE_LOSS_CHART);

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-window.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvWindow, name)
  BIND (toast_overlay);
  BIND (leaflet);
  BIND (model_pane);
  BIND (content_pane);
  BIND (model_title);
  BIND (switcher_title);
  BIND (view_stack);
  BIND (layers_group);
  BIND (layer_list);
  BIND (total_label);
  BIND (trained_group);
  BIND (classes_row);
  BIND (epochs_row);
  BIND (accuracy_row);
  BIND (data_stack);
  BIND (loading_page);
  BIND (loading_spinner);
  BIND (folder_row);
  BIND (class_list);
  BIND (settings_list);
  BIND (stop_button);
  BIND (epochs_spin);
  BIND (batch_spin);
  BIND (rate_spin);
  BIND (optimizer_row);
  BIND (epoch_value);
  BIND (batch_value);
  BIND (loss_value);
  BIND (accuracy_value);
  BIND (progress_bar);
  BIND (loss_chart);
  BIND (classify_stack);
  BIND (classify_status);
  BIND (original_picture);
  BIND (input_picture);
  BIND (original_caption);
  BIND (input_caption);
  BIND (class_label);
  BIND (probability_label);
  BIND (probability_bar);
  BIND (detail_label);
  BIND (notes_list);
#undef BIND

  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, forward_clicked_cb);

  gtk_widget_class_install_action (widget_class, "win.open", NULL,
                                   open_action_cb);
  gtk_widget_class_install_action (widget_class, "win.save", NULL,
                                   save_action_cb);
  gtk_widget_class_install_action (widget_class, "win.save-as", NULL,
                                   save_as_action_cb);
  gtk_widget_class_install_action (widget_class, "win.train", NULL,
                                   train_action_cb);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL,
                                   stop_action_cb);
  gtk_widget_class_install_action (widget_class, "win.choose-folder", NULL,
                                   choose_folder_action_cb);
  gtk_widget_class_install_action (widget_class, "win.classify-file", NULL,
                                   classify_file_action_cb);
}

static void
cnv_window_init (CnvWindow *self)
{
  GtkDropTarget *target;
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->spec = cnv_model_spec_new_default ();
  self->probability = -1.0;

  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  adw_leaflet_set_visible_child (self->leaflet, self->content_pane);

  update_layer_list (self);
  update_trained_info (self);
  update_title (self);
  update_data_page (self);
  update_actions (self);
}

CnvWindow *
cnv_window_new (CnvApplication *application,
                const char     *data_folder)
{
  return g_object_new (CNV_TYPE_WINDOW,
                       "application", application,
                       "data-folder", data_folder,
                       NULL);
}

/* For tests/test-app.c */

gboolean
cnv_window_is_busy (CnvWindow *self)
{
  return self->loading || self->n_saving > 0 || self->n_opening > 0
         || self->n_classifying > 0 || self->train_thread != NULL;
}

gboolean
cnv_window_is_training (CnvWindow *self)
{
  return self->train_thread != NULL;
}

gboolean
cnv_window_get_modified (CnvWindow *self)
{
  return self->modified;
}

const char *
cnv_window_get_checkpoint_path (CnvWindow *self)
{
  return self->checkpoint_path;
}

const CnvDataset *
cnv_window_get_dataset (CnvWindow *self)
{
  return self->dataset != NULL ? self->dataset->dataset : NULL;
}

const CnvClassifier *
cnv_window_get_classifier (CnvWindow *self)
{
  return self->classifier;
}

GtkSpinButton *
cnv_window_get_epochs_spin (CnvWindow *self)
{
  return self->epochs_spin;
}

GtkWidget *
cnv_window_get_stop_button (CnvWindow *self)
{
  return self->stop_button;
}

AdwActionRow *
cnv_window_get_class_row (CnvWindow *self,
                          guint      index)
{
  g_return_val_if_fail (index < 2, NULL);

  return self->class_rows[index];
}

AdwExpanderRow *
cnv_window_get_skipped_row (CnvWindow *self)
{
  return self->skipped_row;
}

guint
cnv_window_get_n_layer_rows (CnvWindow *self)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->layer_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;

  return n;
}

guint
cnv_window_get_n_chart_points (CnvWindow *self)
{
  return cnv_loss_chart_get_n_points (self->loss_chart);
}

const char *
cnv_window_get_predicted_class (CnvWindow *self)
{
  return self->predicted_class;
}

double
cnv_window_get_probability (CnvWindow *self)
{
  return self->probability;
}

void
cnv_window_show_page (CnvWindow  *self,
                      const char *name)
{
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}
