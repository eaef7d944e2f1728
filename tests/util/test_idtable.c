/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_idtable.c - the ID table against an array oracle, with allocation faults.
 *
 * The oracle keeps, per ID, its state (free, reserved, visible) and its value.  Random
 * reserve / publish / unreserve / erase / lookup / cmpxchg calls are applied to both and
 * every answer compared, including which ID a reservation returns (always the lowest free
 * one under the limit).  After each batch the whole table is compared: lookups of every ID,
 * count and a full iteration.
 *
 * Faults come through idt_test_alloc: either "fail the Nth allocation" or "fail at random".
 * A failed reservation must leave the table exactly equal to the oracle, and
 * LeakSanitizer (in -fsanitize=address builds) checks that nothing leaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/idtable.h"

enum slot_state { S_FREE, S_RESERVED, S_VISIBLE };

#define ORACLE_IDS 4096
#define MAX_TAKEN  3000
#define NR_VALUES  64

static struct {
	enum slot_state state;
	void *value;
} oracle[ORACLE_IDS + 1];
static size_t oracle_count;
static char values[NR_VALUES];

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static void *rnd_value(void)
{
	return &values[rnd_below(NR_VALUES)];
}

/* Allocation fault hook: fail the Nth call from now, or each call with some probability. */
static long fail_countdown = -1;
static unsigned int fail_percent;
static unsigned long nr_failed;

static void *faulty_alloc(size_t size)
{
	if (fail_countdown == 0 || (fail_percent && rnd_below(100) < fail_percent)) {
		fail_countdown = -1;
		nr_failed++;
		return NULL;
	}
	if (fail_countdown > 0)
		fail_countdown--;
	return malloc(size);
}

static void oracle_reset(void)
{
	for (uint32_t i = 0; i <= ORACLE_IDS; i++) {
		oracle[i].state = S_FREE;
		oracle[i].value = NULL;
	}
	oracle_count = 0;
}

static uint32_t oracle_lowest_free(void)
{
	uint32_t id = 1;

	while (oracle[id].state != S_FREE)
		id++;
	return id;
}

/* An ID in the given state, starting the scan at a random place; 0 if none. */
static uint32_t pick_id(enum slot_state state)
{
	uint32_t start = 1 + rnd_below(ORACLE_IDS);

	for (uint32_t i = 0; i < ORACLE_IDS; i++) {
		uint32_t id = 1 + (start - 1 + i) % ORACLE_IDS;

		if (oracle[id].state == state)
			return id;
	}
	return 0;
}

/* Any ID: mostly near the used ones, sometimes 0, far away or UINT32_MAX. */
static uint32_t rnd_any_id(void)
{
	switch (rnd_below(20)) {
	case 0:
		return 0;
	case 1:
		return UINT32_MAX;
	case 2:
		return ORACLE_IDS + rnd_below(1000);
	default:
		return 1 + rnd_below((uint32_t)oracle_count + 8);
	}
}

static void *oracle_visible(uint32_t id)
{
	if (id == 0 || id > ORACLE_IDS || oracle[id].state != S_VISIBLE)
		return NULL;
	return oracle[id].value;
}

static void check_full(struct idtable *t)
{
	uint32_t id, want;
	void *v;

	assert_int_equal(idt_count(t), oracle_count);
	for (id = 0; id <= ORACLE_IDS; id++)
		assert_ptr_equal(idt_lookup(t, id), oracle_visible(id));
	assert_null(idt_lookup(t, UINT32_MAX));

	/* Full iteration in ID order. */
	want = 1;
	id = 0;
	while ((v = idt_find_next(t, &id))) {
		while (want <= ORACLE_IDS && oracle[want].state != S_VISIBLE)
			want++;
		assert_int_equal(id, want);
		assert_ptr_equal(v, oracle[want].value);
		id++;
		want++;
	}
	while (want <= ORACLE_IDS && oracle[want].state != S_VISIBLE)
		want++;
	assert_int_equal(want, ORACLE_IDS + 1);

	/* One lookup from a random place. */
	id = rnd_below(ORACLE_IDS + 2);
	want = id ? id : 1;
	while (want <= ORACLE_IDS && oracle[want].state != S_VISIBLE)
		want++;
	v = idt_find_next(t, &id);
	if (want > ORACLE_IDS) {
		assert_null(v);
	} else {
		assert_int_equal(id, want);
		assert_ptr_equal(v, oracle[want].value);
	}
}

static void op_reserve(struct idtable *t)
{
	uint32_t max_id, id = 0, want = oracle_lowest_free();
	int rc;

	if (oracle_count >= MAX_TAKEN)
		return;
	max_id = rnd_below(4) ? INT32_MAX : 1 + rnd_below((uint32_t)oracle_count + 4);
	rc = idt_reserve(t, max_id, &id);
	if (rc == -ENOMEM) {
		assert_true(fail_percent > 0);
		check_full(t);
		return;
	}
	if (want > max_id) {
		assert_int_equal(rc, -ENOSPC);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(id, want);
	assert_null(idt_lookup(t, id));
	oracle[id].state = S_RESERVED;
	oracle_count++;
}

static void op_publish(struct idtable *t)
{
	uint32_t id = pick_id(S_RESERVED);
	void *v = rnd_value();

	if (!id)
		return;
	idt_publish(t, id, v);
	oracle[id].state = S_VISIBLE;
	oracle[id].value = v;
	assert_ptr_equal(idt_lookup(t, id), v);
}

static void op_unreserve(struct idtable *t)
{
	uint32_t id = pick_id(S_RESERVED);

	if (!id)
		return;
	idt_unreserve(t, id);
	oracle[id].state = S_FREE;
	oracle_count--;
}

static void op_erase(struct idtable *t)
{
	uint32_t id = rnd_below(2) ? pick_id(S_VISIBLE) : rnd_any_id();
	void *want = oracle_visible(id);

	assert_ptr_equal(idt_erase(t, id), want);
	if (id && id <= ORACLE_IDS && oracle[id].state != S_FREE) {
		oracle[id].state = S_FREE;
		oracle[id].value = NULL;
		oracle_count--;
	}
	assert_null(idt_lookup(t, id));
}

static void op_cmpxchg(struct idtable *t)
{
	uint32_t id = rnd_below(3) ? pick_id(S_VISIBLE) : rnd_any_id();
	void *cur = oracle_visible(id);
	void *old, *new_ptr;
	bool want;

	switch (rnd_below(4)) {
	case 0:
		old = NULL;
		break;
	case 1:
		old = rnd_value();
		break;
	default:
		old = cur;
		break;
	}
	new_ptr = rnd_below(5) ? rnd_value() : NULL;
	want = old && cur == old;
	assert_int_equal(idt_cmpxchg(t, id, old, new_ptr), want);
	if (want) {
		oracle[id].state = new_ptr ? S_VISIBLE : S_RESERVED;
		oracle[id].value = new_ptr;
	}
	assert_ptr_equal(idt_lookup(t, id), oracle_visible(id));
}

static void run_random(uint64_t seed, unsigned long nops, unsigned int percent)
{
	struct idtable *t;

	rng_state = seed;
	oracle_reset();
	t = idt_new();
	assert_non_null(t);
	idt_test_alloc = faulty_alloc;
	fail_percent = percent;
	for (unsigned long op = 1; op <= nops; op++) {
		/* Alternate between growing and shrinking phases. */
		bool grow = (op / 5000) % 2 == 0;

		switch (rnd_below(12)) {
		case 0:
		case 1:
		case 2:
			op_reserve(t);
			if (grow)
				op_reserve(t);
			break;
		case 3:
		case 4:
			op_publish(t);
			break;
		case 5:
			op_unreserve(t);
			break;
		case 6:
		case 7:
			op_erase(t);
			if (!grow)
				op_erase(t);
			break;
		case 8:
		case 9:
			op_cmpxchg(t);
			break;
		default: {
			uint32_t id = rnd_any_id();

			assert_ptr_equal(idt_lookup(t, id), oracle_visible(id));
			break;
		}
		}
		if (op % 500 == 0)
			check_full(t);
	}
	check_full(t);
	fail_percent = 0;
	idt_test_alloc = NULL;
	idt_free(t);
}

static void test_basic(void **state)
{
	struct idtable *t = idt_new();
	uint32_t id;
	int x, y;

	(void)state;
	assert_non_null(t);
	assert_int_equal(idt_count(t), 0);
	assert_int_equal(idt_reserve(t, 0, &id), -ENOSPC);
	for (uint32_t want = 1; want <= 5; want++) {
		assert_int_equal(idt_reserve(t, 5, &id), 0);
		assert_int_equal(id, want);
	}
	assert_int_equal(idt_reserve(t, 5, &id), -ENOSPC);
	assert_null(idt_lookup(t, 3));
	idt_publish(t, 3, &x);
	assert_ptr_equal(idt_lookup(t, 3), &x);
	id = 0;
	assert_ptr_equal(idt_find_next(t, &id), &x);
	assert_int_equal(id, 3);
	id = 4;
	assert_null(idt_find_next(t, &id));

	assert_false(idt_cmpxchg(t, 3, &y, &y));
	assert_false(idt_cmpxchg(t, 2, NULL, &y));
	assert_true(idt_cmpxchg(t, 3, &x, &y));
	assert_ptr_equal(idt_lookup(t, 3), &y);
	/* Hide it again: still taken, invisible. */
	assert_true(idt_cmpxchg(t, 3, &y, NULL));
	assert_null(idt_lookup(t, 3));
	assert_int_equal(idt_count(t), 5);
	idt_publish(t, 3, &x);

	assert_ptr_equal(idt_erase(t, 3), &x);
	assert_null(idt_erase(t, 3));
	assert_null(idt_erase(t, 0));
	assert_null(idt_erase(t, UINT32_MAX));
	idt_unreserve(t, 2);
	assert_int_equal(idt_count(t), 3);
	assert_int_equal(idt_reserve(t, INT32_MAX, &id), 0);
	assert_int_equal(id, 2);
	/* 3 is free but above the limit. */
	assert_int_equal(idt_reserve(t, 2, &id), -ENOSPC);
	assert_int_equal(idt_reserve(t, INT32_MAX, &id), 0);
	assert_int_equal(id, 3);
	assert_int_equal(idt_reserve(t, INT32_MAX, &id), 0);
	assert_int_equal(id, 6);
	assert_null(idt_lookup(t, 0));
	assert_false(idt_cmpxchg(t, 0, &x, &y));
	assert_false(idt_cmpxchg(t, UINT32_MAX, &x, &y));
	idt_free(t);
	idt_free(NULL);
}

/* Many IDs in a row force growth; free every other one and get them back lowest first. */
static void test_growth_and_reuse(void **state)
{
	struct idtable *t = idt_new();
	const uint32_t n = 20000;
	uint32_t id;

	(void)state;
	assert_non_null(t);
	for (uint32_t i = 1; i <= n; i++) {
		assert_int_equal(idt_reserve(t, INT32_MAX, &id), 0);
		assert_int_equal(id, i);
		idt_publish(t, id, &values[i % NR_VALUES]);
	}
	for (uint32_t i = n; i >= 1; i -= 2)
		assert_ptr_equal(idt_erase(t, i), &values[i % NR_VALUES]);
	assert_int_equal(idt_count(t), n / 2);
	for (uint32_t i = 2; i <= n; i += 2) {
		assert_int_equal(idt_reserve(t, INT32_MAX, &id), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(idt_reserve(t, INT32_MAX, &id), 0);
	assert_int_equal(id, n + 1);
	idt_free(t);
}

/* Fail the Nth allocation for every N a growing table reaches; nothing may change or leak. */
static void test_fail_nth(void **state)
{
	(void)state;
	idt_test_alloc = faulty_alloc;
	for (long nth = 0; nth < 12; nth++) {
		struct idtable *t;
		bool failed = false;

		fail_countdown = nth;
		t = idt_new();
		if (!t) {
			assert_int_equal(nth, 0);
			continue;
		}
		oracle_reset();
		rng_state = 1000 + (uint64_t)nth;
		for (uint32_t i = 1; i <= 600; i++) {
			uint32_t id = 0;
			int rc = idt_reserve(t, INT32_MAX, &id);

			if (rc == -ENOMEM) {
				assert_false(failed);
				failed = true;
				check_full(t);
				rc = idt_reserve(t, INT32_MAX, &id);
			}
			assert_int_equal(rc, 0);
			assert_int_equal(id, i);
			oracle[id].state = S_VISIBLE;
			oracle[id].value = rnd_value();
			oracle_count++;
			idt_publish(t, id, oracle[id].value);
		}
		/* 600 IDs need several growths: each N up to 11 hits one of them. */
		assert_true(failed);
		check_full(t);
		idt_free(t);
	}
	fail_countdown = -1;
	idt_test_alloc = NULL;
}

static void test_random(void **state)
{
	(void)state;
	run_random(0x243f6a8885a308d3ULL, 200000, 0);
}

static void test_random_faults(void **state)
{
	(void)state;
	nr_failed = 0;
	run_random(0x13198a2e03707344ULL, 100000, 30);
	assert_true(nr_failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),	      cmocka_unit_test(test_growth_and_reuse),
		cmocka_unit_test(test_fail_nth),      cmocka_unit_test(test_random),
		cmocka_unit_test(test_random_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
