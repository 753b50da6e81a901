/*
 * Reference entry encoders, written from the tables in libpt/README.md and nothing else.
 * They share no code with libpt: test_encode.c compares libpt's encode/decode with them.
 */
#include "ptt.h"

#define BIT(n) (1ull << (n))

/* The PT_* permission bit p of attr as 0 or 1. */
static uint64_t has(pt_attr_t attr, unsigned p) {
    return (attr.perm & p) ? 1 : 0;
}

/* x86_64: Intel SDM vol. 3A 4.5. PAT index: normal 0, device 3 (PCD|PWT), WC 4 (PAT). */
static uint64_t x86_leaf(pt_paddr_t pa, pt_attr_t a, unsigned level) {
    uint64_t pat = level == 0 ? BIT(7) : BIT(12);
    uint64_t e = BIT(0) | has(a, PT_W) << 1 | has(a, PT_U) << 2 | BIT(5) | has(a, PT_W) << 6 |
                 has(a, PT_G) << 8 | (1 - has(a, PT_X)) << 63 | pa;
    if (level > 0) {
        e |= BIT(7); /* PS */
    }
    if (a.memtype == PT_MEM_DEVICE) {
        e |= BIT(3) | BIT(4);
    } else if (a.memtype == PT_MEM_WC) {
        e |= pat;
    }
    return e;
}

/* riscv Sv39/Sv48 (privileged spec 4.4/4.5, Svpbmt): PPN at bit 10, PBMT at 62:61. */
static uint64_t riscv_leaf(pt_paddr_t pa, pt_attr_t a) {
    static const uint64_t pbmt[PT_MEM_COUNT_] = {
        [PT_MEM_NORMAL] = 0, [PT_MEM_WC] = 1, [PT_MEM_DEVICE] = 2};
    return BIT(0) | has(a, PT_R) << 1 | has(a, PT_W) << 2 | has(a, PT_X) << 3 | has(a, PT_U) << 4 |
           has(a, PT_G) << 5 | BIT(6) | has(a, PT_W) << 7 | (pa >> 12) << 10 |
           pbmt[a.memtype] << 61;
}

/* aarch64 stage 1, 4 KiB granule (Arm ARM D8.3). */
static uint64_t aarch64_leaf(pt_paddr_t pa, pt_attr_t a, unsigned level) {
    /* AP[7:6]: U+W 01, U 11, W 00, neither 10 */
    uint64_t ap = has(a, PT_U) ? (has(a, PT_W) ? 1 : 3) : (has(a, PT_W) ? 0 : 2);
    uint64_t user = has(a, PT_U), nx = 1 - has(a, PT_X);
    uint64_t pxn = user ? 1 : nx, uxn = user ? nx : 1;
    uint64_t sh = a.memtype == PT_MEM_DEVICE ? 0 : 3;
    return BIT(0) | (level == 0 ? BIT(1) : 0) | (uint64_t)a.memtype << 2 | ap << 6 | sh << 8 |
           BIT(10) | (1 - has(a, PT_G)) << 11 | pa | pxn << 53 | uxn << 54;
}

bool ref_expressible(const pt_format_t *fmt, pt_attr_t attr, unsigned level, uint32_t flags) {
    if ((attr.perm & ~PT_PERM_ALL) || attr.memtype >= PT_MEM_COUNT_ || level > 2) {
        return false;
    }
    if (level == 2 && (flags & PT_FEAT_NO_GIGA)) {
        return false; /* the flag says the hardware has no 1 GiB leaves, whatever the format */
    }
    if (ptt_is_riscv(fmt)) {
        bool r = attr.perm & PT_R, w = attr.perm & PT_W, x = attr.perm & PT_X;
        return !(w && !r) && (r || x) &&
               (attr.memtype == PT_MEM_NORMAL || (flags & PT_FEAT_SVPBMT));
    }
    return attr.perm & PT_R; /* x86_64 and aarch64: no write-only, no execute-only */
}

uint64_t ref_leaf(const pt_format_t *fmt, pt_paddr_t pa, pt_attr_t attr, unsigned level,
                  uint32_t flags) {
    (void)flags;
    if (ptt_is_x86(fmt)) {
        return x86_leaf(pa, attr, level);
    }
    if (ptt_is_riscv(fmt)) {
        return riscv_leaf(pa, attr);
    }
    return aarch64_leaf(pa, attr, level);
}

uint64_t ref_table(const pt_format_t *fmt, pt_paddr_t pa, unsigned level) {
    (void)level;
    if (ptt_is_x86(fmt)) {
        return BIT(0) | BIT(1) | BIT(2) | pa; /* P, R/W, U/S */
    }
    if (ptt_is_riscv(fmt)) {
        return BIT(0) | (pa >> 12) << 10; /* V, R=W=X=0 */
    }
    return BIT(0) | BIT(1) | pa; /* valid, type table */
}
