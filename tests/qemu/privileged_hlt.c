/* A privileged instruction (hlt) in user mode is a protection fault. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    test_privileged_halt();
    ipc_puts("  still running after the fault\n");
    return 1;
}
