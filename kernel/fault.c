/*
 * User faults. Every user exception is reported (kind, vector, error code, pc, address)
 * and becomes a message to the thread's fault endpoint (ipc/ipc.h, "fault message"): the
 * thread waits for a reply, which resumes it, or for the holder of its thread capability
 * to kill it. A thread without a fault endpoint is stopped and reported; every other
 * thread goes on. mmserver handles the faults of the programs it starts (and keeps how
 * each ended); a fault in mmserver itself (which has no fault endpoint) is fatal to the
 * system: the kernel panics.
 */
#include "kern.h"

static const char *const kind_names[IPC_FAULT_COUNT_] = {
    "none", "page", "privileged", "illegal", "arith", "debug", "align", "other",
};

/* The name of fault kind k ("page", "arith", ...). */
static const char *fault_kind_name(uint32_t k) {
    return k < IPC_FAULT_COUNT_ ? kind_names[k] : "?";
}

/* The access of a page fault as text. */
static const char *fault_access_name(uint32_t access) {
    if (access & IPC_ACCESS_EXEC) {
        return "exec";
    }
    return (access & IPC_ACCESS_WRITE) ? "write" : "read";
}

/* See arch.h. */
void kern_user_fault(const arch_fault_t *f) {
    kern_thread_t *t = kern_current();
    kern_printf("[kern] fault in '%s': %s fault, %s (vector %llu) error 0x%llx pc 0x%llx", t->name,
                fault_kind_name(f->kind), f->name, (unsigned long long)f->vector,
                (unsigned long long)f->code, (unsigned long long)f->pc);
    if (f->kind == IPC_FAULT_PAGE) {
        kern_printf(" addr 0x%llx (%s)", (unsigned long long)f->addr, fault_access_name(f->access));
    }
    if (kern_ipc_send_fault(t, f)) {
        kern_printf(" -> fault endpoint\n");
        return;
    }
    if (t->mm_server) {
        kern_printf("\n");
        kern_panic("mmserver faulted: no address space can be served any more");
    }
    kern_printf(" -> killed\n");
    kern_thread_end(t, MMPRIV_END_KILLED);
}
