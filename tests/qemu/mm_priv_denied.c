/*
 * The privileged calls of ipc/mmpriv.h refuse any caller without the memory capability,
 * with a typed error and whatever the other words say: an empty, forged or huge slot is
 * IPC_ERR_INVALID_CAP, a slot holding another kind (its own thread, the boot endpoint) is
 * IPC_ERR_WRONG_CAP. Numbers around the range stay IPC_ERR_INVALID_SYSCALL.
 */
#include <ipc/ipc.h>
#include <ipc/mmpriv.h>

#include "test.h"

/* Arguments a hostile caller might pass after the slot: zeroes, ones, kernel addresses. */
static const uint64_t junk[3] = {0, ~0ull, TEST_KERNEL_ADDRESS};

/* Calls nr with slot and every junk word; each must fail with want. */
static void check_call(int *failures, uint64_t nr, uint64_t slot, ipc_err_t want) {
    for (unsigned j = 0; j < 3; j++) {
        uint64_t w = junk[j];
        ipc_ret_t r = ipc_syscall(nr, slot, w, w, w, w, w);
        TEST_CHECK(failures, r.err == want, "call %llu slot %llu words %llx: %s, not %s",
                   (unsigned long long)nr, (unsigned long long)slot, (unsigned long long)w,
                   ipc_strerror(r.err), ipc_strerror(want));
    }
}

/* Runs every call with every kind of slot but the right one; exits with the failures. */
int main(void) {
    int failures = 0;
    for (uint64_t nr = MMPRIV_SYS_FIRST; nr < MMPRIV_SYS_END_; nr++) {
        check_call(&failures, nr, IPC_SLOT_FREE, IPC_ERR_INVALID_CAP);
        check_call(&failures, nr, IPC_CAP_SLOTS_MAX, IPC_ERR_INVALID_CAP);
        check_call(&failures, nr, ~0ull, IPC_ERR_INVALID_CAP);
        check_call(&failures, nr, IPC_SLOT_SELF, IPC_ERR_WRONG_CAP);
        check_call(&failures, nr, IPC_SLOT_BOOT, IPC_ERR_WRONG_CAP);
    }
    check_call(&failures, MMPRIV_SYS_FIRST - 1, IPC_SLOT_SELF, IPC_ERR_INVALID_SYSCALL);
    check_call(&failures, MMPRIV_SYS_END_, IPC_SLOT_SELF, IPC_ERR_INVALID_SYSCALL);
    return failures;
}
