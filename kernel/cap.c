/*
 * Capability tables. A process names kernel objects only through the slots of its own
 * table; every syscall looks its slots up here, at the door, and a slot that is out of
 * range, empty, of the wrong kind or lacking a right is a typed error (ipc/ipc.h), never a
 * kill. Rights only shrink along copies, and a badge is set once (seL4's mint).
 *
 * Object lifetime: an endpoint counts the capabilities naming it and dies with the last;
 * a thread capability records the thread's generation, so once the thread is stopped (gen
 * bumped) the capability is stale and looks up as IPC_ERR_INVALID_CAP.
 */
#include <ipc/mmpriv.h>

#include "ipc.h"

/* Whether a thread capability still names the life of the thread it was made for. */
static bool thread_cap_live(const kern_cap_t *c) {
    const kern_tcb_t *t = c->obj;
    return t->gen == c->gen && t->state != KERN_TCB_INACTIVE;
}

/* See ipc.h. */
ipc_err_t kern_cap_lookup(kern_cspace_t *cs, uint64_t slot, uint8_t kind, uint8_t rights,
                          kern_cap_t **out) {
    if (slot >= IPC_CAP_SLOTS || cs->slots[slot].kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
    kern_cap_t *c = &cs->slots[slot];
    if (c->kind == IPC_CAP_THREAD && !thread_cap_live(c)) {
        return IPC_ERR_INVALID_CAP;
    }
    if (c->kind != kind) {
        return IPC_ERR_WRONG_CAP;
    }
    if ((c->rights & rights) != rights) {
        return IPC_ERR_NO_RIGHTS;
    }
    *out = c;
    return IPC_OK;
}

/* See ipc.h. */
void kern_cap_retain(const kern_cap_t *cap) {
    if (cap->kind == IPC_CAP_ENDPOINT) {
        ((kern_endpoint_t *)cap->obj)->refs++;
    }
}

/* See ipc.h. */
void kern_cap_release(kern_cap_t *cap) {
    kern_cap_t old = *cap;
    *cap = (kern_cap_t){0};
    if (old.kind == IPC_CAP_ENDPOINT) {
        kern_ep_unref(old.obj); /* may wake waiters: the slot is already empty */
    }
}

/* See ipc.h. */
ipc_err_t kern_cap_insert(kern_cspace_t *cs, uint64_t slot, const kern_cap_t *cap) {
    if (slot >= IPC_CAP_SLOTS) {
        return IPC_ERR_INVALID_CAP;
    }
    if (cs->slots[slot].kind != IPC_CAP_NONE) {
        return IPC_ERR_SLOT_FULL;
    }
    kern_cap_retain(cap);
    cs->slots[slot] = *cap;
    return IPC_OK;
}

/* See ipc.h. Only an unbadged endpoint can be badged; the memory capability stays where
 * the kernel put it, so only mmserver ever holds it. */
ipc_err_t kern_cap_copy_to(kern_cspace_t *from, uint64_t src, kern_cspace_t *to, uint64_t dst,
                           uint8_t rights, uint64_t badge) {
    if (src >= IPC_CAP_SLOTS || from->slots[src].kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
    kern_cap_t copy = from->slots[src];
    if (copy.kind == IPC_CAP_THREAD && !thread_cap_live(&copy)) {
        return IPC_ERR_INVALID_CAP;
    }
    if (copy.kind == MMPRIV_CAP_MEMORY) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if (badge != 0 && (copy.kind != IPC_CAP_ENDPOINT || copy.badge != 0)) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    copy.rights &= rights;
    copy.badge = badge ? badge : copy.badge;
    return kern_cap_insert(to, dst, &copy);
}

/* See ipc.h. */
ipc_err_t kern_cap_copy(kern_cspace_t *cs, uint64_t src, uint64_t dst, uint8_t rights,
                        uint64_t badge) {
    return kern_cap_copy_to(cs, src, cs, dst, rights, badge);
}

/* See ipc.h. */
ipc_err_t kern_cap_delete(kern_cspace_t *cs, uint64_t slot) {
    if (slot >= IPC_CAP_SLOTS || cs->slots[slot].kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
    kern_cap_release(&cs->slots[slot]);
    return IPC_OK;
}

/* See ipc.h. */
void kern_cspace_clear(kern_cspace_t *cs) {
    for (unsigned i = 0; i < IPC_CAP_SLOTS; i++) {
        kern_cap_release(&cs->slots[i]);
    }
}

/* See ipc.h. */
uint64_t kern_cspace_free_slot(const kern_cspace_t *cs) {
    for (uint64_t i = IPC_SLOT_FREE; i < IPC_CAP_SLOTS; i++) {
        if (cs->slots[i].kind == IPC_CAP_NONE) {
            return i;
        }
    }
    return IPC_CAP_SLOTS;
}

/* See ipc.h. Thread capabilities carry every right; holding one is the authority. */
kern_cap_t kern_cap_thread(kern_tcb_t *t) {
    return (kern_cap_t){.kind = IPC_CAP_THREAD, .rights = IPC_RIGHTS_ALL, .gen = t->gen, .obj = t};
}

/* See ipc.h. */
kern_cap_t kern_cap_halt(void) {
    return (kern_cap_t){.kind = IPC_CAP_HALT};
}

/* See ipc.h. */
ipc_err_t kern_halt_check(kern_cspace_t *cs, uint64_t slot, uint64_t status) {
    kern_cap_t *c;
    ipc_err_t e = kern_cap_lookup(cs, slot, IPC_CAP_HALT, 0, &c);
    if (e == IPC_OK && status > KERN_HALT_STATUS_MAX) {
        e = IPC_ERR_INVALID_ARGUMENT;
    }
    return e;
}
