/*
 * The message adapter: one IPC message in (label, words, badge), the core called, one
 * reply out -- or none, when the sender is gone. And the receive loop around it.
 *
 * The badge is the client id (mmserver badged every capability it gave out with it), so
 * the adapter trusts the badge and nothing in the words to say who asks.
 */
#include <ipc/mmpriv.h>
#include <mmserver/proc.h>

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
    uint32_t client = in->badge < MM_MAX_CLIENTS ? (uint32_t)in->badge : MM_MAX_CLIENTS;
    answer(out, 0);
    out->label = mm_handle(p->srv, client, in->label, req, out->w); /* writes every word */
    out->length = used_words(out->w, MM_REPLY_WORDS);
    return MMP_REPLY;
}

/* Ends a client mmserver will not serve any more (a fault it cannot fix). */
static void end_client(mmp_t *p, uint32_t client, mm_kill_reason_t why) {
    const mm_kernel_ops_t *k = &p->kernel.core;
    k->kill(k->ctx, client, why);
    mm_client_destroy(p->srv, client);
}

/* A fault message (ipc/ipc.h): page faults go to the core, which fills the page (resume)
 * or kills; an end notice tears the space down; any other fault kills the client. */
static mmp_answer_t serve_fault(mmp_t *p, const mmp_msg_t *in, mmp_msg_t *out) {
    uint32_t client = (uint32_t)in->badge;
    if (in->badge >= MM_MAX_CLIENTS || !p->srv->client[client].active) {
        return MMP_NOTHING; /* nobody mmserver knows: never resume it */
    }
    uint64_t info = in->w[IPC_FAULT_W_INFO];
    uint32_t kind = ipc_fault_kind(info);
    if (kind == MMPRIV_END_KIND) {
        p->kernel.thread_release(p->kernel.core.ctx, client); /* its thread is gone already */
        mm_client_destroy(p->srv, client);
        return MMP_NOTHING;
    }
    if (kind != IPC_FAULT_PAGE) {
        end_client(p, client, MM_KILL_REQUEST);
        return MMP_NOTHING;
    }
    mm_fault_answer_t a =
        mm_fault(p->srv, client, in->w[IPC_FAULT_W_ADDR], ipc_fault_access(info), NULL);
    if (a == MM_FAULT_KILL) {
        return MMP_NOTHING; /* the core told the kernel and tore the client down */
    }
    answer(out, 0); /* any reply resumes the thread */
    return MMP_REPLY;
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
