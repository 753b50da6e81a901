/*
 * riscv64 MMU control: the Sv48 / Sv39 probe, turning on the kernel's libpt-built tables,
 * loading roots with ASIDs, and TLB invalidation following pt_flush_t.
 *
 * Format. boot.S starts on Sv39, which every paging riscv64 hart has. rv_mmu_probe then
 * writes satp with MODE = Sv48 and reads it back: a hart without Sv48 ignores the whole
 * write (priv. 4.1.11, "If satp is written with an unsupported MODE, the entire write has
 * no effect"). The Sv48 bootstrap root maps the same as the Sv39 one (its slots 0 and 511
 * point at the Sv39 root as a level-2 table), so the switch happens under our feet safely.
 *
 * ASIDs (priv. 4.1.11, 4.2.1). The kernel is ASID 0 and its mappings are global. A user
 * root carries its tag as ASID; the kernel hands out as many tags as the hart implements
 * ASIDs (probed by writing ones to satp.ASID; arch_tag_count), recycled by generation
 * (kernel/tag.h). Without ASIDs every user root is hardware ASID 0 and is fenced whenever
 * it follows another root. sfence.vma with rs2
 * naming a register (not x0) spares global entries, so changes to the kernel's root (whose mappings
 * are global and cached under every ASID) use rs2 = x0; with rs1 = an address it drops only leaf
 * entries for it, so a flush whose f->tables is set drops the whole ASID.
 */
#include "mmu_hw.h"
#include "riscv.h"

static const pt_format_t *pt_format_in_use = &pt_format_sv39;
static unsigned asid_bits;             /* implemented satp.ASID width, 0..16 */
static uint64_t boot_satp;             /* the bootstrap tables, for arch_halt */
static const arch_root_t *loaded_root; /* the user root in satp; NULL: kernel's */
static uint64_t boot_pt_sv48[PT_ENTRIES] __attribute__((aligned(4096)));

_Static_assert(sizeof(boot_pt_sv48) == PT_PAGE_SIZE, "a root table is one page");

/* See machine.h. */
const pt_format_t *rv_pt_format(void) {
    return pt_format_in_use;
}

/* See machine.h. */
uint64_t rv_user_top(void) {
    return 1ull << (pt_format_in_use->va_bits - 1u);
}

/* The physical address of kernel-image object p (link address - ARCH_KERNEL_VOFFSET). */
static uint64_t image_pa(const void *p) {
    return (uint64_t)(uintptr_t)p - ARCH_KERNEL_VOFFSET;
}

/* Writes satp and drops every translation cached for the old value (all ASIDs, global
 * too): used only while switching between kernel-wide tables. */
static void satp_switch(uint64_t satp) {
    rv_hw_sfence_all();
    rv_hw_satp_write(satp);
    rv_hw_sfence_all();
}

/* How many satp.ASID bits the hart implements: write all ones and count what sticks. */
static unsigned probe_asid_bits(uint64_t satp) {
    rv_hw_satp_write(satp | RV_SATP_ASID_MASK);
    uint64_t got = (rv_hw_satp_read() & RV_SATP_ASID_MASK) >> RV_SATP_ASID_SHIFT;
    satp_switch(satp);
    unsigned bits = 0;
    while (got & 1u) {
        bits++;
        got >>= 1;
    }
    return bits;
}

/* See riscv.h. */
void rv_mmu_probe(bool allow_sv48, bool allow_asids) {
    uint64_t sv39 = rv_hw_satp_read();
    uint64_t sv39_root_pa = (sv39 & RV_SATP_PPN_MASK) << PT_PAGE_SHIFT;
    uint64_t link = ((sv39_root_pa >> PT_PAGE_SHIFT) << RV_PTE_PPN_SHIFT) | RV_PTE_V;
    boot_pt_sv48[0] = link;
    boot_pt_sv48[PT_ENTRIES - 1] = link;
    boot_satp = sv39;
    if (allow_sv48) {
        uint64_t sv48 = RV_SATP_MODE_SV48 | (image_pa(boot_pt_sv48) >> PT_PAGE_SHIFT);
        satp_switch(sv48);
        if ((rv_hw_satp_read() & RV_SATP_MODE_MASK) == RV_SATP_MODE_SV48) {
            pt_format_in_use = &pt_format_sv48;
            boot_satp = sv48;
        }
    }
    asid_bits = allow_asids ? probe_asid_bits(boot_satp) : 0;
}

/* See riscv.h. */
unsigned rv_mmu_asid_bits(void) {
    return asid_bits;
}

/* See riscv.h. */
void rv_mmu_load_boot_tables(void) {
    satp_switch(boot_satp);
    loaded_root = NULL;
}

/* The satp MODE field of the format in use. */
static uint64_t satp_mode(void) {
    return pt_format_in_use == &pt_format_sv48 ? RV_SATP_MODE_SV48 : RV_SATP_MODE_SV39;
}

/* See arch.h. Superpages are mandatory in Sv39/Sv48 (priv. 4.4.1), so NO_GIGA never
 * applies. Svpbmt is reported only when the device tree lists it: without it the memory
 * type of every page comes from the platform's PMAs, and libpt refuses other types. */
uint32_t arch_pt_features(void) {
    return rv_platform.svpbmt ? PT_FEAT_SVPBMT : 0;
}

/* See arch.h. S-mode never touches user pages (SUM = 0: the kernel reads user memory
 * through the direct map after a walk) and reads only readable pages (MXR = 0). */
void arch_paging_enable(pt_paddr_t root) {
    rv_hw_sstatus_clear(RV_SSTATUS_SUM | RV_SSTATUS_MXR);
    satp_switch(satp_mode() | (root >> PT_PAGE_SHIFT));
    loaded_root = NULL;
}

/* The hardware ASID for tag asid: itself when the hart has room for it, else 0 (a hart
 * without ASIDs: every user root is tag 1, kernel/tag.h, and is fenced at each switch). */
static uint16_t hw_asid(uint16_t asid) {
    return asid < (1u << asid_bits) ? asid : 0;
}

/* See arch.h. */
uint32_t arch_tag_count(void) {
    return 1u << asid_bits;
}

/* See arch.h. */
void arch_root_init(arch_root_t *r, pt_paddr_t root_pa, uint16_t asid) {
    r->satp =
        satp_mode() | ((uint64_t)hw_asid(asid) << RV_SATP_ASID_SHIFT) | (root_pa >> PT_PAGE_SHIFT);
    r->asid = asid;
    r->stale = true;
}

/* The hardware ASID r carries. */
static uint64_t root_hw_asid(const arch_root_t *r) {
    return (r->satp & RV_SATP_ASID_MASK) >> RV_SATP_ASID_SHIFT;
}

/* Drops what r may have cached: for the kernel's root, every entry of every ASID, global
 * ones too (rs2 = x0), since its global mappings are cached under whatever ASID was
 * current; for a user root, the non-global entries of its ASID. */
static void sfence_root(const arch_root_t *r) {
    if (r->asid == 0) {
        rv_hw_sfence_all();
    } else {
        rv_hw_sfence_asid(root_hw_asid(r));
    }
}

/* Drops the leaf entries for va that r may have cached (as sfence_root, one page). */
static void sfence_root_page(const arch_root_t *r, uint64_t va) {
    if (r->asid == 0) {
        rv_hw_sfence_va(va);
    } else {
        rv_hw_sfence_va_asid(va, root_hw_asid(r));
    }
}

/* See arch.h. A user root without a hardware ASID of its own (a hart without ASIDs) is
 * fenced whenever it follows another root, which may have used hardware ASID 0 too. */
void arch_root_load(arch_root_t *r) {
    if (r == loaded_root && !r->stale) {
        return;
    }
    rv_hw_satp_write(r->satp);
    if (r->stale || (r->asid != 0 && root_hw_asid(r) == 0)) {
        sfence_root(r);
    }
    r->stale = false;
    loaded_root = r->asid ? r : NULL;
}

/* See arch.h. The ASID-tagged forms work whether or not r is loaded. An address-wide
 * sfence.vma drops leaf entries only (priv. 4.2.1), so changed intermediate entries
 * (f->tables) need the whole ASID flushed. */
void arch_tlb_flush(arch_root_t *r, const pt_flush_t *f) {
    if (f->leaves == 0 && !f->tables) {
        return;
    }
    /* [start, last] is inclusive, so a range ending at the top of memory cannot wrap; the
     * pages are counted from start's page (mmserver may name a range that starts mid-page). */
    uint64_t va = f->start & ~(PT_PAGE_SIZE - 1);
    uint64_t pages = (f->last - va) / PT_PAGE_SIZE + 1;
    if (f->all || f->tables || pages > PT_FLUSH_ALL_THRESHOLD) {
        sfence_root(r);
        return;
    }
    for (uint64_t i = 0; i < pages; i++, va += PT_PAGE_SIZE) {
        sfence_root_page(r, va);
    }
}

/* See arch.h. */
void arch_root_release(arch_root_t *r) {
    if (r == loaded_root) {
        kern_panic("releasing the loaded root");
    }
    sfence_root(r);
}

/* See arch.h. Zifencei: orders this hart's earlier stores before its later fetches. */
void arch_icache_sync(void) {
    rv_hw_fence_i();
}
