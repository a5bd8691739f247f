/* test-cli-activations.c — `convolve-cli activations` run as a user runs it
 *
 * Saves a default classifier with seeded weights, runs the command on a
 * sample image, and checks the files it writes, pixel for pixel, against
 * what the engine computes for the same image, and each error line.
 * CNV_CLI is the binary.
 */
#include "cnv-config.h"

#include <string.h>
#include <sys/wait.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "cnv.h"
#include "test-util.h"

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static TestTmpDir *tmp;
static char *checkpoint;
static char *image_path;

/* Runs convolve-cli activations with the NULL-terminated arguments in the
 * C locale, so that messages are untranslated. */
static Run *
run_cli (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  Run *run = g_new0 (Run, 1);
  int wait_status = 0;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("CNV_CLI"));
  g_ptr_array_add (argv, (char *) "activations");
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
    n += *p == '\n';

  return n;
}

/* The engine's own answer for the test image. */
typedef struct
{
  CnvClassifier  *classifier;
  CnvImage       *image;
  CnvTensor      *input;
  CnvFeatureMaps *maps;
} Expected;

static void
expected_clear (Expected *expected)
{
  g_clear_pointer (&expected->maps, cnv_feature_maps_free);
  g_clear_pointer (&expected->input, cnv_tensor_free);
  g_clear_pointer (&expected->image, cnv_image_free);
  g_clear_pointer (&expected->classifier, cnv_classifier_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Expected, expected_clear)

static void
expected_init (Expected *expected)
{
  g_autoptr(GError) error = NULL;

  expected->classifier = cnv_checkpoint_load (checkpoint, &error);
  g_assert_no_error (error);
  expected->image = cnv_image_load (image_path,
                                    &expected->classifier->preprocessing,
                                    &error);
  g_assert_no_error (error);
  expected->input = cnv_inspect_input_new (expected->classifier,
                                           expected->image, &error);
  g_assert_no_error (error);
  expected->maps = cnv_feature_maps_compute (expected->classifier->model,
                                             expected->input, &error);
  g_assert_no_error (error);
}

/* Every pixel of the PNG at path is the zoom × zoom square of rgb. */
static void
assert_png_equals (const char   *path,
                   const guint8 *rgb,
                   int           width,
                   int           height,
                   int           zoom)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *pixels;
  int stride, n_channels;

  pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, width * zoom);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, height * zoom);

  pixels = gdk_pixbuf_get_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  for (int y = 0; y < height * zoom; y++)
    for (int x = 0; x < width * zoom; x++)
      {
        const guint8 *got = pixels + y * stride + x * n_channels;
        const guint8 *want = rgb + 3 * ((y / zoom) * width + x / zoom);

        if (memcmp (got, want, 3) != 0)
          g_error ("%s (%d, %d): %u %u %u, expected %u %u %u", path, x, y,
                   got[0], got[1], got[2], want[0], want[1], want[2]);
      }
}

static void
test_writes_layer_maps (void)
{
  g_auto(Expected) expected = { NULL };
  g_autofree char *folder = test_tmp_path (tmp, "conv2-maps");
  g_autoptr(Run) run = NULL;
  g_auto(GStrv) lines = NULL;
  const CnvLayerMaps *conv2;
  guint8 rgb[14 * 14 * 3];

  expected_init (&expected);
  conv2 = &expected.maps->layers[3];
  g_assert_cmpint (conv2->channels, ==, 16);

  run = run_cli (checkpoint, image_path, "--layer", "conv2", "--output",
                 folder, "--scale", "per-channel", "--zoom", "3", NULL);
  g_assert_cmpint (run->status, ==, 0);

  /* A header, then one line per channel: file, min, max, mean. */
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpuint (count_lines (run->out), ==, 17);
  g_assert_cmpstr (lines[0], ==, "path\tmin\tmax\tmean");
  for (int c = 0; c < 16; c++)
    {
      g_autofree char *name = g_strdup_printf ("conv2-channel-%02d.png", c + 1);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_auto(GStrv) fields = g_strsplit (lines[c + 1], "\t", -1);

      g_assert_cmpuint (g_strv_length (fields), ==, 4);
      g_assert_cmpstr (fields[0], ==, path);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[1], NULL),
                                      conv2->stats[c].min, 1e-5);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[2], NULL),
                                      conv2->stats[c].max, 1e-5);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[3], NULL),
                                      conv2->stats[c].mean, 1e-5);

      cnv_layer_maps_render (conv2, c, CNV_MAP_SCALE_PER_CHANNEL, rgb);
      assert_png_equals (path, rgb, 14, 14, 3);
    }

  /* The prediction is on stderr, from the same logit. */
  g_assert_nonnull (strstr (run->err, image_path));
  g_assert_nonnull (strstr (run->err, expected.classifier->class_names[
    cnv_sigmoid (expected.maps->logit) >= expected.classifier->threshold]));
}

static void
test_writes_every_layer (void)
{
  g_auto(Expected) expected = { NULL };
  g_autofree char *folder = test_tmp_path (tmp, "all-maps");
  g_autofree char *flat = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(GDir) dir = NULL;
  guint n_files = 0, n_expected = 0;
  guint8 rgb[64 * 3];

  expected_init (&expected);
  run = run_cli (checkpoint, image_path, "--output", folder, "--zoom", "1",
                 NULL);
  g_assert_cmpint (run->status, ==, 0);

  for (guint i = 0; i < expected.maps->n_layers; i++)
    n_expected += expected.maps->layers[i].channels;
  dir = g_dir_open (folder, 0, NULL);
  while (g_dir_read_name (dir) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, n_expected);
  g_assert_cmpuint (count_lines (run->out), ==, n_expected + 1);

  /* fc1's 64 features are one strip, in the layer's shared scale. */
  flat = g_build_filename (folder, "fc1-features.png", NULL);
  cnv_layer_maps_render (&expected.maps->layers[7], 0, CNV_MAP_SCALE_SHARED,
                         rgb);
  assert_png_equals (flat, rgb, 64, 1, 1);
}

static void
test_writes_gradcam (void)
{
  g_auto(Expected) expected = { NULL };
  g_autofree char *path = test_tmp_path (tmp, "gradcam.png");
  g_autoptr(CnvGradCam) cam = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Run) run = NULL;
  guint8 rgb[28 * 28 * 3];
  int predicted;

  expected_init (&expected);
  predicted = cnv_sigmoid (expected.maps->logit)
              >= expected.classifier->threshold;

  /* The other class, over the last convolution (conv2, index 3). */
  run = run_cli (checkpoint, image_path, "--gradcam", path, "--class",
                 "other", "--opacity", "0.7", "--zoom", "2", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_nonnull (strstr (run->err, "Grad-CAM over “conv2”"));

  cam = cnv_gradcam_compute (expected.classifier->model, expected.input, 3,
                             1 - predicted, &error);
  g_assert_no_error (error);
  cnv_gradcam_render_overlay (cam, expected.image, 0.7, rgb);
  assert_png_equals (path, rgb, 28, 28, 2);

  /* By class name, over pool1. */
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&cam, cnv_gradcam_free);
  run = run_cli (checkpoint, image_path, "--gradcam", path, "--layer",
                 "pool1", "--class", expected.classifier->class_names[1],
                 "--zoom", "1", NULL);
  g_assert_cmpint (run->status, ==, 0);
  cam = cnv_gradcam_compute (expected.classifier->model, expected.input, 2,
                             1, &error);
  g_assert_no_error (error);
  cnv_gradcam_render_overlay (cam, expected.image, 0.5, rgb);
  assert_png_equals (path, rgb, 28, 28, 1);
}

/* Each failure is one line naming the file and what is wrong. */
static void
assert_fails (const Run  *run,
              int         status,
              const char *named,
              const char *reason)
{
  g_assert_cmpint (run->status, ==, status);
  g_assert_true (g_str_has_prefix (run->err, "convolve-cli"));
  if (named != NULL)
    g_assert_nonnull (strstr (run->err, named));
  g_assert_nonnull (strstr (run->err, reason));
}

static void
test_errors (void)
{
  g_autofree char *folder = test_tmp_path (tmp, "error-maps");
  g_autofree char *blocker = test_tmp_path (tmp, "a-file");
  g_autofree char *missing = test_tmp_path (tmp, "missing.png");
  g_autofree char *gradcam = test_tmp_path (tmp, "never.png");
  g_autoptr(GError) error = NULL;
  Run *run;

  run = run_cli (checkpoint, image_path, "--layer", "conv9", "--output",
                 folder, NULL);
  assert_fails (run, 1, checkpoint, "no layer “conv9”; the layers are conv1, "
                "relu1, pool1");
  g_assert_cmpuint (count_lines (run->err), ==, 1);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  run_free (run);

  run = run_cli (checkpoint, image_path, "--layer", "fc1", "--gradcam",
                 gradcam, NULL);
  assert_fails (run, 1, checkpoint, "layer “fc1” has no feature maps");
  g_assert_false (g_file_test (gradcam, G_FILE_TEST_EXISTS));
  run_free (run);

  run = run_cli (checkpoint, missing, "--output", folder, NULL);
  assert_fails (run, 1, "missing.png", "");
  g_assert_cmpuint (count_lines (run->err), ==, 1);
  run_free (run);

  run = run_cli (checkpoint, image_path, "--gradcam", gradcam, "--class",
                 "cat", NULL);
  assert_fails (run, 1, checkpoint, "no class “cat”");
  run_free (run);

  g_file_set_contents (blocker, "not a folder", -1, &error);
  g_assert_no_error (error);
  run = run_cli (checkpoint, image_path, "--output", blocker, NULL);
  assert_fails (run, 1, blocker, "cannot create the output folder");
  run_free (run);

  /* Usage errors exit 2 and say what to change. */
  run = run_cli (checkpoint, image_path, NULL);
  assert_fails (run, 2, NULL, "nothing to write");
  run_free (run);
  run = run_cli (checkpoint, image_path, "--output", folder, "--scale",
                 "log", NULL);
  assert_fails (run, 2, NULL, "--scale must be shared or per-channel");
  run_free (run);
  run = run_cli (checkpoint, image_path, "--gradcam", gradcam, "--opacity",
                 "2", NULL);
  assert_fails (run, 2, NULL, "--opacity");
  run_free (run);
  run = run_cli (checkpoint, NULL);
  assert_fails (run, 2, NULL, "missing IMAGE");
  run_free (run);

  /* An image where the checkpoint goes: the checkpoint's error, with the
   * hint of the right order. */
  run = run_cli (image_path, checkpoint, "--output", folder, NULL);
  assert_fails (run, 1, image_path, "hint: ");
  run_free (run);
}

int
main (int   argc,
      char *argv[])
{
  const char *names[] = { "ankle-boot", "sneaker", NULL };
  g_autoptr(CnvModelSpec) spec = cnv_model_spec_new_default ();
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp = test_tmp_dir_new ("test-cli-activations-XXXXXX");
  checkpoint = test_tmp_path (tmp, "model.convolve");
  image_path = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data",
                                 "sample", "sneaker", "train-00006.png",
                                 NULL);

  cnv_preprocessing_init_default (&pp, 28, 28, 1);
  classifier = cnv_classifier_new (spec, &pp, names, 11, &error);
  g_assert_no_error (error);
  cnv_checkpoint_save (classifier, checkpoint, &error);
  g_assert_no_error (error);

  g_test_add_func ("/cli/activations/writes-layer-maps",
                   test_writes_layer_maps);
  g_test_add_func ("/cli/activations/writes-every-layer",
                   test_writes_every_layer);
  g_test_add_func ("/cli/activations/writes-gradcam", test_writes_gradcam);
  g_test_add_func ("/cli/activations/errors", test_errors);

  status = g_test_run ();

  g_free (checkpoint);
  g_free (image_path);
  test_tmp_dir_free (tmp);

  return status;
}
