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
 * names (bits 53:10 moved up by 2, as C computes it), its permissions (R W X U G at bits
 * 1..5) and its PBMT field. */
#define RV_PA_OF(e)      ((uint64_t)(((e)&RV_PPN_MASK) << (PT_PAGE_SHIFT - RV_PPN_SHIFT)))
#define RV_PERM_OF(e)    (((e) >> 1) & PT_PERM_ALL)
#define RV_PBMT_FIELD(e) (((e)&RV_PBMT_MASK) >> RV_PBMT_SHIFT)
#define RV_PBMT_OF(e)    ((unsigned)RV_PBMT_FIELD(e))
/* The offset bits of a leaf at level l (bits below 12, 21, 30): a leaf's address has none. */
#define RV_OFFSET(l) ((l) == 0 ? 0xfff : (l) == 1 ? 0x1fffff : 0x3fffffff)

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

/* The PPN of a 4 KiB frame, read back the way the decoder reads it, is the frame: the shifts
 * undo each other; and a 2 MiB or 1 GiB frame is a 4 KiB frame. A lemma, said as the contract
 * of a function that does nothing: WP proves it (in its own run with wp:bitshift,
 * tools/prove.sh) and rv_round_trip calls it to use it. */
// clang-format off
#define RV_PPN_BACK(l) (RV_IS_FRAME(pa, l) ==> (ppn << (PT_PAGE_SHIFT - RV_PPN_SHIFT)) == pa)
// clang-format on
/*@ requires ppn == RV_PPN_OF(pa);
    assigns \nothing;
    ensures back_4k: RV_PPN_BACK(0);
    ensures frame_2m: RV_IS_FRAME(pa, 1) ==> RV_IS_FRAME(pa, 0);
    ensures frame_1g: RV_IS_FRAME(pa, 2) ==> RV_IS_FRAME(pa, 0); */
static void rv_ppn_back(pt_paddr_t pa, uint64_t ppn) {
    (void)pa;
    (void)ppn;
}

/* encode_leaf's result at level l, for a frame pa: the PPN field holds exactly pa >> 2 (pa's
 * bits 55:12 as the PPN), and no bit is set outside the leaf's bits; for the round trip, the
 * address it reads back as has no offset bits. */
// clang-format off
#define RV_ENC_ALIGNED(l) (RV_IS_FRAME(pa, l) ==> (RV_PA_OF(\result) & RV_OFFSET(l)) == 0)
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
    ensures pbmt: PT_EACH_MEM(attr, RV_PBMT_FIELD(\result) == rv_pbmt[attr.memtype]);
    ensures frame: PT_EACH_LEAF(level, attr, RV_ENC_FRAME);
    ensures masks: PT_EACH_LEAF(level, attr, RV_ENC_MASKS);
    ensures aligned: PT_EACH_LEAF(level, attr, RV_ENC_ALIGNED);
    ensures ppn: PT_EACH_MEM(attr, (\result & RV_PPN_MASK) == RV_PPN_OF(pa));
    ensures leaf_kind: PT_EACH_PERM(attr, (attr.perm & (PT_R | PT_X)) != 0 ==>
                                              (\result & (RV_R | RV_W | RV_X)) != 0);
    ensures perm: PT_EACH_MEM(attr, PT_EACH_PERM(attr, RV_PERM_OF(\result) == attr.perm)); */
static uint64_t rv_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags);

/*@ assigns \nothing;
    ensures PT_HAS(\result, RV_V) && !PT_HAS(\result, RV_R) && !PT_HAS(\result, RV_W) &&
            !PT_HAS(\result, RV_X);
    ensures frame: (\result & RV_PPN_MASK) ==
                   (((pa >> PT_PAGE_SHIFT) << RV_PPN_SHIFT) & RV_PPN_MASK);
    ensures masks: (\result & ~(RV_V | RV_PPN_MASK)) == 0; */
static uint64_t rv_encode_table(pt_paddr_t pa, unsigned level);

/* What makes rv_decode_leaf take entry e at leaf level l as a leaf: no W without R, a PBMT
 * that names a memory type (and only normal without Svpbmt), an address without offset bits.
 * rv_decode first wants V, no reserved bit and one of R, W, X. Stated per level (one goal
 * each, where the leaf's span is a constant). */
#define RV_LEAF_FIELDS(e, l, flags)                                                                \
    (!(PT_HAS(e, RV_W) && !PT_HAS(e, RV_R)) && RV_PBMT_OF(e) < 3 &&                                \
     (RV_PBMT_OF(e) == 0 || PT_HAS(flags, PT_FEAT_SVPBMT)) && (RV_PA_OF(e) & RV_OFFSET(l)) == 0)
#define RV_IS_LEAF(e, l, flags)                                                                    \
    (PT_HAS(e, RV_V) && ((e) & (RV_RSV_60_54 | RV_N)) == 0 && ((e) & (RV_R | RV_W | RV_X)) != 0 && \
     RV_LEAF_FIELDS(e, l, flags))
// clang-format off
#define RV_LEAF_WHEN(ok)                                                                           \
    ensures leaf: (level == 0 ==> (\result == PT_KIND_LEAF <==> ok(e, 0, flags))) &&              \
                  (level == 1 ==> (\result == PT_KIND_LEAF <==> ok(e, 1, flags))) &&              \
                  (level == 2 ==> (\result == PT_KIND_LEAF <==> ok(e, 2, flags)));
// clang-format on
/* What a decoder gives back for a leaf: the address its PPN names, its permission bits and the
 * memory type whose PBMT it holds. */
// clang-format off
#define RV_DECODED(e)                                                                              \
    ensures leaf_pa: \result == PT_KIND_LEAF && pa != \null ==> *pa == RV_PA_OF(e);               \
    ensures leaf_perm: \result == PT_KIND_LEAF && attr != \null ==> attr->perm == RV_PERM_OF(e);  \
    ensures leaf_memtype: \result == PT_KIND_LEAF && attr != \null ==>                            \
                              rv_pbmt[attr->memtype] == RV_PBMT_OF(e);
// clang-format on

/*@ requires level <= 3;
    PT_DECODE_OUTPUTS
    ensures \result == PT_KIND_LEAF || \result == PT_KIND_INVALID;
    ensures levels: \result == PT_KIND_LEAF ==> level <= 2;
    RV_LEAF_WHEN(RV_LEAF_FIELDS)
    RV_DECODED(e)
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
    RV_LEAF_WHEN(RV_IS_LEAF)
    RV_DECODED(e)
    ensures known: \result == PT_KIND_LEAF && attr != \null ==> PT_KNOWN(*attr);
    ensures table: \result == PT_KIND_TABLE ==> level > 0; */
static pt_kind_t rv_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                           pt_attr_t *attr);

/* The round trip (README "What is proved", (a)): for every attribute set check_attr accepts
 * (RV_EXPRESSIBLE: all that riscv can express) and every frame a leaf at that level can hold,
 * decode takes what encode_leaf made as a leaf and gives back the same frame, permissions and
 * memory type. Not part of libpt: it calls the real functions the way the walker does, and WP
 * proves it from their contracts alone. */
// clang-format off
#define RV_RT_LEAF(l)                                                                              \
    (RV_EXPRESSIBLE(attr, l, flags) && RV_IS_FRAME(pa, l) ==> \result == PT_KIND_LEAF)
#define RV_RT_FRAME(l) (RV_IS_FRAME(pa, l) ==> *pa_out == pa)
// clang-format on
/*@ requires \valid(pa_out) && \valid(attr_out) && \separated(pa_out, attr_out);
    requires pa_out != \null && attr_out != \null;
    assigns *pa_out, *attr_out;
    ensures leaf: PT_EACH_LEVEL_BYTE_PERM(level, attr, RV_RT_LEAF(level));
    ensures frame: \result == PT_KIND_LEAF ==> PT_EACH_LEAF(level, attr, RV_RT_FRAME);
    ensures perm: \result == PT_KIND_LEAF ==> PT_EACH_BYTE_PERM(attr, attr_out->perm == attr.perm);
    ensures memtype: \result == PT_KIND_LEAF ==> PT_EACH_MEM(attr, attr_out->memtype ==
   attr.memtype); */
static pt_kind_t rv_round_trip(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags,
                               pt_paddr_t *pa_out, pt_attr_t *attr_out) {
    rv_ppn_back(pa, rv_ppn(pa));
    if (rv_check_attr(attr, level, flags) != PT_OK) {
        return PT_KIND_INVALID;
    }
    return rv_decode(rv_encode_leaf(pa, attr, level, flags), level, flags, pa_out, attr_out);
}
