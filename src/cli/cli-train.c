/* cli-train.c — `convolve-cli train`: a folder of images in, a checkpoint out
 *
 * Builds a classifier from the default stack, a JSON description or a
 * checkpoint to resume, loads the folder with that model's preprocessing,
 * trains in this thread and saves.  Ctrl+C only raises the engine's stop
 * flag from a plain signal handler: the run ends at the next batch boundary
 * and the weights of the last complete step are still saved.
 */
#define G_LOG_DOMAIN "cnv-cli-train"

#include "cnv-config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cli.h"

#define DEFAULT_EPOCHS      10
#define DEFAULT_LR          0.001
#define DEFAULT_VAL_SPLIT   0.2

typedef struct
{
  char   *data;
  char   *model;
  char   *resume;
  char   *output;
  char   *report;
  char   *optimizer;
  int     epochs;          /* -1 when not given */
  int     batch_size;      /* -1 when not given */
  double  learning_rate;   /* NAN when not given */
  double  weight_decay;    /* NAN when not given */
  double  momentum;        /* NAN when not given */
  double  val_split;       /* NAN when not given */
  gint64  seed;            /* -1 when not given */
  int     threads;         /* 0 when not given */
  char   *schedule;        /* NULL when not given */
  int     warmup;          /* -1 when not given */
  int     step_epochs;     /* -1 when not given */
  double  gamma;           /* NAN when not given */
  double  min_factor;      /* NAN when not given */
  int     patience;        /* -1 when not given */
  double  min_delta;       /* NAN when not given */
  gboolean keep_best;
  char   *augment;         /* NULL when not given */
  char   *class_weights;   /* NULL when not given */
} TrainOptions;

typedef struct
{
  CnvTrainControl *control;
  gboolean         tty;
  gboolean         stop_reported;
  double           first_loss;    /* of this run's first batch; NAN before */
} TrainRun;

/* A final epoch's loss above this, or above DIVERGED_FACTOR times the
 * first batch's, means the run diverged even though every number stayed
 * finite: binary cross-entropy starts near ln 2 ≈ 0.69. */
#define DIVERGED_LOSS   100.0
#define DIVERGED_FACTOR 10.0

/* The signal handler reaches the run's stop flag through this pointer,
 * set before the handler is installed and cleared after it is removed. */
static CnvTrainControl *sigint_control = NULL;

static void
train_options_clear (TrainOptions *opts)
{
  g_clear_pointer (&opts->data, g_free);
  g_clear_pointer (&opts->model, g_free);
  g_clear_pointer (&opts->resume, g_free);
  g_clear_pointer (&opts->output, g_free);
  g_clear_pointer (&opts->report, g_free);
  g_clear_pointer (&opts->optimizer, g_free);
  g_clear_pointer (&opts->schedule, g_free);
  g_clear_pointer (&opts->augment, g_free);
  g_clear_pointer (&opts->class_weights, g_free);
}

/* "hflip,vflip,shift=2,rotate=10,brightness=0.1,contrast=0.1", or
 * "none".  The message names the part that is wrong. */
static gboolean
parse_augment (const char       *text,
               CnvAugmentation  *a,
               GError          **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  cnv_augmentation_init_default (a);
  if (g_str_equal (text, "none"))
    return TRUE;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (g_strstrip (parts[i]), "=", 2);
      const char *key = pair[0];
      const char *value = pair[1];
      char *end = NULL;
      double number = value != NULL ? g_ascii_strtod (value, &end) : NAN;
      gboolean numeric = value != NULL && end != NULL && *end == '\0'
                         && end != value;

      if (g_str_equal (key, "hflip") && value == NULL)
        a->horizontal_flip = TRUE;
      else if (g_str_equal (key, "vflip") && value == NULL)
        a->vertical_flip = TRUE;
      else if (g_str_equal (key, "shift") && numeric
               && number == floor (number))
        a->max_shift = (int) number;
      else if (g_str_equal (key, "rotate") && numeric)
        a->max_rotation = number;
      else if (g_str_equal (key, "brightness") && numeric)
        a->brightness = number;
      else if (g_str_equal (key, "contrast") && numeric)
        a->contrast = number;
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--augment does not know “%s”; use hflip, vflip, "
                         "shift=PIXELS, rotate=DEGREES, brightness=F and "
                         "contrast=F, separated by commas, or none"),
                       parts[i]);
          return FALSE;
        }
    }

  return cnv_augmentation_validate (a, error);
}

static void
sigint_handler (int signum)
{
  if (sigint_control != NULL)
    g_atomic_int_set (&sigint_control->stop, 1);
}

static void
install_sigint (CnvTrainControl  *control,
                struct sigaction *old_action)
{
  struct sigaction action;

  memset (&action, 0, sizeof action);
  action.sa_handler = sigint_handler;
  sigemptyset (&action.sa_mask);
  /* A second Ctrl+C kills the process: saving is atomic, so the old
   * output file, if any, survives. */
  action.sa_flags = SA_RESETHAND;

  sigint_control = control;
  sigaction (SIGINT, &action, old_action);
}

static void
remove_sigint (const struct sigaction *old_action)
{
  sigaction (SIGINT, old_action, NULL);
  sigint_control = NULL;
}

static void
train_progress_cb (const CnvTrainProgress *progress,
                   gpointer                user_data)
{
  TrainRun *run = user_data;

  if (!run->stop_reported && g_atomic_int_get (&run->control->stop))
    {
      if (run->tty)
        fputs ("\r\033[K", stderr);
      fprintf (stderr, "%s\n",
               _("Stopping after this batch and saving "
                 "(press Ctrl+C again to quit without saving)…"));
      run->stop_reported = TRUE;
    }

  if (progress->kind == CNV_TRAIN_PROGRESS_BATCH)
    {
      /* The first batch's loss is measured before any update: the loss
       * the run starts from. */
      if (isnan (run->first_loss))
        run->first_loss = progress->batch_loss;

      if (!run->tty)
        return;

      /* Rewrites one line in place: carriage return, clear to the end. */
      fputs ("\r\033[K", stderr);
      fprintf (stderr, _("epoch %u/%u  batch %u/%u  loss %.4f  accuracy %.4f"),
               progress->epoch, progress->last_epoch, progress->batch,
               progress->n_batches, progress->running_loss,
               progress->running_accuracy);
      return;
    }

  if (run->tty)
    fputs ("\r\033[K", stderr);

  if (progress->record->validation.n > 0)
    {
      const CnvMetrics *val = &progress->record->validation;

      fprintf (stderr,
               _("epoch %u/%u: loss %.4f, accuracy %.4f; validation loss "
                 "%.4f, accuracy %.4f, AUC %.4f; %.1f s, %.0f images/s\n"),
               progress->epoch, progress->last_epoch,
               progress->record->train_loss, progress->record->train_accuracy,
               val->loss, val->accuracy, val->auc, progress->record->seconds,
               progress->images_per_second);
    }
  else
    {
      fprintf (stderr,
               _("epoch %u/%u: loss %.4f, accuracy %.4f; no validation; "
                 "%.1f s, %.0f images/s\n"),
               progress->epoch, progress->last_epoch,
               progress->record->train_loss, progress->record->train_accuracy,
               progress->record->seconds, progress->images_per_second);
    }
}

/* Refuses an output path that could not be written before any time is
 * spent training. */
static gboolean
check_output (const char  *output,
              GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (output);

  if (g_file_test (output, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   _("this is a folder; give a file name such as "
                     "“model.convolve”"));
      return FALSE;
    }

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("the folder “%s” does not exist"), folder);
      return FALSE;
    }

  if (g_access (folder, W_OK) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("cannot write in the folder “%s”: %s"), folder,
                   g_strerror (errno));
      return FALSE;
    }

  return TRUE;
}

/* NULL with error set when the file cannot be read or parsed; NULL with
 * error unset when the stack has problems, which are printed: the same
 * problems, in the same words, as the editor shows at that batch size. */
static CnvModelSpec *
load_spec (const char  *path,
           int          batch_size,
           GError     **error)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;

  if (path == NULL)
    spec = cnv_model_spec_new_default ();
  else if (!cnv_model_record_is_description (path))
    {
      /* A checkpoint gives its architecture, to train from new weights,
       * as the window's "Import Architecture" does; one that cannot be
       * read says why in the checkpoint reader's words. */
      g_autoptr(CnvModelRecord) record = cnv_model_record_load (path, error);
      g_autofree char *name = g_filename_display_name (path);

      if (record == NULL)
        return NULL;
      spec = cnv_model_record_to_spec (record, path, error);
      if (spec == NULL)
        return NULL;
      fprintf (stderr, _("%s: training the architecture of the "
                         "checkpoint “%s” from new weights; --resume "
                         "continues its training instead\n"),
               CNV_CLI_NAME, name);
    }
  else if (!g_file_get_contents (path, &json, &length, error))
    return NULL;
  else
    spec = cnv_model_spec_new_from_json (json, length, error);

  if (spec == NULL)
    return NULL;

  if (!cnv_model_spec_check (spec, NULL, &problems)
      || !cnv_model_spec_check_memory (spec, batch_size, 0, problems))
    {
      cnv_cli_print_model_problems (path != NULL ? path : "--model", problems);
      return NULL;
    }

  return g_steal_pointer (&spec);
}

static int
check_usage (const TrainOptions *opts,
             int                 argc,
             char              **argv)
{
  g_autoptr(GError) error = NULL;
  CnvOptimizerKind kind;
  CnvScheduleKind schedule;
  CnvClassWeights weights;
  CnvAugmentation augmentation;
  int status;

  status = cnv_cli_check_arguments ("train", argc, argv, NULL, FALSE,
                                    opts->threads);
  if (status != CNV_CLI_EXIT_OK)
    return status;
  if (opts->data == NULL)
    return cnv_cli_usage_error ("train", _("missing --data FOLDER"));
  if (opts->output == NULL)
    return cnv_cli_usage_error ("train", _("missing --output FILE"));
  if (opts->model != NULL && opts->resume != NULL)
    return cnv_cli_usage_error ("train", _("--model and --resume cannot be "
                                           "used together"));
  if (opts->resume != NULL && opts->seed >= 0)
    return cnv_cli_usage_error ("train",
                                _("--seed cannot be used with --resume: the "
                                  "checkpoint's seed is kept so that resuming "
                                  "repeats an uninterrupted run"));
  if (opts->seed == 0 || opts->seed < -1)
    return cnv_cli_usage_error ("train", _("--seed must be at least 1"));
  if (opts->epochs == 0 || opts->epochs < -1)
    return cnv_cli_usage_error ("train", _("--epochs must be at least 1"));
  if (opts->batch_size == 0 || opts->batch_size < -1)
    return cnv_cli_usage_error ("train", _("--batch-size must be at least 1"));
  if (!isnan (opts->learning_rate)
      && !(opts->learning_rate > 0 && isfinite (opts->learning_rate)))
    return cnv_cli_usage_error ("train",
                                _("--learning-rate must be a positive number"));
  if (!isnan (opts->weight_decay)
      && !(opts->weight_decay >= 0 && isfinite (opts->weight_decay)))
    return cnv_cli_usage_error ("train",
                                _("--weight-decay must be 0 or more"));
  if (!isnan (opts->momentum) && !(opts->momentum >= 0 && opts->momentum < 1))
    return cnv_cli_usage_error ("train",
                                _("--momentum must be from 0 to below 1"));
  if (!isnan (opts->val_split)
      && !(opts->val_split >= 0 && opts->val_split < 1))
    return cnv_cli_usage_error ("train",
                                _("--val-split must be from 0 to below 1"));
  if (opts->optimizer != NULL
      && !cnv_optimizer_kind_from_string (opts->optimizer, &kind))
    return cnv_cli_usage_error ("train",
                                _("unknown optimizer “%s”; use adam or sgd"),
                                opts->optimizer);
  if (opts->schedule != NULL
      && !cnv_schedule_kind_from_string (opts->schedule, &schedule))
    return cnv_cli_usage_error ("train",
                                _("unknown schedule “%s”; use constant, step "
                                  "or cosine"), opts->schedule);
  if (opts->step_epochs == 0 || opts->step_epochs < -1)
    return cnv_cli_usage_error ("train", _("--step-epochs must be at least 1"));
  if (opts->warmup < -1 || opts->patience < -1)
    return cnv_cli_usage_error ("train", _("--warmup and --patience must be 0 "
                                           "or more"));
  if (!isnan (opts->gamma) && !(opts->gamma > 0 && opts->gamma <= 1))
    return cnv_cli_usage_error ("train",
                                _("--gamma must be above 0 and at most 1"));
  if (!isnan (opts->min_factor)
      && !(opts->min_factor >= 0 && opts->min_factor <= 1))
    return cnv_cli_usage_error ("train", _("--min-lr-factor must be from 0 "
                                           "to 1"));
  if (!isnan (opts->min_delta) && !(opts->min_delta >= 0))
    return cnv_cli_usage_error ("train", _("--min-delta must be 0 or more"));
  if (opts->class_weights != NULL
      && !cnv_class_weights_from_string (opts->class_weights, &weights))
    return cnv_cli_usage_error ("train",
                                _("unknown class weights “%s”; use none or "
                                  "balanced"), opts->class_weights);
  if (opts->augment != NULL && !parse_augment (opts->augment, &augmentation,
                                               &error))
    return cnv_cli_usage_error ("train", "%s", error->message);

  return CNV_CLI_EXIT_OK;
}

/* The schedule, early stopping, augmentation and class weights: the
 * options, else what a resumed checkpoint used, else off. */
static void
make_run_settings (const TrainOptions  *opts,
                   const CnvClassifier *resumed,
                   CnvTrainConfig      *config)
{
  CnvSchedule *s = &config->schedule;

  if (resumed != NULL && resumed->history->len > 0)
    {
      *s = resumed->schedule;
      config->augmentation = resumed->augmentation;
      config->class_weights = resumed->class_weights;
      config->patience = resumed->patience;
      config->keep_best = resumed->keep_best;
    }

  if (opts->schedule != NULL)
    {
      CnvScheduleKind kind = s->kind;

      cnv_schedule_kind_from_string (opts->schedule, &kind);
      if (kind != s->kind)
        {
          cnv_schedule_init_default (s);
          s->kind = kind;
        }
    }
  if (opts->warmup >= 0)
    s->warmup_epochs = (guint) opts->warmup;
  if (opts->step_epochs > 0)
    s->step_epochs = (guint) opts->step_epochs;
  if (!isnan (opts->gamma))
    s->gamma = opts->gamma;
  if (!isnan (opts->min_factor))
    s->min_factor = opts->min_factor;

  if (opts->patience >= 0)
    config->patience = (guint) opts->patience;
  if (!isnan (opts->min_delta))
    config->min_delta = opts->min_delta;
  if (opts->keep_best)
    config->keep_best = TRUE;
  if (opts->class_weights != NULL)
    cnv_class_weights_from_string (opts->class_weights,
                                   &config->class_weights);
  if (opts->augment != NULL)
    parse_augment (opts->augment, &config->augmentation, NULL);
}

/* Fills config from the options, falling back to what a resumed
 * checkpoint used, then to the documented defaults. */
static void
make_config (const TrainOptions  *opts,
             const CnvClassifier *resumed,
             CnvTrainConfig      *config)
{
  const CnvOptimizerConfig *previous = NULL;
  CnvOptimizerKind kind = CNV_OPTIMIZER_ADAM;

  cnv_train_config_init_default (config);

  if (resumed != NULL && resumed->optimizer != NULL)
    previous = cnv_optimizer_get_config (resumed->optimizer);

  if (opts->optimizer != NULL)
    cnv_optimizer_kind_from_string (opts->optimizer, &kind);
  else if (previous != NULL)
    kind = previous->kind;

  if (previous != NULL && previous->kind == kind)
    config->optimizer = *previous;
  else
    cnv_optimizer_config_init_default (&config->optimizer, kind);

  if (previous == NULL && isnan (opts->learning_rate))
    config->optimizer.learning_rate = DEFAULT_LR;
  if (!isnan (opts->learning_rate))
    config->optimizer.learning_rate = opts->learning_rate;
  if (!isnan (opts->weight_decay))
    config->optimizer.weight_decay = opts->weight_decay;
  if (!isnan (opts->momentum))
    config->optimizer.momentum = opts->momentum;

  config->epochs = opts->epochs > 0 ? (guint) opts->epochs : DEFAULT_EPOCHS;

  if (opts->batch_size > 0)
    config->batch_size = (guint) opts->batch_size;
  else if (resumed != NULL && resumed->batch_size > 0)
    config->batch_size = resumed->batch_size;
  else
    config->batch_size = CNV_CLI_DEFAULT_BATCH_SIZE;

  if (!isnan (opts->val_split))
    config->val_split = opts->val_split;
  else if (resumed != NULL && resumed->history != NULL
           && resumed->history->len > 0)
    config->val_split = resumed->val_split;
  else
    config->val_split = DEFAULT_VAL_SPLIT;

  /* Without --seed the engine's default stays, the one the app starts
   * with, so that a run of either is repeated by the other. */
  if (resumed != NULL)
    config->seed = resumed->seed;
  else if (opts->seed >= 0)
    config->seed = (guint64) opts->seed;

  config->threads = opts->threads;
  make_run_settings (opts, resumed, config);
}

static void
print_settings (const CnvTrainConfig *config,
                const CnvClassifier  *classifier)
{
  g_autofree char *lr = cnv_cli_format_double (config->optimizer.learning_rate,
                                               "%g");
  g_autofree char *n_params =
    cnv_cli_format_count (cnv_model_count_parameters (classifier->model));
  guint first = classifier->history != NULL ? classifier->history->len + 1 : 1;
  int threads = config->threads > 0 ? config->threads : cnv_get_threads ();
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                           classifier->seed);

  fprintf (stderr,
           _("Training epochs %u to %u of a model with %s parameters: %s, "
             "learning rate %s, batch size %u, validation split %g, "
             "seed %s, threads %d\n"),
           first, first + config->epochs - 1, n_params,
           cnv_optimizer_kind_to_string (config->optimizer.kind), lr,
           config->batch_size, config->val_split, seed, threads);

  if (config->schedule.kind != CNV_SCHEDULE_CONSTANT
      || config->schedule.warmup_epochs > 0)
    fprintf (stderr, g_dngettext (GETTEXT_PACKAGE,
                                  "Learning rate: %s schedule, %u warm-up "
                                  "epoch\n",
                                  "Learning rate: %s schedule, %u warm-up "
                                  "epochs\n",
                                  config->schedule.warmup_epochs),
             cnv_schedule_kind_to_string (config->schedule.kind),
             config->schedule.warmup_epochs);
  if (config->patience > 0 || config->keep_best)
    fprintf (stderr, _("Early stopping after %u epochs without a better "
                       "validation loss (0: off); keep the best epoch: "
                       "%s\n"), config->patience,
             config->keep_best ? _("yes") : _("no"));
  if (cnv_augmentation_is_active (&config->augmentation))
    {
      g_autoptr(JsonNode) node =
        cnv_augmentation_to_json_node (&config->augmentation);
      g_autofree char *text = cnv_json_to_string (node, FALSE);

      fprintf (stderr, _("Augmentation: %s\n"), text);
    }
  if (config->class_weights != CNV_CLASS_WEIGHTS_NONE)
    fprintf (stderr, _("Class weights: %s\n"),
             cnv_class_weights_to_string (config->class_weights));
}

/* Warns, without failing, when the last epoch's training loss is far
 * above where the run started: the weights were saved, but they are
 * most likely useless. */
static void
warn_if_diverged (const TrainRun       *run,
                  const CnvClassifier  *classifier,
                  const CnvTrainConfig *config)
{
  const CnvEpochRecord *last;
  g_autofree char *final = NULL;
  g_autofree char *first = NULL;
  g_autofree char *lr = NULL;

  if (classifier->history == NULL || classifier->history->len == 0
      || isnan (run->first_loss))
    return;

  last = &g_array_index (classifier->history, CnvEpochRecord,
                         classifier->history->len - 1);
  if (!(last->train_loss > DIVERGED_LOSS
        || last->train_loss > DIVERGED_FACTOR * run->first_loss))
    return;

  final = cnv_cli_format_double (last->train_loss, "%.4g");
  first = cnv_cli_format_double (run->first_loss, "%.4g");
  lr = cnv_cli_format_double (config->optimizer.learning_rate, "%g");

  fprintf (stderr,
           _("%s: warning: the training loss ended at %s after starting at "
             "%s: the learning rate %s is probably too high; try a learning "
             "rate 10 to 1000 times lower with --learning-rate\n"),
           CNV_CLI_NAME, final, first, lr);
}

/* Writes the in-memory model's probability for every image of the
 * dataset, in the format of `predict --csv`, so that a test can check that
 * the saved and reopened checkpoint predicts exactly the same.  Images go
 * through the model one at a time, as `predict` sends them, so that the
 * report is about the checkpoint and never about how a batch rounds. */
static gboolean
write_report (CnvClassifier    *classifier,
              const CnvDataset *dataset,
              const char       *path,
              GError          **error)
{
  g_autoptr(GString) csv = g_string_new (NULL);

  cnv_cli_append_prediction_header (csv, CNV_CLI_FORMAT_CSV);

  for (guint i = 0; i < dataset->n_images; i++)
    {
      const guint8 *pixels = cnv_dataset_get_pixels (dataset, i);
      float logit;

      /* logit [1] <- image [1, H, W, C] */
      cnv_classifier_predict_pixels (classifier, &pixels, 1, &logit);
      cnv_cli_append_prediction (csv, CNV_CLI_FORMAT_CSV, classifier,
                                 dataset->paths[i], cnv_sigmoid (logit));
    }

  return g_file_set_contents (path, csv->str, (gssize) csv->len, error);
}

static int
run_training (TrainOptions *opts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvDataset) dataset = NULL;
  g_autofree char *step = NULL;
  CnvPreprocessing pp;
  CnvTrainConfig config;
  CnvTrainControl control = { 0 };
  TrainRun run = { &control, isatty (STDERR_FILENO), FALSE, NAN };
  struct sigaction old_action;
  const char * const *class_names = NULL;
  gboolean trained;
  gboolean stopped;
  const char *input_file;

  cnv_cli_set_threads (opts->threads);

  if (!check_output (opts->output, &error))
    {
      cnv_cli_print_error (opts->output, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  if (opts->resume != NULL)
    {
      input_file = opts->resume;
      classifier = cnv_checkpoint_load (opts->resume, &error);
      if (classifier == NULL)
        {
          cnv_cli_print_checkpoint_error (opts->resume, error, NULL);
          return CNV_CLI_EXIT_FAILURE;
        }
      cnv_cli_print_notices (opts->resume, classifier);
      pp = classifier->preprocessing;
      class_names = (const char * const *) classifier->class_names;
    }
  else
    {
      input_file = opts->model;
      spec = load_spec (opts->model,
                        opts->batch_size > 0 ? opts->batch_size
                                             : CNV_CLI_DEFAULT_BATCH_SIZE, &error);
      if (spec == NULL)
        {
          if (error != NULL)
            cnv_cli_print_error (opts->model, error);
          return CNV_CLI_EXIT_FAILURE;
        }
      cnv_preprocessing_init_default (&pp, spec->width, spec->height,
                                      spec->channels);
    }

  dataset = cnv_dataset_load (opts->data, &pp, class_names, NULL,
                              run.tty ? cnv_cli_dataset_progress_cb : NULL, NULL,
                              &error);
  if (run.tty)
    fputs ("\r\033[K", stderr);
  if (dataset == NULL)
    {
      cnv_cli_print_dataset_error (opts->data, error, "--data ");
      return CNV_CLI_EXIT_FAILURE;
    }

  cnv_cli_print_dataset_summary (dataset, 1);
  make_config (opts, classifier, &config);

  if (classifier == NULL)
    {
      const char * const *names = (const char * const *) dataset->class_names;

      classifier = cnv_classifier_new (spec, &pp, names, config.seed, &error);
      if (classifier == NULL)
        {
          cnv_cli_print_error (input_file, error);
          return CNV_CLI_EXIT_FAILURE;
        }
    }

  print_settings (&config, classifier);

  install_sigint (&control, &old_action);
  trained = cnv_classifier_train (classifier, dataset, &config, &control,
                                  train_progress_cb, &run, &error);
  remove_sigint (&old_action);
  stopped = g_atomic_int_get (&control.stop) != 0;

  if (!trained)
    {
      g_autofree char *output = g_filename_display_name (opts->output);

      /* The output is left alone: the weights are not worth keeping. */
      g_prefix_error (&error, _("Nothing was written to “%s”: "), output);
      cnv_cli_print_error (opts->data, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  if (control.stopped_early)
    fprintf (stderr, _("Stopped early: no better validation loss than at "
                       "epoch %u\n"), control.best_epoch);
  if (control.restored_best)
    fprintf (stderr, _("Kept the weights of epoch %u, the lowest validation "
                       "loss\n"), control.best_epoch);

  if (!cnv_checkpoint_save (classifier, opts->output, &error))
    {
      cnv_cli_print_error (opts->output, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  step = g_strdup_printf ("%" G_GINT64_FORMAT,
                          classifier->optimizer != NULL
                          ? cnv_optimizer_get_step (classifier->optimizer)
                          : 0);
  fprintf (stderr, _("Saved %s (epoch %u, step %s)\n"), opts->output,
           classifier->history->len, step);
  warn_if_diverged (&run, classifier, &config);

  if (opts->report != NULL
      && !write_report (classifier, dataset, opts->report, &error))
    {
      cnv_cli_print_error (opts->report, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  return stopped ? CNV_CLI_EXIT_INTERRUPTED : CNV_CLI_EXIT_OK;
}

int
cnv_cli_train (int    argc,
               char **argv)
{
  TrainOptions opts = {
    .epochs = -1, .batch_size = -1, .learning_rate = NAN,
    .weight_decay = NAN, .momentum = NAN, .val_split = NAN, .seed = -1,
    .warmup = -1, .step_epochs = -1, .gamma = NAN, .min_factor = NAN,
    .patience = -1, .min_delta = NAN,
  };
  const GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &opts.data,
      N_("Folder with one subfolder of images per class (required)"),
      N_("FOLDER") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opts.output,
      N_("Checkpoint to write (required); replaced atomically"), N_("FILE") },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opts.model,
      N_("JSON model description, or a checkpoint whose architecture to "
         "train from new weights (default: the built-in LeNet-style stack "
         "for 28×28 grey images)"), N_("FILE") },
    { "resume", 'r', 0, G_OPTION_ARG_FILENAME, &opts.resume,
      N_("Continue training a checkpoint: its preprocessing, classes, "
         "optimizer state, seed and settings are kept"), N_("FILE") },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &opts.epochs,
      N_("Epochs to train now (default 10)"), "N" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &opts.batch_size,
      N_("Images per optimizer step (default 64)"), "N" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &opts.optimizer,
      N_("adam or sgd (default adam)"), N_("NAME") },
    { "learning-rate", 'l', 0, G_OPTION_ARG_DOUBLE, &opts.learning_rate,
      N_("Learning rate (default 0.001)"), "X" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &opts.weight_decay,
      N_("L2 weight decay (default 0)"), "X" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &opts.momentum,
      N_("SGD momentum (default 0.9)"), "X" },
    { "val-split", 0, 0, G_OPTION_ARG_DOUBLE, &opts.val_split,
      N_("Fraction of each class held out for validation, 0 for none "
         "(default 0.2)"), "F" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &opts.seed,
      N_("Seed of the initial weights, split, shuffling and dropout, at "
         "least 1 (default: 42, as in the app)"), "N" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &opts.threads,
      CNV_CLI_THREADS_HELP, "N" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &opts.schedule,
      N_("Learning-rate schedule: constant, step or cosine (default "
         "constant)"), N_("NAME") },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &opts.warmup,
      N_("Epochs of linear warm-up before the schedule (default 0)"), "N" },
    { "step-epochs", 0, 0, G_OPTION_ARG_INT, &opts.step_epochs,
      N_("Step schedule: epochs between two decays (default 10)"), "N" },
    { "gamma", 0, 0, G_OPTION_ARG_DOUBLE, &opts.gamma,
      N_("Step schedule: the factor of each decay (default 0.1)"), "X" },
    { "min-lr-factor", 0, 0, G_OPTION_ARG_DOUBLE, &opts.min_factor,
      N_("Cosine schedule: the final rate as a fraction of the first "
         "(default 0)"), "X" },
    { "patience", 0, 0, G_OPTION_ARG_INT, &opts.patience,
      N_("Stop after N epochs without a better validation loss (default 0: "
         "never)"), "N" },
    { "min-delta", 0, 0, G_OPTION_ARG_DOUBLE, &opts.min_delta,
      N_("How much lower a validation loss must be to count as better "
         "(default 0)"), "X" },
    { "keep-best", 0, 0, G_OPTION_ARG_NONE, &opts.keep_best,
      N_("At the end, go back to the epoch with the lowest validation loss"),
      NULL },
    { "augment", 0, 0, G_OPTION_ARG_STRING, &opts.augment,
      N_("Random changes to training images, e.g. "
         "“hflip,shift=2,rotate=10,brightness=0.1,contrast=0.1”, or none "
         "(default none)"), N_("LIST") },
    { "class-weights", 0, 0, G_OPTION_ARG_STRING, &opts.class_weights,
      N_("none, or balanced to weigh both classes equally in the loss "
         "(default none)"), N_("NAME") },
    { "report-predictions", 0, 0, G_OPTION_ARG_FILENAME, &opts.report,
      N_("After training, write the model's probability for every image of "
         "the folder as CSV, like “predict --csv”"), N_("FILE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  int status;

  context = g_option_context_new (_("— train a classifier on a folder"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("The folder must hold exactly two subfolders, one per class, named "
      "after the classes; the second in sorted order is the positive class. "
      "With --resume the checkpoint's class names choose the subfolders.\n\n"
      "Progress goes to stderr: a dataset summary, then one line per epoch. "
      "Ctrl+C stops at the next batch and still saves the output (exit "
      "status 130); a second Ctrl+C quits without saving.  If the loss "
      "stops being finite, training fails (exit status 1) and the output is "
      "not written."));

  if (!cnv_cli_parse_options (context, "train", &argc, &argv))
    {
      train_options_clear (&opts);
      return CNV_CLI_EXIT_USAGE;
    }

  status = check_usage (&opts, argc, argv);
  if (status == CNV_CLI_EXIT_OK)
    status = run_training (&opts);

  train_options_clear (&opts);

  return status;
}
