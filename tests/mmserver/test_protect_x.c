/*
 * Issue 14: permissions as the leaves carry them, read back two ways (pt_query and the
 * test's own walk of the raw tables, mmt_leaf). MM_PROTECT from read-execute to read-only
 * must take execute off every leaf it covers (4 KiB and 2 MiB leaves, filled lazy pages)
 * and flush them; a lazy page filled after a protect gets the region's current permissions,
 * never its max.
 */
#include "mmt.h"

#define R   MM_PERM_R
#define RX  (MM_PERM_R | MM_PERM_X)
#define RW  (MM_PERM_R | MM_PERM_W)
#define RWX (PT_R | PT_W | PT_X)

#define EAGER 0x10000000ull /* 8 pages of 4 KiB leaves */
#define HUGE  0x40000000ull /* 2 MiB, one huge leaf where the pool allows */
#define LAZY  0x50000000ull /* 8 lazy pages */

/* Asserts the page at va of client 1 is mapped with exactly the pt permissions want (of
 * R, W, X), by libpt's query and by the test's own walk, which must agree on the frame. */
static void expect_leaf(mmt_env_t *e, uint64_t va, uint8_t want, const char *what) {
    pt_mapping_t m;
    cr_assert_eq(pt_query(&e->srv->client[1].space, va, &m), PT_OK, "%s: %s: %#llx not mapped",
                 e->fmt->name, what, (unsigned long long)va);
    pt_paddr_t pa;
    pt_attr_t a;
    cr_assert(mmt_leaf(e, 1, va, &pa, &a), "%s: %s: the raw walk finds no leaf at %#llx",
              e->fmt->name, what, (unsigned long long)va);
    cr_assert_eq(pa, m.pa, "%s: %s: walk and pt_query disagree on the frame", e->fmt->name, what);
    cr_assert_eq(m.attr.perm & RWX, want, "%s: %s: pt_query says %#x at %#llx, want %#x",
                 e->fmt->name, what, m.attr.perm & RWX, (unsigned long long)va, want);
    cr_assert_eq(a.perm & RWX, want, "%s: %s: the raw entry says %#x at %#llx, want %#x",
                 e->fmt->name, what, a.perm & RWX, (unsigned long long)va, want);
}

/* Asserts the last flush was client 1's and covers [va, va + len). */
static void expect_flushed(mmt_env_t *e, uint64_t flushes, uint64_t va, uint64_t len,
                           const char *what) {
    const pt_flush_t *f = &e->k.last_flush;
    cr_assert_eq(e->k.flushes, flushes + 1, "%s: %s: one flush", e->fmt->name, what);
    cr_assert_eq(e->k.last_flush_client, 1, "%s: %s: the flush is the caller's", e->fmt->name,
                 what);
    cr_assert(f->leaves > 0 && (f->all || (f->start <= va && f->last >= va + len - 1)),
              "%s: %s: flush [%#llx, %#llx] (%llu leaves, all %d) misses [%#llx, %#llx)",
              e->fmt->name, what, (unsigned long long)f->start, (unsigned long long)f->last,
              (unsigned long long)f->leaves, f->all, (unsigned long long)va,
              (unsigned long long)(va + len));
}

/* Asserts the page at va has pt permissions self and both its neighbours have around: a
 * one-page protect changed that page and nothing beside it. */
static void expect_one_page(mmt_env_t *e, uint64_t va, uint8_t self, uint8_t around) {
    expect_leaf(e, va - PG, around, "left neighbour");
    expect_leaf(e, va, self, "the page itself");
    expect_leaf(e, va + PG, around, "right neighbour");
}

/* What a protect must report and flush: reply pages (the pages with a frame, now with the
 * new perm) and the flush of the pages from va on whose leaves changed. */
typedef struct changed {
    uint64_t reply, va, pages;
} changed_t;

/* Protects [va, va + len) of client 1 to perm, expecting what ch says. */
static void protect(mmt_env_t *e, uint64_t va, uint64_t len, uint64_t perm, changed_t ch,
                    const char *what) {
    uint64_t flushes = e->k.flushes;
    mmt_expect(mmt_protect(e, 1, va, len, perm), MM_OK, what);
    cr_assert_eq(e->reply[MM_R_PROT_PAGES], ch.reply, "%s: %s: %llu pages reported", e->fmt->name,
                 what, (unsigned long long)e->reply[MM_R_PROT_PAGES]);
    expect_flushed(e, flushes, ch.va, ch.pages * PG, what);
}

MMT_FOR_ALL_FORMATS(protect_x, rx_to_r_small_leaves) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, EAGER, 8 * PG, RX, 0), MM_OK, "eager rx");
    for (unsigned i = 0; i < 8; i++) {
        expect_leaf(e, EAGER + i * PG, PT_R | PT_X, "mapped rx");
    }
    protect(e, EAGER, 8 * PG, R, (changed_t){8, EAGER, 8}, "rx to r");
    for (unsigned i = 0; i < 8; i++) {
        expect_leaf(e, EAGER + i * PG, PT_R, "after rx to r");
    }
    protect(e, EAGER + 3 * PG, PG, RX, (changed_t){1, EAGER + 3 * PG, 1}, "one page back to rx");
    expect_one_page(e, EAGER + 3 * PG, PT_R | PT_X, PT_R);
    protect(e, EAGER, 8 * PG, R, (changed_t){8, EAGER + 3 * PG, 1}, "all to r again");
    expect_leaf(e, EAGER + 3 * PG, PT_R, "that page lost x again");
    mmt_said("%s: protect rx -> r takes x off every 4 KiB leaf (query and raw walk), flushes "
             "the range; one page back to rx and down again",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(protect_x, rx_to_r_huge_leaf) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, HUGE, 2 * MIB, RX, MM_F_HUGE), MM_OK, "huge rx");
    uint64_t pages = 2 * MIB / PG;
    expect_leaf(e, HUGE, PT_R | PT_X, "mapped rx");
    protect(e, HUGE, 2 * MIB, R, (changed_t){pages, HUGE, pages}, "the whole 2 MiB to r");
    for (uint64_t off = 0; off < 2 * MIB; off += 64 * PG) {
        expect_leaf(e, HUGE + off, PT_R, "after rx to r");
    }
    expect_leaf(e, HUGE + 2 * MIB - PG, PT_R, "last page");
    protect(e, HUGE, 2 * MIB, RX, (changed_t){pages, HUGE, pages}, "back to rx");
    protect(e, HUGE + 5 * PG, PG, R, (changed_t){1, HUGE + 5 * PG, 1},
            "one page of it to r (a split)");
    expect_one_page(e, HUGE + 5 * PG, PT_R, PT_R | PT_X);
    mmt_said("%s: protect rx -> r takes x off a 2 MiB leaf everywhere, and off exactly one page "
             "when it splits it",
             fmt->name);
    mmt_fini(e);
}

MMT_FOR_ALL_FORMATS(protect_x, lazy_pages_and_fills) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, LAZY, 8 * PG, RX, MM_F_LAZY), MM_OK, "lazy rx");
    mm_kill_reason_t why;
    cr_assert_eq(mmt_fault(e, 1, LAZY, IPC_ACCESS_EXEC, &why), MM_FAULT_RESUME, "fetch");
    expect_leaf(e, LAZY, PT_R | PT_X, "filled rx");
    protect(e, LAZY, 8 * PG, R, (changed_t){1, LAZY, 1}, "rx to r with one page filled");
    expect_leaf(e, LAZY, PT_R, "the filled page lost x");
    cr_assert_eq(mmt_fault(e, 1, LAZY + PG, IPC_ACCESS_READ, &why), MM_FAULT_RESUME, "read");
    expect_leaf(e, LAZY + PG, PT_R, "filled after the protect: the current perm, r");
    cr_assert_eq(mmt_fault(e, 1, LAZY + 2 * PG, IPC_ACCESS_EXEC, &why), MM_FAULT_KILL,
                 "a fetch from the r page is refused");
    cr_assert_eq(why, MM_KILL_ACCESS);
    mmt_said("%s: a filled lazy page loses x with its region; a page filled after the protect "
             "gets r, and a fetch there kills",
             fmt->name);
    mmt_fini(e);
}

/* A region mapped read-only has every permission as its max (protect may raise it): a fill
 * must use the read-only it has now. Caught by the leaf check here and by the sweep. */
MMT_FOR_ALL_FORMATS(protect_x, fill_uses_current_perm_not_max) {
    mmt_env_t env, *e = &env;
    mmt_start(e, fmt);
    mmt_expect(mmt_map(e, 1, LAZY, 4 * PG, R, MM_F_LAZY), MM_OK, "lazy r, max rwx");
    cr_assert_eq(mm_region_first(&e->srv->client[1])->maxperm, MM_PERM_ALL,
                 "the max is above the perm");
    mm_kill_reason_t why;
    cr_assert_eq(mmt_fault(e, 1, LAZY, IPC_ACCESS_READ, &why), MM_FAULT_RESUME, "read");
    expect_leaf(e, LAZY, PT_R, "filled read-only");
    mmt_expect(mmt_protect(e, 1, LAZY, 4 * PG, RW), MM_OK, "raise to rw");
    cr_assert_eq(mmt_fault(e, 1, LAZY + PG, IPC_ACCESS_WRITE, &why), MM_FAULT_RESUME, "write");
    expect_leaf(e, LAZY + PG, PT_R | PT_W, "filled rw, no x");
    expect_leaf(e, LAZY, PT_R | PT_W, "the earlier fill raised too");
    mmt_said("%s: lazy fills take the region's current perm (r, then rw), never its max rwx",
             fmt->name);
    mmt_fini(e);
}
