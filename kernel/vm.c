/*
 * Address spaces, all built with libpt.
 *
 * The kernel space (PT_SPACE_KERNEL) maps the kernel image section by section with W^X
 * rights (text RX, rodata R, data+bss RW, all global) and a direct map of RAM (RW, never
 * executable, huge leaves where possible). Its upper-half top-level entries are created
 * at boot and never change afterwards, which is what lets every user root simply copy them.
 *
 * A user space (PT_SPACE_USER) covers only the lower half; libpt never touches its upper
 * half, which holds copies of the kernel's top-level entries: the kernel is mapped in
 * every space but without PT_U, so user mode cannot reach it.
 */
#include "kern.h"

static pt_space_t kernel_space;
static arch_root_t kernel_root;
static kern_space_t spaces[KERN_MAX_SPACES];

/* libpt hooks: tables and frames come from and go back to the frame allocator. */
static bool hook_alloc_table(void *ctx, pt_paddr_t *pa) {
    (void)ctx;
    return kern_frame_alloc(pa);
}

/* Takes back a table libpt no longer uses. */
static void hook_free_table(void *ctx, pt_paddr_t pa) {
    (void)ctx;
    kern_frame_free(pa);
}

/* Takes back a data frame of a destroyed user space (its TLB entries are gone). */
static void hook_release_frame(void *ctx, pt_vaddr_t va, pt_paddr_t pa, unsigned shift) {
    (void)ctx;
    (void)va;
    for (uint64_t off = 0; off < (1ull << shift); off += PT_PAGE_SIZE) {
        kern_frame_free(pa + off);
    }
}

/* A corrupt entry in a table the kernel built is a kernel bug. */
static void hook_assert_failed(void *ctx, const char *what) {
    (void)ctx;
    kern_panic("libpt: %s", what);
}

/* The hooks of a space; phys_offset follows the frame allocator's window. Only user
 * spaces give their data frames back when unmapped: the kernel space maps its own image
 * and the direct map, whose frames are not the allocator's to take back. */
static pt_hooks_t hooks(uint64_t phys_offset, bool owns_frames) {
    return (pt_hooks_t){
        .ctx = NULL,
        .alloc_table = hook_alloc_table,
        .free_table = hook_free_table,
        .phys_to_virt = NULL,
        .phys_offset = phys_offset,
        .release_frame = owns_frames ? hook_release_frame : NULL,
        .assert_failed = hook_assert_failed,
        /* None yet: one CPU, and every change is followed by arch_tlb_flush (on riscv
         * sfence.vma orders the table stores before later walks). With SMP the arch
         * interface gains a barrier for concurrent walkers (riscv fence w,w). */
        .write_barrier = NULL,
    };
}

/* Maps the kernel section [start, end) at its link address with perm, or panics. */
static void map_section(const char *what, char *start, char *end, uint8_t perm) {
    uint64_t va = (uint64_t)(uintptr_t)start;
    uint64_t len = (uint64_t)(end - start);
    if (len == 0) {
        return;
    }
    pt_frames_t src = {.list = NULL, .base = va - ARCH_KERNEL_VOFFSET};
    pt_attr_t attr = {.perm = perm, .memtype = PT_MEM_NORMAL};
    pt_result_t res;
    pt_err_t e = pt_map(&kernel_space, va, len, &src, attr, 0, &res);
    if (e != PT_OK) {
        kern_panic("vm: mapping kernel %s: %s", what, pt_strerror(e));
    }
    kern_printf("[vm] kernel %s 0x%llx-0x%llx %s\n", what, (unsigned long long)va,
                (unsigned long long)(va + len),
                perm & PT_X   ? "r-x"
                : perm & PT_W ? "rw-"
                              : "r--");
}

/* Maps physical [base, base + len) at ARCH_DIRECT_MAP_BASE + base with memtype, never
 * executable, with huge leaves where the alignment allows. Returns the huge leaves used. */
static uint64_t map_direct(uint64_t base, uint64_t len, uint8_t memtype) {
    pt_frames_t src = {.list = NULL, .base = base};
    pt_attr_t attr = {.perm = PT_R | PT_W | PT_G, .memtype = memtype};
    pt_result_t res;
    pt_err_t e =
        pt_map(&kernel_space, ARCH_DIRECT_MAP_BASE + base, len, &src, attr, PT_MAP_HUGE, &res);
    if (e != PT_OK) {
        kern_panic("vm: direct map of 0x%llx+0x%llx: %s", (unsigned long long)base,
                   (unsigned long long)len, pt_strerror(e));
    }
    return res.huge_leaves;
}

/* See kern.h. */
void kern_vm_init(const arch_boot_info_t *bi) {
    pt_hooks_t h = hooks(bi->early_offset, false);
    uint32_t flags = PT_SPACE_KERNEL | arch_pt_features();
    if (pt_space_init(&kernel_space, ARCH_PT_FORMAT, &h, flags) != PT_OK) {
        kern_panic("vm: no frame for the kernel root");
    }
    map_section("text", __kernel_text_start, __kernel_text_end, PT_R | PT_X | PT_G);
    map_section("rodata", __kernel_rodata_start, __kernel_rodata_end, PT_R | PT_G);
    map_section("data", __kernel_data_start, __kernel_guard_start, PT_R | PT_W | PT_G);
    map_section("stack", __kernel_guard_end, __kernel_data_end, PT_R | PT_W | PT_G);
    uint64_t ram = 0, huge = 0;
    for (unsigned i = 0; i < bi->ram_count; i++) {
        huge += map_direct(bi->ram[i].base, bi->ram[i].len, PT_MEM_NORMAL);
        ram += bi->ram[i].len;
    }
    for (unsigned i = 0; i < bi->mmio_count; i++) {
        map_direct(bi->mmio[i].base, bi->mmio[i].len, PT_MEM_DEVICE);
    }
    arch_paging_enable(kernel_space.root);
    kern_frame_use_direct_map();
    kernel_space.hooks.phys_offset = ARCH_DIRECT_MAP_BASE;
    arch_root_init(&kernel_root, kernel_space.root, 0);
    arch_root_load(&kernel_root);
    kern_printf("[vm] direct map %llu MiB at 0x%llx (%llu huge leaves), %llu tables%s; "
                "kernel tables loaded\n",
                (unsigned long long)(ram >> 20), (unsigned long long)ARCH_DIRECT_MAP_BASE,
                (unsigned long long)huge, (unsigned long long)kernel_space.tables,
                (flags & PT_FEAT_NO_GIGA) ? ", no 1 GiB pages" : "");
}

/* See kern.h. */
pt_space_t *kern_kernel_space(void) {
    return &kernel_space;
}

/* See kern.h. */
arch_root_t *kern_kernel_root(void) {
    return &kernel_root;
}

/* Copies the kernel's upper-half top-level entries into root (the only kernel write into
 * a user root; the entries never change after boot). */
static void share_kernel_half(pt_paddr_t root) {
    uint64_t *dst = kern_phys_to_virt(root);
    const uint64_t *src = kern_phys_to_virt(kernel_space.root);
    for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
        dst[i] = src[i];
    }
}

/* A free space record, or NULL. */
static kern_space_t *space_free(void) {
    for (unsigned i = 0; i < KERN_MAX_SPACES; i++) {
        if (!spaces[i].in_use) {
            spaces[i].id = (uint16_t)(i + 1);
            return &spaces[i];
        }
    }
    return NULL;
}

/* Makes s, whose s->pt.root is set, a live space of a process with an empty table. */
static kern_space_t *space_start(kern_space_t *s, bool managed) {
    share_kernel_half(s->pt.root);
    s->in_use = true;
    s->managed = managed;
    s->threads = 0;
    s->caps = (kern_cspace_t){0};
    kern_space_retag(s);
    return s;
}

/* See kern.h. */
kern_space_t *kern_space_create(void) {
    kern_space_t *s = space_free();
    pt_hooks_t h = hooks(ARCH_DIRECT_MAP_BASE, true);
    if (!s ||
        pt_space_init(&s->pt, ARCH_PT_FORMAT, &h, PT_SPACE_USER | arch_pt_features()) != PT_OK) {
        return NULL;
    }
    return space_start(s, false);
}

/* A view's table hook: the kernel never links a table into mmserver's tree. */
static bool hook_no_table(void *ctx, pt_paddr_t *pa) {
    (void)ctx;
    (void)pa;
    return false;
}

/* A view's table access: mmserver's tables come from its pool, so an entry naming any other
 * frame reads as an empty table (nothing mapped below it) instead of sending the kernel
 * through its direct map to memory that may not be there or is not mmserver's. */
static void *hook_view_table(void *ctx, pt_paddr_t pa) {
    static uint64_t no_table[PT_ENTRIES]; /* all zero: every entry absent; only read */
    (void)ctx;
    return kern_mm_pool_has(pa) ? kern_phys_to_virt(pa) : no_table;
}

/* See kern.h. The view walks mmserver's tables only for kern_copy_*_user: no table or
 * frame hooks, and no assertion hook, so a corrupt entry is an error (PT_ERR_CORRUPT,
 * then IPC_ERR_BAD_ADDRESS), not a panic: mmserver is not trusted with the kernel. */
kern_space_t *kern_space_attach(pt_paddr_t root_pa) {
    kern_space_t *s = space_free();
    if (!s) {
        return NULL;
    }
    pt_hooks_t h = hooks(ARCH_DIRECT_MAP_BASE, false);
    h.alloc_table = hook_no_table;
    h.phys_to_virt = hook_view_table;
    h.assert_failed = NULL;
    s->pt = (pt_space_t){.fmt = ARCH_PT_FORMAT,
                         .hooks = h,
                         .root = root_pa,
                         .flags = PT_SPACE_USER | arch_pt_features(),
                         .tables = 1};
    return space_start(s, true);
}

/* The kernel pointer to user address va of s and how many bytes of its page follow, or
 * NULL when va is not mapped with all of need (PT_* bits). */
static uint8_t *user_page(kern_space_t *s, uint64_t va, uint8_t need, size_t *room) {
    pt_mapping_t m;
    if (va >= ARCH_USER_TOP || pt_query(&s->pt, va, &m) != PT_OK) {
        return NULL;
    }
    if ((m.attr.perm & need) != need) {
        return NULL;
    }
    if (s->managed && !kern_mm_pool_has(m.pa)) {
        return NULL; /* a leaf mmserver aimed outside its pool: not user memory to copy */
    }
    /* m.pa is the physical address of va; the page-aligned form works either way. */
    uint64_t off = va & (PT_PAGE_SIZE - 1);
    *room = PT_PAGE_SIZE - off;
    return (uint8_t *)kern_phys_to_virt(m.pa & ~(PT_PAGE_SIZE - 1)) + off;
}

/* Whether every page of [va, va + len) is user memory of s mapped with all of need:
 * critical, since va and len come from an untrusted program (no wrap, inside the user
 * half, every page present with the rights). */
static bool user_range(kern_space_t *s, uint64_t va, size_t len, uint8_t need) {
    if (va + len < va || va + len > ARCH_USER_TOP) {
        return false;
    }
    size_t room;
    for (uint64_t p = va & ~(PT_PAGE_SIZE - 1); p < va + len; p += PT_PAGE_SIZE) {
        if (!user_page(s, p, need, &room)) {
            return false;
        }
    }
    return true;
}

/* Copies len bytes between kernel buffer buf and user address va of s through the direct
 * map, to_user or from it. => user_range allowed the whole range. */
static void user_copy(kern_space_t *s, uint64_t va, void *buf, size_t len, bool to_user) {
    uint8_t *k = buf;
    while (len) {
        size_t room;
        uint8_t *u = user_page(s, va, PT_U, &room);
        size_t n = len < room ? len : room;
        memcpy(to_user ? u : k, to_user ? k : u, n);
        k += n;
        va += n;
        len -= n;
    }
}

/* See kern.h. Checked once, at the door, before a byte is copied: critical, because the
 * address comes from an untrusted program. */
ipc_err_t kern_copy_from_user(kern_space_t *s, void *dst, uint64_t va, size_t len) {
    if (!user_range(s, va, len, PT_U | PT_R)) {
        return IPC_ERR_BAD_ADDRESS;
    }
    user_copy(s, va, dst, len, false);
    return IPC_OK;
}

/* See kern.h. The same door as kern_copy_from_user, asking for write permission. */
bool kern_user_writable(kern_space_t *s, uint64_t va, size_t len) {
    return user_range(s, va, len, PT_U | PT_W);
}

/* See kern.h. */
ipc_err_t kern_copy_to_user(kern_space_t *s, uint64_t va, const void *src, size_t len) {
    if (!user_range(s, va, len, PT_U | PT_W)) {
        return IPC_ERR_BAD_ADDRESS;
    }
    user_copy(s, va, (void *)(uintptr_t)src, len, true);
    return IPC_OK;
}

/* See kern.h. */
void kern_space_retag(kern_space_t *s) {
    kern_tag_renew(&s->tag);
    arch_root_init(&s->root, s->pt.root, s->tag.id);
}

/* See kern.h. The kernel root is loaded first so that s is loaded nowhere, then its TLB
 * entries are dropped, and only then are its frames and tables reused. */
void kern_space_destroy(kern_space_t *s) {
    arch_root_load(&kernel_root);
    arch_root_release(&s->root);
    if (!s->managed) {
        pt_destroy(&s->pt);
    }
    s->in_use = false;
}
