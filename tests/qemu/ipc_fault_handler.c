/* The handler of ipc_fault.h. */
#include "ipc_fault.h"

#define EP IPC_SLOT_FREE /* ns_serve puts the endpoint there */

/* Receives the faulter's thread capability; returns its slot and the faulter's badge. */
static uint64_t take_thread(int *failures, uint64_t *badge) {
    ipc_msg_t m;
    ipc_err_t e = ipc_recv(EP, &m);
    if (e != IPC_OK || ipc_info_label(m.info) != FAULT_GIVE_LABEL || !(m.info & IPC_INFO_CAP)) {
        ipc_test_die("receiving the thread capability", e);
    }
    uint64_t slot = ipc_info_slot(m.info);
    ipc_ret_t id = ipc_cap_identify(slot);
    TEST_CHECK(failures, id.err == IPC_OK && (id.value & 0xff) == IPC_CAP_THREAD,
               "received kind %llu", (unsigned long long)id.value);
    *badge = m.badge;
    m.info = ipc_info(0, 0);
    e = ipc_reply(&m);
    TEST_CHECK(failures, e == IPC_OK, "reply: %s", ipc_strerror(e));
    return slot;
}

/* Receives the fault message and checks it against what the faulter did. */
static void check_fault(int *failures, uint64_t badge) {
    ipc_msg_t m;
    ipc_err_t e = ipc_recv(EP, &m);
    TEST_CHECK(failures, e == IPC_OK, "recv: %s", ipc_strerror(e));
    TEST_CHECK(failures, ipc_info_label(m.info) == IPC_LABEL_FAULT, "label 0x%llx",
               (unsigned long long)ipc_info_label(m.info));
    TEST_CHECK(failures, ipc_info_length(m.info) == IPC_FAULT_LENGTH, "length");
    TEST_CHECK(failures, m.badge == badge, "fault badge %llu, caller badge %llu",
               (unsigned long long)m.badge, (unsigned long long)badge);
    uint64_t w0 = m.w[IPC_FAULT_W_INFO];
    TEST_CHECK(failures, ipc_fault_kind(w0) == IPC_FAULT_PAGE, "kind %u", ipc_fault_kind(w0));
    TEST_CHECK(failures, ipc_fault_access(w0) == IPC_ACCESS_WRITE, "access %u",
               ipc_fault_access(w0));
    TEST_CHECK(failures, m.w[IPC_FAULT_W_ADDR] == FAULT_ADDRESS, "address 0x%llx",
               (unsigned long long)m.w[IPC_FAULT_W_ADDR]);
    TEST_CHECK(failures, m.w[IPC_FAULT_W_PC] != 0, "pc 0");
}

/* Kills the faulter and checks what is left of it. */
static void kill_faulter(int *failures, uint64_t thread) {
    ipc_err_t e = ipc_thread_kill(thread);
    TEST_CHECK(failures, e == IPC_OK, "kill: %s", ipc_strerror(e));
    ipc_msg_t m = {.info = ipc_info(0, 0)};
    e = ipc_reply(&m);
    TEST_CHECK(failures, e == IPC_ERR_NO_REPLY, "reply after the caller died: %s", ipc_strerror(e));
    e = ipc_thread_kill(thread);
    TEST_CHECK(failures, e == IPC_ERR_INVALID_CAP, "killing again: %s", ipc_strerror(e));
}

/* Registers "faulthnd", takes the thread capability, handles the fault by killing. */
int main(void) {
    int failures = 0;
    ns_serve("faulthnd");
    uint64_t badge;
    uint64_t thread = take_thread(&failures, &badge);
    check_fault(&failures, badge);
    kill_faulter(&failures, thread);
    return failures;
}
