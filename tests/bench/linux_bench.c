/*
 * The Linux side of `make bench`: the same operations our kernel's benchmarks measure, on the
 * host Linux the bench runs on, with sel4bench's method: a warm-up, many samples, the
 * counter's own overhead measured and subtracted, median with min and max.
 *
 * Counter: the TSC read with rdtscp + lfence (x86_64). The TSC ticks at a constant rate,
 * not core cycles; we say so in the output. Where the TSC is absent (another host arch),
 * CLOCK_MONOTONIC nanoseconds are used and named as such.
 *
 * Usage: linux_bench [--json FILE] [--samples N]
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u

/* ---- the counter ------------------------------------------------------------------------ */

#if defined(__x86_64__)
static const char *const counter_name = "tsc";

/* Reads the TSC after every earlier instruction has finished and before any later one
 * starts (rdtscp waits for earlier ones; lfence holds back later ones). */
static inline uint64_t counter(void) {
    uint32_t lo, hi, aux;
    __asm__ volatile("rdtscp; lfence" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
    return ((uint64_t)hi << 32) | lo;
}
#else
static const char *const counter_name = "ns";

/* Monotonic nanoseconds, where no cycle counter is reachable from user mode. */
static inline uint64_t counter(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

/* ---- statistics ----------------------------------------------------------------------- */

typedef struct stats {
    double median, min, max;
    unsigned samples;
} stats_t;

/* qsort order for uint64_t. */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts s[0..n) and returns median/min/max less overhead, divided by per (>= 1). */
static stats_t summarize(uint64_t *s, unsigned n, double overhead, double per) {
    qsort(s, n, sizeof(*s), cmp_u64);
    stats_t st = {.samples = n};
    st.median = ((double)s[n / 2] - overhead) / per;
    st.min = ((double)s[0] - overhead) / per;
    st.max = ((double)s[n - 1] - overhead) / per;
    return st;
}

/* The counter's own cost: the median of back-to-back reads. */
static double counter_overhead(uint64_t *s, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = counter();
        s[i] = counter() - t0;
    }
    qsort(s, n, sizeof(*s), cmp_u64);
    return (double)s[n / 2];
}

/* ---- the operations ------------------------------------------------------------------- */

/* Exits with the failing call's name: a benchmark with a failed step measures nothing. */
static void die(const char *what) {
    perror(what);
    exit(1);
}

/* A null syscall: getpid through syscall(2), so no library cache answers it. */
static uint64_t op_getpid(void *arg) {
    (void)arg;
    uint64_t t0 = counter();
    syscall(SYS_getpid);
    return counter() - t0;
}

typedef struct pingpong {
    int to_child, from_child;
} pingpong_t;

/* One round trip through two pipes to a child that echoes each byte. */
static uint64_t op_pipe_roundtrip(void *arg) {
    pingpong_t *p = arg;
    char c = 'x';
    uint64_t t0 = counter();
    if (write(p->to_child, &c, 1) != 1 || read(p->from_child, &c, 1) != 1) {
        die("pipe round trip");
    }
    return counter() - t0;
}

/* mmap of *pages anonymous pages, a write to each (first touch), munmap. */
static uint64_t op_mmap_touch_munmap(void *arg) {
    size_t pages = *(size_t *)arg;
    uint64_t t0 = counter();
    volatile char *p =
        mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        die("mmap");
    }
    for (size_t i = 0; i < pages; i++) {
        p[i * PAGE] = 1;
    }
    munmap((void *)p, pages * PAGE);
    return counter() - t0;
}

typedef struct protect_arg {
    char *base;
    size_t pages;
    int flip;
} protect_arg_t;

/* mprotect of a populated range, alternating read-only and read-write. */
static uint64_t op_mprotect(void *arg) {
    protect_arg_t *a = arg;
    int prot = (a->flip ^= 1) ? PROT_READ : PROT_READ | PROT_WRITE;
    uint64_t t0 = counter();
    if (mprotect(a->base, a->pages * PAGE, prot) != 0) {
        die("mprotect");
    }
    return counter() - t0;
}

typedef struct fault_arg {
    volatile char *base;
    size_t next, pages;
} fault_arg_t;

/* One first-touch page fault: a write to the next untouched page of a large mapping. */
static uint64_t op_fault(void *arg) {
    fault_arg_t *a = arg;
    if (a->next == a->pages) {
        die("fault region exhausted");
    }
    volatile char *p = a->base + a->next++ * PAGE;
    uint64_t t0 = counter();
    *p = 1;
    return counter() - t0;
}

/* ---- the driver ------------------------------------------------------------------------ */

typedef struct bench {
    const char *key;  /* the operation's key, shared with our kernel's benchmarks */
    const char *name; /* the operation, as in the table */
    uint64_t (*op)(void *);
    void *arg;
    double per; /* divide each sample by this (2: one-way from a round trip) */
} bench_t;

/* Runs b: warmup unmeasured samples, then n measured ones. */
static stats_t run(const bench_t *b, uint64_t *s, unsigned warmup, unsigned n, double overhead) {
    for (unsigned i = 0; i < warmup; i++) {
        b->op(b->arg);
    }
    for (unsigned i = 0; i < n; i++) {
        s[i] = b->op(b->arg);
    }
    return summarize(s, n, overhead, b->per);
}

/* Forks the echo child for the pipe benchmark. */
static pid_t start_echo(pingpong_t *p) {
    int down[2], up[2];
    if (pipe(down) || pipe(up)) {
        die("pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        die("fork");
    }
    if (pid == 0) {
        char c;
        close(down[1]); /* else the child holds its own input open and never sees EOF */
        close(up[0]);
        while (read(down[0], &c, 1) == 1 && write(up[1], &c, 1) == 1) {
        }
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    p->to_child = down[1];
    p->from_child = up[0];
    return pid;
}

/* Keeps this process (and the children it forks) on CPU 0: our kernel runs on one CPU, and
 * sel4bench measures IPC between threads of one core, so a cross-CPU wake-up is not the
 * figure to compare with. */
static void pin_to_cpu0(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        die("sched_setaffinity");
    }
}

int main(int argc, char **argv) {
    const char *json = NULL;
    unsigned n = 2000, warmup = 200;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            json = argv[++i];
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            n = (unsigned)strtoul(argv[++i], NULL, 0);
        }
    }
    uint64_t *s = malloc(sizeof(uint64_t) * (n + warmup + 16));
    if (!s || n < 3) {
        die("samples");
    }
    pin_to_cpu0();
    double overhead = counter_overhead(s, n);

    pingpong_t pp;
    pid_t echo = start_echo(&pp);
    size_t one = 1, many = 512;
    protect_arg_t p1 = {.pages = 1}, p512 = {.pages = 512};
    p512.base = mmap(NULL, 512 * PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    p1.base = p512.base;
    fault_arg_t fa = {.pages = (size_t)(n + warmup)};
    fa.base =
        mmap(NULL, fa.pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p512.base == MAP_FAILED || fa.base == MAP_FAILED) {
        die("mmap");
    }
    const bench_t benches[] = {
        {"null_syscall", "null syscall (getpid)", op_getpid, NULL, 1},
        {"ipc_oneway", "ipc one-way (pipe round trip / 2)", op_pipe_roundtrip, &pp, 2},
        {"map_touch_unmap_1", "map+touch+unmap 1 page", op_mmap_touch_munmap, &one, 1},
        {"map_touch_unmap_512", "map+touch+unmap 512 pages", op_mmap_touch_munmap, &many, 1},
        {"protect_1", "protect 1 page", op_mprotect, &p1, 1},
        {"protect_512", "protect 512 pages", op_mprotect, &p512, 1},
        {"fault_first_touch", "first-touch page fault", op_fault, &fa, 1},
    };
    enum { NB = sizeof(benches) / sizeof(benches[0]) };
    stats_t st[NB];
    printf("linux host benchmark, pinned to CPU 0: counter %s (overhead %.0f subtracted), %u "
           "samples after %u warm-up\n",
           counter_name, overhead, n, warmup);
    printf("%-36s %10s %10s %10s\n", "operation", "median", "min", "max");
    for (int i = 0; i < NB; i++) {
        st[i] = run(&benches[i], s, warmup, n, overhead);
        printf("%-36s %10.0f %10.0f %10.0f\n", benches[i].name, st[i].median, st[i].min, st[i].max);
    }
    /* The same figures in the line format every benchmark of ours prints (bench-report.sh). */
    for (int i = 0; i < NB; i++) {
        printf("bench %s: median %.0f min %.0f max %.0f (%u samples, %s)\n", benches[i].key,
               st[i].median, st[i].min, st[i].max, n, counter_name);
    }
    close(pp.to_child);
    waitpid(echo, NULL, 0);
    if (json) {
        FILE *out = fopen(json, "w");
        if (!out) {
            die(json);
        }
        fprintf(out, "{\"counter\": \"%s\", \"samples\": %u, \"results\": [", counter_name, n);
        for (int i = 0; i < NB; i++) {
            fprintf(out, "%s{\"op\": \"%s\", \"median\": %.1f, \"min\": %.1f, \"max\": %.1f}",
                    i ? ", " : "", benches[i].key, st[i].median, st[i].min, st[i].max);
        }
        fprintf(out, "]}\n");
        fclose(out);
        printf("figures written to %s\n", json);
    }
    free(s);
    return 0;
}
