/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * simple.c - the simple flow (ioasid/simple.h) on top of the full ABI.
 *
 * Everything here goes through the public API with the kernel's own structs: a context, an
 * IOAS whose window is installed with IOMMU_IOAS_ALLOW_IOVAS (so the IOVA allocator never
 * hands out anything outside it), and one emulated device behind an Intel VT-d IOMMU
 * (second-stage tables, 4 levels, or 5 for windows beyond 2^48: separate read and write
 * permissions) attached to the IOAS. Mapping a buffer pins it
 * and writes it into the device's page table; the device-side DMA translates every IOVA by
 * walking that table, as hardware would.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/private.h"
#include "ioasid/simple.h"

struct ioasid_simple {
	struct ioasid_ctx *ctx;
	uint32_t ioas_id;
	uint32_t dev_id; /* the emulated device doing the DMA */
	uint64_t start, last;
};

/* The largest window: a 5-level (57-bit) VT-d table holds it above its own size. */
#define SIMPLE_MAX_WINDOW (1ULL << 55)

#define SIMPLE_MIN_WINDOW (2ULL << 20)

int ioasid_simple_open(uint64_t iova_bytes, struct ioasid_simple **out)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_iova_range window;
	struct iommu_ioas_allow_iovas allow = { .size = sizeof(allow) };
	struct ioasid_simple *s;
	uint64_t size = SIMPLE_MIN_WINDOW;
	int saved;

	struct ioasid_device_desc dev = { .format = "vtd-ss-4" };

	if (!iova_bytes || iova_bytes > SIMPLE_MAX_WINDOW) {
		errno = EINVAL;
		return -1;
	}
	while (size < iova_bytes)
		size <<= 1;
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	if (ioasid_ctx_new(NULL, &s->ctx))
		goto err_free;
	if (ioasid_ioctl(s->ctx, IOMMU_IOAS_ALLOC, &alloc))
		goto err_ctx;
	s->ioas_id = alloc.out_ioas_id;
	/* a naturally aligned window one size above zero */
	s->start = size;
	s->last = size + (size - 1);
	window.start = s->start;
	window.last = s->last;
	allow.ioas_id = s->ioas_id;
	allow.num_iovas = 1;
	allow.allowed_iovas = (uintptr_t)&window;
	if (ioasid_ioctl(s->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow))
		goto err_ctx;
	if (s->last >= 1ULL << 48)
		dev.format = "vtd-ss-5";
	if (ioasid_device_new(s->ctx, &dev, &s->dev_id) ||
	    ioasid_device_attach(s->ctx, s->dev_id, s->ioas_id, NULL))
		goto err_ctx;
	*out = s;
	return 0;

err_ctx:
	saved = errno;
	ioasid_ctx_free(s->ctx);
	errno = saved;
err_free:
	saved = errno;
	free(s);
	errno = saved;
	return -1;
}

void ioasid_simple_close(struct ioasid_simple *s)
{
	if (!s)
		return;
	ioasid_ctx_free(s->ctx);
	free(s);
}

void ioasid_simple_window(const struct ioasid_simple *s, uint64_t *out_start, uint64_t *out_last)
{
	*out_start = s->start;
	*out_last = s->last;
}

/*
 * A domain maps whole pages, so the mapping covers the pages holding the buffer and the IOVA
 * returned points at the buffer's first byte inside it.
 */
int ioasid_simple_map(struct ioasid_simple *s, void *buf, size_t len, unsigned int flags,
		      uint64_t *out_iova)
{
	uint64_t start = (uintptr_t)buf & ~(IOASID_PAGE_SIZE - 1), last;
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.ioas_id = s->ioas_id,
		.user_va = start,
	};

	if (!flags || (flags & ~IOASID_SIMPLE_RW) || !len ||
	    check_add_u64((uintptr_t)buf, len - 1, &last) || last > UINT64_MAX - IOASID_PAGE_SIZE) {
		errno = EINVAL;
		return -1;
	}
	map.length = (last | (IOASID_PAGE_SIZE - 1)) - start + 1;
	if (flags & IOASID_SIMPLE_READ)
		map.flags |= IOMMU_IOAS_MAP_READABLE;
	if (flags & IOASID_SIMPLE_WRITE)
		map.flags |= IOMMU_IOAS_MAP_WRITEABLE;
	if (ioasid_ioctl(s->ctx, IOMMU_IOAS_MAP, &map))
		return -1;
	*out_iova = map.iova + ((uintptr_t)buf - start);
	return 0;
}

int ioasid_simple_unmap(struct ioasid_simple *s, uint64_t iova)
{
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap), .ioas_id = s->ioas_id };
	struct iopt_area *area;
	struct ioas *ioas;

	pthread_mutex_lock(&s->ctx->lock);
	ioas = ioas_get(s->ctx, s->ioas_id);
	area = ioas ? iopt_find_area(&ioas->iopt, iova) : NULL;
	/* the IOVA map handed out lies in the first page of its mapping */
	if (area && iova - iopt_area_iova(area) < IOASID_PAGE_SIZE) {
		unmap.iova = iopt_area_iova(area);
		unmap.length = iopt_area_last(area) - unmap.iova + 1;
	}
	if (ioas)
		obj_put(&ioas->obj);
	pthread_mutex_unlock(&s->ctx->lock);
	if (!unmap.length) {
		errno = ENOENT;
		return -1;
	}
	return ioasid_ioctl(s->ctx, IOMMU_IOAS_UNMAP, &unmap);
}

int ioasid_simple_dma_read(struct ioasid_simple *s, uint64_t iova, void *dst, size_t len)
{
	return ioasid_device_dma(s->ctx, s->dev_id, iova, dst, len, false);
}

int ioasid_simple_dma_write(struct ioasid_simple *s, uint64_t iova, const void *src, size_t len)
{
	return ioasid_device_dma(s->ctx, s->dev_id, iova, (void *)src, len, true);
}

struct ioasid_ctx *ioasid_simple_ctx(struct ioasid_simple *s, uint32_t *out_ioas_id)
{
	if (out_ioas_id)
		*out_ioas_id = s->ioas_id;
	return s->ctx;
}
