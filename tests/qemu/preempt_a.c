/* Preemption keeps registers, first side (see preempt.h). */
#define PREEMPT_SEED 0x1234u
#include "preempt.h"
