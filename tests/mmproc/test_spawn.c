/*
 * Program start: the programs of a real boot archive (packed by the cpio tool) are its
 * members but mmserver, in order; one that starts gets a client space, its image, a stack
 * and an IPC buffer, and the kernel is asked for its thread; what cannot start leaves
 * nothing behind.
 */
#include "mpt.h"

#include <stdio.h>
#include <string.h>

/* The archive's programs in order, mmserver not among them: notelf is program 0 (the
 * root), so the root does not start: INVAL (not a program), nothing left behind. Program 1
 * (tiny) starts with space, image, stack with guard and IPC buffer. */
Test(spawn, archive) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    size_t size;
    uint8_t *archive = mpt_file(MPT_ARCHIVE, &size);
    t.p.archive = archive;
    t.p.archive_len = size;
    cpio_file_t f;
    cr_assert_eq(mmp_program(archive, size, 0, &f), CPIO_FILE);
    cr_assert(f.name_len == 6 && memcmp(f.name, "notelf", 6) == 0, "mmserver is no program");
    cr_assert_eq(mmp_program(archive, size, 1, &f), CPIO_FILE);
    cr_assert(f.name_len == 4 && memcmp(f.name, "tiny", 4) == 0);
    cr_assert_eq(mmp_program(archive, size, 2, &f), CPIO_END);
    uint64_t avail = mm_pool_available(&t.e.srv->pool);
    mmp_spawn_t s;
    mmp_start_root(&t.p, &s);
    cr_assert(s.err == MMP_SPAWN_LOAD && s.load.elf == ELF64_ERR_MAGIC);
    cr_assert_eq(mmp_spawn_mm_err(&s), MM_ERR_INVAL, "not a program: INVAL");
    cr_assert(t.p.root == 0 && t.threads == 0 && mm_pool_available(&t.e.srv->pool) == avail);

    mmp_program(archive, size, 1, &f);
    mmp_spawn(&t.p, f.name, f.name_len, f.data, f.size, MMP_GIVE_NONE, false, MMP_QUOTA, &s);
    cr_assert_eq(s.err, MMP_SPAWN_OK);
    cr_assert_eq(t.threads, 1u);
    const mmp_thread_t *th = &t.thread;
    cr_assert_eq(th->client, MMP_FIRST_CLIENT);
    cr_assert(th->name_len == 4 && memcmp(th->name, "tiny", 4) == 0);
    cr_assert_eq(th->name_words[0], 0x796e6974ull, "\"tiny\" packed little-endian");
    cr_assert_str_eq(mmp_name(&t.p, th->client), "tiny");
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
    mmt_said("archive: programs in order without mmserver; notelf as root refused (INVAL, "
             "nothing left); tiny started (name, image, stack with guard, IPC buffer)");
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
    mmp_spawn(&t.p, "tiny", 4, elf, size, MMP_GIVE_NONE, false, MMP_QUOTA, &s);
    cr_assert_eq(s.err, MMP_SPAWN_THREAD);
    cr_assert_eq(mmp_spawn_mm_err(&s), MM_ERR_NOMEM);
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
    mmp_spawn(&t.p, "clash", 5, elf, sizeof(elf), MMP_GIVE_NONE, false, MMP_QUOTA, &s);
    cr_assert(s.err == MMP_SPAWN_STACK && s.mm == MM_ERR_EXISTS);
    cr_assert_eq(mm_pool_available(&t.e.srv->pool), avail);
    mmt_said("an image over the IPC buffer: EXISTS, nothing left");
    mpt_fini(&t);
}

/* Far more programs than the first client table holds: the tables grow, each program gets
 * the lowest free id, a freed id is given again first, and every record is there. */
Test(spawn, many_programs_grow_the_tables) {
    static mpt_t t;
    mpt_init(&t, &pt_format_sv48);
    size_t size;
    uint8_t *elf = mpt_file(MPT_TINY_RISCV64, &size);
    mmp_spawn_t s;
    const uint32_t n = 100; /* the tables double from 16 to 32, 64 and 128 records */
    for (uint32_t i = MMP_FIRST_CLIENT; i <= n; i++) {
        mmp_spawn(&t.p, "tiny", 4, elf, size, MMP_GIVE_NONE, false, MMP_QUOTA, &s);
        cr_assert_eq(s.err, MMP_SPAWN_OK, "program %u", i);
        cr_assert_eq(s.thread.client, i);
    }
    cr_assert_geq(t.e.srv->clients, n + 1, "the client table grew");
    cr_assert_geq(t.p.names, n + 1, "the name table grew");
    for (uint32_t i = MMP_FIRST_CLIENT; i <= n; i++) {
        cr_assert(mm_client(t.e.srv, i) != NULL, "client %u survived the moves", i);
        cr_assert_str_eq(mmp_name(&t.p, i), "tiny");
    }
    cr_assert_eq(mm_client_destroy(t.e.srv, 77), MM_OK);
    mmp_spawn(&t.p, "tiny", 4, elf, size, MMP_GIVE_NONE, false, MMP_QUOTA, &s);
    cr_assert_eq(s.thread.client, 77, "the freed id first");
    mmt_check(&t.e);
    mmt_said("sv48: %u programs alive, tables of %llu records; a freed id reused first", n,
             (unsigned long long)t.e.srv->clients);
    mpt_fini(&t);
    free(elf);
}

/* A malformed archive: the programs before the bad member are found, then CPIO_BAD. */
Test(spawn, malformed_archive) {
    size_t size;
    uint8_t *archive = mpt_file(MPT_ARCHIVE, &size);
    size_t cut = 0;
    while (cut + 10 <= size && memcmp(archive + cut, "TRAILER!!!", 10) != 0) {
        cut++;
    }
    cr_assert_lt(cut + 10, size, "the archive has a trailer");
    cut -= 110; /* before the trailer's header */
    cpio_file_t f;
    cr_assert_eq(mmp_program(archive, cut, 1, &f), CPIO_FILE, "tiny, before the cut");
    cr_assert_eq(mmp_program(archive, cut, 2, &f), CPIO_BAD, "no trailer");
    memcpy(archive, "070702", 6);
    cr_assert_eq(mmp_program(archive, size, 0, &f), CPIO_BAD, "bad magic");
    mmt_said("archive without trailer or with a bad header: CPIO_BAD after the good members");
    free(archive);
}
