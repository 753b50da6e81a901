/*
 * ELF64 executable loader (System V ABI, "ELF-64 Object File Format" 1.5): copies each
 * PT_LOAD segment into fresh zeroed frames of a user space. The file comes from the boot
 * archive and is not trusted: the header and every segment are checked by the shared
 * freestanding parser (ipc/lib/elf64.c, the same checks mmserver's loader uses) against
 * the file and the user half before anything is mapped.
 */
#include <ipc/elf64.h>

#include "kern.h"

#define PAGE_MASK (PT_PAGE_SIZE - 1)

/* Maps segment p of elf into s and copies its file part. => elf64_segment accepted p. */
static const char *load_segment(kern_space_t *s, const uint8_t *elf, const elf64_phdr_t *p) {
    uint64_t start = p->vaddr & ~PAGE_MASK;
    uint64_t end = (p->vaddr + p->memsz + PAGE_MASK) & ~PAGE_MASK;
    uint8_t perm = PT_R;
    perm |= (p->flags & ELF64_PF_W) ? PT_W : 0;
    perm |= (p->flags & ELF64_PF_X) ? PT_X : 0;
    pt_err_t e = kern_space_map_zeroed(s, start, end - start, perm);
    if (e != PT_OK) {
        return e == PT_ERR_EXISTS ? "segments overlap" : pt_strerror(e);
    }
    kern_space_poke(s, p->vaddr, elf + p->offset, p->filesz);
    return NULL;
}

/* See kern.h. The parser copies headers out before use: inside the archive the file is
 * only 4-byte aligned. */
const char *kern_elf_load(kern_space_t *s, const uint8_t *elf, size_t size, uint64_t *entry) {
    elf64_ehdr_t h;
    elf64_err_t err = elf64_header(elf, size, ARCH_ELF_MACHINE, &h);
    if (err != ELF64_OK) {
        return elf64_strerror(err);
    }
    unsigned loaded = 0;
    for (unsigned i = 0; i < h.phnum; i++) {
        elf64_phdr_t p;
        elf64_phdr(elf, &h, i, &p);
        if (p.type != ELF64_PT_LOAD || p.memsz == 0) {
            continue;
        }
        err = elf64_segment(&p, size, 0, ARCH_USER_TOP);
        const char *why = err != ELF64_OK ? elf64_strerror(err) : load_segment(s, elf, &p);
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
