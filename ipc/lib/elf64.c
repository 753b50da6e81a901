/*
 * ELF64 header checks shared by the kernel's and mmserver's loaders (mmlib/elf64.h). The
 * file is untrusted: every offset and size is checked against the file's end, every sum
 * for wrapping, before anything is read through it.
 */
#include <mmlib/elf64.h>

#define EI_CLASS    4u
#define EI_DATA     5u
#define ELFCLASS64  2u
#define ELFDATA2LSB 1u
#define ET_EXEC     2u

/* Copies n bytes (no C library here; volatile keeps the loop from becoming a memcpy
 * call, which a freestanding link may not have). */
static void copy_bytes(void *dst, const uint8_t *src, size_t n) {
    volatile uint8_t *d = dst;
    for (size_t i = 0; i < n; i++) {
        d[i] = src[i];
    }
}

/* See mmlib/elf64.h. */
elf64_err_t elf64_header(const uint8_t *file, size_t size, uint16_t machine, elf64_ehdr_t *h) {
    if (size < sizeof(*h)) {
        return ELF64_ERR_MAGIC;
    }
    copy_bytes(h, file, sizeof(*h));
    if (h->ident[0] != 0x7f || h->ident[1] != 'E' || h->ident[2] != 'L' || h->ident[3] != 'F') {
        return ELF64_ERR_MAGIC;
    }
    if (h->ident[EI_CLASS] != ELFCLASS64 || h->ident[EI_DATA] != ELFDATA2LSB ||
        h->type != ET_EXEC) {
        return ELF64_ERR_CLASS;
    }
    if (h->machine != machine) {
        return ELF64_ERR_MACHINE;
    }
    if (h->phentsize != sizeof(elf64_phdr_t) || h->phoff > size ||
        (uint64_t)h->phnum * sizeof(elf64_phdr_t) > size - h->phoff) {
        return ELF64_ERR_PHDRS;
    }
    return ELF64_OK;
}

/* See mmlib/elf64.h. */
void elf64_phdr(const uint8_t *file, const elf64_ehdr_t *h, unsigned i, elf64_phdr_t *p) {
    copy_bytes(p, file + h->phoff + (uint64_t)i * sizeof(*p), sizeof(*p));
}

/* See mmlib/elf64.h. */
elf64_err_t elf64_segment(const elf64_phdr_t *p, size_t size, uint64_t lo, uint64_t top) {
    if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset) {
        return ELF64_ERR_FILE;
    }
    if (p->vaddr < lo || p->vaddr > top || p->memsz > top - p->vaddr) {
        return ELF64_ERR_RANGE; /* top - vaddr cannot wrap: vaddr <= top */
    }
    if ((p->flags & ELF64_PF_W) && (p->flags & ELF64_PF_X)) {
        return ELF64_ERR_WX;
    }
    return ELF64_OK;
}

/* See mmlib/elf64.h. */
const char *elf64_strerror(elf64_err_t err) {
    static const char *const names[ELF64_ERR_COUNT_] = {
        [ELF64_OK] = "ok",
        [ELF64_ERR_MAGIC] = "not an ELF file",
        [ELF64_ERR_CLASS] = "not a 64-bit little-endian executable",
        [ELF64_ERR_MACHINE] = "built for another machine",
        [ELF64_ERR_PHDRS] = "program headers outside the file",
        [ELF64_ERR_FILE] = "segment outside the file",
        [ELF64_ERR_RANGE] = "segment outside the user range",
        [ELF64_ERR_WX] = "segment both writable and executable (W^X)",
    };
    return (unsigned)err < ELF64_ERR_COUNT_ ? names[err] : "unknown error";
}
