/*
 * Stopping a thread in every state it can be in, and faults as messages: the stopped
 * thread leaves every queue, its partners get errors instead of waiting forever, and its
 * thread capabilities go stale. A fault reaches the handler as a call with the fault's
 * fields; a reply resumes the thread untouched; without a handler the core says so.
 */
#include "kt.h"

Test(kill, ready_thread_leaves_the_ready_queue) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kern_tcb_stop(&x.client);
    cr_assert_eq(x.client.state, KERN_TCB_INACTIVE);
    cr_assert_eq(kt_drain_ready(), 1, "only the server is left to run");
}

Test(kill, blocked_sender_leaves_the_endpoint) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    kern_tcb_stop(&x.client);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.state, KERN_TCB_BLOCKED_RECV, "the dead sender's message is gone");
}

Test(kill, blocked_receiver_leaves_the_endpoint) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    kern_tcb_stop(&x.server);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_OK);
    cr_assert_eq(x.client.state, KERN_TCB_BLOCKED_SEND, "nobody receives any more");
}

Test(kill, caller_waiting_for_reply_makes_the_reply_fail) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    kern_tcb_stop(&x.client);
    cr_assert_null(x.server.reply_to);
    kt_msg(&x.server, 0, 0, NULL);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_ERR_NO_REPLY, "reply after the caller died");
}

Test(kill, server_holding_the_reply_right_aborts_the_call) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    kern_tcb_stop(&x.server);
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_eq(x.client.out, KERN_OUT_ERR);
    cr_assert_eq(x.client.err, IPC_ERR_ABORTED);
}

Test(kill, second_call_received_before_replying_aborts_the_first) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kern_tcb_t other;
    kt_proc_t op = {0};
    kt_thread(&other, &op, 5);
    kt_give(&x.sp, 3, &op, 3, IPC_RIGHT_SEND, 12);
    kt_msg(&x.client, 1, 0, NULL);
    kt_msg(&other, 1, 0, NULL);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    cr_assert_eq(kern_ipc_call(&other, 3), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.client.err, IPC_ERR_ABORTED, "one reply right at a time");
    cr_assert_eq(x.server.reply_to, &other);
}

Test(kill, destroying_an_endpoint_wakes_its_waiters) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    kern_cspace_clear(&x.sp.cs);
    cr_assert_eq(kern_ep_live(), 1, "the client's capability keeps it");
    kern_cspace_clear(&x.cp.cs);
    cr_assert_eq(kern_ep_live(), 0);
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_eq(x.client.err, IPC_ERR_ABORTED);
}

/* Makes the client's fault endpoint the server's endpoint (badge 11) and faults it. */
static void fault_client(kt_pair_t *x) {
    kern_tcb_set_fault_ep(&x->client, kt_slot(&x->cp.cs, 3));
    kern_ipc_fault_msg(&x->client.msg, IPC_FAULT_PAGE, IPC_ACCESS_WRITE, 14, 0x1000, 0x400123, 6);
    cr_assert(kern_ipc_fault(&x->client));
}

Test(fault, reaches_the_handler_and_a_reply_resumes) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    fault_client(&x);
    cr_assert_eq(x.client.state, KERN_TCB_BLOCKED_REPLY);
    const kern_msg_t *m = &x.server.msg;
    cr_assert_eq(ipc_info_label(m->info), IPC_LABEL_FAULT);
    cr_assert_eq(ipc_info_length(m->info), IPC_FAULT_LENGTH);
    cr_assert_eq(m->badge, 11);
    cr_assert_eq(ipc_fault_kind(m->words[IPC_FAULT_W_INFO]), IPC_FAULT_PAGE);
    cr_assert_eq(ipc_fault_access(m->words[IPC_FAULT_W_INFO]), IPC_ACCESS_WRITE);
    cr_assert_eq(ipc_fault_vector(m->words[IPC_FAULT_W_INFO]), 14);
    cr_assert_eq(m->words[IPC_FAULT_W_ADDR], 0x1000);
    cr_assert_eq(m->words[IPC_FAULT_W_PC], 0x400123);
    cr_assert_eq(m->words[IPC_FAULT_W_CODE], 6);
    kt_msg(&x.server, 0, 0, NULL);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_OK);
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_eq(x.client.out, KERN_OUT_NONE, "registers untouched: the instruction reruns");
}

Test(fault, handler_kills_the_faulter) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kern_cap_t th = kern_cap_thread(&x.client);
    cr_assert_eq(kern_cap_insert(&x.sp.cs, 4, &th), IPC_OK);
    fault_client(&x);
    cr_assert_eq(x.client.state, KERN_TCB_BLOCKED_SEND, "queued until the handler receives");
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    kern_cap_t *c;
    cr_assert_eq(kern_cap_lookup(&x.sp.cs, 4, IPC_CAP_THREAD, 0, &c), IPC_OK);
    kern_tcb_stop(c->obj);
    cr_assert_eq(x.client.state, KERN_TCB_INACTIVE);
    kt_msg(&x.server, 0, 0, NULL);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_ERR_NO_REPLY);
    cr_assert_eq(kern_cap_lookup(&x.sp.cs, 4, IPC_CAP_THREAD, 0, &c), IPC_ERR_INVALID_CAP);
}

Test(fault, without_handler_the_core_says_so) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kern_ipc_fault_msg(&x.client.msg, IPC_FAULT_ILLEGAL, 0, 6, 0, 0x400000, 0);
    cr_assert_not(kern_ipc_fault(&x.client));
    cr_assert_eq(x.client.state, KERN_TCB_READY, "the caller stops and reports it");
}

Test(fault, handler_dying_resumes_the_faulter_untouched) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    fault_client(&x);
    kern_tcb_stop(&x.server);
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_eq(x.client.out, KERN_OUT_NONE, "no error written into a faulted thread");
}

Test(fault, fault_endpoint_keeps_the_endpoint_alive) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 11);
    kern_tcb_set_fault_ep(&x.client, kt_slot(&x.cp.cs, 3));
    kern_cspace_clear(&x.sp.cs);
    kern_cspace_clear(&x.cp.cs);
    cr_assert_eq(kern_ep_live(), 1);
    kern_tcb_stop(&x.client);
    cr_assert_eq(kern_ep_live(), 0, "stopping the thread drops its fault endpoint");
}
