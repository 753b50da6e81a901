/*
 * What the scenario programs need that differs per architecture: addresses and single
 * instructions (riscv64). arch/<arch>/tests/ is on the scenario programs' include
 * path.
 */
#pragma once

#include <stdint.h>

/* A kernel address that is mapped (the kernel image at physical 0x80200000, through the
 * direct map), but not for user mode: touching it must be a page fault. */
#define TEST_KERNEL_ADDRESS 0xffffffc080200000ull
/* A non-canonical address under both Sv39 and Sv48 (bits 63..47 not all equal). */
#define TEST_NONCANONICAL_ADDRESS 0x0000900000000000ull
/* The top of the initial user stack (ARCH_USER_STACK_TOP): the page above is unmapped. */
#define TEST_USER_STACK_TOP 0x0000003ffff00000ull
/* Bytes the mm_ram scenario maps at once (its QEMU has 4 GiB). */
#define TEST_RAM_MAP (3ull << 30)
/* The first byte of c.ret (0x8082, little-endian), for code copied to data pages. */
#define TEST_RET_INSTRUCTION 0x82u
/* U-mode has no flags that change how the kernel runs: nothing to set. */
static inline void test_set_hostile_flags(void) {
}

/* Nothing to clear. */
static inline void test_clear_hostile_flags(void) {
}

/* The fault kind test_bad_stack_spin ends in. */
#define TEST_BAD_STACK_FAULT IPC_FAULT_PAGE

/* Points sp at an address that is not a valid virtual address (not sign-extended), spins
 * long enough to be preempted many times (so the kernel saves and restores that sp), then
 * stores through it: a store page fault. Does not return. */
static inline void test_bad_stack_spin(void) {
    __asm__ volatile("li sp, 0x0000900000000000\n"
                     "li t0, 50000000\n"
                     "1: addi t0, t0, -1\n"
                     "bnez t0, 1b\n"
                     "sd zero, -8(sp)\n"
                     :
                     :
                     : "t0", "memory");
}

/* RISC-V integer division never traps (unpriv. spec 13.2: x / 0 gives all ones). */
#define TEST_DIVIDE_TRAPS 0

/* A privileged instruction: wfi in U-mode is an illegal-instruction trap when S-mode
 * exists (priv. 3.1.6.5), classified privileged by the kernel. */
static inline void test_privileged_halt(void) {
    __asm__ volatile("wfi");
}

/* Turning interrupts off: sstatus is an S-mode CSR, out of U-mode's reach. */
static inline void test_privileged_irq_off(void) {
    __asm__ volatile("csrci sstatus, 2");
}

/* An undefined instruction (the canonical all-zero c.unimp). */
static inline void test_undefined(void) {
    __asm__ volatile("unimp");
}

/* An integer division by zero. On RISC-V it does not trap: the quotient is all ones and
 * the program goes on, so a scenario expecting an arithmetic fault cannot pass here; see
 * TEST_DIVIDE_TRAPS. Written in assembly so the compiler cannot reason about it. */
static inline uint64_t test_divide_by_zero(void) {
    uint64_t q;
    __asm__ volatile("div %0, %1, zero" : "=r"(q) : "r"(1ull));
    return q;
}
