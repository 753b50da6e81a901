/*
 * The process-side test environment: mmproc over the core's test server, the fake
 * thread_start, the fake transport, file helpers.
 */
#include "mpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* thread_start: records the thread (or refuses when the test says so). The fake kernel's
 * ctx is the mmt_env_t at the start of the mpt_t. */
static bool fake_thread_start(void *ctx, const mmp_thread_t *th) {
    mpt_t *t = ctx;
    if (t->refuse_thread) {
        return false;
    }
    cr_assert(t->e.srv->client[th->client].active, "thread for client %u without a space",
              th->client);
    cr_assert_neq(t->e.k.root[th->client], 0, "thread for client %u without a root", th->client);
    t->threads++;
    t->thread = *th;
    return true;
}

/* thread_release: counts. */
static void fake_thread_release(void *ctx, uint32_t client) {
    mpt_t *t = ctx;
    cr_assert(t->e.srv->client[client].active, "release of client %u without a space", client);
    t->releases++;
}

/* mmp_t.ended: counts and keeps the last. */
static void fake_ended(void *ctx, uint32_t client, const mmp_child_t *how) {
    mpt_t *t = ctx;
    t->ends++;
    t->last_end = client;
    t->last_how = *how;
}

void mpt_init(mpt_t *t, const pt_format_t *fmt) {
    memset(t, 0, sizeof(*t));
    mmt_init(&t->e, fmt, 0);
    mmp_kernel_t k = {t->e.srv->cfg.kernel, fake_thread_start, fake_thread_release};
    mmp_init(&t->p, t->e.srv, &k, mpt_machine(fmt), NULL, 0);
    t->p.ended = fake_ended;
    t->p.ended_ctx = t;
}

void mpt_fini(mpt_t *t) {
    free(t->p.child); /* the process side's tables, from meta_alloc (the C heap) */
    free(t->p.name);
    mmt_fini(&t->e);
}

/* One message through the IPC marshalling both ends use: label and words packed into an
 * info word, registers and an IPC buffer, then unpacked on the other side. */
static void through_ipc(uint64_t label, const uint64_t *w, uint64_t *out_label, uint64_t *out_w,
                        uint64_t *length) {
    uint64_t info, regs[IPC_MSG_REGS];
    ipc_buffer_t buf;
    memset(&buf, 0xee, sizeof(buf)); /* words not sent must not be read */
    mm_msg_pack(label, w, &info, regs, &buf);
    *length = mm_msg_unpack(info, regs, &buf, out_label, out_w);
}

/* The fake transport (mm_call_fn): client stubs -> IPC words -> adapter -> IPC words. A
 * capability passed along (MM_CALL_CAP) arrives as its slot number, which the tests use as
 * the kind of capability it is (mmp_msg_t.cap); a link without caps refuses one. */
static uint64_t fake_call(void *ctx, uint64_t *label, uint64_t w[MM_CLIENT_WORDS]) {
    mpt_link_t *l = ctx;
    if (l->t->fail_transport) {
        return IPC_ERR_INVALID_CAP;
    }
    uint64_t cap, sent = mm_call_split(*label, &cap);
    if (cap != IPC_SLOT_NONE && !l->caps) {
        return IPC_ERR_NO_RIGHTS; /* as the kernel: the capability used has no grant right */
    }
    mmp_msg_t in, out;
    in.badge = l->badge;
    in.cap = cap != IPC_SLOT_NONE ? (uint32_t)cap : 0;
    through_ipc(sent, w, &in.label, in.w, &in.length);
    l->t->answer = mmp_serve(&l->t->p, &in, &out);
    if (l->t->answer != MMP_REPLY) {
        return IPC_ERR_ABORTED; /* a caller that gets no reply never returns */
    }
    uint64_t length;
    through_ipc(out.label, out.w, label, w, &length);
    cr_assert_leq(length, MM_REPLY_WORDS);
    if (l->t->e.sweep) {
        mmt_check(&l->t->e);
    }
    return IPC_OK;
}

mm_conn_t *mpt_conn_cap(mpt_t *t, uint64_t badge) {
    mm_conn_t *c = mpt_conn(t, badge);
    ((mpt_link_t *)c->ctx)->caps = true;
    return c;
}

mmp_answer_t mpt_end(mpt_t *t, uint64_t badge, uint64_t status, uint64_t how) {
    mmp_msg_t in, out;
    memset(&in, 0, sizeof(in));
    in.badge = badge;
    in.label = IPC_LABEL_FAULT;
    in.length = IPC_FAULT_LENGTH;
    in.w[IPC_FAULT_W_INFO] = MMPRIV_END_KIND;
    in.w[MMPRIV_END_W_STATUS] = status;
    in.w[MMPRIV_END_W_HOW] = how;
    return mmp_serve(&t->p, &in, &out);
}

mm_conn_t *mpt_conn(mpt_t *t, uint64_t badge) {
    unsigned i = badge < MM_CLIENTS_INITIAL ? (unsigned)badge : MM_CLIENTS_INITIAL;
    t->link[i].t = t;
    t->link[i].badge = badge;
    t->conn[i].call = fake_call;
    t->conn[i].ctx = &t->link[i];
    t->link[i].caps = false;
    return &t->conn[i];
}

mmp_answer_t mpt_fault(mpt_t *t, uint64_t badge, uint32_t kind, uint32_t access, uint64_t addr,
                       mmp_msg_t *out) {
    mmp_msg_t in;
    memset(&in, 0, sizeof(in));
    in.badge = badge;
    in.label = IPC_LABEL_FAULT;
    in.length = IPC_FAULT_LENGTH;
    in.w[IPC_FAULT_W_INFO] = kind | (uint64_t)access << 8 | 14ull << 16;
    in.w[IPC_FAULT_W_ADDR] = addr;
    in.w[IPC_FAULT_W_PC] = 0x401000;
    return mmp_serve(&t->p, &in, out);
}

uint8_t *mpt_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    cr_assert(b && fread(b, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return b;
}

uint16_t mpt_machine(const pt_format_t *fmt) {
    return fmt == &pt_format_x86_64    ? ELF64_EM_X86_64
           : fmt == &pt_format_aarch64 ? ELF64_EM_AARCH64
                                       : ELF64_EM_RISCV;
}

const char *mpt_tiny_path(const pt_format_t *fmt) {
    return fmt == &pt_format_x86_64 ? MPT_TINY_X86_64 : MPT_TINY_RISCV64;
}
