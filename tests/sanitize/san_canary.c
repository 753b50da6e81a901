/*
 * The sanitizer tree's canary (tests/sanitize/README.md): one Criterion test per kind of
 * finding, each with its bug on purpose, and one without. san-canary.sh runs them one by one
 * and passes only if each buggy test fails its binary with the matching report and the clean
 * one passes, so that the tree's flags and ASAN_OPTIONS / UBSAN_OPTIONS are shown to catch
 * what they are there for, under Criterion's own workers.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>

/* A block nobody frees: LeakSanitizer reports it when the worker exits, after the test. */
Test(canary, leak) {
    char *volatile p = malloc(64);
    p[0] = 1;
    p = NULL;
    cr_log_info("canary leak: 64 bytes dropped without free");
}

/* One byte written past an 8-byte block: AddressSanitizer stops the worker there. */
Test(canary, heap_overflow) {
    char *volatile p = malloc(8);
    volatile size_t i = 8;
    p[i] = 1;
    free(p);
    cr_log_info("canary heap_overflow: byte 8 of an 8-byte block written");
}

/* A signed overflow: UndefinedBehaviorSanitizer stops the worker there. */
Test(canary, undefined) {
    volatile int x = INT_MAX;
    x = x + 1;
    cr_log_info("canary undefined: INT_MAX + 1 gave %d", x);
}

/* The same kinds of work, done right: must pass, or the other three prove nothing. */
Test(canary, clean) {
    char *volatile p = malloc(8);
    volatile int x = INT_MAX - 1;
    p[7] = 1;
    x = x + 1;
    free(p);
    cr_assert_eq(x, INT_MAX);
    cr_log_info("canary clean: in-bounds write, freed block, no overflow");
}
