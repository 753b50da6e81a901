/*
 * Encode/decode of single entries, per format, against the reference encoders of ptt_ref.c:
 * every permission set x memory type x level x space flags that matter.
 */
#include "ptt.h"

#define BIT(n) (1ull << (n))

/* The space flag sets that change what a format can express. */
static unsigned flag_sets(const pt_format_t *fmt, uint32_t out[4]) {
    unsigned n = 0;
    out[n++] = 0;
    out[n++] = PT_FEAT_NO_GIGA;
    if (ptt_is_riscv(fmt)) {
        out[n++] = PT_FEAT_SVPBMT;
        out[n++] = PT_FEAT_SVPBMT | PT_FEAT_NO_GIGA;
    }
    return n;
}

/* Three frames aligned for a leaf at level: the lowest, the highest below pa_bits, and one
 * with alternating address bits. */
static void test_frames(const pt_format_t *fmt, unsigned level, pt_paddr_t out[3]) {
    uint64_t align = 1ull << ptt_shift(level);
    uint64_t top = 1ull << fmt->pa_bits;
    out[0] = align;
    out[1] = top - align;
    out[2] = 0x5555555555555555ull & (top - 1) & ~(align - 1);
}

/* Asserts the format's data fields agree with decode for entry e of kind at level: above
 * level 0 the table_mask/table_match test, and for a table the address field. */
static void expect_format_data(const pt_format_t *fmt, uint64_t e, unsigned level, pt_kind_t kind) {
    if (level == 0) {
        return;
    }
    bool table = (e & fmt->table_mask) == fmt->table_match;
    cr_assert_eq(table, kind == PT_KIND_TABLE,
                 "%s: table_mask/match says %d for %#llx at level %u, decode says kind %d",
                 fmt->name, table, (unsigned long long)e, level, (int)kind);
}

/* Asserts one expressible leaf encodes to the reference bits and decodes back exactly. */
static void expect_leaf_roundtrip(const pt_format_t *fmt, pt_paddr_t pa, pt_attr_t a,
                                  unsigned level, uint32_t flags) {
    uint64_t e = fmt->encode_leaf(pa, a, level, flags);
    uint64_t want = ref_leaf(fmt, pa, a, level, flags);
    cr_assert_eq(e, want, "%s: leaf pa %#llx perm %#x mt %u level %u flags %#x: %#llx, want %#llx",
                 fmt->name, (unsigned long long)pa, a.perm, a.memtype, level, flags,
                 (unsigned long long)e, (unsigned long long)want);
    pt_paddr_t dpa = 0;
    pt_attr_t da = {0xff, 0xff};
    pt_kind_t k = fmt->decode(e, level, flags, &dpa, &da);
    cr_assert(k == PT_KIND_LEAF && dpa == pa && da.perm == a.perm && da.memtype == a.memtype,
              "%s: decode(%#llx, level %u) = kind %d pa %#llx perm %#x mt %u; want leaf %#llx "
              "%#x %u",
              fmt->name, (unsigned long long)e, level, (int)k, (unsigned long long)dpa, da.perm,
              da.memtype, (unsigned long long)pa, a.perm, a.memtype);
    cr_assert_eq(fmt->decode(e, level, flags, NULL, NULL), PT_KIND_LEAF,
                 "%s: decode with NULL outputs", fmt->name);
    expect_format_data(fmt, e, level, PT_KIND_LEAF);
    uint64_t lin =
        fmt->encode_leaf(0, a, level, flags) | ((pa >> fmt->addr_shift) & fmt->addr_mask);
    cr_assert_eq(e, lin, "%s: encode_leaf not linear in pa (pt.h): %#llx vs %#llx", fmt->name,
                 (unsigned long long)e, (unsigned long long)lin);
}

PTT_FOR_ALL_FORMATS(encode, leaves_and_tables) {
    uint32_t sets[4];
    unsigned nsets = flag_sets(fmt, sets);
    unsigned ok = 0, refused = 0, tables = 0;
    for (unsigned f = 0; f < nsets; f++) {
        for (unsigned level = 0; level < 4; level++) {
            pt_paddr_t pas[3];
            test_frames(fmt, level < 3 ? level : 2, pas);
            for (unsigned perm = 0; perm <= 0xff; perm++) { /* unknown bits too */
                for (unsigned mt = 0; mt < PT_MEM_COUNT_; mt++) {
                    pt_attr_t a = {(uint8_t)perm, (uint8_t)mt};
                    bool exp = ref_expressible(fmt, a, level, sets[f]);
                    pt_err_t rc = fmt->check_attr(a, level, sets[f]);
                    cr_assert_eq(rc, exp ? PT_OK : PT_ERR_PERM,
                                 "%s: check_attr(perm %#x, mt %u, level %u, flags %#x) = %s",
                                 fmt->name, perm, mt, level, sets[f], pt_strerror(rc));
                    for (unsigned i = 0; exp && i < 3; i++) {
                        expect_leaf_roundtrip(fmt, pas[i], a, level, sets[f]);
                    }
                    ok += exp;
                    refused += !exp;
                }
            }
        }
        for (unsigned level = 1; level < fmt->levels; level++) {
            pt_paddr_t pas[3];
            test_frames(fmt, 0, pas);
            for (unsigned i = 0; i < 3; i++) {
                uint64_t e = fmt->encode_table(pas[i], level);
                cr_assert_eq(e, ref_table(fmt, pas[i], level),
                             "%s: table entry for %#llx at level %u: %#llx", fmt->name,
                             (unsigned long long)pas[i], level, (unsigned long long)e);
                pt_paddr_t dpa = 0;
                pt_kind_t k = fmt->decode(e, level, sets[f], &dpa, NULL);
                expect_format_data(fmt, e, level, k);
                cr_assert_eq((e & fmt->addr_mask) << fmt->addr_shift, pas[i],
                             "%s: address field of table entry %#llx", fmt->name,
                             (unsigned long long)e);
                cr_assert(k == PT_KIND_TABLE && dpa == pas[i],
                          "%s: decode table %#llx level %u: kind %d pa %#llx", fmt->name,
                          (unsigned long long)e, level, (int)k, (unsigned long long)dpa);
                tables++;
            }
        }
        cr_assert_eq(fmt->decode(0, 0, sets[f], NULL, NULL), PT_KIND_EMPTY);
    }
    cr_log_info("%s: %u flag sets x 256 perms x 3 memtypes x 4 levels: %u attr combos "
                "round-tripped (x3 frames) bit-exact vs reference, %u refused; %u table "
                "pointers round-tripped; addr/table masks agree with decode",
                fmt->name, nsets, ok, refused, tables);
}

/* A hand-picked entry that must decode as PT_KIND_INVALID. */
typedef struct bad {
    uint64_t raw;
    unsigned level;
    uint32_t flags;
    const char *why;
} bad_t;

/* x86_64 entries README calls invalid. */
static unsigned x86_bad(bad_t *b, pt_attr_t rw) {
    const pt_format_t *f = &pt_format_x86_64;
    uint64_t pg = ref_leaf(f, 0x1000, rw, 0, 0), mb = ref_leaf(f, 2 * MIB, rw, 1, 0);
    unsigned n = 0;
    b[n++] = (bad_t){pg & ~BIT(0), 0, 0, "P clear"};
    b[n++] = (bad_t){ref_table(f, 0x1000, 3) | BIT(7), 3, 0, "PS at the root"};
    b[n++] = (bad_t){pg | BIT(52), 0, 0, "bit 52 set"};
    b[n++] = (bad_t){pg | BIT(62), 0, 0, "bit 62 set"};
    b[n++] = (bad_t){pg | BIT(3), 0, 0, "PAT index 1"};
    b[n++] = (bad_t){pg | BIT(4), 0, 0, "PAT index 2"};
    b[n++] = (bad_t){pg | BIT(7) | BIT(3), 0, 0, "PAT index 5"};
    b[n++] = (bad_t){mb | BIT(12) | BIT(4), 1, 0, "PAT index 6 in a 2 MiB leaf"};
    b[n++] = (bad_t){mb | BIT(13), 1, 0, "low address bit in a 2 MiB leaf"};
    b[n++] = (bad_t){ref_leaf(f, GIB, rw, 2, 0) | BIT(21), 2, 0, "low address bit, 1 GiB"};
    return n;
}

/* riscv entries README calls invalid (f is sv39 or sv48). */
static unsigned riscv_bad(const pt_format_t *f, bad_t *b, pt_attr_t rw) {
    uint64_t pg = ref_leaf(f, 0x1000, rw, 0, 0), mb = ref_leaf(f, 2 * MIB, rw, 1, 0);
    unsigned n = 0;
    b[n++] = (bad_t){pg & ~BIT(0), 0, 0, "V clear"};
    b[n++] = (bad_t){ref_table(f, 0x1000, 1), 0, 0, "pointer at level 0"};
    b[n++] = (bad_t){BIT(0) | BIT(2) | BIT(6) | BIT(7) | (1ull << 10), 0, 0, "W without R"};
    b[n++] = (bad_t){pg | BIT(54), 0, PT_FEAT_SVPBMT, "bit 54 set"};
    b[n++] = (bad_t){pg | BIT(60), 0, PT_FEAT_SVPBMT, "bit 60 set"};
    b[n++] = (bad_t){pg | BIT(63), 0, PT_FEAT_SVPBMT, "bit 63 set"};
    b[n++] = (bad_t){pg | 3ull << 61, 0, PT_FEAT_SVPBMT, "PBMT 3"};
    b[n++] = (bad_t){pg | 1ull << 61, 0, 0, "PBMT NC without Svpbmt"};
    b[n++] = (bad_t){pg | 2ull << 61, 0, 0, "PBMT IO without Svpbmt"};
    b[n++] = (bad_t){mb | BIT(10), 1, 0, "misaligned PPN in a 2 MiB leaf"};
    b[n++] = (bad_t){ref_leaf(f, GIB, rw, 2, 0) | BIT(19), 2, 0, "misaligned PPN, 1 GiB"};
    return n;
}

/* aarch64 entries README calls invalid. */
static unsigned aarch64_bad(bad_t *b, pt_attr_t rw) {
    const pt_format_t *f = &pt_format_aarch64;
    uint64_t pg = ref_leaf(f, 0x1000, rw, 0, 0), mb = ref_leaf(f, 2 * MIB, rw, 1, 0);
    unsigned n = 0;
    b[n++] = (bad_t){pg & ~BIT(0), 0, 0, "valid clear"};
    b[n++] = (bad_t){mb, 3, 0, "block at the root"};
    b[n++] = (bad_t){pg & ~BIT(1), 0, 0, "type 0 at level 0"};
    b[n++] = (bad_t){pg | 3ull << 2, 0, 0, "AttrIndx 3"};
    b[n++] = (bad_t){pg | 7ull << 2, 0, 0, "AttrIndx 7"};
    b[n++] = (bad_t){pg & ~BIT(10), 0, 0, "AF clear"};
    b[n++] = (bad_t){mb & ~BIT(10), 1, 0, "AF clear in a block"};
    b[n++] = (bad_t){mb | BIT(12), 1, 0, "low address bit in a 2 MiB block"};
    b[n++] = (bad_t){ref_leaf(f, GIB, rw, 2, 0) | BIT(29), 2, 0, "low address bit, 1 GiB"};
    return n;
}

PTT_FOR_ALL_FORMATS(encode, invalid_entries) {
    bad_t bad[16];
    pt_attr_t rw = {PT_R | PT_W, PT_MEM_NORMAL};
    unsigned n = ptt_is_x86(fmt)     ? x86_bad(bad, rw)
                 : ptt_is_riscv(fmt) ? riscv_bad(fmt, bad, rw)
                                     : aarch64_bad(bad, rw);
    for (unsigned i = 0; i < n; i++) {
        pt_kind_t k = fmt->decode(bad[i].raw, bad[i].level, bad[i].flags, NULL, NULL);
        cr_expect_eq(k, PT_KIND_INVALID, "%s: %s (%#llx at level %u) decodes as kind %d", fmt->name,
                     bad[i].why, (unsigned long long)bad[i].raw, bad[i].level, (int)k);
    }
    cr_log_info("%s: %u hand-picked invalid entries decode as PT_KIND_INVALID", fmt->name, n);
}

/* ---- aarch64: what AttrIndx selects in PT_AARCH64_MAIR ----------------------------------- */

/* The kinds of memory attribute a MAIR_EL1 byte can describe, as far as libpt cares. */
typedef enum mair_kind {
    MAIR_DEVICE_NGNRNE, /* 0x00 */
    MAIR_DEVICE_NGNRE,  /* 0x04 */
    MAIR_DEVICE_OTHER,  /* 0x08 nGRE, 0x0c GRE: gathering or reordering allowed */
    MAIR_NORMAL_WB,     /* inner and outer write-back (any allocation hints) */
    MAIR_NORMAL_NC,     /* inner and outer non-cacheable (0x44) */
    MAIR_NORMAL_OTHER,  /* write-through, mixed inner/outer, or reserved encodings */
} mair_kind_t;

static const char *const mair_kind_name[] = {"Device-nGnRnE",        "Device-nGnRE",
                                             "Device-nGRE/GRE",      "Normal write-back",
                                             "Normal non-cacheable", "other"};

/* What one half (inner or outer) of a Normal attribute byte says (Arm ARM, MAIR_ELx):
 * 0b0100 non-cacheable; 0b01RW (write-back transient) and 0b11RW (write-back non-transient)
 * with RW != 0 are write-back; everything else (write-through, reserved) is neither. */
typedef enum mair_cache { MAIR_CACHE_OTHER, MAIR_CACHE_NC, MAIR_CACHE_WB } mair_cache_t;

/* The cacheability nibble n of a Normal attribute byte describes. */
static mair_cache_t mair_nibble(unsigned n) {
    if (n == 0x4) {
        return MAIR_CACHE_NC;
    }
    bool wb = (n & 0x4) != 0, alloc = (n & 0x3) != 0;
    return wb && alloc ? MAIR_CACHE_WB : MAIR_CACHE_OTHER;
}

/* Decodes attribute byte b of a MAIR_EL1 value (Arm ARM D19, MAIR_EL1 "Attr<n>": outer
 * nibble 0 is Device memory, whose inner nibble gives the kind). Written from the
 * architecture's table, sharing nothing with libpt. */
static mair_kind_t mair_decode(uint8_t b) {
    unsigned outer = b >> 4, inner = b & 0xf;
    if (outer == 0) {
        return inner == 0x0   ? MAIR_DEVICE_NGNRNE
               : inner == 0x4 ? MAIR_DEVICE_NGNRE
                              : MAIR_DEVICE_OTHER;
    }
    mair_cache_t o = mair_nibble(outer), i = mair_nibble(inner);
    if (o == MAIR_CACHE_WB && i == MAIR_CACHE_WB) {
        return MAIR_NORMAL_WB;
    }
    return o == MAIR_CACHE_NC && i == MAIR_CACHE_NC ? MAIR_NORMAL_NC : MAIR_NORMAL_OTHER;
}

/* True if kind k is what libpt's memory type mt promises (pt.h): normal is cacheable
 * write-back, device uncached and strongly ordered, write-combining uncached and weakly
 * ordered (Normal non-cacheable). */
static bool mair_fits(pt_memtype_t mt, mair_kind_t k) {
    switch (mt) {
        case PT_MEM_NORMAL:
            return k == MAIR_NORMAL_WB;
        case PT_MEM_DEVICE:
            return k == MAIR_DEVICE_NGNRNE || k == MAIR_DEVICE_NGNRE;
        default:
            return k == MAIR_NORMAL_NC;
    }
}

Test(encode, aarch64_mair_gives_each_memtype_its_attribute) {
    const pt_format_t *fmt = &pt_format_aarch64;
    static const char *const mt_name[PT_MEM_COUNT_] = {"normal", "device", "write-combining"};
    unsigned wrong = 0;
    for (unsigned mt = 0; mt < PT_MEM_COUNT_; mt++) {
        for (unsigned level = 0; level < 3; level++) {
            pt_attr_t a = {PT_R | PT_W, (uint8_t)mt};
            uint64_t e = fmt->encode_leaf(1ull << ptt_shift(level), a, level, 0);
            unsigned index = (unsigned)(e >> 2) & 7; /* AttrIndx, descriptor bits 4:2 */
            uint8_t byte = (uint8_t)(PT_AARCH64_MAIR >> (8 * index));
            mair_kind_t k = mair_decode(byte);
            bool fits = mair_fits((pt_memtype_t)mt, k);
            cr_expect(fits,
                      "aarch64: %s memory at level %u has AttrIndx %u; PT_AARCH64_MAIR %#llx "
                      "holds 0x%02x there, which is %s",
                      mt_name[mt], level, index, (unsigned long long)PT_AARCH64_MAIR, byte,
                      mair_kind_name[k]);
            wrong += !fits;
            if (level == 0) {
                cr_log_info("aarch64: %s -> AttrIndx %u -> MAIR byte 0x%02x = %s", mt_name[mt],
                            index, byte, mair_kind_name[k]);
            }
        }
    }
    cr_assert_eq(wrong, 0, "aarch64: %u of 9 (memory type, level) pairs select the wrong kind",
                 wrong);
    cr_log_info("aarch64: every memory type's AttrIndx (levels 0-2) selects a MAIR_EL1 "
                "attribute of its kind in PT_AARCH64_MAIR %#llx",
                (unsigned long long)PT_AARCH64_MAIR);
}

/* A format's identity lives with it: its stable id (the boot block names formats by it) and
 * the ELF machine of its programs (EM_* values of the System V ABI), found by id. */
Test(encode, format_identity) {
    static const struct {
        const pt_format_t *fmt;
        uint32_t id;
        uint16_t machine;
    } want[] = {
        {&pt_format_x86_64, 1, 62},
        {&pt_format_sv48, 2, 243},
        {&pt_format_sv39, 3, 243},
        {&pt_format_aarch64, 4, 183},
    };
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cr_assert_eq(want[i].fmt->id, want[i].id, "%s: id", want[i].fmt->name);
        cr_assert_eq(want[i].fmt->elf_machine, want[i].machine, "%s: ELF machine",
                     want[i].fmt->name);
        cr_assert_eq(pt_format_by_id(want[i].id), want[i].fmt, "%s: found by id",
                     want[i].fmt->name);
    }
    cr_assert_null(pt_format_by_id(0), "0 is never a format");
    cr_assert_null(pt_format_by_id(5));
    cr_assert_null(pt_format_by_id(~0u));
}
