/* cnv-pixel-view.h — one small image drawn large and sharp: a channel, the
 * network's input, a Grad-CAM heat map */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

#define CNV_TYPE_PIXEL_VIEW (cnv_pixel_view_get_type ())

G_DECLARE_FINAL_TYPE (CnvPixelView, cnv_pixel_view, CNV, PIXEL_VIEW, GtkWidget)

GtkWidget *cnv_pixel_view_new       (void);
/* width × height packed RGB (copied); NULL clears. */
void       cnv_pixel_view_set_rgb   (CnvPixelView   *self,
                                     int             width,
                                     int             height,
                                     const guint8   *rgb);
/* A grey or RGB image as it is. */
void       cnv_pixel_view_set_image (CnvPixelView   *self,
                                     const CnvImage *image);
/* The RGB bytes drawn (for tests); NULL when empty. */
const guint8 *cnv_pixel_view_get_rgb (CnvPixelView  *self,
                                      int           *width,
                                      int           *height);

G_END_DECLS
