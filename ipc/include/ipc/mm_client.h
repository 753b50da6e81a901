/*
 * The client side of the memory protocol (ipc/mm.h): one C call per request, which
 * marshals its arguments into the request words, makes one IPC call to mmserver and
 * unpacks the reply words into a typed result. No policy here: mmserver checks
 * everything; these calls only move words (ipc/user/mm_client.c).
 *
 * The call goes through a transport (mm_conn_t), so the stubs run on the host against a
 * fake (tests/mmproc) and in a program over IPC (mm_ipc_call, ipc/user/mm_ipc.c).
 */
#pragma once

#include <stdint.h>

#include <ipc/ipc.h>
#include <ipc/mm.h>
#include <ipc/mm_msg.h> /* mm_msg_pack / mm_msg_unpack; MM_SLOT_SERVER is in ipc/mm.h */

/* Not a protocol error: the IPC call itself failed (mm_conn_t.ipc_err says how) or the
 * reply was not a reply of this protocol. Outside mm_err_t's numbers on purpose. */
#define MM_ERR_IPC ((mm_err_t)0x100)

/* Words either way. */
#define MM_CLIENT_WORDS MM_MSG_WORDS

/* A transport: sends label and the request words w, waits for the reply, and puts its
 * label in *label and its words in w (unsent words zero). Returns an ipc_err_t. A label
 * with MM_CALL_CAP set asks the transport to pass the capability in the slot it names
 * along with the message (IPC_INFO_CAP; the endpoint capability used needs the grant
 * right) and to send the label without those bits; only MM_SPAWN does. */
typedef uint64_t (*mm_call_fn)(void *ctx, uint64_t *label, uint64_t w[MM_CLIENT_WORDS]);

/* The transport's label bits that say "pass the capability in slot along": above the 48
 * bits an IPC label has (ipc/ipc.h), so every label a message can carry, the kernel's own
 * bit 47 included, still reaches the transport unchanged when they are clear. A transport
 * that does not know them sends a label the IPC layer cannot carry, never a silent request
 * without the capability. */
#define MM_CALL_CAP_FLAG     (1ull << 63)
#define MM_CALL_CAP_SHIFT    48u
#define MM_CALL_CAP(slot)    (MM_CALL_CAP_FLAG | ((uint64_t)(slot)&0xffu) << MM_CALL_CAP_SHIFT)
#define MM_CALL_LABEL(label) ((label) & ((1ull << MM_CALL_CAP_SHIFT) - 1))
#define MM_CALL_SLOT(label)  (((label) >> MM_CALL_CAP_SHIFT) & 0xffu)

/* What a transport sends for label: the label itself (returned) and, when MM_CALL_CAP is
 * set, the slot of the capability to pass in *cap (else IPC_SLOT_NONE). */
static inline uint64_t mm_call_split(uint64_t label, uint64_t *cap) {
    *cap = label & MM_CALL_CAP_FLAG ? MM_CALL_SLOT(label) : IPC_SLOT_NONE;
    return label & MM_CALL_CAP_FLAG ? MM_CALL_LABEL(label) : label;
}

/* A connection to mmserver. */
typedef struct mm_conn {
    mm_call_fn call;
    void *ctx;
    uint64_t where;   /* after an mm_err_t other than MM_OK: the reply's MM_R_WHERE */
    uint64_t ipc_err; /* after MM_ERR_IPC: the transport's error (0: a malformed reply) */
} mm_conn_t;

/* The results of each request (ipc/mm.h, "reply words"). */
typedef struct mm_map_result {
    uint64_t va, reserved, pages, huge; /* address used; pages reserved, backed, in huge leaves */
    uint32_t perm, done;                /* permissions applied; MM_DONE_* */
} mm_map_result_t;

typedef struct mm_release_result {
    uint64_t pages, freed, unreserved, charge; /* MM_R_REL_* (unreserved: MM_UNMAP only) */
} mm_release_result_t;

typedef struct mm_protect_result {
    uint64_t pages, splits;
    uint32_t perm;
} mm_protect_result_t;

typedef struct mm_query_result {
    uint64_t base, len, frame, shift, peer;
    uint32_t perm, maxperm, kind, memtype;
} mm_query_result_t;

typedef struct mm_accept_result {
    uint64_t va, pages;
} mm_accept_result_t;

typedef struct mm_share_result {
    uint64_t pages;
    uint32_t perm;
} mm_share_result_t;

typedef struct mm_stats_result {
    uint64_t charge, quota, tables, pool, regions, backed;
} mm_stats_result_t;

/* MM_SPAWN's result: the new program's client id and its name (the archive member's,
 * NUL-terminated, at most MM_NAME_MAX bytes). */
#define MM_NAME_MAX 31u /* MMPRIV_NAME_MAX: four reply words less the NUL */
typedef struct mm_spawn_result {
    uint32_t client;
    uint32_t name_len;
    char name[MM_NAME_MAX + 1];
} mm_spawn_result_t;

/* MM_CHILD's result (ipc/mm.h, "the root program"). */
typedef struct mm_child_result {
    uint32_t state;  /* enum mm_child_state */
    uint64_t status; /* EXITED: the exit status; KILLED: the mm_kill_reason_t */
    uint32_t kind;   /* KILLED: the fault kind (ipc_fault_kind_t), IPC_FAULT_NONE if none */
    uint32_t access; /* KILLED by a page fault: IPC_ACCESS_* bits */
    uint64_t addr, pc;
} mm_child_result_t;

/* The requests. Each returns the reply's mm_err_t (or MM_ERR_IPC); *out is filled on
 * MM_OK only and may be NULL. See ipc/mm.h for what each means. */
mm_err_t mm_map(mm_conn_t *c, uint64_t va, uint64_t len, uint32_t perm, uint32_t flags,
                mm_map_result_t *out);
mm_err_t mm_unmap(mm_conn_t *c, uint64_t va, uint64_t len, mm_release_result_t *out);
mm_err_t mm_protect(mm_conn_t *c, uint64_t va, uint64_t len, uint32_t perm,
                    mm_protect_result_t *out);
mm_err_t mm_query(mm_conn_t *c, uint64_t va, mm_query_result_t *out);
mm_err_t mm_share_accept(mm_conn_t *c, uint32_t from, uint64_t va, uint64_t len, uint32_t max,
                         mm_accept_result_t *out);
mm_err_t mm_share(mm_conn_t *c, uint64_t va, uint64_t len, uint32_t to, uint64_t dst_va,
                  uint32_t perm, mm_share_result_t *out);
mm_err_t mm_decommit(mm_conn_t *c, uint64_t va, uint64_t len, mm_release_result_t *out);
mm_err_t mm_map_device(mm_conn_t *c, uint64_t va, uint64_t len, uint64_t pa, uint32_t memtype,
                       uint32_t perm, uint32_t flags, mm_map_result_t *out);
mm_err_t mm_stats(mm_conn_t *c, mm_stats_result_t *out);
/* Root program only: starts program index of the boot archive, passing the endpoint in
 * slot cap along (IPC_SLOT_NONE: none) for the new program's MM_SLOT_BOOT; flags
 * MM_SPAWN_SERVE gives it every right there. */
mm_err_t mm_spawn(mm_conn_t *c, uint32_t index, uint32_t flags, uint64_t cap,
                  mm_spawn_result_t *out);
/* Root program only: the name of program index (as mm_spawn counts), not started (client
 * 0 in *out). */
mm_err_t mm_program(mm_conn_t *c, uint32_t index, mm_spawn_result_t *out);
/* Root program only: how the program with client id is doing; an end is told once. */
mm_err_t mm_child(mm_conn_t *c, uint32_t client, mm_child_result_t *out);

/* ---- over IPC (ipc/user/mm_ipc.c, user programs only) ---- */

/* What mm_ipc_call needs: the endpoint's slot and the caller's IPC buffer (words 4, 5). */
typedef struct mm_ipc {
    uint64_t slot;
    ipc_buffer_t *buffer;
} mm_ipc_t;

/* mm_call_fn over ipc_call (MM_CALL_CAP understood); ctx is an mm_ipc_t. */
uint64_t mm_ipc_call(void *ctx, uint64_t *label, uint64_t w[MM_CLIENT_WORDS]);
