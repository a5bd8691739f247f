/* cnv-filters-view.c — what the model learned, independent of the image
 *
 * The first convolution's filters as tiles (grey, or colour when it reads
 * RGB), all on one scale centred on zero so that mid grey is a zero
 * weight; then each layer's weight distribution as a histogram with its
 * count, mean and standard deviation.  They come with the image's
 * CnvInspection because they belong to the same snapshot of the weights.
 */
#define G_LOG_DOMAIN "cnv-filters-view"

#include <glib/gi18n.h>

#include "cnv-export.h"
#include "cnv-filters-view.h"
#include "cnv-format.h"
#include "cnv-histogram-chart.h"

/* Filter tiles are drawn at least this large. */
#define MIN_FILTER_SIZE 56

struct _CnvFiltersView
{
  AdwBin parent_instance;

  /* template children */
  GtkWidget     *content;
  GtkLabel      *filters_title;
  GtkLabel      *filters_note;
  CnvMapGrid    *grid;
  GtkBox        *histograms_box;

  /* owned */
  CnvInspection *inspection;

  /* state */
  guint          n_histograms;
};

G_DEFINE_FINAL_TYPE (CnvFiltersView, cnv_filters_view, ADW_TYPE_BIN)

static void
show_filters (CnvFiltersView *self)
{
  const CnvInspection *inspection = self->inspection;
  const CnvModelSpec *spec;
  g_autofree guint8 *rgb = NULL;
  g_autofree char *title = NULL;
  g_auto(GStrv) tooltips = NULL;
  const CnvImage *first;
  gsize tile;
  int side;

  if (inspection == NULL || inspection->filters == NULL)
    {
      cnv_map_grid_set_tiles (self->grid, 0, 0, 0, NULL, NULL, 1);
      gtk_label_set_label (self->filters_title, _("Filters"));
      gtk_label_set_label (self->filters_note,
                           inspection != NULL ? inspection->filters_note : "");
      return;
    }

  spec = cnv_model_get_spec (inspection->snapshot->classifier->model);
  first = g_ptr_array_index (inspection->filters, 0);
  tile = (gsize) first->width * first->height;
  rgb = g_malloc (tile * 3 * inspection->filters->len);
  tooltips = g_new0 (char *, inspection->filters->len + 1);
  for (guint f = 0; f < inspection->filters->len; f++)
    {
      const CnvImage *image = g_ptr_array_index (inspection->filters, f);

      for (gsize i = 0; i < tile; i++)
        for (int c = 0; c < 3; c++)
          rgb[(f * tile + i) * 3 + c] =
            image->pixels[i * image->channels + (image->channels == 3 ? c : 0)];
      /* Translators: a filter tile's tooltip. */
      tooltips[f] = g_strdup_printf (_("Filter %u"), f + 1);
    }

  side = MAX (first->width, first->height);
  cnv_map_grid_set_tiles (self->grid, (int) inspection->filters->len,
                          first->width, first->height, rgb,
                          (const char * const *) tooltips,
                          side * ((MIN_FILTER_SIZE + side - 1) / side));

  /* Translators: "Filters of conv1: 8 of 5 × 5". */
  title = g_strdup_printf (_("Filters of %s: %u of %d × %d"),
                           spec->layers[inspection->filter_layer].id,
                           inspection->filters->len, first->width,
                           first->height);
  gtk_label_set_label (self->filters_title, title);
  gtk_label_set_label (self->filters_note,
                       first->channels == 3
                       ? _("Each tile is one filter over red, green and blue; "
                           "mid grey is a zero weight, brighter is positive, "
                           "darker negative, on one scale for all filters.")
                       : _("Each tile is one filter; mid grey is a zero "
                           "weight, brighter is positive, darker negative, "
                           "on one scale for all filters."));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->grid),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  gtk_label_get_label (self->filters_note), -1);
}

static void
show_histograms (CnvFiltersView *self)
{
  GtkWidget *child;
  const CnvModelSpec *spec;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->histograms_box))))
    gtk_box_remove (self->histograms_box, child);
  self->n_histograms = 0;

  if (self->inspection == NULL)
    return;

  spec = cnv_model_get_spec (self->inspection->snapshot->classifier->model);
  for (guint i = 0; i < self->inspection->n_layers; i++)
    {
      const CnvHistogram *histogram = self->inspection->histograms[i];
      g_autofree char *count = NULL;
      g_autofree char *text = NULL;
      GtkWidget *label, *chart;

      if (histogram == NULL)
        continue;

      count = cnv_format_count (histogram->n_values);
      /* Translators: above a histogram; "conv1 (Convolution): 200
       * weights, mean 0.012, standard deviation 0.19". */
      text = g_strdup_printf (_("%s (%s): %s weights, mean %.3g, standard "
                                "deviation %.3g"), spec->layers[i].id,
                              cnv_layer_kind_get_title (spec->layers[i].kind),
                              count, histogram->mean, histogram->std);
      label = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_margin_top (label, self->n_histograms > 0 ? 12 : 0);
      gtk_box_append (self->histograms_box, label);

      chart = cnv_histogram_chart_new (histogram);
      gtk_accessible_update_property (GTK_ACCESSIBLE (chart),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
      gtk_box_append (self->histograms_box, chart);
      self->n_histograms++;
    }
}

void
cnv_filters_view_set_inspection (CnvFiltersView *self,
                                 CnvInspection  *inspection)
{
  g_return_if_fail (CNV_IS_FILTERS_VIEW (self));

  if (self->inspection == inspection)
    return;

  /* The weights are the snapshot's: the same for every image of it. */
  if (self->inspection != NULL && inspection != NULL
      && self->inspection->snapshot == inspection->snapshot)
    {
      cnv_inspection_unref (self->inspection);
      self->inspection = cnv_inspection_ref (inspection);
      return;
    }

  g_clear_pointer (&self->inspection, cnv_inspection_unref);
  if (inspection != NULL)
    self->inspection = cnv_inspection_ref (inspection);

  show_filters (self);
  show_histograms (self);
}

static void
save_clicked_cb (CnvFiltersView *self)
{
  if (self->inspection != NULL)
    cnv_export_save_png (self->content, _("Save Filters and Weights"),
                         "filters-and-weights.png");
}

static void
cnv_filters_view_dispose (GObject *object)
{
  CnvFiltersView *self = CNV_FILTERS_VIEW (object);

  g_clear_pointer (&self->inspection, cnv_inspection_unref);

  G_OBJECT_CLASS (cnv_filters_view_parent_class)->dispose (object);
}

static void
cnv_filters_view_class_init (CnvFiltersViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_filters_view_dispose;

  g_type_ensure (CNV_TYPE_MAP_GRID);
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-filters-view.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvFiltersView, name)
  BIND (content);
  BIND (filters_title);
  BIND (filters_note);
  BIND (grid);
  BIND (histograms_box);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
}

static void
cnv_filters_view_init (CnvFiltersView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CnvMapGrid *
cnv_filters_view_get_grid (CnvFiltersView *self)
{
  return self->grid;
}

guint
cnv_filters_view_get_n_histograms (CnvFiltersView *self)
{
  return self->n_histograms;
}

GtkWidget *
cnv_filters_view_get_content (CnvFiltersView *self)
{
  return self->content;
}
