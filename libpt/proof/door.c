/*
 * Proof harness for the checks at the door (src/pt.c, README "Levels and addresses"): the
 * real source, then the contracts of the range checks every operation runs first, which
 * tools/prove.sh has Frama-C WP prove with -wp-rte. Only these functions are proved; the
 * walker itself is not (README "What is proved").
 */
#include "proof.h"

#include "../src/pt.c"

/* Used inside ACSL, for a format f with b = f->va_bits. WP's provers here cannot relate a
 * shift to an interval (va >> k == 0 <==> va < 2^k), so the contracts name the tests in the
 * shift form the README gives: canonical when the bits above b - 1 all equal bit b - 1. */
#define TOP(f, va) ((va) >> ((f)->va_bits - 1))
#define CANONICAL(f, va)                                                                           \
    (TOP(f, va) == 0 || TOP(f, va) == (0xffffffffffffffff >> ((f)->va_bits - 1)))
#define UPPER(f, va) ((TOP(f, va) & 1) != 0)
/* The 64-bit sum va + (len - 1) wraps around (len != 0). */
#define WRAPS(va, len) ((uint64_t)((va) + ((len)-1)) < (va))
/* A format the door can work with: shifts by va_bits - 1 stay inside 64 bits. */
#define FORMAT_OK(f) (\valid_read(f) && 2 <= (f)->va_bits <= 63)

/*@ requires FORMAT_OK(f);
    assigns \nothing;
    ensures \result <==> UPPER(f, va); */
static bool is_upper(const pt_format_t *f, pt_vaddr_t va);

/*@ requires FORMAT_OK(f);
    assigns \nothing;
    ensures \result <==> CANONICAL(f, va); */
static bool is_canonical(const pt_format_t *f, pt_vaddr_t va);

/*@ requires \valid_read(s) && FORMAT_OK(s->fmt) && \valid(last);
    requires \separated(last, s, s->fmt);
    assigns *last;
    behavior zero_length:
      assumes len == 0;
      ensures \result == PT_ERR_INVAL;
    behavior unaligned:
      assumes len != 0 && ((va | len) & (PT_PAGE_SIZE - 1)) != 0;
      ensures \result == PT_ERR_ALIGN;
    behavior overflow:
      assumes len != 0 && ((va | len) & (PT_PAGE_SIZE - 1)) == 0 && WRAPS(va, len);
      ensures \result == PT_ERR_OVERFLOW;
    behavior range:
      assumes len != 0 && ((va | len) & (PT_PAGE_SIZE - 1)) == 0 && !WRAPS(va, len);
      ensures last: *last == (uint64_t)(va + (len - 1)) && va <= *last;
      ensures \result == PT_OK || \result == PT_ERR_RANGE;
      ensures half: \result == PT_OK <==>
              CANONICAL(s->fmt, va) && CANONICAL(s->fmt, *last) &&
              UPPER(s->fmt, va) == UPPER(s->fmt, *last) &&
              (UPPER(s->fmt, va) ? (s->flags & PT_SPACE_KERNEL) != 0
                                 : !((s->flags & PT_SPACE_KERNEL) != 0 && s->fmt->split_halves));
    complete behaviors;
    disjoint behaviors; */
static pt_err_t check_range(const pt_space_t *s, pt_vaddr_t va, uint64_t len, pt_vaddr_t *last);

/*@ requires \valid_read(f) && f->pa_bits <= 63;
    assigns \nothing;
    ensures \result <==> (pa & (PT_PAGE_SIZE - 1)) == 0 && (pa >> f->pa_bits) == 0; */
static bool frame_ok(const pt_format_t *f, pt_paddr_t pa);
