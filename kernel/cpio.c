/*
 * Reader for the boot archive: cpio "newc" format (the `cpio -H newc` tool writes it;
 * format described in cpio(5), "New ASCII Format"). Each member is a 110-byte ASCII
 * header of hexadecimal fields, the name (NUL-terminated, padded to 4 bytes together with
 * the header), then the data padded to 4 bytes. The member "TRAILER!!!" ends the archive.
 */
#include "kern.h"

#define CPIO_HEADER_SIZE 110u
#define CPIO_FIELD_SIZE  8u
#define CPIO_MAGIC       "070701"
#define CPIO_FIELD_MODE  1u  /* field index after the 6-byte magic */
#define CPIO_FIELD_SIZEF 6u  /* filesize */
#define CPIO_FIELD_NAME  11u /* namesize, including the NUL */
#define CPIO_MODE_TYPE   0170000u
#define CPIO_MODE_FILE   0100000u
#define CPIO_TRAILER     "TRAILER!!!"

/* Field i of the header at h, or ~0 when it is not 8 hex digits. */
static uint64_t field(const uint8_t *h, unsigned i) {
    const uint8_t *p = h + 6 + i * CPIO_FIELD_SIZE;
    uint64_t v = 0;
    for (unsigned k = 0; k < CPIO_FIELD_SIZE; k++) {
        uint8_t c = p[k];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16) {
            return ~0ull;
        }
        v = v * 16 + d;
    }
    return v;
}

/* x rounded up to a multiple of 4. */
static size_t pad4(size_t x) {
    return (x + 3) & ~(size_t)3;
}

/* Strips a leading "./" so members are named as the programs are. */
static void strip_dot(kern_cpio_file_t *f) {
    if (f->name_len > 2 && f->name[0] == '.' && f->name[1] == '/') {
        f->name += 2;
        f->name_len -= 2;
    }
}

/* See kern.h. Every length is checked against the archive's end before it is used. */
int kern_cpio_each(const uint8_t *base, size_t len,
                   void (*visit)(void *ctx, const kern_cpio_file_t *f), void *ctx) {
    int files = 0;
    size_t off = 0;
    while (off + CPIO_HEADER_SIZE <= len) {
        const uint8_t *h = base + off;
        if (memcmp(h, CPIO_MAGIC, 6) != 0) {
            return -1;
        }
        uint64_t mode = field(h, CPIO_FIELD_MODE);
        uint64_t size = field(h, CPIO_FIELD_SIZEF);
        uint64_t name_size = field(h, CPIO_FIELD_NAME);
        if (mode == ~0ull || size == ~0ull || name_size == ~0ull || name_size == 0) {
            return -1;
        }
        size_t data_off = pad4(off + CPIO_HEADER_SIZE + name_size);
        if (data_off > len || size > len - data_off) {
            return -1;
        }
        kern_cpio_file_t f = {(const char *)h + CPIO_HEADER_SIZE, name_size - 1, base + data_off,
                              size};
        if (f.name_len == sizeof(CPIO_TRAILER) - 1 &&
            memcmp(f.name, CPIO_TRAILER, f.name_len) == 0) {
            return files;
        }
        if ((mode & CPIO_MODE_TYPE) == CPIO_MODE_FILE) {
            strip_dot(&f);
            visit(ctx, &f);
            files++;
        }
        off = pad4(data_off + size);
    }
    return -1; /* no trailer */
}
