/*
 * The boot check, run at every boot before mmserver starts: libpt on the live kernel
 * tables and arch_tlb_flush, which every later flush of mmserver's relies on. Under QEMU's
 * TCG the software TLB keeps stale translations exactly like hardware, so a missing or
 * wrong flush is seen. A failure is a panic: the kernel's TLB handling cannot be trusted,
 * so nothing may run. It prints no test line: tests are the runner's (tests/qemu).
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

/* Takes n frames into list and fills frame i with pattern + i; false when RAM ran out
 * (the frames taken so far stay in list, the rest are 0). */
static bool take_frames(pt_paddr_t *list, unsigned n, uint64_t pattern) {
    for (unsigned i = 0; i < n; i++) {
        if (!kern_frame_alloc(&list[i])) {
            return false;
        }
        fill(list[i], pattern + i);
    }
    return true;
}

/* Gives back the frames of list taken by take_frames (0: never taken). => nothing maps
 * them and the TLB holds no translation to them. */
static void give_frames(const pt_paddr_t *list, unsigned n) {
    for (unsigned i = 0; i < n && list[i]; i++) {
        kern_frame_free(list[i]);
    }
}

/* Remaps a scratch range between two sets of frames a and b: first one page (per-page
 * invalidation), then CHECK_PAGES pages (full flush), then unmaps it. NULL when every read
 * saw its new frame, else why not. */
static const char *check_tlb_flush(const pt_paddr_t *a, const pt_paddr_t *b) {
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

/* See kern.h. The frames go back only after the scratch range is unmapped and flushed. */
void kern_boot_check_tlb(void) {
    static pt_paddr_t a[CHECK_PAGES], b[CHECK_PAGES];
    if (!take_frames(a, CHECK_PAGES, 0xa000) || !take_frames(b, CHECK_PAGES, 0xb000)) {
        kern_panic("boot check of the TLB flush: out of frames");
    }
    const char *why = check_tlb_flush(a, b);
    if (why) {
        kern_panic("boot check of the TLB flush: %s", why);
    }
    give_frames(a, CHECK_PAGES);
    give_frames(b, CHECK_PAGES);
    kern_printf("[vm] TLB flush checked: 1 and %u pages remapped and read back\n", CHECK_PAGES);
}
