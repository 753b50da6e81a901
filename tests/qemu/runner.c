/*
 * The test runner: the root program of every scenario image and of the demo (ipc/mm.h, "the
 * root program"). mmserver starts it first and gives it alone MM_SPAWN, MM_CHILD and the
 * halt capability. It starts every other program of the boot archive, passing each its
 * endpoint (the name service's, which the program `names` serves), learns from mmserver how
 * each one ended, judges that against what it expects of the program (runner_expect below),
 * prints `test NAME: OK` or `test NAME: FAILED reason` for each, then `N passed, M failed`
 * (N + M = the programs it started), and stops the machine with status 0 only when every
 * program it started passed. (mmserver prints `test mm_pool_restored: ...` when the last
 * end has been read; the image's ctest requires that line too.)
 *
 * The verdicts live here, in a user program; the kernel only stops the machine when the
 * holder of the halt capability asks.
 */
#include <stdbool.h>

#include <ipc/ipc_user.h>
#include <ipc/mm_client.h>
#include <mmlib/string.h>

#include "test.h"

#define RUNNER_EP     10u      /* the endpoint every program gets in MM_SLOT_BOOT */
#define RUNNER_MAX    64u      /* programs one image may hold */
#define RUNNER_ROUNDS 2000000u /* polling rounds before a program counts as never ending */

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* How a program is expected to end. */
typedef enum runner_end {
    RUNNER_EXIT0 = 0, /* exits with status 0 (any program not in the table) */
    RUNNER_FAULT,     /* killed by a fault of `kind` (and, for page faults, `access` if set) */
    RUNNER_SERVES,    /* serves until the end (the name service): still running is right */
} runner_end_t;

typedef struct runner_expect {
    const char *name;
    runner_end_t end;
    uint32_t kind;   /* RUNNER_FAULT: ipc_fault_kind_t */
    uint32_t access; /* RUNNER_FAULT with IPC_FAULT_PAGE: IPC_ACCESS_* (0: any) */
} runner_expect_t;

/* What each program that does not simply exit 0 is expected to do. */
static const runner_expect_t expectations[] = {
    {"names", RUNNER_SERVES, 0, 0},
    {"divide_zero", TEST_DIVIDE_TRAPS ? RUNNER_FAULT : RUNNER_EXIT0, IPC_FAULT_ARITH, 0},
    {"exec_stack", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_EXEC},
    {"hostile_stack", RUNNER_FAULT, TEST_BAD_STACK_FAULT, 0},
    {"jump_unmapped", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_EXEC},
    {"kernel_read", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_READ},
    {"kernel_write", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_WRITE},
    {"null_read", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_READ},
    {"privileged_cli", RUNNER_FAULT, IPC_FAULT_PRIVILEGED, 0},
    {"privileged_hlt", RUNNER_FAULT, IPC_FAULT_PRIVILEGED, 0},
    {"undefined_instruction", RUNNER_FAULT, IPC_FAULT_ILLEGAL, 0},
    {"write_text", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_WRITE},
    {"mm_kill", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_WRITE},
    {"mm_chaos", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_WRITE},
    {"mm_chaos_b", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_WRITE},
    {"wild", RUNNER_FAULT, IPC_FAULT_PAGE, IPC_ACCESS_WRITE},
};

/* Programs started with MM_SPAWN flags besides SERVE: MM_SPAWN_RAM, a quota of all of RAM. */
static const struct {
    const char *name;
    uint32_t flags;
} spawn_flags[] = {
    {"mm_ram", MM_SPAWN_RAM},
};

/* The MM_SPAWN flags program name needs beyond SERVE. */
static uint32_t extra_flags(const char *name) {
    for (unsigned i = 0; i < sizeof(spawn_flags) / sizeof(spawn_flags[0]); i++) {
        if (strcmp(spawn_flags[i].name, name) == 0) {
            return spawn_flags[i].flags;
        }
    }
    return 0;
}

/* One program the runner started. */
typedef struct runner_prog {
    char name[MM_NAME_MAX + 1];
    uint32_t client;
    runner_expect_t want;
    bool ended;
    mm_child_result_t how;
} runner_prog_t;

static runner_prog_t progs[RUNNER_MAX];
static unsigned nprogs, nended;

/* What the runner expects of the program called name (exit 0 when it is not listed). */
static runner_expect_t expectation(const char *name) {
    for (unsigned i = 0; i < sizeof(expectations) / sizeof(expectations[0]); i++) {
        if (strcmp(expectations[i].name, name) == 0) {
            return expectations[i];
        }
    }
    return (runner_expect_t){name, RUNNER_EXIT0, 0, 0};
}

/* The name of fault kind k, for verdicts. */
static const char *kind_name(uint32_t k) {
    static const char *const names[IPC_FAULT_COUNT_] = {
        "none", "page", "privileged", "illegal", "arith", "debug", "align", "other",
    };
    return k < IPC_FAULT_COUNT_ ? names[k] : "?";
}

/* Asks mmserver once about every program still running; returns how many still run
 * (servers excepted). */
static unsigned poll_all(void) {
    unsigned running = 0;
    for (unsigned i = 0; i < nprogs; i++) {
        runner_prog_t *p = &progs[i];
        if (p->ended) {
            continue;
        }
        mm_err_t e = mm_child(&conn, p->client, &p->how);
        if (e != MM_OK) {
            p->how.state = MM_CHILD_KILLED;
            p->how.kind = IPC_FAULT_NONE;
            p->how.status = MM_KILL_NONE;
            ipc_printf("  runner: MM_CHILD for %s: mm error %u\n", p->name, (unsigned)e);
        }
        if (e != MM_OK || p->how.state != MM_CHILD_RUNNING) {
            p->ended = true;
            nended++;
        } else if (p->want.end != RUNNER_SERVES) {
            running++;
        }
    }
    return running;
}

/* Polls until one more program has ended (its record read, so its client id is free), or
 * RUNNER_ROUNDS rounds have passed. */
static void wait_for_an_end(void) {
    unsigned before = nended;
    for (unsigned r = 0; nended == before && r < RUNNER_ROUNDS; r++) {
        poll_all();
        ipc_yield();
    }
}

/* Starts program index with the runner's endpoint; false when the archive has no more.
 * When every client id is taken it waits for a program to end first (an image may hold more
 * programs than mmserver serves at once). A program mmserver refuses to start is reported
 * as failed at once. */
static bool start_one(uint32_t index, unsigned *failed) {
    mm_spawn_result_t who;
    mm_err_t e = mm_program(&conn, index, &who);
    if (e == MM_ERR_NO_PROGRAM) {
        return false;
    }
    if (e != MM_OK || nprogs == RUNNER_MAX) {
        ipc_printf("test program%u: FAILED cannot be started (mm error %u%s)\n", index, (unsigned)e,
                   e == MM_OK ? ", the runner's table is full" : "");
        (*failed)++;
        return e != MM_OK ? false : true;
    }
    runner_expect_t want = expectation(who.name);
    uint32_t flags = (want.end == RUNNER_SERVES ? MM_SPAWN_SERVE : 0) | extra_flags(who.name);
    e = mm_spawn(&conn, index, flags, RUNNER_EP, &who);
    for (unsigned r = 0; e == MM_ERR_NO_CLIENT && r < RUNNER_ROUNDS; r++) {
        wait_for_an_end(); /* every client id is taken: one frees when a program ends */
        e = mm_spawn(&conn, index, flags, RUNNER_EP, &who);
    }
    if (e != MM_OK) {
        ipc_printf("test %s: FAILED mmserver did not start it: mm error %u\n", who.name,
                   (unsigned)e);
        (*failed)++;
        return true;
    }
    runner_prog_t *p = &progs[nprogs++];
    memcpy(p->name, who.name, sizeof(p->name));
    p->client = who.client;
    p->want = expectation(p->name);
    p->ended = false;
    return true;
}

/* Prints the verdict on p; true when it ended as expected. */
static bool judge(const runner_prog_t *p) {
    const mm_child_result_t *h = &p->how;
    const runner_expect_t *w = &p->want;
    bool exited = p->ended && h->state == MM_CHILD_EXITED;
    bool killed = p->ended && h->state == MM_CHILD_KILLED;
    if (w->end == RUNNER_SERVES ? !p->ended
        : w->end == RUNNER_EXIT0
            ? exited && h->status == 0
            : killed && h->kind == w->kind && (!w->access || h->access == w->access)) {
        ipc_printf("test %s: OK\n", p->name);
        return true;
    }
    ipc_printf("test %s: FAILED ", p->name);
    if (!p->ended) {
        ipc_printf("never ended");
    } else if (w->end == RUNNER_SERVES) {
        ipc_printf("a server ended");
    } else if (exited) {
        ipc_printf("exited with status %llu", (unsigned long long)h->status);
    } else {
        ipc_printf("killed by a %s fault (access 0x%x, reason %llu) at pc 0x%llx addr 0x%llx",
                   kind_name(h->kind), h->access, (unsigned long long)h->status,
                   (unsigned long long)h->pc, (unsigned long long)h->addr);
    }
    if (w->end == RUNNER_FAULT) {
        ipc_printf("; expected a %s fault (access 0x%x)", kind_name(w->kind), w->access);
    }
    ipc_printf("\n");
    return false;
}

/* Starts everything, waits for every program that should end, judges, halts. */
int main(void) {
    unsigned passed = 0, failed = 0;
    if (ipc_endpoint_create(RUNNER_EP) != IPC_OK) {
        ipc_puts("runner: no endpoint for the name service\n");
        ipc_halt(MM_SLOT_HALT, 1);
    }
    for (uint32_t i = 0; start_one(i, &failed); i++) {
    }
    ipc_printf("runner: started %u programs\n", nprogs);
    unsigned rounds = 0;
    while (poll_all() && ++rounds < RUNNER_ROUNDS) {
        ipc_yield();
    }
    for (unsigned i = 0; i < nprogs; i++) {
        if (judge(&progs[i])) {
            passed++;
        } else {
            failed++;
        }
    }
    ipc_printf("%u passed, %u failed\n", passed, failed);
    ipc_halt(MM_SLOT_HALT, failed || passed != nprogs ? 1 : 0);
    return 2; /* only if the halt capability was refused */
}
