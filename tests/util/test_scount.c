/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_scount.c - the sparse counter array against a plain array, and its memory bound.
 *
 * Random reserve/add/get rounds over sizes around the leaf and node boundaries are checked
 * against a shadow array; a 2^50-position array (a 2^62-byte area of 4 KiB pages) takes
 * counters at both ends without allocating more than a few nodes, which the heap count of
 * mallinfo2 shows.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/scount.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void add_range(struct scount *s, uint32_t *shadow, uint64_t first, uint64_t last, int delta)
{
	for (uint64_t i = first; i <= last; i++) {
		unsigned int avail;
		uint32_t *c = scount_leaf(s, i, false, &avail);

		assert_non_null(c);
		assert_true(avail >= 1 && avail <= SCOUNT_LEAF);
		*c += (uint32_t)delta;
		shadow[i] += (uint32_t)delta;
	}
}

static void test_against_shadow(void **state)
{
	static const uint64_t sizes[] = { 1, 2, 511, 512, 513, 1023, 1024, 262144, 262145, 300000 };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t n = sizes[k];
		uint32_t *shadow = calloc(n, sizeof(*shadow));
		struct scount s;

		assert_non_null(shadow);
		scount_init(&s, n);
		for (int round = 0; round < 200; round++) {
			uint64_t a = rnd() % n, b = rnd() % n, len;
			uint64_t first = a < b ? a : b, last = a < b ? b : a;

			/* keep runs short on big arrays so the test stays quick */
			len = last - first;
			if (len > 4096)
				last = first + 4096;
			assert_int_equal(scount_reserve(&s, first, last), 0);
			add_range(&s, shadow, first, last, 1);
			if (rnd() & 1)
				add_range(&s, shadow, first, last, -1);
		}
		for (int probe = 0; probe < 5000; probe++) {
			uint64_t i = rnd() % n;

			assert_int_equal(scount_get(&s, i), shadow[i]);
		}
		assert_int_equal(scount_get(&s, 0), shadow[0]);
		for (int probe = 0; probe < 50; probe++) {
			uint64_t a = rnd() % n, b = rnd() % n, want = 0;
			uint64_t first = a < b ? a : b, last = a < b ? b : a;

			for (uint64_t i = first; i <= last; i++)
				want += shadow[i] != 0;
			assert_int_equal(scount_count_nonzero(&s, first, last), want);
		}
		assert_int_equal(scount_get(&s, n - 1), shadow[n - 1]);
		scount_free(&s);
		assert_null(s.root);
		assert_int_equal(scount_get(&s, 0), 0);
		free(shadow);
	}
}

static void test_huge_is_sparse(void **state)
{
	const uint64_t n = 1ULL << 50;
	struct scount s;
	size_t before, after;
	unsigned int avail;

	(void)state;
	before = mallinfo2().uordblks;
	scount_init(&s, n);
	assert_int_equal(scount_get(&s, n - 1), 0);
	/* a lookup without alloc makes nothing */
	assert_null(scount_leaf(&s, n - 1, false, &avail));
	assert_null(s.root);
	assert_int_equal(scount_reserve(&s, n - 1000, n - 1), 0);
	assert_int_equal(scount_reserve(&s, 0, 10), 0);
	after = mallinfo2().uordblks;
	/* two paths of at most 6 nodes of 4 KiB (pointers) or 2 KiB (leaves) */
	assert_true(after - before <= 16 * 4096);
	(*scount_leaf(&s, n - 1, false, &avail))++;
	assert_int_equal(avail, 1);
	assert_int_equal(scount_get(&s, n - 1), 1);
	assert_int_equal(scount_get(&s, n - 2), 0);
	assert_int_equal(scount_get(&s, n / 2), 0);
	assert_int_equal(scount_count_nonzero(&s, 0, n - 1), 1);
	assert_int_equal(scount_count_nonzero(&s, 0, n - 2), 0);
	scount_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_shadow),
		cmocka_unit_test(test_huge_is_sparse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
