/* cnv-schedule.c — the learning rate as training goes on
 *
 * The rate is a pure function of (epoch, batch): no state to save beyond
 * the schedule itself and the history's epoch count, which is what makes a
 * resumed run continue exactly.  Warm-up multiplies the scheduled rate by
 * (epochs done + batch / n_batches) / warmup_epochs, so the first step of
 * a run already learns a little, as PyTorch's LinearLR from a small start
 * does; the decays count their epochs from the end of the warm-up.
 */
#define G_LOG_DOMAIN "cnv-schedule"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "cnv-optimizer.h"
#include "cnv-schedule.h"

static const char *kind_names[] = {
  [CNV_SCHEDULE_CONSTANT] = "constant",
  [CNV_SCHEDULE_STEP]     = "step",
  [CNV_SCHEDULE_COSINE]   = "cosine",
};

void
cnv_schedule_init_default (CnvSchedule *schedule)
{
  g_return_if_fail (schedule != NULL);

  schedule->kind = CNV_SCHEDULE_CONSTANT;
  schedule->warmup_epochs = 0;
  schedule->step_epochs = 10;
  schedule->gamma = 0.1;
  schedule->min_factor = 0.0;
  schedule->total_epochs = 0;
}

const char *
cnv_schedule_kind_to_string (CnvScheduleKind kind)
{
  g_return_val_if_fail (kind <= CNV_SCHEDULE_COSINE, NULL);

  return kind_names[kind];
}

gboolean
cnv_schedule_kind_from_string (const char      *name,
                               CnvScheduleKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (name, kind_names[i]) == 0)
      {
        *kind = (CnvScheduleKind) i;
        return TRUE;
      }

  return FALSE;
}

double
cnv_schedule_learning_rate (const CnvSchedule *schedule,
                            double             base_rate,
                            guint              epoch,
                            guint              batch,
                            guint              n_batches)
{
  double rate = base_rate;
  guint done;

  g_return_val_if_fail (schedule != NULL, base_rate);
  g_return_val_if_fail (epoch >= 1, base_rate);

  /* Epochs finished after the warm-up, before this one. */
  done = epoch - 1 > schedule->warmup_epochs
         ? epoch - 1 - schedule->warmup_epochs : 0;

  switch (schedule->kind)
    {
    case CNV_SCHEDULE_STEP:
      rate = base_rate * pow (schedule->gamma,
                              (double) (done / MAX (schedule->step_epochs, 1)));
      break;

    case CNV_SCHEDULE_COSINE:
      {
        guint span = schedule->total_epochs > schedule->warmup_epochs
                     ? schedule->total_epochs - schedule->warmup_epochs : 1;
        double t = MIN ((double) done / span, 1.0);
        double low = base_rate * schedule->min_factor;

        rate = low + (base_rate - low) * 0.5 * (1.0 + cos (G_PI * t));
      }
      break;

    case CNV_SCHEDULE_CONSTANT:
    default:
      break;
    }

  if (epoch <= schedule->warmup_epochs)
    rate *= ((epoch - 1) + (double) batch / MAX (n_batches, 1))
            / schedule->warmup_epochs;

  return rate;
}

gboolean
cnv_schedule_validate (const CnvSchedule  *schedule,
                       GError            **error)
{
  g_return_val_if_fail (schedule != NULL, FALSE);

  if (schedule->kind > CNV_SCHEDULE_COSINE)
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The learning-rate schedule %d is unknown; use constant, "
                     "step or cosine."), (int) schedule->kind);
      return FALSE;
    }
  if (schedule->step_epochs < 1)
    {
      g_set_error_literal (error, CNV_OPTIMIZER_ERROR,
                           CNV_OPTIMIZER_ERROR_INVALID,
                           _("A step schedule decays every 1 or more epochs; "
                             "the step epochs are 0."));
      return FALSE;
    }
  if (!(schedule->gamma > 0.0 && schedule->gamma <= 1.0))
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The step schedule’s factor is %g; use a number above "
                     "0 and at most 1."), schedule->gamma);
      return FALSE;
    }
  if (!(schedule->min_factor >= 0.0 && schedule->min_factor <= 1.0))
    {
      g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
                   _("The cosine schedule’s final factor is %g; use a number "
                     "from 0 to 1."), schedule->min_factor);
      return FALSE;
    }

  return TRUE;
}

JsonNode *
cnv_schedule_to_json_node (const CnvSchedule *schedule)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (schedule != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, cnv_schedule_kind_to_string (schedule->kind));
  json_builder_set_member_name (b, "warmup_epochs");
  json_builder_add_int_value (b, schedule->warmup_epochs);
  json_builder_set_member_name (b, "step_epochs");
  json_builder_add_int_value (b, schedule->step_epochs);
  json_builder_set_member_name (b, "gamma");
  json_builder_add_double_value (b, schedule->gamma);
  json_builder_set_member_name (b, "min_factor");
  json_builder_add_double_value (b, schedule->min_factor);
  json_builder_set_member_name (b, "total_epochs");
  json_builder_add_int_value (b, schedule->total_epochs);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static gboolean
bad_field (GError     **error,
           const char  *field)
{
  g_set_error (error, CNV_OPTIMIZER_ERROR, CNV_OPTIMIZER_ERROR_INVALID,
               _("The learning-rate schedule has no valid “%s”."), field);
  return FALSE;
}

static gboolean
read_count (JsonObject *object,
            const char *field,
            guint      *value,
            GError    **error)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0 || json_node_get_int (node) > 1000000)
    return bad_field (error, field);

  *value = (guint) json_node_get_int (node);
  return TRUE;
}

static gboolean
read_number (JsonObject *object,
             const char *field,
             double     *value,
             GError    **error)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_DOUBLE
          && json_node_get_value_type (node) != G_TYPE_INT64))
    return bad_field (error, field);

  *value = json_node_get_double (node);
  return TRUE;
}

gboolean
cnv_schedule_from_json_node (JsonNode     *node,
                             CnvSchedule  *schedule,
                             GError      **error)
{
  JsonObject *object;
  const char *kind;

  g_return_val_if_fail (schedule != NULL, FALSE);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return bad_field (error, "kind");
  object = json_node_get_object (node);
  kind = json_object_has_member (object, "kind")
         && JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "kind"))
         ? json_object_get_string_member (object, "kind") : NULL;
  if (!cnv_schedule_kind_from_string (kind, &schedule->kind))
    return bad_field (error, "kind");

  return read_count (object, "warmup_epochs", &schedule->warmup_epochs, error)
         && read_count (object, "step_epochs", &schedule->step_epochs, error)
         && read_number (object, "gamma", &schedule->gamma, error)
         && read_number (object, "min_factor", &schedule->min_factor, error)
         && read_count (object, "total_epochs", &schedule->total_epochs,
                        error)
         && cnv_schedule_validate (schedule, error);
}
