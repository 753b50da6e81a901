/*
 * The few memory helpers the core needs. Its own, because it is linked into a
 * freestanding program with no C library (and built with -fno-builtin there, so the
 * compiler does not turn these loops back into calls to memset / memcpy).
 */
#include "internal.h"

void mm_mem_zero(void *p, uint64_t n) {
    volatile uint8_t *b = p; /* volatile: keep the loop a loop, never a memset call */
    for (uint64_t i = 0; i < n; i++) {
        b[i] = 0;
    }
}

void mm_mem_copy(void *dst, const void *src, uint64_t n) {
    volatile uint8_t *d = dst;
    const uint8_t *s = src;
    for (uint64_t i = 0; i < n; i++) {
        d[i] = s[i];
    }
}
