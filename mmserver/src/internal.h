/*
 * Internal interfaces between the parts of mmcore (pool, regions, spaces, requests, dump).
 * Not part of the contract: the server loop uses only <mmserver/mm.h>.
 */
#pragma once

#include <mmserver/mm.h>

#define MM_PAGE       PT_PAGE_SIZE
#define MM_HUGE       MM_HUGE_SIZE
#define MM_PAGES(len) ((len) >> PT_PAGE_SHIFT)
#define MM_ORDER_2M   9u  /* a pool block the size of a 2 MiB leaf */
#define MM_ORDER_1G   18u /* ... of a 1 GiB leaf */

/* ---- util.c ---------------------------------------------------------------------------- */

/* Zeroes n bytes at p (the core's own memset: it links against no libc). */
void mm_mem_zero(void *p, uint64_t n);

/* Copies n bytes from src to dst (they do not overlap). */
void mm_mem_copy(void *dst, const void *src, uint64_t n);

/* ---- pool.c ---------------------------------------------------------------------------- */

/* Where an allocation may take its frame from. */
typedef enum mm_source {
    MM_FROM_FREE,    /* an ordinary allocation: never touches promised frames */
    MM_FROM_RESERVE, /* a promised frame: a lazy page's fill, a page table */
} mm_source_t;

/* Sets the pool up over the n ranges (sorted, disjoint, page-aligned), reached through the
 * window that shows physical pa at va; its metadata (range table, one mm_frame_t per frame)
 * takes the first frames of the first range with room for it. MM_ERR_INVAL when misaligned,
 * unsorted, overlapping, below pa, or too small for the metadata. */
mm_err_t mm_pool_init(mm_pool_t *p, pt_paddr_t pa, void *va, const mmboot_range_t *ranges,
                      uint32_t n);

/* One frame with one user, in *pa, zeroed when zero says so (a page table's frame is not:
 * libpt fills it itself). false when src has none (or a test said fail). */
bool mm_pool_alloc(mm_pool_t *p, mm_source_t src, bool zero, pt_paddr_t *pa);

/* A free block of 2^order contiguous zeroed frames, each with one user, the first at *pa
 * with *pa aligned to the block's size (order 9: a 2 MiB leaf, 18: 1 GiB). One allocation
 * attempt, from MM_FROM_FREE. false when there is no such block (or a test said fail). */
bool mm_pool_alloc_block(mm_pool_t *p, unsigned order, pt_paddr_t *pa);

/* Moves the single frames of the cache to the buddy lists, merging them into blocks (an
 * allocation of a block does it when no block is free; tests, to see the lists' shape). */
void mm_pool_flush_cache(mm_pool_t *p);

/* Free blocks of 2^order frames on the buddy lists (tests: the lists' shape). */
uint64_t mm_pool_block_free(const mm_pool_t *p, unsigned order);

/* The frames taken for one eager map, in map order: chunks (a single frame, or a block of
 * 2^k aligned frames) linked through their heads' records in the pool, so a map of any size
 * needs no list of its own. A cursor makes reading it in order O(1) per chunk. */
typedef struct mm_chain {
    uint32_t head, tail; /* first and last chunk (MM_FRAME_NIL: empty) */
    uint64_t chunks;     /* chunks in the chain */
    uint64_t frames;     /* frames in the chain */
    uint32_t cur;        /* the cursor: the chunk at byte offset cur_off of the map */
    uint64_t cur_off;
} mm_chain_t;

/* Makes c empty. */
void mm_chain_init(mm_chain_t *c);

/* Appends to c a zeroed block of 2^order frames (mm_pool_alloc_block), or for order 0 one
 * zeroed frame (mm_pool_alloc, MM_FROM_FREE). false (c unchanged) when the pool says no. */
bool mm_pool_chain_add(mm_pool_t *p, mm_chain_t *c, unsigned order);

/* Gives every frame of c back to the pool at once and empties c. => none was ever mapped
 * (or every mapping of them is gone and flushed) and each has one user. */
void mm_pool_chain_free(mm_pool_t *p, mm_chain_t *c);

/* Physical address of c's first frame. => c is not empty. */
pt_paddr_t mm_pool_chain_first(mm_pool_t *p, const mm_chain_t *c);

/* libpt's frame source (pt_frames_fn) over c: the frames from byte offset off of the map
 * on, as one run of as many physically adjacent chunks as follow; false past c's end. */
bool mm_pool_chain_run(mm_pool_t *p, mm_chain_t *c, uint64_t off, pt_paddr_t *pa, uint64_t *bytes);

/* The count of entries in use of the page table in the pool frame at pa (libpt's
 * hooks.table_used). => pa is a pool frame in use as a table. */
uint32_t *mm_pool_table_used(mm_pool_t *p, pt_paddr_t pa);

/* Promises n free frames to lazy pages; false (nothing promised) when fewer are available. */
bool mm_pool_reserve(mm_pool_t *p, uint64_t n);

/* Promises again n frames that the same request just gave back to the pool (a decommit, a
 * failed fill, a freed table). Never fails: those frames are free again, so
 * free >= reserved still holds. */
void mm_pool_promise_returned(mm_pool_t *p, uint64_t n);

/* Takes back a promise of n frames. */
void mm_pool_unreserve(mm_pool_t *p, uint64_t n);

/* Adds a user to the pool frame at pa (a share). */
void mm_pool_get(mm_pool_t *p, pt_paddr_t pa);

/* Drops a user of the pool frame at pa. The last user's frame waits on the pending list
 * until mm_pool_drain (after the flush). Returns true in that case. */
bool mm_pool_put(mm_pool_t *p, pt_paddr_t pa);

/* mm_pool_put for the frame at pa when it is one of the pool's (not metadata); nothing for
 * any other frame (device memory): libpt's release hook, one lookup per page. */
void mm_pool_release(mm_pool_t *p, pt_paddr_t pa);

/* Frees a frame at once. => it has one user and no TLB can hold it (never mapped, or a
 * table libpt hands back after the flush). */
void mm_pool_free_now(mm_pool_t *p, pt_paddr_t pa);

/* Frees every pending frame. => the flush for them is done. Returns how many. */
uint64_t mm_pool_drain(mm_pool_t *p);

/* True if [pa, pa + len) overlaps the pool's window. => no overflow. */
bool mm_pool_overlaps(const mm_pool_t *p, pt_paddr_t pa, uint64_t len);

/* ---- region.c -------------------------------------------------------------------------- */

/* The first region that ends above va, or NULL. O(log n). */
const mm_region_t *mm_region_find(const mm_client_t *c, pt_vaddr_t va);

/* The region holding va, or NULL. The last hit is tried first. */
mm_region_t *mm_region_at(mm_client_t *c, pt_vaddr_t va);

/* True if [va, va + len) is covered by regions, without a gap; else *where is the first
 * uncovered address. */
bool mm_region_covered(const mm_client_t *c, pt_vaddr_t va, uint64_t len, pt_vaddr_t *where);

/* True if some region overlaps [va, va + len). */
bool mm_region_overlaps(const mm_client_t *c, pt_vaddr_t va, uint64_t len);

/* Regions a carve at va and va + len would add (0, 1 or 2): the nodes an edit of
 * [va, va + len) needs, besides one for a new region. */
uint32_t mm_region_splits(const mm_client_t *c, pt_vaddr_t va, uint64_t len);

/* Makes sure n region nodes are spare, taking node frames from the pool and charging them
 * to c: QUOTA past its quota, NOMEM when the pool has no frame (frames taken so far stay
 * until mm_region_trim, which every request calls at its end, failed or not). */
mm_err_t mm_region_reserve(mm_client_t *c, uint64_t n);

/* Gives the node frames left without a node in use back to the pool (and c's charge). */
void mm_region_trim(mm_client_t *c);

/* Removes [va, va + len) from c's regions, splitting those that cross its edges.
 * => mm_region_splits nodes are spare. */
void mm_region_remove(mm_client_t *c, pt_vaddr_t va, uint64_t len);

/* Puts r in place of whatever c's regions held in its range, merging it with equal
 * neighbours. => mm_region_splits + 1 nodes are spare (+ 0 when r replaces a region). */
void mm_region_replace(mm_client_t *c, const mm_region_t *r);

/* Sets the permissions of the regions inside [va, va + len) to perm (and their max too when
 * set_max), splitting at the edges and merging what became equal. => mm_region_splits
 * nodes are spare; [va, va + len) is covered. */
void mm_region_set(mm_client_t *c, pt_vaddr_t va, uint64_t len, uint32_t perm, bool set_max);

/* No peer: a window whose peer went away accepts no more shares. */
#define MM_NO_PEER 0xffffffffu

/* Closes every window of c accepting shares from peer (its peer becomes MM_NO_PEER). */
void mm_region_close_peer(mm_client_t *c, uint32_t peer);

/* Frees every region of c and every node frame (teardown). */
void mm_region_clear(mm_client_t *c);

/* Charged data pages (non-device) of the regions inside [va, va + len). */
uint64_t mm_region_charged(const mm_client_t *c, pt_vaddr_t va, uint64_t len);

/* What the regions' coverage becomes for mm_region_tables. */
typedef enum mm_cover { MM_COVER_SAME, MM_COVER_ADD, MM_COVER_REMOVE } mm_cover_t;

/* Page tables (root included) that mapping every page of c's regions with 4 KiB leaves would
 * take, once [va, va + len) is added to or removed from them (edit). Every table libpt can
 * ever link in c's space is one of those, so this is what c is charged for tables.
 * Incremental: c->tables_max (the count for the regions as they are) corrected by the
 * edited range and its nearest neighbours, O(log n + regions inside the range).
 * => MM_COVER_REMOVE: [va, va + len) is covered. */
uint64_t mm_region_tables(const mm_client_t *c, pt_vaddr_t va, uint64_t len, mm_cover_t edit);

/* A free range of len bytes at or above MM_USER_BASE, aligned to align, below top; false
 * if none. */
bool mm_region_gap(const mm_client_t *c, uint64_t len, uint64_t align, pt_vaddr_t top,
                   pt_vaddr_t *va);

/* ---- space.c --------------------------------------------------------------------------- */

/* Ends a request's change to c's space: one kernel flush for what res changed (none if
 * nothing did, or if it only filled empty entries the MMU never caches: flush.fresh), then
 * res's tables and the pending frames go back to the pool. Returns the data frames the pool
 * got back. */
uint64_t mm_space_commit(mm_client_t *c, pt_result_t *res);

/* The error for a failed pt operation on c: QUOTA when the table hook refused for quota. */
mm_err_t mm_space_err(const mm_client_t *c, pt_err_t err);

/* What the leaves of a range hold. */
typedef struct mm_scan {
    uint64_t pages;  /* 4 KiB pages mapped (device pages included) */
    uint64_t backed; /* of which backed by a pool frame */
    uint64_t last;   /* of which by a frame with one user (freed when dropped) */
} mm_scan_t;

/* Counts what the leaves of [va, va + len) in c's space hold. => the range passed the door. */
void mm_space_scan(const mm_client_t *c, pt_vaddr_t va, uint64_t len, mm_scan_t *out);

/* pt permissions for MM_PERM_* (user-reachable) and a memory type. */
pt_attr_t mm_attr(uint32_t perm, uint32_t memtype);

/* Raises c's charged tables to at least n, the pool promising the difference; NOMEM (nothing
 * changed) when it cannot. */
mm_err_t mm_space_promise(mm_client_t *c, uint64_t n);

/* Sets c's charged tables to n after a request, releasing what was promised above it. */
void mm_space_settle(mm_client_t *c, uint64_t n);

/* Starts a request on c: clears the quota flag. */
void mm_space_begin(mm_client_t *c);
