/*
 * libFuzzer harness: mmserver's request handling (mm_handle, mm_fault, client creation and
 * teardown of mmserver/src) over four clients, with the fake kernel and the checks of
 * tests/mmserver/mmt_env.c (at most one flush per request and none on failure, nothing left
 * pending, zeroed error words, its invariant sweep mmt_check) and an ownership model of its
 * own, with a snapshot that a failed request must leave unchanged.
 *
 * The input is a sequence of operations: requests of every label (and unknown ones) with
 * words drawn from the input, mostly plausible (page-aligned addresses in or near the
 * client's regions, small lengths, valid permissions and flags) and sometimes garbage;
 * accept-then-share between two clients; touches (faults) of a client's pages; faults at
 * any address; a pool allocation armed to fail in the next operation; a client destroyed
 * and created again.
 *
 * The ownership model, kept by the harness: each client's page tables are walked from the
 * root through the RAM window, every entry decoded by the format (not by libpt's walker).
 * After every operation, the tables of the clients it named (the actor, and a share's
 * receiver) are walked again and every frame they reached before or reach now is checked;
 * every SWEEP_EVERY operations and at the end of the input, a full sweep walks every client
 * (whose tables must be exactly as the last operation naming it left them), checks every
 * frame, and runs mmt_check. What is checked:
 *   - no leaf is both writable and executable, every leaf is a user leaf inside one of its
 *     client's regions with that region's permissions and memory type, a device leaf maps
 *     its region's physical range outside the pool (privileged clients only);
 *   - the pool counts each frame's users as the walks find them (leaf pages and tables);
 *     each client's data charge, tables and unbacked pages agree with its regions and tables
 *     within its quota; free, used and metadata frames make the pool, and it promises what
 *     the clients may still take (mmt_check's counts, after every operation);
 *   - a page-table frame is a table of one client and no one's data;
 *   - a pool frame reached as data is in use (never free, pending or metadata); one that
 *     was free before the operation reaches only the client that acted, reads as zeroes
 *     (the harness then writes into it, as a program would, so reuse without zeroing shows),
 *     and becomes that client's own, with at most the max permissions of the region it came
 *     in (mmserver's own ceiling: all for a map, what the sender gave for a share window);
 *     any other frame a client reaches must have come to it by a share from a client that
 *     could reach it, with at most the permissions that share gave (and never more than the
 *     giver may hold); a client that no longer reaches a frame loses its right to it;
 *   - a fault is answered as the regions say (range, unmapped, access, device), a resumed
 *     fault leaves the page mapped, a kill tears the client down;
 *   - a client that goes away (destroy or kill) gives back every frame it alone held, and
 *     keeps no rights: the next client with its id starts with nothing.
 */
#include "fz.h"

#include "mmt.h"

#include <stdlib.h>
#include <string.h>

#define CLIENTS     4u            /* client ids 0 .. 3; 0 is privileged (device maps) */
#define FRAMES      1024u         /* pool frames: 4 MiB, room for one 2 MiB-aligned run */
#define MAX_OPS     16u           /* operations per input at most */
#define WIN         0x10000000ull /* where plausible ranges fall ... */
#define WIN_PG      2048u         /* ... the first 8 MiB of it */
#define SHR_WIN     0x40000000ull /* where share windows are accepted */
#define ALL         MM_PERM_ALL
#define NO_KILL     0xffu
#define EVERY       ((1u << CLIENTS) - 1) /* the mask of every client */
#define SWEEP_EVERY 16u /* operations between two full sweeps (and one at the end) */

/* Where a leaf page comes from, as the walk saw it. */
typedef struct page {
    uint64_t va;
    pt_paddr_t pa;
    uint8_t perm; /* MM_PERM_* of the leaf */
} page_t;

/* A window client t accepted from client s (both in their incarnation then). */
typedef struct window {
    uint32_t t, s, tgen, sgen;
    uint64_t base, len, max;
} window_t;

#define MAX_WINDOWS 64u

/* The model and the state of one input. */
typedef struct fuzz {
    mmt_env_t env, *e;
    fz_in_t in;
    /* MM_PERM_* each client may hold on each frame, and share onward: a fresh frame's owner
     * the max perms of the region it came in (mmserver's ceiling: MM_PERM_ALL for a map,
     * what the sender gave for a share window), a receiver what the share gave, no more
     * than the sender's; a client that no longer reaches a frame has no right to it. */
    uint8_t allowed[FRAMES][CLIENTS];
    unsigned walked; /* the clients (bits) the current check walked */
    /* The region the walk found last (walks visit leaves in address order, and no region
     * changes during one walk; walk_client forgets it): */
    const mm_region_t *last_region;
    /* What each client's tables held at its last walk (a client is walked after every
     * operation that names it, and every client at every full sweep): */
    uint8_t reach[FRAMES]; /* clients (bits) reaching each frame as data */
    uint8_t reach_perm[FRAMES][CLIENTS];
    uint8_t reach_max[FRAMES][CLIENTS]; /* max perms of the regions it is reached through */
    uint16_t uses[CLIENTS][FRAMES];     /* leaf pages of each client on each frame */
    uint8_t table_of[FRAMES];           /* 1 + client holding the frame as a table */
    uint16_t users[FRAMES];             /* leaf pages and tables of every client on each frame */
    uint8_t node[FRAMES];               /* 1: holds region nodes of some client (mark_nodes) */
    uint16_t held[CLIENTS][FRAMES];     /* the frames each client reached (as data or table) */
    unsigned nheld[CLIENTS];
    uint64_t used; /* frames with users */
    /* The frames the current check looks at (those the walked clients reached before or
     * reach now), each once: */
    uint16_t touched[CLIENTS * FRAMES];
    unsigned ntouched;
    uint32_t stamp[FRAMES], check; /* stamp[f] == check: f is in touched */
    uint64_t digest[CLIENTS];      /* of every table entry of each client */
    uint64_t tables[CLIENTS];      /* tables below each client's root */
    uint64_t backed[CLIENTS];      /* pool pages each client maps */
    uint32_t prev_ref[FRAMES];     /* pool refs after the last operation */
    uint32_t gen[CLIENTS];         /* incarnation of each client id (one more at every end) */
    window_t window[MAX_WINDOWS];  /* every accept that succeeded */
    unsigned windows;
    unsigned ops; /* operations of this input so far */
} fuzz_t;

/* What the whole run did, printed at exit (are all kinds of operations reached?). */
static struct {
    uint64_t inputs, ops, requests, ok, faults, kills, shares, recreated, sweeps;
} total;

/* What a failed request or a RETRY fault must leave exactly as it was: every table entry
 * (as a digest of the walk), every client's account and regions, the pool. */
typedef struct snap {
    uint64_t digest[CLIENTS];
    mm_client_t client[CLIENTS];
    uint64_t regions[CLIENTS]; /* a digest of each client's regions */
    uint64_t free, reserved, pending;
    uint32_t ref[FRAMES];
} snap_t;

static fuzz_t fz;

/* ---- the independent walk ---------------------------------------------------------------- */

/* MM_PERM_* of pt permissions. */
static uint8_t mm_perm_of(uint8_t pt) {
    return (uint8_t)((pt & PT_R ? MM_PERM_R : 0) | (pt & PT_W ? MM_PERM_W : 0) |
                     (pt & PT_X ? MM_PERM_X : 0));
}

/* Index of pool frame pa (=> in the pool window). */
static uint64_t frame_of(pt_paddr_t pa) {
    return (pa - MMT_POOL_PA) / PG;
}

/* True if pa is in a pool frame clients may get (past the pool's metadata frames): the
 * harness's own test, not mm_pool_has, which is code under test (and instrumented). */
static bool in_pool(pt_paddr_t pa) {
    const mm_pool_t *pool = &fz.e->srv->pool;
    return pa - pool->pa < pool->frames * PG && pa - pool->pa >= pool->meta * PG;
}

/* The region of client c holding va, or NULL (its own search, not mm_region_at). */
static const mm_region_t *region_of(const mm_client_t *c, uint64_t va) {
    for (const mm_region_t *r = c->active ? mm_region_first(c) : NULL; r; r = mm_region_next(r)) {
        if (va - r->base < r->len) {
            return r;
        }
    }
    return NULL;
}

/* Adds frame f to the frames the current check looks at. */
static void touch_frame(uint64_t f) {
    if (fz.stamp[f] != fz.check) {
        fz.stamp[f] = fz.check;
        fz.touched[fz.ntouched++] = (uint16_t)f;
    }
}

/* Records one more user of frame f by client id (a leaf page, or the table when table). */
static void add_user(uint32_t id, uint64_t f, bool table) {
    if (fz.uses[id][f] == 0 && fz.table_of[f] != id + 1) {
        fz.held[id][fz.nheld[id]++] = (uint16_t)f;
        touch_frame(f);
    }
    if (table) {
        fz.table_of[f] = (uint8_t)(id + 1);
    } else {
        fz.uses[id][f]++;
    }
    fz.used += fz.users[f] == 0;
    fz.users[f]++;
}

/* Checks one leaf of client id at va (size 1 << shift) and records the pool frames it
 * reaches. */
static void visit_leaf(uint32_t id, uint64_t va, unsigned shift, pt_paddr_t pa, pt_attr_t a) {
    const mm_client_t *c = &fz.e->srv->client[id];
    const mm_pool_t *pool = &fz.e->srv->pool;
    uint8_t perm = mm_perm_of(a.perm);
    FZ_CHECK(!((a.perm & PT_W) && (a.perm & PT_X)), "client %u: W+X leaf at %#llx", id,
             (unsigned long long)va);
    FZ_CHECK(a.perm & PT_U, "client %u: leaf at %#llx not user", id, (unsigned long long)va);
    /* The leaf in runs of pages of one region each (a leaf may span regions of equal
     * attributes): the region's checks once per run, a device run as a whole (its
     * addresses are linear), a data run page by page (each frame is counted). */
    for (uint64_t off = 0, size = 1ull << shift; off < size;) {
        const mm_region_t *r = fz.last_region;
        if (!r || va + off - r->base >= r->len) {
            r = fz.last_region = region_of(c, va + off);
        }
        FZ_CHECK(r != NULL, "client %u: leaf page %#llx outside every region", id,
                 (unsigned long long)(va + off));
        uint64_t run = r->base + r->len - (va + off);
        run = run < size - off ? run : size - off;
        pt_attr_t want = mmt_region_attr(r);
        FZ_CHECK(!(r->perm & ~r->maxperm), "client %u: region %#llx perm %#x above its max %#x", id,
                 (unsigned long long)r->base, r->perm, r->maxperm);
        FZ_CHECK(r->perm == perm && (a.perm & (PT_R | PT_W | PT_X | PT_U)) == want.perm &&
                     a.memtype == want.memtype,
                 "client %u: leaf %#llx perm %#x memtype %u, region perm %#x memtype %u", id,
                 (unsigned long long)(va + off), perm, a.memtype, r->perm, want.memtype);
        if (r->kind == MM_KIND_DEVICE) {
            pt_paddr_t from = pa + off, pool_end = pool->pa + pool->frames * PG;
            FZ_CHECK(c->privileged && from == r->pa + (va + off - r->base) && from + run > from &&
                         (from >= pool_end || from + run <= pool->pa),
                     "client %u: device leaf %#llx -> %#llx (+%#llx)", id,
                     (unsigned long long)(va + off), (unsigned long long)from,
                     (unsigned long long)run);
            off += run;
            continue;
        }
        for (uint64_t end = off + run; off < end; off += PG) {
            FZ_CHECK(in_pool(pa + off), "client %u: data leaf %#llx -> %#llx not a pool frame", id,
                     (unsigned long long)(va + off), (unsigned long long)(pa + off));
            uint64_t f = frame_of(pa + off);
            uint32_t ref = pool->frame[f].ref;
            FZ_CHECK(ref != 0 && ref != MM_FRAME_PENDING && ref != MM_FRAME_META,
                     "client %u: %#llx reaches frame %llu whose pool state is %#x", id,
                     (unsigned long long)(va + off), (unsigned long long)f, ref);
            add_user(id, f, false);
            fz.reach[f] |= (uint8_t)(1u << id);
            fz.reach_perm[f][id] |= perm;
            fz.reach_max[f][id] |= r->maxperm;
            fz.backed[id]++;
        }
    }
}

/* Walks the table at pa (entries at level, covering from base) of client id. */
static void walk_table(uint32_t id, pt_paddr_t pa, int level, uint64_t base) {
    const pt_format_t *fmt = fz.e->fmt;
    FZ_CHECK(in_pool(pa), "client %u: table %#llx outside the pool", id, (unsigned long long)pa);
    uint64_t t = frame_of(pa);
    FZ_CHECK(fz.table_of[t] == 0, "table frame %llu used twice (clients %u and %u)",
             (unsigned long long)t, fz.table_of[t] - 1u, id);
    add_user(id, t, true);
    fz.tables[id]++;
    const uint64_t *e = (const uint64_t *)mmt_bytes(fz.e, pa);
    unsigned shift = 12u + 9u * (unsigned)level;
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (e[i] == 0) {
            continue;
        }
        /* The digest sums a mix of every non-zero entry with its place (zero ones add
         * nothing): any entry written, changed or cleared changes it. */
        uint64_t z = (e[i] ^ (pa + i * 8) * 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
        fz.digest[id] += z ^ (z >> 31);
        uint64_t va = base + ((uint64_t)i << shift);
        if (va >= fz.e->srv->user_top) {
            continue;
        }
        pt_paddr_t next = 0;
        pt_attr_t a = {0, 0};
        pt_kind_t k = fmt->decode(e[i], (unsigned)level, fz.e->srv->cfg.space_flags, &next, &a);
        if (k == PT_KIND_TABLE && level > 0) {
            walk_table(id, next, level - 1, va);
        } else {
            FZ_CHECK(k == PT_KIND_LEAF, "client %u: entry %#llx at level %d decodes as %d", id,
                     (unsigned long long)e[i], level, (int)k);
            visit_leaf(id, va, shift, next, a);
        }
    }
}

/* The leaf of client id at va, by its own walk: false for a hole. */
static bool leaf_at(uint32_t id, uint64_t va, pt_paddr_t *pa, uint8_t *perm) {
    const mm_client_t *c = &fz.e->srv->client[id];
    pt_paddr_t table = c->space.root;
    for (int level = fz.e->fmt->levels - 1; level >= 0; level--) {
        uint64_t raw = ((const uint64_t *)mmt_bytes(fz.e, table))[(va >> (12 + 9 * level)) & 511];
        pt_attr_t a = {0, 0};
        pt_paddr_t next = 0;
        if (raw == 0) {
            return false;
        }
        if (fz.e->fmt->decode(raw, (unsigned)level, c->space.flags, &next, &a) == PT_KIND_LEAF) {
            *pa = next + (va & ((1ull << (12 + 9 * level)) - 1));
            *perm = mm_perm_of(a.perm);
            return true;
        }
        table = next;
    }
    return false;
}

/* ---- the ownership model ------------------------------------------------------------------- */

/* True if the 4 KiB frame f reads as zeroes. */
static bool zeroed(uint64_t f) {
    static const uint8_t zero[PG];
    return memcmp(mmt_bytes(fz.e, MMT_POOL_PA + f * PG), zero, PG) == 0;
}

/* Walks client id's tables again: what its last walk recorded is replaced. */
static void walk_client(uint32_t id) {
    const mm_client_t *c = &fz.e->srv->client[id];
    fz.last_region = NULL;
    for (unsigned i = 0; i < fz.nheld[id]; i++) {
        uint16_t f = fz.held[id][i];
        fz.users[f] = (uint16_t)(fz.users[f] - fz.uses[id][f] - (fz.table_of[f] == id + 1));
        fz.used -= fz.users[f] == 0;
        fz.uses[id][f] = 0;
        fz.reach[f] &= (uint8_t) ~(1u << id);
        fz.reach_perm[f][id] = fz.reach_max[f][id] = 0;
        fz.table_of[f] = fz.table_of[f] == id + 1 ? 0 : fz.table_of[f];
        touch_frame(f);
    }
    fz.nheld[id] = 0;
    fz.digest[id] = (0xcbf29ce484222325ull ^ c->active ^ (uint64_t)id << 8) * 0x100000001b3ull;
    fz.tables[id] = fz.backed[id] = 0;
    if (c->active) {
        walk_table(id, c->space.root, fz.e->fmt->levels - 1, 0);
    }
}

/* Checks pool frame f against the walks and the model: as many pool users as leaf pages and
 * tables reach it, never both a table and data; a client reaching it was given it (by a
 * share), or it is fresh: free before the operation, now reached by the actor alone, and
 * zeroed (then the actor may hold it with its region's max perms); nobody holds it with
 * more than it was given. Then records its pool state for the next operation, and takes
 * the frame's rights from the walked clients that no longer reach it. */
static void check_frame(uint64_t f, uint32_t actor) {
    const mm_pool_t *pool = &fz.e->srv->pool;
    uint8_t m = fz.reach[f];
    uint32_t ref = pool->frame[f].ref;
    FZ_CHECK(ref == fz.users[f] + fz.node[f],
             "frame %llu: the pool counts %u users, the tables %u, region nodes %u",
             (unsigned long long)f, ref, fz.users[f], fz.node[f]);
    FZ_CHECK(!(fz.node[f] && (m || fz.table_of[f])), "frame %llu holds region nodes and is mapped",
             (unsigned long long)f);
    FZ_CHECK(!(m && fz.table_of[f]), "frame %llu is a table of client %u and data of %#x",
             (unsigned long long)f, fz.table_of[f] - 1u, m);
    for (uint32_t id = 0; id < CLIENTS; id++) {
        if (!(m & (1u << id))) {
            continue;
        }
        if (fz.allowed[f][id] == 0) {
            FZ_CHECK(fz.prev_ref[f] == 0,
                     "client %u reaches frame %llu (clients %#x), used before, without a share", id,
                     (unsigned long long)f, m);
            FZ_CHECK(id == actor && m == (1u << id),
                     "fresh frame %llu reached by clients %#x after client %u's operation",
                     (unsigned long long)f, m, actor);
            FZ_CHECK(zeroed(f), "fresh frame %llu handed out unzeroed", (unsigned long long)f);
            memset(mmt_bytes(fz.e, MMT_POOL_PA + f * PG), 0x5a, 8); /* the program writes */
            fz.allowed[f][id] = fz.reach_max[f][id];
        }
        FZ_CHECK(!(fz.reach_perm[f][id] & ~fz.allowed[f][id]),
                 "client %u holds frame %llu with perm %#x; it was given %#x", id,
                 (unsigned long long)f, fz.reach_perm[f][id], fz.allowed[f][id]);
    }
    for (uint32_t id = 0; id < CLIENTS; id++) {
        if (ref == 0 || ((fz.walked & ~m) & (1u << id))) {
            fz.allowed[f][id] = 0;
        }
    }
    fz.prev_ref[f] = ref;
}

/* What tests/mmserver's sweep (mmt_check) counts, from the walks, for the accounts: each
 * client's data charge, tables and unbacked pages agree with its regions and its tables,
 * within its quota; the pool's free, used and metadata frames make its size, and it
 * promises exactly what the clients may still take. */
static void check_accounts(void) {
    const mm_pool_t *pool = &fz.e->srv->pool;
    uint64_t promised = 0, nodes = 0; /* nodes: frames holding region nodes */
    for (uint32_t id = 0; id < CLIENTS; id++) {
        const mm_client_t *c = &fz.e->srv->client[id];
        uint64_t data = 0;
        for (const mm_region_t *r = c->active ? mm_region_first(c) : NULL; r;
             r = mm_region_next(r)) {
            data += r->kind == MM_KIND_DEVICE ? 0 : r->len / PG;
        }
        const char *why = c->active ? mm_region_check(c) : NULL;
        FZ_CHECK(why == NULL, "client %u: region tree: %s", id, why);
        nodes += c->active ? c->rframes : 0;
        FZ_CHECK(!c->active || (c->data == data && c->tables == c->space.tables &&
                                c->tables == fz.tables[id] && c->tables <= c->tables_max &&
                                c->unbacked == data - fz.backed[id] && mm_charge(c) <= c->quota),
                 "client %u: data %llu (regions %llu), tables %llu (space %llu, walk %llu, "
                 "charged %llu), unbacked %llu (walk %llu), quota %llu",
                 id, (unsigned long long)c->data, (unsigned long long)data,
                 (unsigned long long)c->tables, (unsigned long long)c->space.tables,
                 (unsigned long long)fz.tables[id], (unsigned long long)c->tables_max,
                 (unsigned long long)c->unbacked, (unsigned long long)(data - fz.backed[id]),
                 (unsigned long long)c->quota);
        promised += c->active ? c->unbacked + c->tables_max - c->tables : 0;
    }
    FZ_CHECK(pool->pending == 0 && pool->free + fz.used + nodes + pool->meta == pool->frames &&
                 pool->reserved == promised && pool->free >= pool->reserved,
             "pool: free %llu + used %llu + meta %llu of %llu, promised %llu (clients %llu)",
             (unsigned long long)pool->free, (unsigned long long)fz.used,
             (unsigned long long)pool->meta, (unsigned long long)pool->frames,
             (unsigned long long)pool->reserved, (unsigned long long)promised);
}

/* Walks the clients in mask (those the operation named: no other may change) and checks
 * every frame they reached before or reach now against the model (check_frame), and the
 * accounts; actor is the client whose operation just ran (it alone may have received
 * fresh frames; CLIENTS: nobody). */
/* Marks the frames holding region nodes of every active client (one user each), and
 * has check_model check every frame that held nodes before or holds them now (a node frame
 * given back is free again, and may be handed out as data in a later operation: its
 * recorded state must follow). => fz.check is this check's stamp. */
static void mark_nodes(void) {
    for (uint64_t f = 0; f < FRAMES; f++) {
        if (fz.node[f]) {
            touch_frame(f);
        }
    }
    memset(fz.node, 0, sizeof(fz.node));
    for (uint32_t id = 0; id < CLIENTS; id++) {
        const mm_client_t *c = &fz.e->srv->client[id];
        for (const mm_region_t *r = c->active ? mm_region_first(c) : NULL; r;
             r = mm_region_next(r)) {
            uint64_t f = frame_of(mm_region_frame(r));
            fz.node[f] = 1;
            touch_frame(f);
        }
    }
}

static void check_model(uint32_t actor, unsigned mask) {
    fz.check++;
    fz.ntouched = 0;
    fz.walked = mask;
    mark_nodes();
    for (uint32_t id = 0; id < CLIENTS; id++) {
        if (mask & (1u << id)) {
            walk_client(id);
        }
    }
    for (unsigned i = 0; i < fz.ntouched; i++) {
        check_frame(fz.touched[i], actor);
    }
    check_accounts();
}

/* The clients an operation of client c with label and words w may change: c, and the
 * receiver of a share. */
static unsigned named(uint32_t c, uint64_t label, const uint64_t *w) {
    unsigned mask = c < CLIENTS ? 1u << c : 0;
    if (label == MM_SHARE && w[MM_A_SHR_TO] < CLIENTS) {
        mask |= 1u << w[MM_A_SHR_TO];
    }
    return mask;
}

/* Every SWEEP_EVERY operations and at the end of an input: every client walked again, each
 * one's tables exactly as the last operation that named it left them (no operation may
 * change another client's tables), and tests/mmserver's own sweep, mmt_check (which also
 * checks what no walk here does: the tables each client is charged for its regions). */
static void full_sweep(void) {
    uint64_t last[CLIENTS];
    memcpy(last, fz.digest, sizeof(last));
    check_model(CLIENTS, EVERY);
    for (uint64_t f = fz.e->srv->pool.meta; f < FRAMES; f++) {
        check_frame(f, CLIENTS); /* the frames no walk reaches too */
    }
    for (uint32_t id = 0; id < CLIENTS; id++) {
        FZ_CHECK(fz.digest[id] == last[id],
                 "client %u's tables changed in an operation that did not name it (one of the "
                 "last %u)",
                 id, SWEEP_EVERY);
    }
    mmt_check(fz.e);
    total.sweeps++;
}

/* Client id went away: the frames it alone reached are free again, and it keeps no right. */
static void check_gone(uint32_t id, const uint8_t *before) {
    const mm_pool_t *pool = &fz.e->srv->pool;
    FZ_CHECK(!fz.e->srv->client[id].active && fz.e->k.root[id] == 0);
    for (uint64_t f = pool->meta; f < FRAMES; f++) {
        FZ_CHECK(before[f] != (1u << id) || pool->frame[f].ref == 0,
                 "frame %llu that only client %u held is not free after it went away (ref %u)",
                 (unsigned long long)f, id, pool->frame[f].ref);
        fz.allowed[f][id] = 0;
    }
    fz.gen[id]++;
}

/* ---- drawing words from the input ------------------------------------------------------------ */

/* An address: mostly in or next to one of client c's regions or in the window, sometimes a
 * boundary of the user range, unaligned, or anything. */
static uint64_t pick_va(uint32_t c) {
    const mm_client_t *cl = &fz.e->srv->client[c % CLIENTS];
    uint8_t sel = fz_u8(&fz.in) % 16;
    uint64_t top = fz.e->srv->user_top;
    const uint64_t special[] = {0,   MM_USER_BASE - PG, MM_USER_BASE, top - PG,
                                top, 1ull << 47,        ~0xfffull,    top - 2 * MIB};
    if (sel < 6 && cl->nregions) {
        const mm_region_t *r = mmt_region_nth(cl, fz_u8(&fz.in) % cl->nregions);
        return r->base + fz_below(&fz.in, r->len / PG + 2) * PG - (sel == 5 ? PG : 0);
    }
    if (sel < 10) {
        return WIN + fz_below(&fz.in, WIN_PG) * PG;
    }
    if (sel < 12) {
        return WIN + fz_below(&fz.in, 4) * 2 * MIB;
    }
    switch (sel) {
        case 12:
            return SHR_WIN + fz_below(&fz.in, 64) * PG;
        case 13:
            return special[fz_u8(&fz.in) % 8];
        case 14:
            return WIN + fz_u16(&fz.in);
        default:
            return fz_u64(&fz.in);
    }
}

/* A length: mostly a few pages, the rest of the region at va, 2 or 4 MiB; sometimes 0,
 * unaligned, or anything. */
static uint64_t pick_len(uint32_t c, uint64_t va) {
    uint8_t sel = fz_u8(&fz.in) % 12;
    const mm_region_t *r = region_of(&fz.e->srv->client[c % CLIENTS], va);
    if (sel < 6) {
        return (1 + fz_u8(&fz.in) % 16) * PG;
    }
    switch (sel) {
        case 6:
            return r ? r->base + r->len - va : PG;
        case 7:
            return (1 + fz_u8(&fz.in) % 2) * 2 * MIB;
        case 8:
            return (1 + fz_below(&fz.in, 1024)) * PG;
        case 9:
            return 0;
        case 10:
            return fz_u16(&fz.in);
        default:
            return fz_u64(&fz.in);
    }
}

/* Permissions: mostly valid ones, sometimes W+X, none, or unknown bits. */
static uint64_t pick_perm(void) {
    static const uint64_t perms[] = {MM_PERM_R,
                                     MM_PERM_R | MM_PERM_W,
                                     MM_PERM_R | MM_PERM_X,
                                     MM_PERM_R,
                                     MM_PERM_R | MM_PERM_W,
                                     MM_PERM_X,
                                     MM_PERM_W,
                                     0,
                                     ALL,
                                     8 | MM_PERM_R};
    uint8_t sel = fz_u8(&fz.in);
    return sel < 250 ? perms[sel % 10] : fz_u64(&fz.in);
}

/* MM_MAP flags: the combinations, legal or not, and unknown bits. */
static uint64_t pick_flags(void) {
    static const uint64_t flags[] = {0,
                                     MM_F_LAZY,
                                     MM_F_OVERWRITE,
                                     MM_F_HUGE,
                                     MM_F_ANYWHERE,
                                     MM_F_LAZY | MM_F_OVERWRITE,
                                     MM_F_HUGE | MM_F_OVERWRITE,
                                     MM_F_ANYWHERE | MM_F_HUGE,
                                     MM_F_ANYWHERE | MM_F_LAZY,
                                     MM_F_ANYWHERE | MM_F_OVERWRITE,
                                     MM_F_LAZY | MM_F_HUGE,
                                     0x10};
    uint8_t sel = fz_u8(&fz.in);
    return sel < 250 ? flags[sel % 12] : fz_u64(&fz.in);
}

/* A client id as a request word: mostly another client, sometimes one that does not exist. */
static uint64_t pick_peer(uint32_t c) {
    uint8_t sel = fz_u8(&fz.in);
    if (sel < 224) {
        return (c + 1 + sel % (CLIENTS - 1)) % CLIENTS;
    }
    const uint64_t odd[] = {c, CLIENTS, MM_CLIENT_ID_LIMIT, 1ull << 32, ~0ull};
    return odd[sel % 5];
}

/* ---- operations -------------------------------------------------------------------------------
 */

/* The state now, the tables as of the last walk (check_model after every operation). */
/* A digest of client c's regions, in address order, every field. */
static uint64_t regions_digest(const mm_client_t *c) {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (const mm_region_t *r = c->active ? mm_region_first(c) : NULL; r; r = mm_region_next(r)) {
        uint64_t f[] = {r->base, r->len, r->pa, r->peer,
                        (uint64_t)r->perm | (uint64_t)r->maxperm << 8 | (uint64_t)r->kind << 16 |
                            (uint64_t)r->memtype << 24};
        for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
            h = (h ^ f[i]) * 0x100000001b3ull;
        }
    }
    return h;
}

static void snap_take(snap_t *s) {
    const mm_pool_t *p = &fz.e->srv->pool;
    memcpy(s->digest, fz.digest, sizeof(s->digest));
    memcpy(s->client, fz.e->srv->client, sizeof(s->client));
    for (uint32_t id = 0; id < CLIENTS; id++) {
        s->regions[id] = regions_digest(&fz.e->srv->client[id]);
    }
    s->free = p->free;
    s->reserved = p->reserved;
    s->pending = p->pending;
    for (uint64_t f = 0; f < FRAMES; f++) {
        s->ref[f] = p->frame[f].ref;
    }
}

/* Checks that nothing changed since s (walking again the tables of the clients in mask, the
 * ones the operation named; the others' are checked at the next full sweep). */
static void snap_expect(const snap_t *s, const char *what, unsigned mask) {
    const mm_pool_t *p = &fz.e->srv->pool;
    check_model(CLIENTS, mask); /* nobody may have received a fresh frame */
    FZ_CHECK(!memcmp(fz.digest, s->digest, sizeof(s->digest)), "%s changed a page table", what);
    for (uint32_t id = 0; id < CLIENTS; id++) {
        const mm_client_t *a = &fz.e->srv->client[id], *b = &s->client[id];
        FZ_CHECK(a->active == b->active && a->data == b->data && a->tables == b->tables &&
                     a->tables_max == b->tables_max && a->unbacked == b->unbacked &&
                     a->quota == b->quota && a->nregions == b->nregions &&
                     a->rframes == b->rframes && regions_digest(a) == s->regions[id],
                 "%s changed client %u's account or regions", what, id);
    }
    FZ_CHECK(p->free == s->free && p->reserved == s->reserved && p->pending == s->pending,
             "%s changed the pool: free %llu (was %llu), reserved %llu (was %llu)", what,
             (unsigned long long)p->free, (unsigned long long)s->free,
             (unsigned long long)p->reserved, (unsigned long long)s->reserved);
    for (uint64_t f = 0; f < FRAMES; f++) {
        FZ_CHECK(p->frame[f].ref == s->ref[f], "%s changed frame %llu's users (%u, was %u)", what,
                 (unsigned long long)f, p->frame[f].ref, s->ref[f]);
    }
}

/* Sends one request from client c (any id) and checks it: mmt_req's own checks, an
 * unchanged snapshot after a failure, the model after every request. Returns the error. */
static mm_err_t request(uint32_t c, uint64_t label, const uint64_t *w) {
    static snap_t before;
    snap_take(&before);
    mm_err_t err = mmt_req(fz.e, c, label, w[0], w[1], w[2], w[3], w[4], w[5]);
    total.requests++;
    fz.e->srv->pool.fail_at = 0;
    if (fz_trace()) {
        const uint64_t *r = fz.e->reply;
        fprintf(stderr,
                "req c%u L%llu %#llx %#llx %#llx %#llx %#llx %#llx -> %s: %#llx %#llx %#llx "
                "%#llx %#llx %#llx\n",
                c, (unsigned long long)label, (unsigned long long)w[0], (unsigned long long)w[1],
                (unsigned long long)w[2], (unsigned long long)w[3], (unsigned long long)w[4],
                (unsigned long long)w[5], mm_strerror(err), (unsigned long long)r[0],
                (unsigned long long)r[1], (unsigned long long)r[2], (unsigned long long)r[3],
                (unsigned long long)r[4], (unsigned long long)r[5]);
    }
    if (err != MM_OK) {
        snap_expect(&before, "a failed request", named(c, label, w));
        return err;
    }
    total.ok++;
    if (label == MM_SHARE_ACCEPT && fz.windows < MAX_WINDOWS) {
        uint32_t s = (uint32_t)w[MM_A_ACC_FROM];
        fz.window[fz.windows++] = (window_t){
            c, s, fz.gen[c], fz.gen[s], w[MM_A_ACC_VA], w[MM_A_ACC_LEN], w[MM_A_ACC_MAX]};
    }
    return err;
}

/* A successful MM_SHARE from s: the receiver may now hold each shared frame with the
 * share's permissions, no more than the sender could. */
static void grant_share(uint32_t s, const uint64_t *w) {
    uint32_t t = (uint32_t)w[MM_A_SHR_TO];
    uint64_t dst = w[MM_A_SHR_DST_VA], len = w[MM_A_SHR_LEN];
    bool accepted = fz.windows == MAX_WINDOWS; /* the list is full: cannot tell */
    for (unsigned i = 0; i < fz.windows && !accepted; i++) {
        const window_t *x = &fz.window[i];
        accepted = x->t == t && x->s == s && x->tgen == fz.gen[t] && x->sgen == fz.gen[s] &&
                   dst >= x->base && dst - x->base + len <= x->len && !(w[MM_A_SHR_PERM] & ~x->max);
    }
    FZ_CHECK(accepted,
             "client %u shared [%#llx, +%#llx) into client %u at %#llx with perm %#llx: "
             "no window of this client accepted it",
             s, (unsigned long long)w[MM_A_SHR_VA], (unsigned long long)len, t,
             (unsigned long long)dst, (unsigned long long)w[MM_A_SHR_PERM]);
    total.shares++;
    for (uint64_t off = 0; off < w[MM_A_SHR_LEN]; off += PG) {
        pt_paddr_t pa;
        uint8_t perm;
        FZ_CHECK(leaf_at(s, w[MM_A_SHR_VA] + off, &pa, &perm), "shared page without a frame");
        uint64_t f = frame_of(pa);
        fz.allowed[f][t] |= (uint8_t)(w[MM_A_SHR_PERM] & fz.allowed[f][s]);
    }
}

/* The kill reason mm_fault must give for client c at addr with access (NO_KILL: serve). */
static unsigned expected_fault(uint32_t c, uint64_t addr, uint32_t access) {
    const mm_client_t *cl = &fz.e->srv->client[c];
    if (addr < MM_USER_BASE || addr >= fz.e->srv->user_top) {
        return MM_KILL_RANGE;
    }
    const mm_region_t *r = region_of(cl, addr);
    if (!r) {
        return MM_KILL_UNMAPPED;
    }
    uint32_t need =
        (access & IPC_ACCESS_WRITE ? MM_PERM_W : 0) | (access & IPC_ACCESS_EXEC ? MM_PERM_X : 0);
    need |= (access & IPC_ACCESS_READ) || need == 0 ? MM_PERM_R : 0;
    return (need & ~(uint32_t)r->perm) || r->kind == MM_KIND_DEVICE ? MM_KILL_ACCESS : NO_KILL;
}

/* A fault of client c at addr with access, checked against the regions. */
static void fault(uint32_t c, uint64_t addr, uint32_t access) {
    if (c >= CLIENTS || !fz.e->srv->client[c].active) {
        return;
    }
    uint8_t before[FRAMES];
    memcpy(before, fz.reach, sizeof(before));
    unsigned want = expected_fault(c, addr, access);
    uint64_t kills = fz.e->k.kills;
    static snap_t snap;
    snap_take(&snap);
    mm_kill_reason_t why = MM_KILL_NONE;
    mm_fault_answer_t a = mm_fault(fz.e->srv, c, addr, access, &why);
    bool armed = fz.e->srv->pool.fail_at != 0;
    fz.e->srv->pool.fail_at = 0;
    total.faults++;
    if (fz_trace()) {
        fprintf(stderr, "fault c%u %#llx access %#x -> %d (reason %d)\n", c,
                (unsigned long long)addr, access, (int)a, (int)why);
    }
    FZ_CHECK(fz.e->srv->pool.pending == 0, "a fault left frames pending");
    if (want == NO_KILL) {
        FZ_CHECK(a == MM_FAULT_RESUME || (a == MM_FAULT_RETRY && armed),
                 "client %u: fault at %#llx access %#x answered %d (reason %d), should be served",
                 c, (unsigned long long)addr, access, (int)a, (int)why);
        pt_paddr_t pa;
        uint8_t perm;
        if (a == MM_FAULT_RETRY) {
            snap_expect(&snap, "a fault answered RETRY", 1u << c);
        } else {
            FZ_CHECK(leaf_at(c, addr & ~(PG - 1), &pa, &perm), "resumed fault left no page");
        }
    } else {
        FZ_CHECK(a == MM_FAULT_KILL && why == want && fz.e->k.kills == kills + 1 &&
                     fz.e->k.last_kill == why,
                 "client %u: fault at %#llx access %#x answered %d reason %d, want kill %u", c,
                 (unsigned long long)addr, access, (int)a, (int)why, want);
        total.kills++;
    }
    check_model(c, 1u << c);
    if (a == MM_FAULT_KILL) {
        check_gone(c, before);
    }
}

/* Client c accepts a window from another and that one shares part of a region into it. */
static void accept_and_share(uint32_t t) {
    uint32_t s = (uint32_t)pick_peer(t) % CLIENTS;
    const mm_client_t *src = &fz.e->srv->client[s];
    if (!src->active || !src->nregions || t == s) {
        return;
    }
    mm_region_t r = *mmt_region_nth(src, fz_u8(&fz.in) % src->nregions);
    uint64_t first = fz_below(&fz.in, r.len / PG), n = 1 + fz_below(&fz.in, 16);
    n = n < r.len / PG - first ? n : r.len / PG - first;
    uint64_t dst = SHR_WIN + fz_below(&fz.in, 32) * 16 * PG;
    uint8_t how = fz_u8(&fz.in);
    /* Mostly a share that can work: a max without W+X, a perm inside it and inside what the
     * sender has, its pages touched first; else the input's own words. */
    uint64_t max = how & 1 ? pick_perm() : r.perm & MM_PERM_X ? MM_PERM_R | MM_PERM_X : ALL & ~4u;
    uint64_t perm = how & 2 ? pick_perm() : (r.perm & max) & (how & 4 ? ALL : MM_PERM_R);
    uint64_t acc[MM_REQ_WORDS] = {s, dst, (n + fz_below(&fz.in, 4)) * PG, max, 0, 0};
    request(t, MM_SHARE_ACCEPT, acc);
    check_model(t, 1u << t);
    for (uint64_t i = 0; i < n && !(how & 8) && (r.perm & MM_PERM_R); i++) {
        fault(s, r.base + (first + i) * PG, IPC_ACCESS_READ);
    }
    uint64_t shr[MM_REQ_WORDS] = {r.base + first * PG, n * PG, t, dst, perm, 0};
    if (request(s, MM_SHARE, shr) == MM_OK) {
        grant_share(s, shr);
    }
    check_model(s, named(s, MM_SHARE, shr));
}

/* Client c touches up to four pages: mostly of one of its regions with an access the
 * region allows (a program using its memory), else anywhere with any access. */
static void touch(uint32_t c) {
    const mm_client_t *cl = &fz.e->srv->client[c];
    uint8_t how = fz_u8(&fz.in);
    uint64_t va = pick_va(c);
    uint32_t access = 1u << (fz_u8(&fz.in) % 3);
    if (how < 224 && cl->nregions) {
        const mm_region_t *r = mmt_region_nth(cl, how % cl->nregions);
        va = r->base + fz_below(&fz.in, r->len / PG) * PG;
        access = r->perm & MM_PERM_W ? IPC_ACCESS_WRITE : IPC_ACCESS_READ;
    }
    for (unsigned n = 1 + fz_u8(&fz.in) % 4; n > 0; n--, va += PG) {
        fault(c, va, access);
    }
}

/* One request with words drawn for its label (or an unknown label). */
static void random_request(uint32_t c, uint8_t kind) {
    uint64_t w[MM_REQ_WORDS] = {0};
    uint64_t label = kind;
    w[0] = pick_va(c);
    switch (kind) {
        case MM_MAP:
            w[1] = pick_len(c, w[0]);
            w[2] = pick_perm();
            w[3] = pick_flags();
            break;
        case MM_UNMAP:
        case MM_DECOMMIT:
            w[1] = pick_len(c, w[0]);
            break;
        case MM_PROTECT:
            w[1] = pick_len(c, w[0]);
            w[2] = pick_perm();
            break;
        case MM_QUERY:
        case MM_STATS:
            break;
        case MM_SHARE_ACCEPT:
            w[1] = w[0];
            w[0] = pick_peer(c);
            w[2] = pick_len(c, w[1]);
            w[3] = pick_perm();
            break;
        case MM_SHARE:
            w[1] = pick_len(c, w[0]);
            w[2] = pick_peer(c);
            w[3] = pick_va((uint32_t)w[2]);
            w[4] = pick_perm();
            break;
        case MM_MAP_DEVICE: {
            const uint64_t pas[] = {MMT_DEVICE_PA, MMT_POOL_PA + 16 * PG, MMT_DEVICE_PA + 1,
                                    fz_u64(&fz.in)};
            w[1] = pick_len(c, w[0]);
            w[2] = pas[fz_u8(&fz.in) % 4];
            w[3] = fz_u8(&fz.in) % 4;
            w[4] = pick_perm();
            w[5] = pick_flags();
            break;
        }
        default: {
            const uint64_t labels[] = {0, MM_LABEL_COUNT_, 1ull << 40, ~0ull};
            label = labels[fz_u8(&fz.in) % 4];
            for (unsigned i = 1; i < MM_REQ_WORDS; i++) {
                w[i] = fz_u64(&fz.in);
            }
        }
    }
    mm_err_t err = request(c, label, w);
    if (err == MM_OK && label == MM_SHARE) {
        grant_share(c, w);
    }
    if (err == MM_OK && label == MM_STATS) {
        const mm_client_t *cl = &fz.e->srv->client[c];
        FZ_CHECK(fz.e->reply[MM_R_ST_CHARGE] == mm_charge(cl) &&
                     fz.e->reply[MM_R_ST_QUOTA] == cl->quota &&
                     fz.e->reply[MM_R_ST_REGIONS] == cl->nregions,
                 "MM_STATS does not say the account");
    }
    if (err == MM_OK && label == MM_QUERY) {
        /* A hole has frame and leaf size 0; a page a leaf size, and as frame the physical
         * address itself for a privileged client (0 is one: a device at physical 0, the
         * finding fixed-query-device-at-0), never some other pool frame (an unprivileged
         * client may be told less). */
        pt_paddr_t pa = 0;
        uint8_t perm;
        bool present = leaf_at(c, w[0] & ~(PG - 1), &pa, &perm);
        uint64_t said = fz.e->reply[MM_R_Q_FRAME], shift = fz.e->reply[MM_R_Q_SHIFT];
        bool exact = said == pa || said == pa + (w[0] & (PG - 1));
        FZ_CHECK(present ? shift >= 12 && (said != 0 || fz.e->srv->client[c].privileged)
                         : said == 0 && shift == 0,
                 "MM_QUERY frame %#llx leaf size 2^%llu for a %s", (unsigned long long)said,
                 (unsigned long long)shift, present ? "page" : "hole");
        FZ_CHECK(!present || exact ||
                     (!fz.e->srv->client[c].privileged && !in_pool(said & ~(PG - 1))),
                 "MM_QUERY frame %#llx, the tables %#llx", (unsigned long long)said,
                 (unsigned long long)pa);
    }
    check_model(c < CLIENTS ? c : CLIENTS, named(c, label, w));
}

/* Destroys client c (if it exists) and creates it again with a quota from the input. */
static void recreate(uint32_t c) {
    static const uint64_t quotas[] = {MMT_QUOTA, 40, 300, 1200};
    uint8_t before[FRAMES];
    memcpy(before, fz.reach, sizeof(before));
    if (fz.e->srv->client[c].active) {
        FZ_CHECK(mm_client_destroy(fz.e->srv, c) == MM_OK);
        check_model(c, 1u << c);
        check_gone(c, before);
    }
    total.recreated++;
    mm_err_t err = mm_client_create(fz.e->srv, c, quotas[fz_u8(&fz.in) % 4], c == 0);
    FZ_CHECK(err == MM_OK || err == MM_ERR_NOMEM, "create: %s", mm_strerror(err));
    check_model(c, 1u << c);
}

/* One operation drawn from the input. */
static void operation(void) {
    uint8_t op = fz_u8(&fz.in), who = fz_u8(&fz.in);
    uint32_t c = who < 248 ? who % CLIENTS : who % 8 + CLIENTS; /* sometimes nobody */
    total.ops++;
    if (c < CLIENTS && !fz.e->srv->client[c].active && (who & 0x40)) {
        recreate(c); /* killed: mostly it comes back (its parent starts it again) */
    }
    switch (op % 16) {
        case 10:
        case 11:
            touch(c % CLIENTS);
            break;
        case 12:
            fault(c % CLIENTS, pick_va(c % CLIENTS) + fz_u8(&fz.in), fz_u8(&fz.in));
            break;
        case 13:
            accept_and_share(c % CLIENTS);
            break;
        case 14:
            if (op & 0x80) {
                recreate(c % CLIENTS);
            } else {
                fz.e->srv->pool.fail_at = fz.e->srv->pool.attempts + 1 + fz_u8(&fz.in) % 4;
            }
            break;
        default:
            random_request(c, (uint8_t)(op % 16 < 10 ? 1 + op % 16 % 9 : 0)); /* 0: unknown */
            break;
    }
}

/* Prints total. */
static void print_total(void) {
    fprintf(stderr,
            "fuzz_mm: %llu inputs, %llu operations: %llu requests (%llu succeeded), %llu "
            "faults (%llu kills), %llu shares, %llu clients created again, %llu full sweeps\n",
            (unsigned long long)total.inputs, (unsigned long long)total.ops,
            (unsigned long long)total.requests, (unsigned long long)total.ok,
            (unsigned long long)total.faults, (unsigned long long)total.kills,
            (unsigned long long)total.shares, (unsigned long long)total.recreated,
            (unsigned long long)total.sweeps);
}

/* The harness: a server of the format the first byte picks, four clients, the operations. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const pt_format_t *const formats[] = {&pt_format_x86_64, &pt_format_sv48,
                                                 &pt_format_sv39, &pt_format_aarch64};
    if (size < 2) {
        return 0;
    }
    if (total.inputs++ == 0) {
        atexit(print_total);
    }
    memset(&fz, 0, sizeof(fz));
    fz.in = fz_in(data, size);
    fz.e = &fz.env;
    mmt_init(fz.e, formats[fz_u8(&fz.in) % 4], FRAMES);
    for (uint32_t id = 0; id < CLIENTS; id++) {
        mmt_client(fz.e, id, MMT_QUOTA, id == 0);
    }
    fz.e->sweep = false; /* mmt_check runs at every full sweep instead of every request */
    check_model(0, EVERY);
    bool swept = false;
    for (unsigned i = 0; i < MAX_OPS && !fz_done(&fz.in); i++) {
        operation();
        swept = ++fz.ops % SWEEP_EVERY == 0;
        if (swept) {
            full_sweep();
        }
    }
    if (!swept) {
        full_sweep(); /* every input ends with one (not twice when its last operation did) */
    }
    for (uint32_t id = 0; id < CLIENTS; id++) {
        uint8_t before[FRAMES];
        memcpy(before, fz.reach, sizeof(before));
        if (fz.e->srv->client[id].active) {
            FZ_CHECK(mm_client_destroy(fz.e->srv, id) == MM_OK);
            check_model(id, 1u << id);
            check_gone(id, before);
        }
    }
    mmt_fini(fz.e); /* every frame back in the pool, every root unregistered */
    return 0;
}
