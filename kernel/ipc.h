/*
 * The arch-neutral core of IPC: threads' scheduling and IPC state (kern_tcb_t), endpoints,
 * capability tables, the priority scheduler. Plain C on <stdint.h> and the ABI headers
 * only, so the host unit tests (tests/kernel) compile these files unchanged; the kernel
 * embeds a kern_tcb_t in each kern_thread_t and a kern_cspace_t in each address space.
 *
 * Division of labour: the core moves messages between kern_tcb_t.msg fields and records
 * what each thread must see when it next returns to user mode (kern_tcb_t.out); the
 * kernel's glue (ipc_sys.c) fills msg from the registers and IPC buffer at the syscall and
 * writes out back when the thread runs again. The fast path (ipc_fast.c) bypasses msg and
 * moves registers directly. See kernel/README.md, "IPC".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipc/abi.h>
#include <ipc/ipc.h>

#define KERN_MAX_ENDPOINTS   64u
#define KERN_HALT_STATUS_MAX 255u /* IPC_SYS_HALT: QEMU's exit status is one byte */

typedef struct kern_tcb kern_tcb_t;
typedef struct kern_endpoint kern_endpoint_t;

/* ---- capabilities (cap.c) ---- */

/* One slot. obj is a kern_endpoint_t (holding a reference) or a kern_tcb_t (checked
 * against gen, so a capability to a thread that died is stale, never a dangling use). */
typedef struct kern_cap {
    uint8_t kind;   /* enum ipc_cap_kind */
    uint8_t rights; /* IPC_RIGHT_* */
    uint32_t gen;   /* thread capabilities: the tcb's gen when the capability was made */
    uint64_t badge; /* endpoint capabilities: what receivers learn; 0 = unbadged */
    void *obj;
} kern_cap_t;

/* A process's capability table. */
typedef struct kern_cspace {
    kern_cap_t slots[IPC_CAP_SLOTS];
} kern_cspace_t;

/* The capability in slot of cs if it is of kind and has every right in rights; else the
 * typed error (empty or out of range, wrong kind, dead thread, missing right). */
ipc_err_t kern_cap_lookup(kern_cspace_t *cs, uint64_t slot, uint8_t kind, uint8_t rights,
                          kern_cap_t **out);
/* Puts cap in empty slot of cs, taking a reference on its object. */
ipc_err_t kern_cap_insert(kern_cspace_t *cs, uint64_t slot, const kern_cap_t *cap);
/* Copies slot src to empty slot dst keeping only rights & src's rights; badge != 0 badges
 * an unbadged endpoint capability (a badged one cannot be re-badged). The memory
 * capability (MMPRIV_CAP_MEMORY) is never copied: IPC_ERR_INVALID_ARGUMENT. */
ipc_err_t kern_cap_copy(kern_cspace_t *cs, uint64_t src, uint64_t dst, uint8_t rights,
                        uint64_t badge);
/* The same from slot src of table from into empty slot dst of table to (mmserver gives a
 * capability to a thread it created, MMPRIV_SYS_THREAD_GIVE). */
ipc_err_t kern_cap_copy_to(kern_cspace_t *from, uint64_t src, kern_cspace_t *to, uint64_t dst,
                           uint8_t rights, uint64_t badge);
/* Empties slot of cs; the last capability to an endpoint destroys it. */
ipc_err_t kern_cap_delete(kern_cspace_t *cs, uint64_t slot);
/* Empties every slot (the process is gone). */
void kern_cspace_clear(kern_cspace_t *cs);
/* The lowest empty slot of cs at or above IPC_SLOT_FREE, or IPC_CAP_SLOTS when full. */
uint64_t kern_cspace_free_slot(const kern_cspace_t *cs);
/* A capability to the current life of thread t (not yet in any table). */
kern_cap_t kern_cap_thread(kern_tcb_t *t);
/* The halt capability (IPC_CAP_HALT): names no object, carries no right; holding it is the
 * authority to stop the machine. The kernel makes one, for mmserver, at boot. */
kern_cap_t kern_cap_halt(void);
/* The door of IPC_SYS_HALT: IPC_OK if slot of cs holds a halt capability and status is one
 * the machine can stop with (0 .. KERN_HALT_STATUS_MAX); else the typed error (the lookup's,
 * or IPC_ERR_INVALID_ARGUMENT for the status). */
ipc_err_t kern_halt_check(kern_cspace_t *cs, uint64_t slot, uint64_t status);
/* Drops the reference cap holds (it leaves whatever table or tcb held it). */
void kern_cap_release(kern_cap_t *cap);
/* Takes one more reference on the object of cap (for a copy of it). */
void kern_cap_retain(const kern_cap_t *cap);

/* ---- endpoints and message transfer (ipc.c) ---- */

/* Thread states. Only READY threads run; each BLOCKED_* names what ends the wait. */
typedef enum kern_tcb_state {
    KERN_TCB_INACTIVE = 0,  /* never started, or stopped (killed, exited) */
    KERN_TCB_READY,         /* running or in the ready queue */
    KERN_TCB_BLOCKED_SEND,  /* queued on ep to send (call or fault: then waits for a reply) */
    KERN_TCB_BLOCKED_RECV,  /* queued on ep to receive */
    KERN_TCB_BLOCKED_REPLY, /* its call was received; waits for the receiver's reply */
    KERN_TCB_SUSPENDED      /* created, not started yet (MMPRIV_SYS_THREAD_START): its
                             * thread capabilities are live, it is in no queue */
} kern_tcb_state_t;

/* What the thread's registers get when it next returns to user mode. */
typedef enum kern_out_kind {
    KERN_OUT_NONE = 0, /* nothing: still waiting, or resuming a fault untouched */
    KERN_OUT_ERR,      /* the syscall ended with err only */
    KERN_OUT_MSG       /* err and the message in msg (badge, info, words) */
} kern_out_kind_t;

/* A message as the kernel holds it: the info word, the badge, the words. */
typedef struct kern_msg {
    uint64_t info;
    uint64_t badge;
    uint64_t words[IPC_MSG_MAX_WORDS];
} kern_msg_t;

struct kern_endpoint {
    kern_tcb_t *head, *tail;   /* waiting threads, all senders or all receivers */
    kern_tcb_state_t queue_of; /* KERN_TCB_BLOCKED_SEND or _RECV when head != NULL */
    uint32_t refs;             /* capabilities naming it (tables and fault endpoints) */
    uint16_t id;               /* 1..KERN_MAX_ENDPOINTS, for reports */
};

/* The scheduling and IPC state of a thread; kern_thread_t embeds one. */
struct kern_tcb {
    kern_tcb_state_t state;
    uint8_t prio;            /* 0 .. IPC_PRIO_COUNT - 1 */
    bool queued;             /* in the ready queue (the current thread is not) */
    kern_tcb_t *next, *prev; /* ready-queue or endpoint-queue links */
    kern_endpoint_t *ep;     /* BLOCKED_SEND / BLOCKED_RECV: the endpoint */
    bool call;               /* the pending send wants a reply (call or fault) */
    bool fault;              /* the pending send is a fault message: resume on reply */
    bool grant;              /* the pending send may pass a capability */
    uint64_t badge;          /* badge of the capability the pending send used */
    kern_tcb_t *reply_to;    /* the caller this thread may reply to (one shot) */
    bool reply_grant;        /* that caller's capability had the grant right */
    kern_tcb_t *replier;     /* BLOCKED_REPLY: the thread holding our reply right */
    kern_cspace_t *cspace;   /* the process's capability table */
    kern_cap_t fault_ep;     /* where faults go (IPC_CAP_NONE: nowhere) */
    uint32_t gen;            /* bumped at each stop: older thread capabilities are stale */
    kern_out_kind_t out;     /* pending register write-back */
    ipc_err_t err;           /* its error */
    kern_msg_t msg;          /* message to send, or the last one received */
};

/* Invariant failure hook: the kernel panics, host tests record it. Never returns in the
 * kernel; a host test may longjmp out. */
void kern_ipc_invariant_failed(const char *what);

/* Makes t a thread with an empty IPC state in capability table cs at priority prio. */
void kern_tcb_init(kern_tcb_t *t, kern_cspace_t *cs, uint8_t prio);

/* A new endpoint whose capability (all rights, badge 0) goes into empty slot of cs. */
ipc_err_t kern_ep_create(kern_cspace_t *cs, uint64_t slot);
/* Drops one reference to ep; at zero the endpoint is destroyed and every thread waiting on
 * it wakes with IPC_ERR_ABORTED. */
void kern_ep_unref(kern_endpoint_t *ep);
/* Live endpoints (tests and reports). */
unsigned kern_ep_live(void);

/*
 * The operations. t is the calling thread; for send, call and reply t->msg holds the
 * message (info and words; length already checked against IPC_MSG_MAX_WORDS by the
 * glue). Each returns IPC_OK when the operation was accepted (it may have blocked t: its
 * outcome is then recorded in t->out / t->err / t->msg when it completes) or the typed
 * error, in which case nothing happened and t->out is KERN_OUT_ERR with that error.
 */
ipc_err_t kern_ipc_send(kern_tcb_t *t, uint64_t slot);
ipc_err_t kern_ipc_call(kern_tcb_t *t, uint64_t slot);
ipc_err_t kern_ipc_recv(kern_tcb_t *t, uint64_t slot);
ipc_err_t kern_ipc_reply(kern_tcb_t *t);
ipc_err_t kern_ipc_reply_recv(kern_tcb_t *t, uint64_t slot);

/*
 * The fast path's state changes (ipc_fast.c moves the registers itself). Both take the
 * calling thread t and the endpoint capability c it named, already checked for the right
 * the operation needs, with a message that fits in registers and carries no capability.
 * kern_ipc_fast_call: when a receiver waits on c's endpoint, holds no reply right and no
 * thread above its priority is ready, it leaves the queue, READY but not queued (it runs
 * next), with a reply right to t, which waits for the reply; returns it. Else NULL and
 * nothing changed. kern_ipc_fast_reply_recv: when t holds a reply right to a caller, no
 * sender waits on c's endpoint and no thread above the caller's priority is ready, the
 * right is consumed, the caller is READY but not queued (it runs next) and t waits on the
 * endpoint; returns the caller. Else NULL and nothing changed. The caller of either writes
 * the partner's registers (its out stays KERN_OUT_NONE) and switches to it -- except for a
 * caller that faulted (a fault is a call the kernel made for it, ipc.c): that one resumes
 * with its registers untouched, as on the slow path, so its fault flag is cleared here and
 * the fast path must look at it first (kern_ipc_fast_resumes).
 */
kern_tcb_t *kern_ipc_fast_call(kern_tcb_t *t, const kern_cap_t *c);
kern_tcb_t *kern_ipc_fast_reply_recv(kern_tcb_t *t, const kern_cap_t *c);

/* Whether the caller t holds a reply right to faulted: a reply must then resume it with its
 * registers untouched rather than give it the message. */
bool kern_ipc_fast_resumes(const kern_tcb_t *t);

/* t faulted: sends t->msg (the fault message, already filled by the glue with
 * ipc_fault_fill) as a call to t's fault endpoint. false when t has none (the caller then
 * stops t). */
bool kern_ipc_fault(kern_tcb_t *t);
/* Sends m, without waiting and without a reply right, to a thread waiting to receive on
 * the endpoint of capability ep, badged with ep's badge (the end notice of ipc/mmpriv.h,
 * sent for a thread that no longer exists). false, and nothing changed, when ep is not an
 * endpoint capability or no receiver waits: the kernel has no thread to queue it with. */
bool kern_ipc_notify(const kern_cap_t *ep, const kern_msg_t *m);
/* Fills m with the fault message for the given fields (ipc/ipc.h layout). */
void kern_ipc_fault_msg(kern_msg_t *m, uint32_t kind, uint32_t access, uint64_t vector,
                        uint64_t addr, uint64_t pc, uint64_t code);

/* Stops t wherever it is: out of the ready queue or an endpoint queue; a caller waiting
 * for t's reply wakes with IPC_ERR_ABORTED (a faulted caller simply resumes and faults
 * again); whoever holds t's reply right loses it. t becomes INACTIVE and its thread
 * capabilities stale. */
void kern_tcb_stop(kern_tcb_t *t);

/* Sets t's fault endpoint to a copy of cap (kind NONE: no handler). */
void kern_tcb_set_fault_ep(kern_tcb_t *t, const kern_cap_t *cap);

/* ---- scheduler (sched.c) ---- */

/* Makes t READY and queues it at the tail of its priority (unless it is current). */
void kern_sched_ready(kern_tcb_t *t);
/* Takes t out of the ready queue if it is there. */
void kern_sched_remove(kern_tcb_t *t);
/* Asks the next kern_sched_choose to run t directly (a call's receiver or a reply's
 * caller), if no thread of higher priority is ready. t must be READY. */
void kern_sched_hint(kern_tcb_t *t);
/* The thread to run after cur (may be NULL or not READY): cur itself unless rotate (its
 * slice ended or it yielded) or a higher priority is ready; the hinted thread; else the
 * head of the highest ready priority. A READY cur that loses the CPU goes to the tail of
 * its priority. NULL when nothing is ready. The result leaves the queue. */
kern_tcb_t *kern_sched_choose(kern_tcb_t *cur, bool rotate);
/* Whether kern_sched_choose(cur, false) would keep cur running as it is: cur is ready and
 * not queued, no thread was hinted, and no higher priority is ready. */
bool kern_sched_keeps(const kern_tcb_t *cur);
/* Whether a thread of priority above prio is queued. */
bool kern_sched_above(uint8_t prio);
/* Changes t's priority, requeueing it if it is queued. */
void kern_sched_set_prio(kern_tcb_t *t, uint8_t prio);
