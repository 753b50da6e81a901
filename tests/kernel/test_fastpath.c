/*
 * Issue 14: the IPC fast path (kernel/ipc_fast.c), the syscall entry's choice of it
 * (kernel/syscall.c) and the slow path behind it (kernel/ipc_sys.c), compiled unchanged. A
 * call needs the send right and a reply_recv the receive right on the capability they name,
 * whichever path takes them: with a partner waiting, a syscall through a capability
 * without the right must not reach the partner (no switch, nobody's state changed) and
 * must answer IPC_ERR_NO_RIGHTS. Every subset of the rights is tried; those with the right
 * are the control, and must switch to the partner on the fast path.
 */
#include <string.h>

#include "ktm.h"

#define EP      3u  /* the server's endpoint, all rights */
#define TRY     6u  /* the capability under test, in the caller's table */
#define CALLCAP 7u  /* the client's capability with every right (the reply_recv scenario) */
#define BADGE   77u /* the badge of the client's capabilities */
#define LABEL   5u

/* A server process and a client process, one thread each at priority 5. */
typedef struct fx {
    kern_space_t ss, cs;
    kern_thread_t s, c;
} fx_t;

/* Sets x up: an endpoint in the server's slot EP, the server's thread waiting on it (not
 * ready), the client's thread running (not queued), and the client holding CALLCAP. */
static void fx_init(fx_t *x) {
    memset(x, 0, sizeof(*x));
    ktm_thread(&x->s, &x->ss, 5, false);
    ktm_thread(&x->c, &x->cs, 5, false);
    cr_assert_eq(kern_ep_create(&x->ss.caps, EP), IPC_OK);
    cr_assert_eq(kern_cap_copy_to(&x->ss.caps, EP, &x->cs.caps, CALLCAP, IPC_RIGHTS_ALL, BADGE),
                 IPC_OK);
}

/* Puts a copy of the endpoint with rights into slot TRY of process p's table. */
static void fx_try_cap(fx_t *x, kern_space_t *p, uint8_t rights) {
    cr_assert_eq(kern_cap_copy_to(&x->ss.caps, EP, &p->caps, TRY, rights, BADGE), IPC_OK);
}

/* The syscall words of a register-only message through slot: label LABEL, two words. */
static void fx_words(uint64_t a[ARCH_SYSCALL_ARGS], uint64_t slot) {
    uint64_t w[ARCH_SYSCALL_ARGS] = {slot, ipc_info(LABEL, 2), 0x1111, 0x2222, 0, 0, 0, 0};
    memcpy(a, w, sizeof(w));
}

/* Runs syscall nr with words a as t through the kernel's entry, then what the return to
 * user mode writes to t's registers (kern_ipc_writeback); returns the thread it switched to
 * (NULL: it returned, and then its result is in t->regs). */
static kern_thread_t *fx_syscall(kern_thread_t *t, uint64_t nr,
                                 const uint64_t a[ARCH_SYSCALL_ARGS]) {
    kern_thread_t *to;
    t->regs = (arch_regs_t){.nr = nr};
    memcpy(t->regs.arg, a, sizeof(t->regs.arg));
    ktm_current = t;
    ktm_run(kern_syscall(&t->regs), to);
    if (!to) {
        kern_ipc_writeback(t);
    }
    return to;
}

/* Asserts no thread is left in the ready queues (a refused operation woke nobody). */
static void fx_none_ready(void) {
    cr_assert_null(kern_sched_choose(NULL, false), "a refused operation made a thread ready");
}

/* The server waits on its endpoint. */
static void fx_server_waits(fx_t *x) {
    cr_assert_eq(kern_ipc_recv(&x->s.tcb, EP), IPC_OK);
    cr_assert_eq(x->s.tcb.state, KERN_TCB_BLOCKED_RECV);
}

/* A call through a capability with rights while the server waits, through the kernel's
 * syscall entry. Returns whether the fast path took it (switched to the server); when it
 * did not, the slow path's answer must be the refusal, with the server still waiting. */
static bool call_with(uint8_t rights) {
    fx_t x;
    fx_init(&x);
    fx_try_cap(&x, &x.cs, rights);
    fx_server_waits(&x);
    uint64_t a[ARCH_SYSCALL_ARGS];
    fx_words(a, TRY);
    kern_thread_t *to = fx_syscall(&x.c, IPC_SYS_CALL, a);
    if (rights & IPC_RIGHT_SEND) {
        cr_assert_eq(to, &x.s, "rights %#x: the fast path switches to the waiting server", rights);
        cr_assert(x.s.regs.outs == 1 && x.s.regs.out[0] == BADGE && x.s.regs.out[1] == a[1] &&
                      x.s.regs.out[2] == a[2],
                  "the server's registers get badge, info and words");
        cr_assert_eq(x.s.tcb.reply_to, &x.c.tcb, "and a reply right to the client");
        cr_assert_eq(x.c.tcb.state, KERN_TCB_BLOCKED_REPLY);
        return true;
    }
    cr_assert_null(to, "rights %#x: a call without the send right reached the server", rights);
    cr_assert_eq(x.c.regs.err, IPC_ERR_NO_RIGHTS, "rights %#x: the call's answer is %llu", rights,
                 (unsigned long long)x.c.regs.err);
    cr_assert_eq(x.c.regs.results, 1, "the slow path answered once");
    cr_assert_eq(x.s.tcb.state, KERN_TCB_BLOCKED_RECV, "rights %#x: the server still waits",
                 rights);
    cr_assert(x.s.regs.outs == 0 && x.s.tcb.reply_to == NULL, "the server got nothing");
    cr_assert_eq(x.c.tcb.state, KERN_TCB_READY, "the client did not block");
    fx_none_ready();
    return false;
}

/* A reply_recv through a capability with rights, through the syscall entry, by a server
 * that holds a reply right to the client. Returns whether the fast path took it (switched
 * to the caller); when it did not, nobody was answered. */
static bool reply_recv_with(uint8_t rights) {
    fx_t x;
    fx_init(&x);
    fx_try_cap(&x, &x.ss, rights);
    fx_server_waits(&x);
    x.c.tcb.msg.info = ipc_info(LABEL, 0);
    cr_assert_eq(kern_ipc_call(&x.c.tcb, CALLCAP), IPC_OK, "the client calls");
    cr_assert_eq(kern_sched_choose(NULL, false), &x.s.tcb, "the server runs");
    cr_assert_eq(x.s.tcb.reply_to, &x.c.tcb);
    uint64_t a[ARCH_SYSCALL_ARGS];
    fx_words(a, TRY);
    kern_thread_t *to = fx_syscall(&x.s, IPC_SYS_REPLY_RECV, a);
    if (rights & IPC_RIGHT_RECV) {
        cr_assert_eq(to, &x.c, "rights %#x: the fast path switches to the caller", rights);
        cr_assert(x.c.regs.outs == 1 && x.c.regs.out[1] == a[1], "the caller gets the reply");
        cr_assert_eq(x.s.tcb.state, KERN_TCB_BLOCKED_RECV, "and the server waits again");
        return true;
    }
    cr_assert_null(to, "rights %#x: a reply_recv without the receive right reached the caller",
                   rights);
    cr_assert_eq(x.s.regs.err, IPC_ERR_NO_RIGHTS, "rights %#x: the reply_recv's answer is %llu",
                 rights, (unsigned long long)x.s.regs.err);
    cr_assert_eq(x.c.tcb.state, KERN_TCB_BLOCKED_REPLY, "rights %#x: the caller still waits",
                 rights);
    cr_assert(x.c.regs.outs == 0 && x.s.tcb.reply_to == &x.c.tcb, "nobody was answered");
    fx_none_ready();
    return false;
}

/* Runs scenario with every subset of the rights; those with right must take the fast path
 * (scenario returns true), the others must not (scenario checks the refusal). */
static void every_subset(bool (*scenario)(uint8_t rights), uint8_t right, const char *what) {
    unsigned fast = 0, want = 0;
    for (uint8_t rights = 0; rights <= IPC_RIGHTS_ALL; rights++) {
        fast += scenario(rights);
        want += (rights & right) != 0;
    }
    cr_assert_eq(fast, want, "%s: %u of %u subsets with the right took the fast path", what, fast,
                 want);
    cr_log_info("%s: all %u rights subsets; without the right: no switch, the partner still "
                "waits, the syscall answers no-rights",
                what, IPC_RIGHTS_ALL + 1);
}

Test(fastpath, call_needs_the_send_right) {
    every_subset(call_with, IPC_RIGHT_SEND, "fast call, send right");
}

Test(fastpath, reply_recv_needs_the_receive_right) {
    every_subset(reply_recv_with, IPC_RIGHT_RECV, "fast reply_recv, receive right");
}

/* The other doors of the fast path: a slot past the table, an empty slot, a thread
 * capability; each leaves to the slow path, whose answer is the lookup's error. */
Test(fastpath, other_capabilities_take_the_slow_path) {
    fx_t x;
    fx_init(&x);
    fx_server_waits(&x);
    kern_cap_t self = kern_cap_thread(&x.c.tcb);
    cr_assert_eq(kern_cap_insert(&x.cs.caps, TRY, &self), IPC_OK);
    static const struct {
        uint64_t slot;
        ipc_err_t want;
    } cases[] = {{IPC_CAP_SLOTS_MAX, IPC_ERR_INVALID_CAP},
                 {IPC_CAP_SLOTS_MAX - 1, IPC_ERR_INVALID_CAP},
                 {TRY, IPC_ERR_WRONG_CAP}};
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t a[ARCH_SYSCALL_ARGS];
        fx_words(a, cases[i].slot);
        cr_assert_null(fx_syscall(&x.c, IPC_SYS_CALL, a), "slot %llu: switched",
                       (unsigned long long)cases[i].slot);
        cr_assert_eq(x.c.regs.err, cases[i].want, "slot %llu: answer %llu",
                     (unsigned long long)cases[i].slot, (unsigned long long)x.c.regs.err);
        cr_assert_eq(x.s.tcb.state, KERN_TCB_BLOCKED_RECV);
    }
    cr_log_info("fast call through a slot past the table, an empty slot, a thread capability: "
                "slow path, refused, the server still waits");
}

/* A reply_recv to a thread that faulted (mmserver answering a page fault) takes the fast
 * path: it switches to the faulted thread, whose registers stay untouched (it re-runs the
 * faulting instruction), and the server waits again. With the fault flag ignored the
 * thread would get the reply's words in its registers. */
Test(fastpath, reply_to_a_fault_resumes_untouched) {
    fx_t x;
    fx_init(&x);
    fx_server_waits(&x);
    kern_tcb_set_fault_ep(&x.c.tcb, kt_slot(&x.cs.caps, CALLCAP));
    kern_ipc_fault_msg(&x.c.tcb.msg, IPC_FAULT_PAGE, IPC_ACCESS_WRITE, 14, 0x1000, 0x400123, 6);
    cr_assert(kern_ipc_fault(&x.c.tcb), "the fault goes to the server");
    cr_assert_eq(kern_sched_choose(NULL, false), &x.s.tcb, "the server runs");
    x.c.regs = (arch_regs_t){.nr = 0};
    uint64_t a[ARCH_SYSCALL_ARGS];
    fx_words(a, EP);
    kern_thread_t *to = fx_syscall(&x.s, IPC_SYS_REPLY_RECV, a);
    cr_assert_eq(to, &x.c, "the fast path switches to the faulted thread");
    cr_assert(x.c.regs.outs == 0 && x.c.regs.results == 0,
              "the faulted thread's registers are untouched");
    cr_assert(!x.c.tcb.fault && x.c.tcb.state == KERN_TCB_READY, "its fault is answered");
    cr_assert_eq(x.s.tcb.state, KERN_TCB_BLOCKED_RECV, "the server waits again");
    cr_log_info("fast reply_recv to a faulted thread: switched, registers untouched, the server "
                "waits again");
}

/* A fault whose handler waits takes the fast path too (kern_ipc_send_fault): the handler's
 * registers get the endpoint's badge and the fault message, and the faulted thread waits
 * for the reply marked as faulted, holding no grant -- what the slow path would leave. */
Test(fastpath, fault_to_a_waiting_handler) {
    fx_t x;
    fx_init(&x);
    fx_server_waits(&x);
    kern_tcb_set_fault_ep(&x.c.tcb, kt_slot(&x.cs.caps, CALLCAP));
    arch_fault_t f = {.kind = IPC_FAULT_PAGE,
                      .access = IPC_ACCESS_WRITE,
                      .vector = 14,
                      .addr = 0x1000,
                      .pc = 0x400123,
                      .code = 6,
                      .name = "page"};
    kern_thread_t *to;
    ktm_current = &x.c;
    ktm_run(kern_ipc_send_fault(&x.c, &f), to);
    cr_assert_eq(to, &x.s, "the fault switched to the waiting handler");
    const uint64_t *o = x.s.regs.out;
    cr_assert(x.s.regs.outs == 1 && o[0] == BADGE && ipc_info_label(o[1]) == IPC_LABEL_FAULT &&
                  ipc_info_length(o[1]) == IPC_FAULT_LENGTH,
              "the handler gets the badge and the fault's info word");
    cr_assert(ipc_fault_kind(o[2 + IPC_FAULT_W_INFO]) == IPC_FAULT_PAGE &&
                  o[2 + IPC_FAULT_W_ADDR] == 0x1000 && o[2 + IPC_FAULT_W_PC] == 0x400123 &&
                  o[2 + IPC_FAULT_W_CODE] == 6,
              "and the fault's words");
    cr_assert(x.c.tcb.fault && !x.c.tcb.grant && x.c.tcb.state == KERN_TCB_BLOCKED_REPLY &&
                  x.s.tcb.reply_to == &x.c.tcb,
              "the faulted thread waits for the reply, marked faulted, without grant");
    cr_log_info("fast fault delivery: handler switched to with badge and fault words, the "
                "thread waits marked faulted");
}
