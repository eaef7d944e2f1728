/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_oracle_dirty.c - regression tests for the dirty-tracking divergences the kernel
 * oracle found (tests/oracle scenario "dirty", docs/conformance.md "The kernel oracle").
 *
 * Linux 6.12 answers these; ioasid used to answer otherwise:
 *   - IOMMU_TEST_OP_DIRTY with a page size other than the mock's 2 KiB marks the entry at
 *     index (iova / page_size), in 2 KiB units, and counts only entries that exist there;
 *   - HWPT_GET_DIRTY_BITMAP takes any non-zero page size the range is aligned to (one bit
 *     per 1 << ctz(page_size) bytes), and a range not covered by areas without a gap is
 *     EINVAL, after the bits before the gap are reported.
 */
#include <stdlib.h>
#include <string.h>

#include "mock_helpers.h"

#define MB   (1ULL << 20)
#define BASE ((uint64_t)MOCK_APERTURE_START)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, hwpt;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	uint32_t stdev, idev;

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	f->buf = m_buf(64 * PG);
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 64 * PG, BASE, T_MAP_FIXED));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev, NULL, &idev));
	T_OK(m_hwpt_alloc(f->ctx, idev, f->ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &f->hwpt));
	T_OK(m_replace(f->ctx, stdev, f->hwpt, NULL));
	{
		struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s),
							   .flags =
								   IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
							   .hwpt_id = f->hwpt };

		T_OK(t_ioctl(f->ctx, IOMMU_HWPT_SET_DIRTY_TRACKING, &s));
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	m_buf_free(f->buf, 64 * PG);
	free(f);
	return 0;
}

static int mark(struct fix *f, uint64_t iova, uint64_t len, uint64_t psz, uint64_t bits,
		uint64_t *out_nr)
{
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_DIRTY, .id = f->hwpt };
	int rc;

	c.dirty.iova = iova;
	c.dirty.length = len;
	c.dirty.page_size = psz;
	c.dirty.uptr = (uintptr_t)&bits;
	rc = m_cmd(f->ctx, &c);
	*out_nr = c.dirty.out_nr_dirty;
	return rc;
}

static int get(struct fix *f, uint64_t iova, uint64_t len, uint64_t psz, uint64_t *bits)
{
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g),
						 .hwpt_id = f->hwpt,
						 .iova = iova,
						 .length = len,
						 .page_size = psz,
						 .data = (uintptr_t)bits };

	return t_ioctl(f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

/* 4 KiB bits over IOVA 16 MiB: the kernel's mock looks at index 16M / 4K = 4096, IOVA 8 MiB */
static void test_dirty_indexes_by_page_size(void **state)
{
	struct fix *f = *state;
	uint64_t nr = 99, bits = 0;

	T_OK(mark(f, BASE, 64 * PG, PG, 0x8000000000000f05ULL, &nr));
	assert_int_equal(nr, 0);
	T_OK(get(f, BASE, 64 * PG, PG, &bits));
	assert_int_equal(bits, 0);
	/* in 2 KiB units the index is the IOVA's own: bits 0 and 3 are pages 0 and 1 */
	T_OK(mark(f, BASE, 8 * PG, MOCK_PG, 0x9, &nr));
	assert_int_equal(nr, 2);
	T_OK(get(f, BASE, 8 * PG, PG, &bits));
	assert_int_equal(bits, 0x3);
}

/* a page size that is not a power of two: one bit per 4 KiB (its lowest set bit) */
static void test_page_size_lowest_bit(void **state)
{
	struct fix *f = *state;
	uint64_t nr, bits = 0;

	T_OK(mark(f, BASE, 8 * PG, MOCK_PG, 0x30, &nr)); /* page 2 */
	assert_int_equal(nr, 2);
	T_OK(get(f, BASE, 0x8000, 0x3000, &bits));
	assert_int_equal(bits, 0x4);
	T_ERR(EINVAL, get(f, BASE + 2 * PG, 0x8000, 0x3000, &bits));
}

/* a gap in the areas: EINVAL, but the bits before it were reported (and cleared) */
static void test_gap_is_einval_after_the_prefix(void **state)
{
	struct fix *f = *state;
	uint64_t nr, bits = 0;

	T_OK(mark(f, BASE, 8 * PG, MOCK_PG, 0x3, &nr));
	assert_int_equal(nr, 2);
	T_ERR(EINVAL, get(f, BASE + 56 * PG, 16 * PG, PG, &bits));
	T_ERR(EINVAL, get(f, BASE, 128 * PG, PG, &bits));
	assert_int_equal(bits, 0x1);
	bits = 0;
	T_OK(get(f, BASE, 64 * PG, PG, &bits));
	assert_int_equal(bits, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dirty_indexes_by_page_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_size_lowest_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_is_einval_after_the_prefix, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
