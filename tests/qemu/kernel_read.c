/* Reading kernel memory from user mode is a page fault (the kernel half lacks the user bit). */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    ipc_printf("  read 0x%llx\n", (unsigned long long)*(volatile uint64_t *)TEST_KERNEL_ADDRESS);
    ipc_puts("  still running after the fault\n");
    return 1;
}
