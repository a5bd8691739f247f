/* cli-activations.c — `convolve-cli activations`: feature maps and
 * Grad-CAM of one image as PNG files
 *
 * The image goes through the checkpoint's preprocessing, the model runs
 * once in inference mode, and each channel of the chosen layer (or of
 * every layer) is written as its own PNG through viridis; --gradcam
 * writes the heat map for a class over the image.  The computation is
 * the engine's (cnv-inspect.h), the one the app's views use.  Files are
 * written whole or not at all: each one goes to a temporary file that is
 * renamed over the target.
 */
#define G_LOG_DOMAIN "cnv-cli-activations"

#include "cnv-config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cli.h"

#define MAX_ZOOM 64

typedef struct
{
  char    *layer;
  char    *output;
  char    *gradcam;
  char    *target;       /* "predicted", "other", or a class name */
  char    *scale;        /* "shared" or "per-channel" */
  double   opacity;
  int      zoom;
  int      threads;
} ActivationsOptions;

static void
options_clear (ActivationsOptions *opts)
{
  g_free (opts->layer);
  g_free (opts->output);
  g_free (opts->gradcam);
  g_free (opts->target);
  g_free (opts->scale);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ActivationsOptions, options_clear)

/* Writes width × height packed RGB bytes as a PNG, zoom times larger with
 * nearest neighbour so that every value stays one sharp square. */
static gboolean
write_png (const guint8  *rgb,
           int            width,
           int            height,
           int            zoom,
           const char    *path,
           GError       **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) zoomed = NULL;
  g_autofree char *buffer = NULL;
  gsize length = 0;

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  if (pixbuf == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                   _("Not enough memory for the image."));
      return FALSE;
    }
  for (int y = 0; y < height; y++)
    memcpy (gdk_pixbuf_get_pixels (pixbuf)
            + (gsize) y * gdk_pixbuf_get_rowstride (pixbuf),
            rgb + (gsize) y * width * 3, (gsize) width * 3);

  if (zoom > 1)
    zoomed = gdk_pixbuf_scale_simple (pixbuf, width * zoom, height * zoom,
                                      GDK_INTERP_NEAREST);
  if (!gdk_pixbuf_save_to_buffer (zoomed != NULL ? zoomed : pixbuf, &buffer,
                                  &length, "png", error, NULL))
    return FALSE;

  return g_file_set_contents_full (path, buffer, (gssize) length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                   error);
}

/* "conv1-channel-03.png": the layer, then the channel counted from 1 with
 * as many digits as the last one needs, so that files sort in order. */
static char *
channel_file_name (const char *layer_id,
                   int         channel,
                   int         n_channels)
{
  int digits = 2;

  for (int n = n_channels; n >= 100; n /= 10)
    digits++;

  return g_strdup_printf ("%s-channel-%0*d.png", layer_id, digits,
                          channel + 1);
}

static gboolean
write_layer (const CnvLayerMaps *maps,
             const char         *layer_id,
             CnvMapScale         scale,
             const char         *folder,
             int                 zoom,
             GError            **error)
{
  g_autofree guint8 *rgb = NULL;
  gsize plane = (gsize) maps->height * maps->width;

  rgb = g_malloc (plane * 3);

  /* A flat layer is one strip of its features, each channel of a spatial
   * one a file of its own. */
  for (int c = 0; c < maps->channels; c++)
    {
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      g_autofree char *lo = NULL, *hi = NULL, *mean = NULL;
      const CnvChannelStats *stats = &maps->stats[c];

      name = maps->flat ? g_strdup_printf ("%s-features.png", layer_id)
                        : channel_file_name (layer_id, c, maps->channels);
      path = g_build_filename (folder, name, NULL);

      cnv_layer_maps_render (maps, c, scale, rgb);
      if (!write_png (rgb, maps->width, maps->height, zoom, path, error))
        {
          g_prefix_error (error, "%s: ", path);
          return FALSE;
        }

      lo = cnv_cli_format_double (stats->min, "%.6g");
      hi = cnv_cli_format_double (stats->max, "%.6g");
      mean = cnv_cli_format_double (stats->mean, "%.6g");
      printf ("%s\t%s\t%s\t%s\n", path, lo, hi, mean);
    }

  return TRUE;
}

static int
find_layer (const CnvModelSpec *spec,
            const char         *id)
{
  for (guint i = 0; i < spec->n_layers; i++)
    if (g_str_equal (spec->layers[i].id, id))
      return (int) i;

  return -1;
}

static char *
list_layer_ids (const CnvModelSpec *spec)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < spec->n_layers; i++)
    {
      if (i > 0)
        g_string_append (ids, ", ");
      g_string_append (ids, spec->layers[i].id);
    }

  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* The class Grad-CAM explains: 1 or 0, or -1 after printing why not. */
static int
resolve_target (const ActivationsOptions *opts,
                const CnvClassifier      *classifier,
                const char               *checkpoint,
                int                       predicted)
{
  const char *target = opts->target != NULL ? opts->target : "predicted";

  if (g_str_equal (target, "predicted"))
    return predicted;
  if (g_str_equal (target, "other"))
    return 1 - predicted;
  for (int i = 0; i < 2; i++)
    if (g_str_equal (target, classifier->class_names[i]))
      return i;

  fprintf (stderr, _("%s: %s: no class “%s”; use predicted, other, “%s” or "
                     "“%s”\n"), CNV_CLI_NAME, checkpoint, target,
           classifier->class_names[0], classifier->class_names[1]);
  return -1;
}

static int
write_gradcam (const ActivationsOptions *opts,
               CnvClassifier            *classifier,
               const char               *checkpoint,
               const CnvImage           *image,
               const CnvTensor          *input,
               int                       layer,
               int                       predicted)
{
  const CnvModelSpec *spec = cnv_model_get_spec (classifier->model);
  g_autoptr(CnvGradCam) cam = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *rgb = NULL;
  int target;

  if (layer < 0)
    layer = cnv_gradcam_default_layer (classifier->model);
  if (layer < 0)
    {
      fprintf (stderr, _("%s: %s: the model has no convolution for "
                         "Grad-CAM to look at\n"), CNV_CLI_NAME, checkpoint);
      return CNV_CLI_EXIT_FAILURE;
    }

  target = resolve_target (opts, classifier, checkpoint, predicted);
  g_assert (target >= 0);

  cam = cnv_gradcam_compute (classifier->model, input, (guint) layer, target,
                             &error);
  if (cam == NULL)
    {
      cnv_cli_print_error (checkpoint, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  rgb = g_malloc ((gsize) cam->width * cam->height * 3);
  cnv_gradcam_render_overlay (cam, image, opts->opacity, rgb);
  if (!write_png (rgb, cam->width, cam->height, opts->zoom, opts->gradcam,
                  &error))
    {
      cnv_cli_print_error (opts->gradcam, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  /* TRANSLATORS: Grad-CAM's summary line: the layer, the class, the
   * file written. */
  fprintf (stderr, _("Grad-CAM over “%s” for “%s” written to %s\n"),
           spec->layers[layer].id, classifier->class_names[target],
           opts->gradcam);
  if (cam->max <= 0.0f)
    fprintf (stderr, _("%s: note: nothing in the image speaks for “%s” at "
                       "“%s”: the heat map is empty\n"), CNV_CLI_NAME,
             classifier->class_names[target], spec->layers[layer].id);

  return CNV_CLI_EXIT_OK;
}

static gboolean
make_folder (const char *folder)
{
  if (g_mkdir_with_parents (folder, 0777) == 0
      && g_file_test (folder, G_FILE_TEST_IS_DIR))
    return TRUE;

  /* TRANSLATORS: the folder, then the system's reason. */
  fprintf (stderr, _("%s: %s: cannot create the output folder: %s\n"),
           CNV_CLI_NAME, folder, g_strerror (errno));
  return FALSE;
}

static int
run_activations (const ActivationsOptions *opts,
                 const char               *checkpoint,
                 const char               *image_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvFeatureMaps) maps = NULL;
  g_autofree char *probability_text = NULL;
  const CnvModelSpec *spec;
  CnvMapScale scale = CNV_MAP_SCALE_SHARED;
  double probability;
  int predicted;
  int layer = -1;

  cnv_cli_set_threads (opts->threads);

  classifier = cnv_checkpoint_load (checkpoint, &error);
  if (classifier == NULL)
    {
      cnv_cli_print_checkpoint_error (checkpoint, error,
        _("convolve-cli activations CHECKPOINT IMAGE"));
      return CNV_CLI_EXIT_FAILURE;
    }
  cnv_cli_print_notices (checkpoint, classifier);
  if (!cnv_classifier_check (classifier, &error))
    {
      cnv_cli_print_error (checkpoint, error);
      return CNV_CLI_EXIT_FAILURE;
    }
  spec = cnv_model_get_spec (classifier->model);

  if (opts->layer != NULL)
    {
      layer = find_layer (spec, opts->layer);
      if (layer < 0)
        {
          g_autofree char *ids = list_layer_ids (spec);

          fprintf (stderr, _("%s: %s: no layer “%s”; the layers are %s\n"),
                   CNV_CLI_NAME, checkpoint, opts->layer, ids);
          return CNV_CLI_EXIT_FAILURE;
        }
    }
  if (opts->gradcam != NULL && layer >= 0
      && !cnv_gradcam_layer_is_valid (classifier->model, (guint) layer))
    {
      fprintf (stderr, _("%s: %s: layer “%s” has no feature maps for "
                         "Grad-CAM; give --layer a convolution or pooling "
                         "layer before the flatten\n"), CNV_CLI_NAME,
               checkpoint, opts->layer);
      return CNV_CLI_EXIT_FAILURE;
    }

  /* A class that does not exist is refused before any work is done. */
  if (opts->gradcam != NULL && resolve_target (opts, classifier, checkpoint,
                                               1) < 0)
    return CNV_CLI_EXIT_FAILURE;

  image = cnv_image_load (image_path, &classifier->preprocessing, &error);
  if (image == NULL)
    {
      cnv_cli_print_error (image_path, error);
      return CNV_CLI_EXIT_FAILURE;
    }
  if (opts->output != NULL && !make_folder (opts->output))
    return CNV_CLI_EXIT_FAILURE;
  input = cnv_inspect_input_new (classifier, image, &error);
  if (input != NULL)
    maps = cnv_feature_maps_compute (classifier->model, input, &error);
  if (maps == NULL)
    {
      cnv_cli_print_error (image_path, error);
      return CNV_CLI_EXIT_FAILURE;
    }

  probability = cnv_sigmoid (maps->logit);
  predicted = probability >= classifier->threshold ? 1 : 0;
  probability_text = cnv_cli_format_double (probability, "%.6f");
  /* TRANSLATORS: the summary on stderr: file, class, probability of the
   * positive class. */
  fprintf (stderr, _("%s: %s (probability of “%s”: %s)\n"), image_path,
           classifier->class_names[predicted], classifier->class_names[1],
           probability_text);

  if (opts->output != NULL)
    {
      if (g_strcmp0 (opts->scale, "per-channel") == 0)
        scale = CNV_MAP_SCALE_PER_CHANNEL;

      printf ("path\tmin\tmax\tmean\n");
      for (guint i = 0; i < spec->n_layers; i++)
        {
          if (layer >= 0 && (int) i != layer)
            continue;
          if (!write_layer (&maps->layers[i], spec->layers[i].id, scale,
                            opts->output, opts->zoom, &error))
            {
              fflush (stdout);
              cnv_cli_print_error (NULL, error);
              return CNV_CLI_EXIT_FAILURE;
            }
        }
      fflush (stdout);
    }

  if (opts->gradcam != NULL)
    return write_gradcam (opts, classifier, checkpoint, image, input, layer,
                          predicted);

  return CNV_CLI_EXIT_OK;
}

int
cnv_cli_activations (int    argc,
                     char **argv)
{
  g_auto(ActivationsOptions) opts = { NULL, NULL, NULL, NULL, NULL, 0.5, 8, 0 };
  const GOptionEntry entries[] = {
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &opts.layer,
      N_("The layer, by id (default: every layer; for --gradcam the last "
         "convolution)"), N_("ID") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opts.output,
      N_("Write the feature maps as PNG files into this folder"), N_("DIR") },
    { "scale", 0, 0, G_OPTION_ARG_STRING, &opts.scale,
      N_("Colour scale of the maps: shared (one range for all channels of a "
         "layer, the default) or per-channel"), N_("SCALE") },
    { "gradcam", 0, 0, G_OPTION_ARG_FILENAME, &opts.gradcam,
      N_("Write the Grad-CAM heat map over the image as a PNG file"),
      N_("FILE.png") },
    { "class", 0, 0, G_OPTION_ARG_STRING, &opts.target,
      N_("The class Grad-CAM explains: predicted (default), other, or a "
         "class name"), N_("CLASS") },
    { "opacity", 0, 0, G_OPTION_ARG_DOUBLE, &opts.opacity,
      N_("Opacity of the heat map over the image, 0 to 1 (default 0.5)"),
      N_("F") },
    { "zoom", 0, 0, G_OPTION_ARG_INT, &opts.zoom,
      N_("Write every value as a square of N × N pixels (default 8)"),
      "N" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &opts.threads,
      CNV_CLI_THREADS_HELP, "N" },
    { NULL }
  };
  const char * const required[] = { N_("CHECKPOINT"), N_("IMAGE"), NULL };
  g_autoptr(GOptionContext) context = NULL;
  int status;

  context = g_option_context_new (_("CHECKPOINT IMAGE — write feature maps "
                                    "and Grad-CAM as PNG"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("Runs the checkpoint on IMAGE, prepared with the checkpoint’s "
      "preprocessing, and writes what its layers computed.\n\n"
      "--output DIR writes one PNG per channel, named LAYER-channel-NN.png "
      "(channels counted from 1; a flat layer gives LAYER-features.png), "
      "in the viridis colour map, and prints each file with the channel’s "
      "minimum, maximum and mean on stdout.  --gradcam FILE.png writes "
      "where the image speaks for the class, as a heat map over the image "
      "in grey.\n\n"
      "Example:\n"
      "  convolve-cli activations model.convolve shoe.png --layer conv2 \\\n"
      "      --output maps --gradcam shoe-gradcam.png"));

  if (!cnv_cli_parse_options (context, "activations", &argc, &argv))
    return CNV_CLI_EXIT_USAGE;

  status = cnv_cli_check_arguments ("activations", argc, argv, required,
                                    FALSE, opts.threads);
  if (status != CNV_CLI_EXIT_OK)
    return status;
  if (opts.output == NULL && opts.gradcam == NULL)
    return cnv_cli_usage_error ("activations",
                                _("nothing to write: give --output DIR, "
                                  "--gradcam FILE.png or both"));
  if (opts.scale != NULL && !g_str_equal (opts.scale, "shared")
      && !g_str_equal (opts.scale, "per-channel"))
    return cnv_cli_usage_error ("activations",
                                _("--scale must be shared or per-channel, "
                                  "not “%s”"), opts.scale);
  if (!(opts.opacity >= 0.0 && opts.opacity <= 1.0))
    return cnv_cli_usage_error ("activations",
                                _("--opacity must be between 0 and 1"));
  if (opts.zoom < 1 || opts.zoom > MAX_ZOOM)
    return cnv_cli_usage_error ("activations",
                                _("--zoom must be between 1 and %d"),
                                MAX_ZOOM);

  return run_activations (&opts, argv[1], argv[2]);
}
