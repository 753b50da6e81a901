/*
 * Kernel memory paid by clients (issue 12, mmserver/README.md "Kernel memory"): a client's
 * kmem_frames are charged to its quota, taken from the pool and given to the kernel before
 * its root is registered; too little quota is QUOTA and too few frames NOMEM, a refused root
 * DENIED, each with nothing kept; after a client's end every donated frame the kernel no
 * longer uses comes back, those still in use at a later end. A fake kernel holds the frames.
 */
#include <string.h>

#include "mmt.h"

#define KMEM 4u

/* The fake kernel's donated frames: held[0 .. n), of which busy are in use by objects. */
static struct {
    pt_paddr_t held[256];
    unsigned n, busy;
    bool refuse_give;
    uint64_t gives, takes;
} fk;

/* kernel.give_kmem. */
static bool fk_give(void *ctx, pt_paddr_t pa) {
    (void)ctx;
    if (fk.refuse_give) {
        return false;
    }
    cr_assert_lt(fk.n, 256);
    for (unsigned i = 0; i < fk.n; i++) {
        cr_assert_neq(fk.held[i], pa, "frame %#llx given twice", (unsigned long long)pa);
    }
    fk.held[fk.n++] = pa;
    fk.gives++;
    return true;
}

/* kernel.take_kmem: a frame no object uses, if any. */
static bool fk_take(void *ctx, pt_paddr_t *pa) {
    (void)ctx;
    if (fk.n <= fk.busy) {
        return false;
    }
    *pa = fk.held[--fk.n];
    fk.takes++;
    return true;
}

/* An environment whose clients pay KMEM frames each. */
static void kmem_env(mmt_env_t *e) {
    memset(&fk, 0, sizeof(fk));
    mmt_init(e, &pt_format_x86_64, 0);
    e->srv->cfg.kmem_frames = KMEM;
    e->srv->cfg.kernel.give_kmem = fk_give;
    e->srv->cfg.kernel.take_kmem = fk_take;
}

Test(kmem, a_client_pays_its_kernel_memory_and_gets_it_back) {
    mmt_env_t e;
    kmem_env(&e);
    uint64_t avail = mm_pool_available(&e.srv->pool);
    mmt_client(&e, 1, MMT_QUOTA, false);
    cr_assert_eq(fk.n, KMEM, "donated before the root was registered");
    cr_assert_eq(e.srv->client[1].kmem, KMEM);
    cr_assert_eq(mm_charge(&e.srv->client[1]), 1 + KMEM, "the root and the kernel's share");
    cr_assert_eq(mm_pool_available(&e.srv->pool), avail - 1 - KMEM);
    cr_assert_eq(e.srv->kmem_held, KMEM);
    fk.busy = KMEM; /* the kernel uses them all while the client lives */
    cr_assert_eq(mm_kmem_reclaim(e.srv), 0, "nothing comes back while the client paid for it");
    fk.busy = 1; /* an object of the ended client not freed yet */
    cr_assert_eq(mm_client_destroy(e.srv, 1), MM_OK);
    cr_assert_eq(fk.n, 1, "every free donated frame came back");
    cr_assert_eq(e.srv->kmem_held, 1);
    fk.busy = 0;
    mmt_client(&e, 2, MMT_QUOTA, false);
    cr_assert_eq(mm_client_destroy(e.srv, 2), MM_OK);
    cr_assert_eq(fk.n, 0, "the late frame came back at the next end");
    cr_assert_eq(e.srv->kmem_held, 0);
    cr_assert_eq(mm_pool_available(&e.srv->pool), avail);
    mmt_said("x86_64: %u frames a client, charged and back; a late one back at the next end", KMEM);
    mmt_fini(&e);
}

Test(kmem, too_little_quota_is_quota_with_nothing_kept) {
    mmt_env_t e;
    kmem_env(&e);
    uint64_t avail = mm_pool_available(&e.srv->pool);
    cr_assert_eq(mm_client_create(e.srv, 1, KMEM, false), MM_ERR_QUOTA, "root + KMEM > quota");
    cr_assert_eq(fk.gives, 0);
    cr_assert_eq(mm_pool_available(&e.srv->pool), avail);
    cr_assert_eq(mm_client_create(e.srv, 1, KMEM + 1, false), MM_OK, "exactly enough");
    cr_assert_eq(mm_client_destroy(e.srv, 1), MM_OK); /* the sweep knows no donated frame */
    cr_assert_eq(fk.n, 0);
    mmt_fini(&e);
}

Test(kmem, no_frame_is_nomem_and_a_refusal_denied_with_nothing_kept) {
    mmt_env_t e;
    kmem_env(&e);
    uint64_t avail = mm_pool_available(&e.srv->pool);
    unsigned failures = 0;
    for (uint64_t at = 1; at <= KMEM + 1; at++) {
        e.srv->pool.attempts = 0;
        e.srv->pool.fail_at = at;
        mm_err_t err = mm_client_create(e.srv, 1, MMT_QUOTA, false);
        e.srv->pool.fail_at = 0;
        if (err == MM_OK) {
            cr_assert_eq(mm_client_destroy(e.srv, 1), MM_OK);
            continue;
        }
        failures++;
        cr_assert_eq(err, MM_ERR_NOMEM, "pool attempt %llu failed", (unsigned long long)at);
        cr_assert_eq(fk.n, 0, "frames given before the failure came back");
        cr_assert_eq(e.srv->kmem_held, 0);
        cr_assert_eq(mm_pool_available(&e.srv->pool), avail);
        cr_assert_null(mm_client(e.srv, 1));
    }
    cr_assert_geq(failures, KMEM, "each frame's allocation failed once");
    fk.refuse_give = true;
    cr_assert_eq(mm_client_create(e.srv, 1, MMT_QUOTA, false), MM_ERR_NOMEM, "a refused gift");
    fk.refuse_give = false;
    e.k.refuse_root = true;
    cr_assert_eq(mm_client_create(e.srv, 1, MMT_QUOTA, false), MM_ERR_DENIED);
    e.k.refuse_root = false;
    cr_assert_eq(fk.n, 0);
    cr_assert_eq(mm_pool_available(&e.srv->pool), avail, "nothing kept on any refusal");
    mmt_said("x86_64: %u injected pool failures NOMEM, a refused root DENIED, nothing kept",
             failures);
    mmt_fini(&e);
}
