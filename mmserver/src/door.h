/*
 * The door's checks (door.c) and the handlers' shared declarations.
 */
#pragma once

#include "internal.h"

/* The range check every request's range passes first (see door.c). *where = va. */
mm_err_t mm_door_range(const mm_server_t *srv, uint64_t va, uint64_t len, uint64_t *where);

/* INVAL for permission bits outside MM_PERM_ALL or flags outside known_flags. */
mm_err_t mm_door_bits(uint64_t perm, uint64_t flags, uint64_t known_flags);

/* W^X (MM_ERR_WX), then whether the paging format can express perm with memtype in a user
 * leaf (MM_ERR_PERM). => perm and memtype passed mm_door_bits. */
mm_err_t mm_door_perm(const mm_server_t *srv, uint32_t perm, uint32_t memtype);

/* A request handler: reply words are zero on entry; reply[MM_R_WHERE] on an error. */
typedef mm_err_t (*mm_handler_fn)(mm_server_t *srv, mm_client_t *c, const uint64_t *req,
                                  uint64_t *reply);

/* MM_MAP: checks flags, perm and range, places an MM_F_ANYWHERE map, then plans, charges,
 * takes frames (eager) and maps in one libpt call (map.c). */
mm_err_t mm_req_map(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_MAP_DEVICE: as MM_MAP for a privileged client, over physical memory outside the pool,
 * with a memory type; uncharged data, charged tables. */
mm_err_t mm_req_map_device(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_UNMAP: a range covered by regions loses its frames (after the flush), its regions and
 * its charge. */
mm_err_t mm_req_unmap(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_DECOMMIT: a range covered by non-device regions loses its frames but stays reserved
 * and charged; the pool promises its pages frames again. */
mm_err_t mm_req_decommit(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_PROTECT: a range covered by regions whose max permissions allow perm gets perm, in its
 * leaves and in its regions (for pages not filled yet). */
mm_err_t mm_req_protect(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_QUERY: the region holding an address and the frame behind it. Changes nothing. */
mm_err_t mm_req_query(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_SHARE_ACCEPT: a window, charged like a lazy map, that accepts shares from one client. */
mm_err_t mm_req_accept(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_SHARE: the caller's frames mapped again into a window the receiver accepted from it. */
mm_err_t mm_req_share(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);

/* MM_STATS: the caller's account and the pool's available frames. Changes nothing. */
mm_err_t mm_req_stats(mm_server_t *srv, mm_client_t *c, const uint64_t *req, uint64_t *reply);
