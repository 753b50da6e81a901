/*
 * Helpers of the IPC scenarios: the name service that the program `names` runs on the test
 * runner's endpoint (every other program holds it in IPC_SLOT_BOOT: send + grant, badged
 * with its client id), and checks.
 *
 * Protocol (labels of calls on IPC_SLOT_BOOT):
 *   NS_REGISTER  w0 = name, carries a capability: names keeps it under that name
 *   NS_LOOKUP    w0 = name: the reply carries a send + grant copy of the registered
 *                capability badged with the caller's own boot badge, or has label
 *                NS_NOT_FOUND and no capability
 * A name is up to 8 characters packed in a word (ns_name).
 */
#pragma once

#include <ipc/ipc_user.h>

#include "test.h"

#define NS_REGISTER  1u
#define NS_LOOKUP    2u
#define NS_OK        0u
#define NS_NOT_FOUND 1u
#define NS_REFUSED   2u

/* name packed little-endian in a word (at most 8 characters kept). */
static inline uint64_t ns_name(const char *name) {
    uint64_t w = 0;
    for (unsigned i = 0; i < 8 && name[i]; i++) {
        w |= (uint64_t)(uint8_t)name[i] << (8 * i);
    }
    return w;
}

/* Prints why and exits with a failure (the kernel's verdict will say FAILED). */
static inline _Noreturn void ipc_test_die(const char *what, uint64_t err) {
    ipc_printf("  %s: %s\n", what, ipc_strerror(err));
    ipc_exit(3);
}

/* Registers the capability in slot under name with names, or dies. */
static inline void ns_register(const char *name, uint64_t slot) {
    ipc_msg_t m = {.info = ipc_info_cap(NS_REGISTER, 1, slot), .w = {ns_name(name)}};
    ipc_err_t e = ipc_call(IPC_SLOT_BOOT, &m);
    if (e != IPC_OK || ipc_info_label(m.info) != NS_OK) {
        ipc_test_die("registering with names", e);
    }
}

/* Makes an endpoint in IPC_SLOT_FREE and registers it under name; returns the slot, or
 * dies. */
static inline uint64_t ns_serve(const char *name) {
    ipc_err_t e = ipc_endpoint_create(IPC_SLOT_FREE);
    if (e != IPC_OK) {
        ipc_test_die("creating an endpoint", e);
    }
    ns_register(name, IPC_SLOT_FREE);
    return IPC_SLOT_FREE;
}

/* The slot of a send capability to what name was registered with, badged with our boot
 * badge; waits (yielding) until it is registered, or dies. */
static inline uint64_t ns_lookup(const char *name) {
    for (unsigned tries = 0; tries < 100000; tries++) {
        ipc_msg_t m = {.info = ipc_info(NS_LOOKUP, 1), .w = {ns_name(name)}};
        ipc_err_t e = ipc_call(IPC_SLOT_BOOT, &m);
        if (e != IPC_OK) {
            ipc_test_die("looking up a name", e);
        }
        if (m.info & IPC_INFO_CAP) {
            return ipc_info_slot(m.info);
        }
        ipc_yield();
    }
    ipc_test_die("name never registered", IPC_OK);
}
