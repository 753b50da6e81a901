/*
 * The kernel ABI shared by the kernel and every user program, identical on every
 * architecture: syscall numbers, typed error codes and fault kinds.
 *
 * Calling convention (the register mapping is the architecture's; the meaning is not):
 *   x86_64:  `syscall`, number in rax, arguments rdi rsi rdx r10 r8 r9,
 *            error in rax, value in rdx; rcx and r11 are clobbered, all else preserved.
 *   riscv64: `ecall`, number in a7, arguments a0..a5, error in a0, value in a1.
 * Every syscall returns an ipc_err_t (IPC_OK on success) and at most one value word.
 *
 * Numbers are never reused: a removed call keeps its number, reserved. The IPC calls
 * (endpoints, capabilities, threads) are numbered from IPC_SYS_IPC_FIRST in ipc/ipc.h.
 */
#pragma once

#include <stdint.h>

/* Syscall numbers. */
enum ipc_sys {
    IPC_SYS_DEBUG_WRITE = 0, /* (buf, len): write len bytes to the debug console */
    IPC_SYS_EXIT = 1,        /* (status): end the calling process; does not return */
    IPC_SYS_YIELD = 2,       /* (): give the CPU to the next runnable thread */
    /* 3: reserved (was IPC_SYS_TEST_EXPECT; test verdicts are the runner's, a user program) */
    IPC_SYS_IPC_FIRST = 16, /* first of the IPC calls: ipc/ipc.h */
};

/* Typed errors, returned by every syscall. */
typedef enum ipc_err {
    IPC_OK = 0,
    IPC_ERR_INVALID_SYSCALL = 1,  /* no syscall has this number */
    IPC_ERR_INVALID_ARGUMENT = 2, /* an argument is out of its range (e.g. length too large) */
    IPC_ERR_BAD_ADDRESS = 3,      /* a buffer is not entirely mapped, user-readable memory */
    IPC_ERR_NO_MEMORY = 4,        /* the kernel or the caller's quota ran out */
    IPC_ERR_INVALID_CAP = 5,      /* slot out of the table, empty, or naming a dead thread */
    IPC_ERR_WRONG_CAP = 6,        /* the slot holds a capability of another kind */
    IPC_ERR_NO_RIGHTS = 7,        /* the capability lacks a right the operation needs */
    IPC_ERR_NO_REPLY = 8,         /* no reply right: replied already, or the caller is gone */
    IPC_ERR_SLOT_FULL = 9,        /* the destination slot is not empty */
    IPC_ERR_ABORTED = 10,         /* the endpoint was destroyed, or the partner died, meanwhile */
    IPC_ERR_COUNT_
} ipc_err_t;

/* The most bytes one IPC_SYS_DEBUG_WRITE accepts. */
#define IPC_DEBUG_WRITE_MAX 4096u

/* What a user fault was, in architecture-neutral terms (x86 vector / riscv scause are
 * reported beside it). Fault messages to mmserver (issue 6) carry the same kinds. */
typedef enum ipc_fault_kind {
    IPC_FAULT_NONE = 0,
    IPC_FAULT_PAGE = 1,       /* access to an unmapped page or against its permissions */
    IPC_FAULT_PRIVILEGED = 2, /* privileged instruction or protection violation (x86 #GP) */
    IPC_FAULT_ILLEGAL = 3,    /* undefined instruction */
    IPC_FAULT_ARITH = 4,      /* divide error, floating-point or SIMD exception */
    IPC_FAULT_DEBUG = 5,      /* breakpoint or debug trap */
    IPC_FAULT_ALIGN = 6,      /* misaligned access the hardware refuses */
    IPC_FAULT_OTHER = 7,      /* any other exception */
    IPC_FAULT_COUNT_
} ipc_fault_kind_t;

/* How a page fault accessed memory (bits, several may be set). */
enum {
    IPC_ACCESS_READ = 1u << 0,
    IPC_ACCESS_WRITE = 1u << 1,
    IPC_ACCESS_EXEC = 1u << 2,
};
