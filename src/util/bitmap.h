/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bitmap.h - bitmaps stored in arrays of unsigned long.
 *
 * Owns no memory: the caller provides an array of BITS_TO_LONGS(size) words.  Bit b lives in
 * word b / BITS_PER_LONG at position b % BITS_PER_LONG.
 *
 * Words:
 *   size   number of meaningful bits; bits at or past size in the last word are padding
 *   start  first bit of a run; len the number of bits in it (len 0 does nothing)
 *
 * Traps:
 *   - The searches, bitmap_weight and bitmap_empty ignore padding bits whatever they hold;
 *     bitmap_set and bitmap_clear touch only [start, start + len).
 *   - A run must lie inside the array: start + len <= size, so it cannot wrap.
 *   - Nothing here locks or is atomic; the owner of the array serialises access.
 */
#ifndef IOASID_UTIL_BITMAP_H
#define IOASID_UTIL_BITMAP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define BITS_PER_LONG	 (__SIZEOF_LONG__ * CHAR_BIT)
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline void bitmap_set_bit(unsigned long *map, size_t bit)
{
	map[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static inline void bitmap_clear_bit(unsigned long *map, size_t bit)
{
	map[bit / BITS_PER_LONG] &= ~(1UL << (bit % BITS_PER_LONG));
}

static inline bool bitmap_test_bit(const unsigned long *map, size_t bit)
{
	return (map[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1;
}

/* Clear every word of a bitmap of size bits, padding included. */
static inline void bitmap_zero(unsigned long *map, size_t size)
{
	memset(map, 0, BITS_TO_LONGS(size) * sizeof(unsigned long));
}

/* Set bits [start, start + len). */
void bitmap_set(unsigned long *map, size_t start, size_t len);

/* Clear bits [start, start + len). */
void bitmap_clear(unsigned long *map, size_t start, size_t len);

/* Lowest set bit in [start, size), or size if none (also when start >= size). */
size_t bitmap_find_next_set(const unsigned long *map, size_t size, size_t start);

/* Lowest clear bit in [start, size), or size if none (also when start >= size). */
size_t bitmap_find_next_clear(const unsigned long *map, size_t size, size_t start);

/* Number of set bits in [0, size). */
size_t bitmap_weight(const unsigned long *map, size_t size);

/* true when no bit in [0, size) is set. */
bool bitmap_empty(const unsigned long *map, size_t size);

#endif /* IOASID_UTIL_BITMAP_H */
