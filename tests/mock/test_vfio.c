/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfio.c - VFIO type1 container ioctls on a context, as the kernel's vfio_compat
 * layer answers them: no compat IOAS means ENODEV, SET_IOMMU's type rules, GET_INFO's
 * capability chain never written past argsz, MAP_DMA and UNMAP_DMA through a mock domain,
 * and type1 (v1) unmapping part of a mapping.
 */
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_helpers.h"

#define BUF_PAGES 4
#define INFO_BUF  512

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, hwpt;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, NULL, &f->hwpt, NULL));
	f->buf = m_buf(BUF_PAGES * PG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	m_buf_free(f->buf, BUF_PAGES * PG);
	free(f);
	return 0;
}

static int set_compat(struct fix *f)
{
	struct iommu_vfio_ioas v = {
		.size = sizeof(v),
		.op = IOMMU_VFIO_IOAS_SET,
		.ioas_id = f->ioas,
	};

	return t_ioctl(f->ctx, IOMMU_VFIO_IOAS, &v);
}

static int vfio(struct fix *f, unsigned long cmd, void *arg)
{
	int rc = ioasid_ioctl(f->ctx, cmd, arg);

	return rc < 0 ? -errno : rc;
}

static void test_no_compat_ioas(void **state)
{
	struct fix *f = *state;
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };

	assert_int_equal(vfio(f, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	assert_int_equal(vfio(f, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU), 1);
	assert_int_equal(vfio(f, VFIO_CHECK_EXTENSION, (void *)VFIO_UNMAP_ALL), 1);
	assert_int_equal(vfio(f, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1_NESTING_IOMMU), 0);
	assert_int_equal(vfio(f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), -ENODEV);
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), -ENODEV);
	assert_int_equal(vfio(f, VFIO_IOMMU_DIRTY_PAGES, &map), -ENOTTY);
}

static void test_set_iommu(void **state)
{
	struct fix *f = *state;
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = f->ioas,
	};

	T_OK(set_compat(f));
	assert_int_equal(vfio(f, VFIO_SET_IOMMU, (void *)7UL), -EINVAL);
	assert_int_equal(vfio(f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	T_OK(t_ioctl(f->ctx, IOMMU_OPTION, &o));
	assert_int_equal(o.val64, 1);
	/* type1 v1 maps nothing larger than a page */
	assert_int_equal(vfio(f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), 0);
	T_OK(t_ioctl(f->ctx, IOMMU_OPTION, &o));
	assert_int_equal(o.val64, 0);
}

static bool filled(const uint8_t *p, uint8_t c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

static void test_get_info(void **state)
{
	struct fix *f = *state;
	_Alignas(8) uint8_t buf[INFO_BUF];
	struct vfio_iommu_type1_info *info = (void *)buf;
	const struct vfio_info_cap_header *cap;
	uint32_t need;
	bool seen_avail = false, seen_iova = false;

	T_OK(set_compat(f));
	/* the pre-capability ABI: 16 bytes in, 16 bytes out */
	memset(buf, 0xAA, sizeof(buf));
	memset(info, 0, offsetof(struct vfio_iommu_type1_info, cap_offset));
	info->argsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	assert_int_equal(vfio(f, VFIO_IOMMU_GET_INFO, info), 0);
	assert_true(filled(buf + 16, 0xAA, sizeof(buf) - 16));
	assert_int_equal(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	assert_int_equal(info->iova_pgsizes, PG);
	/* the struct alone: told how much the chain needs, nothing written past argsz */
	memset(buf, 0xAA, sizeof(buf));
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	assert_int_equal(vfio(f, VFIO_IOMMU_GET_INFO, info), 0);
	assert_true(filled(buf + sizeof(*info), 0xAA, sizeof(buf) - sizeof(*info)));
	assert_int_equal(info->cap_offset, 0);
	need = info->argsz;
	assert_true(need > sizeof(*info) && need <= sizeof(buf));
	/* every size short of the whole chain writes no byte past argsz */
	for (uint32_t n = sizeof(*info); n < need; n++) {
		memset(buf, 0xAA, sizeof(buf));
		memset(info, 0, sizeof(*info));
		info->argsz = n;
		assert_int_equal(vfio(f, VFIO_IOMMU_GET_INFO, info), 0);
		assert_true(filled(buf + n, 0xAA, sizeof(buf) - n));
		assert_int_equal(info->argsz, need);
		assert_int_equal(info->cap_offset, 0);
	}
	/* the whole chain */
	memset(buf, 0xAA, sizeof(buf));
	memset(info, 0, sizeof(*info));
	info->argsz = need;
	assert_int_equal(vfio(f, VFIO_IOMMU_GET_INFO, info), 0);
	assert_true(filled(buf + need, 0xAA, sizeof(buf) - need));
	assert_int_equal(info->cap_offset, sizeof(*info));
	for (cap = (void *)(buf + info->cap_offset);; cap = (void *)(buf + cap->next)) {
		assert_int_equal(cap->version, 1);
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			seen_avail = true;
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct vfio_iommu_type1_info_cap_iova_range *r = (const void *)cap;

			seen_iova = true;
			assert_int_equal(r->nr_iovas, 1);
			assert_int_equal(r->iova_ranges[0].start, MOCK_APERTURE_START);
			assert_int_equal(r->iova_ranges[0].end, MOCK_APERTURE_LAST);
		} else {
			fail_msg("unknown capability %u", cap->id);
		}
		if (!cap->next)
			break;
		assert_true(cap->next + sizeof(*cap) <= need);
	}
	assert_true(seen_avail && seen_iova);
	info->argsz = 8;
	assert_int_equal(vfio(f, VFIO_IOMMU_GET_INFO, info), -EINVAL);
}

static void test_map_unmap(void **state)
{
	struct fix *f = *state;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)f->buf,
		.iova = MOCK_APERTURE_START,
		.size = BUF_PAGES * PG,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = MOCK_APERTURE_START,
		.size = BUF_PAGES * PG,
	};

	T_OK(set_compat(f));
	assert_int_equal(vfio(f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), 0);
	T_OK(m_check_map(f->ctx, f->hwpt, MOCK_APERTURE_START, f->buf, BUF_PAGES * PG));
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), -EEXIST);
	map.flags |= 1u << 5;
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), -EINVAL);
	map.flags = VFIO_DMA_MAP_FLAG_READ;
	map.argsz = 8;
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), -EINVAL);

	unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), -EINVAL);
	unmap.flags = 0;
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	assert_int_equal(unmap.size, BUF_PAGES * PG);
	T_ERR(EINVAL, m_check_map(f->ctx, f->hwpt, MOCK_APERTURE_START, f->buf, PG));
	/* nothing left: 0 bytes, not an error */
	unmap.size = BUF_PAGES * PG;
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	assert_int_equal(unmap.size, 0);

	map.argsz = sizeof(map);
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), 0);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	unmap.iova = 0;
	unmap.size = 0;
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	assert_int_equal(unmap.size, BUF_PAGES * PG);
	T_OK(m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 0));
}

/*
 * type1 (v1) turns large pages off, and then UNMAP_DMA may take part of a mapping: the
 * area is cut at both ends of the range. type1v2 refuses (ENOENT) and changes nothing.
 * A cut through a range an access has pinned is refused (EINVAL), as in the kernel.
 */
static void test_type1_partial_unmap(void **state)
{
	struct fix *f = *state;
	const uint64_t base = MOCK_APERTURE_START;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)f->buf,
		.iova = base,
		.size = BUF_PAGES * PG,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = base + PG,
		.size = PG,
	};
	int access_fd;

	T_OK(set_compat(f));
	assert_int_equal(vfio(f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), 0);
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), 0);

	/* the second page, out of the middle */
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	assert_int_equal(unmap.size, PG);
	T_OK(m_check_map(f->ctx, f->hwpt, base, f->buf, PG));
	T_ERR(EINVAL, m_check_map(f->ctx, f->hwpt, base + PG, f->buf + PG, MOCK_PG));
	T_OK(m_check_map(f->ctx, f->hwpt, base + 2 * PG, f->buf + 2 * PG, 2 * PG));
	T_OK(m_check_refs(f->ctx, f->buf, PG, 1));
	T_OK(m_check_refs(f->ctx, f->buf + PG, PG, 0));
	T_OK(m_check_refs(f->ctx, f->buf + 2 * PG, 2 * PG, 1));

	/* the last page is pinned by an access: no cut through its area */
	T_OK(m_create_access(f->ctx, f->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
			     &access_fd));
	T_OK(m_access_pages(f->ctx, access_fd, base + 3 * PG, PG, f->buf + 3 * PG, 0, NULL));
	unmap.iova = base + 2 * PG;
	unmap.size = PG;
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), -EINVAL);
	T_OK(m_check_map(f->ctx, f->hwpt, base + 2 * PG, f->buf + 2 * PG, 2 * PG));
	close(access_fd);

	/* the access is gone: the cut works; then everything else, piece by piece */
	unmap.size = PG;
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	assert_int_equal(unmap.size, PG);
	T_OK(m_check_map(f->ctx, f->hwpt, base + 3 * PG, f->buf + 3 * PG, PG));
	unmap.iova = base;
	unmap.size = BUF_PAGES * PG;
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	assert_int_equal(unmap.size, 2 * PG);
	T_OK(m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 0));
}

static void test_type1v2_no_partial_unmap(void **state)
{
	struct fix *f = *state;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)f->buf,
		.iova = MOCK_APERTURE_START,
		.size = BUF_PAGES * PG,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = MOCK_APERTURE_START + PG,
		.size = PG,
	};

	T_OK(set_compat(f));
	assert_int_equal(vfio(f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(vfio(f, VFIO_IOMMU_MAP_DMA, &map), 0);
	assert_int_equal(vfio(f, VFIO_IOMMU_UNMAP_DMA, &unmap), -ENOENT);
	T_OK(m_check_map(f->ctx, f->hwpt, MOCK_APERTURE_START, f->buf, BUF_PAGES * PG));
	T_OK(m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_compat_ioas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_iommu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type1_partial_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type1v2_no_partial_unmap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
