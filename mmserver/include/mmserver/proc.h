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

#include <ipc/cpio.h>
#include <ipc/elf64.h>
#include <ipc/ipc.h>
#include <ipc/mm_client.h>
#include <ipc/mmboot.h>
#include <mmserver/mm.h>

/* Client ids mmserver gives out are MMP_FIRST_CLIENT .. MM_MAX_CLIENTS - 1; the id is
 * also the badge of the client's endpoint capabilities, so badge 0 (unbadged) is never a
 * client. */
#define MMP_FIRST_CLIENT  1u
#define MMP_QUOTA         16384u           /* frames per boot program (64 MiB) */
#define MMP_STACK_SIZE    0x10000ull       /* a boot program's stack, filled on touch */
#define MMP_STACK_GAP     0x100000ull      /* the stack's top lies this far below user top */
#define MMP_IPC_BUFFER_VA MM_IPC_BUFFER_VA /* every program's IPC buffer */
#define MMP_ELF_SEGMENTS  8u               /* loadable segments one program may have */
#define MMP_MSG_WORDS     6u               /* words the adapter moves either way */
#define MMP_PRIO          IPC_PRIO_DEFAULT /* priority of the programs it starts */

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
    MMP_BOOT_SLOTS,   /* a slot outside the capability table, or two the same */
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

/* The first thread of a program, as mmserver asks the kernel to start it. */
typedef struct mmp_thread {
    uint32_t client; /* its space (registered root) and the badge of its capabilities */
    uint64_t entry;
    uint64_t sp;
    uint64_t ipc_buffer;
    uint32_t prio;    /* MMP_PRIO */
    const char *name; /* name_len bytes, not NUL-terminated */
    size_t name_len;
} mmp_thread_t;

/* What the kernel does for mmserver as a process: the core's four hooks, plus starting a
 * program's thread. Every hook receives core.ctx. */
typedef struct mmp_kernel {
    mm_kernel_ops_t core;
    /* Creates t's thread bound to t->client's registered root, with mmserver's endpoint
     * badged t->client in the program's table (MM_SLOT_SERVER) and as its fault endpoint,
     * and starts it. false when the kernel refuses (nothing is left behind). */
    bool (*thread_start)(void *ctx, const mmp_thread_t *t);
    /* client's thread ended without mmserver asking (the kernel's end notice): drop what
     * mmserver holds of it (its thread capability), so the id can be used again. */
    void (*thread_release)(void *ctx, uint32_t client);
} mmp_kernel_t;

/* mmserver as a process. */
typedef struct mmp {
    mm_server_t *srv; /* the core, set up (mm_init) */
    mmp_kernel_t kernel;
    uint16_t machine; /* ELF e_machine of the programs it loads */
    uint32_t started, failed;
} mmp_t;

/* Why a spawn failed. */
typedef enum mmp_spawn_err {
    MMP_SPAWN_OK = 0,
    MMP_SPAWN_CLIENT, /* no client id free, or the core could not create the space (.mm) */
    MMP_SPAWN_LOAD,   /* the ELF loader refused (.load says why) */
    MMP_SPAWN_STACK,  /* the stack or the IPC buffer could not be mapped (.mm) */
    MMP_SPAWN_THREAD, /* the kernel refused the thread */
    MMP_SPAWN_COUNT_
} mmp_spawn_err_t;

typedef struct mmp_spawn {
    mmp_spawn_err_t err;
    mm_err_t mm;
    mmp_load_t load;
    mmp_thread_t thread; /* on success: what was started */
} mmp_spawn_t;

/* Starts program name from ELF [elf, elf + size) in a new client: space, image, a stack
 * (filled on touch, MMP_STACK_SIZE under MMP_STACK_GAP below the user top, an unmapped
 * page below it), the IPC buffer at MMP_IPC_BUFFER_VA, then the kernel's thread. On any
 * failure the client is destroyed: nothing stays charged or taken. */
void mmp_spawn(mmp_t *p, const char *name, size_t name_len, const uint8_t *elf, size_t size,
               mmp_spawn_t *out);

/* Starts every regular file of the archive [archive, archive + len) but MMBOOT_SELF_NAME;
 * counts them in p->started / p->failed (report is told each failure, may be NULL).
 * false if the archive is malformed (programs before the bad member stay started). */
bool mmp_spawn_archive(mmp_t *p, const uint8_t *archive, size_t len,
                       void (*report)(void *ctx, const cpio_file_t *f, const mmp_spawn_t *s),
                       void *ctx);

/* ---- serve.c: the message adapter and the receive loop ---- */

/* A message as the adapter sees it: what the IPC port received or will send. */
typedef struct mmp_msg {
    uint64_t badge; /* received: the sender's capability badge (client id) */
    uint64_t label;
    uint64_t length; /* words used */
    uint64_t w[MMP_MSG_WORDS];
} mmp_msg_t;

/* What to do after a message. */
typedef enum mmp_answer {
    MMP_REPLY,   /* send *out as the reply */
    MMP_NOTHING, /* no reply: the sender is gone (killed, ended) or did not call */
} mmp_answer_t;

/* Handles one message: a request of ipc/mm.h (label, words, the badge as the client id)
 * through mm_handle, a page fault through mm_fault, any other fault by killing the client,
 * an end notice (ipc/mmpriv.h) by tearing the client down. Fills *out when it answers
 * MMP_REPLY: label = mm_err_t and the reply words (requests), label 0 (faults: resume). */
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
