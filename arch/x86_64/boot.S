/*
 * x86_64 boot: the Multiboot2 header and the 32-bit entry that reaches long mode.
 *
 * GRUB (Multiboot2 spec 3.3, "I386 machine state") enters _start in 32-bit protected mode,
 * paging off, eax = 0x36d76289, ebx = physical address of the boot information. This code
 * runs at its physical address (section .boot, linked low). It builds a tiny bootstrap
 * table that maps the first 1 GiB twice, at 0 (identity, to survive turning paging on) and
 * at ARCH_KERNEL_VOFFSET (the higher half the kernel is linked at), turns on long mode and
 * jumps to the higher half. The real tables are built later in C with libpt
 * (kernel/vm.c); these bootstrap tables are also the early window arch_boot_info_t
 * describes (pa < 1 GiB reachable at pa + ARCH_KERNEL_VOFFSET).
 */

#define MB2_MAGIC        0xe85250d6 /* Multiboot2 spec 3.1.1: header magic */
#define MB2_ARCH_I386    0          /* 32-bit protected mode entry */
#define KERNEL_VOFFSET   0xffffffff80000000

#define CR0_PG           (1 << 31)  /* SDM 3A 2.5: paging */
#define CR0_WP           (1 << 16)  /* SDM 3A 2.5: write protect in ring 0 */
#define CR4_PAE          (1 << 5)   /* SDM 3A 2.5: physical address extension */
#define MSR_EFER         0xc0000080 /* SDM 3A 2.2.1 */
#define EFER_LME         (1 << 8)   /* long mode enable */
#define PTE_P            (1 << 0)   /* SDM 3A 4.5: present */
#define PTE_W            (1 << 1)   /* writable */
#define PTE_PS           (1 << 7)   /* 2 MiB page at the page-directory level */
#define CPUID_EXT_FEAT   0x80000001
#define CPUID_EDX_LM     (1 << 29)  /* long mode (SDM 2A "CPUID", leaf 80000001h) */
#define COM1             0x3f8
#define COM1_LSR         (COM1 + 5)
#define LSR_THR_EMPTY    0x20

    .section .multiboot, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* end tag: type 0, flags 0, size 8 */
    .word 0
    .word 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .global _start
_start:
    cli
    cld
    mov $boot_stack_top, %esp
    mov %eax, %edi              /* magic: first argument of arch_x86_64_start */
    mov %ebx, %esi              /* info: second argument */

    /* A CPU without long mode would triple-fault below: say so on COM1 and stop. */
    mov $CPUID_EXT_FEAT, %eax
    cpuid
    test $CPUID_EDX_LM, %edx
    jz no_long_mode

    /* pd[i] = i * 2 MiB, a large page: the first 1 GiB */
    mov $boot_pd, %ebx
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P | PTE_W | PTE_PS), %eax
    mov %eax, (%ebx, %ecx, 8)
    movl $0, 4(%ebx, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 1b

    /* pdpt[0] (identity) and pdpt[510] (-2 GiB) both point at pd */
    mov $boot_pd, %eax
    or $(PTE_P | PTE_W), %eax
    mov %eax, boot_pdpt
    mov %eax, boot_pdpt + 510 * 8
    /* pml4[0] (identity) and pml4[511] (higher half) both point at pdpt */
    mov $boot_pdpt, %eax
    or $(PTE_P | PTE_W), %eax
    mov %eax, boot_pml4
    mov %eax, boot_pml4 + 511 * 8

    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP), %eax
    mov %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $long_mode

no_long_mode:
    mov $no_long_mode_msg, %esi
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %ah
    mov $COM1_LSR, %dx
2:  in %dx, %al
    test $LSR_THR_EMPTY, %al
    jz 2b
    mov $COM1, %dx
    mov %ah, %al
    out %al, %dx
    jmp 1b
3:  cli
    hlt
    jmp 3b

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $higher_half, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code, ring 0 (SDM 3A 3.4.5, L = 1) */
    .quad 0x00cf92000000ffff    /* 0x10: data, ring 0 */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
no_long_mode_msg:
    .asciz "mmk: this CPU has no long mode (x86_64); stopping.\r\n"

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096
    .skip 4096
boot_stack_top:

    .text
    .code64
higher_half:
    movabs $arch_boot_stack_top, %rsp
    xor %ebp, %ebp
    /* edi, esi still hold magic and info (zero-extended by the 32-bit moves) */
    call arch_x86_64_start
1:  hlt
    jmp 1b
