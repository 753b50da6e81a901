/*
 * The outcome report. Every program's end is recorded here. In test mode (kernel command
 * line word "test") each end is judged against what the program declared
 * (IPC_SYS_TEST_EXPECT: "I am about to die of this fault"; otherwise it must exit 0) and
 * printed as `test NAME: OK` or `test NAME: FAILED reason`; when no thread is left the run
 * ends with the line `N passed, N failed` and the machine stops with status 0 only when
 * nothing failed. Outside test mode the machine stops with status 0 when every program
 * exited 0.
 *
 * The judge lives in the kernel only until IPC exists: with issue 5 a test-runner process
 * receives the fault messages and judges instead.
 */
#include "kern.h"

const char *kern_fault_kind_name(uint32_t k);
const char *kern_fault_access_name(uint32_t access);

static bool test_mode;
static unsigned passed, failed;

/* See kern.h. */
void kern_report_test_mode(void) {
    test_mode = true;
}

/* Prints the verdict for t and counts it. why == NULL means OK. */
static void verdict(const kern_thread_t *t, const char *why, const char *detail) {
    if (!test_mode) {
        failed += why ? 1 : 0;
        passed += why ? 0 : 1;
        return;
    }
    if (!why) {
        passed++;
        kern_printf("test %s: OK\n", t->name);
        return;
    }
    failed++;
    kern_printf("test %s: FAILED %s%s\n", t->name, why, detail);
}

/* See kern.h. */
void kern_report_check(const char *name, const char *why) {
    kern_thread_t named = {0};
    kern_copy_name(named.name, name, KERN_NAME_MAX);
    verdict(&named, why, "");
}

/* See kern.h. */
void kern_report_spawn_failed(const char *name, const char *why) {
    kern_printf("[kern] %s: not started: %s\n", name, why);
    failed++;
    if (test_mode) {
        kern_printf("test %s: FAILED not started: %s\n", name, why);
    }
}

/* See kern.h. */
void kern_report_exit(kern_thread_t *t, uint64_t status) {
    kern_printf("[kern] '%s' exited with status %lld\n", t->name, (long long)status);
    if (t->expect_fault != IPC_FAULT_NONE) {
        verdict(t, "exited instead of taking a fault of kind ",
                kern_fault_kind_name(t->expect_fault));
    } else if (status != 0) {
        verdict(t, "exited with a non-zero status", "");
    } else {
        verdict(t, NULL, "");
    }
}

/* Judges t's end by a fault of kind and access against what t declared. */
static void judge_fault(kern_thread_t *t, uint32_t kind, uint32_t access) {
    if (t->expect_fault == IPC_FAULT_NONE) {
        verdict(t, "killed by an unexpected fault of kind ", kern_fault_kind_name(kind));
    } else if (t->expect_fault != kind) {
        verdict(t, "killed by a fault of the wrong kind: ", kern_fault_kind_name(kind));
    } else if (t->expect_access && t->expect_access != access) {
        verdict(t, "page fault with the wrong access: ", kern_fault_access_name(access));
    } else {
        verdict(t, NULL, "");
    }
}

/* See kern.h. */
void kern_report_fault(kern_thread_t *t, const arch_fault_t *f) {
    judge_fault(t, f->kind, f->access);
}

/* See kern.h. A thread its fault handler killed is judged by the fault it is in now; one
 * killed without a fault pending is a failure, whatever faults it had answered earlier. */
void kern_report_killed(kern_thread_t *t) {
    uint32_t kind, access;
    if (!kern_tcb_pending_fault(&t->tcb, &kind, &access)) {
        verdict(t, "killed through its thread capability", "");
        return;
    }
    judge_fault(t, kind, access);
}

/* See kern.h. The root serves forever: waiting is its normal end. */
void kern_report_blocked(kern_thread_t *t, const char *how) {
    kern_printf("[kern] '%s' still %s\n", t->name, how);
    if (!t->root) {
        verdict(t, "never ended: still ", how);
    }
}

/* See kern.h. */
_Noreturn void kern_report_finish(void) {
    kern_printf("[kern] no thread left; %llu preemptions by the timer\n",
                (unsigned long long)kern_preemptions());
    if (test_mode) {
        kern_printf("%u passed, %u failed\n", passed, failed);
    } else {
        kern_printf("[kern] all programs ended: %u succeeded, %u failed\n", passed, failed);
    }
    arch_halt(failed || passed == 0 ? 1 : 0);
}
