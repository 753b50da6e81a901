/* Jumping to an unmapped address is an instruction-fetch page fault. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    void (*f)(void) = (void (*)(void))(uintptr_t)0x7000000000ull;
    f();
    ipc_puts("  still running after the fault\n");
    return 1;
}
