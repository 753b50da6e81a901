/*
 * Bad syscalls get typed errors, never a kill: unknown numbers, and debug writes from
 * kernel, unmapped, non-canonical, wrapping or straddling buffers, or too long.
 */
#include <ipc/ipc.h>

#include "test.h"

static char big[IPC_DEBUG_WRITE_MAX + 1];

/* Checks the errors of calls that name no valid syscall. */
static void check_numbers(int *failures) {
    ipc_ret_t r = ipc_syscall(9999, 0, 0, 0, 0, 0, 0);
    TEST_CHECK(failures, r.err == IPC_ERR_INVALID_SYSCALL, "number 9999: %s", ipc_strerror(r.err));
    r = ipc_syscall(IPC_SYS_IPC_END_, 0, 0, 0, 0, 0, 0);
    TEST_CHECK(failures, r.err == IPC_ERR_INVALID_SYSCALL, "first unused number: %s",
               ipc_strerror(r.err));
    r = ipc_syscall(~0ull, 0, 0, 0, 0, 0, 0);
    TEST_CHECK(failures, r.err == IPC_ERR_INVALID_SYSCALL, "number ~0: %s", ipc_strerror(r.err));
    r = ipc_syscall(3, IPC_FAULT_PAGE, 0, 0, 0, 0, 0);
    TEST_CHECK(failures, r.err == IPC_ERR_INVALID_SYSCALL,
               "number 3 (the old test-expect call) is reserved: %s", ipc_strerror(r.err));
}

/* Checks that debug writes of buffers the caller may not read fail with a bad address. */
static void check_buffers(int *failures) {
    const struct {
        const char *what;
        uint64_t va;
        uint64_t len;
    } bad[] = {
        {"kernel address", TEST_KERNEL_ADDRESS, 8},
        {"unmapped buffer", 0x10000000ull, 8},
        {"null pointer", 0, 1},
        {"non-canonical", TEST_NONCANONICAL_ADDRESS, 8},
        {"wrapping range", ~0ull - 3, 8},
        {"straddling the stack top", TEST_USER_STACK_TOP - 4, 8},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ipc_err_t e = ipc_debug_write((const void *)(uintptr_t)bad[i].va, bad[i].len);
        TEST_CHECK(failures, e == IPC_ERR_BAD_ADDRESS, "%s: %s", bad[i].what, ipc_strerror(e));
    }
    ipc_err_t e = ipc_debug_write(big, sizeof(big));
    TEST_CHECK(failures, e == IPC_ERR_INVALID_ARGUMENT, "too long: %s", ipc_strerror(e));
    ipc_ret_t r =
        ipc_syscall(IPC_SYS_DEBUG_WRITE, (uint64_t)(uintptr_t) "  good write\n", 13, 0, 0, 0, 0);
    TEST_CHECK(failures, r.err == IPC_OK && r.value == 13, "good write: %s, %llu",
               ipc_strerror(r.err), (unsigned long long)r.value);
}

/* Runs both groups; exits with the number of failed checks. */
int main(void) {
    int failures = 0;
    check_numbers(&failures);
    check_buffers(&failures);
    return failures;
}
