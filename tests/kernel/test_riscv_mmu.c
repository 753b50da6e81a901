/*
 * arch/riscv64/mmu.c's TLB decisions, which QEMU's TCG cannot show (it drops its whole TLB
 * at every satp write and every SFENCE.VMA, whatever the ASID). A copy of mmu.c is compiled
 * against the recording fake of mmu_hw.h (fake_riscv/mmu_hw.h): satp and sstatus are
 * variables here, and every satp write and every fence is logged with its operands, in
 * order. Each test drives the arch interface (rv_mmu_probe, arch_paging_enable,
 * arch_root_load, arch_tlb_flush, arch_root_release) and compares the log with what the
 * RISC-V privileged spec (20211203) asks for, on three harts: Sv48 with 16 ASID bits; Sv39
 * only, with 16 ASID bits; Sv48 without ASIDs (each test once per hart, every run in its own
 * process, so mmu.c's state starts empty).
 *
 * The expected values are written from the spec here, not taken from mmu.c (priv. 4.2.1):
 * SFENCE.VMA rs1=x0, rs2=x0 drops everything, global entries too; rs1=x0, rs2=a register
 * drops every non-global entry of that ASID; rs1=va, rs2=x0 the leaves of va's page in
 * every ASID, global ones too; rs1=va, rs2=a register the non-global leaves of va's page in
 * that ASID. A satp write naming a MODE the hart lacks has no effect (4.1.11), and
 * satp.ASID keeps only the bits the hart implements.
 */
#include <criterion/criterion.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hw_log.h"
#include "mmu_hw.h"

#define SPEC_SATP_SV39  (8ull << 60)
#define SPEC_SATP_SV48  (9ull << 60)
#define SPEC_ASID_SHIFT 44
#define SPEC_SUM        (1ull << 18)
#define SPEC_MXR        (1ull << 19)

#define PAGE      0x1000ull
#define BOOT_PA   0x80400000ull /* the Sv39 bootstrap root boot.S leaves in satp */
#define KROOT_PA  0x80600000ull /* the kernel's tables */
#define A_PA      0x81000000ull /* two user spaces' roots */
#define B_PA      0x82000000ull
#define A_ID      5u
#define B_ID      6u
#define USER_VA   0x400000ull
#define KERNEL_VA 0xffffffc000000000ull

/* ---- the recording hart ---- */

/* Logged kinds and operands: satp write (a: value), sstatus clear (a: bits), SFENCE.VMA (a: rs1
 * value or X0, b: rs2 value or X0), FENCE.I. */
typedef enum { HW_SATP, HW_SSTATUS_CLEAR, HW_SFENCE, HW_FENCE_I } hw_kind_t;

/* An operand of SFENCE.VMA that is x0 (else a register holding the value). */
#define X0 (~0ull)

static struct {
    bool sv48;          /* the hart implements Sv48 */
    unsigned asid_bits; /* satp.ASID bits it implements */
    uint64_t satp, sstatus;
} hw;

rv_platform_t rv_platform;

/* See fake_riscv/mmu_hw.h. */
uint64_t rv_hw_satp_read(void) {
    return hw.satp;
}

/* See fake_riscv/mmu_hw.h. An unsupported MODE leaves satp as it was; ASID bits the hart
 * lacks read as zero. */
void rv_hw_satp_write(uint64_t satp) {
    hw_record(HW_SATP, satp, 0, 0);
    uint64_t mode = satp & (0xfull << 60);
    if (mode != SPEC_SATP_SV39 && !(mode == SPEC_SATP_SV48 && hw.sv48)) {
        return;
    }
    uint64_t asid_mask = ((1ull << hw.asid_bits) - 1) << SPEC_ASID_SHIFT;
    hw.satp = (satp & ~(0xffffull << SPEC_ASID_SHIFT)) | (satp & asid_mask);
}

/* See fake_riscv/mmu_hw.h. */
void rv_hw_sstatus_clear(uint64_t bits) {
    hw_record(HW_SSTATUS_CLEAR, bits, 0, 0);
    hw.sstatus &= ~bits;
}

/* See fake_riscv/mmu_hw.h. */
void rv_hw_sfence_all(void) {
    hw_record(HW_SFENCE, X0, X0, 0);
}

/* See fake_riscv/mmu_hw.h. */
void rv_hw_sfence_asid(uint64_t asid) {
    hw_record(HW_SFENCE, X0, asid, 0);
}

/* See fake_riscv/mmu_hw.h. */
void rv_hw_sfence_va(uint64_t va) {
    hw_record(HW_SFENCE, va, X0, 0);
}

/* See fake_riscv/mmu_hw.h. */
void rv_hw_sfence_va_asid(uint64_t va, uint64_t asid) {
    hw_record(HW_SFENCE, va, asid, 0);
}

/* See fake_riscv/mmu_hw.h. */
void rv_hw_fence_i(void) {
    hw_record(HW_FENCE_I, 0, 0, 0);
}

/* ---- expectations ---- */

/* An SFENCE.VMA operand as assembly. */
static const char *reg_text(uint64_t v, char *buf, size_t size) {
    if (v == X0) {
        snprintf(buf, size, "x0");
    } else {
        snprintf(buf, size, "%#llx", (unsigned long long)v);
    }
    return buf;
}

/* See hw_log.h. */
static const char *op_text(const hw_op_t *op, char *buf, size_t size) {
    char r1[24], r2[24];
    switch (op->kind) {
        case HW_SATP:
            snprintf(buf, size, "csrw satp, %#llx", (unsigned long long)op->a);
            break;
        case HW_SSTATUS_CLEAR:
            snprintf(buf, size, "csrc sstatus, %#llx", (unsigned long long)op->a);
            break;
        case HW_SFENCE:
            snprintf(buf, size, "sfence.vma %s, %s", reg_text(op->a, r1, sizeof(r1)),
                     reg_text(op->b, r2, sizeof(r2)));
            break;
        default:
            snprintf(buf, size, "fence.i");
    }
    return buf;
}

#define EXPECT(mark, what, ...)                                                                    \
    hw_expect(mark, (const hw_op_t[]){__VA_ARGS__},                                                \
              sizeof((const hw_op_t[]){__VA_ARGS__}) / sizeof(hw_op_t), what, "spec")
#define EXPECT_NONE(mark, what) hw_expect(mark, NULL, 0, what, "spec")

#define SATP(v)                                                                                    \
    { HW_SATP, (v), 0, 0 }
#define SFENCE(rs1, rs2)                                                                           \
    { HW_SFENCE, (rs1), (rs2), 0 }

/* ---- the harts ---- */

typedef enum { H_SV48, H_SV39, H_NO_ASID } hart_t;

static const char *const hart_names[] = {"Sv48 + 16 ASID bits", "Sv39 only + 16 ASID bits",
                                         "Sv48, no ASIDs"};

/* Powers hart h on as boot.S leaves it: Sv39 bootstrap tables loaded, log empty. */
static void power_on(hart_t h) {
    memset(&hw, 0, sizeof(hw));
    hw_log.n = 0;
    hw.sv48 = h != H_SV39;
    hw.asid_bits = h == H_NO_ASID ? 0 : 16;
    hw.satp = SPEC_SATP_SV39 | (BOOT_PA >> 12);
    hw.sstatus = SPEC_SUM | SPEC_MXR;
}

/* Boots hart h: probe, paging on the kernel's root; the log starts empty afterwards. */
static void boot(hart_t h) {
    power_on(h);
    rv_mmu_probe(true, true);
    arch_paging_enable(KROOT_PA);
    hw_log.n = 0;
}

/* The satp MODE boot() leaves in use on hart h. */
static uint64_t mode_of(hart_t h) {
    return h == H_SV39 ? SPEC_SATP_SV39 : SPEC_SATP_SV48;
}

/* The hardware ASID a user root with kernel id id gets on hart h. */
static uint64_t hw_id(hart_t h, uint64_t id) {
    return h == H_NO_ASID ? 0 : id;
}

/* The satp value of root pa with kernel id id on hart h. */
static uint64_t satp_of(hart_t h, uint64_t pa, uint64_t id) {
    return mode_of(h) | (hw_id(h, id) << SPEC_ASID_SHIFT) | (pa >> 12);
}

#define FOR_EACH_HART(name)                                                                        \
    static void name(hart_t h);                                                                    \
    Test(riscv_mmu, name##_sv48) {                                                                 \
        name(H_SV48);                                                                              \
    }                                                                                              \
    Test(riscv_mmu, name##_sv39) {                                                                 \
        name(H_SV39);                                                                              \
    }                                                                                              \
    Test(riscv_mmu, name##_no_asid) {                                                              \
        name(H_NO_ASID);                                                                           \
    }                                                                                              \
    static void name(hart_t h)

/* Boots hart h with two user roots, both loaded once, a loaded last; log empty after. */
static void two_spaces(hart_t h, arch_root_t *a, arch_root_t *b) {
    boot(h);
    arch_root_init(a, A_PA, A_ID);
    arch_root_init(b, B_PA, B_ID);
    arch_root_load(b);
    arch_root_load(a);
    hw_log.n = 0;
}

/* A flush report of pages pages from va (leaves of them). */
static pt_flush_t range(uint64_t va, uint64_t pages) {
    return (pt_flush_t){.start = va, .last = va + pages * PAGE - 1, .leaves = pages};
}

/* ---- the tests ---- */

/* The probe picks Sv48 when the hart keeps the write, measures the ASID bits by writing
 * ones, and ends on fenced bootstrap tables; paging on clears SUM and MXR first. */
FOR_EACH_HART(probe_and_enable) {
    power_on(h);
    rv_mmu_probe(true, true);
    cr_assert_eq(rv_pt_format(), h == H_SV39 ? &pt_format_sv39 : &pt_format_sv48, "format");
    cr_assert_eq(rv_mmu_asid_bits(), h == H_NO_ASID ? 0u : 16u, "ASID bits");
    cr_assert_eq(hw.satp & (0xffffull << SPEC_ASID_SHIFT), 0, "the probe left ASID bits set");
    unsigned mark = hw_log.n;
    arch_paging_enable(KROOT_PA);
    EXPECT(mark, "paging on", {HW_SSTATUS_CLEAR, SPEC_SUM | SPEC_MXR, 0, 0}, SFENCE(X0, X0),
           SATP(mode_of(h) | (KROOT_PA >> 12)), SFENCE(X0, X0));
    cr_log_info("%s: format %s, %u ASID bits; paging on: SUM/MXR cleared, fence, satp, fence",
                hart_names[h], h == H_SV39 ? "Sv39" : "Sv48", rv_mmu_asid_bits());
}

/* "noasid" and "sv39" (the kernel words) are obeyed whatever the hart has. */
Test(riscv_mmu, probe_obeys_the_kernel_words) {
    power_on(H_SV48);
    rv_mmu_probe(false, false);
    cr_assert_eq(rv_pt_format(), &pt_format_sv39);
    cr_assert_eq(rv_mmu_asid_bits(), 0u);
    cr_log_info("sv39 + noasid on an Sv48 hart with ASIDs: Sv39, 0 ASID bits");
}

/* A fresh root drops what an earlier user of its ASID left, after satp names it; a root
 * loaded again keeps its entries (with ASIDs); the loaded root is not loaded again. */
FOR_EACH_HART(root_load) {
    boot(h);
    arch_root_t a, b;
    arch_root_init(&a, A_PA, A_ID);
    arch_root_init(&b, B_PA, B_ID);
    arch_root_load(&a);
    EXPECT(0, "fresh root a", SATP(satp_of(h, A_PA, A_ID)), SFENCE(X0, hw_id(h, A_ID)));
    unsigned mark = hw_log.n;
    arch_root_load(&a);
    EXPECT_NONE(mark, "a again while loaded");
    arch_root_load(&b);
    mark = hw_log.n;
    arch_root_load(&a);
    if (h == H_NO_ASID) {
        EXPECT(mark, "a back after b, both hardware ASID 0", SATP(satp_of(h, A_PA, A_ID)),
               SFENCE(X0, 0));
    } else {
        EXPECT(mark, "a back after b", SATP(satp_of(h, A_PA, A_ID)));
    }
    mark = hw_log.n;
    arch_root_init(&a, A_PA, A_ID); /* what the kernel does when a's tag changed hands */
    arch_root_load(&a);
    EXPECT(mark, "a initialised again", SATP(satp_of(h, A_PA, A_ID)), SFENCE(X0, hw_id(h, A_ID)));
    cr_log_info("%s: fresh or re-initialised roots fence their ASID after the satp write; a "
                "known one %s",
                hart_names[h], h == H_NO_ASID ? "too (hardware ASID 0 for all)" : "loads alone");
}

/* Nothing changed: nothing flushed. */
FOR_EACH_HART(flush_nothing) {
    arch_root_t a, b;
    two_spaces(h, &a, &b);
    pt_flush_t f = {.start = USER_VA, .last = USER_VA + 3 * PAGE - 1, .all = true};
    arch_tlb_flush(&a, &f);
    arch_tlb_flush(&b, &f);
    EXPECT_NONE(0, "no leaf, no table changed");
    cr_log_info("%s: leaves 0 and no table: no instruction", hart_names[h]);
}

/* A user root's pages, loaded or not: one ASID-tagged fence per page, in order. */
FOR_EACH_HART(flush_range) {
    arch_root_t a, b;
    two_spaces(h, &a, &b);
    pt_flush_t f = range(USER_VA, 3);
    arch_tlb_flush(&a, &f);
    arch_tlb_flush(&b, &f);
    EXPECT(0, "three pages of a, then of b", SFENCE(USER_VA, hw_id(h, A_ID)),
           SFENCE(USER_VA + PAGE, hw_id(h, A_ID)), SFENCE(USER_VA + 2 * PAGE, hw_id(h, A_ID)),
           SFENCE(USER_VA, hw_id(h, B_ID)), SFENCE(USER_VA + PAGE, hw_id(h, B_ID)),
           SFENCE(USER_VA + 2 * PAGE, hw_id(h, B_ID)));
    cr_log_info("%s: three pages, loaded root or not: sfence.vma va, asid for each", hart_names[h]);
}

/* A range that does not start on a page: every page it touches, from the first one. */
FOR_EACH_HART(flush_unaligned_start) {
    arch_root_t a, b;
    two_spaces(h, &a, &b);
    uint64_t id = hw_id(h, A_ID);
    pt_flush_t f = {.start = USER_VA + 0x800, .last = USER_VA + 2 * PAGE - 1, .leaves = 2};
    arch_tlb_flush(&a, &f);
    EXPECT(0, "[va + 0x800, va + 2 pages)", SFENCE(USER_VA, id), SFENCE(USER_VA + PAGE, id));
    unsigned mark = hw_log.n;
    f = (pt_flush_t){.start = USER_VA + 0x800, .last = USER_VA + PAGE, .leaves = 2};
    arch_tlb_flush(&a, &f);
    EXPECT(mark, "[va + 0x800, va + 0x1000]", SFENCE(USER_VA, id), SFENCE(USER_VA + PAGE, id));
    cr_log_info("%s: ranges starting mid-page: every page they touch", hart_names[h]);
}

/* Changed tables: an address-wide fence drops leaves only (4.2.1), so the whole ASID. */
FOR_EACH_HART(flush_tables) {
    arch_root_t a, b;
    two_spaces(h, &a, &b);
    pt_flush_t f = {.start = USER_VA, .last = USER_VA + PAGE - 1, .leaves = 1, .tables = true};
    arch_tlb_flush(&a, &f);
    f.leaves = 0;
    arch_tlb_flush(&b, &f);
    EXPECT(0, "tables of a, then of b", SFENCE(X0, hw_id(h, A_ID)), SFENCE(X0, hw_id(h, B_ID)));
    cr_log_info("%s: changed tables: sfence.vma x0, asid", hart_names[h]);
}

/* Up to PT_FLUSH_ALL_THRESHOLD pages one by one; one more, or `all`: the whole ASID. */
FOR_EACH_HART(flush_threshold) {
    arch_root_t a, b;
    two_spaces(h, &a, &b);
    pt_flush_t f = range(USER_VA, PT_FLUSH_ALL_THRESHOLD);
    arch_tlb_flush(&a, &f);
    cr_assert_eq(hw_log.n, PT_FLUSH_ALL_THRESHOLD);
    for (unsigned i = 0; i < PT_FLUSH_ALL_THRESHOLD; i++) {
        cr_assert(hw_log.op[i].kind == HW_SFENCE && hw_log.op[i].a == USER_VA + i * PAGE &&
                      hw_log.op[i].b == hw_id(h, A_ID),
                  "page %u", i);
    }
    unsigned mark = hw_log.n;
    f = range(USER_VA, PT_FLUSH_ALL_THRESHOLD + 1);
    arch_tlb_flush(&a, &f);
    f = range(USER_VA, 1);
    f.all = true;
    arch_tlb_flush(&b, &f);
    EXPECT(mark, "past the threshold, then all", SFENCE(X0, hw_id(h, A_ID)),
           SFENCE(X0, hw_id(h, B_ID)));
    cr_log_info("%s: %u pages one by one; %u pages or `all`: the whole ASID", hart_names[h],
                PT_FLUSH_ALL_THRESHOLD, PT_FLUSH_ALL_THRESHOLD + 1);
}

/* The kernel's root holds global entries cached under every ASID: its pages with rs2 = x0,
 * the whole of it with both x0, the top page of memory without wrapping. */
FOR_EACH_HART(flush_kernel_root) {
    arch_root_t a, b, k;
    two_spaces(h, &a, &b);
    arch_root_init(&k, KROOT_PA, 0);
    pt_flush_t f = range(KERNEL_VA, 2);
    arch_tlb_flush(&k, &f);
    f.all = true;
    arch_tlb_flush(&k, &f);
    f = (pt_flush_t){.start = 0xfffffffffffff000ull, .last = ~0ull, .leaves = 1};
    arch_tlb_flush(&k, &f);
    EXPECT(0, "kernel pages, the whole kernel space, the top page", SFENCE(KERNEL_VA, X0),
           SFENCE(KERNEL_VA + PAGE, X0), SFENCE(X0, X0), SFENCE(0xfffffffffffff000ull, X0));
    cr_log_info("%s: kernel pages by sfence.vma va, x0; all by sfence.vma x0, x0", hart_names[h]);
}

/* Releasing the loaded root is a kernel bug; another's release drops its ASID's entries,
 * and the next root with that id fences it again on its first load. */
FOR_EACH_HART(root_release) {
    arch_root_t a, b, c;
    two_spaces(h, &a, &b);
    panic_armed = true;
    if (setjmp(panic_jump) == 0) {
        arch_root_release(&a);
        cr_assert_fail("the loaded root was released");
    }
    EXPECT_NONE(0, "releasing the loaded root");
    arch_root_release(&b);
    EXPECT(0, "release b", SFENCE(X0, hw_id(h, B_ID)));
    unsigned mark = hw_log.n;
    arch_root_init(&c, B_PA + 0x100000, B_ID);
    arch_root_load(&c);
    EXPECT(mark, "a new root with b's id", SATP(satp_of(h, B_PA + 0x100000, B_ID)),
           SFENCE(X0, hw_id(h, B_ID)));
    cr_log_info("%s: release of the loaded root panics; of another fences its ASID", hart_names[h]);
}

/* Code written through the data side is fetched only after FENCE.I. */
Test(riscv_mmu, icache_sync_is_fence_i) {
    boot(H_SV48);
    arch_icache_sync();
    EXPECT(0, "icache sync", {HW_FENCE_I, 0, 0, 0});
    cr_log_info("arch_icache_sync: fence.i");
}
