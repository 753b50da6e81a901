/*
 * x86_64 4-level paging (Intel SDM vol. 3A, 4.5 "4-Level Paging and 5-Level Paging",
 * tables 4-15 to 4-20). Levels 2 and 1 may hold leaves (1 GiB, 2 MiB) with PS set.
 */
#include "fmt.h"

#define X86_P     (1ull << 0)  /* present */
#define X86_RW    (1ull << 1)  /* writable */
#define X86_US    (1ull << 2)  /* user-accessible */
#define X86_PWT   (1ull << 3)  /* page-level write-through (PAT index bit 0) */
#define X86_PCD   (1ull << 4)  /* page-level cache disable (PAT index bit 1) */
#define X86_A     (1ull << 5)  /* accessed */
#define X86_D     (1ull << 6)  /* dirty (leaves only) */
#define X86_PS    (1ull << 7)  /* page size: leaf at levels 1, 2 */
#define X86_PAT4K (1ull << 7)  /* PAT index bit 2 in a 4 KiB leaf */
#define X86_G     (1ull << 8)  /* global */
#define X86_PATLG (1ull << 12) /* PAT index bit 2 in a 2 MiB / 1 GiB leaf */
#define X86_XD    (1ull << 63) /* execute-disable (needs EFER.NXE) */

#define X86_ADDR     0x000ffffffffff000ull /* bits 51:12 */
#define X86_RESERVED 0x7ff0000000000000ull /* bits 62:52: we never set them */

/* PAT indices (PAT:PCD:PWT) for each memory type; PT_X86_PAT_MSR programs them. */
static const uint8_t x86_pat_index[PT_MEM_COUNT_] = {
    [PT_MEM_NORMAL] = 0, /* WB */
    [PT_MEM_DEVICE] = 3, /* UC */
    [PT_MEM_WC] = 4,     /* WC */
};

/* The inverse of x86_pat_index: -1 for PAT entries we never select. */
static const int8_t x86_memtype_of_pat[8] = {PT_MEM_NORMAL, -1, -1, PT_MEM_DEVICE,
                                             PT_MEM_WC,     -1, -1, -1};

/* The PAT-index bit 2 for a leaf at level. */
static uint64_t x86_pat_bit(unsigned level) {
    return level == 0 ? X86_PAT4K : X86_PATLG;
}

/* x86 leaves are always readable, so every leaf must ask for PT_R. */
static pt_err_t x86_check_attr(pt_attr_t attr, unsigned level, uint32_t flags) {
    if (!fmt_attr_known(attr) || !(attr.perm & PT_R)) {
        return PT_ERR_PERM;
    }
    if (level == 2 && (flags & PT_FEAT_NO_GIGA)) {
        return PT_ERR_PERM;
    }
    return level <= 2 ? PT_OK : PT_ERR_PERM;
}

/* Leaf bits for attr at level; A is preset and D follows W so the CPU never writes them. */
static uint64_t x86_encode_leaf(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags) {
    (void)flags;
    uint64_t e = X86_P | X86_A | (pa & X86_ADDR);
    uint8_t pat = x86_pat_index[attr.memtype];
    e |= fmt_bits_if(attr.perm & PT_W, X86_RW | X86_D);
    e |= fmt_bits_if(attr.perm & PT_U, X86_US);
    e |= fmt_bits_if(attr.perm & PT_G, X86_G);
    e |= fmt_bits_if(!(attr.perm & PT_X), X86_XD);
    e |= fmt_bits_if(pat & 1, X86_PWT);
    e |= fmt_bits_if(pat & 2, X86_PCD);
    e |= fmt_bits_if(pat & 4, x86_pat_bit(level));
    return e | fmt_bits_if(level > 0, X86_PS);
}

/* Table pointers grant everything; the leaf decides. */
static uint64_t x86_encode_table(pt_paddr_t pa, unsigned level) {
    (void)level;
    return X86_P | X86_RW | X86_US | (pa & X86_ADDR);
}

/* Decodes a leaf at level into pa/attr; PT_KIND_INVALID for bits we never write. */
static pt_kind_t x86_decode_leaf(uint64_t e, unsigned level, pt_paddr_t *pa, pt_attr_t *attr) {
    uint64_t addr_mask = X86_ADDR & ~(fmt_span(level) - 1);
    uint64_t pat_bit = x86_pat_bit(level);
    if ((e & X86_ADDR & ~addr_mask & ~pat_bit) != 0) {
        return PT_KIND_INVALID; /* reserved low address bits of a huge leaf */
    }
    unsigned pat =
        ((e & X86_PWT) ? 1u : 0u) | ((e & X86_PCD) ? 2u : 0u) | ((e & pat_bit) ? 4u : 0u);
    int8_t memtype = x86_memtype_of_pat[pat];
    if (memtype < 0) {
        return PT_KIND_INVALID;
    }
    fmt_set_pa(pa, e & addr_mask);
    if (attr) {
        attr->perm = PT_R;
        attr->perm |= (e & X86_RW) ? PT_W : 0;
        attr->perm |= (e & X86_US) ? PT_U : 0;
        attr->perm |= (e & X86_G) ? PT_G : 0;
        attr->perm |= (e & X86_XD) ? 0 : PT_X;
        attr->memtype = (uint8_t)memtype;
    }
    return PT_KIND_LEAF;
}

/* Classifies entry e at level. The CPU may set A in any entry and D in leaves. */
static pt_kind_t x86_decode(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                            pt_attr_t *attr) {
    (void)flags;
    if (e == 0) {
        return PT_KIND_EMPTY;
    }
    if (!(e & X86_P) || (e & X86_RESERVED)) {
        return PT_KIND_INVALID;
    }
    bool leaf = level == 0 || (level <= 2 && (e & X86_PS));
    if (leaf) {
        return x86_decode_leaf(e, level, pa, attr);
    }
    if (e & X86_PS) {
        return PT_KIND_INVALID; /* PS is reserved at the root */
    }
    fmt_set_pa(pa, e & X86_ADDR);
    return PT_KIND_TABLE;
}

const pt_format_t pt_format_x86_64 = {
    .name = "x86_64",
    .id = PT_FORMAT_ID_X86_64,
    .elf_machine = 62, /* EM_X86_64 */
    .levels = 4,
    .va_bits = 48,
    .pa_bits = 52,
    .leaf_levels = 0x7,
    .split_halves = false,
    .caches_invalid = false, /* SDM 3A 4.10.2.3: no TLB or paging-structure cache entry
                              * is made from an entry whose P flag is 0 */
    .addr_mask = X86_ADDR,
    .addr_shift = 0,
    .table_mask = X86_P | X86_PS | X86_RESERVED,
    .table_match = X86_P,
    .check_attr = x86_check_attr,
    .encode_leaf = x86_encode_leaf,
    .encode_table = x86_encode_table,
    .decode = x86_decode,
};
