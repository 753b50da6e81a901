/*
 * The memory protocol's words (ipc/mm.h) as an IPC message (ipc/ipc.h): the one packing
 * both ends use, the client stubs (ipc/mm_client.h) and mmserver, so that mmserver needs
 * neither the stubs nor their transport. Header-only and freestanding: it moves words.
 */
#pragma once

#include <stdint.h>

#include <ipc/ipc.h>
#include <ipc/mm.h>

/* Words either way: a request and its reply fit one buffer. */
#define MM_MSG_WORDS 6u
_Static_assert(MM_MSG_WORDS == MM_REQ_WORDS && MM_MSG_WORDS == MM_REPLY_WORDS,
               "one buffer holds a request and its reply");

/* The IPC message carrying label and the words w: the shortest length that carries every
 * non-zero word (the receiver reads the rest as zero); words past IPC_MSG_REGS go to buf,
 * which a message that short never touches. */
static inline void mm_msg_pack(uint64_t label, const uint64_t w[MM_MSG_WORDS], uint64_t *info,
                               uint64_t regs[IPC_MSG_REGS], ipc_buffer_t *buf) {
    uint64_t n = MM_MSG_WORDS;
    while (n && !w[n - 1]) {
        n--;
    }
    for (unsigned i = 0; i < MM_MSG_WORDS; i++) {
        if (i < IPC_MSG_REGS) {
            regs[i] = w[i];
        } else if (i < n) {
            buf->words[i] = w[i];
        }
    }
    *info = ipc_info(label, n);
}

/* The label and words of a received message (words past its length zero, past
 * MM_MSG_WORDS ignored; buf read only for words the message has). Returns its length. */
static inline uint64_t mm_msg_unpack(uint64_t info, const uint64_t regs[IPC_MSG_REGS],
                                     const ipc_buffer_t *buf, uint64_t *label,
                                     uint64_t w[MM_MSG_WORDS]) {
    uint64_t n = ipc_info_length(info);
    for (unsigned i = 0; i < MM_MSG_WORDS; i++) {
        w[i] = i >= n ? 0 : i < IPC_MSG_REGS ? regs[i] : buf->words[i];
    }
    *label = ipc_info_label(info);
    return n;
}
