/* cnv-classifier.c — being written. */
#include "cnv.h"
