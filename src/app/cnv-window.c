/* cnv-window.c — the main window
 *
 * The left pane holds the layer stack editor (cnv-layer-editor.c, over
 * the window's CnvStackEditor) and what is known of the trained model;
 * the right pane holds the Data, Train, Evaluate and Classify pages
 * (cnv-data-page.c, cnv-train-page.c, cnv-evaluate-page.c,
 * cnv-classify-page.c), which draw
 * what the window hands them.  The window owns the model, the dataset
 * and the work in flight: folder loads, saves, opens and predictions run
 * in GTask threads on copies; training runs in one GThread that owns its
 * own classifier.
 *
 * The one idea: nothing that runs off the main thread touches the window.
 * The training thread posts small immutable reports through g_idle_add;
 * each carries the run it belongs to, and the main loop drops it when the
 * window is gone (a weak reference) or the run was replaced (a counter).
 * Predictions carry a counter the same way.  Batch reports are coalesced
 * so the main loop sees at most ~30 a second, each with every batch loss
 * since the last one.
 *
 * The window remembers through the app's settings (cnv-settings.c): its
 * size, the checkpoints and folders used lately (the Recent menu and the
 * start view list them) and the training options last run with.
 *
 * A trained model that no file holds is never dropped without asking:
 * closing the window, quitting and opening a checkpoint over it first ask
 * whether to save it.
 */
#define G_LOG_DOMAIN "cnv-window"

#include <errno.h>
#include <math.h>
#include <sys/resource.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cnv-application.h"
#include "cnv-config.h"
#include "cnv-classify-page.h"
#include "cnv-compare-window.h"
#include "cnv-data-page.h"
#include "cnv-format.h"
#include "cnv-evaluate-page.h"
#include "cnv-layer-editor.h"
#include "cnv-open-dialog.h"
#include "cnv-settings.h"
#include "cnv-train-page.h"
#include "cnv-window.h"
#include "cnv-window-private.h"

/* A threshold still for this long reaches the Classify page. */
#define THRESHOLD_SETTLE_MS 300

/* The nice value of the training thread: its CPU weight becomes a tenth
 * of the window's (110 against 1024). */
#define TRAIN_THREAD_NICE 10

/* Batch reports closer together than this are merged. */
#define REPORT_INTERVAL_US (G_USEC_PER_SEC / 30)

/* The stack on screen, as the editor holds it. */
#define SPEC(self) (cnv_stack_editor_get_spec ((self)->editor))

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
  gint             snapshot_wanted; /* atomic: copy at the next batch */
  gint             classify_wanted; /* atomic: a copy for the Classify
                                     * page at the next batch */
  CnvTrainConfig   config;
  CnvClassifier   *classifier;   /* the thread's until it reports DONE;
                                  * NULL at first for a new model, which
                                  * the thread builds from fresh_* */
  CnvModelSpec    *fresh_spec;
  CnvPreprocessing fresh_pp;
  char            *fresh_names[2];
  guint64          fresh_seed;
  gboolean         continued;    /* classifier is a copy of the window's */
  DatasetRef      *dataset;
  gboolean         save_best;    /* post each new best validation loss */
  /* Used by the training thread only. */
  gint64           last_report_us;
  GArray          *pending;      /* double triples: epoch position, loss,
                                  * accuracy */
  CnvTrainProgress latest;
  CnvBestTracker   best;
} TrainRun;

typedef enum
{
  REPORT_BATCHES,
  REPORT_EPOCH,
  REPORT_SNAPSHOT,   /* a copy of the weights, for a save */
  REPORT_BEST,       /* a copy at a new best validation loss */
  REPORT_CLASSIFY_SNAPSHOT, /* a copy for the Classify page */
  REPORT_DONE,
} ReportKind;

/* Immutable once posted. */
typedef struct
{
  TrainRun        *run;
  ReportKind       kind;
  CnvTrainProgress progress;     /* record is NULL; see below */
  CnvEpochRecord   record;       /* REPORT_EPOCH */
  GArray          *batches;      /* REPORT_BATCHES: TrainRun's pending */
  CnvClassifier   *classifier;   /* REPORT_DONE, _BEST and the snapshots */
  GError          *error;        /* REPORT_DONE */
  gboolean         stopped;      /* REPORT_DONE */
} TrainReport;

/* What to do once a save asked for by a question has succeeded. */
typedef enum
{
  AFTER_SAVE_NOTHING,
  AFTER_SAVE_CLOSE,
  AFTER_SAVE_OPEN,
  AFTER_SAVE_TRAIN,   /* train the edited stack from new weights */
} AfterSave;

struct _CnvWindow
{
  AdwApplicationWindow parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *content_pane;
  AdwWindowTitle       *model_title;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  GtkWidget            *save_button;
  CnvLayerEditor       *layer_editor;
  AdwActionRow         *stale_row;
  GtkWidget            *trained_group;
  AdwActionRow         *classes_row;
  AdwActionRow         *epochs_row;
  AdwActionRow         *accuracy_row;
  AdwActionRow         *notices_row;
  CnvDataPage          *data_page;
  CnvTrainPage         *train_page;
  CnvEvaluatePage      *evaluate_page;
  CnvClassifyPage      *classify_page;
  GMenu                *recent_checkpoints_menu;
  GMenu                *recent_folders_menu;

  /* owned */
  GSettings            *settings;       /* the app's; NULL without schema */
  CnvStackEditor       *editor;         /* the stack on screen */
  CnvModelSpec         *kept_spec;      /* the stack as a file last held
                                         * it (opened, saved, exported) or
                                         * as the window first showed it */
  CnvClassifier        *classifier;     /* NULL until trained or opened */
  DatasetRef           *dataset;
  char                 *data_folder;
  char                 *checkpoint_path;
  char                 *pending_open;   /* AFTER_SAVE_OPEN's file */
  char                 *snapshot_path;  /* a save waiting for the run's
                                         * next batch */
  GCancellable         *load_cancellable;
  GThread              *train_thread;
  TrainRun             *run;

  /* borrowed, weak */
  AdwToast             *toast;
  AdwMessageDialog     *question;
  CnvOpenDialog        *open_dialog;    /* what opening would change */
  AdwMessageDialog     *load_report;    /* what a partial load loaded */
  AdwMessageDialog     *save_error;     /* a save failed: save elsewhere? */
  AdwMessageDialog     *replace_question; /* the name meant exists */
  char                 *training_folder; /* of the checkpoint opened */
  CnvCompareWindow     *compare_window; /* the last one opened */

  /* state */
  CnvPreprocessing      loaded_pp;      /* of the folder last loaded */
  guint                 run_counter;
  CnvClassifier        *best_pending;   /* the best weights waiting for
                                         * the write going on */
  gboolean              best_saving;
  guint                 threshold_timeout; /* Classify follows a moved
                                            * threshold once it rests */
  guint                 snapshot_run;   /* the run a file holds a snapshot
                                         * of, when it does */
  /* The checkpoint_path file as last saved or opened, and whether the
   * model on screen is that model trained further (not one started over
   * on another layer stack). */
  guint                 file_epochs;
  gint64                file_step;
  gboolean              file_opened;
  gboolean              file_is_ancestor;
  guint                 n_saving;
  guint                 n_opening;
  AfterSave             after_save;
  gboolean              loading;
  gboolean              modified;
  gboolean              close_confirmed;
  gboolean              train_confirmed;
  gboolean              disposed;
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
  g_clear_pointer (&run->fresh_spec, cnv_model_spec_free);
  g_clear_pointer (&run->fresh_names[0], g_free);
  g_clear_pointer (&run->fresh_names[1], g_free);
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
  g_clear_pointer (&report->batches, g_array_unref);
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
  report->batches = g_steal_pointer (&run->pending);
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
      double point[3];

      point[0] = progress->epoch - 1
                 + (double) progress->batch / MAX (1, progress->n_batches);
      point[1] = progress->batch_loss;
      point[2] = progress->batch_accuracy;
      g_array_append_vals (run->pending, point, 3);
      run->latest = *progress;

      /* A save asked for while training: the weights of this step, copied
       * at a batch boundary where they are whole. */
      if (g_atomic_int_compare_and_exchange (&run->snapshot_wanted, 1, 0))
        {
          report = train_report_new (run, REPORT_SNAPSHOT);
          report->classifier = cnv_classifier_copy (run->classifier);
          post_report (report);
        }

      /* The Classify page predicts with the weights of this step. */
      if (g_atomic_int_compare_and_exchange (&run->classify_wanted, 1, 0))
        {
          report = train_report_new (run, REPORT_CLASSIFY_SNAPSHOT);
          report->classifier = cnv_classifier_copy (run->classifier);
          post_report (report);
        }

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

  /* The weights at the end of an epoch with a new lowest validation loss
   * are the ones keep-best would restore: copied now, written by the
   * window in a thread of its own. */
  if (run->save_best && progress->record != NULL
      && progress->record->validation.n > 0
      && cnv_best_tracker_update (&run->best, progress->record->epoch,
                                  progress->record->validation.loss)
         == CNV_BEST_IMPROVED)
    {
      report = train_report_new (run, REPORT_BEST);
      report->record = *progress->record;
      report->classifier = cnv_classifier_copy (run->classifier);
      post_report (report);
    }
}

static gpointer
train_thread_func (gpointer data)
{
  TrainRun *run = data;
  g_autoptr(GError) error = NULL;
  TrainReport *report;

  /* Training takes every core; lowered (and its workers with it, see
   * cnv-layers.c), it yields them to the window's own thread whenever
   * that has a frame to draw, instead of sharing them: under Xvfb the
   * largest stall while training the sample fell from 18–24 ms to
   * 9–13 ms.  Only Linux keeps a nice value per thread; elsewhere this
   * would lower the window too. */
#ifdef __linux__
  if (setpriority (PRIO_PROCESS, 0, TRAIN_THREAD_NICE) != 0)
    g_debug ("Could not lower the training thread: %s",
             g_strerror (errno));
#endif

  /* A new model's weights are drawn here: for small-vgg's 1.3 million
   * parameters that kept the window from drawing for 40 ms. */
  if (run->classifier == NULL)
    run->classifier = cnv_classifier_new (run->fresh_spec, &run->fresh_pp,
                                          (const char * const *) run->fresh_names,
                                          run->fresh_seed, &error);

  if (run->classifier != NULL)
    cnv_classifier_train (run->classifier, run->dataset->dataset,
                          &run->config, &run->control, train_progress_cb, run,
                          &error);

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

static char *
display_name (const char *path)
{
  if (path == NULL)
    return g_strdup (_("Untitled Model"));

  return g_filename_display_basename (path);
}

/* A newer message replaces the text of the toast on screen instead of
 * queueing behind it.  (Dismissing it and adding another at once raised
 * a critical inside libadwaita 1.2's toast animation.)  button_label and
 * action_name add a button, or remove the one there when NULL.  The
 * title is markup in libadwaita 1.2, and a file name may hold "&". */
static void
show_toast_with_button (CnvWindow  *self,
                        const char *message,
                        const char *button_label,
                        const char *action_name)
{
  g_autofree char *title = g_markup_escape_text (message, -1);
  AdwToast *toast = self->toast;

  if (toast == NULL)
    {
      toast = adw_toast_new (title);
      adw_toast_set_timeout (toast, 4);
    }

  adw_toast_set_title (toast, title);
  adw_toast_set_button_label (toast, button_label);
  adw_toast_set_action_name (toast, action_name);

  if (self->toast == NULL)
    {
      self->toast = toast;
      g_object_add_weak_pointer (G_OBJECT (toast), (gpointer *) &self->toast);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
}

static void
show_toast (CnvWindow  *self,
            const char *message)
{
  show_toast_with_button (self, message, NULL, NULL);
}

/* Logs the failure once and shows it once: heading plus the engine's
 * sentence, which names the file; when it does not, the body starts
 * with the file's name. */
static void
show_error (CnvWindow    *self,
            const char   *heading,
            const char   *path,
            const GError *error)
{
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (path != NULL)
    name = g_filename_display_basename (path);

  if (name != NULL && strstr (error->message, name) == NULL)
    body = g_strdup_printf (_("“%s”: %s"), name, error->message);
  else
    body = g_strdup (error->message);

  g_warning ("%s %s", heading, body);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close",
                                   _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
folder_error_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          CnvWindow        *self)
{
  const char *suggested = g_object_get_data (G_OBJECT (dialog), "suggested");

  if (g_str_equal (response, "use") && !self->disposed)
    cnv_window_load_folder (self, suggested);
}

/* A folder that could not be loaded; when another one near it is
 * probably the one meant (a dataset inside it, or the dataset around a
 * class folder), the dialog offers to load that one. */
static void
show_folder_error (CnvWindow    *self,
                   const char   *folder,
                   const GError *error)
{
  g_autofree char *suggested = NULL;
  g_autofree char *name = g_filename_display_basename (folder);
  g_autofree char *body = NULL;
  g_autofree char *label = NULL;
  g_autofree char *suggested_name = NULL;
  AdwMessageDialog *dialog;

  if (g_error_matches (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT)
      || g_error_matches (error, CNV_DATASET_ERROR,
                          CNV_DATASET_ERROR_EMPTY_CLASS))
    suggested = cnv_dataset_suggest_folder (folder);
  if (suggested == NULL)
    {
      show_error (self, _("Could Not Load Image Folder"), folder, error);
      return;
    }

  if (strstr (error->message, name) == NULL)
    body = g_strdup_printf (_("“%s”: %s"), name, error->message);
  else
    body = g_strdup (error->message);
  g_warning ("%s %s", _("Could Not Load Image Folder"), body);

  suggested_name = cnv_format_mnemonic_name (suggested);
  /* Translators: %s is the name of a folder */
  label = g_strdup_printf (_("_Use “%s”"), suggested_name);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
    GTK_WINDOW (self), _("Could Not Load Image Folder"), body));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_add_response (dialog, "use", label);
  adw_message_dialog_set_response_appearance (dialog, "use",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "use");
  adw_message_dialog_set_close_response (dialog, "close");
  g_object_set_data_full (G_OBJECT (dialog), "suggested",
                          g_steal_pointer (&suggested), g_free);
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (folder_error_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean continues_classifier (CnvWindow *self);

static void
current_preprocessing (CnvWindow        *self,
                       CnvPreprocessing *pp)
{
  if (continues_classifier (self))
    *pp = self->classifier->preprocessing;
  else
    {
      /* Images have 1 or 3 channels; a description asking for others is
       * read as colour until it is fixed (see train_blocker ()).  The
       * rest is what the Data page says. */
      cnv_preprocessing_init_default (pp, SPEC (self)->width,
                                      SPEC (self)->height,
                                      SPEC (self)->channels == 1 ? 1 : 3);
      cnv_data_page_apply_preprocessing (self->data_page, pp);
    }
}

/* TRUE when a folder read with a would hold other pixels than one read
 * with b; scaling and normalisation apply later, to the pixels held. */
static gboolean
reads_differently (const CnvPreprocessing *a,
                   const CnvPreprocessing *b)
{
  CnvPreprocessing x = *a;
  CnvPreprocessing y = *b;

  x.scale = y.scale;
  memcpy (x.mean, y.mean, sizeof x.mean);
  memcpy (x.std, y.std, sizeof x.std);

  return !cnv_preprocessing_equal (&x, &y);
}

/* TRUE when the classifier on screen holds training no file holds. */
static gboolean
has_unsaved_model (CnvWindow *self)
{
  return self->classifier != NULL && self->modified;
}

/* TRUE when win.train would continue from the classifier on screen. */
static gboolean
continues_classifier (CnvWindow *self)
{
  return self->classifier != NULL
         && cnv_model_spec_equal (cnv_model_get_spec (self->classifier->model),
                                  SPEC (self));
}

/* TRUE when the stack on screen was edited into one that no file holds
 * and that no trained model on screen will save: closing loses it. */
static gboolean
has_unsaved_stack (CnvWindow *self)
{
  return !continues_classifier (self)
         && !cnv_model_spec_equal (SPEC (self), self->kept_spec);
}

static void
keep_stack (CnvWindow          *self,
            const CnvModelSpec *spec)
{
  g_clear_pointer (&self->kept_spec, cnv_model_spec_free);
  self->kept_spec = cnv_model_spec_copy (spec);
}

static gint64
classifier_step (const CnvClassifier *c)
{
  return c->optimizer != NULL ? cnv_optimizer_get_step (c->optimizer) : 0;
}

/* c is what the checkpoint file now holds. */
static void
remember_file (CnvWindow           *self,
               const CnvClassifier *c,
               gboolean             opened)
{
  self->file_epochs = c->history->len;
  self->file_step = classifier_step (c);
  self->file_opened = opened;
  self->file_is_ancestor = TRUE;
}

/* One sentence on what closing or replacing the model on screen loses:
 * the training since the file was saved or opened, or all of it. */
static char *
describe_unsaved (CnvWindow *self)
{
  const CnvClassifier *c = self->classifier;
  g_autofree char *name = display_name (self->checkpoint_path);
  guint epochs = c->history->len;
  gint64 steps = classifier_step (c);

  if (self->checkpoint_path != NULL && self->file_is_ancestor)
    {
      guint new_epochs = epochs - MIN (epochs, self->file_epochs);
      guint new_steps = (guint) MAX (0, steps - self->file_step);

      if (new_epochs > 0 && self->file_opened)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u epoch trained since “%s” was "
                                             "opened will be lost.",
                                             "%u epochs trained since “%s” "
                                             "was opened will be lost.",
                                             new_epochs), new_epochs, name);
      if (new_epochs > 0)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u epoch trained since it was "
                                             "saved to “%s” will be lost.",
                                             "%u epochs trained since it was "
                                             "saved to “%s” will be lost.",
                                             new_epochs), new_epochs, name);
      if (new_steps > 0)
        /* A run stopped during its first epoch. */
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u batch trained since “%s” "
                                             "was last saved or opened will "
                                             "be lost.",
                                             "%u batches trained since “%s” "
                                             "was last saved or opened will "
                                             "be lost.",
                                             new_steps), new_steps, name);

      return g_strdup_printf (_("Changes since “%s” was last saved or "
                                "opened will be lost."), name);
    }

  if (epochs == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The model trained for %u batch "
                                         "has never been saved.",
                                         "The model trained for %u batches "
                                         "has never been saved.",
                                         (guint) steps), (guint) steps);

  if (self->checkpoint_path != NULL)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The model trained for %u epoch has "
                                         "never been saved; “%s” holds a "
                                         "different one.",
                                         "The model trained for %u epochs "
                                         "has never been saved; “%s” holds "
                                         "a different one.",
                                         epochs), epochs, name);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The model trained for %u epoch has "
                                       "never been saved.",
                                       "The model trained for %u epochs has "
                                       "never been saved.",
                                       epochs), epochs);
}

/* What the window shows */

/* Why Train is disabled, for the Train page: the stack's first problem,
 * or the folder it still needs; NULL when nothing stands in the way. */
static const char *
train_blocker (CnvWindow *self)
{
  const char *invalid = cnv_stack_editor_get_invalid_reason (self->editor);

  if (invalid != NULL)
    return invalid;
  if (SPEC (self)->channels != 1 && SPEC (self)->channels != 3)
    return _("Images have 1 channel (greyscale) or 3 (colour); set the "
             "input’s colour mode to one of them to train on images.");
  if (self->dataset == NULL && !self->loading)
    return _("Choose an image folder with one subfolder per class on the "
             "Data page to train.");

  return NULL;
}

static void
update_actions (CnvWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean training = self->train_thread != NULL;
  /* While training, a save writes the run's weights of its next batch. */
  gboolean can_save = (self->classifier != NULL || training)
                      && self->n_saving == 0;

  gtk_widget_action_set_enabled (widget, "win.train",
                                 !training && !self->loading
                                 && self->n_opening == 0
                                 && self->dataset != NULL
                                 && train_blocker (self) == NULL);
  gtk_widget_action_set_enabled (widget, "win.stop",
                                 training && !self->run->control.stop);
  gtk_widget_action_set_enabled (widget, "win.pause",
                                 training && !self->run->control.stop);
  gtk_widget_action_set_enabled (widget, "win.save", can_save);
  gtk_widget_action_set_enabled (widget, "win.save-as", can_save);
  gtk_widget_action_set_enabled (widget, "win.open",
                                 !training && self->n_opening == 0);
  gtk_widget_action_set_enabled (widget, "win.show-notices",
                                 self->classifier != NULL
                                 && self->classifier->notices != NULL
                                 && self->classifier->notices->len > 0);

  /* The primary path: Save stands out while there is something to save. */
  if (can_save && self->modified)
    gtk_widget_add_css_class (self->save_button, "suggested-action");
  else
    gtk_widget_remove_css_class (self->save_button, "suggested-action");

  cnv_train_page_set_training (self->train_page, training);
  cnv_train_page_set_invalid_reason (self->train_page, train_blocker (self));
}

static void update_best_path (CnvWindow *self);

static void
update_title (CnvWindow *self)
{
  g_autofree char *name = display_name (self->checkpoint_path);
  g_autofree char *title = NULL;
  g_autofree char *window_title = NULL;
  gboolean unsaved = self->modified || has_unsaved_stack (self);
  const char *subtitle;

  /* The marker says there are changes that no file holds yet. */
  if (unsaved)
    title = g_strdup_printf ("%s •", name);
  else
    title = g_strdup (name);

  adw_window_title_set_title (self->model_title, title);
  /* Save keeps a trained model, not a stack edited since: that one is
   * kept by training it or exporting it, and the subtitle says which
   * kind of change is waiting. */
  if (self->modified)
    subtitle = _("Unsaved changes");
  else if (unsaved)
    subtitle = _("Layer stack edited, not trained yet");
  else
    subtitle = NULL;
  adw_window_title_set_subtitle (self->model_title, subtitle);

  /* Shown in place of the view switcher when the window is narrow. */
  adw_view_switcher_title_set_title (self->switcher_title, title);

  cnv_evaluate_page_set_model_name (self->evaluate_page, name);

  window_title = g_strdup_printf (_("%s — Convolve"), title);
  gtk_window_set_title (GTK_WINDOW (self), window_title);

  update_best_path (self);
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
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

/* Whether a layer's trained weights no longer fit it, by shape. */
static gboolean
weights_misfit (const CnvDiff *diff,
                const char    *id)
{
  g_autofree char *prefix = g_strdup_printf ("%s.", id);

  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);

      if (g_str_has_prefix (row->name, prefix)
          && row->status == CNV_TENSOR_SHAPE_MISMATCH)
        return TRUE;
    }

  return FALSE;
}

/* One phrase per layer the edit touched, in the order of the edited
 * stack: "conv1 (kernel 5×5 → 3×3)", "bn1 (new)", "fc1 (its input
 * changed)"; removed layers at the end. */
static char *
describe_edits (const CnvModelSpec *trained,
                const CnvModelSpec *edited)
{
  g_autoptr(CnvModelRecord) a = cnv_model_record_new_from_spec (trained, NULL,
                                                                NULL, NULL);
  g_autoptr(CnvModelRecord) b = cnv_model_record_new_from_spec (edited, NULL,
                                                                NULL, NULL);
  g_autoptr(CnvDiff) diff = cnv_diff_new (a, b);
  g_autoptr(GPtrArray) phrases = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func (g_free);

  if (diff->input->len > 0)
    g_ptr_array_add (phrases, g_strdup (_("the input size")));

  for (guint i = 0; i < diff->layers->len; i++)
    {
      const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, i);

      switch (row->status)
        {
        case CNV_DIFF_ADDED:
          g_ptr_array_add (phrases, g_strdup_printf (_("%s (new)"),
                                                     row->b->id));
          break;
        case CNV_DIFF_REMOVED:
          g_ptr_array_add (removed, g_strdup_printf (_("%s (removed)"),
                                                     row->a->id));
          break;
        case CNV_DIFF_MOVED:
          g_ptr_array_add (phrases, g_strdup_printf (_("%s (moved)"),
                                                     row->b->id));
          break;
        case CNV_DIFF_CHANGED:
          {
            g_autoptr(GString) changes = g_string_new (NULL);

            /* Every field, the id last: "Kernel 5×5 → 3×3, Filters 8 → 4". */
            for (guint pass = 0; pass < 2; pass++)
              for (guint f = 0; f < row->fields->len; f++)
                {
                  const CnvDiffField *field = g_ptr_array_index (row->fields,
                                                                 f);
                  g_autofree char *change = NULL;

                  if (g_str_equal (field->field, "id") != (pass == 1))
                    continue;
                  change = cnv_diff_field_format_change (field);
                  g_string_append_printf (changes, "%s%s %s",
                                          changes->len > 0 ? ", " : "",
                                          field->title, change);
                }

            /* Translators: "conv1 (Kernel 5×5 → 3×3)". */
            g_ptr_array_add (phrases, g_strdup_printf (_("%s (%s)"),
                                                       row->b->id,
                                                       changes->str));
          }
          break;
        case CNV_DIFF_SAME:
        default:
          if (weights_misfit (diff, row->b->id))
            g_ptr_array_add (phrases, g_strdup_printf (
              _("%s (its input changed)"), row->b->id));
          break;
        }
    }

  g_ptr_array_extend_and_steal (phrases, g_steal_pointer (&removed));
  if (phrases->len == 0)
    g_ptr_array_add (phrases, g_strdup (_("its layers")));
  g_ptr_array_add (phrases, NULL);

  return g_strjoinv (", ", (char **) phrases->pdata);
}

/* Says when the stack on screen is no longer the one the trained weights
 * belong to, what changed, and that the next run starts afresh. */
static void
update_stale (CnvWindow *self)
{
  g_autofree char *edits = NULL;
  g_autofree char *subtitle = NULL;

  if (self->classifier == NULL || continues_classifier (self))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->stale_row), FALSE);
      return;
    }

  edits = describe_edits (cnv_model_get_spec (self->classifier->model),
                          SPEC (self));
  /* Translators: %s lists what changed, "conv1 (Kernel 5×5 → 3×3), bn1
   * (new)". */
  subtitle = g_strdup_printf (_("Edited since training: %s. The next "
                                "training starts from new weights in every "
                                "layer."), edits);

  adw_action_row_set_subtitle (self->stale_row, subtitle);
  gtk_widget_set_visible (GTK_WIDGET (self->stale_row), TRUE);
}

static void update_trained_info (CnvWindow *self);

static void
stack_changed_cb (CnvWindow *self)
{
  CnvPreprocessing after;

  if (self->disposed)
    return;

  update_stale (self);
  update_trained_info (self);
  update_actions (self);
  update_title (self);

  /* A new input size or colour mode changes how the folder is read. */
  if (self->data_folder != NULL && self->n_opening == 0)
    {
      current_preprocessing (self, &after);
      if (reads_differently (&self->loaded_pp, &after))
        cnv_window_load_folder (self, self->data_folder);
    }
}

/* A model description now holds the stack on screen. */
static void
stack_exported_cb (CnvWindow  *self,
                   const char *path)
{
  keep_stack (self, SPEC (self));
  update_title (self);
}

static void
batch_size_changed_cb (CnvWindow     *self,
                       GtkSpinButton *spin)
{
  cnv_stack_editor_set_batch_size (self->editor,
                                   gtk_spin_button_get_value_as_int (spin));
}

/* The Data page shows the stack's input, and while the trained model on
 * screen goes on training, its preprocessing and split, which then
 * cannot change. */
static void
update_data_settings (CnvWindow *self)
{
  gboolean locked = continues_classifier (self);

  cnv_data_page_set_input (self->data_page, SPEC (self)->width,
                           SPEC (self)->height, SPEC (self)->channels);
  if (locked)
    {
      cnv_data_page_set_preprocessing (self->data_page,
                                       &self->classifier->preprocessing);
      cnv_data_page_set_split (self->data_page, self->classifier->val_split,
                               self->classifier->seed);
    }
  cnv_data_page_set_locked (self->data_page, locked);
}

static void
update_trained_info (CnvWindow *self)
{
  const CnvClassifier *c = self->classifier;
  g_autofree char *classes = NULL;
  g_autofree char *epochs = NULL;
  g_autofree char *accuracy = NULL;
  g_autofree char *notices = NULL;
  const CnvEpochRecord *last = NULL;
  guint n_notices;

  cnv_train_page_set_epochs_trained (self->train_page,
                                     continues_classifier (self)
                                     ? c->history->len : 0);
  update_data_settings (self);

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
    {
      g_autofree char *percent = cnv_format_percent (last->validation.accuracy, 1);

      /* Translators: "93.8 % on 80 images". */
      accuracy = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s on %u image",
                                               "%s on %u images",
                                               last->validation.n),
                                  percent, last->validation.n);
    }
  else
    accuracy = g_strdup (_("Not measured"));
  adw_action_row_set_subtitle (self->accuracy_row, accuracy);

  n_notices = c->notices != NULL ? c->notices->len : 0;
  gtk_widget_set_visible (GTK_WIDGET (self->notices_row), n_notices > 0);
  notices = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%u thing changed on opening",
                                          "%u things changed on opening",
                                          n_notices), n_notices);
  adw_action_row_set_subtitle (self->notices_row, notices);
}

/* The Evaluate page shows the model on screen on the validation split of
 * the folder on screen.  While a folder loads, the load's end updates it
 * instead. */
static void
update_evaluation (CnvWindow *self)
{
  const CnvDataset *dataset = self->dataset != NULL ? self->dataset->dataset
                                                    : NULL;

  if (self->loading)
    return;

  cnv_evaluate_page_set_model (self->evaluate_page, self->classifier, dataset,
                               self->dataset,
                               (GBoxedCopyFunc) g_atomic_rc_box_acquire,
                               (GDestroyNotify) dataset_ref_release);
}

/* The folder the model on screen was trained on, found again next to
 * its checkpoint (NULL: none), which Evaluate offers to load. */
static void
set_training_folder (CnvWindow  *self,
                     const char *folder)
{
  g_free (self->training_folder);
  self->training_folder = g_strdup (folder);
  cnv_evaluate_page_set_training_folder (self->evaluate_page, folder);
}

/* The user moved the threshold: it is the model's from now on, and in its
 * next save. */
static gboolean
threshold_settled_cb (gpointer data)
{
  CnvWindow *self = data;

  self->threshold_timeout = 0;
  cnv_classify_page_model_changed (self->classify_page);

  return G_SOURCE_REMOVE;
}

static void
threshold_changed_cb (CnvWindow *self,
                      double     threshold)
{
  if (self->classifier == NULL || self->classifier->threshold == threshold)
    return;

  self->classifier->threshold = threshold;
  set_modified (self, TRUE);

  /* The Classify page decides with the threshold of its copy of the
   * model: once the slider rests, it gets a new copy. */
  g_clear_handle_id (&self->threshold_timeout, g_source_remove);
  self->threshold_timeout = g_timeout_add (THRESHOLD_SETTLE_MS,
                                           threshold_settled_cb, self);
}

/* Loading a folder */

/* A folder is read the way the model on screen reads images and, when
 * that model is trained and the folder has its classes, with the model's
 * class order rather than the sorted one: a checkpoint's "Dogs" stays
 * its positive class whatever the folders sort to. */
typedef struct
{
  CnvPreprocessing  pp;
  char            **class_names;   /* NULL: the sorted folder names */
  double            val_split;     /* for the report's first split */
  guint64           seed;
} LoadJob;

/* What a load gives: the dataset and its report, read in the same
 * thread before anything trains. */
typedef struct
{
  CnvDataset       *dataset;
  CnvDatasetReport *report;
} Loaded;

static void
load_job_free (LoadJob *job)
{
  g_strfreev (job->class_names);
  g_free (job);
}

static void
loaded_free (Loaded *loaded)
{
  g_clear_pointer (&loaded->dataset, cnv_dataset_free);
  g_clear_pointer (&loaded->report, cnv_dataset_report_free);
  g_free (loaded);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *folder = g_object_get_data (G_OBJECT (task), "folder");
  LoadJob *job = task_data;
  GError *error = NULL;
  Loaded *loaded = g_new0 (Loaded, 1);

  loaded->dataset = cnv_dataset_load (folder, &job->pp,
                                      (const char * const *) job->class_names,
                                      cancellable, NULL, NULL, &error);
  if (loaded->dataset != NULL)
    loaded->report = cnv_dataset_report_new (loaded->dataset, job->val_split,
                                             job->seed, cancellable, NULL,
                                             NULL, &error);
  if (loaded->report == NULL)
    {
      loaded_free (loaded);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, loaded, (GDestroyNotify) loaded_free);
}

/* Makes the folder of the dataset held (or none) the window's folder
 * again. */
static void
restore_data_folder (CnvWindow *self)
{
  const char *folder = self->dataset != NULL ? self->dataset->dataset->folder
                                             : NULL;

  if (g_strcmp0 (folder, self->data_folder) == 0)
    return;

  g_free (self->data_folder);
  self->data_folder = g_strdup (folder);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA_FOLDER]);
  update_best_path (self);
}

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  const char *folder = g_object_get_data (G_OBJECT (result), "folder");
  g_autoptr(GError) error = NULL;
  Loaded *loaded;

  loaded = g_task_propagate_pointer (G_TASK (result), &error);

  /* A newer load replaced this one, or the window is closing. */
  if (self->disposed || cancellable != self->load_cancellable)
    {
      g_clear_pointer (&loaded, loaded_free);
      return;
    }

  self->loading = FALSE;
  g_clear_object (&self->load_cancellable);

  if (loaded == NULL)
    {
      /* Another folder that failed is not the window's: the one loaded
       * before stays, with its report, for the page, for training and for
       * the class check of the next checkpoint opened.  The folder held,
       * failing to be read again (with other settings, or changed on
       * disk), is let go: its pixels are no longer what the settings on
       * screen say. */
      if (self->dataset != NULL
          && g_strcmp0 (folder, self->dataset->dataset->folder) == 0)
        {
          g_clear_pointer (&self->dataset, dataset_ref_release);
          update_evaluation (self);
        }
      restore_data_folder (self);
      cnv_data_page_show_previous (self->data_page,
                                   self->dataset != NULL
                                   ? self->dataset->dataset : NULL);
      show_folder_error (self, folder, error);
      update_actions (self);
      return;
    }

  g_clear_pointer (&self->dataset, dataset_ref_release);
  self->dataset = dataset_ref_new (g_steal_pointer (&loaded->dataset));
  if (self->settings != NULL)
    cnv_settings_add_recent (self->settings, "recent-folders", folder);

  cnv_data_page_show_dataset (self->data_page, self->dataset->dataset);
  cnv_data_page_show_report (self->data_page,
                             g_steal_pointer (&loaded->report));
  g_clear_pointer (&loaded, loaded_free);
  update_evaluation (self);
  update_actions (self);
}

void
cnv_window_load_folder (CnvWindow  *self,
                        const char *folder)
{
  g_autoptr(GTask) task = NULL;
  LoadJob *job;

  g_return_if_fail (CNV_IS_WINDOW (self));
  g_return_if_fail (folder != NULL);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  /* folder may be self->data_folder itself: a reload with another
   * preprocessing. */
  if (g_strcmp0 (folder, self->data_folder) != 0)
    {
      g_free (self->data_folder);
      self->data_folder = g_strdup (folder);
      g_object_notify_by_pspec (G_OBJECT (self),
                                properties[PROP_DATA_FOLDER]);
      update_best_path (self);
    }

  job = g_new0 (LoadJob, 1);
  current_preprocessing (self, &job->pp);
  job->val_split = cnv_data_page_get_val_split (self->data_page);
  job->seed = cnv_data_page_get_seed (self->data_page);
  self->loaded_pp = job->pp;
  if (continues_classifier (self))
    {
      g_autofree char *first = g_build_filename (folder,
                                                 self->classifier->class_names[0],
                                                 NULL);
      g_autofree char *second = g_build_filename (folder,
                                                  self->classifier->class_names[1],
                                                  NULL);

      if (g_file_test (first, G_FILE_TEST_IS_DIR)
          && g_file_test (second, G_FILE_TEST_IS_DIR))
        {
          job->class_names = g_new0 (char *, 3);
          job->class_names[0] = g_strdup (self->classifier->class_names[0]);
          job->class_names[1] = g_strdup (self->classifier->class_names[1]);
        }
    }

  task = g_task_new (self, self->load_cancellable, load_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_load_folder);
  g_task_set_task_data (task, job, (GDestroyNotify) load_job_free);
  g_object_set_data_full (G_OBJECT (task), "folder", g_strdup (folder),
                          g_free);
  cnv_application_run_in_thread (task, load_thread);

  self->loading = TRUE;
  cnv_data_page_show_loading (self->data_page, folder);
  update_actions (self);
}

/* The Data page's settings */

/* A resize mode, interpolation or colour mode changes the pixels the
 * folder is held as, so it is read again; scaling and normalisation
 * apply to the pixels held. */
static void
data_preprocessing_changed_cb (CnvWindow *self)
{
  CnvPreprocessing pp;

  if (self->disposed || self->data_folder == NULL || self->n_opening > 0)
    return;

  current_preprocessing (self, &pp);
  if (reads_differently (&self->loaded_pp, &pp))
    cnv_window_load_folder (self, self->data_folder);
}

/* The colour row follows the stack's input; choosing another mode there
 * sets the input's channels, an edit of the stack that Undo takes back,
 * and stack_changed_cb () reads the folder again. */
static void
data_colour_mode_changed_cb (CnvWindow *self,
                             int        channels)
{
  const CnvModelSpec *spec = SPEC (self);

  if (spec->channels != channels)
    cnv_stack_editor_set_input (self->editor, spec->width, spec->height,
                                channels);
}

typedef struct
{
  DatasetRef *dataset;
  double      val_split;
  guint64     seed;
  float       scale;
  float       mean[3];
  float       std[3];
  guint       n_images;
} NormalisationJob;

static void
normalisation_job_free (NormalisationJob *job)
{
  g_clear_pointer (&job->dataset, dataset_ref_release);
  g_free (job);
}

static void
normalisation_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  NormalisationJob *job = task_data;
  g_autoptr(GArray) train = NULL;
  g_autoptr(GArray) validation = NULL;

  /* The training images of the split the next run uses. */
  cnv_dataset_split (job->dataset->dataset, job->val_split, job->seed,
                     &train, &validation);
  cnv_dataset_compute_mean_std (job->dataset->dataset, train, job->scale,
                                job->mean, job->std);
  job->n_images = train->len;
  g_task_return_boolean (task, TRUE);
}

static void
normalisation_done_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  NormalisationJob *job = g_task_get_task_data (G_TASK (result));

  if (self->disposed)
    return;

  /* The folder was read again meanwhile: these are of other pixels. */
  if (self->dataset != job->dataset)
    {
      cnv_data_page_set_computed_normalisation (self->data_page, NULL, NULL,
                                                0, 0.0, 0, 0.0f, 0);
      return;
    }

  cnv_data_page_set_computed_normalisation (self->data_page, job->mean,
                                            job->std, job->n_images,
                                            job->val_split, job->seed,
                                            job->scale,
                                            job->dataset->dataset->channels);
}

static void
data_compute_normalisation_cb (CnvWindow *self)
{
  g_autoptr(GTask) task = NULL;
  NormalisationJob *job;

  if (self->dataset == NULL)
    {
      cnv_data_page_set_computed_normalisation (self->data_page, NULL, NULL,
                                                0, 0.0, 0, 0.0f, 0);
      return;
    }

  job = g_new0 (NormalisationJob, 1);
  job->dataset = g_atomic_rc_box_acquire (self->dataset);
  job->val_split = cnv_data_page_get_val_split (self->data_page);
  job->seed = cnv_data_page_get_seed (self->data_page);
  job->scale = cnv_data_page_get_scale (self->data_page);

  task = g_task_new (self, NULL, normalisation_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) normalisation_job_free);
  cnv_application_run_in_thread (task, normalisation_thread);
}

/* Training */

static void start_save (CnvWindow     *self,
                        CnvClassifier *classifier,
                        const char    *path,
                        guint          snapshot_run);

static void answer_classify_snapshot (CnvWindow *self);

static void
training_finished (CnvWindow   *self,
                   TrainReport *report)
{
  guint total = report->classifier != NULL
                ? report->classifier->history->len : 0;
  gboolean classify_wanted;
  gboolean adopted;

  g_thread_join (g_steal_pointer (&self->train_thread));
  /* A copy asked for after the run's last batch is answered below. */
  classify_wanted = g_atomic_int_get (&self->run->classify_wanted);
  g_clear_pointer (&self->run, train_run_release);

  /* A save asked for after the run's last batch: it gets the final
   * weights, the ones the window adopts below, as a plain save. */
  if (self->snapshot_path != NULL)
    {
      g_autofree char *path = g_steal_pointer (&self->snapshot_path);

      self->n_saving--;
      if (report->classifier != NULL)
        start_save (self, cnv_classifier_copy (report->classifier), path, 0);
    }

  /* Even a failed or stopped run keeps the weights of its last complete
   * step, so the window adopts them when at least one step was taken. */
  adopted = report->classifier != NULL
            && report->classifier->optimizer != NULL
            && cnv_optimizer_get_step (report->classifier->optimizer) > 0;
  if (adopted)
    {
      /* A threshold moved while the run went on belongs to the model it
       * continues. */
      if (report->run->continued && self->classifier != NULL)
        report->classifier->threshold = self->classifier->threshold;
      g_clear_pointer (&self->classifier, cnv_classifier_free);
      self->classifier = g_steal_pointer (&report->classifier);
      set_training_folder (self, NULL);
      /* A fresh run replaces what the file holds, unless the file holds
       * a snapshot of this very run. */
      if (!report->run->continued
          && self->snapshot_run != report->run->id)
        self->file_is_ancestor = FALSE;
      set_modified (self, TRUE);
      update_trained_info (self);
      update_evaluation (self);
      cnv_classify_page_model_changed (self->classify_page);
    }
  /* Asked for after the last batch, the copy is of what the window holds
   * now: the run's weights when they were adopted. */
  if (classify_wanted)
    answer_classify_snapshot (self);

  if (report->error != NULL)
    {
      cnv_train_page_end_run (self->train_page, _("Failed"), FALSE);
      /* The engine says what went wrong; only the window knows what it
       * kept. */
      if (adopted)
        {
          g_autofree char *message = g_strdup (report->error->message);

          GQuark domain = report->error->domain;
          int code = report->error->code;

          g_clear_error (&report->error);
          g_set_error (&report->error, domain, code, "%s %s", message,
                       _("The weights of the last complete step are kept "
                         "and can be saved."));
        }
      show_error (self, _("Training Failed"), NULL, report->error);
    }
  else if (report->stopped)
    {
      const CnvTrainProgress *last = &report->progress;
      g_autofree char *message = NULL;
      guint partial = 0;

      /* The last report is of the last batch whose step was taken; when
       * its epoch has no history record, those batches are in the
       * weights but in no epoch. */
      if (last->kind == CNV_TRAIN_PROGRESS_BATCH && last->epoch > total)
        partial = last->batch;

      cnv_train_page_show_stopped (self->train_page, last, total, partial);

      if (partial > 0)
        /* Translators: the toast after Stop; "Stopped during epoch 31
         * after batch 4; 30 complete epochs in the history". */
        message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped during epoch %u "
                                                "after batch %u; %u complete "
                                                "epoch in the history",
                                                "Stopped during epoch %u "
                                                "after batch %u; %u complete "
                                                "epochs in the history",
                                                total),
                                   total + 1, partial, total);
      else if (total == 0)
        message = g_strdup (_("Stopped before the first batch ended; "
                              "nothing was trained"));
      else
        message = g_strdup_printf (_("Stopped at the end of epoch %u; "
                                     "every epoch so far is in the "
                                     "history"),
                                   total);
      show_toast (self, message);
    }
  else
    {
      const CnvTrainControl *control = &report->run->control;
      g_autofree char *message = NULL;
      g_autofree char *status = NULL;
      g_autofree char *restored = NULL;

      if (control->restored_best)
        restored = g_strdup_printf (_("The weights are those of epoch %u, "
                                      "the one with the lowest validation "
                                      "loss."), control->best_epoch);

      if (control->stopped_early)
        {
          g_autofree char *bar = NULL;
          g_autofree char *why = NULL;

          /* Translators: the bar after early stopping, "Stopped early
           * after epoch 14". */
          bar = g_strdup_printf (_("Stopped early after epoch %u"), total);
          why = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "The validation loss had not "
                                              "improved on epoch %u’s for %u "
                                              "epoch.",
                                              "The validation loss had not "
                                              "improved on epoch %u’s for %u "
                                              "epochs.",
                                              report->run->config.patience),
                                 control->best_epoch,
                                 report->run->config.patience);
          status = restored != NULL ? g_strdup_printf ("%s %s", why, restored)
                                    : g_steal_pointer (&why);
          message = g_strdup_printf (_("Stopped early after epoch %u: the "
                                       "validation loss stopped falling"),
                                     total);
          cnv_train_page_end_run (self->train_page, bar, TRUE);
        }
      else
        {
          status = g_steal_pointer (&restored);
          message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  "Training finished: %u epoch "
                                                  "trained in total",
                                                  "Training finished: %u epochs "
                                                  "trained in total",
                                                  total), total);
          cnv_train_page_end_run (self->train_page, _("Finished"), TRUE);
        }

      cnv_train_page_set_status (self->train_page, status);
      show_toast (self, message);
    }

  update_actions (self);
}

static void save_snapshot (CnvWindow   *self,
                           TrainReport *report);
static void save_best     (CnvWindow   *self,
                           TrainReport *report);

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
    case REPORT_CLASSIFY_SNAPSHOT:
      cnv_classify_page_set_snapshot (self->classify_page,
                                      g_steal_pointer (&report->classifier),
                                      TRUE);
      break;

    case REPORT_BATCHES:
      cnv_train_page_add_batches (self->train_page,
                                  (const double *) report->batches->data,
                                  report->batches->len / 3);
      cnv_train_page_show_progress (self->train_page, &report->progress);
      break;

    case REPORT_EPOCH:
      cnv_train_page_add_epoch (self->train_page, &report->record);
      break;

    case REPORT_SNAPSHOT:
      save_snapshot (self, report);
      break;

    case REPORT_BEST:
      save_best (self, report);
      break;

    case REPORT_DONE:
      training_finished (self, report);
      break;

    default:
      g_assert_not_reached ();
    }

  return G_SOURCE_REMOVE;
}

/* The run's model: a copy of the trained weights when they belong to
 * this stack; otherwise what the thread needs to draw new ones, in every
 * layer, never old ones mixed into a changed layer. */
static void
prepare_classifier (CnvWindow *self,
                    TrainRun  *run)
{
  const CnvDataset *dataset = self->dataset->dataset;

  if (run->continued)
    {
      run->classifier = cnv_classifier_copy (self->classifier);
      return;
    }

  run->fresh_spec = cnv_model_spec_copy (SPEC (self));
  current_preprocessing (self, &run->fresh_pp);
  run->fresh_names[0] = g_strdup (dataset->class_names[0]);
  run->fresh_names[1] = g_strdup (dataset->class_names[1]);
  run->fresh_seed = cnv_data_page_get_seed (self->data_page);
}

static void ask_unsaved (CnvWindow  *self,
                         AfterSave   after,
                         const char *open_path);

/* The options of the run just started become the next window's. */
static void
save_train_defaults (CnvWindow            *self,
                     const CnvTrainConfig *config)
{
  if (self->settings == NULL)
    return;

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "epochs", config->epochs);
  g_settings_set_int (self->settings, "batch-size", config->batch_size);
  g_settings_set_double (self->settings, "learning-rate",
                         config->optimizer.learning_rate);
  g_settings_set_string (self->settings, "optimizer",
                         config->optimizer.kind == CNV_OPTIMIZER_SGD
                         ? "sgd" : "adam");
  g_settings_set_boolean (self->settings, "save-best",
                          cnv_train_page_get_save_best (self->train_page));
  g_settings_apply (self->settings);
}

static void
load_train_defaults (CnvWindow *self)
{
  CnvTrainConfig config;
  g_autofree char *optimizer = NULL;
  CnvOptimizerKind kind;

  if (self->settings == NULL)
    return;

  optimizer = g_settings_get_string (self->settings, "optimizer");
  kind = g_str_equal (optimizer, "sgd") ? CNV_OPTIMIZER_SGD
                                        : CNV_OPTIMIZER_ADAM;

  cnv_train_config_init_default (&config);
  cnv_optimizer_config_init_default (&config.optimizer, kind);
  config.epochs = g_settings_get_int (self->settings, "epochs");
  config.batch_size = g_settings_get_int (self->settings, "batch-size");
  config.optimizer.learning_rate = g_settings_get_double (self->settings,
                                                          "learning-rate");
  cnv_train_page_set_config (self->train_page, &config);
  cnv_train_page_set_save_best (self->train_page,
                                g_settings_get_boolean (self->settings,
                                                        "save-best"));
}

/* A run that continues the model with the schedule of its last run goes
 * on along that schedule, over the epochs it was set to span, so the
 * learning rate carries on without a jump; another schedule spans the
 * epochs up to the end of this run. */
static void
keep_schedule_span (CnvSchedule         *schedule,
                    const CnvClassifier *c)
{
  const CnvSchedule *last = &c->schedule;

  if (c->history->len > 0
      && schedule->kind == last->kind
      && schedule->warmup_epochs == last->warmup_epochs
      && schedule->step_epochs == last->step_epochs
      && schedule->gamma == last->gamma
      && schedule->min_factor == last->min_factor)
    schedule->total_epochs = last->total_epochs;
}

static void
train_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  TrainRun *run;

  if (self->train_thread != NULL || self->dataset == NULL
      || self->n_opening > 0 || !cnv_stack_editor_get_is_valid (self->editor))
    return;

  /* A run on an edited stack replaces the trained model: never without
   * asking while no file holds it. */
  if (has_unsaved_model (self) && !continues_classifier (self)
      && !self->train_confirmed)
    {
      if (self->question == NULL)
        ask_unsaved (self, AFTER_SAVE_TRAIN, NULL);
      return;
    }

  run = g_atomic_rc_box_new0 (TrainRun);
  g_weak_ref_init (&run->window, self);
  run->id = ++self->run_counter;
  run->dataset = g_atomic_rc_box_acquire (self->dataset);
  run->pending = g_array_new (FALSE, FALSE, sizeof (double));
  run->continued = continues_classifier (self);
  prepare_classifier (self, run);
  cnv_train_page_get_config (self->train_page, &run->config);
  cnv_data_page_apply_train_settings (self->data_page, &run->config);
  if (run->continued)
    keep_schedule_span (&run->config.schedule, self->classifier);
  run->save_best = cnv_train_page_get_save_best (self->train_page);
  cnv_best_tracker_init (&run->best, 0, run->config.min_delta);
  save_train_defaults (self, &run->config);

  cnv_train_page_begin_run (self->train_page, run->classifier,
                            run->config.epochs);

  self->run = run;
  self->train_thread = g_thread_try_new ("cnv-train", train_thread_func,
                                         g_atomic_rc_box_acquire (run),
                                         &error);
  if (self->train_thread == NULL)
    {
      train_run_release (run);
      g_clear_pointer (&self->run, train_run_release);
      cnv_train_page_end_run (self->train_page, _("Failed"), FALSE);
      show_error (self, _("Cannot Start Training"), NULL, error);
      return;
    }

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
  cnv_train_page_show_stopping (self->train_page);
  update_actions (self);
}

/* Pause and resume: the thread waits at its next batch boundary. */
static void
pause_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  gboolean paused;

  if (self->run == NULL || g_atomic_int_get (&self->run->control.stop))
    return;

  paused = !g_atomic_int_get (&self->run->control.pause);
  g_atomic_int_set (&self->run->control.pause, paused);
  cnv_train_page_set_paused (self->train_page, paused);
}

/* File choosers: one response handler for all of them */

typedef void (*FileChosenFunc) (CnvWindow  *self,
                                const char *path);

typedef struct
{
  CnvWindow      *self;
  FileChosenFunc  func;
} Chooser;

/* Calls the chooser's function with the chosen file's path, or with NULL
 * when the user cancelled (or chose a file that has no local path). */
static void
file_chosen_cb (GtkNativeDialog *native,
                int              response,
                gpointer         user_data)
{
  Chooser *chooser = user_data;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = NULL;

      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      if (file != NULL)
        path = g_file_get_path (file);
    }

  chooser->func (chooser->self, path);
  g_object_unref (native);
}

/* A modal chooser, not shown yet, that calls func when it is done. */
static GtkFileChooser *
new_file_chooser (CnvWindow            *self,
                  const char           *title,
                  GtkFileChooserAction  action,
                  const char           *accept_label,
                  GtkFileFilter        *filter,
                  FileChosenFunc        func)
{
  GtkFileChooserNative *native;
  Chooser *chooser = g_new0 (Chooser, 1);

  native = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action,
                                        accept_label, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  if (filter != NULL)
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);

  chooser->self = self;
  chooser->func = func;
  g_signal_connect_data (native, "response", G_CALLBACK (file_chosen_cb),
                         chooser, (GClosureNotify) G_CALLBACK (g_free), 0);

  return GTK_FILE_CHOOSER (native);
}

static void
show_file_chooser (GtkFileChooser *chooser)
{
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static GtkFileFilter *
new_checkpoint_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Convolve checkpoints"));
  gtk_file_filter_add_pattern (filter, "*.convolve");

  return filter;
}

/* Saving */

static void start_open (CnvWindow  *self,
                        const char *path);

static gboolean
close_idle_cb (gpointer data)
{
  gtk_window_close (GTK_WINDOW (data));

  return G_SOURCE_REMOVE;
}

/* Closes the window once the dialog that decided it has finished
 * emitting its response: closing from inside the emission would
 * finalize the dialog's parent under it. */
static void
close_when_idle (CnvWindow *self)
{
  self->close_confirmed = TRUE;
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_idle_cb,
                   g_object_ref (self), g_object_unref);
}

/* Runs what a question deferred until the model was saved. */
static void
continue_after_save (CnvWindow *self)
{
  AfterSave after = self->after_save;
  g_autofree char *path = g_steal_pointer (&self->pending_open);

  self->after_save = AFTER_SAVE_NOTHING;

  if (after == AFTER_SAVE_CLOSE)
    close_when_idle (self);
  else if (after == AFTER_SAVE_OPEN && path != NULL)
    start_open (self, path);
  else if (after == AFTER_SAVE_TRAIN)
    {
      self->train_confirmed = TRUE;
      gtk_widget_activate_action (GTK_WIDGET (self), "win.train", NULL);
      self->train_confirmed = FALSE;
    }
}

static void
cancel_after_save (CnvWindow *self)
{
  self->after_save = AFTER_SAVE_NOTHING;
  g_clear_pointer (&self->pending_open, g_free);
}

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

static void show_save_error (CnvWindow    *self,
                             const char   *path,
                             const GError *error);

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
      cancel_after_save (self);
      show_save_error (self, path, error);
      update_actions (self);
      return;
    }
  else
    {
      const CnvClassifier *saved = g_task_get_task_data (G_TASK (result));
      g_autofree char *message = NULL;

      g_free (self->checkpoint_path);
      self->checkpoint_path = g_strdup (path);
      remember_file (self, saved, FALSE);
      keep_stack (self, cnv_model_get_spec (saved->model));
      if (self->settings != NULL)
        cnv_settings_add_recent (self->settings, "recent-checkpoints", path);

      if (g_object_get_data (G_OBJECT (result), "snapshot-run") != NULL)
        {
          /* The run goes on past what the file holds. */
          self->file_is_ancestor = TRUE;
          self->snapshot_run = GPOINTER_TO_UINT (
            g_object_get_data (G_OBJECT (result), "snapshot-run"));
          message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  "Saved “%s” after %u "
                                                  "epoch; training goes on",
                                                  "Saved “%s” after %u "
                                                  "epochs; training goes on",
                                                  saved->history->len),
                                     name, saved->history->len);
        }
      else
        {
          set_modified (self, FALSE);
          message = g_strdup_printf (_("Saved “%s”"), name);
        }
      update_title (self);
      show_toast (self, message);
    }

  update_actions (self);
  continue_after_save (self);
}

/* Writes classifier (taken) to path in a thread; snapshot_run, when not
 * 0, is the id of the run it was copied from, which may go on. */
static void
start_save (CnvWindow     *self,
            CnvClassifier *classifier,
            const char    *path,
            guint          snapshot_run)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, NULL, save_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_save_to_path);
  g_task_set_task_data (task, classifier,
                        (GDestroyNotify) cnv_classifier_free);
  g_object_set_data_full (G_OBJECT (task), "path", g_strdup (path), g_free);
  g_object_set_data (G_OBJECT (task), "snapshot-run",
                     GUINT_TO_POINTER (snapshot_run));
  cnv_application_run_in_thread (task, save_thread);

  self->n_saving++;
  update_actions (self);
}

void
cnv_window_save_to_path (CnvWindow  *self,
                         const char *path)
{
  g_return_if_fail (CNV_IS_WINDOW (self));

  if (path == NULL || (self->classifier == NULL && self->run == NULL))
    {
      cancel_after_save (self);
      return;
    }

  /* While training, the weights to save are the run's: the thread copies
   * them at its next batch boundary and training goes on. */
  if (self->run != NULL)
    {
      g_free (self->snapshot_path);
      self->snapshot_path = g_strdup (path);
      g_atomic_int_set (&self->run->snapshot_wanted, 1);
      self->n_saving++;
      update_actions (self);
      return;
    }

  /* The thread writes a copy, so the window may keep changing. */
  start_save (self, cnv_classifier_copy (self->classifier), path, 0);
}

static void
save_snapshot (CnvWindow   *self,
               TrainReport *report)
{
  g_autofree char *path = g_steal_pointer (&self->snapshot_path);

  /* The request counted as a save in flight until its copy came. */
  self->n_saving--;
  if (path == NULL)
    return;

  start_save (self, g_steal_pointer (&report->classifier), path,
              report->run->id);
}

/* Where the best epoch's weights go when the user wants them saved as
 * they come: next to the checkpoint ("model-best.convolve"), or, before
 * the model has a file, in the user's data folder under the name of the
 * image folder, so nothing the user chose is ever overwritten. */
static char *
best_weights_path (CnvWindow *self)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  char *dot;

  if (self->checkpoint_path != NULL)
    {
      dir = g_path_get_dirname (self->checkpoint_path);
      base = g_path_get_basename (self->checkpoint_path);
      dot = strrchr (base, '.');
      if (dot != NULL && dot != base)
        *dot = '\0';
    }
  else
    {
      dir = g_build_filename (g_get_user_data_dir (), "convolve", "best", NULL);
      base = self->data_folder != NULL ? g_path_get_basename (self->data_folder)
                                       : g_strdup ("model");
    }

  return g_strdup_printf ("%s%c%s-best.convolve", dir, G_DIR_SEPARATOR, base);
}

static void
update_best_path (CnvWindow *self)
{
  g_autofree char *path = best_weights_path (self);

  cnv_train_page_set_save_best_path (self->train_page, path);
}

static void start_best_save (CnvWindow *self);

static void
save_best_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  const char *path = g_object_get_data (G_OBJECT (result), "path");
  const CnvClassifier *saved = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->best_saving = FALSE;
  if (self->disposed)
    return;

  /* A failure costs the user nothing on screen: the run goes on and the
   * weights stay in the window; the toast says which file it was. */
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      const CnvEpochRecord *last = &g_array_index (saved->history,
                                                   CnvEpochRecord,
                                                   saved->history->len - 1);

      cnv_train_page_set_best_saved (self->train_page, last->epoch,
                                     last->validation.loss);
    }
  else
    {
      g_autofree char *name = g_filename_display_name (path);
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("Could not save the best weights to "
                                   "“%s”: %s"), name, error->message);
      show_toast (self, message);
    }

  /* A better epoch came while this one was written. */
  if (self->best_pending != NULL)
    start_best_save (self);
}

/* Writes best_pending (taken) in a thread.  One write at a time: the
 * file must not end up with an older epoch renamed over a newer one. */
static void
start_best_save (CnvWindow *self)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = best_weights_path (self);
  g_autofree char *dir = g_path_get_dirname (path);

  /* Only the weights' own folder in the user's data folder is made. */
  if (self->checkpoint_path == NULL)
    g_mkdir_with_parents (dir, 0700);

  task = g_task_new (self, NULL, save_best_done_cb, NULL);
  g_task_set_source_tag (task, start_best_save);
  g_task_set_task_data (task, g_steal_pointer (&self->best_pending),
                        (GDestroyNotify) cnv_classifier_free);
  g_object_set_data_full (G_OBJECT (task), "path", g_steal_pointer (&path),
                          g_free);
  cnv_application_run_in_thread (task, save_thread);
  self->best_saving = TRUE;
}

/* A run reached a new lowest validation loss: its weights wait for the
 * write going on, the latest one replacing any that waited before. */
static void
save_best (CnvWindow   *self,
           TrainReport *report)
{
  g_clear_pointer (&self->best_pending, cnv_classifier_free);
  self->best_pending = g_steal_pointer (&report->classifier);

  if (!self->best_saving)
    start_best_save (self);
}

static void save_as_action_cb (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter);

static void
save_error_response_cb (CnvWindow  *self,
                        const char *response)
{
  if (g_str_equal (response, "save-as"))
    save_as_action_cb (GTK_WIDGET (self), "win.save-as", NULL);
}

/* A failed save names the file and the reason, and offers another place:
 * the model on screen is still there, and still unsaved. */
static void
show_save_error (CnvWindow    *self,
                 const char   *path,
                 const GError *error)
{
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (strstr (error->message, name) == NULL)
    body = g_strdup_printf (_("“%s”: %s"), name, error->message);
  else
    body = g_strdup (error->message);
  g_warning ("Could Not Save Checkpoint %s", body);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
    GTK_WINDOW (self), _("Could Not Save Checkpoint"), body));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_add_response (dialog, "save-as", _("Save _Elsewhere…"));
  adw_message_dialog_set_response_appearance (dialog, "save-as",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save-as");
  adw_message_dialog_set_close_response (dialog, "close");
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (save_error_response_cb), self,
                           G_CONNECT_SWAPPED);
  if (self->save_error != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->save_error),
                                    (gpointer *) &self->save_error);
      gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->save_error)));
    }
  self->save_error = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->save_error);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The name the user meant: typing "ana.convolve" over the "model" that
 * the chooser selects in "model.convolve" leaves GTK's extension after
 * it, and any other name ("ana", "run-0.5") is a checkpoint too, which
 * the chooser's filter and the file manager know by its extension.
 * NULL: path as chosen. */
static char *
checkpoint_path_meant (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".convolve.convolve"))
    return g_strndup (path, strlen (path) - strlen (".convolve"));
  if (!g_str_has_suffix (lower, ".convolve"))
    return g_strconcat (path, ".convolve", NULL);

  return NULL;
}

static void
replace_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     CnvWindow        *self)
{
  const char *path = g_object_get_data (G_OBJECT (dialog), "path");

  cnv_window_save_to_path (self, g_str_equal (response, "replace") ? path
                                                                   : NULL);
}

/* Asks whether to replace the file at path, which the chooser did not
 * ask about; the answer goes to cnv_window_save_to_path (). */
static void
ask_to_replace (CnvWindow  *self,
                const char *path)
{
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *dir_name = g_filename_display_basename (dir);
  g_autofree char *heading = g_strdup_printf (_("Replace “%s”?"), name);
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  body = g_strdup_printf (_("A file with this name is already in “%s”. "
                            "Replacing it overwrites what it holds."),
                          dir_name);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       heading, body));
  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  adw_message_dialog_add_response (dialog, "replace", _("_Replace"));
  adw_message_dialog_set_response_appearance (dialog, "replace",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "path", g_strdup (path), g_free);
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (replace_response_cb), self, 0);

  /* The question is modal, so a second one comes only from code; it
   * takes over the save the first one held. */
  if (self->replace_question != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->replace_question),
                                    (gpointer *) &self->replace_question);
      gtk_window_destroy (GTK_WINDOW (
                            g_steal_pointer (&self->replace_question)));
    }
  self->replace_question = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog),
                             (gpointer *) &self->replace_question);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* What the Save As chooser does.  The chooser asked before replacing the
 * name it returned, not the one meant: that one is asked about here. */
void
cnv_window_save_chosen (CnvWindow  *self,
                        const char *path)
{
  g_autofree char *meant = NULL;

  g_return_if_fail (CNV_IS_WINDOW (self));

  if (path != NULL)
    meant = checkpoint_path_meant (path);

  if (meant != NULL && g_file_test (meant, G_FILE_TEST_EXISTS))
    ask_to_replace (self, meant);
  else
    cnv_window_save_to_path (self, meant != NULL ? meant : path);
}

static void
save_as_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = new_checkpoint_filter ();
  GtkFileChooser *chooser;

  chooser = new_file_chooser (self, _("Save Checkpoint"),
                              GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                              filter, cnv_window_save_chosen);

  if (self->checkpoint_path != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (self->checkpoint_path);

      gtk_file_chooser_set_file (chooser, file, NULL);
    }
  else
    gtk_file_chooser_set_current_name (chooser, "model.convolve");

  show_file_chooser (chooser);
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

/* Questions before something is lost */

/* An answered question is gone, even before the dialog is finalized. */
static void
forget_question_cb (CnvWindow *self)
{
  if (self->question == NULL)
    return;

  g_object_remove_weak_pointer (G_OBJECT (self->question),
                                (gpointer *) &self->question);
  self->question = NULL;
}

/* Asks with responses cancel, discard and (when save_label is not NULL)
 * save; response_cb gets them.  One question at a time. */
static AdwMessageDialog *
ask (CnvWindow  *self,
     const char *heading,
     const char *body,
     const char *discard_label,
     const char *save_label,
     GCallback   response_cb)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       heading, body));
  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  adw_message_dialog_add_response (dialog, "discard", discard_label);
  adw_message_dialog_set_response_appearance (dialog, "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  if (save_label != NULL)
    {
      adw_message_dialog_add_response (dialog, "save", save_label);
      adw_message_dialog_set_response_appearance (dialog, "save",
                                                  ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "save");
    }
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (forget_question_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "response", response_cb, self,
                           G_CONNECT_SWAPPED);

  self->question = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->question);
  gtk_window_present (GTK_WINDOW (dialog));

  return dialog;
}

/* Saves the model on screen, then does after. */
static void
save_then (CnvWindow *self,
           AfterSave  after)
{
  self->after_save = after;
  save_action_cb (GTK_WIDGET (self), "win.save", NULL);
}

static void
unsaved_response_cb (CnvWindow  *self,
                     const char *response)
{
  if (g_str_equal (response, "save"))
    save_then (self, self->after_save);
  else if (g_str_equal (response, "discard"))
    continue_after_save (self);
  else
    cancel_after_save (self);
}

static void
ask_unsaved (CnvWindow  *self,
             AfterSave   after,
             const char *open_path)
{
  g_autofree char *name = display_name (self->checkpoint_path);
  g_autofree char *heading = NULL;
  g_autofree char *lost = NULL;
  g_autofree char *body = NULL;

  self->after_save = after;
  g_free (self->pending_open);
  self->pending_open = g_strdup (open_path);

  lost = describe_unsaved (self);

  if (after == AFTER_SAVE_OPEN)
    {
      body = g_strdup_printf (_("Opening a checkpoint replaces the model on "
                                "screen. %s"), lost);
      ask (self, _("The Model on Screen Has Unsaved Changes"), body,
           _("_Discard and Open"), _("_Save First"),
           G_CALLBACK (unsaved_response_cb));
    }
  else if (after == AFTER_SAVE_TRAIN)
    {
      body = g_strdup_printf (_("The layer stack was edited, so training "
                                "starts over from new weights and replaces "
                                "the trained model. %s"), lost);
      ask (self, _("The Trained Model Has Unsaved Changes"), body,
           _("_Discard and Train"), _("_Save First"),
           G_CALLBACK (unsaved_response_cb));
    }
  else
    {
      heading = g_strdup_printf (_("Save Changes to “%s”?"), name);
      ask (self, heading, lost, _("_Discard"), _("_Save"),
           G_CALLBACK (unsaved_response_cb));
    }
}

static void
close_anyway_response_cb (CnvWindow  *self,
                            const char *response)
{
  if (!g_str_equal (response, "discard"))
    return;

  /* dispose () stops the thread at its next batch boundary. */
  close_when_idle (self);
}

/* The size of the last window closed is the next one's.  GTK keeps the
 * default size up to date with the user's resizing, but not while the
 * window is maximized, so that the size comes back on unmaximizing. */
static void
save_window_state (CnvWindow *self)
{
  int width;
  int height;

  if (self->settings == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static void
restore_window_state (CnvWindow *self)
{
  if (self->settings == NULL)
    return;

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings,
                                                   "window-width"),
                               g_settings_get_int (self->settings,
                                                   "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
cnv_window_close_request (GtkWindow *window)
{
  CnvWindow *self = CNV_WINDOW (window);

  save_window_state (self);

  if (self->close_confirmed)
    return GTK_WINDOW_CLASS (cnv_window_parent_class)->close_request (window);

  if (self->question != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->question));
      return TRUE;
    }

  if (self->train_thread != NULL)
    {
      ask (self, _("Stop Training and Close?"),
           _("The run in progress and the weights it has learned so far "
             "are lost."),
           _("_Stop and Close"), NULL,
           G_CALLBACK (close_anyway_response_cb));
      return TRUE;
    }

  if (has_unsaved_model (self))
    {
      ask_unsaved (self, AFTER_SAVE_CLOSE, NULL);
      return TRUE;
    }

  if (has_unsaved_stack (self))
    {
      ask (self, _("Close Without Keeping the Edited Layer Stack?"),
           _("The layer stack on screen was edited and no file holds it: a "
             "checkpoint saves the stack of the trained model only. To keep "
             "it, export it from the ⋮ menu as a model description."),
           _("_Close Anyway"), NULL,
           G_CALLBACK (close_anyway_response_cb));
      return TRUE;
    }

  return GTK_WINDOW_CLASS (cnv_window_parent_class)->close_request (window);
}

/* Opening */

/* What the open thread read: the file as a record, which any valid
 * checkpoint gives, and the classifier, which only one Convolve can run
 * gives. */
typedef struct
{
  CnvModelRecord *record;
  CnvClassifier  *classifier;
  char           *training_folder; /* see find_training_folder () */
} Opened;

static void
opened_free (Opened *opened)
{
  g_clear_pointer (&opened->record, cnv_model_record_free);
  g_clear_pointer (&opened->classifier, cnv_classifier_free);
  g_free (opened->training_folder);
  g_free (opened);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Opened, opened_free)

/* Whether folder has a subfolder for each of the two class names. */
static gboolean
folder_has_classes (const char        *folder,
                    char * const      *names)
{
  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *path = g_build_filename (folder, names[c], NULL);

      if (!g_file_test (path, G_FILE_TEST_IS_DIR))
        return FALSE;
    }

  return TRUE;
}

/* The folder c was trained on, as the checkpoint at path records it, if
 * it still holds c's class folders; a relative one (a command-line run's
 * "data/sample") is taken from the checkpoint's folder.  NULL otherwise.
 * It stats paths that the file names, so it runs in the open thread. */
static char *
find_training_folder (const CnvClassifier *c,
                      const char          *path)
{
  g_autofree char *checkpoint_dir = NULL;
  g_autofree char *folder = NULL;

  if (c->dataset_folder == NULL)
    return NULL;

  if (g_path_is_absolute (c->dataset_folder))
    folder = g_strdup (c->dataset_folder);
  else
    {
      checkpoint_dir = g_path_get_dirname (path);
      folder = g_build_filename (checkpoint_dir, c->dataset_folder, NULL);
    }

  return folder_has_classes (folder, c->class_names)
         ? g_steal_pointer (&folder) : NULL;
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(Opened) opened = g_new0 (Opened, 1);
  g_autoptr(GError) error = NULL;
  GError *strict_error = NULL;

  opened->classifier = cnv_checkpoint_load (path, &strict_error);
  if (opened->classifier == NULL)
    {
      /* A file that is no checkpoint at all fails both ways: say what
       * the strict reader said. */
      opened->record = cnv_model_record_load (path, &error);
      if (opened->record == NULL || !opened->record->has_weights)
        {
          g_task_return_error (task, strict_error);
          return;
        }
      g_clear_error (&strict_error);
    }
  else
    {
      g_autofree char *label = g_filename_display_basename (path);

      opened->record = cnv_model_record_new_from_classifier (opened->classifier,
                                                             label);
      opened->training_folder = find_training_folder (opened->classifier,
                                                      path);
    }

  g_task_return_pointer (task, g_steal_pointer (&opened),
                         (GDestroyNotify) opened_free);
}

static void
show_opened_toast (CnvWindow  *self,
                   const char *name)
{
  guint n = self->classifier->notices != NULL
            ? self->classifier->notices->len : 0;
  g_autofree char *message = NULL;

  if (n == 0)
    {
      message = g_strdup_printf (_("Opened “%s”"), name);
      show_toast (self, message);
      return;
    }

  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Opened “%s” with %u notice",
                                          "Opened “%s” with %u notices", n),
                             name, n);
  show_toast_with_button (self, message, _("Details"), "win.show-notices");
}

/* Adopts a classifier read from path: the stack, the preprocessing and
 * the trained model on screen become the file's. */
static void
finish_open (CnvWindow     *self,
             CnvClassifier *classifier,
             const char    *path,
             const char    *training_folder)
{
  g_autofree char *name = g_filename_display_basename (path);
  CnvPreprocessing before;

  current_preprocessing (self, &before);

  g_clear_pointer (&self->classifier, cnv_classifier_free);
  self->classifier = classifier;
  /* The checkpoint's architecture replaces the stack in one step that
   * Undo takes back. */
  cnv_stack_editor_replace (self->editor,
                            cnv_model_get_spec (self->classifier->model));
  keep_stack (self, SPEC (self));
  g_free (self->checkpoint_path);
  self->checkpoint_path = g_strdup (path);
  remember_file (self, self->classifier, TRUE);
  if (self->settings != NULL)
    cnv_settings_add_recent (self->settings, "recent-checkpoints", path);

  self->modified = TRUE;
  set_modified (self, FALSE);
  cnv_train_page_show_settings (self->train_page, self->classifier);
  cnv_train_page_show_model (self->train_page, self->classifier);
  cnv_data_page_set_preprocessing (self->data_page,
                                   &self->classifier->preprocessing);
  cnv_data_page_set_train_settings (self->data_page,
                                    self->classifier->val_split,
                                    self->classifier->seed,
                                    &self->classifier->augmentation,
                                    self->classifier->class_weights);
  update_trained_info (self);
  cnv_classify_page_model_changed (self->classify_page);

  /* The folder must be seen the way this model sees images, with its
   * classes in its order. */
  if (self->data_folder != NULL
      && (!cnv_preprocessing_equal (&before, &self->classifier->preprocessing)
          || self->dataset == NULL
          || g_strcmp0 (self->dataset->dataset->class_names[1],
                        self->classifier->class_names[1]) != 0
          || g_strcmp0 (self->dataset->dataset->class_names[0],
                        self->classifier->class_names[0]) != 0))
    cnv_window_load_folder (self, self->data_folder);
  /* Only offered: a checkpoint never makes the window read a folder. */
  set_training_folder (self, training_folder);
  update_evaluation (self);

  show_opened_toast (self, name);
  update_actions (self);
}

/* The stack on screen as a record: the trained model when the stack is
 * its, the bare stack with the preprocessing it would train with
 * otherwise. */
static CnvModelRecord *
screen_record (CnvWindow *self)
{
  const char *label = _("On screen");
  CnvPreprocessing pp;

  if (continues_classifier (self))
    return cnv_model_record_new_from_classifier (self->classifier, label);

  current_preprocessing (self, &pp);

  return cnv_model_record_new_from_spec (SPEC (self), &pp,
                                         self->dataset != NULL
                                         ? (const char * const *)
                                           self->dataset->dataset->class_names
                                         : NULL, label);
}

/* Whether opening would replace something the user sees differently,
 * or the file cannot be opened as it is: then the diff comes first. */
static gboolean
needs_review (const CnvDiff        *diff,
              const CnvModelRecord *file)
{
  return !file->runnable || diff->n_layers_differ > 0 || diff->input->len > 0
         || diff->preprocessing->len > 0 || diff->classes->len > 0;
}

/* A classifier of the stack on screen with every tensor of file that
 * fits, and a report of what was loaded and what starts fresh. */
static void
load_matching (CnvWindow            *self,
               const CnvModelRecord *file,
               const char * const   *mapping)
{
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GPtrArray) skipped = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) details = g_string_new (NULL);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  g_autofree char *classes_warning = NULL;
  const char * const *names = NULL;
  guint64 seed = file->seed != 0 ? file->seed : 1;
  CnvPreprocessing pp;
  GtkWidget *label;
  GtkWidget *scroller;

  /* The loaded output layer answers in the file's classes: keep them,
   * and read the folder with them, whenever the folder has both; say so
   * when it does not. */
  current_preprocessing (self, &pp);
  if (file->has_classes
      && (self->data_folder == NULL
          || folder_has_classes (self->data_folder, file->class_names)))
    names = (const char * const *) file->class_names;
  else if (self->dataset != NULL)
    {
      names = (const char * const *) self->dataset->dataset->class_names;
      if (file->has_classes)
        classes_warning = g_strdup_printf (
          _("The file was trained with “%s” and “%s” (positive); the folder "
            "on screen has “%s” and “%s” (positive), so the loaded output "
            "layer may read the classes the other way round. Train before "
            "trusting its answers."), file->class_names[0],
          file->class_names[1], names[0], names[1]);
    }

  classifier = cnv_classifier_new (SPEC (self), &pp, names, seed, &error);
  if (classifier == NULL
      || !cnv_classifier_load_matching (classifier, file, mapping, seed,
                                        &loaded, &skipped, &error))
    {
      show_error (self, _("Could Not Load the Matching Weights"), NULL, error);
      return;
    }

  g_clear_pointer (&self->classifier, cnv_classifier_free);
  self->classifier = g_steal_pointer (&classifier);
  set_training_folder (self, NULL);
  /* A new model, which no file holds yet. */
  g_clear_pointer (&self->checkpoint_path, g_free);
  self->file_is_ancestor = FALSE;
  self->modified = FALSE;
  set_modified (self, TRUE);
  keep_stack (self, SPEC (self));
  cnv_train_page_show_model (self->train_page, self->classifier);
  update_evaluation (self);
  update_trained_info (self);
  cnv_classify_page_model_changed (self->classify_page);
  update_stale (self);
  update_actions (self);
  /* The folder with the classes now on screen, in their order. */
  if (self->data_folder != NULL && self->dataset != NULL
      && g_strcmp0 (self->dataset->dataset->class_names[1],
                    self->classifier->class_names[1]) != 0)
    cnv_window_load_folder (self, self->data_folder);

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Loaded %u of %u Tensor",
                                          "Loaded %u of %u Tensors",
                                          loaded->len + skipped->len),
                             loaded->len, loaded->len + skipped->len);
  if (skipped->len == 0)
    body = g_strdup_printf (_("The stack on screen now holds every weight of "
                              "“%s”. Nothing was written to any file."),
                            file->label);
  else
    body = g_strdup_printf (_("The stack on screen now holds the weights of "
                              "“%s” wherever they fit; every other tensor "
                              "starts from new weights. Nothing was written "
                              "to any file."), file->label);
  if (classes_warning != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s %s", body,
                                               classes_warning);

      g_free (body);
      body = g_steal_pointer (&both);
    }
  /* What starts fresh first: that is what the user has to know. */
  if (skipped->len > 0)
    {
      g_string_append_printf (details, "%s\n", _("Started from new weights:"));
      for (guint i = 0; i < skipped->len; i++)
        g_string_append_printf (details, "• %s\n",
                                (const char *) g_ptr_array_index (skipped, i));
      g_string_append_c (details, '\n');
    }
  g_string_append_printf (details, "%s\n", _("Loaded from the file:"));
  for (guint i = 0; i < loaded->len; i++)
    g_string_append_printf (details, "• %s\n",
                            (const char *) g_ptr_array_index (loaded, i));

  g_debug ("%s: %s", heading, details->str);
  label = gtk_label_new (details->str);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), label);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller),
                                              320);
  gtk_scrolled_window_set_propagate_natural_height (
    GTK_SCROLLED_WINDOW (scroller), TRUE);

  if (self->load_report != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->load_report),
                                    (gpointer *) &self->load_report);
      gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->load_report)));
    }
  self->load_report = ADW_MESSAGE_DIALOG (
    adw_message_dialog_new (GTK_WINDOW (self), heading, body));
  adw_message_dialog_set_extra_child (self->load_report, scroller);
  adw_message_dialog_add_response (self->load_report, "close", _("_Close"));
  g_object_add_weak_pointer (G_OBJECT (self->load_report),
                             (gpointer *) &self->load_report);
  gtk_window_present (GTK_WINDOW (self->load_report));
}

static void
open_dialog_response_cb (CnvOpenDialog *dialog,
                         const char    *response,
                         CnvWindow     *self)
{
  Opened *opened = g_object_get_data (G_OBJECT (dialog), "opened");
  const char *path = g_object_get_data (G_OBJECT (dialog), "path");
  const CnvModelRecord *file =
    cnv_diff_view_get_diff (cnv_open_dialog_get_diff_view (dialog))->b;

  if (self->disposed)
    return;

  if (g_str_equal (response, "open") && opened->classifier != NULL)
    finish_open (self, g_steal_pointer (&opened->classifier), path,
                 opened->training_folder);
  else if (g_str_equal (response, "load-matching"))
    {
      g_auto(GStrv) mapping = cnv_diff_view_get_accepted_mapping (
        cnv_open_dialog_get_diff_view (dialog));

      load_matching (self, file, (const char * const *) mapping);
    }
  else
    show_toast (self, _("Nothing was opened; the stack on screen is as it "
                        "was"));
}

static void
open_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  const char *path = g_task_get_task_data (G_TASK (result));
  g_autoptr(Opened) opened = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelRecord) screen = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  const CnvModelRecord *file;
  CnvOpenDialog *dialog;

  opened = g_task_propagate_pointer (G_TASK (result), &error);
  self->n_opening--;
  if (self->disposed)
    return;

  if (opened == NULL)
    {
      show_error (self, _("Could Not Open Checkpoint"), path, error);
      update_actions (self);
      return;
    }

  screen = screen_record (self);
  diff = cnv_diff_new (screen, opened->record);
  if (!needs_review (diff, opened->record))
    {
      finish_open (self, g_steal_pointer (&opened->classifier), path,
                 opened->training_folder);
      return;
    }
  g_clear_pointer (&diff, cnv_diff_free);

  /* Nothing is replaced before the user has seen what would change.  The
   * dialog owns both records; the file's stays readable from its diff
   * until the dialog is gone, after its response. */
  file = opened->record;
  dialog = cnv_open_dialog_new (GTK_WINDOW (self), g_steal_pointer (&screen),
                                g_steal_pointer (&opened->record),
                                self->dataset != NULL
                                && self->dataset->dataset->n_images > 0
                                ? self->dataset->dataset->paths[0] : NULL);
  if (self->data_folder != NULL && file->has_classes)
    {
      g_auto(GStrv) folders = cnv_dataset_list_class_folders (self->data_folder);
      g_autofree char *explained = cnv_diff_explain_class_mapping (
        file, (const char * const *) folders);

      if (explained != NULL)
        cnv_open_dialog_set_classes_explanation (dialog, explained);
    }
  g_object_set_data_full (G_OBJECT (dialog), "opened",
                          g_steal_pointer (&opened),
                          (GDestroyNotify) opened_free);
  g_object_set_data_full (G_OBJECT (dialog), "path", g_strdup (path),
                          g_free);
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (open_dialog_response_cb), self, 0);
  self->open_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->open_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  update_actions (self);
}

static void
start_open (CnvWindow  *self,
            const char *path)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, NULL, open_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_open_checkpoint);
  g_task_set_task_data (task, g_strdup (path), g_free);
  cnv_application_run_in_thread (task, open_thread);

  self->n_opening++;
  update_actions (self);
}

void
cnv_window_open_checkpoint (CnvWindow  *self,
                            const char *path)
{
  g_return_if_fail (CNV_IS_WINDOW (self));

  if (path == NULL)
    return;

  /* The run owns a copy of the model on screen and would replace what
   * was opened when it ends. */
  if (self->train_thread != NULL)
    {
      show_toast (self, _("Stop training before opening a checkpoint"));
      return;
    }

  /* One question at a time: answer the diff on screen first. */
  if (self->open_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->open_dialog));
      return;
    }

  if (has_unsaved_model (self))
    {
      ask_unsaved (self, AFTER_SAVE_OPEN, path);
      return;
    }

  start_open (self, path);
}

static void
open_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = new_checkpoint_filter ();

  show_file_chooser (new_file_chooser (self, _("Open Checkpoint"),
                                       GTK_FILE_CHOOSER_ACTION_OPEN,
                                       _("_Open"), filter,
                                       cnv_window_open_checkpoint));
}

/* Comparing two checkpoints */

static void
compare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  char **paths = task_data;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (
    (GDestroyNotify) cnv_model_record_free);

  for (guint i = 0; i < 2; i++)
    {
      GError *error = NULL;
      CnvModelRecord *record = cnv_model_record_load (paths[i], &error);

      if (record == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      g_ptr_array_add (records, record);
    }

  g_task_return_pointer (task, g_steal_pointer (&records),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
compare_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CnvWindow *self = CNV_WINDOW (source);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  CnvCompareWindow *window;

  records = g_task_propagate_pointer (G_TASK (result), &error);
  self->n_opening--;
  if (self->disposed)
    return;
  update_actions (self);

  if (records == NULL)
    {
      show_error (self, _("Could Not Compare the Checkpoints"), NULL, error);
      return;
    }

  g_ptr_array_set_free_func (records, NULL);
  window = cnv_compare_window_new (gtk_window_get_application (
                                     GTK_WINDOW (self)),
                                   g_ptr_array_index (records, 0),
                                   g_ptr_array_index (records, 1));
  if (self->compare_window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->compare_window),
                                  (gpointer *) &self->compare_window);
  self->compare_window = window;
  g_object_add_weak_pointer (G_OBJECT (window),
                             (gpointer *) &self->compare_window);
  gtk_window_present (GTK_WINDOW (window));
}

void
cnv_window_compare_checkpoints (CnvWindow  *self,
                                const char *a,
                                const char *b)
{
  g_autoptr(GTask) task = NULL;
  char **paths;

  g_return_if_fail (CNV_IS_WINDOW (self));
  g_return_if_fail (a != NULL && b != NULL);

  paths = g_new0 (char *, 3);
  paths[0] = g_strdup (a);
  paths[1] = g_strdup (b);
  task = g_task_new (self, NULL, compare_done_cb, NULL);
  g_task_set_source_tag (task, cnv_window_compare_checkpoints);
  g_task_set_task_data (task, paths, (GDestroyNotify) g_strfreev);
  cnv_application_run_in_thread (task, compare_thread);

  self->n_opening++;
  update_actions (self);
}

static void
compare_chosen_cb (GtkNativeDialog *native,
                   int              response,
                   CnvWindow       *self)
{
  g_autoptr(GListModel) files = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));

  if (files != NULL && g_list_model_get_n_items (files) == 2)
    {
      g_autoptr(GFile) a = g_list_model_get_item (files, 0);
      g_autoptr(GFile) b = g_list_model_get_item (files, 1);
      g_autofree char *a_path = g_file_get_path (a);
      g_autofree char *b_path = g_file_get_path (b);
      GStatBuf a_stat, b_stat;

      /* The chooser lists them by name: the older file is the first side,
       * so that a run continued from another reads as its sequel. */
      if (a_path != NULL && b_path != NULL && g_stat (a_path, &a_stat) == 0
          && g_stat (b_path, &b_stat) == 0 && a_stat.st_mtime > b_stat.st_mtime)
        {
          char *first = g_steal_pointer (&a_path);

          a_path = g_steal_pointer (&b_path);
          b_path = first;
        }

      if (a_path != NULL && b_path != NULL)
        cnv_window_compare_checkpoints (self, a_path, b_path);
      else
        show_toast (self, _("Convolve compares local files only; copy the "
                            "checkpoints to this computer first"));
    }
  else if (files != NULL)
    show_toast (self, _("Choose exactly two checkpoints to compare (hold "
                        "Ctrl to pick the second)"));

  g_object_unref (native);
}

static void
compare_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = new_checkpoint_filter ();
  GtkFileChooserNative *native;

  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_set_name (filter, _("Checkpoints and model descriptions"));
  native = gtk_file_chooser_native_new (_("Compare Two Checkpoints"),
                                        GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Compare"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_signal_connect (native, "response", G_CALLBACK (compare_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* Lists everything the checkpoint reader converted or could not
 * restore. */
static void
show_notices_action_cb (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *name = display_name (self->checkpoint_path);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (self->classifier == NULL || self->classifier->notices == NULL)
    return;

  for (guint i = 0; i < self->classifier->notices->len; i++)
    {
      if (i > 0)
        g_string_append (body, "\n\n");
      g_string_append (body, g_ptr_array_index (self->classifier->notices, i));
    }

  heading = g_strdup_printf (_("Opening “%s”"), name);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body->str);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close",
                                   _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Choosing a folder */

static void
folder_chosen (CnvWindow  *self,
               const char *path)
{
  if (path == NULL)
    return;

  cnv_window_load_folder (self, path);
  adw_view_stack_set_visible_child_name (self->view_stack, "data");
}

static void
choose_folder_action_cb (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);

  show_file_chooser (new_file_chooser (self, _("Choose Image Folder"),
                                       GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                       _("_Choose"), NULL, folder_chosen));
}

/* Recent files and the sample */

static void
open_recent_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  cnv_window_open_checkpoint (CNV_WINDOW (widget),
                              g_variant_get_string (parameter, NULL));
}

static void
open_recent_folder_action_cb (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  folder_chosen (CNV_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* The Evaluate page's offer of the folder a checkpoint was trained on:
 * loaded where the user is, to be evaluated there. */
static void
load_training_folder_action_cb (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);

  if (self->training_folder != NULL)
    cnv_window_load_folder (self, self->training_folder);
}

static void
open_sample_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);
  g_autofree char *sample = cnv_application_find_sample_folder ();

  if (sample == NULL)
    {
      show_toast (self, _("The sample images are not installed"));
      return;
    }

  folder_chosen (self, sample);
}

/* One item per path, named by the file's name, in a menu of at most
 * CNV_RECENT_MAX; paths that are gone are left out. */
static void
fill_recent_menu (GMenu              *menu,
                  const char * const *paths,
                  const char         *action,
                  GFileTest           test)
{
  g_menu_remove_all (menu);

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = NULL;
      g_autofree char *label = NULL;

      if (!g_file_test (paths[i], test))
        continue;

      label = g_filename_display_basename (paths[i]);
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, action,
                                               g_variant_new_string (paths[i]));
      g_menu_append_item (menu, item);
    }
}

static void
recent_changed_cb (CnvWindow *self)
{
  g_auto(GStrv) checkpoints = NULL;
  g_auto(GStrv) folders = NULL;

  if (self->disposed || self->settings == NULL)
    return;

  checkpoints = g_settings_get_strv (self->settings, "recent-checkpoints");
  folders = g_settings_get_strv (self->settings, "recent-folders");

  fill_recent_menu (self->recent_checkpoints_menu,
                    (const char * const *) checkpoints, "win.open-recent",
                    G_FILE_TEST_IS_REGULAR);
  fill_recent_menu (self->recent_folders_menu,
                    (const char * const *) folders, "win.open-recent-folder",
                    G_FILE_TEST_IS_DIR);
  cnv_data_page_set_recent_checkpoints (self->data_page,
                                        (const char * const *) checkpoints);
}

/* Classifying: the Classify page predicts on its own, with snapshots of
 * the weights the window hands it. */

/* The page asked for weights: a copy of the trained model, or, while a
 * run trains, a copy the training thread takes at its next batch
 * boundary (REPORT_CLASSIFY_SNAPSHOT). */
static void
answer_classify_snapshot (CnvWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (self->run != NULL)
    {
      g_atomic_int_set (&self->run->classify_wanted, 1);
      return;
    }

  if (self->classifier == NULL)
    {
      cnv_classify_page_set_snapshot (self->classify_page, NULL, FALSE);
      return;
    }

  if (!cnv_classifier_check (self->classifier, &error))
    {
      cnv_classify_page_set_snapshot (self->classify_page, NULL, FALSE);
      show_error (self, _("This Model Cannot Classify"), NULL, error);
      return;
    }

  cnv_classify_page_set_snapshot (self->classify_page,
                                  cnv_classifier_copy (self->classifier),
                                  FALSE);
}

/* FALSE, after saying why, when there is nothing to classify with. */
static gboolean
can_classify (CnvWindow *self)
{
  adw_view_stack_set_visible_child_name (self->view_stack, "classify");

  if (self->classifier == NULL && self->run == NULL)
    {
      cnv_classify_page_show_refusal (self->classify_page);
      show_toast (self, _("Cannot classify without a trained model"));
      return FALSE;
    }

  return TRUE;
}

void
cnv_window_classify_files (CnvWindow  *self,
                           GFile     **files,
                           guint       n_files)
{
  g_return_if_fail (CNV_IS_WINDOW (self));

  if (n_files == 0 || !can_classify (self))
    return;

  cnv_classify_page_add_files (self->classify_page, files, n_files);
}

void
cnv_window_classify_path (CnvWindow  *self,
                          const char *path)
{
  g_autoptr(GFile) file = NULL;

  g_return_if_fail (CNV_IS_WINDOW (self));

  if (path == NULL)
    return;

  file = g_file_new_for_path (path);
  cnv_window_classify_files (self, &file, 1);
}

static void
classify_file_action_cb (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CnvWindow *self = CNV_WINDOW (widget);

  if (can_classify (self))
    cnv_classify_page_choose_files (self->classify_page);
}

/* Drops outside the Classify page (which has a target of its own). */
static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         gpointer       user_data)
{
  CnvWindow *self = CNV_WINDOW (user_data);
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
        g_ptr_array_add (files, l->data);
    }
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE)
           && g_value_get_object (value) != NULL)
    g_ptr_array_add (files, g_value_get_object (value));

  if (files->len == 0)
    return FALSE;

  cnv_window_classify_files (self, (GFile **) files->pdata, files->len);

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
  g_clear_handle_id (&self->threshold_timeout, g_source_remove);

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

  if (self->open_dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->open_dialog),
                                    (gpointer *) &self->open_dialog);
      gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->open_dialog)));
    }
  if (self->load_report != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->load_report),
                                    (gpointer *) &self->load_report);
      gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->load_report)));
    }
  if (self->save_error != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->save_error),
                                    (gpointer *) &self->save_error);
      gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->save_error)));
    }
  if (self->replace_question != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->replace_question),
                                    (gpointer *) &self->replace_question);
      gtk_window_destroy (GTK_WINDOW (
                            g_steal_pointer (&self->replace_question)));
    }
  if (self->compare_window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->compare_window),
                                  (gpointer *) &self->compare_window);
  self->compare_window = NULL;

  if (self->question != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->question),
                                    (gpointer *) &self->question);
      gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->question)));
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), CNV_TYPE_WINDOW);

  G_OBJECT_CLASS (cnv_window_parent_class)->dispose (object);
}

static void
cnv_window_finalize (GObject *object)
{
  CnvWindow *self = CNV_WINDOW (object);

  g_clear_object (&self->editor);
  g_clear_pointer (&self->kept_spec, cnv_model_spec_free);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->classifier, cnv_classifier_free);
  g_clear_pointer (&self->best_pending, cnv_classifier_free);
  g_clear_pointer (&self->dataset, dataset_ref_release);
  g_clear_pointer (&self->data_folder, g_free);
  g_clear_pointer (&self->checkpoint_path, g_free);
  g_clear_pointer (&self->snapshot_path, g_free);
  g_clear_pointer (&self->pending_open, g_free);
  g_clear_pointer (&self->training_folder, g_free);

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
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = cnv_window_constructed;
  object_class->dispose = cnv_window_dispose;
  object_class->finalize = cnv_window_finalize;
  object_class->get_property = cnv_window_get_property;
  object_class->set_property = cnv_window_set_property;
  window_class->close_request = cnv_window_close_request;

  properties[PROP_DATA_FOLDER] =
    g_param_spec_string ("data-folder", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                         | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                          | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CNV_TYPE_DATA_PAGE);
  g_type_ensure (CNV_TYPE_LAYER_EDITOR);
  g_type_ensure (CNV_TYPE_TRAIN_PAGE);
  g_type_ensure (CNV_TYPE_EVALUATE_PAGE);
  g_type_ensure (CNV_TYPE_CLASSIFY_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-window.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvWindow, name)
  BIND (toast_overlay);
  BIND (leaflet);
  BIND (content_pane);
  BIND (model_title);
  BIND (switcher_title);
  BIND (view_stack);
  BIND (save_button);
  BIND (layer_editor);
  BIND (stale_row);
  BIND (trained_group);
  BIND (classes_row);
  BIND (epochs_row);
  BIND (accuracy_row);
  BIND (notices_row);
  BIND (data_page);
  BIND (train_page);
  BIND (evaluate_page);
  BIND (classify_page);
  BIND (recent_checkpoints_menu);
  BIND (recent_folders_menu);
#undef BIND

  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, forward_clicked_cb);

  gtk_widget_class_install_action (widget_class, "win.compare", NULL,
                                   compare_action_cb);
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
  gtk_widget_class_install_action (widget_class, "win.pause", NULL,
                                   pause_action_cb);
  gtk_widget_class_install_action (widget_class, "win.choose-folder", NULL,
                                   choose_folder_action_cb);
  gtk_widget_class_install_action (widget_class, "win.classify-file", NULL,
                                   classify_file_action_cb);
  gtk_widget_class_install_action (widget_class, "win.show-notices", NULL,
                                   show_notices_action_cb);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s",
                                   open_recent_action_cb);
  gtk_widget_class_install_action (widget_class, "win.open-recent-folder",
                                   "s", open_recent_folder_action_cb);
  gtk_widget_class_install_action (widget_class, "win.load-training-folder",
                                   NULL, load_training_folder_action_cb);
  gtk_widget_class_install_action (widget_class, "win.open-sample", NULL,
                                   open_sample_action_cb);
}

static void
cnv_window_init (CnvWindow *self)
{
  GtkDropTarget *target;
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->editor = cnv_stack_editor_new (NULL);
  self->kept_spec = cnv_model_spec_copy (SPEC (self));
  cnv_stack_editor_set_batch_size (self->editor,
    gtk_spin_button_get_value_as_int (cnv_train_page_get_batch_spin (self->train_page)));
  cnv_layer_editor_set_editor (self->layer_editor, self->editor);
  g_signal_connect_swapped (self->editor, "changed",
                            G_CALLBACK (stack_changed_cb), self);
  g_signal_connect_swapped (self->layer_editor, "stack-exported",
                            G_CALLBACK (stack_exported_cb), self);
  g_signal_connect_swapped (self->data_page, "preprocessing-changed",
                            G_CALLBACK (data_preprocessing_changed_cb), self);
  g_signal_connect_swapped (self->data_page, "colour-mode-changed",
                            G_CALLBACK (data_colour_mode_changed_cb), self);
  g_signal_connect_swapped (self->data_page, "compute-normalisation",
                            G_CALLBACK (data_compute_normalisation_cb), self);
  g_signal_connect_swapped (self->evaluate_page, "threshold-changed",
                            G_CALLBACK (threshold_changed_cb), self);
  g_signal_connect_swapped (self->evaluate_page, "open-image",
                            G_CALLBACK (cnv_window_classify_path), self);
  g_signal_connect_swapped (cnv_train_page_get_batch_spin (self->train_page),
                            "value-changed", G_CALLBACK (batch_size_changed_cb),
                            self);
  g_signal_connect_object (self->classify_page, "snapshot-wanted",
                           G_CALLBACK (answer_classify_snapshot), self,
                           G_CONNECT_SWAPPED);

  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  adw_leaflet_set_visible_child (self->leaflet, self->content_pane);

  update_stale (self);
  update_trained_info (self);
  update_title (self);
  cnv_data_page_show_dataset (self->data_page, NULL);
  update_actions (self);
}

/* The application is set after constructed () has run, so the settings
 * come in here. */
static void
attach_settings (CnvWindow *self,
                 GSettings *settings)
{
  self->settings = g_object_ref (settings);
  restore_window_state (self);
  load_train_defaults (self);
  g_signal_connect_object (settings, "changed::recent-checkpoints",
                           G_CALLBACK (recent_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::recent-folders",
                           G_CALLBACK (recent_changed_cb), self,
                           G_CONNECT_SWAPPED);
  recent_changed_cb (self);
}

CnvWindow *
cnv_window_new (CnvApplication *application,
                const char     *data_folder)
{
  CnvWindow *self;
  GSettings *settings;

  self = g_object_new (CNV_TYPE_WINDOW,
                       "application", application,
                       "data-folder", data_folder,
                       NULL);

  settings = cnv_application_get_settings (application);
  if (settings != NULL)
    attach_settings (self, settings);

  return self;
}

/* For tests/test-app.c */

gboolean
cnv_window_is_busy (CnvWindow *self)
{
  return self->loading || self->n_saving > 0 || self->n_opening > 0
         || self->best_saving
         || cnv_classify_page_is_busy (self->classify_page)
         || cnv_evaluate_page_is_busy (self->evaluate_page)
         || self->train_thread != NULL;
}

GMenuModel *
cnv_window_get_recent_menu (CnvWindow *self,
                            gboolean   folders)
{
  return G_MENU_MODEL (folders ? self->recent_folders_menu
                               : self->recent_checkpoints_menu);
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

CnvDataPage *
cnv_window_get_data_page (CnvWindow *self)
{
  return self->data_page;
}

CnvTrainPage *
cnv_window_get_train_page (CnvWindow *self)
{
  return self->train_page;
}

CnvEvaluatePage *
cnv_window_get_evaluate_page (CnvWindow *self)
{
  return self->evaluate_page;
}

CnvClassifyPage *
cnv_window_get_classify_page (CnvWindow *self)
{
  return self->classify_page;
}

GtkWidget *
cnv_window_get_save_button (CnvWindow *self)
{
  return self->save_button;
}

CnvOpenDialog *
cnv_window_get_open_dialog (CnvWindow *self)
{
  return self->open_dialog;
}

AdwMessageDialog *
cnv_window_get_save_error (CnvWindow *self)
{
  return self->save_error;
}

AdwMessageDialog *
cnv_window_get_load_report (CnvWindow *self)
{
  return self->load_report;
}

CnvCompareWindow *
cnv_window_get_compare_window (CnvWindow *self)
{
  return self->compare_window;
}

const char *
cnv_window_get_model_title (CnvWindow *self)
{
  return adw_window_title_get_title (self->model_title);
}

const char *
cnv_window_get_model_subtitle (CnvWindow *self)
{
  return adw_window_title_get_subtitle (self->model_title);
}

const char *
cnv_window_get_toast_title (CnvWindow *self)
{
  return self->toast != NULL ? adw_toast_get_title (self->toast) : NULL;
}

void
cnv_window_dismiss_toast (CnvWindow *self)
{
  if (self->toast != NULL)
    adw_toast_dismiss (self->toast);
}

AdwMessageDialog *
cnv_window_get_replace_question (CnvWindow *self)
{
  return self->replace_question;
}

AdwMessageDialog *
cnv_window_get_question (CnvWindow *self)
{
  return self->question;
}

guint
cnv_window_get_n_layer_rows (CnvWindow *self)
{
  guint n = 0;

  n = cnv_layer_editor_get_n_rows (self->layer_editor);

  return n;
}

CnvLayerEditor *
cnv_window_get_layer_editor (CnvWindow *self)
{
  return self->layer_editor;
}

CnvStackEditor *
cnv_window_get_stack_editor (CnvWindow *self)
{
  return self->editor;
}

const char *
cnv_window_get_stale_text (CnvWindow *self)
{
  if (!gtk_widget_get_visible (GTK_WIDGET (self->stale_row)))
    return NULL;

  return adw_action_row_get_subtitle (self->stale_row);
}

const char *
cnv_window_get_predicted_class (CnvWindow *self)
{
  CnvPrediction *row = cnv_classify_page_get_selected (self->classify_page);

  return row != NULL ? cnv_prediction_get_class_name (row) : NULL;
}

double
cnv_window_get_probability (CnvWindow *self)
{
  CnvPrediction *row = cnv_classify_page_get_selected (self->classify_page);

  if (row == NULL || cnv_prediction_get_class (row) < 0)
    return -1.0;

  return cnv_prediction_get_probability (row);
}

const char *
cnv_window_get_classified_path (CnvWindow *self)
{
  CnvPrediction *row = cnv_classify_page_get_selected (self->classify_page);

  return row != NULL ? cnv_prediction_get_path (row) : NULL;
}

const char *
cnv_window_get_visible_page (CnvWindow *self)
{
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

void
cnv_window_show_page (CnvWindow  *self,
                      const char *name)
{
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}
