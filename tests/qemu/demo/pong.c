/* Demo program two (see demo.h). */
#define DEMO_NAME  "pong"
#define DEMO_START 200
#include "demo.h"
