/* cnv-data-page.c — the Data page
 *
 * Shows one of three states: no folder yet (the start view: what to do
 * in three lines, the sample, win.choose-folder and the recent
 * checkpoints), a folder being read, or the folder with its report and
 * the settings of the next training run.  The report comes first, before
 * anything trains: a row per class and whether they are balanced, the
 * files skipped and why, a histogram of the stored sizes, the colour
 * modes and formats found, the exact duplicates in three groups, and
 * samples of each class.  The settings follow as preferences groups:
 * validation split, preprocessing, augmentation with a live preview, and
 * class weighting.
 *
 * The page holds no dataset: the window hands it one to draw and keeps
 * it; the page copies the few images the augmentation preview needs and
 * owns the report, whose split groups it recomputes (no file is read)
 * when the validation share or seed changes.  Thumbnails and the preview
 * are made in GTask threads; a result for a folder or a drawing that was
 * replaced is dropped (a cancellable, a counter).
 */
#define G_LOG_DOMAIN "cnv-data-page"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "cnv-application.h"
#include "cnv-chart.h"
#include "cnv-data-page.h"
#include "cnv-format.h"
#include "cnv-texture.h"

/* Thumbnails are drawn in squares this many pixels across. */
#define THUMB_SIZE 64
#define SAMPLES_PER_CLASS 12
/* The augmentation preview: this many images of each class, each beside
 * this many random changes of it. */
#define PREVIEW_PER_CLASS 2
#define PREVIEW_VARIANTS 5
#define PREVIEW_SIZE 56
/* A longer list of duplicate sets ends with a row saying how many more. */
#define MAX_GROUPS_SHOWN 25
#define MAX_MEMBERS_SHOWN 6
/* Up to this many distinct stored sizes get a bar each; more are binned
 * by their longer side. */
#define MAX_SIZE_BARS 8
/* The largest whole number a spin button's double holds exactly; seeds
 * the app drew from the clock before the seed row existed are below. */
#define MAX_SEED G_GUINT64_CONSTANT (9007199254740991)

typedef struct
{
  char  *label;
  guint  count;
} SizeBar;

struct _CnvDataPage
{
  AdwBin parent_instance;

  /* template children */
  GtkStack            *stack;
  AdwStatusPage       *loading_page;
  GtkSpinner          *loading_spinner;
  AdwActionRow        *folder_row;
  GtkSpinner          *reload_spinner;
  GtkListBox          *class_list;
  AdwStatusPage       *start_page;
  GtkWidget           *recent_group;
  GtkListBox          *recent_list;
  GtkScrolledWindow   *scrolled;
  GtkWidget           *report_group;
  GtkDrawingArea      *size_chart;
  GtkLabel            *size_caption;
  AdwActionRow        *color_kinds_row;
  AdwActionRow        *formats_row;
  GtkWidget           *duplicates_group;
  GtkListBox          *duplicates_list;
  GtkBox              *samples_box;
  AdwPreferencesGroup *split_group;
  AdwActionRow        *val_row;
  GtkSpinButton       *val_spin;
  GtkSpinButton       *seed_spin;
  GtkWidget           *new_seed_button;
  AdwPreferencesGroup *preprocessing_group;
  AdwActionRow        *input_row;
  AdwComboRow         *colour_row;
  AdwComboRow         *resize_row;
  AdwComboRow         *interpolation_row;
  AdwComboRow         *scaling_row;
  GtkStringList       *scaling_model;
  AdwComboRow         *normalisation_row;
  AdwActionRow        *compute_row;
  GtkSpinner          *compute_spinner;
  GtkWidget           *compute_button;
  AdwActionRow        *mean_row;
  AdwActionRow        *std_row;
  GtkSpinButton       *mean_spins[3];
  GtkSpinButton       *std_spins[3];
  AdwPreferencesGroup *augmentation_group;
  GtkSwitch           *hflip_switch;
  GtkSwitch           *vflip_switch;
  GtkSpinButton       *shift_spin;
  GtkSpinButton       *rotation_spin;
  GtkSpinButton       *brightness_spin;
  GtkSpinButton       *contrast_spin;
  GtkLabel            *preview_caption;
  GtkGrid             *preview_grid;
  GtkWidget           *new_samples_button;
  AdwPreferencesGroup *weights_group;
  AdwComboRow         *weights_row;

  /* borrowed from class_list and duplicates_list */
  AdwActionRow        *class_rows[2];
  AdwActionRow        *balance_row;
  AdwExpanderRow      *skipped_row;
  AdwExpanderRow      *duplicates_rows[3];
  GtkPicture          *preview_pictures[2 * PREVIEW_PER_CLASS
                                        * (PREVIEW_VARIANTS + 1)];

  /* owned */
  char                *folder;
  CnvDatasetReport    *report;
  GArray              *size_bars;      /* SizeBar */
  GPtrArray           *preview_images; /* CnvImage*, at the network's size */
  GHashTable          *thumbnails;     /* path → GdkTexture */
  GCancellable        *thumbnail_cancellable;
  GCancellable        *preview_cancellable;

  /* state */
  int                  width;          /* the stack's input */
  int                  height;
  int                  channels;
  float                other_scale;    /* a checkpoint's scale that is
                                        * neither 1/255 nor 1; 0: none */
  guint64              preview_draw;   /* the random changes drawn */
  guint                preview_counter;
  guint                preview_generation;
  guint                n_pending_thumbnails;
  /* The split the computed normalisation is of; has_computed FALSE
   * before the first computation. */
  gboolean             has_computed;
  double               computed_val_split;
  guint64              computed_seed;
  float                computed_scale;
  int                  computed_channels;
  guint                computed_images;
  gboolean             computing;
  gboolean             locked;
  gboolean             updating;       /* setting widgets, not the user */
};

G_DEFINE_FINAL_TYPE (CnvDataPage, cnv_data_page, ADW_TYPE_BIN)

enum {
  SIGNAL_PREPROCESSING_CHANGED,
  SIGNAL_COLOUR_MODE_CHANGED,
  SIGNAL_COMPUTE_NORMALISATION,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  SCALE_UNIT,     /* 0 … 1 */
  SCALE_BYTE,     /* 0 … 255 */
  SCALE_OTHER,    /* a checkpoint's own */
};

enum {
  NORMALISE_NONE,
  NORMALISE_COMPUTED,
  NORMALISE_VALUES,
};

static void update_split (CnvDataPage *self);
static void update_normalisation_rows (CnvDataPage *self);
static void redraw_preview (CnvDataPage *self);

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
remove_children (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    gtk_widget_unparent (child);
}

static void
size_bar_clear (SizeBar *bar)
{
  g_free (bar->label);
}

/* Thumbnails */

/* The part of a letterboxed size × size image that holds the picture:
 * the same box cnv-image.c scales into. */
static CnvImage *
crop_letterbox (const CnvImage *boxed)
{
  int w = boxed->original_width;
  int h = boxed->original_height;
  double s = MIN ((double) boxed->width / w, (double) boxed->height / h);
  int iw = CLAMP ((int) lround (w * s), 1, boxed->width);
  int ih = CLAMP ((int) lround (h * s), 1, boxed->height);
  int x0 = (boxed->width - iw) / 2;
  int y0 = (boxed->height - ih) / 2;
  CnvImage *image = cnv_image_new (iw, ih, boxed->channels);

  for (int y = 0; y < ih; y++)
    memcpy (image->pixels + (gsize) y * iw * image->channels,
            boxed->pixels + ((gsize) (y0 + y) * boxed->width + x0)
                            * boxed->channels,
            (gsize) iw * image->channels);

  return image;
}

/* Decodes path through the engine (size caps, truncation, EXIF) into a
 * texture at most THUMB_SIZE across.  Images no larger than that are
 * taken at their own size and scaled up by whole factors, so a 28 × 28
 * image stays sharp. */
static GdkTexture *
make_thumbnail (const char *path,
                int         stored_width,
                int         stored_height)
{
  g_autoptr(CnvImage) image = NULL;
  g_autoptr(GError) error = NULL;
  gboolean small = stored_width > 0 && stored_height > 0
                   && stored_width <= THUMB_SIZE
                   && stored_height <= THUMB_SIZE;
  CnvPreprocessing pp;

  cnv_preprocessing_init_default (&pp, small ? stored_width : THUMB_SIZE,
                                  small ? stored_height : THUMB_SIZE, 3);
  pp.resize_mode = small ? CNV_RESIZE_STRETCH : CNV_RESIZE_LETTERBOX;
  image = cnv_image_load (path, &pp, &error);
  if (image == NULL)
    {
      g_debug ("No thumbnail: %s", error->message);
      return NULL;
    }
  if (!small)
    {
      CnvImage *cropped = crop_letterbox (image);

      cnv_image_free (image);
      image = cropped;
    }

  return cnv_texture_new_for_image (image, THUMB_SIZE);
}

typedef struct
{
  GPtrArray *pictures;   /* GtkPicture, with references */
  GPtrArray *paths;
  GArray    *sizes;      /* int pairs */
  GPtrArray *textures;   /* result: GdkTexture or NULL per picture */
} ThumbnailJob;

static void
thumbnail_job_free (ThumbnailJob *job)
{
  g_ptr_array_unref (job->pictures);
  g_ptr_array_unref (job->paths);
  g_array_unref (job->sizes);
  g_clear_pointer (&job->textures, g_ptr_array_unref);
  g_free (job);
}

static void
thumbnail_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  ThumbnailJob *job = task_data;
  GPtrArray *textures = cnv_texture_array_new ();

  for (guint i = 0; i < job->paths->len; i++)
    {
      if (g_cancellable_is_cancelled (cancellable))
        break;
      g_ptr_array_add (textures,
                       make_thumbnail (job->paths->pdata[i],
                                       g_array_index (job->sizes, int, 2 * i),
                                       g_array_index (job->sizes, int,
                                                      2 * i + 1)));
    }

  g_task_return_pointer (task, textures, (GDestroyNotify) g_ptr_array_unref);
}

static void
thumbnails_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CnvDataPage *self = CNV_DATA_PAGE (source);
  ThumbnailJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) textures = NULL;

  textures = g_task_propagate_pointer (G_TASK (result), NULL);
  if (g_task_get_cancellable (G_TASK (result)) != self->thumbnail_cancellable
      || g_cancellable_is_cancelled (self->thumbnail_cancellable)
      || textures == NULL)
    return;

  self->n_pending_thumbnails -= MIN (self->n_pending_thumbnails,
                                     job->pictures->len);
  for (guint i = 0; i < textures->len; i++)
    {
      GdkTexture *texture = textures->pdata[i];

      if (texture == NULL)
        continue;
      gtk_picture_set_paintable (job->pictures->pdata[i],
                                 GDK_PAINTABLE (texture));
      g_hash_table_replace (self->thumbnails, g_strdup (job->paths->pdata[i]),
                            g_object_ref (texture));
    }
}

/* A picture for the image at index, drawn now from the cache or added to
 * job to be made in the background. */
static GtkWidget *
new_thumbnail (CnvDataPage  *self,
               ThumbnailJob *job,
               guint         index)
{
  const CnvImageFileInfo *info = &self->report->images[index];
  const char *path = self->report->paths[index];
  GtkWidget *picture = gtk_picture_new ();
  GdkTexture *cached = g_hash_table_lookup (self->thumbnails, path);
  g_autofree char *name = g_filename_display_basename (path);

  gtk_widget_set_size_request (picture, THUMB_SIZE, THUMB_SIZE);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_widget_set_tooltip_text (picture, path);
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);

  if (cached != NULL)
    {
      gtk_picture_set_paintable (GTK_PICTURE (picture),
                                 GDK_PAINTABLE (cached));
      return picture;
    }

  g_ptr_array_add (job->pictures, g_object_ref (picture));
  g_ptr_array_add (job->paths, g_strdup (path));
  g_array_append_val (job->sizes, info->width);
  g_array_append_val (job->sizes, info->height);

  return picture;
}

static ThumbnailJob *
thumbnail_job_new (void)
{
  ThumbnailJob *job = g_new0 (ThumbnailJob, 1);

  job->pictures = g_ptr_array_new_with_free_func (g_object_unref);
  job->paths = g_ptr_array_new_with_free_func (g_free);
  job->sizes = g_array_new (FALSE, FALSE, sizeof (int));

  return job;
}

static void
run_thumbnail_job (CnvDataPage  *self,
                   ThumbnailJob *job)
{
  g_autoptr(GTask) task = NULL;

  if (job->pictures->len == 0)
    {
      thumbnail_job_free (job);
      return;
    }

  self->n_pending_thumbnails += job->pictures->len;
  task = g_task_new (self, self->thumbnail_cancellable, thumbnails_done_cb,
                     NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) thumbnail_job_free);
  cnv_application_run_in_thread (task, thumbnail_thread);
}

/* The size histogram */

/* What the chart shows, for screen readers: "28 × 28: 400 images". */
static void
describe_size_bars (CnvDataPage *self)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < self->size_bars->len; i++)
    {
      const SizeBar *bar = &g_array_index (self->size_bars, SizeBar, i);

      if (i > 0)
        g_string_append (text, "; ");
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                                 "%s: %u image",
                                                 "%s: %u images",
                                                 bar->count),
                              bar->label, bar->count);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->size_chart),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text->str, -1);
  g_string_free (text, TRUE);
}

static void
set_size_bars (CnvDataPage *self)
{
  const CnvDatasetReport *report = self->report;
  g_autoptr(GArray) order = NULL;

  g_array_set_size (self->size_bars, 0);
  if (report == NULL)
    return;

  if (report->sizes->len <= MAX_SIZE_BARS)
    {
      /* One bar per size, smallest area first. */
      order = g_array_copy (report->sizes);
      for (guint i = 1; i < order->len; i++)
        for (guint j = i; j > 0; j--)
          {
            CnvSizeCount *a = &g_array_index (order, CnvSizeCount, j - 1);
            CnvSizeCount *b = &g_array_index (order, CnvSizeCount, j);
            CnvSizeCount t;

            if ((gint64) a->width * a->height <= (gint64) b->width * b->height)
              break;
            t = *a;
            *a = *b;
            *b = t;
          }
      for (guint i = 0; i < order->len; i++)
        {
          const CnvSizeCount *size = &g_array_index (order, CnvSizeCount, i);
          /* Translators: a stored image size, width × height. */
          SizeBar bar = { g_strdup_printf (_("%d × %d"), size->width,
                                           size->height), size->count };

          g_array_append_val (self->size_bars, bar);
        }
      return;
    }

  order = cnv_dataset_report_bin_sizes (report, 10);
  for (guint i = 0; i < order->len; i++)
    {
      const CnvSizeBin *bin = &g_array_index (order, CnvSizeBin, i);
      /* Translators: a range of the longer side of images, in pixels. */
      SizeBar bar = { g_strdup_printf (_("%d–%d px"), bin->low,
                                       bin->high - 1), bin->count };

      g_array_append_val (self->size_bars, bar);
    }
}

static void
draw_size_chart (GtkDrawingArea *area,
                 cairo_t        *cr,
                 int             width,
                 int             height,
                 gpointer        user_data)
{
  CnvDataPage *self = CNV_DATA_PAGE (user_data);
  GtkWidget *widget = GTK_WIDGET (area);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget,
                                                                  NULL);
  double left = 44, right = 8, top = 14, bottom = 24;
  double plot_w = width - left - right;
  double plot_h = height - top - bottom;
  guint max_count = 1;
  double step, top_value, slot;
  GdkRGBA fg, accent = { 0.21, 0.52, 0.89, 1.0 };
  guint n = self->size_bars->len;

  if (n == 0 || plot_w < 40 || plot_h < 40)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  for (guint i = 0; i < n; i++)
    max_count = MAX (max_count, g_array_index (self->size_bars, SizeBar,
                                               i).count);
  step = MAX (1.0, cnv_chart_nice_step (max_count / 4.0));
  step = ceil (step);
  top_value = ceil (max_count / step) * step;

  /* Grid lines and counts at round values. */
  cairo_set_line_width (cr, 1.0);
  for (double v = 0; v <= top_value + 0.5; v += step)
    {
      double y = top + plot_h * (1.0 - v / top_value);
      g_autofree char *text = cnv_format_count ((guint64) v);

      cnv_chart_set_color (cr, &fg, 0.12);
      cairo_move_to (cr, left, round (y) + 0.5);
      cairo_line_to (cr, left + plot_w, round (y) + 0.5);
      cairo_stroke (cr);
      cnv_chart_set_color (cr, &fg, 0.7);
      cnv_chart_show_text (cr, layout, text, left - 6, y, 1.0, 0.5);
    }

  slot = plot_w / n;
  for (guint i = 0; i < n; i++)
    {
      const SizeBar *bar = &g_array_index (self->size_bars, SizeBar, i);
      double bar_w = MIN (slot * 0.7, 72);
      double x = left + slot * i + (slot - bar_w) / 2;
      double h = plot_h * bar->count / top_value;
      g_autofree char *count = cnv_format_count (bar->count);

      cnv_chart_set_color (cr, &accent, 0.85);
      cairo_rectangle (cr, x, top + plot_h - h, bar_w, h);
      cairo_fill (cr);

      cnv_chart_set_color (cr, &fg, 0.85);
      if (bar->count > 0)
        cnv_chart_show_text (cr, layout, count, x + bar_w / 2,
                   MAX (top + plot_h - h - 8, 6), 0.5, 0.5);
      cnv_chart_set_color (cr, &fg, 0.7);
      cnv_chart_show_text (cr, layout, bar->label, x + bar_w / 2,
                 top + plot_h + bottom / 2.0 + 2, 0.5, 0.5);
    }
}

/* The report */

/* "Greyscale: 398 · RGB: 2" */
static char *
describe_color_kinds (const CnvDatasetReport *report)
{
  GString *text = g_string_new (NULL);

  for (int k = 0; k < CNV_N_COLOR_KINDS; k++)
    {
      g_autofree char *count = NULL;

      if (report->color_kinds[k] == 0)
        continue;
      count = cnv_format_count (report->color_kinds[k]);
      if (text->len > 0)
        g_string_append (text, " · ");
      /* Translators: a colour mode and how many images have it. */
      g_string_append_printf (text, _("%s: %s"),
                              cnv_color_kind_to_string (k), count);
    }

  return g_string_free (text, FALSE);
}

static char *
describe_formats (const CnvDatasetReport *report)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < report->formats->len; i++)
    {
      const CnvFormatCount *format = &g_array_index (report->formats,
                                                     CnvFormatCount, i);
      g_autofree char *count = cnv_format_count (format->count);

      if (text->len > 0)
        g_string_append (text, " · ");
      g_string_append_printf (text, _("%s: %s"), format->format, count);
    }

  return g_string_free (text, FALSE);
}

/* A thumbnail with the file's class and name under it, and for leakage
 * the side of the split it is on. */
static GtkWidget *
new_member (CnvDataPage  *self,
            ThumbnailJob *job,
            guint         index,
            gboolean      show_side)
{
  const CnvDatasetReport *report = self->report;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *name = g_filename_display_basename (report->paths[index]);
  const char *class_name = report->class_names[report->labels[index]];
  g_autofree char *where = NULL;
  GtkWidget *label = gtk_label_new (name);
  GtkWidget *detail;

  gtk_box_append (GTK_BOX (box), new_thumbnail (self, job, index));
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 22);
  gtk_widget_add_css_class (label, "caption");
  gtk_box_append (GTK_BOX (box), label);

  /* Translators: a duplicate's class and side of the split, "sneaker ·
   * validation". */
  where = show_side ? g_strdup_printf (_("%s · %s"), class_name,
                                       report->in_validation[index]
                                       ? _("validation") : _("training"))
                    : g_strdup (class_name);
  detail = gtk_label_new (where);
  gtk_label_set_ellipsize (GTK_LABEL (detail), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (detail), 22);
  gtk_widget_add_css_class (detail, "caption-heading");
  gtk_widget_add_css_class (detail, show_side && report->in_validation[index]
                                    ? "accent" : "dim-label");
  gtk_box_append (GTK_BOX (box), detail);

  return box;
}

static GtkWidget *
new_group_row (CnvDataPage             *self,
               ThumbnailJob            *job,
               const CnvDuplicateGroup *group,
               gboolean                 show_side)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  guint shown = MIN (group->n_members, MAX_MEMBERS_SHOWN);

  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  for (guint m = 0; m < shown; m++)
    gtk_box_append (GTK_BOX (box), new_member (self, job, group->members[m],
                                               show_side));
  if (group->n_members > shown)
    {
      g_autofree char *more = g_strdup_printf (_("and %u more"),
                                               group->n_members - shown);
      GtkWidget *label = gtk_label_new (more);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
    }

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  return row;
}

static const char *
duplicates_title (CnvDuplicatesKind kind)
{
  switch (kind)
    {
    case CNV_DUPLICATES_WITHIN_CLASS:
      return _("Inside one class");
    case CNV_DUPLICATES_ACROSS_CLASSES:
      return _("Across the two classes");
    case CNV_DUPLICATES_ACROSS_SPLIT:
    default:
      return _("Across training and validation");
    }
}

static char *
duplicates_subtitle (CnvDuplicatesKind  kind,
                     const GPtrArray   *groups)
{
  guint n_files = 0;

  for (guint i = 0; i < groups->len; i++)
    n_files += ((CnvDuplicateGroup *) groups->pdata[i])->n_members;

  if (groups->len == 0)
    return g_strdup (kind == CNV_DUPLICATES_ACROSS_SPLIT
                     ? _("None: no image is in both training and validation")
                     : _("None found"));

  switch (kind)
    {
    case CNV_DUPLICATES_WITHIN_CLASS:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u set of identical files (%u "
                                           "files); they weigh more in "
                                           "training",
                                           "%u sets of identical files (%u "
                                           "files); they weigh more in "
                                           "training", groups->len),
                              groups->len, n_files);
    case CNV_DUPLICATES_ACROSS_CLASSES:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u image is labelled as both "
                                           "classes; remove the wrong copy",
                                           "%u images are labelled as both "
                                           "classes; remove the wrong copies",
                                           groups->len), groups->len);
    case CNV_DUPLICATES_ACROSS_SPLIT:
    default:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u image is in training and in "
                                           "validation: validation will "
                                           "look better than it is",
                                           "%u images are in training and "
                                           "in validation: validation will "
                                           "look better than it is",
                                           groups->len), groups->len);
    }
}

static GtkWidget *
new_duplicates_row (CnvDataPage       *self,
                    ThumbnailJob      *job,
                    CnvDuplicatesKind  kind,
                    const GPtrArray   *groups)
{
  GtkWidget *expander = adw_expander_row_new ();
  g_autofree char *subtitle = duplicates_subtitle (kind, groups);
  guint shown = MIN (groups->len, MAX_GROUPS_SHOWN);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander),
                                 duplicates_title (kind));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), subtitle);
  adw_expander_row_set_icon_name (ADW_EXPANDER_ROW (expander),
                                  groups->len == 0 ? "emblem-ok-symbolic"
                                  : "dialog-warning-symbolic");
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (expander),
                                         groups->len > 0);
  adw_expander_row_set_show_enable_switch (ADW_EXPANDER_ROW (expander),
                                           FALSE);
  if (groups->len > 0)
    gtk_widget_add_css_class (expander, "warning-row");

  for (guint i = 0; i < shown; i++)
    adw_expander_row_add_row (ADW_EXPANDER_ROW (expander),
                              new_group_row (self, job, groups->pdata[i],
                                             kind
                                             == CNV_DUPLICATES_ACROSS_SPLIT));
  if (groups->len > shown)
    {
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *more = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u more set is not shown",
                     "%u more sets are not shown", groups->len - shown),
        groups->len - shown);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), more);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
    }

  return expander;
}

static const GPtrArray *
duplicate_groups (const CnvDatasetReport *report,
                  CnvDuplicatesKind       kind)
{
  return kind == CNV_DUPLICATES_WITHIN_CLASS ? report->within_class
         : kind == CNV_DUPLICATES_ACROSS_CLASSES ? report->across_classes
         : report->across_split;
}

/* Builds the row of one kind, or replaces it keeping it open or closed. */
static void
show_duplicates (CnvDataPage       *self,
                 ThumbnailJob      *job,
                 CnvDuplicatesKind  kind)
{
  GtkWidget *row = new_duplicates_row (self, job, kind,
                                       duplicate_groups (self->report, kind));
  AdwExpanderRow *old = self->duplicates_rows[kind];

  if (old != NULL)
    {
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row),
                                     adw_expander_row_get_expanded (old));
      gtk_list_box_remove (self->duplicates_list, GTK_WIDGET (old));
    }
  self->duplicates_rows[kind] = ADW_EXPANDER_ROW (row);
  gtk_list_box_insert (self->duplicates_list, row, kind);
}

/* Up to SAMPLES_PER_CLASS images of each class, spread over its files. */
static void
show_samples (CnvDataPage  *self,
              ThumbnailJob *job)
{
  const CnvDatasetReport *report = self->report;

  remove_children (GTK_WIDGET (self->samples_box));

  for (guint c = 0; c < 2; c++)
    {
      g_autofree guint *indices = g_new (guint, MAX (report->n_images, 1));
      GtkWidget *label = gtk_label_new (report->class_names[c]);
      GtkWidget *flow = gtk_flow_box_new ();
      guint count = 0;
      guint shown;

      for (guint i = 0; i < report->n_images; i++)
        if (report->labels[i] == c)
          indices[count++] = i;
      shown = MIN (count, SAMPLES_PER_CLASS);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "heading");
      gtk_box_append (self->samples_box, label);

      gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (flow), GTK_SELECTION_NONE);
      gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (flow), TRUE);
      gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (flow), 4);
      gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (flow),
                                              SAMPLES_PER_CLASS);
      gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (flow), 6);
      gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (flow), 6);
      gtk_widget_add_css_class (flow, "card");
      gtk_widget_add_css_class (flow, "samples");
      /* Pictures to look at, not controls: Tab goes past them. */
      gtk_widget_set_can_focus (flow, FALSE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (flow),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      report->class_names[c], -1);
      for (guint k = 0; k < shown; k++)
        gtk_flow_box_append (GTK_FLOW_BOX (flow),
                             new_thumbnail (self, job,
                                            indices[(gsize) k * count
                                                    / shown]));
      gtk_box_append (self->samples_box, flow);
    }
}

static void
show_report_rows (CnvDataPage *self)
{
  const CnvDatasetReport *report = self->report;
  g_autofree char *kinds = describe_color_kinds (report);
  g_autofree char *formats = describe_formats (report);
  g_autofree char *caption = NULL;
  ThumbnailJob *job = thumbnail_job_new ();

  set_size_bars (self);
  describe_size_bars (self);
  gtk_widget_queue_draw (GTK_WIDGET (self->size_chart));
  if (report->sizes->len == 1)
    caption = g_strdup_printf (_("Every image is stored at %d × %d."),
                               g_array_index (report->sizes, CnvSizeCount,
                                              0).width,
                               g_array_index (report->sizes, CnvSizeCount,
                                              0).height);
  else if (report->sizes->len <= MAX_SIZE_BARS)
    caption = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "%u stored size.",
                                            "%u different stored sizes.",
                                            report->sizes->len),
                               report->sizes->len);
  else
    caption = g_strdup_printf (_("%u different stored sizes, counted by "
                                 "their longer side."), report->sizes->len);
  if (report->n_unreadable > 0)
    {
      g_autofree char *more = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE,
                     " %u file could not be read again for this report.",
                     " %u files could not be read again for this report.",
                     report->n_unreadable), report->n_unreadable);
      char *joined = g_strconcat (caption, more, NULL);

      g_free (caption);
      caption = joined;
    }
  gtk_label_set_text (self->size_caption, caption);

  adw_action_row_set_subtitle (self->color_kinds_row, kinds);
  adw_action_row_set_subtitle (self->formats_row, formats);

  for (int k = 0; k < 3; k++)
    show_duplicates (self, job, k);
  show_samples (self, job);
  run_thumbnail_job (self, job);

  gtk_widget_set_visible (self->report_group, TRUE);
  gtk_widget_set_visible (self->duplicates_group, TRUE);
}

/* Classes and their balance */

static GtkWidget *
new_class_row (const CnvDataset *dataset,
               guint             index)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u image", "%u images",
                                           dataset->class_counts[index]),
                              dataset->class_counts[index]);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 dataset->class_names[index]);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), "folder-symbolic");

  if (index == 1)
    {
      GtkWidget *tag = gtk_label_new (_("Positive"));

      gtk_widget_add_css_class (tag, "accent");
      gtk_widget_add_css_class (tag, "caption-heading");
      gtk_widget_set_tooltip_text (tag, _("The model gives the probability "
                                          "of this class"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), tag);
    }

  return row;
}

static void
use_balanced_cb (CnvDataPage *self)
{
  adw_combo_row_set_selected (self->weights_row, CNV_CLASS_WEIGHTS_BALANCED);
}

/* "Balanced (1.00 : 1)" or a warning naming the larger class, with a
 * button that turns class weighting on. */
static GtkWidget *
new_balance_row (CnvDataPage      *self,
                 const CnvDataset *dataset)
{
  GtkWidget *row = adw_action_row_new ();
  guint larger = dataset->class_counts[1] > dataset->class_counts[0];
  double ratio = (double) dataset->class_counts[larger]
                 / MAX (1, dataset->class_counts[!larger]);
  g_autofree char *subtitle = NULL;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (ratio < CNV_DATASET_IMBALANCE_WARNING)
    {
      subtitle = g_strdup_printf (_("Imbalance ratio %.2f : 1"), ratio);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("The classes are balanced"));
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row),
                                    "emblem-ok-symbolic");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      return row;
    }

  /* Translators: "3.20 times as many “cats” as “dogs”: …". */
  subtitle = g_strdup_printf (_("%.2f times as many “%s” as “%s”: the model "
                                "may learn to favour “%s”. Balanced class "
                                "weighting makes both classes count as "
                                "much."),
                              ratio, dataset->class_names[larger],
                              dataset->class_names[!larger],
                              dataset->class_names[larger]);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 _("The classes are imbalanced"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row),
                                "dialog-warning-symbolic");
  gtk_widget_add_css_class (row, "warning-row");

  if (adw_combo_row_get_selected (self->weights_row)
      != CNV_CLASS_WEIGHTS_BALANCED)
    {
      GtkWidget *button = gtk_button_new_with_mnemonic (_("Wei_gh Classes"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (button, _("Use balanced class weights in "
                                             "the next training run"));
      g_signal_connect_swapped (button, "clicked",
                                G_CALLBACK (use_balanced_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }

  return row;
}

static GtkWidget *
new_skipped_row (const CnvDataset *dataset)
{
  GtkWidget *expander = adw_expander_row_new ();
  g_autoptr(GFile) folder = NULL;
  g_autofree char *title = NULL;

  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "%u file skipped",
                                        "%u files skipped",
                                        dataset->skipped->len),
                           dataset->skipped->len);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander),
                                 _("These files are not used for training"));
  adw_expander_row_set_icon_name (ADW_EXPANDER_ROW (expander),
                                  "dialog-warning-symbolic");

  folder = g_file_new_for_path (dataset->folder);
  for (guint i = 0; i < dataset->skipped->len; i++)
    {
      CnvSkippedFile *file = g_ptr_array_index (dataset->skipped, i);
      g_autoptr(GFile) skipped = g_file_new_for_path (file->path);
      g_autofree char *relative = g_file_get_relative_path (folder, skipped);
      g_autofree char *name = NULL;
      GtkWidget *row = adw_action_row_new ();

      /* "sneaker/boot.png": the class folder tells two files of one name
       * apart, and which class is missing an image. */
      name = relative != NULL ? g_filename_display_name (relative)
                              : g_filename_display_basename (file->path);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), file->reason);
      gtk_widget_set_tooltip_text (row, file->path);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
    }

  return expander;
}

static void
clear_rows (CnvDataPage *self)
{
  clear_list_box (self->class_list);
  clear_list_box (self->duplicates_list);
  remove_children (GTK_WIDGET (self->samples_box));
  self->class_rows[0] = self->class_rows[1] = NULL;
  self->balance_row = NULL;
  self->skipped_row = NULL;
  for (int k = 0; k < 3; k++)
    self->duplicates_rows[k] = NULL;
}

/* The augmentation preview */

static void
read_augmentation (CnvDataPage     *self,
                   CnvAugmentation *augmentation)
{
  cnv_augmentation_init_default (augmentation);
  augmentation->horizontal_flip = gtk_switch_get_active (self->hflip_switch);
  augmentation->vertical_flip = gtk_switch_get_active (self->vflip_switch);
  augmentation->max_shift = gtk_spin_button_get_value_as_int (self->shift_spin);
  augmentation->max_rotation = gtk_spin_button_get_value (self->rotation_spin);
  augmentation->brightness = gtk_spin_button_get_value (self->brightness_spin)
                             / 100.0;
  augmentation->contrast = gtk_spin_button_get_value (self->contrast_spin)
                           / 100.0;
}

typedef struct
{
  GPtrArray       *images;      /* CnvImage*, borrowed from the page's copy */
  CnvAugmentation  augmentation;
  guint64          draw;
  guint            counter;
} PreviewJob;

static void
preview_job_free (PreviewJob *job)
{
  g_ptr_array_unref (job->images);
  g_free (job);
}

static void
preview_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PreviewJob *job = task_data;
  GPtrArray *textures = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < job->images->len; i++)
    {
      const CnvImage *image = job->images->pdata[i];
      g_autoptr(CnvImage) changed = cnv_image_new (image->width,
                                                   image->height,
                                                   image->channels);
      CnvRng rng;

      /* The same draw gives the same changes, so a setting changed back
       * shows the same pictures again. */
      cnv_rng_init_stream (&rng, job->draw, i);
      g_ptr_array_add (textures, cnv_texture_new_for_image (image,
                                                            PREVIEW_SIZE));
      for (guint v = 0; v < PREVIEW_VARIANTS; v++)
        {
          cnv_augment (&job->augmentation, image->pixels, changed->pixels,
                       image->width, image->height, image->channels,
                       NULL, &rng);
          g_ptr_array_add (textures,
                           cnv_texture_new_for_image (changed, PREVIEW_SIZE));
        }
    }

  g_task_return_pointer (task, textures, (GDestroyNotify) g_ptr_array_unref);
}

static void
preview_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CnvDataPage *self = CNV_DATA_PAGE (source);
  PreviewJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) textures = g_task_propagate_pointer (G_TASK (result),
                                                            NULL);

  if (textures == NULL || job->counter != self->preview_counter)
    return;

  for (guint i = 0; i < textures->len && i < G_N_ELEMENTS (self->preview_pictures);
       i++)
    if (self->preview_pictures[i] != NULL)
      gtk_picture_set_paintable (self->preview_pictures[i],
                                 textures->pdata[i]);
  self->preview_generation++;
}

static void
redraw_preview (CnvDataPage *self)
{
  g_autoptr(GTask) task = NULL;
  PreviewJob *job;
  CnvAugmentation augmentation;
  g_autofree char *caption = NULL;

  if (self->preview_images == NULL || self->preview_images->len == 0)
    return;

  read_augmentation (self, &augmentation);
  if (cnv_augmentation_is_active (&augmentation))
    caption = g_strdup (_("Each image as the network sees it, then five "
                          "random changes of it as training would draw "
                          "them."));
  else
    caption = g_strdup (_("Augmentation is off: training sees every image "
                          "as it is, shown five times."));
  gtk_label_set_text (self->preview_caption, caption);

  job = g_new0 (PreviewJob, 1);
  job->images = g_ptr_array_ref (self->preview_images);
  job->augmentation = augmentation;
  job->draw = self->preview_draw;
  job->counter = ++self->preview_counter;

  task = g_task_new (self, self->preview_cancellable, preview_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) preview_job_free);
  cnv_application_run_in_thread (task, preview_thread);
}

static void
build_preview_grid (CnvDataPage *self)
{
  remove_children (GTK_WIDGET (self->preview_grid));
  memset (self->preview_pictures, 0, sizeof self->preview_pictures);

  for (guint i = 0; self->preview_images != NULL
                    && i < self->preview_images->len; i++)
    for (guint v = 0; v <= PREVIEW_VARIANTS; v++)
      {
        GtkWidget *picture = gtk_picture_new ();
        g_autofree char *label = NULL;

        label = v == 0 ? g_strdup_printf (_("Sample %u as the network sees "
                                            "it"), i + 1)
                       : g_strdup_printf (_("Sample %u, random change %u"),
                                          i + 1, v);
        gtk_widget_set_size_request (picture, PREVIEW_SIZE, PREVIEW_SIZE);
        gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
        gtk_accessible_update_property (GTK_ACCESSIBLE (picture),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                        -1);
        if (v == 0)
          gtk_widget_set_margin_end (picture, 12);
        gtk_grid_attach (self->preview_grid, picture, (int) v, (int) i, 1, 1);
        self->preview_pictures[i * (PREVIEW_VARIANTS + 1) + v] =
          GTK_PICTURE (picture);
      }
}

/* Copies PREVIEW_PER_CLASS images of each class, what the network sees. */
static void
copy_preview_images (CnvDataPage      *self,
                     const CnvDataset *dataset)
{
  gsize size = (gsize) dataset->width * dataset->height * dataset->channels;

  g_clear_pointer (&self->preview_images, g_ptr_array_unref);
  self->preview_images = g_ptr_array_new_with_free_func (
                           (GDestroyNotify) cnv_image_free);

  for (guint c = 0; c < 2; c++)
    {
      guint taken = 0;

      for (guint i = 0; i < dataset->n_images && taken < PREVIEW_PER_CLASS;
           i++)
        {
          CnvImage *image;

          if (dataset->labels[i] != c)
            continue;
          image = cnv_image_new (dataset->width, dataset->height,
                                 dataset->channels);
          memcpy (image->pixels, cnv_dataset_get_pixels (dataset, i), size);
          g_ptr_array_add (self->preview_images, image);
          taken++;
        }
    }

  build_preview_grid (self);
}

/* Settings */

static float
page_scale (CnvDataPage *self)
{
  switch (adw_combo_row_get_selected (self->scaling_row))
    {
    case SCALE_BYTE:
      return 1.0f;
    case SCALE_OTHER:
      return self->other_scale;
    case SCALE_UNIT:
    default:
      return 1.0f / 255.0f;
    }
}

static void
update_colour_subtitle (CnvDataPage *self)
{
  const CnvDatasetReport *report = self->report;
  guint n_colour = 0;
  guint n_grey = 0;
  g_autofree char *subtitle = NULL;

  if (report != NULL)
    {
      n_grey = report->color_kinds[CNV_COLOR_KIND_GREY]
               + report->color_kinds[CNV_COLOR_KIND_GREY_ALPHA];
      n_colour = report->color_kinds[CNV_COLOR_KIND_RGB]
                 + report->color_kinds[CNV_COLOR_KIND_RGBA]
                 + report->color_kinds[CNV_COLOR_KIND_PALETTE]
                 + report->color_kinds[CNV_COLOR_KIND_CMYK];
    }

  if (self->channels != 1 && self->channels != 3)
    subtitle = g_strdup_printf (_("The stack’s input has %d channels; "
                                  "images have 1 or 3. Choose one to set "
                                  "the input to it."), self->channels);
  else if (self->channels == 1 && n_colour > 0)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Sets the stack’s input to 1 "
                                             "channel. %u colour image is "
                                             "turned grey.",
                                             "Sets the stack’s input to 1 "
                                             "channel. %u colour images are "
                                             "turned grey.", n_colour),
                                n_colour);
  else if (self->channels == 3 && n_grey > 0)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Sets the stack’s input to 3 "
                                             "channels. %u greyscale image "
                                             "fills R, G and B alike.",
                                             "Sets the stack’s input to 3 "
                                             "channels. %u greyscale images "
                                             "fill R, G and B alike.",
                                             n_grey), n_grey);
  else
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Sets the stack’s input to %d "
                                             "channel",
                                             "Sets the stack’s input to %d "
                                             "channels", self->channels),
                                self->channels);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->colour_row), subtitle);
}

static void
update_weights_subtitle (CnvDataPage *self)
{
  const CnvDatasetReport *report = self->report;
  CnvClassWeights weights = adw_combo_row_get_selected (self->weights_row);
  g_autofree char *subtitle = NULL;
  guint counts[2] = { 0, 0 };
  float out[2];

  if (report == NULL)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->weights_row), NULL);
      return;
    }

  for (guint i = 0; i < report->n_images; i++)
    if (!report->in_validation[i])
      counts[report->labels[i]]++;
  cnv_class_weights_compute (weights, counts, out);

  /* Translators: each class's weight in the loss, "cats × 0.83, dogs ×
   * 1.25". */
  subtitle = g_strdup_printf (weights == CNV_CLASS_WEIGHTS_BALANCED
                              ? _("Both classes count as much in the loss: "
                                  "%s × %.2f, %s × %.2f")
                              : _("Every image counts the same: %s × %.2f, "
                                  "%s × %.2f"),
                              report->class_names[0], out[0],
                              report->class_names[1], out[1]);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->weights_row), subtitle);
}

/* The share and seed on the page give the report's split. */
static void
update_split (CnvDataPage *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *n_val = NULL;
  g_autofree char *n_train = NULL;
  ThumbnailJob *job;

  if (self->report == NULL)
    {
      adw_action_row_set_subtitle (self->val_row,
                                   _("The share of each class set aside"));
      return;
    }

  cnv_dataset_report_set_split (self->report,
                                cnv_data_page_get_val_split (self),
                                cnv_data_page_get_seed (self));
  n_val = cnv_format_count (self->report->n_validation);
  n_train = cnv_format_count (self->report->n_train);
  /* Translators: "80 images for validation, 320 for training". */
  subtitle = g_strdup_printf (_("%s images for validation, %s for "
                                "training"), n_val, n_train);
  adw_action_row_set_subtitle (self->val_row, subtitle);

  job = thumbnail_job_new ();
  show_duplicates (self, job, CNV_DUPLICATES_ACROSS_SPLIT);
  run_thumbnail_job (self, job);
  update_weights_subtitle (self);
  update_normalisation_rows (self);
}

static gboolean
computed_is_current (CnvDataPage *self)
{
  return self->has_computed
         && fabs (self->computed_val_split
                  - cnv_data_page_get_val_split (self)) < 1e-9
         && self->computed_seed == cnv_data_page_get_seed (self)
         && self->computed_scale == page_scale (self)
         && self->computed_channels == self->channels;
}

static void
update_normalisation_rows (CnvDataPage *self)
{
  guint mode = adw_combo_row_get_selected (self->normalisation_row);
  int channels = self->channels == 1 ? 1 : 3;
  g_autofree char *subtitle = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->compute_row),
                          mode == NORMALISE_COMPUTED);
  gtk_widget_set_visible (GTK_WIDGET (self->mean_row), mode != NORMALISE_NONE);
  gtk_widget_set_visible (GTK_WIDGET (self->std_row), mode != NORMALISE_NONE);
  for (int c = 0; c < 3; c++)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->mean_spins[c]), c < channels);
      gtk_widget_set_visible (GTK_WIDGET (self->std_spins[c]), c < channels);
      gtk_widget_set_sensitive (GTK_WIDGET (self->mean_spins[c]),
                                mode == NORMALISE_VALUES);
      gtk_widget_set_sensitive (GTK_WIDGET (self->std_spins[c]),
                                mode == NORMALISE_VALUES);
    }
  adw_action_row_set_subtitle (self->mean_row,
                               channels == 1
                               ? _("Subtracted from every value")
                               : _("Subtracted from R, G and B"));

  gtk_widget_set_visible (GTK_WIDGET (self->compute_spinner), self->computing);
  gtk_spinner_set_spinning (self->compute_spinner, self->computing);
  gtk_widget_set_sensitive (self->compute_button,
                            !self->computing && self->report != NULL
                            && !self->locked);
  if (self->computing)
    subtitle = g_strdup (_("Computing over the training images…"));
  else if (!self->has_computed)
    subtitle = g_strdup (_("Not computed yet: press Compute. Until then the "
                           "values below are used."));
  else if (!computed_is_current (self))
    subtitle = g_strdup (_("Computed for another split or scaling; press "
                           "Compute to update."));
  else
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Computed over the %u training "
                                             "image of this split",
                                             "Computed over the %u training "
                                             "images of this split",
                                             self->computed_images),
                                self->computed_images);
  adw_action_row_set_subtitle (self->compute_row, subtitle);

  if (mode == NORMALISE_COMPUTED && self->has_computed
      && !computed_is_current (self) && !self->computing)
    gtk_widget_add_css_class (self->compute_button, "suggested-action");
  else
    gtk_widget_remove_css_class (self->compute_button, "suggested-action");
}

static void
preprocessing_changed (CnvDataPage *self)
{
  update_normalisation_rows (self);
  if (!self->updating)
    g_signal_emit (self, signals[SIGNAL_PREPROCESSING_CHANGED], 0);
}

static void
preprocessing_row_changed_cb (CnvDataPage *self)
{
  preprocessing_changed (self);
}

static void
colour_changed_cb (CnvDataPage *self)
{
  guint selected = adw_combo_row_get_selected (self->colour_row);
  int channels = selected == 0 ? 1 : 3;

  if (self->updating || selected == GTK_INVALID_LIST_POSITION
      || channels == self->channels)
    return;

  g_signal_emit (self, signals[SIGNAL_COLOUR_MODE_CHANGED], 0, channels);
}

static void
split_changed_cb (CnvDataPage *self)
{
  update_split (self);
}

static void
new_seed_cb (CnvDataPage *self)
{
  gtk_spin_button_set_value (self->seed_spin,
                             g_random_int_range (1, G_MAXINT32));
}

static void
augmentation_changed_cb (CnvDataPage *self)
{
  redraw_preview (self);
}

static void
new_samples_cb (CnvDataPage *self)
{
  self->preview_draw++;
  redraw_preview (self);
}

static void
weights_changed_cb (CnvDataPage *self)
{
  update_weights_subtitle (self);
  if (self->balance_row != NULL)
    {
      /* The button on the balance row goes once weighting is on. */
      GtkWidget *old = GTK_WIDGET (self->balance_row);
      int position = gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (old));
      CnvDataset shell = { 0 };
      GtkWidget *row;

      if (self->report == NULL)
        return;
      for (int c = 0; c < 2; c++)
        {
          shell.class_names[c] = self->report->class_names[c];
          shell.class_counts[c] = self->report->class_counts[c];
        }
      row = new_balance_row (self, &shell);
      gtk_list_box_remove (self->class_list, old);
      gtk_list_box_insert (self->class_list, row, position);
      self->balance_row = ADW_ACTION_ROW (row);
    }
}

static void
compute_clicked_cb (CnvDataPage *self)
{
  if (self->computing || self->report == NULL)
    return;

  self->computing = TRUE;
  update_normalisation_rows (self);
  g_signal_emit (self, signals[SIGNAL_COMPUTE_NORMALISATION], 0);
}

static void
update_locked (CnvDataPage *self)
{
  const char *description = self->locked
    ? _("The trained model on screen reads images this way; it keeps "
        "doing so. Edit the layer stack to train a new model with other "
        "settings.")
    : _("How every image becomes what the network sees, in training and in "
        "prediction alike.");

  adw_preferences_group_set_description (self->preprocessing_group,
                                         description);
  adw_preferences_group_set_description (self->split_group,
                                         self->locked
                                         ? _("The trained model’s split: "
                                             "changing it would put images "
                                             "it trained on into "
                                             "validation.")
                                         : _("Images set aside in each "
                                             "class to measure the model on "
                                             "images it does not train "
                                             "on."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->colour_row), !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->resize_row), !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->interpolation_row),
                            !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->scaling_row), !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->normalisation_row),
                            !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mean_row), !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->std_row), !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->val_spin), !self->locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->seed_spin), !self->locked);
  gtk_widget_set_sensitive (self->new_seed_button, !self->locked);
  update_normalisation_rows (self);
}

/* Public API */

void
cnv_data_page_show_loading (CnvDataPage *self,
                            const char  *folder)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  /* Reading the same folder again with other settings: the report and
   * the settings stay where the user is. */
  if (g_strcmp0 (folder, self->folder) == 0
      && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack),
                    "loaded") == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->reload_spinner), TRUE);
      gtk_spinner_start (self->reload_spinner);
      return;
    }

  clear_rows (self);
  adw_status_page_set_description (self->loading_page, folder);
  gtk_spinner_start (self->loading_spinner);
  gtk_stack_set_visible_child_name (self->stack, "loading");
}

void
cnv_data_page_show_dataset (CnvDataPage      *self,
                            const CnvDataset *dataset)
{
  g_autofree char *name = NULL;
  GtkWidget *row;

  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  clear_rows (self);
  gtk_spinner_stop (self->loading_spinner);
  gtk_spinner_stop (self->reload_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->reload_spinner), FALSE);

  /* A new folder: thumbnails of the old one are of no use. */
  if (dataset == NULL || g_strcmp0 (dataset->folder, self->folder) != 0)
    {
      g_cancellable_cancel (self->thumbnail_cancellable);
      g_clear_object (&self->thumbnail_cancellable);
      self->thumbnail_cancellable = g_cancellable_new ();
      self->n_pending_thumbnails = 0;
      g_hash_table_remove_all (self->thumbnails);
    }
  g_clear_pointer (&self->report, cnv_dataset_report_free);
  gtk_widget_set_visible (self->report_group, FALSE);
  gtk_widget_set_visible (self->duplicates_group, FALSE);

  g_free (self->folder);
  self->folder = dataset != NULL ? g_strdup (dataset->folder) : NULL;

  if (dataset == NULL)
    {
      g_clear_pointer (&self->preview_images, g_ptr_array_unref);
      build_preview_grid (self);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  name = g_filename_display_basename (dataset->folder);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->folder_row), name);
  adw_action_row_set_subtitle (self->folder_row, dataset->folder);

  for (guint i = 0; i < 2; i++)
    {
      row = new_class_row (dataset, i);
      self->class_rows[i] = ADW_ACTION_ROW (row);
      gtk_list_box_append (self->class_list, row);
    }

  row = new_balance_row (self, dataset);
  self->balance_row = ADW_ACTION_ROW (row);
  gtk_list_box_append (self->class_list, row);

  if (dataset->skipped != NULL && dataset->skipped->len > 0)
    {
      row = new_skipped_row (dataset);
      self->skipped_row = ADW_EXPANDER_ROW (row);
      gtk_list_box_append (self->class_list, row);
    }

  copy_preview_images (self, dataset);
  redraw_preview (self);
  update_split (self);

  gtk_stack_set_visible_child_name (self->stack, "loaded");
}

void
cnv_data_page_show_previous (CnvDataPage      *self,
                             const CnvDataset *dataset)
{
  CnvDatasetReport *report;

  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  /* The report still held is the dataset's: loading another folder only
   * replaces it once that folder has loaded. */
  report = dataset != NULL && g_strcmp0 (dataset->folder, self->folder) == 0
           ? g_steal_pointer (&self->report) : NULL;
  cnv_data_page_show_dataset (self, dataset);
  if (report != NULL)
    cnv_data_page_show_report (self, report);
}

void
cnv_data_page_show_report (CnvDataPage      *self,
                           CnvDatasetReport *report)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  g_clear_pointer (&self->report, cnv_dataset_report_free);
  self->report = report;
  if (report == NULL)
    {
      gtk_widget_set_visible (self->report_group, FALSE);
      gtk_widget_set_visible (self->duplicates_group, FALSE);
      return;
    }

  clear_list_box (self->duplicates_list);
  for (int k = 0; k < 3; k++)
    self->duplicates_rows[k] = NULL;
  cnv_dataset_report_set_split (report, cnv_data_page_get_val_split (self),
                                cnv_data_page_get_seed (self));
  show_report_rows (self);
  update_split (self);
  update_colour_subtitle (self);
}

const CnvDatasetReport *
cnv_data_page_get_report (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);

  return self->report;
}

void
cnv_data_page_set_input (CnvDataPage *self,
                         int          width,
                         int          height,
                         int          channels)
{
  g_autofree char *size = NULL;

  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  self->width = width;
  self->height = height;
  self->channels = channels;

  /* Translators: the network's input size and channels. */
  size = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d × %d, %d channel",
                                       "%d × %d, %d channels", channels),
                          width, height, channels);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->input_row),
                                 _("Network input"));
  adw_action_row_set_subtitle (self->input_row, size);

  self->updating = TRUE;
  adw_combo_row_set_selected (self->colour_row,
                              channels == 1 ? 0
                              : channels == 3 ? 1 : GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;
  update_colour_subtitle (self);
  update_normalisation_rows (self);
}

void
cnv_data_page_apply_preprocessing (CnvDataPage      *self,
                                   CnvPreprocessing *pp)
{
  guint mode;

  g_return_if_fail (CNV_IS_DATA_PAGE (self));
  g_return_if_fail (pp != NULL);

  pp->resize_mode = adw_combo_row_get_selected (self->resize_row);
  pp->interpolation = adw_combo_row_get_selected (self->interpolation_row)
                      == 0 ? CNV_INTERP_NEAREST : CNV_INTERP_BILINEAR;
  pp->scale = page_scale (self);

  mode = adw_combo_row_get_selected (self->normalisation_row);
  for (int c = 0; c < 3; c++)
    {
      /* A grey image has one channel: its values are the first. */
      int from = cnv_preprocessing_get_channels (pp) == 1 ? 0 : c;

      pp->mean[c] = mode == NORMALISE_NONE
                    ? 0.0f : (float) gtk_spin_button_get_value (
                                       self->mean_spins[from]);
      pp->std[c] = mode == NORMALISE_NONE
                   ? 1.0f : (float) gtk_spin_button_get_value (
                                      self->std_spins[from]);
    }
}

void
cnv_data_page_set_preprocessing (CnvDataPage            *self,
                                 const CnvPreprocessing *pp)
{
  gboolean normalised = FALSE;
  CnvPreprocessing shown;
  guint scaling;

  g_return_if_fail (CNV_IS_DATA_PAGE (self));
  g_return_if_fail (pp != NULL);

  /* Nothing to do when the page already says the same. */
  shown = *pp;
  cnv_data_page_apply_preprocessing (self, &shown);
  if (cnv_preprocessing_equal (&shown, pp))
    return;

  self->updating = TRUE;
  adw_combo_row_set_selected (self->resize_row, pp->resize_mode);
  adw_combo_row_set_selected (self->interpolation_row,
                              pp->interpolation == CNV_INTERP_NEAREST ? 0 : 1);

  /* A scale that is neither of the two offered gets a row of its own. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->scaling_model)) > 2)
    gtk_string_list_remove (self->scaling_model, SCALE_OTHER);
  self->other_scale = 0.0f;
  if (fabsf (pp->scale - 1.0f / 255.0f) < 1e-9f)
    scaling = SCALE_UNIT;
  else if (pp->scale == 1.0f)
    scaling = SCALE_BYTE;
  else
    {
      g_autofree char *other = g_strdup_printf (_("Multiplied by %g"),
                                                pp->scale);

      gtk_string_list_append (self->scaling_model, other);
      self->other_scale = pp->scale;
      scaling = SCALE_OTHER;
    }
  adw_combo_row_set_selected (self->scaling_row, scaling);

  for (int c = 0; c < 3; c++)
    {
      normalised |= pp->mean[c] != 0.0f || pp->std[c] != 1.0f;
      gtk_spin_button_set_value (self->mean_spins[c], pp->mean[c]);
      gtk_spin_button_set_value (self->std_spins[c], pp->std[c]);
    }
  adw_combo_row_set_selected (self->normalisation_row,
                              normalised ? NORMALISE_VALUES : NORMALISE_NONE);
  self->updating = FALSE;

  update_normalisation_rows (self);
}

void
cnv_data_page_set_locked (CnvDataPage *self,
                          gboolean     locked)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  locked = !!locked;
  if (self->locked == locked)
    return;

  self->locked = locked;
  update_locked (self);
}

gboolean
cnv_data_page_get_locked (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), FALSE);

  return self->locked;
}

void
cnv_data_page_apply_train_settings (CnvDataPage    *self,
                                    CnvTrainConfig *config)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));
  g_return_if_fail (config != NULL);

  config->val_split = cnv_data_page_get_val_split (self);
  config->seed = cnv_data_page_get_seed (self);
  read_augmentation (self, &config->augmentation);
  config->class_weights = adw_combo_row_get_selected (self->weights_row);
}

void
cnv_data_page_set_train_settings (CnvDataPage           *self,
                                  double                 val_split,
                                  guint64                seed,
                                  const CnvAugmentation *augmentation,
                                  CnvClassWeights        weights)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));
  g_return_if_fail (augmentation != NULL);

  /* Each setter below redraws what depends on it once. */
  cnv_data_page_set_split (self, val_split, seed);
  gtk_switch_set_active (self->hflip_switch, augmentation->horizontal_flip);
  gtk_switch_set_active (self->vflip_switch, augmentation->vertical_flip);
  gtk_spin_button_set_value (self->shift_spin, augmentation->max_shift);
  gtk_spin_button_set_value (self->rotation_spin, augmentation->max_rotation);
  gtk_spin_button_set_value (self->brightness_spin,
                             round (augmentation->brightness * 100.0));
  gtk_spin_button_set_value (self->contrast_spin,
                             round (augmentation->contrast * 100.0));
  adw_combo_row_set_selected (self->weights_row, weights);
}

void
cnv_data_page_set_split (CnvDataPage *self,
                         double       val_split,
                         guint64      seed)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  gtk_spin_button_set_value (self->val_spin, round (val_split * 100.0));
  if (seed > 0)
    gtk_spin_button_set_value (self->seed_spin,
                               (double) MIN (seed, MAX_SEED));
}

double
cnv_data_page_get_val_split (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 0.2);

  return gtk_spin_button_get_value (self->val_spin) / 100.0;
}

guint64
cnv_data_page_get_seed (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 1);

  return (guint64) gtk_spin_button_get_value (self->seed_spin);
}

float
cnv_data_page_get_scale (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 1.0f / 255.0f);

  return page_scale (self);
}

void
cnv_data_page_set_computed_normalisation (CnvDataPage *self,
                                          const float  mean[3],
                                          const float  std[3],
                                          guint        n_images,
                                          double       val_split,
                                          guint64      seed,
                                          float        scale,
                                          int          channels)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  self->computing = FALSE;
  if (mean == NULL || std == NULL)
    {
      update_normalisation_rows (self);
      return;
    }

  self->has_computed = TRUE;
  self->computed_val_split = val_split;
  self->computed_seed = seed;
  /* Of the job, not of the page now: a scale changed meanwhile makes
   * these out of date, which computed_is_current () then says. */
  self->computed_scale = scale;
  self->computed_channels = channels;
  self->computed_images = n_images;

  self->updating = TRUE;
  for (int c = 0; c < 3; c++)
    {
      gtk_spin_button_set_value (self->mean_spins[c], mean[c]);
      gtk_spin_button_set_value (self->std_spins[c], std[c]);
    }
  self->updating = FALSE;

  preprocessing_changed (self);
}

void
cnv_data_page_set_recent_checkpoints (CnvDataPage        *self,
                                      const char * const *paths)
{
  guint n = 0;

  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  clear_list_box (self->recent_list);

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *folder = NULL;
      GtkWidget *row;

      if (!g_file_test (paths[i], G_FILE_TEST_IS_REGULAR))
        continue;

      name = g_filename_display_basename (paths[i]);
      folder = g_path_get_dirname (paths[i]);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), folder);
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row),
                                    "document-open-recent-symbolic");
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-recent");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (row),
                                              g_variant_new_string (paths[i]));
      gtk_list_box_append (self->recent_list, row);
      n++;
    }

  gtk_widget_set_visible (self->recent_group, n > 0);
}

guint
cnv_data_page_get_n_recent_checkpoints (CnvDataPage *self)
{
  guint n = 0;

  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 0);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;

  return n;
}

gboolean
cnv_data_page_is_start_view (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), FALSE);

  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack),
                    "empty") == 0;
}

AdwActionRow *
cnv_data_page_get_class_row (CnvDataPage *self,
                             guint        index)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (index < 2, NULL);

  return self->class_rows[index];
}

AdwExpanderRow *
cnv_data_page_get_skipped_row (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);

  return self->skipped_row;
}

AdwActionRow *
cnv_data_page_get_balance_row (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);

  return self->balance_row;
}

guint
cnv_data_page_get_n_size_bars (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 0);

  return self->size_bars->len;
}

const char *
cnv_data_page_get_size_bar (CnvDataPage *self,
                            guint        index,
                            guint       *count)
{
  const SizeBar *bar;

  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (index < self->size_bars->len, NULL);

  bar = &g_array_index (self->size_bars, SizeBar, index);
  if (count != NULL)
    *count = bar->count;

  return bar->label;
}

AdwExpanderRow *
cnv_data_page_get_duplicates_row (CnvDataPage       *self,
                                  CnvDuplicatesKind  kind)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (kind <= CNV_DUPLICATES_ACROSS_SPLIT, NULL);

  return self->duplicates_rows[kind];
}

guint
cnv_data_page_get_n_pending_thumbnails (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 0);

  return self->n_pending_thumbnails;
}

guint
cnv_data_page_get_n_preview (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 0);

  return self->preview_images != NULL
         ? self->preview_images->len * (PREVIEW_VARIANTS + 1) : 0;
}

GdkTexture *
cnv_data_page_get_preview_texture (CnvDataPage *self,
                                   guint        index)
{
  GdkPaintable *paintable;

  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (index < cnv_data_page_get_n_preview (self), NULL);

  paintable = gtk_picture_get_paintable (self->preview_pictures[index]);

  return GDK_IS_TEXTURE (paintable) ? GDK_TEXTURE (paintable) : NULL;
}

guint
cnv_data_page_get_preview_generation (CnvDataPage *self)
{
  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), 0);

  return self->preview_generation;
}

GtkWidget *
cnv_data_page_get_widget (CnvDataPage *self,
                          const char  *name)
{
  const struct { const char *name; gpointer widget; } widgets[] = {
    { "val", self->val_spin },
    { "seed", self->seed_spin },
    { "new-seed", self->new_seed_button },
    { "colour", self->colour_row },
    { "resize", self->resize_row },
    { "interpolation", self->interpolation_row },
    { "scaling", self->scaling_row },
    { "normalisation", self->normalisation_row },
    { "compute", self->compute_button },
    { "compute-row", self->compute_row },
    { "mean0", self->mean_spins[0] },
    { "mean1", self->mean_spins[1] },
    { "mean2", self->mean_spins[2] },
    { "std0", self->std_spins[0] },
    { "std1", self->std_spins[1] },
    { "std2", self->std_spins[2] },
    { "hflip", self->hflip_switch },
    { "vflip", self->vflip_switch },
    { "shift", self->shift_spin },
    { "rotation", self->rotation_spin },
    { "brightness", self->brightness_spin },
    { "contrast", self->contrast_spin },
    { "new-samples", self->new_samples_button },
    { "weights", self->weights_row },
    { "scrolled", self->scrolled },
    { "report", self->report_group },
    { "duplicates", self->duplicates_group },
    { "split", self->split_group },
    { "preprocessing", self->preprocessing_group },
    { "augmentation", self->augmentation_group },
    { "weights-group", self->weights_group },
  };

  g_return_val_if_fail (CNV_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (widgets); i++)
    if (g_str_equal (widgets[i].name, name))
      return widgets[i].widget;

  g_return_val_if_reached (NULL);
}

/* GObject */

static void
cnv_data_page_dispose (GObject *object)
{
  CnvDataPage *self = CNV_DATA_PAGE (object);

  g_cancellable_cancel (self->thumbnail_cancellable);
  g_cancellable_cancel (self->preview_cancellable);

  G_OBJECT_CLASS (cnv_data_page_parent_class)->dispose (object);
}

static void
cnv_data_page_finalize (GObject *object)
{
  CnvDataPage *self = CNV_DATA_PAGE (object);

  g_free (self->folder);
  g_clear_pointer (&self->report, cnv_dataset_report_free);
  g_clear_pointer (&self->size_bars, g_array_unref);
  g_clear_pointer (&self->preview_images, g_ptr_array_unref);
  g_clear_pointer (&self->thumbnails, g_hash_table_unref);
  g_clear_object (&self->thumbnail_cancellable);
  g_clear_object (&self->preview_cancellable);

  G_OBJECT_CLASS (cnv_data_page_parent_class)->finalize (object);
}

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage, name)
#define BIND_AS(member, id) \
  gtk_widget_class_bind_template_child_full (widget_class, id, FALSE, \
    G_STRUCT_OFFSET (CnvDataPage, member))

static void
cnv_data_page_class_init (CnvDataPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_data_page_dispose;
  object_class->finalize = cnv_data_page_finalize;

  signals[SIGNAL_PREPROCESSING_CHANGED] =
    g_signal_new ("preprocessing-changed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_COLOUR_MODE_CHANGED] =
    g_signal_new ("colour-mode-changed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_INT);
  signals[SIGNAL_COMPUTE_NORMALISATION] =
    g_signal_new ("compute-normalisation", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* AdwBin unparents its child, the template's root, when disposed;
   * gtk_widget_dispose_template () would unparent it a second time. */
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-data-page.ui");
  BIND (stack);
  BIND (loading_page);
  BIND (loading_spinner);
  BIND (folder_row);
  BIND (reload_spinner);
  BIND (class_list);
  BIND (start_page);
  BIND (recent_group);
  BIND (recent_list);
  BIND (scrolled);
  BIND (report_group);
  BIND (size_chart);
  BIND (size_caption);
  BIND (color_kinds_row);
  BIND (formats_row);
  BIND (duplicates_group);
  BIND (duplicates_list);
  BIND (samples_box);
  BIND (split_group);
  BIND (val_row);
  BIND (val_spin);
  BIND (seed_spin);
  BIND (new_seed_button);
  BIND (preprocessing_group);
  BIND (input_row);
  BIND (colour_row);
  BIND (resize_row);
  BIND (interpolation_row);
  BIND (scaling_row);
  BIND (scaling_model);
  BIND (normalisation_row);
  BIND (compute_row);
  BIND (compute_spinner);
  BIND (compute_button);
  BIND (mean_row);
  BIND (std_row);
  BIND_AS (mean_spins[0], "mean_spin0");
  BIND_AS (mean_spins[1], "mean_spin1");
  BIND_AS (mean_spins[2], "mean_spin2");
  BIND_AS (std_spins[0], "std_spin0");
  BIND_AS (std_spins[1], "std_spin1");
  BIND_AS (std_spins[2], "std_spin2");
  BIND (augmentation_group);
  BIND (hflip_switch);
  BIND (vflip_switch);
  BIND (shift_spin);
  BIND (rotation_spin);
  BIND (brightness_spin);
  BIND (contrast_spin);
  BIND (preview_caption);
  BIND (preview_grid);
  BIND (new_samples_button);
  BIND (weights_group);
  BIND (weights_row);
}

static void
connect_changed (CnvDataPage *self,
                 gpointer     widget,
                 const char  *signal,
                 GCallback    callback)
{
  g_signal_connect_object (widget, signal, callback, self,
                           G_CONNECT_SWAPPED);
}

static void
cnv_data_page_init (CnvDataPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->size_bars = g_array_new (FALSE, FALSE, sizeof (SizeBar));
  g_array_set_clear_func (self->size_bars, (GDestroyNotify) size_bar_clear);
  self->thumbnails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            g_object_unref);
  self->thumbnail_cancellable = g_cancellable_new ();
  self->preview_cancellable = g_cancellable_new ();
  self->preview_draw = 1;
  self->width = self->height = 28;
  self->channels = 1;

  gtk_drawing_area_set_draw_func (self->size_chart, draw_size_chart, self,
                                  NULL);
  adw_combo_row_set_selected (self->resize_row, CNV_RESIZE_STRETCH);
  adw_combo_row_set_selected (self->interpolation_row, 1);
  adw_combo_row_set_selected (self->scaling_row, SCALE_UNIT);
  adw_combo_row_set_selected (self->normalisation_row, NORMALISE_NONE);
  adw_combo_row_set_selected (self->weights_row, CNV_CLASS_WEIGHTS_NONE);

  connect_changed (self, self->colour_row, "notify::selected",
                   G_CALLBACK (colour_changed_cb));
  connect_changed (self, self->resize_row, "notify::selected",
                   G_CALLBACK (preprocessing_row_changed_cb));
  connect_changed (self, self->interpolation_row, "notify::selected",
                   G_CALLBACK (preprocessing_row_changed_cb));
  connect_changed (self, self->scaling_row, "notify::selected",
                   G_CALLBACK (preprocessing_row_changed_cb));
  connect_changed (self, self->normalisation_row, "notify::selected",
                   G_CALLBACK (preprocessing_row_changed_cb));
  for (int c = 0; c < 3; c++)
    {
      connect_changed (self, self->mean_spins[c], "value-changed",
                       G_CALLBACK (preprocessing_row_changed_cb));
      connect_changed (self, self->std_spins[c], "value-changed",
                       G_CALLBACK (preprocessing_row_changed_cb));
    }
  connect_changed (self, self->compute_button, "clicked",
                   G_CALLBACK (compute_clicked_cb));
  connect_changed (self, self->val_spin, "value-changed",
                   G_CALLBACK (split_changed_cb));
  connect_changed (self, self->seed_spin, "value-changed",
                   G_CALLBACK (split_changed_cb));
  connect_changed (self, self->new_seed_button, "clicked",
                   G_CALLBACK (new_seed_cb));
  connect_changed (self, self->hflip_switch, "notify::active",
                   G_CALLBACK (augmentation_changed_cb));
  connect_changed (self, self->vflip_switch, "notify::active",
                   G_CALLBACK (augmentation_changed_cb));
  connect_changed (self, self->shift_spin, "value-changed",
                   G_CALLBACK (augmentation_changed_cb));
  connect_changed (self, self->rotation_spin, "value-changed",
                   G_CALLBACK (augmentation_changed_cb));
  connect_changed (self, self->brightness_spin, "value-changed",
                   G_CALLBACK (augmentation_changed_cb));
  connect_changed (self, self->contrast_spin, "value-changed",
                   G_CALLBACK (augmentation_changed_cb));
  connect_changed (self, self->new_samples_button, "clicked",
                   G_CALLBACK (new_samples_cb));
  connect_changed (self, self->weights_row, "notify::selected",
                   G_CALLBACK (weights_changed_cb));

  update_locked (self);
  update_split (self);
  update_colour_subtitle (self);
  update_weights_subtitle (self);
}
