/*
 * The frame pool alone (mmserver/src/pool.c, through its internal interface): the buddy
 * allocator and its single-frame cache over several RAM ranges with holes, against a
 * reference model that knows which frame of the window is in use. Every test prints what it
 * checked.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PGSZ    4096ull
#define WIN_PA  0x100000000ull /* 4 GiB: 1 GiB-aligned, like the kernel's window */
#define WINDOW  8192u          /* frames of host memory behind the window (32 MiB) */
#define MAXHELD (WINDOW + 16)

/* The pool under test and its model: which frames of the window are held, by whom. */
typedef struct env {
    mm_pool_t pool;
    uint8_t *ram;            /* the window's bytes */
    uint8_t held[WINDOW];    /* the model: 1 while a test holds the frame */
    mmboot_range_t range[8]; /* the ranges the pool was given */
    uint32_t nranges;
    uint64_t start_available; /* right after init */
    uint64_t start_blocks[MM_POOL_ORDERS];
} env_t;

/* Window frame number of pa. */
static uint64_t wf(pt_paddr_t pa) {
    return (pa - WIN_PA) / PGSZ;
}

/* True if window frame f lies in one of e's ranges. */
static bool in_ranges(const env_t *e, uint64_t f) {
    pt_paddr_t pa = WIN_PA + f * PGSZ;
    for (uint32_t i = 0; i < e->nranges; i++) {
        if (pa >= e->range[i].pa && pa < e->range[i].pa + e->range[i].frames * PGSZ) {
            return true;
        }
    }
    return false;
}

/* Sets e's pool up over the n ranges r (window frame number, frames). */
static void env_init(env_t *e, const uint64_t (*r)[2], uint32_t n) {
    memset(e, 0, sizeof(*e));
    e->ram = aligned_alloc(PGSZ, WINDOW * PGSZ);
    cr_assert(e->ram);
    memset(e->ram, 0xa5, WINDOW * PGSZ);
    for (uint32_t i = 0; i < n; i++) {
        e->range[i] = (mmboot_range_t){WIN_PA + r[i][0] * PGSZ, r[i][1]};
    }
    e->nranges = n;
    cr_assert_eq(mm_pool_init(&e->pool, WIN_PA, e->ram, e->range, n), MM_OK);
    e->start_available = mm_pool_available(&e->pool);
    for (unsigned k = 0; k < MM_POOL_ORDERS; k++) {
        e->start_blocks[k] = mm_pool_block_free(&e->pool, k);
    }
}

/* Takes a frame (single when order is 0, else a block) and checks it against the model:
 * inside a range, not metadata, aligned, not held, zeroed; marks it held. false when the
 * pool said no. */
static bool take(env_t *e, unsigned order, pt_paddr_t *out) {
    pt_paddr_t pa;
    bool ok = order ? mm_pool_alloc_block(&e->pool, order, &pa)
                    : mm_pool_alloc(&e->pool, MM_FROM_FREE, true, &pa);
    if (!ok) {
        return false;
    }
    uint64_t n = 1ull << order;
    cr_assert_eq(pa & (n * PGSZ - 1), 0, "a block of order %u at %#llx is aligned", order,
                 (unsigned long long)pa);
    for (uint64_t k = 0; k < n; k++) {
        uint64_t f = wf(pa) + k;
        cr_assert(f < WINDOW && in_ranges(e, f), "frame %#llx inside a range",
                  (unsigned long long)(pa + k * PGSZ));
        cr_assert(mm_pool_has(&e->pool, pa + k * PGSZ), "a pool frame, not metadata");
        cr_assert_not(e->held[f], "frame %#llx handed out twice",
                      (unsigned long long)(pa + k * PGSZ));
        cr_assert_eq(mm_pool_refs(&e->pool, pa + k * PGSZ), 1);
        const uint8_t *b = e->ram + f * PGSZ;
        cr_assert(b[0] == 0 && b[PGSZ - 1] == 0 && b[PGSZ / 2] == 0, "zeroed");
        memset(e->ram + f * PGSZ, 0x5a, 64); /* dirty it: the next owner must see zeroes */
        e->held[f] = 1;
    }
    *out = pa;
    return true;
}

/* Gives back the n frames from pa (held), one by one, and updates the model. */
static void give(env_t *e, pt_paddr_t pa, uint64_t n) {
    for (uint64_t k = 0; k < n; k++) {
        cr_assert(e->held[wf(pa) + k]);
        e->held[wf(pa) + k] = 0;
        mm_pool_free_now(&e->pool, pa + k * PGSZ);
    }
}

/* Frames the model holds. */
static uint64_t held_count(const env_t *e) {
    uint64_t n = 0;
    for (unsigned f = 0; f < WINDOW; f++) {
        n += e->held[f];
    }
    return n;
}

/* Checks the counts against the model, and once nothing is held, that every frame is back
 * and the buddy lists have merged back to their first shape. */
static void check_counts(env_t *e) {
    cr_assert_eq(e->pool.free, e->start_available - held_count(e), "free = start - held");
    if (held_count(e) == 0) {
        mm_pool_flush_cache(&e->pool);
        for (unsigned k = 0; k < MM_POOL_ORDERS; k++) {
            cr_assert_eq(mm_pool_block_free(&e->pool, k), e->start_blocks[k],
                         "order %u: blocks merged back (%llu, was %llu)", k,
                         (unsigned long long)mm_pool_block_free(&e->pool, k),
                         (unsigned long long)e->start_blocks[k]);
        }
        cr_assert_eq(mm_pool_available(&e->pool), e->start_available);
    }
}

static void env_fini(env_t *e) {
    free(e->ram);
}

/* Three ranges with holes between them, one not aligned to anything larger than a page. */
static const uint64_t three[][2] = {{3, 1021}, {1536, 2560}, {4099, 3000}};

Test(pool, metadata_lives_in_the_ranges_and_holes_are_not_the_pool) {
    static env_t env;
    env_t *e = &env;
    static const uint64_t tiny_first[][2] = {{0, 2}, {16, 4000}, {6000, 2000}};
    env_init(e, tiny_first, 3);
    uint64_t frames = 2 + 4000 + 2000;
    uint64_t meta = (3 * sizeof(mm_pool_range_t) + frames * sizeof(mm_frame_t) + PGSZ - 1) / PGSZ;
    cr_assert_eq(e->pool.frames, frames);
    cr_assert_eq(e->pool.meta, meta, "metadata: the range table and one record per frame");
    cr_assert_eq(e->pool.free, frames - meta);
    cr_assert_eq((uint8_t *)e->pool.range, e->ram + 16 * PGSZ,
                 "the first range is too small: the metadata goes to the second");
    cr_assert_not(mm_pool_has(&e->pool, WIN_PA + 16 * PGSZ), "a metadata frame is not the pool's");
    cr_assert(mm_pool_has(&e->pool, WIN_PA + (16 + meta) * PGSZ));
    cr_assert(mm_pool_has(&e->pool, WIN_PA + 1 * PGSZ), "the tiny range is the pool's");
    cr_assert_not(mm_pool_has(&e->pool, WIN_PA + 2 * PGSZ), "a hole");
    cr_assert_not(mm_pool_has(&e->pool, WIN_PA + 5999 * PGSZ), "a hole");
    cr_assert_null(mm_pool_ptr(&e->pool, WIN_PA + 4016 * PGSZ), "just past the second range");
    cr_assert_eq(mm_pool_ptr(&e->pool, WIN_PA + 7999 * PGSZ), e->ram + 7999 * PGSZ);
    cr_assert(mm_pool_overlaps(&e->pool, WIN_PA + 4015 * PGSZ, PGSZ));
    cr_assert_not(mm_pool_overlaps(&e->pool, WIN_PA + 4016 * PGSZ, 1984 * PGSZ), "the hole");
    printf("pool: 3 ranges, %llu metadata frames in the second (the first holds 2), holes and "
           "metadata not the pool's, window pointers\n",
           (unsigned long long)meta);
    env_fini(e);
}

Test(pool, bad_ranges_are_refused) {
    static env_t env;
    env_t *e = &env;
    e->ram = aligned_alloc(PGSZ, WINDOW * PGSZ);
    struct {
        const char *what;
        pt_paddr_t window;
        mmboot_range_t r[2];
        uint32_t n;
    } bad[] = {
        {"none", WIN_PA, {{WIN_PA, 100}}, 0},
        {"misaligned", WIN_PA, {{WIN_PA + 8, 100}}, 1},
        {"below the window", WIN_PA + PGSZ, {{WIN_PA, 100}}, 1},
        {"empty", WIN_PA, {{WIN_PA, 100}, {WIN_PA + 200 * PGSZ, 0}}, 2},
        {"overlapping", WIN_PA, {{WIN_PA, 100}, {WIN_PA + 99 * PGSZ, 100}}, 2},
        {"out of order", WIN_PA, {{WIN_PA + 200 * PGSZ, 100}, {WIN_PA, 100}}, 2},
        {"too small for its metadata", WIN_PA, {{WIN_PA, 1}}, 1},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(mm_pool_init(&e->pool, bad[i].window, e->ram, bad[i].r, bad[i].n),
                     MM_ERR_INVAL, "%s", bad[i].what);
    }
    printf("pool: %zu bad range lists refused (none, misaligned, below the window, empty, "
           "overlapping, out of order, too small)\n",
           sizeof(bad) / sizeof(bad[0]));
    free(e->ram);
}

Test(pool, random_alloc_free_against_the_model) {
    static env_t env;
    env_t *e = &env;
    env_init(e, three, 3);
    static pt_paddr_t pa[MAXHELD];
    static unsigned order[MAXHELD];
    unsigned n = 0, seed = 12345, blocks = 0, refused = 0;
    for (unsigned step = 0; step < 40000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 16) % 100;
        if (r < 55 && n < MAXHELD) {
            unsigned k = r < 45 ? 0 : r < 50 ? 1 + (seed >> 8) % 4 : 9;
            if (take(e, k, &pa[n])) {
                order[n++] = k;
                blocks += k != 0;
            } else {
                refused++;
                cr_assert(k != 0 || e->pool.free == 0, "a single frame refused only when none");
            }
        } else if (n) {
            unsigned i = (seed >> 4) % n;
            give(e, pa[i], 1ull << order[i]);
            pa[i] = pa[--n];
            order[i] = order[n];
        }
        if (step % 1000 == 0) {
            check_counts(e);
        }
    }
    while (n) {
        n--;
        give(e, pa[n], 1ull << order[n]);
    }
    check_counts(e);
    printf("pool: 40000 random steps over 3 ranges with holes (%u blocks of 2..16 and 512 frames, "
           "%u refusals): never a frame twice, outside a range or unzeroed; counts exact; all "
           "back and merged\n",
           blocks, refused);
    env_fini(e);
}

Test(pool, runs_of_512_frames_are_aligned_and_all_found) {
    static env_t env;
    env_t *e = &env;
    env_init(e, three, 3);
    /* Aligned 2 MiB runs inside the ranges, metadata excluded (it takes the start of the
     * first range, frames 3..): window frames are 2 MiB-aligned at multiples of 512. */
    unsigned want = 0;
    for (uint64_t f = 0; f + 512 <= WINDOW; f += 512) {
        bool all = true;
        for (uint64_t k = f; k < f + 512 && all; k++) {
            all = in_ranges(e, k) && mm_pool_has(&e->pool, WIN_PA + k * PGSZ);
        }
        want += all;
    }
    static pt_paddr_t pa[64];
    unsigned got = 0;
    while (got < 64 && take(e, 9, &pa[got])) {
        got++;
    }
    cr_assert_eq(got, want, "every aligned 2 MiB run of the ranges, and no other (%u, want %u)",
                 got, want);
    uint64_t free_left = e->pool.free;
    cr_assert_gt(free_left, 512, "frames are left, in pieces too small for a run");
    pt_paddr_t one;
    cr_assert(take(e, 0, &one), "a single frame is still there");
    give(e, one, 1);
    for (unsigned i = 0; i < got; i++) {
        give(e, pa[i], 512);
    }
    check_counts(e);
    printf("pool: %u aligned 512-frame runs taken (all the ranges hold), %llu frames left in "
           "smaller pieces; all back and merged\n",
           got, (unsigned long long)free_left);
    env_fini(e);
}

Test(pool, a_fragmented_pool_has_frames_but_no_run) {
    static env_t env;
    env_t *e = &env;
    static const uint64_t one_range[][2] = {{0, 2048}};
    env_init(e, one_range, 1);
    static pt_paddr_t pa[2048];
    unsigned n = 0;
    while (take(e, 0, &pa[n])) {
        n++;
    }
    cr_assert_eq(n, e->start_available, "every frame, one by one");
    cr_assert_eq(e->pool.free, 0);
    for (unsigned i = 0; i < n; i++) {
        if (wf(pa[i]) % 2 == 0) {
            give(e, pa[i], 1);
        }
    }
    pt_paddr_t run;
    cr_assert_not(take(e, 9, &run), "half the frames free, no two adjacent: no run");
    cr_assert_not(take(e, 1, &run), "not even two frames");
    cr_assert_gt(e->pool.free, 900);
    for (unsigned i = 0; i < n; i++) {
        if (wf(pa[i]) % 2 == 1) {
            give(e, pa[i], 1);
        }
    }
    cr_assert(take(e, 9, &run), "the freed neighbours merge back into runs");
    give(e, run, 512);
    check_counts(e);
    printf("pool: %u frames taken one by one; every second freed gives %llu frames and no run; "
           "the rest freed merges back\n",
           n, (unsigned long long)(n / 2));
    env_fini(e);
}

Test(pool, exhaustion_says_no_and_loses_nothing) {
    static env_t env;
    env_t *e = &env;
    env_init(e, three, 3);
    static pt_paddr_t pa[WINDOW];
    unsigned n = 0;
    cr_assert(mm_pool_reserve(&e->pool, 10), "10 frames promised");
    while (take(e, 0, &pa[n])) {
        n++;
    }
    cr_assert_eq(n, e->start_available - 10, "the promised frames stay out of reach");
    cr_assert_eq(e->pool.free, 10);
    pt_paddr_t r;
    cr_assert(mm_pool_alloc(&e->pool, MM_FROM_RESERVE, true, &r), "a promised frame comes");
    cr_assert(!take(e, 9, &pa[n]) && !take(e, 0, &pa[n]), "nothing else");
    mm_pool_free_now(&e->pool, r);
    mm_pool_unreserve(&e->pool, 9);
    cr_assert_eq(mm_pool_available(&e->pool), 10);
    while (n) {
        n--;
        give(e, pa[n], 1);
    }
    check_counts(e);
    printf("pool: %llu frames until exhaustion with 10 promised, a reserved frame still served, "
           "every frame back, counts and lists restored\n",
           (unsigned long long)(e->start_available - 10));
    env_fini(e);
}

Test(pool, pending_frames_wait_for_the_drain) {
    static env_t env;
    env_t *e = &env;
    env_init(e, three, 3);
    static pt_paddr_t pa[300];
    for (unsigned i = 0; i < 300; i++) {
        cr_assert(take(e, 0, &pa[i]));
    }
    mm_pool_get(&e->pool, pa[7]);
    for (unsigned i = 0; i < 300; i++) {
        mm_pool_put(&e->pool, pa[i]);
        e->held[wf(pa[i])] = i == 7;
    }
    cr_assert_eq(e->pool.pending, 299);
    cr_assert_eq(e->pool.free, e->start_available - 300, "nothing free before the flush");
    cr_assert_eq(mm_pool_drain(&e->pool), 299);
    cr_assert_eq(mm_pool_refs(&e->pool, pa[7]), 1, "the shared frame keeps its last user");
    mm_pool_put(&e->pool, pa[7]);
    mm_pool_drain(&e->pool);
    e->held[wf(pa[7])] = 0;
    check_counts(e);
    printf("pool: 300 frames released (one shared), pending until the drain, then all back\n");
    env_fini(e);
}
