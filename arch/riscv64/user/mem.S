/*
 * void ipc_zero_pages(void *dst, uint64_t pages): zeroes pages whole 4 KiB pages from dst
 * (page-aligned), eight doubleword stores (64 bytes) a round -- the base ISA's floor
 * without Zicboz's cbo.zero (issue 11: mmserver zeroes every frame it hands out, so this
 * is on the map and fault paths). dst in a0, pages in a1; uses only a0..a2.
 */
    .text
    .global ipc_zero_pages
ipc_zero_pages:
    slli a1, a1, 12
    add a2, a0, a1                      /* a2: one past the last byte */
    beq a0, a2, 2f
1:
    sd zero, 0(a0)
    sd zero, 8(a0)
    sd zero, 16(a0)
    sd zero, 24(a0)
    sd zero, 32(a0)
    sd zero, 40(a0)
    sd zero, 48(a0)
    sd zero, 56(a0)
    addi a0, a0, 64
    bne a0, a2, 1b
2:
    ret
