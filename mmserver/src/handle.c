/*
 * The front of the core: set-up, and mm_handle, which the IPC loop calls with a message's
 * label and words and whose reply words it sends back.
 */
#include "door.h"

mm_err_t mm_init(mm_server_t *srv, const mm_config_t *cfg) {
    const mm_kernel_ops_t *k = &cfg->kernel;
    if (!cfg->fmt || !k->register_root || !k->unregister_root || !k->flush || !k->kill) {
        return MM_ERR_INVAL;
    }
    if (cfg->kmem_frames && (!k->give_kmem || !k->take_kmem)) {
        return MM_ERR_INVAL;
    }
    mm_mem_zero(srv, sizeof(*srv));
    mm_mem_copy(&srv->cfg, cfg, sizeof(*cfg)); /* a struct copy could become memcpy */
    srv->user_top = MM_USER_TOP(cfg->fmt->va_bits);
    mmboot_range_t one = {cfg->pool_pa, cfg->pool_frames};
    const mmboot_range_t *ranges = cfg->pool_ranges ? cfg->pool_ranges : &one;
    uint32_t n = cfg->pool_ranges ? cfg->pool_nranges : 1;
    mm_err_t err = mm_pool_init(&srv->pool, cfg->pool_pa, cfg->pool_va, ranges, n);
    srv->pool.zero_pages = cfg->zero_pages;
    if (err == MM_OK && !mm_grow(srv, (void **)&srv->client, &srv->clients, sizeof(mm_client_t),
                                 MM_CLIENTS_INITIAL - 1)) {
        err = MM_ERR_NOMEM;
    }
    return err;
}

/* Memory for a table of bytes: the caller's hook, or whole frames of the pool. */
static void *meta_alloc(mm_server_t *srv, uint64_t bytes) {
    if (srv->cfg.meta_alloc) {
        return srv->cfg.meta_alloc(srv->cfg.meta_ctx, bytes);
    }
    uint64_t n = (bytes + MM_PAGE - 1) / MM_PAGE;
    unsigned order = 0;
    while ((1ull << order) < n) {
        order++;
    }
    pt_paddr_t pa;
    if (!mm_pool_alloc_block(&srv->pool, order, &pa)) {
        return NULL;
    }
    for (uint64_t i = n; i < (1ull << order); i++) { /* the block's tail is not needed */
        mm_pool_free_now(&srv->pool, pa + i * MM_PAGE);
    }
    srv->meta_frames += n;
    return mm_pool_ptr(&srv->pool, pa); /* zeroed by the block's allocation */
}

/* Gives back what meta_alloc(srv, bytes) returned. */
static void meta_free(mm_server_t *srv, void *p, uint64_t bytes) {
    if (!p || srv->cfg.meta_alloc) {
        if (p) {
            srv->cfg.meta_free(srv->cfg.meta_ctx, p, bytes);
        }
        return;
    }
    uint64_t n = (bytes + MM_PAGE - 1) / MM_PAGE;
    pt_paddr_t pa = srv->pool.pa + (pt_paddr_t)((uint8_t *)p - srv->pool.va);
    for (uint64_t i = 0; i < n; i++) {
        mm_pool_free_now(&srv->pool, pa + i * MM_PAGE);
    }
    srv->meta_frames -= n;
}

/* See mm.h. Client records hold pointers to themselves (their libpt hooks' context), so
 * after a move each active one is pointed at its new place. */
bool mm_grow(mm_server_t *srv, void **arr, uint64_t *count, uint64_t elem, uint64_t need) {
    if (need < *count) {
        return true;
    }
    uint64_t n = *count * 2 > need + 1 ? *count * 2 : need + 1;
    uint8_t *fresh = meta_alloc(srv, n * elem);
    if (!fresh) {
        return false;
    }
    mm_mem_zero(fresh, n * elem);
    if (*arr) {
        mm_mem_copy(fresh, *arr, *count * elem);
    }
    meta_free(srv, *arr, *count * elem);
    if ((void **)arr == (void **)&srv->client) {
        mm_client_t *c = (mm_client_t *)(void *)fresh;
        for (uint64_t i = 0; i < *count; i++) {
            c[i].space.hooks.ctx = &c[i];
        }
    }
    *arr = fresh;
    *count = n;
    return true;
}

/* The protocol's layout facts: every word index fits its message, and the memory types
 * the protocol names are the ones mm_attr translates. */
_Static_assert(MM_A_DEV_FLAGS < MM_REQ_WORDS && MM_A_SHR_PERM < MM_REQ_WORDS &&
                   MM_A_ACC_MAX < MM_REQ_WORDS && MM_A_MAP_FLAGS < MM_REQ_WORDS,
               "request words");
_Static_assert(MM_R_MAP_DONE < MM_REPLY_WORDS && MM_R_Q_PEER < MM_REPLY_WORDS &&
                   MM_R_ST_BACKED < MM_REPLY_WORDS && MM_R_REL_CHARGE < MM_REPLY_WORDS,
               "reply words");
_Static_assert(MM_MEM_COUNT_ == PT_MEM_COUNT_, "one protocol memory type per libpt type");

/* The handler of each label. */
static const mm_handler_fn handlers[MM_LABEL_COUNT_] = {
    [MM_MAP] = mm_req_map,
    [MM_UNMAP] = mm_req_unmap,
    [MM_PROTECT] = mm_req_protect,
    [MM_QUERY] = mm_req_query,
    [MM_SHARE_ACCEPT] = mm_req_accept,
    [MM_SHARE] = mm_req_share,
    [MM_DECOMMIT] = mm_req_decommit,
    [MM_MAP_DEVICE] = mm_req_map_device,
    [MM_STATS] = mm_req_stats,
};

mm_err_t mm_handle(mm_server_t *srv, uint32_t client, uint64_t label, const uint64_t *req,
                   uint64_t *reply) {
    for (unsigned i = 0; i < MM_REPLY_WORDS; i++) {
        reply[i] = 0;
    }
    if (label == 0 || label >= MM_LABEL_COUNT_ || !handlers[label]) {
        return MM_ERR_INVAL; /* MM_SPAWN, MM_CHILD, MM_PROGRAM: the process side's */
    }
    mm_client_t *c = mm_client(srv, client);
    if (!c) {
        return MM_ERR_NO_CLIENT;
    }
    mm_space_begin(c);
    mm_err_t err = handlers[label](srv, c, req, reply);
    for (unsigned i = 1; err != MM_OK && i < MM_REPLY_WORDS; i++) {
        reply[i] = 0; /* an error says where, and nothing else */
    }
    return err;
}
