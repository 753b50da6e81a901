/* Writing kernel memory from user mode is a page fault and changes nothing. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    *(volatile uint64_t *)TEST_KERNEL_ADDRESS = 0xbad;
    ipc_puts("  still running after the fault\n");
    return 1;
}
