/* convolve-cli.c — the headless front end: dispatch and shared helpers
 *
 * `convolve-cli COMMAND [OPTION…]` hands the arguments after COMMAND to
 * that command's own GOptionContext, so every command has its own --help.
 * The helpers here keep the output rules in one place: one line per error
 * naming the file once, machine-readable numbers with a '.' decimal point
 * whatever the locale, progress only on stderr.
 */
#define G_LOG_DOMAIN "cnv-cli"

#include "cnv-config.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "cli.h"

typedef struct
{
  const char *name;
  int       (*run) (int    argc,
                    char **argv);
  const char *summary;
} Command;

/* Skipped files beyond this many are summarised as "and N more". */
#define MAX_LISTED_SKIPPED 20

static const Command commands[] = {
  { "train", cnv_cli_train, N_("Train a classifier on a folder of images") },
  { "evaluate", cnv_cli_evaluate,
    N_("Measure a checkpoint on a folder of labelled images") },
  { "predict", cnv_cli_predict, N_("Classify images with a checkpoint") },
  { "inspect", cnv_cli_inspect,
    N_("Describe a checkpoint: layers, preprocessing, classes, history") },
  { "activations", cnv_cli_activations,
    N_("Write an image's feature maps and Grad-CAM as PNG files") },
  { "diff", cnv_cli_diff,
    N_("Show what differs between two checkpoints or model descriptions") },
};

static void
print_help (FILE *stream)
{
  fprintf (stream, "%s\n  %s\n\n", _("Usage:"),
           _("convolve-cli COMMAND [OPTION…]"));
  fprintf (stream, "%s\n", _("Train, evaluate, inspect and use binary image "
                             "classifiers saved as\n.convolve checkpoints."));
  fprintf (stream, "\n%s\n", _("Commands:"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-12s %s\n", commands[i].name, _(commands[i].summary));

  fprintf (stream, "\n%s\n", _("Options:"));
  fprintf (stream, "  %-14s %s\n", "-h, --help", _("Show this help"));
  fprintf (stream, "  %-14s %s\n", "--version", _("Show the version"));
  fprintf (stream, "\n%s\n",
           _("Run “convolve-cli COMMAND --help” for the options of a command."));
  fprintf (stream, "\n%s\n", _("Exit status:"));
  fprintf (stream, "  0    %s\n", _("success"));
  fprintf (stream, "  1    %s\n",
           _("a failure on input: an unreadable file or folder, a bad\n"
             "       checkpoint or model description, training that failed"));
  fprintf (stream, "  2    %s\n", _("a usage error: unknown or missing options"));
  fprintf (stream, "  3    %s\n",
           _("predict: some images could not be classified (the others "
             "were);\n       1 when none could"));
  fprintf (stream, "  130  %s\n",
           _("train: stopped with Ctrl+C; the output was saved"));
  fprintf (stream, "\n%s\n",
           _("diff exits 0 when the files do not differ, 1 when they do and "
             "2 when one\ncannot be read, as diff and cmp do."));
  fprintf (stream, "\n%s\n",
           _("Progress and errors go to stderr, results to stdout."));
}

gboolean
cnv_cli_parse_options (GOptionContext *context,
                       const char     *command,
                       int            *argc,
                       char         ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("%s %s", CNV_CLI_NAME, command);

  /* GOption prints the program name in the usage line of --help. */
  g_set_prgname (prgname);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      cnv_cli_usage_error (command, "%s", error->message);
      return FALSE;
    }

  return TRUE;
}

int
cnv_cli_usage_error (const char *command,
                     const char *format,
                     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* TRANSLATORS: "convolve-cli", the command ("train"), the problem,
   * then "convolve-cli" and the command again. */
  fprintf (stderr, _("%s %s: %s (see “%s %s --help”)\n"), CNV_CLI_NAME,
           command, message, CNV_CLI_NAME, command);

  return CNV_CLI_EXIT_USAGE;
}

void
cnv_cli_print_error (const char   *file,
                     const GError *error)
{
  g_autofree char *message = g_strdup (error->message);
  g_autofree char *basename = NULL;
  gboolean named = TRUE;

  /* Keep the error on one line whatever the engine wrote. */
  g_strdelimit (message, "\n", ' ');
  g_strstrip (message);

  if (file != NULL)
    {
      basename = g_path_get_basename (file);
      named = strstr (message, file) != NULL
              || strstr (message, basename) != NULL;
    }

  if (named)
    fprintf (stderr, "%s: %s\n", CNV_CLI_NAME, message);
  else
    fprintf (stderr, "%s: %s: %s\n", CNV_CLI_NAME, file, message);
}

void
cnv_cli_print_model_problems (const char *file,
                              GPtrArray  *problems)
{
  for (guint i = 0; i < problems->len; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);

      fprintf (stderr, "%s: %s: %s\n", CNV_CLI_NAME, file, problem->message);
    }
}

/* What a file that failed to load as a checkpoint plainly is instead,
 * from its name and its first bytes: an image, a text file, or NULL when
 * it does not look like anything else (a damaged checkpoint, say); and in
 * is_image (may be NULL) whether it is an image. */
static const char *
guess_other_kind (const char *path,
                  gboolean   *is_image)
{
  g_autofree char *type = NULL;
  guint8 head[4096];
  gboolean uncertain = FALSE;
  gsize length = 0;
  FILE *file = fopen (path, "rb");

  if (file == NULL)
    return NULL;
  length = fread (head, 1, sizeof head, file);
  fclose (file);

  type = g_content_type_guess (path, head, length, &uncertain);

  if (is_image != NULL)
    *is_image = g_str_has_prefix (type, "image/");
  if (g_str_has_prefix (type, "image/"))
    return _("an image");
  if (g_content_type_is_a (type, "text/plain"))
    return _("a text file");

  return NULL;
}

void
cnv_cli_print_checkpoint_error (const char   *path,
                                const GError *error,
                                const char   *usage)
{
  g_autofree char *what = NULL;
  const char *kind = NULL;
  gboolean swapped = FALSE;   /* an image or a folder: the usual swap */

  cnv_cli_print_error (path, error);

  /* Only a file that is not a safetensors file at all earns a hint: the
   * usual mistake is an image or a text file given in the checkpoint's
   * place; an image or a folder there is most likely the arguments
   * swapped, so only then is their order pointed out. */
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      /* TRANSLATORS: %s is a path. */
      what = g_strdup_printf (_("“%s” is a folder, not a Convolve checkpoint"),
                              path);
      swapped = TRUE;
    }
  else if (g_error_matches (error, CNV_CHECKPOINT_ERROR,
                            CNV_CHECKPOINT_ERROR_HEADER)
           || g_error_matches (error, CNV_CHECKPOINT_ERROR,
                               CNV_CHECKPOINT_ERROR_TRUNCATED))
    {
      kind = guess_other_kind (path, &swapped);
      if (kind != NULL)
        /* TRANSLATORS: the first %s is a path, the second "an image" or
         * "a text file". */
        what = g_strdup_printf (_("“%s” looks like %s, not a Convolve "
                                  "checkpoint"), path, kind);
    }

  /* The engine has already said what the file is; only the order of the
   * arguments is left to point out. */
  if (what == NULL && usage != NULL
      && g_error_matches (error, CNV_CHECKPOINT_ERROR,
                          CNV_CHECKPOINT_ERROR_FORMAT)
      && guess_other_kind (path, &swapped) != NULL && swapped)
    {
      /* TRANSLATORS: %s is a command line such as
       * "convolve-cli predict CHECKPOINT IMAGE…". */
      fprintf (stderr, _("%s: hint: the checkpoint comes first: %s\n"),
               CNV_CLI_NAME, usage);
      return;
    }

  if (what == NULL)
    return;

  if (usage != NULL && swapped)
    /* TRANSLATORS: the second %s is a command line such as
     * "convolve-cli predict CHECKPOINT IMAGE…". */
    fprintf (stderr, _("%s: hint: %s; the checkpoint comes first: %s\n"),
             CNV_CLI_NAME, what, usage);
  else
    fprintf (stderr, _("%s: hint: %s\n"), CNV_CLI_NAME, what);
}

void
cnv_cli_print_record_error (const char   *path,
                            const GError *error)
{
  const char *kind = NULL;

  cnv_cli_print_error (path, error);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    /* TRANSLATORS: %s is a path. */
    fprintf (stderr, _("%s: hint: “%s” is a folder, neither a Convolve "
                       "checkpoint nor a JSON model description\n"),
             CNV_CLI_NAME, path);
  else if ((g_error_matches (error, CNV_CHECKPOINT_ERROR,
                             CNV_CHECKPOINT_ERROR_HEADER)
            || g_error_matches (error, CNV_CHECKPOINT_ERROR,
                                CNV_CHECKPOINT_ERROR_TRUNCATED))
           && (kind = guess_other_kind (path, NULL)) != NULL)
    /* TRANSLATORS: the first %s is a path, the second "an image" or "a
     * text file". */
    fprintf (stderr, _("%s: hint: “%s” looks like %s, neither a Convolve "
                       "checkpoint nor a JSON model description (which "
                       "starts with “{”)\n"), CNV_CLI_NAME, path, kind);
}

void
cnv_cli_print_dataset_error (const char   *folder,
                             const GError *error,
                             const char   *usage)
{
  g_autofree char *nested = NULL;

  cnv_cli_print_error (folder, error);

  /* A folder of datasets (data/ holding sample/ and sample-test/) passes
   * the two-subfolder rule and then fails on empty classes: say which
   * folder was probably meant. */
  if (!g_error_matches (error, CNV_DATASET_ERROR,
                        CNV_DATASET_ERROR_EMPTY_CLASS)
      && !g_error_matches (error, CNV_DATASET_ERROR,
                           CNV_DATASET_ERROR_LAYOUT))
    return;

  nested = cnv_dataset_find_nested (folder);
  if (nested == NULL)
    return;

  /* TRANSLATORS: the first and last %s are a path, the second the start
   * of a command line such as "--data ". */
  fprintf (stderr, _("%s: hint: “%s” holds two class folders of images: "
                     "did you mean %s%s?\n"), CNV_CLI_NAME, nested, usage,
           nested);
}

int
cnv_cli_check_arguments (const char         *command,
                         int                 argc,
                         char              **argv,
                         const char * const *required,
                         gboolean            more_allowed,
                         int                 threads)
{
  int n_required = required != NULL ? (int) g_strv_length ((char **) required)
                                    : 0;

  /* argv[0] is the command; the positional arguments follow. */
  if (argc - 1 < n_required)
    return cnv_cli_usage_error (command, _("missing %s"),
                                _(required[argc - 1]));
  if (!more_allowed && argc - 1 > n_required)
    return cnv_cli_usage_error (command, _("unexpected argument “%s”"),
                                argv[n_required + 1]);

  /* 0, the default, keeps the engine's choice: every core. */
  if (threads < 0)
    return cnv_cli_usage_error (command,
                                _("--threads must be 0 (all cores) or more"));

  return CNV_CLI_EXIT_OK;
}

void
cnv_cli_set_threads (int threads)
{
  if (threads > 0)
    cnv_set_threads (threads);
}

char *
cnv_cli_format_double (double      value,
                       const char *format)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    return g_strdup ("nan");

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, format, value));
}

/* "53,729": thousands grouped as in Keras' summary, whatever the
 * locale, so that the table reads the same everywhere. */
char *
cnv_cli_format_count (gsize count)
{
  return cnv_count_to_display_string (count);
}

void
cnv_cli_builder_add_double (JsonBuilder *builder,
                            const char  *member,
                            double       value)
{
  if (member != NULL)
    json_builder_set_member_name (builder, member);

  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
cnv_cli_print_json (JsonNode *node)
{
  /* Not json-glib's generator: version 1.6 writes 1e-08 as "1e-08.0". */
  g_autofree char *text = cnv_json_to_string (node, TRUE);

  printf ("%s\n", text);
}

void
cnv_cli_append_csv_field (GString    *out,
                          const char *field)
{
  if (strpbrk (field, ",\"\n") == NULL)
    {
      g_string_append (out, field);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = field; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

void
cnv_cli_append_prediction_header (GString      *out,
                                  CnvCliFormat  format)
{
  if (format == CNV_CLI_FORMAT_CSV)
    g_string_append (out, "path,class,probability\n");
}

const char *
cnv_cli_predicted_class (const CnvClassifier *classifier,
                         double               probability)
{
  int positive = classifier->positive_class;

  /* The same rule as the metrics: at or above the threshold is
   * positive. */
  if (probability >= classifier->threshold)
    return classifier->class_names[positive];

  return classifier->class_names[1 - positive];
}

void
cnv_cli_append_prediction (GString             *out,
                           CnvCliFormat         format,
                           const CnvClassifier *classifier,
                           const char          *path,
                           double               probability)
{
  g_autofree char *number = cnv_cli_format_double (probability, "%.6f");
  const char *class_name = cnv_cli_predicted_class (classifier, probability);

  if (format == CNV_CLI_FORMAT_CSV)
    {
      cnv_cli_append_csv_field (out, path);
      g_string_append_c (out, ',');
      cnv_cli_append_csv_field (out, class_name);
      g_string_append_printf (out, ",%s\n", number);
    }
  else
    {
      g_string_append_printf (out, "%s\t%s\t%s\n", path, class_name, number);
    }
}

void
cnv_cli_print_dataset_summary (const CnvDataset *dataset,
                               int               positive_class)
{
  guint n_skipped = dataset->skipped != NULL ? dataset->skipped->len : 0;
  guint n_folders = 0;

  fprintf (stderr, g_dngettext (GETTEXT_PACKAGE, "Dataset %s: %u image\n",
                                "Dataset %s: %u images\n", dataset->n_images),
           dataset->folder, dataset->n_images);

  for (int c = 0; c < 2; c++)
    {
      const char *mark = c == positive_class ? _(" (positive)") : "";

      fprintf (stderr,
               /* TRANSLATORS: "  class 1 “sneaker” (positive): 200 images, 3
                * skipped"; the plural follows the images. */
               g_dngettext (GETTEXT_PACKAGE, "  class %d “%s”%s: %u image, "
                            "%u skipped\n", "  class %d “%s”%s: %u images, "
                            "%u skipped\n", dataset->class_counts[c]),
               c, dataset->class_names[c], mark, dataset->class_counts[c],
               dataset->skipped_counts[c]);
    }

  if (n_skipped == 0)
    return;

  /* Folders are skipped too: a third class, or one the model lacks. */
  for (guint i = 0; i < n_skipped; i++)
    {
      const CnvSkippedFile *skipped = g_ptr_array_index (dataset->skipped, i);

      if (g_file_test (skipped->path, G_FILE_TEST_IS_DIR))
        n_folders++;
    }

  if (n_folders == 0)
    fprintf (stderr,
             g_dngettext (GETTEXT_PACKAGE, "Skipped %u file:\n",
                          "Skipped %u files:\n", n_skipped),
             n_skipped);
  else if (n_folders == n_skipped)
    fprintf (stderr,
             g_dngettext (GETTEXT_PACKAGE, "Skipped %u folder:\n",
                          "Skipped %u folders:\n", n_skipped),
             n_skipped);
  else
    fprintf (stderr,
             g_dngettext (GETTEXT_PACKAGE, "Skipped %u file or folder:\n",
                          "Skipped %u files and folders:\n", n_skipped),
             n_skipped);

  for (guint i = 0; i < n_skipped && i < MAX_LISTED_SKIPPED; i++)
    {
      const CnvSkippedFile *skipped = g_ptr_array_index (dataset->skipped, i);

      fprintf (stderr, "  %s: %s\n", skipped->path, skipped->reason);
    }

  if (n_skipped > MAX_LISTED_SKIPPED)
    fprintf (stderr, _("  … and %u more\n"), n_skipped - MAX_LISTED_SKIPPED);
}

void
cnv_cli_dataset_progress_cb (guint    done,
                             guint    total,
                             gpointer user_data)
{
  /* Redraws every 250 images and at the end. */
  if (done == total || done % 250 == 0)
    {
      fputs ("\r", stderr);
      fprintf (stderr, _("Loading images: %u/%u"), done, total);
    }
}

void
cnv_cli_print_notices (const char          *path,
                       const CnvClassifier *classifier)
{
  if (classifier->notices == NULL)
    return;

  for (guint i = 0; i < classifier->notices->len; i++)
    fprintf (stderr, _("%s: note: %s: %s\n"), CNV_CLI_NAME, path,
             (const char *) g_ptr_array_index (classifier->notices, i));
}

int
main (int    argc,
      char **argv)
{
  const char *name;

  cnv_i18n_init ();
  g_set_prgname (CNV_CLI_NAME);

  if (argc < 2)
    {
      print_help (stderr);
      return CNV_CLI_EXIT_USAGE;
    }

  name = argv[1];

  if (g_str_equal (name, "--help") || g_str_equal (name, "-h")
      || g_str_equal (name, "help"))
    {
      print_help (stdout);
      return CNV_CLI_EXIT_OK;
    }

  if (g_str_equal (name, "--version"))
    {
      printf ("%s %s\n", CNV_CLI_NAME, CNV_VERSION);
      return CNV_CLI_EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (name, commands[i].name))
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, _("%s: unknown command “%s” (see “%s --help”)\n"),
           CNV_CLI_NAME, name, CNV_CLI_NAME);

  return CNV_CLI_EXIT_USAGE;
}
