/*
 * The architecture interface: the one header generic kernel code includes to reach the
 * machine. It is the same file for every architecture; what differs is found through the
 * include path (arch/<arch>/include is on it), in <arch/machine.h>: the register frame, the
 * root handle and a few layout constants. Generic code has no #ifdef per architecture, so a
 * port adds arch/<arch>/ (sources, machine.h, linker script, config.cmake) and edits nothing
 * else.
 *
 * Execution model (seL4's): one kernel stack per CPU, no kernel threads. Every entry from
 * user mode (syscall, exception, interrupt) saves the user registers into the current
 * thread's arch_regs_t, calls one kern_* handler with interrupts off, and leaves through
 * kern_return_to_user(), which picks a thread and calls arch_user_enter(). The kernel stack
 * is empty again on every entry, so a context switch is "enter another frame".
 *
 * Two halves: the arch implements the arch_* functions below; the generic kernel implements
 * the kern_* functions the arch calls (the upcalls at the end).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pt/pt.h>

/* Per-architecture: arch_regs_t, arch_root_t, ARCH_* constants. See arch/x86_64/README.md. */
#include <arch/machine.h>

/* ------------------------------------------------------------------------------------ */
/* Boot information: what the firmware or boot loader said, already decoded by the arch  */
/* (Multiboot2 on x86_64, the device tree on riscv64), so generic code parses neither.    */

#define ARCH_BOOT_MAX_RANGES 32u

/* A physical range [base, base + len). */
typedef struct arch_range {
    uint64_t base;
    uint64_t len;
} arch_range_t;

typedef struct arch_boot_info {
    /* Usable RAM, page-aligned inward, in address order. */
    arch_range_t ram[ARCH_BOOT_MAX_RANGES];
    unsigned ram_count;
    /* Ranges the firmware reported as not usable (for the boot report only). */
    arch_range_t reserved[ARCH_BOOT_MAX_RANGES];
    unsigned reserved_count;
    /* Device memory the arch needs in the direct map (uncached), e.g. a riscv UART. */
    arch_range_t mmio[ARCH_BOOT_MAX_RANGES];
    unsigned mmio_count;
    /* Inside RAM but taken: the kernel image, boot structures still in use. The archive is
     * below, separately. Frames here are never handed out. */
    arch_range_t used[ARCH_BOOT_MAX_RANGES];
    unsigned used_count;
    /* The cpio (newc) archive of user programs; len 0 when the boot loader gave none. */
    arch_range_t archive;
    /* Kernel command line, NUL-terminated, in kernel memory ("" when none). */
    const char *cmdline;
    /* Who booted us, for the report ("GRUB 2.06", "OpenSBI"). */
    const char *loader;
    /* Until arch_paging_enable(), physical memory below early_limit is reachable at
     * pa + early_offset (the bootstrap window); the kernel allocates boot frames there. */
    uint64_t early_offset;
    uint64_t early_limit;
} arch_boot_info_t;

/* Linker-script symbols every arch defines, page-aligned, as kernel virtual addresses
 * (physical = virtual - ARCH_KERNEL_VOFFSET). The kernel maps each with its own rights. */
extern char __kernel_text_start[], __kernel_text_end[];     /* read + execute */
extern char __kernel_rodata_start[], __kernel_rodata_end[]; /* read only */
extern char __kernel_data_start[], __kernel_data_end[];     /* read + write (data, bss) */
/* Inside the data range: a page left unmapped under the kernel stack (overflow guard). */
extern char __kernel_guard_start[], __kernel_guard_end[];

/* ------------------------------------------------------------------------------------ */
/* Console and machine control.                                                          */

/* Writes one byte to the boot console (COM1, SBI console); '\n' becomes "\r\n". */
void arch_console_putc(char c);

/* Stops the machine; under QEMU, exits it with status (0 = success). Interrupts off. */
_Noreturn void arch_halt(int status);

/* A free-running cycle counter (rdtsc, rdcycle/rdtime): for figures, not for time. */
uint64_t arch_cycles(void);

/* Waits for the next interrupt with interrupts enabled and returns after its handler
 * ran (the generic idle loop). */
void arch_idle(void);

/* ------------------------------------------------------------------------------------ */
/* Memory management unit.                                                               */

/* PT_FEAT_* flags describing this CPU's paging hardware (e.g. PT_FEAT_NO_GIGA), to be
 * or-ed into every pt_space_init of this machine. */
uint32_t arch_pt_features(void);

/* Switches to the kernel's own tables at root (built by generic code with libpt):
 * programs memory types (IA32_PAT), enables no-execute, global pages, PCID, SMEP/SMAP
 * where present. => the tables map the kernel image, its stack and the direct map. */
void arch_paging_enable(pt_paddr_t root);

/* How many address-space tags (PCIDs / ASIDs) this CPU has, 0 (the kernel's) included:
 * 1 when it has none. The kernel hands them out to spaces by generation (kernel/tag.h).
 * With 1, every user root gets tag 1 and the arch drops a user root's translations
 * whenever it is loaded after another root. */
uint32_t arch_tag_count(void);

/* Makes r describe the table tree at root_pa with address-space tag asid (0 is the
 * kernel's; below arch_tag_count(), or any id when that is 1). Its first load discards
 * whatever an earlier user of the same tag left in the TLB. => no other live root holds
 * that tag until r is initialised again or released (the kernel's allocator sees to it:
 * a root whose tag changed hands is initialised again before its next load). */
void arch_root_init(arch_root_t *r, pt_paddr_t root_pa, uint16_t asid);

/* Makes r the translation in use (CR3 / satp), keeping its TLB entries when the CPU
 * tags them (PCID / ASID). => r stays valid while it is loaded. */
void arch_root_load(arch_root_t *r);

/* r will not be loaded again: forget its TLB entries, so its id can be reused.
 * => r is not the loaded root. */
void arch_root_release(arch_root_t *r);

/* Invalidates what f says changed in r (pt_flush_t semantics: nothing when f->leaves and
 * f->tables are 0; the range page by page, or everything of r when f->all or the range is
 * long). Works whether or not r is loaded. The kernel's root (id 0) holds global mappings
 * cached under every id, so its flushes reach every id. Call before releasing f's
 * deferred tables. */
void arch_tlb_flush(arch_root_t *r, const pt_flush_t *f);

/* Makes instruction fetch on this CPU see every store made before the call: code that user
 * mode (mmserver) wrote through the data side is executed only after this (RISC-V:
 * fence.i, since fetch is not coherent with stores; x86: nothing, fetch is coherent). With
 * SMP, other harts need a shootdown as well. */
void arch_icache_sync(void);

/* ------------------------------------------------------------------------------------ */
/* User threads: registers, syscalls, entering user mode.                                */

/* Sets r to start a user thread at pc with stack pointer sp and arg in the first
 * argument register, interrupts enabled, every other register zero. => r is where the
 * thread's registers stay for its whole life (x86_64 checks their alignment here once). */
void arch_regs_init_user(arch_regs_t *r, uint64_t pc, uint64_t sp, uint64_t arg);

/* Argument words of a syscall: a message syscall's slot, info word and its IPC_MSG_REGS
 * register words (ipc/ipc.h); other syscalls use the first six. */
#define ARCH_SYSCALL_ARGS 8u

/* The syscall number and argument i (0..5) of a thread stopped in a syscall. */
uint64_t arch_syscall_nr(const arch_regs_t *r);
uint64_t arch_syscall_arg(const arch_regs_t *r, unsigned i);

/* All ARCH_SYSCALL_ARGS argument words at once (the syscall path reads them for every
 * call). The registers are the arch's (ipc/README.md, "IPC registers"): x86_64 rdi rsi rdx
 * r10 r8 r9 r12 r13; riscv64 a0..a6 and t1. */
void arch_syscall_args(const arch_regs_t *r, uint64_t a[ARCH_SYSCALL_ARGS]);

/* Sets what the thread sees when its syscall returns: an ipc_err_t and a value. */
void arch_syscall_set_result(arch_regs_t *r, uint64_t err, uint64_t value);

/* Sets what a thread sees when its IPC syscall returns a message (ipc/ipc.h): the error
 * and ARCH_SYSCALL_ARGS words, out[0] the badge, out[1] the info word, out[2..7] message
 * words 0..5. The registers are the arch's (ipc/README.md, "IPC registers"): x86_64 rax
 * and rdi rsi rdx r10 r8 r9 r12 r13 (the argument registers: the fast path's message stays
 * where the sender put it); riscv64 a0 and a1..a7, t1. */
void arch_ipc_set_out(arch_regs_t *r, uint64_t err, const uint64_t out[ARCH_SYSCALL_ARGS]);

/* Lets user mode read the cycle counter arch_cycles reads (the benchmarks read it around
 * their syscalls, as sel4bench does): nothing on x86_64 (rdtsc is allowed while CR4.TSD
 * is clear), scounteren on riscv64. */
void arch_user_counters_allow(void);

/* Prints r (all registers) on the console, one report block: lines of
 * "  name 0123456789abcdef ..." (16 hex digits). An exception in the kernel prints a line
 * starting "*** KERNEL EXCEPTION", such a dump, and calls kern_panic: tests/qemu checks
 * exactly that (qemu_kernel_panic). */
void arch_regs_dump(const arch_regs_t *r);

/* Enters user mode with the registers r. Resets the kernel stack; never returns here: the
 * next kernel entry starts afresh and saves into the frame given to arch_user_enter. */
_Noreturn void arch_user_enter(arch_regs_t *r);

/* Starts the periodic timer interrupt that drives preemption (kern_timer_tick). */
void arch_timer_start(unsigned hz);

/* ------------------------------------------------------------------------------------ */
/* Upcalls: implemented by the generic kernel, called by the arch.                       */

/* A user fault, decoded by the arch. */
typedef struct arch_fault {
    uint32_t kind;    /* ipc_fault_kind_t */
    uint32_t access;  /* IPC_ACCESS_* for page faults, else 0 */
    uint64_t vector;  /* x86 vector, riscv scause */
    uint64_t code;    /* x86 error code, riscv 0 */
    uint64_t pc;      /* faulting instruction */
    uint64_t addr;    /* page faults: the address (cr2, stval); else 0 */
    const char *name; /* "#PF", "#GP", "load page fault" */
} arch_fault_t;

/* The generic kernel starts here, on the kernel stack, interrupts off, traps installed,
 * console ready, still on the bootstrap tables. */
_Noreturn void kern_main(arch_boot_info_t *bi);

/* The current thread made a syscall; r are its saved registers. */
void kern_syscall(arch_regs_t *r);

/* The current thread took an exception in user mode. */
void kern_user_fault(const arch_fault_t *f);

/* A timer interrupt arrived (from user mode or from arch_idle). */
void kern_timer_tick(void);

/* Leaves the kernel: picks the thread to run and enters it (arch_user_enter). */
_Noreturn void kern_return_to_user(void);

/* Formatted console output: %s %c %d %u %x %p, with l / ll / z size prefixes. */
void kern_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kern_vprintf(const char *fmt, va_list ap);

/* An invariant broke or the kernel itself faulted: prints the reason and stops the
 * machine with a failure status. */
_Noreturn void kern_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
