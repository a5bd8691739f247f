/* cnv-format.c — numbers and shapes as the app's labels show them
 *
 * The engine writes counts and shapes for display the same way for the
 * app and the command line; the app adds percentages, whose sign some
 * languages set apart with a no-break space.
 */
#define G_LOG_DOMAIN "cnv-format"

#include <glib/gi18n.h>

#include "cnv-format.h"

char *
cnv_format_count (guint64 count)
{
  return cnv_count_to_display_string (count);
}

char *
cnv_format_percent (double fraction,
                    int    decimals)
{
  g_autofree char *number = g_strdup_printf ("%.*f", decimals, 100.0 * fraction);

  /* Translators: a percentage, "93.8 %"; a no-break space may go before
   * the sign. */
  return g_strdup_printf (_("%s %%"), number);
}

char *
cnv_format_shape (const CnvShape *shape)
{
  return cnv_shape_to_display_string (shape);
}

char *
cnv_format_mnemonic_name (const char *path)
{
  g_autofree char *name = g_filename_display_basename (path);
  g_auto(GStrv) parts = g_strsplit (name, "_", -1);

  return g_strjoinv ("__", parts);
}
