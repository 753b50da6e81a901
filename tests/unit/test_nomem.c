/*
 * Allocation failure injection: operations that need several tables run with the arena
 * failing the k-th table allocation, for k = 1, 2, ... until the operation succeeds. Every
 * failing run must return PT_ERR_NOMEM and leave the tables byte-identical (reference
 * walker snapshot), the outstanding frame count unchanged and no frame released.
 */
#include "ptt.h"

static const pt_attr_t RW = {PT_R | PT_W, PT_MEM_NORMAL};
static const pt_attr_t RX = {PT_R | PT_X, PT_MEM_NORMAL};

/* One operation under test: setup builds the starting tables, op runs the operation. */
typedef struct nomem_case {
    const char *name;
    void (*setup)(ptt_env_t *e);
    pt_err_t (*op)(ptt_env_t *e, pt_result_t *res);
} nomem_case_t;

/* Maps len at va contiguously from pa with flags (setup helper). */
static void setup_map(ptt_env_t *e, pt_vaddr_t va, uint64_t len, pt_paddr_t pa, uint32_t flags) {
    ptt_map_ok(e, va, len, pa, RW, flags);
}

/* Setup: nothing. */
static void setup_empty(ptt_env_t *e) {
    (void)e;
}

/* Setup: a 1 GiB leaf at 1 GiB and two 2 MiB leaves at 2 GiB. */
static void setup_huge(ptt_env_t *e) {
    setup_map(e, GIB, GIB, 4 * GIB, PT_MAP_HUGE);
    setup_map(e, 2 * GIB, 4 * MIB, 6 * GIB, PT_MAP_HUGE);
}

/* Setup: small pages over the 1 GiB boundary and a 1 GiB leaf at 2 GiB. */
static void setup_mixed(ptt_env_t *e) {
    setup_map(e, GIB - 2 * MIB, 4 * MIB, PTT_DATA_PA, 0);
    setup_map(e, 2 * GIB, GIB, 4 * GIB, PT_MAP_HUGE);
}

/* A fresh small-page map over a 1 GiB boundary and ten 2 MiB boundaries. */
static pt_err_t op_fresh_small(ptt_env_t *e, pt_result_t *res) {
    pt_frames_t src = {.base = PTT_DATA_PA};
    return pt_map(&e->s, 2 * GIB - 9 * MIB - 3 * PG, 18 * MIB + 10 * PG, &src, RW, 0, res);
}

/* A fresh huge map over two 1 GiB boundaries: small, 2 MiB and 1 GiB leaves. */
static pt_err_t op_fresh_huge(ptt_env_t *e, pt_result_t *res) {
    pt_vaddr_t va = GIB - 4 * MIB - 3 * PG;
    pt_frames_t src = {.base = 8 * GIB + (va & (GIB - 1))};
    return pt_map(&e->s, va, GIB + 8 * MIB + 8 * PG, &src, RW, PT_MAP_HUGE, res);
}

/* A protect that splits a 1 GiB leaf (twice) and a 2 MiB leaf. */
static pt_err_t op_protect_split(ptt_env_t *e, pt_result_t *res) {
    return pt_protect(&e->s, GIB + 3 * MIB + 5 * PG, GIB - MIB + 3 * PG, RX, 0, res);
}

/* A partial unmap of a 1 GiB leaf across a 2 MiB boundary: three splits. */
static pt_err_t op_unmap_split(ptt_env_t *e, pt_result_t *res) {
    return pt_unmap(&e->s, GIB + 7 * MIB + PG, 2 * MIB, 0, res);
}

/* An overwrite over small pages, fresh space and part of a 1 GiB leaf, with huge leaves. */
static pt_err_t op_overwrite(ptt_env_t *e, pt_result_t *res) {
    pt_vaddr_t va = GIB + MIB;
    pt_frames_t src = {.base = 8 * GIB + 2 * MIB + MIB};
    return pt_map(&e->s, va, GIB + 2 * MIB + PG, &src, RX, PT_MAP_OVERWRITE | PT_MAP_HUGE, res);
}

static const nomem_case_t cases[] = {
    {"fresh small map over 1G/2M boundaries", setup_empty, op_fresh_small},
    {"fresh huge map over two 1G boundaries", setup_empty, op_fresh_huge},
    {"protect splitting 1G and 2M leaves", setup_huge, op_protect_split},
    {"partial unmap of a 1G leaf", setup_huge, op_unmap_split},
    {"huge overwrite over small pages and part of a 1G leaf", setup_mixed, op_overwrite},
};

/* Runs c with the k-th allocation failing for k = 1, 2, ... on one space; returns the k at
 * which it succeeded. */
static uint64_t run_case(const pt_format_t *fmt, const nomem_case_t *c) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    c->setup(&e);
    ptt_snap_t snap = ptt_snapshot(&e);
    uint64_t out = ptt_outstanding(&e.alloc);
    for (uint64_t k = 1;; k++) {
        pt_result_t res;
        ptt_clear_released(&e);
        ptt_fail_at(&e.alloc, k);
        uint64_t attempts = e.alloc.attempts;
        pt_err_t rc = c->op(&e, &res);
        ptt_fail_at(&e.alloc, 0);
        if (rc == PT_ERR_NOMEM) {
            ptt_expect_snapshot(&e, &snap, c->name);
            cr_assert_eq(ptt_outstanding(&e.alloc), out, "%s: %s, k=%llu: %llu frames leaked",
                         fmt->name, c->name, (unsigned long long)k,
                         (unsigned long long)(ptt_outstanding(&e.alloc) - out));
            cr_assert_eq(e.nrel, 0, "%s: %s, k=%llu: frames released by a failed call", fmt->name,
                         c->name, (unsigned long long)k);
            continue;
        }
        cr_assert_eq(rc, PT_OK, "%s: %s, k=%llu: %s", fmt->name, c->name, (unsigned long long)k,
                     pt_strerror(rc));
        cr_assert(res.tables_added == k - 1 && e.alloc.attempts - attempts == k - 1,
                  "%s: %s: succeeded at k=%llu with %llu tables added, %llu allocations", fmt->name,
                  c->name, (unsigned long long)k, (unsigned long long)res.tables_added,
                  (unsigned long long)(e.alloc.attempts - attempts));
        cr_assert(k > 2, "%s: %s needs only %llu tables: not a test of many", fmt->name, c->name,
                  (unsigned long long)(k - 1));
        ptt_check_invariants(&e, res.deferred.count);
        ptt_release_deferred(&e, &res);
        ptt_snap_free(&snap);
        ptt_env_fini(&e);
        return k;
    }
}

PTT_FOR_ALL_FORMATS(nomem, kth_table_allocation_fails) {
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t k = run_case(fmt, &cases[i]);
        cr_log_info("%s: %s: k=1..%llu failed with PT_ERR_NOMEM, tables byte-identical, no "
                    "leak, no release; k=%llu succeeded",
                    fmt->name, cases[i].name, (unsigned long long)(k - 1), (unsigned long long)k);
    }
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_space_t s;
    ptt_fail_at(&e.alloc, 1);
    cr_assert_eq(pt_space_init(&s, fmt, &e.s.hooks, 0), PT_ERR_NOMEM);
    ptt_env_fini(&e);
}
