/*
 * The privileged calls (ipc/mmpriv.h) and mmserver's IPC port. Each client's thread
 * capability lives in slot MMP_SYS_THREAD_SLOTS + client of mmserver's table (the table
 * grows as clients come); two slots below, boot->slot_free and the next, kept empty
 * between uses, hold the badged endpoint copies made while a thread is set up (scratch) and
 * the endpoint that came with the root's MM_SPAWN (carry). The slots between stay free for
 * the capabilities messages bring (the info word names slots below 256 only).
 */
#include "sys.h"

/* One privileged call: the memory capability's slot first, then up to five words. */
static uint64_t priv(const mmp_sys_t *s, uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                     uint64_t a4, uint64_t a5) {
    return ipc_syscall(nr, s->boot->slot_memory, a1, a2, a3, a4, a5).err;
}

/* The slot of client's thread capability. */
static uint64_t thread_slot(const mmp_sys_t *s, uint32_t client) {
    (void)s;
    return MMP_SYS_THREAD_SLOTS + client;
}

/* See sys.h. */
bool mmp_sys_init(mmp_sys_t *s, const mmboot_t *b) {
    s->boot = b;
    s->buffer = (ipc_buffer_t *)(uintptr_t)b->ipc_buffer_va;
    s->scratch = b->slot_free;
    s->carry = s->scratch + 1;
    s->carrying = false;
    s->p = NULL;
    return s->carry < IPC_INFO_SLOT_MASK;
}

/* See sys.h. */
_Noreturn void mmp_sys_broken(const mmp_sys_t *s, const char *call, uint32_t client, uint64_t err) {
    const char *name = s->p ? mmp_name(s->p, client) : "?";
    ipc_printf("[mmserver] broken invariant: the kernel refused %s for %s (client %u): %s; "
               "stopping\n",
               call, name, client, ipc_strerror(err));
    uint64_t herr = ipc_syscall(IPC_SYS_HALT, s->boot->slot_halt, 1, 0, 0, 0, 0).err;
    ipc_printf("[mmserver] halt refused: %s\n", ipc_strerror(herr));
    ipc_exit(1);
}

/* A call that must not fail: a refusal is a broken invariant (mmp_sys_broken). */
static void must(const mmp_sys_t *s, uint64_t err, const char *call, uint32_t client) {
    if (err != IPC_OK) {
        mmp_sys_broken(s, call, client, err);
    }
}

/* core.register_root: MMPRIV_SYS_ROOT_REGISTER (a refusal is the core's MM_ERR_DENIED). */
static bool k_register(void *ctx, uint32_t client, pt_paddr_t root) {
    uint64_t kmem = (uint64_t)MMP_KMEM_FRAMES * PT_PAGE_SIZE; /* what the client paid */
    return priv(ctx, MMPRIV_SYS_ROOT_REGISTER, client, root, kmem, 0, 0) == IPC_OK;
}

/* core.give_kmem: MMPRIV_SYS_KMEM_GIVE of one pool frame. */
static bool k_give_kmem(void *ctx, pt_paddr_t pa) {
    return priv(ctx, MMPRIV_SYS_KMEM_GIVE, pa, 1, 0, 0, 0) == IPC_OK;
}

/* core.take_kmem: MMPRIV_SYS_KMEM_TAKE, one free donated frame back. */
static bool k_take_kmem(void *ctx, pt_paddr_t *pa) {
    const mmp_sys_t *s = ctx;
    ipc_ret_t r = ipc_syscall(MMPRIV_SYS_KMEM_TAKE, s->boot->slot_memory, 0, 0, 0, 0, 0);
    *pa = r.value;
    return r.err == IPC_OK;
}

/* core.unregister_root: MMPRIV_SYS_ROOT_UNREGISTER; the root is registered and no thread
 * is bound to it any more, so a refusal is a broken invariant. */
static void k_unregister(void *ctx, uint32_t client) {
    must(ctx, priv(ctx, MMPRIV_SYS_ROOT_UNREGISTER, client, 0, 0, 0, 0), "ROOT_UNREGISTER", client);
}

/* core.flush: MMPRIV_SYS_FLUSH with libpt's report; the space is registered, so a refusal
 * is a broken invariant (frames could be reused while a TLB still maps them). */
static void k_flush(void *ctx, uint32_t client, const pt_flush_t *fl) {
    uint64_t flags = (fl->all ? MMPRIV_FLUSH_ALL : 0) | (fl->tables ? MMPRIV_FLUSH_TABLES : 0);
    must(ctx, priv(ctx, MMPRIV_SYS_FLUSH, client, fl->start, fl->last, fl->leaves, flags), "FLUSH",
         client);
}

/* core.kill: the client's thread is destroyed (its slot emptied); the core then tears
 * the space down. The thread is alive (its end would have been served first). */
static void k_kill(void *ctx, uint32_t client, mm_kill_reason_t reason) {
    (void)reason;
    must(ctx, priv(ctx, MMPRIV_SYS_THREAD_DESTROY, thread_slot(ctx, client), 0, 0, 0, 0),
         "THREAD_DESTROY", client);
}

/* Gives the thread in slot mmserver's endpoint badged with t->client: as its fault
 * endpoint and in MM_SLOT_SERVER of its table (send; the root also grant, to pass an
 * endpoint with MM_SPAWN). */
static uint64_t give_endpoint(mmp_sys_t *s, uint64_t slot, const mmp_thread_t *t) {
    uint32_t rights = t->server_rights;
    uint64_t err = ipc_cap_copy(s->boot->slot_endpoint, s->scratch, rights, t->client);
    if (err != IPC_OK) {
        return err;
    }
    err = ipc_thread_set_fault(slot, s->scratch);
    if (err == IPC_OK) {
        err = priv(s, MMPRIV_SYS_THREAD_GIVE, slot, s->scratch, MM_SLOT_SERVER, rights, 0);
    }
    must(s, ipc_cap_delete(s->scratch), "CAP_DELETE (scratch)", t->client);
    return err;
}

/* The rest of t's table: the carried endpoint in MM_SLOT_BOOT as t->give says, the halt
 * capability in MM_SLOT_HALT for the root. */
static uint64_t give_more(mmp_sys_t *s, uint64_t slot, const mmp_thread_t *t) {
    uint64_t err = IPC_OK;
    if (t->give != MMP_GIVE_NONE) {
        err = !s->carrying ? IPC_ERR_INVALID_CAP
                           : priv(s, MMPRIV_SYS_THREAD_GIVE, slot, s->carry, MM_SLOT_BOOT,
                                  t->boot_rights, t->boot_badge);
    }
    if (err == IPC_OK && t->root) {
        err = priv(s, MMPRIV_SYS_THREAD_GIVE, slot, s->boot->slot_halt, MM_SLOT_HALT,
                   IPC_RIGHTS_ALL, 0);
    }
    return err;
}

/* thread_start: create, name, capabilities, start; destroyed again if any step fails. */
static bool k_thread_start(void *ctx, const mmp_thread_t *t) {
    mmp_sys_t *s = ctx;
    uint64_t slot = thread_slot(s, t->client);
    const uint64_t *n = t->name_words;
    uint64_t err =
        priv(s, MMPRIV_SYS_THREAD_CREATE, t->client, slot, t->entry, t->sp, t->ipc_buffer);
    if (err == IPC_OK) {
        err = priv(s, MMPRIV_SYS_THREAD_NAME, slot, n[0], n[1], n[2], n[3]);
    }
    if (err == IPC_OK) {
        err = give_endpoint(s, slot, t);
    }
    if (err == IPC_OK) {
        err = give_more(s, slot, t);
    }
    if (err == IPC_OK) {
        err = priv(s, MMPRIV_SYS_THREAD_START, slot, t->prio, 0, 0, 0);
    }
    if (err == IPC_OK) {
        return true;
    }
    ipc_printf("[mmserver] the kernel refused a thread for client %u: %s\n", t->client,
               ipc_strerror(err));
    ipc_ret_t id = ipc_cap_identify(slot);
    if (id.err == IPC_OK && (id.value & 0xffu) == IPC_CAP_THREAD) {
        must(s, priv(s, MMPRIV_SYS_THREAD_DESTROY, slot, 0, 0, 0, 0), "THREAD_DESTROY", t->client);
    }
    return false;
}

/* thread_release: the thread ended by itself; its capability is stale: empty the slot. */
static void k_thread_release(void *ctx, uint32_t client) {
    must(ctx, ipc_cap_delete(thread_slot(ctx, client)), "CAP_DELETE (ended thread)", client);
}

/* See sys.h. */
void mmp_sys_kernel(mmp_sys_t *s, mmp_kernel_t *k) {
    k->core.ctx = s;
    k->core.register_root = k_register;
    k->core.unregister_root = k_unregister;
    k->core.flush = k_flush;
    k->core.kill = k_kill;
    k->core.give_kmem = k_give_kmem;
    k->core.take_kmem = k_take_kmem;
    k->thread_start = k_thread_start;
    k->thread_release = k_thread_release;
}

/* Takes the capability that landed in slot with a message: an endpoint moves to the carry
 * slot (the lowest free slot it landed in may be a future client's thread slot), anything
 * else is deleted. Returns its IPC_CAP_* kind. */
static uint32_t carry_in(mmp_sys_t *s, uint64_t slot, uint32_t client) {
    ipc_ret_t id = ipc_cap_identify(slot);
    must(s, id.err, "CAP_IDENTIFY (received)", client);
    uint32_t kind = (uint32_t)(id.value & 0xffu);
    if (kind == IPC_CAP_ENDPOINT && slot != s->carry) {
        must(s, ipc_cap_copy(slot, s->carry, IPC_RIGHTS_ALL, 0), "CAP_COPY (received)", client);
    }
    if (kind != IPC_CAP_ENDPOINT || slot != s->carry) {
        must(s, ipc_cap_delete(slot), "CAP_DELETE (received)", client);
    }
    s->carrying = kind == IPC_CAP_ENDPOINT;
    return kind;
}

/* port.next: reply_recv / recv / reply on mmserver's endpoint, words through the buffer.
 * The last message's capability is deleted first: it was needed only while it was served. */
static bool port_next(void *ctx, const mmp_msg_t *reply, mmp_msg_t *in) {
    mmp_sys_t *s = ctx;
    if (s->carrying) {
        must(s, ipc_cap_delete(s->carry), "CAP_DELETE (carried)", 0);
        s->carrying = false;
    }
    ipc_msg_t m;
    m.badge = 0;
    m.info = 0;
    if (reply) {
        mm_msg_pack(reply->label, reply->w, &m.info, m.w, s->buffer);
    }
    uint64_t ep = s->boot->slot_endpoint;
    ipc_err_t err = !in ? ipc_reply(&m) : reply ? ipc_reply_recv(ep, &m) : ipc_recv(ep, &m);
    if (err != IPC_OK || !in) {
        return err == IPC_OK;
    }
    in->badge = m.badge;
    in->length = mm_msg_unpack(m.info, m.w, s->buffer, &in->label, in->w);
    in->cap = 0;
    if (m.info & IPC_INFO_CAP) {
        in->cap = carry_in(s, ipc_info_slot(m.info), (uint32_t)m.badge);
    }
    return true;
}

/* See sys.h. */
void mmp_sys_port(mmp_sys_t *s, mmp_port_t *port) {
    port->ctx = s;
    port->next = port_next;
}
