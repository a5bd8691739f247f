/* cnv-train-page.c — the Train page
 *
 * The settings of the next run (optimizer, learning-rate schedule, early
 * stopping and the best weights), a card with the figures of the run
 * going on (or of the model on screen when none is), a progress bar with
 * the time and speed, and the loss and accuracy curves.  Train, Pause and
 * Stop are the window's actions; the window feeds the page the reports of
 * its training thread.
 *
 * The one idea: epochs are counted two ways and the page always says
 * which.  The Epoch figure counts over the model's whole life, the way
 * the checkpoint and the side pane count; the progress bar counts within
 * this run, and its text says so, so its fraction is what it reads.
 */
#define G_LOG_DOMAIN "cnv-train-page"

#include <math.h>
#include <glib/gi18n.h>

#include "cnv-format.h"
#include "cnv-training-chart.h"
#include "cnv-train-page.h"

struct _CnvTrainPage
{
  AdwBin parent_instance;

  /* template children */
  GtkScrolledWindow *scroller;
  GtkWidget      *settings_list;
  GtkWidget      *progress_group;
  GtkWidget      *pause_button;
  GtkWidget      *stop_button;
  AdwActionRow   *epochs_row;
  GtkSpinButton  *epochs_spin;
  GtkSpinButton  *batch_spin;
  GtkSpinButton  *rate_spin;
  AdwComboRow    *optimizer_row;
  AdwExpanderRow *optimizer_details_row;
  AdwExpanderRow *schedule_expander;
  AdwExpanderRow *stopping_expander;
  GtkWidget      *momentum_row;
  GtkSpinButton  *momentum_spin;
  GtkWidget      *nesterov_row;
  GtkSwitch      *nesterov_switch;
  GtkSpinButton  *decay_spin;
  AdwComboRow    *schedule_row;
  GtkWidget      *step_row;
  GtkSpinButton  *step_spin;
  GtkWidget      *gamma_row;
  GtkSpinButton  *gamma_spin;
  GtkWidget      *min_factor_row;
  GtkSpinButton  *min_factor_spin;
  GtkSpinButton  *warmup_spin;
  GtkSwitch      *early_switch;
  GtkWidget      *patience_row;
  GtkWidget      *min_delta_row;
  GtkSpinButton  *patience_spin;
  GtkSpinButton  *min_delta_spin;
  GtkSwitch      *keep_best_switch;
  AdwActionRow   *autosave_row;
  GtkSwitch      *autosave_switch;
  GtkLabel       *timing_label;
  GtkLabel       *epoch_value;
  GtkLabel       *epoch_caption;
  GtkLabel       *batch_value;
  GtkLabel       *batch_caption;
  GtkLabel       *status_label;
  GtkWidget      *invalid_box;
  GtkLabel       *invalid_label;
  GtkLabel       *loss_value;
  GtkLabel       *accuracy_value;
  GtkProgressBar   *progress_bar;
  CnvTrainingChart *loss_chart;
  CnvTrainingChart *accuracy_chart;

  /* state */
  guint           epochs_trained;
  guint           run_first_epoch;
  guint           run_last_epoch;
  guint           n_batches;      /* per epoch, as last reported */
  gboolean        paused;
  char           *progress_text;  /* the bar's text while not paused */
  char           *best_path;      /* where the best weights go */
  guint           scroll_tick;    /* waits for the page's layout */
  double          last_elapsed;   /* of the last progress report */
  double          last_speed;
};

G_DEFINE_FINAL_TYPE (CnvTrainPage, cnv_train_page, ADW_TYPE_BIN)

/* "0:42", "12:05", "1:02:05" */
static char *
format_clock (double seconds)
{
  guint64 s = (guint64) MAX (0.0, round (seconds));

  if (s >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", s / 3600,
                            (guint) (s / 60 % 60), (guint) (s % 60));

  return g_strdup_printf ("%u:%02u", (guint) (s / 60), (guint) (s % 60));
}

char *
cnv_train_page_format_took (double seconds)
{
  /* Under ten seconds a clock reads "0:02", which looks like minutes, or
   * "0:00"; decided on the rounded value so that 9.96 s is "0:10". */
  if (round (seconds * 10.0) < 100.0)
    /* Translators: a duration in seconds, "2.4 s" */
    return g_strdup_printf (_("%.1f s"), MAX (seconds, 0.0));

  return format_clock (seconds);
}

static void
set_figures (CnvTrainPage *self,
             const char   *epoch,
             const char   *epoch_caption,
             const char   *batch,
             const char   *loss,
             const char   *accuracy)
{
  gtk_label_set_label (self->epoch_value, epoch);
  gtk_label_set_label (self->epoch_caption, epoch_caption);
  gtk_label_set_label (self->batch_value, batch);
  gtk_label_set_label (self->batch_caption, _("Batch"));
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->timing_label), FALSE);
  gtk_label_set_label (self->loss_value, loss);
  gtk_label_set_label (self->accuracy_value, accuracy);
}

static void
clear_charts (CnvTrainPage *self,
              guint         n_epochs)
{
  cnv_training_chart_clear (self->loss_chart);
  cnv_training_chart_clear (self->accuracy_chart);
  cnv_training_chart_set_n_epochs (self->loss_chart, n_epochs);
  cnv_training_chart_set_n_epochs (self->accuracy_chart, n_epochs);
}

/* Adds c's per-epoch losses and accuracies to the charts. */
static void
show_history (CnvTrainPage        *self,
              const CnvClassifier *c)
{
  for (guint i = 0; i < c->history->len; i++)
    {
      CnvEpochRecord *r = &g_array_index (c->history, CnvEpochRecord, i);

      cnv_train_page_add_epoch (self, r);
    }
}

static const CnvScheduleKind schedule_kinds[] = {
  CNV_SCHEDULE_CONSTANT, CNV_SCHEDULE_STEP, CNV_SCHEDULE_COSINE,
};

/* The schedule the drop-down names; constant for a position it has not. */
static CnvScheduleKind
selected_schedule_kind (CnvTrainPage *self)
{
  guint selected = adw_combo_row_get_selected (self->schedule_row);

  return selected < G_N_ELEMENTS (schedule_kinds) ? schedule_kinds[selected]
                                                  : CNV_SCHEDULE_CONSTANT;
}

static void
show_schedule (CnvTrainPage      *self,
               const CnvSchedule *schedule)
{
  for (guint i = 0; i < G_N_ELEMENTS (schedule_kinds); i++)
    if (schedule_kinds[i] == schedule->kind)
      adw_combo_row_set_selected (self->schedule_row, i);
  gtk_spin_button_set_value (self->step_spin, MAX (1, schedule->step_epochs));
  gtk_spin_button_set_value (self->gamma_spin, schedule->gamma);
  gtk_spin_button_set_value (self->min_factor_spin, schedule->min_factor);
  gtk_spin_button_set_value (self->warmup_spin, schedule->warmup_epochs);
}

static void
show_optimizer (CnvTrainPage             *self,
                const CnvOptimizerConfig *config)
{
  gtk_spin_button_set_value (self->rate_spin, config->learning_rate);
  adw_combo_row_set_selected (self->optimizer_row,
                              config->kind == CNV_OPTIMIZER_SGD ? 1 : 0);
  gtk_spin_button_set_value (self->decay_spin, config->weight_decay);
  if (config->kind == CNV_OPTIMIZER_SGD)
    {
      gtk_spin_button_set_value (self->momentum_spin, config->momentum);
      gtk_switch_set_active (self->nesterov_switch, config->nesterov);
    }
}

static void
show_stopping (CnvTrainPage *self,
               guint         patience,
               gboolean      keep_best)
{
  gtk_switch_set_active (self->early_switch, patience > 0);
  if (patience > 0)
    gtk_spin_button_set_value (self->patience_spin, patience);
  gtk_switch_set_active (self->keep_best_switch, keep_best);
}

void
cnv_train_page_get_config (CnvTrainPage   *self,
                           CnvTrainConfig *config)
{
  CnvOptimizerKind kind;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  cnv_train_config_init_default (config);
  kind = adw_combo_row_get_selected (self->optimizer_row) == 1
         ? CNV_OPTIMIZER_SGD : CNV_OPTIMIZER_ADAM;
  cnv_optimizer_config_init_default (&config->optimizer, kind);
  config->epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  config->batch_size = gtk_spin_button_get_value_as_int (self->batch_spin);
  config->optimizer.learning_rate = gtk_spin_button_get_value (self->rate_spin);
  config->optimizer.weight_decay = gtk_spin_button_get_value (self->decay_spin);
  if (kind == CNV_OPTIMIZER_SGD)
    {
      config->optimizer.momentum = gtk_spin_button_get_value (self->momentum_spin);
      config->optimizer.nesterov = gtk_switch_get_active (self->nesterov_switch)
                                   && config->optimizer.momentum > 0;
    }

  cnv_schedule_init_default (&config->schedule);
  config->schedule.kind = selected_schedule_kind (self);
  config->schedule.step_epochs = gtk_spin_button_get_value_as_int (self->step_spin);
  config->schedule.gamma = gtk_spin_button_get_value (self->gamma_spin);
  config->schedule.min_factor = gtk_spin_button_get_value (self->min_factor_spin);
  config->schedule.warmup_epochs = gtk_spin_button_get_value_as_int (self->warmup_spin);

  if (gtk_switch_get_active (self->early_switch))
    {
      config->patience = gtk_spin_button_get_value_as_int (self->patience_spin);
      config->min_delta = gtk_spin_button_get_value (self->min_delta_spin);
    }
  config->keep_best = gtk_switch_get_active (self->keep_best_switch);
}

void
cnv_train_page_set_config (CnvTrainPage         *self,
                           const CnvTrainConfig *config)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));
  g_return_if_fail (config != NULL);

  gtk_spin_button_set_value (self->epochs_spin, config->epochs);
  gtk_spin_button_set_value (self->batch_spin, config->batch_size);
  show_optimizer (self, &config->optimizer);
  show_schedule (self, &config->schedule);
  show_stopping (self, config->patience, config->keep_best);
  if (config->patience > 0)
    gtk_spin_button_set_value (self->min_delta_spin, config->min_delta);
}

void
cnv_train_page_show_settings (CnvTrainPage        *self,
                              const CnvClassifier *c)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));
  g_return_if_fail (c != NULL);

  if (c->batch_size > 0)
    gtk_spin_button_set_value (self->batch_spin, c->batch_size);

  if (c->optimizer == NULL)
    return;

  /* The last run's settings, so that Train continues it as it was. */
  show_optimizer (self, cnv_optimizer_get_config (c->optimizer));
  show_schedule (self, &c->schedule);
  show_stopping (self, c->patience, c->keep_best);
}

void
cnv_train_page_set_save_best (CnvTrainPage *self,
                              gboolean      save_best)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  gtk_switch_set_active (self->autosave_switch, save_best);
}

gboolean
cnv_train_page_get_save_best (CnvTrainPage *self)
{
  g_return_val_if_fail (CNV_IS_TRAIN_PAGE (self), FALSE);

  return gtk_switch_get_active (self->autosave_switch);
}

void
cnv_train_page_set_save_best_path (CnvTrainPage *self,
                                   const char   *path)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *display = NULL;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));
  g_return_if_fail (path != NULL);

  /* Unchanged, the row keeps saying which epoch the file holds. */
  if (g_strcmp0 (self->best_path, path) == 0)
    return;

  g_free (self->best_path);
  self->best_path = g_strdup (path);

  display = g_filename_display_name (path);
  /* Translators: the file the best weights go to. */
  subtitle = g_strdup_printf (_("Each time the validation loss reaches a "
                                "new low, to %s"), display);
  adw_action_row_set_subtitle (self->autosave_row, subtitle);
}

void
cnv_train_page_set_best_saved (CnvTrainPage *self,
                               guint         epoch,
                               double        loss)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *display = NULL;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  display = g_filename_display_name (self->best_path != NULL ? self->best_path
                                                             : "");
  /* Translators: "Epoch 7 (validation loss 0.2310) is in model-best.convolve". */
  subtitle = g_strdup_printf (_("Epoch %u (validation loss %.4f) is in %s"),
                              epoch, loss, display);
  adw_action_row_set_subtitle (self->autosave_row, subtitle);
}

void
cnv_train_page_set_epochs_trained (CnvTrainPage *self,
                                   guint         n)
{
  g_autofree char *subtitle = NULL;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  self->epochs_trained = n;

  if (n == 0)
    subtitle = g_strdup (_("Passes over the training images"));
  else
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Added to the %u already trained",
                                             "Added to the %u already trained",
                                             n), n);
  adw_action_row_set_subtitle (self->epochs_row, subtitle);
}

guint
cnv_train_page_get_epochs_trained (CnvTrainPage *self)
{
  g_return_val_if_fail (CNV_IS_TRAIN_PAGE (self), 0);

  return self->epochs_trained;
}

void
cnv_train_page_set_training (CnvTrainPage *self,
                             gboolean      training)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  /* Only the settings freeze: the Train, Pause and Stop buttons sit in
   * the group's header and follow their actions. */
  gtk_widget_set_sensitive (self->settings_list, !training);

  if (!training)
    cnv_train_page_set_paused (self, FALSE);
}

void
cnv_train_page_set_paused (CnvTrainPage *self,
                           gboolean      paused)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  if (self->paused == paused)
    return;

  self->paused = paused;
  gtk_button_set_label (GTK_BUTTON (self->pause_button),
                        paused ? _("_Resume") : _("_Pause"));
  gtk_widget_set_tooltip_text (self->pause_button,
                               paused ? _("Go on from the batch where the "
                                          "run paused (Ctrl+P)")
                                      : _("Pause after the current batch; "
                                          "press again to resume (Ctrl+P)"));

  if (paused)
    {
      g_autofree char *text = NULL;

      g_free (self->progress_text);
      self->progress_text = g_strdup (gtk_progress_bar_get_text (self->progress_bar));
      /* Translators: the bar's text while a run is paused. */
      text = g_strdup_printf (_("Paused · %s"),
                              self->progress_text != NULL ? self->progress_text : "");
      gtk_progress_bar_set_text (self->progress_bar, text);
    }
  else if (self->progress_text != NULL)
    {
      gtk_progress_bar_set_text (self->progress_bar, self->progress_text);
      g_clear_pointer (&self->progress_text, g_free);
    }
}

gboolean
cnv_train_page_get_paused (CnvTrainPage *self)
{
  g_return_val_if_fail (CNV_IS_TRAIN_PAGE (self), FALSE);

  return self->paused;
}

void
cnv_train_page_show_model (CnvTrainPage        *self,
                           const CnvClassifier *c)
{
  g_autofree char *epochs = NULL;
  g_autofree char *loss = NULL;
  g_autofree char *accuracy = NULL;
  g_autofree char *text = NULL;
  const CnvEpochRecord *last;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);

  if (c == NULL || c->history->len == 0)
    {
      clear_charts (self, 1);
      set_figures (self, "–", _("Epoch"), "–", "–", "–");
      gtk_progress_bar_set_text (self->progress_bar, _("Not started"));
      return;
    }

  last = &g_array_index (c->history, CnvEpochRecord, c->history->len - 1);
  epochs = g_strdup_printf ("%u", last->epoch);
  loss = g_strdup_printf ("%.4f", last->train_loss);
  accuracy = cnv_format_percent (last->train_accuracy, 1);
  set_figures (self, epochs, _("Epochs trained"), "–", loss, accuracy);

  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "No run yet; the model has %u epoch",
                                       "No run yet; the model has %u epochs",
                                       last->epoch), last->epoch);
  gtk_progress_bar_set_text (self->progress_bar, text);

  clear_charts (self, last->epoch);
  show_history (self, c);
}

/* A run has begun: the curves matter now, not the settings above them.
 * Returns FALSE while the page is not laid out yet. */
static gboolean
scroll_to_progress (CnvTrainPage *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  graphene_point_t top;

  if (gtk_adjustment_get_upper (adjustment) <= 0
      || !gtk_widget_compute_point (self->progress_group,
                                    gtk_scrolled_window_get_child (self->scroller),
                                    &GRAPHENE_POINT_INIT (0, 0), &top))
    return FALSE;

  gtk_adjustment_set_value (adjustment, top.y - 12);

  return TRUE;
}

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  CnvTrainPage *self = CNV_TRAIN_PAGE (widget);

  if (!scroll_to_progress (self))
    return G_SOURCE_CONTINUE;

  self->scroll_tick = 0;

  return G_SOURCE_REMOVE;
}

void
cnv_train_page_begin_run (CnvTrainPage        *self,
                          const CnvClassifier *c,
                          guint                n_epochs)
{
  guint n_trained = c != NULL ? c->history->len : 0;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  self->run_first_epoch = n_trained + 1;
  self->run_last_epoch = n_trained + n_epochs;

  /* The chart starts over from the history this run continues, so
   * nothing of an earlier, abandoned run stays on it. */
  clear_charts (self, self->run_last_epoch);
  if (c != NULL)
    show_history (self, c);

  set_figures (self, "–", _("Epoch"), "–", "–", "–");
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, _("Starting…"));

  /* After the frame that lays out the frozen settings, which would
   * otherwise keep the focus in view. */
  if (self->scroll_tick == 0)
    self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self),
                                                      scroll_tick_cb, NULL,
                                                      NULL);
}

void
cnv_train_page_add_batches (CnvTrainPage *self,
                            const double *points,
                            guint         n_points)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  for (guint i = 0; i < n_points; i++)
    {
      const double *p = points + 3 * i;

      cnv_training_chart_add_batch (self->loss_chart, p[0], p[1], p[2]);
      cnv_training_chart_add_batch (self->accuracy_chart, p[0], p[1], p[2]);
    }
}

/* Elapsed and remaining time, speed and the learning rate of the step. */
static void
show_timing (CnvTrainPage           *self,
             const CnvTrainProgress *p,
             double                  remaining)
{
  g_autofree char *elapsed = format_clock (p->elapsed);
  g_autofree char *left = isfinite (remaining) ? format_clock (remaining)
                                               : g_strdup ("–");
  g_autofree char *text = NULL;

  /* Translators: under the progress bar, "Elapsed 0:42 · 1:10 left ·
   * 4210 images/s · learning rate 0.00081". */
  text = g_strdup_printf (_("Elapsed %s · %s left · %.0f images/s · "
                            "learning rate %.3g"),
                          elapsed, left, p->images_per_second,
                          p->learning_rate);
  gtk_label_set_label (self->timing_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->timing_label), TRUE);

  self->last_elapsed = p->elapsed;
  self->last_speed = p->images_per_second;
}

/* The run is over: how long it took, no longer what is left. */
static void
show_final_timing (CnvTrainPage *self)
{
  g_autofree char *elapsed = NULL;
  g_autofree char *text = NULL;

  if (!gtk_widget_get_visible (GTK_WIDGET (self->timing_label)))
    return;

  elapsed = cnv_train_page_format_took (self->last_elapsed);
  /* Translators: under the bar after a run, "Took 1:52 · 4210 images/s". */
  text = g_strdup_printf (_("Took %s · %.0f images/s"), elapsed,
                          self->last_speed);
  gtk_label_set_label (self->timing_label, text);
}

void
cnv_train_page_show_progress (CnvTrainPage           *self,
                              const CnvTrainProgress *p)
{
  g_autofree char *epoch = NULL;
  g_autofree char *batch = NULL;
  g_autofree char *loss = NULL;
  g_autofree char *accuracy = NULL;
  g_autofree char *text = NULL;
  guint n_epochs;
  guint run_epoch;
  double done, total;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  n_epochs = self->run_last_epoch - self->run_first_epoch + 1;
  run_epoch = p->epoch - self->run_first_epoch + 1;

  if (p->n_batches == 0)
    return;

  self->n_batches = p->n_batches;

  /* Translators: the epoch counted over the model's life, "21 of 210". */
  epoch = g_strdup_printf (_("%u of %u"), p->epoch, p->last_epoch);
  batch = g_strdup_printf (_("%u of %u"), p->batch, p->n_batches);
  loss = g_strdup_printf ("%.4f", p->running_loss);
  accuracy = cnv_format_percent (p->running_accuracy, 1);
  set_figures (self, epoch, _("Epoch"), batch, loss, accuracy);

  /* batches of this run done [0, total] */
  done = (double) (run_epoch - 1) * p->n_batches + p->batch;
  total = (double) n_epochs * p->n_batches;
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 CLAMP (done / total, 0.0, 1.0));

  /* The bar counts this run, and says so; the line under it has the
   * times. */
  text = g_strdup_printf (_("Epoch %u of %u in this run"), run_epoch, n_epochs);
  if (self->paused)
    {
      g_free (self->progress_text);
      self->progress_text = g_steal_pointer (&text);
    }
  else
    gtk_progress_bar_set_text (self->progress_bar, text);

  show_timing (self, p, done > 0 ? p->elapsed * (total - done) / done : NAN);
}

void
cnv_train_page_add_epoch (CnvTrainPage         *self,
                          const CnvEpochRecord *record)
{
  CnvTrainingChart *charts[2];
  gboolean validated;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  charts[0] = self->loss_chart;
  charts[1] = self->accuracy_chart;
  validated = record->validation.n > 0;

  for (guint i = 0; i < G_N_ELEMENTS (charts); i++)
    cnv_training_chart_add_epoch (charts[i], record->epoch, record->train_loss,
                                  record->train_accuracy,
                                  validated ? record->validation.loss : NAN,
                                  validated ? record->validation.accuracy : NAN);
}

void
cnv_train_page_show_stopping (CnvTrainPage *self)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  gtk_progress_bar_set_text (self->progress_bar, _("Stopping…"));
}

void
cnv_train_page_end_run (CnvTrainPage *self,
                        const char   *text,
                        gboolean      complete)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  gtk_progress_bar_set_fraction (self->progress_bar, complete ? 1.0 : 0.0);
  gtk_progress_bar_set_text (self->progress_bar, text);
  show_final_timing (self);
}

void
cnv_train_page_set_status (CnvTrainPage *self,
                           const char   *text)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
}

void
cnv_train_page_show_stopped (CnvTrainPage           *self,
                             const CnvTrainProgress *last,
                             guint                   n_complete,
                             guint                   n_partial)
{
  g_autofree char *bar = NULL;
  g_autofree char *batches = NULL;
  g_autofree char *history = NULL;
  g_autofree char *status = NULL;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));
  g_return_if_fail (last != NULL);

  /* The figures stay at the last batch done; the captions say that it
   * is where the run stopped, not where it is. */
  if (last->n_batches > 0)
    {
      gtk_label_set_label (self->epoch_caption, _("Epoch, stopped"));
      gtk_label_set_label (self->batch_caption, _("Last batch done"));
    }

  history = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%u complete epoch is in the "
                                          "history.",
                                          "%u complete epochs are in the "
                                          "history.",
                                          n_complete), n_complete);

  if (n_partial > 0)
    {
      /* Translators: "Stopped during epoch 31 after batch 4 of 5". */
      bar = g_strdup_printf (_("Stopped during epoch %u after batch %u of %u"),
                             n_complete + 1, n_partial, last->n_batches);
      /* Translators: the batches of the epoch that did not end. */
      batches = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The weights include its %u "
                                              "finished batch, but epoch %u "
                                              "is not complete, so it is not "
                                              "in the history; the next run "
                                              "starts it again.",
                                              "The weights include its %u "
                                              "finished batches, but epoch "
                                              "%u is not complete, so it is "
                                              "not in the history; the next "
                                              "run starts it again.",
                                              n_partial),
                                 n_partial, n_complete + 1);
      status = g_strdup_printf ("%s %s", batches, history);
    }
  else if (n_complete == 0)
    {
      bar = g_strdup (_("Stopped before the first batch ended"));
      status = g_strdup (_("Nothing was trained."));
    }
  else
    {
      bar = g_strdup_printf (_("Stopped after epoch %u"), n_complete);
      status = g_strdup_printf (_("%s The weights are those at its end."),
                                history);
    }

  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, bar);
  cnv_train_page_set_status (self, status);
  show_final_timing (self);
}

GtkSpinButton *
cnv_train_page_get_epochs_spin (CnvTrainPage *self)
{
  return self->epochs_spin;
}

GtkWidget *
cnv_train_page_get_settings_list (CnvTrainPage *self)
{
  return self->settings_list;
}

GtkWidget *
cnv_train_page_get_stop_button (CnvTrainPage *self)
{
  return self->stop_button;
}

guint
cnv_train_page_get_n_chart_points (CnvTrainPage *self)
{
  return cnv_training_chart_get_n_points (self->loss_chart);
}

const char *
cnv_train_page_get_epoch_text (CnvTrainPage *self)
{
  return gtk_label_get_label (self->epoch_value);
}

const char *
cnv_train_page_get_epoch_caption (CnvTrainPage *self)
{
  return gtk_label_get_label (self->epoch_caption);
}

const char *
cnv_train_page_get_progress_text (CnvTrainPage *self)
{
  return gtk_progress_bar_get_text (self->progress_bar);
}

guint
cnv_train_page_get_n_batches (CnvTrainPage *self)
{
  return self->n_batches;
}

const char *
cnv_train_page_get_batch_text (CnvTrainPage *self)
{
  return gtk_label_get_label (self->batch_value);
}

void
cnv_train_page_set_invalid_reason (CnvTrainPage *self,
                                   const char   *reason)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  gtk_label_set_label (self->invalid_label, reason != NULL ? reason : "");
  gtk_widget_set_visible (self->invalid_box, reason != NULL);
}

const char *
cnv_train_page_get_invalid_reason (CnvTrainPage *self)
{
  if (!gtk_widget_get_visible (self->invalid_box))
    return NULL;

  return gtk_label_get_label (self->invalid_label);
}

GtkSpinButton *
cnv_train_page_get_batch_spin (CnvTrainPage *self)
{
  return self->batch_spin;
}

const char *
cnv_train_page_get_status_text (CnvTrainPage *self)
{
  if (!gtk_widget_get_visible (GTK_WIDGET (self->status_label)))
    return NULL;

  return gtk_label_get_label (self->status_label);
}

CnvTrainingChart *
cnv_train_page_get_loss_chart (CnvTrainPage *self)
{
  return self->loss_chart;
}

CnvTrainingChart *
cnv_train_page_get_accuracy_chart (CnvTrainPage *self)
{
  return self->accuracy_chart;
}

const char *
cnv_train_page_get_timing_text (CnvTrainPage *self)
{
  if (!gtk_widget_get_visible (GTK_WIDGET (self->timing_label)))
    return NULL;

  return gtk_label_get_label (self->timing_label);
}

GtkWidget *
cnv_train_page_get_pause_button (CnvTrainPage *self)
{
  return self->pause_button;
}

double
cnv_train_page_get_progress_fraction (CnvTrainPage *self)
{
  return gtk_progress_bar_get_fraction (self->progress_bar);
}

/* The collapsed rows say what they hold, so the settings of a run can
 * be read without opening them. */
static void
summarize (CnvTrainPage *self)
{
  CnvTrainConfig c;
  g_autofree char *optimizer = NULL;
  g_autofree char *schedule = NULL;
  g_autoptr(GString) stopping = g_string_new (NULL);

  cnv_train_page_get_config (self, &c);

  if (c.optimizer.kind == CNV_OPTIMIZER_SGD)
    /* Translators: "Momentum 0.9, Nesterov, weight decay 0.0001". */
    optimizer = g_strdup_printf (_("Momentum %g%s, weight decay %g"),
                                 c.optimizer.momentum,
                                 c.optimizer.nesterov ? _(", Nesterov") : "",
                                 c.optimizer.weight_decay);
  else
    optimizer = g_strdup_printf (_("Weight decay %g"), c.optimizer.weight_decay);
  adw_expander_row_set_subtitle (self->optimizer_details_row, optimizer);

  switch (c.schedule.kind)
    {
    case CNV_SCHEDULE_STEP:
      /* Translators: "× 0.1 every 10 epochs". */
      schedule = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Step decay: × %g every %u epoch",
                                               "Step decay: × %g every %u epochs",
                                               c.schedule.step_epochs),
                                  c.schedule.gamma, c.schedule.step_epochs);
      break;

    case CNV_SCHEDULE_COSINE:
      schedule = g_strdup_printf (_("Cosine down to %g × the rate"),
                                  c.schedule.min_factor);
      break;

    case CNV_SCHEDULE_CONSTANT:
    default:
      schedule = g_strdup (_("Constant"));
      break;
    }
  if (c.schedule.warmup_epochs > 0)
    {
      g_autofree char *base = g_steal_pointer (&schedule);

      /* Translators: a schedule and its warm-up, "Constant, after 2
       * warm-up epochs". */
      schedule = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, after %u warm-up epoch",
                                               "%s, after %u warm-up epochs",
                                               c.schedule.warmup_epochs),
                                  base, c.schedule.warmup_epochs);
    }
  adw_expander_row_set_subtitle (self->schedule_expander, schedule);

  if (c.patience > 0)
    g_string_append_printf (stopping,
                            g_dngettext (GETTEXT_PACKAGE,
                                         "Stops after %u epoch without a "
                                         "better validation loss",
                                         "Stops after %u epochs without a "
                                         "better validation loss",
                                         c.patience), c.patience);
  if (c.keep_best)
    g_string_append_printf (stopping, "%s%s", stopping->len > 0 ? " · " : "",
                            _("Keeps the best epoch"));
  if (gtk_switch_get_active (self->autosave_switch))
    g_string_append_printf (stopping, "%s%s", stopping->len > 0 ? " · " : "",
                            _("Saves the best weights"));
  adw_expander_row_set_subtitle (self->stopping_expander,
                                 stopping->len > 0 ? stopping->str
                                                   : _("Runs every epoch"));
}

/* Only the rows the chosen optimizer and schedule use are shown. */
static void
update_rows (CnvTrainPage *self)
{
  gboolean sgd = adw_combo_row_get_selected (self->optimizer_row) == 1;
  CnvScheduleKind kind = selected_schedule_kind (self);

  gtk_widget_set_visible (self->momentum_row, sgd);
  gtk_widget_set_visible (self->nesterov_row, sgd);
  gtk_widget_set_sensitive (self->nesterov_row,
                            gtk_spin_button_get_value (self->momentum_spin) > 0);
  gtk_widget_set_visible (self->step_row, kind == CNV_SCHEDULE_STEP);
  gtk_widget_set_visible (self->gamma_row, kind == CNV_SCHEDULE_STEP);
  gtk_widget_set_visible (self->min_factor_row, kind == CNV_SCHEDULE_COSINE);
  gtk_widget_set_sensitive (self->patience_row,
                            gtk_switch_get_active (self->early_switch));
  gtk_widget_set_sensitive (self->min_delta_row,
                            gtk_switch_get_active (self->early_switch));

  summarize (self);
}

static void
cnv_train_page_finalize (GObject *object)
{
  CnvTrainPage *self = CNV_TRAIN_PAGE (object);

  g_free (self->progress_text);
  g_free (self->best_path);

  G_OBJECT_CLASS (cnv_train_page_parent_class)->finalize (object);
}

static void
cnv_train_page_class_init (CnvTrainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cnv_train_page_finalize;

  g_type_ensure (CNV_TYPE_TRAINING_CHART);

  /* AdwBin unparents its child, the template's root, when disposed;
   * gtk_widget_dispose_template () would unparent it a second time. */
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-train-page.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvTrainPage, name)
  BIND (scroller);
  BIND (settings_list);
  BIND (progress_group);
  BIND (optimizer_details_row);
  BIND (schedule_expander);
  BIND (stopping_expander);
  BIND (early_switch);
  BIND (patience_row);
  BIND (min_delta_row);
  BIND (pause_button);
  BIND (momentum_row);
  BIND (momentum_spin);
  BIND (nesterov_row);
  BIND (nesterov_switch);
  BIND (decay_spin);
  BIND (schedule_row);
  BIND (step_row);
  BIND (step_spin);
  BIND (gamma_row);
  BIND (gamma_spin);
  BIND (min_factor_row);
  BIND (min_factor_spin);
  BIND (warmup_spin);
  BIND (patience_spin);
  BIND (min_delta_spin);
  BIND (keep_best_switch);
  BIND (autosave_row);
  BIND (autosave_switch);
  BIND (timing_label);
  BIND (accuracy_chart);
  BIND (invalid_box);
  BIND (invalid_label);
  BIND (stop_button);
  BIND (epochs_row);
  BIND (epochs_spin);
  BIND (batch_spin);
  BIND (rate_spin);
  BIND (optimizer_row);
  BIND (epoch_value);
  BIND (epoch_caption);
  BIND (batch_value);
  BIND (batch_caption);
  BIND (status_label);
  BIND (loss_value);
  BIND (accuracy_value);
  BIND (progress_bar);
  BIND (loss_chart);
#undef BIND
}

static void
cnv_train_page_init (CnvTrainPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (self->optimizer_row, "notify::selected",
                            G_CALLBACK (update_rows), self);
  g_signal_connect_swapped (self->schedule_row, "notify::selected",
                            G_CALLBACK (update_rows), self);
  {
    GObject *changes[] = {
      G_OBJECT (self->momentum_spin), G_OBJECT (self->decay_spin),
      G_OBJECT (self->step_spin), G_OBJECT (self->gamma_spin),
      G_OBJECT (self->min_factor_spin), G_OBJECT (self->warmup_spin),
      G_OBJECT (self->patience_spin),
    };
    GObject *switches[] = {
      G_OBJECT (self->nesterov_switch), G_OBJECT (self->early_switch),
      G_OBJECT (self->keep_best_switch), G_OBJECT (self->autosave_switch),
    };

    for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
      g_signal_connect_swapped (changes[i], "value-changed",
                                G_CALLBACK (update_rows), self);
    for (guint i = 0; i < G_N_ELEMENTS (switches); i++)
      g_signal_connect_swapped (switches[i], "notify::active",
                                G_CALLBACK (update_rows), self);
  }
  update_rows (self);

  cnv_train_page_set_epochs_trained (self, 0);
}
