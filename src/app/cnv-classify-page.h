/* cnv-classify-page.h — the Classify page: a list of predicted images and
 * what the network computed for the selected one
 *
 * The page does its own work off the main thread, on a snapshot of the
 * weights that the window hands it: when it needs one it emits
 * "snapshot-wanted", and the window answers with
 * cnv_classify_page_set_snapshot (), at once or, while a run trains, at
 * the run's next batch boundary.
 */
#pragma once

#include <adwaita.h>

#include "cnv.h"
#include "cnv-filters-view.h"
#include "cnv-gradcam-view.h"
#include "cnv-maps-view.h"
#include "cnv-prediction.h"

G_BEGIN_DECLS

#define CNV_TYPE_CLASSIFY_PAGE (cnv_classify_page_get_type ())

G_DECLARE_FINAL_TYPE (CnvClassifyPage, cnv_classify_page,
                      CNV, CLASSIFY_PAGE, AdwBin)

typedef enum
{
  CNV_CLASSIFY_FILTER_ALL,
  CNV_CLASSIFY_FILTER_CLASS_0,    /* predicted as the first class */
  CNV_CLASSIFY_FILTER_CLASS_1,
  CNV_CLASSIFY_FILTER_UNSURE,     /* near the threshold */
  CNV_CLASSIFY_FILTER_WRONG,      /* against its class folder */
  CNV_CLASSIFY_FILTER_UNREADABLE,
} CnvClassifyFilter;

typedef enum
{
  CNV_CLASSIFY_SORT_ADDED,
  CNV_CLASSIFY_SORT_NAME,
  CNV_CLASSIFY_SORT_PROBABILITY_DOWN,  /* most positive first */
  CNV_CLASSIFY_SORT_PROBABILITY_UP,
  CNV_CLASSIFY_SORT_CONFIDENCE_UP,     /* least sure first */
} CnvClassifySort;

/* Adds files and folders (walked for images) to the list; the first of
 * them is selected when its answer arrives. */
void        cnv_classify_page_add_files       (CnvClassifyPage     *self,
                                               GFile              **files,
                                               guint                n_files);
/* An image in memory (pasted); name is what the list shows. */
void        cnv_classify_page_add_bytes       (CnvClassifyPage     *self,
                                               GBytes              *bytes,
                                               const char          *name);
/* The answer to "snapshot-wanted": classifier (taken) is a copy the page
 * keeps and never writes; NULL means there is no model, and what waited
 * for one is dropped.  training says it was taken from a run going on. */
void        cnv_classify_page_set_snapshot    (CnvClassifyPage     *self,
                                               CnvClassifier       *classifier,
                                               gboolean             training);
/* The window's model changed (trained, opened): the list is predicted
 * again with a new snapshot. */
void        cnv_classify_page_model_changed   (CnvClassifyPage     *self);
/* The status page saying why nothing can be classified yet. */
void        cnv_classify_page_show_refusal    (CnvClassifyPage     *self);
/* Opens the file chooser for images (several at once). */
void        cnv_classify_page_choose_files    (CnvClassifyPage     *self);
/* TRUE while predictions or an inspection run, or a snapshot is awaited. */
gboolean    cnv_classify_page_is_busy         (CnvClassifyPage     *self);
/* The file as an image viewer shows it, ready for the Original picture:
 * scaled up with nearest neighbour when small, so its pixels stay
 * sharp; NULL when gdk-pixbuf cannot read it.  Safe in any thread. */
GdkTexture *cnv_classify_page_load_thumbnail  (const char          *path);

/* The list as shown (filtered and sorted), of CnvPrediction. */
GListModel    *cnv_classify_page_get_rows     (CnvClassifyPage     *self);
/* Every row, in the order added. */
GListModel    *cnv_classify_page_get_all_rows (CnvClassifyPage     *self);
CnvPrediction *cnv_classify_page_get_selected (CnvClassifyPage     *self);
void        cnv_classify_page_select          (CnvClassifyPage     *self,
                                               guint                position);
void        cnv_classify_page_set_filter      (CnvClassifyPage     *self,
                                               CnvClassifyFilter    filter);
void        cnv_classify_page_set_sort        (CnvClassifyPage     *self,
                                               CnvClassifySort      sort);
/* Writes the list as shown as CSV to path (atomically). */
gboolean    cnv_classify_page_export_csv      (CnvClassifyPage     *self,
                                               const char          *path,
                                               GError             **error);
/* "prediction", "maps", "filters" or "gradcam". */
void        cnv_classify_page_show_view       (CnvClassifyPage     *self,
                                               const char          *name);
/* The view shown in the detail, and whether the view name is offered
 * (a file that could not be read offers only "prediction"). */
const char *cnv_classify_page_get_view        (CnvClassifyPage     *self);
gboolean    cnv_classify_page_offers_view     (CnvClassifyPage     *self,
                                               const char          *name);
/* The inspection on screen, or NULL while it is computed. */
CnvInspection *cnv_classify_page_get_inspection (CnvClassifyPage   *self);

/* For the tests */
const char *cnv_classify_page_get_state       (CnvClassifyPage     *self);
AdwStatusPage *cnv_classify_page_get_status   (CnvClassifyPage     *self);
GtkLabel   *cnv_classify_page_get_class_label (CnvClassifyPage     *self);
GtkPicture *cnv_classify_page_get_original    (CnvClassifyPage     *self);
/* "Folder says: …" beside the class; NULL when hidden. */
const char *cnv_classify_page_get_verdict     (CnvClassifyPage     *self);
GtkDropTarget *cnv_classify_page_get_drop_target (CnvClassifyPage  *self);
CnvMapsView    *cnv_classify_page_get_maps_view    (CnvClassifyPage *self);
CnvFiltersView *cnv_classify_page_get_filters_view (CnvClassifyPage *self);
CnvGradcamView *cnv_classify_page_get_gradcam_view (CnvClassifyPage *self);
GtkWidget  *cnv_classify_page_get_list_view   (CnvClassifyPage     *self);
/* Folded (narrow), whether the detail is the pane on screen; unfolded,
 * both are and it is TRUE.  show_list goes back to the list. */
gboolean    cnv_classify_page_get_detail_shown (CnvClassifyPage    *self);
gboolean    cnv_classify_page_get_folded      (CnvClassifyPage     *self);
void        cnv_classify_page_show_list       (CnvClassifyPage     *self);
const char *cnv_classify_page_get_summary     (CnvClassifyPage     *self);

G_END_DECLS
