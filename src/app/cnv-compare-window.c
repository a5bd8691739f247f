/* cnv-compare-window.c — any two checkpoints side by side
 *
 * The same diff view as the one before opening, in its comparison
 * form: every training setting of both runs, their curves on one chart
 * and how far each layer's weights moved from one file to the other.
 */
#define G_LOG_DOMAIN "cnv-compare-window"

#include <glib/gi18n.h>

#include "cnv-compare-window.h"

struct _CnvCompareWindow
{
  AdwWindow       parent_instance;

  /* template children */
  AdwWindowTitle *window_title;
  CnvDiffView    *diff_view;
};

G_DEFINE_FINAL_TYPE (CnvCompareWindow, cnv_compare_window, ADW_TYPE_WINDOW)

/* The titles name the two files in the order shown. */
static void
update_titles (CnvCompareWindow *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *title = NULL;
  const CnvModelRecord *a = cnv_diff_view_get_record (self->diff_view, FALSE);
  const CnvModelRecord *b = cnv_diff_view_get_record (self->diff_view, TRUE);

  /* Translators: the two files compared, "a.convolve ↔ b.convolve". */
  subtitle = g_strdup_printf (_("%s ↔ %s"), a->label, b->label);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  title = g_strdup_printf (_("Compare %s"), subtitle);
  gtk_window_set_title (GTK_WINDOW (self), title);
}

/* The first side reads as the earlier one ("moved from … to …"): the
 * user decides which that is. */
static void
swap_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CnvCompareWindow *self = CNV_COMPARE_WINDOW (widget);

  cnv_diff_view_swap (self->diff_view);
  update_titles (self);
}

static void
cnv_compare_window_class_init (CnvCompareWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_type_ensure (CNV_TYPE_DIFF_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-compare-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CnvCompareWindow,
                                        window_title);
  gtk_widget_class_bind_template_child (widget_class, CnvCompareWindow,
                                        diff_view);
  gtk_widget_class_install_action (widget_class, "compare.swap", NULL,
                                   swap_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w,
                                       GDK_CONTROL_MASK, "window.close",
                                       NULL);
}

static void
cnv_compare_window_init (CnvCompareWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CnvCompareWindow *
cnv_compare_window_new (GtkApplication *application,
                        CnvModelRecord *a,
                        CnvModelRecord *b)
{
  CnvCompareWindow *self;

  g_return_val_if_fail (a != NULL && b != NULL, NULL);

  self = g_object_new (CNV_TYPE_COMPARE_WINDOW, "application", application,
                       NULL);
  cnv_diff_view_set_diff (self->diff_view, a, b, cnv_diff_new (a, b), TRUE);
  update_titles (self);

  return self;
}

CnvDiffView *
cnv_compare_window_get_diff_view (CnvCompareWindow *self)
{
  return self->diff_view;
}
