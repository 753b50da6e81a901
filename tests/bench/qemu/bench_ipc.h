/*
 * The IPC benchmark under the real kernel (sel4bench's method). bench_client and
 * bench_server run in two address spaces at one priority; init (tests/qemu/init.c) only
 * introduces them. Each one-way trip is timed by two threads: the counter is read just
 * before the syscall in one (ipc_cycles, the user-readable counter: rdtsc on x86_64,
 * rdcycle on riscv64) and just after its return in the other, whose reading travels back
 * in the reply. A null syscall (IPC_SYS_NULL) is timed in one thread. BENCH_WARMUP rounds
 * are dropped, BENCH_SAMPLES kept; the client prints minimum, median, spread (10th and
 * 90th percentile, maximum) and the cost of two back-to-back counter reads, which every
 * figure includes once. What the counter counts depends on how QEMU runs: cycles under
 * KVM, instructions under TCG with -icount shift=0 (tools/qemu-bench.sh says which).
 */
#pragma once

#include "ipc_test.h"

#define BENCH_WARMUP  1000u
#define BENCH_SAMPLES 20000u
#define BENCH_LABEL   1u
#define BENCH_STOP    2u
