/*
 * Endpoints and message transfer (seL4's synchronous IPC). An endpoint is a queue of
 * threads waiting to send or waiting to receive, never both: a send finds a waiting
 * receiver and the message moves at once (rendezvous), or the sender waits in the queue,
 * and the other way round. A call is a send that then waits for a reply; the receiver gets
 * a one-shot right to reply (tcb.reply_to), consumed by the first reply and lost when
 * either side dies. A fault is a call the kernel makes on the thread's behalf.
 *
 * Nothing here touches registers or user memory: the message is in kern_tcb_t.msg and the
 * result a thread will see is recorded in out / err (kernel/ipc.h). Every function is O(1)
 * but endpoint destruction and kern_cspace_clear.
 */
#include <ipc/mmpriv.h>

#include "ipc.h"

static unsigned live_endpoints;
static uint32_t endpoint_serial;

/* See ipc.h. */
void kern_tcb_init(kern_tcb_t *t, kern_cspace_t *cs, uint8_t prio) {
    uint32_t gen = t->gen, caprefs = t->caprefs; /* capabilities may name it already */
    *t = (kern_tcb_t){0};
    t->gen = gen + 1;
    t->caprefs = caprefs;
    t->cspace = cs;
    t->prio = prio;
}

/* ---- endpoint queues ---- */

/* Appends t to ep's queue of waiting threads in state (BLOCKED_SEND or BLOCKED_RECV). */
static void ep_enqueue(kern_endpoint_t *ep, kern_tcb_t *t, kern_tcb_state_t state) {
    if (ep->head && ep->queue_of != state) {
        kern_ipc_invariant_failed("ipc: senders and receivers in one queue");
    }
    t->state = state;
    t->ep = ep;
    t->next = NULL;
    t->prev = ep->tail;
    if (ep->tail) {
        ep->tail->next = t;
    } else {
        ep->head = t;
    }
    ep->tail = t;
    ep->queue_of = state;
}

/* Takes t out of the endpoint queue it waits in. */
static void ep_dequeue(kern_tcb_t *t) {
    kern_endpoint_t *ep = t->ep;
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        ep->head = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    } else {
        ep->tail = t->prev;
    }
    t->next = t->prev = NULL;
    t->ep = NULL;
}

/* The first thread waiting on ep in state, taken out of the queue; NULL if none. */
static kern_tcb_t *ep_take(kern_endpoint_t *ep, kern_tcb_state_t state) {
    kern_tcb_t *t = ep->head;
    if (!t || ep->queue_of != state) {
        return NULL;
    }
    ep_dequeue(t);
    return t;
}

/* Takes ep off its owner's list of endpoints. */
static void ep_disown(kern_endpoint_t *ep) {
    if (ep->owner_prev) {
        ep->owner_prev->owner_next = ep->owner_next;
    } else if (ep->owner) {
        ep->owner->owned = ep->owner_next;
    }
    if (ep->owner_next) {
        ep->owner_next->owner_prev = ep->owner_prev;
    }
    ep->owner = NULL;
    ep->owner_next = ep->owner_prev = NULL;
}

/* See ipc.h. The endpoint is charged to cs, which made it; if its slot cannot be filled
 * (no memory for the leaf) it goes again and nothing changed. */
ipc_err_t kern_ep_create(kern_cspace_t *cs, uint64_t slot) {
    if (slot >= IPC_CAP_SLOTS_MAX) {
        return IPC_ERR_INVALID_CAP;
    }
    const kern_cap_t *old = kern_cap_at(cs, slot);
    if (old && old->kind != IPC_CAP_NONE) {
        return IPC_ERR_SLOT_FULL;
    }
    kern_endpoint_t *ep = kern_kobj_alloc(&cs->kmem, sizeof(*ep));
    if (!ep) {
        return IPC_ERR_NO_MEMORY;
    }
    ep->id = ++endpoint_serial;
    ep->owner = cs;
    ep->owner_next = cs->owned;
    if (cs->owned) {
        cs->owned->owner_prev = ep;
    }
    cs->owned = ep;
    kern_cap_t cap = {.kind = IPC_CAP_ENDPOINT, .rights = IPC_RIGHTS_ALL, .obj = ep};
    ipc_err_t e = kern_cap_insert(cs, slot, &cap);
    if (e != IPC_OK) {
        ep_disown(ep);
        kern_kobj_free(&cs->kmem, ep, sizeof(*ep));
        return e;
    }
    live_endpoints++;
    return IPC_OK;
}

/* See ipc.h. */
void kern_ep_disown(kern_cspace_t *cs) {
    while (cs->owned) {
        cs->kmem.used -= kern_kobj_charge(sizeof(kern_endpoint_t));
        ep_disown(cs->owned);
    }
}

/* Ends t's wait without a transfer: the endpoint went away, or the thread holding t's reply
 * right died or dropped it. A call ends with IPC_ERR_ABORTED; a faulted thread resumes with
 * its registers untouched and, if nothing changed, faults again (to whatever handler its
 * fault endpoint reaches by then). */
static void abort_wait(kern_tcb_t *t) {
    t->out = t->fault ? KERN_OUT_NONE : KERN_OUT_ERR;
    t->err = IPC_ERR_ABORTED;
    t->call = t->fault = false;
    kern_sched_ready(t);
}

/* See ipc.h. */
void kern_ep_unref(kern_endpoint_t *ep) {
    if (ep->refs == 0) {
        kern_ipc_invariant_failed("ipc: endpoint reference count below zero");
    }
    if (--ep->refs > 0) {
        return;
    }
    live_endpoints--;
    while (ep->head) {
        kern_tcb_t *t = ep->head;
        ep_dequeue(t);
        abort_wait(t);
    }
    kern_kmem_account_t *acct = ep->owner ? &ep->owner->kmem : NULL;
    ep_disown(ep);
    kern_kobj_free(acct, ep, sizeof(*ep));
}

/* See ipc.h. */
unsigned kern_ep_live(void) {
    return live_endpoints;
}

/* ---- transfer ---- */

/* Moves the capability s offers (IPC_INFO_CAP in s->msg.info) into the lowest free slot of
 * r's table; returns r's info bits for it (0 when nothing moved: the sender's slot is
 * empty by now or holds the memory capability, which never moves, or r's table has no
 * free slot the info word can name, below 256, or cannot grow). The sender
 * keeps its own copy. */
static uint64_t transfer_cap(kern_tcb_t *s, kern_tcb_t *r, bool grant) {
    if (!grant || !(s->msg.info & IPC_INFO_CAP)) {
        return 0;
    }
    uint64_t src = ipc_info_slot(s->msg.info);
    uint64_t dst = kern_cspace_free_slot(r->cspace);
    const kern_cap_t *c = kern_cap_at(s->cspace, src);
    if (!c || dst > IPC_INFO_SLOT_MASK) {
        return 0; /* the info word names slots 0..255 only (ipc/ipc.h) */
    }
    if (c->kind == IPC_CAP_NONE || c->kind == MMPRIV_CAP_MEMORY ||
        kern_cap_insert(r->cspace, dst, c) != IPC_OK) {
        return 0;
    }
    return IPC_INFO_CAP | (dst << IPC_INFO_SLOT_SHIFT);
}

/* Copies s's message to r with badge, passing a capability if grant allows; r will see it
 * as the end of its receive (or call). */
static void deliver(kern_tcb_t *s, kern_tcb_t *r, uint64_t badge, bool grant) {
    uint64_t len = ipc_info_length(s->msg.info);
    uint64_t plain = s->msg.info & ~(IPC_INFO_CAP | (IPC_INFO_SLOT_MASK << IPC_INFO_SLOT_SHIFT));
    r->msg.info = plain | transfer_cap(s, r, grant);
    r->msg.badge = badge;
    for (uint64_t i = 0; i < len; i++) {
        r->msg.words[i] = s->msg.words[i];
    }
    r->out = KERN_OUT_MSG;
    r->err = IPC_OK;
}

/* Gives receiver r a one-shot right to reply to caller c, dropping any right r held. */
static void grant_reply(kern_tcb_t *r, kern_tcb_t *c) {
    if (r->reply_to) {
        kern_tcb_t *old = r->reply_to;
        old->replier = NULL;
        r->reply_to = NULL;
        abort_wait(old);
    }
    r->reply_to = c;
    r->reply_grant = c->grant;
    c->replier = r;
    c->state = KERN_TCB_BLOCKED_REPLY;
}

/* The rendezvous of sender s (its badge, grant and call flags set) with receiver r: the
 * message moves; a plain send ends for s, a call leaves s waiting for r's reply. */
static void rendezvous(kern_tcb_t *s, kern_tcb_t *r) {
    deliver(s, r, s->badge, s->grant);
    if (s->call) {
        grant_reply(r, s);
    } else {
        s->out = KERN_OUT_ERR;
        s->err = IPC_OK;
    }
}

/* ---- the operations ---- */

/* Records error e as t's outcome and returns it (nothing happened). */
static ipc_err_t fail(kern_tcb_t *t, ipc_err_t e) {
    t->out = KERN_OUT_ERR;
    t->err = e;
    return e;
}

/* Checks the message t offers: the kernel's label bit is not the user's to set, and a
 * capability goes along only where grant allows. */
static ipc_err_t check_msg(const kern_tcb_t *t, bool grant) {
    if (ipc_info_label(t->msg.info) & IPC_LABEL_FAULT) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if (ipc_info_length(t->msg.info) > IPC_MSG_MAX_WORDS) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if ((t->msg.info & IPC_INFO_CAP) && !grant) {
        return IPC_ERR_NO_RIGHTS;
    }
    return IPC_OK;
}

/* t sends its message through endpoint capability c; call: then waits for the reply. */
static void send_on(kern_tcb_t *t, const kern_cap_t *c, bool call) {
    kern_endpoint_t *ep = c->obj;
    t->badge = c->badge;
    t->grant = (c->rights & IPC_RIGHT_GRANT) != 0;
    t->call = call;
    t->out = KERN_OUT_NONE;
    kern_tcb_t *r = ep_take(ep, KERN_TCB_BLOCKED_RECV);
    if (!r) {
        ep_enqueue(ep, t, KERN_TCB_BLOCKED_SEND);
        return;
    }
    rendezvous(t, r);
    kern_sched_ready(r);
    if (call) {
        kern_sched_hint(r);
    }
}

/* The send side of send and call. */
static ipc_err_t send_common(kern_tcb_t *t, uint64_t slot, bool call) {
    kern_cap_t *c;
    ipc_err_t e = kern_cap_lookup(t->cspace, slot, IPC_CAP_ENDPOINT, IPC_RIGHT_SEND, &c);
    if (e == IPC_OK) {
        e = check_msg(t, (c->rights & IPC_RIGHT_GRANT) != 0);
    }
    if (e != IPC_OK) {
        return fail(t, e);
    }
    t->fault = false;
    send_on(t, c, call);
    return IPC_OK;
}

/* See ipc.h. */
ipc_err_t kern_ipc_send(kern_tcb_t *t, uint64_t slot) {
    return send_common(t, slot, false);
}

/* See ipc.h. */
ipc_err_t kern_ipc_call(kern_tcb_t *t, uint64_t slot) {
    return send_common(t, slot, true);
}

/* t receives on endpoint ep: takes the first waiting sender or waits. */
static void recv_on(kern_tcb_t *t, kern_endpoint_t *ep) {
    kern_tcb_t *s = ep_take(ep, KERN_TCB_BLOCKED_SEND);
    if (!s) {
        t->out = KERN_OUT_NONE;
        ep_enqueue(ep, t, KERN_TCB_BLOCKED_RECV);
        return;
    }
    rendezvous(s, t);
    if (!s->call) {
        kern_sched_ready(s);
    }
}

/* See ipc.h. */
ipc_err_t kern_ipc_recv(kern_tcb_t *t, uint64_t slot) {
    kern_cap_t *c;
    ipc_err_t e = kern_cap_lookup(t->cspace, slot, IPC_CAP_ENDPOINT, IPC_RIGHT_RECV, &c);
    if (e != IPC_OK) {
        return fail(t, e);
    }
    recv_on(t, c->obj);
    return IPC_OK;
}

/* t answers the caller it holds a reply right to with its message; false when it holds
 * none. The caller becomes ready (a faulted one resumes with its registers untouched). */
static bool reply_to_caller(kern_tcb_t *t) {
    kern_tcb_t *c = t->reply_to;
    if (!c) {
        return false;
    }
    t->reply_to = NULL;
    c->replier = NULL;
    c->call = false;
    if (c->fault) {
        c->fault = false;
        c->out = KERN_OUT_NONE;
    } else {
        deliver(t, c, 0, t->reply_grant);
    }
    kern_sched_ready(c);
    return true;
}

/* See ipc.h. */
ipc_err_t kern_ipc_reply(kern_tcb_t *t) {
    ipc_err_t e = check_msg(t, !t->reply_to || t->reply_grant);
    if (e != IPC_OK) {
        return fail(t, e);
    }
    if (!reply_to_caller(t)) {
        return fail(t, IPC_ERR_NO_REPLY);
    }
    t->out = KERN_OUT_ERR;
    t->err = IPC_OK;
    return IPC_OK;
}

/* See ipc.h. The receive capability is checked first, so a bad slot neither replies nor
 * receives. Without a reply right it only receives (a server's first reply_recv). */
ipc_err_t kern_ipc_reply_recv(kern_tcb_t *t, uint64_t slot) {
    kern_cap_t *c;
    ipc_err_t e = kern_cap_lookup(t->cspace, slot, IPC_CAP_ENDPOINT, IPC_RIGHT_RECV, &c);
    if (e == IPC_OK) {
        e = check_msg(t, !t->reply_to || t->reply_grant);
    }
    if (e != IPC_OK) {
        return fail(t, e);
    }
    kern_tcb_t *caller = t->reply_to;
    reply_to_caller(t);
    recv_on(t, c->obj);
    if (caller && t->state != KERN_TCB_READY) {
        kern_sched_hint(caller);
    }
    return IPC_OK;
}

/* See ipc.h. The bookkeeping of send_on and rendezvous for a call, without the message. */
kern_tcb_t *kern_ipc_fast_call(kern_tcb_t *t, const kern_cap_t *c) {
    kern_endpoint_t *ep = c->obj;
    kern_tcb_t *r = ep->head;
    if (!r || ep->queue_of != KERN_TCB_BLOCKED_RECV || r->reply_to || kern_sched_above(r->prio)) {
        return NULL;
    }
    ep_dequeue(r);
    t->badge = c->badge;
    t->grant = (c->rights & IPC_RIGHT_GRANT) != 0;
    t->call = true;
    t->fault = false;
    t->out = KERN_OUT_NONE;
    grant_reply(r, t);
    r->state = KERN_TCB_READY;
    r->out = KERN_OUT_NONE;
    return r;
}

/* See ipc.h. The bookkeeping of reply_to_caller and recv_on when the receive blocks. */
kern_tcb_t *kern_ipc_fast_reply_recv(kern_tcb_t *t, const kern_cap_t *c) {
    kern_endpoint_t *ep = c->obj;
    kern_tcb_t *caller = t->reply_to;
    if (!caller || (ep->head && ep->queue_of == KERN_TCB_BLOCKED_SEND) ||
        kern_sched_above(caller->prio)) {
        return NULL;
    }
    t->reply_to = NULL;
    caller->replier = NULL;
    caller->call = false;
    caller->fault = false;
    caller->state = KERN_TCB_READY;
    caller->out = KERN_OUT_NONE;
    t->out = KERN_OUT_NONE;
    ep_enqueue(ep, t, KERN_TCB_BLOCKED_RECV);
    return caller;
}

/* See ipc.h. */
bool kern_ipc_fast_resumes(const kern_tcb_t *t) {
    return t->reply_to && t->reply_to->fault;
}

/* See ipc.h. */
void kern_ipc_fault_msg(kern_msg_t *m, uint32_t kind, uint32_t access, uint64_t vector,
                        uint64_t addr, uint64_t pc, uint64_t code) {
    m->info = ipc_info(IPC_LABEL_FAULT, IPC_FAULT_LENGTH);
    m->words[IPC_FAULT_W_INFO] = (uint64_t)kind | (uint64_t)access << 8 | vector << 16;
    m->words[IPC_FAULT_W_ADDR] = addr;
    m->words[IPC_FAULT_W_PC] = pc;
    m->words[IPC_FAULT_W_CODE] = code;
}

/* See ipc.h. The receiver sees a plain send: the message, the badge, no reply right and no
 * capability. */
bool kern_ipc_notify(const kern_cap_t *ep, const kern_msg_t *m) {
    if (ep->kind != IPC_CAP_ENDPOINT) {
        return false;
    }
    kern_tcb_t *r = ep_take(ep->obj, KERN_TCB_BLOCKED_RECV);
    if (!r) {
        return false;
    }
    uint64_t len = ipc_info_length(m->info);
    r->msg.info = m->info & ~(IPC_INFO_CAP | (IPC_INFO_SLOT_MASK << IPC_INFO_SLOT_SHIFT));
    r->msg.badge = ep->badge;
    for (uint64_t i = 0; i < len && i < IPC_MSG_MAX_WORDS; i++) {
        r->msg.words[i] = m->words[i];
    }
    r->out = KERN_OUT_MSG;
    r->err = IPC_OK;
    kern_sched_ready(r);
    return true;
}

/* See ipc.h. The fault endpoint capability was checked for the send right when it was set;
 * it holds a reference, so the endpoint is alive. */
bool kern_ipc_fault(kern_tcb_t *t) {
    if (t->fault_ep.kind != IPC_CAP_ENDPOINT) {
        return false;
    }
    kern_cap_t c = t->fault_ep;
    c.rights &= (uint8_t)~IPC_RIGHT_GRANT;
    t->msg.info &= ~IPC_INFO_CAP;
    t->fault = true;
    send_on(t, &c, true);
    return true;
}

/* See ipc.h. */
void kern_tcb_set_fault_ep(kern_tcb_t *t, const kern_cap_t *cap) {
    kern_cap_release(&t->fault_ep);
    if (cap && cap->kind == IPC_CAP_ENDPOINT) {
        kern_cap_retain(cap);
        t->fault_ep = *cap;
    }
}

/* See ipc.h. */
void kern_tcb_stop(kern_tcb_t *t) {
    if (t->state == KERN_TCB_BLOCKED_SEND || t->state == KERN_TCB_BLOCKED_RECV) {
        ep_dequeue(t);
    }
    kern_sched_remove(t);
    if (t->replier) {
        t->replier->reply_to = NULL;
        t->replier = NULL;
    }
    if (t->reply_to) {
        kern_tcb_t *c = t->reply_to;
        t->reply_to = NULL;
        c->replier = NULL;
        abort_wait(c);
    }
    kern_tcb_set_fault_ep(t, NULL);
    t->state = KERN_TCB_INACTIVE;
    t->out = KERN_OUT_NONE;
    t->call = t->fault = false;
    t->gen++;
}
