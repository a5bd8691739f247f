/* cnv-evaluation-report.h — an evaluation as a self-contained report,
 * drawn with Cairo into PDF, SVG or PNG */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

/* Everything a report shows, copied on the main thread so that writing
 * it can run in any thread. */
typedef struct _CnvEvaluationReport CnvEvaluationReport;

/* The size of a report page, A4 in points. */
#define CNV_REPORT_PAGE_WIDTH  595.0
#define CNV_REPORT_PAGE_HEIGHT 842.0
#define CNV_REPORT_N_PAGES     3

/* classifier is read now (its hyperparameters and model); evaluation is
 * referenced; model_name is the checkpoint's file name or "Untitled". */
CnvEvaluationReport *cnv_evaluation_report_new    (CnvEvaluation       *evaluation,
                                                   const CnvClassifier *classifier,
                                                   double               threshold,
                                                   const char          *model_name);
void                 cnv_evaluation_report_free   (CnvEvaluationReport *report);
/* Page 0: images, figures and matrix; page 1: the curves; page 2: how
 * the model was trained.  Draws on a white page of CNV_REPORT_PAGE_WIDTH × _HEIGHT at
 * cr's origin. */
void                 cnv_evaluation_report_draw_page (const CnvEvaluationReport *report,
                                                      cairo_t                   *cr,
                                                      guint                      page);
/* Writes the report as PDF (one page each), or SVG or PNG (the pages one
 * above the other), by the extension of path; anything else is PDF.  The
 * file is replaced atomically; an error names the file and the reason. */
gboolean             cnv_evaluation_report_write  (const CnvEvaluationReport *report,
                                                   const char                *path,
                                                   GError                   **error);

/* "Validation split of “sample”: 80 images, 40 sneaker and 40
 * ankle-boot" and, as detail, how they were chosen. */
char                *cnv_evaluation_describe_source (const CnvEvaluation *evaluation);
char                *cnv_evaluation_describe_detail (const CnvEvaluation *evaluation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvEvaluationReport, cnv_evaluation_report_free)

G_END_DECLS
