/*
 * Booting through mmserver (mmserver/BOOT.md sections 1 to 4): the kernel builds one
 * space, mmserver's, and starts one thread; mmserver starts every other program of the
 * archive. Layout of that first space (everything but MMBOOT_VA is told through the block):
 *
 *   MMBOOT_IPC_VA      its IPC buffer, one page, R W, bound to its thread
 *   MMBOOT_VA          the boot-info block (ipc/mmboot.h), one page, R
 *   from 4 MiB         its ELF image, per segment, W^X (kern_elf_load)
 *   MMBOOT_ARCHIVE_VA  the boot archive's frames, R (never in the pool)
 *   MMBOOT_POOL_VA     the RAM window, R W, never X, huge leaves: mmserver's frame pool
 *   below the stack top  its stack, 64 KiB, with an unmapped guard page below
 *
 * Its tables come from the kernel's frames, never from the pool; the pool is taken only
 * after every other frame of this space is, so the allocator never hands a pool frame out.
 */
#include <ipc/mmboot.h>
#include <ipc/mmpriv.h>

#include "kern.h"

#define MMBOOT_IPC_VA     0x100000ull
#define MMBOOT_ARCHIVE_VA 0x40000000ull
#define MMBOOT_POOL_VA    0x2000000000ull /* 128 GiB: below Sv39's 256 GiB user top */
#define MMBOOT_STACK      (64u * 1024u)
#define MMBOOT_POOL_ALIGN (2ull << 20) /* pool_pa congruent to pool_va: 2 MiB leaves */
#define SLOT_ENDPOINT     3u
#define SLOT_MEMORY       4u
#define SLOT_FREE         5u

_Static_assert(SLOT_FREE + 16 < IPC_CAP_SLOTS, "mmserver's client slots fit its table");

/* The mmboot format id of the paging format the kernel runs with (0: none known). */
static uint32_t boot_format(void) {
    static const struct {
        const pt_format_t *fmt;
        uint32_t id;
    } known[] = {
        {&pt_format_x86_64, MMBOOT_PT_X86_64},
        {&pt_format_sv48, MMBOOT_PT_SV48},
        {&pt_format_sv39, MMBOOT_PT_SV39},
        {&pt_format_aarch64, MMBOOT_PT_AARCH64},
    };
    for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (known[i].fmt == ARCH_PT_FORMAT) {
            return known[i].id;
        }
    }
    return MMBOOT_PT_NONE;
}

/* cpio visitor state: the member named MMBOOT_SELF_NAME. */
typedef struct self_find {
    cpio_file_t file;
    bool found;
} self_find_t;

/* cpio visitor: remembers mmserver's member. */
static void find_self(void *ctx, const cpio_file_t *f) {
    self_find_t *s = ctx;
    if (!s->found && cpio_named(f, MMBOOT_SELF_NAME)) {
        s->file = *f;
        s->found = true;
    }
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

/* Maps zeroed frames at [va, va + len) of s with perm; panics when it cannot. */
static void map_zeroed(kern_space_t *s, const char *what, uint64_t va, uint64_t len, uint8_t perm) {
    if (kern_space_map_zeroed(s, va, len, perm) != PT_OK) {
        kern_panic("mmserver's %s: no memory", what);
    }
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

/* The RAM window: the largest free run left, taken out of the allocator and mapped; fills
 * the block's pool fields. => every other frame of mmserver's space is already taken. */
static void map_pool(kern_space_t *s, mmboot_t *b) {
    arch_range_t pool;
    if (!kern_frame_give_largest(MMBOOT_POOL_ALIGN, &pool)) {
        kern_panic("no free RAM left for mmserver's pool");
    }
    map_phys(s, "pool window", MMBOOT_POOL_VA, pool.base, pool.len, PT_R | PT_W);
    b->pool_pa = pool.base;
    b->pool_frames = pool.len / PT_PAGE_SIZE;
    b->pool_va = MMBOOT_POOL_VA;
    kern_mm_set_pool(pool.base, b->pool_frames);
    kern_printf("[boot] mmserver's pool: 0x%llx-0x%llx (%llu MiB) at 0x%llx\n",
                (unsigned long long)pool.base, (unsigned long long)(pool.base + pool.len),
                (unsigned long long)(pool.len >> 20), (unsigned long long)MMBOOT_POOL_VA);
}

/* The block's fixed fields: format, limits, IPC buffer, slots. */
static void block_fixed(mmboot_t *b) {
    b->magic = MMBOOT_MAGIC;
    b->version = MMBOOT_VERSION;
    b->size = sizeof(mmboot_t);
    b->pt_format = boot_format();
    b->pt_features = arch_pt_features();
    b->user_base = 0;
    b->user_top = ARCH_USER_TOP;
    b->ipc_buffer_va = MMBOOT_IPC_VA;
    b->slot_memory = SLOT_MEMORY;
    b->slot_endpoint = SLOT_ENDPOINT;
    b->slot_self = IPC_SLOT_SELF;
    b->slot_free = SLOT_FREE;
}

/* mmserver's thread: highest priority, its IPC buffer bound, its capabilities (its own
 * thread, the boot endpoint, a fresh endpoint, the memory capability). No fault endpoint:
 * a fault in mmserver stops it and is reported. */
static kern_thread_t *start_thread(kern_space_t *s, uint64_t entry) {
    kern_thread_t *t = kern_thread_create(s, MMBOOT_SELF_NAME, entry, ARCH_USER_STACK_TOP);
    if (!t) {
        kern_panic("no thread for mmserver");
    }
    kern_sched_set_prio(&t->tcb, IPC_PRIO_COUNT - 1);
    t->ipc_buffer = MMBOOT_IPC_VA;
    kern_ipc_spawn_caps(t);
    t->root = true; /* it serves for ever: waiting at the end is its normal state */
    t->mm_server = true;
    if (kern_ep_create(&s->caps, SLOT_ENDPOINT) != IPC_OK ||
        kern_mm_give_memory_cap(s, SLOT_MEMORY) != IPC_OK) {
        kern_panic("mmserver's capabilities");
    }
    return t;
}

/* See kern.h. */
void kern_mm_boot(const arch_boot_info_t *bi) {
    self_find_t self = {.found = false};
    if (kern_cpio_each(kern_phys_to_virt(bi->archive.base), bi->archive.len, find_self, &self) <
            0 ||
        !self.found) {
        kern_panic("boot through mmserver: no '%s' in a valid boot archive", MMBOOT_SELF_NAME);
    }
    kern_space_t *s = kern_space_create();
    uint64_t entry;
    const char *why = s ? kern_elf_load(s, self.file.data, self.file.size, &entry) : "no space";
    if (why) {
        kern_panic("mmserver: %s", why);
    }
    mmboot_t b = {0};
    block_fixed(&b);
    map_zeroed(s, "IPC buffer", MMBOOT_IPC_VA, PT_PAGE_SIZE, PT_R | PT_W);
    map_zeroed(s, "boot block", MMBOOT_VA, PT_PAGE_SIZE, PT_R);
    map_zeroed(s, "stack", ARCH_USER_STACK_TOP - MMBOOT_STACK, MMBOOT_STACK, PT_R | PT_W);
    map_archive(s, bi, &b);
    map_pool(s, &b);
    kern_space_poke(s, MMBOOT_VA, &b, sizeof(b));
    kern_thread_t *t = start_thread(s, entry);
    kern_printf("[boot] started mmserver alone (thread %u, address space %u, entry 0x%llx)\n",
                t->id, s->id, (unsigned long long)entry);
}
