/*
 * The syscall table: one handler per number of ipc/abi.h, and the IPC calls of ipc/ipc.h
 * (ipc_sys.c), tried after the IPC fast path. A handler receives the calling thread and
 * the six argument words, returns a typed error, and may set one value word (or defers
 * its result to the exit, KERN_SYSCALL_DEFERRED). A number without a handler is
 * IPC_ERR_INVALID_SYSCALL, never a kill.
 */
#include "kern.h"

/* Writes a user buffer to the console, prefixed with the program's name at line starts
 * so interleaved output stays readable. */
static ipc_err_t sys_debug_write(kern_thread_t *t, const uint64_t a[6], uint64_t *value) {
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
static ipc_err_t sys_exit(kern_thread_t *t, const uint64_t a[6], uint64_t *value) {
    (void)value;
    t->exit_status = a[0];
    kern_report_exit(t, a[0]);
    kern_thread_end(t);
    return IPC_OK;
}

/* Lets the next ready thread run. */
static ipc_err_t sys_yield(kern_thread_t *t, const uint64_t a[6], uint64_t *value) {
    (void)t;
    (void)a;
    (void)value;
    kern_yield();
    return IPC_OK;
}

/* Records the fault kind a[0] (and for page faults the access bits a[1], 0: any) the
 * caller expects to die of; the report compares (tests). */
static ipc_err_t sys_test_expect(kern_thread_t *t, const uint64_t a[6], uint64_t *value) {
    (void)value;
    const uint64_t access_all = IPC_ACCESS_READ | IPC_ACCESS_WRITE | IPC_ACCESS_EXEC;
    if (a[0] == IPC_FAULT_NONE || a[0] >= IPC_FAULT_COUNT_ || (a[1] & ~access_all)) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    t->expect_fault = (uint32_t)a[0];
    t->expect_access = (uint32_t)a[1];
    return IPC_OK;
}

static const kern_syscall_fn syscall_table[] = {
    [IPC_SYS_DEBUG_WRITE] = sys_debug_write,
    [IPC_SYS_EXIT] = sys_exit,
    [IPC_SYS_YIELD] = sys_yield,
    [IPC_SYS_TEST_EXPECT] = sys_test_expect,
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
    uint64_t a[6];
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
