/*
 * The kernel's side of the IPC core (kernel/ipc.h): where invariant failures go. The
 * syscalls, the register and IPC-buffer transfer and the fault path join here once
 * kern_thread_t embeds a kern_tcb_t (kernel/README.md, "IPC").
 */
#include "ipc.h"
#include "kern.h"

/* See ipc.h: a broken IPC invariant is a kernel bug. */
void kern_ipc_invariant_failed(const char *what) {
    kern_panic("IPC invariant: %s", what);
}
