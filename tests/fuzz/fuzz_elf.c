/*
 * libFuzzer harness: the ELF64 checks of ipc/lib/elf64.c on arbitrary bytes. The input is
 * the file. Contracts checked (mmlib/elf64.h): a header accepted names the asked machine and
 * has its program headers inside the file; elf64_phdr copies exactly those bytes; a segment
 * accepted has its file part inside the file (no wrap), filesz <= memsz, its memory part
 * inside [lo, top) without wrapping, and not both W and X. Every accepted segment's bytes
 * are read, so that ASan sees any that lies outside the input.
 */
#include "fz.h"

#include <mmlib/elf64.h>
#include <string.h>

/* [lo, top) pairs a segment is checked against: the user window of mmserver, and the
 * widest one (where only wrapping can refuse). */
static const uint64_t ranges[][2] = {{0x10000ull, (1ull << 47) - 0x1000ull}, {0, ~0ull}};

/* Checks one segment of file against each range. Returns the sum of its bytes (so that
 * reading them is not optimised away). */
static unsigned check_segment(const uint8_t *file, size_t size, const elf64_phdr_t *p) {
    unsigned sum = 0;
    for (unsigned k = 0; k < sizeof(ranges) / sizeof(ranges[0]); k++) {
        uint64_t lo = ranges[k][0], top = ranges[k][1];
        elf64_err_t err = elf64_segment(p, size, lo, top);
        FZ_CHECK(err < ELF64_ERR_COUNT_ && elf64_strerror(err) != NULL);
        if (err != ELF64_OK) {
            continue;
        }
        unsigned __int128 file_end = (unsigned __int128)p->offset + p->filesz;
        unsigned __int128 mem_end = (unsigned __int128)p->vaddr + p->memsz;
        FZ_CHECK(file_end <= size, "segment file part [%#llx, +%#llx) past the file (%zu bytes)",
                 (unsigned long long)p->offset, (unsigned long long)p->filesz, size);
        FZ_CHECK(p->filesz <= p->memsz);
        FZ_CHECK(p->vaddr >= lo && mem_end <= top, "segment [%#llx, +%#llx) outside [%#llx, %#llx)",
                 (unsigned long long)p->vaddr, (unsigned long long)p->memsz, (unsigned long long)lo,
                 (unsigned long long)top);
        FZ_CHECK(!((p->flags & ELF64_PF_W) && (p->flags & ELF64_PF_X)), "W+X segment accepted");
        for (uint64_t i = 0; i < p->filesz; i++) {
            sum += file[p->offset + i];
        }
    }
    return sum;
}

/* The harness: the header for the machine the file names (so the rest is reached), then
 * for a fixed machine; every program header of an accepted file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint16_t named = size >= 20 ? (uint16_t)(data[18] | data[19] << 8) : 0;
    const uint16_t machines[] = {named, ELF64_EM_X86_64};
    volatile unsigned sink = 0;
    for (unsigned m = 0; m < 2; m++) {
        elf64_ehdr_t h;
        elf64_err_t err = elf64_header(data, size, machines[m], &h);
        FZ_CHECK(err < ELF64_ERR_COUNT_);
        if (err != ELF64_OK) {
            continue;
        }
        FZ_CHECK(size >= sizeof(h) && memcmp(&h, data, sizeof(h)) == 0, "header not a copy");
        FZ_CHECK(h.machine == machines[m] && h.phentsize == sizeof(elf64_phdr_t));
        unsigned __int128 ph_end =
            (unsigned __int128)h.phoff + (uint64_t)h.phnum * sizeof(elf64_phdr_t);
        FZ_CHECK(ph_end <= size, "program headers [%#llx, +%u * 56) past the file (%zu bytes)",
                 (unsigned long long)h.phoff, h.phnum, size);
        for (unsigned i = 0; i < h.phnum; i++) {
            elf64_phdr_t p;
            elf64_phdr(data, &h, i, &p);
            FZ_CHECK(memcmp(&p, data + h.phoff + (uint64_t)i * sizeof(p), sizeof(p)) == 0,
                     "program header %u is not the file's bytes", i);
            sink += check_segment(data, size, &p);
        }
    }
    (void)sink;
    return 0;
}
