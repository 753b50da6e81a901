/*
 * All of RAM (issue 12), in a machine with more RAM than the others (the scenario's MEM:
 * 8 GiB on x86_64, 4 GiB on riscv64) and a quota of the whole pool (the runner starts it
 * with MM_SPAWN_RAM):
 *  - mm_ram_big: one eager map of TEST_RAM_MAP bytes (6 GiB / 3 GiB, more than the RAM
 *    below 4 GiB on x86_64) with MM_F_HUGE, every 2 MiB written and read back, unmapped;
 *    the pool's count is back where it started.
 *  - mm_ram_exhaust: lazy maps of 256 MiB until mmserver says no, then eager ones of 16 MiB
 *    and of one page until it says no again: each refusal a typed MM_ERR_NOMEM or
 *    MM_ERR_QUOTA, everything mapped before it still there; all unmapped, the pool and the
 *    charge are back at the start.
 * Each step prints `test mm_ram_NAME: OK|FAILED reason` and what it measured.
 */
#include <ipc/mm_client.h>

#include "test.h"

#define MIB      (1ull << 20)
#define GIB      (1ull << 30)
#define CHUNK    (256 * MIB)
#define MAX_MAPS 4096u

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};
static int failed;

/* Prints the verdict of step name: why == NULL is OK. */
static void verdict(const char *name, const char *why, uint64_t err) {
    if (!why) {
        ipc_printf("test mm_ram_%s: OK\n", name);
        return;
    }
    failed++;
    ipc_printf("test mm_ram_%s: FAILED %s (error %llu)\n", name, why, (unsigned long long)err);
}

/* Writes one word in every 2 MiB of [va, va + len) (its own address, mixed with seed), then
 * reads them all back; NULL when every one holds. */
static const char *touch_every_2mib(uint64_t va, uint64_t len, uint64_t seed) {
    for (uint64_t off = 0; off < len; off += 2 * MIB) {
        uint64_t at = va + off + ((off >> 21) % 512) * 8; /* a different word in each */
        *(volatile uint64_t *)(uintptr_t)at = at ^ seed;
    }
    for (uint64_t off = 0; off < len; off += 2 * MIB) {
        uint64_t at = va + off + ((off >> 21) % 512) * 8;
        if (*(volatile uint64_t *)(uintptr_t)at != (at ^ seed)) {
            return "a word did not read back";
        }
    }
    return NULL;
}

/* The pool's count (MM_STATS), or ~0 when stats are refused. */
static uint64_t pool_now(void) {
    mm_stats_result_t st;
    return mm_stats(&conn, &st) == MM_OK ? st.pool : ~0ull;
}

/* One map of TEST_RAM_MAP bytes with huge leaves, touched, unmapped. */
static void step_big(void) {
    uint64_t before = pool_now();
    mm_map_result_t r;
    mm_err_t e =
        mm_map(&conn, 0, TEST_RAM_MAP, MM_PERM_R | MM_PERM_W, MM_F_ANYWHERE | MM_F_HUGE, &r);
    const char *why = e != MM_OK ? "the map was refused" : NULL;
    if (!why && r.pages != TEST_RAM_MAP / MM_PAGE_SIZE) {
        why = "not every page backed";
    }
    if (!why && r.huge * 10 < r.pages * 9) {
        why = "less than 90 % of it in huge leaves";
    }
    if (!why) {
        ipc_printf("  mm_ram_big: %llu MiB at 0x%llx, %llu of %llu pages in huge leaves%s; pool "
                   "%llu -> %llu frames\n",
                   (unsigned long long)(TEST_RAM_MAP / MIB), (unsigned long long)r.va,
                   (unsigned long long)r.huge, (unsigned long long)r.pages,
                   r.done & MM_DONE_HUGE_FALLBACK ? " (some 2 MiB fell back to 4 KiB)" : "",
                   (unsigned long long)before, (unsigned long long)pool_now());
        why = touch_every_2mib(r.va, TEST_RAM_MAP, 0x5a5a);
        mm_err_t u = mm_unmap(&conn, r.va, TEST_RAM_MAP, NULL);
        why = why ? why : u != MM_OK ? "the unmap was refused" : NULL;
        e = u;
    }
    uint64_t after = pool_now();
    if (!why && after != before) {
        ipc_printf("  mm_ram_big: pool %llu frames before, %llu after\n",
                   (unsigned long long)before, (unsigned long long)after);
        why = "the pool did not come back";
    }
    verdict("big", why, e);
}

/* Maps len-byte chunks (flags) until mmserver refuses; records each in va[] (*n of them).
 * Returns the refusal, MM_OK if MAX_MAPS chunks all went through. */
static mm_err_t fill(uint64_t len, uint32_t flags, uint64_t *va, unsigned *n) {
    while (*n < MAX_MAPS) {
        mm_map_result_t r;
        mm_err_t e = mm_map(&conn, 0, len, MM_PERM_R | MM_PERM_W, MM_F_ANYWHERE | flags, &r);
        if (e != MM_OK) {
            return e;
        }
        va[(*n)++] = r.va;
    }
    return MM_OK;
}

/* Lazy chunks (promises, cheap) until NOMEM / QUOTA, then eager chunks of 16 MiB and of one
 * page until refused again (the frames run out while they are taken: the map gives them
 * back); every eager chunk readable; everything unmapped, the pool and the charge back. */
static void step_exhaust(void) {
    static uint64_t va[MAX_MAPS];
    static uint64_t len[MAX_MAPS];
    unsigned n = 0, counts[3];
    mm_stats_result_t start, st;
    mm_err_t refusal[3];
    static const uint64_t size[3] = {CHUNK, 16 * MIB, MM_PAGE_SIZE};
    static const uint32_t flags[3] = {MM_F_LAZY, MM_F_HUGE, 0};
    mm_err_t e = mm_stats(&conn, &start);
    const char *why = e != MM_OK ? "stats refused" : NULL;
    for (unsigned k = 0; k < 3 && !why; k++) {
        unsigned before = n;
        refusal[k] = fill(size[k], flags[k], va, &n);
        counts[k] = n - before;
        for (unsigned i = before; i < n; i++) {
            len[i] = size[k];
        }
        if (refusal[k] != MM_ERR_NOMEM && refusal[k] != MM_ERR_QUOTA) {
            why = "a refusal that is neither NOMEM nor QUOTA (or none)";
        }
    }
    mm_err_t s = mm_stats(&conn, &st);
    if (!why) {
        ipc_printf("  mm_ram_exhaust: %u lazy chunks of %llu MiB then %s; %u eager of 16 MiB then "
                   "%s; %u eager pages then %s; pool %llu frames available (of %llu), charge %llu "
                   "of quota %llu\n",
                   counts[0], (unsigned long long)(CHUNK / MIB),
                   refusal[0] == MM_ERR_QUOTA ? "QUOTA" : "NOMEM", counts[1],
                   refusal[1] == MM_ERR_QUOTA ? "QUOTA" : "NOMEM", counts[2],
                   refusal[2] == MM_ERR_QUOTA ? "QUOTA" : "NOMEM", (unsigned long long)st.pool,
                   (unsigned long long)start.pool, (unsigned long long)st.charge,
                   (unsigned long long)st.quota);
    }
    if (!why && (s != MM_OK || counts[0] == 0)) {
        why = "no lazy chunk at all";
    }
    for (unsigned i = 0; i < n && !why; i++) {
        if (!(flags[0] & MM_F_LAZY) || len[i] != CHUNK) {
            why = touch_every_2mib(va[i], len[i], i); /* still there after the refusals */
        }
    }
    for (unsigned i = 0; i < n; i++) {
        mm_err_t u = mm_unmap(&conn, va[i], len[i], NULL);
        why = why ? why : u != MM_OK ? "an unmap was refused" : NULL;
    }
    s = mm_stats(&conn, &st);
    if (!why && (s != MM_OK || st.pool != start.pool || st.charge != start.charge)) {
        why = "the pool or the charge did not come back";
    }
    verdict("exhaust", why, e);
}

/* Runs the steps; exits with the number that failed. */
int main(void) {
    step_big();
    step_exhaust();
    return failed;
}
