/*
 * The heap of ipc/ulib.h: size classes on pages of their own, large blocks mapped alone.
 *
 * Every page the heap hands out starts with a heap_page_t, so free finds a block's header
 * by rounding the pointer down to its page: a small block lies inside its class's page, a
 * large block starts HEAP_LARGE_OFFSET bytes into its first page. A class page keeps its
 * free blocks in a list; the pages of a class with a free block are on that class's list.
 *
 * mmserver keeps a fixed number of regions per program (every mapping is one, and
 * unmapping a page inside a mapping splits it in two), so class pages come from arenas:
 * lazy mappings of HEAP_ARENA_PAGES pages, one region each. A class page is filled by
 * mmserver at its first touch; when its last block is freed its frame goes back at once
 * (mm_decommit: the range stays reserved, the next touch gets a zeroed page), and an arena
 * whose pages are all free is unmapped. A heap that holds nothing holds no mapping.
 */
#include <stdbool.h>

#include <ipc/ulib.h>

#define HEAP_MAGIC        0x6d6d6b68656170ull /* "mmkheap" */
#define HEAP_CLASSES      8u                  /* 16 << 0 .. 16 << 7 = 2048 bytes */
#define HEAP_MIN          16u
#define HEAP_LARGE        0xffffffffu /* heap_page_t.cls of a large block */
#define HEAP_LARGE_OFFSET 32u
#define HEAP_PAGE         ((size_t)MM_PAGE_SIZE)

/* A free block of a class page: the next free block of the same page. */
typedef struct heap_free {
    struct heap_free *next;
} heap_free_t;

/* The head of every page the heap maps. */
typedef struct heap_page {
    uint64_t magic;
    uint32_t cls;   /* size class, or HEAP_LARGE */
    uint32_t used;  /* class page: blocks handed out */
    uint64_t pages; /* large block: pages of the mapping */
    heap_free_t *free;
    struct heap_page *prev, *next; /* class page with a free block: its class's list */
} heap_page_t;

/* Class blocks lie after the head, HEAP_MIN-aligned: a page of class c holds its blocks at
 * HEAP_PAGE - k * size for every k that keeps them at or past HEAP_FIRST. */
#define HEAP_FIRST ((sizeof(heap_page_t) + HEAP_MIN - 1) & ~(size_t)(HEAP_MIN - 1))

_Static_assert(sizeof(heap_page_t) <= HEAP_PAGE - (HEAP_MIN << (HEAP_CLASSES - 1)),
               "a class page holds its head and one block of the largest class");
_Static_assert(HEAP_LARGE_OFFSET >= offsetof(heap_page_t, free) &&
                   HEAP_LARGE_OFFSET % HEAP_MIN == 0,
               "a large block's data starts past the head fields it uses, 16-byte aligned");
_Static_assert((HEAP_MIN << (HEAP_CLASSES - 1)) == MALLOC_SMALL_MAX, "the classes end at 2 KiB");

/* An arena: HEAP_ARENA_PAGES pages reserved by one lazy mapping; used has bit i set while
 * page i is a class page. */
#define HEAP_ARENA_PAGES 16u
#define HEAP_ARENAS      32u
typedef struct heap_arena {
    uintptr_t base; /* 0: slot free */
    uint32_t used;
} heap_arena_t;
_Static_assert(HEAP_ARENA_PAGES <= 32, "an arena's pages fit its bit set");

static heap_page_t *partial[HEAP_CLASSES]; /* class pages with a free block */
static heap_arena_t arenas[HEAP_ARENAS];
static mm_err_t last_error;

/* The class of a small request n (1 <= n <= MALLOC_SMALL_MAX). */
static uint32_t class_of(size_t n) {
    uint32_t c = 0;
    while ((size_t)HEAP_MIN << c < n) {
        c++;
    }
    return c;
}

/* A fresh read-write mapping of pages pages (filled at first touch when lazy), or NULL
 * (last_error says why). */
static void *map_pages(uint64_t pages, bool lazy) {
    mm_map_result_t r;
    uint32_t flags = MM_F_ANYWHERE | (lazy ? MM_F_LAZY : 0);
    mm_err_t e = mm_map(mm_self(), 0, pages * HEAP_PAGE, MM_PERM_R | MM_PERM_W, flags, &r);
    if (e != MM_OK) {
        last_error = e;
        return NULL;
    }
    return (void *)(uintptr_t)r.va;
}

/* Ends the program when mmserver refused what the heap asked about its own mapping at p (a
 * broken heap, not a request to report). */
static void heap_must(mm_err_t e, const char *what, const void *p) {
    if (e != MM_OK) {
        printf("free: %s of the heap's %p refused: %s\n", what, p, mm_strerror(e));
        exit(MALLOC_BAD_FREE);
    }
}

/* A free page of an arena (a new arena when every one is full), or NULL: last_error says
 * why (MM_ERR_NOMEM when every arena slot is taken). */
static void *arena_page(void) {
    heap_arena_t *free_slot = NULL;
    for (unsigned a = 0; a < HEAP_ARENAS; a++) {
        heap_arena_t *r = &arenas[a];
        if (!r->base) {
            free_slot = free_slot ? free_slot : r;
            continue;
        }
        for (unsigned i = 0; i < HEAP_ARENA_PAGES; i++) {
            if (!(r->used & (1u << i))) {
                r->used |= 1u << i;
                return (void *)(r->base + i * HEAP_PAGE);
            }
        }
    }
    if (!free_slot) {
        last_error = MM_ERR_NOMEM;
        return NULL;
    }
    void *base = map_pages(HEAP_ARENA_PAGES, true);
    if (!base) {
        return NULL;
    }
    free_slot->base = (uintptr_t)base;
    free_slot->used = 1;
    return base;
}

/* Gives the class page g back: its frame at once, its arena when that empties. => g came
 * from arena_page and holds no block. */
static void arena_put(heap_page_t *g) {
    for (unsigned a = 0; a < HEAP_ARENAS; a++) {
        heap_arena_t *r = &arenas[a];
        uintptr_t off = (uintptr_t)g - r->base;
        if (!r->base || off >= HEAP_ARENA_PAGES * HEAP_PAGE) {
            continue;
        }
        r->used &= ~(1u << (off / HEAP_PAGE));
        if (r->used) {
            heap_must(mm_decommit(mm_self(), (uintptr_t)g, HEAP_PAGE, NULL), "mm_decommit", g);
        } else {
            heap_must(mm_unmap(mm_self(), r->base, HEAP_ARENA_PAGES * HEAP_PAGE, NULL), "mm_unmap",
                      (void *)r->base);
            r->base = 0;
        }
        return;
    }
}

/* Puts page g on its class's list. */
static void list_push(heap_page_t *g) {
    g->prev = NULL;
    g->next = partial[g->cls];
    if (g->next) {
        g->next->prev = g;
    }
    partial[g->cls] = g;
}

/* Takes page g off its class's list. => g is on it. */
static void list_drop(heap_page_t *g) {
    if (g->prev) {
        g->prev->next = g->next;
    } else {
        partial[g->cls] = g->next;
    }
    if (g->next) {
        g->next->prev = g->prev;
    }
    g->prev = g->next = NULL;
}

/* A new page for class c, every block free, on the class's list; NULL if unmapped. */
static heap_page_t *class_page(uint32_t c) {
    heap_page_t *g = arena_page();
    if (!g) {
        return NULL;
    }
    size_t size = (size_t)HEAP_MIN << c;
    g->magic = HEAP_MAGIC;
    g->cls = c;
    g->used = 0;
    g->pages = 1;
    g->free = NULL;
    for (size_t off = HEAP_PAGE - size; off >= HEAP_FIRST; off -= size) {
        heap_free_t *b = (heap_free_t *)((char *)g + off);
        b->next = g->free;
        g->free = b;
    }
    list_push(g);
    return g;
}

/* A block of class c. */
static void *small_alloc(uint32_t c) {
    heap_page_t *g = partial[c] ? partial[c] : class_page(c);
    if (!g) {
        return NULL;
    }
    heap_free_t *b = g->free;
    g->free = b->next;
    g->used++;
    if (!g->free) {
        list_drop(g);
    }
    return b;
}

/* A large block of n bytes, alone in its mapping. */
static void *large_alloc(size_t n) {
    if (n > SIZE_MAX - HEAP_LARGE_OFFSET - HEAP_PAGE) {
        last_error = MM_ERR_OVERFLOW;
        return NULL;
    }
    uint64_t pages = (n + HEAP_LARGE_OFFSET + HEAP_PAGE - 1) / HEAP_PAGE;
    heap_page_t *g = map_pages(pages, false);
    if (!g) {
        return NULL;
    }
    g->magic = HEAP_MAGIC;
    g->cls = HEAP_LARGE;
    g->pages = pages;
    return (char *)g + HEAP_LARGE_OFFSET;
}

/* The head of p's page, or ends the program when p is no block of this heap. */
static heap_page_t *head_of(void *p) {
    heap_page_t *g = (heap_page_t *)((uintptr_t)p & ~(uintptr_t)(HEAP_PAGE - 1));
    size_t off = (size_t)((char *)p - (char *)g);
    bool ok = (uintptr_t)g >= MM_USER_BASE && g->magic == HEAP_MAGIC &&
              (g->cls == HEAP_LARGE
                   ? off == HEAP_LARGE_OFFSET
                   : g->cls < HEAP_CLASSES && off >= HEAP_FIRST &&
                         (HEAP_PAGE - off) % ((size_t)HEAP_MIN << g->cls) == 0 && g->used > 0);
    if (!ok) {
        printf("free: %p is not a block of the heap\n", p);
        exit(MALLOC_BAD_FREE);
    }
    return g;
}

/* The bytes block p can hold. */
static size_t block_size(const heap_page_t *g) {
    return g->cls == HEAP_LARGE ? g->pages * HEAP_PAGE - HEAP_LARGE_OFFSET
                                : (size_t)HEAP_MIN << g->cls;
}

/* See ipc/ulib.h. */
void *malloc(size_t n) {
    if (n == 0) {
        return NULL;
    }
    return n <= MALLOC_SMALL_MAX ? small_alloc(class_of(n)) : large_alloc(n);
}

/* See ipc/ulib.h. */
void free(void *p) {
    if (!p) {
        return;
    }
    heap_page_t *g = head_of(p);
    if (g->cls == HEAP_LARGE) {
        g->magic = 0;
        heap_must(mm_unmap(mm_self(), (uintptr_t)g, g->pages * HEAP_PAGE, NULL), "mm_unmap", g);
        return;
    }
    heap_free_t *b = p;
    if (!g->free) {
        list_push(g);
    }
    b->next = g->free;
    g->free = b;
    if (--g->used == 0) {
        list_drop(g);
        g->magic = 0;
        arena_put(g);
    }
}

/* See ipc/ulib.h. */
void *calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) {
        last_error = MM_ERR_OVERFLOW;
        return NULL;
    }
    void *p = malloc(count * size);
    if (p) {
        memset(p, 0, count * size);
    }
    return p;
}

/* See ipc/ulib.h. */
void *realloc(void *p, size_t n) {
    if (!p) {
        return malloc(n);
    }
    if (n == 0) {
        free(p);
        return NULL;
    }
    size_t have = block_size(head_of(p));
    if (n <= have) {
        return p;
    }
    void *q = malloc(n);
    if (q) {
        memcpy(q, p, have);
        free(p);
    }
    return q;
}

/* See ipc/ulib.h. */
mm_err_t malloc_error(void) {
    return last_error;
}
