/*
 * A range longer than the lower half (found by make mutate, mutant pt-canonical-last): from a
 * canonical lower-half address, a length of 2^va_bits ends at an address whose bit
 * va_bits - 1 is still clear but whose bits above it are not, so the range stays "in the
 * lower half" by that bit alone. libpt must refuse it with PT_ERR_RANGE (its last byte is
 * not canonical) for map, unmap and protect, and change nothing.
 */
#include "ptt.h"

static const pt_attr_t RW = {PT_R | PT_W, PT_MEM_NORMAL};
static const pt_attr_t RO = {PT_R, PT_MEM_NORMAL};

#define START GIB /* canonical, lower half, mapped: a walk that wrongly starts stops here */

/* Asserts a refused call returned PT_ERR_RANGE and left e as snap and attempts noted. */
static void expect_range(ptt_env_t *e, const ptt_snap_t *snap, uint64_t attempts, pt_err_t rc,
                         const char *what) {
    cr_assert_eq(rc, PT_ERR_RANGE, "%s: %s of %#llx + 2^%u: %s, want %s", e->fmt->name, what,
                 (unsigned long long)START, e->fmt->va_bits, pt_strerror(rc),
                 pt_strerror(PT_ERR_RANGE));
    ptt_expect_snapshot(e, snap, what);
    cr_assert_eq(e->alloc.attempts, attempts, "%s: %s allocated tables", e->fmt->name, what);
    cr_assert_eq(e->nrel, 0, "%s: %s released frames", e->fmt->name, what);
}

PTT_FOR_ALL_FORMATS(span, longer_than_the_half_is_out_of_range) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    ptt_map_ok(&e, START, 4 * PG, PTT_DATA_PA, RW, 0);
    ptt_clear_released(&e);
    ptt_snap_t snap = ptt_snapshot(&e);
    uint64_t attempts = e.alloc.attempts;

    uint64_t len = 1ull << fmt->va_bits;
    pt_vaddr_t last = START + len - 1;
    /* The premise: last has the lower half's sign bit, and is not canonical. */
    cr_assert_eq((last >> (fmt->va_bits - 1)) & 1, 0, "%s: last byte's sign bit", fmt->name);
    cr_assert_neq(last >> fmt->va_bits, 0, "%s: last byte above va_bits", fmt->name);

    pt_frames_t src = {.list = NULL, .base = PTT_DATA_PA};
    pt_result_t res;
    expect_range(&e, &snap, attempts, pt_map(&e.s, START, len, &src, RW, 0, &res), "map");
    expect_range(&e, &snap, attempts, pt_map(&e.s, START, len, &src, RW, PT_MAP_OVERWRITE, &res),
                 "map overwrite");
    expect_range(&e, &snap, attempts, pt_unmap(&e.s, START, len, 0, &res), "unmap");
    expect_range(&e, &snap, attempts, pt_unmap(&e.s, START, len, PT_SKIP_HOLES, &res),
                 "unmap skipping holes");
    expect_range(&e, &snap, attempts, pt_protect(&e.s, START, len, RO, PT_SKIP_HOLES, &res),
                 "protect");
    ptt_expect_page(&e, START, PTT_DATA_PA, RW, 12);
    ptt_snap_free(&snap);
    ptt_env_fini(&e);
    cr_log_info("%s: map, overwrite, unmap (with and without holes) and protect of %#llx + 2^%u "
                "(last byte %#llx, not canonical) refused with PT_ERR_RANGE, tables unchanged",
                fmt->name, (unsigned long long)START, fmt->va_bits, (unsigned long long)last);
}
