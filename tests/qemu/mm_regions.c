/*
 * Many regions in one process (issue 12), through the real kernel and mmserver: N one-page
 * lazy regions side by side with alternating permissions (so none merges), then protected
 * (every even one to r-x, then every odd one to r--, each phase in a scattered order, so
 * neighbours never become equal), queried and unmapped in scattered orders. MM_STATS is
 * checked at each stage: the region count, the charge (N pages + the tables + a few frames
 * of region nodes), and at the end the charge and count back where they started. Each stage prints
 * `test mm_regions_NAME: OK|FAILED`.
 */
#include <ipc/mm_client.h>

#include "mm_regions_n.h" /* MM_REGIONS_N: tests/qemu/CMakeLists.txt, -DMMK_REGIONS_N */
#include "test.h"

#define BASE 0x100000000ull /* 4 GiB: clear of the program image and its stack */
#define PG   MM_PAGE_SIZE
#define STEP 7919u /* a prime: i * STEP % N visits every index once when N is not a multiple */

#define R  MM_PERM_R
#define RW (MM_PERM_R | MM_PERM_W)
#define RX (MM_PERM_R | MM_PERM_X)

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};
static int failed;

/* Prints the verdict of stage name: why == NULL is OK. */
static void verdict(const char *name, const char *why, uint64_t err, uint64_t at) {
    if (!why) {
        ipc_printf("test mm_regions_%s: OK\n", name);
        return;
    }
    failed++;
    ipc_printf("test mm_regions_%s: FAILED %s (error %llu, region %llu)\n", name, why,
               (unsigned long long)err, (unsigned long long)at);
}

/* The k-th region of a scattered order. */
static uint64_t scattered(uint64_t k) {
    return k * STEP % MM_REGIONS_N;
}

/* The address of region i. */
static uint64_t va_of(uint64_t i) {
    return BASE + i * PG;
}

/* Checks the stats against what a stage expects: regions, and a charge that is the data
 * pages + tables + node frames, the frames beyond data and tables (node frames) being few
 * (at most one per 32 of the N regions mapped at the peak, plus one: a frame goes back only
 * when its last node does). The pool is not compared: other programs of the image use it at
 * the same time (the all-scenarios image); mmserver's own check, `test mm_pool_restored`,
 * proves every frame came back. */
static const char *stats_say(const mm_stats_result_t *start, uint64_t regions, uint64_t data,
                             mm_err_t *e) {
    mm_stats_result_t now;
    *e = mm_stats(&conn, &now);
    if (*e != MM_OK) {
        return "stats refused";
    }
    uint64_t grew = now.charge - start->charge;
    uint64_t nodes = grew - data - (now.tables - start->tables);
    if (now.regions != start->regions + regions) {
        return "region count";
    }
    if (grew < data + (now.tables - start->tables) || nodes > MM_REGIONS_N / 32 + 1) {
        return "charge is not data + tables + a few node frames";
    }
    return NULL;
}

/* Maps the N regions, alternating r-- and rw-. */
static void stage_map(const mm_stats_result_t *start) {
    mm_err_t e = MM_OK;
    uint64_t i = 0;
    for (; i < MM_REGIONS_N && e == MM_OK; i++) {
        mm_map_result_t r;
        e = mm_map(&conn, va_of(i), PG, i % 2 ? RW : R, MM_F_LAZY, &r);
    }
    const char *why = e != MM_OK ? "map refused" : stats_say(start, MM_REGIONS_N, MM_REGIONS_N, &e);
    verdict("map", why, e, i);
}

/* Protects the regions of one parity (even: to r-x, odd: to r--) in a scattered order. */
static void stage_protect(const mm_stats_result_t *start, uint64_t parity) {
    mm_err_t e = MM_OK;
    uint64_t k = 0, i = 0;
    for (; k < MM_REGIONS_N && e == MM_OK; k++) {
        i = scattered(k);
        if (i % 2 == parity) {
            mm_protect_result_t p;
            e = mm_protect(&conn, va_of(i), PG, parity ? R : RX, &p);
        }
    }
    const char *why =
        e != MM_OK ? "protect refused" : stats_say(start, MM_REGIONS_N, MM_REGIONS_N, &e);
    verdict(parity ? "protect_odd" : "protect_even", why, e, i);
}

/* Touches every 64th region (a read, allowed everywhere), then queries every region in a
 * scattered order: its own page, its final permissions, a frame only where touched. */
static void stage_query(void) {
    volatile const uint8_t *p = (volatile const uint8_t *)(uintptr_t)BASE;
    uint64_t sum = 0, i = 0;
    for (uint64_t t = 0; t < MM_REGIONS_N; t += 64) {
        sum += p[t * PG];
    }
    mm_err_t e = MM_OK;
    const char *why = sum != 0 ? "a fresh page did not read zero" : NULL;
    for (uint64_t k = 0; k < MM_REGIONS_N && !why; k++) {
        mm_query_result_t q;
        i = scattered(k);
        e = mm_query(&conn, va_of(i) + 8, &q);
        why = e != MM_OK                          ? "query refused"
              : q.base != va_of(i) || q.len != PG ? "region is not its own page"
              : q.perm != (i % 2 ? R : RX)        ? "permissions not the protected ones"
              : (q.frame != 0) != (i % 64 == 0)   ? "frame where untouched, or none where touched"
                                                  : NULL;
    }
    verdict("query", why, e, i);
}

/* Unmaps the regions in a scattered order, checking the stats every N / 4. */
static void stage_unmap(const mm_stats_result_t *start) {
    mm_err_t e = MM_OK;
    const char *why = NULL;
    uint64_t k = 0, i = 0;
    for (; k < MM_REGIONS_N && !why; k++) {
        i = scattered(k);
        e = mm_unmap(&conn, va_of(i), PG, NULL);
        why = e != MM_OK ? "unmap refused" : NULL;
        if (!why && (k + 1) % (MM_REGIONS_N / 4) == 0) {
            uint64_t left = MM_REGIONS_N - (k + 1);
            why = stats_say(start, left, left, &e);
        }
    }
    mm_stats_result_t end;
    e = why ? e : mm_stats(&conn, &end);
    why = why                             ? why
          : e != MM_OK                    ? "stats refused"
          : end.charge != start->charge   ? "charge not back at the start"
          : end.regions != start->regions ? "regions not back at the start"
                                          : NULL;
    verdict("unmap", why, e, i);
}

/* Runs the stages in order; exits with the number that failed. */
int main(void) {
    mm_stats_result_t start;
    mm_err_t e = mm_stats(&conn, &start);
    verdict("stats", e != MM_OK ? "stats refused" : NULL, e, 0);
    ipc_printf("mm_regions: %u regions\n", (unsigned)MM_REGIONS_N);
    stage_map(&start);
    stage_protect(&start, 0);
    stage_protect(&start, 1);
    stage_query();
    stage_unmap(&start);
    return failed;
}
