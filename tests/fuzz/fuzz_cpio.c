/*
 * libFuzzer harness: the cpio "newc" iterator of ipc/lib/cpio.c on arbitrary bytes. The
 * input is the archive. Contracts checked (mmlib/cpio.h): the walk ends (every step moves
 * forward); every member returned has its name and data inside the archive, its data
 * 4-byte aligned from the archive's start; cpio_named agrees with the name's own bytes. Every byte
 * of every member is read, so ASan sees any outside the input. The input is copied into a buffer of
 * exactly its size at a 4-byte-aligned address, as in a boot archive.
 */
#include "fz.h"

#include <mmlib/cpio.h>
#include <stdlib.h>
#include <string.h>

/* Checks member f of [base, base + len) and returns the sum of its bytes. */
static unsigned check_member(const uint8_t *base, size_t len, const cpio_file_t *f) {
    const uint8_t *name = (const uint8_t *)f->name, *end = base + len;
    FZ_CHECK(name >= base && f->name_len <= (size_t)(end - name), "name outside the archive");
    FZ_CHECK(f->data >= base && f->size <= (size_t)(end - f->data), "data outside the archive");
    FZ_CHECK((f->data - base) % 4 == 0, "data not 4-byte aligned");
    unsigned sum = 0;
    for (size_t i = 0; i < f->size; i++) {
        sum += f->data[i];
    }
    char copy[64];
    if (f->name_len < sizeof(copy) && !memchr(name, 0, f->name_len)) {
        memcpy(copy, name, f->name_len);
        copy[f->name_len] = 0;
        FZ_CHECK(cpio_named(f, copy) == 1, "a member is not named its own name");
        copy[f->name_len] = 'x';
        copy[f->name_len + 1 < sizeof(copy) ? f->name_len + 1 : f->name_len] = 0;
        FZ_CHECK(f->name_len + 1 >= sizeof(copy) || cpio_named(f, copy) == 0,
                 "a member is named a longer name");
    }
    return sum;
}

/* The harness: walks the archive to its end, checking each member. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *base = malloc(size ? size : 1);
    FZ_CHECK(base != NULL);
    memcpy(base, data, size);
    size_t off = 0;
    volatile unsigned sink = 0;
    for (unsigned steps = 0;; steps++) {
        FZ_CHECK(steps <= size / 110 + 1, "more members than the archive can hold");
        cpio_file_t f;
        size_t before = off;
        cpio_step_t st = cpio_next(base, size, &off, &f);
        FZ_CHECK(st == CPIO_FILE || st == CPIO_END || st == CPIO_BAD);
        if (st != CPIO_FILE) {
            break;
        }
        FZ_CHECK(off > before && off <= size + 3, "the walk did not move forward (%zu -> %zu)",
                 before, off);
        sink += check_member(base, size, &f);
    }
    (void)sink;
    free(base);
    return 0;
}
