/* Data is never executable (W^X): running code copied to the stack is a page fault. */
#include "test.h"

/* Declares the expected fault, then commits it; reaching the end is a failure. */
int main(void) {
    uint8_t code[16];
    volatile uint8_t *p = code;
    p[0] = TEST_RET_INSTRUCTION;
    __asm__ volatile("" : : "r"(code) : "memory"); /* keep code on the stack */
    ipc_printf("  calling code at %p\n", (void *)code);
    ((void (*)(void))(uintptr_t)code)();
    ipc_puts("  still running after the fault\n");
    return 1;
}
