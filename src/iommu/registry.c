/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * registry.c - the IOMMU models a device can sit behind, looked up by the device's format.
 *
 * What it owns: the list of models, in lookup order, and the kernel selftest's mock model's
 * entry (its domains and attach rules live in core/mock_domain.c, with IOMMU_TEST_CMD).
 *
 * Where a new IOMMU kind goes: a file model_<kind>.c defining a struct iommu_model (which
 * device formats it serves, how it binds a device and makes its domains), one line in
 * iommu_models[] below; if its first stage is a new hardware format, a nested kind in
 * nested.c. Translation, the IOTLB, PASID tables and DMA are shared by every model.
 */
#include <errno.h>
#include <string.h>

#include <linux/iommufd_test.h>

#include "core/private.h"
#include "iommu/iommu.h"

/* ---- the mock ---------------------------------------------------------------------------- */

static bool mock_serves(const char *format)
{
	return !strcmp(format, "mock");
}

static int mock_device_new(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
			   struct device **out)
{
	uint32_t mflags = 0;

	if (desc->flags & IOASID_DEVICE_NO_DIRTY)
		mflags |= MOCK_FLAGS_DEVICE_NO_DIRTY;
	if (desc->flags & IOASID_DEVICE_HUGE_IOVA)
		mflags |= MOCK_FLAGS_DEVICE_HUGE_IOVA;
	if (desc->flags & IOASID_DEVICE_PASID)
		mflags |= MOCK_FLAGS_DEVICE_PASID;
	return mock_dev_new(ctx, mflags, out);
}

static const struct iommu_model iommu_model_mock = {
	.name = "mock",
	.desc = "the kernel selftest's mock IOMMU (2K IO pages, its aperture)",
	.serves = mock_serves,
	.device_new = mock_device_new,
};

/* ---- the registry ------------------------------------------------------------------------ */

static const struct iommu_model *const iommu_models[] = {
	&iommu_model_mock,
#ifdef IOASID_HAVE_PT
	&iommu_model_pt,
#endif
};

const struct iommu_model *iommu_model_find(const char *format)
{
	for (size_t i = 0; i < sizeof(iommu_models) / sizeof(iommu_models[0]); i++)
		if (iommu_models[i]->serves(format))
			return iommu_models[i];
	return NULL;
}

const struct iommu_model *iommu_model_at(size_t i)
{
	return i < sizeof(iommu_models) / sizeof(iommu_models[0]) ? iommu_models[i] : NULL;
}
