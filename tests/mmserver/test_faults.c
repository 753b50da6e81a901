/*
 * Page faults: lazy fills with zeroed frames, spurious faults, and the faults that kill
 * (outside regions, against permissions, outside the user window), which tear the client
 * down completely.
 */
#include "mmt.h"

#define RW (MM_PERM_R | MM_PERM_W)

MMT_FOR_ALL_FORMATS(faults, lazy_fill) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 64 * PG, RW, MM_F_LAZY), MM_OK, "lazy");
    cr_assert_eq(e->reply[MM_R_MAP_PAGES], 0);
    cr_assert_eq(e->reply[MM_R_MAP_RESERVED], 64);
    cr_assert_eq(mmt_frame(e, 1, MMT_VA + 5 * PG), 0);
    uint64_t reserved = e->srv->pool.reserved, flushes = e->k.flushes;
    uint64_t tables = e->srv->client[1].tables;
    mm_kill_reason_t why = MM_KILL_RANGE;
    cr_assert_eq(mm_fault(e->srv, 1, MMT_VA + 5 * PG + 123, IPC_ACCESS_WRITE, &why),
                 MM_FAULT_RESUME);
    cr_assert_eq(why, MM_KILL_NONE);
    pt_paddr_t pa = mmt_frame(e, 1, MMT_VA + 5 * PG);
    cr_assert(pa != 0 && mmt_zeroed(e, pa), "a zeroed frame");
    cr_assert_eq(e->srv->pool.reserved, reserved - 1 - (e->srv->client[1].tables - tables),
                 "the frame and the new tables were all promised ones");
    cr_assert_eq(e->k.flushes, flushes + fmt->caches_invalid,
                 "a flush for the new leaf only where the MMU may cache empty entries");
    cr_assert(!fmt->caches_invalid || e->k.last_flush.leaves == 1, "of that one leaf");
    cr_assert_eq(mm_fault(e->srv, 1, MMT_VA + 5 * PG, IPC_ACCESS_READ, &why), MM_FAULT_RESUME,
                 "spurious");
    cr_assert_eq(mmt_frame(e, 1, MMT_VA + 5 * PG), pa, "unchanged");
    cr_assert_eq(e->k.flushes, flushes + fmt->caches_invalid, "a spurious fault changes nothing");
    mmt_check(e);
    mmt_said("%s: a lazy page's first touch maps one zeroed, pre-charged frame and resumes",
             fmt->name);
    mmt_fini(e);
}

/* Maps what the kill scenarios need, faults at addr with access, and checks the kill. */
static void expect_kill(const pt_format_t *fmt, uint64_t addr, uint32_t access,
                        mm_kill_reason_t want, const char *what) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_client(e, 2, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, 1, MMT_VA, 8 * PG, MM_PERM_R, MM_F_LAZY), MM_OK, "lazy r");
    mmt_expect(mmt_map(e, 1, MMT_VA + 8 * PG, 8 * PG, MM_PERM_R, 0), MM_OK, "eager r");
    mmt_expect(mmt_map(e, 2, MMT_VA, 8 * PG, RW, 0), MM_OK, "bystander");
    uint64_t avail2 = mm_charge(&e->srv->client[2]);
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 1, addr, access, &why), MM_FAULT_KILL, "%s: %s", fmt->name, what);
    cr_assert_eq(why, want, "%s: %s: reason %d", fmt->name, what, why);
    cr_assert_eq(e->k.kills, 1);
    cr_assert_eq(e->k.last_kill, want);
    cr_assert(!e->srv->client[1].active, "torn down");
    cr_assert_eq(e->k.root[1], 0, "root unregistered");
    cr_assert_eq(mm_charge(&e->srv->client[2]), avail2, "the bystander is untouched");
    mmt_check(e);
    mmt_expect(mmt_req(e, 1, MM_STATS, 0, 0, 0, 0, 0, 0), MM_ERR_NO_CLIENT, "gone");
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(faults, kills) {
    expect_kill(fmt, MMT_VA + 64 * PG, IPC_ACCESS_READ, MM_KILL_UNMAPPED, "outside regions");
    expect_kill(fmt, MMT_VA + PG, IPC_ACCESS_WRITE, MM_KILL_ACCESS, "write to lazy read-only");
    expect_kill(fmt, MMT_VA + 9 * PG, IPC_ACCESS_WRITE, MM_KILL_ACCESS, "write to read-only");
    expect_kill(fmt, MMT_VA + PG, IPC_ACCESS_EXEC, MM_KILL_ACCESS, "execute non-exec");
    expect_kill(fmt, 0x10, IPC_ACCESS_READ, MM_KILL_RANGE, "null pointer");
    expect_kill(fmt, ~0ull << (fmt->va_bits - 1), IPC_ACCESS_READ, MM_KILL_RANGE, "kernel address");
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 4, MMT_VA, IPC_ACCESS_READ, &why), MM_FAULT_KILL, "no client");
    cr_assert_eq(e->k.kills, 0, "nobody to kill");
    mmt_fini(e);
    mmt_said("%s: faults outside regions, against permissions, at null or kernel addresses "
             "KILL, and the client is torn down; bystanders untouched",
             fmt->name);
}
