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
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <xxhash.h>

#include "cnv.h"
#include "test-util.h"

/* ---- helpers ------------------------------------------------------------- */

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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "sample.safetensors");
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

/* "xxh3-128:" and XXH3's 128-bit hash of data in canonical (big-endian)
 * hex, taken in one call, where the writer takes it piece by piece. */
static char *
xxh3_checksum (const guint8 *data,
               gsize         length)
{
  XXH128_canonical_t canonical;
  GString *out = g_string_new ("xxh3-128:");

  XXH128_canonicalFromHash (&canonical, XXH3_128bits (data, length));
  for (gsize i = 0; i < sizeof canonical.digest; i++)
    g_string_append_printf (out, "%02x", canonical.digest[i]);

  return g_string_free (out, FALSE);
}

/* Large enough for the writer to hash in a thread of its own, beside the
 * copy into the file: the checksums it writes are still those of the
 * data bytes as they lie in the file, in name order (GLib's own SHA-256
 * of the file's tail here, and XXH3 in one call), whatever order the
 * tensors were added in. */
static void
test_threaded_checksum (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "large.safetensors");
  g_autoptr(CnvSafetensors) st = cnv_safetensors_new ();
  g_autoptr(CnvSafetensors) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *expected_fast = NULL;
  g_autofree char *digest = NULL;
  const char *names[] = { "z.weight", "a.weight", "m.bias" };
  const int sizes[] = { 300000, 200000, 7 };
  gsize length;
  guint64 header_length = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(CnvTensor) t = cnv_tensor_new_1d (sizes[i]);

      for (int k = 0; k < sizes[i]; k++)
        t->data[k] = (float) (i + 1) * 0.001f * (float) (k % 977) - 0.5f;
      cnv_safetensors_add (st, names[i], t);
    }

  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 8; i++)
    header_length |= (guint64) (guint8) contents[i] << (8 * i);
  g_assert_cmpuint (length, ==,
                    8 + header_length + 4 * (300000 + 200000 + 7));
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                        (const guchar *) contents + 8
                                        + header_length,
                                        length - 8 - header_length);
  expected = g_strconcat ("sha256:", digest, NULL);
  expected_fast = xxh3_checksum ((const guint8 *) contents + 8
                                 + header_length,
                                 length - 8 - header_length);

  back = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (back->metadata, "checksum"), ==,
                   expected);
  g_assert_cmpstr (g_hash_table_lookup (back->metadata, "fast_checksum"), ==,
                   expected_fast);
  assert_same_tensors (st, back);
}

/* The bytes follow the safetensors rules: u64 LE header length N with N a
 * multiple of 8, a JSON object padded with spaces, offsets relative to the
 * data start, tensors contiguous in name order, nothing after them. */
static void
test_layout (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "layout.safetensors");
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

/* Runs tests/read-safetensors.py on path; NULL (the test skipped) without
 * a python3 that has numpy. */
static char *
read_with_numpy (const char *path)
{
  g_autofree char *python = find_python_with_numpy ();
  g_autofree char *script = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[4] = { NULL, NULL, NULL, NULL };
  char *out = NULL;
  int status = -1;

  if (python == NULL)
    {
      g_test_skip ("python3 with numpy is not installed");
      return NULL;
    }

  script = g_test_build_filename (G_TEST_DIST, "read-safetensors.py", NULL);
  argv[0] = python;
  argv[1] = script;
  argv[2] = path;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("reader stderr: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return out;
}

static void
test_numpy_reader (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "numpy.safetensors");
  g_autofree char *out = NULL;
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_tensor_lines = 0;

  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);
  out = read_with_numpy (path);
  if (out == NULL)
    return;

  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "checksum ok");

  /* "<name> F32 <shape> v0 v1 …": every value equal to the float we
   * wrote, bit for bit once parsed back to float. */
  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      if (g_str_has_prefix (lines[i], "metadata "))
        continue;

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

static CnvClassifier *make_classifier (void);

/* A whole checkpoint, as the app and the CLI write it: Python sees every
 * weight and optimizer slot bit for bit, and reads every metadata
 * document as JSON with the values Convolve put there. */
static void
test_numpy_reader_checkpoint (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "model.convolve");
  g_autoptr(CnvClassifier) c = make_classifier ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_tensors = 0;
  guint n_slots = 0;
  guint n_metadata = 0;

  g_assert_true (cnv_checkpoint_save (c, path, &error));
  g_assert_no_error (error);
  out = read_with_numpy (path);
  if (out == NULL)
    return;

  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "checksum ok");
  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", 3);
      const CnvTensor *expected = NULL;

      if (g_str_equal (fields[0], "metadata"))
        {
          n_metadata++;
          if (g_str_equal (fields[1], "format"))
            g_assert_cmpstr (fields[2], ==, "\"convolve-checkpoint\"");
          else if (g_str_equal (fields[1], "classes"))
            g_assert_cmpstr (fields[2], ==, "{\"names\":[\"\\u732b\",\"chien\"],"
                             "\"positive\":1,\"threshold\":0.37}");
          else if (g_str_equal (fields[1], "model"))
            g_assert_nonnull (strstr (fields[2], "\"input\":{\"channels\":1,"
                                                 "\"height\":8,\"width\":8}"));
          continue;
        }

      if (g_str_has_prefix (fields[0], "optimizer."))
        {
          CnvOptimizerSlot *slot = cnv_optimizer_find_slot (c->optimizer,
                                                            fields[0]);

          g_assert_nonnull (slot);
          expected = slot->value;
          n_slots++;
        }
      else
        {
          CnvParam *param = cnv_model_find_param (c->model, fields[0]);

          g_assert_nonnull (param);
          expected = param->value;
          n_tensors++;
        }

      g_assert_cmpstr (fields[1], ==, "F32");
      {
        g_auto(GStrv) values = g_strsplit (fields[2], " ", -1);

        g_assert_cmpuint (g_strv_length (values), ==, 1 + expected->size);
        for (gsize k = 0; k < expected->size; k++)
          {
            float value = (float) g_ascii_strtod (values[1 + k], NULL);

            g_assert_cmpmem (&value, 4, &expected->data[k], 4);
          }
      }
    }

  g_assert_cmpuint (n_tensors, ==, cnv_model_get_n_params (c->model));
  g_assert_cmpuint (n_slots, ==, cnv_optimizer_get_n_slots (c->optimizer));
  /* format, format_version, writer, model, preprocessing, classes,
   * training, dataset, checksum, fast_checksum */
  g_assert_cmpuint (n_metadata, ==, 10);
}

static void
test_short_file (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "short.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "absent.convolve");

  assert_read_fails (path, CNV_CHECKPOINT_ERROR_IO, "No such file");
  assert_read_fails (tmp->dir, CNV_CHECKPOINT_ERROR_IO, "not a regular file");
}

static void
test_truncated (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "cut.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "max.safetensors");

  write_raw (path, G_MAXUINT64, "{}", 2, NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "18446744073709551615 bytes");
}

static void
test_header_too_large (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "large.safetensors");

  write_raw (path, CNV_CHECKPOINT_MAX_HEADER + 1, "{}", 2, NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "above the limit");
}

static void
test_header_not_json (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "garbage.safetensors");

  write_header_and_data (path, "PK\x03\x04 not json", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "not valid JSON");

  write_header_and_data (path, "[1, 2]", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "it must be a JSON object");

  /* json-glib would take these; other safetensors readers would not. */
  write_header_and_data (path, "{'__metadata__': {}}", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "at byte offset 9:");
  write_header_and_data (path, "{} /* comment */", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER,
                     "at byte offset 11: there is text after the object");

  write_header_and_data (path, "{\"a\": \"\xff\xfe\"}", NULL, 0);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "not valid UTF-8 at byte offset 15");
}

static void
test_deep_nesting (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "deep.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "dup.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "i64.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "f64.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "f16.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "ints.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "overflow.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "span.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "beyond.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "overlap.safetensors");
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

/* An end before its beginning is refused as such, not as a size that
 * wrapped around. */
static void
test_reversed_offsets (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "reversed.safetensors");
  guint8 data[8] = { 0 };
  const char *header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                       "\"data_offsets\":[0,4]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],"
                       "\"data_offsets\":[8,4]}}";

  write_header_and_data (path, header, data, 8);
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_OFFSETS, "Tensor “b” in “");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_OFFSETS,
                     "reversed.safetensors” ends at byte 4 of the data, before "
                     "it begins at byte 8.");
}

static void
test_gap (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "gap.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "trailing.safetensors");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "flipped.safetensors");
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

/* The worked example of docs/checkpoint-format.md: out.bias = [0.5, -2.0]
 * has these checksums, computed by Python's hashlib and python3-xxhash. */
static void
test_checksum_reference_values (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "example.safetensors");
  g_autoptr(CnvSafetensors) st = cnv_safetensors_new ();
  g_autoptr(CnvSafetensors) back = NULL;
  g_autoptr(CnvTensor) bias = cnv_tensor_new_1d (2);
  g_autoptr(GError) error = NULL;

  bias->data[0] = 0.5f;
  bias->data[1] = -2.0f;
  cnv_safetensors_add (st, "out.bias", bias);
  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);
  back = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (g_hash_table_lookup (back->metadata, "checksum"), ==,
                   "sha256:3c00f95169b7aefd7745a2b1a531e150"
                   "bb2d1657a77de92dbe5fd8c303fd9066");
  g_assert_cmpstr (g_hash_table_lookup (back->metadata, "fast_checksum"), ==,
                   "xxh3-128:da0a8360aaafd6fc763e13cc4a9962c7");
}

/* Replaces the digits after prefix in the file at path with digits of
 * the same length, so that the header stays the same size. */
static void
overwrite_digits (const char *path,
                  const char *prefix,
                  const char *digits)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  char *at;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  /* The header, after the length field, is text. */
  at = strstr (contents + 8, prefix);
  g_assert_nonnull (at);
  memcpy (at + strlen (prefix), digits, strlen (digits));
  g_file_set_contents (path, contents, (gssize) length, &error);
  g_assert_no_error (error);
}

/* A tool that changed the tensors may have updated the SHA-256 and left
 * the fast checksum as it was: the SHA-256 decides, so the file opens;
 * when both are wrong it is damaged, and the message gives the SHA-256. */
static void
test_stale_fast_checksum (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "stale.safetensors");
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(CnvSafetensors) back = NULL;
  g_autoptr(GError) error = NULL;

  write_sample (path);
  overwrite_digits (path, "xxh3-128:", "0123456789abcdef0123456789abcdef");
  back = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  assert_same_tensors (st, back);

  overwrite_digits (path, "sha256:", "0123456789abcdef");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "(stored sha256:0123456789abcdef");
}

static void
test_fast_checksum_malformed (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "malformed.safetensors");

  write_sample (path);
  overwrite_digits (path, "xxh3-128:", "0123456789abcdef0123456789abcdeX");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "The “fast_checksum” metadata of");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "not of the form xxh3-128:<32 hex digits>");
}

/* A SHA-256 with a letter that is not hex, or one digit short. */
static void
test_checksum_malformed (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "malformed.safetensors");
  const char *digits[] = {
    "3c00f95169b7aefd7745a2b1a531e150bb2d1657a77de92dbe5fd8c303fd906g",
    "3c00f95169b7aefd7745a2b1a531e150bb2d1657a77de92dbe5fd8c303fd906",
  };
  guint8 data[8] = { 0, 0, 0, 0x3f, 0, 0, 0, 0xc0 };

  for (guint i = 0; i < G_N_ELEMENTS (digits); i++)
    {
      g_autofree char *header =
        g_strdup_printf ("{\"__metadata__\":{\"checksum\":\"sha256:%s\"},"
                         "\"out.bias\":{\"dtype\":\"F32\",\"shape\":[2],"
                         "\"data_offsets\":[0,8]}}", digits[i]);

      write_header_and_data (path, header, data, sizeof data);
      assert_read_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                         "not of the form sha256:<64 hex digits>");
    }
}

/* Where the fast checksum matches, the data is intact and the SHA-256 is
 * not computed: a wrong one goes unnoticed, as §6 of the format says. */
static void
test_fast_checksum_decides_when_it_matches (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "fast.safetensors");
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(CnvSafetensors) back = NULL;
  g_autoptr(GError) error = NULL;

  write_sample (path);
  overwrite_digits (path, "sha256:", "0123456789abcdef");
  back = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  assert_same_tensors (st, back);
}

/* A file with a fast checksum and no SHA-256 (its key renamed to one
 * that readers ignore): the fast checksum alone decides. */
static void
test_fast_checksum_alone (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "alone.safetensors");
  g_autoptr(CnvSafetensors) back = NULL;
  g_autoptr(GError) error = NULL;

  write_sample (path);
  overwrite_digits (path, "\"checksu", "X");
  back = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_false (g_hash_table_contains (back->metadata, "checksum"));
  g_assert_true (g_hash_table_contains (back->metadata, "fast_checksum"));

  overwrite_digits (path, "xxh3-128:", "0123456789abcdef0123456789abcdef");
  assert_read_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "(stored xxh3-128:0123456789abcdef");
}

static void
test_metadata_not_string (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "meta.safetensors");

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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "keep.convolve");
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
  g_assert_nonnull (strstr (error->message, "the file grew beyond what this "
                                            "disk or this process may write"));
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
  g_autoptr(TestTmpDir) tmp = NULL;
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

  tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  path = test_tmp_path (tmp, "killed.convolve");
  new_reference = test_tmp_path (tmp, "reference.convolve");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *file = test_tmp_path (tmp, "plain-file");
  g_autofree char *under_file = g_build_filename (file, "x.convolve", NULL);
  g_autofree char *missing = g_build_filename (tmp->dir, "no-such-folder",
                                               "x.convolve", NULL);
  g_autoptr(CnvSafetensors) st = make_sample ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;

  g_file_set_contents (file, "a file, not a folder", -1, &error);
  g_assert_no_error (error);

  g_assert_false (cnv_safetensors_write (st, under_file, &error));
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "plain-file/x.convolve"));
  g_assert_nonnull (strstr (error->message,
                            "part of the path is a file, not a folder."));
  g_clear_error (&error);

  g_assert_false (cnv_safetensors_write (st, missing, &error));
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "no-such-folder/x.convolve"));
  g_assert_nonnull (strstr (error->message, "the folder does not exist."));
  /* Neither left anything behind: the folder holds the plain file. */
  dir = g_dir_open (tmp->dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (dir), ==, "plain-file");
  g_assert_null (g_dir_read_name (dir));
}

static void
test_read_only_folder (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "ro.convolve");
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
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "модели");
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

/* ---- level 2: classifier checkpoints -------------------------------------- */

static const char *test_model_json =
  "{\"input\": {\"width\": 8, \"height\": 8, \"channels\": 1},"
  " \"layers\": ["
  "  {\"id\": \"conv1\", \"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3,"
  "   \"padding\": \"same\"},"
  "  {\"id\": \"bn1\", \"type\": \"batch-norm\"},"
  "  {\"id\": \"relu1\", \"type\": \"relu\"},"
  "  {\"id\": \"pool1\", \"type\": \"max-pool\", \"size\": 2},"
  "  {\"id\": \"flat\", \"type\": \"flatten\"},"
  "  {\"id\": \"fc1\", \"type\": \"dense\", \"units\": 4},"
  "  {\"id\": \"relu2\", \"type\": \"relu\"},"
  "  {\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}";

/* Deterministic values that differ in every bit position that matters. */
static void
fill_tensor (CnvTensor *t,
             guint32   *state)
{
  for (gsize i = 0; i < t->size; i++)
    {
      *state = *state * 1664525u + 1013904223u;
      t->data[i] = ((float) (*state >> 8) / 16777216.0f - 0.5f) * 3.0f;
    }
}

/* A classifier as training would leave it: weights, batch-norm running
 * statistics, Adam state, history, dataset summary, non-default
 * preprocessing and threshold. */
static CnvClassifier *
make_classifier (void)
{
  const char *names[] = { "猫", "chien", NULL };
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  CnvOptimizerConfig config;
  CnvPreprocessing pp;
  CnvClassifier *c;
  CnvEpochRecord record = { 0 };
  guint32 state = 12345;

  spec = cnv_model_spec_new_from_json (test_model_json, -1, &error);
  g_assert_no_error (error);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  pp.mean[0] = 0.25f;
  pp.std[0] = 0.5f;
  c = cnv_classifier_new (spec, &pp, names, G_MAXUINT64 - 5, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < cnv_model_get_n_params (c->model); i++)
    {
      CnvParam *param = cnv_model_get_param (c->model, i);

      fill_tensor (param->value, &state);
      if (g_str_has_suffix (param->name, ".running_var"))
        for (gsize k = 0; k < param->value->size; k++)
          param->value->data[k] = fabsf (param->value->data[k]) + 0.1f;
    }

  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_ADAM);
  config.learning_rate = 0.0003;
  config.weight_decay = 1e-4;
  c->optimizer = cnv_optimizer_new (&config, c->model);
  cnv_optimizer_set_step (c->optimizer, 17);
  for (guint i = 0; i < cnv_optimizer_get_n_slots (c->optimizer); i++)
    fill_tensor (cnv_optimizer_get_slot (c->optimizer, i)->value, &state);

  c->threshold = 0.37;
  c->batch_size = 16;
  c->val_split = 0.25;
  for (guint e = 1; e <= 2; e++)
    {
      record.epoch = e;
      record.step = 8 * e + 1;
      record.learning_rate = 0.0003;
      record.train_loss = 0.7 / e;
      record.train_accuracy = 0.5 + 0.1 * e;
      record.seconds = 1.25 * e;
      record.validation.n = 6;
      record.validation.loss = 0.69314718055994529 / e;
      record.validation.accuracy = 4.0 / 6.0;
      record.validation.precision = 1.0 / 3.0;
      record.validation.recall = 1e-300;
      record.validation.f1 = 0.4;
      record.validation.auc = e == 1 ? NAN : 0.75;
      record.validation.threshold = 0.37;
      record.validation.tp = 1;
      record.validation.fp = 2;
      record.validation.tn = 3;
      record.validation.fn = e;
      g_array_append_val (c->history, record);
    }

  c->dataset_folder = g_strdup ("/data/猫 vs chien");
  c->dataset_counts[0] = 10;
  c->dataset_counts[1] = 12;
  c->dataset_skipped = 3;
  c->dataset_fingerprint = g_strdup ("0123abcd");

  return c;
}

static void
assert_same_double (double a,
                    double b)
{
  if (isnan (a))
    g_assert_true (isnan (b));
  else
    g_assert_cmpmem (&a, sizeof a, &b, sizeof b);
}

static void
assert_same_classifier (const CnvClassifier *a,
                        const CnvClassifier *b)
{
  const CnvOptimizerConfig *ca;
  const CnvOptimizerConfig *cb;

  g_assert_true (cnv_model_spec_equal (cnv_model_get_spec (a->model),
                                       cnv_model_get_spec (b->model)));
  g_assert_true (cnv_preprocessing_equal (&a->preprocessing,
                                          &b->preprocessing));
  g_assert_cmpstr (a->class_names[0], ==, b->class_names[0]);
  g_assert_cmpstr (a->class_names[1], ==, b->class_names[1]);
  g_assert_cmpint (a->positive_class, ==, b->positive_class);
  assert_same_double (a->threshold, b->threshold);
  g_assert_cmpuint (a->seed, ==, b->seed);
  g_assert_cmpuint (a->batch_size, ==, b->batch_size);
  assert_same_double (a->val_split, b->val_split);
  g_assert_cmpstr (a->dataset_folder, ==, b->dataset_folder);
  g_assert_cmpstr (a->dataset_fingerprint, ==, b->dataset_fingerprint);
  g_assert_cmpuint (a->dataset_counts[0], ==, b->dataset_counts[0]);
  g_assert_cmpuint (a->dataset_counts[1], ==, b->dataset_counts[1]);
  g_assert_cmpuint (a->dataset_skipped, ==, b->dataset_skipped);

  /* Every parameter and buffer, bit for bit. */
  g_assert_cmpuint (cnv_model_get_n_params (a->model), ==,
                    cnv_model_get_n_params (b->model));
  for (guint i = 0; i < cnv_model_get_n_params (a->model); i++)
    {
      const CnvParam *pa = cnv_model_get_param (a->model, i);
      const CnvParam *pb = cnv_model_get_param (b->model, i);

      g_assert_cmpstr (pa->name, ==, pb->name);
      g_assert_true (cnv_tensor_same_shape (pa->value, pb->value));
      g_assert_cmpmem (pa->value->data, pa->value->size * sizeof (float),
                       pb->value->data, pb->value->size * sizeof (float));
    }

  /* The optimizer: configuration, step and every slot. */
  g_assert_nonnull (b->optimizer);
  ca = cnv_optimizer_get_config (a->optimizer);
  cb = cnv_optimizer_get_config (b->optimizer);
  g_assert_cmpint (ca->kind, ==, cb->kind);
  assert_same_double (ca->learning_rate, cb->learning_rate);
  assert_same_double (ca->weight_decay, cb->weight_decay);
  assert_same_double (ca->momentum, cb->momentum);
  g_assert_cmpint (ca->nesterov, ==, cb->nesterov);
  assert_same_double (ca->beta1, cb->beta1);
  assert_same_double (ca->beta2, cb->beta2);
  assert_same_double (ca->epsilon, cb->epsilon);
  g_assert_cmpint (cnv_optimizer_get_step (a->optimizer), ==,
                   cnv_optimizer_get_step (b->optimizer));
  g_assert_cmpuint (cnv_optimizer_get_n_slots (a->optimizer), ==,
                    cnv_optimizer_get_n_slots (b->optimizer));
  for (guint i = 0; i < cnv_optimizer_get_n_slots (a->optimizer); i++)
    {
      const CnvOptimizerSlot *sa = cnv_optimizer_get_slot (a->optimizer, i);
      const CnvOptimizerSlot *sb = cnv_optimizer_find_slot (b->optimizer,
                                                            sa->name);

      g_assert_nonnull (sb);
      g_assert_cmpmem (sa->value->data, sa->value->size * sizeof (float),
                       sb->value->data, sb->value->size * sizeof (float));
    }

  /* History, every field. */
  g_assert_cmpuint (a->history->len, ==, b->history->len);
  for (guint i = 0; i < a->history->len; i++)
    {
      const CnvEpochRecord *ra = &g_array_index (a->history, CnvEpochRecord, i);
      const CnvEpochRecord *rb = &g_array_index (b->history, CnvEpochRecord, i);

      g_assert_cmpuint (ra->epoch, ==, rb->epoch);
      g_assert_cmpint (ra->step, ==, rb->step);
      assert_same_double (ra->learning_rate, rb->learning_rate);
      assert_same_double (ra->train_loss, rb->train_loss);
      assert_same_double (ra->train_accuracy, rb->train_accuracy);
      assert_same_double (ra->seconds, rb->seconds);
      g_assert_cmpuint (ra->validation.n, ==, rb->validation.n);
      assert_same_double (ra->validation.loss, rb->validation.loss);
      assert_same_double (ra->validation.accuracy, rb->validation.accuracy);
      assert_same_double (ra->validation.precision, rb->validation.precision);
      assert_same_double (ra->validation.recall, rb->validation.recall);
      assert_same_double (ra->validation.f1, rb->validation.f1);
      assert_same_double (ra->validation.auc, rb->validation.auc);
      assert_same_double (ra->validation.threshold, rb->validation.threshold);
      g_assert_cmpuint (ra->validation.tp, ==, rb->validation.tp);
      g_assert_cmpuint (ra->validation.fp, ==, rb->validation.fp);
      g_assert_cmpuint (ra->validation.tn, ==, rb->validation.tn);
      g_assert_cmpuint (ra->validation.fn, ==, rb->validation.fn);
    }
}

static void
save_classifier (const char *path)
{
  g_autoptr(CnvClassifier) c = make_classifier ();
  g_autoptr(GError) error = NULL;

  cnv_checkpoint_save (c, path, &error);
  g_assert_no_error (error);
}

static void
assert_load_fails (const char         *path,
                   CnvCheckpointError  code,
                   const char         *substring)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autofree char *base = g_path_get_basename (path);

  c = cnv_checkpoint_load (path, &error);
  g_assert_null (c);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, (int) code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, substring));
  g_assert_nonnull (strstr (error->message, base));
}

static void
test_classifier_round_trip (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *folder = test_tmp_path (tmp, "модели");
  g_autofree char *path = g_build_filename (folder, "ü 😀 model.convolve",
                                            NULL);
  g_autofree char *again = test_tmp_path (tmp, "again.convolve");
  g_autoptr(CnvClassifier) c = make_classifier ();
  g_autoptr(CnvClassifier) back = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  cnv_checkpoint_save (c, path, &error);
  g_assert_no_error (error);
  back = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);

  assert_same_classifier (c, back);
  g_assert_cmpuint (back->notices->len, ==, 0);

  /* Saving what was loaded writes the same bytes. */
  cnv_checkpoint_save (back, again, &error);
  g_assert_no_error (error);
  first = read_bytes (path);
  second = read_bytes (again);
  g_assert_true (g_bytes_equal (first, second));
}

/* The metadata documents say what docs/checkpoint-format.md says. */
static void
test_classifier_metadata (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "meta.convolve");
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) classes = NULL;
  g_autoptr(JsonNode) training = NULL;
  g_autoptr(JsonNode) dataset = NULL;
  g_autoptr(JsonNode) model = NULL;
  JsonObject *object;
  JsonObject *record;

  save_classifier (path);
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (g_hash_table_lookup (st->metadata, "format"), ==,
                   "convolve-checkpoint");
  g_assert_cmpstr (g_hash_table_lookup (st->metadata, "format_version"), ==,
                   "1");
  g_assert_cmpstr (g_hash_table_lookup (st->metadata, "writer"), ==,
                   "Convolve " CNV_VERSION);

  classes = test_parse_json (g_hash_table_lookup (st->metadata, "classes"));
  object = json_node_get_object (classes);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (object, "names"), 0),
                   ==, "猫");
  g_assert_cmpint (json_object_get_int_member (object, "positive"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (object, "threshold"), ==,
                     0.37);

  training = test_parse_json (g_hash_table_lookup (st->metadata, "training"));
  object = json_node_get_object (training);
  g_assert_cmpstr (json_object_get_string_member (object, "seed"), ==,
                   "18446744073709551610");
  g_assert_cmpint (json_object_get_int_member (object, "step"), ==, 17);
  g_assert_cmpint (json_object_get_int_member (object, "epoch"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (object, "optimizer"),
                     "kind"), ==, "adam");
  record = json_array_get_object_element (
    json_object_get_array_member (object, "history"), 0);
  /* A NaN AUC is written as null, 1e-300 as a valid JSON number. */
  g_assert_true (json_node_is_null (json_object_get_member (
    json_object_get_object_member (record, "validation"), "auc")));
  g_assert_cmpfloat (json_object_get_double_member (
    json_object_get_object_member (record, "validation"), "recall"), ==,
                     1e-300);

  dataset = test_parse_json (g_hash_table_lookup (st->metadata, "dataset"));
  object = json_node_get_object (dataset);
  g_assert_cmpstr (json_object_get_string_member (object, "folder"), ==,
                   "/data/猫 vs chien");
  g_assert_cmpint (json_array_get_int_element (
                     json_object_get_array_member (object, "counts"), 1),
                   ==, 12);

  model = test_parse_json (g_hash_table_lookup (st->metadata, "model"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_node_get_object (model), "layers")), ==, 8);

  /* Tensors: bn running statistics and Adam state are stored. */
  g_assert_nonnull (cnv_safetensors_find (st, "bn1.running_mean"));
  g_assert_nonnull (cnv_safetensors_find (st, "bn1.running_var"));
  g_assert_nonnull (cnv_safetensors_find (st, "optimizer.conv1.weight.exp_avg"));
  g_assert_nonnull (cnv_safetensors_find (st,
                                          "optimizer.out.bias.exp_avg_sq"));
  g_assert_cmpint (cnv_safetensors_find (st, "conv1.weight")->tensor->shape[3],
                   ==, 3);
}

typedef void (*EditFunc) (CnvSafetensors *st);

/* Reads path, lets edit change it, writes it back (with a fresh
 * checksum, so only the edit is wrong). */
static void
edit_checkpoint (const char *path,
                 EditFunc    edit)
{
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;

  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  edit (st);
  cnv_safetensors_write (st, path, &error);
  g_assert_no_error (error);
}

static void
remove_tensor (CnvSafetensors *st,
               const char     *name)
{
  CnvNamedTensor *named = cnv_safetensors_find (st, name);

  g_assert_nonnull (named);
  g_ptr_array_remove (st->tensors, named);
}

static void
set_meta (CnvSafetensors *st,
          const char     *key,
          const char     *value)
{
  g_hash_table_insert (st->metadata, g_strdup (key), g_strdup (value));
}

/* Replaces the first occurrence of from in a metadata document. */
static void
replace_in_meta (CnvSafetensors *st,
                 const char     *key,
                 const char     *from,
                 const char     *to)
{
  const char *text = g_hash_table_lookup (st->metadata, key);
  const char *at = strstr (text, from);
  g_autofree char *head = NULL;

  g_assert_nonnull (at);
  head = g_strndup (text, (gsize) (at - text));
  g_hash_table_insert (st->metadata, g_strdup (key),
                       g_strconcat (head, to, at + strlen (from), NULL));
}

static void
drop_running_stats (CnvSafetensors *st)
{
  remove_tensor (st, "bn1.running_mean");
  remove_tensor (st, "bn1.running_var");
}

static void
test_classifier_missing_tensor (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "missing.convolve");

  save_classifier (path);
  edit_checkpoint (path, drop_running_stats);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_MISSING,
                     "bn1.running_mean, bn1.running_var");
}

static void
add_stray_tensor (CnvSafetensors *st)
{
  g_autoptr(CnvTensor) t = cnv_tensor_new_1d (3);

  cnv_safetensors_add (st, "conv9.weight", t);
}

static void
test_classifier_unexpected_tensor (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "stray.convolve");

  save_classifier (path);
  edit_checkpoint (path, add_stray_tensor);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_UNEXPECTED, "conv9.weight");
}

static void
reshape_conv (CnvSafetensors *st)
{
  g_autoptr(CnvTensor) t = cnv_tensor_new_4d (2, 1, 5, 5);

  remove_tensor (st, "conv1.weight");
  cnv_safetensors_add (st, "conv1.weight", t);
}

static void
test_classifier_shape_mismatch (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "shape.convolve");
  g_autoptr(CnvTensor) expected = cnv_tensor_new_4d (2, 1, 3, 3);
  g_autoptr(CnvTensor) found = cnv_tensor_new_4d (2, 1, 5, 5);
  g_autofree char *expected_text = cnv_tensor_shape_string (expected);
  g_autofree char *found_text = cnv_tensor_shape_string (found);

  save_classifier (path);
  edit_checkpoint (path, reshape_conv);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_SHAPE, "“conv1.weight”");
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_SHAPE, expected_text);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_SHAPE, found_text);
}

static void
unknown_layer (CnvSafetensors *st)
{
  replace_in_meta (st, "model", "\"relu\"", "\"swish\"");
}

static void
test_classifier_unknown_layer (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "swish.convolve");

  save_classifier (path);
  edit_checkpoint (path, unknown_layer);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_MODEL, "“relu1”");
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_MODEL, "“swish”");
}

static void
newer_version (CnvSafetensors *st)
{
  set_meta (st, "format_version", "2");
}

static void
test_classifier_newer_version (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "v2.convolve");

  save_classifier (path);
  edit_checkpoint (path, newer_version);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VERSION,
                     "format version 2, written by a newer Convolve");
}

static void
other_format (CnvSafetensors *st)
{
  set_meta (st, "format", "pt");
}

static void
test_not_a_checkpoint (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "plain.safetensors");

  /* A plain safetensors file, as PyTorch users write them. */
  write_sample (path);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_FORMAT,
                     "is a safetensors file but not a Convolve checkpoint");

  save_classifier (path);
  edit_checkpoint (path, other_format);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_FORMAT, "its format is “pt”");

  /* And what is not safetensors at all fails in the reader. */
  write_header_and_data (path, "GIF89a", NULL, 0);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_HEADER, "not valid JSON");
}

static void
assert_foreign_file (const char *path,
                     const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autofree char *display = g_filename_display_name (path);
  g_autofree char *message = NULL;

  message = g_strdup_printf ("“%s” is %s, not a Convolve checkpoint.",
                             display, what);

  c = cnv_checkpoint_load (path, &error);
  g_assert_null (c);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_FORMAT);
  g_assert_cmpstr (error->message, ==, message);
}

/* An image or a text file opened as a checkpoint is called what it is,
 * not "a header length of 727905341920923785 bytes". */
static void
test_image_or_text_not_a_checkpoint (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                                16, 16);
  g_autofree char *png = test_tmp_path (tmp, "x.png");
  g_autofree char *jpeg = test_tmp_path (tmp, "x.jpg");
  g_autofree char *bmp = test_tmp_path (tmp, "x.bmp");
  g_autofree char *gif = g_test_build_filename (G_TEST_DIST, "images",
                                                "palette-4x2.gif", NULL);
  g_autofree char *text = test_tmp_path (tmp, "notes.convolve");
  g_autofree char *short_text = test_tmp_path (tmp, "short.txt");
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_fill (pixbuf, 0x336699ff);
  gdk_pixbuf_save (pixbuf, png, "png", &error, NULL);
  g_assert_no_error (error);
  gdk_pixbuf_save (pixbuf, jpeg, "jpeg", &error, NULL);
  g_assert_no_error (error);
  gdk_pixbuf_save (pixbuf, bmp, "bmp", &error, NULL);
  g_assert_no_error (error);
  g_file_set_contents (text, "Model trained on 猫 vs chien, 12 epochs.\n"
                       "Accuracy 0.93\tAUC 0.97\n", -1, &error);
  g_assert_no_error (error);
  /* Shorter than its "header length" by far, but still text. */
  g_file_set_contents (short_text, "{\"model\": 1}", -1, &error);
  g_assert_no_error (error);

  assert_foreign_file (png, "a PNG image");
  assert_foreign_file (jpeg, "a JPEG image");
  assert_foreign_file (gif, "a GIF image");
  assert_foreign_file (bmp, "a BMP image");
  assert_foreign_file (text, "a text file");
  assert_foreign_file (short_text, "a text file");
}

static void
broken_classes (CnvSafetensors *st)
{
  set_meta (st, "classes", "{\"names\": [\"a\", \"b\"], \"positive\": 1,");
}

static void
seed_as_number (CnvSafetensors *st)
{
  replace_in_meta (st, "training", "\"seed\":\"18446744073709551610\"",
                   "\"seed\":18446744073709551610");
}

static void
seed_as_negative (CnvSafetensors *st)
{
  replace_in_meta (st, "training", "\"seed\":\"18446744073709551610\"",
                   "\"seed\":\"-1\"");
}

static void
threshold_out_of_range (CnvSafetensors *st)
{
  replace_in_meta (st, "classes", "\"threshold\":0.37", "\"threshold\":1.5");
}

static void
no_preprocessing (CnvSafetensors *st)
{
  g_hash_table_remove (st->metadata, "preprocessing");
}

static void
deep_model (CnvSafetensors *st)
{
  GString *deep = g_string_new ("{\"input\":");

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  set_meta (st, "model", deep->str);
  g_string_free (deep, TRUE);
}

static void
test_classifier_invalid_metadata (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "bad-meta.convolve");

  save_classifier (path);
  edit_checkpoint (path, broken_classes);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA,
                     "The “classes” metadata of");

  save_classifier (path);
  edit_checkpoint (path, seed_as_number);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA,
                     "“training” metadata");

  save_classifier (path);
  edit_checkpoint (path, seed_as_negative);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA, "“seed” must be");

  save_classifier (path);
  edit_checkpoint (path, threshold_out_of_range);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA,
                     "“threshold” must be a number from 0 to 1");

  save_classifier (path);
  edit_checkpoint (path, no_preprocessing);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA,
                     "has no “preprocessing” metadata");

  save_classifier (path);
  edit_checkpoint (path, deep_model);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA,
                     "nested too deeply");
}

static void
nan_in_weight (CnvSafetensors *st)
{
  cnv_safetensors_find (st, "conv1.weight")->tensor->data[5] = NAN;
}

static void
infinity_in_adam_state (CnvSafetensors *st)
{
  cnv_safetensors_find (st, "optimizer.fc1.bias.exp_avg")->tensor->data[2] =
    -INFINITY;
}

static void
negative_running_var (CnvSafetensors *st)
{
  cnv_safetensors_find (st, "bn1.running_var")->tensor->data[1] = -0.5f;
}

/* Shapes are not enough: a NaN, an infinity or a negative variance would
 * make every prediction NaN.  The safetensors reader, which is generic,
 * still reads such files; the checkpoint loader refuses them and names
 * the tensor and the element. */
static void
test_classifier_bad_values (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "values.convolve");
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;

  save_classifier (path);
  edit_checkpoint (path, nan_in_weight);
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (cnv_safetensors_find (st, "conv1.weight")
                        ->tensor->data[5]));
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "Tensor “conv1.weight” in");
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "holds nan at element 5;");

  save_classifier (path);
  edit_checkpoint (path, infinity_in_adam_state);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "“optimizer.fc1.bias.exp_avg”");
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "holds -inf at element 2;");

  save_classifier (path);
  edit_checkpoint (path, negative_running_var);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "“bn1.running_var”");
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "holds the variance -0.5 at element 1; a variance "
                     "cannot be negative");
}

static void
batch_size_max_uint (CnvSafetensors *st)
{
  replace_in_meta (st, "training", "\"batch_size\":16",
                   "\"batch_size\":4294967295");
}

static void
batch_size_zero (CnvSafetensors *st)
{
  replace_in_meta (st, "training", "\"batch_size\":16", "\"batch_size\":0");
}

/* A batch size from a file is capped like one a user types: training
 * would otherwise hand 4294967295 to cnv_tensor_new_4d () as an int. */
static void
test_classifier_batch_size_out_of_range (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "batch.convolve");

  save_classifier (path);
  edit_checkpoint (path, batch_size_max_uint);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA,
                     "has a batch_size of 4294967295; it must be from 1 to "
                     "65536");

  save_classifier (path);
  edit_checkpoint (path, batch_size_zero);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_METADATA,
                     "has a batch_size of 0;");
}

static void
drop_optimizer_state (CnvSafetensors *st)
{
  for (guint i = st->tensors->len; i > 0; i--)
    {
      CnvNamedTensor *named = g_ptr_array_index (st->tensors, i - 1);

      if (g_str_has_prefix (named->name, "optimizer."))
        g_ptr_array_remove_index (st->tensors, i - 1);
    }
}

static void
test_classifier_no_optimizer_state (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "no-adam.convolve");
  g_autoptr(CnvClassifier) original = make_classifier ();
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(GError) error = NULL;

  cnv_checkpoint_save (original, path, &error);
  g_assert_no_error (error);
  edit_checkpoint (path, drop_optimizer_state);
  c = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);

  g_assert_null (c->optimizer);
  g_assert_cmpuint (c->notices->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (c->notices, 0),
                            "resuming training will restart the optimizer"));
  /* The weights are still all there. */
  g_assert_cmpmem (cnv_model_find_param (c->model, "fc1.weight")->value->data,
                   32 * 4 * sizeof (float),
                   cnv_model_find_param (original->model,
                                         "fc1.weight")->value->data,
                   32 * 4 * sizeof (float));
}

static void
drop_one_slot (CnvSafetensors *st)
{
  remove_tensor (st, "optimizer.fc1.bias.exp_avg_sq");
}

static void
test_classifier_partial_optimizer_state (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "half-adam.convolve");

  save_classifier (path);
  edit_checkpoint (path, drop_one_slot);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_MISSING,
                     "optimizer.fc1.bias.exp_avg_sq");
}

/* Writes st with tensor `wide` (may be NULL) stored as F64, by hand: the
 * safetensors writer only writes F32 and always adds checksums; this one
 * adds the SHA-256 only when asked, and never the fast one. */
static void
write_by_hand (const CnvSafetensors *st,
               const char           *path,
               const char           *wide,
               gboolean              with_checksum)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autofree char *header = NULL;
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "__metadata__");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, st->metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_str_equal (key, "checksum") && !g_str_equal (key, "fast_checksum"))
      {
        json_builder_set_member_name (b, key);
        json_builder_add_string_value (b, value);
      }
  json_builder_end_object (b);

  for (guint i = 0; i < st->tensors->len; i++)
    {
      const CnvNamedTensor *named = g_ptr_array_index (st->tensors, i);
      const CnvTensor *t = named->tensor;
      gboolean f64 = g_strcmp0 (named->name, wide) == 0;
      guint begin = data->len;

      for (gsize k = 0; k < t->size; k++)
        {
          guint8 bytes[8];
          guint64 bits = 0;

          if (f64)
            {
              double d = t->data[k];

              memcpy (&bits, &d, 8);
            }
          else
            {
              guint32 b32;

              memcpy (&b32, &t->data[k], 4);
              bits = b32;
            }
          for (int j = 0; j < (f64 ? 8 : 4); j++)
            bytes[j] = (guint8) (bits >> (8 * j));
          g_byte_array_append (data, bytes, f64 ? 8 : 4);
        }

      json_builder_set_member_name (b, named->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, f64 ? "F64" : "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < t->ndim; d++)
        json_builder_add_int_value (b, t->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, begin);
      json_builder_add_int_value (b, data->len);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  if (with_checksum)
    {
      g_autofree char *sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                          data->data,
                                                          data->len);
      g_autofree char *checksum = g_strconcat ("sha256:", sha, NULL);
      JsonObject *meta = json_object_get_object_member (
        json_node_get_object (root), "__metadata__");

      json_object_set_string_member (meta, "checksum", checksum);
    }
  json_generator_set_root (gen, root);
  header = json_generator_to_data (gen, NULL);
  write_header_and_data (path, header, data->data, data->len);
}

static void
test_classifier_f64_tensor (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "f64.convolve");
  g_autoptr(CnvClassifier) original = make_classifier ();
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(CnvSafetensors) wide = NULL;
  g_autoptr(GError) error = NULL;
  CnvNamedTensor *named;

  cnv_checkpoint_save (original, path, &error);
  g_assert_no_error (error);
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  write_by_hand (st, path, "fc1.weight", TRUE);

  /* fc1.weight [4, 32] as F64 spans 4 × 32 × 8 = 1024 bytes. */
  wide = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  named = cnv_safetensors_find (wide, "fc1.weight");
  g_assert_cmpstr (named->stored_dtype, ==, "F64");

  c = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->notices->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (c->notices, 0),
                            "“fc1.weight” was stored as F64"));
  /* float → double → float is exact. */
  assert_same_classifier (original, c);
}

/* A checkpoint large enough for its checksum to be taken in a thread while
 * the classifier is built, its weights in memory of their own: an intact
 * one opens, and a damaged one is refused as damaged, the classifier built
 * meanwhile thrown away, even where the damage made a weight NaN, which
 * building it would have refused for itself. */
static void
test_classifier_large_damaged (void)
{
  static const char *json =
    "{\"input\": {\"width\": 32, \"height\": 32, \"channels\": 1},"
    " \"layers\": ["
    "  {\"id\": \"flat\", \"type\": \"flatten\"},"
    "  {\"id\": \"fc1\", \"type\": \"dense\", \"units\": 640},"
    "  {\"id\": \"relu1\", \"type\": \"relu\"},"
    "  {\"id\": \"out\", \"type\": \"dense\", \"units\": 1}]}";
  static const guint8 nan_le[4] = { 0x00, 0x00, 0xc0, 0x7f };
  const char *names[] = { "a", "b", NULL };
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "large.convolve");
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(CnvClassifier) back = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *copy = NULL;
  CnvOptimizerConfig config;
  CnvPreprocessing pp;
  const guint8 *data;
  guint64 header_length = 0;
  gsize size;

  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  cnv_preprocessing_init_default (&pp, 32, 32, 1);
  c = cnv_classifier_new (spec, &pp, names, 7, &error);
  g_assert_no_error (error);
  cnv_optimizer_config_init_default (&config, CNV_OPTIMIZER_ADAM);
  c->optimizer = cnv_optimizer_new (&config, c->model);
  cnv_checkpoint_save (c, path, &error);
  g_assert_no_error (error);

  back = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (cnv_model_get_param (back->model, 0)->value->data[1000],
                     ==,
                     cnv_model_get_param (c->model, 0)->value->data[1000]);

  /* fc1's weight alone is 2.6 MB, the file with Adam's moments 7.9 MB. */
  bytes = read_bytes (path);
  data = g_bytes_get_data (bytes, &size);
  g_assert_cmpuint (size, >, 7 * 1024 * 1024);
  for (int i = 0; i < 8; i++)
    header_length |= (guint64) data[i] << (8 * i);

  copy = g_memdup2 (data, size);
  copy[size / 2] ^= 0x10;
  g_file_set_contents (path, copy, (gssize) size, &error);
  g_assert_no_error (error);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "do not match its checksum");

  /* The first float of the data, fc1's first bias, made NaN. */
  memcpy (copy, data, size);
  memcpy (copy + 8 + header_length, nan_le, sizeof nan_le);
  g_file_set_contents (path, copy, (gssize) size, &error);
  g_assert_no_error (error);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "do not match its checksum");
}

/* The checksum is optional in safetensors files and required in Convolve
 * checkpoints: without it a changed weight would go unnoticed. */
static void
test_classifier_checksum_required (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "unsummed.convolve");
  g_autoptr(CnvClassifier) original = make_classifier ();
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(CnvSafetensors) plain = NULL;
  g_autoptr(GError) error = NULL;

  cnv_checkpoint_save (original, path, &error);
  g_assert_no_error (error);
  st = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  write_by_hand (st, path, NULL, FALSE);

  /* As plain safetensors it reads, with no checksum to check. */
  plain = cnv_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_false (g_hash_table_contains (plain->metadata, "checksum"));
  g_assert_cmpuint (plain->tensors->len, ==, st->tensors->len);

  assert_load_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM, "has no checksum");

  /* The same bytes with their checksum load. */
  write_by_hand (st, path, NULL, TRUE);
  g_clear_pointer (&original, cnv_classifier_free);
  original = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
}

/* A classifier on 8 × 8 grey images whose dense layer has units × 64
 * weights, randomly initialised, saved at path. */
static void
save_wide_classifier (const char *path,
                      int         units)
{
  g_autofree char *json = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(GError) error = NULL;
  CnvPreprocessing pp;

  json = g_strdup_printf ("{\"input\": {\"width\": 8, \"height\": 8, "
                          "\"channels\": 1}, \"layers\": ["
                          "{\"id\": \"flat\", \"type\": \"flatten\"},"
                          "{\"id\": \"fc1\", \"type\": \"dense\", "
                          "\"units\": %d},"
                          "{\"id\": \"out\", \"type\": \"dense\", "
                          "\"units\": 1}]}", units);
  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  cnv_preprocessing_init_default (&pp, 8, 8, 1);
  c = cnv_classifier_new (spec, &pp, NULL, 3, &error);
  g_assert_no_error (error);
  cnv_checkpoint_save (c, path, &error);
  g_assert_no_error (error);
}

static void
nan_at_5000 (CnvSafetensors *st)
{
  cnv_safetensors_find (st, "fc1.weight")->tensor->data[5000] = NAN;
}

static void
infinity_last (CnvSafetensors *st)
{
  CnvTensor *t = cnv_safetensors_find (st, "fc1.weight")->tensor;

  t->data[t->size - 1] = INFINITY;
}

/* The reader looks at the values piece by piece as it copies them: a
 * NaN in a later piece, or in the last element, is found as well. */
static void
test_classifier_bad_value_in_a_later_piece (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "wide.convolve");

  save_wide_classifier (path, 100);
  edit_checkpoint (path, nan_at_5000);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "holds nan at element 5000;");

  save_wide_classifier (path, 100);
  edit_checkpoint (path, infinity_last);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_VALUE,
                     "holds inf at element 6399;");
}

/* 1 MiB of weights is checked in a thread of its own, which reports the
 * damage as the reader would. */
static void
test_classifier_damage_found_in_a_thread (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "large.convolve");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  save_wide_classifier (path, 4096);
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 4 * 64 * 4096);
  contents[length - 4 * 100] ^= 0x10;
  g_file_set_contents (path, contents, (gssize) length, &error);
  g_assert_no_error (error);

  assert_load_fails (path, CNV_CHECKPOINT_ERROR_CHECKSUM,
                     "do not match its checksum (stored sha256:");
}

static void
preprocessing_wider_than_model (CnvSafetensors *st)
{
  replace_in_meta (st, "preprocessing", "\"width\":8", "\"width\":9");
}

/* The preprocessing must produce what the model takes: a 9-pixel-wide
 * image cannot feed an 8-wide input. */
static void
test_classifier_preprocessing_mismatch (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "wide.convolve");

  save_classifier (path);
  edit_checkpoint (path, preprocessing_wider_than_model);
  assert_load_fails (path, CNV_CHECKPOINT_ERROR_MODEL, "cannot be built");
}

/* A failed save over a checkpoint leaves it byte for byte, and it opens. */
static void
test_classifier_failed_save (void)
{
  g_autoptr(TestTmpDir) tmp = test_tmp_dir_new ("test-checkpoint-XXXXXX");
  g_autofree char *path = test_tmp_path (tmp, "keep.convolve");
  g_autoptr(CnvClassifier) c = make_classifier ();
  g_autoptr(CnvClassifier) reopened = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit saved;
  struct rlimit limited;
  void (*saved_handler) (int);
  gboolean ok;

  save_classifier (path);
  before = read_bytes (path);

  /* The checkpoint is about 7 KiB; 4 KiB stops it halfway. */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limited = saved;
  limited.rlim_cur = g_bytes_get_size (before) / 2;
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limited), ==, 0);
  c->threshold = 0.9;
  ok = cnv_checkpoint_save (c, path, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  g_assert_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO);
  g_clear_error (&error);
  after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  reopened = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  assert_same_double (reopened->threshold, 0.37);
}


/* tests/checkpoints/v1-small.convolve was written by format version 1
 * from make_classifier (); every later build must open it to the same
 * classifier (C19).  CNV_REGENERATE_FIXTURES=1 rewrites it, which is only
 * right when make_classifier () itself changed. */
static void
test_classifier_v1_fixture (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "checkpoints",
                                                 "v1-small.convolve", NULL);
  g_autoptr(CnvClassifier) expected = make_classifier ();
  g_autoptr(CnvClassifier) c = NULL;
  g_autoptr(GError) error = NULL;

  if (g_getenv ("CNV_REGENERATE_FIXTURES") != NULL)
    {
      cnv_checkpoint_save (expected, path, &error);
      g_assert_no_error (error);
    }

  c = cnv_checkpoint_load (path, &error);
  g_assert_no_error (error);
  assert_same_classifier (expected, c);
  g_assert_cmpuint (c->notices->len, ==, 0);
}

/* What json-glib 1.6 gets wrong: doubles without a point in exponent
 * form, and non-finite values. */
static void
test_json_to_string (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autoptr(JsonNode) back_pretty = NULL;
  g_autofree char *compact = NULL;
  g_autofree char *pretty = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *values;
  const double numbers[] = { 1e-8, 1e-300, 0.1, 1.0 / 3.0, 1e22, -0.0, 5e-324 };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "numbers");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    json_builder_add_double_value (b, numbers[i]);
  json_builder_add_double_value (b, NAN);
  json_builder_add_double_value (b, -INFINITY);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "text \"q\"");
  json_builder_add_string_value (b, "tab\t nl\n bell\a \\ 猫");
  json_builder_set_member_name (b, "empty");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);

  compact = cnv_json_to_string (root, FALSE);
  pretty = cnv_json_to_string (root, TRUE);
  g_test_message ("%s", compact);
  g_assert_nonnull (strstr (compact, "[1e-08,1e-300,0.1,"));
  g_assert_nonnull (strstr (compact, "null,null]"));
  g_assert_nonnull (strstr (compact, "bell\\u0007"));
  g_assert_nonnull (strstr (pretty, "\n  \"numbers\": [\n    1e-08,"));

  back = json_from_string (compact, &error);
  g_assert_no_error (error);
  back_pretty = json_from_string (pretty, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (back, back_pretty));

  values = json_object_get_array_member (json_node_get_object (back),
                                         "numbers");
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      double value = json_array_get_double_element (values, i);

      g_assert_cmpmem (&value, sizeof value, &numbers[i], sizeof numbers[i]);
    }
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (back),
                                                  "text \"q\""),
                   ==, "tab\t nl\n bell\a \\ 猫");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/checkpoint/safetensors/round-trip-bit-identical",
                   test_round_trip);
  g_test_add_func ("/checkpoint/safetensors/threaded-checksum",
                   test_threaded_checksum);
  g_test_add_func ("/checkpoint/safetensors/layout-follows-the-format",
                   test_layout);
  g_test_add_func ("/checkpoint/safetensors/opens-with-numpy-reader",
                   test_numpy_reader);
  g_test_add_func ("/checkpoint/save/opens-with-numpy-reader",
                   test_numpy_reader_checkpoint);
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
  g_test_add_func ("/checkpoint/safetensors/reversed-offsets",
                   test_reversed_offsets);
  g_test_add_func ("/checkpoint/safetensors/gap-between-tensors", test_gap);
  g_test_add_func ("/checkpoint/safetensors/trailing-bytes", test_trailing);
  g_test_add_func ("/checkpoint/safetensors/checksum-reference-values",
                   test_checksum_reference_values);
  g_test_add_func ("/checkpoint/safetensors/stale-fast-checksum",
                   test_stale_fast_checksum);
  g_test_add_func ("/checkpoint/safetensors/fast-checksum-malformed",
                   test_fast_checksum_malformed);
  g_test_add_func ("/checkpoint/safetensors/checksum-malformed",
                   test_checksum_malformed);
  g_test_add_func ("/checkpoint/safetensors/fast-checksum-decides-when-it-matches",
                   test_fast_checksum_decides_when_it_matches);
  g_test_add_func ("/checkpoint/safetensors/fast-checksum-alone",
                   test_fast_checksum_alone);
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

  g_test_add_func ("/checkpoint/classifier/round-trip-bit-identical",
                   test_classifier_round_trip);
  g_test_add_func ("/checkpoint/classifier/metadata-documents",
                   test_classifier_metadata);
  g_test_add_func ("/checkpoint/classifier/missing-tensor",
                   test_classifier_missing_tensor);
  g_test_add_func ("/checkpoint/classifier/unexpected-tensor",
                   test_classifier_unexpected_tensor);
  g_test_add_func ("/checkpoint/classifier/shape-mismatch",
                   test_classifier_shape_mismatch);
  g_test_add_func ("/checkpoint/classifier/unknown-layer-type",
                   test_classifier_unknown_layer);
  g_test_add_func ("/checkpoint/classifier/preprocessing-not-matching-model",
                   test_classifier_preprocessing_mismatch);
  g_test_add_func ("/checkpoint/classifier/newer-format-version",
                   test_classifier_newer_version);
  g_test_add_func ("/checkpoint/classifier/not-a-convolve-checkpoint",
                   test_not_a_checkpoint);
  g_test_add_func ("/checkpoint/classifier/image-or-text-not-a-checkpoint",
                   test_image_or_text_not_a_checkpoint);
  g_test_add_func ("/checkpoint/classifier/invalid-metadata",
                   test_classifier_invalid_metadata);
  g_test_add_func ("/checkpoint/classifier/non-finite-or-negative-variance",
                   test_classifier_bad_values);
  g_test_add_func ("/checkpoint/classifier/bad-value-in-a-later-piece",
                   test_classifier_bad_value_in_a_later_piece);
  g_test_add_func ("/checkpoint/classifier/damage-found-in-a-thread",
                   test_classifier_damage_found_in_a_thread);
  g_test_add_func ("/checkpoint/classifier/batch-size-out-of-range",
                   test_classifier_batch_size_out_of_range);
  g_test_add_func ("/checkpoint/classifier/no-optimizer-state",
                   test_classifier_no_optimizer_state);
  g_test_add_func ("/checkpoint/classifier/partial-optimizer-state",
                   test_classifier_partial_optimizer_state);
  g_test_add_func ("/checkpoint/classifier/f64-tensor-converted-with-notice",
                   test_classifier_f64_tensor);
  g_test_add_func ("/checkpoint/classifier/checksum-required",
                   test_classifier_checksum_required);
  g_test_add_func ("/checkpoint/classifier/large-damaged",
                   test_classifier_large_damaged);
  g_test_add_func ("/checkpoint/classifier/failed-save-keeps-old-file",
                   test_classifier_failed_save);
  g_test_add_func ("/checkpoint/classifier/opens-version-1-fixture",
                   test_classifier_v1_fixture);
  g_test_add_func ("/checkpoint/json/valid-numbers-and-strings",
                   test_json_to_string);

  return g_test_run ();
}
