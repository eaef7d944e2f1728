/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pt_arena.c - the table-page arena on its own: sizes and alignment, zeroing, reuse,
 * growth across chunks and its limit, deferred lists, the live counters, the
 * fail-the-Nth-allocation hook, misuse aborting, and another process reading the same
 * pages through its own mapping of the memfd.
 *
 * Words: pa = where this process sees a page; offset = its place in the memfd.
 *
 * Traps: misuse (double free, freeing a pointer the arena never gave out) aborts by
 * design; those cases run in a forked child and the parent checks for SIGABRT.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "iommu/phys.h"
#include "pt/pt_arena.h"

static struct pt_arena *mk(uint64_t max)
{
	struct pt_arena *a = NULL;

	assert_int_equal(pt_arena_create(max, &a), 0);
	return a;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void test_sizes(void **state)
{
	struct pt_arena *a = mk(0);
	unsigned int lg2;
	void *p[10];

	(void)state;
	for (lg2 = 12; lg2 <= 21; lg2++) {
		p[lg2 - 12] = pt_arena_alloc(a, lg2);
		assert_non_null(p[lg2 - 12]);
		assert_int_equal((uintptr_t)p[lg2 - 12] & ((1ULL << lg2) - 1), 0);
		assert_true(all_zero(p[lg2 - 12], (size_t)1 << lg2));
		memset(p[lg2 - 12], 0xa5, (size_t)1 << lg2);
		assert_true(
			pt_arena_pa_is_live(a, pt_arena_pa(a, p[lg2 - 12]) + (1ULL << lg2) - 1));
	}
	assert_int_equal(pt_arena_live_pages(a), 10);
	assert_int_equal(pt_arena_live_bytes(a), (1ULL << 22) - (1ULL << 12));
	assert_null(pt_arena_alloc(a, 22));
	assert_int_equal(errno, EINVAL);
	/* freed pages come back zeroed, lowest address first */
	for (lg2 = 12; lg2 <= 21; lg2++) {
		pt_arena_free(a, p[lg2 - 12]);
		assert_false(pt_arena_pa_is_live(a, pt_arena_pa(a, p[lg2 - 12])));
	}
	assert_int_equal(pt_arena_live_pages(a), 0);
	assert_int_equal(pt_arena_live_bytes(a), 0);
	for (lg2 = 12; lg2 <= 21; lg2++) {
		void *q = pt_arena_alloc(a, lg2);

		assert_ptr_equal(q, p[lg2 - 12]);
		assert_true(all_zero(q, (size_t)1 << lg2));
		pt_arena_free(a, q);
	}
	assert_int_equal(pt_arena_total_allocs(a), 20);
	pt_arena_put(a);
}

static void test_growth_and_limit(void **state)
{
	struct pt_arena *a = mk(4ULL << 20); /* two chunks */
	void **p = calloc(1025, sizeof(*p));
	unsigned int i, j;

	(void)state;
	for (i = 0; i < 1024; i++) {
		p[i] = pt_arena_alloc(a, 12);
		assert_non_null(p[i]);
		*(uint32_t *)p[i] = i;
	}
	assert_int_equal(pt_arena_size(a), 4ULL << 20);
	assert_null(pt_arena_alloc(a, 12));
	assert_int_equal(errno, ENOMEM);
	/* pages never move and never overlap */
	for (i = 0; i < 1024; i++) {
		assert_int_equal(*(uint32_t *)p[i], i);
		for (j = i + 1; j < i + 4 && j < 1024; j++)
			assert_ptr_not_equal(p[i], p[j]);
	}
	for (i = 0; i < 1024; i++)
		pt_arena_free(a, p[i]);
	assert_int_equal(pt_arena_live_pages(a), 0);
	/* the chunks are carved for 4K now; a 2M page cannot fit */
	assert_null(pt_arena_alloc(a, 21));
	free(p);
	pt_arena_put(a);
	assert_int_equal(pt_arena_create(1ULL << 41, &a), -EINVAL);
}

static void test_deferred(void **state)
{
	struct pt_arena *a = mk(0);
	void *list = NULL, *p[3];
	unsigned int i;

	(void)state;
	for (i = 0; i < 3; i++)
		p[i] = pt_arena_alloc(a, 12 + i);
	for (i = 0; i < 3; i++)
		pt_arena_defer(a, &list, p[i]);
	assert_non_null(list);
	assert_int_equal(pt_arena_live_pages(a), 3);
	assert_int_equal(pt_arena_free_list(a, &list), 3);
	assert_null(list);
	assert_int_equal(pt_arena_live_pages(a), 0);
	assert_int_equal(pt_arena_free_list(a, &list), 0);
	pt_arena_put(a);
}

static void test_fail_nth(void **state)
{
	struct pt_arena *a = mk(0);
	void *p[4];

	(void)state;
	pt_arena_fail_nth(a, 3);
	p[0] = pt_arena_alloc(a, 12);
	p[1] = pt_arena_alloc(a, 12);
	p[2] = pt_arena_alloc(a, 12);
	p[3] = pt_arena_alloc(a, 12);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_null(p[2]);
	assert_int_equal(errno, ENOMEM);
	assert_non_null(p[3]);
	assert_int_equal(pt_arena_live_pages(a), 3);
	pt_arena_fail_nth(a, 1);
	pt_arena_fail_nth(a, 0); /* disarmed */
	p[2] = pt_arena_alloc(a, 12);
	assert_non_null(p[2]);
	pt_arena_free(a, p[0]);
	pt_arena_free(a, p[1]);
	pt_arena_free(a, p[2]);
	pt_arena_free(a, p[3]);
	pt_arena_put(a);
}

/* Run fn in a child; it must die of SIGABRT. */
static void expect_abort(void (*fn)(struct pt_arena *a))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (!pid) {
		struct pt_arena *a;

		if (pt_arena_create(0, &a))
			_exit(3);
		fn(a);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void double_free(struct pt_arena *a)
{
	void *p = pt_arena_alloc(a, 12);

	pt_arena_free(a, p);
	pt_arena_free(a, p);
}

static void foreign_free(struct pt_arena *a)
{
	static uint64_t x[512] __attribute__((aligned(4096)));

	pt_arena_free(a, x);
}

static void tail_free(struct pt_arena *a)
{
	uint8_t *p = pt_arena_alloc(a, 14);

	pt_arena_free(a, p + 4096);
}

static void double_defer(struct pt_arena *a)
{
	void *list = NULL, *p = pt_arena_alloc(a, 12);

	pt_arena_defer(a, &list, p);
	pt_arena_defer(a, &list, p);
}

static void free_deferred(struct pt_arena *a)
{
	void *list = NULL, *p = pt_arena_alloc(a, 12);

	pt_arena_defer(a, &list, p);
	pt_arena_free(a, p);
}

static void test_misuse(void **state)
{
	(void)state;
	expect_abort(double_free);
	expect_abort(foreign_free);
	expect_abort(tail_free);
	expect_abort(double_defer);
	expect_abort(free_deferred);
}

/* Another process maps the memfd at its own address and reads what this one wrote. */
static void test_shared(void **state)
{
	struct pt_arena *a = mk(0);
	uint64_t *t = pt_arena_alloc(a, 12), off;
	int status;
	pid_t pid;

	(void)state;
	assert_false(pt_arena_pa_to_offset(a, pt_arena_base_pa(a) - 1, &off));
	assert_true(pt_arena_pa_to_offset(a, pt_arena_pa(a, t) + 8, &off));
	assert_int_equal(pt_arena_offset_to_pa(a, off), pt_arena_pa(a, t) + 8);
	assert_false(pt_arena_pa_to_offset(a, pt_arena_base_pa(a) + pt_arena_size(a), &off));
	t[1] = 0x1122334455667788ULL;
	t[511] = pt_arena_pa(a, t); /* a pa pointing back into the arena */
	pt_arena_pa_to_offset(a, pt_arena_pa(a, t), &off);

	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		size_t size = (size_t)pt_arena_size(a);
		/* a different address from the parent's, as another process would have */
		uint8_t *v = mmap(NULL, size, PROT_READ, MAP_SHARED, pt_arena_fd(a), 0);
		uint64_t w1, w511, back;

		if (v == MAP_FAILED || v == pt_arena_base(a))
			_exit(2);
		memcpy(&w1, v + off + 8, 8);
		memcpy(&w511, v + off + 511 * 8, 8);
		back = w511 - pt_arena_base_pa(a);
		_exit(w1 == 0x1122334455667788ULL && back == off ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	pt_arena_free(a, t);
	pt_arena_put(a);
}

/*
 * A page's pa is a name of the arena's region (iommu/phys.h), never its pointer: it resolves
 * to the page while the file is mapped that far, not past the mapped size (the reservation
 * beyond it is not memory), and not at all once the arena is gone.
 */
static void test_names(void **state)
{
	struct pt_arena *a = mk(8ULL << 20), *b = mk(0);
	uint64_t *t = pt_arena_alloc(a, 12), *u = pt_arena_alloc(b, 12), pa, size;

	(void)state;
	assert_non_null(t);
	assert_non_null(u);
	pa = pt_arena_pa(a, t);
	assert_int_not_equal(pa, (uintptr_t)t);
	assert_ptr_equal(iommu_phys_resolve(pa, 4096), t);
	assert_ptr_equal(iommu_phys_resolve(pa + 8, 8), t + 1);
	assert_int_equal(iommu_phys_region_of(pa)->kind, IOMMU_PHYS_ARENA);
	/* two arenas, two regions */
	assert_ptr_not_equal(iommu_phys_region_of(pa), iommu_phys_region_of(pt_arena_pa(b, u)));
	assert_ptr_equal(iommu_phys_resolve(pt_arena_pa(b, u), 8), u);
	/* the reserved but unmapped part of the arena resolves to nothing */
	size = pt_arena_size(a);
	assert_ptr_not_equal(iommu_phys_resolve(pt_arena_base_pa(a) + size - 8, 8), NULL);
	assert_null(iommu_phys_resolve(pt_arena_base_pa(a) + size, 8));
	assert_null(iommu_phys_resolve(pt_arena_base_pa(a) + size - 4, 8));
	pt_arena_free(a, t);
	pt_arena_put(a);
	assert_null(iommu_phys_resolve(pa, 8));
	pt_arena_free(b, u);
	pt_arena_put(b);
}

static void test_refs(void **state)
{
	struct pt_arena *a = mk(0);
	void *p;

	(void)state;
	pt_arena_get(a);
	pt_arena_put(a);
	p = pt_arena_alloc(a, 12); /* still usable: one reference left */
	assert_non_null(p);
	pt_arena_free(a, p);
	pt_arena_put(a);
	pt_arena_put(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),	 cmocka_unit_test(test_growth_and_limit),
		cmocka_unit_test(test_deferred), cmocka_unit_test(test_fail_nth),
		cmocka_unit_test(test_misuse),	 cmocka_unit_test(test_shared),
		cmocka_unit_test(test_refs),	 cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("pt-arena", tests, NULL, NULL);
}
