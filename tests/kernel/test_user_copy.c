/*
 * Issue 14: the kernel's user copies through a space whose tables are mmserver's
 * (kernel/vm.c: kern_space_attach, kern_copy_from_user, kern_copy_to_user,
 * kern_user_writable), on every libpt format. mmserver is trusted with memory, not with
 * the kernel: a leaf it aims at a frame outside its pool, or a table outside its pool, is
 * not user memory, and a copy that touches one is IPC_ERR_BAD_ADDRESS with nothing copied
 * either way, although mmserver's own walk of the same tree finds the page mapped.
 */
#include <criterion/parameterized.h>
#include <string.h>

#include "ktm.h"

#define PG      0x1000ull
#define VA_IN   0x10000ull       /* pool frame 0, rw */
#define VA_OUT  (VA_IN + PG)     /* a frame outside the pool, rw */
#define VA_RO   (VA_IN + 2 * PG) /* pool frame 1, read-only */
#define VA_HOLE (VA_IN + 3 * PG) /* nothing */
#define VA_FAR  0x40000000ull    /* pool frame 2, under tables from outside the pool */
#define VA_HUGE 0x80000000ull    /* a 2 MiB leaf whose second half lies past the pool */
#define POOL    768u             /* frames: 3 MiB, so the leaf at 2 MiB runs 1 MiB past */
#define MIB     0x100000ull
#define URW     (PT_U | PT_R | PT_W)

/* The space under test and what its pages hold. */
typedef struct uc {
    ktm_tree_t tree;
    kern_space_t *s;
    uint8_t *in, *out, *ro, *far; /* the frames, through the identity direct map */
} uc_t;

/* Boots on fmt and builds mmserver's tree as in the table above, then attaches it. */
static void uc_init(uc_t *u, const pt_format_t *fmt) {
    ktm_boot(fmt, POOL);
    ktm_tree_init(&u->tree);
    uint64_t out = ktm_outside_frame();
    ktm_tree_map(&u->tree, VA_IN, ktm_pool_frame(0), PG, URW);
    ktm_tree_map(&u->tree, VA_OUT, out, PG, URW);
    ktm_tree_map(&u->tree, VA_RO, ktm_pool_frame(1), PG, PT_U | PT_R);
    ktm_tree_map(&u->tree, VA_HUGE, ktm_pool_frame(512), 2 * MIB, URW);
    u->tree.outside = true;
    ktm_tree_map(&u->tree, VA_FAR, ktm_pool_frame(2), PG, URW);
    u->tree.outside = false;
    u->in = (uint8_t *)(uintptr_t)ktm_pool_frame(0);
    u->ro = (uint8_t *)(uintptr_t)ktm_pool_frame(1);
    u->far = (uint8_t *)(uintptr_t)ktm_pool_frame(2);
    u->out = (uint8_t *)(uintptr_t)out;
    memset(u->in, 0x11, PG);
    memset(u->ro, 0x22, PG);
    memset(u->far, 0x33, PG);
    memset(u->out, 0x5e, PG); /* the secret no copy may reveal or change */
    u->s = kern_space_attach(u->tree.pt.root, 0);
    cr_assert_not_null(u->s);
    cr_assert(u->s->managed);
}

/* Whether n bytes at p all equal b. */
static bool all(const uint8_t *p, size_t n, uint8_t b) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != b) {
            return false;
        }
    }
    return true;
}

/* The two directions of a copy. */
typedef enum uc_dir { UC_FROM, UC_TO } uc_dir_t;

/* Asserts a copy of n bytes from (or to) va is refused, with the kernel buffer untouched
 * (or the range not said writable either). */
static void expect_refused(uc_t *u, uc_dir_t dir, uint64_t va, size_t n, const char *what) {
    uint8_t buf[64];
    memset(buf, 0xee, sizeof(buf));
    ipc_err_t e =
        dir == UC_TO ? kern_copy_to_user(u->s, va, buf, n) : kern_copy_from_user(u->s, buf, va, n);
    cr_assert_eq(e, IPC_ERR_BAD_ADDRESS, "%s: %s: a copy %s %#llx was allowed", ktm_format->name,
                 what, dir == UC_TO ? "to" : "from", (unsigned long long)va);
    cr_assert(all(buf, sizeof(buf), 0xee), "%s: %s: bytes were copied", ktm_format->name, what);
    cr_assert(dir == UC_FROM || !kern_user_writable(u->s, va, n), "%s: %s: said writable",
              ktm_format->name, what);
}

/* A format's index in ktm_formats, not its address: Criterion hands parameters to a worker
 * process, where only plain values keep their meaning. */
ParameterizedTestParameters(user_copy, managed_space_rules) {
    static unsigned formats[KTM_FORMATS];
    for (unsigned i = 0; i < KTM_FORMATS; i++) {
        formats[i] = i;
    }
    return cr_make_param_array(unsigned, formats, KTM_FORMATS);
}

ParameterizedTest(unsigned *format, user_copy, managed_space_rules) {
    uc_t u;
    uc_init(&u, ktm_formats[*format]);
    pt_mapping_t m;
    cr_assert_eq(pt_query(&u.tree.pt, VA_OUT, &m), PT_OK, "mmserver's tree maps VA_OUT");
    cr_assert_eq(pt_query(&u.tree.pt, VA_FAR, &m), PT_OK, "and VA_FAR");
    uint8_t buf[64];
    cr_assert_eq(kern_copy_from_user(u.s, buf, VA_IN + 8, 32), IPC_OK, "a pool page");
    cr_assert(all(buf, 32, 0x11), "its bytes");
    cr_assert_eq(kern_copy_from_user(u.s, buf, VA_RO, 16), IPC_OK, "a read-only pool page");
    memset(buf, 0x44, sizeof(buf));
    cr_assert_eq(kern_copy_to_user(u.s, VA_IN + PG - 16, buf, 16), IPC_OK, "to a pool page");
    cr_assert(all(u.in + PG - 16, 16, 0x44) && u.in[PG - 17] == 0x11, "exactly those bytes");
    expect_refused(&u, UC_FROM, VA_OUT, 16, "a leaf outside the pool");
    expect_refused(&u, UC_TO, VA_OUT, 16, "a leaf outside the pool");
    expect_refused(&u, UC_FROM, VA_IN + PG - 8, 16, "a pool page running into one outside");
    expect_refused(&u, UC_TO, VA_IN + PG - 8, 16, "a pool page running into one outside");
    cr_assert(all(u.out, PG, 0x5e), "the frame outside the pool is untouched");
    cr_assert(all(u.in + PG - 8, 8, 0x44), "the refused straddling copy wrote nothing");
    expect_refused(&u, UC_FROM, VA_FAR, 16, "a pool leaf under tables outside the pool");
    cr_assert_eq(pt_query(&u.tree.pt, VA_HUGE, &m), PT_OK);
    cr_assert_eq(m.shift, 21, "%s: VA_HUGE is one 2 MiB leaf", ktm_format->name);
    cr_assert_eq(kern_copy_from_user(u.s, buf, VA_HUGE + MIB - 16, 16), IPC_OK,
                 "the half of the 2 MiB leaf inside the pool");
    expect_refused(&u, UC_FROM, VA_HUGE + MIB, 16, "the half of a 2 MiB leaf past the pool");
    expect_refused(&u, UC_TO, VA_HUGE + MIB - 8, 16, "a copy running past the pool's end");
    expect_refused(&u, UC_TO, VA_RO, 16, "a read-only page");
    expect_refused(&u, UC_FROM, VA_HOLE, 16, "a hole");
    expect_refused(&u, UC_FROM, ktm_user_top - 8, 16, "across the top of the user half");
    expect_refused(&u, UC_FROM, ~0ull - 7, 16, "a wrapping range");
    cr_log_info("%s: managed space: copies of pool pages work; a leaf outside the pool, a "
                "straddle into it, a table outside the pool, the part of a 2 MiB leaf past the "
                "pool's end, read-only, hole, top, wrap: refused, nothing copied",
                ktm_format->name);
}
