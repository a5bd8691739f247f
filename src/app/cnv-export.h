/* cnv-export.h — saving what the Classify page shows: a view as PNG, the
 * list as CSV, always whole or not at all */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Draws widget as it is on screen, on the window's background colour,
 * into a PNG file at path (a temporary file renamed over it). */
gboolean cnv_export_widget_png (GtkWidget    *widget,
                                const char   *path,
                                GError      **error);
/* Writes contents to path through a temporary file renamed over it; the
 * error names the file. */
gboolean cnv_export_write_file (const char   *path,
                                const char   *contents,
                                gsize         length,
                                GError      **error);

typedef void (*CnvExportPathFunc) (GtkWidget  *owner,
                                   const char *path);

/* A modal save dialog over owner's window suggesting name; func receives
 * the chosen path.  filter_name and pattern ("*.png") may be NULL. */
void     cnv_export_choose_path (GtkWidget         *owner,
                                 const char        *title,
                                 const char        *suggested_name,
                                 const char        *filter_name,
                                 const char        *pattern,
                                 CnvExportPathFunc  func);
/* An AdwMessageDialog with heading and the error, naming path when the
 * message does not already; logged once. */
void     cnv_export_show_error  (GtkWidget         *owner,
                                 const char        *heading,
                                 const char        *path,
                                 const GError      *error);
/* Asks where, then saves widget as PNG, showing a failure. */
void     cnv_export_save_png    (GtkWidget         *widget,
                                 const char        *title,
                                 const char        *suggested_name);

G_END_DECLS
