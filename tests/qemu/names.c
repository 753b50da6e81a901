/*
 * names: the name service of ipc_test.h, an ordinary program. The test runner starts it
 * with MM_SPAWN_SERVE, so its MM_SLOT_BOOT holds the runner's endpoint with every right and
 * no badge, while every other program of the image holds it with send + grant, badged with
 * its client id. Servers register an endpoint under a name, clients look it up and get a
 * copy badged with their own identity, so a server can tell its clients apart by badge. It
 * never ends; the runner expects it to be still serving when the others are done.
 */
#include "ipc_test.h"

#define NS_MAX   16u
#define NS_SPARE 31u /* where a badged copy waits for the reply */

static struct {
    uint64_t name;
    uint64_t slot;
} names[NS_MAX];
static unsigned count;

/* Keeps the capability m carries under name m->w[0]; the reply's label. */
static uint64_t ns_do_register(const ipc_msg_t *m) {
    if (!(m->info & IPC_INFO_CAP) || count == NS_MAX) {
        return NS_REFUSED;
    }
    names[count].name = m->w[0];
    names[count].slot = ipc_info_slot(m->info);
    count++;
    return NS_OK;
}

/* The reply to a lookup by the sender with badge: a copy of the capability registered
 * under m->w[0], badged so, in NS_SPARE. */
static uint64_t ns_do_lookup(const ipc_msg_t *m) {
    for (unsigned i = 0; i < count; i++) {
        if (names[i].name == m->w[0] &&
            ipc_cap_copy(names[i].slot, NS_SPARE, IPC_RIGHT_SEND | IPC_RIGHT_GRANT, m->badge) ==
                IPC_OK) {
            return ipc_info_cap(NS_OK, 0, NS_SPARE);
        }
    }
    return ipc_info(NS_NOT_FOUND, 0);
}

/* Serves registrations and look-ups forever. */
int main(void) {
    for (;;) {
        ipc_msg_t m;
        ipc_err_t e = ipc_recv(IPC_SLOT_BOOT, &m);
        if (e != IPC_OK) {
            ipc_printf("  names: recv: %s\n", ipc_strerror(e));
            continue;
        }
        uint64_t label = ipc_info_label(m.info);
        if (label == NS_REGISTER) {
            m.info = ipc_info(ns_do_register(&m), 0);
        } else if (label == NS_LOOKUP) {
            m.info = ns_do_lookup(&m);
        } else {
            m.info = ipc_info(NS_REFUSED, 0);
        }
        ipc_reply(&m);
        ipc_cap_delete(NS_SPARE);
    }
}
