/*
 * Issue 14: a client's teardown closes exactly the share windows other clients accepted
 * from it, so a new client that gets the same id inherits none of them; the windows of
 * every other pair stay open, and the window owner keeps what was already shared.
 *
 * Clients: A (1) accepts a window from B (2); C (3) accepts one from D (4) and one from A.
 */
#include "mmt.h"

#define RW  (MM_PERM_R | MM_PERM_W)
#define A   1u
#define B   2u
#define C   3u
#define D   4u
#define SRC 0x10000000ull /* each sender's own memory */
#define WIN 0x30000000ull /* A's window from B, C's window from D */
#define WCA 0x38000000ull /* C's window from A */

/* The four clients, each with 8 eager pages at SRC, and the three windows (16 pages
 * each); B has already shared 4 pages into the start of A's window. */
static void setup(mmt_env_t *e) {
    for (uint32_t id = A; id <= D; id++) {
        mmt_client(e, id, MMT_QUOTA, false);
        mmt_expect(mmt_map(e, id, SRC, 8 * PG, RW, 0), MM_OK, "a sender's memory");
    }
    mmt_expect(mmt_accept(e, A, B, WIN, 16 * PG, RW), MM_OK, "A accepts from B");
    mmt_expect(mmt_accept(e, C, D, WIN, 16 * PG, RW), MM_OK, "C accepts from D");
    mmt_expect(mmt_accept(e, C, A, WCA, 16 * PG, RW), MM_OK, "C accepts from A");
    mmt_expect(mmt_share(e, B, SRC, 4 * PG, A, WIN, RW), MM_OK, "B shares into A's window");
}

/* The peer client c's window region at va names (MM_QUERY), 0 when it is not a window. */
static uint64_t window_peer(mmt_env_t *e, uint32_t c, uint64_t va) {
    mmt_expect(mmt_req(e, c, MM_QUERY, va, 0, 0, 0, 0, 0), MM_OK, "query the window");
    return e->reply[MM_R_Q_PEER];
}

/* Tears client id down and creates a new client with the same id and 8 eager pages at
 * SRC, checking the invariants in between. */
static void reborn(mmt_env_t *e, uint32_t id) {
    cr_assert_eq(mm_client_destroy(e->srv, id), MM_OK, "client %u ends", id);
    mmt_check(e);
    mmt_client(e, id, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, id, SRC, 8 * PG, RW, 0), MM_OK, "the new client's memory");
}

MMT_FOR_ALL_FORMATS(teardown, reused_id_inherits_no_window) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e);
    pt_paddr_t shared = mmt_frame(e, B, SRC);
    reborn(e, B);
    cr_assert_eq(mmt_frame(e, A, WIN), shared, "A keeps the frame B shared");
    cr_assert_neq(window_peer(e, A, WIN + 8 * PG), B, "A's window no longer names B");
    mmt_snap_t s = mmt_snapshot(e);
    mmt_expect(mmt_share(e, B, SRC, 4 * PG, A, WIN + 8 * PG, RW), MM_ERR_DENIED,
               "the new B shares into the unfilled part of A's window");
    mmt_expect(mmt_share(e, B, SRC, 4 * PG, A, WIN, RW), MM_ERR_DENIED,
               "the new B shares over what the old B shared");
    mmt_expect_snapshot(e, &s, "refused shares of the new B");
    mmt_snap_free(&s);
    cr_assert_eq(window_peer(e, C, WIN), D, "C's window from D is untouched");
    cr_assert_eq(window_peer(e, C, WCA), A, "C's window from A is untouched");
    mmt_expect(mmt_share(e, D, SRC, 8 * PG, C, WIN, RW), MM_OK, "D still shares into C");
    mmt_expect(mmt_share(e, A, SRC, 8 * PG, C, WCA, RW), MM_OK, "A still shares into C");
    cr_assert_eq(mmt_frame(e, C, WIN), mmt_frame(e, D, SRC), "C sees D's frame");
    cr_assert_eq(mmt_frame(e, C, WCA), mmt_frame(e, A, SRC), "C sees A's frame");
    mmt_said("%s: B's teardown closes A's window from B only: a new client 2 cannot share into "
             "it, A keeps the old frames, D->C and A->C windows still take shares",
             fmt->name);
    mmt_fini(e);
}

/* The other side: the window owner ends. Its windows go with it, a new client with its id
 * starts without any, and the windows it did not own (C's from A) stay open. */
MMT_FOR_ALL_FORMATS(teardown, reused_owner_id_has_no_window) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e);
    reborn(e, C); /* the owner of two windows */
    mmt_snap_t s = mmt_snapshot(e);
    mmt_expect(mmt_share(e, D, SRC, 4 * PG, C, WIN, RW), MM_ERR_DENIED, "D into the new C");
    mmt_expect(mmt_share(e, A, SRC, 4 * PG, C, WCA, RW), MM_ERR_DENIED, "A into the new C");
    mmt_expect_snapshot(e, &s, "refused shares into the new C");
    mmt_snap_free(&s);
    cr_assert_eq(window_peer(e, A, WIN + 8 * PG), B, "A's window from B stays open");
    mmt_expect(mmt_share(e, B, SRC + 4 * PG, 4 * PG, A, WIN + 8 * PG, RW), MM_OK,
               "B still shares into A");
    mmt_said("%s: a window owner's teardown leaves no window to the client that reuses its id, "
             "and closes nobody else's",
             fmt->name);
    mmt_fini(e);
}

/* Two teardowns in a row, each followed by the id's reuse: every close is about the client
 * that ended, whatever ids the others have (the peer ids here are above and below). */
MMT_FOR_ALL_FORMATS(teardown, each_close_is_its_own) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    setup(e);
    reborn(e, D);
    mmt_expect(mmt_share(e, D, SRC, 4 * PG, C, WIN, RW), MM_ERR_DENIED, "the new D into C");
    cr_assert_eq(window_peer(e, C, WCA), A, "C's window from A stays");
    cr_assert_eq(window_peer(e, A, WIN + 8 * PG), B, "A's window from B stays");
    reborn(e, A);
    mmt_expect(mmt_share(e, A, SRC, 4 * PG, C, WCA, RW), MM_ERR_DENIED, "the new A into C");
    mmt_expect(mmt_share(e, B, SRC + 4 * PG, 4 * PG, A, WIN + 8 * PG, RW), MM_ERR_DENIED,
               "B into the new A, which accepted nothing");
    mmt_expect(mmt_accept(e, C, D, 0x60000000, 4 * PG, RW), MM_OK, "C accepts the new D anew");
    mmt_expect(mmt_share(e, D, SRC, 4 * PG, C, 0x60000000, RW), MM_OK, "and that works");
    mmt_said("%s: two teardowns and reuses in a row: each closes only its own peers' windows",
             fmt->name);
    mmt_fini(e);
}
