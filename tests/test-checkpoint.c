/* test-checkpoint.c — the .convolve file: safetensors reading and writing,
 * every malformed-file case of docs/checkpoint-format.md, atomic saving,
 * and the classifier round trip
 *
 * Bad files are written byte by byte here, so each test shows exactly
 * which bytes it feeds the reader.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cnv.h"

/* ---- helpers ------------------------------------------------------------- */

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)
      && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      g_chmod (path, 0755);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
    }
  g_remove (path);
}

typedef struct
{
  char *dir;
} TmpDir;

static void
tmp_dir_free (TmpDir *tmp)
{
  remove_tree (tmp->dir);
  g_free (tmp->dir);
  g_free (tmp);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TmpDir, tmp_dir_free)

static TmpDir *
tmp_dir_new (void)
{
  TmpDir *tmp = g_new0 (TmpDir, 1);
  g_autoptr(GError) error = NULL;

  tmp->dir = g_dir_make_tmp ("test-checkpoint-XXXXXX", &error);
  g_assert_no_error (error);

  return tmp;
}

static char *
tmp_path (TmpDir     *tmp,
          const char *name)
{
  return g_build_filename (tmp->dir, name, NULL);
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, length);
}

/* Writes u64 length, header, data: a safetensors file by hand. */
static void
write_raw (const char   *path,
           guint64       header_length,
           const char   *header,
           gsize         header_size,
           const guint8 *data,
           gsize         data_length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 length_bytes[8];

  for (int i = 0; i < 8; i++)
    length_bytes[i] = (guint8) (header_length >> (8 * i));
  g_byte_array_append (out, length_bytes, 8);
  if (header_size > 0)
    g_byte_array_append (out, (const guint8 *) header, (guint) header_size);
  if (data_length > 0)
    g_byte_array_append (out, data, (guint) data_length);

  g_file_set_contents (path, (const char *) out->data, out->len, &error);
  g_assert_no_error (error);
}

static void
write_header_and_data (const char   *path,
                       const char   *header,
                       const guint8 *data,
                       gsize         data_length)
{
  write_raw (path, strlen (header), header, strlen (header), data,
             data_length);
}

/* n floats, little-endian. */
static guint8 *
f32_bytes (const float *values,
           gsize        n)
{
  guint8 *out = g_malloc (n * 4 + 1);

  for (gsize i = 0; i < n; i++)
    {
      guint32 bits;

      memcpy (&bits, &values[i], 4);
      for (int b = 0; b < 4; b++)
        out[i * 4 + b] = (guint8) (bits >> (8 * b));
    }

  return out;
}

static void
assert_read_fails (const char         *path,
                   CnvCheckpointError  code,
                   const char         *substring)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvSafetensors) st = NULL;
  g_autofree char *base = g_path_get_basename (path);

  st = cnv_safetensors_read (path, &error);
  g_assert_null (st);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, (int) code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, substring));
  /* Every message names the file. */
  g_assert_nonnull (strstr (error->message, base));
}

static CnvTensor *
tensor_with_values (int          ndim,
                    const int   *shape,
                    const float *values)
{
  CnvTensor *t = cnv_tensor_new (ndim, shape);

  g_assert_nonnull (t);
  memcpy (t->data, values, t->size * sizeof (float));

  return t;
}

/* A small file with three tensors whose values include edge cases. */
static CnvSafetensors *
make_sample (void)
{
  static const float a[] = { 0.1f, -3.25f, 1e-30f, 65504.0f, -0.0f, 1.5e-45f };
  static const float b[] = { 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f };
  static const float c[] = { 42.0f };
  const int shape_a[2] = { 2, 3 };
  const int shape_b[4] = { 2, 1, 2, 2 };
  const int shape_c[1] = { 1 };
  CnvSafetensors *st = cnv_safetensors_new ();
  g_autoptr(CnvTensor) ta = tensor_with_values (2, shape_a, a);
  g_autoptr(CnvTensor) tb = tensor_with_values (4, shape_b, b);
  g_autoptr(CnvTensor) tc = tensor_with_values (1, shape_c, c);

  /* Added out of name order: the writer sorts. */
  cnv_safetensors_add (st, "fc.weight", ta);
  cnv_safetensors_add (st, "conv1.weight", tb);
  cnv_safetensors_add (st, "conv1.bias", tc);
  g_hash_table_insert (st->metadata, g_strdup ("note"),
                       g_strdup ("ü \"quoted\" 😀"));

  return st;
}

static void
write_sample (const char *path)
{
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(GError) error = NULL;

  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);
}

static void
assert_same_tensors (const CnvSafetensors *a,
                     const CnvSafetensors *b)
{
  g_assert_cmpuint (a->tensors->len, ==, b->tensors->len);

  for (guint i = 0; i < a->tensors->len; i++)
    {
      const CnvNamedTensor *x = g_ptr_array_index (a->tensors, i);
      const CnvNamedTensor *y = cnv_safetensors_find (b, x->name);

      g_assert_nonnull (y);
      g_assert_cmpint (x->tensor->ndim, ==, y->tensor->ndim);
      g_assert_cmpmem (x->tensor->shape, sizeof (int) * x->tensor->ndim,
                       y->tensor->shape, sizeof (int) * y->tensor->ndim);
      g_assert_cmpmem (x->tensor->data, x->tensor->size * sizeof (float),
                       y->tensor->data, y->tensor->size * sizeof (float));
    }
}

/* ---- level 1: safetensors ------------------------------------------------- */

static void
test_round_trip (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "sample.safetensors");
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(CnvSafetensors) back = NULL;
  g_autoptr(GError) error = NULL;
  const CnvNamedTensor *first;

  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);
  back = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);

  assert_same_tensors (st, back);
  g_assert_cmpstr (g_hash_table_lookup (back->metadata, "note"), ==,
                   "ü \"quoted\" 😀");
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (back->metadata,
                                                        "checksum"),
                                   "sha256:"));
  g_assert_cmpuint (strlen (g_hash_table_lookup (back->metadata, "checksum")),
                    ==, 7 + 64);

  /* File order is name order, every tensor read back as F32. */
  first = g_ptr_array_index (back->tensors, 0);
  g_assert_cmpstr (first->name, ==, "conv1.bias");
  g_assert_cmpstr (((CnvNamedTensor *) g_ptr_array_index (back->tensors, 2))
                   ->name, ==, "fc.weight");
  g_assert_cmpstr (first->stored_dtype, ==, "F32");
}

/* The bytes follow the safetensors rules: u64 LE header length N with N a
 * multiple of 8, a JSON object padded with spaces, offsets relative to the
 * data start, tensors contiguous in name order, nothing after them. */
static void
test_layout (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "layout.safetensors");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *header = NULL;
  const guint8 *p;
  gsize size;
  guint64 n = 0;
  JsonObject *root;
  JsonArray *offsets;
  float first_value;

  write_sample (path);
  bytes = read_bytes (path);
  p = g_bytes_get_data (bytes, &size);

  for (int i = 7; i >= 0; i--)
    n = (n << 8) | p[i];
  g_assert_cmpuint (n % 8, ==, 0);
  g_assert_cmpuint (8 + n, <=, size);
  g_assert_cmpint (p[8], ==, '{');

  /* The JSON object, then only spaces up to the data. */
  header = g_strndup ((const char *) p + 8, n);
  g_assert_cmpint (strlen (header), ==, n);
  g_strchomp (header);
  g_assert_cmpint (header[strlen (header) - 1], ==, '}');
  g_assert_cmpuint (n - strlen (header), <, 8);
  json_parser_load_from_data (parser, header, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (root, "__metadata__"));

  /* conv1.bias [1] at 0..4, conv1.weight [2,1,2,2] at 4..36, fc.weight
   * [2,3] at 36..60, and the file ends there. */
  offsets = json_object_get_array_member (
    json_object_get_object_member (root, "conv1.bias"), "data_offsets");
  g_assert_cmpint (json_array_get_int_element (offsets, 0), ==, 0);
  g_assert_cmpint (json_array_get_int_element (offsets, 1), ==, 4);
  offsets = json_object_get_array_member (
    json_object_get_object_member (root, "conv1.weight"), "data_offsets");
  g_assert_cmpint (json_array_get_int_element (offsets, 0), ==, 4);
  g_assert_cmpint (json_array_get_int_element (offsets, 1), ==, 36);
  offsets = json_object_get_array_member (
    json_object_get_object_member (root, "fc.weight"), "data_offsets");
  g_assert_cmpint (json_array_get_int_element (offsets, 0), ==, 36);
  g_assert_cmpint (json_array_get_int_element (offsets, 1), ==, 60);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (root, "fc.weight"),
                     "dtype"), ==, "F32");
  g_assert_cmpuint (size, ==, 8 + n + 60);

  /* conv1.bias = 42.0 little-endian right at the data start. */
  {
    guint32 bits = 0;

    for (int b = 3; b >= 0; b--)
      bits = (bits << 8) | p[8 + n + b];
    memcpy (&first_value, &bits, 4);
  }
  g_assert_cmpfloat (first_value, ==, 42.0f);
}

static char *
find_python_with_numpy (void)
{
  const char *candidates[] = { "python3", "/usr/bin/python3" };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *program = g_find_program_in_path (candidates[i]);
      const char *argv[] = { NULL, "-c", "import numpy", NULL };
      int status = -1;

      if (program == NULL)
        continue;
      argv[0] = program;
      if (g_spawn_sync (NULL, (char **) argv, NULL,
                        G_SPAWN_STDOUT_TO_DEV_NULL
                        | G_SPAWN_STDERR_TO_DEV_NULL,
                        NULL, NULL, NULL, NULL, &status, NULL)
          && g_spawn_check_wait_status (status, NULL))
        return g_steal_pointer (&program);
    }

  return NULL;
}

static void
test_numpy_reader (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "numpy.safetensors");
  g_autofree char *python = find_python_with_numpy ();
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const char *argv[4] = { NULL, NULL, NULL, NULL };
  int status = -1;
  guint n_tensor_lines = 0;

  if (python == NULL)
    {
      g_test_skip ("python3 with numpy is not installed");
      return;
    }

  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);

  script = g_test_build_filename (G_TEST_DIST, "read-safetensors.py", NULL);
  argv[0] = python;
  argv[1] = script;
  argv[2] = path;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("reader stderr: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "checksum ok");

  /* "<name> F32 <shape> v0 v1 …": every value equal to the float we
   * wrote, bit for bit once parsed back to float. */
  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);
      CnvNamedTensor *named = cnv_safetensors_find (st, fields[0]);
      g_autofree char *shape = cnv_tensor_shape_string (named->tensor);
      g_autofree char *compact = NULL;
      g_auto(GStrv) shape_parts = NULL;

      g_assert_nonnull (named);
      g_assert_cmpstr (fields[1], ==, "F32");
      shape_parts = g_strsplit (shape, " ", -1);
      compact = g_strjoinv ("", shape_parts);
      g_assert_cmpstr (fields[2], ==, compact);
      g_assert_cmpuint (g_strv_length (fields), ==, 3 + named->tensor->size);
      for (gsize k = 0; k < named->tensor->size; k++)
        {
          float value = (float) g_ascii_strtod (fields[3 + k], NULL);

          g_assert_cmpmem (&value, 4, &named->tensor->data[k], 4);
        }
      n_tensor_lines++;
    }
  g_assert_cmpuint (n_tensor_lines, ==, 3);
}

static void
test_short_file (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "short.safetensors");
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "\x10\0\0", 3, &error);
  g_assert_no_error (error);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRUNCATED, "only 3 bytes");

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRUNCATED, "only 0 bytes");
}

static void
test_missing_file (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "absent.convolve");

  assert_read_fails (path, CNV_CHECKPOINT_ERROR_IO, "No such file");
  assert_read_fails (tmp->dir, CNV_CHECKPOINT_ERROR_IO, "not a regular file");
}

static void
test_truncated (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "cut.safetensors");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const char *p;
  gsize size;

  write_sample (path);
  bytes = read_bytes (path);
  p = g_bytes_get_data (bytes, &size);

  /* The last 10 bytes of fc.weight are gone. */
  g_file_set_contents (path, p, (gssize) (size - 10), &error);
  g_assert_no_error (error);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRUNCATED,
                     "“fc.weight” ends at byte offset");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRUNCATED,
                     "(10 bytes missing)");

  /* Cut inside the header. */
  g_file_set_contents (path, p, 20, &error);
  g_assert_no_error (error);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRUNCATED,
                     "only 12 bytes follow the length field");
}

static void
test_header_length_max (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "max.safetensors");

  write_raw (path, G_MAXUINT64, "{}", 2, NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "18446744073709551615 bytes");
}

static void
test_header_too_large (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "large.safetensors");

  write_raw (path, CNV_CHECKPOINT_MAX_HEADER + 1, "{}", 2, NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "above the limit");
}

static void
test_header_not_json (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "garbage.safetensors");

  write_header_and_data (path, "PK\x03\x04 not json", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "not valid JSON");

  write_header_and_data (path, "[1, 2]", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "must be a JSON object");

  /* json-glib would take these; other safetensors readers would not. */
  write_header_and_data (path, "{'__metadata__': {}}", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "at byte offset 9 of the file");
  write_header_and_data (path, "{} /* comment */", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "text after");

  write_header_and_data (path, "{\"a\": \"\xff\xfe\"}", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "not valid UTF-8");
}

static void
test_deep_nesting (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "deep.safetensors");
  GString *header = g_string_new ("{\"__metadata__\": ");
  g_autofree char *text = NULL;

  for (int i = 0; i < 200000; i++)
    g_string_append_c (header, '[');
  for (int i = 0; i < 200000; i++)
    g_string_append_c (header, ']');
  g_string_append_c (header, '}');
  text = g_string_free (header, FALSE);

  write_header_and_data (path, text, NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "nested too deeply");
}

static void
test_duplicate_name (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "dup.safetensors");
  static const float values[2] = { 1.0f, 2.0f };
  g_autofree guint8 *data = f32_bytes (values, 2);

  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[0,4]},"
                         "\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[4,8]}}", data, 8);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_DUPLICATE,
                     "“w” appears twice");

  /* The same name spelled with an escape is still the same name. */
  write_header_and_data (path,
                         "{\"ab\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[0,4]},"
                         "\"a\\u0062\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[4,8]}}", data, 8);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_DUPLICATE,
                     "“ab” appears twice");

  /* A repeated metadata key. */
  write_header_and_data (path,
                         "{\"__metadata__\":{\"format\":\"a\",\"format\":\"b\"}}",
                         NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_DUPLICATE,
                     "“format” appears twice");
}

static void
test_unknown_dtype (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "i64.safetensors");
  guint8 data[16] = { 0 };

  write_header_and_data (path,
                         "{\"steps\":{\"dtype\":\"I64\",\"shape\":[2],"
                         "\"data_offsets\":[0,16]}}", data, 16);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_DTYPE,
                     "i64.safetensors” is stored as I64");
}

static void
test_f64_converted (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "f64.safetensors");
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  const double values[3] = { 0.1, -2.5, 1e300 };
  guint8 data[24];
  CnvNamedTensor *named;

  for (int i = 0; i < 3; i++)
    {
      guint64 bits;

      memcpy (&bits, &values[i], 8);
      for (int b = 0; b < 8; b++)
        data[i * 8 + b] = (guint8) (bits >> (8 * b));
    }

  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F64\",\"shape\":[3],"
                         "\"data_offsets\":[0,24]}}", data, 24);
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  named = cnv_safetensors_find (st, "w");
  g_assert_cmpstr (named->stored_dtype, ==, "F64");
  g_assert_cmpfloat (named->tensor->data[0], ==, 0.1f);
  g_assert_cmpfloat (named->tensor->data[1], ==, -2.5f);
  g_assert_true (isinf (named->tensor->data[2]));

  /* Three F64 values need 24 bytes: a span of 12 (elements × 4) is
   * refused. */
  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F64\",\"shape\":[3],"
                         "\"data_offsets\":[0,12]}}", data, 12);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_SHAPE,
                     "needs 24 bytes, but its data_offsets [0, 12] span 12");
}

static void
test_f16_bf16_converted (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "f16.safetensors");
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  /* F16: 1.0, -2.0, 65504, smallest subnormal 2^-24, +inf;
   * BF16: 1.0, -3.0 */
  const guint16 halves[7] = { 0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00,
                              0x3f80, 0xc040 };
  guint8 data[14];
  CnvNamedTensor *h;
  CnvNamedTensor *b;

  for (int i = 0; i < 7; i++)
    {
      data[i * 2] = (guint8) (halves[i] & 0xff);
      data[i * 2 + 1] = (guint8) (halves[i] >> 8);
    }

  write_header_and_data (path,
                         "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],"
                         "\"data_offsets\":[0,10]},"
                         "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],"
                         "\"data_offsets\":[10,14]}}", data, 14);
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);

  h = cnv_safetensors_find (st, "h");
  g_assert_cmpstr (h->stored_dtype, ==, "F16");
  g_assert_cmpfloat (h->tensor->data[0], ==, 1.0f);
  g_assert_cmpfloat (h->tensor->data[1], ==, -2.0f);
  g_assert_cmpfloat (h->tensor->data[2], ==, 65504.0f);
  g_assert_cmpfloat (h->tensor->data[3], ==, ldexpf (1.0f, -24));
  g_assert_true (isinf (h->tensor->data[4]) && h->tensor->data[4] > 0);

  b = cnv_safetensors_find (st, "b");
  g_assert_cmpstr (b->stored_dtype, ==, "BF16");
  g_assert_cmpfloat (b->tensor->data[0], ==, 1.0f);
  g_assert_cmpfloat (b->tensor->data[1], ==, -3.0f);

  /* File order is offset order. */
  g_assert_cmpstr (((CnvNamedTensor *) g_ptr_array_index (st->tensors, 0))
                   ->name, ==, "h");
}

static void
test_bad_integers (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "ints.safetensors");
  guint8 data[4] = { 0 };

  /* 2^64 + 1 would wrap to 1 inside json-glib. */
  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[0,18446744073709551617]}}",
                         data, 4);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "too many digits");

  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[-4,0]}}", data, 4);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "data_offsets of tensor “w”");

  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],"
                         "\"data_offsets\":[0,4]}}", data, 4);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "Dimension 0 of tensor “w”");

  /* 2^53 exactly: a double could not tell it from 2^53 + 1. */
  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F32\",\"shape\":[9007199254740992],"
                         "\"data_offsets\":[0,4]}}", data, 4);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "Dimension 0 of tensor “w”");
}

static void
test_shape_overflow (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "overflow.safetensors");
  guint8 data[4] = { 0 };

  /* (2^31 − 1)^4 > 2^64 */
  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F32\","
                         "\"shape\":[2147483647,2147483647,2147483647,"
                         "2147483647],\"data_offsets\":[0,4]}}", data, 4);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_SHAPE,
                     "more elements than can be counted");

  write_header_and_data (path,
                         "{\"w\":{\"dtype\":\"F32\","
                         "\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}",
                         data, 4);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_SHAPE, "has 5 dimensions");
}

static void
test_shape_mismatch (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "span.safetensors");
  guint8 data[16] = { 0 };

  write_header_and_data (path,
                         "{\"conv1.weight\":{\"dtype\":\"F32\","
                         "\"shape\":[2,3],\"data_offsets\":[0,16]}}",
                         data, 16);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_SHAPE,
                     "span.safetensors” has shape [2, 3] of F32, which "
                     "needs 24 bytes, but its data_offsets [0, 16] span 16 "
                     "bytes");
}

static void
test_beyond_file (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "beyond.safetensors");
  guint8 data[8] = { 0 };
  const char *header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                       "\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1000000000],"
                       "\"data_offsets\":[8,4000000008]}}";
  g_autofree char *expected = g_strdup_printf ("(4000000000 bytes missing)");

  write_header_and_data (path, header, data, 8);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRUNCATED,
                     "tensor “b” ends at byte offset");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRUNCATED, expected);
}

static void
test_overlap (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "overlap.safetensors");
  guint8 data[12] = { 0 };
  const char *header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                       "\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],"
                       "\"data_offsets\":[4,8]},"
                       "\"c\":{\"dtype\":\"F32\",\"shape\":[1],"
                       "\"data_offsets\":[8,12]}}";
  g_autofree char *where = g_strdup_printf ("starts at byte offset %zu",
                                            8 + strlen (header) + 4);

  write_header_and_data (path, header, data, 12);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_OFFSETS,
                     "inside tensor “a”");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_OFFSETS, where);
}

static void
test_gap (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "gap.safetensors");
  guint8 data[12] = { 0 };

  write_header_and_data (path,
                         "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[0,4]},"
                         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[8,12]}}", data, 12);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_OFFSETS,
                     "4 unused bytes before tensor “b”");

  /* Data that does not start at 0 is a gap too. */
  write_header_and_data (path,
                         "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[4,8]}}", data, 8);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_OFFSETS,
                     "4 unused bytes before tensor “a”");
}

static void
test_trailing (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "trailing.safetensors");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GByteArray) longer = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const guint8 *p;
  gsize size;

  write_sample (path);
  bytes = read_bytes (path);
  p = g_bytes_get_data (bytes, &size);
  g_byte_array_append (longer, p, (guint) size);
  g_byte_array_append (longer, (const guint8 *) "extra", 5);
  g_file_set_contents (path, (const char *) longer->data, longer->len, &error);
  g_assert_no_error (error);

  assert_read_fails (path, CNV_CHECKPOINT_ERROR_TRAILING,
                     "has 5 extra bytes after the last tensor");
}

static void
test_checksum_mismatch (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "flipped.safetensors");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *copy = NULL;
  gconstpointer data;
  gsize size;

  write_sample (path);
  bytes = read_bytes (path);
  data = g_bytes_get_data (bytes, &size);
  copy = g_memdup2 (data, size);

  /* One bit of the last tensor's last byte. */
  copy[size - 1] ^= 0x01;
  g_file_set_contents (path, copy, (gssize) size, &error);
  g_assert_no_error (error);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "do not match its checksum");
}

static void
test_metadata_not_string (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "meta.safetensors");

  write_header_and_data (path, "{\"__metadata__\":{\"format_version\":1}}",
                         NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "“format_version”");
}

/* A save that fails halfway (the file-size limit stands in for a full
 * disk) leaves the old file byte for byte, and no temporary file. */
static void
test_failed_save_keeps_old_file (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "keep.convolve");
  g_autoptr(CnvSafetensors) big = cnv_safetensors_new ();
  g_autoptr(CnvTensor) tensor = cnv_tensor_new_1d (256 * 1024);
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(CnvSafetensors) reopened = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  struct rlimit saved;
  struct rlimit limited;
  void (*saved_handler) (int);
  gboolean ok;
  guint n_entries = 0;

  write_sample (path);
  before = read_bytes (path);

  for (gsize i = 0; i < tensor->size; i++)
    tensor->data[i] = (float) i;
  cnv_safetensors_add (big, "big", tensor);

  /* 1 MiB of tensor data against a 64 KiB limit: write () fails with
   * EFBIG partway through the temporary file. */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limited = saved;
  limited.rlim_cur = 64 * 1024;
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limited), ==, 0);
  ok = cnv_safetensors_write (big, path, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "keep.convolve"));
  g_clear_error (&error);

  after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  reopened = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reopened->tensors->len, ==, 3);

  dir = g_dir_open (tmp->dir, 0, NULL);
  while (g_dir_read_name (dir) != NULL)
    n_entries++;
  g_assert_cmpuint (n_entries, ==, 1);
}

/* Kill the process while it saves over an existing file, at whatever
 * point it has reached: the name holds either the whole old file or the
 * whole new one, never a mixture, and it opens. */
static void
test_killed_save (void)
{
  const char *env_path = g_getenv ("CNV_TEST_KILLED_SAVE_PATH");
  g_autoptr(TmpDir) tmp = NULL;
  g_autofree char *path = NULL;
  g_autofree char *new_reference = NULL;
  g_autoptr(CnvSafetensors) big = cnv_safetensors_new ();
  g_autoptr(CnvTensor) tensor = cnv_tensor_new_1d (4 * 1024 * 1024);
  g_autoptr(GBytes) old_bytes = NULL;
  g_autoptr(GBytes) new_bytes = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(CnvSafetensors) reopened = NULL;
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < tensor->size; i++)
    tensor->data[i] = (float) (i % 1000) * 0.5f;
  cnv_safetensors_add (big, "big", tensor);

  if (g_test_subprocess ())
    {
      /* Save the 16 MiB file over and over until killed. */
      while (TRUE)
        {
          cnv_safetensors_write (big, env_path, &error);
          g_assert_no_error (error);
        }
    }

  tmp = tmp_dir_new ();
  path = tmp_path (tmp, "killed.convolve");
  new_reference = tmp_path (tmp, "reference.convolve");
  write_sample (path);
  old_bytes = read_bytes (path);
  cnv_safetensors_write (big, new_reference, &error);
  g_assert_no_error (error);
  new_bytes = read_bytes (new_reference);

  g_setenv ("CNV_TEST_KILLED_SAVE_PATH", path, TRUE);
  g_test_trap_subprocess (NULL, 300 * 1000, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("CNV_TEST_KILLED_SAVE_PATH");
  /* The child never ends by itself: it was killed. */
  g_assert_false (g_test_trap_has_passed ());

  after = read_bytes (path);
  g_test_message ("after the kill the file is the %s one",
                  g_bytes_equal (after, old_bytes) ? "old" : "new");
  g_assert_true (g_bytes_equal (after, old_bytes)
                 || g_bytes_equal (after, new_bytes));
  reopened = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
}

static void
test_save_into_missing_folder (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *file = tmp_path (tmp, "plain-file");
  g_autofree char *under_file = g_build_filename (file, "x.convolve", NULL);
  g_autofree char *missing = g_build_filename (tmp->dir, "no-such-folder",
                                               "x.convolve", NULL);
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(GError) error = NULL;

  g_file_set_contents (file, "a file, not a folder", -1, &error);
  g_assert_no_error (error);

  g_assert_false (cnv_safetensors_write (st, under_file, &error));
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "plain-file/x.convolve"));
  g_clear_error (&error);

  g_assert_false (cnv_safetensors_write (st, missing, &error));
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "no-such-folder/x.convolve"));
}

static void
test_read_only_folder (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *path = tmp_path (tmp, "ro.convolve");
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GError) error = NULL;

  write_sample (path);
  before = read_bytes (path);
  g_assert_cmpint (g_chmod (tmp->dir, 0555), ==, 0);
  if (access (tmp->dir, W_OK) == 0)
    {
      g_chmod (tmp->dir, 0755);
      g_test_skip ("running with permission to write anywhere (root)");
      return;
    }

  g_assert_false (cnv_safetensors_write (st, path, &error));
  g_chmod (tmp->dir, 0755);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "ro.convolve"));
  after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
}

static void
test_unicode_path (void)
{
  g_autoptr(TmpDir) tmp = tmp_dir_new ();
  g_autofree char *folder = tmp_path (tmp, "модели");
  g_autofree char *path = g_build_filename (folder, "ü 😀 model.convolve",
                                            NULL);
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(CnvSafetensors) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;

  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);

  dir = g_dir_open (folder, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_dir_read_name (dir), ==, "ü 😀 model.convolve");
  g_assert_null (g_dir_read_name (dir));

  back = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  assert_same_tensors (st, back);

  /* Messages carry the name as it is. */
  g_remove (path);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_IO, "ü 😀 model.convolve");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/checkpoint/safetensors/round-trip-bit-identical",
                   test_round_trip);
  g_test_add_func ("/checkpoint/safetensors/layout-follows-the-format",
                   test_layout);
  g_test_add_func ("/checkpoint/safetensors/opens-with-numpy-reader",
                   test_numpy_reader);
  g_test_add_func ("/checkpoint/safetensors/short-file", test_short_file);
  g_test_add_func ("/checkpoint/safetensors/missing-file", test_missing_file);
  g_test_add_func ("/checkpoint/safetensors/truncated", test_truncated);
  g_test_add_func ("/checkpoint/safetensors/header-length-2^64-1",
                   test_header_length_max);
  g_test_add_func ("/checkpoint/safetensors/header-too-large",
                   test_header_too_large);
  g_test_add_func ("/checkpoint/safetensors/header-not-json",
                   test_header_not_json);
  g_test_add_func ("/checkpoint/safetensors/deep-nesting", test_deep_nesting);
  g_test_add_func ("/checkpoint/safetensors/duplicate-name",
                   test_duplicate_name);
  g_test_add_func ("/checkpoint/safetensors/unknown-dtype",
                   test_unknown_dtype);
  g_test_add_func ("/checkpoint/safetensors/f64-converted",
                   test_f64_converted);
  g_test_add_func ("/checkpoint/safetensors/f16-bf16-converted",
                   test_f16_bf16_converted);
  g_test_add_func ("/checkpoint/safetensors/bad-integers", test_bad_integers);
  g_test_add_func ("/checkpoint/safetensors/shape-product-overflow",
                   test_shape_overflow);
  g_test_add_func ("/checkpoint/safetensors/shape-not-matching-bytes",
                   test_shape_mismatch);
  g_test_add_func ("/checkpoint/safetensors/tensor-beyond-file",
                   test_beyond_file);
  g_test_add_func ("/checkpoint/safetensors/overlapping-tensors",
                   test_overlap);
  g_test_add_func ("/checkpoint/safetensors/gap-between-tensors", test_gap);
  g_test_add_func ("/checkpoint/safetensors/trailing-bytes", test_trailing);
  g_test_add_func ("/checkpoint/safetensors/checksum-mismatch",
                   test_checksum_mismatch);
  g_test_add_func ("/checkpoint/safetensors/metadata-not-string",
                   test_metadata_not_string);
  g_test_add_func ("/checkpoint/save/failed-save-keeps-old-file",
                   test_failed_save_keeps_old_file);
  g_test_add_func ("/checkpoint/save/killed-save-leaves-a-whole-file",
                   test_killed_save);
  g_test_add_func ("/checkpoint/save/folder-missing-or-a-file",
                   test_save_into_missing_folder);
  g_test_add_func ("/checkpoint/save/read-only-folder", test_read_only_folder);
  g_test_add_func ("/checkpoint/save/names-in-any-script", test_unicode_path);

  return g_test_run ();
}
