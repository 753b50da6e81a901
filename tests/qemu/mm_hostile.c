/*
 * A hostile mmserver: booted in mmserver's place (the `mm_hostile` image packs this
 * program under the name mmserver), it holds the memory capability and throws bad words at
 * every privileged call. Each must come back as its typed error with nothing changed; the
 * valid calls in between must work; the kernel must survive all of it. Prints
 * `test mm_hostile_NAME: OK|FAILED` per group and exits with the number of failures.
 */
#include <stdbool.h>

#include <ipc/ipc.h>
#include <ipc/ipc_user.h>
#include <ipc/mmboot.h>
#include <ipc/mmpriv.h>

#include "test.h"

#define THREAD_SLOT   10u
#define CODE_VA       0x400000ull
#define KMEM_FIRST    64u /* the pool frames given to the kernel for its objects */
#define KMEM_FRAMES   16u
#define SCALE_SPACES  4096u  /* processes alive at once (issue 12): more than x86's PCIDs */
#define SCALE_THREADS 16384u /* threads alive at once */
#define SCALE_SLOTS   300u   /* where the scale groups keep thread capabilities */
#define SCALE_KEEP    7000u  /* thread capabilities kept (the table ends at 8,064) */

static const mmboot_t *boot = (const mmboot_t *)(uintptr_t)MMBOOT_VA;
static int failures;
static unsigned groups_run, groups_failed; /* verdict() lines printed, and how many FAILED */

/* Privileged call nr with the memory capability and up to five words; its error. */
static ipc_err_t priv(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5) {
    return (ipc_err_t)ipc_syscall(nr, boot->slot_memory, a1, a2, a3, a4, a5).err;
}

/* Checks that got == want for the step what, counting a failure. */
static void expect(const char *what, ipc_err_t got, ipc_err_t want) {
    TEST_CHECK(&failures, got == want, "%s: %s, not %s", what, ipc_strerror(got),
               ipc_strerror(want));
}

/* Prints group's verdict from the failures counted since before. */
static void verdict(const char *group, int before) {
    ipc_printf(failures == before ? "test mm_hostile_%s: OK\n" : "test mm_hostile_%s: FAILED\n",
               group);
    groups_failed += failures != before;
    groups_run++;
}

/* Frame i of the pool's first range: its physical address, and zeroed through the window
 * (which shows the range at pool_va + (pa - pool_pa)). */
static uint64_t pool_frame(uint64_t i) {
    uint64_t pa = boot->pool[0].pa + i * 4096;
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(boot->pool_va + (pa - boot->pool_pa));
    for (unsigned k = 0; k < 512; k++) {
        p[k] = 0;
    }
    return pa;
}

/* Kernel memory: a space needs donated frames; a donation is page-aligned frames of the
 * pool only; a take hands back only a frame that was given. */
static void kmem(void) {
    int before = failures;
    uint64_t end = boot->pool[0].pa + boot->pool[0].frames * 4096; /* the first range's */
    uint64_t first = pool_frame(KMEM_FIRST);
    expect("register with nothing donated",
           priv(MMPRIV_SYS_ROOT_REGISTER, 1, pool_frame(0), 0, 0, 0), IPC_ERR_NO_MEMORY);
    expect("take with nothing donated", priv(MMPRIV_SYS_KMEM_TAKE, 0, 0, 0, 0, 0),
           IPC_ERR_NO_MEMORY);
    expect("give unaligned", priv(MMPRIV_SYS_KMEM_GIVE, first + 8, 1, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("give no frame", priv(MMPRIV_SYS_KMEM_GIVE, first, 0, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("give below the pool", priv(MMPRIV_SYS_KMEM_GIVE, boot->pool[0].pa - 4096, 1, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("give past the pool", priv(MMPRIV_SYS_KMEM_GIVE, end - 4096, 2, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("give a wrapping run", priv(MMPRIV_SYS_KMEM_GIVE, first, ~0ull / 4096, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("give kernel frame 0", priv(MMPRIV_SYS_KMEM_GIVE, 0, 1, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("give", priv(MMPRIV_SYS_KMEM_GIVE, first, 1, 0, 0, 0), IPC_OK);
    ipc_ret_t r = ipc_syscall(MMPRIV_SYS_KMEM_TAKE, boot->slot_memory, 0, 0, 0, 0, 0);
    expect("take it back", (ipc_err_t)r.err, IPC_OK);
    TEST_CHECK(&failures, r.value == first, "took back 0x%llx, gave 0x%llx",
               (unsigned long long)r.value, (unsigned long long)first);
    expect("give the run", priv(MMPRIV_SYS_KMEM_GIVE, first, KMEM_FRAMES, 0, 0, 0), IPC_OK);
    expect("a limit below a space record",
           priv(MMPRIV_SYS_ROOT_REGISTER, 1, pool_frame(0), 64, 0, 0), IPC_ERR_NO_MEMORY);
    verdict("kmem", before);
}

/* Hands back every donated frame; they must be the KMEM_FRAMES given, once each. */
static void kmem_back(void) {
    int before = failures;
    uint64_t seen = 0, first = boot->pool[0].pa + KMEM_FIRST * 4096ull;
    ipc_ret_t r;
    unsigned n = 0;
    while ((r = ipc_syscall(MMPRIV_SYS_KMEM_TAKE, boot->slot_memory, 0, 0, 0, 0, 0)).err ==
           IPC_OK) {
        uint64_t i = (r.value - first) / 4096;
        TEST_CHECK(&failures, r.value >= first && i < KMEM_FRAMES && !(seen & (1ull << i)),
                   "took back 0x%llx", (unsigned long long)r.value);
        seen |= 1ull << (i % 64);
        n++;
    }
    expect("nothing more", (ipc_err_t)r.err, IPC_ERR_NO_MEMORY);
    TEST_CHECK(&failures, n == KMEM_FRAMES, "%u of %u donated frames came back", n, KMEM_FRAMES);
    verdict("kmem_back", before);
}

/* Roots: ids, alignment, the pool's edges, a used id or root. */
static void roots(void) {
    int before = failures;
    const mmboot_range_t *last = &boot->pool[boot->pool_count - 1];
    uint64_t end = last->pa + last->frames * 4096;
    uint64_t root = pool_frame(0);
    expect("space 0", priv(MMPRIV_SYS_ROOT_REGISTER, 0, root, 0, 0, 0), IPC_ERR_INVALID_ARGUMENT);
    expect("space past the ids", priv(MMPRIV_SYS_ROOT_REGISTER, MMPRIV_SPACE_IDS, root, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("a large space id", priv(MMPRIV_SYS_ROOT_REGISTER, 4000, pool_frame(2), 0, 0, 0),
           IPC_OK);
    expect("and let it go", priv(MMPRIV_SYS_ROOT_UNREGISTER, 4000, 0, 0, 0, 0), IPC_OK);
    expect("unaligned", priv(MMPRIV_SYS_ROOT_REGISTER, 1, root + 8, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("below the pool", priv(MMPRIV_SYS_ROOT_REGISTER, 1, boot->pool[0].pa - 4096, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    if (boot->pool_count > 1 && boot->pool[0].pa + boot->pool[0].frames * 4096 < boot->pool[1].pa) {
        uint64_t hole = boot->pool[0].pa + boot->pool[0].frames * 4096;
        expect("between two ranges", priv(MMPRIV_SYS_ROOT_REGISTER, 1, hole, 0, 0, 0),
               IPC_ERR_INVALID_ARGUMENT);
    }
    expect("past the pool", priv(MMPRIV_SYS_ROOT_REGISTER, 1, end, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("kernel frame 0", priv(MMPRIV_SYS_ROOT_REGISTER, 1, 0, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("register", priv(MMPRIV_SYS_ROOT_REGISTER, 1, root, 0, 0, 0), IPC_OK);
    expect("id in use", priv(MMPRIV_SYS_ROOT_REGISTER, 1, pool_frame(1), 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("root in use", priv(MMPRIV_SYS_ROOT_REGISTER, 2, root, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    verdict("roots", before);
}

/* Flushes: only registered spaces, only the user half, known flags. */
static void flushes(void) {
    int before = failures;
    uint64_t top = boot->user_top;
    expect("flush", priv(MMPRIV_SYS_FLUSH, 1, 0x10000, 0x10fff, 1, 0), IPC_OK);
    expect("flush all", priv(MMPRIV_SYS_FLUSH, 1, 0, 0, 0, MMPRIV_FLUSH_ALL | MMPRIV_FLUSH_TABLES),
           IPC_OK);
    expect("kernel half", priv(MMPRIV_SYS_FLUSH, 1, 0x10000, top, 1, 0), IPC_ERR_INVALID_ARGUMENT);
    expect("start after last", priv(MMPRIV_SYS_FLUSH, 1, 0x20000, 0x10000, 1, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("unknown flag", priv(MMPRIV_SYS_FLUSH, 1, 0, 0, 1, 4), IPC_ERR_INVALID_ARGUMENT);
    expect("no such space", priv(MMPRIV_SYS_FLUSH, 3, 0x10000, 0x10fff, 1, 0),
           IPC_ERR_INVALID_ARGUMENT);
    verdict("flushes", before);
}

/* Thread creation: slots, pc and IPC buffer in the user half, a registered space. */
static void creates(void) {
    int before = failures;
    uint64_t top = boot->user_top;
    expect("slot past the table",
           priv(MMPRIV_SYS_THREAD_CREATE, 1, IPC_CAP_SLOTS_MAX, CODE_VA, 0, 0),
           IPC_ERR_INVALID_CAP);
    expect("full slot", priv(MMPRIV_SYS_THREAD_CREATE, 1, boot->slot_endpoint, CODE_VA, 0, 0),
           IPC_ERR_SLOT_FULL);
    expect("kernel pc", priv(MMPRIV_SYS_THREAD_CREATE, 1, THREAD_SLOT, TEST_KERNEL_ADDRESS, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("pc at the top", priv(MMPRIV_SYS_THREAD_CREATE, 1, THREAD_SLOT, top, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("unaligned buffer", priv(MMPRIV_SYS_THREAD_CREATE, 1, THREAD_SLOT, CODE_VA, 0, 0x100008),
           IPC_ERR_INVALID_ARGUMENT);
    expect("no root", priv(MMPRIV_SYS_THREAD_CREATE, 5, THREAD_SLOT, CODE_VA, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("create", priv(MMPRIV_SYS_THREAD_CREATE, 1, THREAD_SLOT, CODE_VA, 0, 0x100000), IPC_OK);
    verdict("creates", before);
}

/* Gives, starts, destroys: the memory capability never moves, only client threads obey. */
static void threads(void) {
    int before = failures;
    expect("give the memory capability",
           priv(MMPRIV_SYS_THREAD_GIVE, THREAD_SLOT, boot->slot_memory, 0, IPC_RIGHTS_ALL, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("copy the memory capability",
           ipc_cap_copy(boot->slot_memory, boot->slot_free, IPC_RIGHTS_ALL, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("unknown rights",
           priv(MMPRIV_SYS_THREAD_GIVE, THREAD_SLOT, boot->slot_endpoint, 0, IPC_RIGHTS_ALL + 1, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("give", priv(MMPRIV_SYS_THREAD_GIVE, THREAD_SLOT, boot->slot_endpoint, 0, 1, 7), IPC_OK);
    expect("give again", priv(MMPRIV_SYS_THREAD_GIVE, THREAD_SLOT, boot->slot_endpoint, 0, 1, 7),
           IPC_ERR_SLOT_FULL);
    expect("start too high", priv(MMPRIV_SYS_THREAD_START, THREAD_SLOT, IPC_PRIO_COUNT, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("start itself", priv(MMPRIV_SYS_THREAD_START, boot->slot_self, 1, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("destroy itself", priv(MMPRIV_SYS_THREAD_DESTROY, boot->slot_self, 0, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("unregister while bound", priv(MMPRIV_SYS_ROOT_UNREGISTER, 1, 0, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("destroy", priv(MMPRIV_SYS_THREAD_DESTROY, THREAD_SLOT, 0, 0, 0, 0), IPC_OK);
    expect("destroy again", priv(MMPRIV_SYS_THREAD_DESTROY, THREAD_SLOT, 0, 0, 0, 0),
           IPC_ERR_INVALID_CAP);
    expect("unregister", priv(MMPRIV_SYS_ROOT_UNREGISTER, 1, 0, 0, 0, 0), IPC_OK);
    expect("unregister again", priv(MMPRIV_SYS_ROOT_UNREGISTER, 1, 0, 0, 0, 0),
           IPC_ERR_INVALID_ARGUMENT);
    expect("register the id again", priv(MMPRIV_SYS_ROOT_REGISTER, 1, pool_frame(0), 0, 0, 0),
           IPC_OK);
    expect("and let it go", priv(MMPRIV_SYS_ROOT_UNREGISTER, 1, 0, 0, 0, 0), IPC_OK);
    verdict("threads", before);
}

/* Many threads over time: each destroyed thread's record is freed once its last capability
 * goes, its room reused, and the old capability stays stale meanwhile. */
static void reuse(void) {
    int before = failures;
    expect("register", priv(MMPRIV_SYS_ROOT_REGISTER, 1, pool_frame(0), 0, 0, 0), IPC_OK);
    for (unsigned i = 0; i < 100 && failures == before; i++) {
        expect("create", priv(MMPRIV_SYS_THREAD_CREATE, 1, THREAD_SLOT, CODE_VA, 0, 0), IPC_OK);
        expect("copy", ipc_cap_copy(THREAD_SLOT, THREAD_SLOT + 1, IPC_RIGHTS_ALL, 0), IPC_OK);
        expect("destroy", priv(MMPRIV_SYS_THREAD_DESTROY, THREAD_SLOT, 0, 0, 0, 0), IPC_OK);
        expect("stale copy", priv(MMPRIV_SYS_THREAD_START, THREAD_SLOT + 1, 1, 0, 0, 0),
               IPC_ERR_INVALID_CAP);
        expect("delete copy", ipc_cap_delete(THREAD_SLOT + 1), IPC_OK);
    }
    expect("unregister", priv(MMPRIV_SYS_ROOT_UNREGISTER, 1, 0, 0, 0, 0), IPC_OK);
    verdict("reuse", before);
}

/* Gives n pool frames from frame first to the kernel; false (a failure counted) if refused. */
static bool donate(uint64_t first, uint64_t n) {
    ipc_err_t e = priv(MMPRIV_SYS_KMEM_GIVE, pool_frame(first), n, 0, 0, 0);
    expect("donate", e, IPC_OK);
    return e == IPC_OK;
}

/* Takes back every free donated frame; returns how many came back. */
static uint64_t take_all(void) {
    uint64_t n = 0;
    while (ipc_syscall(MMPRIV_SYS_KMEM_TAKE, boot->slot_memory, 0, 0, 0, 0, 0).err == IPC_OK) {
        n++;
    }
    return n;
}

/* 4,096 processes at once: a space and a thread each (issue 12), then all gone, and every
 * donated frame back. */
static void scale_spaces(void) {
    int before = failures;
    const uint64_t n = SCALE_SPACES, roots = 1000, kmem = 12000, kmem_frames = 3000;
    if (boot->pool[0].frames < kmem + kmem_frames || !donate(kmem, kmem_frames)) {
        TEST_CHECK(&failures, false, "a first pool range of %llu frames is too small",
                   (unsigned long long)boot->pool[0].frames);
        verdict("scale_spaces", before);
        return;
    }
    uint64_t made = 0;
    for (uint64_t id = 1; id <= n && failures == before; id++, made++) {
        expect("register", priv(MMPRIV_SYS_ROOT_REGISTER, id, pool_frame(roots + id), 0, 0, 0),
               IPC_OK);
        expect("create", priv(MMPRIV_SYS_THREAD_CREATE, id, SCALE_SLOTS + id, CODE_VA, 0, 0),
               IPC_OK);
    }
    ipc_printf("  mm_hostile: %llu spaces with a thread each alive at once\n",
               (unsigned long long)made);
    for (uint64_t id = 1; id <= made; id++) {
        expect("destroy", priv(MMPRIV_SYS_THREAD_DESTROY, SCALE_SLOTS + id, 0, 0, 0, 0), IPC_OK);
        expect("unregister", priv(MMPRIV_SYS_ROOT_UNREGISTER, id, 0, 0, 0, 0), IPC_OK);
    }
    uint64_t back = take_all();
    TEST_CHECK(&failures, back == kmem_frames, "%llu of %llu donated frames came back",
               (unsigned long long)back, (unsigned long long)kmem_frames);
    verdict("scale_spaces", before);
}

/* 16,384 threads at once in one space (issue 12). mmserver's table holds a capability to
 * the first SCALE_KEEP only: the others are dropped at once (unreachable, they stay
 * suspended until the machine stops, so this group comes last). The kept ones are destroyed
 * again and their records' room reused. */
static void scale_threads(void) {
    int before = failures;
    const uint64_t n = SCALE_THREADS, kmem = 12000, kmem_frames = 5000;
    if (boot->pool[0].frames < kmem + kmem_frames || !donate(kmem, kmem_frames)) {
        TEST_CHECK(&failures, false, "a pool too small");
        verdict("scale_threads", before);
        return;
    }
    expect("register", priv(MMPRIV_SYS_ROOT_REGISTER, 1, pool_frame(0), kmem_frames * 4096, 0, 0),
           IPC_OK);
    uint64_t made = 0;
    for (uint64_t i = 0; i < n && failures == before; i++, made++) {
        uint64_t slot = SCALE_SLOTS + (i < SCALE_KEEP ? i : SCALE_KEEP);
        expect("create", priv(MMPRIV_SYS_THREAD_CREATE, 1, slot, CODE_VA, 0, 0), IPC_OK);
        if (i >= SCALE_KEEP) {
            expect("drop the capability", ipc_cap_delete(slot), IPC_OK);
        }
    }
    ipc_printf("  mm_hostile: %llu threads alive at once in one space\n", (unsigned long long)made);
    for (uint64_t i = 0; i < SCALE_KEEP && i < made; i++) {
        expect("destroy", priv(MMPRIV_SYS_THREAD_DESTROY, SCALE_SLOTS + i, 0, 0, 0, 0), IPC_OK);
    }
    expect("create in a freed record's room",
           priv(MMPRIV_SYS_THREAD_CREATE, 1, SCALE_SLOTS, CODE_VA, 0, 0), IPC_OK);
    verdict("scale_threads", before);
}

/* Runs the groups in order (each builds on the one before). */
int main(void) {
    if (boot->magic != MMBOOT_MAGIC || boot->size != sizeof(mmboot_t)) {
        ipc_printf("test mm_hostile: FAILED no boot-info block\n");
        return 1; /* the kernel then finds nothing to run and stops with status 1 */
    }
    kmem();
    roots();
    flushes();
    creates();
    threads();
    reuse();
    kmem_back();
    scale_spaces();
    scale_threads(); /* last: leaves threads behind */
    /* In mmserver's place this program holds the halt capability: the verdict is its own. */
    ipc_printf("%u passed, %u failed\n", groups_run - groups_failed, groups_failed);
    ipc_halt(boot->slot_halt, failures ? 1 : 0);
    return failures;
}
