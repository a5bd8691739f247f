/* cnv-dataset.c — being written. */
#include "cnv.h"
