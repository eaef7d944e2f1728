/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_simple.c - the simple flow: window sizing, IOVAs inside it, alignment, full window,
 * unmap by IOVA, DMA permissions, and that it is the same objects as the full ABI.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "helpers.h"
#include "ioasid/simple.h"
#include "pt/pt.h"

#define MB (1ULL << 20)

static void window_sizes(void **state)
{
	(void)state;
	struct ioasid_simple *s;
	uint64_t start, last;

	T_OK(ioasid_simple_open(4ULL << 30, &s) ? errno : 0);
	ioasid_simple_window(s, &start, &last);
	assert_int_equal(last - start + 1, 4ULL << 30);
	assert_int_equal(start % (4ULL << 30), 0);
	assert_true(start > 0);
	ioasid_simple_close(s);

	/* "about" 3 GiB rounds up to 4 GiB; tiny requests get the minimum */
	T_OK(ioasid_simple_open(3ULL << 30, &s) ? errno : 0);
	ioasid_simple_window(s, &start, &last);
	assert_int_equal(last - start + 1, 4ULL << 30);
	ioasid_simple_close(s);
	T_OK(ioasid_simple_open(1, &s) ? errno : 0);
	ioasid_simple_window(s, &start, &last);
	assert_int_equal(last - start + 1, 2 * MB);
	ioasid_simple_close(s);

	T_ERR(EINVAL, ioasid_simple_open(0, &s) ? errno : 0);
}

static void map_inside_window(void **state)
{
	(void)state;
	struct ioasid_simple *s;
	uint64_t start, last, iova[8];
	uint8_t *buf =
		mmap(NULL, 16 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_OK(ioasid_simple_open(64 * MB, &s) ? errno : 0);
	ioasid_simple_window(s, &start, &last);
	for (int i = 0; i < 8; i++) {
		T_OK(ioasid_simple_map(s, buf + i * MB + 0x10 * i, 4096, IOASID_SIMPLE_RW,
				       &iova[i]) ?
			     errno :
			     0);
		assert_true(iova[i] >= start && iova[i] + 4095 <= last);
		assert_int_equal(iova[i] % 4096, (uint64_t)(0x10 * i));
		for (int j = 0; j < i; j++)
			assert_true(iova[i] / 4096 != iova[j] / 4096 || iova[i] + 4095 < iova[j] ||
				    iova[j] + 4095 < iova[i]);
	}
	/* the DMA walks the device's real page table: what it finds is the buffer's address */
	{
		uint32_t id;
		struct ioasid_ctx *c = ioasid_simple_ctx(s, &id);
		struct ioas *io = ioas_get(c, id);
		struct hwpt_paging *h = io->hwpts;
		uint64_t pa, size;
		int prot;

		assert_non_null(h);
		assert_true(pt_is_domain(h->domain));
		assert_int_equal(
			h->domain->ops->iova_to_phys(h->domain, iova[3], &pa, &size, &prot), 0);
		assert_ptr_equal(iommu_phys_resolve(pa, 1), buf + 3 * MB + 0x30);
		assert_int_not_equal(pa, (uintptr_t)(buf + 3 * MB + 0x30));
		obj_put(&io->obj);
	}
	/* the full ABI sees the same IOAS */
	uint32_t ioas_id;
	struct ioasid_ctx *ctx = ioasid_simple_ctx(s, &ioas_id);
	struct ioas *ioas = ioas_get(ctx, ioas_id);
	assert_non_null(ioas);
	assert_int_equal(ioas->iopt.areas.count, 8);
	obj_put(&ioas->obj);

	/*
	 * unmap takes the IOVA map returned: buffer 1 sits 0x10 into its first page and spans
	 * two pages; an IOVA in its second page names no mapping
	 */
	T_ERR(ENOENT, ioasid_simple_unmap(s, iova[1] + 4096) ? errno : 0);
	T_OK(ioasid_simple_unmap(s, iova[1]) ? errno : 0);
	T_ERR(ENOENT, ioasid_simple_unmap(s, iova[1]) ? errno : 0);
	T_ERR(EFAULT, ioasid_simple_dma_read(s, iova[1], &start, 1) ? errno : 0);

	/* bad flags, bad buffer lengths */
	T_ERR(EINVAL, ioasid_simple_map(s, buf, 4096, 0, &iova[0]) ? errno : 0);
	T_ERR(EINVAL, ioasid_simple_map(s, buf, 4096, 8, &iova[0]) ? errno : 0);
	T_ERR(EINVAL, ioasid_simple_map(s, buf, 0, IOASID_SIMPLE_RW, &iova[0]) ? errno : 0);
	ioasid_simple_close(s);
	munmap(buf, 16 * MB);
}

static void window_fills_up(void **state)
{
	(void)state;
	struct ioasid_simple *s;
	uint64_t iova;
	uint8_t *buf =
		mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_OK(ioasid_simple_open(2 * MB, &s) ? errno : 0);
	T_OK(ioasid_simple_map(s, buf, 1 * MB, IOASID_SIMPLE_RW, &iova) ? errno : 0);
	T_ERR(ENOSPC, ioasid_simple_map(s, buf, 2 * MB, IOASID_SIMPLE_RW, &iova) ? errno : 0);
	T_OK(ioasid_simple_map(s, buf, 1 * MB, IOASID_SIMPLE_RW, &iova) ? errno : 0);
	T_ERR(ENOSPC, ioasid_simple_map(s, buf, 4096, IOASID_SIMPLE_RW, &iova) ? errno : 0);
	ioasid_simple_close(s);
	/* the largest window a 5-level table holds, and no larger */
	T_OK(ioasid_simple_open(1ULL << 55, &s) ? errno : 0);
	T_OK(ioasid_simple_map(s, buf, 4096, IOASID_SIMPLE_RW, &iova) ? errno : 0);
	assert_true(iova >= (1ULL << 55));
	T_OK(ioasid_simple_dma_write(s, iova + 8, "ok", 2) ? errno : 0);
	assert_int_equal(memcmp(buf + 8, "ok", 2), 0);
	ioasid_simple_close(s);
	T_ERR(EINVAL, ioasid_simple_open((1ULL << 55) + 1, &s) ? errno : 0);
	munmap(buf, 4 * MB);
}

static void dma_permissions(void **state)
{
	(void)state;
	struct ioasid_simple *s;
	uint64_t rd, wr;
	char c = 'z';
	char *buf =
		mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_OK(ioasid_simple_open(64 * MB, &s) ? errno : 0);
	buf[0] = 'a';
	T_OK(ioasid_simple_map(s, buf, 4096, IOASID_SIMPLE_READ, &rd) ? errno : 0);
	T_OK(ioasid_simple_map(s, buf + 4096, 4096, IOASID_SIMPLE_WRITE, &wr) ? errno : 0);
	T_OK(ioasid_simple_dma_read(s, rd, &c, 1) ? errno : 0);
	assert_int_equal(c, 'a');
	T_ERR(EPERM, ioasid_simple_dma_write(s, rd, &c, 1) ? errno : 0);
	T_ERR(EPERM, ioasid_simple_dma_read(s, wr, &c, 1) ? errno : 0);
	T_OK(ioasid_simple_dma_write(s, wr + 100, &c, 1) ? errno : 0);
	assert_int_equal(buf[4096 + 100], 'a');
	/* crossing the end of a mapping into nothing (wr may sit right after rd) */
	T_OK(ioasid_simple_unmap(s, wr) ? errno : 0);
	char ten[10];

	T_ERR(EFAULT, ioasid_simple_dma_read(s, rd + 4090, ten, sizeof(ten)) ? errno : 0);
	ioasid_simple_close(s);
	munmap(buf, 2 * 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(window_sizes),
		cmocka_unit_test(map_inside_window),
		cmocka_unit_test(window_fills_up),
		cmocka_unit_test(dma_permissions),
	};

	return cmocka_run_group_tests_name("simple", tests, NULL, NULL);
}
