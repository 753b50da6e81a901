/* Code is never writable (W^X): writing to our own text is a page fault. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    *(volatile uint8_t *)(uintptr_t)&main = TEST_RET_INSTRUCTION;
    ipc_puts("  still running after the fault\n");
    return 1;
}
