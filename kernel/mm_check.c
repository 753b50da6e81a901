/*
 * The argument checks of the privileged calls and the end notice's layout
 * (kernel/mm_check.h): plain C, host-tested.
 */
#include <ipc/ipc.h>
#include <ipc/mmpriv.h>

#include "mm_check.h"

#define PAGE_MASK (PT_PAGE_SIZE - 1)

/* See mm_check.h. */
ipc_err_t kern_mm_check_space(uint64_t space) {
    return space >= 1 && space < MMPRIV_SPACE_IDS ? IPC_OK : IPC_ERR_INVALID_ARGUMENT;
}

/* See mm_check.h. Frame numbers again, so neither end can wrap. */
ipc_err_t kern_mm_check_kmem(uint64_t pa, uint64_t frames, const kern_mm_pool_t *pool, unsigned n) {
    if ((pa & PAGE_MASK) || frames == 0) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    for (unsigned i = 0; i < n; i++) {
        const kern_mm_pool_t *r = &pool[i];
        if (pa >= r->pa && (pa - r->pa) / PT_PAGE_SIZE < r->frames) {
            return frames <= r->frames - (pa - r->pa) / PT_PAGE_SIZE ? IPC_OK
                                                                     : IPC_ERR_INVALID_ARGUMENT;
        }
    }
    return IPC_ERR_INVALID_ARGUMENT;
}

/* See mm_check.h. The window is [pa, pa + frames * 4 KiB); comparing frame numbers keeps
 * the end from wrapping. */
bool kern_mm_in_pool(uint64_t pa, const kern_mm_pool_t *pool, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        if (pa >= pool[i].pa && (pa - pool[i].pa) / PT_PAGE_SIZE < pool[i].frames) {
            return true;
        }
    }
    return false;
}

/* See mm_check.h. */
ipc_err_t kern_mm_check_root(uint64_t root_pa, const kern_mm_pool_t *pool, unsigned n) {
    if ((root_pa & PAGE_MASK) || !kern_mm_in_pool(root_pa, pool, n)) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    return IPC_OK;
}

/* See mm_check.h. */
ipc_err_t kern_mm_check_flush(uint64_t start, uint64_t last, uint64_t leaves, uint64_t flags,
                              uint64_t user_top, pt_flush_t *f) {
    if (flags & ~(uint64_t)(MMPRIV_FLUSH_ALL | MMPRIV_FLUSH_TABLES)) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    bool all = (flags & MMPRIV_FLUSH_ALL) != 0;
    if (!all && (start > last || last >= user_top)) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    f->start = all ? 0 : start;
    f->last = all ? user_top - 1 : last;
    f->leaves = leaves;
    f->all = all;
    f->tables = (flags & MMPRIV_FLUSH_TABLES) != 0;
    return IPC_OK;
}

/* See mm_check.h. */
ipc_err_t kern_mm_check_thread(uint64_t pc, uint64_t ipc_buffer, uint64_t user_top) {
    if (pc >= user_top || (ipc_buffer & PAGE_MASK) || ipc_buffer >= user_top) {
        return IPC_ERR_INVALID_ARGUMENT;
    }
    return IPC_OK;
}

/* See mm_check.h. */
ipc_err_t kern_mm_check_prio(uint64_t prio, uint8_t caller_prio) {
    return prio < IPC_PRIO_COUNT && prio <= caller_prio ? IPC_OK : IPC_ERR_INVALID_ARGUMENT;
}

/* Byte i of a name packed into w (MMPRIV_SYS_THREAD_NAME's packing). */
static unsigned char name_byte(const uint64_t w[4], size_t i) {
    return (unsigned char)(w[i / 8] >> (i % 8 * 8));
}

/* See mm_check.h. */
ipc_err_t kern_mm_check_name(const uint64_t w[4], char name[MMPRIV_NAME_MAX + 1]) {
    const size_t bytes = MMPRIV_NAME_MAX + 1;
    size_t len = 0;
    while (len < bytes && name_byte(w, len) != 0) {
        len++;
    }
    bool ok = len >= 1 && len <= MMPRIV_NAME_MAX;
    for (size_t i = 0; ok && i < bytes; i++) {
        unsigned char c = name_byte(w, i);
        ok = i < len ? (c >= 0x20 && c <= 0x7e) : c == 0;
    }
    for (size_t i = 0; ok && i < len; i++) {
        name[i] = (char)name_byte(w, i);
    }
    name[ok ? len : 0] = 0;
    return ok ? IPC_OK : IPC_ERR_INVALID_ARGUMENT;
}

/* See mm_check.h. */
void kern_mm_end_msg(kern_msg_t *m, uint64_t status, uint32_t how) {
    kern_ipc_fault_msg(m, MMPRIV_END_KIND, 0, 0, 0, 0, 0);
    m->words[MMPRIV_END_W_STATUS] = status;
    m->words[MMPRIV_END_W_HOW] = how;
}
