/*
 * The IPC fast path (seL4's fastpath_call / fastpath_reply_recv), in generic C over the
 * arch interface. It serves the common case of a client-server round trip: call and
 * reply_recv with a register-only message (length <= IPC_MSG_REGS, no capability, a
 * user label) when the partner is already waiting and no higher priority is ready. Then
 * the message goes register to register (syscall arguments -> arch_ipc_set_out), the core
 * does only the O(1) queue and reply-right bookkeeping (kern_ipc_fast_*), and the CPU
 * goes straight to the partner: no scheduler pass, no copy through kern_tcb_t.msg or the
 * IPC buffer, and the partner's root is loaded with its PCID / ASID, so the switch needs
 * no TLB flush (arch_root_load). Anything else returns and takes the slow path, which has
 * the same semantics (tests/kernel checks the bookkeeping of both).
 */
#include "kern.h"

/* The endpoint capability t named in slot with rights, or NULL. */
static const kern_cap_t *fast_cap(kern_thread_t *t, uint64_t slot, uint8_t rights) {
    if (slot >= IPC_CAP_SLOTS) {
        return NULL;
    }
    const kern_cap_t *c = &t->space->caps.slots[slot];
    if (c->kind != IPC_CAP_ENDPOINT || (c->rights & rights) != rights) {
        return NULL;
    }
    return c;
}

/* Whether info describes a message the fast path carries: register words only, no
 * capability, not the kernel's label. */
static bool fast_info(uint64_t info) {
    return ipc_info_length(info) <= IPC_MSG_REGS && !(info & IPC_INFO_CAP) &&
           !(ipc_info_label(info) & IPC_LABEL_FAULT);
}

/* Moves the message in syscall arguments a (info, w0..w3 after the slot) to partner p's
 * registers with badge, and runs p. */
static _Noreturn void fast_switch(const uint64_t a[6], kern_thread_t *p, uint64_t badge) {
    uint64_t out[6] = {badge, a[1], a[2], a[3], a[4], a[5]};
    arch_ipc_set_out(&p->regs, IPC_OK, out);
    kern_switch_to(p);
}

/* See kern.h. */
void kern_ipc_fastpath(kern_thread_t *t, const uint64_t a[6], uint64_t nr) {
    if (!fast_info(a[1])) {
        return;
    }
    if (nr == IPC_SYS_CALL) {
        const kern_cap_t *c = fast_cap(t, a[0], IPC_RIGHT_SEND);
        kern_tcb_t *dest = c ? kern_ipc_fast_call(&t->tcb, c) : NULL;
        if (dest) {
            fast_switch(a, kern_thread_of(dest), c->badge);
        }
    } else if (nr == IPC_SYS_REPLY_RECV) {
        const kern_cap_t *c = fast_cap(t, a[0], IPC_RIGHT_RECV);
        kern_tcb_t *caller = c ? kern_ipc_fast_reply_recv(&t->tcb, c) : NULL;
        if (caller) {
            fast_switch(a, kern_thread_of(caller), 0);
        }
    }
}
