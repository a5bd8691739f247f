/* cnv-model.c — being written. */
#include "cnv.h"
