/*
 * The root program (ipc/mm.h, "the root program"): mmserver starts the first program of the
 * archive itself; only it may ask MM_SPAWN and MM_CHILD; spawning passes the endpoint on
 * and leaves nothing behind on an error; every end of a program it started is recorded,
 * given once, and keeps its client id from reuse until then; the frame check waits for
 * the root's programs. The archive (root.cpio): mmserver, mroot, ping, plain (not an ELF
 * file), pong.
 */
#include "mpt.h"

#include <stdlib.h>
#include <string.h>

/* t over the root archive with the root started (client 1); *archive to free. */
static void root_init(mpt_t *t, uint8_t **archive) {
    mpt_init(t, &pt_format_x86_64);
    size_t size;
    *archive = mpt_file(MPT_ROOT_ARCHIVE, &size);
    t->p.archive = *archive;
    t->p.archive_len = size;
    mmp_spawn_t s;
    mmp_start_root(&t->p, &s);
    cr_assert_eq(s.err, MMP_SPAWN_OK);
    cr_assert_eq(t->p.root, MMP_FIRST_CLIENT);
    cr_assert(t->thread.root && t->thread.give == MMP_GIVE_NONE, "the root's thread");
    cr_assert_eq(t->thread.server_rights, IPC_RIGHT_SEND | IPC_RIGHT_GRANT, "the root: grant");
    cr_assert_str_eq(mmp_name(&t->p, t->p.root), "mroot");
}

/* Only the root may ask MM_SPAWN and MM_CHILD; before a root exists nobody may. */
Test(root, only_the_root) {
    static mpt_t t;
    mpt_init(&t, &pt_format_x86_64);
    mmt_client(&t.e, 1, MMT_QUOTA, false);
    cr_assert_eq(mm_spawn(mpt_conn(&t, 1), 0, 0, IPC_SLOT_NONE, NULL), MM_ERR_DENIED,
                 "no root yet");
    mpt_fini(&t);

    uint8_t *archive;
    root_init(&t, &archive);
    mm_spawn_result_t r;
    cr_assert_eq(mm_spawn(mpt_conn(&t, 1), 0, 0, IPC_SLOT_NONE, &r), MM_OK);
    cr_assert_eq(r.client, 2u);
    cr_assert_eq(mm_spawn(mpt_conn(&t, 2), 1, 0, IPC_SLOT_NONE, NULL), MM_ERR_DENIED);
    cr_assert_eq(mm_child(mpt_conn(&t, 2), 2, NULL), MM_ERR_DENIED);
    cr_assert_eq(mm_child(mpt_conn(&t, 0), 2, NULL), MM_ERR_DENIED, "badge 0");
    cr_assert_eq(mm_child(mpt_conn(&t, 1ull << 40), 2, NULL), MM_ERR_DENIED);
    cr_assert_eq(t.threads, 2u, "nothing started by the refused requests");
    cr_assert_eq(mmt_req(&t.e, 1, MM_SPAWN, 0, 0, 0, 0, 0, 0), MM_ERR_INVAL,
                 "the core alone does not serve MM_SPAWN");
    mmt_said("MM_SPAWN / MM_CHILD: DENIED before the root exists, to other clients, badge 0, "
             "unknown badges; the core alone says INVAL");
    mpt_fini(&t);
    free(archive);
}

/* MM_SPAWN: programs by index with their names, the endpoint given as asked; every error
 * typed and leaving pool, clients and threads as they were. */
Test(root, spawn) {
    static mpt_t t;
    uint8_t *archive;
    root_init(&t, &archive);
    mm_conn_t *root = mpt_conn_cap(&t, 1);
    mm_spawn_result_t r;
    cr_assert_eq(mm_spawn(root, 0, 0, IPC_CAP_ENDPOINT, &r), MM_OK);
    cr_assert(r.client == 2 && r.name_len == 4 && strcmp(r.name, "ping") == 0, "%u %s", r.client,
              r.name);
    cr_assert(t.thread.give == MMP_GIVE_CLIENT && !t.thread.root);
    cr_assert_eq(t.thread.server_rights, IPC_RIGHT_SEND, "others: send only");
    cr_assert(t.thread.boot_rights == (IPC_RIGHT_SEND | IPC_RIGHT_GRANT) &&
                  t.thread.boot_badge == 2,
              "the endpoint badged with the client id, send and grant");
    cr_assert_str_eq(mmp_name(&t.p, 2), "ping");

    uint64_t avail = mm_pool_available(&t.e.srv->pool);
    uint32_t threads = t.threads;
    cr_assert_eq(mm_spawn(root, 1, 0, IPC_SLOT_NONE, NULL), MM_ERR_INVAL, "plain: not an ELF");
    cr_assert_eq(mm_spawn(root, 3, 0, IPC_SLOT_NONE, NULL), MM_ERR_NO_PROGRAM);
    cr_assert_eq(mm_spawn(root, 0xffffffffu, 0, IPC_SLOT_NONE, NULL), MM_ERR_NO_PROGRAM);
    cr_assert_eq(mm_spawn(root, 2, MM_SPAWN_F_ALL + 1, IPC_CAP_ENDPOINT, NULL), MM_ERR_INVAL,
                 "unknown flag");
    cr_assert_eq(mm_spawn(root, 2, MM_SPAWN_SERVE, IPC_SLOT_NONE, NULL), MM_ERR_INVAL,
                 "SERVE without an endpoint");
    cr_assert_eq(mm_spawn(root, 2, 0, IPC_CAP_THREAD, NULL), MM_ERR_INVAL, "not an endpoint");
    t.refuse_thread = true;
    cr_assert_eq(mm_spawn(root, 2, 0, IPC_SLOT_NONE, NULL), MM_ERR_NOMEM, "kernel refuses");
    t.refuse_thread = false;
    cr_assert_eq(mm_spawn(mpt_conn(&t, 1), 2, 0, IPC_CAP_ENDPOINT, NULL), MM_ERR_IPC,
                 "an endpoint without the grant right");
    cr_assert_eq(mm_spawn(root, 2, 0, IPC_CAP_SLOTS_MAX, NULL), MM_ERR_IPC, "no such slot");
    cr_assert_eq(root->ipc_err, IPC_ERR_INVALID_ARGUMENT);
    cr_assert(mm_pool_available(&t.e.srv->pool) == avail && t.threads == threads);
    cr_assert(!t.e.srv->client[3].active && !t.p.child[3].watched, "nothing left behind");
    cr_assert_eq(t.p.failed, 2u, "plain and the refused thread: loads that failed");

    root = mpt_conn_cap(&t, 1); /* mpt_conn(&t, 1) above took the capability path away */
    cr_assert_eq(mm_spawn(root, 2, MM_SPAWN_SERVE, IPC_CAP_ENDPOINT, &r), MM_OK);
    cr_assert(r.client == 3 && strcmp(r.name, "pong") == 0);
    cr_assert(t.thread.give == MMP_GIVE_SERVE);
    cr_assert(t.thread.boot_rights == IPC_RIGHTS_ALL && t.thread.boot_badge == 0,
              "a server gets every right, no badge");
    cr_assert_eq(mm_spawn(root, 0, 0, IPC_SLOT_NONE, &r), MM_OK, "a program twice");
    cr_assert(r.client == 4 && t.thread.give == MMP_GIVE_NONE);
    cr_assert_eq(t.e.srv->client[4].quota, MMP_QUOTA, "the default quota");
    cr_assert_eq(mm_spawn(root, 0, MM_SPAWN_RAM, IPC_SLOT_NONE, &r), MM_OK, "all of RAM");
    cr_assert_eq(t.e.srv->client[r.client].quota, t.e.srv->pool.frames,
                 "MM_SPAWN_RAM: a quota of every frame of the pool");
    mmt_said("MM_SPAWN: ping, pong by index with names and endpoints; INVAL (not ELF, flags, "
             "SERVE without endpoint, not an endpoint), NO_PROGRAM, NOMEM (thread), nothing "
             "left; MMP_QUOTA by default, the whole pool with MM_SPAWN_RAM");
    mpt_fini(&t);
    free(archive);
}

/* MM_PROGRAM: a program's name by index, nothing started; root only. */
Test(root, program_names) {
    static mpt_t t;
    uint8_t *archive;
    root_init(&t, &archive);
    mm_conn_t *root = mpt_conn(&t, 1);
    uint64_t avail = mm_pool_available(&t.e.srv->pool);
    mm_spawn_result_t r;
    const char *want[] = {"ping", "plain", "pong"};
    for (uint32_t i = 0; i < 3; i++) {
        memset(&r, 0x55, sizeof(r));
        cr_assert_eq(mm_program(root, i, &r), MM_OK);
        cr_assert(r.client == 0 && r.name_len == strlen(want[i]) && !strcmp(r.name, want[i]),
                  "program %u: %s", i, r.name);
    }
    cr_assert_eq(mm_program(root, 3, NULL), MM_ERR_NO_PROGRAM);
    cr_assert_eq(mm_program(root, 0xffffffffu, NULL), MM_ERR_NO_PROGRAM);
    cr_assert_eq(mm_pool_available(&t.e.srv->pool), avail, "no frame taken");
    mmt_client(&t.e, 5, MMT_QUOTA, false);
    cr_assert_eq(mm_program(mpt_conn(&t, 5), 0, NULL), MM_ERR_DENIED);
    cr_assert_eq(t.threads, 1u, "the root's thread only");
    cr_assert_eq(t.p.started, 0u, "nothing started");
    mmt_said("MM_PROGRAM: ping, plain, pong by index without starting them; NO_PROGRAM past "
             "the last; DENIED to another client");
    mpt_fini(&t);
    free(archive);
}

/* Each program's end, recorded and given once: exit status, killed through its thread
 * capability, a page fault mmserver cannot serve, another fault. Until read, the id is not
 * reused. */
Test(root, end_records) {
    static mpt_t t;
    uint8_t *archive;
    root_init(&t, &archive);
    mm_conn_t *root = mpt_conn_cap(&t, 1);
    for (unsigned i = 0; i < 4; i++) {
        cr_assert_eq(mm_spawn(root, 0, 0, IPC_SLOT_NONE, NULL), MM_OK); /* clients 2..5 */
    }
    mm_child_result_t c;
    cr_assert_eq(mm_child(root, 2, &c), MM_OK);
    cr_assert_eq(c.state, MM_CHILD_RUNNING);
    cr_assert_eq(mm_child(root, 1, NULL), MM_ERR_NO_CLIENT, "the root is nobody's child");
    cr_assert_eq(mm_child(root, 9, NULL), MM_ERR_NO_CLIENT, "never started");
    cr_assert_eq(mm_child(root, 1u << 31, NULL), MM_ERR_NO_CLIENT);

    cr_assert_eq(mpt_end(&t, 2, 7, MMPRIV_END_EXIT), MMP_NOTHING);
    cr_assert_eq(mpt_end(&t, 3, 0, MMPRIV_END_KILLED), MMP_NOTHING);
    mmp_msg_t out;
    cr_assert_eq(mpt_fault(&t, 4, IPC_FAULT_PAGE, IPC_ACCESS_WRITE, 0x7000, &out), MMP_NOTHING);
    cr_assert_eq(mpt_fault(&t, 5, IPC_FAULT_ILLEGAL, 0, 0, &out), MMP_NOTHING);
    cr_assert_eq(t.ends, 4u);
    cr_assert_eq(t.releases, 2u, "the two ended threads' capabilities released");
    cr_assert_eq(t.e.k.kills, 2u, "mmserver killed the two faulting ones");

    mm_spawn_result_t r;
    cr_assert_eq(mm_spawn(root, 0, 0, IPC_SLOT_NONE, &r), MM_OK);
    cr_assert_eq(r.client, 6u, "ids with unread ends are not reused");

    cr_assert_eq(mm_child(root, 2, &c), MM_OK);
    cr_assert(c.state == MM_CHILD_EXITED && c.status == 7);
    cr_assert_eq(mm_child(root, 2, NULL), MM_ERR_NO_CLIENT, "given once");
    cr_assert_eq(mm_child(root, 3, &c), MM_OK);
    cr_assert(c.state == MM_CHILD_KILLED && c.status == MM_KILL_THREAD && c.kind == IPC_FAULT_NONE);
    cr_assert_eq(mm_child(root, 4, &c), MM_OK);
    cr_assert(c.state == MM_CHILD_KILLED && c.status == MM_KILL_RANGE && c.kind == IPC_FAULT_PAGE,
              "state %u status %llu kind %u", c.state, (unsigned long long)c.status, c.kind);
    cr_assert(c.access == IPC_ACCESS_WRITE && c.addr == 0x7000 && c.pc == 0x401000);
    cr_assert_eq(mm_child(root, 5, &c), MM_OK);
    cr_assert(c.state == MM_CHILD_KILLED && c.status == MM_KILL_FAULT &&
              c.kind == IPC_FAULT_ILLEGAL && c.pc == 0x401000);
    cr_assert_eq(mm_spawn(root, 0, 0, IPC_SLOT_NONE, &r), MM_OK);
    cr_assert_eq(r.client, 2u, "a read id is free again");

    cr_assert_eq(mpt_end(&t, 1, 3, MMPRIV_END_EXIT), MMP_NOTHING);
    cr_assert(t.ends == 5 && t.last_end == 1 && t.last_how.status == 3, "the root's end is told");
    cr_assert_eq(mm_child(mpt_conn(&t, 1), 6, NULL), MM_ERR_DENIED, "the root is gone");
    mmt_said("end records: exit 7, killed by capability, page fault (RANGE, write, address, "
             "pc), illegal instruction (FAULT); each given once; ids kept until read");
    mpt_fini(&t);
    free(archive);
}

/* Spoiled names are refused before anything is built; long names are cut at 31 bytes. */
Test(root, names) {
    static mpt_t t;
    mpt_init(&t, &pt_format_sv48);
    size_t size;
    uint8_t *elf = mpt_file(MPT_TINY_RISCV64, &size);
    uint64_t avail = mm_pool_available(&t.e.srv->pool);
    mmp_spawn_t s;
    mmp_spawn(&t.p, "bad\tname", 8, elf, size, MMP_GIVE_NONE, false, MMP_QUOTA, &s);
    cr_assert(s.err == MMP_SPAWN_NAME && mmp_spawn_mm_err(&s) == MM_ERR_INVAL);
    mmp_spawn(&t.p, "", 0, elf, size, MMP_GIVE_NONE, false, MMP_QUOTA, &s);
    cr_assert_eq(s.err, MMP_SPAWN_NAME, "an empty name");
    cr_assert(mm_pool_available(&t.e.srv->pool) == avail && t.threads == 0);
    const char *longname = "a_program_name_of_forty_bytes_long_xxxxx";
    mmp_spawn(&t.p, longname, strlen(longname), elf, size, MMP_GIVE_NONE, false, MMP_QUOTA, &s);
    cr_assert_eq(s.err, MMP_SPAWN_OK);
    cr_assert_eq(s.thread.name_len, MMPRIV_NAME_MAX);
    cr_assert_eq(s.thread.name_words[3] >> 56, 0u, "the 32nd byte is the NUL");
    cr_assert_eq((char)(s.thread.name_words[3] >> 48), longname[30]);
    cr_assert_eq(strlen(mmp_name(&t.p, s.thread.client)), MMPRIV_NAME_MAX);
    cr_assert_str_eq(mmp_name(&t.p, 9), "?");
    uint64_t w[MMP_NAME_WORDS];
    cr_assert_eq(mmp_name_pack("ping", 4, w), 4u);
    cr_assert(w[0] == 0x676e6970ull && w[1] == 0 && w[3] == 0);
    mmt_said("names: control byte and empty refused (INVAL, nothing built), 40 bytes cut "
             "at 31 with the NUL last, packing little-endian");
    mpt_fini(&t);
    free(elf);
}

/* The frame check waits for the root's programs (servers excepted), says OK once every
 * frame is back, once, and LEAK when frames are missing. */
Test(root, pool_check) {
    static mpt_t t;
    uint8_t *archive;
    root_init(&t, &archive);
    mm_conn_t *root = mpt_conn_cap(&t, 1);
    uint64_t now, want;
    cr_assert_eq(mmp_pool_check(&t.p, &now, &want), MMP_POOL_WAIT, "nothing started yet");
    cr_assert_eq(mm_spawn(root, 2, MM_SPAWN_SERVE, IPC_CAP_ENDPOINT, NULL), MM_OK); /* pong 2 */
    cr_assert_eq(mmp_pool_check(&t.p, &now, &want), MMP_POOL_WAIT, "a server alone: not yet");
    cr_assert_eq(mm_spawn(root, 0, 0, IPC_SLOT_NONE, NULL), MM_OK); /* ping 3 */
    cr_assert_eq(mm_map(mpt_conn(&t, 3), MMT_VA, 8 * PG, MM_PERM_R | MM_PERM_W, 0, NULL), MM_OK);
    cr_assert_eq(mm_map(mpt_conn(&t, 2), MMT_VA, 4 * PG, MM_PERM_R, 0, NULL), MM_OK);
    cr_assert_eq(mmp_pool_check(&t.p, &now, &want), MMP_POOL_WAIT, "ping runs");
    cr_assert_eq(mpt_end(&t, 3, 0, MMPRIV_END_EXIT), MMP_NOTHING);
    cr_assert_eq(mmp_pool_check(&t.p, &now, &want), MMP_POOL_WAIT, "its end is not read");
    cr_assert_eq(mm_child(root, 3, NULL), MM_OK);
    cr_assert_eq(mmp_pool_check(&t.p, &now, &want), MMP_POOL_OK, "now %llu want %llu",
                 (unsigned long long)now, (unsigned long long)want);
    cr_assert_lt(now, t.p.pool_start, "the root and pong still hold frames");
    cr_assert_eq(mmp_pool_check(&t.p, &now, &want), MMP_POOL_WAIT, "said once");

    cr_assert_eq(mm_spawn(root, 0, 0, IPC_SLOT_NONE, NULL), MM_OK); /* ping 3 again */
    cr_assert_eq(mpt_end(&t, 3, 0, MMPRIV_END_EXIT), MMP_NOTHING);
    cr_assert_eq(mm_child(root, 3, NULL), MM_OK);
    t.e.srv->pool.reserved++; /* a frame promised to nobody: as good as lost */
    cr_assert_eq(mmp_pool_check(&t.p, &now, &want), MMP_POOL_LEAK);
    cr_assert_eq(now + 1, want);
    t.e.srv->pool.reserved--;
    mmt_said("pool check: not armed by a server alone, waits for running and unread "
             "programs, OK with a server running, once, LEAK for one frame missing");
    mpt_fini(&t);
    free(archive);
}

/* Issue 14, hole 3: a program whose page fault mmserver filled earlier and that is later
 * killed through its thread capability ended by that kill, not by the old fault: its record
 * says MM_KILL_THREAD with no fault kind. */
Test(root, kill_after_a_served_fault_is_not_that_fault) {
    static mpt_t t;
    uint8_t *archive;
    root_init(&t, &archive);
    mm_conn_t *root = mpt_conn_cap(&t, 1);
    mm_spawn_result_t r;
    cr_assert_eq(mm_spawn(root, 0, 0, IPC_SLOT_NONE, &r), MM_OK);
    uint64_t top = (t.e.srv->user_top - MMP_STACK_GAP) & ~(0x100000ull - 1);
    mmp_msg_t out;
    cr_assert_eq(mpt_fault(&t, r.client, IPC_FAULT_PAGE, IPC_ACCESS_WRITE, top - 8, &out),
                 MMP_REPLY, "a stack page filled on demand: the thread resumes");
    cr_assert_eq(mpt_end(&t, r.client, 0, MMPRIV_END_KILLED), MMP_NOTHING);
    mm_child_result_t c;
    cr_assert_eq(mm_child(root, r.client, &c), MM_OK);
    cr_assert(c.state == MM_CHILD_KILLED && c.status == MM_KILL_THREAD && c.kind == IPC_FAULT_NONE,
              "state %u status %llu kind %u: the served fault is not the cause", c.state,
              (unsigned long long)c.status, c.kind);
    mmt_said("a kill through the thread capability after a served page fault is told as that "
             "kill (MM_KILL_THREAD, no fault kind)");
    mpt_fini(&t);
    free(archive);
}
