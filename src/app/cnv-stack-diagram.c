/* cnv-stack-diagram.c — the layer stack drawn as blocks
 *
 * One rounded block per layer, top to bottom after the input, coloured by
 * the layer's family and labelled with its id, kind and output shape.  A
 * block's width follows the log of its output's element count, so the
 * funnel from a large image to one logit shows at a glance.
 *
 * The one idea: the same Cairo calls draw on the screen, into a PNG and
 * into an SVG, so what a report shows is what the window showed.
 */
#define G_LOG_DOMAIN "cnv-stack-diagram"

#include <math.h>
#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "cnv-format.h"
#include "cnv-stack-diagram.h"

#define BLOCK_HEIGHT 34.0
#define GAP 14.0
#define MARGIN 12.0
#define EXPORT_WIDTH 480

typedef struct
{
  double r, g, b;
} Colour;

static Colour
family_colour (int kind)
{
  switch (kind)
    {
    case CNV_LAYER_CONV2D: return (Colour) { 0.21, 0.52, 0.89 };
    case CNV_LAYER_MAX_POOL:
    case CNV_LAYER_AVG_POOL:
    case CNV_LAYER_GLOBAL_AVG_POOL: return (Colour) { 0.18, 0.76, 0.49 };
    case CNV_LAYER_BATCH_NORM:
    case CNV_LAYER_DROPOUT: return (Colour) { 0.57, 0.25, 0.67 };
    case CNV_LAYER_DENSE: return (Colour) { 0.90, 0.38, 0.0 };
    case CNV_LAYER_RELU:
    case CNV_LAYER_LEAKY_RELU:
    case CNV_LAYER_SIGMOID:
    case CNV_LAYER_TANH:
    case CNV_LAYER_SOFTMAX: return (Colour) { 0.90, 0.65, 0.04 };
    case CNV_LAYER_FLATTEN:
    default: return (Colour) { 0.47, 0.47, 0.47 };
    }
}

static double
shape_elements (const CnvShape *shape)
{
  return (double) MAX (shape->channels, 0) * MAX (shape->height, 1)
         * MAX (shape->width, 1);
}

int
cnv_stack_diagram_get_height (CnvStackEditor *editor)
{
  guint n = cnv_stack_editor_get_n_layers (editor) + 1;

  return (int) (2 * MARGIN + n * BLOCK_HEIGHT + (n - 1) * GAP);
}

static void
draw_block (cairo_t        *cr,
            double          x,
            double          y,
            double          w,
            Colour          colour,
            gboolean        dark,
            gboolean        problem,
            const char     *text,
            int             width)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font =
    pango_font_description_from_string ("Sans 9");
  double radius = 6;
  int tw;
  int th;

  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + w - radius, y + BLOCK_HEIGHT - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + BLOCK_HEIGHT - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);

  cairo_set_source_rgba (cr, colour.r, colour.g, colour.b, dark ? 0.35 : 0.22);
  cairo_fill_preserve (cr);
  if (problem)
    cairo_set_source_rgb (cr, 0.88, 0.11, 0.14);
  else
    cairo_set_source_rgba (cr, colour.r, colour.g, colour.b, 0.9);
  cairo_set_line_width (cr, problem ? 2.0 : 1.0);
  cairo_stroke (cr);

  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, (int) ((width - 2 * MARGIN) * PANGO_SCALE));
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_get_pixel_size (layout, &tw, &th);

  if (dark)
    cairo_set_source_rgb (cr, 1, 1, 1);
  else
    cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  cairo_move_to (cr, MARGIN, y + (BLOCK_HEIGHT - th) / 2);
  pango_cairo_show_layout (cr, layout);
}

void
cnv_stack_diagram_draw (cairo_t        *cr,
                        CnvStackEditor *editor,
                        int             width,
                        gboolean        dark)
{
  const CnvModelSpec *spec = cnv_stack_editor_get_spec (editor);
  CnvShape input = { spec->channels, spec->height, spec->width, FALSE };
  /* A layer with a problem of its own has no shape to show; the
   * engine's best effort would be a number the stack cannot produce. */
  CnvShape unknown = { 0, 0, 0, FALSE };
  double largest = shape_elements (&input);
  double usable = width - 2 * MARGIN;
  double y = MARGIN;

  for (guint i = 0; i < spec->n_layers; i++)
    if (cnv_stack_editor_get_layer_problem (editor, i) == NULL)
      largest = MAX (largest,
                     shape_elements (cnv_stack_editor_get_shape (editor, i)));

  for (guint i = 0; i <= spec->n_layers; i++)
    {
      gboolean problem = i > 0
                         && cnv_stack_editor_get_layer_problem (editor, i - 1) != NULL;
      const CnvShape *shape = i == 0 ? &input
                              : problem ? &unknown
                              : cnv_stack_editor_get_shape (editor, i - 1);
      g_autofree char *shape_text = cnv_format_shape (shape);
      g_autofree char *text = NULL;
      /* log scale: one element → 40 %, the largest → the whole width */
      double fraction = 0.4 + 0.6 * log1p (shape_elements (shape))
                                / log1p (MAX (largest, 1.0));
      double w = usable * CLAMP (fraction, 0.4, 1.0);
      double x = (width - w) / 2;
      Colour colour;

      if (i == 0)
        {
          text = g_strdup_printf (_("Input · %s"), shape_text);
          colour = (Colour) { 0.47, 0.47, 0.47 };
        }
      else
        {
          const CnvLayerSpec *layer = &spec->layers[i - 1];

          /* Translators: a diagram block, "conv1 · Convolution · 8 × 28 × 28". */
          text = g_strdup_printf (_("%s · %s · %s"), layer->id,
                                  cnv_layer_kind_get_title (layer->kind),
                                  shape_text);
          colour = family_colour (layer->kind);
        }

      if (i > 0)
        {
          /* the arrow from the block above */
          if (dark)
            cairo_set_source_rgba (cr, 1, 1, 1, 0.5);
          else
            cairo_set_source_rgba (cr, 0, 0, 0, 0.4);
          cairo_set_line_width (cr, 1.5);
          cairo_move_to (cr, width / 2.0, y - GAP + 2);
          cairo_line_to (cr, width / 2.0, y - 3);
          cairo_stroke (cr);
          cairo_move_to (cr, width / 2.0 - 4, y - 7);
          cairo_line_to (cr, width / 2.0, y - 2);
          cairo_line_to (cr, width / 2.0 + 4, y - 7);
          cairo_stroke (cr);
        }

      draw_block (cr, x, y, w, colour, dark, problem, text, width);
      y += BLOCK_HEIGHT + GAP;
    }
}

gboolean
cnv_stack_diagram_export (CnvStackEditor *editor,
                          const char     *path,
                          GError        **error)
{
  int height = cnv_stack_diagram_get_height (editor);
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  gboolean svg = g_str_has_suffix (path, ".svg") || g_str_has_suffix (path, ".SVG");

  if (svg)
    surface = cairo_svg_surface_create (path, EXPORT_WIDTH, height);
  else
    surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, EXPORT_WIDTH,
                                          height);

  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cnv_stack_diagram_draw (cr, editor, EXPORT_WIDTH, FALSE);
  cairo_destroy (cr);

  if (svg)
    {
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  else
    status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_autofree char *name = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not write the diagram to “%s”: %s."), name,
                   cairo_status_to_string (status));
      return FALSE;
    }

  return TRUE;
}
