/*
 * Preemption keeps registers: a long register-only computation, done twice, never yields;
 * the timer takes the CPU away many times in between (with the other preempt_* program running the
 * same). Both runs must agree: a register lost or mixed up on an interrupt would show.
 */
#include "test.h"

#define ROUNDS 16000000u

/* A register-heavy mix of n rounds from seed; different values in many registers. */
static uint64_t churn(uint64_t seed, uint32_t n) {
    uint64_t a = seed, b = ~seed, c = seed * 3, d = seed ^ 0x5555, e = 7, f = 11;
    for (uint32_t i = 0; i < n; i++) {
        a = a * 6364136223846793005ull + 1442695040888963407ull;
        b ^= a >> 17;
        c += b * 31;
        d = (d << 7) | (d >> 57);
        d ^= c;
        e += d & 0xff;
        f ^= e + a;
        __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f));
    }
    return a ^ b ^ c ^ d ^ e ^ f;
}

/* Runs churn twice and compares. */
int main(void) {
    uint64_t first = churn(PREEMPT_SEED, ROUNDS);
    uint64_t second = churn(PREEMPT_SEED, ROUNDS);
    if (first != second) {
        ipc_printf("  runs disagree: 0x%llx vs 0x%llx\n", (unsigned long long)first,
                   (unsigned long long)second);
        return 1;
    }
    return 0;
}
