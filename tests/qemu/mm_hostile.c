/*
 * A hostile mmserver: booted in mmserver's place (the `mm_hostile` image packs this
 * program under the name mmserver), it holds the memory capability and throws bad words at
 * every privileged call. Each must come back as its typed error with nothing changed; the
 * valid calls in between must work; the kernel must survive all of it. Prints
 * `test mm_hostile_NAME: OK|FAILED` per group and exits with the number of failures.
 */
#include <ipc/ipc.h>
#include <ipc/ipc_user.h>
#include <ipc/mmboot.h>
#include <ipc/mmpriv.h>

#include "test.h"

#define THREAD_SLOT 10u
#define CODE_VA     0x400000ull

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

/* Roots: ids, alignment, the pool's edges, a used id or root. */
static void roots(void) {
    int before = failures;
    const mmboot_range_t *last = &boot->pool[boot->pool_count - 1];
    uint64_t end = last->pa + last->frames * 4096;
    uint64_t root = pool_frame(0);
    expect("space 0", priv(MMPRIV_SYS_ROOT_REGISTER, 0, root, 0, 0, 0), IPC_ERR_INVALID_ARGUMENT);
    expect("space 16", priv(MMPRIV_SYS_ROOT_REGISTER, 16, root, 0, 0, 0), IPC_ERR_INVALID_ARGUMENT);
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
    expect("slot past the table", priv(MMPRIV_SYS_THREAD_CREATE, 1, 99, CODE_VA, 0, 0),
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

/* More threads over time than the kernel has thread records (KERN_MAX_THREADS, 32): each
 * destroyed thread's record is reused, and the old capability stays stale. */
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

/* Runs the groups in order (each builds on the one before). */
int main(void) {
    if (boot->magic != MMBOOT_MAGIC || boot->size != sizeof(mmboot_t)) {
        ipc_printf("test mm_hostile: FAILED no boot-info block\n");
        return 1; /* the kernel then finds nothing to run and stops with status 1 */
    }
    roots();
    flushes();
    creates();
    threads();
    reuse();
    /* In mmserver's place this program holds the halt capability: the verdict is its own. */
    ipc_printf("%u passed, %u failed\n", groups_run - groups_failed, groups_failed);
    ipc_halt(boot->slot_halt, failures ? 1 : 0);
    return failures;
}
