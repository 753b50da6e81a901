/*
 * riscv64 trap vector, user entry, and the kernel stack.
 *
 * sscratch tells where a trap came from: 0 while the kernel runs, and while user code runs
 * the address of the running thread's arch_regs_t (xv6 keeps its trapframe there too).
 * The vector swaps it with sp: non-zero means a trap from user mode, and sp now points at
 * the thread's own register frame, which the trap fills in place -- nothing is copied
 * afterwards (issue 11: the copy of the 288-byte frame cost ~118 instructions a trap) --
 * before moving to the kernel stack for C; zero means the kernel was interrupted (only
 * the timer while arch_idle waits, or a kernel bug), and the kernel's own sp is swapped
 * back and the frame is built on the kernel stack.
 *
 * Either way the frame is an arch_regs_t (machine.h: pc in the slot of x0, x1..x31 at
 * 8 * n, then sstatus, scause, stval) whose address goes to C: rv_user_trap (never
 * returns) or rv_kernel_trap (returns for an interrupt, and the frame is restored and
 * sret-ed).
 */
#define FRAME     288 /* sizeof(arch_regs_t) */
#define OFF_PC    0
#define OFF_SP    16
#define OFF_A0    80
#define OFF_STATUS 256
#define OFF_CAUSE 264
#define OFF_TVAL  272

/* Stores x1 and x3..x31 (not sp, not x0) at 8 * n(sp). */
.macro SAVE_GPRS
    sd x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, (8 * \n)(sp)
    .endr
.endm

/* Loads x1 and x3..x31 except \skip from 8 * n(\base). */
.macro LOAD_GPRS base, skip
    ld x1, 8(\base)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .if \n != \skip
    ld x\n, (8 * \n)(\base)
    .endif
    .endr
.endm

/* Stores the trap CSRs into the frame at sp. Uses t0. */
.macro SAVE_CSRS
    csrr t0, sepc
    sd t0, OFF_PC(sp)
    csrr t0, sstatus
    sd t0, OFF_STATUS(sp)
    csrr t0, scause
    sd t0, OFF_CAUSE(sp)
    csrr t0, stval
    sd t0, OFF_TVAL(sp)
.endm

    .text
    .balign 4                     /* stvec direct mode wants a 4-byte aligned base */
    .global rv_trap_entry
rv_trap_entry:
    csrrw sp, sscratch, sp        /* sp = the running thread's arch_regs_t */
    beqz sp, rv_trap_from_kernel
    SAVE_GPRS
    csrrw t0, sscratch, zero      /* t0 = user sp; sscratch = 0: we are in the kernel now */
    sd t0, OFF_SP(sp)
    SAVE_CSRS
    mv a0, sp
    la sp, arch_boot_stack_top    /* C runs on the kernel stack, empty at every entry */
    call rv_user_trap             /* does not return */
    unimp

rv_trap_from_kernel:
    csrrw sp, sscratch, sp        /* sp = the kernel's sp again, sscratch = 0 */
    csrw sscratch, t0             /* borrow t0 (sscratch is 0 again below) */
    la t0, arch_boot_stack_bottom + FRAME
    bltu sp, t0, rv_trap_overflow /* no room for a frame: the stack overflowed */
    csrrw t0, sscratch, zero
    addi sp, sp, -FRAME
    SAVE_GPRS
    addi t0, sp, FRAME
    sd t0, OFF_SP(sp)
    SAVE_CSRS
    mv a0, sp
    call rv_kernel_trap           /* returns only for an interrupt */
    ld t0, OFF_PC(sp)
    csrw sepc, t0
    ld t0, OFF_STATUS(sp)
    csrw sstatus, t0
    LOAD_GPRS sp, 2
    addi sp, sp, FRAME
    sret

/*
 * The kernel stack overflowed (into the guard page, whose fault brought us here, or close
 * to it): report on a stack of its own, as x86's #DF does on IST1, instead of faulting on
 * the guard page forever. rv_kernel_trap panics, since this is never an interrupt frame
 * worth returning to.
 */
rv_trap_overflow:
    mv t0, sp
    la sp, rv_overflow_stack_top - FRAME
    sd t0, OFF_SP(sp)
    csrrw t0, sscratch, zero
    SAVE_GPRS
    SAVE_CSRS
    mv a0, sp
    call rv_kernel_overflow
    unimp

/*
 * rv_enter_user(arch_regs_t *r): loads every register from r and returns to user mode at
 * r->pc. The caller has set sstatus (SPP = user, SPIE = 1). sscratch = r: the next trap
 * from user mode saves the registers straight into r.
 */
    .global rv_enter_user
rv_enter_user:
    csrw sscratch, a0
    ld t0, OFF_PC(a0)
    csrw sepc, t0
    ld sp, OFF_SP(a0)
    LOAD_GPRS a0, 10
    ld a0, OFF_A0(a0)
    sret

    .bss
    .balign 16
rv_overflow_stack:
    .skip 4096
rv_overflow_stack_top:

/* The one kernel stack (16 KiB): boot runs on it, and every trap from user mode starts
 * again at its top. The linker script puts the guard page below it. */
    .section .kstack, "aw", @nobits
    .balign 4096
    .global arch_boot_stack_bottom
arch_boot_stack_bottom:
    .skip 16384
    .global arch_boot_stack_top
arch_boot_stack_top:
