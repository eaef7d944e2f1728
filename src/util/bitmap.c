/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bitmap.c - run and search operations on unsigned long bitmaps (see bitmap.h).
 *
 * Everything works a word at a time.  A run [start, end) touches a first and a last word
 * partially and whole words in between; two masks describe the partial ends:
 *   mask_from(b)  the bits of b's word at positions >= b % BITS_PER_LONG
 *   mask_below(e) the bits of the word holding bit e - 1 at positions < e's offset, or the
 *                 whole word when e is a multiple of BITS_PER_LONG
 * Searches for clear bits are searches for set bits in the complemented words, so one loop
 * serves both.
 *
 * Trap: shifting an unsigned long by BITS_PER_LONG is undefined, which is why mask_below
 * shifts right by (-e) % BITS_PER_LONG, a value that is always below the word width.
 */
#include "util/bitmap.h"

static inline unsigned long mask_from(size_t bit)
{
	return ~0UL << (bit % BITS_PER_LONG);
}

static inline unsigned long mask_below(size_t end)
{
	return ~0UL >> ((0 - end) % BITS_PER_LONG);
}

void bitmap_set(unsigned long *map, size_t start, size_t len)
{
	size_t end = start + len;
	size_t w = start / BITS_PER_LONG;
	size_t last_w;
	unsigned long first_mask;

	if (!len)
		return;
	last_w = (end - 1) / BITS_PER_LONG;
	first_mask = mask_from(start);
	if (w == last_w) {
		map[w] |= first_mask & mask_below(end);
		return;
	}
	map[w++] |= first_mask;
	while (w < last_w)
		map[w++] = ~0UL;
	map[w] |= mask_below(end);
}

void bitmap_clear(unsigned long *map, size_t start, size_t len)
{
	size_t end = start + len;
	size_t w = start / BITS_PER_LONG;
	size_t last_w;
	unsigned long first_mask;

	if (!len)
		return;
	last_w = (end - 1) / BITS_PER_LONG;
	first_mask = mask_from(start);
	if (w == last_w) {
		map[w] &= ~(first_mask & mask_below(end));
		return;
	}
	map[w++] &= ~first_mask;
	while (w < last_w)
		map[w++] = 0;
	map[w] &= ~mask_below(end);
}

/* Lowest bit in [start, size) whose value, XORed with flip's bit, is 1. */
static size_t find_next(const unsigned long *map, size_t size, size_t start, unsigned long flip)
{
	size_t w, nwords, bit;
	unsigned long word;

	if (start >= size)
		return size;
	w = start / BITS_PER_LONG;
	nwords = BITS_TO_LONGS(size);
	word = (map[w] ^ flip) & mask_from(start);
	for (;;) {
		if (word) {
			bit = w * BITS_PER_LONG + (size_t)__builtin_ctzl(word);
			return bit < size ? bit : size;
		}
		if (++w >= nwords)
			return size;
		word = map[w] ^ flip;
	}
}

size_t bitmap_find_next_set(const unsigned long *map, size_t size, size_t start)
{
	return find_next(map, size, start, 0);
}

size_t bitmap_find_next_clear(const unsigned long *map, size_t size, size_t start)
{
	return find_next(map, size, start, ~0UL);
}

size_t bitmap_weight(const unsigned long *map, size_t size)
{
	size_t full = size / BITS_PER_LONG;
	size_t count = 0;
	size_t w;

	for (w = 0; w < full; w++)
		count += (size_t)__builtin_popcountl(map[w]);
	if (size % BITS_PER_LONG)
		count += (size_t)__builtin_popcountl(map[w] & mask_below(size));
	return count;
}

bool bitmap_empty(const unsigned long *map, size_t size)
{
	size_t full = size / BITS_PER_LONG;
	size_t w;

	for (w = 0; w < full; w++)
		if (map[w])
			return false;
	if (size % BITS_PER_LONG)
		return !(map[w] & mask_below(size));
	return true;
}
