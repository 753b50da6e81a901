/*
 * The region tree (issue 12): random edits against a page-by-page reference model (the
 * regions must be exactly the model's maximal runs of equal pages, so merging is checked
 * too), the merge rules one by one, the incremental table charge against a count from
 * scratch after every request (the sweep, mmt_check, which also runs mm_region_check: AVL
 * balance, order, parent links, subtree summaries, node frames), node frames charged to
 * the quota (QUOTA, NOMEM by failure injection, nothing changed), many regions, and the
 * dump's summary past its threshold.
 */
#include "mmt.h"

#include <ipc/ipc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R  MM_PERM_R
#define RW (MM_PERM_R | MM_PERM_W)

/* ---- random edits against a reference model -------------------------------------------- */

#define MODEL_PAGES 1024u /* 4 MiB: across a 1 GiB boundary, so every level's spans change */
#define MODEL_VA    (0x40000000ull - 2 * MIB)

/* One page of the model: its region's kind (0: none) and permissions. */
typedef struct page {
    uint8_t kind, perm;
} page_t;

/* Asserts client 1's regions are exactly the maximal runs of equal mapped pages of model. */
static void expect_model(mmt_env_t *e, const page_t *model, uint64_t step) {
    mm_region_t *got;
    uint64_t n = mmt_regions(&e->srv->client[1], &got), k = 0;
    for (uint64_t i = 0; i < MODEL_PAGES;) {
        if (model[i].kind == 0) {
            i++;
            continue;
        }
        uint64_t j = i + 1;
        while (j < MODEL_PAGES && model[j].kind == model[i].kind &&
               model[j].perm == model[i].perm) {
            j++;
        }
        cr_assert(k < n, "%s: step %llu: region %llu missing", e->fmt->name,
                  (unsigned long long)step, (unsigned long long)k);
        cr_assert(got[k].base == MODEL_VA + i * PG && got[k].len == (j - i) * PG &&
                      got[k].kind == model[i].kind && got[k].perm == model[i].perm &&
                      got[k].maxperm == MM_PERM_ALL,
                  "%s: step %llu: region %llu is [%#llx, +%#llx) kind %u perm %u, the model "
                  "says [%#llx, +%#llx) kind %u perm %u",
                  e->fmt->name, (unsigned long long)step, (unsigned long long)k,
                  (unsigned long long)got[k].base, (unsigned long long)got[k].len, got[k].kind,
                  got[k].perm, (unsigned long long)(MODEL_VA + i * PG),
                  (unsigned long long)((j - i) * PG), model[i].kind, model[i].perm);
        k++;
        i = j;
    }
    cr_assert_eq(k, n, "%s: step %llu: %llu regions, the model has %llu", e->fmt->name,
                 (unsigned long long)step, (unsigned long long)n, (unsigned long long)k);
    free(got);
}

/* True if the model maps every page of [a, b). */
static bool model_covered(const page_t *model, uint64_t a, uint64_t b) {
    for (uint64_t i = a; i < b; i++) {
        if (model[i].kind == 0) {
            return false;
        }
    }
    return true;
}

/* True if the model maps some page of [a, b). */
static bool model_any(const page_t *model, uint64_t a, uint64_t b) {
    for (uint64_t i = a; i < b; i++) {
        if (model[i].kind != 0) {
            return true;
        }
    }
    return false;
}

MMT_FOR_ALL_FORMATS(regions, random_edits_match_model) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    e->sweep = true; /* every request: invariants, tree check, tables from scratch */
    page_t *model = calloc(MODEL_PAGES, sizeof(*model));
    uint64_t rng = 12, steps = 3000, ops[4] = {0};
    for (uint64_t step = 0; step < steps; step++) {
        uint64_t a = mmt_below(&rng, MODEL_PAGES);
        uint64_t span = mmt_below(&rng, 4) == 0 ? 256 : 16;
        uint64_t b = a + 1 + mmt_below(&rng, span);
        b = b > MODEL_PAGES ? MODEL_PAGES : b;
        uint64_t va = MODEL_VA + a * PG, len = (b - a) * PG;
        uint8_t perm = mmt_below(&rng, 2) ? R : RW;
        switch (mmt_below(&rng, 4)) {
            case 0: { /* map, lazy (so nothing but regions and tables), maybe over others */
                bool over = mmt_below(&rng, 2);
                mm_err_t want = !over && model_any(model, a, b) ? MM_ERR_EXISTS : MM_OK;
                mmt_expect(mmt_map(e, 1, va, len, perm, MM_F_LAZY | (over ? MM_F_OVERWRITE : 0)),
                           want, "map");
                for (uint64_t i = a; want == MM_OK && i < b; i++) {
                    model[i] = (page_t){MM_KIND_LAZY, perm};
                }
                ops[0] += want == MM_OK;
                break;
            }
            case 1: { /* unmap */
                mm_err_t want = model_covered(model, a, b) ? MM_OK : MM_ERR_NOT_MAPPED;
                mmt_expect(mmt_unmap(e, 1, va, len), want, "unmap");
                for (uint64_t i = a; want == MM_OK && i < b; i++) {
                    model[i] = (page_t){0, 0};
                }
                ops[1] += want == MM_OK;
                break;
            }
            default: { /* protect, twice as often: what fragments */
                mm_err_t want = model_covered(model, a, b) ? MM_OK : MM_ERR_NOT_MAPPED;
                mmt_expect(mmt_protect(e, 1, va, len, perm), want, "protect");
                for (uint64_t i = a; want == MM_OK && i < b; i++) {
                    model[i].perm = perm;
                }
                ops[2] += want == MM_OK;
                break;
            }
        }
        expect_model(e, model, step);
        ops[3] = ops[3] > e->srv->client[1].nregions ? ops[3] : e->srv->client[1].nregions;
    }
    free(model);
    mmt_said("%s: %llu random edits (%llu maps, %llu unmaps, %llu protects done; up to %llu "
             "regions): regions == the model's maximal runs, tree and table charge checked "
             "after each",
             fmt->name, (unsigned long long)steps, (unsigned long long)ops[0],
             (unsigned long long)ops[1], (unsigned long long)ops[2], (unsigned long long)ops[3]);
    mmt_fini(e);
}

/* ---- merge rules ----------------------------------------------------------------------- */

/* Asserts client c has n regions, the one at va starting at base with len. */
static void expect_regions(mmt_env_t *e, uint32_t c, uint64_t n, uint64_t va, uint64_t base,
                           uint64_t len, const char *what) {
    cr_assert_eq(e->srv->client[c].nregions, n, "%s: %s: %llu regions, want %llu", e->fmt->name,
                 what, (unsigned long long)e->srv->client[c].nregions, (unsigned long long)n);
    mmt_expect(mmt_req(e, c, MM_QUERY, va, 0, 0, 0, 0, 0), MM_OK, what);
    cr_assert(e->reply[MM_R_Q_BASE] == base && e->reply[MM_R_Q_LEN] == len,
              "%s: %s: region [%#llx, +%#llx), want [%#llx, +%#llx)", e->fmt->name, what,
              (unsigned long long)e->reply[MM_R_Q_BASE], (unsigned long long)e->reply[MM_R_Q_LEN],
              (unsigned long long)base, (unsigned long long)len);
}

MMT_FOR_ALL_FORMATS(regions, merge_rules) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 0);
    mmt_client(e, 1, MMT_QUOTA, true);
    mmt_client(e, 2, MMT_QUOTA, false);
    mmt_client(e, 3, MMT_QUOTA, false);
    e->sweep = true; /* also: no two neighbours left mergeable, after every request */
    uint64_t v = MMT_VA;
    mmt_expect(mmt_map(e, 1, v, 4 * PG, R, MM_F_LAZY), MM_OK, "lazy");
    mmt_expect(mmt_map(e, 1, v + 4 * PG, 4 * PG, R, MM_F_LAZY), MM_OK, "lazy neighbour");
    expect_regions(e, 1, 1, v, v, 8 * PG, "equal neighbours merge");
    mmt_expect(mmt_protect(e, 1, v + 2 * PG, PG, RW), MM_OK, "protect one page");
    expect_regions(e, 1, 3, v + 2 * PG, v + 2 * PG, PG, "a protect splits");
    mmt_expect(mmt_protect(e, 1, v + 2 * PG, PG, R), MM_OK, "protect it back");
    expect_regions(e, 1, 1, v + 2 * PG, v, 8 * PG, "protected back: one region again");
    for (unsigned i = 0; i < 8; i += 2) {
        mmt_expect(mmt_protect(e, 1, v + i * PG, PG, RW), MM_OK, "every other page");
    }
    expect_regions(e, 1, 8, v, v, PG, "alternating permissions do not merge");
    mmt_expect(mmt_protect(e, 1, v, 8 * PG, R), MM_OK, "the whole range");
    expect_regions(e, 1, 1, v + 5 * PG, v, 8 * PG, "eight pieces merge into one");
    mmt_expect(mmt_map(e, 1, v + 8 * PG, 4 * PG, R, 0), MM_OK, "eager neighbour");
    expect_regions(e, 1, 2, v + 8 * PG, v + 8 * PG, 4 * PG, "anon and lazy stay apart");
    mmt_expect(mmt_map(e, 1, v + 12 * PG, 4 * PG, R, 0), MM_OK, "eager neighbour 2");
    expect_regions(e, 1, 2, v + 12 * PG, v + 8 * PG, 8 * PG, "anon and anon merge");
    /* Device memory: contiguous frames only, same memory type only. */
    uint64_t d = 0x60000000;
    mmt_expect(mmt_req(e, 1, MM_MAP_DEVICE, d, 4 * PG, MMT_DEVICE_PA, MM_MEM_DEVICE, RW, 0), MM_OK,
               "device");
    mmt_expect(mmt_req(e, 1, MM_MAP_DEVICE, d + 4 * PG, 4 * PG, MMT_DEVICE_PA + 4 * PG,
                       MM_MEM_DEVICE, RW, 0),
               MM_OK, "device, contiguous");
    expect_regions(e, 1, 3, d, d, 8 * PG, "contiguous device memory merges");
    mmt_expect(mmt_req(e, 1, MM_MAP_DEVICE, d + 8 * PG, 4 * PG, MMT_DEVICE_PA + 64 * PG,
                       MM_MEM_DEVICE, RW, 0),
               MM_OK, "device, elsewhere");
    expect_regions(e, 1, 4, d + 8 * PG, d + 8 * PG, 4 * PG, "a physical jump does not merge");
    mmt_expect(mmt_req(e, 1, MM_MAP_DEVICE, d + 12 * PG, 4 * PG, MMT_DEVICE_PA + 68 * PG, MM_MEM_WC,
                       RW, 0),
               MM_OK, "device, contiguous, other type");
    expect_regions(e, 1, 5, d + 12 * PG, d + 12 * PG, 4 * PG, "another memory type does not");
    /* Windows: the same peer and max merge; another peer, or private memory, never. */
    uint64_t w = 0x70000000;
    mmt_expect(mmt_accept(e, 2, 1, w, 4 * PG, RW), MM_OK, "window");
    mmt_expect(mmt_accept(e, 2, 1, w + 4 * PG, 4 * PG, RW), MM_OK, "window, same peer");
    expect_regions(e, 2, 1, w, w, 8 * PG, "windows from one peer merge");
    mmt_expect(mmt_accept(e, 2, 3, w + 8 * PG, 4 * PG, RW), MM_OK, "window, other peer");
    expect_regions(e, 2, 2, w + 8 * PG, w + 8 * PG, 4 * PG, "another peer's window does not");
    mmt_expect(mmt_map(e, 2, w + 12 * PG, 4 * PG, 0, MM_F_LAZY), MM_ERR_PERM, "no-access map");
    mmt_expect(mmt_map(e, 2, w + 12 * PG, 4 * PG, R, MM_F_LAZY), MM_OK, "private next to it");
    expect_regions(e, 2, 3, w + 12 * PG, w + 12 * PG, 4 * PG,
                   "a window never merges with "
                   "private memory");
    /* A share cuts the window; sharing the rest with the same perm makes it one again. */
    mmt_expect(mmt_map(e, 1, 0x50000000, 8 * PG, RW, 0), MM_OK, "source");
    mmt_expect(mmt_share(e, 1, 0x50000000, 2 * PG, 2, w + 2 * PG, R), MM_OK, "share the middle");
    expect_regions(e, 2, 5, w + 2 * PG, w + 2 * PG, 2 * PG, "a share cuts a window");
    mmt_expect(mmt_share(e, 1, 0x50000000, 2 * PG, 2, w, R), MM_OK, "share the start");
    expect_regions(e, 2, 4, w, w, 4 * PG, "shared pieces with one perm merge");
    /* Closed windows (their peers gone) stay as they were: another client's end changes no
     * region of this one (mm_witness watches exactly that). */
    mmt_expect(mmt_accept(e, 2, 3, w + 16 * PG, 4 * PG, RW), MM_OK, "window of 3, after private");
    mmt_client(e, 4, MMT_QUOTA, false);
    mmt_expect(mmt_accept(e, 2, 4, w + 20 * PG, 4 * PG, RW), MM_OK, "window of 4, next to it");
    uint64_t before = e->srv->client[2].nregions;
    cr_assert_eq(mm_client_destroy(e->srv, 3), MM_OK);
    cr_assert_eq(mm_client_destroy(e->srv, 4), MM_OK);
    mmt_check(e);
    expect_regions(e, 2, before, w + 20 * PG, w + 20 * PG, 4 * PG, "closing merges nothing");
    mmt_expect(mmt_protect(e, 2, w + 16 * PG, 8 * PG, R), MM_OK, "both closed windows to r--");
    expect_regions(e, 2, before, w + 20 * PG, w + 20 * PG, 4 * PG,
                   "two equal closed windows side by side do not merge");
    mmt_said("%s: merge rules: equal neighbours merge after map, protect, share, accept; "
             "kinds, perms, memory types, peers, physical jumps, closed windows stay apart",
             fmt->name);
    mmt_fini(e);
}

/* ---- node frames: charged, typed errors, nothing lost ---------------------------------- */

/* Maps four-page lazy regions with alternating permissions (so none merges) at MMT_VA on,
 * until client 1's node frames have no spare node. Returns how many. */
static uint64_t fill_nodes(mmt_env_t *e) {
    const mm_client_t *c = &e->srv->client[1];
    uint64_t n = 0;
    do {
        mmt_expect(mmt_map(e, 1, MMT_VA + 8 * n * PG, 4 * PG, n % 2 ? RW : R, MM_F_LAZY), MM_OK,
                   "fill");
        n++;
    } while (c->rspare != 0);
    return n;
}

/* Setup for failure injection: client 1's node frames are full. */
static void setup_full(mmt_env_t *e) {
    mmt_client(e, 1, MMT_QUOTA, false);
    fill_nodes(e);
}

/* A protect that splits the first region in three: it needs two more nodes, so a node
 * frame. */
static mm_err_t op_split(mmt_env_t *e) {
    return mmt_protect(e, 1, MMT_VA + PG, PG, R | MM_PERM_X);
}

/* A map that needs one more node. */
static mm_err_t op_map(mmt_env_t *e) {
    return mmt_map(e, 1, 0x50000000, PG, R, MM_F_LAZY);
}

MMT_FOR_ALL_FORMATS(regions, node_frames_quota_nomem) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mm_client_t *c = &e->srv->client[1];
    cr_assert_eq(c->rframes, 0, "no region, no node frame");
    uint64_t n = fill_nodes(e);
    cr_assert(c->rframes == 1 && n == c->nregions, "%llu regions fill one node frame",
              (unsigned long long)n);
    cr_assert_eq(mm_charge(c), c->data + c->tables_max + 1, "the node frame is charged");
    /* Quota: one frame short for a node frame. */
    c->quota = mm_charge(c);
    mmt_snap_t s = mmt_snapshot(e);
    mmt_expect(op_map(e), MM_ERR_QUOTA, "a map needing a node frame past the quota");
    mmt_expect(op_split(e), MM_ERR_QUOTA, "a split needing a node frame past the quota");
    mmt_expect(mmt_accept(e, 1, 2, 0x60000000, PG, R), MM_ERR_NO_CLIENT, "no client 2");
    mmt_expect_snapshot(e, &s, "node frame past the quota");
    mmt_snap_free(&s);
    /* Quota for the node frame but not for the page: the frame taken is given back. */
    c->quota = mm_charge(c) + 1;
    s = mmt_snapshot(e);
    mmt_expect(op_map(e), MM_ERR_QUOTA, "a map whose node fits but not its page");
    mmt_expect_snapshot(e, &s, "node frame taken, then given back");
    mmt_snap_free(&s);
    mmt_expect(op_split(e), MM_OK, "a split: the frame fits");
    cr_assert_eq(c->rframes, 2);
    mmt_expect(mmt_protect(e, 1, MMT_VA + PG, PG, R), MM_OK, "merged back");
    cr_assert_eq(c->rframes, 1, "the emptied node frame went back");
    c->quota = MMT_QUOTA;
    /* Unmapping everything gives the node frames back. */
    for (uint64_t i = 0; i < n; i++) {
        mmt_expect(mmt_unmap(e, 1, MMT_VA + 8 * i * PG, 4 * PG), MM_OK, "unmap");
    }
    cr_assert(c->rframes == 0 && c->nregions == 0 && mm_charge(c) == 1, "only the root charged");
    unsigned k = mmt_every_failure(fmt, "split with full node frames", setup_full, op_split);
    cr_assert(k >= 1, "the node frame's allocation can fail");
    unsigned m = mmt_every_failure(fmt, "map with full node frames", setup_full, op_map);
    cr_assert(m >= 1);
    mmt_said("%s: %llu regions fill a node frame; QUOTA past the quota (with or without the "
             "frame taken), NOMEM at %u + %u injected failures, each leaving everything as it "
             "was; frames go back when their regions go",
             fmt->name, (unsigned long long)n, k, m);
    mmt_fini(e);
}

/* ---- many regions ---------------------------------------------------------------------- */

/* mm_dump output, counted and kept. */
typedef struct dump_count {
    uint64_t lines, regions, leaves, skipped;
    char account[256];
} dump_count_t;

/* mm_out_fn: counts the machine lines by kind, keeps the account's. */
static void count_line(void *ctx, const char *line) {
    dump_count_t *d = ctx;
    d->lines++;
    d->regions += strstr(line, "mmdump 0x1 region ") == line;
    d->leaves += strstr(line, "mmdump 0x1 leaves ") == line;
    d->skipped += strstr(line, "mmdump 0x1 skipped ") == line;
    if (strstr(line, "mmdump 0x1 account ") == line) {
        snprintf(d->account, sizeof(d->account), "%s", line);
    }
}

MMT_FOR_ALL_FORMATS(regions, many_regions_and_dump) {
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 32768); /* 128 MiB: 20,000 lazy pages, their node frames and tables */
    mmt_client(e, 1, 1u << 20, false);
    e->sweep = false; /* a full sweep per request would be quadratic: checked below */
    const mm_client_t *c = &e->srv->client[1];
    enum { N = 20000 };
    for (uint64_t i = 0; i < N; i++) { /* alternating: no merge; scattered over 1 GiB */
        uint64_t va = 0x40000000 + (i * 13 % N) * 8 * PG;
        mmt_expect(mmt_map(e, 1, va, PG, i % 2 ? RW : R, MM_F_LAZY), MM_OK, "map");
    }
    cr_assert_eq(c->nregions, N);
    const char *why = mm_region_check(c);
    cr_assert(why == NULL, "%s", why);
    mmt_check(e);
    /* touch a few pages, so the dump has leaf runs to summarise too */
    for (uint64_t i = 0; i < 200; i++) {
        mm_kill_reason_t k;
        cr_assert_eq(mm_fault(e->srv, 1, 0x40000000 + i * 8 * PG, IPC_ACCESS_READ, &k),
                     MM_FAULT_RESUME);
    }
    static dump_count_t d;
    memset(&d, 0, sizeof(d));
    cr_assert_eq(mm_dump(e->srv, 1, count_line, &d), MM_OK);
    cr_assert(d.regions == 32 && d.leaves == 32 && d.skipped == 2,
              "%s: %llu region lines, %llu leaf lines, %llu summaries", fmt->name,
              (unsigned long long)d.regions, (unsigned long long)d.leaves,
              (unsigned long long)d.skipped);
    char want[256];
    snprintf(want, sizeof(want),
             "mmdump 0x1 account %#llx %#llx %#llx %#llx %#llx %#llx %#llx %#llx",
             (unsigned long long)mm_charge(c), (unsigned long long)c->quota,
             (unsigned long long)c->data, (unsigned long long)c->tables,
             (unsigned long long)c->tables_max, (unsigned long long)c->unbacked,
             (unsigned long long)c->rframes, (unsigned long long)c->nregions);
    cr_assert_str_eq(d.account, want, "the account stays exact");
    /* unmap in a scattered order; the tree and the charge are checked every 1,000 */
    for (uint64_t i = 0; i < N; i++) {
        uint64_t va = 0x40000000 + (i * 7919 % N) * 8 * PG;
        mmt_expect(mmt_unmap(e, 1, va, PG), MM_OK, "unmap");
        if (i % 1000 == 0) {
            mmt_check(e);
        }
    }
    cr_assert(c->nregions == 0 && c->rframes == 0 && mm_charge(c) == 1, "all gone");
    mmt_said("%s: %d regions mapped and unmapped in scattered orders; dump of %llu lines (32 "
             "regions, 32 leaf runs, 2 summaries), account exact",
             fmt->name, N, (unsigned long long)d.lines);
    mmt_fini(e);
}
