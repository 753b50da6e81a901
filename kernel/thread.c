/*
 * Threads. A thread is a saved user register frame bound to an address space, plus its
 * scheduling and IPC state (kern_tcb_t); there are no kernel threads (see arch/arch.h,
 * "execution model"). Which thread runs is the priority scheduler's choice (sched.c):
 * highest ready priority first, round robin within a priority with a time slice of
 * KERN_SLICE_TICKS timer ticks, and direct hand-over on call / reply. A thread blocked in
 * IPC is simply not ready; the exit to user mode writes the result of its last IPC
 * operation into its registers when it runs again (kern_ipc_writeback).
 */
#include "kern.h"

static kern_thread_t *live;    /* every thread record not yet freed */
static unsigned thread_serial; /* the last id given */
static kern_thread_t *current;
static unsigned slice_ticks;
static bool resched;         /* the current thread's turn is over (slice, yield) */
static uint64_t preemptions; /* slices that ended with another thread taking the CPU */

/* See kern.h. */
void kern_copy_name(char *dst, const char *src, size_t n) {
    size_t i = 0;
    for (; i < n && i + 1 < KERN_NAME_MAX && src[i]; i++) {
        dst[i] = src[i];
    }
    dst[i] = 0;
}

/* See kern.h. */
kern_thread_t *kern_thread_create(kern_space_t *s, const char *name, uint64_t pc, uint64_t sp) {
    kern_thread_t *t = kern_kobj_alloc(&s->caps.kmem, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->id = ++thread_serial;
    t->space = s;
    t->state = KERN_THREAD_READY;
    kern_copy_name(t->name, name, KERN_NAME_MAX);
    arch_regs_init_user(&t->regs, pc, sp, t->id);
    kern_tcb_init(&t->tcb, &s->caps, IPC_PRIO_DEFAULT);
    t->tcb.state = KERN_TCB_SUSPENDED;
    t->live_next = live;
    if (live) {
        live->live_prev = t;
    }
    live = t;
    s->threads++;
    return t;
}

/* Frees t's record if nothing can reach it any more: dead, named by no thread capability,
 * and not the thread whose frame the CPU left last (current, still read by the scheduler).
 * Its charge left its space's account when it ended. */
static void thread_free_if_unused(kern_thread_t *t) {
    if (t->state != KERN_THREAD_DEAD || t->tcb.caprefs || t == current) {
        return;
    }
    if (t->live_prev) {
        t->live_prev->live_next = t->live_next;
    } else {
        live = t->live_next;
    }
    if (t->live_next) {
        t->live_next->live_prev = t->live_prev;
    }
    kern_kobj_free(NULL, t, sizeof(*t));
}

/* See ipc.h. */
void kern_tcb_unreferenced(kern_tcb_t *tcb) {
    thread_free_if_unused(kern_thread_of(tcb));
}

/* See kern.h. */
kern_thread_t *kern_current(void) {
    return current;
}

/* See kern.h. */
void kern_yield(void) {
    resched = true;
}

/* See kern.h. A dead thread will never run again; its record stays while a thread
 * capability names it (stale: its generation moved on) and is freed with the last one.
 * Its charge leaves its space's account now, while the space surely exists. Its
 * capabilities go with its process: deleting them may wake threads waiting on endpoints
 * nobody else names. The thread is marked dead only at the end, so releasing its own
 * capability on the way frees nothing still in use here. */
void kern_thread_end(kern_thread_t *t, uint32_t how) {
    if (t->state != KERN_THREAD_READY) {
        return;
    }
    t->end_how = how;
    kern_cap_t ep = t->tcb.fault_ep; /* stopping drops it; the end notice needs it */
    kern_cap_retain(&ep);
    kern_tcb_stop(&t->tcb);
    kern_space_t *s = t->space;
    s->caps.kmem.used -= kern_kobj_charge(sizeof(*t));
    if (--s->threads == 0) {
        kern_cspace_clear(&s->caps);
        if (s->managed) {
            kern_mm_process_ended(t, &ep);
        } else {
            kern_space_destroy(s);
        }
    }
    kern_cap_release(&ep);
    t->space = NULL;
    t->state = KERN_THREAD_DEAD;
    thread_free_if_unused(t);
}

/* See arch.h. */
void kern_timer_tick(void) {
    if (++slice_ticks >= KERN_SLICE_TICKS) {
        resched = true;
    }
}

/* How a blocked thread waits, for the last lines. */
static const char *blocked_how(const kern_tcb_t *t) {
    switch (t->state) {
        case KERN_TCB_BLOCKED_SEND:
            return "sending";
        case KERN_TCB_BLOCKED_RECV:
            return "receiving";
        case KERN_TCB_BLOCKED_REPLY:
            return "waiting for a reply";
        default:
            return "stopped";
    }
}

/* Nothing is ready. Only IPC wakes a thread (no interrupt reaches user mode yet), so
 * nothing ever will be: list who still waits and stop with status 1. The kernel judges no
 * program: a run ends well only through IPC_SYS_HALT, asked by the holder of the halt
 * capability (the root program). Idling (arch_idle) belongs here once something else can
 * wake a thread (notifications, timeouts). */
static _Noreturn void no_thread_ready(void) {
    unsigned waiting = 0;
    for (kern_thread_t *t = live; t; t = t->live_next) {
        if (t->state == KERN_THREAD_READY) {
            kern_printf("[kern] '%s' still %s\n", t->name, blocked_how(&t->tcb));
            waiting++;
        }
    }
    kern_printf("[kern] no thread can run any more (%u waiting, %llu preemptions by the timer): "
                "stopping with status 1\n",
                waiting, (unsigned long long)kern_preemptions());
    arch_halt(1);
}

/* See kern.h. */
uint64_t kern_preemptions(void) {
    return preemptions;
}

/* See kern.h. */
_Noreturn void kern_switch_to(kern_thread_t *t) {
    current = t;
    kern_space_load(t->space);
    arch_user_enter(&t->regs);
}

/* See arch.h. The scheduler keeps the current thread unless its turn is over (slice,
 * yield), it blocked or died, or a higher priority became ready. */
_Noreturn void kern_return_to_user(void) {
    kern_thread_t *cur = current;
    if (!resched && cur && cur->tcb.out == KERN_OUT_NONE && kern_sched_keeps(&cur->tcb)) {
        kern_switch_to(cur); /* the common case, decided as below would: the caller goes on */
    }
    bool turn_over = resched;
    resched = false;
    kern_tcb_t *next = kern_sched_choose(current ? &current->tcb : NULL, turn_over);
    if (!next) {
        no_thread_ready();
    }
    kern_thread_t *t = kern_thread_of(next);
    if (t != current || turn_over) {
        if (current && t != current && slice_ticks >= KERN_SLICE_TICKS) {
            preemptions++;
        }
        slice_ticks = 0;
    }
    kern_ipc_writeback(t);
    kern_thread_t *prev = current;
    current = t;
    if (prev && prev != t) {
        thread_free_if_unused(prev); /* a thread that ended itself, now left */
    }
    kern_switch_to(t);
}
