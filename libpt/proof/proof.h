/*
 * What every proof harness of libpt shares: ACSL predicates over libpt's types, and the
 * contracts of the helpers in src/fmt.h. Each harness includes this, then states the
 * contracts of one source file's functions on their prototypes, then includes that real
 * source file: Frama-C WP proves the real code, not a copy. See libpt/README.md "What is
 * proved" and tools/prove.sh.
 */
#pragma once

#include <pt/pt.h>

/* Used inside ACSL (Frama-C preprocesses annotations), as macros rather than ACSL predicates
 * so that WP's simplifier sees the bit operations themselves. */
/* An attribute set libpt defines: PT_* permission bits only and a known memory type. */
#define PT_KNOWN(a) (((a).perm & ~PT_PERM_ALL) == 0 && (a).memtype < PT_MEM_COUNT_)
/* The single-bit mask b is set in x. */
#define PT_HAS(x, b) (((x) & (b)) != 0)
/* The clauses of every decoder's contract about its outputs: pa and attr are each NULL or an
 * object of its own, and they are all it writes. */
#define PT_DECODE_OUTPUTS                                                                          \
    requires pa == \null || \valid(pa);                                                            \
    requires attr == \null || \valid(attr);                                                        \
    requires \separated(pa, attr);                                                                 \
    assigns *pa, *attr;

/*@ requires level <= 3;
    assigns \nothing;
    ensures \result == 1 << (12 + 9 * level); */
static inline uint64_t fmt_span(unsigned level);

/*@ requires level <= 3;
    assigns \nothing;
    ensures \result == 12 + 9 * level; */
static inline unsigned fmt_shift(unsigned level);

/*@ requires pa == \null || \valid(pa);
    assigns *pa;
    ensures pa != \null ==> *pa == v; */
static inline void fmt_set_pa(pt_paddr_t *pa, pt_paddr_t v);

/*@ requires \valid_read(table + (0 .. PT_MEM_COUNT_ - 1));
    assigns \nothing;
    ensures \result <= PT_MEM_COUNT_;
    ensures \forall integer j; 0 <= j < \result ==> table[j] != value;
    ensures \result < PT_MEM_COUNT_ ==> table[\result] == value; */
static inline unsigned fmt_memtype_of(const uint8_t table[PT_MEM_COUNT_], unsigned value);

/*@ assigns \nothing;
    ensures \result <==> PT_KNOWN(attr); */
static inline bool fmt_attr_known(pt_attr_t attr);
