/*
 * The walker: one recursive walk over a virtual range, shared by map, unmap and protect,
 * run twice per operation (a dry run that checks and counts, then a commit that writes).
 * See libpt/README.md for the design.
 */
#include "fmt.h"

/* ---- small helpers ------------------------------------------------------------------- */

/* The table frame at pa, as a pointer this code can use. */
static uint64_t *table_at(const pt_space_t *s, pt_paddr_t pa) {
    if (s->hooks.phys_to_virt) {
        return s->hooks.phys_to_virt(s->hooks.ctx, pa);
    }
    return (uint64_t *)(uintptr_t)(pa + s->hooks.phys_offset);
}

/* Stores one entry. Volatile so the compiler keeps table writes in program order and whole:
 * a hardware walker may read the entry at any moment. */
static void write_entry(uint64_t *slot, uint64_t e) {
    *(volatile uint64_t *)slot = e;
}

/* Index of va's entry in a table at level. */
static unsigned index_of(pt_vaddr_t va, unsigned level) {
    return (unsigned)(va >> fmt_shift(level)) & (PT_ENTRIES - 1);
}

/* True if va is in the upper (kernel) half for this format. */
static bool is_upper(const pt_format_t *f, pt_vaddr_t va) {
    return (va >> (f->va_bits - 1)) & 1;
}

/* True if every bit above va_bits - 1 equals bit va_bits - 1. */
static bool is_canonical(const pt_format_t *f, pt_vaddr_t va) {
    uint64_t top = va >> (f->va_bits - 1);
    return top == 0 || top == (~0ull >> (f->va_bits - 1));
}

/* Reports a broken invariant through the hook, if there is one. */
static void report_corrupt(const pt_space_t *s, const char *what) {
    if (s->hooks.assert_failed) {
        s->hooks.assert_failed(s->hooks.ctx, what);
    }
}

/* Fills the 512 entries of table t with zeroes, eight stores a round: a new table is
 * zeroed on every map that needs one, so this loop is on the fast path. */
static void zero_entries(uint64_t *t) {
    volatile uint64_t *e = t; /* volatile: whole stores, never a call to memset */
    for (unsigned i = 0; i < PT_ENTRIES; i += 8) {
        e[i] = 0;
        e[i + 1] = 0;
        e[i + 2] = 0;
        e[i + 3] = 0;
        e[i + 4] = 0;
        e[i + 5] = 0;
        e[i + 6] = 0;
        e[i + 7] = 0;
    }
}

/* The caller's count of entries in use of the table at pa (hooks.table_used), or NULL
 * when it keeps none or pa is the root. */
static uint32_t *used_count(const pt_space_t *s, pt_paddr_t pa) {
    if (!s->hooks.table_used || pa == s->root) {
        return NULL;
    }
    return s->hooks.table_used(s->hooks.ctx, pa);
}

/* Adds delta to the count of entries in use of the table at pa, where one is kept. */
static void used_add(const pt_space_t *s, pt_paddr_t pa, int64_t delta) {
    uint32_t *n = delta ? used_count(s, pa) : NULL;
    if (n) {
        *n = (uint32_t)((int64_t)*n + delta);
    }
}

/* Pushes table pa onto list d (threaded through the table's first word). */
static void list_push(const pt_space_t *s, pt_deferred_t *d, pt_paddr_t pa) {
    write_entry(table_at(s, pa), d->count ? d->head : 0);
    d->head = pa;
    d->count++;
}

/* Pops a table from list d. => d->count > 0. */
static pt_paddr_t list_pop(const pt_space_t *s, pt_deferred_t *d) {
    pt_paddr_t pa = d->head;
    d->count--;
    d->head = *table_at(s, pa);
    return pa;
}

const char *pt_strerror(pt_err_t err) {
    static const char *const names[PT_ERR_COUNT_] = {
        [PT_OK] = "ok",
        [PT_ERR_INVAL] = "invalid argument",
        [PT_ERR_ALIGN] = "not page-aligned",
        [PT_ERR_OVERFLOW] = "range overflows",
        [PT_ERR_RANGE] = "outside the space's half",
        [PT_ERR_PERM] = "permissions not expressible",
        [PT_ERR_EXISTS] = "already mapped",
        [PT_ERR_NOT_MAPPED] = "not mapped",
        [PT_ERR_NOMEM] = "out of table frames",
        [PT_ERR_CORRUPT] = "corrupt entry",
    };
    return (unsigned)err < PT_ERR_COUNT_ ? names[err] : "unknown error";
}

/* ---- checks at the door ---------------------------------------------------------------- */

/*
 * Checks a caller's range once, for every operation. Critical: everything below assumes a
 * non-empty, page-aligned, non-wrapping range wholly inside one half this space covers.
 * Think carefully before loosening any of it. On success *last is the range's last byte.
 */
static pt_err_t check_range(const pt_space_t *s, pt_vaddr_t va, uint64_t len, pt_vaddr_t *last) {
    const pt_format_t *f = s->fmt;
    if (len == 0) {
        return PT_ERR_INVAL;
    }
    if ((va | len) & (PT_PAGE_SIZE - 1)) {
        return PT_ERR_ALIGN;
    }
    if (va + (len - 1) < va) {
        return PT_ERR_OVERFLOW;
    }
    *last = va + (len - 1);
    if (!is_canonical(f, va) || !is_canonical(f, *last) || is_upper(f, va) != is_upper(f, *last)) {
        return PT_ERR_RANGE;
    }
    bool kernel = s->flags & PT_SPACE_KERNEL;
    if (is_upper(f, va) ? !kernel : (kernel && f->split_halves)) {
        return PT_ERR_RANGE;
    }
    return PT_OK;
}

/* True if pa is a page-aligned frame the format can address. */
static bool frame_ok(const pt_format_t *f, pt_paddr_t pa) {
    return (pa & (PT_PAGE_SIZE - 1)) == 0 && (pa >> f->pa_bits) == 0;
}

/* Checks one run a frame source gave: len bytes (a non-zero page multiple) from pa,
 * aligned, inside pa_bits, not wrapping. */
static pt_err_t check_run(const pt_format_t *f, pt_paddr_t pa, uint64_t len) {
    if ((pa | len) & (PT_PAGE_SIZE - 1) || len == 0) {
        return PT_ERR_ALIGN;
    }
    if (pa + (len - 1) < pa) {
        return PT_ERR_OVERFLOW;
    }
    return frame_ok(f, pa + len - PT_PAGE_SIZE) ? PT_OK : PT_ERR_RANGE;
}

/* Checks a callback source over len bytes: every run it gives, read once in order (the
 * check pass of pt_frames_fn). PT_ERR_NOMEM when it refuses; *at: where a failure is. */
static pt_err_t check_runs(const pt_format_t *f, const pt_frames_t *src, uint64_t len,
                           uint64_t *at) {
    for (uint64_t off = 0; off < len;) {
        pt_paddr_t pa;
        uint64_t bytes;
        *at = off;
        if (!src->next(src->ctx, off, &pa, &bytes)) {
            return PT_ERR_NOMEM;
        }
        pt_err_t err = check_run(f, pa, bytes);
        if (err != PT_OK) {
            return err;
        }
        off += bytes < len - off ? bytes : len - off;
    }
    return PT_OK;
}

/* Checks map's frame source for len bytes: aligned frames inside pa_bits. *at: where a
 * callback source failed (set only then). */
static pt_err_t check_frames(const pt_format_t *f, const pt_frames_t *src, uint64_t len,
                             uint64_t *at) {
    if (!src->list && src->next) {
        return check_runs(f, src, len, at);
    }
    if (src->list) {
        for (uint64_t i = 0; i < len >> PT_PAGE_SHIFT; i++) {
            if (!frame_ok(f, src->list[i])) {
                return (src->list[i] & (PT_PAGE_SIZE - 1)) ? PT_ERR_ALIGN : PT_ERR_RANGE;
            }
        }
        return PT_OK;
    }
    if (src->base & (PT_PAGE_SIZE - 1)) {
        return PT_ERR_ALIGN;
    }
    if (src->base + (len - 1) < src->base) {
        return PT_ERR_OVERFLOW;
    }
    return frame_ok(f, src->base + len - PT_PAGE_SIZE) ? PT_OK : PT_ERR_RANGE;
}

/*
 * Checks what map or protect is asked to grant at va, for both of them. Critical: a PT_U leaf
 * never goes into the upper half, and attr must be a set the format can express, which
 * refuses any permission bit outside PT_PERM_ALL and any unknown memory type (check_attr),
 * so nothing is ever granted other than what was asked. Encoding trusts it.
 */
static pt_err_t check_attr_at_door(const pt_space_t *s, pt_vaddr_t va, pt_attr_t attr) {
    if ((attr.perm & PT_U) && is_upper(s->fmt, va)) {
        return PT_ERR_RANGE;
    }
    return s->fmt->check_attr(attr, 0, s->flags);
}

/* ---- the walk ------------------------------------------------------------------------- */

typedef enum walk_op { OP_MAP, OP_UNMAP, OP_PROTECT } walk_op_t;

/*
 * A table as the walk sees it. A real table has tbl (at pa). A virtual one (dry run only) is
 * a table the commit would create: all empty (split == false), or the 512 leaves a huge leaf
 * is about to be split into (split == true: leaf_pa, leaf_attr describe the huge leaf).
 */
typedef struct view {
    uint64_t *tbl;
    pt_paddr_t pa;
    bool split;
    pt_paddr_t leaf_pa;
    pt_attr_t leaf_attr;
} view_t;

/*
 * Remembers the last 4 KiB leaf decoded: a run of pages with the same attribute bits (the
 * common case) is checked once, not once per page. For protect it also keeps the new bits
 * for that leaf's memory type.
 */
typedef struct leaf_memo {
    bool valid;
    uint64_t bits; /* the entry less its address field */
    pt_attr_t attr;
    bool has_new;
    uint64_t new_bits;
} leaf_memo_t;

typedef struct walk {
    pt_space_t *s;
    walk_op_t op;
    bool commit;      /* false: dry run (read, check, count); true: write */
    uint32_t flags;   /* PT_MAP_* / PT_SKIP_HOLES */
    pt_attr_t attr;   /* map: what to grant; protect: the new permissions */
    uint64_t tmpl[3]; /* map: encode_leaf(0, attr, level) for levels 0..2 (map_templates) */
    const pt_frames_t *src;
    pt_vaddr_t va;             /* start of the request (frames are counted from here) */
    uint64_t run_off, run_len; /* src->next: the run known now, [run_off, + run_len) of the */
    pt_paddr_t run_pa;         /* map's bytes at run_pa (run_len 0: none yet this pass) */
    pt_err_t err;
    uint64_t need;         /* dry run: table frames the commit will take */
    pt_deferred_t reserve; /* commit: the frames reserved for it */
    leaf_memo_t memo;
    int64_t used_delta[4]; /* commit: per level, the change to the count of entries in use
                            * of the table being walked there, added once at its end */
    pt_result_t *res;
} walk_t;

static void walk_table(walk_t *w, view_t *v, unsigned level, pt_vaddr_t lo, pt_vaddr_t last);

/* Records the first error and where it was found; the walk stops there. */
static void walk_fail(walk_t *w, pt_err_t err, pt_vaddr_t va) {
    if (w->err == PT_OK) {
        w->err = err;
        w->res->fault_va = va;
    }
}

/* Entry i of view v at level: the real entry, or what the commit would find there. */
static uint64_t view_entry(const walk_t *w, const view_t *v, unsigned i, unsigned level) {
    if (v->tbl) {
        return v->tbl[i];
    }
    if (!v->split) {
        return 0;
    }
    pt_paddr_t pa = v->leaf_pa + (uint64_t)i * fmt_span(level);
    return w->s->fmt->encode_leaf(pa, v->leaf_attr, level, w->s->flags);
}

/* What e at level is, with its address and (for a leaf) attributes: decode, with fast paths
 * for table pointers and for 4 KiB leaves whose attribute bits the memo already knows. */
static pt_kind_t classify(walk_t *w, uint64_t e, unsigned level, pt_paddr_t *pa, pt_attr_t *attr) {
    const pt_format_t *f = w->s->fmt;
    if (e == 0) {
        return PT_KIND_EMPTY;
    }
    if (fmt_is_table(f, e, level)) {
        *pa = fmt_addr(f, e);
        return PT_KIND_TABLE;
    }
    uint64_t bits = e & ~f->addr_mask;
    if (level == 0 && w->memo.valid && w->memo.bits == bits) {
        *pa = fmt_addr(f, e);
        *attr = w->memo.attr;
        return PT_KIND_LEAF;
    }
    pt_kind_t kind = f->decode(e, level, w->s->flags, pa, attr);
    if (kind == PT_KIND_LEAF && level == 0) {
        leaf_memo_t memo = {.valid = true, .bits = bits, .attr = *attr, .has_new = false};
        w->memo = memo;
    }
    return kind;
}

/* Adds the leaf at [base, base + span) to what the caller must invalidate. */
static void note_flush(walk_t *w, pt_vaddr_t base, uint64_t span) {
    pt_flush_t *fl = &w->res->flush;
    if (fl->leaves == 0) {
        fl->start = base;
    }
    fl->last = base + (span - 1);
    fl->leaves++;
    fl->all = fl->all || fl->leaves > PT_FLUSH_ALL_THRESHOLD;
}

/* Counts a leaf the commit mapped, unmapped or re-protected. */
static void count_leaf(walk_t *w, unsigned level) {
    w->res->pages += fmt_span(level) >> PT_PAGE_SHIFT;
    w->res->leaves++;
    w->res->huge_leaves += level > 0;
}

/* Hands a leaf's frame back to the caller. */
static void release_leaf(const pt_space_t *s, pt_vaddr_t base, pt_paddr_t pa, unsigned level) {
    if (s->hooks.release_frame) {
        s->hooks.release_frame(s->hooks.ctx, base, pa, fmt_shift(level));
    }
}

/*
 * Releases every leaf below the table at pa (level) and either defers the tables (onto d)
 * or frees them at once (d == NULL). It unlinks nothing itself. => the table is unreachable
 * or about to be; its entries were checked by a dry run (or destroy's caller trusts them).
 */
static void teardown(pt_space_t *s, pt_paddr_t pa, unsigned level, pt_vaddr_t base,
                     pt_deferred_t *d) {
    uint64_t *t = table_at(s, pa);
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        pt_paddr_t child;
        pt_vaddr_t at = base + (uint64_t)i * fmt_span(level);
        pt_kind_t kind = t[i] ? s->fmt->decode(t[i], level, s->flags, &child, NULL) : PT_KIND_EMPTY;
        if (kind == PT_KIND_LEAF) {
            release_leaf(s, at, child, level);
        } else if (kind == PT_KIND_TABLE) {
            teardown(s, child, level - 1, at, d);
        } else if (kind == PT_KIND_INVALID) {
            report_corrupt(s, "teardown: invalid entry");
        }
    }
    s->tables--;
    if (d) {
        list_push(s, d, pa);
    } else {
        s->hooks.free_table(s->hooks.ctx, pa);
    }
}

/*
 * Gives the walk a child table in place of entry i of parent at level (an empty entry, or a
 * huge leaf to split when split is true). Dry run: counts a frame and returns a virtual
 * view. Commit: fills a reserved frame and its count, makes it visible, then links it.
 */
static view_t new_child(walk_t *w, const view_t *parent, unsigned i, unsigned level, bool split,
                        pt_paddr_t leaf_pa, pt_attr_t leaf_attr) {
    pt_space_t *s = w->s;
    view_t child = {
        .tbl = NULL, .pa = 0, .split = split, .leaf_pa = leaf_pa, .leaf_attr = leaf_attr};
    if (!w->commit) {
        w->need++;
        return child;
    }
    uint64_t *slot = &parent->tbl[i]; /* the commit walks only real tables */
    pt_paddr_t pa = list_pop(s, &w->reserve);
    uint64_t *t = table_at(s, pa);
    if (split) {
        for (unsigned k = 0; k < PT_ENTRIES; k++) {
            write_entry(&t[k], view_entry(w, &child, k, level - 1));
        }
    } else {
        zero_entries(t);
    }
    uint32_t *used = used_count(s, pa);
    if (used) {
        *used = split ? PT_ENTRIES : 0;
    }
    if (s->hooks.write_barrier) {
        s->hooks.write_barrier(s->hooks.ctx);
    }
    used_add(s, parent->pa, *slot == 0);
    write_entry(slot, s->fmt->encode_table(pa, level));
    s->tables++;
    w->res->tables_added++;
    w->res->flush.tables = w->res->flush.tables || split;
    child.tbl = t;
    child.pa = pa;
    return child;
}

/* The view of the real table at pa. */
static view_t real_child(const walk_t *w, pt_paddr_t pa) {
    view_t child = {.tbl = table_at(w->s, pa), .pa = pa, .split = false};
    return child;
}

/* Asks src->next for the run at offset off and makes it the known run. A refusal or a bad
 * run here broke the source's promise (the check pass accepted it): reported as corrupt. */
static void run_fetch(walk_t *w, uint64_t off) {
    pt_paddr_t pa = 0;
    uint64_t bytes = 0;
    if (!w->src->next(w->src->ctx, off, &pa, &bytes) || check_run(w->s->fmt, pa, bytes) != PT_OK) {
        report_corrupt(w->s, "map: the frame source changed its answer");
        walk_fail(w, PT_ERR_CORRUPT, w->va + off);
        pa = 0;
        bytes = PT_PAGE_SIZE;
    }
    w->run_off = off;
    w->run_len = bytes;
    w->run_pa = pa;
}

/* True if the frames for [off, off + span) are physically contiguous. => run_frame(off) was
 * just asked. Extends the known run by the runs that follow it while they are adjacent. */
static bool run_covers(walk_t *w, uint64_t off, uint64_t span) {
    while (w->run_off + w->run_len < off + span) {
        pt_paddr_t pa = 0;
        uint64_t bytes = 0, end = w->run_off + w->run_len;
        if (!w->src->next(w->src->ctx, end, &pa, &bytes) ||
            check_run(w->s->fmt, pa, bytes) != PT_OK || pa != w->run_pa + w->run_len) {
            return false; /* not adjacent (a refusal shows when that run is fetched) */
        }
        w->run_len += bytes;
    }
    return true;
}

/* The frame map gives the page at va (from src->next: through the known run, fetched
 * again when off is outside it, below it included since the difference wraps). */
static pt_paddr_t frame_for(walk_t *w, pt_vaddr_t va) {
    uint64_t off = va - w->va;
    if (w->src->list) {
        return w->src->list[off >> PT_PAGE_SHIFT];
    }
    if (!w->src->next) {
        return w->src->base + off;
    }
    if (off - w->run_off >= w->run_len) {
        run_fetch(w, off);
    }
    return w->run_pa + (off - w->run_off);
}

/* True if map should write one leaf at level for the entry [base, base + span). */
static bool map_leaf_here(walk_t *w, unsigned level, pt_vaddr_t base, bool full) {
    const pt_format_t *f = w->s->fmt;
    if (level == 0) {
        return true;
    }
    if (!(w->flags & PT_MAP_HUGE) || w->src->list || !full || !(f->leaf_levels & (1u << level))) {
        return false;
    }
    if (f->check_attr(w->attr, level, w->s->flags) != PT_OK) {
        return false;
    }
    if (frame_for(w, base) & (fmt_span(level) - 1)) {
        return false;
    }
    return !w->src->next || run_covers(w, base - w->va, fmt_span(level));
}

/* Map, for entry i (of kind) of v at level covering [base, base + span); range [lo, last]. */
static void map_entry(walk_t *w, view_t *v, unsigned i, unsigned level, pt_vaddr_t base,
                      pt_vaddr_t lo, pt_vaddr_t last, pt_kind_t kind, pt_paddr_t pa,
                      pt_attr_t attr) {
    pt_space_t *s = w->s;
    bool overwrite = w->flags & PT_MAP_OVERWRITE;
    bool full = lo == base && last == base + (fmt_span(level) - 1);
    /* A huge leaf does not replace an existing table unless asked to: the map goes into the
     * table instead, so a conflict is reported at the first page actually mapped. */
    bool into_table = kind == PT_KIND_TABLE && !overwrite;
    if (!into_table && map_leaf_here(w, level, base, full)) {
        if (kind != PT_KIND_EMPTY && !overwrite) {
            walk_fail(w, PT_ERR_EXISTS, lo);
        } else if (w->commit) {
            if (kind == PT_KIND_LEAF) {
                release_leaf(s, base, pa, level);
            } else if (kind == PT_KIND_TABLE) {
                teardown(s, pa, level - 1, base, &w->res->deferred);
                w->res->flush.tables = true;
            }
            write_entry(&v->tbl[i], w->tmpl[level] | fmt_field(s->fmt, frame_for(w, base)));
            w->used_delta[level] += kind == PT_KIND_EMPTY;
            count_leaf(w, level);
            note_flush(w, base, fmt_span(level));
        }
        return;
    }
    view_t child;
    if (kind == PT_KIND_TABLE) {
        child = real_child(w, pa);
    } else if (kind == PT_KIND_EMPTY) {
        child = new_child(w, v, i, level, false, 0, attr);
    } else if (overwrite && full) {
        /* The whole huge leaf goes: release it as one frame, map into an empty table. */
        if (w->commit) {
            release_leaf(s, base, pa, level);
            w->res->flush.tables = true;
        }
        child = new_child(w, v, i, level, false, 0, attr);
    } else if (overwrite) {
        child = new_child(w, v, i, level, true, pa, attr);
    } else {
        walk_fail(w, PT_ERR_EXISTS, lo);
        return;
    }
    walk_table(w, &child, level - 1, lo, last);
}

/*
 * Map's commit over the 4 KiB slots [lo, last] of a real table: the same effect as
 * map_entry on each slot, with a tight loop for empty slots (the common case) because this
 * loop is where a large map spends its time. Occupied slots (overwrite) go to map_entry.
 */
static void map_leaf_run(walk_t *w, view_t *v, pt_vaddr_t lo, pt_vaddr_t last) {
    const pt_format_t *f = w->s->fmt;
    pt_flush_t *fl = &w->res->flush;
    uint64_t tmpl = w->tmpl[0], done = 0;
    unsigned first = index_of(lo, 0), final = index_of(last, 0);
    pt_vaddr_t va = lo;
    w->used_delta[0] = 0; /* what map_entry changes on occupied slots (overwrite) */
    for (unsigned i = first; i <= final; i++, va += PT_PAGE_SIZE) {
        uint64_t e = v->tbl[i];
        if (e != 0) {
            pt_paddr_t pa = 0;
            pt_attr_t attr = {0, 0};
            map_entry(w, v, i, 0, va, va, va + (PT_PAGE_SIZE - 1), classify(w, e, 0, &pa, &attr),
                      pa, attr);
            continue;
        }
        write_entry(&v->tbl[i], tmpl | fmt_field(f, frame_for(w, va)));
        fl->start = fl->leaves == 0 ? va : fl->start;
        fl->last = va + (PT_PAGE_SIZE - 1);
        fl->leaves++;
        done++;
    }
    used_add(w->s, v->pa, w->used_delta[0] + (int64_t)done);
    w->res->pages += done;
    w->res->leaves += done;
    fl->all = fl->all || fl->leaves > PT_FLUSH_ALL_THRESHOLD;
}

/* A hole in unmap or protect: an error, or counted with PT_SKIP_HOLES. */
static void hole(walk_t *w, pt_vaddr_t lo, pt_vaddr_t last) {
    if (!(w->flags & PT_SKIP_HOLES)) {
        walk_fail(w, PT_ERR_NOT_MAPPED, lo);
    } else if (w->commit) {
        w->res->holes += ((last - lo) >> PT_PAGE_SHIFT) + 1;
    }
}

/* Protect: the non-address bits of a leaf at level with the new permissions and its own
 * memory type, or PT_ERR_PERM (recorded) when the format cannot express them. */
static bool protected_bits(walk_t *w, unsigned level, pt_attr_t old, uint64_t *bits) {
    const pt_format_t *f = w->s->fmt;
    bool memo = level == 0 && w->memo.valid && w->memo.attr.memtype == old.memtype;
    if (memo && w->memo.has_new) {
        *bits = w->memo.new_bits;
        return true;
    }
    pt_attr_t now = {.perm = w->attr.perm, .memtype = old.memtype};
    if (f->check_attr(now, level, w->s->flags) != PT_OK) {
        return false;
    }
    *bits = f->encode_leaf(0, now, level, w->s->flags);
    if (memo) {
        w->memo.has_new = true;
        w->memo.new_bits = *bits;
    }
    return true;
}

/* True if protect would leave the leaf e (frame pa, attributes attr) at level unchanged.
 * Records PT_ERR_PERM at va when the new rights cannot be expressed for it. */
static bool protect_keeps(walk_t *w, unsigned level, pt_vaddr_t va, uint64_t e, pt_paddr_t pa,
                          pt_attr_t attr) {
    uint64_t bits;
    if (!protected_bits(w, level, attr, &bits)) {
        walk_fail(w, PT_ERR_PERM, va);
        return true;
    }
    return (bits | fmt_field(w->s->fmt, pa)) == e;
}

/* Unmap or protect, for one leaf (entry i of v, value e) covered whole. */
static void change_leaf(walk_t *w, view_t *v, unsigned i, unsigned level, pt_vaddr_t base,
                        uint64_t e, pt_paddr_t pa, pt_attr_t attr) {
    pt_space_t *s = w->s;
    uint64_t ne = 0;
    if (w->op == OP_PROTECT) {
        uint64_t bits;
        if (!protected_bits(w, level, attr, &bits)) {
            walk_fail(w, PT_ERR_PERM, base);
            return;
        }
        ne = bits | fmt_field(s->fmt, pa);
    }
    if (!w->commit) {
        return;
    }
    if (w->op == OP_UNMAP) {
        release_leaf(s, base, pa, level);
    }
    if (ne != e) {
        write_entry(&v->tbl[i], ne);
        w->used_delta[level] += (int64_t)(ne != 0) - 1; /* e != 0: it was a leaf */
        note_flush(w, base, fmt_span(level));
    }
    count_leaf(w, level);
}

/*
 * True if table t has no entry in use, given that entries strictly between first and final
 * were just cleared. Looks outward from the edges, where a survivor is likeliest, so a
 * run of single-page unmaps does not rescan the whole table each time.
 */
static bool table_is_empty_near(const uint64_t *t, unsigned first, unsigned final) {
    if (t[first] || t[final]) {
        return false;
    }
    for (unsigned d = 1; d < PT_ENTRIES; d++) {
        bool above = final + d < PT_ENTRIES, below = first >= d;
        if ((above && t[final + d]) || (below && t[first - d])) {
            return false;
        }
        if (!above && !below) {
            break;
        }
    }
    return true;
}

/* True if the table of view c (at level), whose entries for [lo, last] unmap just cleared,
 * has none in use: the caller's count when it keeps one, else a scan. */
static bool table_emptied(const pt_space_t *s, const view_t *c, pt_vaddr_t lo, pt_vaddr_t last,
                          unsigned level) {
    const uint32_t *used = used_count(s, c->pa);
    if (used) {
        return *used == 0;
    }
    return table_is_empty_near(c->tbl, index_of(lo, level), index_of(last, level));
}

/* Unmap or protect, for entry i (of kind) of v at level covering [base, base + span);
 * range [lo, last]. Unmap unlinks a child table it has emptied and defers it. */
static void edit_entry(walk_t *w, view_t *v, unsigned i, unsigned level, pt_vaddr_t base,
                       pt_vaddr_t lo, pt_vaddr_t last, uint64_t e, pt_kind_t kind, pt_paddr_t pa,
                       pt_attr_t attr) {
    bool full = lo == base && last == base + (fmt_span(level) - 1);
    if (kind == PT_KIND_EMPTY) {
        hole(w, lo, last);
        return;
    }
    if (kind == PT_KIND_LEAF && full) {
        change_leaf(w, v, i, level, base, e, pa, attr);
        return;
    }
    if (kind == PT_KIND_LEAF && w->op == OP_PROTECT && protect_keeps(w, level, lo, e, pa, attr)) {
        if (w->commit) {
            w->res->pages += ((last - lo) >> PT_PAGE_SHIFT) + 1;
        }
        return; /* part of a huge leaf that already has these rights: no split needed */
    }
    view_t child =
        kind == PT_KIND_TABLE ? real_child(w, pa) : new_child(w, v, i, level, true, pa, attr);
    walk_table(w, &child, level - 1, lo, last);
    if (w->commit && w->op == OP_UNMAP && table_emptied(w->s, &child, lo, last, level - 1)) {
        write_entry(&v->tbl[i], 0);
        w->used_delta[level]--;
        w->s->tables--;
        list_push(w->s, &w->res->deferred, child.pa);
        w->res->flush.tables = true;
    }
}

/*
 * Walks the entries of view v (a table at level) that intersect [lo, last], which lies
 * inside the table's span. Stops at the first error.
 */
static void walk_table(walk_t *w, view_t *v, unsigned level, pt_vaddr_t lo, pt_vaddr_t last) {
    uint64_t span = fmt_span(level);
    if (!w->commit && !v->tbl && !v->split && w->op == OP_MAP && level == 0) {
        return; /* a virtual empty table of 4 KiB slots: nothing to check, nothing needed */
    }
    if (w->commit && w->op == OP_MAP && level == 0) {
        map_leaf_run(w, v, lo, last);
        return;
    }
    pt_vaddr_t base = lo & ~(span - 1);
    w->used_delta[level] = 0; /* the walk descends: one table per level at a time */
    for (unsigned i = index_of(lo, level); w->err == PT_OK; i++, base += span) {
        pt_vaddr_t elo = base > lo ? base : lo;
        pt_vaddr_t elast = last - base < span ? last : base + (span - 1);
        uint64_t e = view_entry(w, v, i, level);
        pt_paddr_t pa = 0;
        pt_attr_t attr = {0, 0};
        pt_kind_t kind = classify(w, e, level, &pa, &attr);
        if (kind == PT_KIND_INVALID) {
            report_corrupt(w->s, "walk: invalid entry");
            walk_fail(w, PT_ERR_CORRUPT, elo);
        } else if (w->op == OP_MAP) {
            map_entry(w, v, i, level, base, elo, elast, kind, pa, attr);
        } else {
            edit_entry(w, v, i, level, base, elo, elast, e, kind, pa, attr);
        }
        if (elast == last) {
            break;
        }
    }
    if (w->commit) {
        used_add(w->s, v->pa, w->used_delta[level]);
    }
}

/* ---- operations ------------------------------------------------------------------------ */

/* Hands every frame still on list d back to the allocator. */
static void free_list(pt_space_t *s, pt_deferred_t *d) {
    while (d->count) {
        s->hooks.free_table(s->hooks.ctx, list_pop(s, d));
    }
}

/* Reverses list d, so frames come off it in the order they were allocated: an allocator
 * that hands out ascending frames then gives a range's tables ascending addresses too. */
static void list_reverse(const pt_space_t *s, pt_deferred_t *d) {
    pt_deferred_t out = {0, 0};
    while (d->count) {
        list_push(s, &out, list_pop(s, d));
    }
    *d = out;
}

/*
 * Where both phases of a map or protect of [va, last] may start instead of the root: the
 * deepest real table reached through entries that each hold the whole range, are table
 * pointers and are not covered whole. At such an entry map and protect do nothing but
 * descend (map_entry: into the table, no leaf fits a partly covered entry; edit_entry: into
 * the table), so starting below it changes nothing but the cost -- three levels of a
 * single-page request on a four-level format. Unmap always starts at the root: on its way
 * back up it unlinks the tables it emptied.
 */
static view_t descend(walk_t *w, pt_vaddr_t va, pt_vaddr_t last, unsigned *level) {
    const pt_format_t *f = w->s->fmt;
    view_t v = real_child(w, w->s->root);
    unsigned lv = f->levels - 1u;
    while (w->op != OP_UNMAP && lv > 0 && va >> fmt_shift(lv) == last >> fmt_shift(lv) &&
           last - va != fmt_span(lv) - 1) {
        uint64_t e = v.tbl[index_of(va, lv)];
        if (!fmt_is_table(f, e, lv)) {
            break;
        }
        v = real_child(w, fmt_addr(f, e));
        lv--;
    }
    *level = lv;
    return v;
}

/*
 * Runs w over [va, last] as dry run, reservation and commit (README: "One walker, two
 * phases"). Returns the dry run's error, or PT_ERR_NOMEM, with nothing changed; otherwise
 * PT_OK with w->res filled.
 */
static pt_err_t run(walk_t *w, pt_vaddr_t va, pt_vaddr_t last) {
    pt_space_t *s = w->s;
    unsigned top;
    view_t root = descend(w, va, last, &top);
    walk_table(w, &root, top, va, last);
    if (w->err != PT_OK) {
        return w->err;
    }
    for (uint64_t n = 0; n < w->need; n++) {
        pt_paddr_t pa;
        if (!s->hooks.alloc_table(s->hooks.ctx, &pa)) {
            free_list(s, &w->reserve);
            w->res->fault_va = va;
            return PT_ERR_NOMEM;
        }
        list_push(s, &w->reserve, pa);
    }
    list_reverse(s, &w->reserve);
    w->commit = true;
    w->run_len = 0; /* the commit reads the frame source again from its start */
    walk_table(w, &root, top, va, last);
    if (w->err != PT_OK || w->reserve.count != 0) {
        report_corrupt(s, "commit disagreed with its dry run");
        free_list(s, &w->reserve);
    }
    return w->err;
}

/* Empties a result field by field: a struct copy could become a call to memset, which a
 * freestanding library cannot assume exists. */
static void result_clear(pt_result_t *res) {
    res->pages = res->holes = res->leaves = res->huge_leaves = res->tables_added = 0;
    res->fault_va = 0;
    res->flush.start = res->flush.last = res->flush.leaves = 0;
    res->flush.all = res->flush.tables = res->flush.fresh = false;
    res->deferred.head = res->deferred.count = 0;
}

/* Starts a walk: clears the result and sets every field of w. Field by field, like
 * result_clear, so that no memset is needed. */
static void walk_init(walk_t *w, pt_space_t *s, walk_op_t op, pt_vaddr_t va, uint32_t flags,
                      pt_attr_t attr, pt_result_t *res) {
    result_clear(res);
    w->s = s;
    w->op = op;
    w->commit = false;
    w->flags = flags;
    w->attr = attr;
    w->tmpl[0] = w->tmpl[1] = w->tmpl[2] = 0;
    w->src = NULL;
    w->va = va;
    w->run_off = w->run_len = w->run_pa = 0;
    w->err = PT_OK;
    w->need = 0;
    w->reserve.head = w->reserve.count = 0;
    w->memo.valid = w->memo.has_new = false;
    w->memo.bits = w->memo.new_bits = 0;
    w->used_delta[0] = w->used_delta[1] = w->used_delta[2] = w->used_delta[3] = 0;
    w->res = res;
}

/* Map's leaf templates: encode_leaf(0, attr, level) for each level that can hold this leaf
 * (map_leaf_here asks the same check_attr before it uses one). => attr passed the door:
 * encode_leaf indexes tables by memory type, so nothing is encoded before the check. Only
 * level 0 without PT_MAP_HUGE: map_leaf_here places no larger leaf then. */
static void map_templates(walk_t *w) {
    const pt_space_t *s = w->s;
    unsigned levels = (w->flags & PT_MAP_HUGE) ? 3 : 1;
    for (unsigned level = 0; level < levels; level++) {
        if (s->fmt->check_attr(w->attr, level, s->flags) == PT_OK) {
            w->tmpl[level] = s->fmt->encode_leaf(0, w->attr, level, s->flags);
        }
    }
}

pt_err_t pt_map(pt_space_t *s, pt_vaddr_t va, uint64_t len, const pt_frames_t *src, pt_attr_t attr,
                uint32_t flags, pt_result_t *res) {
    pt_vaddr_t last;
    if (!s || !src || !res || (flags & ~(uint32_t)(PT_MAP_OVERWRITE | PT_MAP_HUGE))) {
        return PT_ERR_INVAL;
    }
    walk_t w;
    walk_init(&w, s, OP_MAP, va, flags, attr, res);
    w.src = src;
    pt_err_t err = check_range(s, va, len, &last);
    if (err == PT_OK) {
        err = check_attr_at_door(s, va, attr);
    }
    uint64_t at = 0;
    if (err == PT_OK && (err = check_frames(s->fmt, src, len, &at)) != PT_OK) {
        res->fault_va = va + at;
    }
    if (err != PT_OK) {
        return err;
    }
    map_templates(&w);
    err = run(&w, va, last);
    /* Without PT_MAP_OVERWRITE a map that succeeds wrote only into empty entries (anything
     * else is EXISTS), and linked its new tables into empty entries too. */
    res->flush.fresh = err == PT_OK && !(flags & PT_MAP_OVERWRITE) && !s->fmt->caches_invalid;
    return err;
}

pt_err_t pt_unmap(pt_space_t *s, pt_vaddr_t va, uint64_t len, uint32_t flags, pt_result_t *res) {
    pt_vaddr_t last;
    pt_attr_t none = {0, 0};
    if (!s || !res || (flags & ~(uint32_t)PT_SKIP_HOLES)) {
        return PT_ERR_INVAL;
    }
    walk_t w;
    walk_init(&w, s, OP_UNMAP, va, flags, none, res);
    pt_err_t err = check_range(s, va, len, &last);
    return err == PT_OK ? run(&w, va, last) : err;
}

pt_err_t pt_protect(pt_space_t *s, pt_vaddr_t va, uint64_t len, pt_attr_t attr, uint32_t flags,
                    pt_result_t *res) {
    pt_vaddr_t last;
    pt_attr_t normal = {attr.perm, PT_MEM_NORMAL};
    if (!s || !res || (flags & ~(uint32_t)PT_SKIP_HOLES)) {
        return PT_ERR_INVAL;
    }
    walk_t w;
    walk_init(&w, s, OP_PROTECT, va, flags, attr, res);
    pt_err_t err = check_range(s, va, len, &last);
    if (err == PT_OK) {
        err = check_attr_at_door(s, va, normal);
    }
    return err == PT_OK ? run(&w, va, last) : err;
}

/* ---- reading ------------------------------------------------------------------------- */

pt_err_t pt_query(const pt_space_t *s, pt_vaddr_t va, pt_mapping_t *m) {
    const pt_format_t *f = s->fmt;
    pt_vaddr_t last;
    pt_err_t err = check_range(s, va & ~(PT_PAGE_SIZE - 1), PT_PAGE_SIZE, &last);
    if (err != PT_OK || !m) {
        return m ? err : PT_ERR_INVAL;
    }
    unsigned level = f->levels - 1u;
    uint64_t e = table_at(s, s->root)[index_of(va, level)];
    while (fmt_is_table(f, e, level)) {
        level--;
        e = table_at(s, fmt_addr(f, e))[index_of(va, level)];
    }
    pt_paddr_t pa;
    pt_kind_t kind = e ? f->decode(e, level, s->flags, &pa, &m->attr) : PT_KIND_EMPTY;
    if (kind == PT_KIND_EMPTY) {
        return PT_ERR_NOT_MAPPED;
    }
    if (kind != PT_KIND_LEAF) {
        report_corrupt(s, "query: invalid entry");
        return PT_ERR_CORRUPT;
    }
    uint64_t span = fmt_span(level);
    m->va = va & ~(span - 1);
    m->pa = pa + (va & (span - 1));
    m->shift = fmt_shift(level);
    m->level = level;
    m->is_table = false;
    return PT_OK;
}

/* Iterates the entries of the table at pa (level) that intersect [lo, last]. Returns false
 * when the visitor asked to stop. */
static bool iterate_table(const pt_space_t *s, pt_paddr_t pa, unsigned level, pt_vaddr_t lo,
                          pt_vaddr_t last, pt_visit_fn visit, void *ctx) {
    const uint64_t *t = table_at(s, pa);
    uint64_t span = fmt_span(level);
    pt_vaddr_t base = lo & ~(span - 1);
    for (unsigned i = index_of(lo, level);; i++, base += span) {
        pt_mapping_t m = {.va = base, .shift = fmt_shift(level), .level = level};
        pt_kind_t kind =
            t[i] ? s->fmt->decode(t[i], level, s->flags, &m.pa, &m.attr) : PT_KIND_EMPTY;
        pt_vaddr_t elo = base > lo ? base : lo;
        pt_vaddr_t elast = last - base < span ? last : base + (span - 1);
        m.is_table = kind == PT_KIND_TABLE;
        if (kind == PT_KIND_INVALID) {
            report_corrupt(s, "iterate: invalid entry");
        } else if (kind != PT_KIND_EMPTY && !visit(ctx, &m)) {
            return false;
        }
        if (kind == PT_KIND_TABLE && !iterate_table(s, m.pa, level - 1, elo, elast, visit, ctx)) {
            return false;
        }
        if (elast == last) {
            return true;
        }
    }
}

pt_err_t pt_iterate(const pt_space_t *s, pt_vaddr_t va, uint64_t len, pt_visit_fn visit,
                    void *ctx) {
    pt_vaddr_t last;
    if (!s || !visit) {
        return PT_ERR_INVAL;
    }
    pt_err_t err = check_range(s, va, len, &last);
    if (err == PT_OK) {
        iterate_table(s, s->root, s->fmt->levels - 1u, va, last, visit, ctx);
    }
    return err;
}

/* ---- life cycle ----------------------------------------------------------------------- */

/* Copies the caller's hooks field by field: a struct copy this large becomes a call to
 * memcpy on some targets, which a freestanding library cannot assume exists. */
static void hooks_copy(pt_hooks_t *to, const pt_hooks_t *from) {
    to->ctx = from->ctx;
    to->alloc_table = from->alloc_table;
    to->free_table = from->free_table;
    to->phys_to_virt = from->phys_to_virt;
    to->phys_offset = from->phys_offset;
    to->release_frame = from->release_frame;
    to->assert_failed = from->assert_failed;
    to->write_barrier = from->write_barrier;
    to->table_used = from->table_used;
}

pt_err_t pt_space_init(pt_space_t *s, const pt_format_t *fmt, const pt_hooks_t *hooks,
                       uint32_t flags) {
    uint32_t known = PT_SPACE_KERNEL | PT_FEAT_NO_GIGA | PT_FEAT_SVPBMT;
    if (!s || !fmt || !hooks || !hooks->alloc_table || !hooks->free_table || (flags & ~known)) {
        return PT_ERR_INVAL;
    }
    s->fmt = fmt;
    hooks_copy(&s->hooks, hooks);
    s->flags = flags;
    s->tables = 0;
    if (!hooks->alloc_table(hooks->ctx, &s->root)) {
        return PT_ERR_NOMEM;
    }
    zero_entries(table_at(s, s->root));
    s->tables = 1;
    return PT_OK;
}

void pt_release_tables(pt_space_t *s, pt_deferred_t *d) {
    free_list(s, d);
}

/* The root entries this space owns: all, or only the lower half's in a user space whose
 * root also holds the kernel's entries. */
static unsigned owned_root_entries(const pt_space_t *s) {
    bool all = (s->flags & PT_SPACE_KERNEL) || s->fmt->split_halves;
    return all ? PT_ENTRIES : PT_ENTRIES / 2;
}

void pt_destroy(pt_space_t *s) {
    const pt_format_t *f = s->fmt;
    unsigned top = f->levels - 1u;
    uint64_t *root = table_at(s, s->root);
    for (unsigned i = 0; i < owned_root_entries(s); i++) {
        pt_paddr_t pa;
        pt_vaddr_t base = (uint64_t)i << fmt_shift(top);
        if (is_upper(f, base)) {
            base |= ~0ull << f->va_bits; /* sign-extend into the upper half */
        }
        pt_kind_t kind = root[i] ? f->decode(root[i], top, s->flags, &pa, NULL) : PT_KIND_EMPTY;
        if (kind == PT_KIND_TABLE) {
            teardown(s, pa, top - 1, base, NULL);
        } else if (kind == PT_KIND_LEAF) {
            release_leaf(s, base, pa, top);
        }
        write_entry(&root[i], 0);
    }
    s->hooks.free_table(s->hooks.ctx, s->root);
    s->tables = 0;
}

/* See pt.h. Every format libpt has, in one table: a new format is added here and nowhere
 * else (the kernel and mmserver name formats only by pt_format_t.id). */
const pt_format_t *pt_format_by_id(uint32_t id) {
    static const pt_format_t *const all[] = {&pt_format_x86_64, &pt_format_sv48, &pt_format_sv39,
                                             &pt_format_aarch64};
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (all[i]->id == id) {
            return all[i];
        }
    }
    return NULL;
}
