/* The client of bench_ipc.h: times the null syscall, the call and the reply. */
#include "bench_ipc.h"
#include "bench_stats.h"

static uint64_t calls[BENCH_SAMPLES], replies[BENCH_SAMPLES], nulls[BENCH_SAMPLES],
    reads[BENCH_SAMPLES];

/* Prints one figure's distribution. */
static void report(const char *what, uint64_t *v) {
    bench_report(what, v, BENCH_SAMPLES);
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
