/* cnv-export.c — PNG and CSV files from the Classify page
 *
 * The one rule: a file is written to a temporary file beside it, flushed,
 * and renamed over the old one (g_file_set_contents_full ()), so a full
 * disk or a crash leaves what was there.  A view is drawn through its
 * GtkWidgetPaintable, which paints it with its CSS as on screen, onto the
 * window's background so the PNG is not transparent where the view is.
 */
#define G_LOG_DOMAIN "cnv-export"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "cnv-export.h"

gboolean
cnv_export_write_file (const char  *path,
                       const char  *contents,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *name = NULL;

  if (g_file_set_contents_full (path, contents, (gssize) length,
                                G_FILE_SET_CONTENTS_CONSISTENT
                                | G_FILE_SET_CONTENTS_DURABLE, 0666, &local))
    return TRUE;

  name = g_filename_display_name (path);
  if (strstr (local->message, name) != NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  else
    g_set_error (error, local->domain, local->code, _("“%s”: %s"), name,
                 local->message);

  return FALSE;
}

gboolean
cnv_export_widget_png (GtkWidget   *widget,
                       const char  *path,
                       GError     **error)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) png = NULL;
  GtkNative *native = gtk_widget_get_native (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA background;

  if (native == NULL || width <= 0 || height <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("There is nothing on screen to save."));
      return FALSE;
    }

  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget),
                                       "window_bg_color", &background))
    gdk_rgba_parse (&background, "#fafafa");

  snapshot = gtk_snapshot_new ();
  gtk_snapshot_append_color (snapshot, &background,
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  paintable = gtk_widget_paintable_new (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (native),
                                         node,
                                         &GRAPHENE_RECT_INIT (0, 0, width,
                                                              height));
  png = gdk_texture_save_to_png_bytes (texture);

  return cnv_export_write_file (path, g_bytes_get_data (png, NULL),
                                g_bytes_get_size (png), error);
}

typedef struct
{
  GtkWidget         *owner;
  CnvExportPathFunc  func;
} Chooser;

static void
chooser_free (Chooser *chooser)
{
  g_object_unref (chooser->owner);
  g_free (chooser);
}

static void
chosen_cb (GtkNativeDialog *native,
           int              response,
           Chooser         *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        chooser->func (chooser->owner, path);
    }

  g_object_unref (native);
}

void
cnv_export_choose_path (GtkWidget         *owner,
                        const char        *title,
                        const char        *suggested_name,
                        const char        *filter_name,
                        const char        *pattern,
                        CnvExportPathFunc  func)
{
  GtkFileChooserNative *native;
  Chooser *chooser = g_new0 (Chooser, 1);

  native = gtk_file_chooser_native_new (title,
                                        GTK_WINDOW (gtk_widget_get_root (owner)),
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native),
                                     suggested_name);
  if (filter_name != NULL)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, filter_name);
      gtk_file_filter_add_pattern (filter, pattern);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    }

  chooser->owner = g_object_ref (owner);
  chooser->func = func;
  g_signal_connect_data (native, "response", G_CALLBACK (chosen_cb), chooser,
                         (GClosureNotify) G_CALLBACK (chooser_free), 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

void
cnv_export_show_error (GtkWidget    *owner,
                       const char   *heading,
                       const char   *path,
                       const GError *error)
{
  g_autofree char *name = path != NULL ? g_filename_display_name (path)
                                       : NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (name != NULL && strstr (error->message, name) == NULL)
    body = g_strdup_printf (_("“%s”: %s"), name, error->message);
  else
    body = g_strdup (error->message);

  g_warning ("%s %s", heading, body);

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (owner)),
                                   heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close",
                                   _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
png_chosen_cb (GtkWidget  *widget,
               const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!cnv_export_widget_png (widget, path, &error))
    cnv_export_show_error (widget, _("Could Not Save Image"), path, error);
}

void
cnv_export_save_png (GtkWidget  *widget,
                     const char *title,
                     const char *suggested_name)
{
  cnv_export_choose_path (widget, title, suggested_name, _("PNG images"),
                          "*.png", png_chosen_cb);
}
