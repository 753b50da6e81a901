/*
 * The privileged calls (ipc/mmpriv.h) and mmserver's IPC port. Each client's thread
 * capability lives in slot boot->slot_free + client of mmserver's table; one more slot,
 * kept empty, holds the badged endpoint copies made while a thread is set up.
 */
#include "sys.h"

/* One privileged call: the memory capability's slot first, then up to five words. */
static uint64_t priv(const mmp_sys_t *s, uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                     uint64_t a4, uint64_t a5) {
    return ipc_syscall(nr, s->boot->slot_memory, a1, a2, a3, a4, a5).err;
}

/* The slot of client's thread capability. */
static uint64_t thread_slot(const mmp_sys_t *s, uint32_t client) {
    return s->boot->slot_free + client;
}

/* See sys.h. */
bool mmp_sys_init(mmp_sys_t *s, const mmboot_t *b) {
    s->boot = b;
    s->buffer = (ipc_buffer_t *)(uintptr_t)b->ipc_buffer_va;
    s->scratch = b->slot_free + MM_MAX_CLIENTS;
    return s->scratch < IPC_CAP_SLOTS;
}

/* core.register_root: MMPRIV_SYS_ROOT_REGISTER. */
static bool k_register(void *ctx, uint32_t client, pt_paddr_t root) {
    return priv(ctx, MMPRIV_SYS_ROOT_REGISTER, client, root, 0, 0, 0) == IPC_OK;
}

/* core.unregister_root: MMPRIV_SYS_ROOT_UNREGISTER (cannot fail for a registered root). */
static void k_unregister(void *ctx, uint32_t client) {
    priv(ctx, MMPRIV_SYS_ROOT_UNREGISTER, client, 0, 0, 0, 0);
}

/* core.flush: MMPRIV_SYS_FLUSH with libpt's report. */
static void k_flush(void *ctx, uint32_t client, const pt_flush_t *fl) {
    uint64_t flags = (fl->all ? MMPRIV_FLUSH_ALL : 0) | (fl->tables ? MMPRIV_FLUSH_TABLES : 0);
    priv(ctx, MMPRIV_SYS_FLUSH, client, fl->start, fl->last, fl->leaves, flags);
}

/* core.kill: the client's thread is destroyed (its slot emptied); the core then tears
 * the space down. */
static void k_kill(void *ctx, uint32_t client, mm_kill_reason_t reason) {
    (void)reason;
    priv(ctx, MMPRIV_SYS_THREAD_DESTROY, thread_slot(ctx, client), 0, 0, 0, 0);
}

/* Gives the thread in slot mmserver's endpoint badged with client: as its fault endpoint
 * and in MM_SLOT_SERVER of its table (send only). */
static uint64_t give_endpoint(mmp_sys_t *s, uint64_t slot, uint32_t client) {
    uint64_t err = ipc_cap_copy(s->boot->slot_endpoint, s->scratch, IPC_RIGHT_SEND, client);
    if (err != IPC_OK) {
        return err;
    }
    err = ipc_thread_set_fault(slot, s->scratch);
    if (err == IPC_OK) {
        err = priv(s, MMPRIV_SYS_THREAD_GIVE, slot, s->scratch, MM_SLOT_SERVER, IPC_RIGHT_SEND, 0);
    }
    ipc_cap_delete(s->scratch);
    return err;
}

/* thread_start: create, endpoint, start; destroyed again if any step fails. */
static bool k_thread_start(void *ctx, const mmp_thread_t *t) {
    mmp_sys_t *s = ctx;
    uint64_t slot = thread_slot(s, t->client);
    if (priv(s, MMPRIV_SYS_THREAD_CREATE, t->client, slot, t->entry, t->sp, t->ipc_buffer) !=
        IPC_OK) {
        return false;
    }
    if (give_endpoint(s, slot, t->client) == IPC_OK &&
        priv(s, MMPRIV_SYS_THREAD_START, slot, t->prio, 0, 0, 0) == IPC_OK) {
        return true;
    }
    priv(s, MMPRIV_SYS_THREAD_DESTROY, slot, 0, 0, 0, 0);
    return false;
}

/* thread_release: the thread ended by itself; its capability is stale: empty the slot. */
static void k_thread_release(void *ctx, uint32_t client) {
    ipc_cap_delete(thread_slot(ctx, client));
}

/* See sys.h. */
void mmp_sys_kernel(mmp_sys_t *s, mmp_kernel_t *k) {
    k->core.ctx = s;
    k->core.register_root = k_register;
    k->core.unregister_root = k_unregister;
    k->core.flush = k_flush;
    k->core.kill = k_kill;
    k->thread_start = k_thread_start;
    k->thread_release = k_thread_release;
}

/* port.next: reply_recv / recv / reply on mmserver's endpoint, words through the buffer. */
static bool port_next(void *ctx, const mmp_msg_t *reply, mmp_msg_t *in) {
    mmp_sys_t *s = ctx;
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
    return true;
}

/* See sys.h. */
void mmp_sys_port(mmp_sys_t *s, mmp_port_t *port) {
    port->ctx = s;
    port->next = port_next;
}
