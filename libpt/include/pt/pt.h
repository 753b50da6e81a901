/*
 * libpt: a portable page-table library.
 *
 * One walker, written once, drives every paging format. A format is a small constant
 * description (levels, address widths, which levels may hold leaves) plus functions that
 * encode and decode single entries. Architecture-neutral permissions go in, exact hardware
 * bits come out; a permission set a format cannot express is refused, never changed.
 *
 * libpt knows nothing of any kernel. It reaches memory only through the hooks its caller
 * gives it (allocate a table frame, free one, physical-to-virtual) and hands every frame it
 * unmaps back through a hook. It never flushes a TLB: each operation reports what must be
 * invalidated, and tables it emptied are handed back only after the caller has flushed.
 *
 * Freestanding C11: only <stdint.h>, <stddef.h> and <stdbool.h>. See libpt/README.md for the
 * design notes (the two-phase walk, deferred table release, the formats' bit layouts).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t pt_paddr_t;
typedef uint64_t pt_vaddr_t;

#define PT_PAGE_SHIFT 12u
#define PT_PAGE_SIZE  (1ull << PT_PAGE_SHIFT)
#define PT_ENTRIES    512u /* entries per table in every supported format */

/* Typed errors. Every operation returns PT_OK or exactly one of these, and changes nothing
 * when it does not return PT_OK. */
typedef enum pt_err {
    PT_OK = 0,
    PT_ERR_INVAL,      /* bad argument: zero length, unknown flag, NULL pointer */
    PT_ERR_ALIGN,      /* address, length or physical base not page-aligned */
    PT_ERR_OVERFLOW,   /* base + length wraps around */
    PT_ERR_RANGE,      /* not canonical, or in the half this space does not cover */
    PT_ERR_PERM,       /* a permission set or memory type the format cannot express */
    PT_ERR_EXISTS,     /* mapping over a present entry without PT_MAP_OVERWRITE */
    PT_ERR_NOT_MAPPED, /* protect / unmap / query of a hole */
    PT_ERR_NOMEM,      /* the table-frame allocator said no */
    PT_ERR_CORRUPT,    /* an entry decodes as nothing valid (the assert hook was told) */
    PT_ERR_COUNT_
} pt_err_t;

/* Architecture-neutral permissions. */
enum {
    PT_R = 1u << 0, /* readable */
    PT_W = 1u << 1, /* writable */
    PT_X = 1u << 2, /* executable */
    PT_U = 1u << 3, /* reachable from user mode */
    PT_G = 1u << 4, /* global: survives an address-space switch in the TLB */
    PT_PERM_ALL = 0x1f
};

/* Memory types. A format that cannot express one refuses it with PT_ERR_PERM. */
typedef enum pt_memtype {
    PT_MEM_NORMAL = 0, /* cacheable, write-back */
    PT_MEM_DEVICE = 1, /* uncached, strongly ordered (MMIO) */
    PT_MEM_WC = 2,     /* write-combining (uncached, weakly ordered) */
    PT_MEM_COUNT_
} pt_memtype_t;

/* What a leaf grants: permissions (PT_R ...) and a memory type. */
typedef struct pt_attr {
    uint8_t perm;
    uint8_t memtype;
} pt_attr_t;

/* Space flags, given to pt_space_init. */
enum {
    PT_SPACE_USER = 0,         /* covers only the lower (user) half */
    PT_SPACE_KERNEL = 1u << 0, /* covers every canonical address the root can reach */
    PT_FEAT_NO_GIGA = 1u << 8, /* hardware lacks level-2 (1 GiB) leaves: never use them */
    PT_FEAT_SVPBMT = 1u << 9,  /* riscv: Svpbmt present, so memory types are expressible */
};

/* Operation flags. */
enum {
    PT_MAP_OVERWRITE = 1u << 0, /* map: replace present entries, releasing their frames */
    PT_MAP_HUGE = 1u << 1,      /* map: use 2 MiB / 1 GiB leaves where alignment allows */
    PT_SKIP_HOLES = 1u << 2,    /* unmap / protect: holes are counted, not an error */
};

/* Kinds of entry, as a format decodes them. */
typedef enum pt_kind {
    PT_KIND_EMPTY = 0,
    PT_KIND_TABLE,
    PT_KIND_LEAF,
    PT_KIND_INVALID /* present but not a valid leaf or table pointer */
} pt_kind_t;

/*
 * A paging format: constant data plus entry encode/decode. Levels count from 0, the level
 * whose entries map 4 KiB pages, up to levels - 1, the root.
 */
/* A format's identity, stable across versions (never reused): the number a boot block or a
 * file names the format by (pt_format_t.id, pt_format_by_id). 0 is never a format. */
enum pt_format_id {
    PT_FORMAT_ID_X86_64 = 1,
    PT_FORMAT_ID_SV48 = 2,
    PT_FORMAT_ID_SV39 = 3,
    PT_FORMAT_ID_AARCH64 = 4,
};

typedef struct pt_format {
    const char *name;
    uint32_t id;          /* enum pt_format_id */
    uint16_t elf_machine; /* e_machine of the programs this format's architecture runs */
    uint8_t levels;       /* 3 or 4 */
    uint8_t va_bits;      /* width of a canonical virtual address: 39 or 48 */
    uint8_t pa_bits;      /* widest physical address an entry can hold */
    uint8_t leaf_levels;  /* bit L set: level L may hold a leaf */
    bool split_halves;    /* the two halves have separate roots (aarch64 TTBR0/TTBR1) */
    /* The MMU may keep an entry that was not valid in its TLB or walk caches, so making one
     * valid must be followed by an invalidation (riscv without Svvptc). False where the
     * architecture never caches one (x86 SDM 3A 4.10.2.3, Arm ARM D8.14): see
     * pt_flush_t.fresh. */
    bool caches_invalid;
    /* The address field: an entry holds (pa >> addr_shift) & addr_mask, and a 4 KiB leaf or a
     * table pointer gives back (e & addr_mask) << addr_shift. encode_leaf is linear in pa:
     * encode_leaf(pa) == encode_leaf(0) | ((pa >> addr_shift) & addr_mask). */
    uint64_t addr_mask;
    uint8_t addr_shift;
    /* Above level 0, e is a table pointer exactly when (e & table_mask) == table_match (the
     * same answer decode gives); the walker's fast path for intermediate levels. */
    uint64_t table_mask;
    uint64_t table_match;
    /* PT_OK if the format can express attr at this level with these space flags; PT_ERR_PERM
     * otherwise, and always for a permission bit outside PT_PERM_ALL or an unknown memory
     * type. */
    pt_err_t (*check_attr)(pt_attr_t attr, unsigned level, uint32_t flags);
    /* The leaf entry for pa with attr at level; attr has passed check_attr. */
    uint64_t (*encode_leaf)(pt_paddr_t pa, pt_attr_t attr, unsigned level, uint32_t flags);
    /* The entry that points to a next-level table at pa. */
    uint64_t (*encode_table)(pt_paddr_t pa, unsigned level);
    /* What entry e at level is; for a leaf also its frame and attributes, for a table its
     * address. pa and attr may be NULL. */
    pt_kind_t (*decode)(uint64_t e, unsigned level, uint32_t flags, pt_paddr_t *pa,
                        pt_attr_t *attr);
} pt_format_t;

extern const pt_format_t pt_format_x86_64;  /* 4-level, 48-bit, NX, PAT via PWT/PCD/PAT */
extern const pt_format_t pt_format_sv48;    /* riscv64 Sv48 */
extern const pt_format_t pt_format_sv39;    /* riscv64 Sv39 */
extern const pt_format_t pt_format_aarch64; /* 4 KiB granule, 48-bit, stage 1 */

/* The format whose id is id (enum pt_format_id), or NULL for any other number. */
const pt_format_t *pt_format_by_id(uint32_t id);

/*
 * The x86_64 format's memory types need this PAT MSR layout: entry 0 WB (normal), entry 3 UC
 * (device), entry 4 WC. The kernel writes it to IA32_PAT (0x277) before using the tables.
 */
#define PT_X86_PAT_MSR 0x0007040100070406ull

/*
 * The aarch64 format's AttrIndx values index this MAIR_EL1 layout (one byte per AttrN, Attr0
 * in bits 7:0): Attr0 = 0xff normal inner/outer write-back non-transient, read/write-allocate;
 * Attr1 = 0x00 device nGnRnE; Attr2 = 0x44 normal inner/outer non-cacheable (write-combining).
 */
#define PT_AARCH64_MAIR 0x00000000004400ffull

/* How libpt reaches memory. Every hook receives ctx. */
typedef struct pt_hooks {
    void *ctx;
    /* A free 4 KiB frame for a table, in *pa. libpt zeroes it. Return false when none. */
    bool (*alloc_table)(void *ctx, pt_paddr_t *pa);
    /* Take back a table frame libpt no longer uses. */
    void (*free_table)(void *ctx, pt_paddr_t pa);
    /* A pointer through which the table frame at pa can be read and written. When NULL,
     * libpt uses pa + phys_offset instead (a linear direct map; faster). */
    void *(*phys_to_virt)(void *ctx, pt_paddr_t pa);
    uint64_t phys_offset;
    /* A frame that was mapped at va (size 1 << shift) is no longer: it belongs to the caller
     * again, who must not reuse it before flushing the TLB. May be NULL. */
    void (*release_frame)(void *ctx, pt_vaddr_t va, pt_paddr_t pa, unsigned shift);
    /* An invariant was broken (a corrupt entry). Called before PT_ERR_CORRUPT is returned.
     * May be NULL. */
    void (*assert_failed)(void *ctx, const char *what);
    /* Orders earlier table writes before later ones for the hardware walker (riscv
     * `fence w,w`, aarch64 `dmb ishst`), so a new table's zeroes are seen before the entry
     * that links it. May be NULL (x86 stores are already ordered). */
    void (*write_barrier)(void *ctx);
    /* Where the caller keeps the number of entries in use (non-zero) of the table frame at
     * pa, beside its own record of that frame: libpt sets it when it fills a new table and
     * keeps it exact while it edits the table, so that unmap knows a table has emptied
     * without scanning its 512 entries. Never asked for the root, whose count is not kept.
     * May be NULL: libpt then scans the table. */
    uint32_t *(*table_used)(void *ctx, pt_paddr_t pa);
} pt_hooks_t;

/* One address space: a root table and how to reach memory. */
typedef struct pt_space {
    const pt_format_t *fmt;
    pt_hooks_t hooks;
    pt_paddr_t root;
    uint32_t flags;
    uint64_t tables; /* table frames linked into the tree, root included */
} pt_space_t;

/* Past this many leaf entries changed, an operation asks for a full flush instead of
 * per-page invalidation (Linux's tlb_single_page_flush_ceiling is 33). */
#define PT_FLUSH_ALL_THRESHOLD 32u

/* What the caller must invalidate after an operation, before it releases tables. */
typedef struct pt_flush {
    pt_vaddr_t start, last; /* [start, last] (inclusive): every changed leaf lies inside */
    uint64_t leaves;        /* leaf entries changed (0: nothing to flush) */
    bool all;               /* flush the whole address space rather than the range */
    bool tables;            /* intermediate entries changed: paging-structure caches too */
    bool fresh;             /* every changed entry was empty before and the format's MMU
                             * never caches an empty entry (!caches_invalid): nothing can
                             * hold a stale translation, so no invalidation is needed */
} pt_flush_t;

/* Tables unlinked by an operation, waiting for the flush. A list threaded through the
 * tables' own first word, so it needs no memory of its own. A link is a page-aligned
 * physical address, so its bit 0 (present / valid in every format) is clear: a walker that
 * still caches the unlinked table reads a non-present entry there, as before. */
typedef struct pt_deferred {
    pt_paddr_t head; /* first table; meaningful only when count > 0 */
    uint64_t count;
} pt_deferred_t;

/* What an operation did. Filled on success; on failure only fault_va is meaningful. */
typedef struct pt_result {
    uint64_t pages;         /* 4 KiB pages mapped, unmapped or re-protected */
    uint64_t holes;         /* 4 KiB pages skipped as holes (PT_SKIP_HOLES) */
    uint64_t leaves;        /* leaf entries written or cleared */
    uint64_t huge_leaves;   /* of which larger than 4 KiB */
    uint64_t tables_added;  /* table frames allocated and linked */
    pt_vaddr_t fault_va;    /* on PT_ERR_EXISTS / NOT_MAPPED / CORRUPT: where */
    pt_flush_t flush;       /* what to invalidate */
    pt_deferred_t deferred; /* tables to release with pt_release_tables after the flush */
} pt_result_t;

/*
 * A frame source that hands out frames in runs (pt_frames_t.next): the frames for the map's
 * bytes from offset off (page-aligned, < the map's length) on are *bytes bytes (a non-zero
 * multiple of 4 KiB) of contiguous physical memory from *pa. Returning false refuses (no
 * frame: the map fails with PT_ERR_NOMEM and changes nothing). A map reads its source in
 * up to three passes (check, dry run, commit), each starting again at a lower offset; within
 * a pass offsets never decrease, and not every run need be asked for. Every pass must get
 * the same answers: a source is a view of frames the caller already holds, or produces the
 * same frames again.
 */
typedef bool (*pt_frames_fn)(void *ctx, uint64_t off, pt_paddr_t *pa, uint64_t *bytes);

/* Where map takes its frames from: a list, a callback, or one contiguous run. */
typedef struct pt_frames {
    const pt_paddr_t *list; /* one frame per 4 KiB page, in order; NULL: next or contiguous */
    pt_paddr_t base;        /* contiguous physical base when list and next are NULL */
    pt_frames_fn next;      /* when list is NULL and this is set: frames come in runs */
    void *ctx;              /* next's */
} pt_frames_t;

/* What query and iterate report about one leaf or table. */
typedef struct pt_mapping {
    pt_vaddr_t va;  /* first address the leaf maps (or the table covers) */
    pt_paddr_t pa;  /* frame of the leaf (or the table's address) */
    unsigned shift; /* size of the leaf: 12, 21 or 30 (for a table: what it covers) */
    unsigned level; /* level of the entry */
    pt_attr_t attr; /* leaf only */
    bool is_table;  /* iterate only: this is a table, reported before its contents */
} pt_mapping_t;

/* Iterate callback: return false to stop. */
typedef bool (*pt_visit_fn)(void *ctx, const pt_mapping_t *m);

/* A short, stable name for err ("exists", "nomem", ...). */
const char *pt_strerror(pt_err_t err);

/* Sets up s with a fresh, zeroed root. => flags: PT_SPACE_* | PT_FEAT_*.
 * PT_ERR_NOMEM if the root cannot be allocated; s is then unusable. */
pt_err_t pt_space_init(pt_space_t *s, const pt_format_t *fmt, const pt_hooks_t *hooks,
                       uint32_t flags);

/* Maps [va, va + len) to frames from src with attr. All-or-nothing. With PT_MAP_HUGE a
 * 2 MiB or 1 GiB leaf goes wherever the format allows it and the frames for its whole span
 * are contiguous and aligned to it (a run from next may be made of several runs the source
 * gave, physically adjacent). */
pt_err_t pt_map(pt_space_t *s, pt_vaddr_t va, uint64_t len, const pt_frames_t *src, pt_attr_t attr,
                uint32_t flags, pt_result_t *res);

/* Unmaps [va, va + len); each released frame goes to hooks.release_frame. All-or-nothing. */
pt_err_t pt_unmap(pt_space_t *s, pt_vaddr_t va, uint64_t len, uint32_t flags, pt_result_t *res);

/* Sets the permissions of every leaf in [va, va + len) to attr.perm, keeping each leaf's
 * memory type. Huge leaves partly covered are split. All-or-nothing. */
pt_err_t pt_protect(pt_space_t *s, pt_vaddr_t va, uint64_t len, pt_attr_t attr, uint32_t flags,
                    pt_result_t *res);

/* What maps va: its leaf, with m->pa the frame address of va itself (not of the leaf).
 * PT_ERR_NOT_MAPPED for a hole. */
pt_err_t pt_query(const pt_space_t *s, pt_vaddr_t va, pt_mapping_t *m);

/* Calls visit for every table and leaf that intersects [va, va + len), in address order,
 * tables before their contents. The root is not reported. */
pt_err_t pt_iterate(const pt_space_t *s, pt_vaddr_t va, uint64_t len, pt_visit_fn visit, void *ctx);

/* Hands the tables in d back through hooks.free_table. Call after the flush. */
void pt_release_tables(pt_space_t *s, pt_deferred_t *d);

/* Releases every frame (release_frame) and frees every table, root included, of the part
 * of the space this library owns. => the space is loaded nowhere and its TLB entries are
 * already gone. */
void pt_destroy(pt_space_t *s);
