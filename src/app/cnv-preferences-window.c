/* cnv-preferences-window.c — the Preferences window
 *
 * Every control writes its setting as soon as it changes: the thread
 * count takes effect at once (the application listens), the training
 * options are what a new window proposes on its Train page.
 */
#define G_LOG_DOMAIN "cnv-preferences"

#include <math.h>
#include <glib/gi18n.h>

#include "cnv-preferences-window.h"

struct _CnvPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* template children */
  GtkSpinButton *threads_spin;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *batch_spin;
  GtkSpinButton *rate_spin;
  AdwComboRow   *optimizer_row;
  GtkSwitch     *save_best_switch;

  /* owned */
  GSettings     *settings;
};

G_DEFINE_FINAL_TYPE (CnvPreferencesWindow, cnv_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

/* The spin buttons hold doubles; the integer keys get rounded values. */
static gboolean
get_int_mapping (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_int32 (variant));

  return TRUE;
}

static GVariant *
set_int_mapping (const GValue       *value,
                 const GVariantType *expected_type,
                 gpointer            user_data)
{
  return g_variant_new_int32 ((gint32) round (g_value_get_double (value)));
}

/* The combo row's position follows the enum's values: adam 0, sgd 1. */
static gboolean
get_enum_mapping (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  g_value_set_uint (value, g_str_equal (nick, "sgd") ? 1 : 0);

  return TRUE;
}

static GVariant *
set_enum_mapping (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  return g_variant_new_string (g_value_get_uint (value) == 1 ? "sgd" : "adam");
}

static void
bind_int (CnvPreferencesWindow *self,
          const char           *key,
          GtkSpinButton        *spin)
{
  g_settings_bind_with_mapping (self->settings, key,
                                gtk_spin_button_get_adjustment (spin), "value",
                                G_SETTINGS_BIND_DEFAULT,
                                get_int_mapping, set_int_mapping, NULL, NULL);
}

static void
cnv_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object),
                               CNV_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (cnv_preferences_window_parent_class)->dispose (object);
}

static void
cnv_preferences_window_finalize (GObject *object)
{
  CnvPreferencesWindow *self = CNV_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cnv_preferences_window_parent_class)->finalize (object);
}

static void
cnv_preferences_window_class_init (CnvPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cnv_preferences_window_dispose;
  object_class->finalize = cnv_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-preferences-window.ui");
#define BIND(name) \
  gtk_widget_class_bind_template_child (widget_class, CnvPreferencesWindow, \
                                        name)
  BIND (threads_spin);
  BIND (epochs_spin);
  BIND (batch_spin);
  BIND (rate_spin);
  BIND (optimizer_row);
  BIND (save_best_switch);
#undef BIND
}

static void
cnv_preferences_window_init (CnvPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CnvPreferencesWindow *
cnv_preferences_window_new (GSettings *settings)
{
  CnvPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (CNV_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);

  bind_int (self, "default-threads", self->threads_spin);
  bind_int (self, "epochs", self->epochs_spin);
  bind_int (self, "batch-size", self->batch_spin);
  g_settings_bind (settings, "learning-rate",
                   gtk_spin_button_get_adjustment (self->rate_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "optimizer",
                                self->optimizer_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                get_enum_mapping, set_enum_mapping,
                                NULL, NULL);
  g_settings_bind (settings, "save-best", self->save_best_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  return self;
}

GtkSpinButton *
cnv_preferences_window_get_threads_spin (CnvPreferencesWindow *self)
{
  return self->threads_spin;
}

GtkSpinButton *
cnv_preferences_window_get_epochs_spin (CnvPreferencesWindow *self)
{
  return self->epochs_spin;
}

AdwComboRow *
cnv_preferences_window_get_optimizer_row (CnvPreferencesWindow *self)
{
  return self->optimizer_row;
}
