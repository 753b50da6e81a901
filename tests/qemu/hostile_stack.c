/*
 * A thread whose stack pointer is garbage (non-canonical) is preempted many times: the
 * kernel must save and restore it without using it (it never touches the user stack) and,
 * when the thread finally uses it, report an ordinary user fault.
 */
#include "test.h"

/* Spins with a bad stack pointer, then pushes through it. */
int main(void) {
    test_bad_stack_spin();
    return 1; /* not reached: the stack is gone */
}
