/*
 * The memory protocol: what a process may ask mmserver, and what it answers. Identical on
 * every architecture: every argument and result is a 64-bit word, every constant below is
 * fixed here and never depends on the target.
 *
 * A request is an IPC message whose label is one of enum mm_label and whose words are the
 * request's arguments (MM_REQ_WORDS at most, unused ones zero). The reply's label is an
 * mm_err_t; its words are the request's results (MM_REPLY_WORDS at most). On an error,
 * word 0 of the reply says where the request was refused (MM_R_WHERE: the first offending
 * address, or 0) and every other word is zero.
 *
 * Every request is all-or-nothing: an error means the caller's address space, quota and
 * everything else are exactly as they were. A success reply says exactly what was done;
 * nothing is ever silently skipped or downgraded.
 *
 * The sender's client id is the IPC badge: it is not part of the message.
 */
#pragma once

#include <ipc/abi.h>
#include <stdint.h>

/* Request labels. 0 is never a valid request. Numbers are never reused. */
enum mm_label {
    MM_MAP = 1,          /* anonymous zero-filled memory, eager or lazy (reserve only) */
    MM_UNMAP = 2,        /* release a range: frames back to the pool, charge returned */
    MM_PROTECT = 3,      /* change the permissions of a mapped range */
    MM_QUERY = 4,        /* what is at an address: region, frame, permissions */
    MM_SHARE_ACCEPT = 5, /* agree to receive a share from one client into a window */
    MM_SHARE = 6,        /* map the same frames into another client's accepted window */
    MM_DECOMMIT = 7,     /* drop the frames of a range, keep it reserved */
    MM_MAP_DEVICE = 8,   /* physical / MMIO memory with a memory type; privileged */
    MM_STATS = 9,        /* the caller's quota and use, and the pool's free frames */
    MM_SPAWN = 10,       /* root program only: start a program of the boot archive */
    MM_CHILD = 11,       /* root program only: how a program it started is doing, or ended */
    MM_PROGRAM = 12,     /* root program only: the name of an archive program, not started */
    MM_LABEL_COUNT_
};

/* Words of a request and of a reply. */
#define MM_REQ_WORDS   6u
#define MM_REPLY_WORDS 6u

/* Typed errors: the reply's label. */
typedef enum mm_err {
    MM_OK = 0,
    MM_ERR_INVAL = 1,       /* zero length, unknown label, unknown flag / perm / type bits */
    MM_ERR_ALIGN = 2,       /* address, length or physical address not page-aligned */
    MM_ERR_OVERFLOW = 3,    /* address + length (or physical + length) wraps */
    MM_ERR_RANGE = 4,       /* outside [MM_USER_BASE, user top): null area, kernel half */
    MM_ERR_WX = 5,          /* write and execute together are refused (W^X) */
    MM_ERR_PERM = 6,        /* permissions the paging format cannot express */
    MM_ERR_EXISTS = 7,      /* the range overlaps a mapping and MM_F_OVERWRITE was not given */
    MM_ERR_NOT_MAPPED = 8,  /* part of the range lies outside every region (or has no frame) */
    MM_ERR_QUOTA = 9,       /* the caller's quota would be exceeded */
    MM_ERR_NOMEM = 10,      /* the frame pool or a fixed-size table is exhausted */
    MM_ERR_DENIED = 11,     /* privileged request, or a share nobody accepted */
    MM_ERR_NO_CLIENT = 12,  /* no client has that id */
    MM_ERR_NO_PROGRAM = 13, /* MM_SPAWN: the archive has no program at that index */
    MM_ERR_COUNT_
} mm_err_t;

/* A short, stable name of err ("not mapped", ...; "unknown error" outside the enum), the same
 * in mmserver's lines and in programs' (ipc/lib/mm_err.c). */
const char *mm_strerror(mm_err_t err);

/* Permissions (request words "perm"). Anything else is MM_ERR_INVAL. */
enum {
    MM_PERM_R = 1u << 0,
    MM_PERM_W = 1u << 1,
    MM_PERM_X = 1u << 2,
    MM_PERM_ALL = 0x7,
};

/* MM_MAP / MM_MAP_DEVICE flags. Anything else is MM_ERR_INVAL. */
enum {
    MM_F_ANYWHERE = 1u << 0,  /* va is ignored; mmserver picks a free range */
    MM_F_LAZY = 1u << 1,      /* reserve (and charge) now, fill a zeroed frame on first touch */
    MM_F_OVERWRITE = 1u << 2, /* replace whatever the range holds */
    MM_F_HUGE = 1u << 3,      /* 2 MiB leaves where range and alignment allow */
    MM_F_ALL = 0xf,
};

/* MM_MAP reply flags (MM_R_MAP_DONE): what was actually done. */
enum {
    MM_DONE_HUGE_FALLBACK = 1u << 0, /* HUGE asked, but the frames came as 4 KiB pages */
};

/* MM_MAP_DEVICE memory types. */
enum {
    MM_MEM_NORMAL = 0, /* cacheable RAM */
    MM_MEM_DEVICE = 1, /* uncached, strongly ordered: MMIO */
    MM_MEM_WC = 2,     /* write-combining (frame buffers) */
    MM_MEM_COUNT_
};

/* Region kinds (MM_QUERY). */
enum {
    MM_KIND_ANON = 1,   /* anonymous memory mapped eagerly */
    MM_KIND_LAZY = 2,   /* anonymous memory filled on first touch */
    MM_KIND_SHARED = 3, /* an accepted share window (filled or not by a MM_SHARE) */
    MM_KIND_DEVICE = 4, /* physical memory from MM_MAP_DEVICE */
    MM_KIND_IMAGE = 5,  /* a program image loaded by mmserver */
};

/* The lowest user address mmserver maps: the first 64 KiB stay unmapped, so a null pointer
 * (plus a small offset) always faults. */
#define MM_USER_BASE 0x10000ull
/* One past the highest user address for a format whose canonical addresses have va_bits
 * bits: the lower half, less its top page (x86 sysret and riscv sign-extension both make an
 * executable page just below the hole a hazard). */
#define MM_USER_TOP(va_bits) ((1ull << ((va_bits)-1u)) - 0x1000ull)

#define MM_PAGE_SIZE 0x1000ull
#define MM_HUGE_SIZE 0x200000ull

/* ---- request words ----------------------------------------------------------------------- */

/* MM_MAP */
#define MM_A_MAP_VA    0 /* wanted address (ignored with MM_F_ANYWHERE) */
#define MM_A_MAP_LEN   1
#define MM_A_MAP_PERM  2
#define MM_A_MAP_FLAGS 3
/* MM_UNMAP, MM_DECOMMIT, MM_PROTECT, MM_QUERY */
#define MM_A_VA   0
#define MM_A_LEN  1 /* not MM_QUERY */
#define MM_A_PERM 2 /* MM_PROTECT */
/* MM_SHARE_ACCEPT */
#define MM_A_ACC_FROM 0 /* the client allowed to share into the window */
#define MM_A_ACC_VA   1
#define MM_A_ACC_LEN  2
#define MM_A_ACC_MAX  3 /* the most permissions a share may grant */
/* MM_SHARE */
#define MM_A_SHR_VA     0 /* the caller's range */
#define MM_A_SHR_LEN    1
#define MM_A_SHR_TO     2 /* the receiving client */
#define MM_A_SHR_DST_VA 3 /* where, inside a window the receiver accepted from the caller */
#define MM_A_SHR_PERM   4
/* MM_MAP_DEVICE */
#define MM_A_DEV_VA    0
#define MM_A_DEV_LEN   1
#define MM_A_DEV_PA    2
#define MM_A_DEV_TYPE  3 /* MM_MEM_* */
#define MM_A_DEV_PERM  4
#define MM_A_DEV_FLAGS 5 /* MM_F_ANYWHERE, MM_F_OVERWRITE, MM_F_HUGE */

/* ---- reply words ------------------------------------------------------------------------- */

/* Every error */
#define MM_R_WHERE 0 /* first offending address, or 0 */
/* MM_MAP and MM_MAP_DEVICE */
#define MM_R_MAP_VA       0 /* the address used (the one chosen with MM_F_ANYWHERE) */
#define MM_R_MAP_RESERVED 1 /* 4 KiB pages now part of the caller's space (len / 4 KiB) */
#define MM_R_MAP_PAGES    2 /* of which backed by a frame now (0 for MM_F_LAZY) */
#define MM_R_MAP_HUGE     3 /* of which mapped by 2 MiB (or larger) leaves */
#define MM_R_MAP_PERM     4 /* the permissions applied */
#define MM_R_MAP_DONE     5 /* MM_DONE_* */
/* MM_UNMAP and MM_DECOMMIT */
#define MM_R_REL_PAGES  0 /* 4 KiB pages that had a frame and no longer have */
#define MM_R_REL_FREED  1 /* frames that went back to the pool (last user gone) */
#define MM_R_REL_UNRES  2 /* MM_UNMAP: 4 KiB pages no longer reserved (len / 4 KiB) */
#define MM_R_REL_CHARGE 3 /* the caller's charge after the request, in frames */
/* MM_PROTECT */
#define MM_R_PROT_PAGES  0 /* 4 KiB pages with a frame whose permissions are now perm */
#define MM_R_PROT_PERM   1 /* the permissions applied */
#define MM_R_PROT_SPLITS 2 /* huge leaves split to do it */
/* MM_QUERY */
#define MM_R_Q_BASE 0 /* the region holding va */
#define MM_R_Q_LEN  1
#define MM_R_Q_PERM 2 /* perm | max perm << 8 | kind << 16 | memory type << 24 */
/* Physical addresses are told only to privileged clients (drivers): they help attacks on
 * DRAM (row hammer) and caches. A privileged client gets the physical address backing va
 * itself; any other gets MM_FRAME_HIDDEN when a frame backs va. MM_R_Q_SHIFT says whether
 * one does (0: no frame yet, and the frame word is 0): a device at physical 0 is frame 0. */
#define MM_R_Q_FRAME    3
#define MM_R_Q_SHIFT    4    /* log2 of the leaf size mapping va, or 0 */
#define MM_FRAME_HIDDEN 1ull /* MM_R_Q_FRAME of an unprivileged client: "a frame, not told" */
#define MM_R_Q_PEER     5    /* MM_KIND_SHARED: the client a window accepts shares from */
/* MM_SHARE_ACCEPT */
#define MM_R_ACC_VA    0
#define MM_R_ACC_PAGES 1
/* MM_SHARE */
#define MM_R_SHR_PAGES 0 /* 4 KiB pages now mapped in both spaces */
#define MM_R_SHR_PERM  1
/* MM_STATS */
#define MM_R_ST_CHARGE  0 /* frames charged to the caller: data pages + page tables */
#define MM_R_ST_QUOTA   1
#define MM_R_ST_TABLES  2 /* of the charge: page tables its regions could need (held or not) */
#define MM_R_ST_POOL    3 /* frames of the pool that any client could still get */
#define MM_R_ST_REGIONS 4 /* regions in the caller's space */
#define MM_R_ST_BACKED  5 /* 4 KiB pages of the caller backed by a pool frame now */

/* Packing of MM_R_Q_PERM. */
#define MM_Q_PERM(w)    ((uint32_t)(w)&0xffu)
#define MM_Q_MAXPERM(w) ((uint32_t)((w) >> 8) & 0xffu)
#define MM_Q_KIND(w)    ((uint32_t)((w) >> 16) & 0xffu)
#define MM_Q_MEMTYPE(w) ((uint32_t)((w) >> 24) & 0xffu)

/* ---- page faults ------------------------------------------------------------------------- */

/* mmserver's answer to a page fault (IPC_FAULT_PAGE with IPC_ACCESS_* bits). */
typedef enum mm_fault_answer {
    MM_FAULT_RESUME = 0, /* the page is there now: restart the instruction */
    MM_FAULT_KILL = 1,   /* the access is illegal: the client is killed */
    MM_FAULT_RETRY = 2,  /* nothing changed, resume (the thread faults again): an allocation
                          * failed that the charge had promised; never happens unless the
                          * pool is broken (or a test injects the failure) */
} mm_fault_answer_t;

/* Why a client was killed (given to the kernel with the kill). */
typedef enum mm_kill_reason {
    MM_KILL_NONE = 0,
    MM_KILL_UNMAPPED = 1, /* the address lies in no region */
    MM_KILL_ACCESS = 2,   /* the region does not allow this access */
    MM_KILL_RANGE = 3,    /* the address is outside the user window */
    MM_KILL_REQUEST = 4,  /* mmserver itself ended the client (exit, teardown) */
    MM_KILL_FAULT = 5,    /* a fault that is not a page fault (mmserver serves none) */
    MM_KILL_THREAD = 6,   /* stopped through a capability to its thread */
} mm_kill_reason_t;

/* ---- the root program: MM_SPAWN and MM_CHILD ------------------------------------------------
 *
 * mmserver starts one program of the boot archive by itself: the root program, the first
 * member after mmserver. The root alone may ask MM_SPAWN and MM_CHILD (any other client:
 * MM_ERR_DENIED), and alone receives the halt capability (IPC_CAP_HALT) in MM_SLOT_HALT.
 * Its privilege comes from being started first, never from a name. In the test images the
 * root is the test runner (tests/qemu/runner.c), which starts every other program, learns
 * how each ended and stops the machine with its verdict.
 *
 * MM_SPAWN (index, flags): starts the index-th program of the archive, counting members
 * after the root from 0 (mmserver and the root themselves are not counted). The message
 * may carry one endpoint capability (the root's capability to mmserver needs the grant
 * right for that, which mmserver gives it): mmserver puts a copy into the new program's
 * MM_SLOT_BOOT, badged with the new program's client id and with the send and grant
 * rights, or with every right and no badge when flags has MM_SPAWN_SERVE (a name service
 * that receives there). mmserver keeps no copy. With MM_SPAWN_RAM the program's quota is
 * every frame of the pool (a program meant to use all of RAM) instead of mmserver's
 * default for boot programs. Reply: client id, name length, and the
 * name's bytes packed in words 2..5 (MMPRIV_SYS_THREAD_NAME's packing, NUL-padded).
 * Errors: MM_ERR_NO_PROGRAM past the last member, MM_ERR_INVAL for unknown flags or a
 * capability that is not an endpoint, MM_ERR_NO_CLIENT when no client id is free,
 * otherwise the error of the load (MM_ERR_INVAL for a file that is not a valid program,
 * MM_ERR_NOMEM, MM_ERR_QUOTA, ...); nothing is left behind on an error.
 *
 * MM_PROGRAM (index): the name of the index-th program (as MM_SPAWN counts them) without
 * starting it, so the root can choose MM_SPAWN's flags by what the program is. Reply as
 * MM_SPAWN's with client id 0; MM_ERR_NO_PROGRAM past the last member.
 *
 * MM_CHILD (client id): MM_CHILD_RUNNING, or how a program the root started ended. An
 * ended program's record is given once and then forgotten (its client id can be used
 * again only after that). MM_ERR_NO_CLIENT for an id the root did not start, or whose end
 * was already given.
 */
/* The slot where mmserver puts its endpoint (send only, badged with the client id; the
 * root: send and grant) in the capability table of every program it starts (ipc/ipc.h
 * gives slot 0 no role), and where it maps every program's IPC buffer (one page,
 * read-write, bound to the program's first thread). */
#define MM_SLOT_SERVER   0u
#define MM_IPC_BUFFER_VA 0x100000ull
#define MM_SLOT_BOOT     2u /* MM_SPAWN's endpoint in the new program's table (IPC_SLOT_BOOT) */
#define MM_SLOT_HALT     3u /* the root program's halt capability */

/* MM_SPAWN request words and flags */
#define MM_A_SPAWN_INDEX 0
#define MM_A_SPAWN_FLAGS 1
enum {
    MM_SPAWN_SERVE = 1u << 0, /* the endpoint with every right and no badge: it receives */
    MM_SPAWN_RAM = 1u << 1,   /* its quota is every frame of the pool, not MMP_QUOTA */
    MM_SPAWN_F_ALL = 0x3,
};
/* MM_SPAWN reply words */
#define MM_R_SPAWN_CLIENT   0
#define MM_R_SPAWN_NAME_LEN 1
#define MM_R_SPAWN_NAME     2 /* words 2..5: the name, packed, NUL-padded */

/* MM_CHILD request and reply words */
#define MM_A_CHILD_ID     0
#define MM_R_CHILD_STATE  0 /* enum mm_child_state */
#define MM_R_CHILD_STATUS 1 /* EXITED: the exit status; KILLED: the mm_kill_reason_t */
#define MM_R_CHILD_KIND                                                                            \
    2                       /* KILLED: the fault kind (ipc_fault_kind_t), IPC_FAULT_NONE if        \
                             * none (killed through its thread capability) */
#define MM_R_CHILD_ACCESS 3 /* KILLED by a page fault: its IPC_ACCESS_* bits */
#define MM_R_CHILD_ADDR   4 /* KILLED by a fault: the address (page faults) */
#define MM_R_CHILD_PC     5 /* KILLED by a fault: the instruction address */
enum mm_child_state {
    MM_CHILD_RUNNING = 0,
    MM_CHILD_EXITED = 1, /* IPC_SYS_EXIT */
    MM_CHILD_KILLED = 2, /* a fault mmserver could not serve, or its thread capability */
};
