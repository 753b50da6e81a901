/*
 * A holder of the exhaustion round (many.h): asks for more than its quota (must be QUOTA,
 * nothing mapped), then maps MANY_HOLD_LEN chunks (eager) until mmserver says QUOTA (its
 * own quota is full) or NOMEM (the pool is), and waits on the root's endpoint
 * (MM_SLOT_BOOT, every right: spawned with MM_SPAWN_SERVE) until the root lets it go. A few
 * holders empty the pool. Exits 0, or the failed step's number.
 */
#include <ipc/ipc_user.h>

#include "many.h"
#include "test.h"

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* The steps; the exit status names the one that failed. */
int main(void) {
    mm_stats_result_t s;
    mm_map_result_t r;
    if (mm_stats(&conn, &s) != MM_OK) {
        return 1;
    }
    uint64_t over = (s.quota + 1) * MM_PAGE_SIZE;
    if (mm_map(&conn, MANY_HOLD_VA, over, MM_PERM_R | MM_PERM_W, MM_F_LAZY, &r) != MM_ERR_QUOTA) {
        return 2;
    }
    mm_err_t e = MM_OK;
    for (uint64_t va = MANY_HOLD_VA; e == MM_OK; va += MANY_HOLD_LEN) {
        e = mm_map(&conn, va, MANY_HOLD_LEN, MM_PERM_R | MM_PERM_W, 0, &r);
    }
    if (e != MM_ERR_QUOTA && e != MM_ERR_NOMEM) {
        return 3;
    }
    ipc_msg_t m = {0};
    if (ipc_recv(MM_SLOT_BOOT, &m) != IPC_OK) {
        return 4;
    }
    return 0;
}
