/*
 * The `make run` demo: ping and pong are built from this file with different names and
 * values. Both keep a counter at the same virtual address, each in its own address space,
 * and take turns printing it.
 */
#include <ipc/user.h>

static volatile uint64_t counter = DEMO_START;

/* Prints three rounds, yielding between them. */
int main(void) {
    int local = 0;
    for (int round = 1; round <= 3; round++) {
        ipc_printf("%s: round %d, counter at %p = %llu, stack near %p\n", DEMO_NAME, round,
                   (void *)&counter, (unsigned long long)counter, (void *)&local);
        counter++;
        ipc_yield();
    }
    ipc_printf("%s: done\n", DEMO_NAME);
    return 0;
}
