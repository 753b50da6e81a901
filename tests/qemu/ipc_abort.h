/*
 * A server that dies holding a reply right must not leave its caller waiting forever:
 * ipc_abort_server receives one call and exits without replying; the call of
 * ipc_abort_client must end with IPC_ERR_ABORTED.
 */
#pragma once

#include "ipc_test.h"

#define ABORT_LABEL 9u
