/*
 * Sharing between two processes, the receiving side (with mm_share_tx). Neither knows the
 * other's client id, so the receiver accepts a window from every possible id k at
 * RX_WINDOW + k pages; the sender shares into every candidate, and only the window
 * accepted from it by this process takes the share. The receiver waits (query, yield)
 * until a frame appears in one window and reads the sender's word there.
 */
#include <stdbool.h>

#include <ipc/mm_client.h>

#include "mm_share.h"
#include "test.h"

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* Accepts a one-page window from every other live client id; false if one is refused
 * for any other reason. */
static bool accept_all(void) {
    for (uint32_t k = 1; k < MM_SHARE_IDS; k++) {
        mm_err_t e = mm_share_accept(&conn, k, MM_SHARE_WINDOW(k), MM_PAGE_SIZE,
                                     MM_PERM_R | MM_PERM_W, NULL);
        /* INVAL: k is our own id; NO_CLIENT: nobody has it (any more) */
        if (e != MM_OK && e != MM_ERR_INVAL && e != MM_ERR_NO_CLIENT) {
            ipc_printf("  accept from %u: error %u\n", k, (unsigned)e);
            return false;
        }
    }
    return true;
}

/* The window a share arrived in (polling, yielding), or 0 when none came in time. */
static uint64_t wait_share(void) {
    for (unsigned round = 0; round < MM_SHARE_ROUNDS; round++) {
        for (uint32_t k = 1; k < MM_SHARE_IDS; k++) {
            mm_query_result_t q;
            if (mm_query(&conn, MM_SHARE_WINDOW(k), &q) == MM_OK && q.frame) {
                return MM_SHARE_WINDOW(k);
            }
        }
        ipc_yield();
    }
    return 0;
}

/* Accepts, waits for the share, checks the sender's word. */
int main(void) {
    const char *why = accept_all() ? NULL : "a window was refused";
    uint64_t va = why ? 0 : wait_share();
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
