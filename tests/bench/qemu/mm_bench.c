/*
 * The memory benchmark under the real kernel, booted through mmserver (the mm_bench image):
 * what a process pays to get memory from the memory server, and to start and end a process.
 * It is the image's root program (ipc/mm.h), the one that may ask MM_SPAWN and MM_CHILD: it
 * starts spawn_child, the archive's next member, and stops the machine itself at the end
 * (status 0 when every request succeeded). Every figure is timed in this
 * one thread with the user-readable counter (ipc_cycles) around the client call, so it
 * covers the whole request: IPC to mmserver, its checks, libpt, the flush, the reply.
 *   map_1, map_512           mm_map of eager (zeroed) pages, request to reply
 *   unmap_1, unmap_512       mm_unmap of them, request to reply
 *   map_touch_unmap_1/_512   map, a write to every page, unmap (Linux's mmap+touch+munmap)
 *   protect_1, protect_512   mm_protect alternating r-- and rw- on mapped pages
 *   fault_first_touch        one write to an untouched page of a lazy range: the fault
 *                            message to mmserver, its zeroed frame, the reply, the resume
 *   spawn_exit               MM_SPAWN of spawn_child (an empty main) until MM_CHILD tells
 *                            its exit: loading it, its whole life and teardown, and the
 *                            polls (MM_CHILD, then a yield while it still runs)
 *   map_1_at_N, unmap_1_at_N, protect_1_at_N, fault_at_N
 *                            growth (issue 12): map_1, unmap_1, protect_1 and
 *                            fault_first_touch again with N = 10, 1,000 and 10,000 (or
 *                            -DMMK_BENCH_GROWTH_MAX: tools/regions-stress.sh) other
 *                            regions in the space (one-page lazy regions with alternating
 *                            permissions, so none merges), measured last
 * Warm-up rounds are dropped; the distribution of the rest is printed (bench_stats.h).
 */
#include <ipc/mm_client.h>

#include "bench_stats.h"
#include "mm_bench_growth.h" /* MM_BENCH_GROWTH_MAX: tests/bench/CMakeLists.txt */

#define VA         0x10000000ull /* the mapped and unmapped range */
#define FAULT_VA   0x40000000ull /* the lazy range touched page by page */
#define BIG        512u
#define WARM_SMALL 50u
#define N_SMALL    1000u
#define WARM_BIG   5u
#define N_BIG      100u
#define RW         (MM_PERM_R | MM_PERM_W)
#define WARM_SPAWN 5u
#define N_SPAWN    100u
#define CHILD      0u             /* spawn_child: the first member after this root program */
#define FILL_VA    0x200000000ull /* the growth benchmark's other regions, 8 GiB up */
#define GROWTH     3u
#define N_GROWTH   200u

static mm_ipc_t ipc = {MM_SLOT_SERVER, (ipc_buffer_t *)(uintptr_t)MM_IPC_BUFFER_VA};
static mm_conn_t conn = {mm_ipc_call, &ipc, 0, 0};
static uint64_t maps[N_SMALL], unmaps[N_SMALL], whole[N_SMALL], protects[N_SMALL], faults[N_SMALL],
    spawns[N_SPAWN];

/* Stops the machine with status 1 (this is the root program: nobody else would). */
static void fail(void) {
    ipc_halt(MM_SLOT_HALT, 1);
    ipc_exit(1); /* only if the halt capability was refused */
}

/* Stops the benchmark when a request that must succeed does not. */
static void must(mm_err_t e, const char *what) {
    if (e != MM_OK) {
        ipc_printf("mm_bench: %s failed: mm error %u\n", what, (unsigned)e);
        fail();
    }
}

/* Writes one word into each of pages pages from va. */
static void touch(uint64_t va, unsigned pages) {
    for (unsigned p = 0; p < pages; p++) {
        *(volatile uint64_t *)(uintptr_t)(va + (uint64_t)p * MM_PAGE_SIZE) = p;
    }
}

/* Times map (counter reads 1-2 of a round), touch and unmap (reads 3-4) of pages pages, and
 * the three together (reads 1-4): warm rounds dropped, n kept; keys: the three figures'
 * names, for the profile marks (bench_stats.h). */
static void time_map(unsigned pages, unsigned warm, unsigned n, const char *keys) {
    uint64_t len = (uint64_t)pages * MM_PAGE_SIZE;
    for (unsigned i = 0; i < warm + n; i++) {
        mm_map_result_t mr;
        mm_release_result_t rr;
        if (i == warm) {
            bench_profile_begin(keys);
        }
        uint64_t t0 = ipc_cycles();
        must(mm_map(&conn, VA, len, RW, 0, &mr), "map");
        uint64_t t1 = ipc_cycles();
        touch(VA, pages);
        uint64_t t2 = ipc_cycles();
        must(mm_unmap(&conn, VA, len, &rr), "unmap");
        uint64_t t3 = ipc_cycles();
        if (i >= warm) {
            maps[i - warm] = t1 - t0;
            unmaps[i - warm] = t3 - t2;
            whole[i - warm] = t3 - t0;
        }
        if (i == warm) {
            bench_profile_end(keys);
        }
    }
}

/* Times protect of pages mapped pages, alternating r-- and rw- (reads 1-2 of a round). */
static void time_protect(unsigned pages, unsigned warm, unsigned n, const char *key) {
    uint64_t len = (uint64_t)pages * MM_PAGE_SIZE;
    mm_map_result_t mr;
    mm_release_result_t rr;
    must(mm_map(&conn, VA, len, RW, 0, &mr), "map for protect");
    for (unsigned i = 0; i < warm + n; i++) {
        mm_protect_result_t pr;
        if (i == warm) {
            bench_profile_begin(key);
        }
        uint64_t t0 = ipc_cycles();
        must(mm_protect(&conn, VA, len, (i & 1) ? RW : MM_PERM_R, &pr), "protect");
        uint64_t t1 = ipc_cycles();
        if (i >= warm) {
            protects[i - warm] = t1 - t0;
        }
        if (i == warm) {
            bench_profile_end(key);
        }
    }
    must(mm_unmap(&conn, VA, len, &rr), "unmap after protect");
}

/* Times first touches of the pages of a lazy range, one fault each (reads 1-2). */
static void time_faults(void) {
    mm_map_result_t mr;
    mm_release_result_t rr;
    uint64_t len = (uint64_t)(WARM_SMALL + N_SMALL) * MM_PAGE_SIZE;
    must(mm_map(&conn, FAULT_VA, len, RW, MM_F_LAZY, &mr), "lazy map");
    for (unsigned i = 0; i < WARM_SMALL + N_SMALL; i++) {
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(FAULT_VA + i * MM_PAGE_SIZE);
        if (i == WARM_SMALL) {
            bench_profile_begin("fault_first_touch");
        }
        uint64_t t0 = ipc_cycles();
        *p = i;
        uint64_t t1 = ipc_cycles();
        if (i >= WARM_SMALL) {
            faults[i - WARM_SMALL] = t1 - t0;
        }
        if (i == WARM_SMALL) {
            bench_profile_end("fault_first_touch");
        }
    }
    must(mm_unmap(&conn, FAULT_VA, len, &rr), "unmap of the lazy range");
}

/* Times starting spawn_child until its exit is known (reads 1-2). */
static void time_spawn(void) {
    for (unsigned i = 0; i < WARM_SPAWN + N_SPAWN; i++) {
        mm_spawn_result_t who;
        mm_child_result_t how;
        if (i == WARM_SPAWN) {
            bench_profile_begin("spawn_exit");
        }
        uint64_t t0 = ipc_cycles();
        must(mm_spawn(&conn, CHILD, 0, IPC_SLOT_NONE, &who), "spawn");
        must(mm_child(&conn, who.client, &how), "child");
        while (how.state == MM_CHILD_RUNNING) {
            ipc_yield();
            must(mm_child(&conn, who.client, &how), "child");
        }
        uint64_t t1 = ipc_cycles();
        if (how.state != MM_CHILD_EXITED || how.status != 0) {
            ipc_printf("mm_bench: spawn_child ended in state %u status %llu\n", how.state,
                       (unsigned long long)how.status);
            fail();
        }
        if (i >= WARM_SPAWN) {
            spawns[i - WARM_SPAWN] = t1 - t0;
        }
        if (i == WARM_SPAWN) {
            bench_profile_end("spawn_exit");
        }
    }
}

/* The growth steps: regions in the space besides the measured ones, and the keys. */
static const unsigned growth_regions[GROWTH] = {10, 1000, MM_BENCH_GROWTH_MAX};
static const char *const growth_keys[GROWTH][4] = {
    {"map_1_at_10", "unmap_1_at_10", "protect_1_at_10", "fault_at_10"},
    {"map_1_at_1000", "unmap_1_at_1000", "protect_1_at_1000", "fault_at_1000"},
    {"map_1_at_" MM_BENCH_GROWTH_KEY, "unmap_1_at_" MM_BENCH_GROWTH_KEY,
     "protect_1_at_" MM_BENCH_GROWTH_KEY, "fault_at_" MM_BENCH_GROWTH_KEY},
};

/* Grows the other regions to n one-page lazy regions side by side, alternating r-- and rw-
 * (so none merges with its neighbour); returns n. */
static unsigned fill_to(unsigned filled, unsigned n) {
    for (; filled < n; filled++) {
        mm_map_result_t mr;
        must(mm_map(&conn, FILL_VA + (uint64_t)filled * MM_PAGE_SIZE, MM_PAGE_SIZE,
                    filled % 2 ? RW : MM_PERM_R, MM_F_LAZY, &mr),
             "filler map");
    }
    return n;
}

/* map_1, unmap_1, protect_1 and a first touch with 10, 1,000 and 10,000 other regions. */
static void time_growth(void) {
    unsigned filled = 0;
    for (unsigned g = 0; g < GROWTH; g++) {
        const char *const *k = growth_keys[g];
        filled = fill_to(filled, growth_regions[g]);
        time_map(1, WARM_SMALL, N_GROWTH, k[0]);
        bench_report(k[0], maps, N_GROWTH, 1, 2);
        bench_report(k[1], unmaps, N_GROWTH, 3, 4);
        time_protect(1, WARM_SMALL, N_GROWTH, k[2]);
        bench_report(k[2], protects, N_GROWTH, 1, 2);
        time_faults();
        bench_report(k[3], faults, N_SMALL, 1, 2);
    }
    mm_release_result_t rr;
    must(mm_unmap(&conn, FILL_VA, (uint64_t)filled * MM_PAGE_SIZE, &rr), "filler unmap");
}

/* Runs every measurement and prints its figures. */
int main(void) {
    time_map(1, WARM_SMALL, N_SMALL, "map_1 unmap_1 map_touch_unmap_1");
    bench_report("map_1", maps, N_SMALL, 1, 2);
    bench_report("unmap_1", unmaps, N_SMALL, 3, 4);
    bench_report("map_touch_unmap_1", whole, N_SMALL, 1, 4);
    time_map(BIG, WARM_BIG, N_BIG, "map_512 unmap_512 map_touch_unmap_512");
    bench_report("map_512", maps, N_BIG, 1, 2);
    bench_report("unmap_512", unmaps, N_BIG, 3, 4);
    bench_report("map_touch_unmap_512", whole, N_BIG, 1, 4);
    time_protect(1, WARM_SMALL, N_SMALL, "protect_1");
    bench_report("protect_1", protects, N_SMALL, 1, 2);
    time_protect(BIG, WARM_BIG, N_BIG, "protect_512");
    bench_report("protect_512", protects, N_BIG, 1, 2);
    time_faults();
    bench_report("fault_first_touch", faults, N_SMALL, 1, 2);
    time_spawn();
    bench_report("spawn_exit", spawns, N_SPAWN, 1, 2);
    time_growth();
    ipc_printf("mm_bench: done\n");
    ipc_halt(MM_SLOT_HALT, 0);
    return 2; /* only if the halt capability was refused */
}
