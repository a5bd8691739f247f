/* cnv-layers.c — being written. */
#include "cnv.h"
