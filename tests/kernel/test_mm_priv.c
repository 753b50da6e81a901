/*
 * Issue 14: mmserver's privileged calls (kernel/mm_priv.c, with vm.c under them) against
 * the recording arch layer. A flush must reach arch_tlb_flush once, for the root of the
 * space it names and the range it names; an unregister must load the kernel's root and then
 * release the space's root (its TLB entries dropped) before the record and its id are
 * reused; refused calls must reach the arch layer not at all.
 */
#include <ipc/mmpriv.h>

#include "ktm.h"

#define MEM    KTM_MEM
#define TSLOT  6u  /* where thread_create puts the new thread's capability */
#define FRAMES 64u /* the pool */

/* Registers a new empty tree as client id space; returns its root. */
static uint64_t mms_register(ktm_mms_t *m, ktm_tree_t *tree, uint64_t space) {
    ktm_tree_init(tree);
    unsigned mark = ktm_log.n;
    cr_assert_eq(ktm_mm_call(&m->t, MMPRIV_SYS_ROOT_REGISTER, MEM, space, tree->pt.root, 0, 0, 0),
                 IPC_OK, "register client %llu", (unsigned long long)space);
    cr_assert_eq(ktm_count(KTM_ROOT_INIT, mark), 1, "the kernel made one root");
    const ktm_event_t *init = ktm_last(KTM_ROOT_INIT);
    cr_assert_eq(init->pa, tree->pt.root, "the root it made is the one registered");
    cr_assert_neq(init->asid, 0, "0 is the kernel's id");
    return tree->pt.root;
}

/* The id the kernel gave the root at pa (its last ROOT_INIT). */
static uint16_t asid_of(uint64_t pa) {
    for (unsigned i = ktm_log.n; i-- > 0;) {
        if (ktm_log.ev[i].kind == KTM_ROOT_INIT && ktm_log.ev[i].pa == pa) {
            return ktm_log.ev[i].asid;
        }
    }
    cr_assert_fail("root %#llx was never made", (unsigned long long)pa);
    return 0;
}

/* Asserts the one TLB flush since mark named root pa with exactly want, and that the
 * instruction side was synced after it. */
static void expect_flush(unsigned mark, uint64_t pa, const pt_flush_t *want, const char *what) {
    cr_assert_eq(ktm_count(KTM_TLB_FLUSH, mark), 1, "%s: %u flushes", what,
                 ktm_count(KTM_TLB_FLUSH, mark));
    const ktm_event_t *f = ktm_last(KTM_TLB_FLUSH);
    cr_assert(f->pa == pa && f->asid == asid_of(pa),
              "%s: flushed root %#llx id %u, not %#llx id %u", what, (unsigned long long)f->pa,
              f->asid, (unsigned long long)pa, asid_of(pa));
    cr_assert(f->flush.start == want->start && f->flush.last == want->last &&
                  f->flush.leaves == want->leaves && f->flush.all == want->all &&
                  f->flush.tables == want->tables,
              "%s: flushed [%#llx, %#llx] %llu leaves all %d tables %d", what,
              (unsigned long long)f->flush.start, (unsigned long long)f->flush.last,
              (unsigned long long)f->flush.leaves, f->flush.all, f->flush.tables);
    cr_assert(ktm_last(KTM_ICACHE_SYNC) > f, "%s: no instruction sync after the flush", what);
}

/* Asserts nothing reached the arch layer since mark. */
static void expect_no_arch_call(unsigned mark, const char *what) {
    cr_assert_eq(ktm_log.n, mark, "%s: %u arch calls for a refused call", what, ktm_log.n - mark);
}

Test(mm_priv, flush_reaches_that_space_and_range) {
    ktm_mms_t m;
    ktm_mms_init(&m, FRAMES);
    ktm_tree_t t1, t2, t3;
    uint64_t r1 = mms_register(&m, &t1, 1), r2 = mms_register(&m, &t2, 2);
    uint64_t r3 = mms_register(&m, &t3, 3);
    cr_assert(asid_of(r1) != asid_of(r2) && asid_of(r2) != asid_of(r3) &&
                  asid_of(r1) != asid_of(r3),
              "three spaces, three ids");
    unsigned mark = ktm_log.n;
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_FLUSH, MEM, 2, 0x10000, 0x12fff, 3, 0), IPC_OK);
    pt_flush_t want = {.start = 0x10000, .last = 0x12fff, .leaves = 3};
    expect_flush(mark, r2, &want, "three pages of client 2");
    mark = ktm_log.n;
    cr_assert_eq(
        ktm_mm_call(&m.t, MMPRIV_SYS_FLUSH, MEM, 3, 0x4000000, 0x43fffff, 40, MMPRIV_FLUSH_TABLES),
        IPC_OK);
    want = (pt_flush_t){.start = 0x4000000, .last = 0x43fffff, .leaves = 40, .tables = true};
    expect_flush(mark, r3, &want, "a range with tables, client 3");
    mark = ktm_log.n;
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_FLUSH, MEM, 1, 0, 0, 1, MMPRIV_FLUSH_ALL), IPC_OK);
    want = (pt_flush_t){.start = 0, .last = ktm_user_top - 1, .leaves = 1, .all = true};
    expect_flush(mark, r1, &want, "all of client 1");
    cr_log_info("flush: one arch_tlb_flush each, of the named space's root and id, with the "
                "named range, leaves, tables and all; instruction sync after");
}

Test(mm_priv, refused_flushes_reach_no_arch_call) {
    ktm_mms_t m;
    ktm_mms_init(&m, FRAMES);
    ktm_tree_t t1;
    mms_register(&m, &t1, 1);
    kern_space_t other = {0};
    kern_thread_t o;
    ktm_thread(&o, &other, 5, false);
    static const struct {
        unsigned who; /* 0: mmserver, 1: a process without the memory capability */
        uint64_t a[ARCH_SYSCALL_ARGS];
        const char *what;
    } cases[] = {
        {0, {MEM, 2, 0x10000, 0x10fff, 1, 0}, "a space never registered"},
        {0, {MEM, 0, 0x10000, 0x10fff, 1, 0}, "space 0"},
        {0, {MEM, MMPRIV_SPACE_IDS, 0x10000, 0x10fff, 1, 0}, "a space id past the table"},
        {0, {MEM, 1, 0x2000, 0x1000, 1, 0}, "start after last"},
        {0, {MEM, 1, 0x1000, ~0ull, 1, 0}, "into the kernel half"},
        {0, {MEM, 1, 0x1000, 0x1fff, 1, 8}, "an unknown flag"},
        {0, {MEM + 1, 1, 0x1000, 0x1fff, 1, 0}, "an empty slot for the capability"},
        {1, {MEM, 1, 0x1000, 0x1fff, 1, 0}, "a caller without the memory capability"},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const uint64_t *a = cases[i].a;
        unsigned mark = ktm_log.n;
        ipc_err_t e = ktm_mm_call(cases[i].who ? &o : &m.t, MMPRIV_SYS_FLUSH, a[0], a[1], a[2],
                                  a[3], a[4], a[5]);
        cr_assert_neq(e, IPC_OK, "%s: accepted", cases[i].what);
        expect_no_arch_call(mark, cases[i].what);
    }
    cr_log_info("flush refused for %zu bad words or callers, none reaching the arch layer",
                sizeof(cases) / sizeof(cases[0]));
}

/* Asserts that since mark the kernel's root was loaded and then root pa (with its id) was
 * released, once, and nothing else was. */
static void expect_released(unsigned mark, uint64_t pa, uint16_t asid) {
    unsigned load = ktm_log.n, release = ktm_log.n, releases = 0;
    for (unsigned i = mark; i < ktm_log.n; i++) {
        const ktm_event_t *ev = &ktm_log.ev[i];
        if (ev->kind == KTM_ROOT_LOAD && ev->pa == kern_kernel_root()->pa && load == ktm_log.n) {
            load = i;
        }
        if (ev->kind == KTM_ROOT_RELEASE) {
            release = i;
            releases++;
            cr_assert(ev->pa == pa && ev->asid == asid,
                      "released root %#llx id %u, not the space's %#llx id %u",
                      (unsigned long long)ev->pa, ev->asid, (unsigned long long)pa, asid);
        }
    }
    cr_assert_eq(releases, 1, "unregister released %u roots: the space's TLB entries stay",
                 releases);
    cr_assert(load < release, "the kernel's root was not loaded before the release");
}

Test(mm_priv, unregister_drops_the_spaces_tlb_entries) {
    ktm_mms_t m;
    ktm_mms_init(&m, FRAMES);
    ktm_tree_t t1, t2, again;
    uint64_t r1 = mms_register(&m, &t1, 1), r2 = mms_register(&m, &t2, 2);
    uint16_t a1 = asid_of(r1);
    unsigned mark = ktm_log.n;
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_ROOT_UNREGISTER, MEM, 1, 0, 0, 0, 0), IPC_OK);
    expect_released(mark, r1, a1);
    cr_assert_eq(ktm_count(KTM_TLB_FLUSH, mark), 0, "no flush of anyone else");
    mark = ktm_log.n;
    cr_assert_neq(ktm_mm_call(&m.t, MMPRIV_SYS_FLUSH, MEM, 1, 0x1000, 0x1fff, 1, 0), IPC_OK,
                  "a flush of the unregistered space");
    expect_no_arch_call(mark, "flush after unregister");
    uint64_t r1b = mms_register(&m, &again, 1);
    cr_assert_neq(r1b, r1);
    mark = ktm_log.n;
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_FLUSH, MEM, 2, 0x1000, 0x1fff, 1, 0), IPC_OK);
    pt_flush_t want = {.start = 0x1000, .last = 0x1fff, .leaves = 1};
    expect_flush(mark, r2, &want, "client 2 after client 1 came and went");
    cr_log_info("unregister: kernel root loaded, then the space's root released with its id "
                "(%u), once; the space is gone for flushes; the id is registered again",
                a1);
}

Test(mm_priv, unregister_waits_for_the_threads) {
    ktm_mms_t m;
    ktm_mms_init(&m, FRAMES);
    ktm_tree_t t1;
    uint64_t r1 = mms_register(&m, &t1, 1);
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_THREAD_CREATE, MEM, 1, TSLOT, 0x10000, 0x20000, 0),
                 IPC_OK, "a thread in client 1");
    unsigned mark = ktm_log.n;
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_ROOT_UNREGISTER, MEM, 1, 0, 0, 0, 0),
                 IPC_ERR_INVALID_ARGUMENT, "unregister with a thread bound");
    expect_no_arch_call(mark, "refused unregister");
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_THREAD_DESTROY, MEM, TSLOT, 0, 0, 0, 0), IPC_OK);
    mark = ktm_log.n;
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_ROOT_UNREGISTER, MEM, 1, 0, 0, 0, 0), IPC_OK);
    expect_released(mark, r1, asid_of(r1));
    cr_log_info("unregister refused while a thread is bound (no arch call), then done with "
                "the release once it is destroyed");
}
