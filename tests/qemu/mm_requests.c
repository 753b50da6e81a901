/*
 * Every memory request through the real kernel and mmserver (the `mm` image, booted
 * through mmserver): map eager and lazy, write and read back, a first touch filled on
 * demand, protect checked with query, decommit (the next touch reads zeroes), a bad
 * request refused with its typed error, and the account back where it started once
 * everything is unmapped. Each step prints `test mm_NAME: OK|FAILED reason`.
 */
#include <ipc/mm_client.h>

#include "test.h"

#define VA_EAGER 0x10000000ull
#define VA_LAZY  0x20000000ull
#define PAGES    4u
#define LEN      (PAGES * MM_PAGE_SIZE)

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};
static int failed;

/* Prints the verdict of step name: why == NULL is OK. */
static void verdict(const char *name, const char *why, uint64_t err) {
    if (!why) {
        ipc_printf("test mm_%s: OK\n", name);
        return;
    }
    failed++;
    ipc_printf("test mm_%s: FAILED %s (error %llu)\n", name, why, (unsigned long long)err);
}

/* Writes a pattern over [va, va + LEN) and reads it back; NULL when it holds. */
static const char *write_read(uint64_t va, uint64_t seed) {
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
    for (uint64_t i = 0; i < LEN / 8; i += 64) {
        p[i] = seed + i;
    }
    for (uint64_t i = 0; i < LEN / 8; i += 64) {
        if (p[i] != seed + i) {
            return "the pattern did not read back";
        }
    }
    return NULL;
}

/* Eager map, then the pattern. */
static void step_map_eager(void) {
    mm_map_result_t r;
    mm_err_t e = mm_map(&conn, VA_EAGER, LEN, MM_PERM_R | MM_PERM_W, 0, &r);
    const char *why = e != MM_OK                             ? "map refused"
                      : r.va != VA_EAGER || r.pages != PAGES ? "wrong address or page count"
                                                             : write_read(VA_EAGER, 0x1234);
    verdict("map_eager", why, e);
}

/* Lazy map: nothing backed until the first touch, which the fault path fills. */
static void step_map_lazy(void) {
    mm_map_result_t r;
    mm_query_result_t q;
    mm_err_t e = mm_map(&conn, VA_LAZY, LEN, MM_PERM_R | MM_PERM_W, MM_F_LAZY, &r);
    const char *why = e != MM_OK     ? "map refused"
                      : r.pages != 0 ? "lazy pages backed at once"
                                     : NULL;
    if (!why) {
        e = mm_query(&conn, VA_LAZY, &q);
        why = e != MM_OK ? "query refused" : q.frame != 0 ? "a frame before the touch" : NULL;
    }
    why = why ? why : write_read(VA_LAZY, 0x5678);
    if (!why) {
        e = mm_query(&conn, VA_LAZY, &q);
        why = e != MM_OK || q.frame == 0   ? "no frame after the touch"
              : q.frame != MM_FRAME_HIDDEN ? "an unprivileged client was told a physical address"
                                           : NULL;
    }
    verdict("map_lazy", why, e);
}

/* Protect to read-only; query says so and the data stays. */
static void step_protect(void) {
    mm_protect_result_t r;
    mm_query_result_t q;
    mm_err_t e = mm_protect(&conn, VA_EAGER, LEN, MM_PERM_R, &r);
    const char *why = e != MM_OK ? "protect refused" : r.perm != MM_PERM_R ? "wrong perm" : NULL;
    if (!why) {
        e = mm_query(&conn, VA_EAGER + MM_PAGE_SIZE, &q);
        why = e != MM_OK || q.perm != MM_PERM_R ? "query does not say read-only" : NULL;
    }
    if (!why && *(volatile uint64_t *)(uintptr_t)VA_EAGER != 0x1234) {
        why = "data lost by protect";
    }
    verdict("protect", why, e);
}

/* Decommit the lazy range: its frames go, the next touch reads zeroes. */
static void step_decommit(void) {
    mm_release_result_t r;
    mm_err_t e = mm_decommit(&conn, VA_LAZY, LEN, &r);
    const char *why = e != MM_OK         ? "decommit refused"
                      : r.pages != PAGES ? "wrong page count"
                                         : NULL;
    if (!why && *(volatile uint64_t *)(uintptr_t)VA_LAZY != 0) {
        why = "old data after decommit";
    }
    verdict("decommit", why, e);
}

/* Bad requests: each refused with its own typed error, nothing changed. */
static void step_bad_requests(void) {
    const char *why = NULL;
    mm_err_t e = mm_map(&conn, VA_EAGER + 1, LEN, MM_PERM_R, 0, NULL);
    why = e != MM_ERR_ALIGN ? "unaligned map not ALIGN" : NULL;
    e = why ? e : mm_map(&conn, VA_EAGER, LEN, MM_PERM_R, 0, NULL);
    why = why ? why : e != MM_ERR_EXISTS ? "map over a mapping not EXISTS" : NULL;
    e = why ? e : mm_map(&conn, 0x30000000, LEN, MM_PERM_W | MM_PERM_X | MM_PERM_R, 0, NULL);
    why = why ? why : e != MM_ERR_WX ? "W+X not WX" : NULL;
    e = why ? e : mm_unmap(&conn, 0x30000000, LEN, NULL);
    why = why ? why : e != MM_ERR_NOT_MAPPED ? "unmap of nothing not NOT_MAPPED" : NULL;
    e = why ? e : mm_map(&conn, 0, LEN, MM_PERM_R, 0, NULL);
    why = why ? why : e != MM_ERR_RANGE ? "map at 0 not RANGE" : NULL;
    verdict("bad_requests", why, e);
}

/* Unmap both ranges: the charge is back to what it was before the first map. */
static void step_unmap(const mm_stats_result_t *before) {
    mm_stats_result_t after;
    mm_err_t e = mm_unmap(&conn, VA_EAGER, LEN, NULL);
    e = e != MM_OK ? e : mm_unmap(&conn, VA_LAZY, LEN, NULL);
    e = e != MM_OK ? e : mm_stats(&conn, &after);
    const char *why = e != MM_OK                         ? "unmap or stats refused"
                      : after.charge != before->charge   ? "charge not back at the start"
                      : after.regions != before->regions ? "regions not back at the start"
                                                         : NULL;
    verdict("unmap_stats", why, e);
}

/* Runs the steps in order; exits with the number that failed. */
int main(void) {
    mm_stats_result_t before;
    mm_err_t e = mm_stats(&conn, &before);
    verdict("stats", e != MM_OK ? "stats refused" : NULL, e);
    step_map_eager();
    step_map_lazy();
    step_protect();
    step_decommit();
    step_bad_requests();
    step_unmap(&before);
    return failed;
}
