/* test-json.c — JSON text around json-glib 1.6's faults */
#include <json-glib/json-glib.h>

#include "cnv.h"

static void
test_exponents_read_back (void)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const double values[] = { 1e-08, 1e+20, 1e-5, 0.001, 3.0, -2.5e-7 };
  JsonObject *object;

  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i);

      json_builder_set_member_name (builder, key);
      json_builder_add_double_value (builder, values[i]);
    }
  /* A string that looks like the fault must stay as it is. */
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, "1e-08.0 \"2e5.0\"");
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  text = cnv_json_to_string (root, FALSE);
  g_assert_null (strstr (text, "e-08.0,"));

  parsed = cnv_json_parse (text, -1, "the test document", &error);
  g_assert_no_error (error);
  object = json_node_get_object (parsed);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i);

      g_assert_cmpfloat (json_object_get_double_member (object, key), ==,
                         values[i]);
    }
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==,
                   "1e-08.0 \"2e5.0\"");
}

static void
test_deep_nesting_refused (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  g_string_append (text, "{\"a\": ");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (text, '[');
  for (int i = 0; i < 100000; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');

  node = cnv_json_parse (text->str, (gssize) text->len, "the deep document",
                         &error);
  g_assert_null (node);
  g_assert_error (error, CNV_JSON_ERROR, CNV_JSON_ERROR_SYNTAX);
  g_assert_nonnull (strstr (error->message, "the deep document"));
  g_assert_nonnull (strstr (error->message, "nested"));
}

static void
test_brackets_in_strings_do_not_count (void)
{
  g_autoptr(GString) text = g_string_new ("{\"a\": \"");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  for (int i = 0; i < 1000; i++)
    g_string_append (text, "[{");
  g_string_append (text, "\\\"\"}");

  node = cnv_json_parse (text->str, -1, "a document", &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
}

/* The deepest document allowed parses; one level more does not. */
static void
test_depth_limit_exact (void)
{
  g_autoptr(GString) text = g_string_new ("{\"a\":");
  g_auto(CnvJsonProblem) problem = { 0 };
  g_autoptr(JsonNode) node = NULL;
  JsonNode *too_deep;

  /* The object is level 1; 63 arrays make 64 levels. */
  for (int i = 1; i < CNV_JSON_MAX_DEPTH; i++)
    g_string_append_c (text, '[');
  for (int i = 1; i < CNV_JSON_MAX_DEPTH; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  node = cnv_json_parse_strict (text->str, text->len, &problem);
  g_assert_nonnull (node);

  g_string_insert (text, 5, "[");
  g_string_insert (text, text->len - 1, "]");
  too_deep = cnv_json_parse_strict (text->str, text->len, &problem);
  g_assert_null (too_deep);
  g_assert_cmpint (problem.code, ==, CNV_JSON_ERROR_SYNTAX);
  /* The scan stops at the opening bracket of level 65. */
  g_assert_cmpuint (problem.offset, ==, 5 + CNV_JSON_MAX_DEPTH - 1);
  g_assert_nonnull (strstr (problem.detail, "nested too deeply"));
}

static void
assert_duplicate (const char *text,
                  const char *key)
{
  g_auto(CnvJsonProblem) problem = { 0 };
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  node = cnv_json_parse_strict (text, strlen (text), &problem);
  g_assert_null (node);
  g_assert_cmpint (problem.code, ==, CNV_JSON_ERROR_DUPLICATE);
  g_assert_cmpstr (problem.key, ==, key);

  node = cnv_json_parse (text, -1, "The test document", &error);
  g_assert_null (node);
  g_assert_error (error, CNV_JSON_ERROR, CNV_JSON_ERROR_DUPLICATE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "The test document"));
  g_assert_nonnull (strstr (error->message, key));
}

/* json-glib keeps the last of two equal keys; the reader refuses them at
 * every level, also when one of them is spelled with an escape. */
static void
test_duplicate_keys_refused (void)
{
  g_auto(CnvJsonProblem) problem = { 0 };
  g_autoptr(JsonNode) node = NULL;
  const char *distinct = "{\"a\": 1, \"b\": {\"a\": 2}, \"c\": [{\"a\": 3}]}";

  assert_duplicate ("{\"a\": 1, \"a\": 2}", "a");
  assert_duplicate ("{\"layers\": {\"id\": 1, \"units\": 2, \"id\": 3}}",
                    "id");
  assert_duplicate ("{\"layers\": [{\"id\": \"x\"}, "
                    "{\"type\": \"relu\", \"type\": \"tanh\"}]}", "type");
  assert_duplicate ("{\"ab\": 1, \"a\\u0062\": 2}", "ab");

  /* The same key in different objects is not a repetition. */
  node = cnv_json_parse_strict (distinct, strlen (distinct), &problem);
  g_assert_nonnull (node);
}

static void
assert_syntax_error (const char *text,
                     gsize       offset,
                     const char *detail)
{
  g_auto(CnvJsonProblem) problem = { 0 };
  JsonNode *node;

  node = cnv_json_parse_strict (text, strlen (text), &problem);
  g_assert_null (node);
  g_assert_cmpint (problem.code, ==, CNV_JSON_ERROR_SYNTAX);
  g_test_message ("%s → %s at %" G_GSIZE_FORMAT, text, problem.detail,
                  problem.offset);
  g_assert_cmpuint (problem.offset, ==, offset);
  g_assert_nonnull (strstr (problem.detail, detail));
}

/* What json-glib would take but RFC 8259 does not, each with the byte
 * offset where the reader stopped. */
static void
test_strict_syntax (void)
{
  g_auto(CnvJsonProblem) problem = { 0 };
  const char *latin1 = "{\"a\": \"\xe9\"}";
  g_autoptr(JsonNode) ok = NULL;

  assert_syntax_error ("{'a': 1}", 1, "a string was expected");
  assert_syntax_error ("{\"a\": 1} // note", 9, "text after the object");
  assert_syntax_error ("{\"a\": 01}", 7, "leading zero");
  assert_syntax_error ("[1, 2]", 0, "must be a JSON object");
  assert_syntax_error ("{\"a\": 1,}", 8, "a string was expected");
  /* 2^63 would wrap in json-glib; 17 digits are refused. */
  assert_syntax_error ("{\"n\": 12345678901234567}", 23, "too many digits");

  g_assert_null (cnv_json_parse_strict (latin1, strlen (latin1), &problem));
  g_assert_cmpint (problem.code, ==, CNV_JSON_ERROR_ENCODING);
  g_assert_cmpuint (problem.offset, ==, 7);
  cnv_json_problem_clear (&problem);

  /* 16 digits are exact and accepted. */
  ok = cnv_json_parse_strict ("{\"n\": 9007199254740991}", 23, &problem);
  g_assert_nonnull (ok);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (ok), "n"),
                   ==, G_GINT64_CONSTANT (9007199254740991));
}

static void
test_shortest_float (void)
{
  g_assert_cmpfloat (cnv_json_float (0.001f), ==, 0.001);
  g_assert_cmpfloat (cnv_json_float (0.1f), ==, 0.1);
  g_assert_cmpfloat (cnv_json_float (1e-5f), ==, 1e-5);
  g_assert_cmpfloat ((float) cnv_json_float (1.0f / 3.0f), ==, 1.0f / 3.0f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/json/exponents-read-back", test_exponents_read_back);
  g_test_add_func ("/engine/json/deep-nesting-refused",
                   test_deep_nesting_refused);
  g_test_add_func ("/engine/json/brackets-in-strings-do-not-count",
                   test_brackets_in_strings_do_not_count);
  g_test_add_func ("/engine/json/depth-limit-exact", test_depth_limit_exact);
  g_test_add_func ("/engine/json/duplicate-keys-refused",
                   test_duplicate_keys_refused);
  g_test_add_func ("/engine/json/strict-syntax", test_strict_syntax);
  g_test_add_func ("/engine/json/shortest-float", test_shortest_float);

  return g_test_run ();
}
