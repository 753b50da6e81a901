/*
 * The frame pool: every frame of the RAM window the kernel gave mmserver. One mm_frame_t
 * per frame, stored in the window's own first frames (like Linux's mem_map), so the pool
 * needs no memory of its own and no capacity constant. A frame is free (ref 0), in use
 * (ref = number of users: 1, or more when shared), pending (released by its last user,
 * waiting for the TLB flush of the request that released it) or metadata.
 *
 * Frames are zeroed when handed out, never when freed: a frame is cleaned as late as
 * possible, just before a new owner can see it.
 */
#include "internal.h"

/* Frame index of pa. => pa is in the window. */
static uint64_t frame_index(const mm_pool_t *p, pt_paddr_t pa) {
    return (pa - p->pa) >> PT_PAGE_SHIFT;
}

/* Physical address of frame i. */
static pt_paddr_t frame_pa(const mm_pool_t *p, uint64_t i) {
    return p->pa + (i << PT_PAGE_SHIFT);
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

/* Gives frames [i, i + n) one user each, zeroed when zero says so. */
static void take(mm_pool_t *p, uint64_t i, uint64_t n, bool zero) {
    for (uint64_t k = i; k < i + n; k++) {
        p->frame[k].ref = 1;
    }
    p->free -= n;
    if (zero) {
        mm_mem_zero(p->va + (i << PT_PAGE_SHIFT), n << PT_PAGE_SHIFT);
    }
}

mm_err_t mm_pool_init(mm_pool_t *p, pt_paddr_t pa, void *va, uint64_t frames) {
    uint64_t meta = (frames * sizeof(mm_frame_t) + MM_PAGE - 1) >> PT_PAGE_SHIFT;
    if (((pa | (uint64_t)(uintptr_t)va) & (MM_PAGE - 1)) || frames <= meta ||
        frames > 0xfffffff0u || !va) {
        return MM_ERR_INVAL;
    }
    _Static_assert(sizeof(mm_frame_t) == 8, "mm_frame_t: 512 per metadata frame");
    p->pa = pa;
    p->va = va;
    p->frames = frames;
    p->meta = meta;
    p->frame = va;
    for (uint64_t i = 0; i < frames; i++) {
        p->frame[i].ref = i < meta ? MM_FRAME_META : 0;
        p->frame[i].next = 0;
    }
    p->free = frames - meta;
    p->reserved = p->pending = 0;
    p->pending_head = 0;
    p->cursor = meta;
    p->attempts = p->fail_at = 0;
    return MM_OK;
}

bool mm_pool_alloc(mm_pool_t *p, mm_source_t src, bool zero, pt_paddr_t *pa) {
    if (injected_failure(p) || room(p, src) == 0) {
        return false;
    }
    uint64_t i = p->cursor;
    while (p->frame[i].ref != 0) { /* room > 0: a free frame exists */
        i = i + 1 < p->frames ? i + 1 : p->meta;
    }
    take(p, i, 1, zero);
    p->reserved -= src == MM_FROM_RESERVE;
    p->cursor = i + 1 < p->frames ? i + 1 : p->meta;
    *pa = frame_pa(p, i);
    return true;
}

/* Length of the run of free frames starting at i (at most n). */
static uint64_t free_run(const mm_pool_t *p, uint64_t i, uint64_t n) {
    uint64_t k = 0;
    while (k < n && i + k < p->frames && p->frame[i + k].ref == 0) {
        k++;
    }
    return k;
}

bool mm_pool_alloc_run(mm_pool_t *p, uint64_t n, uint64_t align, uint64_t phase, pt_paddr_t *pa) {
    if (injected_failure(p) || room(p, MM_FROM_FREE) < n) {
        return false;
    }
    uint64_t step = align >> PT_PAGE_SHIFT;
    uint64_t first = ((phase - p->pa) & (align - 1)) >> PT_PAGE_SHIFT; /* pa % align == phase */
    for (uint64_t i = first; i + n <= p->frames;) {
        uint64_t k = i < p->meta ? 0 : free_run(p, i, n);
        if (k == n) {
            take(p, i, n, true);
            *pa = frame_pa(p, i);
            return true;
        }
        i += (k / step + 1) * step; /* frame i + k is taken: no run can start at or before it */
    }
    return false;
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
    mm_frame_t *f = &p->frame[frame_index(p, pa)];
    f->ref = 0;
    f->next = 0; /* a table's count goes with it */
    p->free++;
}

uint32_t *mm_pool_table_used(mm_pool_t *p, pt_paddr_t pa) {
    return &p->frame[frame_index(p, pa)].next;
}

uint64_t mm_pool_drain(mm_pool_t *p) {
    uint64_t n = p->pending;
    for (; p->pending; p->pending--) {
        mm_frame_t *f = &p->frame[p->pending_head];
        p->pending_head = f->next;
        f->ref = 0;
        f->next = 0;
        p->free++;
    }
    return n;
}

bool mm_pool_has(const mm_pool_t *p, pt_paddr_t pa) {
    return pa >= frame_pa(p, p->meta) && pa - p->pa < (p->frames << PT_PAGE_SHIFT);
}

bool mm_pool_overlaps(const mm_pool_t *p, pt_paddr_t pa, uint64_t len) {
    pt_paddr_t end = p->pa + (p->frames << PT_PAGE_SHIFT);
    return pa < end && p->pa < pa + len;
}

uint64_t mm_pool_available(const mm_pool_t *p) {
    return room(p, MM_FROM_FREE);
}

uint32_t mm_pool_refs(const mm_pool_t *p, pt_paddr_t pa) {
    if (!mm_pool_has(p, pa)) {
        return 0;
    }
    uint32_t ref = p->frame[frame_index(p, pa)].ref;
    return ref == MM_FRAME_PENDING ? 0 : ref;
}

void *mm_pool_ptr(const mm_pool_t *p, pt_paddr_t pa) {
    return mm_pool_has(p, pa) ? p->va + (pa - p->pa) : NULL;
}
