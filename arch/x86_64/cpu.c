/*
 * x86_64 processor set-up: feature probe, GDT with the TSS, IDT, syscall MSRs, and the
 * boot entry from boot.S that ties the arch together before calling kern_main.
 */
#include "x86.h"

x86_features_t x86_features;

/* A separate stack for faults that must not trust the kernel stack (#DF, NMI, #MC run on
 * IST1, SDM 3A 6.14.5). The kernel stack itself is in entry.S. */
#define IST_SIZE (4u * 1024u)
__attribute__((aligned(16))) static char ist1_stack[IST_SIZE];

/* Segment descriptor bits (SDM 3A 3.4.5). */
#define DESC_LIMIT_LOW  0xffffull
#define DESC_TYPE_CODE  (0xaull << 40) /* execute/read */
#define DESC_TYPE_DATA  (0x2ull << 40) /* read/write */
#define DESC_TYPE_TSS   (0x9ull << 40) /* available 64-bit TSS (system) */
#define DESC_S          (1ull << 44)   /* code or data (not system) */
#define DESC_DPL3       (3ull << 45)
#define DESC_P          (1ull << 47)
#define DESC_LIMIT_HIGH (0xfull << 48)
#define DESC_L          (1ull << 53) /* 64-bit code */
#define DESC_DB         (1ull << 54) /* 32-bit default (data: big) */
#define DESC_G          (1ull << 55) /* 4 KiB limit granularity */
#define DESC_FLAT       (DESC_LIMIT_LOW | DESC_LIMIT_HIGH | DESC_G | DESC_S | DESC_P)

x86_tss_t x86_tss;
static uint64_t gdt[7] = {
    0,
    DESC_FLAT | DESC_TYPE_CODE | DESC_L,              /* 0x08 kernel code */
    DESC_FLAT | DESC_TYPE_DATA | DESC_DB,             /* 0x10 kernel data */
    DESC_FLAT | DESC_TYPE_DATA | DESC_DB | DESC_DPL3, /* 0x18 user data */
    DESC_FLAT | DESC_TYPE_CODE | DESC_L | DESC_DPL3,  /* 0x20 user code */
    0,
    0, /* 0x28 TSS, two slots */
};

/* IDT gate (SDM 3A 6.14.1, figure 6-8), as two words. */
#define GATE_INTERRUPT (0xeull << 40) /* interrupt gate: clears IF */
#define GATE_DPL3      (3ull << 45)   /* int3 from user mode reaches #BP, not #GP */
#define GATE_P         (1ull << 47)
#define GATE_IST_SHIFT 32
static uint64_t idt[256][2];

typedef struct __attribute__((packed)) x86_table_ptr {
    uint16_t limit;
    uint64_t base;
} x86_table_ptr_t;

/* Reads the CPUID bits the kernel relies on into x86_features. */
void x86_cpu_probe(void) {
    uint32_t r[4];
    x86_cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    x86_cpuid(1, 0, r);
    x86_features.pcid = (r[2] >> 17) & 1;
    x86_features.pge = (r[3] >> 13) & 1;
    if (max_leaf >= 7) {
        x86_cpuid(7, 0, r);
        x86_features.smep = (r[1] >> 7) & 1;
        x86_features.invpcid = (r[1] >> 10) & 1;
        x86_features.smap = (r[1] >> 20) & 1;
        x86_features.umip = (r[2] >> 2) & 1;
    }
    x86_cpuid(0x80000001u, 0, r);
    x86_features.nx = (r[3] >> 20) & 1;
    x86_features.giga = (r[3] >> 26) & 1;
}

/* Fills the two GDT slots of a 64-bit TSS descriptor at index i (SDM 3A 7.2.3). */
static void gdt_set_tss(unsigned i, const x86_tss_t *t) {
    uint64_t base = (uint64_t)(uintptr_t)t;
    uint64_t limit = sizeof(*t) - 1;
    gdt[i] = (limit & 0xffff) | ((base & 0xffffff) << 16) | DESC_TYPE_TSS | DESC_P |
             (((base >> 24) & 0xff) << 56);
    gdt[i + 1] = base >> 32;
}

/* Loads the kernel's GDT and TSS and reloads every segment register. Entries from user
 * mode land on the kernel stack (rsp0); #DF, NMI, #MC on IST1. */
void x86_gdt_init(void) {
    x86_tss.rsp[0] = (uint64_t)(uintptr_t)arch_boot_stack_top;
    x86_tss.ist[0] = (uint64_t)(uintptr_t)(ist1_stack + IST_SIZE);
    x86_tss.iomap_base = sizeof(x86_tss);
    gdt_set_tss(X86_SEL_TSS / 8, &x86_tss);
    x86_table_ptr_t p = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n"
                     "pushq %1\n"
                     "leaq 1f(%%rip), %%rax\n"
                     "pushq %%rax\n"
                     "lretq\n"
                     "1:\n"
                     "mov %2, %%ds\n"
                     "mov %2, %%es\n"
                     "mov %2, %%ss\n"
                     "mov %3, %%fs\n"
                     "mov %3, %%gs\n"
                     "ltr %4\n"
                     :
                     : "m"(p), "i"((uint64_t)X86_SEL_KCODE), "r"((uint16_t)X86_SEL_KDATA),
                       "r"((uint16_t)0), "r"((uint16_t)X86_SEL_TSS)
                     : "rax", "memory");
}

/* Points IDT entry v at handler, through the kernel code segment. */
static void idt_set(unsigned v, uint64_t handler, unsigned ist, bool user) {
    idt[v][0] = (handler & 0xffff) | ((uint64_t)X86_SEL_KCODE << 16) |
                ((uint64_t)ist << GATE_IST_SHIFT) | GATE_INTERRUPT | GATE_P |
                (user ? GATE_DPL3 : 0) | (((handler >> 16) & 0xffff) << 48);
    idt[v][1] = handler >> 32;
}

/* Installs the IDT: the first 48 vectors have their own stub, the rest a default. */
void x86_idt_init(void) {
    for (unsigned v = 0; v < 256; v++) {
        idt_set(v, (uint64_t)(uintptr_t)x86_default_stub, 0, false);
    }
    for (unsigned v = 0; v < X86_VEC_COUNT; v++) {
        bool ist = v == X86_VEC_DF || v == X86_VEC_NMI || v == X86_VEC_MC;
        idt_set(v, x86_vector_stubs[v], ist ? 1 : 0, v == X86_VEC_BP);
    }
    x86_table_ptr_t p = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}

/* Enables syscall/sysret (SDM 3A 5.8.8): entry point, selectors, and the flags cleared on
 * entry (IF so the kernel runs with interrupts off; TF, DF, AC, NT so user state cannot
 * leak into the kernel: a user-set NT would make the kernel's next iretq fault). */
void x86_syscall_init(void) {
    x86_wrmsr(X86_MSR_STAR, ((uint64_t)(X86_SEL_KDATA) << 48) | ((uint64_t)X86_SEL_KCODE << 32));
    x86_wrmsr(X86_MSR_LSTAR, (uint64_t)(uintptr_t)x86_syscall_entry);
    x86_wrmsr(X86_MSR_FMASK,
              X86_RFLAGS_IF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_AC | X86_RFLAGS_NT);
    x86_wrmsr(X86_MSR_EFER, x86_rdmsr(X86_MSR_EFER) | X86_EFER_SCE);
}

/* See arch.h. Under QEMU the isa-debug-exit device (port 0xf4) ends the emulator with
 * (status << 1) | 1; elsewhere the CPU just stops. */
_Noreturn void arch_halt(int status) {
    x86_outb(0xf4, (uint8_t)status);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

/* See arch.h. */
uint64_t arch_cycles(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* See arch.h. sti delays interrupts by one instruction, so no interrupt slips in between
 * sti and hlt and the wait cannot miss its wake-up. */
void arch_idle(void) {
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}

static arch_boot_info_t boot_info;

/* Says which of the CPU features the kernel uses are present. */
static void report_features(void) {
    const x86_features_t *f = &x86_features;
    kern_printf("[x86] CPU features:%s%s%s%s%s%s%s\n", f->giga ? " 1gb-pages" : "",
                f->pcid ? " pcid" : "", f->invpcid ? " invpcid" : "", f->smep ? " smep" : "",
                f->smap ? " smap" : "", f->umip ? " umip" : "", f->nx ? " nx" : "");
}

/* Called by boot.S on the kernel stack in the higher half with the Multiboot2 magic and
 * the physical address of the boot information. Sets up the CPU, decodes the boot
 * information, and hands over to the generic kernel. */
_Noreturn void arch_x86_64_start(uint32_t magic, uint64_t info_pa) {
    x86_console_init();
    x86_cpu_probe();
    x86_gdt_init();
    x86_idt_init();
    x86_syscall_init();
    report_features();
    x86_multiboot_parse(magic, info_pa, &boot_info);
    kern_main(&boot_info);
}
