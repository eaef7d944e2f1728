/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_oracle_regress.c - one regression test per divergence the kernel oracle found.
 *
 * `make oracle` runs the same traced programs on Linux 6.12 and on ioasid and compares the
 * traces (tests/oracle/, docs/conformance.md "The kernel oracle"). Each difference it found
 * and that ioasid now follows is pinned here, in-process and without the VM, with the
 * kernel's answer as the expected value and the oracle scenario or shrunk random sequence
 * that showed it named in the test's comment.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

#define PG 4096ULL
#define MB (1ULL << 20)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	uint8_t *buf; /* 8 MiB, 1 GiB aligned, MAP_SHARED anonymous */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	uint8_t *raw;

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	raw = mmap(NULL, 2048 * MB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(raw != MAP_FAILED);
	f->buf = (uint8_t *)(((uintptr_t)raw + 1024 * MB - 1) & ~(1024 * MB - 1));
	assert_true(mmap(f->buf, 8 * MB, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == f->buf);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	free(f);
	return 0;
}

static int allow(struct fix *f, unsigned int n, const uint64_t *pairs)
{
	struct iommu_iova_range r[8];
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = f->ioas, .num_iovas = n, .allowed_iovas = (uintptr_t)r
	};

	for (unsigned int i = 0; i < n; i++) {
		r[i].start = pairs[2 * i];
		r[i].last = pairs[2 * i + 1];
	}
	return t_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

/*
 * Oracle scenario allowed_adjacent: two adjacent allowed ranges are one span for automatic
 * IOVA. Linux 6.12 maps 1.5 MiB at 0x100000 across [1M, 2M) and [2M, 3M), places a
 * following 512 KiB map at 0x280000, has no room for one more page, and the unmap-all
 * reports 0x200000 bytes. ioasid used to look at each range alone: ENOSPC, and a different
 * unmap-all count.
 */
static void adjacent_allowed_ranges_are_one_span(void **state)
{
	struct fix *f = *state;
	const uint64_t two[] = { 1 * MB, 2 * MB - 1, 2 * MB, 3 * MB - 1 };
	uint64_t iova = 0, out = 0;

	T_OK(allow(f, 2, two));
	T_OK(t_map(f->ctx, f->ioas, f->buf + PG, 3 * MB / 2, &iova, T_MAP_RW));
	assert_int_equal(iova, 0x100000);
	iova = 0;
	T_ERR(ENOSPC, t_map(f->ctx, f->ioas, f->buf + PG, 3 * MB / 2, &iova, T_MAP_RW));
	iova = 0;
	T_OK(t_map(f->ctx, f->ioas, f->buf + PG, MB / 2, &iova, T_MAP_RW));
	assert_int_equal(iova, 0x280000);
	iova = 0;
	T_ERR(ENOSPC, t_map(f->ctx, f->ioas, f->buf + PG, PG, &iova, T_MAP_RW));
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &out));
	assert_int_equal(out, 0x200000);
}

/* Three adjacent one-page ranges, given in either order, hold one three-page map. */
static void three_adjacent_ranges_any_order(void **state)
{
	struct fix *f = *state;
	const uint64_t up[] = { 0x100000, 0x100fff, 0x101000, 0x101fff, 0x102000, 0x102fff };
	const uint64_t down[] = { 0x102000, 0x102fff, 0x101000, 0x101fff, 0x100000, 0x100fff };
	uint64_t iova = 0, out = 0;

	T_OK(allow(f, 3, up));
	T_OK(t_map(f->ctx, f->ioas, f->buf + PG, 3 * PG, &iova, T_MAP_RW));
	assert_int_equal(iova, 0x100000);
	iova = 0;
	T_ERR(ENOSPC, t_map(f->ctx, f->ioas, f->buf + PG, PG, &iova, T_MAP_RW));
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &out));
	assert_int_equal(out, 3 * PG);
	T_OK(allow(f, 3, down));
	iova = 0;
	T_OK(t_map(f->ctx, f->ioas, f->buf + PG, 3 * PG, &iova, T_MAP_RW));
	assert_int_equal(iova, 0x100000);
}

/* Ranges with a one-page gap stay two spans: a map across the gap does not fit. */
static void ranges_with_a_gap_stay_apart(void **state)
{
	struct fix *f = *state;
	const uint64_t gap[] = { 1 * MB, 2 * MB - 1, 2 * MB + PG, 3 * MB - 1 };
	uint64_t iova = 0;

	T_OK(allow(f, 2, gap));
	T_ERR(ENOSPC, t_map(f->ctx, f->ioas, f->buf + PG, 3 * MB / 2, &iova, T_MAP_RW));
	iova = 0;
	T_OK(t_map(f->ctx, f->ioas, f->buf + PG, MB, &iova, T_MAP_RW));
	assert_int_equal(iova, 1 * MB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(adjacent_allowed_ranges_are_one_span, setup,
						teardown),
		cmocka_unit_test_setup_teardown(three_adjacent_ranges_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(ranges_with_a_gap_stay_apart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
