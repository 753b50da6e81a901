/*
 * Kernel objects allocated at run time: a slab allocator over 4 KiB frames, with the
 * memory each object costs charged to the capability table (the process) it is made for.
 * Plain C on <stdint.h>, host-tested (tests/kernel) like the IPC core; the frames come
 * from kern_kobj_frame_get / kern_kobj_frame_put, which the kernel implements over its own
 * RAM and the frames mmserver donates (kernel/kmem.c) and the tests implement with
 * failure injection.
 *
 * Why a slab: thread records, space records, endpoints and capability-table pieces are
 * small, made and freed often (a process spawn makes four of them), and must cost O(1).
 * Each frame holds objects of one size class, its header at the frame's start (so the
 * frame of an object is its address rounded down) with a free list of its own; a class
 * keeps the frames that have a free object on a list. A frame whose last object is freed
 * goes back at once, so memory used on a process's behalf returns when the objects die.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KERN_KOBJ_FRAME   4096u
#define KERN_KOBJ_CLASSES 7u    /* 32, 64, 128, 256, 512, 1008, 2016 bytes */
#define KERN_KOBJ_MAX     2016u /* the largest object: two per frame after the header */

/* Who pays for an object: a process's kernel-memory account (embedded in its capability
 * table, kern_cspace_t). limit == 0 means no limit (the kernel's own objects, mmserver's);
 * donated says where its frames come from (mmserver's donated frames for its clients,
 * the kernel's own RAM for the kernel and mmserver). */
typedef struct kern_kmem_account {
    uint64_t used;  /* bytes of objects charged now (each object at its class size) */
    uint64_t limit; /* the most it may hold; 0: unlimited */
    bool donated;   /* objects come from the donated frames */
} kern_kmem_account_t;

/* A zero-filled object of size bytes (<= KERN_KOBJ_MAX) charged to acct (NULL: nobody,
 * the kernel's own frames); NULL, with nothing charged or taken, when acct's limit would
 * be passed or no frame is left. O(1). */
void *kern_kobj_alloc(kern_kmem_account_t *acct, size_t size);
/* Frees p (made by kern_kobj_alloc with the same acct and size) and uncharges it; a frame
 * left empty goes back (kern_kobj_frame_put). O(1). */
void kern_kobj_free(kern_kmem_account_t *acct, void *p, size_t size);
/* The bytes an object of size is charged (its class size); 0 when too large. */
size_t kern_kobj_charge(size_t size);
/* Frames the allocator holds now (tests and reports). */
uint64_t kern_kobj_frames(void);

/* Provided by the environment: a 4 KiB-aligned frame (its kernel address) from the donated
 * frames (donated) or the kernel's own RAM; NULL when none is left. */
void *kern_kobj_frame_get(bool donated);
/* Gives back a frame kern_kobj_frame_get(donated) returned. */
void kern_kobj_frame_put(void *frame, bool donated);
