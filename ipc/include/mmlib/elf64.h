/*
 * ELF64 executables, the part both loaders need (the kernel's for mmserver's first space,
 * mmserver's for every other program): the header and program-header layouts and the checks
 * of an untrusted file, written once (ipc/lib/elf64.c). Loading itself differs on each
 * side and stays there. Reference: System V ABI, "ELF-64 Object File Format" 1.5.
 *
 * Freestanding: <stdint.h> and <stddef.h> only, no C library.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define ELF64_PT_LOAD    1u
#define ELF64_PF_X       1u
#define ELF64_PF_W       2u
#define ELF64_PF_R       4u
#define ELF64_EM_X86_64  62u /* e_machine values */
#define ELF64_EM_RISCV   243u
#define ELF64_EM_AARCH64 183u

typedef struct elf64_ehdr {
    uint8_t ident[16];
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

/* Why a file or a segment is refused. Numbers are never reused. */
typedef enum elf64_err {
    ELF64_OK = 0,
    ELF64_ERR_MAGIC = 1,   /* shorter than a header, or no "\177ELF" */
    ELF64_ERR_CLASS = 2,   /* not a 64-bit little-endian executable */
    ELF64_ERR_MACHINE = 3, /* built for another machine */
    ELF64_ERR_PHDRS = 4,   /* program headers outside the file, or of the wrong size */
    ELF64_ERR_FILE = 5,    /* a segment's file part lies outside the file, or filesz > memsz */
    ELF64_ERR_RANGE = 6,   /* a segment wraps or lies outside the user range */
    ELF64_ERR_WX = 7,      /* a segment both writable and executable (W^X) */
    ELF64_ERR_COUNT_
} elf64_err_t;

/* Copies the header of file [file, file + size) into *h (the file may be only 4-byte
 * aligned, as in a cpio archive) and checks it: an executable for machine whose program
 * headers lie inside the file. *h is only meaningful on ELF64_OK. */
elf64_err_t elf64_header(const uint8_t *file, size_t size, uint16_t machine, elf64_ehdr_t *h);

/* Copies program header i into *p. => h passed elf64_header for this file, i < h->phnum. */
void elf64_phdr(const uint8_t *file, const elf64_ehdr_t *h, unsigned i, elf64_phdr_t *p);

/* Checks segment p of a file of size bytes: its file part inside the file, filesz <= memsz,
 * [vaddr, vaddr + memsz) inside [lo, top) without wrapping, not both W and X. */
elf64_err_t elf64_segment(const elf64_phdr_t *p, size_t size, uint64_t lo, uint64_t top);

/* A short, stable name for err. */
const char *elf64_strerror(elf64_err_t err);
