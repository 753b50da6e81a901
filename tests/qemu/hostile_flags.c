/*
 * User code sets every processor flag it may that could trip the kernel (x86: NT, AC, DF)
 * and then enters the kernel by syscall, again and again, while other threads come and go.
 * The kernel must clear them on entry: with NT left set, its next iretq would fault.
 */
#include "test.h"

/* Enters the kernel 20 times with the flags set; each yield runs other threads. */
int main(void) {
    for (int i = 0; i < 20; i++) {
        test_set_hostile_flags();
        ipc_syscall(IPC_SYS_YIELD, 0, 0, 0, 0, 0, 0);
        test_clear_hostile_flags();
    }
    return 0;
}
