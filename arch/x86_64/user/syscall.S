/*
 * ipc_ret_t ipc_syscall(nr, a0, a1, a2, a3, a4, a5): the x86_64 syscall stub.
 * System V passes nr..a4 in rdi rsi rdx rcx r8 r9 and a5 on the stack; the kernel ABI
 * (ipc/abi.h) wants nr in rax and a0..a5 in rdi rsi rdx r10 r8 r9 (rcx is taken by
 * syscall). The kernel answers in rax (error) and rdx (value): exactly how System V
 * returns a two-word struct (3.2.3), so ipc_ret_t needs no glue.
 */
    .text
    .global ipc_syscall
ipc_syscall:
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
    syscall
    ret
