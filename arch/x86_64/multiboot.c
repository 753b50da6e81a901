/*
 * Decodes the Multiboot2 boot information (Multiboot2 spec 3.6, "Boot information
 * format") into the architecture-neutral arch_boot_info_t. Runs on the bootstrap tables:
 * the information is read through the early window (pa + ARCH_KERNEL_VOFFSET, pa < 1 GiB)
 * and everything the kernel keeps is copied, so the information's own memory can be
 * reused afterwards.
 */
#include "x86.h"

#define MB2_BOOT_MAGIC  0x36d76289u /* eax at entry (spec 3.3) */
#define MB2_TAG_END     0u
#define MB2_TAG_CMDLINE 1u
#define MB2_TAG_LOADER  2u
#define MB2_TAG_MODULE  3u
#define MB2_TAG_MMAP    6u
#define MB2_MMAP_RAM    1u           /* "available RAM" (spec 3.6.8) */
#define EARLY_LIMIT     (1ull << 30) /* boot.S maps the first 1 GiB */
#define LOW_MEMORY_END  0x100000ull  /* below 1 MiB: BIOS data, EBDA, ROMs */
#define PAGE_MASK       (PT_PAGE_SIZE - 1)

extern char __kernel_phys_start[], __kernel_phys_end[];

typedef struct mb2_tag {
    uint32_t type;
    uint32_t size;
} mb2_tag_t;

typedef struct mb2_module {
    mb2_tag_t tag;
    uint32_t start;
    uint32_t end;
    char name[];
} mb2_module_t;

typedef struct mb2_mmap {
    mb2_tag_t tag;
    uint32_t entry_size;
    uint32_t entry_version;
} mb2_mmap_t;

typedef struct mb2_mmap_entry {
    uint64_t base;
    uint64_t len;
    uint32_t type;
    uint32_t reserved;
} mb2_mmap_entry_t;

_Static_assert(sizeof(mb2_mmap_entry_t) == 24, "Multiboot2 spec 3.6.8");
_Static_assert(sizeof(mb2_module_t) == 16, "Multiboot2 spec 3.6.6");

static char cmdline_copy[256];
static char loader_copy[64];

/* The early-window address of physical pa, or a panic when boot.S did not map it. */
static const void *early_ptr(uint64_t pa, uint64_t len) {
    if (pa + len > EARLY_LIMIT || pa + len < pa) {
        kern_panic("multiboot: data at 0x%llx above the 1 GiB boot window", (unsigned long long)pa);
    }
    return (const void *)(uintptr_t)(pa + ARCH_KERNEL_VOFFSET);
}

/* Copies the NUL-terminated string s into dst (size n), truncating. */
static void copy_string(char *dst, size_t n, const char *s) {
    size_t i = 0;
    for (; i + 1 < n && s[i]; i++) {
        dst[i] = s[i];
    }
    dst[i] = 0;
}

/* Appends [base, base + len) to a range list, or panics when it is full. */
static void add_range(arch_range_t *list, unsigned *count, uint64_t base, uint64_t len) {
    if (*count >= ARCH_BOOT_MAX_RANGES) {
        kern_panic("multiboot: more than %u ranges", ARCH_BOOT_MAX_RANGES);
    }
    list[*count].base = base;
    list[*count].len = len;
    (*count)++;
}

/* Sorts RAM ranges into usable (page-aligned inward) and reserved. */
static void parse_mmap(const mb2_mmap_t *m, arch_boot_info_t *bi) {
    const char *p = (const char *)(m + 1);
    const char *end = (const char *)m + m->tag.size;
    for (; p + sizeof(mb2_mmap_entry_t) <= end; p += m->entry_size) {
        const mb2_mmap_entry_t *e = (const mb2_mmap_entry_t *)p;
        if (e->type != MB2_MMAP_RAM) {
            add_range(bi->reserved, &bi->reserved_count, e->base, e->len);
            continue;
        }
        uint64_t base = (e->base + PAGE_MASK) & ~PAGE_MASK;
        uint64_t top = (e->base + e->len) & ~PAGE_MASK;
        if (top > base) {
            add_range(bi->ram, &bi->ram_count, base, top - base);
        }
    }
}

/* Takes the first module as the archive; others are reported and ignored. */
static void parse_module(const mb2_module_t *m, arch_boot_info_t *bi) {
    if (bi->archive.len) {
        kern_printf("[boot] ignoring extra module '%s'\n", m->name);
        return;
    }
    bi->archive.base = m->start;
    bi->archive.len = m->end - m->start;
}

/* Handles one tag of the boot information. */
static void parse_tag(const mb2_tag_t *t, arch_boot_info_t *bi) {
    switch (t->type) {
        case MB2_TAG_CMDLINE:
            copy_string(cmdline_copy, sizeof(cmdline_copy), (const char *)(t + 1));
            break;
        case MB2_TAG_LOADER:
            copy_string(loader_copy, sizeof(loader_copy), (const char *)(t + 1));
            break;
        case MB2_TAG_MODULE:
            parse_module((const mb2_module_t *)t, bi);
            break;
        case MB2_TAG_MMAP:
            parse_mmap((const mb2_mmap_t *)t, bi);
            break;
        default:
            break;
    }
}

/* Fills bi from the Multiboot2 information at info_pa. => magic came in eax from the
 * loader; a wrong one means we were not booted by Multiboot2 and nothing can be trusted. */
void x86_multiboot_parse(uint32_t magic, uint64_t info_pa, arch_boot_info_t *bi) {
    if (magic != MB2_BOOT_MAGIC) {
        kern_panic("not booted by a Multiboot2 loader (eax 0x%x)", magic);
    }
    bi->cmdline = cmdline_copy;
    bi->loader = loader_copy;
    bi->early_offset = ARCH_KERNEL_VOFFSET;
    bi->early_limit = EARLY_LIMIT;
    const uint32_t *hdr = early_ptr(info_pa, 8);
    const char *p = early_ptr(info_pa, hdr[0]);
    const char *end = p + hdr[0];
    for (p += 8; p + sizeof(mb2_tag_t) <= end;) {
        const mb2_tag_t *t = (const mb2_tag_t *)p;
        if (t->type == MB2_TAG_END) {
            break;
        }
        parse_tag(t, bi);
        p += (t->size + 7) & ~7u; /* tags are 8-byte aligned (spec 3.6.1) */
    }
    uint64_t kstart = (uint64_t)(uintptr_t)__kernel_phys_start;
    uint64_t kend = (uint64_t)(uintptr_t)__kernel_phys_end;
    add_range(bi->used, &bi->used_count, 0, LOW_MEMORY_END);
    add_range(bi->used, &bi->used_count, kstart, kend - kstart);
}
