/* cnv-stack-diagram.h — the layer stack drawn as blocks, for the window
 * and for a report (PNG or SVG) */
#pragma once

#include <cairo.h>

#include "cnv.h"

G_BEGIN_DECLS

/* The height the diagram needs at any width. */
int      cnv_stack_diagram_get_height (CnvStackEditor *editor);
/* Draws the input and one block per layer, top to bottom, each labelled
 * with its id and output shape and as wide as its output is large. */
void     cnv_stack_diagram_draw       (cairo_t        *cr,
                                       CnvStackEditor *editor,
                                       int             width,
                                       gboolean        dark);
/* Writes the diagram to path: SVG when it ends in ".svg", PNG otherwise. */
gboolean cnv_stack_diagram_export     (CnvStackEditor *editor,
                                       const char     *path,
                                       GError        **error);

G_END_DECLS
