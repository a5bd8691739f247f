/* cnv-optimizer.c — being written. */
#include "cnv.h"
