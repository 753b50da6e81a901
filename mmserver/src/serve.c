/*
 * The message adapter: one IPC message in (label, words, badge), the core called, one
 * reply out -- or none, when the sender is gone. And the receive loop around it.
 *
 * The badge is the client id (mmserver badged every capability it gave out with it), so
 * the adapter trusts the badge and nothing in the words to say who asks.
 */
#include <ipc/mmpriv.h>
#include <mmserver/proc.h>

#include "internal.h"

/* Clears out's words and sets its label. */
static void answer(mmp_msg_t *out, uint64_t label) {
    out->badge = 0;
    out->label = label;
    out->length = 0;
    for (unsigned i = 0; i < MMP_MSG_WORDS; i++) {
        out->w[i] = 0;
    }
}

/* The shortest length that carries every non-zero word of w (the rest are zero by
 * contract), so short replies stay in registers. */
static uint64_t used_words(const uint64_t *w, unsigned n) {
    while (n && !w[n - 1]) {
        n--;
    }
    return n;
}

/* The index-th program after the root (MM_SPAWN's and MM_PROGRAM's count) into *f; false
 * past the last member (a malformed tail ends the list). */
static bool program_at(const mmp_t *p, uint64_t index, cpio_file_t *f) {
    return index < UINT32_MAX &&
           mmp_program(p->archive, p->archive_len, (uint32_t)index + 1u, f) == CPIO_FILE;
}

/* The reply words of MM_SPAWN and MM_PROGRAM: client id, then the name as the kernel takes
 * it (length, packed words). */
static void reply_name(uint64_t *reply, uint32_t client, const char *name, size_t len) {
    uint64_t words[MMP_NAME_WORDS];
    reply[MM_R_SPAWN_CLIENT] = client;
    reply[MM_R_SPAWN_NAME_LEN] = mmp_name_pack(name, len, words);
    for (unsigned i = 0; i < MMP_NAME_WORDS; i++) {
        reply[MM_R_SPAWN_NAME + i] = words[i];
    }
}

/* MM_SPAWN from the root: the index-th program after the root, with the endpoint that came
 * with the request (if any) for its MM_SLOT_BOOT. Reply: client id, name length, name. */
static mm_err_t spawn(mmp_t *p, const mmp_msg_t *in, const uint64_t *req, uint64_t *reply) {
    uint64_t flags = req[MM_A_SPAWN_FLAGS];
    bool serve = (flags & MM_SPAWN_SERVE) != 0;
    if ((flags & ~(uint64_t)MM_SPAWN_F_ALL) || (in->cap && in->cap != IPC_CAP_ENDPOINT) ||
        (serve && !in->cap)) {
        return MM_ERR_INVAL;
    }
    cpio_file_t f;
    if (!program_at(p, req[MM_A_SPAWN_INDEX], &f)) {
        return MM_ERR_NO_PROGRAM;
    }
    mmp_give_t give = !in->cap ? MMP_GIVE_NONE : serve ? MMP_GIVE_SERVE : MMP_GIVE_CLIENT;
    mmp_spawn_t s;
    uint64_t quota = (flags & MM_SPAWN_RAM) ? p->srv->pool.frames : MMP_QUOTA;
    mmp_spawn(p, f.name, f.name_len, f.data, f.size, give, false, quota, &s);
    mm_err_t err = mmp_spawn_mm_err(&s);
    if (err != MM_OK) {
        p->failed++;
        return err;
    }
    uint32_t id = s.thread.client; /* its record exists: mmp_spawn made room */
    mm_mem_zero(&p->child[id], sizeof(p->child[id]));
    p->child[id].watched = true;
    p->child[id].serve = serve;
    p->child[id].state = MM_CHILD_RUNNING;
    p->unread += !serve; /* a server counts once it ends */
    p->started++;
    p->spawned |= !serve; /* a server alone does not arm the frame check: it never ends */
    reply_name(reply, id, f.name, f.name_len);
    return MM_OK;
}

/* MM_PROGRAM from the root: the index-th program's name, nothing started (client id 0). */
static mm_err_t program(const mmp_t *p, const uint64_t *req, uint64_t *reply) {
    cpio_file_t f;
    if (!program_at(p, req[MM_A_SPAWN_INDEX], &f)) {
        return MM_ERR_NO_PROGRAM;
    }
    reply_name(reply, 0, f.name, f.name_len);
    return MM_OK;
}

/* MM_CHILD from the root: RUNNING, or the end record, given once and then forgotten. */
static mm_err_t child(mmp_t *p, const uint64_t *req, uint64_t *reply) {
    uint64_t id = req[MM_A_CHILD_ID];
    if (id >= p->children || !p->child[id].watched) {
        return MM_ERR_NO_CLIENT;
    }
    mmp_child_t *c = &p->child[id];
    reply[MM_R_CHILD_STATE] = c->state;
    if (c->state == MM_CHILD_RUNNING) {
        return MM_OK;
    }
    reply[MM_R_CHILD_STATUS] = c->status;
    reply[MM_R_CHILD_KIND] = c->kind;
    reply[MM_R_CHILD_ACCESS] = c->access;
    reply[MM_R_CHILD_ADDR] = c->addr;
    reply[MM_R_CHILD_PC] = c->pc;
    mm_mem_zero(c, sizeof(*c)); /* given once: the id may be used again */
    p->unread--;
    return MM_OK;
}

/* The root's own requests (MM_SPAWN, MM_PROGRAM, MM_CHILD); DENIED to anybody else (the
 * badge says who asks). */
static mm_err_t serve_root(mmp_t *p, const mmp_msg_t *in, const uint64_t *req, uint64_t *reply) {
    if (!p->root || in->badge != p->root || !mm_client(p->srv, p->root)) {
        return MM_ERR_DENIED;
    }
    return in->label == MM_SPAWN     ? spawn(p, in, req, reply)
           : in->label == MM_PROGRAM ? program(p, req, reply)
                                     : child(p, req, reply);
}

/* A request of ipc/mm.h: words past the message's length are zero; a longer message than a
 * request is INVAL, before the core sees it. */
static mmp_answer_t serve_request(mmp_t *p, const mmp_msg_t *in, mmp_msg_t *out) {
    uint64_t req[MM_REQ_WORDS];
    for (unsigned i = 0; i < MM_REQ_WORDS; i++) {
        req[i] = i < in->length ? in->w[i] : 0;
    }
    if (in->length > MM_REQ_WORDS) {
        answer(out, MM_ERR_INVAL);
        return MMP_REPLY;
    }
    uint32_t client = in->badge < MM_CLIENT_ID_LIMIT ? (uint32_t)in->badge : MM_CLIENT_ID_LIMIT;
    answer(out, 0);
    if (in->label == MM_SPAWN || in->label == MM_CHILD || in->label == MM_PROGRAM) {
        out->label = serve_root(p, in, req, out->w);
        if (out->label != MM_OK) {
            answer(out, out->label); /* an error carries no words */
        }
    } else {
        out->label = mm_handle(p->srv, client, in->label, req, out->w); /* writes every word */
    }
    out->length = used_words(out->w, MM_REPLY_WORDS);
    return MMP_REPLY;
}

/* Records how client ended (if the root started it) and tells p->ended. */
static void record_end(mmp_t *p, uint32_t client, const mmp_child_t *how) {
    if (client < p->children && p->child[client].watched) {
        bool serve = p->child[client].serve;
        p->unread += serve; /* a program was counted since its start */
        mm_mem_copy(&p->child[client], how, sizeof(*how));
        p->child[client].watched = true;
        p->child[client].serve = serve;
    }
    if (p->ended) {
        p->ended(p->ended_ctx, client, how);
    }
}

/* The end record of a fault message in: kind, access, address and pc, and held, the region
 * that held the address (NULL: none). */
static void fault_end(const mmp_msg_t *in, mm_kill_reason_t why, const mm_region_t *held,
                      mmp_child_t *how) {
    uint64_t info = in->w[IPC_FAULT_W_INFO];
    mm_mem_zero(how, sizeof(*how));
    how->state = MM_CHILD_KILLED;
    how->status = why;
    how->kind = ipc_fault_kind(info);
    how->access = ipc_fault_access(info);
    how->addr = in->w[IPC_FAULT_W_ADDR];
    how->pc = in->w[IPC_FAULT_W_PC];
    if (held) {
        how->region_base = held->base;
        how->region_len = held->len;
        how->region_perm = held->perm;
        how->region_kind = held->kind;
    }
}

/* The end notice (ipc/mmpriv.h): w1 the exit status, w2 exit or killed through a
 * capability. The thread is gone already: release its capability, tear the space down. */
static void serve_end(mmp_t *p, uint32_t client, const mmp_msg_t *in) {
    mmp_child_t how;
    mm_mem_zero(&how, sizeof(how));
    if (in->w[MMPRIV_END_W_HOW] == MMPRIV_END_KILLED) {
        how.state = MM_CHILD_KILLED;
        how.status = MM_KILL_THREAD;
        how.kind = IPC_FAULT_NONE;
    } else {
        how.state = MM_CHILD_EXITED;
        how.status = in->w[MMPRIV_END_W_STATUS];
    }
    record_end(p, client, &how);
    p->kernel.thread_release(p->kernel.core.ctx, client);
    mm_client_destroy(p->srv, client);
}

/* A fault message (ipc/ipc.h): page faults go to the core, which fills the page (resume)
 * or kills; an end notice tears the space down; any other fault kills the client. */
static mmp_answer_t serve_fault(mmp_t *p, const mmp_msg_t *in, mmp_msg_t *out) {
    uint32_t client = (uint32_t)in->badge;
    if (in->badge >= MM_CLIENT_ID_LIMIT || !mm_client(p->srv, client)) {
        return MMP_NOTHING; /* nobody mmserver knows: never resume it */
    }
    uint64_t info = in->w[IPC_FAULT_W_INFO];
    uint32_t kind = ipc_fault_kind(info);
    mmp_child_t how;
    if (kind == MMPRIV_END_KIND) {
        serve_end(p, client, in);
        return MMP_NOTHING;
    }
    if (kind != IPC_FAULT_PAGE) {
        const mm_kernel_ops_t *k = &p->kernel.core;
        fault_end(in, MM_KILL_FAULT, NULL, &how);
        record_end(p, client, &how);
        k->kill(k->ctx, client, MM_KILL_FAULT);
        mm_client_destroy(p->srv, client);
        return MMP_NOTHING;
    }
    /* A kill tears the space down inside mm_fault, so the region its line names is copied
     * first (one lookup; the fault path makes the same one). */
    mm_region_t held;
    const mm_region_t *r = mm_region_at(&p->srv->client[client], in->w[IPC_FAULT_W_ADDR]);
    if (r) {
        held = *r;
    }
    mm_kill_reason_t why;
    mm_fault_answer_t a =
        mm_fault(p->srv, client, in->w[IPC_FAULT_W_ADDR], ipc_fault_access(info), &why);
    if (a == MM_FAULT_KILL) {
        fault_end(in, why, r ? &held : NULL, &how); /* the core told the kernel and tore the
                                                     * client down */
        record_end(p, client, &how);
        return MMP_NOTHING;
    }
    answer(out, 0); /* any reply resumes the thread */
    return MMP_REPLY;
}

/* True when every program the root started has ended and had its end given, servers
 * still running excepted. O(1): the frame check asks at every message. */
static bool root_done(const mmp_t *p) {
    return p->unread == 0;
}

/* See proc.h. */
mmp_pool_verdict_t mmp_pool_check(mmp_t *p, uint64_t *now, uint64_t *want) {
    if (!p->spawned || !root_done(p)) {
        return MMP_POOL_WAIT;
    }
    p->spawned = false;
    uint64_t held = 0;
    for (uint32_t id = 0; id < p->srv->clients; id++) {
        if (p->srv->client[id].active) {
            held += mm_charge(&p->srv->client[id]) - p->srv->client[id].kmem;
        }
    }
    held += p->srv->kmem_held; /* the kernel's objects: what clients paid, or more for a while */
    held += p->srv->meta_frames - p->meta_start; /* the tables grew for more clients */
    *now = mm_pool_available(&p->srv->pool);
    *want = held <= p->pool_start ? p->pool_start - held : 0;
    return held <= p->pool_start && *now == *want ? MMP_POOL_OK : MMP_POOL_LEAK;
}

/* See proc.h. */
mmp_answer_t mmp_serve(mmp_t *p, const mmp_msg_t *in, mmp_msg_t *out) {
    if (in->label == IPC_LABEL_FAULT) {
        return serve_fault(p, in, out);
    }
    return serve_request(p, in, out);
}

/* See proc.h. */
uint64_t mmp_loop(mmp_t *p, const mmp_port_t *port, uint64_t max) {
    mmp_msg_t in, out;
    const mmp_msg_t *reply = NULL;
    uint64_t handled = 0;
    for (; max == 0 || handled < max; handled++) {
        if (!port->next(port->ctx, reply, &in)) {
            return handled;
        }
        reply = mmp_serve(p, &in, &out) == MMP_REPLY ? &out : NULL;
    }
    if (reply) {
        port->next(port->ctx, reply, NULL); /* the last answer, without waiting for more */
    }
    return handled;
}
