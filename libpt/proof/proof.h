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

/* P for the permission value attr has, one implication per value 0 .. PT_PERM_ALL, and the same
 * for each leaf level: WP's wp:split makes one goal of each, in which the simplifier knows
 * which fmt_bits_if term of an encoder is set and evaluates the entry's bits. */
/* (clang-format would split the ACSL operator ==>.) */
// clang-format off
#define PT_PERM_IS(attr, p, P) ((attr).perm == (p) ==> (P))
#define PT_EACH_PERM4(attr, b, P)                                                                  \
    (PT_PERM_IS(attr, (b) + 0, P) && PT_PERM_IS(attr, (b) + 1, P) &&                               \
     PT_PERM_IS(attr, (b) + 2, P) && PT_PERM_IS(attr, (b) + 3, P))
#define PT_EACH_PERM16(attr, b, P)                                                                 \
    (PT_EACH_PERM4(attr, (b) + 0, P) && PT_EACH_PERM4(attr, (b) + 4, P) &&                         \
     PT_EACH_PERM4(attr, (b) + 8, P) && PT_EACH_PERM4(attr, (b) + 12, P))
#define PT_EACH_PERM(attr, P) (PT_EACH_PERM16(attr, 0, P) && PT_EACH_PERM16(attr, 16, P))
/* P for every value the perm byte can have, 0 .. 255: a round-trip client states its facts so,
 * and the cases beyond PT_PERM_ALL (not a known set, so refused by check_attr) fold away. */
#define PT_EACH_BYTE_PERM(attr, P)                                                                 \
    (PT_EACH_PERM16(attr, 0, P) && PT_EACH_PERM16(attr, 16, P) && PT_EACH_PERM16(attr, 32, P) &&   \
     PT_EACH_PERM16(attr, 48, P) && PT_EACH_PERM16(attr, 64, P) && PT_EACH_PERM16(attr, 80, P) &&  \
     PT_EACH_PERM16(attr, 96, P) && PT_EACH_PERM16(attr, 112, P) &&                                \
     PT_EACH_PERM16(attr, 128, P) && PT_EACH_PERM16(attr, 144, P) &&                               \
     PT_EACH_PERM16(attr, 160, P) && PT_EACH_PERM16(attr, 176, P) &&                               \
     PT_EACH_PERM16(attr, 192, P) && PT_EACH_PERM16(attr, 208, P) &&                               \
     PT_EACH_PERM16(attr, 224, P) && PT_EACH_PERM16(attr, 240, P))
#define PT_EACH_LEVEL_BYTE_PERM(level, attr, P)                                                    \
    (((level) == 0 ==> PT_EACH_BYTE_PERM(attr, P)) &&                                              \
     ((level) == 1 ==> PT_EACH_BYTE_PERM(attr, P)) &&                                              \
     ((level) == 2 ==> PT_EACH_BYTE_PERM(attr, P)))
#define PT_EACH_LEVEL_PERM(level, attr, P)                                                         \
    (((level) == 0 ==> PT_EACH_PERM(attr, P)) && ((level) == 1 ==> PT_EACH_PERM(attr, P)) &&       \
     ((level) == 2 ==> PT_EACH_PERM(attr, P)))
/* P for the memory type attr has, one implication per type (one goal each, where the type's
 * table entries are constants). */
#define PT_EACH_MEM(attr, P)                                                                       \
    (((attr).memtype == PT_MEM_NORMAL ==> (P)) && ((attr).memtype == PT_MEM_DEVICE ==> (P)) &&     \
     ((attr).memtype == PT_MEM_WC ==> (P)))
/* P(l) for the leaf level l that level is and the memory type attr has: nine implications, one
 * goal each, where the level and memory type are constants and every mask of the encoded entry
 * folds (wp:bitwised then checks an equality of 64-bit values bit by bit). */
#define PT_AT(level, attr, l, m, P) (((level) == (l) && (attr).memtype == (m)) ==> P(l))
#define PT_AT_LEVEL(level, attr, l, P)                                                             \
    (PT_AT(level, attr, l, PT_MEM_NORMAL, P) && PT_AT(level, attr, l, PT_MEM_DEVICE, P) &&         \
     PT_AT(level, attr, l, PT_MEM_WC, P))
#define PT_EACH_LEAF(level, attr, P)                                                               \
    (PT_AT_LEVEL(level, attr, 0, P) && PT_AT_LEVEL(level, attr, 1, P) &&                           \
     PT_AT_LEVEL(level, attr, 2, P))
// clang-format on

/* The result's bits are among bits (said as a land, which WP's simplifier uses as a mask). */
/*@ assigns \nothing;
    ensures within: (\result & bits) == \result;
    ensures set: cond != 0 ==> \result == bits;
    ensures clear: cond == 0 ==> \result == 0; */
static inline uint64_t fmt_bits_if(bool cond, uint64_t bits);

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
