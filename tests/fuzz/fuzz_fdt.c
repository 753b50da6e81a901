/*
 * libFuzzer harness: the device-tree parser of the riscv64 kernel (arch/riscv64/fdt.c,
 * compiled unchanged for the host through shim/fdt/riscv.h) on arbitrary bytes. The input
 * is the blob, placed at physical FDT_PA of a window that ends with it. kern_panic (the
 * parser's answer to a malformed blob) returns here through longjmp and is a normal end.
 *
 * Contracts checked on a blob the parser accepts (arch/arch.h, arch_boot_info_t): at most
 * ARCH_BOOT_MAX_RANGES of each kind; usable RAM page-aligned, non-empty, not wrapping, in
 * address order, without overlaps, and disjoint from every reserved range (a reserved
 * range that wraps reserves everything above its base); the command line NUL-terminated;
 * a timebase. ASan and UBSan see every read outside the blob.
 */
#include "fz.h"

#include <arch/arch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FDT_PA 0x1000u /* where the blob lies in the window (0 is refused as "no tree") */

uint64_t fdt_fuzz_window, fdt_fuzz_limit;
char __kernel_text_start[64], __kernel_data_end[1]; /* the linker's symbols, for the "used" range */

/* rv_fdt_parse and rv_platform (fdt.c); declared by the real riscv.h, which this harness
 * does not include. */
void rv_fdt_parse(uint64_t dtb_pa, arch_boot_info_t *bi);

static jmp_buf panic_jump;
static unsigned long long panics, accepted;

/* The kernel's panic: back to the harness. */
void kern_panic(const char *fmt, ...) {
    if (fz_trace()) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    longjmp(panic_jump, 1);
}

/* True if [a, a + alen) and [b, b + blen) overlap; a range that wraps runs to 2^64. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
    unsigned __int128 aend = (unsigned __int128)a + alen, bend = (unsigned __int128)b + blen;
    return alen && blen && a < bend && b < aend;
}

/* Checks what an accepted blob gave. */
static void check_info(const arch_boot_info_t *bi) {
    for (unsigned i = 0; fz_trace() && i < bi->ram_count + bi->reserved_count; i++) {
        const arch_range_t *r = i < bi->ram_count ? &bi->ram[i] : &bi->reserved[i - bi->ram_count];
        fprintf(stderr, "%s [%#llx, +%#llx)\n", i < bi->ram_count ? "ram" : "reserved",
                (unsigned long long)r->base, (unsigned long long)r->len);
    }
    FZ_CHECK(bi->ram_count <= ARCH_BOOT_MAX_RANGES && bi->reserved_count <= ARCH_BOOT_MAX_RANGES &&
             bi->mmio_count <= ARCH_BOOT_MAX_RANGES && bi->used_count <= ARCH_BOOT_MAX_RANGES);
    for (unsigned i = 0; i < bi->ram_count; i++) {
        const arch_range_t *r = &bi->ram[i];
        FZ_CHECK(r->len && !((r->base | r->len) & 0xfff) && r->base + r->len > r->base,
                 "RAM range %u [%#llx, +%#llx) empty, unaligned or wrapping", i,
                 (unsigned long long)r->base, (unsigned long long)r->len);
        FZ_CHECK(i == 0 || bi->ram[i - 1].base <= r->base, "RAM range %u out of order", i);
        for (unsigned k = 0; k < i; k++) {
            const arch_range_t *q = &bi->ram[k];
            FZ_CHECK(!overlaps(q->base, q->len, r->base, r->len),
                     "usable RAM ranges %u [%#llx, +%#llx) and %u [%#llx, +%#llx) overlap", k,
                     (unsigned long long)q->base, (unsigned long long)q->len, i,
                     (unsigned long long)r->base, (unsigned long long)r->len);
        }
        for (unsigned k = 0; k < bi->reserved_count; k++) {
            const arch_range_t *v = &bi->reserved[k];
            FZ_CHECK(!overlaps(r->base, r->len, v->base, v->len),
                     "usable RAM [%#llx, +%#llx) overlaps reserved [%#llx, +%#llx)",
                     (unsigned long long)r->base, (unsigned long long)r->len,
                     (unsigned long long)v->base, (unsigned long long)v->len);
        }
    }
    FZ_CHECK(bi->cmdline && memchr(bi->cmdline, 0, 256) != NULL, "command line not terminated");
}

/* The harness: the input as the blob at FDT_PA, parsed once. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *window = malloc(FDT_PA + size);
    FZ_CHECK(window != NULL);
    memcpy(window + FDT_PA, data, size);
    fdt_fuzz_window = (uint64_t)(uintptr_t)window;
    fdt_fuzz_limit = FDT_PA + size;
    static arch_boot_info_t bi;
    if (setjmp(panic_jump) == 0) {
        rv_fdt_parse(FDT_PA, &bi);
        accepted++;
        check_info(&bi);
    } else {
        panics++;
    }
    free(window);
    return 0;
}
