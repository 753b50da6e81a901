/*
 * The ELF loader of mmserver: programs of the boot archive into client spaces, through the
 * core's own requests (mm_handle), so an image is charged, placed and checked like any
 * other memory of the client. The file is untrusted: every header is read through
 * mmlib/elf64.h's checks and the whole layout is accepted before anything is mapped.
 *
 * A segment is mapped eagerly with its final permissions (R, plus W or X) and its file
 * part is copied through mmserver's view of the pool, never through the client's space, so
 * no mapping is ever both writable and executable, not even while loading.
 */
#include <mmserver/proc.h>

#define PAGE_MASK (PT_PAGE_SIZE - 1)

/* One loadable segment, its page range worked out. */
typedef struct mmp_seg {
    uint64_t start, end; /* pages [start, end) */
    uint32_t perm;       /* MM_PERM_* */
    uint64_t vaddr, offset, filesz;
} mmp_seg_t;

/* Records a refusal in out. */
static void refuse(mmp_load_t *out, mmp_load_err_t err, uint64_t where) {
    out->err = err;
    out->where = where;
}

/* Records an ELF refusal. */
static void refuse_elf(mmp_load_t *out, elf64_err_t err, uint64_t where) {
    refuse(out, MMP_LOAD_ELF, where);
    out->elf = err;
}

/* The protocol's permissions for ELF flags: always readable (no format here has a
 * leaf without read), plus W and X as the file says. */
static uint32_t seg_perm(uint32_t flags) {
    uint32_t perm = MM_PERM_R;
    perm |= (flags & ELF64_PF_W) ? MM_PERM_W : 0;
    perm |= (flags & ELF64_PF_X) ? MM_PERM_X : 0;
    return perm;
}

/* Fills s from p. => p passed elf64_segment inside the user window, so rounding its end
 * up to a page cannot wrap (the window's top is page-aligned). */
static void seg_from(mmp_seg_t *s, const elf64_phdr_t *p) {
    s->start = p->vaddr & ~PAGE_MASK;
    s->end = (p->vaddr + p->memsz + PAGE_MASK) & ~PAGE_MASK;
    s->perm = seg_perm(p->flags);
    s->vaddr = p->vaddr;
    s->offset = p->offset;
    s->filesz = p->filesz;
}

/* True if no two segments share a page; else *where is the later one's address. */
static bool disjoint(const mmp_seg_t *seg, unsigned n, uint64_t *where) {
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = i + 1; j < n; j++) {
            if (seg[i].start < seg[j].end && seg[j].start < seg[i].end) {
                *where = seg[j].vaddr;
                return false;
            }
        }
    }
    return true;
}

/* True if entry lies in an executable segment. */
static bool entry_ok(const mmp_seg_t *seg, unsigned n, uint64_t entry) {
    for (unsigned i = 0; i < n; i++) {
        if ((seg[i].perm & MM_PERM_X) && entry >= seg[i].vaddr && entry < seg[i].end) {
            return true;
        }
    }
    return false;
}

/* Reads and checks the header and every loadable program header of the file (inside the
 * file and the user window, W^X, at most MMP_ELF_SEGMENTS); *n gets the segments and
 * *entry the entry point. */
static bool read_segments(const mm_server_t *srv, uint16_t machine, const uint8_t *elf, size_t size,
                          mmp_seg_t *seg, unsigned *n, mmp_load_t *out) {
    elf64_ehdr_t h;
    elf64_err_t e = elf64_header(elf, size, machine, &h);
    if (e != ELF64_OK) {
        refuse_elf(out, e, 0);
        return false;
    }
    *n = 0;
    for (unsigned i = 0; i < h.phnum; i++) {
        elf64_phdr_t p;
        elf64_phdr(elf, &h, i, &p);
        if (p.type != ELF64_PT_LOAD || p.memsz == 0) {
            continue;
        }
        e = elf64_segment(&p, size, MM_USER_BASE, srv->user_top);
        if (e != ELF64_OK) {
            refuse_elf(out, e, p.vaddr);
            return false;
        }
        if (*n == MMP_ELF_SEGMENTS) {
            refuse(out, MMP_LOAD_SEGMENTS, p.vaddr);
            return false;
        }
        seg_from(&seg[(*n)++], &p);
    }
    out->entry = h.entry;
    return true;
}

/* Accepts the layout of n checked segments or says why not: at least one, no two sharing
 * a page, the entry in an executable one. */
static bool check_layout(const mmp_seg_t *seg, unsigned n, mmp_load_t *out) {
    uint64_t where = 0;
    if (!n) {
        refuse(out, MMP_LOAD_NO_SEGMENT, 0);
        return false;
    }
    if (!disjoint(seg, n, &where)) {
        refuse(out, MMP_LOAD_OVERLAP, where);
        return false;
    }
    if (!entry_ok(seg, n, out->entry)) {
        refuse(out, MMP_LOAD_ENTRY, out->entry);
        return false;
    }
    return true;
}

/* One request of the core on client's behalf (four argument words are enough here). */
static mm_err_t request(mm_server_t *srv, uint32_t client, uint64_t label, uint64_t w0, uint64_t w1,
                        uint64_t w2, uint64_t *reply) {
    uint64_t req[MM_REQ_WORDS] = {w0, w1, w2, 0, 0, 0};
    return mm_handle(srv, client, label, req, reply);
}

/* Copies the file part of s into the frames the core just mapped, page by page, through
 * mmserver's view of the pool. => s is mapped eagerly in client's space. */
static void copy_file_part(mm_server_t *srv, uint32_t client, const mmp_seg_t *s,
                           const uint8_t *elf) {
    for (uint64_t done = 0; done < s->filesz;) {
        uint64_t va = s->vaddr + done;
        uint64_t chunk = PT_PAGE_SIZE - (va & PAGE_MASK);
        chunk = chunk < s->filesz - done ? chunk : s->filesz - done;
        pt_paddr_t pa = 0;
        mm_frame_of(srv, client, va, &pa); /* => mapped eagerly just before */
        /* volatile: a byte loop, never turned into a call to a memcpy nobody links */
        volatile uint8_t *dst = mm_pool_ptr(&srv->pool, pa & ~PAGE_MASK);
        const uint8_t *src = elf + s->offset + done;
        for (uint64_t i = 0; i < chunk; i++) {
            dst[(va & PAGE_MASK) + i] = src[i];
        }
        done += chunk;
    }
}

/* Unmaps segments [0, n) again (a later one failed), each run of adjacent segments (in
 * any order) in one request: their regions may have merged, and unmapping a whole merged
 * run needs no split, so no region node and no frame, and cannot fail. */
static void undo(mm_server_t *srv, uint32_t client, const mmp_seg_t *seg, unsigned n) {
    uint64_t reply[MM_REPLY_WORDS];
    bool done[MMP_ELF_SEGMENTS];
    for (unsigned i = 0; i < n; i++) {
        done[i] = false;
    }
    for (unsigned i = 0; i < n; i++) {
        if (done[i]) {
            continue; /* unmapped with an earlier run */
        }
        uint64_t lo = seg[i].start, hi = seg[i].end;
        done[i] = true;
        for (bool grew = true; grew;) {
            grew = false;
            for (unsigned k = 0; k < n; k++) {
                if (!done[k] && (seg[k].start == hi || seg[k].end == lo)) {
                    lo = seg[k].start < lo ? seg[k].start : lo;
                    hi = seg[k].end > hi ? seg[k].end : hi;
                    done[k] = grew = true;
                }
            }
        }
        request(srv, client, MM_UNMAP, lo, hi - lo, 0, reply);
    }
}

/* See proc.h. */
void mmp_elf_load(mm_server_t *srv, uint32_t client, uint16_t machine, const uint8_t *elf,
                  size_t size, mmp_load_t *out) {
    mmp_seg_t seg[MMP_ELF_SEGMENTS];
    unsigned n;
    out->err = MMP_LOAD_OK;
    out->elf = ELF64_OK;
    out->mm = MM_OK;
    out->where = out->entry = out->pages = 0;
    out->segments = 0;
    if (!read_segments(srv, machine, elf, size, seg, &n, out) || !check_layout(seg, n, out)) {
        out->entry = 0;
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t reply[MM_REPLY_WORDS];
        uint64_t len = seg[i].end - seg[i].start;
        mm_err_t err = request(srv, client, MM_MAP, seg[i].start, len, seg[i].perm, reply);
        if (err != MM_OK) {
            undo(srv, client, seg, i);
            refuse(out, MMP_LOAD_MM, reply[MM_R_WHERE]);
            out->mm = err;
            out->pages = 0;
            return;
        }
        copy_file_part(srv, client, &seg[i], elf);
        out->pages += len / PT_PAGE_SIZE;
    }
    out->segments = n;
}

/* See proc.h. */
const char *mmp_load_strerror(mmp_load_err_t err) {
    static const char *const names[MMP_LOAD_COUNT_] = {
        [MMP_LOAD_OK] = "ok",
        [MMP_LOAD_ELF] = "bad ELF file",
        [MMP_LOAD_OVERLAP] = "segments share a page",
        [MMP_LOAD_NO_SEGMENT] = "no loadable segment",
        [MMP_LOAD_SEGMENTS] = "too many segments",
        [MMP_LOAD_ENTRY] = "entry point not in an executable segment",
        [MMP_LOAD_MM] = "the memory server refused a segment",
    };
    return (unsigned)err < MMP_LOAD_COUNT_ ? names[err] : "unknown error";
}
