/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * checked.h - small arithmetic and container helpers.
 *
 * Owns nothing but inline helpers.  Addresses in this project may reach UINT64_MAX, so a
 * range is always described by its first byte and its inclusive last byte.  An exclusive
 * `end` for a range that touches the top of the address space is 2^64, which does not fit,
 * so never compute one: turn (start, length) into `last` with check_last_u64() and test the
 * result for overflow.
 *
 * Words:
 *   last     inclusive final value of a range, start <= last
 *   overflow every check_* / align_up_u64 helper returns true when the exact result does
 *            not fit in a u64; *out is then unspecified and must not be used
 *
 * Traps:
 *   - ALIGN_DOWN_U64, align_up_u64 and IS_POW2 assume the alignment is a power of two;
 *     check it with IS_POW2 first when it comes from outside.
 *   - MIN/MAX evaluate each argument once, but both arguments should have the same type.
 */
#ifndef IOASID_UTIL_CHECKED_H
#define IOASID_UTIL_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true when a + b overflows */
static inline bool check_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_add_overflow(a, b, out);
}

/* true when a - b underflows */
static inline bool check_sub_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_sub_overflow(a, b, out);
}

/* true when a * b overflows */
static inline bool check_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

/*
 * Inclusive last byte of the range of `length` bytes at `start`.  True (failure) when length
 * is zero or the range runs past UINT64_MAX.  A range ending exactly at UINT64_MAX is fine.
 */
static inline bool check_last_u64(uint64_t start, uint64_t length, uint64_t *out_last)
{
	if (!length)
		return true;
	return __builtin_add_overflow(start, length - 1, out_last);
}

#define IS_POW2(x) ((x) != 0 && ((x) & ((x)-1)) == 0)

/* Round x down to a multiple of a; a must be a power of two. Never overflows. */
#define ALIGN_DOWN_U64(x, a) ((uint64_t)(x) & ~((uint64_t)(a)-1))

/* true when x is a multiple of a; a must be a power of two */
#define IS_ALIGNED_U64(x, a) (((uint64_t)(x) & ((uint64_t)(a)-1)) == 0)

/* Round x up to a multiple of a (a power of two); true when that does not fit in a u64. */
static inline bool align_up_u64(uint64_t x, uint64_t a, uint64_t *out)
{
	uint64_t mask = a - 1;
	uint64_t sum;

	if (__builtin_add_overflow(x, mask, &sum))
		return true;
	*out = sum & ~mask;
	return false;
}

#ifndef MIN
#define MIN(a, b)                                  \
	({                                         \
		__typeof__(a) _min_a = (a);        \
		__typeof__(b) _min_b = (b);        \
		_min_a < _min_b ? _min_a : _min_b; \
	})
#endif

#ifndef MAX
#define MAX(a, b)                                  \
	({                                         \
		__typeof__(a) _max_a = (a);        \
		__typeof__(b) _max_b = (b);        \
		_max_a > _max_b ? _max_a : _max_b; \
	})
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

#endif /* IOASID_UTIL_CHECKED_H */
