/*
 * Helpers shared by the scenario programs. A program either exits 0 (its checks passed),
 * exits non-zero after printing why, or takes the fault the test runner expects of it
 * (tests/qemu/runner.c, its table of expectations); the runner judges and prints the verdict.
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
