/* test-app-inspect.c — the Classify page of the real window under Xvfb:
 * drops of files and folders, the list, CSV export, and the views inside
 * the network, checked against the engine and looked at as screenshots
 * in the build folder */
#include "cnv-config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cnv-application.h"
#include "cnv-window.h"
#include "cnv-export.h"
#include "cnv-window-private.h"
#include "test-util.h"
#include "app-test-util.h"


static char *
source_path (const char *first,
             ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, (char *) g_getenv ("CNV_SOURCE_ROOT"));
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (char *) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

/* A window on data/sample with the default model trained for 2 epochs. */
static CnvWindow *
new_trained_window (CnvApplication *app)
{
  g_autofree char *folder = source_path ("data", "sample", NULL);
  CnvWindow *window;

  window = cnv_window_new (app, folder);
  gtk_window_set_default_size (GTK_WINDOW (window), 1300, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  gtk_spin_button_set_value (cnv_train_page_get_epochs_spin (
                               cnv_window_get_train_page (window)), 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (iterate_until (window_idle, window, 120));
  g_assert_nonnull (cnv_window_get_classifier (window));

  return window;
}

/* Emits the page's GtkDropTarget "drop" with a GdkFileList of paths, as
 * a drag from a file manager does. */
static void
drop_files (CnvClassifyPage    *page,
            const char * const *paths)
{
  g_auto(GValue) value = G_VALUE_INIT;
  GSList *list = NULL;
  gboolean handled = FALSE;

  for (guint i = 0; paths[i] != NULL; i++)
    list = g_slist_append (list, g_file_new_for_path (paths[i]));

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
  g_signal_emit_by_name (cnv_classify_page_get_drop_target (page), "drop",
                         &value, 20.0, 20.0, &handled);
  g_assert_true (handled);

  g_slist_free_full (list, g_object_unref);
}

static CnvPrediction *
find_row (GListModel *rows,
          const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(CnvPrediction) row = g_list_model_get_item (rows, i);

      if (g_strcmp0 (cnv_prediction_get_name (row), name) == 0)
        return row;
    }

  return NULL;
}

/* Every readable row agrees with the engine to the bit, and its folder
 * class is the folder it is in. */
static void
check_rows_against_engine (CnvClassifier *reference,
                           GListModel    *rows)
{
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(CnvPrediction) row = g_list_model_get_item (rows, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *folder = NULL;
      g_autofree char *folder_name = NULL;
      const char *path = cnv_prediction_get_path (row);
      double probability;
      int expected_truth = -1;

      if (cnv_prediction_get_error (row) != NULL)
        continue;

      g_assert_true (cnv_classifier_predict_file (reference, path,
                                                  &probability, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (cnv_prediction_get_probability (row), ==,
                         probability);
      g_assert_cmpint (cnv_prediction_get_class (row), ==,
                       probability >= reference->threshold);
      g_assert_cmpstr (cnv_prediction_get_class_name (row), ==,
                       reference->class_names[probability
                                              >= reference->threshold]);

      folder = g_path_get_dirname (path);
      folder_name = g_path_get_basename (folder);
      for (int k = 0; k < 2; k++)
        if (g_str_equal (folder_name, reference->class_names[k]))
          expected_truth = k;
      g_assert_cmpint (cnv_prediction_get_truth (row), ==, expected_truth);
      g_assert_cmpint (cnv_prediction_is_wrong (row), ==,
                       expected_truth >= 0
                       && cnv_prediction_get_class (row) != expected_truth);
      g_assert_cmpint (cnv_prediction_is_near_threshold (row), ==,
                       fabs (probability - reference->threshold) < 0.1);
    }
}

static guint
count_rows (GListModel *rows,
            gboolean  (*keep) (CnvPrediction *row, gpointer data),
            gpointer    data)
{
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(CnvPrediction) row = g_list_model_get_item (rows, i);

      n += keep (row, data);
    }

  return n;
}

static gboolean
has_class (CnvPrediction *row,
           gpointer       data)
{
  return cnv_prediction_get_class (row) == GPOINTER_TO_INT (data);
}

static gboolean
is_wrong (CnvPrediction *row,
          gpointer       data)
{
  return cnv_prediction_is_wrong (row);
}

static gboolean
is_unreadable (CnvPrediction *row,
               gpointer       data)
{
  return cnv_prediction_get_error (row) != NULL;
}

static guint
count_files (const char *folder)
{
  g_autoptr(GPtrArray) files = cnv_list_image_files (folder, NULL);

  g_assert_nonnull (files);

  return files->len;
}

static void
test_list (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-app-inspect-XXXXXX");
  g_autoptr(CnvClassifier) reference = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *boot = source_path ("data", "sample-test", "ankle-boot",
                                       "test-00000.png", NULL);
  g_autofree char *sneaker = source_path ("data", "sample-test", "sneaker",
                                          "test-00009.png", NULL);
  g_autofree char *folder = source_path ("data", "sample-test", NULL);
  g_autofree char *broken = test_tmp_path (tmp, "broken.png");
  g_autofree char *csv_path = test_tmp_path (tmp, "predictions.csv");
  g_autofree char *bad_csv = test_tmp_path (tmp, "missing/predictions.csv");
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  const char *files[] = { boot, sneaker, broken, NULL };
  const char *folders[] = { folder, NULL };
  CnvClassifyPage *page;
  CnvWindow *window;
  GListModel *rows, *all;
  CnvPrediction *row;
  guint n_folder = count_files (folder);
  guint n;

  g_file_set_contents (broken, "not an image", -1, &error);
  g_assert_no_error (error);

  window = new_trained_window (app);
  reference = cnv_classifier_copy (cnv_window_get_classifier (window));
  page = cnv_window_get_classify_page (window);
  rows = cnv_classify_page_get_rows (page);
  all = cnv_classify_page_get_all_rows (page);
  cnv_window_show_page (window, "classify");
  g_assert_cmpstr (cnv_classify_page_get_state (page), ==, "empty");
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "inspect-empty.png");

  /* Three files: two images in class folders and one that is not an
   * image, which gets a row saying so. */
  drop_files (page, files);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpstr (cnv_classify_page_get_state (page), ==, "result");
  g_assert_cmpuint (g_list_model_get_n_items (all), ==, 3);
  row = find_row (all, "broken.png");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (cnv_prediction_get_error (row), "broken.png"));
  g_assert_cmpint (cnv_prediction_get_class (row), ==, -1);
  check_rows_against_engine (reference, all);
  /* The first file of the drop is the one shown. */
  g_assert_cmpstr (cnv_window_get_classified_path (window), ==, boot);

  /* A folder with a folder for each class: every image below it, each
   * held against its folder; the two files already listed keep their
   * one row each. */
  drop_files (page, folders);
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_cmpuint (g_list_model_get_n_items (all), ==, 1 + n_folder);
  g_assert_cmpint (cnv_prediction_get_truth (find_row (all, "test-00000.png")),
                   ==, 0);
  g_assert_cmpint (cnv_prediction_get_truth (find_row (all, "test-00009.png")),
                   ==, 1);
  check_rows_against_engine (reference, all);
  g_assert_cmpuint (count_rows (all, is_unreadable, NULL), ==, 1);
  n = g_list_model_get_n_items (all);
  {
    g_autofree char *expected = g_strdup_printf ("of %u in class folders",
                                                 n_folder);

    g_assert_nonnull (strstr (cnv_classify_page_get_summary (page),
                              expected));
  }

  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "inspect-list.png");

  /* Filters: by class, wrong, unreadable. */
  cnv_classify_page_set_filter (page, CNV_CLASSIFY_FILTER_CLASS_0);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==,
                    count_rows (all, has_class, GINT_TO_POINTER (0)));
  g_assert_cmpuint (count_rows (rows, has_class, GINT_TO_POINTER (0)), ==,
                    g_list_model_get_n_items (rows));
  cnv_classify_page_set_filter (page, CNV_CLASSIFY_FILTER_CLASS_1);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==,
                    count_rows (all, has_class, GINT_TO_POINTER (1)));
  cnv_classify_page_set_filter (page, CNV_CLASSIFY_FILTER_WRONG);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==,
                    count_rows (all, is_wrong, NULL));
  cnv_classify_page_set_filter (page, CNV_CLASSIFY_FILTER_UNREADABLE);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);
  cnv_classify_page_set_filter (page, CNV_CLASSIFY_FILTER_ALL);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, n);

  /* Sorts: by probability both ways and by confidence; no answer last. */
  cnv_classify_page_set_sort (page, CNV_CLASSIFY_SORT_PROBABILITY_DOWN);
  for (guint i = 1; i + 1 < n; i++)
    {
      g_autoptr(CnvPrediction) a = g_list_model_get_item (rows, i - 1);
      g_autoptr(CnvPrediction) b = g_list_model_get_item (rows, i);

      g_assert_cmpfloat (cnv_prediction_get_probability (a), >=,
                         cnv_prediction_get_probability (b));
    }
  row = g_list_model_get_item (rows, n - 1);
  g_assert_cmpstr (cnv_prediction_get_name (row), ==, "broken.png");
  g_object_unref (row);

  /* A file that could not be read has nothing inside the network to
   * show: its detail offers the Prediction tab alone, and the next image
   * gets the other tabs back. */
  cnv_classify_page_show_view (page, "maps");
  cnv_classify_page_select (page, n - 1);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpstr (cnv_classify_page_get_view (page), ==, "prediction");
  g_assert_false (cnv_classify_page_offers_view (page, "maps"));
  g_assert_false (cnv_classify_page_offers_view (page, "gradcam"));
  g_assert_true (cnv_classify_page_offers_view (page, "prediction"));
  cnv_classify_page_select (page, 0);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (cnv_classify_page_offers_view (page, "maps"));
  g_assert_true (cnv_classify_page_offers_view (page, "gradcam"));
  cnv_classify_page_set_sort (page, CNV_CLASSIFY_SORT_CONFIDENCE_UP);
  for (guint i = 1; i + 1 < n; i++)
    {
      g_autoptr(CnvPrediction) a = g_list_model_get_item (rows, i - 1);
      g_autoptr(CnvPrediction) b = g_list_model_get_item (rows, i);

      g_assert_cmpfloat (cnv_prediction_get_confidence (a), <=,
                         cnv_prediction_get_confidence (b));
    }

  /* CSV of the list as shown, in that order. */
  g_assert_true (cnv_classify_page_export_csv (page, csv_path, &error));
  g_assert_no_error (error);
  g_file_get_contents (csv_path, &csv, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, n + 2);
  g_assert_cmpstr (lines[0], ==, "file,class,probability,confidence,"
                   "near_threshold,folder_class,correct,error");
  g_assert_cmpstr (lines[n + 1], ==, "");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CnvPrediction) item = g_list_model_get_item (rows, i);
      g_auto(GStrv) fields = g_strsplit (lines[i + 1], ",", 8);
      g_autofree char *probability = NULL;

      g_assert_cmpuint (g_strv_length (fields), ==, 8);
      g_assert_cmpstr (fields[0], ==, cnv_prediction_get_path (item));
      if (cnv_prediction_get_error (item) != NULL)
        {
          g_assert_cmpstr (fields[1], ==, "");
          g_assert_nonnull (strstr (fields[7], "broken.png"));
          continue;
        }
      probability = g_strdup_printf ("%.6f",
                                     cnv_prediction_get_probability (item));
      g_assert_cmpstr (fields[1], ==, cnv_prediction_get_class_name (item));
      g_assert_cmpstr (fields[2], ==, probability);
      g_assert_cmpstr (fields[5], ==,
                       reference->class_names[cnv_prediction_get_truth (item)]);
      g_assert_cmpstr (fields[6], ==,
                       cnv_prediction_is_wrong (item) ? "no" : "yes");
    }

  /* A folder that does not exist: the error names the file, and nothing
   * is left behind. */
  g_assert_false (cnv_classify_page_export_csv (page, bad_csv, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "predictions.csv"));
  g_clear_error (&error);

  destroy_and_check_finalized (window);
}

static gboolean
inspected (gpointer data)
{
  return cnv_classify_page_get_inspection (CNV_CLASSIFY_PAGE (data)) != NULL;
}

static void
test_inside_the_network (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) reference = NULL;
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(CnvTensor) input = NULL;
  g_autoptr(CnvFeatureMaps) maps = NULL;
  g_autoptr(CnvGradCam) cam = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sneaker = source_path ("data", "sample-test", "sneaker",
                                          "test-00009.png", NULL);
  g_autofree guint8 *expected = NULL;
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-app-inspect-XXXXXX");
  g_autoptr(GdkPixbuf) saved = NULL;
  g_autofree char *png = NULL;
  const char *files[] = { sneaker, NULL };
  GtkWidget *content;
  CnvClassifyPage *page;
  CnvMapsView *maps_view;
  CnvGradcamView *gradcam_view;
  CnvFiltersView *filters_view;
  CnvInspection *inspection;
  CnvWindow *window;
  const guint8 *shown;
  int width, height, predicted;

  window = new_trained_window (app);
  reference = cnv_classifier_copy (cnv_window_get_classifier (window));
  page = cnv_window_get_classify_page (window);
  cnv_window_show_page (window, "classify");
  drop_files (page, files);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_true (iterate_until (inspected, page, 30));
  inspection = cnv_classify_page_get_inspection (page);

  /* The engine's own answer for the same image. */
  image = cnv_image_load (sneaker, &reference->preprocessing, &error);
  g_assert_no_error (error);
  input = cnv_inspect_input_new (reference, image, &error);
  g_assert_no_error (error);
  maps = cnv_feature_maps_compute (reference->model, input, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (inspection->maps->logit, ==, maps->logit);
  predicted = cnv_sigmoid (maps->logit) >= reference->threshold;

  /* Feature maps: conv1's 8 channels; channel 3 clicked is drawn large,
   * in the layer's shared scale and then its own. */
  cnv_classify_page_show_view (page, "maps");
  maps_view = cnv_classify_page_get_maps_view (page);
  g_assert_cmpuint (cnv_maps_view_get_layer (maps_view), ==, 0);
  g_assert_cmpint (cnv_map_grid_get_n_tiles (cnv_maps_view_get_grid (maps_view)),
                   ==, 8);
  cnv_map_grid_set_selected (cnv_maps_view_get_grid (maps_view), 2);
  expected = g_malloc (28 * 28 * 3);
  cnv_layer_maps_render (&maps->layers[0], 2, CNV_MAP_SCALE_SHARED, expected);
  shown = cnv_pixel_view_get_rgb (cnv_maps_view_get_channel_view (maps_view),
                                  &width, &height);
  g_assert_cmpint (width, ==, 28);
  g_assert_cmpmem (shown, 28 * 28 * 3, expected, 28 * 28 * 3);
  g_assert_nonnull (strstr (cnv_maps_view_get_stats_text (maps_view),
                            "Minimum"));
  cnv_maps_view_set_scale (maps_view, CNV_MAP_SCALE_PER_CHANNEL);
  cnv_layer_maps_render (&maps->layers[0], 2, CNV_MAP_SCALE_PER_CHANNEL,
                         expected);
  shown = cnv_pixel_view_get_rgb (cnv_maps_view_get_channel_view (maps_view),
                                  &width, &height);
  g_assert_cmpmem (shown, 28 * 28 * 3, expected, 28 * 28 * 3);
  settle (0.3);
  save_docs_screenshot (window, "inspect-feature-maps.png");

  /* Page Down's action steps to the next layer: relu1, same shape. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (maps_view),
                                             "maps.next-layer", NULL));
  g_assert_cmpuint (cnv_maps_view_get_layer (maps_view), ==, 1);
  cnv_maps_view_set_layer (maps_view, 3);
  g_assert_cmpint (cnv_map_grid_get_n_tiles (cnv_maps_view_get_grid (maps_view)),
                   ==, 16);
  settle (0.2);
  save_screenshot (GTK_WIDGET (window), "inspect-feature-maps-conv2.png");

  /* Filters of conv1 and a histogram per layer with weights. */
  cnv_classify_page_show_view (page, "filters");
  filters_view = cnv_classify_page_get_filters_view (page);
  g_assert_cmpint (cnv_map_grid_get_n_tiles (cnv_filters_view_get_grid (filters_view)),
                   ==, 8);
  g_assert_cmpuint (cnv_filters_view_get_n_histograms (filters_view), ==, 4);
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "inspect-filters.png");

  /* Grad-CAM over conv2 for the predicted class, then the other. */
  cnv_classify_page_show_view (page, "gradcam");
  gradcam_view = cnv_classify_page_get_gradcam_view (page);
  g_assert_cmpint (cnv_gradcam_view_get_layer (gradcam_view), ==, 3);
  g_assert_cmpint (cnv_gradcam_view_get_class (gradcam_view), ==, predicted);
  cnv_gradcam_view_set_opacity (gradcam_view, 0.8);
  cam = cnv_gradcam_compute (reference->model, input, 3, predicted, &error);
  g_assert_no_error (error);
  g_free (expected);
  expected = g_malloc (28 * 28 * 3);
  cnv_gradcam_render_overlay (cam, image, 0.8, expected);
  shown = cnv_pixel_view_get_rgb (cnv_gradcam_view_get_heat_view (gradcam_view),
                                  &width, &height);
  g_assert_cmpmem (shown, 28 * 28 * 3, expected, 28 * 28 * 3);
  g_assert_nonnull (strstr (cnv_gradcam_view_get_caption (gradcam_view),
                            reference->class_names[predicted]));
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "inspect-gradcam.png");

  cnv_gradcam_view_show_other (gradcam_view, TRUE);
  g_assert_cmpint (cnv_gradcam_view_get_class (gradcam_view), ==,
                   1 - predicted);
  g_clear_pointer (&cam, cnv_gradcam_free);
  cam = cnv_gradcam_compute (reference->model, input, 3, 1 - predicted,
                             &error);
  g_assert_no_error (error);
  cnv_gradcam_render_overlay (cam, image, 0.8, expected);
  shown = cnv_pixel_view_get_rgb (cnv_gradcam_view_get_heat_view (gradcam_view),
                                  &width, &height);
  g_assert_cmpmem (shown, 28 * 28 * 3, expected, 28 * 28 * 3);
  settle (0.2);
  save_screenshot (GTK_WIDGET (window), "inspect-gradcam-other.png");

  /* Save as PNG: the view as drawn, at its size on screen. */
  png = g_build_filename (tmp->dir, "gradcam.png", NULL);
  content = cnv_gradcam_view_get_content (gradcam_view);
  g_assert_true (cnv_export_widget_png (content, png, &error));
  g_assert_no_error (error);
  saved = gdk_pixbuf_new_from_file (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (saved), ==,
                   gtk_widget_get_width (content));
  g_assert_cmpint (gdk_pixbuf_get_height (saved), ==,
                   gtk_widget_get_height (content));
  g_free (png);
  png = g_build_filename (tmp->dir, "no-such-folder", "maps.png", NULL);
  g_assert_false (cnv_export_widget_png (cnv_maps_view_get_content (maps_view),
                                         png, &error));
  g_assert_nonnull (strstr (error->message, "maps.png"));

  destroy_and_check_finalized (window);
}

/* A pasted image is classified from memory like a file (the texture
 * goes through PNG, which keeps the 8-bit grey values). */
static void
test_pasted_image (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autoptr(CnvClassifier) reference = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *sneaker = source_path ("data", "sample-test", "sneaker",
                                          "test-00009.png", NULL);
  g_autofree char *contents = NULL;
  CnvClassifyPage *page;
  CnvPrediction *row;
  CnvWindow *window;
  double probability;
  gsize length;

  window = new_trained_window (app);
  reference = cnv_classifier_copy (cnv_window_get_classifier (window));
  page = cnv_window_get_classify_page (window);

  /* Ctrl+V's action with an image on the clipboard, as a screenshot tool
   * leaves it: the texture, not a file. */
  texture = gdk_texture_new_from_filename (sneaker, &error);
  g_assert_no_error (error);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (page)),
                             texture);
  cnv_window_show_page (window, "classify");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page),
                                             "classify.paste", NULL));
  g_assert_true (iterate_until (window_idle, window, 30));

  row = cnv_classify_page_get_selected (page);
  g_assert_nonnull (row);
  g_assert_cmpstr (cnv_prediction_get_name (row), ==, "Pasted image 1");
  g_assert_null (cnv_prediction_get_path (row));
  g_assert_true (cnv_classifier_predict_file (reference, sneaker, &probability,
                                              NULL, &error));
  g_assert_cmpfloat (cnv_prediction_get_probability (row), ==, probability);
  g_assert_cmpint (cnv_prediction_get_truth (row), ==, -1);

  /* The same bytes handed over directly: a second row, the same answer. */
  g_file_get_contents (sneaker, &contents, &length, &error);
  g_assert_no_error (error);
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  cnv_classify_page_add_bytes (page, bytes, "Pasted image 2");
  g_assert_true (iterate_until (window_idle, window, 30));
  row = cnv_classify_page_get_selected (page);
  g_assert_cmpstr (cnv_prediction_get_name (row), ==, "Pasted image 2");
  g_assert_cmpfloat (cnv_prediction_get_probability (row), ==, probability);

  /* Pasted bytes that are not an image: a row with the reason, and no
   * path to shorten in it. */
  g_bytes_unref (bytes);
  bytes = g_bytes_new_static ("not an image", 12);
  cnv_classify_page_add_bytes (page, bytes, "Pasted image 3");
  g_assert_true (iterate_until (window_idle, window, 30));
  row = cnv_classify_page_get_selected (page);
  g_assert_cmpstr (cnv_prediction_get_name (row), ==, "Pasted image 3");
  g_assert_null (cnv_prediction_get_path (row));
  g_assert_nonnull (cnv_prediction_get_error (row));
  settle (0.2);

  destroy_and_check_finalized (window);
}

/* While the model trains, predictions use the weights of a batch
 * boundary of the run, and say so. */
static void
test_while_training (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = source_path ("data", "sample", NULL);
  g_autofree char *sneaker = source_path ("data", "sample-test", "sneaker",
                                          "test-00009.png", NULL);
  const char *files[] = { sneaker, NULL };
  CnvClassifyPage *page;
  CnvPrediction *row;
  CnvWindow *window;

  window = cnv_window_new (app, folder);
  gtk_window_set_default_size (GTK_WINDOW (window), 1300, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));
  page = cnv_window_get_classify_page (window);

  gtk_spin_button_set_value (cnv_train_page_get_epochs_spin (
                               cnv_window_get_train_page (window)), 200);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train",
                                             NULL));
  g_assert_true (cnv_window_is_training (window));
  g_assert_null (cnv_window_get_classifier (window));

  drop_files (page, files);
  while (cnv_window_is_training (window)
         && cnv_classify_page_get_selected (page) == NULL)
    g_main_context_iteration (NULL, TRUE);
  row = cnv_classify_page_get_selected (page);
  g_assert_nonnull (row);
  g_assert_true (cnv_prediction_get_snapshot (row)->training);
  g_assert_cmpint (cnv_prediction_get_snapshot (row)->step, >, 0);
  g_assert_nonnull (strstr (cnv_classify_page_get_summary (page),
                            "of the run in progress"));

  destroy_and_check_finalized (window);
}

int
main (int   argc,
      char *argv[])
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/inspect/drop-filter-sort-export", test_list);
  g_test_add_func ("/app/inspect/feature-maps-filters-gradcam",
                   test_inside_the_network);
  g_test_add_func ("/app/inspect/pasted-image", test_pasted_image);
  g_test_add_func ("/app/inspect/while-training", test_while_training);

  return g_test_run ();
}
