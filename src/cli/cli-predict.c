/* cli-predict.c — `convolve-cli predict`: one row per image on stdout
 *
 * Every file goes through cnv_classifier_predict_file (), the same
 * decoding and preprocessing that training used, so a saved and reopened
 * checkpoint gives the probabilities the model gave before saving.  A file
 * that cannot be read costs one error line and the exit status, never the
 * other files' predictions.
 */
#define G_LOG_DOMAIN "cnv-cli-predict"

#include "cnv-config.h"

#include <math.h>
#include <stdio.h>

#include <glib/gi18n.h>

#include "cli.h"

typedef struct
{
  gboolean csv;
  gboolean json;
  int      threads;
  double   threshold;   /* NAN: the checkpoint's */
} PredictOptions;

static void
json_begin (JsonBuilder         *builder,
            const char          *checkpoint,
            const CnvClassifier *classifier)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "checkpoint");
  json_builder_add_string_value (builder, checkpoint);
  json_builder_set_member_name (builder, "positive_class");
  json_builder_add_string_value (builder,
    classifier->class_names[classifier->positive_class]);
  cnv_cli_builder_add_double (builder, "threshold", classifier->threshold);
  json_builder_set_member_name (builder, "predictions");
  json_builder_begin_array (builder);
}

static void
json_add_row (JsonBuilder         *builder,
              const CnvClassifier *classifier,
              const char          *path,
              double               probability,
              const GError        *error)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  if (error == NULL)
    {
      json_builder_set_member_name (builder, "class");
      json_builder_add_string_value (builder,
        cnv_cli_predicted_class (classifier, probability));
      cnv_cli_builder_add_double (builder, "probability", probability);
    }
  else
    {
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, error->message);
    }
  json_builder_end_object (builder);
}

/* One path to classify, or the reason it cannot be. */
typedef struct
{
  char   *path;
  GError *error;
} Entry;

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->path);
  g_clear_error (&entry->error);
  g_free (entry);
}

static void
add_entry (GPtrArray  *entries,
           const char *path,
           GError     *error)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->path = g_strdup (path);
  entry->error = error;
  g_ptr_array_add (entries, entry);
}

/* Adds what path names to entries: cnv_list_image_files () decides, as it
 * does for the app, so a file is used whatever its extension and a folder
 * is walked.  The one difference is handled here: a folder without image
 * files is an empty listing for the engine but a failure for a request to
 * classify it.  A path that fails becomes an entry carrying its error, so
 * that --json reports every argument in order. */
static void
collect_files (const char *path,
               GPtrArray  *entries)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = cnv_list_image_files (path, &error);

  if (found == NULL)
    {
      add_entry (entries, path, g_steal_pointer (&error));
      return;
    }

  if (found->len == 0)
    {
      g_autofree char *display = g_filename_display_name (path);

      add_entry (entries, path,
                 g_error_new (CNV_DATASET_ERROR, CNV_DATASET_ERROR_FOLDER,
                              _("The folder “%s” holds no image files."),
                              display));
      return;
    }

  for (guint i = 0; i < found->len; i++)
    add_entry (entries, g_ptr_array_index (found, i), NULL);
}

static int
run_predict (const PredictOptions *opts,
             const char           *checkpoint,
             int                   n_paths,
             char                **paths)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (entry_free);
  g_autoptr(GString) row = g_string_new (NULL);
  g_autoptr(JsonBuilder) builder = NULL;
  CnvCliFormat format = opts->csv ? CNV_CLI_FORMAT_CSV : CNV_CLI_FORMAT_TEXT;
  guint n_failed = 0;

  cnv_cli_set_threads (opts->threads);

  classifier = cnv_checkpoint_load (checkpoint, &error);
  if (classifier == NULL)
    {
      cnv_cli_print_checkpoint_error (checkpoint, error,
        _("convolve-cli predict CHECKPOINT IMAGE…"));
      return CNV_CLI_EXIT_FAILURE;
    }
  cnv_cli_print_notices (checkpoint, classifier);
  if (!isnan (opts->threshold))
    classifier->threshold = opts->threshold;

  for (int i = 0; i < n_paths; i++)
    collect_files (paths[i], entries);

  if (opts->json)
    {
      builder = json_builder_new ();
      json_begin (builder, checkpoint, classifier);
    }
  else
    {
      cnv_cli_append_prediction_header (row, format);
      fputs (row->str, stdout);
    }

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);
      const char *path = entry->path;
      double probability = 0.0;

      if (entry->error == NULL)
        cnv_classifier_predict_file (classifier, path, &probability, NULL,
                                     &entry->error);

      if (entry->error != NULL)
        {
          /* Keep the order of stdout and stderr readable on a terminal. */
          fflush (stdout);
          cnv_cli_print_error (path, entry->error);
          n_failed++;
          if (builder != NULL)
            json_add_row (builder, classifier, path, 0.0, entry->error);
          continue;
        }

      if (builder != NULL)
        {
          json_add_row (builder, classifier, path, probability, NULL);
          continue;
        }

      g_string_truncate (row, 0);
      cnv_cli_append_prediction (row, format, classifier, path, probability);
      fputs (row->str, stdout);
    }

  if (builder != NULL)
    {
      g_autoptr(JsonNode) root = NULL;

      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      cnv_cli_print_json (root);
    }

  fflush (stdout);

  if (n_failed > 0)
    {
      fprintf (stderr,
               g_dngettext (GETTEXT_PACKAGE,
                            "%s: %u path could not be classified\n",
                            "%s: %u paths could not be classified\n",
                            n_failed),
               CNV_CLI_NAME, n_failed);
      /* 3 says the others were classified: with none, it is a failure. */
      return n_failed < entries->len ? CNV_CLI_EXIT_PARTIAL
                                     : CNV_CLI_EXIT_FAILURE;
    }

  return CNV_CLI_EXIT_OK;
}

int
cnv_cli_predict (int    argc,
                 char **argv)
{
  PredictOptions opts = { FALSE, FALSE, 0, NAN };
  const GOptionEntry entries[] = {
    { "csv", 0, 0, G_OPTION_ARG_NONE, &opts.csv,
      N_("Print CSV with a header row: path,class,probability"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts.json,
      N_("Print one JSON document; files that failed carry an “error”"),
      NULL },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &opts.threads,
      CNV_CLI_THREADS_HELP, "N" },
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &opts.threshold,
      N_("Probability from which an image counts as positive (default: the "
         "checkpoint's)"), "P" },
    { NULL }
  };
  const char * const required[] = {
    N_("CHECKPOINT"), N_("the images to classify"), NULL
  };
  g_autoptr(GOptionContext) context = NULL;
  int status;

  context = g_option_context_new (_("CHECKPOINT PATH… — classify images"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("Prints one row per image: the path, the predicted class at the "
      "checkpoint's threshold (or --threshold), and the probability of the "
      "positive class, separated by tabs (or as CSV with --csv, or JSON with --json).  "
      "Folders are walked recursively for image files.\n\n"
      "A file that cannot be classified prints an error line on stderr and "
      "the others are still classified; the exit status is then 3."));

  if (!cnv_cli_parse_options (context, "predict", &argc, &argv))
    return CNV_CLI_EXIT_USAGE;

  if (!isnan (opts.threshold)
      && !(opts.threshold >= 0.0 && opts.threshold <= 1.0))
    return cnv_cli_usage_error ("predict",
                                _("--threshold must be from 0 to 1"));

  status = cnv_cli_check_arguments ("predict", argc, argv, required, TRUE,
                                    opts.threads);
  if (status != CNV_CLI_EXIT_OK)
    return status;
  if (opts.csv && opts.json)
    return cnv_cli_usage_error ("predict", _("--csv and --json cannot be "
                                             "used together"));

  return run_predict (&opts, argv[1], argc - 2, argv + 2);
}
