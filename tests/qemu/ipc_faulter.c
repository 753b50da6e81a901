/* The faulting side of ipc_fault.h: killed by its handler, which the kernel judges
 * against the page fault it declared. */
#include "ipc_fault.h"

/* Hands its thread capability over, sets the fault endpoint, faults. */
int main(void) {
    uint64_t ep = ns_lookup("faulthnd");
    ipc_msg_t m = {.info = ipc_info_cap(FAULT_GIVE_LABEL, 0, IPC_SLOT_SELF)};
    ipc_err_t e = ipc_call(ep, &m);
    if (e != IPC_OK) {
        ipc_test_die("giving the thread capability", e);
    }
    e = ipc_thread_set_fault(IPC_SLOT_SELF, ep);
    if (e != IPC_OK) {
        ipc_test_die("setting the fault endpoint", e);
    }
    *(volatile uint64_t *)(uintptr_t)FAULT_ADDRESS = 1;
    ipc_puts("  the faulter was resumed\n");
    return 1;
}
