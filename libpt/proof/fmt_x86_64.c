/*
 * Proof harness for the x86_64 format (src/fmt_x86_64.c, README "x86_64"): the real source,
 * then the contracts of its functions (ACSL accepts a contract on a later prototype), which
 * tools/prove.sh has Frama-C WP prove with -wp-rte.
 */
#include "proof.h"

#include "../src/fmt_x86_64.c"

/*@ requires level <= 2;
    assigns \nothing;
    ensures \result == (level == 0 ? X86_PAT4K : X86_PATLG); */
static uint64_t x86_pat_bit(unsigned level);

/* Exactly the attribute sets x86_64 can express at level (README "x86_64"): check_attr accepts
 * these and nothing else. */
#define X86_EXPRESSIBLE(attr, level, flags)                                                        \
    (PT_KNOWN(attr) && PT_HAS((attr).perm, PT_R) && (level) <= 2 &&                                \
     !((level) == 2 && PT_HAS(flags, PT_FEAT_NO_GIGA)))

/*@ assigns \nothing;
    ensures \result == PT_OK || \result == PT_ERR_PERM;
    ensures expressible: \result == PT_OK <==> X86_EXPRESSIBLE(attr, level, flags); */
static pt_err_t x86_check_attr(pt_attr_t attr, unsigned level, uint32_t flags);

/* Every bit a table pointer may hold (README table): P, R/W, U/S and the table's address. */
#define X86_TABLE_BITS (X86_P | X86_RW | X86_US | X86_ADDR)

/* The frame field of a leaf at level (README table: bits 51:12, 51:21, 51:30). */
#define X86_FRAME(l) ((l) == 0 ? X86_ADDR : (l) == 1 ? 0x000fffffffe00000 : 0x000fffffc0000000)
/* Every bit a leaf at level l may hold (README table): P, R/W, U/S, PWT, PCD, A, D, PS (the
 * PAT bit at level 0), G, XD, the PAT bit 12 above level 0, and the frame field. */
#define X86_LEAF_BITS(l)                                                                           \
    (X86_P | X86_RW | X86_US | X86_PWT | X86_PCD | X86_A | X86_D | X86_PS | X86_G | X86_XD |       \
     ((l) == 0 ? 0 : X86_PATLG) | X86_FRAME(l))
/* pa is a frame a leaf at level l can hold: aligned to the leaf, inside the field. */
#define X86_IS_FRAME(pa, l) (((pa) & ~X86_FRAME(l)) == 0)
/* encode_leaf's result at level l, for a frame pa: the frame field holds exactly pa, and no
 * bit is set outside the leaf's bits. */
// clang-format off
#define X86_ENC_FRAME(l) (X86_IS_FRAME(pa, l) ==> (\result & X86_FRAME(l)) == pa)
#define X86_ENC_MASKS(l) (X86_IS_FRAME(pa, l) ==> (\result & ~X86_LEAF_BITS(l)) == 0)
// clang-format on

/*@ requires checked: PT_KNOWN(attr) && level <= 2;
    assigns \nothing;
    ensures present: PT_HAS(\result, X86_P) && PT_HAS(\result, X86_A);
    ensures write: PT_EACH_LEVEL_PERM(level, attr,
                                      PT_HAS(\result, X86_RW) <==> PT_HAS(attr.perm, PT_W));
    ensures dirty: PT_EACH_LEVEL_PERM(level, attr,
                                      PT_HAS(\result, X86_D) <==> PT_HAS(attr.perm, PT_W));
    ensures user: PT_EACH_LEVEL_PERM(level, attr,
                                     PT_HAS(\result, X86_US) <==> PT_HAS(attr.perm, PT_U));
    ensures global: PT_EACH_LEVEL_PERM(level, attr,
                                       PT_HAS(\result, X86_G) <==> PT_HAS(attr.perm, PT_G));
    ensures exec: PT_EACH_LEVEL_PERM(level, attr,
                                     PT_HAS(\result, X86_XD) <==> !PT_HAS(attr.perm, PT_X));
    ensures size: level > 0 ==> PT_HAS(\result, X86_PS);
    ensures frame: PT_EACH_LEAF(level, attr, X86_ENC_FRAME);
    ensures masks: PT_EACH_LEAF(level, attr, X86_ENC_MASKS); */
static uint64_t x86_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags);

/*@ assigns \nothing;
    ensures PT_HAS(\result, X86_P) && PT_HAS(\result, X86_RW) && PT_HAS(\result, X86_US) &&
            !PT_HAS(\result, X86_PS);
    ensures frame: (\result & X86_ADDR) == (pa & X86_ADDR);
    ensures masks: (\result & ~X86_TABLE_BITS) == 0; */
static uint64_t x86_encode_table(pt_paddr_t pa, unsigned level);

/*@ requires level <= 2;
    PT_DECODE_OUTPUTS
    ensures \result == PT_KIND_LEAF || \result == PT_KIND_INVALID;
    ensures known: \result == PT_KIND_LEAF && attr != \null ==>
                       PT_KNOWN(*attr) && PT_HAS(attr->perm, PT_R);
    ensures write: \result == PT_KIND_LEAF && attr != \null ==>
                       (PT_HAS(attr->perm, PT_W) <==> PT_HAS(e, X86_RW));
    ensures user: \result == PT_KIND_LEAF && attr != \null ==>
                      (PT_HAS(attr->perm, PT_U) <==> PT_HAS(e, X86_US));
    ensures global: \result == PT_KIND_LEAF && attr != \null ==>
                        (PT_HAS(attr->perm, PT_G) <==> PT_HAS(e, X86_G));
    ensures exec: \result == PT_KIND_LEAF && attr != \null ==>
                      (PT_HAS(attr->perm, PT_X) <==> !PT_HAS(e, X86_XD)); */
static pt_kind_t x86_decode_leaf(uint64_t e, unsigned level, pt_paddr_t *pa, pt_attr_t *attr);

/*@ requires level <= 3;
    PT_DECODE_OUTPUTS
    ensures \result <= PT_KIND_INVALID;
    ensures empty: \result == PT_KIND_EMPTY <==> e == 0;
    ensures known: \result == PT_KIND_LEAF && attr != \null ==>
                       PT_KNOWN(*attr) && PT_HAS(attr->perm, PT_R);
    ensures levels: \result == PT_KIND_LEAF ==> level <= 2;
    ensures table: \result == PT_KIND_TABLE ==> level > 0; */
static pt_kind_t x86_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                            pt_attr_t *attr);
