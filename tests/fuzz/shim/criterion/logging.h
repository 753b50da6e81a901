/*
 * Criterion's log calls in a fuzz harness: printed only with FZ_TRACE (a fuzzer's output
 * would drown in them otherwise).
 */
#pragma once

#include "../../fz.h"

#include <stdio.h>

#define cr_log_info(...)                                                                           \
    (fz_trace() ? (void)(fprintf(stderr, __VA_ARGS__), fputc('\n', stderr)) : (void)0)
#define cr_log_error(...) cr_log_info(__VA_ARGS__)
