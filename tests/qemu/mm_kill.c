/*
 * A write outside every region: the kernel sends the fault to mmserver, which finds no
 * region there, destroys the thread (MMPRIV_SYS_THREAD_DESTROY) and reclaims the space.
 * The kernel's verdict is the declared page fault; the other programs go on.
 */
#include "test.h"

#define UNMAPPED 0x70000000ull

/* Declares the write fault, then takes it. */
int main(void) {
    *(volatile uint64_t *)(uintptr_t)UNMAPPED = 1;
    ipc_puts("test mm_kill: FAILED the write to an unmapped range returned\n");
    return 1;
}
