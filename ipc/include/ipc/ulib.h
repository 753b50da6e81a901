/*
 * The user library: what a program of your own (mmk_program, ipc/user/README.md) gets
 * besides the runtime (<ipc/user.h>) and the memory client (<ipc/mm_client.h>): a heap on
 * top of mm_map / mm_unmap, printf to the console, the string functions, exit, and the
 * names of the memory protocol's errors. Freestanding: no C library underneath; one thread
 * per program (nothing here takes a lock). Implemented in ipc/user/ulib.c and malloc.c.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <ipc/mm_client.h>
#include <ipc/user.h>
#include <mmlib/string.h> /* memcpy, memmove, memset, memcmp, strlen, strcmp, strncmp */

/* ---- the connection to mmserver ---- */

/* This program's connection to mmserver for the mm_* calls of <ipc/mm_client.h>
 * (mm_map(mm_self(), ...)): mmserver's endpoint in MM_SLOT_SERVER and the IPC buffer
 * mmserver mapped at MM_IPC_BUFFER_VA, which every program it starts has. After an error,
 * mm_self()->where says where the request was refused. */
mm_conn_t *mm_self(void);

/* mm_strerror(err): the name of a memory error, in <ipc/mm.h> (one table for mmserver and
 * programs). MM_ERR_IPC (the call itself failed) reads "unknown error": see
 * mm_self()->ipc_err and ipc_strerror. */

/* ---- the heap ---- */

/* Small requests (at most MALLOC_SMALL_MAX bytes) are cut from pages of their size class
 * (16, 32, ... 2048 bytes); those pages come from arenas, lazy mappings of 16 pages that
 * mmserver fills page by page at first touch. A class page's frame goes back to mmserver as
 * soon as its last block is freed (mm_decommit), an arena as soon as all its pages are free
 * (mm_unmap). Larger requests get a mapping of their own (whole pages, a 32-byte header
 * first), unmapped by free. So once everything is freed the program's charge and regions
 * are what they were before the first malloc. Blocks are 16-byte aligned.
 * Limits: each arena and each large block is one of the program's regions (mmserver
 * charges their node memory to the program's quota); at most 32 arenas. Past that, or when
 * mmserver refuses a map, malloc returns NULL with the error. Quota: an arena charges its
 * 16 pages when it is mapped. */
#define MALLOC_SMALL_MAX 2048u

/* n bytes, or NULL when mmserver refuses memory (malloc_error() says why: MM_ERR_QUOTA
 * when the program's quota is used up, MM_ERR_NOMEM when the pool is empty) or n is 0
 * (no error). The bytes are not cleared. */
void *malloc(size_t n);

/* Gives p back (NULL: nothing). => p came from malloc, calloc or realloc and was not freed
 * since: anything else is a broken program; free prints what it found and ends the
 * program with status MALLOC_BAD_FREE rather than corrupt the heap. */
void free(void *p);
#define MALLOC_BAD_FREE 134

/* count * size bytes, cleared; NULL when the product overflows (MM_ERR_OVERFLOW) or
 * malloc fails. */
void *calloc(size_t count, size_t size);

/* p resized to n bytes, its first min(old, n) bytes kept: in place when the block already
 * holds n, else moved (p freed). realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and
 * returns NULL. On failure NULL, and p is left as it was. */
void *realloc(void *p, size_t n);

/* The mm_err_t that made the last malloc, calloc or realloc return NULL (MM_OK if none
 * has failed). */
mm_err_t malloc_error(void);

/* ---- output and exit ---- */

/* printf to the console, through the runtime's formatter (ipc_printf: %s %c %d %i %u %x
 * %p %%, l / ll / z, widths, 0-padding; no floating point). Output goes out a line at a
 * time. Returns the bytes written. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes s and a newline. */
int puts(const char *s);

/* Ends the program with status (0: success); returning status from main does the same.
 * The root program (the test runner of `make run`) reports every status that is not 0 as a
 * failure. */
_Noreturn void exit(int status);
