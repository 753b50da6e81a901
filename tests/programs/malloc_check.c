/*
 * The user library's heap under QEMU (ipc/ulib.h): blocks of random sizes (small classes and
 * large mappings) filled with a pattern of their own, reallocated, then freed in a random
 * order with every byte checked before its free; calloc clears; the failure cases return
 * NULL with the error malloc_error() names. At the end mmserver must report the program's
 * charge and region count exactly as before the first malloc (every page the heap mapped
 * is unmapped again), and after the program's exit its pool restored. Exits 0 when every
 * check passed; prints each check and the figures it compared.
 */
#include <stdbool.h>

#include <ipc/ulib.h>

#define BLOCKS    400u
#define LARGE_MAX 40000u /* bytes: large blocks span up to 10 pages */
#define SEED      0x5eed1234abcdull

static unsigned failures;

/* Prints a check's outcome and counts a failure. */
static void check(bool ok, const char *what, unsigned long long got, unsigned long long want) {
    printf("malloc_check: %s %s (got %llu, want %llu)\n", ok ? "ok:" : "FAILED:", what, got, want);
    failures += !ok;
}

/* xorshift64: the run is the same every time. */
static uint64_t next_random(void) {
    static uint64_t x = SEED;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

/* The byte at offset i of block k. */
static uint8_t pattern(unsigned k, size_t i) {
    return (uint8_t)(k * 131u + i * 7u + (i >> 8));
}

/* Fills block k of n bytes. */
static void fill(uint8_t *p, unsigned k, size_t n) {
    for (size_t i = 0; i < n; i++) {
        p[i] = pattern(k, i);
    }
}

/* The first n bytes of block k hold its pattern. */
static bool intact(const uint8_t *p, unsigned k, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != pattern(k, i)) {
            return false;
        }
    }
    return true;
}

/* The program's charge and region count now. */
static mm_stats_result_t stats(void) {
    mm_stats_result_t s = {0};
    mm_err_t e = mm_stats(mm_self(), &s);
    if (e != MM_OK) {
        printf("malloc_check: FAILED mm_stats: %s\n", mm_strerror(e));
        failures++;
    }
    return s;
}

static uint8_t *block[BLOCKS];
static size_t size[BLOCKS];
static unsigned order[BLOCKS];

/* Allocates every block with a random size (one in sixteen large: each is a region of its
 * own, and mmserver keeps 64 per program), fills it; false on NULL. */
static bool allocate_all(unsigned *large) {
    for (unsigned k = 0; k < BLOCKS; k++) {
        uint64_t r = next_random();
        size[k] = r % 16 == 0 ? MALLOC_SMALL_MAX + 1 + (r >> 8) % LARGE_MAX
                              : 1 + (r >> 8) % MALLOC_SMALL_MAX;
        *large += size[k] > MALLOC_SMALL_MAX;
        block[k] = malloc(size[k]);
        if (!block[k] || ((uintptr_t)block[k] & 15u)) {
            printf("malloc_check: FAILED malloc(%zu) = %p: %s\n", size[k], (void *)block[k],
                   mm_strerror(malloc_error()));
            return false;
        }
        fill(block[k], k, size[k]);
    }
    return true;
}

/* Grows or shrinks every eighth block (contents kept up to the smaller size), refills;
 * returns the blocks that lost their contents or could not be resized. */
static unsigned reallocate_some(void) {
    unsigned bad = 0;
    for (unsigned k = 0; k < BLOCKS; k += 8) {
        uint64_t r = next_random();
        size_t n = 1 + (r % 8 == 0 ? (r >> 8) % LARGE_MAX : (r >> 8) % MALLOC_SMALL_MAX);
        uint8_t *q = realloc(block[k], n);
        if (!q) {
            bad++;
            continue;
        }
        bad += !intact(q, k, n < size[k] ? n : size[k]);
        block[k] = q;
        size[k] = n;
        fill(q, k, n);
    }
    return bad;
}

/* Frees every block in a random order, each checked first; returns the blocks found damaged. */
static unsigned free_all_shuffled(void) {
    for (unsigned k = 0; k < BLOCKS; k++) {
        order[k] = k;
    }
    for (unsigned k = BLOCKS - 1; k > 0; k--) {
        unsigned j = (unsigned)(next_random() % (k + 1));
        unsigned t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    unsigned damaged = 0;
    for (unsigned i = 0; i < BLOCKS; i++) {
        unsigned k = order[i];
        damaged += !intact(block[k], k, size[k]);
        free(block[k]);
    }
    return damaged;
}

/* calloc clears what a freed block held; the failure cases. */
static void edges(void) {
    uint8_t *dirty = malloc(200);
    if (dirty) {
        memset(dirty, 0xa5, 200);
        free(dirty);
    }
    uint8_t *z = calloc(25, 8);
    unsigned nonzero = 0;
    for (unsigned i = 0; z && i < 200; i++) {
        nonzero += z[i] != 0;
    }
    check(z && nonzero == 0, "calloc(25, 8) is cleared (bytes not zero)", nonzero, 0);
    free(z);
    check(calloc((size_t)1 << 40, (size_t)1 << 40) == NULL && malloc_error() == MM_ERR_OVERFLOW,
          "calloc(2^40, 2^40) is NULL with MM_ERR_OVERFLOW", malloc_error(), MM_ERR_OVERFLOW);
    void *huge = malloc((size_t)1 << 30);
    printf("malloc_check: malloc(1 GiB) -> %p: %s\n", huge, mm_strerror(malloc_error()));
    check(huge == NULL && malloc_error() == MM_ERR_QUOTA, "malloc(1 GiB) over the quota is NULL",
          malloc_error(), MM_ERR_QUOTA);
    check(malloc(0) == NULL, "malloc(0) is NULL", 0, 0);
    free(NULL);
    check(realloc(NULL, 0) == NULL, "realloc(NULL, 0) is NULL", 0, 0);
}

/* The run; status 1 when a check failed. */
int main(void) {
    mm_stats_result_t before = stats();
    unsigned large = 0;
    if (!allocate_all(&large)) {
        return 1;
    }
    mm_stats_result_t full = stats();
    printf("malloc_check: %u blocks (%u large) allocated and filled; charge %llu frames, %llu "
           "regions\n",
           BLOCKS, large, (unsigned long long)full.charge, (unsigned long long)full.regions);
    check(full.charge > before.charge + large,
          "the heap's pages are charged to me (more than one frame per large block)",
          full.charge - before.charge, large + 1);
    check(reallocate_some() == 0, "realloc keeps the contents of every eighth block", 0, 0);
    unsigned damaged = free_all_shuffled();
    check(damaged == 0, "every block intact when freed in random order", damaged, 0);
    edges();
    mm_stats_result_t after = stats();
    check(after.charge == before.charge, "charge back to what it was before the first malloc",
          after.charge, before.charge);
    check(after.regions == before.regions, "region count back too", after.regions, before.regions);
    printf("malloc_check: %u checks failed\n", failures);
    return failures ? 1 : 0;
}
