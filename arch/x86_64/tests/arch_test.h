/*
 * What the scenario programs need that differs per architecture: addresses and single
 * instructions. arch/<arch>/tests/ is on their include path.
 */
#pragma once

#include <stdint.h>

/* A kernel address that is mapped (the direct map of physical 1 MiB), but not for user
 * mode: touching it must be a protection page fault. */
#define TEST_KERNEL_ADDRESS 0xffff800000100000ull
/* A non-canonical address (bits 63..47 not all equal). */
#define TEST_NONCANONICAL_ADDRESS 0x0000900000000000ull
/* The top of the initial user stack (ARCH_USER_STACK_TOP): the page above is unmapped. */
#define TEST_USER_STACK_TOP 0x00007ffffff00000ull
/* Bytes the mm_ram scenario maps at once (its QEMU has 8 GiB: more than below 4 GiB). */
#define TEST_RAM_MAP (6ull << 30)
/* One instruction that returns (for code copied to data pages). */
#define TEST_RET_INSTRUCTION 0xc3u

/* A privileged instruction: must fault in user mode. */
static inline void test_privileged_halt(void) {
    __asm__ volatile("hlt");
}

/* Another privileged instruction (IOPL is 0 in user mode). */
static inline void test_privileged_irq_off(void) {
    __asm__ volatile("cli");
}

/* An undefined instruction. */
static inline void test_undefined(void) {
    __asm__ volatile("ud2");
}

/* Sets every flag user code may set that could trip the kernel: NT (an iretq with NT set
 * faults in long mode), AC (would disable SMAP), DF (string direction). */
static inline void test_set_hostile_flags(void) {
    __asm__ volatile("pushfq\n"
                     "orq $0x44400, (%%rsp)\n" /* NT | AC | DF */
                     "popfq\n"
                     :
                     :
                     : "memory", "cc");
}

/* Clears them again (DF must be clear for C code). */
static inline void test_clear_hostile_flags(void) {
    __asm__ volatile("pushfq\n"
                     "andq $~0x44400, (%%rsp)\n"
                     "popfq\n"
                     :
                     :
                     : "memory", "cc");
}

/* The fault kind test_bad_stack_spin ends in. */
#define TEST_BAD_STACK_FAULT IPC_FAULT_PRIVILEGED

/* Points the stack pointer at a non-canonical address, spins long enough to be preempted
 * many times (so the kernel saves and restores that stack pointer), then pushes: a
 * non-canonical stack access is #SS on hardware, #GP under QEMU; both are of the
 * privileged kind. Does not return. */
static inline void test_bad_stack_spin(void) {
    __asm__ volatile("mov $0x0000900000000000, %%rsp\n"
                     "mov $50000000, %%ecx\n"
                     "1: dec %%ecx\n"
                     "jnz 1b\n"
                     "push %%rax\n"
                     :
                     :
                     : "rcx", "memory");
}

/* x86 integer division by zero traps (#DE). */
#define TEST_DIVIDE_TRAPS 1

/* An integer division of 1 by zero; returns the quotient where the ISA does not trap. In
 * C the compiler may turn 1 / x into branches, since dividing by zero is undefined, so it
 * is written out. */
static inline uint64_t test_divide_by_zero(void) {
    uint64_t q;
    __asm__ volatile("xor %%ecx, %%ecx\n"
                     "mov $1, %%eax\n"
                     "cqto\n"
                     "idiv %%rcx\n"
                     : "=a"(q)
                     :
                     : "rcx", "rdx");
    return q;
}
