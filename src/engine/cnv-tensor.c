/* cnv-tensor.c — being written. */
#include "cnv.h"
