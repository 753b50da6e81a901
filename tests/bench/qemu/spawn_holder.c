/* A process mm_bench keeps alive while it times spawn_exit with many processes live: it waits
 * on the endpoint it was given (MM_SLOT_BOOT, every right: spawned with MM_SPAWN_SERVE) until
 * mm_bench lets it go, then ends. */
#include <ipc/ipc_user.h>
#include <ipc/mm.h>

int main(void) {
    ipc_msg_t m = {0};
    return ipc_recv(MM_SLOT_BOOT, &m) == IPC_OK ? 0 : 1;
}
