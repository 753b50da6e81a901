/*
 * Isolation: isolation_a and isolation_b are built from this file with different values.
 * Both keep a variable at the same virtual address; each writes its own value, yields to
 * the other, and checks that the value is still its own. Sharing memory would show.
 */
#include "test.h"

static volatile uint64_t slot = ISOLATION_VALUE;

/* Writes, yields, re-reads, 50 times. */
int main(void) {
    ipc_printf("  %s: slot at %p holds 0x%llx\n", ISOLATION_NAME, (void *)&slot,
               (unsigned long long)slot);
    for (uint64_t i = 0; i < 50; i++) {
        slot = ISOLATION_VALUE + i;
        ipc_yield();
        if (slot != ISOLATION_VALUE + i) {
            ipc_printf("  %s: slot changed to 0x%llx behind our back\n", ISOLATION_NAME,
                       (unsigned long long)slot);
            return 1;
        }
    }
    return 0;
}
