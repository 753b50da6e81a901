/* Isolation, first side (see isolation.h). */
#define ISOLATION_NAME  "isolation_a"
#define ISOLATION_VALUE 0xaaaa000000000000ull
#include "isolation.h"
