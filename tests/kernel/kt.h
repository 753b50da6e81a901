/*
 * Shared helpers of the IPC core host tests: processes (a capability table) and threads
 * made directly with the core's own functions, messages, and the invariant hook, which
 * here jumps back to the test that expects it (kt_expect_invariant) or fails the test.
 */
#pragma once

#include <criterion/criterion.h>
#include <setjmp.h>

#include "ipc.h"

/* Frames the kernel-object allocator may still take (-1: no limit; failure injection),
 * and how many it holds now. */
extern long kt_frames_left;
extern long kt_frames_out;

/* Slot i of cs, or an empty capability when no leaf holds it (reading only). */
static inline kern_cap_t *kt_slot(kern_cspace_t *cs, uint64_t i) {
    static kern_cap_t none;
    kern_cap_t *c = kern_cap_at(cs, i);
    none = (kern_cap_t){0};
    return c ? c : &none;
}

/* A process: its capability table. */
typedef struct kt_proc {
    kern_cspace_t cs;
} kt_proc_t;

/* Makes t a ready thread of p at priority prio. */
void kt_thread(kern_tcb_t *t, kt_proc_t *p, uint8_t prio);
/* Sets t's outgoing message: label, n words from w (n <= IPC_MSG_MAX_WORDS). */
void kt_msg(kern_tcb_t *t, uint64_t label, unsigned n, const uint64_t *w);
/* A new endpoint in slot of p; fails the test if it cannot be made. */
void kt_endpoint(kt_proc_t *p, uint64_t slot);
/* Copies slot src of a into empty slot dst of b with rights and badge (a capability
 * handed over at creation, as mmserver will). */
void kt_give(kt_proc_t *a, uint64_t src, kt_proc_t *b, uint64_t dst, uint8_t rights,
             uint64_t badge);
/* A server process with an endpoint in slot 3 and a client process holding it in slot 3,
 * one ready thread each at priority 5. */
typedef struct kt_pair {
    kt_proc_t sp, cp;
    kern_tcb_t server, client;
} kt_pair_t;

/* Sets x up; the client's capability has rights and badge. */
void kt_pair_init(kt_pair_t *x, uint8_t rights, uint64_t badge);

/* Runs the scheduler until it returns NULL, counting the threads it hands out. */
unsigned kt_drain_ready(void);

/* Where the invariant hook jumps when armed; the message it got. */
extern jmp_buf kt_invariant_jump;
extern bool kt_invariant_armed;
extern const char *kt_invariant_what;

/* Evaluates stmt and asserts it broke an invariant (the hook was called). */
#define kt_expect_invariant(stmt)                                                                  \
    do {                                                                                           \
        kt_invariant_armed = true;                                                                 \
        if (setjmp(kt_invariant_jump) == 0) {                                                      \
            stmt;                                                                                  \
            kt_invariant_armed = false;                                                            \
            cr_assert_fail("no invariant failure from " #stmt);                                    \
        }                                                                                          \
        kt_invariant_armed = false;                                                                \
    } while (0)
