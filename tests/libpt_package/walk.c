/*
 * An example of libpt used from another project (built by tests/libpt_package/run.sh against
 * an installed copy): for each paging format, build a user address space on the host (table
 * frames from aligned_alloc, physical = virtual), map a run of 4 KiB pages and one 2 MiB
 * leaf, walk the tree with pt_iterate, check pt_query, unmap everything and check that only
 * the root is left. Prints what it saw; exits 1 at the first surprise.
 */
#include <stdio.h>
#include <stdlib.h>

#include <pt/pt.h>
#include <pt/version.h>

#define PAGES_VA  0x400000ull   /* 4 pages of 4 KiB */
#define HUGE_VA   0x40000000ull /* one 2 MiB leaf */
#define FRAMES_PA 0x80000000ull /* frame numbers only: nothing reads them */

/* Table frames from the C heap; their address is their "physical" address. */
static bool alloc_table(void *ctx, pt_paddr_t *pa) {
    (void)ctx;
    void *p = aligned_alloc(PT_PAGE_SIZE, PT_PAGE_SIZE);
    *pa = (pt_paddr_t)(uintptr_t)p;
    return p != NULL;
}

/* Takes a table frame back. */
static void free_table(void *ctx, pt_paddr_t pa) {
    (void)ctx;
    free((void *)(uintptr_t)pa);
}

/* pt_iterate: one line per table and leaf; counts leaves in *ctx. */
static bool show(void *ctx, const pt_mapping_t *m) {
    unsigned *leaves = ctx;
    printf("    %s level %u va 0x%llx -> 0x%llx (2^%u bytes)\n", m->is_table ? "table" : "leaf ",
           m->level, (unsigned long long)m->va, (unsigned long long)m->pa, m->shift);
    *leaves += !m->is_table;
    return true;
}

/* Fails the run with why. */
static int fail(const char *fmt, const char *what, pt_err_t e) {
    printf("pt_walk: FAILED %s %s: %s\n", fmt, what, pt_strerror(e));
    return 1;
}

/* The walk for one format; 0 when everything was as expected. */
static int walk(const pt_format_t *f) {
    pt_hooks_t hooks = {.alloc_table = alloc_table, .free_table = free_table};
    pt_space_t s;
    pt_result_t r;
    pt_attr_t rw = {PT_R | PT_W | PT_U, PT_MEM_NORMAL};
    pt_frames_t small = {.list = NULL, .base = FRAMES_PA};
    pt_frames_t big = {.list = NULL, .base = FRAMES_PA + 0x200000};
    pt_err_t e = pt_space_init(&s, f, &hooks, PT_SPACE_USER);
    if (e == PT_OK) {
        e = pt_map(&s, PAGES_VA, 4 * PT_PAGE_SIZE, &small, rw, 0, &r);
    }
    if (e == PT_OK) {
        e = pt_map(&s, HUGE_VA, 0x200000, &big, rw, PT_MAP_HUGE, &r);
    }
    if (e != PT_OK) {
        return fail(f->name, "map", e);
    }
    printf("  %s: %u levels, %u-bit addresses, %llu table frames after two maps\n", f->name,
           f->levels, f->va_bits, (unsigned long long)s.tables);
    unsigned leaves = 0;
    pt_iterate(&s, 0, 1ull << (f->va_bits - 1), show, &leaves);
    pt_mapping_t m;
    e = pt_query(&s, HUGE_VA + 0x1234, &m);
    if (e != PT_OK || m.pa != FRAMES_PA + 0x200000 + 0x1234 || m.shift != 21 || leaves != 5) {
        printf("pt_walk: FAILED %s: query pa 0x%llx shift %u, %u leaves (want 5)\n", f->name,
               (unsigned long long)m.pa, m.shift, leaves);
        return 1;
    }
    e = pt_unmap(&s, PAGES_VA, 4 * PT_PAGE_SIZE, 0, &r);
    pt_release_tables(&s, &r.deferred);
    if (e == PT_OK) {
        e = pt_unmap(&s, HUGE_VA, 0x200000, 0, &r);
        pt_release_tables(&s, &r.deferred);
    }
    if (e != PT_OK || s.tables != 1) {
        printf("pt_walk: FAILED %s: unmap %s, %llu tables left (want the root alone)\n", f->name,
               pt_strerror(e), (unsigned long long)s.tables);
        return 1;
    }
    printf("  %s: query 0x%llx -> 0x%llx in a 2 MiB leaf; unmapped: the root alone is left\n",
           f->name, (unsigned long long)(HUGE_VA + 0x1234), (unsigned long long)m.pa);
    pt_destroy(&s);
    return 0;
}

/* Every format libpt knows, by id, until pt_format_by_id says there are no more. */
int main(void) {
    printf("pt_walk: libpt %s (major %d)\n", PT_VERSION_STRING, PT_VERSION_MAJOR);
    unsigned formats = 0;
    for (uint32_t id = 1; pt_format_by_id(id); id++) {
        if (walk(pt_format_by_id(id))) {
            return 1;
        }
        formats++;
    }
    printf("pt_walk: %u formats built, walked and emptied\n", formats);
    return formats ? 0 : 1;
}
