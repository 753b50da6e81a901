/*
 * Proof harness for the riscv64 Sv48/Sv39 format (src/fmt_riscv.c, README "riscv64"): the real
 * source, then the contracts of its functions (ACSL accepts a contract on a later prototype),
 * which tools/prove.sh has Frama-C WP prove with -wp-rte.
 */
#include "proof.h"

#include "../src/fmt_riscv.c"

/* Exactly the attribute sets riscv can express at level (README "riscv64"): check_attr accepts
 * these and nothing else. */
#define RV_EXPRESSIBLE(attr, level, flags)                                                         \
    (PT_KNOWN(attr) && (!PT_HAS((attr).perm, PT_W) || PT_HAS((attr).perm, PT_R)) &&                \
     ((attr).perm & (PT_R | PT_X)) != 0 &&                                                         \
     ((attr).memtype == PT_MEM_NORMAL || PT_HAS(flags, PT_FEAT_SVPBMT)) && (level) <= 2 &&         \
     !((level) == 2 && PT_HAS(flags, PT_FEAT_NO_GIGA)))

/*@ assigns \nothing;
    ensures \result == PT_OK || \result == PT_ERR_PERM;
    ensures expressible: \result == PT_OK <==> RV_EXPRESSIBLE(attr, level, flags); */
static pt_err_t rv_check_attr(pt_attr_t attr, unsigned level, uint32_t flags);

/* What a leaf entry e holds, read the way rv_decode reads it: the physical address its PPN
 * names (bits 53:10 moved up by 2, as C computes it) and its PBMT field. */
#define RV_PA_OF(e)   ((uint64_t)(((e)&RV_PPN_MASK) << (PT_PAGE_SHIFT - RV_PPN_SHIFT)))
#define RV_PBMT_OF(e) (((e)&RV_PBMT_MASK) >> RV_PBMT_SHIFT)

/*@ assigns \nothing;
    ensures \result == RV_PA_OF(e); */
static pt_paddr_t rv_pa(uint64_t e);

/* The PPN field of a leaf at level l (bits 53:10, 53:19, 53:28) and the physical addresses it
 * holds (bits 55:12, 55:21, 55:30). */
#define RV_FRAME(l) ((l) == 0 ? RV_PPN_MASK : (l) == 1 ? 0x003ffffffff80000 : 0x003ffffff0000000)
#define RV_PA_FRAME(l)                                                                             \
    ((l) == 0 ? 0x00fffffffffff000 : (l) == 1 ? 0x00ffffffffe00000 : 0x00ffffffc0000000)
/* Every bit a leaf at level l may hold (README table): V, R, W, X, U, G, A, D, PBMT and the
 * PPN field. */
#define RV_LEAF_BITS(l)                                                                            \
    (RV_V | RV_R | RV_W | RV_X | RV_U | RV_G | RV_A | RV_D | RV_PBMT_MASK | RV_FRAME(l))
/* pa is a frame a leaf at level l can hold: aligned to the leaf, below 2^56. */
#define RV_IS_FRAME(pa, l) (((pa) & ~RV_PA_FRAME(l)) == 0)
/* rv_ppn's result for pa. */
#define RV_PPN_OF(pa) (((pa) >> (PT_PAGE_SHIFT - RV_PPN_SHIFT)) & RV_PPN_MASK)

/*@ assigns \nothing;
    ensures \result == RV_PPN_OF(pa); */
static uint64_t rv_ppn(pt_paddr_t pa);

/* encode_leaf's result at level l, for a frame pa: the PPN field holds exactly pa >> 2 (pa's
 * bits 55:12 as the PPN), and no bit is set outside the leaf's bits. */
// clang-format off
#define RV_ENC_FRAME(l) (RV_IS_FRAME(pa, l) ==> (\result & RV_FRAME(l)) == (pa >> 2))
#define RV_ENC_MASKS(l) (RV_IS_FRAME(pa, l) ==> (\result & ~RV_LEAF_BITS(l)) == 0)
// clang-format on

/*@ requires checked: PT_KNOWN(attr);
    assigns \nothing;
    ensures valid: PT_HAS(\result, RV_V) && PT_HAS(\result, RV_A);
    ensures read: PT_HAS(\result, RV_R) <==> PT_HAS(attr.perm, PT_R);
    ensures write: PT_HAS(\result, RV_W) <==> PT_HAS(attr.perm, PT_W);
    ensures dirty: PT_HAS(\result, RV_D) <==> PT_HAS(attr.perm, PT_W);
    ensures exec: PT_HAS(\result, RV_X) <==> PT_HAS(attr.perm, PT_X);
    ensures user: PT_HAS(\result, RV_U) <==> PT_HAS(attr.perm, PT_U);
    ensures global: PT_HAS(\result, RV_G) <==> PT_HAS(attr.perm, PT_G);
    ensures reserved: PT_EACH_MEM(attr, (\result & (RV_RSV_60_54 | RV_N)) == 0);
    ensures pbmt: PT_EACH_MEM(attr, RV_PBMT_OF(\result) == rv_pbmt[attr.memtype]);
    ensures frame: PT_EACH_LEAF(level, attr, RV_ENC_FRAME);
    ensures masks: PT_EACH_LEAF(level, attr, RV_ENC_MASKS); */
static uint64_t rv_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags);

/*@ assigns \nothing;
    ensures PT_HAS(\result, RV_V) && !PT_HAS(\result, RV_R) && !PT_HAS(\result, RV_W) &&
            !PT_HAS(\result, RV_X);
    ensures frame: (\result & RV_PPN_MASK) ==
                   (((pa >> PT_PAGE_SHIFT) << RV_PPN_SHIFT) & RV_PPN_MASK);
    ensures masks: (\result & ~(RV_V | RV_PPN_MASK)) == 0; */
static uint64_t rv_encode_table(pt_paddr_t pa, unsigned level);

/*@ requires level <= 3;
    PT_DECODE_OUTPUTS
    ensures \result == PT_KIND_LEAF || \result == PT_KIND_INVALID;
    ensures levels: \result == PT_KIND_LEAF ==> level <= 2;
    ensures known: \result == PT_KIND_LEAF && attr != \null ==> PT_KNOWN(*attr);
    ensures read: \result == PT_KIND_LEAF && attr != \null ==>
                      (PT_HAS(attr->perm, PT_R) <==> PT_HAS(e, RV_R));
    ensures write: \result == PT_KIND_LEAF && attr != \null ==>
                       (PT_HAS(attr->perm, PT_W) <==> PT_HAS(e, RV_W));
    ensures exec: \result == PT_KIND_LEAF && attr != \null ==>
                      (PT_HAS(attr->perm, PT_X) <==> PT_HAS(e, RV_X));
    ensures user: \result == PT_KIND_LEAF && attr != \null ==>
                      (PT_HAS(attr->perm, PT_U) <==> PT_HAS(e, RV_U));
    ensures global: \result == PT_KIND_LEAF && attr != \null ==>
                        (PT_HAS(attr->perm, PT_G) <==> PT_HAS(e, RV_G)); */
static pt_kind_t rv_decode_leaf(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                                pt_attr_t *attr);

/*@ requires level <= 3;
    PT_DECODE_OUTPUTS
    ensures \result <= PT_KIND_INVALID;
    ensures empty: \result == PT_KIND_EMPTY <==> e == 0;
    ensures levels: \result == PT_KIND_LEAF ==> level <= 2;
    ensures known: \result == PT_KIND_LEAF && attr != \null ==> PT_KNOWN(*attr);
    ensures table: \result == PT_KIND_TABLE ==> level > 0; */
static pt_kind_t rv_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                           pt_attr_t *attr);
