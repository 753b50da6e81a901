/*
 * The kernel's machine-facing files on the host (kernel_mm_tests): kernel/vm.c, mm_priv.c,
 * ipc_fast.c, ipc_sys.c (the slow path's register glue), syscall.c and printf.c compiled
 * unchanged against the fake machine of fake_arch/arch/machine.h and the recording arch
 * layer of ktm_arch.c.
 *
 * - The arch layer records every root init, load and release, every TLB flush (which root,
 *   which range) and every instruction-cache sync, in order, in ktm_log.
 * - Frames are host heap blocks (physical address == host address); the frame allocator
 *   and the threads are small fakes. A broken IPC invariant or any kernel panic stops the
 *   "machine" (arch_halt), which fails the test, unless the test waits for a stop
 *   (ktm_catch_halt: IPC_SYS_HALT).
 * - kern_switch_to (the fast path's exit) jumps back to the test (ktm_run), which learns
 *   which thread would have run.
 * - A pool for mmserver and its own page tables over it, built with libpt as mmserver
 *   would: the spaces the kernel attaches and walks for user copies.
 */
#pragma once

#include <criterion/criterion.h>
#include <setjmp.h>

#include "kern.h"

/* Slot i of cs, or an empty capability when no leaf holds it (reading only). */
static inline kern_cap_t *kt_slot(kern_cspace_t *cs, uint64_t i) {
    static kern_cap_t none;
    kern_cap_t *c = kern_cap_at(cs, i);
    none = (kern_cap_t){0};
    return c ? c : &none;
}

/* ---- the recording arch layer ---- */

typedef enum ktm_event_kind {
    KTM_ROOT_INIT,
    KTM_ROOT_LOAD,
    KTM_ROOT_RELEASE,
    KTM_TLB_FLUSH,
    KTM_ICACHE_SYNC,
} ktm_event_kind_t;

/* One arch call: the root it named (pa, asid) and, for a flush, what it asked. */
typedef struct ktm_event {
    ktm_event_kind_t kind;
    uint64_t pa;
    uint16_t asid;
    pt_flush_t flush;
} ktm_event_t;

#define KTM_LOG_MAX 256u

typedef struct ktm_log {
    ktm_event_t ev[KTM_LOG_MAX];
    unsigned n;
} ktm_log_t;

extern ktm_log_t ktm_log;

/* How many events of kind the log holds from index from on. */
unsigned ktm_count(ktm_event_kind_t kind, unsigned from);
/* The last event of kind (fails the test when there is none). */
const ktm_event_t *ktm_last(ktm_event_kind_t kind);

/* Every libpt format, for Criterion's parameterized tests (one process per format). */
#define KTM_FORMATS 4u
extern const pt_format_t *const ktm_formats[KTM_FORMATS];

/* ---- kernel set-up ---- */

/* Frames [0, KTM_DATA_FRAMES) of the pool are the tests' (ktm_pool_frame); mmserver's
 * tables take the next KTM_DATA_FRAMES. */
#define KTM_DATA_FRAMES 16u

/* Runs the kernel's own kern_vm_init on fmt (empty image sections, no RAM to map) so
 * that spaces can be created and attached, and sets mmserver's pool to frames (more than
 * 2 * KTM_DATA_FRAMES) frames of host memory, 2 MiB-aligned. Returns the pool's base. */
uint64_t ktm_boot(const pt_format_t *fmt, uint64_t frames);

/* The thread the next syscall comes from (kern_current). */
extern kern_thread_t *ktm_current;

/* A live thread of space s at priority prio, READY: queued, or (not queued) the one that
 * runs, as the current thread is. */
void ktm_thread(kern_thread_t *t, kern_space_t *s, uint8_t prio, bool queued);

/* Runs stmt, which may leave through kern_switch_to: then *to is the thread it switched
 * to, else NULL. */
extern jmp_buf ktm_switch_jump;
extern bool ktm_switch_armed;
extern kern_thread_t *ktm_switched;
#define ktm_run(stmt, to)                                                                          \
    do {                                                                                           \
        ktm_switched = NULL;                                                                       \
        ktm_switch_armed = true;                                                                   \
        if (setjmp(ktm_switch_jump) == 0) {                                                        \
            stmt;                                                                                  \
        }                                                                                          \
        ktm_switch_armed = false;                                                                  \
        (to) = ktm_switched;                                                                       \
    } while (0)

/* Runs stmt, which may stop the machine (arch_halt, as IPC_SYS_HALT does): then halted is
 * true and status is the status it stopped with, else halted is false. A stop outside
 * this (a panic) still fails the test. */
extern jmp_buf ktm_halt_jump;
extern bool ktm_halt_armed;
extern int ktm_halt_status;
#define ktm_catch_halt(stmt, halted, status)                                                       \
    do {                                                                                           \
        (halted) = false;                                                                          \
        ktm_halt_armed = true;                                                                     \
        if (setjmp(ktm_halt_jump) == 0) {                                                          \
            stmt;                                                                                  \
        } else {                                                                                   \
            (halted) = true;                                                                       \
            (status) = ktm_halt_status;                                                            \
        }                                                                                          \
        ktm_halt_armed = false;                                                                    \
    } while (0)

/* ---- mmserver's side ---- */

#define KTM_MEM 4u /* mmserver's slot of the memory capability */

/* mmserver as the kernel starts it: its space and its thread (highest priority, running),
 * with the memory capability in KTM_MEM. */
typedef struct ktm_mms {
    kern_space_t space;
    kern_thread_t t;
} ktm_mms_t;

/* Boots the kernel with an x86_64 space format and a pool of frames frames (ktm_boot),
 * and makes mmserver in *m. */
void ktm_mms_init(ktm_mms_t *m, uint64_t frames);

/* A page-table tree of mmserver's, built with libpt over table frames of the pool (or,
 * while outside is set, over frames from elsewhere). */
typedef struct ktm_tree {
    pt_space_t pt;
    bool outside; /* new tables come from outside the pool */
} ktm_tree_t;

/* Starts an empty tree whose root is a pool frame. */
void ktm_tree_init(ktm_tree_t *t);
/* Maps [va, va + len) to the frames from pa on with perm (PT_* bits), with huge leaves
 * where the alignment allows. */
void ktm_tree_map(ktm_tree_t *t, uint64_t va, uint64_t pa, uint64_t len, uint8_t perm);
/* Frame i of the pool's memory: one of the tests' own (i < KTM_DATA_FRAMES), or one
 * above the tables, which may lie past the pool's end (the memory goes on to the next
 * 2 MiB boundary and 2 MiB more). */
uint64_t ktm_pool_frame(uint64_t i);
/* A zeroed 4 KiB frame of host memory outside the pool. */
uint64_t ktm_outside_frame(void);

/* Makes the privileged call nr with words a0..a5 as thread t; returns its error. */
ipc_err_t ktm_mm_call(kern_thread_t *t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                      uint64_t a3, uint64_t a4, uint64_t a5);
