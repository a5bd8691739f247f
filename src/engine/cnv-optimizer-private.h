/* cnv-optimizer-private.h — the Adam loop, shared by cnv-optimizer.c and
 * cnv-avx512.c, and an optimizer for the checkpoint reader to fill
 *
 * The loop is written once, here, and compiled twice: for any x86-64 in
 * cnv-optimizer.c, four floats at a time, and for AVX-512 in cnv-avx512.c,
 * sixteen.  Neither build contracts a multiply and an add into an FMA,
 * and the operations left (multiply, add, divide, square root) are all
 * correctly rounded, so both give the same bits.  The square root and
 * the two divisions make the loop compute-bound: LeNet's 53,729
 * parameters took 53 µs a step in the portable build.
 */
#pragma once

#include <math.h>

#include <glib.h>

#include "cnv-optimizer.h"

G_BEGIN_DECLS

/* What one step of torch.optim.Adam needs besides the tensors, rounded to
 * float as cnv-optimizer.c computes it. */
typedef struct
{
  gboolean decay;          /* weight decay is not zero */
  float    weight_decay;
  float    beta1, one_minus_beta1;
  float    beta2, one_minus_beta2;
  float    epsilon;
  float    step_size;      /* lr / (1 − β1^t) */
  float    bc2_sqrt;       /* sqrt (1 − β2^t) */
} CnvAdamStep;

/* p, m, v [n] <- one Adam step with grad [n]:
 *   g = grad + wd · p
 *   m = β1 · m + (1 − β1) · g
 *   v = β2 · v + (1 − β2) · g²
 *   p = p − step_size · m / (sqrt (v) / bc2_sqrt + ε) */
static inline void
cnv_adam_loop (const CnvAdamStep *k,
               gsize              n,
               float             *p,
               const float       *grad,
               float             *m,
               float             *v)
{
  /* in locals: the tensors could alias k, as far as the compiler knows */
  const gboolean decay = k->decay;
  const float wd = k->weight_decay;
  const float b1 = k->beta1;
  const float one_minus_b1 = k->one_minus_beta1;
  const float b2 = k->beta2;
  const float one_minus_b2 = k->one_minus_beta2;
  const float eps = k->epsilon;
  const float step_size = k->step_size;
  const float bc2_sqrt = k->bc2_sqrt;

  for (gsize i = 0; i < n; i++)
    {
      float g = grad[i];
      float denom;

      if (decay)
        g = g + wd * p[i];

      m[i] = m[i] * b1 + one_minus_b1 * g;
      v[i] = v[i] * b2 + one_minus_b2 * g * g;
      denom = sqrtf (v[i]) / bc2_sqrt + eps;
      p[i] = p[i] + -step_size * (m[i] / denom);
    }
}

/* cnv_adam_loop () compiled for AVX-512: call it only where
 * cnv_layers_avx512_allowed () says so. */
void cnv_avx512_adam (const CnvAdamStep *k,
                      gsize              n,
                      float             *p,
                      const float       *grad,
                      float             *m,
                      float             *v);

/* cnv_optimizer_new () with every slot left as it is, for the
 * checkpoint reader, which moves the state in the file into each one
 * (or drops the optimizer when a slot is missing): making them zero
 * first took about 0.7 ms of an open of small-vgg's checkpoint. */
CnvOptimizer *cnv_optimizer_new_unfilled (const CnvOptimizerConfig *config,
                                          const CnvModel           *model);

G_END_DECLS
