/*
 * What the hostile program mm_chaos and its witness mm_witness (the `mm_chaos` image) agree
 * on, and the counting transport both use.
 *
 * Neither knows the other's client id. Each learns the live ids with a probe that changes
 * nothing (chaos_probe); the witness accepts one read-only page from every other live id k at
 * MM_SHARE_WINDOW(k) (mm_share.h), and every share mm_chaos aims at that part of the address
 * space carries its pattern page, so whatever arrives in a window must be that pattern.
 */
#pragma once

#include <stdbool.h>

#include <ipc/mm_client.h>

#include "mm_share.h"

/* Word i of every page mm_chaos may share: what the witness must find in a window. */
#define CHAOS_SHARE_WORD(i) (0xc4a05c4a05000000ull ^ (uint64_t)(i))
/* The most the witness lets a share give: read only. */
#define CHAOS_WINDOW_MAX MM_PERM_R
/* A misaligned address, so that a probe is refused after the id checks and creates nothing. */
#define CHAOS_PROBE_VA (MM_SHARE_WINDOW(0) + 1u)

/* A connection that counts its requests by label (index MM_LABEL_COUNT_: any other label). */
typedef struct chaos_conn {
    mm_conn_t conn; /* first: a chaos_conn_t is passed where an mm_conn_t is */
    mm_ipc_t ipc;
    uint64_t calls[MM_LABEL_COUNT_ + 1];
} chaos_conn_t;

/* mm_call_fn: counts the request, then mm_ipc_call. ctx is the chaos_conn_t. */
static inline uint64_t chaos_count_call(void *ctx, uint64_t *label, uint64_t w[MM_CLIENT_WORDS]) {
    chaos_conn_t *c = ctx;
    c->calls[*label < MM_LABEL_COUNT_ ? *label : MM_LABEL_COUNT_]++;
    return mm_ipc_call(&c->ipc, label, w);
}

/* Makes c a counting connection to mmserver through the slot and IPC buffer every program
 * of mmserver's gets. */
static inline void chaos_conn_init(chaos_conn_t *c) {
    c->conn.call = chaos_count_call;
    c->conn.ctx = c;
    c->ipc.slot = MM_SLOT_SERVER;
    c->ipc.buffer = (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA;
    for (unsigned i = 0; i <= MM_LABEL_COUNT_; i++) {
        c->calls[i] = 0;
    }
}

/* What client id is, asked without changing anything (a share window at a misaligned
 * address: mmserver checks the id before the range): INVAL for the caller itself,
 * NO_CLIENT for nobody, ALIGN for a live other client. */
static inline mm_err_t chaos_probe(chaos_conn_t *c, uint32_t id) {
    return mm_share_accept(&c->conn, id, CHAOS_PROBE_VA, MM_PAGE_SIZE, CHAOS_WINDOW_MAX, NULL);
}

/* The total of c's requests. */
static inline uint64_t chaos_conn_total(const chaos_conn_t *c) {
    uint64_t n = 0;
    for (unsigned i = 0; i <= MM_LABEL_COUNT_; i++) {
        n += c->calls[i];
    }
    return n;
}

/* Prints c's requests by label on one line, after prefix. */
static inline void chaos_conn_print(const chaos_conn_t *c, const char *prefix) {
    static const char *const names[MM_LABEL_COUNT_ + 1] = {
        "label0", "map",      "unmap",      "protect", "query", "accept",
        "share",  "decommit", "map_device", "stats",   "other"};
    ipc_printf("%s", prefix);
    for (unsigned i = 0; i <= MM_LABEL_COUNT_; i++) {
        ipc_printf(" %s=%llu", names[i], (unsigned long long)c->calls[i]);
    }
    ipc_printf("\n");
}
