/* cnv-safetensors.c — reading and writing safetensors files
 *
 * A safetensors file is an 8-byte little-endian header length, a JSON
 * header that maps tensor names to dtype, shape and byte span, and then
 * the tensor bytes, back to back.  The writer streams the file into a
 * temporary one beside the target and renames it over the old one once
 * it is on disk, so a failure at any point leaves the old file as it was.
 *
 * The one idea of the reader: nothing the file says is trusted until it
 * has been checked against something already known.  The header length is
 * checked against the cap and the file size before the header is read;
 * the header text is proved strict JSON with a bounded depth before
 * json-glib sees it (cnv-json.c); every shape, dtype and span is checked
 * against the others and against the file size before a single tensor is
 * allocated.
 */

#define G_LOG_DOMAIN "cnv-safetensors"
/* sync_file_range () */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <nettle/sha2.h>
#include <xxhash.h>

#include "cnv-checkpoint.h"
#include "cnv-json.h"
#include "cnv-safetensors-private.h"
#include "cnv-tensor-private.h"

/* Integers must survive a trip through a double: below 2^53. */
#define MAX_SAFE_INTEGER    ((G_GUINT64_CONSTANT (1) << 53) - 1)
#define CHECKSUM_KEY         "checksum"
#define CHECKSUM_PREFIX      "sha256:"
#define CHECKSUM_DIGITS      (2 * SHA256_DIGEST_SIZE)
#define FAST_CHECKSUM_KEY    "fast_checksum"
#define FAST_CHECKSUM_PREFIX "xxh3-128:"
#define FAST_CHECKSUM_DIGITS (2 * sizeof (XXH128_canonical_t))

G_DEFINE_QUARK (cnv-checkpoint-error-quark, cnv_checkpoint_error)

typedef struct
{
  const char *name;
  guint       size;
} DtypeInfo;

static const DtypeInfo dtypes[] = {
  { "F32", 4 },
  { "F16", 2 },
  { "BF16", 2 },
  { "F64", 8 },
};

/* One tensor entry of a header, checked but not yet loaded. */
typedef struct
{
  const char      *name;      /* borrowed from the parsed header */
  const DtypeInfo *dtype;
  int              ndim;
  int              shape[CNV_TENSOR_MAX_DIMS];
  guint64          n_elements;
  guint64          begin;     /* relative to the start of the data */
  guint64          end;
} TensorEntry;

/* A named tensor with what only this file needs to know of it. */
typedef struct
{
  CnvNamedTensor named;
  gboolean       borrowed;      /* the tensor belongs to the caller */
  gboolean       known_finite;  /* the reader saw no infinity nor NaN */
} NamedBlock;

static CnvNamedTensor *
named_tensor_new (const char *name,
                  CnvTensor  *tensor,
                  const char *stored_dtype)
{
  NamedBlock *block = g_new0 (NamedBlock, 1);

  block->named.name = g_strdup (name);
  block->named.tensor = tensor;
  block->named.stored_dtype = g_strdup (stored_dtype);

  return &block->named;
}

static void
named_tensor_free (gpointer data)
{
  NamedBlock *block = data;

  g_free (block->named.name);
  if (!block->borrowed)
    cnv_tensor_free (block->named.tensor);
  g_free (block->named.stored_dtype);
  g_free (block);
}

CnvSafetensors *
cnv_safetensors_new (void)
{
  CnvSafetensors *st = g_new0 (CnvSafetensors, 1);

  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal,
                                        g_free, g_free);
  st->tensors = g_ptr_array_new_with_free_func (named_tensor_free);

  return st;
}

void
cnv_safetensors_free (CnvSafetensors *st)
{
  if (st == NULL)
    return;

  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_clear_pointer (&st->tensors, g_ptr_array_unref);
  g_free (st);
}

void
cnv_safetensors_add (CnvSafetensors  *st,
                     const char      *name,
                     const CnvTensor *tensor)
{
  g_return_if_fail (st != NULL);
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (tensor != NULL);
  g_return_if_fail (cnv_safetensors_find (st, name) == NULL);

  g_ptr_array_add (st->tensors,
                   named_tensor_new (name, cnv_tensor_copy (tensor), "F32"));
}

void
cnv_safetensors_add_borrowed (CnvSafetensors  *st,
                              const char      *name,
                              const CnvTensor *tensor)
{
  CnvNamedTensor *named;

  g_return_if_fail (st != NULL);
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (tensor != NULL);
  g_return_if_fail (cnv_safetensors_find (st, name) == NULL);

  /* Never written through: only the writer sees it. */
  named = named_tensor_new (name, (CnvTensor *) tensor, "F32");
  ((NamedBlock *) named)->borrowed = TRUE;
  g_ptr_array_add (st->tensors, named);
}

gboolean
cnv_safetensors_known_finite (const CnvNamedTensor *named)
{
  return ((const NamedBlock *) named)->known_finite;
}

CnvNamedTensor *
cnv_safetensors_find (const CnvSafetensors *st,
                      const char           *name)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < st->tensors->len; i++)
    {
      CnvNamedTensor *named = g_ptr_array_index (st->tensors, i);

      if (g_str_equal (named->name, name))
        return named;
    }

  return NULL;
}

/* ---- header parsing -------------------------------------------------- */

/* A non-negative integer below 2^53, or FALSE. */
static gboolean
node_get_count (JsonNode *node,
                guint64  *value)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  v = json_node_get_int (node);
  if (v < 0 || (guint64) v > MAX_SAFE_INTEGER)
    return FALSE;

  *value = (guint64) v;
  return TRUE;
}

static const DtypeInfo *
find_dtype (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (g_str_equal (dtypes[i].name, name))
      return &dtypes[i];

  return NULL;
}

/* The header as strict JSON (cnv-json.c), with byte offsets counted from
 * the start of the file. */
static JsonNode *
parse_header (const char  *display,
              const char  *text,
              gsize        length,
              GError     **error)
{
  g_auto(CnvJsonProblem) problem = { 0 };
  JsonNode *header;

  header = cnv_json_parse_strict (text, length, &problem);
  if (header != NULL)
    return header;

  switch (problem.code)
    {
    case CNV_JSON_ERROR_DUPLICATE:
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_DUPLICATE,
                   _("The name “%s” appears twice in the header of “%s”; "
                     "the file is ambiguous and cannot be read."),
                   problem.key, display);
      break;
    case CNV_JSON_ERROR_ENCODING:
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("The header of “%s” is not valid UTF-8 at byte offset %"
                     "zu."), display, 8 + problem.offset);
      break;
    case CNV_JSON_ERROR_SYNTAX:
    default:
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   /* Translators: the last %s is a clause such as “a
                    * string was expected”. */
                   _("The header of “%s” is not valid JSON at byte offset %"
                     "zu: %s."),
                   display, 8 + problem.offset, problem.detail);
      break;
    }

  return NULL;
}

static char *
format_shape (const guint64 *dims,
              guint          n)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%s%" PRIu64,
                            i > 0 ? ", " : "", dims[i]);
  g_string_append_c (out, ']');

  return g_string_free (out, FALSE);
}

static gboolean
parse_metadata (const char  *display,
                JsonNode    *node,
                GHashTable  *metadata,
                GError     **error)
{
  JsonObject *object;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("The __metadata__ entry in the header of “%s” is not "
                     "a JSON object."), display);
      return FALSE;
    }

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (object, key);

      if (!JSON_NODE_HOLDS_VALUE (value)
          || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR,
                       CNV_CHECKPOINT_ERROR_HEADER,
                       _("The metadata entry “%s” in “%s” is not a string; "
                         "safetensors metadata holds strings only."),
                       key, display);
          return FALSE;
        }
      g_hash_table_insert (metadata, g_strdup (key),
                           g_strdup (json_node_get_string (value)));
    }

  return TRUE;
}

static gboolean
parse_shape (const char  *display,
             TensorEntry *entry,
             JsonNode    *node,
             GError     **error)
{
  guint64 dims[CNV_TENSOR_MAX_DIMS];
  g_autofree char *shape_text = NULL;
  JsonArray *array;
  guint n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("Tensor “%s” in “%s” has no shape array."),
                   entry->name, display);
      return FALSE;
    }

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > CNV_TENSOR_MAX_DIMS)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_SHAPE,
                   _("Tensor “%s” in “%s” has %u dimensions; Convolve "
                     "handles at most %d."),
                   entry->name, display, n, CNV_TENSOR_MAX_DIMS);
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      if (!node_get_count (json_array_get_element (array, i), &dims[i]))
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR,
                       CNV_CHECKPOINT_ERROR_HEADER,
                       _("Dimension %u of tensor “%s” in “%s” is not an "
                         "integer between 0 and 2^53 − 1."),
                       i, entry->name, display);
          return FALSE;
        }
    }

  shape_text = format_shape (dims, n);

  /* n_elements = Π dims, refusing any product that leaves 64 bits; the
   * byte count must fit as well. */
  entry->n_elements = 1;
  for (guint i = 0; i < n; i++)
    {
      if (!g_uint64_checked_mul (&entry->n_elements, entry->n_elements,
                                 dims[i]))
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_SHAPE,
                       _("The shape %s of tensor “%s” in “%s” has more "
                         "elements than can be counted."),
                       shape_text, entry->name, display);
          return FALSE;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      if (dims[i] > G_MAXINT)
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_SHAPE,
                       _("Dimension %u of tensor “%s” in “%s” is "
                         "%" PRIu64 ", larger than Convolve "
                         "handles."),
                       i, entry->name, display, dims[i]);
          return FALSE;
        }
      entry->shape[i] = (int) dims[i];
    }
  entry->ndim = (int) n;

  return TRUE;
}

static gboolean
check_entry_fields (const char  *display,
                    const char  *name,
                    JsonObject  *object,
                    GError     **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *field = l->data;

      if (!g_str_equal (field, "dtype") && !g_str_equal (field, "shape")
          && !g_str_equal (field, "data_offsets"))
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR,
                       CNV_CHECKPOINT_ERROR_HEADER,
                       _("Tensor “%s” in “%s” has an unknown field “%s”."),
                       name, display, field);
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
parse_dtype (const char  *display,
             TensorEntry *entry,
             JsonNode    *node,
             GError     **error)
{
  const char *dtype_name;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("Tensor “%s” in “%s” has no dtype string."),
                   entry->name, display);
      return FALSE;
    }

  dtype_name = json_node_get_string (node);
  entry->dtype = find_dtype (dtype_name);
  if (entry->dtype == NULL)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_DTYPE,
                   _("Tensor “%s” in “%s” is stored as %s; Convolve reads "
                     "F32, F16, BF16 and F64 only."),
                   entry->name, display, dtype_name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_offsets (const char  *display,
               TensorEntry *entry,
               JsonNode    *node,
               GError     **error)
{
  JsonArray *offsets;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) != 2)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("Tensor “%s” in “%s” has no data_offsets pair."),
                   entry->name, display);
      return FALSE;
    }

  offsets = json_node_get_array (node);
  if (!node_get_count (json_array_get_element (offsets, 0), &entry->begin)
      || !node_get_count (json_array_get_element (offsets, 1), &entry->end))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("The data_offsets of tensor “%s” in “%s” are not "
                     "integers between 0 and 2^53 − 1."),
                   entry->name, display);
      return FALSE;
    }
  if (entry->end < entry->begin)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_OFFSETS,
                   _("Tensor “%s” in “%s” ends at byte %" PRIu64
                     " of the data, before it begins at byte %"
                     PRIu64 "."),
                   entry->name, display, entry->end, entry->begin);
      return FALSE;
    }

  return TRUE;
}

/* bytes = elements × dtype size must equal the span end − begin. */
static gboolean
check_span (const char        *display,
            const TensorEntry *entry,
            GError           **error)
{
  g_autofree char *shape = NULL;
  guint64 dims[CNV_TENSOR_MAX_DIMS];
  guint64 n_bytes;

  if (!g_uint64_checked_mul (&n_bytes, entry->n_elements, entry->dtype->size))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_SHAPE,
                   _("Tensor “%s” in “%s” has more elements than can be "
                     "counted in bytes."), entry->name, display);
      return FALSE;
    }
  if (n_bytes == entry->end - entry->begin)
    return TRUE;

  for (int i = 0; i < entry->ndim; i++)
    dims[i] = (guint64) entry->shape[i];
  shape = format_shape (dims, (guint) entry->ndim);
  g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_SHAPE,
               _("Tensor “%s” in “%s” has shape %s of %s, which needs "
                 "%" PRIu64 " bytes, but its data_offsets [%"
                 PRIu64 ", %" PRIu64 "] span %"
                 PRIu64 " bytes."),
               entry->name, display, shape, entry->dtype->name, n_bytes,
               entry->begin, entry->end, entry->end - entry->begin);
  return FALSE;
}

static gboolean
parse_tensor_entry (const char  *display,
                    const char  *name,
                    JsonNode    *node,
                    TensorEntry *entry,
                    GError     **error)
{
  JsonObject *object;

  entry->name = name;

  if (*name == '\0')
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("A tensor in the header of “%s” has an empty name."),
                   display);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("The header entry of tensor “%s” in “%s” is not a "
                     "JSON object."), name, display);
      return FALSE;
    }

  object = json_node_get_object (node);
  return check_entry_fields (display, name, object, error)
         && parse_dtype (display, entry,
                         json_object_get_member (object, "dtype"), error)
         && parse_shape (display, entry,
                         json_object_get_member (object, "shape"), error)
         && parse_offsets (display, entry,
                           json_object_get_member (object, "data_offsets"),
                           error)
         && check_span (display, entry, error);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const TensorEntry *x = a;
  const TensorEntry *y = b;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;

  return strcmp (x->name, y->name);
}

/* Sorted by begin, the spans must tile [0, data_length) exactly. */
static gboolean
check_layout (const char        *display,
              const TensorEntry *entries,
              guint              n,
              guint64            data_length,
              guint64            data_start,
              GError           **error)
{
  guint64 expected = 0;
  const char *previous = NULL;

  for (guint i = 0; i < n; i++)
    {
      const TensorEntry *e = &entries[i];

      if (e->begin > expected)
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR,
                       CNV_CHECKPOINT_ERROR_OFFSETS,
                       _("“%s” has %" PRIu64 " unused bytes "
                         "before tensor “%s”, from byte offset %"
                         PRIu64 " to %" PRIu64 " of the "
                         "file; tensors must be contiguous."),
                       display, e->begin - expected, e->name,
                       data_start + expected, data_start + e->begin);
          return FALSE;
        }
      if (e->begin < expected)
        {
          g_set_error (error, CNV_CHECKPOINT_ERROR,
                       CNV_CHECKPOINT_ERROR_OFFSETS,
                       _("Tensor “%s” in “%s” starts at byte offset %"
                         PRIu64 " of the file, inside tensor "
                         "“%s” which ends at byte offset %" PRIu64
                         "; tensors must not overlap."),
                       e->name, display, data_start + e->begin,
                       previous, data_start + expected);
          return FALSE;
        }

      expected = e->end;
      previous = e->name;
    }

  if (expected > data_length)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_TRUNCATED,
                   _("“%s” is truncated: tensor “%s” ends at byte offset %"
                     PRIu64 " of the file, but the file is only %"
                     PRIu64 " bytes long (%" PRIu64
                     " bytes missing)."),
                   display, previous, data_start + expected,
                   data_start + data_length, expected - data_length);
      return FALSE;
    }
  if (expected < data_length)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_TRAILING,
                   _("“%s” has %" PRIu64 " extra bytes after the "
                     "last tensor, from byte offset %" PRIu64
                     "; the file should be %" PRIu64 " bytes "
                     "long."),
                   display, data_length - expected, data_start + expected,
                   data_start + expected);
      return FALSE;
    }

  return TRUE;
}

/* ---- checksums --------------------------------------------------------- */

/* Two checksums of the same bytes, the tensor data as it lies in the
 * file.  "checksum" is the SHA-256, which any tool can recompute and every
 * version of Convolve checks; nettle's uses the CPU's SHA instructions
 * where there are some (16 MB in about 10 ms here, where GChecksum takes
 * 70).  "fast_checksum" is XXH3's 128-bit hash, which this reader checks
 * first where the file has it: 16 MB in about 1.5 ms.  Both find damage;
 * neither is a signature. */

typedef struct
{
  struct sha256_ctx  sha256;
  XXH3_state_t      *xxh3;
} Checksums;

/* FALSE when there is no memory for XXH3's state. */
static gboolean
checksums_init (Checksums *sums)
{
  sha256_init (&sums->sha256);
  sums->xxh3 = XXH3_createState ();

  return sums->xxh3 != NULL && XXH3_128bits_reset (sums->xxh3) == XXH_OK;
}

static void
checksums_clear (Checksums *sums)
{
  if (sums->xxh3 != NULL)
    XXH3_freeState (sums->xxh3);
  sums->xxh3 = NULL;
}

/* Both hashes of data, a piece at a time so that the second reads it
 * from the cache the first brought it into. */
static void
checksums_update (Checksums    *sums,
                  const guint8 *data,
                  gsize         length)
{
  enum { PIECE = 64 * 1024 };

  for (gsize done = 0; done < length; done += PIECE)
    {
      gsize n = MIN ((gsize) PIECE, length - done);

      sha256_update (&sums->sha256, n, data + done);
      XXH3_128bits_update (sums->xxh3, data + done, n);
    }
}

/* prefix + the lowercase hex of bytes. */
static char *
format_digest (const char   *prefix,
               const guint8 *bytes,
               gsize         length)
{
  GString *out = g_string_new (prefix);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (out, "%02x", bytes[i]);

  return g_string_free (out, FALSE);
}

static char *
format_sha256 (struct sha256_ctx *ctx)
{
  guint8 digest[SHA256_DIGEST_SIZE];

  sha256_digest (ctx, sizeof digest, digest);

  return format_digest (CHECKSUM_PREFIX, digest, sizeof digest);
}

/* XXH3's canonical form is big-endian, as its own tools print it. */
static char *
format_xxh3 (XXH128_hash_t hash)
{
  XXH128_canonical_t canonical;

  XXH128_canonicalFromHash (&canonical, hash);

  return format_digest (FAST_CHECKSUM_PREFIX, canonical.digest,
                        sizeof canonical.digest);
}

static void
checksums_finish (Checksums  *sums,
                  char      **checksum,
                  char      **fast_checksum)
{
  *checksum = format_sha256 (&sums->sha256);
  *fast_checksum = format_xxh3 (XXH3_128bits_digest (sums->xxh3));
  checksums_clear (sums);
}

static char *
compute_sha256 (const guint8 *data,
                gsize         length)
{
  struct sha256_ctx ctx;

  sha256_init (&ctx);
  if (length > 0)
    sha256_update (&ctx, length, data);

  return format_sha256 (&ctx);
}

static char *
compute_xxh3 (const guint8 *data,
              gsize         length)
{
  return format_xxh3 (XXH3_128bits (data, length));
}

/* The value stored under key is prefix followed by digits hex digits,
 * in either case. */
static gboolean
check_checksum_form (const char  *display,
                     const char  *key,
                     const char  *stored,
                     const char  *prefix,
                     gsize        digits,
                     GError     **error)
{
  gboolean valid = g_str_has_prefix (stored, prefix)
                   && strlen (stored) == strlen (prefix) + digits;

  for (gsize i = strlen (prefix); valid && stored[i] != '\0'; i++)
    valid = g_ascii_isxdigit (stored[i]);

  if (!valid)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_CHECKSUM,
                   _("The “%s” metadata of “%s” is “%s”, not of the form "
                     "%s<%zu hex digits>."),
                   key, display, stored, prefix, digits);
      return FALSE;
    }

  return TRUE;
}

static gboolean
compare_checksums (const char  *display,
                   const char  *stored,
                   const char  *computed,
                   GError     **error)
{
  if (g_ascii_strcasecmp (computed, stored) != 0)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_CHECKSUM,
                   _("The tensor bytes of “%s” do not match its checksum "
                     "(stored %s, computed %s); the file is damaged."),
                   display, stored, computed);
      return FALSE;
    }

  return TRUE;
}

/* The checksum of a large file is computed in a thread of its own while
 * the tensors are converted, which takes it off the time to open. */
#define CHECKSUM_THREAD_MIN_BYTES (1024 * 1024)

/* What checking a file's data takes; the strings are its own. */
typedef struct
{
  const guint8 *data;
  gsize         length;
  char         *display;
  char         *checksum;       /* stored "sha256:…", or NULL */
  char         *fast_checksum;  /* stored "xxh3-128:…", or NULL */
} ChecksumJob;

/* NULL when the data is intact: when it matches the fast checksum, or
 * else the SHA-256, which decides (a tool that changed the tensors may
 * have updated the one it knew and left the other); the damage
 * otherwise. */
static GError *
verify_checksums (const ChecksumJob *job)
{
  g_autofree char *fast = NULL;
  g_autofree char *computed = NULL;
  GError *error = NULL;

  if (job->fast_checksum != NULL)
    {
      fast = compute_xxh3 (job->data, job->length);
      if (g_ascii_strcasecmp (fast, job->fast_checksum) == 0)
        return NULL;
      if (job->checksum == NULL)
        {
          compare_checksums (job->display, job->fast_checksum, fast, &error);
          return error;
        }
    }

  computed = compute_sha256 (job->data, job->length);
  compare_checksums (job->display, job->checksum, computed, &error);

  return error;
}

static gpointer
checksum_thread (gpointer data)
{
  return verify_checksums (data);
}

/* What the writer's thread takes: both checksums of the F32 tensors of
 * sorted, in that order, as they are in memory (the file's bytes on a
 * little-endian machine). */
typedef struct
{
  GPtrArray *sorted;
  Checksums  sums;
  char      *checksum;
  char      *fast_checksum;
} TensorsChecksumJob;

static gpointer
tensors_checksum_thread (gpointer data)
{
  TensorsChecksumJob *job = data;

  for (guint i = 0; i < job->sorted->len; i++)
    {
      const CnvTensor *t = ((CnvNamedTensor *)
                            g_ptr_array_index (job->sorted, i))->tensor;

      checksums_update (&job->sums, (const guint8 *) t->data,
                        t->size * sizeof (float));
    }
  checksums_finish (&job->sums, &job->checksum, &job->fast_checksum);

  return NULL;
}

/* ---- conversion to F32 ----------------------------------------------- */

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exponent = (h >> 10) & 0x1fu;
  guint32 mantissa = h & 0x3ffu;
  guint32 bits;
  float value;

  if (exponent == 0)
    {
      /* zero or subnormal: mantissa × 2^-24 */
      value = ldexpf ((float) mantissa, -24);
      return sign != 0 ? -value : value;
    }

  if (exponent == 31)
    bits = sign | 0x7f800000u | (mantissa << 13);
  else
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);

  memcpy (&value, &bits, sizeof value);
  return value;
}

/* dst <- n floats from src, whether they are all finite: a piece at a
 * time, each looked at while it is still in the cache. */
static gboolean
copy_finite (float        *dst,
             const guint8 *src,
             gsize         n)
{
  enum { PIECE = 4096 };
  gboolean finite = TRUE;

  for (gsize done = 0; done < n; done += PIECE)
    {
      gsize count = MIN ((gsize) PIECE, n - done);

      memcpy (dst + done, src + done * sizeof (float),
              count * sizeof (float));
      finite &= cnv_floats_finite (dst + done, count);
    }

  return finite;
}

/* Reads n little-endian values of dtype from src (any alignment) into
 * dst as floats; whether they are all finite. */
static gboolean
convert_to_f32 (const DtypeInfo *dtype,
                const guint8    *src,
                gsize            n,
                float           *dst)
{
  /* F32 little-endian is already what a float is here. */
  if (dtype->size == 4 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    return copy_finite (dst, src, n);

  for (gsize i = 0; i < n; i++)
    {
      const guint8 *p = src + i * dtype->size;
      guint64 bits = 0;

      for (guint b = 0; b < dtype->size; b++)
        bits |= (guint64) p[b] << (8 * b);

      if (dtype->size == 4)
        {
          guint32 u = (guint32) bits;

          memcpy (&dst[i], &u, sizeof u);
        }
      else if (dtype->size == 8)
        {
          double d;

          memcpy (&d, &bits, sizeof d);
          dst[i] = (float) d;
        }
      else if (g_str_equal (dtype->name, "BF16"))
        {
          guint32 u = (guint32) bits << 16;

          memcpy (&dst[i], &u, sizeof u);
        }
      else
        dst[i] = half_to_float ((guint16) bits);
    }

  return cnv_floats_finite (dst, n);
}

/* ---- reading ----------------------------------------------------------- */

static GMappedFile *
map_file (const char *path,
          const char *display,
          GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  GMappedFile *mapped;
  struct stat st;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO,
                   _("Could not open “%s”: %s."),
                   display, g_strerror (saved_errno));
      return NULL;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO,
                   _("“%s” is not a regular file."), display);
      close (fd);
      return NULL;
    }

  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (mapped == NULL)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO,
                   _("Could not read “%s”: %s"),
                   display, local_error->message);
      return NULL;
    }

  return mapped;
}

/* What a file that is not safetensors at all looks like, for a message
 * better than "the header length is 727905341920923785 bytes". */
static const struct
{
  const char *name;
  const char *magic;
  gsize       length;
} image_signatures[] = {
  { "PNG", "\x89PNG\r\n\x1a\n", 8 },
  { "JPEG", "\xff\xd8\xff", 3 },
  { "GIF", "GIF87a", 6 },
  { "GIF", "GIF89a", 6 },
  { "BMP", "BM", 2 },
};

/* The first bytes are UTF-8 text without control characters other than
 * white space; a character cut by the end of the sample still counts. */
static gboolean
looks_like_text (const guint8 *bytes,
                 gsize         length)
{
  gsize n = MIN (length, 512);
  const char *end = NULL;

  if (n == 0)
    return FALSE;
  if (!g_utf8_validate_len ((const char *) bytes, n, &end)
      && (n < 4 || end < (const char *) bytes + n - 3))
    return FALSE;

  for (const guint8 *p = bytes; p < (const guint8 *) end; p++)
    if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f')
        || *p == 0x7f)
      return FALSE;

  return TRUE;
}

/* Sets a FORMAT error and returns TRUE when the file is recognisably an
 * image or text. */
static gboolean
explain_foreign_file (const char    *display,
                      const guint8  *bytes,
                      gsize          length,
                      GError       **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (image_signatures); i++)
    if (length >= image_signatures[i].length
        && memcmp (bytes, image_signatures[i].magic,
                   image_signatures[i].length) == 0)
      {
        g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_FORMAT,
                     /* Translators: the second %s is an image format name
                      * such as PNG or JPEG. */
                     _("“%s” is a %s image, not a Convolve checkpoint."),
                     display, image_signatures[i].name);
        return TRUE;
      }

  if (looks_like_text (bytes, length))
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_FORMAT,
                   _("“%s” is a text file, not a Convolve checkpoint."),
                   display);
      return TRUE;
    }

  return FALSE;
}

/* [0, 8): the header length N, u64 little-endian, checked against the cap
 * and the file size before anything is read by it. */
static gboolean
read_header_length (const char    *display,
                    const guint8  *bytes,
                    guint64        file_size,
                    guint64       *header_length,
                    GError       **error)
{
  guint64 n = 0;

  if (file_size < 8)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_TRUNCATED,
                   _("“%s” is only %" PRIu64 " bytes long; a "
                     "safetensors file starts with an 8-byte header length."),
                   display, file_size);
      return FALSE;
    }
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | bytes[i];

  if ((n > CNV_CHECKPOINT_MAX_HEADER || n > file_size - 8)
      && explain_foreign_file (display, bytes, (gsize) file_size, error))
    return FALSE;

  if (n > CNV_CHECKPOINT_MAX_HEADER)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_HEADER,
                   _("The header length of “%s” is %" PRIu64
                     " bytes, above the limit of %d bytes; the file is "
                     "damaged or not a safetensors file."),
                   display, n, CNV_CHECKPOINT_MAX_HEADER);
      return FALSE;
    }
  if (n > file_size - 8)
    {
      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_TRUNCATED,
                   _("“%s” is truncated: its header should be %"
                     PRIu64 " bytes long, but only %"
                     PRIu64 " bytes follow the length field (%"
                     PRIu64 " bytes missing)."),
                   display, n, file_size - 8, n - (file_size - 8));
      return FALSE;
    }

  *header_length = n;
  return TRUE;
}

/* The header's members: __metadata__ into st, every other one checked
 * into entries (sized for all members).  Returns the number of tensors,
 * or -1 on error. */
static int
read_entries (const char      *display,
              JsonNode        *header,
              CnvSafetensors  *st,
              TensorEntry     *entries,
              GError         **error)
{
  JsonObject *root = json_node_get_object (header);
  g_autoptr(GList) members = json_object_get_members (root);
  int n_entries = 0;

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (root, name);

      if (g_str_equal (name, "__metadata__"))
        {
          if (!parse_metadata (display, node, st->metadata, error))
            return -1;
          continue;
        }
      if (!parse_tensor_entry (display, name, node, &entries[n_entries],
                               error))
        return -1;
      n_entries++;
    }

  return n_entries;
}

/* Allocates and converts the checked entries; only here is anything sized
 * by the file allocated.  The tensors are allocated together, in the
 * order of their bytes in the file. */
static gboolean
load_entries (const char        *display,
              const TensorEntry *entries,
              guint              n_entries,
              const guint8      *data,
              CnvSafetensors    *st,
              GError           **error)
{
  g_autofree int *ndims = g_new (int, MAX (n_entries, 1));
  g_autofree int (*shapes)[CNV_TENSOR_MAX_DIMS] =
    g_malloc_n (MAX (n_entries, 1), sizeof *shapes);
  g_autofree CnvTensor **tensors = g_new (CnvTensor *, MAX (n_entries, 1));
  guint64 n_floats = 0;

  /* A scalar becomes a one-element vector. */
  for (guint i = 0; i < n_entries; i++)
    {
      ndims[i] = MAX (entries[i].ndim, 1);
      shapes[i][0] = 1;
      memcpy (shapes[i], entries[i].shape,
              sizeof (int) * (gsize) entries[i].ndim);
      n_floats += entries[i].n_elements;
    }

  if (!cnv_tensor_new_group (n_entries, ndims, shapes, tensors))
    {
      g_autofree char *size = g_format_size (n_floats * sizeof (float));

      g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO,
                   _("There is not enough memory to load the tensors of "
                     "“%s” (%s as 32-bit floats)."), display, size);
      return FALSE;
    }

  for (guint i = 0; i < n_entries; i++)
    {
      const TensorEntry *e = &entries[i];
      CnvNamedTensor *named;

      named = named_tensor_new (e->name, tensors[i], e->dtype->name);
      ((NamedBlock *) named)->known_finite =
        convert_to_f32 (e->dtype, data + e->begin, (gsize) e->n_elements,
                        tensors[i]->data);
      g_ptr_array_add (st->tensors, named);
    }

  return TRUE;
}

struct _CnvPendingChecksum
{
  GMappedFile *mapped;  /* the data the thread reads */
  ChecksumJob  job;
  GThread     *thread;  /* returns the damage, or NULL */
  GError      *damage;  /* without a thread: found already */
};

/* Whichever checksums metadata holds are well formed. */
static gboolean
check_checksums (const char  *display,
                 GHashTable  *metadata,
                 GError     **error)
{
  const char *checksum = g_hash_table_lookup (metadata, CHECKSUM_KEY);
  const char *fast = g_hash_table_lookup (metadata, FAST_CHECKSUM_KEY);

  return (checksum == NULL
          || check_checksum_form (display, CHECKSUM_KEY, checksum,
                                  CHECKSUM_PREFIX, CHECKSUM_DIGITS, error))
         && (fast == NULL
             || check_checksum_form (display, FAST_CHECKSUM_KEY, fast,
                                     FAST_CHECKSUM_PREFIX,
                                     FAST_CHECKSUM_DIGITS, error));
}

/* The check of data against the checksums of metadata, taken in a
 * thread when the data is large enough and one can be had, or here; NULL
 * when it has none. */
static CnvPendingChecksum *
start_checksum (GMappedFile  *mapped,
                const guint8 *data,
                gsize         length,
                const char   *display,
                GHashTable   *metadata)
{
  const char *checksum = g_hash_table_lookup (metadata, CHECKSUM_KEY);
  const char *fast = g_hash_table_lookup (metadata, FAST_CHECKSUM_KEY);
  CnvPendingChecksum *pending;

  if (checksum == NULL && fast == NULL)
    return NULL;

  pending = g_new0 (CnvPendingChecksum, 1);
  pending->mapped = g_mapped_file_ref (mapped);
  pending->job.data = data;
  pending->job.length = length;
  pending->job.display = g_strdup (display);
  pending->job.checksum = g_strdup (checksum);
  pending->job.fast_checksum = g_strdup (fast);
  if (length >= CHECKSUM_THREAD_MIN_BYTES)
    pending->thread = g_thread_try_new ("cnv-checksum", checksum_thread,
                                        &pending->job, NULL);
  if (pending->thread == NULL)
    pending->damage = verify_checksums (&pending->job);

  return pending;
}

gboolean
cnv_safetensors_read_finish (CnvPendingChecksum  *pending,
                             GError             **error)
{
  GError *damage;

  if (pending == NULL)
    return TRUE;

  damage = pending->thread != NULL ? g_thread_join (pending->thread)
                                   : pending->damage;
  g_mapped_file_unref (pending->mapped);
  g_free (pending->job.display);
  g_free (pending->job.checksum);
  g_free (pending->job.fast_checksum);
  g_free (pending);

  if (damage != NULL)
    {
      g_propagate_error (error, damage);
      return FALSE;
    }

  return TRUE;
}

CnvSafetensors *
cnv_safetensors_read_begin (const char          *path,
                            CnvPendingChecksum **pending,
                            GError             **error)
{
  g_autoptr(CnvSafetensors) st = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(JsonNode) header = NULL;
  g_autofree char *display = NULL;
  g_autofree TensorEntry *entries = NULL;
  CnvPendingChecksum *started = NULL;
  const guint8 *bytes;
  const guint8 *data;
  guint64 file_size;
  guint64 header_length = 0;
  guint64 data_length;
  int n_entries;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (pending != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  *pending = NULL;
  display = g_filename_display_name (path);
  mapped = map_file (path, display, error);
  if (mapped == NULL)
    return NULL;
  bytes = (const guint8 *) g_mapped_file_get_contents (mapped);
  file_size = g_mapped_file_get_length (mapped);

  /* [0, 8): N; [8, 8 + N): the header. */
  if (!read_header_length (display, bytes, file_size, &header_length, error))
    return NULL;
  header = parse_header (display, (const char *) bytes + 8, header_length,
                         error);
  if (header == NULL)
    return NULL;

  st = cnv_safetensors_new ();
  entries = g_new0 (TensorEntry,
                    json_object_get_size (json_node_get_object (header)));
  n_entries = read_entries (display, header, st, entries, error);
  if (n_entries < 0)
    return NULL;

  /* [8 + N, end): the data, tiled exactly by the tensors. */
  data = bytes + 8 + header_length;
  data_length = file_size - 8 - header_length;
  qsort (entries, (gsize) n_entries, sizeof (TensorEntry), compare_entries);
  if (!check_layout (display, entries, (guint) n_entries, data_length,
                     8 + header_length, error))
    return NULL;

  if (!check_checksums (display, st->metadata, error))
    return NULL;

  /* The layout is proved by now, so what load_entries () allocates is
   * bounded by the file's size.  The checksum of a large file is taken
   * meanwhile, in a thread. */
  started = start_checksum (mapped, data, data_length, display, st->metadata);

  /* A damaged file is reported as damaged, whatever conversion problem
   * its damage may have caused. */
  if (!load_entries (display, entries, (guint) n_entries, data, st, error))
    {
      g_autoptr(GError) damage = NULL;

      if (!cnv_safetensors_read_finish (started, &damage))
        {
          g_clear_error (error);
          g_propagate_error (error, g_steal_pointer (&damage));
        }
      return NULL;
    }

  *pending = started;
  return g_steal_pointer (&st);
}

CnvSafetensors *
cnv_safetensors_read (const char  *path,
                      GError     **error)
{
  g_autoptr(CnvSafetensors) st = NULL;
  CnvPendingChecksum *pending = NULL;

  st = cnv_safetensors_read_begin (path, &pending, error);
  if (st == NULL || !cnv_safetensors_read_finish (pending, error))
    return NULL;

  return g_steal_pointer (&st);
}

/* ---- writing ----------------------------------------------------------- */

static int
compare_named (gconstpointer a,
               gconstpointer b)
{
  const CnvNamedTensor *x = *(CnvNamedTensor * const *) a;
  const CnvNamedTensor *y = *(CnvNamedTensor * const *) b;

  return strcmp (x->name, y->name);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* {"__metadata__": {sorted keys…, checksums}, "<name>": {"dtype": "F32",
 * "shape": […], "data_offsets": [begin, end]}, …} with names in sorted
 * order. */
static char *
build_header (const CnvSafetensors *st,
              GPtrArray            *sorted,
              const char           *checksum,
              const char           *fast_checksum)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree const char **keys = NULL;
  guint n_keys = 0;
  guint64 offset = 0;

  keys = (const char **) g_hash_table_get_keys_as_array (st->metadata,
                                                         &n_keys);
  qsort (keys, n_keys, sizeof (char *), compare_strings);

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "__metadata__");
  json_builder_begin_object (builder);
  for (guint i = 0; i < n_keys; i++)
    {
      if (g_str_equal (keys[i], CHECKSUM_KEY)
          || g_str_equal (keys[i], FAST_CHECKSUM_KEY))
        continue;
      json_builder_set_member_name (builder, keys[i]);
      json_builder_add_string_value (builder,
                                     g_hash_table_lookup (st->metadata,
                                                          keys[i]));
    }
  json_builder_set_member_name (builder, CHECKSUM_KEY);
  json_builder_add_string_value (builder, checksum);
  json_builder_set_member_name (builder, FAST_CHECKSUM_KEY);
  json_builder_add_string_value (builder, fast_checksum);
  json_builder_end_object (builder);

  for (guint i = 0; i < sorted->len; i++)
    {
      const CnvNamedTensor *named = g_ptr_array_index (sorted, i);
      const CnvTensor *t = named->tensor;
      guint64 n_bytes = (guint64) t->size * 4;

      json_builder_set_member_name (builder, named->name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dtype");
      json_builder_add_string_value (builder, "F32");
      json_builder_set_member_name (builder, "shape");
      json_builder_begin_array (builder);
      for (int d = 0; d < t->ndim; d++)
        json_builder_add_int_value (builder, t->shape[d]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "data_offsets");
      json_builder_begin_array (builder);
      json_builder_add_int_value (builder, (gint64) offset);
      json_builder_add_int_value (builder, (gint64) (offset + n_bytes));
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      offset += n_bytes;
    }

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}

/* Why a save failed, in the user's words; the system's own message would
 * name the temporary file, which the user never asked for. */
static const char *
save_failure_reason (int saved_errno)
{
  switch (saved_errno)
    {
    case ENOENT:
      return _("the folder does not exist");
    case EACCES:
    case EPERM:
    case EROFS:
      return _("Convolve may not write in that folder");
    case ENOSPC:
    case EDQUOT:
      return _("the disk is full");
    case ENOTDIR:
      return _("part of the path is a file, not a folder");
    case EISDIR:
      return _("a folder of that name is in the way");
    case EFBIG:
      return _("the file grew beyond what this disk or this process may "
               "write");
    default:
      return g_strerror (saved_errno);
    }
}

/* A failed save as the user should read it: what failed and why, and
 * that the old file is as it was. */
static void
set_save_error (GError    **error,
                const char *display,
                int         saved_errno)
{
  g_set_error (error, CNV_CHECKPOINT_ERROR, CNV_CHECKPOINT_ERROR_IO,
               _("Could not save “%s”; any earlier file of that name is "
                 "unchanged: %s."),
               display, save_failure_reason (saved_errno));
}

static gboolean
write_all (int           fd,
           const guint8 *bytes,
           gsize         length)
{
  while (length > 0)
    {
      gssize written = write (fd, bytes, MIN (length, (gsize) 1 << 30));

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        return FALSE;
      /* Not for a regular file, but a loop must end. */
      if (written == 0)
        {
          errno = ENOSPC;
          return FALSE;
        }
      bytes += written;
      length -= (gsize) written;
    }

  return TRUE;
}

/* Writes the floats of t little-endian, adding them to sums unless it is
 * NULL. */
static gboolean
write_tensor (int              fd,
              const CnvTensor *t,
              Checksums       *sums)
{
  /* 64 KiB on the stack, for big-endian machines only */
  enum { CHUNK = 16384 };
  guint8 scratch[4 * CHUNK];

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN)
    {
      if (sums != NULL)
        checksums_update (sums, (const guint8 *) t->data,
                          t->size * sizeof (float));
      return write_all (fd, (const guint8 *) t->data,
                        t->size * sizeof (float));
    }

  for (gsize k = 0; k < t->size; k += CHUNK)
    {
      gsize n = MIN ((gsize) CHUNK, t->size - k);

      for (gsize j = 0; j < n; j++)
        {
          guint32 bits;

          memcpy (&bits, &t->data[k + j], sizeof bits);
          bits = GUINT32_TO_LE (bits);
          memcpy (scratch + j * 4, &bits, sizeof bits);
        }
      if (sums != NULL)
        checksums_update (sums, scratch, n * 4);
      if (!write_all (fd, scratch, n * 4))
        return FALSE;
    }

  return TRUE;
}

/* head [8 + N]: the header length N, little-endian, the header, and
 * spaces up to N. */
static guint8 *
build_head (const char *header,
            gsize       padded_length)
{
  gsize header_length = strlen (header);
  guint8 *head = g_malloc (8 + padded_length);

  g_assert (header_length <= padded_length);
  for (int i = 0; i < 8; i++)
    head[i] = (guint8) (((guint64) padded_length >> (8 * i)) & 0xff);
  memcpy (head + 8, header, header_length);
  memset (head + 8 + header_length, ' ', padded_length - header_length);

  return head;
}

/* file [8 + N + data] <- head, then the tensors of sorted, adding them to
 * sums unless it is NULL.  Returns the errno of a failure, or 0. */
static int
write_data (int           fd,
            const guint8 *head,
            gsize         head_length,
            GPtrArray    *sorted,
            Checksums    *sums)
{
  if (!write_all (fd, head, head_length))
    return errno;
  for (guint i = 0; i < sorted->len; i++)
    {
      const CnvNamedTensor *named = g_ptr_array_index (sorted, i);

      if (!write_tensor (fd, named->tensor, sums))
        return errno;
    }

  return 0;
}

/* Writes the file with header, whose checksums are placeholders of the
 * right length, then writes the head again with the checksums, which a
 * thread takes meanwhile.  Returns the errno of the first failure, or 0. */
static int
write_contents (int                   fd,
                const CnvSafetensors *st,
                GPtrArray            *sorted,
                const char           *header,
                gsize                 padded_length,
                gsize                 data_length)
{
  g_autofree guint8 *head = NULL;
  g_autofree char *final_header = NULL;
  TensorsChecksumJob job = { .sorted = sorted };
  GThread *hasher = NULL;
  int failure;

  if (!checksums_init (&job.sums))
    {
      checksums_clear (&job.sums);
      return ENOMEM;
    }

  /* The checksums cover the data exactly: each tensor's floats,
   * little-endian, in name order.  Where those are the floats in memory
   * a thread takes them from the tensors while they are written: 16 MB of
   * small-vgg with Adam's state take 11 ms to hash and 4 ms to write. */
  if (G_BYTE_ORDER == G_LITTLE_ENDIAN
      && data_length >= CHECKSUM_THREAD_MIN_BYTES)
    hasher = g_thread_try_new ("cnv-checksum", tensors_checksum_thread,
                               &job, NULL);

  head = build_head (header, padded_length);
  failure = write_data (fd, head, 8 + padded_length, sorted,
                        hasher != NULL ? NULL : &job.sums);

#ifdef SYNC_FILE_RANGE_WRITE
  /* Send the data towards the disk now, while the hash is still being
   * taken: the fsync below then waits for the head alone.  Only a hint,
   * so its result does not matter. */
  if (failure == 0)
    sync_file_range (fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif

  /* The thread reads the caller's tensors: it is always joined. */
  if (hasher != NULL)
    g_thread_join (hasher);
  else
    checksums_finish (&job.sums, &job.checksum, &job.fast_checksum);
  if (failure == 0)
    {
      final_header = build_header (st, sorted, job.checksum,
                                   job.fast_checksum);
      g_free (head);
      head = build_head (final_header, padded_length);
      if (lseek (fd, 0, SEEK_SET) != 0
          || !write_all (fd, head, 8 + padded_length)
          || g_fsync (fd) != 0)
        failure = errno;
    }
  g_free (job.checksum);
  g_free (job.fast_checksum);

  return failure;
}

/* prefix and as many zeros as the checksum it stands for has digits. */
static char *
placeholder (const char *prefix,
             gsize       digits)
{
  g_autofree char *zeros = g_strnfill (digits, '0');

  return g_strconcat (prefix, zeros, NULL);
}

/* The file goes to a temporary one beside path, which is renamed over
 * path only once it is whole and on disk, so a failure or a crash at any
 * point leaves the old file as it was.  That is what
 * g_file_set_contents_full () does, but it wants the whole file in one
 * buffer before it writes a byte, and the header holds the checksum of
 * all the data: here the data is written while its checksum is taken.
 * g_file_replace () streams, but writes over the old file in place where
 * it cannot replace it (another owner, say), which is not atomic. */
gboolean
cnv_safetensors_write (const CnvSafetensors *st,
                       const char           *path,
                       GError              **error)
{
  g_autoptr(GPtrArray) sorted = NULL;
  g_autofree char *display = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *fast_checksum = NULL;
  g_autofree char *header = NULL;
  g_autofree char *tmp_path = NULL;
  gsize data_length = 0;
  gsize padded_length;
  int failure;
  int fd;

  g_return_val_if_fail (st != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display = g_filename_display_name (path);

  sorted = g_ptr_array_new ();
  for (guint i = 0; i < st->tensors->len; i++)
    {
      CnvNamedTensor *named = g_ptr_array_index (st->tensors, i);

      g_ptr_array_add (sorted, named);
      data_length += named->tensor->size * 4;
    }
  g_ptr_array_sort (sorted, compare_named);

  /* The header is padded with spaces so that the data starts at a
   * multiple of 8 bytes, as the safetensors reference writer does.  Its
   * length does not depend on the checksum's digits, so the data can be
   * written before the checksum is known. */
  checksum = placeholder (CHECKSUM_PREFIX, CHECKSUM_DIGITS);
  fast_checksum = placeholder (FAST_CHECKSUM_PREFIX, FAST_CHECKSUM_DIGITS);
  header = build_header (st, sorted, checksum, fast_checksum);
  padded_length = (strlen (header) + 7) & ~(gsize) 7;

  tmp_path = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      set_save_error (error, display, errno);
      return FALSE;
    }

  failure = write_contents (fd, st, sorted, header, padded_length,
                            data_length);
  if (close (fd) != 0 && failure == 0)
    failure = errno;
  if (failure == 0 && g_rename (tmp_path, path) != 0)
    failure = errno;
  if (failure != 0)
    {
      g_unlink (tmp_path);
      set_save_error (error, display, failure);
      return FALSE;
    }

  return TRUE;
}
