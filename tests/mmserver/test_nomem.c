/*
 * All-or-nothing under pool exhaustion: for each operation, the pool's k-th allocation
 * fails for k = 1, 2, ... until the operation succeeds without reaching k; every failure
 * must leave tables, regions, accounts and the pool exactly as before, without a flush.
 */
#include "mmt.h"

#define RW (MM_PERM_R | MM_PERM_W)

/* A client with something already mapped, so tables exist next to the new ranges. */
static void setup_one(mmt_env_t *e) {
    mmt_client(e, 1, MMT_QUOTA, false);
    mmt_expect(mmt_map(e, 1, MMT_VA, 4 * PG, RW, 0), MM_OK, "setup");
}

static mm_err_t op_map_eager(mmt_env_t *e) {
    return mmt_map(e, 1, 0x40000000 - 8 * PG, 40 * PG, RW, 0);
}

static mm_err_t op_map_overwrite(mmt_env_t *e) {
    return mmt_map(e, 1, MMT_VA + 2 * PG, 48 * PG, RW, MM_F_OVERWRITE);
}

static mm_err_t op_map_huge(mmt_env_t *e) {
    return mmt_map(e, 1, 0x40000000 - 2 * MIB, 2 * MIB + 4 * PG, RW, MM_F_HUGE);
}

/* Client 2 accepts a window from 1 far from anything it has. */
static void setup_share(mmt_env_t *e) {
    setup_one(e);
    mmt_client(e, 2, MMT_QUOTA, false);
    mmt_expect(mmt_accept(e, 2, 1, 0x7000000000ull >> 2, 16 * PG, RW), MM_OK, "accept");
}

static mm_err_t op_share(mmt_env_t *e) {
    return mmt_share(e, 1, MMT_VA, 4 * PG, 2, (0x7000000000ull >> 2) + 4 * PG, RW);
}

/* A lazy range far from other mappings: its first fill needs every table level. */
static void setup_lazy(mmt_env_t *e) {
    setup_one(e);
    mmt_expect(mmt_map(e, 1, 0x3000000000ull, 16 * PG, RW, MM_F_LAZY), MM_OK, "lazy");
}

static mm_err_t op_fault(mmt_env_t *e) {
    mm_kill_reason_t why;
    mm_fault_answer_t a = mm_fault(e->srv, 1, 0x3000000000ull + 3 * PG, IPC_ACCESS_WRITE, &why);
    cr_assert(a != MM_FAULT_KILL, "a fault in a charged lazy range is never a kill");
    if (a == MM_FAULT_RESUME) {
        mmt_check(e);
    }
    return a == MM_FAULT_RESUME ? MM_OK : MM_ERR_NOMEM;
}

/* A 2 MiB leaf to be split by protect. */
static void setup_huge(mmt_env_t *e) {
    setup_one(e);
    mmt_expect(mmt_map(e, 1, 0x40000000, 2 * MIB, RW, MM_F_HUGE), MM_OK, "huge");
    cr_assert_eq(e->reply[MM_R_MAP_HUGE], 512);
}

static mm_err_t op_protect_split(mmt_env_t *e) {
    return mmt_protect(e, 1, 0x40000000 + 16 * PG, PG, MM_PERM_R);
}

static mm_err_t op_unmap_split(mmt_env_t *e) {
    return mmt_unmap(e, 1, 0x40000000 + 16 * PG, PG);
}

static mm_err_t op_decommit_split(mmt_env_t *e) {
    return mmt_decommit(e, 1, 0x40000000 + 16 * PG, 2 * PG);
}

/* Runs one operation through every failure, asserting at least `least` failures seen. */
static void every(const pt_format_t *fmt, const char *what, mmt_setup_fn setup, mmt_op_fn op,
                  unsigned least) {
    unsigned n = mmt_every_failure(fmt, what, setup, op);
    cr_assert(n >= least, "%s: %s: only %u failures injected", fmt->name, what, n);
    mmt_said("%s: %s: %u injected pool failures, each left everything as it was", fmt->name, what,
             n);
}

MMT_FOR_ALL_FORMATS(nomem, map_eager) {
    every(fmt, "eager map", setup_one, op_map_eager, 40);
}

MMT_FOR_ALL_FORMATS(nomem, map_overwrite) {
    every(fmt, "eager map over an existing range", setup_one, op_map_overwrite, 1);
}

MMT_FOR_ALL_FORMATS(nomem, map_huge) {
    every(fmt, "huge map", setup_one, op_map_huge, 2);
}

MMT_FOR_ALL_FORMATS(nomem, share) {
    every(fmt, "share", setup_share, op_share, 1);
}

MMT_FOR_ALL_FORMATS(nomem, fault_fill) {
    every(fmt, "fault fill", setup_lazy, op_fault, 2);
}

MMT_FOR_ALL_FORMATS(nomem, protect_split) {
    every(fmt, "protect splitting a huge leaf", setup_huge, op_protect_split, 1);
}

MMT_FOR_ALL_FORMATS(nomem, unmap_split) {
    every(fmt, "unmap splitting a huge leaf", setup_huge, op_unmap_split, 1);
}

MMT_FOR_ALL_FORMATS(nomem, decommit_split) {
    every(fmt, "decommit splitting a huge leaf", setup_huge, op_decommit_split, 1);
}
