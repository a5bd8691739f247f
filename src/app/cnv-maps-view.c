/* cnv-maps-view.c — the Feature Maps view
 *
 * A layer at a time: all its channels as a grid of small viridis images,
 * and the selected channel large beside the network's input, with its
 * minimum, maximum and mean.  The scale is one range over the whole layer
 * (channels can be compared) or each channel's own (each shows its
 * structure).  Everything comes from a CnvInspection computed off the
 * main thread; switching layers, channels or scales only redraws.
 * Page Up and Page Down step through the layers.
 */
#define G_LOG_DOMAIN "cnv-maps-view"

#include <math.h>

#include <glib/gi18n.h>

#include "cnv-export.h"
#include "cnv-format.h"
#include "cnv-maps-view.h"

/* Tiles are drawn at least this many pixels on their longer side. */
#define MIN_TILE_SIZE 64
/* A flat layer's strip gives each feature this many pixels. */
#define FEATURE_SIZE 8

struct _CnvMapsView
{
  AdwBin parent_instance;

  /* template children */
  GtkWidget       *content;
  GtkDropDown     *layer_dropdown;
  GtkStringList   *layer_names;
  GtkToggleButton *shared_toggle;
  GtkToggleButton *per_channel_toggle;
  GtkLabel        *layer_caption;
  CnvMapGrid      *grid;
  CnvPixelView    *channel_view;
  GtkLabel        *channel_title;
  CnvPixelView    *input_view;
  GtkLabel        *stats_label;
  CnvPixelView    *legend;
  GtkLabel        *legend_low;
  GtkLabel        *legend_high;

  /* owned */
  CnvInspection   *inspection;

  /* state */
  gboolean         updating;
};

G_DEFINE_FINAL_TYPE (CnvMapsView, cnv_maps_view, ADW_TYPE_BIN)

static char *
format_value (float value)
{
  return g_strdup_printf ("%.4g", value);
}

static const CnvLayerMaps *
current_maps (CnvMapsView *self)
{
  guint layer = gtk_drop_down_get_selected (self->layer_dropdown);

  if (self->inspection == NULL || layer >= self->inspection->n_layers)
    return NULL;

  return &self->inspection->maps->layers[layer];
}

static void
show_channel (CnvMapsView *self)
{
  const CnvLayerMaps *maps = current_maps (self);
  const CnvModelSpec *spec;
  g_autofree guint8 *rgb = NULL;
  g_autofree char *title = NULL;
  g_autofree char *stats = NULL;
  g_autofree char *lo_text = NULL, *hi_text = NULL;
  g_autofree char *min = NULL, *max = NULL, *mean = NULL;
  int channel = cnv_map_grid_get_selected (self->grid);
  guint layer;
  float lo, hi;

  if (maps == NULL || channel < 0)
    {
      cnv_pixel_view_set_rgb (self->channel_view, 0, 0, NULL);
      gtk_label_set_label (self->stats_label, "");
      return;
    }

  layer = gtk_drop_down_get_selected (self->layer_dropdown);
  spec = cnv_model_get_spec (self->inspection->snapshot->classifier->model);
  rgb = g_malloc ((gsize) maps->width * maps->height * 3);
  cnv_layer_maps_render (maps, channel, cnv_maps_view_get_scale (self), rgb);
  cnv_pixel_view_set_rgb (self->channel_view, maps->width, maps->height, rgb);

  if (maps->flat)
    /* Translators: the large view of a flat layer; "fc1: 64 features". */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %d feature",
                                          "%s: %d features", maps->width),
                             spec->layers[layer].id, maps->width);
  else
    /* Translators: the large view's title; "conv1, channel 3 of 8". */
    title = g_strdup_printf (_("%s, channel %d of %d"), spec->layers[layer].id,
                             channel + 1, maps->channels);
  gtk_label_set_label (self->channel_title, title);

  min = format_value (maps->stats[channel].min);
  max = format_value (maps->stats[channel].max);
  mean = format_value (maps->stats[channel].mean);
  /* Translators: per-channel statistics, one per line. */
  stats = g_strdup_printf (_("Minimum %s\nMaximum %s\nMean %s"), min, max,
                           mean);
  gtk_label_set_label (self->stats_label, stats);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->channel_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, stats,
                                  -1);

  /* The legend: the colours of the range this channel is drawn with. */
  cnv_layer_maps_get_range (maps, channel, cnv_maps_view_get_scale (self),
                            &lo, &hi);
  lo_text = format_value (lo);
  hi_text = format_value (hi);
  gtk_label_set_label (self->legend_low, lo_text);
  gtk_label_set_label (self->legend_high, hi_text);
  {
    /* Translators: the colour scale of the maps, "From −1.2 (dark blue)
     * to 3.4 (yellow)". */
    g_autofree char *range = g_strdup_printf (_("From %s (dark blue) to %s "
                                                "(yellow)"), lo_text, hi_text);

    gtk_accessible_update_property (GTK_ACCESSIBLE (self->legend),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, range,
                                    -1);
  }
}

static void
show_layer (CnvMapsView *self)
{
  const CnvLayerMaps *maps = current_maps (self);
  g_autofree guint8 *rgb = NULL;
  g_auto(GStrv) tooltips = NULL;
  g_autofree char *caption = NULL;
  g_autofree char *lo = NULL, *hi = NULL;
  guint layer = gtk_drop_down_get_selected (self->layer_dropdown);
  gsize plane;
  int size;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "maps.previous-layer",
                                 maps != NULL && layer > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "maps.next-layer",
                                 maps != NULL
                                 && layer + 1 < self->inspection->n_layers);

  if (maps == NULL)
    {
      cnv_map_grid_set_tiles (self->grid, 0, 0, 0, NULL, NULL, 1);
      show_channel (self);
      return;
    }

  plane = (gsize) maps->width * maps->height;
  rgb = g_malloc (plane * 3 * maps->channels);
  tooltips = g_new0 (char *, maps->channels + 1);
  for (int c = 0; c < maps->channels; c++)
    {
      g_autofree char *min = format_value (maps->stats[c].min);
      g_autofree char *max = format_value (maps->stats[c].max);
      g_autofree char *mean = format_value (maps->stats[c].mean);

      cnv_layer_maps_render (maps, c, cnv_maps_view_get_scale (self),
                             rgb + plane * 3 * c);
      /* Translators: a channel's tooltip; "Channel 3: min −0.2, max 1.4,
       * mean 0.31". */
      tooltips[c] = g_strdup_printf (_("Channel %d: min %s, max %s, mean %s"),
                                     c + 1, min, max, mean);
    }

  if (maps->flat)
    size = MIN (FEATURE_SIZE * maps->width, 640);
  else
    {
      int side = MAX (maps->width, maps->height);

      size = side >= MIN_TILE_SIZE ? side
             : side * ((MIN_TILE_SIZE + side - 1) / side);
    }
  cnv_map_grid_set_tiles (self->grid, maps->channels, maps->width,
                          maps->height, rgb,
                          (const char * const *) tooltips, size);

  lo = format_value (maps->min);
  hi = format_value (maps->max);
  if (maps->flat)
    /* Translators: "64 features, from −1.2 to 3.4". */
    caption = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d feature, "
                                            "from %s to %s", "%d features, "
                                            "from %s to %s", maps->width),
                               maps->width, lo, hi);
  else
    /* Translators: "8 channels of 28 × 28, from −1.2 to 3.4". */
    caption = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "%d channel of %d × %d, from %s "
                                            "to %s",
                                            "%d channels of %d × %d, from %s "
                                            "to %s", maps->channels),
                               maps->channels, maps->width, maps->height, lo,
                               hi);
  gtk_label_set_label (self->layer_caption, caption);
  {
    const CnvModelSpec *spec =
      cnv_model_get_spec (self->inspection->snapshot->classifier->model);
    /* Translators: the name of the grid of channels, "Feature maps of
     * conv1". */
    g_autofree char *name = g_strdup_printf (_("Feature maps of %s"),
                                             spec->layers[layer].id);

    gtk_accessible_update_property (GTK_ACCESSIBLE (self->grid),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, caption,
                                    -1);
  }

  show_channel (self);
}

static void
fill_layer_names (CnvMapsView *self)
{
  const CnvModelSpec *spec;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->layer_names));

  self->updating = TRUE;
  gtk_string_list_splice (self->layer_names, 0, n, NULL);
  if (self->inspection != NULL)
    {
      spec = cnv_model_get_spec (self->inspection->snapshot->classifier->model);
      for (guint i = 0; i < spec->n_layers; i++)
        {
          g_autofree char *shape = NULL;
          g_autofree char *name = NULL;

          shape = cnv_format_shape (
            cnv_model_get_output_shape (self->inspection->snapshot->classifier->model,
                                        i));
          /* Translators: a layer in the list; "conv1 · Convolution ·
           * 8 × 28 × 28". */
          name = g_strdup_printf (_("%s · %s · %s"), spec->layers[i].id,
                                  cnv_layer_kind_get_title (spec->layers[i].kind),
                                  shape);
          gtk_string_list_append (self->layer_names, name);
        }
    }
  self->updating = FALSE;
}

void
cnv_maps_view_set_inspection (CnvMapsView   *self,
                              CnvInspection *inspection)
{
  guint layer;
  int channel;

  g_return_if_fail (CNV_IS_MAPS_VIEW (self));

  if (self->inspection == inspection)
    return;

  layer = gtk_drop_down_get_selected (self->layer_dropdown);
  channel = cnv_map_grid_get_selected (self->grid);

  g_clear_pointer (&self->inspection, cnv_inspection_unref);
  if (inspection != NULL)
    self->inspection = cnv_inspection_ref (inspection);

  fill_layer_names (self);
  cnv_pixel_view_set_image (self->input_view,
                            inspection != NULL ? inspection->image : NULL);
  if (inspection != NULL && inspection->image != NULL)
    {
      /* Translators: the input beside the maps, "28 × 28 pixels". */
      g_autofree char *size = g_strdup_printf (_("%d × %d pixels"),
                                               inspection->image->width,
                                               inspection->image->height);

      gtk_accessible_update_property (GTK_ACCESSIBLE (self->input_view),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, size,
                                      -1);
    }

  self->updating = TRUE;
  if (inspection != NULL)
    gtk_drop_down_set_selected (self->layer_dropdown,
                                layer < inspection->n_layers ? layer : 0);
  self->updating = FALSE;
  show_layer (self);
  if (channel >= 0 && channel < cnv_map_grid_get_n_tiles (self->grid))
    cnv_map_grid_set_selected (self->grid, channel);
}

guint
cnv_maps_view_get_layer (CnvMapsView *self)
{
  return gtk_drop_down_get_selected (self->layer_dropdown);
}

void
cnv_maps_view_set_layer (CnvMapsView *self,
                         guint        layer)
{
  g_return_if_fail (CNV_IS_MAPS_VIEW (self));

  if (self->inspection == NULL || layer >= self->inspection->n_layers)
    return;

  gtk_drop_down_set_selected (self->layer_dropdown, layer);
}

CnvMapScale
cnv_maps_view_get_scale (CnvMapsView *self)
{
  return gtk_toggle_button_get_active (self->per_channel_toggle)
         ? CNV_MAP_SCALE_PER_CHANNEL : CNV_MAP_SCALE_SHARED;
}

void
cnv_maps_view_set_scale (CnvMapsView *self,
                         CnvMapScale  scale)
{
  gtk_toggle_button_set_active (scale == CNV_MAP_SCALE_PER_CHANNEL
                                ? self->per_channel_toggle
                                : self->shared_toggle, TRUE);
}

static void
layer_selected_cb (CnvMapsView *self)
{
  if (!self->updating)
    show_layer (self);
}

static void
scale_toggled_cb (GtkToggleButton *button,
                  CnvMapsView     *self)
{
  /* Each of the pair says so when it becomes active. */
  if (gtk_toggle_button_get_active (button))
    show_layer (self);
}

static void
step_layer (CnvMapsView *self,
            int          delta)
{
  guint layer = gtk_drop_down_get_selected (self->layer_dropdown);

  if (self->inspection == NULL)
    return;
  if (delta < 0 && layer > 0)
    cnv_maps_view_set_layer (self, layer - 1);
  else if (delta > 0)
    cnv_maps_view_set_layer (self, layer + 1);
}

static void
previous_layer_action_cb (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  step_layer (CNV_MAPS_VIEW (widget), -1);
}

static void
next_layer_action_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  step_layer (CNV_MAPS_VIEW (widget), 1);
}

static void
save_clicked_cb (CnvMapsView *self)
{
  const CnvModelSpec *spec;
  g_autofree char *name = NULL;

  if (self->inspection == NULL)
    return;

  spec = cnv_model_get_spec (self->inspection->snapshot->classifier->model);
  name = g_strdup_printf ("%s-feature-maps.png",
                          spec->layers[cnv_maps_view_get_layer (self)].id);
  cnv_export_save_png (self->content, _("Save Feature Maps"), name);
}

static void
cnv_maps_view_dispose (GObject *object)
{
  CnvMapsView *self = CNV_MAPS_VIEW (object);

  g_clear_pointer (&self->inspection, cnv_inspection_unref);

  G_OBJECT_CLASS (cnv_maps_view_parent_class)->dispose (object);
}

static void
cnv_maps_view_class_init (CnvMapsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_maps_view_dispose;

  g_type_ensure (CNV_TYPE_MAP_GRID);
  g_type_ensure (CNV_TYPE_PIXEL_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-maps-view.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvMapsView, name)
  BIND (content);
  BIND (layer_dropdown);
  BIND (layer_names);
  BIND (shared_toggle);
  BIND (per_channel_toggle);
  BIND (layer_caption);
  BIND (grid);
  BIND (channel_view);
  BIND (channel_title);
  BIND (input_view);
  BIND (stats_label);
  BIND (legend);
  BIND (legend_low);
  BIND (legend_high);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, layer_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, scale_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);

  gtk_widget_class_install_action (widget_class, "maps.previous-layer", NULL,
                                   previous_layer_action_cb);
  gtk_widget_class_install_action (widget_class, "maps.next-layer", NULL,
                                   next_layer_action_cb);

}

static void
cnv_maps_view_init (CnvMapsView *self)
{
  GtkEventController *shortcuts;
  guint8 ramp[64 * 6 * 3];

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Page Up and Page Down step through the layers from anywhere in the
   * view, before the scrolled window would take them for scrolling. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (
    GTK_SHORTCUT_CONTROLLER (shortcuts),
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Page_Up, 0),
                      gtk_named_action_new ("maps.previous-layer")));
  gtk_shortcut_controller_add_shortcut (
    GTK_SHORTCUT_CONTROLLER (shortcuts),
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Page_Down, 0),
                      gtk_named_action_new ("maps.next-layer")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  g_signal_connect_swapped (self->grid, "notify::selected",
                            G_CALLBACK (show_channel), self);

  /* 64 × 6: the legend's 128 × 12 pixels, two per value */
  for (int y = 0; y < 6; y++)
    for (int i = 0; i < 64; i++)
      cnv_viridis (i / 63.0, ramp + 3 * (y * 64 + i));
  cnv_pixel_view_set_rgb (self->legend, 64, 6, ramp);
}

CnvMapGrid *
cnv_maps_view_get_grid (CnvMapsView *self)
{
  return self->grid;
}

CnvPixelView *
cnv_maps_view_get_channel_view (CnvMapsView *self)
{
  return self->channel_view;
}

const char *
cnv_maps_view_get_stats_text (CnvMapsView *self)
{
  return gtk_label_get_label (self->stats_label);
}

GtkWidget *
cnv_maps_view_get_content (CnvMapsView *self)
{
  return self->content;
}
