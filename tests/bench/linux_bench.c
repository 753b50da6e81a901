/*
 * The Linux side of `make bench`: the operations our kernel's benchmarks measure
 * (tests/bench/qemu: bench_client.c, mm_bench.c), done the Linux way, with the same method:
 * warm-up rounds dropped, many samples, the distribution printed as the lines
 * "bench KEY: median M min m p10 a p90 b max X (N samples, COUNTER)" that
 * tools/bench-report.sh reads. Like ours, the figures are raw and the counter's own cost is
 * printed as its own figure (counter_read: two back-to-back reads), which bench-report.sh
 * subtracts.
 *
 * One static binary, two runs (tools/linux-qemu-bench.sh, tests/bench/CMakeLists.txt):
 *  - on the host, as an ordinary program: the counter is the TSC (constant rate, not core
 *    cycles), named "tsc";
 *  - as /init of an initramfs under Debian's kernel in QEMU TCG with -icount shift=0, where
 *    the TSC advances once per guest instruction: the harness names the counter with
 *    `--counter instructions` (after "--" on the kernel command line). As process 1 it makes
 *    its own console, says which kernel and mitigations it runs on, and powers the machine
 *    off at the end, or on the first failure.
 * Where no TSC exists (another host architecture), CLOCK_MONOTONIC nanoseconds, named "ns".
 *
 * Usage: linux_bench [--counter NAME]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LB_PAGE 4096u
/* futex(2) operations, from the kernel's ABI (musl ships no <linux/futex.h>). */
#define LB_FUTEX_WAIT 0
#define LB_FUTEX_WAKE 1
#define LB_BIG        512u /* pages of the large map, protect and map+touch+unmap (mm_bench.c) */
/* mm_bench.c's addresses: where a range is placed decides how many page tables it needs
 * and whether unmapping frees them, so Linux gets the same ones; fixed, they also keep each
 * figure the same from one boot to the next (with the kernel words of linux-qemu-bench.sh). */
#define LB_VA       0x10000000ul /* the mapped, unmapped and protected range */
#define LB_FAULT_VA 0x40000000ul /* the lazy range touched page by page */

/* Sample sets: the same counts as our kernel's benchmarks, so both columns are the same
 * statistic. */
typedef struct lb_set {
    unsigned warm, n;
} lb_set_t;
static const lb_set_t lb_fast = {1000, 20000}; /* bench_ipc.h: counter, syscall, IPC */
static const lb_set_t lb_small = {50, 1000};   /* mm_bench.c: one page, faults */
static const lb_set_t lb_big = {5, 100};       /* mm_bench.c: 512 pages; process spawn */

/* ---- the counter ------------------------------------------------------------------------ */

#if defined(__x86_64__)
static const char *lb_counter_name = "tsc";

/* Reads the TSC after every earlier instruction has finished and before any later one
 * starts (lfence on both sides). Under -icount shift=0 it reads the guest instruction count. */
static inline uint64_t lb_counter(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}
#else
static const char *lb_counter_name = "ns";

/* Monotonic nanoseconds, where no cycle counter is reachable from user mode. */
static inline uint64_t lb_counter(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

/* ---- process 1's duties ------------------------------------------------------------------ */

/* Ends the run. As /init (process 1), a return would panic the kernel: the machine is
 * powered off instead (QEMU then exits), after the console has everything. */
static _Noreturn void lb_finish(int status) {
    fflush(NULL);
    if (getpid() == 1) {
        sync();
        reboot(RB_POWER_OFF);
        printf("linux_bench: FAILED: power off: %s\n", strerror(errno));
        fflush(NULL);
        for (;;) {
            pause();
        }
    }
    exit(status);
}

/* Stops at the failing call: a benchmark with a failed step measures nothing. The line is
 * what tools/linux-qemu-bench.sh reports when the guest gives no figures. */
static _Noreturn void lb_die(const char *what) {
    printf("linux_bench: FAILED: %s: %s\n", what, strerror(errno));
    lb_finish(1);
}

/* Gives /init a console: the initramfs holds only this program, so /dev/console is made
 * here (the kernel found none to open), and /proc and /sys are mounted for the report. */
static void lb_init_console(void) {
    mkdir("/dev", 0755);
    if (mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1)) != 0 && errno != EEXIST) {
        lb_finish(2); /* nowhere to say it: the harness reports a guest without figures */
    }
    int fd = open("/dev/console", O_RDWR);
    if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
        lb_finish(2);
    }
    if (fd > 2) {
        close(fd);
    }
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    if (mount("proc", "/proc", "proc", 0, NULL) != 0 ||
        mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) {
        lb_die("mount /proc, /sys");
    }
}

/* Says what the figures were measured on: the kernel's release and build, and each CPU
 * vulnerability's mitigation state as the kernel chose it (they change syscall costs). */
static void lb_describe_system(void) {
    struct utsname u;
    if (uname(&u) == 0) {
        printf("linux_bench: kernel %s %s %s\n", u.release, u.version, u.machine);
    }
    static const char dir[] = "/sys/devices/system/cpu/vulnerabilities";
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[PATH_MAX], line[256];
        FILE *f;
        if (e->d_name[0] == '.' ||
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
            !(f = fopen(path, "r"))) {
            continue;
        }
        if (fgets(line, sizeof(line), f)) {
            printf("linux_bench: vulnerability %s: %s", e->d_name, line);
        }
        fclose(f);
    }
    if (d) {
        closedir(d);
    }
}

/* ---- statistics --------------------------------------------------------------------------- */

/* qsort order for uint64_t. */
static int lb_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Prints the distribution of v[0..n) under key, as bench_stats.h does for our kernel's
 * programs: raw figures, the counter's own cost included (bench-report.sh subtracts it). */
static void lb_report(const char *key, uint64_t *v, unsigned n) {
    qsort(v, n, sizeof(*v), lb_cmp_u64);
    printf("bench %s: median %llu min %llu p10 %llu p90 %llu max %llu (%u samples, %s)\n", key,
           (unsigned long long)v[n / 2], (unsigned long long)v[0], (unsigned long long)v[n / 10],
           (unsigned long long)v[n * 9 / 10], (unsigned long long)v[n - 1], n, lb_counter_name);
    fflush(stdout);
}

/* ---- the operations ------------------------------------------------------------------------
 * Each op does one iteration and stores up to two figures (counter differences) in f. */

enum { LB_FIGURES = 2 };
typedef void (*lb_op_t)(void *arg, uint64_t f[LB_FIGURES]);

/* Two back-to-back counter reads: the cost every other figure includes once. */
static void lb_op_counter(void *arg, uint64_t f[LB_FIGURES]) {
    (void)arg;
    uint64_t t0 = lb_counter();
    f[0] = lb_counter() - t0;
}

/* A null syscall: getppid, which no C library answers from a cache. */
static void lb_op_getppid(void *arg, uint64_t f[LB_FIGURES]) {
    (void)arg;
    uint64_t t0 = lb_counter();
    (void)getppid();
    f[0] = lb_counter() - t0;
}

/* The ping-pong of the IPC figures: a client process calls a server process, which answers
 * at once, like bench_client.c and bench_server.c. Both read the counter, and the server
 * leaves its readings in a shared page, so the call is timed from the client's send to the
 * server's wake-up and the reply from the server's send to the client's wake-up. */
typedef struct lb_shared {
    uint32_t to_server, to_client; /* futex words: sequence numbers of the messages sent */
    uint32_t stop;                 /* set by the client before its last message */
    uint64_t arrived, leaving;     /* the server's counter readings */
} lb_shared_t;

/* How a message goes: a futex wake on a word in shared memory, or a byte through a pipe. */
typedef struct lb_channel {
    int futex; /* 1: futex words; 0: pipes */
    lb_shared_t *sh;
    int to_server[2], to_client[2]; /* pipes: [0] read end, [1] write end */
    pid_t server;
} lb_channel_t;

/* Sends message seq on word (or pipe fd): the word takes seq, its waiter is woken. */
static void lb_send(lb_channel_t *c, uint32_t *word, int fd, uint32_t seq) {
    if (!c->futex) {
        char b = 1;
        if (write(fd, &b, 1) != 1) {
            lb_die("pipe write");
        }
        return;
    }
    __atomic_store_n(word, seq, __ATOMIC_RELEASE);
    if (syscall(SYS_futex, word, LB_FUTEX_WAKE, 1, NULL, NULL, 0) < 0) {
        lb_die("futex wake");
    }
}

/* Waits for message seq on word (or pipe fd). */
static void lb_wait(lb_channel_t *c, uint32_t *word, int fd, uint32_t seq) {
    if (!c->futex) {
        char b;
        if (read(fd, &b, 1) != 1) {
            lb_die("pipe read");
        }
        return;
    }
    uint32_t now;
    while ((now = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != seq) {
        if (syscall(SYS_futex, word, LB_FUTEX_WAIT, now, NULL, NULL, 0) < 0 && errno != EAGAIN &&
            errno != EINTR) {
            lb_die("futex wait");
        }
    }
}

/* The server: answers each message at once with its two readings; message 0 stops it. */
static _Noreturn void lb_serve(lb_channel_t *c) {
    for (uint32_t seq = 1;; seq++) {
        lb_wait(c, &c->sh->to_server, c->to_server[0], seq);
        uint64_t arrived = lb_counter();
        if (c->sh->stop) {
            _exit(0);
        }
        c->sh->arrived = arrived;
        c->sh->leaving = lb_counter();
        lb_send(c, &c->sh->to_client, c->to_client[1], seq);
    }
}

/* Starts the server process of channel c (futex: 1 for futex words, 0 for pipes). */
static void lb_channel_open(lb_channel_t *c, int futex) {
    memset(c, 0, sizeof(*c));
    c->futex = futex;
    c->sh = mmap(NULL, LB_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c->sh == MAP_FAILED || pipe(c->to_server) != 0 || pipe(c->to_client) != 0) {
        lb_die("ipc set-up");
    }
    c->server = fork();
    if (c->server < 0) {
        lb_die("fork");
    }
    if (c->server == 0) {
        lb_serve(c);
    }
}

/* One call and its reply: f[0] the call one way, f[1] the reply one way. */
static void lb_op_ipc(void *arg, uint64_t f[LB_FIGURES]) {
    lb_channel_t *c = arg;
    uint32_t seq = c->sh->to_server + 1;
    uint64_t before = lb_counter();
    lb_send(c, &c->sh->to_server, c->to_server[1], seq);
    lb_wait(c, &c->sh->to_client, c->to_client[0], seq);
    uint64_t after = lb_counter();
    f[0] = c->sh->arrived - before;
    f[1] = after - c->sh->leaving;
}

/* Stops the server and reaps it. */
static void lb_channel_close(lb_channel_t *c) {
    c->sh->stop = 1;
    lb_send(c, &c->sh->to_server, c->to_server[1], c->sh->to_server + 1);
    if (waitpid(c->server, NULL, 0) != c->server) {
        lb_die("waitpid ipc server");
    }
    close(c->to_server[0]);
    close(c->to_server[1]);
    close(c->to_client[0]);
    close(c->to_client[1]);
    munmap(c->sh, LB_PAGE);
}

/* Writes one byte into each of pages pages from p. */
static void lb_touch(volatile char *p, size_t pages) {
    for (size_t i = 0; i < pages; i++) {
        p[i * LB_PAGE] = 1;
    }
}

/* Maps pages anonymous private read-write pages at va, with the caller's extra mmap flags;
 * something already there is a failure, never replaced. */
static char *lb_map(uintptr_t va, size_t pages, int flags) {
    char *p = mmap((void *)va, pages * LB_PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | flags, -1, 0);
    if (p == MAP_FAILED) {
        lb_die("mmap");
    }
    return p;
}

/* Our eager map and its unmap (mm_bench.c's map_N, unmap_N): mmap with MAP_POPULATE, so
 * every page is allocated and zeroed before mmap returns (f[0]), a write to each page (no
 * fault), munmap (f[1]). */
static void lb_op_map_populated(void *arg, uint64_t f[LB_FIGURES]) {
    size_t pages = *(size_t *)arg;
    uint64_t t0 = lb_counter();
    char *p = lb_map(LB_VA, pages, MAP_POPULATE);
    uint64_t t1 = lb_counter();
    lb_touch(p, pages);
    uint64_t t2 = lb_counter();
    if (munmap(p, pages * LB_PAGE) != 0) {
        lb_die("munmap");
    }
    f[1] = lb_counter() - t2;
    f[0] = t1 - t0;
}

/* Linux's usual way to get memory: mmap (lazy), a write to each page (one fault each),
 * munmap, timed as a whole (mm_bench.c's map_touch_unmap_N). */
static void lb_op_map_touch_unmap(void *arg, uint64_t f[LB_FIGURES]) {
    size_t pages = *(size_t *)arg;
    uint64_t t0 = lb_counter();
    char *p = lb_map(LB_VA, pages, 0);
    lb_touch(p, pages);
    if (munmap(p, pages * LB_PAGE) != 0) {
        lb_die("munmap");
    }
    f[0] = lb_counter() - t0;
}

typedef struct lb_range {
    char *base;
    size_t pages, next; /* next: protect's round, or the fault range's next untouched page */
} lb_range_t;

/* mprotect of a populated range, alternating read-only and read-write (mm_bench.c). */
static void lb_op_mprotect(void *arg, uint64_t f[LB_FIGURES]) {
    lb_range_t *r = arg;
    int prot = (r->next++ & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
    uint64_t t0 = lb_counter();
    if (mprotect(r->base, r->pages * LB_PAGE, prot) != 0) {
        lb_die("mprotect");
    }
    f[0] = lb_counter() - t0;
}

/* One first-touch fault: a write to the next untouched page of a lazy mapping. */
static void lb_op_fault(void *arg, uint64_t f[LB_FIGURES]) {
    lb_range_t *r = arg;
    if (r->next == r->pages) {
        errno = ENOSPC;
        lb_die("fault range exhausted");
    }
    volatile char *p = r->base + r->next++ * LB_PAGE;
    uint64_t t0 = lb_counter();
    *p = 1;
    f[0] = lb_counter() - t0;
}

/* A process made and gone: fork, the child's _exit, the parent's waitpid. */
static void lb_op_spawn_exit(void *arg, uint64_t f[LB_FIGURES]) {
    (void)arg;
    uint64_t t0 = lb_counter();
    pid_t pid = fork();
    if (pid == 0) {
        _exit(0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
        lb_die("fork, _exit, waitpid");
    }
    f[0] = lb_counter() - t0;
}

/* ---- the driver ------------------------------------------------------------------------- */

typedef struct lb_bench {
    const char *keys[LB_FIGURES]; /* the figures' keys, shared with our kernel's benchmarks */
    lb_op_t op;
    void *arg;
    const lb_set_t *set;
} lb_bench_t;

/* Runs b: set->warm unmeasured iterations, then set->n measured ones; prints each figure.
 * s holds room for LB_FIGURES * lb_fast.n samples. */
static void lb_run(const lb_bench_t *b, uint64_t *s) {
    uint64_t f[LB_FIGURES];
    unsigned n = b->set->n;
    for (unsigned i = 0; i < b->set->warm + n; i++) {
        b->op(b->arg, f);
        if (i >= b->set->warm) {
            for (unsigned k = 0; k < LB_FIGURES && b->keys[k]; k++) {
                s[k * n + i - b->set->warm] = f[k];
            }
        }
    }
    for (unsigned k = 0; k < LB_FIGURES && b->keys[k]; k++) {
        lb_report(b->keys[k], s + k * n, n);
    }
}

/* Keeps this process (and the children it forks) on CPU 0: our kernel runs on one CPU, and
 * sel4bench measures IPC between threads of one core, so a cross-CPU wake-up is not the
 * figure to compare with. Transparent huge pages are turned off for the same reason: our
 * kernel maps 4 KiB pages, and a 2 MiB page would turn 511 of 512 faults into none. */
static void lb_pin(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        lb_die("sched_setaffinity");
    }
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
        lb_die("prctl(PR_SET_THP_DISABLE)");
    }
}

int main(int argc, char **argv) {
    int is_init = getpid() == 1;
    if (is_init) {
        lb_init_console();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--counter") && i + 1 < argc) {
            lb_counter_name = argv[++i];
        } else if (!is_init) { /* /init also gets the kernel's words it did not know */
            errno = EINVAL;
            lb_die(argv[i]);
        }
    }
    uint64_t *s = malloc(sizeof(uint64_t) * LB_FIGURES * lb_fast.n);
    if (!s) {
        lb_die("malloc");
    }
    lb_pin();
    printf("linux_bench: pinned to CPU 0, transparent huge pages off, counter %s; figures "
           "are raw, counter_read is the counter's own cost (bench-report.sh subtracts it)\n",
           lb_counter_name);
    if (is_init) {
        lb_describe_system();
    }

    lb_channel_t futex, pipes;
    lb_channel_open(&futex, 1);
    lb_channel_open(&pipes, 0);
    lb_run(&(lb_bench_t){{"counter_read"}, lb_op_counter, NULL, &lb_fast}, s);
    lb_run(&(lb_bench_t){{"null_syscall"}, lb_op_getppid, NULL, &lb_fast}, s);
    lb_run(&(lb_bench_t){{"ipc_call_oneway", "ipc_reply_oneway"}, lb_op_ipc, &futex, &lb_fast}, s);
    lb_run(
        &(lb_bench_t){
            {"ipc_pipe_call_oneway", "ipc_pipe_reply_oneway"}, lb_op_ipc, &pipes, &lb_fast},
        s);
    lb_channel_close(&futex);
    lb_channel_close(&pipes);

    size_t one = 1, big = LB_BIG;
    lb_run(&(lb_bench_t){{"map_1", "unmap_1"}, lb_op_map_populated, &one, &lb_small}, s);
    lb_run(&(lb_bench_t){{"map_512", "unmap_512"}, lb_op_map_populated, &big, &lb_big}, s);
    lb_run(&(lb_bench_t){{"map_touch_unmap_1"}, lb_op_map_touch_unmap, &one, &lb_small}, s);
    lb_run(&(lb_bench_t){{"map_touch_unmap_512"}, lb_op_map_touch_unmap, &big, &lb_big}, s);

    lb_range_t prot = {.base = lb_map(LB_VA, LB_BIG, MAP_POPULATE), .pages = 1};
    lb_run(&(lb_bench_t){{"protect_1"}, lb_op_mprotect, &prot, &lb_small}, s);
    prot.pages = LB_BIG;
    lb_run(&(lb_bench_t){{"protect_512"}, lb_op_mprotect, &prot, &lb_big}, s);
    munmap(prot.base, LB_BIG * LB_PAGE);

    lb_range_t faults = {.pages = lb_small.warm + lb_small.n};
    faults.base = lb_map(LB_FAULT_VA, faults.pages, 0);
    lb_run(&(lb_bench_t){{"fault_first_touch"}, lb_op_fault, &faults, &lb_small}, s);
    munmap(faults.base, faults.pages * LB_PAGE);

    /* Last, with the helper processes gone and the ranges unmapped: fork copies what the
     * process holds, and the figure should not count the benchmark's own ranges. */
    lb_run(&(lb_bench_t){{"spawn_exit"}, lb_op_spawn_exit, NULL, &lb_big}, s);
    free(s);
    printf("linux_bench: done\n");
    lb_finish(0);
}
