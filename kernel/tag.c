/*
 * Address-space tags recycled by generation: see tag.h for the scheme and why it never
 * lets a space see another's translations.
 */
#include "tag.h"

kern_tags_t kern_tags;

/* See tag.h. */
void kern_tags_init(uint32_t hw_count, uint32_t limit) {
    uint32_t count = hw_count;
    if (count >= 2 && limit != 0 && limit < count) {
        count = limit < 2 ? 2 : limit; /* at least one user tag when the CPU has tags */
    }
    kern_tags = (kern_tags_t){.gen = 1, .next = 1, .count = count < 2 ? 1 : count};
}

/* See tag.h. */
void kern_tag_renew(kern_tag_t *t) {
    if (kern_tags.count == 1) { /* untagged: one id for all, the arch flushes at switches */
        t->id = 1;
        t->gen = kern_tags.gen;
        return;
    }
    if (kern_tags.next >= kern_tags.count) {
        kern_tags.gen++;
        kern_tags.next = 1;
        kern_tags.rollovers++;
    }
    t->id = (uint16_t)kern_tags.next++;
    t->gen = kern_tags.gen;
}
