/*
 * Threads and the scheduler. A thread is a saved user register frame bound to an address
 * space; there are no kernel threads (see arch/arch.h, "execution model"). Scheduling is
 * round robin over ready threads, with a time slice of KERN_SLICE_TICKS timer ticks.
 * Issue 5 adds blocked states (IPC) and the idle loop (arch_idle) they need; today a thread
 * is ready until it ends.
 */
#include "kern.h"

static kern_thread_t threads[KERN_MAX_THREADS];
static kern_thread_t *current;
static unsigned slice_ticks;
static bool resched;
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
        if (t->state != KERN_THREAD_FREE) {
            continue;
        }
        *t = (kern_thread_t){0};
        t->id = i + 1;
        t->space = s;
        t->state = KERN_THREAD_READY;
        kern_copy_name(t->name, name, KERN_NAME_MAX);
        arch_regs_init_user(&t->regs, pc, sp, t->id);
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

/* See kern.h. A dead thread keeps its slot (and its name for the report) but will never
 * run again. */
void kern_thread_end(kern_thread_t *t) {
    t->state = KERN_THREAD_DEAD;
    if (--t->space->threads == 0) {
        kern_space_destroy(t->space);
    }
    t->space = NULL;
    if (t == current) {
        resched = true;
    }
}

/* See arch.h. */
void kern_timer_tick(void) {
    if (++slice_ticks >= KERN_SLICE_TICKS) {
        resched = true;
    }
}

/* The next ready thread after the current one in round-robin order (possibly the current
 * one again), or NULL when none is ready. */
static kern_thread_t *pick_next(void) {
    unsigned start = current ? (unsigned)(current - threads) + 1 : 0;
    for (unsigned k = 0; k < KERN_MAX_THREADS; k++) {
        kern_thread_t *t = &threads[(start + k) % KERN_MAX_THREADS];
        if (t->state == KERN_THREAD_READY) {
            return t;
        }
    }
    return NULL;
}

/* See kern.h. */
uint64_t kern_preemptions(void) {
    return preemptions;
}

/* See arch.h. */
_Noreturn void kern_return_to_user(void) {
    if (!current || current->state != KERN_THREAD_READY || resched) {
        kern_thread_t *next = pick_next();
        if (!next) {
            kern_report_finish();
        }
        if (current && next != current && slice_ticks >= KERN_SLICE_TICKS) {
            preemptions++;
        }
        current = next;
        resched = false;
        slice_ticks = 0;
    }
    arch_root_load(&current->space->root);
    arch_user_enter(&current->regs);
}

/* See kern.h. */
bool kern_process_spawn(const char *name, const uint8_t *elf, size_t size) {
    kern_space_t *s = kern_space_create();
    if (!s) {
        kern_report_spawn_failed(name, "no address space left");
        return false;
    }
    uint64_t entry;
    const char *why = kern_elf_load(s, elf, size, &entry);
    if (!why && kern_space_map_zeroed(s, ARCH_USER_STACK_TOP - KERN_USER_STACK, KERN_USER_STACK,
                                      PT_R | PT_W) != PT_OK) {
        why = "no memory for the stack";
    }
    kern_thread_t *t = why ? NULL : kern_thread_create(s, name, entry, ARCH_USER_STACK_TOP);
    if (!t) {
        kern_report_spawn_failed(name, why ? why : "no thread left");
        kern_space_destroy(s);
        return false;
    }
    kern_printf("[kern] started '%s' (thread %u, address space %u, entry 0x%llx)\n", t->name, t->id,
                s->id, (unsigned long long)entry);
    return true;
}
