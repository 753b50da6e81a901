/*
 * A client's regions: a sorted, fixed-capacity array of disjoint ranges, each with one
 * permission set and one kind. Requests first check and carve (split at the request's
 * edges), then change whole regions. No coalescing: neighbours with equal attributes stay
 * separate regions (simple, and every split a request made is visible in the dump).
 */
#include "internal.h"

/* One past the last byte of r. */
static pt_vaddr_t region_end(const mm_region_t *r) {
    return r->base + r->len;
}

uint32_t mm_region_find(const mm_client_t *c, pt_vaddr_t va) {
    uint32_t lo = 0, hi = c->nregions;
    while (lo < hi) { /* binary search: first region with end > va */
        uint32_t mid = lo + (hi - lo) / 2;
        if (region_end(&c->region[mid]) > va) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

/* The last region found is tried first (Linux keeps such a cache per mm too): a page fault
 * asks for its region several times over (will it kill? with which permissions?), and a
 * run of faults or requests tends to stay in one region. The hint needs no upkeep: the
 * regions never overlap, so a region that holds va is the one, and a stale index (regions
 * moved since) simply fails the test. */
mm_region_t *mm_region_at(mm_client_t *c, pt_vaddr_t va) {
    uint32_t i = c->region_hint;
    if (i < c->nregions && c->region[i].base <= va && va < region_end(&c->region[i])) {
        return &c->region[i];
    }
    i = mm_region_find(c, va);
    if (i < c->nregions && c->region[i].base <= va) {
        c->region_hint = i;
        return &c->region[i];
    }
    return NULL;
}

bool mm_region_covered(const mm_client_t *c, pt_vaddr_t va, uint64_t len, pt_vaddr_t *where) {
    pt_vaddr_t at = va, end = va + len;
    for (uint32_t i = mm_region_find(c, va); at < end; i++) {
        if (i == c->nregions || c->region[i].base > at) {
            *where = at;
            return false;
        }
        at = region_end(&c->region[i]);
    }
    return true;
}

bool mm_region_overlaps(const mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    uint32_t i = mm_region_find(c, va);
    return i < c->nregions && c->region[i].base < va + len;
}

/* True if va lies strictly inside a region (a carve at va splits it). */
static bool splits_at(const mm_client_t *c, pt_vaddr_t va) {
    uint32_t i = mm_region_find(c, va);
    return i < c->nregions && c->region[i].base < va;
}

uint32_t mm_region_splits(const mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    return (uint32_t)splits_at(c, va) + (uint32_t)splits_at(c, va + len);
}

/* Opens slot i (moving the regions from i up). => a slot is free. */
static void open_slot(mm_client_t *c, uint32_t i) {
    for (uint32_t k = c->nregions; k > i; k--) {
        c->region[k] = c->region[k - 1];
    }
    c->nregions++;
}

/* Splits the region holding va at va, if va lies strictly inside one. */
static void split_at(mm_client_t *c, pt_vaddr_t va) {
    uint32_t i = mm_region_find(c, va);
    if (i == c->nregions || c->region[i].base >= va) {
        return;
    }
    open_slot(c, i + 1);
    mm_region_t *lo = &c->region[i], *hi = &c->region[i + 1];
    *hi = *lo;
    uint64_t cut = va - lo->base;
    hi->base = va;
    hi->len = lo->len - cut;
    hi->pa = lo->kind == MM_KIND_DEVICE ? lo->pa + cut : 0;
    lo->len = cut;
}

void mm_region_carve(mm_client_t *c, pt_vaddr_t va, uint64_t len, uint32_t *first, uint32_t *end) {
    split_at(c, va);
    split_at(c, va + len);
    *first = mm_region_find(c, va);
    *end = mm_region_find(c, va + len);
}

void mm_region_remove(mm_client_t *c, uint32_t first, uint32_t end) {
    uint32_t gone = end - first;
    for (uint32_t k = first; k + gone < c->nregions; k++) {
        c->region[k] = c->region[k + gone];
    }
    c->nregions -= gone;
}

void mm_region_insert(mm_client_t *c, const mm_region_t *r) {
    uint32_t i = mm_region_find(c, r->base);
    open_slot(c, i);
    c->region[i] = *r;
}

uint64_t mm_region_charged(const mm_client_t *c, pt_vaddr_t va, uint64_t len) {
    uint64_t pages = 0;
    pt_vaddr_t end = va + len;
    for (uint32_t i = mm_region_find(c, va); i < c->nregions && c->region[i].base < end; i++) {
        const mm_region_t *r = &c->region[i];
        pt_vaddr_t lo = r->base > va ? r->base : va;
        pt_vaddr_t hi = region_end(r) < end ? region_end(r) : end;
        pages += r->kind == MM_KIND_DEVICE ? 0 : MM_PAGES(hi - lo);
    }
    return pages;
}

/* The first address >= va aligned to align (align a power of two); 0 on overflow. */
static pt_vaddr_t align_up(pt_vaddr_t va, uint64_t align) {
    pt_vaddr_t up = (va + (align - 1)) & ~(align - 1);
    return up < va ? 0 : up;
}

bool mm_region_gap(const mm_client_t *c, uint64_t len, uint64_t align, pt_vaddr_t top,
                   pt_vaddr_t *va) {
    pt_vaddr_t at = align_up(MM_USER_BASE, align);
    for (uint32_t i = 0; i <= c->nregions && at != 0; i++) {
        pt_vaddr_t limit = i < c->nregions ? c->region[i].base : top;
        if (at <= limit && limit - at >= len) {
            *va = at;
            return true;
        }
        if (i < c->nregions) {
            pt_vaddr_t end = region_end(&c->region[i]);
            at = align_up(end > at ? end : at, align);
        }
    }
    return false;
}

/* Counts, for mm_region_tables, the distinct table spans of sorted address intervals. */
typedef struct tally {
    unsigned levels;
    uint64_t count;
    uint64_t last[8]; /* per level: the last span index counted */
    bool any[8];
} tally_t;

/* Adds [a, b) (b > a, after every interval added so far) to the tally: at each level L
 * below the root, the tables at L it spans (each covers 2^(12 + 9 (L + 1)) bytes). */
static void tally_add(tally_t *t, pt_vaddr_t a, pt_vaddr_t b) {
    for (unsigned lv = 0; lv + 1 < t->levels; lv++) {
        unsigned shift = PT_PAGE_SHIFT + 9u * (lv + 1);
        uint64_t first = a >> shift, final = (b - 1) >> shift;
        t->count += final - first + 1 - (t->any[lv] && t->last[lv] == first);
        t->last[lv] = final;
        t->any[lv] = true;
    }
}

/* Adds region [base, end) as edit changes it: the parts outside [va, vend), with
 * [va, vend) itself in its place in address order for MM_COVER_ADD. */
static void tally_region(tally_t *t, pt_vaddr_t base, pt_vaddr_t end, pt_vaddr_t va,
                         pt_vaddr_t vend, mm_cover_t edit, bool *added) {
    if (edit == MM_COVER_SAME) {
        tally_add(t, base, end);
        return;
    }
    if (base < va) {
        tally_add(t, base, end < va ? end : va);
    }
    if (edit == MM_COVER_ADD && !*added && end > va) {
        tally_add(t, va, vend);
        *added = true;
    }
    if (end > vend) {
        tally_add(t, base > vend ? base : vend, end);
    }
}

uint64_t mm_region_tables(const mm_client_t *c, pt_vaddr_t va, uint64_t len, mm_cover_t edit) {
    tally_t t;
    mm_mem_zero(&t, sizeof(t));
    t.levels = c->space.fmt->levels;
    bool added = false;
    for (uint32_t i = 0; i < c->nregions; i++) {
        const mm_region_t *r = &c->region[i];
        tally_region(&t, r->base, region_end(r), va, va + len, edit, &added);
    }
    if (edit == MM_COVER_ADD && !added) {
        tally_add(&t, va, va + len);
    }
    return t.count + 1; /* the root */
}
