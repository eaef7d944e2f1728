/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mock_helpers.h - what the mock-layer tests share: IOMMU_TEST_CMD helpers in the three
 * forms of STYLE habit 8 (raw returning errno, asserting success, expecting an errno), a
 * page-aligned buffer, and the mock IOMMU's constants. Built on tests/core/helpers.h.
 */
#ifndef IOASID_TESTS_MOCK_HELPERS_H
#define IOASID_TESTS_MOCK_HELPERS_H

#include "../core/helpers.h"
#include <linux/iommufd_test.h>

#define PG	4096ULL
#define MOCK_PG (PG / 2)

/* raw test command: 0 or errno */
int m_cmd(struct ioasid_ctx *ctx, struct iommu_test_cmd *cmd);

/* MOCK_DOMAIN(_FLAGS) on pt_id; any out pointer may be NULL. */
int m_mock_domain(struct ioasid_ctx *ctx, uint32_t pt_id, uint32_t dev_flags, uint32_t *out_stdev,
		  uint32_t *out_hwpt, uint32_t *out_idev);
int m_replace(struct ioasid_ctx *ctx, uint32_t stdev, uint32_t pt_id, uint32_t *out_hwpt);
int m_check_map(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova, void *buf, uint64_t len);
int m_check_refs(struct ioasid_ctx *ctx, void *buf, uint64_t len, uint32_t refs);
int m_hwpt_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pt, uint32_t flags,
		 uint32_t *out_hwpt);
int m_destroy(struct ioasid_ctx *ctx, uint32_t id);
int m_create_access(struct ioasid_ctx *ctx, uint32_t ioas, uint32_t flags, int *out_fd);
int m_access_pages(struct ioasid_ctx *ctx, int fd, uint64_t iova, uint64_t len, void *uptr,
		   uint32_t flags, uint32_t *out_item);
int m_access_rw(struct ioasid_ctx *ctx, int fd, uint64_t iova, void *buf, uint64_t len,
		uint32_t flags);
int m_map_fixed(struct ioasid_ctx *ctx, uint32_t ioas, void *buf, uint64_t len, uint64_t iova,
		uint32_t flags);

/* An anonymous private buffer of len bytes, page aligned; unmap with m_buf_free. */
void *m_buf(size_t len);
void m_buf_free(void *buf, size_t len);

#endif
