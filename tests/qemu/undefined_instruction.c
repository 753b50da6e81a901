/* An undefined instruction is an illegal-instruction fault. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    test_undefined();
    ipc_puts("  still running after the fault\n");
    return 1;
}
