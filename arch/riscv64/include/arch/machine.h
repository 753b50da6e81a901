/*
 * riscv64 machine description for the arch interface (<arch/arch.h> includes this file
 * through the include path). Only what generic code must see: the register frame, the
 * root handle and the address-space layout.
 *
 * Virtual layout. The kernel runs Sv48 where the hart has it and Sv39 otherwise (probed at
 * boot, arch/riscv64/mmu.c); every kernel address below lies in the top 256 GiB, which is
 * the upper half of Sv39 and the top of Sv48's, so one layout fits both formats:
 *   0x0000000000000000 .. ARCH_USER_TOP       user half (256 GiB under Sv39, 128 TiB Sv48)
 *   0xffffffc000000000 ..                     direct map of RAM (pa + ARCH_DIRECT_MAP_BASE)
 *   0xffffffff80200000 ..                     kernel image (pa + ARCH_KERNEL_VOFFSET)
 * The direct map therefore reaches physical addresses below 252 GiB (where the kernel image
 * window starts); OpenSBI loads the kernel at physical 0x80200000.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <pt/pt.h>

/* The paging format in use (pt_format_sv48 or pt_format_sv39), fixed by the boot probe. */
const pt_format_t *rv_pt_format(void);
/* One past the user half of that format: 1 << (va_bits - 1). */
uint64_t rv_user_top(void);

#define ARCH_NAME            "riscv64"
#define ARCH_PT_FORMAT       (rv_pt_format())
#define ARCH_DIRECT_MAP_BASE 0xffffffc000000000ull
#define ARCH_KERNEL_VOFFSET  0xffffffff00000000ull
#define ARCH_USER_TOP        (rv_user_top())       /* first address past the user half */
#define ARCH_USER_STACK_TOP  0x0000003ffff00000ull /* initial sp: inside Sv39's user half too */
#define ARCH_ASID_MAX        65535u /* satp.ASID is 16 bits (priv. spec 4.1.11); 0 is the kernel's */

/*
 * A thread's saved user registers, in the order the trap entry stores them
 * (arch/riscv64/entry.S): the resume pc in the slot of x0 (which needs no saving, as in
 * Linux's pt_regs), x1..x31 at offset 8 * n, then the trap CSRs.
 */
typedef struct arch_regs {
    uint64_t pc; /* sepc: where the thread resumes */
    uint64_t ra, sp, gp, tp, t0, t1, t2, s0, s1;
    uint64_t a0, a1, a2, a3, a4, a5, a6, a7;
    uint64_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
    uint64_t t3, t4, t5, t6;
    uint64_t status; /* sstatus at the trap */
    uint64_t cause;  /* scause: interrupt bit and exception code */
    uint64_t tval;   /* stval: faulting address or instruction */
    uint64_t pad;    /* keeps the frame a multiple of 16 bytes (psABI stack alignment) */
} arch_regs_t;

_Static_assert(sizeof(arch_regs_t) == 36 * 8, "entry.S frame size");
_Static_assert(__builtin_offsetof(arch_regs_t, ra) == 1 * 8, "entry.S: x1 at 8");
_Static_assert(__builtin_offsetof(arch_regs_t, a0) == 10 * 8, "entry.S: x10 at 80");
_Static_assert(__builtin_offsetof(arch_regs_t, t6) == 31 * 8, "entry.S: x31 at 248");
_Static_assert(__builtin_offsetof(arch_regs_t, status) == 32 * 8, "entry.S: CSRs at 256");

/* A root as the MMU sees it: the satp value that loads it. */
typedef struct arch_root {
    uint64_t satp; /* MODE | ASID | PPN of the root table */
    uint16_t asid; /* the id the kernel gave (0 is the kernel's) */
    bool stale;    /* the hardware ASID may hold entries of an earlier tree: flush on load */
} arch_root_t;
