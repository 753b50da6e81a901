/*
 * Kernel self-checks, run at boot in test mode before any program starts. They exercise
 * what no user program can reach yet (until mmserver asks for flushes): libpt on the live
 * kernel tables and arch_tlb_flush. Under QEMU's TCG the software TLB keeps stale
 * translations exactly like hardware, so a missing or wrong flush is seen.
 */
#include "kern.h"

#define CHECK_PAGES 40u /* > PT_FLUSH_ALL_THRESHOLD: the second remap asks for a full flush */
/* Scratch kernel addresses below the image: inside a top-level entry that exists since
 * boot, so no user root misses anything. */
#define CHECK_VA (ARCH_KERNEL_VOFFSET - 64u * PT_PAGE_SIZE)

/* Fills frame pa with the word v. */
static void fill(pt_paddr_t pa, uint64_t v) {
    uint64_t *w = kern_phys_to_virt(pa);
    for (unsigned i = 0; i < PT_PAGE_SIZE / 8; i++) {
        w[i] = v;
    }
}

/* Maps pages pages at CHECK_VA to the frames in list (overwriting), flushes as libpt
 * says, and checks every page now reads its new frame's pattern. */
static const char *remap_and_read(const pt_paddr_t *list, unsigned pages, uint64_t pattern) {
    pt_frames_t src = {.list = list, .base = 0};
    pt_attr_t attr = {.perm = PT_R | PT_W | PT_G, .memtype = PT_MEM_NORMAL};
    pt_result_t res;
    if (pt_map(kern_kernel_space(), CHECK_VA, (uint64_t)pages * PT_PAGE_SIZE, &src, attr,
               PT_MAP_OVERWRITE, &res) != PT_OK) {
        return "pt_map refused the scratch range";
    }
    arch_tlb_flush(kern_kernel_root(), &res.flush);
    pt_release_tables(kern_kernel_space(), &res.deferred);
    for (unsigned i = 0; i < pages; i++) {
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(CHECK_VA + i * PT_PAGE_SIZE);
        if (*p != pattern + i) {
            return "a stale translation survived the flush";
        }
    }
    return NULL;
}

/* Takes n frames into list and fills frame i with pattern + i. (They are not given back:
 * the check runs once, at boot.) */
static bool take_frames(pt_paddr_t *list, unsigned n, uint64_t pattern) {
    for (unsigned i = 0; i < n; i++) {
        if (!kern_frame_alloc(&list[i])) {
            return false;
        }
        fill(list[i], pattern + i);
    }
    return true;
}

/* Remaps a scratch range from one set of frames to another: first one page (per-page
 * invalidation), then CHECK_PAGES pages (full flush), then unmaps it. */
static const char *check_tlb_flush(void) {
    static pt_paddr_t a[CHECK_PAGES], b[CHECK_PAGES];
    if (!take_frames(a, CHECK_PAGES, 0xa000) || !take_frames(b, CHECK_PAGES, 0xb000)) {
        return "out of frames";
    }
    const char *why = remap_and_read(a, 1, 0xa000);
    why = why ? why : remap_and_read(b, 1, 0xb000);
    why = why ? why : remap_and_read(a, CHECK_PAGES, 0xa000);
    why = why ? why : remap_and_read(b, CHECK_PAGES, 0xb000);
    pt_result_t res;
    if (pt_unmap(kern_kernel_space(), CHECK_VA, CHECK_PAGES * PT_PAGE_SIZE, 0, &res) != PT_OK) {
        return why ? why : "pt_unmap refused the scratch range";
    }
    arch_tlb_flush(kern_kernel_root(), &res.flush);
    pt_release_tables(kern_kernel_space(), &res.deferred);
    return why;
}

/* See kern.h. */
void kern_selftest(void) {
    kern_report_check("kernel_tlb_flush", check_tlb_flush());
}
