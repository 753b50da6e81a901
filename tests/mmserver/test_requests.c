/*
 * Every request's success path on every format: what it did to the tables, the regions,
 * the account and the pool, and that its reply says exactly that.
 */
#include "mmt.h"

#include <stdio.h>
#include <string.h>

#define RW (MM_PERM_R | MM_PERM_W)
#define R  MM_PERM_R

MMT_FOR_ALL_FORMATS(requests, map_eager) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    uint64_t charge0 = mm_charge(&e->srv->client[1]);
    mmt_expect(mmt_map(e, 1, MMT_VA, 16 * PG, RW, 0), MM_OK, "eager map");
    cr_assert_eq(e->reply[MM_R_MAP_VA], MMT_VA);
    cr_assert_eq(e->reply[MM_R_MAP_RESERVED], 16);
    cr_assert_eq(e->reply[MM_R_MAP_PAGES], 16);
    cr_assert_eq(e->reply[MM_R_MAP_HUGE], 0);
    cr_assert_eq(e->reply[MM_R_MAP_PERM], RW);
    cr_assert_eq(e->reply[MM_R_MAP_DONE], 0);
    for (unsigned i = 0; i < 16; i++) {
        pt_paddr_t pa = mmt_frame(e, 1, MMT_VA + i * PG);
        cr_assert(pa != 0 && mmt_zeroed(e, pa), "page %u present and zeroed", i);
        cr_assert_eq(mm_pool_refs(&e->srv->pool, pa), 1);
    }
    mm_client_t *c = &e->srv->client[1];
    cr_assert_eq(mm_charge(c), charge0 + 16 + (c->tables - 1) + c->rframes,
                 "charge = data + tables + the node frame of its region");
    cr_assert_eq(e->k.flushes, fmt->caches_invalid,
                 "a flush for the new leaves only where the "
                 "MMU may cache the empty entries they replaced (pt_flush_t.fresh)");
    mmt_said("%s: eager map of 16 pages: zeroed frames, exact reply, charge = data + tables",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, map_anywhere) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, 0, 4 * PG, RW, MM_F_ANYWHERE), MM_OK, "anywhere 1");
    uint64_t a = e->reply[MM_R_MAP_VA];
    mmt_expect(mmt_map(e, 1, 0xdead000, 4 * PG, R, MM_F_ANYWHERE | MM_F_LAZY), MM_OK, "anywhere 2");
    uint64_t b = e->reply[MM_R_MAP_VA];
    cr_assert(a >= MM_USER_BASE && b >= MM_USER_BASE, "above the null area");
    cr_assert(a + 4 * PG <= b || b + 4 * PG <= a, "disjoint");
    mmt_expect(mmt_map(e, 1, 0, 2 * MIB, RW, MM_F_ANYWHERE | MM_F_HUGE), MM_OK, "anywhere huge");
    cr_assert_eq(e->reply[MM_R_MAP_VA] % (2 * MIB), 0, "2 MiB aligned");
    cr_assert_eq(e->reply[MM_R_MAP_HUGE], 512, "one 2 MiB leaf");
    mmt_expect(mmt_map(e, 1, 0, 4 * PG, RW, MM_F_ANYWHERE | MM_F_OVERWRITE), MM_ERR_INVAL,
               "anywhere + overwrite");
    mmt_said("%s: ANYWHERE picks disjoint ranges above 64 KiB, 2 MiB-aligned for HUGE", fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, map_huge) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    uint64_t va = MMT_VA; /* 2 MiB-aligned */
    mmt_expect(mmt_map(e, 1, va, 4 * MIB + 8 * PG, RW, MM_F_HUGE), MM_OK, "huge map");
    cr_assert_eq(e->reply[MM_R_MAP_PAGES], 1024 + 8);
    cr_assert_eq(e->reply[MM_R_MAP_HUGE], 1024, "two 2 MiB leaves, 8 small pages");
    cr_assert_eq(e->reply[MM_R_MAP_DONE], 0);
    pt_mapping_t m;
    cr_assert_eq(pt_query(&e->srv->client[1].space, va + 5 * PG, &m), PT_OK);
    cr_assert_eq(m.shift, 21);
    mmt_fini(e);
    /* The pool has no 2 MiB block for one aligned 2 MiB (its block allocation is refused,
     * as when RAM is fragmented): single frames there, a huge leaf for the other. The k-th
     * allocation of the map fails, k counting up past those that fail the whole map
     * (region records, say: NOMEM, nothing changed) to the first that only costs a block. */
    mmt_start(e, fmt);
    mm_err_t got = MM_ERR_NOMEM;
    uint64_t k = 1;
    for (; got == MM_ERR_NOMEM && k < 32; k++) {
        e->srv->pool.fail_at = e->srv->pool.attempts + k;
        got = mmt_map(e, 1, va, 4 * MIB, RW, MM_F_HUGE);
        e->srv->pool.fail_at = 0;
    }
    mmt_expect(got, MM_OK, "huge, one block refused");
    cr_assert_eq(e->reply[MM_R_MAP_DONE], MM_DONE_HUGE_FALLBACK, "the fallback is said");
    cr_assert_eq(e->reply[MM_R_MAP_HUGE], 512, "the other 2 MiB still one leaf");
    cr_assert_eq(e->reply[MM_R_MAP_PAGES], 1024);
    pt_mapping_t m2;
    cr_assert_eq(pt_query(&e->srv->client[1].space, va + 5 * PG, &m), PT_OK);
    cr_assert_eq(pt_query(&e->srv->client[1].space, va + 2 * MIB + 5 * PG, &m2), PT_OK);
    cr_assert((m.shift == 12) != (m2.shift == 12) && m.shift + m2.shift == 33,
              "single frames in one 2 MiB, a 2 MiB leaf in the other (%u, %u)", m.shift, m2.shift);
    mmt_said("%s: HUGE maps 2 MiB leaves where aligned, and says so when it falls back to 4 KiB "
             "for an aligned 2 MiB the pool has no block for",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, overwrite) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 8 * PG, RW, 0), MM_OK, "first");
    pt_paddr_t old = mmt_frame(e, 1, MMT_VA + 4 * PG);
    mmt_bytes(e, old)[0] = 0x77;
    mmt_expect(mmt_map(e, 1, MMT_VA + 4 * PG, 8 * PG, R, 0), MM_ERR_EXISTS, "overlap");
    cr_assert_eq(e->reply[MM_R_WHERE], MMT_VA + 4 * PG, "where the overlap starts");
    mmt_expect(mmt_map(e, 1, MMT_VA - 4 * PG, 8 * PG, R, MM_F_LAZY), MM_ERR_EXISTS, "overlap 2");
    cr_assert_eq(e->reply[MM_R_WHERE], MMT_VA);
    uint64_t avail = mm_pool_available(&e->srv->pool);
    mmt_expect(mmt_map(e, 1, MMT_VA + 4 * PG, 8 * PG, R, MM_F_OVERWRITE), MM_OK, "overwrite");
    pt_paddr_t now = mmt_frame(e, 1, MMT_VA + 4 * PG);
    cr_assert(now != 0 && mmt_zeroed(e, now), "overwritten page is a fresh zeroed frame");
    cr_assert_eq(mm_pool_refs(&e->srv->pool, old), old == now ? 1 : 0, "old frame freed");
    cr_assert_eq(e->srv->client[1].nregions, 2, "the first region was cut");
    cr_assert_eq(e->srv->client[1].data, 12);
    cr_assert_eq(mm_pool_available(&e->srv->pool), avail - 4, "8 new frames, 4 old freed");
    mmt_expect(mmt_map(e, 1, MMT_VA, 16 * PG, RW, MM_F_OVERWRITE | MM_F_LAZY), MM_OK,
               "lazy overwrite of both");
    cr_assert_eq(mmt_frame(e, 1, MMT_VA), 0, "lazy overwrite dropped the frames");
    cr_assert_eq(e->srv->client[1].nregions, 1);
    mmt_said("%s: overlap gives EXISTS (with where) without OVERWRITE; OVERWRITE replaces "
             "frames and regions exactly",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, unmap) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 16 * PG, RW, 0), MM_OK, "map");
    mmt_expect(mmt_map(e, 1, MMT_VA + 16 * PG, 16 * PG, RW, MM_F_LAZY), MM_OK, "lazy neighbour");
    uint64_t avail = mm_pool_available(&e->srv->pool);
    mmt_expect(mmt_unmap(e, 1, MMT_VA + 4 * PG, 4 * PG), MM_OK, "middle");
    cr_assert_eq(e->reply[MM_R_REL_PAGES], 4);
    cr_assert_eq(e->reply[MM_R_REL_FREED], 4);
    cr_assert_eq(e->reply[MM_R_REL_UNRES], 4);
    cr_assert_eq(e->srv->client[1].nregions, 3, "split in two");
    cr_assert_eq(mm_pool_available(&e->srv->pool), avail + 4);
    mmt_expect(mmt_unmap(e, 1, MMT_VA, 16 * PG), MM_ERR_NOT_MAPPED, "across the hole");
    cr_assert_eq(e->reply[MM_R_WHERE], MMT_VA + 4 * PG);
    mmt_expect(mmt_unmap(e, 1, MMT_VA + 8 * PG, 16 * PG), MM_OK, "across two regions");
    cr_assert_eq(e->reply[MM_R_REL_PAGES], 8, "8 eager pages had frames, 8 lazy had none");
    cr_assert_eq(e->reply[MM_R_REL_UNRES], 16);
    mmt_expect(mmt_unmap(e, 1, 0x7000000, PG), MM_ERR_NOT_MAPPED, "nothing there");
    mmt_said("%s: unmap splits regions, frees frames after the flush, refuses holes", fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, protect) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 2 * MIB, RW, MM_F_HUGE), MM_OK, "huge");
    mmt_expect(mmt_map(e, 1, MMT_VA + 2 * MIB, 8 * PG, RW, MM_F_LAZY), MM_OK, "lazy");
    mmt_expect(mmt_protect(e, 1, MMT_VA + 2 * MIB - PG, 2 * PG, R), MM_OK, "split protect");
    cr_assert_eq(e->reply[MM_R_PROT_PAGES], 1, "one page had a frame");
    cr_assert_eq(e->reply[MM_R_PROT_PERM], R);
    cr_assert_eq(e->reply[MM_R_PROT_SPLITS], 1, "the 2 MiB leaf was split");
    pt_mapping_t m;
    cr_assert_eq(pt_query(&e->srv->client[1].space, MMT_VA + 2 * MIB - PG, &m), PT_OK);
    cr_assert_eq(m.attr.perm & (PT_R | PT_W | PT_X), PT_R);
    cr_assert_eq(pt_query(&e->srv->client[1].space, MMT_VA, &m), PT_OK);
    cr_assert_eq(m.attr.perm & (PT_R | PT_W | PT_X), PT_R | PT_W, "the rest kept rw");
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 1, MMT_VA + 2 * MIB, IPC_ACCESS_READ, &why), MM_FAULT_RESUME);
    cr_assert_eq(pt_query(&e->srv->client[1].space, MMT_VA + 2 * MIB, &m), PT_OK);
    cr_assert_eq(m.attr.perm & (PT_R | PT_W | PT_X), PT_R, "lazy fill uses the new perm");
    uint64_t flushes = e->k.flushes;
    mmt_expect(mmt_protect(e, 1, MMT_VA, PG, RW), MM_OK, "no change");
    cr_assert_eq(e->k.flushes, flushes, "nothing changed: no flush");
    mmt_expect(mmt_protect(e, 1, MMT_VA, 4 * MIB, R), MM_ERR_NOT_MAPPED, "hole");
    mmt_expect(mmt_protect(e, 1, MMT_VA, PG, RW | MM_PERM_X), MM_ERR_WX, "W^X");
    mmt_expect(mmt_protect(e, 1, MMT_VA, PG, 0x10), MM_ERR_INVAL, "bits");
    mmt_said("%s: protect splits a huge leaf, applies to lazy fills, flushes only changes, "
             "refuses holes and W+X",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, query_stats) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 4 * PG, RW, 0), MM_OK, "map");
    mmt_expect(mmt_map(e, 1, MMT_VA + 4 * PG, 4 * PG, R, MM_F_LAZY), MM_OK, "lazy");
    mmt_expect(mmt_req(e, 1, MM_QUERY, MMT_VA + PG + 12, 0, 0, 0, 0, 0), MM_OK, "query");
    cr_assert_eq(e->reply[MM_R_Q_BASE], MMT_VA);
    cr_assert_eq(e->reply[MM_R_Q_LEN], 4 * PG);
    cr_assert_eq(MM_Q_PERM(e->reply[MM_R_Q_PERM]), RW);
    cr_assert_eq(MM_Q_MAXPERM(e->reply[MM_R_Q_PERM]), MM_PERM_ALL);
    cr_assert_eq(MM_Q_KIND(e->reply[MM_R_Q_PERM]), MM_KIND_ANON);
    cr_assert_eq(e->reply[MM_R_Q_FRAME], MM_FRAME_HIDDEN,
                 "an unprivileged client learns that a frame is there, not where");
    cr_assert_eq(e->reply[MM_R_Q_SHIFT], 12);
    mmt_expect(mmt_req(e, 1, MM_QUERY, MMT_VA + 5 * PG, 0, 0, 0, 0, 0), MM_OK, "query lazy");
    cr_assert_eq(MM_Q_KIND(e->reply[MM_R_Q_PERM]), MM_KIND_LAZY);
    cr_assert_eq(e->reply[MM_R_Q_FRAME], 0, "no frame yet");
    mmt_expect(mmt_req(e, 1, MM_QUERY, MMT_VA + 9 * PG, 0, 0, 0, 0, 0), MM_ERR_NOT_MAPPED, "hole");
    mmt_expect(mmt_req(e, 1, MM_QUERY, 0x100, 0, 0, 0, 0, 0), MM_ERR_RANGE, "null area");
    mmt_expect(mmt_req(e, 1, MM_STATS, 0, 0, 0, 0, 0, 0), MM_OK, "stats");
    mm_client_t *c = &e->srv->client[1];
    cr_assert_eq(e->reply[MM_R_ST_CHARGE], 8 + c->tables + c->rframes, "data, tables, node frame");
    cr_assert_eq(e->reply[MM_R_ST_QUOTA], MMT_QUOTA);
    cr_assert_eq(e->reply[MM_R_ST_TABLES], c->tables);
    cr_assert_eq(e->reply[MM_R_ST_POOL], mm_pool_available(&e->srv->pool));
    cr_assert_eq(e->reply[MM_R_ST_REGIONS], 2);
    cr_assert_eq(e->reply[MM_R_ST_BACKED], 4);
    mmt_said("%s: query reports region, kind, frame and leaf size; stats the account", fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, decommit) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, MMT_VA, 8 * PG, RW, 0), MM_OK, "map");
    pt_paddr_t pa = mmt_frame(e, 1, MMT_VA + 2 * PG);
    memset(mmt_bytes(e, pa), 0x5c, PG);
    uint64_t charge = mm_charge(&e->srv->client[1]);
    mmt_expect(mmt_decommit(e, 1, MMT_VA + 2 * PG, 2 * PG), MM_OK, "decommit");
    cr_assert_eq(e->reply[MM_R_REL_PAGES], 2);
    cr_assert_eq(e->reply[MM_R_REL_FREED], 2);
    cr_assert_eq(mmt_frame(e, 1, MMT_VA + 2 * PG), 0, "no frame");
    cr_assert_eq(e->srv->client[1].data, 8, "range still reserved and charged");
    cr_assert_eq(e->srv->client[1].unbacked, 2);
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 1, MMT_VA + 2 * PG + 8, IPC_ACCESS_WRITE, &why), MM_FAULT_RESUME);
    pt_paddr_t again = mmt_frame(e, 1, MMT_VA + 2 * PG);
    cr_assert(again != 0 && mmt_zeroed(e, again), "the pattern is gone: zeroes");
    cr_assert_eq(mm_charge(&e->srv->client[1]), charge, "the fault cost no new charge");
    mmt_check(e);
    mmt_expect(mmt_decommit(e, 1, MMT_VA, 16 * PG), MM_ERR_NOT_MAPPED, "hole");
    mmt_said("%s: decommit drops frames, keeps the charge; the next touch reads zeroes", fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, device) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_client(e, 2, MMT_QUOTA, true);
    uint64_t rw = RW;
    mmt_expect(mmt_req(e, 1, MM_MAP_DEVICE, MMT_VA, 4 * PG, MMT_DEVICE_PA, MM_MEM_DEVICE, rw, 0),
               MM_ERR_DENIED, "unprivileged");
    mmt_expect(
        mmt_req(e, 2, MM_MAP_DEVICE, MMT_VA, 4 * PG, MMT_POOL_PA + 64 * PG, MM_MEM_DEVICE, rw, 0),
        MM_ERR_DENIED, "over pool RAM");
    mmt_expect(
        mmt_req(e, 2, MM_MAP_DEVICE, MMT_VA, 4 * PG, MMT_POOL_PA - 2 * PG, MM_MEM_DEVICE, rw, 0),
        MM_ERR_DENIED, "straddling the pool's start");
    mmt_expect(
        mmt_req(e, 2, MM_MAP_DEVICE, MMT_VA, 4 * PG, MMT_DEVICE_PA + 1, MM_MEM_DEVICE, rw, 0),
        MM_ERR_ALIGN, "misaligned pa");
    mmt_expect(mmt_req(e, 2, MM_MAP_DEVICE, MMT_VA, 4 * PG, MMT_DEVICE_PA, 7, rw, 0), MM_ERR_INVAL,
               "memory type");
    mmt_expect(mmt_req(e, 2, MM_MAP_DEVICE, MMT_VA, 4 * PG, MMT_DEVICE_PA, MM_MEM_WC, rw, 0), MM_OK,
               "wc");
    cr_assert_eq(e->reply[MM_R_MAP_PAGES], 4);
    mmt_expect(mmt_req(e, 2, MM_QUERY, MMT_VA + PG, 0, 0, 0, 0, 0), MM_OK, "query");
    cr_assert_eq(e->reply[MM_R_Q_FRAME], MMT_DEVICE_PA + PG);
    cr_assert_eq(MM_Q_KIND(e->reply[MM_R_Q_PERM]), MM_KIND_DEVICE);
    cr_assert_eq(MM_Q_MEMTYPE(e->reply[MM_R_Q_PERM]), MM_MEM_WC);
    cr_assert_eq(e->srv->client[2].data, 0, "device memory is not charged as data");
    mmt_expect(mmt_decommit(e, 2, MMT_VA, PG), MM_ERR_INVAL, "decommit of device memory");
    mmt_expect(mmt_req(e, 2, MM_MAP_DEVICE, 0, 2 * MIB, MMT_DEVICE_PA, MM_MEM_DEVICE, rw,
                       MM_F_ANYWHERE | MM_F_HUGE),
               MM_OK, "huge device map anywhere");
    cr_assert_eq(e->reply[MM_R_MAP_HUGE], 512);
    mmt_expect(mmt_unmap(e, 2, MMT_VA, 4 * PG), MM_OK, "unmap device");
    cr_assert_eq(e->reply[MM_R_REL_FREED], 0, "device frames are not the pool's");
    mmt_said("%s: device maps are privileged, never over pool RAM, typed, uncharged", fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, flush_before_free) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, 0x40000000, 8 * PG, RW, 0), MM_OK, "map");
    uint64_t free0 = e->srv->pool.free, flushes = e->k.flushes;
    uint64_t nodes = e->srv->client[1].rframes; /* its one region's node frame goes too */
    mmt_expect(mmt_unmap(e, 1, 0x40000000, 8 * PG), MM_OK, "unmap");
    cr_assert_eq(e->k.flushes, flushes + 1);
    cr_assert_eq(e->k.pending_at_flush, 8, "8 frames waited for the flush");
    cr_assert_eq(e->k.free_at_flush, free0, "nothing was freed before the flush");
    cr_assert_eq(nodes, 1);
    cr_assert_eq(e->srv->pool.free, free0 + 8 + (fmt->levels - 1) + nodes,
                 "after it: 8 frames, the emptied tables and the node frame");
    cr_assert(e->k.last_flush.tables, "the flush covers the tables");
    cr_assert_eq(e->k.last_flush.start, 0x40000000);
    cr_assert_eq(e->k.last_flush.leaves, 8);
    flushes = e->k.flushes;
    mmt_expect(mmt_req(e, 1, MM_STATS, 0, 0, 0, 0, 0, 0), MM_OK, "stats");
    mmt_expect(mmt_map(e, 1, MMT_VA, 8 * PG, R, MM_F_LAZY), MM_OK, "lazy");
    cr_assert_eq(e->k.flushes, flushes, "nothing changed in the tables: no flush");
    mmt_said("%s: frames and tables return to the pool only after the one flush", fmt->name);
    mmt_fini(e);
}

/* mm_dump output: kept in a buffer. */
typedef struct dump_buf {
    char text[16384];
    size_t n;
} dump_buf_t;

/* mm_out_fn: appends a line. */
static void dump_line(void *ctx, const char *line) {
    dump_buf_t *b = ctx;
    b->n += (size_t)snprintf(b->text + b->n, sizeof(b->text) - b->n, "%s\n", line);
}

MMT_FOR_ALL_FORMATS(requests, dump) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    mmt_client(e, 3, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, 3, MMT_VA, 4 * PG, RW, 0), MM_OK, "map");
    mmt_expect(mmt_map(e, 3, MMT_VA + 2 * MIB, 2 * MIB, R, MM_F_HUGE), MM_OK, "huge");
    mmt_expect(mmt_map(e, 3, MMT_VA + 8 * MIB, 4 * PG, R, MM_F_LAZY), MM_OK, "lazy");
    static dump_buf_t b;
    b.n = 0;
    cr_assert_eq(mm_dump(e->srv, 3, dump_line, &b), MM_OK);
    char want[256];
    snprintf(want, sizeof(want), "mmdump 0x3 region %#llx 0x4000 rw- anon rwx 0x0 0x0\n",
             (unsigned long long)MMT_VA);
    cr_assert(strstr(b.text, want), "%s: no '%s' in:\n%s", fmt->name, want, b.text);
    snprintf(want, sizeof(want), "mmdump 0x3 leaves %#llx %#llx 0x200 0x15 r--\n",
             (unsigned long long)(MMT_VA + 2 * MIB),
             (unsigned long long)mmt_frame(e, 3, MMT_VA + 2 * MIB));
    cr_assert(strstr(b.text, want), "%s: no '%s' in:\n%s", fmt->name, want, b.text);
    cr_assert(strstr(b.text, "mmdump 0x3 region 0x10800000 0x4000 r-- lazy rwx"));
    cr_assert(strstr(b.text, "mmdump 0x3 tables 0x0 0x1\n"), "one level-0 table:\n%s", b.text);
    cr_assert(strstr(b.text, "mmdump 0x3 account "));
    cr_assert(strstr(b.text, "  region 0x10000000-0x10004000 rw- anon max rwx\n"));
    cr_assert_eq(mm_dump(e->srv, 4, dump_line, &b), MM_ERR_NO_CLIENT);
    mmt_said("%s: dump writes regions, leaf runs, tables per level, human and machine forms",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, teardown) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_client(e, 2, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, 1, MMT_VA, 2 * MIB, RW, MM_F_HUGE), MM_OK, "huge");
    mmt_expect(mmt_map(e, 1, 0x40000000, 64 * PG, RW, MM_F_LAZY), MM_OK, "lazy");
    mmt_expect(mmt_accept(e, 2, 1, MMT_VA, 8 * PG, RW), MM_OK, "accept");
    mmt_expect(mmt_share(e, 1, MMT_VA, 8 * PG, 2, MMT_VA, RW), MM_OK, "share");
    mm_kill_reason_t why;
    cr_assert_eq(mm_fault(e->srv, 1, 0x40000000, IPC_ACCESS_WRITE, &why), MM_FAULT_RESUME);
    pt_paddr_t shared = mmt_frame(e, 1, MMT_VA);
    cr_assert_eq(mm_client_destroy(e->srv, 1), MM_OK);
    cr_assert_eq(e->k.root[1], 0, "root unregistered");
    cr_assert_eq(mm_pool_refs(&e->srv->pool, shared), 1, "the shared frame lives on in 2");
    cr_assert_eq(mmt_frame(e, 2, MMT_VA), shared);
    mmt_check(e);
    cr_assert_eq(mmt_accept(e, 2, 1, 0x50000000, PG, R), MM_ERR_NO_CLIENT, "1 is gone");
    cr_assert_eq(mm_client_destroy(e->srv, 1), MM_ERR_NO_CLIENT);
    cr_assert_eq(mm_client_destroy(e->srv, 2), MM_OK);
    cr_assert_eq(mm_pool_available(&e->srv->pool), e->start_available, "every frame back");
    mmt_said("%s: teardown returns every frame and table; shared frames when the last user goes",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(requests, clients) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    cr_assert_eq(mm_client_create(e->srv, MM_CLIENT_ID_LIMIT, 10, false), MM_ERR_NO_CLIENT);
    cr_assert_eq(mm_client_create(e->srv, 0, 0, false), MM_ERR_QUOTA, "root over quota");
    e->k.refuse_root = true;
    cr_assert_eq(mm_client_create(e->srv, 0, 10, false), MM_ERR_DENIED);
    e->k.refuse_root = false;
    mmt_client(e, 0, 10, false);
    cr_assert_eq(mm_client_create(e->srv, 0, 10, false), MM_ERR_EXISTS);
    cr_assert_eq(mm_charge(&e->srv->client[0]), 1, "the root is charged");
    mmt_expect(mmt_req(e, 5, MM_STATS, 0, 0, 0, 0, 0, 0), MM_ERR_NO_CLIENT, "no client 5");
    mmt_said("%s: client creation: id range, root quota, kernel refusal, duplicates", fmt->name);
    mmt_fini(e);
}

/* Issue 14: physical addresses are told to privileged clients (drivers) only; everyone
 * else learns whether a frame backs an address, never which. */
MMT_FOR_ALL_FORMATS(requests, query_hides_frames_from_unprivileged) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_client(e, 2, MMT_QUOTA, true);
    for (uint32_t c = 1; c <= 2; c++) {
        mmt_expect(mmt_map(e, c, MMT_VA, 4 * PG, RW, 0), MM_OK, "map");
        mmt_expect(mmt_req(e, c, MM_QUERY, MMT_VA + PG + 12, 0, 0, 0, 0, 0), MM_OK, "query");
        pt_paddr_t pa = mmt_frame(e, c, MMT_VA + PG);
        uint64_t want = c == 2 ? pa + 12 : MM_FRAME_HIDDEN;
        cr_assert_eq(e->reply[MM_R_Q_FRAME], want, "client %u (%s): frame %#llx, want %#llx", c,
                     c == 2 ? "privileged" : "unprivileged",
                     (unsigned long long)e->reply[MM_R_Q_FRAME], (unsigned long long)want);
    }
    mmt_said("%s: MM_QUERY gives the physical address to a privileged client only", fmt->name);
    mmt_fini(e);
}
