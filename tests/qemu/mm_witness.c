/*
 * The witness beside the hostile mm_chaos (the `mm_chaos` image): a well-behaved client that
 * maps memory, fills it with a pattern, accepts one read-only share window from every other
 * live client, and then, until every one of those clients has ended, keeps checking that
 * nothing it owns moved: its pattern, its MM_STATS charge, quota, tables and region count,
 * each region's base, length, permissions and kind, and whatever arrives in a window (only
 * mm_chaos's pattern page, read only). It yields between rounds so the two interleave.
 * Prints `test mm_witness_NAME: OK|FAILED` lines and its request counts; exits 0 only when
 * every check held.
 */
#include "mm_chaos.h"
#include "test.h"

#define EAGER_VA    0x30000000ull /* filled at map time */
#define EAGER_PAGES 16u
#define LAZY_VA     0x31000000ull /* filled by the fault path, one touch per page */
#define LAZY_PAGES  8u
#define RW          (MM_PERM_R | MM_PERM_W)
#define WORDS       (MM_PAGE_SIZE / sizeof(uint64_t))
#define MAX_ROUNDS  200000u /* a bound far past any run, so a lost peer ends in FAILED */

static chaos_conn_t cc;
static mm_stats_result_t start; /* after setting up, before watching */
static uint32_t peers[MM_SHARE_IDS];
static unsigned npeers;
static uint64_t rounds, arrived, failures;

/* The word the witness keeps at address p. */
static uint64_t pattern(const volatile uint64_t *p) {
    return 0x317e55000000000ull ^ (uint64_t)(uintptr_t)p;
}

/* Writes the pattern over pages pages at va. */
static void fill(uint64_t va, unsigned pages) {
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
    for (uint64_t i = 0; i < pages * WORDS; i++) {
        p[i] = pattern(&p[i]);
    }
}

/* True when page `page` of the range at va still holds the pattern. */
static bool page_intact(uint64_t va, unsigned page) {
    const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)(va + page * MM_PAGE_SIZE);
    for (uint64_t i = 0; i < WORDS; i++) {
        if (p[i] != pattern(&p[i])) {
            ipc_printf("  word at %p is %llx\n", (const void *)&p[i], (unsigned long long)p[i]);
            return false;
        }
    }
    return true;
}

/* Maps and fills the data ranges, and accepts a window from every other live client. */
static bool set_up(void) {
    mm_map_result_t m;
    if (mm_map(&cc.conn, EAGER_VA, EAGER_PAGES * MM_PAGE_SIZE, RW, 0, &m) != MM_OK ||
        mm_map(&cc.conn, LAZY_VA, LAZY_PAGES * MM_PAGE_SIZE, RW, MM_F_LAZY, &m) != MM_OK) {
        return false;
    }
    fill(EAGER_VA, EAGER_PAGES);
    fill(LAZY_VA, LAZY_PAGES);
    /* From 2: client 1 is the test runner (mmserver starts the root program first), which
     * outlives everyone it starts; the peers to watch are the others. */
    for (uint32_t k = 2; k < MM_SHARE_IDS; k++) {
        mm_err_t e =
            mm_share_accept(&cc.conn, k, MM_SHARE_WINDOW(k), MM_PAGE_SIZE, CHAOS_WINDOW_MAX, NULL);
        if (e == MM_OK) {
            peers[npeers++] = k;
        } else if (e != MM_ERR_INVAL && e != MM_ERR_NO_CLIENT) {
            ipc_printf("  accept from %u: error %u\n", k, (unsigned)e);
            return false;
        }
    }
    if (npeers == 0) {
        ipc_printf("  no other live client to watch beside\n");
        return false;
    }
    return mm_stats(&cc.conn, &start) == MM_OK;
}

/* True when the region holding va is still [va, va + pages) with perm and kind. */
static bool region_same(uint64_t va, unsigned pages, uint32_t perm, uint32_t kind) {
    mm_query_result_t q;
    if (mm_query(&cc.conn, va, &q) != MM_OK || q.base != va || q.len != pages * MM_PAGE_SIZE ||
        q.kind != kind || (kind != MM_KIND_SHARED && q.perm != perm)) {
        ipc_printf("  region at %llx changed\n", (unsigned long long)va);
        return false;
    }
    return true;
}

/* The windows holding a frame now; false when one holds anything but the pattern page, or
 * more than read access. */
static bool windows_ok(unsigned *filled) {
    *filled = 0;
    for (unsigned i = 0; i < npeers; i++) {
        uint64_t va = MM_SHARE_WINDOW(peers[i]);
        mm_query_result_t q;
        if (!region_same(va, 1, 0, MM_KIND_SHARED) || mm_query(&cc.conn, va, &q) != MM_OK) {
            return false;
        }
        if (!q.frame) {
            continue;
        }
        (*filled)++;
        const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)va;
        for (uint64_t w = 0; w < WORDS; w++) {
            if (p[w] != CHAOS_SHARE_WORD(w)) {
                ipc_printf("  window of %u: word %llu is %llx\n", peers[i], (unsigned long long)w,
                           (unsigned long long)p[w]);
                return false;
            }
        }
        if (q.perm & ~(uint32_t)CHAOS_WINDOW_MAX) {
            ipc_printf("  window of %u: permissions %u\n", peers[i], q.perm);
            return false;
        }
    }
    return true;
}

/* True when charge, quota, tables and regions are as after set-up, and neither the pages
 * backed by a frame nor the windows filled went down since the last round (nothing of the
 * witness's may be taken away; its stack and a share may add pages). */
static bool account_same(void) {
    static uint64_t last_backed;
    unsigned filled;
    mm_stats_result_t s;
    if (!windows_ok(&filled) || mm_stats(&cc.conn, &s) != MM_OK) {
        return false;
    }
    bool ok = s.charge == start.charge && s.quota == start.quota && s.tables == start.tables &&
              s.regions == start.regions && s.backed >= start.backed && s.backed >= last_backed &&
              filled >= arrived;
    if (!ok) {
        ipc_printf("  stats now/start: charge %llu/%llu quota %llu/%llu tables %llu/%llu "
                   "regions %llu/%llu backed %llu/%llu (last %llu); windows filled %u (was %llu)\n",
                   (unsigned long long)s.charge, (unsigned long long)start.charge,
                   (unsigned long long)s.quota, (unsigned long long)start.quota,
                   (unsigned long long)s.tables, (unsigned long long)start.tables,
                   (unsigned long long)s.regions, (unsigned long long)start.regions,
                   (unsigned long long)s.backed, (unsigned long long)start.backed,
                   (unsigned long long)last_backed, filled, (unsigned long long)arrived);
    }
    last_backed = s.backed;
    arrived = filled;
    return ok;
}

/* True while some peer the witness accepted a window from is still a live client. */
static bool peers_alive(void) {
    for (unsigned i = 0; i < npeers; i++) {
        mm_err_t e = chaos_probe(&cc, peers[i]);
        if (e == MM_ERR_ALIGN) {
            return true;
        }
        if (e != MM_ERR_NO_CLIENT) {
            ipc_printf("  probe of %u: error %u\n", peers[i], (unsigned)e);
            failures++;
        }
    }
    return false;
}

/* One round of checks: one data page (in turn), both data regions, the account and the
 * windows. False at the first difference. */
static bool round_ok(void) {
    unsigned page = (unsigned)(rounds % (EAGER_PAGES + LAZY_PAGES));
    bool data =
        page < EAGER_PAGES ? page_intact(EAGER_VA, page) : page_intact(LAZY_VA, page - EAGER_PAGES);
    return data && region_same(EAGER_VA, EAGER_PAGES, RW, MM_KIND_ANON) &&
           region_same(LAZY_VA, LAZY_PAGES, RW, MM_KIND_LAZY) && account_same();
}

/* Prints one verdict line and counts a failure. */
static void say(const char *name, bool ok) {
    failures += !ok;
    ipc_printf("test mm_witness_%s: %s\n", name, ok ? "OK" : "FAILED");
}

/* Sets up, watches until every peer has ended, checks everything once more, reports. */
int main(void) {
    chaos_conn_init(&cc);
    bool up = set_up();
    say("set_up", up);
    if (!up) {
        return 1;
    }
    bool watched = true;
    while (watched && peers_alive() && rounds < MAX_ROUNDS) {
        watched = round_ok();
        rounds++;
        ipc_yield();
    }
    say("watch", watched && rounds < MAX_ROUNDS);
    bool all = true;
    for (unsigned p = 0; p < EAGER_PAGES; p++) {
        all = all && page_intact(EAGER_VA, p);
    }
    for (unsigned p = 0; p < LAZY_PAGES; p++) {
        all = all && page_intact(LAZY_VA, p);
    }
    say("data_intact", all);
    say("account_same", account_same());
    ipc_printf("[witness] %llu rounds beside %u peer(s), %llu window(s) filled; %llu requests:",
               (unsigned long long)rounds, npeers, (unsigned long long)arrived,
               (unsigned long long)chaos_conn_total(&cc));
    chaos_conn_print(&cc, "");
    ipc_printf("[witness] syscalls: %llu mm calls, %llu yields\n",
               (unsigned long long)chaos_conn_total(&cc), (unsigned long long)rounds);
    return failures ? 1 : 0;
}
