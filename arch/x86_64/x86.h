/*
 * x86_64 private definitions: register bits as named masks (Intel SDM volume 3A section
 * beside each group), segment selectors, MSRs, and one-instruction helpers. Only files in
 * arch/x86_64 include this.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <arch/arch.h>

/* Segment selectors; the order is fixed by syscall/sysret (SDM 3A 5.8.8): STAR[47:32] is
 * the kernel CS with SS = CS + 8; STAR[63:48] + 8 is the user SS, + 16 the user CS. */
#define X86_SEL_KCODE 0x08u
#define X86_SEL_KDATA 0x10u
#define X86_SEL_UDATA 0x1bu /* 0x18 | RPL 3 */
#define X86_SEL_UCODE 0x23u /* 0x20 | RPL 3 */
#define X86_SEL_TSS   0x28u

/* Control registers (SDM 3A 2.5). */
#define X86_CR4_PGE     (1ull << 7)  /* global pages */
#define X86_CR4_OSFXSR  (1ull << 9)  /* SSE state with fxsave */
#define X86_CR4_UMIP    (1ull << 11) /* sgdt/sidt/... fault in ring 3 */
#define X86_CR4_PCIDE   (1ull << 17) /* process-context identifiers */
#define X86_CR4_SMEP    (1ull << 20) /* no kernel execution of user pages */
#define X86_CR4_SMAP    (1ull << 21) /* no kernel data access to user pages */
#define X86_CR3_NOFLUSH (1ull << 63) /* PCID: keep this PCID's TLB entries (SDM 3A 4.10.4.1) */
#define X86_CR3_PCID    0xfffull

/* MSRs (SDM 4, table 2-2). */
#define X86_MSR_EFER    0xc0000080u
#define X86_EFER_SCE    (1ull << 0)  /* syscall/sysret */
#define X86_EFER_NXE    (1ull << 11) /* execute-disable bit in entries */
#define X86_MSR_STAR    0xc0000081u
#define X86_MSR_LSTAR   0xc0000082u
#define X86_MSR_FMASK   0xc0000084u
#define X86_MSR_PAT     0x277u
#define X86_MSR_FS_BASE 0xc0000100u
#define X86_MSR_GS_BASE 0xc0000101u

/* RFLAGS (SDM 1, 3.4.3). */
#define X86_RFLAGS_IF       (1ull << 9)
#define X86_RFLAGS_TF       (1ull << 8)
#define X86_RFLAGS_DF       (1ull << 10)
#define X86_RFLAGS_NT       (1ull << 14) /* nested task: iretq in long mode #GPs with it */
#define X86_RFLAGS_AC       (1ull << 18)
#define X86_RFLAGS_IOPL     (3ull << 12) /* I/O privilege level: 0 for user threads */
#define X86_RFLAGS_RESERVED (1ull << 1)  /* always 1 */

/* Page-fault error code (SDM 3A 4.7). */
#define X86_PF_P    (1ull << 0) /* protection violation (else: not present) */
#define X86_PF_W    (1ull << 1) /* write access */
#define X86_PF_U    (1ull << 2) /* from ring 3 */
#define X86_PF_RSVD (1ull << 3) /* reserved bit set in an entry */
#define X86_PF_I    (1ull << 4) /* instruction fetch */

/* Vectors (SDM 3A 6.3.1). */
#define X86_VEC_DE           0
#define X86_VEC_DB           1
#define X86_VEC_NMI          2
#define X86_VEC_BP           3
#define X86_VEC_UD           6
#define X86_VEC_DF           8
#define X86_VEC_GP           13
#define X86_VEC_PF           14
#define X86_VEC_MF           16
#define X86_VEC_AC           17
#define X86_VEC_MC           18
#define X86_VEC_XM           19
#define X86_VEC_IRQ_BASE     32    /* legacy PIC remapped here */
#define X86_VEC_TIMER        32    /* IRQ 0: PIT */
#define X86_VEC_SPURIOUS     39    /* IRQ 7 */
#define X86_VEC_COUNT        48    /* vectors with their own stub */
#define ARCH_X86_VEC_SYSCALL 0x100 /* not a vector: marks a frame saved by syscall */

/* CPU features the kernel uses, read once from CPUID (arch_x86_cpu_probe). */
typedef struct x86_features {
    bool giga;    /* 1 GiB pages: CPUID 0x80000001 EDX[26] */
    bool nx;      /* execute disable: CPUID 0x80000001 EDX[20] */
    bool pcid;    /* CPUID 1 ECX[17] */
    bool invpcid; /* CPUID 7 EBX[10] */
    bool smep;    /* CPUID 7 EBX[7] */
    bool smap;    /* CPUID 7 EBX[20] */
    bool umip;    /* CPUID 7 ECX[2] */
    bool pge;     /* CPUID 1 EDX[13] */
} x86_features_t;

extern x86_features_t x86_features;

/* The top of the one kernel stack (every entry from user mode starts here). */
extern char arch_boot_stack_top[];

/* From entry.S. */
extern uint64_t x86_vector_stubs[X86_VEC_COUNT];
void x86_syscall_entry(void);
void x86_default_stub(void);
_Noreturn void x86_enter_iret(const arch_regs_t *r);
_Noreturn void x86_enter_sysret(const arch_regs_t *r);

/* From timer.c, for trap.c. */
bool x86_pic_in_service(unsigned irq);
void x86_pic_eoi(uint64_t irq);

/* Parts of the arch, called from arch_x86_64_start in order. */
void x86_console_init(void);
void x86_cpu_probe(void);
/* 64-bit TSS (SDM 3A 7.7, figure 7-11). No I/O bitmap: iomap_base past the end, so user
 * in/out instructions fault. */
typedef struct __attribute__((packed)) x86_tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} x86_tss_t;
_Static_assert(sizeof(x86_tss_t) == 104, "SDM 3A figure 7-11");
void x86_gdt_init(void);
/* The one TSS (cpu.c): rsp[0] is where an interrupt or exception from user mode pushes its
 * frame; arch_user_enter points it at the end of the entering thread's arch_regs_t. */
extern x86_tss_t x86_tss;
void x86_idt_init(void);
void x86_syscall_init(void);
void x86_multiboot_parse(uint32_t magic, uint64_t info_pa, arch_boot_info_t *bi);

/* Writes byte v to I/O port port. */
static inline void x86_outb(uint16_t port, uint8_t v) {
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

/* Reads a byte from I/O port port. */
static inline uint8_t x86_inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Reads model-specific register msr. */
static inline uint64_t x86_rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

/* Writes v to model-specific register msr. */
static inline void x86_wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* CPUID leaf/sub-leaf: r = {eax, ebx, ecx, edx}. */
static inline void x86_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

/* x86_read_crN() / x86_write_crN(v) for control register N; a write is a memory barrier
 * for the compiler, since it changes how memory is reached. */
#define X86_CR_ACCESSORS(n)                                                                        \
    static inline uint64_t x86_read_cr##n(void) {                                                  \
        uint64_t v;                                                                                \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                          \
        return v;                                                                                  \
    }                                                                                              \
    static inline void x86_write_cr##n(uint64_t v) {                                               \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                                 \
    }

X86_CR_ACCESSORS(0)
X86_CR_ACCESSORS(2)
X86_CR_ACCESSORS(3)
X86_CR_ACCESSORS(4)
