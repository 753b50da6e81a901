/*
 * Generic kernel internals: frames, address spaces, threads, the syscall table, mmserver's
 * privileged calls and its boot. Architecture-neutral: the machine is reached only through
 * <arch/arch.h>.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arch/arch.h>
#include <ipc/abi.h>
#include <ipc/mmpriv.h>
#include <mmlib/string.h>
#include <pt/pt.h>

#include "ipc.h"
#include "tag.h"

#define KERN_NAME_MAX    32u
#define KERN_TIMER_HZ    100u
#define KERN_SLICE_TICKS 2u /* a thread runs at most 20 ms before others */

/* ---- frames (frame.c) ---- */

/* Takes the frames of RAM that bi leaves free. => before kern_vm_init. */
void kern_frame_init(const arch_boot_info_t *bi);
/* A free 4 KiB frame in *pa (contents undefined); false when RAM is exhausted. */
bool kern_frame_alloc(pt_paddr_t *pa);
/* The same, zero-filled. */
bool kern_frame_alloc_zeroed(pt_paddr_t *pa);
/* Gives frame pa back. => nothing maps it any more and the TLB has been flushed. */
void kern_frame_free(pt_paddr_t pa);
/* Where the kernel reaches physical address pa (early window, then the direct map). */
void *kern_phys_to_virt(pt_paddr_t pa);
/* Switches kern_phys_to_virt to the direct map. => the kernel tables are loaded. */
void kern_frame_use_direct_map(void);
/* Keeps the next keep bytes of never-used free frames as the kernel's reserve and takes
 * every never-used free frame above them, in every RAM range, out of the allocator for good:
 * mmserver's pool. Fills out with those runs (page-aligned, by address, at most max; a run
 * that does not fit is left unused, with a message) and returns how many. 0 when RAM ends
 * inside the reserve or the pool was given already. */
unsigned kern_frame_give_rest(uint64_t keep, arch_range_t *out, unsigned max);

/* The kernel's reserve (kernel/README.md, "Frames"): what it keeps for its own objects. */
#define KERN_FRAME_RESERVE (16ull << 20)

/* ---- address spaces (vm.c) ---- */

/* Address-space ids: 1 .. KERN_SPACE_IDS - 1 (arch_root_init takes a 16-bit id). */
#define KERN_SPACE_IDS 65536u

typedef struct kern_space {
    pt_space_t pt;    /* the user half, built with libpt */
    arch_root_t root; /* what the MMU loads */
    uint16_t id;      /* the lowest free id when made (reports; vm.c) */
    kern_tag_t tag;   /* its address-space tag (PCID/ASID), recycled by generation (tag.h) */
    bool in_use;
    unsigned threads;   /* live threads bound to it */
    kern_cspace_t caps; /* the process's capability table (ipc/ipc.h) and its account */
    struct kern_space *mm_next, *mm_prev; /* managed spaces (mm_priv.c) */
    /* mmserver's: its tables are mmserver's (registered with MMPRIV_SYS_ROOT_REGISTER);
     * pt is a view the kernel only walks (pt_query), never changes or destroys. The record
     * outlives its process: it goes with MMPRIV_SYS_ROOT_UNREGISTER. */
    bool managed;
} kern_space_t;

/* Builds and loads the kernel's own tables: image with W^X rights, direct map of RAM. */
void kern_vm_init(const arch_boot_info_t *bi);
/* The kernel's own space and root (self-checks; nothing maps there after boot). */
pt_space_t *kern_kernel_space(void);
arch_root_t *kern_kernel_root(void);
/* A new user address space whose upper half is the kernel's; its record and objects come
 * from the kernel's own RAM, unlimited (mmserver's). NULL when out of memory or ids. */
kern_space_t *kern_space_create(void);
/* A space over the user tables mmserver built at root_pa (managed): the kernel's upper
 * half is copied into that root, the only kernel write into a user table. Its record and
 * every kernel object made for it come from mmserver's donated frames and are charged to
 * its account, at most kmem_limit bytes (the record included). NULL when the record cannot
 * be made (no donated frame, the limit, no id). => root_pa is a frame of mmserver's pool
 * (kern_mm_check_root). */
kern_space_t *kern_space_attach(pt_paddr_t root_pa, uint64_t kmem_limit);
/* Destroys s: every frame and table goes back (a managed space's stay mmserver's), and its
 * record and id; on return no CPU uses s's root or caches its translations. => no thread
 * of s is left and its table is cleared. */
/* Gives s a new tag and re-initialises its root with it, so that its first load drops
 * whatever the tag's earlier owner left (tag.h). */
void kern_space_retag(kern_space_t *s);
void kern_space_destroy(kern_space_t *s);
/* Copies [va, va + len) of s into dst if every byte is mapped user-readable memory;
 * otherwise IPC_ERR_BAD_ADDRESS and nothing is copied. Never touches a user address
 * directly: each page is found with pt_query and read through the direct map. */
ipc_err_t kern_copy_from_user(kern_space_t *s, void *dst, uint64_t va, size_t len);
/* The same the other way: src to [va, va + len) of s if every byte is mapped
 * user-writable memory, else IPC_ERR_BAD_ADDRESS and nothing is written. */
ipc_err_t kern_copy_to_user(kern_space_t *s, uint64_t va, const void *src, size_t len);
/* Whether [va, va + len) of s is entirely mapped user-writable memory. */
bool kern_user_writable(kern_space_t *s, uint64_t va, size_t len);

/* ---- threads and scheduling (thread.c) ---- */

/* Whether a thread slot is in use; whether the thread runs or waits is tcb.state. */
typedef enum kern_thread_state {
    KERN_THREAD_FREE = 0,
    KERN_THREAD_READY, /* alive: see tcb.state */
    KERN_THREAD_DEAD,
} kern_thread_state_t;

typedef struct kern_thread {
    arch_regs_t regs; /* saved user registers */
    kern_space_t *space;
    kern_thread_state_t state;
    unsigned id;                               /* a serial number (the user start argument) */
    struct kern_thread *live_next, *live_prev; /* every thread not yet freed */
    char name[KERN_NAME_MAX]; /* console lines: its archive member (MMPRIV_SYS_THREAD_NAME) */
    uint64_t ipc_buffer;      /* user address of its ipc_buffer_t, 0: none */
    uint64_t exit_status;     /* IPC_SYS_EXIT's status, for the end notice */
    uint32_t end_how;         /* MMPRIV_END_EXIT or MMPRIV_END_KILLED, for the end notice */
    bool mm_destroyed;        /* ended by MMPRIV_SYS_THREAD_DESTROY: no end notice */
    bool mm_server;           /* mmserver's thread: a fault in it is fatal to the system */
    kern_tcb_t tcb;           /* scheduling and IPC state (kernel/ipc.h) */
} kern_thread_t;

_Static_assert(KERN_NAME_MAX == MMPRIV_NAME_MAX + 1, "a thread holds any name mmserver gives");

/* A thread in s starting at pc with stack sp, not started: suspended (KERN_TCB_SUSPENDED)
 * until kern_sched_ready; its record is charged to s's account until it ends, and freed
 * once it is dead and no thread capability names it. NULL when no memory (or s's limit). */
kern_thread_t *kern_thread_create(kern_space_t *s, const char *name, uint64_t pc, uint64_t sp);
/* The thread running now (the one whose registers the last entry saved). */
kern_thread_t *kern_current(void);
/* Asks the scheduler to pick another thread at the next return to user mode. */
void kern_yield(void);
/* Ends t wherever it is (kern_tcb_stop) the way how says (MMPRIV_END_EXIT with t's
 * exit_status, or MMPRIV_END_KILLED); frees its capabilities when t was the last thread of
 * its space, and then its space, or for a space mmserver manages sends the end notice. */
void kern_thread_end(kern_thread_t *t, uint32_t how);
/* The thread that embeds tcb. */
kern_thread_t *kern_thread_of(kern_tcb_t *tcb);
/* Runs t now (the fast path): t is READY and not queued, its registers are final. */
_Noreturn void kern_switch_to(kern_thread_t *t);
/* How many times the timer took the CPU from a thread for another one. */
uint64_t kern_preemptions(void);

/* ---- kernel-object frames (kmem.c): kern_kobj_frame_get / _put of kobj.h ---- */

/* Takes [pa, pa + frames * 4 KiB) of mmserver's pool as donated frames for kernel objects
 * (MMPRIV_SYS_KMEM_GIVE). => the range is checked (kern_mm_check_kmem). */
void kern_kmem_give(pt_paddr_t pa, uint64_t frames);
/* Hands back one donated frame no kernel object uses, in *pa; false when none is free. */
bool kern_kmem_take(pt_paddr_t *pa);
/* Donated frames the kernel holds (in use or free), and those free. */
uint64_t kern_kmem_donated(void);
uint64_t kern_kmem_donated_free(void);

/* ---- syscalls (syscall.c) and IPC (ipc_sys.c, ipc_fast.c) ---- */

/* A syscall handler: the calling thread, its six argument words; returns the error and
 * may set one value word, or returns KERN_SYSCALL_DEFERRED when the thread's registers
 * are written at its return to user mode (kern_ipc_writeback). */
typedef ipc_err_t (*kern_syscall_fn)(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS],
                                     uint64_t *value);
#define KERN_SYSCALL_DEFERRED ((ipc_err_t)~0u)

/* The handler of IPC syscall nr (ipc/ipc.h), or NULL. */
kern_syscall_fn kern_ipc_syscall(uint64_t nr);
/* Writes what t's last IPC operation left for its registers (tcb.out) and clears it. */
void kern_ipc_writeback(kern_thread_t *t);
/* Call and reply_recv with register-only messages to a waiting partner: moves the message
 * and switches to the partner without returning; returns when the slow path must run. */
void kern_ipc_fastpath(kern_thread_t *t, const uint64_t a[ARCH_SYSCALL_ARGS], uint64_t nr);
/* Sends fault f of t as a message to t's fault endpoint; false when it has none. */
bool kern_ipc_send_fault(kern_thread_t *t, const arch_fault_t *f);
/* A fault of t whose message (t->tcb.msg, kern_ipc_fault_msg) goes to a handler waiting on
 * t's fault endpoint: delivers it register to register and switches to the handler without
 * returning; returns when the slow path (kern_ipc_fault) must run. */
void kern_ipc_fault_fastpath(kern_thread_t *t);

/* ---- mmserver's privileged calls (mm_priv.c) ---- */

/* The handler of privileged call nr (ipc/mmpriv.h), or NULL. */
kern_syscall_fn kern_mm_syscall(uint64_t nr);
/* Sets mmserver's pool, the only frames a root may be registered in: the n ranges r (by
 * address, n <= MMBOOT_MAX_RANGES; more are ignored). */
void kern_mm_set_pool(const arch_range_t *r, unsigned n);
/* Whether physical address pa lies in mmserver's pool: the only frames the kernel reads or
 * writes through a managed space (its tables and the leaves of user copies). */
bool kern_mm_pool_has(pt_paddr_t pa);
/* Puts the memory capability into empty slot of s's table (mmserver, at boot). */
ipc_err_t kern_mm_give_memory_cap(kern_space_t *s, uint64_t slot);
/* Boots through mmserver (mm_boot.c), the only way the kernel starts user code: builds
 * only its first space from the archive member MMBOOT_SELF_NAME (image, stack, IPC buffer,
 * archive view, the pool window, the boot-info block), gives it its capabilities (the
 * memory and the halt capability among them) and starts it; panics when it cannot. */
void kern_mm_boot(const arch_boot_info_t *bi);
/* The last thread of managed space s ended (t); unless mmserver destroyed it, sends the
 * end notice (t's exit status and end_how) on ep, t's fault endpoint as it was before t
 * stopped. */
void kern_mm_process_ended(kern_thread_t *t, const kern_cap_t *ep);

/* ---- the boot check (boot_check.c) ---- */

/* Checks libpt on the live kernel tables and arch_tlb_flush before any user code runs:
 * remaps scratch kernel pages and reads them back through the TLB; panics when a stale
 * translation survives (a missing or wrong flush). Gives its frames back. */
void kern_boot_check_tlb(void);

/* ---- misc ---- */

/* Copies the NUL-terminated or n-byte name src into dst (KERN_NAME_MAX). */
void kern_copy_name(char *dst, const char *src, size_t n);

/* Makes s the translation in use; first gives it a new tag (and so a fresh root whose load
 * drops the tag's old entries) when its tag was taken by a rollover (tag.h). Inline: it is
 * on every return to user mode, and costs one comparison when the tag is still s's. */
static inline __attribute__((always_inline)) void kern_space_load(kern_space_t *s) {
    if (kern_tag_taken(&s->tag)) {
        kern_space_retag(s);
    }
    arch_root_load(&s->root);
}
