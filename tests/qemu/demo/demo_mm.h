/*
 * What the memory demo programs (memory, writer, reader, wild) share: the connection to
 * mmserver, the names of its typed errors, and what the writer's buffer carries; it
 * travels by the rendezvous of tests/qemu/mm_share.h.
 */
#pragma once

#include <ipc/mm_client.h>
#include <ipc/user.h>

#include "../mm_share.h"

#define DEMO_SHARE_TEXT   "hello from the writer, through one shared frame"
#define DEMO_SHARE_ANSWER 0xa115ed0c0ffee00ull

static mm_ipc_t demo_ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t demo_conn = {mm_ipc_call, &demo_ipc, 0, 0};

/* The name of a reply's error (ipc/mm.h), as the demo prints it. */
static inline const char *demo_err(mm_err_t e) {
    static const char *const names[] = {
        "OK",     "INVAL",      "ALIGN", "OVERFLOW", "RANGE",  "WX",        "PERM",
        "EXISTS", "NOT_MAPPED", "QUOTA", "NOMEM",    "DENIED", "NO_CLIENT",
    };
    return e < sizeof(names) / sizeof(names[0]) ? names[e] : e == MM_ERR_IPC ? "IPC" : "?";
}

/* "rwx" letters of perm (MM_PERM_*), in buf. */
static inline const char *demo_perm(uint32_t perm, char buf[4]) {
    buf[0] = perm & MM_PERM_R ? 'r' : '-';
    buf[1] = perm & MM_PERM_W ? 'w' : '-';
    buf[2] = perm & MM_PERM_X ? 'x' : '-';
    buf[3] = 0;
    return buf;
}
