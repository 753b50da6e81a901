/*
 * The reference walker: reads the raw tables of a space from its root through the test's
 * own view of the arena (never through libpt's hooks), decoding entries with the format's
 * decode (which test_encode.c checks against independent reference encoders). Look-ups,
 * snapshots and invariant sweeps are built on it.
 */
#include "ptt.h"

#include <stdlib.h>
#include <string.h>

typedef struct walk {
    ptt_env_t *e;
    pt_vaddr_t lo, last;
    const ptt_walker_t *w;
} walk_t;

/* va (built from table indices) made canonical: bits above va_bits - 1 copy that bit. */
static pt_vaddr_t canon(const pt_format_t *fmt, uint64_t va) {
    return (va & ptt_lower_end(fmt)) ? va | ptt_upper_base(fmt) : va;
}

/* Number of non-zero entries in t. */
static unsigned count_nonzero(const uint64_t *t) {
    unsigned n = 0;
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        n += t[i] != 0;
    }
    return n;
}

/* Decodes the non-zero entry raw at level, asserting it is a leaf at a level the format
 * allows or a table pointer above level 0. Fills l (for a leaf, l->va from va). */
static pt_kind_t decode_checked(ptt_env_t *e, uint64_t raw, unsigned level, pt_vaddr_t va,
                                ptt_leaf_t *l) {
    pt_paddr_t pa = 0;
    pt_attr_t attr = {0, 0};
    pt_kind_t k = e->fmt->decode(raw, level, e->s.flags, &pa, &attr);
    cr_assert(k == PT_KIND_LEAF || k == PT_KIND_TABLE,
              "%s: entry %#llx at level %u (va %#llx) decodes as kind %d", e->fmt->name,
              (unsigned long long)raw, level, (unsigned long long)va, (int)k);
    if (k == PT_KIND_LEAF) {
        cr_assert(e->fmt->leaf_levels & (1u << level), "%s: leaf at level %u", e->fmt->name, level);
        cr_assert((pa & ((1ull << ptt_shift(level)) - 1)) == 0 && pa != 0,
                  "%s: leaf frame %#llx misaligned at level %u", e->fmt->name,
                  (unsigned long long)pa, level);
    } else {
        cr_assert(level > 0, "%s: table pointer at level 0", e->fmt->name);
    }
    *l = (ptt_leaf_t){
        .va = va, .pa = pa, .shift = ptt_shift(level), .level = level, .attr = attr, .raw = raw};
    return k;
}

/* Visits the table at pa (entries at level, covering from base) and what it holds. */
static void walk_table(walk_t *w, pt_paddr_t pa, unsigned level, uint64_t base) {
    const pt_format_t *fmt = w->e->fmt;
    const uint64_t *t = ptt_table(w->e, pa);
    if (level + 1u < fmt->levels && w->w->table) {
        w->w->table(w->w->ctx, canon(fmt, base), level, pa, count_nonzero(t));
    }
    uint64_t span = 1ull << ptt_shift(level);
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        uint64_t raw = t[i];
        pt_vaddr_t va = canon(fmt, base + i * span);
        if (raw == 0 || va + (span - 1) < w->lo || va > w->last) {
            continue;
        }
        ptt_leaf_t l;
        if (decode_checked(w->e, raw, level, va, &l) == PT_KIND_TABLE) {
            walk_table(w, l.pa, level - 1, base + i * span);
        } else if (w->w->leaf) {
            w->w->leaf(w->w->ctx, &l);
        }
    }
}

void ptt_walk(ptt_env_t *e, pt_vaddr_t lo, pt_vaddr_t last, const ptt_walker_t *w) {
    walk_t st = {e, lo, last, w};
    walk_table(&st, e->s.root, e->fmt->levels - 1u, 0);
}

bool ptt_lookup(ptt_env_t *e, pt_vaddr_t va, ptt_leaf_t *out) {
    pt_paddr_t table = e->s.root;
    for (unsigned level = e->fmt->levels; level-- > 0;) {
        uint64_t raw = ptt_table(e, table)[(va >> ptt_shift(level)) & (PT_ENTRIES - 1)];
        if (raw == 0) {
            return false;
        }
        pt_vaddr_t base = va & ~((1ull << ptt_shift(level)) - 1);
        if (decode_checked(e, raw, level, base, out) == PT_KIND_LEAF) {
            return true;
        }
        table = out->pa;
    }
    cr_assert_fail("%s: walked below level 0", e->fmt->name);
    return false;
}

void ptt_expect_page(ptt_env_t *e, pt_vaddr_t va, pt_paddr_t pa, pt_attr_t attr, unsigned shift) {
    ptt_leaf_t l;
    pt_mapping_t m;
    bool found = ptt_lookup(e, va, &l);
    pt_err_t rc = pt_query(&e->s, va, &m);
    const char *n = e->fmt->name;
    unsigned long long v = va;
    if (pa == 0) {
        cr_assert(!found, "%s: walker finds %#llx mapped (to %#llx), expected a hole", n, v,
                  (unsigned long long)l.pa);
        cr_assert_eq(rc, PT_ERR_NOT_MAPPED, "%s: query(%#llx) = %s, expected not mapped", n, v,
                     pt_strerror(rc));
        return;
    }
    cr_assert(found, "%s: walker finds a hole at %#llx, expected %#llx", n, v,
              (unsigned long long)pa);
    cr_assert(l.pa + (va - l.va) == pa && l.shift == shift && l.attr.perm == attr.perm &&
                  l.attr.memtype == attr.memtype,
              "%s: walker at %#llx: pa %#llx shift %u perm %#x mt %u; expected %#llx %u %#x %u", n,
              v, (unsigned long long)(l.pa + (va - l.va)), l.shift, l.attr.perm, l.attr.memtype,
              (unsigned long long)pa, shift, attr.perm, attr.memtype);
    cr_assert_eq(rc, PT_OK, "%s: query(%#llx) = %s, expected mapped", n, v, pt_strerror(rc));
    cr_assert(m.pa == pa && m.shift == shift && m.va == l.va && m.level == (shift - 12) / 9 &&
                  m.attr.perm == attr.perm && m.attr.memtype == attr.memtype,
              "%s: query(%#llx): va %#llx pa %#llx shift %u level %u perm %#x mt %u; expected "
              "va %#llx pa %#llx shift %u perm %#x mt %u",
              n, v, (unsigned long long)m.va, (unsigned long long)m.pa, m.shift, m.level,
              m.attr.perm, m.attr.memtype, (unsigned long long)l.va, (unsigned long long)pa, shift,
              attr.perm, attr.memtype);
}

/* Invariant sweep state: counts and the first empty non-root table. */
typedef struct sweep {
    ptt_stats_t st;
    const char *fmt;
    ptt_env_t *e;
} sweep_t;

/* Table callback of the invariant sweep: counts, refuses empty non-root tables, and checks
 * libpt's count of entries in use (hooks.table_used) where the environment keeps one. */
static void sweep_table(void *ctx, pt_vaddr_t va, unsigned level, pt_paddr_t pa, unsigned nonzero) {
    sweep_t *s = ctx;
    s->st.tables++;
    cr_assert(nonzero > 0, "%s: reachable empty table %#llx at level %u covering %#llx", s->fmt,
              (unsigned long long)pa, level, (unsigned long long)va);
    const ptt_alloc_t *a = &s->e->alloc;
    if (a->counts) {
        uint32_t used = a->used[(pa - PTT_ARENA_PA) / PG];
        cr_assert_eq(used, nonzero, "%s: table %#llx at level %u counts %u entries in use, has %u",
                     s->fmt, (unsigned long long)pa, level, used, nonzero);
    }
}

/* Leaf callback of the invariant sweep: counts. */
static void sweep_leaf(void *ctx, const ptt_leaf_t *l) {
    sweep_t *s = ctx;
    s->st.leaves++;
    s->st.huge_leaves += l->shift > 12;
    s->st.pages += 1ull << (l->shift - 12);
}

ptt_stats_t ptt_check_invariants(ptt_env_t *e, uint64_t pending) {
    sweep_t s = {.st = {.tables = 1}, .fmt = e->fmt->name, .e = e};
    ptt_walker_t w = {.ctx = &s, .table = sweep_table, .leaf = sweep_leaf};
    ptt_walk(e, 0, ~0ull, &w);
    cr_assert_eq(s.st.tables, e->s.tables, "%s: %llu tables reachable, space says %llu",
                 e->fmt->name, (unsigned long long)s.st.tables, (unsigned long long)e->s.tables);
    cr_assert_eq(ptt_outstanding(&e->alloc), e->s.tables + pending,
                 "%s: arena has %llu frames out, space holds %llu + %llu deferred", e->fmt->name,
                 (unsigned long long)ptt_outstanding(&e->alloc), (unsigned long long)e->s.tables,
                 (unsigned long long)pending);
    if (!(e->s.flags & PT_SPACE_KERNEL) && !e->fmt->split_halves) {
        const uint64_t *root = ptt_table(e, e->s.root);
        for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
            cr_assert_eq(root[i], 0, "%s: user space wrote upper-half root entry %u", e->fmt->name,
                         i);
        }
    }
    return s.st;
}

/* Table callback of the snapshot: copies the table's entries. */
static void snap_table(void *ctx, pt_vaddr_t va, unsigned level, pt_paddr_t pa, unsigned nonzero) {
    (void)va, (void)level, (void)nonzero;
    ptt_snap_t *s = ctx;
    s->pa = realloc(s->pa, (s->n + 1) * sizeof(*s->pa));
    s->entries = realloc(s->entries, (s->n + 1) * sizeof(*s->entries));
    cr_assert(s->pa && s->entries);
    s->pa[s->n] = pa;
    s->n++;
}

/* Copies the entries of every table recorded in s (done after the walk: a table's entries
 * are stable while it is walked). */
static void snap_fill(ptt_env_t *e, ptt_snap_t *s) {
    for (size_t i = 0; i < s->n; i++) {
        memcpy(s->entries[i], ptt_table(e, s->pa[i]), sizeof(s->entries[i]));
    }
}

ptt_snap_t ptt_snapshot(ptt_env_t *e) {
    ptt_snap_t s = {0};
    snap_table(&s, 0, 0, e->s.root, 0);
    ptt_walker_t w = {.ctx = &s, .table = snap_table};
    ptt_walk(e, 0, ~0ull, &w);
    snap_fill(e, &s);
    s.tables = e->s.tables;
    return s;
}

void ptt_expect_snapshot(ptt_env_t *e, const ptt_snap_t *snap, const char *what) {
    ptt_snap_t now = ptt_snapshot(e);
    const char *n = e->fmt->name;
    cr_assert_eq(now.tables, snap->tables, "%s: %s: s.tables %llu, was %llu", n, what,
                 (unsigned long long)now.tables, (unsigned long long)snap->tables);
    cr_assert_eq(now.n, snap->n, "%s: %s: %zu reachable tables, were %zu", n, what, now.n, snap->n);
    for (size_t i = 0; i < now.n; i++) {
        cr_assert_eq(now.pa[i], snap->pa[i], "%s: %s: table #%zu at %#llx, was %#llx", n, what, i,
                     (unsigned long long)now.pa[i], (unsigned long long)snap->pa[i]);
        for (unsigned j = 0; j < PT_ENTRIES; j++) {
            cr_assert_eq(now.entries[i][j], snap->entries[i][j],
                         "%s: %s: table %#llx entry %u is %#llx, was %#llx", n, what,
                         (unsigned long long)now.pa[i], j, (unsigned long long)now.entries[i][j],
                         (unsigned long long)snap->entries[i][j]);
        }
    }
    ptt_snap_free(&now);
}

void ptt_snap_free(ptt_snap_t *snap) {
    free(snap->pa);
    free(snap->entries);
    memset(snap, 0, sizeof(*snap));
}
