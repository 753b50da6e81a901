/* Isolation, second side (see isolation.h). */
#define ISOLATION_NAME  "isolation_b"
#define ISOLATION_VALUE 0xbbbb000000000000ull
#include "isolation.h"
