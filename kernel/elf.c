/*
 * ELF64 executable loader (System V ABI, "ELF-64 Object File Format" 1.5): copies each
 * PT_LOAD segment into fresh zeroed frames of a user space. The file comes from the boot
 * archive and is not trusted: every offset and size is checked against the file and every
 * address against the user half before anything is mapped.
 */
#include "kern.h"

#define EI_NIDENT   16u
#define ELFCLASS64  2u
#define ELFDATA2LSB 1u
#define ET_EXEC     2u
#define PT_LOAD     1u
#define PF_X        1u
#define PF_W        2u
#define PF_R        4u
#define PAGE_MASK   (PT_PAGE_SIZE - 1)

typedef struct elf64_ehdr {
    uint8_t ident[EI_NIDENT];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} elf64_ehdr_t;

typedef struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} elf64_phdr_t;

_Static_assert(sizeof(elf64_ehdr_t) == 64, "ELF-64 1.5, figure 2");
_Static_assert(sizeof(elf64_phdr_t) == 56, "ELF-64 1.5, figure 3");

/* NULL if the header describes an executable for this machine whose program headers lie
 * inside the file; else why not. */
static const char *check_header(const elf64_ehdr_t *h, size_t size) {
    if (memcmp(h->ident, "\177ELF", 4) != 0) {
        return "not an ELF file";
    }
    if (h->ident[4] != ELFCLASS64 || h->ident[5] != ELFDATA2LSB || h->type != ET_EXEC) {
        return "not a 64-bit little-endian executable";
    }
    if (h->machine != ARCH_ELF_MACHINE) {
        return "built for another machine";
    }
    if (h->phentsize != sizeof(elf64_phdr_t) || h->phoff > size ||
        (uint64_t)h->phnum * sizeof(elf64_phdr_t) > size - h->phoff) {
        return "program headers outside the file";
    }
    return NULL;
}

/* NULL if segment p fits the file and the user half and respects W^X; else why not. */
static const char *check_segment(const elf64_phdr_t *p, size_t size) {
    if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset) {
        return "segment outside the file";
    }
    if (p->vaddr + p->memsz < p->vaddr || p->vaddr + p->memsz > ARCH_USER_TOP) {
        return "segment outside the user half";
    }
    if ((p->flags & PF_W) && (p->flags & PF_X)) {
        return "segment both writable and executable (W^X)";
    }
    return NULL;
}

/* Maps segment p of elf into s and copies its file part. */
static const char *load_segment(kern_space_t *s, const uint8_t *elf, const elf64_phdr_t *p) {
    uint64_t start = p->vaddr & ~PAGE_MASK;
    uint64_t end = (p->vaddr + p->memsz + PAGE_MASK) & ~PAGE_MASK;
    uint8_t perm = PT_R;
    perm |= (p->flags & PF_W) ? PT_W : 0;
    perm |= (p->flags & PF_X) ? PT_X : 0;
    pt_err_t e = kern_space_map_zeroed(s, start, end - start, perm);
    if (e != PT_OK) {
        return e == PT_ERR_EXISTS ? "segments overlap" : pt_strerror(e);
    }
    kern_space_poke(s, p->vaddr, elf + p->offset, p->filesz);
    return NULL;
}

/* See kern.h. Headers are copied out before use: inside the archive the file is only
 * 4-byte aligned. */
const char *kern_elf_load(kern_space_t *s, const uint8_t *elf, size_t size, uint64_t *entry) {
    elf64_ehdr_t h;
    if (size < sizeof(h)) {
        return "not an ELF file";
    }
    memcpy(&h, elf, sizeof(h));
    const char *why = check_header(&h, size);
    if (why) {
        return why;
    }
    unsigned loaded = 0;
    for (unsigned i = 0; i < h.phnum; i++) {
        elf64_phdr_t p;
        memcpy(&p, elf + h.phoff + i * sizeof(p), sizeof(p));
        if (p.type != PT_LOAD || p.memsz == 0) {
            continue;
        }
        why = check_segment(&p, size);
        why = why ? why : load_segment(s, elf, &p);
        if (why) {
            return why;
        }
        loaded++;
    }
    if (!loaded) {
        return "no loadable segment";
    }
    *entry = h.entry;
    return NULL;
}
