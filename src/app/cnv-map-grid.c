/* cnv-map-grid.c — a grid of small images drawn sharp with Cairo
 *
 * Each tile is an RGB image of a few pixels a side (a 7 × 7 feature map,
 * a 5 × 5 filter), drawn much larger.  The one idea: every tile becomes a
 * Cairo image surface once, when it is set, and is painted through a
 * nearest-neighbour pattern, so a redraw is only a scale and a paint per
 * tile and a value is always one crisp square.  The grid is as wide as
 * it is given and as tall as its rows need (height for width); arrows,
 * Home and End move the selection, a click selects.
 */
#define G_LOG_DOMAIN "cnv-map-grid"

#include "cnv-map-grid.h"
#include "cnv-chart.h"

#define GAP 6
#define BORDER 2

struct _CnvMapGrid
{
  GtkWidget parent_instance;

  /* owned */
  GPtrArray *surfaces;   /* cairo_surface_t, one per tile */
  GStrv      tooltips;

  /* state */
  int        tile_width;
  int        tile_height;
  int        tile_size;
  int        selected;
};

G_DEFINE_FINAL_TYPE (CnvMapGrid, cnv_map_grid, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The drawn size of a tile, keeping its aspect ratio. */
static void
drawn_size (CnvMapGrid *self,
            double     *width,
            double     *height)
{
  double longer = MAX (self->tile_width, self->tile_height);

  *width = longer > 0 ? self->tile_size * self->tile_width / longer : 0;
  *height = longer > 0 ? self->tile_size * self->tile_height / longer : 0;
}

static int
columns_for_width (CnvMapGrid *self,
                   int         width)
{
  double w, h;

  drawn_size (self, &w, &h);
  if (w <= 0)
    return 1;

  return MAX (1, (int) ((width + GAP) / (w + GAP)));
}

static int
n_tiles (CnvMapGrid *self)
{
  return self->surfaces != NULL ? (int) self->surfaces->len : 0;
}

gboolean
cnv_map_grid_get_tile_bounds (CnvMapGrid      *self,
                              int              index,
                              graphene_rect_t *bounds)
{
  int columns;
  double w, h;

  g_return_val_if_fail (CNV_IS_MAP_GRID (self), FALSE);

  if (index < 0 || index >= n_tiles (self))
    return FALSE;

  columns = columns_for_width (self, gtk_widget_get_width (GTK_WIDGET (self))
                                     - 2 * BORDER);
  drawn_size (self, &w, &h);
  graphene_rect_init (bounds, BORDER + (index % columns) * (w + GAP),
                      BORDER + (index / columns) * (h + GAP), w, h);

  return TRUE;
}

static int
tile_at (CnvMapGrid *self,
         double      x,
         double      y)
{
  for (int i = 0; i < n_tiles (self); i++)
    {
      graphene_rect_t bounds;

      cnv_map_grid_get_tile_bounds (self, i, &bounds);
      if (graphene_rect_contains_point (&bounds, &GRAPHENE_POINT_INIT (x, y)))
        return i;
    }

  return -1;
}

static void
cnv_map_grid_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  CnvMapGrid *self = CNV_MAP_GRID (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA accent;
  cairo_t *cr;

  if (n_tiles (self) == 0)
    return;

  /* The theme's accent marks the selection, as a selected row's. */
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget),
                                       "accent_color", &accent))
    gdk_rgba_parse (&accent, "#3584e4");

  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (0, 0, width, height));
  for (int i = 0; i < n_tiles (self); i++)
    {
      cairo_surface_t *surface = g_ptr_array_index (self->surfaces, i);
      graphene_rect_t bounds;

      cnv_map_grid_get_tile_bounds (self, i, &bounds);

      cairo_save (cr);
      cairo_translate (cr, bounds.origin.x, bounds.origin.y);
      cairo_scale (cr, bounds.size.width / self->tile_width,
                   bounds.size.height / self->tile_height);
      cairo_set_source_surface (cr, surface, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);

      if (i == self->selected)
        {
          cnv_chart_set_color (cr, &accent,
                               gtk_widget_has_focus (widget) ? 1.0 : 0.6);
          cairo_set_line_width (cr, BORDER);
          cairo_rectangle (cr, bounds.origin.x - BORDER / 2.0,
                           bounds.origin.y - BORDER / 2.0,
                           bounds.size.width + BORDER,
                           bounds.size.height + BORDER);
          cairo_stroke (cr);
        }
    }
  cairo_destroy (cr);
}

static GtkSizeRequestMode
cnv_map_grid_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
cnv_map_grid_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  CnvMapGrid *self = CNV_MAP_GRID (widget);
  double w, h;
  int n = n_tiles (self);

  drawn_size (self, &w, &h);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = (int) w + 2 * BORDER;
      *natural = (int) (MIN (n, 8) * (w + GAP)) + 2 * BORDER;
    }
  else
    {
      int columns = for_size >= 0
                    ? columns_for_width (self, for_size - 2 * BORDER)
                    : MIN (MAX (n, 1), 8);
      int rows = n > 0 ? (n + columns - 1) / columns : 0;

      *minimum = *natural = (int) (rows * (h + GAP)) + 2 * BORDER;
    }
}

static gboolean
query_tooltip_cb (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  CnvMapGrid *self = CNV_MAP_GRID (widget);
  int index = keyboard ? self->selected : tile_at (self, x, y);

  if (self->tooltips == NULL || index < 0
      || index >= (int) g_strv_length (self->tooltips))
    return FALSE;

  gtk_tooltip_set_text (tooltip, self->tooltips[index]);

  return TRUE;
}

static void
pressed_cb (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            CnvMapGrid      *self)
{
  int index = tile_at (self, x, y);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (index >= 0)
    cnv_map_grid_set_selected (self, index);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                CnvMapGrid            *self)
{
  int columns = columns_for_width (self,
                                   gtk_widget_get_width (GTK_WIDGET (self))
                                   - 2 * BORDER);
  int index = self->selected;

  if (n_tiles (self) == 0
      || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      index--;
      break;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      index++;
      break;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      index -= columns;
      break;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      index += columns;
      break;
    case GDK_KEY_Home:
      index = 0;
      break;
    case GDK_KEY_End:
      index = n_tiles (self) - 1;
      break;
    default:
      return FALSE;
    }

  cnv_map_grid_set_selected (self, CLAMP (index, 0, n_tiles (self) - 1));

  return TRUE;
}

static void
focus_changed_cb (CnvMapGrid *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
cnv_map_grid_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CnvMapGrid *self = CNV_MAP_GRID (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      g_value_set_int (value, self->selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_map_grid_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CnvMapGrid *self = CNV_MAP_GRID (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      cnv_map_grid_set_selected (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnv_map_grid_finalize (GObject *object)
{
  CnvMapGrid *self = CNV_MAP_GRID (object);

  g_clear_pointer (&self->surfaces, g_ptr_array_unref);
  g_clear_pointer (&self->tooltips, g_strfreev);

  G_OBJECT_CLASS (cnv_map_grid_parent_class)->finalize (object);
}

static void
cnv_map_grid_class_init (CnvMapGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cnv_map_grid_finalize;
  object_class->get_property = cnv_map_grid_get_property;
  object_class->set_property = cnv_map_grid_set_property;
  widget_class->snapshot = cnv_map_grid_snapshot;
  widget_class->measure = cnv_map_grid_measure;
  widget_class->get_request_mode = cnv_map_grid_get_request_mode;

  properties[PROP_SELECTED] =
    g_param_spec_int ("selected", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                      | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "mapgrid");
  gtk_widget_class_set_accessible_role (widget_class,
                                        GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cnv_map_grid_init (CnvMapGrid *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();

  self->selected = -1;
  self->tile_size = 64;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb),
                    NULL);

  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (focus_changed_cb),
                            self);
  g_signal_connect_swapped (focus, "leave", G_CALLBACK (focus_changed_cb),
                            self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
}

GtkWidget *
cnv_map_grid_new (void)
{
  return g_object_new (CNV_TYPE_MAP_GRID, NULL);
}

/* Cairo's RGB24 is one 32-bit word per pixel, x R G B from the top. */
static cairo_surface_t *
surface_from_rgb (const guint8 *rgb,
                  int           width,
                  int           height)
{
  cairo_surface_t *surface;
  guint8 *data;
  int stride;

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < height; y++)
    {
      guint32 *row = (guint32 *) (data + (gsize) y * stride);

      for (int x = 0; x < width; x++)
        {
          const guint8 *p = rgb + 3 * ((gsize) y * width + x);

          row[x] = (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
        }
    }
  cairo_surface_mark_dirty (surface);

  return surface;
}

void
cnv_map_grid_set_tiles (CnvMapGrid         *self,
                        int                 n,
                        int                 tile_width,
                        int                 tile_height,
                        const guint8       *rgb,
                        const char * const *tooltips,
                        int                 tile_size)
{
  gsize tile_bytes;

  g_return_if_fail (CNV_IS_MAP_GRID (self));
  g_return_if_fail (n >= 0 && (n == 0 || rgb != NULL));

  g_clear_pointer (&self->surfaces, g_ptr_array_unref);
  g_clear_pointer (&self->tooltips, g_strfreev);
  self->surfaces = g_ptr_array_new_with_free_func (
    (GDestroyNotify) cairo_surface_destroy);
  self->tooltips = g_strdupv ((char **) tooltips);
  self->tile_width = tile_width;
  self->tile_height = tile_height;
  self->tile_size = MAX (tile_size, 1);

  tile_bytes = (gsize) tile_width * tile_height * 3;
  for (int i = 0; i < n; i++)
    g_ptr_array_add (self->surfaces,
                     surface_from_rgb (rgb + tile_bytes * i, tile_width,
                                       tile_height));

  gtk_widget_queue_resize (GTK_WIDGET (self));
  cnv_map_grid_set_selected (self, self->selected >= 0 && self->selected < n
                                   ? self->selected : (n > 0 ? 0 : -1));
}

int
cnv_map_grid_get_n_tiles (CnvMapGrid *self)
{
  g_return_val_if_fail (CNV_IS_MAP_GRID (self), 0);

  return n_tiles (self);
}

int
cnv_map_grid_get_selected (CnvMapGrid *self)
{
  g_return_val_if_fail (CNV_IS_MAP_GRID (self), -1);

  return self->selected;
}

void
cnv_map_grid_set_selected (CnvMapGrid *self,
                           int         index)
{
  g_return_if_fail (CNV_IS_MAP_GRID (self));
  g_return_if_fail (index >= -1 && index < n_tiles (self));

  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (self->selected == index)
    return;

  self->selected = index;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}
