/*
 * A fault delivered to a handler process that fixes nothing and kills the faulter, while
 * the other programs go on. ipc_faulter gives ipc_fault_handler its own thread capability
 * (a call carrying IPC_SLOT_SELF), makes the handler's endpoint its fault endpoint and
 * writes to an unmapped address. The handler receives the fault message, checks every
 * field, kills the faulter with the thread capability, and checks that replying to the
 * dead faulter and using the stale capability both fail.
 */
#pragma once

#include "ipc_test.h"

#define FAULT_GIVE_LABEL 5u
#define FAULT_ADDRESS    0x10000040ull /* unmapped in every test program */
