/*
 * x86_64 MMU control: turning on the kernel's libpt-built tables, loading roots with
 * PCIDs, and TLB invalidation following pt_flush_t.
 *
 * PCID policy (SDM 3A 4.10.1, 4.10.4): the kernel is PCID 0 and its mappings are global.
 * A user root carries its address-space id as PCID. Loading keeps the PCID's entries
 * (CR3 bit 63) unless the root is marked stale: a fresh root, or one whose entries could not
 * be invalidated while it was not loaded (no INVPCID). Without PCID every CR3 write drops
 * all non-global entries, so a root that is not loaded has nothing to invalidate.
 */
#include "x86.h"

#include "mmu_hw.h" /* every privileged instruction here goes through it (host-tested) */

#define INVPCID_ADDRESS 0u /* individual address, one PCID (SDM 2A "INVPCID") */
#define INVPCID_CONTEXT 1u /* every non-global entry of one PCID */

/* The root in CR3 now; NULL while the kernel's own root is loaded. */
static arch_root_t *loaded_root;
static bool pcid_enabled;

/* See arch.h. The x86 format can express everything but 1 GiB leaves on CPUs without
 * them (CPUID 0x80000001 EDX[26]; QEMU's default qemu64 model lacks it). */
uint32_t arch_pt_features(void) {
    return x86_features.giga ? 0 : PT_FEAT_NO_GIGA;
}

/* The CR4 protection features this CPU has: global pages, SMEP, SMAP, UMIP. The kernel
 * never dereferences a user address (it reads user memory through the direct map after a
 * page-table walk), so SMAP costs nothing and turns a kernel bug into a panic. */
static uint64_t cr4_protection(void) {
    uint64_t cr4 = 0;
    cr4 |= x86_features.pge ? X86_CR4_PGE : 0;
    cr4 |= x86_features.smep ? X86_CR4_SMEP : 0;
    cr4 |= x86_features.smap ? X86_CR4_SMAP : 0;
    cr4 |= x86_features.umip ? X86_CR4_UMIP : 0;
    return cr4;
}

/* See arch.h. Order matters: PAT and NXE before the first table that uses them is loaded
 * (an XD bit with EFER.NXE clear is a reserved-bit fault); PCIDE only once CR3[11:0] is 0. */
void arch_paging_enable(pt_paddr_t root) {
    if (!x86_features.nx) {
        kern_panic("CPU lacks the execute-disable bit; W^X is impossible");
    }
    x86_hw_wrmsr(X86_MSR_PAT, PT_X86_PAT_MSR);
    x86_hw_wrmsr(X86_MSR_EFER, x86_hw_rdmsr(X86_MSR_EFER) | X86_EFER_NXE);
    x86_hw_write_cr4(x86_hw_read_cr4() | cr4_protection());
    x86_hw_write_cr3(root);
    if (x86_features.pcid) {
        x86_hw_write_cr4(x86_hw_read_cr4() | X86_CR4_PCIDE);
        pcid_enabled = true;
    }
    loaded_root = NULL;
}

/* See arch.h. Without PCID every CR3 load drops all non-global entries: untagged. */
uint32_t arch_tag_count(void) {
    return pcid_enabled ? ARCH_ASID_MAX + 1u : 1u;
}

/* See arch.h. */
void arch_root_init(arch_root_t *r, pt_paddr_t root_pa, uint16_t asid) {
    if (asid > ARCH_ASID_MAX) {
        kern_panic("address-space id %u out of range", asid);
    }
    r->pa = root_pa;
    r->asid = asid;
    r->stale = true;
}

/* See arch.h. */
void arch_root_load(arch_root_t *r) {
    if (r == loaded_root && !r->stale) {
        return;
    }
    uint64_t cr3 = r->pa;
    if (pcid_enabled) {
        cr3 |= r->asid;
        cr3 |= r->stale ? 0 : X86_CR3_NOFLUSH;
    }
    r->stale = false;
    x86_hw_write_cr3(cr3);
    loaded_root = r;
}

/* Drops every TLB entry, global ones too, of every PCID: toggling CR4.PGE does that
 * (SDM 3A 4.10.4.1); without global pages a CR3 reload is enough. */
static void flush_everything(void) {
    uint64_t cr4 = x86_hw_read_cr4();
    if (cr4 & X86_CR4_PGE) {
        x86_hw_write_cr4(cr4 & ~X86_CR4_PGE);
        x86_hw_write_cr4(cr4);
    } else {
        x86_hw_write_cr3(x86_hw_read_cr3());
    }
}

/* Drops every entry of r, loaded or not. The kernel's root (id 0) holds the global
 * mappings every space shares, so changing it flushes everything. */
static void flush_all(arch_root_t *r) {
    if (r->asid == 0) {
        flush_everything();
    } else if (r == loaded_root) {
        r->stale = true;
        arch_root_load(r); /* CR3 write without NOFLUSH drops this PCID's entries */
    } else if (pcid_enabled && x86_features.invpcid) {
        x86_hw_invpcid(INVPCID_CONTEXT, r->asid, 0);
    } else if (pcid_enabled) {
        r->stale = true;
    }
}

/* Drops the entries of the pages pages from start in r, loaded or not. invlpg and
 * INVPCID type 0 also drop the paging-structure caches of the PCID (SDM 3A 4.10.4.1), so
 * changed intermediate entries need nothing more. */
static void flush_range(arch_root_t *r, uint64_t start, uint64_t pages) {
    for (uint64_t i = 0, va = start; i < pages; i++, va += PT_PAGE_SIZE) {
        if (r == loaded_root || r->asid == 0) { /* kernel half: global, in every space */
            x86_hw_invlpg(va);
        } else if (pcid_enabled && x86_features.invpcid) {
            x86_hw_invpcid(INVPCID_ADDRESS, r->asid, va);
        } else if (pcid_enabled) {
            r->stale = true;
            return;
        } else {
            return; /* not loaded, no PCID: it has no TLB entries */
        }
    }
}

/* See arch.h. */
void arch_tlb_flush(arch_root_t *r, const pt_flush_t *f) {
    if (f->leaves == 0 && !f->tables) {
        return;
    }
    /* [start, last] is inclusive, so a range ending at the top of memory cannot wrap; the
     * pages are counted from start's page (mmserver may name a range that starts mid-page). */
    uint64_t first = f->start & ~(PT_PAGE_SIZE - 1);
    uint64_t pages = (f->last - first) / PT_PAGE_SIZE + 1;
    if (f->all || pages > PT_FLUSH_ALL_THRESHOLD) {
        flush_all(r);
    } else {
        flush_range(r, first, pages);
    }
}

/* See arch.h. */
void arch_root_release(arch_root_t *r) {
    if (r == loaded_root) {
        kern_panic("releasing the loaded root");
    }
    if (pcid_enabled && x86_features.invpcid) {
        x86_hw_invpcid(INVPCID_CONTEXT, r->asid, 0);
    }
    /* Otherwise the next arch_root_init of this id marks it stale. */
}

/* See arch.h. x86 keeps instruction fetch coherent with stores (SDM vol. 3, 11.6,
 * self-modifying code), and the return to user mode serializes: nothing to do. */
void arch_icache_sync(void) {
}
