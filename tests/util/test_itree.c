/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_itree.c - the interval tree against a brute-force oracle.
 *
 * The oracle is a plain array of the inserted nodes.  Random inserts and removes (ranges
 * drawn to touch 0 and UINT64_MAX, to cover everything, and to pile up on equal starts) are
 * followed, batch by batch, by the structural checker and by queries whose answers are
 * recomputed by scanning the array.  The tree's own in-order walk fixes the order among equal
 * starts, so an overlap query must return exactly the overlapping subsequence of that walk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/itree.h"

struct item {
	struct itree_node node;
	size_t slot; /* index in live[] while inserted, SIZE_MAX otherwise */
	unsigned int mark;
};

#define POOL 1500

static struct item pool[POOL];
static struct item *live[POOL];
static size_t nr_live;
static struct itree_node *walk[POOL];
static unsigned int mark_gen;

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* A value from a mix of regions, so ranges collide, nest and hit both ends of u64. */
static uint64_t rnd_point(void)
{
	switch (rnd_below(6)) {
	case 0:
		return rnd_below(64);
	case 1:
		return UINT64_MAX - rnd_below(64);
	case 2:
		return rnd_below(4096);
	case 3:
		return (UINT64_MAX / 2) + rnd_below(4096) - 2048;
	default:
		return rnd();
	}
}

static void rnd_range(uint64_t *start, uint64_t *last)
{
	uint64_t a, b;

	switch (rnd_below(10)) {
	case 0:
		*start = 0;
		*last = UINT64_MAX;
		return;
	case 1:
		*start = 0;
		*last = rnd_point();
		return;
	case 2:
		*start = rnd_point();
		*last = UINT64_MAX;
		return;
	case 3:
		*start = *last = rnd_point();
		return;
	default:
		a = rnd_point();
		b = rnd_point();
		*start = a < b ? a : b;
		*last = a < b ? b : a;
		return;
	}
}

static bool overlaps(const struct itree_node *n, uint64_t start, uint64_t last)
{
	return n->start <= last && n->last >= start;
}

static void oracle_reset(void)
{
	for (size_t i = 0; i < POOL; i++)
		pool[i].slot = SIZE_MAX;
	nr_live = 0;
}

static void do_insert(struct itree *t, struct item *it, uint64_t start, uint64_t last)
{
	it->node.start = start;
	it->node.last = last;
	itree_insert(t, &it->node);
	it->slot = nr_live;
	live[nr_live++] = it;
}

static void do_remove(struct itree *t, struct item *it)
{
	itree_remove(t, &it->node);
	live[it->slot] = live[--nr_live];
	live[it->slot]->slot = it->slot;
	it->slot = SIZE_MAX;
}

/* In-order walk: sorted, every live node exactly once, prev/next agree. */
static size_t check_walk(struct itree *t)
{
	struct itree_node *n, *prev = NULL;
	size_t k = 0;

	mark_gen++;
	for (n = itree_first(t); n; n = itree_next(n)) {
		struct item *it = itree_entry(n, struct item, node);

		assert_true(k < nr_live);
		assert_true(it->slot != SIZE_MAX);
		assert_true(it->mark != mark_gen);
		it->mark = mark_gen;
		if (prev)
			assert_true(prev->start <= n->start);
		assert_ptr_equal(itree_prev(n), prev);
		walk[k++] = n;
		prev = n;
	}
	assert_int_equal(k, nr_live);
	assert_int_equal(t->count, nr_live);
	assert_ptr_equal(itree_last_node(t), prev);
	assert_int_equal(itree_empty(t), nr_live == 0);
	return k;
}

static void check_query(struct itree *t, size_t nwalk, uint64_t start, uint64_t last)
{
	struct itree_node *n = itree_iter_first(t, start, last);
	size_t i;

	for (i = 0; i < nwalk; i++) {
		if (!overlaps(walk[i], start, last))
			continue;
		assert_ptr_equal(n, walk[i]);
		n = itree_iter_next(n, start, last);
	}
	assert_null(n);
}

static void check_find_le(struct itree *t, uint64_t key)
{
	struct itree_node *n = itree_find_le(t, key);
	bool any = false;
	uint64_t best = 0;

	for (size_t i = 0; i < nr_live; i++) {
		uint64_t s = live[i]->node.start;

		if (s <= key && (!any || s > best)) {
			best = s;
			any = true;
		}
	}
	if (!any) {
		assert_null(n);
		return;
	}
	assert_non_null(n);
	assert_true(n->start == best);
	/* The last one in order among equal starts. */
	n = itree_next(n);
	assert_true(!n || n->start > key);
}

static void check_all(struct itree *t, unsigned int nqueries)
{
	size_t nwalk;
	uint64_t s, l;

	assert_true(itree_check(t));
	nwalk = check_walk(t);
	for (unsigned int q = 0; q < nqueries; q++) {
		rnd_range(&s, &l);
		check_query(t, nwalk, s, l);
		check_find_le(t, rnd_point());
	}
	/* Queries aimed at live nodes' own edges. */
	for (unsigned int q = 0; q < 4 && nr_live; q++) {
		struct itree_node *n = &live[rnd_below(nr_live)]->node;

		check_query(t, nwalk, n->start, n->start);
		check_query(t, nwalk, n->last, n->last);
		check_query(t, nwalk, n->start, UINT64_MAX);
		check_query(t, nwalk, 0, n->last);
		check_find_le(t, n->start);
		if (n->start)
			check_find_le(t, n->start - 1);
	}
	check_query(t, nwalk, 0, UINT64_MAX);
	check_query(t, nwalk, 0, 0);
	check_query(t, nwalk, UINT64_MAX, UINT64_MAX);
	check_find_le(t, 0);
	check_find_le(t, UINT64_MAX);
}

static void test_empty(void **state)
{
	struct itree t;

	(void)state;
	itree_init(&t);
	assert_true(itree_empty(&t));
	assert_true(itree_check(&t));
	assert_null(itree_first(&t));
	assert_null(itree_last_node(&t));
	assert_null(itree_iter_first(&t, 0, UINT64_MAX));
	assert_null(itree_find_le(&t, UINT64_MAX));
}

static void test_small(void **state)
{
	struct itree t;
	struct itree_node *n;

	(void)state;
	oracle_reset();
	itree_init(&t);
	do_insert(&t, &pool[0], 10, 19);
	do_insert(&t, &pool[1], 0, 0);
	do_insert(&t, &pool[2], UINT64_MAX, UINT64_MAX);
	do_insert(&t, &pool[3], 15, 100);
	do_insert(&t, &pool[4], 10, 10);
	assert_true(itree_check(&t));

	assert_ptr_equal(itree_iter_first(&t, 0, 0), &pool[1].node);
	assert_null(itree_iter_next(&pool[1].node, 0, 0));
	assert_null(itree_iter_first(&t, 1, 9));
	assert_null(itree_iter_first(&t, 101, UINT64_MAX - 1));

	n = itree_iter_first(&t, 12, 16);
	assert_ptr_equal(n, &pool[0].node);
	n = itree_iter_next(n, 12, 16);
	assert_ptr_equal(n, &pool[3].node);
	assert_null(itree_iter_next(n, 12, 16));

	/* Equal starts stay in insertion order. */
	n = itree_iter_first(&t, 10, 10);
	assert_ptr_equal(n, &pool[0].node);
	assert_ptr_equal(itree_iter_next(n, 10, 10), &pool[4].node);

	assert_ptr_equal(itree_find_le(&t, 9), &pool[1].node);
	assert_ptr_equal(itree_find_le(&t, 10), &pool[4].node);
	assert_ptr_equal(itree_find_le(&t, UINT64_MAX), &pool[2].node);
	assert_ptr_equal(itree_iter_first(&t, 200, UINT64_MAX), &pool[2].node);

	do_remove(&t, &pool[0]);
	do_remove(&t, &pool[2]);
	assert_true(itree_check(&t));
	assert_null(itree_iter_first(&t, 200, UINT64_MAX));
	assert_ptr_equal(itree_iter_first(&t, 12, 16), &pool[3].node);
	check_all(&t, 8);
}

/* Sorted, reverse-sorted and all-equal inserts must stay balanced. */
static void test_sequential(void **state)
{
	struct itree t;
	size_t i;

	(void)state;
	oracle_reset();
	itree_init(&t);
	for (i = 0; i < POOL / 3; i++)
		do_insert(&t, &pool[i], i * 2, i * 2 + 5);
	for (; i < 2 * POOL / 3; i++)
		do_insert(&t, &pool[i], UINT64_MAX - i, UINT64_MAX);
	for (; i < POOL; i++)
		do_insert(&t, &pool[i], 777, 777 + i);
	/* Height of an AVL tree of n nodes is below 1.45 log2(n + 2). */
	assert_true(t.root->balance <= 16);
	rng_state = 99;
	check_all(&t, 64);
	for (i = 0; i < POOL; i += 2)
		do_remove(&t, &pool[i]);
	check_all(&t, 64);
	while (nr_live)
		do_remove(&t, live[0]);
	assert_true(itree_empty(&t));
	assert_true(itree_check(&t));
}

static void run_random(uint64_t seed, unsigned long nops, unsigned int batch)
{
	struct itree t;
	uint64_t s, l;

	rng_state = seed;
	oracle_reset();
	itree_init(&t);
	for (unsigned long op = 1; op <= nops; op++) {
		/* Drift between a near-empty and a near-full tree. */
		unsigned int fill = (op / 20000) % 2 ? 30 : 70;
		struct item *it;

		if (nr_live < POOL && (nr_live == 0 || rnd_below(100) < fill)) {
			do {
				it = &pool[rnd_below(POOL)];
			} while (it->slot != SIZE_MAX);
			rnd_range(&s, &l);
			do_insert(&t, it, s, l);
		} else {
			do_remove(&t, live[rnd_below(nr_live)]);
		}
		if (op % batch == 0)
			check_all(&t, 16);
	}
	check_all(&t, 64);
	while (nr_live) {
		do_remove(&t, live[rnd_below(nr_live)]);
		if (nr_live % 97 == 0)
			check_all(&t, 4);
	}
	assert_true(itree_empty(&t));
}

static void test_random(void **state)
{
	(void)state;
	run_random(0x9e3779b97f4a7c15ULL, 150000, 200);
}

static void test_random_small_batches(void **state)
{
	(void)state;
	run_random(12345, 20000, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_sequential),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_random_small_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
