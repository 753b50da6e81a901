/*
 * A small printf-style formatter shared by the kernel's console and the user runtime, so
 * both sides print numbers the same way from one implementation. Freestanding: it writes
 * through a callback and allocates nothing.
 *
 * Conversions: %s %c %d %i %u %x %p %%, length prefixes l, ll, z, a field width with an
 * optional leading 0 (e.g. %016llx). Nothing else; an unknown conversion prints as is.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Receives one output byte. */
typedef void (*ipc_fmt_put_fn)(void *ctx, char c);

/* Formats fmt with ap through put. */
void ipc_vformat(ipc_fmt_put_fn put, void *ctx, const char *fmt, va_list ap);
