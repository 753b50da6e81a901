/*
 * Shared infrastructure of the process-side host tests (Criterion). Builds on the core's
 * test environment (tests/mmserver/mmt.h: a RAM window posing as physical memory, a fake
 * kernel recording roots, flushes and kills, the invariant sweep) and adds:
 *
 * - mmproc over that server, with a fake thread_start that records what it was asked;
 * - a fake transport per client: the client stubs' words are packed into an IPC message
 *   exactly as over IPC (mm_msg_pack: registers + IPC buffer), unpacked with the client's
 *   badge, handed to the adapter (mmp_serve), and its reply packed and unpacked back;
 * - real files: the tiny ELFs and the boot archive the build made.
 */
#pragma once

#include "mmt.h"

#include <ipc/mm_client.h>
#include <ipc/mmpriv.h>
#include <mmserver/proc.h>

typedef struct mpt mpt_t;

/* The fake transport of one client: which badge its messages carry. */
typedef struct mpt_link {
    mpt_t *t;
    uint64_t badge;
    bool caps; /* may pass a capability along (the root's grant right) */
} mpt_link_t;

struct mpt {
    mmt_env_t e; /* first: the fake kernel's ctx is &e, thread_start finds the mpt from it */
    mmp_t p;
    uint32_t threads;    /* thread_start calls that succeeded */
    mmp_thread_t thread; /* the last one */
    bool refuse_thread;  /* thread_start says no */
    uint32_t releases;   /* thread_release calls */
    bool fail_transport; /* the fake IPC call fails before the adapter sees anything */
    uint32_t ends;       /* mmp_t.ended calls */
    uint32_t last_end;   /* the client of the last one */
    mmp_child_t last_how;
    mmp_answer_t answer; /* what the adapter said to the last message */
    mpt_link_t link[MM_CLIENTS_INITIAL + 1];
    mm_conn_t conn[MM_CLIENTS_INITIAL + 1];
};

/* Sets t up on fmt with the default pool; no client. */
void mpt_init(mpt_t *t, const pt_format_t *fmt);

/* mmt_fini: every client destroyed, every frame back, every root unregistered. */
void mpt_fini(mpt_t *t);

/* A connection whose messages carry badge (a client id, or anything, to test the door). */
mm_conn_t *mpt_conn(mpt_t *t, uint64_t badge);

/* The same as mpt_conn, able to pass a capability (the root's grant right): the fake
 * transport takes the slot passed as the IPC_CAP_* kind of what came with the message
 * (mmp_msg_t.cap). */
mm_conn_t *mpt_conn_cap(mpt_t *t, uint64_t badge);

/* Sends the adapter an end notice (ipc/mmpriv.h) from badge: status, how (MMPRIV_END_*). */
mmp_answer_t mpt_end(mpt_t *t, uint64_t badge, uint64_t status, uint64_t how);

/* Sends the adapter a fault message of kind / access at addr from badge; *out gets the
 * reply when it answers MMP_REPLY. */
mmp_answer_t mpt_fault(mpt_t *t, uint64_t badge, uint32_t kind, uint32_t access, uint64_t addr,
                       mmp_msg_t *out);

/* The whole file at path, malloc'd: the caller frees it (the sanitizer tree checks leaks). */
uint8_t *mpt_file(const char *path, size_t *size);

/* The ELF machine mmproc loads for fmt. */
uint16_t mpt_machine(const pt_format_t *fmt);

/* The tiny ELF built for fmt's architecture. */
const char *mpt_tiny_path(const pt_format_t *fmt);
