/*
 * Ping-pong between two processes (ipc_ping calls, ipc_pong serves): ROUNDS register-only
 * round trips (the fast path's case) whose words are checked both ways, then one long
 * message through both IPC buffers, then a second reply to the same call, which must fail.
 * Then the IPC buffers pulled away under long messages (each side unmaps its own buffer's
 * page through mmserver): a long call to a server whose buffer is gone, and a long reply to
 * a caller whose buffer is gone, each arrives with its register words only (length
 * IPC_MSG_REGS, ipc/README.md), nobody is killed and the kernel goes on; with the pages
 * mapped again, a long round trip is whole once more.
 */
#pragma once

#include <ipc/mm_client.h>
#include <stdbool.h>

#include "ipc_test.h"

#define PP_ROUNDS 1000u
#define PP_LONG   20u /* words of the long message: 4 in registers, 16 in the IPC buffer */
#define PP_LABEL  7u

/* The IPC buffer of either side: a whole page of its own, which nothing else shares, since
 * the buffer-gone rounds unmap it. */
#define PP_PAGE 4096u
static union {
    ipc_buffer_t buffer;
    uint8_t page[PP_PAGE];
} pp_page __attribute__((aligned(PP_PAGE)));
#define pp_buffer (pp_page.buffer)

/* Each side's memory connection (registers only: every memory request and reply fits). */
static mm_ipc_t pp_mm_ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t pp_mm = {mm_ipc_call, &pp_mm_ipc, 0, 0};

/* Unmaps (gone) or maps again, fresh and writable, the page of this side's IPC buffer. */
static inline mm_err_t pp_buffer_page(bool gone) {
    uint64_t va = (uint64_t)(uintptr_t)&pp_page;
    return gone ? mm_unmap(&pp_mm, va, PP_PAGE, NULL)
                : mm_map(&pp_mm, va, PP_PAGE, MM_PERM_R | MM_PERM_W, 0, NULL);
}

/* Word i of the long message, and of its answer. */
static inline uint64_t pp_word(unsigned i) {
    return 0x1000u + 3u * i;
}

/* Reads word i of a received message (registers, then the IPC buffer). */
static inline uint64_t pp_get(const ipc_msg_t *m, unsigned i) {
    return i < IPC_MSG_REGS ? m->w[i] : pp_buffer.words[i];
}

/* Sets word i of a message to send. */
static inline void pp_set(ipc_msg_t *m, unsigned i, uint64_t v) {
    if (i < IPC_MSG_REGS) {
        m->w[i] = v;
    } else {
        pp_buffer.words[i] = v;
    }
}
