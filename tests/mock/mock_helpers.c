/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mock_helpers.c - IOMMU_TEST_CMD helpers for the mock-layer tests (see mock_helpers.h).
 */
#include <string.h>
#include <sys/mman.h>

#include "mock_helpers.h"

int m_cmd(struct ioasid_ctx *ctx, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return t_ioctl(ctx, IOMMU_TEST_CMD, cmd);
}

int m_mock_domain(struct ioasid_ctx *ctx, uint32_t pt_id, uint32_t dev_flags, uint32_t *out_stdev,
		  uint32_t *out_hwpt, uint32_t *out_idev)
{
	struct iommu_test_cmd c = {
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc = m_cmd(ctx, &c);

	if (rc)
		return rc;
	if (out_stdev)
		*out_stdev = c.mock_domain.out_stdev_id;
	if (out_hwpt)
		*out_hwpt = c.mock_domain.out_hwpt_id;
	if (out_idev)
		*out_idev = c.mock_domain.out_idev_id;
	return 0;
}

int m_replace(struct ioasid_ctx *ctx, uint32_t stdev, uint32_t pt_id, uint32_t *out_hwpt)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = m_cmd(ctx, &c);

	if (!rc && out_hwpt)
		*out_hwpt = c.mock_domain_replace.pt_id;
	return rc;
}

int m_check_map(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova, void *buf, uint64_t len)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)buf },
	};

	return m_cmd(ctx, &c);
}

int m_check_refs(struct ioasid_ctx *ctx, void *buf, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)buf, .refs = refs },
	};

	return m_cmd(ctx, &c);
}

int m_hwpt_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pt, uint32_t flags,
		 uint32_t *out_hwpt)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.dev_id = dev,
		.pt_id = pt,
	};
	int rc = t_ioctl(ctx, IOMMU_HWPT_ALLOC, &a);

	if (!rc && out_hwpt)
		*out_hwpt = a.out_hwpt_id;
	return rc;
}

int m_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return t_ioctl(ctx, IOMMU_DESTROY, &d);
}

int m_create_access(struct ioasid_ctx *ctx, uint32_t ioas, uint32_t flags, int *out_fd)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access = { .flags = flags },
	};
	int rc = m_cmd(ctx, &c);

	if (!rc)
		*out_fd = (int)c.create_access.out_access_fd;
	return rc;
}

int m_access_pages(struct ioasid_ctx *ctx, int fd, uint64_t iova, uint64_t len, void *uptr,
		   uint32_t flags, uint32_t *out_item)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = (uint32_t)fd,
		.access_pages = { .flags = flags,
				  .iova = iova,
				  .length = len,
				  .uptr = (uintptr_t)uptr },
	};
	int rc = m_cmd(ctx, &c);

	if (!rc && out_item)
		*out_item = c.access_pages.out_access_pages_id;
	return rc;
}

int m_access_rw(struct ioasid_ctx *ctx, int fd, uint64_t iova, void *buf, uint64_t len,
		uint32_t flags)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = (uint32_t)fd,
		.access_rw = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = flags },
	};

	return m_cmd(ctx, &c);
}

int m_map_fixed(struct ioasid_ctx *ctx, uint32_t ioas, void *buf, uint64_t len, uint64_t iova,
		uint32_t flags)
{
	return t_map(ctx, ioas, buf, len, &iova, flags | IOMMU_IOAS_MAP_FIXED_IOVA);
}

void *m_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	memset(p, 0, len);
	return p;
}

void m_buf_free(void *buf, size_t len)
{
	munmap(buf, len);
}
