/* cli.h — what the subcommands of convolve-cli share
 *
 * Each subcommand lives in its own file and exposes one entry point that
 * takes the arguments after the subcommand name and returns the process
 * exit status.  Errors go to stderr as one line, results to stdout.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cnv.h"

G_BEGIN_DECLS

/* The exit statuses documented in `convolve-cli --help`. */
typedef enum
{
  CNV_CLI_EXIT_OK          = 0,
  CNV_CLI_EXIT_FAILURE     = 1,   /* unreadable input, bad checkpoint, … */
  CNV_CLI_EXIT_USAGE       = 2,   /* wrong options or arguments */
  CNV_CLI_EXIT_UNREADABLE  = 2,   /* diff: a file cannot be read (as git
                                   * diff and cmp say it) */
  CNV_CLI_EXIT_PARTIAL     = 3,   /* some images could not be classified */
  CNV_CLI_EXIT_INTERRUPTED = 130, /* Ctrl+C during training, output saved */
} CnvCliExit;

#define CNV_CLI_NAME "convolve-cli"

/* The batch size of `train` without --batch-size, the app's default too;
 * `inspect` counts a description's memory at it. */
#define CNV_CLI_DEFAULT_BATCH_SIZE 64

int      cnv_cli_train    (int    argc,
                           char **argv);
int      cnv_cli_evaluate (int    argc,
                           char **argv);
int      cnv_cli_predict  (int    argc,
                           char **argv);
int      cnv_cli_inspect  (int    argc,
                           char **argv);
int      cnv_cli_diff     (int    argc,
                           char **argv);
int      cnv_cli_activations (int    argc,
                              char **argv);

/* Parses the options of one subcommand.  On a usage error prints one line
 * and returns FALSE; --help prints the help and exits 0 (GOption's rule). */
gboolean cnv_cli_parse_options (GOptionContext *context,
                                const char     *command,
                                int            *argc,
                                char         ***argv);
/* Prints "convolve-cli: FILE: reason" on one line.  file may be NULL, and
 * is left out when the message already names it. */
void     cnv_cli_print_error   (const char     *file,
                                const GError   *error);
/* Prints each CnvModelProblem of a model description on a line of its
 * own, "convolve-cli: FILE: message"; the engine's message names the
 * layer. */
void     cnv_cli_print_model_problems (const char *file,
                                       GPtrArray  *problems);
/* Prints why path could not be loaded as a checkpoint, like
 * cnv_cli_print_error (), then a hint line when path is plainly not a
 * checkpoint (an image, a text file, a folder).  usage, when not NULL, is
 * the command line that shows where the checkpoint goes. */
void     cnv_cli_print_checkpoint_error (const char   *path,
                                         const GError *error,
                                         const char   *usage);
/* The same for a file that may be a checkpoint or a JSON model
 * description, as diff takes. */
void     cnv_cli_print_record_error (const char   *path,
                                     const GError *error);
/* Prints why the dataset folder could not be loaded, like
 * cnv_cli_print_error (), then a hint line when one of its subfolders holds
 * class folders instead of images: usage followed by that subfolder is
 * what was probably meant ("--data " gives "--data data/sample"). */
void     cnv_cli_print_dataset_error (const char   *folder,
                                      const GError *error,
                                      const char   *usage);
/* Prints "convolve-cli COMMAND: message" for a usage error and returns
 * CNV_CLI_EXIT_USAGE. */
int      cnv_cli_usage_error   (const char     *command,
                                const char     *format,
                                ...) G_GNUC_PRINTF (2, 3);
/* The help text of every --threads option: one rule for all commands. */
#define CNV_CLI_THREADS_HELP \
  N_("Threads for decoding and math, 0 for all cores (default 0)")

/* Checks what is left after option parsing: argv[1…] must hold one
 * argument per name in required (NULL-terminated, translatable names such
 * as "CHECKPOINT"; NULL for none), and no more unless more_allowed; threads
 * is the --threads value (0 means all cores, below 0 is refused).  Prints
 * the usage error and returns CNV_CLI_EXIT_USAGE, or CNV_CLI_EXIT_OK. */
int      cnv_cli_check_arguments (const char         *command,
                                  int                 argc,
                                  char              **argv,
                                  const char * const *required,
                                  gboolean            more_allowed,
                                  int                 threads);
/* Applies --threads when it was given (> 0). */
void     cnv_cli_set_threads   (int             threads);

/* Numbers in machine-readable output always use a '.' decimal point. */
char    *cnv_cli_format_double (double          value,
                                const char     *format);
/* "53,729": thousands grouped as in Keras' summary, whatever the locale. */
char    *cnv_cli_format_count  (gsize           count);
/* Adds a double, or null when it is not finite (JSON has no NaN). */
void     cnv_cli_builder_add_double (JsonBuilder *builder,
                                     const char  *member,
                                     double       value);
/* Prints node as an indented JSON document and a newline on stdout. */
void     cnv_cli_print_json    (JsonNode       *node);

/* How predictions are printed: aligned text, CSV, or JSON lines. */
typedef enum
{
  CNV_CLI_FORMAT_TEXT,
  CNV_CLI_FORMAT_CSV,
} CnvCliFormat;

/* Appends field to out, quoted as RFC 4180 asks when it needs to be. */
void     cnv_cli_append_csv_field (GString    *out,
                                   const char *field);
void     cnv_cli_append_prediction_header (GString      *out,
                                           CnvCliFormat  format);
/* One row: path, predicted class name (at the classifier's threshold),
 * probability of the positive class with six decimals. */
void     cnv_cli_append_prediction (GString             *out,
                                    CnvCliFormat         format,
                                    const CnvClassifier *classifier,
                                    const char          *path,
                                    double               probability);
/* The class name predicted for probability at the classifier's
 * threshold. */
const char *cnv_cli_predicted_class (const CnvClassifier *classifier,
                                     double               probability);

/* Prints what the dataset loader kept and skipped, on stderr. */
void     cnv_cli_print_dataset_summary (const CnvDataset *dataset,
                                        int               positive_class);
/* Shows "Loading images: done/total" on a terminal's stderr. */
void     cnv_cli_dataset_progress_cb (guint    done,
                                      guint    total,
                                      gpointer user_data);
/* Prints the notices a checkpoint reader left, on stderr. */
void     cnv_cli_print_notices (const char          *path,
                                const CnvClassifier *classifier);

G_END_DECLS
