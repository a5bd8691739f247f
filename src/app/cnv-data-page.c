/* cnv-data-page.c — the Data page
 *
 * Shows one of three states: no folder yet (the start view: what to do
 * in three lines, the sample, win.choose-folder and the recent
 * checkpoints), a folder being read, or the folder with a row per
 * class and an expander listing the files that were skipped and why.  The
 * page holds no dataset: the window hands it one to draw and keeps it.
 */
#define G_LOG_DOMAIN "cnv-data-page"

#include <glib/gi18n.h>

#include "cnv-data-page.h"

struct _CnvDataPage
{
  AdwBin parent_instance;

  /* template children */
  GtkStack       *stack;
  AdwStatusPage  *loading_page;
  GtkSpinner     *loading_spinner;
  AdwActionRow   *folder_row;
  GtkListBox     *class_list;
  AdwStatusPage  *start_page;
  GtkWidget      *recent_group;
  GtkListBox     *recent_list;

  /* borrowed from class_list */
  AdwActionRow   *class_rows[2];
  AdwExpanderRow *skipped_row;
};

G_DEFINE_FINAL_TYPE (CnvDataPage, cnv_data_page, ADW_TYPE_BIN)

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

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

static GtkWidget *
new_skipped_row (const CnvDataset *dataset)
{
  GtkWidget *expander = adw_expander_row_new ();
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

  for (guint i = 0; i < dataset->skipped->len; i++)
    {
      CnvSkippedFile *file = g_ptr_array_index (dataset->skipped, i);
      g_autofree char *name = g_filename_display_basename (file->path);
      GtkWidget *row = adw_action_row_new ();

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
  self->class_rows[0] = self->class_rows[1] = NULL;
  self->skipped_row = NULL;
}

void
cnv_data_page_show_loading (CnvDataPage *self,
                            const char  *folder)
{
  g_return_if_fail (CNV_IS_DATA_PAGE (self));

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

  g_return_if_fail (CNV_IS_DATA_PAGE (self));

  clear_rows (self);
  gtk_spinner_stop (self->loading_spinner);

  if (dataset == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  name = g_filename_display_basename (dataset->folder);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->folder_row), name);
  adw_action_row_set_subtitle (self->folder_row, dataset->folder);

  for (guint i = 0; i < 2; i++)
    {
      GtkWidget *row = new_class_row (dataset, i);

      self->class_rows[i] = ADW_ACTION_ROW (row);
      gtk_list_box_append (self->class_list, row);
    }

  if (dataset->skipped != NULL && dataset->skipped->len > 0)
    {
      GtkWidget *row = new_skipped_row (dataset);

      self->skipped_row = ADW_EXPANDER_ROW (row);
      gtk_list_box_append (self->class_list, row);
    }

  gtk_stack_set_visible_child_name (self->stack, "loaded");
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

static void
cnv_data_page_class_init (CnvDataPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /* AdwBin unparents its child, the template's root, when disposed;
   * gtk_widget_dispose_template () would unparent it a second time. */
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/convolve/Convolve/cnv-data-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage, stack);
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage,
                                        loading_page);
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage,
                                        loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage,
                                        folder_row);
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage,
                                        class_list);
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage,
                                        start_page);
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage,
                                        recent_group);
  gtk_widget_class_bind_template_child (widget_class, CnvDataPage,
                                        recent_list);
}

static void
cnv_data_page_init (CnvDataPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
