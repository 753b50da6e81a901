/*
 * Sorting and reporting for the benchmark programs that run under the real kernel: every
 * figure is printed as one "bench KEY: median ..." line, the format tools/qemu-bench.sh and
 * tools/bench-report.sh read.
 */
#pragma once

#include <ipc/ipc_user.h>

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
 * counter is (tools/qemu-bench.sh replaces that with what it counted in this run). */
static inline void bench_report(const char *key, uint64_t *v, unsigned n) {
    bench_sort(v, n);
    ipc_printf("bench %s: median %llu min %llu p10 %llu p90 %llu max %llu (%u samples, %s)\n", key,
               (unsigned long long)v[n / 2], (unsigned long long)v[0],
               (unsigned long long)v[n / 10], (unsigned long long)v[n * 9 / 10],
               (unsigned long long)v[n - 1], n, ipc_cycles_name);
}
