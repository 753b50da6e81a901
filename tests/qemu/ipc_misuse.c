/*
 * Capability misuse gets typed errors, never a kill and never a block: forged and empty
 * slots, capabilities of the wrong kind, missing rights, copies that try to add rights or
 * re-badge, full slots, the kernel's fault label, over-long messages and bad IPC buffers,
 * a reply with nobody to reply to, priorities above one's own. (Replying twice and replying
 * after the caller died are checked by ipc_pong and ipc_fault_handler, which have callers.)
 */
#include "ipc_test.h"

#define EMPTY 20u /* a slot nobody filled */
#define COPY  10u
#define OWN   13u

static ipc_buffer_t buffer __attribute__((aligned(4096)));

/* The error of a send of info through slot (which must not block: every case is refused
 * before any waiting). */
static ipc_err_t send_info(uint64_t slot, uint64_t info) {
    ipc_msg_t m = {.info = info};
    return ipc_send(slot, &m);
}

#define EXPECT(failures, call, want)                                                               \
    do {                                                                                           \
        ipc_err_t got_ = (call);                                                                   \
        TEST_CHECK(failures, got_ == (want), "%s: %s, expected %s", #call, ipc_strerror(got_),     \
                   ipc_strerror(want));                                                            \
    } while (0)

/* Slots that name nothing, or the wrong kind of thing. */
static void check_slots(int *f) {
    EXPECT(f, send_info(IPC_CAP_SLOTS_MAX, ipc_info(1, 0)), IPC_ERR_INVALID_CAP);
    EXPECT(f, send_info(9999, ipc_info(1, 0)), IPC_ERR_INVALID_CAP);
    EXPECT(f, send_info(~0ull, ipc_info(1, 0)), IPC_ERR_INVALID_CAP);
    EXPECT(f, send_info(EMPTY, ipc_info(1, 0)), IPC_ERR_INVALID_CAP);
    EXPECT(f, send_info(IPC_SLOT_SELF, ipc_info(1, 0)), IPC_ERR_WRONG_CAP);
    EXPECT(f, ipc_thread_kill(IPC_SLOT_BOOT), IPC_ERR_WRONG_CAP);
    EXPECT(f, ipc_thread_kill(EMPTY), IPC_ERR_INVALID_CAP);
    EXPECT(f, ipc_cap_delete(EMPTY), IPC_ERR_INVALID_CAP);
    EXPECT(f, ipc_cap_copy(EMPTY, COPY, IPC_RIGHTS_ALL, 0), IPC_ERR_INVALID_CAP);
    EXPECT(f, ipc_cap_identify(1ull << 40).err, IPC_ERR_INVALID_CAP);
    /* Its own thread capability lacks the bind right (mmserver's binding): refused first. */
    EXPECT(f, ipc_thread_set_fault(IPC_SLOT_SELF, 9999), IPC_ERR_NO_RIGHTS);
    EXPECT(f, (ipc_err_t)ipc_syscall(IPC_SYS_IPC_END_, 0, 0, 0, 0, 0, 0).err,
           IPC_ERR_INVALID_SYSCALL);
}

/* Rights: missing ones are refused, copies never add any, a badge is set once. */
static void check_rights(int *f) {
    ipc_msg_t m;
    EXPECT(f, ipc_recv(IPC_SLOT_BOOT, &m), IPC_ERR_NO_RIGHTS);
    EXPECT(f, ipc_reply_recv(IPC_SLOT_BOOT, &m), IPC_ERR_NO_RIGHTS);
    EXPECT(f, ipc_cap_copy(IPC_SLOT_BOOT, COPY, IPC_RIGHT_SEND, 0), IPC_OK);
    EXPECT(f, ipc_cap_copy(COPY, COPY + 1, IPC_RIGHTS_ALL, 0), IPC_OK);
    ipc_ret_t id = ipc_cap_identify(COPY + 1);
    TEST_CHECK(f, id.err == IPC_OK && id.value == (IPC_CAP_ENDPOINT | IPC_RIGHT_SEND << 8),
               "a copy asking for all rights got 0x%llx", (unsigned long long)id.value);
    EXPECT(f, send_info(COPY + 1, ipc_info_cap(1, 0, IPC_SLOT_SELF)), IPC_ERR_NO_RIGHTS);
    EXPECT(f, ipc_cap_copy(IPC_SLOT_BOOT, COPY + 2, IPC_RIGHTS_ALL, 99), IPC_ERR_INVALID_ARGUMENT);
    EXPECT(f, ipc_cap_copy(IPC_SLOT_BOOT, COPY, IPC_RIGHTS_ALL, 0), IPC_ERR_SLOT_FULL);
    EXPECT(f, ipc_cap_copy(IPC_SLOT_BOOT, COPY + 2, 1u << 5, 0), IPC_ERR_INVALID_ARGUMENT);
    EXPECT(f, ipc_endpoint_create(COPY), IPC_ERR_SLOT_FULL);
    EXPECT(f, ipc_endpoint_create(IPC_CAP_SLOTS_MAX), IPC_ERR_INVALID_CAP);
    EXPECT(f, ipc_endpoint_create(OWN), IPC_OK);
    EXPECT(f, ipc_cap_copy(OWN, OWN + 1, IPC_RIGHT_RECV, 0), IPC_OK);
    EXPECT(f, send_info(OWN + 1, ipc_info(1, 0)), IPC_ERR_NO_RIGHTS);
    EXPECT(f, ipc_thread_set_fault(IPC_SLOT_SELF, OWN + 1), IPC_ERR_NO_RIGHTS);
    EXPECT(f, ipc_thread_set_priority(IPC_SLOT_SELF, IPC_PRIO_COUNT - 1), IPC_ERR_NO_RIGHTS);
    EXPECT(f, ipc_thread_set_priority(IPC_SLOT_SELF, IPC_PRIO_COUNT), IPC_ERR_INVALID_ARGUMENT);
    EXPECT(f, ipc_cap_delete(COPY), IPC_OK);
    id = ipc_cap_identify(COPY);
    TEST_CHECK(f, id.err == IPC_OK && id.value == IPC_CAP_NONE, "deleted slot: 0x%llx",
               (unsigned long long)id.value);
}

/* Messages the kernel refuses before anything moves. */
static void check_messages(int *f) {
    ipc_msg_t m = {.info = ipc_info(0, 0)};
    EXPECT(f, ipc_reply(&m), IPC_ERR_NO_REPLY);
    EXPECT(f, send_info(OWN, ipc_info(IPC_LABEL_FAULT, 0)), IPC_ERR_INVALID_ARGUMENT);
    EXPECT(f, send_info(OWN, ipc_info(1, IPC_MSG_MAX_WORDS + 1)), IPC_ERR_INVALID_ARGUMENT);
    /* mmserver starts every program with an IPC buffer: without one, a long message has
     * nowhere to come from. */
    EXPECT(f, ipc_set_ipc_buffer((ipc_buffer_t *)0), IPC_OK);
    EXPECT(f, send_info(OWN, ipc_info(1, IPC_MSG_REGS + 1)), IPC_ERR_BAD_ADDRESS);
    EXPECT(f, ipc_set_ipc_buffer((ipc_buffer_t *)((uintptr_t)&buffer + 8)),
           IPC_ERR_INVALID_ARGUMENT);
    EXPECT(f, ipc_set_ipc_buffer((ipc_buffer_t *)(uintptr_t)TEST_KERNEL_ADDRESS),
           IPC_ERR_BAD_ADDRESS);
    EXPECT(f, ipc_set_ipc_buffer((ipc_buffer_t *)(uintptr_t)0x10000000ull), IPC_ERR_BAD_ADDRESS);
    EXPECT(f, ipc_set_ipc_buffer((ipc_buffer_t *)(((uintptr_t)main) & ~4095ull)),
           IPC_ERR_BAD_ADDRESS);
    EXPECT(f, ipc_set_ipc_buffer(&buffer), IPC_OK);
}

/* Runs the groups; exits with the number of failed checks. */
int main(void) {
    int failures = 0;
    check_slots(&failures);
    check_rights(&failures);
    check_messages(&failures);
    return failures;
}
