/*
 * mmserver's privileged calls, the plain-C part: the argument checks (kernel/mm_check.c)
 * at and around every boundary, thread names (MMPRIV_SYS_THREAD_NAME), the memory
 * capability that never moves (copy, copy to another table, message transfer), the
 * cross-table copy of MMPRIV_SYS_THREAD_GIVE, and the end notice: its layout
 * (kern_mm_end_msg) and its delivery (kern_ipc_notify).
 */
#include <stdio.h>
#include <ipc/mmpriv.h>
#include <string.h>

#include "kt.h"
#include "mm_check.h"

#define TOP 0x800000000000ull /* a user half, as x86_64's */

Test(mm_check, a_donation_is_aligned_frames_wholly_in_the_pool) {
    kern_mm_pool_t pool = {.pa = 0x80000000ull, .frames = 16};
    cr_assert_eq(kern_mm_check_kmem(0x80000000ull, 16, &pool, 1), IPC_OK, "the whole pool");
    cr_assert_eq(kern_mm_check_kmem(0x8000f000ull, 1, &pool, 1), IPC_OK, "the last frame");
    cr_assert_eq(kern_mm_check_kmem(0x8000f000ull, 2, &pool, 1), IPC_ERR_INVALID_ARGUMENT, "past");
    cr_assert_eq(kern_mm_check_kmem(0x80000000ull, 0, &pool, 1), IPC_ERR_INVALID_ARGUMENT, "none");
    cr_assert_eq(kern_mm_check_kmem(0x80000800ull, 1, &pool, 1), IPC_ERR_INVALID_ARGUMENT,
                 "unaligned");
    cr_assert_eq(kern_mm_check_kmem(0x7ffff000ull, 2, &pool, 1), IPC_ERR_INVALID_ARGUMENT, "below");
    cr_assert_eq(kern_mm_check_kmem(0x80001000ull, ~0ull, &pool, 1), IPC_ERR_INVALID_ARGUMENT,
                 "a count that would wrap");
    kern_mm_pool_t none = {0};
    cr_assert_eq(kern_mm_check_kmem(0, 1, &none, 0), IPC_ERR_INVALID_ARGUMENT, "no pool yet");
    kern_mm_pool_t two[2] = {{.pa = 0x80000000ull, .frames = 16},
                             {.pa = 0x80010000ull, .frames = 16}};
    cr_assert_eq(kern_mm_check_kmem(0x80010000ull, 16, two, 2), IPC_OK, "the whole second range");
    cr_assert_eq(kern_mm_check_kmem(0x8000f000ull, 2, two, 2), IPC_ERR_INVALID_ARGUMENT,
                 "across two adjacent ranges: two runs, not one");
    cr_assert_eq(kern_mm_check_kmem(0x80020000ull, 1, two, 2), IPC_ERR_INVALID_ARGUMENT,
                 "past the second range");
    cr_log_info("donations: whole pool, last frame, past, none, unaligned, below, wrapping, "
                "no pool, a second range, across ranges, past it");
}

Test(mm_check, space_ids_are_1_to_the_id_range) {
    cr_assert_eq(kern_mm_check_space(0), IPC_ERR_INVALID_ARGUMENT, "0 is no client");
    cr_assert_eq(kern_mm_check_space(1), IPC_OK);
    cr_assert_eq(kern_mm_check_space(MMPRIV_SPACE_IDS - 1), IPC_OK);
    cr_assert_eq(kern_mm_check_space(MMPRIV_SPACE_IDS), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(kern_mm_check_space(~0ull), IPC_ERR_INVALID_ARGUMENT);
}

Test(mm_check, a_root_must_be_an_aligned_frame_of_the_pool) {
    kern_mm_pool_t pool = {.pa = 0x80000000ull, .frames = 16};
    cr_assert_eq(kern_mm_check_root(0x80000000ull, &pool, 1), IPC_OK, "first frame");
    cr_assert_eq(kern_mm_check_root(0x8000f000ull, &pool, 1), IPC_OK, "last frame");
    cr_assert_eq(kern_mm_check_root(0x80010000ull, &pool, 1), IPC_ERR_INVALID_ARGUMENT,
                 "just past");
    cr_assert_eq(kern_mm_check_root(0x7ffff000ull, &pool, 1), IPC_ERR_INVALID_ARGUMENT, "below");
    cr_assert_eq(kern_mm_check_root(0x80000800ull, &pool, 1), IPC_ERR_INVALID_ARGUMENT,
                 "unaligned");
    cr_assert_eq(kern_mm_check_root(~0xfffull, &pool, 1), IPC_ERR_INVALID_ARGUMENT, "far above");
    cr_assert(kern_mm_in_pool(0x8000fff8ull, &pool, 1), "any byte of the last frame");
    cr_assert_not(kern_mm_in_pool(0x80010000ull, &pool, 1));
    cr_assert_not(kern_mm_in_pool(0x7fffffffull, &pool, 1));
    kern_mm_pool_t none = {0};
    cr_assert_eq(kern_mm_check_root(0, &none, 1), IPC_ERR_INVALID_ARGUMENT, "no pool: nothing");
    kern_mm_pool_t high = {.pa = ~0ull - 0xfffull, .frames = ~0ull};
    cr_assert_eq(kern_mm_check_root(~0ull - 0xfffull, &high, 1), IPC_OK, "no wrap in the end");
    cr_assert_eq(kern_mm_check_root(0x1000, &high, 1), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(kern_mm_check_root(0x80000000ull, &pool, 0), IPC_ERR_INVALID_ARGUMENT,
                 "zero ranges: nothing");
    printf("mm_check: one range: first, last, past, below, unaligned, far above, no wrap\n");
}

Test(mm_check, a_root_may_be_in_any_range_of_the_pool_never_between) {
    kern_mm_pool_t two[2] = {{.pa = 0x80000000ull, .frames = 16},
                             {.pa = 0x100000000ull, .frames = 4}};
    cr_assert_eq(kern_mm_check_root(0x80000000ull, two, 2), IPC_OK, "first range");
    cr_assert_eq(kern_mm_check_root(0x100003000ull, two, 2), IPC_OK, "last frame of the second");
    cr_assert_eq(kern_mm_check_root(0x80010000ull, two, 2), IPC_ERR_INVALID_ARGUMENT, "the hole");
    cr_assert_eq(kern_mm_check_root(0x100004000ull, two, 2), IPC_ERR_INVALID_ARGUMENT, "past both");
    cr_assert_eq(kern_mm_check_root(0x100000000ull, two, 1), IPC_ERR_INVALID_ARGUMENT,
                 "a range not counted is not the pool");
    printf("mm_check: two ranges: either range accepted, the hole between and past refused\n");
}

Test(mm_check, a_flush_stays_in_the_user_half) {
    pt_flush_t f;
    cr_assert_eq(kern_mm_check_flush(0x1000, 0x1fff, 1, 0, TOP, &f), IPC_OK);
    cr_assert(f.start == 0x1000 && f.last == 0x1fff && f.leaves == 1 && !f.all && !f.tables);
    cr_assert_eq(kern_mm_check_flush(0x1000, TOP - 1, 3, MMPRIV_FLUSH_TABLES, TOP, &f), IPC_OK);
    cr_assert(f.tables && !f.all);
    cr_assert_eq(kern_mm_check_flush(0x1000, TOP, 1, 0, TOP, &f), IPC_ERR_INVALID_ARGUMENT,
                 "last in the kernel half");
    cr_assert_eq(kern_mm_check_flush(0x2000, 0x1000, 1, 0, TOP, &f), IPC_ERR_INVALID_ARGUMENT,
                 "start after last");
    cr_assert_eq(kern_mm_check_flush(0, 0, 1, 4, TOP, &f), IPC_ERR_INVALID_ARGUMENT, "flag bit");
    cr_assert_eq(kern_mm_check_flush(~0ull, 0, 0, MMPRIV_FLUSH_ALL, TOP, &f), IPC_OK,
                 "ALL ignores the range");
    cr_assert(f.all && f.start == 0 && f.last == TOP - 1, "and never names the kernel half");
}

Test(mm_check, a_thread_starts_in_the_user_half) {
    cr_assert_eq(kern_mm_check_thread(0x400000, 0x100000, TOP), IPC_OK);
    cr_assert_eq(kern_mm_check_thread(0x400000, 0, TOP), IPC_OK, "no IPC buffer");
    cr_assert_eq(kern_mm_check_thread(TOP, 0, TOP), IPC_ERR_INVALID_ARGUMENT, "pc past the top");
    cr_assert_eq(kern_mm_check_thread(0x8000800000000000ull, 0, TOP), IPC_ERR_INVALID_ARGUMENT,
                 "non-canonical pc");
    cr_assert_eq(kern_mm_check_thread(0x400000, 0x100008, TOP), IPC_ERR_INVALID_ARGUMENT,
                 "unaligned buffer");
    cr_assert_eq(kern_mm_check_thread(0x400000, TOP, TOP), IPC_ERR_INVALID_ARGUMENT,
                 "buffer in the kernel half");
}

Test(mm_check, priority_at_most_the_callers) {
    cr_assert_eq(kern_mm_check_prio(0, 31), IPC_OK);
    cr_assert_eq(kern_mm_check_prio(31, 31), IPC_OK);
    cr_assert_eq(kern_mm_check_prio(17, 16), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(kern_mm_check_prio(IPC_PRIO_COUNT, 255), IPC_ERR_INVALID_ARGUMENT);
}

/* A process holding the memory capability in slot 4 and an endpoint in slot 3. */
static void mmserver_proc(kt_proc_t *p) {
    kern_cap_t mem = {.kind = MMPRIV_CAP_MEMORY};
    cr_assert_eq(kern_cap_insert(&p->cs, 4, &mem), IPC_OK);
    kt_endpoint(p, 3);
}

Test(mm_cap, the_memory_capability_is_never_copied) {
    kt_proc_t a = {0}, b = {0};
    mmserver_proc(&a);
    kern_cap_t *c;
    cr_assert_eq(kern_cap_lookup(&a.cs, 4, MMPRIV_CAP_MEMORY, 0, &c), IPC_OK);
    cr_assert_eq(kern_cap_lookup(&a.cs, 3, MMPRIV_CAP_MEMORY, 0, &c), IPC_ERR_WRONG_CAP);
    cr_assert_eq(kern_cap_copy(&a.cs, 4, 5, IPC_RIGHTS_ALL, 0), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(kern_cap_copy_to(&a.cs, 4, &b.cs, 5, IPC_RIGHTS_ALL, 0), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq((*kt_slot(&a.cs, 5)).kind, IPC_CAP_NONE);
    cr_assert_eq((*kt_slot(&b.cs, 5)).kind, IPC_CAP_NONE);
}

Test(mm_cap, give_copies_into_another_table_with_fewer_rights_and_a_badge) {
    kt_proc_t a = {0}, b = {0};
    mmserver_proc(&a);
    cr_assert_eq(kern_cap_copy_to(&a.cs, 3, &b.cs, 0, IPC_RIGHT_SEND, 7), IPC_OK);
    cr_assert_eq((*kt_slot(&b.cs, 0)).kind, IPC_CAP_ENDPOINT);
    cr_assert_eq((*kt_slot(&b.cs, 0)).rights, IPC_RIGHT_SEND);
    cr_assert_eq((*kt_slot(&b.cs, 0)).badge, 7);
    cr_assert_eq((*kt_slot(&a.cs, 3)).badge, 0, "the source is unchanged");
    cr_assert_eq(kern_cap_copy_to(&a.cs, 3, &b.cs, 0, IPC_RIGHT_SEND, 0), IPC_ERR_SLOT_FULL);
    cr_assert_eq(kern_cap_copy_to(&a.cs, 9, &b.cs, 1, IPC_RIGHT_SEND, 0), IPC_ERR_INVALID_CAP);
    cr_assert_eq(kern_cap_copy_to(&a.cs, 3, &b.cs, IPC_CAP_SLOTS_MAX, 1, 0), IPC_ERR_INVALID_CAP);
}

Test(mm_cap, a_message_never_carries_the_memory_capability) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHTS_ALL, 0);
    kern_cap_t mem = {.kind = MMPRIV_CAP_MEMORY};
    cr_assert_eq(kern_cap_insert(&x.cp.cs, 4, &mem), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    x.client.msg.info = ipc_info_cap(1, 0, 4);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_OK);
    cr_assert_eq(x.server.out, KERN_OUT_MSG);
    cr_assert_eq(x.server.msg.info & IPC_INFO_CAP, 0, "delivered without the capability");
    for (unsigned i = 0; i < IPC_CAP_SLOTS_MAX; i++) {
        cr_assert_neq((*kt_slot(&x.sp.cs, i)).kind, MMPRIV_CAP_MEMORY);
    }
}

Test(mm_notice, reaches_a_waiting_receiver_with_the_badge_and_no_reply_right) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 9);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    kern_msg_t m;
    kern_mm_end_msg(&m, 5, MMPRIV_END_EXIT);
    cr_assert(kern_ipc_notify(kt_slot(&x.cp.cs, 3), &m));
    cr_assert_eq(x.server.state, KERN_TCB_READY);
    cr_assert_eq(x.server.out, KERN_OUT_MSG);
    cr_assert_eq(x.server.msg.badge, 9);
    cr_assert_eq(ipc_info_label(x.server.msg.info), IPC_LABEL_FAULT);
    cr_assert_eq(ipc_fault_kind(x.server.msg.words[IPC_FAULT_W_INFO]), MMPRIV_END_KIND);
    cr_assert_eq(x.server.msg.words[MMPRIV_END_W_STATUS], 5, "w1: the exit status");
    cr_assert_eq(x.server.msg.words[MMPRIV_END_W_HOW], MMPRIV_END_EXIT, "w2: it exited");
    cr_assert_null(x.server.reply_to);
    x.server.msg.info = ipc_info(0, 0);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_ERR_NO_REPLY);
}

Test(mm_notice, without_a_receiver_nothing_changes) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 9);
    kern_msg_t m;
    kern_mm_end_msg(&m, 0, MMPRIV_END_KILLED);
    cr_assert_not(kern_ipc_notify(kt_slot(&x.cp.cs, 3), &m));
    cr_assert_eq(x.server.out, KERN_OUT_NONE);
    cr_assert_not(kern_ipc_notify(kt_slot(&x.cp.cs, 7), &m), "not an endpoint");
    /* A receiver that comes later finds no message queued. */
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.state, KERN_TCB_BLOCKED_RECV);
}

Test(mm_notice, says_how_the_process_ended) {
    kern_msg_t exited, killed;
    kern_mm_end_msg(&exited, 0, MMPRIV_END_EXIT);
    kern_mm_end_msg(&killed, 0, MMPRIV_END_KILLED);
    cr_assert_neq(MMPRIV_END_EXIT, MMPRIV_END_KILLED, "the two ends read apart");
    cr_assert_eq(exited.words[MMPRIV_END_W_HOW], MMPRIV_END_EXIT);
    cr_assert_eq(killed.words[MMPRIV_END_W_HOW], MMPRIV_END_KILLED);
    cr_assert_eq(ipc_info_length(killed.info), IPC_FAULT_LENGTH);
    cr_assert_eq(ipc_fault_access(killed.words[IPC_FAULT_W_INFO]), 0, "no fault, no access");
    kern_msg_t big;
    kern_mm_end_msg(&big, ~0ull, MMPRIV_END_EXIT);
    cr_assert_eq(big.words[MMPRIV_END_W_STATUS], ~0ull, "the status word as the program gave it");
}

/* Packs the first n bytes of s into w as MMPRIV_SYS_THREAD_NAME carries a name, the rest
 * of the 32 bytes zero. */
static void pack(uint64_t w[4], const char *s, size_t n) {
    for (unsigned i = 0; i < 4; i++) {
        w[i] = 0;
    }
    for (size_t i = 0; i < n && i < 32; i++) {
        w[i / 8] |= (uint64_t)(unsigned char)s[i] << (i % 8 * 8);
    }
}

/* Asserts that the first n bytes of s are refused as a name, and leave name empty. */
static void expect_refused(const char *s, size_t n, const char *why) {
    uint64_t w[4];
    char name[MMPRIV_NAME_MAX + 1];
    memset(name, 'x', sizeof(name));
    pack(w, s, n);
    cr_assert_eq(kern_mm_check_name(w, name), IPC_ERR_INVALID_ARGUMENT, "%s", why);
    cr_assert_eq(name[0], 0, "%s: nothing half-written", why);
}

Test(mm_name, printable_names_of_1_to_31_bytes) {
    uint64_t w[4];
    char name[MMPRIV_NAME_MAX + 1];
    pack(w, "ping", 4);
    cr_assert_eq(kern_mm_check_name(w, name), IPC_OK);
    cr_assert_str_eq(name, "ping");
    pack(w, "a", 1);
    cr_assert_eq(kern_mm_check_name(w, name), IPC_OK);
    cr_assert_str_eq(name, "a");
    const char *longest = "ipc_many_clients-0123456789 ~!x"; /* 31 bytes, ' ' and '~' too */
    cr_assert_eq(strlen(longest), MMPRIV_NAME_MAX);
    pack(w, longest, MMPRIV_NAME_MAX);
    cr_assert_eq(kern_mm_check_name(w, name), IPC_OK);
    cr_assert_str_eq(name, longest);
    pack(w, "12345678", 8);
    cr_assert_eq(kern_mm_check_name(w, name), IPC_OK, "a name that fills exactly one word");
    cr_assert_str_eq(name, "12345678");
}

Test(mm_name, anything_else_is_refused_never_cut) {
    expect_refused("", 0, "empty");
    expect_refused("0123456789abcdef0123456789abcdef", 32, "32 bytes: one too many");
    expect_refused("ab\ncd", 5, "a control byte");
    expect_refused("ab\x7f", 3, "DEL");
    expect_refused("ab\x80", 3, "not ASCII");
    expect_refused("\xff", 1, "not ASCII, first byte");
    expect_refused("ab\0cd", 5, "a byte after the NUL");
    expect_refused("ab\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0z", 32,
                   "the 32nd byte after the NUL");
    expect_refused("\0b", 2, "a NUL first, a byte after it");
}
