/*
 * The starter's second program: accepts a page from hello (hello.h says how without
 * knowing its client id), reads hello's sentence there and answers in the same frame.
 * Exits 0 when the sentence arrived intact.
 */
#include "hello.h"

/* Accepts a one-page window from every other client id; false if one is refused for
 * another reason than "that is me" (INVAL) or "nobody has that id" (NO_CLIENT). */
static bool accept_from_all(void) {
    for (uint32_t k = 1; k < HELLO_IDS; k++) {
        mm_err_t e = mm_share_accept(mm_self(), k, HELLO_WINDOW(k), MM_PAGE_SIZE,
                                     MM_PERM_R | MM_PERM_W, NULL);
        if (e != MM_OK && e != MM_ERR_INVAL && e != MM_ERR_NO_CLIENT) {
            printf("hello_peer: mm_share_accept from %u refused: %s\n", k, mm_strerror(e));
            return false;
        }
    }
    return true;
}

/* The window a frame arrived in, or 0 after HELLO_ROUNDS rounds. */
static uint64_t wait_for_page(void) {
    for (unsigned r = 0; r < HELLO_ROUNDS; r++) {
        for (uint32_t k = 1; k < HELLO_IDS; k++) {
            mm_query_result_t q;
            if (mm_query(mm_self(), HELLO_WINDOW(k), &q) == MM_OK && q.frame) {
                return HELLO_WINDOW(k);
            }
        }
        ipc_yield();
    }
    return 0;
}

/* Accepts, waits, reads, answers. */
int main(void) {
    if (!accept_from_all()) {
        return 1;
    }
    uint64_t va = wait_for_page();
    if (!va) {
        printf("hello_peer: no page arrived\n");
        return 1;
    }
    const char *text = (const char *)(uintptr_t)va;
    if (memcmp(text, HELLO_TEXT, sizeof(HELLO_TEXT)) != 0) {
        printf("hello_peer: the page at %p does not hold hello's sentence\n", (void *)text);
        return 1;
    }
    printf("hello_peer: a page arrived at %p: \"%s\"\n", (void *)text, text);
    *(volatile uint64_t *)(uintptr_t)(va + HELLO_ANSWER_AT) = HELLO_ANSWER;
    return 0;
}
