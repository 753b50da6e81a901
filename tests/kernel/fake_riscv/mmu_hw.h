/*
 * The recording fake of arch/riscv64/mmu_hw.h for riscv_mmu_tests (test_riscv_mmu.c): the
 * same functions, declared here and defined by the test, which keeps satp and sstatus as
 * plain variables and logs every write and every fence in order. The test compiles a copy
 * of arch/riscv64/mmu.c (CMakeLists.txt), whose #include "mmu_hw.h" then finds this file
 * first on the include path. Keep the function list identical to the real header's.
 */
#pragma once

#include <stdint.h>

#include "riscv.h"

uint64_t rv_hw_satp_read(void);
void rv_hw_satp_write(uint64_t satp);
void rv_hw_sstatus_clear(uint64_t bits);
void rv_hw_sfence_all(void);
void rv_hw_sfence_asid(uint64_t asid);
void rv_hw_sfence_va(uint64_t va);
void rv_hw_sfence_va_asid(uint64_t va, uint64_t asid);
void rv_hw_fence_i(void);
