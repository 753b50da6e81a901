/*
 * ipc_ret_t ipc_syscall(nr, a0, a1, a2, a3, a4, a5): the riscv64 syscall stub.
 * The psABI passes nr..a5 in a0..a6; the kernel ABI (ipc/abi.h) wants nr in a7 and the
 * arguments in a0..a5. The kernel answers in a0 (error) and a1 (value): exactly how the
 * psABI returns a two-word struct, so ipc_ret_t needs no glue.
 */
    .text
    .global ipc_syscall
ipc_syscall:
    mv a7, a0
    mv a0, a1
    mv a1, a2
    mv a2, a3
    mv a3, a4
    mv a4, a5
    mv a5, a6
    ecall
    ret
