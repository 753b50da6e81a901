/*
 * MM_MAP and MM_MAP_DEVICE. A map is planned first (address, overlap, region nodes,
 * charge, frames), and only then handed to libpt in one all-or-nothing call; whatever the
 * plan took is given back if that call fails, so a failed map changes nothing.
 */
#include "door.h"

/* A map request, planned before anything changes. */
typedef struct map_plan {
    pt_vaddr_t va;
    uint64_t len;
    uint32_t flags;        /* MM_F_* */
    mm_region_t region;    /* the region the map creates */
    uint64_t old_charged;  /* charged pages the range held (MM_F_OVERWRITE) */
    uint64_t old_unbacked; /* of which without a frame */
    uint64_t old_pages;    /* mapped pages the range held, device pages included */
    uint64_t charge;       /* data pages the new region charges */
    uint64_t unbacked;     /* of which without a frame (MM_F_LAZY) */
    uint64_t tables_old;   /* tables charged before */
    uint64_t tables_new;   /* tables charged with the new region */
    pt_frames_t src;       /* frames for libpt (eager and device maps) */
    bool huge;             /* libpt may use huge leaves (PT_MAP_HUGE) */
    bool fallback;         /* MM_F_HUGE asked, 4 KiB frames given for an aligned 2 MiB */
    bool owns_frames;      /* src's frames came from the pool for this map */
    /* Set by alloc_frames when it chains the frames (not zeroed by plan_init: the single-
     * page path stays short). */
    mm_chain_t chain; /* a large or huge eager map's frames, in map order */
    mm_server_t *srv; /* the pool chain_run reads chain from */
} map_plan_t;

/* Starts a plan for a map of [va, va + len) with flags and perm: nothing replaced yet,
 * no charge, no frames, a region with all permissions reachable by protect. */
static void plan_init(map_plan_t *p, uint64_t va, uint64_t len, uint64_t flags, uint64_t perm) {
    mm_mem_zero(p, offsetof(map_plan_t, chain)); /* not "= {...}": that could be memset */
    p->va = va;
    p->len = len;
    p->flags = (uint32_t)flags;
    p->region.perm = (uint8_t)perm;
    p->region.maxperm = MM_PERM_ALL;
    p->region.memtype = MM_MEM_NORMAL;
}

/* Chooses the address of an MM_F_ANYWHERE map: the lowest gap that fits, aligned so that
 * va % align == off % align. */
static mm_err_t place(mm_server_t *srv, mm_client_t *c, map_plan_t *p, uint64_t align, uint64_t off,
                      uint64_t *where) {
    mm_err_t err = mm_door_range(srv, MM_USER_BASE, p->len, where); /* the length alone */
    pt_vaddr_t gap;
    if (err != MM_OK) {
        return err;
    }
    off &= align - 1;
    if (p->len + off < p->len || !mm_region_gap(c, p->len + off, align, srv->user_top, &gap)) {
        return MM_ERR_NOMEM; /* no room left in the address space */
    }
    p->va = gap + off;
    return MM_OK;
}

/* Checks what the range holds: EXISTS without MM_F_OVERWRITE; records what an overwrite
 * replaces; reserves the region nodes the map needs (the carve's splits, plus one for the
 * new region unless it takes the node of one it replaces): QUOTA or NOMEM. */
static mm_err_t plan_overlap(mm_client_t *c, map_plan_t *p, uint64_t *where) {
    bool overlaps = mm_region_overlaps(c, p->va, p->len);
    if (overlaps) {
        if (!(p->flags & MM_F_OVERWRITE)) {
            pt_vaddr_t base = mm_region_find(c, p->va)->base;
            *where = base > p->va ? base : p->va;
            return MM_ERR_EXISTS;
        }
        mm_scan_t old;
        mm_space_scan(c, p->va, p->len, &old);
        p->old_charged = mm_region_charged(c, p->va, p->len);
        p->old_unbacked = p->old_charged - old.backed;
        p->old_pages = old.pages;
    }
    return mm_region_reserve(c, mm_region_splits(c, p->va, p->len) + !overlaps);
}

/* Charges the new region, data and tables, in place of what it replaces: QUOTA past the
 * quota, NOMEM when the pool cannot promise the new lazy pages and tables. */
static mm_err_t charge(mm_server_t *srv, mm_client_t *c, map_plan_t *p) {
    uint64_t data = c->data - p->old_charged + p->charge;
    uint64_t more = p->unbacked > p->old_unbacked ? p->unbacked - p->old_unbacked : 0;
    p->tables_old = c->tables_max;
    p->tables_new = mm_region_tables(c, p->va, p->len, MM_COVER_ADD);
    if (data + p->tables_new + c->rframes > c->quota) {
        return MM_ERR_QUOTA;
    }
    if (!mm_pool_reserve(&srv->pool, more)) {
        return MM_ERR_NOMEM;
    }
    if (mm_space_promise(c, p->tables_new) != MM_OK) {
        mm_pool_unreserve(&srv->pool, more);
        return MM_ERR_NOMEM;
    }
    c->data = data;
    return MM_OK;
}

/* Takes back charge() after a failure. */
static void uncharge(mm_server_t *srv, mm_client_t *c, const map_plan_t *p) {
    c->data = c->data - p->charge + p->old_charged;
    if (p->unbacked > p->old_unbacked) {
        mm_pool_unreserve(&srv->pool, p->unbacked - p->old_unbacked);
    }
    mm_space_settle(c, p->tables_old);
}

/* Settles the promises of the replaced pages and tables once the map has succeeded. */
static void settle(mm_server_t *srv, mm_client_t *c, const map_plan_t *p) {
    if (p->unbacked < p->old_unbacked) {
        mm_pool_unreserve(&srv->pool, p->old_unbacked - p->unbacked);
    }
    c->unbacked = c->unbacked + p->unbacked - p->old_unbacked;
    mm_space_settle(c, p->tables_new);
}

/* Gives back the frames the plan took, never mapped. */
static void free_frames(mm_server_t *srv, map_plan_t *p) {
    if (p->owns_frames && p->src.list) {
        for (uint64_t i = 0; i < MM_PAGES(p->len); i++) {
            mm_pool_free_now(&srv->pool, p->src.list[i]);
        }
    } else if (p->owns_frames) {
        mm_pool_chain_free(&srv->pool, &p->chain);
    }
}

/* Fills srv->list with n single frames (n <= MM_LIST_FAST). NOMEM (none kept) when the
 * pool runs out. */
static mm_err_t alloc_list(mm_server_t *srv, map_plan_t *p, uint64_t n) {
    p->src.list = srv->list;
    for (uint64_t i = 0; i < n; i++) {
        if (!mm_pool_alloc(&srv->pool, MM_FROM_FREE, true, &srv->list[i])) {
            for (uint64_t k = 0; k < i; k++) {
                mm_pool_free_now(&srv->pool, srv->list[k]);
            }
            p->owns_frames = false;
            return MM_ERR_NOMEM;
        }
    }
    return MM_OK;
}

/* libpt's frame source over the plan's chain (pt_frames_fn). */
static bool chain_run(void *ctx, uint64_t off, pt_paddr_t *pa, uint64_t *bytes) {
    map_plan_t *p = ctx;
    return mm_pool_chain_run(&p->srv->pool, &p->chain, off, pa, bytes);
}

/* The largest block order worth asking for at va with pages pages left: a 1 GiB block where
 * va is 1 GiB-aligned and one fits, a 2 MiB block likewise, else 0 (single frames). */
static unsigned huge_order(pt_vaddr_t va, uint64_t pages) {
    static const unsigned orders[] = {MM_ORDER_1G, MM_ORDER_2M};
    for (unsigned i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
        if (!(va & ((MM_PAGE << orders[i]) - 1)) && pages >= (1ull << orders[i])) {
            return orders[i];
        }
    }
    return 0;
}

/* Frames for an eager map, in order: up to MM_LIST_FAST single frames in srv->list, or
 * chained in p->chain. MM_F_HUGE: a 1 GiB or 2 MiB block at every va aligned for one (a
 * smaller block, then single frames, when the pool has none: p->fallback says so), single
 * frames elsewhere; libpt puts a huge leaf on every aligned contiguous run it finds.
 * Otherwise single frames. NOMEM (none kept) when the pool runs out. */
static mm_err_t alloc_frames(mm_server_t *srv, map_plan_t *p) {
    uint64_t n = MM_PAGES(p->len);
    bool want_huge = p->flags & MM_F_HUGE;
    p->owns_frames = true;
    if (!want_huge && n <= MM_LIST_FAST) {
        return alloc_list(srv, p, n); /* the common small map: a list is the shortest path */
    }
    mm_chain_init(&p->chain);
    p->src.list = NULL; /* free_frames: the chain holds them, even half-filled */
    for (uint64_t done = 0; done < n;) {
        unsigned order = want_huge ? huge_order(p->va + done * MM_PAGE, n - done) : 0;
        while (order && !mm_pool_chain_add(&srv->pool, &p->chain, order)) {
            order = order > MM_ORDER_2M ? MM_ORDER_2M : 0;
            p->fallback = p->fallback || order == 0;
        }
        if (order == 0 && !mm_pool_chain_add(&srv->pool, &p->chain, 0)) {
            free_frames(srv, p);
            return MM_ERR_NOMEM;
        }
        done += 1ull << order;
    }
    p->huge = want_huge;
    p->srv = srv;
    if (p->chain.chunks == 1) {
        p->src.base = mm_pool_chain_first(&srv->pool, &p->chain); /* one run: libpt's fastest */
    } else {
        p->src.next = chain_run;
        p->src.ctx = p;
    }
    return MM_OK;
}

/* The one libpt call of a map. */
static pt_err_t apply(mm_client_t *c, const map_plan_t *p, pt_result_t *res) {
    if (p->flags & MM_F_LAZY) {
        mm_mem_zero(res, sizeof(*res));
        return p->old_pages ? pt_unmap(&c->space, p->va, p->len, PT_SKIP_HOLES, res) : PT_OK;
    }
    uint32_t flags =
        (p->flags & MM_F_OVERWRITE ? PT_MAP_OVERWRITE : 0) | (p->huge ? PT_MAP_HUGE : 0);
    pt_attr_t attr = mm_attr(p->region.perm, p->region.memtype);
    return pt_map(&c->space, p->va, p->len, &p->src, attr, flags, res);
}

/* Runs a checked plan: region nodes, charge, frames, libpt, then regions, flush and reply. */
static mm_err_t execute(mm_server_t *srv, mm_client_t *c, map_plan_t *p, uint64_t *reply) {
    pt_result_t res;
    uint64_t where = p->va;
    mm_err_t err = plan_overlap(c, p, &where);
    err = err == MM_OK ? charge(srv, c, p) : err;
    if (err == MM_OK && !(p->flags & MM_F_LAZY) && p->region.kind != MM_KIND_DEVICE) {
        err = alloc_frames(srv, p);
        if (err != MM_OK) {
            uncharge(srv, c, p);
        }
    }
    if (err != MM_OK) {
        mm_region_trim(c);
        reply[MM_R_WHERE] = where;
        return err;
    }
    pt_err_t perr = apply(c, p, &res);
    if (perr != PT_OK) {
        free_frames(srv, p);
        uncharge(srv, c, p);
        mm_region_trim(c);
        reply[MM_R_WHERE] = res.fault_va;
        return mm_space_err(c, perr);
    }
    mm_region_replace(c, &p->region);
    mm_space_commit(c, &res);
    mm_region_trim(c); /* node frames the edit emptied: after the flush, like every frame */
    settle(srv, c, p); /* after the commit: tables it freed came back promised */
    bool lazy = p->flags & MM_F_LAZY;
    reply[MM_R_MAP_VA] = p->va;
    reply[MM_R_MAP_RESERVED] = MM_PAGES(p->len);
    reply[MM_R_MAP_PAGES] = lazy ? 0 : res.pages;
    reply[MM_R_MAP_HUGE] = lazy ? 0 : res.pages - (res.leaves - res.huge_leaves);
    reply[MM_R_MAP_PERM] = p->region.perm;
    reply[MM_R_MAP_DONE] = p->fallback ? MM_DONE_HUGE_FALLBACK : 0;
    return MM_OK;
}

/* Checks that flags, perm and address fit together, placing an MM_F_ANYWHERE map. */
static mm_err_t door(mm_server_t *srv, mm_client_t *c, map_plan_t *p, uint64_t pa,
                     uint64_t *reply) {
    uint64_t *where = &reply[MM_R_WHERE];
    mm_err_t err = MM_OK;
    if ((p->flags & MM_F_ANYWHERE) && (p->flags & MM_F_OVERWRITE)) {
        return MM_ERR_INVAL; /* nothing to overwrite in a free range: a confused caller */
    }
    if (p->flags & MM_F_ANYWHERE) {
        err = place(srv, c, p, p->flags & MM_F_HUGE ? MM_HUGE : MM_PAGE, pa, where);
    }
    err = err == MM_OK ? mm_door_range(srv, p->va, p->len, where) : err;
    return err == MM_OK ? mm_door_perm(srv, p->region.perm, p->region.memtype) : err;
}

mm_err_t mm_req_map(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t perm = req[MM_A_MAP_PERM], flags = req[MM_A_MAP_FLAGS];
    if (mm_door_bits(perm, flags, MM_F_ALL) != MM_OK ||
        ((flags & MM_F_LAZY) && (flags & MM_F_HUGE))) {
        return MM_ERR_INVAL; /* a lazy page is filled 4 KiB at a time: HUGE would be a lie */
    }
    bool lazy = flags & MM_F_LAZY;
    map_plan_t p;
    plan_init(&p, req[MM_A_MAP_VA], req[MM_A_MAP_LEN], flags, perm);
    p.region.kind = lazy ? MM_KIND_LAZY : MM_KIND_ANON;
    mm_err_t err = door(srv, c, &p, 0, reply);
    if (err != MM_OK) {
        return err;
    }
    p.region.base = p.va;
    p.region.len = p.len;
    p.charge = MM_PAGES(p.len);
    p.unbacked = lazy ? p.charge : 0;
    return execute(srv, c, &p, reply);
}

/* Checks the physical side of a device map: aligned, not wrapping, outside the pool. */
static mm_err_t check_phys(const mm_server_t *srv, uint64_t pa, uint64_t len, uint64_t *where) {
    *where = pa;
    if (pa & (MM_PAGE - 1)) {
        return MM_ERR_ALIGN;
    }
    if (pa + len < pa) {
        return MM_ERR_OVERFLOW;
    }
    if ((pa + len - 1) >> srv->cfg.fmt->pa_bits) {
        return MM_ERR_RANGE;
    }
    return mm_pool_overlaps(&srv->pool, pa, len) ? MM_ERR_DENIED : MM_OK;
}

mm_err_t mm_req_map_device(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t perm = req[MM_A_DEV_PERM], flags = req[MM_A_DEV_FLAGS], type = req[MM_A_DEV_TYPE];
    uint64_t pa = req[MM_A_DEV_PA];
    if (mm_door_bits(perm, flags, MM_F_ANYWHERE | MM_F_OVERWRITE | MM_F_HUGE) != MM_OK ||
        type >= MM_MEM_COUNT_) {
        return MM_ERR_INVAL;
    }
    if (!c->privileged) {
        return MM_ERR_DENIED;
    }
    map_plan_t p;
    plan_init(&p, req[MM_A_DEV_VA], req[MM_A_DEV_LEN], flags, perm);
    p.region.kind = MM_KIND_DEVICE;
    p.region.memtype = (uint8_t)type;
    mm_err_t err = door(srv, c, &p, pa, reply);
    err = err == MM_OK ? check_phys(srv, pa, p.len, &reply[MM_R_WHERE]) : err;
    if (err != MM_OK) {
        return err;
    }
    p.region.base = p.va;
    p.region.len = p.len;
    p.region.pa = pa;
    p.src.base = pa;
    p.huge = flags & MM_F_HUGE;
    return execute(srv, c, &p, reply);
}
