/* cnv-classify-page.c — the Classify page
 *
 * An invitation to drop or choose an image, or the prediction for the
 * last one: the file and what the network saw side by side, the class
 * with its probability, and notes on every conversion preprocessing made
 * on the way.  The window runs the prediction; the page only draws it.
 *
 * The one idea: small images are scaled up here with nearest neighbour,
 * by a whole factor, before GtkPicture sees them, so a 28 × 28 image
 * shows its pixels instead of a blur; larger ones are left to GtkPicture's
 * linear filtering.
 */
#define G_LOG_DOMAIN "cnv-classify-page"

#include <math.h>

#include <glib/gi18n.h>

#include "cnv-classify-page.h"
#include "cnv-format.h"
#include "cnv-texture.h"

/* Both pictures are drawn at least this many pixels wide. */
#define PREVIEW_SIZE 192

struct _CnvClassifyPage
{
  AdwBin parent_instance;

  /* template children */
  GtkStack      *stack;
  AdwStatusPage *status;
  GtkPicture    *original_picture;
  GtkPicture    *input_picture;
  GtkLabel      *input_caption;
  GtkLabel      *class_label;
  GtkLabel      *probability_label;
  GtkWidget     *verdict_box;
  GtkImage      *verdict_icon;
  GtkLabel      *verdict_label;
  GtkLevelBar   *probability_bar;
  GtkLabel      *detail_label;
  GtkListBox    *notes_list;
};

G_DEFINE_FINAL_TYPE (CnvClassifyPage, cnv_classify_page, ADW_TYPE_BIN)

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

/* When the image sits in a folder named after one of c's classes, as in
 * an image folder laid out for training, that folder is its true class:
 * says whether the prediction agrees.  Hidden otherwise. */
static void
show_verdict (CnvClassifyPage     *self,
              const CnvClassifier *c,
              const char          *path,
              int                  predicted)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *folder_name = g_path_get_basename (folder);
  g_autofree char *text = NULL;
  int truth = -1;
  gboolean correct;

  for (int i = 0; i < 2; i++)
    if (g_strcmp0 (folder_name, c->class_names[i]) == 0)
      truth = i;

  gtk_widget_set_visible (self->verdict_box, truth >= 0);
  if (truth < 0)
    return;

  correct = truth == predicted;
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

void
cnv_classify_page_show_refusal (CnvClassifyPage *self)
{
  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  adw_status_page_set_title (self->status, _("No Trained Model Yet"));
  adw_status_page_set_description (self->status,
                                   _("Train a model on the Train page or "
                                     "open a checkpoint, then drop the "
                                     "image again."));
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

void
cnv_classify_page_show_prediction (CnvClassifyPage     *self,
                                   const CnvClassifier *c,
                                   const char          *path,
                                   double               probability,
                                   const CnvImage      *image,
                                   GdkTexture          *thumbnail)
{
  gboolean positive = probability >= c->threshold;
  double shown = positive ? probability : 1.0 - probability;
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *percent = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *caption = NULL;
  g_autoptr(GdkTexture) input = NULL;

  g_return_if_fail (CNV_IS_CLASSIFY_PAGE (self));

  percent = cnv_format_percent (shown, 1);
  /* Translators: file name, positive class, its probability. */
  detail = g_strdup_printf (_("%s — probability of “%s”: %.4f"),
                            name, c->class_names[1], probability);
  gtk_label_set_label (self->class_label, c->class_names[positive ? 1 : 0]);
  gtk_label_set_label (self->probability_label, percent);
  gtk_level_bar_set_value (self->probability_bar, shown);
  gtk_label_set_label (self->detail_label, detail);

  input = cnv_texture_new_for_image (image, PREVIEW_SIZE);
  gtk_picture_set_paintable (self->original_picture,
                             GDK_PAINTABLE (thumbnail));
  gtk_picture_set_paintable (self->input_picture, GDK_PAINTABLE (input));
  caption = g_strdup_printf (_("What the network saw, %d × %d"),
                             image->width, image->height);
  gtk_label_set_label (self->input_caption, caption);

  show_verdict (self, c, path, positive ? 1 : 0);
  show_notes (self, image, &c->preprocessing);
  gtk_stack_set_visible_child_name (self->stack, "result");
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

static void
cnv_classify_page_class_init (CnvClassifyPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /* AdwBin unparents its child, the template's root, when disposed;
   * gtk_widget_dispose_template () would unparent it a second time. */
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-classify-page.ui");

#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvClassifyPage, name)
  BIND (stack);
  BIND (status);
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
#undef BIND
}

static void
cnv_classify_page_init (CnvClassifyPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
