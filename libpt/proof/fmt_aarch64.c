/*
 * Proof harness for the aarch64 format (src/fmt_aarch64.c, README "aarch64"): the real
 * source, then the contracts of its functions (ACSL accepts a contract on a later
 * prototype), which tools/prove.sh has Frama-C WP prove with -wp-rte.
 */
#include "proof.h"

#include "../src/fmt_aarch64.c"

/* Exactly the attribute sets aarch64 can express at level (README "aarch64"): check_attr
 * accepts these and nothing else. */
#define A64_EXPRESSIBLE(attr, level, flags)                                                        \
    (PT_KNOWN(attr) && PT_HAS((attr).perm, PT_R) && (level) <= 2 &&                                \
     !((level) == 2 && PT_HAS(flags, PT_FEAT_NO_GIGA)))

/*@ assigns \nothing;
    ensures \result == PT_OK || \result == PT_ERR_PERM;
    ensures expressible: \result == PT_OK <==> A64_EXPRESSIBLE(attr, level, flags); */
static pt_err_t a64_check_attr(pt_attr_t attr, unsigned level, uint32_t flags);

/* AP[2:1] (bits 7:6) of leaf e grant what perm asks: EL0 access for PT_U, read-only unless
 * PT_W. Stated per memory type below: the AttrIndx field (bits 4:2) sits beside AP, and WP
 * sees that it stays below bit 5 only once the memory type is a constant. */
/* (clang-format would split the ACSL operator <==>.) */
// clang-format off
#define A64_AP_GRANTS(e, perm)                                                                     \
    ((PT_HAS(e, A64_AP_EL0) <==> PT_HAS(perm, PT_U)) &&                                            \
     (PT_HAS(e, A64_AP_RO) <==> !PT_HAS(perm, PT_W)))
// clang-format on

/* The frame field of a leaf at level l (README table: bits 47:12, 47:21, 47:30). */
#define A64_FRAME(l) ((l) == 0 ? A64_ADDR : (l) == 1 ? 0x0000ffffffe00000 : 0x0000ffffc0000000)
/* Every bit a leaf at level l may hold (README table): valid, type, AttrIndx, AP[2:1], SH, AF,
 * nG, PXN, UXN and the frame field. */
#define A64_LEAF_BITS(l)                                                                           \
    (A64_VALID | A64_TYPE | A64_ATTR_MASK | A64_AP_EL0 | A64_AP_RO | A64_SH_MASK | A64_AF |        \
     A64_NG | A64_PXN | A64_UXN | A64_FRAME(l))
/* pa is a frame a leaf at level l can hold: aligned to the leaf, inside the field. */
#define A64_IS_FRAME(pa, l) (((pa) & ~A64_FRAME(l)) == 0)
/* How a64_decode reads a leaf e at level l: its AttrIndx, its permissions and what makes it a
 * leaf: valid, type 1 at level 0 and 0 above, no reserved bit, no address bit below the frame
 * field, AF, and an AttrIndx we select. */
// clang-format off
#define A64_INDEX_FIELD(e) (((e) & A64_ATTR_MASK) >> A64_ATTR_SH)
#define A64_INDEX_OF(e)    ((unsigned)A64_INDEX_FIELD(e))
#define A64_PERM_OF(e)                                                                             \
    (PT_R | (PT_HAS(e, A64_AP_EL0) ? PT_U : 0) | (PT_HAS(e, A64_AP_RO) ? 0 : PT_W) |               \
     (PT_HAS(e, A64_NG) ? 0 : PT_G) |                                                              \
     (PT_HAS(e, PT_HAS(e, A64_AP_EL0) ? A64_UXN : A64_PXN) ? 0 : PT_X))
/* The leaf's bits but its AttrIndx, then all of it. */
#define A64_LEAF_BITS_OK(e, l)                                                                     \
    (PT_HAS(e, A64_VALID) && ((l) == 0 ? PT_HAS(e, A64_TYPE) : !PT_HAS(e, A64_TYPE)) &&            \
     ((e) & A64_LEAF_RSV) == 0 && ((e) & A64_ADDR & ~A64_FRAME(l)) == 0 && PT_HAS(e, A64_AF))
#define A64_LEAF_FIELDS(e, l)                                                                      \
    (((e) & A64_LEAF_RSV) == 0 && ((e) & A64_ADDR & ~A64_FRAME(l)) == 0 && PT_HAS(e, A64_AF) &&    \
     A64_INDEX_OF(e) < 3)
#define A64_IS_LEAF(e, l)                                                                          \
    (PT_HAS(e, A64_VALID) && ((l) == 0 ? PT_HAS(e, A64_TYPE) : !PT_HAS(e, A64_TYPE)) &&            \
     A64_LEAF_FIELDS(e, l))
// clang-format on
/* encode_leaf's result at level l, for a frame pa: the frame field holds exactly pa, and no
 * bit is set outside the leaf's bits; for the round trip, decode takes it as a leaf and reads
 * back its memory type. */
// clang-format off
#define A64_ENC_FRAME(l) (A64_IS_FRAME(pa, l) ==> (\result & A64_FRAME(l)) == pa)
#define A64_ENC_MASKS(l) (A64_IS_FRAME(pa, l) ==> (\result & ~A64_LEAF_BITS(l)) == 0)
#define A64_ENC_LEAF(l) (A64_IS_FRAME(pa, l) ==> A64_LEAF_BITS_OK(\result, l))
#define A64_ENC_MEMTYPE(l) (A64_INDEX_FIELD(\result) == a64_attr_index[attr.memtype])
#define A64_USER_EXEC                                                                              \
    (PT_HAS(attr.perm, PT_U) ==> PT_HAS(\result, A64_PXN) &&                                       \
                                 (PT_HAS(\result, A64_UXN) <==> !PT_HAS(attr.perm, PT_X)))
#define A64_KERNEL_EXEC                                                                            \
    (!PT_HAS(attr.perm, PT_U) ==> PT_HAS(\result, A64_UXN) &&                                      \
                                  (PT_HAS(\result, A64_PXN) <==> !PT_HAS(attr.perm, PT_X)))
// clang-format on

/*@ requires checked: PT_KNOWN(attr) && level <= 2;
    assigns \nothing;
    ensures valid: PT_HAS(\result, A64_VALID) && PT_HAS(\result, A64_AF);
    ensures type: PT_HAS(\result, A64_TYPE) <==> level == 0;
    ensures global: PT_EACH_LEVEL_PERM(level, attr,
                                       PT_HAS(\result, A64_NG) <==> !PT_HAS(attr.perm, PT_G));
    ensures user_exec: PT_EACH_LEVEL_PERM(level, attr, A64_USER_EXEC);
    ensures kernel_exec: PT_EACH_LEVEL_PERM(level, attr, A64_KERNEL_EXEC);
    ensures frame: PT_EACH_LEAF(level, attr, A64_ENC_FRAME);
    ensures masks: PT_EACH_LEAF(level, attr, A64_ENC_MASKS);
    ensures leaf: PT_EACH_LEAF(level, attr, A64_ENC_LEAF);
    ensures memtype: PT_EACH_LEAF(level, attr, A64_ENC_MEMTYPE);
    ensures perm: PT_EACH_MEM(attr, PT_EACH_PERM(attr, PT_HAS(attr.perm, PT_R) ==>
                                                           A64_PERM_OF(\result) == attr.perm));
    behavior normal:
      assumes attr.memtype == PT_MEM_NORMAL;
      ensures access: PT_EACH_LEVEL_PERM(level, attr, A64_AP_GRANTS(\result, attr.perm));
    behavior device:
      assumes attr.memtype == PT_MEM_DEVICE;
      ensures access: PT_EACH_LEVEL_PERM(level, attr, A64_AP_GRANTS(\result, attr.perm));
    behavior write_combining:
      assumes attr.memtype == PT_MEM_WC;
      ensures access: PT_EACH_LEVEL_PERM(level, attr, A64_AP_GRANTS(\result, attr.perm));
    complete behaviors;
    disjoint behaviors; */
static uint64_t a64_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags);

/*@ assigns \nothing;
    ensures PT_HAS(\result, A64_VALID) && PT_HAS(\result, A64_TYPE);
    ensures frame: (\result & A64_ADDR) == (pa & A64_ADDR);
    ensures masks: (\result & ~(A64_VALID | A64_TYPE | A64_ADDR)) == 0; */
static uint64_t a64_encode_table(pt_paddr_t pa, unsigned level);

/* What a decoder gives back for a leaf e at level l: the frame field, the permissions and the
 * memory type of its AttrIndx. */
// clang-format off
#define A64_DEC_PA(l) (level == l ==> *pa == (e & A64_FRAME(l)))
#define A64_DECODED                                                                                \
    ensures leaf_pa: \result == PT_KIND_LEAF && pa != \null ==>                                    \
                         A64_DEC_PA(0) && A64_DEC_PA(1) && A64_DEC_PA(2);                           \
    ensures leaf_perm: \result == PT_KIND_LEAF && attr != \null ==> attr->perm == A64_PERM_OF(e); \
    ensures leaf_memtype: \result == PT_KIND_LEAF && attr != \null ==>                             \
                              a64_attr_index[attr->memtype] == A64_INDEX_OF(e);
#define A64_LEAF_WHEN(ok)                                                                          \
    ensures leaf: (level == 0 ==> (\result == PT_KIND_LEAF <==> ok(e, 0))) &&                     \
                  (level == 1 ==> (\result == PT_KIND_LEAF <==> ok(e, 1))) &&                     \
                  (level == 2 ==> (\result == PT_KIND_LEAF <==> ok(e, 2)));
// clang-format on

/*@ requires level <= 2;
    PT_DECODE_OUTPUTS
    ensures \result == PT_KIND_LEAF || \result == PT_KIND_INVALID;
    A64_LEAF_WHEN(A64_LEAF_FIELDS)
    A64_DECODED
    ensures known: \result == PT_KIND_LEAF && attr != \null ==>
                       PT_KNOWN(*attr) && PT_HAS(attr->perm, PT_R);
    ensures user: \result == PT_KIND_LEAF && attr != \null ==>
                      (PT_HAS(attr->perm, PT_U) <==> PT_HAS(e, A64_AP_EL0));
    ensures write: \result == PT_KIND_LEAF && attr != \null ==>
                       (PT_HAS(attr->perm, PT_W) <==> !PT_HAS(e, A64_AP_RO));
    ensures global: \result == PT_KIND_LEAF && attr != \null ==>
                        (PT_HAS(attr->perm, PT_G) <==> !PT_HAS(e, A64_NG));
    ensures exec: \result == PT_KIND_LEAF && attr != \null ==>
                      (PT_HAS(attr->perm, PT_X) <==>
                       !PT_HAS(e, PT_HAS(e, A64_AP_EL0) ? A64_UXN : A64_PXN)); */
static pt_kind_t a64_decode_leaf(uint64_t e, unsigned level, pt_paddr_t *pa, pt_attr_t *attr);

/*@ requires level <= 3;
    PT_DECODE_OUTPUTS
    ensures \result <= PT_KIND_INVALID;
    ensures empty: \result == PT_KIND_EMPTY <==> e == 0;
    ensures levels: \result == PT_KIND_LEAF ==> level <= 2;
    ensures known: \result == PT_KIND_LEAF && attr != \null ==>
                       PT_KNOWN(*attr) && PT_HAS(attr->perm, PT_R);
    ensures table: \result == PT_KIND_TABLE ==> level > 0;
    A64_LEAF_WHEN(A64_IS_LEAF)
    A64_DECODED */
static pt_kind_t a64_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                            pt_attr_t *attr);

/* The round trip (README "What is proved", (a)): for every attribute set check_attr accepts
 * (A64_EXPRESSIBLE: all that aarch64 can express) and every frame a leaf at that level can
 * hold, decode takes what encode_leaf made as a leaf and gives back the same frame,
 * permissions and memory type. Not part of libpt: it calls the real functions the way the
 * walker does, and WP proves it from their contracts alone. Stated for every value of the perm
 * byte, so that in each case the permissions are a constant. */
// clang-format off
#define A64_RT_LEAF(l)                                                                             \
    (A64_EXPRESSIBLE(attr, l, flags) && A64_IS_FRAME(pa, l) ==> \result == PT_KIND_LEAF)
#define A64_RT_FRAME(l) (A64_IS_FRAME(pa, l) ==> *pa_out == pa)
// clang-format on
/*@ requires \valid(pa_out) && \valid(attr_out) && \separated(pa_out, attr_out);
    requires pa_out != \null && attr_out != \null;
    assigns *pa_out, *attr_out;
    ensures leaf: PT_EACH_LEVEL_BYTE_PERM(level, attr, A64_RT_LEAF(level));
    ensures frame: \result == PT_KIND_LEAF ==> PT_EACH_LEAF(level, attr, A64_RT_FRAME);
    ensures perm: \result == PT_KIND_LEAF ==> PT_EACH_BYTE_PERM(attr, attr_out->perm == attr.perm);
    ensures memtype: \result == PT_KIND_LEAF ==>
                     PT_EACH_MEM(attr, attr_out->memtype == attr.memtype); */
static pt_kind_t a64_round_trip(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags,
                                pt_paddr_t *pa_out, pt_attr_t *attr_out) {
    if (a64_check_attr(attr, level, flags) != PT_OK) {
        return PT_KIND_INVALID;
    }
    return a64_decode(a64_encode_leaf(pa, attr, level, flags), level, flags, pa_out, attr_out);
}
