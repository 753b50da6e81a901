/*
 * Client address spaces: the libpt hooks that charge table frames to their client, the
 * end of every request (one flush, then frames and tables back to the pool), client
 * creation and teardown, and page-fault fills.
 */
#include "internal.h"

/* hooks.alloc_table: a frame the pool promised to the client's tables when its
 * regions were charged (README "Quota"). Refuses past the charged tables -- which the
 * charge makes impossible -- remembering why, so the request says QUOTA, not NOMEM. */
static bool hook_alloc_table(void *ctx, pt_paddr_t *pa) {
    mm_client_t *c = ctx;
    if (c->tables + 1 > c->tables_max) {
        c->quota_hit = true;
        return false;
    }
    if (!mm_pool_alloc(&c->srv->pool, MM_FROM_RESERVE, false, pa)) {
        return false;
    }
    c->tables++;
    return true;
}

/* hooks.free_table: libpt hands a table back (after the flush, or never linked); its frame
 * is promised to the client's tables again, until mm_space_settle lowers the charge. */
static void hook_free_table(void *ctx, pt_paddr_t pa) {
    mm_client_t *c = ctx;
    mm_pool_free_now(&c->srv->pool, pa);
    mm_pool_promise_returned(&c->srv->pool, 1);
    c->tables--;
}

/* hooks.table_used: a table frame's count of entries in use lives in its pool record,
 * whose list link is idle while the frame is a table. */
static uint32_t *hook_table_used(void *ctx, pt_paddr_t pa) {
    mm_client_t *c = ctx;
    return mm_pool_table_used(&c->srv->pool, pa);
}

mm_err_t mm_space_promise(mm_client_t *c, uint64_t n) {
    if (n > c->tables_max) {
        if (!mm_pool_reserve(&c->srv->pool, n - c->tables_max)) {
            return MM_ERR_NOMEM;
        }
        c->tables_max = n;
    }
    return MM_OK;
}

void mm_space_settle(mm_client_t *c, uint64_t n) {
    if (c->tables_max > n) {
        mm_pool_unreserve(&c->srv->pool, c->tables_max - n);
    }
    c->tables_max = n;
}

/* hooks.release_frame: each pool page of the leaf loses a user; a last user's frame waits
 * on the pending list for the flush. Device frames are not the pool's: nothing to do. */
static void hook_release_frame(void *ctx, pt_vaddr_t va, pt_paddr_t pa, unsigned shift) {
    mm_client_t *c = ctx;
    (void)va;
    for (uint64_t off = 0; off < (1ull << shift); off += MM_PAGE) {
        mm_pool_release(&c->srv->pool, pa + off);
    }
}

/* See mm.h. */
mm_client_t *mm_client(mm_server_t *srv, uint32_t id) {
    return id < srv->clients && srv->client[id].active ? &srv->client[id] : NULL;
}

void mm_space_begin(mm_client_t *c) {
    c->quota_hit = false;
}

/* See internal.h. A request that only filled empty entries on a format whose MMU never
 * caches one (pt_flush_t.fresh: x86_64, aarch64) needs no flush: the common map and page
 * fault then make no kernel call at all. */
uint64_t mm_space_commit(mm_client_t *c, pt_result_t *res) {
    mm_server_t *srv = c->srv;
    bool leaves = res->flush.leaves && !res->flush.fresh;
    if (leaves || res->flush.tables || res->deferred.count) {
        srv->cfg.kernel.flush(srv->cfg.kernel.ctx, c->id, &res->flush);
        srv->flushes++;
    }
    pt_release_tables(&c->space, &res->deferred); /* only now: STYLE 8 */
    return mm_pool_drain(&srv->pool);
}

mm_err_t mm_space_err(const mm_client_t *c, pt_err_t err) {
    static const mm_err_t map[PT_ERR_COUNT_] = {
        [PT_OK] = MM_OK,
        [PT_ERR_INVAL] = MM_ERR_INVAL,
        [PT_ERR_ALIGN] = MM_ERR_ALIGN,
        [PT_ERR_OVERFLOW] = MM_ERR_OVERFLOW,
        [PT_ERR_RANGE] = MM_ERR_RANGE,
        [PT_ERR_PERM] = MM_ERR_PERM,
        [PT_ERR_EXISTS] = MM_ERR_EXISTS,
        [PT_ERR_NOT_MAPPED] = MM_ERR_NOT_MAPPED,
        [PT_ERR_NOMEM] = MM_ERR_NOMEM,
        [PT_ERR_CORRUPT] = MM_ERR_INVAL,
    };
    if (err == PT_ERR_NOMEM && c->quota_hit) {
        return MM_ERR_QUOTA;
    }
    return (unsigned)err < PT_ERR_COUNT_ ? map[err] : MM_ERR_INVAL;
}

/* What mm_space_scan counts, and over which range. */
typedef struct scan_ctx {
    const mm_pool_t *pool;
    pt_vaddr_t lo, end;
    mm_scan_t *out;
} scan_ctx_t;

/* pt_iterate visitor: counts the pages of one leaf that lie in [lo, end). */
static bool scan_leaf(void *ctx, const pt_mapping_t *m) {
    scan_ctx_t *s = ctx;
    if (m->is_table) {
        return true;
    }
    pt_vaddr_t lo = m->va > s->lo ? m->va : s->lo;
    pt_vaddr_t end = m->va + (1ull << m->shift);
    end = end < s->end ? end : s->end;
    for (pt_vaddr_t va = lo; va < end; va += MM_PAGE) {
        pt_paddr_t pa = m->pa + (va - m->va);
        s->out->pages++;
        uint32_t refs = mm_pool_refs(s->pool, pa); /* a mapped pool frame has a user */
        s->out->backed += refs != 0;
        s->out->last += refs == 1;
    }
    return true;
}

void mm_space_scan(const mm_client_t *c, pt_vaddr_t va, uint64_t len, mm_scan_t *out) {
    out->pages = out->backed = out->last = 0;
    scan_ctx_t s = {.pool = &c->srv->pool, .lo = va, .end = va + len, .out = out};
    pt_iterate(&c->space, va, len, scan_leaf, &s);
}

pt_attr_t mm_attr(uint32_t perm, uint32_t memtype) {
    static const uint8_t types[MM_MEM_COUNT_] = {
        [MM_MEM_NORMAL] = PT_MEM_NORMAL, [MM_MEM_DEVICE] = PT_MEM_DEVICE, [MM_MEM_WC] = PT_MEM_WC};
    pt_attr_t a = {.perm = PT_U, .memtype = types[memtype < MM_MEM_COUNT_ ? memtype : 0]};
    a.perm |= (perm & MM_PERM_R ? PT_R : 0) | (perm & MM_PERM_W ? PT_W : 0);
    a.perm |= perm & MM_PERM_X ? PT_X : 0;
    return a;
}

/* ---- life cycle ------------------------------------------------------------------------ */

/* See mm.h. The kernel hands back whichever donated frames are free, not necessarily the
 * ones a client gave: the pool cares only that each comes home once. */
uint64_t mm_kmem_reclaim(mm_server_t *srv) {
    uint64_t n = 0;
    pt_paddr_t pa;
    while (srv->kmem_held > srv->kmem_charged &&
           srv->cfg.kernel.take_kmem(srv->cfg.kernel.ctx, &pa)) {
        mm_pool_free_now(&srv->pool, pa);
        srv->kmem_held--;
        n++;
    }
    return n;
}

/* Uncharges c's kernel memory and takes back what the kernel does not need any more. */
static void kmem_drop(mm_server_t *srv, mm_client_t *c) {
    srv->kmem_charged -= c->kmem;
    c->kmem = 0;
    mm_kmem_reclaim(srv);
}

/* Takes c->kmem frames from the pool (charged to c) and gives them to the kernel; false,
 * with everything given back, when the pool has too few. */
static bool kmem_give(mm_server_t *srv, mm_client_t *c) {
    uint64_t want = srv->cfg.kmem_frames;
    for (uint64_t i = 0; i < want; i++) {
        pt_paddr_t pa;
        if (!mm_pool_alloc(&srv->pool, MM_FROM_FREE, false, &pa)) {
            mm_kmem_reclaim(srv);
            return false;
        }
        if (!srv->cfg.kernel.give_kmem(srv->cfg.kernel.ctx, pa)) {
            mm_pool_free_now(&srv->pool, pa);
            mm_kmem_reclaim(srv);
            return false;
        }
        srv->kmem_held++;
    }
    c->kmem = want;
    srv->kmem_charged += want;
    return true;
}

mm_err_t mm_client_create(mm_server_t *srv, uint32_t id, uint64_t quota, bool privileged) {
    if (id >= MM_CLIENT_ID_LIMIT) {
        return MM_ERR_NO_CLIENT;
    }
    if (!mm_grow(srv, (void **)&srv->client, &srv->clients, sizeof(mm_client_t), id)) {
        return MM_ERR_NOMEM; /* no room for its record */
    }
    mm_client_t *c = &srv->client[id];
    if (c->active) {
        return MM_ERR_EXISTS;
    }
    if (quota < 1 + srv->cfg.kmem_frames) {
        return MM_ERR_QUOTA; /* not even the root and the kernel's share */
    }
    mm_mem_zero(c, sizeof(*c));
    c->srv = srv;
    c->id = id;
    c->quota = quota;
    c->privileged = privileged;
    if (mm_space_promise(c, 1) != MM_OK) {
        return MM_ERR_NOMEM;
    }
    if (!kmem_give(srv, c)) {
        mm_space_settle(c, 0);
        return MM_ERR_NOMEM;
    }
    pt_hooks_t hooks = {
        .ctx = c,
        .alloc_table = hook_alloc_table,
        .free_table = hook_free_table,
        .phys_to_virt = NULL,
        .phys_offset = (uint64_t)(uintptr_t)srv->pool.va - srv->pool.pa,
        .release_frame = hook_release_frame,
        .assert_failed = NULL,
        .write_barrier = NULL,
        .table_used = hook_table_used,
    };
    pt_err_t err = pt_space_init(&c->space, srv->cfg.fmt, &hooks, srv->cfg.space_flags);
    if (err != PT_OK) {
        mm_space_settle(c, 0);
        kmem_drop(srv, c);
        return MM_ERR_NOMEM;
    }
    if (!srv->cfg.kernel.register_root(srv->cfg.kernel.ctx, id, c->space.root)) {
        pt_destroy(&c->space);
        mm_space_settle(c, 0);
        kmem_drop(srv, c);
        return MM_ERR_DENIED;
    }
    c->active = true;
    return MM_OK;
}

/* Closes every window of other clients that accepted shares from id: a later client with
 * the same id must not inherit the right to share into them. */
static void close_windows(mm_server_t *srv, uint32_t id) {
    for (uint32_t k = 0; k < srv->clients; k++) {
        mm_client_t *o = &srv->client[k];
        if (o->active) {
            mm_region_close_peer(o, id);
        }
    }
}

mm_err_t mm_client_destroy(mm_server_t *srv, uint32_t id) {
    mm_client_t *c = mm_client(srv, id);
    if (!c) {
        return MM_ERR_NO_CLIENT;
    }
    srv->cfg.kernel.unregister_root(srv->cfg.kernel.ctx, id); /* the flush of everything */
    pt_destroy(&c->space);
    mm_pool_drain(&srv->pool);
    mm_pool_unreserve(&srv->pool, c->unbacked);
    mm_space_settle(c, 0);
    mm_region_clear(c); /* its node frames go back too */
    close_windows(srv, id);
    kmem_drop(srv, c); /* its kernel objects went with its root and thread */
    mm_mem_zero(c, sizeof(*c));
    return MM_OK;
}

/* ---- page faults ----------------------------------------------------------------------- */

/* Permissions an access needs (an access of no known kind counts as a read). */
static uint32_t access_perm(uint32_t access) {
    uint32_t need =
        (access & IPC_ACCESS_WRITE ? MM_PERM_W : 0) | (access & IPC_ACCESS_EXEC ? MM_PERM_X : 0);
    return need | (access & IPC_ACCESS_READ || need == 0 ? MM_PERM_R : 0);
}

/* See mm.h. */
mm_kill_reason_t mm_fault_reason(mm_server_t *srv, uint32_t client, pt_vaddr_t addr,
                                 uint32_t access) {
    mm_client_t *c = mm_client(srv, client);
    if (!c) {
        return MM_KILL_UNMAPPED;
    }
    if (addr < MM_USER_BASE || addr >= srv->user_top) {
        return MM_KILL_RANGE;
    }
    const mm_region_t *r = mm_region_at(c, addr);
    if (!r) {
        return MM_KILL_UNMAPPED;
    }
    if ((access_perm(access) & ~(uint32_t)r->perm) || r->kind == MM_KIND_DEVICE) {
        return MM_KILL_ACCESS;
    }
    return MM_KILL_NONE;
}

/* Maps one zeroed frame at the page of addr with the region's permissions, from the
 * frames promised when the range was mapped, its tables too. RETRY (nothing changed) if an
 * allocation fails anyway, which only failure injection makes happen. */
static mm_fault_answer_t fill(mm_client_t *c, pt_vaddr_t page, uint32_t perm) {
    mm_pool_t *pool = &c->srv->pool;
    pt_paddr_t pa;
    if (!mm_pool_alloc(pool, MM_FROM_RESERVE, true, &pa)) {
        return MM_FAULT_RETRY;
    }
    pt_frames_t src = {.list = NULL, .base = pa};
    pt_result_t res;
    pt_err_t err = pt_map(&c->space, page, MM_PAGE, &src, mm_attr(perm, MM_MEM_NORMAL), 0, &res);
    if (err != PT_OK) {
        mm_pool_free_now(pool, pa);
        mm_pool_promise_returned(pool, 1); /* the page is still promised its frame */
        return MM_FAULT_RETRY;
    }
    c->unbacked--;
    mm_space_commit(c, &res);
    return MM_FAULT_RESUME;
}

mm_fault_answer_t mm_fault(mm_server_t *srv, uint32_t client, pt_vaddr_t addr, uint32_t access,
                           mm_kill_reason_t *why) {
    mm_client_t *c = mm_client(srv, client);
    mm_kill_reason_t reason = mm_fault_reason(srv, client, addr, access);
    if (why) {
        *why = reason;
    }
    if (reason != MM_KILL_NONE) {
        if (c) {
            srv->cfg.kernel.kill(srv->cfg.kernel.ctx, client, reason);
            mm_client_destroy(srv, client);
        }
        return MM_FAULT_KILL;
    }
    pt_mapping_t m;
    pt_vaddr_t page = addr & ~(MM_PAGE - 1);
    if (pt_query(&c->space, page, &m) == PT_OK) {
        return MM_FAULT_RESUME; /* spurious: another thread's fault filled it first */
    }
    mm_space_begin(c);
    return fill(c, page, mm_region_at(c, addr)->perm);
}
