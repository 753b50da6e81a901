/*
 * riscv64 preemption timer: the SBI timer (TIME extension, or the legacy set_timer call on
 * an SBI without it) compared against the time CSR, whose rate the device tree gives
 * (/cpus timebase-frequency). The timer interrupt is one-shot, so each one re-arms it.
 */
#include "riscv.h"

static uint64_t period;   /* time CSR ticks between interrupts */
static bool has_time_ext; /* SBI TIME extension present */

/* The time CSR (unpriv. "Zicntr"): wall-clock ticks at timebase_hz. */
static uint64_t read_time(void) {
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* Asks the SBI for a timer interrupt at time `when`; this also clears a pending one. */
static void set_timer(uint64_t when) {
    if (has_time_ext) {
        rv_sbi_call(SBI_EXT_TIME, 0, when, 0, 0);
    } else {
        rv_sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, when, 0, 0);
    }
}

/* See riscv.h. Counted from now, not from the missed deadline, so a slow guest (TCG)
 * never owes a burst of ticks. */
void rv_timer_rearm(void) {
    set_timer(read_time() + period);
}

/* See arch.h. */
void arch_timer_start(unsigned hz) {
    if (hz == 0 || rv_platform.timebase_hz / hz == 0) {
        kern_panic("timer: %u Hz with a %llu Hz timebase", hz,
                   (unsigned long long)rv_platform.timebase_hz);
    }
    period = rv_platform.timebase_hz / hz;
    has_time_ext = rv_sbi_probe(SBI_EXT_TIME);
    rv_timer_rearm();
    RV_CSR_SET(sie, RV_SIE_STIE);
}
