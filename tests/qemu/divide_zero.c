/* Integer division by zero is an arithmetic fault. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    test_expect(IPC_FAULT_ARITH);
    test_divide_by_zero();
    ipc_puts("  still running after the fault\n");
    return 1;
}
