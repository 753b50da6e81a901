/*
 * The sharing demo, sending side (with reader.c; the pattern of tests/qemu/mm_share_tx.c):
 * maps one page, writes a sentence into it, shares it (mm_share) into the window the
 * reader accepted for it, then waits for the reader's answer written into the same frame.
 */
#include "demo_mm.h"

#define TX_VA 0x50000000ull

/* Maps, writes, shares, waits for the answer. */
int main(void) {
    volatile char *text = (volatile char *)(uintptr_t)TX_VA;
    volatile uint64_t *answer = (volatile uint64_t *)(uintptr_t)(TX_VA + 2048);
    mm_err_t e = mm_map(&demo_conn, TX_VA, MM_PAGE_SIZE, MM_PERM_R | MM_PERM_W, 0, NULL);
    if (e != MM_OK) {
        ipc_printf("writer: FAILED mm_map refused (%s)\n", demo_err(e));
        return 1;
    }
    const char *msg = DEMO_SHARE_TEXT;
    for (unsigned i = 0; i == 0 || msg[i - 1]; i++) {
        text[i] = msg[i];
    }
    ipc_printf("writer: mm_map(%p, 1 page, rw-) -> OK; wrote \"%s\"\n", (void *)(uintptr_t)TX_VA,
               msg);
    unsigned shared = 0;
    uint32_t to = 0;
    for (unsigned r = 0; r < MM_SHARE_ROUNDS && !shared; r++) {
        shared = mm_share_round(&demo_conn, TX_VA, &to);
        ipc_yield();
    }
    if (shared != 1) {
        ipc_printf("writer: FAILED %u shares accepted, not one\n", shared);
        return 1;
    }
    ipc_printf("writer: mm_share(%p, 1 page, to client %u, rw-) -> OK\n", (void *)(uintptr_t)TX_VA,
               to);
    for (unsigned r = 0; r < MM_SHARE_ROUNDS && *answer != DEMO_SHARE_ANSWER; r++) {
        ipc_yield();
    }
    if (*answer != DEMO_SHARE_ANSWER) {
        ipc_puts("writer: FAILED no answer through the shared frame\n");
        return 1;
    }
    ipc_printf("writer: the reader's answer %p arrived through the same frame\n",
               (void *)(uintptr_t)*answer);
    return 0;
}
