/*
 * Issue 14, hole 2: a process mmserver manages must not be able to escape it. Its faults and
 * its end notice go to mmserver through a binding the process cannot change: its own thread
 * capability lacks the bind right, so setting its fault endpoint to none, or to an endpoint
 * of its own, is refused (also through a copy of that capability). A lazy page touched
 * afterwards is still filled by mmserver, and the exit still reaches mmserver, which then
 * reclaims everything (mmserver's `mm_pool_restored` line, which the mm image requires).
 */
#include <ipc/ipc_user.h>
#include <ipc/mm_client.h>

#include "test.h"

#define OWN_EP   10u /* an endpoint of the process's own */
#define SELF_CPY 11u /* a copy of its own thread capability, every right it can keep */
#define LAZY_VA  0x48000000ull

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};

/* Every attempt to move the fault binding, each refused with IPC_ERR_NO_RIGHTS. */
static void try_to_escape(unsigned *failures) {
    ipc_err_t e = ipc_thread_set_fault(IPC_SLOT_SELF, IPC_SLOT_NONE);
    TEST_CHECK(failures, e == IPC_ERR_NO_RIGHTS, "fault endpoint to none: error %u", (unsigned)e);
    TEST_CHECK(failures, ipc_endpoint_create(OWN_EP) == IPC_OK, "an endpoint of its own");
    e = ipc_thread_set_fault(IPC_SLOT_SELF, OWN_EP);
    TEST_CHECK(failures, e == IPC_ERR_NO_RIGHTS, "fault endpoint to its own: error %u",
               (unsigned)e);
    TEST_CHECK(failures, ipc_cap_copy(IPC_SLOT_SELF, SELF_CPY, IPC_RIGHTS_ALL, 0) == IPC_OK,
               "a copy of its thread capability");
    e = ipc_thread_set_fault(SELF_CPY, OWN_EP);
    TEST_CHECK(failures, e == IPC_ERR_NO_RIGHTS, "through the copy: error %u", (unsigned)e);
    ipc_ret_t id = ipc_cap_identify(IPC_SLOT_SELF);
    TEST_CHECK(failures, id.err == IPC_OK && !((id.value >> 8) & IPC_RIGHT_THREAD_BIND),
               "its own thread capability has no bind right (identify 0x%llx)",
               (unsigned long long)id.value);
}

/* Tries to escape, then shows mmserver still serves its faults; exits 0 when all held. */
int main(void) {
    unsigned failures = 0;
    try_to_escape(&failures);
    TEST_CHECK(&failures,
               mm_map(&conn, LAZY_VA, MM_PAGE_SIZE, MM_PERM_R | MM_PERM_W, MM_F_LAZY, NULL) ==
                   MM_OK,
               "a lazy page");
    if (!failures) {
        *(volatile uint64_t *)(uintptr_t)LAZY_VA = 0x5afe; /* filled by mmserver */
        TEST_CHECK(&failures, *(volatile uint64_t *)(uintptr_t)LAZY_VA == 0x5afe,
                   "the lazy page holds what was written");
    }
    ipc_printf(failures ? "test mm_fault_escape: FAILED %u checks\n" : "test mm_fault_escape: OK\n",
               failures);
    return failures ? 1 : 0;
}
