/*
 * cpio "newc" iterator (mmlib/cpio.h). A member is a 110-byte header of ASCII fields (a
 * 6-byte magic "070701", then thirteen 8-digit hexadecimal numbers), the name with its NUL
 * padded to 4 bytes together with the header, then the data padded to 4 bytes. The member
 * "TRAILER!!!" ends the archive.
 */
#include <mmlib/cpio.h>

#define NEWC_HEADER   110u
#define NEWC_DIGITS   8u
#define NEWC_MODE     1u  /* index of c_mode among the numbers */
#define NEWC_FILESIZE 6u  /* c_filesize */
#define NEWC_NAMESIZE 11u /* c_namesize, the NUL included */
#define MODE_TYPE     0170000u
#define MODE_REGULAR  0100000u
#define BAD_NUMBER    (~0ull)

/* The value of one hexadecimal digit, or 16 when c is none. */
static unsigned hex_digit(uint8_t c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20; /* lower case */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10u : 16u;
}

/* Number idx of the header at h, or BAD_NUMBER when it is not 8 hexadecimal digits. */
static uint64_t number(const uint8_t *h, unsigned idx) {
    const uint8_t *p = h + 6 + idx * NEWC_DIGITS;
    uint64_t v = 0;
    for (unsigned k = 0; k < NEWC_DIGITS; k++) {
        unsigned d = hex_digit(p[k]);
        if (d > 15) {
            return BAD_NUMBER;
        }
        v = v << 4 | d;
    }
    return v;
}

/* x rounded up to a multiple of 4; x is at most a header's worth past an archive length,
 * so it does not wrap. */
static size_t round4(size_t x) {
    return (x + 3) & ~(size_t)3;
}

/* Whether the n bytes at a equal the NUL-terminated s (and s has exactly n bytes). */
static int same_name(const char *a, size_t n, const char *s) {
    size_t i = 0;
    for (; i < n && s[i]; i++) {
        if (a[i] != s[i]) {
            return 0;
        }
    }
    return i == n && !s[i];
}

/* Reads the member at off into *f; its mode in *mode, the offset after it in *next. */
static cpio_step_t member(const uint8_t *base, size_t len, size_t off, cpio_file_t *f,
                          uint64_t *mode, size_t *next) {
    const uint8_t *h = base + off;
    const char magic[] = "070701";
    for (unsigned i = 0; i < 6; i++) {
        if (h[i] != (uint8_t)magic[i]) {
            return CPIO_BAD;
        }
    }
    uint64_t size = number(h, NEWC_FILESIZE), name_size = number(h, NEWC_NAMESIZE);
    *mode = number(h, NEWC_MODE);
    if (*mode == BAD_NUMBER || size == BAD_NUMBER || name_size == BAD_NUMBER || !name_size ||
        name_size > len - off - NEWC_HEADER) {
        return CPIO_BAD;
    }
    size_t data = round4(off + NEWC_HEADER + name_size);
    if (data > len || size > len - data) {
        return CPIO_BAD;
    }
    f->name = (const char *)h + NEWC_HEADER;
    f->name_len = name_size - 1;
    f->data = base + data;
    f->size = size;
    *next = round4(data + size);
    return same_name(f->name, f->name_len, "TRAILER!!!") ? CPIO_END : CPIO_FILE;
}

/* See mmlib/cpio.h. */
cpio_step_t cpio_next(const uint8_t *base, size_t len, size_t *off, cpio_file_t *f) {
    while (*off <= len && len - *off >= NEWC_HEADER) {
        uint64_t mode;
        size_t next;
        cpio_step_t step = member(base, len, *off, f, &mode, &next);
        if (step != CPIO_FILE) {
            return step;
        }
        *off = next;
        if ((mode & MODE_TYPE) == MODE_REGULAR) {
            if (f->name_len > 2 && f->name[0] == '.' && f->name[1] == '/') {
                f->name += 2;
                f->name_len -= 2;
            }
            return CPIO_FILE;
        }
    }
    return CPIO_BAD; /* ran off the end without a trailer */
}

/* See mmlib/cpio.h. */
int cpio_named(const cpio_file_t *f, const char *name) {
    return same_name(f->name, f->name_len, name);
}
