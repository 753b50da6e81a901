/*
 * A stand-in for Criterion's assertion macros, so that the host tests' infrastructure
 * (tests/unit/ptt_*.c, tests/mmserver/mmt_env.c) and the libpt model (tests/unit/
 * test_model.c) compile unchanged into a fuzz harness: a failed assertion is a finding
 * (fz_fail: message, then abort). Test() definitions become unused functions; the fuzz
 * harness calls the model's functions itself.
 */
#pragma once

#include "../../fz.h"

#include <stdbool.h>
#include <stdio.h>

#define cr_assert(cond, ...)       FZ_CHECK(cond, __VA_ARGS__)
#define cr_expect(cond, ...)       FZ_CHECK(cond, __VA_ARGS__)
#define cr_assert_eq(a, b, ...)    FZ_CHECK((a) == (b), __VA_ARGS__)
#define cr_expect_eq(a, b, ...)    FZ_CHECK((a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...)   FZ_CHECK((a) != (b), __VA_ARGS__)
#define cr_assert_fail(...)        fz_fail(__FILE__, __LINE__, "cr_assert_fail", "" __VA_ARGS__)
#define Test(suite, name)          __attribute__((unused)) static void fz_unused_##suite##_##name(void)
#define cr_expect_neq(a, b, ...)   FZ_CHECK((a) != (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...)    FZ_CHECK((a) < (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...)   FZ_CHECK((a) <= (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...)    FZ_CHECK((a) > (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...)   FZ_CHECK((a) >= (b), __VA_ARGS__)
#define cr_assert_null(p, ...)     FZ_CHECK((p) == NULL, __VA_ARGS__)
#define cr_assert_not_null(p, ...) FZ_CHECK((p) != NULL, __VA_ARGS__)
