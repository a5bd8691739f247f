/* cnv.h — the whole Convolve engine.  No GTK in here. */
#pragma once

#include "cnv-tensor.h"
#include "cnv-rng.h"
#include "cnv-model.h"
#include "cnv-optimizer.h"
#include "cnv-schedule.h"
#include "cnv-augment.h"
#include "cnv-image.h"
#include "cnv-dataset.h"
#include "cnv-metrics.h"
#include "cnv-classifier.h"
#include "cnv-checkpoint.h"
#include "cnv-diff.h"
#include "cnv-json.h"
#include "cnv-stack-editor.h"
#include "cnv-i18n.h"
#include "cnv-version.h"
