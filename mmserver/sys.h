/*
 * mmserver's side of the kernel, for the real program only (not host-tested: every call
 * here is a syscall): the privileged calls of ipc/mmpriv.h behind mmproc's kernel hooks,
 * and the IPC port of the receive loop.
 *
 * A privileged call the kernel must not refuse (flush, unregister, destroy, releasing a
 * dead thread's capability, moving a capability mmserver holds) is checked all the same:
 * a refusal means mmserver's records and the kernel's disagree, a broken invariant, and
 * mmserver says which call for which program and stops the machine (status 1).
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
    uint64_t carry;   /* the endpoint that came with the last message, until the next */
    bool carrying;    /* carry holds one */
    const mmp_t *p;   /* program names for messages (may be NULL) */
} mmp_sys_t;

/* The first slot of the clients' thread capabilities: above every slot a message can
 * bring a capability to. */
#define MMP_SYS_THREAD_SLOTS (IPC_INFO_SLOT_MASK + 1)

/* Sets s up from the checked block b; false if b leaves no room below
 * MMP_SYS_THREAD_SLOTS for the scratch and the carry slot. */
bool mmp_sys_init(mmp_sys_t *s, const mmboot_t *b);

/* The kernel hooks over the privileged calls, with s as their context. */
void mmp_sys_kernel(mmp_sys_t *s, mmp_kernel_t *k);

/* The loop's port over mmserver's endpoint, with s as their context. A capability that
 * comes with a message is kept in the carry slot (an endpoint, for MM_SPAWN) or deleted
 * at once (anything else); the kept one is deleted before the next message. */
void mmp_sys_port(mmp_sys_t *s, mmp_port_t *port);

/* Says what broke (call, for client, the kernel's error) and stops the machine with
 * status 1 through the halt capability; exits if even that is refused. */
_Noreturn void mmp_sys_broken(const mmp_sys_t *s, const char *call, uint32_t client, uint64_t err);
