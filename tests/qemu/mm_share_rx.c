/*
 * Sharing between two processes, the receiving side (with mm_share_tx), through the
 * rendezvous of mm_share.h: accept a window from every possible sender, wait until a frame
 * appears in one, read the sender's word there and answer through the same frame.
 */
#include "mm_share.h"
#include "test.h"

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* Accepts every window (mm_share.h); prints which one was refused, if one was. */
static bool accept_all(void) {
    uint32_t k;
    mm_err_t e;
    if (!mm_share_accept_all(&conn, &k, &e)) {
        ipc_printf("  accept from %u: error %u\n", k, (unsigned)e);
        return false;
    }
    return true;
}

/* Accepts, waits for the share, checks the sender's word. */
int main(void) {
    const char *why = accept_all() ? NULL : "a window was refused";
    uint32_t from = why ? 0 : mm_share_wait(&conn);
    uint64_t va = from ? MM_SHARE_WINDOW(from) : 0;
    why = why ? why : !va ? "no share arrived" : NULL;
    if (!why && *(volatile uint64_t *)(uintptr_t)va != MM_SHARE_MAGIC) {
        why = "the shared page does not hold the sender's word";
    }
    if (!why) {
        *(volatile uint64_t *)(uintptr_t)(va + 8) = MM_SHARE_MAGIC + 1; /* the answer */
    }
    ipc_printf(why ? "test mm_share_rx: FAILED %s\n" : "test mm_share_rx: OK%s\n", why ? why : "");
    return why ? 1 : 0;
}
