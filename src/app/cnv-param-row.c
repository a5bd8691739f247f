/* cnv-param-row.c — one numeric parameter of the selected layer
 *
 * The spin button's own undo is off, and its undo keys are caught before
 * its text sees them (which, undo or not, keeps Ctrl+Z): inside it
 * Ctrl+Z is the editor's undo, which takes back the whole edit.
 */
#define G_LOG_DOMAIN "cnv-param-row"

#include "cnv-param-row.h"

struct _CnvParamRow
{
  AdwActionRow   parent_instance;

  /* template children */
  GtkSpinButton *spin;
};

G_DEFINE_FINAL_TYPE (CnvParamRow, cnv_param_row, ADW_TYPE_ACTION_ROW)

/* Rates, slopes and epsilons: "0.5", "0.01", "1e-05" rather than a fixed
 * count of decimals that rounds small values to zero. */
static gboolean
spin_output_cb (GtkSpinButton *spin,
                gpointer       user_data)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buffer, sizeof buffer, "%g",
                   gtk_spin_button_get_value (spin));
  if (g_strcmp0 (buffer, gtk_editable_get_text (GTK_EDITABLE (spin))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), buffer);

  return TRUE;
}

static int
spin_input_cb (GtkSpinButton *spin,
               double        *value,
               gpointer       user_data)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  char *end = NULL;

  *value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    return GTK_INPUT_ERROR;

  return TRUE;
}

void
cnv_param_row_pass_undo_keys (GtkSpinButton *spin)
{
  static const struct { guint key; GdkModifierType mods; const char *action; } keys[] = {
    { GDK_KEY_z, GDK_CONTROL_MASK, "editor.undo" },
    { GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "editor.redo" },
    { GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "editor.redo" },
    { GDK_KEY_y, GDK_CONTROL_MASK, "editor.redo" },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  g_return_if_fail (GTK_IS_SPIN_BUTTON (spin));

  gtk_editable_set_enable_undo (GTK_EDITABLE (spin), FALSE);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
      gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, keys[i].mods),
                        gtk_named_action_new (keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (spin), controller);
}

static void
cnv_param_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CNV_TYPE_PARAM_ROW);

  G_OBJECT_CLASS (cnv_param_row_parent_class)->dispose (object);
}

static void
cnv_param_row_class_init (CnvParamRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_param_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-param-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CnvParamRow, spin);
}

static void
cnv_param_row_init (CnvParamRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cnv_param_row_pass_undo_keys (self->spin);
}

GtkWidget *
cnv_param_row_new (const char *title,
                   double      lower,
                   double      upper,
                   double      step,
                   guint       digits)
{
  CnvParamRow *self = g_object_new (CNV_TYPE_PARAM_ROW, "title", title, NULL);
  GtkAdjustment *adjustment = gtk_spin_button_get_adjustment (self->spin);

  gtk_adjustment_configure (adjustment, lower, lower, upper, step, step * 10,
                            0);
  gtk_spin_button_set_digits (self->spin, digits);
  if (digits > 0)
    {
      /* A numeric spin button refuses the "e" of "1e-05". */
      gtk_spin_button_set_numeric (self->spin, FALSE);
      g_signal_connect (self->spin, "output", G_CALLBACK (spin_output_cb),
                        NULL);
      g_signal_connect (self->spin, "input", G_CALLBACK (spin_input_cb), NULL);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);

  return GTK_WIDGET (self);
}

GtkSpinButton *
cnv_param_row_get_spin (CnvParamRow *self)
{
  g_return_val_if_fail (CNV_IS_PARAM_ROW (self), NULL);

  return self->spin;
}
