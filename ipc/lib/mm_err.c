/*
 * The names of the memory protocol's errors (ipc/mm.h), one table for both ends: mmserver
 * prints them in its lines, programs with mm_strerror from the user library (ipc/ulib.h).
 */
#include <ipc/mm.h>

/* See ipc/mm.h. */
const char *mm_strerror(mm_err_t err) {
    static const char *const names[MM_ERR_COUNT_] = {
        [MM_OK] = "ok",
        [MM_ERR_INVAL] = "invalid argument",
        [MM_ERR_ALIGN] = "not page-aligned",
        [MM_ERR_OVERFLOW] = "range overflows",
        [MM_ERR_RANGE] = "outside the user window",
        [MM_ERR_WX] = "write and execute together",
        [MM_ERR_PERM] = "permissions not expressible",
        [MM_ERR_EXISTS] = "already mapped",
        [MM_ERR_NOT_MAPPED] = "not mapped",
        [MM_ERR_QUOTA] = "quota exceeded",
        [MM_ERR_NOMEM] = "out of memory",
        [MM_ERR_DENIED] = "denied",
        [MM_ERR_NO_CLIENT] = "no such client",
        [MM_ERR_NO_PROGRAM] = "no such program",
    };
    return (unsigned)err < MM_ERR_COUNT_ ? names[err] : "unknown error";
}
