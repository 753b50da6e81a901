/*
 * The memory protocol's client stubs (ipc/mm_client.h): arguments into request words, one
 * call, reply words into a typed result. The word positions are ipc/mm.h's; nothing is
 * checked here that mmserver checks anyway.
 */
#include <ipc/mm_client.h>
#include <ipc/mmpriv.h>

/* Sends label with w (and the capability in slot cap unless IPC_SLOT_NONE, which must
 * be a slot: MM_CALL_CAP) through c; on return w holds the reply words. Returns the reply's
 * label as an mm_err_t, MM_ERR_IPC when the transport failed (or cap names no slot: ipc_err
 * IPC_ERR_INVALID_ARGUMENT) or the label is none of mm_err_t's; on an error c->where gets
 * the reply's MM_R_WHERE. */
static mm_err_t call_with(mm_conn_t *c, uint64_t label, uint64_t w[MM_CLIENT_WORDS], uint64_t cap) {
    c->where = 0;
    if (cap != IPC_SLOT_NONE && cap >= IPC_CAP_SLOTS_MAX) {
        c->ipc_err = IPC_ERR_INVALID_ARGUMENT;
        return MM_ERR_IPC;
    }
    label |= cap != IPC_SLOT_NONE ? MM_CALL_CAP(cap) : 0;
    c->ipc_err = c->call(c->ctx, &label, w);
    if (c->ipc_err != 0 || label >= MM_ERR_COUNT_) {
        return MM_ERR_IPC;
    }
    if (label != MM_OK) {
        c->where = w[MM_R_WHERE];
    }
    return (mm_err_t)label;
}

/* call_with, no capability. */
static mm_err_t call(mm_conn_t *c, uint64_t label, uint64_t w[MM_CLIENT_WORDS]) {
    return call_with(c, label, w, IPC_SLOT_NONE);
}

/* A request of up to four argument words (the others zero). */
static mm_err_t call4(mm_conn_t *c, uint64_t label, uint64_t a0, uint64_t a1, uint64_t a2,
                      uint64_t a3, uint64_t w[MM_CLIENT_WORDS]) {
    w[0] = a0;
    w[1] = a1;
    w[2] = a2;
    w[3] = a3;
    w[4] = w[5] = 0;
    return call(c, label, w);
}

/* The result of MM_MAP and MM_MAP_DEVICE. */
static void map_result(const uint64_t *w, mm_map_result_t *out) {
    out->va = w[MM_R_MAP_VA];
    out->reserved = w[MM_R_MAP_RESERVED];
    out->pages = w[MM_R_MAP_PAGES];
    out->huge = w[MM_R_MAP_HUGE];
    out->perm = (uint32_t)w[MM_R_MAP_PERM];
    out->done = (uint32_t)w[MM_R_MAP_DONE];
}

/* See ipc/mm_client.h. */
mm_err_t mm_map(mm_conn_t *c, uint64_t va, uint64_t len, uint32_t perm, uint32_t flags,
                mm_map_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, MM_MAP, va, len, perm, flags, w);
    if (err == MM_OK && out) {
        map_result(w, out);
    }
    return err;
}

/* MM_UNMAP and MM_DECOMMIT: the same arguments, the same result. */
static mm_err_t release(mm_conn_t *c, uint64_t label, uint64_t va, uint64_t len,
                        mm_release_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, label, va, len, 0, 0, w);
    if (err == MM_OK && out) {
        out->pages = w[MM_R_REL_PAGES];
        out->freed = w[MM_R_REL_FREED];
        out->unreserved = w[MM_R_REL_UNRES];
        out->charge = w[MM_R_REL_CHARGE];
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_unmap(mm_conn_t *c, uint64_t va, uint64_t len, mm_release_result_t *out) {
    return release(c, MM_UNMAP, va, len, out);
}

/* See ipc/mm_client.h. */
mm_err_t mm_protect(mm_conn_t *c, uint64_t va, uint64_t len, uint32_t perm,
                    mm_protect_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, MM_PROTECT, va, len, perm, 0, w);
    if (err == MM_OK && out) {
        out->pages = w[MM_R_PROT_PAGES];
        out->perm = (uint32_t)w[MM_R_PROT_PERM];
        out->splits = w[MM_R_PROT_SPLITS];
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_query(mm_conn_t *c, uint64_t va, mm_query_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, MM_QUERY, va, 0, 0, 0, w);
    if (err == MM_OK && out) {
        out->base = w[MM_R_Q_BASE];
        out->len = w[MM_R_Q_LEN];
        out->perm = MM_Q_PERM(w[MM_R_Q_PERM]);
        out->maxperm = MM_Q_MAXPERM(w[MM_R_Q_PERM]);
        out->kind = MM_Q_KIND(w[MM_R_Q_PERM]);
        out->memtype = MM_Q_MEMTYPE(w[MM_R_Q_PERM]);
        out->frame = w[MM_R_Q_FRAME];
        out->shift = w[MM_R_Q_SHIFT];
        out->peer = w[MM_R_Q_PEER];
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_share_accept(mm_conn_t *c, uint32_t from, uint64_t va, uint64_t len, uint32_t max,
                         mm_accept_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, MM_SHARE_ACCEPT, from, va, len, max, w);
    if (err == MM_OK && out) {
        out->va = w[MM_R_ACC_VA];
        out->pages = w[MM_R_ACC_PAGES];
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_share(mm_conn_t *c, uint64_t va, uint64_t len, uint32_t to, uint64_t dst_va,
                  uint32_t perm, mm_share_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    w[MM_A_SHR_VA] = va;
    w[MM_A_SHR_LEN] = len;
    w[MM_A_SHR_TO] = to;
    w[MM_A_SHR_DST_VA] = dst_va;
    w[MM_A_SHR_PERM] = perm;
    w[5] = 0; /* unused: zero by contract */
    mm_err_t err = call(c, MM_SHARE, w);
    if (err == MM_OK && out) {
        out->pages = w[MM_R_SHR_PAGES];
        out->perm = (uint32_t)w[MM_R_SHR_PERM];
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_decommit(mm_conn_t *c, uint64_t va, uint64_t len, mm_release_result_t *out) {
    return release(c, MM_DECOMMIT, va, len, out);
}

/* See ipc/mm_client.h. */
mm_err_t mm_map_device(mm_conn_t *c, uint64_t va, uint64_t len, uint64_t pa, uint32_t memtype,
                       uint32_t perm, uint32_t flags, mm_map_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    w[MM_A_DEV_VA] = va;
    w[MM_A_DEV_LEN] = len;
    w[MM_A_DEV_PA] = pa;
    w[MM_A_DEV_TYPE] = memtype;
    w[MM_A_DEV_PERM] = perm;
    w[MM_A_DEV_FLAGS] = flags;
    mm_err_t err = call(c, MM_MAP_DEVICE, w);
    if (err == MM_OK && out) {
        map_result(w, out);
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_stats(mm_conn_t *c, mm_stats_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, MM_STATS, 0, 0, 0, 0, w);
    if (err == MM_OK && out) {
        out->charge = w[MM_R_ST_CHARGE];
        out->quota = w[MM_R_ST_QUOTA];
        out->tables = w[MM_R_ST_TABLES];
        out->pool = w[MM_R_ST_POOL];
        out->regions = w[MM_R_ST_REGIONS];
        out->backed = w[MM_R_ST_BACKED];
    }
    return err;
}

_Static_assert(MM_NAME_MAX == MMPRIV_NAME_MAX, "the name MM_SPAWN replies with is the kernel's");
_Static_assert(MM_R_SPAWN_NAME + (MM_NAME_MAX + 1) / 8 <= MM_CLIENT_WORDS, "the name fits");
_Static_assert(MM_LABEL_COUNT_ <= MM_CALL_LABEL(~0ull), "protocol labels leave the cap bits free");

/* MM_SPAWN's and MM_PROGRAM's reply: client id and name (byte i % 8 of word i / 8). */
static void name_result(const uint64_t *w, mm_spawn_result_t *out) {
    out->client = (uint32_t)w[MM_R_SPAWN_CLIENT];
    uint64_t n = w[MM_R_SPAWN_NAME_LEN] < MM_NAME_MAX ? w[MM_R_SPAWN_NAME_LEN] : MM_NAME_MAX;
    out->name_len = (uint32_t)n;
    for (unsigned i = 0; i <= MM_NAME_MAX; i++) {
        out->name[i] = i < n ? (char)(w[MM_R_SPAWN_NAME + i / 8] >> (8 * (i % 8))) : 0;
    }
}

/* See ipc/mm_client.h. */
mm_err_t mm_spawn(mm_conn_t *c, uint32_t index, uint32_t flags, uint64_t cap,
                  mm_spawn_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    for (unsigned i = 0; i < MM_CLIENT_WORDS; i++) {
        w[i] = 0; /* unused words: zero by contract */
    }
    w[MM_A_SPAWN_INDEX] = index;
    w[MM_A_SPAWN_FLAGS] = flags;
    mm_err_t err = call_with(c, MM_SPAWN, w, cap);
    if (err == MM_OK && out) {
        name_result(w, out);
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_program(mm_conn_t *c, uint32_t index, mm_spawn_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, MM_PROGRAM, index, 0, 0, 0, w);
    if (err == MM_OK && out) {
        name_result(w, out);
    }
    return err;
}

/* See ipc/mm_client.h. */
mm_err_t mm_child(mm_conn_t *c, uint32_t client, mm_child_result_t *out) {
    uint64_t w[MM_CLIENT_WORDS];
    mm_err_t err = call4(c, MM_CHILD, client, 0, 0, 0, w);
    if (err == MM_OK && out) {
        out->state = (uint32_t)w[MM_R_CHILD_STATE];
        out->status = w[MM_R_CHILD_STATUS];
        out->kind = (uint32_t)w[MM_R_CHILD_KIND];
        out->access = (uint32_t)w[MM_R_CHILD_ACCESS];
        out->addr = w[MM_R_CHILD_ADDR];
        out->pc = w[MM_R_CHILD_PC];
    }
    return err;
}
