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
#include <linux/vfio.h>
#include <sys/ioctl.h>
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

/*
 * Oracle scenario unmap_prefix: an unmap whose range cuts the third of three areas fails
 * with ENOENT, and on Linux 6.12 the two whole areas before it are gone by then: the
 * following unmap-all reports 0x8000 bytes, not 0x10000. One that starts inside an area
 * removes nothing.
 */
static void refused_unmap_removes_the_areas_before(void **state)
{
	struct fix *f = *state;
	uint64_t iova, out = 0;

	iova = 0x10000;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 4 * PG, &iova, T_MAP_FIXED));
	iova = 0x14000;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 4 * PG, &iova, T_MAP_FIXED));
	iova = 0x18000;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 8 * PG, &iova, T_MAP_FIXED));
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, 0x10000, 12 * PG, NULL));
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &out));
	assert_int_equal(out, 0x8000);
	iova = 0x10000;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 4 * PG, &iova, T_MAP_FIXED));
	iova = 0x18000;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 8 * PG, &iova, T_MAP_FIXED));
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, 0x8000, 0x14000, NULL));
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &out));
	assert_int_equal(out, 0x8000);
}

/*
 * Oracle scenario errno_args and random sequences 12, 21: IOAS_MAP sizes its pages object
 * as the kernel does. A length within a page of 2^64 is EINVAL (not EOVERFLOW), and a buffer
 * that ends exactly at 2^64 is EOVERFLOW.
 */
static void map_length_limits(void **state)
{
	struct fix *f = *state;
	uint64_t iova = 0x100000;

	T_ERR(EINVAL, t_map(f->ctx, f->ioas, f->buf, UINT64_MAX - PG + 1, &iova, T_MAP_FIXED));
	T_ERR(EINVAL, t_map(f->ctx, f->ioas, f->buf + 0x39f, UINT64_MAX - PG + 1, &iova,
			    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	T_ERR(EOVERFLOW, t_map(f->ctx, f->ioas, (void *)(uintptr_t)(UINT64_MAX - PG + 1), PG, &iova,
			       T_MAP_FIXED));
	T_ERR(EOVERFLOW, t_map(f->ctx, f->ioas, (void *)(uintptr_t)(UINT64_MAX - PG + 1), 2 * PG,
			       &iova, T_MAP_FIXED));
	T_ERR(EOVERFLOW, t_map(f->ctx, f->ioas, f->buf, UINT64_MAX, &iova, T_MAP_FIXED));
	T_ERR(EINVAL, t_map(f->ctx, f->ioas, f->buf, 0, &iova, T_MAP_FIXED));
}

/*
 * Oracle scenario vfio_type1v2: a refused VFIO_IOMMU_UNMAP_DMA still writes the count of
 * what it unmapped (0 here) into size, as Linux 6.12 does.
 */
static void vfio_unmap_writes_size_on_failure(void **state)
{
	struct fix *f = *state;
	struct iommu_vfio_ioas v = { .size = sizeof(v),
				     .ioas_id = f->ioas,
				     .op = IOMMU_VFIO_IOAS_SET };
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE,
					      .vaddr = (uintptr_t)f->buf,
					      .iova = 0x1000000,
					      .size = 16 * PG };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
						.iova = 0x1004000,
						.size = 4 * PG };

	T_OK(t_ioctl(f->ctx, IOMMU_VFIO_IOAS, &v));
	assert_int_equal(ioasid_ioctl(f->ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	T_OK(t_ioctl(f->ctx, VFIO_IOMMU_MAP_DMA, &m));
	T_ERR(ENOENT, t_ioctl(f->ctx, VFIO_IOMMU_UNMAP_DMA, &u));
	assert_int_equal(u.size, 0);
	/* nothing there at all is no error for VFIO: size 0 */
	u.iova = 0x2000000;
	u.size = 4 * PG;
	T_OK(t_ioctl(f->ctx, VFIO_IOMMU_UNMAP_DMA, &u));
	assert_int_equal(u.size, 0);
	u.iova = 0x1000000;
	u.size = 16 * PG;
	T_OK(t_ioctl(f->ctx, VFIO_IOMMU_UNMAP_DMA, &u));
	assert_int_equal(u.size, 16 * PG);
}

/*
 * Oracle scenario errno_sizes: the kernel reads the size word before it checks the ioctl
 * number against its table, so a wrong type byte with a NULL argument is EFAULT, and with a
 * good argument ENOTTY.
 */
static void size_read_before_number_check(void **state)
{
	struct fix *f = *state;
	uint32_t word = 8;

	T_ERR(EFAULT, t_ioctl(f->ctx, _IO('Q', 0x80), NULL));
	T_ERR(ENOTTY, t_ioctl(f->ctx, _IO('Q', 0x80), &word));
	T_ERR(EFAULT, t_ioctl(f->ctx, _IOWR(IOMMUFD_TYPE, 0x81, struct iommu_ioas_alloc), NULL));
}

/*
 * Oracle random sequences 1, 2, 5 ...: HWPT_GET_DIRTY_BITMAP finds its HWPT before it looks
 * at the range: an ID that is not a paging HWPT is ENOENT whatever the page size.
 */
static void dirty_bitmap_id_first(void **state)
{
	struct fix *f = *state;
	uint64_t bits = 0;
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g),
						 .hwpt_id = f->ioas,
						 .iova = 0x105000,
						 .length = 0x5000,
						 .page_size = 0x3000,
						 .data = (uintptr_t)&bits };

	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	g.page_size = 0;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	g.hwpt_id = 999;
	g.length = 0;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	g.flags = 4;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
}

/*
 * Oracle random sequences 66, 77, 83, 142 (each shrunk to its one COPY): IOAS_COPY checks the
 * source range (length 0 EINVAL, wrap EOVERFLOW, a gap ENOENT) before it looks up the
 * destination, so a bad destination ID is only ENOENT for a good source range.
 */
static void copy_checks_source_before_destination(void **state)
{
	struct fix *f = *state;
	struct iommu_ioas_copy c = { .size = sizeof(c),
				     .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
				     .dst_ioas_id = 0,
				     .src_ioas_id = f->ioas,
				     .length = 3 * PG,
				     .src_iova = UINT64_MAX - 2 * PG + 1 };
	uint64_t iova = 0x108000;

	T_OK(t_map(f->ctx, f->ioas, f->buf, 4 * PG, &iova, T_MAP_FIXED));
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.length = 0;
	c.src_iova = 0x108000;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.length = UINT64_MAX - PG + 1;
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.length = 8 * PG;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.length = 4 * PG;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.dst_ioas_id = f->ioas;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
}

/*
 * Oracle random sequences 168, 177: VFIO_IOMMU_MAP_DMA sizes its pages as IOAS_MAP does; a
 * size of 2^64 - 1 is EINVAL whatever the IOVA.
 */
static void vfio_map_size_limits(void **state)
{
	struct fix *f = *state;
	struct iommu_vfio_ioas v = { .size = sizeof(v),
				     .ioas_id = f->ioas,
				     .op = IOMMU_VFIO_IOAS_SET };
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE,
					      .vaddr = (uintptr_t)f->buf,
					      .iova = 0x11f000,
					      .size = UINT64_MAX };

	T_OK(t_ioctl(f->ctx, IOMMU_VFIO_IOAS, &v));
	assert_int_equal(ioasid_ioctl(f->ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	T_ERR(EINVAL, t_ioctl(f->ctx, VFIO_IOMMU_MAP_DMA, &m));
	m.iova = 1ULL << 63;
	T_ERR(EINVAL, t_ioctl(f->ctx, VFIO_IOMMU_MAP_DMA, &m));
	m.size = 2 * PG;
	m.iova = UINT64_MAX - PG + 1;
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, VFIO_IOMMU_MAP_DMA, &m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(refused_unmap_removes_the_areas_before, setup,
						teardown),
		cmocka_unit_test_setup_teardown(map_length_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(vfio_unmap_writes_size_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(size_read_before_number_check, setup, teardown),
		cmocka_unit_test_setup_teardown(dirty_bitmap_id_first, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_checks_source_before_destination, setup,
						teardown),
		cmocka_unit_test_setup_teardown(vfio_map_size_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(adjacent_allowed_ranges_are_one_span, setup,
						teardown),
		cmocka_unit_test_setup_teardown(three_adjacent_ranges_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(ranges_with_a_gap_stay_apart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
