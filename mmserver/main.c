/*
 * mmserver, the program: check the boot-info block the kernel left at MMBOOT_VA, take the
 * RAM window as the frame pool, start every other program of the boot archive in its own
 * client space, then serve memory requests and page faults for ever.
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

/* Prints the map of every client started so far (mm_dump, human and machine lines: what
 * tools/mmviz draws). */
static void dump_clients(void) {
    for (uint32_t c = 1; c < MM_MAX_CLIENTS; c++) {
        mm_dump(&server, c, dump_line, NULL); /* MM_ERR_NO_CLIENT: nobody has id c */
    }
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
    if (!mmp_spawn_archive(&p, (const uint8_t *)(uintptr_t)b->archive_va, b->archive_size, report,
                           NULL)) {
        ipc_printf("[mmserver] the boot archive is malformed\n");
    }
    ipc_printf("[mmserver] %u programs started, %u refused; %llu frames free\n", p.started,
               p.failed, (unsigned long long)mm_pool_available(&server.pool));
    dump_clients();
    mmp_port_t port;
    mmp_sys_port(&sys, &port);
    mmp_loop(&p, &port, 0);
    ipc_printf("[mmserver] the endpoint failed\n");
    return 2;
}
