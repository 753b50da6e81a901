/*
 * The privileged calls mmserver asks the kernel for (issue 6, proposed: the kernel side
 * implements them, see mmserver/BOOT.md). Each takes, as its first argument, the slot of
 * the memory capability, which the kernel gives to mmserver alone at boot
 * (mmboot_t.slot_memory); any other caller gets IPC_ERR_WRONG_CAP / IPC_ERR_INVALID_CAP.
 *
 * Address spaces are named by mmserver's client id (1 .. MMPRIV_SPACE_IDS - 1), the same
 * number it badges that client's endpoint capabilities with. Threads are named by a thread
 * capability in a slot of mmserver's table.
 *
 * Numbers continue ipc/abi.h's scheme in a range of their own, above the IPC calls of
 * ipc/ipc.h (checked below), so both can grow; never reused.
 */
#pragma once

#include <stdint.h>

#include <ipc/ipc.h>

enum mmpriv_sys {
    MMPRIV_SYS_FIRST = 48,
    /* (mem, space, root_pa, kmem): binds the root table at root_pa to space. The kernel checks
     * that the frame lies in mmserver's pool (and is not the pool's metadata), that space
     * has no root, then copies its own upper-half top-level entries into the frame: the
     * only kernel write into a user table. kmem is the most bytes of kernel objects the
     * process may hold (its space record, threads, capability table, the endpoints it
     * makes), all made from the frames mmserver donated (MMPRIV_SYS_KMEM_GIVE); 0 means
     * MMPRIV_KMEM_DEFAULT. IPC_ERR_NO_MEMORY when no donated frame is left. */
    MMPRIV_SYS_ROOT_REGISTER = 48,
    /* (mem, space): forgets space's root. => no thread is bound to it. On return no CPU
     * uses the root or caches a translation of it (the ASID / PCID is flushed). */
    MMPRIV_SYS_ROOT_UNREGISTER = 49,
    /* (mem, space, start, last, leaves, flags): invalidates [start, last] of space (or the
     * whole space with MMPRIV_FLUSH_ALL; paging-structure caches too with
     * MMPRIV_FLUSH_TABLES). The kernel picks per-page or full by leaves. */
    MMPRIV_SYS_FLUSH = 50,
    /* (mem, space, slot, pc, sp, ipc_buffer): a new process bound to space: an empty
     * capability table (its own thread in IPC_SLOT_SELF) and one thread, not started,
     * at pc with sp, whose IPC buffer is ipc_buffer. Its thread capability goes into empty
     * slot of mmserver's table. */
    MMPRIV_SYS_THREAD_CREATE = 51,
    /* (mem, thread slot, src, dst, rights, badge): copies mmserver's capability in src to
     * empty slot dst of that thread's table, keeping rights, badging with badge (!= 0)
     * like IPC_SYS_CAP_COPY. */
    MMPRIV_SYS_THREAD_GIVE = 52,
    /* (mem, thread slot, priority): starts the thread (at most mmserver's priority). */
    MMPRIV_SYS_THREAD_START = 53,
    /* (mem, thread slot): stops the thread (as IPC_SYS_THREAD_KILL) and frees it; its
     * capability table goes with its last thread. The slot is emptied. */
    MMPRIV_SYS_THREAD_DESTROY = 54,
    /* (mem, thread slot, n0, n1, n2, n3): names the thread (console lines, reports): up to
     * MMPRIV_NAME_MAX bytes packed little-endian into n0..n3 (byte i of the name is byte
     * i % 8 of word i / 8), ending at the first NUL or after 31 bytes. A name with a byte
     * outside printable ASCII (0x20..0x7e), an empty one, or one with a byte other than
     * NUL after its end (the 32nd byte included) is IPC_ERR_INVALID_ARGUMENT and changes
     * nothing. mmserver names each program after its archive member, before it starts it. */
    MMPRIV_SYS_THREAD_NAME = 55,
    /* (mem, pa, frames): donates [pa, pa + frames * 4 KiB), page-aligned frames of the pool,
     * to the kernel for the objects of mmserver's clients (kernel/README.md, "Kernel
     * objects"). mmserver must not map or reuse them until the kernel hands them back. */
    MMPRIV_SYS_KMEM_GIVE = 56,
    /* (mem) -> pa: hands back one donated frame no kernel object uses (its contents are
     * undefined); IPC_ERR_NO_MEMORY when every donated frame is in use. value2 (the second
     * word) is not used: one frame per call. */
    MMPRIV_SYS_KMEM_TAKE = 57,
    MMPRIV_SYS_END_
};

_Static_assert(MMPRIV_SYS_FIRST >= IPC_SYS_IPC_END_, "privileged calls follow the IPC calls");

/* MMPRIV_SYS_FLUSH flags. */
enum {
    MMPRIV_FLUSH_ALL = 1u << 0,    /* the whole space, not [start, last] */
    MMPRIV_FLUSH_TABLES = 1u << 1, /* intermediate entries changed too */
};

/* The most bytes of a name MMPRIV_SYS_THREAD_NAME carries (the 32nd is the NUL). */
#define MMPRIV_NAME_MAX 31u

/* The capability kind of the memory capability (continues enum ipc_cap_kind). */
#define MMPRIV_CAP_MEMORY 3u

/* Client ids the kernel accepts for spaces: 1 .. MMPRIV_SPACE_IDS - 1 (a table of memory,
 * filled as ids are used: the bound is only the id's range). */
#define MMPRIV_SPACE_IDS (1u << 20)

/* A process's kernel-memory allowance when MMPRIV_SYS_ROOT_REGISTER passes 0. */
#define MMPRIV_KMEM_DEFAULT (16u * 1024u)

/*
 * How page faults and ends reach mmserver: the kernel's fault message of ipc/ipc.h
 * (label IPC_LABEL_FAULT, a call on the thread's fault endpoint, badged with the client id)
 * for every user fault. Proposed addition, the end notice: when a process's last thread
 * ends by itself (IPC_SYS_EXIT, or IPC_SYS_THREAD_KILL by another holder of its thread
 * capability), the kernel sends (not calls) one more message on that endpoint, label
 * IPC_LABEL_FAULT, kind IPC_FAULT_NONE and w1 = the exit status, so mmserver reclaims the
 * space; no reply. Never after MMPRIV_SYS_THREAD_DESTROY: mmserver asked for that end
 * itself, and a late notice could name a client id given out again since. The kernel
 * delivers the notice only to a thread already waiting to receive on that endpoint (it has
 * no thread left to queue it with); mmserver, the highest priority, always waits there
 * while another thread runs. w1 is the exit status (0 for a thread killed through its
 * capability), w2 says how it ended: MMPRIV_END_EXIT or MMPRIV_END_KILLED.
 */
#define MMPRIV_END_KIND     IPC_FAULT_NONE
#define MMPRIV_END_W_STATUS IPC_FAULT_W_ADDR /* w1 */
#define MMPRIV_END_W_HOW    IPC_FAULT_W_PC   /* w2 */
enum {
    MMPRIV_END_EXIT = 0,   /* IPC_SYS_EXIT with w1's status */
    MMPRIV_END_KILLED = 1, /* IPC_SYS_THREAD_KILL through a capability to it */
};
