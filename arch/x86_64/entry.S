/*
 * x86_64 kernel entry and exit. Every way in from user mode builds the same frame
 * (arch_regs_t: general registers, vector, error code, iretq frame) straight in the running
 * thread's arch_regs_t (TSS.rsp0 and x86_syscall_frame_end point at its end), so nothing is
 * copied, and hands its address to C on the one kernel stack. Every way out starts
 * from a thread's arch_regs_t: iretq in general, sysretq when the thread is returning from
 * a syscall with rcx/r11 intact (the fast path; arch_user_enter decides).
 *
 * Interrupts are off in the kernel: interrupt gates clear IF, and IA32_FMASK clears it on
 * syscall. Single CPU for now: syscall parks the user rsp in a global; an SMP kernel will
 * swapgs to a per-CPU area instead.
 */

#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define VEC_SYSCALL 0x100

/* Pushes the general registers so that, with what the CPU and the stub pushed, rsp
 * points at an arch_regs_t (machine.h: r15 first, rax last before the vector). */
.macro SAVE_GPRS
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
.endm

.macro RESTORE_GPRS
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
.endm

/* One stub per vector: the CPU pushes an error code for 8, 10-14, 17, 21, 29, 30
 * (SDM 3A 6.13); the other stubs push 0 so every frame has the same shape. */
.macro VECTOR_STUB n
    .balign 16
x86_vec_\n:
    .if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
    push $0
    .endif
    push $\n
    jmp x86_trap_common
.endm

    .text
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    VECTOR_STUB \n
.endr

    .section .rodata
    .balign 8
    .global x86_vector_stubs
x86_vector_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad x86_vec_\n
.endr

    .text
/* Vectors 48..255: nothing should raise them; report them as vector 255. */
    .global x86_default_stub
    .balign 16
x86_default_stub:
    push $0
    push $255
    jmp x86_trap_common

/* From user mode the CPU switched to TSS.rsp0, the end of the running thread's arch_regs_t
 * (arch_user_enter), so the whole frame is already the thread's: C then runs on the kernel
 * stack, from its top. From kernel mode (no stack switch) the frame is on the kernel stack
 * and C runs below it. */
x86_trap_common:
    SAVE_GPRS
    cld
    mov %rsp, %rdi
    testb $3, 144(%rsp)     /* the frame's cs: RPL 3 when it came from user mode */
    jz 1f
    lea arch_boot_stack_top(%rip), %rsp
1:  call x86_trap           /* returns only for an interrupt that hit the kernel (idle) */
    RESTORE_GPRS
    add $16, %rsp           /* vector, error code */
    iretq

/*
 * syscall (SDM 2B "SYSCALL"): rcx = user rip, r11 = user rflags, CS/SS from IA32_STAR,
 * rsp still the user's. Build the same frame an interrupt would, but straight in the
 * running thread's arch_regs_t (x86_syscall_frame_end, set by arch_user_enter), so that
 * saving is the pushes and nothing is copied; then move to the kernel stack for C.
 * Interrupts stay off throughout (IA32_FMASK), so nothing else uses that frame meanwhile.
 */
    .global x86_syscall_entry
    .balign 16
x86_syscall_entry:
    mov %rsp, x86_user_rsp_scratch(%rip)
    mov x86_syscall_frame_end(%rip), %rsp
    push $SEL_UDATA                     /* ss */
    push x86_user_rsp_scratch(%rip)     /* rsp */
    push %r11                           /* rflags */
    push $SEL_UCODE                     /* cs */
    push %rcx                           /* rip */
    push $0                             /* error code */
    push $VEC_SYSCALL                   /* vector */
    SAVE_GPRS
    cld
    mov %rsp, %rdi                      /* the thread's arch_regs_t */
    lea arch_boot_stack_top(%rip), %rsp
    call x86_syscall                    /* does not return */
    ud2

/* x86_enter_iret(const arch_regs_t *r): restores every register from r and irets.
 * rsp walks through r itself (interrupts are off); the next entry uses TSS.rsp0. */
    .global x86_enter_iret
x86_enter_iret:
    mov %rdi, %rsp
    RESTORE_GPRS
    add $16, %rsp
    iretq

/* x86_enter_sysret(const arch_regs_t *r): the same for a thread whose r->rcx == r->rip
 * and r->r11 == r->rflags with a canonical user rip (checked by the caller: sysret to a
 * non-canonical rip faults in ring 0 with the user's rsp). */
    .global x86_enter_sysret
x86_enter_sysret:
    mov %rdi, %rsp
    RESTORE_GPRS
    mov 40(%rsp), %rsp                  /* r->rsp: 5 words past the vector */
    sysretq

    .bss
    .balign 8
x86_user_rsp_scratch:
    .quad 0
    .global x86_syscall_frame_end
x86_syscall_frame_end:                  /* one past the running thread's arch_regs_t */
    .quad 0

/* The one kernel stack (16 KiB): boot runs on it, and every entry from user mode starts
 * again at its top (TSS.rsp0, and x86_syscall_entry). The linker script puts the guard
 * page below it. */
    .section .kstack, "aw", @nobits
    .balign 4096
    .global arch_boot_stack_bottom
arch_boot_stack_bottom:
    .skip 16384
    .global arch_boot_stack_top
arch_boot_stack_top:
