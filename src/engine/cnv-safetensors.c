/* cnv-safetensors.c — being written. */
#include "cnv.h"
