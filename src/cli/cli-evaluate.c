/* cli-evaluate.c — `convolve-cli evaluate`: a checkpoint measured on a
 * folder
 *
 * The folder's class subfolders are matched by the names the checkpoint
 * stored, not by their sorted order, so a folder where a third class was
 * added or the names sort differently still scores the right way round.
 */
#define G_LOG_DOMAIN "cnv-cli-evaluate"

#include "cnv-config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <math.h>

#include <glib/gi18n.h>

#include "cli.h"

typedef struct
{
  gboolean json;
  int      threads;
  double   threshold;   /* NAN: the checkpoint's */
} EvaluateOptions;

/* matrix[true][predicted] in class index order. */
static void
fill_confusion (const CnvMetrics *metrics,
                guint             matrix[2][2])
{
  matrix[0][0] = metrics->tn;
  matrix[0][1] = metrics->fp;
  matrix[1][0] = metrics->fn;
  matrix[1][1] = metrics->tp;
}

static void
print_text (const CnvClassifier *classifier,
            const CnvDataset    *dataset,
            const CnvMetrics    *metrics,
            double               average_precision)
{
  const struct { const char *label; double value; } rows[] = {
    { "loss", metrics->loss },
    { "accuracy", metrics->accuracy },
    { "precision", metrics->precision },
    { "recall", metrics->recall },
    { "f1", metrics->f1 },
    { "auc", metrics->auc },
    { "ap", average_precision },
    { "threshold", metrics->threshold },
  };
  guint matrix[2][2];
  int width = 0;

  fill_confusion (metrics, matrix);

  /* The labels stay untranslated so that scripts can pick lines by
   * their first word. */
  printf ("%-10s %u\n", "images", metrics->n);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *number = cnv_cli_format_double (rows[i].value, "%.4f");

      printf ("%-10s %s\n", rows[i].label, number);
    }
  printf ("%-10s %s\n", "positive",
          classifier->class_names[classifier->positive_class]);

  for (int c = 0; c < 2; c++)
    width = MAX (width, (int) g_utf8_strlen (dataset->class_names[c], -1));
  width = MAX (width, 10);

  printf ("\n%s\n", _("Confusion matrix (rows: true class, columns: "
                      "predicted class):"));
  printf ("%*s", width + 2, "");
  for (int c = 0; c < 2; c++)
    printf ("  %*s", width, dataset->class_names[c]);
  printf ("\n");

  for (int t = 0; t < 2; t++)
    {
      /* Pad by characters, not bytes, so that non-ASCII names line up. */
      int pad = width - (int) g_utf8_strlen (dataset->class_names[t], -1);

      printf ("  %s%*s", dataset->class_names[t], pad, "");
      for (int p = 0; p < 2; p++)
        printf ("  %*u", width, matrix[t][p]);
      printf ("\n");
    }
}

static void
print_json (const char          *checkpoint,
            const CnvClassifier *classifier,
            const CnvDataset    *dataset,
            const CnvMetrics    *metrics,
            double               average_precision)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  guint matrix[2][2];

  fill_confusion (metrics, matrix);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "checkpoint");
  json_builder_add_string_value (builder, checkpoint);
  json_builder_set_member_name (builder, "folder");
  json_builder_add_string_value (builder, dataset->folder);
  json_builder_set_member_name (builder, "images");
  json_builder_add_int_value (builder, metrics->n);
  json_builder_set_member_name (builder, "skipped");
  json_builder_add_int_value (builder, dataset->skipped->len);

  json_builder_set_member_name (builder, "classes");
  json_builder_begin_array (builder);
  for (int c = 0; c < 2; c++)
    json_builder_add_string_value (builder, classifier->class_names[c]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "positive_class");
  json_builder_add_string_value (builder,
    classifier->class_names[classifier->positive_class]);

  cnv_cli_builder_add_double (builder, "threshold", metrics->threshold);
  cnv_cli_builder_add_double (builder, "loss", metrics->loss);
  cnv_cli_builder_add_double (builder, "accuracy", metrics->accuracy);
  cnv_cli_builder_add_double (builder, "precision", metrics->precision);
  cnv_cli_builder_add_double (builder, "recall", metrics->recall);
  cnv_cli_builder_add_double (builder, "f1", metrics->f1);
  cnv_cli_builder_add_double (builder, "auc", metrics->auc);
  cnv_cli_builder_add_double (builder, "average_precision", average_precision);

  /* confusion_matrix[true class][predicted class], in "classes" order. */
  json_builder_set_member_name (builder, "confusion_matrix");
  json_builder_begin_array (builder);
  for (int t = 0; t < 2; t++)
    {
      json_builder_begin_array (builder);
      for (int p = 0; p < 2; p++)
        json_builder_add_int_value (builder, matrix[t][p]);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  cnv_cli_print_json (root);
}

static int
run_evaluate (const EvaluateOptions *opts,
              const char            *checkpoint,
              const char            *folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvEvaluation) evaluation = NULL;
  gboolean tty = isatty (STDERR_FILENO);
  CnvMetrics metrics;

  cnv_cli_set_threads (opts->threads);

  classifier = cnv_checkpoint_load (checkpoint, &error);
  if (classifier == NULL)
    {
      cnv_cli_print_checkpoint_error (checkpoint, error,
        _("convolve-cli evaluate CHECKPOINT FOLDER"));
      return CNV_CLI_EXIT_FAILURE;
    }
  cnv_cli_print_notices (checkpoint, classifier);
  if (!isnan (opts->threshold))
    classifier->threshold = opts->threshold;

  dataset = cnv_dataset_load (folder, &classifier->preprocessing,
                              (const char * const *) classifier->class_names,
                              NULL,
                              tty ? cnv_cli_dataset_progress_cb : NULL, NULL,
                              &error);
  if (tty)
    fputs ("\r\033[K", stderr);
  if (dataset == NULL)
    {
      cnv_cli_print_dataset_error (folder, error,
        _("convolve-cli evaluate CHECKPOINT "));
      return CNV_CLI_EXIT_FAILURE;
    }

  cnv_cli_print_dataset_summary (dataset, classifier->positive_class);

  /* The app's Evaluate page measures the same way. */
  evaluation = cnv_evaluation_new (classifier, dataset, NULL, NULL, &error);
  if (evaluation == NULL)
    {
      cnv_cli_print_error (checkpoint, error);
      return CNV_CLI_EXIT_FAILURE;
    }
  cnv_evaluation_metrics_at (evaluation, classifier->threshold, &metrics);

  if (opts->json)
    print_json (checkpoint, classifier, dataset, &metrics,
                evaluation->curves->average_precision);
  else
    print_text (classifier, dataset, &metrics,
                evaluation->curves->average_precision);

  return CNV_CLI_EXIT_OK;
}

int
cnv_cli_evaluate (int    argc,
                  char **argv)
{
  EvaluateOptions opts = { FALSE, 0, NAN };
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts.json,
      N_("Print a JSON document instead of text"), NULL },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &opts.threads,
      CNV_CLI_THREADS_HELP, "N" },
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &opts.threshold,
      N_("Probability from which an image counts as positive (default: the "
         "checkpoint's)"), "P" },
    { NULL }
  };
  const char * const required[] = { N_("CHECKPOINT"), N_("FOLDER"), NULL };
  g_autoptr(GOptionContext) context = NULL;
  int status;

  context = g_option_context_new (_("CHECKPOINT FOLDER — measure a "
                                    "checkpoint on labelled images"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("FOLDER holds one subfolder per class, named as the checkpoint's "
      "classes; other subfolders are ignored.  Every image is used.  Prints "
      "the loss, accuracy, precision, recall, F1, ROC AUC and average precision "
      "of the positive class at the checkpoint's threshold, and the confusion "
      "matrix."));

  if (!cnv_cli_parse_options (context, "evaluate", &argc, &argv))
    return CNV_CLI_EXIT_USAGE;

  if (!isnan (opts.threshold)
      && !(opts.threshold >= 0.0 && opts.threshold <= 1.0))
    return cnv_cli_usage_error ("evaluate",
                                _("--threshold must be from 0 to 1"));

  status = cnv_cli_check_arguments ("evaluate", argc, argv, required, FALSE,
                                    opts.threads);
  if (status != CNV_CLI_EXIT_OK)
    return status;

  return run_evaluate (&opts, argv[1], argv[2]);
}
