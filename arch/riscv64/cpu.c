/*
 * riscv64 boot, C part: what boot.S calls once it runs at the link address on the kernel
 * stack. Decodes the device tree, picks the paging format, and hands over to the generic
 * kernel with traps installed and interrupts off.
 */
#include "riscv.h"

static arch_boot_info_t boot_info;

/* Whether the NUL-terminated command line has word as a whole, space-separated word. */
static bool cmdline_word(const char *cmdline, const char *word) {
    for (const char *p = cmdline; *p; p++) {
        if (p != cmdline && p[-1] != ' ') {
            continue;
        }
        size_t i = 0;
        while (word[i] && p[i] == word[i]) {
            i++;
        }
        if (!word[i] && (p[i] == ' ' || p[i] == 0)) {
            return true;
        }
    }
    return false;
}

/* Called by boot.S with the hart id and the device tree's physical address. The command
 * line words "sv39" (skip the Sv48 probe) and "noasid" (use no ASIDs) let the tests run
 * the fallbacks on harts that have Sv48 and ASIDs. */
_Noreturn void rv_start(uint64_t hartid, uint64_t dtb_pa) {
    /* Interrupts off; FP and vector units off (the kernel is integer-only, so a stray FP
     * instruction traps instead of dirtying state nobody saves). */
    RV_CSR_CLEAR(sstatus, RV_SSTATUS_SIE | RV_SSTATUS_FS | RV_SSTATUS_VS);
    RV_CSR_WRITE(sie, 0);
    rv_fdt_parse(dtb_pa, &boot_info);
    rv_mmu_probe(!cmdline_word(boot_info.cmdline, "sv39"),
                 !cmdline_word(boot_info.cmdline, "noasid"));
    kern_printf("[riscv] hart %llu, %s paging, %u-bit ASIDs, timebase %llu Hz%s%s\n",
                (unsigned long long)hartid, rv_pt_format()->name, rv_mmu_asid_bits(),
                (unsigned long long)rv_platform.timebase_hz, rv_platform.svpbmt ? ", Svpbmt" : "",
                rv_platform.finisher_pa ? ", test finisher" : "");
    kern_main(&boot_info);
}
