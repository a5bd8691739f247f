/* cnv-model-spec.c — being written. */
#include "cnv.h"
