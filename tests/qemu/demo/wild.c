/*
 * The wild demo: a write to an address no region covers. The kernel sends the fault to
 * mmserver, which finds no region there and ends the process; the other programs go on.
 * The death is declared beforehand (IPC_SYS_TEST_EXPECT, as tests/qemu/mm_kill.c does),
 * so the kernel counts it as the expected end, not as a failure.
 */
#include "demo_mm.h"

#define UNMAPPED 0x70000000ull

/* Lets the others start, declares the write fault, then takes it. */
int main(void) {
    ipc_yield();
    ipc_yield();
    if (ipc_test_expect(IPC_FAULT_PAGE, IPC_ACCESS_WRITE) != IPC_OK) {
        ipc_puts("wild: could not declare the expected fault\n");
        return 2;
    }
    ipc_printf("wild: writing to %p, where nothing is mapped: mmserver will end me\n",
               (void *)(uintptr_t)UNMAPPED);
    *(volatile uint64_t *)(uintptr_t)UNMAPPED = 1;
    ipc_puts("wild: FAILED the wild write returned\n");
    return 1;
}
