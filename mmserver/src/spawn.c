/*
 * Starting programs: a client space, the ELF image, a stack and an IPC buffer through the
 * core, then the kernel's thread. A program that cannot be started leaves nothing behind:
 * its client is destroyed, which gives every frame and the charge back.
 */
#include <mmserver/proc.h>

#define STACK_ALIGN 0x100000ull /* the stack's top: 1 MiB-aligned, below the user top */

/* The first free client id, or MM_MAX_CLIENTS. */
static uint32_t free_client(const mm_server_t *srv) {
    uint32_t id = MMP_FIRST_CLIENT;
    while (id < MM_MAX_CLIENTS && srv->client[id].active) {
        id++;
    }
    return id;
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
    if (client < MM_MAX_CLIENTS && srv->client[client].active) {
        mm_client_destroy(srv, client);
    }
}

/* Starts a client's space and image; false (client destroyed) on failure. */
static bool build_space(mmp_t *p, uint32_t id, const uint8_t *elf, size_t size, mmp_spawn_t *out) {
    mm_err_t err =
        id < MM_MAX_CLIENTS ? mm_client_create(p->srv, id, MMP_QUOTA, false) : MM_ERR_NO_CLIENT;
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

/* See proc.h. */
void mmp_spawn(mmp_t *p, const char *name, size_t name_len, const uint8_t *elf, size_t size,
               mmp_spawn_t *out) {
    uint32_t id = free_client(p->srv);
    out->err = MMP_SPAWN_OK;
    out->mm = MM_OK;
    out->load.err = MMP_LOAD_OK;
    out->load.elf = ELF64_OK;
    out->load.mm = MM_OK;
    if (!build_space(p, id, elf, size, out)) {
        return;
    }
    mmp_thread_t *t = &out->thread;
    t->client = id;
    t->entry = out->load.entry;
    t->sp = stack_top(p->srv);
    t->ipc_buffer = MMP_IPC_BUFFER_VA;
    t->prio = IPC_PRIO_DEFAULT;
    t->name = name;
    t->name_len = name_len;
    if (!p->kernel.thread_start(p->kernel.core.ctx, t)) {
        fail(p->srv, id, out, MMP_SPAWN_THREAD, MM_OK);
    }
}

/* See proc.h. */
bool mmp_spawn_archive(mmp_t *p, const uint8_t *archive, size_t len,
                       void (*report)(void *ctx, const cpio_file_t *f, const mmp_spawn_t *s),
                       void *ctx) {
    size_t off = 0;
    cpio_file_t f;
    cpio_step_t step;
    while ((step = cpio_next(archive, len, &off, &f)) == CPIO_FILE) {
        if (cpio_named(&f, MMBOOT_SELF_NAME)) {
            continue;
        }
        mmp_spawn_t s;
        mmp_spawn(p, f.name, f.name_len, f.data, f.size, &s);
        if (s.err == MMP_SPAWN_OK) {
            p->started++;
            continue;
        }
        p->failed++;
        if (report) {
            report(ctx, &f, &s);
        }
    }
    return step == CPIO_END;
}
