/* The client of the ping-pong (ipc_pingpong.h). */
#include "ipc_pingpong.h"

/* PP_ROUNDS calls; every reply must answer its own call. */
static void rounds(int *failures, uint64_t ep) {
    uint64_t badge = 0;
    for (unsigned i = 0; i < PP_ROUNDS; i++) {
        ipc_msg_t m = {.info = ipc_info(PP_LABEL, 4), .w = {i, 0, 0, ~(uint64_t)i}};
        ipc_err_t e = ipc_call(ep, &m);
        if (e != IPC_OK) {
            TEST_CHECK(failures, e == IPC_OK, "call %u: %s", i, ipc_strerror(e));
            return;
        }
        badge = i == 0 ? m.w[1] : badge;
        TEST_CHECK(failures, ipc_info_label(m.info) == PP_LABEL + 1 && m.w[0] == i * 2,
                   "reply %u: label %llu w0 %llu", i, (unsigned long long)ipc_info_label(m.info),
                   (unsigned long long)m.w[0]);
        TEST_CHECK(failures, m.w[1] == badge && badge != 0, "the server saw badge %llu",
                   (unsigned long long)m.w[1]);
    }
}

/* One call of PP_LONG words through the IPC buffers. */
static void long_message(int *failures, uint64_t ep) {
    ipc_msg_t m = {.info = ipc_info(PP_LABEL, PP_LONG)};
    for (unsigned i = 0; i < PP_LONG; i++) {
        pp_set(&m, i, pp_word(i));
    }
    ipc_err_t e = ipc_call(ep, &m);
    TEST_CHECK(failures, e == IPC_OK && ipc_info_length(m.info) == PP_LONG, "long call: %s",
               ipc_strerror(e));
    for (unsigned i = 0; i < PP_LONG && e == IPC_OK; i++) {
        TEST_CHECK(failures, pp_get(&m, i) == pp_word(i) + 1, "long answer word %u", i);
    }
}

/* The buffer-gone rounds (ipc_pingpong.h), the caller's side. */
static void gone(int *failures, uint64_t ep) {
    ipc_msg_t m = {.info = ipc_info(PP_LABEL, PP_LONG)};
    for (unsigned i = 0; i < PP_LONG; i++) {
        pp_set(&m, i, pp_word(i));
    }
    ipc_err_t e = ipc_call(ep, &m); /* the server's buffer is gone */
    TEST_CHECK(failures, e == IPC_OK, "long call to a server without a buffer: %s",
               ipc_strerror(e));
    mm_err_t me = pp_buffer_page(true);
    TEST_CHECK(failures, me == MM_OK, "unmapping the caller's buffer page: %s", mm_strerror(me));
    m = (ipc_msg_t){.info = ipc_info(PP_LABEL, 2), .w = {1, 2}};
    e = ipc_call(ep, &m);
    TEST_CHECK(failures, e == IPC_OK && ipc_info_length(m.info) == IPC_MSG_REGS,
               "long reply, caller's buffer gone: %s, len %llu (want the %u register words)",
               ipc_strerror(e), (unsigned long long)ipc_info_length(m.info), IPC_MSG_REGS);
    for (unsigned i = 0; i < IPC_MSG_REGS; i++) {
        TEST_CHECK(failures, m.w[i] == pp_word(i) + 2, "reply register word %u, buffer gone", i);
    }
    me = pp_buffer_page(false);
    TEST_CHECK(failures, me == MM_OK, "mapping the caller's buffer page again: %s",
               mm_strerror(me));
    m.info = ipc_info(PP_LABEL, PP_LONG);
    for (unsigned i = 0; i < PP_LONG; i++) {
        pp_set(&m, i, pp_word(i) + 3);
    }
    e = ipc_call(ep, &m);
    TEST_CHECK(failures, e == IPC_OK && ipc_info_length(m.info) == PP_LONG,
               "whole long call after the gone rounds: %s", ipc_strerror(e));
    for (unsigned i = 0; i < PP_LONG && e == IPC_OK; i++) {
        TEST_CHECK(failures, pp_get(&m, i) == pp_word(i) + 4, "whole long answer word %u", i);
    }
}

/* Finds "pingpong" and plays. */
int main(void) {
    int failures = 0;
    ipc_err_t e = ipc_set_ipc_buffer(&pp_buffer);
    if (e != IPC_OK) {
        ipc_test_die("ping set-up", e);
    }
    uint64_t ep = ns_lookup("pingpong");
    rounds(&failures, ep);
    long_message(&failures, ep);
    gone(&failures, ep);
    return failures;
}
