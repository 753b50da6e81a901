/*
 * The slab allocator of kernel objects (kernel/kobj.h). A frame of a class starts with a
 * kobj_frame_t header; its objects follow, threaded on the frame's free list while free.
 * Each class keeps, per source (the kernel's own RAM, mmserver's donated frames), a
 * doubly linked list of the frames that have a free object, so allocation takes the first
 * and freeing finds its frame by rounding the address down: both O(1).
 */
#include "kobj.h"

typedef struct kobj_free {
    struct kobj_free *next;
} kobj_free_t;

typedef struct kobj_frame {
    struct kobj_frame *next, *prev; /* on the class's list while it has a free object */
    kobj_free_t *free;              /* its free objects */
    uint32_t used;                  /* objects handed out */
    uint16_t cls;                   /* its class */
    bool donated;                   /* its source */
    bool listed;                    /* on the class's list */
} kobj_frame_t;

#define HDR 64u /* the header's room: objects start 64 bytes in (cache-line aligned) */
_Static_assert(sizeof(kobj_frame_t) <= HDR, "the frame header fits its room");

static const uint32_t class_size[KERN_KOBJ_CLASSES] = {32, 64, 128, 256, 512, 1008, 2016};
_Static_assert(HDR + 2 * KERN_KOBJ_MAX <= KERN_KOBJ_FRAME, "two of the largest fit a frame");

static kobj_frame_t *partial[KERN_KOBJ_CLASSES][2]; /* [class][donated] */
static uint64_t frames_held;

/* The class of size, or KERN_KOBJ_CLASSES when none fits. */
static unsigned class_of(size_t size) {
    unsigned c = 0;
    while (c < KERN_KOBJ_CLASSES && class_size[c] < size) {
        c++;
    }
    return c;
}

/* See kobj.h. */
size_t kern_kobj_charge(size_t size) {
    unsigned c = class_of(size);
    return c < KERN_KOBJ_CLASSES ? class_size[c] : 0;
}

/* See kobj.h. */
uint64_t kern_kobj_frames(void) {
    return frames_held;
}

/* Puts f at the head of its class's list. */
static void list_add(kobj_frame_t *f) {
    kobj_frame_t **head = &partial[f->cls][f->donated];
    f->prev = NULL;
    f->next = *head;
    if (*head) {
        (*head)->prev = f;
    }
    *head = f;
    f->listed = true;
}

/* Takes f off its class's list. */
static void list_del(kobj_frame_t *f) {
    if (f->prev) {
        f->prev->next = f->next;
    } else {
        partial[f->cls][f->donated] = f->next;
    }
    if (f->next) {
        f->next->prev = f->prev;
    }
    f->next = f->prev = NULL;
    f->listed = false;
}

/* A new frame of class cls from source donated, every object free, listed; NULL when the
 * source has none. */
static kobj_frame_t *frame_new(unsigned cls, bool donated) {
    uint8_t *mem = kern_kobj_frame_get(donated);
    if (!mem) {
        return NULL;
    }
    kobj_frame_t *f = (kobj_frame_t *)mem;
    *f = (kobj_frame_t){.cls = (uint16_t)cls, .donated = donated};
    uint32_t size = class_size[cls];
    for (uint32_t off = KERN_KOBJ_FRAME - size; off >= HDR; off -= size) {
        kobj_free_t *o = (kobj_free_t *)(mem + off);
        o->next = f->free;
        f->free = o; /* built from the top, so the lowest object is handed out first */
        if (off < HDR + size) {
            break;
        }
    }
    list_add(f);
    frames_held++;
    return f;
}

/* Zeroes n bytes at p (no libc in the kernel core). */
static void zero(void *p, size_t n) {
    uint64_t *w = p; /* class sizes are multiples of 16 and objects 16-aligned */
    for (size_t i = 0; i < n / 8; i++) {
        w[i] = 0;
    }
}

/* See kobj.h. The charge is checked before any frame is taken, so a refusal changes
 * nothing. */
void *kern_kobj_alloc(kern_kmem_account_t *acct, size_t size) {
    unsigned cls = class_of(size);
    if (cls >= KERN_KOBJ_CLASSES) {
        return NULL;
    }
    uint32_t charge = class_size[cls];
    if (acct && acct->limit && acct->used + charge > acct->limit) {
        return NULL;
    }
    bool donated = acct && acct->donated;
    kobj_frame_t *f = partial[cls][donated];
    if (!f) {
        f = frame_new(cls, donated);
    }
    if (!f) {
        return NULL;
    }
    kobj_free_t *o = f->free;
    f->free = o->next;
    f->used++;
    if (!f->free) {
        list_del(f);
    }
    if (acct) {
        acct->used += charge;
    }
    zero(o, charge);
    return o;
}

/* See kobj.h. */
void kern_kobj_free(kern_kmem_account_t *acct, void *p, size_t size) {
    if (!p) {
        return;
    }
    if (acct) {
        acct->used -= kern_kobj_charge(size);
    }
    kobj_frame_t *f = (kobj_frame_t *)((uintptr_t)p & ~(uintptr_t)(KERN_KOBJ_FRAME - 1));
    kobj_free_t *o = p;
    o->next = f->free;
    f->free = o;
    if (--f->used == 0) {
        if (f->listed) {
            list_del(f);
        }
        frames_held--;
        kern_kobj_frame_put(f, f->donated);
        return;
    }
    if (!f->listed) {
        list_add(f);
    }
}
