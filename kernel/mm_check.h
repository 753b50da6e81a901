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
#include <ipc/mmpriv.h>
#include <pt/pt.h>

#include "ipc.h"

/* One RAM range mmserver was given at boot for its pool. A pool is an array of them (by
 * address); with none (no boot through mmserver) no root can be registered. */
typedef struct kern_mm_pool {
    uint64_t pa;
    uint64_t frames;
} kern_mm_pool_t;

/* IPC_OK if space is a client id the kernel keeps a record for (1 .. MMPRIV_SPACE_IDS - 1). */
ipc_err_t kern_mm_check_space(uint64_t space);

/* IPC_OK if [pa, pa + frames * 4 KiB) is a non-empty run of page-aligned frames wholly
 * inside one of the n ranges of pool (MMPRIV_SYS_KMEM_GIVE). Critical: the kernel builds
 * its objects there. */
ipc_err_t kern_mm_check_kmem(uint64_t pa, uint64_t frames, const kern_mm_pool_t *pool, unsigned n);

/* Whether physical address pa lies inside one of the n ranges of pool (no end can wrap). */
bool kern_mm_in_pool(uint64_t pa, const kern_mm_pool_t *pool, unsigned n);

/* IPC_OK if root_pa is a page-aligned frame inside the n ranges of pool: the only frames
 * the kernel accepts to write its own top-level entries into. Critical: a frame outside
 * the pool could be one of the kernel's own. */
ipc_err_t kern_mm_check_root(uint64_t root_pa, const kern_mm_pool_t *pool, unsigned n);

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

/* Unpacks the name MMPRIV_SYS_THREAD_NAME carries in w[0..3] (byte i is byte i % 8 of
 * w[i / 8]) into name, NUL-terminated, if it is one: 1 .. MMPRIV_NAME_MAX bytes of
 * printable ASCII (0x20..0x7e), then NULs to the end of the 32 bytes. Anything else (an
 * empty name, a control or non-ASCII byte, a byte after the first NUL, a 32nd byte) is
 * IPC_ERR_INVALID_ARGUMENT and name is left empty: a name is never cut or cleaned. */
ipc_err_t kern_mm_check_name(const uint64_t w[4], char name[MMPRIV_NAME_MAX + 1]);

/* Fills m with the end notice of a process whose last thread ended the way how says
 * (MMPRIV_END_EXIT with its exit status, or MMPRIV_END_KILLED, status 0): label
 * IPC_LABEL_FAULT, kind MMPRIV_END_KIND, status in MMPRIV_END_W_STATUS, how in
 * MMPRIV_END_W_HOW. */
void kern_mm_end_msg(kern_msg_t *m, uint64_t status, uint32_t how);
