/*
 * A hostile client of mmserver through the real kernel (the `mm` image): kernel addresses,
 * an overflowing range, zero length, a count far past any quota, protect / decommit /
 * unmap of holes, another process's range, W+X, a device mapping without the privilege, a
 * request through a forged capability slot; each
 * must be refused with its own typed error and change nothing: at the end this client's charge and
 * regions are as they started (the pool's free count is printed, not compared: the image's other
 * programs run meanwhile). Prints `test mm_client_NAME: OK|FAILED`.
 */
#include <stdbool.h>

#include <ipc/mm_client.h>

#include "test.h"

#define VA     0x10000000ull
#define KERNEL 0xffff800000000000ull
#define HOLE   0x50000000ull
#define FORGED 200u          /* a slot this process was never given */
#define OTHERS 0x10000000ull /* where mm_requests maps its eager range */
#define RW     (MM_PERM_R | MM_PERM_W)

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* One hostile request and the error it must get. */
typedef struct attack {
    const char *name;
    mm_err_t (*run)(void);
    mm_err_t want;
} attack_t;

/* Map of a kernel-half address. */
static mm_err_t kernel_address(void) {
    return mm_map(&conn, KERNEL, MM_PAGE_SIZE, RW, 0, NULL);
}

/* A range whose last byte wraps past 2^64 (one page more than reaches the top). */
static mm_err_t overflow(void) {
    return mm_map(&conn, VA, 0u - VA + MM_PAGE_SIZE, RW, 0, NULL);
}

/* Zero length. */
static mm_err_t zero_length(void) {
    return mm_map(&conn, VA, 0, RW, 0, NULL);
}

/* 64 GiB: inside the user half of every format (Sv39's is 256 GiB), far past any quota. */
static mm_err_t huge_count(void) {
    return mm_map(&conn, VA, 1ull << 36, RW, MM_F_LAZY, NULL);
}

/* Protect of a range with nothing mapped. */
static mm_err_t protect_hole(void) {
    return mm_protect(&conn, HOLE, 4 * MM_PAGE_SIZE, MM_PERM_R, NULL);
}

/* Decommit of a range with nothing mapped. */
static mm_err_t decommit_hole(void) {
    return mm_decommit(&conn, HOLE, MM_PAGE_SIZE, NULL);
}

/* Unmap of a range with nothing mapped. */
static mm_err_t unmap_hole(void) {
    return mm_unmap(&conn, HOLE, MM_PAGE_SIZE, NULL);
}

/* Protect of the range mm_requests maps in its own space (the same address): requests act
 * on the caller's space only, where nothing is there. */
static mm_err_t other_process_range(void) {
    return mm_protect(&conn, OTHERS, 4 * MM_PAGE_SIZE, MM_PERM_R, NULL);
}

/* A device mapping of a physical page outside the pool, from a client that is not
 * privileged. */
static mm_err_t device_map(void) {
    return mm_map_device(&conn, VA, MM_PAGE_SIZE, 0xa0000, MM_MEM_DEVICE, RW, 0, NULL);
}

/* Writable and executable at once. */
static mm_err_t write_exec(void) {
    return mm_map(&conn, VA, MM_PAGE_SIZE, RW | MM_PERM_X, 0, NULL);
}

/* The same request through a capability slot never given: the kernel refuses the IPC. */
static mm_err_t forged_slot(void) {
    mm_ipc_t forged = {FORGED, ipc.buffer};
    mm_conn_t c = {mm_ipc_call, &forged, 0, 0};
    mm_err_t e = mm_map(&c, VA, MM_PAGE_SIZE, RW, 0, NULL);
    return e == MM_ERR_IPC && c.ipc_err == IPC_ERR_INVALID_CAP ? MM_ERR_IPC : MM_OK;
}

static const attack_t attacks[] = {
    {"kernel_address", kernel_address, MM_ERR_RANGE},
    {"overflow", overflow, MM_ERR_OVERFLOW},
    {"zero_length", zero_length, MM_ERR_INVAL},
    {"huge_count", huge_count, MM_ERR_QUOTA},
    {"protect_hole", protect_hole, MM_ERR_NOT_MAPPED},
    {"decommit_hole", decommit_hole, MM_ERR_NOT_MAPPED},
    {"unmap_hole", unmap_hole, MM_ERR_NOT_MAPPED},
    {"other_process_range", other_process_range, MM_ERR_NOT_MAPPED},
    {"write_exec", write_exec, MM_ERR_WX},
    {"device_map", device_map, MM_ERR_DENIED},
    {"forged_slot", forged_slot, MM_ERR_IPC},
};

/* Runs every attack, then checks charge and pool against the start. */
int main(void) {
    mm_stats_result_t before, after;
    int failed = 0;
    if (mm_stats(&conn, &before) != MM_OK) {
        ipc_printf("test mm_client_stats: FAILED stats refused\n");
        return 1;
    }
    for (unsigned i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
        mm_err_t e = attacks[i].run();
        bool ok = e == attacks[i].want;
        failed += !ok;
        ipc_printf("test mm_client_%s: %s", attacks[i].name, ok ? "OK\n" : "FAILED");
        if (!ok) {
            ipc_printf(" error %u, wanted %u\n", (unsigned)e, (unsigned)attacks[i].want);
        }
    }
    bool same = mm_stats(&conn, &after) == MM_OK && after.charge == before.charge &&
                after.regions == before.regions;
    failed += !same;
    ipc_printf("test mm_client_nothing_changed: %s (charge %llu, pool %llu frames free)\n",
               same ? "OK" : "FAILED", (unsigned long long)after.charge,
               (unsigned long long)after.pool);
    return failed ? 1 : 0;
}
