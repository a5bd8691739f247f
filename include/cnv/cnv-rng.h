/* cnv-rng.h — a small, seedable, serialisable random number generator
 *
 * xoshiro256** seeded through splitmix64.  The same seed gives the same
 * stream on every machine, which is what makes a training run repeatable.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 s[4];
} CnvRng;

void     cnv_rng_init      (CnvRng  *rng,
                            guint64  seed);
/* A generator for a sub-stream (e.g. one epoch) that depends only on the
 * seed and the stream number, so a resumed run draws the same numbers. */
void     cnv_rng_init_stream (CnvRng *rng,
                              guint64 seed,
                              guint64 stream);
guint64  cnv_rng_next      (CnvRng  *rng);
/* Uniform in [0, 1). */
double   cnv_rng_uniform   (CnvRng  *rng);
/* Standard normal (Box–Muller). */
double   cnv_rng_normal    (CnvRng  *rng);
/* Uniform integer in [0, n). */
guint32  cnv_rng_below     (CnvRng  *rng,
                            guint32  n);
/* Fisher–Yates shuffle of an index array. */
void     cnv_rng_shuffle   (CnvRng  *rng,
                            guint   *items,
                            guint    n_items);
/* Fills values with floats uniform in [0, 1), 24 random bits each (one
 * draw per value; used for dropout masks). */
void     cnv_rng_fill_uniform (CnvRng *rng,
                               float  *values,
                               gsize   n_values);

G_END_DECLS
