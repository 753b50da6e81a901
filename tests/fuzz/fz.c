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

/* The other blocks the environments allocate per input or per operation (their server,
 * counters, the list of released frames), each kept once freed and handed out again to a
 * request it is large enough for. */
#define FZ_KEPT 8u
static struct {
    void *p;
    size_t size; /* usable bytes */
    bool busy;
} kept[FZ_KEPT];

/* Records p (size bytes, handed out) among the kept blocks: in a free slot, else in place of
 * the smallest idle block if that one is smaller (which is freed). */
static void keep(void *p, size_t size) {
    unsigned slot = FZ_KEPT;
    for (unsigned i = 0; p && i < FZ_KEPT; i++) {
        if (!kept[i].p) {
            slot = i;
            break;
        }
        if (!kept[i].busy && kept[i].size < size &&
            (slot == FZ_KEPT || kept[i].size < kept[slot].size)) {
            slot = i;
        }
    }
    if (slot < FZ_KEPT) {
        free(kept[slot].p);
        kept[slot].p = p;
        kept[slot].size = size;
        kept[slot].busy = true;
    }
}

/* An idle kept block of at least size bytes, now handed out, the smallest one (or the
 * largest, for a block that may grow); NULL if none. */
static void *take_kept(size_t size, bool largest) {
    unsigned best = FZ_KEPT;
    for (unsigned i = 0; i < FZ_KEPT; i++) {
        if (kept[i].p && !kept[i].busy && kept[i].size >= size &&
            (best == FZ_KEPT ||
             (largest ? kept[i].size > kept[best].size : kept[i].size < kept[best].size))) {
            best = i;
        }
    }
    if (best == FZ_KEPT) {
        return NULL;
    }
    kept[best].busy = true;
    return kept[best].p;
}

/* fz_malloc, the largest idle block when the block may grow. */
static void *kept_malloc(size_t size, bool may_grow) {
    void *p = take_kept(size, may_grow);
    if (!p) {
        p = malloc(size);
        keep(p, size);
    }
    return p;
}

void *fz_malloc(size_t size) {
    return kept_malloc(size, false);
}

void *fz_calloc(size_t n, size_t size) {
    size_t bytes;
    FZ_CHECK(!__builtin_mul_overflow(n, size, &bytes));
    void *p = fz_malloc(bytes);
    return p ? memset(p, 0, bytes) : NULL;
}

void *fz_realloc(void *p, size_t size) {
    if (!p) {
        return kept_malloc(size, true);
    }
    for (unsigned i = 0; i < FZ_KEPT; i++) {
        if (kept[i].p == p) {
            if (kept[i].size < size) {
                void *q = realloc(p, size);
                if (q) {
                    kept[i].p = q;
                    kept[i].size = size;
                }
                return q;
            }
            return p;
        }
    }
    return realloc(p, size);
}

void fz_arena_free(void *p) {
    if (!p || p == arena) {
        return;
    }
    for (unsigned i = 0; i < FZ_KEPT; i++) {
        if (kept[i].p == p) {
            kept[i].busy = false;
            return;
        }
    }
    free(p);
}

#define FZ_PAGE 4096u

void *fz_memset(void *p, int c, size_t n) {
    static int filled = -1; /* the byte the whole arena was last filled with */
    if (!arena || p != arena || n != arena_size || n % FZ_PAGE) {
        return memset(p, c, n);
    }
    if (filled != c) {
        filled = c;
        return memset(p, c, n);
    }
    uint64_t pattern;
    memset(&pattern, c, sizeof(pattern));
    for (size_t off = 0; off < n; off += FZ_PAGE) {
        uint8_t *page = (uint8_t *)p + off;
        uint64_t head, tail;
        memcpy(&head, page, sizeof(head));
        memcpy(&tail, page + FZ_PAGE - sizeof(tail), sizeof(tail));
        if (head != pattern || tail != pattern) {
            memset(page, c, FZ_PAGE);
        }
    }
    return p;
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
