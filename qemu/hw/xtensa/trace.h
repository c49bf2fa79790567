#include "trace/trace-hw_xtensa.h"
