/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_access.c - accesses through IOMMU_TEST_CMD: byte-granular read and write through
 * the areas, page pins with exact pin counts, unmap of pinned IOVA (the owner is told to
 * unpin and the unmap proceeds), the access fd's close, replacing the IOAS, and the
 * alignment a pinning access imposes on its IOAS.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_helpers.h"

#define BUF_PAGES 8
#define IOVA	  ((uint64_t)MOCK_APERTURE_START)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	f->buf = m_buf(BUF_PAGES * PG);
	for (size_t i = 0; i < BUF_PAGES * PG; i++)
		f->buf[i] = (uint8_t)i;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	assert_int_equal(pages_count_user_pins(&uaccess_self_ops, NULL, (uintptr_t)f->buf), 0);
	m_buf_free(f->buf, BUF_PAGES * PG);
	free(f);
	return 0;
}

static void test_rw(void **state)
{
	struct fix *f = *state;
	uint8_t out[64], in[64];
	int fd;

	/* two adjacent areas: a copy may cross them */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 2 * PG, IOVA, T_MAP_RW));
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf + 2 * PG, PG, IOVA + 2 * PG,
			 IOMMU_IOAS_MAP_READABLE));
	T_OK(m_create_access(f->ctx, f->ioas, 0, &fd));
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xC0 + i);
	/* byte granular, unaligned */
	T_OK(m_access_rw(f->ctx, fd, IOVA + 5, in, 7, MOCK_ACCESS_RW_WRITE));
	assert_memory_equal(f->buf + 5, in, 7);
	assert_int_equal(f->buf[4], 4);
	assert_int_equal(f->buf[12], 12);
	T_OK(m_access_rw(f->ctx, fd, IOVA + 2 * PG - 32, out, sizeof(out), 0));
	assert_memory_equal(out, f->buf + 2 * PG - 32, sizeof(out));
	T_OK(m_access_rw(f->ctx, fd, IOVA + 2 * PG - 32, out, sizeof(out),
			 MOCK_ACCESS_RW_SLOW_PATH));
	assert_memory_equal(out, f->buf + 2 * PG - 32, sizeof(out));
	/* the read-only area refuses a write, and nothing of the copy lands */
	memset(out, 0x11, sizeof(out));
	T_ERR(EPERM,
	      m_access_rw(f->ctx, fd, IOVA + 2 * PG - 32, out, sizeof(out), MOCK_ACCESS_RW_WRITE));
	assert_int_equal(f->buf[2 * PG - 32], (uint8_t)(2 * PG - 32));
	T_ERR(ENOENT, m_access_rw(f->ctx, fd, IOVA + 3 * PG - 1, out, 2, 0));
	T_ERR(EINVAL, m_access_rw(f->ctx, fd, IOVA, out, 0, 0));
	T_ERR(EOPNOTSUPP, m_access_rw(f->ctx, fd, IOVA, out, 1, 1u << 8));
	T_ERR(EBADFD, m_access_rw(f->ctx, 0, IOVA, out, 1, 0));
	/* a copy pins only while it runs */
	T_OK(m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 0));
	/* ACCESS_PAGES needs an access made to pin */
	T_ERR(EOPNOTSUPP, m_access_pages(f->ctx, fd, IOVA, PG, f->buf, 0, NULL));
	close(fd);
}

static void test_pages_and_unmap(void **state)
{
	struct fix *f = *state;
	uint32_t item, item2, stdev;
	int fd;

	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 4 * PG, IOVA, T_MAP_RW));
	T_OK(m_create_access(f->ctx, f->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	T_OK(m_access_pages(f->ctx, fd, IOVA, 2 * PG, f->buf, MOCK_FLAGS_ACCESS_WRITE, &item));
	T_OK(m_check_refs(f->ctx, f->buf, 2 * PG, 1));
	T_OK(m_check_refs(f->ctx, f->buf + 2 * PG, 2 * PG, 0));
	/* the pages pinned must be the ones at uptr */
	T_ERR(EBADE, m_access_pages(f->ctx, fd, IOVA, PG, f->buf + PG, 0, NULL));
	T_ERR(ENOENT, m_access_pages(f->ctx, fd, IOVA + 4 * PG, PG, f->buf, 0, NULL));
	T_ERR(EOPNOTSUPP, m_access_pages(f->ctx, fd, IOVA, PG, f->buf, 1u << 3, NULL));
	T_OK(m_check_refs(f->ctx, f->buf, 4 * PG, 0) == EIO ? 0 : EIO);
	/* a domain and an access on the same page: still one pin */
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev, NULL, NULL));
	T_OK(m_check_refs(f->ctx, f->buf, 4 * PG, 1));
	T_OK(m_access_pages(f->ctx, fd, IOVA + PG, PG, f->buf + PG, 0, &item2));
	T_OK(m_check_refs(f->ctx, f->buf, 4 * PG, 1));
	T_OK(m_destroy(f->ctx, stdev));
	T_OK(m_check_refs(f->ctx, f->buf, 2 * PG, 1));
	T_OK(m_check_refs(f->ctx, f->buf + 2 * PG, 2 * PG, 0));
	{
		struct iommu_test_cmd d = {
			.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
			.id = (uint32_t)fd,
			.destroy_access_pages = { .access_pages_id = item2 },
		};

		T_OK(m_cmd(f->ctx, &d));
		T_ERR(ENOENT, m_cmd(f->ctx, &d));
	}
	/* unmap of pinned IOVA: the owner is told to unpin, then the unmap goes ahead */
	T_OK(t_unmap(f->ctx, f->ioas, IOVA, 4 * PG, NULL));
	T_OK(m_check_refs(f->ctx, f->buf, 4 * PG, 0));
	{
		struct iommu_test_cmd d = {
			.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
			.id = (uint32_t)fd,
			.destroy_access_pages = { .access_pages_id = item },
		};

		T_ERR(ENOENT, m_cmd(f->ctx, &d));
	}
	close(fd);
}

static void test_close_and_busy(void **state)
{
	struct fix *f = *state;
	int fd;

	T_ERR(ENOENT, m_create_access(f->ctx, 12345, 0, &fd));
	T_ERR(EOPNOTSUPP, m_create_access(f->ctx, f->ioas, 1u << 4, &fd));
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 2 * PG, IOVA, T_MAP_RW));
	T_OK(m_create_access(f->ctx, f->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	T_OK(m_access_pages(f->ctx, fd, IOVA, 2 * PG, f->buf, 0, NULL));
	T_ERR(EBUSY, m_destroy(f->ctx, f->ioas));
	/* closing the fd destroys the access and its pins */
	close(fd);
	T_OK(m_check_refs(f->ctx, f->buf, 2 * PG, 0));
	T_ERR(EBADFD, m_access_rw(f->ctx, fd, IOVA, f->buf, 1, 0));
	T_OK(m_destroy(f->ctx, f->ioas));
}

static void test_replace_ioas(void **state)
{
	struct fix *f = *state;
	uint8_t out[8];
	uint32_t ioas2;
	int fd;
	struct iommu_test_cmd r = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };

	T_OK(t_ioas_alloc(f->ctx, &ioas2));
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, PG, IOVA, T_MAP_RW));
	T_OK(m_map_fixed(f->ctx, ioas2, f->buf + PG, PG, IOVA, T_MAP_RW));
	T_OK(m_create_access(f->ctx, f->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	T_OK(m_access_pages(f->ctx, fd, IOVA, PG, f->buf, 0, NULL));
	T_OK(m_check_refs(f->ctx, f->buf, PG, 1));
	r.id = (uint32_t)fd;
	r.access_replace_ioas.ioas_id = 99999;
	T_ERR(ENOENT, m_cmd(f->ctx, &r));
	r.access_replace_ioas.ioas_id = ioas2;
	T_OK(m_cmd(f->ctx, &r));
	/* the old IOAS's pins were dropped, and it is free to go */
	T_OK(m_check_refs(f->ctx, f->buf, PG, 0));
	T_OK(m_access_rw(f->ctx, fd, IOVA, out, sizeof(out), 0));
	assert_memory_equal(out, f->buf + PG, sizeof(out));
	T_OK(m_destroy(f->ctx, f->ioas));
	T_ERR(EBUSY, m_destroy(f->ctx, ioas2));
	close(fd);
}

static void test_alignment(void **state)
{
	struct fix *f = *state;
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q) };
	int fd, fd2;

	/* an area only 2K aligned inside its pages blocks a pinning access */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf + MOCK_PG, MOCK_PG, IOVA + MOCK_PG, T_MAP_RW));
	T_ERR(EADDRINUSE,
	      m_create_access(f->ctx, f->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	/* an access that does not pin does not care */
	T_OK(m_create_access(f->ctx, f->ioas, 0, &fd2));
	T_OK(t_unmap(f->ctx, f->ioas, IOVA + MOCK_PG, MOCK_PG, NULL));
	T_OK(m_create_access(f->ctx, f->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	q.ioas_id = f->ioas;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &q) == EMSGSIZE ? 0 : EINVAL);
	assert_int_equal(q.out_iova_alignment, PG);
	T_ERR(EINVAL, m_map_fixed(f->ctx, f->ioas, f->buf, PG, IOVA + MOCK_PG, T_MAP_RW));
	close(fd);
	close(fd2);
}

/*
 * Oracle seed 1509: an area of 2^62 bytes over a buffer that ends long before it. Linux
 * keeps pin counts sparsely: a read at the area's valid start works, and one past the
 * buffer is EFAULT (the pages are not there), never ENOMEM from counters for 2^50 pages.
 */
static void test_huge_area_sparse_pins(void **state)
{
	struct fix *f = *state;
	uint8_t out[64];
	int fd;

	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 1ULL << 62, 0, T_MAP_RW));
	T_OK(m_create_access(f->ctx, f->ioas, 0, &fd));
	memset(out, 0, sizeof(out));
	T_OK(m_access_rw(f->ctx, fd, 100, out, sizeof(out), 0));
	assert_memory_equal(out, f->buf + 100, sizeof(out));
	assert_int_equal(m_access_rw(f->ctx, fd, (1ULL << 40) + 0x25, out, sizeof(out), 0), EFAULT);
	/* the failed pin left nothing behind: the first page alone is unpinned again */
	assert_int_equal(m_check_refs(f->ctx, f->buf, PG, 0), 0);
	close(fd);
	T_OK(t_unmap(f->ctx, f->ioas, 0, 1ULL << 62, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_and_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_and_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_ioas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_area_sparse_pins, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
