/*
 * One of the many workers (many.h): maps MANY_PAGES pages, touches each with its own
 * pattern, reads them back, unmaps them and checks its charge is back where it started.
 * Exits 0 when all of that held, else the number of the step that failed.
 */
#include "many.h"
#include "test.h"

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* The steps; the exit status names the one that failed. */
int main(void) {
    mm_stats_result_t before, after;
    mm_map_result_t r;
    mm_release_result_t rel;
    if (mm_stats(&conn, &before) != MM_OK) {
        return 1;
    }
    uint64_t len = MANY_PAGES * MM_PAGE_SIZE;
    if (mm_map(&conn, MANY_WORKER_VA, len, MM_PERM_R | MM_PERM_W, MM_F_LAZY, &r) != MM_OK) {
        return 2;
    }
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)MANY_WORKER_VA;
    for (uint64_t i = 0; i < len / 8; i += MM_PAGE_SIZE / 8) {
        p[i] = 0x5eed0000ull + i; /* a fault fills each page */
    }
    for (uint64_t i = 0; i < len / 8; i += MM_PAGE_SIZE / 8) {
        if (p[i] != 0x5eed0000ull + i) {
            return 3;
        }
    }
    if (mm_unmap(&conn, MANY_WORKER_VA, len, &rel) != MM_OK || rel.freed != MANY_PAGES) {
        return 4;
    }
    if (mm_stats(&conn, &after) != MM_OK || after.charge != before.charge ||
        after.regions != before.regions) {
        return 5;
    }
    return 0;
}
