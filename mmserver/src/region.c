/*
 * A client's regions: disjoint ranges, each with one permission set and one kind, kept in
 * an AVL tree ordered by base (README "Regions"). Lookup, insert and delete are O(log n);
 * each node also carries its subtree's extent and largest inner gap, so a free range for
 * MM_F_ANYWHERE is found without a walk over every region.
 *
 * Nodes live in pool frames ("slabs") charged to the client like its page tables: a
 * request first reserves the nodes it may need (QUOTA / NOMEM then, before anything
 * changes), edits the tree, and finally gives back frames left without a node
 * (mm_region_trim). Adjacent regions that are interchangeable merge after every edit, so
 * repeated protect and unmap cannot fragment a space without bound.
 *
 * The page-table charge (mm_region_tables) is computed from the edited range and its
 * nearest neighbours only: O(log n) per request, plus O(k) for k regions an overwrite
 * replaces.
 */
#include "internal.h"

/* A region in the tree. The region comes first: a region pointer is its node's. */
typedef struct mm_rnode {
    mm_region_t r;
    struct mm_rnode *kid[2]; /* lower, higher bases; kid[0] links free nodes in a slab */
    struct mm_rnode *up;
    uint64_t lo, hi; /* the subtree's lowest base, highest end */
    uint64_t gap;    /* the subtree's largest gap between two consecutive regions */
    int32_t height;  /* of the subtree (a leaf: 1) */
} mm_rnode_t;

/* The head of a node frame; its nodes follow. */
typedef struct mm_slab {
    struct mm_slab *next, *prev; /* the client's ring of frames with a free node */
    mm_rnode_t *free;            /* this frame's free nodes */
    pt_paddr_t pa;
    uint64_t used; /* nodes in use */
} mm_slab_t;

/* Where a frame's first node is, and how many nodes one frame holds. */
#define SLAB_FIRST ((sizeof(mm_slab_t) + 7u) & ~(uint64_t)7u)
#define SLAB_NODES ((MM_PAGE - SLAB_FIRST) / sizeof(mm_rnode_t))

_Static_assert(SLAB_NODES >= 32, "a node frame holds a useful number of nodes");

/* ---- node memory ----------------------------------------------------------------------- */

/* The frame holding node n (frames are page-aligned where mmserver reaches them). */
static mm_slab_t *slab_of(const mm_rnode_t *n) {
    return (mm_slab_t *)((uintptr_t)n & ~(uintptr_t)(MM_PAGE - 1));
}

/* Takes s out of c's ring. */
static void ring_remove(mm_client_t *c, mm_slab_t *s) {
    if (s->next == s) {
        c->rslabs = NULL;
        return;
    }
    s->prev->next = s->next;
    s->next->prev = s->prev;
    if (c->rslabs == s) {
        c->rslabs = s->next;
    }
}

/* Puts s into c's ring, first (head) or last. */
static void ring_add(mm_client_t *c, mm_slab_t *s, bool head) {
    mm_slab_t *h = c->rslabs;
    if (!h) {
        s->next = s->prev = s;
        c->rslabs = s;
        return;
    }
    s->next = h;
    s->prev = h->prev;
    h->prev->next = s;
    h->prev = s;
    if (head) {
        c->rslabs = s;
    }
}

/* The ring holds every frame with a free node, those with a node in use first and the
 * empty ones last: nodes come from the head, so empty frames are used last and
 * mm_region_trim finds them at the tail. */

mm_err_t mm_region_reserve(mm_client_t *c, uint64_t n) {
    mm_pool_t *pool = &c->srv->pool;
    while (c->rspare < n) {
        pt_paddr_t pa;
        if (mm_charge(c) + 1 > c->quota) {
            return MM_ERR_QUOTA;
        }
        if (!mm_pool_alloc(pool, MM_FROM_FREE, false, &pa)) {
            return MM_ERR_NOMEM;
        }
        mm_slab_t *s = mm_pool_ptr(pool, pa);
        mm_rnode_t *node = (mm_rnode_t *)((uint8_t *)s + SLAB_FIRST);
        s->pa = pa;
        s->used = 0;
        s->free = NULL;
        for (uint64_t i = SLAB_NODES; i-- > 0;) {
            node[i].kid[0] = s->free;
            s->free = &node[i];
        }
        ring_add(c, s, false);
        c->rframes++;
        c->rspare += SLAB_NODES;
    }
    return MM_OK;
}

void mm_region_trim(mm_client_t *c) {
    while (c->rslabs && c->rslabs->prev->used == 0) {
        mm_slab_t *s = c->rslabs->prev;
        ring_remove(c, s);
        mm_pool_free_now(&c->srv->pool, s->pa); /* never mapped: no flush to wait for */
        c->rframes--;
        c->rspare -= SLAB_NODES;
    }
}

/* A zeroed node holding r. => mm_region_reserve made one spare. */
static mm_rnode_t *node_alloc(mm_client_t *c, const mm_region_t *r) {
    mm_slab_t *s = c->rslabs;
    mm_rnode_t *n = s->free;
    s->free = n->kid[0];
    s->used++;
    c->rspare--;
    if (!s->free) {
        ring_remove(c, s);
    }
    mm_mem_zero(n, sizeof(*n));
    mm_mem_copy(&n->r, r, sizeof(*r));
    return n;
}

/* Gives node n back to its frame; the frame itself stays until mm_region_trim. */
static void node_free(mm_client_t *c, mm_rnode_t *n) {
    mm_slab_t *s = slab_of(n);
    if (!s->free) {
        ring_add(c, s, true);
    }
    n->kid[0] = s->free;
    s->free = n;
    s->used--;
    c->rspare++;
    if (s->used == 0) { /* empty: last in the ring */
        ring_remove(c, s);
        ring_add(c, s, false);
    }
    if (c->rhint == n) {
        c->rhint = NULL;
    }
}

pt_paddr_t mm_region_frame(const mm_region_t *r) {
    return slab_of((const mm_rnode_t *)r)->pa;
}

/* ---- the tree -------------------------------------------------------------------------- */

/* One past the last byte of r. */
static pt_vaddr_t region_end(const mm_region_t *r) {
    return r->base + r->len;
}

/* Height of a subtree (0: empty). */
static int32_t height(const mm_rnode_t *n) {
    return n ? n->height : 0;
}

/* Recomputes n's height, extent and largest inner gap from its children. */
static void pull(mm_rnode_t *n) {
    const mm_rnode_t *l = n->kid[0], *h = n->kid[1];
    uint64_t gap = 0;
    int32_t hl = height(l), hh = height(h);
    n->height = 1 + (hl > hh ? hl : hh);
    n->lo = l ? l->lo : n->r.base;
    n->hi = h ? h->hi : region_end(&n->r);
    if (l) {
        gap = l->gap > n->r.base - l->hi ? l->gap : n->r.base - l->hi;
    }
    if (h) {
        gap = h->gap > gap ? h->gap : gap;
        gap = h->lo - region_end(&n->r) > gap ? h->lo - region_end(&n->r) : gap;
    }
    n->gap = gap;
}

/* Puts now where old was below parent (NULL: the root). */
static void relink(mm_client_t *c, mm_rnode_t *parent, const mm_rnode_t *old, mm_rnode_t *now) {
    if (!parent) {
        c->rroot = now;
    } else {
        parent->kid[parent->kid[1] == old] = now;
    }
    if (now) {
        now->up = parent;
    }
}

/* Rotates x down to side d; its child on the other side takes its place. */
static void rotate(mm_client_t *c, mm_rnode_t *x, int d) {
    mm_rnode_t *y = x->kid[!d];
    x->kid[!d] = y->kid[d];
    if (y->kid[d]) {
        y->kid[d]->up = x;
    }
    relink(c, x->up, x, y);
    y->kid[d] = x;
    x->up = y;
    pull(x);
    pull(y);
}

/* Restores the AVL balance at n (children balanced, heights differing by at most 2) and
 * its summaries; returns the subtree's new top. */
static mm_rnode_t *rebalance(mm_client_t *c, mm_rnode_t *n) {
    int32_t bal = height(n->kid[0]) - height(n->kid[1]);
    if (bal > 1 || bal < -1) {
        int heavy = bal < 0; /* the taller side */
        mm_rnode_t *k = n->kid[heavy];
        if (height(k->kid[!heavy]) > height(k->kid[heavy])) {
            rotate(c, k, heavy); /* inner grandchild: double rotation */
        }
        rotate(c, n, !heavy);
        return n->up;
    }
    pull(n);
    return n;
}

/* Rebalances and refreshes the summaries from n up to the root. */
static void retrace(mm_client_t *c, mm_rnode_t *n) {
    while (n) {
        n = rebalance(c, n)->up;
    }
}

/* Leftmost (d = 0) or rightmost (d = 1) node below n. */
static mm_rnode_t *extreme(mm_rnode_t *n, int d) {
    while (n && n->kid[d]) {
        n = n->kid[d];
    }
    return n;
}

/* The neighbour of n in address order: next (d = 1) or previous (d = 0). */
static mm_rnode_t *step(const mm_rnode_t *n, int d) {
    if (n->kid[d]) {
        return extreme(n->kid[d], !d);
    }
    while (n->up && n->up->kid[d] == n) {
        n = n->up;
    }
    return n->up;
}

/* Links n (not in the tree, its region overlapping none) into c's tree. */
static void tree_insert(mm_client_t *c, mm_rnode_t *n) {
    mm_rnode_t *p = c->rroot;
    int d = 0;
    while (p) {
        d = n->r.base > p->r.base;
        if (!p->kid[d]) {
            break;
        }
        p = p->kid[d];
    }
    n->kid[0] = n->kid[1] = NULL;
    n->up = p;
    if (p) {
        p->kid[d] = n;
    } else {
        c->rroot = n;
    }
    c->nregions++;
    retrace(c, n);
}

/* Unlinks n from c's tree and frees it. Other nodes keep their addresses. */
static void tree_delete(mm_client_t *c, mm_rnode_t *n) {
    mm_rnode_t *from; /* the lowest node whose subtree changed */
    if (!n->kid[0] || !n->kid[1]) {
        from = n->up;
        relink(c, n->up, n, n->kid[0] ? n->kid[0] : n->kid[1]);
    } else {
        mm_rnode_t *y = extreme(n->kid[1], 0); /* the next region takes n's place */
        from = y;
        if (y->up != n) {
            from = y->up;
            relink(c, y->up, y, y->kid[1]);
            y->kid[1] = n->kid[1];
            y->kid[1]->up = y;
        }
        relink(c, n->up, n, y);
        y->kid[0] = n->kid[0];
        y->kid[0]->up = y;
    }
    c->nregions--;
    node_free(c, n);
    retrace(c, from);
}

/* The node of the first region ending above va, or NULL. */
static mm_rnode_t *find(const mm_client_t *c, pt_vaddr_t va) {
    mm_rnode_t *n = c->rroot, *best = NULL;
    while (n) {
        if (region_end(&n->r) > va) {
            best = n;
            n = n->kid[0];
        } else {
            n = n->kid[1];
        }
    }
    return best;
}

/* The node of the last region starting below va, or NULL. */
static mm_rnode_t *below(const mm_client_t *c, pt_vaddr_t va) {
    mm_rnode_t *n = c->rroot, *best = NULL;
    while (n) {
        if (n->r.base < va) {
            best = n;
            n = n->kid[1];
        } else {
            n = n->kid[0];
        }
    }
    return best;
}

const mm_region_t *mm_region_first(const mm_client_t *c) {
    mm_rnode_t *n = extreme(c->rroot, 0);
    return n ? &n->r : NULL;
}

const mm_region_t *mm_region_next(const mm_region_t *r) {
    mm_rnode_t *n = step((const mm_rnode_t *)r, 1);
    return n ? &n->r : NULL;
}

const mm_region_t *mm_region_find(const mm_client_t *c, pt_vaddr_t va) {
    mm_rnode_t *n = find(c, va);
    return n ? &n->r : NULL;
}

/* The last region found is tried first (Linux keeps such a cache per mm too): a page fault
 * asks for its region several times over (will it kill? with which permissions?), and a
 * run of faults or requests tends to stay in one region. A freed node clears the hint, and
 * the hint is checked against va, so an edited region simply fails the test. */
mm_region_t *mm_region_at(mm_client_t *c, pt_vaddr_t va) {
    mm_rnode_t *n = c->rhint;
    if (n && n->r.base <= va && va < region_end(&n->r)) {
        return &n->r;
    }
    n = find(c, va);
    if (n && n->r.base <= va) {
        c->rhint = n;
        return &n->r;
    }
    return NULL;
}

bool mm_region_covered(const mm_client_t *c, pt_vaddr_t va, uint64_t len, pt_vaddr_t *where) {
    pt_vaddr_t at = va, end = va + len;
    for (const mm_rnode_t *n = find(c, va); at < end; n = step(n, 1)) {
        if (!n || n->r.base > at) {
            *where = at;
            return false;
        }
        at = region_end(&n->r);
    }
    return true;
}

bool mm_region_overlaps(const mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    const mm_rnode_t *n = find(c, va);
    return n && n->r.base < va + len;
}

/* True if va lies strictly inside a region (a carve at va splits it). */
static bool splits_at(const mm_client_t *c, pt_vaddr_t va) {
    const mm_rnode_t *n = find(c, va);
    return n && n->r.base < va;
}

uint32_t mm_region_splits(const mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    return (uint32_t)splits_at(c, va) + (uint32_t)splits_at(c, va + len);
}

/* ---- edits ----------------------------------------------------------------------------- */

/* Splits the region holding va at va, if va lies strictly inside one. => a spare node. */
static void split_at(mm_client_t *c, pt_vaddr_t va) {
    mm_rnode_t *lo = find(c, va);
    if (!lo || lo->r.base >= va) {
        return;
    }
    mm_rnode_t *hi = node_alloc(c, &lo->r);
    uint64_t cut = va - lo->r.base;
    hi->r.base = va;
    hi->r.len = lo->r.len - cut;
    hi->r.pa = lo->r.kind == MM_KIND_DEVICE ? lo->r.pa + cut : 0;
    lo->r.len = cut;
    retrace(c, lo);
    tree_insert(c, hi);
}

/* True if regions a and b (b right after a) are interchangeable with one region: same
 * kind, permissions, max, memory type and peer, and for device memory a contiguous
 * physical range. A window (SHARED) never merges with private memory: their kinds differ.
 * Closed windows (their peer gone) never merge: only the client's own requests change its
 * regions, never another client's end. */
static bool mergeable(const mm_region_t *a, const mm_region_t *b) {
    return region_end(a) == b->base && a->kind == b->kind && a->perm == b->perm &&
           a->maxperm == b->maxperm && a->memtype == b->memtype && a->peer == b->peer &&
           (a->kind != MM_KIND_DEVICE || a->pa + a->len == b->pa) &&
           (a->kind != MM_KIND_SHARED || a->peer != MM_NO_PEER);
}

/* Merges every pair of adjacent interchangeable regions that meet in [lo, hi]. */
static void merge_range(mm_client_t *c, pt_vaddr_t lo, pt_vaddr_t hi) {
    mm_rnode_t *n = below(c, lo);
    n = n ? n : find(c, lo);
    while (n) {
        mm_rnode_t *next = step(n, 1);
        if (!next || next->r.base > hi) {
            return;
        }
        if (mergeable(&n->r, &next->r)) {
            n->r.len += next->r.len;
            tree_delete(c, next); /* n keeps its address */
            retrace(c, n);
        } else {
            n = next;
        }
    }
}

/* Removes the regions inside [va, va + len), splitting those that cross its edges. */
static void remove_range(mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    split_at(c, va);
    split_at(c, va + len);
    for (mm_rnode_t *n = find(c, va); n && n->r.base < va + len;) {
        mm_rnode_t *next = step(n, 1);
        tree_delete(c, n);
        n = next;
    }
}

void mm_region_remove(mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    remove_range(c, va, len);
}

void mm_region_replace(mm_client_t *c, const mm_region_t *r) {
    remove_range(c, r->base, r->len);
    tree_insert(c, node_alloc(c, r));
    merge_range(c, r->base, region_end(r));
}

void mm_region_set(mm_client_t *c, pt_vaddr_t va, uint64_t len, uint32_t perm, bool set_max) {
    split_at(c, va);
    split_at(c, va + len);
    for (mm_rnode_t *n = find(c, va); n && n->r.base < va + len; n = step(n, 1)) {
        n->r.perm = (uint8_t)perm;
        n->r.maxperm = set_max ? (uint8_t)perm : n->r.maxperm;
    }
    merge_range(c, va, va + len);
}

void mm_region_close_peer(mm_client_t *c, uint32_t peer) {
    for (mm_rnode_t *n = extreme(c->rroot, 0); n; n = step(n, 1)) {
        if (n->r.kind == MM_KIND_SHARED && n->r.peer == peer) {
            n->r.peer = MM_NO_PEER; /* closed: never merged (see mergeable) */
        }
    }
}

/* Frees every node of subtree n (post-order: children before their parent). */
static void free_subtree(mm_client_t *c, mm_rnode_t *n) {
    if (n) {
        mm_rnode_t *l = n->kid[0], *h = n->kid[1];
        free_subtree(c, l);
        free_subtree(c, h);
        node_free(c, n);
    }
}

void mm_region_clear(mm_client_t *c) {
    free_subtree(c, c->rroot);
    c->rroot = NULL;
    c->nregions = 0;
    mm_region_trim(c);
}

uint64_t mm_region_charged(const mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    uint64_t pages = 0;
    pt_vaddr_t end = va + len;
    for (const mm_rnode_t *n = find(c, va); n && n->r.base < end; n = step(n, 1)) {
        const mm_region_t *r = &n->r;
        pt_vaddr_t lo = r->base > va ? r->base : va;
        pt_vaddr_t hi = region_end(r) < end ? region_end(r) : end;
        pages += r->kind == MM_KIND_DEVICE ? 0 : MM_PAGES(hi - lo);
    }
    return pages;
}

/* ---- free ranges ----------------------------------------------------------------------- */

/* The first address >= va aligned to align (align a power of two); 0 on overflow. */
static pt_vaddr_t align_up(pt_vaddr_t va, uint64_t align) {
    pt_vaddr_t up = (va + (align - 1)) & ~(align - 1);
    return up < va ? 0 : up;
}

/* What a gap search looks for. */
typedef struct gap_want {
    uint64_t len, align;
    pt_vaddr_t found;
} gap_want_t;

/* True (with the address in w->found) if [from, limit) holds len bytes aligned to align. */
static bool gap_fits(gap_want_t *w, pt_vaddr_t from, pt_vaddr_t limit) {
    pt_vaddr_t at = align_up(from, w->align);
    if (at != 0 && at <= limit && limit - at >= w->len) {
        w->found = at;
        return true;
    }
    return false;
}

/* Tries the gaps between consecutive regions of subtree n in address order, skipping
 * subtrees whose largest gap is too small. */
static bool gap_in(const mm_rnode_t *n, gap_want_t *w) {
    if (!n || n->gap < w->len) {
        return false;
    }
    if (gap_in(n->kid[0], w) || (n->kid[0] && gap_fits(w, n->kid[0]->hi, n->r.base))) {
        return true;
    }
    return (n->kid[1] && gap_fits(w, region_end(&n->r), n->kid[1]->lo)) || gap_in(n->kid[1], w);
}

bool mm_region_gap(const mm_client_t *c, uint64_t len, uint64_t align, pt_vaddr_t top,
                   pt_vaddr_t *va) {
    gap_want_t w = {.len = len, .align = align, .found = 0};
    const mm_rnode_t *root = c->rroot;
    bool ok = root ? gap_fits(&w, MM_USER_BASE, root->lo) || gap_in(root, &w) ||
                         gap_fits(&w, root->hi, top)
                   : gap_fits(&w, MM_USER_BASE, top);
    *va = w.found;
    return ok;
}

/* ---- the table charge ------------------------------------------------------------------ */

/* The covered addresses nearest to a range, on either side. */
typedef struct bounds {
    bool below, above;
    pt_vaddr_t below_end;  /* the nearest covered part below ends here (<= the range) */
    pt_vaddr_t above_base; /* the nearest covered part above starts here (>= its end) */
} bounds_t;

/* Tables (below the root) that covering [a, b) adds to a coverage whose nearest parts
 * are nb: at each level below the root, the table spans [a, b) touches (each covers
 * 2^(12 + 9 (level + 1)) bytes), less the one at either edge that a neighbour already
 * touches. Spans strictly between the edges lie inside [a, b): nobody else touches them. */
static uint64_t spans_added(unsigned levels, pt_vaddr_t a, pt_vaddr_t b, const bounds_t *nb) {
    uint64_t count = 0;
    for (unsigned lv = 0; lv + 1 < levels; lv++) {
        unsigned shift = PT_PAGE_SHIFT + 9u * (lv + 1);
        uint64_t first = a >> shift, final = (b - 1) >> shift;
        bool low = nb->below && ((nb->below_end - 1) >> shift) == first;
        bool high = nb->above && (nb->above_base >> shift) == final;
        count += final - first + 1 - low - (high && !(low && first == final));
    }
    return count;
}

/* The nearest covered addresses around [va, vend) once [va, vend) is no longer covered. */
static void bounds_outside(const mm_client_t *c, pt_vaddr_t va, pt_vaddr_t vend, bounds_t *nb) {
    const mm_rnode_t *lo = below(c, va), *hi = find(c, vend);
    nb->below = lo != NULL;
    nb->below_end = lo && region_end(&lo->r) < va ? region_end(&lo->r) : va;
    nb->above = hi != NULL;
    nb->above_base = hi && hi->r.base > vend ? hi->r.base : vend;
}

/* The part of c's table charge that covered addresses inside [va, vend) make, given
 * what is covered outside (nb): the regions there added one after the other. */
static uint64_t spans_inside(const mm_client_t *c, pt_vaddr_t va, pt_vaddr_t vend,
                             const bounds_t *nb) {
    unsigned levels = c->space.fmt->levels;
    bounds_t at;
    mm_mem_copy(&at, nb, sizeof(at));
    uint64_t count = 0;
    for (const mm_rnode_t *n = find(c, va); n && n->r.base < vend; n = step(n, 1)) {
        pt_vaddr_t a = n->r.base > va ? n->r.base : va;
        pt_vaddr_t b = region_end(&n->r) < vend ? region_end(&n->r) : vend;
        count += spans_added(levels, a, b, &at);
        at.below = true;
        at.below_end = b;
    }
    return count;
}

/* c->tables_max is the count for c's regions as they are (kept so by every request), so
 * only the edited range and its neighbours need a look. */
uint64_t mm_region_tables(const mm_client_t *c, pt_vaddr_t va, uint64_t len, mm_cover_t edit) {
    bounds_t nb;
    if (edit == MM_COVER_SAME) {
        return c->tables_max;
    }
    bounds_outside(c, va, va + len, &nb);
    uint64_t old = spans_inside(c, va, va + len, &nb);
    uint64_t now = edit == MM_COVER_ADD ? spans_added(c->space.fmt->levels, va, va + len, &nb) : 0;
    return c->tables_max - old + now;
}

/* ---- self-check ------------------------------------------------------------------------ */

/* Checks subtree n (parent up) against every invariant of the tree; counts its nodes in
 * *count and their frames' uses. Returns a broken invariant's name, or NULL. */
static const char *check_subtree(const mm_rnode_t *n, const mm_rnode_t *up, uint64_t *count) {
    if (!n) {
        return NULL;
    }
    const mm_rnode_t *l = n->kid[0], *h = n->kid[1];
    if (n->up != up) {
        return "parent link";
    }
    if (n->r.len == 0 || region_end(&n->r) < n->r.base) {
        return "region shape";
    }
    if ((l && l->hi > n->r.base) || (h && h->lo < region_end(&n->r))) {
        return "order (regions overlap or are unsorted)";
    }
    const char *why = check_subtree(l, n, count);
    why = why ? why : check_subtree(h, n, count);
    if (why) {
        return why;
    }
    mm_rnode_t copy;
    mm_mem_copy(&copy, n, sizeof(copy)); /* not "= *n": that could become a call to memcpy */
    pull(&copy);
    if (copy.height != n->height || copy.lo != n->lo || copy.hi != n->hi || copy.gap != n->gap) {
        return "subtree summary (height, extent or gap)";
    }
    if (height(l) - height(h) > 1 || height(h) - height(l) > 1) {
        return "AVL balance";
    }
    if (slab_of(n)->used == 0) {
        return "node in an empty frame";
    }
    (*count)++;
    return NULL;
}

const char *mm_region_check(const mm_client_t *c) {
    uint64_t count = 0, spare = 0, frames_free = 0;
    const char *why = check_subtree(c->rroot, NULL, &count);
    if (why) {
        return why;
    }
    if (count != c->nregions) {
        return "region count";
    }
    const mm_slab_t *s = c->rslabs;
    for (uint64_t i = 0; s && (i == 0 || s != c->rslabs); i++, s = s->next) {
        uint64_t free = 0;
        for (const mm_rnode_t *f = s->free; f; f = f->kid[0]) {
            free++;
        }
        if (!free || free + s->used != SLAB_NODES || s->next->prev != s) {
            return "node frame ring";
        }
        if (s->used == 0 && s->next != c->rslabs) {
            return "an empty node frame before one in use";
        }
        spare += free;
        frames_free += s->used == 0;
    }
    if (spare != c->rspare || frames_free != 0) {
        return "spare nodes (or an empty frame left after a request)";
    }
    if (c->rframes * SLAB_NODES != c->nregions + c->rspare) {
        return "node frames charged";
    }
    return NULL;
}
