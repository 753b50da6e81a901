/*
 * Requests on ranges that must already be mapped: MM_UNMAP, MM_DECOMMIT, MM_PROTECT, and
 * the read-only MM_QUERY and MM_STATS. Each checks the range at the door, then that
 * regions cover it without a gap, then the resources it needs, and only then changes it,
 * in one libpt call.
 */
#include "door.h"

/* The door plus coverage: the range passes mm_door_range and lies inside regions. */
static mm_err_t covered(mm_server_t *srv, mm_client_t *c, uint64_t va, uint64_t len,
                        uint64_t *where) {
    mm_err_t err = mm_door_range(srv, va, len, where);
    if (err == MM_OK && !mm_region_covered(c, va, len, where)) {
        return MM_ERR_NOT_MAPPED;
    }
    return err;
}

/* Reserves the region nodes carving [va, va + len) takes: QUOTA or NOMEM when it cannot
 * (the request then ends with mm_region_trim, which gives back what was taken). */
static mm_err_t carve_room(mm_client_t *c, uint64_t va, uint64_t len) {
    return mm_region_reserve(c, mm_region_splits(c, va, len));
}

/* Drops every leaf of [va, va + len) (holes allowed: lazy pages). The error, if any, is
 * libpt's, with reply[MM_R_WHERE] set. */
static mm_err_t drop_leaves(mm_client_t *c, uint64_t va, uint64_t len, pt_result_t *res,
                            uint64_t *reply) {
    pt_err_t err = pt_unmap(&c->space, va, len, PT_SKIP_HOLES, res);
    if (err != PT_OK) {
        reply[MM_R_WHERE] = res->fault_va;
        return mm_space_err(c, err);
    }
    return MM_OK;
}

mm_err_t mm_req_unmap(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t va = req[MM_A_VA], len = req[MM_A_LEN];
    mm_err_t err = covered(srv, c, va, len, &reply[MM_R_WHERE]);
    err = err == MM_OK ? carve_room(c, va, len) : err;
    if (err != MM_OK) {
        mm_region_trim(c);
        return err;
    }
    mm_scan_t old;
    mm_space_scan(c, va, len, &old);
    uint64_t charged = mm_region_charged(c, va, len);
    uint64_t tables = mm_region_tables(c, va, len, MM_COVER_REMOVE);
    pt_result_t res;
    err = drop_leaves(c, va, len, &res, reply);
    if (err != MM_OK) {
        mm_region_trim(c);
        return err;
    }
    mm_region_remove(c, va, len);
    c->data -= charged;
    c->unbacked -= charged - old.backed;
    mm_pool_unreserve(&srv->pool, charged - old.backed);
    reply[MM_R_REL_FREED] = mm_space_commit(c, &res);
    mm_region_trim(c);          /* after the flush, like every frame */
    mm_space_settle(c, tables); /* after the commit: the tables it freed came back promised */
    reply[MM_R_REL_PAGES] = res.pages;
    reply[MM_R_REL_UNRES] = MM_PAGES(len);
    reply[MM_R_REL_CHARGE] = mm_charge(c);
    return MM_OK;
}

/* INVAL at the first device region inside [va, va + len): device memory has no frames
 * of the pool to drop. */
static mm_err_t no_device(const mm_client_t *c, uint64_t va, uint64_t len, uint64_t *where) {
    for (const mm_region_t *r = mm_region_find(c, va); r && r->base < va + len;
         r = mm_region_next(r)) {
        if (r->kind == MM_KIND_DEVICE) {
            *where = r->base > va ? r->base : va;
            return MM_ERR_INVAL;
        }
    }
    return MM_OK;
}

mm_err_t mm_req_decommit(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t va = req[MM_A_VA], len = req[MM_A_LEN];
    mm_err_t err = covered(srv, c, va, len, &reply[MM_R_WHERE]);
    err = err == MM_OK ? no_device(c, va, len, &reply[MM_R_WHERE]) : err;
    if (err != MM_OK) {
        return err;
    }
    /* Every dropped page is promised a frame again. Frames it was the last user of come
     * back after the flush and then cover their own promise; shared ones (still used
     * elsewhere) need a free frame promised now, before libpt may take one for a split. */
    mm_scan_t old;
    mm_space_scan(c, va, len, &old);
    if (!mm_pool_reserve(&srv->pool, old.backed - old.last)) {
        return MM_ERR_NOMEM;
    }
    pt_result_t res;
    err = drop_leaves(c, va, len, &res, reply);
    if (err != MM_OK) {
        mm_pool_unreserve(&srv->pool, old.backed - old.last);
        return err;
    }
    reply[MM_R_REL_FREED] = mm_space_commit(c, &res);
    mm_pool_promise_returned(&srv->pool, old.last);
    c->unbacked += old.backed;
    reply[MM_R_REL_PAGES] = res.pages;
    reply[MM_R_REL_CHARGE] = mm_charge(c);
    return MM_OK;
}

/* DENIED at the first region inside [va, va + len) whose max permissions lack some of perm. */
static mm_err_t within_max(const mm_client_t *c, uint64_t va, uint64_t len, uint32_t perm,
                           uint64_t *where) {
    for (const mm_region_t *r = mm_region_find(c, va); r && r->base < va + len;
         r = mm_region_next(r)) {
        if (perm & ~(uint32_t)r->maxperm) {
            *where = r->base > va ? r->base : va;
            return MM_ERR_DENIED;
        }
    }
    return MM_OK;
}

mm_err_t mm_req_protect(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t va = req[MM_A_VA], len = req[MM_A_LEN], perm = req[MM_A_PERM];
    uint64_t *where = &reply[MM_R_WHERE];
    mm_err_t err = mm_door_bits(perm, 0, 0);
    err = err == MM_OK ? covered(srv, c, va, len, where) : err;
    err = err == MM_OK ? mm_door_perm(srv, (uint32_t)perm, MM_MEM_NORMAL) : err;
    err = err == MM_OK ? within_max(c, va, len, (uint32_t)perm, where) : err;
    err = err == MM_OK ? carve_room(c, va, len) : err;
    if (err != MM_OK) {
        mm_region_trim(c);
        return err;
    }
    pt_result_t res;
    pt_err_t perr = pt_protect(&c->space, va, len, mm_attr((uint32_t)perm, 0), PT_SKIP_HOLES, &res);
    if (perr != PT_OK) {
        mm_region_trim(c);
        *where = res.fault_va;
        return mm_space_err(c, perr);
    }
    mm_region_set(c, va, len, (uint32_t)perm, false);
    mm_space_commit(c, &res);
    mm_region_trim(c);
    reply[MM_R_PROT_PAGES] = res.pages;
    reply[MM_R_PROT_PERM] = perm;
    reply[MM_R_PROT_SPLITS] = res.tables_added;
    return MM_OK;
}

mm_err_t mm_req_query(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t va = req[MM_A_VA];
    mm_err_t err = covered(srv, c, va & ~(MM_PAGE - 1), MM_PAGE, &reply[MM_R_WHERE]);
    if (err != MM_OK) {
        reply[MM_R_WHERE] = va;
        return err;
    }
    const mm_region_t *r = mm_region_at(c, va);
    pt_mapping_t m;
    bool present = pt_query(&c->space, va, &m) == PT_OK;
    reply[MM_R_Q_BASE] = r->base;
    reply[MM_R_Q_LEN] = r->len;
    reply[MM_R_Q_PERM] =
        r->perm | (uint64_t)r->maxperm << 8 | (uint64_t)r->kind << 16 | (uint64_t)r->memtype << 24;
    reply[MM_R_Q_FRAME] = !present ? 0 : c->privileged ? m.pa : MM_FRAME_HIDDEN;
    reply[MM_R_Q_SHIFT] = present ? m.shift : 0;
    reply[MM_R_Q_PEER] = r->kind == MM_KIND_SHARED ? r->peer : 0;
    return MM_OK;
}

/* See mm.h. */
bool mm_frame_of(const mm_server_t *srv, uint32_t client, pt_vaddr_t va, pt_paddr_t *pa) {
    const mm_client_t *c = client < MM_MAX_CLIENTS ? &srv->client[client] : NULL;
    pt_mapping_t m;
    if (!c || !c->active || pt_query(&c->space, va, &m) != PT_OK) {
        return false;
    }
    *pa = m.pa;
    return true;
}

mm_err_t mm_req_stats(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    (void)req;
    mm_scan_t all;
    mm_space_scan(c, MM_USER_BASE, srv->user_top - MM_USER_BASE, &all);
    reply[MM_R_ST_CHARGE] = mm_charge(c);
    reply[MM_R_ST_QUOTA] = c->quota;
    reply[MM_R_ST_TABLES] = c->tables_max;
    reply[MM_R_ST_POOL] = mm_pool_available(&srv->pool);
    reply[MM_R_ST_REGIONS] = c->nregions;
    reply[MM_R_ST_BACKED] = all.backed;
    return MM_OK;
}
