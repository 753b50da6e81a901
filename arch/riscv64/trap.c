/*
 * riscv64 trap dispatch. From user mode: the frame is saved into the current thread, an
 * exception becomes an architecture-neutral fault (kern_user_fault), the timer interrupt a
 * tick, an ecall a kern_syscall; then kern_return_to_user picks who runs. From kernel mode:
 * only the timer while idling is expected; any exception is a kernel bug and panics with
 * every register.
 */
#include "riscv.h"

#include <ipc/abi.h>

#define ECALL_LEN 4u /* ecall has no compressed form */

/* The registers of the thread that is running in user mode (set by arch_user_enter). */
static arch_regs_t *current_regs;

/* Priv. spec table 4.2 names. */
static const char *const exception_names[RV_EXC_COUNT] = {
    "instruction address misaligned",
    "instruction access fault",
    "illegal instruction",
    "breakpoint",
    "load address misaligned",
    "load access fault",
    "store address misaligned",
    "store access fault",
    "ecall from U-mode",
    "ecall from S-mode",
    "exception 10",
    "exception 11",
    "instruction page fault",
    "load page fault",
    "exception 14",
    "store page fault",
};

/* The printable name of scause value cause. */
static const char *cause_name(uint64_t cause) {
    if (cause & RV_CAUSE_INTERRUPT) {
        return (cause & RV_CAUSE_CODE) == RV_IRQ_S_TIMER ? "timer interrupt" : "interrupt";
    }
    return cause < RV_EXC_COUNT ? exception_names[cause] : "reserved exception";
}

/* Whether insn, the instruction an illegal-instruction trap reported in stval, exists but
 * needs more privilege: a SYSTEM-opcode instruction of the PRIV group other than ecall and
 * ebreak (sret, wfi, sfence.vma, ...), or a CSR access to a CSR whose address bits 9:8 ask
 * for S-mode or higher (priv. 2.1). stval 0 (the hart reports no instruction) or a
 * compressed instruction cannot be privileged. */
static bool insn_privileged(uint64_t insn) {
    if ((insn & RV_INSN_LEN32) != RV_INSN_LEN32 ||
        (insn & RV_INSN_OPCODE_MASK) != RV_INSN_OPCODE_SYSTEM) {
        return false;
    }
    unsigned funct3 = (insn >> RV_INSN_FUNCT3_SHIFT) & 7u;
    if (funct3 == 0) {
        return insn != RV_INSN_ECALL && insn != RV_INSN_EBREAK &&
               ((insn >> RV_INSN_RD_SHIFT) & 0x1fu) == 0;
    }
    unsigned csr = (unsigned)(insn >> RV_INSN_CSR_SHIFT) & 0xfffu;
    return funct3 != 4 && ((csr >> RV_CSR_PRIV_SHIFT) & 3u) != 0;
}

/* The neutral kind of exception cause, with stval tval. Access faults (PMP / PMA refusals
 * of a mapped address) are not page faults: no mapping would cure them. */
static uint32_t fault_kind(uint64_t cause, uint64_t tval) {
    switch (cause) {
        case RV_EXC_INSN_PAGE_FAULT:
        case RV_EXC_LOAD_PAGE_FAULT:
        case RV_EXC_STORE_PAGE_FAULT:
            return IPC_FAULT_PAGE;
        case RV_EXC_ILLEGAL:
            return insn_privileged(tval) ? IPC_FAULT_PRIVILEGED : IPC_FAULT_ILLEGAL;
        case RV_EXC_BREAKPOINT:
            return IPC_FAULT_DEBUG;
        case RV_EXC_INSN_MISALIGNED:
        case RV_EXC_LOAD_MISALIGNED:
        case RV_EXC_STORE_MISALIGNED:
            return IPC_FAULT_ALIGN;
        default:
            return IPC_FAULT_OTHER;
    }
}

/* IPC_ACCESS_* of a page fault with this cause. */
static uint32_t pf_access(uint64_t cause) {
    switch (cause) {
        case RV_EXC_INSN_PAGE_FAULT:
            return IPC_ACCESS_EXEC;
        case RV_EXC_STORE_PAGE_FAULT:
            return IPC_ACCESS_WRITE;
        default:
            return IPC_ACCESS_READ;
    }
}

/* Prints four registers of a dump line; names come padded to three characters. */
static void dump_line(const char *n0, uint64_t v0, const char *n1, uint64_t v1, const char *n2,
                      uint64_t v2, const char *n3, uint64_t v3) {
    kern_printf("  %s %016llx %s %016llx %s %016llx %s %016llx\n", n0, (unsigned long long)v0, n1,
                (unsigned long long)v1, n2, (unsigned long long)v2, n3, (unsigned long long)v3);
}

/* See arch.h. */
void arch_regs_dump(const arch_regs_t *r) {
    dump_line("pc ", r->pc, "ra ", r->ra, "sp ", r->sp, "gp ", r->gp);
    dump_line("tp ", r->tp, "t0 ", r->t0, "t1 ", r->t1, "t2 ", r->t2);
    dump_line("s0 ", r->s0, "s1 ", r->s1, "a0 ", r->a0, "a1 ", r->a1);
    dump_line("a2 ", r->a2, "a3 ", r->a3, "a4 ", r->a4, "a5 ", r->a5);
    dump_line("a6 ", r->a6, "a7 ", r->a7, "s2 ", r->s2, "s3 ", r->s3);
    dump_line("s4 ", r->s4, "s5 ", r->s5, "s6 ", r->s6, "s7 ", r->s7);
    dump_line("s8 ", r->s8, "s9 ", r->s9, "s10", r->s10, "s11", r->s11);
    dump_line("t3 ", r->t3, "t4 ", r->t4, "t5 ", r->t5, "t6 ", r->t6);
    kern_printf("  sstatus %llx scause %llx (%s) stval %llx\n", (unsigned long long)r->status,
                (unsigned long long)r->cause, cause_name(r->cause), (unsigned long long)r->tval);
}

/* An exception in the kernel: the kernel is broken, so report everything and stop. */
static _Noreturn void kernel_exception(const arch_regs_t *f) {
    kern_printf("\n*** KERNEL EXCEPTION %s (scause %llu) stval 0x%llx at pc 0x%llx\n",
                cause_name(f->cause), (unsigned long long)f->cause, (unsigned long long)f->tval,
                (unsigned long long)f->pc);
    kern_printf("  satp %016llx sie %llx sip %llx\n", (unsigned long long)RV_CSR_READ(satp),
                (unsigned long long)RV_CSR_READ(sie), (unsigned long long)RV_CSR_READ(sip));
    arch_regs_dump(f);
    kern_panic("exception in kernel mode");
}

/* Handles interrupt cause (interrupt bit set). Only the timer is enabled. */
static void interrupt(uint64_t cause) {
    if ((cause & RV_CAUSE_CODE) == RV_IRQ_S_TIMER) {
        rv_timer_rearm();
        kern_timer_tick();
    }
}

/* Called by entry.S for a trap taken in S-mode. Returns only for an interrupt (arch_idle). */
void rv_kernel_trap(arch_regs_t *f) {
    if (f->cause & RV_CAUSE_INTERRUPT) {
        interrupt(f->cause);
        return;
    }
    kernel_exception(f);
}

/* Called by entry.S on the overflow stack when a trap found the kernel stack full. */
_Noreturn void rv_kernel_overflow(const arch_regs_t *f) {
    kern_printf("\n*** KERNEL STACK OVERFLOW (sp 0x%llx)\n", (unsigned long long)f->sp);
    kernel_exception(f);
}

/* Turns user exception frame f into a fault report for the generic kernel. */
static void user_exception(const arch_regs_t *f) {
    arch_fault_t fault = {
        .kind = fault_kind(f->cause, f->tval),
        .access = 0,
        .vector = f->cause,
        .code = 0,
        .pc = f->pc,
        .addr = 0,
        .name = cause_name(f->cause),
    };
    if (fault.kind == IPC_FAULT_PAGE) {
        fault.access = pf_access(f->cause);
        fault.addr = f->tval;
    }
    kern_user_fault(&fault);
}

/* Called by entry.S for every trap from U-mode, with f the running thread's own registers,
 * saved in place (entry.S: sscratch holds their address while user code runs). */
_Noreturn void rv_user_trap(arch_regs_t *f) {
    if (f != current_regs) {
        kern_panic("trap frame 0x%llx is not the running thread's registers 0x%llx",
                   (unsigned long long)(uintptr_t)f, (unsigned long long)(uintptr_t)current_regs);
    }
    if (f->cause & RV_CAUSE_INTERRUPT) {
        interrupt(f->cause);
    } else if (f->cause == RV_EXC_ECALL_U) {
        current_regs->pc += ECALL_LEN; /* resume after the ecall, whoever runs next */
        kern_syscall(current_regs);
    } else {
        user_exception(f);
    }
    kern_return_to_user();
}

/* See arch.h. */
void arch_regs_init_user(arch_regs_t *r, uint64_t pc, uint64_t sp, uint64_t arg) {
    *r = (arch_regs_t){0};
    r->pc = pc;
    r->sp = sp;
    r->a0 = arg;
}

/* See arch.h; the registers follow ipc/abi.h. */
uint64_t arch_syscall_nr(const arch_regs_t *r) {
    return r->a7;
}

/* See arch.h. */
uint64_t arch_syscall_arg(const arch_regs_t *r, unsigned i) {
    const uint64_t args[6] = {r->a0, r->a1, r->a2, r->a3, r->a4, r->a5};
    if (i >= 6) {
        kern_panic("syscall argument %u", i);
    }
    return args[i];
}

/* See arch.h. */
void arch_syscall_args(const arch_regs_t *r, uint64_t a[ARCH_SYSCALL_ARGS]) {
    a[0] = r->a0;
    a[1] = r->a1;
    a[2] = r->a2;
    a[3] = r->a3;
    a[4] = r->a4;
    a[5] = r->a5;
    a[6] = r->a6;
    a[7] = r->t1;
}

/* See arch.h. */
void arch_syscall_set_result(arch_regs_t *r, uint64_t err, uint64_t value) {
    r->a0 = err;
    r->a1 = value;
}

/* See arch.h: the error in a0, the out words in a1..a7 and t1. */
void arch_ipc_set_out(arch_regs_t *r, uint64_t err, const uint64_t out[ARCH_SYSCALL_ARGS]) {
    r->a0 = err;
    r->a1 = out[0];
    r->a2 = out[1];
    r->a3 = out[2];
    r->a4 = out[3];
    r->a5 = out[4];
    r->a6 = out[5];
    r->a7 = out[6];
    r->t1 = out[7];
}

/* See arch.h: scounteren bits 0..2 let U-mode read cycle, time and instret (priv. spec
 * 4.1.5); OpenSBI has already opened them to S-mode (mcounteren). */
void arch_user_counters_allow(void) {
    RV_CSR_WRITE(scounteren, 7u);
}

/* See arch.h. The return privilege and interrupt state come from sstatus, which is set
 * here, never from r: nothing kept in r may return to S-mode. SPIE = 1 enables interrupts
 * in user mode; FS = VS = 0 (off) make user FP and vector instructions trap, since no FP
 * or vector state is kept (it would leak between threads). */
_Noreturn void arch_user_enter(arch_regs_t *r) {
    RV_CSR_CLEAR(sstatus,
                 RV_SSTATUS_SPP | RV_SSTATUS_SIE | RV_SSTATUS_FS | RV_SSTATUS_VS | RV_SSTATUS_SUM);
    RV_CSR_SET(sstatus, RV_SSTATUS_SPIE);
    current_regs = r;
    rv_enter_user(r);
}
