/*
 * MM_SHARE_ACCEPT and MM_SHARE: the same frames in two spaces, refcounts, unmaps by either
 * side, and every refusal.
 */
#include "mmt.h"

#include <string.h>

#define RW  (MM_PERM_R | MM_PERM_W)
#define R   MM_PERM_R
#define SRC 0x10000000ull
#define DST 0x30000000ull

/* Client 1 maps 8 eager pages at SRC; client 2 accepts a 16-page window at DST from 1
 * with max perm max. */
static void setup(mmt_env_t *e, uint64_t max) {
    mmt_client(e, 1, MMT_QUOTA, false);
    mmt_client(e, 2, MMT_QUOTA, false);
    mmt_client(e, 3, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, 1, SRC, 8 * PG, RW, 0), MM_OK, "source");
    mmt_expect(mmt_accept(e, 2, 1, DST, 16 * PG, max), MM_OK, "accept");
    cr_assert_eq(e->reply[MM_R_ACC_PAGES], 16);
}

MMT_FOR_ALL_FORMATS(share, same_frames) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e, RW);
    uint64_t charge2 = mm_charge(&e->srv->client[2]);
    uint64_t flushes = e->k.flushes;
    e->k.last_flush_client = 0;
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 2, DST + 4 * PG, RW), MM_OK, "share");
    cr_assert_eq(e->reply[MM_R_SHR_PAGES], 8);
    cr_assert_eq(e->reply[MM_R_SHR_PERM], RW);
    /* The window's pages were empty: only a format whose MMU caches empty entries needs a
     * flush (pt_flush_t.fresh), and then of the receiver's space. */
    cr_assert_eq(e->k.flushes, flushes + fmt->caches_invalid, "flushes after filling a window");
    cr_assert_eq(e->k.last_flush_client, fmt->caches_invalid ? 2 : 0,
                 "the receiver's space is the one flushed");
    for (unsigned i = 0; i < 8; i++) {
        pt_paddr_t a = mmt_frame(e, 1, SRC + i * PG), b = mmt_frame(e, 2, DST + (4 + i) * PG);
        cr_assert(a != 0 && a == b, "page %u: same physical frame in both", i);
        cr_assert_eq(mm_pool_refs(&e->srv->pool, a), 2);
    }
    cr_assert_eq(e->srv->client[2].data, 16, "the window was charged at accept, not again");
    cr_assert_eq(mm_charge(&e->srv->client[2]), charge2, "the share cost the receiver nothing new");
    memset(mmt_bytes(e, mmt_frame(e, 1, SRC)), 0x42, 16);
    mmt_expect(mmt_unmap(e, 1, SRC, 8 * PG), MM_OK, "the sender lets go");
    cr_assert_eq(e->reply[MM_R_REL_FREED], 0, "the receiver still uses them");
    pt_paddr_t b0 = mmt_frame(e, 2, DST + 4 * PG);
    cr_assert_eq(mmt_bytes(e, b0)[0], 0x42, "the receiver's view still works");
    cr_assert_eq(mm_pool_refs(&e->srv->pool, b0), 1);
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 2, DST + 4 * PG, IPC_ACCESS_WRITE, &why), MM_FAULT_RESUME,
                 "spurious fault on a shared page resumes");
    uint64_t avail = mm_pool_available(&e->srv->pool);
    mmt_expect(mmt_unmap(e, 2, DST, 16 * PG), MM_OK, "the last user lets go");
    cr_assert_eq(e->reply[MM_R_REL_FREED], 8, "frames freed with their last user");
    cr_assert(mm_pool_available(&e->srv->pool) >= avail + 8);
    mmt_said("%s: share maps the same frames, refcounted; freed when the last user unmaps",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(share, refusals) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e, R);
    mmt_expect(mmt_map(e, 3, SRC, 8 * PG, RW, 0), MM_OK, "3's memory");
    mmt_expect(mmt_map(e, 1, 0x50000000, 4 * PG, RW, MM_F_LAZY), MM_OK, "1's lazy memory");
    mmt_snap_t s = mmt_snapshot(e);
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 3, DST, R), MM_ERR_DENIED, "no window");
    mmt_expect(mmt_share(e, 3, SRC, 8 * PG, 2, DST, R), MM_ERR_DENIED, "wrong sender");
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 2, DST, RW), MM_ERR_DENIED, "above max perm");
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 2, DST + 12 * PG, R), MM_ERR_DENIED,
               "past the window's end");
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 7, DST, R), MM_ERR_NO_CLIENT, "nobody");
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 1, DST, R), MM_ERR_INVAL, "to itself");
    mmt_expect(mmt_share(e, 1, SRC, 16 * PG, 2, DST, R), MM_ERR_NOT_MAPPED, "source hole");
    mmt_expect(mmt_share(e, 1, 0x50000000, 4 * PG, 2, DST, R), MM_ERR_NOT_MAPPED,
               "source without frames");
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 2, DST, RW | MM_PERM_X), MM_ERR_WX, "W+X");
    mmt_expect(mmt_accept(e, 2, 1, DST, PG, R), MM_ERR_EXISTS, "window over a window");
    mmt_expect(mmt_accept(e, 2, 2, 0x60000000, PG, R), MM_ERR_INVAL, "from itself");
    mmt_expect(mmt_accept(e, 2, 9, 0x60000000, PG, R), MM_ERR_NO_CLIENT, "from nobody");
    mmt_expect(mmt_accept(e, 2, 1, 0x60000000, PG, RW | MM_PERM_X), MM_ERR_WX, "max W+X");
    mmt_expect(mmt_accept(e, 2, 1, 0x60000000, PG, 0), MM_ERR_INVAL, "max nothing");
    mmt_expect_snapshot(e, &s, "refused shares");
    mmt_snap_free(&s);
    mmt_expect(mmt_share(e, 1, SRC, 4 * PG, 2, DST, R), MM_OK, "a good one");
    mmt_expect(mmt_share(e, 1, SRC, 4 * PG, 2, DST + 2 * PG, R), MM_ERR_EXISTS, "again over it");
    mmt_expect(mmt_protect(e, 2, DST, 4 * PG, RW), MM_ERR_DENIED, "receiver above max");
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 2, DST + 8 * PG, IPC_ACCESS_READ, &why), MM_FAULT_KILL,
                 "an unfilled window has no permissions: touching it kills");
    cr_assert_eq(why, MM_KILL_ACCESS);
    mmt_said("%s: share without a window, from the wrong sender, above max perm, from holes: "
             "refused, nothing changed",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(share, decommit_receiver) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e, RW);
    mmt_expect(mmt_share(e, 1, SRC, 8 * PG, 2, DST, RW), MM_OK, "share");
    pt_paddr_t pa = mmt_frame(e, 1, SRC);
    memset(mmt_bytes(e, pa), 0x33, PG);
    mmt_expect(mmt_decommit(e, 2, DST, PG), MM_OK, "the receiver drops its view of one page");
    cr_assert_eq(e->reply[MM_R_REL_FREED], 0, "the sender still uses the frame");
    cr_assert_eq(mm_pool_refs(&e->srv->pool, pa), 1);
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 2, DST, IPC_ACCESS_READ, &why), MM_FAULT_RESUME);
    pt_paddr_t mine = mmt_frame(e, 2, DST);
    cr_assert(mine != pa && mmt_zeroed(e, mine), "a private zeroed frame, not the shared one");
    cr_assert_eq(mmt_bytes(e, pa)[0], 0x33, "the sender's page is untouched");
    mmt_expect(mmt_protect(e, 2, DST + 8 * PG, 8 * PG, R), MM_OK, "open the rest of the window");
    cr_assert_eq(mm_fault(e->srv, 2, DST + 9 * PG, IPC_ACCESS_READ, &why), MM_FAULT_RESUME,
                 "an opened window fills like a lazy map");
    mmt_said("%s: a receiver's decommit drops only its view; its next touch gets a private "
             "zeroed frame; an opened window fills on touch",
             fmt->name);
    mmt_fini(e);
}

/* Issue 14, hole 1: the sender's permission is a ceiling. A window accepted read-write that
 * receives a read-only share must stay read-only: the receiver cannot protect it up, share
 * it onward writable, or write it through a fault. */
MMT_FOR_ALL_FORMATS(share, sender_perm_is_a_ceiling) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e, RW);
    mmt_expect(mmt_share(e, 1, SRC, 4 * PG, 2, DST, R), MM_OK, "a read-only share");
    cr_assert_eq(e->reply[MM_R_SHR_PERM], R, "the reply says read-only");
    mmt_expect(mmt_accept(e, 3, 2, 0x70000000, 4 * PG, RW), MM_OK, "3 accepts from 2");
    mmt_snap_t s = mmt_snapshot(e);
    mmt_expect(mmt_protect(e, 2, DST, 4 * PG, RW), MM_ERR_DENIED, "protect up to the window max");
    mmt_expect(mmt_protect(e, 2, DST, PG, RW), MM_ERR_DENIED, "protect one page up");
    mmt_expect(mmt_share(e, 2, DST, 4 * PG, 3, 0x70000000, RW), MM_ERR_DENIED,
               "re-share writable onward");
    mmt_expect_snapshot(e, &s, "refused escalations");
    mmt_snap_free(&s);
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 2, DST, IPC_ACCESS_WRITE, &why), MM_FAULT_KILL,
                 "a write to the read-only share kills the receiver");
    cr_assert_eq(why, MM_KILL_ACCESS);
    mmt_said("%s: a read-only share stays read-only: protect up, writable re-share and a write "
             "fault are refused",
             fmt->name);
    mmt_fini(e);
}

/* The ceiling holds for the shared pages only: the rest of the window keeps the max the
 * receiver asked for, and a protect down and up again within the share's perm is fine. */
MMT_FOR_ALL_FORMATS(share, ceiling_only_where_shared) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e, RW);
    mmt_expect(mmt_share(e, 1, SRC, 4 * PG, 2, DST, R), MM_OK, "a read-only share");
    mmt_expect(mmt_protect(e, 2, DST + 8 * PG, 8 * PG, RW), MM_OK,
               "the unshared part of the window opens read-write");
    mmt_expect(mmt_protect(e, 2, DST, 4 * PG, R), MM_OK, "the shared part stays at its ceiling");
    mmt_said("%s: the sender's ceiling applies to the shared pages only", fmt->name);
    mmt_fini(e);
}
