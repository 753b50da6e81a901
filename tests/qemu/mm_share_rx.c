/*
 * Sharing between two processes, the receiving side (with mm_share_tx), through the
 * rendezvous of mm_share.h: accept a window from every possible sender, wait until a frame
 * appears in one, read the sender's word there; then a second page comes read-only into a
 * read-write window, which must stay read-only; then answer through the first frame.
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

/* The read-only round: accepts a read-write window from the sender, waits for its read-only
 * share, then tries to make it writable. NULL when the sender's permission held. */
static const char *read_only_round(uint32_t from) {
    if (mm_share_accept(&conn, from, MM_SHARE_RO_WINDOW, MM_PAGE_SIZE, MM_PERM_R | MM_PERM_W,
                        NULL) != MM_OK) {
        return "the read-only round's window was refused";
    }
    mm_query_result_t q = {0};
    for (unsigned r = 0; r < MM_SHARE_ROUNDS && !q.frame; r++) {
        if (mm_query(&conn, MM_SHARE_RO_WINDOW, &q) != MM_OK) {
            return "query of the read-only window failed";
        }
        ipc_yield();
    }
    if (!q.frame) {
        return "no read-only share arrived";
    }
    mm_err_t e = mm_protect(&conn, MM_SHARE_RO_WINDOW, MM_PAGE_SIZE, MM_PERM_R | MM_PERM_W, NULL);
    ipc_printf("  read-only share: protect to read-write -> error %u (want DENIED, %u)\n",
               (unsigned)e, (unsigned)MM_ERR_DENIED);
    if (e != MM_ERR_DENIED) {
        return "the receiver made a read-only share writable";
    }
    if (mm_query(&conn, MM_SHARE_RO_WINDOW, &q) != MM_OK || q.perm != MM_PERM_R ||
        q.maxperm != MM_PERM_R) {
        return "the read-only share does not say read-only (perm and max)";
    }
    return NULL;
}

/* Accepts, waits for the share, checks the sender's word, then the read-only round. */
int main(void) {
    const char *why = accept_all() ? NULL : "a window was refused";
    uint32_t from = why ? 0 : mm_share_wait(&conn);
    uint64_t va = from ? MM_SHARE_WINDOW(from) : 0;
    why = why ? why : !va ? "no share arrived" : NULL;
    if (!why && *(volatile uint64_t *)(uintptr_t)va != MM_SHARE_MAGIC) {
        why = "the shared page does not hold the sender's word";
    }
    why = why ? why : read_only_round(from);
    if (!why) {
        *(volatile uint64_t *)(uintptr_t)(va + 8) = MM_SHARE_MAGIC + 1; /* the answer */
    }
    ipc_printf(why ? "test mm_share_rx: FAILED %s\n" : "test mm_share_rx: OK%s\n", why ? why : "");
    return why ? 1 : 0;
}
