/*
 * The wild demo: a write to an address no region covers. The kernel sends the fault to
 * mmserver, which finds no region there and ends the process; the other programs go on.
 * The test runner, which started it, expects exactly that end (a write page fault) and
 * counts it as passed.
 */
#include "demo_mm.h"

#define UNMAPPED 0x70000000ull

/* Lets the others start, then takes the write fault. */
int main(void) {
    ipc_yield();
    ipc_yield();
    ipc_printf("wild: writing to %p, where nothing is mapped: mmserver will end me\n",
               (void *)(uintptr_t)UNMAPPED);
    *(volatile uint64_t *)(uintptr_t)UNMAPPED = 1;
    ipc_puts("wild: FAILED the wild write returned\n");
    return 1;
}
