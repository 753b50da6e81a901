/*
 * The few memory helpers the core needs. Its own, because it is linked into a
 * freestanding program with no C library (and built with -fno-builtin there, so the
 * compiler does not turn these loops back into calls to memset / memcpy).
 *
 * Zeroing is on the fast path (every frame handed out is zeroed), so whole pages go eight
 * 64-bit stores a round: 4 KiB costs about 700 instructions instead of 12,000 for a byte
 * loop. Volatile accesses keep the loops loops, never a memset / memcpy call.
 */
#include "internal.h"

void mm_mem_zero(void *p, uint64_t n) {
    volatile uint8_t *b = p;
    for (; n && ((uintptr_t)b & 7); n--) {
        *b++ = 0;
    }
    volatile uint64_t *w = (volatile uint64_t *)b;
    for (; n >= 64; n -= 64, w += 8) {
        w[0] = 0;
        w[1] = 0;
        w[2] = 0;
        w[3] = 0;
        w[4] = 0;
        w[5] = 0;
        w[6] = 0;
        w[7] = 0;
    }
    for (; n >= 8; n -= 8) {
        *w++ = 0;
    }
    for (b = (volatile uint8_t *)w; n; n--) {
        *b++ = 0;
    }
}

void mm_mem_copy(void *dst, const void *src, uint64_t n) {
    volatile uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        volatile uint64_t *dw = (volatile uint64_t *)d;
        const volatile uint64_t *sw = (const volatile uint64_t *)s;
        for (; n >= 8; n -= 8) {
            *dw++ = *sw++;
        }
        d = (volatile uint8_t *)dw;
        s = (const uint8_t *)sw;
    }
    for (; n; n--) {
        *d++ = *s++;
    }
}
