/*
 * mmserver's privileged calls (ipc/mmpriv.h, mmserver/BOOT.md section 5): register and
 * unregister the roots of the spaces mmserver builds, flush their TLB entries, and create,
 * name, equip, start and destroy the threads bound to them; and the end notice that tells
 * mmserver a process ended by itself (exit, or killed through its thread capability).
 *
 * Every call takes the memory capability's slot first (only mmserver holds it: the kernel
 * gives it at boot and never copies it) and checks every other word (kernel/mm_check.c)
 * before it acts. mmserver is trusted with memory, not with the kernel: a bad word is a
 * typed error. A space is mmserver's client id; the kernel keeps one kern_space_t per id
 * (managed: the tables are mmserver's, the kernel only walks them), and only threads of
 * such spaces are mmserver's to give to, start and destroy.
 */
#include <ipc/mmboot.h>
#include <ipc/mmpriv.h>

#include "kern.h"
#include "mm_check.h"

/* The managed spaces by client id: a directory of leaves of LEAF_IDS pointers, a leaf
 * made (from the kernel's own frames) when an id in its range is first registered and
 * freed when its last space goes: O(1) lookup, memory for the ids in use only. */
#define SPACES_LEAF (KERN_KOBJ_MAX / sizeof(kern_space_t *))
typedef struct spaces_leaf {
    kern_space_t *s[SPACES_LEAF - 1];
    uint64_t used; /* entries set */
} spaces_leaf_t;
_Static_assert(sizeof(spaces_leaf_t) <= KERN_KOBJ_MAX, "a leaf is one object");
#define LEAF_IDS (SPACES_LEAF - 1)

static kern_mm_pool_t pool[MMBOOT_MAX_RANGES]; /* mmserver's pool's ranges ... */
static unsigned pool_count;                    /* ... 0 until the boot sets them */
static spaces_leaf_t *mm_spaces[(MMPRIV_SPACE_IDS + LEAF_IDS - 1) / LEAF_IDS];
static kern_space_t *mm_list; /* every managed space, for the root check */

/* The space registered for client id space (checked), or NULL. */
static kern_space_t *space_get(uint64_t space) {
    spaces_leaf_t *l = mm_spaces[space / LEAF_IDS];
    return l ? l->s[space % LEAF_IDS] : NULL;
}

/* Records s as client id space's; false without memory for the leaf. */
static bool space_set(uint64_t space, kern_space_t *s) {
    spaces_leaf_t **l = &mm_spaces[space / LEAF_IDS];
    if (!*l && !(*l = kern_kobj_alloc(NULL, sizeof(**l)))) {
        return false;
    }
    (*l)->s[space % LEAF_IDS] = s;
    (*l)->used++;
    s->mm_prev = NULL;
    s->mm_next = mm_list;
    if (mm_list) {
        mm_list->mm_prev = s;
    }
    mm_list = s;
    return true;
}

/* Forgets client id space's space s. */
static void space_unset(uint64_t space, kern_space_t *s) {
    spaces_leaf_t **l = &mm_spaces[space / LEAF_IDS];
    (*l)->s[space % LEAF_IDS] = NULL;
    if (--(*l)->used == 0) {
        kern_kobj_free(NULL, *l, sizeof(**l));
        *l = NULL;
    }
    if (s->mm_prev) {
        s->mm_prev->mm_next = s->mm_next;
    } else {
        mm_list = s->mm_next;
    }
    if (s->mm_next) {
        s->mm_next->mm_prev = s->mm_prev;
    }
}

/* See kern.h. */
void kern_mm_set_pool(const arch_range_t *r, unsigned n) {
    pool_count = n < MMBOOT_MAX_RANGES ? n : MMBOOT_MAX_RANGES;
    for (unsigned i = 0; i < pool_count; i++) {
        pool[i].pa = r[i].base;
        pool[i].frames = r[i].len / PT_PAGE_SIZE;
    }
}

/* See kern.h. */
bool kern_mm_pool_has(pt_paddr_t pa) {
    return kern_mm_in_pool(pa, pool, pool_count);
}

/* See kern.h. The capability names no object: holding it is the authority. */
ipc_err_t kern_mm_give_memory_cap(kern_space_t *s, uint64_t slot) {
    kern_cap_t mem = {.kind = MMPRIV_CAP_MEMORY};
    return kern_cap_insert(&s->caps, slot, &mem);
}

/* IPC_OK if t holds the memory capability in slot (every call's first word). */
static ipc_err_t memory_cap(kern_thread_t *t, uint64_t slot) {
    kern_cap_t *c;
    return kern_cap_lookup(&t->space->caps, slot, MMPRIV_CAP_MEMORY, 0, &c);
}

/* The registered space of client id space in *s. */
static ipc_err_t registered(uint64_t space, kern_space_t **s) {
    ipc_err_t e = kern_mm_check_space(space);
    kern_space_t *got = e == IPC_OK ? space_get(space) : NULL;
    if (e == IPC_OK && !got) {
        e = IPC_ERR_INVALID_ARGUMENT;
    }
    if (e == IPC_OK) {
        *s = got;
    }
    return e;
}

/* The live thread of a managed space named by the thread capability in slot of t's
 * table: mmserver acts only on threads it created, never on itself. */
static ipc_err_t client_thread(kern_thread_t *t, uint64_t slot, kern_thread_t **out) {
    kern_cap_t *c;
    ipc_err_t e = kern_cap_lookup(&t->space->caps, slot, IPC_CAP_THREAD, 0, &c);
    if (e != IPC_OK) {
        return e;
    }
    kern_thread_t *n = kern_thread_of(c->obj);
    if (n->state != KERN_THREAD_READY || !n->space->managed) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    *out = n;
    return IPC_OK;
}

/* The door of the thread calls (mem, thread slot, ...): the memory capability in a[0], a
 * client thread named by a[1]. */
static ipc_err_t thread_door(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                             kern_thread_t **n) {
    ipc_err_t e = memory_cap(t, a[0]);
    return e != IPC_OK ? e : client_thread(t, a[1], n);
}

/* Whether another space already uses the root at root_pa. O(live spaces): a few
 * instructions each, against a spawn's thousands of page-table writes. */
static bool root_taken(uint64_t root_pa) {
    for (const kern_space_t *s = mm_list; s; s = s->mm_next) {
        if (s->pt.root == root_pa) {
            return true;
        }
    }
    return false;
}

/* root_register (mem, space, root_pa, kmem): the space record comes from the donated
 * frames and is the first charge to the process's allowance. */
static ipc_err_t mm_root_register(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                  uint64_t *value) {
    (void)value;
    ipc_err_t e = memory_cap(t, a[0]);
    e = e != IPC_OK ? e : kern_mm_check_space(a[1]);
    e = e != IPC_OK ? e : kern_mm_check_root(a[2], pool, pool_count);
    if (e != IPC_OK) {
        return e;
    }
    if (space_get(a[1]) || root_taken(a[2])) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    kern_space_t *s = kern_space_attach(a[2], a[3] ? a[3] : MMPRIV_KMEM_DEFAULT);
    if (!s) {
        return IPC_ERR_NO_MEMORY;
    }
    if (!space_set(a[1], s)) {
        kern_space_destroy(s);
        return IPC_ERR_NO_MEMORY;
    }
    return IPC_OK;
}

/* root_unregister (mem, space): refused while a thread is bound. */
static ipc_err_t mm_root_unregister(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                    uint64_t *value) {
    (void)value;
    kern_space_t *s;
    ipc_err_t e = memory_cap(t, a[0]);
    e = e != IPC_OK ? e : registered(a[1], &s);
    if (e != IPC_OK) {
        return e;
    }
    if (s->threads) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    kern_cspace_clear(&s->caps);
    space_unset(a[1], s);
    kern_space_destroy(s);
    return IPC_OK;
}

/* flush (mem, space, start, last, leaves, flags). mmserver may have written code it is
 * about to run in that space: instruction fetch must see it too. */
static ipc_err_t mm_flush(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t *value) {
    (void)value;
    kern_space_t *s;
    pt_flush_t f;
    ipc_err_t e = memory_cap(t, a[0]);
    e = e != IPC_OK ? e : registered(a[1], &s);
    e = e != IPC_OK ? e : kern_mm_check_flush(a[2], a[3], a[4], a[5], ARCH_USER_TOP, &f);
    if (e != IPC_OK) {
        return e;
    }
    arch_tlb_flush(&s->root, &f);
    arch_icache_sync();
    return IPC_OK;
}

/* A thread's name until mmserver names it (MMPRIV_SYS_THREAD_NAME): its client id
 * ("client 7"), any number of digits. */
static void client_name(char *name, uint64_t space) {
    static const char prefix[] = "client ";
    memcpy(name, prefix, sizeof(prefix) - 1);
    char digits[20];
    unsigned n = 0;
    do {
        digits[n++] = (char)('0' + space % 10);
        space /= 10;
    } while (space);
    char *p = name + sizeof(prefix) - 1;
    while (n) {
        *p++ = digits[--n];
    }
    *p = 0;
}

/* Puts a capability to n into n's own IPC_SLOT_SELF (a new process's first thread) and
 * into slot of t's table. The process's own lacks the bind right: its fault endpoint, set
 * by mmserver, is a binding it cannot change, so its faults and its end notice always
 * reach mmserver (issue 14, hole 2). => slot is empty (the caller checked), and so is the
 * new process's table (emptied when its last thread ended or its root was registered):
 * a refused insert is a broken invariant. */
static void thread_caps(kern_thread_t *t, kern_thread_t *n, uint64_t slot) {
    kern_cap_t self = kern_cap_thread(&n->tcb);
    if (n->space->threads == 1) {
        kern_cap_t own = self;
        own.rights &= (uint8_t)~IPC_RIGHT_THREAD_BIND;
        if (kern_cap_insert(&n->space->caps, IPC_SLOT_SELF, &own) != IPC_OK) {
            kern_ipc_invariant_failed("mm: a new process's IPC_SLOT_SELF is taken");
        }
    }
    if (kern_cap_insert(&t->space->caps, slot, &self) != IPC_OK) {
        kern_ipc_invariant_failed("mm: thread_create's slot filled after its check");
    }
}

/* thread_create (mem, space, slot, pc, sp, ipc_buffer): suspended until thread_start. */
static ipc_err_t mm_thread_create(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                  uint64_t *value) {
    (void)value;
    kern_space_t *s;
    ipc_err_t e = memory_cap(t, a[0]);
    e = e != IPC_OK ? e : registered(a[1], &s);
    e = e != IPC_OK ? e : kern_mm_check_thread(a[3], a[5], ARCH_USER_TOP);
    if (e != IPC_OK) {
        return e;
    }
    if (a[2] >= IPC_CAP_SLOTS_MAX) {
        return IPC_ERR_INVALID_CAP;
    }
    const kern_cap_t *old = kern_cap_at(&t->space->caps, a[2]);
    if (old && old->kind != IPC_CAP_NONE) {
        return IPC_ERR_SLOT_FULL;
    }
    char name[KERN_NAME_MAX];
    client_name(name, a[1]);
    kern_thread_t *n = kern_thread_create(s, name, a[3], a[4]);
    if (!n) {
        return IPC_ERR_NO_MEMORY;
    }
    n->ipc_buffer = a[5];
    thread_caps(t, n, a[2]);
    return IPC_OK;
}

/* thread_give (mem, thread slot, src, dst, rights, badge). */
static ipc_err_t mm_thread_give(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                uint64_t *value) {
    (void)value;
    kern_thread_t *n;
    ipc_err_t e = thread_door(t, a, &n);
    if (e != IPC_OK) {
        return e;
    }
    if (a[4] & ~(uint64_t)IPC_RIGHTS_ALL) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    return kern_cap_copy_to(&t->space->caps, a[2], &n->space->caps, a[3], (uint8_t)a[4], a[5]);
}

/* thread_start (mem, thread slot, priority): once, at most the caller's priority. The
 * code mmserver wrote through its window becomes visible to instruction fetch first. */
static ipc_err_t mm_thread_start(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                 uint64_t *value) {
    (void)value;
    kern_thread_t *n;
    ipc_err_t e = thread_door(t, a, &n);
    e = e != IPC_OK ? e : kern_mm_check_prio(a[2], t->tcb.prio);
    if (e != IPC_OK) {
        return e;
    }
    if (n->tcb.state != KERN_TCB_SUSPENDED) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    arch_icache_sync();
    kern_sched_set_prio(&n->tcb, (uint8_t)a[2]);
    kern_sched_ready(&n->tcb);
    kern_yield();
    return IPC_OK;
}

/* thread_destroy (mem, thread slot): wherever it is; mmserver asked, so no end notice. */
static ipc_err_t mm_thread_destroy(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                   uint64_t *value) {
    (void)value;
    kern_thread_t *n;
    ipc_err_t e = thread_door(t, a, &n);
    if (e != IPC_OK) {
        return e;
    }
    kern_printf("[kern] mmserver destroys '%s'\n", n->name);
    n->mm_destroyed = true;
    kern_thread_end(n, MMPRIV_END_KILLED);
    if (kern_cap_delete(&t->space->caps, a[1]) != IPC_OK) {
        kern_ipc_invariant_failed("mm: thread_destroy's slot emptied while it ran");
    }
    return IPC_OK;
}

/* thread_name (mem, thread slot, n0, n1, n2, n3): the name the console lines give it. A
 * name that is not one (kern_mm_check_name) changes nothing. */
static ipc_err_t mm_thread_name(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                uint64_t *value) {
    (void)value;
    kern_thread_t *n;
    char name[KERN_NAME_MAX];
    ipc_err_t e = thread_door(t, a, &n);
    e = e != IPC_OK ? e : kern_mm_check_name(&a[2], name);
    if (e == IPC_OK) {
        kern_copy_name(n->name, name, KERN_NAME_MAX);
    }
    return e;
}

/* kmem_give (mem, pa, frames). */
static ipc_err_t mm_kmem_give(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                              uint64_t *value) {
    (void)value;
    ipc_err_t e = memory_cap(t, a[0]);
    e = e != IPC_OK ? e : kern_mm_check_kmem(a[1], a[2], pool, pool_count);
    if (e == IPC_OK) {
        kern_kmem_give(a[1], a[2]);
    }
    return e;
}

/* kmem_take (mem) -> pa. */
static ipc_err_t mm_kmem_take(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                              uint64_t *value) {
    ipc_err_t e = memory_cap(t, a[0]);
    if (e != IPC_OK) {
        return e;
    }
    pt_paddr_t pa;
    if (!kern_kmem_take(&pa)) {
        return IPC_ERR_NO_MEMORY;
    }
    *value = pa;
    return IPC_OK;
}

static const kern_syscall_fn mm_table[MMPRIV_SYS_END_ - MMPRIV_SYS_FIRST] = {
    [MMPRIV_SYS_ROOT_REGISTER - MMPRIV_SYS_FIRST] = mm_root_register,
    [MMPRIV_SYS_ROOT_UNREGISTER - MMPRIV_SYS_FIRST] = mm_root_unregister,
    [MMPRIV_SYS_FLUSH - MMPRIV_SYS_FIRST] = mm_flush,
    [MMPRIV_SYS_THREAD_CREATE - MMPRIV_SYS_FIRST] = mm_thread_create,
    [MMPRIV_SYS_THREAD_GIVE - MMPRIV_SYS_FIRST] = mm_thread_give,
    [MMPRIV_SYS_THREAD_START - MMPRIV_SYS_FIRST] = mm_thread_start,
    [MMPRIV_SYS_THREAD_DESTROY - MMPRIV_SYS_FIRST] = mm_thread_destroy,
    [MMPRIV_SYS_THREAD_NAME - MMPRIV_SYS_FIRST] = mm_thread_name,
    [MMPRIV_SYS_KMEM_GIVE - MMPRIV_SYS_FIRST] = mm_kmem_give,
    [MMPRIV_SYS_KMEM_TAKE - MMPRIV_SYS_FIRST] = mm_kmem_take,
};

/* See kern.h. */
kern_syscall_fn kern_mm_syscall(uint64_t nr) {
    if (nr < MMPRIV_SYS_FIRST || nr >= MMPRIV_SYS_END_) {
        return NULL;
    }
    return mm_table[nr - MMPRIV_SYS_FIRST];
}

/* See kern.h. mmserver, the highest priority, waits on its endpoint whenever another
 * thread runs, so the notice finds it receiving; if it does not, the notice is lost (the
 * kernel has no thread left to queue it with) and said so. */
void kern_mm_process_ended(kern_thread_t *t, const kern_cap_t *ep) {
    if (t->mm_destroyed || ep->kind != IPC_CAP_ENDPOINT) {
        return;
    }
    kern_msg_t m;
    kern_mm_end_msg(&m, t->end_how == MMPRIV_END_EXIT ? t->exit_status : 0, t->end_how);
    if (!kern_ipc_notify(ep, &m)) {
        kern_printf("[kern] end notice of '%s' lost: nobody receives on its fault endpoint\n",
                    t->name);
    }
}
