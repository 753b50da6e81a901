/*
 * The test environment: the fake kernel, the RAM window, request helpers, the invariant
 * sweep, snapshots and the failure-injection driver.
 */
#include "mmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kernel.register_root: records the root (refuses when the test says so). */
static bool k_register(void *ctx, uint32_t client, pt_paddr_t root) {
    mmt_env_t *e = ctx;
    if (e->k.refuse_root) {
        return false;
    }
    cr_assert_eq(e->k.root[client], 0, "root registered twice for client %u", client);
    e->k.root[client] = root;
    e->k.registers++;
    return true;
}

/* kernel.unregister_root: forgets it. */
static void k_unregister(void *ctx, uint32_t client) {
    mmt_env_t *e = ctx;
    cr_assert_neq(e->k.root[client], 0, "unregister of client %u without a root", client);
    e->k.root[client] = 0;
    e->k.unregisters++;
}

/* kernel.flush: records the flush and the pool as it is at that moment. */
static void k_flush(void *ctx, uint32_t client, const pt_flush_t *fl) {
    mmt_env_t *e = ctx;
    cr_assert_neq(e->k.root[client], 0, "flush for client %u without a root", client);
    e->k.flushes++;
    e->k.last_flush_client = client;
    e->k.last_flush = *fl;
    e->k.free_at_flush = e->srv->pool.free;
    e->k.pending_at_flush = e->srv->pool.pending;
}

/* kernel.kill: records it. */
static void k_kill(void *ctx, uint32_t client, mm_kill_reason_t reason) {
    mmt_env_t *e = ctx;
    (void)client;
    e->k.kills++;
    e->k.last_kill = reason;
}

/* mm_config_t.zero_pages as a machine would give it: whole pages, zeroed. */
static void mmt_zero_pages(void *va, uint64_t pages) {
    memset(va, 0, pages * PG);
}

/* Space flags that let fmt express every memory type. */
static uint32_t space_flags(const pt_format_t *fmt) {
    return fmt == &pt_format_sv48 || fmt == &pt_format_sv39 ? PT_FEAT_SVPBMT : 0;
}

void mmt_init(mmt_env_t *e, const pt_format_t *fmt, uint64_t frames) {
    memset(e, 0, sizeof(*e));
    e->fmt = fmt;
    e->frames = frames ? frames : MMT_POOL_FRAMES;
    e->ram = aligned_alloc(PG, e->frames * PG);
    e->srv = calloc(1, sizeof(*e->srv));
    cr_assert(e->ram && e->srv);
    memset(e->ram, 0xa5, e->frames * PG); /* garbage: the pool must zero what it hands out */
    mm_config_t cfg = {
        .fmt = fmt,
        .space_flags = space_flags(fmt),
        .kernel = {e, k_register, k_unregister, k_flush, k_kill},
        .pool_pa = MMT_POOL_PA,
        .pool_va = e->ram,
        .pool_frames = e->frames,
        /* Both ways of zeroing a frame are tried: the machine's (here a counted memset) for
         * two formats, the core's own loop for the other two; the garbage above shows
         * either one missing a byte. */
        .zero_pages = fmt == &pt_format_x86_64 || fmt == &pt_format_sv48 ? mmt_zero_pages : NULL,
    };
    cr_assert_eq(mm_init(e->srv, &cfg), MM_OK);
    e->start_available = mm_pool_available(&e->srv->pool);
    e->sweep = true;
}

void mmt_fini(mmt_env_t *e) {
    mmt_check(e);
    for (uint32_t id = 0; id < MM_MAX_CLIENTS; id++) {
        if (e->srv->client[id].active) {
            cr_assert_eq(mm_client_destroy(e->srv, id), MM_OK);
        }
    }
    mm_pool_t *p = &e->srv->pool;
    cr_assert_eq(p->free, p->frames - p->meta, "%s: %llu frames not back in the pool", e->fmt->name,
                 (unsigned long long)(p->frames - p->meta - p->free));
    cr_assert_eq(p->reserved, 0, "%s: %llu frames still promised", e->fmt->name,
                 (unsigned long long)p->reserved);
    cr_assert_eq(mm_pool_available(p), e->start_available);
    cr_assert_eq(e->k.registers, e->k.unregisters, "every root registered was unregistered");
    free(e->ram);
    free(e->srv);
}

void mmt_start(mmt_env_t *e, const pt_format_t *fmt) {
    mmt_init(e, fmt, 0);
    mmt_client(e, 1, MMT_QUOTA, false);
}

void mmt_client(mmt_env_t *e, uint32_t id, uint64_t quota, bool privileged) {
    cr_assert_eq(mm_client_create(e->srv, id, quota, privileged), MM_OK);
}

mm_err_t mmt_req(mmt_env_t *e, uint32_t client, uint64_t label, uint64_t w0, uint64_t w1,
                 uint64_t w2, uint64_t w3, uint64_t w4, uint64_t w5) {
    uint64_t req[MM_REQ_WORDS] = {w0, w1, w2, w3, w4, w5};
    uint64_t flushes = e->k.flushes;
    mm_err_t err = mm_handle(e->srv, client, label, req, e->reply);
    if (getenv("MMT_TRACE")) {
        fprintf(stderr, "req c%u L%llu %#llx %#llx %#llx %#llx %#llx %#llx -> %s\n", client,
                (unsigned long long)label, (unsigned long long)w0, (unsigned long long)w1,
                (unsigned long long)w2, (unsigned long long)w3, (unsigned long long)w4,
                (unsigned long long)w5, mm_strerror(err));
    }
    cr_assert(e->k.flushes - flushes <= 1, "%s: label %llu made %llu flushes", e->fmt->name,
              (unsigned long long)label, (unsigned long long)(e->k.flushes - flushes));
    cr_assert(err == MM_OK || e->k.flushes == flushes, "%s: a failed request flushed",
              e->fmt->name);
    cr_assert_eq(e->srv->pool.pending, 0, "%s: frames left pending", e->fmt->name);
    for (unsigned i = 1; err != MM_OK && i < MM_REPLY_WORDS; i++) {
        cr_assert_eq(e->reply[i], 0, "%s: error reply word %u is not zero", e->fmt->name, i);
    }
    if (e->sweep) {
        mmt_check(e);
    }
    return err;
}

mm_err_t mmt_map(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len, uint64_t perm,
                 uint64_t flags) {
    return mmt_req(e, c, MM_MAP, va, len, perm, flags, 0, 0);
}

mm_err_t mmt_unmap(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len) {
    return mmt_req(e, c, MM_UNMAP, va, len, 0, 0, 0, 0);
}

mm_err_t mmt_protect(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len, uint64_t perm) {
    return mmt_req(e, c, MM_PROTECT, va, len, perm, 0, 0, 0);
}

mm_err_t mmt_decommit(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len) {
    return mmt_req(e, c, MM_DECOMMIT, va, len, 0, 0, 0, 0);
}

mm_err_t mmt_accept(mmt_env_t *e, uint32_t c, uint64_t from, uint64_t va, uint64_t len,
                    uint64_t max) {
    return mmt_req(e, c, MM_SHARE_ACCEPT, from, va, len, max, 0, 0);
}

mm_err_t mmt_share(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len, uint64_t to, uint64_t dst,
                   uint64_t perm) {
    return mmt_req(e, c, MM_SHARE, va, len, to, dst, perm, 0);
}

pt_paddr_t mmt_frame(mmt_env_t *e, uint32_t c, uint64_t va) {
    pt_mapping_t m;
    return pt_query(&e->srv->client[c].space, va, &m) == PT_OK ? m.pa : 0;
}

uint8_t *mmt_bytes(mmt_env_t *e, pt_paddr_t pa) {
    cr_assert(pa >= MMT_POOL_PA && pa < MMT_POOL_PA + e->frames * PG, "%#llx not in the pool",
              (unsigned long long)pa);
    return e->ram + (pa - MMT_POOL_PA);
}

bool mmt_zeroed(mmt_env_t *e, pt_paddr_t pa) {
    const uint8_t *b = mmt_bytes(e, pa);
    for (unsigned i = 0; i < PG; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

/* ---- invariants ------------------------------------------------------------------------ */

/* What the sweep counts over one client's leaves. */
typedef struct sweep {
    mmt_env_t *e;
    const mm_client_t *c;
    uint64_t *refs;             /* per pool frame: users found in the tables */
    uint64_t backed;            /* pool pages mapped */
    uint64_t tables;            /* tables seen (root excluded) */
    const mm_region_t *regions; /* c's regions, copied in address order */
    uint64_t nregions;
} sweep_t;

/* The permission bits a leaf's attributes are compared on. */
#define LEAF_PERM (PT_R | PT_W | PT_X | PT_U)

pt_attr_t mmt_region_attr(const mm_region_t *r) {
    static const uint8_t types[] = {
        [MM_MEM_NORMAL] = PT_MEM_NORMAL, [MM_MEM_DEVICE] = PT_MEM_DEVICE, [MM_MEM_WC] = PT_MEM_WC};
    cr_assert(r->memtype < sizeof(types), "region memory type %u", r->memtype);
    uint8_t perm = PT_U;
    perm |= (r->perm & MM_PERM_R ? PT_R : 0) | (r->perm & MM_PERM_W ? PT_W : 0);
    perm |= r->perm & MM_PERM_X ? PT_X : 0;
    return (pt_attr_t){.perm = perm, .memtype = types[r->memtype]};
}

/* Asserts the leaf m, at its page va, carries exactly the current permissions and memory
 * type of region r: a fill or a share with the region's max, a protect that left a bit
 * behind, or a leaf more than its region allows shows here after the request that made it. */
static void expect_region_attr(const sweep_t *s, const pt_mapping_t *m, const mm_region_t *r,
                               uint64_t va) {
    pt_attr_t want = mmt_region_attr(r);
    cr_assert((m->attr.perm & LEAF_PERM) == want.perm && m->attr.memtype == want.memtype,
              "%s: client %u: leaf at %#llx has perm %#x memtype %u, its region [%#llx, +%#llx) "
              "perm %#x (max %#x) memtype %u wants perm %#x memtype %u",
              s->e->fmt->name, s->c->id, (unsigned long long)va, m->attr.perm & LEAF_PERM,
              m->attr.memtype, (unsigned long long)r->base, (unsigned long long)r->len, r->perm,
              r->maxperm, r->memtype, want.perm, want.memtype);
}

/* pt_iterate visitor: counts tables and pool pages, checks each leaf against its region. */
static bool sweep_visit(void *ctx, const pt_mapping_t *m) {
    sweep_t *s = ctx;
    mm_pool_t *p = &s->e->srv->pool;
    if (m->is_table) {
        s->tables++;
        cr_assert(mm_pool_has(p, m->pa), "table %#llx not from the pool",
                  (unsigned long long)m->pa);
        s->refs[(m->pa - p->pa) / PG]++;
        return true;
    }
    for (uint64_t off = 0; off < (1ull << m->shift); off += PG) {
        uint64_t va = m->va + off;
        const mm_region_t *r = mmt_region_of(s->regions, s->nregions, va);
        cr_assert(r != NULL, "%s: leaf at %#llx outside every region", s->e->fmt->name,
                  (unsigned long long)va);
        expect_region_attr(s, m, r, va);
        if (r->kind == MM_KIND_DEVICE) {
            cr_assert_eq(m->pa + off, r->pa + (va - r->base), "device leaf frame");
            continue;
        }
        cr_assert(mm_pool_has(p, m->pa + off), "data leaf not from the pool");
        s->refs[(m->pa + off - p->pa) / PG]++;
        s->backed++;
    }
    return true;
}

uint64_t mmt_regions(const mm_client_t *c, mm_region_t **out) {
    uint64_t n = 0;
    *out = malloc((c->nregions + 1) * sizeof(**out));
    cr_assert(*out != NULL);
    for (const mm_region_t *r = mm_region_first(c); r; r = mm_region_next(r)) {
        cr_assert(n < c->nregions, "more regions in the tree than counted");
        (*out)[n++] = *r;
    }
    cr_assert_eq(n, c->nregions, "client %u: %llu regions in the tree, %llu counted", c->id,
                 (unsigned long long)n, (unsigned long long)c->nregions);
    return n;
}

const mm_region_t *mmt_region_nth(const mm_client_t *c, uint64_t i) {
    const mm_region_t *r = mm_region_first(c);
    for (; r && i > 0; i--) {
        r = mm_region_next(r);
    }
    cr_assert(r != NULL, "client %u has no region %llu", c->id, (unsigned long long)i);
    return r;
}

const mm_region_t *mmt_region_of(const mm_region_t *r, uint64_t n, uint64_t va) {
    uint64_t lo = 0, hi = n; /* binary search: the last region with base <= va */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (r[mid].base <= va) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo > 0 && va - r[lo - 1].base < r[lo - 1].len ? &r[lo - 1] : NULL;
}

bool mmt_mergeable(const mm_region_t *a, const mm_region_t *b) {
    return a->base + a->len == b->base && a->kind == b->kind && a->perm == b->perm &&
           a->maxperm == b->maxperm && a->memtype == b->memtype &&
           (a->kind != MM_KIND_SHARED || (a->peer == b->peer && a->peer != 0xffffffffu)) &&
           (a->kind != MM_KIND_DEVICE || a->pa + a->len == b->pa);
}

/* Tables (root included) that mapping every page of regions r[0, n) (sorted) with 4 KiB
 * leaves takes: at each level below the root, the distinct spans of one table there that
 * regions touch. Written apart from the core's own count (mm_region_tables, incremental
 * from a request's neighbours): the size of the union of each region's span interval, so
 * that a region of any length counts (a fixed set of spans ran out on a 560 MiB device
 * region: fuzz_mm's finding tables-many-spans). */
uint64_t mmt_tables_needed(const pt_format_t *fmt, const mm_region_t *r, uint64_t n) {
    uint64_t count = 1;
    for (unsigned lv = 0; lv + 1 < fmt->levels; lv++) {
        unsigned shift = 12 + 9 * (lv + 1);
        for (uint64_t i = 0; i < n;) {
            uint64_t a = r[i].base >> shift, b = (r[i].base + r[i].len - 1) >> shift;
            for (i++; i < n && r[i].base >> shift <= b; i++) { /* overlapping spans: one run */
                uint64_t e = (r[i].base + r[i].len - 1) >> shift;
                b = e > b ? e : b;
            }
            count += b - a + 1;
        }
    }
    return count;
}

/* Checks one client: sorted disjoint regions none of which could merge with the next, the
 * tree itself (mm_region_check), node frames, data charge, tables, unbacked pages. */
static void check_client(mmt_env_t *e, const mm_client_t *c, uint64_t *refs) {
    uint64_t data = 0, frames = 0;
    mm_region_t *regions;
    uint64_t n = mmt_regions(c, &regions);
    const char *why = mm_region_check(c);
    cr_assert(why == NULL, "%s: client %u: region tree: %s", e->fmt->name, c->id, why);
    for (uint64_t i = 0; i < n; i++) {
        const mm_region_t *r = &regions[i];
        cr_assert(r->len && !(r->base % PG) && !(r->len % PG), "region shape");
        cr_assert(i == 0 || regions[i - 1].base + regions[i - 1].len <= r->base,
                  "%s: regions overlap or are unsorted", e->fmt->name);
        cr_assert(i == 0 || !mmt_mergeable(&regions[i - 1], r),
                  "%s: client %u: regions at %#llx and %#llx are equal neighbours, not merged",
                  e->fmt->name, c->id, (unsigned long long)regions[i - 1].base,
                  (unsigned long long)r->base);
        data += r->kind == MM_KIND_DEVICE ? 0 : r->len / PG;
    }
    /* Node frames: each distinct frame holding a region node is a pool frame with one user,
     * and there are exactly as many as charged. */
    for (const mm_region_t *r = mm_region_first(c); r; r = mm_region_next(r)) {
        pt_paddr_t f = mm_region_frame(r);
        cr_assert(mm_pool_has(&e->srv->pool, f), "region node outside the pool");
        uint64_t i = (f - e->srv->pool.pa) / PG;
        if (refs[i] == 0) {
            refs[i] = 1;
            frames++;
        } else {
            cr_assert_eq(e->srv->pool.frame[i].ref, 1, "a node frame is in use elsewhere too");
        }
    }
    cr_assert_eq(frames, c->rframes, "%s: client %u: %llu node frames charged, %llu hold nodes",
                 e->fmt->name, c->id, (unsigned long long)c->rframes, (unsigned long long)frames);
    sweep_t s = {.e = e, .c = c, .refs = refs, .regions = regions, .nregions = n};
    pt_iterate(&c->space, MM_USER_BASE, e->srv->user_top - MM_USER_BASE, sweep_visit, &s);
    refs[(c->space.root - MMT_POOL_PA) / PG]++;
    uint64_t need = mmt_tables_needed(c->space.fmt, regions, n);
    free(regions);
    cr_assert_eq(c->data, data, "%s: client %u data charge %llu, regions hold %llu", e->fmt->name,
                 c->id, (unsigned long long)c->data, (unsigned long long)data);
    cr_assert_eq(c->tables, c->space.tables, "%s: table charge", e->fmt->name);
    cr_assert_eq(c->tables, s.tables + 1, "%s: tables charged %llu, reachable %llu", e->fmt->name,
                 (unsigned long long)c->tables, (unsigned long long)s.tables + 1);
    cr_assert_eq(c->tables_max, need, "%s: client %u charged %llu tables, needs %llu", e->fmt->name,
                 c->id, (unsigned long long)c->tables_max, (unsigned long long)need);
    cr_assert(c->tables <= c->tables_max, "%s: more tables held than charged", e->fmt->name);
    cr_assert(mm_charge(c) <= c->quota, "%s: client %u over its quota", e->fmt->name, c->id);
    cr_assert_eq(mm_charge(c), c->data + c->tables_max + c->rframes, "charge");
    cr_assert_eq(c->unbacked, data - s.backed, "%s: client %u: %llu unbacked, %llu - %llu",
                 e->fmt->name, c->id, (unsigned long long)c->unbacked, (unsigned long long)data,
                 (unsigned long long)s.backed);
}

/*
 * The invariants: per client, charge == data pages of its regions + its tables, and its
 * unbacked pages == data pages without a frame; per pool frame, the users the pool counts
 * == the times it appears in some table (as a leaf or a table); free + in use + metadata ==
 * pool size; the promised frames == all clients' unbacked pages <= free frames.
 */
void mmt_check(mmt_env_t *e) {
    mm_pool_t *p = &e->srv->pool;
    uint64_t *refs = calloc(p->frames, sizeof(*refs));
    uint64_t unbacked = 0, used = 0;
    cr_assert(refs != NULL);
    for (uint32_t id = 0; id < MM_MAX_CLIENTS; id++) {
        const mm_client_t *c = &e->srv->client[id];
        if (c->active) {
            check_client(e, c, refs);
            unbacked += c->unbacked + c->tables_max - c->tables;
        }
    }
    for (uint64_t i = p->meta; i < p->frames; i++) {
        cr_assert_eq(p->frame[i].ref, refs[i], "%s: frame %llu: pool says %u users, tables %llu",
                     e->fmt->name, (unsigned long long)i, p->frame[i].ref,
                     (unsigned long long)refs[i]);
        used += refs[i] != 0;
    }
    free(refs);
    cr_assert_eq(p->pending, 0);
    cr_assert_eq(p->free + used + p->meta, p->frames, "%s: free %llu + used %llu != size",
                 e->fmt->name, (unsigned long long)p->free, (unsigned long long)used);
    cr_assert_eq(p->reserved, unbacked, "%s: pool promised %llu, clients may need %llu",
                 e->fmt->name, (unsigned long long)p->reserved, (unsigned long long)unbacked);
    cr_assert(p->free >= p->reserved, "%s: promised more frames than are free", e->fmt->name);
}

/* See mmt.h. Level L's index is bits [12 + 9 L, 21 + 9 L) of va on every format. */
bool mmt_leaf(mmt_env_t *e, uint32_t c, uint64_t va, pt_paddr_t *pa, pt_attr_t *attr) {
    const pt_space_t *sp = &e->srv->client[c].space;
    pt_paddr_t table = sp->root;
    for (int level = e->fmt->levels - 1; level >= 0; level--) {
        const uint64_t *t = (const uint64_t *)mmt_bytes(e, table);
        uint64_t raw = t[(va >> (12 + 9 * level)) & (PT_ENTRIES - 1)];
        if (raw == 0) {
            return false;
        }
        pt_paddr_t next = 0;
        pt_attr_t a = {0, 0};
        pt_kind_t k = e->fmt->decode(raw, (unsigned)level, sp->flags, &next, &a);
        if (k == PT_KIND_LEAF) {
            *pa = next + (va & ((1ull << (12 + 9 * level)) - 1));
            *attr = a;
            return true;
        }
        cr_assert(k == PT_KIND_TABLE && level > 0, "%s: entry %#llx at level %d for %#llx",
                  e->fmt->name, (unsigned long long)raw, level, (unsigned long long)va);
        table = next;
    }
    return false;
}

mm_fault_answer_t mmt_fault(mmt_env_t *e, uint32_t c, uint64_t addr, uint32_t access,
                            mm_kill_reason_t *why) {
    mm_fault_answer_t a = mm_fault(e->srv, c, addr, access, why);
    cr_assert_eq(e->srv->pool.pending, 0, "%s: frames left pending by a fault", e->fmt->name);
    if (e->sweep) {
        mmt_check(e);
    }
    return a;
}

/* ---- snapshots ------------------------------------------------------------------------- */

/* pt_iterate visitor: appends to a snapshot. */
static bool snap_visit(void *ctx, const pt_mapping_t *m) {
    mmt_snap_t *s = ctx;
    s->m = realloc(s->m, (s->n + 1) * sizeof(*s->m));
    cr_assert(s->m != NULL);
    s->m[s->n++] = *m;
    return true;
}

mmt_snap_t mmt_snapshot(mmt_env_t *e) {
    mmt_snap_t s = {0};
    s.clients = malloc(MM_MAX_CLIENTS * sizeof(*s.clients));
    cr_assert(s.clients != NULL);
    memcpy(s.clients, e->srv->client, MM_MAX_CLIENTS * sizeof(*s.clients));
    for (uint32_t id = 0; id < MM_MAX_CLIENTS; id++) {
        const mm_client_t *c = &e->srv->client[id];
        s.regions[id] = NULL;
        s.nregions[id] = c->active ? mmt_regions(c, &s.regions[id]) : 0;
        if (c->active) {
            pt_iterate(&c->space, MM_USER_BASE, e->srv->user_top - MM_USER_BASE, snap_visit, &s);
        }
    }
    s.free = e->srv->pool.free;
    s.reserved = e->srv->pool.reserved;
    s.available = mm_pool_available(&e->srv->pool);
    return s;
}

/* Asserts two mappings are the same entry. */
static void same_mapping(mmt_env_t *e, const pt_mapping_t *a, const pt_mapping_t *b,
                         const char *what) {
    cr_assert(
        a->va == b->va && a->pa == b->pa && a->shift == b->shift && a->level == b->level &&
            a->is_table == b->is_table &&
            (a->is_table || (a->attr.perm == b->attr.perm && a->attr.memtype == b->attr.memtype)),
        "%s: %s: entry at %#llx changed", e->fmt->name, what, (unsigned long long)a->va);
}

void mmt_expect_snapshot(mmt_env_t *e, const mmt_snap_t *s, const char *what) {
    mmt_snap_t now = mmt_snapshot(e);
    cr_assert_eq(now.n, s->n, "%s: %s: %zu entries, were %zu", e->fmt->name, what, now.n, s->n);
    for (size_t i = 0; i < s->n; i++) {
        same_mapping(e, &now.m[i], &s->m[i], what);
    }
    for (uint32_t id = 0; id < MM_MAX_CLIENTS; id++) {
        const mm_client_t *a = &now.clients[id], *b = &s->clients[id];
        cr_assert(a->active == b->active && a->data == b->data && a->tables == b->tables &&
                      a->tables_max == b->tables_max && a->unbacked == b->unbacked &&
                      a->rframes == b->rframes && now.nregions[id] == s->nregions[id] &&
                      (now.nregions[id] == 0 || !memcmp(now.regions[id], s->regions[id],
                                                        now.nregions[id] * sizeof(mm_region_t))),
                  "%s: %s: client %u's account or regions changed", e->fmt->name, what, id);
    }
    cr_assert(now.free == s->free && now.reserved == s->reserved && now.available == s->available,
              "%s: %s: pool free %llu (was %llu), reserved %llu (was %llu)", e->fmt->name, what,
              (unsigned long long)now.free, (unsigned long long)s->free,
              (unsigned long long)now.reserved, (unsigned long long)s->reserved);
    mmt_snap_free(&now);
}

void mmt_snap_free(mmt_snap_t *s) {
    for (uint32_t id = 0; id < MM_MAX_CLIENTS; id++) {
        free(s->regions[id]);
    }
    free(s->m);
    free(s->clients);
    memset(s, 0, sizeof(*s));
}

/* ---- failure injection ----------------------------------------------------------------- */

unsigned mmt_every_failure(const pt_format_t *fmt, const char *what, mmt_setup_fn setup,
                           mmt_op_fn op) {
    unsigned failures = 0;
    for (uint64_t k = 1; k < 100000; k++) {
        mmt_env_t env, *e = &env;
        mmt_init(e, fmt, MMT_SMALL_POOL);
        setup(e);
        mmt_snap_t before = mmt_snapshot(e);
        uint64_t flushes = e->k.flushes;
        mm_pool_t *p = &e->srv->pool;
        p->fail_at = p->attempts + k;
        mm_err_t err = op(e);
        bool reached = p->attempts >= p->fail_at;
        p->fail_at = 0;
        if (err != MM_OK) {
            cr_assert(reached, "%s: %s failed (%s) without an injected failure", fmt->name, what,
                      mm_strerror(err));
            cr_assert_eq(e->k.flushes, flushes, "%s: %s: failure %llu flushed", fmt->name, what,
                         (unsigned long long)k);
            mmt_expect_snapshot(e, &before, what);
            mmt_check(e);
            failures++;
        }
        mmt_snap_free(&before);
        mmt_fini(e);
        if (!reached) {
            cr_assert_eq(err, MM_OK, "%s: %s", fmt->name, what);
            return failures;
        }
    }
    cr_assert_fail("%s: %s never succeeded", fmt->name, what);
    return failures;
}

uint64_t mmt_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t mmt_below(uint64_t *state, uint64_t n) {
    return mmt_rand(state) % n;
}
