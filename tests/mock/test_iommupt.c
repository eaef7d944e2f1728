/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_iommupt.c - what the newest selftest (Linux 7.x) asks of the mock that 6.12 did not,
 * checked without it (docs/conformance.md, "The newest upstream selftest"):
 *   - a paging HWPT allocated with IOMMU_HWPT_DATA_SELFTEST data: pagetable_type DEFAULT maps
 *     a CPU page as one leaf, dirty as a whole; HUGE offers only CPU pages and 512 IO pages;
 *     an unknown type is EOPNOTSUPP; the data is copied as copy_struct_from_user;
 *   - IOMMU_IOAS_MAP_FILE past the end of the file is EINVAL when the pages are pinned;
 *   - MD_CHECK_MAP and MD_CHECK_REFS of a file page the program maps, reached through the file
 *     (MD_CHECK_MAP compares page frames, which only a process with CAP_SYS_ADMIN sees).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mock_helpers.h"

#define BASE ((uint64_t)MOCK_APERTURE_START)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, stdev, hwpt, idev;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	f->buf = m_buf(64 * PG);
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &f->stdev, &f->hwpt, &f->idev));
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

static int alloc_pt(struct fix *f, uint32_t flags, const void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a),
				      .flags = flags,
				      .dev_id = f->idev,
				      .pt_id = f->ioas,
				      .data_type = IOMMU_HWPT_DATA_SELFTEST,
				      .data_len = len,
				      .data_uptr = (uintptr_t)data };
	int rc = t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a);

	if (!rc)
		*out = a.out_hwpt_id;
	return rc;
}

static void track(struct fix *f, uint32_t hwpt)
{
	struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s),
						   .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
						   .hwpt_id = hwpt };

	T_OK(t_ioctl(f->ctx, IOMMU_HWPT_SET_DIRTY_TRACKING, &s));
}

/* mark the 2K IO pages of bits at BASE dirty; read back 2K bits over 8 CPU pages */
static uint64_t mark_and_read(struct fix *f, uint32_t hwpt, uint64_t bits)
{
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_DIRTY, .id = hwpt };
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g),
						 .hwpt_id = hwpt,
						 .iova = BASE,
						 .length = 8 * PG,
						 .page_size = MOCK_PG };
	uint64_t out = 0;

	c.dirty.iova = BASE;
	c.dirty.length = 8 * PG;
	c.dirty.page_size = MOCK_PG;
	c.dirty.uptr = (uintptr_t)&bits;
	T_OK(m_cmd(f->ctx, &c));
	assert_int_equal(c.dirty.out_nr_dirty, __builtin_popcountll(bits));
	g.data = (uintptr_t)&out;
	T_OK(t_ioctl(f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	return out;
}

/* DEFAULT: one 2K page marked, the whole CPU page reads dirty; 6.12's mock: the 2K page only */
static void test_default_dirty_per_cpu_page(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .pagetable_type = MOCK_IOMMUPT_DEFAULT };
	uint32_t pt = 0, plain = 0;

	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 8 * PG, BASE, T_MAP_FIXED));
	T_OK(alloc_pt(f, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &data, sizeof(data), &pt));
	T_OK(m_hwpt_alloc(f->ctx, f->idev, f->ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &plain));
	track(f, pt);
	track(f, plain);
	/* 2K pages 0 and 5: CPU pages 0 and 2 */
	assert_int_equal(mark_and_read(f, pt, 0x21), 0x33);
	assert_int_equal(mark_and_read(f, plain, 0x21), 0x21);
	/* the domain maps what the IOAS holds, 2K by 2K */
	T_OK(m_check_map(f->ctx, pt, BASE, f->buf, 8 * PG));
	T_OK(m_destroy(f->ctx, pt));
	T_OK(m_destroy(f->ctx, plain));
}

/* HUGE: CPU pages and 1M pages only, so the IOAS's alignment becomes the CPU page */
static void test_huge_alignment(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .pagetable_type = MOCK_IOMMUPT_HUGE };
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .ioas_id = f->ioas };
	uint32_t pt = 0;

	T_ERR(EMSGSIZE, t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(r.out_iova_alignment, MOCK_PG);
	T_OK(alloc_pt(f, 0, &data, sizeof(data), &pt));
	r.num_iovas = 0;
	T_ERR(EMSGSIZE, t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(r.out_iova_alignment, PG);
	/* a 2K-aligned map no longer fits */
	T_ERR(EINVAL, m_map_fixed(f->ctx, f->ioas, f->buf, MOCK_PG, BASE + MOCK_PG, T_MAP_FIXED));
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 4 * PG, BASE, T_MAP_FIXED));
	T_OK(m_check_map(f->ctx, pt, BASE, f->buf, 4 * PG));
	T_OK(m_destroy(f->ctx, pt));
}

/* the data's rules: the type, the length, the tail, the table type */
static void test_data_rules(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .pagetable_type = MOCK_IOMMUPT_HUGE + 1 };
	uint8_t big[16] = { 0 };
	struct iommu_hwpt_alloc a = { .size = sizeof(a),
				      .dev_id = f->idev,
				      .pt_id = f->ioas,
				      .data_type = IOMMU_HWPT_DATA_VTD_S1,
				      .data_len = sizeof(data),
				      .data_uptr = (uintptr_t)&data };
	uint32_t pt = 0;

	T_ERR(EOPNOTSUPP, alloc_pt(f, 0, &data, sizeof(data), &pt));
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	T_ERR(EINVAL, alloc_pt(f, 0, &data, 3, &pt));
	T_ERR(EFAULT, alloc_pt(f, 0, NULL, sizeof(data), &pt));
	big[12] = 1;
	T_ERR(E2BIG, alloc_pt(f, 0, big, sizeof(big), &pt));
	big[12] = 0;
	/* Linux 6.12's struct (iotlb only) and a longer zero-tailed one: the default table */
	T_OK(alloc_pt(f, 0, big, 4, &pt));
	T_OK(m_destroy(f->ctx, pt));
	T_OK(alloc_pt(f, 0, big, sizeof(big), &pt));
	T_OK(m_destroy(f->ctx, pt));
}

/* Does /proc/self/pagemap show frames to this process (CAP_SYS_ADMIN)? */
static bool frames_visible(const volatile uint8_t *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	(void)*p;
	if (fd < 0)
		return false;
	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / PG) * 8) != sizeof(e))
		e = 0;
	close(fd);
	return (e >> 63) && (e & ((1ULL << 55) - 1));
}

static int map_file(struct fix *f, int fd, uint64_t start, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map_file m = { .size = sizeof(m),
					 .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
						  IOMMU_IOAS_MAP_READABLE |
						  IOMMU_IOAS_MAP_WRITEABLE,
					 .ioas_id = f->ioas,
					 .fd = fd,
					 .start = start,
					 .length = len,
					 .iova = iova };

	return t_ioctl(f->ctx, IOMMU_IOAS_MAP_FILE, &m);
}

/* MAP_FILE of a memfd: past its end EINVAL; its pages seen as the program's mapping of it */
static void test_map_file(void **state)
{
	struct fix *f = *state;
	int fd = memfd_create("iommupt", 0);
	uint8_t *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * PG), 0);
	p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 0x5a, 4 * PG);
	T_ERR(EINVAL, map_file(f, fd, 0, 4 * PG + 1, BASE));
	T_ERR(EINVAL, map_file(f, fd, 2 * PG, 4 * PG, BASE));
	T_OK(map_file(f, fd, 0, 4 * PG, BASE));
	/*
	 * the domain's pages are the file's: the same frames as the program's mapping, which
	 * only a process that sees frames can tell (without it the check says no: EINVAL)
	 */
	if (frames_visible(p))
		T_OK(m_check_map(f->ctx, f->hwpt, BASE, p, 4 * PG));
	else
		T_ERR(EINVAL, m_check_map(f->ctx, f->hwpt, BASE, p, 4 * PG));
	T_ERR(EINVAL, m_check_map(f->ctx, f->hwpt, BASE, f->buf, PG));
	/* pinned once, by the file's pages object, counted at the program's address */
	T_OK(m_check_refs(f->ctx, p, 4 * PG, 1));
	T_OK(t_unmap(f->ctx, f->ioas, BASE, 4 * PG, NULL));
	T_OK(m_check_refs(f->ctx, p, 4 * PG, 0));
	munmap(p, 4 * PG);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_dirty_per_cpu_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
