/*
 * The input reader and failure report shared by the harnesses (fz.h).
 */
#include "fz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fz_in_t fz_in(const uint8_t *p, size_t n) {
    fz_in_t in = {p, n, 0};
    return in;
}

bool fz_done(const fz_in_t *in) {
    return in->at >= in->n;
}

uint8_t fz_u8(fz_in_t *in) {
    return in->at < in->n ? in->p[in->at++] : 0;
}

uint16_t fz_u16(fz_in_t *in) {
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | (uint16_t)fz_u8(in) << 8);
}

uint32_t fz_u32(fz_in_t *in) {
    uint32_t lo = fz_u16(in);
    return lo | (uint32_t)fz_u16(in) << 16;
}

uint64_t fz_u64(fz_in_t *in) {
    uint64_t lo = fz_u32(in);
    return lo | (uint64_t)fz_u32(in) << 32;
}

uint64_t fz_below(fz_in_t *in, uint64_t n) {
    uint64_t v = n <= 0x100        ? fz_u8(in)
                 : n <= 0x10000    ? fz_u16(in)
                 : n <= 1ull << 32 ? fz_u32(in)
                                   : fz_u64(in);
    return v % n;
}

bool fz_trace(void) {
    static int trace = -1;
    if (trace < 0) {
        trace = getenv("FZ_TRACE") != NULL;
    }
    return trace;
}

static void *arena;
static size_t arena_size;

void *fz_arena_alloc(size_t align, size_t size) {
    if (!arena) {
        arena = aligned_alloc(align, size);
        arena_size = size;
    }
    FZ_CHECK(arena && size == arena_size && ((uintptr_t)arena & (align - 1)) == 0,
             "one arena of one size per harness (asked %zu, have %zu)", size, arena_size);
    return arena;
}

void fz_arena_free(void *p) {
    if (p != arena) {
        free(p);
    }
}

void fz_known(const char *file, int line, const char *id, const char *fmt, ...) {
    static const char *seen[16];
    static unsigned nseen;
    bool strict = getenv("FZ_STRICT") != NULL;
    unsigned i = 0;
    while (i < nseen && strcmp(seen[i], id) != 0) {
        i++;
    }
    if (i < nseen && !strict) {
        return;
    }
    if (nseen < 16) {
        seen[nseen++] = id;
    }
    va_list ap;
    fprintf(stderr, "KNOWN FINDING %s at %s:%d%s\n  ", id, file, line,
            strict ? "" : " (not fatal: FZ_STRICT is not set; reported once)");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    if (strict) {
        abort();
    }
}

void fz_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "FUZZ FINDING at %s:%d: %s\n  ", file, line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}
