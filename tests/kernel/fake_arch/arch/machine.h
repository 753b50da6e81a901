/*
 * The host tests' machine (tests/kernel/README.md): what <arch/arch.h> needs from an
 * architecture, so that kernel files written against the arch interface (vm.c, mm_priv.c,
 * ipc_fast.c, syscall.c) compile unchanged on the host. Found through the include path
 * like arch/<arch>/include/arch/machine.h; the arch functions themselves are the recording
 * fakes of ktm_arch.c.
 *
 * Physical addresses are host addresses (ARCH_DIRECT_MAP_BASE 0): a "frame" is a 4 KiB
 * block of the host heap, and the kernel's direct map is the identity. The paging format
 * and the user half are variables, so one test can run on every libpt format.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <pt/pt.h>

extern const pt_format_t *ktm_format; /* the format of every space the kernel makes */
extern uint64_t ktm_user_top;         /* the first address past the user half */

#define ARCH_NAME            "host"
#define ARCH_PT_FORMAT       (ktm_format)
#define ARCH_DIRECT_MAP_BASE 0ull
#define ARCH_KERNEL_VOFFSET  0ull
#define ARCH_USER_TOP        (ktm_user_top)
#define ARCH_USER_STACK_TOP  (ktm_user_top - 0x100000ull)
#define ARCH_ASID_MAX        4095u

/* A thread's registers as the fakes keep them: the syscall it made and what it was told. */
typedef struct arch_regs {
    uint64_t nr;      /* syscall number */
    uint64_t arg[8];  /* its arguments (ARCH_SYSCALL_ARGS) */
    uint64_t err;     /* arch_syscall_set_result / arch_ipc_set_out: the error */
    uint64_t value;   /* arch_syscall_set_result: the value */
    uint64_t out[8];  /* arch_ipc_set_out: badge, info, words */
    unsigned results; /* times arch_syscall_set_result wrote these registers */
    unsigned outs;    /* times arch_ipc_set_out did */
} arch_regs_t;

/* A root: its top table and its address-space id, as arch_root_init set them. */
typedef struct arch_root {
    uint64_t pa;
    uint16_t asid;
} arch_root_t;
