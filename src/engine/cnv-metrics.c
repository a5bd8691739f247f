/* cnv-metrics.c — being written. */
#include "cnv.h"
