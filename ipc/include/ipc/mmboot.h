/*
 * The boot-info block: what the kernel tells mmserver when it starts it (issue 6). The
 * kernel builds mmserver's first address space (mmserver/BOOT.md) and writes one
 * mmboot_t, read-only, at MMBOOT_VA of that space; mmserver checks it
 * (mmserver/src/boot.c) before it believes any field. Identical on every architecture:
 * every field is a fixed-width word, every constant is fixed here.
 *
 * Numbers are never reused: a field that goes away keeps its place, reserved, and the
 * version goes up when the layout changes.
 */
#pragma once

#include <stdint.h>

/* Where the block lives in mmserver's space: one read-only page, below the programs (which
 * are linked at 4 MiB, ipc/user/user.ld) and above the null guard (MM_USER_BASE). */
#define MMBOOT_VA      0x200000ull
#define MMBOOT_MAGIC   0x746f6f62766d6d6dull /* "mmmvboot", little-endian */
#define MMBOOT_VERSION 3u

/* The archive member that is mmserver itself: the kernel starts it, mmserver skips it. */
#define MMBOOT_SELF_NAME "mmserver"

/* The paging format is named by libpt's own number for it (pt_format_t.id, enum
 * pt_format_id in pt/pt.h; libpt's pt_format_by_id finds the format, and the format says its
 * ELF machine): its identity has one home, next to the format. riscv64 picks Sv48 or Sv39 at
 * boot (whichever the hart accepts in satp), so the kernel reports what it chose. 0 is never
 * a format. */

/* One RAM range of the pool: [pa, pa + frames * 4 KiB). */
typedef struct mmboot_range {
    uint64_t pa;     /* page-aligned */
    uint64_t frames; /* 4 KiB frames, > 0 */
} mmboot_range_t;

/* Ranges the block can carry: what fits its one page after the fixed fields. */
#define MMBOOT_MAX_RANGES 249u

/*
 * The block. Physical addresses are what mmserver writes into page tables; virtual ones
 * are where the kernel mapped things in mmserver's own space.
 */
typedef struct mmboot {
    uint64_t magic;       /* MMBOOT_MAGIC */
    uint32_t version;     /* MMBOOT_VERSION */
    uint32_t size;        /* sizeof(mmboot_t) as the kernel knows it */
    uint32_t pt_format;   /* libpt's pt_format_t.id (enum pt_format_id) */
    uint32_t pt_features; /* PT_FEAT_* the hardware has (PT_FEAT_NO_GIGA, PT_FEAT_SVPBMT) */
    /* The RAM window (version 3): every frame the kernel did not keep, in the ranges
     * pool[0 .. pool_count), each mapped read-write (never executable) in mmserver's space
     * at pool_va + (pa - pool_pa); what lies between ranges is not mapped. It becomes
     * mmserver's frame pool. */
    uint64_t pool_pa;     /* physical address the window starts at, page-aligned */
    uint64_t pool_frames; /* 4 KiB frames in all ranges together */
    uint64_t pool_va;     /* where mmserver reaches pool_pa, page-aligned */
    /* The boot archive (cpio newc), mapped read-only. */
    uint64_t archive_va;
    uint64_t archive_size; /* bytes */
    /* User address limits of a client space as the kernel sees them: the kernel's user
     * half is [user_base, user_top); mmserver maps inside [MM_USER_BASE, MM_USER_TOP). */
    uint64_t user_base;
    uint64_t user_top;
    /* mmserver's own thread: its IPC buffer (mapped read-write, already bound). */
    uint64_t ipc_buffer_va;
    /* Capability slots of mmserver's table the kernel filled. */
    uint32_t slot_memory;   /* the memory capability: every call of ipc/mmpriv.h */
    uint32_t slot_endpoint; /* mmserver's endpoint, all rights: requests and faults */
    uint32_t slot_self;     /* mmserver's own thread (IPC_SLOT_SELF) */
    uint32_t slot_free;     /* first slot the kernel left empty; mmserver's from there */
    /* Version 2: the halt capability (IPC_CAP_HALT), which mmserver gives to the root
     * program of the archive alone (ipc/mm.h, "the root program"). */
    uint32_t slot_halt;
    /* Version 3: the pool's ranges, by address, disjoint, inside the window. */
    uint32_t pool_count; /* 1 .. MMBOOT_MAX_RANGES */
    mmboot_range_t pool[MMBOOT_MAX_RANGES];
} mmboot_t;

_Static_assert(sizeof(mmboot_t) == 112 + 16 * MMBOOT_MAX_RANGES,
               "mmboot_t layout: fixed-width words, no padding");
_Static_assert(sizeof(mmboot_t) <= 4096, "the block fits its one page");
