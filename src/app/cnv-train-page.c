/* cnv-train-page.c — the Train page
 *
 * The settings of the next run, a card with the figures of the run going
 * on (or of the model on screen when none is), a progress bar and the
 * loss curve.  Train and Stop are the window's actions; the window feeds
 * the page the reports of its training thread.
 *
 * The one idea: epochs are counted two ways and the page always says
 * which.  The Epoch figure counts over the model's whole life, the way
 * the checkpoint and the side pane count; the progress bar counts within
 * this run, and its text says so, so its fraction is what it reads.
 */
#define G_LOG_DOMAIN "cnv-train-page"

#include <math.h>
#include <glib/gi18n.h>

#include "cnv-loss-chart.h"
#include "cnv-train-page.h"

struct _CnvTrainPage
{
  AdwBin parent_instance;

  /* template children */
  GtkWidget      *settings_list;
  GtkWidget      *stop_button;
  AdwActionRow   *epochs_row;
  GtkSpinButton  *epochs_spin;
  GtkSpinButton  *batch_spin;
  GtkSpinButton  *rate_spin;
  AdwComboRow    *optimizer_row;
  GtkLabel       *epoch_value;
  GtkLabel       *epoch_caption;
  GtkLabel       *batch_value;
  GtkLabel       *batch_caption;
  GtkLabel       *status_label;
  GtkWidget      *invalid_box;
  GtkLabel       *invalid_label;
  GtkLabel       *loss_value;
  GtkLabel       *accuracy_value;
  GtkProgressBar *progress_bar;
  CnvLossChart   *loss_chart;

  /* state */
  guint           epochs_trained;
  guint           run_first_epoch;
  guint           run_last_epoch;
  guint           n_batches;      /* per epoch, as last reported */
};

G_DEFINE_FINAL_TYPE (CnvTrainPage, cnv_train_page, ADW_TYPE_BIN)

static char *
format_duration (double seconds)
{
  int n;

  if (seconds < 60)
    {
      n = (int) ceil (seconds);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "About %d second left",
                                           "About %d seconds left", n), n);
    }

  n = (int) ceil (seconds / 60);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "About %d minute left",
                                       "About %d minutes left", n), n);
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
  gtk_label_set_label (self->loss_value, loss);
  gtk_label_set_label (self->accuracy_value, accuracy);
}

/* Adds c's per-epoch losses to the chart. */
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
}

void
cnv_train_page_set_config (CnvTrainPage         *self,
                           const CnvTrainConfig *config)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));
  g_return_if_fail (config != NULL);

  gtk_spin_button_set_value (self->epochs_spin, config->epochs);
  gtk_spin_button_set_value (self->batch_spin, config->batch_size);
  gtk_spin_button_set_value (self->rate_spin, config->optimizer.learning_rate);
  adw_combo_row_set_selected (self->optimizer_row,
                              config->optimizer.kind == CNV_OPTIMIZER_SGD
                              ? 1 : 0);
}

void
cnv_train_page_show_settings (CnvTrainPage        *self,
                              const CnvClassifier *c)
{
  const CnvOptimizerConfig *config;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));
  g_return_if_fail (c != NULL);

  if (c->batch_size > 0)
    gtk_spin_button_set_value (self->batch_spin, c->batch_size);

  if (c->optimizer == NULL)
    return;

  config = cnv_optimizer_get_config (c->optimizer);
  gtk_spin_button_set_value (self->rate_spin, config->learning_rate);
  adw_combo_row_set_selected (self->optimizer_row,
                              config->kind == CNV_OPTIMIZER_SGD ? 1 : 0);
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

  /* Only the settings freeze: the Train and Stop buttons sit in the
   * group's header and follow their actions. */
  gtk_widget_set_sensitive (self->settings_list, !training);
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

  cnv_loss_chart_clear (self->loss_chart);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);

  if (c == NULL || c->history->len == 0)
    {
      set_figures (self, "–", _("Epoch"), "–", "–", "–");
      gtk_progress_bar_set_text (self->progress_bar, _("Not started"));
      cnv_loss_chart_set_n_epochs (self->loss_chart, 1);
      return;
    }

  last = &g_array_index (c->history, CnvEpochRecord, c->history->len - 1);
  epochs = g_strdup_printf ("%u", last->epoch);
  loss = g_strdup_printf ("%.4f", last->train_loss);
  accuracy = g_strdup_printf ("%.1f %%", 100.0 * last->train_accuracy);
  set_figures (self, epochs, _("Epochs trained"), "–", loss, accuracy);

  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "No run yet; the model has %u epoch",
                                       "No run yet; the model has %u epochs",
                                       last->epoch), last->epoch);
  gtk_progress_bar_set_text (self->progress_bar, text);

  cnv_loss_chart_set_n_epochs (self->loss_chart, last->epoch);
  show_history (self, c);
}

void
cnv_train_page_begin_run (CnvTrainPage        *self,
                          const CnvClassifier *c,
                          guint                n_epochs)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));
  g_return_if_fail (c != NULL);

  self->run_first_epoch = c->history->len + 1;
  self->run_last_epoch = c->history->len + n_epochs;

  /* The chart starts over from the history this run continues, so
   * nothing of an earlier, abandoned run stays on it. */
  cnv_loss_chart_clear (self->loss_chart);
  cnv_loss_chart_set_n_epochs (self->loss_chart, self->run_last_epoch);
  show_history (self, c);

  set_figures (self, "–", _("Epoch"), "–", "–", "–");
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, _("Starting…"));
}

void
cnv_train_page_add_batch_losses (CnvTrainPage *self,
                                 const double *pairs,
                                 guint         n_pairs)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  for (guint i = 0; i < n_pairs; i++)
    cnv_loss_chart_add_batch_loss (self->loss_chart, pairs[2 * i],
                                   pairs[2 * i + 1]);
}

void
cnv_train_page_show_progress (CnvTrainPage           *self,
                              const CnvTrainProgress *p)
{
  g_autofree char *epoch = NULL;
  g_autofree char *batch = NULL;
  g_autofree char *loss = NULL;
  g_autofree char *accuracy = NULL;
  g_autofree char *left = NULL;
  g_autofree char *text = NULL;
  guint n_epochs = self->run_last_epoch - self->run_first_epoch + 1;
  guint run_epoch = p->epoch - self->run_first_epoch + 1;
  double done, total;

  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  if (p->n_batches == 0)
    return;

  self->n_batches = p->n_batches;

  /* Translators: the epoch counted over the model's life, "21 of 210". */
  epoch = g_strdup_printf (_("%u of %u"), p->epoch, p->last_epoch);
  batch = g_strdup_printf (_("%u of %u"), p->batch, p->n_batches);
  loss = g_strdup_printf ("%.4f", p->running_loss);
  accuracy = g_strdup_printf ("%.1f %%", 100.0 * p->running_accuracy);
  set_figures (self, epoch, _("Epoch"), batch, loss, accuracy);

  /* batches of this run done [0, total] */
  done = (double) (run_epoch - 1) * p->n_batches + p->batch;
  total = (double) n_epochs * p->n_batches;
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 CLAMP (done / total, 0.0, 1.0));

  /* The bar counts this run, and says so. */
  if (done > 0 && p->elapsed > 0)
    left = format_duration (p->elapsed * (total - done) / done);
  if (left != NULL)
    /* Translators: the epoch within this run, then the time left. */
    text = g_strdup_printf (_("Epoch %u of %u in this run · %s"),
                            run_epoch, n_epochs, left);
  else
    text = g_strdup_printf (_("Epoch %u of %u in this run"),
                            run_epoch, n_epochs);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

void
cnv_train_page_add_epoch (CnvTrainPage         *self,
                          const CnvEpochRecord *record)
{
  g_return_if_fail (CNV_IS_TRAIN_PAGE (self));

  cnv_loss_chart_add_epoch (self->loss_chart, record->epoch,
                            record->train_loss,
                            record->validation.n > 0 ? record->validation.loss
                                                     : NAN);
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
      batches = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "The weights include its %u "
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
  gtk_label_set_label (self->status_label, status);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
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
  return cnv_loss_chart_get_n_points (self->loss_chart);
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

CnvLossChart *
cnv_train_page_get_loss_chart (CnvTrainPage *self)
{
  return self->loss_chart;
}

double
cnv_train_page_get_progress_fraction (CnvTrainPage *self)
{
  return gtk_progress_bar_get_fraction (self->progress_bar);
}

static void
cnv_train_page_class_init (CnvTrainPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_type_ensure (CNV_TYPE_LOSS_CHART);

  /* AdwBin unparents its child, the template's root, when disposed;
   * gtk_widget_dispose_template () would unparent it a second time. */
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-train-page.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvTrainPage, name)
  BIND (settings_list);
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

  cnv_train_page_set_epochs_trained (self, 0);
}
