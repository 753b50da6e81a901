/*
 * x86_64 user entry. The kernel starts a thread at _start with rsp at the top of its stack
 * (ARCH_USER_STACK_TOP) and every other register zero but rdi. Align the stack as the
 * System V ABI wants at a call (3.4.1), run main, exit with what it returned.
 */
    .text
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call main
    mov %eax, %edi
    call ipc_exit
    ud2
