/* cnv-classify-page.h — the Classify page: the prediction for one image */
#pragma once

#include <adwaita.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_CLASSIFY_PAGE (cnv_classify_page_get_type ())

G_DECLARE_FINAL_TYPE (CnvClassifyPage, cnv_classify_page,
                      CNV, CLASSIFY_PAGE, AdwBin)

/* The status page saying why nothing can be classified yet. */
void        cnv_classify_page_show_refusal    (CnvClassifyPage     *self);
/* What c predicted for the file at path: probability of the positive
 * class, the network's input image and the file as a viewer shows it
 * (thumbnail may be NULL). */
void        cnv_classify_page_show_prediction (CnvClassifyPage     *self,
                                               const CnvClassifier *c,
                                               const char          *path,
                                               double               probability,
                                               const CnvImage      *image,
                                               GdkTexture          *thumbnail);
/* The file as an image viewer shows it, ready for the Original picture:
 * scaled up with nearest neighbour when small, so its pixels stay
 * sharp; NULL when gdk-pixbuf cannot read it.  Safe in any thread. */
GdkTexture *cnv_classify_page_load_thumbnail  (const char          *path);

/* For tests/test-app.c */
const char *cnv_classify_page_get_state       (CnvClassifyPage     *self);
AdwStatusPage *cnv_classify_page_get_status   (CnvClassifyPage     *self);
GtkLabel   *cnv_classify_page_get_class_label (CnvClassifyPage     *self);
GtkPicture *cnv_classify_page_get_original    (CnvClassifyPage     *self);
/* "Folder says: …" beside the class; NULL when hidden. */
const char *cnv_classify_page_get_verdict     (CnvClassifyPage     *self);

G_END_DECLS
