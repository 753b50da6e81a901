/*
 * Sharing between two processes, the sending side (see mm_share_rx.c): maps one page,
 * writes a word, shares it into every candidate window until exactly one share is
 * accepted, then waits for the receiver's answer written through its own mapping of the
 * same frame.
 */
#include <ipc/mm_client.h>

#include "mm_share.h"
#include "test.h"

#define TX_VA 0x50000000ull

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* The read-only round: shares the page after TX_VA read-only into the receiver's
 * MM_SHARE_RO_WINDOW, retrying until the receiver has accepted it. */
static const char *share_read_only(uint32_t to) {
    volatile uint64_t *q = (volatile uint64_t *)(uintptr_t)(TX_VA + MM_PAGE_SIZE);
    q[0] = MM_SHARE_MAGIC;
    for (unsigned r = 0; r < MM_SHARE_ROUNDS; r++) {
        mm_share_result_t out;
        mm_err_t e = mm_share(&conn, TX_VA + MM_PAGE_SIZE, MM_PAGE_SIZE, to, MM_SHARE_RO_WINDOW,
                              MM_PERM_R, &out);
        if (e == MM_OK) {
            return out.perm == MM_PERM_R ? NULL : "the read-only share's reply is not read-only";
        }
        ipc_yield();
    }
    return "the read-only share was never taken";
}

/* Maps, writes, shares, waits for the answer. */
int main(void) {
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)TX_VA;
    const char *why =
        mm_map(&conn, TX_VA, 2 * MM_PAGE_SIZE, MM_PERM_R | MM_PERM_W, 0, NULL) != MM_OK
            ? "map refused"
            : NULL;
    unsigned shared = 0;
    uint32_t to = 0;
    if (!why) {
        p[0] = MM_SHARE_MAGIC;
        for (unsigned r = 0; r < MM_SHARE_ROUNDS && !shared; r++) {
            shared = mm_share_round(&conn, TX_VA, &to);
            ipc_yield();
        }
        why = shared != 1 ? "not exactly one share accepted" : NULL;
    }
    why = why ? why : share_read_only(to);
    for (unsigned r = 0; !why && r < MM_SHARE_ROUNDS && p[1] != MM_SHARE_MAGIC + 1; r++) {
        ipc_yield();
    }
    if (!why && p[512] != MM_SHARE_MAGIC) {
        why = "the read-only shared page was changed by the receiver";
    }
    why = why ? why : p[1] != MM_SHARE_MAGIC + 1 ? "no answer through the shared frame" : NULL;
    ipc_printf(why ? "test mm_share_tx: FAILED %s\n" : "test mm_share_tx: OK%s\n", why ? why : "");
    return why ? 1 : 0;
}
