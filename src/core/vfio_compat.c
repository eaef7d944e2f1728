/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_compat.c - VFIO type1 container ioctls issued on an iommufd.
 *
 * Programs written for VFIO's type1 container can run on an iommufd: VFIO_GET_API_VERSION,
 * VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA and
 * VFIO_IOMMU_UNMAP_DMA act on the context's compat IOAS (chosen with IOMMU_VFIO_IOAS).
 * Anything else outside the iommufd command range answers ENOTTY, as for any unknown ioctl.
 *
 * Semantics follow the kernel's compat layer, which is what programs checked against:
 *   - without a compat IOAS every IOAS-bound call fails with ENODEV;
 *   - VFIO_SET_IOMMU(VFIO_TYPE1_IOMMU) turns large pages off on the IOAS (type1 v1 may
 *     unmap part of a mapping, which only works if nothing larger than a page is mapped);
 *     VFIO_TYPE1v2_IOMMU keeps them; any other type is EINVAL;
 *   - MAP_DMA maps at the given IOVA (never allocates one); UNMAP_DMA removes whole
 *     mappings inside the range and reports the bytes removed (0 is not an error here,
 *     unlike IOMMU_IOAS_UNMAP); VFIO_DMA_UNMAP_FLAG_ALL wants iova and size 0. With
 *     large pages off (type1 v1, or the IOAS option) the areas are first cut at both
 *     ends of the range, so part of a mapping can be unmapped; type1v2 gives ENOENT;
 *   - GET_INFO reports the page sizes every attached domain can map and a capability
 *     chain (DMA_AVAIL, then IOVA_RANGE: the IOAS's usable ranges). The chain is written
 *     only where it fits in argsz; argsz comes back as the size the whole chain needs,
 *     and cap_offset is set only when the whole chain was written. Nothing is ever written
 *     past the caller's argsz.
 *
 * Not done: VFIO_IOMMU_DIRTY_PAGES (ENOTTY as in the kernel).
 */
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>

#include "core/private.h"

static struct ioas *compat_ioas_get(struct ioasid_ctx *ctx)
{
	if (!ctx->vfio_ioas)
		return NULL;
	return ioas_get(ctx, ctx->vfio_ioas->obj.id);
}

static int vfio_check_extension(struct ioasid_ctx *ctx, unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		/* every emulated IOMMU here is cache coherent */
		return ctx->vfio_ioas ? 1 : -ENODEV;
	default:
		return 0;
	}
}

static int vfio_set_iommu(struct ioasid_ctx *ctx, unsigned long type)
{
	struct ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	ioas = compat_ioas_get(ctx);
	if (!ioas)
		return -ENODEV;
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_set_large_pages(&ioas->iopt, false);
	if (!rc)
		ctx->vfio_type1_set = true;
	obj_put(&ioas->obj);
	return rc;
}

static int vfio_map_dma(struct ioasid_ctx *ctx, uint64_t arg)
{
	const size_t minsz = offsetof(struct vfio_iommu_type1_dma_map, size) +
			     sizeof(((struct vfio_iommu_type1_dma_map *)0)->size);
	struct vfio_iommu_type1_dma_map map;
	int prot = IOMMU_PROT_CACHE, rc;
	struct pages *pages;
	struct ioas *ioas;
	uint64_t iova, last;

	rc = uaccess_from(ctx, &map, arg, minsz);
	if (rc)
		return rc;
	if (map.argsz < minsz || (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_PROT_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_PROT_WRITE;
	ioas = compat_ioas_get(ctx);
	if (!ioas)
		return -ENODEV;
	/* sized as IOAS_MAP sizes its pages; the IOVA is checked with the map, as the kernel */
	rc = -EINVAL;
	if (!map.size || map.size > UINT64_MAX - IOASID_PAGE_SIZE)
		goto out_put;
	rc = -EOVERFLOW;
	if (check_add_u64(map.vaddr, map.size, &last))
		goto out_put;
	rc = -ENOMEM;
	pages = pages_new_user(ctx, map.vaddr, map.size, prot & IOMMU_PROT_WRITE);
	if (!pages)
		goto out_put;
	iova = map.iova;
	rc = iopt_map_pages(&ioas->iopt, pages, map.vaddr - pages->uptr, map.size, &iova, prot,
			    false);
	pages_put(pages);
out_put:
	obj_put(&ioas->obj);
	return rc;
}

static int vfio_unmap_dma(struct ioasid_ctx *ctx, uint64_t arg)
{
	const size_t minsz = offsetof(struct vfio_iommu_type1_dma_unmap, size) +
			     sizeof(((struct vfio_iommu_type1_dma_unmap *)0)->size);
	struct vfio_iommu_type1_dma_unmap unmap;
	uint64_t unmapped = 0;
	struct ioas *ioas;
	int rc;

	rc = uaccess_from(ctx, &unmap, arg, minsz);
	if (rc)
		return rc;
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	ioas = compat_ioas_get(ctx);
	if (!ioas)
		return -ENODEV;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		rc = -EINVAL;
		if (unmap.iova || unmap.size)
			goto out_put;
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		if (ioas->iopt.disable_large_pages) {
			/*
			 * type1 (v1) may unmap part of a mapping: cut areas at both ends
			 * of the range first (no cut before IOVA 0).
			 */
			uint64_t cuts[2] = { unmap.iova + unmap.size - 1, unmap.iova - 1 };

			rc = iopt_cut_iova(&ioas->iopt, cuts, unmap.iova ? 2 : 1);
			if (rc)
				goto out_put;
		}
		rc = iopt_unmap(&ioas->iopt, unmap.iova, unmap.size, &unmapped);
	}
	/* the count is written back even when the unmap failed, as the kernel does */
	unmap.size = unmapped;
	if (uaccess_to(ctx, arg, &unmap, minsz))
		rc = -EFAULT;
out_put:
	obj_put(&ioas->obj);
	return rc;
}

/* ---- VFIO_IOMMU_GET_INFO ---------------------------------------------------------------- */

static uint64_t vfio_pgsizes(struct ioas *ioas)
{
	uint64_t sizes = UINT64_MAX;

	for (unsigned int i = 0; i < ioas->iopt.ndomains; i++)
		sizes &= ioas->iopt.domains[i]->pgsize_bitmap;
	/* sizes below a CPU page are not VFIO's business: they make the page size itself */
	if (sizes & (IOASID_PAGE_SIZE - 1)) {
		sizes &= ~(IOASID_PAGE_SIZE - 1);
		sizes |= IOASID_PAGE_SIZE;
	}
	if (sizes < ioas->iopt.iova_alignment)
		sizes = ioas->iopt.iova_alignment;
	return sizes;
}

/* Where the chain goes: [base, base + avail) of the caller's buffer, written only if it fits. */
struct cap_out {
	struct ioasid_ctx *ctx;
	uint64_t base;
	uint64_t avail;
	uint32_t nr;
	int rc;
};

static bool cap_iova_emit(void *arg, uint64_t start, uint64_t last)
{
	struct cap_out *o = arg;
	struct vfio_iova_range r = { .start = start, .end = last };
	uint64_t at =
		sizeof(struct vfio_iommu_type1_info_cap_iova_range) + (uint64_t)o->nr * sizeof(r);

	if (o->avail >= at + sizeof(r)) {
		o->rc = uaccess_to(o->ctx, o->base + at, &r, sizeof(r));
		if (o->rc)
			return false;
	}
	o->nr++;
	return true;
}

/* The IOVA_RANGE capability at base; returns its size or -errno. */
static int64_t fill_cap_iova(struct ioas *ioas, struct cap_out *o)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 },
	};
	uint64_t size;

	iopt_for_each_usable(&ioas->iopt, cap_iova_emit, o);
	if (o->rc)
		return o->rc;
	cap.nr_iovas = o->nr;
	size = sizeof(cap) + (uint64_t)o->nr * sizeof(struct vfio_iova_range);
	if (o->avail >= size) {
		int rc = uaccess_to(o->ctx, o->base, &cap, sizeof(cap));

		if (rc)
			return rc;
	}
	return (int64_t)size;
}

static int64_t fill_cap_dma_avail(struct ioas *ioas, struct cap_out *o)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, .version = 1 },
		.avail = UINT32_MAX, /* no limit on the number of mappings */
	};

	(void)ioas;
	if (o->avail >= sizeof(cap)) {
		int rc = uaccess_to(o->ctx, o->base, &cap, sizeof(cap));

		if (rc)
			return rc;
	}
	return sizeof(cap);
}

static int vfio_get_info(struct ioasid_ctx *ctx, uint64_t arg)
{
	typedef int64_t (*fill_fn)(struct ioas * ioas, struct cap_out * o);
	static const fill_fn fills[] = { fill_cap_dma_avail, fill_cap_iova };
	const size_t minsz =
		offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + sizeof(uint64_t);
	struct vfio_iommu_type1_info info = { 0 };
	uint64_t total = sizeof(info), last_cap = 0;
	size_t outsz;
	struct ioas *ioas;
	int rc;

	rc = uaccess_from(ctx, &info, arg, minsz);
	if (rc)
		return rc;
	if (info.argsz < minsz)
		return -EINVAL;
	outsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	ioas = compat_ioas_get(ctx);
	if (!ioas)
		return -ENODEV;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = vfio_pgsizes(ioas);
	info.cap_offset = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(fills); i++) {
		struct cap_out o = { .ctx = ctx, .base = arg + total };
		int64_t size;

		o.avail = info.argsz > total ? info.argsz - total : 0;
		size = fills[i](ioas, &o);
		if (size < 0) {
			rc = (int)size;
			goto out_put;
		}
		size = (size + 7) & ~(int64_t)7;
		/* link the previous capability to this one, if both are inside argsz */
		if (last_cap && info.argsz >= total) {
			uint32_t next = (uint32_t)total;

			rc = uaccess_to(
				ctx, arg + last_cap + offsetof(struct vfio_info_cap_header, next),
				&next, sizeof(next));
			if (rc)
				goto out_put;
		}
		last_cap = total;
		total += size;
	}
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	rc = uaccess_to(ctx, arg, &info, outsz);
out_put:
	obj_put(&ioas->obj);
	return rc;
}

int vfio_compat_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, uint64_t arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return vfio_check_extension(ctx, arg);
	case VFIO_SET_IOMMU:
		return vfio_set_iommu(ctx, arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_get_info(ctx, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_map_dma(ctx, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_unmap_dma(ctx, arg);
	default:
		return -ENOTTY;
	}
}
