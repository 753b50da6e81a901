/*
 * The shared formatter (see mmlib/fmt.h): one implementation for kernel and user output.
 */
#include <mmlib/fmt.h>

#include <stdbool.h>
#include <stdint.h>

/* A conversion's options: field width, zero padding, and the size of its argument. */
typedef struct fmt_spec {
    unsigned width;
    bool zero;
    unsigned longs; /* 0: int, 1: long, 2: long long (z counts as 1) */
} fmt_spec_t;

/* Writes v in base (10 or 16), padded to spec->width. */
static void put_unsigned(ipc_fmt_put_fn put, void *ctx, uint64_t v, unsigned base,
                         const fmt_spec_t *spec, bool negative) {
    char buf[24];
    unsigned n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (negative) {
        buf[n++] = '-';
    }
    for (unsigned i = n; i < spec->width; i++) {
        put(ctx, spec->zero ? '0' : ' ');
    }
    while (n) {
        put(ctx, buf[--n]);
    }
}

/* Takes the next integer argument of the size spec says, zero-extended. */
static uint64_t arg_unsigned(va_list *ap, const fmt_spec_t *spec) {
    if (spec->longs == 2) {
        return va_arg(*ap, unsigned long long);
    }
    if (spec->longs == 1) {
        return va_arg(*ap, unsigned long);
    }
    return va_arg(*ap, unsigned int);
}

/* Takes the next signed integer argument of the size spec says. */
static int64_t arg_signed(va_list *ap, const fmt_spec_t *spec) {
    if (spec->longs == 2) {
        return va_arg(*ap, long long);
    }
    if (spec->longs == 1) {
        return va_arg(*ap, long);
    }
    return va_arg(*ap, int);
}

/* Reads flags, width and length prefixes at *p into spec; leaves *p on the conversion. */
static void parse_spec(const char **p, fmt_spec_t *spec) {
    *spec = (fmt_spec_t){0};
    if (**p == '0') {
        spec->zero = true;
        (*p)++;
    }
    while (**p >= '0' && **p <= '9') {
        spec->width = spec->width * 10 + (unsigned)(**p - '0');
        (*p)++;
    }
    while (**p == 'l' || **p == 'z') {
        spec->longs += 1;
        (*p)++;
    }
}

/* Writes one conversion c with its argument. */
static void convert(ipc_fmt_put_fn put, void *ctx, char c, const fmt_spec_t *spec, va_list *ap) {
    switch (c) {
        case 's': {
            const char *s = va_arg(*ap, const char *);
            for (s = s ? s : "(null)"; *s; s++) {
                put(ctx, *s);
            }
            break;
        }
        case 'c':
            put(ctx, (char)va_arg(*ap, int));
            break;
        case 'd':
        case 'i': {
            int64_t v = arg_signed(ap, spec);
            put_unsigned(put, ctx, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, spec, v < 0);
            break;
        }
        case 'u':
            put_unsigned(put, ctx, arg_unsigned(ap, spec), 10, spec, false);
            break;
        case 'x':
            put_unsigned(put, ctx, arg_unsigned(ap, spec), 16, spec, false);
            break;
        case 'p':
            put(ctx, '0');
            put(ctx, 'x');
            put_unsigned(put, ctx, (uintptr_t)va_arg(*ap, void *), 16, spec, false);
            break;
        default:
            put(ctx, '%');
            put(ctx, c);
            break;
    }
}

/* See mmlib/fmt.h. */
void ipc_vformat(ipc_fmt_put_fn put, void *ctx, const char *fmt, va_list ap) {
    va_list aq;
    va_copy(aq, ap);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(ctx, *p);
            continue;
        }
        p++;
        if (*p == '%') {
            put(ctx, '%');
            continue;
        }
        fmt_spec_t spec;
        parse_spec(&p, &spec);
        if (!*p) {
            break;
        }
        convert(put, ctx, *p, &spec, &aq);
    }
    va_end(aq);
}
