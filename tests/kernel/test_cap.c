/*
 * Capability tables: every way a slot can be wrong gets its own typed error, rights only
 * shrink along copies, a badge is set once, endpoints live as long as a capability names
 * them, and a capability to a stopped thread is stale.
 */
#include "kt.h"

Test(cap, lookup_errors_are_typed) {
    kt_proc_t p = {0};
    kern_tcb_t t;
    kt_thread(&t, &p, 1);
    kt_endpoint(&p, 3);
    kern_cap_t th = kern_cap_thread(&t);
    cr_assert_eq(kern_cap_insert(&p.cs, 4, &th), IPC_OK);
    kern_cap_t *c;
    cr_assert_eq(kern_cap_lookup(&p.cs, IPC_CAP_SLOTS_MAX, IPC_CAP_ENDPOINT, 0, &c),
                 IPC_ERR_INVALID_CAP, "slot past the table");
    cr_assert_eq(kern_cap_lookup(&p.cs, ~0ull, IPC_CAP_ENDPOINT, 0, &c), IPC_ERR_INVALID_CAP,
                 "forged huge slot");
    cr_assert_eq(kern_cap_lookup(&p.cs, 5, IPC_CAP_ENDPOINT, 0, &c), IPC_ERR_INVALID_CAP,
                 "empty slot");
    cr_assert_eq(kern_cap_lookup(&p.cs, 4, IPC_CAP_ENDPOINT, 0, &c), IPC_ERR_WRONG_CAP,
                 "thread where an endpoint is wanted");
    cr_assert_eq(kern_cap_lookup(&p.cs, 3, IPC_CAP_THREAD, 0, &c), IPC_ERR_WRONG_CAP,
                 "endpoint where a thread is wanted");
    cr_assert_eq(kern_cap_lookup(&p.cs, 3, IPC_CAP_ENDPOINT, IPC_RIGHTS_ALL, &c), IPC_OK);
    cr_assert_eq(c, kt_slot(&p.cs, 3));
}

Test(cap, copy_keeps_or_drops_rights_never_adds) {
    kt_proc_t p = {0};
    kt_endpoint(&p, 3);
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 4, IPC_RIGHT_SEND, 0), IPC_OK);
    cr_assert_eq((*kt_slot(&p.cs, 4)).rights, IPC_RIGHT_SEND);
    cr_assert_eq(kern_cap_copy(&p.cs, 4, 5, IPC_RIGHTS_ALL, 0), IPC_OK);
    cr_assert_eq((*kt_slot(&p.cs, 5)).rights, IPC_RIGHT_SEND,
                 "a copy asked all rights and got more");
    kern_cap_t *c;
    cr_assert_eq(kern_cap_lookup(&p.cs, 5, IPC_CAP_ENDPOINT, IPC_RIGHT_RECV, &c),
                 IPC_ERR_NO_RIGHTS);
    cr_assert_eq(kern_cap_lookup(&p.cs, 5, IPC_CAP_ENDPOINT, IPC_RIGHT_GRANT, &c),
                 IPC_ERR_NO_RIGHTS);
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 4, IPC_RIGHTS_ALL, 0), IPC_ERR_SLOT_FULL);
    cr_assert_eq(kern_cap_copy(&p.cs, 9, 10, IPC_RIGHTS_ALL, 0), IPC_ERR_INVALID_CAP);
    cr_assert_eq(kern_cap_copy(&p.cs, 3, IPC_CAP_SLOTS_MAX, IPC_RIGHTS_ALL, 0),
                 IPC_ERR_INVALID_CAP);
}

Test(cap, badge_is_set_once) {
    kt_proc_t p = {0};
    kt_endpoint(&p, 3);
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 4, IPC_RIGHTS_ALL, 77), IPC_OK);
    cr_assert_eq((*kt_slot(&p.cs, 4)).badge, 77);
    cr_assert_eq(kern_cap_copy(&p.cs, 4, 5, IPC_RIGHTS_ALL, 78), IPC_ERR_INVALID_ARGUMENT,
                 "re-badging a badged capability");
    cr_assert_eq(kern_cap_copy(&p.cs, 4, 5, IPC_RIGHTS_ALL, 0), IPC_OK);
    cr_assert_eq((*kt_slot(&p.cs, 5)).badge, 77, "a plain copy keeps the badge");
}

Test(cap, endpoint_lives_while_named) {
    kt_proc_t p = {0};
    kt_endpoint(&p, 3);
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 4, IPC_RIGHTS_ALL, 0), IPC_OK);
    cr_assert_eq(kern_ep_live(), 1);
    cr_assert_eq(kern_cap_delete(&p.cs, 3), IPC_OK);
    cr_assert_eq(kern_ep_live(), 1, "a copy still names it");
    cr_assert_eq(kern_cap_delete(&p.cs, 3), IPC_ERR_INVALID_CAP, "deleting an empty slot");
    kern_cspace_clear(&p.cs);
    cr_assert_eq(kern_ep_live(), 0);
}

Test(cap, endpoints_run_out_with_an_error_when_memory_does) {
    kt_proc_t p[2] = {0};
    kt_endpoint(&p[0], 3); /* a leaf and an endpoint frame exist now */
    kt_frames_left = 0;    /* no new frame from here on */
    unsigned made = 1;
    while (kern_ep_create(&p[0].cs, 3 + made) == IPC_OK) {
        made++;
    }
    cr_assert_gt(made, 10, "endpoints share a frame (%u made)", made);
    cr_assert_eq(kern_cap_at(&p[0].cs, 3 + made) ? kern_cap_at(&p[0].cs, 3 + made)->kind : 0,
                 IPC_CAP_NONE, "the refused slot stays empty");
    cr_assert_eq(kern_ep_live(), made, "a refusal makes no endpoint");
    cr_assert_eq(kern_ep_create(&p[1].cs, 3), IPC_ERR_NO_MEMORY, "a new table needs a frame");
    cr_assert_eq(kern_cap_delete(&p[0].cs, 7), IPC_OK);
    cr_assert_eq(kern_ep_create(&p[0].cs, 7), IPC_OK, "a freed endpoint's room is reused");
    cr_assert_eq(kern_ep_create(&p[0].cs, 7), IPC_ERR_SLOT_FULL);
    cr_assert_eq(kern_ep_create(&p[0].cs, IPC_CAP_SLOTS_MAX), IPC_ERR_INVALID_CAP);
    kern_cspace_clear(&p[0].cs);
    cr_assert_eq(kern_ep_live(), 0);
    cr_assert_eq(kt_frames_out, 0, "every frame went back (%ld held)", kt_frames_out);
    cr_log_info("%u endpoints from the frames held, then IPC_ERR_NO_MEMORY; all freed", made);
}

Test(cap, thread_capability_goes_stale_when_the_thread_stops) {
    kt_proc_t p = {0};
    kern_tcb_t t;
    kt_thread(&t, &p, 1);
    kern_cap_t th = kern_cap_thread(&t);
    cr_assert_eq(kern_cap_insert(&p.cs, 3, &th), IPC_OK);
    kern_cap_t *c;
    cr_assert_eq(kern_cap_lookup(&p.cs, 3, IPC_CAP_THREAD, 0, &c), IPC_OK);
    kern_tcb_stop(&t);
    cr_assert_eq(kern_cap_lookup(&p.cs, 3, IPC_CAP_THREAD, 0, &c), IPC_ERR_INVALID_CAP);
    kern_tcb_init(&t, &p.cs, 1); /* the slot reused by a new thread */
    kern_sched_ready(&t);
    cr_assert_eq(kern_cap_lookup(&p.cs, 3, IPC_CAP_THREAD, 0, &c), IPC_ERR_INVALID_CAP,
                 "an old capability must not reach the new thread");
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 4, IPC_RIGHTS_ALL, 0), IPC_ERR_INVALID_CAP);
}

Test(cap, free_slot_skips_the_start_slots) {
    kt_proc_t p = {0};
    cr_assert_eq(kern_cspace_free_slot(&p.cs), IPC_SLOT_FREE);
    for (unsigned i = IPC_SLOT_FREE; i < IPC_CAP_SLOTS_MAX; i++) {
        kt_endpoint(&p, i);
    }
    cr_assert_eq(kern_cspace_free_slot(&p.cs), IPC_CAP_SLOTS_MAX);
    cr_assert_eq(kern_cap_delete(&p.cs, 4000), IPC_OK);
    cr_assert_eq(kern_cspace_free_slot(&p.cs), 4000, "full leaves are skipped, not the hole");
}
