/* cnv-rng.c — xoshiro256** seeded through splitmix64
 *
 * The generator's whole state is four 64-bit words, so it can be saved in
 * a checkpoint and restored exactly.  The one idea: seeds never enter
 * xoshiro directly; they go through splitmix64 first, which turns any seed
 * (0 included) and any (seed, stream) pair into a well-mixed, non-zero
 * state.
 */
#define G_LOG_DOMAIN "cnv-rng"

#include <math.h>

#include "cnv-rng.h"

static inline guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

static inline guint64
splitmix64 (guint64 *state)
{
  guint64 z;

  *state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  z = *state;
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);

  return z ^ (z >> 31);
}

void
cnv_rng_init (CnvRng  *rng,
              guint64  seed)
{
  guint64 state = seed;

  g_return_if_fail (rng != NULL);

  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&state);
}

void
cnv_rng_init_stream (CnvRng  *rng,
                     guint64  seed,
                     guint64  stream)
{
  guint64 seed_state = seed;
  guint64 stream_state = ~stream;
  guint64 key;

  g_return_if_fail (rng != NULL);

  /* Mix both numbers separately so that (seed, stream) pairs that differ
   * in either give unrelated keys; then seed as usual from the key. */
  key = splitmix64 (&seed_state);
  key ^= rotl (splitmix64 (&stream_state), 17);

  cnv_rng_init (rng, key);
}

guint64
cnv_rng_next (CnvRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);

  return result;
}

double
cnv_rng_uniform (CnvRng *rng)
{
  /* The top 53 bits make every double in [0, 1) with step 2^-53. */
  return (double) (cnv_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
cnv_rng_normal (CnvRng *rng)
{
  /* Box–Muller, one value per call so the state alone is the whole
   * generator (no cached second value to save). u1 is in (0, 1]. */
  double u1 = 1.0 - cnv_rng_uniform (rng);
  double u2 = cnv_rng_uniform (rng);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

guint32
cnv_rng_below (CnvRng  *rng,
               guint32  n)
{
  guint64 product;
  guint32 low;
  guint32 threshold;

  g_return_val_if_fail (n > 0, 0);

  /* Lemire's multiply-and-reject: unbiased, one draw almost always. */
  product = (cnv_rng_next (rng) >> 32) * (guint64) n;
  low = (guint32) product;
  if (low < n)
    {
      threshold = (guint32) (-n) % n;
      while (low < threshold)
        {
          product = (cnv_rng_next (rng) >> 32) * (guint64) n;
          low = (guint32) product;
        }
    }

  return (guint32) (product >> 32);
}

void
cnv_rng_shuffle (CnvRng *rng,
                 guint  *items,
                 guint   n_items)
{
  g_return_if_fail (rng != NULL);
  g_return_if_fail (items != NULL || n_items == 0);

  for (guint i = n_items; i > 1; i--)
    {
      guint j = cnv_rng_below (rng, i);
      guint tmp = items[i - 1];

      items[i - 1] = items[j];
      items[j] = tmp;
    }
}

void
cnv_rng_fill_uniform (CnvRng *rng,
                      float  *values,
                      gsize   n_values)
{
  g_return_if_fail (rng != NULL);
  g_return_if_fail (values != NULL || n_values == 0);

  /* 24 bits per float: every value is exactly representable, < 1. */
  for (gsize i = 0; i < n_values; i++)
    values[i] = (float) (cnv_rng_next (rng) >> 40) * 0x1.0p-24f;
}
