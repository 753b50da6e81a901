/*
 * Decodes the flattened device tree OpenSBI passes (Devicetree Specification v0.4,
 * chapter 5, "Flattened Devicetree (DTB) Format") into the architecture-neutral
 * arch_boot_info_t plus rv_platform. Runs on the bootstrap tables: the blob is read
 * through the early window (ARCH_DIRECT_MAP_BASE + pa) and everything the kernel keeps is
 * copied, so the blob's memory can be reused afterwards.
 *
 * What is read: /memory* nodes' reg (RAM), the memory reservation block and the children
 * of /reserved-memory (OpenSBI's own region: taken out of RAM), /chosen (bootargs,
 * linux,initrd-start / -end: the boot archive), /cpus timebase-frequency, the cpu nodes'
 * ISA (Svpbmt), and a sifive,test0/1 node (the test finisher). Every offset is checked
 * against the blob before it is read; a malformed blob is a panic, since nothing can boot.
 */
#include "riscv.h"

#include <mmlib/string.h>

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_MAX_DEPTH  8
#define FDT_MAX_CELLS  2u /* addresses and sizes of up to 64 bits */
#define PAGE_MASK      (PT_PAGE_SIZE - 1)
#define CMDLINE_MAX    256u

/* The blob header (DT spec 5.2); every field big-endian. */
typedef struct fdt_header {
    uint32_t magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version;
    uint32_t last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct;
} fdt_header_t;

_Static_assert(sizeof(fdt_header_t) == 40, "DT spec 5.2");

/* One node on the walk's path: its name, the cells its children's reg use, its own reg,
 * and whether it is a test finisher. */
typedef struct fdt_node {
    const char *name;
    uint32_t addr_cells, size_cells;
    const uint8_t *reg;
    uint32_t reg_len;
    bool finisher;
} fdt_node_t;

typedef struct fdt_walk {
    const uint8_t *blob;
    uint32_t size;
    uint32_t strings, strings_size;
    fdt_node_t path[FDT_MAX_DEPTH];
    int depth;
    arch_boot_info_t *bi;
    arch_range_t mem[ARCH_BOOT_MAX_RANGES]; /* /memory reg, before reservations are cut */
    unsigned mem_count;
    uint64_t initrd_start, initrd_end;
} fdt_walk_t;

rv_platform_t rv_platform;
static char cmdline_copy[CMDLINE_MAX];

extern char __kernel_text_start[], __kernel_data_end[];

/* The big-endian 32-bit word at p. */
static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A 1- or 2-cell big-endian number at p. */
static uint64_t cells(const uint8_t *p, uint32_t n) {
    return n == 2 ? ((uint64_t)be32(p) << 32) | be32(p + 4) : be32(p);
}

/* Whether node name (possibly "name@unit") is want. */
static bool node_is(const char *name, const char *want) {
    size_t n = strlen(want);
    return strncmp(name, want, n) == 0 && (name[n] == 0 || name[n] == '@');
}

/* Whether the string list [p, p + len) (NUL-separated) holds s. */
static bool strlist_has(const uint8_t *p, uint32_t len, const char *s) {
    size_t n = strlen(s);
    for (uint32_t i = 0; i < len;) {
        const char *e = (const char *)p + i;
        if (i + n < len && strncmp(e, s, n) == 0 && e[n] == 0) {
            return true;
        }
        while (i < len && p[i]) {
            i++;
        }
        i++;
    }
    return false;
}

/* Whether the ISA string [isa, isa + len) ("rv64imac_zicsr_svpbmt") names multi-letter
 * extension ext: the parts after the first are separated by underscores (unpriv. 27.11). */
static bool isa_has_ext(const uint8_t *isa, uint32_t len, const char *ext) {
    size_t n = strlen(ext);
    for (uint32_t i = 0; i < len && isa[i]; i++) {
        bool start = isa[i] == '_';
        uint32_t e = i + 1 + (uint32_t)n;
        if (start && e <= len && strncmp((const char *)isa + i + 1, ext, n) == 0 &&
            (e == len || isa[e] == '_' || isa[e] == 0)) {
            return true;
        }
    }
    return false;
}

/* Appends [base, base + len) to list (of *count entries), or panics when full or when the
 * range wraps past 2^64 (a malformed blob, like any other: its end would be taken modulo
 * 2^64 and cut nothing, or the wrong RAM). */
static void range_add(arch_range_t *list, unsigned *count, uint64_t base, uint64_t len) {
    if (len == 0) {
        return;
    }
    if (base + len < base) {
        kern_panic("fdt: range 0x%llx + 0x%llx wraps", (unsigned long long)base,
                   (unsigned long long)len);
    }
    if (*count >= ARCH_BOOT_MAX_RANGES) {
        kern_panic("fdt: more than %u ranges", ARCH_BOOT_MAX_RANGES);
    }
    list[(*count)++] = (arch_range_t){.base = base, .len = len};
}

/* Appends every (address, size) pair of reg property [reg, reg + len) to list, decoded with
 * the parent's cell counts. */
static void reg_ranges(const fdt_node_t *parent, const uint8_t *reg, uint32_t len,
                       arch_range_t *list, unsigned *count) {
    uint32_t ac = parent->addr_cells, sc = parent->size_cells;
    if (ac == 0 || ac > FDT_MAX_CELLS || sc > FDT_MAX_CELLS) {
        kern_panic("fdt: unsupported #address-cells %u / #size-cells %u", ac, sc);
    }
    uint32_t entry = (ac + sc) * 4u;
    for (uint32_t off = 0; off + entry <= len; off += entry) {
        uint64_t size = sc ? cells(reg + off + ac * 4u, sc) : 0;
        range_add(list, count, cells(reg + off, ac), size);
    }
}

/* Records one property of /chosen. */
static void chosen_prop(fdt_walk_t *w, const char *name, const uint8_t *data, uint32_t len) {
    bool number = len == 4 || len == 8;
    if (strcmp(name, "linux,initrd-start") == 0 && number) {
        w->initrd_start = cells(data, len / 4u);
    } else if (strcmp(name, "linux,initrd-end") == 0 && number) {
        w->initrd_end = cells(data, len / 4u);
    } else if (strcmp(name, "bootargs") == 0 && len > 0) {
        size_t n = len < CMDLINE_MAX ? len : CMDLINE_MAX;
        memcpy(cmdline_copy, data, n);
        cmdline_copy[n - 1] = 0;
    }
}

/* Records property name = [data, data + len) of the node at the end of w's path. */
static void prop(fdt_walk_t *w, const char *name, const uint8_t *data, uint32_t len) {
    fdt_node_t *n = &w->path[w->depth];
    const char *parent = w->depth > 0 ? w->path[w->depth - 1].name : "";
    if (strcmp(name, "#address-cells") == 0 && len == 4) {
        n->addr_cells = be32(data);
    } else if (strcmp(name, "#size-cells") == 0 && len == 4) {
        n->size_cells = be32(data);
    } else if (strcmp(name, "reg") == 0) {
        n->reg = data;
        n->reg_len = len;
    } else if (strcmp(name, "compatible") == 0) {
        n->finisher =
            strlist_has(data, len, "sifive,test0") || strlist_has(data, len, "sifive,test1");
    } else if (w->depth == 1 && node_is(n->name, "chosen")) {
        chosen_prop(w, name, data, len);
    } else if (w->depth == 1 && node_is(n->name, "cpus") &&
               strcmp(name, "timebase-frequency") == 0 && (len == 4 || len == 8)) {
        rv_platform.timebase_hz = cells(data, len / 4u);
    } else if (w->depth == 2 && node_is(parent, "cpus") && strcmp(name, "riscv,isa") == 0) {
        rv_platform.svpbmt |= isa_has_ext(data, len, "svpbmt");
    } else if (w->depth == 2 && node_is(parent, "cpus") &&
               strcmp(name, "riscv,isa-extensions") == 0) {
        rv_platform.svpbmt |= strlist_has(data, len, "svpbmt");
    }
}

/* A node ends: its reg, now complete, is RAM (/memory*), firmware memory (a child of
 * /reserved-memory) or the test finisher. */
static void node_end(fdt_walk_t *w) {
    const fdt_node_t *n = &w->path[w->depth];
    const fdt_node_t *parent = &w->path[w->depth - 1];
    if (!n->reg) {
        return;
    }
    if (w->depth == 1 && node_is(n->name, "memory")) {
        reg_ranges(parent, n->reg, n->reg_len, w->mem, &w->mem_count);
    } else if (w->depth == 2 && node_is(parent->name, "reserved-memory")) {
        reg_ranges(parent, n->reg, n->reg_len, w->bi->reserved, &w->bi->reserved_count);
    } else if (n->finisher && n->reg_len >= parent->addr_cells * 4u) {
        rv_platform.finisher_pa = cells(n->reg, parent->addr_cells);
    }
}

/* The big-endian word at structure offset off, or a panic past the blob's end. */
static uint32_t word_at(const fdt_walk_t *w, uint32_t off) {
    if (off > w->size - 4u) {
        kern_panic("fdt: structure runs past the blob at 0x%x", off);
    }
    return be32(w->blob + off);
}

/* The NUL-terminated string at blob offset off, checked to end inside the blob. */
static const char *string_at(const fdt_walk_t *w, uint32_t off) {
    for (uint32_t i = off; i < w->size; i++) {
        if (w->blob[i] == 0) {
            return (const char *)w->blob + off;
        }
    }
    kern_panic("fdt: unterminated string at 0x%x", off);
}

/* Handles the FDT_PROP at off (after its token); returns the offset past it. */
static uint32_t walk_prop(fdt_walk_t *w, uint32_t off) {
    uint32_t len = word_at(w, off);
    uint32_t nameoff = word_at(w, off + 4u);
    off += 8u;
    if (len > w->size - off || nameoff >= w->strings_size || w->depth < 0) {
        kern_panic("fdt: bad property at 0x%x", off);
    }
    prop(w, string_at(w, w->strings + nameoff), w->blob + off, len);
    return (off + len + 3u) & ~3u;
}

/* Enters the node whose name starts at off; returns the offset past the name. */
static uint32_t walk_begin(fdt_walk_t *w, uint32_t off) {
    if (++w->depth >= FDT_MAX_DEPTH) {
        kern_panic("fdt: nodes nested deeper than %d", FDT_MAX_DEPTH);
    }
    const char *name = string_at(w, off);
    /* DT spec 2.3.5: without #address-cells / #size-cells a client assumes 2 and 1. */
    w->path[w->depth] = (fdt_node_t){.name = name, .addr_cells = 2, .size_cells = 1};
    return (off + (uint32_t)strlen(name) + 1u + 3u) & ~3u;
}

/* Walks the structure block (DT spec 5.4), calling prop and node_end. */
static void walk_struct(fdt_walk_t *w, uint32_t off) {
    w->depth = -1;
    for (;;) {
        uint32_t token = word_at(w, off);
        off += 4u;
        if (token == FDT_BEGIN_NODE) {
            off = walk_begin(w, off);
        } else if (token == FDT_PROP) {
            off = walk_prop(w, off);
        } else if (token == FDT_END_NODE && w->depth >= 0) {
            if (w->depth > 0) {
                node_end(w);
            }
            w->depth--;
        } else if (token == FDT_END) {
            return;
        } else if (token != FDT_NOP) {
            kern_panic("fdt: bad token %u at 0x%x", token, off - 4u);
        }
    }
}

/* Adds the memory reservation block's entries (DT spec 5.3) to the reserved list. */
static void walk_rsvmap(fdt_walk_t *w, uint32_t off) {
    for (; off <= w->size - 16u; off += 16u) {
        uint64_t base = ((uint64_t)be32(w->blob + off) << 32) | be32(w->blob + off + 4u);
        uint64_t len = ((uint64_t)be32(w->blob + off + 8u) << 32) | be32(w->blob + off + 12u);
        if (base == 0 && len == 0) {
            return;
        }
        range_add(w->bi->reserved, &w->bi->reserved_count, base, len);
    }
    kern_panic("fdt: memory reservation block runs past the blob");
}

/* Removes cut from the ranges of list (of *count entries), splitting where needed. */
static void range_cut(arch_range_t *list, unsigned *count, const arch_range_t *cut) {
    uint64_t c0 = cut->base, c1 = cut->base + cut->len;
    for (unsigned i = 0; i < *count; i++) {
        uint64_t r0 = list[i].base, r1 = list[i].base + list[i].len;
        if (c1 <= r0 || c0 >= r1) {
            continue;
        }
        list[i].len = c0 > r0 ? c0 - r0 : 0;
        if (c1 < r1) {
            range_add(list, count, c1, r1 - c1);
        }
    }
}

/* Sorts list by base, then merges the ranges that overlap or touch into one, so no frame is
 * counted twice (a /memory reg may list overlapping ranges, several /memory nodes may
 * overlap), and a reservation cut from one range cannot stay usable in another. */
static void range_sort_merge(arch_range_t *list, unsigned *count) {
    for (unsigned i = 1; i < *count; i++) {
        arch_range_t r = list[i];
        unsigned j = i;
        for (; j > 0 && list[j - 1].base > r.base; j--) {
            list[j] = list[j - 1];
        }
        list[j] = r;
    }
    unsigned out = 0;
    for (unsigned i = 0; i < *count; i++) {
        uint64_t end = list[i].base + list[i].len;
        if (out && list[i].base <= list[out - 1].base + list[out - 1].len) {
            uint64_t prev_end = list[out - 1].base + list[out - 1].len;
            list[out - 1].len = (end > prev_end ? end : prev_end) - list[out - 1].base;
            continue;
        }
        list[out++] = list[i];
    }
    *count = out;
}

/* bi->ram = w->mem merged, less every reserved range, page-aligned inward, in address
 * order. */
static void usable_ram(fdt_walk_t *w) {
    arch_boot_info_t *bi = w->bi;
    range_sort_merge(w->mem, &w->mem_count);
    for (unsigned i = 0; i < bi->reserved_count; i++) {
        range_cut(w->mem, &w->mem_count, &bi->reserved[i]);
    }
    bi->ram_count = 0;
    for (unsigned i = 0; i < w->mem_count; i++) {
        uint64_t base = (w->mem[i].base + PAGE_MASK) & ~PAGE_MASK;
        uint64_t end = (w->mem[i].base + w->mem[i].len) & ~PAGE_MASK;
        if (end <= base) {
            continue;
        }
        unsigned j = bi->ram_count++;
        for (; j > 0 && bi->ram[j - 1].base > base; j--) {
            bi->ram[j] = bi->ram[j - 1];
        }
        bi->ram[j] = (arch_range_t){.base = base, .len = end - base};
    }
}

/* The early-window pointer to the blob at pa, its header checked. */
static const fdt_header_t *blob_header(uint64_t pa) {
    if (pa == 0 || pa + sizeof(fdt_header_t) > RV_EARLY_LIMIT) {
        kern_panic("fdt: device tree at 0x%llx outside the boot window", (unsigned long long)pa);
    }
    const fdt_header_t *h = (const fdt_header_t *)(uintptr_t)(ARCH_DIRECT_MAP_BASE + pa);
    const uint8_t *raw = (const uint8_t *)h;
    if (be32(raw) != FDT_MAGIC) {
        kern_panic("fdt: no device tree at 0x%llx", (unsigned long long)pa);
    }
    uint32_t size = be32(raw + 4);
    if (size < sizeof(fdt_header_t) || pa + size > RV_EARLY_LIMIT) {
        kern_panic("fdt: bad device tree size %u", size);
    }
    return h;
}

/* See riscv.h. */
void rv_fdt_parse(uint64_t dtb_pa, arch_boot_info_t *bi) {
    static fdt_walk_t w;
    const fdt_header_t *h = blob_header(dtb_pa);
    const uint8_t *raw = (const uint8_t *)h;
    w = (fdt_walk_t){.blob = raw, .size = be32(raw + 4), .bi = bi};
    w.strings = be32(raw + 12);
    w.strings_size = be32(raw + 32);
    if (w.strings > w.size || w.strings_size > w.size - w.strings) {
        kern_panic("fdt: strings block outside the blob");
    }
    *bi = (arch_boot_info_t){.cmdline = cmdline_copy, .loader = "OpenSBI"};
    rv_platform = (rv_platform_t){.timebase_hz = 0};
    walk_rsvmap(&w, be32(raw + 16));
    walk_struct(&w, be32(raw + 8));
    usable_ram(&w);
    if (w.initrd_end > w.initrd_start) {
        bi->archive = (arch_range_t){w.initrd_start, w.initrd_end - w.initrd_start};
    }
    uint64_t image = (uint64_t)(uintptr_t)__kernel_text_start - ARCH_KERNEL_VOFFSET;
    range_add(bi->used, &bi->used_count, image,
              (uint64_t)(uintptr_t)(__kernel_data_end - __kernel_text_start));
    if (rv_platform.svpbmt && rv_platform.finisher_pa) {
        /* With Svpbmt the kernel can map it as device memory (PBMT = IO) in its direct
         * map; without, see arch_halt. */
        range_add(bi->mmio, &bi->mmio_count, rv_platform.finisher_pa & ~PAGE_MASK, PT_PAGE_SIZE);
    }
    bi->early_offset = ARCH_DIRECT_MAP_BASE;
    bi->early_limit = RV_EARLY_LIMIT;
    if (rv_platform.timebase_hz == 0) {
        kern_panic("fdt: no /cpus timebase-frequency");
    }
}
