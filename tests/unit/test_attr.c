/*
 * What map and protect grant, checked at the door, for every format: a permission set with a
 * bit outside the PT_* permissions, or a memory type past the last one, is refused with
 * PT_ERR_PERM and changes nothing; it is never trimmed to what the format can express.
 */
#include "ptt.h"

static const pt_attr_t RW = {PT_R | PT_W, PT_MEM_NORMAL};

/* Asserts that the last call (which returned rc for what) was refused with PT_ERR_PERM and
 * left e as snap says, with no table allocated and no frame released. */
static void expect_refused(ptt_env_t *e, const ptt_snap_t *snap, uint64_t attempts, pt_err_t rc,
                           const char *what, unsigned perm, unsigned memtype) {
    cr_assert_eq(rc, PT_ERR_PERM, "%s: %s with perm %#x memtype %u: %s, want %s", e->fmt->name,
                 what, perm, memtype, pt_strerror(rc), pt_strerror(PT_ERR_PERM));
    ptt_expect_snapshot(e, snap, what);
    cr_assert_eq(e->alloc.attempts, attempts, "%s: %s allocated tables", e->fmt->name, what);
    cr_assert_eq(e->nrel, 0, "%s: %s released frames", e->fmt->name, what);
}

PTT_FOR_ALL_FORMATS(attr, unknown_perm_bits_refused) {
    ptt_env_t e;
    uint32_t flags = ptt_all_memtypes(fmt);
    ptt_env_init(&e, fmt, flags, false);
    pt_vaddr_t a = GIB, b = 2 * GIB;
    ptt_map_ok(&e, a, 4 * PG, PTT_DATA_PA, RW, 0);
    ptt_snap_t snap = ptt_snapshot(&e);
    uint64_t attempts = e.alloc.attempts;
    ptt_clear_released(&e);
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
            expect_refused(&e, &snap, attempts, rc, "map", perm, mt);
            rc = pt_map(&e.s, a, 4 * PG, &src, attr, PT_MAP_OVERWRITE, &res);
            expect_refused(&e, &snap, attempts, rc, "map with overwrite", perm, mt);
            calls += 2;
        }
        pt_result_t res;
        pt_err_t rc = pt_protect(&e.s, a, 4 * PG, (pt_attr_t){(uint8_t)perm, 0}, 0, &res);
        expect_refused(&e, &snap, attempts, rc, "protect", perm, 0);
        calls++;
    }
    cr_assert(calls > 0);
    for (pt_vaddr_t va = a; va < a + 4 * PG; va += PG) {
        ptt_expect_page(&e, va, PTT_DATA_PA + (va - a), RW, 12);
    }
    ptt_snap_free(&snap);
    ptt_env_fini(&e);
    cr_log_info("%s: %u map / overwrite / protect calls with permission bits outside "
                "PT_PERM_ALL (%#x) refused with PT_ERR_PERM, tables unchanged, no allocation",
                fmt->name, calls, (unsigned)(0xffu & ~(unsigned)PT_PERM_ALL));
}
