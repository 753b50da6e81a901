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

/*@ assigns \nothing;
    ensures \result == ((uint64_t)((pa >> PT_PAGE_SHIFT) << RV_PPN_SHIFT) & RV_PPN_MASK); */
static uint64_t rv_ppn(pt_paddr_t pa);

/*@ assigns \nothing; */
static pt_paddr_t rv_pa(uint64_t e);

/*@ requires checked: PT_KNOWN(attr);
    assigns \nothing;
    ensures valid: PT_HAS(\result, RV_V) && PT_HAS(\result, RV_A);
    ensures read: PT_HAS(\result, RV_R) <==> PT_HAS(attr.perm, PT_R);
    ensures write: PT_HAS(\result, RV_W) <==> PT_HAS(attr.perm, PT_W);
    ensures dirty: PT_HAS(\result, RV_D) <==> PT_HAS(attr.perm, PT_W);
    ensures exec: PT_HAS(\result, RV_X) <==> PT_HAS(attr.perm, PT_X);
    ensures user: PT_HAS(\result, RV_U) <==> PT_HAS(attr.perm, PT_U);
    ensures global: PT_HAS(\result, RV_G) <==> PT_HAS(attr.perm, PT_G); */
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
