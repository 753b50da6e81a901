/*
 * Message transfer: rendezvous in both orders, FIFO queues, badges, call and the one-shot
 * reply right, reply_recv, capability transfer with and without the grant right, and the
 * checks on what a message may carry.
 */
#include "kt.h"

Test(ipc, send_waits_for_receiver_then_moves_words_and_badge) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 42);
    const uint64_t w[6] = {1, 2, 3, 4, 5, 6};
    kt_msg(&x.client, 9, 6, w);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_OK);
    cr_assert_eq(x.client.state, KERN_TCB_BLOCKED_SEND);
    cr_assert_eq(x.client.out, KERN_OUT_NONE);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.state, KERN_TCB_READY, "a waiting sender: no block");
    cr_assert_eq(x.server.out, KERN_OUT_MSG);
    cr_assert_eq(x.server.msg.badge, 42);
    cr_assert_eq(ipc_info_label(x.server.msg.info), 9);
    cr_assert_eq(ipc_info_length(x.server.msg.info), 6);
    cr_assert_arr_eq(x.server.msg.words, w, sizeof(w));
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_eq(x.client.out, KERN_OUT_ERR);
    cr_assert_eq(x.client.err, IPC_OK);
}

Test(ipc, receiver_waits_for_sender) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 7);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.state, KERN_TCB_BLOCKED_RECV);
    const uint64_t w[1] = {0xabc};
    kt_msg(&x.client, 1, 1, w);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_OK);
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_eq(x.server.state, KERN_TCB_READY);
    cr_assert_eq(x.server.msg.words[0], 0xabc);
    cr_assert_eq(x.server.msg.badge, 7);
}

Test(ipc, many_clients_queue_in_order_with_their_badges) {
    kt_proc_t sp = {0}, cp[4] = {0};
    kern_tcb_t server, client[4];
    kt_thread(&server, &sp, 5);
    kt_endpoint(&sp, 3);
    for (unsigned i = 0; i < 4; i++) {
        kt_thread(&client[i], &cp[i], 5);
        kt_give(&sp, 3, &cp[i], 3, IPC_RIGHT_SEND, 100 + i);
        const uint64_t w[1] = {i};
        kt_msg(&client[i], 2, 1, w);
        cr_assert_eq(kern_ipc_call(&client[i], 3), IPC_OK);
        cr_assert_eq(client[i].state, KERN_TCB_BLOCKED_SEND);
    }
    for (unsigned i = 0; i < 4; i++) {
        cr_assert_eq(kern_ipc_recv(&server, 3), IPC_OK);
        cr_assert_eq(server.msg.badge, 100 + i, "FIFO order and distinct badges");
        cr_assert_eq(server.msg.words[0], i);
        cr_assert_eq(client[i].state, KERN_TCB_BLOCKED_REPLY);
        server.msg.info = ipc_info(0, 1);
        server.msg.words[0] = server.msg.badge * 2;
        cr_assert_eq(kern_ipc_reply(&server), IPC_OK);
        cr_assert_eq(client[i].state, KERN_TCB_READY);
        cr_assert_eq(client[i].msg.words[0], (100 + i) * 2);
        cr_assert_eq(client[i].msg.badge, 0, "a reply carries no badge");
    }
}

Test(ipc, reply_right_is_one_shot) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    cr_assert_eq(x.client.state, KERN_TCB_BLOCKED_REPLY);
    cr_assert_eq(x.server.reply_to, &x.client);
    kt_msg(&x.server, 5, 0, NULL);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_OK);
    cr_assert_eq(ipc_info_label(x.client.msg.info), 5);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_ERR_NO_REPLY, "second reply");
    cr_assert_eq(x.server.out, KERN_OUT_ERR);
    cr_assert_eq(x.server.err, IPC_ERR_NO_REPLY);
}

Test(ipc, reply_without_call_is_refused) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_ERR_NO_REPLY, "a plain send gives no reply right");
}

Test(ipc, call_hands_the_cpu_to_the_receiver_and_reply_recv_back) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    kern_tcb_t *cur = kern_sched_choose(NULL, false);
    cr_assert_eq(cur, &x.server);
    kt_msg(&x.server, 0, 0, NULL);
    cr_assert_eq(kern_ipc_reply_recv(&x.server, 3), IPC_OK, "first reply_recv: only receives");
    cur = kern_sched_choose(cur, false);
    cr_assert_eq(cur, &x.client);
    kt_msg(&x.client, 3, 0, NULL);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    cur = kern_sched_choose(cur, false);
    cr_assert_eq(cur, &x.server, "the call switches to the receiver");
    kt_msg(&x.server, 4, 0, NULL);
    cr_assert_eq(kern_ipc_reply_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.state, KERN_TCB_BLOCKED_RECV);
    cur = kern_sched_choose(cur, false);
    cr_assert_eq(cur, &x.client, "reply_recv switches back to the caller");
    cr_assert_eq(ipc_info_label(x.client.msg.info), 4);
}

Test(ipc, reply_recv_with_waiting_sender_keeps_running) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    kern_tcb_t other;
    kt_proc_t op = {0};
    kt_thread(&other, &op, 5);
    kt_give(&x.sp, 3, &op, 3, IPC_RIGHT_SEND, 2);
    kt_msg(&x.client, 0, 0, NULL);
    kt_msg(&other, 0, 0, NULL);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    cr_assert_eq(kern_ipc_call(&other, 3), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.msg.badge, 1);
    kt_msg(&x.server, 0, 0, NULL);
    cr_assert_eq(kern_ipc_reply_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.state, KERN_TCB_READY);
    cr_assert_eq(x.server.msg.badge, 2, "took the next caller at once");
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_eq(x.server.reply_to, &other);
}

Test(ipc, endpoint_rights_are_checked) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    cr_assert_eq(kern_ipc_recv(&x.client, 3), IPC_ERR_NO_RIGHTS, "recv on a send-only cap");
    cr_assert_eq(kern_ipc_reply_recv(&x.client, 3), IPC_ERR_NO_RIGHTS);
    kern_cap_t *c;
    cr_assert_eq(kern_cap_lookup(&x.sp.cs, 3, IPC_CAP_ENDPOINT, 0, &c), IPC_OK);
    kt_give(&x.sp, 3, &x.cp, 4, IPC_RIGHT_RECV, 0);
    kt_msg(&x.client, 0, 0, NULL);
    cr_assert_eq(kern_ipc_send(&x.client, 4), IPC_ERR_NO_RIGHTS, "send on a recv-only cap");
    cr_assert_eq(kern_ipc_call(&x.client, 4), IPC_ERR_NO_RIGHTS);
    cr_assert_eq(kern_ipc_send(&x.client, 30), IPC_ERR_INVALID_CAP);
    cr_assert_eq(kern_ipc_send(&x.client, 1ull << 40), IPC_ERR_INVALID_CAP);
    cr_assert_eq(x.client.state, KERN_TCB_READY, "errors never block");
}

Test(ipc, kernel_label_and_overlong_messages_are_refused) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    kt_msg(&x.client, IPC_LABEL_FAULT, 0, NULL);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_ERR_INVALID_ARGUMENT, "forged fault label");
    x.client.msg.info = ipc_info(1, IPC_MSG_MAX_WORDS + 1);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_ERR_INVALID_ARGUMENT);
}

Test(ipc, capability_moves_only_with_grant) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    kt_endpoint(&x.cp, 5); /* the client's own endpoint, offered to the server */
    x.client.msg.info = ipc_info_cap(1, 0, 5);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_ERR_NO_RIGHTS, "no grant right");
    kt_give(&x.sp, 3, &x.cp, 4, IPC_RIGHT_SEND | IPC_RIGHT_GRANT, 9);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(kern_ipc_call(&x.client, 4), IPC_OK);
    cr_assert(x.server.msg.info & IPC_INFO_CAP);
    uint64_t got = ipc_info_slot(x.server.msg.info);
    cr_assert_eq(got, IPC_SLOT_FREE + 1, "lowest free slot (3 holds the endpoint)");
    cr_assert_eq((*kt_slot(x.server.cspace, got)).obj, (*kt_slot(&x.cp.cs, 5)).obj);
    cr_assert_eq((*kt_slot(&x.cp.cs, 5)).kind, IPC_CAP_ENDPOINT, "the sender keeps its copy");
    /* the reply may carry a capability back: the call used a grant capability */
    kt_endpoint(&x.sp, 6);
    x.server.msg.info = ipc_info_cap(2, 0, 6);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_OK);
    cr_assert(x.client.msg.info & IPC_INFO_CAP);
    cr_assert_eq((*kt_slot(&x.cp.cs, ipc_info_slot(x.client.msg.info))).obj,
                 (*kt_slot(&x.sp.cs, 6)).obj);
}

Test(ipc, reply_cannot_carry_a_capability_without_grant) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 1);
    kt_msg(&x.client, 1, 0, NULL);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(kern_ipc_call(&x.client, 3), IPC_OK);
    kt_endpoint(&x.sp, 6);
    x.server.msg.info = ipc_info_cap(2, 0, 6);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_ERR_NO_RIGHTS);
    cr_assert_eq(x.client.state, KERN_TCB_BLOCKED_REPLY, "the refused reply changed nothing");
    kt_msg(&x.server, 2, 0, NULL);
    cr_assert_eq(kern_ipc_reply(&x.server), IPC_OK);
}

Test(ipc, full_table_receives_the_message_without_the_capability) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND | IPC_RIGHT_GRANT, 1);
    for (unsigned i = IPC_SLOT_FREE; i <= IPC_INFO_SLOT_MASK; i++) { /* every slot it names */
        if ((*kt_slot(&x.sp.cs, i)).kind == IPC_CAP_NONE) {
            kt_give(&x.sp, 3, &x.sp, i, IPC_RIGHT_SEND, 0);
        }
    }
    x.client.msg.info = ipc_info_cap(1, 0, 3);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cr_assert_eq(x.server.msg.info & IPC_INFO_CAP, 0, "no room: the info says no capability");
    cr_assert_eq(ipc_info_label(x.server.msg.info), 1);
}

Test(fast, call_and_reply_recv_do_the_same_bookkeeping) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 5);
    cr_assert_null(kern_ipc_fast_call(&x.client, kt_slot(&x.cp.cs, 3)), "nobody waits yet");
    cr_assert_eq(x.client.state, KERN_TCB_READY, "a refused fast path changed nothing");
    kern_tcb_t *cur = kern_sched_choose(NULL, false);
    cr_assert_eq(cur, &x.server);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    cur = kern_sched_choose(cur, false);
    cr_assert_eq(cur, &x.client);
    cr_assert_eq(kern_ipc_fast_call(&x.client, kt_slot(&x.cp.cs, 3)), &x.server);
    cr_assert_eq(x.client.state, KERN_TCB_BLOCKED_REPLY);
    cr_assert_eq(x.server.state, KERN_TCB_READY);
    cr_assert_not(x.server.queued, "it runs next: no pass over the queues");
    cr_assert_eq(x.server.reply_to, &x.client);
    cr_assert_null(kern_ipc_fast_reply_recv(&x.client, kt_slot(&x.cp.cs, 3)), "no reply right");
    cr_assert_eq(kern_ipc_fast_reply_recv(&x.server, kt_slot(&x.sp.cs, 3)), &x.client);
    cr_assert_eq(x.server.state, KERN_TCB_BLOCKED_RECV);
    cr_assert_eq(x.client.state, KERN_TCB_READY);
    cr_assert_null(x.server.reply_to);
    cr_assert_eq(kt_drain_ready(), 0, "both ran directly, nobody was queued");
}

Test(fast, leaves_higher_priority_to_the_slow_path_and_resumes_a_fault) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 5);
    kern_tcb_t *cur = kern_sched_choose(NULL, false);
    cr_assert_eq(kern_ipc_recv(cur, 3), IPC_OK);
    kern_tcb_t hi;
    kt_thread(&hi, &x.cp, 9); /* a ready thread above the server */
    cr_assert_null(kern_ipc_fast_call(&x.client, kt_slot(&x.cp.cs, 3)));
    kern_tcb_stop(&hi);
    kern_tcb_set_fault_ep(&x.client, kt_slot(&x.cp.cs, 3));
    kern_ipc_fault_msg(&x.client.msg, IPC_FAULT_PAGE, IPC_ACCESS_READ, 14, 0, 0, 0);
    cr_assert(kern_ipc_fault(&x.client));
    cr_assert_eq(kern_sched_choose(NULL, false), &x.server, "the handler runs");
    cr_assert(kern_ipc_fast_resumes(&x.server), "the handler holds a faulted caller's right");
    cr_assert_eq(kern_ipc_fast_reply_recv(&x.server, kt_slot(&x.sp.cs, 3)), &x.client,
                 "a fault reply takes the fast path");
    cr_assert(!x.client.fault && x.client.state == KERN_TCB_READY && !x.client.call,
              "the faulted thread resumes, its fault answered");
    cr_assert_not(kern_ipc_fast_resumes(&x.server), "and the right is gone");
}
