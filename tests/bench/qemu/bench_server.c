/* The server of bench_ipc.h: answers every call at once, with its counter readings. */
#include "bench_ipc.h"
#include "bench_stats.h" /* its marks make it a benchmark program to tools/profile.sh */

#define EP IPC_SLOT_FREE /* ns_serve puts the endpoint there */

/* Serves until told to stop; every reply carries the counter read just after the call
 * arrived (w0) and just before the reply leaves (w1). */
int main(void) {
    ns_serve("bench");
    ipc_msg_t m;
    ipc_err_t e = ipc_recv(EP, &m);
    while (e == IPC_OK && ipc_info_label(m.info) == BENCH_LABEL) {
        uint64_t arrived = ipc_cycles();
        m.info = ipc_info(BENCH_LABEL, 2);
        m.w[0] = arrived;
        m.w[1] = ipc_cycles();
        e = ipc_reply_recv(EP, &m);
    }
    m.info = ipc_info(BENCH_STOP, 0);
    ipc_reply(&m);
    return e == IPC_OK ? 0 : 1;
}
