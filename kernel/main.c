/*
 * The boot sequence, generic part: report what the boot loader gave, take the free RAM,
 * build and load the kernel's tables with libpt, check the TLB flush, start mmserver alone
 * with the archive and the remaining RAM (mm_boot.c; mmserver starts every other program),
 * start the timer, and leave for user mode.
 */
#include "kern.h"

/* Whether the command line cmdline contains word as a whole, space-separated word. */
static bool cmdline_has(const char *cmdline, const char *word) {
    size_t n = strlen(word);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ') {
            p++;
        }
        const char *end = p;
        while (*end && *end != ' ') {
            end++;
        }
        if ((size_t)(end - p) == n && strncmp(p, word, n) == 0) {
            return true;
        }
        p = end;
    }
    return false;
}

/* The number after "name=" in the command line cmdline (a whole word, decimal), or 0 when
 * absent or not a number. */
static uint32_t cmdline_number(const char *cmdline, const char *name) {
    size_t n = strlen(name);
    for (const char *p = cmdline; *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && strncmp(p, name, n) == 0 && p[n] == '=') {
            uint32_t v = 0;
            const char *d = p + n + 1;
            for (; *d >= '0' && *d <= '9' && v < 100000u; d++) {
                v = v * 10u + (uint32_t)(*d - '0');
            }
            return (*d == 0 || *d == ' ') ? v : 0;
        }
    }
    return 0;
}

/* Starts the address-space tag allocator (tag.h) with the CPU's tags, or fewer when the
 * kernel word tags=N asks (tests that need rollovers quickly), and says which. */
static void tags_start(const char *cmdline) {
    uint32_t hw = arch_tag_count();
    kern_tags_init(hw, cmdline_number(cmdline, "tags"));
    kern_printf("[vm] address-space tags: %u in use of %u the CPU has%s\n", kern_tags.count, hw,
                hw < 2 ? " (none: each switch drops the translations)" : "");
}

/* Prints one list of physical ranges, and returns their total size. */
static uint64_t print_ranges(const char *what, const arch_range_t *r, unsigned n) {
    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        kern_printf("[boot] %s 0x%010llx-0x%010llx (%llu KiB)\n", what,
                    (unsigned long long)r[i].base, (unsigned long long)(r[i].base + r[i].len),
                    (unsigned long long)(r[i].len >> 10));
        total += r[i].len;
    }
    return total;
}

/* Says on the console what the boot loader gave us. */
static void boot_report(const arch_boot_info_t *bi) {
    kern_printf("[boot] loader '%s', command line '%s'\n", bi->loader, bi->cmdline);
    uint64_t ram = print_ranges("RAM     ", bi->ram, bi->ram_count);
    print_ranges("reserved", bi->reserved, bi->reserved_count);
    print_ranges("in use  ", bi->used, bi->used_count);
    kern_printf("[boot] %llu MiB of RAM in %u ranges\n", (unsigned long long)(ram >> 20),
                bi->ram_count);
    if (!bi->archive.len) {
        kern_panic("no boot archive (module) was given");
    }
    kern_printf("[boot] archive at 0x%llx, %llu bytes\n", (unsigned long long)bi->archive.base,
                (unsigned long long)bi->archive.len);
}

/* The command-line word "selftest-kernel-fault" makes the kernel touch an unmapped kernel
 * address once its tables are loaded, to prove that a kernel exception ends in a clear
 * panic (tests/qemu, kernel_panic). */
static void selftest_kernel_fault(const char *cmdline) {
    if (cmdline_has(cmdline, "selftest-kernel-fault")) {
        kern_printf("[kern] self-test: reading unmapped kernel address 0x%llx\n",
                    (unsigned long long)(ARCH_KERNEL_VOFFSET - PT_PAGE_SIZE));
        kern_printf("%llu\n",
                    (unsigned long long)*(volatile uint64_t *)(uintptr_t)(ARCH_KERNEL_VOFFSET -
                                                                          PT_PAGE_SIZE));
    }
}

/* See arch.h. */
_Noreturn void kern_main(arch_boot_info_t *bi) {
    kern_printf("\nmmk: kernel starting on %s\n", ARCH_NAME);
    boot_report(bi);
    kern_frame_init(bi);
    kern_vm_init(bi);
    tags_start(bi->cmdline);
    selftest_kernel_fault(bi->cmdline);
    kern_boot_check_tlb();
    kern_mm_boot(bi);
    arch_user_counters_allow();
    arch_timer_start(KERN_TIMER_HZ);
    kern_return_to_user();
}
