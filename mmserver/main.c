/*
 * mmserver, the program: check the boot-info block the kernel left at MMBOOT_VA, take the
 * RAM window as the frame pool, start every other program of the boot archive in its own
 * client space, then serve memory requests and page faults for ever, printing each client's
 * map (mm_dump) just before its space is torn down.
 */
#include <ipc/user.h>

#include "sys.h"

static mm_server_t server; /* large (the core's tables): in .bss, not on the stack */

/* Says why a program of the archive did not start. */
static void report(void *ctx, const cpio_file_t *f, const mmp_spawn_t *s) {
    (void)ctx;
    char name[32];
    size_t n = f->name_len < sizeof(name) - 1 ? f->name_len : sizeof(name) - 1;
    for (size_t i = 0; i < n; i++) {
        name[i] = f->name[i];
    }
    name[n] = 0;
    const char *why = s->err == MMP_SPAWN_LOAD && s->load.err == MMP_LOAD_ELF
                          ? elf64_strerror(s->load.elf)
                      : s->err == MMP_SPAWN_LOAD ? mmp_load_strerror(s->load.err)
                                                 : mm_strerror(s->mm);
    ipc_printf("[mmserver] %s not started: %s\n", name, why);
}

/* mm_dump's line output: one console line. */
static void dump_line(void *ctx, const char *line) {
    (void)ctx;
    ipc_printf("%s\n", line);
}

/* Prints the map of client (mm_dump, human and machine lines: what tools/mmviz draws). */
static void dump_client(uint32_t client, const char *when) {
    if (client < MM_MAX_CLIENTS && server.client[client].active) {
        ipc_printf("[mmserver] map of client %u %s:\n", client, when);
        mm_dump(&server, client, dump_line, NULL);
    }
}

/* True when a page fault of client at addr with access (IPC_ACCESS_*) is outside every
 * region or not allowed by its region, so serving it will end the client (asked with the
 * same MM_QUERY a client could send, which changes nothing). */
static bool fault_is_wild(uint32_t client, uint64_t addr, uint32_t access) {
    uint64_t req[MM_REQ_WORDS] = {0}, reply[MM_REPLY_WORDS];
    req[MM_A_VA] = addr & ~(MM_PAGE_SIZE - 1);
    if (mm_handle(&server, client, MM_QUERY, req, reply) != MM_OK) {
        return true;
    }
    uint32_t perm = MM_Q_PERM(reply[MM_R_Q_PERM]);
    return ((access & IPC_ACCESS_READ) && !(perm & MM_PERM_R)) ||
           ((access & IPC_ACCESS_WRITE) && !(perm & MM_PERM_W)) ||
           ((access & IPC_ACCESS_EXEC) && !(perm & MM_PERM_X));
}

static uint64_t pool_at_start; /* free frames before the first program started */

/* True if some client still has an address space. */
static bool any_client_active(void) {
    for (uint32_t c = 0; c < MM_MAX_CLIENTS; c++) {
        if (server.client[c].active) {
            return true;
        }
    }
    return false;
}

/* Once every client has ended (checked before each receive, so the last end has been
 * served), says whether every frame came back: the pool's free count must equal the count
 * before the first program started. A `test` line, so a QEMU scenario run fails on a leak. */
static void check_pool_restored(void) {
    static bool said;
    if (said || any_client_active()) {
        return;
    }
    said = true;
    uint64_t now = mm_pool_available(&server.pool);
    ipc_printf("test mm_pool_restored: %s (%llu frames free at the start, %llu now)\n",
               now == pool_at_start ? "OK" : "FAILED", (unsigned long long)pool_at_start,
               (unsigned long long)now);
}

/* mmp_port_t.next around the real port (ctx: that mmp_port_t): before a client's end is served (its
 * end notice, or a page fault its regions do not allow, which kills it), prints that client's map,
 * so the console holds each space's last state before it is torn down. */
static bool dump_next(void *ctx, const mmp_msg_t *reply, mmp_msg_t *in) {
    const mmp_port_t *inner = ctx;
    check_pool_restored();
    if (!inner->next(inner->ctx, reply, in)) {
        return false;
    }
    if (in && in->label == IPC_LABEL_FAULT && in->badge < MM_MAX_CLIENTS) {
        uint32_t client = (uint32_t)in->badge;
        uint64_t info = in->w[IPC_FAULT_W_INFO];
        uint32_t kind = ipc_fault_kind(info);
        if (kind == MMPRIV_END_KIND) {
            dump_client(client, "at its end");
        } else if (kind == IPC_FAULT_PAGE && server.client[client].active &&
                   fault_is_wild(client, in->w[IPC_FAULT_W_ADDR], ipc_fault_access(info))) {
            dump_client(client, "before its wild access ends it");
        }
    }
    return true;
}

/* The server from the block: pool and format; false, and why not in *why, if it cannot. */
static bool start(const mmboot_t *b, mmp_sys_t *sys, mmp_t *p, const char **why) {
    mm_config_t cfg;
    mmp_boot_err_t berr;
    p->srv = &server;
    p->started = p->failed = 0;
    mmp_sys_kernel(sys, &p->kernel);
    berr = mmp_boot_config(b, &p->kernel.core, &cfg);
    if (berr != MMP_BOOT_OK) {
        *why = mmp_boot_strerror(berr);
        return false;
    }
    if (!mmp_sys_init(sys, b)) {
        *why = "too few free capability slots";
        return false;
    }
    mm_err_t err = mm_init(&server, &cfg);
    *why = mm_strerror(err);
    p->machine = mmp_boot_machine(b->pt_format);
    return err == MM_OK;
}

/* The program. Returns only when it cannot serve (the kernel then reports its exit). */
int main(void) {
    const mmboot_t *b = (const mmboot_t *)(uintptr_t)MMBOOT_VA;
    mmp_sys_t sys;
    mmp_t p;
    const char *why;
    if (!start(b, &sys, &p, &why)) {
        ipc_printf("[mmserver] cannot start: %s\n", why);
        return 1;
    }
    pool_at_start = mm_pool_available(&server.pool);
    if (!mmp_spawn_archive(&p, (const uint8_t *)(uintptr_t)b->archive_va, b->archive_size, report,
                           NULL)) {
        ipc_printf("[mmserver] the boot archive is malformed\n");
    }
    ipc_printf("[mmserver] %u programs started, %u refused; %llu frames free\n", p.started,
               p.failed, (unsigned long long)mm_pool_available(&server.pool));
    mmp_port_t inner;
    mmp_sys_port(&sys, &inner);
    mmp_port_t port = {&inner, dump_next}; /* each client's map before its end */
    mmp_loop(&p, &port, 0);
    ipc_printf("[mmserver] the endpoint failed\n");
    return 2;
}
