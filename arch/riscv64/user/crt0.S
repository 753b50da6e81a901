/*
 * riscv64 user entry. The kernel starts a thread at _start with sp at the top of its stack
 * (ARCH_USER_STACK_TOP) and every other register zero but a0. Align the stack as the
 * psABI wants (16 bytes), run main, exit with what it returned.
 */
    .text
    .global _start
_start:
    andi sp, sp, -16
    li ra, 0
    li s0, 0
    call main
    call ipc_exit           /* a0: main's result */
    unimp
