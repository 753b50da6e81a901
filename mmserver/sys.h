/*
 * mmserver's side of the kernel, for the real program only (not host-tested: every call
 * here is a syscall): the privileged calls of ipc/mmpriv.h behind mmproc's kernel hooks,
 * and the IPC port of the receive loop.
 */
#pragma once

#include <ipc/ipc_user.h>
#include <ipc/mmpriv.h>
#include <mmserver/proc.h>

/* What the hooks need: the boot block's slots and mmserver's IPC buffer. */
typedef struct mmp_sys {
    const mmboot_t *boot;
    ipc_buffer_t *buffer;
    uint64_t scratch; /* a slot kept empty between calls, for badged copies */
} mmp_sys_t;

/* Sets s up from the checked block b; false if b leaves too few free slots (one per client
 * for its thread capability, one scratch). */
bool mmp_sys_init(mmp_sys_t *s, const mmboot_t *b);

/* The kernel hooks over the privileged calls, with s as their context. */
void mmp_sys_kernel(mmp_sys_t *s, mmp_kernel_t *k);

/* The loop's port over mmserver's endpoint, with s as its context. */
void mmp_sys_port(mmp_sys_t *s, mmp_port_t *port);
