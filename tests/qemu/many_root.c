/*
 * The root of the many-processes image (issue 12; many.h): in mmserver's root place, it
 * alone may spawn. Three rounds, each judged on its own line:
 *
 *   many_warmup   MANY_LIVE workers at once, all exit 0 (mmserver's tables grow to that);
 *   many_spawn    MANY_TOTAL more, never fewer than MANY_LIVE alive while some are left to
 *                 start, every one exits 0, and the pool mmserver reports is back to its
 *                 count after the warm-up;
 *   many_exhaust  holders spawned until mmserver refuses one with a typed QUOTA or NOMEM
 *                 (each holder checks its own QUOTA), then all let go: every one exits 0
 *                 and the pool is back again.
 *
 * Prints `N passed, M failed` and stops the machine with the verdict (the halt capability).
 */
#include <stdbool.h>

#include <ipc/ipc_user.h>

#include "many.h"
#include "test.h"

#define WORKER      0u /* archive indexes as MM_SPAWN counts them */
#define HOLDER      1u
#define MAX_HOLDERS 64u
#define ROUNDS      4000000u /* polls before a program counts as never ending */

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};
static unsigned passed, failed;

/* Programs alive: their client ids. */
static uint32_t alive[MAX_HOLDERS > MANY_LIVE ? MAX_HOLDERS : MANY_LIVE];
static unsigned nalive;
static unsigned bad_ends; /* programs that ended otherwise than exit 0 */

/* The pool frames mmserver could still hand out, or 0 when it does not answer. */
static uint64_t pool_now(void) {
    mm_stats_result_t s;
    return mm_stats(&conn, &s) == MM_OK ? s.pool : 0;
}

/* Asks about every live program once; forgets those that ended, counting bad ends. */
static void poll_ends(void) {
    for (unsigned i = 0; i < nalive;) {
        mm_child_result_t how;
        mm_err_t e = mm_child(&conn, alive[i], &how);
        if (e == MM_OK && how.state == MM_CHILD_RUNNING) {
            i++;
            continue;
        }
        if (e != MM_OK || how.state != MM_CHILD_EXITED || how.status != 0) {
            if (bad_ends++ < 5) {
                ipc_printf("  many: client %u ended badly (mm %u, state %u, status %llu)\n",
                           alive[i], (unsigned)e, how.state, (unsigned long long)how.status);
            }
        }
        alive[i] = alive[--nalive];
    }
}

/* Polls until at most keep programs are alive; false when they never end. */
static bool wait_until(unsigned keep) {
    for (unsigned r = 0; nalive > keep; r++) {
        if (r == ROUNDS) {
            return false;
        }
        poll_ends();
        if (nalive > keep) {
            ipc_yield();
        }
    }
    return true;
}

/* Prints a round's verdict: why == NULL is OK, with what it measured. */
static void verdict(const char *name, const char *why, const char *what, uint64_t a, uint64_t b,
                    uint64_t c) {
    if (!why) {
        passed++;
        ipc_printf("test %s: OK ", name);
    } else {
        failed++;
        ipc_printf("test %s: FAILED %s; ", name, why);
    }
    ipc_printf(what, (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
    ipc_printf("\n");
}

/* Spawns n workers keeping up to live alive; *most gets the most alive at once. NULL or
 * what went wrong. */
static const char *run_workers(unsigned n, unsigned live, unsigned *most) {
    *most = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!wait_until(live - 1)) {
            return "workers never ended";
        }
        mm_spawn_result_t who;
        mm_err_t e = mm_spawn(&conn, WORKER, 0, IPC_SLOT_NONE, &who);
        if (e != MM_OK) {
            ipc_printf("  many: spawn %u of %u refused: mm error %u\n", i, n, (unsigned)e);
            return "a spawn was refused";
        }
        alive[nalive++] = who.client;
        *most = nalive > *most ? nalive : *most;
    }
    return wait_until(0) ? NULL : "workers never ended";
}

/* Lets the holder just started take its memory: yields until the pool count stays the same
 * over three rounds (the holder then waits on the endpoint). */
static void let_holder_settle(void) {
    uint64_t last = ~0ull;
    for (unsigned same = 0, r = 0; same < 3 && r < ROUNDS; r++) {
        ipc_yield();
        uint64_t now = pool_now();
        same = now == last ? same + 1 : 0;
        last = now;
    }
}

/* The exhaustion round: holders until a typed refusal, then all let go. */
static void exhaust(uint64_t start) {
    mm_err_t e = MM_OK;
    unsigned held = 0;
    while (held < MAX_HOLDERS) {
        mm_spawn_result_t who;
        e = mm_spawn(&conn, HOLDER, MM_SPAWN_SERVE, MANY_EP, &who);
        if (e != MM_OK) {
            break;
        }
        alive[nalive++] = who.client;
        held++;
        let_holder_settle();
    }
    uint64_t low = pool_now();
    unsigned let_go = 0;
    for (unsigned r = 0; nalive && r < ROUNDS; r++) {
        ipc_msg_t m = {.info = ipc_info(1, 0)};
        if (let_go < held && ipc_send(MANY_EP, &m) == IPC_OK) { /* wakes one waiting holder */
            let_go++;
        }
        poll_ends();
    }
    uint64_t end = pool_now();
    const char *why = e != MM_ERR_QUOTA && e != MM_ERR_NOMEM ? "the refusal was not QUOTA or NOMEM"
                      : held == 0                            ? "no holder started"
                      : nalive                               ? "holders never ended"
                      : bad_ends                             ? "a holder ended badly"
                      : end != start                         ? "the pool is not back"
                                                             : NULL;
    ipc_printf("  many: %u holders, then mm error %u (%s); pool %llu at the lowest\n", held,
               (unsigned)e,
               e == MM_ERR_QUOTA   ? "QUOTA"
               : e == MM_ERR_NOMEM ? "NOMEM"
                                   : "other",
               (unsigned long long)low);
    verdict("many_exhaust", why, "pool %llu at the start, %llu at the end (%llu holders)", start,
            end, held);
}

/* The three rounds, the tally, the halt. */
int main(void) {
    if (ipc_endpoint_create(MANY_EP) != IPC_OK) {
        ipc_puts("many: no endpoint for the holders\n");
        ipc_halt(MM_SLOT_HALT, 1);
    }
    unsigned most;
    const char *why = run_workers(MANY_LIVE, MANY_LIVE, &most);
    uint64_t start = pool_now();
    verdict("many_warmup",
            why        ? why
            : bad_ends ? "a worker ended badly"
                       : NULL,
            "%llu workers, %llu alive at once, pool %llu", MANY_LIVE, most, start);
    bad_ends = 0;
    uint64_t t0 = ipc_cycles();
    why = run_workers(MANY_TOTAL, MANY_LIVE, &most);
    uint64_t t1 = ipc_cycles();
    uint64_t end = pool_now();
    why = why                ? why
          : bad_ends         ? "a worker ended badly"
          : most < MANY_LIVE ? "fewer alive at once than asked"
          : end != start     ? "the pool is not back"
                             : NULL;
    verdict("many_spawn", why, "%llu workers, %llu alive at once, pool back to %llu", MANY_TOTAL,
            most, end);
    ipc_printf("  many: %u spawns took %llu counter units\n", MANY_TOTAL,
               (unsigned long long)(t1 - t0));
    bad_ends = 0;
    exhaust(start);
    ipc_printf("%u passed, %u failed\n", passed, failed);
    ipc_halt(MM_SLOT_HALT, failed ? 1 : 0);
    return 2;
}
