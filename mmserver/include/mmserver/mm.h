/*
 * mmcore: the host-testable core of mmserver. Everything the memory server decides —
 * request checks, regions, quota, the frame pool, page-fault fills, sharing, teardown —
 * against an abstract kernel (mm_kernel_ops_t). No IPC here: the server loop takes a
 * message's label and words, calls mm_handle, and sends the reply words back.
 *
 * Freestanding C11: no libc, no malloc. All state lives in one mm_server_t the caller
 * provides, but for the regions, whose tree nodes live in pool frames charged to their
 * client, and the client table, which grows in memory taken from the pool (or the caller's
 * mm_config_t.meta_alloc). See mmserver/README.md.
 */
#pragma once

#include <ipc/mm.h>
#include <ipc/mmboot.h>
#include <pt/pt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Capacities. */
#define MM_CLIENTS_INITIAL 16u /* client records mm_init makes room for */
#define MM_CLIENT_ID_LIMIT                                                                         \
    (1u << 20) /* client ids are 0 .. MM_CLIENT_ID_LIMIT - 1 (the kernel's) */

/* Pages of an eager map whose frames go in a list (srv->list); a larger or huge map chains
 * its frames through the pool's own records, so no constant bounds a map. */
#define MM_LIST_FAST 512u

/* What the kernel does for mmserver. Every hook receives ctx. */
typedef struct mm_kernel_ops {
    void *ctx;
    /* Bind the root table at pa to client's threads; false if the kernel refuses. */
    bool (*register_root)(void *ctx, uint32_t client, pt_paddr_t root);
    /* Forget client's root. => when it returns, no CPU uses it or caches its translations.
     * Must not fail: the core calls it only for a registered root without threads, so a
     * kernel that refuses breaks an invariant, and the hook itself reports it and stops
     * (mmserver/sys.c: a clear message, then the machine halts); it never returns then. */
    void (*unregister_root)(void *ctx, uint32_t client);
    /* Invalidate what fl says in client's space (the kernel picks per-page or full). Must
     * not fail, as unregister_root: frames go back to the pool right after it. */
    void (*flush)(void *ctx, uint32_t client, const pt_flush_t *fl);
    /* Stop every thread of client for good (a fault mmserver will not serve). Must not
     * fail, as unregister_root: the space is torn down right after it. */
    void (*kill)(void *ctx, uint32_t client, mm_kill_reason_t reason);
    /* Kernel memory (only with mm_config_t.kmem_frames): give the pool frame at pa to the
     * kernel for its objects (false: refused, the frame stays mmserver's), and take back
     * one donated frame the kernel no longer uses into *pa (false: none is free). */
    bool (*give_kmem)(void *ctx, pt_paddr_t pa);
    bool (*take_kmem)(void *ctx, pt_paddr_t *pa);
} mm_kernel_ops_t;

/* Per-frame state of the pool, kept in frames of the pool itself (like Linux's mem_map).
 * Frames are numbered across the ranges, range after range (the "index"). */
typedef struct mm_frame {
    uint32_t ref;  /* 0: free; MM_FRAME_PENDING / MM_FRAME_META; else users */
    uint32_t next; /* free block head: next block of its order; cached or pending: list link;
                    * a page table: its entries in use; a map's frames: next chunk */
    uint32_t prev; /* free block head: previous block of its order; a map's chunk: frames */
    uint32_t head; /* MM_FRAME_HEAD | order when the frame heads a free block, else 0 */
} mm_frame_t;

#define MM_FRAME_PENDING 0xfffffffeu /* released, waiting for the flush */
#define MM_FRAME_META    0xffffffffu /* holds the pool's own metadata */
#define MM_FRAME_NIL     0xffffffffu /* no frame (list ends) */
#define MM_FRAME_HEAD    0x80000000u /* mm_frame_t.head: heads a free buddy block */
#define MM_POOL_ORDERS   19u         /* buddy orders 0 .. 18: 4 KiB .. 1 GiB blocks */

/* One RAM range of the pool, as the pool keeps it (in its metadata frames). */
typedef struct mm_pool_range {
    pt_paddr_t pa;   /* page-aligned base */
    uint64_t frames; /* frames in the range */
    uint64_t first;  /* index of its first frame */
} mm_pool_range_t;

/* The frame pool: every RAM range the kernel gave mmserver, reached through one window
 * (va = pool va + (pa - pool pa)). A buddy allocator over physical frame numbers, plus a
 * LIFO cache of freed single frames (mmserver/README.md, "The frame pool"). */
typedef struct mm_pool {
    pt_paddr_t pa;          /* the window: physical address reached at va */
    uint8_t *va;            /* where mmserver reads and writes it */
    uint64_t frames;        /* frames in every range, metadata included */
    uint64_t meta;          /* of which hold the pool's metadata (ranges, mm_frame_t) */
    pt_paddr_t meta_pa;     /* the metadata's first frame ... */
    uint64_t meta_bytes;    /* ... and its length (meta frames) */
    mm_frame_t *frame;      /* one per frame of every range, by index */
    mm_pool_range_t *range; /* the ranges, by address, in the metadata */
    uint32_t nranges;       /* ranges in range[] */
    uint32_t hint;          /* the range the last lookup found, checked first through: */
    pt_paddr_t hint_pa;     /* ... a copy of its base, */
    uint64_t hint_frames;   /* ... its frames, */
    uint64_t hint_bytes;    /* ... its length */
    uint64_t hint_first;    /* ... and its first index */
    uint32_t order_head[MM_POOL_ORDERS]; /* free blocks of each order (MM_FRAME_NIL: none) */
    uint32_t cache;    /* freed single frames not merged yet, LIFO (MM_FRAME_NIL: none) */
    uint64_t cached;   /* frames in the cache */
    uint64_t free;     /* frames with ref 0 (in blocks or the cache) */
    uint64_t reserved; /* free frames promised to lazy pages (commit charge) */
    uint64_t pending;  /* frames waiting for a flush */
    uint32_t pending_head;
    uint64_t attempts; /* allocation attempts so far (tests: failure injection) */
    uint64_t fail_at;  /* the attempt with this number fails (0: never) */
    void (*zero_pages)(void *va, uint64_t pages); /* mm_config_t's, or NULL */
} mm_pool_t;

/* One region of a client's space: a range with one permission set and one kind. */
typedef struct mm_region {
    pt_vaddr_t base;
    uint64_t len;
    pt_paddr_t pa;   /* MM_KIND_DEVICE: physical address of base */
    uint32_t peer;   /* MM_KIND_SHARED: the client a window accepts shares from */
    uint8_t perm;    /* MM_PERM_* granted now (lazy fills use it) */
    uint8_t maxperm; /* the most protect may grant */
    uint8_t kind;    /* MM_KIND_* */
    uint8_t memtype; /* MM_MEM_* */
} mm_region_t;

struct mm_rnode; /* a region's node in its client's tree (region.c) */
struct mm_slab;  /* a pool frame holding region nodes (region.c) */

/* One client: an address space, its regions and its account. */
typedef struct mm_client {
    bool active;
    bool privileged;     /* may use MM_MAP_DEVICE */
    bool quota_hit;      /* the table hook refused past the charged tables (a broken promise) */
    uint64_t quota;      /* frames */
    uint64_t data;       /* charged data pages: every non-device region page */
    uint64_t tables;     /* table frames held (root included) */
    uint64_t tables_max; /* table frames charged: what its regions could ever need (held +
                          * promised by the pool), see README "Quota" */
    uint64_t unbacked;   /* charged pages without a frame yet (reserved in the pool) */
    uint64_t kmem;       /* frames charged for its kernel objects (mm_config_t.kmem_frames),
                          * donated to the kernel when it was made */
    uint64_t nregions;
    /* Regions: an AVL tree ordered by base (disjoint ranges), its nodes in pool frames
     * charged to this client (README "Regions"). */
    struct mm_rnode *rroot;
    struct mm_rnode *rhint; /* mm_region_at's last hit: checked first, self-validating */
    struct mm_slab *rslabs; /* ring of node frames with a free node, empty ones last */
    uint64_t rframes;       /* node frames held, charged like tables */
    uint64_t rspare;        /* free nodes in them */
    pt_space_t space;
    struct mm_server *srv;
    uint32_t id;
} mm_client_t;

/* Static configuration of the server. */
typedef struct mm_config {
    const pt_format_t *fmt;
    uint32_t space_flags; /* PT_FEAT_* for every client space (PT_SPACE_USER is implied) */
    mm_kernel_ops_t kernel;
    pt_paddr_t pool_pa;   /* the RAM window: physical base ... */
    void *pool_va;        /* ... where mmserver reaches it ... */
    uint64_t pool_frames; /* ... and, without pool_ranges, its size in frames (one range) */
    /* The pool's ranges (sorted, disjoint, page-aligned, each inside the window at or above
     * pool_pa), or NULL: the one range [pool_pa, pool_pa + pool_frames pages). */
    const mmboot_range_t *pool_ranges;
    uint32_t pool_nranges;
    /* Zeroes pages whole pages at va, the machine's fastest way (mmserver: ipc_zero_pages);
     * NULL: the core's portable loop (mm_mem_zero). Every frame handed out goes through it. */
    void (*zero_pages)(void *va, uint64_t pages);
    /* Memory for the core's own growing tables (the client records): bytes zeroed, NULL
     * when none; freed with the same size. NULL hooks: whole frames of the pool, counted in
     * mm_server_t.meta_frames (mmserver). Host tests pass the C heap. */
    void *(*meta_alloc)(void *ctx, uint64_t bytes);
    void (*meta_free)(void *ctx, void *p, uint64_t bytes);
    void *meta_ctx;
    /* Frames of kernel memory each client pays for (its space record, thread, capability
     * table, endpoints: README "Kernel memory"), given to the kernel through
     * kernel.give_kmem when the client is made; 0: none (no kmem hooks needed). */
    uint64_t kmem_frames;
} mm_config_t;

/* The whole server. */
typedef struct mm_server {
    mm_config_t cfg;
    mm_pool_t pool;
    pt_vaddr_t user_top;
    uint64_t flushes;      /* flush calls made (tests: at most one per request) */
    uint64_t kmem_held;    /* pool frames the kernel holds for client objects (given, not back) */
    uint64_t kmem_charged; /* the kmem of every active client: what the kernel keeps at least */
    mm_client_t *client;   /* records of ids 0 .. clients - 1, grown by doubling (mm_grow) */
    uint64_t clients;
    uint64_t meta_frames;          /* pool frames holding the core's tables (NULL meta hooks) */
    pt_paddr_t list[MM_LIST_FAST]; /* frame list of the request being handled */
} mm_server_t;

/* Sets up srv from cfg: the pool (its metadata in the first range that holds it), no
 * client, room for MM_CLIENTS_INITIAL client records. MM_ERR_INVAL for a misaligned window
 * or range, ranges out of order, a pool too small for its metadata, or missing hooks;
 * MM_ERR_NOMEM without memory for the records. */
mm_err_t mm_init(mm_server_t *srv, const mm_config_t *cfg);

/* Grows the array *arr of *count elements of elem bytes to hold index need: doubled (at
 * least need + 1), the old elements copied, the new ones zeroed, the old memory freed.
 * false, with nothing changed, without memory. The arrays of the core and of the process
 * side (mmserver/proc.h) grow this way: amortised O(1) per element. */
bool mm_grow(mm_server_t *srv, void **arr, uint64_t *count, uint64_t elem, uint64_t need);

/* Client id's record if it is active, else NULL. O(1). */
mm_client_t *mm_client(mm_server_t *srv, uint32_t id);

/* Creates client id with an empty space (its root charged to it, and kmem_frames frames
 * of kernel memory, donated) and registers its root with the kernel. privileged: may map
 * devices. MM_ERR_EXISTS if id is in use, MM_ERR_NO_CLIENT if id is out of range,
 * MM_ERR_QUOTA / NOMEM for the root and kernel frames, MM_ERR_DENIED if the kernel refuses
 * the root (out of its memory too). Nothing is kept on an error. */
mm_err_t mm_client_create(mm_server_t *srv, uint32_t id, uint64_t quota, bool privileged);

/* Tears client id down: the kernel forgets its root, every frame and table goes back to
 * the pool (shared frames when their last user goes), its charge and regions are cleared,
 * and every window that accepted shares from it stays (empty windows fill with zeroes). */
mm_err_t mm_client_destroy(mm_server_t *srv, uint32_t id);

/* Handles one request from client: label and MM_REQ_WORDS words in, MM_REPLY_WORDS words
 * out (all written). Returns the reply's label. At most one kernel flush. */
mm_err_t mm_handle(mm_server_t *srv, uint32_t client, uint64_t label, const uint64_t *req,
                   uint64_t *reply);

/* Why mm_fault would not serve a page fault of client at addr with access (IPC_ACCESS_*
 * bits): outside the user window, in no region, not allowed by its region, or a device
 * region; MM_KILL_NONE when it would. Changes nothing (mmserver asks it to show a space
 * before a wild access ends it). */
mm_kill_reason_t mm_fault_reason(mm_server_t *srv, uint32_t client, pt_vaddr_t addr,
                                 uint32_t access);

/* Handles a page fault of client at addr with access (IPC_ACCESS_* bits). RESUME after
 * filling a lazy page (or for a spurious fault); KILL otherwise, after telling the kernel
 * (kill) and tearing the client down. *why gets the reason (may be NULL). */
mm_fault_answer_t mm_fault(mm_server_t *srv, uint32_t client, pt_vaddr_t addr, uint32_t access,
                           mm_kill_reason_t *why);

/* mmserver's own look at client's space: true with the physical address backing va in *pa
 * when a frame does (loading a program writes its file bytes there). Never a client's
 * answer: clients learn physical addresses only through MM_QUERY, and only when privileged. */
bool mm_frame_of(const mm_server_t *srv, uint32_t client, pt_vaddr_t va, pt_paddr_t *pa);

/* Text output for mm_dump: one call per line, without the newline. */
typedef void (*mm_out_fn)(void *ctx, const char *line);

/* Writes client's map: a human-readable part (regions with permissions and frames, table
 * counts per level) and machine-readable lines, one per region, leaf run and level:
 *   mmdump <client> region <base> <len> <perm> <kind> <maxperm> <memtype> <peer>
 *   mmdump <client> leaves <va> <pa> <pages> <shift> <perm>
 *   mmdump <client> tables <level> <count>
 *   mmdump <client> account <charge> <quota> <data> <tables held> <tables charged> <unbacked>
 *          <region node frames> <regions>
 *   mmdump <client> skipped <regions|leaf-runs> <count> <pages>
 * (past 64 regions, or leaf runs, only the first and last 16 are written, with one
 * "skipped" line for those between, where the last 16 start; the account is always exact)
 * (numbers in hex with 0x, perm as "rwx" letters or '-', kind as a word). mmserver's
 * program prints one more line before each dump, which the core cannot (it knows no
 * names):  mmdump <client> name <program name>. */
mm_err_t mm_dump(const mm_server_t *srv, uint32_t client, mm_out_fn out, void *ctx);

/* Frames any client could still obtain from the pool (free, not promised to lazy pages). */
uint64_t mm_pool_available(const mm_pool_t *pool);

/* True if pa is a frame of the pool (its metadata frames excluded). */
bool mm_pool_has(const mm_pool_t *pool, pt_paddr_t pa);

/* Users of the pool frame at pa (0 if free or not a pool frame). */
uint32_t mm_pool_refs(const mm_pool_t *pool, pt_paddr_t pa);

/* Where mmserver reaches the pool frame at pa (NULL if pa is not in the pool). */
void *mm_pool_ptr(const mm_pool_t *pool, pt_paddr_t pa);

/* The frames charged to client: data pages + the page tables its regions could need + the
 * frames holding its region nodes + its kernel memory. */
static inline uint64_t mm_charge(const mm_client_t *c) {
    return c->data + c->tables_max + c->rframes + c->kmem;
}

/* Takes back donated frames the kernel no longer uses into the pool, as long as it holds
 * more than the active clients paid for (kmem_charged: their allowance stays there, so a
 * client can make its endpoints); returns how many. Called after each client's end, so
 * frames still in use then come back at a later one. */
uint64_t mm_kmem_reclaim(mm_server_t *srv);

/* client's first region in address order, or NULL (to read them: tests, tools). */
const mm_region_t *mm_region_first(const mm_client_t *c);

/* The region after r in its client's address order, or NULL. */
const mm_region_t *mm_region_next(const mm_region_t *r);

/* Checks client's region tree (order, parent links, AVL balance, subtree summaries) and its
 * node frames (counts, charge, none left empty between requests): NULL, or the name of a
 * broken invariant (tests call it after every request). O(n). */
const char *mm_region_check(const mm_client_t *c);

/* The physical address of the pool frame holding r's node (its client is charged for it). */
pt_paddr_t mm_region_frame(const mm_region_t *r);

/* A short, stable name for err. */
const char *mm_strerror(mm_err_t err);
