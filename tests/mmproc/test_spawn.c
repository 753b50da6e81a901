/*
 * Program start: every program of a real boot archive (packed by the cpio tool) but
 * mmserver itself gets a client space, its image, a stack and an IPC buffer, and the
 * kernel is asked for its thread; what cannot start leaves nothing behind.
 */
#include "mpt.h"

#include <stdio.h>
#include <string.h>

/* What a failed start reported. */
typedef struct reports {
    unsigned n;
    char name[32];
    mmp_spawn_t last;
} reports_t;

/* report callback of mmp_spawn_archive. */
static void record(void *ctx, const cpio_file_t *f, const mmp_spawn_t *s) {
    reports_t *r = ctx;
    r->n++;
    snprintf(r->name, sizeof(r->name), "%.*s", (int)f->name_len, f->name);
    r->last = *s;
}

/* The archive: tiny starts, mmserver is skipped, notelf is refused as not an ELF file. */
Test(spawn, archive) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    size_t size;
    uint8_t *archive = mpt_file(MPT_ARCHIVE, &size);
    uint64_t avail = mm_pool_available(&t.e.srv->pool);
    reports_t r = {0};
    cr_assert(mmp_spawn_archive(&t.p, archive, size, record, &r));
    cr_assert(t.p.started == 1 && t.p.failed == 1 && t.threads == 1);
    cr_assert(r.n == 1 && strcmp(r.name, "notelf") == 0);
    cr_assert(r.last.err == MMP_SPAWN_LOAD && r.last.load.elf == ELF64_ERR_MAGIC);
    const mmp_thread_t *th = &t.thread;
    cr_assert_eq(th->client, MMP_FIRST_CLIENT);
    cr_assert(th->name_len == 4 && memcmp(th->name, "tiny", 4) == 0);
    cr_assert_eq(th->ipc_buffer, MM_IPC_BUFFER_VA);
    cr_assert_eq(th->prio, IPC_PRIO_DEFAULT);
    cr_assert(th->entry >= 0x400000 && th->entry < 0x401000, "entry in the text");
    cr_assert_eq(th->sp % 0x100000, 0u);

    mm_query_result_t q;
    mm_conn_t *c = mpt_conn(&t, th->client);
    cr_assert_eq(mm_query(c, th->sp - 8, &q), MM_OK);
    cr_assert(q.kind == MM_KIND_LAZY && q.perm == (MM_PERM_R | MM_PERM_W) &&
              q.base + q.len == th->sp && q.len == MMP_STACK_SIZE);
    cr_assert_eq(mm_query(c, q.base - 8, NULL), MM_ERR_NOT_MAPPED, "a guard below the stack");
    cr_assert_eq(mm_query(c, MM_IPC_BUFFER_VA, &q), MM_OK);
    cr_assert(q.kind == MM_KIND_ANON && q.frame != 0 && q.len == PG);
    cr_assert_lt(mm_pool_available(&t.e.srv->pool), avail);
    mmt_said("archive: tiny started (image, stack with guard, IPC buffer), mmserver skipped, "
             "notelf refused");
    mpt_fini(&t);
    free(archive);
}

/* The kernel refuses the thread: the client is destroyed, every frame is back. */
Test(spawn, thread_refused) {
    static mpt_t t;
    mpt_init(&t, &pt_format_sv39);
    t.refuse_thread = true;
    size_t size;
    uint8_t *elf = mpt_file(MPT_TINY_RISCV64, &size);
    uint64_t avail = mm_pool_available(&t.e.srv->pool);
    mmp_spawn_t s;
    mmp_spawn(&t.p, "tiny", 4, elf, size, &s);
    cr_assert_eq(s.err, MMP_SPAWN_THREAD);
    cr_assert(!t.e.srv->client[MMP_FIRST_CLIENT].active);
    cr_assert_eq(mm_pool_available(&t.e.srv->pool), avail);
    cr_assert_eq(t.e.k.registers, t.e.k.unregisters);
    mmt_said("sv39: thread refused, client destroyed, pool as before");
    mpt_fini(&t);
    free(elf);
}

/* A program whose image sits where the IPC buffer goes: refused at the buffer's map. */
Test(spawn, buffer_taken) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    uint8_t elf[0x2000];
    memset(elf, 0, sizeof(elf));
    elf64_ehdr_t h = {.ident = "\177ELF\2\1\1",
                      .type = 2,
                      .machine = ELF64_EM_X86_64,
                      .entry = MM_IPC_BUFFER_VA,
                      .phoff = 64,
                      .phentsize = 56,
                      .phnum = 1};
    elf64_phdr_t p = {.type = ELF64_PT_LOAD,
                      .flags = ELF64_PF_R | ELF64_PF_X,
                      .offset = 0x1000,
                      .vaddr = MM_IPC_BUFFER_VA,
                      .filesz = 16,
                      .memsz = 16};
    memcpy(elf, &h, sizeof(h));
    memcpy(elf + 64, &p, sizeof(p));
    uint64_t avail = mm_pool_available(&t.e.srv->pool);
    mmp_spawn_t s;
    mmp_spawn(&t.p, "clash", 5, elf, sizeof(elf), &s);
    cr_assert(s.err == MMP_SPAWN_STACK && s.mm == MM_ERR_EXISTS);
    cr_assert_eq(mm_pool_available(&t.e.srv->pool), avail);
    mmt_said("an image over the IPC buffer: EXISTS, nothing left");
    mpt_fini(&t);
}

/* Every client id taken: the next program is refused for want of a client. */
Test(spawn, no_client_left) {
    static mpt_t t;
    mpt_init(&t, &pt_format_sv48);
    size_t size;
    uint8_t *elf = mpt_file(MPT_TINY_RISCV64, &size);
    mmp_spawn_t s;
    for (uint32_t i = MMP_FIRST_CLIENT; i < MM_MAX_CLIENTS; i++) {
        mmp_spawn(&t.p, "tiny", 4, elf, size, &s);
        cr_assert_eq(s.err, MMP_SPAWN_OK);
        cr_assert_eq(s.thread.client, i);
    }
    mmp_spawn(&t.p, "tiny", 4, elf, size, &s);
    cr_assert(s.err == MMP_SPAWN_CLIENT && s.mm == MM_ERR_NO_CLIENT);
    mmt_said("sv48: %u programs, then no client id left", MM_MAX_CLIENTS - MMP_FIRST_CLIENT);
    mpt_fini(&t);
    free(elf);
}

/* A malformed archive: false, programs before the bad member stay started. */
Test(spawn, malformed_archive) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    size_t size;
    uint8_t *archive = mpt_file(MPT_ARCHIVE, &size);
    size_t cut = 0;
    while (cut + 10 <= size && memcmp(archive + cut, "TRAILER!!!", 10) != 0) {
        cut++;
    }
    cr_assert_lt(cut + 10, size, "the archive has a trailer");
    cut -= 110; /* before the trailer's header */
    cr_assert_not(mmp_spawn_archive(&t.p, archive, cut, NULL, NULL), "no trailer");
    uint32_t started = t.p.started;
    memcpy(archive, "070702", 6);
    cr_assert_not(mmp_spawn_archive(&t.p, archive, size, NULL, NULL), "bad magic");
    cr_assert_eq(t.p.started, started);
    mmt_said("archive without trailer or with a bad header: refused");
    mpt_fini(&t);
    free(archive);
}
