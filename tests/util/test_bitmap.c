/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bitmap.c - bitmap operations against a bool array.
 *
 * Sizes are picked around word boundaries (0, 1, 63, 64, 65, 127, 128, 129, ...) and at
 * random, runs are picked to cross words, and the padding bits past size in the last word
 * are filled with a random pattern before each round: no operation may change them, and
 * no search or count may see them.  A guard word after the array must stay untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/bitmap.h"

#define MAX_BITS 1100
#define GUARD	 0x5a5aa5a5c3c33c3cUL

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

struct fixture {
	unsigned long map[BITS_TO_LONGS(MAX_BITS) + 1];
	bool shadow[MAX_BITS];
	size_t size;
	unsigned long pad_bits; /* the padding pattern of the last word */
};

static size_t nwords(size_t size)
{
	return BITS_TO_LONGS(size);
}

/* Every word matches the shadow; padding and the guard word are unchanged. */
static void check_map(const struct fixture *f)
{
	size_t w, b;

	for (b = 0; b < f->size; b++)
		assert_int_equal(bitmap_test_bit(f->map, b), f->shadow[b]);
	w = nwords(f->size);
	if (f->size % BITS_PER_LONG) {
		unsigned long pad = f->map[w - 1] & (~0UL << (f->size % BITS_PER_LONG));

		assert_true(pad == f->pad_bits);
	}
	assert_true(f->map[w] == GUARD);
}

static size_t oracle_next(const struct fixture *f, size_t start, bool value)
{
	for (size_t b = start; b < f->size; b++)
		if (f->shadow[b] == value)
			return b;
	return f->size;
}

static size_t oracle_weight(const struct fixture *f)
{
	size_t n = 0;

	for (size_t b = 0; b < f->size; b++)
		n += f->shadow[b];
	return n;
}

static void setup(struct fixture *f, size_t size)
{
	size_t w = nwords(size);

	f->size = size;
	for (size_t i = 0; i < w; i++)
		f->map[i] = 0;
	f->map[w] = GUARD;
	for (size_t b = 0; b < size; b++)
		f->shadow[b] = false;
	f->pad_bits = 0;
	if (size % BITS_PER_LONG) {
		f->pad_bits = (unsigned long)rnd() & (~0UL << (size % BITS_PER_LONG));
		f->map[w - 1] |= f->pad_bits;
	}
}

/* A run inside [0, size), biased towards word edges. */
static void rnd_run(const struct fixture *f, size_t *start, size_t *len)
{
	size_t s, e;

	if (!f->size) {
		*start = *len = 0;
		return;
	}
	if (rnd_below(3) == 0) {
		size_t edge = rnd_below(nwords(f->size) + 1) * BITS_PER_LONG;

		s = edge ? edge - rnd_below(3) : 0;
		if (s > f->size)
			s = f->size;
	} else {
		s = rnd_below(f->size + 1);
	}
	switch (rnd_below(4)) {
	case 0:
		e = s + rnd_below(4);
		break;
	case 1:
		e = f->size;
		break;
	default:
		e = s + rnd_below(f->size - s + 1);
		break;
	}
	if (e > f->size)
		e = f->size;
	*start = s;
	*len = e - s;
}

static void check_queries(const struct fixture *f)
{
	size_t start = rnd_below(f->size + 3);

	assert_int_equal(bitmap_find_next_set(f->map, f->size, start), oracle_next(f, start, true));
	assert_int_equal(bitmap_find_next_clear(f->map, f->size, start),
			 oracle_next(f, start, false));
	assert_int_equal(bitmap_weight(f->map, f->size), oracle_weight(f));
	assert_int_equal(bitmap_empty(f->map, f->size), oracle_weight(f) == 0);
}

static void run_size(struct fixture *f, size_t size, unsigned int nops)
{
	size_t s, len, b;

	setup(f, size);
	check_map(f);
	for (unsigned int op = 0; op < nops; op++) {
		switch (rnd_below(size ? 6 : 1)) {
		case 0:
			rnd_run(f, &s, &len);
			bitmap_set(f->map, s, len);
			for (b = s; b < s + len; b++)
				f->shadow[b] = true;
			break;
		case 1:
			rnd_run(f, &s, &len);
			bitmap_clear(f->map, s, len);
			for (b = s; b < s + len; b++)
				f->shadow[b] = false;
			break;
		case 2:
			b = rnd_below(size);
			bitmap_set_bit(f->map, b);
			f->shadow[b] = true;
			break;
		case 3:
			b = rnd_below(size);
			bitmap_clear_bit(f->map, b);
			f->shadow[b] = false;
			break;
		default:
			b = rnd_below(size);
			assert_int_equal(bitmap_test_bit(f->map, b), f->shadow[b]);
			break;
		}
		check_queries(f);
		if (op % 16 == 0)
			check_map(f);
	}
	check_map(f);

	/* Walk every set bit and every clear bit. */
	for (b = bitmap_find_next_set(f->map, size, 0); b < size;
	     b = bitmap_find_next_set(f->map, size, b + 1))
		assert_true(f->shadow[b] && oracle_next(f, b, true) == b);
	for (b = bitmap_find_next_clear(f->map, size, 0); b < size;
	     b = bitmap_find_next_clear(f->map, size, b + 1))
		assert_true(!f->shadow[b] && oracle_next(f, b, false) == b);
}

static void test_edges(void **state)
{
	static struct fixture f;
	const size_t size = 130;

	(void)state;
	rng_state = 7;
	setup(&f, size);
	assert_true(bitmap_empty(f.map, size));
	assert_int_equal(bitmap_find_next_set(f.map, size, 0), size);
	assert_int_equal(bitmap_find_next_clear(f.map, size, 0), 0);
	bitmap_set(f.map, 60, 10);
	assert_int_equal(bitmap_weight(f.map, size), 10);
	assert_int_equal(bitmap_find_next_set(f.map, size, 0), 60);
	assert_int_equal(bitmap_find_next_clear(f.map, size, 60), 70);
	bitmap_set(f.map, 0, size);
	assert_int_equal(bitmap_weight(f.map, size), size);
	assert_int_equal(bitmap_find_next_clear(f.map, size, 0), size);
	bitmap_clear(f.map, 64, 64);
	assert_int_equal(bitmap_find_next_clear(f.map, size, 0), 64);
	assert_int_equal(bitmap_find_next_set(f.map, size, 64), 128);
	assert_int_equal(bitmap_find_next_set(f.map, size, size), size);
	assert_int_equal(bitmap_find_next_set(f.map, size, size + 100), size);
	bitmap_clear(f.map, 0, size);
	assert_true(bitmap_empty(f.map, size));
	for (size_t b = 0; b < size; b++)
		f.shadow[b] = false;
	check_map(&f);
	bitmap_zero(f.map, size);
	assert_int_equal(f.map[nwords(size)], GUARD);
	assert_int_equal(bitmap_weight(f.map, 0), 0);
	assert_true(bitmap_empty(f.map, 0));
	assert_int_equal(bitmap_find_next_set(f.map, 0, 0), 0);
}

static void test_boundary_sizes(void **state)
{
	static struct fixture f;
	const size_t sizes[] = { 0,   1,   2,	31,  32,  33,  63,  64,	 65,   127,
				 128, 129, 191, 192, 193, 255, 256, 257, 1000, MAX_BITS };

	(void)state;
	rng_state = 0x1234567;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run_size(&f, sizes[i], 3000);
}

static void test_random_sizes(void **state)
{
	static struct fixture f;

	(void)state;
	rng_state = 0xfeedface;
	for (unsigned int round = 0; round < 60; round++)
		run_size(&f, 1 + rnd_below(MAX_BITS), 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_boundary_sizes),
		cmocka_unit_test(test_random_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
