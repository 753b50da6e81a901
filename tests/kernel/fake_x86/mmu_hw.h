/*
 * The recording fake of arch/x86_64/mmu_hw.h for x86_mmu_tests (test_x86_mmu.c): the same
 * functions, declared here and defined by the test, which keeps CR3, CR4 and the MSRs as
 * plain variables and logs every write and every invalidation in order. The test compiles
 * a copy of arch/x86_64/mmu.c (CMakeLists.txt), whose #include "mmu_hw.h" then finds this
 * file first on the include path. Keep the function list identical to the real header's.
 */
#pragma once

#include <stdint.h>

#include "x86.h"

uint64_t x86_hw_read_cr3(void);
void x86_hw_write_cr3(uint64_t cr3);
uint64_t x86_hw_read_cr4(void);
void x86_hw_write_cr4(uint64_t cr4);
uint64_t x86_hw_rdmsr(uint32_t msr);
void x86_hw_wrmsr(uint32_t msr, uint64_t v);
void x86_hw_invlpg(uint64_t va);
void x86_hw_invpcid(unsigned type, uint16_t pcid, uint64_t va);
