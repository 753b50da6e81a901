/* The client of bench_ipc.h: times the null syscall, the call and the reply. */
#include "bench_ipc.h"
#include "bench_stats.h"

static uint64_t calls[BENCH_SAMPLES], replies[BENCH_SAMPLES], nulls[BENCH_SAMPLES],
    reads[BENCH_SAMPLES];

/* Prints one figure's distribution; first..last: the counter reads of one round that bound
 * it (bench_stats.h). */
static void report(const char *what, uint64_t *v, unsigned first, unsigned last) {
    bench_report(what, v, BENCH_SAMPLES, first, last);
}

#define NULL_KEYS "counter_read null_syscall"
#define IPC_KEYS  "ipc_call_oneway ipc_reply_oneway"

/* Times two counter reads (reads 1-2 of a round) and the null syscall (reads 2-3). */
static void time_null(void) {
    for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
        if (i == BENCH_WARMUP) {
            bench_profile_begin(NULL_KEYS);
        }
        uint64_t a = ipc_cycles();
        uint64_t b = ipc_cycles();
        ipc_null();
        uint64_t c = ipc_cycles();
        if (i >= BENCH_WARMUP) {
            reads[i - BENCH_WARMUP] = b - a;
            nulls[i - BENCH_WARMUP] = c - b;
        }
        if (i == BENCH_WARMUP) {
            bench_profile_end(NULL_KEYS);
        }
    }
}

/* Times call (client before, read 1 -> server after, read 2) and reply (server before,
 * read 3 -> client after, read 4). */
static void time_ipc(uint64_t ep) {
    for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
        ipc_msg_t m = {.info = ipc_info(BENCH_LABEL, 1), .w = {i}};
        if (i == BENCH_WARMUP) {
            bench_profile_begin(IPC_KEYS);
        }
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
        if (i == BENCH_WARMUP) {
            bench_profile_end(IPC_KEYS);
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
    report("counter_read", reads, 1, 2);
    report("null_syscall", nulls, 2, 3);
    report("ipc_call_oneway", calls, 1, 2);
    report("ipc_reply_oneway", replies, 3, 4);
    return 0;
}
