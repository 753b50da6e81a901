/*
 * A hostile program driven by a seeded PRNG (the `mm_chaos` image, beside mm_witness): for
 * MM_CHAOS_STEPS steps it makes, in random order,
 *   - raw syscalls of every number, with random words, capability slots and pointers
 *     (kernel, non-canonical, null-area, never-mapped, misaligned), the privileged 48..54 of
 *     ipc/mmpriv.h included, which must fail for it;
 *   - raw IPC messages on random slots, mmserver's among them: random labels, lengths,
 *     capability bits and words, now and then with no IPC buffer set;
 *   - memory requests with valid labels and random words (half of them tame: aimed at
 *     ranges earlier ones created), and valid requests on a model it keeps of a few ranges
 *     of its own (map, unmap, protect, decommit, query, touch);
 *   - its IPC buffer unmapped, decommitted or made read-only under a reply that needs it;
 *   - shares of its pattern page toward every live client (the witness accepts one window);
 *   - touches of addresses its own regions allow (filled by mmserver's fault path), and
 *     spins longer than a time slice (the timer preempts it mid-step).
 * Each result is compared with what the kernel's and mmserver's rules say it must be: the
 * exact typed error where the rules decide it, at least a typed one where they leave a
 * choice (quota, pool). The image holds it twice (mm_chaos, mm_chaos_b), each instance with its
 * own stream, so two hostile processes also meet each other. The seed and the step count come
 * from mm_chaos_seed.h, written by
 * the build (-DMMK_CHAOS_SEED, -DMMK_CHAOS_STEPS, -DMMK_CHAOS_TRACE; tools/stress.sh).
 *
 * Left out of the mix, because they would end this program early or block it for ever
 * rather than test anything: IPC_SYS_EXIT; killing its own thread; lowering its own
 * priority (the witness polls with yields, which never give way to a lower priority, so it
 * would starve); receiving on, or sending or calling through, an endpoint it created (nobody
 * else holds it, so nothing ever comes); deleting MM_SLOT_SERVER (every later memory check
 * would only see INVALID_CAP). IPC_SYS_THREAD_SET_FAULT on its own thread is in the mix: it must be
 * refused (the fault endpoint binding, see set_fault). Memory requests that could unmap or
 * overwrite what this program runs on (image, stack, IPC buffer, its model, its pattern page) are
 * moved to its play area first; wrapping ranges are sent as they are.
 *
 * With an odd seed it ends with a declared write to a never-mapped page, so mmserver's kill
 * path tears its space down; with an even one it exits. Prints its counts per syscall number
 * and per request label, and `test mm_chaos_checks: OK|FAILED`.
 */
#include <ipc/ipc_user.h>
#include <ipc/mmpriv.h>

#include "mm_chaos.h"
#include "mm_chaos_seed.h"
#include "test.h"

#define IPC_SYS_RESERVED_3 3u /* ipc/abi.h: reserved, was the kernel's test-expect call */

/* The address plan (all below 2^38, so it holds with Sv39 too). */
#define VITAL_LO MM_IPC_BUFFER_VA /* the IPC buffer (one page) and, from IMAGE_VA, the image */
#define IMAGE_VA 0x400000ull      /* where programs are linked (ipc/user/user.ld) */
#define VITAL_HI 0x1000000ull
#define PLAY_VA  0x2000000ull /* where redirected requests go: 32..64 MiB */
#define CHAOS_SLOTS                                                                                \
    32u /* the slots it plays with and mirrors (the table grows to IPC_CAP_SLOTS_MAX) */
#define PLAY_LEN       0x2000000ull
#define SLOT_VA        0x1000000000ull /* the model's ranges, 64 KiB apart */
#define SLOTS          8u
#define SLOT_SPAN      0x10000ull
#define SLOT_PAGES     8u
#define SOURCE_PAGES   2u /* the pattern pages, read-only, then a hole that is never mapped */
#define SOURCE_VA      (HOLE_VA - SOURCE_PAGES * MM_PAGE_SIZE)
#define HOLE_VA        0x1100000000ull
#define HOLE_LEN       0x100000ull
#define RW             (MM_PERM_R | MM_PERM_W)
#define WORDS          (MM_PAGE_SIZE / sizeof(uint64_t))
#define NR_BUCKETS     64u /* syscall numbers counted one by one; the rest together */
#define MAX_FAILURES   20u
#define SPIN_ROUNDS    2000u /* of spin(): about 4M reads, some tens of ms under QEMU */
#define PEER_PAGES     16u   /* PEER_WINDOW(k): where tame requests accept shares from client k */
#define PEER_WINDOW(k) (0x70000000ull + (uint64_t)(k)*PEER_PAGES * MM_PAGE_SIZE)
#define RECENT         8u /* ranges remembered for later random requests to aim at */
#define LABEL_MASK     (~0ull >> IPC_INFO_LABEL_SHIFT) /* the label bits an info word carries */

/* Where a capability in a slot came from: what may be done with it without blocking. */
enum origin { FROM_NONE, FROM_SERVER, FROM_OWN, FROM_THREAD };

typedef struct shadow_slot {
    uint8_t kind, rights, origin, badged;
} shadow_slot_t;

typedef struct model_slot {
    bool mapped;
    uint32_t pages, perm;
    uint64_t word[SLOT_PAGES]; /* first word of each page: what a read must find */
} model_slot_t;

static chaos_conn_t cc;
static uint64_t rng_state; /* the seed, and this instance's client id (main) */
static uint64_t step;
static shadow_slot_t caps[CHAOS_SLOTS];
static model_slot_t model[SLOTS];
static uint64_t stack_lo, stack_hi; /* the stack region and its guard page */
static uint32_t self_id, peer[MM_SHARE_IDS], npeers;
static bool shared_to[MM_SHARE_IDS];
static uint64_t taken[MM_LABEL_COUNT_]; /* random requests mmserver carried out, by label */
static uint64_t recent_va[RECENT], recent_pages[RECENT]; /* ranges random requests created */
static unsigned recent_next;
static uint64_t spins, huge_pages, splits; /* pages random maps put in huge leaves; splits */
static uint64_t hazards[4];                /* buffer_hazard runs: unmap, decommit, protect, none */
static uint64_t by_nr[NR_BUCKETS + 1], excluded, redirected, touches, failures, quota_refusals;

#define CHAOS_CHECK(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ipc_printf("  step %llu: ", (unsigned long long)step);                                 \
            TEST_CHECK(&failures, false, __VA_ARGS__);                                             \
        }                                                                                          \
    } while (0)

/* ---- the generator ---------------------------------------------------------------------- */

/* The next pseudo-random word (splitmix64: every seed, 0 included, gives a full sequence). */
static uint64_t rng(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A number in [0, n). */
static uint64_t below(uint64_t n) {
    return rng() % n;
}

/* True with probability 1/n. */
static bool one_in(uint64_t n) {
    return below(n) == 0;
}

/* An address no program ever maps: kernel half, non-canonical, null area, the hole. */
static uint64_t bad_address(void) {
    static const uint64_t base[] = {TEST_KERNEL_ADDRESS,
                                    TEST_NONCANONICAL_ADDRESS,
                                    0xffffffff80000000ull,
                                    0x8000000000000000ull,
                                    0,
                                    HOLE_VA};
    uint64_t b = base[below(sizeof(base) / sizeof(base[0]))];
    return b + (b == 0 ? below(MM_USER_BASE) : below(HOLE_LEN / 2));
}

/* An address from every part of the map (a range a random request created among them),
 * sometimes misaligned. */
static uint64_t address(void) {
    uint64_t a;
    unsigned k = (unsigned)below(RECENT);
    switch (below(9)) {
        case 0:
            a = bad_address();
            break;
        case 1:
            a = PLAY_VA +
                (one_in(4) ? below(PLAY_LEN / MM_HUGE_SIZE) * MM_HUGE_SIZE : below(PLAY_LEN));
            break;
        case 7:
            a = recent_pages[k] ? recent_va[k] + below(recent_pages[k]) * MM_PAGE_SIZE : rng();
            break;
        case 2:
            a = SLOT_VA + below(SLOTS * SLOT_SPAN);
            break;
        case 3:
            a = MM_SHARE_WINDOW(below(MM_SHARE_IDS + 1));
            break;
        case 4:
            a = (one_in(2) ? MM_USER_TOP(48) : MM_USER_TOP(39)) + (below(5) - 2) * MM_PAGE_SIZE;
            break;
        case 5:
            a = VITAL_LO + below(VITAL_HI - VITAL_LO);
            break;
        case 6:
            a = stack_lo + below(stack_hi - stack_lo);
            break;
        default:
            a = rng();
            break;
    }
    a &= ~(MM_PAGE_SIZE - 1);
    return one_in(8) ? a + 1 + below(MM_PAGE_SIZE - 1) : a;
}

/* A length for a range at va: pages, zero, misaligned, huge, or one that wraps past 2^64. */
static uint64_t length(uint64_t va) {
    switch (below(8)) {
        case 0:
            return 0;
        case 1:
            return below(MM_PAGE_SIZE);
        case 2:
            return 1ull << (20 + below(30));
        case 3:
            return 0u - va + MM_PAGE_SIZE * below(3);
        case 4:
            return rng();
        default:
            return MM_PAGE_SIZE * (1 + below(16));
    }
}

/* A word: small numbers, edges, addresses, anything. */
static uint64_t word(void) {
    static const uint64_t edge[] = {0,
                                    1,
                                    ~0ull,
                                    0x7fffffffffffffffull,
                                    0x8000000000000000ull,
                                    0xffffffffull,
                                    1ull << 32,
                                    IPC_SLOT_NONE - 1,
                                    MM_PAGE_SIZE,
                                    MM_USER_BASE - 1,
                                    1ull << 47,
                                    IPC_LABEL_FAULT};
    switch (below(4)) {
        case 0:
            return edge[below(sizeof(edge) / sizeof(edge[0]))];
        case 1:
            return below(40);
        case 2:
            return address();
        default:
            return rng();
    }
}

/* A capability slot: mostly a real one, sometimes past the table or truncating to one. */
static uint64_t slot(void) {
    switch (below(8)) {
        case 0:
            return IPC_CAP_SLOTS_MAX + below(300);
        case 1:
            return one_in(2) ? IPC_SLOT_NONE : (1ull << 32) + below(CHAOS_SLOTS);
        default:
            return below(CHAOS_SLOTS);
    }
}

/* ---- counted syscalls ------------------------------------------------------------------- */

/* One raw syscall, counted under its number. */
static ipc_ret_t sys(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                     uint64_t a5) {
    by_nr[nr < NR_BUCKETS ? nr : NR_BUCKETS]++;
    return ipc_syscall(nr, a0, a1, a2, a3, a4, a5);
}

/* One message syscall (16..20: the kernel writes the reply words into registers the plain
 * stub does not keep), counted under its number. */
static uint64_t sys_msg(uint64_t nr, uint64_t s, ipc_msg_t *m) {
    by_nr[nr]++;
    return ipc_msg_syscall(nr, s, m);
}

/* A yield, counted. */
static void yield(void) {
    sys(IPC_SYS_YIELD, 0, 0, 0, 0, 0, 0);
}

/* ---- the capability shadow: the kernel's rules (kernel/cap.c) on what this program holds */

/* What kern_cap_lookup answers for slot s, kind and rights. */
static ipc_err_t lookup(uint64_t s, uint8_t kind, uint8_t rights) {
    if (s >= CHAOS_SLOTS || caps[s].kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
    if (caps[s].kind != kind) {
        return IPC_ERR_WRONG_CAP;
    }
    return (caps[s].rights & rights) == rights ? IPC_OK : IPC_ERR_NO_RIGHTS;
}

/* Fills the shadow from the kernel at the start: mmserver's endpoint in MM_SLOT_SERVER (badged
 * with this client's id), its own thread; any other endpoint is treated as its own. */
static void shadow_init(void) {
    for (uint64_t s = 0; s < CHAOS_SLOTS; s++) {
        ipc_ret_t r = sys(IPC_SYS_CAP_IDENTIFY, s, 0, 0, 0, 0, 0);
        CHAOS_CHECK(r.err == IPC_OK, "identify %llu: %s", (unsigned long long)s,
                    ipc_strerror(r.err));
        caps[s].kind = (uint8_t)r.value;
        caps[s].rights = (uint8_t)(r.value >> 8);
        caps[s].badged = s == MM_SLOT_SERVER;
        caps[s].origin = caps[s].kind == IPC_CAP_THREAD     ? FROM_THREAD
                         : s == MM_SLOT_SERVER              ? FROM_SERVER
                         : caps[s].kind == IPC_CAP_ENDPOINT ? FROM_OWN
                                                            : FROM_NONE;
    }
    CHAOS_CHECK(caps[MM_SLOT_SERVER].kind == IPC_CAP_ENDPOINT, "no endpoint in MM_SLOT_SERVER");
    CHAOS_CHECK(caps[IPC_SLOT_SELF].kind == IPC_CAP_THREAD &&
                    !(caps[IPC_SLOT_SELF].rights & IPC_RIGHT_THREAD_BIND),
                "its own thread capability has rights %x", caps[IPC_SLOT_SELF].rights);
}

/* Checks what the kernel says slot s holds against the shadow. */
static void shadow_check(uint64_t s) {
    ipc_ret_t r = sys(IPC_SYS_CAP_IDENTIFY, s, 0, 0, 0, 0, 0);
    if (s >= CHAOS_SLOTS) {
        CHAOS_CHECK(r.err == IPC_ERR_INVALID_CAP, "identify %llx: %s", (unsigned long long)s,
                    ipc_strerror(r.err));
        return;
    }
    uint64_t want = caps[s].kind | (uint64_t)caps[s].rights << 8;
    CHAOS_CHECK(r.err == IPC_OK && r.value == want, "identify %llu: %s %llx, shadow %llx",
                (unsigned long long)s, ipc_strerror(r.err), (unsigned long long)r.value,
                (unsigned long long)want);
}

/* endpoint_create in a random slot: exactly the kernel's answer for what the slot holds
 * (or NO_MEMORY once the kernel's endpoints are used up). */
static void endpoint_create(void) {
    uint64_t s = slot();
    ipc_err_t want = s >= CHAOS_SLOTS ? IPC_ERR_INVALID_CAP
                     : caps[s].kind   ? IPC_ERR_SLOT_FULL
                                      : IPC_OK;
    uint64_t e = sys(IPC_SYS_ENDPOINT_CREATE, s, word(), word(), 0, 0, 0).err;
    CHAOS_CHECK(e == want || (want == IPC_OK && e == IPC_ERR_NO_MEMORY),
                "endpoint_create %llx: %s, wanted %s", (unsigned long long)s, ipc_strerror(e),
                ipc_strerror(want));
    if (e == IPC_OK && want == IPC_OK) {
        caps[s] = (shadow_slot_t){IPC_CAP_ENDPOINT, IPC_RIGHTS_ALL, FROM_OWN, 0};
    }
}

/* What cap_copy (src, dst, rights, badge) must answer (kernel/cap.c, kern_cap_copy_to). */
static ipc_err_t copy_rule(uint64_t src, uint64_t dst, uint64_t rights, uint64_t badge) {
    if (rights & ~(uint64_t)IPC_RIGHTS_ALL) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if (src >= CHAOS_SLOTS || caps[src].kind == IPC_CAP_NONE) {
        return IPC_ERR_INVALID_CAP;
    }
    if (badge && (caps[src].kind != IPC_CAP_ENDPOINT || caps[src].badged)) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if (dst >= CHAOS_SLOTS) {
        return IPC_ERR_INVALID_CAP;
    }
    return caps[dst].kind ? IPC_ERR_SLOT_FULL : IPC_OK;
}

/* cap_copy with random slots, rights and badge; the copy keeps only the rights asked. */
static void cap_copy(void) {
    uint64_t src = slot(), dst = slot();
    uint64_t rights = one_in(4) ? word() : below(IPC_RIGHTS_ALL + 1);
    uint64_t badge = one_in(4) ? word() : 0;
    ipc_err_t want = copy_rule(src, dst, rights, badge);
    uint64_t e = sys(IPC_SYS_CAP_COPY, src, dst, rights, badge, word(), word()).err;
    CHAOS_CHECK(e == want, "cap_copy %llx -> %llx rights %llx badge %llx: %s, wanted %s",
                (unsigned long long)src, (unsigned long long)dst, (unsigned long long)rights,
                (unsigned long long)badge, ipc_strerror(e), ipc_strerror(want));
    if (e == IPC_OK && want == IPC_OK) {
        caps[dst] = caps[src];
        caps[dst].rights &= (uint8_t)rights;
        caps[dst].badged |= badge != 0;
        shadow_check(dst);
    }
}

/* cap_delete of a random slot but MM_SLOT_SERVER (every later request needs it). */
static void cap_delete(void) {
    uint64_t s = slot();
    if (s == MM_SLOT_SERVER) {
        excluded++;
        return;
    }
    ipc_err_t want = lookup(s, caps[s < CHAOS_SLOTS ? s : 0].kind, 0);
    uint64_t e = sys(IPC_SYS_CAP_DELETE, s, word(), 0, 0, 0, 0).err;
    CHAOS_CHECK(e == want, "cap_delete %llx: %s, wanted %s", (unsigned long long)s, ipc_strerror(e),
                ipc_strerror(want));
    if (e == IPC_OK && want == IPC_OK) {
        caps[s] = (shadow_slot_t){0};
    }
}

/* thread_kill on a random slot, unless it names this program's own thread (that would end
 * it: not a finding, and nothing after it would run). */
static void thread_kill(void) {
    uint64_t s = slot();
    ipc_err_t want = lookup(s, IPC_CAP_THREAD, 0);
    if (want == IPC_OK) {
        excluded++;
        return;
    }
    uint64_t e = sys(IPC_SYS_THREAD_KILL, s, word(), 0, 0, 0, 0).err;
    CHAOS_CHECK(e == want, "thread_kill %llx: %s, wanted %s", (unsigned long long)s,
                ipc_strerror(e), ipc_strerror(want));
}

/* thread_set_fault on a random slot, its own thread included: mmserver gives a process its
 * own thread capability without IPC_RIGHT_THREAD_BIND, so the kernel refuses (NO_RIGHTS) and
 * its faults keep reaching mmserver. A capability with that right would let it escape
 * mmserver: never held here (shadow_init checks), left out if it ever were. */
static void set_fault(void) {
    uint64_t s = slot(), ep = one_in(3) ? IPC_SLOT_NONE : slot();
    ipc_err_t want = lookup(s, IPC_CAP_THREAD, IPC_RIGHT_THREAD_BIND);
    if (want == IPC_OK) {
        excluded++;
        return;
    }
    uint64_t e = sys(IPC_SYS_THREAD_SET_FAULT, s, ep, word(), 0, 0, 0).err;
    CHAOS_CHECK(e == want, "set_fault %llx: %s, wanted %s", (unsigned long long)s, ipc_strerror(e),
                ipc_strerror(want));
}

/* thread_set_priority: above its own (NO_RIGHTS), out of range (INVALID_ARGUMENT), its own
 * (OK); never lower on its own thread (see the top of the file: it would starve). */
static void set_priority(void) {
    uint64_t s = slot(), prio = one_in(3) ? word() : IPC_PRIO_DEFAULT + below(3);
    ipc_err_t want = lookup(s, IPC_CAP_THREAD, 0);
    if (want == IPC_OK) {
        want = prio >= IPC_PRIO_COUNT    ? IPC_ERR_INVALID_ARGUMENT
               : prio > IPC_PRIO_DEFAULT ? IPC_ERR_NO_RIGHTS
                                         : IPC_OK;
        if (prio < IPC_PRIO_DEFAULT) {
            excluded++;
            return;
        }
    }
    uint64_t e = sys(IPC_SYS_THREAD_SET_PRIORITY, s, prio, word(), 0, 0, 0).err;
    CHAOS_CHECK(e == want, "set_priority %llx %llx: %s, wanted %s", (unsigned long long)s,
                (unsigned long long)prio, ipc_strerror(e), ipc_strerror(want));
}

/* A privileged call (48..54) with any slot as the memory capability: this program holds
 * none, so an empty or out-of-table slot is INVALID_CAP and any other WRONG_CAP. */
static void privileged(uint64_t nr) {
    uint64_t s = slot();
    ipc_err_t want = lookup(s, MMPRIV_CAP_MEMORY, 0);
    uint64_t e = sys(nr, s, word(), word(), word(), word(), word()).err;
    CHAOS_CHECK(e == want && want != IPC_OK, "privileged %llu slot %llx: %s, wanted %s",
                (unsigned long long)nr, (unsigned long long)s, ipc_strerror(e), ipc_strerror(want));
}

/* ---- memory requests -------------------------------------------------------------------- */

/* True when [va, va + len) does not wrap and meets [lo, hi). */
static bool meets(uint64_t va, uint64_t len, uint64_t lo, uint64_t hi) {
    return len && va + (len - 1) >= va && va < hi && va + (len - 1) >= lo;
}

/* True when a range that does not wrap meets what this program runs on or keeps a model of:
 * IPC buffer and image, stack and its guard, the model's ranges, the pattern pages and the
 * hole after them. */
static bool vital(uint64_t va, uint64_t len) {
    return meets(va, len, VITAL_LO, VITAL_LO + MM_PAGE_SIZE) ||
           meets(va, len, IMAGE_VA, VITAL_HI) || meets(va, len, stack_lo, stack_hi) ||
           meets(va, len, SLOT_VA, SLOT_VA + SLOTS * SLOT_SPAN) ||
           meets(va, len, SOURCE_VA, HOLE_VA + HOLE_LEN);
}

/* Where each label keeps the range it creates or changes in this program's space (va word,
 * length word); -1: the label changes no range of its own. */
static const int8_t range_word[MM_LABEL_COUNT_][2] = {
    [0] = {-1, -1},
    [MM_MAP] = {MM_A_MAP_VA, MM_A_MAP_LEN},
    [MM_UNMAP] = {MM_A_VA, MM_A_LEN},
    [MM_PROTECT] = {MM_A_VA, MM_A_LEN},
    [MM_QUERY] = {-1, -1},
    [MM_SHARE_ACCEPT] = {MM_A_ACC_VA, MM_A_ACC_LEN},
    [MM_SHARE] = {-1, -1},
    [MM_DECOMMIT] = {MM_A_VA, MM_A_LEN},
    [MM_MAP_DEVICE] = {MM_A_DEV_VA, MM_A_DEV_LEN},
    [MM_STATS] = {-1, -1},
};

/* Makes the request (label, w: the words mmserver will read) harmless to this program: a
 * range of its own that meets a vital one moves to the play area, and a share aimed at the
 * window area (mm_chaos.h) carries the pattern pages. */
static void spare_self(uint64_t label, uint64_t w[MM_REQ_WORDS]) {
    if (label == 0 || label >= MM_LABEL_COUNT_) {
        return;
    }
    if (label == MM_SHARE && meets(w[MM_A_SHR_DST_VA], w[MM_A_SHR_LEN], MM_SHARE_WINDOW(0),
                                   MM_SHARE_WINDOW(MM_SHARE_IDS + 1))) {
        w[MM_A_SHR_VA] = SOURCE_VA;
        return;
    }
    int va = range_word[label][0], len = range_word[label][1];
    if (va >= 0 && vital(w[va], w[len])) {
        w[va] = PLAY_VA + (w[va] & (PLAY_LEN - 1));
        redirected++;
    }
}

/* Where each label keeps a permission word (-1: none). */
static const int8_t perm_word[MM_LABEL_COUNT_] = {
    [0] = -1,
    [MM_MAP] = MM_A_MAP_PERM,
    [MM_UNMAP] = -1,
    [MM_PROTECT] = MM_A_PERM,
    [MM_QUERY] = -1,
    [MM_SHARE_ACCEPT] = MM_A_ACC_MAX,
    [MM_SHARE] = MM_A_SHR_PERM,
    [MM_DECOMMIT] = -1,
    [MM_MAP_DEVICE] = MM_A_DEV_PERM,
    [MM_STATS] = -1,
};

/* A range a request could well be carried out on: part of a range an earlier random request
 * created, or pages of the play area. Tame accepts and shares meet at PEER_WINDOW: each
 * instance accepts from a peer k at PEER_WINDOW(k) and shares into PEER_WINDOW(its own id). */
static void tame_range(uint64_t *va, uint64_t *len) {
    unsigned k = (unsigned)below(RECENT);
    if (recent_pages[k] && one_in(2)) {
        uint64_t first = below(recent_pages[k]);
        *va = recent_va[k] + first * MM_PAGE_SIZE;
        *len = (1 + below(recent_pages[k] - first)) * MM_PAGE_SIZE;
        return;
    }
    *va = PLAY_VA + below(PLAY_LEN / MM_PAGE_SIZE) * MM_PAGE_SIZE;
    *len = (1 + below(16)) * MM_PAGE_SIZE;
}

/* Random words for a request of label: addresses and lengths where it reads them. */
static void request_words(uint64_t label, uint64_t w[MM_REQ_WORDS], bool tame) {
    for (unsigned i = 0; i < MM_REQ_WORDS; i++) {
        w[i] = one_in(3) ? word() : below(16);
    }
    if (label == MM_SHARE_ACCEPT) {
        w[MM_A_ACC_FROM] = one_in(2) ? below(MM_SHARE_IDS + 1) : word();
    }
    int perm = label < MM_LABEL_COUNT_ ? perm_word[label] : -1;
    if (perm >= 0) {
        w[perm] = one_in(4) && !tame ? word() : one_in(3) ? MM_PERM_R : RW;
    }
    if (label == MM_MAP) {
        w[MM_A_MAP_FLAGS] = one_in(4) && !tame ? word() : below(MM_F_ALL + 1);
    }
    int va = label < MM_LABEL_COUNT_ ? range_word[label][0] : -1;
    if (va >= 0) {
        w[va] = address();
        w[range_word[label][1]] = length(w[va]);
    } else if (label == MM_SHARE) {
        w[MM_A_SHR_VA] = address();
        w[MM_A_SHR_LEN] = length(w[MM_A_SHR_VA]);
        w[MM_A_SHR_TO] = below(MM_SHARE_IDS + 1);
        w[MM_A_SHR_DST_VA] = one_in(2) ? MM_SHARE_WINDOW(below(MM_SHARE_IDS)) : address();
    } else if (label == MM_QUERY) {
        w[MM_A_VA] = address();
    }
    if (tame && va >= 0) {
        tame_range(&w[va], &w[range_word[label][1]]);
    } else if (tame && label == MM_SHARE) {
        tame_range(&w[MM_A_SHR_VA], &w[MM_A_SHR_LEN]);
    }
    if (tame && label == MM_MAP && one_in(4)) { /* 2 MiB leaves, for later requests to split */
        w[MM_A_MAP_VA] = PLAY_VA + below(PLAY_LEN / MM_HUGE_SIZE - 2) * MM_HUGE_SIZE;
        w[MM_A_MAP_LEN] = (1 + below(2)) * MM_HUGE_SIZE;
        w[MM_A_MAP_FLAGS] = MM_F_HUGE | (one_in(4) ? MM_F_OVERWRITE : 0);
    }
    if (tame && npeers && label == MM_SHARE_ACCEPT) {
        w[MM_A_ACC_FROM] = peer[below(npeers)];
        w[MM_A_ACC_VA] = PEER_WINDOW(w[MM_A_ACC_FROM]) + below(PEER_PAGES / 2) * MM_PAGE_SIZE;
        w[MM_A_ACC_LEN] = (1 + below(PEER_PAGES / 2)) * MM_PAGE_SIZE;
    } else if (tame && npeers && label == MM_SHARE) {
        w[MM_A_SHR_TO] = peer[below(npeers)];
        w[MM_A_SHR_DST_VA] = PEER_WINDOW(self_id) + below(PEER_PAGES / 2) * MM_PAGE_SIZE;
    }
}

/* Checks a reply of mmserver to a request with a valid label: a typed error, with every word
 * but MM_R_WHERE zero on an error, and never a device mapping for this unprivileged client. */
static void check_reply(uint64_t label, uint64_t err, const uint64_t w[MM_REPLY_WORDS]) {
    CHAOS_CHECK(err < MM_ERR_COUNT_, "label %llu: reply label %llu", (unsigned long long)label,
                (unsigned long long)err);
    CHAOS_CHECK(!(label == MM_MAP_DEVICE && err == MM_OK), "a device mapping was granted");
    if (err == MM_OK) {
        taken[label < MM_LABEL_COUNT_ ? label : 0]++;
        huge_pages += label == MM_MAP ? w[MM_R_MAP_HUGE] : 0;
        splits += label == MM_PROTECT ? w[MM_R_PROT_SPLITS] : 0;
        if (label == MM_MAP || label == MM_SHARE_ACCEPT) {
            recent_va[recent_next] = w[label == MM_MAP ? MM_R_MAP_VA : MM_R_ACC_VA];
            recent_pages[recent_next] = w[label == MM_MAP ? MM_R_MAP_RESERVED : MM_R_ACC_PAGES];
            recent_next = (recent_next + 1) % RECENT;
        }
        return;
    }
    for (unsigned i = 1; i < MM_REPLY_WORDS; i++) {
        CHAOS_CHECK(w[i] == 0, "label %llu error %llu: reply word %u is %llx",
                    (unsigned long long)label, (unsigned long long)err, i,
                    (unsigned long long)w[i]);
    }
}

/* A request with a valid label (or, now and then, an unknown one) and random words (half the
 * time tame ones: see tame_range), through the client transport. */
static void request(void) {
    /* The client transport carries a 32-bit label (MM_CALL_LABEL; its high bits ask it to
     * pass a capability): labels the kernel reserves are tried by message() instead. */
    uint64_t label = one_in(8) ? MM_CALL_LABEL(word()) : 1 + below(MM_LABEL_COUNT_ - 1);
    uint64_t w[MM_REQ_WORDS];
    request_words(label, w, one_in(2));
    spare_self(label, w);
    uint64_t sent = label;
    uint64_t e = cc.conn.call(cc.conn.ctx, &label, w);
    if (sent & IPC_LABEL_FAULT) {
        CHAOS_CHECK(e == IPC_ERR_INVALID_ARGUMENT, "label %llx: %s", (unsigned long long)sent,
                    ipc_strerror(e));
        return;
    }
    CHAOS_CHECK(e == IPC_OK, "request %llx: %s", (unsigned long long)sent, ipc_strerror(e));
    if (e == IPC_OK) {
        check_reply(sent, label, w);
        CHAOS_CHECK(sent - 1 < MM_LABEL_COUNT_ - 1 || label == MM_ERR_INVAL,
                    "unknown label %llx: %llu", (unsigned long long)sent,
                    (unsigned long long)label);
    }
}

/* ---- raw syscalls ----------------------------------------------------------------------- */

/* What send or call through slot s with info must answer once the words are taken
 * (kernel/ipc.c: the capability, then label and grant). */
static ipc_err_t send_rule(uint64_t s, uint64_t info) {
    ipc_err_t e = lookup(s, IPC_CAP_ENDPOINT, IPC_RIGHT_SEND);
    if (e != IPC_OK) {
        return e;
    }
    if (ipc_info_label(info) & IPC_LABEL_FAULT) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    return (info & IPC_INFO_CAP) && !(caps[s].rights & IPC_RIGHT_GRANT) ? IPC_ERR_NO_RIGHTS
                                                                        : IPC_OK;
}

/* What the message syscall nr (16..20) must answer, with or without an IPC buffer; *blocks
 * when the kernel would accept it on an endpoint nobody else holds (the caller would wait for
 * ever). All but recv take the words first (kernel/ipc_sys.c, msg_in): too many, or more than
 * the registers without a buffer, fail before anything else. This program never receives a
 * call, so it never holds a reply right. */
static ipc_err_t message_rule(uint64_t nr, uint64_t s, uint64_t info, bool buffered, bool *blocks) {
    uint64_t len = ipc_info_length(info);
    ipc_err_t e;
    *blocks = false;
    if (nr != IPC_SYS_RECV && len > IPC_MSG_MAX_WORDS) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    if (nr != IPC_SYS_RECV && len > IPC_MSG_REGS && !buffered) {
        return IPC_ERR_BAD_ADDRESS;
    }
    switch (nr) {
        case IPC_SYS_SEND:
        case IPC_SYS_CALL:
            e = send_rule(s, info);
            *blocks = e == IPC_OK && caps[s].origin != FROM_SERVER;
            return e;
        case IPC_SYS_REPLY:
            return ipc_info_label(info) & IPC_LABEL_FAULT ? IPC_ERR_INVALID_ARGUMENT
                                                          : IPC_ERR_NO_REPLY;
        default: /* recv, reply_recv: only its own endpoints can receive, and nobody sends there */
            e = lookup(s, IPC_CAP_ENDPOINT, IPC_RIGHT_RECV);
            *blocks = e == IPC_OK;
            return e;
    }
}

/* A random message syscall on a random slot (mmserver's half the time): random label,
 * length (up to past the IPC buffer), capability bit and words, now and then with no IPC
 * buffer set; a request mmserver will read is spared like any other (spare_self). */
static void message(uint64_t nr) {
    ipc_buffer_t *buf = cc.ipc.buffer;
    uint64_t s = one_in(2) ? MM_SLOT_SERVER : slot();
    uint64_t label = one_in(4) ? word() & LABEL_MASK : below(MM_LABEL_COUNT_ + 1);
    uint64_t len = one_in(4) ? below(IPC_INFO_LENGTH_MASK + 1) : below(MM_REQ_WORDS + 1);
    uint64_t w[IPC_MSG_MAX_WORDS], req[MM_REQ_WORDS];
    request_words(label, req, one_in(2));
    for (unsigned i = 0; i < IPC_MSG_MAX_WORDS; i++) {
        w[i] = i < MM_REQ_WORDS && i < len ? req[i] : i < MM_REQ_WORDS ? 0 : word();
    }
    spare_self(label, w);
    uint64_t info = ipc_info(label, len);
    info |= one_in(8) ? ipc_info_cap(0, 0, below(IPC_INFO_SLOT_MASK + 1)) : 0;
    bool blocks, buffered = !one_in(16);
    ipc_err_t want = message_rule(nr, s, info, buffered, &blocks);
    if (blocks) {
        excluded++;
        return;
    }
    ipc_msg_t m = {0, info, {w[0], w[1], w[2], w[3]}};
    for (unsigned i = IPC_MSG_REGS; i < IPC_MSG_MAX_WORDS; i++) {
        buf->words[i] = w[i];
    }
    uint64_t e = buffered ? IPC_OK : sys(IPC_SYS_SET_IPC_BUFFER, 0, 0, 0, 0, 0, 0).err;
    CHAOS_CHECK(e == IPC_OK, "set_ipc_buffer 0: %s", ipc_strerror(e));
    if (!buffered) {
        for (unsigned i = IPC_MSG_REGS; i < IPC_MSG_MAX_WORDS; i++) {
            buf->words[i] = 0; /* a reply cut to the registers leaves these as they are */
        }
    }
    e = sys_msg(nr, s, &m);
    if (!buffered) {
        uint64_t back = sys(IPC_SYS_SET_IPC_BUFFER, MM_IPC_BUFFER_VA, 0, 0, 0, 0, 0).err;
        CHAOS_CHECK(back == IPC_OK, "set_ipc_buffer back: %s", ipc_strerror(back));
    }
    CHAOS_CHECK(e == want, "message %llu slot %llx info %llx: %s, wanted %s",
                (unsigned long long)nr, (unsigned long long)s, (unsigned long long)info,
                ipc_strerror(e), ipc_strerror(want));
    if (e == IPC_OK && nr == IPC_SYS_CALL) {
        uint64_t reply[MM_REPLY_WORDS], err = ipc_info_label(m.info);
        mm_msg_unpack(m.info, m.w, buf, &err, reply);
        check_reply(label, err, reply);
        CHAOS_CHECK((label - 1 < MM_LABEL_COUNT_ - 1 && len <= MM_REQ_WORDS) || err == MM_ERR_INVAL,
                    "label %llx length %llu: %llu", (unsigned long long)label,
                    (unsigned long long)len, (unsigned long long)err);
    }
}

/* A debug write from a buffer nobody maps (BAD_ADDRESS), one too long (INVALID_ARGUMENT),
 * or nothing from a good buffer (OK, 0 bytes). Never a visible byte: the console carries
 * the verdicts. */
static void debug_write(void) {
    uint64_t buf = bad_address(), len = 1 + below(64);
    ipc_err_t want = IPC_ERR_BAD_ADDRESS;
    if (one_in(3)) {
        buf = address();
        len = IPC_DEBUG_WRITE_MAX + 1 + (one_in(2) ? below(100) : rng() >> 1);
        want = IPC_ERR_INVALID_ARGUMENT;
    } else if (one_in(2)) {
        buf = (uint64_t)(uintptr_t)&step;
        len = 0;
        want = IPC_OK;
    }
    uint64_t e = sys(IPC_SYS_DEBUG_WRITE, buf, len, word(), 0, 0, 0).err;
    CHAOS_CHECK(e == want, "debug_write %llx+%llu: %s, wanted %s", (unsigned long long)buf,
                (unsigned long long)len, ipc_strerror(e), ipc_strerror(want));
}

/* The reserved number 3 (once the kernel's test-expect call) with any words: refused. */
static void test_expect_bad(void) {
    uint64_t kind = one_in(2) ? IPC_FAULT_NONE : IPC_FAULT_COUNT_ + below(1000);
    uint64_t access = 0;
    if (one_in(3)) {
        kind = 1 + below(IPC_FAULT_COUNT_ - 1);
        access = (8 + below(1000)) << below(20);
    }
    uint64_t e = sys(IPC_SYS_RESERVED_3, kind, access, word(), 0, 0, 0).err;
    CHAOS_CHECK(e == IPC_ERR_INVALID_SYSCALL, "reserved call 3 %llx %llx: %s",
                (unsigned long long)kind, (unsigned long long)access, ipc_strerror(e));
}

/* set_ipc_buffer at a random address, then back to the real buffer (every memory request
 * moves words through it). */
static void set_ipc_buffer(void) {
    uint64_t va = one_in(2) ? bad_address() & ~(MM_PAGE_SIZE - 1) : address();
    uint64_t e = sys(IPC_SYS_SET_IPC_BUFFER, va, word(), 0, 0, 0, 0).err;
    bool surely_bad =
        va < MM_USER_BASE || va >= 1ull << 47 || (va >= HOLE_VA && va < HOLE_VA + HOLE_LEN);
    ipc_err_t want = va & (MM_PAGE_SIZE - 1) ? IPC_ERR_INVALID_ARGUMENT
                     : va == 0               ? IPC_OK
                     : surely_bad            ? IPC_ERR_BAD_ADDRESS
                                             : IPC_ERR_COUNT_; /* either: a page may be there */
    CHAOS_CHECK(e == want || (want == IPC_ERR_COUNT_ && (e == IPC_OK || e == IPC_ERR_BAD_ADDRESS)),
                "set_ipc_buffer %llx: %s", (unsigned long long)va, ipc_strerror(e));
    e = sys(IPC_SYS_SET_IPC_BUFFER, MM_IPC_BUFFER_VA, 0, 0, 0, 0, 0).err;
    CHAOS_CHECK(e == IPC_OK, "set_ipc_buffer back: %s", ipc_strerror(e));
}

/* A number nobody gave a meaning: INVALID_SYSCALL. One added since this program was written
 * is left alone (it cannot know what that one may block on). */
static void unknown_number(uint64_t nr) {
    bool unused = (nr > IPC_SYS_RESERVED_3 && nr < IPC_SYS_IPC_FIRST) ||
                  (nr >= IPC_SYS_IPC_END_ && nr < MMPRIV_SYS_FIRST) || nr >= MMPRIV_SYS_END_;
    if (!unused) {
        excluded++;
        return;
    }
    uint64_t e = sys(nr, word(), word(), word(), word(), word(), word()).err;
    CHAOS_CHECK(e == IPC_ERR_INVALID_SYSCALL, "syscall %llx: %s", (unsigned long long)nr,
                ipc_strerror(e));
}

/* A syscall whose result must be OK (yield, null). */
static void must_work(uint64_t nr) {
    uint64_t e = sys(nr, word(), word(), word(), word(), word(), word()).err;
    CHAOS_CHECK(e == IPC_OK, "syscall %llu: %s", (unsigned long long)nr, ipc_strerror(e));
}

/* One raw syscall of a random number, 0..63 mostly, the privileged ones often, any word
 * sometimes. */
static void raw_syscall(void) {
    uint64_t nr = below(8)    ? below(NR_BUCKETS)
                  : one_in(2) ? MMPRIV_SYS_FIRST + below(MMPRIV_SYS_END_ - MMPRIV_SYS_FIRST)
                              : word();
    switch (nr) {
        case IPC_SYS_DEBUG_WRITE:
            debug_write();
            break;
        case IPC_SYS_EXIT:
            excluded++;
            break; /* ends the program */
        case IPC_SYS_YIELD:
        case IPC_SYS_NULL:
            must_work(nr);
            break;
        case IPC_SYS_RESERVED_3:
            test_expect_bad();
            break;
        case IPC_SYS_SEND:
        case IPC_SYS_RECV:
        case IPC_SYS_CALL:
        case IPC_SYS_REPLY:
        case IPC_SYS_REPLY_RECV:
            message(nr);
            break;
        case IPC_SYS_ENDPOINT_CREATE:
            endpoint_create();
            break;
        case IPC_SYS_CAP_COPY:
            cap_copy();
            break;
        case IPC_SYS_CAP_DELETE:
            cap_delete();
            break;
        case IPC_SYS_CAP_IDENTIFY:
            shadow_check(slot());
            break;
        case IPC_SYS_THREAD_KILL:
            thread_kill();
            break;
        case IPC_SYS_THREAD_SET_FAULT:
            set_fault();
            break;
        case IPC_SYS_THREAD_SET_PRIORITY:
            set_priority();
            break;
        case IPC_SYS_SET_IPC_BUFFER:
            set_ipc_buffer();
            break;
        default:
            if (nr >= MMPRIV_SYS_FIRST && nr < MMPRIV_SYS_END_) {
                privileged(nr);
            } else {
                unknown_number(nr);
            }
    }
}

/* ---- the model: ranges of its own whose every answer is known ---------------------------- */

/* The address of page p of model slot i. */
static uint64_t slot_va(unsigned i, unsigned p) {
    return SLOT_VA + i * SLOT_SPAN + p * MM_PAGE_SIZE;
}

/* Unmaps the ranges random requests created (whatever later requests left of them: any
 * answer will do), so the quota they took comes back for the model. */
static void free_recent(void) {
    for (unsigned k = 0; k < RECENT; k++) {
        if (recent_pages[k] && !vital(recent_va[k], recent_pages[k] * MM_PAGE_SIZE)) {
            mm_unmap(&cc.conn, recent_va[k], recent_pages[k] * MM_PAGE_SIZE, NULL);
        }
        recent_pages[k] = 0;
    }
}

/* Maps a free slot (1..SLOT_PAGES pages, eager or lazy, read-write or read-only); only the
 * quota or the pool may refuse it. */
static void model_map(model_slot_t *m, unsigned i) {
    uint32_t pages = 1 + (uint32_t)below(SLOT_PAGES), perm = one_in(4) ? MM_PERM_R : RW;
    bool lazy = one_in(2);
    mm_map_result_t r;
    mm_err_t e =
        mm_map(&cc.conn, slot_va(i, 0), pages * MM_PAGE_SIZE, perm, lazy ? MM_F_LAZY : 0, &r);
    if (e == MM_ERR_QUOTA || e == MM_ERR_NOMEM) {
        quota_refusals++;
        free_recent();
        return;
    }
    CHAOS_CHECK(e == MM_OK && r.va == slot_va(i, 0) && r.reserved == pages &&
                    r.pages == (lazy ? 0 : pages) && r.perm == perm,
                "map of slot %u: error %u", i, (unsigned)e);
    if (e == MM_OK) {
        *m = (model_slot_t){true, pages, perm, {0}};
    }
}

/* Checks the query of a random page of slot i against the model: the slot's region, or
 * NOT_MAPPED past its end and for a free slot. */
static void model_query(const model_slot_t *m, unsigned i) {
    unsigned p = (unsigned)below(SLOT_PAGES);
    mm_query_result_t q;
    mm_err_t e = mm_query(&cc.conn, slot_va(i, p), &q);
    if (!m->mapped || p >= m->pages) {
        CHAOS_CHECK(e == MM_ERR_NOT_MAPPED, "query of slot %u page %u: error %u", i, p,
                    (unsigned)e);
        return;
    }
    CHAOS_CHECK(e == MM_OK && q.base == slot_va(i, 0) && q.len == m->pages * MM_PAGE_SIZE &&
                    q.perm == m->perm && (q.kind == MM_KIND_ANON || q.kind == MM_KIND_LAZY),
                "query of slot %u: error %u base %llx len %llx perm %u kind %u", i, (unsigned)e,
                (unsigned long long)q.base, (unsigned long long)q.len, q.perm, q.kind);
}

/* Reads (and, when writable, rewrites) the first word of a random page of slot i. */
static void model_touch(model_slot_t *m, unsigned i) {
    unsigned p = (unsigned)below(m->pages);
    volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)slot_va(i, p);
    touches++;
    CHAOS_CHECK(*w == m->word[p], "slot %u page %u holds %llx, not %llx", i, p,
                (unsigned long long)*w, (unsigned long long)m->word[p]);
    if (m->perm & MM_PERM_W) {
        m->word[p] = rng() | 1;
        *w = m->word[p];
    }
}

/* Unmaps, protects or decommits slot i, each of which must work on a range it mapped. */
static void model_change(model_slot_t *m, unsigned i) {
    uint64_t va = slot_va(i, 0), len = m->pages * MM_PAGE_SIZE;
    mm_release_result_t rel;
    mm_protect_result_t pr;
    mm_err_t e;
    switch (below(3)) {
        case 0:
            e = mm_unmap(&cc.conn, va, len, &rel);
            CHAOS_CHECK(e == MM_OK && rel.unreserved == m->pages, "unmap of slot %u: error %u", i,
                        (unsigned)e);
            m->mapped = e != MM_OK;
            break;
        case 1:
            m->perm = m->perm == RW ? MM_PERM_R : RW;
            e = mm_protect(&cc.conn, va, len, m->perm, &pr);
            CHAOS_CHECK(e == MM_OK && pr.perm == m->perm, "protect of slot %u: error %u", i,
                        (unsigned)e);
            break;
        default:
            e = mm_decommit(&cc.conn, va, len, &rel);
            CHAOS_CHECK(e == MM_OK, "decommit of slot %u: error %u", i, (unsigned)e);
            for (unsigned p = 0; p < SLOT_PAGES; p++) {
                m->word[p] = 0; /* the next touch reads a fresh zero page */
            }
            break;
    }
}

/* One valid operation on a random slot of the model. */
static void model_step(void) {
    unsigned i = (unsigned)below(SLOTS);
    model_slot_t *m = &model[i];
    if (!m->mapped) {
        one_in(4) ? model_query(m, i) : model_map(m, i);
        return;
    }
    switch (below(4)) {
        case 0:
            model_query(m, i);
            break;
        case 1:
            model_change(m, i);
            break;
        default:
            model_touch(m, i);
            break;
    }
}

/* ---- touches and shares ----------------------------------------------------------------- */

/* Reads a random address its regions let it read (mmserver fills a lazy page on the way),
 * and writes back there when the region is writable and not one it runs on. Asks first:
 * a touch outside its regions would end it. */
static void touch(void) {
    uint64_t va = address() & ~7ull, page = va & ~(MM_PAGE_SIZE - 1);
    mm_query_result_t q;
    if (mm_query(&cc.conn, page, &q) != MM_OK || !(q.perm & MM_PERM_R) ||
        q.kind == MM_KIND_DEVICE || (q.kind == MM_KIND_SHARED && !q.frame)) {
        return;
    }
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
    uint64_t v = *p;
    touches++;
    if ((q.perm & MM_PERM_W) && (q.kind == MM_KIND_ANON || q.kind == MM_KIND_LAZY) &&
        !vital(page, MM_PAGE_SIZE)) {
        *p = v ^ rng();
    }
}

/* True when id is a live client other than this one. */
static bool is_peer(uint64_t id) {
    for (unsigned i = 0; i < npeers; i++) {
        if (peer[i] == id) {
            return true;
        }
    }
    return false;
}

/* Shares the pattern pages toward a client: itself (INVAL), nobody (NO_CLIENT), or a live
 * one; the witness takes one share (one read-only page, into the window it accepted from this
 * program, once) and checks what it got. */
static void share(void) {
    uint64_t to = one_in(4) ? below(MM_SHARE_IDS + 1) : npeers ? peer[below(npeers)] : self_id;
    uint32_t perm = one_in(2) ? MM_PERM_R : one_in(2) ? RW : MM_PERM_R | MM_PERM_X;
    uint64_t pages = one_in(4) ? SOURCE_PAGES : 1;
    uint64_t dst = MM_SHARE_WINDOW(one_in(4) ? below(MM_SHARE_IDS) : self_id);
    mm_err_t e = mm_share(&cc.conn, SOURCE_VA, pages * MM_PAGE_SIZE, (uint32_t)to, dst, perm, NULL);
    bool the_one =
        is_peer(to) && perm == MM_PERM_R && pages == 1 && dst == MM_SHARE_WINDOW(self_id);
    if (to == self_id) {
        CHAOS_CHECK(e == MM_ERR_INVAL, "share to itself: error %u", (unsigned)e);
    } else if (!is_peer(to)) {
        CHAOS_CHECK(e == MM_ERR_NO_CLIENT, "share to %llu: error %u", (unsigned long long)to,
                    (unsigned)e);
    } else {
        /* A live client decides with its own windows (the witness checks its side; another
         * mm_chaos accepts at random and may have ended), so any typed answer is possible. */
        CHAOS_CHECK(e < MM_ERR_COUNT_, "share to %llu: error %u", (unsigned long long)to,
                    (unsigned)e);
        shared_to[to] |= the_one && e == MM_OK;
    }
}

/* The IPC buffer pulled away under the kernel: moves the IPC buffer to a model page, then
 * unmaps, decommits or write-protects that page (or leaves it: the control), then asks
 * mmserver a query, whose reply (5 words for the pattern page) travels in registers
 * (IPC_MSG_REGS covers MM_REPLY_WORDS): the whole reply must arrive whatever became of the
 * buffer, and the kernel must write nothing into the page. (A longer message into a buffer
 * that is gone or read-only is delivered as its register words only: ipc_misuse and the
 * kernel's host tests check that.) */
static void buffer_hazard(void) {
    unsigned i = (unsigned)below(SLOTS), how = (unsigned)below(4);
    model_slot_t *m = &model[i];
    if (!m->mapped || m->perm != RW) {
        return;
    }
    volatile uint64_t *page = (volatile uint64_t *)(uintptr_t)slot_va(i, 0);
    const uint64_t marker = 0xb0ffe2b0ffe20000ull;
    page[0] = m->word[0] = rng() | 1; /* present and writable now */
    page[4] = page[5] = marker;
    uint64_t e = sys(IPC_SYS_SET_IPC_BUFFER, slot_va(i, 0), 0, 0, 0, 0, 0).err;
    CHAOS_CHECK(e == IPC_OK, "buffer at slot %u: %s", i, ipc_strerror(e));
    hazards[how]++;
    uint64_t len = m->pages * MM_PAGE_SIZE;
    mm_err_t r = how == 0   ? mm_unmap(&cc.conn, slot_va(i, 0), len, NULL)
                 : how == 1 ? mm_decommit(&cc.conn, slot_va(i, 0), len, NULL)
                 : how == 2 ? mm_protect(&cc.conn, slot_va(i, 0), len, MM_PERM_R, NULL)
                            : MM_OK;
    CHAOS_CHECK(r == MM_OK, "pulling the buffer away (%u): error %u", how, (unsigned)r);
    m->mapped = how != 0;
    m->perm = how == 2 ? MM_PERM_R : m->perm;
    for (unsigned p = 0; how == 1 && p < SLOT_PAGES; p++) {
        m->word[p] = 0;
    }
    ipc_msg_t q = {0, ipc_info(MM_QUERY, 1), {SOURCE_VA, 0, 0, 0}};
    e = sys_msg(IPC_SYS_CALL, MM_SLOT_SERVER, &q);
    uint64_t want_len = MM_R_Q_SHIFT + 1;
    CHAOS_CHECK(e == IPC_OK && ipc_info_label(q.info) == MM_OK && q.w[0] == SOURCE_VA &&
                    ipc_info_length(q.info) == want_len,
                "query with the buffer pulled away (%u): %s, label %llu length %llu", how,
                ipc_strerror(e), (unsigned long long)ipc_info_label(q.info),
                (unsigned long long)ipc_info_length(q.info));
    if (how != 0) {
        uint64_t w4 = how == 1 ? 0 : marker; /* decommitted: a fresh zero page */
        uint64_t w5 = w4;
        CHAOS_CHECK(page[4] == w4 && page[5] == w5, "buffer page (%u) words 4, 5: %llx %llx", how,
                    (unsigned long long)page[4], (unsigned long long)page[5]);
    }
    e = sys(IPC_SYS_SET_IPC_BUFFER, MM_IPC_BUFFER_VA, 0, 0, 0, 0, 0).err;
    CHAOS_CHECK(e == IPC_OK, "set_ipc_buffer back: %s", ipc_strerror(e));
}

/* Reads its pattern pages over and over without a syscall, for longer than a time slice,
 * so the timer preempts it wherever it is (the witness runs meanwhile); the words must hold. */
static void spin(void) {
    const volatile uint64_t *src = (const volatile uint64_t *)(uintptr_t)SOURCE_VA;
    uint64_t bad = 0;
    for (uint64_t round = 0; round < SPIN_ROUNDS; round++) {
        for (uint64_t i = 0; i < SOURCE_PAGES * WORDS; i++) {
            bad += src[i] != CHAOS_SHARE_WORD(i % WORDS);
        }
    }
    spins++;
    CHAOS_CHECK(bad == 0, "spin: %llu pattern words changed", (unsigned long long)bad);
}

/* ---- set-up, end, report ---------------------------------------------------------------- */

/* Learns its stack, maps and fills the pattern pages (then read-only), learns its own id
 * and the live others (chaos_probe). False when any of it fails. */
static bool set_up(void) {
    uint64_t local = 0;
    mm_query_result_t q;
    shadow_init();
    if (mm_query(&cc.conn, (uint64_t)(uintptr_t)&local & ~(MM_PAGE_SIZE - 1), &q) != MM_OK ||
        mm_map(&cc.conn, SOURCE_VA, SOURCE_PAGES * MM_PAGE_SIZE, RW, 0, NULL) != MM_OK) {
        return false;
    }
    stack_lo = q.base - MM_PAGE_SIZE;
    stack_hi = q.base + q.len;
    volatile uint64_t *src = (volatile uint64_t *)(uintptr_t)SOURCE_VA;
    for (uint64_t i = 0; i < SOURCE_PAGES * WORDS; i++) {
        src[i] = CHAOS_SHARE_WORD(i % WORDS);
    }
    if (mm_protect(&cc.conn, SOURCE_VA, SOURCE_PAGES * MM_PAGE_SIZE, MM_PERM_R, NULL) != MM_OK) {
        return false;
    }
    for (uint32_t k = 1; k < MM_SHARE_IDS; k++) {
        mm_err_t e = chaos_probe(&cc, k);
        self_id = e == MM_ERR_INVAL ? k : self_id;
        peer[npeers] = k;
        npeers += e == MM_ERR_ALIGN;
        CHAOS_CHECK(e == MM_ERR_INVAL || e == MM_ERR_ALIGN || e == MM_ERR_NO_CLIENT,
                    "probe of %u: error %u", k, (unsigned)e);
    }
    return self_id != 0 && failures == 0;
}

/* Everything it kept a model of, once more: each model page, each capability slot, the
 * pattern pages, and a charge within its quota. */
static void final_checks(void) {
    for (unsigned i = 0; i < SLOTS; i++) {
        model_query(&model[i], i);
        for (unsigned p = 0; model[i].mapped && p < model[i].pages; p++) {
            volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)slot_va(i, p);
            CHAOS_CHECK(*w == model[i].word[p], "end: slot %u page %u holds %llx", i, p,
                        (unsigned long long)*w);
        }
    }
    for (uint64_t s = 0; s < CHAOS_SLOTS; s++) {
        shadow_check(s);
    }
    const volatile uint64_t *src = (const volatile uint64_t *)(uintptr_t)SOURCE_VA;
    for (uint64_t i = 0; i < SOURCE_PAGES * WORDS; i++) {
        CHAOS_CHECK(src[i] == CHAOS_SHARE_WORD(i % WORDS), "end: pattern word %llu changed",
                    (unsigned long long)i);
    }
    mm_stats_result_t st;
    CHAOS_CHECK(mm_stats(&cc.conn, &st) == MM_OK && st.charge <= st.quota, "end: stats");
}

/* Prints the seed, the counts (syscalls by number, requests by label) and the verdict. */
static void report(void) {
    uint64_t raw = 0;
    unsigned shares = 0;
    for (unsigned i = 0; i <= NR_BUCKETS; i++) {
        raw += by_nr[i];
    }
    for (unsigned i = 0; i < MM_SHARE_IDS; i++) {
        shares += shared_to[i];
    }
    uint64_t mm = chaos_conn_total(&cc);
    ipc_printf(
        "[chaos] seed=%llu steps=%llu syscalls=%llu raw=%llu mm=%llu excluded=%llu "
        "redirected=%llu touches=%llu quota_refusals=%llu client=%u peers=%u shares_taken=%u\n",
        (unsigned long long)MM_CHAOS_SEED, (unsigned long long)step, (unsigned long long)(raw + mm),
        (unsigned long long)raw, (unsigned long long)mm, (unsigned long long)excluded,
        (unsigned long long)redirected, (unsigned long long)touches,
        (unsigned long long)quota_refusals, self_id, npeers, shares);
    ipc_printf("[chaos] by number:");
    for (unsigned i = 0; i < NR_BUCKETS; i++) {
        if (by_nr[i]) {
            ipc_printf(" %u=%llu", i, (unsigned long long)by_nr[i]);
        }
    }
    ipc_printf(" other=%llu\n", (unsigned long long)by_nr[NR_BUCKETS]);
    chaos_conn_print(&cc, "[chaos] memory requests:");
    ipc_printf("[chaos] IPC buffer pulled away: unmapped %llu, decommitted %llu, read-only %llu, "
               "kept %llu; spins %llu\n",
               (unsigned long long)hazards[0], (unsigned long long)hazards[1],
               (unsigned long long)hazards[2], (unsigned long long)hazards[3],
               (unsigned long long)spins);
    ipc_printf("[chaos] random requests mmserver carried out:");
    for (unsigned i = 1; i < MM_LABEL_COUNT_; i++) {
        ipc_printf(" %u=%llu", i, (unsigned long long)taken[i]);
    }
    ipc_printf("; pages in huge leaves %llu, huge leaves split by protect %llu\n",
               (unsigned long long)huge_pages, (unsigned long long)splits);
    ipc_printf("test mm_chaos_checks: %s (%llu failed checks)\n", failures ? "FAILED" : "OK",
               (unsigned long long)failures);
}

/* One random step: raw syscalls, messages, requests, the model, touches, shares. */
static void chaos_step(void) {
    unsigned r = (unsigned)below(100);
    if (MM_CHAOS_TRACE) {
        ipc_printf("[chaos] step %llu: %u\n", (unsigned long long)step, r);
    }
    if (r < 35) {
        raw_syscall();
    } else if (r < 50) {
        message(one_in(2) ? IPC_SYS_CALL
                          : IPC_SYS_SEND + below(IPC_SYS_REPLY_RECV - IPC_SYS_SEND + 1));
    } else if (r < 65) {
        request();
    } else if (r < 85) {
        model_step();
    } else if (r < 95) {
        touch();
    } else if (r < 97) {
        share();
    } else if (r < 99) {
        one_in(4) ? spin() : buffer_hazard();
    } else {
        yield();
    }
}

/* Sets up, draws its stream (the seed, with its client id in the top byte, so each instance of
 * the program in the image has its own), runs the steps (yielding every few, so the witness runs
 * between), checks, reports; then exits, or with an odd seed ends by a declared wild write. */
int main(void) {
    chaos_conn_init(&cc);
    if (!set_up()) {
        ipc_printf("test mm_chaos_set_up: FAILED\n");
        return 1;
    }
    rng_state = MM_CHAOS_SEED ^ (uint64_t)self_id << 56;
    for (step = 0; step < MM_CHAOS_STEPS && failures < MAX_FAILURES; step++) {
        chaos_step();
        if (step % 8 == 7) {
            yield();
        }
    }
    final_checks();
    report();
    if (failures) {
        return 1;
    }
    ipc_printf("[chaos] ends with a write to the never-mapped %llx (the runner expects it)\n",
               (unsigned long long)HOLE_VA);
    *(volatile uint64_t *)(uintptr_t)HOLE_VA = 1;
    return 0;
}
