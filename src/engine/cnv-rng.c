/* cnv-rng.c — being written. */
#include "cnv.h"
