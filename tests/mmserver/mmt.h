/*
 * Shared infrastructure of the mmserver core's host tests (Criterion).
 *
 * - A fake kernel (mm_kernel_ops_t) that records roots, flushes and kills, and at each
 *   flush what the pool looked like (to prove frames wait for the flush).
 * - An environment: a RAM window from the host heap posing as physical memory at
 *   MMT_POOL_PA, a server over it, request helpers that check after every request that at
 *   most one flush happened and nothing is left pending.
 * - An invariant sweep (accounts, refcounts, pool totals, every leaf's attributes equal to
 *   its region's current permissions and memory type) and snapshots (every table and
 *   leaf from pt_iterate, the region lists, the accounts, the pool) to prove a failed
 *   request changed nothing.
 * - MMT_FOR_ALL_FORMATS: one scenario, one Criterion test per paging format.
 */
#pragma once

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <mmserver/mm.h>
#include <stdbool.h>
#include <stdint.h>

#define PG  0x1000ull
#define MIB 0x100000ull

#define MMT_POOL_PA     0x80000000ull /* 2 GiB: 2 MiB-aligned, inside every format's pa_bits */
#define MMT_POOL_FRAMES 4096u         /* 16 MiB */
#define MMT_SMALL_POOL  1536u         /* 6 MiB: the failure-injection runs */
#define MMT_DEVICE_PA   0xfe000000ull /* outside the pool */
#define MMT_VA          0x10000000ull /* where the tests map things */
#define MMT_QUOTA       100000u

/* One Criterion test per format, all running `static void suite##_##name(fmt)`. */
#define MMT_FOR_ALL_FORMATS(suite, name)                                                           \
    static void suite##_##name(const pt_format_t *fmt);                                            \
    Test(suite, name##_x86_64) {                                                                   \
        suite##_##name(&pt_format_x86_64);                                                         \
    }                                                                                              \
    Test(suite, name##_sv48) {                                                                     \
        suite##_##name(&pt_format_sv48);                                                           \
    }                                                                                              \
    Test(suite, name##_sv39) {                                                                     \
        suite##_##name(&pt_format_sv39);                                                           \
    }                                                                                              \
    Test(suite, name##_aarch64) {                                                                  \
        suite##_##name(&pt_format_aarch64);                                                        \
    }                                                                                              \
    static void suite##_##name(const pt_format_t *fmt)

/* What the fake kernel saw. */
typedef struct mmt_kernel {
    pt_paddr_t root[MM_MAX_CLIENTS]; /* 0: none registered */
    uint64_t registers, unregisters, flushes, kills;
    uint32_t last_flush_client;
    pt_flush_t last_flush;
    uint64_t free_at_flush;    /* pool free frames when the last flush was called */
    uint64_t pending_at_flush; /* pool pending frames then */
    mm_kill_reason_t last_kill;
    bool refuse_root; /* register_root says no */
} mmt_kernel_t;

typedef struct mmt_env {
    const pt_format_t *fmt;
    mm_server_t *srv;
    mmt_kernel_t k;
    uint8_t *ram;
    uint64_t frames;
    uint64_t start_available; /* mm_pool_available right after init */
    uint64_t reply[MM_REPLY_WORDS];
    bool sweep; /* check invariants after every request */
} mmt_env_t;

/* Sets e up with fmt and a pool of frames frames (0: MMT_POOL_FRAMES), no client. */
void mmt_init(mmt_env_t *e, const pt_format_t *fmt, uint64_t frames);

/* Destroys every client, asserts the pool got every frame back, frees e. */
void mmt_fini(mmt_env_t *e);

/* mmt_init with the default pool, then client 1 with MMT_QUOTA: most tests' start. */
void mmt_start(mmt_env_t *e, const pt_format_t *fmt);

/* Creates client id with quota (asserting success). */
void mmt_client(mmt_env_t *e, uint32_t id, uint64_t quota, bool privileged);

/* Sends one request (six words) and returns the reply's label; e->reply has the words.
 * Asserts at most one flush, nothing left pending, and (e->sweep) the invariants. */
mm_err_t mmt_req(mmt_env_t *e, uint32_t client, uint64_t label, uint64_t w0, uint64_t w1,
                 uint64_t w2, uint64_t w3, uint64_t w4, uint64_t w5);

/* Shorthands. */
mm_err_t mmt_map(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len, uint64_t perm,
                 uint64_t flags);
mm_err_t mmt_unmap(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len);
mm_err_t mmt_protect(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len, uint64_t perm);
mm_err_t mmt_decommit(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len);
mm_err_t mmt_accept(mmt_env_t *e, uint32_t c, uint64_t from, uint64_t va, uint64_t len,
                    uint64_t max);
mm_err_t mmt_share(mmt_env_t *e, uint32_t c, uint64_t va, uint64_t len, uint64_t to, uint64_t dst,
                   uint64_t perm);

/* Asserts a request returned want, naming what in the message. got is evaluated once: a
 * failing request is not sent again to word the message. */
#define mmt_expect(got, want, what)                                                                \
    do {                                                                                           \
        mm_err_t mmt_got_ = (got);                                                                 \
        cr_assert_eq(mmt_got_, (want), "%s: %s: got %s (%d), want %s", e->fmt->name, (what),       \
                     mm_strerror(mmt_got_), (int)mmt_got_, mm_strerror(want));                     \
    } while (0)

/* Copies c's regions in address order into *out (malloc'ed; the caller frees it), asserting
 * the tree holds exactly nregions; returns how many. */
uint64_t mmt_regions(const mm_client_t *c, mm_region_t **out);

/* c's region number i in address order (i < nregions), by walking from the first. */
const mm_region_t *mmt_region_nth(const mm_client_t *c, uint64_t i);

/* The region of r[0, n) (sorted, disjoint) holding va, or NULL: the test's own search. */
const mm_region_t *mmt_region_of(const mm_region_t *r, uint64_t n, uint64_t va);

/* True if b starts where a ends and the two are interchangeable with one region (the
 * test's own statement of the merge rule: same kind, perm, max, memory type; the same live
 * peer for windows (closed ones, peer 0xffffffff, never merge); contiguous frames for device
 * memory). */
bool mmt_mergeable(const mm_region_t *a, const mm_region_t *b);

/* Tables (root included) that regions r[0, n) (sorted) are charged for on fmt: the test's
 * own count from scratch. */
uint64_t mmt_tables_needed(const pt_format_t *fmt, const mm_region_t *r, uint64_t n);

/* Frame backing va in client c's space (0: none), by pt_query. */
pt_paddr_t mmt_frame(mmt_env_t *e, uint32_t c, uint64_t va);

/* Pointer to the bytes of pool frame pa through the RAM window. */
uint8_t *mmt_bytes(mmt_env_t *e, pt_paddr_t pa);

/* True if the 4 KiB frame at pa reads as zeroes. */
bool mmt_zeroed(mmt_env_t *e, pt_paddr_t pa);

/* Asserts every invariant (see mmt_env.c). */
void mmt_check(mmt_env_t *e);

/* The leaf attributes every page of region r must carry: r's current permissions (never
 * its max: those are what protect may grant later) with PT_U, and r's memory type. Written
 * apart from the core's own conversion (mm_attr). */
pt_attr_t mmt_region_attr(const mm_region_t *r);

/* The leaf that maps va in client c's space, found by the test's own walk of the raw
 * tables from the root through the RAM window, each entry decoded by the format (not by
 * libpt's walker, so a bug there cannot hide itself): false for a hole. */
bool mmt_leaf(mmt_env_t *e, uint32_t c, uint64_t va, pt_paddr_t *pa, pt_attr_t *attr);

/* mm_fault for client c at addr with access, then (e->sweep) the invariants, as mmt_req
 * does for a request: a fault fill is checked like any other change. */
mm_fault_answer_t mmt_fault(mmt_env_t *e, uint32_t c, uint64_t addr, uint32_t access,
                            mm_kill_reason_t *why);

/* Everything a failed request must leave as it was. */
typedef struct mmt_snap {
    size_t n;
    pt_mapping_t *m;                      /* every table and leaf of every client, in order */
    mm_client_t *clients;                 /* copies (accounts) */
    mm_region_t *regions[MM_MAX_CLIENTS]; /* copies of each client's regions, in order */
    uint64_t nregions[MM_MAX_CLIENTS];
    uint64_t free, reserved, available;
} mmt_snap_t;

mmt_snap_t mmt_snapshot(mmt_env_t *e);
void mmt_expect_snapshot(mmt_env_t *e, const mmt_snap_t *s, const char *what);
void mmt_snap_free(mmt_snap_t *s);

/* One line on the test's log saying what it checked. */
#define mmt_said(...) cr_log_info(__VA_ARGS__)

/* Failure injection: runs setup then op in a fresh environment for k = 1, 2, ..., failing
 * the pool's k-th allocation attempt inside op, until op succeeds without reaching k.
 * Each failed op must leave a snapshot and the invariants exactly as before. Returns the
 * number of k that made op fail. */
typedef void (*mmt_setup_fn)(mmt_env_t *e);
typedef mm_err_t (*mmt_op_fn)(mmt_env_t *e);
unsigned mmt_every_failure(const pt_format_t *fmt, const char *what, mmt_setup_fn setup,
                           mmt_op_fn op);

/* splitmix64 and a value in [0, n). */
uint64_t mmt_rand(uint64_t *state);
uint64_t mmt_below(uint64_t *state, uint64_t n);
