/*
 * Survivor: keeps running, yielding, while the faulting programs around it are killed,
 * and checks its own stack and data are intact at the end.
 */
#include "test.h"

static volatile uint64_t counter;

/* Yields 100 times, counting in data and on the stack. */
int main(void) {
    volatile uint64_t local = 0;
    for (int i = 0; i < 100; i++) {
        counter++;
        local++;
        ipc_yield();
    }
    if (counter != 100 || local != 100) {
        ipc_printf("  survivor: counters %llu and %llu, expected 100\n",
                   (unsigned long long)counter, (unsigned long long)local);
        return 1;
    }
    return 0;
}
