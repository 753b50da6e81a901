/*
 * riscv64 Sv48 and Sv39 (RISC-V privileged spec, 4.4 "Sv39", 4.5 "Sv48"; Svpbmt for memory
 * types). Both share one entry layout; they differ only in depth and address width.
 */
#include "fmt.h"

#define RV_V (1ull << 0) /* valid */
#define RV_R (1ull << 1) /* readable */
#define RV_W (1ull << 2) /* writable */
#define RV_X (1ull << 3) /* executable */
#define RV_U (1ull << 4) /* user */
#define RV_G (1ull << 5) /* global */
#define RV_A (1ull << 6) /* accessed */
#define RV_D (1ull << 7) /* dirty */

#define RV_PPN_SHIFT  10u                   /* the PPN starts at bit 10, not 12 */
#define RV_PPN_MASK   0x003ffffffffffc00ull /* bits 53:10 */
#define RV_RSV_60_54  0x1fc0000000000000ull /* reserved: must be zero */
#define RV_N          (1ull << 63)          /* Svnapot: never set by us */
#define RV_PBMT_SHIFT 61u
#define RV_PBMT_MASK  (3ull << RV_PBMT_SHIFT)
/* Bits that must read V alone for a pointer to the next level. */
#define RV_TABLE_MASK                                                                              \
    (RV_V | RV_R | RV_W | RV_X | RV_U | RV_A | RV_D | RV_PBMT_MASK | RV_RSV_60_54 | RV_N)

/* Svpbmt values per memory type: 0 PMA (normal), 1 NC (write-combining), 2 IO (device). */
static const uint8_t rv_pbmt[PT_MEM_COUNT_] = {
    [PT_MEM_NORMAL] = 0,
    [PT_MEM_WC] = 1,
    [PT_MEM_DEVICE] = 2,
};

/* W without R is reserved, R=W=X=0 means "pointer", and memory types need Svpbmt. */
static pt_err_t rv_check_attr(pt_attr_t attr, unsigned level, uint32_t flags) {
    if (!fmt_attr_known(attr) || ((attr.perm & PT_W) && !(attr.perm & PT_R))) {
        return PT_ERR_PERM;
    }
    if (!(attr.perm & (PT_R | PT_X))) {
        return PT_ERR_PERM;
    }
    if (attr.memtype != PT_MEM_NORMAL && !(flags & PT_FEAT_SVPBMT)) {
        return PT_ERR_PERM;
    }
    if (level == 2 && (flags & PT_FEAT_NO_GIGA)) {
        return PT_ERR_PERM;
    }
    return level <= 2 ? PT_OK : PT_ERR_PERM;
}

/* Physical address to PPN field: pa's bits 55:12 at bits 53:10. One shift by the difference,
 * (pa >> 12) << 10 with the bits below 10 masked off, as fmt_field does with addr_shift. */
static uint64_t rv_ppn(pt_paddr_t pa) {
    return (pa >> (PT_PAGE_SHIFT - RV_PPN_SHIFT)) & RV_PPN_MASK;
}

/* PPN field to physical address (the inverse of rv_ppn for 4 KiB-aligned pa below 2^56). */
static pt_paddr_t rv_pa(uint64_t e) {
    return (e & RV_PPN_MASK) << (PT_PAGE_SHIFT - RV_PPN_SHIFT);
}

/* Leaf bits; A is preset and D follows W, for harts that do not update them (Svade). Built
 * from fmt_bits_if terms so that the proof sees each term's bits (proof/fmt_riscv.c). */
static uint64_t rv_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags) {
    (void)level;
    (void)flags;
    uint64_t e = RV_V | RV_A | rv_ppn(pa);
    e |= fmt_bits_if(attr.perm & PT_R, RV_R);
    e |= fmt_bits_if(attr.perm & PT_W, RV_W | RV_D);
    e |= fmt_bits_if(attr.perm & PT_X, RV_X);
    e |= fmt_bits_if(attr.perm & PT_U, RV_U);
    e |= fmt_bits_if(attr.perm & PT_G, RV_G);
    return e | (uint64_t)rv_pbmt[attr.memtype] << RV_PBMT_SHIFT;
}

/* A pointer: V alone (A, D, U are reserved in non-leaf entries). */
static uint64_t rv_encode_table(pt_paddr_t pa, unsigned level) {
    (void)level;
    return RV_V | rv_ppn(pa);
}

/* Decodes a leaf; its PPN must be aligned to the leaf's size. */
static pt_kind_t rv_decode_leaf(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                                pt_attr_t *attr) {
    unsigned pbmt = (unsigned)((e & RV_PBMT_MASK) >> RV_PBMT_SHIFT);
    unsigned memtype = fmt_memtype_of(rv_pbmt, pbmt);
    if ((e & RV_W) && !(e & RV_R)) {
        return PT_KIND_INVALID;
    }
    if (memtype == PT_MEM_COUNT_ || (pbmt != 0 && !(flags & PT_FEAT_SVPBMT))) {
        return PT_KIND_INVALID;
    }
    if (level > 2 || (rv_pa(e) & (fmt_span(level) - 1)) != 0) {
        return PT_KIND_INVALID;
    }
    fmt_set_pa(pa, rv_pa(e));
    if (attr) {
        /* R W X U G sit at bits 1..5, in the order of PT_R..PT_G at bits 0..4. */
        _Static_assert(PT_R == RV_R >> 1 && PT_W == RV_W >> 1 && PT_X == RV_X >> 1 &&
                           PT_U == RV_U >> 1 && PT_G == RV_G >> 1,
                       "riscv permission bits are PT_* shifted by one");
        attr->perm = (uint8_t)((e >> 1) & PT_PERM_ALL);
        attr->memtype = (uint8_t)memtype;
    }
    return PT_KIND_LEAF;
}

/* Classifies entry e at level; R|W|X zero means a pointer to the next level. */
static pt_kind_t rv_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                           pt_attr_t *attr) {
    if (e == 0) {
        return PT_KIND_EMPTY;
    }
    if (!(e & RV_V) || (e & (RV_RSV_60_54 | RV_N))) {
        return PT_KIND_INVALID;
    }
    if (e & (RV_R | RV_W | RV_X)) {
        return rv_decode_leaf(e, level, flags, pa, attr);
    }
    if (level == 0 || (e & (RV_A | RV_D | RV_U | RV_PBMT_MASK))) {
        return PT_KIND_INVALID;
    }
    fmt_set_pa(pa, rv_pa(e));
    return PT_KIND_TABLE;
}

/* Sv48 and Sv39 share everything but their depth and address width. caches_invalid: an
 * invalid PTE may be cached (without Svvptc), so a new mapping is fenced too. */
#define RV_FORMAT(fmt_name, fmt_id, fmt_levels, fmt_va_bits)                                       \
    {                                                                                              \
        .name = fmt_name, .id = fmt_id, .elf_machine = 243 /* EM_RISCV */, .levels = fmt_levels,   \
        .va_bits = fmt_va_bits, .pa_bits = 56, .leaf_levels = 0x7, .split_halves = false,          \
        .caches_invalid = true, .addr_mask = RV_PPN_MASK,                                          \
        .addr_shift = PT_PAGE_SHIFT - RV_PPN_SHIFT, .table_mask = RV_TABLE_MASK,                   \
        .table_match = RV_V, .check_attr = rv_check_attr, .encode_leaf = rv_encode_leaf,           \
        .encode_table = rv_encode_table, .decode = rv_decode,                                      \
    }

const pt_format_t pt_format_sv48 = RV_FORMAT("sv48", PT_FORMAT_ID_SV48, 4, 48);
const pt_format_t pt_format_sv39 = RV_FORMAT("sv39", PT_FORMAT_ID_SV39, 3, 39);
