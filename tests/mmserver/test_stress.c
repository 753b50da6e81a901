/*
 * A seeded random run of requests and faults across several clients, with the invariants
 * (accounts, refcounts, pool totals, at most one flush per request, nothing pending)
 * checked after every step, and every frame back in the pool at the end.
 * MMT_SEED and MMT_STEPS in the environment change the seed and the length.
 */
#include "mmt.h"

#include <stdio.h>
#include <stdlib.h>

#define CLIENTS 4u
#define WINDOW  0x10000000ull /* every range falls in [WINDOW, WINDOW + SPAN) */
#define SPAN    (8 * MIB)

/* A random range of 1..32 pages (sometimes 2 MiB-aligned and 2 MiB long) in the window. */
static void random_range(uint64_t *rng, uint64_t *va, uint64_t *len) {
    if (mmt_below(rng, 8) == 0) {
        *va = WINDOW + mmt_below(rng, SPAN / (2 * MIB)) * 2 * MIB;
        *len = 2 * MIB;
        return;
    }
    *len = (1 + mmt_below(rng, 32)) * PG;
    *va = WINDOW + mmt_below(rng, SPAN / PG - 32) * PG;
}

/* Most of the time, moves the range inside one of client c's regions (random ranges
 * alone would mostly hit holes). */
static void pick_inside(mmt_env_t *e, uint64_t *rng, uint32_t c, uint64_t *va, uint64_t *len) {
    const mm_client_t *cl = &e->srv->client[c];
    if (cl->nregions == 0 || mmt_below(rng, 5) == 0) {
        return;
    }
    const mm_region_t *r = mmt_region_nth(cl, mmt_below(rng, cl->nregions));
    uint64_t pages = r->len / PG, first = mmt_below(rng, pages);
    *va = r->base + first * PG;
    *len = (1 + mmt_below(rng, pages - first)) * PG;
}

/* A random permission set, W+X and inexpressible ones included. */
static uint64_t random_perm(uint64_t *rng) {
    static const uint64_t perms[] = {MM_PERM_R, MM_PERM_R | MM_PERM_W, MM_PERM_R | MM_PERM_X,
                                     MM_PERM_R, MM_PERM_R | MM_PERM_W, MM_PERM_ALL,
                                     0};
    return perms[mmt_below(rng, 7)];
}

/* Creates client id again if a fault killed it (the pool may be too full for its root). */
static void revive(mmt_env_t *e, uint32_t id) {
    if (!e->srv->client[id].active) {
        mm_err_t err = mm_client_create(e->srv, id, 200 + 400 * id, id == 0);
        cr_assert(err == MM_OK || err == MM_ERR_NOMEM, "revive: %s", mm_strerror(err));
    }
}

/* A window of client to accepted from client from (its base and length), if any. */
static bool find_window(mmt_env_t *e, uint32_t to, uint32_t from, uint64_t *dst, uint64_t *len) {
    const mm_client_t *t = &e->srv->client[to];
    for (const mm_region_t *r = mm_region_first(t); r; r = mm_region_next(r)) {
        if (r->kind == MM_KIND_SHARED && r->peer == from) {
            *dst = r->base;
            *len = *len < r->len ? *len : r->len;
            return true;
        }
    }
    return false;
}

/* A random eager region of client c as a share's source (its base, len clipped to it). */
static void find_source(mmt_env_t *e, uint64_t *rng, uint32_t c, uint64_t *va, uint64_t *len) {
    const mm_client_t *s = &e->srv->client[c];
    uint64_t start = s->nregions ? mmt_below(rng, s->nregions) : 0;
    for (uint64_t k = 0; k < s->nregions; k++) {
        const mm_region_t *r = mmt_region_nth(s, (start + k) % s->nregions);
        if (r->kind == MM_KIND_ANON) {
            *va = r->base;
            *len = *len < r->len ? *len : r->len;
            return;
        }
    }
}

/* One random step for client c; returns which of the ten kinds it was, and in *err how it
 * ended (a fault: MM_OK when it resumed). */
static unsigned step(mmt_env_t *e, uint64_t *rng, uint32_t c, mm_err_t *err) {
    uint64_t va, len, dst, other = (c + 1 + mmt_below(rng, CLIENTS - 1)) % CLIENTS;
    random_range(rng, &va, &len);
    uint64_t flags = mmt_below(rng, 16) & (MM_F_LAZY | MM_F_OVERWRITE | MM_F_HUGE);
    flags &= (flags & MM_F_LAZY) ? ~(uint64_t)MM_F_HUGE : ~0ull;
    mm_kill_reason_t why;
    unsigned kind = (unsigned)mmt_below(rng, 10);
    if (kind >= 2 && kind <= 5) {
        pick_inside(e, rng, c, &va, &len);
    }
    switch (kind) {
        case 0:
        case 1:
            *err = mmt_map(e, c, va, len, random_perm(rng), flags);
            break;
        case 2:
            *err = mmt_unmap(e, c, va, len);
            break;
        case 3:
            *err = mmt_protect(e, c, va, len, random_perm(rng));
            break;
        case 4:
            *err = mmt_decommit(e, c, va, len);
            break;
        case 5:
            *err = mm_fault(e->srv, c, va + mmt_below(rng, len), 1u << mmt_below(rng, 3), &why) ==
                           MM_FAULT_RESUME
                       ? MM_OK
                       : MM_ERR_DENIED;
            if (getenv("MMT_TRACE")) {
                fprintf(stderr, "fault c%u -> %s\n", c, mm_strerror(*err));
            }
            mmt_check(e);
            break;
        case 6:
            *err = mmt_accept(e, c, other, va, len, random_perm(rng));
            break;
        case 7:
            dst = WINDOW + mmt_below(rng, SPAN / PG - 32) * PG;
            find_source(e, rng, c, &va, &len);
            find_window(e, (uint32_t)other, c, &dst, &len);
            *err = mmt_share(e, c, va, len, other, dst, random_perm(rng) & MM_PERM_R);
            break;
        case 8:
            *err = mmt_req(e, c, MM_QUERY, va, 0, 0, 0, 0, 0);
            break;
        default:
            *err = mmt_req(e, c, MM_MAP_DEVICE, va, len, MMT_DEVICE_PA, mmt_below(rng, 3),
                           random_perm(rng), flags & ~(uint64_t)MM_F_LAZY);
            break;
    }
    return kind;
}

MMT_FOR_ALL_FORMATS(stress, random) {
    const char *s = getenv("MMT_SEED"), *n = getenv("MMT_STEPS");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 0x6d6d7365727665ull;
    uint64_t steps = n ? strtoull(n, NULL, 0) : 5000, rng = seed;
    uint64_t ok[10] = {0}, errs[MM_ERR_COUNT_] = {0};
    mmt_env_t env, *e = &env;
    mmt_init(e, fmt, 1024);
    for (uint64_t i = 0; i < steps; i++) {
        uint32_t c = (uint32_t)mmt_below(&rng, CLIENTS);
        for (uint32_t id = 0; id < CLIENTS; id++) {
            revive(e, id);
        }
        mm_err_t err = MM_OK;
        unsigned kind = step(e, &rng, c, &err);
        ok[kind] += err == MM_OK;
        errs[err]++;
    }
    for (uint32_t id = 0; id < CLIENTS; id++) {
        mm_err_t want = e->srv->client[id].active ? MM_OK : MM_ERR_NO_CLIENT;
        cr_assert_eq(mm_client_destroy(e->srv, id), want);
    }
    for (unsigned k = 0; k < 10; k++) {
        cr_assert(ok[k] > 0, "%s: step kind %u never succeeded", fmt->name, k);
    }
    cr_assert(errs[MM_ERR_QUOTA] && errs[MM_ERR_EXISTS] && errs[MM_ERR_NOT_MAPPED],
              "%s: the run reached quota, overlaps and holes", fmt->name);
    cr_assert_eq(mm_pool_available(&e->srv->pool), e->start_available,
                 "%s: every frame back after teardown", fmt->name);
    mmt_said("%s: %llu random steps (seed %#llx) over %u clients, invariants after each, "
             "every frame back at the end; ok map %llu unmap %llu protect %llu decommit %llu "
             "fault %llu accept %llu share %llu device %llu; quota %llu nomem %llu",
             fmt->name, (unsigned long long)steps, (unsigned long long)seed, CLIENTS,
             (unsigned long long)(ok[0] + ok[1]), (unsigned long long)ok[2],
             (unsigned long long)ok[3], (unsigned long long)ok[4], (unsigned long long)ok[5],
             (unsigned long long)ok[6], (unsigned long long)ok[7], (unsigned long long)ok[9],
             (unsigned long long)errs[MM_ERR_QUOTA], (unsigned long long)errs[MM_ERR_NOMEM]);
    mmt_fini(e);
}
