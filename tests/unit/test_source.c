/*
 * Frames from a callback (pt_frames_t.next): one all-or-nothing call maps any number of
 * frames, huge leaves go on every aligned contiguous run (made of several runs the source
 * gave when they are adjacent), a refusal anywhere changes nothing, and a table allocation
 * failure with such a source changes nothing either. The random model (test_model.c) mixes
 * these sources in too; these are the fixed, large cases.
 */
#include "ptt.h"

#include <stdio.h>

static const pt_attr_t RW = {PT_R | PT_W, PT_MEM_NORMAL};

/* A source handing out frames from base in runs of run_pages pages, except that the run
 * holding page hole_page is given in two halves, the second one somewhere else; refuses at
 * call refuse (0: never). Counts its calls. */
typedef struct src {
    pt_paddr_t base, elsewhere;
    uint64_t run_pages, hole_page, refuse, calls;
} src_t;

/* pt_frames_fn over a src_t. */
static bool src_next(void *ctx, uint64_t off, pt_paddr_t *pa, uint64_t *bytes) {
    src_t *s = ctx;
    if (++s->calls == s->refuse) {
        return false;
    }
    uint64_t page = off / PG, start = page - page % s->run_pages, end = start + s->run_pages;
    uint64_t half = start + s->run_pages / 2;
    if (s->hole_page >= start && s->hole_page < end) {
        if (page >= half) {
            *pa = s->elsewhere + (page - half) * PG;
            *bytes = (end - page) * PG;
            return true;
        }
        end = half;
    }
    *pa = s->base + page * PG;
    *bytes = (end - page) * PG;
    return true;
}

PTT_FOR_ALL_FORMATS(source, two_gib_of_runs_in_one_call) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    const uint64_t pages = 2 * GIB / PG;
    pt_vaddr_t va = 4 * GIB;
    /* 2 MiB runs from a 1 GiB-aligned base: the source never says "1 GiB", libpt must see the
     * 512 adjacent runs of each aligned GiB as one; one run is split, its halves apart. */
    src_t s = {.base = 64 * GIB,
               .elsewhere = 200 * GIB + 4 * MIB,
               .run_pages = 512,
               .hole_page = pages / 2 + 700,
               .refuse = 0};
    pt_frames_t from = {.next = src_next, .ctx = &s};
    pt_result_t res;
    pt_err_t rc = pt_map(&e.s, va, pages * PG, &from, RW, PT_MAP_HUGE, &res);
    cr_assert_eq(rc, PT_OK, "%s: %s", fmt->name, pt_strerror(rc));
    cr_assert_eq(res.pages, pages);
    bool giga = fmt->leaf_levels & (1u << 2);
    /* First GiB: one 1 GiB leaf (or 512 x 2 MiB); second: the split 2 MiB in 4 KiB pages. */
    uint64_t want_huge = (giga ? 1 : 512) + 511;
    cr_assert_eq(res.huge_leaves, want_huge, "%s: %llu huge leaves, want %llu", fmt->name,
                 (unsigned long long)res.huge_leaves, (unsigned long long)want_huge);
    cr_assert_eq(res.leaves, want_huge + 512);
    ptt_expect_page(&e, va, s.base, RW, giga ? 30 : 21);
    ptt_expect_page(&e, va + GIB + 2 * MIB + 5 * PG, s.base + GIB + 2 * MIB + 5 * PG, RW, 12);
    ptt_expect_page(&e, va + GIB + 2 * MIB + 300 * PG, s.elsewhere + (300 - 256) * PG, RW, 12);
    ptt_expect_page(&e, va + GIB + 4 * MIB, s.base + GIB + 4 * MIB, RW, 21);
    uint64_t calls = s.calls;
    ptt_env_fini(&e);
    printf("%s: 2 GiB from %llu source calls in one map: %s, the split 2 MiB as 512 pages, "
           "every other 2 MiB one leaf\n",
           fmt->name, (unsigned long long)calls,
           giga ? "the first GiB one 1 GiB leaf from 512 adjacent runs" : "2 MiB leaves");
}

PTT_FOR_ALL_FORMATS(source, a_refusal_or_a_failed_table_changes_nothing) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    const uint64_t pages = 64 * MIB / PG;
    pt_vaddr_t va = 4 * GIB;
    ptt_map_ok(&e, va - 4 * MIB, 2 * MIB, 32 * GIB, RW, 0); /* something there already */
    ptt_snap_t before = ptt_snapshot(&e);
    uint64_t out = ptt_outstanding(&e.alloc);
    src_t s = {.base = 64 * GIB, .elsewhere = 0, .run_pages = 16, .hole_page = ~0ull};
    pt_frames_t from = {.next = src_next, .ctx = &s};
    pt_result_t res;
    uint64_t runs = pages / 16;
    for (uint64_t k = 1; k <= runs; k += runs / 7) {
        s.refuse = k == 1 + 7 * (runs / 7) ? runs : k; /* the last run too */
        s.calls = 0;
        pt_err_t rc = pt_map(&e.s, va, pages * PG, &from, RW, PT_MAP_HUGE, &res);
        cr_assert_eq(rc, PT_ERR_NOMEM, "%s: refusal at call %llu: %s", fmt->name,
                     (unsigned long long)s.refuse, pt_strerror(rc));
        cr_assert_eq(res.fault_va, va + (s.refuse - 1) * 16 * PG, "where the source said no");
        cr_assert_eq(ptt_outstanding(&e.alloc), out, "no table kept");
        ptt_expect_snapshot(&e, &before, "after a refusal");
    }
    s.refuse = 0;
    static const uint64_t fail[] = {1, 2, 33}; /* 4 KiB leaves: a table per 2 MiB, and one */
    for (unsigned i = 0; i < sizeof(fail) / sizeof(fail[0]); i++) {
        ptt_fail_at(&e.alloc, fail[i]);
        pt_err_t rc = pt_map(&e.s, va, pages * PG, &from, RW, 0, &res);
        ptt_fail_at(&e.alloc, 0);
        cr_assert_eq(rc, PT_ERR_NOMEM, "%s: table %llu failing: %s", fmt->name,
                     (unsigned long long)fail[i], pt_strerror(rc));
        ptt_expect_snapshot(&e, &before, "after a failed table");
        cr_assert_eq(ptt_outstanding(&e.alloc), out, "no table kept");
    }
    s.calls = 0;
    cr_assert_eq(pt_map(&e.s, va, pages * PG, &from, RW, PT_MAP_HUGE, &res), PT_OK);
    cr_assert_eq(res.huge_leaves, 32, "16-page runs, adjacent: 2 MiB leaves all the same");
    ptt_snap_free(&before);
    ptt_env_fini(&e);
    printf("%s: 64 MiB from 16-page runs: a refusal at 8 calls (first to last) and a failed "
           "table (1st, 2nd, 33rd) each left the tables as they were; then 32 x 2 MiB leaves\n",
           fmt->name);
}
