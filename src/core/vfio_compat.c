/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_compat.c - VFIO type1 container ioctls issued on an iommufd.
 *
 * Programs written for VFIO's type1 container can run on an iommufd: VFIO_GET_API_VERSION,
 * VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA and
 * VFIO_IOMMU_UNMAP_DMA act on the context's compat IOAS (IOMMU_VFIO_IOAS). Until they are
 * served, every number outside the iommufd range answers ENOTTY, as for any unknown ioctl.
 */
#include "core/private.h"

int vfio_compat_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, uint64_t arg)
{
	(void)ctx;
	(void)cmd;
	(void)arg;
	return -ENOTTY;
}
