/* cnv-classify-page.c — the Classify page
 *
 * A list of images with their predictions, and for the selected one what
 * the network saw (the file and the preprocessed input side by side, with
 * notes on every conversion), its feature maps, the learned filters and
 * weight histograms, and Grad-CAM.  Images come from drops (files and
 * folders), the file chooser and the clipboard.
 *
 * The one idea: the page works on a snapshot of the weights and never on
 * the window's model.  Each batch of images is predicted by one GTask
 * with its own copy of the snapshot's model and hands its answers to the
 * main loop as they come (a short locked queue drained by an idle), so a
 * large folder fills the list progressively.  An inspection (everything
 * the views inside the network draw) is one more GTask per selected
 * image, cached for the last few images, so coming back to one, or
 * switching layers, scales or classes, is instant.
 */
#define G_LOG_DOMAIN "cnv-classify-page"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cnv-application.h"
#include "cnv-classify-page.h"
#include "cnv-export.h"
#include "cnv-format.h"
#include "cnv-prediction-row.h"
#include "cnv-texture.h"

/* Both pictures are drawn at least this many pixels wide. */
#define PREVIEW_SIZE 192
/* Inspections kept for images that are not on screen. */
#define MAX_CACHED_INSPECTIONS 8
/* Answers a worker has found are handed over at least this often. */
#define DELIVERY_INTERVAL_US (G_USEC_PER_SEC / 10)

#define INSPECTION_KEY "cnv-inspection"

/* One image to predict: a file, a folder to walk, a pasted image, or a
 * row to predict again. */
typedef struct
{
  char          *path;
  GBytes        *bytes;
  char          *name;
  CnvPrediction *row;
} Source;

static void
source_free (gpointer data)
{
  Source *source = data;

  g_free (source->path);
  g_clear_pointer (&source->bytes, g_bytes_unref);
  g_free (source->name);
  g_clear_object (&source->row);
  g_free (source);
}

/* A finished image, from the worker to the main loop. */
typedef struct
{
  Source              *source;   /* the file found, or the row */
  int                  truth;
  CnvPredictionOutcome outcome;
} Answer;

static void
answer_free (gpointer data)
{
  Answer *answer = data;

  source_free (answer->source);
  cnv_prediction_outcome_clear (&answer->outcome);
  g_free (answer);
}

/* One batch of images for one worker; shared by the worker, the idle
 * that delivers and the page. */
typedef struct
{
  GWeakRef      page;
  guint         batch;
  CnvSnapshot  *snapshot;
  GPtrArray    *sources;        /* Source; the worker's alone */
  GCancellable *cancellable;
  GMutex        lock;
  GPtrArray    *answers;        /* Answer, guarded by lock */
  guint         n_failed;       /* folders that could not be read */
  GPtrArray    *folder_errors;  /* char *, guarded by lock */
  gboolean      delivery_queued;
  gboolean      finished;
} PredictJob;

static void
predict_job_clear (gpointer data)
{
  PredictJob *job = data;

  g_weak_ref_clear (&job->page);
  g_clear_pointer (&job->snapshot, cnv_snapshot_unref);
  g_clear_pointer (&job->sources, g_ptr_array_unref);
  g_clear_object (&job->cancellable);
  g_mutex_clear (&job->lock);
  g_clear_pointer (&job->answers, g_ptr_array_unref);
  g_clear_pointer (&job->folder_errors, g_ptr_array_unref);
}

static void
predict_job_unref (gpointer job)
{
  g_atomic_rc_box_release_full (job, predict_job_clear);
}

/* Sources waiting for a snapshot. */
typedef struct
{
  guint      batch;
  GPtrArray *sources;
} Pending;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_ptr_array_unref (pending->sources);
  g_free (pending);
}

struct _CnvClassifyPage
{
  AdwBin parent_instance;

  /* template children */
  AdwToastOverlay    *toast_overlay;
  GtkStack           *stack;
  AdwStatusPage      *status;
  AdwLeaflet         *leaflet;
  GtkWidget          *list_pane;
  GtkWidget          *detail_pane;
  GtkDropDown        *filter_dropdown;
  GtkStringList      *filter_names;
  GtkDropDown        *sort_dropdown;
  GtkStringList      *sort_names;
  GtkListView        *list_view;
  GtkSpinner         *spinner;
  GtkLabel           *summary_label;
  GtkWidget          *repredict_button;
  GtkStack           *detail_stack;
  GtkPicture         *original_picture;
  GtkPicture         *input_picture;
  GtkLabel           *input_caption;
  GtkLabel           *class_label;
  GtkLabel           *probability_label;
  GtkWidget          *verdict_box;
  GtkImage           *verdict_icon;
  GtkLabel           *verdict_label;
  GtkLevelBar        *probability_bar;
  GtkLabel           *detail_label;
  GtkListBox         *notes_list;
  CnvMapsView        *maps_view;
  CnvFiltersView     *filters_view;
  CnvGradcamView     *gradcam_view;

  /* owned */
  GListStore         *store;          /* CnvPrediction, in added order */
  GHashTable         *rows_by_path;   /* path → row of store, borrowed */
  GtkCustomFilter    *filter;
  GtkCustomSorter    *sorter;
  GtkSingleSelection *selection;
  GtkDropTarget      *drop_target;
  CnvSnapshot        *snapshot;       /* NULL until the window gave one */
  GPtrArray          *pending;        /* Pending */
  GCancellable       *cancellable;    /* every job; replaced on Clear */
  GQueue             *cached;         /* CnvPrediction with an inspection */
  CnvInspection      *inspection;     /* on screen */

  /* state */
  guint               next_order;
  guint               batch_counter;
  guint               select_batch;   /* its first answer gets selected */
  gboolean            select_done;
  gboolean            select_opens;   /* and opened: one image was added */
  guint               snapshot_counter;
  guint               inspect_counter;
  guint               paste_counter;
  guint               n_jobs;
  guint               n_inspecting;
  guint               n_pasting;
  gboolean            waiting;        /* for a snapshot */
  gboolean            stale;          /* the snapshot is not the model */
  gboolean            disposed;
};

G_DEFINE_FINAL_TYPE (CnvClassifyPage, cnv_classify_page, ADW_TYPE_BIN)

enum {
  SNAPSHOT_WANTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_status (CnvClassifyPage *self);
static void start_inspection (CnvClassifyPage *self,
                              CnvPrediction   *row);

static void
toast (CnvClassifyPage *self,
       const char      *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

GdkTexture *
cnv_classify_page_load_thumbnail (const char *path)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) rotated = NULL;
  g_autoptr(GdkPixbuf) scaled = NULL;
  GdkPixbuf *shown;
  int width, height;
  int factor;

  /* Large files are decoded straight to twice the preview's size; small
   * ones at their own size (at_scale would stretch them smoothly). */
  if (gdk_pixbuf_get_file_info (path, &width, &height) == NULL)
    return NULL;
  /* gdk-pixbuf decodes the whole image before it scales it: no thumbnail
   * for an image the engine would refuse to decode. */
  if (width > CNV_IMAGE_MAX_SIDE || height > CNV_IMAGE_MAX_SIDE
      || (gint64) width * height > CNV_IMAGE_MAX_PIXELS)
    return NULL;
  if (width > 2 * PREVIEW_SIZE || height > 2 * PREVIEW_SIZE)
    pixbuf = gdk_pixbuf_new_from_file_at_scale (path, 2 * PREVIEW_SIZE,
                                                2 * PREVIEW_SIZE, TRUE, NULL);
  else
    pixbuf = gdk_pixbuf_new_from_file (path, NULL);
  if (pixbuf == NULL)
    return NULL;

  rotated = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  shown = rotated != NULL ? rotated : pixbuf;

  /* Drawn more than twice its size, linear filtering would blur it. */
  factor = cnv_texture_upscale_factor (gdk_pixbuf_get_width (shown),
                                       gdk_pixbuf_get_height (shown),
                                       PREVIEW_SIZE);
  if (factor > 2)
    {
      scaled = gdk_pixbuf_scale_simple (shown,
                                        gdk_pixbuf_get_width (shown) * factor,
                                        gdk_pixbuf_get_height (shown) * factor,
                                        GDK_INTERP_NEAREST);
      if (scaled != NULL)
        shown = scaled;
    }

  return gdk_texture_new_for_pixbuf (shown);
}

static void
add_note (CnvClassifyPage *self,
          const char      *icon_name,
          const char      *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), icon_name);
  gtk_list_box_append (self->notes_list, row);
}

static void
show_notes (CnvClassifyPage        *self,
            const CnvImage         *image,
            const CnvPreprocessing *pp)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->notes_list))))
    gtk_list_box_remove (self->notes_list, child);

  if (image->was_rotated)
    add_note (self, "object-rotate-right-symbolic",
              _("Rotated upright as its EXIF orientation says"));
  if (image->was_color)
    add_note (self, "applications-graphics-symbolic",
              _("Converted from colour to greyscale"));
  if (image->was_grey)
    add_note (self, "applications-graphics-symbolic",
              _("A greyscale image: its grey value fills the red, green and "
                "blue channels"));
  if (image->had_alpha)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("Transparency flattened on #%02x%02x%02x"),
                              pp->background[0], pp->background[1],
                              pp->background[2]);
      add_note (self, "edit-select-all-symbolic", text);
    }
  if (image->original_width != image->width
      || image->original_height != image->height)
    {
      g_autofree char *text = NULL;

      double before = (double) image->original_width
                      / image->original_height;
      double after = (double) image->width / image->height;

      if (pp->resize_mode == CNV_RESIZE_STRETCH
          && fabs (before - after) > 0.01 * after)
        text = g_strdup_printf (_("Stretched from %d × %d to %d × %d: the "
                                  "aspect ratio changed"),
                                image->original_width, image->original_height,
                                image->width, image->height);
      else
        text = g_strdup_printf (_("Resized from %d × %d to %d × %d"),
                                image->original_width, image->original_height,
                                image->width, image->height);
      add_note (self, "view-fullscreen-symbolic", text);
    }

  if (gtk_widget_get_first_child (GTK_WIDGET (self->notes_list)) == NULL)
    add_note (self, "emblem-ok-symbolic",
              _("Used as it is: already the network's size and colour mode"));
}


/* The prediction of the selected image */

static void
show_verdict (CnvClassifyPage *self,
              CnvPrediction   *row)
{
  const CnvClassifier *c = cnv_prediction_get_snapshot (row)->classifier;
  g_autofree char *text = NULL;
  int truth = cnv_prediction_get_truth (row);
  gboolean correct;

  gtk_widget_set_visible (self->verdict_box, truth >= 0);
  if (truth < 0)
    return;

  correct = !cnv_prediction_is_wrong (row);
  /* Translators: the class named by the image's folder, then whether the
   * prediction matches it; "Folder says: ankle-boot — correct". */
  text = g_strdup_printf (correct ? _("Folder says: %s — correct")
                                  : _("Folder says: %s — wrong"),
                          c->class_names[truth]);
  gtk_label_set_label (self->verdict_label, text);
  gtk_image_set_from_icon_name (self->verdict_icon,
                                correct ? "emblem-ok-symbolic"
                                        : "dialog-warning-symbolic");
  gtk_widget_remove_css_class (self->verdict_box, correct ? "error"
                                                          : "success");
  gtk_widget_add_css_class (self->verdict_box, correct ? "success" : "error");
}

static void
clear_notes (CnvClassifyPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->notes_list))))
    gtk_list_box_remove (self->notes_list, child);
}

static void
set_views_inspection (CnvClassifyPage *self,
                      CnvInspection   *inspection)
{
  if (inspection != NULL)
    cnv_inspection_ref (inspection);
  g_clear_pointer (&self->inspection, cnv_inspection_unref);
  self->inspection = inspection;

  cnv_maps_view_set_inspection (self->maps_view, inspection);
  cnv_filters_view_set_inspection (self->filters_view, inspection);
  cnv_gradcam_view_set_inspection (self->gradcam_view, inspection);
  if (inspection != NULL && inspection->original != NULL)
    gtk_picture_set_paintable (self->original_picture,
                               GDK_PAINTABLE (inspection->original));
}

/* The views inside the network need an image the network saw: for a
 * file that could not be read, only the Prediction tab, with the
 * reason, is offered. */
static void
show_inside_views (CnvClassifyPage *self,
                   gboolean         visible)
{
  static const char *const names[] = { "maps", "filters", "gradcam" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GtkWidget *child = gtk_stack_get_child_by_name (self->detail_stack,
                                                      names[i]);

      gtk_stack_page_set_visible (gtk_stack_get_page (self->detail_stack,
                                                      child), visible);
    }
  if (!visible)
    gtk_stack_set_visible_child_name (self->detail_stack, "prediction");
}

static void
show_selected (CnvClassifyPage *self)
{
  CnvPrediction *row = cnv_classify_page_get_selected (self);
  const CnvClassifier *c;
  const CnvImage *image;
  g_autoptr(GdkTexture) input = NULL;
  g_autofree char *percent = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *caption = NULL;
  double probability;
  int predicted;

  set_views_inspection (self, NULL);
  gtk_picture_set_paintable (self->original_picture, NULL);

  if (row == NULL || cnv_prediction_get_snapshot (row) == NULL)
    {
      gtk_label_set_label (self->class_label, "");
      gtk_label_set_label (self->probability_label, "");
      gtk_label_set_label (self->detail_label,
                           _("Select an image in the list."));
      gtk_level_bar_set_value (self->probability_bar, 0.0);
      gtk_picture_set_paintable (self->input_picture, NULL);
      gtk_widget_set_visible (self->verdict_box, FALSE);
      clear_notes (self);
      return;
    }

  show_inside_views (self, cnv_prediction_get_error (row) == NULL);
  if (cnv_prediction_get_error (row) != NULL)
    {
      gtk_label_set_label (self->class_label, _("Not Classified"));
      gtk_label_set_label (self->probability_label, "");
      gtk_label_set_label (self->detail_label, cnv_prediction_get_error (row));
      gtk_level_bar_set_value (self->probability_bar, 0.0);
      gtk_picture_set_paintable (self->input_picture, NULL);
      gtk_widget_set_visible (self->verdict_box, FALSE);
      clear_notes (self);
      return;
    }

  c = cnv_prediction_get_snapshot (row)->classifier;
  image = cnv_prediction_get_image (row);
  probability = cnv_prediction_get_probability (row);
  predicted = cnv_prediction_get_class (row);

  percent = cnv_format_percent (cnv_prediction_get_confidence (row), 1);
  /* Translators: file name, positive class, its probability, threshold. */
  detail = g_strdup_printf (_("%s — probability of “%s”: %.4f (threshold "
                              "%.3f)"), cnv_prediction_get_name (row),
                            c->class_names[1], probability, c->threshold);
  gtk_label_set_label (self->class_label, c->class_names[predicted]);
  gtk_label_set_label (self->probability_label, percent);
  gtk_level_bar_set_value (self->probability_bar,
                           cnv_prediction_get_confidence (row));
  gtk_label_set_label (self->detail_label, detail);

  input = cnv_texture_new_for_image (image, PREVIEW_SIZE);
  gtk_picture_set_paintable (self->original_picture,
                             GDK_PAINTABLE (cnv_prediction_get_thumbnail (row)));
  gtk_picture_set_paintable (self->input_picture, GDK_PAINTABLE (input));
  caption = g_strdup_printf (_("What the network saw, %d × %d"),
                             image->width, image->height);
  gtk_label_set_label (self->input_caption, caption);

  show_verdict (self, row);
  show_notes (self, image, &c->preprocessing);

  start_inspection (self, row);
}


/* Filtering and sorting */

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  CnvClassifyPage *self = user_data;
  CnvPrediction *row = item;
  guint filter = gtk_drop_down_get_selected (self->filter_dropdown);

  switch (filter)
    {
    case CNV_CLASSIFY_FILTER_CLASS_0:
      return cnv_prediction_get_class (row) == 0;
    case CNV_CLASSIFY_FILTER_CLASS_1:
      return cnv_prediction_get_class (row) == 1;
    case CNV_CLASSIFY_FILTER_UNSURE:
      return cnv_prediction_is_near_threshold (row);
    case CNV_CLASSIFY_FILTER_WRONG:
      return cnv_prediction_is_wrong (row);
    case CNV_CLASSIFY_FILTER_UNREADABLE:
      return cnv_prediction_get_error (row) != NULL;
    default:
      return TRUE;
    }
}

static int
compare_doubles (double a,
                 double b)
{
  return (a > b) - (a < b);
}

static int
sort_func (gconstpointer a,
           gconstpointer b,
           gpointer      user_data)
{
  CnvClassifyPage *self = user_data;
  CnvPrediction *x = CNV_PREDICTION ((gpointer) a);
  CnvPrediction *y = CNV_PREDICTION ((gpointer) b);
  guint sort = gtk_drop_down_get_selected (self->sort_dropdown);
  gboolean x_failed = cnv_prediction_get_class (x) < 0;
  gboolean y_failed = cnv_prediction_get_class (y) < 0;
  int order = 0;

  /* Images without an answer go last in every order but the added one. */
  if (sort != CNV_CLASSIFY_SORT_ADDED && x_failed != y_failed)
    return x_failed ? 1 : -1;

  switch (sort)
    {
    case CNV_CLASSIFY_SORT_NAME:
      order = g_utf8_collate (cnv_prediction_get_name (x),
                              cnv_prediction_get_name (y));
      break;
    case CNV_CLASSIFY_SORT_PROBABILITY_DOWN:
      if (!x_failed)
        order = compare_doubles (cnv_prediction_get_probability (y),
                                 cnv_prediction_get_probability (x));
      break;
    case CNV_CLASSIFY_SORT_PROBABILITY_UP:
      if (!x_failed)
        order = compare_doubles (cnv_prediction_get_probability (x),
                                 cnv_prediction_get_probability (y));
      break;
    case CNV_CLASSIFY_SORT_CONFIDENCE_UP:
      if (!x_failed)
        order = compare_doubles (cnv_prediction_get_confidence (x),
                                 cnv_prediction_get_confidence (y));
      break;
    default:
      break;
    }

  if (order != 0)
    return order;

  return compare_doubles (cnv_prediction_get_order (x),
                          cnv_prediction_get_order (y));
}

static void
resort (CnvClassifyPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

/* The filter's entries name the snapshot's classes. */
static void
fill_filter_names (CnvClassifyPage *self)
{
  const CnvClassifier *c = self->snapshot != NULL ? self->snapshot->classifier
                                                  : NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  guint selected = gtk_drop_down_get_selected (self->filter_dropdown);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filter_names));
  const char *names[7] = { NULL };

  /* Translators: filter entries; "Predicted “sneaker”". */
  first = g_strdup_printf (_("Predicted “%s”"),
                           c != NULL ? c->class_names[0] : _("first class"));
  second = g_strdup_printf (_("Predicted “%s”"),
                            c != NULL ? c->class_names[1] : _("second class"));
  names[CNV_CLASSIFY_FILTER_ALL] = _("All Images");
  names[CNV_CLASSIFY_FILTER_CLASS_0] = first;
  names[CNV_CLASSIFY_FILTER_CLASS_1] = second;
  names[CNV_CLASSIFY_FILTER_UNSURE] = _("Near the Threshold");
  names[CNV_CLASSIFY_FILTER_WRONG] = _("Wrong for Their Folder");
  names[CNV_CLASSIFY_FILTER_UNREADABLE] = _("Not Classified");

  gtk_string_list_splice (self->filter_names, 0, n, names);
  gtk_drop_down_set_selected (self->filter_dropdown,
                              selected < 6 ? selected : 0);
}

static void
filter_selected_cb (CnvClassifyPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_status (self);
}

static void
sort_selected_cb (CnvClassifyPage *self)
{
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

static void
update_status (CnvClassifyPage *self)
{
  GListModel *all = G_LIST_MODEL (self->store);
  GListModel *shown = cnv_classify_page_get_rows (self);
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (all);
  guint n_shown = g_list_model_get_n_items (shown);
  guint n_labelled = 0, n_wrong = 0, n_failed = 0;
  gboolean busy = cnv_classify_page_is_busy (self);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CnvPrediction) row = g_list_model_get_item (all, i);

      n_labelled += cnv_prediction_get_truth (row) >= 0
                    && cnv_prediction_get_class (row) >= 0;
      n_wrong += cnv_prediction_is_wrong (row);
      n_failed += cnv_prediction_get_error (row) != NULL;
    }

  if (n_shown != n)
    /* Translators: "12 of 400 images shown". */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                               "%u of %u image shown",
                                               "%u of %u images shown", n),
                            n_shown, n);
  else
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u image",
                                               "%u images", n), n);
  if (n_labelled > 0)
    /* Translators: after the count; "3 wrong of 40 in class folders". */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, " · %u wrong "
                                               "of %u in class folders",
                                               " · %u wrong of %u in class "
                                               "folders", n_labelled),
                            n_wrong, n_labelled);
  if (n_failed > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                               " · %u not classified",
                                               " · %u not classified",
                                               n_failed), n_failed);
  if (self->waiting)
    /* Translators: while a run trains, a copy of its weights is taken
     * between two batches (a paused run takes none until it goes on). */
    g_string_append (text, _(" · waiting for the weights of the run’s next "
                             "batch"));
  else if (self->snapshot != NULL && self->snapshot->training)
    /* Translators: when the weights came from a run in progress. */
    g_string_append_printf (text, _(" · weights of step %" PRId64 " of the "
                                    "run in progress"),
                            (int64_t) self->snapshot->step);

  gtk_label_set_label (self->summary_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (self->repredict_button,
                          self->snapshot != NULL && self->snapshot->training
                          && n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "classify.export", n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "classify.clear", n > 0);
}

static void
selection_changed_cb (CnvClassifyPage *self)
{
  show_selected (self);
}

/* Narrow, the list and the detail fold into one: a click on a row goes
 * to its detail, the back button returns. */
static void
row_activated_cb (CnvClassifyPage *self,
                  guint            position)
{
  adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

/* Narrow, one click on a row is enough to see it, as a pointer user
 * expects; the arrow keys still move along the list, and Return opens
 * the row under them (row_activated_cb). */
static void
list_clicked_cb (CnvClassifyPage *self,
                 int              n_press,
                 double           x,
                 double           y)
{
  if (adw_leaflet_get_folded (self->leaflet)
      && gtk_single_selection_get_selected_item (self->selection) != NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

static void
back_clicked_cb (CnvClassifyPage *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
}

/* The list's rows */

static void
factory_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  gtk_list_item_set_child (item, cnv_prediction_row_new ());
}

static void
factory_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  cnv_prediction_row_set_prediction (
    CNV_PREDICTION_ROW (gtk_list_item_get_child (item)),
    gtk_list_item_get_item (item));
}

static void
factory_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   gpointer                  user_data)
{
  cnv_prediction_row_set_prediction (
    CNV_PREDICTION_ROW (gtk_list_item_get_child (item)), NULL);
}


/* Predicting, in a worker */

/* The class an image's place says it is: under ROOT/CLASS/ when the
 * dropped folder ROOT holds a folder for each class, or in a folder named
 * after a class; -1 otherwise. */
static int
truth_for_file (const char          *root,
                gboolean             root_has_classes,
                const char          *path,
                const CnvClassifier *c)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *folder_name = g_path_get_basename (folder);

  if (root_has_classes)
    for (int i = 0; i < 2; i++)
      {
        g_autofree char *prefix = g_build_filename (root, c->class_names[i],
                                                    "", NULL);

        if (g_str_has_prefix (path, prefix))
          return i;
      }

  for (int i = 0; i < 2; i++)
    if (g_strcmp0 (folder_name, c->class_names[i]) == 0)
      return i;

  return -1;
}

static gboolean deliver_cb (gpointer data);

/* Hands answer to the main loop, at most every DELIVERY_INTERVAL_US. */
static void
post_answer (PredictJob *job,
             Answer     *answer,
             gint64     *last_delivery)
{
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&job->lock);
  if (answer != NULL)
    g_ptr_array_add (job->answers, answer);
  else
    job->finished = TRUE;
  if (!job->delivery_queued
      && (answer == NULL || now - *last_delivery >= DELIVERY_INTERVAL_US
          || job->answers->len == 1))
    {
      job->delivery_queued = TRUE;
      *last_delivery = now;
      g_idle_add_full (G_PRIORITY_DEFAULT, deliver_cb,
                       g_atomic_rc_box_acquire (job), predict_job_unref);
    }
  g_mutex_unlock (&job->lock);
}

static void
predict_one (PredictJob *job,
             CnvModel   *model,
             Source     *source,
             int         truth,
             gint64     *last_delivery)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->source = source;
  answer->truth = truth;
  cnv_prediction_outcome_compute (&answer->outcome, job->snapshot, model,
                                  source->path, source->bytes, source->name);
  post_answer (job, answer, last_delivery);
}

static Source *
source_for_file (const char *path)
{
  Source *source = g_new0 (Source, 1);

  source->path = g_strdup (path);
  source->name = g_filename_display_basename (path);

  return source;
}

static void
predict_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PredictJob *job = task_data;
  const CnvClassifier *c = job->snapshot->classifier;
  g_autoptr(CnvModel) model = cnv_model_copy (c->model);
  gint64 last_delivery = 0;

  for (guint i = 0; i < job->sources->len; i++)
    {
      Source *source = g_ptr_array_index (job->sources, i);
      g_autoptr(GPtrArray) files = NULL;
      g_autoptr(GError) error = NULL;
      gboolean has_classes;

      if (g_cancellable_is_cancelled (cancellable))
        break;

      /* A pasted image, a row to predict again, or a plain file. */
      if (source->bytes != NULL || source->row != NULL
          || !g_file_test (source->path, G_FILE_TEST_IS_DIR))
        {
          Source *copy = g_new0 (Source, 1);
          int truth = source->row != NULL
                      ? cnv_prediction_get_truth (source->row)
                      : source->bytes != NULL
                      ? -1 : truth_for_file (NULL, FALSE, source->path, c);

          copy->path = g_strdup (source->path);
          copy->bytes = source->bytes != NULL ? g_bytes_ref (source->bytes)
                                              : NULL;
          copy->name = g_strdup (source->name);
          copy->row = source->row != NULL ? g_object_ref (source->row) : NULL;
          predict_one (job, model, copy, truth, &last_delivery);
          continue;
        }

      /* A folder: every image below it, in the engine's order. */
      files = cnv_list_image_files (source->path, &error);
      if (files == NULL || files->len == 0)
        {
          g_autofree char *name = g_filename_display_name (source->path);

          g_mutex_lock (&job->lock);
          g_ptr_array_add (job->folder_errors,
                           error != NULL
                           ? g_strdup (error->message)
                           : g_strdup_printf (_("The folder “%s” holds no "
                                                "image files."), name));
          g_mutex_unlock (&job->lock);
          continue;
        }

      has_classes = TRUE;
      for (int k = 0; k < 2; k++)
        {
          g_autofree char *sub = g_build_filename (source->path,
                                                   c->class_names[k], NULL);

          has_classes = has_classes && g_file_test (sub, G_FILE_TEST_IS_DIR);
        }

      for (guint k = 0; k < files->len; k++)
        {
          const char *path = g_ptr_array_index (files, k);

          if (g_cancellable_is_cancelled (cancellable))
            break;
          predict_one (job, model, source_for_file (path),
                       truth_for_file (source->path, has_classes, path, c),
                       &last_delivery);
        }
    }

  post_answer (job, NULL, &last_delivery);
  g_task_return_boolean (task, TRUE);
}

/* Selects row once it is in the list as shown, showing every image when
 * the filter hides it. */
static void
select_row (CnvClassifyPage *self,
            CnvPrediction   *row)
{
  GListModel *shown = cnv_classify_page_get_rows (self);
  guint n = g_list_model_get_n_items (shown);

  for (int attempt = 0; attempt < 2; attempt++)
    {
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(CnvPrediction) item = g_list_model_get_item (shown, i);

          if (item == row)
            {
              gtk_single_selection_set_selected (self->selection, i);
              gtk_widget_activate_action (GTK_WIDGET (self->list_view),
                                          "list.scroll-to-item", "u", i);
              return;
            }
        }
      gtk_drop_down_set_selected (self->filter_dropdown,
                                  CNV_CLASSIFY_FILTER_ALL);
      n = g_list_model_get_n_items (shown);
    }
}

static void
apply_answers (CnvClassifyPage *self,
               PredictJob      *job,
               GPtrArray       *answers)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  CnvPrediction *first = NULL;
  CnvPrediction *selected = cnv_classify_page_get_selected (self);
  gboolean selected_changed = FALSE;

  for (guint i = 0; i < answers->len; i++)
    {
      Answer *answer = g_ptr_array_index (answers, i);
      const char *path = answer->source->path;
      CnvPrediction *row = answer->source->row;

      /* A file added again, alone or in a folder, keeps its one row; a
       * class folder around it tells its class from now on. */
      if (row == NULL && path != NULL)
        {
          row = g_hash_table_lookup (self->rows_by_path, path);
          if (row != NULL && answer->truth >= 0)
            cnv_prediction_set_truth (row, answer->truth);
        }

      if (row == NULL)
        {
          row = cnv_prediction_new (path, answer->source->bytes,
                                    answer->source->name, self->next_order++,
                                    answer->truth);
          g_ptr_array_add (added, row);
          if (path != NULL)
            g_hash_table_insert (self->rows_by_path,
                                 (char *) cnv_prediction_get_path (row), row);
        }
      if (first == NULL && answer->source->row == NULL)
        first = row;
      selected_changed = selected_changed || row == selected;
      cnv_prediction_set_outcome (row, job->snapshot, &answer->outcome);
    }

  if (added->len > 0)
    g_list_store_splice (self->store,
                         g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                         0, added->pdata, added->len);
  if (answers->len > 0)
    resort (self);

  if (self->store != NULL
      && g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    gtk_stack_set_visible_child_name (self->stack, "result");

  /* The newest request's first image comes forward; an older request
   * finishing late does not take the selection away from it. */
  if (first != NULL && job->batch == self->select_batch
      && !self->select_done)
    {
      self->select_done = TRUE;
      select_row (self, first);
      if (self->select_opens)
        adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
    }
  else if (selected_changed)
    show_selected (self);
}

static gboolean
deliver_cb (gpointer data)
{
  PredictJob *job = data;
  g_autoptr(CnvClassifyPage) self = g_weak_ref_get (&job->page);
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(GPtrArray) folder_errors = NULL;
  gboolean finished;

  g_mutex_lock (&job->lock);
  answers = g_steal_pointer (&job->answers);
  job->answers = g_ptr_array_new_with_free_func (answer_free);
  folder_errors = g_steal_pointer (&job->folder_errors);
  job->folder_errors = g_ptr_array_new_with_free_func (g_free);
  finished = job->finished;
  job->delivery_queued = FALSE;
  g_mutex_unlock (&job->lock);

  if (self == NULL || self->disposed)
    return G_SOURCE_REMOVE;

  if (!g_cancellable_is_cancelled (job->cancellable))
    {
      apply_answers (self, job, answers);
      for (guint i = 0; i < folder_errors->len; i++)
        toast (self, g_ptr_array_index (folder_errors, i));
    }

  if (finished)
    {
      self->n_jobs--;
      if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0
          && !cnv_classify_page_is_busy (self))
        gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  update_status (self);

  return G_SOURCE_REMOVE;
}

static void
start_predictions (CnvClassifyPage *self,
                   Pending         *pending)
{
  g_autoptr(GTask) task = NULL;
  PredictJob *job = g_atomic_rc_box_new0 (PredictJob);

  g_weak_ref_init (&job->page, self);
  job->batch = pending->batch;
  job->snapshot = cnv_snapshot_ref (self->snapshot);
  job->sources = g_ptr_array_ref (pending->sources);
  job->cancellable = g_object_ref (self->cancellable);
  g_mutex_init (&job->lock);
  job->answers = g_ptr_array_new_with_free_func (answer_free);
  job->folder_errors = g_ptr_array_new_with_free_func (g_free);

  task = g_task_new (NULL, self->cancellable, NULL, NULL);
  g_task_set_source_tag (task, start_predictions);
  g_task_set_task_data (task, job, predict_job_unref);
  cnv_application_run_in_thread (task, predict_thread);

  self->n_jobs++;
  update_status (self);
}

/* Snapshots */

static void
request_snapshot (CnvClassifyPage *self)
{
  if (self->waiting)
    return;

  self->waiting = TRUE;
  update_status (self);
  g_signal_emit (self, signals[SNAPSHOT_WANTED], 0);
}

/* Predicts sources (taken) with the current snapshot when it is the
 * model's, or with the one asked for. */
static void
enqueue (CnvClassifyPage *self,
         GPtrArray       *sources,
         gboolean         select)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->batch = ++self->batch_counter;
  pending->sources = sources;
  if (select)
    {
      const Source *first = sources->len > 0 ? sources->pdata[0] : NULL;

      self->select_batch = pending->batch;
      self->select_done = FALSE;
      /* One image (an evaluation's card, a pasted image, one file) is
       * added to be looked at; many, or a folder, to be looked over. */
      self->select_opens = sources->len == 1
                           && (first->bytes != NULL
                               || (first->path != NULL
                                   && !g_file_test (first->path,
                                                    G_FILE_TEST_IS_DIR)));
    }

  if (self->snapshot != NULL && !self->snapshot->training && !self->stale)
    {
      start_predictions (self, pending);
      pending_free (pending);
      return;
    }

  g_ptr_array_add (self->pending, pending);
  request_snapshot (self);
}

void
cnv_classify_page_set_snapshot (CnvClassifyPage *self,
                                CnvClassifier   *classifier,
                                gboolean         training)
{
  g_autoptr(GPtrArray) pending = NULL;

  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  self->waiting = FALSE;
  pending = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (pending_free);

  if (classifier == NULL)
    {
      if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
        cnv_classify_page_show_refusal (self);
      else if (pending->len > 0)
        toast (self, _("There is no trained model to classify with"));
      update_status (self);
      return;
    }

  g_clear_pointer (&self->snapshot, cnv_snapshot_unref);
  self->snapshot = cnv_snapshot_new (classifier, ++self->snapshot_counter,
                                     training);
  self->stale = FALSE;
  fill_filter_names (self);

  for (guint i = 0; i < pending->len; i++)
    start_predictions (self, g_ptr_array_index (pending, i));
  update_status (self);
}

static GPtrArray *
sources_for_rows (CnvClassifyPage *self)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func (source_free);
  GListModel *all = G_LIST_MODEL (self->store);

  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      Source *source = g_new0 (Source, 1);

      source->row = g_list_model_get_item (all, i);
      source->path = g_strdup (cnv_prediction_get_path (source->row));
      if (cnv_prediction_get_bytes (source->row) != NULL)
        source->bytes = g_bytes_ref (cnv_prediction_get_bytes (source->row));
      source->name = g_strdup (cnv_prediction_get_name (source->row));
      g_ptr_array_add (sources, source);
    }

  return sources;
}

void
cnv_classify_page_model_changed (CnvClassifyPage *self)
{
  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  self->stale = TRUE;
  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    enqueue (self, sources_for_rows (self), FALSE);
}

static void
predict_again (CnvClassifyPage *self)
{
  self->stale = TRUE;
  enqueue (self, sources_for_rows (self), FALSE);
}

/* Inspecting the selected image, in a worker */

typedef struct
{
  guint          id;
  CnvPrediction *row;
  CnvSnapshot   *snapshot;
  CnvImage      *image;
  char          *path;
  GBytes        *bytes;
} InspectJob;

static void
inspect_job_free (gpointer data)
{
  InspectJob *job = data;

  g_clear_object (&job->row);
  g_clear_pointer (&job->snapshot, cnv_snapshot_unref);
  g_clear_pointer (&job->image, cnv_image_free);
  g_free (job->path);
  g_clear_pointer (&job->bytes, g_bytes_unref);
  g_free (job);
}

static void
inspect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  InspectJob *job = task_data;
  CnvInspection *inspection;
  GError *error = NULL;

  inspection = cnv_inspection_compute (job->snapshot, job->image, job->path,
                                       job->bytes, &error);
  if (inspection == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, inspection,
                           (GDestroyNotify) cnv_inspection_unref);
}

static void
cache_inspection (CnvClassifyPage *self,
                  CnvPrediction   *row,
                  CnvInspection   *inspection)
{
  GList *link = g_queue_find (self->cached, row);

  g_object_set_data_full (G_OBJECT (row), INSPECTION_KEY,
                          cnv_inspection_ref (inspection),
                          (GDestroyNotify) cnv_inspection_unref);
  if (link != NULL)
    {
      g_queue_unlink (self->cached, link);
      g_queue_push_head_link (self->cached, link);
    }
  else
    g_queue_push_head (self->cached, g_object_ref (row));

  while (g_queue_get_length (self->cached) > MAX_CACHED_INSPECTIONS)
    {
      CnvPrediction *old = g_queue_pop_tail (self->cached);

      g_object_set_data (G_OBJECT (old), INSPECTION_KEY, NULL);
      g_object_unref (old);
    }
}

static void
inspect_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CnvClassifyPage *self = CNV_CLASSIFY_PAGE (source);
  InspectJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(CnvInspection) inspection = NULL;
  g_autoptr(GError) error = NULL;

  inspection = g_task_propagate_pointer (G_TASK (result), &error);
  self->n_inspecting--;
  if (self->disposed)
    return;
  update_status (self);
  if (job->id != self->inspect_counter)
    return;

  if (inspection == NULL)
    {
      g_autofree char *text = NULL;

      g_warning ("Could not look inside the network for %s: %s",
                 cnv_prediction_get_name (job->row), error->message);
      /* Translators: the image, then why. */
      text = g_strdup_printf (_("Could not look inside the network for "
                                "“%s”: %s"),
                              cnv_prediction_get_name (job->row),
                              error->message);
      toast (self, text);
      return;
    }

  cache_inspection (self, job->row, inspection);
  if (cnv_classify_page_get_selected (self) == job->row)
    set_views_inspection (self, inspection);
}

static CnvImage *
copy_image (const CnvImage *image)
{
  CnvImage *copy = cnv_image_new (image->width, image->height,
                                  image->channels);
  guint8 *pixels = copy->pixels;

  *copy = *image;
  copy->pixels = pixels;
  memcpy (pixels, image->pixels,
          (gsize) image->width * image->height * image->channels);

  return copy;
}

static void
start_inspection (CnvClassifyPage *self,
                  CnvPrediction   *row)
{
  CnvInspection *cached = g_object_get_data (G_OBJECT (row), INSPECTION_KEY);
  g_autoptr(GTask) task = NULL;
  InspectJob *job;

  self->inspect_counter++;

  /* Instant when this image was looked at with these weights before. */
  if (cached != NULL && cached->snapshot == cnv_prediction_get_snapshot (row))
    {
      cache_inspection (self, row, cached);
      set_views_inspection (self, cached);
      return;
    }

  job = g_new0 (InspectJob, 1);
  job->id = self->inspect_counter;
  job->row = g_object_ref (row);
  job->snapshot = cnv_snapshot_ref (cnv_prediction_get_snapshot (row));
  job->image = copy_image (cnv_prediction_get_image (row));
  job->path = g_strdup (cnv_prediction_get_path (row));
  if (cnv_prediction_get_bytes (row) != NULL)
    job->bytes = g_bytes_ref (cnv_prediction_get_bytes (row));

  task = g_task_new (self, self->cancellable, inspect_done_cb, NULL);
  g_task_set_source_tag (task, start_inspection);
  g_task_set_task_data (task, job, inspect_job_free);
  cnv_application_run_in_thread (task, inspect_thread);

  self->n_inspecting++;
  update_status (self);
}

/* Adding images */

static void
add_sources (CnvClassifyPage *self,
             GPtrArray       *sources)
{
  if (sources->len == 0)
    {
      g_ptr_array_unref (sources);
      return;
    }

  enqueue (self, sources, TRUE);
}

void
cnv_classify_page_add_files (CnvClassifyPage  *self,
                             GFile           **files,
                             guint             n_files)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func (source_free);
  guint n_remote = 0;

  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);

      if (path == NULL)
        n_remote++;
      else
        g_ptr_array_add (sources, source_for_file (path));
    }

  if (n_remote > 0)
    toast (self, _("Only files on this computer can be classified"));
  add_sources (self, sources);
}

void
cnv_classify_page_add_bytes (CnvClassifyPage *self,
                             GBytes          *bytes,
                             const char      *name)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func (source_free);
  Source *source = g_new0 (Source, 1);

  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  source->bytes = g_bytes_ref (bytes);
  source->name = g_strdup (name);
  g_ptr_array_add (sources, source);
  add_sources (self, sources);
}

static void
add_file_list (CnvClassifyPage *self,
               GSList          *list)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  cnv_classify_page_add_files (self, (GFile **) files->pdata, files->len);
}

static gboolean
drop_cb (GtkDropTarget   *target,
         const GValue    *value,
         double           x,
         double           y,
         CnvClassifyPage *self)
{
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *list = g_value_get_boxed (value);

      if (list == NULL)
        return FALSE;
      add_file_list (self, list);
      return TRUE;
    }

  if (G_VALUE_HOLDS (value, G_TYPE_FILE) && g_value_get_object (value) != NULL)
    {
      GFile *file = g_value_get_object (value);

      cnv_classify_page_add_files (self, &file, 1);
      return TRUE;
    }

  return FALSE;
}

static void
files_chosen_cb (GtkNativeDialog *native,
                 int              response,
                 CnvClassifyPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = NULL;
      g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);

      files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        g_ptr_array_add (list, g_list_model_get_item (files, i));
      cnv_classify_page_add_files (self, (GFile **) list->pdata, list->len);
    }

  g_object_unref (native);
  g_object_unref (self);
}

static void
choose (CnvClassifyPage      *self,
        GtkFileChooserAction  action)
{
  GtkFileChooserNative *native;
  gboolean folder = action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;

  native = gtk_file_chooser_native_new (folder ? _("Classify a Folder")
                                               : _("Classify Images"),
                                        GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                        action, _("_Classify"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);
  if (!folder)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _("Images"));
      gtk_file_filter_add_pixbuf_formats (filter);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    }

  g_signal_connect (native, "response", G_CALLBACK (files_chosen_cb),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

void
cnv_classify_page_choose_files (CnvClassifyPage *self)
{
  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  choose (self, GTK_FILE_CHOOSER_ACTION_OPEN);
}

/* The clipboard: files copied in a file manager, or an image. */

static void
paste_done (CnvClassifyPage *self)
{
  self->n_pasting--;
  if (!self->disposed)
    update_status (self);
}

static void
pasted_files_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CnvClassifyPage) self = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value;

  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result,
                                           &error);
  paste_done (self);
  if (self->disposed)
    return;
  if (value == NULL)
    {
      toast (self, _("Could not read the files on the clipboard"));
      return;
    }

  add_file_list (self, g_value_get_boxed (value));
}

static void
pasted_texture_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CnvClassifyPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autofree char *name = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result,
                                               &error);
  paste_done (self);
  if (self->disposed)
    return;
  if (texture == NULL)
    {
      toast (self, _("Could not read the image on the clipboard"));
      return;
    }

  /* The image goes through the same decoder as a file: as PNG bytes. */
  png = gdk_texture_save_to_png_bytes (texture);
  /* Translators: the name of a pasted image in the list. */
  name = g_strdup_printf (_("Pasted image %u"), ++self->paste_counter);
  cnv_classify_page_add_bytes (self, png, name);
}

static void
paste (CnvClassifyPage *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST,
                                    G_PRIORITY_DEFAULT, NULL,
                                    pasted_files_cb, g_object_ref (self));
  else if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE)
           || gdk_content_formats_contain_mime_type (formats, "image/png"))
    gdk_clipboard_read_texture_async (clipboard, NULL, pasted_texture_cb,
                                      g_object_ref (self));
  else
    {
      toast (self, _("The clipboard holds no image to classify"));
      return;
    }

  self->n_pasting++;
  update_status (self);
}

/* Exporting the list */

static void
append_csv_field (GString    *out,
                  const char *field)
{
  if (strpbrk (field, ",\"\r\n") == NULL)
    {
      g_string_append (out, field);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = field; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_csv_number (GString *out,
                   double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.6f",
                                         value));
}

gboolean
cnv_classify_page_export_csv (CnvClassifyPage  *self,
                              const char       *path,
                              GError          **error)
{
  GListModel *rows = cnv_classify_page_get_rows (self);
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (CNV_IS_CLASSIFY_PAGE (self), FALSE);

  /* Machine-readable: fixed English column names, '.' decimals. */
  g_string_append (out, "file,class,probability,confidence,near_threshold,"
                        "folder_class,correct,error\n");
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(CnvPrediction) row = g_list_model_get_item (rows, i);
      const char *file = cnv_prediction_get_path (row);
      CnvSnapshot *snapshot = cnv_prediction_get_snapshot (row);
      int truth = cnv_prediction_get_truth (row);
      int predicted = cnv_prediction_get_class (row);

      append_csv_field (out, file != NULL ? file : cnv_prediction_get_name (row));
      g_string_append_c (out, ',');
      if (predicted >= 0)
        {
          append_csv_field (out, cnv_prediction_get_class_name (row));
          g_string_append_c (out, ',');
          append_csv_number (out, cnv_prediction_get_probability (row));
          g_string_append_c (out, ',');
          append_csv_number (out, cnv_prediction_get_confidence (row));
          g_string_append (out, cnv_prediction_is_near_threshold (row)
                                ? ",yes," : ",no,");
        }
      else
        g_string_append (out, ",,,,");
      if (truth >= 0 && snapshot != NULL)
        {
          append_csv_field (out, snapshot->classifier->class_names[truth]);
          if (predicted >= 0)
            g_string_append (out, cnv_prediction_is_wrong (row) ? ",no,"
                                                                : ",yes,");
          else
            g_string_append (out, ",,");
        }
      else
        g_string_append (out, ",,");
      if (cnv_prediction_get_error (row) != NULL)
        append_csv_field (out, cnv_prediction_get_error (row));
      g_string_append_c (out, '\n');
    }

  return cnv_export_write_file (path, out->str, out->len, error);
}

static void
export_chosen_cb (GtkWidget  *owner,
                  const char *path)
{
  CnvClassifyPage *self = CNV_CLASSIFY_PAGE (owner);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  guint n = g_list_model_get_n_items (cnv_classify_page_get_rows (self));

  if (!cnv_classify_page_export_csv (self, path, &error))
    {
      cnv_export_show_error (owner, _("Could Not Export the Predictions"),
                             path, error);
      return;
    }

  name = g_filename_display_basename (path);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Exported %u prediction to “%s”",
                                       "Exported %u predictions to “%s”", n),
                          n, name);
  toast (self, text);
}

/* Actions */

static void
add_images_action_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  choose (CNV_CLASSIFY_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
add_folder_action_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  choose (CNV_CLASSIFY_PAGE (widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
paste_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  paste (CNV_CLASSIFY_PAGE (widget));
}

static void
export_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  cnv_export_choose_path (widget, _("Export Predictions"), "predictions.csv",
                          _("CSV files"), "*.csv", export_chosen_cb);
}

static void
clear_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CnvClassifyPage *self = CNV_CLASSIFY_PAGE (widget);

  /* Work still running for the old list is dropped. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_ptr_array_set_size (self->pending, 0);

  while (!g_queue_is_empty (self->cached))
    {
      CnvPrediction *row = g_queue_pop_head (self->cached);

      g_object_set_data (G_OBJECT (row), INSPECTION_KEY, NULL);
      g_object_unref (row);
    }
  g_hash_table_remove_all (self->rows_by_path);
  g_list_store_remove_all (self->store);
  self->inspect_counter++;
  gtk_stack_set_visible_child_name (self->stack, "empty");
  update_status (self);
}

static void
predict_again_action_cb (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  predict_again (CNV_CLASSIFY_PAGE (widget));
}

void
cnv_classify_page_show_refusal (CnvClassifyPage *self)
{
  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  g_ptr_array_set_size (self->pending, 0);
  adw_status_page_set_title (self->status, _("No Trained Model Yet"));
  adw_status_page_set_description (self->status,
                                   _("Train a model on the Train page or "
                                     "open a checkpoint, then drop the "
                                     "images again."));
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

gboolean
cnv_classify_page_is_busy (CnvClassifyPage *self)
{
  g_return_val_if_fail (CNV_IS_CLASSIFY_PAGE (self), FALSE);

  return self->n_jobs > 0 || self->n_inspecting > 0 || self->n_pasting > 0
         || self->waiting;
}

/* GObject */

static void
cnv_classify_page_dispose (GObject *object)
{
  CnvClassifyPage *self = CNV_CLASSIFY_PAGE (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->cached != NULL)
    {
      while (!g_queue_is_empty (self->cached))
        {
          CnvPrediction *row = g_queue_pop_head (self->cached);

          g_object_set_data (G_OBJECT (row), INSPECTION_KEY, NULL);
          g_object_unref (row);
        }
      g_clear_pointer (&self->cached, g_queue_free);
    }
  g_clear_pointer (&self->inspection, cnv_inspection_unref);
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  g_clear_object (&self->selection);
  g_clear_pointer (&self->rows_by_path, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_pointer (&self->snapshot, cnv_snapshot_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (cnv_classify_page_parent_class)->dispose (object);
}

static void
cnv_classify_page_class_init (CnvClassifyPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_classify_page_dispose;

  /* The page needs a snapshot of the weights: answer with
   * cnv_classify_page_set_snapshot (), now or later. */
  signals[SNAPSHOT_WANTED] = g_signal_new ("snapshot-wanted",
                                           G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                           NULL, G_TYPE_NONE, 0);

  g_type_ensure (CNV_TYPE_MAPS_VIEW);
  g_type_ensure (CNV_TYPE_FILTERS_VIEW);
  g_type_ensure (CNV_TYPE_GRADCAM_VIEW);

  /* AdwBin unparents its child, the template's root, when disposed;
   * gtk_widget_dispose_template () would unparent it a second time. */
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-classify-page.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvClassifyPage, name)
  BIND (toast_overlay);
  BIND (stack);
  BIND (status);
  BIND (leaflet);
  BIND (list_pane);
  BIND (detail_pane);
  BIND (filter_dropdown);
  BIND (filter_names);
  BIND (sort_dropdown);
  BIND (sort_names);
  BIND (list_view);
  BIND (spinner);
  BIND (summary_label);
  BIND (repredict_button);
  BIND (detail_stack);
  BIND (original_picture);
  BIND (input_picture);
  BIND (input_caption);
  BIND (class_label);
  BIND (probability_label);
  BIND (verdict_box);
  BIND (verdict_icon);
  BIND (verdict_label);
  BIND (probability_bar);
  BIND (detail_label);
  BIND (notes_list);
  BIND (maps_view);
  BIND (filters_view);
  BIND (gradcam_view);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);

  gtk_widget_class_install_action (widget_class, "classify.add-images", NULL,
                                   add_images_action_cb);
  gtk_widget_class_install_action (widget_class, "classify.add-folder", NULL,
                                   add_folder_action_cb);
  gtk_widget_class_install_action (widget_class, "classify.paste", NULL,
                                   paste_action_cb);
  gtk_widget_class_install_action (widget_class, "classify.export", NULL,
                                   export_action_cb);
  gtk_widget_class_install_action (widget_class, "classify.clear", NULL,
                                   clear_action_cb);
  gtk_widget_class_install_action (widget_class, "classify.predict-again",
                                   NULL, predict_again_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v,
                                       GDK_CONTROL_MASK, "classify.paste",
                                       NULL);
}

static void
cnv_classify_page_init (CnvClassifyPage *self)
{
  const char *sorts[] = {
    N_("Order Added"), N_("Name"), N_("Most Positive First"),
    N_("Least Positive First"), N_("Least Confident First"), NULL
  };
  g_autoptr(GtkListItemFactory) factory = NULL;
  GtkFilterListModel *filtered;
  GtkSortListModel *sorted;
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->pending = g_ptr_array_new_with_free_func (pending_free);
  self->cancellable = g_cancellable_new ();
  self->cached = g_queue_new ();

  for (guint i = 0; sorts[i] != NULL; i++)
    gtk_string_list_append (self->sort_names, _(sorts[i]));
  fill_filter_names (self);

  /* store → filter → sort → selection → list */
  self->store = g_list_store_new (CNV_TYPE_PREDICTION);
  self->rows_by_path = g_hash_table_new (g_str_hash, g_str_equal);
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->sorter = gtk_custom_sorter_new (sort_func, self, NULL);
  filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                        GTK_FILTER (self->filter));
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (filtered),
                                    GTK_SORTER (self->sorter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->selection, "items-changed",
                            G_CALLBACK (update_status), self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (factory_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (factory_bind_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (factory_unbind_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view,
                           GTK_SELECTION_MODEL (self->selection));
  gtk_list_view_set_single_click_activate (self->list_view, FALSE);
  g_signal_connect_swapped (self->list_view, "activate",
                            G_CALLBACK (row_activated_cb), self);
  {
    GtkGesture *click = gtk_gesture_click_new ();

    g_signal_connect_swapped (click, "released",
                              G_CALLBACK (list_clicked_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->list_view),
                               GTK_EVENT_CONTROLLER (click));
  }

  g_signal_connect_swapped (self->filter_dropdown, "notify::selected",
                            G_CALLBACK (filter_selected_cb), self);
  g_signal_connect_swapped (self->sort_dropdown, "notify::selected",
                            G_CALLBACK (sort_selected_cb), self);

  /* Drops anywhere on the page: one file, many, or folders. */
  self->drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (self->drop_target, types, G_N_ELEMENTS (types));
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self),
                             GTK_EVENT_CONTROLLER (self->drop_target));

  show_selected (self);
  update_status (self);
}

/* Accessors */

GListModel *
cnv_classify_page_get_rows (CnvClassifyPage *self)
{
  return gtk_single_selection_get_model (self->selection);
}

GListModel *
cnv_classify_page_get_all_rows (CnvClassifyPage *self)
{
  return G_LIST_MODEL (self->store);
}

CnvPrediction *
cnv_classify_page_get_selected (CnvClassifyPage *self)
{
  if (self->selection == NULL)
    return NULL;

  return gtk_single_selection_get_selected_item (self->selection);
}

const char *
cnv_classify_page_get_view (CnvClassifyPage *self)
{
  g_return_val_if_fail (CNV_IS_CLASSIFY_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->detail_stack);
}

gboolean
cnv_classify_page_offers_view (CnvClassifyPage *self,
                               const char      *name)
{
  GtkWidget *child;

  g_return_val_if_fail (CNV_IS_CLASSIFY_PAGE (self), FALSE);

  child = gtk_stack_get_child_by_name (self->detail_stack, name);

  return child != NULL
         && gtk_stack_page_get_visible (gtk_stack_get_page (self->detail_stack,
                                                            child));
}

void
cnv_classify_page_select (CnvClassifyPage *self,
                          guint            position)
{
  gtk_single_selection_set_selected (self->selection, position);
}

void
cnv_classify_page_set_filter (CnvClassifyPage   *self,
                              CnvClassifyFilter  filter)
{
  gtk_drop_down_set_selected (self->filter_dropdown, filter);
}

void
cnv_classify_page_set_sort (CnvClassifyPage *self,
                            CnvClassifySort  sort)
{
  gtk_drop_down_set_selected (self->sort_dropdown, sort);
}

void
cnv_classify_page_show_view (CnvClassifyPage *self,
                             const char      *name)
{
  gtk_stack_set_visible_child_name (self->detail_stack, name);
}

CnvInspection *
cnv_classify_page_get_inspection (CnvClassifyPage *self)
{
  return self->inspection;
}

const char *
cnv_classify_page_get_state (CnvClassifyPage *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

AdwStatusPage *
cnv_classify_page_get_status (CnvClassifyPage *self)
{
  return self->status;
}

GtkLabel *
cnv_classify_page_get_class_label (CnvClassifyPage *self)
{
  return self->class_label;
}

const char *
cnv_classify_page_get_verdict (CnvClassifyPage *self)
{
  if (!gtk_widget_get_visible (self->verdict_box))
    return NULL;

  return gtk_label_get_label (self->verdict_label);
}

GtkPicture *
cnv_classify_page_get_original (CnvClassifyPage *self)
{
  return self->original_picture;
}

GtkDropTarget *
cnv_classify_page_get_drop_target (CnvClassifyPage *self)
{
  return self->drop_target;
}

CnvMapsView *
cnv_classify_page_get_maps_view (CnvClassifyPage *self)
{
  return self->maps_view;
}

CnvFiltersView *
cnv_classify_page_get_filters_view (CnvClassifyPage *self)
{
  return self->filters_view;
}

CnvGradcamView *
cnv_classify_page_get_gradcam_view (CnvClassifyPage *self)
{
  return self->gradcam_view;
}

gboolean
cnv_classify_page_get_detail_shown (CnvClassifyPage *self)
{
  g_return_val_if_fail (CNV_IS_CLASSIFY_PAGE (self), FALSE);

  return !adw_leaflet_get_folded (self->leaflet)
         || adw_leaflet_get_visible_child (self->leaflet) == self->detail_pane;
}

gboolean
cnv_classify_page_get_folded (CnvClassifyPage *self)
{
  g_return_val_if_fail (CNV_IS_CLASSIFY_PAGE (self), FALSE);

  return adw_leaflet_get_folded (self->leaflet);
}

void
cnv_classify_page_show_list (CnvClassifyPage *self)
{
  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  back_clicked_cb (self);
}

GtkWidget *
cnv_classify_page_get_list_view (CnvClassifyPage *self)
{
  return GTK_WIDGET (self->list_view);
}

const char *
cnv_classify_page_get_summary (CnvClassifyPage *self)
{
  return gtk_label_get_label (self->summary_label);
}
