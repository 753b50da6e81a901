/* The client of bench_ipc.h: times the null syscall, the call and the reply. */
#include "bench_ipc.h"

static uint64_t calls[BENCH_SAMPLES], replies[BENCH_SAMPLES], nulls[BENCH_SAMPLES],
    reads[BENCH_SAMPLES];

/* Sorts v[0..n) (Shell's method with Ciura's gaps: no recursion, no allocation). */
static void sort(uint64_t *v, unsigned n) {
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

/* Prints one figure's distribution: min, median, p10, p90, max. */
static void report(const char *what, uint64_t *v) {
    sort(v, BENCH_SAMPLES);
    ipc_printf("bench %s: median %llu min %llu p10 %llu p90 %llu max %llu (%u samples, %s)\n", what,
               (unsigned long long)v[BENCH_SAMPLES / 2], (unsigned long long)v[0],
               (unsigned long long)v[BENCH_SAMPLES / 10],
               (unsigned long long)v[BENCH_SAMPLES * 9 / 10],
               (unsigned long long)v[BENCH_SAMPLES - 1], BENCH_SAMPLES, ipc_cycles_name);
}

/* Times two counter reads and the null syscall. */
static void time_null(void) {
    for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
        uint64_t a = ipc_cycles();
        uint64_t b = ipc_cycles();
        ipc_null();
        uint64_t c = ipc_cycles();
        if (i >= BENCH_WARMUP) {
            reads[i - BENCH_WARMUP] = b - a;
            nulls[i - BENCH_WARMUP] = c - b;
        }
    }
}

/* Times call (client before -> server after) and reply (server before -> client after). */
static void time_ipc(uint64_t ep) {
    for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
        ipc_msg_t m = {.info = ipc_info(BENCH_LABEL, 1), .w = {i}};
        uint64_t before = ipc_cycles();
        ipc_err_t e = ipc_call(ep, &m);
        uint64_t after = ipc_cycles();
        if (e != IPC_OK) {
            ipc_test_die("bench call", e);
        }
        if (i >= BENCH_WARMUP) {
            calls[i - BENCH_WARMUP] = m.w[0] - before;
            replies[i - BENCH_WARMUP] = after - m.w[1];
        }
    }
    ipc_msg_t stop = {.info = ipc_info(BENCH_STOP, 0)};
    ipc_call(ep, &stop);
}

/* Runs both and prints the figures. */
int main(void) {
    uint64_t ep = ns_lookup("bench");
    time_null();
    time_ipc(ep);
    report("counter_read", reads);
    report("null_syscall", nulls);
    report("ipc_call_oneway", calls);
    report("ipc_reply_oneway", replies);
    return 0;
}
