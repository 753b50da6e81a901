/*
 * The door: every check a request's arguments get before anything is looked up or
 * changed. One place, so that no handler can forget one.
 */
#include "door.h"

/*
 * Checks a caller's range once, at the door, for every request. Critical: every handler
 * and libpt call below assumes a non-empty, page-aligned range that does not wrap and lies
 * wholly inside [MM_USER_BASE, user top) -- above the null area, below the kernel half.
 * Think carefully before loosening any of it.
 */
mm_err_t mm_door_range(const mm_server_t *srv, uint64_t va, uint64_t len, uint64_t *where) {
    *where = va;
    if (len == 0) {
        return MM_ERR_INVAL;
    }
    if ((va | len) & (MM_PAGE - 1)) {
        return MM_ERR_ALIGN;
    }
    if (va + (len - 1) < va) {
        return MM_ERR_OVERFLOW;
    }
    if (va < MM_USER_BASE || va + (len - 1) >= srv->user_top) {
        return MM_ERR_RANGE;
    }
    return MM_OK;
}

mm_err_t mm_door_bits(uint64_t perm, uint64_t flags, uint64_t known_flags) {
    return (perm & ~(uint64_t)MM_PERM_ALL) || (flags & ~known_flags) ? MM_ERR_INVAL : MM_OK;
}

mm_err_t mm_door_perm(const mm_server_t *srv, uint32_t perm, uint32_t memtype) {
    if ((perm & MM_PERM_W) && (perm & MM_PERM_X)) {
        return MM_ERR_WX;
    }
    const pt_format_t *f = srv->cfg.fmt;
    return f->check_attr(mm_attr(perm, memtype), 0, srv->cfg.space_flags) == PT_OK ? MM_OK
                                                                                   : MM_ERR_PERM;
}
