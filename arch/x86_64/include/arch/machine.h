/*
 * x86_64 machine description for the arch interface (<arch/arch.h> includes this file
 * through the include path). Only what generic code must see: the register frame, the
 * root handle and the address-space layout.
 *
 * Virtual layout (4-level paging, 48-bit canonical addresses):
 *   0x0000000000000000 .. 0x00007fffffffffff  user half (each process its own)
 *   0xffff800000000000 ..                     direct map of RAM (pa + ARCH_DIRECT_MAP_BASE)
 *   0xffffffff80000000 ..                     kernel image (pa + ARCH_KERNEL_VOFFSET)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <pt/pt.h>

#define ARCH_NAME            "x86_64"
#define ARCH_PT_FORMAT       (&pt_format_x86_64)
#define ARCH_DIRECT_MAP_BASE 0xffff800000000000ull
#define ARCH_KERNEL_VOFFSET  0xffffffff80000000ull
#define ARCH_USER_TOP        0x0000800000000000ull /* first address past the user half */
#define ARCH_USER_STACK_TOP  0x00007ffffff00000ull /* initial user stack pointer */
#define ARCH_ASID_MAX        4095u                 /* PCIDs are 12 bits; 0 is the kernel's */

/*
 * A thread's saved user registers. The layout is the frame the entry code pushes (general
 * registers, then vector and error code, then the iretq frame), so saving is a copy; the
 * offsets are fixed by arch/x86_64/entry.S.
 */
/* 16-byte aligned: an interrupt from user mode makes the CPU push its frame at TSS.rsp0 =
 * the end of the running thread's arch_regs_t, and in 64-bit mode it first aligns that
 * address down to 16 bytes (SDM 3A 6.14.2), so the end must already be aligned. */
typedef struct __attribute__((aligned(16))) arch_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector; /* exception vector, or ARCH_X86_VEC_SYSCALL */
    uint64_t error;  /* error code (0 when the CPU pushes none) */
    uint64_t rip, cs, rflags, rsp, ss;
} arch_regs_t;

_Static_assert(sizeof(arch_regs_t) == 22 * 8, "entry.S pushes 22 words");
_Static_assert(__builtin_offsetof(arch_regs_t, vector) == 15 * 8, "entry.S frame layout");
_Static_assert(__builtin_offsetof(arch_regs_t, rip) == 17 * 8, "entry.S frame layout");
_Static_assert(__builtin_offsetof(arch_regs_t, cs) == 18 * 8, "entry.S tests cs at 144");

/* A root as the MMU sees it: the PML4 frame and its PCID. */
typedef struct arch_root {
    uint64_t pa;   /* physical address of the PML4 */
    uint16_t asid; /* PCID (used only when the CPU has PCID) */
    bool stale;    /* the PCID may hold entries of an earlier tree: flush on load */
} arch_root_t;
