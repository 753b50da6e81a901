/*
 * The privileged instructions of mmu.c, each behind one small function: control registers
 * CR3 and CR4, the two MSRs paging needs, INVLPG and INVPCID. Only mmu.c includes this,
 * as "mmu_hw.h". In the kernel each is the one instruction; the host test of mmu.c's flush
 * decisions (tests/kernel/test_x86_mmu.c) compiles a copy of mmu.c whose include finds a
 * recording fake of this header instead (tests/kernel/fake_x86/mmu_hw.h), so what mmu.c
 * would execute, with which operands and in which order, can be checked without a CPU.
 * Keep the two headers' function lists identical.
 */
#pragma once

#include <stdint.h>

#include "x86.h"

/* The root in use and its PCID (SDM 3A 4.10.4.1). */
static inline uint64_t x86_hw_read_cr3(void) {
    return x86_read_cr3();
}

/* Loads cr3: a new root; without X86_CR3_NOFLUSH, drops the PCID's non-global entries. */
static inline void x86_hw_write_cr3(uint64_t cr3) {
    x86_write_cr3(cr3);
}

/* The paging features in force (PGE, PCIDE, SMEP, ...). */
static inline uint64_t x86_hw_read_cr4(void) {
    return x86_read_cr4();
}

/* Sets the paging features; a change of PGE drops every TLB entry, global ones too. */
static inline void x86_hw_write_cr4(uint64_t cr4) {
    x86_write_cr4(cr4);
}

/* Reads model-specific register msr. */
static inline uint64_t x86_hw_rdmsr(uint32_t msr) {
    return x86_rdmsr(msr);
}

/* Writes v to model-specific register msr. */
static inline void x86_hw_wrmsr(uint32_t msr, uint64_t v) {
    x86_wrmsr(msr, v);
}

/* Drops the entries of the page at va in the current PCID, global ones too, and the
 * PCID's paging-structure caches. */
static inline void x86_hw_invlpg(uint64_t va) {
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Drops entries of one PCID as INVPCID type type says (SDM 2A "INVPCID": 0 the address va,
 * 1 all but global ones). => the CPU has INVPCID. */
static inline void x86_hw_invpcid(unsigned type, uint16_t pcid, uint64_t va) {
    struct {
        uint64_t pcid;
        uint64_t va;
    } desc = {pcid, va};
    __asm__ volatile("invpcid %0, %1" : : "m"(desc), "r"((uint64_t)type) : "memory");
}
