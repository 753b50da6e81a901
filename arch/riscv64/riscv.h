/*
 * riscv64 private definitions: CSR and trap bits as named masks (RISC-V privileged spec
 * 20211203 section beside each group), SBI calls, one-instruction helpers, and the
 * functions the files of arch/riscv64 share. Only files in arch/riscv64 include this.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <arch/arch.h>

/* sstatus (priv. 4.1.1). */
#define RV_SSTATUS_SIE  (1ull << 1)  /* interrupts enabled in S-mode */
#define RV_SSTATUS_SPIE (1ull << 5)  /* SIE before the trap; sret restores it */
#define RV_SSTATUS_SPP  (1ull << 8)  /* trapped from S-mode (else U-mode); sret returns there */
#define RV_SSTATUS_VS   (3ull << 9)  /* vector state (priv. 1.12); 0 = off: vector insns trap */
#define RV_SSTATUS_FS   (3ull << 13) /* FPU state; 0 = off, so user FP instructions trap */
#define RV_SSTATUS_SUM  (1ull << 18) /* S-mode may access user pages (we never do) */
#define RV_SSTATUS_MXR  (1ull << 19) /* loads from execute-only pages */

/* sie / sip (priv. 4.1.3). */
#define RV_SIE_SSIE (1ull << 1) /* software interrupt */
#define RV_SIE_STIE (1ull << 5) /* timer interrupt */
#define RV_SIE_SEIE (1ull << 9) /* external interrupt */

/* scause (priv. 4.1.9, table 4.2). */
#define RV_CAUSE_INTERRUPT      (1ull << 63)
#define RV_CAUSE_CODE           (~RV_CAUSE_INTERRUPT)
#define RV_IRQ_S_SOFT           1u
#define RV_IRQ_S_TIMER          5u
#define RV_IRQ_S_EXT            9u
#define RV_EXC_INSN_MISALIGNED  0u
#define RV_EXC_INSN_ACCESS      1u
#define RV_EXC_ILLEGAL          2u
#define RV_EXC_BREAKPOINT       3u
#define RV_EXC_LOAD_MISALIGNED  4u
#define RV_EXC_LOAD_ACCESS      5u
#define RV_EXC_STORE_MISALIGNED 6u
#define RV_EXC_STORE_ACCESS     7u
#define RV_EXC_ECALL_U          8u
#define RV_EXC_ECALL_S          9u
#define RV_EXC_INSN_PAGE_FAULT  12u
#define RV_EXC_LOAD_PAGE_FAULT  13u
#define RV_EXC_STORE_PAGE_FAULT 15u
#define RV_EXC_COUNT            16u

/* satp (priv. 4.1.11): MODE 63:60, ASID 59:44, PPN 43:0. */
#define RV_SATP_MODE_SHIFT 60
#define RV_SATP_MODE_SV39  (8ull << RV_SATP_MODE_SHIFT)
#define RV_SATP_MODE_SV48  (9ull << RV_SATP_MODE_SHIFT)
#define RV_SATP_MODE_MASK  (0xfull << RV_SATP_MODE_SHIFT)
#define RV_SATP_ASID_SHIFT 44
#define RV_SATP_ASID_MASK  (0xffffull << RV_SATP_ASID_SHIFT)
#define RV_SATP_PPN_MASK   ((1ull << 44) - 1)

/* Page-table entry bits the boot tables use (priv. 4.4.1, figure 4.21). */
#define RV_PTE_V         (1ull << 0)
#define RV_PTE_R         (1ull << 1)
#define RV_PTE_W         (1ull << 2)
#define RV_PTE_X         (1ull << 3)
#define RV_PTE_A         (1ull << 6)
#define RV_PTE_D         (1ull << 7)
#define RV_PTE_PPN_SHIFT 10

/* The bootstrap window (boot.S): 1 GiB leaves map physical [0, RV_EARLY_LIMIT) at
 * ARCH_DIRECT_MAP_BASE + pa, plus the kernel image and its identity. */
#define RV_EARLY_LIMIT (16ull << 30)

/* Instruction fields for classifying illegal-instruction traps (unpriv. 2.2, 2.8; priv. 2.1). */
#define RV_INSN_OPCODE_MASK   0x7fu
#define RV_INSN_OPCODE_SYSTEM 0x73u
#define RV_INSN_LEN32         0x3u /* low bits 11: a 32-bit instruction (else compressed) */
#define RV_INSN_FUNCT3_SHIFT  12
#define RV_INSN_RD_SHIFT      7
#define RV_INSN_CSR_SHIFT     20
#define RV_CSR_PRIV_SHIFT     8 /* csr[9:8]: lowest privilege that may access it */
#define RV_INSN_ECALL         0x00000073u
#define RV_INSN_EBREAK        0x00100073u

#define RV_CSR_READ(csr)                                                                           \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("csrr %0, " #csr : "=r"(v_));                                             \
        v_;                                                                                        \
    })
#define RV_CSR_WRITE(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define RV_CSR_SET(csr, v)   __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define RV_CSR_CLEAR(csr, v) __asm__ volatile("csrc " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")

/* SBI (RISC-V Supervisor Binary Interface spec 1.0): extension ids and functions. */
#define SBI_EXT_LEGACY_SET_TIMER 0x00u
#define SBI_EXT_LEGACY_PUTCHAR   0x01u
#define SBI_EXT_LEGACY_SHUTDOWN  0x08u
#define SBI_EXT_BASE             0x10u
#define SBI_BASE_PROBE_EXTENSION 3u
#define SBI_EXT_TIME             0x54494d45u /* "TIME" */
#define SBI_EXT_SRST             0x53525354u /* "SRST" */
#define SBI_SRST_SHUTDOWN        0u
#define SBI_SRST_REASON_NONE     0u
#define SBI_SRST_REASON_FAILURE  1u

typedef struct rv_sbi_ret {
    int64_t error;
    uint64_t value;
} rv_sbi_ret_t;

/* One SBI call: ecall with a7 = extension, a6 = function, arguments in a0..a2. */
rv_sbi_ret_t rv_sbi_call(uint32_t ext, uint32_t fn, uint64_t a0, uint64_t a1, uint64_t a2);
/* Whether the SBI implementation has extension ext. */
bool rv_sbi_probe(uint32_t ext);

/* What the device tree said beyond arch_boot_info_t (fdt.c). */
typedef struct rv_platform {
    uint64_t timebase_hz; /* /cpus timebase-frequency: rdtime ticks per second */
    uint64_t finisher_pa; /* sifive,test0/1 test finisher, 0 when absent */
    bool svpbmt;          /* the hart's ISA string lists Svpbmt */
} rv_platform_t;

extern rv_platform_t rv_platform;

/* Fills bi and rv_platform from the flattened device tree at physical dtb_pa, read
 * through the bootstrap window. Panics on a malformed tree. */
void rv_fdt_parse(uint64_t dtb_pa, arch_boot_info_t *bi);

/* Picks the paging format (Sv48 unless !allow_sv48 or the hart lacks it) and measures the
 * ASID width (taken as 0 when !allow_asids); switches the bootstrap tables to that format.
 * => on the bootstrap tables. */
void rv_mmu_probe(bool allow_sv48, bool allow_asids);
/* The satp.ASID width the hart implements (0..16), as probed. */
unsigned rv_mmu_asid_bits(void);
/* Reloads the bootstrap tables (kernel image + window onto physical [0, 16 GiB)), whatever
 * was loaded; for arch_halt, which must reach the test finisher. */
void rv_mmu_load_boot_tables(void);

/* Re-arms the timer one period ahead (timer.c); called on each timer interrupt. */
void rv_timer_rearm(void);

/* entry.S, and the C it calls (trap.c). */
void rv_trap_entry(void);
void rv_kernel_trap(arch_regs_t *f);
_Noreturn void rv_user_trap(arch_regs_t *f);
_Noreturn void rv_kernel_overflow(const arch_regs_t *f);
_Noreturn void rv_enter_user(const arch_regs_t *r);
extern char arch_boot_stack_top[];
