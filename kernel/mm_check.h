/*
 * The argument checks of the privileged calls (ipc/mmpriv.h), apart from the machine so
 * the host tests (tests/kernel) run them unchanged. mmserver is trusted with memory, not
 * with the kernel's integrity: every word it passes is checked here before the kernel acts
 * on it, and a bad one is a typed error, never a crash.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <ipc/abi.h>
#include <pt/pt.h>

/* The RAM window mmserver was given at boot: its pool. frames == 0: none (no boot through
 * mmserver), so no root can be registered. */
typedef struct kern_mm_pool {
    uint64_t pa;
    uint64_t frames;
} kern_mm_pool_t;

/* IPC_OK if space is a client id the kernel keeps a record for (1 .. MMPRIV_SPACES - 1). */
ipc_err_t kern_mm_check_space(uint64_t space);

/* Whether physical address pa lies inside pool (the end cannot wrap). */
bool kern_mm_in_pool(uint64_t pa, const kern_mm_pool_t *pool);

/* IPC_OK if root_pa is a page-aligned frame inside pool: the only frames the kernel
 * accepts to write its own top-level entries into. Critical: a frame outside the pool
 * could be one of the kernel's own. */
ipc_err_t kern_mm_check_root(uint64_t root_pa, const kern_mm_pool_t *pool);

/* Builds in *f the flush MMPRIV_SYS_FLUSH asks for: flags only MMPRIV_FLUSH_ALL and
 * MMPRIV_FLUSH_TABLES; without MMPRIV_FLUSH_ALL, start <= last < user_top (the user half:
 * a flush never reaches the kernel's global entries). */
ipc_err_t kern_mm_check_flush(uint64_t start, uint64_t last, uint64_t leaves, uint64_t flags,
                              uint64_t user_top, pt_flush_t *f);

/* IPC_OK if a new thread may start at pc with IPC buffer ipc_buffer (0: none, else
 * page-aligned): both in [0, user_top). pc is critical: the return to user mode loads it
 * (on x86_64 a non-canonical pc would fault sysret in the kernel). sp may be anything: the
 * kernel never uses a user stack. */
ipc_err_t kern_mm_check_thread(uint64_t pc, uint64_t ipc_buffer, uint64_t user_top);

/* IPC_OK if priority prio exists and is at most the caller's own. */
ipc_err_t kern_mm_check_prio(uint64_t prio, uint8_t caller_prio);
