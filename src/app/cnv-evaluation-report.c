/* cnv-evaluation-report.c — an evaluation as a self-contained report
 *
 * Three A4 pages drawn with Cairo: what was evaluated, the figures at the
 * chosen threshold and the confusion matrix; both curves (drawn by the
 * same functions as the page, so the report shows what the user saw);
 * then how the model was trained: optimizer, schedule, batch size,
 * epochs, augmentation and the per-epoch history.
 *
 * Everything the pages show is copied into the report on the main
 * thread; drawing and writing touch nothing else, so they run in a
 * worker thread.  The file is drawn into memory and then written with
 * g_file_set_contents_full (), which replaces it atomically: a failed
 * export never leaves half a report over a good one.
 */
#define G_LOG_DOMAIN "cnv-evaluation-report"

#include <inttypes.h>
#include <math.h>

#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <pango/pangocairo.h>

#include "cnv-config.h"
#include "cnv-confusion-matrix.h"
#include "cnv-curve-chart.h"
#include "cnv-evaluation-report.h"
#include "cnv-format.h"

#define MARGIN        40.0
#define CONTENT_WIDTH (CNV_REPORT_PAGE_WIDTH - 2 * MARGIN)
/* PNG pages are drawn at twice the point size, for a sharp picture. */
#define PNG_SCALE     2.0
/* The history table lists at most this many epochs, the last ones. */
#define MAX_HISTORY_ROWS 24

struct _CnvEvaluationReport
{
  CnvEvaluation *evaluation;
  double         threshold;
  CnvMetrics     metrics;
  char          *model_name;
  char          *created;
  char          *source;
  char          *detail;
  GPtrArray     *settings;      /* char*: label, value, label, value … */
  GPtrArray     *model;         /* the same for the model */
  GArray        *history;       /* CnvEpochRecord */
};

static const GdkRGBA ink = { 0.1, 0.1, 0.1, 1.0 };

/* What was evaluated */

char *
cnv_evaluation_describe_source (const CnvEvaluation *evaluation)
{
  g_autofree char *folder = NULL;
  const char *names[2];
  const guint *counts = evaluation->class_counts;
  guint n = evaluation->n_items;

  folder = evaluation->folder != NULL
           ? g_filename_display_basename (evaluation->folder)
           : g_strdup (_("the given scores"));
  names[0] = evaluation->class_names[0] ? evaluation->class_names[0] : "";
  names[1] = evaluation->class_names[1] ? evaluation->class_names[1] : "";

  if (evaluation->source == CNV_EVALUATION_VALIDATION_SPLIT)
    /* Translators: "Validation split of “sample”: 80 images, 40 sneaker
     * and 40 ankle-boot". */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Validation split of “%s”: %u "
                                         "image, %u %s and %u %s",
                                         "Validation split of “%s”: %u "
                                         "images, %u %s and %u %s", n),
                            folder, n, counts[0], names[0], counts[1],
                            names[1]);

  if (evaluation->source == CNV_EVALUATION_IMAGES)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Chosen images of “%s”: %u image, "
                                         "%u %s and %u %s",
                                         "Chosen images of “%s”: %u images, "
                                         "%u %s and %u %s", n),
                            folder, n, counts[0], names[0], counts[1],
                            names[1]);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Every image of “%s”: %u image, %u %s "
                                       "and %u %s",
                                       "Every image of “%s”: %u images, %u %s "
                                       "and %u %s", n),
                          folder, n, counts[0], names[0], counts[1], names[1]);
}

char *
cnv_evaluation_describe_detail (const CnvEvaluation *evaluation)
{
  g_autofree char *folder = evaluation->folder != NULL
                            ? g_filename_display_name (evaluation->folder)
                            : g_strdup ("");
  GString *text = g_string_new (folder);

  if (evaluation->source == CNV_EVALUATION_VALIDATION_SPLIT)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text,
                              _("%.0f %% of each class held out from "
                                "training with seed %" PRIu64),
                              100.0 * evaluation->val_split,
                              (uint64_t) evaluation->seed);
      if (!evaluation->training_folder)
        {
          g_string_append (text, " · ");
          g_string_append (text, _("not the folder the model was trained "
                                   "on, so these images may not be the "
                                   "ones training held out"));
        }
    }
  else if (evaluation->training_folder)
    {
      g_string_append (text, " · ");
      g_string_append (text, _("the folder the model was trained on: most "
                               "of these images were seen in training"));
    }

  if (evaluation->folder_skipped > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text,
                              g_dngettext (GETTEXT_PACKAGE,
                                           "%u file skipped",
                                           "%u files skipped",
                                           evaluation->folder_skipped),
                              evaluation->folder_skipped);
    }

  return g_string_free (text, FALSE);
}

/* The report's rows */

static void
add_row (GPtrArray  *rows,
         const char *label,
         char       *value)
{
  g_ptr_array_add (rows, g_strdup (label));
  g_ptr_array_add (rows, value);
}

static char *
format_number (double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  /* "0.001", "1e-05": the shortest form that reads back the same. */
  g_ascii_formatd (text, sizeof text, "%g", value);

  return g_strdup (text);
}

static char *
describe_optimizer (const CnvOptimizerConfig *config)
{
  g_autofree char *beta1 = format_number (config->beta1);
  g_autofree char *beta2 = format_number (config->beta2);
  g_autofree char *epsilon = format_number (config->epsilon);
  g_autofree char *momentum = format_number (config->momentum);

  if (config->kind == CNV_OPTIMIZER_ADAM)
    return g_strdup_printf (_("Adam (β₁ %s, β₂ %s, ε %s)"), beta1, beta2,
                            epsilon);

  if (config->momentum == 0.0)
    return g_strdup (_("SGD without momentum"));

  return g_strdup_printf (config->nesterov
                          ? _("SGD with Nesterov momentum %s")
                          : _("SGD with momentum %s"), momentum);
}

static char *
describe_schedule (const CnvSchedule *schedule)
{
  g_autofree char *gamma = format_number (schedule->gamma);
  g_autofree char *floor = format_number (schedule->min_factor);
  g_autofree char *kind = NULL;

  switch (schedule->kind)
    {
    case CNV_SCHEDULE_STEP:
      kind = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Step decay: × %s every epoch",
                                           "Step decay: × %s every %u epochs",
                                           schedule->step_epochs),
                              gamma, schedule->step_epochs);
      break;

    case CNV_SCHEDULE_COSINE:
      kind = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Cosine, down to "
                                           "%s × the base rate over %u epoch",
                                           "Cosine, down to %s × the base "
                                           "rate over %u epochs",
                                           schedule->total_epochs),
                              floor, schedule->total_epochs);
      break;

    case CNV_SCHEDULE_CONSTANT:
    default:
      kind = g_strdup (_("Constant"));
      break;
    }

  if (schedule->warmup_epochs == 0)
    return g_steal_pointer (&kind);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%s, after %u warm-up epoch",
                                       "%s, after %u warm-up epochs",
                                       schedule->warmup_epochs),
                          kind, schedule->warmup_epochs);
}

static char *
describe_augmentation (const CnvAugmentation *a)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (!cnv_augmentation_is_active (a))
    return g_strdup (_("None"));

  if (a->horizontal_flip)
    g_ptr_array_add (parts, g_strdup (_("horizontal flips")));
  if (a->vertical_flip)
    g_ptr_array_add (parts, g_strdup (_("vertical flips")));
  if (a->max_shift > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("shifts up to %d pixels"),
                                             a->max_shift));
  if (a->max_rotation > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("rotations up to %.0f°"),
                                             a->max_rotation));
  if (a->brightness > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("brightness ± %.0f %%"),
                                             100.0 * a->brightness));
  if (a->contrast > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("contrast ± %.0f %%"),
                                             100.0 * a->contrast));
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (", ", (char **) parts->pdata);
}

static GPtrArray *
settings_rows (const CnvClassifier *c)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
  const CnvOptimizerConfig *config = c->optimizer != NULL
                                     ? cnv_optimizer_get_config (c->optimizer)
                                     : NULL;
  g_autofree char *folder = NULL;

  if (config != NULL)
    {
      add_row (rows, _("Optimizer"), describe_optimizer (config));
      add_row (rows, _("Learning rate"), format_number (config->learning_rate));
      add_row (rows, _("Weight decay"), format_number (config->weight_decay));
      add_row (rows, _("Optimizer steps"),
               cnv_format_count ((guint64) cnv_optimizer_get_step (c->optimizer)));
    }
  else
    add_row (rows, _("Optimizer"), g_strdup (_("Not trained yet")));

  add_row (rows, _("Learning-rate schedule"), describe_schedule (&c->schedule));
  add_row (rows, _("Batch size"), g_strdup_printf ("%u", c->batch_size));
  add_row (rows, _("Epochs trained"),
           c->best_epoch > 0
           ? g_strdup_printf (_("%u; the weights are those of epoch %u, "
                                "the best"), c->history->len, c->best_epoch)
           : g_strdup_printf ("%u", c->history->len));
  add_row (rows, _("Early stopping"),
           c->patience > 0
           ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "After %u epoch without a lower "
                                           "validation loss",
                                           "After %u epochs without a lower "
                                           "validation loss", c->patience),
                              c->patience)
           : g_strdup (_("Off")));
  add_row (rows, _("Keep the best epoch"),
           g_strdup (c->keep_best ? _("Yes") : _("No")));
  add_row (rows, _("Augmentation"), describe_augmentation (&c->augmentation));
  add_row (rows, _("Class weights"),
           g_strdup (c->class_weights == CNV_CLASS_WEIGHTS_BALANCED
                     ? _("Balanced: each class counts as much in all")
                     : _("None: every image counts the same")));
  add_row (rows, _("Validation share"), cnv_format_percent (c->val_split, 0));
  add_row (rows, _("Seed"), g_strdup_printf ("%" G_GUINT64_FORMAT, c->seed));

  if (c->dataset_folder != NULL)
    {
      folder = g_filename_display_name (c->dataset_folder);
      add_row (rows, _("Training folder"),
               g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%s: %u %s, %u %s; %u file "
                                             "skipped",
                                             "%s: %u %s, %u %s; %u files "
                                             "skipped", c->dataset_skipped),
                                folder, c->dataset_counts[0],
                                c->class_names[0], c->dataset_counts[1],
                                c->class_names[1], c->dataset_skipped));
    }

  return rows;
}

static GPtrArray *
model_rows (const CnvClassifier *c)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
  const CnvModelSpec *spec = cnv_model_get_spec (c->model);
  const CnvPreprocessing *pp = &c->preprocessing;
  g_autoptr(GString) layers = g_string_new (NULL);
  g_autofree char *parameters =
    cnv_format_count (cnv_model_count_parameters (c->model));

  for (guint i = 0; i < spec->n_layers; i++)
    {
      if (i > 0)
        g_string_append (layers, " → ");
      g_string_append (layers, spec->layers[i].id);
    }

  add_row (rows, _("Input"),
           g_strdup_printf (_("%d × %d pixels, %s"), spec->width, spec->height,
                            pp->color_mode == CNV_COLOR_RGB ? _("colour")
                                                            : _("greyscale")));
  add_row (rows, _("Layers"),
           g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u layer: %s",
                                         "%u layers: %s", spec->n_layers),
                            spec->n_layers, layers->str));
  add_row (rows, _("Trainable parameters"), g_strdup (parameters));
  add_row (rows, _("Classes"),
           g_strdup_printf (_("%s and %s (positive)"), c->class_names[0],
                            c->class_names[1]));

  return rows;
}

CnvEvaluationReport *
cnv_evaluation_report_new (CnvEvaluation       *evaluation,
                           const CnvClassifier *classifier,
                           double               threshold,
                           const char          *model_name)
{
  CnvEvaluationReport *report;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  g_return_val_if_fail (evaluation != NULL, NULL);
  g_return_val_if_fail (classifier != NULL, NULL);

  report = g_new0 (CnvEvaluationReport, 1);
  report->evaluation = cnv_evaluation_ref (evaluation);
  report->threshold = threshold;
  cnv_evaluation_metrics_at (evaluation, threshold, &report->metrics);
  report->model_name = g_strdup (model_name != NULL ? model_name
                                                    : _("Untitled Model"));
  report->created = g_date_time_format (now, "%Y-%m-%d %H:%M");
  report->source = cnv_evaluation_describe_source (evaluation);
  report->detail = cnv_evaluation_describe_detail (evaluation);
  report->settings = settings_rows (classifier);
  report->model = model_rows (classifier);
  report->history = g_array_new (FALSE, FALSE, sizeof (CnvEpochRecord));
  g_array_append_vals (report->history, classifier->history->data,
                       classifier->history->len);

  return report;
}

void
cnv_evaluation_report_free (CnvEvaluationReport *report)
{
  if (report == NULL)
    return;

  cnv_evaluation_unref (report->evaluation);
  g_free (report->model_name);
  g_free (report->created);
  g_free (report->source);
  g_free (report->detail);
  g_ptr_array_unref (report->settings);
  g_ptr_array_unref (report->model);
  g_array_unref (report->history);
  g_free (report);
}

/* Drawing */

static void
set_font (PangoLayout *layout,
          const char  *font)
{
  PangoFontDescription *description = pango_font_description_from_string (font);

  pango_layout_set_font_description (layout, description);
  pango_font_description_free (description);
}

/* Shows text at (x, y) wrapped to width; returns its height. */
static double
paragraph (cairo_t     *cr,
           PangoLayout *layout,
           const char  *text,
           const char  *font,
           double       x,
           double       y,
           double       width,
           double       alpha)
{
  int w, h;

  set_font (layout, font);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_NONE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_set_source_rgba (cr, ink.red, ink.green, ink.blue, alpha);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  pango_layout_set_width (layout, -1);

  return h;
}

static double
heading (cairo_t     *cr,
         PangoLayout *layout,
         const char  *text,
         double       y)
{
  return y + paragraph (cr, layout, text, "Sans Bold 11", MARGIN, y,
                        CONTENT_WIDTH, 1.0) + 6;
}

static void
draw_figure (cairo_t     *cr,
             PangoLayout *layout,
             const char  *caption,
             double       value,
             gboolean     percent,
             double       x,
             double       y)
{
  g_autofree char *text = NULL;

  if (isnan (value))
    text = g_strdup ("–");
  else if (percent)
    text = cnv_format_percent (value, 1);
  else
    text = g_strdup_printf ("%.3f", value);

  paragraph (cr, layout, text, "Sans Bold 15", x, y, CONTENT_WIDTH / 4, 1.0);
  paragraph (cr, layout, caption, "Sans 8.5", x, y + 22, CONTENT_WIDTH / 4,
             0.7);
}

static void
draw_figures (const CnvEvaluationReport *report,
              cairo_t                   *cr,
              PangoLayout               *layout,
              double                     y)
{
  const CnvMetrics *m = &report->metrics;
  const CnvCurves *curves = report->evaluation->curves;
  const struct { const char *caption; double value; gboolean percent; }
  figures[] = {
    { N_("Accuracy"), m->accuracy, TRUE },
    { N_("Precision"), m->precision, TRUE },
    { N_("Recall"), m->recall, TRUE },
    { N_("F1 score"), m->f1, FALSE },
    { N_("ROC AUC"), curves->auc, FALSE },
    { N_("Average precision"), curves->average_precision, FALSE },
    { N_("Loss (cross-entropy)"), m->loss, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    draw_figure (cr, layout, _(figures[i].caption), figures[i].value,
                 figures[i].percent, MARGIN + (i % 4) * CONTENT_WIDTH / 4,
                 y + (i / 4) * 44);
}

static void
draw_chart_frame (cairo_t *cr,
                  double   x,
                  double   y,
                  double   width,
                  double   height)
{
  cairo_rectangle (cr, x, y, width, height);
  cairo_set_source_rgba (cr, ink.red, ink.green, ink.blue, 0.15);
  cairo_set_line_width (cr, 0.75);
  cairo_stroke (cr);
}

static void
draw_summary_page (const CnvEvaluationReport *report,
                   cairo_t                   *cr,
                   PangoLayout               *layout)
{
  const CnvEvaluation *e = report->evaluation;
  const char *names[2] = { e->class_names[0] ? e->class_names[0] : "",
                           e->class_names[1] ? e->class_names[1] : "" };
  g_autofree char *title = g_strdup_printf (_("Evaluation of “%s”"),
                                            report->model_name);
  g_autofree char *made = g_strdup_printf (_("Made by Convolve %s on %s"),
                                           CNV_VERSION, report->created);
  g_autofree char *at = g_strdup_printf (_("At the decision threshold %.3f"),
                                         report->threshold);
  g_autofree char *rule = g_strdup_printf (_("Rows are the true classes, "
                                             "columns what the model "
                                             "predicted. An image counts as "
                                             "“%s” when its probability is "
                                             "at least %.3f; each share is "
                                             "of its row."),
                                           names[1], report->threshold);
  guint counts[2][2] = {
    { report->metrics.tn, report->metrics.fp },
    { report->metrics.fn, report->metrics.tp },
  };
  double y = MARGIN;

  y += paragraph (cr, layout, title, "Sans Bold 17", MARGIN, y, CONTENT_WIDTH,
                  1.0) + 2;
  y += paragraph (cr, layout, made, "Sans 8.5", MARGIN, y, CONTENT_WIDTH,
                  0.6) + 16;

  y = heading (cr, layout, _("Images"), y);
  y += paragraph (cr, layout, report->source, "Sans 10", MARGIN, y,
                  CONTENT_WIDTH, 1.0) + 2;
  y += paragraph (cr, layout, report->detail, "Sans 8.5", MARGIN, y,
                  CONTENT_WIDTH, 0.7) + 16;

  y = heading (cr, layout, at, y);
  draw_figures (report, cr, layout, y);
  y += 2 * 44 + 10;

  y = heading (cr, layout, _("Confusion matrix"), y);
  set_font (layout, "Sans 9");
  cairo_save (cr);
  cairo_translate (cr, MARGIN, y);
  cnv_confusion_matrix_draw (cr, layout, names, (const guint (*)[2]) counts,
                             &ink, CONTENT_WIDTH, 240);
  cairo_restore (cr);
  y += 240 + 8;
  paragraph (cr, layout, rule, "Sans 9", MARGIN, y, CONTENT_WIDTH, 0.75);
}

static void
draw_curves_page (const CnvEvaluationReport *report,
                  cairo_t                   *cr,
                  PangoLayout               *layout)
{
  const double chart_h = 350;
  double y = MARGIN;

  y = heading (cr, layout, _("Curves"), y);
  y += paragraph (cr, layout, _("The orange marker is the decision "
                                "threshold of the first page."), "Sans 9",
                  MARGIN, y, CONTENT_WIDTH, 0.75) + 8;

  for (int k = 0; k < 2; k++)
    {
      set_font (layout, "Sans 8.5");
      cairo_save (cr);
      cairo_translate (cr, MARGIN, y);
      draw_chart_frame (cr, 0, 0, CONTENT_WIDTH, chart_h);
      cairo_translate (cr, 6, 6);
      cnv_curve_chart_draw (cr, layout,
                            k == 0 ? CNV_CURVE_ROC
                                   : CNV_CURVE_PRECISION_RECALL,
                            report->evaluation->curves, report->threshold, -1,
                            &ink, CONTENT_WIDTH - 12, chart_h - 12);
      cairo_restore (cr);
      y += chart_h + 16;
    }
}

static double
draw_rows (cairo_t     *cr,
           PangoLayout *layout,
           GPtrArray   *rows,
           double       y)
{
  for (guint i = 0; i + 1 < rows->len; i += 2)
    {
      double h1 = paragraph (cr, layout, g_ptr_array_index (rows, i),
                             "Sans Bold 9", MARGIN, y, 150, 0.85);
      double h2 = paragraph (cr, layout, g_ptr_array_index (rows, i + 1),
                             "Sans 9", MARGIN + 160, y, CONTENT_WIDTH - 160,
                             1.0);

      y += MAX (h1, h2) + 5;
    }

  return y;
}

static char *
format_loss (double value)
{
  return isnan (value) ? g_strdup ("–") : g_strdup_printf ("%.4f", value);
}

static void
draw_history (const CnvEvaluationReport *report,
              cairo_t                   *cr,
              PangoLayout               *layout,
              double                     y)
{
  const char *columns[] = {
    N_("Epoch"), N_("Learning rate"), N_("Training loss"),
    N_("Training accuracy"), N_("Validation loss"),
    N_("Validation accuracy"),
  };
  double column_w = CONTENT_WIDTH / G_N_ELEMENTS (columns);
  guint first = report->history->len > MAX_HISTORY_ROWS
                ? report->history->len - MAX_HISTORY_ROWS : 0;

  if (report->history->len == 0)
    {
      paragraph (cr, layout, _("The model has not been trained."), "Sans 9",
                 MARGIN, y, CONTENT_WIDTH, 0.8);
      return;
    }

  if (first > 0)
    {
      g_autofree char *note = g_strdup_printf (_("The last %u of %u epochs."),
                                               MAX_HISTORY_ROWS,
                                               report->history->len);

      y += paragraph (cr, layout, note, "Sans 8.5", MARGIN, y, CONTENT_WIDTH,
                      0.7) + 4;
    }

  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    paragraph (cr, layout, _(columns[c]), "Sans Bold 8.5",
               MARGIN + c * column_w, y, column_w - 6, 0.85);
  y += 28;

  for (guint i = first; i < report->history->len; i++)
    {
      const CnvEpochRecord *r = &g_array_index (report->history,
                                                CnvEpochRecord, i);
      gboolean validated = r->validation.n > 0;
      char *cells[6] = {
        g_strdup_printf ("%u", r->epoch),
        format_number (r->learning_rate),
        format_loss (r->train_loss),
        cnv_format_percent (r->train_accuracy, 1),
        format_loss (validated ? r->validation.loss : NAN),
        validated ? cnv_format_percent (r->validation.accuracy, 1)
                  : g_strdup ("–"),
      };

      for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
        {
          paragraph (cr, layout, cells[c], "Sans 8.5", MARGIN + c * column_w,
                     y, column_w - 6, 1.0);
          g_free (cells[c]);
        }
      y += 14;
    }
}

static void
draw_training_page (const CnvEvaluationReport *report,
                    cairo_t                   *cr,
                    PangoLayout               *layout)
{
  double y = MARGIN;

  y = heading (cr, layout, _("How the model was trained"), y);
  y = draw_rows (cr, layout, report->settings, y) + 14;
  y = heading (cr, layout, _("Model"), y);
  y = draw_rows (cr, layout, report->model, y) + 14;
  y = heading (cr, layout, _("Training history"), y);
  draw_history (report, cr, layout, y);
}

void
cnv_evaluation_report_draw_page (const CnvEvaluationReport *report,
                                 cairo_t                   *cr,
                                 guint                      page)
{
  g_autoptr(PangoLayout) layout = NULL;

  g_return_if_fail (report != NULL);
  g_return_if_fail (page < CNV_REPORT_N_PAGES);

  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, CNV_REPORT_PAGE_WIDTH, CNV_REPORT_PAGE_HEIGHT);
  cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);
  cairo_fill (cr);

  layout = pango_cairo_create_layout (cr);
  if (page == 0)
    draw_summary_page (report, cr, layout);
  else if (page == 1)
    draw_curves_page (report, cr, layout);
  else
    draw_training_page (report, cr, layout);
  cairo_restore (cr);
}

/* Writing */

static cairo_status_t
append_bytes_cb (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  g_byte_array_append (closure, data, length);

  return CAIRO_STATUS_SUCCESS;
}

typedef enum
{
  FORMAT_PDF,
  FORMAT_SVG,
  FORMAT_PNG,
} Format;

static Format
format_for (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".svg"))
    return FORMAT_SVG;
  if (g_str_has_suffix (lower, ".png"))
    return FORMAT_PNG;

  return FORMAT_PDF;
}

/* The pages one above the other, on a surface of one tall page. */
static void
draw_stacked (const CnvEvaluationReport *report,
              cairo_t                   *cr)
{
  for (guint page = 0; page < CNV_REPORT_N_PAGES; page++)
    {
      cairo_save (cr);
      cairo_translate (cr, 0, page * CNV_REPORT_PAGE_HEIGHT);
      cnv_evaluation_report_draw_page (report, cr, page);
      cairo_restore (cr);
    }
}

static cairo_status_t
render (const CnvEvaluationReport *report,
        Format                     format,
        GByteArray                *out)
{
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  switch (format)
    {
    case FORMAT_SVG:
      surface = cairo_svg_surface_create_for_stream (append_bytes_cb, out,
                                                     CNV_REPORT_PAGE_WIDTH,
                                                     CNV_REPORT_N_PAGES
                                                     * CNV_REPORT_PAGE_HEIGHT);
      break;

    case FORMAT_PNG:
      surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
                                            (int) (PNG_SCALE
                                                   * CNV_REPORT_PAGE_WIDTH),
                                            (int) (PNG_SCALE
                                                   * CNV_REPORT_N_PAGES
                                                   * CNV_REPORT_PAGE_HEIGHT));
      break;

    case FORMAT_PDF:
    default:
      surface = cairo_pdf_surface_create_for_stream (append_bytes_cb, out,
                                                     CNV_REPORT_PAGE_WIDTH,
                                                     CNV_REPORT_PAGE_HEIGHT);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE,
                                      report->model_name);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR,
                                      "Convolve " CNV_VERSION);
      break;
    }

  cr = cairo_create (surface);
  if (format == FORMAT_PDF)
    for (guint page = 0; page < CNV_REPORT_N_PAGES; page++)
      {
        cnv_evaluation_report_draw_page (report, cr, page);
        cairo_show_page (cr);
      }
  else
    {
      if (format == FORMAT_PNG)
        cairo_scale (cr, PNG_SCALE, PNG_SCALE);
      draw_stacked (report, cr);
    }
  status = cairo_status (cr);
  cairo_destroy (cr);

  if (status == CAIRO_STATUS_SUCCESS && format == FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, append_bytes_cb,
                                                out);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  return status;
}

gboolean
cnv_evaluation_report_write (const CnvEvaluationReport *report,
                             const char                *path,
                             GError                   **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display = NULL;
  cairo_status_t status;

  g_return_val_if_fail (report != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  display = g_filename_display_name (path);

  status = render (report, format_for (path), bytes);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not draw the report “%s”: %s."), display,
                   cairo_status_to_string (status));
      return FALSE;
    }

  /* A temporary file beside path, flushed, then renamed over it. */
  if (!g_file_set_contents_full (path, (const char *) bytes->data,
                                 (gssize) bytes->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT
                                 | G_FILE_SET_CONTENTS_DURABLE, 0644,
                                 &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not write the report “%s”: %s"), display,
                   local_error->message);
      return FALSE;
    }

  return TRUE;
}
