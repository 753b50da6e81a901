/*
 * aarch64 stage-1 translation, 4 KiB granule, 48-bit VA (Arm ARM D8.3 "Translation table
 * descriptor formats"). Our levels 3..0 are Arm's lookup levels 0..3: blocks at our levels
 * 2 (1 GiB) and 1 (2 MiB), pages at level 0. Each half has its own root (TTBR0/TTBR1).
 */
#include "fmt.h"

#define A64_VALID     (1ull << 0)
#define A64_TYPE      (1ull << 1) /* 1: table (levels 3..1) or page (level 0); 0: block */
#define A64_ATTR_SH   2u          /* AttrIndx[2:0] at bits 4:2 */
#define A64_ATTR_MASK (7ull << A64_ATTR_SH)
#define A64_AP_EL0    (1ull << 6) /* AP[1]: EL0 may access */
#define A64_AP_RO     (1ull << 7) /* AP[2]: read-only */
#define A64_SH_INNER  (3ull << 8) /* SH[1:0] = 11, inner shareable */
#define A64_SH_MASK   (3ull << 8)
#define A64_AF        (1ull << 10)          /* access flag: set, or the first access faults */
#define A64_NG        (1ull << 11)          /* not global: tagged with the ASID */
#define A64_PXN       (1ull << 53)          /* privileged execute-never */
#define A64_UXN       (1ull << 54)          /* unprivileged execute-never */
#define A64_ADDR      0x0000fffffffff000ull /* bits 47:12 */
/* Bits we never set in a leaf: NS (5), 50:48, DBM (51), contiguous (52), 63:55. (Bit 16,
 * nT in a block, is an address bit in a page and below-OA in a block: the alignment check
 * covers it.) */
#define A64_LEAF_RSV 0xff9f000000000020ull
/* Bits we never set in a table pointer: everything but valid, type and the address. */
#define A64_TABLE_RSV (~(A64_VALID | A64_TYPE | A64_ADDR))

/* AttrIndx per memory type; PT_AARCH64_MAIR describes the attributes they index. */
static const uint8_t a64_attr_index[PT_MEM_COUNT_] = {
    [PT_MEM_NORMAL] = 0,
    [PT_MEM_DEVICE] = 1,
    [PT_MEM_WC] = 2,
};

/* Every leaf is readable at the level it grants, so PT_R is required. */
static pt_err_t a64_check_attr(pt_attr_t attr, unsigned level, uint32_t flags) {
    if (!fmt_attr_known(attr) || !(attr.perm & PT_R)) {
        return PT_ERR_PERM;
    }
    if (level == 2 && (flags & PT_FEAT_NO_GIGA)) {
        return PT_ERR_PERM;
    }
    return level <= 2 ? PT_OK : PT_ERR_PERM;
}

/* Leaf bits: AP from U/W, execute-never for the other privilege level always. */
static uint64_t a64_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags) {
    (void)flags;
    bool user = attr.perm & PT_U;
    bool exec = attr.perm & PT_X;
    uint64_t e = A64_VALID | A64_AF | (pa & A64_ADDR);
    e |= fmt_bits_if(level == 0, A64_TYPE);
    e |= (uint64_t)a64_attr_index[attr.memtype] << A64_ATTR_SH;
    e |= fmt_bits_if(attr.memtype != PT_MEM_DEVICE, A64_SH_INNER);
    e |= fmt_bits_if(user, A64_AP_EL0);
    e |= fmt_bits_if(!(attr.perm & PT_W), A64_AP_RO);
    e |= fmt_bits_if(!(attr.perm & PT_G), A64_NG);
    e |= fmt_bits_if(user, A64_PXN) | fmt_bits_if(!user, A64_UXN);
    e |= fmt_bits_if(user && !exec, A64_UXN) | fmt_bits_if(!user && !exec, A64_PXN);
    return e;
}

/* A pointer with no APTable / XNTable restrictions: the leaf decides. */
static uint64_t a64_encode_table(pt_paddr_t pa, unsigned level) {
    (void)level;
    return A64_VALID | A64_TYPE | (pa & A64_ADDR);
}

/* Decodes a page or block descriptor; reserved and low address bits must be zero. */
static pt_kind_t a64_decode_leaf(uint64_t e, unsigned level, pt_paddr_t *pa, pt_attr_t *attr) {
    uint64_t addr_mask = A64_ADDR & ~(fmt_span(level) - 1);
    unsigned index = (unsigned)((e & A64_ATTR_MASK) >> A64_ATTR_SH);
    if ((e & A64_LEAF_RSV) || (e & A64_ADDR & ~addr_mask) || !(e & A64_AF) ||
        fmt_memtype_of(a64_attr_index, index) == PT_MEM_COUNT_) {
        return PT_KIND_INVALID;
    }
    fmt_set_pa(pa, e & addr_mask);
    if (attr) {
        bool user = e & A64_AP_EL0;
        attr->perm = PT_R;
        attr->perm |= user ? PT_U : 0;
        attr->perm |= (e & A64_AP_RO) ? 0 : PT_W;
        attr->perm |= (e & A64_NG) ? 0 : PT_G;
        attr->perm |= (e & (user ? A64_UXN : A64_PXN)) ? 0 : PT_X;
        attr->memtype = (uint8_t)fmt_memtype_of(a64_attr_index, index);
    }
    return PT_KIND_LEAF;
}

/* Classifies entry e at level: type 1 is a table above level 0 and a page at level 0. */
static pt_kind_t a64_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                            pt_attr_t *attr) {
    (void)flags;
    if (e == 0) {
        return PT_KIND_EMPTY;
    }
    if (!(e & A64_VALID)) {
        return PT_KIND_INVALID;
    }
    bool type = e & A64_TYPE;
    if (level == 0) {
        return type ? a64_decode_leaf(e, level, pa, attr) : PT_KIND_INVALID;
    }
    if (!type) {
        return level <= 2 ? a64_decode_leaf(e, level, pa, attr) : PT_KIND_INVALID;
    }
    if (e & A64_TABLE_RSV) {
        return PT_KIND_INVALID;
    }
    fmt_set_pa(pa, e & A64_ADDR);
    return PT_KIND_TABLE;
}

const pt_format_t pt_format_aarch64 = {
    .name = "aarch64",
    .id = PT_FORMAT_ID_AARCH64,
    .elf_machine = 183, /* EM_AARCH64 */
    .levels = 4,
    .va_bits = 48,
    .pa_bits = 48,
    .leaf_levels = 0x7,
    .split_halves = true,
    .caches_invalid = false, /* an entry that faults is never held in a TLB */
    .addr_mask = A64_ADDR,
    .addr_shift = 0,
    .table_mask = A64_TABLE_RSV | A64_VALID | A64_TYPE,
    .table_match = A64_VALID | A64_TYPE,
    .check_attr = a64_check_attr,
    .encode_leaf = a64_encode_leaf,
    .encode_table = a64_encode_table,
    .decode = a64_decode,
};
