/*
 * uint64_t ipc_msg_syscall(uint64_t nr, uint64_t slot, ipc_msg_t *m): the x86_64 stub of
 * the message syscalls (ipc/ipc.h, ipc/README.md "IPC registers"). In: slot in rdi, m->info
 * in rsi, m->w[0..5] in rdx r10 r8 r9 r12 r13. Out: error in rax; badge, info, w[0..5] in
 * rdi rsi rdx r10 r8 r9 r12 r13, stored back into *m (m->badge first: ipc_msg_t's layout).
 * rbx keeps m across the syscall: the kernel preserves every register but rcx, r11 and its
 * outputs. rbx, r12 and r13 are the caller's (callee-saved), so they are saved here.
 *
 * uint64_t ipc_cycles(void): the time-stamp counter, readable in user mode (CR4.TSD clear).
 */
    .text
    .global ipc_msg_syscall
ipc_msg_syscall:
    push %rbx
    push %r12
    push %r13
    mov %rdx, %rbx
    mov %rdi, %rax
    mov %rsi, %rdi
    mov 8(%rbx), %rsi
    mov 16(%rbx), %rdx
    mov 24(%rbx), %r10
    mov 32(%rbx), %r8
    mov 40(%rbx), %r9
    mov 48(%rbx), %r12
    mov 56(%rbx), %r13
    syscall
    mov %rdi, 0(%rbx)
    mov %rsi, 8(%rbx)
    mov %rdx, 16(%rbx)
    mov %r10, 24(%rbx)
    mov %r8, 32(%rbx)
    mov %r9, 40(%rbx)
    mov %r12, 48(%rbx)
    mov %r13, 56(%rbx)
    pop %r13
    pop %r12
    pop %rbx
    ret

    .global ipc_cycles
ipc_cycles:
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    ret

    .section .rodata
    .global ipc_cycles_name
ipc_cycles_name:
    .asciz "rdtsc"
