/*
 * mmserver's ELF loader: real executables built for x86_64 and riscv64 load with their
 * segments' permissions and bytes; hostile files are each refused with a typed error and
 * leave the client's space, charge and the pool exactly as they were.
 */
#include "mpt.h"

#include <string.h>

/* ---- a crafted executable ---------------------------------------------------------------- */

#define IMG_SIZE 0x4000u
#define TEXT_VA  0x400000ull

typedef struct img {
    uint8_t b[IMG_SIZE];
    size_t size;
    elf64_ehdr_t h;
} img_t;

/* An executable for machine with no segment yet (entry in the text segment added next). */
static void img_init(img_t *im, uint16_t machine) {
    memset(im, 0, sizeof(*im));
    memcpy(im->h.ident, "\177ELF\2\1\1", 7);
    im->h.type = 2;
    im->h.machine = machine;
    im->h.version = 1;
    im->h.entry = TEXT_VA + 0x10;
    im->h.phoff = sizeof(elf64_ehdr_t);
    im->h.ehsize = sizeof(elf64_ehdr_t);
    im->h.phentsize = sizeof(elf64_phdr_t);
    im->size = IMG_SIZE;
}

/* Appends a PT_LOAD program header. */
static void img_seg(img_t *im, uint32_t flags, uint64_t va, uint64_t off, uint64_t filesz,
                    uint64_t memsz) {
    elf64_phdr_t p = {.type = ELF64_PT_LOAD,
                      .flags = flags,
                      .offset = off,
                      .vaddr = va,
                      .paddr = va,
                      .filesz = filesz,
                      .memsz = memsz,
                      .align = PG};
    memcpy(im->b + im->h.phoff + im->h.phnum * sizeof(p), &p, sizeof(p));
    im->h.phnum++;
    memcpy(im->b, &im->h, sizeof(im->h));
}

/* The usual layout: text R X, data R W with a bss tail, file bytes a pattern. */
static void img_usual(img_t *im, uint16_t machine) {
    img_init(im, machine);
    for (unsigned i = 0x1000; i < IMG_SIZE; i++) {
        im->b[i] = (uint8_t)(i * 7 + 1);
    }
    img_seg(im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x800, 0x800);
    img_seg(im, ELF64_PF_R | ELF64_PF_W, TEXT_VA + 0x2000, 0x2000, 0x1800, 0x5000);
}

/* ---- checks ------------------------------------------------------------------------------ */

/* The pool and client 1's account before a load. */
typedef struct before {
    uint64_t available, charge, regions;
} before_t;

static before_t before(mpt_t *t) {
    const mm_client_t *c = &t->e.srv->client[1];
    return (before_t){mm_pool_available(&t->e.srv->pool), mm_charge(c), c->nregions};
}

/* Asserts a refused load changed nothing. */
static void unchanged(mpt_t *t, const before_t *b, const char *what) {
    before_t now = before(t);
    cr_assert_eq(now.available, b->available, "%s: pool frames leaked", what);
    cr_assert_eq(now.charge, b->charge, "%s: charge changed", what);
    cr_assert_eq(now.regions, b->regions, "%s: regions left", what);
    mmt_check(&t->e);
}

/* Loads [elf, elf + size) into client 1 of t and checks the typed refusal. */
static void refused(mpt_t *t, const uint8_t *elf, size_t size, mmp_load_err_t err,
                    elf64_err_t elf_err, mm_err_t mm, const char *what) {
    before_t b = before(t);
    mmp_load_t r;
    mmp_elf_load(t->e.srv, 1, t->p.machine, elf, size, &r);
    cr_assert_eq(r.err, err, "%s: got %s, want %s", what, mmp_load_strerror(r.err),
                 mmp_load_strerror(err));
    cr_assert_eq(r.elf, elf_err, "%s: got %s, want %s", what, elf64_strerror(r.elf),
                 elf64_strerror(elf_err));
    cr_assert_eq(r.mm, mm, "%s: got %s, want %s", what, mm_strerror(r.mm), mm_strerror(mm));
    unchanged(t, &b, what);
}

/* Asserts segment p of file was loaded into client 1: its permissions, file bytes, zeroes
 * after them up to the page end. */
static void loaded_segment(mpt_t *t, const uint8_t *file, const elf64_phdr_t *p) {
    mm_query_result_t q;
    cr_assert_eq(mm_query(mpt_conn(t, 1), p->vaddr, &q), MM_OK);
    uint32_t want = MM_PERM_R | (p->flags & ELF64_PF_W ? MM_PERM_W : 0) |
                    (p->flags & ELF64_PF_X ? MM_PERM_X : 0);
    cr_assert_eq(q.perm, want, "segment at %#llx", (unsigned long long)p->vaddr);
    uint64_t end = (p->vaddr + p->memsz + PG - 1) & ~(PG - 1);
    for (uint64_t va = p->vaddr; va < end; va++) {
        pt_paddr_t pa = mmt_frame(&t->e, 1, va & ~(PG - 1));
        cr_assert_neq(pa, 0, "%#llx has no frame", (unsigned long long)va);
        uint8_t got = mmt_bytes(&t->e, pa)[va & (PG - 1)];
        uint8_t exp = va - p->vaddr < p->filesz ? file[p->offset + (va - p->vaddr)] : 0;
        cr_assert_eq(got, exp, "byte at %#llx", (unsigned long long)va);
    }
}

/* Loads file into client 1 and checks every loadable segment. */
static void load_and_check(mpt_t *t, const uint8_t *file, size_t size, unsigned segments) {
    mmp_load_t r;
    mmp_elf_load(t->e.srv, 1, t->p.machine, file, size, &r);
    cr_assert_eq(r.err, MMP_LOAD_OK, "%s: %s (%s, %s)", t->e.fmt->name, mmp_load_strerror(r.err),
                 elf64_strerror(r.elf), mm_strerror(r.mm));
    elf64_ehdr_t h;
    cr_assert_eq(elf64_header(file, size, t->p.machine, &h), ELF64_OK);
    cr_assert_eq(r.entry, h.entry);
    cr_assert_eq(r.segments, segments);
    for (unsigned i = 0; i < h.phnum; i++) {
        elf64_phdr_t p;
        elf64_phdr(file, &h, i, &p);
        if (p.type == ELF64_PT_LOAD && p.memsz) {
            loaded_segment(t, file, &p);
        }
    }
    mmt_check(&t->e);
}

/* ---- real files -------------------------------------------------------------------------- */

/* The tiny program built for this format's architecture: three segments, each with its own
 * permissions, bytes as in the file, bss zero. */
MMT_FOR_ALL_FORMATS(elf, real_program) {
    if (fmt == &pt_format_aarch64) {
        return; /* no aarch64 user program is built */
    }
    static mpt_t t;
    mpt_init(&t, fmt);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    size_t size;
    uint8_t *file = mpt_file(mpt_tiny_path(fmt), &size);
    load_and_check(&t, file, size, 3);
    mmt_said("%s: %s loaded, 3 segments, perms and bytes as in the file", fmt->name,
             mpt_tiny_path(fmt));
    mpt_fini(&t);
    free(file);
}

/* A file for the other architecture is refused for its machine, nothing mapped. */
Test(elf, other_machine) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    size_t size;
    uint8_t *rv = mpt_file(MPT_TINY_RISCV64, &size);
    refused(&t, rv, size, MMP_LOAD_ELF, ELF64_ERR_MACHINE, MM_OK, "riscv64 file on x86_64");
    mpt_fini(&t);
    free(rv);
}

/* Every prefix of a real file: refused while it cuts a header or a segment's bytes, loaded
 * once everything loadable is there; never a frame leaked. */
Test(elf, every_truncation) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    t.e.sweep = false;
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    size_t size;
    uint8_t *file = mpt_file(MPT_TINY_X86_64, &size);
    elf64_ehdr_t h;
    cr_assert_eq(elf64_header(file, size, ELF64_EM_X86_64, &h), ELF64_OK);
    size_t needed = h.phoff + h.phnum * sizeof(elf64_phdr_t);
    for (unsigned i = 0; i < h.phnum; i++) {
        elf64_phdr_t p;
        elf64_phdr(file, &h, i, &p);
        if (p.type == ELF64_PT_LOAD && p.offset + p.filesz > needed) {
            needed = p.offset + p.filesz;
        }
    }
    before_t b = before(&t);
    for (size_t n = 0; n <= size; n += n < 256 ? 1 : 61) {
        mmp_load_t r;
        mmp_elf_load(t.e.srv, 1, ELF64_EM_X86_64, file, n, &r);
        cr_assert_eq(r.err == MMP_LOAD_OK, n >= needed, "prefix of %zu bytes: %s", n,
                     mmp_load_strerror(r.err));
        if (r.err == MMP_LOAD_OK) {
            mm_client_destroy(t.e.srv, 1);
            mmt_client(&t.e, 1, MMT_QUOTA, false);
        } else {
            cr_assert_eq(r.err, MMP_LOAD_ELF);
            cr_assert(r.elf == ELF64_ERR_MAGIC || r.elf == ELF64_ERR_PHDRS ||
                      r.elf == ELF64_ERR_FILE);
        }
        unchanged(&t, &b, "truncated");
    }
    mmt_said("every prefix of the file: refused below %zu bytes, loaded from there", needed);
    mpt_fini(&t);
    free(file);
}

/* ---- hostile files ----------------------------------------------------------------------- */

/* Each hostile layout, refused with its own typed error, nothing left behind. */
MMT_FOR_ALL_FORMATS(elf, hostile) {
    static mpt_t t;
    mpt_init(&t, fmt);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    uint16_t mach = t.p.machine;
    uint64_t top = t.e.srv->user_top;
    img_t im;

    img_usual(&im, mach);
    load_and_check(&t, im.b, im.size, 2); /* the base every case below breaks */
    mm_client_destroy(t.e.srv, 1);
    mmt_client(&t.e, 1, MMT_QUOTA, false);

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x1000, 0x1800);
    img_seg(&im, ELF64_PF_R | ELF64_PF_W, TEXT_VA + 0x1000, 0x2000, 0x100, 0x100);
    refused(&t, im.b, im.size, MMP_LOAD_OVERLAP, ELF64_OK, MM_OK, "segments share a page");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_W | ELF64_PF_X, TEXT_VA, 0x1000, 0x100, 0x100);
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_WX, MM_OK, "W+X segment");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x100, 0x100);
    img_seg(&im, ELF64_PF_R | ELF64_PF_W, top, 0x2000, 0x100, 0x100);
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_RANGE, MM_OK, "segment in kernel half");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x100, 0x100);
    img_seg(&im, ELF64_PF_R, top - PG, 0x2000, 0x100, 2 * PG);
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_RANGE, MM_OK, "segment across user top");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, 0x1000, 0x1000, 0x100, 0x100);
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_RANGE, MM_OK, "segment in the null guard");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x100, ~0ull - 0x1000);
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_RANGE, MM_OK, "p_memsz wraps");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x100, 0x100);
    img_seg(&im, ELF64_PF_R | ELF64_PF_W, TEXT_VA + 0x10000000, 0x2000, 0x100, 0x1000000000ull);
    refused(&t, im.b, im.size, MMP_LOAD_MM, ELF64_OK, MM_ERR_QUOTA, "huge p_memsz (64 GiB)");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x100, 0x100);
    img_seg(&im, ELF64_PF_R | ELF64_PF_W, TEXT_VA + 0x2000, IMG_SIZE - 0x10, 0x100, 0x100);
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_FILE, MM_OK, "file part past the end");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x200, 0x100);
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_FILE, MM_OK, "filesz > memsz");

    img_usual(&im, mach);
    refused(&t, im.b, sizeof(elf64_ehdr_t) + 10, MMP_LOAD_ELF, ELF64_ERR_PHDRS, MM_OK,
            "truncated inside the program headers");
    refused(&t, im.b, 40, MMP_LOAD_ELF, ELF64_ERR_MAGIC, MM_OK, "shorter than a header");

    img_usual(&im, mach);
    im.b[1] = 'X';
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_MAGIC, MM_OK, "bad magic");
    img_usual(&im, mach);
    im.b[4] = 1;
    refused(&t, im.b, im.size, MMP_LOAD_ELF, ELF64_ERR_CLASS, MM_OK, "32-bit class");

    img_init(&im, mach);
    img_seg(&im, ELF64_PF_R | ELF64_PF_W, TEXT_VA, 0x1000, 0x100, 0x100);
    refused(&t, im.b, im.size, MMP_LOAD_ENTRY, ELF64_OK, MM_OK, "entry not executable");

    img_init(&im, mach);
    memcpy(im.b, &im.h, sizeof(im.h));
    refused(&t, im.b, im.size, MMP_LOAD_NO_SEGMENT, ELF64_OK, MM_OK, "no segment");

    img_init(&im, mach);
    for (unsigned i = 0; i <= MMP_ELF_SEGMENTS; i++) {
        img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA + i * PG, 0x1000, 0x10, 0x10);
    }
    refused(&t, im.b, im.size, MMP_LOAD_SEGMENTS, ELF64_OK, MM_OK, "too many segments");
    mmt_said("%s: overlap, W+X, kernel half, null guard, wrap, huge, truncation, magic, "
             "class, entry, none, too many: each typed, nothing leaked",
             fmt->name);
    mpt_fini(&t);
}

/* A later segment that the quota refuses unmaps the earlier ones: all-or-nothing. */
MMT_FOR_ALL_FORMATS(elf, undo_on_quota) {
    static mpt_t t;
    mpt_init(&t, fmt);
    mmt_client(&t.e, 1, 64, false);
    img_t im;
    img_init(&im, t.p.machine);
    img_seg(&im, ELF64_PF_R | ELF64_PF_X, TEXT_VA, 0x1000, 0x100, 8 * PG);
    img_seg(&im, ELF64_PF_R, TEXT_VA + 0x100000, 0x2000, 0x100, 8 * PG);
    img_seg(&im, ELF64_PF_R | ELF64_PF_W, TEXT_VA + 0x200000, 0x3000, 0x100, 100 * PG);
    refused(&t, im.b, im.size, MMP_LOAD_MM, ELF64_OK, MM_ERR_QUOTA, "third segment over quota");
    cr_assert_gt(t.e.k.flushes, 0u, "the first two were mapped, then unmapped");
    mmt_said("%s: two segments mapped, the third over quota: both unmapped again", fmt->name);
    mpt_fini(&t);
}
