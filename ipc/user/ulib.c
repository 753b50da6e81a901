/*
 * The user library's small parts: the connection to mmserver, printf, puts, exit
 * (ipc/ulib.h). The heap is in malloc.c.
 */
#include <ipc/ulib.h>

/* See ipc/ulib.h. */
mm_conn_t *mm_self(void) {
    static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
    static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};
    return &conn;
}

/* See ipc/ulib.h. */
int printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = ipc_vprintf(fmt, ap);
    va_end(ap);
    return (int)n;
}

/* See ipc/ulib.h. */
int puts(const char *s) {
    return printf("%s\n", s);
}

/* See ipc/ulib.h. */
_Noreturn void exit(int status) {
    ipc_exit(status);
}
