/* test-tensor.c — tensors and the random number generator */
#include <math.h>
#include <string.h>

#include "cnv.h"
#include "cnv-avx512-private.h"
#include "cnv-tensor-private.h"

static void
test_tensor_new (void)
{
  g_autoptr(CnvTensor) t = cnv_tensor_new_4d (2, 3, 4, 5);
  g_autofree char *shape = NULL;

  g_assert_nonnull (t);
  g_assert_cmpint (t->ndim, ==, 4);
  g_assert_cmpuint (t->size, ==, 120);
  g_assert_cmpuint ((guintptr) t->data % 64, ==, 0);
  for (gsize i = 0; i < t->size; i++)
    g_assert_cmpfloat (t->data[i], ==, 0.0f);

  shape = cnv_tensor_shape_string (t);
  g_assert_cmpstr (shape, ==, "[2, 3, 4, 5]");
}

static void
test_tensor_overflow (void)
{
  int huge[4] = { G_MAXINT, G_MAXINT, G_MAXINT, G_MAXINT };
  int negative[2] = { 3, -1 };

  g_assert_null (cnv_tensor_new (4, huge));
  g_assert_null (cnv_tensor_new (2, negative));
}

static void
test_tensor_copy_zero_shape (void)
{
  g_autoptr(CnvTensor) a = cnv_tensor_new_2d (3, 4);
  g_autoptr(CnvTensor) b = NULL;
  g_autoptr(CnvTensor) c = cnv_tensor_new_2d (4, 3);
  g_autoptr(CnvTensor) d = cnv_tensor_new_1d (12);

  for (gsize i = 0; i < a->size; i++)
    a->data[i] = (float) i + 0.5f;

  b = cnv_tensor_copy (a);
  g_assert_true (cnv_tensor_same_shape (a, b));
  g_assert_cmpmem (a->data, a->size * 4, b->data, b->size * 4);
  g_assert_true (a->data != b->data);
  g_assert_false (cnv_tensor_same_shape (a, c));
  g_assert_false (cnv_tensor_same_shape (a, d));

  cnv_tensor_zero (b);
  g_assert_cmpfloat (b->data[5], ==, 0.0f);
  g_assert_cmpfloat (a->data[5], ==, 5.5f);
}

/* Tensors of 2 MiB and more have memory of their own: zeroed, aligned,
 * every element writable, copied and zeroed like any other, freed. */
static void
test_tensor_large (void)
{
  const int sizes[] = { 512 * 1024 - 1, 512 * 1024, 512 * 1024 + 1,
                        5 * 256 * 1024 + 3 };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      g_autoptr(CnvTensor) t = cnv_tensor_new_1d (sizes[k]);
      g_autoptr(CnvTensor) copy = NULL;

      g_assert_nonnull (t);
      g_assert_cmpuint ((guintptr) t->data % 64, ==, 0);
      for (gsize i = 0; i < t->size; i++)
        g_assert_cmpfloat (t->data[i], ==, 0.0f);
      for (gsize i = 0; i < t->size; i++)
        t->data[i] = (float) (i % 1000) - 0.25f;

      copy = cnv_tensor_copy (t);
      g_assert_cmpmem (t->data, t->size * 4, copy->data, copy->size * 4);
      cnv_tensor_zero (t);
      g_assert_cmpfloat (t->data[t->size - 1], ==, 0.0f);
      g_assert_cmpfloat (copy->data[t->size - 1], ==,
                         (float) ((t->size - 1) % 1000) - 0.25f);
    }
}

/* A freed tensor's memory may serve the next copy, but never a tensor
 * that is to start at zero. */
static void
test_tensor_new_after_free_is_zeroed (void)
{
  for (int round = 0; round < 3; round++)
    {
      g_autoptr(CnvTensor) t = cnv_tensor_new_1d (1024 * 1024);
      g_autoptr(CnvTensor) copy = NULL;

      for (gsize i = 0; i < t->size; i++)
        g_assert_cmpfloat (t->data[i], ==, 0.0f);
      for (gsize i = 0; i < t->size; i++)
        t->data[i] = (float) round + 1.0f;

      copy = cnv_tensor_copy (t);
      g_assert_cmpmem (t->data, t->size * 4, copy->data, copy->size * 4);
    }
}

/* Tensors allocated together: small ones and large ones, in any order,
 * each with its own memory, every element writable, each freed alone. */
static void
test_tensor_group (void)
{
  const int ndims[] = { 1, 4, 2, 1, 4, 1 };
  const int shapes[][CNV_TENSOR_MAX_DIMS] = {
    { 3 },                   /* 12 bytes */
    { 64, 32, 3, 3 },        /* 72 KiB */
    { 128, 4096 },           /* 2 MiB */
    { 4095 },                /* just under 16 KiB */
    { 1, 1, 1, 4097 },       /* just over 16 KiB */
    { 600000 },              /* 2.3 MiB */
  };
  const guint n = G_N_ELEMENTS (ndims);
  CnvTensor *tensors[G_N_ELEMENTS (ndims)];
  const guint free_order[] = { 2, 0, 5, 3, 1, 4 };

  g_assert_true (cnv_tensor_new_group (n, ndims, shapes, tensors));
  for (guint i = 0; i < n; i++)
    {
      gsize size = 1;

      for (int d = 0; d < ndims[i]; d++)
        size *= (gsize) shapes[i][d];
      g_assert_cmpint (tensors[i]->ndim, ==, ndims[i]);
      g_assert_cmpmem (tensors[i]->shape, sizeof (int) * (gsize) ndims[i],
                       shapes[i], sizeof (int) * (gsize) ndims[i]);
      g_assert_cmpuint (tensors[i]->size, ==, size);
      g_assert_cmpuint ((guintptr) tensors[i]->data % 64, ==, 0);
      for (gsize k = 0; k < size; k++)
        tensors[i]->data[k] = (float) i * 1e6f + (float) k;
    }

  /* No tensor's memory overlaps another's. */
  for (guint i = 0; i < n; i++)
    for (gsize k = 0; k < tensors[i]->size; k++)
      g_assert_cmpfloat (tensors[i]->data[k], ==,
                         (float) i * 1e6f + (float) k);

  for (guint i = 0; i < n; i++)
    cnv_tensor_free (tensors[free_order[i]]);
}

/* A shape too large anywhere in the group: nothing is allocated, and
 * every entry is NULL, the ones after it too. */
static void
test_tensor_group_overflow (void)
{
  const int ndims[] = { 4, 1, 1 };
  const int shapes[][CNV_TENSOR_MAX_DIMS] = {
    { G_MAXINT, G_MAXINT, G_MAXINT, G_MAXINT },
    { 5000 },
    { 3 },
  };
  CnvTensor *tensors[3];

  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    tensors[i] = (CnvTensor *) &shapes;
  g_assert_false (cnv_tensor_new_group (3, ndims, shapes, tensors));
  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    g_assert_null (tensors[i]);
}

/* A group freed and allocated again takes the kept mappings of the first
 * (where tensors have mappings): still each its own, every element
 * writable. */
static void
test_tensor_group_again (void)
{
  const int ndims[] = { 1, 1, 1 };
  const int shapes[][CNV_TENSOR_MAX_DIMS] = { { 600000 }, { 9000 }, { 7 } };
  CnvTensor *tensors[3];

  for (int round = 0; round < 3; round++)
    {
      g_assert_true (cnv_tensor_new_group (3, ndims, shapes, tensors));
      for (guint i = 0; i < 3; i++)
        for (gsize k = 0; k < tensors[i]->size; k++)
          tensors[i]->data[k] = (float) (round * 10 + (int) i);
      for (guint i = 0; i < 3; i++)
        for (gsize k = 0; k < tensors[i]->size; k++)
          g_assert_cmpfloat (tensors[i]->data[k], ==,
                             (float) (round * 10 + (int) i));
      for (guint i = 0; i < 3; i++)
        cnv_tensor_free (tensors[i]);
    }
}

/* Copies and frees of large tensors from two threads at once: the kept
 * mappings go to one tensor at a time. */
static gpointer
copy_and_free_thread (gpointer data)
{
  float value = GPOINTER_TO_INT (data);
  g_autoptr(CnvTensor) source = cnv_tensor_new_1d (600000);

  for (gsize k = 0; k < source->size; k++)
    source->data[k] = value;
  for (int round = 0; round < 50; round++)
    {
      g_autoptr(CnvTensor) copy = cnv_tensor_copy (source);

      copy->data[round] = -value;
      g_assert_cmpfloat (copy->data[source->size - 1], ==, value);
      g_assert_cmpfloat (copy->data[round], ==, -value);
      g_assert_cmpfloat (source->data[round], ==, value);
    }

  return NULL;
}

static void
test_tensor_kept_from_two_threads (void)
{
  GThread *a = g_thread_new ("copy-a", copy_and_free_thread,
                             GINT_TO_POINTER (1));
  GThread *b = g_thread_new ("copy-b", copy_and_free_thread,
                             GINT_TO_POINTER (2));

  g_thread_join (a);
  g_thread_join (b);
}

static void
test_tensor_swap_data (void)
{
  g_autoptr(CnvTensor) a = cnv_tensor_new_2d (2, 3);
  g_autoptr(CnvTensor) b = cnv_tensor_new_1d (6);
  const int ndim = 1;
  const int shape[][CNV_TENSOR_MAX_DIMS] = { { 100000 } };
  g_autoptr(CnvTensor) grouped = NULL;
  g_autoptr(CnvTensor) alone = cnv_tensor_new_2d (1000, 100);
  float *a_data = a->data;
  float *b_data = b->data;

  a->data[5] = 1.5f;
  b->data[5] = -2.5f;
  cnv_tensor_swap_data (a, b);

  g_assert_true (a->data == b_data);
  g_assert_true (b->data == a_data);
  g_assert_cmpfloat (a->data[5], ==, -2.5f);
  g_assert_cmpfloat (b->data[5], ==, 1.5f);
  g_assert_cmpint (a->ndim, ==, 2);
  g_assert_cmpint (b->ndim, ==, 1);

  /* 400 KB in a group's mapping and on the heap: each is freed the way
   * it was allocated, whichever tensor holds it then. */
  g_assert_true (cnv_tensor_new_group (1, &ndim, shape, &grouped));
  grouped->data[99999] = 7.0f;
  cnv_tensor_swap_data (grouped, alone);
  g_assert_cmpfloat (alone->data[99999], ==, 7.0f);
}

/* Every kind of value in every lane position, the tail included: 37
 * floats are two vectors of sixteen and five more, or nine of four and
 * one.  The same with the loop built for AVX-512, where the CPU has it. */
static void
check_floats_finite (CnvAvx512Mode mode)
{
  const float bad[] = { NAN, -NAN, INFINITY, -INFINITY };
  const float good[] = { 0.0f, -0.0f, 1e-45f, -3.4028235e38f, 3.4028235e38f };
  float data[37];

  cnv_layers_set_avx512 (mode);
  for (guint i = 0; i < G_N_ELEMENTS (data); i++)
    data[i] = good[i % G_N_ELEMENTS (good)];
  g_assert_true (cnv_floats_finite (data, G_N_ELEMENTS (data)));
  g_assert_true (cnv_floats_finite (data, 0));

  for (guint i = 0; i < G_N_ELEMENTS (data); i++)
    for (guint b = 0; b < G_N_ELEMENTS (bad); b++)
      {
        float saved = data[i];

        data[i] = bad[b];
        g_assert_false (cnv_floats_finite (data, G_N_ELEMENTS (data)));
        /* Outside the range looked at, it does not count. */
        g_assert_true (cnv_floats_finite (data, i));
        data[i] = saved;
      }
  cnv_layers_set_avx512 (CNV_AVX512_AUTO);
}

static void
test_floats_finite (void)
{
  check_floats_finite (CNV_AVX512_NEVER);
  if (cnv_layers_avx512_supported ())
    check_floats_finite (CNV_AVX512_ALWAYS);
}

static void
test_rng_repeatable (void)
{
  CnvRng a, b, c;

  cnv_rng_init (&a, 42);
  cnv_rng_init (&b, 42);
  cnv_rng_init (&c, 43);
  for (int i = 0; i < 100; i++)
    {
      guint64 x = cnv_rng_next (&a);

      g_assert_cmpuint (x, ==, cnv_rng_next (&b));
      g_assert_cmpuint (x, !=, cnv_rng_next (&c));
    }
}

static void
test_rng_known_values (void)
{
  CnvRng rng;

  /* splitmix64 (0) gives the published first output 0xe220a8397b1dcdaf. */
  cnv_rng_init (&rng, 0);
  g_assert_cmpuint (rng.s[0], ==, G_GUINT64_CONSTANT (0xe220a8397b1dcdaf));
  /* The state is never all zero, even for seed 0. */
  g_assert_true ((rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]) != 0);

  /* xoshiro256** from state {1, 2, 3, 4}, as published by its authors. */
  rng.s[0] = 1;
  rng.s[1] = 2;
  rng.s[2] = 3;
  rng.s[3] = 4;
  g_assert_cmpuint (cnv_rng_next (&rng), ==, 11520);
  g_assert_cmpuint (cnv_rng_next (&rng), ==, 0);
  g_assert_cmpuint (cnv_rng_next (&rng), ==, 1509978240);
  g_assert_cmpuint (cnv_rng_next (&rng), ==,
                    G_GUINT64_CONSTANT (1215971899390074240));
}

static void
test_rng_streams (void)
{
  CnvRng a, b, c, d;

  cnv_rng_init_stream (&a, 7, 3);
  cnv_rng_init_stream (&b, 7, 3);
  cnv_rng_init_stream (&c, 7, 4);
  cnv_rng_init_stream (&d, 8, 3);

  /* Depends on seed and stream only. */
  g_assert_cmpmem (a.s, sizeof a.s, b.s, sizeof b.s);
  g_assert_cmpuint (cnv_rng_next (&a), !=, cnv_rng_next (&c));
  g_assert_cmpuint (cnv_rng_next (&b), !=, cnv_rng_next (&d));
}

static void
test_rng_distributions (void)
{
  CnvRng rng;
  double sum = 0.0, squares = 0.0, usum = 0.0;
  guint counts[5] = { 0 };
  float values[1000];
  int n = 20000;

  cnv_rng_init (&rng, 1);
  for (int i = 0; i < n; i++)
    {
      double u = cnv_rng_uniform (&rng);
      double z = cnv_rng_normal (&rng);
      guint32 k = cnv_rng_below (&rng, 5);

      g_assert_cmpfloat (u, >=, 0.0);
      g_assert_cmpfloat (u, <, 1.0);
      g_assert_cmpuint (k, <, 5);
      usum += u;
      sum += z;
      squares += z * z;
      counts[k]++;
    }

  g_assert_cmpfloat_with_epsilon (usum / n, 0.5, 0.01);
  g_assert_cmpfloat_with_epsilon (sum / n, 0.0, 0.03);
  g_assert_cmpfloat_with_epsilon (squares / n, 1.0, 0.05);
  for (int k = 0; k < 5; k++)
    g_assert_cmpuint (counts[k], >, n / 5 - 400);

  cnv_rng_fill_uniform (&rng, values, G_N_ELEMENTS (values));
  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_assert_cmpfloat (values[i], >=, 0.0f);
      g_assert_cmpfloat (values[i], <, 1.0f);
    }
}

static void
test_rng_shuffle (void)
{
  guint items[50];
  gboolean seen[50] = { FALSE };
  gboolean moved = FALSE;
  CnvRng rng;

  for (guint i = 0; i < 50; i++)
    items[i] = i;

  cnv_rng_init (&rng, 3);
  cnv_rng_shuffle (&rng, items, 50);

  for (guint i = 0; i < 50; i++)
    {
      g_assert_false (seen[items[i]]);
      seen[items[i]] = TRUE;
      moved |= items[i] != i;
    }
  g_assert_true (moved);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/tensor/new-is-zeroed-and-aligned", test_tensor_new);
  g_test_add_func ("/engine/tensor/overflowing-shape-is-refused",
                   test_tensor_overflow);
  g_test_add_func ("/engine/tensor/large-has-its-own-memory",
                   test_tensor_large);
  g_test_add_func ("/engine/tensor/new-after-free-is-zeroed",
                   test_tensor_new_after_free_is_zeroed);
  g_test_add_func ("/engine/tensor/group-each-its-own-and-freed-alone",
                   test_tensor_group);
  g_test_add_func ("/engine/tensor/group-with-overflowing-shape-is-refused",
                   test_tensor_group_overflow);
  g_test_add_func ("/engine/tensor/group-allocated-again",
                   test_tensor_group_again);
  g_test_add_func ("/engine/tensor/kept-memory-from-two-threads",
                   test_tensor_kept_from_two_threads);
  g_test_add_func ("/engine/tensor/swap-data", test_tensor_swap_data);
  g_test_add_func ("/engine/tensor/floats-finite", test_floats_finite);
  g_test_add_func ("/engine/tensor/copy-zero-and-shape",
                   test_tensor_copy_zero_shape);
  g_test_add_func ("/engine/rng/same-seed-same-stream", test_rng_repeatable);
  g_test_add_func ("/engine/rng/splitmix-seeding", test_rng_known_values);
  g_test_add_func ("/engine/rng/streams-depend-on-seed-and-number",
                   test_rng_streams);
  g_test_add_func ("/engine/rng/distributions", test_rng_distributions);
  g_test_add_func ("/engine/rng/shuffle-is-a-permutation", test_rng_shuffle);

  return g_test_run ();
}
