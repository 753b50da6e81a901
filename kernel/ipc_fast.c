/*
 * The IPC fast path (seL4's fastpath_call / fastpath_reply_recv), in generic C over the
 * arch interface. It serves the common case of a client-server round trip: call and
 * reply_recv with a register-only message (length <= IPC_MSG_REGS, no capability, a
 * user label) when the partner is already waiting and no higher priority is ready. Then
 * the message goes register to register (syscall arguments -> arch_ipc_set_out), the core
 * does only the O(1) queue and reply-right bookkeeping (kern_ipc_fast_*), and the CPU
 * goes straight to the partner: no scheduler pass, no copy through kern_tcb_t.msg or the
 * IPC buffer, and the partner's root is loaded with its PCID / ASID, so the switch needs
 * no TLB flush (arch_root_load). A reply to a thread that faulted (mmserver answering a
 * page fault it filled) takes the fast path too: it resumes the thread untouched. Anything else
 * returns and takes the slow path, which has the same semantics (tests/kernel checks the
 * bookkeeping of both).
 */
#include "kern.h"

/* The endpoint capability t named in slot with rights, or NULL. */
static const kern_cap_t *fast_cap(kern_thread_t *t, uint64_t slot, uint8_t rights) {
    const kern_cap_t *c = kern_cap_at(&t->space->caps, slot);
    if (!c || c->kind != IPC_CAP_ENDPOINT || (c->rights & rights) != rights) {
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

/* Moves the message in syscall arguments a (info, w0..w5 after the slot) to partner p's
 * registers with badge, and runs p. */
static _Noreturn void fast_switch(const uint64_t a[ARCH_SYSCALL_ARGS], kern_thread_t *p,
                                  uint64_t badge) {
    uint64_t out[ARCH_SYSCALL_ARGS] = {badge, a[1], a[2], a[3], a[4], a[5], a[6], a[7]};
    arch_ipc_set_out(&p->regs, IPC_OK, out);
    kern_switch_to(p);
}

/* See kern.h. The same call as kern_ipc_fault makes, on the fast path's terms: the fault
 * endpoint's capability without the grant right, the kernel's fault label, and t marked as
 * faulted so that the reply resumes it untouched. */
void kern_ipc_fault_fastpath(kern_thread_t *t) {
    kern_cap_t c = t->tcb.fault_ep;
    const kern_msg_t *m = &t->tcb.msg;
    if (c.kind != IPC_CAP_ENDPOINT || ipc_info_length(m->info) > IPC_MSG_REGS) {
        return;
    }
    c.rights &= (uint8_t)~IPC_RIGHT_GRANT;
    kern_tcb_t *dest = kern_ipc_fast_call(&t->tcb, &c);
    if (!dest) {
        return;
    }
    t->tcb.fault = true;
    uint64_t out[ARCH_SYSCALL_ARGS] = {c.badge,     m->info & ~IPC_INFO_CAP,
                                       m->words[0], m->words[1],
                                       m->words[2], m->words[3],
                                       m->words[4], m->words[5]};
    kern_thread_t *p = kern_thread_of(dest);
    arch_ipc_set_out(&p->regs, IPC_OK, out);
    kern_switch_to(p);
}

/* See kern.h. */
void kern_ipc_fastpath(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t nr) {
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
        bool resume = kern_ipc_fast_resumes(&t->tcb); /* before the reply clears it */
        kern_tcb_t *caller = c ? kern_ipc_fast_reply_recv(&t->tcb, c) : NULL;
        if (caller && resume) {
            kern_switch_to(kern_thread_of(caller)); /* a faulted thread: registers untouched */
        }
        if (caller) {
            fast_switch(a, kern_thread_of(caller), 0);
        }
    }
}
