/*
 * User-side IPC: the message syscalls, capabilities and threads of ipc/ipc.h as C calls
 * (ipc/user/ipc.c over the per-architecture stub arch/<arch>/user/ipc.S).
 *
 * A message is an ipc_msg_t: the info word (ipc_info(label, length), optionally with a
 * capability), the badge (set by the kernel on receipt) and the words that travel in
 * registers; words IPC_MSG_REGS.. of a longer message are in the caller's IPC buffer
 * (ipc_set_ipc_buffer). Every call overwrites *m with what the kernel returned: the
 * received message after recv, call and reply_recv, unspecified after send and reply.
 */
#pragma once

#include <stdint.h>

#include <ipc/ipc.h>
#include <ipc/user.h>

typedef struct ipc_msg {
    uint64_t badge; /* received: the badge of the sender's capability (0 for a reply) */
    uint64_t info;  /* ipc_info(label, length) [| capability] */
    uint64_t w[IPC_MSG_REGS];
} ipc_msg_t;

_Static_assert(sizeof(ipc_msg_t) == (2 + IPC_MSG_REGS) * 8 && IPC_MSG_REGS == 6,
               "the stubs move eight words");

/* The raw message syscall (arch/<arch>/user/ipc.S); returns the ipc_err_t. */
uint64_t ipc_msg_syscall(uint64_t nr, uint64_t slot, ipc_msg_t *m);
/* The architecture's cycle counter as user mode reads it, and its name ("rdtsc",
 * "rdcycle"). Under QEMU's -icount it counts instructions (tools/qemu-bench.sh). */
uint64_t ipc_cycles(void);
extern const char ipc_cycles_name[];

/* Sends *m through the endpoint in slot; waits until a receiver takes it. */
ipc_err_t ipc_send(uint64_t slot, ipc_msg_t *m);
/* Waits for a message on the endpoint in slot; *m receives it. */
ipc_err_t ipc_recv(uint64_t slot, ipc_msg_t *m);
/* Sends *m and waits for the reply, which replaces *m. */
ipc_err_t ipc_call(uint64_t slot, ipc_msg_t *m);
/* Answers the last caller with *m (one reply per call). */
ipc_err_t ipc_reply(ipc_msg_t *m);
/* Answers the last caller (if any) with *m, then waits on slot; *m receives the next. */
ipc_err_t ipc_reply_recv(uint64_t slot, ipc_msg_t *m);

/* A new endpoint in empty slot (all rights, badge 0). */
ipc_err_t ipc_endpoint_create(uint64_t slot);
/* Copies src to empty dst keeping only rights; badge != 0 badges an unbadged endpoint. */
ipc_err_t ipc_cap_copy(uint64_t src, uint64_t dst, uint32_t rights, uint64_t badge);
/* Empties slot. */
ipc_err_t ipc_cap_delete(uint64_t slot);
/* The kind (IPC_CAP_*) and rights (IPC_RIGHT_*) in slot: value = kind | rights << 8. */
ipc_ret_t ipc_cap_identify(uint64_t slot);
/* Stops the thread in slot wherever it is. */
ipc_err_t ipc_thread_kill(uint64_t slot);
/* Sends the faults of the thread in slot to the endpoint in ep_slot (IPC_SLOT_NONE: none). */
ipc_err_t ipc_thread_set_fault(uint64_t slot, uint64_t ep_slot);
/* Sets the priority of the thread in slot (at most the caller's). */
ipc_err_t ipc_thread_set_priority(uint64_t slot, uint32_t prio);
/* Makes b (page-aligned, writable) the caller's IPC buffer; NULL: none. */
ipc_err_t ipc_set_ipc_buffer(ipc_buffer_t *b);
/* Does nothing in the kernel: the cost of a syscall (benchmarks). */
ipc_err_t ipc_null(void);
/* Stops the machine with status through the halt capability in slot (only the root program
 * of the boot archive is given one); returns only with the kernel's error. */
ipc_err_t ipc_halt(uint64_t slot, uint64_t status);
