/*
 * The privileged instructions of mmu.c, each behind one small function: satp, the sstatus
 * bits paging depends on, the four forms of SFENCE.VMA and FENCE.I. Only mmu.c includes
 * this, as "mmu_hw.h". In the kernel each is the one instruction; the host test of mmu.c's
 * TLB decisions (tests/kernel/test_riscv_mmu.c) compiles a copy of mmu.c whose include finds
 * a recording fake of this header instead (tests/kernel/fake_riscv/mmu_hw.h), so what mmu.c
 * would execute, with which operands and in which order, can be checked without a hart.
 * Keep the two headers' function lists identical.
 */
#pragma once

#include <stdint.h>

#include "riscv.h"

/* The translation in use: MODE, ASID, root PPN (priv. 4.1.11). */
static inline uint64_t rv_hw_satp_read(void) {
    return RV_CSR_READ(satp);
}

/* Writes satp. A write naming an unsupported MODE has no effect at all (priv. 4.1.11); a
 * new value does not order or drop anything cached: that is SFENCE.VMA's job. */
static inline void rv_hw_satp_write(uint64_t satp) {
    RV_CSR_WRITE(satp, satp);
}

/* Clears sstatus bits (SUM, MXR: what S-mode may reach through user and execute-only
 * pages). */
static inline void rv_hw_sstatus_clear(uint64_t bits) {
    RV_CSR_CLEAR(sstatus, bits);
}

/* SFENCE.VMA x0, x0: orders earlier table stores and drops every cached translation, of
 * every ASID, global ones included (priv. 4.2.1). */
static inline void rv_hw_sfence_all(void) {
    __asm__ volatile("sfence.vma zero, zero" : : : "memory");
}

/* SFENCE.VMA x0, rs2: drops every non-global translation of ASID asid, leaf or not. */
static inline void rv_hw_sfence_asid(uint64_t asid) {
    __asm__ volatile("sfence.vma zero, %0" : : "r"(asid) : "memory");
}

/* SFENCE.VMA rs1, x0: drops the leaf translations of the page holding va in every ASID,
 * global ones included. */
static inline void rv_hw_sfence_va(uint64_t va) {
    __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}

/* SFENCE.VMA rs1, rs2: drops the non-global leaf translations of the page holding va in
 * ASID asid. */
static inline void rv_hw_sfence_va_asid(uint64_t va, uint64_t asid) {
    __asm__ volatile("sfence.vma %0, %1" : : "r"(va), "r"(asid) : "memory");
}

/* FENCE.I (Zifencei): this hart's later fetches see its earlier stores. */
static inline void rv_hw_fence_i(void) {
    __asm__ volatile("fence.i" : : : "memory");
}
