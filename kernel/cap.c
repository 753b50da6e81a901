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
    kern_cap_t *c = kern_cap_at(cs, slot);
    if (!c || c->kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
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

/* See ipc.h. A thread capability keeps the thread's record alive (caprefs), so it never
 * names freed memory; whether the thread still lives is its generation's business. */
void kern_cap_retain(const kern_cap_t *cap) {
    if (cap->kind == IPC_CAP_ENDPOINT) {
        ((kern_endpoint_t *)cap->obj)->refs++;
    } else if (cap->kind == IPC_CAP_THREAD) {
        ((kern_tcb_t *)cap->obj)->caprefs++;
    }
}

/* See ipc.h. */
void kern_cap_release(kern_cap_t *cap) {
    kern_cap_t old = *cap;
    *cap = (kern_cap_t){0};
    if (old.kind == IPC_CAP_ENDPOINT) {
        kern_ep_unref(old.obj); /* may wake waiters: the slot is already empty */
    } else if (old.kind == IPC_CAP_THREAD) {
        kern_tcb_t *t = old.obj;
        if (t->caprefs == 0) {
            kern_ipc_invariant_failed("cap: thread capability count below zero");
        }
        if (--t->caprefs == 0) {
            kern_tcb_unreferenced(t);
        }
    }
}

/* The next directory length after len: the pointers the next size class holds. */
static uint32_t dir_grown(uint32_t len) {
    size_t bytes = kern_kobj_charge((len + 1) * sizeof(kern_cap_leaf_t *));
    uint32_t n = (uint32_t)(bytes / sizeof(kern_cap_leaf_t *));
    return n > KERN_CAP_DIR_MAX ? (uint32_t)KERN_CAP_DIR_MAX : n;
}

/* Makes the directory of cs reach leaf index i; false (nothing changed) without memory. */
static bool dir_reach(kern_cspace_t *cs, uint64_t i) {
    if (i < cs->dir_len) {
        return true;
    }
    uint32_t len = cs->dir_len;
    while (len <= i) {
        len = dir_grown(len);
    }
    kern_cap_leaf_t **d = kern_kobj_alloc(&cs->kmem, len * sizeof(*d));
    if (!d) {
        return false;
    }
    for (uint32_t k = 0; k < cs->dir_len; k++) {
        d[k] = cs->dir[k];
    }
    kern_kobj_free(&cs->kmem, cs->dir, cs->dir_len * sizeof(*d));
    cs->dir = d;
    cs->dir_len = len;
    return true;
}

/* The slot numbered slot of cs, its leaf made if needed; NULL without memory. */
static kern_cap_t *slot_make(kern_cspace_t *cs, uint64_t slot) {
    kern_cap_t *c = kern_cap_at(cs, slot);
    if (c) {
        return c;
    }
    uint64_t i = slot >> KERN_CAP_LEAF_SHIFT;
    if (!dir_reach(cs, i)) {
        return NULL;
    }
    kern_cap_leaf_t *l = kern_kobj_alloc(&cs->kmem, sizeof(*l));
    if (!l) {
        return NULL;
    }
    cs->dir[i] = l;
    return &l->slot[slot & (KERN_CAP_LEAF_SLOTS - 1)];
}

/* The leaf holding slot of cs (which exists). */
static kern_cap_leaf_t *leaf_of(kern_cspace_t *cs, uint64_t slot) {
    return cs->dir[slot >> KERN_CAP_LEAF_SHIFT];
}

/* See ipc.h. */
ipc_err_t kern_cap_insert(kern_cspace_t *cs, uint64_t slot, const kern_cap_t *cap) {
    if (slot >= IPC_CAP_SLOTS_MAX) {
        return IPC_ERR_INVALID_CAP;
    }
    const kern_cap_t *old = kern_cap_at(cs, slot);
    if (old && old->kind != IPC_CAP_NONE) {
        return IPC_ERR_SLOT_FULL;
    }
    kern_cap_t *c = slot_make(cs, slot);
    if (!c) {
        return IPC_ERR_NO_MEMORY;
    }
    kern_cap_retain(cap);
    *c = *cap;
    leaf_of(cs, slot)->used++;
    return IPC_OK;
}

/* See ipc.h. Only an unbadged endpoint can be badged; the memory capability stays where
 * the kernel put it, so only mmserver ever holds it. */
ipc_err_t kern_cap_copy_to(kern_cspace_t *from, uint64_t src, kern_cspace_t *to, uint64_t dst,
                           uint8_t rights, uint64_t badge) {
    const kern_cap_t *c = kern_cap_at(from, src);
    if (!c || c->kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
    kern_cap_t copy = *c;
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

/* See ipc.h. The leaf is looked up again after the release, which may have run code
 * (waking waiters) but never changes this table. */
ipc_err_t kern_cap_delete(kern_cspace_t *cs, uint64_t slot) {
    kern_cap_t *c = kern_cap_at(cs, slot);
    if (!c || c->kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
    kern_cap_release(c);
    kern_cap_leaf_t *l = leaf_of(cs, slot);
    if (--l->used == 0) {
        cs->dir[slot >> KERN_CAP_LEAF_SHIFT] = NULL;
        kern_kobj_free(&cs->kmem, l, sizeof(*l));
    }
    return IPC_OK;
}

/* See ipc.h. */
void kern_cspace_clear(kern_cspace_t *cs) {
    for (uint32_t i = 0; i < cs->dir_len; i++) {
        kern_cap_leaf_t *l = cs->dir[i];
        for (unsigned k = 0; l && k < KERN_CAP_LEAF_SLOTS; k++) {
            kern_cap_release(&l->slot[k]);
        }
        cs->dir[i] = NULL;
        kern_kobj_free(&cs->kmem, l, sizeof(*l));
    }
    kern_kobj_free(&cs->kmem, cs->dir, cs->dir_len * sizeof(*cs->dir));
    cs->dir = NULL;
    cs->dir_len = 0;
    kern_ep_disown(cs);
}

/* See ipc.h. */
uint64_t kern_cspace_free_slot(const kern_cspace_t *cs) {
    uint64_t slot = IPC_SLOT_FREE;
    while (slot < IPC_CAP_SLOTS_MAX) {
        uint64_t i = slot >> KERN_CAP_LEAF_SHIFT;
        const kern_cap_leaf_t *l = i < cs->dir_len ? cs->dir[i] : NULL;
        if (!l) {
            return slot; /* no leaf: every slot of it is empty */
        }
        if (l->used == KERN_CAP_LEAF_SLOTS) {
            slot = (i + 1) << KERN_CAP_LEAF_SHIFT;
            continue;
        }
        if (l->slot[slot & (KERN_CAP_LEAF_SLOTS - 1)].kind == IPC_CAP_NONE) {
            return slot;
        }
        slot++;
    }
    return IPC_CAP_SLOTS_MAX;
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
