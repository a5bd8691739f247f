/* cnv-schedule.h — the learning rate as training goes on
 *
 * A schedule gives the learning rate of every step from the base rate the
 * optimizer was given: constant, multiplied by gamma every step_epochs
 * epochs (step decay), or following half a cosine from the base rate down
 * to min_factor × base over the schedule's epochs; any of them after a
 * linear warm-up.  It depends only on the epoch and the batch, so a run
 * resumed from a checkpoint continues with the rate the uninterrupted run
 * would have used.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  CNV_SCHEDULE_CONSTANT,
  CNV_SCHEDULE_STEP,
  CNV_SCHEDULE_COSINE,
} CnvScheduleKind;

typedef struct
{
  CnvScheduleKind kind;
  guint           warmup_epochs;   /* 0: none; the rate rises linearly
                                    * from 0 over these epochs */
  guint           step_epochs;     /* STEP: epochs between two decays */
  double          gamma;           /* STEP: the factor of each decay */
  double          min_factor;      /* COSINE: the final rate / base */
  guint           total_epochs;    /* COSINE: the epochs it spans; 0 in a
                                    * config: up to the run's last epoch */
} CnvSchedule;

/* Constant, no warm-up; step of 10 epochs and gamma 0.1, min factor 0,
 * for when the kind is changed. */
void        cnv_schedule_init_default   (CnvSchedule       *schedule);
const char *cnv_schedule_kind_to_string (CnvScheduleKind    kind);
gboolean    cnv_schedule_kind_from_string (const char      *name,
                                           CnvScheduleKind *kind);
/* The rate of batch (1 … n_batches) of epoch (1-based, counted over every
 * run of the model). */
double      cnv_schedule_learning_rate  (const CnvSchedule *schedule,
                                         double             base_rate,
                                         guint              epoch,
                                         guint              batch,
                                         guint              n_batches);
/* Checks the ranges (gamma in (0, 1], min factor in [0, 1], step epochs
 * ≥ 1); the message names the field and the value. */
gboolean    cnv_schedule_validate       (const CnvSchedule *schedule,
                                         GError           **error);
JsonNode   *cnv_schedule_to_json_node   (const CnvSchedule *schedule);
/* Every field must be there; the message names the one that is wrong. */
gboolean    cnv_schedule_from_json_node (JsonNode          *node,
                                         CnvSchedule       *schedule,
                                         GError           **error);

G_END_DECLS
