/*
 * Shared test infrastructure for the libpt host unit tests (Criterion).
 *
 * - One fake physical memory arena: table frames come from a free list with counts of
 *   allocations, frees and outstanding frames, and a switch that fails the k-th allocation
 *   (or a random fraction of them).
 * - One test environment (ptt_env_t): an arena, a pt_space_t wired to it through either the
 *   linear phys_offset or the phys_to_virt hook, and a log of frames released through
 *   hooks.release_frame.
 * - One independent reference walker that reads the raw tables from the root, decoding each
 *   entry with the format's decode (itself checked against the reference encoders below),
 *   used for look-ups, snapshots and invariant sweeps.
 * - Independent reference encoders, written from the tables in libpt/README.md.
 * - PTT_FOR_ALL_FORMATS, which turns one scenario into one Criterion test per format.
 */
#pragma once

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pt/pt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KIB 0x400ull
#define MIB 0x100000ull
#define GIB 0x40000000ull
#define PG  PT_PAGE_SIZE

/* Fake physical addresses of the arena's table frames: [PTT_ARENA_PA, + frames * 4 KiB). */
#define PTT_ARENA_PA     0x10000000ull
#define PTT_ARENA_FRAMES 4096u
/* Fake data frames start here (never dereferenced, never 0, below every format's pa_bits). */
#define PTT_DATA_PA 0x200000000ull

/*
 * Generates one Criterion test per paging format, all running the same scenario body
 * `static void suite_name(const pt_format_t *fmt)` that follows the macro.
 */
#define PTT_FOR_ALL_FORMATS(suite, name)                                                           \
    static void suite##_##name(const pt_format_t *fmt);                                            \
    PTT_FORMAT_TEST(suite, name, x86_64)                                                           \
    PTT_FORMAT_TEST(suite, name, sv48)                                                             \
    PTT_FORMAT_TEST(suite, name, sv39)                                                             \
    PTT_FORMAT_TEST(suite, name, aarch64)                                                          \
    static void suite##_##name(const pt_format_t *fmt)

/* One Criterion test suite::name_f running the scenario body on pt_format_f. */
#define PTT_FORMAT_TEST(suite, name, f)                                                            \
    Test(suite, name##_##f) {                                                                      \
        suite##_##name(&pt_format_##f);                                                            \
    }

/* ---- the arena allocator ---------------------------------------------------------------- */

typedef struct ptt_alloc {
    uint8_t *mem;        /* PTT_ARENA_FRAMES frames, 4 KiB aligned */
    uint32_t *free_list; /* indices of free frames (a stack) */
    uint32_t nfree;
    uint8_t *in_use;   /* per frame: handed out and not yet freed */
    uint64_t attempts; /* calls of alloc_table, failed ones included */
    uint64_t allocs;   /* successful allocations */
    uint64_t frees;
    uint64_t fail_at;   /* when attempts reaches this value, that attempt fails (0: never) */
    uint32_t fail_rate; /* 0: never; else each attempt fails with probability 1/fail_rate */
    uint64_t rng;       /* state for fail_rate */
    uint64_t p2v_calls; /* calls of the phys_to_virt hook */
    uint32_t *used;     /* per frame: libpt's count of entries in use (hooks.table_used) */
    bool counts;        /* the table_used hook is wired (libpt keeps counts, never scans) */
} ptt_alloc_t;

/* Frames handed out by the arena and not yet given back. */
static inline uint64_t ptt_outstanding(const ptt_alloc_t *a) {
    return a->allocs - a->frees;
}

/* Makes the k-th allocation attempt from now fail (k >= 1); k == 0 disarms. */
void ptt_fail_at(ptt_alloc_t *a, uint64_t k);

/* ---- the environment -------------------------------------------------------------------- */

/* One frame released through hooks.release_frame. */
typedef struct ptt_release {
    pt_vaddr_t va;
    pt_paddr_t pa;
    unsigned shift;
} ptt_release_t;

typedef struct ptt_env {
    const pt_format_t *fmt;
    ptt_alloc_t alloc;
    pt_space_t s;
    ptt_release_t *rel; /* log of released frames since the last ptt_clear_released */
    size_t nrel, caprel;
    uint64_t released_pages; /* pages in the log */
    uint64_t asserts;        /* calls of hooks.assert_failed */
    uint64_t barriers;       /* calls of hooks.write_barrier */
} ptt_env_t;

/* Sets up e: an arena and a fresh space of fmt with flags (asserting pt_space_init succeeds,
 * with exactly one table). use_p2v_hook: reach tables through hooks.phys_to_virt (with a
 * phys_offset that would crash if libpt used it) instead of the linear phys_offset, and
 * keep no entry counts (no hooks.table_used: libpt scans a table to see it emptied); the
 * other setting wires table_used, and every invariant sweep checks the counts. So every
 * test that runs both settings covers both ways of knowing a table is empty. */
void ptt_env_init(ptt_env_t *e, const pt_format_t *fmt, uint32_t flags, bool use_p2v_hook);

/* Destroys the space (pt_destroy) and asserts it released exactly the leaves the reference
 * walker saw just before (same va, frame and size, each once) and that the arena got every
 * table frame back. Returns the number of pages pt_destroy released. */
uint64_t ptt_env_fini(ptt_env_t *e);

/* Empties the release log. */
void ptt_clear_released(ptt_env_t *e);

/* Pointer to the 512 entries of the arena table frame at pa (asserts pa is an arena frame
 * that is handed out). The tests' own view: never goes through libpt's hooks. */
uint64_t *ptt_table(ptt_env_t *e, pt_paddr_t pa);

/* Asserts the release log holds exactly the pages of [va, va + npages * 4 KiB) whose
 * want[i] is not 0, each once, with frame want[i] (huge releases count page by page). */
void ptt_expect_released(ptt_env_t *e, pt_vaddr_t va, uint64_t npages, const pt_paddr_t *want);

/* Hands res's deferred tables back (pt_release_tables) and asserts exactly that many frames
 * returned to the arena and the list is empty afterwards. */
void ptt_release_deferred(ptt_env_t *e, pt_result_t *res);

/* ---- address helpers -------------------------------------------------------------------- */

/* log2 of the bytes one entry at level maps. */
static inline unsigned ptt_shift(unsigned level) {
    return 12u + 9u * level;
}

/* First canonical address of the upper half. */
static inline pt_vaddr_t ptt_upper_base(const pt_format_t *fmt) {
    return ~0ull << (fmt->va_bits - 1);
}

/* One past the last address of the lower half. */
static inline pt_vaddr_t ptt_lower_end(const pt_format_t *fmt) {
    return 1ull << (fmt->va_bits - 1);
}

/* True if fmt is x86_64 / one of the riscv formats / aarch64. */
bool ptt_is_x86(const pt_format_t *fmt);
bool ptt_is_riscv(const pt_format_t *fmt);

/* A space flag set that lets fmt express every memory type (Svpbmt on riscv). */
uint32_t ptt_all_memtypes(const pt_format_t *fmt);

/* Maps [va, va + len) contiguously from pa with attr and flags, asserting PT_OK and that
 * result.pages is len / 4 KiB. Returns the result. */
pt_result_t ptt_map_ok(ptt_env_t *e, pt_vaddr_t va, uint64_t len, pt_paddr_t pa, pt_attr_t attr,
                       uint32_t flags);

/* ---- the reference walker --------------------------------------------------------------- */

/* One leaf as the reference walker sees it. */
typedef struct ptt_leaf {
    pt_vaddr_t va; /* first address of the leaf */
    pt_paddr_t pa; /* its frame */
    unsigned shift;
    unsigned level;
    pt_attr_t attr;
    uint64_t raw;
} ptt_leaf_t;

/* Callbacks of ptt_walk; any may be NULL. table: a table at level (its entries are at that
 * level) covering [va, va + 2^(shift(level) + 9)), nonzero counts its non-zero entries;
 * called before its contents. leaf: one leaf. Entries are visited in address order. */
typedef struct ptt_walker {
    void *ctx;
    void (*table)(void *ctx, pt_vaddr_t va, unsigned level, pt_paddr_t pa, unsigned nonzero);
    void (*leaf)(void *ctx, const ptt_leaf_t *l);
} ptt_walker_t;

/* Walks every table and leaf of e's space that intersects [lo, last] (last inclusive), from
 * the root. Asserts that every non-zero entry decodes as a leaf or a table pointer (never
 * PT_KIND_INVALID), that table pointers point at handed-out arena frames at levels >= 1,
 * and that leaves sit at levels the format allows. */
void ptt_walk(ptt_env_t *e, pt_vaddr_t lo, pt_vaddr_t last, const ptt_walker_t *w);

/* The leaf mapping va, by walking from the root; false for a hole. */
bool ptt_lookup(ptt_env_t *e, pt_vaddr_t va, ptt_leaf_t *out);

/* Asserts the reference walker and pt_query agree that va maps to pa with attr in a leaf of
 * size 1 << shift (pa == 0: va is a hole for both). */
void ptt_expect_page(ptt_env_t *e, pt_vaddr_t va, pt_paddr_t pa, pt_attr_t attr, unsigned shift);

/* What an invariant sweep found. */
typedef struct ptt_stats {
    uint64_t tables; /* reachable tables, root included */
    uint64_t leaves;
    uint64_t huge_leaves;
    uint64_t pages; /* 4 KiB pages mapped */
} ptt_stats_t;

/* Sweeps the whole space: every entry zero, a valid leaf or a valid table pointer; no
 * reachable non-root table empty; reachable tables == s.tables; the arena's outstanding
 * frames == s.tables + pending (tables on a deferred list not yet released). */
ptt_stats_t ptt_check_invariants(ptt_env_t *e, uint64_t pending);

/* A copy of every reachable table's raw entries, root first, in walk order. */
typedef struct ptt_snap {
    size_t n;
    pt_paddr_t *pa;
    uint64_t (*entries)[PT_ENTRIES];
    uint64_t tables; /* s.tables at the time */
} ptt_snap_t;

/* Takes a snapshot of e's tables. */
ptt_snap_t ptt_snapshot(ptt_env_t *e);

/* Asserts e's tables are exactly as in snap (same frames, same raw entries, same count). */
void ptt_expect_snapshot(ptt_env_t *e, const ptt_snap_t *snap, const char *what);

/* Frees a snapshot's memory. */
void ptt_snap_free(ptt_snap_t *snap);

/* ---- reference encoders (independent of libpt) ------------------------------------------ */

/* True if fmt can express attr in a leaf at level with space flags (README "Refused"). */
bool ref_expressible(const pt_format_t *fmt, pt_attr_t attr, unsigned level, uint32_t flags);

/* The leaf entry README's table gives for pa, attr at level with space flags. */
uint64_t ref_leaf(const pt_format_t *fmt, pt_paddr_t pa, pt_attr_t attr, unsigned level,
                  uint32_t flags);

/* The table-pointer entry README's table gives for a table at pa, in an entry at level. */
uint64_t ref_table(const pt_format_t *fmt, pt_paddr_t pa, unsigned level);

/* ---- random numbers --------------------------------------------------------------------- */

/* splitmix64: the next value of *state. */
uint64_t ptt_rand(uint64_t *state);

/* A uniform value in [0, n) (n > 0). */
uint64_t ptt_below(uint64_t *state, uint64_t n);

/* The seed from env PT_SEED if set, else a fixed default. */
uint64_t ptt_seed(void);
