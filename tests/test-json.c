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

  for (int i = 0; i < 100000; i++)
    g_string_append_c (text, '[');
  for (int i = 0; i < 100000; i++)
    g_string_append_c (text, ']');

  node = cnv_json_parse (text->str, (gssize) text->len, "the deep document",
                         &error);
  g_assert_null (node);
  g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE);
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
  g_test_add_func ("/engine/json/shortest-float", test_shortest_float);

  return g_test_run ();
}
