/*
 * The recording log shared by the host tests of the arch MMU code (test_x86_mmu.c,
 * test_riscv_mmu.c): each fake privileged instruction appends one hw_op_t (its kind and up to
 * three operands), and a test compares what was logged since a mark with the instructions the
 * architecture's manual asks for, naming both as assembly through the test's own op_text.
 * Also the kern_panic those copies of mmu.c call: inside an armed setjmp it returns there,
 * anywhere else it fails the test. Each test is its own program, so these are its own.
 */
#pragma once

#include <arch/arch.h> /* kern_panic's declaration first */
#include <criterion/criterion.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#define HW_LOG_MAX 256u

/* One logged instruction: its kind (the test's enum) and operands (unused ones 0). */
typedef struct hw_op {
    unsigned kind;
    uint64_t a, b, c;
} hw_op_t;

static struct {
    hw_op_t op[HW_LOG_MAX];
    unsigned n;
} hw_log;

static jmp_buf panic_jump;
static bool panic_armed;

/* op as the assembly it stands for, in buf (defined by each test). */
static const char *op_text(const hw_op_t *op, char *buf, size_t size);

/* Appends one instruction to the log. */
static void hw_record(unsigned kind, uint64_t a, uint64_t b, uint64_t c) {
    cr_assert(hw_log.n < HW_LOG_MAX, "instruction log full");
    hw_log.op[hw_log.n++] = (hw_op_t){kind, a, b, c};
}

/* See arch.h. A panic inside an armed setjmp returns there; anywhere else it fails the
 * test. */
void kern_panic(const char *fmt, ...) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (panic_armed) {
        panic_armed = false;
        longjmp(panic_jump, 1);
    }
    cr_assert_fail("kernel panic: %s", msg);
    __builtin_unreachable();
}

/* Asserts the instructions since mark are exactly want[0..n), in that order; what names
 * the step, manual the document the expected ones come from. */
static void hw_expect(unsigned mark, const hw_op_t *want, size_t n, const char *what,
                      const char *manual) {
    char got_s[64], want_s[64];
    size_t got = hw_log.n - mark;
    for (size_t i = 0; i < got || i < n; i++) {
        const hw_op_t *g = i < got ? &hw_log.op[mark + i] : NULL;
        const hw_op_t *w = i < n ? &want[i] : NULL;
        cr_assert(g && w && g->kind == w->kind && g->a == w->a && g->b == w->b && g->c == w->c,
                  "%s: instruction %zu of %zu is '%s', the %s wants '%s' (%zu of them)", what,
                  i + 1, got, g ? op_text(g, got_s, sizeof(got_s)) : "(none)", manual,
                  w ? op_text(w, want_s, sizeof(want_s)) : "(none)", n);
    }
}
