/*
 * The memory demo: one process asks mmserver for memory over IPC and narrates each step
 * (the pattern of tests/qemu/mm_requests.c): an eager map, written and read back; a lazy
 * map, whose first touch is a fault mmserver fills on demand; protect to read-only, which
 * query then reports; two bad requests refused with their typed errors. The mappings are
 * left in place, so mmserver's map of this space at its end shows them all.
 */
#include "demo_mm.h"

#define VA_EAGER 0x10000000ull
#define VA_LAZY  0x20000000ull
#define PAGES    4u
#define LEN      (PAGES * MM_PAGE_SIZE)

static int failed;

/* Prints a failed step and counts it. */
static void fail(const char *what, mm_err_t e) {
    ipc_printf("memory: FAILED %s (%s)\n", what, demo_err(e));
    failed++;
}

/* Eager map of PAGES pages, then a word written to each and read back. */
static void eager(void) {
    mm_map_result_t r;
    mm_err_t e = mm_map(&demo_conn, VA_EAGER, LEN, MM_PERM_R | MM_PERM_W, 0, &r);
    if (e != MM_OK) {
        fail("eager map", e);
        return;
    }
    ipc_printf("memory: mm_map(%p, %u pages, rw-, eager) -> OK, %llu pages backed now\n",
               (void *)(uintptr_t)r.va, PAGES, (unsigned long long)r.pages);
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)VA_EAGER;
    for (unsigned i = 0; i < PAGES; i++) {
        p[i * MM_PAGE_SIZE / 8] = 0xd00d0000ull + i;
    }
    unsigned good = 0;
    for (unsigned i = 0; i < PAGES; i++) {
        good += p[i * MM_PAGE_SIZE / 8] == 0xd00d0000ull + i;
    }
    ipc_printf("memory: wrote one word per page, read back %u of %u\n", good, PAGES);
    if (good != PAGES) {
        fail("read back", MM_OK);
    }
}

/* Lazy map: nothing backed until the first touch, a fault mmserver fills on demand. */
static void lazy(void) {
    mm_map_result_t r;
    mm_query_result_t q;
    mm_err_t e = mm_map(&demo_conn, VA_LAZY, LEN, MM_PERM_R | MM_PERM_W, MM_F_LAZY, &r);
    if (e != MM_OK) {
        fail("lazy map", e);
        return;
    }
    e = mm_query(&demo_conn, VA_LAZY, &q);
    ipc_printf("memory: mm_map(%p, %u pages, rw-, lazy) -> OK, %llu pages backed; query: %s\n",
               (void *)(uintptr_t)r.va, PAGES, (unsigned long long)r.pages,
               e == MM_OK && q.frame ? "a frame" : "no frame yet");
    ipc_printf("memory: touching %p: the page fault goes to mmserver, which fills it\n",
               (void *)(uintptr_t)VA_LAZY);
    *(volatile uint64_t *)(uintptr_t)VA_LAZY = 42;
    e = mm_query(&demo_conn, VA_LAZY, &q);
    if (e != MM_OK || !q.frame) {
        fail("no frame after the touch", e);
        return;
    }
    ipc_printf("memory: filled on demand: %p now has a frame (a %llu KiB leaf; where in RAM "
               "is told to drivers only) and reads %llu\n",
               (void *)(uintptr_t)VA_LAZY, (unsigned long long)(1ull << q.shift) / 1024,
               (unsigned long long)*(volatile uint64_t *)(uintptr_t)VA_LAZY);
}

/* Protect the eager range to read-only; query reports it, the data stays. */
static void protect(void) {
    mm_protect_result_t r;
    mm_query_result_t q;
    char a[4], b[4];
    mm_err_t e = mm_protect(&demo_conn, VA_EAGER, LEN, MM_PERM_R, &r);
    if (e != MM_OK) {
        fail("protect", e);
        return;
    }
    e = mm_query(&demo_conn, VA_EAGER + MM_PAGE_SIZE, &q);
    if (e != MM_OK || q.perm != MM_PERM_R) {
        fail("query after protect", e);
        return;
    }
    ipc_printf("memory: mm_protect(%p, %u pages, r--) -> OK; mm_query says %s (max %s), first "
               "word still %p\n",
               (void *)(uintptr_t)VA_EAGER, PAGES, demo_perm(q.perm, a), demo_perm(q.maxperm, b),
               (void *)(uintptr_t) * (volatile uint64_t *)(uintptr_t)VA_EAGER);
}

/* Decommit the lazy range: its frame goes back to the pool, the range stays reserved, and
 * the next touch reads a fresh zeroed page. */
static void decommit(void) {
    mm_release_result_t r;
    mm_err_t e = mm_decommit(&demo_conn, VA_LAZY, LEN, &r);
    if (e != MM_OK) {
        fail("decommit", e);
        return;
    }
    uint64_t again = *(volatile uint64_t *)(uintptr_t)VA_LAZY;
    ipc_printf("memory: mm_decommit(%p, %u pages) -> OK, %llu pages lost their frame; touched "
               "again it reads %llu (a fresh zeroed page)\n",
               (void *)(uintptr_t)VA_LAZY, PAGES, (unsigned long long)r.pages,
               (unsigned long long)again);
    if (again != 0) {
        fail("decommitted page not zero", MM_OK);
    }
}

/* Unmap the lazy range: reservation and charge go back; mmserver's map shows it gone. */
static void unmap(void) {
    mm_release_result_t r;
    mm_err_t e = mm_unmap(&demo_conn, VA_LAZY, LEN, &r);
    if (e != MM_OK) {
        fail("unmap", e);
        return;
    }
    mm_query_result_t q;
    e = mm_query(&demo_conn, VA_LAZY, &q);
    ipc_printf("memory: mm_unmap(%p, %u pages) -> OK, %llu frames back in the pool; mm_query "
               "there now: %s\n",
               (void *)(uintptr_t)VA_LAZY, PAGES, (unsigned long long)r.freed, demo_err(e));
    if (e != MM_ERR_NOT_MAPPED) {
        fail("query after unmap", e);
    }
}

/* Bad requests: refused with their typed errors, nothing changed. */
static void bad(void) {
    mm_err_t e = mm_map(&demo_conn, 0x30000000ull, LEN, MM_PERM_R | MM_PERM_W | MM_PERM_X, 0, NULL);
    ipc_printf("memory: mm_map(0x30000000, rwx) -> refused: %s (write and execute together)\n",
               demo_err(e));
    if (e != MM_ERR_WX) {
        fail("W+X not refused as WX", e);
    }
    e = mm_map(&demo_conn, 0x30000123ull, LEN, MM_PERM_R, 0, NULL);
    ipc_printf("memory: mm_map(0x30000123, r--) -> refused: %s (not page-aligned)\n", demo_err(e));
    if (e != MM_ERR_ALIGN) {
        fail("unaligned map not refused as ALIGN", e);
    }
}

/* The steps in order, yielding between them so the other programs run alongside. */
int main(void) {
    eager();
    ipc_yield();
    lazy();
    ipc_yield();
    protect();
    ipc_yield();
    decommit();
    ipc_yield();
    unmap();
    ipc_yield();
    bad();
    ipc_printf("memory: done (%d failed), mappings left for mmserver's map\n", failed);
    return failed;
}
