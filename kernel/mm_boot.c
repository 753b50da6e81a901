/*
 * The boot (mmserver/BOOT.md sections 1 to 4), the only way the kernel starts user code:
 * it builds one space, mmserver's, and starts one thread; mmserver starts every other
 * program of the archive. This is the kernel's only reader of ELF files and of the cpio
 * archive (both through the shared freestanding parsers, ipc/lib/elf64.c and
 * ipc/lib/cpio.c, which treat their input as untrusted). Layout of that first space
 * (everything but MMBOOT_VA is told through the block):
 *
 *   MMBOOT_IPC_VA      its IPC buffer, one page, R W, bound to its thread
 *   MMBOOT_VA          the boot-info block (ipc/mmboot.h), one page, R
 *   from 4 MiB         its ELF image, per segment, W^X, segments never sharing a page
 *   MMBOOT_ARCHIVE_VA  the boot archive's frames, R (never in the pool)
 *   MMBOOT_POOL_VA     the RAM window, R W, never X, huge leaves: mmserver's frame pool
 *   below the stack top  its stack, 64 KiB, with an unmapped guard page below
 *
 * Every page but the archive and the pool is a fresh frame of the kernel's, filled before
 * it is mapped. Its tables come from the kernel's frames, never from the pool; the pool is
 * taken only after every other frame of this space is, so the allocator never hands a pool
 * frame out. Any failure here is a panic: without mmserver nothing can run.
 */
#include <mmlib/cpio.h>
#include <mmlib/elf64.h>
#include <ipc/mmboot.h>
#include <ipc/mmpriv.h>

#include "kern.h"

#define MMBOOT_IPC_VA     0x100000ull
#define MMBOOT_ARCHIVE_VA 0x40000000ull
#define MMBOOT_POOL_VA    0x2000000000ull /* 128 GiB: below Sv39's 256 GiB user top */
#define MMBOOT_POOL_SPAN  0x1000000000ull /* 64 GiB of physical addresses the window shows */
#define MMBOOT_STACK      (64u * 1024u)
#define MMBOOT_POOL_ALIGN (1ull << 30) /* pool_pa congruent to pool_va: 1 GiB leaves */
#define PAGE_MASK         (PT_PAGE_SIZE - 1)
#define SLOT_HALT         2u /* where a program has MM_SLOT_BOOT: mmserver has no boot endpoint */
#define SLOT_ENDPOINT     3u
#define SLOT_MEMORY       4u
#define SLOT_FREE         5u

/* The archive member named MMBOOT_SELF_NAME in *self; panics when the archive is not a
 * valid cpio (newc) archive or has no such member. */
static void find_self(const arch_boot_info_t *bi, cpio_file_t *self) {
    const uint8_t *archive = kern_phys_to_virt(bi->archive.base);
    size_t off = 0;
    cpio_step_t step;
    while ((step = cpio_next(archive, bi->archive.len, &off, self)) == CPIO_FILE) {
        if (cpio_named(self, MMBOOT_SELF_NAME)) {
            return;
        }
    }
    kern_panic("boot: %s", step == CPIO_END
                               ? "no '" MMBOOT_SELF_NAME "' in the boot archive"
                               : "the boot archive is not a valid cpio (newc) archive");
}

/* Maps physical [pa, pa + len) at va of s with perm (PT_U added), huge leaves where the
 * alignment allows; panics when it cannot (the boot cannot go on without it). */
static void map_phys(kern_space_t *s, const char *what, uint64_t va, uint64_t pa, uint64_t len,
                     uint8_t perm) {
    pt_frames_t src = {.list = NULL, .base = pa};
    pt_attr_t attr = {.perm = (uint8_t)(perm | PT_U), .memtype = PT_MEM_NORMAL};
    pt_result_t res;
    pt_err_t e = pt_map(&s->pt, va, len, &src, attr, PT_MAP_HUGE, &res);
    if (e != PT_OK) {
        kern_panic("mmserver's %s: %s", what, pt_strerror(e));
    }
}

/* What goes into the fresh pages of map_fresh: the bytes [data, data + len) belong at
 * user address va (len 0: nothing, the pages stay zero). */
typedef struct fill {
    const uint8_t *data;
    uint64_t va, len;
} fill_t;

/* Copies into the page at page_va (kernel address to) the part of f that falls in it. */
static void fill_page(uint8_t *to, uint64_t page_va, const fill_t *f) {
    uint64_t lo = f->va > page_va ? f->va : page_va;
    uint64_t hi = f->va + f->len < page_va + PT_PAGE_SIZE ? f->va + f->len : page_va + PT_PAGE_SIZE;
    if (lo < hi) {
        memcpy(to + (lo - page_va), f->data + (lo - f->va), hi - lo);
    }
}

/* Maps the page at va of s with perm (PT_U added) to a fresh zeroed frame; returns where
 * the kernel reaches that frame. Panics when it cannot (what: for the message). */
static uint8_t *map_page(kern_space_t *s, const char *what, uint64_t va, uint8_t perm) {
    pt_attr_t attr = {.perm = (uint8_t)(perm | PT_U), .memtype = PT_MEM_NORMAL};
    pt_paddr_t pa;
    if (!kern_frame_alloc_zeroed(&pa)) {
        kern_panic("mmserver's %s: no memory", what);
    }
    pt_frames_t src = {.list = NULL, .base = pa};
    pt_result_t res;
    pt_err_t e = pt_map(&s->pt, va, PT_PAGE_SIZE, &src, attr, 0, &res);
    if (e != PT_OK) {
        kern_panic("mmserver's %s at 0x%llx: %s", what, (unsigned long long)va, pt_strerror(e));
    }
    return kern_phys_to_virt(pa);
}

/* Maps [va, va + len) of s (page-aligned) with perm to fresh zeroed frames, each filled
 * from f (nothing runs in s yet); panics when it cannot. */
static void map_fresh(kern_space_t *s, const char *what, uint64_t va, uint64_t len, uint8_t perm,
                      const fill_t *f) {
    for (uint64_t page = va; page < va + len; page += PT_PAGE_SIZE) {
        fill_page(map_page(s, what, page, perm), page, f);
    }
}

/* Maps zeroed frames at [va, va + len) of s with perm; panics when it cannot. */
static void map_zeroed(kern_space_t *s, const char *what, uint64_t va, uint64_t len, uint8_t perm) {
    fill_t none = {.data = NULL, .va = 0, .len = 0};
    map_fresh(s, what, va, len, perm, &none);
}

/* Loads mmserver's ELF image [elf, elf + size) into s, segment by segment with its own
 * rights (R, +W, +X); returns the entry point. Every header and segment is checked first
 * (elf64_header, elf64_segment: inside the file and the user half, never W and X); a
 * refusal, or segments sharing a page, is a panic naming the typed error. */
static uint64_t load_elf(kern_space_t *s, const uint8_t *elf, size_t size) {
    elf64_ehdr_t h;
    elf64_err_t err = elf64_header(elf, size, ARCH_PT_FORMAT->elf_machine, &h);
    unsigned loaded = 0;
    for (unsigned i = 0; err == ELF64_OK && i < h.phnum; i++) {
        elf64_phdr_t p;
        elf64_phdr(elf, &h, i, &p);
        if (p.type != ELF64_PT_LOAD || p.memsz == 0) {
            continue;
        }
        err = elf64_segment(&p, size, 0, ARCH_USER_TOP);
        if (err == ELF64_OK) {
            uint64_t start = p.vaddr & ~PAGE_MASK;
            uint64_t end = (p.vaddr + p.memsz + PAGE_MASK) & ~PAGE_MASK;
            uint8_t perm = (uint8_t)(PT_R | ((p.flags & ELF64_PF_W) ? PT_W : 0) |
                                     ((p.flags & ELF64_PF_X) ? PT_X : 0));
            fill_t file = {.data = elf + p.offset, .va = p.vaddr, .len = p.filesz};
            map_fresh(s, "image", start, end - start, perm, &file);
            loaded++;
        }
    }
    if (err != ELF64_OK) {
        kern_panic("mmserver's image: %s", elf64_strerror(err));
    }
    if (!loaded) {
        kern_panic("mmserver's image: no loadable segment");
    }
    return h.entry;
}

/* The archive's frames, read-only, at MMBOOT_ARCHIVE_VA plus the archive's page offset;
 * fills the block's archive fields. */
static void map_archive(kern_space_t *s, const arch_boot_info_t *bi, mmboot_t *b) {
    uint64_t mask = PT_PAGE_SIZE - 1;
    uint64_t first = bi->archive.base & ~mask;
    uint64_t end = (bi->archive.base + bi->archive.len + mask) & ~mask;
    map_phys(s, "archive view", MMBOOT_ARCHIVE_VA, first, end - first, PT_R);
    b->archive_va = MMBOOT_ARCHIVE_VA + (bi->archive.base & mask);
    b->archive_size = bi->archive.len;
}

/* The pool's runs as the frame allocator gives them (static: too large for the stack). */
static arch_range_t pool_runs[MMBOOT_MAX_RANGES];

/* The RAM window: every free frame above the kernel's reserve (KERN_FRAME_RESERVE), in every
 * RAM range, taken out of the allocator, each run mapped at MMBOOT_POOL_VA + (pa - pool_pa)
 * with huge leaves where aligned (pool_pa is 1 GiB-aligned); fills the block's pool fields.
 * Runs past the window's span stay unused. => every other frame of mmserver's space is
 * already taken. */
static void map_pool(kern_space_t *s, mmboot_t *b) {
    unsigned n = kern_frame_give_rest(KERN_FRAME_RESERVE, pool_runs, MMBOOT_MAX_RANGES);
    if (n == 0) {
        kern_panic("no free RAM left for mmserver's pool");
    }
    b->pool_pa = pool_runs[0].base & ~(MMBOOT_POOL_ALIGN - 1);
    b->pool_va = MMBOOT_POOL_VA;
    for (unsigned i = 0; i < n; i++) {
        const arch_range_t *r = &pool_runs[i];
        if (r->base + r->len - b->pool_pa > MMBOOT_POOL_SPAN) {
            kern_printf("[boot] RAM from 0x%llx is past the pool window: unused\n",
                        (unsigned long long)r->base);
            n = i;
            break;
        }
        map_phys(s, "pool window", MMBOOT_POOL_VA + (r->base - b->pool_pa), r->base, r->len,
                 PT_R | PT_W);
        b->pool[i].pa = r->base;
        b->pool[i].frames = r->len / PT_PAGE_SIZE;
        b->pool_frames += b->pool[i].frames;
        kern_printf("[boot] mmserver's pool: 0x%llx-0x%llx (%llu MiB)\n",
                    (unsigned long long)r->base, (unsigned long long)(r->base + r->len),
                    (unsigned long long)(r->len >> 20));
    }
    b->pool_count = n;
    kern_mm_set_pool(pool_runs, n);
    kern_printf("[boot] mmserver's pool: %u ranges, %llu MiB, window 0x%llx at 0x%llx\n", n,
                (unsigned long long)(b->pool_frames >> 8), (unsigned long long)b->pool_pa,
                (unsigned long long)MMBOOT_POOL_VA);
}

/* The block's fixed fields: format, limits, IPC buffer, slots. */
static void block_fixed(mmboot_t *b) {
    b->magic = MMBOOT_MAGIC;
    b->version = MMBOOT_VERSION;
    b->size = sizeof(mmboot_t);
    b->pt_format = ARCH_PT_FORMAT->id;
    b->pt_features = arch_pt_features();
    b->user_base = 0;
    b->user_top = ARCH_USER_TOP;
    b->ipc_buffer_va = MMBOOT_IPC_VA;
    b->slot_memory = SLOT_MEMORY;
    b->slot_endpoint = SLOT_ENDPOINT;
    b->slot_self = IPC_SLOT_SELF;
    b->slot_free = SLOT_FREE;
    b->slot_halt = SLOT_HALT;
}

/* mmserver's thread, started: highest priority, its IPC buffer bound, its capabilities
 * (its own thread with every right, the halt capability, a fresh endpoint, the memory
 * capability). No fault endpoint: a fault in mmserver is a kernel panic (fault.c). */
static kern_thread_t *start_thread(kern_space_t *s, uint64_t entry) {
    kern_thread_t *t = kern_thread_create(s, MMBOOT_SELF_NAME, entry, ARCH_USER_STACK_TOP);
    if (!t) {
        kern_panic("no thread for mmserver");
    }
    kern_sched_set_prio(&t->tcb, IPC_PRIO_COUNT - 1);
    t->ipc_buffer = MMBOOT_IPC_VA;
    t->mm_server = true;
    kern_cap_t self = kern_cap_thread(&t->tcb);
    kern_cap_t halt = kern_cap_halt();
    if (kern_cap_insert(&s->caps, IPC_SLOT_SELF, &self) != IPC_OK ||
        kern_cap_insert(&s->caps, SLOT_HALT, &halt) != IPC_OK ||
        kern_ep_create(&s->caps, SLOT_ENDPOINT) != IPC_OK ||
        kern_mm_give_memory_cap(s, SLOT_MEMORY) != IPC_OK) {
        kern_panic("mmserver's capabilities");
    }
    kern_sched_ready(&t->tcb);
    return t;
}

/* See kern.h. */
void kern_mm_boot(const arch_boot_info_t *bi) {
    cpio_file_t self;
    find_self(bi, &self);
    kern_space_t *s = kern_space_create();
    if (!s) {
        kern_panic("no address space for mmserver");
    }
    uint64_t entry = load_elf(s, self.data, self.size);
    map_zeroed(s, "IPC buffer", MMBOOT_IPC_VA, PT_PAGE_SIZE, PT_R | PT_W);
    /* The block is filled in place, in its zeroed frame: it is a page, too large for the
     * stack. Nothing runs in s yet, so no one sees it half written. */
    mmboot_t *b = (mmboot_t *)(void *)map_page(s, "boot block", MMBOOT_VA, PT_R);
    block_fixed(b);
    map_zeroed(s, "stack", ARCH_USER_STACK_TOP - MMBOOT_STACK, MMBOOT_STACK, PT_R | PT_W);
    map_archive(s, bi, b);
    map_pool(s, b);
    kern_thread_t *t = start_thread(s, entry);
    kern_printf("[boot] started mmserver (thread %u, address space %u, entry 0x%llx)\n", t->id,
                s->id, (unsigned long long)entry);
}
