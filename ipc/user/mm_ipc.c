/*
 * The memory protocol over IPC: mm_ipc_call, the transport user programs give their
 * mm_conn_t (ipc/mm_client.h). Needs the message stub (arch/<arch>/user/ipc.S).
 */
#include <ipc/ipc_user.h>
#include <ipc/mm_client.h>

/* See ipc/mm_client.h. */
uint64_t mm_ipc_call(void *ctx, uint64_t *label, uint64_t w[MM_CLIENT_WORDS]) {
    const mm_ipc_t *t = ctx;
    ipc_msg_t m;
    m.badge = 0;
    uint64_t cap;
    mm_msg_pack(mm_call_split(*label, &cap), w, &m.info, m.w, t->buffer);
    if (cap != IPC_SLOT_NONE) {
        m.info = ipc_info_cap(ipc_info_label(m.info), ipc_info_length(m.info), cap);
    }
    ipc_err_t err = ipc_call(t->slot, &m);
    if (err != IPC_OK) {
        return err;
    }
    mm_msg_unpack(m.info, m.w, t->buffer, label, w);
    return IPC_OK;
}
