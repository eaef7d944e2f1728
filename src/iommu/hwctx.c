/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hwctx.c - what every model's hardware context shares: its allocation and its release, and
 * the zeroed, page-aligned tables the models hang below it (PASID tables, CD leaves, process
 * directories).
 *
 * A model's context is its own struct with struct iommu_hwctx first; it names the device's
 * own entry (a VT-d context entry, an STE, a DTE ...) by the field's offset, and its ops'
 * release frees only the tables it made beyond the struct. Nothing here takes a lock: a
 * context is made before any attach and freed with its device (pasid.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"

void *iommu_hwctx_alloc(size_t size, const struct iommu_hwctx_ops *ops, size_t root_off)
{
	struct iommu_hwctx *hw = calloc(1, size);

	if (!hw)
		return NULL;
	hw->ops = ops;
	hw->root_pa = (uint64_t)(uintptr_t)((char *)hw + root_off);
	return hw;
}

int iommu_hwctx_new(size_t size, const struct iommu_hwctx_ops *ops, size_t root_off,
		    struct iommu_hwctx **out)
{
	*out = iommu_hwctx_alloc(size, ops, root_off);
	return *out ? 0 : -ENOMEM;
}

void iommu_hwctx_free(struct iommu_hwctx *hw)
{
	if (!hw)
		return;
	if (hw->ops->release)
		hw->ops->release(hw);
	free(hw);
}

uint64_t *iommu_ctx_table_alloc(size_t bytes)
{
	size_t n = bytes < 4096 ? 4096 : (bytes + 4095) & ~(size_t)4095;
	uint64_t *t = aligned_alloc(4096, n);

	if (t)
		memset(t, 0, n);
	return t;
}

void iommu_ctx_tables_free(uint64_t *dir, size_t n, uint64_t valid, uint64_t addr_mask)
{
	if (!dir)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t e = le64toh(dir[i]);

		if (e & valid)
			free((void *)(uintptr_t)(e & addr_mask));
	}
	free(dir);
}
