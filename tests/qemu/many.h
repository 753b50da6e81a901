/*
 * The many-processes scenario (issue 12): the root `many_root` spawns `many_worker` (archive
 * index 0) MANY_TOTAL times with MANY_LIVE of them alive at once, then `many_holder` (index
 * 1) until mmserver refuses for want of memory. Shared numbers of the three programs.
 */
#pragma once

#include <ipc/mm_client.h>

#include "many_total.h" /* MANY_TOTAL and MANY_LIVE, from -DMMK_MANY_TOTAL / -DMMK_MANY_LIVE */
#define MANY_WORKER_VA 0x10000000ull /* where a worker maps its pages */
#define MANY_PAGES     4u            /* pages each worker maps, touches, checks, unmaps */
#define MANY_HOLD_VA   0x20000000ull /* where a holder maps its share of the pool */
#define MANY_HOLD_LEN  (1ull << 20)  /* mapped by each holder until its quota or the pool ends */
#define MANY_EP        10u           /* the root's endpoint the holders wait on */
