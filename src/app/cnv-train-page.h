/* cnv-train-page.h — the Train page: settings, progress, curves */
#pragma once

#include <adwaita.h>

#include "cnv.h"
#include "cnv-training-chart.h"

G_BEGIN_DECLS

#define CNV_TYPE_TRAIN_PAGE (cnv_train_page_get_type ())

G_DECLARE_FINAL_TYPE (CnvTrainPage, cnv_train_page, CNV, TRAIN_PAGE, AdwBin)

/* The run the settings describe: epochs, batch size, optimizer, schedule,
 * early stopping and keep-best.  The Data page adds the rest. */
void           cnv_train_page_get_config       (CnvTrainPage           *self,
                                                CnvTrainConfig         *config);
/* Puts config's settings (those get_config reads) on the page. */
void           cnv_train_page_set_config       (CnvTrainPage           *self,
                                                const CnvTrainConfig   *config);
/* Puts the batch size, optimizer, schedule and stopping of c's last run
 * in the settings, so Train continues it as it was. */
void           cnv_train_page_show_settings    (CnvTrainPage           *self,
                                                const CnvClassifier    *c);
/* Epochs the next run adds to; the Epochs row says so when it is > 0. */
void           cnv_train_page_set_epochs_trained (CnvTrainPage         *self,
                                                  guint                 n);
guint          cnv_train_page_get_epochs_trained (CnvTrainPage         *self);
/* While TRUE the settings are frozen (the Train, Pause and Stop buttons
 * follow their actions); FALSE also ends a pause. */
void           cnv_train_page_set_training     (CnvTrainPage           *self,
                                                gboolean                training);
/* Shows c as it is, with no run going: its epochs, its last training
 * loss and accuracy, its history in the chart.  NULL clears everything. */
void           cnv_train_page_show_model       (CnvTrainPage           *self,
                                                const CnvClassifier    *c);
/* A run of n_epochs starts on top of c's history (NULL: a new model). */
void           cnv_train_page_begin_run        (CnvTrainPage           *self,
                                                const CnvClassifier    *c,
                                                guint                   n_epochs);
/* points holds n_points (epoch position, loss, accuracy) triples. */
void           cnv_train_page_add_batches      (CnvTrainPage           *self,
                                                const double           *points,
                                                guint                   n_points);
void           cnv_train_page_show_progress    (CnvTrainPage           *self,
                                                const CnvTrainProgress *p);
void           cnv_train_page_add_epoch        (CnvTrainPage           *self,
                                                const CnvEpochRecord   *record);
void           cnv_train_page_show_stopping    (CnvTrainPage           *self);
/* A stopped run: last is its last progress report, n_complete the
 * epochs in the history, n_partial the batches of the unfinished epoch
 * whose steps are in the weights (0 when it stopped at an epoch's end).
 * The figures stay at what was done and the page says what was kept. */
void           cnv_train_page_show_stopped     (CnvTrainPage           *self,
                                                const CnvTrainProgress *last,
                                                guint                   n_complete,
                                                guint                   n_partial);
/* text goes in the progress bar; complete fills it. */
void           cnv_train_page_end_run          (CnvTrainPage           *self,
                                                const char             *text,
                                                gboolean                complete);

/* A paused run: the bar says so and Pause reads Resume. */
void           cnv_train_page_set_paused       (CnvTrainPage           *self,
                                                gboolean                paused);
gboolean       cnv_train_page_get_paused       (CnvTrainPage           *self);
/* Whether the user wants the best epoch's weights written as they come,
 * and the file they go to, which the Save row names. */
gboolean       cnv_train_page_get_save_best    (CnvTrainPage           *self);
void           cnv_train_page_set_save_best    (CnvTrainPage           *self,
                                                gboolean                save_best);
void           cnv_train_page_set_save_best_path (CnvTrainPage         *self,
                                                  const char           *path);
/* The best weights of the run so far, epoch with its validation loss,
 * are in the file set_save_best_path named. */
void           cnv_train_page_set_best_saved   (CnvTrainPage           *self,
                                                guint                   epoch,
                                                double                  loss);
/* A line under the bar about how the run ended (NULL hides it). */
void           cnv_train_page_set_status       (CnvTrainPage           *self,
                                                const char             *text);

/* Why the layer stack cannot be trained, shown above the settings; NULL
 * hides it. */
void           cnv_train_page_set_invalid_reason (CnvTrainPage         *self,
                                                  const char           *reason);
const char    *cnv_train_page_get_invalid_reason (CnvTrainPage         *self);
/* The batch size the editor's memory figures follow. */
GtkSpinButton *cnv_train_page_get_batch_spin   (CnvTrainPage           *self);

/* How long a finished run took: "2.4 s" under ten seconds, "1:52" from
 * there on. */
char          *cnv_train_page_format_took      (double                  seconds);

/* For tests/test-app.c */
GtkSpinButton *cnv_train_page_get_epochs_spin  (CnvTrainPage           *self);
GtkWidget     *cnv_train_page_get_stop_button  (CnvTrainPage           *self);
GtkWidget     *cnv_train_page_get_settings_list (CnvTrainPage          *self);
guint          cnv_train_page_get_n_chart_points (CnvTrainPage         *self);
/* The value and caption of the Epoch figure, and the bar's text. */
const char    *cnv_train_page_get_epoch_text   (CnvTrainPage           *self);
const char    *cnv_train_page_get_epoch_caption (CnvTrainPage          *self);
const char    *cnv_train_page_get_progress_text (CnvTrainPage          *self);
double         cnv_train_page_get_progress_fraction (CnvTrainPage      *self);
const char    *cnv_train_page_get_batch_text   (CnvTrainPage           *self);
/* The line under the bar after a stop; NULL when hidden. */
const char    *cnv_train_page_get_status_text  (CnvTrainPage           *self);
CnvTrainingChart *cnv_train_page_get_loss_chart (CnvTrainPage        *self);
CnvTrainingChart *cnv_train_page_get_accuracy_chart (CnvTrainPage    *self);
/* Elapsed, remaining, images/s and learning rate; NULL when hidden. */
const char    *cnv_train_page_get_timing_text  (CnvTrainPage           *self);
GtkWidget     *cnv_train_page_get_pause_button (CnvTrainPage           *self);
/* Batches per epoch in the last progress report; 0 before one. */
guint          cnv_train_page_get_n_batches    (CnvTrainPage           *self);

G_END_DECLS
