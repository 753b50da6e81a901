/*
 * The sharing demo, receiving side (with writer.c; the pattern of
 * tests/qemu/mm_share_rx.c): accepts a one-page window from every possible client id
 * (mm_share_accept), waits until a frame appears in one, reads the writer's sentence
 * there and writes an answer back into the same frame.
 */
#include <stdbool.h>

#include "demo_mm.h"

/* Accepts a one-page window from every other live client id; false if one is refused
 * for any other reason. */
static bool accept_all(void) {
    for (uint32_t k = 1; k < DEMO_SHARE_IDS; k++) {
        mm_err_t e = mm_share_accept(&demo_conn, k, DEMO_SHARE_WINDOW(k), MM_PAGE_SIZE,
                                     MM_PERM_R | MM_PERM_W, NULL);
        /* INVAL: k is our own id; NO_CLIENT: nobody has it (any more) */
        if (e != MM_OK && e != MM_ERR_INVAL && e != MM_ERR_NO_CLIENT) {
            ipc_printf("reader: FAILED accept from %u: %s\n", k, demo_err(e));
            return false;
        }
    }
    return true;
}

/* The client whose window a share arrived in (polling, yielding), or 0 when none came. */
static uint32_t wait_share(void) {
    for (unsigned round = 0; round < DEMO_SHARE_ROUNDS; round++) {
        for (uint32_t k = 1; k < DEMO_SHARE_IDS; k++) {
            mm_query_result_t q;
            if (mm_query(&demo_conn, DEMO_SHARE_WINDOW(k), &q) == MM_OK && q.frame) {
                return k;
            }
        }
        ipc_yield();
    }
    return 0;
}

/* Accepts, waits for the share, reads the sentence, answers. */
int main(void) {
    if (!accept_all()) {
        return 1;
    }
    ipc_printf("reader: mm_share_accept: a one-page window at %p + 4K * id for each client\n",
               (void *)(uintptr_t)DEMO_SHARE_WINDOW(0));
    uint32_t from = wait_share();
    if (!from) {
        ipc_puts("reader: FAILED no share arrived\n");
        return 1;
    }
    uint64_t va = DEMO_SHARE_WINDOW(from);
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
