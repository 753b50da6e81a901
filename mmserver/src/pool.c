/*
 * The frame pool: every frame of the RAM ranges the kernel gave mmserver. One mm_frame_t
 * per frame, stored with the range table in frames of the pool itself (like Linux's
 * mem_map), so the pool needs no memory of its own and no capacity constant. A frame is
 * free (ref 0), in use (ref = number of users: 1, or more when shared), pending (released
 * by its last user, waiting for the TLB flush of the request that released it) or
 * metadata.
 *
 * Free frames sit in a buddy allocator (blocks of 2^k frames, k < MM_POOL_ORDERS, each
 * aligned to its size in physical frame numbers and inside one range) or in a LIFO cache of
 * single frames. Every single frame freed goes to the cache, unmerged; a single frame comes
 * from the cache first. So the single-frame paths are O(1) and short (a map and unmap of
 * one page never splits or merges a block), and the cache is merged into the buddy lists
 * only when a block is asked for and none is on its lists: each freed frame is merged at
 * most once, O(1) amortised. A run of 2^k aligned frames (a 2 MiB or 1 GiB leaf) is one
 * block taken off its order's list, after at most MM_POOL_ORDERS splits.
 *
 * Frames are zeroed when handed out, never when freed: a frame is cleaned as late as
 * possible, just before a new owner can see it.
 */
#include "internal.h"

#define NIL MM_FRAME_NIL

/* The range holding pa (nranges if none): the last one found first, then a binary search. */
static uint32_t range_of(const mm_pool_t *p, pt_paddr_t pa) {
    if (pa - p->hint_pa < p->hint_bytes) {
        return p->hint;
    }
    uint32_t lo = 0, hi = p->nranges; /* the range, if any, is in [lo, hi) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const mm_pool_range_t *r = &p->range[mid];
        if (pa < r->pa) {
            hi = mid;
        } else if (pa - r->pa >= (r->frames << PT_PAGE_SHIFT)) {
            lo = mid + 1;
        } else {
            return mid;
        }
    }
    return p->nranges;
}

/* The range holding frame index i. => i < p->frames. */
static uint32_t range_of_index(const mm_pool_t *p, uint64_t i) {
    if (i - p->hint_first < p->hint_frames) {
        return p->hint;
    }
    uint32_t lo = 0, hi = p->nranges - 1; /* the last range starting at or below i */
    while (lo < hi) {
        uint32_t mid = hi - (hi - lo) / 2;
        if (p->range[mid].first <= i) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

/* Makes range r the one lookups check first. */
static void set_hint(mm_pool_t *p, uint32_t r) {
    p->hint = r;
    p->hint_pa = p->range[r].pa;
    p->hint_frames = p->range[r].frames;
    p->hint_bytes = p->range[r].frames << PT_PAGE_SHIFT;
    p->hint_first = p->range[r].first;
}

/* Frame index of pa. => pa is in a range of the pool. */
static uint64_t frame_index(mm_pool_t *p, pt_paddr_t pa) {
    uint64_t off = pa - p->hint_pa;
    if (off >= p->hint_bytes) {
        set_hint(p, range_of(p, pa));
        off = pa - p->hint_pa;
    }
    return p->hint_first + (off >> PT_PAGE_SHIFT);
}

/* Physical address of frame i. => i < p->frames. */
static pt_paddr_t frame_pa(mm_pool_t *p, uint64_t i) {
    if (i - p->hint_first >= p->hint_frames) {
        set_hint(p, range_of_index(p, i));
    }
    return p->hint_pa + ((i - p->hint_first) << PT_PAGE_SHIFT);
}

/* Physical address of frame i of range r. */
static pt_paddr_t index_pa(const mm_pool_range_t *r, uint64_t i) {
    return r->pa + ((i - r->first) << PT_PAGE_SHIFT);
}

/* Counts one allocation attempt; true if a test armed this one to fail. */
static bool injected_failure(mm_pool_t *p) {
    p->attempts++;
    return p->fail_at != 0 && p->attempts == p->fail_at;
}

/* Frames src may still take. */
static uint64_t room(const mm_pool_t *p, mm_source_t src) {
    if (src == MM_FROM_RESERVE) {
        return p->reserved ? p->free : 0; /* reserved <= free */
    }
    return p->free - p->reserved;
}

/* ---- the buddy lists ------------------------------------------------------------------- */

/* Puts the block of 2^k frames headed by frame i on order k's list. */
static void block_push(mm_pool_t *p, uint32_t i, unsigned k) {
    mm_frame_t *f = &p->frame[i];
    f->head = MM_FRAME_HEAD | k;
    f->prev = NIL;
    f->next = p->order_head[k];
    if (f->next != NIL) {
        p->frame[f->next].prev = i;
    }
    p->order_head[k] = i;
}

/* Takes the block headed by frame i off order k's list. */
static void block_unlink(mm_pool_t *p, uint32_t i, unsigned k) {
    mm_frame_t *f = &p->frame[i];
    if (f->prev != NIL) {
        p->frame[f->prev].next = f->next;
    } else {
        p->order_head[k] = f->next;
    }
    if (f->next != NIL) {
        p->frame[f->next].prev = f->prev;
    }
    f->head = f->next = f->prev = 0;
}

/* Returns the free block of 2^k frames at index i (range r) to the buddy lists, merged with
 * its buddy for as long as that buddy is a free block of the same order. => every frame of
 * the block has ref 0 and is on no list. */
static void block_free(mm_pool_t *p, const mm_pool_range_t *r, uint64_t i, unsigned k) {
    uint64_t pfn = (r->pa >> PT_PAGE_SHIFT) + (i - r->first);
    uint64_t lo = r->pa >> PT_PAGE_SHIFT, hi = lo + r->frames;
    while (k + 1 < MM_POOL_ORDERS) {
        uint64_t buddy = pfn ^ (1ull << k);
        if (buddy < lo || buddy + (1ull << k) > hi) {
            break;
        }
        uint64_t b = i + buddy - pfn; /* same range: index and frame number move together */
        if (p->frame[b].head != (MM_FRAME_HEAD | k)) {
            break;
        }
        block_unlink(p, (uint32_t)b, k);
        if (buddy < pfn) {
            pfn = buddy;
            i = b;
        }
        k++;
    }
    block_push(p, (uint32_t)i, k);
}

/* A free block of 2^k frames off the lists, split from a larger one when order k has none;
 * false when no order from k up has a block. */
static bool block_take(mm_pool_t *p, unsigned k, uint32_t *out) {
    unsigned j = k;
    while (j < MM_POOL_ORDERS && p->order_head[j] == NIL) {
        j++;
    }
    if (j == MM_POOL_ORDERS) {
        return false;
    }
    uint32_t i = p->order_head[j];
    block_unlink(p, i, j);
    while (j > k) {
        j--;
        block_push(p, i + (1u << j), j); /* the upper half stays free */
    }
    *out = i;
    return true;
}

/* See internal.h. */
void mm_pool_flush_cache(mm_pool_t *p) {
    while (p->cached) {
        uint32_t i = p->cache;
        p->cache = p->frame[i].next;
        p->cached--;
        p->frame[i].next = 0;
        block_free(p, &p->range[range_of_index(p, i)], i, 0);
    }
}

/* Frees frame i (its user gone, no TLB holding it) into the cache. */
static void frame_release(mm_pool_t *p, uint64_t i) {
    mm_frame_t *f = &p->frame[i];
    f->ref = 0;
    f->next = p->cache;
    p->cache = (uint32_t)i;
    p->cached++;
    p->free++;
}

/* Zeroes the n frames from pa (one range), the machine's way when there is one. */
static void zero_frames(const mm_pool_t *p, pt_paddr_t pa, uint64_t n) {
    uint8_t *va = p->va + (pa - p->pa);
    if (p->zero_pages) {
        p->zero_pages(va, n);
    } else {
        mm_mem_zero(va, n << PT_PAGE_SHIFT);
    }
}

/* Gives frames [i, i + n) (one range) one user each, zeroed when zero says so; returns the
 * first one's address. */
static pt_paddr_t take(mm_pool_t *p, uint64_t i, uint64_t n, bool zero) {
    for (uint64_t k = i; k < i + n; k++) {
        p->frame[k].ref = 1;
        p->frame[k].next = 0;
    }
    p->free -= n;
    pt_paddr_t pa = frame_pa(p, i);
    if (zero) {
        zero_frames(p, pa, n);
    }
    return pa;
}

/* ---- set-up ---------------------------------------------------------------------------- */

/* True if the ranges are page-aligned, non-empty, sorted, disjoint, inside the window from
 * pa on, and their frames can be numbered in 32 bits; *frames gets their total. */
static bool ranges_ok(pt_paddr_t pa, const mmboot_range_t *r, uint32_t n, uint64_t *frames) {
    uint64_t total = 0, end = pa;
    for (uint32_t i = 0; i < n; i++) {
        if ((r[i].pa & (MM_PAGE - 1)) || !r[i].frames || r[i].pa < end ||
            r[i].frames > (0xfffffff0ull - total) || r[i].frames > (~r[i].pa >> PT_PAGE_SHIFT)) {
            return false;
        }
        total += r[i].frames;
        end = r[i].pa + (r[i].frames << PT_PAGE_SHIFT);
    }
    *frames = total;
    return n > 0;
}

/* Carves the free frames [i, i + n) of range r into the largest aligned blocks. */
static void free_span(mm_pool_t *p, const mm_pool_range_t *r, uint64_t i, uint64_t n) {
    uint64_t pfn = (r->pa >> PT_PAGE_SHIFT) + (i - r->first), end = pfn + n;
    while (pfn < end) {
        unsigned k = 0;
        while (k + 1 < MM_POOL_ORDERS && !(pfn & ((2ull << k) - 1)) && pfn + (2ull << k) <= end) {
            k++;
        }
        block_push(p, (uint32_t)i, k);
        i += 1ull << k;
        pfn += 1ull << k;
    }
}

mm_err_t mm_pool_init(mm_pool_t *p, pt_paddr_t pa, void *va, const mmboot_range_t *ranges,
                      uint32_t n) {
    uint64_t frames;
    if (((pa | (uint64_t)(uintptr_t)va) & (MM_PAGE - 1)) || !va || !ranges ||
        !ranges_ok(pa, ranges, n, &frames)) {
        return MM_ERR_INVAL;
    }
    _Static_assert(sizeof(mm_frame_t) == 16, "mm_frame_t: 256 per metadata frame");
    uint64_t bytes = n * sizeof(mm_pool_range_t) + frames * sizeof(mm_frame_t);
    uint64_t meta = (bytes + MM_PAGE - 1) >> PT_PAGE_SHIFT;
    uint32_t home = 0; /* the first range with room for the metadata and a frame more */
    while (home < n && ranges[home].frames <= meta) {
        home++;
    }
    if (home == n) {
        return MM_ERR_INVAL;
    }
    p->pa = pa;
    p->va = va;
    p->frames = frames;
    p->meta = meta;
    p->range = (mm_pool_range_t *)(void *)(p->va + (ranges[home].pa - pa));
    p->frame = (mm_frame_t *)(void *)(p->range + n);
    p->nranges = n;
    for (uint32_t i = 0, first = 0; i < n; first += (uint32_t)ranges[i].frames, i++) {
        p->range[i].pa = ranges[i].pa;
        p->range[i].frames = ranges[i].frames;
        p->range[i].first = first;
    }
    for (uint64_t i = 0; i < frames; i++) {
        p->frame[i].ref = p->frame[i].next = p->frame[i].prev = p->frame[i].head = 0;
    }
    for (uint32_t k = 0; k < MM_POOL_ORDERS; k++) {
        p->order_head[k] = NIL;
    }
    set_hint(p, home);
    p->meta_pa = ranges[home].pa;
    p->meta_bytes = meta << PT_PAGE_SHIFT;
    uint64_t home_first = p->range[home].first;
    for (uint64_t i = home_first; i < home_first + meta; i++) {
        p->frame[i].ref = MM_FRAME_META;
    }
    for (uint32_t i = 0; i < n; i++) {
        const mm_pool_range_t *r = &p->range[i];
        uint64_t skip = i == home ? meta : 0;
        free_span(p, r, r->first + skip, r->frames - skip);
    }
    p->cache = NIL;
    p->cached = 0;
    p->free = frames - meta;
    p->reserved = p->pending = 0;
    p->pending_head = 0;
    p->attempts = p->fail_at = 0;
    p->zero_pages = NULL;
    return MM_OK;
}

/* ---- allocation ------------------------------------------------------------------------ */

bool mm_pool_alloc(mm_pool_t *p, mm_source_t src, bool zero, pt_paddr_t *pa) {
    if (injected_failure(p) || room(p, src) == 0) {
        return false;
    }
    uint32_t i = p->cache;
    if (p->cached) {
        p->cache = p->frame[i].next;
        p->cached--;
    } else if (!block_take(p, 0, &i)) {
        return false; /* free > 0 and the cache is empty: cannot happen */
    }
    p->frame[i].ref = 1; /* take() for one frame, written out: the hottest path */
    p->frame[i].next = 0;
    p->free--;
    p->reserved -= src == MM_FROM_RESERVE;
    pt_paddr_t at = frame_pa(p, i);
    if (zero) {
        zero_frames(p, at, 1);
    }
    *pa = at;
    return true;
}

bool mm_pool_alloc_block(mm_pool_t *p, unsigned order, pt_paddr_t *pa) {
    uint64_t n = 1ull << order;
    if (injected_failure(p) || order >= MM_POOL_ORDERS || room(p, MM_FROM_FREE) < n) {
        return false;
    }
    uint32_t i;
    if (!block_take(p, order, &i)) {
        mm_pool_flush_cache(p); /* cached single frames may complete a block */
        if (!block_take(p, order, &i)) {
            return false;
        }
    }
    *pa = take(p, i, n, true);
    return true;
}

bool mm_pool_reserve(mm_pool_t *p, uint64_t n) {
    if (room(p, MM_FROM_FREE) < n) {
        return false;
    }
    p->reserved += n;
    return true;
}

void mm_pool_promise_returned(mm_pool_t *p, uint64_t n) {
    p->reserved += n;
}

void mm_pool_unreserve(mm_pool_t *p, uint64_t n) {
    p->reserved -= n;
}

void mm_pool_get(mm_pool_t *p, pt_paddr_t pa) {
    p->frame[frame_index(p, pa)].ref++;
}

bool mm_pool_put(mm_pool_t *p, pt_paddr_t pa) {
    uint64_t i = frame_index(p, pa);
    mm_frame_t *f = &p->frame[i];
    if (--f->ref != 0) {
        return false;
    }
    f->ref = MM_FRAME_PENDING;
    f->next = p->pending_head;
    p->pending_head = (uint32_t)i;
    p->pending++;
    return true;
}

void mm_pool_free_now(mm_pool_t *p, pt_paddr_t pa) {
    frame_release(p, frame_index(p, pa));
}

uint32_t *mm_pool_table_used(mm_pool_t *p, pt_paddr_t pa) {
    return &p->frame[frame_index(p, pa)].next;
}

uint64_t mm_pool_drain(mm_pool_t *p) {
    uint64_t n = p->pending;
    if (n == 0) {
        return 0;
    }
    /* The pending list and the cache are linked the same way: free each frame, then hand
     * the whole list to the cache at once. */
    uint32_t i = p->pending_head, last = i;
    for (uint64_t k = 0; k < n; k++) {
        p->frame[i].ref = 0;
        last = i;
        i = p->frame[i].next;
    }
    p->frame[last].next = p->cache;
    p->cache = p->pending_head;
    p->cached += n;
    p->free += n;
    p->pending = 0;
    return n;
}

/* mm_pool_release for a frame outside the range found last: another range, or none. */
__attribute__((noinline)) static void release_elsewhere(mm_pool_t *p, pt_paddr_t pa) {
    uint32_t r = range_of(p, pa);
    if (r < p->nranges) {
        set_hint(p, r);
        mm_pool_release(p, pa);
    } /* else not RAM of the pool: a device frame */
}

void mm_pool_release(mm_pool_t *p, pt_paddr_t pa) {
    uint64_t off = pa - p->hint_pa;
    if (off >= p->hint_bytes) {
        release_elsewhere(p, pa);
        return;
    }
    mm_frame_t *f = &p->frame[p->hint_first + (off >> PT_PAGE_SHIFT)];
    if (f->ref == MM_FRAME_META || --f->ref != 0) {
        return; /* metadata is never mapped; a shared frame keeps its other users */
    }
    f->ref = MM_FRAME_PENDING;
    f->next = p->pending_head;
    p->pending_head = (uint32_t)(f - p->frame);
    p->pending++;
}

/* The record of the frame at pa (any byte of it; metadata frames' say MM_FRAME_META) when
 * pa is outside the range found last, or NULL when pa is in no range. Kept out of line:
 * the callers' loops stay small. */
__attribute__((noinline)) static const mm_frame_t *record_elsewhere(const mm_pool_t *p,
                                                                    pt_paddr_t pa) {
    uint32_t r = range_of(p, pa);
    if (r == p->nranges) {
        return NULL;
    }
    return &p->frame[p->range[r].first + ((pa - p->range[r].pa) >> PT_PAGE_SHIFT)];
}

bool mm_pool_has(const mm_pool_t *p, pt_paddr_t pa) {
    if (pa - p->hint_pa < p->hint_bytes) {
        return pa - p->meta_pa >= p->meta_bytes; /* the common case: one comparison more */
    }
    const mm_frame_t *f = record_elsewhere(p, pa);
    return f && f->ref != MM_FRAME_META;
}

bool mm_pool_overlaps(const mm_pool_t *p, pt_paddr_t pa, uint64_t len) {
    for (uint32_t i = 0; i < p->nranges; i++) {
        const mm_pool_range_t *r = &p->range[i];
        if (pa < r->pa + (r->frames << PT_PAGE_SHIFT) && r->pa < pa + len) {
            return true;
        }
    }
    return false;
}

uint64_t mm_pool_available(const mm_pool_t *p) {
    return room(p, MM_FROM_FREE);
}

uint32_t mm_pool_refs(const mm_pool_t *p, pt_paddr_t pa) {
    uint64_t off = pa - p->hint_pa;
    const mm_frame_t *f = off < p->hint_bytes ? &p->frame[p->hint_first + (off >> PT_PAGE_SHIFT)]
                                              : record_elsewhere(p, pa);
    uint32_t ref = f ? f->ref : 0;
    return ref >= MM_FRAME_PENDING ? 0 : ref; /* PENDING and META are the two largest */
}

void *mm_pool_ptr(const mm_pool_t *p, pt_paddr_t pa) {
    return mm_pool_has(p, pa) ? p->va + (pa - p->pa) : NULL;
}

uint64_t mm_pool_block_free(const mm_pool_t *p, unsigned order) {
    uint64_t n = 0;
    for (uint32_t i = p->order_head[order]; i != NIL; i = p->frame[i].next) {
        n++;
    }
    return n;
}

/* ---- a map's frames -------------------------------------------------------------------- */

void mm_chain_init(mm_chain_t *c) {
    c->head = c->tail = c->cur = MM_FRAME_NIL;
    c->chunks = c->frames = c->cur_off = 0;
}

/* Appends the chunk of 2^order frames at index i to c: its head's next links on, its prev
 * holds its size. */
static void chain_append(mm_pool_t *p, mm_chain_t *c, uint32_t i, unsigned order) {
    p->frame[i].next = MM_FRAME_NIL;
    p->frame[i].prev = 1u << order;
    if (c->tail == MM_FRAME_NIL) {
        c->head = i;
    } else {
        p->frame[c->tail].next = i;
    }
    c->tail = i;
    c->chunks++;
    c->frames += 1ull << order;
}

bool mm_pool_chain_add(mm_pool_t *p, mm_chain_t *c, unsigned order) {
    pt_paddr_t pa;
    bool ok =
        order ? mm_pool_alloc_block(p, order, &pa) : mm_pool_alloc(p, MM_FROM_FREE, true, &pa);
    if (ok) {
        chain_append(p, c, (uint32_t)frame_index(p, pa), order);
    }
    return ok;
}

void mm_pool_chain_free(mm_pool_t *p, mm_chain_t *c) {
    for (uint32_t i = c->head; i != MM_FRAME_NIL;) {
        uint32_t next = p->frame[i].next, n = p->frame[i].prev;
        for (uint32_t k = 0; k < n; k++) {
            frame_release(p, i + k);
        }
        i = next;
    }
    mm_chain_init(c);
}

pt_paddr_t mm_pool_chain_first(mm_pool_t *p, const mm_chain_t *c) {
    return frame_pa(p, c->head);
}

bool mm_pool_chain_run(mm_pool_t *p, mm_chain_t *c, uint64_t off, pt_paddr_t *pa, uint64_t *bytes) {
    if (c->cur == MM_FRAME_NIL || off < c->cur_off) {
        c->cur = c->head; /* a new pass */
        c->cur_off = 0;
    }
    while (c->cur != MM_FRAME_NIL &&
           off - c->cur_off >= (uint64_t)p->frame[c->cur].prev * MM_PAGE) {
        c->cur_off += (uint64_t)p->frame[c->cur].prev * MM_PAGE;
        c->cur = p->frame[c->cur].next;
    }
    if (c->cur == MM_FRAME_NIL) {
        return false; /* past the chain's frames */
    }
    uint32_t r = range_of_index(p, c->cur);
    const mm_pool_range_t *in = &p->range[r];
    uint64_t skip = (off - c->cur_off) >> PT_PAGE_SHIFT;
    uint64_t i = c->cur + skip, end = c->cur + p->frame[c->cur].prev;
    /* Chunks that follow in the same range, frame after frame, are one run. */
    for (uint32_t n = p->frame[c->cur].next; n == end && n - in->first < in->frames;
         n = p->frame[n].next) {
        end += p->frame[n].prev;
    }
    *pa = index_pa(in, i);
    *bytes = (end - i) << PT_PAGE_SHIFT;
    return true;
}
