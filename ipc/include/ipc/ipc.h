/*
 * The IPC part of the kernel ABI (issue 5): syscall numbers from IPC_SYS_IPC_FIRST, the
 * message layout, capability kinds and rights, the fault message, and the errors IPC adds.
 * Identical on every architecture; only the registers that carry the words differ
 * (ipc/README.md, "IPC registers").
 *
 * Model (seL4's): a thread sends a message through an endpoint capability held in a slot
 * of its process's capability table. A message is an info word (label, length, an optional
 * capability) plus up to IPC_MSG_MAX_WORDS words; the first IPC_MSG_REGS travel in
 * registers, the rest through the thread's IPC buffer (IPC_SYS_SET_IPC_BUFFER). The
 * receiver also learns the badge of the capability the sender used. A call gives the
 * receiver a one-shot right to reply, consumed by reply / reply_recv.
 */
#pragma once

#include <stdint.h>

#include <ipc/abi.h>

/* ---- syscall numbers (continuing enum ipc_sys; never reused) ---- */
enum ipc_sys_ipc {
    /* (slot, info, w0..w3): blocks until a receiver takes the message. */
    IPC_SYS_SEND = IPC_SYS_IPC_FIRST,
    /* (slot) -> badge, info, w0..w3: blocks until a message arrives. */
    IPC_SYS_RECV = 17,
    /* (slot, info, w0..w3) -> badge (0), info, w0..w3 of the reply. */
    IPC_SYS_CALL = 18,
    /* (-, info, w0..w3): answers the caller this thread last received from (one shot). */
    IPC_SYS_REPLY = 19,
    /* (slot, info, w0..w3) -> as RECV: reply if a reply right is held, then receive. */
    IPC_SYS_REPLY_RECV = 20,
    /* (slot): a new endpoint; the capability (all rights, badge 0) goes in empty slot. */
    IPC_SYS_ENDPOINT_CREATE = 21,
    /* (src, dst, rights, badge): copies src to empty slot dst keeping only `rights` of
     * src's; badge != 0 badges an unbadged endpoint capability ("mint"). */
    IPC_SYS_CAP_COPY = 22,
    /* (slot): empties slot. The last capability to an endpoint destroys it. */
    IPC_SYS_CAP_DELETE = 23,
    /* (slot) -> value: kind | rights << 8 (IPC_CAP_*, IPC_RIGHT_*) of slot. */
    IPC_SYS_CAP_IDENTIFY = 24,
    /* (thread slot): stops that thread wherever it is blocked; its partners get errors. */
    IPC_SYS_THREAD_KILL = 25,
    /* (thread slot, endpoint slot or IPC_SLOT_NONE): where the thread's faults are sent.
     * Needs IPC_RIGHT_THREAD_BIND on the thread capability (IPC_ERR_NO_RIGHTS). */
    IPC_SYS_THREAD_SET_FAULT = 26,
    /* (thread slot, priority): at most the caller's own priority. */
    IPC_SYS_THREAD_SET_PRIORITY = 27,
    /* (va): the caller's IPC buffer: one page-aligned, user-writable ipc_buffer_t; 0: none. */
    IPC_SYS_SET_IPC_BUFFER = 28,
    /* (): does nothing: the cost of entering and leaving the kernel (benchmarks). */
    IPC_SYS_NULL = 29,
    /* (halt slot, status): stops the machine with status (0..255: QEMU's exit status).
     * Needs a capability of kind IPC_CAP_HALT in slot; returns only with an error. The
     * kernel gives the only one to mmserver at boot (mmboot_t.slot_halt), which hands it
     * to the root program of the boot archive (the test runner) and to nobody else. */
    IPC_SYS_HALT = 30,
    IPC_SYS_IPC_END_ /* first number not used yet */
};

/* The errors IPC adds (IPC_ERR_INVALID_CAP .. IPC_ERR_ABORTED) are in ipc_err_t, abi.h. */

/* ---- messages ---- */

#define IPC_MSG_REGS      6u  /* message words passed in registers (the fast path) */
#define IPC_MSG_MAX_WORDS 32u /* words in one message, IPC buffer included */

/*
 * The info word, sender to kernel and kernel to receiver:
 *   bits  0..6   length: message words, 0..IPC_MSG_MAX_WORDS
 *   bit   7      a capability goes with the message (needs the grant right)
 *   bits  8..15  sender: the slot of that capability; receiver: the slot it was put in
 *   bits 16..63  label, the sender's to choose; label bit 47 (info bit 63) is reserved for
 *                the kernel's messages (IPC_LABEL_FAULT): a user message with it is refused
 */
#define IPC_INFO_LENGTH_MASK 0x7full
#define IPC_INFO_CAP         (1ull << 7)
#define IPC_INFO_SLOT_SHIFT  8u
#define IPC_INFO_SLOT_MASK   0xffull
#define IPC_INFO_LABEL_SHIFT 16u

/* The info word of a message with label, length words and no capability. */
static inline uint64_t ipc_info(uint64_t label, uint64_t length) {
    return (label << IPC_INFO_LABEL_SHIFT) | (length & IPC_INFO_LENGTH_MASK);
}

/* The same carrying the capability in slot. */
static inline uint64_t ipc_info_cap(uint64_t label, uint64_t length, uint64_t slot) {
    return ipc_info(label, length) | IPC_INFO_CAP |
           ((slot & IPC_INFO_SLOT_MASK) << IPC_INFO_SLOT_SHIFT);
}

/* Fields of an info word. */
static inline uint64_t ipc_info_label(uint64_t info) {
    return info >> IPC_INFO_LABEL_SHIFT;
}
static inline uint64_t ipc_info_length(uint64_t info) {
    return info & IPC_INFO_LENGTH_MASK;
}
static inline uint64_t ipc_info_slot(uint64_t info) {
    return (info >> IPC_INFO_SLOT_SHIFT) & IPC_INFO_SLOT_MASK;
}

/* The per-thread IPC buffer: word i of a message (i >= IPC_MSG_REGS) is words[i]. The
 * first IPC_MSG_REGS entries are never read or written by the kernel. */
typedef struct ipc_buffer {
    uint64_t words[IPC_MSG_MAX_WORDS];
} ipc_buffer_t;

_Static_assert(sizeof(ipc_buffer_t) <= 4096, "an IPC buffer fits in one page");

/* ---- capabilities ---- */

/* Slot numbers: 0 .. IPC_CAP_SLOTS_MAX - 1. A table grows as slots are filled (the kernel
 * charges its leaves to the process's kernel memory), so a slot costs nothing until used. */
#define IPC_CAP_SLOTS_MAX 8064u
#define IPC_SLOT_NONE     (~0ull) /* "no slot" where an argument allows it */
#define IPC_SLOT_SELF     1u      /* at start: the process's own first thread */
#define IPC_SLOT_BOOT     2u      /* at start: the boot endpoint (ipc/README.md) */
#define IPC_SLOT_FREE     3u      /* first slot a new process finds empty */

/* Capability kinds (IPC_SYS_CAP_IDENTIFY). */
enum ipc_cap_kind {
    IPC_CAP_NONE = 0,
    IPC_CAP_ENDPOINT = 1,
    IPC_CAP_THREAD = 2, /* kill, set fault endpoint, set priority */
    /* 3: MMPRIV_CAP_MEMORY (ipc/mmpriv.h) */
    IPC_CAP_HALT = 4, /* IPC_SYS_HALT: stop the machine with a status */
};

/* Rights of a capability; a copy can only keep or drop them. The first three are an
 * endpoint capability's, the last a thread capability's. */
enum {
    IPC_RIGHT_SEND = 1u << 0,  /* send and call */
    IPC_RIGHT_RECV = 1u << 1,  /* recv and reply_recv */
    IPC_RIGHT_GRANT = 1u << 2, /* pass a capability along with a message (and its reply) */
    /* Change the thread's fault endpoint (IPC_SYS_THREAD_SET_FAULT). mmserver keeps it and
     * gives the processes it manages a capability to themselves without it: their faults
     * and end notices reach mmserver whatever they do. */
    IPC_RIGHT_THREAD_BIND = 1u << 3,
    IPC_RIGHTS_ALL = 15u,
};

/* ---- faults and scheduling ---- */

/*
 * A fault message, sent by the kernel as a call on the thread's fault endpoint:
 * label IPC_LABEL_FAULT, length 4, badge of that endpoint capability, and
 *   w0  kind (ipc_fault_kind_t) | access (IPC_ACCESS_*) << 8 | arch vector << 16
 *   w1  address (page faults), w2  pc, w3  arch error code
 * Any reply resumes the thread at the faulting instruction; the holder of its thread
 * capability can kill it instead. A thread without a fault endpoint is stopped and reported.
 */
#define IPC_LABEL_FAULT  (1ull << 47)
#define IPC_FAULT_LENGTH 4u
#define IPC_FAULT_W_INFO 0u
#define IPC_FAULT_W_ADDR 1u
#define IPC_FAULT_W_PC   2u
#define IPC_FAULT_W_CODE 3u

/* Fields of fault word w0. */
static inline uint32_t ipc_fault_kind(uint64_t w0) {
    return (uint32_t)(w0 & 0xffu);
}
static inline uint32_t ipc_fault_access(uint64_t w0) {
    return (uint32_t)((w0 >> 8) & 0xffu);
}
static inline uint64_t ipc_fault_vector(uint64_t w0) {
    return w0 >> 16;
}

#define IPC_PRIO_COUNT   32u /* priorities 0 (lowest) .. 31 */
#define IPC_PRIO_DEFAULT 16u /* what programs of the boot archive start with */
