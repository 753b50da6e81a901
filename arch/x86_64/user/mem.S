/*
 * void ipc_zero_pages(void *dst, uint64_t pages): zeroes pages whole 4 KiB pages from dst
 * (page-aligned), at the machine's floor: one `rep stosq`, 512 quadwords a page (issue 11:
 * mmserver zeroes every frame it hands out, so this is on the map and fault paths).
 * System V: dst in rdi (stosq's destination), pages in rsi; rcx and rax are the caller's to
 * lose, and the direction flag is clear at every call (the ABI's rule).
 */
    .text
    .global ipc_zero_pages
ipc_zero_pages:
    mov %rsi, %rcx
    shl $9, %rcx                        /* quadwords: 512 a page */
    xor %eax, %eax
    rep stosq
    ret
