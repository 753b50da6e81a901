/*
 * Scenarios run for every format through PTT_FOR_ALL_FORMATS: map, query, unmap, protect,
 * huge leaves and splits, checks at the door, iteration, flush information, deferred table
 * release and destruction. Every result is checked with pt_query and with the independent
 * reference walker; ptt_env_fini checks that pt_destroy returns every table and frame.
 */
#include "ptt.h"

#include <stdlib.h>
#include <string.h>

static const pt_attr_t RW = {PT_R | PT_W, PT_MEM_NORMAL};
static const pt_attr_t RO = {PT_R, PT_MEM_NORMAL};

/* Asserts pages [va, va + n pages) map to pa + i pages with attr in leaves of size shift. */
static void expect_contig(ptt_env_t *e, pt_vaddr_t va, uint64_t n, pt_paddr_t pa, pt_attr_t attr,
                          unsigned shift) {
    for (uint64_t i = 0; i < n; i++) {
        ptt_expect_page(e, va + i * PG, pa ? pa + i * PG : 0, attr, shift);
    }
}

/* n distinct random 4 KiB data frames (never 0), in a malloc'd array. */
static pt_paddr_t *random_frames(uint64_t n, uint64_t *rng) {
    pt_paddr_t *f = malloc(n * sizeof(*f));
    cr_assert(f != NULL);
    for (uint64_t i = 0; i < n; i++) {
        f[i] = PTT_DATA_PA + (i << 24) + (ptt_below(rng, 1u << 12) << 12);
    }
    return f;
}

/* Maps [va, va + n pages) from the frame list f, asserting success. */
static pt_result_t map_list(ptt_env_t *e, pt_vaddr_t va, uint64_t n, const pt_paddr_t *f,
                            pt_attr_t attr, uint32_t flags) {
    pt_frames_t src = {.list = f};
    pt_result_t res;
    pt_err_t rc = pt_map(&e->s, va, n * PG, &src, attr, flags, &res);
    cr_assert_eq(rc, PT_OK, "%s: list map at %#llx: %s", e->fmt->name, (unsigned long long)va,
                 pt_strerror(rc));
    cr_assert_eq(res.pages, n);
    return res;
}

/* Unmaps [va, va + len) with flags, expecting rc; releases deferred tables on success. */
static pt_result_t unmap_expect(ptt_env_t *e, pt_vaddr_t va, uint64_t len, uint32_t flags,
                                pt_err_t want) {
    pt_result_t res;
    ptt_clear_released(e);
    pt_err_t rc = pt_unmap(&e->s, va, len, flags, &res);
    cr_assert_eq(rc, want, "%s: unmap %#llx+%#llx flags %#x: %s, want %s", e->fmt->name,
                 (unsigned long long)va, (unsigned long long)len, flags, pt_strerror(rc),
                 pt_strerror(want));
    if (rc == PT_OK) {
        ptt_release_deferred(e, &res);
    }
    return res;
}

/* Protects [va, va + len) to attr with flags, expecting rc. */
static pt_result_t protect_expect(ptt_env_t *e, pt_vaddr_t va, uint64_t len, pt_attr_t attr,
                                  uint32_t flags, pt_err_t want) {
    pt_result_t res;
    pt_err_t rc = pt_protect(&e->s, va, len, attr, flags, &res);
    cr_assert_eq(rc, want, "%s: protect %#llx+%#llx perm %#x flags %#x: %s, want %s", e->fmt->name,
                 (unsigned long long)va, (unsigned long long)len, attr.perm, flags, pt_strerror(rc),
                 pt_strerror(want));
    return res;
}

PTT_FOR_ALL_FORMATS(ops, map_query_single_page) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t va = GIB + 5 * PG;
    pt_paddr_t pa = PTT_DATA_PA + 3 * PG;
    pt_result_t res = ptt_map_ok(&e, va, PG, pa, RW, 0);
    cr_assert(res.leaves == 1 && res.huge_leaves == 0 && res.tables_added == fmt->levels - 1u,
              "%s: leaves %llu huge %llu tables_added %llu", fmt->name,
              (unsigned long long)res.leaves, (unsigned long long)res.huge_leaves,
              (unsigned long long)res.tables_added);
    cr_assert_eq(e.s.tables, fmt->levels);
    cr_assert(e.barriers >= 1, "%s: %u tables linked without a write barrier", fmt->name,
              fmt->levels - 1u);
    ptt_expect_page(&e, va, pa, RW, 12);
    ptt_expect_page(&e, va - PG, 0, RW, 12);
    ptt_expect_page(&e, va + PG, 0, RW, 12);
    ptt_leaf_t l;
    cr_assert(ptt_lookup(&e, va, &l));
    cr_assert_eq(l.raw, ref_leaf(fmt, pa, RW, 0, 0), "%s: raw entry %#llx", fmt->name,
                 (unsigned long long)l.raw);
    ptt_check_invariants(&e, 0);
    ptt_env_fini(&e);
    cr_log_info("%s: one page mapped, queried (walker + pt_query), raw entry bit-exact, "
                "neighbours holes, %u tables",
                fmt->name, fmt->levels);
}

/* Maps a contiguous range across a 2 MiB boundary and a listed range across a 1 GiB
 * boundary, and checks every page; use_hook selects the phys_to_virt hook. */
static void map_range_scenario(const pt_format_t *fmt, bool use_hook) {
    ptt_env_t e;
    uint64_t rng = ptt_seed();
    ptt_env_init(&e, fmt, 0, use_hook);
    pt_vaddr_t a = GIB + 2 * MIB - 100 * PG, b = 2 * GIB - 150 * PG;
    ptt_map_ok(&e, a, 300 * PG, PTT_DATA_PA, RW, 0);
    pt_paddr_t *f = random_frames(300, &rng);
    map_list(&e, b, 300, f, RO, 0);
    expect_contig(&e, a, 300, PTT_DATA_PA, RW, 12);
    for (uint64_t i = 0; i < 300; i++) {
        ptt_expect_page(&e, b + i * PG, f[i], RO, 12);
    }
    ptt_expect_page(&e, a - PG, 0, RW, 12);
    ptt_expect_page(&e, a + 300 * PG, 0, RW, 12);
    ptt_expect_page(&e, b + 300 * PG, 0, RW, 12);
    pt_result_t res = unmap_expect(&e, b, 300 * PG, 0, PT_OK);
    ptt_expect_released(&e, b, 300, f);
    cr_assert_eq(res.pages, 300);
    ptt_check_invariants(&e, 0);
    uint64_t calls = e.alloc.p2v_calls;
    ptt_env_fini(&e);
    free(f);
    cr_assert(use_hook ? calls > 0 : calls == 0, "%s: phys_to_virt called %llu times", fmt->name,
              (unsigned long long)calls);
    cr_log_info("%s: 300 contiguous pages over a 2 MiB boundary and 300 listed pages over a 1 GiB "
                "boundary mapped and queried page by page, then unmapped (%s, %llu hook calls)",
                fmt->name, use_hook ? "phys_to_virt hook" : "phys_offset",
                (unsigned long long)calls);
}

PTT_FOR_ALL_FORMATS(ops, map_range_query_every_page) {
    map_range_scenario(fmt, false);
}

PTT_FOR_ALL_FORMATS(ops, map_range_through_phys_to_virt_hook) {
    map_range_scenario(fmt, true);
}

PTT_FOR_ALL_FORMATS(ops, overlapping_map_exists_and_changes_nothing) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t a = GIB + 64 * PG, b = 2 * GIB + 4 * MIB;
    ptt_map_ok(&e, a, 10 * PG, PTT_DATA_PA, RW, 0);
    ptt_map_ok(&e, b, 2 * MIB, PTT_DATA_PA + 2 * MIB, RW, PT_MAP_HUGE);
    pt_vaddr_t c = 2 * GIB + 16 * MIB;
    ptt_map_ok(&e, c + 4 * PG, PG, PTT_DATA_PA, RW, 0);
    ptt_snap_t snap = ptt_snapshot(&e);
    uint64_t attempts = e.alloc.attempts;
    struct {
        pt_vaddr_t va, fault;
        uint64_t len;
    } cases[] = {
        {a + 5 * PG, a + 5 * PG, 15 * PG}, /* tail overlaps */
        {a - 3 * MIB, a, 3 * MIB + PG},    /* head overlaps, needs new tables first */
        {b + 7 * PG, b + 7 * PG, PG},      /* inside a 2 MiB leaf */
        {b - 4 * PG, b, 8 * PG},           /* runs into a 2 MiB leaf */
        {c, c + 4 * PG, 2 * MIB},          /* a 2 MiB leaf would cover a small page */
    };
    ptt_clear_released(&e);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pt_frames_t src = {.base = PTT_DATA_PA + GIB};
        pt_result_t res;
        pt_err_t rc = pt_map(&e.s, cases[i].va, cases[i].len, &src, RO, PT_MAP_HUGE, &res);
        cr_assert_eq(rc, PT_ERR_EXISTS, "%s: case %u: %s", fmt->name, i, pt_strerror(rc));
        cr_assert_eq(res.fault_va, cases[i].fault, "%s: case %u: fault_va %#llx, want %#llx",
                     fmt->name, i, (unsigned long long)res.fault_va,
                     (unsigned long long)cases[i].fault);
        ptt_expect_snapshot(&e, &snap, "after a refused overlapping map");
    }
    cr_assert_eq(e.alloc.attempts, attempts, "%s: a refused map allocated tables", fmt->name);
    cr_assert_eq(e.nrel, 0, "%s: a refused map released frames", fmt->name);
    expect_contig(&e, a, 10, PTT_DATA_PA, RW, 12);
    ptt_snap_free(&snap);
    ptt_env_fini(&e);
    cr_log_info("%s: 5 overlapping maps -> PT_ERR_EXISTS at the first present page, tables "
                "byte-identical, no allocation, no release",
                fmt->name);
}

PTT_FOR_ALL_FORMATS(ops, overwrite_replaces_and_releases_old_frames) {
    ptt_env_t e;
    uint64_t rng = ptt_seed();
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t a = GIB - 32 * PG;
    pt_paddr_t *old = random_frames(64, &rng);
    map_list(&e, a, 64, old, RW, 0);
    pt_paddr_t want[64] = {0};
    memcpy(want, old + 16, 48 * sizeof(*want));
    ptt_clear_released(&e);
    pt_frames_t src = {.base = PTT_DATA_PA};
    pt_result_t res;
    cr_assert_eq(pt_map(&e.s, a + 16 * PG, 64 * PG, &src, RO, PT_MAP_OVERWRITE, &res), PT_OK);
    cr_assert_eq(res.pages, 64);
    ptt_expect_released(&e, a + 16 * PG, 64, want);
    ptt_release_deferred(&e, &res);
    for (uint64_t i = 0; i < 16; i++) {
        ptt_expect_page(&e, a + i * PG, old[i], RW, 12);
    }
    expect_contig(&e, a + 16 * PG, 64, PTT_DATA_PA, RO, 12);
    /* A huge overwrite over small pages frees their table (deferred). */
    pt_vaddr_t h = 3 * GIB;
    ptt_map_ok(&e, h + 8 * PG, 4 * PG, PTT_DATA_PA + 64 * MIB, RW, 0);
    ptt_clear_released(&e);
    uint64_t tables = e.s.tables;
    cr_assert_eq(pt_map(&e.s, h, 2 * MIB, &(pt_frames_t){.base = PTT_DATA_PA + 2 * MIB}, RW,
                        PT_MAP_OVERWRITE | PT_MAP_HUGE, &res),
                 PT_OK);
    cr_assert(res.deferred.count == 1 && e.s.tables == tables - 1,
              "%s: huge overwrite: deferred %llu, tables %llu -> %llu", fmt->name,
              (unsigned long long)res.deferred.count, (unsigned long long)tables,
              (unsigned long long)e.s.tables);
    cr_assert_eq(e.released_pages, 4);
    cr_assert(res.flush.tables,
              "%s: huge overwrite replaced a table pointer, flush.tables "
              "is false",
              fmt->name);
    ptt_check_invariants(&e, 1);
    ptt_release_deferred(&e, &res);
    expect_contig(&e, h, 512, PTT_DATA_PA + 2 * MIB, RW, 21);
    /* Small pages over a whole 2 MiB leaf: the leaf leaves as it was mapped, one 2 MiB frame
     * (as unmap releases it), not as 512 pieces of a split nobody asked for. */
    ptt_clear_released(&e);
    cr_assert_eq(pt_map(&e.s, h, 2 * MIB, &(pt_frames_t){.base = PTT_DATA_PA + PG}, RO,
                        PT_MAP_OVERWRITE, &res),
                 PT_OK);
    ptt_release_deferred(&e, &res);
    expect_contig(&e, h, 512, PTT_DATA_PA + PG, RO, 12);
    cr_assert(e.nrel == 1 && e.rel[0].va == h && e.rel[0].pa == PTT_DATA_PA + 2 * MIB &&
                  e.rel[0].shift == 21,
              "%s: overwriting a whole 2 MiB leaf released %zu frames, the first %#llx->%#llx "
              "size %u; want one 2 MiB release %#llx->%#llx",
              fmt->name, e.nrel, (unsigned long long)e.rel[0].va, (unsigned long long)e.rel[0].pa,
              e.rel[0].shift, (unsigned long long)h, (unsigned long long)(PTT_DATA_PA + 2 * MIB));
    free(old);
    ptt_env_fini(&e);
    cr_log_info("%s: overwrite of 64 pages released exactly the 48 old frames; a 2 MiB overwrite "
                "of small pages released 4 frames and deferred their table; small pages over a 2 "
                "MiB leaf released it whole",
                fmt->name);
}

PTT_FOR_ALL_FORMATS(ops, unmap_releases_exactly_the_mapped_frames) {
    ptt_env_t e;
    uint64_t rng = ptt_seed() + 1;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t a = GIB + 16 * MIB, b = 2 * GIB + 6 * MIB;
    pt_paddr_t *f = random_frames(20, &rng);
    map_list(&e, a, 20, f, RW, 0);
    ptt_map_ok(&e, b, 2 * MIB, PTT_DATA_PA, RW, PT_MAP_HUGE);
    pt_result_t res = unmap_expect(&e, a + 5 * PG, 5 * PG, 0, PT_OK);
    pt_paddr_t want[5];
    memcpy(want, f + 5, sizeof(want));
    ptt_expect_released(&e, a + 5 * PG, 5, want);
    cr_assert(res.pages == 5 && res.leaves == 5 && res.holes == 0);
    res = unmap_expect(&e, b, 2 * MIB, 0, PT_OK);
    cr_assert(e.nrel == 1 && e.rel[0].shift == 21 && e.rel[0].pa == PTT_DATA_PA && e.rel[0].va == b,
              "%s: a whole 2 MiB leaf must come back as one release", fmt->name);
    cr_assert(res.pages == 512 && res.leaves == 1 && res.huge_leaves == 1);
    for (uint64_t i = 0; i < 20; i++) {
        ptt_expect_page(&e, a + i * PG, i >= 5 && i < 10 ? 0 : f[i], RW, 12);
    }
    ptt_expect_page(&e, b, 0, RW, 12);
    free(f);
    ptt_check_invariants(&e, 0);
    ptt_env_fini(&e);
    cr_log_info("%s: unmap of 5 of 20 listed pages released exactly those 5 frames; a 2 MiB "
                "leaf came back as one 2 MiB release",
                fmt->name);
}

PTT_FOR_ALL_FORMATS(ops, holes_not_mapped_unless_skip_holes) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t a = GIB + 40 * PG;
    ptt_map_ok(&e, a, 4 * PG, PTT_DATA_PA, RW, 0);
    ptt_map_ok(&e, a + 8 * PG, 4 * PG, PTT_DATA_PA + 8 * PG, RW, 0);
    ptt_snap_t snap = ptt_snapshot(&e);
    ptt_clear_released(&e);
    pt_result_t res = unmap_expect(&e, a, 12 * PG, 0, PT_ERR_NOT_MAPPED);
    cr_assert_eq(res.fault_va, a + 4 * PG, "%s: unmap fault_va %#llx", fmt->name,
                 (unsigned long long)res.fault_va);
    res = protect_expect(&e, a, 12 * PG, RO, 0, PT_ERR_NOT_MAPPED);
    cr_assert_eq(res.fault_va, a + 4 * PG);
    unmap_expect(&e, a + 12 * PG, 3 * MIB, 0, PT_ERR_NOT_MAPPED);
    ptt_expect_snapshot(&e, &snap, "after unmap/protect of a hole");
    cr_assert_eq(e.nrel, 0);
    res = protect_expect(&e, a - 2 * PG, 16 * PG, RO, PT_SKIP_HOLES, PT_OK);
    cr_assert(res.pages == 8 && res.holes == 8, "%s: protect pages %llu holes %llu", fmt->name,
              (unsigned long long)res.pages, (unsigned long long)res.holes);
    expect_contig(&e, a, 4, PTT_DATA_PA, RO, 12);
    expect_contig(&e, a + 8 * PG, 4, PTT_DATA_PA + 8 * PG, RO, 12);
    res = unmap_expect(&e, a, 12 * PG, PT_SKIP_HOLES, PT_OK);
    cr_assert(res.pages == 8 && res.holes == 4, "%s: unmap pages %llu holes %llu", fmt->name,
              (unsigned long long)res.pages, (unsigned long long)res.holes);
    cr_assert_eq(e.released_pages, 8);
    res = unmap_expect(&e, a, 4 * MIB, PT_SKIP_HOLES, PT_OK);
    cr_assert(res.pages == 0 && res.holes == 1024 && res.flush.leaves == 0);
    cr_assert_eq(e.s.tables, 1, "%s: %llu tables left after unmapping everything", fmt->name,
                 (unsigned long long)e.s.tables);
    ptt_snap_free(&snap);
    ptt_env_fini(&e);
    cr_log_info("%s: unmap/protect over holes -> PT_ERR_NOT_MAPPED at the first hole, unchanged; "
                "with PT_SKIP_HOLES: protect 8 pages/8 holes, unmap 8 pages/4 holes",
                fmt->name);
}

PTT_FOR_ALL_FORMATS(ops, protect_changes_perms_keeps_memtype) {
    ptt_env_t e;
    uint32_t flags = ptt_all_memtypes(fmt);
    ptt_env_init(&e, fmt, flags, false);
    pt_vaddr_t a = GIB + 2 * MIB - 4 * PG, h = 2 * GIB;
    pt_attr_t dev = {PT_R | PT_W, PT_MEM_DEVICE}, wc = {PT_R | PT_W | PT_G, PT_MEM_WC};
    ptt_map_ok(&e, a, 8 * PG, PTT_DATA_PA, dev, 0);
    ptt_map_ok(&e, h, 2 * MIB, PTT_DATA_PA + 2 * MIB, wc, PT_MAP_HUGE);
    pt_attr_t to = {PT_R | PT_U, PT_MEM_NORMAL};
    pt_result_t res = protect_expect(&e, a, 8 * PG, to, 0, PT_OK);
    cr_assert(res.pages == 8 && res.leaves == 8 && res.flush.leaves == 8);
    res = protect_expect(&e, h, 2 * MIB, to, 0, PT_OK);
    cr_assert(res.pages == 512 && res.leaves == 1 && res.tables_added == 0);
    pt_attr_t dev_ru = {PT_R | PT_U, PT_MEM_DEVICE}, wc_ru = {PT_R | PT_U, PT_MEM_WC};
    expect_contig(&e, a, 8, PTT_DATA_PA, dev_ru, 12);
    expect_contig(&e, h, 512, PTT_DATA_PA + 2 * MIB, wc_ru, 21);
    ptt_leaf_t l;
    cr_assert(ptt_lookup(&e, h, &l));
    cr_assert_eq(l.raw, ref_leaf(fmt, PTT_DATA_PA + 2 * MIB, wc_ru, 1, flags),
                 "%s: raw 2 MiB leaf %#llx after protect", fmt->name, (unsigned long long)l.raw);
    ptt_snap_t snap = ptt_snapshot(&e);
    pt_attr_t bad = {PT_W, PT_MEM_NORMAL};
    protect_expect(&e, a, 8 * PG, bad, 0, PT_ERR_PERM);
    ptt_expect_snapshot(&e, &snap, "after a refused protect");
    ptt_snap_free(&snap);
    ptt_env_fini(&e);
    cr_log_info("%s: protect to R|U kept device (8 pages) and write-combining (2 MiB leaf) memory "
                "types, raw bits match the reference; write-only refused with PT_ERR_PERM",
                fmt->name);
}

/* Maps len at va from pa with PT_MAP_HUGE in a fresh space with flags, and asserts the
 * leaf counts and the leaf size at each of the probes (offset from va, expected shift). */
static void huge_case(const pt_format_t *fmt, uint32_t flags, uint64_t len, pt_paddr_t pa,
                      uint64_t leaves, uint64_t huge, const uint64_t probes[][2], unsigned n) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, flags, false);
    pt_result_t res = ptt_map_ok(&e, GIB, len, pa, RW, PT_MAP_HUGE);
    cr_assert(res.leaves == leaves && res.huge_leaves == huge,
              "%s flags %#x len %#llx pa %#llx: %llu leaves (%llu huge), want %llu (%llu)",
              fmt->name, flags, (unsigned long long)len, (unsigned long long)pa,
              (unsigned long long)res.leaves, (unsigned long long)res.huge_leaves,
              (unsigned long long)leaves, (unsigned long long)huge);
    for (unsigned i = 0; i < n; i++) {
        uint64_t off = probes[i][0];
        ptt_expect_page(&e, GIB + off, pa + off, RW, (unsigned)probes[i][1]);
    }
    ptt_stats_t st = ptt_check_invariants(&e, 0);
    cr_assert(st.leaves == leaves && st.pages == len / PG);
    ptt_env_fini(&e);
}

PTT_FOR_ALL_FORMATS(ops, huge_leaves_when_aligned) {
    uint64_t len = GIB + 2 * MIB + PG;
    const uint64_t giga[][2] = {{0, 30}, {GIB - PG, 30}, {GIB, 21}, {GIB + 2 * MIB, 12}};
    huge_case(fmt, 0, len, 4 * GIB, 3, 2, giga, 4);
    const uint64_t nogiga[][2] = {{0, 21}, {GIB - PG, 21}, {GIB, 21}, {GIB + 2 * MIB, 12}};
    huge_case(fmt, PT_FEAT_NO_GIGA, len, 4 * GIB, 514, 513, nogiga, 4);
    /* 2 MiB-aligned but not 1 GiB-aligned frames: 2 MiB leaves only. */
    huge_case(fmt, 0, len, 4 * GIB + 2 * MIB, 514, 513, nogiga, 4);
    /* Misaligned frames: small leaves only, even with PT_MAP_HUGE. */
    const uint64_t small[][2] = {{0, 12}, {2 * MIB, 12}, {4 * MIB, 12}};
    huge_case(fmt, 0, 4 * MIB + PG, 4 * GIB + PG, 1025, 0, small, 3);
    /* Without PT_MAP_HUGE, and with a frame list: small leaves. */
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_result_t res = ptt_map_ok(&e, GIB, 2 * MIB, 4 * GIB, RW, 0);
    cr_assert(res.leaves == 512 && res.huge_leaves == 0);
    uint64_t rng = 7;
    pt_paddr_t *f = random_frames(512, &rng);
    for (unsigned i = 0; i < 512; i++) {
        f[i] = 6 * GIB + i * PG; /* contiguous and aligned, but a list */
    }
    res = map_list(&e, 2 * GIB, 512, f, RW, PT_MAP_HUGE);
    cr_assert(res.leaves == 512 && res.huge_leaves == 0);
    ptt_expect_page(&e, 2 * GIB, 6 * GIB, RW, 12);
    free(f);
    ptt_env_fini(&e);
    cr_log_info("%s: PT_MAP_HUGE: 1G+2M+4K -> 1 GiB+2 MiB+4 KiB leaves; NO_GIGA or 2M-aligned "
                "frames -> 513 x 2 MiB + 1; misaligned frames, no flag or a list -> 4 KiB only",
                fmt->name);
}

PTT_FOR_ALL_FORMATS(ops, partial_unmap_protect_split_huge_leaves) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t b = 2 * GIB + 4 * MIB, c = 2 * GIB + 8 * MIB, d = 4 * GIB;
    pt_paddr_t pb = PTT_DATA_PA + 4 * MIB, pc = PTT_DATA_PA + 8 * MIB, pd = 16 * GIB;
    ptt_map_ok(&e, b, 2 * MIB, pb, RW, PT_MAP_HUGE);
    ptt_map_ok(&e, c, 2 * MIB, pc, RW, PT_MAP_HUGE);
    ptt_map_ok(&e, d, GIB, pd, RW, PT_MAP_HUGE);
    /* Partial unmap of a 2 MiB leaf. */
    pt_result_t res = unmap_expect(&e, b + 3 * PG, 2 * PG, 0, PT_OK);
    cr_assert(res.pages == 2 && res.tables_added == 1, "%s: unmap split: pages %llu tables %llu",
              fmt->name, (unsigned long long)res.pages, (unsigned long long)res.tables_added);
    pt_paddr_t want[2] = {pb + 3 * PG, pb + 4 * PG};
    ptt_expect_released(&e, b + 3 * PG, 2, want);
    for (uint64_t i = 0; i < 512; i++) {
        ptt_expect_page(&e, b + i * PG, i == 3 || i == 4 ? 0 : pb + i * PG, RW, 12);
    }
    /* Partial protect of a 2 MiB leaf. */
    res = protect_expect(&e, c + 2 * MIB - PG, PG, RO, 0, PT_OK);
    cr_assert(res.pages == 1 && res.tables_added == 1);
    expect_contig(&e, c, 511, pc, RW, 12);
    ptt_expect_page(&e, c + 511 * PG, pc + 511 * PG, RO, 12);
    /* Protect of one page inside a 1 GiB leaf: two splits. */
    pt_vaddr_t p = d + 5 * MIB + 3 * PG;
    res = protect_expect(&e, p, PG, RO, 0, PT_OK);
    cr_assert(res.pages == 1 && res.tables_added == 2);
    ptt_expect_page(&e, d, pd, RW, 21);
    ptt_expect_page(&e, d + GIB - PG, pd + GIB - PG, RW, 21);
    expect_contig(&e, d + 4 * MIB, 259, pd + 4 * MIB, RW, 12);
    ptt_expect_page(&e, p, pd + (p - d), RO, 12);
    expect_contig(&e, p + PG, 252, pd + (p - d) + PG, RW, 12);
    /* Unmap of a whole 2 MiB piece of the split 1 GiB leaf: one 2 MiB release. */
    res = unmap_expect(&e, d + 10 * MIB, 2 * MIB, 0, PT_OK);
    cr_assert(res.pages == 512 && res.tables_added == 0 && e.nrel == 1 && e.rel[0].shift == 21 &&
              e.rel[0].pa == pd + 10 * MIB);
    ptt_stats_t st = ptt_check_invariants(&e, 0);
    cr_assert_eq(st.pages, 512 - 2 + 512 + 262144 - 512);
    ptt_env_fini(&e);
    cr_log_info("%s: partial unmap and protect split 2 MiB leaves (1 table each); a protect in "
                "a 1 GiB leaf split twice (2 tables); neighbours kept frames and permissions",
                fmt->name);
}

/* A protect that would not change a huge leaf must not split it: no table, no flush. */
PTT_FOR_ALL_FORMATS(ops, protect_no_change_keeps_huge_leaf) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t b = 2 * GIB + 4 * MIB;
    pt_paddr_t pb = PTT_DATA_PA + 4 * MIB;
    ptt_map_ok(&e, b, 2 * MIB, pb, RW, PT_MAP_HUGE);
    ptt_snap_t snap = ptt_snapshot(&e);
    pt_result_t res = protect_expect(&e, b + 3 * PG, 2 * PG, RW, 0, PT_OK);
    cr_assert(res.pages == 2 && res.tables_added == 0 && res.flush.leaves == 0 && !res.flush.tables,
              "%s: same-permission protect: pages %llu tables %llu flush %llu/%d", fmt->name,
              (unsigned long long)res.pages, (unsigned long long)res.tables_added,
              (unsigned long long)res.flush.leaves, res.flush.tables);
    ptt_expect_snapshot(&e, &snap, "same-permission protect");
    ptt_snap_free(&snap);
    ptt_expect_page(&e, b + 3 * PG, pb + 3 * PG, RW, 21);
    ptt_env_fini(&e);
    cr_log_info("%s: protect of 2 pages inside a 2 MiB leaf with its own permissions: "
                "2 pages reported, no split, no flush, tables byte-identical",
                fmt->name);
}

/* One call with bad arguments at the door and the error it must return. */
typedef struct door {
    enum { DOOR_MAP, DOOR_UNMAP, DOOR_PROTECT } op;
    pt_vaddr_t va;
    uint64_t len;
    pt_paddr_t pa; /* map: contiguous base (list NULL) */
    const pt_paddr_t *list;
    pt_attr_t attr;
    uint32_t flags;
    pt_err_t want;
    const char *why;
} door_t;

/* Runs the calls of cases against e, each must fail with its error and change nothing. */
static void door_cases(ptt_env_t *e, const door_t *cases, unsigned n) {
    ptt_snap_t snap = ptt_snapshot(e);
    uint64_t attempts = e->alloc.attempts;
    ptt_clear_released(e);
    for (unsigned i = 0; i < n; i++) {
        const door_t *c = &cases[i];
        pt_result_t res;
        pt_frames_t src = {.list = c->list, .base = c->pa};
        pt_err_t rc =
            c->op == DOOR_MAP     ? pt_map(&e->s, c->va, c->len, &src, c->attr, c->flags, &res)
            : c->op == DOOR_UNMAP ? pt_unmap(&e->s, c->va, c->len, c->flags, &res)
                                  : pt_protect(&e->s, c->va, c->len, c->attr, c->flags, &res);
        cr_assert_eq(rc, c->want, "%s: %s (va %#llx len %#llx): %s, want %s", e->fmt->name, c->why,
                     (unsigned long long)c->va, (unsigned long long)c->len, pt_strerror(rc),
                     pt_strerror(c->want));
    }
    ptt_expect_snapshot(e, &snap, "after refused calls at the door");
    cr_assert_eq(e->alloc.attempts, attempts);
    cr_assert_eq(e->nrel, 0);
    ptt_snap_free(&snap);
}

PTT_FOR_ALL_FORMATS(ops, address_checks_at_the_door) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t a = GIB, top = ptt_lower_end(fmt), up = ptt_upper_base(fmt);
    pt_paddr_t pa_end = 1ull << fmt->pa_bits;
    ptt_map_ok(&e, a, 4 * PG, PTT_DATA_PA, RW, 0);
    static const pt_paddr_t odd_list[2] = {PTT_DATA_PA, PTT_DATA_PA + 1};
    pt_paddr_t high_list[2] = {PTT_DATA_PA, pa_end};
    pt_attr_t rwu = {PT_R | PT_W | PT_U, 0};
    const door_t user[] = {
        {DOOR_MAP, a + 8 * PG, 0, PTT_DATA_PA, NULL, RW, 0, PT_ERR_INVAL, "zero length"},
        {DOOR_UNMAP, a, 0, 0, NULL, RW, 0, PT_ERR_INVAL, "zero length"},
        {DOOR_PROTECT, a, 0, 0, NULL, RW, 0, PT_ERR_INVAL, "zero length"},
        {DOOR_MAP, a + 8 * PG + 1, PG, PTT_DATA_PA, NULL, RW, 0, PT_ERR_ALIGN, "unaligned va"},
        {DOOR_MAP, a + 8 * PG, PG + 8, PTT_DATA_PA, NULL, RW, 0, PT_ERR_ALIGN, "unaligned len"},
        {DOOR_UNMAP, a + 2048, PG, 0, NULL, RW, 0, PT_ERR_ALIGN, "unaligned va"},
        {DOOR_PROTECT, a, PG + 1, 0, NULL, RO, 0, PT_ERR_ALIGN, "unaligned len"},
        {DOOR_MAP, a + 8 * PG, PG, PTT_DATA_PA + 8, NULL, RW, 0, PT_ERR_ALIGN, "unaligned pa"},
        {DOOR_MAP, a + 8 * PG, 2 * PG, 0, odd_list, RW, 0, PT_ERR_ALIGN, "unaligned listed pa"},
        {DOOR_MAP, -PG, 2 * PG, PTT_DATA_PA, NULL, RW, 0, PT_ERR_OVERFLOW, "va + len wraps"},
        {DOOR_UNMAP, -2 * PG, 4 * PG, 0, NULL, RW, 0, PT_ERR_OVERFLOW, "va + len wraps"},
        {DOOR_PROTECT, a, -a + PG, 0, NULL, RO, 0, PT_ERR_OVERFLOW, "va + len wraps"},
        {DOOR_MAP, top, PG, PTT_DATA_PA, NULL, RW, 0, PT_ERR_RANGE, "non-canonical"},
        {DOOR_MAP, top - PG, 2 * PG, PTT_DATA_PA, NULL, RW, 0, PT_ERR_RANGE, "end non-canonical"},
        {DOOR_UNMAP, top | GIB, PG, 0, NULL, RW, 0, PT_ERR_RANGE, "non-canonical"},
        {DOOR_MAP, up, PG, PTT_DATA_PA, NULL, RW, 0, PT_ERR_RANGE, "upper half, user space"},
        {DOOR_PROTECT, -PG, PG, 0, NULL, RO, 0, PT_ERR_RANGE, "upper half, user space"},
        {DOOR_UNMAP, up, PG, 0, NULL, RW, PT_SKIP_HOLES, PT_ERR_RANGE, "upper half, user space"},
        {DOOR_MAP, a + 8 * PG, 2 * PG, pa_end - PG, NULL, RW, 0, PT_ERR_RANGE, "pa past pa_bits"},
        {DOOR_MAP, a + 8 * PG, 2 * PG, 0, high_list, RW, 0, PT_ERR_RANGE, "listed pa too high"},
        {DOOR_MAP, a + 8 * PG, PG, PTT_DATA_PA, NULL, RW, PT_SKIP_HOLES, PT_ERR_INVAL,
         "flag map does not know"},
        {DOOR_UNMAP, a, PG, 0, NULL, RW, PT_MAP_OVERWRITE, PT_ERR_INVAL, "flag unmap ignores"},
        {DOOR_MAP, a + 8 * PG, PG, PTT_DATA_PA, NULL, (pt_attr_t){PT_W, 0}, 0, PT_ERR_PERM,
         "write-only"},
        {DOOR_MAP, a + 8 * PG, PG, PTT_DATA_PA, NULL, (pt_attr_t){PT_R, PT_MEM_COUNT_}, 0,
         PT_ERR_PERM, "unknown memory type"},
        {DOOR_MAP, a, PG, PTT_DATA_PA, NULL, rwu, 0, PT_ERR_EXISTS, "present"},
    };
    door_cases(&e, user, sizeof(user) / sizeof(user[0]));
    pt_result_t res;
    cr_assert_eq(pt_map(&e.s, a, PG, NULL, RW, 0, &res), PT_ERR_INVAL, "NULL source");
    pt_space_t other;
    cr_assert_eq(pt_space_init(&other, fmt, &e.s.hooks, 1u << 5), PT_ERR_INVAL, "unknown flag");
    for (int i = 0; i < PT_ERR_COUNT_; i++) {
        for (int j = 0; j < i; j++) {
            cr_assert(pt_strerror(i) && strcmp(pt_strerror(i), pt_strerror(j)) != 0,
                      "pt_strerror(%d) is missing or not distinct", i);
        }
    }
    ptt_env_fini(&e);

    /* A kernel space: the upper half, and the lower half too unless the halves are split. */
    ptt_env_init(&e, fmt, PT_SPACE_KERNEL, false);
    pt_vaddr_t k = up + 3 * GIB;
    ptt_map_ok(&e, k, 2 * PG, PTT_DATA_PA, RW, 0);
    ptt_map_ok(&e, -PG, PG, PTT_DATA_PA, RW, 0); /* the very last page */
    ptt_expect_page(&e, -PG, PTT_DATA_PA, RW, 12);
    ptt_expect_page(&e, k + PG, PTT_DATA_PA + PG, RW, 12);
    pt_err_t lower = fmt->split_halves ? PT_ERR_RANGE : PT_ERR_EXISTS;
    if (!fmt->split_halves) {
        ptt_map_ok(&e, a, PG, PTT_DATA_PA, rwu, 0);
    }
    const door_t kernel[] = {
        {DOOR_MAP, k + 8 * PG, PG, PTT_DATA_PA, NULL, rwu, 0, PT_ERR_RANGE, "U leaf, upper half"},
        {DOOR_PROTECT, k, PG, 0, NULL, rwu, 0, PT_ERR_RANGE, "U leaf, upper half"},
        {DOOR_MAP, a, PG, PTT_DATA_PA, NULL, rwu, 0, lower, "lower half of a kernel space"},
        {DOOR_MAP, top, PG, PTT_DATA_PA, NULL, RW, 0, PT_ERR_RANGE, "non-canonical"},
        {DOOR_MAP, up - PG, 2 * PG, PTT_DATA_PA, NULL, RW, 0, PT_ERR_RANGE, "starts non-canonical"},
    };
    door_cases(&e, kernel, sizeof(kernel) / sizeof(kernel[0]));
    ptt_check_invariants(&e, 0);
    ptt_env_fini(&e);
    cr_log_info("%s: %zu bad calls refused at the door with the right error and no change; "
                "pt_space_init refuses unknown flags; pt_strerror names each error; "
                "kernel space: upper half %s, U leaves there refused",
                fmt->name, sizeof(user) / sizeof(user[0]) + 1 + 5,
                fmt->split_halves ? "only" : "and lower half");
}

/* Collects pt_iterate's reports; stops after limit reports when limit is not 0. */
typedef struct seq {
    pt_mapping_t m[64];
    unsigned n, limit;
} seq_t;

/* pt_visit_fn appending to a seq_t. */
static bool seq_visit(void *ctx, const pt_mapping_t *m) {
    seq_t *s = ctx;
    cr_assert(s->n < 64, "too many reports");
    s->m[s->n++] = *m;
    return s->limit == 0 || s->n < s->limit;
}

/* Reference walker callback: a table, reported as the entry that points to it. */
static void seq_table(void *ctx, pt_vaddr_t va, unsigned level, pt_paddr_t pa, unsigned nz) {
    (void)nz;
    pt_mapping_t m = {
        .va = va, .pa = pa, .shift = ptt_shift(level + 1), .level = level + 1, .is_table = true};
    seq_visit(ctx, &m);
}

/* Reference walker callback: a leaf. */
static void seq_leaf(void *ctx, const ptt_leaf_t *l) {
    pt_mapping_t m = {
        .va = l->va, .pa = l->pa, .shift = l->shift, .level = l->level, .attr = l->attr};
    seq_visit(ctx, &m);
}

/* Asserts pt_iterate over [va, va + len) reports what the reference walker sees there. */
static unsigned expect_iterate(ptt_env_t *e, pt_vaddr_t va, uint64_t len) {
    seq_t got = {0}, want = {0};
    cr_assert_eq(pt_iterate(&e->s, va, len, seq_visit, &got), PT_OK);
    ptt_walker_t w = {.ctx = &want, .table = seq_table, .leaf = seq_leaf};
    ptt_walk(e, va, va + len - 1, &w);
    cr_assert_eq(got.n, want.n, "%s: iterate reported %u entries, walker sees %u", e->fmt->name,
                 got.n, want.n);
    for (unsigned i = 0; i < got.n; i++) {
        pt_mapping_t *g = &got.m[i], *x = &want.m[i];
        bool attr_ok =
            g->is_table || (g->attr.perm == x->attr.perm && g->attr.memtype == x->attr.memtype);
        cr_assert(g->va == x->va && g->pa == x->pa && g->shift == x->shift &&
                      g->level == x->level && g->is_table == x->is_table && attr_ok,
                  "%s: iterate #%u: va %#llx pa %#llx shift %u level %u table %d; want va %#llx "
                  "pa %#llx shift %u level %u table %d",
                  e->fmt->name, i, (unsigned long long)g->va, (unsigned long long)g->pa, g->shift,
                  g->level, g->is_table, (unsigned long long)x->va, (unsigned long long)x->pa,
                  x->shift, x->level, x->is_table);
        cr_assert(i == 0 || g->va >= got.m[i - 1].va, "%s: iterate out of address order",
                  e->fmt->name);
    }
    return got.n;
}

PTT_FOR_ALL_FORMATS(ops, iterate_reports_tables_and_leaves_in_order) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    ptt_map_ok(&e, GIB - 2 * PG, 4 * PG, PTT_DATA_PA, RW, 0);
    ptt_map_ok(&e, 2 * GIB + 2 * MIB, 2 * MIB, PTT_DATA_PA + 2 * MIB, RO, PT_MAP_HUGE);
    ptt_map_ok(&e, 4 * GIB, GIB, 4 * GIB, RW, PT_MAP_HUGE);
    ptt_map_ok(&e, 2 * GIB + 5 * PG, PG, PTT_DATA_PA, RO, 0);
    unsigned all = expect_iterate(&e, 0, ptt_lower_end(fmt));
    unsigned part = expect_iterate(&e, GIB - PG, GIB + 2 * MIB + PG);
    seq_t stop = {.limit = 3};
    cr_assert_eq(pt_iterate(&e.s, 0, ptt_lower_end(fmt), seq_visit, &stop), PT_OK);
    cr_assert_eq(stop.n, 3, "%s: iterate went on after the visitor said stop", fmt->name);
    ptt_env_fini(&e);
    cr_log_info("%s: iterate matched the reference walker entry by entry (%u over the whole "
                "half, %u over a sub-range), in address order; stopping after 3 works",
                fmt->name, all, part);
}

/* Asserts res's flush covers [va, va + n pages), counts leaves and sets all and tables. */
static void expect_flush(const ptt_env_t *e, const pt_result_t *res, pt_vaddr_t va, uint64_t n,
                         uint64_t leaves, bool tables) {
    const pt_flush_t *f = &res->flush;
    cr_assert(f->leaves == leaves && f->start <= va && f->last >= va + n * PG - 1 &&
                  f->all == (leaves > PT_FLUSH_ALL_THRESHOLD) && f->tables == tables,
              "%s: flush [%#llx, %#llx] leaves %llu all %d tables %d; want [%#llx, %#llx] %llu "
              "%d %d",
              e->fmt->name, (unsigned long long)f->start, (unsigned long long)f->last,
              (unsigned long long)f->leaves, f->all, f->tables, (unsigned long long)va,
              (unsigned long long)(va + n * PG - 1), (unsigned long long)leaves,
              leaves > PT_FLUSH_ALL_THRESHOLD, tables);
}

PTT_FOR_ALL_FORMATS(ops, flush_information) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t a = GIB + 64 * PG;
    ptt_map_ok(&e, a, 100 * PG, PTT_DATA_PA, RW, 0);
    pt_result_t res = unmap_expect(&e, a, 10 * PG, 0, PT_OK);
    expect_flush(&e, &res, a, 10, 10, false);
    cr_assert(res.flush.start == a && res.flush.last == a + 10 * PG - 1);
    res = unmap_expect(&e, a + 10 * PG, 33 * PG, 0, PT_OK);
    expect_flush(&e, &res, a + 10 * PG, 33, 33, false);
    res = unmap_expect(&e, a + 43 * PG, 32 * PG, 0, PT_OK);
    expect_flush(&e, &res, a + 43 * PG, 32, 32, false);
    res = protect_expect(&e, a + 75 * PG, 5 * PG, RO, 0, PT_OK);
    expect_flush(&e, &res, a + 75 * PG, 5, 5, false);
    res = unmap_expect(&e, a + 75 * PG, 25 * PG, 0, PT_OK);
    expect_flush(&e, &res, a + 75 * PG, 25, 25, true);
    cr_assert_eq(e.s.tables, 1);
    ptt_map_ok(&e, 2 * GIB, 2 * MIB, PTT_DATA_PA, RW, PT_MAP_HUGE);
    res = unmap_expect(&e, 2 * GIB, 2 * MIB, 0, PT_OK);
    expect_flush(&e, &res, 2 * GIB, 512, 1, true);
    /* Overwrite of a run that starts with empty slots: every written slot is reported. */
    pt_vaddr_t x = 3 * GIB;
    ptt_map_ok(&e, x + 3 * PG, PG, PTT_DATA_PA, RW, 0);
    ptt_clear_released(&e);
    cr_assert_eq(
        pt_map(&e.s, x, 10 * PG, &(pt_frames_t){.base = PTT_DATA_PA}, RO, PT_MAP_OVERWRITE, &res),
        PT_OK);
    expect_flush(&e, &res, x, 10, 10, false);
    ptt_env_fini(&e);
    cr_log_info("%s: flush ranges and leaf counts exact for 10/33/32/5/25 pages, one 2 MiB "
                "leaf and a 10-page overwrite, `all` only past %u leaves, `tables` only when "
                "tables were unlinked",
                fmt->name, PT_FLUSH_ALL_THRESHOLD);
}

/* Asserts d is a list of d->count allocated, unreachable tables linked through their first
 * word, and that a walker still caching one reads only non-present entries: every word but
 * the link is zero and the link has bit 0 (present / valid) clear. */
static void expect_deferred_list(ptt_env_t *e, const pt_deferred_t *d) {
    ptt_snap_t reach = ptt_snapshot(e);
    pt_paddr_t pa = d->head;
    for (uint64_t n = 0; n < d->count; n++) {
        const uint64_t *t = ptt_table(e, pa);
        for (size_t i = 0; i < reach.n; i++) {
            cr_assert_neq(reach.pa[i], pa, "%s: deferred table %#llx is still reachable",
                          e->fmt->name, (unsigned long long)pa);
        }
        cr_assert_eq(t[0] & 1, 0, "%s: deferred link %#llx looks present", e->fmt->name,
                     (unsigned long long)t[0]);
        for (unsigned i = 1; i < PT_ENTRIES; i++) {
            cr_assert_eq(t[i], 0, "%s: deferred table %#llx entry %u is %#llx", e->fmt->name,
                         (unsigned long long)pa, i, (unsigned long long)t[i]);
        }
        pa = t[0];
    }
    ptt_snap_free(&reach);
}

PTT_FOR_ALL_FORMATS(ops, deferred_table_release) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    ptt_map_ok(&e, GIB + 7 * PG, PG, PTT_DATA_PA, RW, 0);
    uint64_t frees = e.alloc.frees;
    pt_result_t res;
    cr_assert_eq(pt_unmap(&e.s, GIB + 7 * PG, PG, 0, &res), PT_OK);
    cr_assert(res.deferred.count == fmt->levels - 1u && e.s.tables == 1,
              "%s: deferred %llu tables, space holds %llu", fmt->name,
              (unsigned long long)res.deferred.count, (unsigned long long)e.s.tables);
    cr_assert_eq(e.alloc.frees, frees, "%s: tables freed before pt_release_tables", fmt->name);
    ptt_check_invariants(&e, res.deferred.count); /* unlinked at once, still allocated */
    expect_deferred_list(&e, &res.deferred);
    ptt_release_deferred(&e, &res);
    cr_assert_eq(ptt_outstanding(&e.alloc), 1);
    /* Many tables: fill, then empty piece by piece; only the root is left. */
    for (uint64_t i = 0; i < 8; i++) {
        ptt_map_ok(&e, GIB - 4 * MIB + i * (GIB / 4), 3 * MIB, PTT_DATA_PA, RW, 0);
    }
    uint64_t peak = e.s.tables;
    for (uint64_t i = 0; i < 8; i++) {
        pt_vaddr_t v = GIB - 4 * MIB + i * (GIB / 4);
        unmap_expect(&e, v + MIB, 2 * MIB, 0, PT_OK);
        ptt_check_invariants(&e, 0);
        unmap_expect(&e, v, MIB, 0, PT_OK);
        ptt_check_invariants(&e, 0);
    }
    cr_assert(e.s.tables == 1 && ptt_outstanding(&e.alloc) == 1,
              "%s: %llu tables, %llu frames outstanding after unmapping everything", fmt->name,
              (unsigned long long)e.s.tables, (unsigned long long)ptt_outstanding(&e.alloc));
    ptt_env_fini(&e);
    cr_log_info(
        "%s: unmap deferred %u tables (unreachable, linked through bit-0-clear first words, "
        "otherwise zero) until pt_release_tables; after filling %llu "
        "tables and unmapping everything only the root is left (1 frame out)",
        fmt->name, fmt->levels - 1u, (unsigned long long)peak);
}

PTT_FOR_ALL_FORMATS(ops, destroy_returns_every_table_and_frame) {
    ptt_env_t e;
    uint64_t rng = ptt_seed() + 2;
    ptt_env_init(&e, fmt, PT_SPACE_KERNEL, false);
    pt_paddr_t *f = random_frames(700, &rng);
    pt_vaddr_t up = ptt_upper_base(fmt);
    if (!fmt->split_halves) {
        map_list(&e, GIB - 300 * PG, 700, f, RW, 0);
        ptt_map_ok(&e, 4 * GIB, GIB, 4 * GIB, RW, PT_MAP_HUGE);
        protect_expect(&e, 4 * GIB + 3 * MIB, PG, RO, 0, PT_OK); /* split twice */
    }
    map_list(&e, up + GIB - 300 * PG, 700, f, RW, 0);
    ptt_map_ok(&e, up + 8 * GIB, 6 * MIB, 2 * GIB, RW, PT_MAP_HUGE);
    ptt_map_ok(&e, -2 * MIB, 2 * MIB, 2 * GIB, RO, PT_MAP_HUGE);
    ptt_stats_t st = ptt_check_invariants(&e, 0);
    uint64_t pages = ptt_env_fini(&e);
    cr_assert_eq(pages, st.pages);
    free(f);
    cr_log_info("%s: pt_destroy of a kernel space with %llu tables and %llu leaves released "
                "exactly those leaves (%llu pages) and every table",
                fmt->name, (unsigned long long)st.tables, (unsigned long long)st.leaves,
                (unsigned long long)pages);
}

PTT_FOR_ALL_FORMATS(ops, invariants_after_random_unmaps) {
    ptt_env_t e;
    uint64_t rng = ptt_seed() + 3;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t lo = 2 * GIB - 16 * MIB;
    unsigned sweeps = 0;
    for (unsigned round = 0; round < 4; round++) {
        ptt_map_ok(&e, lo, 32 * MIB, 8 * GIB, RW, round & 1 ? PT_MAP_HUGE : 0);
        for (unsigned i = 0; i < 150; i++) {
            uint64_t n = 1 + ptt_below(&rng, i % 10 == 0 ? 1024 : 64);
            pt_vaddr_t va = lo + ptt_below(&rng, 8192 - n + 1) * PG;
            pt_result_t res;
            if (i % 3 == 0) {
                pt_attr_t a = {PT_R | (ptt_below(&rng, 2) ? PT_W : 0), 0};
                res = protect_expect(&e, va, n * PG, a, PT_SKIP_HOLES, PT_OK);
            } else {
                res = unmap_expect(&e, va, n * PG, PT_SKIP_HOLES, PT_OK);
            }
            cr_assert_eq(res.pages + res.holes, n);
            ptt_check_invariants(&e, 0);
            sweeps++;
        }
        unmap_expect(&e, lo, 32 * MIB, PT_SKIP_HOLES, PT_OK);
        cr_assert(e.s.tables == 1 && ptt_outstanding(&e.alloc) == 1);
    }
    ptt_env_fini(&e);
    cr_log_info("%s: %u invariant sweeps after random unmaps/protects (seed %#llx): no empty "
                "table reachable, no invalid entry, tables counted exactly; root only at the end",
                fmt->name, sweeps, (unsigned long long)ptt_seed());
}

/* Calls every operation over [va, va + len) on e, each must return PT_ERR_CORRUPT with the
 * assert hook told once, and change nothing in the table at table_pa. */
static void expect_corrupt_everywhere(ptt_env_t *e, pt_vaddr_t va, uint64_t len,
                                      pt_paddr_t table_pa) {
    uint64_t before[PT_ENTRIES];
    memcpy(before, ptt_table(e, table_pa), sizeof(before));
    uint64_t attempts = e->alloc.attempts;
    pt_result_t res;
    pt_mapping_t m;
    pt_frames_t src = {.base = PTT_DATA_PA};
    pt_err_t rc[4] = {
        pt_query(&e->s, va, &m),
        pt_unmap(&e->s, va, len, PT_SKIP_HOLES, &res),
        pt_protect(&e->s, va, len, RO, PT_SKIP_HOLES, &res),
        pt_map(&e->s, va, len, &src, RW, PT_MAP_OVERWRITE, &res),
    };
    for (unsigned i = 0; i < 4; i++) {
        cr_assert_eq(rc[i], PT_ERR_CORRUPT, "%s: call %u over a corrupt entry: %s", e->fmt->name, i,
                     pt_strerror(rc[i]));
    }
    cr_assert_eq(e->asserts, 4, "%s: assert_failed called %llu times for 4 calls", e->fmt->name,
                 (unsigned long long)e->asserts);
    cr_assert_eq(res.fault_va, va, "%s: fault_va %#llx at a corrupt entry %#llx", e->fmt->name,
                 (unsigned long long)res.fault_va, (unsigned long long)va);
    cr_assert(memcmp(before, ptt_table(e, table_pa), sizeof(before)) == 0,
              "%s: a call over a corrupt entry wrote the table", e->fmt->name);
    cr_assert_eq(e->alloc.attempts, attempts);
    e->asserts = 0;
}

PTT_FOR_ALL_FORMATS(ops, corrupt_entry_is_reported_not_used) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t a = GIB + 8 * PG;
    ptt_map_ok(&e, a, 4 * PG, PTT_DATA_PA, RW, 0);
    ptt_leaf_t l;
    pt_paddr_t pa = e.s.root;
    for (unsigned level = fmt->levels - 1u; level > 0; level--) {
        uint64_t raw = ptt_table(&e, pa)[(a >> ptt_shift(level)) & (PT_ENTRIES - 1)];
        cr_assert_eq(fmt->decode(raw, level, 0, &pa, NULL), PT_KIND_TABLE);
    }
    uint64_t *slot = &ptt_table(&e, pa)[(a >> 12) & (PT_ENTRIES - 1)];
    uint64_t good = *slot;
    /* Bits 62 and 60: reserved in x86 (62:52), riscv (60:54) and aarch64 (63:55) entries. */
    *slot = good | 1ull << 62 | 1ull << 60;
    cr_assert_eq(fmt->decode(*slot, 0, 0, NULL, NULL), PT_KIND_INVALID);
    expect_corrupt_everywhere(&e, a, 4 * PG, pa);
    *slot = good;
    cr_assert(ptt_lookup(&e, a, &l));
    ptt_env_fini(&e);
    cr_log_info("%s: a corrupt leaf made query, unmap, protect and map return PT_ERR_CORRUPT "
                "through the assert hook, with fault_va at it and the table untouched",
                fmt->name);
}

/* pt_flush_t.fresh: a map without PT_MAP_OVERWRITE that succeeds wrote only into empty
 * entries, so it needs no invalidation exactly where the format's MMU never caches an empty
 * entry (caches_invalid false: x86_64, aarch64); an overwrite, an unmap and a protect never
 * say so, since they change entries an MMU may hold. */
PTT_FOR_ALL_FORMATS(ops, flush_fresh_only_for_new_entries) {
    ptt_env_t e;
    ptt_env_init(&e, fmt, 0, false);
    pt_vaddr_t va = GIB + 5 * PG;
    pt_result_t res = ptt_map_ok(&e, va, 4 * PG, PTT_DATA_PA, RW, 0);
    cr_assert_eq(res.flush.leaves, 4, "%s: the new leaves are reported", fmt->name);
    cr_assert_eq(res.flush.fresh, !fmt->caches_invalid, "%s: a map into holes: fresh %d", fmt->name,
                 res.flush.fresh);
    res = ptt_map_ok(&e, va, 2 * PG, PTT_DATA_PA + 8 * PG, RW, PT_MAP_OVERWRITE);
    cr_assert(!res.flush.fresh, "%s: an overwrite is never fresh", fmt->name);
    res = protect_expect(&e, va, 4 * PG, RO, 0, PT_OK);
    cr_assert(!res.flush.fresh, "%s: a protect is never fresh", fmt->name);
    pt_result_t un;
    cr_assert_eq(pt_unmap(&e.s, va, 4 * PG, 0, &un), PT_OK);
    cr_assert(!un.flush.fresh, "%s: an unmap is never fresh", fmt->name);
    pt_release_tables(&e.s, &un.deferred);
    ptt_check_invariants(&e, 0);
    ptt_env_fini(&e);
    cr_log_info("%s: flush.fresh %s for a map into holes, never for overwrite, protect, unmap",
                fmt->name,
                fmt->caches_invalid ? "false (the MMU may cache empty entries)" : "true");
}
