/* test-cli.c — convolve-cli run as a user runs it
 *
 * Builds a tiny two-class folder of 28 × 28 PNGs (class "a" bright on the
 * left, class "b" bright on the right), trains the default model on it
 * once, and checks every subcommand's output, exit status and error lines
 * against what the engine itself computes.  CNV_CLI is the binary.
 */
#include "cnv-config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "cnv.h"

#define IMAGES_PER_CLASS 16
#define SIDE 28

typedef struct
{
  int   status;   /* exit status, or -1 when killed by a signal */
  char *out;
  char *err;
} Run;

static char *tmp_dir;
static char *data_dir;
static char *model_path;
static char *report_path;
static Run  *train_run;

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* Runs convolve-cli with the NULL-terminated arguments in the C locale so
 * that messages are untranslated. */
static Run *
run_cli (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  Run *run = g_new0 (Run, 1);
  const char *cli = g_getenv ("CNV_CLI");
  int wait_status = 0;
  va_list args;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (char *) cli);

  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");

  g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL,
                NULL, &run->out, &run->err, &wait_status, &error);
  g_assert_no_error (error);

  run->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  if (run->status != 0)
    g_test_message ("exit %d, stderr:\n%s", run->status, run->err);

  return run;
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    if (*p == '\n')
      n++;

  return n;
}

/* Errors are one line: "convolve-cli: …" naming what failed. */
static void
assert_one_error_line (const Run  *run,
                       const char *named)
{
  g_assert_cmpuint (count_lines (run->err), ==, 1);
  g_assert_true (g_str_has_prefix (run->err, "convolve-cli"));
  g_assert_nonnull (strstr (run->err, named));
}

static void
write_image (const char *path,
             gboolean    bright_left,
             GRand      *rand)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *pixels;
  int stride;

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
  pixels = gdk_pixbuf_get_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++)
      {
        gboolean bright = (x < SIDE / 2) == bright_left;
        int base = bright ? 200 : 0;
        guint8 value = (guint8) (base + g_rand_int_range (rand, 0, 56));

        memset (pixels + y * stride + x * 3, value, 3);
      }

  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
make_dataset (const char *folder,
              guint       n_classes)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  const char *names[] = { "a", "b", "c" };

  for (guint c = 0; c < n_classes; c++)
    {
      g_autofree char *class_dir = g_build_filename (folder, names[c], NULL);

      g_assert_cmpint (g_mkdir_with_parents (class_dir, 0755), ==, 0);
      for (guint i = 0; i < IMAGES_PER_CLASS; i++)
        {
          g_autofree char *name = g_strdup_printf ("%s-%02u.png", names[c], i);
          g_autofree char *path = g_build_filename (class_dir, name, NULL);

          write_image (path, c == 0, rand);
        }
    }
}

/* Trains the shared model once: 2 epochs of the default stack. */
static void
ensure_trained (void)
{
  if (train_run != NULL)
    return;

  train_run = run_cli ("train", "--data", data_dir, "--output", model_path,
                       "--epochs", "2", "--batch-size", "8", "--seed", "1",
                       "--val-split", "0.25", "--threads", "1",
                       "--report-predictions", report_path, NULL);
  g_assert_cmpint (train_run->status, ==, 0);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));

  return node;
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  g_assert_true (json_object_has_member (object, name));

  return json_object_get_object_member (object, name);
}

/* path → probability from the text or CSV rows of predict. */
static GHashTable *
parse_predictions (const char *text,
                   char        separator,
                   gboolean    header)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal,
                                             g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  char sep[2] = { separator, '\0' };

  for (guint i = header ? 1 : 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      if (lines[i][0] == '\0')
        continue;

      fields = g_strsplit (lines[i], sep, -1);
      g_assert_cmpuint (g_strv_length (fields), ==, 3);
      g_hash_table_insert (table, g_strdup (fields[0]),
                           g_strdup_printf ("%s|%s", fields[1], fields[2]));
    }

  return table;
}

static void
test_help (void)
{
  g_autoptr(Run) help = run_cli ("--help", NULL);
  g_autoptr(Run) train_help = run_cli ("train", "--help", NULL);
  g_autoptr(Run) version = run_cli ("--version", NULL);
  g_autoptr(Run) unknown = run_cli ("frobnicate", NULL);
  g_autoptr(Run) bad_option = run_cli ("inspect", "--frobnicate", "x", NULL);

  g_assert_cmpint (help->status, ==, 0);
  for (guint i = 0; i < 4; i++)
    {
      const char *commands[] = { "train", "evaluate", "predict", "inspect" };

      g_assert_nonnull (strstr (help->out, commands[i]));
    }
  g_assert_nonnull (strstr (help->out, "Exit status"));

  g_assert_cmpint (train_help->status, ==, 0);
  g_assert_nonnull (strstr (train_help->out, "--data"));
  g_assert_nonnull (strstr (train_help->out, "--resume"));
  g_assert_nonnull (strstr (train_help->out, "default 64"));

  g_assert_cmpint (version->status, ==, 0);
  g_assert_nonnull (strstr (version->out, CNV_VERSION));

  g_assert_cmpint (unknown->status, ==, 2);
  assert_one_error_line (unknown, "frobnicate");
  g_assert_cmpint (bad_option->status, ==, 2);
  assert_one_error_line (bad_option, "--frobnicate");
}

static void
test_train (void)
{
  g_auto(GStrv) lines = NULL;
  guint n_epoch_lines = 0;

  ensure_trained ();

  g_assert_true (g_file_test (model_path, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (report_path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (train_run->out, ==, "");

  lines = g_strsplit (train_run->err, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "epoch "))
      {
        n_epoch_lines++;
        g_assert_true (g_str_has_prefix (lines[i], n_epoch_lines == 1
                                         ? "epoch 1/2" : "epoch 2/2"));
        g_assert_nonnull (strstr (lines[i], "validation"));
        g_assert_nonnull (strstr (lines[i], "AUC"));
        g_assert_nonnull (strstr (lines[i], "images/s"));
      }
  g_assert_cmpuint (n_epoch_lines, ==, 2);

  /* The summary lists both classes with their counts. */
  g_assert_nonnull (strstr (train_run->err, "“a”: 16 images"));
  g_assert_nonnull (strstr (train_run->err, "“b” (positive): 16 images"));
}

static void
test_inspect_text (void)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autofree CnvShape *shapes = g_new0 (CnvShape, spec->n_layers);
  g_autofree char *conv_row = NULL;
  g_autoptr(GError) error = NULL;

  ensure_trained ();
  run = run_cli ("inspect", model_path, NULL);
  g_assert_cmpint (run->status, ==, 0);

  g_assert_true (cnv_model_spec_validate (spec, shapes, &error));
  g_assert_no_error (error);
  g_assert_cmpint (spec->layers[0].kind, ==, CNV_LAYER_CONV2D);

  /* The first layer's row carries the engine's inferred shape. */
  conv_row = g_strdup_printf ("(None, %d, %d, %d)", shapes[0].channels,
                              shapes[0].height, shapes[0].width);
  g_assert_nonnull (strstr (run->out, spec->layers[0].id));
  g_assert_nonnull (strstr (run->out, conv_row));
  g_assert_nonnull (strstr (run->out, "Trainable params: 53,729"));
  g_assert_nonnull (strstr (run->out, "(positive)"));
  g_assert_nonnull (strstr (run->out, "Training history:"));
}

/* The lines of inspect's text from the "Optimizer:" heading to the next
 * blank line. */
static char *
optimizer_section (const char *text)
{
  const char *start = strstr (text, "\nOptimizer: ");
  const char *end;

  g_assert_nonnull (start);
  end = strstr (start + 1, "\n\n");
  g_assert_nonnull (end);

  return g_strndup (start + 1, end - start);
}

/* The text lists only the settings of the optimizer's kind; --json keeps
 * every field. */
static void
test_inspect_optimizer_fields (void)
{
  g_autofree char *sgd_path = g_build_filename (tmp_dir, "sgd.convolve",
                                                NULL);
  g_autofree char *adam = NULL;
  g_autofree char *sgd = NULL;
  g_autoptr(Run) adam_run = NULL;
  g_autoptr(Run) adam_json = NULL;
  g_autoptr(Run) train = NULL;
  g_autoptr(Run) sgd_run = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *config;

  ensure_trained ();
  adam_run = run_cli ("inspect", model_path, NULL);
  g_assert_cmpint (adam_run->status, ==, 0);
  adam = optimizer_section (adam_run->out);
  g_assert_true (g_str_has_prefix (adam, "Optimizer: adam, step "));
  g_assert_nonnull (strstr (adam, "\n  learning_rate    0.001\n"));
  g_assert_nonnull (strstr (adam, "\n  beta2            0.999\n"));
  g_assert_nonnull (strstr (adam, "\n  epsilon          1e-08\n"));
  g_assert_null (strstr (adam, "momentum"));
  g_assert_null (strstr (adam, "nesterov"));

  adam_json = run_cli ("inspect", "--json", model_path, NULL);
  root = parse_json (adam_json->out);
  config = member_object (member_object (json_node_get_object (root),
                                         "optimizer"), "config");
  g_assert_true (json_object_has_member (config, "momentum"));
  g_assert_true (json_object_has_member (config, "beta1"));

  train = run_cli ("train", "--data", data_dir, "--output", sgd_path,
                   "--epochs", "1", "--optimizer", "sgd", "--momentum", "0.5",
                   "--seed", "1", "--threads", "1", NULL);
  g_assert_cmpint (train->status, ==, 0);
  sgd_run = run_cli ("inspect", sgd_path, NULL);
  g_assert_cmpint (sgd_run->status, ==, 0);
  sgd = optimizer_section (sgd_run->out);
  g_assert_true (g_str_has_prefix (sgd, "Optimizer: sgd, step "));
  g_assert_nonnull (strstr (sgd, "\n  momentum         0.5\n"));
  g_assert_nonnull (strstr (sgd, "\n  nesterov         false\n"));
  g_assert_null (strstr (sgd, "beta"));
  g_assert_null (strstr (sgd, "epsilon"));
}

static void
test_inspect_json (void)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  JsonObject *object;
  JsonArray *layers;
  JsonArray *history;
  JsonObject *classes;

  ensure_trained ();
  run = run_cli ("inspect", "--json", model_path, NULL);
  g_assert_cmpint (run->status, ==, 0);

  root = parse_json (run->out);
  object = json_node_get_object (root);
  layers = json_object_get_array_member (object, "layers");
  g_assert_cmpuint (json_array_get_length (layers), ==, spec->n_layers);

  for (guint i = 0; i < spec->n_layers; i++)
    {
      JsonObject *layer = json_array_get_object_element (layers, i);

      g_assert_cmpstr (json_object_get_string_member (layer, "id"), ==,
                       spec->layers[i].id);
    }
  g_assert_cmpint (json_object_get_int_member (object,
                                               "trainable_parameters"),
                   ==, 53729);

  classes = json_object_get_object_member (object, "classes");
  g_assert_cmpstr (json_object_get_string_member (classes, "positive"), ==,
                   "b");

  history = json_object_get_array_member (member_object (object, "training"),
                                          "history");
  g_assert_cmpuint (json_array_get_length (history), ==, 2);

  /* Every validation metric of every epoch, as the checkpoint holds it. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CnvClassifier) stored = cnv_checkpoint_load (model_path,
                                                           &error);

    g_assert_no_error (error);
    for (guint e = 0; e < 2; e++)
      {
        JsonObject *epoch = json_array_get_object_element (history, e);
        const CnvMetrics *v = &g_array_index (stored->history,
                                              CnvEpochRecord, e).validation;

        g_assert_cmpfloat (json_object_get_double_member (
          epoch, "validation_precision"), ==, v->precision);
        g_assert_cmpfloat (json_object_get_double_member (
          epoch, "validation_recall"), ==, v->recall);
        g_assert_cmpfloat (json_object_get_double_member (
          epoch, "validation_f1"), ==, v->f1);
      }
  }
}

/* Every row: a known path, class a or b agreeing with the probability
 * and the 0.5 threshold, and exactly the probability the in-memory model
 * gave right after training.  Both sides run on one thread: OpenBLAS may
 * round differently with another thread count, which is not what this
 * checks. */
static void
check_predictions (GHashTable *predicted)
{
  g_autofree char *report = NULL;
  g_autoptr(GHashTable) expected = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_file_get_contents (report_path, &report, NULL, &error);
  g_assert_no_error (error);
  expected = parse_predictions (report, ',', TRUE);

  g_assert_cmpuint (g_hash_table_size (predicted), ==, 2 * IMAGES_PER_CLASS);
  g_assert_cmpuint (g_hash_table_size (expected), ==, 2 * IMAGES_PER_CLASS);

  g_hash_table_iter_init (&iter, predicted);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) fields = g_strsplit (value, "|", 2);
      double probability = g_ascii_strtod (fields[1], NULL);

      g_assert_cmpfloat (probability, >=, 0.0);
      g_assert_cmpfloat (probability, <=, 1.0);
      g_assert_cmpstr (fields[0], ==, probability >= 0.5 ? "b" : "a");
      g_assert_cmpstr (value, ==, g_hash_table_lookup (expected, key));
    }
}

static void
test_predict_text (void)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(GHashTable) predicted = NULL;

  ensure_trained ();
  run = run_cli ("predict", "--threads", "1", model_path, data_dir, NULL);
  g_assert_cmpint (run->status, ==, 0);

  g_assert_cmpuint (count_lines (run->out), ==, 2 * IMAGES_PER_CLASS);
  predicted = parse_predictions (run->out, '\t', FALSE);
  check_predictions (predicted);
}

static void
test_predict_csv (void)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) quoted = NULL;
  g_autoptr(GHashTable) predicted = NULL;
  g_autofree char *source = g_build_filename (data_dir, "a", "a-00.png", NULL);
  g_autofree char *odd = g_build_filename (tmp_dir, "odd, \"name\".png", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *expected_start = NULL;
  gsize length = 0;

  ensure_trained ();
  run = run_cli ("predict", "--csv", "--threads", "1", model_path, data_dir,
                 NULL);
  g_assert_cmpint (run->status, ==, 0);

  g_assert_true (g_str_has_prefix (run->out, "path,class,probability\n"));
  g_assert_cmpuint (count_lines (run->out), ==, 2 * IMAGES_PER_CLASS + 1);
  predicted = parse_predictions (run->out, ',', TRUE);
  check_predictions (predicted);

  /* A comma and quotes in a name are quoted as RFC 4180 asks. */
  g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (odd, contents, (gssize) length, NULL));
  quoted = run_cli ("predict", "--csv", model_path, odd, NULL);
  g_assert_cmpint (quoted->status, ==, 0);
  expected_start = g_strdup_printf ("path,class,probability\n\"%s/odd, "
                                    "\"\"name\"\".png\",", tmp_dir);
  g_assert_true (g_str_has_prefix (quoted->out, expected_start));
}

static void
test_predict_unreadable (void)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) json = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *good = g_build_filename (data_dir, "b", "b-03.png", NULL);
  g_autofree char *bad = g_build_filename (tmp_dir, "broken.png", NULL);
  g_auto(GStrv) fields = NULL;
  JsonArray *rows;
  JsonObject *failed;
  JsonObject *classified;

  ensure_trained ();
  g_assert_true (g_file_set_contents (bad, "not a png at all", -1, NULL));

  run = run_cli ("predict", model_path, bad, good, NULL);
  g_assert_cmpint (run->status, ==, 3);

  /* The good image is still classified. */
  g_assert_cmpuint (count_lines (run->out), ==, 1);
  g_assert_true (g_str_has_prefix (run->out, good));
  g_assert_nonnull (strstr (run->err, "broken.png"));
  g_assert_null (strstr (run->err, "b-03.png"));

  /* Nothing classified at all is a failure, not a partial result. */
  {
    g_autoptr(Run) none = run_cli ("predict", model_path, bad, NULL);

    g_assert_cmpint (none->status, ==, 1);
    g_assert_cmpstr (none->out, ==, "");
    g_assert_nonnull (strstr (none->err, "broken.png"));
  }

  /* --json keeps both, the failure with its message, in argument order. */
  json = run_cli ("predict", "--json", model_path, bad, good, NULL);
  g_assert_cmpint (json->status, ==, 3);
  root = parse_json (json->out);
  rows = json_object_get_array_member (json_node_get_object (root),
                                       "predictions");
  g_assert_cmpuint (json_array_get_length (rows), ==, 2);

  failed = json_array_get_object_element (rows, 0);
  g_assert_cmpstr (json_object_get_string_member (failed, "path"), ==, bad);
  g_assert_nonnull (strstr (json_object_get_string_member (failed, "error"),
                            "broken.png"));
  g_assert_false (json_object_has_member (failed, "probability"));

  classified = json_array_get_object_element (rows, 1);
  fields = g_strsplit (g_strchomp (run->out), "\t", 3);
  g_assert_cmpstr (json_object_get_string_member (classified, "class"), ==,
                   fields[1]);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (classified,
                                                                 "probability"),
                                  g_ascii_strtod (fields[2], NULL), 5e-7);
}

/* Paths are listed by the engine's cnv_list_image_files (): a file with
 * any extension is classified, an empty folder and a missing path each
 * fail with their own reason, and --json keeps all of them in order. */
static void
test_predict_paths (void)
{
  g_autofree char *source = g_build_filename (data_dir, "a", "a-01.png", NULL);
  g_autofree char *renamed = g_build_filename (tmp_dir, "image.data", NULL);
  g_autofree char *empty = g_build_filename (tmp_dir, "empty-folder", NULL);
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.png", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) json = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *rows;
  gsize length = 0;

  ensure_trained ();
  g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (renamed, contents, (gssize) length,
                                      NULL));
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);

  run = run_cli ("predict", model_path, renamed, empty, missing, NULL);
  g_assert_cmpint (run->status, ==, 3);
  g_assert_cmpuint (count_lines (run->out), ==, 1);
  g_assert_true (g_str_has_prefix (run->out, renamed));
  g_assert_nonnull (strstr (run->err, "empty-folder” holds no image files"));
  g_assert_nonnull (strstr (run->err, "missing.png” does not exist"));
  g_assert_nonnull (strstr (run->err, "2 paths could not be classified"));

  json = run_cli ("predict", "--json", model_path, renamed, empty, missing,
                  NULL);
  g_assert_cmpint (json->status, ==, 3);
  root = parse_json (json->out);
  rows = json_object_get_array_member (json_node_get_object (root),
                                       "predictions");
  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  g_assert_true (json_object_has_member (json_array_get_object_element (rows,
                                                                        0),
                                         "probability"));
  for (guint i = 1; i < 3; i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      g_assert_cmpstr (json_object_get_string_member (row, "path"), ==,
                       i == 1 ? empty : missing);
      g_assert_true (json_object_has_member (row, "error"));
    }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* A threshold moved in the app is stored in the checkpoint: predict and
 * evaluate decide with it unless --threshold says otherwise.  The stored
 * threshold puts one image on the other side of 0.5, so that the test can
 * tell which threshold was used. */
static void
test_checkpoint_threshold_used (void)
{
  g_autofree char *moved = g_build_filename (tmp_dir, "moved.convolve", NULL);
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Run) plain = NULL;
  g_autoptr(Run) stored = NULL;
  g_autoptr(Run) overridden = NULL;
  g_autoptr(Run) evaluated = NULL;
  g_autoptr(Run) evaluated_half = NULL;
  g_autoptr(Run) bad = NULL;
  g_autoptr(JsonNode) plain_json = NULL;
  g_autoptr(JsonNode) stored_json = NULL;
  g_autoptr(JsonNode) overridden_json = NULL;
  g_autoptr(JsonNode) evaluated_json = NULL;
  g_autoptr(JsonNode) half_json = NULL;
  g_autoptr(GArray) probabilities = g_array_new (FALSE, FALSE,
                                                 sizeof (double));
  JsonArray *rows;
  JsonArray *stored_rows;
  JsonArray *overridden_rows;
  guint disagreements = 0;
  gint64 positives[2] = { 0, 0 };   /* predicted positive at t, at 0.5 */
  double threshold;

  ensure_trained ();
  plain = run_cli ("predict", "--json", "--threads", "1", model_path,
                   data_dir, NULL);
  g_assert_cmpint (plain->status, ==, 0);
  plain_json = parse_json (plain->out);
  rows = json_object_get_array_member (json_node_get_object (plain_json),
                                       "predictions");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      double p = json_object_get_double_member (
        json_array_get_object_element (rows, i), "probability");

      g_array_append_val (probabilities, p);
    }
  /* The image nearest 0.5 changes sides: a threshold at its probability
   * when below 0.5, halfway from it to 1 when above. */
  g_array_sort (probabilities, (GCompareFunc) compare_doubles);
  threshold = g_array_index (probabilities, double, 0);
  for (guint i = 0; i < probabilities->len; i++)
    {
      double p = g_array_index (probabilities, double, i);

      if (fabs (p - 0.5) < fabs (threshold - 0.5))
        threshold = p;
    }
  if (threshold >= 0.5)
    threshold += (1.0 - threshold) / 2.0;
  g_assert_cmpfloat (threshold, !=, 0.5);
  g_assert_cmpfloat (threshold, <, 1.0);

  classifier = cnv_checkpoint_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (classifier->threshold, ==, 0.5);
  classifier->threshold = threshold;
  g_assert_true (cnv_checkpoint_save (classifier, moved, &error));
  g_assert_no_error (error);

  stored = run_cli ("predict", "--json", "--threads", "1", moved, data_dir,
                    NULL);
  overridden = run_cli ("predict", "--json", "--threads", "1",
                        "--threshold", "0.5", moved, data_dir, NULL);
  g_assert_cmpint (stored->status, ==, 0);
  g_assert_cmpint (overridden->status, ==, 0);
  stored_json = parse_json (stored->out);
  overridden_json = parse_json (overridden->out);
  g_assert_cmpfloat (json_object_get_double_member (
    json_node_get_object (stored_json), "threshold"), ==, threshold);
  g_assert_cmpfloat (json_object_get_double_member (
    json_node_get_object (overridden_json), "threshold"), ==, 0.5);
  stored_rows = json_object_get_array_member (
    json_node_get_object (stored_json), "predictions");
  overridden_rows = json_object_get_array_member (
    json_node_get_object (overridden_json), "predictions");
  g_assert_cmpuint (json_array_get_length (stored_rows), ==,
                    2 * IMAGES_PER_CLASS);

  for (guint i = 0; i < json_array_get_length (stored_rows); i++)
    {
      JsonObject *at_t = json_array_get_object_element (stored_rows, i);
      JsonObject *at_half = json_array_get_object_element (overridden_rows,
                                                           i);
      double p = json_object_get_double_member (at_t, "probability");
      const char *class_t = json_object_get_string_member (at_t, "class");
      const char *class_half = json_object_get_string_member (at_half,
                                                              "class");

      g_assert_cmpstr (class_t, ==, p >= threshold ? "b" : "a");
      g_assert_cmpstr (class_half, ==, p >= 0.5 ? "b" : "a");
      disagreements += g_strcmp0 (class_t, class_half) != 0;
      positives[0] += p >= threshold;
      positives[1] += p >= 0.5;
    }
  g_assert_cmpuint (disagreements, >, 0);

  /* evaluate: the stored threshold, and 0.5 when asked. */
  evaluated = run_cli ("evaluate", "--json", moved, data_dir, NULL);
  evaluated_half = run_cli ("evaluate", "--json", "--threshold", "0.5",
                            moved, data_dir, NULL);
  g_assert_cmpint (evaluated->status, ==, 0);
  evaluated_json = parse_json (evaluated->out);
  half_json = parse_json (evaluated_half->out);
  for (guint k = 0; k < 2; k++)
    {
      JsonObject *object = json_node_get_object (k == 0 ? evaluated_json
                                                        : half_json);
      JsonArray *matrix = json_object_get_array_member (object,
                                                        "confusion_matrix");
      gint64 predicted_positive = 0;

      for (guint t = 0; t < 2; t++)
        predicted_positive += json_array_get_int_element (
          json_array_get_array_element (matrix, t), 1);
      g_assert_cmpfloat (json_object_get_double_member (object, "threshold"),
                         ==, k == 0 ? threshold : 0.5);
      g_assert_cmpint (predicted_positive, ==, positives[k]);
    }

  bad = run_cli ("predict", "--threshold", "1.5", moved, data_dir, NULL);
  g_assert_cmpint (bad->status, ==, 2);
  g_assert_nonnull (strstr (bad->err, "--threshold must be from 0 to 1"));
}

static void
test_evaluate (void)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) text = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonArray *matrix;
  gint64 cells[2][2];
  double accuracy;

  ensure_trained ();
  run = run_cli ("evaluate", "--json", model_path, data_dir, NULL);
  g_assert_cmpint (run->status, ==, 0);

  root = parse_json (run->out);
  object = json_node_get_object (root);
  g_assert_cmpint (json_object_get_int_member (object, "images"), ==,
                   2 * IMAGES_PER_CLASS);

  matrix = json_object_get_array_member (object, "confusion_matrix");
  for (guint t = 0; t < 2; t++)
    for (guint p = 0; p < 2; p++)
      cells[t][p] = json_array_get_int_element (
        json_array_get_array_element (matrix, t), p);

  /* Rows are true classes: each holds that class's 16 images. */
  g_assert_cmpint (cells[0][0] + cells[0][1], ==, IMAGES_PER_CLASS);
  g_assert_cmpint (cells[1][0] + cells[1][1], ==, IMAGES_PER_CLASS);

  accuracy = json_object_get_double_member (object, "accuracy");
  g_assert_cmpfloat_with_epsilon (accuracy,
                                  (cells[0][0] + cells[1][1])
                                  / (double) (2 * IMAGES_PER_CLASS), 1e-9);
  for (guint i = 0; i < 5; i++)
    {
      const char *names[] = { "loss", "precision", "recall", "f1", "auc" };

      g_assert_true (json_object_has_member (object, names[i]));
    }
  g_assert_cmpfloat (json_object_get_double_member (object, "threshold"),
                     ==, 0.5);

  /* A third class folder is left out, and called a folder. */
  {
    g_autofree char *three = g_build_filename (tmp_dir, "evaluate-three",
                                               NULL);
    g_autofree char *expected = g_strdup_printf ("Skipped 1 folder:\n  %s%c"
                                                 "c: not one of the model’s "
                                                 "classes (a, b)\n", three,
                                                 G_DIR_SEPARATOR);
    g_autoptr(Run) skipping = NULL;

    make_dataset (three, 3);
    skipping = run_cli ("evaluate", model_path, three, NULL);
    g_assert_cmpint (skipping->status, ==, 0);
    if (strstr (skipping->err, expected) == NULL)
      g_error ("“%s” does not say “%s”", skipping->err, expected);
  }

  /* AUC and average precision are the engine's, as the app's Evaluate
   * page shows them. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CnvClassifier) classifier = cnv_checkpoint_load (model_path,
                                                               &error);
    g_autoptr(CnvEvaluation) evaluation = NULL;

    g_assert_no_error (error);
    evaluation = cnv_evaluation_new_for_folder (classifier, data_dir, NULL,
                                                &error);
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object,
                                                                   "average_precision"),
                                    evaluation->curves->average_precision, 1e-12);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "auc"),
                                    evaluation->curves->auc, 1e-12);
  }

  text = run_cli ("evaluate", model_path, data_dir, NULL);
  g_assert_cmpint (text->status, ==, 0);
  g_assert_nonnull (strstr (text->out, "\naccuracy "));
  g_assert_nonnull (strstr (text->out, "\nap "));
  g_assert_nonnull (strstr (text->out, "Confusion matrix"));
}

static void
test_error_missing_data (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "never.convolve", NULL);
  g_autoptr(Run) run = run_cli ("train", "--output", out, NULL);

  g_assert_cmpint (run->status, ==, 2);
  assert_one_error_line (run, "--data");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_error_missing_folder (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "no-such-folder",
                                               NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "never.convolve", NULL);
  g_autoptr(Run) run = run_cli ("train", "--data", missing, "--output", out,
                                NULL);

  g_assert_cmpint (run->status, ==, 1);
  assert_one_error_line (run, "no-such-folder");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_error_three_classes (void)
{
  g_autofree char *folder = g_build_filename (tmp_dir, "three", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "never.convolve", NULL);
  g_autoptr(Run) run = NULL;

  make_dataset (folder, 3);
  run = run_cli ("train", "--data", folder, "--output", out, NULL);

  g_assert_cmpint (run->status, ==, 1);
  assert_one_error_line (run, "three");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_error_corrupt_checkpoint (void)
{
  g_autofree char *bad = g_build_filename (tmp_dir, "garbage.convolve", NULL);
  g_autoptr(Run) inspect = NULL;
  g_autoptr(Run) predict = NULL;
  g_autoptr(Run) evaluate = NULL;
  g_autoptr(Run) resume = NULL;
  g_autofree char *out = g_build_filename (tmp_dir, "never.convolve", NULL);

  g_assert_true (g_file_set_contents (bad, "\x13\x37 this is no safetensors "
                                      "file, just garbage bytes", -1, NULL));

  inspect = run_cli ("inspect", bad, NULL);
  g_assert_cmpint (inspect->status, ==, 1);
  assert_one_error_line (inspect, "garbage.convolve");

  predict = run_cli ("predict", bad, data_dir, NULL);
  g_assert_cmpint (predict->status, ==, 1);
  assert_one_error_line (predict, "garbage.convolve");
  g_assert_cmpstr (predict->out, ==, "");

  evaluate = run_cli ("evaluate", "--json", bad, data_dir, NULL);
  g_assert_cmpint (evaluate->status, ==, 1);
  assert_one_error_line (evaluate, "garbage.convolve");

  resume = run_cli ("train", "--data", data_dir, "--resume", bad, "--output",
                    out, NULL);
  g_assert_cmpint (resume->status, ==, 1);
  assert_one_error_line (resume, "garbage.convolve");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* --data one level too high: "nested" holds two datasets, "sample" and
 * "sample-test", each with class folders, and "icons", which sorts first
 * and holds folders but is no dataset (like data/icons beside the
 * sample).  The loader's reason comes first, then a hint naming the
 * folder that was probably meant; a class folder that is simply empty
 * gets no hint. */
static void
test_error_nested_dataset (void)
{
  g_autofree char *nested = g_build_filename (tmp_dir, "nested", NULL);
  g_autofree char *sample = g_build_filename (nested, "sample", NULL);
  g_autofree char *sample_test = g_build_filename (nested, "sample-test",
                                                   NULL);
  g_autofree char *empty = g_build_filename (tmp_dir, "one-empty-class",
                                             NULL);
  g_autofree char *empty_b = g_build_filename (empty, "b", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "never.convolve", NULL);
  g_autofree char *hint = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) evaluate = NULL;
  g_autoptr(Run) plain = NULL;
  g_autofree char *icons = g_build_filename (nested, "icons", "hicolor",
                                             "scalable", NULL);
  g_auto(GStrv) lines = NULL;

  make_dataset (sample, 2);
  make_dataset (sample_test, 2);
  g_assert_cmpint (g_mkdir_with_parents (icons, 0755), ==, 0);

  run = run_cli ("train", "--data", nested, "--output", out, NULL);
  g_assert_cmpint (run->status, ==, 1);
  lines = g_strsplit (run->err, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_nonnull (strstr (lines[0], "nested"));
  hint = g_strdup_printf ("convolve-cli: hint: “%s” holds two class "
                          "folders of images: did you mean --data %s?",
                          sample, sample);
  g_assert_cmpstr (lines[1], ==, hint);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  ensure_trained ();
  evaluate = run_cli ("evaluate", model_path, nested, NULL);
  g_assert_cmpint (evaluate->status, ==, 1);
  g_assert_cmpuint (count_lines (evaluate->err), ==, 2);
  g_assert_nonnull (strstr (evaluate->err, "did you mean convolve-cli "
                                           "evaluate CHECKPOINT "));

  make_dataset (empty, 1);
  g_assert_cmpint (g_mkdir_with_parents (empty_b, 0755), ==, 0);
  plain = run_cli ("train", "--data", empty, "--output", out, NULL);
  g_assert_cmpint (plain->status, ==, 1);
  assert_one_error_line (plain, "one-empty-class");
}

/* An image, a text file or a folder in the checkpoint's place (the
 * arguments swapped) gets the loader's reason, which says what the file
 * is, and then a hint saying where the checkpoint goes. */
static void
test_error_not_a_checkpoint (void)
{
  g_autofree char *image = g_build_filename (data_dir, "a", "a-02.png", NULL);
  g_autofree char *text = g_build_filename (tmp_dir, "notes.txt", NULL);
  g_autoptr(Run) swapped = NULL;
  g_autoptr(Run) inspect_text = NULL;
  g_autoptr(Run) text_first = NULL;
  g_autoptr(Run) evaluate_folder = NULL;
  g_auto(GStrv) lines = NULL;

  ensure_trained ();
  g_assert_true (g_file_set_contents (text, "Ankle boots are positive.\n",
                                      -1, NULL));

  swapped = run_cli ("predict", image, model_path, NULL);
  g_assert_cmpint (swapped->status, ==, 1);
  g_assert_cmpstr (swapped->out, ==, "");
  lines = g_strsplit (swapped->err, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[0], "convolve-cli: "));
  g_assert_nonnull (strstr (lines[0], "a-02.png” is a PNG image, not a "
                                      "Convolve checkpoint."));
  g_assert_cmpstr (lines[1], ==, "convolve-cli: hint: the checkpoint comes "
                                 "first: convolve-cli predict CHECKPOINT "
                                 "IMAGE…");

  /* A text file where the checkpoint goes is not the arguments swapped:
   * the loader says what it is, and no hint about their order follows. */
  text_first = run_cli ("predict", text, image, NULL);
  g_assert_cmpint (text_first->status, ==, 1);
  g_assert_cmpuint (count_lines (text_first->err), ==, 1);
  g_assert_nonnull (strstr (text_first->err, "notes.txt” is a text file, "
                                             "not a Convolve checkpoint."));
  g_assert_null (strstr (text_first->err, "comes first"));

  /* The loader already says what the file is; inspect has no order of
   * arguments to get wrong, so no hint follows. */
  inspect_text = run_cli ("inspect", text, NULL);
  g_assert_cmpint (inspect_text->status, ==, 1);
  g_assert_cmpuint (count_lines (inspect_text->err), ==, 1);
  g_assert_nonnull (strstr (inspect_text->err, "notes.txt” is a text file, "
                                               "not a Convolve checkpoint."));

  evaluate_folder = run_cli ("evaluate", data_dir, model_path, NULL);
  g_assert_cmpint (evaluate_folder->status, ==, 1);
  g_assert_cmpuint (count_lines (evaluate_folder->err), ==, 2);
  g_assert_nonnull (strstr (evaluate_folder->err, "” is a folder, not a "
                                                  "Convolve checkpoint; the "
                                                  "checkpoint comes first: "
                                                  "convolve-cli evaluate "
                                                  "CHECKPOINT FOLDER\n"));
}

static void
test_error_invalid_spec (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autofree char *json = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "too-big-kernel.json",
                                            NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "never.convolve", NULL);
  g_autofree char *prefix = NULL;
  g_autoptr(Run) run = NULL;

  /* A kernel wider than the 28 × 28 input cannot fit. */
  g_assert_cmpint (spec->layers[0].kind, ==, CNV_LAYER_CONV2D);
  spec->layers[0].kernel[0] = 40;
  spec->layers[0].kernel[1] = 40;
  spec->layers[0].padding = CNV_PADDING_VALID;
  json = cnv_model_spec_to_json (spec, TRUE);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));

  run = run_cli ("train", "--data", data_dir, "--model", path, "--output",
                 out, NULL);
  g_assert_cmpint (run->status, ==, 1);
  assert_one_error_line (run, "too-big-kernel.json");
  prefix = g_strdup_printf ("convolve-cli: %s: Layer “conv1” has a 40×40 "
                            "kernel", path);
  g_assert_true (g_str_has_prefix (run->err, prefix));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* Three problems in one description: train names every one, one line
 * each, in the engine's words; inspect shows them under the layer table
 * with the same wording. */
static void
test_invalid_model_every_problem (void)
{
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "three-faults.json",
                                            NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "never3.convolve", NULL);
  g_autoptr(Run) train = NULL;
  g_autoptr(Run) inspect = NULL;
  g_autoptr(Run) inspect_json = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_auto(GStrv) lines = NULL;

  /* Duplicate id, no flatten before fc1, a 2-unit head. */
  g_free (spec->layers[4].id);
  spec->layers[4].id = g_strdup ("relu1");
  spec->layers[6].kind = CNV_LAYER_DROPOUT;
  spec->layers[9].units = 2;
  json = cnv_model_spec_to_json (spec, TRUE);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_assert_false (cnv_model_spec_check (spec, NULL, &problems));
  g_assert_cmpuint (problems->len, ==, 3);

  train = run_cli ("train", "--data", data_dir, "--model", path, "--output",
                   out, NULL);
  g_assert_cmpint (train->status, ==, 1);
  g_assert_cmpstr (train->out, ==, "");
  lines = g_strsplit (train->err, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  for (guint i = 0; i < 3; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);
      g_autofree char *expected = g_strdup_printf (
        "convolve-cli: %s: %s", path, problem->message);

      g_assert_cmpstr (lines[i], ==, expected);
    }
  g_assert_nonnull (strstr (lines[0], "Two layers have the id “relu1”"));
  g_assert_nonnull (strstr (lines[1], "add a flatten layer"));
  g_assert_nonnull (strstr (lines[2], "set it to 1 unit"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  inspect = run_cli ("inspect", path, NULL);
  g_assert_cmpint (inspect->status, ==, 1);
  g_assert_nonnull (strstr (inspect->out, "Problems: 3\n"));
  for (guint i = 0; i < 3; i++)
    {
      const CnvModelProblem *problem = g_ptr_array_index (problems, i);
      g_autofree char *expected = g_strdup_printf ("  %s\n",
                                                   problem->message);

      g_assert_nonnull (strstr (inspect->out, expected));
    }
  /* fc1 still gets its shape and count: 64 × 784 + 64. */
  g_assert_nonnull (strstr (inspect->out, "fc1 (dense)"));
  g_assert_nonnull (strstr (inspect->out, "50,240"));

  inspect_json = run_cli ("inspect", "--json", path, NULL);
  g_assert_cmpint (inspect_json->status, ==, 1);
  root = parse_json (inspect_json->out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
    json_node_get_object (root), "problems")), ==, 3);
}

/* The run settings from the command line: a schedule, early stopping
 * with keep-best, augmentation and class weights are used, said, saved,
 * and a resumed run takes them back; evaluate takes another threshold. */
static void
test_train_run_settings (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "settings.convolve",
                                           NULL);
  g_autofree char *more = g_build_filename (tmp_dir, "settings2.convolve",
                                            NULL);
  g_autoptr(Run) train = NULL;
  g_autoptr(Run) resume = NULL;
  g_autoptr(Run) strict = NULL;
  g_autoptr(Run) lenient = NULL;
  g_autoptr(Run) bad = NULL;
  g_autoptr(CnvClassifier) saved = NULL;
  g_autoptr(CnvClassifier) resumed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) strict_json = NULL;
  g_autoptr(JsonNode) lenient_json = NULL;

  train = run_cli ("train", "--data", data_dir, "--epochs", "3",
                   "--schedule", "cosine", "--warmup", "1", "--patience",
                   "5", "--keep-best", "--augment", "hflip,shift=1",
                   "--class-weights", "balanced", "--seed", "4",
                   "--threads", "1", "--output", out, NULL);
  g_assert_cmpint (train->status, ==, 0);
  g_assert_nonnull (strstr (train->err,
                            "Learning rate: cosine schedule, 1 warm-up "
                            "epoch\n"));
  g_assert_nonnull (strstr (train->err, "Class weights: balanced\n"));
  g_assert_nonnull (strstr (train->err, "\"horizontal_flip\":true"));

  saved = cnv_checkpoint_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saved->schedule.kind, ==, CNV_SCHEDULE_COSINE);
  g_assert_cmpuint (saved->schedule.total_epochs, ==, 3);
  g_assert_cmpuint (saved->patience, ==, 5);
  g_assert_true (saved->keep_best);
  g_assert_true (saved->augmentation.horizontal_flip);
  g_assert_cmpint (saved->augmentation.max_shift, ==, 1);
  g_assert_cmpint (saved->class_weights, ==, CNV_CLASS_WEIGHTS_BALANCED);
  /* Epoch 1 warms up to the base rate; the cosine then spans epochs 2 and
   * 3, halfway down at epoch 3. */
  g_assert_cmpfloat (g_array_index (saved->history, CnvEpochRecord,
                                    0).learning_rate, ==, 0.001);
  g_assert_cmpfloat_with_epsilon (g_array_index (saved->history,
                                                 CnvEpochRecord,
                                                 2).learning_rate, 0.0005,
                                  1e-12);

  resume = run_cli ("train", "--data", data_dir, "--resume", out,
                    "--epochs", "1", "--threads", "1", "--output", more,
                    NULL);
  g_assert_cmpint (resume->status, ==, 0);
  resumed = cnv_checkpoint_load (more, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resumed->schedule.kind, ==, CNV_SCHEDULE_COSINE);
  g_assert_cmpint (resumed->class_weights, ==, CNV_CLASS_WEIGHTS_BALANCED);
  g_assert_true (resumed->augmentation.horizontal_flip);

  /* A threshold of 1 calls nothing positive; 0 calls everything so. */
  strict = run_cli ("evaluate", "--json", "--threshold", "1", out, data_dir,
                    NULL);
  lenient = run_cli ("evaluate", "--json", "--threshold", "0", out, data_dir,
                     NULL);
  g_assert_cmpint (strict->status, ==, 0);
  strict_json = parse_json (strict->out);
  lenient_json = parse_json (lenient->out);
  g_assert_cmpfloat (json_object_get_double_member (
    json_node_get_object (strict_json), "recall"), ==, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (
    json_node_get_object (lenient_json), "recall"), ==, 1.0);

  bad = run_cli ("train", "--data", data_dir, "--augment", "mirror",
                 "--output", out, NULL);
  g_assert_cmpint (bad->status, ==, 2);
  g_assert_nonnull (strstr (bad->err, "--augment does not know “mirror”"));
}

/* A stack whose every layer fits but whose training batch does not fit
 * this machine: 1024×1024 colour images through a 32-filter convolution
 * and a relu keep about 26 GB of activations per batch of 64, twice that
 * with their gradients.  train --model refuses it before reading a single
 * image, and inspect says the same sentence the editor shows. */
static void
test_model_too_large_for_memory (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "huge.json", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "huge.convolve", NULL);
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(Run) train = NULL;
  g_autoptr(Run) inspect = NULL;
  g_autofree char *expected = NULL;
  const CnvModelProblem *problem;
  const char *json =
    "{\"input\": {\"width\": 1024, \"height\": 1024, \"channels\": 3},"
    " \"layers\": [{\"id\": \"c\", \"type\": \"conv2d\", \"filters\": 32,"
    " \"kernel\": 3, \"padding\": \"same\"}, {\"id\": \"r\", \"type\": "
    "\"relu\"}, {\"id\": \"f\", \"type\": \"flatten\"}, {\"id\": \"out\","
    " \"type\": \"dense\", \"units\": 1}]}";

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  spec = cnv_model_spec_new_from_json (json, -1, NULL);
  g_assert_nonnull (spec);
  g_assert_true (cnv_model_spec_check (spec, NULL, &problems));
  if (cnv_model_spec_check_memory (spec, 64, 0, problems))
    {
      g_test_skip ("this machine has the memory to train the stack");
      return;
    }
  problem = g_ptr_array_index (problems, 0);
  g_assert_cmpint (problem->kind, ==, CNV_MODEL_PROBLEM_MEMORY);
  g_assert_nonnull (strstr (problem->message, "batches of 64"));

  train = run_cli ("train", "--data", data_dir, "--model", path, "--output",
                   out, NULL);
  g_assert_cmpint (train->status, ==, 1);
  expected = g_strdup_printf ("convolve-cli: %s: %s\n", path,
                              problem->message);
  g_assert_cmpstr (train->err, ==, expected);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  inspect = run_cli ("inspect", path, NULL);
  g_assert_cmpint (inspect->status, ==, 1);
  g_assert_nonnull (strstr (inspect->out, "Problems: 1\n"));
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("  %s\n", problem->message);
  g_assert_nonnull (strstr (inspect->out, expected));
}

/* diff: a checkpoint against itself, against its own architecture with
 * one kernel changed (as a model description) and against a file that is
 * not there: exit 0, 1 and 2, the rows marked like a diff, colour only
 * when asked for, since stdout is not a terminal here. */
static void
test_diff (void)
{
  g_autofree char *changed = g_build_filename (tmp_dir, "diff-k3.json", NULL);
  g_autofree char *missing = g_build_filename (tmp_dir, "none.convolve", NULL);
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autofree char *json = NULL;
  char *expected = NULL;
  g_autoptr(Run) same = NULL;
  g_autoptr(Run) differ = NULL;
  g_autoptr(Run) colored = NULL;
  g_autoptr(Run) as_json = NULL;
  g_autoptr(Run) absent = NULL;
  g_autoptr(Run) text = NULL;
  g_autoptr(Run) bad_option = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *notes = g_build_filename (tmp_dir, "notes.txt", NULL);
  JsonObject *object;

  ensure_trained ();
  spec->layers[0].kernel[0] = spec->layers[0].kernel[1] = 3;
  json = cnv_model_spec_to_json (spec, TRUE);
  g_assert_true (g_file_set_contents (changed, json, -1, NULL));

  same = run_cli ("diff", model_path, model_path, NULL);
  g_assert_cmpint (same->status, ==, 0);
  g_assert_nonnull (strstr (same->out, "\nNo differences\n"));

  differ = run_cli ("diff", changed, model_path, NULL);
  g_assert_cmpint (differ->status, ==, 1);
  g_assert_cmpstr (differ->err, ==, "");
  g_assert_true (g_str_has_prefix (differ->out, "--- diff-k3.json\n+++ "));
  g_assert_nonnull (strstr (differ->out,
                            "1 layer differs, 7 of 8 tensors loadable\n"));
  g_assert_nonnull (strstr (differ->out, "\n~ conv1 (conv2d) "));
  g_assert_nonnull (strstr (differ->out,
                            "\n    Kernel: 3×3 → 5×5\n"));
  g_assert_nonnull (strstr (differ->out, "\n~ conv1.weight "));
  g_assert_null (strchr (differ->out, '\033'));

  /* Without pool2, flatten and fc1 keep their settings but not their
   * shapes: marked as changed, with a line that says why. */
  {
    g_autofree char *no_pool = g_build_filename (tmp_dir, "diff-nopool.json",
                                                 NULL);
    g_autoptr(CnvModelSpec) lenet = cnv_model_spec_new_default ();
    g_autofree char *lenet_json = cnv_model_spec_to_json (lenet, TRUE);
    g_autoptr(JsonNode) node = parse_json (lenet_json);
    g_autofree char *no_pool_json = NULL;
    g_autoptr(Run) reshaped = NULL;
    JsonArray *layers = json_object_get_array_member (
      json_node_get_object (node), "layers");

    g_assert_cmpstr (json_object_get_string_member (
                       json_array_get_object_element (layers, 5), "id"),
                     ==, "pool2");
    json_array_remove_element (layers, 5);
    no_pool_json = json_to_string (node, TRUE);
    g_assert_true (g_file_set_contents (no_pool, no_pool_json, -1, NULL));
    reshaped = run_cli ("diff", no_pool, model_path, NULL);
    g_assert_cmpint (reshaped->status, ==, 1);
    g_assert_nonnull (strstr (reshaped->out, "\n~ fc1 (dense) "));
    g_assert_nonnull (strstr (reshaped->out, "200,768 → 50,240\n    same "
                              "settings; what it receives changed above "
                              "it\n"));
    g_assert_nonnull (strstr (reshaped->out, "\n  relu3 (relu) "));
  }

  colored = run_cli ("diff", "--color=always", changed, model_path, NULL);
  g_assert_cmpint (colored->status, ==, 1);
  g_assert_nonnull (strstr (colored->out, "\033[33m~ conv1 (conv2d)"));

  as_json = run_cli ("diff", "--json", changed, model_path, NULL);
  g_assert_cmpint (as_json->status, ==, 1);
  root = parse_json (as_json->out);
  object = json_node_get_object (root);
  g_assert_false (json_object_get_boolean_member (object, "equal"));
  g_assert_cmpstr (json_object_get_string_member (
    json_array_get_object_element (json_object_get_array_member (object,
                                                                 "layers"),
                                   0), "status"), ==, "changed");

  /* The messages name the path as it was given. */
  absent = run_cli ("diff", missing, model_path, NULL);
  g_assert_cmpint (absent->status, ==, 2);
  expected = g_strdup_printf ("convolve-cli: Could not open “%s”: No such "
                              "file or directory.\n", missing);
  g_assert_cmpstr (absent->err, ==, expected);
  g_free (expected);

  /* diff takes descriptions too, and its hint says so. */
  g_assert_true (g_file_set_contents (notes, "to do: more filters\n", -1, NULL));
  text = run_cli ("diff", notes, model_path, NULL);
  g_assert_cmpint (text->status, ==, 2);
  expected = g_strdup_printf ("convolve-cli: “%s” is a text file, neither a "
                              "Convolve checkpoint nor a JSON model "
                              "description (which starts with “{”).\n",
                              notes);
  g_assert_cmpstr (text->err, ==, expected);
  g_clear_pointer (&expected, g_free);
  g_unlink (notes);

  bad_option = run_cli ("diff", "--color=sometimes", model_path, model_path,
                        NULL);
  g_assert_cmpint (bad_option->status, ==, 2);
}

/* bench/small-vgg.json is a description: inspect prints its table and
 * costs and exits 0. */
static void
test_inspect_description (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                            "bench", "small-vgg.json", NULL);
  g_autoptr(Run) run = run_cli ("inspect", path, NULL);
  g_autoptr(Run) json = run_cli ("inspect", "--json", path, NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->err, ==, "");
  g_assert_nonnull (strstr (run->out, "Model description: "));
  g_assert_nonnull (strstr (run->out, "Input: 64 × 64, 3 channels"));
  g_assert_nonnull (strstr (run->out, "conv6 (conv2d)"));
  g_assert_nonnull (strstr (run->out, "(None, 128, 8, 8)"));
  g_assert_nonnull (strstr (run->out, "Total params: 1,335,841\n"));
  g_assert_nonnull (strstr (run->out,
                            "Multiply-adds per image: 155,582,592\n"));
  g_assert_nonnull (strstr (run->out, "Problems: none"));

  g_assert_cmpint (json->status, ==, 0);
  root = parse_json (json->out);
  object = json_node_get_object (root);
  g_assert_cmpint (json_object_get_int_member (object, "parameters"), ==,
                   1335841);
  g_assert_cmpint (json_object_get_int_member (object, "multiply_adds"), ==,
                   155582592);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
    object, "problems")), ==, 0);
}

static void
test_resume (void)
{
  g_autofree char *resumed = g_build_filename (tmp_dir, "resumed.convolve",
                                               NULL);
  g_autoptr(Run) train = NULL;
  g_autoptr(Run) inspect = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonArray *history;
  gint64 previous_step = 0;

  ensure_trained ();
  train = run_cli ("train", "--data", data_dir, "--resume", model_path,
                   "--epochs", "1", "--threads", "1", "--output", resumed,
                   NULL);
  g_assert_cmpint (train->status, ==, 0);
  g_assert_nonnull (strstr (train->err, "\nepoch 3/3"));

  inspect = run_cli ("inspect", "--json", resumed, NULL);
  g_assert_cmpint (inspect->status, ==, 0);
  root = parse_json (inspect->out);
  object = json_node_get_object (root);
  history = json_object_get_array_member (member_object (object, "training"),
                                          "history");
  g_assert_cmpuint (json_array_get_length (history), ==, 3);

  /* Epochs 1..3 with the step count going on from where it stopped; the
   * batch size of the first run (8) is kept: 24 images, 3 steps each. */
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *record = json_array_get_object_element (history, i);
      gint64 step = json_object_get_int_member (record, "step");

      g_assert_cmpint (json_object_get_int_member (record, "epoch"), ==, i + 1);
      g_assert_cmpint (step, ==, previous_step + 3);
      previous_step = step;
    }
  g_assert_cmpint (json_object_get_int_member (member_object (object,
                                                              "optimizer"),
                                               "step"),
                   ==, previous_step);
}

/* --model given a checkpoint trains its architecture from new weights,
 * says so, and points at --resume; the stack is the checkpoint's, the
 * history starts over and the weights are not the checkpoint's. */
static void
test_train_model_from_checkpoint (void)
{
  g_autofree char *fresh = g_build_filename (tmp_dir, "fresh.convolve",
                                             NULL);
  g_autoptr(Run) train = NULL;
  g_autoptr(CnvClassifier) source = NULL;
  g_autoptr(CnvClassifier) trained = NULL;
  g_autoptr(GError) error = NULL;
  CnvParam *before;
  CnvParam *after;

  ensure_trained ();
  train = run_cli ("train", "--data", data_dir, "--model", model_path,
                   "--epochs", "1", "--seed", "7", "--threads", "1",
                   "--output", fresh, NULL);
  g_assert_cmpint (train->status, ==, 0);
  g_assert_nonnull (strstr (train->err, "training the architecture of the "
                                        "checkpoint"));
  g_assert_nonnull (strstr (train->err, "--resume"));
  g_assert_nonnull (strstr (train->err, "\nepoch 1/1"));

  source = cnv_checkpoint_load (model_path, &error);
  g_assert_no_error (error);
  trained = cnv_checkpoint_load (fresh, &error);
  g_assert_no_error (error);
  g_assert_true (cnv_model_spec_equal (cnv_model_get_spec (source->model),
                                       cnv_model_get_spec (trained->model)));
  g_assert_cmpuint (trained->history->len, ==, 1);
  before = cnv_model_find_param (source->model, "conv1.weight");
  after = cnv_model_find_param (trained->model, "conv1.weight");
  g_assert_nonnull (before);
  g_assert_nonnull (after);
  g_assert_cmpint (memcmp (before->value->data, after->value->data,
                           before->value->size
                           * sizeof (float)), !=, 0);

  /* A damaged checkpoint there says what the checkpoint reader says. */
  {
    g_autofree char *cut = g_build_filename (tmp_dir, "cut.convolve", NULL);
    g_autofree char *contents = NULL;
    g_autoptr(Run) failed = NULL;
    gsize length = 0;

    g_assert_true (g_file_get_contents (model_path, &contents, &length,
                                        NULL));
    g_assert_true (g_file_set_contents (cut, contents, 300, NULL));
    failed = run_cli ("train", "--data", data_dir, "--model", cut,
                      "--epochs", "1", "--output", fresh, NULL);
    g_assert_cmpint (failed->status, ==, 1);
    g_assert_nonnull (strstr (failed->err, "cut.convolve” is truncated"));
    g_assert_null (strstr (failed->err, "UTF-8"));
  }
}

/* A loss that stops being finite fails the run and leaves an existing
 * output file as it was. */
static void
test_not_finite_keeps_output (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "kept.convolve", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(Run) run = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines;

  g_assert_true (g_file_set_contents (out, "the previous model", -1, NULL));

  run = run_cli ("train", "--data", data_dir, "--output", out, "--epochs",
                 "3", "--optimizer", "sgd", "--learning-rate", "1e30",
                 "--seed", "1", "--threads", "1", NULL);
  g_assert_cmpint (run->status, ==, 1);

  /* The last line is the engine's one-sentence reason. */
  lines = g_strsplit (run->err, "\n", -1);
  n_lines = g_strv_length (lines);
  g_assert_cmpuint (n_lines, >=, 2);
  g_assert_true (g_str_has_prefix (lines[n_lines - 2], "convolve-cli: "));
  g_assert_nonnull (strstr (lines[n_lines - 2], "finite"));

  g_assert_true (g_file_get_contents (out, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "the previous model");
}

/* A learning rate far too high for Adam keeps every number finite but
 * ends with an enormous loss: the run still succeeds and saves, and the
 * last line warns.  The shared, sensible run has no warning. */
static void
test_diverged_warns (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "diverged.convolve",
                                           NULL);
  g_autoptr(Run) run = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines;

  ensure_trained ();
  g_assert_null (strstr (train_run->err, "warning"));

  run = run_cli ("train", "--data", data_dir, "--output", out, "--epochs",
                 "2", "--learning-rate", "1e6", "--seed", "1", "--threads",
                 "1", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));

  lines = g_strsplit (run->err, "\n", -1);
  n_lines = g_strv_length (lines);
  g_assert_cmpuint (n_lines, >=, 3);
  g_assert_true (g_str_has_prefix (lines[n_lines - 3], "Saved "));
  g_assert_true (g_str_has_prefix (lines[n_lines - 2],
                                   "convolve-cli: warning: the training loss "
                                   "ended at "));
  g_assert_nonnull (strstr (lines[n_lines - 2], "the learning rate 1e+06 is "
                                                "probably too high"));
}

/* 25 unusable files: the summary names the first 20, each with a reason,
 * and counts the rest. */
static void
test_skipped_files_listed (void)
{
  g_autofree char *folder = g_build_filename (tmp_dir, "with-bad-files",
                                              NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "skipped.convolve",
                                           NULL);
  g_autoptr(Run) run = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_listed = 0;

  make_dataset (folder, 2);
  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *name = g_strdup_printf ("bad-%02u.png", i);
      g_autofree char *path = g_build_filename (folder, "a", name, NULL);

      g_assert_true (g_file_set_contents (path, "no image", -1, NULL));
    }

  run = run_cli ("train", "--data", folder, "--output", out, "--epochs", "1",
                 "--seed", "1", "--threads", "1", NULL);
  g_assert_cmpint (run->status, ==, 0);

  lines = g_strsplit (run->err, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "/a/bad-") != NULL)
      {
        /* "  path: reason" */
        g_assert_nonnull (strstr (lines[i], ".png: "));
        n_listed++;
      }
  g_assert_cmpuint (n_listed, ==, 20);
  g_assert_nonnull (strstr (run->err, "Skipped 25 files:"));
  g_assert_nonnull (strstr (run->err, "… and 5 more"));
  g_assert_nonnull (strstr (run->err, "“a”: 16 images, 25 skipped"));
}

/* Ctrl+C during training stops at a batch boundary, still saves, and
 * exits 130; the checkpoint holds the epochs completed so far. */
static void
test_interrupt_saves (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "interrupted.convolve",
                                           NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Run) inspect = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;
  JsonObject *training;
  guint n_epochs;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CNV_CLI"),
                                         "train", "--data", data_dir,
                                         "--output", out, "--epochs", "100000",
                                         "--batch-size", "4", "--seed", "1",
                                         "--threads", "1", NULL);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));

  /* Wait until training runs: the handler is installed by then. */
  do
    {
      g_free (line);
      line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
    }
  while (!g_str_has_prefix (line, "epoch 1/"));

  g_subprocess_send_signal (process, SIGINT);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 130);

  inspect = run_cli ("inspect", "--json", out, NULL);
  g_assert_cmpint (inspect->status, ==, 0);
  root = parse_json (inspect->out);
  training = json_object_get_object_member (json_node_get_object (root),
                                            "training");
  n_epochs = json_array_get_length (json_object_get_array_member (training,
                                                                  "history"));
  g_assert_cmpuint (n_epochs, >=, 1);
  g_assert_cmpuint (n_epochs, <, 100000);
}

/* The README's "Command line" examples, exactly as written, in a folder
 * laid out like a fresh clone after the quick start: build/src/cli/ holds
 * the binary, data/ the bundled sample. */
static void
test_readme_examples (void)
{
  const char *root = g_getenv ("CNV_SOURCE_ROOT");
  g_autofree char *readme_path = NULL;
  g_autofree char *readme = NULL;
  g_autofree char *script = NULL;
  g_autofree char *clone = g_build_filename (tmp_dir, "clone", NULL);
  g_autofree char *bin_dir = g_build_filename (clone, "build", "src", "cli",
                                               NULL);
  g_autofree char *bin = g_build_filename (bin_dir, "convolve-cli", NULL);
  g_autofree char *data = g_build_filename (clone, "data", NULL);
  g_autofree char *root_data = NULL;
  g_autofree char *csv_path = g_build_filename (clone, "predictions.csv",
                                                NULL);
  g_autofree char *csv = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *section;
  const char *start;
  const char *end;
  const char *argv[] = { "/bin/sh", "-e", "-c", NULL, NULL };
  int wait_status = 0;

  g_assert_nonnull (root);
  readme_path = g_build_filename (root, "README.md", NULL);
  root_data = g_build_filename (root, "data", NULL);
  g_file_get_contents (readme_path, &readme, NULL, &error);
  g_assert_no_error (error);

  section = strstr (readme, "\n## Command line\n");
  g_assert_nonnull (section);
  start = strstr (section, "```sh\n");
  g_assert_nonnull (start);
  start += strlen ("```sh\n");
  end = strstr (start, "```");
  g_assert_nonnull (end);
  g_assert_true (strstr (section, "not on your `PATH`") < start);
  script = g_strndup (start, end - start);
  g_assert_nonnull (strstr (script, "./build/src/cli/convolve-cli train"));

  g_assert_cmpint (g_mkdir_with_parents (bin_dir, 0755), ==, 0);
  g_assert_cmpint (symlink (g_getenv ("CNV_CLI"), bin), ==, 0);
  g_assert_cmpint (symlink (root_data, data), ==, 0);

  argv[3] = script;
  g_spawn_sync (clone, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &wait_status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (wait_status, NULL))
    g_test_message ("stderr:\n%s", err);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));

  /* evaluate's table, then predict's one row for the sneaker. */
  g_assert_nonnull (strstr (out, "\naccuracy "));
  g_assert_nonnull (strstr (out, "\ndata/sample-test/sneaker/"
                                "test-00009.png\t"));
  g_assert_nonnull (strstr (out, "Trainable params: 53,729"));
  g_file_get_contents (csv_path, &csv, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_lines (csv), ==, 41);

  /* The symbolic link, not the bundled data, is removed with tmp_dir. */
  g_assert_cmpint (g_unlink (data), ==, 0);
}

/* --threads has one rule in every command: 0 (the default) means all
 * cores and is accepted, below 0 is refused with the same message, and
 * every --help says so. */
static void
test_threads_rule (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "never.convolve", NULL);
  g_autofree char *image = g_build_filename (data_dir, "a", "a-00.png", NULL);
  g_autoptr(Run) zero = NULL;
  const char *commands[] = { "train", "evaluate", "predict" };

  ensure_trained ();
  zero = run_cli ("predict", "--threads", "0", model_path, image, NULL);
  g_assert_cmpint (zero->status, ==, 0);
  g_assert_cmpuint (count_lines (zero->out), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(Run) negative = NULL;
      g_autoptr(Run) help = run_cli (commands[i], "--help", NULL);

      if (g_str_equal (commands[i], "train"))
        negative = run_cli ("train", "--data", data_dir, "--output", out,
                            "--threads", "-5", NULL);
      else
        negative = run_cli (commands[i], "--threads", "-5", model_path,
                            data_dir, NULL);

      g_assert_cmpint (negative->status, ==, 2);
      assert_one_error_line (negative, "--threads must be 0 (all cores) or more");
      g_assert_nonnull (strstr (help->out, "0 for all cores (default 0)"));
    }
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* The positional arguments are checked by one helper: the same messages
 * for a missing or an extra argument in every command. */
static void
test_argument_counts (void)
{
  const struct { const char *args[4]; const char *message; } cases[] = {
    { { "inspect", NULL }, "inspect: missing CHECKPOINT" },
    { { "inspect", "a", "b", NULL }, "inspect: unexpected argument “b”" },
    { { "evaluate", "a", NULL }, "evaluate: missing FOLDER" },
    { { "evaluate", "a", "b", "c" }, "evaluate: unexpected argument “c”" },
    { { "predict", "a", NULL }, "predict: missing the images to classify" },
    { { "train", "x", NULL }, "train: unexpected argument “x”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Run) run = run_cli (cases[i].args[0], cases[i].args[1],
                                    cases[i].args[2], cases[i].args[3], NULL);

      g_assert_cmpint (run->status, ==, 2);
      assert_one_error_line (run, cases[i].message);
    }
}

/* Each source file of the CLI has its own log domain, so that
 * G_MESSAGES_DEBUG can pick one command. */
static void
test_log_domains (void)
{
  const char *root = g_getenv ("CNV_SOURCE_ROOT");
  const char *files[] = {
    "convolve-cli.c", "cli-train.c", "cli-evaluate.c", "cli-predict.c",
    "cli-inspect.c",
  };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                      g_free, NULL);

  g_assert_nonnull (root);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (root, "src", "cli", files[i],
                                                NULL);
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;
      const char *define = "#define G_LOG_DOMAIN \"";
      const char *start;
      const char *end;

      g_file_get_contents (path, &text, NULL, &error);
      g_assert_no_error (error);

      start = strstr (text, define);
      g_assert_nonnull (start);
      g_assert_null (strstr (start + 1, define));
      start += strlen (define);
      end = strchr (start, '"');
      g_assert_nonnull (end);
      g_assert_true (g_str_has_prefix (start, "cnv-cli"));
      g_assert_true (g_hash_table_add (seen, g_strndup (start, end - start)));
    }
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        /* A symbolic link is removed, never followed: the README test
         * links to the source tree's data. */
        if (g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          g_remove (child);
        else if (g_file_test (child, G_FILE_TEST_IS_DIR))
          remove_tree (child);
        else
          g_remove (child);
      }

  g_rmdir (path);
}

/* Without --seed, train uses the seed the app starts with (42), so that a
 * run of the app's defaults is repeated on the command line. */
static void
test_train_default_seed (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "default-seed.convolve",
                                            NULL);
  g_autoptr(Run) run = NULL;
  g_autoptr(CnvClassifier) stored = NULL;
  g_autoptr(GError) error = NULL;
  CnvTrainConfig defaults;

  run = run_cli ("train", "--data", data_dir, "--output", path, "--epochs",
                 "1", "--batch-size", "8", "--threads", "1", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_nonnull (strstr (run->err, "seed 42,"));

  stored = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  cnv_train_config_init_default (&defaults);
  g_assert_cmpuint (stored->seed, ==, 42);
  g_assert_cmpuint (stored->seed, ==, defaults.seed);
  g_unlink (path);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("cnv-test-cli-XXXXXX", &error);
  g_assert_no_error (error);
  data_dir = g_build_filename (tmp_dir, "data", NULL);
  model_path = g_build_filename (tmp_dir, "model.convolve", NULL);
  report_path = g_build_filename (tmp_dir, "report.csv", NULL);
  make_dataset (data_dir, 2);

  g_test_add_func ("/cli/train/run-settings", test_train_run_settings);
  g_test_add_func ("/cli/diff/exit-status-and-rows", test_diff);
  g_test_add_func ("/cli/model/too-large-for-memory",
                   test_model_too_large_for_memory);
  g_test_add_func ("/cli/help-and-usage", test_help);
  g_test_add_func ("/cli/train/two-epochs", test_train);
  g_test_add_func ("/cli/train/default-seed-is-the-apps",
                   test_train_default_seed);
  g_test_add_func ("/cli/inspect/text", test_inspect_text);
  g_test_add_func ("/cli/inspect/json", test_inspect_json);
  g_test_add_func ("/cli/inspect/optimizer-fields-of-its-kind",
                   test_inspect_optimizer_fields);
  g_test_add_func ("/cli/predict/matches-model-before-saving",
                   test_predict_text);
  g_test_add_func ("/cli/predict/csv", test_predict_csv);
  g_test_add_func ("/cli/predict/unreadable-image", test_predict_unreadable);
  g_test_add_func ("/cli/predict/paths-listed-by-engine",
                   test_predict_paths);
  g_test_add_func ("/cli/evaluate/json", test_evaluate);
  g_test_add_func ("/cli/threshold/checkpoint-default-option-overrides",
                   test_checkpoint_threshold_used);
  g_test_add_func ("/cli/train/resume-continues-steps", test_resume);
  g_test_add_func ("/cli/train/model-from-checkpoint",
                   test_train_model_from_checkpoint);
  g_test_add_func ("/cli/train/not-finite-keeps-output",
                   test_not_finite_keeps_output);
  g_test_add_func ("/cli/train/diverged-loss-warns", test_diverged_warns);
  g_test_add_func ("/cli/train/skipped-files-listed",
                   test_skipped_files_listed);
  g_test_add_func ("/cli/train/ctrl-c-stops-and-saves", test_interrupt_saves);
  g_test_add_func ("/cli/readme/command-line-examples-run",
                   test_readme_examples);
  g_test_add_func ("/cli/usage/threads-zero-is-all-cores",
                   test_threads_rule);
  g_test_add_func ("/cli/usage/argument-counts", test_argument_counts);
  g_test_add_func ("/cli/source/one-log-domain-per-file", test_log_domains);
  g_test_add_func ("/cli/errors/missing-data", test_error_missing_data);
  g_test_add_func ("/cli/errors/missing-folder", test_error_missing_folder);
  g_test_add_func ("/cli/errors/three-classes", test_error_three_classes);
  g_test_add_func ("/cli/errors/corrupt-checkpoint",
                   test_error_corrupt_checkpoint);
  g_test_add_func ("/cli/errors/nested-dataset-hint",
                   test_error_nested_dataset);
  g_test_add_func ("/cli/errors/not-a-checkpoint-hint",
                   test_error_not_a_checkpoint);
  g_test_add_func ("/cli/errors/invalid-model-names-layer",
                   test_error_invalid_spec);
  g_test_add_func ("/cli/errors/invalid-model-every-problem",
                   test_invalid_model_every_problem);
  g_test_add_func ("/cli/inspect/model-description",
                   test_inspect_description);

  status = g_test_run ();

  remove_tree (tmp_dir);
  g_clear_pointer (&train_run, run_free);
  g_free (tmp_dir);
  g_free (data_dir);
  g_free (model_path);
  g_free (report_path);

  return status;
}
