/* cnv-format.c — numbers and shapes as the app's labels show them
 *
 * printf's "%'" groups thousands only when the locale says how, so under
 * the C locale (a test run, a minimal system) "1204769" came out bare.
 * Grouping by hand with the locale's separator, and a fallback when it
 * has none, reads the same everywhere.
 */
#define G_LOG_DOMAIN "cnv-format"

#include <langinfo.h>
#include <string.h>

#include "cnv-format.h"

static const char *
thousands_separator (void)
{
  const char *separator = nl_langinfo (THOUSEP);
  const char *radix = nl_langinfo (RADIXCHAR);

  if (separator != NULL && *separator != '\0')
    return separator;

  /* U+202F NARROW NO-BREAK SPACE: unambiguous where "," is decimal. */
  if (g_strcmp0 (radix, ",") == 0)
    return "\u202f";

  return ",";
}

char *
cnv_format_count (guint64 count)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, count);
  const char *separator = thousands_separator ();
  GString *out = g_string_new (NULL);
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append (out, separator);
      g_string_append_c (out, digits[i]);
    }

  return g_string_free (out, FALSE);
}

char *
cnv_format_shape (const CnvShape *shape)
{
  return cnv_shape_to_display_string (shape);
}
