/*
 * The test environment: a fake physical memory arena for table frames, the hooks that wire
 * a pt_space_t to it, the release log, and small shared helpers.
 */
#include "ptt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Garbage a frame holds when handed out (libpt must zero it) and after it is freed. */
#define FRESH_POISON 0xa5
#define FREED_POISON 0x5a

/* A phys_offset that faults at once if libpt uses it while the phys_to_virt hook is set. */
#define BAD_PHYS_OFFSET 0xdead000000000000ull

/* The arena index of pa, asserting pa is a frame of the arena. */
static uint32_t frame_index(pt_paddr_t pa) {
    cr_assert(pa >= PTT_ARENA_PA && pa < PTT_ARENA_PA + (uint64_t)PTT_ARENA_FRAMES * PG &&
                  (pa & (PG - 1)) == 0,
              "%#llx is not a table frame of the arena", (unsigned long long)pa);
    return (uint32_t)((pa - PTT_ARENA_PA) / PG);
}

/* hooks.alloc_table: pops a frame, filled with garbage, unless a failure is armed. */
static bool hook_alloc(void *ctx, pt_paddr_t *pa) {
    ptt_alloc_t *a = &((ptt_env_t *)ctx)->alloc;
    a->attempts++;
    if (a->fail_at && a->attempts == a->fail_at) {
        return false;
    }
    if (a->fail_rate && ptt_below(&a->rng, a->fail_rate) == 0) {
        return false;
    }
    cr_assert(a->nfree > 0, "the test arena ran out of table frames");
    uint32_t i = a->free_list[--a->nfree];
    a->in_use[i] = 1;
    a->allocs++;
    memset(a->mem + (size_t)i * PG, FRESH_POISON, PG);
    a->used[i] = 0xa5a5a5a5u; /* garbage too: libpt must set the count of a new table */
    *pa = PTT_ARENA_PA + (uint64_t)i * PG;
    return true;
}

/* hooks.free_table: takes back a frame that must be handed out, and poisons it. */
static void hook_free(void *ctx, pt_paddr_t pa) {
    ptt_alloc_t *a = &((ptt_env_t *)ctx)->alloc;
    uint32_t i = frame_index(pa);
    cr_assert(a->in_use[i], "free_table(%#llx): frame is not allocated (double free?)",
              (unsigned long long)pa);
    a->in_use[i] = 0;
    a->frees++;
    memset(a->mem + (size_t)i * PG, FREED_POISON, PG);
    a->free_list[a->nfree++] = i;
}

/* hooks.phys_to_virt: the arena's view of a handed-out table frame. */
static void *hook_p2v(void *ctx, pt_paddr_t pa) {
    ptt_env_t *e = ctx;
    e->alloc.p2v_calls++;
    return ptt_table(e, pa);
}

/* hooks.release_frame: appends to the release log. */
static void hook_release(void *ctx, pt_vaddr_t va, pt_paddr_t pa, unsigned shift) {
    ptt_env_t *e = ctx;
    if (e->nrel == e->caprel) {
        e->caprel = e->caprel ? e->caprel * 2 : 1024;
        e->rel = realloc(e->rel, e->caprel * sizeof(*e->rel));
        cr_assert(e->rel != NULL);
    }
    e->rel[e->nrel++] = (ptt_release_t){va, pa, shift};
    cr_assert(shift == 12 || shift == 21 || shift == 30, "release_frame with shift %u", shift);
    e->released_pages += 1ull << (shift - 12);
}

/* hooks.table_used: the arena's count slot of a handed-out table frame. */
static uint32_t *hook_used(void *ctx, pt_paddr_t pa) {
    ptt_alloc_t *a = &((ptt_env_t *)ctx)->alloc;
    uint32_t i = frame_index(pa);
    cr_assert(a->in_use[i], "table_used(%#llx): frame is not allocated", (unsigned long long)pa);
    return &a->used[i];
}

/* hooks.assert_failed: counts (ptt_env_fini fails the test unless a test reset it). */
static void hook_assert(void *ctx, const char *what) {
    ((ptt_env_t *)ctx)->asserts++;
    cr_log_info("libpt assert_failed: %s", what);
}

/* hooks.write_barrier: counts. */
static void hook_barrier(void *ctx) {
    ((ptt_env_t *)ctx)->barriers++;
}

void ptt_fail_at(ptt_alloc_t *a, uint64_t k) {
    a->fail_at = k ? a->attempts + k : 0;
}

void ptt_env_init(ptt_env_t *e, const pt_format_t *fmt, uint32_t flags, bool use_p2v_hook) {
    memset(e, 0, sizeof(*e));
    e->fmt = fmt;
    ptt_alloc_t *a = &e->alloc;
    a->mem = aligned_alloc(PG, (size_t)PTT_ARENA_FRAMES * PG);
    a->free_list = malloc(PTT_ARENA_FRAMES * sizeof(*a->free_list));
    a->in_use = calloc(PTT_ARENA_FRAMES, 1);
    a->used = calloc(PTT_ARENA_FRAMES, sizeof(*a->used));
    a->counts = !use_p2v_hook;
    cr_assert(a->mem && a->free_list && a->in_use && a->used);
    for (uint32_t i = 0; i < PTT_ARENA_FRAMES; i++) {
        a->free_list[a->nfree++] = PTT_ARENA_FRAMES - 1 - i; /* hand out low frames first */
    }
    a->rng = 0x1234;
    pt_hooks_t hooks = {
        .ctx = e,
        .alloc_table = hook_alloc,
        .free_table = hook_free,
        .phys_to_virt = use_p2v_hook ? hook_p2v : NULL,
        .phys_offset = use_p2v_hook ? BAD_PHYS_OFFSET : (uint64_t)(uintptr_t)a->mem - PTT_ARENA_PA,
        .release_frame = hook_release,
        .assert_failed = hook_assert,
        .write_barrier = hook_barrier,
        .table_used = a->counts ? hook_used : NULL,
    };
    cr_assert_eq(pt_space_init(&e->s, fmt, &hooks, flags), PT_OK, "%s: pt_space_init", fmt->name);
    cr_assert_eq(e->s.tables, 1, "%s: fresh space has %llu tables", fmt->name,
                 (unsigned long long)e->s.tables);
    cr_assert_eq(ptt_outstanding(a), 1);
    ptt_stats_t st = ptt_check_invariants(e, 0);
    cr_assert_eq(st.leaves, 0, "%s: fresh root is not empty", fmt->name);
}

/* Walker callback: appends a leaf as a release record. */
static void collect_leaf(void *ctx, const ptt_leaf_t *l) {
    ptt_env_t *e = ctx;
    hook_release(e, l->va, l->pa, l->shift);
}

/* qsort order of release records: by va. */
static int release_cmp(const void *a, const void *b) {
    pt_vaddr_t x = ((const ptt_release_t *)a)->va, y = ((const ptt_release_t *)b)->va;
    return x < y ? -1 : x > y;
}

/* True if the n release records at r are in release_cmp order already (pt_destroy mostly
 * releases in address order: then the sort, most of a fuzz input's teardown, is skipped). */
static bool release_sorted(const ptt_release_t *r, size_t n) {
    for (size_t i = 1; i < n; i++) {
        if (r[i - 1].va > r[i].va) {
            return false;
        }
    }
    return true;
}

uint64_t ptt_env_fini(ptt_env_t *e) {
    ptt_check_invariants(e, 0);
    ptt_clear_released(e);
    ptt_walker_t w = {.ctx = e, .leaf = collect_leaf};
    ptt_walk(e, 0, ~0ull, &w);
    size_t nleaves = e->nrel;
    uint64_t pages = e->released_pages;
    pt_destroy(&e->s);
    cr_assert_eq(e->released_pages, 2 * pages, "%s: pt_destroy released %llu pages, %llu mapped",
                 e->fmt->name, (unsigned long long)(e->released_pages - pages),
                 (unsigned long long)pages);
    cr_assert_eq(e->nrel, 2 * nleaves, "%s: pt_destroy released %zu leaves, %zu mapped",
                 e->fmt->name, e->nrel - nleaves, nleaves);
    /* (with no leaf e->rel may still be NULL: NULL + 0 is undefined) */
    if (nleaves > 0 && !release_sorted(e->rel + nleaves, nleaves)) {
        qsort(e->rel + nleaves, nleaves, sizeof(*e->rel), release_cmp);
    }
    for (size_t i = 0; i < nleaves; i++) {
        ptt_release_t a = e->rel[i], b = e->rel[nleaves + i];
        cr_assert(a.va == b.va && a.pa == b.pa && a.shift == b.shift,
                  "%s: pt_destroy released %#llx->%#llx/%u, the tables held %#llx->%#llx/%u",
                  e->fmt->name, (unsigned long long)b.va, (unsigned long long)b.pa, b.shift,
                  (unsigned long long)a.va, (unsigned long long)a.pa, a.shift);
    }
    cr_assert_eq(ptt_outstanding(&e->alloc), 0, "%s: %llu table frames leaked by pt_destroy",
                 e->fmt->name, (unsigned long long)ptt_outstanding(&e->alloc));
    cr_assert_eq(e->asserts, 0, "%s: libpt reported broken invariants", e->fmt->name);
    free(e->alloc.mem);
    free(e->alloc.free_list);
    free(e->alloc.in_use);
    free(e->alloc.used);
    free(e->rel);
    memset(e, 0, sizeof(*e));
    return pages;
}

void ptt_expect_released(ptt_env_t *e, pt_vaddr_t va, uint64_t npages, const pt_paddr_t *want) {
    uint8_t *seen = calloc(npages, 1);
    uint64_t expected = 0, got = 0;
    cr_assert(seen != NULL);
    for (uint64_t i = 0; i < npages; i++) {
        expected += want[i] != 0;
    }
    for (size_t r = 0; r < e->nrel; r++) {
        const ptt_release_t *rel = &e->rel[r];
        uint64_t size = 1ull << rel->shift;
        cr_assert(((rel->va | rel->pa) & (size - 1)) == 0,
                  "%s: released %#llx->%#llx not aligned to its size %u", e->fmt->name,
                  (unsigned long long)rel->va, (unsigned long long)rel->pa, rel->shift);
        for (uint64_t j = 0; j < size / PG; j++) {
            uint64_t p = (rel->va - va) / PG + j;
            cr_assert(
                rel->va + j * PG - va < npages * PG && want[p] == rel->pa + j * PG && !seen[p],
                "%s: released %#llx->%#llx (leaf %#llx/%u) is not an expected release "
                "(want %#llx, seen %u)",
                e->fmt->name, (unsigned long long)(rel->va + j * PG),
                (unsigned long long)(rel->pa + j * PG), (unsigned long long)rel->va, rel->shift,
                (unsigned long long)(p < npages ? want[p] : 0), p < npages ? seen[p] : 0);
            seen[p] = 1;
            got++;
        }
    }
    free(seen);
    cr_assert_eq(got, expected, "%s: %llu pages released, expected %llu", e->fmt->name,
                 (unsigned long long)got, (unsigned long long)expected);
}

void ptt_clear_released(ptt_env_t *e) {
    e->nrel = 0;
    e->released_pages = 0;
}

uint64_t *ptt_table(ptt_env_t *e, pt_paddr_t pa) {
    uint32_t i = frame_index(pa);
    cr_assert(e->alloc.in_use[i], "table %#llx is reachable but not allocated",
              (unsigned long long)pa);
    return (uint64_t *)(void *)(e->alloc.mem + (size_t)i * PG);
}

void ptt_release_deferred(ptt_env_t *e, pt_result_t *res) {
    uint64_t frees = e->alloc.frees;
    uint64_t count = res->deferred.count;
    pt_release_tables(&e->s, &res->deferred);
    cr_assert_eq(e->alloc.frees - frees, count,
                 "%s: pt_release_tables freed %llu tables, the list held %llu", e->fmt->name,
                 (unsigned long long)(e->alloc.frees - frees), (unsigned long long)count);
    cr_assert_eq(res->deferred.count, 0, "%s: deferred list not emptied", e->fmt->name);
}

bool ptt_is_x86(const pt_format_t *fmt) {
    return fmt == &pt_format_x86_64;
}

bool ptt_is_riscv(const pt_format_t *fmt) {
    return fmt == &pt_format_sv39 || fmt == &pt_format_sv48;
}

uint32_t ptt_all_memtypes(const pt_format_t *fmt) {
    return ptt_is_riscv(fmt) ? PT_FEAT_SVPBMT : 0;
}

pt_result_t ptt_map_ok(ptt_env_t *e, pt_vaddr_t va, uint64_t len, pt_paddr_t pa, pt_attr_t attr,
                       uint32_t flags) {
    pt_result_t res;
    pt_frames_t src = {.list = NULL, .base = pa};
    pt_err_t rc = pt_map(&e->s, va, len, &src, attr, flags, &res);
    cr_assert_eq(rc, PT_OK, "%s: map %#llx+%#llx -> %#llx: %s", e->fmt->name,
                 (unsigned long long)va, (unsigned long long)len, (unsigned long long)pa,
                 pt_strerror(rc));
    cr_assert_eq(res.pages, len / PG, "%s: map of %llu pages reported %llu", e->fmt->name,
                 (unsigned long long)(len / PG), (unsigned long long)res.pages);
    return res;
}

uint64_t ptt_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t ptt_below(uint64_t *state, uint64_t n) {
    return ptt_rand(state) % n;
}

uint64_t ptt_seed(void) {
    const char *s = getenv("PT_SEED");
    return s && *s ? strtoull(s, NULL, 0) : 0x5eed2026ull;
}
