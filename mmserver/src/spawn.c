/*
 * Starting programs: a client space, the ELF image, a stack and an IPC buffer through the
 * core, then the kernel's thread. A program that cannot be started leaves nothing behind:
 * its client is destroyed, which gives every frame and the charge back. mmserver starts
 * the root program itself; the root starts the others (serve.c, MM_SPAWN).
 */
#include <mmserver/proc.h>

#include "internal.h"

#define STACK_ALIGN 0x100000ull /* the stack's top: 1 MiB-aligned, below the user top */

/* Whether client id holds an end record the root has not read. */
static bool watched(const mmp_t *p, uint32_t id) {
    return id < p->children && p->child[id].watched;
}

/* The first client id neither active nor holding an end record the root has not read
 * (a reused id would make MM_CHILD answer for the wrong program), or MMP_MAX_CLIENTS.
 * O(ids in use): a few instructions each, against a program load. */
static uint32_t free_client(mmp_t *p) {
    uint32_t id = MMP_FIRST_CLIENT;
    while (id < MMP_MAX_CLIENTS && (mm_client(p->srv, id) || watched(p, id))) {
        id++;
    }
    return id;
}

/* Makes room for id in the process side's records; false without memory. */
static bool records_reach(mmp_t *p, uint32_t id) {
    return mm_grow(p->srv, (void **)&p->child, &p->children, sizeof(mmp_child_t), id) &&
           mm_grow(p->srv, (void **)&p->name, &p->names, MMP_NAME_SIZE, id);
}

/* See proc.h. */
void mmp_init(mmp_t *p, mm_server_t *srv, const mmp_kernel_t *kernel, uint16_t machine,
              const uint8_t *archive, size_t len) {
    mm_mem_zero(p, sizeof(*p));
    p->srv = srv;
    mm_mem_copy(&p->kernel, kernel, sizeof(*kernel)); /* a struct copy could become memcpy */
    p->machine = machine;
    p->archive = archive;
    p->archive_len = len;
    records_reach(p, MM_CLIENTS_INITIAL - 1); /* without memory they grow at the first spawn */
}

/* See proc.h. */
size_t mmp_name_pack(const char *name, size_t len, uint64_t w[MMP_NAME_WORDS]) {
    size_t n = len < MMPRIV_NAME_MAX ? len : MMPRIV_NAME_MAX;
    for (unsigned i = 0; i < MMP_NAME_WORDS; i++) {
        w[i] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        w[i / 8] |= (uint64_t)(uint8_t)name[i] << (8 * (i % 8));
    }
    return n;
}

/* True when name is one the kernel takes: not empty, printable ASCII only (of the bytes
 * that are packed). */
static bool name_ok(const char *name, size_t len) {
    size_t n = len < MMPRIV_NAME_MAX ? len : MMPRIV_NAME_MAX;
    for (size_t i = 0; i < n; i++) {
        if (name[i] < 0x20 || name[i] > 0x7e) {
            return false;
        }
    }
    return n > 0;
}

/* Where a program's stack ends: MMP_STACK_GAP below the user top, aligned down. */
static uint64_t stack_top(const mm_server_t *srv) {
    return (srv->user_top - MMP_STACK_GAP) & ~(STACK_ALIGN - 1);
}

/* Maps len bytes at va with perm and flags in client's space. */
static mm_err_t map(mm_server_t *srv, uint32_t client, uint64_t va, uint64_t len, uint32_t perm,
                    uint32_t flags) {
    uint64_t req[MM_REQ_WORDS] = {0};
    uint64_t reply[MM_REPLY_WORDS];
    req[MM_A_MAP_VA] = va;
    req[MM_A_MAP_LEN] = len;
    req[MM_A_MAP_PERM] = perm;
    req[MM_A_MAP_FLAGS] = flags;
    return mm_handle(srv, client, MM_MAP, req, reply);
}

/* The stack (filled on touch; the page below it stays unmapped, a guard) and the IPC
 * buffer (eager: the kernel reads and writes it). */
static mm_err_t map_stack(mm_server_t *srv, uint32_t client, uint64_t top) {
    mm_err_t err =
        map(srv, client, top - MMP_STACK_SIZE, MMP_STACK_SIZE, MM_PERM_R | MM_PERM_W, MM_F_LAZY);
    if (err != MM_OK) {
        return err;
    }
    return map(srv, client, MMP_IPC_BUFFER_VA, PT_PAGE_SIZE, MM_PERM_R | MM_PERM_W, 0);
}

/* Records a failure and destroys the client if it was created. */
static void fail(mm_server_t *srv, uint32_t client, mmp_spawn_t *out, mmp_spawn_err_t err,
                 mm_err_t mm) {
    out->err = err;
    out->mm = mm;
    if (mm_client(srv, client)) {
        mm_client_destroy(srv, client);
    }
}

/* Starts a client's space and image; false (client destroyed) on failure. */
static bool build_space(mmp_t *p, uint32_t id, const uint8_t *elf, size_t size, uint64_t quota,
                        mmp_spawn_t *out) {
    mm_err_t err = id >= MMP_MAX_CLIENTS   ? MM_ERR_NO_CLIENT
                   : !records_reach(p, id) ? MM_ERR_NOMEM
                                           : mm_client_create(p->srv, id, quota, false);
    if (err != MM_OK) {
        out->err = MMP_SPAWN_CLIENT;
        out->mm = err;
        return false;
    }
    mmp_elf_load(p->srv, id, p->machine, elf, size, &out->load);
    if (out->load.err != MMP_LOAD_OK) {
        fail(p->srv, id, out, MMP_SPAWN_LOAD, out->load.mm);
        return false;
    }
    err = map_stack(p->srv, id, stack_top(p->srv));
    if (err != MM_OK) {
        fail(p->srv, id, out, MMP_SPAWN_STACK, err);
        return false;
    }
    return true;
}

/* Keeps client's program name for console lines (packed length, NUL-terminated). */
static void keep_name(mmp_t *p, uint32_t client, const char *name, size_t len) {
    size_t n = len < MMPRIV_NAME_MAX ? len : MMPRIV_NAME_MAX;
    mm_mem_copy(p->name[client], name, n);
    p->name[client][n] = 0;
}

/* See proc.h. */
void mmp_spawn(mmp_t *p, const char *name, size_t name_len, const uint8_t *elf, size_t size,
               mmp_give_t give, bool root, uint64_t quota, mmp_spawn_t *out) {
    uint32_t id = free_client(p);
    mm_mem_zero(out, sizeof(*out));
    if (!name_ok(name, name_len)) {
        out->err = MMP_SPAWN_NAME;
        out->mm = MM_ERR_INVAL;
        return;
    }
    if (!build_space(p, id, elf, size, quota, out)) {
        return;
    }
    mmp_thread_t *t = &out->thread;
    t->client = id;
    t->entry = out->load.entry;
    t->sp = stack_top(p->srv);
    t->ipc_buffer = MMP_IPC_BUFFER_VA;
    t->prio = MMP_PRIO;
    t->name = name;
    t->name_len = mmp_name_pack(name, name_len, t->name_words);
    t->give = give;
    t->root = root;
    t->server_rights = IPC_RIGHT_SEND | (root ? IPC_RIGHT_GRANT : 0);
    t->boot_rights = give == MMP_GIVE_SERVE ? IPC_RIGHTS_ALL : IPC_RIGHT_SEND | IPC_RIGHT_GRANT;
    t->boot_badge = give == MMP_GIVE_SERVE ? 0 : id;
    if (!p->kernel.thread_start(p->kernel.core.ctx, t)) {
        fail(p->srv, id, out, MMP_SPAWN_THREAD, MM_ERR_NOMEM);
        return;
    }
    keep_name(p, id, name, name_len);
}

/* See proc.h. */
mm_err_t mmp_spawn_mm_err(const mmp_spawn_t *s) {
    switch (s->err) {
        case MMP_SPAWN_OK:
            return MM_OK;
        case MMP_SPAWN_LOAD:
            return s->load.err == MMP_LOAD_MM ? s->load.mm : MM_ERR_INVAL; /* not a program */
        case MMP_SPAWN_CLIENT:
        case MMP_SPAWN_STACK:
        case MMP_SPAWN_THREAD:
        case MMP_SPAWN_NAME:
        default:
            return s->mm;
    }
}

/* See proc.h. */
const char *mmp_name(const mmp_t *p, uint32_t client) {
    return client < p->names && p->name[client][0] ? p->name[client] : "?";
}

/* See proc.h. */
cpio_step_t mmp_program(const uint8_t *archive, size_t len, uint32_t n, cpio_file_t *f) {
    size_t off = 0;
    cpio_step_t step;
    while ((step = cpio_next(archive, len, &off, f)) == CPIO_FILE) {
        if (!cpio_named(f, MMBOOT_SELF_NAME) && n-- == 0) {
            return CPIO_FILE;
        }
    }
    return step;
}

/* See proc.h. */
void mmp_start_root(mmp_t *p, mmp_spawn_t *out) {
    cpio_file_t f;
    cpio_step_t step = mmp_program(p->archive, p->archive_len, 0, &f);
    p->pool_start = mm_pool_available(&p->srv->pool);
    p->meta_start = p->srv->meta_frames;
    if (step != CPIO_FILE) {
        mm_mem_zero(out, sizeof(*out));
        out->err = MMP_SPAWN_CLIENT;
        out->mm = step == CPIO_END ? MM_ERR_NO_PROGRAM : MM_ERR_INVAL;
        return;
    }
    mmp_spawn(p, f.name, f.name_len, f.data, f.size, MMP_GIVE_NONE, true, MMP_QUOTA, out);
    if (out->err == MMP_SPAWN_OK) {
        p->root = out->thread.client;
    }
}
