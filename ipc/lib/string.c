/*
 * Freestanding memory and string functions (see mmlib/string.h). Plain loops (bytes, or
 * words for aligned copies): simple code cannot be miscompiled into a call to itself
 * (-fno-builtin keeps clang from turning these loops back into memcpy calls).
 */
#include <stdint.h>

#include <mmlib/string.h>

/* Copies n bytes; the ranges must not overlap. Word by word when both ends and the length
 * are 8-byte aligned: the kernel copies every saved register frame (arch_regs_t) on each
 * entry, and byte by byte that was most of a syscall's cost. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    if ((((uintptr_t)dst | (uintptr_t)src | n) & 7u) == 0) {
        uint64_t *dw = dst;
        const uint64_t *sw = src;
        for (; n >= 32; n -= 32, dw += 4, sw += 4) {
            dw[0] = sw[0];
            dw[1] = sw[1];
            dw[2] = sw[2];
            dw[3] = sw[3];
        }
        for (; n; n -= 8) {
            *dw++ = *sw++;
        }
        return dst;
    }
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

/* Copies n bytes; the ranges may overlap. */
void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        return memcpy(dst, src, n);
    }
    while (n--) {
        d[n] = s[n];
    }
    return dst;
}

/* Sets n bytes to c. */
void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) {
        *d++ = (unsigned char)c;
    }
    return dst;
}

/* Compares n bytes: <0, 0 or >0 like the C library. */
int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] - y[i];
        }
    }
    return 0;
}

/* The length of the NUL-terminated string s. */
size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

/* Compares at most n bytes of two strings. */
int strncmp(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || !a[i]) {
            return (unsigned char)a[i] - (unsigned char)b[i];
        }
    }
    return 0;
}

/* Compares two strings. */
int strcmp(const char *a, const char *b) {
    return strncmp(a, b, (size_t)-1);
}
