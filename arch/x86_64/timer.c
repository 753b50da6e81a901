/*
 * x86_64 preemption timer: the 8254 PIT on IRQ 0 through the legacy 8259A PIC, remapped to
 * vectors 32..47. Port I/O only, so it needs no mapping and works the same under TCG and
 * KVM. (The local APIC timer replaces it when the kernel goes SMP.)
 */
#include "x86.h"

#define PIC1_CMD      0x20u
#define PIC1_DATA     0x21u
#define PIC2_CMD      0xa0u
#define PIC2_DATA     0xa1u
#define PIC_ICW1_INIT 0x11u /* edge-triggered, cascade, ICW4 follows */
#define PIC_ICW4_8086 0x01u
#define PIC_OCW3_ISR  0x0bu /* next read of the command port returns the ISR */
#define PIC_EOI       0x20u

#define PIT_CH0      0x40u
#define PIT_CMD      0x43u
#define PIT_CH0_RATE 0x34u /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
#define PIT_HZ       1193182u

/* Remaps the PICs to vectors 32..47 and masks every line but IRQ 0 (the timer). */
static void pic_init(void) {
    x86_outb(PIC1_CMD, PIC_ICW1_INIT);
    x86_outb(PIC2_CMD, PIC_ICW1_INIT);
    x86_outb(PIC1_DATA, X86_VEC_IRQ_BASE);
    x86_outb(PIC2_DATA, X86_VEC_IRQ_BASE + 8);
    x86_outb(PIC1_DATA, 4); /* slave on IRQ 2 */
    x86_outb(PIC2_DATA, 2); /* slave identity */
    x86_outb(PIC1_DATA, PIC_ICW4_8086);
    x86_outb(PIC2_DATA, PIC_ICW4_8086);
    x86_outb(PIC1_DATA, 0xfe);
    x86_outb(PIC2_DATA, 0xff);
}

/* Whether IRQ line irq (0..7) of the master PIC is in service (not spurious). */
bool x86_pic_in_service(unsigned irq) {
    x86_outb(PIC1_CMD, PIC_OCW3_ISR);
    return (x86_inb(PIC1_CMD) >> irq) & 1;
}

/* Ends the interrupt of IRQ line irq (0..15). */
void x86_pic_eoi(uint64_t irq) {
    if (irq >= 8) {
        x86_outb(PIC2_CMD, PIC_EOI);
    }
    x86_outb(PIC1_CMD, PIC_EOI);
}

/* See arch.h. */
void arch_timer_start(unsigned hz) {
    uint32_t divisor = PIT_HZ / hz;
    if (divisor == 0 || divisor > 0xffff) {
        kern_panic("timer: %u Hz out of the PIT's range", hz);
    }
    pic_init();
    x86_outb(PIT_CMD, PIT_CH0_RATE);
    x86_outb(PIT_CH0, (uint8_t)divisor);
    x86_outb(PIT_CH0, (uint8_t)(divisor >> 8));
}
