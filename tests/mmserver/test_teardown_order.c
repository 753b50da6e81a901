/*
 * A client's end gives nothing back before the kernel has dropped its root (found by make
 * mutate, mutant mm-destroy-before-unregister): unregister_root is the flush of the whole
 * space, so at that moment every frame and table of the client must still be out of the
 * pool; only after it may they return (STYLE 8, as for the flush of one request).
 */
#include "mmt.h"

#define RW (MM_PERM_R | MM_PERM_W)

/* What the pool looked like when the fake kernel's unregister_root was called. */
static struct {
    mmt_env_t *e;
    void (*unregister)(void *ctx, uint32_t client); /* the environment's own */
    uint64_t calls;
    uint64_t free_then, pending_then, available_then;
} seen;

/* kernel.unregister_root in front of the environment's: notes the pool, then forwards. */
static void spy_unregister(void *ctx, uint32_t client) {
    mm_pool_t *pool = &seen.e->srv->pool;
    seen.calls++;
    seen.free_then = pool->free;
    seen.pending_then = pool->pending;
    seen.available_then = mm_pool_available(pool);
    seen.unregister(ctx, client);
}

MMT_FOR_ALL_FORMATS(teardown, nothing_returns_before_the_root_is_dropped) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 8 * PG, RW, 0), MM_OK, "eager pages");
    mmt_expect(mmt_map(e, 1, 0x40000000, 2 * MIB, RW, MM_F_HUGE), MM_OK, "a huge run");
    mmt_expect(mmt_map(e, 1, 0x50000000, 16 * PG, RW, MM_F_LAZY), MM_OK, "lazy pages");
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 1, 0x50000000, IPC_ACCESS_WRITE, &why), MM_FAULT_RESUME);
    seen.e = e;
    seen.unregister = e->srv->cfg.kernel.unregister_root;
    e->srv->cfg.kernel.unregister_root = spy_unregister;
    mm_pool_t *pool = &e->srv->pool;
    uint64_t free0 = pool->free, pending0 = pool->pending, avail0 = mm_pool_available(pool);

    cr_assert_eq(mm_client_destroy(e->srv, 1), MM_OK, "client 1 ends");
    cr_assert_eq(seen.calls, 1, "%s: one unregister_root", fmt->name);
    cr_assert_eq(seen.free_then, free0, "%s: %llu frames were free at the unregister, %llu before",
                 fmt->name, (unsigned long long)seen.free_then, (unsigned long long)free0);
    cr_assert_eq(seen.pending_then, pending0, "%s: frames waiting at the unregister", fmt->name);
    cr_assert_eq(seen.available_then, avail0, "%s: available frames at the unregister", fmt->name);
    cr_assert_gt(pool->free, free0, "%s: the frames return after it", fmt->name);
    cr_assert_eq(mm_pool_available(pool), e->start_available, "%s: every frame back", fmt->name);
    mmt_said("%s: at unregister_root the pool still had %llu free frames and %llu pending (as "
             "before the end); afterwards %llu free, every frame back",
             fmt->name, (unsigned long long)seen.free_then, (unsigned long long)seen.pending_then,
             (unsigned long long)pool->free);
    mmt_fini(e);
}
