/*
 * Sorting and reporting for the benchmark programs that run under the real kernel: every
 * figure is printed as one "bench KEY: median ..." line, the format tools/qemu-bench.sh and
 * tools/bench-report.sh read.
 *
 * Profiling (tools/profile.sh, `make profile`): every measured group of figures brackets its
 * first kept sample with bench_profile_begin and bench_profile_end, naming the keys that
 * sample gives. profile.sh stops QEMU at the begin mark of the group holding the key it is
 * asked for (a gdb breakpoint), turns QEMU's execution log on there and off at the end mark,
 * and cuts the log at each execution of a program's counter read (ipc_cycles). Which reads
 * bound a figure, counted from 1 at the begin mark across every program of the image, and
 * the first kept sample's own value are printed by bench_report in a "profile KEY:" line,
 * so that the profile can be checked against the figure it explains. The marks run outside
 * every timed interval: they change no figure.
 */
#pragma once

#include <ipc/ipc_user.h>

/* The begin mark: does nothing, but must stay a call at its own address (profile.sh puts a
 * breakpoint there and reads keys from the first argument register). */
__attribute__((noinline, used)) static void bench_profile_begin(const char *keys) {
    __asm__ volatile("" : : "r"(keys) : "memory");
}

/* The end mark of the group begun with the same keys; as bench_profile_begin. */
__attribute__((noinline, used)) static void bench_profile_end(const char *keys) {
    __asm__ volatile("" : : "r"(keys) : "memory");
}

/* Sorts v[0..n) (Shell's method with Ciura's gaps: no recursion, no allocation). */
static inline void bench_sort(uint64_t *v, unsigned n) {
    static const unsigned gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (unsigned g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
        for (unsigned i = gaps[g]; i < n; i++) {
            uint64_t x = v[i];
            unsigned j = i;
            for (; j >= gaps[g] && v[j - gaps[g]] > x; j -= gaps[g]) {
                v[j] = v[j - gaps[g]];
            }
            v[j] = x;
        }
    }
}

/* Prints the distribution of v[0..n) under key: median, min, p10, p90, max, and what the
 * counter is (tools/qemu-bench.sh replaces that with what it counted in this run). Before
 * that, the profile line: the first kept sample v[0] (the one between the profile marks)
 * and the counter reads first_read..last_read that bound it. => v unsorted, as measured. */
static inline void bench_report(const char *key, uint64_t *v, unsigned n, unsigned first_read,
                                unsigned last_read) {
    ipc_printf("profile %s: reads %u-%u sample %llu\n", key, first_read, last_read,
               (unsigned long long)v[0]);
    bench_sort(v, n);
    ipc_printf("bench %s: median %llu min %llu p10 %llu p90 %llu max %llu (%u samples, %s)\n", key,
               (unsigned long long)v[n / 2], (unsigned long long)v[0],
               (unsigned long long)v[n / 10], (unsigned long long)v[n * 9 / 10],
               (unsigned long long)v[n - 1], n, ipc_cycles_name);
}
