/*
 * libpt host benchmark (not a test: it asserts no time). For every format it maps,
 * translates, protects and unmaps PT_BENCH_PAGES 4 KiB pages three ways:
 *   range  - one libpt call for the whole range (translate: pt_query per page),
 *   single - one libpt call per page,
 *   naive  - a baseline that walks from the root for every page and never reclaims tables,
 * and prints nanoseconds per page, the range speed-up over the baseline, and how many table
 * frames are left after unmapping everything (libpt should leave only the root).
 * Usage: pt_bench [pages] [--json FILE]
 */
#define _POSIX_C_SOURCE 200809L
#include <pt/pt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a table-frame arena: frames are numbered from ARENA_PA, reached linearly ---------- */

#define ARENA_PA 0x100000000ull /* physical address of the arena's first frame */

typedef struct arena {
    uint8_t *mem;
    uint64_t frames;
    uint64_t *free; /* stack of free frame numbers */
    uint64_t nfree;
} arena_t;

/* Reserves an arena of n frames; exits on failure (a benchmark has no use without it). */
static void arena_init(arena_t *a, uint64_t n) {
    a->mem = aligned_alloc(PT_PAGE_SIZE, n * PT_PAGE_SIZE);
    a->free = malloc(n * sizeof(uint64_t));
    if (!a->mem || !a->free) {
        fprintf(stderr, "pt_bench: out of memory\n");
        exit(1);
    }
    a->frames = n;
    a->nfree = n;
    for (uint64_t i = 0; i < n; i++) {
        a->free[i] = n - 1 - i;
    }
}

/* alloc_table hook: pops a free frame. */
static bool arena_alloc(void *ctx, pt_paddr_t *pa) {
    arena_t *a = ctx;
    if (a->nfree == 0) {
        return false;
    }
    *pa = ARENA_PA + a->free[--a->nfree] * PT_PAGE_SIZE;
    return true;
}

/* free_table hook: pushes the frame back. */
static void arena_free(void *ctx, pt_paddr_t pa) {
    arena_t *a = ctx;
    a->free[a->nfree++] = (pa - ARENA_PA) / PT_PAGE_SIZE;
}

/* Table frames currently handed out. */
static uint64_t arena_used(const arena_t *a) {
    return a->frames - a->nfree;
}

/* ---- timing ---------------------------------------------------------------------------- */

/* Monotonic time in nanoseconds. */
static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- the naive baseline ---------------------------------------------------------------- */

/* The level-0 slot for va, walking from the root and creating missing tables when alloc. */
static uint64_t *naive_slot(pt_space_t *s, pt_vaddr_t va, bool alloc) {
    const pt_format_t *f = s->fmt;
    uint64_t *t = (uint64_t *)(uintptr_t)(s->root + s->hooks.phys_offset);
    for (unsigned level = f->levels - 1u; level > 0; level--) {
        uint64_t *slot = &t[(va >> (12 + 9 * level)) & 511];
        pt_paddr_t pa;
        if (*slot == 0) {
            if (!alloc || !s->hooks.alloc_table(s->hooks.ctx, &pa)) {
                return NULL;
            }
            memset((void *)(uintptr_t)(pa + s->hooks.phys_offset), 0, PT_PAGE_SIZE);
            *slot = f->encode_table(pa, level);
        }
        f->decode(*slot, level, s->flags, &pa, NULL);
        t = (uint64_t *)(uintptr_t)(pa + s->hooks.phys_offset);
    }
    return &t[(va >> 12) & 511];
}

/* ---- measurements ------------------------------------------------------------------------ */

enum { OP_MAP, OP_TRANSLATE, OP_PROTECT, OP_UNMAP, OP_N };
static const char *const op_names[OP_N] = {"map", "translate", "protect", "unmap"};
enum { HOW_RANGE, HOW_SINGLE, HOW_NAIVE, HOW_N };

typedef struct figures {
    double ns[OP_N][HOW_N]; /* per page */
    uint64_t tables_left[HOW_N];
    uint64_t checksum; /* keeps translate loops from being optimised away */
} figures_t;

static volatile uint64_t sink; /* translate results land here, so they must be computed */
static const pt_attr_t rw = {PT_R | PT_W | PT_U, PT_MEM_NORMAL};
static const pt_attr_t ro = {PT_R | PT_U, PT_MEM_NORMAL};
#define BENCH_VA 0x1000000000ull /* 64 GiB: in the user half of every format, Sv39 too */
#define BENCH_PA 0x200000000ull  /* data frames (never touched) */

/* Exits with a message when a libpt call that must succeed does not. */
static void must(pt_err_t err, const char *what) {
    if (err != PT_OK) {
        fprintf(stderr, "pt_bench: %s failed: %s\n", what, pt_strerror(err));
        exit(1);
    }
}

/* Translates every page with pt_query; returns ns per page. */
static double time_translate(pt_space_t *s, uint64_t pages, figures_t *fig) {
    double t0 = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        pt_mapping_t m;
        must(pt_query(s, BENCH_VA + i * PT_PAGE_SIZE, &m), "query");
        fig->checksum += m.pa;
    }
    return (now_ns() - t0) / (double)pages;
}

/* The four operations as one call each over the range. */
static void bench_range(pt_space_t *s, uint64_t pages, figures_t *fig, arena_t *a) {
    pt_result_t r;
    pt_frames_t src = {.list = NULL, .base = BENCH_PA};
    uint64_t len = pages * PT_PAGE_SIZE;
    double t0 = now_ns();
    must(pt_map(s, BENCH_VA, len, &src, rw, 0, &r), "range map");
    double t1 = now_ns();
    fig->ns[OP_TRANSLATE][HOW_RANGE] = time_translate(s, pages, fig);
    double t2 = now_ns();
    must(pt_protect(s, BENCH_VA, len, ro, 0, &r), "range protect");
    double t3 = now_ns();
    must(pt_unmap(s, BENCH_VA, len, 0, &r), "range unmap");
    pt_release_tables(s, &r.deferred);
    double t4 = now_ns();
    fig->ns[OP_MAP][HOW_RANGE] = (t1 - t0) / (double)pages;
    fig->ns[OP_PROTECT][HOW_RANGE] = (t3 - t2) / (double)pages;
    fig->ns[OP_UNMAP][HOW_RANGE] = (t4 - t3) / (double)pages;
    fig->tables_left[HOW_RANGE] = arena_used(a);
}

/* The four operations one page per call. */
static void bench_single(pt_space_t *s, uint64_t pages, figures_t *fig, arena_t *a) {
    pt_result_t r;
    double t[5];
    t[0] = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        pt_frames_t src = {.list = NULL, .base = BENCH_PA + i * PT_PAGE_SIZE};
        must(pt_map(s, BENCH_VA + i * PT_PAGE_SIZE, PT_PAGE_SIZE, &src, rw, 0, &r), "map");
    }
    t[1] = now_ns();
    fig->ns[OP_TRANSLATE][HOW_SINGLE] = time_translate(s, pages, fig);
    t[2] = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        must(pt_protect(s, BENCH_VA + i * PT_PAGE_SIZE, PT_PAGE_SIZE, ro, 0, &r), "protect");
    }
    t[3] = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        must(pt_unmap(s, BENCH_VA + i * PT_PAGE_SIZE, PT_PAGE_SIZE, 0, &r), "unmap");
        pt_release_tables(s, &r.deferred);
    }
    t[4] = now_ns();
    for (int op = 0; op < OP_N; op++) {
        if (op != OP_TRANSLATE) {
            fig->ns[op][HOW_SINGLE] = (t[op + 1] - t[op]) / (double)pages;
        }
    }
    fig->tables_left[HOW_SINGLE] = arena_used(a);
}

/* The baseline: a root walk per page for each operation; unmap clears leaves only. */
static void bench_naive(pt_space_t *s, uint64_t pages, figures_t *fig, arena_t *a) {
    const pt_format_t *f = s->fmt;
    double t[5];
    t[0] = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t *slot = naive_slot(s, BENCH_VA + i * PT_PAGE_SIZE, true);
        *slot = f->encode_leaf(BENCH_PA + i * PT_PAGE_SIZE, rw, 0, s->flags);
    }
    t[1] = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        pt_paddr_t pa;
        f->decode(*naive_slot(s, BENCH_VA + i * PT_PAGE_SIZE, false), 0, s->flags, &pa, NULL);
        fig->checksum += pa;
    }
    t[2] = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t *slot = naive_slot(s, BENCH_VA + i * PT_PAGE_SIZE, false);
        pt_paddr_t pa;
        f->decode(*slot, 0, s->flags, &pa, NULL);
        *slot = f->encode_leaf(pa, ro, 0, s->flags);
    }
    t[3] = now_ns();
    for (uint64_t i = 0; i < pages; i++) {
        *naive_slot(s, BENCH_VA + i * PT_PAGE_SIZE, false) = 0;
    }
    t[4] = now_ns();
    for (int op = 0; op < OP_N; op++) {
        fig->ns[op][HOW_NAIVE] = (t[op + 1] - t[op]) / (double)pages;
    }
    fig->tables_left[HOW_NAIVE] = arena_used(a);
}

/* A fresh space in arena a. */
static pt_space_t new_space(const pt_format_t *f, arena_t *a) {
    pt_hooks_t hooks = {.ctx = a, .alloc_table = arena_alloc, .free_table = arena_free};
    hooks.phys_offset = (uint64_t)(uintptr_t)a->mem - ARENA_PA;
    pt_space_t s;
    must(pt_space_init(&s, f, &hooks, PT_SPACE_USER), "init");
    return s;
}

/* Runs the three ways for one format, each in a fresh space, after one warm-up round. */
static void bench_format(const pt_format_t *f, uint64_t pages, figures_t *fig) {
    arena_t a;
    arena_init(&a, pages / 256 + 64);
    void (*const how[HOW_N])(pt_space_t *, uint64_t, figures_t *,
                             arena_t *) = {bench_range, bench_single, bench_naive};
    for (int h = 0; h < HOW_N; h++) {
        pt_space_t s = new_space(f, &a);
        how[h](&s, pages, fig, &a); /* warm-up: faults in the arena, trains caches */
        pt_destroy(&s);
        s = new_space(f, &a);
        how[h](&s, pages, fig, &a);
        pt_destroy(&s);
    }
    free(a.mem);
    free(a.free);
}

/* Prints one format's figures as rows of the table. */
static void print_format(const pt_format_t *f, const figures_t *fig) {
    for (int op = 0; op < OP_N; op++) {
        double range = fig->ns[op][HOW_RANGE], naive = fig->ns[op][HOW_NAIVE];
        printf("%-8s %-10s %9.2f %9.2f %9.2f %8.1fx\n", f->name, op_names[op], range,
               fig->ns[op][HOW_SINGLE], naive, naive / range);
    }
    printf("%-8s tables left after unmapping everything: range %llu, single %llu, naive %llu\n",
           f->name, (unsigned long long)fig->tables_left[HOW_RANGE],
           (unsigned long long)fig->tables_left[HOW_SINGLE],
           (unsigned long long)fig->tables_left[HOW_NAIVE]);
}

/* Writes every figure as JSON to path. */
static void write_json(const char *path, const pt_format_t *const *fmts, const figures_t *figs,
                       int n, uint64_t pages) {
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        exit(1);
    }
    fprintf(out, "{\"pages\": %llu, \"unit\": \"ns/page\", \"formats\": [",
            (unsigned long long)pages);
    for (int i = 0; i < n; i++) {
        fprintf(out, "%s{\"format\": \"%s\"", i ? ", " : "", fmts[i]->name);
        for (int op = 0; op < OP_N; op++) {
            fprintf(out, ", \"%s\": {\"range\": %.3f, \"single\": %.3f, \"naive\": %.3f}",
                    op_names[op], figs[i].ns[op][HOW_RANGE], figs[i].ns[op][HOW_SINGLE],
                    figs[i].ns[op][HOW_NAIVE]);
        }
        fprintf(out, ", \"tables_left\": %llu}",
                (unsigned long long)figs[i].tables_left[HOW_RANGE]);
    }
    fprintf(out, "]}\n");
    fclose(out);
}

int main(int argc, char **argv) {
    uint64_t pages = 1u << 20;
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json = argv[++i];
        } else {
            pages = strtoull(argv[i], NULL, 0);
        }
    }
    const pt_format_t *const fmts[] = {&pt_format_x86_64, &pt_format_sv48, &pt_format_sv39,
                                       &pt_format_aarch64};
    enum { NFMT = sizeof(fmts) / sizeof(fmts[0]) };
    static figures_t figs[NFMT];
    printf("libpt host benchmark: %llu pages of 4 KiB per operation, ns per page "
           "(CLOCK_MONOTONIC)\n",
           (unsigned long long)pages);
    printf("%-8s %-10s %9s %9s %9s %9s\n", "format", "operation", "range", "single", "naive",
           "naive/rng");
    for (int i = 0; i < NFMT; i++) {
        bench_format(fmts[i], pages, &figs[i]);
        print_format(fmts[i], &figs[i]);
    }
    if (json) {
        write_json(json, fmts, figs, NFMT, pages);
        printf("figures written to %s\n", json);
    }
    for (int i = 0; i < NFMT; i++) {
        sink += figs[i].checksum;
    }
    return 0;
}
