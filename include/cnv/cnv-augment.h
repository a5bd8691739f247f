/* cnv-augment.h — random changes to training images, training only
 *
 * Flips, small shifts and rotations, and brightness and contrast changes,
 * drawn afresh for every image of every epoch from the run's seed.  They
 * apply to the 8-bit image at the network's size, before scaling, so the
 * network never sees anything its preprocessing would not make; validation
 * and prediction see the images as they are.  The record is saved with the
 * model and shown by the diff.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cnv-rng.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean horizontal_flip;   /* mirror left-right half the time */
  gboolean vertical_flip;     /* upside down half the time */
  int      max_shift;         /* pixels in each direction, 0 … 64 */
  double   max_rotation;      /* degrees either way, 0 … 180 */
  double   brightness;        /* added, at most this × 255 either way */
  double   contrast;          /* multiplied around 128 by 1 ± at most this */
} CnvAugmentation;

/* Everything off. */
void      cnv_augmentation_init_default (CnvAugmentation       *augmentation);
gboolean  cnv_augmentation_is_active    (const CnvAugmentation *augmentation);
gboolean  cnv_augmentation_validate     (const CnvAugmentation *augmentation,
                                         GError               **error);
/* out [height, width, channels] <- in, changed as augmentation says with
 * draws from rng; pixels that come from outside the image take fill
 * (channels values), or, when fill is NULL, the mean colour of the
 * image's outermost pixels.  in and out must not overlap. */
void      cnv_augment                   (const CnvAugmentation *augmentation,
                                         const guint8          *in,
                                         guint8                *out,
                                         int                    width,
                                         int                    height,
                                         int                    channels,
                                         const guint8          *fill,
                                         CnvRng                *rng);
JsonNode *cnv_augmentation_to_json_node (const CnvAugmentation *augmentation);
gboolean  cnv_augmentation_from_json_node (JsonNode            *node,
                                           CnvAugmentation     *augmentation,
                                           GError             **error);

G_END_DECLS
