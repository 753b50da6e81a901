/*
 * x86_64 trap dispatch. From user mode: the frame is saved into the current thread, an
 * exception becomes an architecture-neutral fault (kern_user_fault), an interrupt a tick,
 * a syscall a kern_syscall; then kern_return_to_user picks who runs. From kernel mode:
 * only the timer while idling is expected; any exception is a kernel bug and panics with
 * every register.
 */
#include "x86.h"

#include <ipc/abi.h>

#define RPL_MASK 3u

/* The registers of the thread that is running in user mode (set by arch_user_enter). */
static arch_regs_t *current_regs;
/* One past current_regs: where the syscall entry pushes the frame (entry.S). */
extern uint64_t x86_syscall_frame_end;

/* SDM 3A table 6-1 mnemonics. */
static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

/* The neutral kind of exception vector v. */
static uint32_t fault_kind(uint64_t v) {
    switch (v) {
        case X86_VEC_PF:
            return IPC_FAULT_PAGE;
        case X86_VEC_GP:
        case 10: /* #TS */
        case 11: /* #NP */
        case 12: /* #SS: non-canonical stack access */
            return IPC_FAULT_PRIVILEGED;
        case X86_VEC_UD:
        case 7: /* #NM: no FPU/SSE state for user threads yet */
            return IPC_FAULT_ILLEGAL;
        case X86_VEC_DE:
        case X86_VEC_MF:
        case X86_VEC_XM:
            return IPC_FAULT_ARITH;
        case X86_VEC_DB:
        case X86_VEC_BP:
            return IPC_FAULT_DEBUG;
        case X86_VEC_AC:
            return IPC_FAULT_ALIGN;
        default:
            return IPC_FAULT_OTHER;
    }
}

/* IPC_ACCESS_* bits of a page-fault error code. */
static uint32_t pf_access(uint64_t code) {
    if (code & X86_PF_I) {
        return IPC_ACCESS_EXEC;
    }
    return (code & X86_PF_W) ? IPC_ACCESS_WRITE : IPC_ACCESS_READ;
}

/* The printable name of vector v. */
static const char *vector_name(uint64_t v) {
    if (v < 32) {
        return vector_names[v];
    }
    return v == ARCH_X86_VEC_SYSCALL ? "syscall" : "irq";
}

/* See arch.h. */
void arch_regs_dump(const arch_regs_t *r) {
    kern_printf("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)r->rax,
                (unsigned long long)r->rbx, (unsigned long long)r->rcx, (unsigned long long)r->rdx);
    kern_printf("  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n", (unsigned long long)r->rsi,
                (unsigned long long)r->rdi, (unsigned long long)r->rbp, (unsigned long long)r->rsp);
    kern_printf("  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", (unsigned long long)r->r8,
                (unsigned long long)r->r9, (unsigned long long)r->r10, (unsigned long long)r->r11);
    kern_printf("  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)r->r12,
                (unsigned long long)r->r13, (unsigned long long)r->r14, (unsigned long long)r->r15);
    kern_printf("  rip %016llx cs %llx rflags %llx ss %llx vector %llu (%s) error %llx\n",
                (unsigned long long)r->rip, (unsigned long long)r->cs,
                (unsigned long long)r->rflags, (unsigned long long)r->ss,
                (unsigned long long)r->vector, vector_name(r->vector),
                (unsigned long long)r->error);
}

/* An exception in the kernel: the kernel is broken, so report everything and stop. */
static _Noreturn void kernel_exception(const arch_regs_t *f) {
    kern_printf("\n*** KERNEL EXCEPTION %s (vector %llu) error 0x%llx at rip 0x%llx\n",
                vector_name(f->vector), (unsigned long long)f->vector, (unsigned long long)f->error,
                (unsigned long long)f->rip);
    kern_printf("  cr2 %016llx cr3 %016llx cr4 %016llx cr0 %016llx\n",
                (unsigned long long)x86_read_cr2(), (unsigned long long)x86_read_cr3(),
                (unsigned long long)x86_read_cr4(), (unsigned long long)x86_read_cr0());
    arch_regs_dump(f);
    kern_panic("exception in kernel mode");
}

/* Acknowledges and dispatches interrupt vector v (IRQ 0 .. 15). */
static void interrupt(uint64_t v) {
    if (v == X86_VEC_SPURIOUS && !x86_pic_in_service(7)) {
        return; /* spurious IRQ 7: the PIC wants no EOI (8259A datasheet) */
    }
    x86_pic_eoi(v - X86_VEC_IRQ_BASE);
    if (v == X86_VEC_TIMER) {
        kern_timer_tick();
    }
}

/* Turns user exception frame f into a fault report for the generic kernel. */
static void user_exception(const arch_regs_t *f) {
    arch_fault_t fault = {
        .kind = fault_kind(f->vector),
        .access = 0,
        .vector = f->vector,
        .code = f->error,
        .pc = f->rip,
        .addr = 0,
        .name = vector_name(f->vector),
    };
    if (f->vector == X86_VEC_PF) {
        fault.access = pf_access(f->error);
        fault.addr = x86_read_cr2();
    }
    kern_user_fault(&fault);
}

/*
 * Whether user exception frame f is a syscall that the hypervisor left half done. The PVM
 * "KVM" of our build host (module kvm_pvm: guests run at hardware CPL 3, no VT-x/AMD-V)
 * carries out a guest's SYSCALL from ring 3 only partly for a guest that is not
 * PVM-enlightened: RIP := IA32_LSTAR, RCX := next RIP, R11 := RFLAGS, RFLAGS &= ~FMASK,
 * but the vCPU stays at CPL 3, so fetching the entry faults: #PF with error U|I (P under
 * that hypervisor) at CR2 = RIP = the entry, rsp still the user's. Everything SYSCALL
 * saves is in the frame, so the kernel can finish the instruction's work itself.
 * On a CPU that runs SYSCALL correctly (TCG, hardware-assisted KVM) this happens only when
 * a user program jumps to the entry's address; it then gets what "syscall; jmp *%rcx"
 * gives it, nothing more, since RFLAGS from r11 is cleaned by arch_user_enter. RCX must
 * be a user address sysretq can go to (the same test as sysret_ok).
 */
static bool syscall_left_at_cpl3(const arch_regs_t *f, uint64_t cr2) {
    uint64_t entry = (uint64_t)(uintptr_t)x86_syscall_entry;
    uint64_t bits = X86_PF_U | X86_PF_I;
    return f->vector == X86_VEC_PF && (f->error & bits) == bits && f->rip == entry &&
           cr2 == entry && f->rcx < ARCH_USER_TOP - PT_PAGE_SIZE;
}

_Noreturn void x86_syscall(arch_regs_t *f);

/* Turns the saved frame r of a syscall_left_at_cpl3() fault into the frame the syscall
 * entry would have saved, and runs the syscall. Says once that it happens. */
static _Noreturn void finish_syscall(arch_regs_t *r) {
    static bool told;
    if (!told) {
        told = true;
        kern_printf("[x86] syscall reached its entry at CPL 3 (hypervisor left SYSCALL half "
                    "done); the kernel completes each one from the #PF\n");
    }
    r->rip = r->rcx;
    r->rflags = r->r11;
    r->vector = ARCH_X86_VEC_SYSCALL;
    r->error = 0;
    x86_syscall(r);
}

/* Whether vector v reports the machine's state rather than what the interrupted code did
 * (NMI, double fault, machine check): fatal whichever mode it interrupted. */
static bool machine_fatal(uint64_t v) {
    return v == X86_VEC_NMI || v == X86_VEC_DF || v == X86_VEC_MC;
}

/* Called by entry.S for every vector: with the frame on the kernel stack for an entry from
 * kernel mode, in the running thread's arch_regs_t for one from user mode. Returns only
 * for an interrupt that arrived in kernel mode (arch_idle). */
void x86_trap(arch_regs_t *f) {
    if (machine_fatal(f->vector)) {
        kernel_exception(f);
    }
    if ((f->cs & RPL_MASK) == 0) {
        if (f->vector >= X86_VEC_IRQ_BASE && f->vector < X86_VEC_COUNT) {
            interrupt(f->vector);
            return;
        }
        kernel_exception(f);
    }
    if (f != current_regs) { /* from user mode the CPU pushed into it through TSS.rsp0 */
        kern_panic("a user-mode entry's frame at %p is not the thread's (%p)", (void *)f,
                   (void *)current_regs);
    }
    if (syscall_left_at_cpl3(f, x86_read_cr2())) {
        finish_syscall(current_regs);
    }
    if (f->vector < X86_VEC_IRQ_BASE) {
        user_exception(f);
    } else if (f->vector < X86_VEC_COUNT) {
        interrupt(f->vector);
    }
    kern_return_to_user();
}

/* Called by entry.S for every syscall with the frame already in the thread's registers
 * (f == current_regs). */
_Noreturn void x86_syscall(arch_regs_t *f) {
    kern_syscall(f);
    kern_return_to_user();
}

/* See arch.h. */
void arch_regs_init_user(arch_regs_t *r, uint64_t pc, uint64_t sp, uint64_t arg) {
    if ((uintptr_t)(r + 1) & 15u) { /* once per thread: its registers never move */
        kern_panic("thread registers at %p are not 16-byte aligned", (void *)r);
    }
    *r = (arch_regs_t){0};
    r->rip = pc;
    r->rsp = sp;
    r->rdi = arg;
    r->cs = X86_SEL_UCODE;
    r->ss = X86_SEL_UDATA;
    r->rflags = X86_RFLAGS_IF | X86_RFLAGS_RESERVED;
}

/* See arch.h; the registers follow ipc/abi.h. */
uint64_t arch_syscall_nr(const arch_regs_t *r) {
    return r->rax;
}

/* See arch.h. */
uint64_t arch_syscall_arg(const arch_regs_t *r, unsigned i) {
    switch (i) {
        case 0:
            return r->rdi;
        case 1:
            return r->rsi;
        case 2:
            return r->rdx;
        case 3:
            return r->r10;
        case 4:
            return r->r8;
        case 5:
            return r->r9;
        default:
            kern_panic("syscall argument %u", i);
    }
}

/* See arch.h. */
void arch_syscall_args(const arch_regs_t *r, uint64_t a[ARCH_SYSCALL_ARGS]) {
    a[0] = r->rdi;
    a[1] = r->rsi;
    a[2] = r->rdx;
    a[3] = r->r10;
    a[4] = r->r8;
    a[5] = r->r9;
    a[6] = r->r12;
    a[7] = r->r13;
}

/* See arch.h. */
void arch_syscall_set_result(arch_regs_t *r, uint64_t err, uint64_t value) {
    r->rax = err;
    r->rdx = value;
}

/* See arch.h: out words in the argument registers, the error in rax. */
void arch_ipc_set_out(arch_regs_t *r, uint64_t err, const uint64_t out[ARCH_SYSCALL_ARGS]) {
    r->rax = err;
    r->rdi = out[0];
    r->rsi = out[1];
    r->rdx = out[2];
    r->r10 = out[3];
    r->r8 = out[4];
    r->r9 = out[5];
    r->r12 = out[6];
    r->r13 = out[7];
}

/* See arch.h: rdtsc already works in ring 3 (CR4.TSD is never set). */
void arch_user_counters_allow(void) {
}

/* Whether r can leave by sysretq: back from a syscall with rcx/r11 as syscall left them
 * and a canonical user rip (sysret to a non-canonical rip would fault in ring 0). */
static bool sysret_ok(const arch_regs_t *r) {
    return r->vector == ARCH_X86_VEC_SYSCALL && r->rcx == r->rip && r->r11 == r->rflags &&
           r->rip < ARCH_USER_TOP - PT_PAGE_SIZE;
}

/* See arch.h. The frame's selectors and flags are forced to user values first: nothing the
 * kernel keeps in r may return to ring 3 with kernel privilege or IOPL. */
_Noreturn void arch_user_enter(arch_regs_t *r) {
    r->cs = X86_SEL_UCODE;
    r->ss = X86_SEL_UDATA;
    r->rflags =
        (r->rflags & ~(X86_RFLAGS_IOPL | X86_RFLAGS_AC)) | X86_RFLAGS_IF | X86_RFLAGS_RESERVED;
    uint64_t end = (uint64_t)(uintptr_t)(r + 1); /* 16-byte aligned: arch_regs_init_user */
    current_regs = r;
    x86_syscall_frame_end = end;
    x86_tss.rsp[0] = end; /* an interrupt or exception pushes its frame into r, too */
    if (sysret_ok(r)) {
        x86_enter_sysret(r);
    }
    x86_enter_iret(r);
}
