/* Demo program one (see demo.h). */
#define DEMO_NAME  "ping"
#define DEMO_START 100
#include "demo.h"
