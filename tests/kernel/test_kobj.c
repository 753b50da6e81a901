/*
 * The kernel-object allocator (kernel/kobj.c) and the tables built on it (kernel/cap.c):
 * allocation, free, reuse of the room, frames going back when empty, accounts and their
 * limits, exhaustion with failure injection (kt_frames_left), and capability tables
 * growing past 4,096 slots and shrinking again.
 */
#include "kt.h"

Test(kobj, objects_share_a_frame_and_it_goes_back_when_empty) {
    void *p[200];
    unsigned n = 0;
    p[n++] = kern_kobj_alloc(NULL, 40);
    cr_assert_not_null(p[0]);
    cr_assert_eq(kt_frames_out, 1);
    while (kt_frames_out == 1) {
        p[n] = kern_kobj_alloc(NULL, 40);
        cr_assert_not_null(p[n]);
        n++;
    }
    unsigned per_frame = n - 1; /* the last one opened a second frame */
    cr_assert_eq(per_frame, (KERN_KOBJ_FRAME - 64) / 64, "64-byte class: %u per frame", per_frame);
    for (unsigned i = 0; i < n; i++) {
        const uint64_t *w = p[i];
        for (unsigned k = 0; k < 8; k++) {
            cr_assert_eq(w[k], 0, "object %u word %u is zeroed", i, k);
        }
        cr_assert_eq((uintptr_t)p[i] % 16, 0, "aligned");
    }
    kern_kobj_free(NULL, p[3], 40);
    cr_assert_eq(kern_kobj_alloc(NULL, 40), p[3], "the freed room is reused first");
    for (unsigned i = 0; i < n; i++) {
        kern_kobj_free(NULL, p[i], 40);
    }
    cr_assert_eq(kt_frames_out, 0, "both frames went back");
    cr_assert_eq(kern_kobj_frames(), 0);
    cr_log_info("%u objects of 40 bytes per frame; all frames returned", per_frame);
}

Test(kobj, accounts_charge_class_sizes_and_refuse_past_their_limit) {
    kern_kmem_account_t a = {.limit = 1024};
    void *x = kern_kobj_alloc(&a, 700);
    cr_assert_not_null(x);
    cr_assert_eq(a.used, 1008, "charged at its class size");
    cr_assert_null(kern_kobj_alloc(&a, 32), "1008 + 32 > 1024");
    cr_assert_eq(a.used, 1008, "a refusal charges nothing");
    kern_kobj_free(&a, x, 700);
    cr_assert_eq(a.used, 0);
    cr_assert_null(kern_kobj_alloc(&a, KERN_KOBJ_MAX + 1), "too large for any class");
    cr_assert_eq(kern_kobj_charge(KERN_KOBJ_MAX + 1), 0);
    cr_assert_eq(kt_frames_out, 0);
}

Test(kobj, exhaustion_is_null_and_changes_nothing) {
    kt_frames_left = 1;
    kern_kmem_account_t a = {0};
    void *x = kern_kobj_alloc(&a, 2000);
    void *y = kern_kobj_alloc(&a, 2000);
    cr_assert(x && y, "two of the largest share one frame");
    cr_assert_null(kern_kobj_alloc(&a, 2000), "no frame left");
    cr_assert_null(kern_kobj_alloc(&a, 32), "another class needs a frame too");
    cr_assert_eq(a.used, 2 * 2016);
    kern_kobj_free(&a, x, 2000);
    void *z = kern_kobj_alloc(&a, 2000);
    cr_assert_not_null(z, "room again after a free");
    kern_kobj_free(&a, y, 2000);
    kern_kobj_free(&a, z, 2000);
    cr_assert_eq(a.used, 0);
    cr_assert_eq(kt_frames_out, 0, "the frame went back");
}

Test(cap_table, grows_past_4096_slots_and_gives_its_memory_back) {
    kt_proc_t p = {0};
    kt_endpoint(&p, 3);
    long base = kt_frames_out;
    for (uint64_t s = 4; s < 5000; s++) {
        cr_assert_eq(kern_cap_copy(&p.cs, 3, s, IPC_RIGHTS_ALL, 0), IPC_OK, "slot %llu",
                     (unsigned long long)s);
    }
    kern_cap_t *c;
    cr_assert_eq(kern_cap_lookup(&p.cs, 4999, IPC_CAP_ENDPOINT, 0, &c), IPC_OK);
    cr_assert_eq(kern_cap_lookup(&p.cs, 5000, IPC_CAP_ENDPOINT, 0, &c), IPC_ERR_INVALID_CAP);
    cr_assert_eq(kern_cap_lookup(&p.cs, IPC_CAP_SLOTS_MAX - 1, IPC_CAP_ENDPOINT, 0, &c),
                 IPC_ERR_INVALID_CAP, "past the directory: empty, not a crash");
    cr_assert_geq(p.cs.dir_len * KERN_CAP_LEAF_SLOTS, 5000);
    uint64_t used = p.cs.kmem.used;
    cr_log_info("5,000 slots: directory of %u leaves, %llu bytes charged, %ld frames", p.cs.dir_len,
                (unsigned long long)used, kt_frames_out);
    for (uint64_t s = 4; s < 5000; s++) {
        cr_assert_eq(kern_cap_delete(&p.cs, s), IPC_OK);
    }
    cr_assert_lt(p.cs.kmem.used, used / 10, "emptied leaves went back");
    cr_assert_leq(kt_frames_out, base + 1, "only the endpoint, its leaf and a directory stay (%ld)",
                  kt_frames_out);
    kern_cspace_clear(&p.cs);
    cr_assert_eq(p.cs.kmem.used, 0, "a cleared table holds nothing");
    cr_assert_eq(kt_frames_out, 0);
}

Test(cap_table, a_sparse_slot_costs_one_leaf) {
    kt_proc_t p = {0};
    kt_endpoint(&p, IPC_CAP_SLOTS_MAX - 1);
    uint64_t used = p.cs.kmem.used;
    cr_assert_leq(used, 2016 + 1008 + 64, "directory + one leaf + the endpoint: %llu",
                  (unsigned long long)used);
    cr_assert_eq(kern_cspace_free_slot(&p.cs), IPC_SLOT_FREE);
    kern_cspace_clear(&p.cs);
}

Test(cap_table, a_limit_refuses_growth_with_no_memory_and_nothing_changes) {
    kt_proc_t p = {0};
    kt_endpoint(&p, 3);
    p.cs.kmem.limit = p.cs.kmem.used + 100; /* no room for another leaf */
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 4, IPC_RIGHTS_ALL, 0), IPC_OK, "same leaf: free");
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 200, IPC_RIGHTS_ALL, 0), IPC_ERR_NO_MEMORY);
    cr_assert_eq(kt_slot(&p.cs, 200)->kind, IPC_CAP_NONE);
    cr_assert_eq(kern_ep_live(), 1);
    kt_frames_left = 0;
    p.cs.kmem.limit = 0;
    uint64_t s = 64;
    ipc_err_t e;
    while ((e = kern_cap_copy(&p.cs, 3, s, IPC_RIGHTS_ALL, 0)) == IPC_OK) {
        s += KERN_CAP_LEAF_SLOTS; /* a new leaf each time */
    }
    cr_assert_eq(e, IPC_ERR_NO_MEMORY, "leaves from the frames held, then no memory");
    cr_assert_eq(kt_slot(&p.cs, s)->kind, IPC_CAP_NONE, "the refused slot stays empty");
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 5, IPC_RIGHTS_ALL, 0), IPC_OK, "the table still works");
    cr_log_info("refused at slot %llu once no frame was left", (unsigned long long)s);
}

Test(cap_table, an_endpoint_outliving_its_maker_is_charged_to_nobody) {
    kt_proc_t a = {0}, b = {0};
    kt_endpoint(&a, 3);
    kt_give(&a, 3, &b, 3, IPC_RIGHTS_ALL, 0);
    uint64_t b_used = b.cs.kmem.used;
    kern_cspace_clear(&a.cs);
    cr_assert_eq(a.cs.kmem.used, 0, "the maker's account is empty once its table is cleared");
    cr_assert_eq(kern_ep_live(), 1, "b still names it");
    cr_assert_eq(kern_cap_delete(&b.cs, 3), IPC_OK);
    cr_assert_eq(kern_ep_live(), 0);
    cr_assert_eq(a.cs.kmem.used, 0, "not uncharged twice");
    cr_assert_leq(b.cs.kmem.used, b_used);
}

Test(cap_table, thread_capabilities_count_references) {
    kt_proc_t p = {0};
    kern_tcb_t t;
    kt_thread(&t, &p, 1);
    kern_cap_t th = kern_cap_thread(&t);
    cr_assert_eq(kern_cap_insert(&p.cs, 3, &th), IPC_OK);
    cr_assert_eq(kern_cap_copy(&p.cs, 3, 4, IPC_RIGHTS_ALL, 0), IPC_OK);
    cr_assert_eq(t.caprefs, 2);
    cr_assert_eq(kern_cap_delete(&p.cs, 3), IPC_OK);
    cr_assert_eq(t.caprefs, 1);
    kern_cspace_clear(&p.cs);
    cr_assert_eq(t.caprefs, 0);
}
