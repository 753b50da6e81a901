/*
 * Helpers shared by the scenario programs. A program either exits 0 (its checks passed),
 * exits non-zero after printing why, or declares with ipc_test_expect() the fault it is
 * about to take; the kernel judges which happened and prints the verdict.
 */
#pragma once

#include <ipc/user.h>

#include "arch_test.h"

/* Prints a failed check and counts it in *failures. */
#define TEST_CHECK(failures, cond, ...)                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ipc_printf("  check failed (%s:%d): ", __FILE__, __LINE__);                            \
            ipc_printf(__VA_ARGS__);                                                               \
            ipc_printf("\n");                                                                      \
            (*(failures))++;                                                                       \
        }                                                                                          \
    } while (0)

/* Declares the fault this program is about to take, or exits with a failure. */
static inline void test_expect(ipc_fault_kind_t kind) {
    if (ipc_test_expect(kind, 0) != IPC_OK) {
        ipc_puts("  could not declare the expected fault\n");
        ipc_exit(2);
    }
}

/* Declares the page fault (with its access, IPC_ACCESS_*) this program is about to take. */
static inline void test_expect_page(uint32_t access) {
    if (ipc_test_expect(IPC_FAULT_PAGE, access) != IPC_OK) {
        ipc_puts("  could not declare the expected fault\n");
        ipc_exit(2);
    }
}
