/*
 * The user runtime's portable part: syscall wrappers over ipc_syscall and a buffered
 * debug print. The architecture's part (crt0, the syscall instruction) is in
 * arch/<arch>/user/.
 */
#include <mmlib/fmt.h>
#include <mmlib/string.h>
#include <ipc/user.h>

/* See ipc/user.h. */
ipc_err_t ipc_debug_write(const void *buf, size_t len) {
    return (ipc_err_t)ipc_syscall(IPC_SYS_DEBUG_WRITE, (uint64_t)(uintptr_t)buf, len, 0, 0, 0, 0)
        .err;
}

/* See ipc/user.h. */
_Noreturn void ipc_exit(int status) {
    ipc_syscall(IPC_SYS_EXIT, (uint64_t)(int64_t)status, 0, 0, 0, 0, 0);
    for (;;) {
        /* the kernel never returns from IPC_SYS_EXIT */
    }
}

/* See ipc/user.h. */
void ipc_yield(void) {
    ipc_syscall(IPC_SYS_YIELD, 0, 0, 0, 0, 0, 0);
}

/* See ipc/user.h. */
void ipc_puts(const char *s) {
    ipc_debug_write(s, strlen(s));
}

/* A line buffer for ipc_printf: one syscall per line (or per 128 bytes). */
typedef struct print_buf {
    char data[128];
    size_t len;
    size_t total; /* bytes formatted so far */
} print_buf_t;

/* Writes out what the buffer holds. */
static void print_flush(print_buf_t *b) {
    if (b->len) {
        ipc_debug_write(b->data, b->len);
        b->len = 0;
    }
}

/* Formatter output: buffer, flush at a newline or when full. */
static void print_put(void *ctx, char c) {
    print_buf_t *b = ctx;
    b->total++;
    b->data[b->len++] = c;
    if (c == '\n' || b->len == sizeof(b->data)) {
        print_flush(b);
    }
}

/* See ipc/user.h. */
size_t ipc_vprintf(const char *fmt, va_list ap) {
    print_buf_t b;
    b.len = 0;
    b.total = 0;
    ipc_vformat(print_put, &b, fmt, ap);
    print_flush(&b);
    return b.total;
}

/* See ipc/user.h. */
void ipc_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ipc_vprintf(fmt, ap);
    va_end(ap);
}

/* See ipc/user.h. */
const char *ipc_strerror(uint64_t e) {
    static const char *const names[IPC_ERR_COUNT_] = {
        "ok",
        "invalid syscall",
        "invalid argument",
        "bad address",
        "no memory",
        "invalid capability",
        "wrong capability",
        "no rights",
        "no reply right",
        "slot full",
        "aborted",
    };
    return e < IPC_ERR_COUNT_ ? names[e] : "unknown error";
}
