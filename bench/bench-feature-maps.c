/* bench-feature-maps.c — how long the Classify page waits for the inside
 * of the network
 *
 * For one image of data/sample, times what the page computes when an
 * image is selected: every layer's feature maps with their statistics
 * (cnv_feature_maps_compute ()), and Grad-CAM over the last convolution
 * (cnv_gradcam_compute ()), on the default LeNet and on
 * bench/small-vgg.json, with weights initialised as for training.  Prints
 * the median, the fastest and the mean of many runs after a few untimed
 * ones.  Not run by the tests: the numbers only mean something on an idle
 * machine.
 *
 *   build/bench/bench-feature-maps [RUNS]
 */
#include "cnv-config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cnv.h"

#define WARM_UP 5

typedef struct
{
  double median;
  double fastest;
  double mean;
} Timing;

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
summarise (double *ms,
           int     runs,
           Timing *timing)
{
  double sum = 0.0;

  qsort (ms, (size_t) runs, sizeof *ms, compare_doubles);
  for (int i = 0; i < runs; i++)
    sum += ms[i];
  timing->median = ms[runs / 2];
  timing->fastest = ms[0];
  timing->mean = sum / runs;
}

static void
bench_model (const char   *title,
             CnvModelSpec *spec,
             const char   *image_path,
             int           runs)
{
  const char *names[] = { "ankle-boot", "sneaker", NULL };
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *maps_ms = g_new (double, runs);
  g_autofree double *cam_ms = g_new (double, runs);
  CnvPreprocessing pp;
  Timing maps, cam;
  int layer;

  cnv_preprocessing_init_default (&pp, spec->width, spec->height,
                                  spec->channels);
  classifier = cnv_classifier_new (spec, &pp, names, 1, &error);
  if (classifier == NULL)
    g_error ("%s", error->message);
  image = cnv_image_load (image_path, &classifier->preprocessing, &error);
  if (image == NULL)
    g_error ("%s", error->message);
  input = cnv_inspect_input_new (classifier, image, &error);
  layer = cnv_gradcam_default_layer (classifier->model);

  for (int i = -WARM_UP; i < runs; i++)
    {
      g_autoptr(CnvFeatureMaps) result = NULL;
      g_autoptr(CnvGradCam) heat = NULL;
      gint64 start = g_get_monotonic_time ();
      gint64 middle;

      result = cnv_feature_maps_compute (classifier->model, input, &error);
      middle = g_get_monotonic_time ();
      heat = cnv_gradcam_compute (classifier->model, input, (guint) layer, 1,
                                  &error);
      if (result == NULL || heat == NULL)
        g_error ("%s", error->message);
      if (i >= 0)
        {
          maps_ms[i] = (middle - start) / 1000.0;
          cam_ms[i] = (g_get_monotonic_time () - middle) / 1000.0;
        }
    }

  summarise (maps_ms, runs, &maps);
  summarise (cam_ms, runs, &cam);
  printf ("%-10s %8zu  %2d  %-13s %8.3f %8.3f %8.3f\n", title,
          cnv_model_count_parameters (classifier->model), cnv_get_threads (),
          "feature maps", maps.median, maps.fastest, maps.mean);
  printf ("%-10s %8s  %2s  %-13s %8.3f %8.3f %8.3f\n", "", "", "",
          "Grad-CAM", cam.median, cam.fastest, cam.mean);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *image = NULL;
  g_autofree char *vgg_path = NULL;
  g_autofree char *vgg_json = NULL;
  g_autoptr(CnvModelSpec) lenet = cnv_model_spec_new_default ();
  g_autoptr(CnvModelSpec) vgg = NULL;
  g_autoptr(GError) error = NULL;
  int runs = argc > 1 ? atoi (argv[1]) : 200;
  int threads[] = { 1, g_get_num_processors () };

  if (runs < 1)
    {
      fprintf (stderr, "usage: %s [RUNS ≥ 1]\n", argv[0]);
      return 2;
    }

  image = g_build_filename (CNV_BENCH_SOURCE_ROOT, "data", "sample", "sneaker",
                            "train-00006.png", NULL);
  vgg_path = g_build_filename (CNV_BENCH_SOURCE_ROOT, "bench", "small-vgg.json",
                               NULL);
  if (!g_file_get_contents (vgg_path, &vgg_json, NULL, &error)
      || (vgg = cnv_model_spec_new_from_json (vgg_json, -1, &error)) == NULL)
    {
      fprintf (stderr, "%s: %s\n", vgg_path, error->message);
      return 1;
    }

  printf ("one image of data/sample, %d runs after %d untimed; ms\n\n", runs,
          WARM_UP);
  printf ("%-10s %8s  %2s  %-13s %8s %8s %8s\n", "model", "params", "th",
          "what", "median", "fastest", "mean");
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    {
      if (t > 0 && threads[t] == threads[0])
        break;
      cnv_set_threads (threads[t]);
      bench_model ("lenet", lenet, image, runs);
      bench_model ("small-vgg", vgg, image, MAX (runs / 10, 1));
    }

  return 0;
}
