/*
 * The syscall table: one handler per number of ipc/abi.h, and the IPC calls of ipc/ipc.h
 * (ipc_sys.c), tried after the IPC fast path. A handler receives the calling thread and
 * the six argument words, returns a typed error, and may set one value word (or defers
 * its result to the exit, KERN_SYSCALL_DEFERRED). A number without a handler is
 * IPC_ERR_INVALID_SYSCALL, never a kill.
 */
#include "kern.h"

/* Writes a user buffer (at most IPC_DEBUG_WRITE_MAX bytes, all mapped user-readable) to
 * the console as it is. */
static ipc_err_t sys_debug_write(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                 uint64_t *value) {
    static char buf[IPC_DEBUG_WRITE_MAX];
    uint64_t len = a[1];
    if (len > IPC_DEBUG_WRITE_MAX) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    ipc_err_t e = kern_copy_from_user(t->space, buf, a[0], (size_t)len);
    if (e != IPC_OK) {
        return e;
    }
    for (uint64_t i = 0; i < len; i++) {
        arch_console_putc(buf[i]);
    }
    *value = len;
    return IPC_OK;
}

/* Ends the calling process with status a[0]. */
static ipc_err_t sys_exit(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)value;
    t->exit_status = a[0];
    kern_printf("[kern] '%s' exited with status %lld\n", t->name, (long long)a[0]);
    kern_thread_end(t, MMPRIV_END_EXIT);
    return IPC_OK;
}

/* Lets the next ready thread run. */
static ipc_err_t sys_yield(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)t;
    (void)a;
    (void)value;
    kern_yield();
    return IPC_OK;
}

static const kern_syscall_fn syscall_table[] = {
    [IPC_SYS_DEBUG_WRITE] = sys_debug_write,
    [IPC_SYS_EXIT] = sys_exit,
    [IPC_SYS_YIELD] = sys_yield,
};

#define SYSCALL_COUNT (sizeof(syscall_table) / sizeof(syscall_table[0]))

/* The handler of syscall nr, or NULL. */
static kern_syscall_fn handler(uint64_t nr) {
    if (nr < SYSCALL_COUNT && syscall_table[nr]) {
        return syscall_table[nr];
    }
    kern_syscall_fn fn = kern_ipc_syscall(nr);
    return fn ? fn : kern_mm_syscall(nr);
}

/* See arch.h. */
void kern_syscall(arch_regs_t *r) {
    kern_thread_t *t = kern_current();
    uint64_t nr = arch_syscall_nr(r);
    uint64_t a[ARCH_SYSCALL_ARGS];
    arch_syscall_args(r, a);
    if (nr == IPC_SYS_CALL || nr == IPC_SYS_REPLY_RECV) {
        kern_ipc_fastpath(t, a, nr); /* returns only when the slow path must run */
    }
    kern_syscall_fn fn = handler(nr);
    if (!fn) {
        arch_syscall_set_result(r, IPC_ERR_INVALID_SYSCALL, 0);
        return;
    }
    uint64_t value = 0;
    ipc_err_t e = fn(t, a, &value);
    if (e != KERN_SYSCALL_DEFERRED) {
        arch_syscall_set_result(r, e, value);
    }
}
