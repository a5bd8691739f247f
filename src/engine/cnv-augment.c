/* cnv-augment.c — random changes to training images, training only
 *
 * Every geometric change (flips, shift, rotation about the centre) is one
 * inverse map from an output pixel to the input point it shows, sampled
 * bilinearly; with no rotation the map lands on whole pixels, so flips and
 * shifts copy values exactly.  The draws are taken in one fixed order per
 * image whatever is switched on, so turning on one change does not alter
 * the draws of another.
 */
#define G_LOG_DOMAIN "cnv-augment"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cnv-augment.h"
#include "cnv-optimizer.h"

void
cnv_augmentation_init_default (CnvAugmentation *augmentation)
{
  g_return_if_fail (augmentation != NULL);

  memset (augmentation, 0, sizeof *augmentation);
}

gboolean
cnv_augmentation_is_active (const CnvAugmentation *a)
{
  g_return_val_if_fail (a != NULL, FALSE);

  return a->horizontal_flip || a->vertical_flip || a->max_shift > 0
         || a->max_rotation > 0.0 || a->brightness > 0.0 || a->contrast > 0.0;
}

gboolean
cnv_augmentation_validate (const CnvAugmentation  *a,
                           GError                **error)
{
  g_return_val_if_fail (a != NULL, FALSE);

  if (a->max_shift < 0 || a->max_shift > 64)
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The augmentation shift is %d pixels; use 0 to 64."),
                   a->max_shift);
      return FALSE;
    }
  if (!(a->max_rotation >= 0.0 && a->max_rotation <= 180.0))
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The augmentation rotation is %g°; use 0 to 180."),
                   a->max_rotation);
      return FALSE;
    }
  if (!(a->brightness >= 0.0 && a->brightness <= 1.0)
      || !(a->contrast >= 0.0 && a->contrast <= 1.0))
    {
      g_set_error_literal (error, CNV_OPTIMIZER_ERROR,
                           CNV_OPTIMIZER_ERROR_INVALID,
                           _("The augmentation brightness and contrast must "
                             "be from 0 to 1."));
      return FALSE;
    }

  return TRUE;
}

/* One channel's value at (x, y), bilinear, fill outside. */
static double
sample (const guint8 *in,
        int           width,
        int           height,
        int           channels,
        int           c,
        double        x,
        double        y,
        const guint8 *fill)
{
  int x0 = (int) floor (x);
  int y0 = (int) floor (y);
  double fx = x - x0;
  double fy = y - y0;
  double sum = 0.0;

  for (int dy = 0; dy <= 1; dy++)
    for (int dx = 0; dx <= 1; dx++)
      {
        double weight = (dx ? fx : 1.0 - fx) * (dy ? fy : 1.0 - fy);
        int px = x0 + dx;
        int py = y0 + dy;
        double value;

        if (weight == 0.0)
          continue;
        if (px < 0 || py < 0 || px >= width || py >= height)
          value = fill[c];
        else
          value = in[((gsize) py * width + px) * channels + c];
        sum += weight * value;
      }

  return sum;
}

/* fill [channels] <- the mean of the image's outermost pixels: what lies
 * beyond a photo's edge is most likely more of its background, black
 * for Fashion-MNIST, white for a product shot. */
static void
edge_colour (const guint8 *in,
             int           width,
             int           height,
             int           channels,
             guint8       *fill)
{
  for (int c = 0; c < channels; c++)
    {
      guint64 sum = 0;
      guint64 n = 0;

      /* The top and bottom rows, then the columns between them. */
      for (int x = 0; x < width; x++)
        {
          sum += in[(gsize) x * channels + c];
          n++;
          if (height > 1)
            {
              sum += in[((gsize) (height - 1) * width + x) * channels + c];
              n++;
            }
        }
      for (int y = 1; y < height - 1; y++)
        {
          sum += in[(gsize) y * width * channels + c];
          n++;
          if (width > 1)
            {
              sum += in[((gsize) y * width + width - 1) * channels + c];
              n++;
            }
        }

      fill[c] = (guint8) ((sum + n / 2) / MAX (n, 1));
    }
}

/* The draws, always all of them, in this order. */
static void
augment (const CnvAugmentation *a,
         const guint8          *in,
         guint8                *out,
         int                    width,
         int                    height,
         int                    channels,
         const guint8          *fill,
         CnvRng                *rng)
{
  gboolean flip_h = cnv_rng_uniform (rng) < 0.5 && a->horizontal_flip;
  gboolean flip_v = cnv_rng_uniform (rng) < 0.5 && a->vertical_flip;
  double shift_x = cnv_rng_uniform (rng);
  double shift_y = cnv_rng_uniform (rng);
  double turn = cnv_rng_uniform (rng);
  double light = cnv_rng_uniform (rng);
  double spread = cnv_rng_uniform (rng);
  int dx = (int) floor (shift_x * (2 * a->max_shift + 1)) - a->max_shift;
  int dy = (int) floor (shift_y * (2 * a->max_shift + 1)) - a->max_shift;
  double angle = (2.0 * turn - 1.0) * a->max_rotation * G_PI / 180.0;
  double offset = (2.0 * light - 1.0) * a->brightness * 255.0;
  double gain = 1.0 + (2.0 * spread - 1.0) * a->contrast;
  double cx = (width - 1) / 2.0;
  double cy = (height - 1) / 2.0;
  double cs = cos (angle);
  double sn = sin (angle);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        /* Undo the shift, then the rotation about the centre, then the
         * flips: where in the input this output pixel comes from. */
        double ux = x - dx - cx;
        double uy = y - dy - cy;
        double sx = cx + cs * ux + sn * uy;
        double sy = cy - sn * ux + cs * uy;

        if (flip_h)
          sx = width - 1 - sx;
        if (flip_v)
          sy = height - 1 - sy;
        if (angle == 0.0)
          {
            /* Whole pixels: no rounding error to smear the values. */
            sx = round (sx);
            sy = round (sy);
          }

        for (int c = 0; c < channels; c++)
          {
            double v = sample (in, width, height, channels, c, sx, sy, fill);

            v = (v - 128.0) * gain + 128.0 + offset;
            out[((gsize) y * width + x) * channels + c] =
              (guint8) CLAMP (lround (v), 0, 255);
          }
      }
}

void
cnv_augment (const CnvAugmentation *a,
             const guint8          *in,
             guint8                *out,
             int                    width,
             int                    height,
             int                    channels,
             const guint8          *fill,
             CnvRng                *rng)
{
  guint8 edge[4];

  g_return_if_fail (a != NULL && in != NULL && out != NULL && in != out);
  g_return_if_fail (channels >= 1 && channels <= 4);

  /* Only a shift or a turn brings in pixels from outside. */
  if (fill == NULL)
    {
      if (a->max_shift > 0 || a->max_rotation > 0.0)
        edge_colour (in, width, height, channels, edge);
      else
        memset (edge, 0, sizeof edge);
      fill = edge;
    }

  augment (a, in, out, width, height, channels, fill, rng);
}

JsonNode *
cnv_augmentation_to_json_node (const CnvAugmentation *a)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (a != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "horizontal_flip");
  json_builder_add_boolean_value (b, a->horizontal_flip);
  json_builder_set_member_name (b, "vertical_flip");
  json_builder_add_boolean_value (b, a->vertical_flip);
  json_builder_set_member_name (b, "max_shift");
  json_builder_add_int_value (b, a->max_shift);
  json_builder_set_member_name (b, "max_rotation");
  json_builder_add_double_value (b, a->max_rotation);
  json_builder_set_member_name (b, "brightness");
  json_builder_add_double_value (b, a->brightness);
  json_builder_set_member_name (b, "contrast");
  json_builder_add_double_value (b, a->contrast);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static gboolean
bad_field (GError     **error,
           const char  *field)
{
  g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
               _("The augmentation has no valid “%s”."), field);
  return FALSE;
}

gboolean
cnv_augmentation_from_json_node (JsonNode         *node,
                                 CnvAugmentation  *a,
                                 GError          **error)
{
  const char *flags[] = { "horizontal_flip", "vertical_flip" };
  gboolean *flag_fields[] = { &a->horizontal_flip, &a->vertical_flip };
  const char *numbers[] = { "max_rotation", "brightness", "contrast" };
  double *number_fields[] = { &a->max_rotation, &a->brightness,
                              &a->contrast };
  JsonObject *object;
  JsonNode *shift;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return bad_field (error, "horizontal_flip");
  object = json_node_get_object (node);

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      JsonNode *value = json_object_get_member (object, flags[i]);

      if (value == NULL || !JSON_NODE_HOLDS_VALUE (value)
          || json_node_get_value_type (value) != G_TYPE_BOOLEAN)
        return bad_field (error, flags[i]);
      *flag_fields[i] = json_node_get_boolean (value);
    }
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      JsonNode *value = json_object_get_member (object, numbers[i]);

      if (value == NULL || !JSON_NODE_HOLDS_VALUE (value)
          || (json_node_get_value_type (value) != G_TYPE_DOUBLE
              && json_node_get_value_type (value) != G_TYPE_INT64))
        return bad_field (error, numbers[i]);
      *number_fields[i] = json_node_get_double (value);
    }
  shift = json_object_get_member (object, "max_shift");
  if (shift == NULL || !JSON_NODE_HOLDS_VALUE (shift)
      || json_node_get_value_type (shift) != G_TYPE_INT64
      || json_node_get_int (shift) < 0 || json_node_get_int (shift) > 64)
    return bad_field (error, "max_shift");
  a->max_shift = (int) json_node_get_int (shift);

  return cnv_augmentation_validate (a, error);
}
