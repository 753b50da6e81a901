/*
 * The scheduler: the highest ready priority runs, threads of one priority take turns, a
 * hint hands the CPU over without a pass unless a higher priority is ready, and asking
 * for a hint to a thread that cannot run is an invariant failure.
 */
#include "kt.h"

Test(sched, highest_priority_first) {
    kt_proc_t p = {0};
    kern_tcb_t lo, hi, mid;
    kt_thread(&lo, &p, 1);
    kt_thread(&hi, &p, 30);
    kt_thread(&mid, &p, 10);
    cr_assert_eq(kern_sched_choose(NULL, false), &hi);
    cr_assert_eq(kern_sched_choose(&hi, false), &hi, "keeps running without a reason to stop");
    hi.state = KERN_TCB_BLOCKED_RECV;
    cr_assert_eq(kern_sched_choose(&hi, false), &mid);
    cr_assert(kern_sched_above(0), "lo is queued");
    cr_assert_not(kern_sched_above(1));
}

Test(sched, round_robin_within_a_priority) {
    kt_proc_t p = {0};
    kern_tcb_t t[3];
    for (unsigned i = 0; i < 3; i++) {
        kt_thread(&t[i], &p, 7);
    }
    kern_tcb_t *cur = kern_sched_choose(NULL, false);
    for (unsigned round = 0; round < 6; round++) {
        cr_assert_eq(cur, &t[round % 3]);
        cur = kern_sched_choose(cur, true);
    }
}

Test(sched, woken_higher_priority_preempts) {
    kt_proc_t p = {0};
    kern_tcb_t lo, hi;
    kt_thread(&lo, &p, 1);
    kern_tcb_t *cur = kern_sched_choose(NULL, false);
    kern_tcb_init(&hi, &p.cs, 20);
    kern_sched_ready(&hi);
    cr_assert_eq(kern_sched_choose(cur, false), &hi);
    cr_assert(lo.queued, "the preempted thread waits at its queue's tail");
}

Test(sched, hint_skips_the_queue_but_not_a_higher_priority) {
    kt_proc_t p = {0};
    kern_tcb_t a, b, c, hi;
    kt_thread(&a, &p, 5);
    kt_thread(&b, &p, 5);
    kt_thread(&c, &p, 5);
    kern_sched_hint(&c);
    cr_assert_eq(kern_sched_choose(NULL, false), &c, "hinted thread before the queue's head");
    kt_thread(&hi, &p, 9);
    kern_sched_hint(&b);
    cr_assert_eq(kern_sched_choose(&c, false), &hi, "a higher priority wins over the hint");
}

Test(sched, set_priority_requeues) {
    kt_proc_t p = {0};
    kern_tcb_t a, b;
    kt_thread(&a, &p, 5);
    kt_thread(&b, &p, 5);
    kern_sched_set_prio(&b, 6);
    cr_assert_eq(kern_sched_choose(NULL, false), &b);
}

Test(sched, hint_to_a_blocked_thread_is_an_invariant_failure) {
    kt_proc_t p = {0};
    kern_tcb_t a;
    kt_thread(&a, &p, 5);
    a.state = KERN_TCB_BLOCKED_RECV;
    kt_expect_invariant(kern_sched_hint(&a));
    cr_assert_str_eq(kt_invariant_what, "sched: hint to a thread that is not ready");
}
