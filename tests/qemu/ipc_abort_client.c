/* The client of ipc_abort.h: its call must end with IPC_ERR_ABORTED. */
#include "ipc_abort.h"

/* Calls the server, which dies before replying. */
int main(void) {
    int failures = 0;
    uint64_t ep = ns_lookup("abort");
    ipc_msg_t m = {.info = ipc_info(ABORT_LABEL, 0)};
    ipc_err_t e = ipc_call(ep, &m);
    TEST_CHECK(&failures, e == IPC_ERR_ABORTED, "call to a server that died: %s", ipc_strerror(e));
    return failures;
}
