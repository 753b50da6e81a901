/*
 * The sharing demo, receiving side (with writer.c; the pattern of
 * tests/qemu/mm_share_rx.c): accepts a one-page window from every possible client id
 * (mm_share_accept), waits until a frame appears in one, reads the writer's sentence
 * there and writes an answer back into the same frame.
 */
#include "demo_mm.h"

/* Accepts every window (mm_share.h); says which one was refused, if one was. */
static bool accept_all(void) {
    uint32_t k;
    mm_err_t e;
    if (!mm_share_accept_all(&demo_conn, &k, &e)) {
        ipc_printf("reader: FAILED accept from %u: %s\n", k, demo_err(e));
        return false;
    }
    return true;
}

/* Accepts, waits for the share, reads the sentence, answers. */
int main(void) {
    if (!accept_all()) {
        return 1;
    }
    ipc_printf("reader: mm_share_accept: a one-page window at %p + 4K * id for each client\n",
               (void *)(uintptr_t)MM_SHARE_WINDOW(0));
    uint32_t from = mm_share_wait(&demo_conn);
    if (!from) {
        ipc_puts("reader: FAILED no share arrived\n");
        return 1;
    }
    uint64_t va = MM_SHARE_WINDOW(from);
    char text[sizeof(DEMO_SHARE_TEXT)];
    for (unsigned i = 0; i < sizeof(text); i++) {
        text[i] = ((volatile char *)(uintptr_t)va)[i];
    }
    text[sizeof(text) - 1] = 0;
    ipc_printf("reader: client %u's page arrived at %p; it reads \"%s\"\n", from,
               (void *)(uintptr_t)va, text);
    const char *want = DEMO_SHARE_TEXT;
    for (unsigned i = 0; i < sizeof(text); i++) {
        if (text[i] != want[i]) {
            ipc_puts("reader: FAILED the sentence is not the writer's\n");
            return 1;
        }
    }
    *(volatile uint64_t *)(uintptr_t)(va + 2048) = DEMO_SHARE_ANSWER;
    ipc_printf("reader: wrote the answer %p back into the shared page\n",
               (void *)(uintptr_t)DEMO_SHARE_ANSWER);
    return 0;
}
