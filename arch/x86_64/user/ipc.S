/*
 * uint64_t ipc_msg_syscall(uint64_t nr, uint64_t slot, ipc_msg_t *m): the x86_64 stub of
 * the message syscalls (ipc/ipc.h, ipc/README.md "IPC registers"). In: slot in rdi, m->info
 * in rsi, m->w[0..3] in rdx r10 r8 r9. Out: error in rax; badge, info, w[0..3] in rdi rsi
 * rdx r10 r8 r9, stored back into *m (m->badge first: ipc_msg_t's layout). rbx keeps m
 * across the syscall: the kernel preserves every register but rcx, r11 and its outputs.
 *
 * uint64_t ipc_cycles(void): the time-stamp counter, readable in user mode (CR4.TSD clear).
 */
    .text
    .global ipc_msg_syscall
ipc_msg_syscall:
    push %rbx
    mov %rdx, %rbx
    mov %rdi, %rax
    mov %rsi, %rdi
    mov 8(%rbx), %rsi
    mov 16(%rbx), %rdx
    mov 24(%rbx), %r10
    mov 32(%rbx), %r8
    mov 40(%rbx), %r9
    syscall
    mov %rdi, 0(%rbx)
    mov %rsi, 8(%rbx)
    mov %rdx, 16(%rbx)
    mov %r10, 24(%rbx)
    mov %r8, 32(%rbx)
    mov %r9, 40(%rbx)
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
