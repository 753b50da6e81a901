/*
 * What mm_share_tx and mm_share_rx agree on: the receiver's window for sender id k, the
 * word that travels, how long each waits.
 */
#pragma once

#define MM_SHARE_IDS       16u /* client ids 1..15 (MMPRIV_SPACES) */
#define MM_SHARE_WINDOW(k) (0x60000000ull + (uint64_t)(k)*MM_PAGE_SIZE)
#define MM_SHARE_MAGIC     0x5ea12ed0c0ffee00ull
#define MM_SHARE_ROUNDS    2000u
