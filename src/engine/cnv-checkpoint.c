/* cnv-checkpoint.c — being written. */
#include "cnv.h"
