/*
 * The adapter end to end: each request made with the client stubs (ipc/mm_client.h), its
 * words through the IPC packing and the fake transport into mmp_serve, the core, and the
 * reply back into the stubs' typed results. Then faults, end notices and the receive loop.
 */
#include "mpt.h"

#include <string.h>

#define RW (MM_PERM_R | MM_PERM_W)

/* Every request of the protocol, each result field checked against the core's state. */
MMT_FOR_ALL_FORMATS(adapter, every_request) {
    static mpt_t t;
    mpt_init(&t, fmt);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    mmt_client(&t.e, 2, MMT_QUOTA, true);
    mm_conn_t *a = mpt_conn(&t, 1), *b = mpt_conn(&t, 2);

    mm_map_result_t m;
    cr_assert_eq(mm_map(a, MMT_VA, 16 * PG, RW, 0, &m), MM_OK);
    cr_assert(m.va == MMT_VA && m.reserved == 16 && m.pages == 16 && m.huge == 0,
              "va %#llx reserved %llu pages %llu huge %llu", (unsigned long long)m.va,
              (unsigned long long)m.reserved, (unsigned long long)m.pages,
              (unsigned long long)m.huge);
    cr_assert(m.perm == RW && m.done == 0);
    cr_assert_eq(mm_map(a, 0, 4 * PG, MM_PERM_R, MM_F_ANYWHERE | MM_F_LAZY, &m), MM_OK);
    cr_assert(m.va >= MM_USER_BASE && m.reserved == 4 && m.pages == 0 && m.perm == MM_PERM_R);
    uint64_t lazy = m.va;

    mm_query_result_t q;
    cr_assert_eq(mm_query(a, MMT_VA + 3 * PG, &q), MM_OK);
    cr_assert(q.base == MMT_VA && q.len == 16 * PG && q.perm == RW && q.kind == MM_KIND_ANON);
    cr_assert(q.maxperm == MM_PERM_ALL && q.memtype == MM_MEM_NORMAL && q.shift == 12);
    cr_assert(mmt_frame(&t.e, 1, MMT_VA + 3 * PG) != 0);
    cr_assert_eq(q.frame, MM_FRAME_HIDDEN, "an unprivileged client is not told where");
    cr_assert_eq(mm_query(a, lazy, &q), MM_OK);
    cr_assert(q.kind == MM_KIND_LAZY && q.frame == 0 && q.shift == 0);

    mm_protect_result_t pr;
    cr_assert_eq(mm_protect(a, MMT_VA, 8 * PG, MM_PERM_R, &pr), MM_OK);
    cr_assert(pr.pages == 8 && pr.perm == MM_PERM_R && pr.splits == 0);

    mm_release_result_t rel;
    cr_assert_eq(mm_decommit(a, MMT_VA, 2 * PG, &rel), MM_OK);
    cr_assert(rel.pages == 2 && rel.freed == 2 && rel.unreserved == 0);
    cr_assert_eq(rel.charge, mm_charge(&t.e.srv->client[1]));

    mm_accept_result_t acc;
    cr_assert_eq(mm_share_accept(b, 1, MMT_VA, 4 * PG, RW, &acc), MM_OK);
    cr_assert(acc.va == MMT_VA && acc.pages == 4);
    mm_share_result_t sh;
    cr_assert_eq(mm_share(a, MMT_VA + 8 * PG, 4 * PG, 2, MMT_VA, RW, &sh), MM_OK);
    cr_assert(sh.pages == 4 && sh.perm == RW);
    cr_assert_eq(mmt_frame(&t.e, 2, MMT_VA), mmt_frame(&t.e, 1, MMT_VA + 8 * PG));
    cr_assert_eq(mm_query(b, MMT_VA, &q), MM_OK);
    cr_assert(q.kind == MM_KIND_SHARED && q.peer == 1);

    cr_assert_eq(mm_map_device(b, 0, 2 * PG, MMT_DEVICE_PA, MM_MEM_DEVICE, RW, MM_F_ANYWHERE, &m),
                 MM_OK);
    cr_assert(m.reserved == 2 && m.pages == 2 && m.perm == RW);
    cr_assert_eq(mmt_frame(&t.e, 2, m.va), MMT_DEVICE_PA);

    mm_stats_result_t st;
    const mm_client_t *c1 = &t.e.srv->client[1];
    cr_assert_eq(mm_stats(a, &st), MM_OK);
    cr_assert(st.charge == mm_charge(c1) && st.quota == MMT_QUOTA && st.tables == c1->tables_max);
    cr_assert(st.pool == mm_pool_available(&t.e.srv->pool) && st.regions == c1->nregions);
    cr_assert_eq(st.backed, 14u);

    cr_assert_eq(mm_unmap(a, MMT_VA, 16 * PG, &rel), MM_OK);
    cr_assert(rel.pages == 14 && rel.freed == 10 && rel.unreserved == 16);
    cr_assert_eq(rel.charge, mm_charge(c1));
    mmt_said("%s: every request through stubs, IPC packing, adapter and core", fmt->name);
    mpt_fini(&t);
}

/* Errors come back typed, with the offending address, and leave the result untouched. */
MMT_FOR_ALL_FORMATS(adapter, errors) {
    static mpt_t t;
    mpt_init(&t, fmt);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    mm_conn_t *a = mpt_conn(&t, 1);
    mm_map_result_t m;
    memset(&m, 0x5a, sizeof(m));
    cr_assert_eq(mm_map(a, MMT_VA, 4 * PG, MM_PERM_ALL, 0, &m), MM_ERR_WX);
    cr_assert_eq(m.va, 0x5a5a5a5a5a5a5a5aull, "no result on an error");
    cr_assert_eq(mm_map(a, MMT_VA, 4 * PG, RW, 0, NULL), MM_OK);
    cr_assert_eq(mm_unmap(a, MMT_VA, 8 * PG, NULL), MM_ERR_NOT_MAPPED);
    cr_assert_eq(a->where, MMT_VA + 4 * PG);
    cr_assert_eq(mm_map(a, MMT_VA + 1, PG, RW, 0, NULL), MM_ERR_ALIGN);
    cr_assert_eq(mm_map_device(a, MMT_VA + 16 * PG, PG, MMT_DEVICE_PA, MM_MEM_DEVICE, RW, 0, NULL),
                 MM_ERR_DENIED);
    cr_assert_eq(mm_share(a, MMT_VA, PG, 1, MMT_VA, RW, NULL), MM_ERR_INVAL);
    cr_assert_eq(mm_query(mpt_conn(&t, 7), MMT_VA, NULL), MM_ERR_NO_CLIENT);
    cr_assert_eq(mm_stats(mpt_conn(&t, 0), NULL), MM_ERR_NO_CLIENT, "badge 0: no client");
    cr_assert_eq(mm_stats(mpt_conn(&t, 1ull << 40), NULL), MM_ERR_NO_CLIENT);
    t.fail_transport = true;
    cr_assert_eq(mm_stats(a, NULL), MM_ERR_IPC);
    cr_assert_eq(a->ipc_err, IPC_ERR_INVALID_CAP);
    mmt_said("%s: typed errors with where, unknown badges, a failing transport", fmt->name);
    mpt_fini(&t);
}

/* Messages the stubs never send: an unknown label, too many words, a label past the
 * protocol's; the adapter answers INVAL and the core sees nothing odd. */
Test(adapter, malformed_messages) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    mmp_msg_t in, out;
    memset(&in, 0, sizeof(in));
    in.badge = 1;
    in.label = 0;
    cr_assert_eq(mmp_serve(&t.p, &in, &out), MMP_REPLY);
    cr_assert_eq(out.label, MM_ERR_INVAL);
    in.label = MM_STATS;
    in.length = MM_REQ_WORDS + 1;
    cr_assert_eq(mmp_serve(&t.p, &in, &out), MMP_REPLY);
    cr_assert_eq(out.label, MM_ERR_INVAL, "a request longer than the protocol's");
    in.length = 3;
    in.w[4] = 0xdead; /* past the length: read as zero */
    in.label = MM_MAP;
    in.w[0] = MMT_VA, in.w[1] = PG, in.w[2] = RW;
    cr_assert_eq(mmp_serve(&t.p, &in, &out), MMP_REPLY);
    cr_assert_eq(out.label, MM_OK, "words past the length are zero");
    in.label = 1ull << 40;
    cr_assert_eq(mmp_serve(&t.p, &in, &out), MMP_REPLY);
    cr_assert_eq(out.label, MM_ERR_INVAL);
    mmt_said("malformed messages: INVAL, words past the length read as zero");
    mpt_fini(&t);
}

/* Page faults: a lazy page is filled and the thread resumed; an unmapped address kills the
 * client and gets no reply; other fault kinds kill; an end notice reclaims the space. */
MMT_FOR_ALL_FORMATS(adapter, faults) {
    static mpt_t t;
    mpt_init(&t, fmt);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    mmt_client(&t.e, 2, MMT_QUOTA, false);
    mmt_client(&t.e, 3, MMT_QUOTA, false);
    cr_assert_eq(mm_map(mpt_conn(&t, 1), MMT_VA, 4 * PG, RW, MM_F_LAZY, NULL), MM_OK);
    mmp_msg_t out;
    cr_assert_eq(mpt_fault(&t, 1, IPC_FAULT_PAGE, IPC_ACCESS_WRITE, MMT_VA + PG + 8, &out),
                 MMP_REPLY);
    cr_assert_eq(out.label, 0);
    cr_assert_neq(mmt_frame(&t.e, 1, MMT_VA + PG), 0, "the page was filled");
    cr_assert_eq(mpt_fault(&t, 1, IPC_FAULT_PAGE, IPC_ACCESS_READ, MMT_VA - PG, &out), MMP_NOTHING);
    cr_assert(t.e.k.kills == 1 && t.e.k.last_kill == MM_KILL_UNMAPPED);
    cr_assert(!t.e.srv->client[1].active, "the killed client is torn down");
    cr_assert_eq(mpt_fault(&t, 2, IPC_FAULT_ILLEGAL, 0, 0, &out), MMP_NOTHING);
    cr_assert(t.e.k.kills == 2 && t.e.k.last_kill == MM_KILL_FAULT);
    cr_assert(!t.e.srv->client[2].active);
    cr_assert_eq(mpt_end(&t, 3, 0, MMPRIV_END_EXIT), MMP_NOTHING);
    cr_assert(t.e.k.kills == 2 && !t.e.srv->client[3].active, "an end reclaims, no kill");
    cr_assert_eq(t.releases, 1u, "the ended thread's capability is released");
    cr_assert_eq(mpt_fault(&t, 9, IPC_FAULT_PAGE, IPC_ACCESS_READ, MMT_VA, &out), MMP_NOTHING);
    cr_assert_eq(mpt_fault(&t, 1ull << 33, IPC_FAULT_PAGE, IPC_ACCESS_READ, MMT_VA, &out),
                 MMP_NOTHING);
    mmt_said("%s: fault fill, kill on a bad fault, end notice, unknown badge", fmt->name);
    mpt_fini(&t);
}

/* A scripted port for the loop: the messages to deliver, the replies it was given. */
typedef struct script {
    mmp_msg_t in[4];
    unsigned n, next;
    mmp_msg_t replies[4];
    unsigned nreplies;
} script_t;

/* port.next over the script: records the reply, hands out the next message. */
static bool script_next(void *ctx, const mmp_msg_t *reply, mmp_msg_t *in) {
    script_t *s = ctx;
    if (reply) {
        s->replies[s->nreplies++] = *reply;
    }
    if (!in || s->next == s->n) {
        return in == NULL;
    }
    *in = s->in[s->next++];
    return true;
}

/* The loop replies to calls, not to a fault that killed, and stops when the port fails. */
Test(adapter, loop) {
    static mpt_t t;
    mpt_init(&t, &pt_format_sv48);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    mmt_client(&t.e, 2, MMT_QUOTA, false);
    script_t s;
    memset(&s, 0, sizeof(s));
    s.in[0] = (mmp_msg_t){.badge = 1, .label = MM_MAP, .length = 3, .w = {MMT_VA, PG, RW}};
    s.in[1] = (mmp_msg_t){
        .badge = 2, .label = IPC_LABEL_FAULT, .length = 4, .w = {IPC_FAULT_PAGE, 0x1000}};
    s.in[2] = (mmp_msg_t){.badge = 1, .label = MM_STATS};
    s.n = 3;
    mmp_port_t port = {&s, script_next};
    cr_assert_eq(mmp_loop(&t.p, &port, 0), 3u, "three handled, then the port failed");
    cr_assert_eq(s.nreplies, 2u, "the map and the stats answered, not the killing fault");
    cr_assert(s.replies[0].label == MM_OK && s.replies[1].label == MM_OK);
    cr_assert_eq(s.replies[1].w[MM_R_ST_REGIONS], 1u);
    cr_assert(!t.e.srv->client[2].active);
    s.next = s.nreplies = 0;
    s.in[0].w[0] = MMT_VA + 16 * PG;
    cr_assert_eq(mmp_loop(&t.p, &port, 1), 1u);
    cr_assert_eq(s.nreplies, 1u, "the last answer is sent before the loop returns");
    mmt_said("loop: reply_recv after calls, recv after a kill, last reply sent");
    mpt_fini(&t);
}

/* The IPC packing both ends use: trailing zero words do not travel, every word of a
 * memory message travels in registers (IPC_MSG_REGS covers MM_MSG_WORDS, so requests and
 * replies take the fast path) and the buffer is never touched; a longer length from a
 * sender that lies is read from the buffer, within MM_MSG_WORDS. */
Test(adapter, packing) {
    uint64_t w[MM_CLIENT_WORDS] = {1, 2, 0, 0, 0, 0}, regs[IPC_MSG_REGS], info, label;
    uint64_t back[MM_CLIENT_WORDS];
    mm_msg_pack(MM_QUERY, w, &info, regs, NULL);
    cr_assert(ipc_info_length(info) == 2 && ipc_info_label(info) == MM_QUERY);
    cr_assert_eq(mm_msg_unpack(info, regs, NULL, &label, back), 2u);
    cr_assert(label == MM_QUERY && back[0] == 1 && back[1] == 2 && back[3] == 0 && back[5] == 0);
    ipc_buffer_t buf;
    memset(&buf, 0, sizeof(buf));
    w[5] = 0x55;
    mm_msg_pack(MM_MAP_DEVICE, w, &info, regs, &buf);
    cr_assert(ipc_info_length(info) == 6 && regs[5] == 0x55 && regs[4] == 0);
    for (unsigned i = 0; i < IPC_MSG_MAX_WORDS; i++) {
        cr_assert_eq(buf.words[i], 0, "mm_msg_pack wrote word %u of the IPC buffer", i);
    }
    cr_assert_eq(mm_msg_unpack(info, regs, &buf, &label, back), 6u);
    cr_assert(back[5] == 0x55 && back[0] == 1 && label == MM_MAP_DEVICE);
    info = ipc_info(MM_MAP, 31);
    buf.words[7] = 0x77;
    cr_assert_eq(mm_msg_unpack(info, regs, &buf, &label, back), 31u, "the length is reported");
    uint64_t cap;
    cr_assert_eq(mm_call_split(MM_STATS, &cap), MM_STATS);
    cr_assert_eq(cap, IPC_SLOT_NONE);
    cr_assert_eq(mm_call_split(IPC_LABEL_FAULT | 9, &cap), IPC_LABEL_FAULT | 9,
                 "every label IPC carries goes out unchanged");
    cr_assert_eq(cap, IPC_SLOT_NONE);
    cr_assert_eq(mm_call_split(0xffffffffffffull, &cap), 0xffffffffffffull);
    cr_assert_eq(mm_call_split(MM_SPAWN | MM_CALL_CAP(IPC_INFO_SLOT_MASK), &cap), MM_SPAWN);
    cr_assert_eq(cap, IPC_INFO_SLOT_MASK);
    mmt_said("packing: lengths, registers, buffer words; a capability's slot beside the label, "
             "labels of 48 bits unchanged");
}
