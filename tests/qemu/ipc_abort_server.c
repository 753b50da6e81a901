/* The server of ipc_abort.h: takes one call and exits without replying. */
#include "ipc_abort.h"

/* Receives the call, checks it, exits. */
int main(void) {
    uint64_t ep = ns_serve("abort");
    ipc_msg_t m;
    ipc_err_t e = ipc_recv(ep, &m);
    if (e != IPC_OK || ipc_info_label(m.info) != ABORT_LABEL) {
        ipc_test_die("receiving the call", e);
    }
    return 0;
}
