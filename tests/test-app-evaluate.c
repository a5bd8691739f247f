/* test-app-evaluate.c — the Evaluate page in the real window under Xvfb
 *
 * Train briefly on data/sample, evaluate on the validation split, move the
 * threshold and check the matrix against counts made here from the
 * probabilities, open a cell's gallery and check its order, open an image
 * from it on the Classify page, export the report in every format, save
 * and reopen the checkpoint with its threshold, and evaluate on another
 * folder and on one of the wrong layout.  Screenshots of the page, the
 * gallery and the report go into the build folder's screenshots/.
 */
#define G_LOG_DOMAIN "cnv-test-app-evaluate"

#include <locale.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cnv.h"
#include "cnv-application.h"
#include "cnv-evaluate-page.h"
#include "cnv-window.h"
#include "cnv-window-private.h"
#include "app-test-util.h"
#include "test-util.h"


/* Main loop helpers */

static gboolean
page_shows_gallery (gpointer data)
{
  return g_strcmp0 (cnv_evaluate_page_get_state (data), "gallery") == 0;
}

static CnvWindow *
new_window (CnvApplication *app,
            const char     *folder)
{
  CnvWindow *window = cnv_window_new (app, folder);

  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (iterate_until (window_idle, window, 60));

  return window;
}

/* Closes the message dialogs a failure opened; returns how many. */
static guint
close_message_dialogs (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();
  guint n = 0;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data))
      {
        gtk_window_destroy (GTK_WINDOW (l->data));
        n++;
      }

  return n;
}

static char *
data_folder (const char *name)
{
  return g_build_filename (g_getenv ("CNV_SOURCE_ROOT"), "data", name, NULL);
}

/* The confusion matrix of the evaluation's probabilities at threshold,
 * counted here, independently of the engine's binary search. */
static void
count_by_hand (const CnvEvaluation *e,
               double               threshold,
               guint                counts[2][2])
{
  memset (counts, 0, 4 * sizeof (guint));
  for (guint i = 0; i < e->n_items; i++)
    counts[e->items[i].label][e->items[i].probability >= threshold]++;
}

static void
assert_matrix (CnvEvaluatePage *page,
               const guint      counts[2][2])
{
  CnvConfusionMatrix *matrix = cnv_evaluate_page_get_matrix (page);

  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      g_assert_cmpuint (cnv_confusion_matrix_get_count (matrix, t, p), ==,
                        counts[t][p]);
}

/* A threshold at which the counts differ from those at 0.5: the highest
 * probability below 0.5, which moves that image to the positive side. */
static double
threshold_that_moves_an_image (const CnvEvaluation *e)
{
  double nearest = -1.0;

  for (guint i = 0; i < e->n_items; i++)
    if (e->items[i].probability < 0.5
        && e->items[i].probability > nearest)
      nearest = e->items[i].probability;

  /* Every image at or above 0.5: move the threshold above the lowest. */
  if (nearest < 0.0)
    {
      nearest = 1.0;
      for (guint i = 0; i < e->n_items; i++)
        nearest = MIN (nearest, e->items[i].probability);
      return nearest + (1.0 - nearest) / 1e6;
    }

  return nearest;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Halfway across the widest gap between two neighbouring probabilities,
 * and the higher of the two: where the curves' point for that threshold
 * starts. */
static double
threshold_between_images (const CnvEvaluation *e,
                          double              *upper)
{
  g_autofree double *p = g_new (double, e->n_items);
  double widest = -1.0, threshold = 0.5;

  for (guint i = 0; i < e->n_items; i++)
    p[i] = e->items[i].probability;
  qsort (p, e->n_items, sizeof (double), compare_doubles);
  for (guint i = 1; i < e->n_items; i++)
    if (p[i] - p[i - 1] > widest)
      {
        widest = p[i] - p[i - 1];
        threshold = (p[i] + p[i - 1]) / 2;
        *upper = p[i];
      }

  return threshold;
}

static gboolean
file_starts_with (const char *path,
                  const char *prefix,
                  char      **contents,
                  gsize      *length)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, contents, length, &error));
  g_assert_no_error (error);

  return *length >= strlen (prefix)
         && memcmp (*contents, prefix, strlen (prefix)) == 0;
}

static guint
count_occurrences (const char *haystack,
                   gsize       length,
                   const char *needle)
{
  gsize n = strlen (needle);
  guint count = 0;

  for (gsize i = 0; i + n <= length; i++)
    if (memcmp (haystack + i, needle, n) == 0)
      count++;

  return count;
}

static void
svg_start_cb (GMarkupParseContext  *context,
              const char           *element,
              const char          **names,
              const char          **values,
              gpointer              user_data,
              GError              **error)
{
  char **root = user_data;

  if (*root == NULL)
    *root = g_strdup (element);
}

/* A PDF of three pages with its trailer, an SVG that parses as XML with
 * an <svg> root, and a PNG of the pages at twice their size. */
static void
assert_reports_valid (const char *pdf,
                      const char *svg,
                      const char *png)
{
  g_autofree char *contents = NULL;
  g_autofree char *root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GMarkupParseContext) context = NULL;
  GMarkupParser parser = { svg_start_cb, NULL, NULL, NULL, NULL };
  gsize length = 0;

  g_assert_true (file_starts_with (pdf, "%PDF-1.", &contents, &length));
  /* The file ends with its trailer, after binary streams. */
  g_assert_cmpuint (length, >, 1000);
  g_assert_cmpuint (count_occurrences (contents + length - 64, 64, "%%EOF"),
                    ==, 1);
  g_assert_cmpuint (count_occurrences (contents, length, "startxref"), ==, 1);
  /* "/Type /Page" also starts "/Type /Pages": count the page objects by
   * subtracting the one page tree. */
  g_assert_cmpuint (count_occurrences (contents, length, "/Type /Page")
                    - count_occurrences (contents, length, "/Type /Pages"),
                    ==, 3);
  g_clear_pointer (&contents, g_free);

  g_assert_true (file_starts_with (svg, "<?xml", &contents, &length));
  context = g_markup_parse_context_new (&parser, 0, &root, NULL);
  g_assert_true (g_markup_parse_context_parse (context, contents,
                                               (gssize) length, &error));
  g_assert_no_error (error);
  g_assert_true (g_markup_parse_context_end_parse (context, &error));
  g_assert_cmpstr (root, ==, "svg");

  pixbuf = gdk_pixbuf_new_from_file (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 1190);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 3 * 1684);
}

/* Without a model, and with a model but no folder, the page says what to
 * do. */
static void
test_empty_states (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  CnvWindow *window = new_window (app, NULL);
  CnvEvaluatePage *page = cnv_window_get_evaluate_page (window);

  cnv_window_show_page (window, "evaluate");
  g_assert_cmpstr (cnv_window_get_visible_page (window), ==, "evaluate");
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (cnv_evaluate_page_get_status (page)),
                   ==, "No Trained Model");
  g_assert_nonnull (strstr (adw_status_page_get_description (
                              cnv_evaluate_page_get_status (page)),
                            "Train a model on the Train page"));
  settle (0.2);
  save_screenshot (GTK_WIDGET (window), "evaluate-empty.png");

  destroy_and_check_finalized (window);
}

static void
test_evaluate_threshold_gallery_report (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = data_folder ("sample");
  g_autofree char *test_folder = data_folder ("sample-test");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-evaluate-XXXXXX", &error);
  g_autofree char *checkpoint = g_build_filename (tmp, "model.convolve", NULL);
  g_autofree char *pdf = g_build_filename (tmp, "report.pdf", NULL);
  g_autofree char *svg = g_build_filename (tmp, "report.svg", NULL);
  g_autofree char *png = screenshot_path ("evaluation-report.png");
  g_autofree char *unwritable = g_build_filename (tmp, "missing", "r.pdf",
                                                  NULL);
  g_autofree char *bad_folder = g_build_filename (tmp, "no-classes", NULL);
  g_autofree char *expected_accuracy = NULL;
  g_autofree char *opened_path = NULL;
  g_autoptr(CnvClassifier) saved = NULL;
  const CnvClassifier *classifier;
  const CnvEpochRecord *last;
  const CnvEvaluation *e;
  const GArray *gallery;
  CnvEvaluatePage *page;
  CnvCurveChart *roc;
  GtkFlowBox *gallery_box;
  CnvWindow *window;
  CnvWindow *reopened;
  guint before[2][2];
  guint after[2][2];
  guint roc_marker;
  double threshold;
  double opened_probability;
  int cell_t = -1, cell_p = -1;

  g_assert_no_error (error);

  /* Train two epochs; the page evaluates the validation split when the
   * run ends. */
  window = new_window (app, folder);
  page = cnv_window_get_evaluate_page (window);
  gtk_spin_button_set_value (cnv_train_page_get_epochs_spin (
                               cnv_window_get_train_page (window)), 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window),
                                             "win.train", NULL));
  g_assert_true (iterate_until (window_idle, window, 180));
  classifier = cnv_window_get_classifier (window);
  g_assert_nonnull (classifier);
  g_assert_cmpuint (classifier->history->len, ==, 2);

  /* The folder is loaded anew while the page evaluates it: the task keeps
   * its dataset alive and the page ends up on the new one. */
  cnv_window_load_folder (window, folder);
  g_assert_true (iterate_until (window_idle, window, 60));

  cnv_window_show_page (window, "evaluate");
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "results");
  e = cnv_evaluate_page_get_evaluation (page);
  g_assert_nonnull (e);
  g_assert_cmpint (e->source, ==, CNV_EVALUATION_VALIDATION_SPLIT);
  g_assert_cmpuint (e->n_items, ==, 80);
  g_assert_true (e->training_folder);
  g_assert_cmpstr (cnv_evaluate_page_get_source_text (page), ==,
                   "Validation split of “sample”: 80 images, 40 ankle-boot "
                   "and 40 sneaker");

  /* At the model's threshold the matrix is what training reported. */
  last = &g_array_index (classifier->history, CnvEpochRecord, 1);
  g_assert_cmpfloat (cnv_evaluate_page_get_threshold (page), ==, 0.5);
  count_by_hand (e, 0.5, before);
  g_assert_cmpuint (before[0][0], ==, last->validation.tn);
  g_assert_cmpuint (before[0][1], ==, last->validation.fp);
  g_assert_cmpuint (before[1][0], ==, last->validation.fn);
  g_assert_cmpuint (before[1][1], ==, last->validation.tp);
  assert_matrix (page, (const guint (*)[2]) before);
  expected_accuracy = g_strdup_printf ("%.1f %%",
                                       100.0 * last->validation.accuracy);
  g_assert_cmpstr (cnv_evaluate_page_get_figure (page, "accuracy"), ==,
                   expected_accuracy);
  g_assert_true (cnv_window_get_modified (window));

  /* Save, so that the threshold alone makes the model unsaved again. */
  cnv_window_save_to_path (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_false (cnv_window_get_modified (window));

  /* Move the threshold: one image changes sides, the matrix, the figures
   * and both markers follow, and the window's model takes it. */
  roc = cnv_evaluate_page_get_chart (page, CNV_CURVE_ROC);
  roc_marker = cnv_curve_chart_get_marker (roc);
  threshold = threshold_that_moves_an_image (e);
  gtk_range_set_value (cnv_evaluate_page_get_scale (page), threshold);
  g_assert_cmpfloat (cnv_evaluate_page_get_threshold (page), ==, threshold);
  count_by_hand (e, threshold, after);
  g_assert_true (memcmp (before, after, sizeof before) != 0);
  assert_matrix (page, (const guint (*)[2]) after);
  g_assert_cmpuint (cnv_curve_chart_get_marker (roc), ==,
                    cnv_curves_find (e->curves, threshold));
  g_assert_cmpuint (cnv_curve_chart_get_marker (roc), !=, roc_marker);
  /* Between two images, the legend names the slider's threshold, not
   * the probability of the image the marker's point starts at. */
  {
    double upper = 0.0;
    double between = threshold_between_images (e, &upper);
    g_autofree char *expected = g_strdup_printf ("Threshold %.3f: ", between);
    g_autofree char *point = g_strdup_printf ("Threshold %.3f: ", upper);
    g_autofree char *text = NULL;

    g_assert_cmpstr (expected, !=, point);
    gtk_range_set_value (cnv_evaluate_page_get_scale (page), between);
    text = cnv_curve_chart_dup_marker_text (roc);
    if (!g_str_has_prefix (text, expected))
      g_error ("“%s” does not start with “%s”", text, expected);
    gtk_range_set_value (cnv_evaluate_page_get_scale (page), threshold);
  }
  g_assert_cmpuint (cnv_curve_chart_get_marker (
                      cnv_evaluate_page_get_chart (page,
                                                   CNV_CURVE_PRECISION_RECALL)),
                    ==, cnv_curves_find (e->curves, threshold));
  g_free (expected_accuracy);
  expected_accuracy = g_strdup_printf ("%.1f %%",
                                       100.0 * (after[0][0] + after[1][1])
                                       / e->n_items);
  g_assert_cmpstr (cnv_evaluate_page_get_figure (page, "accuracy"), ==,
                   expected_accuracy);
  g_assert_cmpfloat (cnv_window_get_classifier (window)->threshold, ==,
                     threshold);
  g_assert_true (cnv_window_get_modified (window));
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (window)), "•"));

  /* Pointing at the ROC curve reads out a point. */
  settle (0.3);
  cnv_curve_chart_hover_at (roc, gtk_widget_get_width (GTK_WIDGET (roc)) / 2.0,
                            gtk_widget_get_height (GTK_WIDGET (roc)) / 2.0);
  g_assert_cmpint (cnv_curve_chart_get_hover (roc), >=, 0);
  g_assert_nonnull (cnv_curve_chart_get_readout (roc));
  save_docs_screenshot (window, "evaluate-page.png");
  save_screenshot (gtk_widget_get_parent (GTK_WIDGET (roc)),
                   "evaluate-curves.png");
  cnv_curve_chart_hover_at (roc, -100, -100);
  g_assert_cmpint (cnv_curve_chart_get_hover (roc), ==, -1);

  /* The mistakes with the most images, or the right answers when there
   * are none, through the cell's own button. */
  for (int t = 0; t < 2; t++)
    for (int p = 0; p < 2; p++)
      if (t != p && after[t][p] >= 2
          && (cell_t < 0 || after[t][p] > after[cell_t][cell_p]))
        {
          cell_t = t;
          cell_p = p;
        }
  if (cell_t < 0)
    cell_t = cell_p = 1;
  g_test_message ("gallery of cell true %d, predicted %d: %u images", cell_t,
                  cell_p, after[cell_t][cell_p]);
  /* Tab from the threshold's Best F1 button reaches the first cell, and
   * the others after it. */
  {
    GtkWidget *first = cnv_confusion_matrix_get_cell (
      cnv_evaluate_page_get_matrix (page), 0, 0);
    GtkWidget *best = gtk_widget_get_next_sibling (
      gtk_widget_get_next_sibling (GTK_WIDGET (cnv_evaluate_page_get_scale (page))));
    guint presses = 0;

    g_assert_true (GTK_IS_BUTTON (best));
    g_assert_true (gtk_widget_grab_focus (best));
    while (gtk_root_get_focus (GTK_ROOT (window)) != first && presses < 10)
      {
        gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD);
        presses++;
      }
    g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == first);
    gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD);
    g_assert_true (gtk_widget_get_parent (gtk_root_get_focus (GTK_ROOT (window)))
                   == GTK_WIDGET (cnv_evaluate_page_get_matrix (page)));
    g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) != first);
  }

  /* As Enter on the focused cell: the button clicks after its press
   * animation. */
  g_assert_true (gtk_widget_activate (cnv_confusion_matrix_get_cell (
                   cnv_evaluate_page_get_matrix (page), cell_t, cell_p)));
  g_assert_true (iterate_until (page_shows_gallery, page, 5));
  gallery = cnv_evaluate_page_get_gallery (page);
  g_assert_cmpuint (gallery->len, ==, after[cell_t][cell_p]);

  /* Most confidently wrong (or most doubtful) first: the probability of
   * the true class rises along the gallery. */
  for (guint i = 0; i < gallery->len; i++)
    {
      const CnvEvaluationItem *item =
        &e->items[g_array_index (gallery, guint, i)];

      g_assert_cmpint (item->label, ==, cell_t);
      g_assert_cmpint (item->probability >= threshold, ==, cell_p);
      if (i > 0)
        {
          const CnvEvaluationItem *previous =
            &e->items[g_array_index (gallery, guint, i - 1)];

          if (cell_t == 1)
            g_assert_cmpfloat (previous->probability, <=, item->probability);
          else
            g_assert_cmpfloat (previous->probability, >=, item->probability);
        }
    }

  gallery_box = cnv_evaluate_page_get_gallery_box (page);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_nonnull (gtk_flow_box_get_child_at_index (gallery_box,
                                                     (int) gallery->len - 1));
  g_assert_null (gtk_flow_box_get_child_at_index (gallery_box,
                                                  (int) gallery->len));
  settle (0.3);
  save_screenshot (GTK_WIDGET (window), "evaluate-gallery.png");

  /* The first image opens on the Classify page, decided at the new
   * threshold. */
  opened_path = g_strdup (e->items[g_array_index (gallery, guint, 0)].path);
  opened_probability = e->items[g_array_index (gallery, guint, 0)].probability;
  g_signal_emit_by_name (gallery_box, "child-activated",
                         gtk_flow_box_get_child_at_index (gallery_box, 0));
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpstr (cnv_window_get_visible_page (window), ==, "classify");
  g_assert_cmpstr (cnv_window_get_classified_path (window), ==, opened_path);
  g_assert_cmpfloat (cnv_window_get_probability (window), ==,
                     opened_probability);
  g_assert_cmpstr (cnv_window_get_predicted_class (window), ==,
                   classifier->class_names[opened_probability >= threshold]);

  /* The report, in all three formats; the PNG is kept to be looked at. */
  cnv_window_show_page (window, "evaluate");
  cnv_evaluate_page_export_to_path (page, pdf);
  cnv_evaluate_page_export_to_path (page, svg);
  cnv_evaluate_page_export_to_path (page, png);
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_null (cnv_evaluate_page_get_last_error (page));
  assert_reports_valid (pdf, svg, png);
  g_test_message ("report: %s", png);

  /* A folder that does not exist: the message names the file and why. */
  expected_warning = "Could Not Export the Report*";
  cnv_evaluate_page_export_to_path (page, unwritable);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  g_assert_nonnull (cnv_evaluate_page_get_last_error (page));
  g_assert_nonnull (strstr (cnv_evaluate_page_get_last_error (page),
                            "Could not write the report “"));
  g_assert_nonnull (strstr (cnv_evaluate_page_get_last_error (page),
                            "r.pdf"));
  g_assert_nonnull (strstr (cnv_evaluate_page_get_last_error (page),
                            "No such file or directory"));
  g_assert_false (g_file_test (unwritable, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (close_message_dialogs (), ==, 1);

  /* Every image of the training folder: cells larger than a gallery
   * shows, known to be the folder training saw. */
  cnv_evaluate_page_evaluate_folder (page, folder);
  g_assert_true (iterate_until (window_idle, window, 60));
  e = cnv_evaluate_page_get_evaluation (page);
  g_assert_cmpuint (e->n_items, ==, 400);
  g_assert_true (e->training_folder);
  g_assert_true (gtk_widget_activate (cnv_confusion_matrix_get_cell (
                   cnv_evaluate_page_get_matrix (page), 1, 1)));
  g_assert_true (iterate_until (page_shows_gallery, page, 5));
  gallery = cnv_evaluate_page_get_gallery (page);
  g_assert_cmpuint (gallery->len, >, CNV_EVALUATE_PAGE_GALLERY_MAX);
  /* The cards come a few per main-loop iteration. */
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_nonnull (gtk_flow_box_get_child_at_index (
                      gallery_box, CNV_EVALUATE_PAGE_GALLERY_MAX - 1));
  g_assert_null (gtk_flow_box_get_child_at_index (
                   gallery_box, CNV_EVALUATE_PAGE_GALLERY_MAX));

  /* Another folder, and one of the wrong layout: the message names it and
   * the evaluation on screen stays. */
  cnv_evaluate_page_evaluate_folder (page, test_folder);
  g_assert_true (iterate_until (window_idle, window, 60));
  e = cnv_evaluate_page_get_evaluation (page);
  g_assert_cmpint (e->source, ==, CNV_EVALUATION_FOLDER);
  g_assert_true (g_str_has_prefix (cnv_evaluate_page_get_source_text (page),
                                   "Every image of “sample-test”"));

  g_assert_cmpint (g_mkdir_with_parents (bad_folder, 0755), ==, 0);
  expected_warning = "Could Not Evaluate on This Folder*";
  n_expected_warnings = 0;
  cnv_evaluate_page_evaluate_folder (page, bad_folder);
  g_assert_true (iterate_until (window_idle, window, 60));
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  expected_warning = NULL;
  g_assert_nonnull (strstr (cnv_evaluate_page_get_last_error (page),
                            bad_folder));
  g_assert_true (cnv_evaluate_page_get_evaluation (page) == e);
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "results");
  g_assert_cmpuint (close_message_dialogs (), ==, 1);

  /* Save: the file holds the threshold, and a window that opens it shows
   * it on the slider and evaluates with it. */
  cnv_window_save_to_path (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_false (cnv_window_get_modified (window));
  saved = cnv_checkpoint_load (checkpoint, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (saved->threshold, ==, threshold);
  destroy_and_check_finalized (window);

  reopened = new_window (app, folder);
  cnv_window_open_checkpoint (reopened, checkpoint);
  g_assert_true (iterate_until (window_idle, reopened, 60));
  g_assert_cmpfloat (cnv_window_get_classifier (reopened)->threshold, ==,
                     threshold);
  page = cnv_window_get_evaluate_page (reopened);
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "results");
  g_assert_cmpfloat (cnv_evaluate_page_get_threshold (page), ==, threshold);
  g_assert_cmpfloat (gtk_range_get_value (cnv_evaluate_page_get_scale (page)),
                     ==, threshold);
  assert_matrix (page, (const guint (*)[2]) after);
  g_assert_false (cnv_window_get_modified (reopened));
  destroy_and_check_finalized (reopened);

  g_assert_cmpint (g_unlink (checkpoint), ==, 0);
  g_assert_cmpint (g_unlink (pdf), ==, 0);
  g_assert_cmpint (g_unlink (svg), ==, 0);
  g_assert_cmpint (g_rmdir (bad_folder), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static void
write_grey_png (const char *path,
                guint8      value)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                                8, 8);
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_fill (pixbuf, ((guint32) value << 24) | ((guint32) value << 16)
                           | ((guint32) value << 8) | 0xff);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);
}

/* A checkpoint opened without a folder: the page asks for images, the
 * slider stands at the file's threshold, and a folder named in the
 * model's (non-ASCII) classes is evaluated with them in the model's
 * order. */
static void
test_checkpoint_without_folder (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *checkpoint = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                                  "tests", "checkpoints",
                                                  "v1-small.convolve", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-evaluate-XXXXXX", &error);
  const char *classes[] = { "猫", "chien" };
  CnvEvaluatePage *page;
  CnvEvaluation *e;
  CnvWindow *window;

  g_assert_no_error (error);
  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *class_folder = g_build_filename (tmp, classes[c], NULL);

      g_assert_cmpint (g_mkdir (class_folder, 0755), ==, 0);
      for (guint i = 0; i < 6; i++)
        {
          g_autofree char *name = g_strdup_printf ("%u.png", i);
          g_autofree char *path = g_build_filename (class_folder, name, NULL);

          write_grey_png (path, (guint8) (c * 120 + i * 20));
        }
    }

  window = new_window (app, NULL);
  page = cnv_window_get_evaluate_page (window);
  /* Its stack differs from the one on screen: open it as it is. */
  cnv_window_open_checkpoint (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_nonnull (cnv_window_get_open_dialog (window));
  cnv_open_dialog_respond (cnv_window_get_open_dialog (window), "open");
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_nonnull (cnv_window_get_classifier (window));
  cnv_window_show_page (window, "evaluate");
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (cnv_evaluate_page_get_status (page)),
                   ==, "No Images to Evaluate On");
  /* The folder it records is not on this machine: nothing is offered. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (
                    cnv_evaluate_page_get_training_folder_button (page))));
  settle (0.2);
  save_screenshot (GTK_WIDGET (window), "evaluate-no-folder.png");

  cnv_evaluate_page_evaluate_folder (page, tmp);
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "results");
  e = cnv_evaluate_page_get_evaluation (page);
  g_assert_cmpuint (e->n_items, ==, 12);
  g_assert_cmpstr (e->class_names[0], ==, "猫");
  g_assert_cmpstr (e->class_names[1], ==, "chien");
  for (guint i = 0; i < e->n_items; i++)
    g_assert_cmpuint (e->items[i].label, ==,
                      strstr (e->items[i].path, "chien") != NULL);
  g_assert_cmpfloat (cnv_evaluate_page_get_threshold (page), ==, 0.37);
  g_assert_cmpfloat_with_epsilon (gtk_range_get_value (
                                    cnv_evaluate_page_get_scale (page)),
                                  0.37, 1e-12);
  /* Nothing was changed by evaluating. */
  g_assert_false (cnv_window_get_modified (window));
  settle (0.2);
  save_screenshot (GTK_WIDGET (cnv_evaluate_page_get_matrix (page)),
                   "evaluate-matrix-unicode.png");

  destroy_and_check_finalized (window);
  for (guint c = 0; c < 2; c++)
    {
      for (guint i = 0; i < 6; i++)
        {
          g_autofree char *name = g_strdup_printf ("%u.png", i);
          g_autofree char *path = g_build_filename (tmp, classes[c], name,
                                                    NULL);

          g_assert_cmpint (g_unlink (path), ==, 0);
        }
      {
        g_autofree char *class_folder = g_build_filename (tmp, classes[c],
                                                          NULL);

        g_assert_cmpint (g_rmdir (class_folder), ==, 0);
      }
    }
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* A checkpoint whose training folder, recorded relative to it, is still
 * next to it: opening it reads nothing from that folder, the empty
 * Evaluate page offers it by name, and taking the offer loads it as the
 * window's dataset and evaluates the images training held out. */
static void
test_training_folder_offered (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *source = g_build_filename (g_getenv ("CNV_SOURCE_ROOT"),
                                              "tests", "checkpoints",
                                              "v1-small.convolve", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-app-evaluate-XXXXXX", &error);
  g_autofree char *images = NULL;
  g_autofree char *checkpoint = NULL;
  g_autoptr(CnvClassifier) classifier = NULL;
  const char *classes[] = { "猫", "chien" };
  CnvEvaluatePage *page;
  GtkButton *offer;
  CnvEvaluation *e;
  CnvWindow *window;

  g_assert_no_error (error);
  images = g_build_filename (tmp, "train_images", NULL);
  g_assert_cmpint (g_mkdir (images, 0755), ==, 0);
  for (guint c = 0; c < 2; c++)
    {
      g_autofree char *class_folder = g_build_filename (images, classes[c],
                                                        NULL);

      g_assert_cmpint (g_mkdir (class_folder, 0755), ==, 0);
      for (guint i = 0; i < 10; i++)
        {
          g_autofree char *name = g_strdup_printf ("%u.png", i);
          g_autofree char *path = g_build_filename (class_folder, name, NULL);

          write_grey_png (path, (guint8) (c * 120 + i * 10));
        }
    }
  classifier = cnv_checkpoint_load (source, &error);
  g_assert_no_error (error);
  g_free (classifier->dataset_folder);
  classifier->dataset_folder = g_strdup ("train_images");
  checkpoint = g_build_filename (tmp, "model.convolve", NULL);
  g_assert_true (cnv_checkpoint_save (classifier, checkpoint, &error));
  g_assert_no_error (error);

  window = new_window (app, NULL);
  page = cnv_window_get_evaluate_page (window);
  offer = cnv_evaluate_page_get_training_folder_button (page);
  cnv_window_open_checkpoint (window, checkpoint);
  g_assert_true (iterate_until (window_idle, window, 30));
  cnv_open_dialog_respond (cnv_window_get_open_dialog (window), "open");
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_null (cnv_window_get_dataset (window));
  cnv_window_show_page (window, "evaluate");
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "empty");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (offer)));
  g_assert_cmpstr (gtk_button_get_label (offer), ==,
                   "Use the _Training Folder “train__images”");
  settle (0.2);
  save_screenshot (GTK_WIDGET (window), "evaluate-training-folder.png");

  g_signal_emit_by_name (offer, "clicked");
  g_assert_true (iterate_until (window_idle, window, 30));
  g_assert_nonnull (cnv_window_get_dataset (window));
  g_assert_cmpstr (cnv_window_get_dataset (window)->folder, ==, images);
  g_assert_cmpuint (cnv_window_get_dataset (window)->n_images, ==, 20);
  g_assert_cmpstr (cnv_evaluate_page_get_state (page), ==, "results");
  e = cnv_evaluate_page_get_evaluation (page);
  /* The held-out share of the twenty images, each labelled by its
   * folder in the model's class order. */
  g_assert_cmpuint (e->n_items, >, 0);
  g_assert_cmpuint (e->n_items, <, 20);
  for (guint i = 0; i < e->n_items; i++)
    {
      g_assert_true (g_str_has_prefix (e->items[i].path, images));
      g_assert_cmpuint (e->items[i].label, ==,
                        strstr (e->items[i].path, "chien") != NULL);
    }
  g_assert_cmpstr (cnv_window_get_visible_page (window), ==, "evaluate");

  destroy_and_check_finalized (window);
  g_assert_true (test_remove_tree (tmp));
}

/* The window closes while the evaluation that the end of a run started is
 * in flight: the task holds its own references to the classifier copy and
 * the dataset, and the page goes away once it answers. */
static void
test_window_closes_while_evaluating (void)
{
  g_autoptr(CnvApplication) app = new_test_application ();
  g_autofree char *folder = data_folder ("sample");
  CnvWindow *window = new_window (app, folder);
  gpointer page = cnv_window_get_evaluate_page (window);

  g_object_add_weak_pointer (G_OBJECT (page), &page);
  gtk_spin_button_set_value (cnv_train_page_get_epochs_spin (
                               cnv_window_get_train_page (window)), 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window),
                                             "win.train", NULL));
  g_assert_true (iterate_until (not_training, window, 120));
  g_assert_true (cnv_evaluate_page_is_busy (page));

  destroy_and_check_finalized (window);
  g_assert_true (iterate_until (pointer_cleared, &page, 30));
}

int
main (int   argc,
      char *argv[])
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/evaluate/empty-states", test_empty_states);
  g_test_add_func ("/app/evaluate/threshold-gallery-report-save",
                   test_evaluate_threshold_gallery_report);
  g_test_add_func ("/app/evaluate/checkpoint-without-folder",
                   test_checkpoint_without_folder);
  g_test_add_func ("/app/evaluate/training-folder-offered",
                   test_training_folder_offered);
  g_test_add_func ("/app/evaluate/window-closes-while-evaluating",
                   test_window_closes_while_evaluating);

  return g_test_run ();
}
