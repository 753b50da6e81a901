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
    return failures;
}
