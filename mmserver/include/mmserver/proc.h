/*
 * mmproc: mmserver as a process, the part around the core (<mmserver/mm.h>) that a host
 * test can drive: the boot-info check (boot.c), the ELF loader (elf_load.c), program start
 * (spawn.c) and the message adapter (serve.c) with its receive loop. The real program
 * (mmserver/main.c, mmserver/sys.c) gives it the kernel's calls and the IPC port; host
 * tests give it fakes.
 *
 * Freestanding C11, no libc, no malloc, like the core. See mmserver/BOOT.md.
 */
#pragma once

#include <mmlib/cpio.h>
#include <mmlib/elf64.h>
#include <ipc/ipc.h>
#include <ipc/mm_msg.h>
#include <ipc/mmboot.h>
#include <ipc/mmpriv.h>
#include <mmserver/mm.h>

/* Client ids mmserver gives out are MMP_FIRST_CLIENT .. MMP_MAX_CLIENTS - 1, the lowest
 * free first; the id is also the badge of the client's endpoint capabilities, so badge 0
 * (unbadged) is never a client. mmserver holds each client's thread capability in a slot
 * above the 256 a message can name (mmserver/sys.h), so its capability table
 * (IPC_CAP_SLOTS_MAX) bounds the ids: 7,808 programs at once. */
#define MMP_FIRST_CLIENT  1u
#define MMP_MAX_CLIENTS   (IPC_CAP_SLOTS_MAX - (IPC_INFO_SLOT_MASK + 1))
#define MMP_KMEM_FRAMES   4u /* kernel memory per program, 16 KiB: space, thread, table... */
#define MMP_STACK_SIZE    0x10000ull       /* a boot program's stack, filled on touch */
#define MMP_STACK_GAP     0x100000ull      /* the stack's top lies this far below user top */
#define MMP_IPC_BUFFER_VA MM_IPC_BUFFER_VA /* every program's IPC buffer */
#define MMP_ELF_SEGMENTS  8u               /* loadable segments one program may have */
#define MMP_MSG_WORDS     6u               /* words the adapter moves either way */
#define MMP_PRIO          IPC_PRIO_DEFAULT /* priority of the programs it starts */
#define MMP_NAME_WORDS    4u               /* a name packed as MMPRIV_SYS_THREAD_NAME takes it */
#define MMP_NAME_SIZE     (MMPRIV_NAME_MAX + 1u) /* a name and its NUL */

/* Frames per boot program (64 MiB); a stress build may set another (-DMMK_PROGRAM_QUOTA). */
#ifndef MMP_QUOTA
#define MMP_QUOTA 16384u
#endif

_Static_assert(MMP_NAME_WORDS * 8u == MMP_NAME_SIZE, "a packed name fills its words exactly");
_Static_assert(MM_R_SPAWN_NAME + MMP_NAME_WORDS <= MM_REPLY_WORDS, "MM_SPAWN's reply holds a name");

_Static_assert(MMP_MSG_WORDS >= MM_REQ_WORDS && MMP_MSG_WORDS >= MM_REPLY_WORDS &&
                   MMP_MSG_WORDS >= IPC_FAULT_LENGTH,
               "one message holds a request, a reply and a fault");

/* ---- boot.c: the boot-info block ---- */

typedef enum mmp_boot_err {
    MMP_BOOT_OK = 0,
    MMP_BOOT_MAGIC,   /* no block, or not one (magic) */
    MMP_BOOT_VERSION, /* a version or size this mmserver does not know */
    MMP_BOOT_FORMAT,  /* an unknown paging format, or features it does not have */
    MMP_BOOT_POOL,    /* the RAM window is empty, misaligned, wraps or exceeds pa_bits */
    MMP_BOOT_ARCHIVE, /* the archive view is empty or wraps */
    MMP_BOOT_LIMITS,  /* the kernel's user half does not hold mmserver's user window */
    MMP_BOOT_SLOTS,   /* a slot outside the table, two the same, or one at or past slot_free */
    MMP_BOOT_COUNT_
} mmp_boot_err_t;

/* Checks the block b (untrusted until this returns MMP_BOOT_OK) and fills cfg for mm_init:
 * the paging format from b->pt_format, its features, the pool, kernel as the hooks. */
mmp_boot_err_t mmp_boot_config(const mmboot_t *b, const mm_kernel_ops_t *kernel, mm_config_t *cfg);

/* The libpt format for an mmboot format id, or NULL. */
const pt_format_t *mmp_boot_format(uint32_t id);

/* The ELF e_machine of programs for an mmboot format id (0 for none): no per-architecture
 * #ifdef, the format the kernel reports says which machine this is. */
uint16_t mmp_boot_machine(uint32_t id);

/* A short, stable name for err. */
const char *mmp_boot_strerror(mmp_boot_err_t err);

/* ---- elf_load.c: programs into client spaces ---- */

typedef enum mmp_load_err {
    MMP_LOAD_OK = 0,
    MMP_LOAD_ELF,        /* the header or a segment is refused: .elf says why */
    MMP_LOAD_OVERLAP,    /* two segments share a page */
    MMP_LOAD_NO_SEGMENT, /* nothing to load */
    MMP_LOAD_SEGMENTS,   /* more than MMP_ELF_SEGMENTS loadable segments */
    MMP_LOAD_ENTRY,      /* the entry point is not in an executable segment */
    MMP_LOAD_MM,         /* the core refused a map (quota, pool, format): .mm says why */
    MMP_LOAD_COUNT_
} mmp_load_err_t;

/* What a load did, or why it did not. */
typedef struct mmp_load {
    mmp_load_err_t err;
    elf64_err_t elf; /* MMP_LOAD_ELF */
    mm_err_t mm;     /* MMP_LOAD_MM */
    uint64_t where;  /* the offending segment's vaddr (or the core's MM_R_WHERE), else 0 */
    uint64_t entry;  /* on success */
    unsigned segments;
    uint64_t pages; /* 4 KiB pages mapped */
} mmp_load_t;

/* Loads the ELF executable [elf, elf + size) for machine into client's space: each
 * loadable segment gets its own pages (R, plus W or X as the file says; W+X refused),
 * zero-filled, its file part copied. All-or-nothing: every header is checked before
 * anything is mapped, and a map the core refuses half-way unmaps what was mapped, so a
 * failed load leaves the client's space, charge and the pool as they were. */
void mmp_elf_load(mm_server_t *srv, uint32_t client, uint16_t machine, const uint8_t *elf,
                  size_t size, mmp_load_t *out);

/* A short, stable name for err. */
const char *mmp_load_strerror(mmp_load_err_t err);

/* ---- spawn.c: starting programs ---- */

/* What a new program finds in MM_SLOT_BOOT: the endpoint capability that came with the
 * root's MM_SPAWN (ipc/mm.h), given on by the kernel hook from where the port put it. */
typedef enum mmp_give {
    MMP_GIVE_NONE = 0, /* nothing came with the request: the slot stays empty */
    MMP_GIVE_CLIENT,   /* send and grant, badged with the new program's client id */
    MMP_GIVE_SERVE,    /* every right, no badge (MM_SPAWN_SERVE: it receives there) */
} mmp_give_t;

/* The first thread of a program, as mmserver asks the kernel to start it. */
typedef struct mmp_thread {
    uint32_t client; /* its space (registered root) and the badge of its capabilities */
    uint64_t entry;
    uint64_t sp;
    uint64_t ipc_buffer;
    uint32_t prio;    /* MMP_PRIO */
    const char *name; /* name_len bytes, not NUL-terminated: its archive member name */
    size_t name_len;
    uint64_t name_words[MMP_NAME_WORDS]; /* the same, packed for MMPRIV_SYS_THREAD_NAME */
    mmp_give_t give;
    bool root; /* the root program: MM_SLOT_SERVER with grant, the halt capability */
    /* What the kernel hook gives, decided here (host-tested), applied by sys.c: */
    uint32_t server_rights; /* MM_SLOT_SERVER: send, and grant for the root */
    uint32_t boot_rights;   /* MM_SLOT_BOOT (give != NONE): send + grant, or every right */
    uint64_t boot_badge;    /* its badge: the client id, or 0 (SERVE: it receives there) */
} mmp_thread_t;

/* What the kernel does for mmserver as a process: the core's four hooks, plus starting a
 * program's thread. Every hook receives core.ctx. */
typedef struct mmp_kernel {
    mm_kernel_ops_t core;
    /* Creates t's thread bound to t->client's registered root, names it (t->name_words),
     * gives it mmserver's endpoint badged t->client in MM_SLOT_SERVER (send; the root: send
     * and grant) and as its fault endpoint, the endpoint that came with the request as
     * t->give says in MM_SLOT_BOOT, the halt capability in MM_SLOT_HALT to the root, and
     * starts it. false when the kernel refuses (nothing is left behind). */
    bool (*thread_start)(void *ctx, const mmp_thread_t *t);
    /* client's thread ended without mmserver asking (the kernel's end notice): drop what
     * mmserver holds of it (its thread capability), so the id can be used again. */
    void (*thread_release)(void *ctx, uint32_t client);
} mmp_kernel_t;

/* How a program the root started is doing, as MM_CHILD tells it (ipc/mm.h). */
typedef struct mmp_child {
    bool watched;    /* started by the root, its end not yet given: the id is not reused */
    bool serve;      /* started with MM_SPAWN_SERVE (a server: may run until the end) */
    uint32_t state;  /* enum mm_child_state */
    uint64_t status; /* EXITED: exit status; KILLED: mm_kill_reason_t */
    uint64_t kind, access, addr, pc; /* KILLED: the fault (IPC_FAULT_NONE: none) */
    /* KILLED by a page fault: the region that held addr, as it was when the fault came
     * (region_len 0: none held it), for the fault's console line (mmserver/main.c). */
    uint64_t region_base, region_len;
    uint32_t region_perm, region_kind;
} mmp_child_t;

/* Told of every end of a client (ctx: mmp_t.ended_ctx), the root's included, after the
 * record is written and before its space is torn down (a page fault mmserver cannot serve
 * has torn it down already). */
typedef void (*mmp_ended_fn)(void *ctx, uint32_t client, const mmp_child_t *how);

/* mmserver as a process. */
typedef struct mmp {
    mm_server_t *srv; /* the core, set up (mm_init) */
    mmp_kernel_t kernel;
    uint16_t machine;       /* ELF e_machine of the programs it loads */
    const uint8_t *archive; /* the boot archive (ipc/mmboot.h): its programs */
    size_t archive_len;
    uint32_t root;            /* the root program's client id; 0 until it started */
    uint32_t started, failed; /* MM_SPAWN requests that started a program, or did not */
    uint64_t pool_start;      /* frames available before the root started */
    uint64_t meta_start;      /* the core's table frames then (mm_server_t.meta_frames) */
    bool spawned;             /* a program (not a server) started since the last check */
    uint64_t unread;          /* watched children the root must still read: running programs
                               * (servers excepted) and ended ones whose end is unread */
    mmp_child_t *child;       /* by client id, children .. (mm_grow) */
    uint64_t children;
    char (*name)[MMP_NAME_SIZE]; /* each active client's program name, by id */
    uint64_t names;
    mmp_ended_fn ended; /* may be NULL */
    void *ended_ctx;
} mmp_t;

/* Sets p up over the server srv (set up with mm_init), the kernel hooks, the ELF machine
 * and the boot archive [archive, archive + len): no client, no root yet. */
void mmp_init(mmp_t *p, mm_server_t *srv, const mmp_kernel_t *kernel, uint16_t machine,
              const uint8_t *archive, size_t len);

/* Why a spawn failed. */
typedef enum mmp_spawn_err {
    MMP_SPAWN_OK = 0,
    MMP_SPAWN_CLIENT, /* no client id free, or the core could not create the space (.mm) */
    MMP_SPAWN_LOAD,   /* the ELF loader refused (.load says why) */
    MMP_SPAWN_STACK,  /* the stack or the IPC buffer could not be mapped (.mm) */
    MMP_SPAWN_THREAD, /* the kernel refused the thread */
    MMP_SPAWN_NAME,   /* the name is empty or has a byte outside printable ASCII */
    MMP_SPAWN_COUNT_
} mmp_spawn_err_t;

typedef struct mmp_spawn {
    mmp_spawn_err_t err;
    mm_err_t mm;
    mmp_load_t load;
    mmp_thread_t thread; /* on success: what was started */
} mmp_spawn_t;

/* Packs the name [name, name + len) as MMPRIV_SYS_THREAD_NAME takes it: byte i in byte
 * i % 8 of w[i / 8], NUL-padded, at most MMPRIV_NAME_MAX bytes (a longer name is cut
 * there). Returns the bytes packed. */
size_t mmp_name_pack(const char *name, size_t len, uint64_t w[MMP_NAME_WORDS]);

/* Starts program name from ELF [elf, elf + size) in a new client with quota frames (MMP_QUOTA,
 * or the whole pool for MM_SPAWN_RAM), with what t_in says of give and root (its other
 * fields are ignored): space, image, a stack (filled on touch,
 * MMP_STACK_SIZE under MMP_STACK_GAP below the user top, an unmapped page below it), the
 * IPC buffer at MMP_IPC_BUFFER_VA, then the kernel's thread. The client id is the lowest
 * one neither active nor holding an unread end record. On any failure the client is
 * destroyed: nothing stays charged or taken. */
void mmp_spawn(mmp_t *p, const char *name, size_t name_len, const uint8_t *elf, size_t size,
               mmp_give_t give, bool root, uint64_t quota, mmp_spawn_t *out);

/* The mm_err_t an MM_SPAWN reply gives for s (MM_OK when it started). */
mm_err_t mmp_spawn_mm_err(const mmp_spawn_t *s);

/* The n-th program of the archive: its regular members but MMBOOT_SELF_NAME, in archive
 * order; program 0 is the root. CPIO_FILE with *f; CPIO_END when there are at most n;
 * CPIO_BAD when the archive is malformed before it. */
cpio_step_t mmp_program(const uint8_t *archive, size_t len, uint32_t n, cpio_file_t *f);

/* Starts the root program (program 0 of p's archive): MM_SLOT_SERVER with grant, the halt
 * capability, the right to MM_SPAWN and MM_CHILD. Measures p->pool_start first. On
 * failure *out says why (out->err MMP_SPAWN_CLIENT with MM_ERR_NO_PROGRAM when the archive
 * has no program but mmserver, MM_ERR_INVAL when it is malformed before one). */
void mmp_start_root(mmp_t *p, mmp_spawn_t *out);

/* A client's program name for console lines ("?" for an id without one). */
const char *mmp_name(const mmp_t *p, uint32_t client);

/* The frame check once the root's programs are done (mmserver prints its verdict). */
typedef enum mmp_pool_verdict {
    MMP_POOL_WAIT = 0, /* not now: nothing started since the last check, or a program the
                        * root started is still running (servers excepted) or its end was
                        * not given yet */
    MMP_POOL_OK,       /* every frame not charged to a running program is back */
    MMP_POOL_LEAK,     /* some are not */
} mmp_pool_verdict_t;

/* Checks, when the root has started programs (servers do not count) since the last check
 * and every one of them has ended and had its end given (MM_CHILD) but servers
 * (MM_SPAWN_SERVE) still running,
 * that the frames available now plus the charge of every client still active (the root,
 * servers) equal p->pool_start. *now and *want get both sides (want: pool_start minus
 * those charges). Exact while the clients still running share no frames with each other. */
mmp_pool_verdict_t mmp_pool_check(mmp_t *p, uint64_t *now, uint64_t *want);

/* ---- serve.c: the message adapter and the receive loop ---- */

/* A message as the adapter sees it: what the IPC port received or will send. */
typedef struct mmp_msg {
    uint64_t badge; /* received: the sender's capability badge (client id) */
    uint64_t label;
    uint64_t length; /* words used */
    uint64_t w[MMP_MSG_WORDS];
    uint32_t cap; /* received: the IPC_CAP_* kind of a capability that came with it (0:
                   * none); the port holds it until the next message, for MM_SPAWN */
} mmp_msg_t;

/* What to do after a message. */
typedef enum mmp_answer {
    MMP_REPLY,   /* send *out as the reply */
    MMP_NOTHING, /* no reply: the sender is gone (killed, ended) or did not call */
} mmp_answer_t;

/* Handles one message: MM_SPAWN and MM_CHILD from the root (any other sender: DENIED), any
 * other request of ipc/mm.h (label, words, the badge as the client id) through mm_handle,
 * a page fault through mm_fault, any other fault by killing the client (MM_KILL_FAULT), an
 * end notice (ipc/mmpriv.h) by tearing the client down. Every end of a program the root
 * started is recorded for MM_CHILD. Fills *out when it answers MMP_REPLY: label = mm_err_t
 * and the reply words (requests), label 0 (faults: resume). */
mmp_answer_t mmp_serve(mmp_t *p, const mmp_msg_t *in, mmp_msg_t *out);

/* The IPC port of the loop. */
typedef struct mmp_port {
    void *ctx;
    /* Sends reply (unless NULL) to the caller of the last message, then (unless in is
     * NULL) waits for the next message into *in: IPC_SYS_REPLY_RECV, or IPC_SYS_RECV when
     * there is nothing to reply. false: the port failed and the loop ends. */
    bool (*next)(void *ctx, const mmp_msg_t *reply, mmp_msg_t *in);
} mmp_port_t;

/* Serves messages from port until it fails or max messages were handled (0: forever);
 * the last message's reply is sent before it returns. Returns the number handled. */
uint64_t mmp_loop(mmp_t *p, const mmp_port_t *port, uint64_t max);
