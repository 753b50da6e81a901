/*
 * mmserver, the program: check the boot-info block the kernel left at MMBOOT_VA, take the
 * RAM window as the frame pool, start the root program (the first member of the boot
 * archive after mmserver), then serve memory requests, page faults and the root's
 * MM_SPAWN / MM_CHILD for ever, naming each program on the console and printing each
 * client's map (mm_dump) just before its space is torn down.
 */
#include <ipc/user.h>

#include "sys.h"

static mm_server_t server; /* large (the core's tables): in .bss, not on the stack */
static mmp_t proc;         /* the process side: root, programs' names, end records */
static mmp_sys_t sys;

/* Why a program did not start, in words. */
static const char *spawn_why(const mmp_spawn_t *s) {
    if (s->err == MMP_SPAWN_LOAD && s->load.err == MMP_LOAD_ELF) {
        return elf64_strerror(s->load.elf);
    }
    return s->err == MMP_SPAWN_LOAD ? mmp_load_strerror(s->load.err) : mm_strerror(s->mm);
}

/* mm_dump's line output: one console line. */
static void dump_line(void *ctx, const char *line) {
    (void)ctx;
    ipc_printf("%s\n", line);
}

/* Prints the map of client (its name for tools/mmviz, then mm_dump's human and machine
 * lines). */
static void dump_client(uint32_t client, const char *when) {
    if (mm_client(&server, client)) {
        const char *name = mmp_name(&proc, client);
        ipc_printf("[mmserver] map of %s (client %u) %s:\n", name, client, when);
        ipc_printf("mmdump 0x%x name %s\n", client, name);
        mm_dump(&server, client, dump_line, NULL);
    }
}

/* True when serving a page fault of client at addr with access (IPC_ACCESS_*) will end
 * the client: the core's own judgement, which changes nothing and costs one region lookup
 * (every page fault asks it, so not a whole MM_QUERY). */
static bool fault_is_wild(uint32_t client, uint64_t addr, uint32_t access) {
    return mm_fault_reason(&server, client, addr, access) != MM_KILL_NONE;
}

/* A fault's one console line (issue 16): `[mmserver] NAME: write to ADDR (REGION) at PC`
 * for a page fault, `[mmserver] NAME: WHAT at PC` for any other; tools/run-demo.sh puts the
 * symbol and line of PC there from the program's ELF (its pattern: NAME, a colon, the
 * text, then `at 0x...` last). */
static void say_fault(const char *name, const mmp_child_t *how) {
    static const char *const kinds[IPC_FAULT_COUNT_] = {
        "killed",           "page fault", "privileged instruction", "illegal instruction",
        "arithmetic fault", "breakpoint", "misaligned access",      "fault",
    };
    unsigned long long pc = how->pc, addr = how->addr;
    if (how->kind != IPC_FAULT_PAGE) {
        ipc_printf("[mmserver] %s: %s at 0x%llx\n", name,
                   how->kind < IPC_FAULT_COUNT_ ? kinds[how->kind] : "fault", pc);
        return;
    }
    const char *verb = how->access & IPC_ACCESS_EXEC    ? "execute at"
                       : how->access & IPC_ACCESS_WRITE ? "write to"
                                                        : "read from";
    if (!how->region_len) {
        ipc_printf("[mmserver] %s: %s 0x%llx (%s) at 0x%llx\n", name, verb, addr,
                   how->status == MM_KILL_RANGE ? "outside the user window" : "no region", pc);
        return;
    }
    uint32_t perm = how->region_perm;
    ipc_printf("[mmserver] %s: %s 0x%llx (region 0x%llx-0x%llx %c%c%c) at 0x%llx\n", name, verb,
               addr, (unsigned long long)how->region_base,
               (unsigned long long)(how->region_base + how->region_len),
               perm & MM_PERM_R ? 'r' : '-', perm & MM_PERM_W ? 'w' : '-',
               perm & MM_PERM_X ? 'x' : '-', pc);
}

/* mmp_t.ended: one console line per end, naming the program. */
static void say_end(void *ctx, uint32_t client, const mmp_child_t *how) {
    (void)ctx;
    const char *name = mmp_name(&proc, client);
    const char *who = client == proc.root ? "the root program " : "";
    if (how->state == MM_CHILD_EXITED) {
        ipc_printf("[mmserver] %s%s (client %u) exited with status %llu\n", who, name, client,
                   (unsigned long long)how->status);
    } else if (how->status == MM_KILL_THREAD) {
        ipc_printf("[mmserver] %s%s (client %u) was killed through its thread capability\n", who,
                   name, client);
    } else {
        say_fault(name, how);
    }
}

/* Once every program the root started has ended and the root has read how (servers still
 * running excepted; checked before each receive, so before the reply that gave the last
 * end), says whether every frame came back: a `test` line, so a QEMU scenario run fails
 * on a leak (the runner waits for that reply before it judges and halts). */
static void check_pool_restored(void) {
    uint64_t now, want;
    mmp_pool_verdict_t v = mmp_pool_check(&proc, &now, &want);
    if (v == MMP_POOL_WAIT) {
        return;
    }
    ipc_printf("test mm_pool_restored: %s (%llu frames free before the root started, %llu "
               "now, %llu expected with the running programs' charge)\n",
               v == MMP_POOL_OK ? "OK" : "FAILED", (unsigned long long)proc.pool_start,
               (unsigned long long)now, (unsigned long long)want);
}

/* mmp_port_t.next around the real port (ctx: that mmp_port_t): before a client's end is
 * served (its end notice, a fault that is not a page fault, or a page fault its regions do
 * not allow, which kills it), prints that client's map, so the console holds each space's
 * last state before it is torn down. */
static bool dump_next(void *ctx, const mmp_msg_t *reply, mmp_msg_t *in) {
    const mmp_port_t *inner = ctx;
    check_pool_restored();
    if (!inner->next(inner->ctx, reply, in)) {
        return false;
    }
    if (in && in->label == IPC_LABEL_FAULT && in->badge < MM_CLIENT_ID_LIMIT) {
        uint32_t client = (uint32_t)in->badge;
        uint64_t info = in->w[IPC_FAULT_W_INFO];
        uint32_t kind = ipc_fault_kind(info);
        if (kind == MMPRIV_END_KIND) {
            dump_client(client, "at its end");
        } else if (kind != IPC_FAULT_PAGE) {
            dump_client(client, "before its fault ends it");
        } else if (mm_client(&server, client) &&
                   fault_is_wild(client, in->w[IPC_FAULT_W_ADDR], ipc_fault_access(info))) {
            dump_client(client, "before its wild access ends it");
        }
    }
    return true;
}

/* The server from the block: pool and format; false, and why not in *why, if it cannot. */
static bool start(const mmboot_t *b, const char **why) {
    mm_config_t cfg;
    mmp_kernel_t kernel;
    mmp_sys_kernel(&sys, &kernel);
    mmp_boot_err_t berr = mmp_boot_config(b, &kernel.core, &cfg);
    if (berr != MMP_BOOT_OK) {
        *why = mmp_boot_strerror(berr);
        return false;
    }
    if (!mmp_sys_init(&sys, b)) {
        *why = "too few free capability slots";
        return false;
    }
    cfg.zero_pages = ipc_zero_pages; /* the machine's own way (arch/<arch>/user/mem.S) */
    mm_err_t err = mm_init(&server, &cfg);
    *why = mm_strerror(err);
    mmp_init(&proc, &server, &kernel, mmp_boot_machine(b->pt_format),
             (const uint8_t *)(uintptr_t)b->archive_va, b->archive_size);
    proc.ended = say_end;
    sys.p = &proc;
    return err == MM_OK;
}

/* The program. Returns only when it cannot serve (the kernel then reports its exit); a
 * root that cannot start stops the machine with status 1. */
int main(void) {
    const mmboot_t *b = (const mmboot_t *)(uintptr_t)MMBOOT_VA;
    const char *why;
    if (!start(b, &why)) {
        ipc_printf("[mmserver] cannot start: %s\n", why);
        return 1;
    }
    mmp_spawn_t s;
    mmp_start_root(&proc, &s);
    if (s.err != MMP_SPAWN_OK) {
        ipc_printf("[mmserver] the root program did not start: %s; stopping\n", spawn_why(&s));
        ipc_syscall(IPC_SYS_HALT, b->slot_halt, 1, 0, 0, 0, 0);
        return 1;
    }
    ipc_printf("[mmserver] root program %s (client %u) started; %llu frames free\n",
               mmp_name(&proc, proc.root), proc.root,
               (unsigned long long)mm_pool_available(&server.pool));
    mmp_port_t inner;
    mmp_sys_port(&sys, &inner);
    mmp_port_t port = {&inner, dump_next}; /* each client's map before its end */
    mmp_loop(&proc, &port, 0);
    ipc_printf("[mmserver] the endpoint failed\n");
    return 2;
}
