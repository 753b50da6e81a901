/*
 * The boot archive's format, cpio "newc" (cpio(5), "New ASCII Format"), as an iterator
 * both the kernel and mmserver can use (ipc/lib/cpio.c). The archive is untrusted: every
 * length is checked against its end before it is used.
 *
 * Freestanding: <stdint.h> and <stddef.h> only, no C library.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* One regular file of the archive. */
typedef struct cpio_file {
    const char *name; /* not NUL-terminated: name_len bytes, a leading "./" stripped */
    size_t name_len;
    const uint8_t *data; /* only 4-byte aligned */
    size_t size;
} cpio_file_t;

/* What cpio_next found. */
typedef enum cpio_step {
    CPIO_FILE = 0, /* *f is the next regular file */
    CPIO_END = 1,  /* the trailer: no more files */
    CPIO_BAD = 2,  /* malformed: a bad header, a length past the end, no trailer */
} cpio_step_t;

/* Finds the next regular file of the archive [base, base + len) from *off (start at 0);
 * advances *off past it. Directories and other members are skipped. */
cpio_step_t cpio_next(const uint8_t *base, size_t len, size_t *off, cpio_file_t *f);

/* True if f is named name (a NUL-terminated string). */
int cpio_named(const cpio_file_t *f, const char *name);
