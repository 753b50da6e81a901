/*
 * Internal helpers shared by the format descriptions and the walker. Not part of the
 * public contract.
 */
#pragma once

#include <pt/pt.h>

#define PT_LEVEL_BITS 9u

/* Bytes mapped by one entry at level: 4 KiB at level 0, times 512 per level up. */
static inline uint64_t fmt_span(unsigned level) {
    return 1ull << (PT_PAGE_SHIFT + PT_LEVEL_BITS * level);
}

/* log2 of fmt_span(level). */
static inline unsigned fmt_shift(unsigned level) {
    return PT_PAGE_SHIFT + PT_LEVEL_BITS * level;
}

/* True if attr names only defined things: PT_* permission bits and a memory type below
 * PT_MEM_COUNT_. Every format's check_attr starts here, so a bit no format knows is refused
 * (never dropped) and encode_leaf may index its per-memtype tables with attr.memtype. */
static inline bool fmt_attr_known(pt_attr_t attr) {
    return (attr.perm & ~PT_PERM_ALL) == 0 && attr.memtype < PT_MEM_COUNT_;
}

/* bits if cond holds, else 0. An encoder builds its entry from these terms, not from
 * `cond ? bits : 0`: the same code, but a call whose contract says which bits it can set lets
 * the proofs (proof/proof.h) see that no term reaches outside the format's masks. */
static inline uint64_t fmt_bits_if(bool cond, uint64_t bits) {
    return cond ? bits : 0;
}

/* Stores v through pa when the caller asked for it. */
static inline void fmt_set_pa(pt_paddr_t *pa, pt_paddr_t v) {
    if (pa) {
        *pa = v;
    }
}

/* The memory type whose hardware code in table is value, or PT_MEM_COUNT_ when none is. */
static inline unsigned fmt_memtype_of(const uint8_t table[PT_MEM_COUNT_], unsigned value) {
    /*@ loop invariant 0 <= m <= PT_MEM_COUNT_;
        loop invariant \forall integer j; 0 <= j < m ==> table[j] != value;
        loop assigns m;
        loop variant PT_MEM_COUNT_ - m; */
    for (unsigned m = 0; m < PT_MEM_COUNT_; m++) {
        if (table[m] == value) {
            return m;
        }
    }
    return PT_MEM_COUNT_;
}

/* The address field of an entry that holds pa. */
static inline uint64_t fmt_field(const pt_format_t *f, pt_paddr_t pa) {
    return (pa >> f->addr_shift) & f->addr_mask;
}

/* The address held by a table pointer or a 4 KiB leaf. */
static inline pt_paddr_t fmt_addr(const pt_format_t *f, uint64_t e) {
    return (e & f->addr_mask) << f->addr_shift;
}

/* True if e, at level, points to a next-level table (the same answer decode gives). */
static inline bool fmt_is_table(const pt_format_t *f, uint64_t e, unsigned level) {
    return level > 0 && (e & f->table_mask) == f->table_match;
}
