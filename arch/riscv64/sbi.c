/*
 * riscv64 machine control through the SBI (Supervisor Binary Interface spec 1.0) and the
 * virt machine's test finisher: console output, stopping the machine with a status, the
 * cycle counter and the idle wait.
 */
#include "riscv.h"

/* sifive_test finisher (QEMU hw/misc/sifive_test.c): writing PASS ends QEMU with status 0,
 * (code << 16) | FAIL ends it with status code. */
#define FINISHER_PASS       0x5555u
#define FINISHER_FAIL       0x3333u
#define FINISHER_CODE_SHIFT 16

/* See riscv.h. The SBI calling convention (SBI spec 3): a7 extension, a6 function, a0..a5
 * arguments; error in a0, value in a1. */
rv_sbi_ret_t rv_sbi_call(uint32_t ext, uint32_t fn, uint64_t a0, uint64_t a1, uint64_t a2) {
    register uint64_t r_a0 __asm__("a0") = a0;
    register uint64_t r_a1 __asm__("a1") = a1;
    register uint64_t r_a2 __asm__("a2") = a2;
    register uint64_t r_a6 __asm__("a6") = fn;
    register uint64_t r_a7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
    return (rv_sbi_ret_t){.error = (int64_t)r_a0, .value = r_a1};
}

/* See riscv.h. */
bool rv_sbi_probe(uint32_t ext) {
    rv_sbi_ret_t r = rv_sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, ext, 0, 0);
    return r.error == 0 && r.value != 0;
}

/* See arch.h. The legacy console_putchar (SBI spec 5.2): every OpenSBI has it, and it
 * works before anything is set up. */
void arch_console_putc(char c) {
    if (c == '\n') {
        rv_sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, '\r', 0, 0);
    }
    rv_sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint8_t)c, 0, 0);
}

/* Ends QEMU through the test finisher with status, if the device tree named one. It is
 * reached at ARCH_DIRECT_MAP_BASE + pa: the bootstrap tables map it there (their window
 * covers physical [0, 16 GiB)), and so does the kernel's direct map when the hart has
 * Svpbmt (fdt.c lists it as mmio, mapped PBMT = IO). Without Svpbmt the kernel cannot map
 * device memory (libpt refuses the type; the PMAs would set it), so the bootstrap tables
 * are loaded again first. */
static void finisher_exit(int status) {
    uint64_t pa = rv_platform.finisher_pa;
    if (pa == 0 || pa + sizeof(uint32_t) > RV_EARLY_LIMIT) {
        return;
    }
    if (!rv_platform.svpbmt) {
        rv_mmu_load_boot_tables();
    }
    uint32_t v =
        status == 0 ? FINISHER_PASS : ((uint32_t)status << FINISHER_CODE_SHIFT) | FINISHER_FAIL;
    *(volatile uint32_t *)(uintptr_t)(ARCH_DIRECT_MAP_BASE + pa) = v;
}

/* See arch.h. The finisher carries the status; without one, SBI system reset (SRST) or the
 * legacy shutdown stop the machine but can only tell success from failure, or nothing. */
_Noreturn void arch_halt(int status) {
    RV_CSR_CLEAR(sstatus, RV_SSTATUS_SIE);
    finisher_exit(status);
    if (rv_sbi_probe(SBI_EXT_SRST)) {
        rv_sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN,
                    status == 0 ? SBI_SRST_REASON_NONE : SBI_SRST_REASON_FAILURE, 0);
    }
    rv_sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* See arch.h. rdcycle (unpriv. "Zicntr"): OpenSBI lets S-mode read it (mcounteren.CY). */
uint64_t arch_cycles(void) {
    uint64_t c;
    __asm__ volatile("rdcycle %0" : "=r"(c));
    return c;
}

/* See arch.h. wfi wakes on a pending interrupt even with SIE clear (priv. 3.3.3), so
 * waiting with interrupts off and enabling them only afterwards cannot miss a wake-up:
 * the pending interrupt is taken at the csrs, its handler runs, and the csrc follows. */
void arch_idle(void) {
    __asm__ volatile("wfi\n"
                     "csrs sstatus, %0\n"
                     "csrc sstatus, %0\n"
                     :
                     : "r"(RV_SSTATUS_SIE)
                     : "memory");
}
