/*
 * Kernel console output and panic, on top of the shared formatter (ipc/lib/fmt.c) and the
 * arch console.
 */
#include "kern.h"

#include <mmlib/fmt.h>

/* Status the machine stops with after a panic (distinct from a failed test run). */
#define KERN_PANIC_STATUS 3

/* Formatter output: straight to the console. */
static void console_put(void *ctx, char c) {
    (void)ctx;
    arch_console_putc(c);
}

/* See arch.h. */
void kern_vprintf(const char *fmt, va_list ap) {
    ipc_vformat(console_put, NULL, fmt, ap);
}

/* See arch.h. */
void kern_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    kern_vprintf(fmt, ap);
    va_end(ap);
}

/* See arch.h. */
_Noreturn void kern_panic(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    kern_printf("\n*** KERNEL PANIC: ");
    kern_vprintf(fmt, ap);
    kern_printf("\n");
    va_end(ap);
    arch_halt(KERN_PANIC_STATUS);
}
