/*
 * User-side IPC calls (ipc/ipc_user.h): thin wrappers over the two stubs, ipc_msg_syscall
 * for the message syscalls and ipc_syscall for the rest.
 */
#include <ipc/ipc_user.h>

/* See ipc/ipc_user.h. */
ipc_err_t ipc_send(uint64_t slot, ipc_msg_t *m) {
    return (ipc_err_t)ipc_msg_syscall(IPC_SYS_SEND, slot, m);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_recv(uint64_t slot, ipc_msg_t *m) {
    return (ipc_err_t)ipc_msg_syscall(IPC_SYS_RECV, slot, m);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_call(uint64_t slot, ipc_msg_t *m) {
    return (ipc_err_t)ipc_msg_syscall(IPC_SYS_CALL, slot, m);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_reply(ipc_msg_t *m) {
    return (ipc_err_t)ipc_msg_syscall(IPC_SYS_REPLY, 0, m);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_reply_recv(uint64_t slot, ipc_msg_t *m) {
    return (ipc_err_t)ipc_msg_syscall(IPC_SYS_REPLY_RECV, slot, m);
}

/* A syscall of ipc/ipc.h that answers with an error only. */
static ipc_err_t sys(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
    return (ipc_err_t)ipc_syscall(nr, a0, a1, a2, a3, 0, 0).err;
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_endpoint_create(uint64_t slot) {
    return sys(IPC_SYS_ENDPOINT_CREATE, slot, 0, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_cap_copy(uint64_t src, uint64_t dst, uint32_t rights, uint64_t badge) {
    return sys(IPC_SYS_CAP_COPY, src, dst, rights, badge);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_cap_delete(uint64_t slot) {
    return sys(IPC_SYS_CAP_DELETE, slot, 0, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_ret_t ipc_cap_identify(uint64_t slot) {
    return ipc_syscall(IPC_SYS_CAP_IDENTIFY, slot, 0, 0, 0, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_thread_kill(uint64_t slot) {
    return sys(IPC_SYS_THREAD_KILL, slot, 0, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_thread_set_fault(uint64_t slot, uint64_t ep_slot) {
    return sys(IPC_SYS_THREAD_SET_FAULT, slot, ep_slot, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_thread_set_priority(uint64_t slot, uint32_t prio) {
    return sys(IPC_SYS_THREAD_SET_PRIORITY, slot, prio, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_set_ipc_buffer(ipc_buffer_t *b) {
    return sys(IPC_SYS_SET_IPC_BUFFER, (uint64_t)(uintptr_t)b, 0, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_null(void) {
    return sys(IPC_SYS_NULL, 0, 0, 0, 0);
}

/* See ipc/ipc_user.h. */
ipc_err_t ipc_halt(uint64_t slot, uint64_t status) {
    return sys(IPC_SYS_HALT, slot, status, 0, 0);
}
