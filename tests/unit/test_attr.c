/*
 * What map and protect grant, checked at the door, for every format: a permission set with a
 * bit outside the PT_* permissions, or a memory type past the last one, is refused with
 * PT_ERR_PERM and changes nothing; it is never trimmed to what the format can express.
 */
#include "ptt.h"

static const pt_attr_t RW = {PT_R | PT_W, PT_MEM_NORMAL};

/* Where the refused calls start: RW pages at MAPPED in a fresh space, and what must stay. */
#define MAPPED       GIB
#define MAPPED_PAGES 4u

typedef struct before {
    ptt_snap_t snap;
    uint64_t attempts; /* the arena's allocation attempts */
} before_t;

/* Sets up e for fmt with flags, maps MAPPED_PAGES RW pages at MAPPED and notes the state. */
static before_t refusals_begin(ptt_env_t *e, const pt_format_t *fmt, uint32_t flags) {
    ptt_env_init(e, fmt, flags, false);
    ptt_map_ok(e, MAPPED, MAPPED_PAGES * PG, PTT_DATA_PA, RW, 0);
    ptt_clear_released(e);
    before_t b = {ptt_snapshot(e), e->alloc.attempts};
    return b;
}

/* Asserts e is as b noted after what: same tables, no table allocated, no frame released. */
static void expect_unchanged(ptt_env_t *e, const before_t *b, const char *what) {
    ptt_expect_snapshot(e, &b->snap, what);
    cr_assert_eq(e->alloc.attempts, b->attempts, "%s: %s allocated tables", e->fmt->name, what);
    cr_assert_eq(e->nrel, 0, "%s: %s released frames", e->fmt->name, what);
}

/* Asserts that a call (which returned rc for what) was refused with PT_ERR_PERM and changed
 * nothing. */
static void expect_refused(ptt_env_t *e, const before_t *b, pt_err_t rc, const char *what,
                           unsigned perm, unsigned memtype) {
    cr_assert_eq(rc, PT_ERR_PERM, "%s: %s with perm %#x memtype %u: %s, want %s", e->fmt->name,
                 what, perm, memtype, pt_strerror(rc), pt_strerror(PT_ERR_PERM));
    expect_unchanged(e, b, what);
}

PTT_FOR_ALL_FORMATS(attr, unknown_perm_bits_refused) {
    ptt_env_t e;
    uint32_t flags = ptt_all_memtypes(fmt);
    before_t before = refusals_begin(&e, fmt, flags);
    pt_vaddr_t a = MAPPED, b = 2 * GIB;
    unsigned calls = 0;
    /* Every perm value with at least one bit outside PT_PERM_ALL, over a base the format can
     * express (R, R|W, R|X, R|U|G, ...), so only the unknown bits can be the reason. */
    for (unsigned perm = PT_PERM_ALL + 1; perm <= 0xff; perm++) {
        pt_attr_t base = {(uint8_t)(perm & PT_PERM_ALL), PT_MEM_NORMAL};
        if (!ref_expressible(fmt, base, 0, flags) || (base.perm & PT_U)) {
            continue;
        }
        for (unsigned mt = 0; mt < PT_MEM_COUNT_; mt++) {
            pt_attr_t attr = {(uint8_t)perm, (uint8_t)mt};
            pt_frames_t src = {.list = NULL, .base = PTT_DATA_PA};
            pt_result_t res;
            pt_err_t rc = pt_map(&e.s, b, 2 * PG, &src, attr, 0, &res);
            expect_refused(&e, &before, rc, "map", perm, mt);
            rc = pt_map(&e.s, a, MAPPED_PAGES * PG, &src, attr, PT_MAP_OVERWRITE, &res);
            expect_refused(&e, &before, rc, "map with overwrite", perm, mt);
            calls += 2;
        }
        pt_result_t res;
        pt_err_t rc =
            pt_protect(&e.s, a, MAPPED_PAGES * PG, (pt_attr_t){(uint8_t)perm, 0}, 0, &res);
        expect_refused(&e, &before, rc, "protect", perm, 0);
        calls++;
    }
    cr_assert(calls > 0);
    for (pt_vaddr_t va = a; va < a + MAPPED_PAGES * PG; va += PG) {
        ptt_expect_page(&e, va, PTT_DATA_PA + (va - a), RW, 12);
    }
    ptt_snap_free(&before.snap);
    ptt_env_fini(&e);
    cr_log_info("%s: %u map / overwrite / protect calls with permission bits outside "
                "PT_PERM_ALL (%#x) refused with PT_ERR_PERM, tables unchanged, no allocation",
                fmt->name, calls, (unsigned)(0xffu & ~(unsigned)PT_PERM_ALL));
}

/* ---- check first, encode after ------------------------------------------------------------ */

/* The format the spy stands in for, and what it saw: encode_leaf calls whose attr the
 * format's own check_attr refuses at that level (pt.h: "attr has passed check_attr"). */
static const pt_format_t *spy_real;
static unsigned spy_unchecked, spy_unknown_memtype;
static pt_attr_t spy_first;
static unsigned spy_first_level;

/* encode_leaf of the spied format: notes an unchecked attr, then encodes as the real format
 * does (so a sanitizer build also sees what the real encoder does with it). */
static uint64_t spy_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags) {
    if (spy_real->check_attr(attr, level, flags) != PT_OK) {
        spy_unknown_memtype += attr.memtype >= PT_MEM_COUNT_;
        if (spy_unchecked++ == 0) {
            spy_first = attr;
            spy_first_level = level;
        }
    }
    return spy_real->encode_leaf(pa, attr, level, flags);
}

/* Maps len at va from pa with attr and flags, expecting want. */
static void map_expect(ptt_env_t *e, pt_vaddr_t va, uint64_t len, pt_paddr_t pa, pt_attr_t attr,
                       uint32_t flags, pt_err_t want) {
    pt_frames_t src = {.list = NULL, .base = pa};
    pt_result_t res;
    pt_err_t rc = pt_map(&e->s, va, len, &src, attr, flags, &res);
    cr_assert_eq(rc, want, "%s: map %#llx+%#llx perm %#x memtype %u: %s, want %s", e->fmt->name,
                 (unsigned long long)va, (unsigned long long)len, attr.perm, attr.memtype,
                 pt_strerror(rc), pt_strerror(want));
}

/* Unknown memory types (a door scenario) and a run of good operations that encode at every
 * level (a map, a huge map, a split by protect) in a space without 1 GiB leaves, through a
 * format whose encode_leaf tells when it gets an attr its check_attr has not passed. */
PTT_FOR_ALL_FORMATS(attr, checked_before_encoded) {
    pt_format_t spy = *fmt;
    spy.encode_leaf = spy_encode_leaf;
    spy_real = fmt;
    spy_unchecked = spy_unknown_memtype = 0;
    uint32_t flags = ptt_all_memtypes(fmt) | PT_FEAT_NO_GIGA;
    ptt_env_t e;
    before_t before = refusals_begin(&e, &spy, flags);
    pt_vaddr_t a = MAPPED, h = 2 * GIB;
    unsigned bad = 0;
    for (unsigned mt = PT_MEM_COUNT_; mt <= 0xff; mt++, bad += 2) {
        pt_attr_t attr = {PT_R | PT_W, (uint8_t)mt};
        map_expect(&e, a + 8 * PG, PG, PTT_DATA_PA, attr, 0, PT_ERR_PERM);
        map_expect(&e, a, 2 * MIB, 0, attr, PT_MAP_OVERWRITE | PT_MAP_HUGE, PT_ERR_PERM);
        expect_unchanged(&e, &before, "map with an unknown memory type");
    }
    ptt_snap_free(&before.snap);
    pt_attr_t rwx = {PT_R | PT_X, PT_MEM_NORMAL};
    map_expect(&e, h, 2 * MIB, 4 * MIB, rwx, PT_MAP_HUGE, PT_OK);
    pt_result_t res;
    cr_assert_eq(pt_protect(&e.s, h + 8 * PG, PG, RW, 0, &res), PT_OK, "%s: split", fmt->name);
    ptt_expect_page(&e, h + 8 * PG, 4 * MIB + 8 * PG, RW, 12);
    ptt_expect_page(&e, h + 9 * PG, 4 * MIB + 9 * PG, rwx, 12);
    cr_assert_eq(spy_unchecked, 0,
                 "%s: encode_leaf called %u times with an attr check_attr refuses (%u with an "
                 "unknown memory type); first: perm %#x memtype %u at level %u",
                 fmt->name, spy_unchecked, spy_unknown_memtype, spy_first.perm, spy_first.memtype,
                 spy_first_level);
    ptt_env_fini(&e);
    cr_log_info("%s: %u maps with memory types %u..255 refused with PT_ERR_PERM, unchanged; "
                "with those and a map, a huge map and a split (no 1 GiB leaves), encode_leaf "
                "only ever got attributes its check_attr had passed",
                fmt->name, bad, (unsigned)PT_MEM_COUNT_);
}
