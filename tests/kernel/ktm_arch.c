/*
 * The host machine of kernel_mm_tests (ktm.h): the recording arch layer, frames from the
 * host heap, and the few kernel functions the compiled files call that live in files the
 * host does not compile (threads), each as small as the tests allow. Criterion runs every
 * test in its own process, so this state and the kernel's own start empty in each.
 */
#include "ktm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const pt_format_t *ktm_format = &pt_format_x86_64;
const pt_format_t *const ktm_formats[KTM_FORMATS] = {&pt_format_x86_64, &pt_format_sv48,
                                                     &pt_format_sv39, &pt_format_aarch64};
uint64_t ktm_user_top = 0x800000000000ull;
ktm_log_t ktm_log;
kern_thread_t *ktm_current;
jmp_buf ktm_switch_jump;
bool ktm_switch_armed;
kern_thread_t *ktm_switched;
jmp_buf ktm_halt_jump;
bool ktm_halt_armed;
int ktm_halt_status;

/* The kernel image's sections, all empty: kern_vm_init maps none of them (the host
 * cannot give them kernel-half addresses), so the kernel space starts with no leaf. */
char ktm_kernel_image[16];
__asm__(".globl __kernel_text_start\n.set __kernel_text_start, ktm_kernel_image\n"
        ".globl __kernel_text_end\n.set __kernel_text_end, ktm_kernel_image\n"
        ".globl __kernel_rodata_start\n.set __kernel_rodata_start, ktm_kernel_image\n"
        ".globl __kernel_rodata_end\n.set __kernel_rodata_end, ktm_kernel_image\n"
        ".globl __kernel_data_start\n.set __kernel_data_start, ktm_kernel_image\n"
        ".globl __kernel_data_end\n.set __kernel_data_end, ktm_kernel_image\n"
        ".globl __kernel_guard_start\n.set __kernel_guard_start, ktm_kernel_image\n"
        ".globl __kernel_guard_end\n.set __kernel_guard_end, ktm_kernel_image\n");

/* ---- the recording arch layer ---- */

/* Appends one event for root r (NULL: none). */
static void record(ktm_event_kind_t kind, const arch_root_t *r, const pt_flush_t *f) {
    cr_assert(ktm_log.n < KTM_LOG_MAX, "arch event log full");
    ktm_event_t *ev = &ktm_log.ev[ktm_log.n++];
    *ev = (ktm_event_t){.kind = kind};
    if (r) {
        ev->pa = r->pa;
        ev->asid = r->asid;
    }
    if (f) {
        ev->flush = *f;
    }
}

/* See ktm.h. */
unsigned ktm_count(ktm_event_kind_t kind, unsigned from) {
    unsigned n = 0;
    for (unsigned i = from; i < ktm_log.n; i++) {
        n += ktm_log.ev[i].kind == kind;
    }
    return n;
}

/* See ktm.h. */
const ktm_event_t *ktm_last(ktm_event_kind_t kind) {
    for (unsigned i = ktm_log.n; i-- > 0;) {
        if (ktm_log.ev[i].kind == kind) {
            return &ktm_log.ev[i];
        }
    }
    cr_assert_fail("no arch event of kind %d", (int)kind);
    return NULL;
}

/* See arch.h. */
uint32_t arch_pt_features(void) {
    return 0;
}

/* See arch.h. Nothing to switch on the host. */
void arch_paging_enable(pt_paddr_t root) {
    (void)root;
}

/* See arch.h. As many tags as PCIDs on x86_64. */
uint32_t arch_tag_count(void) {
    return ARCH_ASID_MAX + 1u;
}

/* See arch.h. */
void arch_root_init(arch_root_t *r, pt_paddr_t root_pa, uint16_t asid) {
    r->pa = root_pa;
    r->asid = asid;
    record(KTM_ROOT_INIT, r, NULL);
}

/* See arch.h. */
void arch_root_load(arch_root_t *r) {
    record(KTM_ROOT_LOAD, r, NULL);
}

/* See arch.h. */
void arch_root_release(arch_root_t *r) {
    record(KTM_ROOT_RELEASE, r, NULL);
}

/* See arch.h. */
void arch_tlb_flush(arch_root_t *r, const pt_flush_t *f) {
    record(KTM_TLB_FLUSH, r, f);
}

/* See arch.h. */
void arch_icache_sync(void) {
    record(KTM_ICACHE_SYNC, NULL, NULL);
}

/* See arch.h. */
uint64_t arch_syscall_nr(const arch_regs_t *r) {
    return r->nr;
}

/* See arch.h. */
void arch_syscall_args(const arch_regs_t *r, uint64_t a[ARCH_SYSCALL_ARGS]) {
    memcpy(a, r->arg, sizeof(r->arg));
}

/* See arch.h. */
void arch_syscall_set_result(arch_regs_t *r, uint64_t err, uint64_t value) {
    r->err = err;
    r->value = value;
    r->results++;
}

/* See arch.h. */
void arch_ipc_set_out(arch_regs_t *r, uint64_t err, const uint64_t out[ARCH_SYSCALL_ARGS]) {
    r->err = err;
    memcpy(r->out, out, sizeof(r->out));
    r->outs++;
}

/* ---- kernel output: kernel/printf.c over these two ---- */

/* See arch.h. The tests read the arch log, not the console: shown with KTM_TRACE set. */
void arch_console_putc(char c) {
    static int trace = -1;
    if (trace < 0) {
        trace = getenv("KTM_TRACE") != NULL;
    }
    if (trace) {
        fputc(c, stderr);
    }
}

/* See arch.h. Inside ktm_catch_halt the stop goes back to the test with its status;
 * anywhere else the machine stops only after a kernel panic, which fails the test. */
_Noreturn void arch_halt(int status) {
    if (ktm_halt_armed) {
        ktm_halt_armed = false;
        ktm_halt_status = status;
        longjmp(ktm_halt_jump, 1);
    }
    cr_assert_fail("the kernel stopped the machine with status %d (a panic)", status);
    abort();
}

/* ---- frames: 4 KiB blocks of the host heap, physical address == host address ---- */

/* See kern.h. */
bool kern_frame_alloc(pt_paddr_t *pa) {
    void *p = aligned_alloc(PT_PAGE_SIZE, PT_PAGE_SIZE);
    cr_assert(p != NULL);
    memset(p, 0xa5, PT_PAGE_SIZE); /* garbage: whoever needs zeroes must zero */
    *pa = (pt_paddr_t)(uintptr_t)p;
    return true;
}

/* See kern.h. */
bool kern_frame_alloc_zeroed(pt_paddr_t *pa) {
    kern_frame_alloc(pa);
    memset((void *)(uintptr_t)*pa, 0, PT_PAGE_SIZE);
    return true;
}

/* See kern.h. */
void kern_frame_free(pt_paddr_t pa) {
    free((void *)(uintptr_t)pa);
}

/* See kern.h. */
void *kern_phys_to_virt(pt_paddr_t pa) {
    return (void *)(uintptr_t)pa;
}

/* See kern.h. */
void kern_frame_use_direct_map(void) {
}

/* ---- kernel objects: frames from the host heap, a donated count kept ---- */

static uint64_t ktm_donated;

/* See kobj.h. */
void *kern_kobj_frame_get(bool donated) {
    (void)donated;
    void *p = aligned_alloc(KERN_KOBJ_FRAME, KERN_KOBJ_FRAME);
    cr_assert(p != NULL);
    return p;
}

/* See kobj.h. */
void kern_kobj_frame_put(void *frame, bool donated) {
    (void)donated;
    free(frame);
}

/* See kern.h: counted only (the frames of ktm's pool stay the test's). */
void kern_kmem_give(pt_paddr_t pa, uint64_t frames) {
    (void)pa;
    ktm_donated += frames;
}

/* See kern.h. */
bool kern_kmem_take(pt_paddr_t *pa) {
    (void)pa;
    return false;
}

/* See kern.h. */
uint64_t kern_kmem_donated(void) {
    return ktm_donated;
}

/* See kern.h. */
uint64_t kern_kmem_donated_free(void) {
    return 0;
}

/* See ipc.h: ktm's thread records are its own (reused once unreferenced). */
void kern_tcb_unreferenced(kern_tcb_t *t) {
    (void)t;
}

/* ---- threads ---- */

#define KTM_THREADS 8u
static kern_thread_t created[KTM_THREADS];

/* See ktm.h. */
void ktm_thread(kern_thread_t *t, kern_space_t *s, uint8_t prio, bool queued) {
    memset(t, 0, sizeof(*t));
    t->space = s;
    t->state = KERN_THREAD_READY;
    kern_tcb_init(&t->tcb, &s->caps, prio);
    t->tcb.state = KERN_TCB_READY;
    s->threads++;
    if (queued) {
        kern_sched_ready(&t->tcb);
    }
}

/* See kern.h. The thread mmserver creates: suspended, bound to s. */
kern_thread_t *kern_thread_create(kern_space_t *s, const char *name, uint64_t pc, uint64_t sp) {
    (void)pc;
    (void)sp;
    for (unsigned i = 0; i < KTM_THREADS; i++) {
        if (created[i].state != KERN_THREAD_READY && created[i].tcb.caprefs == 0) {
            ktm_thread(&created[i], s, 0, false);
            created[i].tcb.state = KERN_TCB_SUSPENDED;
            kern_copy_name(created[i].name, name, KERN_NAME_MAX);
            return &created[i];
        }
    }
    return NULL;
}

/* See kern.h. As the real one: how is recorded (end_how), the capabilities go with the
 * space's last thread. Unlike it, the space stays (a managed one goes with
 * MMPRIV_SYS_ROOT_UNREGISTER anyway) and no end notice is sent. */
void kern_thread_end(kern_thread_t *t, uint32_t how) {
    if (t->state != KERN_THREAD_READY) {
        return;
    }
    t->end_how = how;
    kern_tcb_stop(&t->tcb);
    t->state = KERN_THREAD_DEAD;
    if (--t->space->threads == 0) {
        kern_cspace_clear(&t->space->caps); /* the capabilities go with the last thread */
    }
}

/* See kern.h. */
void kern_copy_name(char *dst, const char *src, size_t n) {
    size_t i = 0;
    for (; i + 1 < KERN_NAME_MAX && i < n && src[i]; i++) {
        dst[i] = src[i];
    }
    dst[i] = 0;
}

/* See kern.h. */
kern_thread_t *kern_current(void) {
    return ktm_current;
}

/* See kern.h. */
void kern_yield(void) {
}

/* See kern.h: back to the test that ran the fast path (ktm_run). */
_Noreturn void kern_switch_to(kern_thread_t *t) {
    cr_assert(ktm_switch_armed, "kern_switch_to outside ktm_run");
    ktm_switched = t;
    longjmp(ktm_switch_jump, 1);
}

/* ---- boot, pool and mmserver's trees ---- */

static uint8_t *pool;
static uint64_t pool_alloc;  /* frames of host memory behind pool: the pool and beyond */
static uint64_t pool_tables; /* the next table frame, counted up from KTM_DATA_FRAMES */

/* See ktm.h. The host memory runs past the pool's end to the next 2 MiB boundary and one
 * 2 MiB more, so that a leaf aimed past the end is real memory a wrong copy could reach. */
uint64_t ktm_boot(const pt_format_t *fmt, uint64_t frames) {
    ktm_format = fmt;
    ktm_user_top = 1ull << (fmt->va_bits - 1);
    arch_boot_info_t bi = {.cmdline = "", .loader = "host"};
    kern_vm_init(&bi);
    kern_tags_init(arch_tag_count(), 0); /* as kern_main does next */
    const uint64_t huge = 512;           /* 4 KiB frames in 2 MiB */
    pool_alloc = (frames + huge - 1) / huge * huge + huge;
    pool_tables = KTM_DATA_FRAMES;
    pool = aligned_alloc(huge * PT_PAGE_SIZE, pool_alloc * PT_PAGE_SIZE);
    cr_assert(pool != NULL && frames > KTM_DATA_FRAMES);
    memset(pool, 0, pool_alloc * PT_PAGE_SIZE);
    arch_range_t whole = {(uint64_t)(uintptr_t)pool, frames * PT_PAGE_SIZE};
    kern_mm_set_pool(&whole, 1);
    return (uint64_t)(uintptr_t)pool;
}

/* See ktm.h. */
void ktm_mms_init(ktm_mms_t *m, uint64_t frames) {
    ktm_boot(&pt_format_x86_64, frames);
    memset(m, 0, sizeof(*m));
    ktm_thread(&m->t, &m->space, IPC_PRIO_COUNT - 1, false);
    cr_assert_eq(kern_mm_give_memory_cap(&m->space, KTM_MEM), IPC_OK);
}

/* See ktm.h. */
uint64_t ktm_pool_frame(uint64_t i) {
    cr_assert(i < KTM_DATA_FRAMES || (i >= pool_tables && i < pool_alloc),
              "frame %llu of the pool's memory is a table or past it", (unsigned long long)i);
    return (uint64_t)(uintptr_t)(pool + i * PT_PAGE_SIZE);
}

/* Frames handed out by ktm_outside_frame: a leaf or a table of mmserver's trees names them
 * only by an encoded physical address, so they are kept here, like the pool, for the
 * test's process to hold until it ends (LeakSanitizer sees them held, not lost). */
#define KTM_OUTSIDE_MAX 64u
static uint64_t outside[KTM_OUTSIDE_MAX];
static unsigned outside_n;

/* See ktm.h. */
uint64_t ktm_outside_frame(void) {
    cr_assert(outside_n < KTM_OUTSIDE_MAX, "more frames outside the pool than the tests need");
    pt_paddr_t pa;
    kern_frame_alloc_zeroed(&pa);
    outside[outside_n++] = pa;
    return pa;
}

/* mmserver's table hook: a pool frame from the top, or one from outside when asked. */
static bool tree_alloc(void *ctx, pt_paddr_t *pa) {
    ktm_tree_t *t = ctx;
    if (t->outside) {
        *pa = ktm_outside_frame();
        return true;
    }
    cr_assert(pool_tables < 2 * KTM_DATA_FRAMES, "tables beyond the frames kept for them");
    *pa = (uint64_t)(uintptr_t)(pool + pool_tables++ * PT_PAGE_SIZE);
    return true;
}

/* mmserver's tables are never freed in these tests. */
static void tree_free(void *ctx, pt_paddr_t pa) {
    (void)ctx;
    (void)pa;
}

/* A corrupt entry in a tree the test built is the test's bug. */
static void tree_assert(void *ctx, const char *what) {
    (void)ctx;
    cr_assert_fail("libpt on mmserver's tree: %s", what);
}

/* See ktm.h. */
void ktm_tree_init(ktm_tree_t *t) {
    memset(t, 0, sizeof(*t));
    pt_hooks_t h = {.ctx = t,
                    .alloc_table = tree_alloc,
                    .free_table = tree_free,
                    .phys_offset = 0,
                    .assert_failed = tree_assert};
    cr_assert_eq(pt_space_init(&t->pt, ktm_format, &h, PT_SPACE_USER), PT_OK);
}

/* See ktm.h. */
void ktm_tree_map(ktm_tree_t *t, uint64_t va, uint64_t pa, uint64_t len, uint8_t perm) {
    pt_frames_t src = {.list = NULL, .base = pa};
    pt_attr_t attr = {.perm = perm, .memtype = PT_MEM_NORMAL};
    pt_result_t res;
    cr_assert_eq(pt_map(&t->pt, va, len, &src, attr, PT_MAP_HUGE, &res), PT_OK,
                 "mmserver's map of %#llx", (unsigned long long)va);
}

/* See ktm.h. Through the syscall table, as the kernel takes it. */
ipc_err_t ktm_mm_call(kern_thread_t *t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                      uint64_t a3, uint64_t a4, uint64_t a5) {
    t->regs = (arch_regs_t){.nr = nr, .arg = {a0, a1, a2, a3, a4, a5}};
    ktm_current = t;
    kern_syscall(&t->regs);
    cr_assert_eq(t->regs.results, 1, "one result for privileged call %llu", (unsigned long long)nr);
    return (ipc_err_t)t->regs.err;
}
