/*
 * kernel/tag.c, the address-space tag allocator (tag.h), against a model of a tagged TLB:
 * each hardware tag remembers which spaces' translations it holds. A space is loaded the
 * way kern_space_load does it (refresh, re-initialise the root when the tag changed hands,
 * then load, whose first load after an initialisation drops the tag's entries, as
 * arch_root_init promises). After every load the model checks that the tag in use holds no
 * other space's translations, and that no two spaces of the current generation share a
 * tag. Runs with 1 (none), 2, 3, 4, 17 and 4,096 tags and more spaces than tags, and checks
 * that spaces fitting in the tags are never flushed again after their first load. Without
 * tags (count 1) the model drops everything at each switch, as arch.h asks of the arch.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tag.h"

#define SPACES   64u
#define MAX_TAGS 4096u

/* A space as the kernel keeps it for this purpose: its tag and its root's state. */
typedef struct space {
    kern_tag_t tag;
    uint16_t root_tag; /* the tag its root was initialised with */
    bool stale;        /* initialised and not loaded since: the load drops the tag's entries */
    bool live;
} space_t;

static struct {
    space_t space[SPACES];
    uint64_t holds[MAX_TAGS]; /* per tag: bit i = space i's translations are cached there */
    unsigned inits, flushes, loads;
    unsigned last; /* the space loaded last, SPACES: none */
} m;

/* Creates space i as kern_space_create does: a tag now, a fresh root. */
static void create(unsigned i) {
    space_t *s = &m.space[i];
    *s = (space_t){.live = true};
    kern_tag_renew(&s->tag);
    s->root_tag = s->tag.id;
    s->stale = true;
    m.inits++;
}

/* Loads space i as kern_space_load and arch_root_load do, then checks the TLB model. */
static void load(unsigned i) {
    space_t *s = &m.space[i];
    if (kern_tag_taken(&s->tag)) {
        kern_tag_renew(&s->tag);
        s->root_tag = s->tag.id;
        s->stale = true;
        m.inits++;
    }
    cr_assert(s->root_tag < kern_tags.count || (kern_tags.count == 1 && s->root_tag == 1),
              "tag %u of %u", s->root_tag, kern_tags.count);
    cr_assert_neq(s->root_tag, 0, "a user space got the kernel's tag");
    /* untagged (count 1): the arch drops everything when another root was loaded before */
    bool switched = kern_tags.count == 1 && m.last != i;
    m.last = i;
    if (s->stale || switched) {
        m.holds[s->root_tag] = 0;
        s->stale = false;
        m.flushes++;
    }
    cr_assert_eq(m.holds[s->root_tag] & ~(1ull << i), 0,
                 "space %u loaded with tag %u, which still holds translations of spaces %#llx", i,
                 s->root_tag, (unsigned long long)(m.holds[s->root_tag] & ~(1ull << i)));
    m.holds[s->root_tag] |= 1ull << i;
    m.loads++;
    for (unsigned j = 0; j < SPACES; j++) {
        const space_t *o = &m.space[j];
        if (j != i && o->live && o->tag.gen == kern_tags.gen && kern_tags.count > 1) {
            cr_assert_neq(o->tag.id, s->tag.id, "spaces %u and %u share tag %u in generation %llu",
                          i, j, s->tag.id, (unsigned long long)kern_tags.gen);
        }
    }
}

/* Random loads of n spaces on a CPU with hw tags (limit: the kernel word). */
static void random_run(uint32_t hw, uint32_t limit, unsigned n, unsigned steps, unsigned seed) {
    memset(&m, 0, sizeof(m));
    m.last = SPACES;
    kern_tags_init(hw, limit);
    srand(seed);
    for (unsigned i = 0; i < n; i++) {
        create(i);
    }
    for (unsigned k = 0; k < steps; k++) {
        unsigned i = (unsigned)rand() % n;
        if (rand() % 50 == 0) {
            create(i); /* the space died and its slot holds a new one */
        }
        load(i);
    }
}

Test(tag, more_spaces_than_tags_never_see_stale_translations) {
    static const uint32_t hw[] = {1, 2, 3, 4, 17, 4096};
    for (unsigned k = 0; k < sizeof(hw) / sizeof(hw[0]); k++) {
        random_run(hw[k], 0, SPACES, 200000, 7 + k);
        /* every initialisation took one id, so the generations ended are fixed by the count */
        uint64_t want = kern_tags.count == 1 ? 0 : (m.inits - 1u) / (kern_tags.count - 1u);
        cr_assert_eq(kern_tags.rollovers, want, "%u tags: %llu rollovers for %u ids given", hw[k],
                     (unsigned long long)kern_tags.rollovers, m.inits);
        cr_log_info("%u hardware tags (%u in use), %u spaces, %u loads: %llu rollovers, %u root "
                    "initialisations, %u tag flushes, never a stale translation",
                    hw[k], kern_tags.count, SPACES, m.loads,
                    (unsigned long long)kern_tags.rollovers, m.inits, m.flushes);
    }
}

/* The kernel word: fewer tags than the hardware's, never more. */
Test(tag, the_kernel_word_limits_the_tags) {
    random_run(4096, 3, 10, 50000, 3);
    cr_assert_eq(kern_tags.count, 3u);
    cr_assert_gt(kern_tags.rollovers, 1000u);
    random_run(4, 4096, 10, 1000, 3);
    cr_assert_eq(kern_tags.count, 4u, "a limit above the hardware's count is no limit");
    cr_log_info("tags=3 on 4096 PCIDs: 3 in use, rollovers happen; tags=4096 on 4: 4");
}

/* Spaces that fit in the tags keep theirs: after the first round nothing is flushed. */
Test(tag, spaces_that_fit_are_never_flushed_again) {
    memset(&m, 0, sizeof(m));
    m.last = SPACES;
    kern_tags_init(17, 0);
    for (unsigned i = 0; i < 16; i++) {
        create(i);
        load(i);
    }
    unsigned flushes = m.flushes;
    srand(5);
    for (unsigned k = 0; k < 100000; k++) {
        load((unsigned)rand() % 16);
    }
    cr_assert_eq(m.flushes, flushes, "%u flushes after every space had its tag",
                 m.flushes - flushes);
    cr_assert_eq(kern_tags.rollovers, 0u);
    cr_log_info("16 spaces on 16 user tags: 100,000 loads, no flush, no rollover");
}

/* Without tags, every switch to another space takes the one user tag over (and flushes);
 * the same space loaded again keeps it. */
Test(tag, no_tags_flush_at_each_switch_only) {
    memset(&m, 0, sizeof(m));
    m.last = SPACES;
    kern_tags_init(1, 0);
    create(0);
    create(1);
    load(0);
    load(0);
    load(1);
    load(1);
    load(0);
    cr_assert_eq(m.flushes, 3u, "%u flushes for loads 0 0 1 1 0", m.flushes);
    cr_assert_eq(kern_tags.count, 1u);
    cr_assert_eq(m.inits, 2u, "untagged: each space initialised once, %u in all", m.inits);
    kern_tags_init(1, 4);
    cr_assert_eq(kern_tags.count, 1u, "a limit gives no tags to a CPU without them");
    kern_tags_init(4096, 1);
    cr_assert_eq(kern_tags.count, 2u, "tags=1 on a CPU with tags: one user tag");
    cr_log_info("no tags: loads 0 0 1 1 0 flush 3 times (each switch, by the arch), roots "
                "initialised once each; tags=1 keeps one user tag where there are tags");
}
