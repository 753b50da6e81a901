/*
 * What arch/riscv64/fdt.c sees as "riscv.h" when the fdt fuzz harness compiles it for the
 * host (CMake copies fdt.c into the build tree, so this file, not the real one beside it,
 * answers its #include "riscv.h"). The real header is included, then the early window is
 * moved: the blob is read at fdt_fuzz_window + pa instead of the kernel's direct map, and
 * the window ends where the fuzzer's input ends (a blob that claims to be larger runs past
 * the window, as a real one would run past RV_EARLY_LIMIT).
 */
#pragma once

#include "../../../../arch/riscv64/riscv.h"

#include <stdint.h>

extern uint64_t fdt_fuzz_window; /* host address that physical 0 maps to */
extern uint64_t fdt_fuzz_limit;  /* first physical address past the window */

#undef ARCH_DIRECT_MAP_BASE
#define ARCH_DIRECT_MAP_BASE fdt_fuzz_window
#undef RV_EARLY_LIMIT
#define RV_EARLY_LIMIT fdt_fuzz_limit
