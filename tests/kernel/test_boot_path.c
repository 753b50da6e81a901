/*
 * Issue 10, the kernel's side of the one boot path, through the real syscall table
 * (kernel/syscall.c, ipc_sys.c, mm_priv.c): IPC_SYS_HALT stops the machine only through a
 * halt capability and with a status it can report; the number IPC_SYS_TEST_EXPECT had is
 * no call any more; MMPRIV_SYS_THREAD_NAME names only a thread mmserver created, only with
 * a valid name, and a refusal leaves the old name; every end says how it came (exit, kill
 * through a capability, mmserver's destroy), and the end notice built from the thread's
 * record carries the status only for an exit.
 */
#include <ipc/mmpriv.h>

#include "ktm.h"

#define MEM    KTM_MEM
#define HALT   2u  /* mmserver's slot of the halt capability, as the kernel fills it */
#define EP     3u  /* and of its endpoint */
#define TSLOT  6u  /* where thread_create puts the new thread's capability */
#define FRAMES 64u /* the pool */

/* Makes syscall nr (a0, a1) as t; *halted says whether it stopped the machine, and with
 * which status. Returns the registers' error when it did not. */
static ipc_err_t sys(kern_thread_t *t, uint64_t nr, uint64_t a0, uint64_t a1, bool *halted,
                     int *status) {
    t->regs = (arch_regs_t){.nr = nr, .arg = {a0, a1, 0, 0, 0, 0}};
    ktm_current = t;
    bool h;
    int st = -1;
    ktm_catch_halt(kern_syscall(&t->regs), h, st);
    *halted = h;
    *status = st;
    if (!h) {
        cr_assert_eq(t->regs.results, 1, "one result for syscall %llu", (unsigned long long)nr);
    }
    return (ipc_err_t)t->regs.err;
}

Test(boot_path, halt_needs_the_halt_capability) {
    ktm_mms_t m;
    ktm_mms_init(&m, FRAMES);
    bool halted;
    int status;
    cr_assert_eq(sys(&m.t, IPC_SYS_HALT, HALT, 0, &halted, &status), IPC_ERR_INVALID_CAP);
    cr_assert_not(halted, "no capability, no stop");
    cr_assert_eq(sys(&m.t, IPC_SYS_HALT, MEM, 0, &halted, &status), IPC_ERR_WRONG_CAP);
    cr_assert_not(halted, "the memory capability is no halt capability");
    kern_cap_t halt = kern_cap_halt();
    cr_assert_eq(kern_cap_insert(&m.space.caps, HALT, &halt), IPC_OK);
    cr_assert_eq(sys(&m.t, IPC_SYS_HALT, HALT, 256, &halted, &status), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_not(halted, "a status QEMU cannot report is refused, not cut");
    sys(&m.t, IPC_SYS_HALT, HALT, 7, &halted, &status);
    cr_assert(halted, "the holder stops the machine");
    cr_assert_eq(status, 7, "with its status");
    sys(&m.t, IPC_SYS_HALT, HALT, 0, &halted, &status);
    cr_assert(halted && status == 0, "status 0 too");
}

Test(boot_path, the_old_test_expect_number_is_no_call) {
    ktm_mms_t m;
    ktm_mms_init(&m, FRAMES);
    bool halted;
    int status;
    cr_assert_eq(sys(&m.t, 3, IPC_FAULT_PAGE, IPC_ACCESS_WRITE, &halted, &status),
                 IPC_ERR_INVALID_SYSCALL);
    cr_assert_not(halted);
}

/* Packs s (at most 32 bytes) as MMPRIV_SYS_THREAD_NAME carries a name. */
static void pack(uint64_t w[4], const char *s) {
    memset(w, 0, 4 * sizeof(uint64_t));
    for (size_t i = 0; s[i] && i < 32; i++) {
        w[i / 8] |= (uint64_t)(unsigned char)s[i] << (i % 8 * 8);
    }
}

/* thread_name (MEM or mem, slot, name) as mmserver. */
static ipc_err_t name_call(ktm_mms_t *m, uint64_t mem, uint64_t slot, const char *name) {
    uint64_t w[4];
    pack(w, name);
    return ktm_mm_call(&m->t, MMPRIV_SYS_THREAD_NAME, mem, slot, w[0], w[1], w[2], w[3]);
}

/* Registers client 1 over an empty tree and creates its thread in TSLOT; returns it. */
static kern_thread_t *client_thread(ktm_mms_t *m, ktm_tree_t *tree) {
    ktm_tree_init(tree);
    cr_assert_eq(ktm_mm_call(&m->t, MMPRIV_SYS_ROOT_REGISTER, MEM, 1, tree->pt.root, 0, 0, 0),
                 IPC_OK);
    cr_assert_eq(ktm_mm_call(&m->t, MMPRIV_SYS_THREAD_CREATE, MEM, 1, TSLOT, 0x10000, 0x20000, 0),
                 IPC_OK);
    return kern_thread_of((*kt_slot(&m->space.caps, TSLOT)).obj);
}

Test(boot_path, thread_name_names_a_client_thread_or_nothing) {
    ktm_mms_t m;
    ktm_tree_t tree;
    ktm_mms_init(&m, FRAMES);
    kern_thread_t *n = client_thread(&m, &tree);
    cr_assert_str_eq(n->name, "client 1", "its client id until it is named");
    cr_assert_eq(name_call(&m, MEM, TSLOT, "ping"), IPC_OK);
    cr_assert_str_eq(n->name, "ping");
    cr_assert_eq(name_call(&m, MEM, TSLOT, "bad\tname"), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(name_call(&m, MEM, TSLOT, ""), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(name_call(&m, MEM, TSLOT, "0123456789abcdef0123456789abcdef"),
                 IPC_ERR_INVALID_ARGUMENT, "32 bytes");
    cr_assert_eq(name_call(&m, 9, TSLOT, "pong"), IPC_ERR_INVALID_CAP, "no memory capability");
    cr_assert_eq(name_call(&m, MEM, 9, "pong"), IPC_ERR_INVALID_CAP, "no thread there");
    cr_assert_eq(name_call(&m, MEM, MEM, "pong"), IPC_ERR_WRONG_CAP, "not a thread");
    cr_assert_str_eq(n->name, "ping", "every refusal left the name as it was");
    kern_cap_t self = kern_cap_thread(&m.t.tcb);
    cr_assert_eq(kern_cap_insert(&m.space.caps, 7, &self), IPC_OK);
    cr_assert_eq(name_call(&m, MEM, 7, "pong"), IPC_ERR_INVALID_ARGUMENT,
                 "mmserver names only threads it created, not itself");
    const char *longest = "a name of thirty-one bytes, ok!";
    cr_assert_eq(strlen(longest), MMPRIV_NAME_MAX);
    cr_assert_eq(name_call(&m, MEM, TSLOT, longest), IPC_OK);
    cr_assert_str_eq(n->name, longest, "the longest name, whole");
}

Test(boot_path, every_end_says_how) {
    ktm_mms_t m;
    ktm_tree_t tree;
    ktm_mms_init(&m, FRAMES);
    kern_thread_t *a = client_thread(&m, &tree);
    bool halted;
    int status;
    sys(a, IPC_SYS_EXIT, 5, 0, &halted, &status);
    cr_assert_eq(a->state, KERN_THREAD_DEAD);
    cr_assert_eq(a->exit_status, 5);
    cr_assert_eq(a->end_how, MMPRIV_END_EXIT, "IPC_SYS_EXIT: an exit");
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_THREAD_CREATE, MEM, 1, TSLOT + 1, 0x10000, 0, 0),
                 IPC_OK);
    kern_thread_t *b = kern_thread_of((*kt_slot(&m.space.caps, TSLOT + 1)).obj);
    b->end_how = MMPRIV_END_EXIT;
    cr_assert_eq(sys(&m.t, IPC_SYS_THREAD_KILL, TSLOT + 1, 0, &halted, &status), IPC_OK);
    cr_assert_eq(b->state, KERN_THREAD_DEAD);
    cr_assert_eq(b->end_how, MMPRIV_END_KILLED, "IPC_SYS_THREAD_KILL: a kill");
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_THREAD_CREATE, MEM, 1, TSLOT + 2, 0x10000, 0, 0),
                 IPC_OK);
    kern_thread_t *c = kern_thread_of((*kt_slot(&m.space.caps, TSLOT + 2)).obj);
    c->end_how = MMPRIV_END_EXIT;
    cr_assert_eq(ktm_mm_call(&m.t, MMPRIV_SYS_THREAD_DESTROY, MEM, TSLOT + 2, 0, 0, 0, 0), IPC_OK);
    cr_assert_eq(c->end_how, MMPRIV_END_KILLED, "mmserver's destroy: a kill");
    cr_assert(c->mm_destroyed, "and no notice for it");
}

/* A receiver r in space s, waiting on the endpoint in slot EP of s. */
static void waiting_receiver(kern_space_t *s, kern_thread_t *r) {
    ktm_thread(r, s, 5, false);
    cr_assert_eq(kern_ep_create(&s->caps, EP), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&r->tcb, EP), IPC_OK);
    cr_assert_eq(r->tcb.state, KERN_TCB_BLOCKED_RECV);
}

/* Sends t's end notice on a capability to s's endpoint badged 4; asserts r got status and
 * how. */
static void expect_notice(kern_space_t *s, kern_thread_t *r, kern_thread_t *t, uint64_t status,
                          uint32_t how) {
    kern_cap_t ep = (*kt_slot(&s->caps, EP));
    ep.badge = 4;
    kern_mm_process_ended(t, &ep);
    cr_assert_eq(r->tcb.out, KERN_OUT_MSG, "the receiver got the notice");
    cr_assert_eq(r->tcb.msg.badge, 4);
    cr_assert_eq(ipc_fault_kind(r->tcb.msg.words[IPC_FAULT_W_INFO]), MMPRIV_END_KIND);
    cr_assert_eq(r->tcb.msg.words[MMPRIV_END_W_STATUS], status);
    cr_assert_eq(r->tcb.msg.words[MMPRIV_END_W_HOW], how);
}

Test(boot_path, the_end_notice_reads_the_thread_record) {
    ktm_boot(&pt_format_x86_64, FRAMES);
    kern_space_t s = {0};
    kern_thread_t r, t = {0};
    waiting_receiver(&s, &r);
    t.exit_status = 5;
    t.end_how = MMPRIV_END_EXIT;
    expect_notice(&s, &r, &t, 5, MMPRIV_END_EXIT);
    cr_assert_eq(kern_ipc_recv(&r.tcb, EP), IPC_OK);
    t.end_how = MMPRIV_END_KILLED;
    expect_notice(&s, &r, &t, 0, MMPRIV_END_KILLED);
    cr_assert_eq(kern_ipc_recv(&r.tcb, EP), IPC_OK);
    r.tcb.out = KERN_OUT_NONE;
    t.mm_destroyed = true;
    kern_cap_t ep = (*kt_slot(&s.caps, EP));
    kern_mm_process_ended(&t, &ep);
    cr_assert_eq(r.tcb.state, KERN_TCB_BLOCKED_RECV, "mmserver's own destroy: no notice");
    cr_assert_eq(r.tcb.out, KERN_OUT_NONE);
}
