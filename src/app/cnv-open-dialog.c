/* cnv-open-dialog.c — what opening a checkpoint would change, shown
 * before anything is replaced
 *
 * The window asks this dialog only when the checkpoint's stack,
 * preprocessing or classes differ from what is on screen, or when the
 * checkpoint cannot run as it is.  Nothing happens until the user picks
 * one of three answers; closing the dialog is Cancel.
 */
#define G_LOG_DOMAIN "cnv-open-dialog"

#include <glib/gi18n.h>

#include "cnv-open-dialog.h"

struct _CnvOpenDialog
{
  AdwWindow       parent_instance;

  /* template children */
  AdwWindowTitle *window_title;
  CnvDiffView    *diff_view;
  GtkLabel       *reason_label;
  GtkWidget      *cancel_button;
  GtkWidget      *load_button;
  GtkWidget      *open_button;

  /* state */
  gboolean        responded;
};

G_DEFINE_FINAL_TYPE (CnvOpenDialog, cnv_open_dialog, ADW_TYPE_WINDOW)

enum {
  RESPONSE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
cnv_open_dialog_respond (CnvOpenDialog *self,
                         const char    *response)
{
  g_return_if_fail (CNV_IS_OPEN_DIALOG (self));

  if (self->responded)
    return;

  self->responded = TRUE;
  g_object_ref (self);
  g_signal_emit (self, signals[RESPONSE], 0, response);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

static void
open_clicked_cb (CnvOpenDialog *self)
{
  cnv_open_dialog_respond (self, "open");
}

static void
load_clicked_cb (CnvOpenDialog *self)
{
  cnv_open_dialog_respond (self, "load-matching");
}

static void
cancel_clicked_cb (CnvOpenDialog *self)
{
  cnv_open_dialog_respond (self, "cancel");
}

static gboolean
cnv_open_dialog_close_request (GtkWindow *window)
{
  CnvOpenDialog *self = CNV_OPEN_DIALOG (window);

  if (!self->responded)
    {
      self->responded = TRUE;
      g_signal_emit (self, signals[RESPONSE], 0, "cancel");
    }

  return GTK_WINDOW_CLASS (cnv_open_dialog_parent_class)->close_request (window);
}

static void
cnv_open_dialog_class_init (CnvOpenDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  window_class->close_request = cnv_open_dialog_close_request;

  /**
   * CnvOpenDialog::response:
   * @response: "open", "load-matching" or "cancel"
   */
  signals[RESPONSE] = g_signal_new ("response", G_TYPE_FROM_CLASS (klass),
                                    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (CNV_TYPE_DIFF_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-open-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CnvOpenDialog,
                                        window_title);
  gtk_widget_class_bind_template_child (widget_class, CnvOpenDialog,
                                        diff_view);
  gtk_widget_class_bind_template_child (widget_class, CnvOpenDialog,
                                        reason_label);
  gtk_widget_class_bind_template_child (widget_class, CnvOpenDialog,
                                        cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CnvOpenDialog,
                                        load_button);
  gtk_widget_class_bind_template_child (widget_class, CnvOpenDialog,
                                        open_button);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0,
                                       "window.close", NULL);
}

static void
cnv_open_dialog_init (CnvOpenDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (self->open_button, "clicked",
                            G_CALLBACK (open_clicked_cb), self);
  g_signal_connect_swapped (self->load_button, "clicked",
                            G_CALLBACK (load_clicked_cb), self);
  g_signal_connect_swapped (self->cancel_button, "clicked",
                            G_CALLBACK (cancel_clicked_cb), self);
}

/* Why a choice is not offered, in one or two sentences. */
static char *
describe_limits (const CnvModelRecord *screen,
                 const CnvModelRecord *file,
                 const CnvDiff        *diff,
                 gboolean              can_open,
                 gboolean              can_load)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (!can_open)
    /* Translators: %s is the engine's reason, a whole sentence. */
    g_string_append_printf (text, _("It cannot be opened as it is: %s"),
                            file->run_problem);
  if (!can_load)
    {
      if (text->len > 0)
        g_string_append_c (text, ' ');
      if (!file->has_weights)
        g_string_append (text, _("A model description holds no weights to "
                                 "load."));
      else if (!screen->runnable)
        g_string_append (text, _("The stack on screen has problems, so no "
                                 "weights can be loaded into it."));
      else if (diff->n_tensors_loadable == 0)
        g_string_append (text, _("None of its tensors fits the stack on "
                                 "screen."));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

CnvOpenDialog *
cnv_open_dialog_new (GtkWindow      *parent,
                     CnvModelRecord *screen,
                     CnvModelRecord *file,
                     const char     *sample_image)
{
  CnvOpenDialog *self;
  CnvDiff *diff;
  g_autofree char *limits = NULL;
  GtkWidget *default_button = NULL;
  gboolean can_open;
  gboolean can_load;

  g_return_val_if_fail (screen != NULL && file != NULL, NULL);

  self = g_object_new (CNV_TYPE_OPEN_DIALOG, "transient-for", parent, NULL);
  diff = cnv_diff_new (screen, file);
  can_open = file->runnable;
  can_load = file->has_weights && screen->runnable
             && diff->n_tensors_loadable > 0;

  adw_window_title_set_subtitle (self->window_title, file->label);
  gtk_window_set_title (GTK_WINDOW (self), _("What Opening Would Change"));
  cnv_diff_view_set_diff (self->diff_view, screen, file, diff, FALSE);
  cnv_diff_view_set_sample_image (self->diff_view, sample_image);

  gtk_widget_set_sensitive (self->open_button, can_open);
  gtk_widget_set_sensitive (self->load_button, can_load);
  limits = describe_limits (screen, file, diff, can_open, can_load);
  gtk_label_set_label (self->reason_label, limits);

  /* The safe default: the most the file can give as it is.  It has the
   * focus too, so that Return takes it and Tab goes on from there. */
  if (can_open)
    default_button = self->open_button;
  else if (can_load)
    default_button = self->load_button;
  if (default_button != NULL)
    {
      gtk_window_set_default_widget (GTK_WINDOW (self), default_button);
      gtk_window_set_focus (GTK_WINDOW (self), default_button);
    }

  return self;
}

void
cnv_open_dialog_set_classes_explanation (CnvOpenDialog *self,
                                         const char    *text)
{
  g_return_if_fail (CNV_IS_OPEN_DIALOG (self));

  cnv_diff_view_set_classes_explanation (self->diff_view, text);
}

CnvDiffView *
cnv_open_dialog_get_diff_view (CnvOpenDialog *self)
{
  return self->diff_view;
}

gboolean
cnv_open_dialog_can_open (CnvOpenDialog *self)
{
  return gtk_widget_get_sensitive (self->open_button);
}

gboolean
cnv_open_dialog_can_load_matching (CnvOpenDialog *self)
{
  return gtk_widget_get_sensitive (self->load_button);
}
