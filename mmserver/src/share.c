/*
 * MM_SHARE_ACCEPT and MM_SHARE. A share needs both sides to agree: the receiver first
 * accepts a window (an address range, a sender, the most permissions it will take), and
 * the window is charged to the receiver like a lazy map (its pages and the tables they could
 * need), so a share never fails for the receiver's quota or costs the sender anything. The sender
 * then maps frames it has into part of that window: the same frames, each one more user; a frame
 * goes back to the pool when its last user drops it.
 *
 * The sender's permission is a ceiling: the shared pages' max permissions become exactly
 * what the sender gave, so the receiver can protect them down and back up to that, never
 * above (a read-only share stays read-only, and cannot be shared onward writable).
 */
#include "door.h"

/* Charges a window [va, va + len): its node (QUOTA / NOMEM), its pages and tables (QUOTA
 * past the quota, NOMEM when the pool cannot promise them). Only the node frame may be left
 * for mm_region_trim when it fails. */
static mm_err_t window_charge(mm_server_t *srv, mm_client_t *c, uint64_t va, uint64_t len) {
    uint64_t n = MM_PAGES(len), tables = mm_region_tables(c, va, len, MM_COVER_ADD);
    mm_err_t err = mm_region_reserve(c, 1);
    if (err != MM_OK) {
        return err;
    }
    if (c->data + n + tables + c->rframes > c->quota) {
        return MM_ERR_QUOTA;
    }
    if (!mm_pool_reserve(&srv->pool, n)) {
        return MM_ERR_NOMEM;
    }
    if (mm_space_promise(c, tables) != MM_OK) {
        mm_pool_unreserve(&srv->pool, n);
        return MM_ERR_NOMEM;
    }
    return MM_OK;
}

mm_err_t mm_req_accept(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t from = req[MM_A_ACC_FROM], va = req[MM_A_ACC_VA], len = req[MM_A_ACC_LEN];
    uint64_t max = req[MM_A_ACC_MAX];
    uint64_t *where = &reply[MM_R_WHERE], n = MM_PAGES(len);
    if (mm_door_bits(max, 0, 0) != MM_OK || max == 0 || from == c->id) {
        return MM_ERR_INVAL;
    }
    if (from >= srv->clients || !mm_client(srv, (uint32_t)from)) {
        return MM_ERR_NO_CLIENT;
    }
    mm_err_t err = mm_door_range(srv, va, len, where);
    err = err == MM_OK && (max & MM_PERM_W) && (max & MM_PERM_X) ? MM_ERR_WX : err;
    if (err != MM_OK) {
        return err;
    }
    if (mm_region_overlaps(c, va, len)) {
        return MM_ERR_EXISTS;
    }
    err = window_charge(srv, c, va, len);
    if (err != MM_OK) {
        mm_region_trim(c);
        return err;
    }
    mm_region_t r = {.base = va,
                     .len = len,
                     .peer = (uint32_t)from,
                     .perm = 0,
                     .maxperm = (uint8_t)max,
                     .kind = MM_KIND_SHARED,
                     .memtype = MM_MEM_NORMAL};
    mm_region_replace(c, &r);
    mm_region_trim(c); /* a window merged with its neighbour leaves its node spare */
    c->data += n;
    c->unbacked += n;
    reply[MM_R_ACC_VA] = va;
    reply[MM_R_ACC_PAGES] = n;
    return MM_OK;
}

/* Checks the sender's side: regions cover the range, none is device memory, each allows
 * perm at most, and every page has a pool frame. */
static mm_err_t source_frames(mm_client_t *c, uint64_t va, uint64_t len, uint32_t perm,
                              uint64_t *where) {
    if (!mm_region_covered(c, va, len, where)) {
        return MM_ERR_NOT_MAPPED;
    }
    for (const mm_region_t *r = mm_region_find(c, va); r && r->base < va + len;
         r = mm_region_next(r)) {
        if (r->kind == MM_KIND_DEVICE || (perm & ~(uint32_t)r->maxperm)) {
            *where = r->base > va ? r->base : va;
            return MM_ERR_DENIED;
        }
    }
    for (uint64_t i = 0; i < MM_PAGES(len); i++) {
        pt_mapping_t m;
        *where = va + i * MM_PAGE;
        if (pt_query(&c->space, *where, &m) != PT_OK) {
            return MM_ERR_NOT_MAPPED; /* no frame yet: touch or map it eagerly first */
        }
    }
    return MM_OK;
}

/* The sender's frames, read from its tables: a share's frame source. */
typedef struct share_src {
    const mm_client_t *from;
    pt_vaddr_t va; /* the shared range's start in from's space */
} share_src_t;

/* libpt's frame source (pt_frames_fn) over the sender's leaves: the frame at offset off of
 * the range and the rest of its leaf. => source_frames found every page mapped. */
static bool share_run(void *ctx, uint64_t off, pt_paddr_t *pa, uint64_t *bytes) {
    const share_src_t *s = ctx;
    pt_mapping_t m;
    if (pt_query(&s->from->space, s->va + off, &m) != PT_OK) {
        return false;
    }
    *pa = m.pa;
    *bytes = (1ull << m.shift) - ((s->va + off) & ((1ull << m.shift) - 1));
    return true;
}

/* Checks the receiver's side: [dst, dst + len) is covered by windows accepted from
 * sender (one window, or the pieces earlier shares cut it into) whose max permissions
 * include perm, and holds no frame yet. */
static mm_err_t target_window(mm_client_t *t, uint32_t sender, uint64_t dst, uint64_t len,
                              uint32_t perm, uint64_t *where) {
    if (!mm_region_covered(t, dst, len, where)) {
        return MM_ERR_DENIED;
    }
    for (const mm_region_t *r = mm_region_find(t, dst); r && r->base < dst + len;
         r = mm_region_next(r)) {
        *where = r->base > dst ? r->base : dst;
        if (r->kind != MM_KIND_SHARED || r->peer != sender || (perm & ~(uint32_t)r->maxperm)) {
            return MM_ERR_DENIED;
        }
    }
    mm_scan_t held;
    mm_space_scan(t, dst, len, &held);
    *where = dst;
    if (held.pages) {
        return MM_ERR_EXISTS;
    }
    return mm_region_reserve(t, mm_region_splits(t, dst, len));
}

/* The door of a share: argument bits, both clients, both ranges, W^X and the format. */
static mm_err_t share_door(mm_server_t *srv, mm_client_t *c, const uint64_t *req, mm_client_t **t,
                           uint64_t *where) {
    uint64_t perm = req[MM_A_SHR_PERM], to = req[MM_A_SHR_TO], len = req[MM_A_SHR_LEN];
    if (mm_door_bits(perm, 0, 0) != MM_OK || to == c->id) {
        return MM_ERR_INVAL;
    }
    *t = to < srv->clients ? mm_client(srv, (uint32_t)to) : NULL;
    if (!*t) {
        return MM_ERR_NO_CLIENT;
    }
    mm_err_t err = mm_door_range(srv, req[MM_A_SHR_VA], len, where);
    err = err == MM_OK ? mm_door_range(srv, req[MM_A_SHR_DST_VA], len, where) : err;
    return err == MM_OK ? mm_door_perm(srv, (uint32_t)perm, MM_MEM_NORMAL) : err;
}

mm_err_t mm_req_share(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply) {
    uint64_t va = req[MM_A_SHR_VA], len = req[MM_A_SHR_LEN], dst = req[MM_A_SHR_DST_VA];
    uint32_t perm = (uint32_t)req[MM_A_SHR_PERM];
    uint64_t *where = &reply[MM_R_WHERE];
    mm_client_t *t = NULL;
    mm_err_t err = share_door(srv, c, req, &t, where);
    err = err == MM_OK ? source_frames(c, va, len, perm, where) : err;
    err = err == MM_OK ? target_window(t, c->id, dst, len, perm, where) : err;
    if (err != MM_OK) {
        if (t) {
            mm_region_trim(t);
        }
        return err;
    }
    share_src_t from = {c, va};
    pt_frames_t src = {.list = NULL, .base = 0, .next = share_run, .ctx = &from};
    pt_result_t res;
    mm_space_begin(t);
    pt_err_t perr = pt_map(&t->space, dst, len, &src, mm_attr(perm, MM_MEM_NORMAL), 0, &res);
    if (perr != PT_OK) {
        mm_region_trim(t);
        *where = res.fault_va;
        return mm_space_err(t, perr);
    }
    uint64_t n = MM_PAGES(len);
    for (uint64_t i = 0; i < n; i++) {
        pt_paddr_t pa;
        uint64_t bytes;
        share_run(&from, i * MM_PAGE, &pa, &bytes);
        mm_pool_get(&srv->pool, pa);
    }
    mm_region_set(t, dst, len, perm, true); /* the sender's perm is a ceiling (see top) */
    t->unbacked -= n;
    mm_pool_unreserve(&srv->pool, n);
    mm_space_commit(t, &res);
    mm_region_trim(t);
    reply[MM_R_SHR_PAGES] = n;
    reply[MM_R_SHR_PERM] = perm;
    return MM_OK;
}
