/* cnv-image.c — being written. */
#include "cnv.h"
