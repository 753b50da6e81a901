/*
 * The kernel's frame allocator: a cursor through the RAM ranges the boot information
 * reported, skipping taken ranges (kernel image, archive, firmware areas), plus a free
 * list of returned frames threaded through their first word.
 *
 * Before the kernel's own tables are loaded only the arch's early window is reachable, so
 * boot-time frames must lie below early_limit; the cursor walks RAM upwards from the bottom,
 * so the few tables the boot needs come from low memory. Once mmserver exists (issue 6)
 * the kernel keeps only a pool for its objects and hands the rest to mmserver.
 */
#include "kern.h"

static struct {
    const arch_boot_info_t *bi;
    unsigned range;       /* RAM range the cursor is in */
    uint64_t next;        /* next never-used frame in that range */
    pt_paddr_t free_head; /* returned frames, linked through their first word (0: none) */
    uint64_t phys_offset; /* virtual = physical + phys_offset */
    uint64_t limit;       /* frames must end below this (early window), else ~0 */
    arch_range_t given;   /* mmserver's pool: never handed out (kern_frame_give_largest) */
} fa;

/* See kern.h. */
void kern_frame_init(const arch_boot_info_t *bi) {
    fa.bi = bi;
    fa.range = 0;
    fa.next = bi->ram_count ? bi->ram[0].base : 0;
    fa.phys_offset = bi->early_offset;
    fa.limit = bi->early_limit;
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
    const arch_range_t *ranges[2] = {&bi->archive, &fa.given};
    for (unsigned i = 0; i < 2; i++) {
        const arch_range_t *a = ranges[i];
        if (a->len && pa + PT_PAGE_SIZE > a->base && pa < a->base + a->len) {
            return a->base + a->len;
        }
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

/* Widens *best to the largest never-used free run of [pa, end) starting on an align
 * boundary. */
static void largest_run(uint64_t pa, uint64_t end, uint64_t align, arch_range_t *best) {
    pa = (pa + align - 1) & ~(align - 1);
    while (pa + PT_PAGE_SIZE <= end) {
        uint64_t skip = taken_until(pa);
        if (skip) {
            pa = (skip + align - 1) & ~(align - 1);
            continue;
        }
        uint64_t stop = taken_from(pa, end) & ~(PT_PAGE_SIZE - 1);
        if (stop - pa > best->len) {
            *best = (arch_range_t){pa, stop - pa};
        }
        pa = stop;
    }
}

/* See kern.h. Only never-used frames past the cursor qualify: the free list and
 * everything below the cursor may be the kernel's. */
bool kern_frame_give_largest(uint64_t align, arch_range_t *out) {
    const arch_boot_info_t *bi = fa.bi;
    arch_range_t best = {0, 0};
    for (unsigned i = fa.range; i < bi->ram_count; i++) {
        uint64_t from = i == fa.range ? fa.next : bi->ram[i].base;
        largest_run(from, bi->ram[i].base + bi->ram[i].len, align, &best);
    }
    if (best.len == 0 || fa.given.len) {
        return false;
    }
    fa.given = best;
    *out = best;
    return true;
}

/* The next never-used free frame from the cursor, or false when RAM is exhausted. */
static bool cursor_alloc(pt_paddr_t *pa) {
    const arch_boot_info_t *bi = fa.bi;
    while (fa.range < bi->ram_count) {
        const arch_range_t *r = &bi->ram[fa.range];
        if (fa.next + PT_PAGE_SIZE > fa.limit) {
            return false; /* the early window is full; the rest waits for the direct map */
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
