/* The first pages are unmapped: reading through a null pointer is a page fault. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    ipc_printf("  *0 = %d\n", *(volatile int *)(uintptr_t)0);
    ipc_puts("  still running after the fault\n");
    return 1;
}
