/* cnv-bench.c — Convolve's side of bench/run-bench
 *
 * Each command measures one thing through the engine's public API, the
 * same calls the app and convolve-cli make, and prints "key value" lines
 * for bench/run-bench to read.  Timings are medians of repeated runs,
 * after a warm-up that is not counted, because the machine is shared.
 *
 *   cnv-bench train DATA MODEL.json BATCH THREADS EPOCHS
 *       loads the folder, trains with Adam (lr 0.001, seed 1, no
 *       validation) one untimed batch and then EPOCHS epochs, and prints
 *       train_img_s (the training steps of the epochs only, as
 *       convolve-cli reports them), then infer_img_s: batches of BATCH
 *       converted from bytes to floats and run forward, in inference mode.
 *   cnv-bench single MODEL.json REPEAT
 *       one image forward with every layer's output kept (the model keeps
 *       them all): single_ms, the median.
 *   cnv-bench load DATA THREADS REPEAT
 *       decodes and preprocesses the folder: load_s, the median.
 *   cnv-bench checkpoint MODEL.json PATH REPEAT
 *       saves a checkpoint of MODEL with Adam state atomically and
 *       durably (save_ms) and opens it again warm (open_ms), medians;
 *       first_open_ms is the first open in the process, file_bytes the
 *       file's size.
 *   cnv-bench sgemm THREADS
 *       OpenBLAS sgemm on 1024 × 1024 × 1024 with THREADS threads:
 *       sgemm_gflop_s, the best of five.
 */
#include <cblas.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "cnv.h"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);

  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static double
now (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

/* CPU seconds of the whole process so far, user and system. */
static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);

  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
         + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static CnvModelSpec *
read_spec (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;
  CnvModelSpec *spec;

  if (!g_file_get_contents (path, &json, &length, &error))
    g_error ("%s", error->message);

  spec = cnv_model_spec_new_from_json (json, (gssize) length, &error);
  if (spec == NULL)
    g_error ("%s: %s", path, error->message);

  return spec;
}

static CnvDataset *
load_dataset (const char             *folder,
              const CnvPreprocessing *pp)
{
  g_autoptr(GError) error = NULL;
  CnvDataset *dataset;

  dataset = cnv_dataset_load (folder, pp, NULL, NULL, NULL, NULL, &error);
  if (dataset == NULL)
    g_error ("%s", error->message);

  return dataset;
}

static void
last_speed_cb (const CnvTrainProgress *progress,
               gpointer                user_data)
{
  *(double *) user_data = progress->images_per_second;
}

/* Inference speed over the whole dataset in batches of batch_size, the
 * median of passes. */
static double
infer_speed (CnvClassifier    *classifier,
             const CnvDataset *dataset,
             int               batch_size)
{
  const CnvModelSpec *spec = cnv_model_get_spec (classifier->model);
  gsize per_image = (gsize) spec->channels * spec->height * spec->width;
  g_autoptr(CnvTensor) input = cnv_tensor_new_4d (batch_size, spec->channels,
                                                  spec->height, spec->width);
  double speeds[5];
  guint n_passes = G_N_ELEMENTS (speeds);

  for (guint pass = 0; pass <= n_passes; pass++)
    {
      double start = now ();

      for (guint first = 0; first < dataset->n_images; first += batch_size)
        {
          guint count = MIN ((guint) batch_size, dataset->n_images - first);
          CnvTensor view = *input;

          view.shape[0] = (int) count;
          view.size = per_image * count;
          for (guint i = 0; i < count; i++)
            cnv_image_to_input (cnv_dataset_get_pixels (dataset, first + i),
                                &classifier->preprocessing,
                                view.data + i * per_image);
          if (cnv_model_forward (classifier->model, &view, FALSE, NULL) == NULL)
            g_error ("inference ran out of memory");
        }

      /* Pass 0 warms the caches and allocates the batch buffers. */
      if (pass > 0)
        speeds[pass - 1] = dataset->n_images / (now () - start);
    }

  return median (speeds, n_passes);
}

static int
cmd_train (int    argc,
           char **argv)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;
  CnvTrainConfig config;
  double speed = 0.0;
  double start;
  double cpu;

  if (argc != 7)
    {
      fprintf (stderr, "usage: cnv-bench train DATA MODEL BATCH THREADS EPOCHS\n");
      return 2;
    }

  spec = read_spec (argv[3]);
  cnv_set_threads (atoi (argv[5]));
  cnv_preprocessing_init_default (&pp, spec->width, spec->height,
                                  spec->channels);
  start = now ();
  dataset = load_dataset (argv[2], &pp);
  printf ("load_s %.4f\n", now () - start);

  classifier = cnv_classifier_new (spec, &pp, NULL, 1, &error);
  if (classifier == NULL)
    g_error ("%s", error->message);

  cnv_train_config_init_default (&config);
  config.epochs = (guint) atoi (argv[6]);
  config.batch_size = (guint) atoi (argv[4]);
  config.val_split = 0.0;
  config.seed = 1;
  config.threads = atoi (argv[5]);

  /* One untimed step first, as torch_bench.py takes one: the first batch
   * allocates the model's buffers and the optimizer's state and touches
   * their pages for the first time, hundreds of megabytes for small-vgg,
   * which a virtual machine that gave freed memory back to its host is
   * slow to do.  The first images of the folder, as one batch. */
  {
    CnvDataset first = *dataset;
    CnvTrainConfig once = config;

    first.n_images = MIN (config.batch_size, dataset->n_images);
    once.epochs = 1;
    if (!cnv_classifier_train (classifier, &first, &once, NULL, NULL, NULL,
                               &error))
      g_error ("%s", error->message);
  }

  cpu = cpu_seconds ();
  if (!cnv_classifier_train (classifier, dataset, &config, NULL, last_speed_cb,
                             &speed, &error))
    g_error ("%s", error->message);

  cpu = cpu_seconds () - cpu;
  printf ("train_img_s %.1f\n", speed);
  /* Per CPU second, the whole run: what other processes on the machine
   * change least. */
  printf ("train_img_cpu_s %.1f\n", config.epochs * dataset->n_images / cpu);
  printf ("infer_img_s %.1f\n",
          infer_speed (classifier, dataset, (int) config.batch_size));

  return 0;
}

static int
cmd_single (int    argc,
            char **argv)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvModel) model = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autofree double *times = NULL;
  guint repeat;
  CnvRng rng;

  if (argc != 4)
    {
      fprintf (stderr, "usage: cnv-bench single MODEL REPEAT\n");
      return 2;
    }

  spec = read_spec (argv[2]);
  repeat = (guint) MAX (atoi (argv[3]), 1);
  times = g_new (double, repeat);
  model = cnv_model_new (spec, NULL);
  cnv_rng_init (&rng, 1);
  cnv_model_init_parameters (model, &rng);
  input = cnv_tensor_new_4d (1, spec->channels, spec->height, spec->width);
  for (gsize i = 0; i < input->size; i++)
    input->data[i] = (float) cnv_rng_uniform (&rng);

  /* One image cannot be split among threads; the first run allocates. */
  cnv_set_threads (1);
  cnv_model_forward (model, input, FALSE, &rng);
  for (guint r = 0; r < repeat; r++)
    {
      double start = now ();

      cnv_model_forward (model, input, FALSE, &rng);
      /* Every layer's output stays readable, as the feature-map view
       * wants it. */
      g_assert (cnv_model_get_activation (model, 0) != NULL);
      times[r] = now () - start;
    }

  printf ("single_ms %.4f\n", 1000.0 * median (times, repeat));

  return 0;
}

static int
cmd_load (int    argc,
          char **argv)
{
  g_autofree double *times = NULL;
  CnvPreprocessing pp;
  guint repeat;
  guint n = 0;

  if (argc != 5)
    {
      fprintf (stderr, "usage: cnv-bench load DATA THREADS REPEAT\n");
      return 2;
    }

  cnv_set_threads (atoi (argv[3]));
  repeat = (guint) MAX (atoi (argv[4]), 1);
  times = g_new (double, repeat);
  cnv_preprocessing_init_default (&pp, 28, 28, 1);

  /* The first load reads the files into the page cache. */
  cnv_dataset_free (load_dataset (argv[2], &pp));
  for (guint r = 0; r < repeat; r++)
    {
      double start = now ();
      CnvDataset *dataset = load_dataset (argv[2], &pp);

      times[r] = now () - start;
      n = dataset->n_images;
      cnv_dataset_free (dataset);
    }

  printf ("load_images %u\n", n);
  printf ("load_s %.4f\n", median (times, repeat));

  return 0;
}

static int
cmd_checkpoint (int    argc,
                char **argv)
{
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *save_times = NULL;
  g_autofree double *open_times = NULL;
  double first_open = 0.0;
  CnvOptimizerConfig config;
  CnvPreprocessing pp;
  const char *path;
  guint repeat;
  CnvModel *model;
  CnvRng rng;

  if (argc != 5)
    {
      fprintf (stderr, "usage: cnv-bench checkpoint MODEL PATH REPEAT\n");
      return 2;
    }

  spec = read_spec (argv[2]);
  path = argv[3];
  repeat = (guint) MAX (atoi (argv[4]), 1);
  save_times = g_new (double, repeat);
  open_times = g_new (double, repeat);
  cnv_preprocessing_init_default (&pp, spec->width, spec->height,
                                  spec->channels);
  classifier = cnv_classifier_new (spec, &pp, NULL, 1, &error);
  if (classifier == NULL)
    g_error ("%s", error->message);

  /* One Adam step on random gradients, so that its state is not zero. */
  model = classifier->model;
  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_ADAM);
  classifier->optimizer = cnv_optimizer_new (&config, model);
  cnv_rng_init (&rng, 2);
  for (guint i = 0; i < cnv_model_get_n_params (model); i++)
    {
      CnvParam *param = cnv_model_get_param (model, i);

      if (param->grad != NULL)
        for (gsize j = 0; j < param->grad->size; j++)
          param->grad->data[j] = (float) cnv_rng_uniform (&rng) - 0.5f;
    }
  cnv_optimizer_step (classifier->optimizer, model);

  /* The saves, then the opens, in loops of their own (as torch_bench.py
   * times them): on a virtual machine memory-bound work runs slower for
   * a few milliseconds after a durable write of 16 MB (a plain copy of
   * 16 MB into new memory took 1.7 ms, and 4-7 ms right after such a
   * write), which would measure the machine rather than the reader.
   * The first of each is a warm-up; the first open, into memory the
   * process never had, is printed on its own. */
  for (guint r = 0; r <= repeat; r++)
    {
      double start = now ();

      if (!cnv_checkpoint_save (classifier, path, &error))
        g_error ("%s", error->message);
      if (r > 0)
        save_times[r - 1] = now () - start;
    }
  for (guint r = 0; r <= repeat; r++)
    {
      double start = now ();
      CnvClassifier *opened = cnv_checkpoint_load (path, &error);

      if (opened == NULL)
        g_error ("%s", error->message);
      if (r > 0)
        open_times[r - 1] = now () - start;
      else
        first_open = now () - start;
      cnv_classifier_free (opened);
    }

  {
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GFileInfo) info = g_file_query_info (file,
                                                   G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                   G_FILE_QUERY_INFO_NONE,
                                                   NULL, NULL);

    printf ("file_bytes %" G_GINT64_FORMAT "\n",
            info != NULL ? g_file_info_get_size (info) : (gint64) 0);
  }
  printf ("save_ms %.3f\n", 1000.0 * median (save_times, repeat));
  printf ("open_ms %.3f\n", 1000.0 * median (open_times, repeat));
  printf ("first_open_ms %.3f\n", 1000.0 * first_open);

  return 0;
}

static int
cmd_sgemm (int    argc,
           char **argv)
{
  const int n = 1024;
  g_autofree float *a = NULL;
  g_autofree float *b = NULL;
  g_autofree float *c = NULL;
  double best = 0.0;

  if (argc != 3)
    {
      fprintf (stderr, "usage: cnv-bench sgemm THREADS\n");
      return 2;
    }

  openblas_set_num_threads (atoi (argv[2]));
  a = g_new (float, (gsize) n * n);
  b = g_new (float, (gsize) n * n);
  c = g_new0 (float, (gsize) n * n);
  for (gsize i = 0; i < (gsize) n * n; i++)
    {
      a[i] = (float) (i % 7) / 7.0f;
      b[i] = (float) (i % 5) / 5.0f;
    }

  for (int r = 0; r < 6; r++)
    {
      double start = now ();
      double seconds;

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                   1.0f, a, n, b, n, 0.0f, c, n);
      seconds = now () - start;
      if (r > 0)
        best = MAX (best, 2.0 * n * n * (double) n / seconds / 1e9);
    }

  printf ("sgemm_gflop_s %.1f\n", best);

  return 0;
}

int
main (int    argc,
      char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "train") == 0)
    return cmd_train (argc, argv);
  if (argc >= 2 && strcmp (argv[1], "single") == 0)
    return cmd_single (argc, argv);
  if (argc >= 2 && strcmp (argv[1], "load") == 0)
    return cmd_load (argc, argv);
  if (argc >= 2 && strcmp (argv[1], "checkpoint") == 0)
    return cmd_checkpoint (argc, argv);
  if (argc >= 2 && strcmp (argv[1], "sgemm") == 0)
    return cmd_sgemm (argc, argv);

  fprintf (stderr,
           "usage: cnv-bench train|single|load|checkpoint|sgemm …\n"
           "(see the top of bench/cnv-bench.c)\n");
  return 2;
}
