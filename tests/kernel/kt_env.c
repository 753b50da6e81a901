/*
 * The host environment of the IPC core: the invariant hook and the helpers of kt.h.
 * Criterion runs each test in its own process, so the core's static state (endpoint pool,
 * ready queues) starts empty in every test.
 */
#include "kt.h"

#include <stdlib.h>
#include <string.h>

jmp_buf kt_invariant_jump;
bool kt_invariant_armed;
const char *kt_invariant_what;

/* See ipc.h: jumps back to kt_expect_invariant, or fails the running test. */
void kern_ipc_invariant_failed(const char *what) {
    kt_invariant_what = what;
    if (kt_invariant_armed) {
        longjmp(kt_invariant_jump, 1);
    }
    cr_assert_fail("IPC invariant broken: %s", what);
}

long kt_frames_left = -1;
long kt_frames_out;

/* See kobj.h: a 4 KiB block of the host heap, unless the injected limit is reached. */
void *kern_kobj_frame_get(bool donated) {
    (void)donated;
    if (kt_frames_left == 0) {
        return NULL;
    }
    if (kt_frames_left > 0) {
        kt_frames_left--;
    }
    void *p = aligned_alloc(KERN_KOBJ_FRAME, KERN_KOBJ_FRAME);
    cr_assert(p != NULL);
    memset(p, 0xa5, KERN_KOBJ_FRAME); /* garbage: the allocator must zero what it hands out */
    kt_frames_out++;
    return p;
}

/* See kobj.h. */
void kern_kobj_frame_put(void *frame, bool donated) {
    (void)donated;
    kt_frames_out--;
    if (kt_frames_left >= 0) {
        kt_frames_left++;
    }
    free(frame);
}

/* See ipc.h: the tests own their tcbs. */
void kern_tcb_unreferenced(kern_tcb_t *t) {
    (void)t;
}

/* See kt.h. */
void kt_thread(kern_tcb_t *t, kt_proc_t *p, uint8_t prio) {
    memset(t, 0, sizeof(*t));
    kern_tcb_init(t, &p->cs, prio);
    kern_sched_ready(t);
}

/* See kt.h. */
void kt_msg(kern_tcb_t *t, uint64_t label, unsigned n, const uint64_t *w) {
    t->msg.info = ipc_info(label, n);
    for (unsigned i = 0; i < n; i++) {
        t->msg.words[i] = w[i];
    }
}

/* See kt.h. */
void kt_endpoint(kt_proc_t *p, uint64_t slot) {
    cr_assert_eq(kern_ep_create(&p->cs, slot), IPC_OK, "endpoint in slot %llu",
                 (unsigned long long)slot);
}

/* See kt.h. */
void kt_give(kt_proc_t *a, uint64_t src, kt_proc_t *b, uint64_t dst, uint8_t rights,
             uint64_t badge) {
    kern_cap_t c = *kt_slot(&a->cs, src);
    cr_assert_neq(c.kind, IPC_CAP_NONE, "giving an empty slot");
    c.rights &= rights;
    c.badge = badge ? badge : c.badge;
    cr_assert_eq(kern_cap_insert(&b->cs, dst, &c), IPC_OK);
}

/* See kt.h. */
unsigned kt_drain_ready(void) {
    unsigned n = 0;
    kern_tcb_t *t;
    while ((t = kern_sched_choose(NULL, false)) != NULL) {
        t->state = KERN_TCB_INACTIVE;
        n++;
    }
    return n;
}

/* See kt.h. */
void kt_pair_init(kt_pair_t *x, uint8_t rights, uint64_t badge) {
    memset(x, 0, sizeof(*x));
    kt_thread(&x->server, &x->sp, 5);
    kt_thread(&x->client, &x->cp, 5);
    kt_endpoint(&x->sp, 3);
    kt_give(&x->sp, 3, &x->cp, 3, rights, badge);
}
