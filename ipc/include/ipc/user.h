/*
 * The user runtime: what every user program (mmserver, tests, demos) links. Entry code
 * (crt0) calls `int main(void)` and exits with its result; these are the syscall stubs and
 * a debug print. See ipc/README.md for the layout.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <ipc/abi.h>

/* What a syscall returns: an ipc_err_t and one value word (rax/rdx, a0/a1). */
typedef struct ipc_ret {
    uint64_t err;
    uint64_t value;
} ipc_ret_t;

/* The raw syscall: number nr with six arguments (arch/<arch>/user/syscall.S). */
ipc_ret_t ipc_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5);

/* Zeroes pages whole 4 KiB pages from dst (page-aligned) the fastest way the machine has
 * (arch/<arch>/user/mem.S: x86_64 rep stosq, riscv64 64-byte rounds of stores). */
void ipc_zero_pages(void *dst, uint64_t pages);

/* Writes len bytes of buf to the debug console. IPC_ERR_BAD_ADDRESS when any byte is not
 * mapped readable user memory, IPC_ERR_INVALID_ARGUMENT above IPC_DEBUG_WRITE_MAX. */
ipc_err_t ipc_debug_write(const void *buf, size_t len);

/* Ends this process with status (0: success). */
_Noreturn void ipc_exit(int status);

/* Lets other threads run. */
void ipc_yield(void);

/* Prints a string, or printf-style text (mmlib/fmt.h conversions), on the debug console. */
void ipc_puts(const char *s);
void ipc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ipc_printf with a va_list; returns the bytes formatted (printf of ipc/ulib.h). */
size_t ipc_vprintf(const char *fmt, va_list ap);

/* The name of error e ("ok", "bad address", ...). */
const char *ipc_strerror(uint64_t e);

/* The program's entry point, called by crt0. */
int main(void);
