/*
 * The door's refusals (every one, on every request kind that takes a range) and the quota:
 * each refused request must change nothing.
 */
#include "mmt.h"

#define RW (MM_PERM_R | MM_PERM_W)

/* Sends label with the range (va, len) in words 0 and 1 and rest in 2..3, expecting want,
 * and asserts nothing changed. */
static void refuse(mmt_env_t *e, uint64_t label, uint64_t va, uint64_t len, uint64_t w2,
                   uint64_t w3, mm_err_t want, const char *what) {
    mmt_snap_t s = mmt_snapshot(e);
    mmt_expect(mmt_req(e, 1, label, va, len, w2, w3, 0, 0), want, what);
    mmt_expect_snapshot(e, &s, what);
    mmt_snap_free(&s);
}

MMT_FOR_ALL_FORMATS(errors, door) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 4 * PG, RW, 0), MM_OK, "map");
    uint64_t top = e->srv->user_top;
    static const uint64_t labels[] = {MM_MAP, MM_UNMAP, MM_PROTECT, MM_DECOMMIT};
    for (unsigned i = 0; i < 4; i++) {
        uint64_t l = labels[i], perm = MM_PERM_R;
        refuse(e, l, MMT_VA, 0, perm, 0, MM_ERR_INVAL, "zero length");
        refuse(e, l, MMT_VA + 1, PG, perm, 0, MM_ERR_ALIGN, "unaligned va");
        refuse(e, l, MMT_VA, PG + 12, perm, 0, MM_ERR_ALIGN, "unaligned length");
        refuse(e, l, ~0ull << 12, 2 * PG, perm, 0, MM_ERR_OVERFLOW, "wrapping");
        refuse(e, l, 0, PG, perm, 0, MM_ERR_RANGE, "null page");
        refuse(e, l, MM_USER_BASE - PG, 2 * PG, perm, 0, MM_ERR_RANGE, "into the null area");
        refuse(e, l, top - PG, 2 * PG, perm, 0, MM_ERR_RANGE, "past the user top");
        refuse(e, l, top, PG, perm, 0, MM_ERR_RANGE, "the guard page under the hole");
        refuse(e, l, ~0ull << (fmt->va_bits - 1), PG, perm, 0, MM_ERR_RANGE, "kernel half");
        refuse(e, l, 1ull << 60, PG, perm, 0, MM_ERR_RANGE, "non-canonical");
    }
    refuse(e, MM_MAP, 0x20000000, PG, RW | MM_PERM_X, 0, MM_ERR_WX, "W+X map");
    refuse(e, MM_MAP, 0x20000000, PG, 0x8, 0, MM_ERR_INVAL, "unknown perm bit");
    refuse(e, MM_MAP, 0x20000000, PG, RW, 0x100, MM_ERR_INVAL, "unknown flag");
    refuse(e, MM_MAP, 0x20000000, PG, RW, MM_F_LAZY | MM_F_HUGE, MM_ERR_INVAL, "lazy + huge");
    refuse(e, MM_MAP, 0x20000000, PG, 0, 0, MM_ERR_PERM, "no permission at all");
    refuse(e, MM_MAP, 0x20000000, PG, MM_PERM_W, 0, MM_ERR_PERM, "write-only");
    mm_err_t xonly = fmt == &pt_format_sv48 || fmt == &pt_format_sv39 ? MM_OK : MM_ERR_PERM;
    mmt_expect(mmt_map(e, 1, 0x20000000, PG, MM_PERM_X, 0), xonly, "execute-only");
    refuse(e, 0, 0, 0, 0, 0, MM_ERR_INVAL, "label 0");
    refuse(e, MM_LABEL_COUNT_, 0, 0, 0, 0, MM_ERR_INVAL, "unknown label");
    refuse(e, MM_SPAWN, 0, 0, 0, 0, MM_ERR_INVAL, "MM_SPAWN: the process side's");
    refuse(e, MM_CHILD, 1, 0, 0, 0, MM_ERR_INVAL, "MM_CHILD: the process side's");
    refuse(e, MM_PROGRAM, 0, 0, 0, 0, MM_ERR_INVAL, "MM_PROGRAM: the process side's");
    refuse(e, MM_PROTECT, MMT_VA, PG, MM_PERM_W | MM_PERM_X, 0, MM_ERR_WX, "W+X protect");
    mmt_expect(mmt_req(e, 9, MM_MAP, MMT_VA, PG, RW, 0, 0, 0), MM_ERR_NO_CLIENT, "no client");
    mmt_said("%s: zero length, misalignment, overflow, null area, user top, kernel half, "
             "W+X, unknown bits and labels refused at the door; nothing changed",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(errors, holes) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 4 * PG, RW, 0), MM_OK, "map");
    mmt_expect(mmt_map(e, 1, MMT_VA + 8 * PG, 4 * PG, RW, 0), MM_OK, "map 2");
    refuse(e, MM_UNMAP, MMT_VA, 12 * PG, 0, 0, MM_ERR_NOT_MAPPED, "unmap across a hole");
    cr_assert_eq(e->reply[MM_R_WHERE], MMT_VA + 4 * PG, "where the hole starts");
    refuse(e, MM_PROTECT, MMT_VA + 2 * PG, 8 * PG, MM_PERM_R, 0, MM_ERR_NOT_MAPPED,
           "protect across a hole");
    refuse(e, MM_DECOMMIT, MMT_VA - PG, 2 * PG, 0, 0, MM_ERR_NOT_MAPPED, "decommit before");
    refuse(e, MM_UNMAP, MMT_VA + 4 * PG, PG, 0, 0, MM_ERR_NOT_MAPPED, "unmap in the hole");
    mmt_said("%s: unmap, protect, decommit of ranges with holes are NOT_MAPPED, change nothing",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(errors, quota) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    /* Learn the exact cost (data + tables) of the scenario with a large quota... */
    mmt_client(e, 1, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, 1, MMT_VA, 32 * PG, RW, 0), MM_OK, "eager");
    mmt_expect(mmt_map(e, 1, 0x40000000, 64 * PG, RW, MM_F_LAZY), MM_OK, "lazy");
    uint64_t cost = mm_charge(&e->srv->client[1]);
    cr_assert_eq(cost, 32 + 64 + e->srv->client[1].tables_max + e->srv->client[1].rframes,
                 "lazy charged in full at map time (with tables and the regions' node frame)");
    cr_assert(e->srv->client[1].tables < e->srv->client[1].tables_max,
              "the lazy range's tables are charged before they exist");
    /* ... then run it with exactly that quota. */
    mmt_client(e, 2, cost, false);
    mmt_client(e, 3, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, 2, MMT_VA, 32 * PG, RW, 0), MM_OK, "eager at quota");
    mmt_expect(mmt_map(e, 2, 0x40000000, 64 * PG, RW, MM_F_LAZY), MM_OK, "lazy at quota");
    cr_assert_eq(mm_charge(&e->srv->client[2]), cost, "exactly at quota");
    mmt_snap_t s = mmt_snapshot(e);
    mmt_expect(mmt_map(e, 2, 0x40000000 + 64 * PG, PG, RW, MM_F_LAZY), MM_ERR_QUOTA, "one more");
    mmt_expect(mmt_map(e, 2, 0x40000000 + 64 * PG, PG, RW, 0), MM_ERR_QUOTA, "one more eager");
    mmt_expect(mmt_map(e, 2, 0x80000000, PG, RW, 0), MM_ERR_QUOTA, "one more in new tables");
    mmt_expect(mmt_accept(e, 2, 3, 0x90000000, PG, RW), MM_ERR_QUOTA, "a window");
    mmt_expect_snapshot(e, &s, "over quota");
    mmt_snap_free(&s);
    for (unsigned i = 0; i < 64; i++) {
        mm_kill_reason_t why;
        cr_assert_eq(mm_fault(e->srv, 2, 0x40000000 + i * PG, IPC_ACCESS_WRITE, &why),
                     MM_FAULT_RESUME, "a fault inside the charged range always fills");
    }
    cr_assert_eq(mm_charge(&e->srv->client[2]), cost, "the fills (and their tables) were paid");
    cr_assert_eq(e->srv->client[2].tables, e->srv->client[2].tables_max, "all tables now held");
    mmt_expect(mmt_map(e, 3, MMT_VA, 32 * PG, RW, 0), MM_OK, "another client is unaffected");
    mmt_expect(mmt_unmap(e, 2, MMT_VA, 32 * PG), MM_OK, "unmap returns the charge");
    cr_assert_eq(e->srv->client[2].data, 64, "the eager range's charge came back");
    mmt_expect(mmt_map(e, 2, 0x40000000 + 64 * PG, PG, RW, MM_F_LAZY), MM_OK, "room again");
    mmt_said("%s: exactly at quota succeeds, one more page is QUOTA and changes nothing, "
             "faults in charged ranges never fail, other clients unaffected",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(errors, pool_exhausted) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 256);
    mmt_client(e, 1, MMT_QUOTA, false);
    uint64_t avail = mm_pool_available(&e->srv->pool);
    mmt_snap_t s = mmt_snapshot(e);
    /* one new table per level below the root, one node frame for the region */
    uint64_t pages = avail - (fmt->levels - 1) - 1;
    mmt_expect(mmt_map(e, 1, MMT_VA, pages * PG, RW, MM_F_LAZY), MM_OK, "promise everything");
    cr_assert_eq(mm_pool_available(&e->srv->pool), 0);
    mmt_expect(mmt_map(e, 1, 0x40000000, PG, RW, MM_F_LAZY), MM_ERR_NOMEM, "nothing left");
    for (uint64_t i = 0; i < pages; i++) {
        mm_kill_reason_t why;
        cr_assert_eq(mm_fault(e->srv, 1, MMT_VA + i * PG, IPC_ACCESS_WRITE, &why), MM_FAULT_RESUME,
                     "every promised page fills, with its tables");
    }
    cr_assert_eq(e->srv->pool.free, 0, "the pool is exactly used up");
    mmt_expect(mmt_unmap(e, 1, MMT_VA, pages * PG), MM_OK, "give it back");
    mmt_expect_snapshot(e, &s, "after giving back");
    mmt_snap_free(&s);
    mmt_expect(mmt_map(e, 1, MMT_VA, (avail + 1) * PG, RW, 0), MM_ERR_NOMEM, "eager too big");
    mmt_said("%s: lazy maps promise pool frames and tables; every promise is kept to the last "
             "frame; a pool that cannot promise gives NOMEM",
             fmt->name);
    mmt_fini(e);
}
