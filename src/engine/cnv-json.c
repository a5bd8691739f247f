/* cnv-json.c — JSON text in and out, around json-glib 1.6's known faults
 *
 * Writing: json-glib's generator appends ".0" to any number whose text has
 * no decimal point, which turns 1e-08 into the invalid 1e-08.0.  We walk
 * the generated text once, outside strings only, and drop that ".0" after
 * an exponent.  Reading: we measure the nesting depth of the raw text,
 * skipping strings, before json-glib sees it.
 */
#define G_LOG_DOMAIN "cnv-json"

#include "cnv-config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnv-json.h"

/* Drops the ".0" that json-glib 1.6 appends to "1e-08". */
static void
repair_exponents (GString *text)
{
  gboolean in_string = FALSE;
  gboolean in_exponent = FALSE;
  gsize i = 0;

  while (i < text->len)
    {
      char c = text->str[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          i++;
          continue;
        }

      if (c == '"')
        {
          in_string = TRUE;
          in_exponent = FALSE;
        }
      else if (c == 'e' || c == 'E')
        {
          in_exponent = TRUE;
        }
      else if (in_exponent && c == '.')
        {
          gsize end = i + 1;

          while (end < text->len && g_ascii_isdigit (text->str[end]))
            end++;
          g_string_erase (text, i, end - i);
          in_exponent = FALSE;
          continue;
        }
      else if (!g_ascii_isdigit (c) && c != '+' && c != '-')
        {
          in_exponent = FALSE;
        }
      i++;
    }
}

char *
cnv_json_to_string (JsonNode *node,
                    gboolean  pretty)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *raw = NULL;
  GString *text;

  g_return_val_if_fail (node != NULL, NULL);

  generator = json_generator_new ();
  json_generator_set_pretty (generator, pretty);
  json_generator_set_root (generator, node);
  raw = json_generator_to_data (generator, NULL);

  text = g_string_new (raw);
  repair_exponents (text);

  return g_string_free (text, FALSE);
}

/* The deepest nesting of arrays and objects in text, outside strings. */
static guint
measure_depth (const char *text,
               gsize       length)
{
  gboolean in_string = FALSE;
  guint depth = 0;
  guint deepest = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        {
          in_string = TRUE;
        }
      else if (c == '[' || c == '{')
        {
          depth++;
          deepest = MAX (deepest, depth);
        }
      else if ((c == ']' || c == '}') && depth > 0)
        {
          depth--;
        }
    }

  return deepest;
}

JsonNode *
cnv_json_parse (const char  *text,
                gssize       length,
                const char  *what,
                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize n;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (what != NULL, NULL);

  n = length < 0 ? strlen (text) : (gsize) length;

  if (measure_depth (text, n) > CNV_JSON_MAX_DEPTH)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   _("%s is nested more than %d levels deep"),
                   what, CNV_JSON_MAX_DEPTH);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize) n, &local_error))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   _("%s is not valid JSON: %s"),
                   what, local_error->message);
      return NULL;
    }

  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   _("%s is empty"), what);
      return NULL;
    }

  return json_parser_steal_root (parser);
}

double
cnv_json_float (float value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return value;

  /* Six to nine significant digits: the first that reads back exactly. */
  for (int digits = 6; digits <= 9; digits++)
    {
      double candidate;

      g_snprintf (buffer, sizeof buffer, "%.*g", digits, (double) value);
      candidate = g_ascii_strtod (buffer, NULL);
      if ((float) candidate == value)
        return candidate;
    }

  return value;
}
