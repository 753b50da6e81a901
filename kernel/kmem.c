/*
 * Where kernel objects' frames come from (kern_kobj_frame_get / _put of kernel/kobj.h):
 * the kernel's own RAM (the frame allocator) for the kernel's and mmserver's objects, and
 * the frames mmserver donated from its pool (MMPRIV_SYS_KMEM_GIVE) for its clients'. The
 * donated frames the slab does not use wait on a free list threaded through their first
 * word until a slab needs one or mmserver takes one back (MMPRIV_SYS_KMEM_TAKE). So a
 * client's kernel objects are paid for with mmserver's memory, which mmserver charges to
 * that client's quota, and the kernel's own RAM never runs out on a client's behalf.
 */
#include "kern.h"

static struct {
    pt_paddr_t free_head; /* donated frames no object uses (0: none) */
    uint64_t free;        /* how many */
    uint64_t held;        /* donated frames the kernel holds, free or in use */
} dk;

/* The kernel address of frame pa (the direct map is in use once objects are made). */
static void *frame_va(pt_paddr_t pa) {
    return kern_phys_to_virt(pa);
}

/* The physical address of a frame the direct map shows at va. */
static pt_paddr_t frame_pa(void *va) {
    return (pt_paddr_t)((uintptr_t)va - ARCH_DIRECT_MAP_BASE);
}

/* Puts donated frame pa on the free list. */
static void donated_push(pt_paddr_t pa) {
    *(pt_paddr_t *)frame_va(pa) = dk.free_head;
    dk.free_head = pa;
    dk.free++;
}

/* See kern.h. */
void kern_kmem_give(pt_paddr_t pa, uint64_t frames) {
    for (uint64_t i = 0; i < frames; i++) {
        donated_push(pa + i * PT_PAGE_SIZE);
    }
    dk.held += frames;
}

/* Takes a free donated frame off the list; false when none. */
static bool donated_pop(pt_paddr_t *pa) {
    if (!dk.free_head) {
        return false;
    }
    *pa = dk.free_head;
    dk.free_head = *(pt_paddr_t *)frame_va(*pa);
    dk.free--;
    return true;
}

/* See kern.h. */
bool kern_kmem_take(pt_paddr_t *pa) {
    if (!donated_pop(pa)) {
        return false;
    }
    dk.held--;
    return true;
}

/* See kern.h. */
uint64_t kern_kmem_donated(void) {
    return dk.held;
}

/* See kern.h. */
uint64_t kern_kmem_donated_free(void) {
    return dk.free;
}

/* See kobj.h. */
void *kern_kobj_frame_get(bool donated) {
    pt_paddr_t pa;
    if (donated ? !donated_pop(&pa) : !kern_frame_alloc(&pa)) {
        return NULL;
    }
    return frame_va(pa);
}

/* See kobj.h. */
void kern_kobj_frame_put(void *frame, bool donated) {
    if (donated) {
        donated_push(frame_pa(frame));
    } else {
        kern_frame_free(frame_pa(frame));
    }
}
