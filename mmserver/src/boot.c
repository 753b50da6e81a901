/*
 * The boot-info block (ipc/mmboot.h): the kernel's description of mmserver's world, checked
 * before mmserver believes any of it, then turned into the core's configuration.
 */
#include <mmserver/proc.h>

/* The PT_FEAT_* bits a block may report. */
#define KNOWN_FEATURES (PT_FEAT_NO_GIGA | PT_FEAT_SVPBMT)

/* See proc.h. */
const pt_format_t *mmp_boot_format(uint32_t id) {
    return pt_format_by_id(id); /* the format's identity lives with it, in libpt */
}

/* See proc.h. */
uint16_t mmp_boot_machine(uint32_t id) {
    const pt_format_t *fmt = pt_format_by_id(id);
    return fmt ? fmt->elf_machine : 0;
}

/* The pool window: 1 .. MMBOOT_MAX_RANGES ranges, each page-aligned and non-empty, by
 * address and disjoint, inside the format's physical addresses and at or above pool_pa,
 * their frames adding up to pool_frames; the window's virtual view (up to the last range's
 * end) does not wrap. */
static bool pool_ok(const mmboot_t *b, const pt_format_t *fmt) {
    uint64_t mask = PT_PAGE_SIZE - 1;
    uint64_t pa_top = fmt->pa_bits >= 64 ? ~0ull : 1ull << fmt->pa_bits;
    if (!b->pool_count || b->pool_count > MMBOOT_MAX_RANGES || (b->pool_pa & mask) ||
        (b->pool_va & mask) || !b->pool_va) {
        return false;
    }
    uint64_t end = b->pool_pa, frames = 0;
    for (uint32_t i = 0; i < b->pool_count; i++) {
        const mmboot_range_t *r = &b->pool[i];
        if (!r->frames || (r->pa & mask) || r->pa < end || r->pa >= pa_top ||
            r->frames > (pa_top - r->pa) >> PT_PAGE_SHIFT || r->frames > ~frames) {
            return false;
        }
        end = r->pa + (r->frames << PT_PAGE_SHIFT);
        frames += r->frames;
    }
    return frames == b->pool_frames && b->pool_va + (end - b->pool_pa) > b->pool_va;
}

/* The kernel's user half must hold mmserver's user window, and lie in the lower half. */
static bool limits_ok(const mmboot_t *b, const pt_format_t *fmt) {
    uint64_t half = 1ull << (fmt->va_bits - 1u);
    return b->user_base <= MM_USER_BASE && b->user_top >= MM_USER_TOP(fmt->va_bits) &&
           b->user_top <= half;
}

/* Every fixed slot (memory, endpoint, self, halt) inside the table, below slot_free (the
 * slots from there on are mmserver's own) and apart from the others. */
static bool slots_ok(const mmboot_t *b) {
    const uint32_t fixed[] = {b->slot_memory, b->slot_endpoint, b->slot_self, b->slot_halt};
    const unsigned n = sizeof(fixed) / sizeof(fixed[0]);
    if (b->slot_free >= IPC_CAP_SLOTS_MAX) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = i + 1; j < n; j++) {
            if (fixed[i] == fixed[j]) {
                return false;
            }
        }
        if (fixed[i] >= b->slot_free) {
            return false;
        }
    }
    return true;
}

/* The checks in order; the first that fails says why. */
static mmp_boot_err_t check(const mmboot_t *b) {
    if (!b || b->magic != MMBOOT_MAGIC) {
        return MMP_BOOT_MAGIC;
    }
    if (b->version != MMBOOT_VERSION || b->size != sizeof(mmboot_t)) {
        return MMP_BOOT_VERSION;
    }
    const pt_format_t *fmt = mmp_boot_format(b->pt_format);
    if (!fmt || (b->pt_features & ~(uint32_t)KNOWN_FEATURES)) {
        return MMP_BOOT_FORMAT;
    }
    if (!pool_ok(b, fmt)) {
        return MMP_BOOT_POOL;
    }
    if (!b->archive_va || !b->archive_size || b->archive_va + b->archive_size < b->archive_va) {
        return MMP_BOOT_ARCHIVE;
    }
    if (!limits_ok(b, fmt)) {
        return MMP_BOOT_LIMITS;
    }
    return slots_ok(b) ? MMP_BOOT_OK : MMP_BOOT_SLOTS;
}

/* See proc.h. */
mmp_boot_err_t mmp_boot_config(const mmboot_t *b, const mm_kernel_ops_t *kernel, mm_config_t *cfg) {
    mmp_boot_err_t err = check(b);
    if (err != MMP_BOOT_OK) {
        return err;
    }
    cfg->fmt = mmp_boot_format(b->pt_format);
    cfg->space_flags = b->pt_features;
    cfg->kernel.ctx = kernel->ctx; /* field by field: a struct copy could become memcpy */
    cfg->kernel.register_root = kernel->register_root;
    cfg->kernel.unregister_root = kernel->unregister_root;
    cfg->kernel.flush = kernel->flush;
    cfg->kernel.kill = kernel->kill;
    cfg->kernel.give_kmem = kernel->give_kmem;
    cfg->kernel.take_kmem = kernel->take_kmem;
    cfg->kmem_frames = kernel->give_kmem && kernel->take_kmem ? MMP_KMEM_FRAMES : 0;
    cfg->pool_pa = b->pool_pa;
    cfg->pool_va = (void *)(uintptr_t)b->pool_va;
    cfg->pool_frames = b->pool_frames;
    cfg->pool_ranges = b->pool;
    cfg->pool_nranges = b->pool_count;
    cfg->zero_pages = NULL; /* the program's own choice (main.c), not the block's */
    cfg->meta_alloc = NULL; /* the core's tables come from the pool */
    cfg->meta_free = NULL;
    cfg->meta_ctx = NULL;
    return MMP_BOOT_OK;
}

/* See proc.h. */
const char *mmp_boot_strerror(mmp_boot_err_t err) {
    static const char *const names[MMP_BOOT_COUNT_] = {
        [MMP_BOOT_OK] = "ok",
        [MMP_BOOT_MAGIC] = "no boot-info block (bad magic)",
        [MMP_BOOT_VERSION] = "unknown boot-info version or size",
        [MMP_BOOT_FORMAT] = "unknown paging format or features",
        [MMP_BOOT_POOL] = "bad RAM window",
        [MMP_BOOT_ARCHIVE] = "bad archive view",
        [MMP_BOOT_LIMITS] = "user limits do not hold the user window",
        [MMP_BOOT_SLOTS] = "bad capability slots",
    };
    return (unsigned)err < MMP_BOOT_COUNT_ ? names[err] : "unknown error";
}
