/*
 * Issue 14: arch/x86_64/mmu.c's TLB decisions, which QEMU's TCG cannot show (it drops its
 * whole TLB at every CR3 write, PCID or not). A copy of mmu.c is compiled against the
 * recording fake of mmu_hw.h (fake_x86/mmu_hw.h): CR3, CR4 and the MSRs are variables here,
 * and every register write and every invalidation is logged with its operands, in order.
 * Each test drives the arch interface (arch_paging_enable, arch_root_load, arch_tlb_flush,
 * arch_root_release) and compares the log with the instructions the Intel SDM asks for,
 * on three machines: no PCID; PCID without INVPCID; PCID with INVPCID (each test once per
 * machine, every run in its own process, so mmu.c's state starts empty).
 *
 * The expected values are written from the SDM here, not taken from mmu.c: INVPCID type 0
 * drops one address of one PCID and type 1 every non-global entry of one PCID (SDM 2A
 * "INVPCID"); CR3 bit 63 keeps the new PCID's entries (3A 4.10.4.1); toggling CR4.PGE drops
 * every entry, global ones included (3A 4.10.4.1).
 */
#include <criterion/criterion.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hw_log.h"
#include "mmu_hw.h"

#define SDM_INVPCID_ADDRESS 0u
#define SDM_INVPCID_CONTEXT 1u
#define SDM_CR3_NOFLUSH     (1ull << 63)
#define SDM_CR4_PGE         (1ull << 7)
#define SDM_CR4_UMIP        (1ull << 11)
#define SDM_CR4_PCIDE       (1ull << 17)
#define SDM_CR4_SMEP        (1ull << 20)
#define SDM_CR4_SMAP        (1ull << 21)
#define SDM_MSR_EFER        0xc0000080u
#define SDM_MSR_PAT         0x277u
#define SDM_EFER_NXE        (1ull << 11)

#define PAGE      0x1000ull
#define KROOT_PA  0x100000ull /* the kernel's tables */
#define A_PA      0x200000ull /* two user spaces' roots */
#define B_PA      0x300000ull
#define A_ID      5u
#define B_ID      6u
#define BOOT_EFER 0x501ull /* SCE | LME | LMA, as boot.S leaves it */
#define USER_VA   0x400000ull
#define KERNEL_VA 0xffff800000000000ull

/* ---- the recording machine ---- */

/* Logged kinds and operands: CR3/CR4 (a: the value), WRMSR (a: msr, b: value), INVLPG (a: va),
 * INVPCID (a: type, b: pcid, c: va). */
typedef enum { HW_CR3, HW_CR4, HW_WRMSR, HW_INVLPG, HW_INVPCID } hw_kind_t;

static struct { uint64_t cr3, cr4, efer, pat; } hw;

x86_features_t x86_features;

/* See fake_x86/mmu_hw.h. */
uint64_t x86_hw_read_cr3(void) {
    return hw.cr3;
}

/* See fake_x86/mmu_hw.h. Bit 63 is an instruction to the CPU, not kept in CR3. */
void x86_hw_write_cr3(uint64_t cr3) {
    hw_record(HW_CR3, cr3, 0, 0);
    hw.cr3 = cr3 & ~SDM_CR3_NOFLUSH;
}

/* See fake_x86/mmu_hw.h. */
uint64_t x86_hw_read_cr4(void) {
    return hw.cr4;
}

/* See fake_x86/mmu_hw.h. */
void x86_hw_write_cr4(uint64_t cr4) {
    hw_record(HW_CR4, cr4, 0, 0);
    hw.cr4 = cr4;
}

/* See fake_x86/mmu_hw.h. mmu.c has no business with another MSR. */
uint64_t x86_hw_rdmsr(uint32_t msr) {
    cr_assert(msr == SDM_MSR_EFER || msr == SDM_MSR_PAT, "rdmsr %#x", msr);
    return msr == SDM_MSR_EFER ? hw.efer : hw.pat;
}

/* See fake_x86/mmu_hw.h. */
void x86_hw_wrmsr(uint32_t msr, uint64_t v) {
    hw_record(HW_WRMSR, msr, v, 0);
    cr_assert(msr == SDM_MSR_EFER || msr == SDM_MSR_PAT, "wrmsr %#x", msr);
    *(msr == SDM_MSR_EFER ? &hw.efer : &hw.pat) = v;
}

/* See fake_x86/mmu_hw.h. */
void x86_hw_invlpg(uint64_t va) {
    hw_record(HW_INVLPG, va, 0, 0);
}

/* See fake_x86/mmu_hw.h. */
void x86_hw_invpcid(unsigned type, uint16_t pcid, uint64_t va) {
    hw_record(HW_INVPCID, type, pcid, va);
}

/* ---- expectations ---- */

/* See hw_log.h. */
static const char *op_text(const hw_op_t *op, char *buf, size_t size) {
    switch (op->kind) {
        case HW_CR3:
            snprintf(buf, size, "mov cr3, %#llx", (unsigned long long)op->a);
            break;
        case HW_CR4:
            snprintf(buf, size, "mov cr4, %#llx", (unsigned long long)op->a);
            break;
        case HW_WRMSR:
            snprintf(buf, size, "wrmsr %#llx, %#llx", (unsigned long long)op->a,
                     (unsigned long long)op->b);
            break;
        case HW_INVLPG:
            snprintf(buf, size, "invlpg %#llx", (unsigned long long)op->a);
            break;
        default:
            snprintf(buf, size, "invpcid type %llu pcid %llu va %#llx", (unsigned long long)op->a,
                     (unsigned long long)op->b, (unsigned long long)op->c);
    }
    return buf;
}

/* The instructions since mark must be want (a compound literal list of hw_op_t). */
#define EXPECT(mark, what, ...)                                                                    \
    hw_expect(mark, (const hw_op_t[]){__VA_ARGS__},                                                \
              sizeof((const hw_op_t[]){__VA_ARGS__}) / sizeof(hw_op_t), what, "SDM")
/* No instruction since mark. */
#define EXPECT_NONE(mark, what) hw_expect(mark, NULL, 0, what, "SDM")

#define CR3(v)                                                                                     \
    { HW_CR3, (v), 0, 0 }
#define CR4(v)                                                                                     \
    { HW_CR4, (v), 0, 0 }
#define WRMSR(m, v)                                                                                \
    { HW_WRMSR, (m), (v), 0 }
#define INVLPG(va)                                                                                 \
    { HW_INVLPG, (va), 0, 0 }
#define INVPCID(t, p, v)                                                                           \
    { HW_INVPCID, (t), (p), (v) }

/* ---- the machines ---- */

typedef enum { M_NO_PCID, M_PCID, M_INVPCID } machine_t;

static const char *const machine_names[] = {"no PCID", "PCID without INVPCID", "PCID and INVPCID"};

/* Powers machine m on: its features, the registers as boot.S leaves them, no log. */
static void power_on(machine_t m) {
    memset(&hw, 0, sizeof(hw));
    hw_log.n = 0;
    hw.efer = BOOT_EFER;
    x86_features = (x86_features_t){.nx = true,
                                    .pge = true,
                                    .smep = true,
                                    .smap = true,
                                    .umip = true,
                                    .pcid = m != M_NO_PCID,
                                    .invpcid = m == M_INVPCID};
}

/* Boots machine m: paging enabled on the kernel's root; the log starts empty afterwards. */
static void boot(machine_t m) {
    power_on(m);
    arch_paging_enable(KROOT_PA);
    hw_log.n = 0;
}

/* The CR3 value that loads root pa with id on machine m, keeping its entries or not. */
static uint64_t cr3_of(machine_t m, uint64_t pa, uint16_t id, bool keep) {
    return m == M_NO_PCID ? pa : pa | id | (keep ? SDM_CR3_NOFLUSH : 0);
}

/* One Criterion test per machine running body(m). */
#define FOR_EACH_MACHINE(name)                                                                     \
    static void name(machine_t m);                                                                 \
    Test(x86_mmu, name##_no_pcid) {                                                                \
        name(M_NO_PCID);                                                                           \
    }                                                                                              \
    Test(x86_mmu, name##_pcid) {                                                                   \
        name(M_PCID);                                                                              \
    }                                                                                              \
    Test(x86_mmu, name##_invpcid) {                                                                \
        name(M_INVPCID);                                                                           \
    }                                                                                              \
    static void name(machine_t m)

/* Boots machine m with two user roots, both loaded once (so neither is fresh), a loaded
 * last; the log starts empty afterwards. */
static void two_spaces(machine_t m, arch_root_t *a, arch_root_t *b) {
    boot(m);
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

/* Paging is switched on in the order the SDM allows: PAT and NXE before the first table
 * that uses them, CR4's protections, the root, and PCIDE only with CR3[11:0] clear. */
FOR_EACH_MACHINE(paging_enable_order) {
    power_on(m);
    arch_paging_enable(KROOT_PA);
    uint64_t cr4 = SDM_CR4_PGE | SDM_CR4_SMEP | SDM_CR4_SMAP | SDM_CR4_UMIP;
    if (m == M_NO_PCID) {
        EXPECT(0, "paging on", WRMSR(SDM_MSR_PAT, PT_X86_PAT_MSR),
               WRMSR(SDM_MSR_EFER, BOOT_EFER | SDM_EFER_NXE), CR4(cr4), CR3(KROOT_PA));
    } else {
        EXPECT(0, "paging on", WRMSR(SDM_MSR_PAT, PT_X86_PAT_MSR),
               WRMSR(SDM_MSR_EFER, BOOT_EFER | SDM_EFER_NXE), CR4(cr4), CR3(KROOT_PA),
               CR4(cr4 | SDM_CR4_PCIDE));
    }
    cr_log_info("%s: PAT, EFER.NXE, CR4 protections, CR3, %sin that order", machine_names[m],
                m == M_NO_PCID ? "" : "CR4.PCIDE ");
}

/* A CPU without execute-disable is refused before any register is touched. */
Test(x86_mmu, paging_enable_without_nx_panics_first) {
    memset(&hw, 0, sizeof(hw));
    hw_log.n = 0;
    x86_features = (x86_features_t){.pge = true, .pcid = true};
    panic_armed = true;
    if (setjmp(panic_jump) == 0) {
        arch_paging_enable(KROOT_PA);
        cr_assert_fail("paging enabled on a CPU without NX");
    }
    EXPECT_NONE(0, "no NX");
    cr_log_info("no NX: kern_panic, no instruction");
}

/* A fresh root drops what an earlier user of its PCID left; a root loaded again keeps its
 * entries; loading the loaded root does nothing. */
FOR_EACH_MACHINE(root_load) {
    boot(m);
    arch_root_t a, b;
    arch_root_init(&a, A_PA, A_ID);
    arch_root_init(&b, B_PA, B_ID);
    arch_root_load(&a);
    EXPECT(0, "fresh root a", CR3(cr3_of(m, A_PA, A_ID, false)));
    unsigned mark = hw_log.n;
    arch_root_load(&a);
    EXPECT_NONE(mark, "a again while loaded");
    arch_root_load(&b);
    arch_root_load(&a);
    EXPECT(mark, "b fresh, then a back", CR3(cr3_of(m, B_PA, B_ID, false)),
           CR3(cr3_of(m, A_PA, A_ID, true)));
    cr_log_info("%s: fresh roots load without the no-flush bit, known ones with it (PCID), "
                "the loaded one not again",
                machine_names[m]);
}

/* A report that changed nothing flushes nothing, loaded root or not. */
FOR_EACH_MACHINE(flush_nothing) {
    arch_root_t a, b;
    two_spaces(m, &a, &b);
    pt_flush_t f = {.start = USER_VA, .last = USER_VA + 3 * PAGE - 1};
    arch_tlb_flush(&a, &f);
    arch_tlb_flush(&b, &f);
    f.all = true;
    arch_tlb_flush(&a, &f);
    EXPECT_NONE(0, "no leaf, no table changed");
    cr_log_info("%s: leaves 0 and no table: no instruction", machine_names[m]);
}

/* The loaded root's pages: one INVLPG each, in order, whatever the machine. */
FOR_EACH_MACHINE(flush_range_of_the_loaded_root) {
    arch_root_t a, b;
    two_spaces(m, &a, &b);
    pt_flush_t f = range(USER_VA, 3);
    arch_tlb_flush(&a, &f);
    EXPECT(0, "three pages of the loaded root", INVLPG(USER_VA), INVLPG(USER_VA + PAGE),
           INVLPG(USER_VA + 2 * PAGE));
    cr_log_info("%s: three pages of the loaded root: three invlpg of those pages",
                machine_names[m]);
}

/* Another space's pages (issue 14's surviving mutant): INVPCID per page when there is
 * INVPCID; with PCID alone the root is marked so that its next load drops its entries;
 * without PCID a root that is not loaded has no entries at all. */
FOR_EACH_MACHINE(flush_range_of_another_root) {
    arch_root_t a, b;
    two_spaces(m, &a, &b);
    pt_flush_t f = range(USER_VA, 3);
    arch_tlb_flush(&b, &f);
    if (m == M_INVPCID) {
        EXPECT(0, "three pages of b", INVPCID(SDM_INVPCID_ADDRESS, B_ID, USER_VA),
               INVPCID(SDM_INVPCID_ADDRESS, B_ID, USER_VA + PAGE),
               INVPCID(SDM_INVPCID_ADDRESS, B_ID, USER_VA + 2 * PAGE));
    } else {
        EXPECT_NONE(0, "three pages of b");
    }
    unsigned mark = hw_log.n;
    arch_root_load(&b);
    EXPECT(mark, "b loaded after its flush", CR3(cr3_of(m, B_PA, B_ID, m == M_INVPCID)));
    cr_log_info("%s: three pages of a root not loaded: %s", machine_names[m],
                m == M_INVPCID ? "INVPCID type 0 for each, its next load keeps its entries"
                : m == M_PCID  ? "nothing now, its next load drops its PCID's entries"
                               : "nothing (no entries without PCID)");
}

/* Changed tables and no leaf (a table emptied and unlinked): the range is flushed all the
 * same, since INVLPG and INVPCID drop the paging-structure caches too. */
FOR_EACH_MACHINE(flush_tables_only) {
    arch_root_t a, b;
    two_spaces(m, &a, &b);
    pt_flush_t f = {.start = USER_VA, .last = USER_VA + 2 * PAGE - 1, .tables = true};
    arch_tlb_flush(&a, &f);
    EXPECT(0, "tables under two pages of a", INVLPG(USER_VA), INVLPG(USER_VA + PAGE));
    unsigned mark = hw_log.n;
    arch_tlb_flush(&b, &f);
    if (m == M_INVPCID) {
        EXPECT(mark, "tables under two pages of b", INVPCID(SDM_INVPCID_ADDRESS, B_ID, USER_VA),
               INVPCID(SDM_INVPCID_ADDRESS, B_ID, USER_VA + PAGE));
    } else {
        EXPECT_NONE(mark, "tables under two pages of b");
        mark = hw_log.n;
        arch_root_load(&b);
        EXPECT(mark, "b loaded after", CR3(cr3_of(m, B_PA, B_ID, false)));
    }
    cr_log_info("%s: tables only: the range flushed page by page as for leaves", machine_names[m]);
}

/* What dropping every entry of root r (not the kernel's) must execute on machine m, r
 * loaded or not; loaded: r's CR3 without the no-flush bit. */
static void expect_whole_space(machine_t m, unsigned mark, arch_root_t *r, bool loaded,
                               const char *what) {
    if (loaded) {
        EXPECT(mark, what, CR3(cr3_of(m, r->pa, r->asid, false)));
    } else if (m == M_INVPCID) {
        EXPECT(mark, what, INVPCID(SDM_INVPCID_CONTEXT, r->asid, 0));
    } else {
        EXPECT_NONE(mark, what);
        mark = hw_log.n;
        arch_root_load(r);
        EXPECT(mark, what, CR3(cr3_of(m, r->pa, r->asid, false)));
    }
}

/* Up to PT_FLUSH_ALL_THRESHOLD pages are flushed one by one; one more flushes the space. */
FOR_EACH_MACHINE(flush_threshold) {
    arch_root_t a, b;
    two_spaces(m, &a, &b);
    pt_flush_t f = range(USER_VA, PT_FLUSH_ALL_THRESHOLD);
    arch_tlb_flush(&a, &f);
    cr_assert_eq(hw_log.n, PT_FLUSH_ALL_THRESHOLD, "%u instructions for %u pages", hw_log.n,
                 PT_FLUSH_ALL_THRESHOLD);
    for (unsigned i = 0; i < PT_FLUSH_ALL_THRESHOLD; i++) {
        cr_assert(hw_log.op[i].kind == HW_INVLPG && hw_log.op[i].a == USER_VA + i * PAGE,
                  "page %u of %u", i, PT_FLUSH_ALL_THRESHOLD);
    }
    unsigned mark = hw_log.n;
    f = range(USER_VA, PT_FLUSH_ALL_THRESHOLD + 1);
    arch_tlb_flush(&a, &f);
    expect_whole_space(m, mark, &a, true, "one page past the threshold, loaded");
    mark = hw_log.n;
    arch_tlb_flush(&b, &f);
    expect_whole_space(m, mark, &b, false, "one page past the threshold, not loaded");
    cr_log_info("%s: %u pages one by one, %u pages: the whole space, loaded or not",
                machine_names[m], PT_FLUSH_ALL_THRESHOLD, PT_FLUSH_ALL_THRESHOLD + 1);
}

/* `all` flushes the whole space even for one page. */
FOR_EACH_MACHINE(flush_all_flag) {
    arch_root_t a, b;
    two_spaces(m, &a, &b);
    pt_flush_t f = range(USER_VA, 1);
    f.all = true;
    arch_tlb_flush(&a, &f);
    expect_whole_space(m, 0, &a, true, "all, loaded");
    unsigned mark = hw_log.n;
    arch_tlb_flush(&b, &f);
    expect_whole_space(m, mark, &b, false, "all, not loaded");
    cr_log_info("%s: all with one page: the whole space, loaded or not", machine_names[m]);
}

/* The kernel's root holds global entries cached under every PCID: its pages go by INVLPG
 * (which drops global entries) whichever space is loaded, and the whole of it by toggling
 * CR4.PGE. */
FOR_EACH_MACHINE(flush_kernel_root) {
    arch_root_t a, b, k;
    two_spaces(m, &a, &b);
    arch_root_init(&k, KROOT_PA, 0);
    pt_flush_t f = range(KERNEL_VA, 2);
    arch_tlb_flush(&k, &f);
    EXPECT(0, "two kernel pages with a loaded", INVLPG(KERNEL_VA), INVLPG(KERNEL_VA + PAGE));
    unsigned mark = hw_log.n;
    uint64_t cr4 = hw.cr4;
    cr_assert(cr4 & SDM_CR4_PGE);
    f.all = true;
    arch_tlb_flush(&k, &f);
    EXPECT(mark, "the whole kernel space", CR4(cr4 & ~SDM_CR4_PGE), CR4(cr4));
    mark = hw_log.n;
    f = (pt_flush_t){.start = 0xffffffffffffe000ull, .last = ~0ull, .leaves = 2};
    arch_tlb_flush(&k, &f);
    EXPECT(mark, "the last two pages of memory", INVLPG(0xffffffffffffe000ull),
           INVLPG(0xfffffffffffff000ull));
    cr_log_info("%s: kernel pages by invlpg with a user space loaded, the whole kernel space "
                "by a CR4.PGE toggle, the top page without wrapping",
                machine_names[m]);
}

/* Without global pages, a CR3 reload is the whole flush of the kernel's space. */
Test(x86_mmu, flush_kernel_root_without_pge) {
    boot(M_NO_PCID);
    x86_features.pge = false;
    hw.cr4 &= ~SDM_CR4_PGE;
    arch_root_t k;
    arch_root_init(&k, KROOT_PA, 0);
    pt_flush_t f = range(KERNEL_VA, 1);
    f.all = true;
    arch_tlb_flush(&k, &f);
    EXPECT(0, "the whole kernel space, no PGE", CR3(KROOT_PA));
    cr_log_info("no PGE: the kernel space flushed by reloading CR3 with its own value");
}

/* A range that does not start on a page: every page it touches, from the first one. */
FOR_EACH_MACHINE(flush_unaligned_start) {
    arch_root_t a, b;
    two_spaces(m, &a, &b);
    pt_flush_t f = {.start = USER_VA + 0x800, .last = USER_VA + 2 * PAGE - 1, .leaves = 2};
    arch_tlb_flush(&a, &f);
    EXPECT(0, "[va + 0x800, va + 2 pages)", INVLPG(USER_VA), INVLPG(USER_VA + PAGE));
    unsigned mark = hw_log.n;
    f = (pt_flush_t){.start = USER_VA + 0x800, .last = USER_VA + PAGE, .leaves = 2};
    arch_tlb_flush(&a, &f);
    EXPECT(mark, "[va + 0x800, va + 0x1000]: one byte of the second page", INVLPG(USER_VA),
           INVLPG(USER_VA + PAGE));
    cr_log_info("%s: ranges starting mid-page, ending at or inside a page: every page they "
                "touch",
                machine_names[m]);
}

/* A released root's PCID may be given to another tree: its entries go now (INVPCID) or at
 * the new root's first load; releasing the loaded root is a kernel bug. */
FOR_EACH_MACHINE(root_release) {
    arch_root_t a, b, c;
    two_spaces(m, &a, &b);
    panic_armed = true;
    if (setjmp(panic_jump) == 0) {
        arch_root_release(&a);
        cr_assert_fail("the loaded root was released");
    }
    EXPECT_NONE(0, "releasing the loaded root");
    arch_root_release(&b);
    if (m == M_INVPCID) {
        EXPECT(0, "release b", INVPCID(SDM_INVPCID_CONTEXT, B_ID, 0));
    } else {
        EXPECT_NONE(0, "release b");
    }
    unsigned mark = hw_log.n;
    arch_root_init(&c, B_PA + 0x100000, B_ID);
    arch_root_load(&c);
    EXPECT(mark, "a new root with b's id", CR3(cr3_of(m, B_PA + 0x100000, B_ID, false)));
    cr_log_info("%s: release of the loaded root panics with no instruction; of another: %s; "
                "its id's next root loads without the no-flush bit",
                machine_names[m], m == M_INVPCID ? "INVPCID type 1" : "nothing");
}
