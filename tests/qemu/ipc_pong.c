/* The server of the ping-pong (ipc_pingpong.h). */
#include "ipc_pingpong.h"

#define EP IPC_SLOT_FREE /* ns_serve puts the endpoint there */

/* Serves PP_ROUNDS register-only calls with reply_recv. */
static void serve_rounds(int *failures, ipc_msg_t *m) {
    ipc_err_t e = ipc_recv(EP, m);
    for (unsigned i = 0; i < PP_ROUNDS && e == IPC_OK; i++) {
        TEST_CHECK(failures,
                   ipc_info_label(m->info) == PP_LABEL && m->w[0] == i && m->w[3] == ~(uint64_t)i,
                   "round %u: label %llu w0 %llu", i, (unsigned long long)ipc_info_label(m->info),
                   (unsigned long long)m->w[0]);
        m->info = ipc_info(PP_LABEL + 1, 2);
        m->w[0] = i * 2;
        m->w[1] = m->badge;
        e = i + 1 < PP_ROUNDS ? ipc_reply_recv(EP, m) : ipc_reply(m);
    }
    TEST_CHECK(failures, e == IPC_OK, "serving: %s", ipc_strerror(e));
}

/* Receives the long message, answers it, and replies a second time (refused). */
static void serve_long(int *failures, ipc_msg_t *m) {
    ipc_err_t e = ipc_recv(EP, m);
    TEST_CHECK(failures, e == IPC_OK && ipc_info_length(m->info) == PP_LONG, "long: %s, len %llu",
               ipc_strerror(e), (unsigned long long)ipc_info_length(m->info));
    for (unsigned i = 0; i < PP_LONG; i++) {
        TEST_CHECK(failures, pp_get(m, i) == pp_word(i), "long word %u", i);
        pp_set(m, i, pp_word(i) + 1);
    }
    m->info = ipc_info(PP_LABEL, PP_LONG);
    e = ipc_reply(m);
    TEST_CHECK(failures, e == IPC_OK, "long reply: %s", ipc_strerror(e));
    m->info = ipc_info(PP_LABEL, 0);
    e = ipc_reply(m);
    TEST_CHECK(failures, e == IPC_ERR_NO_REPLY, "second reply to one call: %s", ipc_strerror(e));
}

/* The buffer-gone rounds (ipc_pingpong.h): a long call arriving with this side's buffer
 * unmapped, a long reply to a caller whose buffer is gone, then a whole long round trip. */
static void serve_gone(int *failures, ipc_msg_t *m) {
    mm_err_t me = pp_buffer_page(true);
    TEST_CHECK(failures, me == MM_OK, "unmapping the server's buffer page: %s", mm_strerror(me));
    ipc_err_t e = ipc_recv(EP, m);
    TEST_CHECK(failures, e == IPC_OK && ipc_info_length(m->info) == IPC_MSG_REGS,
               "long call, server's buffer gone: %s, len %llu (want the %u register words)",
               ipc_strerror(e), (unsigned long long)ipc_info_length(m->info), IPC_MSG_REGS);
    for (unsigned i = 0; i < IPC_MSG_REGS; i++) {
        TEST_CHECK(failures, m->w[i] == pp_word(i), "register word %u with the buffer gone", i);
    }
    me = pp_buffer_page(false);
    TEST_CHECK(failures, me == MM_OK, "mapping the server's buffer page again: %s",
               mm_strerror(me));
    m->info = ipc_info(PP_LABEL, 0);
    e = ipc_reply_recv(EP, m); /* the caller now unmaps its own buffer and calls */
    TEST_CHECK(failures, e == IPC_OK, "second gone round's call: %s", ipc_strerror(e));
    for (unsigned i = 0; i < PP_LONG; i++) {
        pp_set(m, i, pp_word(i) + 2);
    }
    m->info = ipc_info(PP_LABEL, PP_LONG);
    e = ipc_reply_recv(EP, m); /* long reply to a caller without a buffer */
    TEST_CHECK(failures, e == IPC_OK && ipc_info_length(m->info) == PP_LONG,
               "whole long call after the gone rounds: %s, len %llu", ipc_strerror(e),
               (unsigned long long)ipc_info_length(m->info));
    for (unsigned i = 0; i < PP_LONG; i++) {
        TEST_CHECK(failures, pp_get(m, i) == pp_word(i) + 3, "whole long call word %u", i);
        pp_set(m, i, pp_word(i) + 4);
    }
    m->info = ipc_info(PP_LABEL, PP_LONG);
    e = ipc_reply(m);
    TEST_CHECK(failures, e == IPC_OK, "whole long reply: %s", ipc_strerror(e));
}

/* Makes the endpoint, registers it as "pingpong", serves. */
int main(void) {
    int failures = 0;
    ipc_err_t e = ipc_set_ipc_buffer(&pp_buffer);
    if (e != IPC_OK) {
        ipc_test_die("pong set-up", e);
    }
    ns_serve("pingpong");
    ipc_msg_t m;
    serve_rounds(&failures, &m);
    serve_long(&failures, &m);
    serve_gone(&failures, &m);
    return failures;
}
