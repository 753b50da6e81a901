/*
 * The kernel's frame allocator: a cursor through the RAM ranges the boot information
 * reported, skipping taken ranges (kernel image, archive, firmware areas), plus a free
 * list of returned frames threaded through their first word.
 *
 * Before the kernel's own tables are loaded only the arch's early window is reachable, so
 * boot-time frames must lie below early_limit; the cursor walks RAM upwards from the bottom,
 * so the few tables the boot needs come from low memory. Once mmserver exists (issue 6)
 * the kernel keeps only a reserve for its objects, the next never-used frames past the
 * cursor (kern_frame_give_rest), and hands every free frame above that ceiling, in every
 * RAM range, to mmserver.
 */
#include "kern.h"

static struct {
    const arch_boot_info_t *bi;
    unsigned range;       /* RAM range the cursor is in */
    uint64_t next;        /* next never-used frame in that range */
    pt_paddr_t free_head; /* returned frames, linked through their first word (0: none) */
    uint64_t phys_offset; /* virtual = physical + phys_offset */
    uint64_t limit;       /* frames must end below this (early window), else ~0 */
    uint64_t ceiling;     /* never-used frames from here up are mmserver's (else ~0) */
} fa;

/* See kern.h. */
void kern_frame_init(const arch_boot_info_t *bi) {
    fa.bi = bi;
    fa.range = 0;
    fa.next = bi->ram_count ? bi->ram[0].base : 0;
    fa.phys_offset = bi->early_offset;
    fa.limit = bi->early_limit;
    fa.ceiling = ~0ull;
}

/* See kern.h. */
void kern_frame_use_direct_map(void) {
    fa.phys_offset = ARCH_DIRECT_MAP_BASE;
    fa.limit = ~0ull;
}

/* See kern.h. */
void *kern_phys_to_virt(pt_paddr_t pa) {
    return (void *)(uintptr_t)(pa + fa.phys_offset);
}

/* If frame pa overlaps a taken range, the first address past that range; else 0. */
static uint64_t taken_until(uint64_t pa) {
    const arch_boot_info_t *bi = fa.bi;
    for (unsigned i = 0; i < bi->used_count; i++) {
        if (pa + PT_PAGE_SIZE > bi->used[i].base && pa < bi->used[i].base + bi->used[i].len) {
            return bi->used[i].base + bi->used[i].len;
        }
    }
    const arch_range_t *a = &bi->archive;
    if (a->len && pa + PT_PAGE_SIZE > a->base && pa < a->base + a->len) {
        return a->base + a->len;
    }
    return 0;
}

/* The first taken address in (pa, end), or end: where a free run from pa stops. */
static uint64_t taken_from(uint64_t pa, uint64_t end) {
    const arch_boot_info_t *bi = fa.bi;
    for (unsigned i = 0; i < bi->used_count + 1; i++) {
        const arch_range_t *a = i < bi->used_count ? &bi->used[i] : &bi->archive;
        if (a->len && a->base > pa && a->base < end) {
            end = a->base;
        }
    }
    return end;
}

/* Appends the never-used free runs of [pa, end) to out (n of max used); false when out is
 * full and a run did not fit. */
static bool free_runs(uint64_t pa, uint64_t end, arch_range_t *out, unsigned max, unsigned *n) {
    while (pa + PT_PAGE_SIZE <= end) {
        uint64_t skip = taken_until(pa);
        if (skip) {
            pa = (skip + PT_PAGE_SIZE - 1) & ~(PT_PAGE_SIZE - 1);
            continue;
        }
        uint64_t stop = taken_from(pa, end) & ~(PT_PAGE_SIZE - 1);
        if (*n == max) {
            return false;
        }
        out[(*n)++] = (arch_range_t){pa, stop - pa};
        pa = stop;
    }
    return true;
}

/* Where the kernel's reserve ends: keep bytes of never-used free frames counted from the
 * cursor (page by page, skipping taken ranges); ~0 when RAM ends first. */
static uint64_t reserve_end(uint64_t keep) {
    const arch_boot_info_t *bi = fa.bi;
    unsigned r = fa.range;
    uint64_t pa = fa.next, left = keep / PT_PAGE_SIZE;
    while (r < bi->ram_count) {
        if (pa + PT_PAGE_SIZE > bi->ram[r].base + bi->ram[r].len) {
            pa = ++r < bi->ram_count ? bi->ram[r].base : pa;
            continue;
        }
        uint64_t skip = taken_until(pa);
        if (skip) {
            pa = (skip + PT_PAGE_SIZE - 1) & ~(PT_PAGE_SIZE - 1);
        } else if (left == 0) {
            return pa;
        } else {
            pa += PT_PAGE_SIZE;
            left--;
        }
    }
    return ~0ull;
}

/* See kern.h. Only never-used frames past the reserve qualify: the free list and everything
 * below the cursor may be the kernel's. */
unsigned kern_frame_give_rest(uint64_t keep, arch_range_t *out, unsigned max) {
    const arch_boot_info_t *bi = fa.bi;
    unsigned n = 0;
    if (fa.ceiling != ~0ull) {
        return 0; /* given once already */
    }
    fa.ceiling = reserve_end(keep);
    for (unsigned i = fa.range; i < bi->ram_count && fa.ceiling != ~0ull; i++) {
        uint64_t end = bi->ram[i].base + bi->ram[i].len;
        uint64_t from = bi->ram[i].base > fa.ceiling ? bi->ram[i].base : fa.ceiling;
        if (from < end && !free_runs(from, end, out, max, &n)) {
            kern_printf("[boot] more than %u free RAM runs: the rest stays unused\n", max);
            break;
        }
    }
    return n;
}

/* The next never-used free frame from the cursor, or false when RAM is exhausted. */
static bool cursor_alloc(pt_paddr_t *pa) {
    const arch_boot_info_t *bi = fa.bi;
    while (fa.range < bi->ram_count) {
        const arch_range_t *r = &bi->ram[fa.range];
        if (fa.next + PT_PAGE_SIZE > fa.limit) {
            return false; /* the early window is full; the rest waits for the direct map */
        }
        if (fa.next >= fa.ceiling) {
            return false; /* the reserve is used up: the rest is mmserver's */
        }
        if (fa.next + PT_PAGE_SIZE > r->base + r->len) {
            if (++fa.range < bi->ram_count) {
                fa.next = bi->ram[fa.range].base;
            }
            continue;
        }
        uint64_t skip = taken_until(fa.next);
        if (skip) {
            fa.next = (skip + PT_PAGE_SIZE - 1) & ~(PT_PAGE_SIZE - 1);
            continue;
        }
        *pa = fa.next;
        fa.next += PT_PAGE_SIZE;
        return true;
    }
    return false;
}

/* See kern.h. */
bool kern_frame_alloc(pt_paddr_t *pa) {
    if (fa.free_head) {
        *pa = fa.free_head;
        fa.free_head = *(pt_paddr_t *)kern_phys_to_virt(fa.free_head);
        return true;
    }
    return cursor_alloc(pa);
}

/* See kern.h. */
bool kern_frame_alloc_zeroed(pt_paddr_t *pa) {
    if (!kern_frame_alloc(pa)) {
        return false;
    }
    memset(kern_phys_to_virt(*pa), 0, PT_PAGE_SIZE);
    return true;
}

/* See kern.h. */
void kern_frame_free(pt_paddr_t pa) {
    if (pa == 0 || (pa & (PT_PAGE_SIZE - 1))) {
        kern_panic("frame_free: bad frame 0x%llx", (unsigned long long)pa);
    }
    *(pt_paddr_t *)kern_phys_to_virt(pa) = fa.free_head;
    fa.free_head = pa;
}
