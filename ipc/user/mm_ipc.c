/*
 * The memory protocol over IPC: mm_ipc_call, the transport user programs give their
 * mm_conn_t (ipc/mm_client.h). Needs the message stub (ipc/user/arch/<arch>/ipc.S).
 */
#include <ipc/ipc_user.h>
#include <ipc/mm_client.h>

/* See ipc/mm_client.h. */
uint64_t mm_ipc_call(void *ctx, uint64_t *label, uint64_t w[MM_CLIENT_WORDS]) {
    return mm_ipc_call_cap(ctx, label, w, IPC_SLOT_NONE);
}

/* See ipc/mm_client.h. */
uint64_t mm_ipc_call_cap(void *ctx, uint64_t *label, uint64_t w[MM_CLIENT_WORDS], uint64_t cap) {
    const mm_ipc_t *t = ctx;
    ipc_msg_t m;
    m.badge = 0;
    mm_msg_pack(*label, w, &m.info, m.w, t->buffer);
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
