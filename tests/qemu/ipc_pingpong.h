/*
 * Ping-pong between two processes (ipc_ping calls, ipc_pong serves): ROUNDS register-only
 * round trips (the fast path's case) whose words are checked both ways, then one long
 * message through both IPC buffers, then a second reply to the same call, which must fail.
 */
#pragma once

#include "ipc_test.h"

#define PP_ROUNDS 1000u
#define PP_LONG   20u /* words of the long message: 4 in registers, 16 in the IPC buffer */
#define PP_LABEL  7u

/* The IPC buffer of either side: one page of its own. */
static ipc_buffer_t pp_buffer __attribute__((aligned(4096)));

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
