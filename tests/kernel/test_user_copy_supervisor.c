/*
 * A user copy needs PT_U on every page (found by make mutate, mutant vm-copy-no-user-bit): a
 * leaf mmserver writes into a client's lower half without PT_U, over a frame of its own
 * pool, is not memory the client may reach, so the kernel must not copy from or to it for
 * that client either (kernel/vm.c user_range: "every page present with the rights").
 * Kernel-built spaces never hold such a leaf; mmserver's spaces are not trusted to avoid it.
 */
#include <string.h>

#include "ktm.h"

#define PG       0x1000ull
#define VA_USER  0x10000ull     /* pool frame 0, user rw: the control */
#define VA_SUPER (VA_USER + PG) /* pool frame 1, rw without PT_U */
#define POOL     64u            /* frames */

/* The scenario on one libpt format (one Criterion process each: ktm_boot sets the kernel up
 * once per process). */
static void supervisor_leaf(const pt_format_t *fmt) {
    ktm_boot(fmt, POOL);
    ktm_tree_t tree;
    ktm_tree_init(&tree);
    ktm_tree_map(&tree, VA_USER, ktm_pool_frame(0), PG, PT_U | PT_R | PT_W);
    ktm_tree_map(&tree, VA_SUPER, ktm_pool_frame(1), PG, PT_R | PT_W);
    uint8_t *user = (uint8_t *)(uintptr_t)ktm_pool_frame(0);
    uint8_t *super = (uint8_t *)(uintptr_t)ktm_pool_frame(1);
    memset(user, 0x11, PG);
    memset(super, 0x5e, PG);
    kern_space_t *s = kern_space_attach(tree.pt.root, 0);
    cr_assert_not_null(s);

    uint8_t buf[32];
    cr_assert_eq(kern_copy_from_user(s, buf, VA_USER, sizeof(buf)), IPC_OK, "%s: the user page",
                 ktm_format->name);
    cr_assert(buf[0] == 0x11 && buf[sizeof(buf) - 1] == 0x11, "%s: its bytes", ktm_format->name);

    memset(buf, 0xee, sizeof(buf));
    cr_assert_eq(kern_copy_from_user(s, buf, VA_SUPER, sizeof(buf)), IPC_ERR_BAD_ADDRESS,
                 "%s: a copy from a leaf without PT_U was allowed", ktm_format->name);
    cr_assert(buf[0] == 0xee && buf[sizeof(buf) - 1] == 0xee, "%s: bytes were copied from it",
              ktm_format->name);
    cr_assert_eq(kern_copy_to_user(s, VA_SUPER, buf, sizeof(buf)), IPC_ERR_BAD_ADDRESS,
                 "%s: a copy to a leaf without PT_U was allowed", ktm_format->name);
    cr_assert(!kern_user_writable(s, VA_SUPER, sizeof(buf)), "%s: said writable", ktm_format->name);
    cr_assert_eq(kern_copy_from_user(s, buf, VA_SUPER - 16, sizeof(buf)), IPC_ERR_BAD_ADDRESS,
                 "%s: a copy running from the user page into it was allowed", ktm_format->name);
    cr_assert(super[0] == 0x5e && super[sizeof(buf) - 1] == 0x5e, "%s: its frame was written",
              ktm_format->name);
    cr_log_info("%s: managed space: a pool page mapped without PT_U is refused to copies from, "
                "to and across into it (IPC_ERR_BAD_ADDRESS, nothing copied); the user page "
                "beside it copies",
                ktm_format->name);
}

Test(user_copy, supervisor_leaf_x86_64) {
    supervisor_leaf(&pt_format_x86_64);
}

Test(user_copy, supervisor_leaf_sv48) {
    supervisor_leaf(&pt_format_sv48);
}

Test(user_copy, supervisor_leaf_sv39) {
    supervisor_leaf(&pt_format_sv39);
}

Test(user_copy, supervisor_leaf_aarch64) {
    supervisor_leaf(&pt_format_aarch64);
}
