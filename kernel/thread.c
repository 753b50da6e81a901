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

static kern_thread_t threads[KERN_MAX_THREADS];
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
    for (unsigned i = 0; i < KERN_MAX_THREADS; i++) {
        kern_thread_t *t = &threads[i];
        if (t->state == KERN_THREAD_READY) {
            continue; /* a dead thread's record is reused: mmserver starts programs for ever */
        }
        uint32_t gen = t->tcb.gen; /* old thread capabilities must stay stale */
        *t = (kern_thread_t){0};
        t->tcb.gen = gen;
        t->id = i + 1;
        t->space = s;
        t->state = KERN_THREAD_READY;
        kern_copy_name(t->name, name, KERN_NAME_MAX);
        arch_regs_init_user(&t->regs, pc, sp, t->id);
        kern_tcb_init(&t->tcb, &s->caps, IPC_PRIO_DEFAULT);
        t->tcb.state = KERN_TCB_SUSPENDED;
        s->threads++;
        return t;
    }
    return NULL;
}

/* See kern.h. */
kern_thread_t *kern_current(void) {
    return current;
}

/* See kern.h. */
void kern_yield(void) {
    resched = true;
}

/* See kern.h. A dead thread will never run again; its record waits for the next thread
 * created (its generation goes on, so its old capabilities stay stale). Its capabilities go with
 * its process: deleting them may wake threads waiting on endpoints nobody else names. */
void kern_thread_end(kern_thread_t *t, uint32_t how) {
    if (t->state != KERN_THREAD_READY) {
        return;
    }
    t->end_how = how;
    kern_cap_t ep = t->tcb.fault_ep; /* stopping drops it; the end notice needs it */
    kern_cap_retain(&ep);
    kern_tcb_stop(&t->tcb);
    t->state = KERN_THREAD_DEAD;
    kern_space_t *s = t->space;
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
    for (unsigned i = 0; i < KERN_MAX_THREADS; i++) {
        if (threads[i].state == KERN_THREAD_READY) {
            kern_printf("[kern] '%s' still %s\n", threads[i].name, blocked_how(&threads[i].tcb));
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
    kern_switch_to(t);
}
