/*
 * The reference model: a plain array from page to (frame, permissions, memory type, leaf
 * size) over a window of virtual space that straddles 1 GiB boundaries, driven by a seeded
 * random sequence of map / unmap / protect / query with mixed sizes and flags, list,
 * contiguous and callback (pt_frames_t.next: runs, adjacent or not, aligned or not) frame
 * sources, random table allocation failures and random refusals of the callback. After every
 * operation libpt's return code, counts, released frames, pt_query and the reference walker must
 * agree with the model on the touched range and a few random probes; every SWEEP_EVERY operations
 * the whole space is swept.
 *
 * Seed: env PT_SEED (default fixed). Operations per format: env PT_MODEL_OPS (default
 * DEFAULT_OPS).
 */
#include "ptt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WIN_SIZE    (GIB + 64 * MIB) /* the window: 32 MiB, an aligned 1 GiB, 32 MiB */
#define WIN_GIGA    (32 * MIB)       /* offset of the aligned 1 GiB in the window */
#define WIN_PAGES   (WIN_SIZE / PG)
#define DEFAULT_OPS 1000000ull
#define SWEEP_EVERY 2048u
#define MAX_LIST    1024u /* longest range mapped from a frame list */
#define MAX_RUNS    1024u /* most runs a callback source gives for one map */
#define QUERY_ALL   1024u /* ranges up to this many pages are queried page by page */
#define GIGA_ODDS   20u   /* in 100000 ops: the whole aligned 1 GiB */
#define PROBES      8u    /* random pages checked after every operation */

typedef enum { OP_MAP, OP_UNMAP, OP_PROTECT, OP_QUERY, OP_KINDS } op_kind_t;

/* Disagreements in what libpt reports (not in the tables), counted so that one of them
 * does not hide the rest of the run: the test still fails at the end if any occurred. */
typedef enum {
    SOFT_RELEASE_SHIFT,
    SOFT_FAULT_VA,
    SOFT_FLUSH_RANGE,
    SOFT_FLUSH_FLAGS,
    SOFT_COUNTS,
    SOFT_KINDS
} soft_kind_t;
static const char *const soft_names[SOFT_KINDS] = {
    [SOFT_RELEASE_SHIFT] = "release_frame reported another leaf size than the tables held",
    [SOFT_FAULT_VA] = "fault_va is not the first offending page of the range",
    [SOFT_FLUSH_RANGE] = "flush [start, last] misses leaves the op changed",
    [SOFT_FLUSH_FLAGS] = "flush.all is not leaves > threshold, or tables unlinked without .tables",
    [SOFT_COUNTS] = "result.leaves / huge_leaves of map or unmap differ from the leaves changed",
};

/* The model: per page of the window, its frame (0: hole), attributes and leaf size. */
typedef struct model {
    pt_vaddr_t base; /* first address of the window */
    pt_paddr_t *frame;
    uint8_t *perm, *mt, *shift;
    uint64_t mapped;
} model_t;

/* One random operation. */
typedef struct mop {
    op_kind_t kind;
    pt_vaddr_t va;
    uint64_t n; /* pages */
    uint32_t flags;
    pt_attr_t attr;
    pt_frames_t src;
    uint64_t refuse; /* callback source: its call with this number says no (0: never) */
} mop_t;

/* One run a callback source gives: pages frames from pa, for the map's pages from off. */
typedef struct mrun {
    uint64_t off; /* first page of the map it covers */
    pt_paddr_t pa;
    uint64_t pages;
} mrun_t;

/* A model run for one format. */
typedef struct run {
    const pt_format_t *fmt;
    uint32_t sflags;
    ptt_env_t e;
    model_t m;
    uint64_t rng;
    pt_paddr_t list[MAX_LIST];
    mrun_t runs[MAX_RUNS]; /* the callback source of the current op */
    uint32_t nruns;
    uint64_t calls;  /* calls of the callback in the current op */
    uint64_t refuse; /* the call that says no (0: none) */
    uint64_t run_maps, run_refusals;
    bool trace; /* env PT_TRACE: print every operation */
    uint64_t soft[SOFT_KINDS];
    uint64_t ops[OP_KINDS], refused[OP_KINDS], nomem, sweeps, max_tables, huge_maps, giga_ops;
} run_t;

/* Counts a reported-value disagreement of kind k for op, describing the first three. */
__attribute__((format(printf, 4, 5))) static void soft_fail(run_t *r, soft_kind_t k,
                                                            const mop_t *op, const char *fmt, ...) {
    if (r->soft[k]++ >= 3) {
        return;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cr_log_error("%s: op %d at %#llx+%llu pages flags %#x (%s source): %s", r->fmt->name, op->kind,
                 (unsigned long long)op->va, (unsigned long long)op->n, op->flags,
                 op->src.list   ? "list"
                 : op->src.next ? "callback"
                                : "contiguous",
                 msg);
}

/* Index in m of the page at va (asserted inside the window). */
static uint64_t page_of(const model_t *m, pt_vaddr_t va) {
    cr_assert(va - m->base < WIN_SIZE, "va %#llx outside the model window", (unsigned long long)va);
    return (va - m->base) / PG;
}

/* The attributes the model holds for page i. */
static pt_attr_t model_attr(const model_t *m, uint64_t i) {
    return (pt_attr_t){m->perm[i], m->mt[i]};
}

/* A random attribute set the run's format can express in a leaf (no PT_U in a kernel
 * run, whose window is in the upper half). */
static pt_attr_t random_attr(run_t *r) {
    for (;;) {
        pt_attr_t a = {(uint8_t)ptt_below(&r->rng, 32), (uint8_t)ptt_below(&r->rng, 3)};
        if (r->sflags & PT_SPACE_KERNEL) {
            a.perm &= (uint8_t)~PT_U; /* never accepted in the upper half */
        }
        if (ptt_below(&r->rng, 4) != 0) {
            a.memtype = PT_MEM_NORMAL;
        }
        if (ref_expressible(r->fmt, a, 0, r->sflags)) {
            return a;
        }
    }
}

/* A page-aligned start for a range of n pages: mostly near the 1 GiB and 2 GiB boundaries,
 * sometimes anywhere in the window; align is a power of two the start is aligned to. */
static pt_vaddr_t random_start(run_t *r, uint64_t n, uint64_t align) {
    uint64_t zone = ptt_below(&r->rng, 10);
    pt_vaddr_t va;
    if (zone < 9) {
        pt_vaddr_t centre = r->m.base + WIN_GIGA + (zone < 5 ? 0 : GIB);
        va = centre - 16 * MIB + ptt_below(&r->rng, 32 * MIB / PG) * PG;
    } else {
        va = r->m.base + ptt_below(&r->rng, WIN_PAGES) * PG;
    }
    va &= ~(align - 1);
    pt_vaddr_t end = r->m.base + WIN_SIZE;
    if (va + n * PG > end) {
        va = (end - n * PG) & ~(align - 1);
    }
    return va < r->m.base ? r->m.base : va;
}

/* The run of r's callback source holding page j of the map (binary search). */
static const mrun_t *run_at(const run_t *r, uint64_t j) {
    uint32_t lo = 0, hi = r->nruns - 1;
    while (lo < hi) {
        uint32_t mid = hi - (hi - lo) / 2;
        if (r->runs[mid].off <= j) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return &r->runs[lo];
}

/* The callback source (pt_frames_fn) over r->runs: the frames from byte offset off on, to
 * the end of their run; says no at call r->refuse. */
static bool runs_next(void *ctx, uint64_t off, pt_paddr_t *pa, uint64_t *bytes) {
    run_t *r = ctx;
    if (++r->calls == r->refuse) {
        return false;
    }
    const mrun_t *m = run_at(r, off / PG);
    *pa = m->pa + (off - m->off * PG);
    *bytes = (m->off + m->pages) * PG - off;
    return true;
}

/* Fills r->runs for op: runs of 1..8, 1..64 or 512 pages (512 each for a 1 GiB op), each
 * following the one before in physical memory (so libpt must merge them for a huge leaf),
 * congruent to its va modulo 1 GiB (huge leaves possible), or anywhere; how often each,
 * drawn per op. Sometimes arms a refusal at a random call of the check pass. */
static void random_runs(run_t *r, mop_t *op) {
    uint64_t adjacent = ptt_below(&r->rng, 3); /* in 2: 0 never, 1 half the time, 2 always */
    uint64_t j = 0;
    r->nruns = 0;
    while (j < op->n) {
        uint64_t pick = ptt_below(&r->rng, 4);
        uint64_t len = op->n > MAX_RUNS ? 512
                       : pick == 0      ? 512
                                        : 1 + ptt_below(&r->rng, pick == 1 ? 64 : 8);
        len = r->nruns == MAX_RUNS - 1 || len > op->n - j ? op->n - j : len;
        pt_paddr_t pa;
        if (r->nruns && ptt_below(&r->rng, 2) < adjacent) {
            const mrun_t *prev = &r->runs[r->nruns - 1];
            pa = prev->pa + prev->pages * PG;
        } else if (ptt_below(&r->rng, 2)) {
            pa = 16 * GIB + ptt_below(&r->rng, 1024) * GIB + ((op->va + j * PG) & (GIB - 1));
        } else {
            pa = PTT_DATA_PA + ptt_below(&r->rng, 1ull << 28) * PG;
        }
        r->runs[r->nruns++] = (mrun_t){j, pa, len};
        j += len;
    }
    op->src.next = runs_next;
    op->src.ctx = r;
    op->refuse = ptt_below(&r->rng, 8) == 0 ? 1 + ptt_below(&r->rng, r->nruns) : 0;
}

/* The frame op's source gives the page at va. */
static pt_paddr_t src_frame(const run_t *r, const mop_t *op, pt_vaddr_t va) {
    uint64_t j = (va - op->va) / PG;
    if (op->src.list) {
        return op->src.list[j];
    }
    if (op->src.next) {
        const mrun_t *m = run_at(r, j);
        return m->pa + (j - m->off) * PG;
    }
    return op->src.base + (va - op->va);
}

/* True if op's source gives physically contiguous frames for [va, va + size). */
static bool src_contiguous(const run_t *r, const mop_t *op, pt_vaddr_t va, uint64_t size) {
    if (op->src.list) {
        return false; /* libpt never looks for runs in a list */
    }
    if (!op->src.next) {
        return true;
    }
    uint64_t j = (va - op->va) / PG, end = j + size / PG;
    const mrun_t *m = run_at(r, j);
    while (m->off + m->pages < end) {
        if (m[1].pa != m->pa + m->pages * PG) {
            return false;
        }
        m++;
    }
    return true;
}

/* Fills op's frame source for its range: a list (short ranges, sometimes), runs from a
 * callback (sometimes) or a contiguous base, often congruent to va modulo 1 GiB so huge
 * leaves are possible. */
static void random_source(run_t *r, mop_t *op, bool huge_range) {
    op->src.list = NULL;
    if (ptt_below(&r->rng, 4) == 0) {
        random_runs(r, op);
    } else if (op->n <= MAX_LIST && ptt_below(&r->rng, 4) == 0) {
        for (uint64_t i = 0; i < op->n; i++) {
            r->list[i] = PTT_DATA_PA + ptt_below(&r->rng, 1ull << 28) * PG;
        }
        op->src.list = r->list;
    } else if (huge_range ? ptt_below(&r->rng, 5) != 0 : ptt_below(&r->rng, 8) == 0) {
        op->src.base = 16 * GIB + ptt_below(&r->rng, 1024) * GIB + (op->va & (GIB - 1));
    } else {
        op->src.base = PTT_DATA_PA + ptt_below(&r->rng, 1ull << 28) * PG;
    }
}

/* Draws the next operation: sizes mostly 1..16 pages, some up to 1024, some 2 MiB-aligned
 * multiples of 2 MiB, rarely the whole aligned 1 GiB. */
static void random_op(run_t *r, mop_t *op) {
    uint64_t k = ptt_below(&r->rng, 100);
    op->kind = k < 35 ? OP_MAP : k < 60 ? OP_UNMAP : k < 75 ? OP_PROTECT : OP_QUERY;
    uint64_t size = ptt_below(&r->rng, 100000);
    bool huge_range = size < 6000;
    if (size < GIGA_ODDS) {
        op->n = GIB / PG;
        op->va = r->m.base + WIN_GIGA;
    } else if (huge_range) {
        op->n = (1 + ptt_below(&r->rng, 3)) * 512;
        op->va = random_start(r, op->n, 2 * MIB);
        if (ptt_below(&r->rng, 4) == 0) {
            op->n -= ptt_below(&r->rng, 512); /* ends inside a 2 MiB block */
        }
    } else {
        op->n = size < 20000 ? 17 + ptt_below(&r->rng, 1008) : 1 + ptt_below(&r->rng, 16);
        op->va = random_start(r, op->n, PG);
    }
    op->attr = random_attr(r);
    op->flags = 0;
    op->src = (pt_frames_t){0};
    op->refuse = 0;
    if (op->kind == OP_MAP) {
        op->flags |= ptt_below(&r->rng, 2) ? PT_MAP_OVERWRITE : 0;
        op->flags |= (huge_range ? ptt_below(&r->rng, 5) != 0 : ptt_below(&r->rng, 3) == 0)
                         ? PT_MAP_HUGE
                         : 0;
        if (size < GIGA_ODDS) {
            op->flags |= PT_MAP_HUGE;
        }
        random_source(r, op, huge_range || size < GIGA_ODDS);
    } else {
        op->flags |= ptt_below(&r->rng, 2) ? PT_SKIP_HOLES : 0;
    }
}

/* The leaf size map gives to va: the largest leaf the format allows whose span fits before
 * end with va and its frame both aligned (PT_MAP_HUGE and a contiguous source), else 4 KiB. */
static unsigned map_shift(const run_t *r, const mop_t *op, pt_vaddr_t va, pt_vaddr_t end) {
    if (!(op->flags & PT_MAP_HUGE) || op->src.list) {
        return 12;
    }
    pt_paddr_t pa = src_frame(r, op, va);
    for (unsigned s = (r->sflags & PT_FEAT_NO_GIGA) ? 21 : 30; s > 12; s -= 9) {
        uint64_t size = 1ull << s;
        if (((va | pa) & (size - 1)) == 0 && end - va >= size && src_contiguous(r, op, va, size)) {
            return s;
        }
    }
    return 12;
}

/* Splits, in the model, the leaves containing x that x cuts (x not at their start), as
 * libpt splits huge leaves a range covers only in part; except for a protect (op) that would
 * not change the cut leaf's permissions, which libpt leaves whole. */
static void model_split_at(model_t *m, const mop_t *op, pt_vaddr_t x) {
    if (x - m->base >= WIN_SIZE) {
        return;
    }
    uint64_t i = page_of(m, x);
    if (op->kind == OP_PROTECT && m->frame[i] && m->perm[i] == op->attr.perm) {
        return;
    }
    while (m->frame[i] && (x & ((1ull << m->shift[i]) - 1))) {
        uint64_t first = page_of(m, x & ~((1ull << m->shift[i]) - 1));
        uint64_t count = 1ull << (m->shift[i] - 12);
        memset(m->shift + first, m->shift[i] - 9, count);
    }
}

/* Counts the model's leaves (all, and those above 4 KiB) that start inside [va, va + n
 * pages); after model_split_at at both ends no leaf straddles them. */
static void model_leaves(const model_t *m, pt_vaddr_t va, uint64_t n, uint64_t *leaves,
                         uint64_t *huge) {
    *leaves = *huge = 0;
    for (uint64_t j = 0, i = page_of(m, va); j < n; j++, i++) {
        if (m->frame[i] && ((va + j * PG) & ((1ull << m->shift[i]) - 1)) == 0) {
            (*leaves)++;
            *huge += m->shift[i] > 12;
        }
    }
}

/* Applies a successful op to the model (after model_split_at at both ends). */
static void model_apply(run_t *r, const mop_t *op) {
    model_t *m = &r->m;
    pt_vaddr_t end = op->va + op->n * PG;
    for (pt_vaddr_t va = op->va; va < end;) {
        uint64_t i = page_of(m, va);
        unsigned s = op->kind == OP_MAP ? map_shift(r, op, va, end) : 12;
        for (uint64_t j = 0; j < (1ull << (s - 12)); j++, i++, va += PG) {
            if (op->kind == OP_MAP) {
                m->mapped += m->frame[i] == 0;
                m->frame[i] = src_frame(r, op, va);
                m->perm[i] = op->attr.perm;
                m->mt[i] = op->attr.memtype;
                m->shift[i] = (uint8_t)s;
            } else if (op->kind == OP_UNMAP) {
                m->mapped -= m->frame[i] != 0;
                m->frame[i] = 0;
            } else if (m->frame[i]) {
                m->perm[i] = op->attr.perm;
            }
        }
    }
}

/* Walker state comparing leaves with the model over [lo, last]. */
typedef struct cmp {
    run_t *r;
    pt_vaddr_t lo, last;
    uint64_t pages;
} cmp_t;

/* Walker callback: every page of the leaf inside [lo, last] must be in the model as such. */
static void cmp_leaf(void *ctx, const ptt_leaf_t *l) {
    cmp_t *c = ctx;
    const model_t *m = &c->r->m;
    pt_vaddr_t from = l->va > c->lo ? l->va : c->lo;
    pt_vaddr_t to =
        l->va + ((1ull << l->shift) - 1) < c->last ? l->va + ((1ull << l->shift) - 1) : c->last;
    for (pt_vaddr_t va = from; va <= to && va >= from; va += PG) {
        uint64_t i = page_of(m, va);
        pt_paddr_t pa = l->pa + (va - l->va);
        if (m->frame[i] != pa || m->shift[i] != l->shift || m->perm[i] != l->attr.perm ||
            m->mt[i] != l->attr.memtype) {
            cr_assert_fail("%s: walker: %#llx -> %#llx size %u perm %#x mt %u; model: %#llx "
                           "size %u perm %#x mt %u",
                           c->r->fmt->name, (unsigned long long)va, (unsigned long long)pa,
                           l->shift, l->attr.perm, l->attr.memtype, (unsigned long long)m->frame[i],
                           m->shift[i], m->perm[i], m->mt[i]);
        }
        c->pages++;
    }
}

/* Asserts the reference walker sees exactly the model's pages over [lo, last]. */
static void walker_matches(run_t *r, pt_vaddr_t lo, pt_vaddr_t last) {
    cmp_t c = {r, lo, last, 0};
    ptt_walker_t w = {.ctx = &c, .leaf = cmp_leaf};
    ptt_walk(&r->e, lo, last, &w);
    uint64_t want = 0;
    if (lo == r->m.base && last == r->m.base + WIN_SIZE - 1) {
        want = r->m.mapped;
    } else {
        for (uint64_t i = page_of(&r->m, lo); i <= page_of(&r->m, last); i++) {
            want += r->m.frame[i] != 0;
        }
    }
    cr_assert_eq(c.pages, want, "%s: walker finds %llu pages in [%#llx, %#llx], model %llu",
                 r->fmt->name, (unsigned long long)c.pages, (unsigned long long)lo,
                 (unsigned long long)last, (unsigned long long)want);
}

/* Asserts pt_query(va) agrees with the model. */
static void query_matches(run_t *r, pt_vaddr_t va) {
    const model_t *m = &r->m;
    uint64_t i = page_of(m, va);
    pt_mapping_t q;
    pt_err_t rc = pt_query(&r->e.s, va, &q);
    if (m->frame[i] == 0) {
        cr_assert_eq(rc, PT_ERR_NOT_MAPPED, "%s: query(%#llx) = %s, model has a hole", r->fmt->name,
                     (unsigned long long)va, pt_strerror(rc));
        return;
    }
    unsigned s = m->shift[i];
    cr_assert(
        rc == PT_OK && q.pa == m->frame[i] && q.shift == s && q.va == (va & ~((1ull << s) - 1)) &&
            q.attr.perm == m->perm[i] && q.attr.memtype == m->mt[i],
        "%s: query(%#llx) = %s pa %#llx shift %u perm %#x mt %u; model %#llx %u %#x %u",
        r->fmt->name, (unsigned long long)va, pt_strerror(rc), (unsigned long long)q.pa, q.shift,
        q.attr.perm, q.attr.memtype, (unsigned long long)m->frame[i], s, m->perm[i], m->mt[i]);
}

/* Checks the touched range [va, va + n pages) with the walker and pt_query (every page of a
 * short range, a sample of a long one), and a few random probes with both. */
static void check_touched(run_t *r, pt_vaddr_t va, uint64_t n) {
    walker_matches(r, va, va + n * PG - 1);
    if (n <= QUERY_ALL) {
        for (uint64_t i = 0; i < n; i++) {
            query_matches(r, va + i * PG);
        }
    } else {
        query_matches(r, va);
        query_matches(r, va + (n - 1) * PG);
        for (unsigned i = 0; i < QUERY_ALL; i++) {
            query_matches(r, va + ptt_below(&r->rng, n) * PG);
        }
    }
    for (unsigned i = 0; i < PROBES; i++) {
        uint64_t p = ptt_below(&r->rng, WIN_PAGES);
        pt_vaddr_t pva = r->m.base + p * PG;
        ptt_expect_page(&r->e, pva, r->m.frame[p], model_attr(&r->m, p), r->m.shift[p]);
    }
}

/* Calls libpt for op. */
static pt_err_t call(run_t *r, const mop_t *op, pt_result_t *res) {
    ptt_clear_released(&r->e);
    r->calls = 0;
    r->refuse = op->refuse;
    switch (op->kind) {
        case OP_MAP:
            return pt_map(&r->e.s, op->va, op->n * PG, &op->src, op->attr, op->flags, res);
        case OP_UNMAP:
            return pt_unmap(&r->e.s, op->va, op->n * PG, op->flags, res);
        default:
            return pt_protect(&r->e.s, op->va, op->n * PG, op->attr, op->flags, res);
    }
}

/* What the model predicts for op before it runs. */
typedef struct predict {
    pt_err_t rc;
    pt_vaddr_t fault;
    uint64_t mapped;        /* pages present in the range */
    pt_vaddr_t first, last; /* of the pages whose leaf changes */
    uint64_t changed;       /* pages whose leaf changes */
} predict_t;

/* Predicts op's return code, fault address and the pages it changes. */
static predict_t predict(const run_t *r, const mop_t *op) {
    const model_t *m = &r->m;
    predict_t p = {.rc = PT_OK};
    pt_vaddr_t first_hole = 0, first_mapped = 0;
    bool hole = false;
    for (uint64_t j = 0, i = page_of(m, op->va); j < op->n; j++, i++) {
        pt_vaddr_t va = op->va + j * PG;
        if (!m->frame[i]) {
            first_hole = hole ? first_hole : va;
            hole = true;
            continue;
        }
        first_mapped = p.mapped++ ? first_mapped : va;
        if (op->kind != OP_PROTECT || m->perm[i] != op->attr.perm) {
            p.first = p.changed++ ? p.first : va;
            p.last = va + PG - 1;
        }
    }
    if (op->kind == OP_MAP) { /* every slot is written (README: flush reports) */
        p.first = op->va;
        p.last = op->va + op->n * PG - 1;
        p.changed = op->n;
    }
    if (op->kind == OP_MAP && p.mapped && !(op->flags & PT_MAP_OVERWRITE)) {
        p.rc = PT_ERR_EXISTS;
        p.fault = first_mapped;
    } else if (op->kind != OP_MAP && hole && !(op->flags & PT_SKIP_HOLES)) {
        p.rc = PT_ERR_NOT_MAPPED;
        p.fault = first_hole;
    }
    return p;
}

/* Asserts the flush report of a successful op covers the pages the model says changed. */
static void check_flush(run_t *r, const mop_t *op, const predict_t *p, const pt_result_t *res) {
    const pt_flush_t *f = &res->flush;
    if (p->changed && !(f->leaves > 0 && f->start <= p->first && f->last >= p->last)) {
        soft_fail(r, SOFT_FLUSH_RANGE, op,
                  "flush [%#llx, %#llx] (%llu leaves) misses changed leaves in [%#llx, %#llx]",
                  (unsigned long long)f->start, (unsigned long long)f->last,
                  (unsigned long long)f->leaves, (unsigned long long)p->first,
                  (unsigned long long)p->last);
    }
    if (f->all != (f->leaves > PT_FLUSH_ALL_THRESHOLD) || (res->deferred.count && !f->tables)) {
        soft_fail(r, SOFT_FLUSH_FLAGS, op,
                  "flush all %d tables %d with %llu leaves, %llu tables "
                  "unlinked",
                  f->all, f->tables, (unsigned long long)f->leaves,
                  (unsigned long long)res->deferred.count);
    }
}

/* Checks a successful op's result against the model, then applies it to the model. */
static void check_success(run_t *r, const mop_t *op, const predict_t *p, pt_result_t *res,
                          uint64_t tables_before) {
    model_t *m = &r->m;
    uint64_t want_pages = op->kind == OP_MAP ? op->n : p->mapped;
    uint64_t want_holes = op->kind == OP_MAP ? 0 : op->n - p->mapped;
    cr_assert(res->pages == want_pages && res->holes == want_holes,
              "%s: op %d at %#llx+%llu pages: result %llu pages %llu holes, model %llu %llu",
              r->fmt->name, op->kind, (unsigned long long)op->va, (unsigned long long)op->n,
              (unsigned long long)res->pages, (unsigned long long)res->holes,
              (unsigned long long)want_pages, (unsigned long long)want_holes);
    model_split_at(m, op, op->va);
    model_split_at(m, op, op->va + op->n * PG);
    if (op->kind == OP_PROTECT) {
        cr_assert_eq(r->e.nrel, 0, "%s: protect released frames", r->fmt->name);
    } else {
        ptt_expect_released(&r->e, op->va, op->n, m->frame + page_of(m, op->va));
        for (size_t k = 0; k < r->e.nrel; k++) {
            const ptt_release_t *rel = &r->e.rel[k];
            if (rel->shift != m->shift[page_of(m, rel->va)]) {
                soft_fail(r, SOFT_RELEASE_SHIFT, op,
                          "released a %u-bit leaf at %#llx, the tables held a %u-bit one",
                          rel->shift, (unsigned long long)rel->va, m->shift[page_of(m, rel->va)]);
                break;
            }
        }
    }
    check_flush(r, op, p, res);
    uint64_t leaves, huge;
    if (op->kind == OP_UNMAP) {
        model_leaves(m, op->va, op->n, &leaves, &huge);
    }
    model_apply(r, op);
    if (op->kind == OP_MAP) {
        model_leaves(m, op->va, op->n, &leaves, &huge);
    }
    if (op->kind != OP_PROTECT && (res->leaves != leaves || res->huge_leaves != huge)) {
        soft_fail(r, SOFT_COUNTS, op, "result: %llu leaves (%llu huge); the tables: %llu (%llu)",
                  (unsigned long long)res->leaves, (unsigned long long)res->huge_leaves,
                  (unsigned long long)leaves, (unsigned long long)huge);
    }
    cr_assert_eq(r->e.s.tables, tables_before + res->tables_added - res->deferred.count,
                 "%s: tables %llu -> %llu with %llu added, %llu deferred", r->fmt->name,
                 (unsigned long long)tables_before, (unsigned long long)r->e.s.tables,
                 (unsigned long long)res->tables_added, (unsigned long long)res->deferred.count);
    ptt_release_deferred(&r->e, res);
    cr_assert_eq(ptt_outstanding(&r->e.alloc), r->e.s.tables);
}

/* Runs op with the k-th table allocation failing (k > 0). A PT_ERR_NOMEM is allowed only for
 * an op the model says succeeds (conflicts are found before tables are reserved), must
 * change nothing, and the op retried without failures must need at least k tables.
 * Returns the final return code, with res filled by the final call. */
static pt_err_t call_failing(run_t *r, const mop_t *op, pt_result_t *res, uint64_t k,
                             pt_err_t predicted) {
    ptt_alloc_t *a = &r->e.alloc;
    uint64_t out = ptt_outstanding(a), tables = r->e.s.tables, attempts = a->attempts;
    ptt_fail_at(a, k);
    pt_err_t rc = call(r, op, res);
    ptt_fail_at(a, 0);
    if (rc != PT_ERR_NOMEM) {
        cr_assert(a->attempts - attempts < k, "%s: op allocated past a failed allocation",
                  r->fmt->name);
        return rc;
    }
    r->nomem++;
    cr_assert_eq(predicted, PT_OK, "%s: PT_ERR_NOMEM for an op that must fail with %s",
                 r->fmt->name, pt_strerror(predicted));
    cr_assert(r->e.nrel == 0 && ptt_outstanding(a) == out && r->e.s.tables == tables,
              "%s: PT_ERR_NOMEM but %zu releases, %llu frames out (was %llu)", r->fmt->name,
              r->e.nrel, (unsigned long long)ptt_outstanding(a), (unsigned long long)out);
    check_touched(r, op->va, op->n); /* the model is unchanged, so must the tables be */
    attempts = a->attempts;
    rc = call(r, op, res);
    cr_assert(rc != PT_OK || a->attempts - attempts >= k,
              "%s: PT_ERR_NOMEM at allocation %llu, but the op needs only %llu", r->fmt->name,
              (unsigned long long)k, (unsigned long long)(a->attempts - attempts));
    return rc;
}

/* Runs one random operation and checks everything against the model. */
static void step(run_t *r) {
    mop_t op;
    random_op(r, &op);
    r->ops[op.kind]++;
    if (r->trace) {
        fprintf(stderr, "%s: op %d va %#llx pages %llu flags %#x perm %#x mt %u %s %#llx\n",
                r->fmt->name, op.kind, (unsigned long long)op.va, (unsigned long long)op.n,
                op.flags, op.attr.perm, op.attr.memtype,
                op.src.list   ? "list"
                : op.src.next ? "runs"
                              : "base",
                (unsigned long long)(op.src.list ? op.src.list[0] : op.src.base));
    }
    if (op.kind == OP_QUERY) {
        uint64_t p = ptt_below(&r->rng, WIN_PAGES);
        ptt_expect_page(&r->e, r->m.base + p * PG, r->m.frame[p], model_attr(&r->m, p),
                        r->m.shift[p]);
        return;
    }
    predict_t p = predict(r, &op);
    if (op.refuse) { /* the check pass reads run by run and stops at the refusal */
        p.rc = PT_ERR_NOMEM;
        p.fault = op.va + r->runs[op.refuse - 1].off * PG;
        r->run_refusals++;
    }
    r->run_maps += op.src.next != NULL;
    uint64_t tables = r->e.s.tables, out = ptt_outstanding(&r->e.alloc);
    pt_result_t res;
    uint64_t k = !op.refuse && ptt_below(&r->rng, 64) == 0 ? 1 + ptt_below(&r->rng, 3) : 0;
    pt_err_t rc = k ? call_failing(r, &op, &res, k, p.rc) : call(r, &op, &res);
    cr_assert_eq(rc, p.rc, "%s: op %d at %#llx+%llu pages flags %#x: %s, model says %s",
                 r->fmt->name, op.kind, (unsigned long long)op.va, (unsigned long long)op.n,
                 op.flags, pt_strerror(rc), pt_strerror(p.rc));
    if (rc == PT_OK) {
        r->huge_maps += op.kind == OP_MAP && res.huge_leaves > 0;
        r->giga_ops += op.n == GIB / PG;
        check_success(r, &op, &p, &res, tables);
    } else {
        r->refused[op.kind]++;
        if (res.fault_va != p.fault) {
            soft_fail(r, SOFT_FAULT_VA, &op, "%s with fault_va %#llx, first offending page %#llx",
                      pt_strerror(rc), (unsigned long long)res.fault_va,
                      (unsigned long long)p.fault);
        }
        cr_assert(r->e.nrel == 0 && ptt_outstanding(&r->e.alloc) == out && r->e.s.tables == tables,
                  "%s: a refused op changed frames or tables", r->fmt->name);
    }
    r->max_tables = r->e.s.tables > r->max_tables ? r->e.s.tables : r->max_tables;
    check_touched(r, op.va, op.n);
}

/* Number of operations per format for the user-space run: env PT_MODEL_OPS or DEFAULT_OPS
 * (the kernel-space run does a quarter of it). */
static uint64_t model_ops(void) {
    const char *s = getenv("PT_MODEL_OPS");
    return s && *s ? strtoull(s, NULL, 0) : DEFAULT_OPS;
}

/* Space flags of the model run per format: Svpbmt on Sv48 (every memory type), no 1 GiB
 * leaves on Sv39 (normal memory only), the plain formats otherwise. */
static uint32_t model_flags(const pt_format_t *fmt) {
    if (fmt == &pt_format_sv48) {
        return PT_FEAT_SVPBMT;
    }
    return fmt == &pt_format_sv39 ? PT_FEAT_NO_GIGA : 0;
}

/* Runs ops random operations on a space of fmt against the model. kernel: a PT_SPACE_KERNEL
 * space with the window in the upper half (no PT_U leaves there), else a user space with the
 * window around 1 GiB and 2 GiB. */
static void model_run(const pt_format_t *fmt, bool kernel, uint64_t ops) {
    static run_t r; /* large; one per test process */
    uint64_t seed = ptt_seed();
    memset(&r, 0, sizeof(r));
    r.fmt = fmt;
    r.sflags = model_flags(fmt) | (kernel ? PT_SPACE_KERNEL : 0);
    r.m.base = (kernel ? ptt_upper_base(fmt) : 0) + GIB - WIN_GIGA;
    r.trace = getenv("PT_TRACE") != NULL;
    r.rng = seed ^ fmt->levels ^ (uint64_t)fmt->va_bits << 8 ^ (uint64_t)fmt->pa_bits << 16;
    r.m.frame = calloc(WIN_PAGES, sizeof(*r.m.frame));
    r.m.perm = calloc(WIN_PAGES, 1);
    r.m.mt = calloc(WIN_PAGES, 1);
    r.m.shift = calloc(WIN_PAGES, 1);
    cr_assert(r.m.frame && r.m.perm && r.m.mt && r.m.shift);
    bool hook = fmt == &pt_format_sv48;
    ptt_env_init(&r.e, fmt, r.sflags, hook);
    cr_log_info("%s: model run: seed %#llx (PT_SEED), %llu ops, flags %#x, window %#llx, %s",
                fmt->name, (unsigned long long)seed, (unsigned long long)ops, r.sflags,
                (unsigned long long)r.m.base, hook ? "phys_to_virt hook" : "phys_offset");
    clock_t t0 = clock();
    for (uint64_t i = 1; i <= ops; i++) {
        step(&r);
        if (i % SWEEP_EVERY == 0 || i == ops) {
            walker_matches(&r, r.m.base, r.m.base + WIN_SIZE - 1);
            ptt_stats_t st = ptt_check_invariants(&r.e, 0);
            cr_assert_eq(st.pages, r.m.mapped);
            r.sweeps++;
        }
    }
    for (unsigned k = 0; k < SOFT_KINDS; k++) {
        cr_expect_eq(r.soft[k], 0, "%s: %llu ops: %s", fmt->name, (unsigned long long)r.soft[k],
                     soft_names[k]);
    }
    uint64_t pages = ptt_env_fini(&r.e);
    cr_assert_eq(pages, r.m.mapped);
    free(r.m.frame);
    free(r.m.perm);
    free(r.m.mt);
    free(r.m.shift);
    cr_log_info(
        "%s: %llu ops agreed with the model in %.1fs (seed %#llx): map %llu (%llu "
        "EXISTS, %llu with huge leaves), unmap %llu (%llu NOT_MAPPED), protect %llu "
        "(%llu NOT_MAPPED), query %llu; %llu injected PT_ERR_NOMEM left all unchanged; "
        "%llu full sweeps; %llu successful 1 GiB-range ops; peak %llu tables; %llu pages mapped "
        "at the end; %llu maps from a callback source, %llu of them refused by it (unchanged)",
        fmt->name, (unsigned long long)ops, (double)(clock() - t0) / CLOCKS_PER_SEC,
        (unsigned long long)seed, (unsigned long long)r.ops[OP_MAP],
        (unsigned long long)r.refused[OP_MAP], (unsigned long long)r.huge_maps,
        (unsigned long long)r.ops[OP_UNMAP], (unsigned long long)r.refused[OP_UNMAP],
        (unsigned long long)r.ops[OP_PROTECT], (unsigned long long)r.refused[OP_PROTECT],
        (unsigned long long)r.ops[OP_QUERY], (unsigned long long)r.nomem,
        (unsigned long long)r.sweeps, (unsigned long long)r.giga_ops,
        (unsigned long long)r.max_tables, (unsigned long long)pages, (unsigned long long)r.run_maps,
        (unsigned long long)r.run_refusals);
}

PTT_FOR_ALL_FORMATS(model, random_ops_agree_with_reference_model) {
    model_run(fmt, false, model_ops());
}

PTT_FOR_ALL_FORMATS(model, kernel_space_upper_half_agrees_with_model) {
    model_run(fmt, true, model_ops() / 4);
}
