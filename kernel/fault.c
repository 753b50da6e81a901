/*
 * User faults. Every user exception becomes a message (kind, vector, error code, pc,
 * address) to the thread's fault endpoint (ipc/ipc.h, "fault message"): the
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

/* Prints fault f of thread t on the console, ending with what became of t. */
static void print_fault(const kern_thread_t *t, const arch_fault_t *f, const char *outcome) {
    kern_printf("[kern] fault in '%s': %s fault, %s (vector %llu) error 0x%llx pc 0x%llx", t->name,
                fault_kind_name(f->kind), f->name, (unsigned long long)f->vector,
                (unsigned long long)f->code, (unsigned long long)f->pc);
    if (f->kind == IPC_FAULT_PAGE) {
        kern_printf(" addr 0x%llx (%s)", (unsigned long long)f->addr, fault_access_name(f->access));
    }
    kern_printf(" -> %s\n", outcome);
}

/* See arch.h. A fault that reaches its endpoint prints nothing: serving page faults is
 * mmserver's everyday work (a console line cost more than the fault itself), and the
 * handler records what it decides (mmserver keeps kind, access, address and pc of a kill
 * in the process's end record). Only a fault with nowhere to go is printed. */
void kern_user_fault(const arch_fault_t *f) {
    kern_thread_t *t = kern_current();
    if (kern_ipc_send_fault(t, f)) {
        return;
    }
    if (t->mm_server) {
        print_fault(t, f, "panic");
        kern_panic("mmserver faulted: no address space can be served any more");
    }
    print_fault(t, f, "killed");
    kern_thread_end(t, MMPRIV_END_KILLED);
}
