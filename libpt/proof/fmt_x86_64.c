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
/* How x86_decode reads a leaf e at level l: its PAT bit, its PAT index (PAT:PCD:PWT), its
 * permissions and what makes it a leaf: P, no reserved bit, PS above level 0, no address bit
 * below the frame field but the PAT bit, and a PAT index we select. */
#define X86_PATBIT(l) ((l) == 0 ? X86_PAT4K : X86_PATLG)
#define X86_PAT_OF(e, l)                                                                           \
    ((PT_HAS(e, X86_PWT) ? 1 : 0) + (PT_HAS(e, X86_PCD) ? 2 : 0) +                                 \
     (PT_HAS(e, X86_PATBIT(l)) ? 4 : 0))
#define X86_PERM_OF(e)                                                                             \
    (PT_R | (PT_HAS(e, X86_RW) ? PT_W : 0) | (PT_HAS(e, X86_US) ? PT_U : 0) |                      \
     (PT_HAS(e, X86_G) ? PT_G : 0) | (PT_HAS(e, X86_XD) ? 0 : PT_X))
#define X86_LEAF_FIELDS(e, l)                                                                      \
    (((e)&X86_ADDR & ~X86_FRAME(l) & ~X86_PATBIT(l)) == 0 &&                                       \
     x86_memtype_of_pat[X86_PAT_OF(e, l)] >= 0)
#define X86_IS_LEAF(e, l)                                                                          \
    (PT_HAS(e, X86_P) && ((e)&X86_RESERVED) == 0 && ((l) == 0 || PT_HAS(e, X86_PS)) &&             \
     X86_LEAF_FIELDS(e, l))
/* encode_leaf's result at level l, for a frame pa: the frame field holds exactly pa, and no
 * bit is set outside the leaf's bits; for the round trip, decode takes it as a leaf and reads
 * back its memory type. */
// clang-format off
#define X86_ENC_FRAME(l) (X86_IS_FRAME(pa, l) ==> (\result & X86_FRAME(l)) == pa)
#define X86_ENC_MASKS(l) (X86_IS_FRAME(pa, l) ==> (\result & ~X86_LEAF_BITS(l)) == 0)
#define X86_ENC_LEAF(l) (X86_IS_FRAME(pa, l) ==> X86_IS_LEAF(\result, l))
#define X86_ENC_MEMTYPE(l) (X86_IS_FRAME(pa, l) ==> X86_PAT_OF(\result, l) == x86_pat_index[attr.memtype])
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
    ensures masks: PT_EACH_LEAF(level, attr, X86_ENC_MASKS);
    ensures leaf: PT_EACH_LEAF(level, attr, X86_ENC_LEAF);
    ensures memtype: PT_EACH_LEAF(level, attr, X86_ENC_MEMTYPE);
    ensures perm: PT_EACH_LEVEL_PERM(level, attr, PT_HAS(attr.perm, PT_R) ==>
                                                      X86_PERM_OF(\result) == attr.perm); */
static uint64_t x86_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags);

/*@ assigns \nothing;
    ensures PT_HAS(\result, X86_P) && PT_HAS(\result, X86_RW) && PT_HAS(\result, X86_US) &&
            !PT_HAS(\result, X86_PS);
    ensures frame: (\result & X86_ADDR) == (pa & X86_ADDR);
    ensures masks: (\result & ~X86_TABLE_BITS) == 0; */
static uint64_t x86_encode_table(pt_paddr_t pa, unsigned level);

/* What a decoder gives back for a leaf e at level l: the frame field, the permissions and the
 * memory type of its PAT index. */
// clang-format off
#define X86_DEC_PA(l)      (level == l ==> *pa == (e & X86_FRAME(l)))
#define X86_DEC_MEMTYPE(l) (level == l ==> attr->memtype == x86_memtype_of_pat[X86_PAT_OF(e, l)])
#define X86_DECODED                                                                                \
    ensures leaf_pa: \result == PT_KIND_LEAF && pa != \null ==>                                    \
                         X86_DEC_PA(0) && X86_DEC_PA(1) && X86_DEC_PA(2);                           \
    ensures leaf_perm: \result == PT_KIND_LEAF && attr != \null ==> attr->perm == X86_PERM_OF(e); \
    ensures leaf_memtype: \result == PT_KIND_LEAF && attr != \null ==>                             \
                              X86_DEC_MEMTYPE(0) && X86_DEC_MEMTYPE(1) && X86_DEC_MEMTYPE(2);
#define X86_LEAF_WHEN(ok)                                                                          \
    ensures leaf: (level == 0 ==> (\result == PT_KIND_LEAF <==> ok(e, 0))) &&                     \
                  (level == 1 ==> (\result == PT_KIND_LEAF <==> ok(e, 1))) &&                     \
                  (level == 2 ==> (\result == PT_KIND_LEAF <==> ok(e, 2)));
// clang-format on

/*@ requires level <= 2;
    PT_DECODE_OUTPUTS
    ensures \result == PT_KIND_LEAF || \result == PT_KIND_INVALID;
    X86_LEAF_WHEN(X86_LEAF_FIELDS)
    X86_DECODED
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
    ensures table: \result == PT_KIND_TABLE ==> level > 0;
    X86_LEAF_WHEN(X86_IS_LEAF)
    X86_DECODED */
static pt_kind_t x86_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                            pt_attr_t *attr);

/* The round trip (README "What is proved", (a)): for every attribute set check_attr accepts
 * (X86_EXPRESSIBLE: all that x86_64 can express) and every frame a leaf at that level can hold,
 * decode takes what encode_leaf made as a leaf and gives back the same frame, permissions and
 * memory type. Not part of libpt: it calls the real functions the way the walker does, and WP
 * proves it from their contracts alone. Stated for every value of the perm byte, so that in
 * each case the permissions are a constant. */
// clang-format off
#define X86_RT_LEAF(l)                                                                             \
    (X86_EXPRESSIBLE(attr, l, flags) && X86_IS_FRAME(pa, l) ==> \result == PT_KIND_LEAF)
#define X86_RT_FRAME(l) (X86_IS_FRAME(pa, l) ==> *pa_out == pa)
#define X86_RT_MEMTYPE(l) (X86_IS_FRAME(pa, l) ==> attr_out->memtype == attr.memtype)
// clang-format on
/*@ requires \valid(pa_out) && \valid(attr_out) && \separated(pa_out, attr_out);
    requires pa_out != \null && attr_out != \null;
    assigns *pa_out, *attr_out;
    ensures leaf: PT_EACH_LEVEL_BYTE_PERM(level, attr, X86_RT_LEAF(level));
    ensures frame: \result == PT_KIND_LEAF ==> PT_EACH_LEAF(level, attr, X86_RT_FRAME);
    ensures perm: \result == PT_KIND_LEAF ==> PT_EACH_BYTE_PERM(attr, attr_out->perm == attr.perm);
    ensures memtype: \result == PT_KIND_LEAF ==> PT_EACH_LEAF(level, attr, X86_RT_MEMTYPE); */
static pt_kind_t x86_round_trip(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags,
                                pt_paddr_t *pa_out, pt_attr_t *attr_out) {
    if (x86_check_attr(attr, level, flags) != PT_OK) {
        return PT_KIND_INVALID;
    }
    return x86_decode(x86_encode_leaf(pa, attr, level, flags), level, flags, pa_out, attr_out);
}
