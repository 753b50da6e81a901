/*
 * The starter program (ipc/user/README.md, "Your first program"): prints, asks mmserver
 * for memory and touches it, uses the heap, shares a page with hello_peer and exits with
 * status 0 when every step did what it should (any other status: the step that failed says
 * why). It leaves its pages mapped: mmserver takes everything back when it exits.. `make run
 * PROGRAMS="hello hello_peer"` boots the two.
 */
#include "hello.h"

/* Asks for four lazy pages, touches each (mmserver fills a page at its first touch) and
 * checks what it wrote; returns the address, or 0. */
static uint64_t map_and_touch(void) {
    mm_map_result_t r;
    mm_err_t e = mm_map(mm_self(), 0, 4 * MM_PAGE_SIZE, MM_PERM_R | MM_PERM_W,
                        MM_F_ANYWHERE | MM_F_LAZY, &r);
    if (e != MM_OK) {
        printf("hello: mm_map refused: %s\n", mm_strerror(e));
        return 0;
    }
    printf("hello: mm_map: 4 pages at %p, %llu backed (lazy: filled when touched)\n",
           (void *)(uintptr_t)r.va, (unsigned long long)r.pages);
    volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)r.va;
    for (unsigned i = 0; i < 4; i++) {
        w[i * MM_PAGE_SIZE / 8] = 0x1000u + i;
    }
    mm_stats_result_t st;
    e = mm_stats(mm_self(), &st);
    for (unsigned i = 0; i < 4; i++) {
        if (w[i * MM_PAGE_SIZE / 8] != 0x1000u + i) {
            printf("hello: page %u lost what I wrote\n", i);
            return 0;
        }
    }
    printf("hello: touched the 4 pages; mmserver says I hold %llu frames of my quota of %llu\n",
           (unsigned long long)(e == MM_OK ? st.charge : 0),
           (unsigned long long)(e == MM_OK ? st.quota : 0));
    return r.va;
}

/* Offers the page at va into every window; the number of offers taken. */
static unsigned offer(uint64_t va) {
    unsigned taken = 0;
    for (uint32_t to = 1; to < HELLO_IDS; to++) {
        for (uint32_t k = 1; k < HELLO_IDS; k++) {
            taken += mm_share(mm_self(), va, MM_PAGE_SIZE, to, HELLO_WINDOW(k),
                              MM_PERM_R | MM_PERM_W, NULL) == MM_OK;
        }
    }
    return taken;
}

/* Writes a sentence into the page at va, shares it with the peer and waits for its answer
 * in the same frame. */
static bool share_with_peer(uint64_t va) {
    memcpy((void *)(uintptr_t)va, HELLO_TEXT, sizeof(HELLO_TEXT));
    unsigned taken = 0;
    for (unsigned r = 0; r < HELLO_ROUNDS && !taken; r++) {
        taken = offer(va);
        ipc_yield();
    }
    if (taken != 1) {
        printf("hello: %u programs took my page, not one\n", taken);
        return false;
    }
    volatile uint64_t *answer = (volatile uint64_t *)(uintptr_t)(va + HELLO_ANSWER_AT);
    for (unsigned r = 0; r < HELLO_ROUNDS && *answer != HELLO_ANSWER; r++) {
        ipc_yield();
    }
    if (*answer != HELLO_ANSWER) {
        printf("hello: the peer never answered through the shared page\n");
        return false;
    }
    printf("hello: the peer answered %p through the shared page\n", (void *)(uintptr_t)*answer);
    return true;
}

/* Each step in turn; status 1 at the first that fails. */
int main(void) {
    printf("hello: hello from my own address space\n");
    uint64_t va = map_and_touch();
    if (!va) {
        return 1;
    }
    char *note = malloc(100);
    if (!note) {
        printf("hello: malloc refused: %s\n", mm_strerror(malloc_error()));
        return 1;
    }
    memcpy(note, "a note on the heap", 19);
    printf("hello: malloc(100) = %p: \"%s\"\n", (void *)note, note);
    free(note);
    if (!share_with_peer(va)) {
        return 1;
    }
    /* The four pages stay mapped, so they show in mmserver's map of me at my end (and in
     * the address-space picture); exiting gives every frame back. */
    printf("hello: goodbye\n");
    return 0;
}
