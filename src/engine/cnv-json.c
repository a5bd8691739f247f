/* cnv-json.c — JSON text in and out, around json-glib 1.6's known faults
 *
 * Writing: json-glib's generator appends ".0" to any number whose text has
 * no decimal point, which turns 1e-08 into the invalid 1e-08.0, so we walk
 * the node tree and write the text ourselves.
 *
 * Reading: json-glib accepts more than JSON (single quotes, comments,
 * leading zeros), recurses without a limit, wraps integers above 2^63 and
 * keeps the last of two equal keys without a word.  So every document is
 * first proved to be plain RFC 8259 JSON by a small recogniser that builds
 * nothing and stops at CNV_JSON_MAX_DEPTH, and only then handed to
 * json-glib, whose "object-member" signal reveals a repeated key.
 */
#define G_LOG_DOMAIN "cnv-json"

#include "cnv-config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <inttypes.h>
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
          g_string_append_printf (out, "%" PRId64,
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

/* ---- reading: the strict recogniser ------------------------------------ */

/* A recursive-descent recogniser for RFC 8259 JSON.  It builds nothing;
 * it only proves that the text is plain JSON (json-glib also accepts
 * single quotes, comments and leading zeros), that it nests at most
 * CNV_JSON_MAX_DEPTH levels and that no integer is too long to parse exactly.
 * The recursion is bounded by the depth check. */
typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  int         depth;
  const char *problem;   /* static, untranslated until reported */
} Scan;

static gboolean scan_value (Scan *s);

static void
scan_ws (Scan *s)
{
  while (s->p < s->end
         && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
scan_fail (Scan       *s,
           const char *problem)
{
  s->problem = problem;
  return FALSE;
}

static gboolean
scan_string (Scan *s)
{
  if (s->p >= s->end || *s->p != '"')
    return scan_fail (s, N_("a string was expected"));
  s->p++;

  while (s->p < s->end)
    {
      guchar c = (guchar) *s->p;

      if (c == '"')
        {
          s->p++;
          return TRUE;
        }
      if (c < 0x20)
        return scan_fail (s, N_("a control character is inside a string"));
      if (c != '\\')
        {
          s->p++;
          continue;
        }

      s->p++;
      if (s->p >= s->end)
        break;
      if (*s->p == 'u')
        {
          guint value = 0;

          if (s->end - s->p < 5)
            break;
          for (int i = 1; i <= 4; i++)
            {
              int digit = g_ascii_xdigit_value (s->p[i]);

              if (digit < 0)
                return scan_fail (s, N_("a \\u escape is not followed by "
                                        "four hexadecimal digits"));
              value = value * 16 + (guint) digit;
            }
          if (value == 0)
            return scan_fail (s, N_("a string contains a NUL character"));
          s->p += 5;
        }
      else if (strchr ("\"\\/bfnrt", *s->p) != NULL && *s->p != '\0')
        s->p++;
      else
        return scan_fail (s, N_("a string contains an unknown escape"));
    }

  return scan_fail (s, N_("a string is not terminated"));
}

static gboolean
scan_digits (Scan *s,
             guint *count)
{
  const char *begin = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  *count = (guint) (s->p - begin);

  return *count > 0;
}

static gboolean
scan_number (Scan *s)
{
  guint digits;

  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    {
      s->p++;
      if (s->p < s->end && g_ascii_isdigit (*s->p))
        return scan_fail (s, N_("a number has a leading zero"));
    }
  else if (!scan_digits (s, &digits))
    return scan_fail (s, N_("a value was expected"));
  else if (digits > CNV_JSON_MAX_INTEGER_DIGITS)
    return scan_fail (s, N_("a number has too many digits to be read "
                            "exactly"));

  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (!scan_digits (s, &digits))
        return scan_fail (s, N_("a number has no digits after its point"));
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s, &digits))
        return scan_fail (s, N_("a number has no digits in its exponent"));
    }

  return TRUE;
}

static gboolean
scan_literal (Scan       *s,
              const char *word)
{
  gsize length = strlen (word);

  if ((gsize) (s->end - s->p) < length || memcmp (s->p, word, length) != 0)
    return scan_fail (s, N_("a value was expected"));
  s->p += length;

  return TRUE;
}

/* Objects and arrays share one loop: open, items separated by commas,
 * close.  An object item is a string, a colon and a value. */
static gboolean
scan_container (Scan *s,
                char  close)
{
  if (++s->depth > CNV_JSON_MAX_DEPTH)
    return scan_fail (s, N_("objects and arrays are nested too deeply"));
  s->p++;
  scan_ws (s);

  if (s->p < s->end && *s->p == close)
    {
      s->p++;
      s->depth--;
      return TRUE;
    }

  while (TRUE)
    {
      if (close == '}')
        {
          if (!scan_string (s))
            return FALSE;
          scan_ws (s);
          if (s->p >= s->end || *s->p != ':')
            return scan_fail (s, N_("a colon was expected"));
          s->p++;
          scan_ws (s);
        }
      if (!scan_value (s))
        return FALSE;
      scan_ws (s);

      if (s->p < s->end && *s->p == ',')
        {
          s->p++;
          scan_ws (s);
          continue;
        }
      if (s->p < s->end && *s->p == close)
        {
          s->p++;
          s->depth--;
          return TRUE;
        }

      return scan_fail (s, close == '}'
                           ? N_("a comma or a closing brace was expected")
                           : N_("a comma or a closing bracket was expected"));
    }
}

static gboolean
scan_value (Scan *s)
{
  if (s->p >= s->end)
    return scan_fail (s, N_("the text ends where a value was expected"));

  switch (*s->p)
    {
    case '{':
      return scan_container (s, '}');
    case '[':
      return scan_container (s, ']');
    case '"':
      return scan_string (s);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    default:
      return scan_number (s);
    }
}

/* ---- reading: the tree ------------------------------------------------ */

/* json-glib keeps the last of two equal keys without a word.  Its
 * "object-member" signal fires after each member is stored: when the
 * object did not grow, the member replaced an earlier one of that name.
 * Keys are compared after json-glib decoded their escapes, so "a\u0062"
 * and "ab" are caught too. */
typedef struct
{
  GHashTable *sizes;       /* JsonObject* → member count seen so far */
  char       *duplicate;   /* the first repeated key */
} DuplicateScan;

static void
object_member_cb (JsonParser *parser,
                  JsonObject *object,
                  const char *member_name,
                  gpointer    user_data)
{
  DuplicateScan *scan = user_data;
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (scan->sizes, object));
  guint size = json_object_get_size (object);

  if (size == seen && scan->duplicate == NULL)
    scan->duplicate = g_strdup (member_name);
  g_hash_table_insert (scan->sizes, object, GUINT_TO_POINTER (size));
}

G_DEFINE_QUARK (cnv-json-error-quark, cnv_json_error)

void
cnv_json_problem_clear (CnvJsonProblem *problem)
{
  g_clear_pointer (&problem->detail, g_free);
  g_clear_pointer (&problem->key, g_free);
}

static void
set_problem (CnvJsonProblem *problem,
             CnvJsonError    code,
             gsize           offset,
             char           *detail,
             char           *key)
{
  problem->code = code;
  problem->offset = offset;
  problem->detail = detail;
  problem->key = key;
}

/* Step 1: plain RFC 8259 text with an object at the top, within the depth
 * and integer limits. */
static gboolean
check_syntax (const char     *text,
              gsize           length,
              CnvJsonProblem *problem)
{
  Scan s = { text, text, text + length, 0, NULL };
  const char *invalid = NULL;

  if (!g_utf8_validate_len (text, length, &invalid))
    {
      set_problem (problem, CNV_JSON_ERROR_ENCODING,
                   (gsize) (invalid - text), NULL, NULL);
      return FALSE;
    }

  scan_ws (&s);
  if (s.p >= s.end || *s.p != '{')
    s.problem = N_("it must be a JSON object");
  else if (scan_value (&s))
    {
      scan_ws (&s);
      if (s.p < s.end)
        s.problem = N_("there is text after the object");
    }
  if (s.problem != NULL)
    {
      set_problem (problem, CNV_JSON_ERROR_SYNTAX, (gsize) (s.p - s.start),
                   g_strdup (_(s.problem)), NULL);
      return FALSE;
    }

  return TRUE;
}

/* Step 2: json-glib builds the tree of text that step 1 passed, and the
 * "object-member" signal catches a repeated key at any level. */
static JsonNode *
build_tree (const char     *text,
            gsize           length,
            CnvJsonProblem *problem)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  DuplicateScan dup = { NULL, NULL };
  gulong handler;
  gboolean ok;

  dup.sizes = g_hash_table_new (g_direct_hash, g_direct_equal);
  handler = g_signal_connect (parser, "object-member",
                              G_CALLBACK (object_member_cb), &dup);
  ok = json_parser_load_from_data (parser, text, (gssize) length,
                                   &local_error);
  g_signal_handler_disconnect (parser, handler);
  g_hash_table_unref (dup.sizes);

  if (!ok)
    {
      /* Not expected after step 1; json-glib's own words then. */
      g_free (dup.duplicate);
      set_problem (problem, CNV_JSON_ERROR_SYNTAX, 0,
                   g_strdup (local_error->message), NULL);
      return NULL;
    }
  if (dup.duplicate != NULL)
    {
      set_problem (problem, CNV_JSON_ERROR_DUPLICATE, 0, NULL,
                   dup.duplicate);
      return NULL;
    }

  return json_parser_steal_root (parser);
}

JsonNode *
cnv_json_parse_strict (const char     *text,
                       gsize           length,
                       CnvJsonProblem *problem)
{
  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (problem != NULL, NULL);

  memset (problem, 0, sizeof *problem);
  if (!check_syntax (text != NULL ? text : "", length, problem))
    return NULL;

  return build_tree (text, length, problem);
}

JsonNode *
cnv_json_parse (const char  *text,
                gssize       length,
                const char  *what,
                GError     **error)
{
  g_auto(CnvJsonProblem) problem = { 0 };
  JsonNode *node;
  gsize n;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (what != NULL, NULL);

  n = length < 0 ? strlen (text) : (gsize) length;
  node = cnv_json_parse_strict (text, n, &problem);
  if (node != NULL)
    return node;

  switch (problem.code)
    {
    case CNV_JSON_ERROR_ENCODING:
      g_set_error (error, CNV_JSON_ERROR, problem.code,
                   _("%s is not valid UTF-8 at byte offset %zu"),
                   what, problem.offset);
      break;
    case CNV_JSON_ERROR_DUPLICATE:
      g_set_error (error, CNV_JSON_ERROR, problem.code,
                   _("%s repeats the key “%s” in one object"),
                   what, problem.key);
      break;
    case CNV_JSON_ERROR_SYNTAX:
    default:
      g_set_error (error, CNV_JSON_ERROR, problem.code,
                   _("%s is not valid JSON at byte offset %zu"
                     ": %s"), what, problem.offset, problem.detail);
      break;
    }

  return NULL;
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
