/* cnv-texture.h — images as textures for GtkPicture, sharp at any size */
#pragma once

#include <gtk/gtk.h>

#include "cnv.h"

G_BEGIN_DECLS

/* The whole factor that brings the larger side of a width × height image
 * to at least size pixels; 1 when it is already there. */
int         cnv_texture_upscale_factor (int             width,
                                        int             height,
                                        int             size);
/* What the network sees, scaled up by a whole factor with nearest
 * neighbour so that each input value is a visible square at least size
 * pixels across in all. */
GdkTexture *cnv_texture_new_for_image  (const CnvImage *image,
                                        int             size);
/* An array for the textures of images some of which may fail to load:
 * it holds NULL for those, and unrefs the others. */
GPtrArray  *cnv_texture_array_new      (void);

G_END_DECLS
