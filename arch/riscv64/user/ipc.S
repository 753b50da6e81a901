/*
 * uint64_t ipc_msg_syscall(uint64_t nr, uint64_t slot, ipc_msg_t *m): the riscv64 stub of
 * the message syscalls (ipc/ipc.h, ipc/README.md "IPC registers"). In: nr in a7, slot in
 * a0, m->info in a1, m->w[0..5] in a2..a6 and t1. Out: error in a0; badge, info, w[0..5]
 * in a1..a7 and t1, stored back into *m (m->badge first: ipc_msg_t's layout). t0 keeps m
 * across the ecall: the kernel restores every register but its outputs.
 *
 * uint64_t ipc_cycles(void): rdcycle (the kernel lets user mode read it, scounteren.CY).
 */
    .text
    .global ipc_msg_syscall
ipc_msg_syscall:
    mv t0, a2
    mv a7, a0
    mv a0, a1
    ld a1, 8(t0)
    ld a2, 16(t0)
    ld a3, 24(t0)
    ld a4, 32(t0)
    ld a5, 40(t0)
    ld a6, 48(t0)
    ld t1, 56(t0)
    ecall
    sd a1, 0(t0)
    sd a2, 8(t0)
    sd a3, 16(t0)
    sd a4, 24(t0)
    sd a5, 32(t0)
    sd a6, 40(t0)
    sd a7, 48(t0)
    sd t1, 56(t0)
    ret

    .global ipc_cycles
ipc_cycles:
    rdcycle a0
    ret

    .section .rodata
    .global ipc_cycles_name
ipc_cycles_name:
    .asciz "rdcycle"
