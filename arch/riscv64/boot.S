/*
 * riscv64 boot entry. OpenSBI (fw_dynamic, `-bios default`) jumps here in S-mode at the
 * kernel's load address (physical 0x80200000, where QEMU put the first byte of the ELF
 * image) with a0 = hart id, a1 = physical address of the device tree, satp = 0 (bare),
 * interrupts off.
 *
 * The kernel is linked at ARCH_KERNEL_VOFFSET + physical address and built -mcmodel=medany,
 * so until paging is on every `la` here yields a physical address. This code:
 *   1. zeroes .bss (the boot tables and the stack live there),
 *   2. builds one Sv39 root of 1 GiB leaves (priv. spec 4.4): the gigapage holding the
 *      image, at its physical address (identity, for the instruction after the satp write)
 *      and at its link address; and physical [0, 16 GiB) at ARCH_DIRECT_MAP_BASE (the
 *      bootstrap window through which C reads the device tree and allocates boot frames),
 *   3. turns Sv39 on (every Sv48 hart has Sv39 too: priv. 4.5), jumps to the link address,
 *      and calls rv_start(hartid, dtb) on the kernel stack. mmu.c then probes Sv48.
 */
#define KERNEL_VOFFSET   0xffffffff00000000
#define DIRECT_MAP_INDEX 256 /* (ARCH_DIRECT_MAP_BASE >> 30) & 511 */
#define EARLY_GIGAPAGES  16  /* RV_EARLY_LIMIT / 1 GiB */
#define PTE_KERNEL_RWX   0xcf /* V R W X A D */
#define PTE_KERNEL_RW    0xc7 /* V R W A D */
#define SATP_SV39        (8 << 60)

/* Stores the 1 GiB leaf for physical gigapage \g (a register) with flags \fl into slot
 * \idx (a register, 0..511) of the table at \tab. Uses t5, t6. */
.macro GIGA_LEAF tab, idx, g, fl
    slli t5, \g, 28              /* PPN = g << 18, placed at bit 10 */
    ori t5, t5, \fl
    slli t6, \idx, 3
    add t6, \tab, t6
    sd t5, 0(t6)
.endm

    .section .text.boot, "ax"
    .global _start
_start:
    csrw sie, zero
    csrw sscratch, zero
    la t0, rv_early_spin
    csrw stvec, t0

    la t0, __bss_start
    la t1, __kernel_data_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:
    la t0, rv_boot_pt_sv39
    /* the image's gigapage, at its physical address and at its link address */
    la t1, _start
    srli t2, t1, 30
    andi t3, t2, 511
    GIGA_LEAF t0, t3, t2, PTE_KERNEL_RWX
    li t4, KERNEL_VOFFSET
    add t3, t1, t4
    srli t3, t3, 30
    andi t3, t3, 511
    GIGA_LEAF t0, t3, t2, PTE_KERNEL_RWX
    /* the bootstrap window */
    li t2, 0
    li t3, DIRECT_MAP_INDEX
    li t4, EARLY_GIGAPAGES
3:  GIGA_LEAF t0, t3, t2, PTE_KERNEL_RW
    addi t2, t2, 1
    addi t3, t3, 1
    bltu t2, t4, 3b

    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    sfence.vma
    csrw satp, t0
    sfence.vma

    la t0, rv_boot_high
    li t1, KERNEL_VOFFSET
    add t0, t0, t1
    jr t0

rv_boot_high:
    la sp, arch_boot_stack_top   /* now a link address: pc is in the higher half */
    la t0, rv_trap_entry
    csrw stvec, t0
    call rv_start                /* a0, a1: hart id, device tree */
    unimp

/* Traps before the trap vector is installed cannot be reported: stop here (a debugger
 * sees scause and sepc). */
    .balign 4
rv_early_spin:
    wfi
    j rv_early_spin

    .bss
    .balign 4096
    .global rv_boot_pt_sv39
rv_boot_pt_sv39:
    .skip 4096
