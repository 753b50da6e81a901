/*
 * The scheduler: IPC_PRIO_COUNT FIFO queues of ready threads and a bitmap of the
 * non-empty ones, so choosing is a count-leading-zeros and a list pop (seL4's ready
 * queues). The highest ready priority runs; within a priority threads take turns (round
 * robin): a thread whose slice ends or that yields goes to the tail of its queue. The
 * running thread is not queued. A call or a reply hands the CPU to its partner directly
 * (kern_sched_hint) unless a higher priority is ready: no pass over the queues.
 */
#include "ipc.h"

static kern_tcb_t *heads[IPC_PRIO_COUNT], *tails[IPC_PRIO_COUNT];
static uint32_t bitmap; /* bit p set: heads[p] != NULL */
static kern_tcb_t *hint;

_Static_assert(IPC_PRIO_COUNT <= 32, "one bitmap word");

/* Appends t to the tail of its priority's queue. */
static void enqueue(kern_tcb_t *t) {
    t->next = NULL;
    t->prev = tails[t->prio];
    if (t->prev) {
        t->prev->next = t;
    } else {
        heads[t->prio] = t;
    }
    tails[t->prio] = t;
    bitmap |= 1u << t->prio;
    t->queued = true;
}

/* See ipc.h. */
void kern_sched_remove(kern_tcb_t *t) {
    if (!t->queued) {
        return;
    }
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        heads[t->prio] = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    } else {
        tails[t->prio] = t->prev;
    }
    if (!heads[t->prio]) {
        bitmap &= ~(1u << t->prio);
    }
    t->next = t->prev = NULL;
    t->queued = false;
    if (hint == t) {
        hint = NULL;
    }
}

/* See ipc.h. */
void kern_sched_ready(kern_tcb_t *t) {
    t->state = KERN_TCB_READY;
    if (!t->queued) {
        enqueue(t);
    }
}

/* See ipc.h. */
void kern_sched_hint(kern_tcb_t *t) {
    if (t->state != KERN_TCB_READY) {
        kern_ipc_invariant_failed("sched: hint to a thread that is not ready");
    }
    hint = t;
}

/* The highest priority with a queued thread; only when bitmap != 0. */
static uint8_t top_prio(void) {
    return (uint8_t)(31 - __builtin_clz(bitmap));
}

/* See ipc.h. */
bool kern_sched_above(uint8_t prio) {
    return (bitmap >> prio) > 1u; /* a bit above prio's: no bit scan (riscv has none) */
}

/* See ipc.h. */
bool kern_sched_keeps(const kern_tcb_t *cur) {
    return cur->state == KERN_TCB_READY && !cur->queued && !hint && !kern_sched_above(cur->prio);
}

/* See ipc.h. */
kern_tcb_t *kern_sched_choose(kern_tcb_t *cur, bool rotate) {
    if (cur && !rotate && kern_sched_keeps(cur)) {
        return cur;
    }
    kern_tcb_t *h = hint;
    hint = NULL;
    bool cur_ready = cur && cur->state == KERN_TCB_READY && !cur->queued;
    if (cur_ready) {
        enqueue(cur);
    }
    if (h && h->queued && !kern_sched_above(h->prio)) {
        kern_sched_remove(h);
        return h;
    }
    if (!bitmap) {
        return NULL;
    }
    kern_tcb_t *next = heads[top_prio()];
    kern_sched_remove(next);
    return next;
}

/* See ipc.h. */
void kern_sched_set_prio(kern_tcb_t *t, uint8_t prio) {
    bool queued = t->queued;
    kern_sched_remove(t);
    t->prio = prio;
    if (queued) {
        enqueue(t);
    }
}
