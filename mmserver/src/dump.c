/*
 * mm_dump: a client's map as text, through a callback (the core has no printf). Human
 * lines first, then machine lines starting with "mmdump" (format in <mmserver/mm.h>), which
 * a host tool turns into pictures.
 */
#include "internal.h"

#include <stdarg.h>

#define LINE_MAX 192u

/* Past 2 DUMP_ENDS regions (or leaf runs) a dump shows the first and the last DUMP_ENDS and
 * one summary line for those between (their count and pages), so a space with 100,000
 * regions still dumps in a few hundred lines. The account line stays exact. */
#define DUMP_ENDS 16u
#define DUMP_ALL  (2 * DUMP_ENDS)

/* A line being built. */
typedef struct line {
    char buf[LINE_MAX];
    unsigned n;
} line_t;

/* Appends s (truncating at the line's end). */
static void put_str(line_t *l, const char *s) {
    while (*s && l->n + 1 < LINE_MAX) {
        l->buf[l->n++] = *s++;
    }
    l->buf[l->n] = 0;
}

/* Appends v as 0x-prefixed hex. */
static void put_hex(line_t *l, uint64_t v) {
    char tmp[19] = "0x";
    unsigned digits = 1;
    while (digits < 16 && (v >> (4 * digits)) != 0) {
        digits++;
    }
    for (unsigned i = 0; i < digits; i++) {
        tmp[2 + i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 0xf];
    }
    tmp[2 + digits] = 0;
    put_str(l, tmp);
}

/* Appends permissions as "rwx" with '-' for what is missing. */
static void put_perm(line_t *l, uint32_t perm) {
    char p[4] = {perm & MM_PERM_R ? 'r' : '-', perm & MM_PERM_W ? 'w' : '-',
                 perm & MM_PERM_X ? 'x' : '-', 0};
    put_str(l, p);
}

/*
 * Appends fmt with its arguments: %x a uint64_t in hex with 0x, %p a uint32_t permission
 * set as "rwx", %s a string; anything else is copied. A tiny printf, since the core has
 * none (<stdarg.h> is one of the compiler's own freestanding headers).
 */
static void put_fmt(line_t *l, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        char c[2] = {*fmt, 0};
        if (*fmt != '%' || !fmt[1]) {
            put_str(l, c);
            continue;
        }
        switch (*++fmt) {
            case 'x':
                put_hex(l, va_arg(ap, uint64_t));
                break;
            case 'p':
                put_perm(l, va_arg(ap, uint32_t));
                break;
            default:
                put_str(l, va_arg(ap, const char *));
                break;
        }
    }
    va_end(ap);
}

/* Empties line l and returns it. */
static line_t *line_start(line_t *l) {
    l->n = 0;
    l->buf[0] = 0;
    return l;
}

/* A region kind's word. */
static const char *kind_name(uint32_t kind) {
    static const char *const names[] = {"?", "anon", "lazy", "shared", "device", "image"};
    return kind <= MM_KIND_IMAGE ? names[kind] : "?";
}

/* MM_PERM_* of a pt permission set. */
static uint32_t mm_perm_of(uint32_t pt) {
    return (pt & PT_R ? MM_PERM_R : 0) | (pt & PT_W ? MM_PERM_W : 0) | (pt & PT_X ? MM_PERM_X : 0);
}

/* A leaf run: its first leaf and its pages. */
typedef struct dump_run {
    pt_mapping_t first;
    uint64_t pages;
} dump_run_t;

/* The walk over the leaves and tables: the current leaf run and table counts. */
typedef struct dump_walk {
    mm_out_fn out;
    void *ctx;
    uint32_t client;
    dump_run_t run;             /* the current run (pages 0: none) */
    uint64_t tables[8];         /* per level */
    uint64_t runs;              /* leaf runs ended so far */
    uint64_t pages_all;         /* pages of every run */
    dump_run_t tail[DUMP_ENDS]; /* runs past the first DUMP_ENDS: the last ones, a ring */
} dump_walk_t;

/* True if item i of n (regions or leaf runs) is written, not summarised. */
static bool shown(uint64_t i, uint64_t n) {
    return n <= DUMP_ALL || i < DUMP_ENDS || i >= n - DUMP_ENDS;
}

/* Writes the summary of n items (what) of pages pages left out. */
static void put_skipped(const dump_walk_t *w, const char *what, uint64_t n, uint64_t pages) {
    line_t l;
    put_fmt(line_start(&l), "  ... %x %s not shown (%x pages)", n, what, pages);
    w->out(w->ctx, l.buf);
    put_fmt(line_start(&l), "mmdump %x skipped %s %x %x", (uint64_t)w->client, what, n, pages);
    w->out(w->ctx, l.buf);
}

/* Writes leaf run r, in both forms. */
static void put_run(const dump_walk_t *w, const dump_run_t *r) {
    line_t l;
    uint64_t va = r->first.va, pa = r->first.pa;
    uint32_t perm = mm_perm_of(r->first.attr.perm);
    const char *size = r->first.shift == 12 ? "4K" : r->first.shift == 21 ? "2M" : "1G";
    put_fmt(line_start(&l), "    leaves %x -> %x pages %x of %s %p", va, pa, r->pages, size, perm);
    w->out(w->ctx, l.buf);
    put_fmt(line_start(&l), "mmdump %x leaves %x %x %x %x %p", (uint64_t)w->client, va, pa,
            r->pages, (uint64_t)r->first.shift, perm);
    w->out(w->ctx, l.buf);
}

/* Ends the current leaf run: the first DUMP_ENDS are written at once, later ones wait in
 * the ring (dump_tail), which keeps the last DUMP_ENDS: one walk over the tables. */
static void flush_run(dump_walk_t *w) {
    if (w->run.pages == 0) {
        return;
    }
    if (w->runs < DUMP_ENDS) {
        put_run(w, &w->run);
    } else {
        mm_mem_copy(&w->tail[w->runs % DUMP_ENDS], &w->run, sizeof(w->run));
    }
    w->runs++;
    w->run.pages = 0;
}

/* Writes the runs in the ring, after a summary of those it lost (all_pages: every run's
 * pages, so the summary's pages are what no written run holds). */
static void dump_tail(const dump_walk_t *w, uint64_t all_pages) {
    uint64_t first = w->runs > DUMP_ALL ? w->runs - DUMP_ENDS : DUMP_ENDS;
    if (w->runs > DUMP_ALL) {
        uint64_t written = 0;
        for (uint64_t i = 0; i < DUMP_ENDS; i++) {
            written += w->tail[i].pages;
        }
        put_skipped(w, "leaf-runs", w->runs - DUMP_ALL, all_pages - written);
    }
    for (uint64_t i = first; i < w->runs; i++) {
        put_run(w, &w->tail[i % DUMP_ENDS]);
    }
}

/* pt_iterate visitor: counts tables, extends or ends the leaf run. */
static bool visit(void *ctx, const pt_mapping_t *m) {
    dump_walk_t *w = ctx;
    if (m->is_table) {
        w->tables[(m->level - 1) & 7]++;
        return true;
    }
    const pt_mapping_t *f = &w->run.first;
    uint64_t off = w->run.pages << PT_PAGE_SHIFT;
    bool extends = w->run.pages && m->shift == f->shift && m->va == f->va + off &&
                   m->pa == f->pa + off && m->attr.perm == f->attr.perm &&
                   m->attr.memtype == f->attr.memtype;
    if (!extends) {
        flush_run(w);
        mm_mem_copy(&w->run.first, m, sizeof(*m));
    }
    w->run.pages += 1ull << (m->shift - PT_PAGE_SHIFT);
    w->pages_all += 1ull << (m->shift - PT_PAGE_SHIFT);
    return true;
}

/* Writes one region, in both forms. */
static void dump_region(dump_walk_t *w, const mm_region_t *r) {
    line_t l;
    const char *kind = kind_name(r->kind);
    uint64_t peer = r->kind == MM_KIND_SHARED ? r->peer : 0;
    put_fmt(line_start(&l), "  region %x-%x %p %s max %p", r->base, r->base + r->len,
            (uint32_t)r->perm, kind, (uint32_t)r->maxperm);
    w->out(w->ctx, l.buf);
    put_fmt(line_start(&l), "mmdump %x region %x %x %p %s %p %x %x", (uint64_t)w->client, r->base,
            r->len, (uint32_t)r->perm, kind, (uint32_t)r->maxperm, (uint64_t)r->memtype, peer);
    w->out(w->ctx, l.buf);
}

/* Writes c's regions: all of them, or the first and last DUMP_ENDS of many with a summary
 * of those between. */
static void dump_regions(dump_walk_t *w, const mm_client_t *c) {
    uint64_t i = 0, n = c->nregions, skipped = 0;
    for (const mm_region_t *r = mm_region_first(c); r; r = mm_region_next(r), i++) {
        if (!shown(i, n)) {
            skipped += MM_PAGES(r->len);
            continue;
        }
        if (n > DUMP_ALL && i == n - DUMP_ENDS) {
            put_skipped(w, "regions", n - 2 * DUMP_ENDS, skipped);
        }
        dump_region(w, r);
    }
}

/* Writes the account line, in both forms. */
static void dump_account(dump_walk_t *w, const mm_client_t *c) {
    line_t l;
    put_fmt(line_start(&l),
            "client %x: charge %x of quota %x: data %x, tables %x (%x held), region nodes %x; "
            "%x pages without a frame; %x regions",
            (uint64_t)c->id, mm_charge(c), c->quota, c->data, c->tables_max, c->tables, c->rframes,
            c->unbacked, c->nregions);
    w->out(w->ctx, l.buf);
    put_fmt(line_start(&l), "mmdump %x account %x %x %x %x %x %x %x %x", (uint64_t)c->id,
            mm_charge(c), c->quota, c->data, c->tables, c->tables_max, c->unbacked, c->rframes,
            c->nregions);
    w->out(w->ctx, l.buf);
}

/* Writes the table counts per level (the root is one table at the top level). */
static void dump_tables(dump_walk_t *w, unsigned levels) {
    w->tables[levels - 1] = 1;
    for (unsigned lv = levels; lv-- > 0;) {
        line_t l;
        put_fmt(line_start(&l), "  tables at level %x: %x", (uint64_t)lv, w->tables[lv]);
        w->out(w->ctx, l.buf);
        put_fmt(line_start(&l), "mmdump %x tables %x %x", (uint64_t)w->client, (uint64_t)lv,
                w->tables[lv]);
        w->out(w->ctx, l.buf);
    }
}

mm_err_t mm_dump(const mm_server_t *srv, uint32_t client, mm_out_fn out, void *ctx) {
    if (client >= MM_MAX_CLIENTS || !srv->client[client].active) {
        return MM_ERR_NO_CLIENT;
    }
    const mm_client_t *c = &srv->client[client];
    dump_walk_t w;
    mm_mem_zero(&w, sizeof(w)); /* not "= {0}": that could become a call to memset */
    w.out = out;
    w.ctx = ctx;
    w.client = client;
    dump_account(&w, c);
    dump_regions(&w, c);
    pt_iterate(&c->space, MM_USER_BASE, srv->user_top - MM_USER_BASE, visit, &w);
    flush_run(&w);
    dump_tail(&w, w.pages_all);
    dump_tables(&w, c->space.fmt->levels);
    return MM_OK;
}
