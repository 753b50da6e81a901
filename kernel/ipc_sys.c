/*
 * The kernel's side of IPC: the syscalls of ipc/ipc.h over the core (kernel/ipc.h), the
 * move between registers / IPC buffer and kern_tcb_t.msg, fault messages, and the halt.
 *
 * A message syscall fills the caller's tcb.msg from its registers (and IPC buffer) and
 * hands it to the core, which records in tcb.out what each thread involved must see. The
 * syscall itself returns KERN_SYSCALL_DEFERRED: its result is written, for whichever
 * thread runs next, by kern_ipc_writeback at the exit to user mode. The fast path
 * (ipc_fast.c) skips all of this for register-only call / reply_recv.
 */
#include "kern.h"

/* See ipc.h: a broken IPC invariant is a kernel bug. */
void kern_ipc_invariant_failed(const char *what) {
    kern_panic("IPC invariant: %s", what);
}

/* See kern.h. */
kern_thread_t *kern_thread_of(kern_tcb_t *tcb) {
    return (kern_thread_t *)(void *)((char *)tcb - offsetof(kern_thread_t, tcb));
}

/* ---- the IPC buffer ---- */

_Static_assert(ARCH_SYSCALL_ARGS == 2 + IPC_MSG_REGS, "slot, info and the register words");

/* Copies message words [IPC_MSG_REGS, len) of t's IPC buffer into t->tcb.msg. */
static ipc_err_t buffer_read(kern_thread_t *t, uint64_t len) {
    if (len <= IPC_MSG_REGS) {
        return IPC_OK;
    }
    if (!t->ipc_buffer) {
        return IPC_ERR_BAD_ADDRESS;
    }
    return kern_copy_from_user(t->space, &t->tcb.msg.words[IPC_MSG_REGS],
                               t->ipc_buffer + IPC_MSG_REGS * 8, (len - IPC_MSG_REGS) * 8);
}

/* Writes message words [IPC_MSG_REGS, len) of t->tcb.msg to t's IPC buffer; the length
 * t will see: len, or IPC_MSG_REGS when the buffer is gone (set to nothing, or unmapped
 * since it was set). */
static uint64_t buffer_write(kern_thread_t *t, uint64_t len) {
    if (len <= IPC_MSG_REGS) {
        return len;
    }
    if (!t->ipc_buffer ||
        kern_copy_to_user(t->space, t->ipc_buffer + IPC_MSG_REGS * 8,
                          &t->tcb.msg.words[IPC_MSG_REGS], (len - IPC_MSG_REGS) * 8) != IPC_OK) {
        return IPC_MSG_REGS;
    }
    return len;
}

/* ---- registers <-> tcb.msg ---- */

/* Takes the message t offers in its syscall arguments a (slot, info, w0..w3) and, beyond
 * the registers, its IPC buffer. */
static ipc_err_t msg_in(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS]) {
    uint64_t len = ipc_info_length(a[1]);
    if (len > IPC_MSG_MAX_WORDS) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    t->tcb.msg.info = a[1];
    for (unsigned i = 0; i < IPC_MSG_REGS; i++) {
        t->tcb.msg.words[i] = a[2 + i];
    }
    return buffer_read(t, len);
}

/* See kern.h. */
void kern_ipc_writeback(kern_thread_t *t) {
    kern_tcb_t *tcb = &t->tcb;
    if (tcb->out == KERN_OUT_ERR) {
        arch_syscall_set_result(&t->regs, tcb->err, 0);
    } else if (tcb->out == KERN_OUT_MSG) {
        kern_msg_t *m = &tcb->msg;
        uint64_t len = buffer_write(t, ipc_info_length(m->info));
        uint64_t out[ARCH_SYSCALL_ARGS] = {m->badge,    (m->info & ~IPC_INFO_LENGTH_MASK) | len,
                                           m->words[0], m->words[1],
                                           m->words[2], m->words[3],
                                           m->words[4], m->words[5]};
        arch_ipc_set_out(&t->regs, tcb->err, out);
    }
    tcb->out = KERN_OUT_NONE;
}

/* ---- message syscalls ---- */

/* A core operation on the calling thread and the slot it named. */
typedef ipc_err_t (*msg_op_fn)(kern_tcb_t *t, uint64_t slot);

/* Takes t's message from a and runs op on it; the outcome reaches t's registers through
 * kern_ipc_writeback. */
static ipc_err_t with_msg(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], msg_op_fn op) {
    ipc_err_t e = msg_in(t, a);
    if (e == IPC_OK) {
        op(&t->tcb, a[0]);
    } else {
        t->tcb.out = KERN_OUT_ERR;
        t->tcb.err = e;
    }
    return KERN_SYSCALL_DEFERRED;
}

/* kern_ipc_reply with the slot argument the other operations take. */
static ipc_err_t reply_op(kern_tcb_t *t, uint64_t slot) {
    (void)slot;
    return kern_ipc_reply(t);
}

/* send (slot, info, w0..w3). */
static ipc_err_t sys_send(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)value;
    return with_msg(t, a, kern_ipc_send);
}

/* call (slot, info, w0..w3). */
static ipc_err_t sys_call(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)value;
    return with_msg(t, a, kern_ipc_call);
}

/* recv (slot). */
static ipc_err_t sys_recv(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)value;
    kern_ipc_recv(&t->tcb, a[0]);
    return KERN_SYSCALL_DEFERRED;
}

/* reply (-, info, w0..w3). */
static ipc_err_t sys_reply(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)value;
    return with_msg(t, a, reply_op);
}

/* reply_recv (slot, info, w0..w3). */
static ipc_err_t sys_reply_recv(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                uint64_t *value) {
    (void)value;
    return with_msg(t, a, kern_ipc_reply_recv);
}

/* ---- capabilities and threads ---- */

/* endpoint_create (slot). */
static ipc_err_t sys_endpoint_create(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                     uint64_t *value) {
    (void)value;
    return kern_ep_create(&t->space->caps, a[0]);
}

/* cap_copy (src, dst, rights, badge). */
static ipc_err_t sys_cap_copy(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                              uint64_t *value) {
    (void)value;
    if (a[2] & ~(uint64_t)IPC_RIGHTS_ALL) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    return kern_cap_copy(&t->space->caps, a[0], a[1], (uint8_t)a[2], a[3]);
}

/* cap_delete (slot). */
static ipc_err_t sys_cap_delete(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                uint64_t *value) {
    (void)value;
    return kern_cap_delete(&t->space->caps, a[0]);
}

/* cap_identify (slot) -> kind | rights << 8; an empty slot is kind IPC_CAP_NONE. */
static ipc_err_t sys_cap_identify(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                  uint64_t *value) {
    if (a[0] >= IPC_CAP_SLOTS) {
        return IPC_ERR_INVALID_CAP;
    }
    const kern_cap_t *c = &t->space->caps.slots[a[0]];
    *value = c->kind | (uint64_t)c->rights << 8;
    return IPC_OK;
}

/* The live thread named by the thread capability in slot of t's table, which must hold
 * every right in rights. */
static ipc_err_t thread_lookup(kern_thread_t *t, uint64_t slot, uint8_t rights,
                               kern_thread_t **out) {
    kern_cap_t *c;
    ipc_err_t e = kern_cap_lookup(&t->space->caps, slot, IPC_CAP_THREAD, rights, &c);
    if (e == IPC_OK) {
        *out = kern_thread_of(c->obj);
    }
    return e;
}

/* thread_kill (slot). */
static ipc_err_t sys_thread_kill(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                 uint64_t *value) {
    (void)value;
    kern_thread_t *victim;
    ipc_err_t e = thread_lookup(t, a[0], 0, &victim);
    if (e != IPC_OK) {
        return e;
    }
    kern_printf("[kern] '%s' stops '%s' through its thread capability\n", t->name, victim->name);
    kern_thread_end(victim, MMPRIV_END_KILLED);
    return IPC_OK;
}

/* thread_set_fault (thread slot, endpoint slot or IPC_SLOT_NONE): only through a thread
 * capability with the bind right, which a process mmserver manages lacks for itself. */
static ipc_err_t sys_thread_set_fault(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                      uint64_t *value) {
    (void)value;
    kern_thread_t *target;
    ipc_err_t e = thread_lookup(t, a[0], IPC_RIGHT_THREAD_BIND, &target);
    if (e != IPC_OK) {
        return e;
    }
    if (a[1] == IPC_SLOT_NONE) {
        kern_tcb_set_fault_ep(&target->tcb, NULL);
        return IPC_OK;
    }
    kern_cap_t *ep;
    e = kern_cap_lookup(&t->space->caps, a[1], IPC_CAP_ENDPOINT, IPC_RIGHT_SEND, &ep);
    if (e == IPC_OK) {
        kern_tcb_set_fault_ep(&target->tcb, ep);
    }
    return e;
}

/* thread_set_priority (thread slot, priority): never above the caller's own. */
static ipc_err_t sys_thread_set_priority(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                         uint64_t *value) {
    (void)value;
    kern_thread_t *target;
    ipc_err_t e = thread_lookup(t, a[0], 0, &target);
    if (e != IPC_OK) {
        return e;
    }
    if (a[1] >= IPC_PRIO_COUNT) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if (a[1] > t->tcb.prio) {
        return IPC_ERR_NO_RIGHTS;
    }
    kern_sched_set_prio(&target->tcb, (uint8_t)a[1]);
    kern_yield();
    return IPC_OK;
}

/* set_ipc_buffer (va): a page-aligned page of user-writable memory, or 0 for none. Checked
 * now and again at every use (the page may be unmapped meanwhile). */
static ipc_err_t sys_set_ipc_buffer(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                    uint64_t *value) {
    (void)value;
    if (a[0] & (PT_PAGE_SIZE - 1)) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if (a[0] && !kern_user_writable(t->space, a[0], sizeof(ipc_buffer_t))) {
        return IPC_ERR_BAD_ADDRESS;
    }
    t->ipc_buffer = a[0];
    return IPC_OK;
}

/* null (): nothing at all. */
static ipc_err_t sys_null(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)t;
    (void)a;
    (void)value;
    return IPC_OK;
}

/* halt (halt slot, status): stops the machine with status, through the halt capability
 * (the root program's, from mmserver); returns only with the typed error of the door. */
static ipc_err_t sys_halt(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)value;
    ipc_err_t e = kern_halt_check(&t->space->caps, a[0], a[1]);
    if (e != IPC_OK) {
        return e;
    }
    kern_printf("[kern] '%s' stops the machine with status %llu\n", t->name,
                (unsigned long long)a[1]);
    kern_printf("[vm] address-space tags: %u in use, %llu generations ended\n", kern_tags.count,
                (unsigned long long)kern_tags.rollovers);
    arch_halt((int)a[1]);
}

static const kern_syscall_fn ipc_table[IPC_SYS_IPC_END_ - IPC_SYS_IPC_FIRST] = {
    [IPC_SYS_SEND - IPC_SYS_IPC_FIRST] = sys_send,
    [IPC_SYS_RECV - IPC_SYS_IPC_FIRST] = sys_recv,
    [IPC_SYS_CALL - IPC_SYS_IPC_FIRST] = sys_call,
    [IPC_SYS_REPLY - IPC_SYS_IPC_FIRST] = sys_reply,
    [IPC_SYS_REPLY_RECV - IPC_SYS_IPC_FIRST] = sys_reply_recv,
    [IPC_SYS_ENDPOINT_CREATE - IPC_SYS_IPC_FIRST] = sys_endpoint_create,
    [IPC_SYS_CAP_COPY - IPC_SYS_IPC_FIRST] = sys_cap_copy,
    [IPC_SYS_CAP_DELETE - IPC_SYS_IPC_FIRST] = sys_cap_delete,
    [IPC_SYS_CAP_IDENTIFY - IPC_SYS_IPC_FIRST] = sys_cap_identify,
    [IPC_SYS_THREAD_KILL - IPC_SYS_IPC_FIRST] = sys_thread_kill,
    [IPC_SYS_THREAD_SET_FAULT - IPC_SYS_IPC_FIRST] = sys_thread_set_fault,
    [IPC_SYS_THREAD_SET_PRIORITY - IPC_SYS_IPC_FIRST] = sys_thread_set_priority,
    [IPC_SYS_SET_IPC_BUFFER - IPC_SYS_IPC_FIRST] = sys_set_ipc_buffer,
    [IPC_SYS_NULL - IPC_SYS_IPC_FIRST] = sys_null,
    [IPC_SYS_HALT - IPC_SYS_IPC_FIRST] = sys_halt,
};

/* See kern.h. */
kern_syscall_fn kern_ipc_syscall(uint64_t nr) {
    if (nr < IPC_SYS_IPC_FIRST || nr >= IPC_SYS_IPC_END_) {
        return NULL;
    }
    return ipc_table[nr - IPC_SYS_IPC_FIRST];
}

/* ---- faults ---- */

/* See kern.h. */
bool kern_ipc_send_fault(kern_thread_t *t, const arch_fault_t *f) {
    kern_ipc_fault_msg(&t->tcb.msg, f->kind, f->access, f->vector, f->addr, f->pc, f->code);
    kern_ipc_fault_fastpath(t); /* returns only when the slow path must run */
    return kern_ipc_fault(&t->tcb);
}
