/*
 * Integer division by zero: an arithmetic fault where the ISA traps (x86 #DE). Where it
 * does not (RISC-V: the quotient is all ones, unprivileged spec 13.2), the program checks
 * that defined result instead and goes on.
 */
#include "test.h"

/* Divides by zero, expecting the fault or the ISA's defined quotient. */
int main(void) {
    uint64_t q = test_divide_by_zero();
    if (TEST_DIVIDE_TRAPS) {
        ipc_puts("  still running after the fault\n");
        return 1;
    }
    if (q != ~0ull) {
        ipc_printf("  1 / 0 gave 0x%llx, expected all ones\n", (unsigned long long)q);
        return 1;
    }
    return 0;
}
