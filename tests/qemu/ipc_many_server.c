/* The server of ipc_many.h. */
#include "ipc_many.h"

#define EP IPC_SLOT_FREE /* ns_serve puts the endpoint there */

typedef struct many_seen {
    uint64_t badge, tag;
    unsigned calls;
} many_seen_t;

static many_seen_t seen[MANY_CLIENTS];
static unsigned clients;

/* Records a call by badge with tag; the checks fail on a badge with two tags, a tag
 * with two badges, or too many clients. */
static void record(int *failures, uint64_t badge, uint64_t tag) {
    for (unsigned i = 0; i < clients; i++) {
        if (seen[i].badge == badge || seen[i].tag == tag) {
            TEST_CHECK(failures, seen[i].badge == badge && seen[i].tag == tag,
                       "badge %llu tag %c vs badge %llu tag %c", (unsigned long long)badge,
                       (char)tag, (unsigned long long)seen[i].badge, (char)seen[i].tag);
            seen[i].calls++;
            return;
        }
    }
    TEST_CHECK(failures, clients < MANY_CLIENTS && badge != 0, "client %u with badge %llu", clients,
               (unsigned long long)badge);
    if (clients < MANY_CLIENTS) {
        seen[clients++] = (many_seen_t){badge, tag, 1};
    }
}

/* Serves MANY_CLIENTS * MANY_CALLS calls, then checks the counts. */
int main(void) {
    int failures = 0;
    ns_serve("many");
    ipc_msg_t m;
    ipc_err_t e = ipc_recv(EP, &m);
    for (unsigned n = 0; n < MANY_CLIENTS * MANY_CALLS && e == IPC_OK; n++) {
        record(&failures, m.badge, m.w[0]);
        m.info = ipc_info(MANY_LABEL, 1);
        m.w[0] = m.badge;
        e = n + 1 < MANY_CLIENTS * MANY_CALLS ? ipc_reply_recv(EP, &m) : ipc_reply(&m);
    }
    TEST_CHECK(&failures, e == IPC_OK, "serving: %s", ipc_strerror(e));
    for (unsigned i = 0; i < clients; i++) {
        TEST_CHECK(&failures, seen[i].calls == MANY_CALLS, "client %c: %u calls", (char)seen[i].tag,
                   seen[i].calls);
    }
    TEST_CHECK(&failures, clients == MANY_CLIENTS, "%u clients", clients);
    return failures;
}
