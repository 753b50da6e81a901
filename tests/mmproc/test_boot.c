/*
 * The boot-info block: a good one becomes the core's configuration (and a working server);
 * each kind of bad one is refused with its own error before any field is used.
 */
#include "mpt.h"

#include <stdlib.h>
#include <string.h>

#define POOL_FRAMES 1024u

/* A block as the kernel would write it for format id on a pool at ram: one range. */
static mmboot_t good_block(uint32_t id, void *ram) {
    const pt_format_t *fmt = mmp_boot_format(id);
    return (mmboot_t){
        .pool_count = 1,
        .pool = {{MMT_POOL_PA, POOL_FRAMES}},
        .magic = MMBOOT_MAGIC,
        .version = MMBOOT_VERSION,
        .size = sizeof(mmboot_t),
        .pt_format = id,
        .pt_features = id == PT_FORMAT_ID_X86_64 ? 0 : PT_FEAT_SVPBMT,
        .pool_pa = MMT_POOL_PA,
        .pool_frames = POOL_FRAMES,
        .pool_va = (uint64_t)(uintptr_t)ram,
        .archive_va = 0x40000000,
        .archive_size = 4096,
        .user_base = 0,
        .user_top = 1ull << (fmt->va_bits - 1),
        .ipc_buffer_va = MM_IPC_BUFFER_VA,
        .slot_memory = 4,
        .slot_endpoint = 3,
        .slot_self = IPC_SLOT_SELF,
        .slot_free = 5,
        .slot_halt = 2,
    };
}

/* Kernel hooks that must never be called by a boot check. */
static bool no_register(void *ctx, uint32_t client, pt_paddr_t root) {
    (void)ctx, (void)client, (void)root;
    cr_assert_fail("register_root called");
    return false;
}
static void no_unregister(void *ctx, uint32_t client) {
    (void)ctx, (void)client;
}
static void no_flush(void *ctx, uint32_t client, const pt_flush_t *fl) {
    (void)ctx, (void)client, (void)fl;
}
static void no_kill(void *ctx, uint32_t client, mm_kill_reason_t why) {
    (void)ctx, (void)client, (void)why;
}
static const mm_kernel_ops_t hooks = {NULL,    no_register, no_unregister, no_flush,
                                      no_kill, NULL,        NULL};

/* Each good block configures a server that starts, with the format the id names. */
Test(boot, good_blocks) {
    static mm_server_t srv;
    void *ram = aligned_alloc(PG, POOL_FRAMES * PG);
    const struct {
        uint32_t id;
        const pt_format_t *fmt;
        uint16_t machine;
    } cases[] = {
        {PT_FORMAT_ID_X86_64, &pt_format_x86_64, ELF64_EM_X86_64},
        {PT_FORMAT_ID_SV48, &pt_format_sv48, ELF64_EM_RISCV},
        {PT_FORMAT_ID_SV39, &pt_format_sv39, ELF64_EM_RISCV},
        {PT_FORMAT_ID_AARCH64, &pt_format_aarch64, ELF64_EM_AARCH64},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mmboot_t b = good_block(cases[i].id, ram);
        mm_config_t cfg;
        cr_assert_eq(mmp_boot_config(&b, &hooks, &cfg), MMP_BOOT_OK, "%s", cases[i].fmt->name);
        cr_assert(cfg.fmt == cases[i].fmt && cfg.space_flags == b.pt_features);
        cr_assert(cfg.pool_pa == MMT_POOL_PA && cfg.pool_va == ram &&
                  cfg.pool_frames == POOL_FRAMES && cfg.pool_nranges == 1 &&
                  cfg.pool_ranges[0].pa == MMT_POOL_PA);
        cr_assert(cfg.kernel.register_root == no_register && cfg.kernel.kill == no_kill);
        cr_assert_eq(mmp_boot_machine(cases[i].id), cases[i].machine);
        cr_assert_eq(mm_init(&srv, &cfg), MM_OK);
        cr_assert_eq(srv.user_top, MM_USER_TOP(cases[i].fmt->va_bits));
    }
    cr_assert_null(mmp_boot_format(0));
    cr_assert_null(mmp_boot_format(5u));
    free(ram);
    mmt_said("x86_64, sv48, sv39, aarch64 blocks: format, machine, pool, hooks, server");
}

/* One way to spoil a block, and the error it must give. */
typedef struct spoil {
    const char *what;
    void (*apply)(mmboot_t *b);
    mmp_boot_err_t want;
} spoil_t;

#define SPOIL(name, stmt)                                                                          \
    static void name(mmboot_t *b) {                                                                \
        stmt;                                                                                      \
    }
SPOIL(bad_magic, b->magic ^= 1)
SPOIL(bad_version, b->version = MMBOOT_VERSION + 1)
SPOIL(bad_size, b->size = sizeof(mmboot_t) - 8)
SPOIL(no_format, b->pt_format = 0u)
SPOIL(big_format, b->pt_format = 5u)
SPOIL(bad_feature, b->pt_features |= 1u << 20)
SPOIL(pool_empty, b->pool_frames = 0)
SPOIL(pool_misaligned, b->pool_pa += 8)
SPOIL(pool_va_misaligned, b->pool_va += 8)
SPOIL(pool_huge, b->pool_frames = ~0ull)
SPOIL(pool_past_pa_bits, b->pool_pa = 1ull << 60)
SPOIL(pool_va_wraps, b->pool_va = ~0ull & ~(PG - 1))
SPOIL(archive_empty, b->archive_size = 0)
SPOIL(archive_wraps, b->archive_va = ~0ull - 16)
SPOIL(limits_low, b->user_top = MM_USER_TOP(48) - PG)
SPOIL(limits_base, b->user_base = MM_USER_BASE + PG)
SPOIL(limits_high, b->user_top = 1ull << 48)
SPOIL(slot_out, b->slot_endpoint = IPC_CAP_SLOTS_MAX)
SPOIL(slot_same, b->slot_memory = b->slot_endpoint)
SPOIL(slot_free_out, b->slot_free = IPC_CAP_SLOTS_MAX)
SPOIL(slot_halt_same, b->slot_halt = b->slot_endpoint)
SPOIL(slot_halt_mine, b->slot_halt = b->slot_free + 1)
SPOIL(pool_no_range, b->pool_count = 0)
SPOIL(pool_too_many, b->pool_count = MMBOOT_MAX_RANGES + 1)
SPOIL(range_misaligned, b->pool[0].pa += 8)
SPOIL(range_below_window, b->pool[0].pa -= PG)
SPOIL(range_empty, (b->pool[0].frames = 0, b->pool_count = 2, b->pool[1].pa = MMT_POOL_PA + PG,
                    b->pool[1].frames = POOL_FRAMES))
SPOIL(ranges_overlap, (b->pool[0].frames = 8, b->pool[1].pa = MMT_POOL_PA + 7 * PG,
                       b->pool[1].frames = POOL_FRAMES - 8, b->pool_count = 2))
SPOIL(ranges_unsorted, (b->pool[1] = b->pool[0], b->pool[1].frames = 8, b->pool[0].pa += 64 * PG,
                        b->pool[0].frames = POOL_FRAMES - 8, b->pool_count = 2))
SPOIL(range_past_pa_bits, (b->pool[0].pa = 1ull << 52, b->pool[0].frames = 1))
SPOIL(frames_not_the_sum, b->pool_frames -= 1)

/* Each spoiled block is refused with its own error. */
Test(boot, bad_blocks) {
    static const spoil_t cases[] = {
        {"magic", bad_magic, MMP_BOOT_MAGIC},
        {"version", bad_version, MMP_BOOT_VERSION},
        {"size", bad_size, MMP_BOOT_VERSION},
        {"format 0", no_format, MMP_BOOT_FORMAT},
        {"format past the last", big_format, MMP_BOOT_FORMAT},
        {"unknown feature", bad_feature, MMP_BOOT_FORMAT},
        {"empty pool", pool_empty, MMP_BOOT_POOL},
        {"misaligned pool", pool_misaligned, MMP_BOOT_POOL},
        {"misaligned pool view", pool_va_misaligned, MMP_BOOT_POOL},
        {"pool wraps", pool_huge, MMP_BOOT_POOL},
        {"pool past pa_bits", pool_past_pa_bits, MMP_BOOT_POOL},
        {"pool view wraps", pool_va_wraps, MMP_BOOT_POOL},
        {"empty archive", archive_empty, MMP_BOOT_ARCHIVE},
        {"archive wraps", archive_wraps, MMP_BOOT_ARCHIVE},
        {"user top too low", limits_low, MMP_BOOT_LIMITS},
        {"user base too high", limits_base, MMP_BOOT_LIMITS},
        {"user top in the upper half", limits_high, MMP_BOOT_LIMITS},
        {"slot outside the table", slot_out, MMP_BOOT_SLOTS},
        {"memory slot = endpoint slot", slot_same, MMP_BOOT_SLOTS},
        {"free slot outside", slot_free_out, MMP_BOOT_SLOTS},
        {"halt slot = endpoint slot", slot_halt_same, MMP_BOOT_SLOTS},
        {"halt slot among mmserver's own", slot_halt_mine, MMP_BOOT_SLOTS},
        {"no range", pool_no_range, MMP_BOOT_POOL},
        {"more ranges than the page holds", pool_too_many, MMP_BOOT_POOL},
        {"misaligned range", range_misaligned, MMP_BOOT_POOL},
        {"range below the window", range_below_window, MMP_BOOT_POOL},
        {"empty range", range_empty, MMP_BOOT_POOL},
        {"overlapping ranges", ranges_overlap, MMP_BOOT_POOL},
        {"ranges out of order", ranges_unsorted, MMP_BOOT_POOL},
        {"range past pa_bits", range_past_pa_bits, MMP_BOOT_POOL},
        {"pool_frames not the ranges' sum", frames_not_the_sum, MMP_BOOT_POOL},
    };
    uint8_t ram[64];
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mmboot_t b = good_block(PT_FORMAT_ID_X86_64, ram);
        b.pool_va = 0x8000000000ull; /* never read by the check */
        cases[i].apply(&b);
        mm_config_t cfg;
        memset(&cfg, 0x77, sizeof(cfg));
        mmp_boot_err_t got = mmp_boot_config(&b, &hooks, &cfg);
        cr_assert_eq(got, cases[i].want, "%s: got %s, want %s", cases[i].what,
                     mmp_boot_strerror(got), mmp_boot_strerror(cases[i].want));
        cr_assert_eq(cfg.pool_frames, 0x7777777777777777ull, "%s: cfg written", cases[i].what);
    }
    cr_assert_eq(mmp_boot_config(NULL, &hooks, NULL), MMP_BOOT_MAGIC, "no block at all");
    mmt_said("%zu spoiled blocks: magic, version, size, format, features, pool, archive, "
             "limits, slots (halt slot included) each refused with its error",
             sizeof(cases) / sizeof(cases[0]));
}
