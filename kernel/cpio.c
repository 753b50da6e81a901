/*
 * The boot archive: cpio "newc" (cpio(5), "New ASCII Format"), read with the shared
 * freestanding iterator (ipc/lib/cpio.c) that mmserver uses too, so both sides accept and
 * refuse exactly the same archives. The archive is untrusted; the iterator checks every
 * length against its end.
 */
#include "kern.h"

/* See kern.h. */
int kern_cpio_each(const uint8_t *base, size_t len, void (*visit)(void *ctx, const cpio_file_t *f),
                   void *ctx) {
    int files = 0;
    size_t off = 0;
    cpio_file_t f;
    cpio_step_t step;
    while ((step = cpio_next(base, len, &off, &f)) == CPIO_FILE) {
        visit(ctx, &f);
        files++;
    }
    return step == CPIO_END ? files : -1;
}
