/*
 * The share rendezvous used by mm_share_tx / mm_share_rx and by the demo's writer / reader.
 * Neither side knows the other's client id, so the receiver accepts a one-page window from
 * every possible id k at MM_SHARE_WINDOW(k); the sender shares into every (receiver,
 * window) pair, and only the window its receiver accepted from it takes the share. The
 * receiver then waits (query, yield) until a frame appears in one of its windows.
 */
#pragma once

#include <stdbool.h>

#include <ipc/mm_client.h>
#include <ipc/user.h>

#define MM_SHARE_IDS       64u /* client ids 1..63: no test image runs more programs at once */
#define MM_SHARE_WINDOW(k) (0x60000000ull + (uint64_t)(k)*MM_PAGE_SIZE)
#define MM_SHARE_MAGIC     0x5ea12ed0c0ffee00ull
#define MM_SHARE_ROUNDS    2000u
/* The second round: a page the sender shares read-only into a read-write window (issue 14,
 * hole 1: the receiver must not be able to make it writable). */
#define MM_SHARE_RO_WINDOW 0x61000000ull

/* Accepts a read-write one-page window from every other live client id. False if one is
 * refused for another reason than "that is you" (INVAL) or "nobody has that id"
 * (NO_CLIENT); then *bad_id and *bad_err say which and why. */
static inline bool mm_share_accept_all(mm_conn_t *c, uint32_t *bad_id, mm_err_t *bad_err) {
    for (uint32_t k = 1; k < MM_SHARE_IDS; k++) {
        mm_err_t e =
            mm_share_accept(c, k, MM_SHARE_WINDOW(k), MM_PAGE_SIZE, MM_PERM_R | MM_PERM_W, NULL);
        if (e != MM_OK && e != MM_ERR_INVAL && e != MM_ERR_NO_CLIENT) {
            *bad_id = k;
            *bad_err = e;
            return false;
        }
    }
    return true;
}

/* The sender id whose window a frame arrived in (polling, yielding between rounds), or 0
 * when none came within MM_SHARE_ROUNDS rounds. */
static inline uint32_t mm_share_wait(mm_conn_t *c) {
    for (unsigned round = 0; round < MM_SHARE_ROUNDS; round++) {
        for (uint32_t k = 1; k < MM_SHARE_IDS; k++) {
            mm_query_result_t q;
            if (mm_query(c, MM_SHARE_WINDOW(k), &q) == MM_OK && q.frame) {
                return k;
            }
        }
        ipc_yield();
    }
    return 0;
}

/* Shares the page at va into every (receiver, window) pair once, read-write; returns how
 * many shares were taken, and in *to the receiver of the last one. */
static inline unsigned mm_share_round(mm_conn_t *c, uint64_t va, uint32_t *to) {
    unsigned ok = 0;
    for (uint32_t r = 1; r < MM_SHARE_IDS; r++) {
        for (uint32_t k = 1; k < MM_SHARE_IDS; k++) {
            if (mm_share(c, va, MM_PAGE_SIZE, r, MM_SHARE_WINDOW(k), MM_PERM_R | MM_PERM_W, NULL) ==
                MM_OK) {
                *to = r;
                ok++;
            }
        }
    }
    return ok;
}
