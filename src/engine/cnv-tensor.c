/* cnv-tensor.c — dense float32 tensors
 *
 * A tensor is a shape and one flat, zeroed, 64-byte aligned float array
 * that it owns.  The one idea: every size is checked for overflow before
 * anything is allocated, and a failed allocation returns NULL, so a shape
 * that came from a file can turn neither into a short buffer nor into an
 * abort.
 */
#define G_LOG_DOMAIN "cnv-tensor"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cnv-tensor.h"

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

/* Zeroed memory for bytes, 2 MiB aligned, its mapped length in mapped;
 * NULL when the kernel refuses. */
static void *
map_zeroed (gsize  bytes,
            gsize *mapped)
{
  gsize length = (bytes + SMALL_PAGE_BYTES - 1) & ~(SMALL_PAGE_BYTES - 1);
  gsize span = length + HUGE_PAGE_BYTES;
  guint8 *base;
  guint8 *start;
  guint8 *end;

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

/* A tensor of shape, its data zeroed when zero is TRUE and left as it
 * is when the caller overwrites every element anyway. */
static CnvTensor *
tensor_alloc (int        ndim,
              const int *shape,
              gboolean   zero)
{
  TensorBlock *block;
  CnvTensor *tensor;
  void *data = NULL;
  gsize mapped = 0;
  gsize size = 1;

  for (int i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        return NULL;
      if (!g_size_checked_mul (&size, size, (gsize) shape[i]))
        return NULL;
    }

  /* Keep byte counts well inside gsize and ptrdiff_t. */
  if (size > G_MAXSIZE / sizeof (float) / 2)
    return NULL;

  /* posix_memalign () reports a short memory as an error where
   * g_aligned_alloc0 () would abort, and a tensor's size may come from a
   * file or a model description. */
  if (MAP_LARGE_TENSORS && size * sizeof (float) >= HUGE_PAGE_BYTES)
    {
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

  block = g_new0 (TensorBlock, 1);
  block->mapped = mapped;
  tensor = &block->tensor;
  tensor->ndim = ndim;
  memcpy (tensor->shape, shape, sizeof (int) * (gsize) ndim);
  tensor->size = size;
  tensor->data = data;

  return tensor;
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

  /* Every tensor to free came from tensor_alloc (): views are copies of
   * the struct on the stack, and never freed. */
  if (block->mapped > 0)
    munmap (tensor->data, block->mapped);
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
