/* Preemption keeps registers, second side (see preempt.h). */
#define PREEMPT_SEED 0x9876u
#include "preempt.h"
