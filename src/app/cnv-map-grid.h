/* cnv-map-grid.h — small images in a grid: the channels of a layer, or
 * the filters of a convolution, one selectable with the mouse or keys */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CNV_TYPE_MAP_GRID (cnv_map_grid_get_type ())

G_DECLARE_FINAL_TYPE (CnvMapGrid, cnv_map_grid, CNV, MAP_GRID, GtkWidget)

GtkWidget *cnv_map_grid_new          (void);
/* n tiles of tile_width × tile_height packed RGB, one after the other in
 * rgb (copied); tooltips (may be NULL) has one text per tile.  Each tile
 * is drawn tile_size pixels on its longer side, nearest neighbour.
 * Keeps the selection when it is still a tile, else selects the first. */
void       cnv_map_grid_set_tiles    (CnvMapGrid          *self,
                                      int                  n,
                                      int                  tile_width,
                                      int                  tile_height,
                                      const guint8        *rgb,
                                      const char * const  *tooltips,
                                      int                  tile_size);
int        cnv_map_grid_get_n_tiles  (CnvMapGrid          *self);
/* -1 when there are no tiles.  Notifies "selected". */
int        cnv_map_grid_get_selected (CnvMapGrid          *self);
void       cnv_map_grid_set_selected (CnvMapGrid          *self,
                                      int                  index);
/* Where tile index is drawn, in the grid's coordinates (for tests). */
gboolean   cnv_map_grid_get_tile_bounds (CnvMapGrid      *self,
                                         int              index,
                                         graphene_rect_t *bounds);

G_END_DECLS
