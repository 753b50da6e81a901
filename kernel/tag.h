/*
 * Address-space tags (x86 PCIDs, RISC-V ASIDs), recycled by generation, so that any number
 * of spaces runs on however few tags the CPU has.
 *
 * Tag 0 is the kernel's. A user space holds a tag (1 .. count-1) and the generation it was
 * given in. Tags are handed out in order; when they run out, the generation moves on and
 * numbering starts again at 1, which takes every space's tag away at once: a space whose
 * generation is old gets a new tag the next time it is about to be loaded. Within one
 * generation no two spaces share a tag. A tag that had an earlier owner may still hold that
 * owner's translations, so every tag given is given with a fresh arch_root_init, whose first
 * load drops the tag's entries (arch.h): no space ever sees another's stale translations,
 * and nothing else needs flushing at a rollover. A CPU without tags (arch_tag_count() 1)
 * needs none of this: every user space gets id 1 once, and the arch drops a root's
 * translations whenever it is loaded after another (arch.h).
 *
 * The check before each load is one comparison (kern_tag_taken); only a space whose tag
 * was taken pays for more. Single CPU: with SMP, generations become per CPU (issue 13).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A space's tag: id, valid while gen is the current generation. gen 0: never given. */
typedef struct kern_tag {
    uint64_t gen;
    uint16_t id;
} kern_tag_t;

/* The allocator: the current generation, the next id to give, the ids in use (0 included),
 * and how many generations ended (rollovers, for the console and the tests). */
typedef struct kern_tags {
    uint64_t gen;
    uint32_t next;
    uint32_t count;
    uint64_t rollovers;
} kern_tags_t;

extern kern_tags_t kern_tags;

/* Starts the allocator with the hardware's hw_count tags (0 included; arch_tag_count()),
 * cut down to limit (at least 2: one user tag) when limit is not 0 (the kernel word tags=N,
 * to force rollovers in tests). hw_count < 2: untagged, count 1. */
void kern_tags_init(uint32_t hw_count, uint32_t limit);

/* Gives t a new id in the current generation, starting a new generation when every id of
 * this one is taken (untagged: id 1, for good). The caller must then re-initialise the
 * space's root with t->id. */
void kern_tag_renew(kern_tag_t *t);

/* Whether t's id may have been given to another space since t got it (a rollover since,
 * or never given): then kern_tag_renew before the space is loaded. One comparison. */
static inline bool kern_tag_taken(const kern_tag_t *t) {
    return __builtin_expect(t->gen != kern_tags.gen, 0);
}
