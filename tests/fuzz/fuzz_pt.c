/*
 * libFuzzer harness: libpt against the reference model of tests/unit/test_model.c, compiled
 * into this file unchanged. That model draws every choice of its random operations (kind,
 * range, size, flags, permissions, memory type, frame source, and which table allocation
 * fails) through ptt_rand / ptt_below; here those read the fuzzer's input instead of a
 * seeded generator, so the fuzzer steers the sequence of map / unmap / protect / query with
 * injected allocation failures. After every operation the model's own checks run (return
 * code, counts, released frames, flush report, the touched range through the independent
 * walker of tests/unit/ptt_walk.c and pt_query, random probes); at the end of each input the
 * whole window is compared, the invariant sweep runs, pt_destroy must hand back exactly the
 * leaves the walker saw, and any of the model's "soft" disagreements is a finding. An input
 * runs at most MAX_OPS operations, so that one execution stays short.
 *
 * The first input byte picks the format (bits 0-1), a kernel (upper-half) space (bit 2) and
 * the phys_to_virt hook instead of the linear offset (bit 3).
 */
#include "fz.h"

#include "test_model.c"

#define MAX_OPS 16u /* operations per input at most (every one is checked on its range) */

static fz_in_t decisions;  /* the current input, as the model's random source */
static uint64_t after_end; /* splitmix64 state once the input is used up */

/* The model's random source (ptt.h): the input's next bytes; past its end (the model
 * retries some draws until they fit, and the operation under way must finish), a
 * generator seeded by the input's length, so that a run stays a function of its input.
 * ptt_below counts down from n - 1: the model takes its rare, costly choices (a whole
 * 1 GiB range: 262144 pages to check) at small values, which zero bytes and a fuzzer's
 * small mutations would otherwise pick all the time. */
uint64_t ptt_rand(uint64_t *state) {
    (void)state;
    if (!fz_done(&decisions)) {
        return fz_u64(&decisions);
    }
    uint64_t z = (after_end += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t ptt_below(uint64_t *state, uint64_t n) {
    if (fz_done(&decisions)) {
        return ptt_rand(state) % n;
    }
    return n - 1 - fz_below(&decisions, n);
}

/* The end of an input's window walk: every leaf checked against the model (cmp_leaf, as
 * walker_matches does), then its model pages cleared (the model is kept from input to input:
 * clearing its whole window each time would cost more than most inputs). */
static void check_and_clear_leaf(void *ctx, const ptt_leaf_t *l) {
    cmp_t *c = ctx;
    model_t *m = &c->r->m;
    cmp_leaf(c, l);
    pt_vaddr_t va = l->va > m->base ? l->va : m->base;
    pt_vaddr_t end = l->va + (1ull << l->shift);
    end = end < m->base + WIN_SIZE ? end : m->base + WIN_SIZE;
    if (end > va) {
        memset(m->frame + page_of(m, va), 0, (end - va) / PG * sizeof(*m->frame));
    }
}

/* The harness: one model run of the input's operations. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const pt_format_t *const formats[] = {&pt_format_x86_64, &pt_format_sv48,
                                                 &pt_format_sv39, &pt_format_aarch64};
    static run_t r; /* large; its model arrays are allocated once */
    static model_t m;
    if (!m.frame) {
        m.frame = calloc(WIN_PAGES, sizeof(*m.frame));
        m.perm = calloc(WIN_PAGES, 1);
        m.mt = calloc(WIN_PAGES, 1);
        m.shift = calloc(WIN_PAGES, 1);
        FZ_CHECK(m.frame && m.perm && m.mt && m.shift);
    }
    if (size < 2) {
        return 0;
    }
    decisions = fz_in(data, size);
    after_end = size;
    uint8_t first = fz_u8(&decisions);
    bool kernel = first & 4;
    memset(&r, 0, sizeof(r));
    r.fmt = formats[first & 3];
    r.sflags = model_flags(r.fmt) | (kernel ? PT_SPACE_KERNEL : 0);
    r.m = m;
    r.m.base = (kernel ? ptt_upper_base(r.fmt) : 0) + GIB - WIN_GIGA;
    r.m.mapped = 0;
    r.trace = fz_trace();
    ptt_env_init(&r.e, r.fmt, r.sflags, first & 8);
    for (unsigned i = 0; i < MAX_OPS && !fz_done(&decisions); i++) {
        step(&r);
    }
    /* The whole window against the model, in the walk that clears the model; the invariant
     * sweep and pt_destroy's releases are ptt_env_fini's. */
    cmp_t c = {&r, r.m.base, r.m.base + WIN_SIZE - 1, 0};
    ptt_walker_t w = {.ctx = &c, .leaf = check_and_clear_leaf};
    ptt_walk(&r.e, c.lo, c.last, &w);
    FZ_CHECK(c.pages == r.m.mapped, "%s: the walker finds %llu pages in the window, the model %llu",
             r.fmt->name, (unsigned long long)c.pages, (unsigned long long)r.m.mapped);
    for (unsigned k = 0; k < SOFT_KINDS; k++) {
        FZ_CHECK(r.soft[k] == 0, "%s: %s", r.fmt->name, soft_names[k]);
    }
    uint64_t pages = ptt_env_fini(&r.e);
    FZ_CHECK(pages == r.m.mapped, "%s: pt_destroy released %llu pages, the model had %llu",
             r.fmt->name, (unsigned long long)pages, (unsigned long long)r.m.mapped);
    return 0;
}
