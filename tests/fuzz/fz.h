/*
 * What every fuzz harness of tests/fuzz shares: a reader that turns the fuzzer's input
 * into the numbers a harness decides with (never past the input's end: an exhausted input
 * reads as zeroes), and the one way a harness reports a broken contract (fz_fail: the
 * message, then abort(), which libFuzzer records as a crash with the input that caused it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The input as a stream of decisions. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n, at;
} fz_in_t;

/* A reader over [p, p + n). */
fz_in_t fz_in(const uint8_t *p, size_t n);

/* True once every byte was read. */
bool fz_done(const fz_in_t *in);

/* The next byte / little-endian 16-, 32-, 64-bit word (zeroes past the end). */
uint8_t fz_u8(fz_in_t *in);
uint16_t fz_u16(fz_in_t *in);
uint32_t fz_u32(fz_in_t *in);
uint64_t fz_u64(fz_in_t *in);

/* A value in [0, n) (n > 0) from as few bytes as n needs. */
uint64_t fz_below(fz_in_t *in, uint64_t n);

/* True if the harness should print each operation (env FZ_TRACE set): how a reproducer
 * becomes a host test. */
bool fz_trace(void);

/* The host tests' environments (tests/unit/ptt_env.c, tests/mmserver/mmt_env.c) allocate a
 * large RAM arena per run with aligned_alloc and free it at the end; a harness builds them
 * with aligned_alloc and free renamed to these (CMakeLists.txt), so the arena is allocated
 * once and kept from input to input (a fresh one per input costs ASan more than the input).
 * Any other block is allocated and freed as usual. */
void *fz_arena_alloc(size_t align, size_t size);
void fz_arena_free(void *p);

/* malloc, calloc and realloc for the same environments (renamed the same way): a few of
 * their blocks, the largest, are kept by fz_arena_free for the next request instead of being
 * freed (a fresh large block costs ASan a mapping and its page faults every time). Same
 * contracts as the C library's: fz_calloc hands out zeroes, fz_realloc keeps the contents. */
void *fz_malloc(size_t size);
void *fz_calloc(size_t n, size_t size);
void *fz_realloc(void *p, size_t size);

/* memset for tests/mmserver/mmt_env.c, which fills the whole RAM arena with garbage at
 * every start (the pool must zero what it hands out). Once the arena holds that garbage,
 * filling it again with the same byte rewrites only the 4 KiB pages that lost it, those
 * whose first or last 8 bytes differ: a page zeroed in part keeps a zero there (mmserver
 * zeroes whole frames, and libpt's entries are never the garbage pattern), so no page
 * reads as zeroes that mmserver did not zero in this input. Any other call is memset. */
void *fz_memset(void *p, int c, size_t n);

/* Reports a broken contract at file:line (expr is what failed; fmt and the rest describe
 * it) and aborts. */
__attribute__((noreturn, format(printf, 4, 5))) void
fz_fail(const char *file, int line, const char *expr, const char *fmt, ...);

/* Reports a broken contract that is a known finding, already reported and not fixed yet
 * (tests/fuzz/README.md, "Known findings"; id names it there): once per id and process on
 * stderr, and fatal only when FZ_STRICT is set in the environment, so that fuzzing goes on
 * past it while its reproducer test (ctest fuzz_known_<id>) shows it is still there. */
__attribute__((format(printf, 4, 5))) void fz_known(const char *file, int line, const char *id,
                                                    const char *fmt, ...);

/* Checks a contract: fz_fail with the message unless cond holds. */
#define FZ_CHECK(cond, ...) ((cond) ? (void)0 : fz_fail(__FILE__, __LINE__, #cond, "" __VA_ARGS__))

/* Checks a contract that a known finding breaks: fz_known with the message unless cond. */
#define FZ_KNOWN(cond, id, ...)                                                                    \
    ((cond) ? (void)0 : fz_known(__FILE__, __LINE__, id, "" __VA_ARGS__))
