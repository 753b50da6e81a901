/*
 * mm_dump: a client's map as text, through a callback (the core has no printf). Human
 * lines first, then machine lines starting with "mmdump" (format in <mmserver/mm.h>), which
 * a host tool turns into pictures.
 */
#include "internal.h"

#include <stdarg.h>

#define LINE_MAX 192u

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

/* The walk over the leaves and tables: the current leaf run and table counts. */
typedef struct dump_walk {
    mm_out_fn out;
    void *ctx;
    uint32_t client;
    pt_mapping_t run; /* first leaf of the current run */
    uint64_t pages;   /* pages in the run (0: none) */
    uint64_t tables[8];
} dump_walk_t;

/* Writes the current leaf run, in both forms. */
static void flush_run(dump_walk_t *w) {
    line_t l;
    if (w->pages == 0) {
        return;
    }
    uint64_t va = w->run.va, pa = w->run.pa;
    uint32_t perm = mm_perm_of(w->run.attr.perm);
    const char *size = w->run.shift == 12 ? "4K" : w->run.shift == 21 ? "2M" : "1G";
    put_fmt(line_start(&l), "    leaves %x -> %x pages %x of %s %p", va, pa, w->pages, size, perm);
    w->out(w->ctx, l.buf);
    put_fmt(line_start(&l), "mmdump %x leaves %x %x %x %x %p", (uint64_t)w->client, va, pa,
            w->pages, (uint64_t)w->run.shift, perm);
    w->out(w->ctx, l.buf);
    w->pages = 0;
}

/* pt_iterate visitor: counts tables, extends or ends the leaf run. */
static bool visit(void *ctx, const pt_mapping_t *m) {
    dump_walk_t *w = ctx;
    if (m->is_table) {
        w->tables[(m->level - 1) & 7]++;
        return true;
    }
    uint64_t off = w->pages << PT_PAGE_SHIFT;
    bool extends = w->pages && m->shift == w->run.shift && m->va == w->run.va + off &&
                   m->pa == w->run.pa + off && m->attr.perm == w->run.attr.perm &&
                   m->attr.memtype == w->run.attr.memtype;
    if (!extends) {
        flush_run(w);
        w->run = *m;
    }
    w->pages += 1ull << (m->shift - PT_PAGE_SHIFT);
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

/* Writes the account line, in both forms. */
static void dump_account(dump_walk_t *w, const mm_client_t *c) {
    line_t l;
    put_fmt(line_start(&l),
            "client %x: charge %x of quota %x: data %x, tables %x (%x held); %x "
            "pages without a frame",
            (uint64_t)c->id, mm_charge(c), c->quota, c->data, c->tables_max, c->tables,
            c->unbacked);
    w->out(w->ctx, l.buf);
    put_fmt(line_start(&l), "mmdump %x account %x %x %x %x %x %x", (uint64_t)c->id, mm_charge(c),
            c->quota, c->data, c->tables, c->tables_max, c->unbacked);
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
    if (client >= srv->clients || !srv->client[client].active) {
        return MM_ERR_NO_CLIENT;
    }
    const mm_client_t *c = &srv->client[client];
    dump_walk_t w;
    mm_mem_zero(&w, sizeof(w)); /* not "= {0}": that could become a call to memset */
    w.out = out;
    w.ctx = ctx;
    w.client = client;
    dump_account(&w, c);
    for (uint32_t i = 0; i < c->nregions; i++) {
        dump_region(&w, &c->region[i]);
    }
    pt_iterate(&c->space, MM_USER_BASE, srv->user_top - MM_USER_BASE, visit, &w);
    flush_run(&w);
    dump_tables(&w, c->space.fmt->levels);
    return MM_OK;
}
