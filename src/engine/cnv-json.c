/* cnv-json.c — JSON text in and out, around json-glib 1.6's known faults
 *
 * Writing: json-glib's generator appends ".0" to any number whose text has
 * no decimal point, which turns 1e-08 into the invalid 1e-08.0, so we walk
 * the node tree and write the text ourselves.  Reading: we measure the
 * nesting depth of the raw text, skipping strings, before json-glib sees
 * it.
 */
#define G_LOG_DOMAIN "cnv-json"

#include "cnv-config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnv-json.h"

/* json-glib 1.6 writes 1e-300 as "1e-300.0" and NaN as "nan.0", neither
 * of which is JSON; every document is therefore written here.
 * Doubles use the shortest of %.15g, %.16g and %.17g that reads back
 * exactly; NaN and infinities become null. */
static void
append_double (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  static const char *formats[] = { "%.15g", "%.16g", "%.17g" };

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buffer, sizeof buffer, formats[i], value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
  if (strpbrk (buffer, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
append_string (GString    *out,
               const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
append_newline (GString *out,
                int      indent)
{
  if (indent < 0)
    return;
  g_string_append_c (out, '\n');
  for (int i = 0; i < indent; i++)
    g_string_append (out, "  ");
}

/* indent < 0: compact; otherwise pretty, at this nesting level. */
static void
append_node (GString  *out,
             JsonNode *node,
             int       indent)
{
  int inner = indent < 0 ? -1 : indent + 1;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);

        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            if (l != members)
              g_string_append_c (out, ',');
            append_newline (out, inner);
            append_string (out, l->data);
            g_string_append (out, indent < 0 ? ":" : ": ");
            append_node (out, json_object_get_member (object, l->data),
                         inner);
          }
        if (members != NULL)
          append_newline (out, indent);
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            append_newline (out, inner);
            append_node (out, json_array_get_element (array, i), inner);
          }
        if (n > 0)
          append_newline (out, indent);
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT,
                                  json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true"
                                                             : "false");
          break;
        case G_TYPE_STRING:
          append_string (out, json_node_get_string (node));
          break;
        default:
          g_string_append (out, "null");
          break;
        }
      break;

    default:
      g_assert_not_reached ();
    }
}

char *
cnv_json_to_string (JsonNode *node,
                    gboolean  pretty)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  append_node (out, node, pretty ? 0 : -1);

  return g_string_free (out, FALSE);
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
