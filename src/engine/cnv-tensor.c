/* cnv-tensor.c — dense float32 tensors
 *
 * A tensor is a shape and one flat, 64-byte aligned float array that it
 * owns, zeroed unless the caller overwrites it at once (a copy, a group
 * of tensors filled from a checkpoint).  The one idea: every size is
 * checked for overflow before anything is allocated, and a failed
 * allocation returns NULL, so a shape that came from a file can turn
 * neither into a short buffer nor into an abort.  Large tensors have
 * mappings of their own, kept for reuse when they are freed.
 */
#define G_LOG_DOMAIN "cnv-tensor"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cnv-tensor.h"
#include "cnv-avx512-private.h"
#include "cnv-tensor-private.h"

#define TENSOR_ALIGNMENT 64

/* A tensor of 2 MiB or more gets a mapping of its own, in 2 MiB pages
 * where the kernel allows them.  Its memory is zero already, a page is
 * one fault instead of 512 (a fault costs about 2 µs on a VM, so the
 * 21 MB of small-vgg's weights, gradients and Adam state took 11 ms of
 * faults to open), and pages never written cost nothing: the gradients
 * of a model that is only run, for one.  Only whole 2 MiB pages are
 * asked for, so the tail of a tensor takes small pages and a tensor of
 * 2 MiB + 4 bytes no more than that. */
#define HUGE_PAGE_BYTES ((gsize) 2 * 1024 * 1024)
#define SMALL_PAGE_BYTES ((gsize) 4096)

/* AddressSanitizer guards what malloc hands out, not mappings: a
 * sanitized build keeps every tensor on the heap. */
#if defined(__SANITIZE_ADDRESS__)
#define MAP_LARGE_TENSORS FALSE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAP_LARGE_TENSORS FALSE
#endif
#endif
#ifndef MAP_LARGE_TENSORS
#define MAP_LARGE_TENSORS TRUE
#endif

/* A tensor with what freeing it needs to know, which views copied from
 * the public struct must not carry. */
typedef struct
{
  CnvTensor tensor;
  gsize     mapped;  /* bytes mapped for data; 0 when it is malloc'd */
} TensorBlock;

static gsize
round_to_pages (gsize bytes)
{
  return (bytes + SMALL_PAGE_BYTES - 1) & ~(SMALL_PAGE_BYTES - 1);
}

/* Zeroed memory for bytes, 2 MiB aligned, its mapped length in mapped;
 * NULL when the kernel refuses. */
static void *
map_zeroed (gsize  bytes,
            gsize *mapped)
{
  gsize length = round_to_pages (bytes);
  gsize span;
  guint8 *base;
  guint8 *start;
  guint8 *end;

  if (length < bytes || !g_size_checked_add (&span, length, HUGE_PAGE_BYTES))
    return NULL;

  base = mmap (NULL, span, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    return NULL;

  /* Keep the part that starts 2 MiB aligned, so that its pages can be
   * huge. */
  start = (guint8 *) (((guintptr) base + HUGE_PAGE_BYTES - 1)
                      & ~(guintptr) (HUGE_PAGE_BYTES - 1));
  end = start + length;
  if (start > base)
    munmap (base, (gsize) (start - base));
  if (base + span > end)
    munmap (end, (gsize) (base + span - end));
#ifdef MADV_HUGEPAGE
  /* Only a hint: without it, or where it is refused, pages are small. */
  madvise (start, length & ~(HUGE_PAGE_BYTES - 1), MADV_HUGEPAGE);
#endif

  *mapped = length;
  return start;
}

/* Mappings of freed tensors are kept, up to this many bytes, for the next
 * tensors whose every element is written at once: copies, and the
 * tensors of a checkpoint being opened.  On a virtual machine a page
 * never used before is slow to fault in and zero: 16 MB of checkpoint
 * took 3–7 ms to copy into fresh pages and 1.5 ms into pages used
 * before.  The cap bounds what the process holds beyond its tensors;
 * marking kept pages MADV_FREE, so that the kernel could take them back,
 * cost 1 ms of a 2.3 ms open of small-vgg's checkpoint.  Tensors to be
 * zeroed take fresh pages, which cost nothing until they are written. */
#define KEPT_MAX_BYTES ((gsize) 32 * 1024 * 1024)

typedef struct
{
  guint8 *data;
  gsize   length;
} KeptMapping;

static GArray *kept;  /* KeptMapping */
static gsize kept_bytes;
G_LOCK_DEFINE_STATIC (kept);

/* Whether the first page of data was ever written: a mapping that never
 * was holds no memory, and keeping it would save an mmap () but not the
 * faults (the gradients of a model that is only run, say). */
static gboolean
first_page_resident (guint8 *data)
{
  unsigned char resident = 0;

  return mincore (data, SMALL_PAGE_BYTES, &resident) == 0
         && (resident & 1) != 0;
}

/* Keeps the mapping of data for take_mapping (), or unmaps it when it
 * holds no memory or there is no room. */
static void
release_mapping (guint8 *data,
                 gsize   length)
{
  KeptMapping mapping = { data, length };
  gboolean keep;

  if (!first_page_resident (data))
    {
      munmap (data, length);
      return;
    }

  G_LOCK (kept);
  keep = kept_bytes + length <= KEPT_MAX_BYTES;
  if (keep)
    {
      if (kept == NULL)
        kept = g_array_new (FALSE, FALSE, sizeof (KeptMapping));
      g_array_append_val (kept, mapping);
      kept_bytes += length;
    }
  G_UNLOCK (kept);

  if (!keep)
    munmap (data, length);
}

/* The smallest kept mapping of at least length bytes and at most twice
 * that, its length in mapped; NULL when there is none.  Its contents are
 * whatever the tensor that had it left. */
static guint8 *
take_mapping (gsize  length,
              gsize *mapped)
{
  KeptMapping best = { NULL, 0 };
  guint best_index = 0;

  G_LOCK (kept);
  for (guint i = 0; kept != NULL && i < kept->len; i++)
    {
      KeptMapping m = g_array_index (kept, KeptMapping, i);

      if (m.length >= length && m.length / 2 <= length
          && (best.data == NULL || m.length < best.length))
        {
          best = m;
          best_index = i;
        }
    }
  if (best.data != NULL)
    {
      g_array_remove_index_fast (kept, best_index);
      kept_bytes -= best.length;
    }
  G_UNLOCK (kept);

  *mapped = best.length;
  return best.data;
}

/* The number of elements of shape into size; FALSE when a dimension is
 * negative or the count is too large for a byte count to be safe. */
static gboolean
count_elements (int        ndim,
                const int *shape,
                gsize     *size)
{
  *size = 1;
  for (int i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        return FALSE;
      if (!g_size_checked_mul (size, *size, (gsize) shape[i]))
        return FALSE;
    }

  /* Keep byte counts well inside gsize and ptrdiff_t. */
  return *size <= G_MAXSIZE / sizeof (float) / 2;
}

/* A tensor of shape holding data, which mapped bytes of a mapping of
 * their own hold, or which was malloc'd when mapped is 0. */
static CnvTensor *
wrap_data (int        ndim,
           const int *shape,
           gsize      size,
           float     *data,
           gsize      mapped)
{
  TensorBlock *block = g_new0 (TensorBlock, 1);
  CnvTensor *tensor = &block->tensor;

  block->mapped = mapped;
  tensor->ndim = ndim;
  memcpy (tensor->shape, shape, sizeof (int) * (gsize) ndim);
  tensor->size = size;
  tensor->data = data;

  return tensor;
}

/* A tensor of shape, its data zeroed when zero is TRUE and left as it
 * is when the caller overwrites every element anyway. */
static CnvTensor *
tensor_alloc (int        ndim,
              const int *shape,
              gboolean   zero)
{
  void *data = NULL;
  gsize mapped = 0;
  gsize size;

  if (!count_elements (ndim, shape, &size))
    return NULL;

  /* posix_memalign () reports a short memory as an error where
   * g_aligned_alloc0 () would abort, and a tensor's size may come from a
   * file or a model description. */
  if (MAP_LARGE_TENSORS && size * sizeof (float) >= HUGE_PAGE_BYTES)
    {
      if (!zero)
        data = take_mapping (round_to_pages (size * sizeof (float)),
                             &mapped);
      if (data == NULL)
        data = map_zeroed (size * sizeof (float), &mapped);
      if (data == NULL)
        return NULL;
    }
  else
    {
      if (posix_memalign (&data, TENSOR_ALIGNMENT,
                          MAX (size, 1) * sizeof (float)) != 0)
        return NULL;
      if (zero)
        memset (data, 0, MAX (size, 1) * sizeof (float));
    }

  return wrap_data (ndim, shape, size, data, mapped);
}

CnvTensor *
cnv_tensor_new_unfilled (int        ndim,
                         const int *shape)
{
  return tensor_alloc (ndim, shape, FALSE);
}

/* Tensors of a group of this size or more share its mapping; smaller
 * ones are malloc'd, where a page of their own would be mostly empty. */
#define GROUP_MIN_BYTES ((gsize) 16 * 1024)

/* tensors[i] <- a small tensor on the heap, or a large one in a kept
 * mapping, where there is one; the others stay NULL.  FALSE when the
 * heap is short. */
static gboolean
group_take_kept (guint       n,
                 const int  *ndims,
                 const int (*shapes)[CNV_TENSOR_MAX_DIMS],
                 const gsize *sizes,
                 CnvTensor  **tensors)
{
  for (guint i = 0; i < n; i++)
    {
      gsize bytes = sizes[i] * sizeof (float);
      gsize mapped;
      guint8 *data;

      if (!MAP_LARGE_TENSORS || bytes < GROUP_MIN_BYTES)
        {
          tensors[i] = tensor_alloc (ndims[i], shapes[i], FALSE);
          if (tensors[i] == NULL)
            return FALSE;
          continue;
        }

      data = take_mapping (round_to_pages (bytes), &mapped);
      if (data != NULL)
        tensors[i] = wrap_data (ndims[i], shapes[i], sizes[i],
                                (float *) data, mapped);
    }

  return TRUE;
}

/* The tensors still NULL in one new mapping, each in whole pages from a
 * page boundary, so that freeing it releases exactly its own.  FALSE
 * when the kernel refuses. */
static gboolean
group_map_others (guint       n,
                  const int  *ndims,
                  const int (*shapes)[CNV_TENSOR_MAX_DIMS],
                  const gsize *sizes,
                  CnvTensor  **tensors)
{
  g_autofree gsize *offsets = g_new (gsize, MAX (n, 1));
  guint8 *start;
  gsize total = 0;
  gsize mapped;

  for (guint i = 0; i < n; i++)
    {
      offsets[i] = total;
      if (tensors[i] == NULL
          && !g_size_checked_add (&total, total,
                                  round_to_pages (sizes[i] * sizeof (float))))
        return FALSE;
    }
  if (total == 0)
    return TRUE;

  start = map_zeroed (total, &mapped);
  if (start == NULL)
    return FALSE;

  for (guint i = 0; i < n; i++)
    if (tensors[i] == NULL)
      tensors[i] = wrap_data (ndims[i], shapes[i], sizes[i],
                              (float *) (start + offsets[i]),
                              round_to_pages (sizes[i] * sizeof (float)));

  return TRUE;
}

gboolean
cnv_tensor_new_group (guint       n,
                      const int  *ndims,
                      const int (*shapes)[CNV_TENSOR_MAX_DIMS],
                      CnvTensor **tensors)
{
  g_autofree gsize *sizes = g_new (gsize, MAX (n, 1));

  g_return_val_if_fail (n == 0 || (ndims != NULL && shapes != NULL), FALSE);
  g_return_val_if_fail (n == 0 || tensors != NULL, FALSE);

  for (guint i = 0; i < n; i++)
    tensors[i] = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_return_val_if_fail (ndims[i] >= 1
                            && ndims[i] <= CNV_TENSOR_MAX_DIMS, FALSE);
      if (!count_elements (ndims[i], shapes[i], &sizes[i]))
        return FALSE;
    }

  if (!group_take_kept (n, ndims, shapes, sizes, tensors)
      || !group_map_others (n, ndims, shapes, sizes, tensors))
    {
      for (guint i = 0; i < n; i++)
        g_clear_pointer (&tensors[i], cnv_tensor_free);
      return FALSE;
    }

  /* An empty tensor still has one element, which a copy zeroes too. */
  for (guint i = 0; i < n; i++)
    if (sizes[i] == 0)
      tensors[i]->data[0] = 0.0f;

  return TRUE;
}

CnvTensor *
cnv_tensor_new (int        ndim,
                const int *shape)
{
  g_return_val_if_fail (ndim >= 1 && ndim <= CNV_TENSOR_MAX_DIMS, NULL);
  g_return_val_if_fail (shape != NULL, NULL);

  return tensor_alloc (ndim, shape, TRUE);
}

CnvTensor *
cnv_tensor_new_1d (int n)
{
  int shape[1] = { n };

  return cnv_tensor_new (1, shape);
}

CnvTensor *
cnv_tensor_new_2d (int rows,
                   int cols)
{
  int shape[2] = { rows, cols };

  return cnv_tensor_new (2, shape);
}

CnvTensor *
cnv_tensor_new_4d (int n,
                   int c,
                   int h,
                   int w)
{
  int shape[4] = { n, c, h, w };

  return cnv_tensor_new (4, shape);
}

CnvTensor *
cnv_tensor_copy (const CnvTensor *tensor)
{
  CnvTensor *copy;

  g_return_val_if_fail (tensor != NULL, NULL);

  /* Not zeroed first: every element is copied over. */
  copy = tensor_alloc (tensor->ndim, tensor->shape, FALSE);
  if (copy == NULL)
    return NULL;
  if (tensor->size > 0)
    memcpy (copy->data, tensor->data, tensor->size * sizeof (float));
  else
    copy->data[0] = 0.0f;

  return copy;
}

void
cnv_tensor_free (CnvTensor *tensor)
{
  TensorBlock *block = (TensorBlock *) tensor;

  if (tensor == NULL)
    return;

  /* Every tensor to free came from tensor_alloc () or
   * cnv_tensor_new_group (): views are copies of the struct on the stack,
   * and never freed. */
  if (block->mapped > 0)
    release_mapping ((guint8 *) tensor->data, block->mapped);
  else
    free (tensor->data);
  g_free (block);
}

void
cnv_tensor_zero (CnvTensor *tensor)
{
  g_return_if_fail (tensor != NULL);

  if (tensor->size > 0)
    memset (tensor->data, 0, tensor->size * sizeof (float));
}

void
cnv_tensor_swap_data (CnvTensor *a,
                      CnvTensor *b)
{
  TensorBlock *x = (TensorBlock *) a;
  TensorBlock *y = (TensorBlock *) b;
  float *data;
  gsize mapped;

  g_return_if_fail (a != NULL && b != NULL);
  g_return_if_fail (a->size == b->size);

  /* How each buffer is freed goes with it. */
  data = a->data;
  a->data = b->data;
  b->data = data;
  mapped = x->mapped;
  x->mapped = y->mapped;
  y->mapped = mapped;
}

gboolean
cnv_tensor_same_shape (const CnvTensor *a,
                       const CnvTensor *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (a->ndim != b->ndim)
    return FALSE;

  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;

  return TRUE;
}

char *
cnv_tensor_shape_string (const CnvTensor *tensor)
{
  GString *out;

  g_return_val_if_fail (tensor != NULL, NULL);

  out = g_string_new ("[");
  for (int i = 0; i < tensor->ndim; i++)
    g_string_append_printf (out, i == 0 ? "%d" : ", %d", tensor->shape[i]);
  g_string_append_c (out, ']');

  return g_string_free (out, FALSE);
}

gboolean
cnv_floats_finite (const float *data,
                   gsize        n)
{
#ifdef CNV_HAVE_AVX512
  if (cnv_layers_avx512_allowed ())
    return cnv_avx512_floats_finite (data, n);
#endif

  return cnv_floats_finite_loop (data, n);
}
