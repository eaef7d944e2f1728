/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mock_domain.c - the kernel selftest's mock IOMMU, as a device model.
 *
 * The mock IOMMU is what the kernel's iommufd selftest drives through IOMMU_TEST_CMD, and
 * what a program gets from ioasid_device_new() with the "mock" format. Its documented
 * behaviour, which the selftest checks:
 *   - the IO page is half the CPU page (2K with 4K pages); with MOCK_FLAGS_DEVICE_HUGE_IOVA
 *     a domain also maps 512 IO pages at once (1M);
 *   - the aperture is [MOCK_APERTURE_START, MOCK_APERTURE_LAST]; the IOAS reserves the rest;
 *   - dirty tracking unless MOCK_FLAGS_DEVICE_NO_DIRTY; a device without it cannot attach to
 *     a domain allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING (EINVAL);
 *   - hardware info IOMMU_HW_INFO_TYPE_SELFTEST with test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
 *   - PASID support (MOCK_PASID_WIDTH bits) with MOCK_FLAGS_DEVICE_PASID.
 *
 * The domain itself is the page-table module's mock format (src/pt/fmt_mock.c): real tables
 * in the context's arena, walked by the same walker as every hardware format, with a dirty
 * bit per IO page that the selftest's DIRTY op sets as a device write would.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/private.h"
#include "pt/pt.h"
#include <linux/iommufd_test.h>

#define MOCK_PASID_MAX_LOG2 MOCK_PASID_WIDTH

bool mock_is_domain(const struct iommu_domain *d)
{
	return pt_is_domain(d) && pt_domain_config(d)->format == PT_FMT_MOCK;
}

/* Test hook: mark the IO page at iova dirty, as a device write would. */
static int mock_mark_dirty(struct iommu_domain *d, uint64_t iova)
{
	if (!mock_is_domain(d))
		return -ENOENT;
	return pt_mark_dirty(d, iova);
}

/* ---- the model ------------------------------------------------------------------------ */

static int mock_alloc(struct device *dev, uint32_t flags, struct pt_config *cfg,
		      struct iommu_domain **out)
{
	cfg->format = PT_FMT_MOCK;
	cfg->arena = ctx_pt_arena(dev->obj.ctx);
	if (!cfg->arena)
		return -ENOMEM;
	if (!(flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		cfg->flags |= PT_CFG_NO_DIRTY;
	return pt_domain_alloc(cfg, out);
}

static int mock_domain_alloc_paging(struct device *dev, uint32_t flags, struct iommu_domain **out)
{
	struct pt_config cfg = { 0 };

	if (dev->model_flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		cfg.flags |= PT_CFG_MOCK_HUGE;
	return mock_alloc(dev, flags, &cfg, out);
}

/*
 * Linux 7.x's mock takes struct iommu_hwpt_selftest for a paging domain too, and builds the
 * table its pagetable_type names (see MOCK_IOMMUPT_* in iommufd_test.h and fmt_mock.c). The
 * huge table covers 3 levels of the mock's table (38 bits with 2K IO pages), not the aperture.
 */
static int mock_domain_alloc_paging_data(struct device *dev, uint32_t flags, const void *data,
					 struct iommu_domain **out)
{
	const struct iommu_hwpt_selftest *st = data;
	struct pt_config cfg = { .flags = PT_CFG_MOCK_IOMMUPT };
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	switch (st->pagetable_type) {
	case MOCK_IOMMUPT_DEFAULT:
		break;
	case MOCK_IOMMUPT_HUGE:
		cfg.flags |= PT_CFG_MOCK_HUGE;
		cfg.input_bits = (unsigned int)__builtin_ctzll(page / 2) + 27;
		cfg.pgsize_bitmap = page | (page / 2 * 512);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return mock_alloc(dev, flags, &cfg, out);
}

static int mock_attach_check(struct device *dev, const struct hwpt_paging *hwpt)
{
	if (!mock_is_domain(hwpt->domain))
		return -EINVAL;
	if ((hwpt->alloc_flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    (dev->model_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	return 0;
}

static int mock_hw_info(struct device *dev, void *buf, uint32_t buf_len, uint32_t *out_len,
			uint32_t *out_type)
{
	struct iommu_test_hw_info info = { .test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL };

	(void)dev;
	memcpy(buf, &info, buf_len < sizeof(info) ? buf_len : sizeof(info));
	*out_len = sizeof(info);
	*out_type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return 0;
}

const struct dev_model_ops mock_model_ops = {
	.name = "mock",
	.domain_alloc_paging = mock_domain_alloc_paging,
	.domain_alloc_paging_data = mock_domain_alloc_paging_data,
	.paging_data_type = IOMMU_HWPT_DATA_SELFTEST,
	.paging_data_min = offsetof(struct iommu_hwpt_selftest, iotlb) + sizeof(uint32_t),
	.paging_data_max = sizeof(struct iommu_hwpt_selftest),
	.attach_check = mock_attach_check,
	.hw_info = mock_hw_info,
	.mark_dirty = mock_mark_dirty,
};

/* A mock device, bound (published) with the given MOCK_FLAGS_DEVICE_* flags. */
int mock_dev_new(struct ioasid_ctx *ctx, uint32_t dev_flags, struct device **out)
{
	struct device *dev;
	int rc;

	if (dev_flags &
	    ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_PASID))
		return -EINVAL;
	rc = dev_bind(ctx, &mock_model_ops, NULL, &dev);
	if (rc)
		return rc;
	dev->model_flags = dev_flags;
	if (!(dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		dev->caps |= DEV_CAP_DIRTY;
	if (dev_flags & MOCK_FLAGS_DEVICE_PASID) {
		dev->caps |= DEV_CAP_PASID;
		dev->max_pasid_log2 = MOCK_PASID_MAX_LOG2;
	}
	*out = dev;
	return 0;
}
