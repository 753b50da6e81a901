/*
 * The halt capability (IPC_CAP_HALT) and the door of IPC_SYS_HALT (kern_halt_check): only
 * a halt capability lets a thread stop the machine, with a status the machine can report;
 * the capability is an ordinary one otherwise (mmserver gives it to the root program with
 * MMPRIV_SYS_THREAD_GIVE, a message with the grant right may carry it), never badged,
 * never given more rights than it has (none).
 */
#include <ipc/mmpriv.h>

#include "kt.h"

#define HALT_SLOT 2u

/* A process holding the halt capability in HALT_SLOT, an endpoint in slot 3, the memory
 * capability in 4: mmserver's table as the kernel fills it at boot. */
static void boot_proc(kt_proc_t *p) {
    kern_cap_t halt = kern_cap_halt();
    kern_cap_t mem = {.kind = MMPRIV_CAP_MEMORY};
    cr_assert_eq(kern_cap_insert(&p->cs, HALT_SLOT, &halt), IPC_OK);
    kt_endpoint(p, 3);
    cr_assert_eq(kern_cap_insert(&p->cs, 4, &mem), IPC_OK);
}

Test(halt, only_a_halt_capability_opens_the_door) {
    kt_proc_t p = {0};
    boot_proc(&p);
    kern_tcb_t t;
    kt_thread(&t, &p, 5);
    kern_cap_t self = kern_cap_thread(&t);
    cr_assert_eq(kern_cap_insert(&p.cs, 1, &self), IPC_OK);
    cr_assert_eq(kern_halt_check(&p.cs, HALT_SLOT, 0), IPC_OK);
    cr_assert_eq(kern_halt_check(&p.cs, 0, 0), IPC_ERR_INVALID_CAP, "empty slot");
    cr_assert_eq(kern_halt_check(&p.cs, IPC_CAP_SLOTS_MAX, 0), IPC_ERR_INVALID_CAP,
                 "past the table");
    cr_assert_eq(kern_halt_check(&p.cs, IPC_SLOT_NONE, 0), IPC_ERR_INVALID_CAP, "no slot");
    cr_assert_eq(kern_halt_check(&p.cs, 1, 0), IPC_ERR_WRONG_CAP, "a thread capability");
    cr_assert_eq(kern_halt_check(&p.cs, 3, 0), IPC_ERR_WRONG_CAP, "an endpoint");
    cr_assert_eq(kern_halt_check(&p.cs, 4, 0), IPC_ERR_WRONG_CAP, "the memory capability");
    kt_proc_t other = {0};
    cr_assert_eq(kern_halt_check(&other.cs, HALT_SLOT, 0), IPC_ERR_INVALID_CAP,
                 "a table without one cannot halt");
}

Test(halt, the_status_is_one_byte) {
    kt_proc_t p = {0};
    boot_proc(&p);
    cr_assert_eq(kern_halt_check(&p.cs, HALT_SLOT, 1), IPC_OK);
    cr_assert_eq(kern_halt_check(&p.cs, HALT_SLOT, KERN_HALT_STATUS_MAX), IPC_OK);
    cr_assert_eq(kern_halt_check(&p.cs, HALT_SLOT, KERN_HALT_STATUS_MAX + 1),
                 IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(kern_halt_check(&p.cs, HALT_SLOT, ~0ull), IPC_ERR_INVALID_ARGUMENT);
    cr_assert_eq(kern_halt_check(&p.cs, 0, ~0ull), IPC_ERR_INVALID_CAP,
                 "the capability is checked first");
}

Test(halt, mmserver_gives_it_to_the_root_unbadged) {
    kt_proc_t mm = {0}, root = {0};
    boot_proc(&mm);
    cr_assert_eq(kern_cap_copy_to(&mm.cs, HALT_SLOT, &root.cs, 3, IPC_RIGHTS_ALL, 5),
                 IPC_ERR_INVALID_ARGUMENT, "a halt capability takes no badge");
    cr_assert_eq((*kt_slot(&root.cs, 3)).kind, IPC_CAP_NONE, "nothing given on the refusal");
    cr_assert_eq(kern_cap_copy_to(&mm.cs, HALT_SLOT, &root.cs, 3, IPC_RIGHTS_ALL, 0), IPC_OK);
    cr_assert_eq((*kt_slot(&root.cs, 3)).kind, IPC_CAP_HALT);
    cr_assert_eq((*kt_slot(&root.cs, 3)).rights, 0, "a copy never gains rights");
    cr_assert_eq(kern_halt_check(&root.cs, 3, 0), IPC_OK);
    cr_assert_eq(kern_cap_delete(&mm.cs, HALT_SLOT), IPC_OK);
    cr_assert_eq(kern_halt_check(&root.cs, 3, 0), IPC_OK, "the copy stands alone");
    cr_assert_eq(kern_cap_delete(&root.cs, 3), IPC_OK);
    cr_assert_eq(kern_halt_check(&root.cs, 3, 0), IPC_ERR_INVALID_CAP, "deleted: gone");
}

Test(halt, a_message_with_the_grant_right_carries_it) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND | IPC_RIGHT_GRANT, 0);
    kern_cap_t halt = kern_cap_halt();
    cr_assert_eq(kern_cap_insert(&x.cp.cs, 4, &halt), IPC_OK);
    cr_assert_eq(kern_ipc_recv(&x.server, 3), IPC_OK);
    x.client.msg.info = ipc_info_cap(1, 0, 4);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_OK);
    cr_assert_eq(x.server.out, KERN_OUT_MSG);
    cr_assert(x.server.msg.info & IPC_INFO_CAP, "delivered with the capability");
    uint64_t slot = ipc_info_slot(x.server.msg.info);
    cr_assert_eq(kern_halt_check(&x.sp.cs, slot, 0), IPC_OK, "the receiver may halt now");
}

Test(halt, without_the_grant_right_it_stays_home) {
    kt_pair_t x;
    kt_pair_init(&x, IPC_RIGHT_SEND, 0);
    kern_cap_t halt = kern_cap_halt();
    cr_assert_eq(kern_cap_insert(&x.cp.cs, 4, &halt), IPC_OK);
    x.client.msg.info = ipc_info_cap(1, 0, 4);
    cr_assert_eq(kern_ipc_send(&x.client, 3), IPC_ERR_NO_RIGHTS);
    for (unsigned i = 0; i < IPC_CAP_SLOTS_MAX; i++) {
        cr_assert_neq((*kt_slot(&x.sp.cs, i)).kind, IPC_CAP_HALT, "slot %u of the server", i);
    }
}
