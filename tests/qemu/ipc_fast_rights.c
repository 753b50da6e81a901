/*
 * Issue 14: a call needs the send right whichever path the kernel takes. The partner is
 * init, which waits on the boot endpoint between requests; a register-only call with a
 * user label to a waiting receiver is exactly what the fast path serves (kernel/ipc_fast.c).
 * Through copies of the boot capability without the send right (grant only, no rights at
 * all) that call must be IPC_ERR_NO_RIGHTS, and init must go on serving: the same call
 * through the boot capability itself, before and after, is answered.
 */
#include "ipc_test.h"

#define GRANT_ONLY 10u /* the boot capability with the grant right only */
#define NO_RIGHTS  11u /* the boot capability with no right */
#define ROUNDS     50u

/* A register-only lookup of a name nobody registers, through slot: init answers
 * NS_NOT_FOUND when it gets it. Returns the call's error; *label gets the reply's label. */
static ipc_err_t lookup(uint64_t slot, uint64_t *label) {
    ipc_msg_t m = {.info = ipc_info(NS_LOOKUP, 1), .w = {ns_name("nobody")}};
    ipc_err_t e = ipc_call(slot, &m);
    *label = ipc_info_label(m.info);
    return e;
}

/* Checks that init answers a lookup through the boot capability. */
static void expect_served(int *f, const char *when) {
    uint64_t label = ~0ull;
    ipc_err_t e = lookup(IPC_SLOT_BOOT, &label);
    TEST_CHECK(f, e == IPC_OK && label == NS_NOT_FOUND, "%s: the boot capability: %s, label %llu",
               when, ipc_strerror(e), (unsigned long long)label);
}

int main(void) {
    int failures = 0;
    if (ipc_cap_copy(IPC_SLOT_BOOT, GRANT_ONLY, IPC_RIGHT_GRANT, 0) != IPC_OK ||
        ipc_cap_copy(IPC_SLOT_BOOT, NO_RIGHTS, 0, 0) != IPC_OK) {
        ipc_test_die("copying the boot capability", IPC_OK);
    }
    expect_served(&failures, "before");
    for (unsigned i = 0; i < ROUNDS; i++) {
        uint64_t label;
        ipc_err_t e = lookup(GRANT_ONLY, &label);
        TEST_CHECK(&failures, e == IPC_ERR_NO_RIGHTS, "round %u: call without send (grant): %s", i,
                   ipc_strerror(e));
        e = lookup(NO_RIGHTS, &label);
        TEST_CHECK(&failures, e == IPC_ERR_NO_RIGHTS, "round %u: call with no right: %s", i,
                   ipc_strerror(e));
        expect_served(&failures, "between");
    }
    ipc_printf("  %u rounds: register-only calls through send-less copies refused while init "
               "waits; init served every call through the boot capability\n",
               ROUNDS);
    return failures ? 1 : 0;
}
