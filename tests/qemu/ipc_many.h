/*
 * Many clients on one server, told apart by badge: MANY_CLIENTS programs (ipc_many_a,
 * _b, _c) each call the server MANY_CALLS times with their own tag, yielding in between so
 * the calls interleave. The server (ipc_many_server) checks that every badge comes with
 * one tag only, that there are MANY_CLIENTS of each, and answers each call with the badge
 * it saw; each client checks it always gets the same non-zero badge back.
 */
#pragma once

#include "ipc_test.h"

#define MANY_CLIENTS 3u
#define MANY_CALLS   50u
#define MANY_LABEL   3u

/* A client: MANY_CALLS calls tagged tag. */
static inline int many_client(uint64_t tag) {
    int failures = 0;
    uint64_t ep = ns_lookup("many"), badge = 0;
    for (unsigned i = 0; i < MANY_CALLS; i++) {
        ipc_msg_t m = {.info = ipc_info(MANY_LABEL, 2), .w = {tag, i}};
        ipc_err_t e = ipc_call(ep, &m);
        TEST_CHECK(&failures, e == IPC_OK, "call %u: %s", i, ipc_strerror(e));
        badge = i == 0 ? m.w[0] : badge;
        TEST_CHECK(&failures, m.w[0] == badge && badge != 0, "badge %llu, then %llu",
                   (unsigned long long)badge, (unsigned long long)m.w[0]);
        ipc_yield();
    }
    return failures;
}
